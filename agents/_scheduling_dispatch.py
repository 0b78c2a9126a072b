"""Dispatching-rule baseline: the list scheduling plants use today (SPT, MWKR, EDD).

A Giffler-Thompson style generator: at each step every job offers its next operation on the
machine where it would finish earliest (honouring downtimes, fixed operations and gaps left on
the machine); among the operations that could start before the earliest of those finish times,
the rule picks one. Always feasible, deterministic (ties broken by job order, then machine order),
no optimisation: it is the reference the CP-SAT model is compared with.
"""

from __future__ import annotations

import bisect
import time
from enum import StrEnum

from agents._scheduling_explain import rationale, summarize
from agents._scheduling_model import (
    DisruptionCost,
    Job,
    Objective,
    Schedule,
    ScheduledOperation,
    SchedulingProblem,
    SolveResult,
    SolveStatus,
)
from agents._scheduling_validate import check_problem


class DispatchRule(StrEnum):
    """Priority rule that picks among competing operations."""

    SPT = "spt"
    """Shortest processing time first."""
    MWKR = "mwkr"
    """Most work remaining (in the job, this operation included) first."""
    EDD = "edd"
    """Earliest due date first (jobs without a due date last)."""


class _Timeline:
    """Busy intervals of one machine, sorted; finds the earliest gap that fits."""

    def __init__(self) -> None:
        self.busy: list[tuple[int, int]] = []

    def earliest(self, ready: int, duration: int) -> int:
        t = ready
        for start, end in self.busy:
            if end <= t:
                continue
            if start >= t + duration:
                break
            t = max(t, end)
        return t

    def add(self, start: int, end: int) -> None:
        bisect.insort(self.busy, (start, end))


def dispatch(
    problem: SchedulingProblem,
    *,
    rule: DispatchRule = DispatchRule.MWKR,
    objective: Objective = Objective.MAKESPAN,
    disruption: DisruptionCost | None = None,
) -> SolveResult:
    """Build a feasible schedule with a dispatching rule (baseline; no search, no optimality).

    `objective` only selects which criterion is reported as `objective_value`. Raises
    ValueError for a malformed problem (see `check_problem`).
    """
    began = time.perf_counter()
    check_problem(problem)
    order = {m: i for i, m in enumerate(problem.machines)}
    lines = {m: _Timeline() for m in problem.machines}
    for down in problem.downtimes:
        if down.end > down.start:
            lines[down.machine].add(down.start, down.end)
    placed: list[ScheduledOperation] = list(problem.fixed)
    for op in problem.fixed:
        if op.end > op.start:
            lines[op.machine].add(op.start, op.end)
    next_index: dict[str, int] = {}
    ready: dict[str, int] = {}
    remaining: dict[str, int] = {}
    for job in problem.jobs:
        done = [op for op in problem.fixed if op.job == job.id]
        next_index[job.id] = len(done)
        ready[job.id] = max([job.release, problem.now, *(op.end for op in done)])
        remaining[job.id] = sum(
            min(alt.duration for alt in operation.alternatives) for operation in job.operations[len(done) :]
        )
    jobs = [job for job in problem.jobs if next_index[job.id] < len(job.operations)]
    while jobs:
        offers: list[tuple[int, int, int, str, int]] = []  # ect, est, machine order, machine, job position
        for position, job in enumerate(jobs):
            operation = job.operations[next_index[job.id]]
            best: tuple[int, int, int, str, int] | None = None
            for alt in operation.alternatives:
                est = lines[alt.machine].earliest(ready[job.id], alt.duration)
                offer = (est + alt.duration, est, order[alt.machine], alt.machine, position)
                if best is None or offer < best:
                    best = offer
            assert best is not None
            offers.append(best)
        horizon = min(offer[0] for offer in offers)
        conflict = [offer for offer in offers if offer[1] < horizon or offer[0] == horizon]
        chosen = min(conflict, key=lambda offer: _priority(rule, offer, jobs, remaining))
        end, start, _, machine, position = chosen
        job = jobs[position]
        index = next_index[job.id]
        placed.append(ScheduledOperation(job=job.id, index=index, machine=machine, start=start, end=end))
        if end > start:
            lines[machine].add(start, end)
        ready[job.id] = end
        remaining[job.id] -= min(alt.duration for alt in job.operations[index].alternatives)
        next_index[job.id] = index + 1
        if next_index[job.id] == len(job.operations):
            jobs.pop(position)
    placed.sort(key=lambda o: (o.start, order[o.machine], o.job, o.index))
    schedule = Schedule(operations=tuple(placed))
    summary = summarize(problem, schedule, disruption or DisruptionCost())
    value = summary.makespan if objective is Objective.MAKESPAN else summary.weighted_tardiness
    headline = [f"Dispatching rule {rule.name} (baseline list scheduling, no optimisation)."]
    return SolveResult(
        status=SolveStatus.FEASIBLE,
        schedule=schedule,
        objective=objective,
        objective_value=value,
        bound=None,
        makespan=summary.makespan,
        total_tardiness=summary.total_tardiness,
        weighted_tardiness=summary.weighted_tardiness,
        disruption=summary.disruption,
        solve_time_s=time.perf_counter() - began,
        changes=summary.changes,
        late_jobs=summary.late_jobs,
        rationale=rationale(problem, summary, headline),
    )


def _priority(
    rule: DispatchRule,
    offer: tuple[int, int, int, str, int],
    jobs: list[Job],
    remaining: dict[str, int],
) -> tuple[int, int]:
    end, start, _, _, position = offer
    job = jobs[position]
    if rule is DispatchRule.SPT:
        return (end - start, position)
    if rule is DispatchRule.MWKR:
        return (-remaining[job.id], position)
    return (job.due if job.due is not None else _NO_DUE, position)


_NO_DUE = 2**62
"""Sort key of a job without due date under EDD (after every real due date)."""
