"""Benchmarks that print figures (JSON). Targets live here, not in timed unit tests."""

from __future__ import annotations

import statistics
import time
from typing import Any

from sandbox_plant import Plant, PlantConfig

PLANT_TARGET_X = 50_000.0
"""Goal: 24 simulated hours of the default plant at >= 50,000x real time on a 2-core machine."""


def bench_plant(
    *, hours: float, repeat: int, seed: int, scenario: str | None, config: PlantConfig | None = None
) -> dict[str, Any]:
    walls: list[float] = []
    events = ticks = tags = 0
    for _ in range(repeat):
        plant = Plant(config, seed=seed, scenario=scenario)
        left = hours * 3600.0
        t0 = time.perf_counter()
        while left > 0:
            step = min(left, 86400.0)
            plant.advance(step)
            left -= step
        walls.append(time.perf_counter() - t0)
        events, ticks, tags = len(plant.core.events), plant.signals.ticks, len(plant.signals.tags)
    wall = statistics.median(walls)
    rate = hours * 3600.0 / wall
    return {
        "benchmark": "plant",
        "seed": seed,
        "scenario": scenario,
        "sim_seconds": hours * 3600.0,
        "repeat": repeat,
        "wall_seconds_median": round(wall, 4),
        "wall_seconds_min": round(min(walls), 4),
        "sim_seconds_per_wall_second": round(rate, 1),
        "target": PLANT_TARGET_X,
        "meets_target": rate >= PLANT_TARGET_X,
        "tags": tags,
        "samples": ticks,
        "events": events,
    }
