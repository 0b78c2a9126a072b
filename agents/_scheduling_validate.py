"""Schedule validator: every hard constraint of a `SchedulingProblem`, checked independently of the solver."""

from __future__ import annotations

from collections import defaultdict

from agents._scheduling_model import (
    Schedule,
    ScheduledOperation,
    ScheduleViolation,
    SchedulingProblem,
    ViolationKind,
)


def validate(problem: SchedulingProblem, schedule: Schedule) -> list[ScheduleViolation]:
    """List what is wrong with `schedule` for `problem`; an empty list means it is valid.

    Checks: every operation scheduled exactly once, on an eligible machine, for its duration
    there; routing precedence and release dates; nothing free starts before `problem.now`;
    fixed operations where they were pinned; no two operations overlap on a machine; no
    operation overlaps a downtime of its machine. Intervals are half-open [start, end).
    """
    violations: list[ScheduleViolation] = []
    fixed = {(op.job, op.index): op for op in problem.fixed}
    seen: dict[tuple[str, int], ScheduledOperation] = {}
    routing = {job.id: job for job in problem.jobs}
    for op in schedule.operations:
        key = (op.job, op.index)
        job = routing.get(op.job)
        if job is None or not 0 <= op.index < len(job.operations) or key in seen:
            what = "is scheduled twice" if key in seen else "is not in the problem"
            violations.append(_v(ViolationKind.UNKNOWN_OPERATION, op, f"{_name(op)} {what}."))
            continue
        seen[key] = op
        pinned = fixed.get(key)
        if pinned is not None:
            if (op.machine, op.start, op.end) != (pinned.machine, pinned.start, pinned.end):
                violations.append(
                    _v(
                        ViolationKind.FIXED_MOVED,
                        op,
                        f"{_name(op)} is fixed on {pinned.machine} [{pinned.start}, {pinned.end}) "
                        f"but scheduled on {op.machine} [{op.start}, {op.end}).",
                    )
                )
            continue
        durations = {alt.machine: alt.duration for alt in job.operations[op.index].alternatives}
        if op.machine not in durations:
            eligible = ", ".join(durations)
            violations.append(
                _v(ViolationKind.ELIGIBILITY, op, f"{_name(op)} runs on {op.machine}; eligible: {eligible}.")
            )
        elif op.end - op.start != durations[op.machine]:
            violations.append(
                _v(
                    ViolationKind.DURATION,
                    op,
                    f"{_name(op)} lasts {op.end - op.start} on {op.machine}, needs {durations[op.machine]}.",
                )
            )
        if op.start < problem.now:
            violations.append(
                _v(ViolationKind.RELEASE, op, f"{_name(op)} starts at {op.start}, before now={problem.now}.")
            )
    violations.extend(_check_jobs(problem, seen))
    violations.extend(_check_machines(problem, seen))
    return violations


def _check_jobs(
    problem: SchedulingProblem, seen: dict[tuple[str, int], ScheduledOperation]
) -> list[ScheduleViolation]:
    violations: list[ScheduleViolation] = []
    for job in problem.jobs:
        previous: ScheduledOperation | None = None
        for index in range(len(job.operations)):
            op = seen.get((job.id, index))
            if op is None:
                violations.append(
                    ScheduleViolation(
                        kind=ViolationKind.MISSING,
                        job=job.id,
                        index=index,
                        message=f"{job.id}/op{index} is not scheduled.",
                    )
                )
                continue
            if index == 0 and op.start < job.release:
                violations.append(
                    _v(
                        ViolationKind.RELEASE,
                        op,
                        f"{_name(op)} starts at {op.start}, before the job's release {job.release}.",
                    )
                )
            if previous is not None and op.start < previous.end:
                violations.append(
                    _v(
                        ViolationKind.PRECEDENCE,
                        op,
                        f"{_name(op)} starts at {op.start}, before {_name(previous)} ends at {previous.end}.",
                    )
                )
            previous = op
    return violations


def _check_machines(
    problem: SchedulingProblem, seen: dict[tuple[str, int], ScheduledOperation]
) -> list[ScheduleViolation]:
    violations: list[ScheduleViolation] = []
    by_machine: dict[str, list[ScheduledOperation]] = defaultdict(list)
    for op in seen.values():
        by_machine[op.machine].append(op)
    for ops in by_machine.values():
        ops.sort(key=lambda o: (o.start, o.end, o.job, o.index))
        latest: ScheduledOperation | None = None
        for op in ops:
            if latest is not None and op.start < latest.end and op.end > op.start:
                violations.append(
                    _v(
                        ViolationKind.OVERLAP,
                        op,
                        f"{_name(op)} [{op.start}, {op.end}) overlaps {_name(latest)} "
                        f"[{latest.start}, {latest.end}) on {op.machine}.",
                    )
                )
            if latest is None or op.end > latest.end:
                latest = op
    for down in problem.downtimes:
        for op in by_machine.get(down.machine, []):
            if op.start < down.end and down.start < op.end and op.end > op.start:
                reason = f" ({down.reason})" if down.reason else ""
                violations.append(
                    _v(
                        ViolationKind.UNAVAILABLE,
                        op,
                        f"{_name(op)} [{op.start}, {op.end}) runs while {op.machine} is unavailable "
                        f"[{down.start}, {down.end}){reason}.",
                    )
                )
    return violations


def _name(op: ScheduledOperation) -> str:
    return f"{op.job}/op{op.index}"


def _v(kind: ViolationKind, op: ScheduledOperation, message: str) -> ScheduleViolation:
    return ScheduleViolation(kind=kind, job=op.job, index=op.index, message=message)


def check_problem(problem: SchedulingProblem) -> None:
    """Raise ValueError when `problem` is malformed (not merely infeasible).

    Malformed: duplicate job ids, an operation without alternatives, a negative duration or
    weight, an unknown machine, a downtime ending before it starts, a fixed operation that is
    unknown, on a machine it is not eligible for, ending before it starts, or not part of the
    already-started prefix of its job's routing.
    """
    machines = set(problem.machines)
    ids = [job.id for job in problem.jobs]
    if len(set(ids)) != len(ids):
        raise ValueError(f"Duplicate job ids in {ids}; give every job a unique id.")
    jobs = {job.id: job for job in problem.jobs}
    for job in problem.jobs:
        if job.weight < 0:
            raise ValueError(f"Job {job.id} has a negative weight {job.weight}.")
        for index, operation in enumerate(job.operations):
            if not operation.alternatives:
                raise ValueError(
                    f"{job.id}/op{index} has no eligible machine; give at least one alternative."
                )
            for alt in operation.alternatives:
                if alt.machine not in machines:
                    raise ValueError(f"{job.id}/op{index} names unknown machine {alt.machine!r}.")
                if alt.duration < 0:
                    raise ValueError(f"{job.id}/op{index} has a negative duration on {alt.machine}.")
    for down in problem.downtimes:
        if down.machine not in machines or down.end < down.start:
            raise ValueError(f"Bad downtime {down}: unknown machine or end before start.")
    fixed_indexes: dict[str, set[int]] = defaultdict(set)
    for op in problem.fixed:
        owner = jobs.get(op.job)
        if owner is None or not 0 <= op.index < len(owner.operations):
            raise ValueError(f"Fixed operation {_name(op)} is not in the problem.")
        if op.machine not in {alt.machine for alt in owner.operations[op.index].alternatives}:
            raise ValueError(f"Fixed operation {_name(op)} is on {op.machine}, not an eligible machine.")
        if op.end < op.start or op.index in fixed_indexes[op.job]:
            raise ValueError(f"Fixed operation {_name(op)} ends before it starts or is given twice.")
        fixed_indexes[op.job].add(op.index)
    for job_id, indexes in fixed_indexes.items():
        if indexes != set(range(len(indexes))):
            raise ValueError(
                f"Fixed operations of {job_id} are {sorted(indexes)}; only a started prefix of the routing can be fixed."
            )
