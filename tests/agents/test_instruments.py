"""Instrument-health scan: the failed transmitter of `sensor_fault`, and nothing anywhere else.

The sandbox runs 24 h with nobody intervening, then `scan_instruments` reads every tag (157)
through the typed tools. The injected fault (asset, tag, stuck or spikes, onset) is the plant's
own `injection`, the record `sandbox_plant.ground_truth` reads its answer from.
"""

from __future__ import annotations

import asyncio

import httpx
import numpy as np
import pytest

from agents._instruments import (
    InstrumentFault,
    InstrumentPolicy,
    TagSeries,
    find_instrument_faults,
    scan_instruments,
)
from sandbox_plant import Plant, create_app
from tools import PlantClient, PlantClientConfig

DAY_S = 86400.0
BUCKET_S = 250.0
"""Bucket width of a 24 h scan at the default 360 points (25 samples of 10 s)."""
FAULT_SEEDS = range(10)
"""Both variants occur (checked below); all of 0..15 pass, the make-test slice keeps 0..9."""
OTHER_SCENARIOS = (
    "coolant_pump_failure",
    "bearing_wear",
    "tool_wear",
    "sensor_drift",
    "material_shortage",
    "machine_breakdown",
)


async def _scan(
    plant: Plant, *, advance_s: float = DAY_S, since_t: float = 0.0, assets: list[str] | None = None
) -> list[InstrumentFault]:
    transport = httpx.ASGITransport(app=create_app(plant))
    async with httpx.AsyncClient(transport=transport, base_url="http://plant") as driver:
        (await driver.post("/clock/advance", json={"seconds": advance_s})).raise_for_status()
    async with PlantClient(PlantClientConfig(base_url="http://plant"), transport=transport) as client:
        return await scan_instruments(client, since_t=since_t, assets=assets)


def test_fault_seeds_cover_both_variants() -> None:
    injections = [Plant(seed=s, scenario="sensor_fault").injection for s in FAULT_SEEDS]
    assert {i.variant for i in injections if i is not None} == {"stuck", "spikes"}


@pytest.mark.parametrize("seed", FAULT_SEEDS)
def test_finds_the_failed_transmitter(seed: int) -> None:
    plant = Plant(seed=seed, scenario="sensor_fault")
    inj = plant.injection
    assert inj is not None and inj.tag is not None
    findings = asyncio.run(_scan(plant))
    assert [(f.asset, f.tag, f.kind) for f in findings] == [(inj.root, inj.tag, inj.variant)]
    (f,) = findings
    if f.kind == "stuck":
        assert abs(f.onset_t - inj.onset) <= BUCKET_S
        assert f.frozen_value is not None and f.flat_s >= DAY_S - inj.onset - 2 * BUCKET_S
        assert "frozen" in f.explanation
    else:
        # Onset is the first counted spike; one next to a start or stop of the machine is not counted.
        assert inj.onset - BUCKET_S <= f.onset_t <= inj.onset + 2 * 3600
        assert f.spikes >= 30 and abs(f.spike_size) >= 5 * f.noise
        assert "spikes" in f.explanation


# Three seeds a scenario keep the file near a minute (a 24 h run and a full scan cost ~1.5 s); the
# sixteen sensor_fault runs are negative controls too, for every tag but the failed one.
@pytest.mark.parametrize(
    ("scenario", "seed"),
    [(s, seed) for s in OTHER_SCENARIOS for seed in range(2)] + [(None, seed) for seed in range(2)],
)
def test_no_finding_without_a_failed_instrument(scenario: str | None, seed: int) -> None:
    plant = Plant(seed=seed, scenario=scenario)
    assert asyncio.run(_scan(plant)) == []
    if scenario is None:
        # The control is only worth something if the nuisance alarm did chatter.
        raises = [
            e
            for e in plant.core.events
            if e["type"] == "alarm.raised" and e["alarm"] == "CNV-2.motor_current.HI"
        ]
        assert len(raises) >= 100


def test_scan_window_and_asset_filter() -> None:
    plant = Plant(seed=0, scenario="sensor_fault")  # PRS-2.hyd_pressure stuck at t=19290 s
    late = asyncio.run(_scan(plant, since_t=43200.0, assets=["PRS-2"]))
    assert [(f.tag, f.kind) for f in late] == [("PRS-2.hyd_pressure", "stuck")]
    assert late[0].onset_t == 43200.0  # frozen from the window's start: onset before the window
    assert asyncio.run(_scan(plant, advance_s=0.0, assets=["PRS-1", "CNC-1"])) == []
    assert asyncio.run(_scan(plant, advance_s=0.0, since_t=DAY_S)) == []


# -- the pure function on synthetic series ---------------------------------------------------------
N = 8640
"""24 h of 10 s samples."""
EVERY = 25


def _series(tag: str, kind: str, samples: np.ndarray) -> TagSeries:
    t = np.arange(len(samples)) * 10.0
    chunks = range(0, len(samples), EVERY)
    return TagSeries(
        tag=f"M-1.{tag}",
        asset="M-1",
        kind=kind,
        unit="u",
        t=tuple(float(t[k]) for k in chunks),
        mean=tuple(float(samples[k : k + EVERY].mean()) for k in chunks),
        low=tuple(float(samples[k : k + EVERY].min()) for k in chunks),
        high=tuple(float(samples[k : k + EVERY].max()) for k in chunks),
    )


def _machine(
    *, seed: int = 0, running: bool = True, flow: np.ndarray | None = None, current: np.ndarray | None = None
) -> dict[str, TagSeries]:
    """A machine that alternates 40-minute jobs and 20-minute idles (or stands stopped), with a
    flow and a vibration that follow its state, and a motor current."""
    rng = np.random.default_rng(seed)
    state = (np.arange(N) // 120) % 3 != 2 if running else np.zeros(N, dtype=bool)
    on = 1.0 if running else 0.0
    base_current = np.where(state, 24.0, 5.0 * on) + rng.normal(0, 0.5, N)
    base_flow = 38.0 * on + rng.normal(0, 0.7, N)
    vib = np.where(state, 1.6, 0.5 * on + 0.05 * (1 - on)) + rng.normal(0, 0.1, N)
    out = [
        _series("current", "current", base_current if current is None else current),
        _series("flow", "flow", base_flow if flow is None else flow),
        _series("vib", "vibration", vib),
    ]
    return {s.tag: s for s in out}


def _frozen(from_k: int, *, seed: int = 0, level: float = 38.0) -> np.ndarray:
    x = level + np.random.default_rng(seed + 100).normal(0, 0.7, N)
    x[from_k:] = x[from_k]
    return x


def _spiky(*, seed: int = 0, size: float = -19.5, p: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed + 200)
    hit = rng.random(N) < p
    return 38.0 + rng.normal(0, 0.7, N) + np.where(hit, size, 0.0), hit


def test_noisy_machine_changing_state_is_healthy() -> None:
    for seed in range(5):
        assert find_instrument_faults(_machine(seed=seed)) == []
        assert find_instrument_faults(_machine(seed=seed, running=False)) == []


def test_flat_line_while_running_is_stuck() -> None:
    (f,) = find_instrument_faults(_machine(flow=_frozen(3000)))
    assert (f.tag, f.kind) == ("M-1.flow", "stuck")
    assert abs(f.onset_t - 30000.0) <= EVERY * 10
    assert f.frozen_value == pytest.approx(_frozen(3000)[3000])
    assert f.flat_s > 15 * 3600 and f.powered_s == f.flat_s and f.noise > 0


def test_flat_line_needs_a_powered_machine_live_siblings_and_time() -> None:
    stopped = _machine(running=False, flow=_frozen(3000, level=0.0))
    assert find_instrument_faults(stopped) == []
    # Every tag frozen at once is a data outage, not one instrument.
    outage = _machine(flow=_frozen(3000), current=_frozen(3000, seed=1, level=24.0))
    outage["M-1.vib"] = _series("vib", "vibration", _frozen(3000, seed=2, level=1.6))
    assert find_instrument_faults(outage) == []
    # Frozen for the last 25 minutes only: too short to tell from a quiet spell.
    assert find_instrument_faults(_machine(flow=_frozen(N - 150))) == []
    looser = InstrumentPolicy(min_flat_s=600.0, min_powered_s=600.0)
    assert [f.kind for f in find_instrument_faults(_machine(flow=_frozen(N - 150)), policy=looser)] == [
        "stuck"
    ]


def test_isolated_spikes_are_reported_with_their_direction() -> None:
    flow, hit = _spiky()
    (f,) = find_instrument_faults(_machine(flow=flow))
    assert (f.tag, f.kind) == ("M-1.flow", "spikes")
    assert f.spike_size < 0 and "below" in f.explanation
    # Spikes next to one of the machine's 72 starts and stops a day are not counted: the process moved.
    assert 30 <= f.spikes <= hit.sum()
    assert f.onset_t <= np.flatnonzero(hit)[0] * 10.0 + 3 * EVERY * 10


def test_spikes_shared_by_a_sibling_or_too_few_are_not_an_instrument() -> None:
    flow, hit = _spiky()
    current = np.random.default_rng(9).normal(24.0, 0.5, N) + np.where(hit, 15.0, 0.0)
    assert find_instrument_faults(_machine(flow=flow, current=current)) == []
    few, _ = _spiky(p=0.0005)
    assert find_instrument_faults(_machine(flow=few)) == []


def test_tag_series_rejects_ragged_buckets() -> None:
    with pytest.raises(ValueError, match="one value per bucket"):
        TagSeries(tag="M-1.x", asset="M-1", kind="flow", t=(0.0, 1.0), mean=(1.0,), low=(1.0,), high=(1.0,))
