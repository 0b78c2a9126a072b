"""CP-SAT scheduling engine: flexible job shop with downtimes, due dates and rescheduling.

Model (OR-Tools CP-SAT), per operation not fixed:
- one start variable shared by one optional fixed-size interval per eligible machine, exactly one
  of whose presence literals is true; end = start + the chosen machine's duration;
- routing precedence end(op i) <= start(op i+1); the first operation starts at or after the job's
  release, every free operation at or after `SchedulingProblem.now`;
- one NoOverlap per machine over its optional intervals, the fixed intervals of operations already
  started (`SchedulingProblem.fixed`, pinned as given) and the machine's downtimes;
- makespan >= every job's end; tardiness_j >= end_j - due_j, >= 0; disruption = sum over
  operations of the previous schedule of start_shift * |start - old start| + machine_change *
  [machine differs] (`DisruptionCost`).

Objectives are lexicographic (see `Objective`): criteria are solved in turn, each later solve
bounded by the earlier values found and hinted with the previous solution; the time limit is
shared (60% for the primary criterion, the rest split). The first solve is hinted with a
dispatching-rule schedule, so a feasible answer exists from the start whenever one is easy.

Determinism: the default `workers=1` with a fixed `seed` makes the search reproducible; whenever
a criterion is proven optimal the answer is identical run to run. If the wall-clock limit stops
a search first, where it stopped depends on machine load, so the incumbent may differ. With
`workers>1` CP-SAT runs a parallel portfolio whose threads exchange solutions as they come, which
is faster on hard instances (the benchmark) but not reproducible, even with the same seed.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from agents._scheduling_dispatch import DispatchRule, dispatch
from agents._scheduling_explain import rationale, summarize
from agents._scheduling_model import (
    DisruptionCost,
    Objective,
    Schedule,
    ScheduledOperation,
    SchedulingProblem,
    SolveResult,
    SolveStatus,
)
from agents._scheduling_validate import check_problem

_PRIMARY_SHARE = 0.6
"""Fraction of the time limit given to the primary criterion when more follow."""
_WALL_SAFETY = 3.0
"""With one worker the limit is deterministic time; wall time may run to this multiple of it."""

_Key = tuple[str, int]
_Expr = cp_model.LinearExpr | cp_model.IntVar | int


@dataclass(kw_only=True, slots=True)
class _Built:
    """The CP-SAT model and the handles needed to read and hint solutions."""

    model: cp_model.CpModel
    starts: dict[_Key, cp_model.IntVar] = field(default_factory=dict)
    choices: dict[_Key, list[tuple[str, int, cp_model.IntVar]]] = field(default_factory=dict)
    criteria: list[tuple[str, _Expr]] = field(default_factory=list)


def solve(
    problem: SchedulingProblem,
    *,
    objective: Objective = Objective.MAKESPAN,
    time_limit_s: float = 10.0,
    seed: int = 0,
    workers: int = 1,
    disruption: DisruptionCost | None = None,
) -> SolveResult:
    """Schedule `problem` with CP-SAT and explain the result.

    objective: MAKESPAN, WEIGHTED_TARDINESS (then makespan) or REPAIR (weighted tardiness, then
    disruption vs `problem.previous`, then makespan), optimised lexicographically.
    time_limit_s: wall-clock budget for all criteria together.
    seed, workers: search seed and CP-SAT threads; workers=1 is reproducible, more is faster but
    not (see the module docstring).
    disruption: cost of moving operations vs the previous schedule (default `DisruptionCost()`).

    Returns a `SolveResult`: status, schedule (None when INFEASIBLE/UNKNOWN), makespan,
    tardiness, disruption, primary objective value and bound, time, changes, late jobs, rationale.
    Raises ValueError for a malformed problem (see `check_problem`).
    """
    began = time.perf_counter()
    check_problem(problem)
    cost = disruption or DisruptionCost()
    built = _build(problem, objective, cost)
    rule = DispatchRule.MWKR if objective is Objective.MAKESPAN else DispatchRule.EDD
    baseline = dispatch(problem, rule=rule)
    assert baseline.schedule is not None
    _hint(built, baseline.schedule)
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.num_workers = max(1, workers)
    solution: Schedule | None = None
    found: list[tuple[int, bool]] = []  # per criterion solved: value, proven optimal
    primary_bound: int | None = None
    deadline = began + time_limit_s
    det_used = 0.0  # deterministic time spent so far (one worker: the budget is counted in it)
    for position, (_, expr) in enumerate(built.criteria):
        left = len(built.criteria) - position
        if workers == 1:
            remaining = max(0.05, time_limit_s - det_used)
        else:
            remaining = max(0.05, deadline - time.perf_counter())
        share = 1.0 if left == 1 else (_PRIMARY_SHARE if position == 0 else 1.0 / left)
        budget = remaining * share
        if workers == 1:
            # One worker under a deterministic-time limit finds the same schedule on every run
            # (a replay relies on it); the wall-clock limit is only a safety net.
            solver.parameters.max_deterministic_time = budget
            solver.parameters.max_time_in_seconds = budget * _WALL_SAFETY
        else:
            solver.parameters.max_time_in_seconds = budget
        built.model.minimize(expr)
        status = solver.solve(built.model)
        det_used += solver.response_proto.deterministic_time
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"Invalid CP-SAT model (a bug in the engine): {built.model.validate()}")
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if position == 0:
                return _no_schedule(problem, objective, status, time.perf_counter() - began)
            break
        value = round(solver.objective_value)
        found.append((value, status == cp_model.OPTIMAL))
        if position == 0:
            primary_bound = min(value, math.ceil(solver.best_objective_bound - 1e-6))  # float bound
        solution = _read(built, solver, problem)
        built.model.add(expr <= value)
        _hint(built, solution)
    assert solution is not None
    optimal = len(found) == len(built.criteria) and all(proven for _, proven in found)
    elapsed = time.perf_counter() - began
    summary = summarize(problem, solution, cost)
    headline = _headline(objective, built, found, primary_bound, workers)
    return SolveResult(
        status=SolveStatus.OPTIMAL if optimal else SolveStatus.FEASIBLE,
        schedule=solution,
        objective=objective,
        # from the final schedule: later criteria may improve the primary below its phase value
        objective_value=summary.makespan if objective is Objective.MAKESPAN else summary.weighted_tardiness,
        bound=primary_bound,
        makespan=summary.makespan,
        total_tardiness=summary.total_tardiness,
        weighted_tardiness=summary.weighted_tardiness,
        disruption=summary.disruption,
        solve_time_s=elapsed,
        changes=summary.changes,
        late_jobs=summary.late_jobs,
        rationale=rationale(problem, summary, headline),
    )


def _build(problem: SchedulingProblem, objective: Objective, cost: DisruptionCost) -> _Built:
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


def _headline(
    objective: Objective,
    built: _Built,
    found: list[tuple[int, bool]],
    bound: int | None,
    workers: int,
) -> list[str]:
    order = " > ".join(name for name, _ in built.criteria)
    lines = [
        # No wall time here: the rationale is part of the decision, and a replay must read the same.
        f"CP-SAT, objective {objective.value} (lexicographic: {order}); {workers} worker(s)."
    ]
    for position, ((name, _), (value, proven)) in enumerate(zip(built.criteria, found, strict=False)):
        if proven:
            given = " given the criteria before it" if position else ""
            lines.append(f"  {name} {value}: proven optimal{given}.")
        elif position == 0 and bound is not None and value:
            gap = 100.0 * (value - bound) / value
            lines.append(
                f"  {name} {value}: best found in the time limit; lower bound {bound} (gap {gap:.1f}%)."
            )
        else:
            lines.append(f"  {name} {value}: best found in the time limit.")
    if len(found) < len(built.criteria):
        lines.append("  The time limit ran out before the later criteria were optimised.")
    return lines


def _no_schedule(
    problem: SchedulingProblem, objective: Objective, status: cp_model.CpSolverStatus, elapsed: float
) -> SolveResult:
    if status == cp_model.INFEASIBLE:
        reasons = _conflicts(problem) or ["the constraints admit no schedule"]
        lines = ["CP-SAT proved that no schedule exists: " + "; ".join(reasons) + "."]
        result_status = SolveStatus.INFEASIBLE
    else:
        lines = [f"CP-SAT found no schedule within the time limit ({elapsed:.1f} s); allow more time."]
        result_status = SolveStatus.UNKNOWN
    return SolveResult(
        status=result_status,
        schedule=None,
        objective=objective,
        objective_value=None,
        bound=None,
        makespan=None,
        total_tardiness=None,
        weighted_tardiness=None,
        disruption=None,
        solve_time_s=elapsed,
        rationale=tuple(lines),
    )


def _conflicts(problem: SchedulingProblem) -> list[str]:
    """Fixed operations clashing with each other or with downtimes: the usual cause of infeasibility."""
    found: list[str] = []
    fixed = sorted(problem.fixed, key=lambda o: (o.machine, o.start, o.end, o.job, o.index))
    for first, second in zip(fixed, fixed[1:], strict=False):
        if first.machine == second.machine and second.start < first.end:
            found.append(
                f"fixed {first.job}/op{first.index} and {second.job}/op{second.index} overlap on {first.machine}"
            )
    for op in fixed:
        for down in problem.downtimes:
            if down.machine == op.machine and op.start < down.end and down.start < op.end:
                found.append(
                    f"fixed {op.job}/op{op.index} runs while {op.machine} is down [{down.start}, {down.end})"
                )
    return found
