"""The scheduling specialist's explicit conflicts: a maintenance window against the published schedule.

A work order with a window on a machine whose planned operations overlap it is a conflict that
`resolve_conflict` decides by safety > quality > delivery > cost: maintenance claims safety for
corrective or emergency work, quality for an inspection, cost for preventive work; scheduling
claims delivery. The winner is checked in the decision (`conflicts`, with its reason), in the
schedule the plant publishes (GET /schedule) and in what the plant then runs (GET /events).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import JsonValue

from agents._decision import ConflictResolution, Decision
from agents._scheduling_agent import SchedulingPolicy, build_problem, scheduling_agent
from agents._specialist import Situation, findings_of
from sandbox_plant import create_app
from tools import (
    ListAssetsArgs,
    ListJobsArgs,
    ListWorkOrdersArgs,
    NoArgs,
    PlantClient,
    PlantClientConfig,
    Risk,
    find_tool,
    get_clock,
    get_schedule,
    list_assets,
    list_jobs,
    list_work_orders,
)

from .support import RecordingAct

SEED = 0
START_S = 1800.0
"""The plant runs half an hour on its initial schedule before the work order comes in."""
MACHINE = "CNC-1"
WINDOW = (3600.0, 18000.0)
"""After the operation running on CNC-1 at START_S ends (about t=3000 s), over two queued ones."""
POLICY = SchedulingPolicy(time_limit_s=2.0)
RULE = "safety > quality > delivery > cost"


@dataclass
class Outcome:
    decision: Decision
    calls: list[tuple[str, Risk]]
    work_order: dict[str, Any]
    """The work order as GET /work-orders/{id} shows it."""
    before: dict[str, Any]
    after: dict[str, Any]
    """GET /schedule before and after the specialist ran."""
    later: list[dict[str, Any]]
    """Events from publication until the window's end (plus ten minutes)."""


def _order(wo_type: str, window: tuple[float, float], *, lockout: bool = True) -> dict[str, JsonValue]:
    return {
        "asset": MACHINE,
        "type": wo_type,
        "priority": 2,
        "description": f"{wo_type} on {MACHINE}: spindle check",
        "lockout": lockout,
        "estimated_h": 2.0,
        "window_start_t": window[0],
        "window_end_t": window[1],
        "by": "maintenance",
    }


async def _drive(order: dict[str, JsonValue], *, window_end: float) -> Outcome:
    transport = httpx.ASGITransport(app=create_app(seed=SEED, scenario=None))
    async with (
        PlantClient(PlantClientConfig(base_url="http://plant", backoff_s=0.0), transport=transport) as client,
        httpx.AsyncClient(transport=transport, base_url="http://plant") as raw,
    ):
        await raw.post("/clock/advance", json={"seconds": START_S})
        made = await find_tool("create_work_order").invoke(client, order, idempotency_key="run-c:wo")
        wo_id = getattr(made, "id", None)
        assert isinstance(wo_id, str)
        work_order = (await raw.get(f"/work-orders/{wo_id}")).json()
        before = (await raw.get("/schedule")).json()
        act = RecordingAct(client, "run-c")
        trigger: dict[str, JsonValue] = {"type": "work_order.created", "work_order": wo_id, "asset": MACHINE}
        decision = await scheduling_agent(
            client, act, Situation(run_id="run-c", trigger=trigger), policy=POLICY
        )
        after = (await raw.get("/schedule")).json()
        cursor = (await raw.post("/clock/advance", json={"seconds": 0})).json()["next_event_seq"] - 1
        clock = (await raw.get("/clock")).json()
        await raw.post("/clock/advance", json={"seconds": window_end + 600.0 - clock["t"]})
        later = (await raw.get("/events", params={"since": cursor, "limit": 10000})).json()["events"]
    return Outcome(decision, act.calls, work_order, before, after, later)


def _overlaps(op: Mapping[str, Any], window: tuple[float, float]) -> bool:
    start = op["planned_start_t"]
    return start is not None and start < window[1] and window[0] < start + op["nominal_duration_s"]


def _queued_in(schedule: Mapping[str, Any], window: tuple[float, float]) -> set[tuple[str, int]]:
    """(job, op) of the operations not yet started that the schedule plans on MACHINE inside the window."""
    return {
        (op["job"], op["op"])
        for op in schedule["machines"][MACHINE]
        if op["status"] in ("pending", "paused") and _overlaps(op, window)
    }


def _started_on_machine(later: list[dict[str, Any]], window: tuple[float, float]) -> list[tuple[str, int]]:
    return [
        (e["job"], e["op"])
        for e in later
        if e["type"] == "job.op_started" and e["machine"] == MACHINE and window[0] <= e["t"] < window[1]
    ]


def _only(conflicts: tuple[ConflictResolution, ...]) -> ConflictResolution:
    assert len(conflicts) == 1, conflicts
    return conflicts[0]


def _downtimes(decision: Decision) -> list[dict[str, Any]]:
    sc = findings_of(decision)["schedule_changes"]
    assert isinstance(sc, dict) and isinstance(sc["downtimes"], list)
    return [d for d in sc["downtimes"] if isinstance(d, dict)]


def test_a_locked_out_corrective_window_wins_over_the_schedule() -> None:
    o = asyncio.run(_drive(_order("CM", WINDOW), window_end=WINDOW[1]))
    # the premise: the window is on the work order and the schedule in force needs the machine in it
    assert o.work_order["window_start"] and o.work_order["window_end"] and o.work_order["lockout"] is True
    needed = _queued_in(o.before, WINDOW)
    assert needed, "the initial schedule plans nothing on the machine in the window"

    c = _only(o.decision.conflicts)
    assert (c.winner, c.losers, c.rule) == ("maintenance", ("scheduling",), RULE)
    assert c.resource == f"machine {MACHINE} from t={WINDOW[0]:.0f} s to t={WINDOW[1]:.0f} s"
    assert "safety outranks delivery" in c.rationale
    assert o.work_order["id"] in c.rationale and o.work_order["description"] in c.rationale
    assert all(job in c.rationale for job, _ in needed)

    # published: nothing of the machine planned in the window, every operation still scheduled
    assert o.calls == [("publish_schedule", "write")]
    assert o.after["version"] == o.before["version"] + 1
    assert findings_of(o.decision)["schedule_version"] == o.after["version"]
    assert o.after["unscheduled"] == []
    assert not [op for op in o.after["machines"][MACHINE] if _overlaps(op, WINDOW) and op["status"] != "done"]
    (down,) = _downtimes(o.decision)
    assert (down["machine"], down["from_t"], down["until_t"]) == (MACHINE, WINDOW[0], WINDOW[1])
    assert o.work_order["id"] in down["reason"]
    assert "1 machine window(s) avoided" in o.decision.summary
    # ... and the plant starts nothing on it while the window lasts
    assert _started_on_machine(o.later, WINDOW) == []


def test_a_preventive_window_yields_to_delivery_and_the_machine_keeps_its_work() -> None:
    o = asyncio.run(_drive(_order("PM", WINDOW), window_end=WINDOW[1]))
    needed = _queued_in(o.before, WINDOW)
    assert needed

    c = _only(o.decision.conflicts)
    assert (c.winner, c.losers, c.rule) == ("scheduling", ("maintenance",), RULE)
    assert "delivery outranks cost" in c.rationale
    assert f"{len(needed)} planned operation(s)" in c.rationale
    assert o.work_order["id"] in c.rationale  # what yielded is named too

    # no downtime: the operations that needed the machine in the window stay there
    assert o.calls == [("publish_schedule", "write")]
    assert _downtimes(o.decision) == []
    assert "0 machine window(s) avoided" in o.decision.summary
    assert _queued_in(o.after, WINDOW) == needed
    started = _started_on_machine(o.later, WINDOW)
    assert started and set(started) <= needed


def _gap(schedule: Mapping[str, Any]) -> tuple[float, float]:
    """A window of at least 30 min, on whole minutes, between two operations queued on MACHINE."""
    queue = [op for op in schedule["machines"][MACHINE] if op["status"] == "pending"]
    for first, second in zip(queue, queue[1:], strict=False):
        start = (first["planned_start_t"] + first["nominal_duration_s"]) // 60 * 60 + 600.0
        end = second["planned_start_t"] // 60 * 60 - 600.0
        if end - start >= 1800.0:
            return start, end
    raise AssertionError(f"no gap of 50 min between the operations on {MACHINE}")


async def _initial_schedule() -> dict[str, Any]:
    transport = httpx.ASGITransport(app=create_app(seed=SEED, scenario=None))
    async with httpx.AsyncClient(transport=transport, base_url="http://plant") as raw:
        await raw.post("/clock/advance", json={"seconds": START_S})
        schedule: dict[str, Any] = (await raw.get("/schedule")).json()
    return schedule


def test_a_window_between_planned_operations_is_no_conflict_but_still_kept_free() -> None:
    window = _gap(asyncio.run(_initial_schedule()))
    o = asyncio.run(_drive(_order("CM", window), window_end=window[1]))
    assert _queued_in(o.before, window) == set()
    assert o.decision.conflicts == ()
    # nothing to contest, so the window simply stands: the solver may not fill it
    (down,) = _downtimes(o.decision)
    assert (down["machine"], down["from_t"], down["until_t"]) == (MACHINE, window[0], window[1])
    assert o.calls == [("publish_schedule", "write")]
    assert not [op for op in o.after["machines"][MACHINE] if _overlaps(op, window) and op["status"] != "done"]
    assert _started_on_machine(o.later, window) == []


@pytest.mark.parametrize(
    ("wo_type", "lockout", "winner", "why"),
    [
        ("EM", True, "maintenance", "safety outranks delivery"),
        ("CM", False, "maintenance", "safety outranks delivery"),
        ("INSP", False, "maintenance", "quality outranks delivery"),
        ("PM", True, "scheduling", "delivery outranks cost"),
        ("PdM", True, "scheduling", "delivery outranks cost"),
    ],
)
def test_who_gets_the_machine_follows_the_concern_of_the_work_type(
    wo_type: str, lockout: bool, winner: str, why: str
) -> None:
    """The problem the specialist builds (no solve): the claim of each work type, by the fixed rule."""

    async def build() -> tuple[ConflictResolution, ...]:
        transport = httpx.ASGITransport(app=create_app(seed=SEED, scenario=None))
        async with (
            PlantClient(PlantClientConfig(base_url="http://plant"), transport=transport) as client,
            httpx.AsyncClient(transport=transport, base_url="http://plant") as raw,
        ):
            await raw.post("/clock/advance", json={"seconds": START_S})
            await find_tool("create_work_order").invoke(
                client, _order(wo_type, WINDOW, lockout=lockout), idempotency_key="run-c:wo"
            )
            current = await get_schedule(client, NoArgs())
            machines = [
                a
                for a in (await list_assets(client, ListAssetsArgs(category="machine"))).assets
                if a.id in current.machines
            ]
            built = build_problem(
                await get_clock(client, NoArgs()),
                (await list_jobs(client, ListJobsArgs())).jobs,
                current,
                machines,
                (await list_work_orders(client, ListWorkOrdersArgs(status="open"))).work_orders,
                {},
                POLICY,
            )
            downs = [d for d in built.problem.downtimes if d.machine == MACHINE]
            assert len(downs) == (1 if winner == "maintenance" else 0)
            return built.conflicts

    c = _only(asyncio.run(build()))
    assert c.winner == winner and why in c.rationale
    assert c.losers == (("scheduling",) if winner == "maintenance" else ("maintenance",))


def test_a_window_that_starts_while_an_operation_runs_still_gets_a_schedule() -> None:
    # CNC-1 runs JOB-0004 op 0 until about t=3000 s; a corrective window from now on
    window = (START_S, 9000.0)
    o = asyncio.run(_drive(_order("CM", window), window_end=window[1]))
    assert _only(o.decision.conflicts).winner == "maintenance"
    assert o.calls == [("publish_schedule", "write")]
    assert o.after["version"] == o.before["version"] + 1
    assert _queued_in(o.after, window) == set()
