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

Makespan on a flexible shop (some operation with a choice of machine), unless CP-SAT proves it
optimal in a quarter of the budget, is then improved by a large-neighbourhood search: each step
frees some operations (those on a few machines, of a few jobs, in a time window, or half on a
critical path and half at random), keeps every other one on its machine and in its order there,
re-solves that smaller model unhinted for a fraction of a second and keeps the answer if its
makespan is no worse (so equal-makespan moves walk across plateaus). A neighbourhood solved to
the end grows the next of its kind, one cut short shrinks it. CP-SAT's own neighbourhoods are
limited in deterministic time, which on these disjunctive models runs several times slower than
the wall clock, so few fit in seconds; on Brandimarte's instances this search halves the gap left
at 10 s. Fixed routings (classical job shop) keep CP-SAT's search: there it does better.

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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise

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
_CP_SHARE = 0.25
"""Fraction of a makespan solve's budget for CP-SAT's own search; the neighbourhood search has the rest."""
_STEP_S = 0.3
"""Time limit of one neighbourhood solve with several workers, wall-clock seconds."""
_STEP_DET = 0.03
"""Time limit of one neighbourhood solve with one worker, deterministic time (about _STEP_S here)."""
_KINDS = ("machines", "jobs", "window", "critical")
"""Neighbourhoods of the search, taken in turn."""
_FIRST_SIZE = 0.2
"""Fraction of the movable operations a neighbourhood frees at first (then adapted per kind)."""

_Key = tuple[str, int]
_Expr = cp_model.LinearExpr | cp_model.IntVar | int


@dataclass(kw_only=True, slots=True)
class _Built:
    """The CP-SAT model and the handles needed to read and hint solutions."""

    model: cp_model.CpModel
    starts: dict[_Key, cp_model.IntVar] = field(default_factory=dict)
    choices: dict[_Key, list[tuple[str, int, cp_model.IntVar]]] = field(default_factory=dict)
    criteria: list[tuple[str, _Expr]] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class _Search:
    """A large-neighbourhood search under way: problem, limits and incumbent, shared by its threads."""

    problem: SchedulingProblem
    cost: DisruptionCost
    movable: list[_Key]
    bound: int
    deadline: float
    det_budget: float | None
    """Deterministic time it may use (one worker); None: only the wall-clock deadline."""
    schedule: Schedule
    value: int
    start: int
    """Makespan CP-SAT handed over."""
    difficulty: dict[str, float] = field(default_factory=lambda: dict.fromkeys(_KINDS, _FIRST_SIZE))
    """Fraction of the movable operations each kind of neighbourhood frees next."""
    steps: int = 0
    moves: int = 0
    det_used: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


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


def _steps(search: _Search, rng: random.Random, step: int) -> None:
    """One thread of the search: free a neighbourhood, re-solve it, keep the answer if no worse;
    until the bound is reached or the budget runs out."""
    while True:
        with search.lock:
            left = search.deadline - time.perf_counter()
            det_left = math.inf if search.det_budget is None else search.det_budget - search.det_used
            if search.value <= search.bound or left <= 0.01 or det_left <= 0.001:
                return
            kind = _KINDS[step % len(_KINDS)]
            step += 1
            schedule, value = search.schedule, search.value
            free = _neighbourhood(kind, schedule, search.movable, rng, search.difficulty[kind])
        built = _restricted(search.problem, search.cost, schedule, value, free)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = rng.randrange(1 << 30)
        if search.det_budget is None:
            solver.parameters.max_time_in_seconds = min(left, _STEP_S)
        else:
            solver.parameters.max_deterministic_time = min(_STEP_DET, det_left)
            solver.parameters.max_time_in_seconds = left
        status = solver.solve(built.model)
        if status == cp_model.MODEL_INVALID:
            raise RuntimeError(f"Invalid CP-SAT model (a bug in the engine): {built.model.validate()}")
        with search.lock:
            search.steps += 1
            # CP-SAT does not count building the model; the floor keeps the step count finite
            search.det_used += max(solver.response_proto.deterministic_time, _STEP_DET / 10)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                found = solver.value(built.criteria[0][1])
                search.moves += found < search.value
                if found <= search.value:
                    search.schedule, search.value = _read(built, solver, search.problem), found
            grown = search.difficulty[kind] * (1.1 if status == cp_model.OPTIMAL else 1 / 1.1)
            search.difficulty[kind] = min(1.0, max(0.01, grown))


def _neighbourhood(
    kind: str, schedule: Schedule, movable: list[_Key], rng: random.Random, difficulty: float
) -> set[_Key]:
    """The operations a step frees: about `difficulty` of the movable ones, chosen by `kind`."""
    by_key = schedule.by_key()
    target = max(2, round(difficulty * len(movable)))
    if kind == "window":
        ordered = sorted(movable, key=lambda k: (by_key[k].start, k))
        first = rng.randrange(max(1, len(ordered) - target + 1))
        return set(ordered[first : first + target])
    if kind == "critical":
        chosen = sorted(_critical(schedule) & set(movable))
        rng.shuffle(chosen)
        chosen = chosen[: max(1, target // 2)]
        taken = set(chosen)
        others = [k for k in movable if k not in taken]
        rng.shuffle(others)
        return {*chosen, *others[: target - len(chosen)]}
    groups: dict[str, list[_Key]] = {}
    for key in movable:
        groups.setdefault(by_key[key].machine if kind == "machines" else key[0], []).append(key)
    names = sorted(groups)
    rng.shuffle(names)
    free: set[_Key] = set()
    for name in names:
        if len(free) >= target:
            break
        free.update(groups[name])
    return free


def _critical(schedule: Schedule) -> set[_Key]:
    """Operations on a longest path: back from those ending at the makespan, through every job or
    machine predecessor that ends exactly when the operation starts."""
    ops = schedule.operations
    end = max(op.end for op in ops)
    ending: dict[int, list[ScheduledOperation]] = {}
    for op in ops:
        ending.setdefault(op.end, []).append(op)
    seen: set[_Key] = set()
    todo = [op for op in ops if op.end == end]
    while todo:
        op = todo.pop()
        if (op.job, op.index) in seen:
            continue
        seen.add((op.job, op.index))
        todo += [
            before
            for before in ending.get(op.start, ())
            if before.machine == op.machine or (before.job == op.job and before.index == op.index - 1)
        ]
    return seen


def _restricted(
    problem: SchedulingProblem, cost: DisruptionCost, schedule: Schedule, value: int, free: set[_Key]
) -> _Built:
    """The makespan model with every operation outside `free` kept on its machine and in its order
    there, and makespan at most `value`."""
    by_key = schedule.by_key()
    kept = {key: op.machine for key, op in by_key.items() if key not in free}
    built = _build(problem, Objective.MAKESPAN, cost, kept)
    model = built.model
    lines: dict[str, list[ScheduledOperation]] = {}
    for key in built.starts:
        op = by_key[key]
        if key not in free and op.end > op.start:  # an empty operation takes no machine time
            lines.setdefault(op.machine, []).append(op)
    for line in lines.values():
        line.sort(key=lambda o: (o.start, o.job, o.index))
        for first, second in pairwise(line):
            model.add(
                built.starts[(first.job, first.index)] + (first.end - first.start)
                <= built.starts[(second.job, second.index)]
            )
    makespan = built.criteria[0][1]
    model.add(makespan <= value)
    # No hint: a neighbourhood that cannot do better is then mostly re-solved into another schedule
    # of the same makespan, so the search walks across plateaus (with the hint it stays put).
    model.minimize(makespan)
    return built


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
