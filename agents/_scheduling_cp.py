"""The CP-SAT model of a scheduling problem, shared by the solver and its neighbourhood search.

Built whole (`agents._scheduling` describes the model) or with some operations kept on their
machine, hinted with a schedule, read back into one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from agents._scheduling_model import (
    DisruptionCost,
    Objective,
    Schedule,
    ScheduledOperation,
    SchedulingProblem,
)

_Key = tuple[str, int]
_Expr = cp_model.LinearExpr | cp_model.IntVar | int


@dataclass(kw_only=True, slots=True)
class _Built:
    """The CP-SAT model and the handles needed to read and hint solutions."""

    model: cp_model.CpModel
    starts: dict[_Key, cp_model.IntVar] = field(default_factory=dict)
    choices: dict[_Key, list[tuple[str, int, cp_model.IntVar]]] = field(default_factory=dict)
    criteria: list[tuple[str, _Expr]] = field(default_factory=list)


def _build(
    problem: SchedulingProblem,
    objective: Objective,
    cost: DisruptionCost,
    kept: dict[_Key, str] | None = None,
) -> _Built:
    """The model; operations in `kept` may only run on the machine given there."""
    model = cp_model.CpModel()
    built = _Built(model=model)
    fixed = {(op.job, op.index): op for op in problem.fixed}
    base = max(
        [problem.now, *(j.release for j in problem.jobs), *(d.end for d in problem.downtimes)]
        + [op.end for op in problem.fixed]
    )
    horizon = base + sum(
        max(alt.duration for alt in operation.alternatives)
        for job in problem.jobs
        for index, operation in enumerate(job.operations)
        if (job.id, index) not in fixed
    )
    intervals: dict[str, list[cp_model.IntervalVar]] = {m: [] for m in problem.machines}
    for down in problem.downtimes:
        if down.end > down.start:
            intervals[down.machine].append(
                model.new_fixed_size_interval_var(down.start, down.end - down.start, "")
            )
    job_ends: list[tuple[int | None, int, _Expr]] = []
    for job in problem.jobs:
        previous_end: _Expr = job.release
        for index, operation in enumerate(job.operations):
            key = (job.id, index)
            pinned = fixed.get(key)
            if pinned is not None:
                if pinned.end > pinned.start:
                    size = pinned.end - pinned.start
                    intervals[pinned.machine].append(
                        model.new_fixed_size_interval_var(pinned.start, size, "")
                    )
                previous_end = pinned.end
                continue
            lowest = max(problem.now, job.release)
            start = model.new_int_var(lowest, horizon, f"s_{job.id}_{index}")
            built.starts[key] = start
            model.add(previous_end <= start)
            alternatives = operation.alternatives
            if kept is not None and key in kept:
                alternatives = tuple(alt for alt in alternatives if alt.machine == kept[key])
            if len(alternatives) == 1:
                alt = alternatives[0]
                literal = model.new_constant(1)
                intervals[alt.machine].append(model.new_fixed_size_interval_var(start, alt.duration, ""))
                built.choices[key] = [(alt.machine, alt.duration, literal)]
                previous_end = start + alt.duration
                continue
            choices: list[tuple[str, int, cp_model.IntVar]] = []
            for alt in alternatives:
                literal = model.new_bool_var(f"x_{job.id}_{index}_{alt.machine}")
                interval = model.new_optional_fixed_size_interval_var(start, alt.duration, literal, "")
                intervals[alt.machine].append(interval)
                choices.append((alt.machine, alt.duration, literal))
            model.add_exactly_one(literal for _, _, literal in choices)
            built.choices[key] = choices
            end = model.new_int_var(lowest, horizon, f"e_{job.id}_{index}")
            model.add(end == start + sum(duration * literal for _, duration, literal in choices))
            previous_end = end
        job_ends.append((job.due, job.weight, previous_end))
    for machine_intervals in intervals.values():
        if len(machine_intervals) > 1:
            model.add_no_overlap(machine_intervals)
    makespan = model.new_int_var(0, horizon, "makespan")
    for _, _, job_end in job_ends:
        model.add(makespan >= job_end)
    tardiness_terms: list[_Expr] = []
    for due, weight, job_end in job_ends:
        if due is None or weight == 0:
            continue
        tardy = model.new_int_var(0, horizon, "")
        model.add(tardy >= job_end - due)
        tardiness_terms.append(weight * tardy)
    tardiness = sum(tardiness_terms, start=cp_model.LinearExpr.constant(0))
    if objective is Objective.MAKESPAN:
        built.criteria = [("makespan", makespan)]
        return built
    built.criteria = [("weighted tardiness", tardiness)]
    if objective is Objective.REPAIR and problem.previous is not None:
        built.criteria.append(("disruption", _disruption(built, problem, cost, horizon)))
    built.criteria.append(("makespan", makespan))
    return built


def _disruption(built: _Built, problem: SchedulingProblem, cost: DisruptionCost, horizon: int) -> _Expr:
    assert problem.previous is not None
    model = built.model
    fixed = {(op.job, op.index): op for op in problem.fixed}
    terms: list[_Expr] = []
    for old in problem.previous.operations:
        key = (old.job, old.index)
        pinned = fixed.get(key)
        if pinned is not None:
            moved = cost.start_shift * abs(pinned.start - old.start)
            terms.append(moved + cost.machine_change * (pinned.machine != old.machine))
            continue
        start = built.starts.get(key)
        if start is None:
            continue
        shift = model.new_int_var(0, horizon + abs(old.start), "")
        model.add(shift >= start - old.start)
        model.add(shift >= old.start - start)
        kept = [literal for machine, _, literal in built.choices[key] if machine == old.machine]
        changed: _Expr = 1 - kept[0] if kept else 1
        terms.append(cost.start_shift * shift + cost.machine_change * changed)
    return sum(terms, start=cp_model.LinearExpr.constant(0))


def _flexible(built: _Built) -> bool:
    """Whether some operation still has a choice of machine (the search pays off only then)."""
    return any(len(choices) > 1 for choices in built.choices.values())


def _hint(built: _Built, schedule: Schedule) -> None:
    built.model.clear_hints()  # type: ignore[no-untyped-call]  # untyped in ortools' own stubs
    by_key = schedule.by_key()
    for key, start in built.starts.items():
        op = by_key.get(key)
        if op is None:
            continue
        built.model.add_hint(start, op.start)
        choices = built.choices[key]
        for machine, _, literal in choices if len(choices) > 1 else ():
            built.model.add_hint(literal, machine == op.machine)


def _read(built: _Built, solver: cp_model.CpSolver, problem: SchedulingProblem) -> Schedule:
    placed = list(problem.fixed)
    for key, start in built.starts.items():
        begin = solver.value(start)
        machine, duration = next(
            (machine, duration)
            for machine, duration, literal in built.choices[key]
            if solver.boolean_value(literal)
        )
        placed.append(
            ScheduledOperation(job=key[0], index=key[1], machine=machine, start=begin, end=begin + duration)
        )
    order = {m: i for i, m in enumerate(problem.machines)}
    placed.sort(key=lambda o: (o.start, order[o.machine], o.job, o.index))
    return Schedule(operations=tuple(placed))
