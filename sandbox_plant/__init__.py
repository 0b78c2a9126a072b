"""The sandbox plant: a deterministic simulated factory behind an HTTP API.

    from sandbox_plant import Plant, create_app
    plant = Plant(seed=7, scenario="coolant_pump_failure")
    plant.advance(3600)
    app = create_app(plant)            # FastAPI; serve with uvicorn or httpx.ASGITransport

Agents never import this package: they reach the plant through its HTTP API only.
"""

from ._api import create_app
from ._config import PlantConfig, ScenarioSpec, load_plant_config, load_scenarios
from ._errors import ConfigError, InvalidRequest, NotFound, PlantError, Refused
from ._plant import MAX_ADVANCE_S, Plant
from ._scenarios import ground_truth as _ground_truth
from ._views import state as plant_state


def ground_truth(scenario: str, seed: int, config: PlantConfig | None = None) -> dict[str, object]:
    """What a scenario does for a seed: root cause, affected assets and lots, expected end state."""
    return _ground_truth(Plant, scenario, seed, config)


__all__ = [
    "MAX_ADVANCE_S",
    "ConfigError",
    "InvalidRequest",
    "NotFound",
    "Plant",
    "PlantConfig",
    "PlantError",
    "Refused",
    "ScenarioSpec",
    "create_app",
    "ground_truth",
    "load_plant_config",
    "load_scenarios",
    "plant_state",
]
