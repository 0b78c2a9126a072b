"""CP-SAT scheduling engine: flexible job shop with downtimes, due dates and rescheduling.

Model (OR-Tools CP-SAT, built in `agents._scheduling_cp`), per operation not fixed:
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

Makespan on a flexible shop (some operation with a choice of machine), unless CP-SAT proves it
optimal in a quarter of the budget, is then improved by a large-neighbourhood search (its steps in
`agents._scheduling_search`): each step frees some operations (those on a few machines, of a few
jobs, in a time window, or half on a critical path and half at random), keeps every other one on
its machine and in its order there, re-solves that smaller model unhinted for a fraction of a
second and keeps the answer if its makespan is no worse (so equal-makespan moves walk across
plateaus). A neighbourhood solved to the end grows the next of its kind, one cut short shrinks it.
CP-SAT's own neighbourhoods are limited in deterministic time, which on these disjunctive models
runs several times slower than the wall clock, so few fit in seconds; on Brandimarte's instances
this search halves the gap left at 10 s. Fixed routings (classical job shop) keep CP-SAT's search:
there it does better.

Determinism: the default `workers=1` with a fixed `seed` makes the search reproducible; whenever
a criterion is proven optimal the answer is identical run to run. If the wall-clock limit stops
a search first, where it stopped depends on machine load, so the incumbent may differ. With
`workers>1` CP-SAT runs a parallel portfolio whose threads exchange solutions as they come, which
is faster on hard instances (the benchmark) but not reproducible, even with the same seed; the
neighbourhood search then runs one thread per worker around a shared incumbent. With one worker it
is a single loop, seeded, each step limited in deterministic time.
"""

from __future__ import annotations

import math
import random
import time
from concurrent.futures import ThreadPoolExecutor

from ortools.sat.python import cp_model

from agents._scheduling_cp import _build, _Built, _flexible, _hint, _read
from agents._scheduling_dispatch import DispatchRule, dispatch
from agents._scheduling_explain import rationale, summarize
from agents._scheduling_model import (
    DisruptionCost,
    Objective,
    Schedule,
    SchedulingProblem,
    SolveResult,
    SolveStatus,
)
from agents._scheduling_search import _Search, _steps
from agents._scheduling_validate import check_problem

_PRIMARY_SHARE = 0.6
"""Fraction of the time limit given to the primary criterion when more follow."""
_WALL_SAFETY = 3.0
"""With one worker the limit is deterministic time; wall time may run to this multiple of it."""
_CP_SHARE = 0.25
"""Fraction of a makespan solve's budget for CP-SAT's own search; the neighbourhood search has the rest."""


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
    seed, workers: search seed and threads; workers=1 is reproducible, more is faster but not.
    Makespan on a flexible shop gets CP-SAT for a quarter of the time, then a large-neighbourhood
    search (both explained in the module docstring).
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
    search: _Search | None = None
    for position, (_, expr) in enumerate(built.criteria):
        left = len(built.criteria) - position
        if workers == 1:
            remaining = max(0.05, time_limit_s - det_used)
        else:
            remaining = max(0.05, deadline - time.perf_counter())
        share = 1.0 if left == 1 else (_PRIMARY_SHARE if position == 0 else 1.0 / left)
        budget = remaining * share
        improve = objective is Objective.MAKESPAN and position == 0 and _flexible(built)
        if improve:
            budget *= _CP_SHARE
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
        bound = min(value, math.ceil(solver.best_objective_bound - 1e-6))  # float bound
        if position == 0:
            primary_bound = bound
        solution = _read(built, solver, problem)
        if improve and value > bound:
            left_s = (time_limit_s - det_used) if workers == 1 else (deadline - time.perf_counter())
            search = _improve(
                problem, cost, solution, value, bound, budget=left_s, seed=seed, workers=workers
            )
            det_used += search.det_used
            solution, value = search.schedule, search.value
        found.append((value, status == cp_model.OPTIMAL or value <= bound))
        built.model.add(expr <= value)
        _hint(built, solution)
    assert solution is not None
    optimal = len(found) == len(built.criteria) and all(proven for _, proven in found)
    elapsed = time.perf_counter() - began
    summary = summarize(problem, solution, cost)
    headline = _headline(objective, built, found, primary_bound, workers, search)
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


def _improve(
    problem: SchedulingProblem,
    cost: DisruptionCost,
    schedule: Schedule,
    value: int,
    bound: int,
    *,
    budget: float,
    seed: int,
    workers: int,
) -> _Search:
    """Large-neighbourhood search on makespan from `schedule` for `budget` (see the module docstring)."""
    fixed = {(op.job, op.index) for op in problem.fixed}
    search = _Search(
        problem=problem,
        cost=cost,
        movable=[(j.id, i) for j in problem.jobs for i in range(len(j.operations)) if (j.id, i) not in fixed],
        bound=bound,
        deadline=time.perf_counter() + budget * (_WALL_SAFETY if workers == 1 else 1.0),
        det_budget=budget if workers == 1 else None,
        schedule=schedule,
        value=value,
        start=value,
    )
    if workers == 1:
        _steps(search, random.Random(seed), 0)
        return search
    threads = max(1, workers)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        runs = [pool.submit(_steps, search, random.Random(seed * 1009 + n), n) for n in range(threads)]
        for run in runs:
            run.result()  # re-raises what went wrong in a thread
    return search


def _headline(
    objective: Objective,
    built: _Built,
    found: list[tuple[int, bool]],
    bound: int | None,
    workers: int,
    search: _Search | None,
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
    if search is not None and search.moves:
        lines.append(
            f"  Large-neighbourhood search after CP-SAT: makespan {search.start} -> {search.value} "
            f"({search.moves} improvements in {search.steps} neighbourhood solves)."
        )
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
