"""The scheduling specialist on the machine-breakdown scenario: a valid repaired schedule is published."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import JsonValue

from agents._decision import Decision
from agents._scheduling_agent import SchedulingPolicy, scheduling_agent
from agents._scheduling_validate import validate
from agents._specialist import findings_of
from sandbox_plant import Plant, create_app, ground_truth
from tools import PlantClient, PlantClientConfig

from .support import RecordingAct

SEEDS = (0, 1, 2, 3, 4)
POLICY = SchedulingPolicy(time_limit_s=3.0)


@dataclass
class Situation:
    run_id: str = "run-s"
    trigger: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, JsonValue] = field(default_factory=dict)


@dataclass
class Outcome:
    decision: Decision
    act: RecordingAct
    before: dict[str, Any]
    after: dict[str, Any]
    jobs_before: list[dict[str, Any]]
    jobs_after: list[dict[str, Any]]
    root: str
    findings: dict[str, JsonValue]


async def _run(seed: int, findings: dict[str, JsonValue] | None = None) -> Outcome:
    truth = ground_truth("machine_breakdown", seed)
    root = truth["root_cause"][0]
    plant = Plant(seed=seed, scenario="machine_breakdown")
    plant.advance(truth["onset_t"] + 600.0)
    transport = httpx.ASGITransport(app=create_app(plant))
    async with (
        PlantClient(PlantClientConfig(base_url="http://plant", backoff_s=0.0), transport=transport) as client,
        httpx.AsyncClient(transport=transport, base_url="http://plant") as raw,
    ):
        before, jobs_before = (await raw.get("/schedule")).json(), (await raw.get("/jobs")).json()
        act = RecordingAct(client, "run-s")
        situation = Situation(findings=findings or {})
        decision = await scheduling_agent(client, act, situation, policy=POLICY)
        after, jobs_after = (await raw.get("/schedule")).json(), (await raw.get("/jobs")).json()
    return Outcome(decision, act, before, after, jobs_before, jobs_after, root, situation.findings)


@pytest.mark.parametrize("seed", SEEDS)
def test_breakdown_schedule_avoids_the_broken_machine(seed: int) -> None:
    repair_end_t = 30000.0 + 1000.0 * seed
    truth = ground_truth("machine_breakdown", seed)
    root = truth["root_cause"][0]
    o = asyncio.run(_run(seed, {"down_machines": [{"machine": root, "repair_end_t": repair_end_t}]}))
    assert o.after["version"] == o.before["version"] + 1
    assert o.act.calls == [("publish_schedule", "write")]
    # nothing pending on the broken machine before its repair ends
    for op in o.after["machines"][root]:
        assert op["status"] in ("pending", "paused")
        assert op["planned_start_t"] >= repair_end_t
    assert o.after["unscheduled"] == []
    # started operations did not move
    running = {
        (j["id"], op["index"]): op["machine"]
        for j in o.jobs_before
        for op in j["ops"]
        if op["status"] in ("running", "done")
    }
    now = {(j["id"], op["index"]): op["machine"] for j in o.jobs_after for op in j["ops"]}
    assert all(now[k] == m for k, m in running.items())
    # the jobs queued on the broken machine before its repair are listed as moved
    sc = findings_of(o.decision)["schedule_changes"]
    assert isinstance(sc, dict) and isinstance(sc["moved_jobs"], list)
    were_on_root = {
        op["job"]
        for op in o.before["machines"][root]
        if op["status"] in ("pending", "paused") and (op["planned_start_t"] or 0.0) < repair_end_t
    }
    assert were_on_root <= set(sc["moved_jobs"])  # type: ignore[arg-type]
    assert sc["downtimes"] and sc["downtimes"][0]["machine"] == root  # type: ignore[index]


def test_published_schedule_passes_the_validator_and_down_state_is_read_from_the_plant() -> None:
    # no findings: the agent reads the down machine from the asset state
    o = asyncio.run(_run(SEEDS[0]))
    sc = findings_of(o.decision)["schedule_changes"]
    assert isinstance(sc, dict)
    (down,) = sc["downtimes"]  # type: ignore[misc]
    assert down["machine"] == o.root
    assert o.decision.tool_calls[0].tool == "publish_schedule"
    assert o.decision.tool_calls[0].risk == "write"
    found = findings_of(o.decision)
    assert found["schedule_version"] == o.after["version"] and "root_category" not in found
    for op in o.after["machines"][o.root]:
        assert op["planned_start_t"] >= down["until_t"]


def test_validator_accepts_the_solution() -> None:
    from agents._scheduling import solve
    from agents._scheduling_agent import build_problem
    from agents._scheduling_model import Objective
    from tools import Asset, Clock, Job, Schedule, WorkOrder

    seed = SEEDS[1]
    truth = ground_truth("machine_breakdown", seed)
    plant = Plant(seed=seed, scenario="machine_breakdown")
    plant.advance(truth["onset_t"] + 600.0)

    async def read() -> tuple[Clock, list[Job], Schedule, list[Asset], list[WorkOrder]]:
        transport = httpx.ASGITransport(app=create_app(plant))
        async with httpx.AsyncClient(transport=transport, base_url="http://plant") as raw:
            clock = Clock.model_validate((await raw.get("/clock")).json())
            jobs = [Job.model_validate(j) for j in (await raw.get("/jobs")).json()]
            sched = Schedule.model_validate((await raw.get("/schedule")).json())
            assets = [Asset.model_validate(a) for a in (await raw.get("/assets")).json()]
        return clock, jobs, sched, [a for a in assets if a.id in sched.machines], []

    clock, jobs, sched, machines, orders = asyncio.run(read())
    built = build_problem(clock, jobs, sched, machines, orders, {}, POLICY)
    result = solve(built.problem, objective=Objective.REPAIR, time_limit_s=3.0)
    assert result.schedule is not None
    assert validate(built.problem, result.schedule) == []
    root = truth["root_cause"][0]
    (down,) = built.problem.downtimes
    assert down.machine == root
    for op in result.schedule.operations:
        if op.machine == root and (op.job, op.index) not in {(f.job, f.index) for f in built.problem.fixed}:
            assert op.start >= down.end
