"""Measures and rationale of a schedule: tardiness, disruption, what moved, which jobs are late and why.

Shared by the CP-SAT solver and the dispatching rules so both report the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents._scheduling_model import (
    DisruptionCost,
    Job,
    LateJob,
    Schedule,
    ScheduleChange,
    ScheduledOperation,
    SchedulingProblem,
)

_MAX_LINES = 8
"""Most changes / late jobs spelled out in a rationale (the structured fields hold all)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Summary:
    """Measures of one schedule for one problem."""

    makespan: int
    """End of the last operation."""
    total_tardiness: int
    """Sum of job tardiness."""
    weighted_tardiness: int
    """Sum of weight * tardiness."""
    disruption: int | None
    """Disruption cost vs `SchedulingProblem.previous`, None without one."""
    changes: tuple[ScheduleChange, ...]
    """Operations moved vs the previous schedule, in schedule order."""
    late_jobs: tuple[LateJob, ...]
    """Late jobs, most weighted tardiness first."""


def summarize(problem: SchedulingProblem, schedule: Schedule, cost: DisruptionCost) -> Summary:
    """Measure `schedule`: tardiness, disruption and changes vs `problem.previous`, late jobs."""
    by_key = schedule.by_key()
    late: list[LateJob] = []
    total = weighted = 0
    for job in problem.jobs:
        if job.due is None or not job.operations:
            continue
        tardiness = max(0, by_key[(job.id, len(job.operations) - 1)].end - job.due)
        total += tardiness
        weighted += job.weight * tardiness
        if tardiness > 0:
            reason = _late_reason(problem, job, by_key, schedule)
            late.append(LateJob(job=job.id, tardiness=tardiness, weight=job.weight, reason=reason))
    late.sort(key=lambda lj: (-lj.weight * lj.tardiness, lj.job))
    disruption: int | None = None
    changes: list[ScheduleChange] = []
    if problem.previous is not None:
        disruption = 0
        for old in problem.previous.operations:
            new = by_key.get((old.job, old.index))
            if new is None:
                continue
            disruption += cost.start_shift * abs(new.start - old.start)
            disruption += cost.machine_change * (new.machine != old.machine)
            if new.start != old.start or new.machine != old.machine:
                changes.append(
                    ScheduleChange(
                        job=old.job,
                        index=old.index,
                        old_machine=old.machine,
                        new_machine=new.machine,
                        old_start=old.start,
                        new_start=new.start,
                    )
                )
        changes.sort(key=lambda c: (c.new_start, c.new_machine, c.job, c.index))
    return Summary(
        makespan=schedule.makespan,
        total_tardiness=total,
        weighted_tardiness=weighted,
        disruption=disruption,
        changes=tuple(changes),
        late_jobs=tuple(late),
    )


def rationale(problem: SchedulingProblem, summary: Summary, headline: list[str]) -> tuple[str, ...]:
    """Readable lines: `headline` (how it was made), downtimes honoured, changes, late jobs."""
    lines = list(headline)
    lines.append(
        f"Makespan {summary.makespan}; weighted tardiness {summary.weighted_tardiness} "
        f"(total tardiness {summary.total_tardiness})."
    )
    if problem.downtimes:
        windows = ", ".join(
            f"{d.machine} [{d.start}, {d.end})" + (f" {d.reason}" if d.reason else "")
            for d in problem.downtimes[:_MAX_LINES]
        )
        more = (
            f" and {len(problem.downtimes) - _MAX_LINES} more" if len(problem.downtimes) > _MAX_LINES else ""
        )
        lines.append(
            f"Nothing runs during the {len(problem.downtimes)} machine downtime(s): {windows}{more}."
        )
    if problem.fixed:
        lines.append(f"{len(problem.fixed)} operation(s) already started or done are kept as they are.")
    if problem.previous is not None:
        moved_machine = sum(c.old_machine != c.new_machine for c in summary.changes)
        shift = sum(abs(c.new_start - c.old_start) for c in summary.changes)
        lines.append(
            f"Versus the previous schedule: {len(summary.changes)} of {len(problem.previous.operations)} "
            f"operation(s) changed ({moved_machine} to another machine, starts shifted by {shift} in total); "
            f"disruption cost {summary.disruption}."
        )
        for c in summary.changes[:_MAX_LINES]:
            where = c.new_machine if c.old_machine == c.new_machine else f"{c.old_machine} -> {c.new_machine}"
            lines.append(
                f"  {c.job}/op{c.index}: {where}, start {c.old_start} -> {c.new_start} ({c.new_start - c.old_start:+d})."
            )
        if len(summary.changes) > _MAX_LINES:
            lines.append(f"  ... and {len(summary.changes) - _MAX_LINES} more change(s).")
    if summary.late_jobs:
        lines.append(f"{len(summary.late_jobs)} job(s) late:")
        for lj in summary.late_jobs[:_MAX_LINES]:
            lines.append(f"  {lj.job} late by {lj.tardiness} (weight {lj.weight}): {lj.reason}")
        if len(summary.late_jobs) > _MAX_LINES:
            lines.append(f"  ... and {len(summary.late_jobs) - _MAX_LINES} more late job(s).")
    elif any(job.due is not None for job in problem.jobs):
        lines.append("Every job with a due date ends on time.")
    return tuple(lines)


def _late_reason(
    problem: SchedulingProblem,
    job: Job,
    by_key: dict[tuple[str, int], ScheduledOperation],
    schedule: Schedule,
) -> str:
    assert job.due is not None
    fixed = {op.index: op for op in problem.fixed if op.job == job.id}
    alone = job.release
    for index, operation in enumerate(job.operations):
        pinned = fixed.get(index)
        if pinned is not None:
            alone = pinned.end
        else:
            alone = max(alone, problem.now) + min(alt.duration for alt in operation.alternatives)
    if alone > job.due:
        return (
            f"due date {job.due} is unreachable: even with every machine free it cannot end before {alone}."
        )
    worst: tuple[int, int, int] | None = None
    ready = max(job.release, problem.now)
    for index in range(len(job.operations)):
        op = by_key[(job.id, index)]
        wait = op.start - ready
        if index not in fixed and wait > 0 and (worst is None or wait > worst[0]):
            worst = (wait, index, ready)
        ready = op.end
    if worst is None:
        return "it runs without waiting, but on slower machines because the faster ones are needed elsewhere."
    wait, index, ready = worst
    op = by_key[(job.id, index)]
    downs = [d for d in problem.downtimes if d.machine == op.machine and d.start < op.start and d.end > ready]
    busy = [
        f"{o.job}/op{o.index}"
        for o in schedule.operations
        if o.machine == op.machine and o.job != job.id and o.start < op.start and o.end > ready
    ]
    causes = [f"down [{d.start}, {d.end})" + (f" ({d.reason})" if d.reason else "") for d in downs]
    if busy:
        shown = ", ".join(busy[:4]) + (" ..." if len(busy) > 4 else "")
        causes.append(f"busy with {shown}")
    because = "; ".join(causes) if causes else "held back to let other jobs through"
    return f"op{index} waits {wait} for {op.machine} ({because})."
