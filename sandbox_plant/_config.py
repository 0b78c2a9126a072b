"""Plant and scenario configuration: the data that makes a plant (see plants/default.yaml)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._errors import ConfigError

SUPPLIES = ("self", "coolant", "air", "power", "cooling_water")
"""Sources a tag can depend on: the asset's own health, then the supply types utilities give."""

Priority = Literal["high", "medium", "low"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AlarmSpec(_Model):
    type: Literal["HI", "HIHI", "LO", "LOLO"]
    limit: float
    deadband: float = Field(ge=0)
    priority: Priority
    trip: bool = False
    """A protective trip: the machine goes down when the true value crosses the limit."""


class EffectSpec(_Model):
    source: Literal["self", "coolant", "air", "power", "cooling_water"]
    mode: Literal["scale", "add"]
    k: float = 0.0


class TagSpec(_Model):
    kind: str
    unit: str
    run: float
    idle: float | None = None
    off: float | None = None
    tau_s: float = Field(default=0.0, ge=0)
    noise: float = Field(ge=0)
    wear_k: float = 0.0
    tool_k: float = 0.0
    setpoint: str | None = None
    effects: tuple[EffectSpec, ...] = ()
    alarms: tuple[AlarmSpec, ...] = ()


class SetpointSpec(_Model):
    value: float
    min: float
    max: float
    unit: str
    affects_cycle: bool = False


class RevealSpec(_Model):
    tag: str | None = None
    quality: str | None = None
    direction: str


class FailureModeSpec(_Model):
    id: str
    name: str
    name_zh: str
    wo_type: Literal["CM", "PM", "EM", "PdM", "INSP"]
    skill: str
    parts: dict[str, int] = Field(default_factory=dict)
    repair_h: float
    repairs: tuple[Literal["bearing", "tool", "breakdown", "utility", "sensor"], ...]
    severity: int = Field(ge=1, le=10)
    reveals: tuple[RevealSpec, ...]


class AssetTypeSpec(_Model):
    category: Literal["machine", "utility"]
    name: str
    name_zh: str
    supplies: str | None = None
    scheduled: bool = True
    tags: dict[str, TagSpec]
    setpoints: dict[str, SetpointSpec] = Field(default_factory=dict)
    failure_modes: tuple[FailureModeSpec, ...] = ()


class AlarmOverride(_Model):
    limit: float | None = None
    deadband: float | None = Field(default=None, ge=0)
    priority: Priority | None = None


class AssetSpec(_Model):
    type: str
    area: str | None = None
    feeds: tuple[str, ...] = ()
    alarm_overrides: dict[str, AlarmOverride] = Field(default_factory=dict)


class LineSpec(_Model):
    id: str
    name: str
    name_zh: str
    machines: tuple[str, ...]


class QualitySpec(_Model):
    characteristic: str
    nominal: float
    lsl: float
    usl: float
    sigma: float = Field(gt=0)
    tool_k: float = 0.0
    tag: str | None = None
    tag_k: float = 0.0


class StepSpec(_Model):
    type: str
    cycle_s: float = Field(gt=0)
    setup_s: float = Field(default=0.0, ge=0)
    batch: bool = False
    spec: QualitySpec | None = None


class MaterialUse(_Model):
    id: str
    per_part: float = Field(gt=0)


class ProductSpec(_Model):
    name: str
    material: MaterialUse
    routing: tuple[StepSpec, ...]


class MaterialSpec(_Model):
    name: str
    unit: str
    stock: float = Field(ge=0)
    delivery_every_h: float = Field(gt=0)
    delivery_qty: float = Field(ge=0)


class OrderBookSpec(_Model):
    count: int = Field(ge=0)
    horizon_h: float = Field(gt=0)
    backlog: int = Field(ge=0)
    qty: tuple[int, int]
    due_factor: tuple[float, float]
    due_margin_h: float


class TechnicianSpec(_Model):
    id: str
    name: str
    shift: str
    skills: tuple[str, ...]


class SparePartSpec(_Model):
    name: str
    stock: int = Field(ge=0)
    min_stock: int = Field(ge=0)
    lead_time_h: float


class ShiftSpec(_Model):
    start_h: int = Field(ge=0, le=23)
    end_h: int = Field(ge=0, le=23)


class ClockSpec(_Model):
    start: str
    sample_period_s: float = Field(gt=0)


class SiteSpec(_Model):
    id: str
    name: str
    name_zh: str


class DegradationSpec(_Model):
    bearing_rate_per_s: float
    bearing_initial: tuple[float, float]
    bearing_fail_at: float
    tool_wear_per_part: float
    tool_change_at: float


class PlantConfig(_Model):
    site: SiteSpec
    clock: ClockSpec
    shifts: dict[str, ShiftSpec]
    asset_types: dict[str, AssetTypeSpec]
    sensor_failure_mode: FailureModeSpec
    lines: tuple[LineSpec, ...]
    assets: dict[str, AssetSpec]
    products: dict[str, ProductSpec]
    materials: dict[str, MaterialSpec]
    orders: OrderBookSpec
    technicians: tuple[TechnicianSpec, ...]
    spare_parts: dict[str, SparePartSpec]
    degradation: DegradationSpec

    @model_validator(mode="after")
    def _check_references(self) -> PlantConfig:
        problems: list[str] = []
        for aid, a in self.assets.items():
            if a.type not in self.asset_types:
                problems.append(f"asset {aid}: unknown type {a.type!r}")
            problems += [f"asset {aid}: feeds unknown asset {f!r}" for f in a.feeds if f not in self.assets]
            if a.feeds and (a.type not in self.asset_types or not self.asset_types[a.type].supplies):
                problems.append(f"asset {aid}: only utilities with 'supplies' can feed others")
        for line in self.lines:
            problems += [
                f"line {line.id}: unknown machine {m!r}" for m in line.machines if m not in self.assets
            ]
        for pid, p in self.products.items():
            if p.material.id not in self.materials:
                problems.append(f"product {pid}: unknown material {p.material.id!r}")
            for step in p.routing:
                if step.type not in self.asset_types:
                    problems.append(f"product {pid}: routing uses unknown type {step.type!r}")
        for t in self.technicians:
            if t.shift not in self.shifts:
                problems.append(f"technician {t.id}: unknown shift {t.shift!r}")
        for at_id, at in self.asset_types.items():
            for fm in at.failure_modes:
                problems += [
                    f"type {at_id}, failure mode {fm.id}: unknown spare part {p!r}"
                    for p in fm.parts
                    if p not in self.spare_parts
                ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


class ScenarioSpec(_Model):
    name: str
    title: str
    title_zh: str
    description: str
    fault: Literal[
        "utility_failure",
        "bearing_wear",
        "tool_wear",
        "sensor_drift",
        "sensor_fault",
        "material_shortage",
        "breakdown",
    ]
    eligible: dict[str, str | list[str]]
    onset_s: tuple[float, float]
    params: dict[str, float | str | list[float]]
    expected_end_state: tuple[dict[str, str | int | float | list[str]], ...]
    affected_lots_window_s: float = 7200.0
    affected_lots_shift_sigma: float = 2.0


def _load_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e.strerror}") from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from e


def load_plant_config(path: str | Path | None = None) -> PlantConfig:
    """Load a plant file; no path means the default plant shipped with the package."""
    if path is None:
        return _default_plant()
    p = Path(path)
    try:
        return PlantConfig.model_validate(_load_yaml(p))
    except ValidationError as e:
        raise ConfigError(f"{p}: {_first_error(e)}") from e


@cache
def _default_plant() -> PlantConfig:
    text = resources.files("sandbox_plant").joinpath("plants/default.yaml").read_text("utf-8")
    return PlantConfig.model_validate(yaml.safe_load(text))


@cache
def load_scenarios() -> dict[str, ScenarioSpec]:
    """The fault scenarios shipped with the package, by name, in name order."""
    folder = resources.files("sandbox_plant").joinpath("scenarios")
    specs = [
        ScenarioSpec.model_validate(yaml.safe_load(f.read_text("utf-8")))
        for f in folder.iterdir()
        if f.name.endswith(".yaml")
    ]
    return {s.name: s for s in sorted(specs, key=lambda s: s.name)}


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(x) for x in err["loc"]) or "(top level)"
    return f"{where}: {err['msg']} ({e.error_count()} problem(s) in all)"
