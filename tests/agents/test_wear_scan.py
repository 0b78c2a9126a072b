"""The wear scan against sandbox runs: the wearing bearing is found, and nothing else ever is.

Positives: `bearing_wear` (the scan at 24 h, or an hour before the bearing fails, including the
slow ramps of a machine that idles all or nearly all day; the assessment at the first vibration
alarm, including the seeds that alarm minutes after a start with almost no running history). Negatives: every other scenario and the healthy plant, scanned at 24 h, and the
instrument faults assessed at their alarm (a drifting temperature, a spiking vibration transmitter).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import FrozenInstanceError
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict

from agents._wear_scan import WearFinding, WearPolicy, assess_wear, scan_wear
from agents._wear_trend import Series, fit_ramp, level_at_alarm, ramp_trend
from agents._wear_trend import verdict as judge
from sandbox_plant import create_app, ground_truth
from tools import (
    ListEventsArgs,
    ListTagsArgs,
    NoArgs,
    PlantClient,
    PlantClientConfig,
    get_clock,
    list_events,
    list_tags,
)

T = TypeVar("T")
DAY_S = 86400.0
STEP_S = 600.0
HARD = (9, 10, 11, 20, 21)
"""Seeds whose first vibration alarm comes with little running history behind it."""
ALARMING = (0, 1, 5, 8, 9, 10, 11, 13, 20, 21, 23)
"""bearing_wear seeds whose root raises a vibration alarm before it fails (2, 6 and 18 do not): the
hard ones, and those that alarm minutes into a run (5, 8, 13, 23: judged on the level). Every
alarming seed of 0..23 passes; the make-test slice keeps these."""
SCANNED = (0, 1, 2, 3, 6, 9, 14, 18, 21, 24, 29, 32, 33, 34)
"""bearing_wear seeds scanned, one or two of each kind: every asset type, a bearing that fails before
24 h (21, 24), a press that ran an hour (6, 18) or half an hour (33, 34) and idled the rest of the
day, a press and a CNC that idled all day (29, 32). All of 0..40 pass; the rest repeat these."""


@cache
def truth(scenario: str, seed: int) -> dict[str, Any]:
    return ground_truth(scenario, seed)


def on_sandbox(scenario: str | None, seed: int, body: Callable[[PlantClient], Awaitable[T]]) -> T:
    async def run() -> T:
        app = create_app(seed=seed, scenario=scenario)
        config = PlantClientConfig(base_url="http://plant")
        async with PlantClient(config, transport=httpx.ASGITransport(app=app)) as client:
            return await body(client)

    return asyncio.run(run())


class Advance(BaseModel):
    seconds: float


class Advanced(BaseModel):
    model_config = ConfigDict(extra="allow")


async def advance(client: PlantClient, seconds: float) -> None:
    await client.post("/clock/advance", Advance(seconds=seconds), Advanced)


async def first_alarm_t(client: PlantClient, asset: str, tags: set[str] | None) -> float | None:
    """Step the clock 10 minutes at a time until `asset` raises an alarm (on one of `tags`)."""
    cursor = 0
    t = (await get_clock(client, NoArgs())).t
    while t < DAY_S:
        await advance(client, STEP_S)
        t += STEP_S
        page = await list_events(client, ListEventsArgs(since=cursor, limit=10000))
        cursor = page.next_cursor
        for e in page.events:
            if e.data.get("asset") != asset:
                continue
            if e.asset_went_down:
                return None
            if e.type == "alarm.raised" and (tags is None or e.data.get("tag") in tags):
                return t
    return None


def before_failure(facts: dict[str, Any]) -> float:
    """24 h, or an hour before the bearing failed if it failed sooner."""
    failed = facts.get("failed_at")
    if not failed:
        return DAY_S
    start = datetime.fromisoformat("2026-03-02T06:00:00+00:00")
    return (datetime.fromisoformat(str(failed)) - start).total_seconds() - 3600.0


# -- positives -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SCANNED)
def test_the_scan_finds_the_wearing_bearing_and_nothing_else(seed: int) -> None:
    gt = truth("bearing_wear", seed)
    root = gt["root_cause"][0]
    until = before_failure(gt["observed"])

    async def body(client: PlantClient) -> list[WearFinding]:
        assert (await get_clock(client, NoArgs())).time.startswith("2026-03-02T06:00:00")
        await advance(client, DAY_S)
        return await scan_wear(client, until_t=until)

    found = on_sandbox("bearing_wear", seed, body)
    assert [(f.asset, f.failure_mode) for f in found] == [(root, gt["failure_mode"])]
    f = found[0]
    assert f.evidence == "trend"
    assert f.signs[0].direction == "up" and f.signs[0].slope_per_h > 0
    assert f.rul_hours is not None and f.rul_hours >= 0
    assert 0.0 <= f.health_index < 1.0 and 0.5 <= f.confidence <= 0.95
    assert root in f.explanation


@pytest.mark.parametrize("seed", ALARMING)
def test_at_the_first_vibration_alarm_the_bearing_is_named(seed: int) -> None:
    gt = truth("bearing_wear", seed)
    root = gt["root_cause"][0]

    async def body(client: PlantClient) -> tuple[float | None, WearFinding | None]:
        vib = {t.id for t in (await list_tags(client, ListTagsArgs(asset=root, kind="vibration"))).tags}
        t = await first_alarm_t(client, root, vib)
        return t, (await assess_wear(client, root) if t is not None else None)

    t, finding = on_sandbox("bearing_wear", seed, body)
    assert t is not None, f"seed {seed}: {root} raised no vibration alarm before failing"
    assert finding is not None, f"seed {seed}: {root} at {t / 3600:.2f} h not judged wearing"
    assert (finding.asset, finding.failure_mode) == (root, gt["failure_mode"])


def test_the_hard_seeds_are_among_the_alarm_cases() -> None:
    assert set(HARD) <= set(ALARMING)


# -- negatives -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("scenario", "seed"),
    [
        (s, k)
        for s in (
            "coolant_pump_failure",
            "tool_wear",
            "sensor_drift",
            "sensor_fault",
            "material_shortage",
            "machine_breakdown",
        )
        for k in range(2)
    ]
    + [(None, 0), (None, 1)],
)
def test_no_other_scenario_reports_wear(scenario: str | None, seed: int) -> None:
    async def body(client: PlantClient) -> list[WearFinding]:
        await advance(client, DAY_S)
        return await scan_wear(client)

    assert on_sandbox(scenario, seed, body) == []


@pytest.mark.parametrize("seed", range(4))
def test_a_drifting_temperature_is_not_wear(seed: int) -> None:
    root = truth("sensor_drift", seed)["root_cause"][0]

    async def body(client: PlantClient) -> tuple[float | None, WearFinding | None]:
        t = await first_alarm_t(client, root, None)
        return t, await assess_wear(client, root)

    t, finding = on_sandbox("sensor_drift", seed, body)
    assert t is not None
    assert finding is None


@pytest.mark.parametrize("seed", [5, 6, 12])
def test_a_spiking_vibration_transmitter_is_not_wear(seed: int) -> None:
    gt = truth("sensor_fault", seed)
    root, tag = gt["root_cause"][0], gt["root_tag"]
    assert gt["variant"] == "spikes" and "vib" in tag

    async def body(client: PlantClient) -> tuple[float | None, WearFinding | None]:
        t = await first_alarm_t(client, root, {tag})
        return t, await assess_wear(client, root)

    t, finding = on_sandbox("sensor_fault", seed, body)
    assert t is not None
    assert finding is None


# -- the rules on made-up series -------------------------------------------------------------------
def series(values: np.ndarray[Any, np.dtype[np.float64]], noise: float = 0.1, seed: int = 0) -> Series:
    """Hours of 60 s buckets of six 10 s samples around `values`."""
    rng = np.random.default_rng(seed)
    raw = values[:, None] + rng.normal(0.0, noise, (len(values), 6))
    return Series(
        t=np.arange(len(values), dtype=float) * 60.0,
        mean=raw.mean(axis=1),
        lo=raw.min(axis=1),
        hi=raw.max(axis=1),
        per_bucket=6,
    )


def verdict(s: Series, limit: float = 4.5) -> str:
    return judge(fit_ramp(s, np.ones(len(s.t), dtype=bool), WearPolicy()), limit, WearPolicy())


def test_a_ramp_is_rising_and_a_step_spikes_or_a_flat_line_are_not() -> None:
    n = 6 * 60
    hours = np.arange(n) / 60.0
    assert verdict(series(2.0 + 0.1 * hours)) == "rising"
    assert verdict(series(2.0 + 0.01 * hours**2)) == "rising"  # accelerating
    assert verdict(series(np.where(hours < 3.0, 2.0, 3.5))) == "flat"  # a step
    assert verdict(series(np.full(n, 2.0) + 0.004 * hours)) == "flat"  # a healthy bearing's pace
    spikes = np.full(n, 2.0)
    spikes[np.random.default_rng(1).random(n) < 0.06] += 0.7
    assert verdict(series(spikes)) == "flat"
    stuck = Series(
        t=hours * 3600.0, mean=np.full(n, 2.0), lo=np.full(n, 2.0), hi=np.full(n, 2.0), per_bucket=6
    )
    assert verdict(stuck) == "flat"


def test_little_history_leaves_the_trend_undecided_and_the_level_speaks() -> None:
    short = series(np.full(12, 4.35))
    running = np.ones(12, dtype=bool)
    assert verdict(short) == "undecided"
    at_alarm = level_at_alarm("spindle_vib", short, running, 4.5, WearPolicy())
    assert at_alarm is not None and at_alarm.hours_to_limit == 0.0
    assert level_at_alarm("spindle_vib", series(np.full(12, 3.0)), running, 4.5, WearPolicy()) is None
    frozen = Series(t=short.t, mean=np.full(12, 4.6), lo=np.full(12, 4.6), hi=np.full(12, 4.6), per_bucket=6)
    assert level_at_alarm("spindle_vib", frozen, running, 4.5, WearPolicy()) is None


def test_a_slow_ramp_counts_against_its_own_level_and_a_healthy_pace_does_not() -> None:
    hours = np.arange(24 * 60) / 60.0
    # A worn press idling all day: +1.3 % of its 1.25 mm/s an hour, 0.23 % of its 7.1 alarm limit.
    idle = series(1.25 + 0.0166 * hours, noise=0.18)
    assert verdict(idle, limit=7.1) == "rising"
    assert verdict(series(1.34 + 0.0123 * hours, noise=0.18, seed=1), limit=7.1) == "rising"  # 0.92 %/h
    # A healthy conveyor gearbox: +0.004 mm/s an hour on 1.1 mm/s (0.36 %/h), however clean.
    assert verdict(series(1.1 + 0.004 * hours, noise=0.08), limit=4.5) == "flat"
    assert verdict(series(1.1 + 0.004 * hours, noise=0.01), limit=4.5) == "flat"
    ramp = fit_ramp(idle, np.ones(len(hours), dtype=bool), WearPolicy())
    assert ramp is not None
    # Projected from the running level now, at the same share of itself an hour.
    projected = ramp_trend("frame_vib", ramp, [7.1, 11.0], state="idle", now=6.0)
    pace = ramp.slope_per_h / ramp.end * 6.0
    assert projected.hours_to_limit == pytest.approx((7.1 - 6.0) / pace)
    assert ramp_trend("frame_vib", ramp, [7.1, 11.0]).hours_to_limit == pytest.approx(
        (7.1 - ramp.end) / ramp.slope_per_h
    )


def test_the_policy_is_frozen() -> None:
    policy = WearPolicy()
    with pytest.raises(FrozenInstanceError):
        policy.min_t_stat = 1.0  # type: ignore[misc]
