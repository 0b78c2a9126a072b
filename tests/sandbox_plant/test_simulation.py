"""The simulation itself: size, determinism, and that each fault scenario does what its
ground truth says, for several seeds."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

import httpx
import numpy as np
import pytest

from sandbox_plant import Plant, create_app, ground_truth, load_scenarios, plant_state
from sandbox_plant._scenarios import TRUTH_HORIZON_S

DAY = 86400.0


def _state_bytes_over_http(seed: int, scenario: str | None) -> bytes:
    async def run() -> bytes:
        app = create_app(Plant(seed=0))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://plant") as c:
            assert (await c.post("/reset", json={"seed": seed, "scenario": scenario})).status_code == 200
            assert (await c.post("/clock/advance", json={"seconds": DAY})).status_code == 200
            r = await c.get("/state")
            assert r.status_code == 200
            return r.content

    return asyncio.run(run())


def test_default_plant_is_big_enough() -> None:
    p = Plant(seed=0)
    assert len(p.cfg.lines) >= 3
    assert len(p.core.assets) >= 30
    assert len(p.signals.tags) >= 150
    kinds = Counter(t.spec.kind for t in p.signals.tags)
    assert {"temperature", "vibration", "current", "pressure", "flow", "speed"} <= set(kinds)
    types = {a.type for a in p.core.assets.values()}
    assert {
        "cnc",
        "press",
        "oven",
        "conveyor",
        "packer",
        "coolant_pump",
        "compressor",
        "power_feeder",
    } <= types


def test_same_seed_and_scenario_give_byte_identical_state_after_24h() -> None:
    a = _state_bytes_over_http(11, "coolant_pump_failure")
    b = _state_bytes_over_http(11, "coolant_pump_failure")
    assert a == b
    state = json.loads(a)
    assert state["clock"]["t"] == DAY
    assert state["events"]["count"] > 100


def test_a_different_seed_gives_a_different_history() -> None:
    a = json.loads(_state_bytes_over_http(11, None))
    b = json.loads(_state_bytes_over_http(12, None))
    assert a["history_sha256"] != b["history_sha256"]
    assert [j["qty"] for j in a["jobs"]] != [j["qty"] for j in b["jobs"]]


def test_history_does_not_depend_on_how_the_clock_is_advanced() -> None:
    one = Plant(seed=5, scenario="tool_wear")
    one.advance(DAY)
    many = Plant(seed=5, scenario="tool_wear")
    for step in [7.0, 3593.0, 1800.0, 1800.0] + [3600.0] * 22:
        many.advance(step)
    assert many.core.now == one.core.now == DAY
    assert json.dumps(plant_state(one), sort_keys=True) == json.dumps(plant_state(many), sort_keys=True)


def test_normal_operation_raises_only_the_known_bad_actor_which_chatters() -> None:
    p = Plant(seed=3)
    p.advance(DAY)
    raised = [e for e in p.core.events if e["type"] == "alarm.raised"]
    assert {e["alarm"] for e in raised} == {"CNV-2.motor_current.HI"}
    times = np.array([e["t"] for e in raised])
    # chattering: the same alarm 3 or more times within one minute
    assert np.any(times[2:] - times[:-2] <= 60.0)
    assert not [e for e in p.core.events if e["type"] in ("asset.tripped", "asset.mode")]


def test_production_runs_the_published_schedule_and_tracks_oee() -> None:
    p = Plant(seed=2)
    p.advance(DAY)
    starts = [e for e in p.core.events if e["type"] == "job.op_started"]
    assert len(starts) > 50
    for e in starts:
        op = p.production.jobs[e["job"]].ops[e["op"]]
        assert op.machine == e["machine"]
    done = [j for j in p.production.jobs.values() if j.completed_at is not None]
    assert done, "some jobs complete within a day"
    for j in done:
        starts_of = [op.start for op in j.ops]
        assert all(
            a is not None and b is not None and a <= b for a, b in zip(starts_of, starts_of[1:], strict=False)
        )
    state = plant_state(p)
    cnc = next(a for a in state["assets"] if a["id"] == "CNC-1")
    assert 0 < cnc["oee"]["oee"] <= 1
    assert state["measurements"]["count"] > 100


@pytest.mark.parametrize("scenario", sorted(load_scenarios()))
def test_the_seed_chooses_the_fault(scenario: str) -> None:
    truths = [ground_truth(scenario, seed) for seed in range(3)]
    roots = {(t["root_cause"][0], t["onset_t"]) for t in truths}  # type: ignore[index]
    assert len(roots) >= 2, f"{scenario}: every seed gave the same fault {roots}"


def _run(scenario: str, seed: int) -> tuple[Plant, dict[str, object]]:
    truth = ground_truth(scenario, seed)
    p = Plant(seed=seed, scenario=scenario)
    p.advance(TRUTH_HORIZON_S)
    return p, truth


@pytest.mark.parametrize("seed", [1, 2])
def test_coolant_pump_failure_floods_the_line_it_feeds(seed: int) -> None:
    p, truth = _run("coolant_pump_failure", seed)
    pump = truth["root_cause"][0]  # type: ignore[index]
    assert p.core.assets[pump].type == "coolant_pump"
    fed = sorted(p.core.assets[pump].feeds)
    assert truth["affected_assets"] == fed
    onset = float(truth["onset_t"])  # type: ignore[arg-type]
    raised = [e for e in p.core.events if e["type"] == "alarm.raised" and onset <= e["t"] <= onset + 1800]
    on_line = [e for e in raised if e["asset"] in (*fed, pump)]
    times = np.array(sorted(e["t"] for e in on_line))
    window_counts = [int(np.sum((times >= t) & (times < t + 600))) for t in times]
    assert max(window_counts) > 10, "an alarm flood: more than 10 alarms in 10 minutes"
    assert {e["asset"] for e in on_line} >= {pump}
    assert {e["asset"] for e in raised} - {*fed, pump, "CNV-2"} == set(), (
        "the flood stays on the line the pump feeds"
    )
    assert truth["expected_end_state"][0]["asset"] == pump  # type: ignore[index]


def test_bearing_wear_shows_as_rising_vibration_then_failure() -> None:
    truth = ground_truth("bearing_wear", 4)
    root = str(truth["root_cause"][0])  # type: ignore[index]
    p = Plant(seed=4, scenario="bearing_wear")
    vib = next(t for t in p.signals.tags if t.asset == root and t.spec.kind == "vibration")
    for _ in range(3):
        p.advance(DAY)
    times, values = p.signals.history(vib, 0, p.core.now)
    running = values > vib.spec.idle + 0.5 if vib.spec.idle is not None else values > 0
    first, last = values[running][:500].mean(), values[running][-500:].mean()
    assert last > first + 1.0, "vibration trends up with wear"
    downs = [
        e for e in p.core.events if e["type"] == "asset.mode" and e["asset"] == root and e["mode"] == "down"
    ]
    assert downs, "left alone, the bearing fails"
    others = [
        e for e in p.core.events if e["type"] == "asset.mode" and e["asset"] != root and e["mode"] == "down"
    ]
    assert not others


def test_tool_wear_drifts_the_measured_dimension_on_that_machine_only() -> None:
    p, truth = _run("tool_wear", 6)
    root, onset = str(truth["root_cause"][0]), float(truth["onset_t"])  # type: ignore[index,arg-type]
    assert truth["affected_lots"], "drifted lots are named"

    def dev(machine: str, after: bool) -> float:
        ms = [m for m in p.production.measurements if m.machine == machine and (m.t >= onset) == after]
        return float(np.mean([(m.value - m.nominal) / (m.usl - m.lsl) for m in ms[-40:]])) if ms else 0.0

    assert dev(root, True) - dev(root, False) > 0.15
    others = {
        m.machine for m in p.production.measurements if m.machine != root and m.machine.startswith("CNC")
    }
    for other in sorted(others):
        assert abs(dev(other, True) - dev(other, False)) < 0.1, other


def test_sensor_drift_is_a_false_alarm() -> None:
    p, truth = _run("sensor_drift", 8)
    tag = str(truth["root_tag"])
    root = str(truth["root_cause"][0])  # type: ignore[index]
    raised = [e for e in p.core.events if e["type"] == "alarm.raised" and e["asset"] == root]
    assert any(e["tag"] == tag for e in raised), "the drifting sensor alarms"
    assert all(e["tag"] == tag for e in raised), "nothing else on the asset alarms"
    assert not [e for e in p.core.events if e["type"] == "asset.tripped"], (
        "the true value never trips the machine"
    )
    assert truth["observed"]["false_alarm"] is True  # type: ignore[index]


def test_material_shortage_starves_jobs_of_that_material() -> None:
    p, truth = _run("material_shortage", 2)
    mat = str(truth["root_cause"][0])  # type: ignore[index]
    assert mat in p.cfg.materials
    waits = [e for e in p.core.events if e["type"] == "job.waiting_material"]
    assert waits and {e["material"] for e in waits} == {mat}
    assert truth["affected_lots"] == sorted({p.production.jobs[e["job"]].lot for e in waits})
    assert any(e["type"] == "material.delivery_missed" and e["material"] == mat for e in p.core.events)


def test_machine_breakdown_mid_shift_stops_that_machine() -> None:
    p, truth = _run("machine_breakdown", 9)
    root, onset = str(truth["root_cause"][0]), float(truth["onset_t"])  # type: ignore[index,arg-type]
    downs = [e for e in p.core.events if e["type"] == "asset.mode" and e["mode"] == "down"]
    assert [(e["asset"], e["t"]) for e in downs] == [(root, onset)]
    assert p.core.assets[root].status == "down"
    assert 7200 <= onset <= 25200, "mid-shift"
    assert truth["failure_mode"] in {m.id for m in p.cfg.asset_types[p.core.assets[root].type].failure_modes}


def test_sensor_faults_stuck_and_spiking_are_instrument_problems() -> None:
    variants = set()
    for seed in (0, 2):
        p, truth = _run("sensor_fault", seed)
        tag = p.signals.by_id[str(truth["root_tag"])]
        onset = float(truth["onset_t"])  # type: ignore[arg-type]
        _, values = p.signals.history(tag, onset + 2 * p.core.dt, p.core.now)
        raised = [e for e in p.core.events if e["type"] == "alarm.raised" and e["asset"] == tag.asset]
        variants.add(truth["variant"])
        if truth["variant"] == "stuck":
            assert np.ptp(values) == 0, "a stuck sensor is a flat line"
            _, before = p.signals.history(tag, 0, onset - p.core.dt)
            assert np.ptp(before) > 0
        else:
            assert len([e for e in raised if e["tag"] == tag.id]) >= 5, "spikes cause nuisance alarms"
            assert all(e["tag"] == tag.id for e in raised)
        assert not [e for e in p.core.events if e["type"] == "asset.mode" and e["mode"] == "down"]
    assert variants == {"stuck", "spikes"}
