"""Every intent of the catalogue, in English and in Chinese, run on the sandbox; the plant's end state is
checked through its API (a read changes nothing, a write does exactly what was asked, a critical
action waits for a supervisor and then does it)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

import agents._scheduling_agent as scheduling
from agents import INTENTS
from graphs import PlantOrigin, run_incident
from tests.graphs.ops_support import Session, session

Check = Callable[[Session, dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class Case:
    check: Check
    setup: Callable[[Session], Awaitable[None]] | None = None
    scenario: str | None = None
    seed: int = 0
    hours: float = 2.0
    critical: bool = False


def _data(out: dict[str, Any], n: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = out["steps"][n]["data"]
    return data


async def _unchanged(s: Session, out: dict[str, Any]) -> None:
    """A read-only answer: nothing was written, and the plant is as it was before the task."""
    assert out["actions"] == [], out["actions"]
    assert await s.state() == s.before


def read_only(extra: Check | None = None) -> Check:
    async def check(s: Session, out: dict[str, Any]) -> None:
        await _unchanged(s, out)
        if extra is not None:
            await extra(s, out)

    return check


# -- checks of what the answer says against the plant ---------------------------------------------------
async def _plant_status(s: Session, out: dict[str, Any]) -> None:
    machines = await s.get("/assets", category="machine")
    running = sum(1 for m in machines if m["status"] == "running")
    assert _data(out)["statuses"].get("running", 0) == running


async def _line_status(s: Session, out: dict[str, Any]) -> None:
    line = await s.get("/assets", line="L2")
    assert _data(out)["assets"] == {a["id"]: a["status"] for a in line}


async def _asset_status(s: Session, out: dict[str, Any]) -> None:
    cnc = await s.get("/assets/CNC-3")
    assert _data(out)["status"] == cnc["status"]
    assert _data(out)["current_job"] == (cnc["current_job"] or {}).get("job")


async def _read_sensor(s: Session, out: dict[str, Any]) -> None:
    tag = await s.get("/tags/CNC-3.spindle_temp")
    assert _data(out)["tag"] == "CNC-3.spindle_temp" and _data(out)["value"] == tag["value"]


async def _sensor_trend(s: Session, out: dict[str, Any]) -> None:
    hist = await s.get("/tags/CNC-5.spindle_vib/history", since_t=0, max_points=200)
    d = _data(out)
    assert d["tag"] == "CNC-5.spindle_vib"
    assert min(p["min"] for p in hist["points"]) <= d["min"] <= d["mean"] <= d["max"]


async def _hold_lot_1(s: Session) -> None:
    await s.post("/lots/LOT-0001/hold", {"by": "qa.lead", "reason": "burr on the bore, 3 of 5 parts"})


async def _explain(s: Session, out: dict[str, Any]) -> None:
    assert _data(out)["on_hold"] is True and "burr on the bore" in out["text"]


async def _handover(s: Session, out: dict[str, Any]) -> None:
    wos = await s.get("/work-orders", status="open")
    assert _data(out)["work_orders"] == [w["id"] for w in wos]
    assert out["text"].count("\n") >= 4


async def _record_incident(s: Session) -> None:
    from agents._triage_agent import triage_agent

    alarms = (await s.get("/alarms"))["alarms"]
    first = sorted(alarms, key=lambda a: a["last_raised"] or "")[0]
    trigger = {"type": "alarm.raised", "alarm": first["id"], "asset": first["asset"], "t": 0.0}
    origin = PlantOrigin(seed=3, scenario="coolant_pump_failure").model_dump(mode="json")
    await run_incident(
        s.client, s.saver, run_id="inc-test-1", trigger=trigger, origin=origin,
        specialists={"alarm_triage": triage_agent},
    )  # fmt: skip


async def _replay(s: Session, out: dict[str, Any]) -> None:
    assert _data(out)["run_id"] == "inc-test-1" and "alarm_triage" in out["text"]


async def _list_alarms(s: Session, out: dict[str, Any]) -> None:
    ids = _data(out)["alarms"]
    assert ids and all(
        a.startswith(
            ("P-201", "PRS-1", "PRS-2", "OVN-1", "OVN-2", "CNC-5", "CNC-6", "GRD-2", "CNV-2", "PKR-2")
        )
        for a in ids
    )


async def _acked(s: Session, out: dict[str, Any]) -> None:
    alarms = (await s.get("/alarms", asset="CNV-2", state="any"))["alarms"]
    assert _data(out)["acknowledged"], out["text"]
    assert not [a["id"] for a in alarms if a["state"] in ("UNACK", "RTNUN")]


async def _shelved(s: Session, out: dict[str, Any]) -> None:
    alarms = (await s.get("/alarms", asset="CNV-2", state="any"))["alarms"]
    shelved = {a["id"] for a in alarms if a["shelved"]}
    assert shelved and shelved == set(_data(out)["shelved"])
    assert _data(out)["duration_s"] == 7200


async def _root_cause(s: Session, out: dict[str, Any]) -> None:
    assert _data(out, -1)["root_cause"] == ["P-201"]


async def _responded(s: Session, out: dict[str, Any]) -> None:
    wos = await s.get("/work-orders", asset="P-201")
    assert len(wos) == 1 and wos[0]["type"] == "CM"
    assert _data(out)["root_cause"] == ["P-201"]


def _wo(asset: str, priority: int | None = None, technician: str | None = None) -> Check:
    async def check(s: Session, out: dict[str, Any]) -> None:
        wos = await s.get("/work-orders", asset=asset)
        assert len(wos) == 1, wos
        assert priority is None or wos[0]["priority"] == priority
        assert technician is None or wos[0]["assigned"] == [technician]
        others = await s.get("/work-orders")
        assert [w["asset"] for w in others] == [asset]

    return check


async def _diagnose(s: Session, out: dict[str, Any]) -> None:
    assert 0.0 <= _data(out)["health_index"] <= 1.0


def _mode(asset: str, mode: str) -> Check:
    async def check(s: Session, out: dict[str, Any]) -> None:
        assert (await s.get(f"/assets/{asset}"))["mode"] == mode

    return check


async def _stop_prs1(s: Session) -> None:
    await s.post("/machines/PRS-1/mode", {"mode": "stopped", "reason": "die change", "by": "op"})


async def _technicians(s: Session, out: dict[str, Any]) -> None:
    on = [t["id"] for t in (await s.get("/technicians")) if t["on_shift"]]
    assert _data(out)["technicians"] == on


async def _parts(s: Session, out: dict[str, Any]) -> None:
    low = [p["id"] for p in (await s.get("/parts")) if p["stock"] <= p["min_stock"]]
    assert _data(out)["low"] == low


async def _schedule(s: Session, out: dict[str, Any]) -> None:
    sched = await s.get("/schedule")
    assert _data(out)["queues"]["CNC-4"] == [f"{o['job']}/{o['op']}" for o in sched["machines"]["CNC-4"]]


async def _moved(s: Session, out: dict[str, Any]) -> None:
    sched = (await s.get("/schedule"))["machines"]
    assert _data(out)["moved"]
    assert all(o["status"] == "running" for o in sched["CNC-3"])
    on4 = {f"{o['job']}/{o['op']}" for o in sched["CNC-4"]}
    assert set(_data(out)["moved"]) <= on4


async def _shift_planned(s: Session, out: dict[str, Any]) -> None:
    """Two hours into shift A the next shift is B: its plan is published through the step's gate."""
    d = _data(out)
    assert (d["status"], d["shift"]) == ("published", "B"), out["text"]
    assert "publish_schedule" in [a["tool"] for a in out["actions"]]
    sched = await s.get("/schedule")
    assert sched["version"] == d["published_version"] > s.before["schedule"]["version"]
    queued = {(o["job"], o["op"], m) for m, q in sched["machines"].items() for o in q}
    planned = {(o["job"], o["op"], o["machine"]) for o in d["plan"]["operations"]}
    assert planned and planned <= queued
    assert d["violations"] == [] and d["operations_in_shift"] > 0


async def _job(s: Session, out: dict[str, Any]) -> None:
    assert _data(out)["status"] == (await s.get("/jobs/JOB-0003"))["status"]


async def _late(s: Session, out: dict[str, Any]) -> None:
    jobs = await s.get("/jobs")
    assert _data(out)["late"] == [j["id"] for j in jobs if j["late"] and j["status"] != "complete"]


async def _materials(s: Session, out: dict[str, Any]) -> None:
    mats = await s.get("/materials")
    assert _data(out)["stock"] == {m["id"]: m["stock"] for m in mats}


async def _held_cnc1(s: Session, out: dict[str, Any]) -> None:
    clock = await s.get("/clock")
    ms = (await s.get("/measurements", machine="CNC-1", since_t=clock["t"] - 7200, limit=20000))[
        "measurements"
    ]
    cnc1 = await s.get("/assets/CNC-1")
    expected = {m["lot"] for m in ms}
    if cnc1["current_job"]:
        expected.add((await s.get(f"/jobs/{cnc1['current_job']['job']}"))["lot"])
    held = {x["id"] for x in (await s.get("/lots", on_hold="true"))}
    assert expected and held == expected


async def _released(s: Session, out: dict[str, Any]) -> None:
    assert (await s.get("/lots/LOT-0001"))["on_hold"] is False


async def _held_list(s: Session, out: dict[str, Any]) -> None:
    assert _data(out)["held"] == ["LOT-0001"]


async def _spc(s: Session, out: dict[str, Any]) -> None:
    assert isinstance(_data(out)["in_control"], bool) and _data(out)["characteristics"]


async def _setpoint(s: Session, out: dict[str, Any]) -> None:
    sps = await s.get("/setpoints", asset="CNC-3")
    assert next(x["value"] for x in sps if x["name"] == "spindle_speed") == 7000


INCIDENT = {"scenario": "coolant_pump_failure", "seed": 3, "hours": 8.0}
CASES: dict[str, Case] = {
    "plant_status": Case(read_only(_plant_status)),
    "line_status": Case(read_only(_line_status)),
    "asset_status": Case(read_only(_asset_status)),
    "read_sensor": Case(read_only(_read_sensor)),
    "sensor_trend": Case(read_only(_sensor_trend)),
    "explain": Case(read_only(_explain), setup=_hold_lot_1),
    "handover_report": Case(read_only(_handover)),
    "incident_replay": Case(read_only(_replay), setup=_record_incident, **INCIDENT),  # type: ignore[arg-type]
    "list_alarms": Case(read_only(_list_alarms), **INCIDENT),  # type: ignore[arg-type]
    "acknowledge_alarms": Case(_acked, hours=6.0),
    "shelve_alarms": Case(_shelved, hours=6.0),
    "find_root_cause": Case(read_only(_root_cause), **INCIDENT),  # type: ignore[arg-type]
    "respond_incident": Case(_responded, **INCIDENT),  # type: ignore[arg-type]
    "create_work_order": Case(_wo("CNC-3", priority=2)),
    "list_work_orders": Case(read_only()),
    "assign_work_order": Case(_wo("GRD-2", technician="T-01")),
    "diagnose": Case(read_only(_diagnose)),
    "stop_machine": Case(_mode("CNC-3", "stopped"), critical=True),
    "start_machine": Case(_mode("PRS-1", "auto"), setup=_stop_prs1, critical=True),
    "list_technicians": Case(read_only(_technicians)),
    "spare_parts": Case(read_only(_parts)),
    "show_schedule": Case(read_only(_schedule)),
    "move_jobs": Case(_moved),
    "plan_shift": Case(_shift_planned),
    "job_status": Case(read_only(_job)),
    "late_jobs": Case(read_only(_late), hours=12.0),
    "material_stock": Case(read_only(_materials)),
    "hold_lots": Case(_held_cnc1),
    "release_lot": Case(_released, setup=_hold_lot_1, critical=True),
    "list_held_lots": Case(read_only(_held_list), setup=_hold_lot_1),
    "spc_check": Case(read_only(_spc), hours=6.0),
    "set_setpoint": Case(_setpoint, critical=True),
}


def test_every_intent_has_a_case() -> None:
    assert set(CASES) == {i.name for i in INTENTS}
    assert len(INTENTS) >= 25
    owners = {i.owner for i in INTENTS}
    assert owners == {"supervisor", "alarm_triage", "maintenance", "scheduling", "quality"}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("intent", list(INTENTS), ids=[i.name for i in INTENTS])
def test_catalogue_example(
    intent: Any, lang: str, redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[intent.name]
    # "Handle the incident" runs the scheduling specialist's CP-SAT repair: a 2 s budget instead of
    # 10 s keeps the suite quick, and the end state checked here does not depend on the schedule.
    fast = functools.partial(
        scheduling.scheduling_agent, policy=scheduling.SchedulingPolicy(time_limit_s=2.0)
    )
    monkeypatch.setattr(scheduling, "scheduling_agent", fast)
    text = intent.en if lang == "en" else intent.zh

    async def go() -> None:
        async with session(
            redis_url, key_prefix, seed=case.seed, scenario=case.scenario, hours=case.hours
        ) as s:
            if case.setup is not None:
                await case.setup(s)
            s.before = await s.state()
            out = await s.ask(text)
            assert out["lang"] == lang
            assert out["plan"] and intent.name in [st["intent"] for st in out["plan"]], out
            if case.critical:
                assert out["status"] == "awaiting_approval", out["text"]
                pending = out["pending_approvals"]
                assert len(pending) == 1 and pending[0]["risk"] == "critical"
                assert await s.state() == s.before
                out = await s.approve()
            assert out["status"] == "completed", out["text"]
            await case.check(s, out)

    asyncio.run(go())
