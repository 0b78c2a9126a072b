"""The scheduling specialist: repair the published schedule around machines that cannot run.

It reads the jobs, the published schedule, the machines and the open work orders, and builds a
`SchedulingProblem` in whole minutes from now:

- every operation not done is scheduled; a running one is pinned where it runs (`fixed`);
- each operation may run on any machine of its type, for its nominal duration;
- a machine that is down (from `findings['down_machines']` when an earlier specialist gave its
  expected repair end, else from the asset state and its open work orders) gets a downtime
  from now until that end;
- a maintenance work order with a window on a machine the schedule needs is a conflict:
  maintenance's claim (safety for corrective/emergency work and lock-outs, quality for
  inspections, cost for preventive work) against scheduling's (delivery) goes to
  `resolve_conflict`; when maintenance wins its window becomes a downtime;
- the schedule in force is `previous`, so the `REPAIR` objective keeps what it can:
  weighted tardiness first, then disruption, then makespan.

A material shortage (the trigger is a `job.waiting_material` event, or `findings['material_shortage']`
is set) takes the material path of `agents._scheduling_material` instead: it decides which jobs wait
for the delivery and which are left out, and re-plans through `_replan` here.

The result is validated independently of the solver before it is published through
`act("publish_schedule", ...)`; the specialist never writes to the plant itself.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue

from agents._decision import Claim, ConflictResolution, Decision, Evidence, ToolCall, resolve_conflict
from agents._materials import shortage_asked
from agents._scheduling import solve
from agents._scheduling_material import AGENT, Replan, Replanned, material_repair
from agents._scheduling_model import (
    Alternative,
    Downtime,
    Job,
    Objective,
    Operation,
    Schedule,
    ScheduledOperation,
    SchedulingProblem,
    SolveResult,
)
from agents._scheduling_validate import validate
from agents._specialist import Act, Situation, findings_evidence
from tools import (
    Asset,
    Clock,
    ListAssetsArgs,
    ListJobsArgs,
    ListWorkOrdersArgs,
    NoArgs,
    PlantClient,
    WorkOrder,
    find_tool,
    get_clock,
    get_schedule,
    list_assets,
    list_jobs,
    list_work_orders,
)
from tools import Job as PlantJob
from tools import Schedule as PlantSchedule

_UNIT_S = 60
"""The problem's time unit: one minute."""
_END_KEYS = ("repair_end_t", "expected_end_t", "expected_repair_end_t", "until_t", "end_t")
_CONCERN = {"EM": "safety", "CM": "safety", "INSP": "quality", "PM": "cost"}
_Plant = tuple[Clock, list[PlantJob], PlantSchedule, list[Asset], list[WorkOrder]]
"""What the specialist reads: clock, jobs, published schedule, scheduled machines, open work orders."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulingPolicy:
    """How the scheduling specialist repairs a schedule."""

    time_limit_s: float = 10.0
    """CP-SAT budget for all criteria together, seconds."""
    default_repair_h: float = 4.0
    """Assumed repair time of a down machine with no repair end known and no open work order."""
    material_margin_s: float = 900.0
    """From a delivery to its material being at the machine (goods receipt, staging), seconds:
    a job waiting for the delivery is planned no earlier than the delivery plus this."""
    material_horizon_h: float = 24.0
    """The plan covers one day: a delivery further away than this is not planned on, and the jobs
    waiting for it are left out of the schedule (listed with the reason) until it arrives, so no
    job without its material heads a machine's queue."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Built:
    """A problem built from the plant, and how to map it back."""

    problem: SchedulingProblem
    offset: dict[str, int]
    """Per job, the plant index of the problem's first operation (done operations are left out)."""
    conflicts: tuple[ConflictResolution, ...]
    evidence: tuple[Evidence, ...]


async def scheduling_agent(
    client: PlantClient, act: Act, situation: Situation, *, policy: SchedulingPolicy | None = None
) -> Decision:
    """Repair the schedule around down machines (and maintenance windows that win their
    conflict), or around a short material, minimising tardiness then disruption; publish it
    through `act`."""
    policy = policy or SchedulingPolicy()
    plant = await _read_plant(client)
    material = shortage_asked(situation.trigger, situation.findings)
    if material is not None:
        return await material_repair(
            client,
            situation,
            material,
            plant[:3],
            margin_s=policy.material_margin_s,
            horizon_s=policy.material_horizon_h * 3600,
            replan=_replan(act, plant, situation, policy),
        )
    built = build_problem(*plant, situation.findings, policy)
    done = await _solve_and_publish(act, built, policy, _reason(built))
    if isinstance(done, Decision):
        return done
    return _decide(built, *done)


async def _read_plant(client: PlantClient) -> _Plant:
    clock = await get_clock(client, NoArgs())
    jobs = (await list_jobs(client, ListJobsArgs())).jobs
    current = await get_schedule(client, NoArgs())
    machines = [
        a
        for a in (await list_assets(client, ListAssetsArgs(category="machine"))).assets
        if a.id in current.machines
    ]
    orders = (await list_work_orders(client, ListWorkOrdersArgs(status="open"))).work_orders
    return clock, jobs, current, machines, orders


def _replan(act: Act, plant: _Plant, situation: Situation, policy: SchedulingPolicy) -> Replan:
    """The material path's `Replan`: the plant's problem for the jobs it keeps, solved and published."""
    clock, _, current, machines, orders = plant

    async def replan(
        jobs: Sequence[PlantJob], not_before: dict[str, float], reason: str, findings: dict[str, JsonValue]
    ) -> Replanned | Decision:
        built = build_problem(
            clock, jobs, current, machines, orders, situation.findings, policy, not_before=not_before
        )
        done = await _solve_and_publish(act, built, policy, reason, findings)
        if isinstance(done, Decision):
            return done
        result, call, version = done
        return Replanned(
            result=result,
            call=call,
            version=version,
            findings=_findings(built, result, version),
            planned=len(built.problem.jobs),
            evidence=built.evidence,
            conflicts=built.conflicts,
        )

    return replan


async def _solve_and_publish(
    act: Act,
    built: Built,
    policy: SchedulingPolicy,
    reason: str,
    findings: Mapping[str, JsonValue] | None = None,
) -> tuple[SolveResult, ToolCall, JsonValue] | Decision:
    """Solve, validate and publish; a `Decision` (not republished) when no valid schedule came out."""
    # In a worker thread: a solve takes seconds, and the event loop must keep serving the run's
    # other I/O meanwhile (a checkpoint being written to Redis times out on a blocked loop).
    result = await asyncio.to_thread(
        solve, built.problem, objective=Objective.REPAIR, time_limit_s=policy.time_limit_s
    )
    if result.schedule is None:
        return _failed(built, result, "CP-SAT found no schedule: " + " ".join(result.rationale), findings)
    problems = validate(built.problem, result.schedule)
    if problems:
        why = "the schedule failed validation: " + "; ".join(v.message for v in problems[:5])
        return _failed(built, result, why, findings)
    args = publish_args(built, result.schedule, reason=reason)
    published = await act("publish_schedule", args)
    version = getattr(published, "version", None)
    call = ToolCall(tool="publish_schedule", args=args, risk=find_tool("publish_schedule").risk)
    return result, call, version if isinstance(version, int) else None


def _t(iso: str, epoch: float) -> float:
    return datetime.fromisoformat(iso).timestamp() - epoch


def _minutes(seconds: float) -> int:
    return math.ceil(seconds / _UNIT_S - 1e-9)


def build_problem(
    clock: Clock,
    jobs: Sequence[PlantJob],
    current: PlantSchedule,
    machines: Sequence[Asset],
    orders: Sequence[WorkOrder],
    findings: Mapping[str, object],
    policy: SchedulingPolicy,
    *,
    not_before: Mapping[str, float] | None = None,
) -> Built:
    """The rescheduling problem of the plant as it is now (see the module docstring).

    not_before: per job id, the earliest start of its first remaining operation, plant seconds
    (e.g. the delivery of its material); it tightens the job's release.
    """
    epoch = clock.epoch_s
    now = _minutes(clock.t)
    by_type: dict[str, list[str]] = {}
    for m in machines:
        by_type.setdefault(m.type, []).append(m.id)
    problem_jobs: list[Job] = []
    fixed: list[ScheduledOperation] = []
    offset: dict[str, int] = {}
    for job in jobs:
        remaining = [op for op in job.ops if op.status != "done"]
        if not remaining or job.status == "complete":
            continue
        offset[job.id] = remaining[0].index
        ops: list[Operation] = []
        for k, op in enumerate(remaining):
            duration = max(1, _minutes(op.nominal_duration_s))
            if op.status == "running" and op.machine is not None:
                start = int(_t(op.start_time, epoch) // _UNIT_S) if op.start_time else now
                end = _minutes(_t(op.expected_end_time, epoch)) if op.expected_end_time else now + duration
                end = max(end, now, start + 1)
                ops.append(Operation(alternatives=(Alternative(machine=op.machine, duration=end - start),)))
                fixed.append(
                    ScheduledOperation(job=job.id, index=k, machine=op.machine, start=start, end=end)
                )
                continue
            alts = tuple(Alternative(machine=m, duration=duration) for m in sorted(by_type.get(op.type, [])))
            ops.append(Operation(alternatives=alts))
        release = _minutes(max(_t(job.release_time, epoch), (not_before or {}).get(job.id, 0.0)))
        problem_jobs.append(
            Job(id=job.id, operations=tuple(ops), release=release, due=int(job.due_t // _UNIT_S))
        )
    downtimes, evidence = _down_machines(clock, machines, orders, findings, policy, now)
    previous = _previous(current, problem_jobs, offset, fixed)
    claims_down, conflicts = _maintenance_conflicts(orders, previous, machines, epoch, now, downtimes, fixed)
    names = {m.id for m in machines}
    problem = SchedulingProblem(
        machines=tuple(sorted(names)),
        jobs=tuple(problem_jobs),
        downtimes=tuple(downtimes + claims_down),
        fixed=tuple(fixed),
        now=now,
        previous=previous,
        name=f"plant at t={clock.t:.0f} s",
    )
    return Built(problem=problem, offset=offset, conflicts=tuple(conflicts), evidence=tuple(evidence))


def _down_machines(
    clock: Clock,
    machines: Sequence[Asset],
    orders: Sequence[WorkOrder],
    findings: Mapping[str, object],
    policy: SchedulingPolicy,
    now: int,
) -> tuple[list[Downtime], list[Evidence]]:
    given = _given_repairs(findings.get("down_machines"))
    epoch = clock.epoch_s
    downtimes: list[Downtime] = []
    evidence: list[Evidence] = []
    for m in machines:
        end_t: float | None = given.get(m.id)
        source = "findings['down_machines']"
        if end_t is None and m.mode in ("down", "maintenance"):
            mine = [o for o in orders if o.asset == m.id]
            if mine:
                end_t = max(
                    _t(o.window_end, epoch) if o.window_end else clock.t + o.estimated_h * 3600 for o in mine
                )
                source = f"open work order(s) {', '.join(o.id for o in mine)}"
            else:
                end_t = clock.t + policy.default_repair_h * 3600
                source = f"no repair estimate: assumed {policy.default_repair_h:g} h"
        if end_t is None or end_t <= clock.t:
            continue
        end = _minutes(end_t)
        why = f"{m.mode}: {m.down_reason or 'unavailable'} until t={end_t:.0f} s ({source})"
        downtimes.append(Downtime(machine=m.id, start=min(now, end), end=end, reason=why))
        evidence.append(
            Evidence(
                source=f"asset {m.id}",
                summary=f"{m.id} is {why}.",
                data={"machine": m.id, "mode": m.mode, "repair_end_t": end_t, "source": source},
            )
        )
    return downtimes, evidence


def _given_repairs(raw: object) -> dict[str, float]:
    """`findings['down_machines']`: a list of {machine|asset, repair_end_t|...} or {id: end_t}."""
    out: dict[str, float] = {}
    items: list[tuple[object, object]] = []
    if isinstance(raw, Mapping):
        items = list(raw.items())
    elif isinstance(raw, list):
        for entry in raw:
            if isinstance(entry, Mapping):
                items.append((entry.get("machine") or entry.get("asset") or entry.get("id"), entry))
    for key, value in items:
        if not isinstance(key, str):
            continue
        end = value
        if isinstance(value, Mapping):
            end = next((value[k] for k in _END_KEYS if isinstance(value.get(k), int | float)), None)
        if isinstance(end, int | float):
            out[key] = float(end)
    return out


def _previous(
    current: PlantSchedule,
    jobs: Sequence[Job],
    offset: Mapping[str, int],
    fixed: Sequence[ScheduledOperation],
) -> Schedule:
    durations = {(j.id, k): op.alternatives[0].duration for j in jobs for k, op in enumerate(j.operations)}
    pinned = {(f.job, f.index): f for f in fixed}
    placed: list[ScheduledOperation] = []
    for machine, queue in current.machines.items():
        for op in queue:
            key = (op.job, op.op - offset.get(op.job, 0))
            if key not in durations:
                continue
            if key in pinned:
                placed.append(pinned[key])
                continue
            if op.planned_start_t is None:
                continue
            start = int(op.planned_start_t // _UNIT_S)
            placed.append(
                ScheduledOperation(
                    job=op.job, index=key[1], machine=machine, start=start, end=start + durations[key]
                )
            )
    return Schedule(operations=tuple(sorted(placed, key=lambda o: (o.start, o.machine, o.job, o.index))))


def _maintenance_conflicts(
    orders: Sequence[WorkOrder],
    previous: Schedule,
    machines: Sequence[Asset],
    epoch: float,
    now: int,
    down: Sequence[Downtime],
    running: Sequence[ScheduledOperation] = (),
) -> tuple[list[Downtime], list[ConflictResolution]]:
    """Work-order windows on machines the schedule needs: who gets the machine, by the rule.

    A window that opens while an operation runs on the machine starts when that operation ends:
    the lock-out waits for the part in the machine (stopping it is a critical action of its own)."""
    names = {m.id for m in machines}
    already = {d.machine for d in down}
    downtimes: list[Downtime] = []
    conflicts: list[ConflictResolution] = []
    for wo in orders:
        if wo.asset not in names or wo.asset in already or not (wo.window_start and wo.window_end):
            continue
        start, end = _minutes(_t(wo.window_start, epoch)), _minutes(_t(wo.window_end, epoch))
        if end <= now:
            continue
        needed = [
            op for op in previous.operations if op.machine == wo.asset and op.start < end and start < op.end
        ]
        busy_until = max((f.end for f in running if f.machine == wo.asset), default=now)
        if max(start, now, busy_until) >= end:
            continue  # the running operation outlasts the window: nothing left to reserve
        window = Downtime(
            machine=wo.asset,
            start=max(start, now, busy_until),
            end=end,
            reason=f"work order {wo.id} ({wo.type})",
        )
        if not needed:
            downtimes.append(window)
            continue
        resource = f"machine {wo.asset} from t={start * _UNIT_S} s to t={end * _UNIT_S} s"
        concern = "safety" if wo.lockout and wo.type in ("EM", "CM") else _CONCERN.get(wo.type, "cost")
        jobs = sorted({op.job for op in needed})
        resolution = resolve_conflict(
            [
                Claim(
                    agent="maintenance",
                    resource=resource,
                    concern=concern,
                    reason=f"{wo.id}: {wo.description}",
                ),
                Claim(
                    agent="scheduling",
                    resource=resource,
                    concern="delivery",
                    reason=f"{len(needed)} planned operation(s) of {', '.join(jobs[:5])} need it",
                ),
            ]
        )
        conflicts.append(resolution)
        if resolution.winner == "maintenance":
            downtimes.append(window)
    return downtimes, conflicts


def publish_args(built: Built, schedule: Schedule, *, reason: str) -> dict[str, JsonValue]:
    """The `publish_schedule` arguments: every free operation, with its plant index, in seconds."""
    fixed = {(f.job, f.index) for f in built.problem.fixed}
    assignments: list[JsonValue] = [
        {
            "job": op.job,
            "op": op.index + built.offset[op.job],
            "machine": op.machine,
            "start_t": float(op.start * _UNIT_S),
        }
        for op in schedule.operations
        if (op.job, op.index) not in fixed
    ]
    return {"assignments": assignments, "reason": reason, "by": AGENT}


def _reason(built: Built) -> str:
    downs = "; ".join(f"{d.machine} unavailable until t={d.end * _UNIT_S} s" for d in built.problem.downtimes)
    return f"Repair after {downs or 'a change in availability'}: minimise tardiness, then disruption."[:2000]


def _changes(built: Built, result: SolveResult) -> list[JsonValue]:
    return [
        {
            "job": c.job,
            "op": c.index + built.offset.get(c.job, 0),
            "old_machine": c.old_machine,
            "new_machine": c.new_machine,
            "old_start_t": c.old_start * _UNIT_S,
            "new_start_t": c.new_start * _UNIT_S,
        }
        for c in result.changes
    ]


def _findings(built: Built, result: SolveResult, version: JsonValue = None) -> dict[str, JsonValue]:
    changes = _changes(built, result)
    late: list[JsonValue] = [
        {"job": lj.job, "tardiness_s": lj.tardiness * _UNIT_S, "reason": lj.reason} for lj in result.late_jobs
    ]
    downs: list[JsonValue] = [
        {"machine": d.machine, "from_t": d.start * _UNIT_S, "until_t": d.end * _UNIT_S, "reason": d.reason}
        for d in built.problem.downtimes
    ]
    moved = sorted({str(c["job"]) for c in changes if isinstance(c, dict)})
    return {
        "schedule_changes": {
            "moved_jobs": list(moved),
            "changes": changes,
            "late_jobs": late,
            "downtimes": downs,
            "weighted_tardiness_min": result.weighted_tardiness,
            "disruption": result.disruption,
            "status": result.status.value,
        },
        "schedule_version": version,
    }


def _decide(built: Built, result: SolveResult, call: ToolCall, version: JsonValue) -> Decision:
    findings = _findings(built, result, version)
    sc = findings["schedule_changes"]
    assert isinstance(sc, dict)
    moved, late = sc["moved_jobs"], sc["late_jobs"]
    assert isinstance(moved, list) and isinstance(late, list)
    return Decision(
        agent=AGENT,
        summary=(
            f"Published a repaired schedule: {len(result.changes)} operation(s) of {len(moved)} job(s) moved, "
            f"{len(late)} job(s) late, {len(built.problem.downtimes)} machine window(s) avoided."
        ),
        observed=(
            Evidence(
                source="GET /jobs, GET /schedule, GET /assets, GET /work-orders",
                summary=(
                    f"{len(built.problem.jobs)} unfinished job(s), {len(built.problem.fixed)} running operation(s), "
                    f"{len(built.problem.machines)} machines."
                ),
            ),
            *built.evidence,
            findings_evidence("Schedule changes: moved jobs, late jobs and why, downtimes.", **findings),
        ),
        rule="CP-SAT repair: weighted tardiness, then disruption vs the published schedule, then makespan",
        rationale=" ".join(result.rationale),
        tool_calls=(call,),
        confidence=0.9 if result.status.value == "OPTIMAL" else 0.75,
        conflicts=built.conflicts,
    )


def _failed(
    built: Built, result: SolveResult, why: str, findings: Mapping[str, JsonValue] | None = None
) -> Decision:
    empty: dict[str, JsonValue] = {
        **(findings or {}),
        "schedule_changes": {"moved_jobs": [], "changes": [], "late_jobs": [], "status": result.status.value},
    }
    return Decision(
        agent=AGENT,
        summary=f"Schedule not republished: {why[:300]}",
        observed=(*built.evidence, findings_evidence("No schedule change.", **empty)),
        rule="CP-SAT repair: weighted tardiness, then disruption vs the published schedule, then makespan",
        rationale=why,
        confidence=0.3,
        conflicts=built.conflicts,
    )
