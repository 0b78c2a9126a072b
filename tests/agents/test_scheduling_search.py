"""The large-neighbourhood search that improves CP-SAT's makespan on flexible job shops."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from agents import _scheduling
from agents._scheduling import _improve, solve
from agents._scheduling_cp import _build, _flexible, _read
from agents._scheduling_dispatch import DispatchRule, dispatch
from agents._scheduling_io import parse_best_known, parse_fjsp
from agents._scheduling_model import (
    Alternative,
    DisruptionCost,
    Downtime,
    Job,
    Objective,
    Operation,
    Schedule,
    ScheduledOperation,
    SchedulingProblem,
)
from agents._scheduling_search import _KINDS, _critical, _neighbourhood, _restricted
from agents._scheduling_validate import validate


def flexible_shop(seed: int = 7, jobs: int = 8, machines: int = 4, steps: int = 4) -> SchedulingProblem:
    """A seeded flexible job shop with a downtime, a started operation, a release and `now`."""
    rng = random.Random(seed)
    names = tuple(f"M{m}" for m in range(machines))
    built = []
    for j in range(jobs):
        operations = []
        for _ in range(steps):
            chosen = rng.sample(names, k=rng.randint(1, 3))
            operations.append(
                Operation(
                    alternatives=tuple(Alternative(machine=m, duration=rng.randint(1, 9)) for m in chosen)
                )
            )
        built.append(Job(id=f"J{j}", operations=tuple(operations), release=3 if j == 5 else 0))
    first = built[0].operations[0].alternatives[0]
    started = ScheduledOperation(job="J0", index=0, machine=first.machine, start=0, end=first.duration)
    return SchedulingProblem(
        machines=names,
        jobs=tuple(built),
        downtimes=(Downtime(machine="M1", start=4, end=9, reason="PM"),),
        fixed=(started,),
        now=1,
        name="flex",
    )


def movable(problem: SchedulingProblem) -> list[tuple[str, int]]:
    fixed = {(op.job, op.index) for op in problem.fixed}
    return [(j.id, i) for j in problem.jobs for i in range(len(j.operations)) if (j.id, i) not in fixed]


def start_from(problem: SchedulingProblem) -> tuple[Schedule, int]:
    baseline = dispatch(problem, rule=DispatchRule.SPT)
    assert baseline.schedule is not None and baseline.makespan is not None
    return baseline.schedule, baseline.makespan


def test_only_flexible_problems_get_the_search() -> None:
    problem = flexible_shop()
    assert _flexible(_build(problem, Objective.MAKESPAN, DisruptionCost()))
    rigid = SchedulingProblem(
        machines=("M0", "M1"),
        jobs=tuple(
            Job(
                id=f"J{i}",
                operations=tuple(
                    Operation(alternatives=(Alternative(machine=m, duration=3),)) for m in ("M0", "M1")
                ),
            )
            for i in range(3)
        ),
    )
    assert not _flexible(_build(rigid, Objective.MAKESPAN, DisruptionCost()))


@pytest.mark.parametrize("kind", _KINDS)
def test_neighbourhoods_free_about_the_asked_share_of_movable_operations(kind: str) -> None:
    problem = flexible_shop()
    schedule, _ = start_from(problem)
    keys = movable(problem)
    free = _neighbourhood(kind, schedule, keys, random.Random(1), 0.25)
    assert free <= set(keys) and len(free) >= round(0.25 * len(keys))
    if kind in ("window", "critical"):
        assert len(free) == round(0.25 * len(keys))
    if kind == "machines":  # whole machines: every operation on a freed machine is free
        freed = {op.machine for op in schedule.operations if (op.job, op.index) in free}
        assert all(
            (op.job, op.index) in free
            for op in schedule.operations
            if op.machine in freed and (op.job, op.index) in keys
        )


def test_critical_path_runs_back_from_the_makespan_without_gaps() -> None:
    schedule, _ = start_from(flexible_shop())
    path = _critical(schedule)
    by_key = schedule.by_key()
    makespan = max(op.end for op in schedule.operations)
    assert any(by_key[k].end == makespan for k in path)
    for key in path:  # each ends at the makespan or right when its successor on the path starts
        op = by_key[key]
        assert op.end == makespan or any(
            by_key[k].start == op.end and (by_key[k].machine == op.machine or k == (op.job, op.index + 1))
            for k in path
        )


def test_restricted_model_keeps_the_other_operations_on_their_machine_and_in_order() -> None:
    problem = flexible_shop()
    schedule, value = start_from(problem)
    by_key = schedule.by_key()
    keys = movable(problem)
    free = set(keys[:4])
    built = _restricted(problem, DisruptionCost(), schedule, value, free)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_deterministic_time = 5
    assert solver.solve(built.model) == cp_model.OPTIMAL
    new = _read(built, solver, problem)
    assert validate(problem, new) == [] and max(op.end for op in new.operations) <= value
    after = new.by_key()
    for key in keys:
        if key not in free:
            assert after[key].machine == by_key[key].machine
    for machine in problem.machines:
        kept = [
            k
            for k in keys
            if k not in free and by_key[k].machine == machine and by_key[k].end > by_key[k].start
        ]
        assert sorted(kept, key=lambda k: by_key[k].start) == sorted(kept, key=lambda k: after[k].start)


def test_search_never_worsens_and_keeps_schedules_valid() -> None:
    problem = flexible_shop()
    best = _improve(problem, DisruptionCost(), *start_from(problem), 0, budget=0.3, seed=3, workers=2)
    assert validate(problem, best.schedule) == []
    assert best.value == max(op.end for op in best.schedule.operations) <= best.start
    assert best.steps > 0 and best.moves > 0


def test_search_with_one_worker_is_reproducible(monkeypatch: pytest.MonkeyPatch) -> None:
    # the wall-clock safety net is what may stop a loaded machine early; take it out of the way
    monkeypatch.setattr(_scheduling, "_WALL_SAFETY", 1000.0)
    problem = flexible_shop()
    runs: list[tuple[Schedule, int, int]] = []
    for _ in range(2):
        best = _improve(problem, DisruptionCost(), *start_from(problem), 0, budget=0.05, seed=5, workers=1)
        assert validate(problem, best.schedule) == [] and best.value <= best.start
        runs.append((best.schedule, best.value, best.steps))
    assert runs[0] == runs[1]


@pytest.mark.data
def test_search_improves_cp_sat_on_a_large_brandimarte_instance(data_dir: Path) -> None:
    root = data_dir / "fjsp-brandimarte"
    known = parse_best_known((root / "instances.json").read_text())["mk10"]
    problem = parse_fjsp((root / known.path).read_text(), name="mk10")
    result = solve(problem, time_limit_s=3, workers=2)
    assert result.schedule is not None and validate(problem, result.schedule) == []
    assert any("Large-neighbourhood search after CP-SAT" in line for line in result.rationale)
    baseline = dispatch(problem, rule=DispatchRule.MWKR).makespan
    assert result.makespan is not None and baseline is not None and result.makespan < baseline
