"""A shift plan, the plant facts it must respect, and a validator that checks one against the other.

The plan crosses process boundaries (stored in Redis, printed as JSON, drawn as a Gantt chart), so
it is pydantic. Times are plant seconds (since the plant's epoch, `ShiftPlan.epoch_s`).

`check_plan` is independent of the planner: it reads only the plan and `PlanFacts` (what the plant
said: machine types, routings, machine windows, technicians and their hours) and lists every broken
rule. Intervals are half-open [start, end).

    problems = check_plan(plan, facts)        # [] when the plan is valid
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents._decision import ConflictResolution

_EPS = 1e-6


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlannedOperation(_Frozen):
    """One operation of a job on one machine."""

    job: str
    op: int = Field(description="The operation's index in the job's routing (the plant's index).")
    machine: str
    start_t: float
    end_t: float
    status: Literal["planned", "running"] = "planned"
    """`running`: already started; pinned where it runs."""
    product: str = ""
    due_t: float | None = None


class PlannedTask(_Frozen):
    """One maintenance task given to one technician."""

    task: str = Field(description="The work order id, or `PdM:<asset>:<failure mode>` for a proposed one.")
    asset: str
    work_order: str | None = None
    """None: proposed by the plan (a predicted failure); publishing opens its work order."""
    wo_type: str
    failure_mode: str | None = None
    skill: str | None = None
    technician: str
    start_t: float
    end_t: float
    blocks: tuple[str, ...] = ()
    """Machines that cannot run production during the task (locked out for it)."""
    priority: int = 3
    reason: str = ""


class MachineWindow(_Frozen):
    """A time a machine cannot run production: a maintenance window, or a machine that is down."""

    machine: str
    start_t: float
    end_t: float
    reason: str


class InspectionPoint(_Frozen):
    """A quality check the quality agent adds to an operation on a machine under watch."""

    machine: str
    job: str
    op: int
    at_t: float
    check: str
    reason: str


class NotPlanned(_Frozen):
    """Something the plan leaves out, and why (for a person to act on)."""

    kind: Literal["job", "task"]
    id: str
    reason: str


class ShiftTechnician(_Frozen):
    id: str
    name: str
    skills: tuple[str, ...]


class MaintenancePart(_Frozen):
    """The maintenance agent's part of a plan: tasks placed, tasks not placed, conflicts settled."""

    tasks: tuple[PlannedTask, ...] = ()
    not_planned: tuple[NotPlanned, ...] = ()
    conflicts: tuple[ConflictResolution, ...] = ()


class ShiftPlan(_Frozen):
    """The plan of one shift: production, maintenance, inspections, and what could not be planned."""

    site: str
    shift: str
    start_t: float
    end_t: float
    epoch_s: float
    planned_at_t: float
    """Plant time the plan was made."""
    operations: tuple[PlannedOperation, ...] = ()
    """Every unfinished operation of every planned job (some run after the shift)."""
    tasks: tuple[PlannedTask, ...] = ()
    windows: tuple[MachineWindow, ...] = ()
    """The machine windows production avoids (maintenance windows, down machines, planned tasks)."""
    inspections: tuple[InspectionPoint, ...] = ()
    not_planned: tuple[NotPlanned, ...] = ()
    technicians: tuple[ShiftTechnician, ...] = ()
    """The shift's technicians."""
    conflicts: tuple[ConflictResolution, ...] = ()
    rationale: tuple[str, ...] = ()
    measures: dict[str, JsonValue] = Field(default_factory=dict)
    """Solver status, late jobs, weighted tardiness, makespan, seconds spent."""
    published_version: int | None = None
    replan_of: int | None = None
    """When this plan replans a published one mid-shift: that schedule's version."""

    def in_shift(self, start_t: float, end_t: float) -> bool:
        return start_t < self.end_t and self.start_t < end_t


class PlanFacts(_Frozen):
    """What the plant says a plan must respect (read from the plant, not from the planner)."""

    machine_types: dict[str, str]
    """Machine id -> type, for the machines that may run production."""
    routings: dict[str, tuple[str, ...]]
    """Job id -> machine type of each operation of its routing, by plant index."""
    windows: tuple[MachineWindow, ...] = ()
    """Maintenance windows of open work orders and machines down until a known time."""
    technicians: dict[str, tuple[str, tuple[str, ...]]] = Field(default_factory=dict)
    """Technician id -> (shift, skills)."""
    work_order_windows: dict[str, tuple[float, float]] = Field(default_factory=dict)
    """Work order id -> its window, for the tasks that carry one."""
    open_operations: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    """Job id -> indexes of its operations not done: each must be planned, or its job listed as not planned."""


class PlanViolation(_Frozen):
    rule: Literal[
        "unknown_machine",
        "wrong_machine_type",
        "machine_overlap",
        "precedence",
        "machine_window",
        "unknown_technician",
        "skill",
        "off_shift",
        "technician_overlap",
        "task_window",
        "missing_operation",
    ]
    message: str


def check_plan(plan: ShiftPlan, facts: PlanFacts) -> list[PlanViolation]:
    """Every rule `plan` breaks against `facts`; [] when it is valid.

    Production: each operation on a known machine of its routing's type, no two overlapping on a
    machine, a job's operations in routing order, none overlapping a machine window (the plant's, or
    a planned task that locks the machine out); every open operation planned unless its job is listed
    as not planned. Maintenance: each task's technician exists, has the
    task's skill, works this shift and the task lies within the shift's hours; a technician does one
    task at a time; a work order's task lies within the work order's window.
    """
    out: list[PlanViolation] = []
    out += _check_operations(plan.operations, facts)
    planned = {(op.job, op.op) for op in plan.operations}
    left_out = {n.id for n in plan.not_planned if n.kind == "job"}
    for job, indexes in sorted(facts.open_operations.items()):
        missing = [i for i in indexes if (job, i) not in planned]
        if missing and job not in left_out:
            out.append(
                PlanViolation(
                    rule="missing_operation",
                    message=f"{job} operation(s) {', '.join(map(str, missing))} are neither planned nor listed as not planned.",
                )
            )
    blocked = [
        MachineWindow(machine=m, start_t=t.start_t, end_t=t.end_t, reason=f"task {t.task}")
        for t in plan.tasks
        for m in t.blocks
    ]
    for op in plan.operations:
        if op.status == "running":
            continue  # started before the plan: the window waits for it (it is not the plan's choice)
        for w in (*facts.windows, *blocked):
            if w.machine == op.machine and _overlap(op.start_t, op.end_t, w.start_t, w.end_t):
                out.append(
                    PlanViolation(
                        rule="machine_window",
                        message=f"{_op(op)} on {op.machine} {_span(op.start_t, op.end_t)} overlaps "
                        f"{w.reason} {_span(w.start_t, w.end_t)}.",
                    )
                )
    out += _check_tasks(plan, facts)
    return out


def _check_operations(ops: Sequence[PlannedOperation], facts: PlanFacts) -> list[PlanViolation]:
    out: list[PlanViolation] = []
    for op in ops:
        kind = facts.machine_types.get(op.machine)
        routing = facts.routings.get(op.job, ())
        if kind is None:
            out.append(
                PlanViolation(
                    rule="unknown_machine", message=f"{_op(op)} is on unknown machine {op.machine}."
                )
            )
        elif op.op < len(routing) and routing[op.op] != kind:
            out.append(
                PlanViolation(
                    rule="wrong_machine_type",
                    message=f"{_op(op)} needs a {routing[op.op]} machine; {op.machine} is a {kind}.",
                )
            )
    by_machine: dict[str, list[PlannedOperation]] = defaultdict(list)
    by_job: dict[str, list[PlannedOperation]] = defaultdict(list)
    for op in ops:
        by_machine[op.machine].append(op)
        by_job[op.job].append(op)
    for machine, mine in sorted(by_machine.items()):
        mine.sort(key=lambda o: (o.start_t, o.end_t))
        for a, b in zip(mine, mine[1:], strict=False):
            if b.start_t < a.end_t - _EPS:
                out.append(
                    PlanViolation(
                        rule="machine_overlap",
                        message=f"{_op(a)} and {_op(b)} overlap on {machine} at t={b.start_t:.0f} s.",
                    )
                )
    for mine in by_job.values():
        mine.sort(key=lambda o: o.op)
        for a, b in zip(mine, mine[1:], strict=False):
            if b.start_t < a.end_t - _EPS:
                out.append(PlanViolation(rule="precedence", message=f"{_op(b)} starts before {_op(a)} ends."))
    return out


def _check_tasks(plan: ShiftPlan, facts: PlanFacts) -> list[PlanViolation]:
    out: list[PlanViolation] = []
    by_tech: dict[str, list[PlannedTask]] = defaultdict(list)
    for t in plan.tasks:
        by_tech[t.technician].append(t)
        tech = facts.technicians.get(t.technician)
        if tech is None:
            out.append(
                PlanViolation(rule="unknown_technician", message=f"{t.task}: no technician {t.technician}.")
            )
            continue
        shift, skills = tech
        if t.skill and t.skill not in skills:
            out.append(
                PlanViolation(
                    rule="skill",
                    message=f"{t.task} needs {t.skill}; {t.technician} has {', '.join(skills) or 'no skills'}.",
                )
            )
        if shift != plan.shift or t.start_t < plan.start_t - _EPS or t.end_t > plan.end_t + _EPS:
            out.append(
                PlanViolation(
                    rule="off_shift",
                    message=f"{t.task} {_span(t.start_t, t.end_t)} is outside {t.technician}'s hours "
                    f"(shift {shift}; the plan is shift {plan.shift} {_span(plan.start_t, plan.end_t)}).",
                )
            )
        window = facts.work_order_windows.get(t.work_order or "")
        if window is not None and (t.start_t < window[0] - _EPS or t.end_t > window[1] + _EPS):
            out.append(
                PlanViolation(
                    rule="task_window",
                    message=f"{t.task} {_span(t.start_t, t.end_t)} is outside its window {_span(*window)}.",
                )
            )
    for tech_id, mine in sorted(by_tech.items()):
        mine.sort(key=lambda t: (t.start_t, t.end_t))
        for a, b in zip(mine, mine[1:], strict=False):
            if b.start_t < a.end_t - _EPS:
                out.append(
                    PlanViolation(
                        rule="technician_overlap",
                        message=f"{tech_id} has {a.task} and {b.task} at once (t={b.start_t:.0f} s).",
                    )
                )
    return out


def _overlap(a0: float, a1: float, b0: float, b1: float) -> bool:
    return a0 < b1 - _EPS and b0 < a1 - _EPS


def _op(op: PlannedOperation) -> str:
    return f"{op.job}/{op.op}"


def _span(start: float, end: float) -> str:
    return f"[{start:.0f}, {end:.0f}) s"
