"""Material shortages: the pure analysis on small hand-made plants, and the scheduling specialist's
material path on the sandbox's `material_shortage` scenario."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import httpx
import pytest
from pydantic import JsonValue

from agents._decision import Decision
from agents._materials import (
    MaterialUse,
    Supply,
    analyse,
    find_shortages,
    material_uses,
    plan_release,
    shortage_asked,
)
from agents._scheduling_agent import SchedulingPolicy, scheduling_agent
from agents._specialist import Situation, findings_of
from sandbox_plant import create_app, ground_truth
from tools import Clock, Job, Material, PlantClient, PlantClientConfig, Risk, Schedule

from .support import RecordingAct

# -- the analysis on hand-made inputs ----------------------------------------------------------------
RESET = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
CLOCK = Clock(t=3600.0, time=(RESET + timedelta(hours=1)).isoformat(), shift="A", sample_period_s=10.0)
USES = {
    "GEAR": MaterialUse(material="MAT-B", per_part=1.0),
    "BRKT": MaterialUse(material="MAT-S", per_part=0.5),
}


def iso(t: float) -> str:
    return (RESET + timedelta(seconds=t)).isoformat()


def job(jid: str, qty: int, planned: float | None, *, product: str = "GEAR", waiting: bool = False) -> Job:
    op0 = {
        "index": 0,
        "type": "press",
        "machine": None if planned is None else "P",
        "status": "pending",
        "planned_start_t": planned,
        "start_time": None,
        "end_time": None,
        "expected_end_time": None,
        "nominal_duration_s": 600.0,
    }
    return Job.model_validate(
        {
            "id": jid,
            "product": product,
            "qty": qty,
            "lot": jid.replace("J", "L"),
            "status": "released",
            "release_time": iso(0),
            "due_time": iso(86400),
            "due_t": 86400.0,
            "completed_time": None,
            "late": False,
            "waiting_material": waiting,
            "ops": [op0],
        }
    )


def schedule(queues: Mapping[str, list[tuple[str, int, float]]]) -> Schedule:
    machines = {
        m: [
            {"job": j, "op": k, "status": "pending", "planned_start_t": t, "nominal_duration_s": 600.0}
            for j, k, t in q
        ]
        for m, q in queues.items()
    }
    return Schedule.model_validate(
        {"version": 1, "published_time": iso(0), "machines": machines, "unscheduled": []}
    )


def material(
    stock: float, delivery_t: float, qty: float, *, mid: str = "MAT-B", demand: float = 0.0
) -> Material:
    return Material(
        id=mid,
        name="Gear blank",
        unit="pcs",
        stock=stock,
        open_demand=demand,
        next_delivery_time=iso(delivery_t),
        next_delivery_qty=qty,
    )


JOBS = [job("J1", 60, 4000.0), job("J2", 50, 5000.0), job("J3", 30, 6000.0), job("J4", 40, 90000.0)]
QUEUES = {
    "P1": [("J1", 0, 4000.0), ("J2", 0, 5000.0)],
    "P2": [("J3", 0, 6000.0), ("J4", 0, 90000.0)],
    "P3": [("J9", 1, 3000.0)],
}


def test_material_uses_learns_products_from_waiting_events() -> None:
    jobs = [*JOBS, job("J5", 40, None, product="BRKT")]
    events: list[dict[str, JsonValue]] = [
        {"type": "job.waiting_material", "job": "J2", "material": "MAT-B", "needed": 50, "in_stock": 10},
        {"type": "job.waiting_material", "job": "J5", "material": "MAT-S", "needed": 20, "in_stock": 0},
        {"type": "job.op_started", "job": "J1", "material": "MAT-X"},
        {"type": "job.waiting_material", "job": "J-UNKNOWN", "material": "MAT-X", "needed": 1},
    ]
    assert material_uses(events, jobs) == {
        "GEAR": MaterialUse(material="MAT-B", per_part=1.0),
        "BRKT": MaterialUse(material="MAT-S", per_part=0.5),
    }


def test_stock_goes_to_jobs_in_planned_order_and_the_rest_wait_for_the_delivery() -> None:
    s = analyse(material(100, 50000, 60), JOBS, schedule(QUEUES), USES, CLOCK)
    supply = {d.job: d.supply for d in s.jobs}
    # J1 (60) fits, J2 (50) does not, the smaller J3 (30) still does; J2 fits the delivery, J4 not
    assert supply == {"J1": Supply.STOCK, "J2": Supply.DELIVERY, "J3": Supply.STOCK, "J4": Supply.LATER}
    assert s.short and s.needed == 140 and s.delivery_t == pytest.approx(50000)
    assert [d.job for d in s.lacking] == ["J2", "J4"]
    # P1 reaches J2 before the delivery; J4 on P2 is planned after it
    assert s.machines == ("P1",) and s.lots == ("L2",)
    (st,) = s.starved
    assert not st.now and st.from_t == 5000.0
    assert "short by 40 pcs" in s.explanation[0]
    assert any("P1 would starve from t=5000 s" in line for line in s.explanation)


def test_a_waiting_job_at_the_head_starves_its_machine_now() -> None:
    jobs = [job("J1", 60, 3000.0, waiting=True), job("J2", 10, 3500.0)]
    s = analyse(
        material(20, 50000, 500), jobs, schedule({"P1": [("J1", 0, 3000.0), ("J2", 0, 3500.0)]}), USES, CLOCK
    )
    assert [d.job for d in s.lacking] == ["J1"]
    (st,) = s.starved
    assert st.now and st.machine == "P1" and st.job == "J1" and st.from_t == CLOCK.t
    assert s.lots == ("L1",)
    assert any(line.startswith("P1 is starving: J1 (L1)") for line in s.explanation)
    found = s.findings()
    assert found["root_cause"] == ["MAT-B"] and found["root_category"] == "material"
    assert found["affected_assets"] == ["P1"] and found["affected_lots"] == ["L1"]
    detail = found["material_shortage"]
    assert isinstance(detail, dict) and detail["in_stock"] == 20 and detail["needed"] == 70
    listed = detail["jobs"]
    assert isinstance(listed, list) and [j["job"] for j in listed if isinstance(j, dict)] == ["J1"]


def test_enough_stock_is_no_shortage() -> None:
    s = analyse(material(200, 50000, 60), JOBS, schedule(QUEUES), USES, CLOCK)
    assert not s.short and s.machines == () and s.lots == ()
    assert [d.job for d in s.lacking] == []
    assert find_shortages([material(200, 50000, 60)], JOBS, schedule(QUEUES), USES, CLOCK) == []
    # a material no known product uses is not judged
    assert find_shortages([material(0, 50000, 60, mid="MAT-Z")], JOBS, schedule(QUEUES), USES, CLOCK) == []


def test_open_demand_from_unknown_products_is_pointed_out() -> None:
    s = analyse(material(100, 50000, 60, demand=400), JOBS, schedule(QUEUES), USES, CLOCK)
    assert "220 pcs more than the jobs of the products known to use it" in s.explanation[-1]


def test_plan_holds_what_the_delivery_covers_and_leaves_out_the_rest() -> None:
    s = analyse(material(100, 50000, 60), JOBS, schedule(QUEUES), USES, CLOCK)
    plan = plan_release(s, now_t=CLOCK.t, margin_s=900, horizon_s=72 * 3600)
    assert plan.held == ("J2",) and plan.left_out == ("J4",) and plan.release_t == 50900
    assert plan.left_out_reason is not None and "next delivery" in plan.left_out_reason
    assert "J2 cannot start before the delivery" in plan.note(s) and "Left out" in plan.note(s)
    far = plan_release(s, now_t=CLOCK.t, margin_s=900, horizon_s=3600)
    assert far.held == () and far.left_out == ("J2", "J4") and far.release_t is None
    assert far.left_out_reason is not None and "more than 1 h away" in far.left_out_reason


def test_shortage_asked_reads_the_trigger_then_the_findings() -> None:
    waiting: dict[str, JsonValue] = {"type": "job.waiting_material", "material": "MAT-B", "job": "J1"}
    assert shortage_asked(waiting, {}) == "MAT-B"
    assert shortage_asked({"type": "job.waiting_material"}, {}) == ""
    assert shortage_asked({}, {"material_shortage": {"material": "MAT-S"}}) == "MAT-S"
    assert shortage_asked({}, {"material_shortage": "MAT-S"}) == "MAT-S"
    assert shortage_asked({}, {"material_shortage": True}) == ""
    assert shortage_asked({"type": "asset.mode"}, {"down_machines": []}) is None


# -- the scheduling specialist on the sandbox ----------------------------------------------------------
SEEDS = tuple(range(10))
POLICY = SchedulingPolicy(time_limit_s=2.0, material_horizon_h=72.0)
"""A 72 h plan horizon takes the sandbox's 36 h delivery into the plan (the default one-day plan
leaves those jobs out, which `test_default_one_day_plan_leaves_the_short_jobs_out` checks)."""
WATCH_S = 8 * 3600.0
"""How long the plant runs on after the new schedule is published."""


@dataclass
class Outcome:
    trigger: dict[str, Any]
    decision: Decision
    calls: list[tuple[str, Risk]]
    waiting_lots: set[str]
    before: dict[str, Any]
    after: dict[str, Any]
    jobs_after: dict[str, dict[str, Any]]
    later: list[dict[str, Any]]
    """Events of the `WATCH_S` after publication."""


async def _first_wait(raw: httpx.AsyncClient) -> dict[str, Any]:
    cursor = 0
    for _ in range(200):
        await raw.post("/clock/advance", json={"seconds": 600})
        page = (await raw.get("/events", params={"since": cursor, "limit": 10000})).json()
        cursor = page["next_cursor"]
        for e in page["events"]:
            if e["type"] == "job.waiting_material":
                return dict(e)
    raise AssertionError("no job.waiting_material event in 33 h")


async def _drive(seed: int, *, policy: SchedulingPolicy = POLICY, via_findings: bool = False) -> Outcome:
    transport = httpx.ASGITransport(app=create_app(seed=seed, scenario="material_shortage"))
    async with (
        PlantClient(PlantClientConfig(base_url="http://plant", backoff_s=0.0), transport=transport) as client,
        httpx.AsyncClient(transport=transport, base_url="http://plant") as raw,
    ):
        trigger = await _first_wait(raw)
        jobs = (await raw.get("/jobs")).json()
        waiting = {j["lot"] for j in jobs if j["waiting_material"]}
        before = (await raw.get("/schedule")).json()
        act = RecordingAct(client, "run-m")
        if via_findings:
            situation = Situation(
                run_id="run-m", findings={"material_shortage": {"material": trigger["material"]}}
            )
        else:
            situation = Situation(run_id="run-m", trigger=trigger)
        decision = await scheduling_agent(client, act, situation, policy=policy)
        after = (await raw.get("/schedule")).json()
        jobs_after = {j["id"]: j for j in (await raw.get("/jobs")).json()}
        cursor = (await raw.post("/clock/advance", json={"seconds": 0})).json()["next_event_seq"] - 1
        await raw.post("/clock/advance", json={"seconds": WATCH_S})
        later = (await raw.get("/events", params={"since": cursor, "limit": 10000})).json()["events"]
    return Outcome(trigger, decision, act.calls, waiting, before, after, jobs_after, later)


@cache
def _outcome(seed: int) -> Outcome:
    return asyncio.run(_drive(seed))


@cache
def _truth(seed: int) -> dict[str, Any]:
    return ground_truth("material_shortage", seed)


def _shortage(o: Outcome) -> dict[str, Any]:
    ms = findings_of(o.decision)["material_shortage"]
    assert isinstance(ms, dict)
    return ms


@pytest.mark.parametrize("seed", SEEDS)
def test_root_cause_starved_machines_and_lots_match_the_ground_truth(seed: int) -> None:
    o, truth = _outcome(seed), _truth(seed)
    f = findings_of(o.decision)
    assert f["root_cause"] == truth["root_cause"] == [o.trigger["material"]]
    assert f["root_category"] == "material"
    lots, assets = f["affected_lots"], f["affected_assets"]
    assert isinstance(lots, list) and isinstance(assets, list)
    assert o.waiting_lots <= set(map(str, lots)) <= set(truth["affected_lots"])
    assert {o.trigger["machine"]} <= set(map(str, assets)) <= set(truth["affected_assets"])
    ms = _shortage(o)
    assert ms["material"] == truth["root_cause"][0] and ms["in_stock"] < ms["needed"]
    assert ms["delivery_t"] is not None and ms["delivery_time"]
    assert o.trigger["job"] in {j["job"] for j in ms["jobs"]}


@pytest.mark.parametrize("seed", SEEDS)
def test_republished_schedule_puts_no_job_lacking_material_at_a_queue_head(seed: int) -> None:
    o = _outcome(seed)
    assert o.calls == [("publish_schedule", "write")]
    assert o.after["version"] == o.before["version"] + 1
    assert findings_of(o.decision)["schedule_version"] == o.after["version"]
    ms = _shortage(o)
    assert ms["material"] in o.after["reason"]
    lacking = {j["job"] for j in ms["jobs"]}
    now_t = o.trigger["t"]
    for machine, queue in o.after["machines"].items():
        # a machine with no other work before the delivery may be headed by a held job: it is not
        # waiting for material then, only for its planned start (the delivery); nothing is behind it
        head = queue[0] if queue else None
        if head is not None and head["op"] == 0 and head["job"] in lacking:
            assert head["planned_start_t"] >= ms["delivery_t"], f"{machine} is headed by {head['job']}"
            assert head["planned_start_t"] > now_t and all(
                op["planned_start_t"] >= head["planned_start_t"] for op in queue
            )
        for op in queue:  # the held jobs start after the delivery, the left-out ones nowhere
            if op["op"] == 0 and op["job"] in lacking:
                assert op["job"] in ms["held_jobs"] and op["planned_start_t"] >= ms["delivery_t"]
    unscheduled = {ref.split("/")[0] for ref in o.after["unscheduled"]}
    assert unscheduled == set(ms["left_out"])
    assert set(ms["held_jobs"]) | set(ms["left_out"]) == lacking


@pytest.mark.parametrize("seed", SEEDS)
def test_after_publication_nothing_waits_for_the_material_and_starved_machines_run(seed: int) -> None:
    o = _outcome(seed)
    ms = _shortage(o)
    end_t = o.trigger["t"] + WATCH_S + 600
    assert end_t < ms["delivery_t"]
    waits = [e for e in o.later if e["type"] == "job.waiting_material" and e["material"] == ms["material"]]
    assert waits == []
    lacking = {j["job"] for j in ms["jobs"]}
    started = {(e["machine"], e["job"], e["op"]) for e in o.later if e["type"] == "job.op_started"}
    assets = findings_of(o.decision)["affected_assets"]
    assert isinstance(assets, list)
    for machine in map(str, assets):
        # the first operation planned there that has material and is due well inside the watch
        due = [
            op
            for op in o.after["machines"][machine]
            if op["status"] == "pending"
            and op["job"] not in lacking
            and (op["planned_start_t"] or 0.0) < end_t - 2 * 3600
        ]
        if due:
            assert (machine, due[0]["job"], due[0]["op"]) in started, f"{machine} did not run {due[0]['job']}"


def test_decision_reads_like_a_planners_note() -> None:
    o = _outcome(SEEDS[0])
    ms = _shortage(o)
    d = o.decision
    assert d.summary.startswith(f"Re-planned around the {ms['material']} shortage")
    assert "wait for the delivery" in d.summary and d.tool_calls[0].tool == "publish_schedule"
    assert "is short" in d.rationale and "cannot start before the delivery" in d.rationale
    assert ms["explanation"] and ms["held_until_t"] >= ms["delivery_t"]


def test_jobs_the_delivery_does_not_cover_are_left_out_with_a_reason() -> None:
    o = _outcome(4)  # 911 pcs short, a delivery of 700
    ms = _shortage(o)
    assert ms["left_out"] and "next delivery covers them" in ms["left_out_reason"]
    assert "Left out" in o.after["reason"]


def test_a_delivery_beyond_the_horizon_leaves_every_lacking_job_out() -> None:
    o = asyncio.run(_drive(3, policy=SchedulingPolicy(time_limit_s=2.0, material_horizon_h=12.0)))
    ms = _shortage(o)
    assert ms["held_jobs"] == [] and ms["left_out"] == [j["job"] for j in ms["jobs"]]
    assert "more than 12 h away" in ms["left_out_reason"]
    assert {ref.split("/")[0] for ref in o.after["unscheduled"]} == set(ms["left_out"])


def test_findings_alone_start_the_material_path() -> None:
    o = asyncio.run(_drive(9, via_findings=True))
    f = findings_of(o.decision)
    assert f["root_cause"] == _truth(9)["root_cause"]
    assert o.calls == [("publish_schedule", "write")]


@pytest.mark.parametrize(
    ("material", "why"),
    [("MAT-NOPE", "not a material of the plant"), ("MAT-BAR-42", "no job.waiting_material event names")],
)
def test_nothing_is_republished_without_a_shortage_to_act_on(material: str, why: str) -> None:
    async def run() -> tuple[Decision, list[tuple[str, Risk]]]:
        transport = httpx.ASGITransport(app=create_app(seed=0, scenario="material_shortage"))
        async with PlantClient(PlantClientConfig(base_url="http://plant"), transport=transport) as client:
            act = RecordingAct(client, "run-m")
            situation = Situation(run_id="run-m", findings={"material_shortage": {"material": material}})
            return await scheduling_agent(client, act, situation, policy=POLICY), act.calls

    decision, calls = asyncio.run(run())
    assert calls == [] and decision.tool_calls == ()
    assert decision.summary.startswith("Schedule not republished") and why in decision.rationale


def test_default_one_day_plan_leaves_the_short_jobs_out() -> None:
    o = asyncio.run(_drive(0, policy=SchedulingPolicy(time_limit_s=2.0)))
    ms = _shortage(o)
    lacking = {j["job"] for j in ms["jobs"] if j["supply"] != "stock"}
    assert lacking and ms["held_jobs"] == [] and set(ms["left_out"]) == lacking
    assert "more than 24 h away" in ms["left_out_reason"]
    assert {ref.split("/")[0] for ref in o.after["unscheduled"]} >= lacking
