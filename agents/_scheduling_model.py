"""Data model of the scheduling engine: problems, schedules, results, violations.

Pure values (frozen, keyword-only dataclasses); no I/O. Time is an integer count of a unit the
caller chooses (minutes for a plant, abstract units for the benchmark instances); CP-SAT works on
integers only, so the caller rounds.

A `SchedulingProblem` is a flexible job shop: each `Job` is an ordered routing of `Operation`s, each
operation runs on exactly one of its `Alternative` machines, without preemption. Machines may be
unavailable (`Downtime`). For rescheduling, `fixed` pins operations that have already started (or
finished), `now` forbids starting anything else in the past, and `previous` is the schedule in
force, against which disruption is measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, kw_only=True, slots=True)
class Alternative:
    """One machine that can run an operation, and how long it takes there."""

    machine: str
    """Machine id (must be one of `SchedulingProblem.machines`)."""
    duration: int
    """Processing time on that machine, time units (>= 0)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Operation:
    """One step of a job's routing."""

    alternatives: tuple[Alternative, ...]
    """Eligible machines with their durations; one of them is chosen (non-empty)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Job:
    """An order: operations run in routing order, each after the previous one ends."""

    id: str
    """Unique job id (an order or lot id in the plant)."""
    operations: tuple[Operation, ...]
    """The routing, in order."""
    release: int = 0
    """Earliest start of the first operation (material availability)."""
    due: int | None = None
    """Due date of the last operation's end; None: no due date (never tardy)."""
    weight: int = 1
    """Tardiness weight (priority of the customer/order), >= 0."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Downtime:
    """A window in which a machine runs nothing: breakdown, maintenance, lock-out."""

    machine: str
    """Machine id."""
    start: int
    """Start of the window (inclusive)."""
    end: int
    """End of the window (exclusive); the machine is usable again from `end`."""
    reason: str = ""
    """Why (shown in rationales), e.g. 'breakdown' or 'PM work order WO-12'."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduledOperation:
    """Where and when one operation runs."""

    job: str
    """Job id."""
    index: int
    """Position of the operation in the job's routing (0-based)."""
    machine: str
    """Machine it runs on."""
    start: int
    """Start time."""
    end: int
    """End time (start + duration on that machine, unless pinned otherwise)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Schedule:
    """A complete assignment of operations to machines and times."""

    operations: tuple[ScheduledOperation, ...]
    """One entry per operation, sorted by (start, machine, job, index)."""

    @property
    def makespan(self) -> int:
        """End of the last operation (0 for an empty schedule)."""
        return max((op.end for op in self.operations), default=0)

    def by_key(self) -> dict[tuple[str, int], ScheduledOperation]:
        """Entries keyed by (job id, operation index)."""
        return {(op.job, op.index): op for op in self.operations}


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulingProblem:
    """A (flexible) job-shop instance, optionally a rescheduling one."""

    machines: tuple[str, ...]
    """All machine ids."""
    jobs: tuple[Job, ...]
    """The jobs to schedule."""
    downtimes: tuple[Downtime, ...] = ()
    """Machine unavailability windows."""
    fixed: tuple[ScheduledOperation, ...] = ()
    """Operations already started or done: kept exactly (machine, start, end) as given."""
    now: int = 0
    """No operation that is not fixed may start before this time."""
    previous: Schedule | None = None
    """The schedule in force, for disruption measures and change reports (rescheduling)."""
    name: str = ""
    """Instance name, for reports (e.g. 'ft06')."""


class Objective(StrEnum):
    """What `solve` optimises, as a lexicographic sequence of criteria.

    Each criterion is optimised in turn with the previous ones bounded by the value found, so a
    later one never trades against an earlier one (delivery before disruption before makespan:
    the issue's 'delivery > cost' order). Weighted sums would need weights that make the same
    promise only for a known horizon, and their meaning is harder to explain to a supervisor.
    """

    MAKESPAN = "makespan"
    """Minimise the makespan."""
    WEIGHTED_TARDINESS = "weighted_tardiness"
    """Minimise sum(weight * tardiness), then the makespan."""
    REPAIR = "repair"
    """Rescheduling: minimise weighted tardiness, then disruption vs `previous`, then makespan."""


class SolveStatus(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "OPTIMAL"
    """Every criterion proven optimal."""
    FEASIBLE = "FEASIBLE"
    """A valid schedule, not proven optimal within the time limit."""
    INFEASIBLE = "INFEASIBLE"
    """Proven that no schedule satisfies the constraints (e.g. fixed operations overlap)."""
    UNKNOWN = "UNKNOWN"
    """No schedule found within the time limit, and no proof of infeasibility."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DisruptionCost:
    """How disruption vs the previous schedule is counted (objective `REPAIR`)."""

    start_shift: int = 1
    """Cost per time unit an operation's start moves (either direction)."""
    machine_change: int = 60
    """Cost per operation moved to another machine (set-ups, re-staging material)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleChange:
    """An operation whose machine or start differs from the previous schedule."""

    job: str
    """Job id."""
    index: int
    """Operation index in the routing."""
    old_machine: str
    """Machine in the previous schedule."""
    new_machine: str
    """Machine now."""
    old_start: int
    """Start in the previous schedule."""
    new_start: int
    """Start now."""


@dataclass(frozen=True, kw_only=True, slots=True)
class LateJob:
    """A job that ends after its due date, and the main reason."""

    job: str
    """Job id."""
    tardiness: int
    """End minus due date (> 0)."""
    weight: int
    """Job weight."""
    reason: str
    """Human-readable cause: unreachable due date, waiting for a machine, a downtime..."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SolveResult:
    """What `solve` (or a dispatching rule) returns."""

    status: SolveStatus
    """Solver status (a dispatching rule always reports FEASIBLE)."""
    schedule: Schedule | None
    """The schedule, or None when INFEASIBLE/UNKNOWN."""
    objective: Objective
    """The objective optimised."""
    objective_value: int | None
    """Value of the primary criterion (makespan or weighted tardiness)."""
    bound: int | None
    """Proven lower bound of the primary criterion (None for dispatching rules)."""
    makespan: int | None
    """Makespan of the schedule."""
    total_tardiness: int | None
    """Sum of job tardiness (unweighted)."""
    weighted_tardiness: int | None
    """Sum of weight * tardiness."""
    disruption: int | None
    """Disruption cost vs `SchedulingProblem.previous` (None without a previous schedule)."""
    solve_time_s: float
    """Wall time spent, seconds."""
    changes: tuple[ScheduleChange, ...] = ()
    """Operations moved vs `SchedulingProblem.previous`."""
    late_jobs: tuple[LateJob, ...] = ()
    """Jobs ending after their due date, most weighted tardiness first."""
    rationale: tuple[str, ...] = ()
    """Human-readable summary lines: objective, quality, changes, late jobs and why."""

    @property
    def gap(self) -> float | None:
        """Relative gap of the primary criterion to its bound (0.0 when proven optimal)."""
        if self.objective_value is None or self.bound is None:
            return None
        if self.objective_value == 0:
            return 0.0
        return (self.objective_value - self.bound) / self.objective_value


class ViolationKind(StrEnum):
    """Kinds of schedule defects the validator reports."""

    MISSING = "missing"
    """An operation of the problem is not scheduled."""
    UNKNOWN_OPERATION = "unknown_operation"
    """A scheduled entry matches no operation of the problem, or appears twice."""
    ELIGIBILITY = "eligibility"
    """The machine is not one of the operation's alternatives."""
    DURATION = "duration"
    """End - start differs from the duration on that machine."""
    PRECEDENCE = "precedence"
    """An operation starts before the previous one of its job ends."""
    RELEASE = "release"
    """The first operation starts before the job's release, or a free one before `now`."""
    OVERLAP = "overlap"
    """Two operations overlap on one machine."""
    UNAVAILABLE = "unavailable"
    """An operation overlaps a downtime of its machine."""
    FIXED_MOVED = "fixed_moved"
    """A fixed operation is not where it was pinned."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ScheduleViolation:
    """One defect of a schedule."""

    kind: ViolationKind
    """What is wrong."""
    job: str
    """Job id concerned."""
    index: int
    """Operation index concerned."""
    message: str
    """What is wrong, in words, with the numbers."""
