"""The shift planning graph on the sandbox plant through its HTTP API, with the plan stored in real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from agents._shift_inputs import gather, plan_facts, shift_window
from agents._shift_model import ShiftPlan, check_plan
from agents._shift_planner import ShiftPolicy, plan_shift
from graphs._shift import run_shift_plan, stored_plan
from plantbrain.state import RedisStore
from sandbox_plant import create_app
from tools import Job, PlantClient, PlantClientConfig
from tools._views_ops import JobOp

POLICY = ShiftPolicy(time_limit_s=5.0)
H = 3600.0


@asynccontextmanager
async def _plant(
    seed: int = 42, scenario: str | None = None
) -> AsyncIterator[tuple[PlantClient, httpx.AsyncClient]]:
    transport = httpx.ASGITransport(app=create_app(seed=seed, scenario=scenario))
    async with (
        PlantClient(PlantClientConfig(base_url="http://plant"), transport=transport) as client,
        httpx.AsyncClient(transport=transport, base_url="http://plant") as http,
    ):
        yield client, http


def _run(fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(fn())


async def _advance(http: httpx.AsyncClient, seconds: float) -> None:
    while seconds > 0:
        step = min(seconds, 3600.0)
        (await http.post("/clock/advance", json={"seconds": step})).raise_for_status()
        seconds -= step


def _t(iso: str | None, epoch: float) -> float | None:
    return None if iso is None else datetime.fromisoformat(iso).timestamp() - epoch


def test_default_plant_shift_plan_is_valid_fast_published_and_stored(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with _plant() as (client, http):
            jobs_before = (await http.get("/jobs")).json()
            started = time.perf_counter()
            with RedisStore.from_url(redis_url, prefix=key_prefix) as store:
                out = await run_shift_plan(client, store=store, policy=POLICY)
                seconds = time.perf_counter() - started
                plan = ShiftPlan.model_validate(out["plan"])
                assert await stored_plan(store, plan.site) == plan
                day = await stored_plan(store, plan.site, "2026-03-02-A")
                assert day == plan
            assert seconds < 30, f"a shift plan took {seconds:.1f} s"
            assert out["status"] == "published" and out["violations"] == []
            assert (plan.shift, plan.start_t, plan.end_t) == ("A", 0.0, 8 * H)
            assert [d["agent"] for d in out["decisions"]] == [
                "maintenance",
                "scheduling",
                "quality",
                "supervisor",
            ]
            # every open order planned, every unfinished operation once
            open_jobs = {j["id"] for j in jobs_before if j["status"] != "complete"}
            assert {op.job for op in plan.operations} == open_jobs and plan.not_planned == ()
            assert len(plan.operations) == sum(
                1 for j in jobs_before for op in j["ops"] if op["status"] != "done" and j["id"] in open_jobs
            )
            assert {t.id for t in plan.technicians} == {"T-01", "T-02", "T-03"}
            # what the plant now holds is the plan
            schedule = (await http.get("/schedule")).json()
            assert schedule["version"] == plan.published_version and schedule["unscheduled"] == []
            planned = {
                (op.job, op.op): (op.machine, op.start_t) for op in plan.operations if op.status == "planned"
            }
            held = {
                (q["job"], q["op"]): (m, q["planned_start_t"])
                for m, queue in schedule["machines"].items()
                for q in queue
                if q["status"] == "pending"
            }
            assert held == planned

    _run(go)


def test_published_plan_runs_with_no_job_on_an_unavailable_machine(redis_url: str, key_prefix: str) -> None:
    """A maintenance window and a planned predictive task: the simulation runs the plan for the whole
    shift and nothing runs on those machines inside them."""

    async def go() -> None:
        async with _plant(scenario="bearing_wear", seed=42) as (client, http):
            await _advance(http, 20 * H)  # 02:00; the next shift is A at 06:00
            window = {"window_start_t": 24 * H + 2 * H, "window_end_t": 24 * H + 4 * H}
            wo = (
                await http.post(
                    "/work-orders",
                    json={
                        "asset": "CNC-1",
                        "type": "PM",
                        "priority": 3,
                        "description": "Planned service",
                        **window,
                    },
                )
            ).json()
            with RedisStore.from_url(redis_url, prefix=key_prefix) as store:
                out = await run_shift_plan(client, store=store, policy=POLICY)
            plan = ShiftPlan.model_validate(out["plan"])
            assert out["status"] == "published", out["violations"]
            assert plan.shift == "A" and plan.start_t == 24 * H
            tasks = {t.asset: t for t in plan.tasks}
            predicted = [t for t in plan.tasks if t.task.startswith("PdM:")]
            assert predicted, "the wear scan's predicted failure gets a task"
            assert tasks["CNC-1"].work_order == wo["id"]
            skills = {t["id"]: (t["shift"], t["skills"]) for t in (await http.get("/technicians")).json()}
            for t in plan.tasks:
                assert skills[t.technician][0] == "A"
                assert t.skill is None or t.skill in skills[t.technician][1]
                assert plan.start_t <= t.start_t < t.end_t <= plan.end_t
            for t in predicted:  # published as a work order with the task's window and technician
                got = (await http.get(f"/work-orders/{t.work_order}")).json()
                assert got["assigned"] == [t.technician] and got["type"] == "PdM"
                assert _t(got["window_start"], plan.epoch_s) == t.start_t
            blocked = [(w.machine, w.start_t, w.end_t) for w in plan.windows]
            assert ("CNC-1", 26 * H, 28 * H) in blocked
            await _advance(http, 12 * H)  # the whole shift and then some
            ran = 0
            for job in (await http.get("/jobs")).json():
                for op in job["ops"]:
                    start, end = _t(op["start_time"], plan.epoch_s), _t(op["end_time"], plan.epoch_s)
                    if start is None or start < plan.start_t:
                        continue
                    ran += 1
                    end = end if end is not None else 36 * H
                    for machine, w0, w1 in blocked:
                        assert not (op["machine"] == machine and start < w1 and w0 < end), (
                            f"{job['id']}/{op['index']} ran on {machine} {start}-{end} inside [{w0}, {w1})"
                        )
            assert ran > 5, [
                (j["id"], o["start_time"]) for j in (await http.get("/jobs")).json() for o in j["ops"]
            ][-8:]

    _run(go)


def test_infeasible_orders_are_listed_and_the_rest_is_planned() -> None:
    async def go() -> None:
        async with _plant() as (client, _):
            inputs = await gather(client, wear=False, watch=False)
        template = inputs.jobs[0]
        laser = template.model_copy(
            update={
                "id": "JOB-9001",
                "ops": [
                    JobOp(
                        index=0,
                        type="laser",
                        machine=None,
                        status="pending",
                        planned_start_t=None,
                        start_time=None,
                        end_time=None,
                        expected_end_time=None,
                        nominal_duration_s=600.0,
                    )
                ],
            }
        )
        overdue = template.model_copy(
            update={"id": "JOB-9002", "due_t": -3600.0, "due_time": "2026-03-02T05:00:00Z"}
        )
        jobs: tuple[Job, ...] = (*inputs.jobs, laser, overdue)
        odd = replace(inputs, jobs=jobs)
        plan = plan_shift(odd, shift_window(odd), policy=POLICY)
        reasons = {n.id: n.reason for n in plan.not_planned}
        assert set(reasons) == {"JOB-9001", "JOB-9002"}
        assert "laser" in reasons["JOB-9001"] and "none" in reasons["JOB-9001"]
        assert "already past" in reasons["JOB-9002"] and "new due date" in reasons["JOB-9002"]
        assert {op.job for op in plan.operations} == {j.id for j in inputs.jobs if j.status != "complete"}
        assert check_plan(plan, plan_facts(odd)) == []
        assert any("JOB-9001" in line for line in plan.rationale)

    _run(go)


def test_a_task_nobody_on_shift_can_do_is_listed() -> None:
    async def go() -> None:
        async with _plant() as (client, http):
            await http.post(
                "/work-orders",
                json={
                    "asset": "CNC-2",
                    "type": "CM",
                    "priority": 2,
                    "description": "Drive fault",
                    "failure_mode": "spindle_motor_failure",
                },
            )
            inputs = await gather(client, wear=False, watch=False)
        night = replace(
            inputs, technicians=tuple(t for t in inputs.technicians if "electrical" not in t.skills)
        )
        plan = plan_shift(night, shift_window(night, "A"), policy=POLICY)
        assert plan.tasks == ()
        (item,) = plan.not_planned
        assert item.kind == "task" and "electrical" in item.reason and "nobody on shift A" in item.reason

    _run(go)


def test_replan_after_a_breakdown_keeps_started_work_and_moves_least(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with _plant(scenario="machine_breakdown", seed=3) as (client, http):
            with RedisStore.from_url(redis_url, prefix=key_prefix) as store:
                first = ShiftPlan.model_validate(
                    (await run_shift_plan(client, store=store, policy=POLICY))["plan"]
                )
                down: list[dict[str, Any]] = []
                for _ in range(8):
                    await _advance(http, H)
                    down = [a for a in (await http.get("/assets")).json() if a["mode"] == "down"]
                    if down:
                        break
                assert down, "the scenario's machine broke down"
                broken = down[0]["id"]
                inputs = await gather(client, wear=False, watch=False)
                fresh = plan_shift(inputs, shift_window(inputs, "A"), policy=POLICY)
                out = await run_shift_plan(client, shift="A", replan=True, store=store, policy=POLICY)
                again = await stored_plan(store, first.site)
            plan = ShiftPlan.model_validate(out["plan"])
            assert out["status"] == "published" and plan.replan_of == first.published_version
            assert again == plan
            now = plan.planned_at_t
            assert not [
                op
                for op in plan.operations
                if op.machine == broken
                and op.status == "planned"
                and any(w.machine == broken and op.start_t < w.end_t for w in plan.windows)
            ]
            running = [op for op in plan.operations if op.status == "running"]
            assert running and all(op.start_t <= now for op in running)
            assert all(op.start_t >= now - 60 for op in plan.operations if op.status == "planned")
            disruption = plan.measures["disruption"]
            assert isinstance(disruption, int) and isinstance(fresh.measures["disruption"], int)
            assert disruption <= fresh.measures["disruption"]
            decision = out["decisions"][1]
            assert decision["agent"] == "scheduling" and "moved" in decision["summary"]
            assert "disruption" in decision["rule"]

    _run(go)


def test_replan_for_a_rush_order_plans_it_and_keeps_started_work(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        async with _plant() as (client, http):
            with RedisStore.from_url(redis_url, prefix=key_prefix) as store:
                first = ShiftPlan.model_validate(
                    (await run_shift_plan(client, store=store, policy=POLICY))["plan"]
                )
                await _advance(http, 2 * H)
                rush = (
                    await http.post(
                        "/jobs",
                        json={"product": "SHAFT-A", "qty": 20, "due_in_h": 5, "by": "erp", "reason": "rush"},
                    )
                ).json()
                assert f"{rush['id']}/0" in (await http.get("/schedule")).json()["unscheduled"]
                before = {
                    (j["id"], op["index"]): op for j in (await http.get("/jobs")).json() for op in j["ops"]
                }
                out = await run_shift_plan(client, shift="A", replan=True, store=store, policy=POLICY)
            plan = ShiftPlan.model_validate(out["plan"])
            assert out["status"] == "published" and plan.replan_of == first.published_version
            assert {op.op for op in plan.operations if op.job == rush["id"]} == {0, 1, 2}
            assert (await http.get("/schedule")).json()["unscheduled"] == []
            for op in plan.operations:
                if op.status == "running":
                    assert before[(op.job, op.op)]["status"] == "running"
                    assert before[(op.job, op.op)]["machine"] == op.machine
            assert plan.measures["late_jobs"] == [] or all(
                isinstance(lj, dict) and lj["job"] != rush["id"]
                for lj in plan.measures["late_jobs"]  # type: ignore[union-attr]
            )
            assert out["decisions"][3]["summary"].startswith("Published the shift A plan (a replan")

    _run(go)


def test_operator_plan_shift_stores_the_plan_and_a_ruled_out_publish_changes_nothing(
    redis_url: str, key_prefix: str
) -> None:
    """ "Plan the next shift" from an operator's task: published through the step's gate and kept in
    the store; "don't publish" / "先不发布" (a prohibition) and "draft" leave the plant as it was."""
    from agents._rules_brain import RulesBrain
    from graphs._ops_run import ask
    from plantbrain.state import RedisSaver

    async def go() -> None:
        async with _plant(seed=5) as (client, http):
            await _advance(http, 3 * H)
            site = (await http.get("/plant")).json()["site"]["id"]
            with (
                RedisSaver.from_url(redis_url, prefix=f"{key_prefix}ps:cp") as saver,
                RedisStore.from_url(redis_url, prefix=f"{key_prefix}ps:store") as store,
            ):
                for i, text in enumerate(
                    (
                        "Plan shift B, but don't publish it",
                        "把B班的生产计划排一下，先不发布",
                        "Draft the plan for the next shift",
                    )
                ):
                    before = (await http.get("/state")).json()
                    out = await ask(
                        client, saver, thread_id=f"ps-{i}", task=text, brain=RulesBrain(), store=store
                    )
                    assert out["status"] == "completed", out["text"]
                    (step,) = out["steps"]
                    assert step["intent"] == "plan_shift" and step["status"] == "nothing_to_do", step
                    assert step["data"]["status"] in ("declined", "planned"), step["data"]
                    assert (await http.get("/state")).json() == before
                    assert await stored_plan(store, site) is None
                    assert ("发布" if i == 1 else "publish") in str(out["text"])
                out = await ask(
                    client, saver, thread_id="ps-go", task="排下一班", brain=RulesBrain(), store=store
                )
                (step,) = out["steps"]
                assert step["data"]["status"] == "published", out["text"]
                plan = ShiftPlan.model_validate(step["data"]["plan"])
                assert plan.shift == "B" and await stored_plan(store, plan.site) == plan
                assert (await http.get("/schedule")).json()["version"] == plan.published_version
                assert [a["tool"] for a in out["actions"]].count("publish_schedule") == 1
                assert "B班计划" in str(out["text"])

    _run(go)
