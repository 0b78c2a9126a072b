"""Large-neighbourhood search after CP-SAT: the steps that improve a flexible job shop's makespan.

Each step frees some operations (those on a few machines, of a few jobs, in a time window, or half
on a critical path and half at random), keeps every other one on its machine and in its order
there, re-solves that smaller model for a fraction of a second and keeps the answer if its makespan
is no worse. `_steps` runs them in one thread around a `_Search` its threads share; when, with what
limits and in how many threads: `_improve` in `agents._scheduling`.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise

from ortools.sat.python import cp_model

from agents._scheduling_cp import _build, _Built, _Key, _read
from agents._scheduling_model import (
    DisruptionCost,
    Objective,
    Schedule,
    ScheduledOperation,
    SchedulingProblem,
)

_STEP_S = 0.3
"""Time limit of one neighbourhood solve with several workers, wall-clock seconds."""
_STEP_DET = 0.03
"""Time limit of one neighbourhood solve with one worker, deterministic time (about _STEP_S here)."""
_KINDS = ("machines", "jobs", "window", "critical")
"""Neighbourhoods of the search, taken in turn."""
_FIRST_SIZE = 0.2
"""Fraction of the movable operations a neighbourhood frees at first (then adapted per kind)."""


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
