"""The shift planner: maintenance tasks on technicians, production on machines, inspection points.

Pure: a `ShiftInputs` (the plant as read) and a `ShiftWindow` in, a `ShiftPlan` out.

1. **Jobs that cannot be planned** are set aside with the reason: an operation needing a machine
   type the plant has none of; a job not yet started whose due date has already passed (no plan can
   meet it: a person agrees a new date, then it is planned).
2. **Maintenance** (the maintenance agent's part): open work orders not in progress, and predicted
   failures (the wear scan) on assets without an open order. A predicted failure within
   `ShiftPolicy.safety_horizon_h` is a safety claim on its machine; a later one a cost claim, which
   loses to the delivery claim of production planned on that machine this shift and is deferred
   (`resolve_conflict`, safety > quality > delivery > cost). Tasks go to technicians of the shift
   with the skill, within the shift's hours and the work order's window, one task at a time per
   technician (CP-SAT: optional intervals per technician, most urgent placed first and earliest).
   A task on a machine locks it out; a locked-out utility stops the machines it feeds.
3. **Production** (the scheduling agent's part): every unfinished operation of the plannable jobs
   on any machine of its type, CP-SAT (`agents._scheduling.solve`), with the machine windows as
   downtimes: maintenance windows of open work orders, machines down until their repair ends, and
   the tasks just placed. A fresh plan minimises weighted tardiness, then makespan; a replan
   (`replan=True`, mid-shift) minimises tardiness, then disruption of the published schedule, so
   started operations stay where they run and the rest move as little as they can.
4. **Inspections** (the quality agent's part): every operation planned this shift on a machine under
   SPC watch gets a first-article check and a sampling interval.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from agents._decision import ConflictResolution
from agents._scheduling import solve
from agents._scheduling_agent import SchedulingPolicy, build_problem
from agents._scheduling_model import Downtime, Objective
from agents._shift_inputs import ShiftInputs, ShiftWindow, open_jobs, plan_facts
from agents._shift_model import (
    InspectionPoint,
    MachineWindow,
    MaintenancePart,
    NotPlanned,
    PlannedOperation,
    ShiftPlan,
    ShiftTechnician,
)
from agents._shift_tasks import place_tasks
from tools import Job

_UNIT_S = 60
MOVED_S = 5 * 60.0
"""A replanned operation counts as moved when its machine changes or its start shifts this much
(smaller shifts are the minute rounding of the plan, not a change anyone acts on)."""
_CONCERN = {"EM": "safety", "CM": "safety", "INSP": "quality", "PM": "cost", "PdM": "cost"}


@dataclass(frozen=True, kw_only=True, slots=True)
class ShiftPolicy:
    """How a shift is planned."""

    time_limit_s: float = 10.0
    """CP-SAT budget of the production plan, seconds (all criteria together)."""
    maintenance_time_limit_s: float = 2.0
    """CP-SAT budget of placing maintenance tasks on technicians, seconds."""
    predict_horizon_h: float = 48.0
    """A failure predicted within this many hours gets a predictive task proposed."""
    safety_horizon_h: float = 16.0
    """A failure predicted within this many hours (this shift and the next) is a safety claim:
    production yields its machine. Later: a cost claim, deferred when production needs the machine."""
    first_article_parts: int = 5
    """Parts measured at the start of an operation on a machine under watch."""
    sample_every_parts: int = 20
    """Then one part in this many."""


def plan_shift(
    inputs: ShiftInputs, window: ShiftWindow, *, policy: ShiftPolicy | None = None, replan: bool = False
) -> ShiftPlan:
    """Plan `window` (see the module docstring): maintenance, then production, then inspections.
    Nothing is written to the plant."""
    policy = policy or ShiftPolicy()
    maintenance = plan_maintenance(inputs, window, policy=policy)
    plan = plan_production(inputs, window, maintenance, policy=policy, replan=replan)
    return add_inspections(plan, inputs, policy=policy)


def plan_maintenance(inputs: ShiftInputs, window: ShiftWindow, *, policy: ShiftPolicy) -> MaintenancePart:
    """The maintenance agent's part: tasks on technicians, what is deferred, the conflicts settled."""
    not_planned: list[NotPlanned] = []
    conflicts: list[ConflictResolution] = []
    tasks = place_tasks(inputs, window, policy, not_planned, conflicts)
    return MaintenancePart(tasks=tuple(tasks), not_planned=tuple(not_planned), conflicts=tuple(conflicts))


def plan_production(
    inputs: ShiftInputs,
    window: ShiftWindow,
    maintenance: MaintenancePart,
    *,
    policy: ShiftPolicy,
    replan: bool = False,
) -> ShiftPlan:
    """The scheduling agent's part: every plannable job on the machines, around the machine windows
    (the plant's and the maintenance tasks')."""
    started = time.perf_counter()
    now = inputs.clock.t
    not_planned: list[NotPlanned] = []
    jobs = _plannable(inputs, not_planned)
    tasks = maintenance.tasks
    facts = plan_facts(inputs)
    blocks = [
        MachineWindow(machine=m, start_t=t.start_t, end_t=t.end_t, reason=f"maintenance task {t.task}")
        for t in tasks
        for m in t.blocks
    ]
    windows = (*facts.windows, *blocks)
    machines = inputs.machines
    built = build_problem(
        inputs.clock,
        jobs,
        inputs.schedule,
        machines,
        (),
        {},
        SchedulingPolicy(time_limit_s=policy.time_limit_s),
    )
    busy = {f.machine: f.end for f in built.problem.fixed}
    downtimes: list[Downtime] = []
    for w in sorted(windows, key=lambda w: (w.machine, w.start_t, w.end_t)):
        start = max(math.floor(w.start_t / _UNIT_S), built.problem.now, busy.get(w.machine, 0))
        end = math.ceil(w.end_t / _UNIT_S)
        last = downtimes[-1] if downtimes else None
        if last is not None and last.machine == w.machine and start <= last.end:
            # overlapping windows of one machine are one downtime (the solver's NoOverlap holds them too)
            downtimes[-1] = replace(last, end=max(last.end, end), reason=f"{last.reason}; {w.reason}")
        elif end > start:
            downtimes.append(Downtime(machine=w.machine, start=start, end=end, reason=w.reason))
    problem = replace(built.problem, downtimes=tuple(downtimes), name=f"shift {window.shift} plan")
    objective = Objective.REPAIR if replan else Objective.WEIGHTED_TARDINESS
    result = solve(problem, objective=objective, time_limit_s=policy.time_limit_s)
    fixed = {(f.job, f.index) for f in problem.fixed}
    by_id = {j.id: j for j in jobs}
    operations = tuple(
        PlannedOperation(
            job=op.job,
            op=op.index + built.offset[op.job],
            machine=op.machine,
            start_t=float(op.start * _UNIT_S),
            end_t=float(op.end * _UNIT_S),
            status="running" if (op.job, op.index) in fixed else "planned",
            product=by_id[op.job].product,
            due_t=by_id[op.job].due_t,
        )
        for op in (result.schedule.operations if result.schedule else ())
    )
    plan = ShiftPlan(
        site=inputs.info.site.id,
        shift=window.shift,
        start_t=window.start_t,
        end_t=window.end_t,
        epoch_s=inputs.clock.epoch_s,
        planned_at_t=now,
        operations=operations,
        tasks=tasks,
        windows=tuple(sorted(windows, key=lambda w: (w.machine, w.start_t))),
        not_planned=(*maintenance.not_planned, *not_planned),
        technicians=tuple(
            ShiftTechnician(id=t.id, name=t.name, skills=tuple(t.skills))
            for t in inputs.technicians
            if t.shift == window.shift
        ),
        conflicts=maintenance.conflicts,
        measures={
            "status": result.status.value,
            "objective": objective.value,
            "jobs": len(jobs),
            "operations": len(operations),
            "late_jobs": [{"job": lj.job, "tardiness_s": lj.tardiness * _UNIT_S} for lj in result.late_jobs],
            "weighted_tardiness_min": result.weighted_tardiness,
            "disruption": result.disruption,
            "changed_operations": len(result.changes),
            "moved_operations": sum(
                c.new_machine != c.old_machine or abs(c.new_start - c.old_start) * _UNIT_S >= MOVED_S
                for c in result.changes
            ),
            "makespan_t": None if result.makespan is None else result.makespan * _UNIT_S,
            "seconds": round(time.perf_counter() - started, 3),
            "solver": list(result.rationale),
        },
        replan_of=inputs.schedule.version if replan else None,
    )
    return plan.model_copy(update={"rationale": _rationale(plan, inputs)})


def add_inspections(plan: ShiftPlan, inputs: ShiftInputs, *, policy: ShiftPolicy) -> ShiftPlan:
    """The quality agent's part: inspection points on the shift's operations on watched machines."""
    points = _inspections(inputs, plan.operations, plan, policy)
    done = plan.model_copy(update={"inspections": points})
    return done.model_copy(update={"rationale": _rationale(done, inputs)})


def _plannable(inputs: ShiftInputs, not_planned: list[NotPlanned]) -> list[Job]:
    types = {m.type for m in inputs.machines}
    now, epoch = inputs.clock.t, inputs.clock.epoch_s
    out: list[Job] = []
    for job in open_jobs(inputs.jobs):
        missing = sorted({op.type for op in job.ops if op.status != "done" and op.type not in types})
        if missing:
            have = ", ".join(sorted(types))
            not_planned.append(
                NotPlanned(
                    kind="job",
                    id=job.id,
                    reason=f"{job.id} ({job.product}) needs a {' and a '.join(missing)} machine; the plant has "
                    f"none (its machine types: {have}). Route it elsewhere or change the order.",
                )
            )
            continue
        if all(op.status == "pending" for op in job.ops) and job.due_t <= now:
            not_planned.append(
                NotPlanned(
                    kind="job",
                    id=job.id,
                    reason=f"{job.id} ({job.product}) is due {_iso(job.due_t, epoch)}, already past at "
                    f"{_iso(now, epoch)}: no plan can meet it. Agree a new due date, then plan again.",
                )
            )
            continue
        out.append(job)
    return out


def _inspections(
    inputs: ShiftInputs, operations: tuple[PlannedOperation, ...], window: ShiftPlan, policy: ShiftPolicy
) -> tuple[InspectionPoint, ...]:
    watch = {w.machine: w for w in inputs.watch}
    out = []
    for op in operations:
        w = watch.get(op.machine)
        if w is None or op.status == "running" or not (window.start_t <= op.start_t < window.end_t):
            continue
        what = ", ".join(w.characteristics) or "the operation's characteristic"
        out.append(
            InspectionPoint(
                machine=op.machine,
                job=op.job,
                op=op.op,
                at_t=op.start_t,
                check=f"measure the first {policy.first_article_parts} parts ({what}), "
                f"then 1 in {policy.sample_every_parts}",
                reason=w.reason,
            )
        )
    return tuple(out)


def _rationale(plan: ShiftPlan, inputs: ShiftInputs) -> tuple[str, ...]:
    epoch = plan.epoch_s
    raw = plan.measures.get("solver")
    solver = raw if isinstance(raw, list) else []
    in_shift = [op for op in plan.operations if plan.in_shift(op.start_t, op.end_t)]
    lines = [
        f"Shift {plan.shift} {_iso(plan.start_t, epoch)} to {_iso(plan.end_t, epoch)}: "
        f"{len(in_shift)} operation(s) on {len({op.machine for op in in_shift})} machine(s), "
        f"{len(plan.tasks)} maintenance task(s) for {len(plan.technicians)} technician(s), "
        f"{len(plan.inspections)} inspection point(s).",
        *(str(x) for x in solver),
    ]
    lines += [f"Machine window: {w.machine} {w.reason}." for w in plan.windows if w.end_t > plan.start_t][:8]
    lines += [f"Not planned: {n.reason}" for n in plan.not_planned]
    lines += [f"Conflict: {c.resource}: {c.winner} wins ({c.rationale})" for c in plan.conflicts]
    low = [m for m in inputs.materials if m.stock <= 0]
    if low:
        lines.append("Out of stock: " + ", ".join(m.id for m in low) + ".")
    return tuple(lines)


def _iso(t: float, epoch: float) -> str:
    return datetime.fromtimestamp(epoch + t, tz=UTC).strftime("%Y-%m-%d %H:%M")
