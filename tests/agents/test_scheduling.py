"""Scheduling engine: CP-SAT model, dispatching baseline, validator, benchmark parsers."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from agents._scheduling import solve
from agents._scheduling_dispatch import DispatchRule, dispatch
from agents._scheduling_io import InstanceFormatError, parse_best_known, parse_fjsp, parse_jsp
from agents._scheduling_model import (
    Alternative,
    Downtime,
    Job,
    Objective,
    Operation,
    Schedule,
    ScheduledOperation,
    SchedulingProblem,
    SolveStatus,
    ViolationKind,
)
from agents._scheduling_validate import check_problem, validate


def op(*alternatives: tuple[str, int]) -> Operation:
    return Operation(alternatives=tuple(Alternative(machine=m, duration=d) for m, d in alternatives))


def flow_shop() -> SchedulingProblem:
    """Two-machine flow shop; Johnson's rule gives J1, J0, J2 and the optimum 9 (= M1 load 8 + 1)."""
    jobs = tuple(
        Job(id=f"J{i}", operations=(op(("M0", a)), op(("M1", b))))
        for i, (a, b) in enumerate([(3, 2), (1, 4), (2, 2)])
    )
    return SchedulingProblem(machines=("M0", "M1"), jobs=jobs, name="johnson")


def shop() -> SchedulingProblem:
    """Four jobs on three machines, some operations flexible, with due dates and weights."""
    jobs = (
        Job(id="A", operations=(op(("M0", 3)), op(("M1", 4), ("M2", 5)), op(("M2", 2))), due=12, weight=2),
        Job(id="B", operations=(op(("M1", 2)), op(("M0", 4)), op(("M2", 3))), due=14, weight=1),
        Job(id="C", operations=(op(("M2", 4), ("M0", 5)), op(("M1", 3))), due=10, weight=3),
        Job(id="D", operations=(op(("M0", 2)), op(("M2", 3)), op(("M1", 4), ("M0", 4))), release=2, due=16),
    )
    return SchedulingProblem(machines=("M0", "M1", "M2"), jobs=jobs, name="shop")


def schedule_of(*entries: tuple[str, int, str, int, int]) -> Schedule:
    return Schedule(
        operations=tuple(
            ScheduledOperation(job=j, index=i, machine=m, start=s, end=e) for j, i, m, s, e in entries
        )
    )


# --- CP-SAT model --------------------------------------------------------------------------------


def test_flow_shop_reaches_johnson_optimum() -> None:
    problem = flow_shop()
    result = solve(problem, time_limit_s=5)
    assert result.status is SolveStatus.OPTIMAL
    assert result.makespan == result.objective_value == result.bound == 9
    assert result.schedule is not None and validate(problem, result.schedule) == []
    assert result.gap == 0.0


def test_flexible_operations_spread_over_alternative_machines() -> None:
    jobs = tuple(Job(id=f"J{i}", operations=(op(("M0", 5), ("M1", 5)),)) for i in range(2))
    jobs += (Job(id="fast", operations=(op(("M0", 9), ("M2", 1)),)),)
    problem = SchedulingProblem(machines=("M0", "M1", "M2"), jobs=jobs)
    result = solve(problem, time_limit_s=5)
    assert result.status is SolveStatus.OPTIMAL and result.makespan == 5
    assert result.schedule is not None
    assert result.schedule.by_key()[("fast", 0)].machine == "M2"


def test_single_machine_weighted_tardiness_matches_brute_force() -> None:
    spec = [("a", 4, 5, 1), ("b", 2, 3, 3), ("c", 6, 8, 2), ("d", 3, 6, 4)]
    jobs = tuple(Job(id=j, operations=(op(("M", p)),), due=due, weight=w) for j, p, due, w in spec)
    problem = SchedulingProblem(machines=("M",), jobs=jobs)

    def cost(order: tuple[tuple[str, int, int, int], ...]) -> int:
        t = total = 0
        for _, p, due, w in order:
            t += p
            total += w * max(0, t - due)
        return total

    best = min(cost(order) for order in itertools.permutations(spec))
    result = solve(problem, objective=Objective.WEIGHTED_TARDINESS, time_limit_s=5)
    assert result.status is SolveStatus.OPTIMAL
    assert result.weighted_tardiness == result.objective_value == best
    assert result.makespan == 15  # makespan is the second criterion: no idle time


def test_downtime_is_respected_or_avoided() -> None:
    down = Downtime(machine="M0", start=2, end=10, reason="breakdown")
    only_m0 = SchedulingProblem(
        machines=("M0",), jobs=(Job(id="J", operations=(op(("M0", 5)),)),), downtimes=(down,)
    )
    result = solve(only_m0, time_limit_s=5)
    assert result.schedule is not None and result.schedule.operations[0].start == 10
    assert validate(only_m0, result.schedule) == []
    assert any("breakdown" in line for line in result.rationale)
    flexible = SchedulingProblem(
        machines=("M0", "M1"), jobs=(Job(id="J", operations=(op(("M0", 5), ("M1", 7)),)),), downtimes=(down,)
    )
    result = solve(flexible, time_limit_s=5)
    assert result.schedule is not None and result.schedule.operations[0].machine == "M1"
    assert result.makespan == 7


def test_solve_is_deterministic() -> None:
    problem = shop()
    first = solve(problem, objective=Objective.WEIGHTED_TARDINESS, time_limit_s=5)
    second = solve(problem, objective=Objective.WEIGHTED_TARDINESS, time_limit_s=5)
    assert first.schedule == second.schedule
    assert first.rationale[1:] == second.rationale[1:]  # the first line carries the solve time


def breakdown(
    previous: Schedule, problem: SchedulingProblem, *, machine: str, now: int, until: int
) -> SchedulingProblem:
    """The plant at `now`: `machine` down until `until`, started operations kept, the rest free."""
    started = tuple(
        o for o in previous.operations if o.start < now and not (o.machine == machine and o.end > now)
    )  # an operation interrupted by the breakdown starts again from scratch
    down = Downtime(machine=machine, start=now, end=until, reason="breakdown")
    return dataclasses.replace(problem, downtimes=(down,), fixed=started, now=now, previous=previous)


def test_rescheduling_keeps_started_operations_and_disrupts_less_than_from_scratch() -> None:
    base = shop()
    planned = solve(base, objective=Objective.WEIGHTED_TARDINESS, time_limit_s=5)
    assert planned.schedule is not None
    disrupted = breakdown(planned.schedule, base, machine="M1", now=4, until=9)
    repaired = solve(disrupted, objective=Objective.REPAIR, time_limit_s=5)
    scratch = solve(disrupted, objective=Objective.WEIGHTED_TARDINESS, time_limit_s=5)
    assert (
        repaired.status is SolveStatus.OPTIMAL
        and repaired.schedule is not None
        and scratch.schedule is not None
    )
    assert validate(disrupted, repaired.schedule) == []
    kept = repaired.schedule.by_key()
    assert disrupted.fixed and all(kept[(o.job, o.index)] == o for o in disrupted.fixed)
    assert repaired.weighted_tardiness == scratch.weighted_tardiness  # tardiness first, then disruption
    assert repaired.disruption is not None and scratch.disruption is not None
    assert repaired.disruption < scratch.disruption
    assert repaired.changes and any("Versus the previous schedule" in line for line in repaired.rationale)


def test_fixed_operation_in_a_downtime_is_infeasible_with_the_reason() -> None:
    problem = SchedulingProblem(
        machines=("M0",),
        jobs=(Job(id="J", operations=(op(("M0", 5)), op(("M0", 1)))),),
        downtimes=(Downtime(machine="M0", start=3, end=6),),
        fixed=(ScheduledOperation(job="J", index=0, machine="M0", start=0, end=5),),
    )
    result = solve(problem, time_limit_s=5)
    assert result.status is SolveStatus.INFEASIBLE and result.schedule is None
    assert "J/op0" in result.rationale[0]


def test_late_jobs_are_explained() -> None:
    jobs = (
        Job(id="urgent", operations=(op(("M0", 5)),), due=6, weight=10),
        Job(id="other", operations=(op(("M0", 5)),), due=6),
        Job(id="hopeless", operations=(op(("M1", 8)),), due=3),
    )
    result = solve(
        SchedulingProblem(machines=("M0", "M1"), jobs=jobs),
        objective=Objective.WEIGHTED_TARDINESS,
        time_limit_s=5,
    )
    late = {lj.job: lj for lj in result.late_jobs}
    assert set(late) == {"other", "hopeless"} and late["other"].tardiness == 4
    assert "waits 5 for M0" in late["other"].reason and "urgent/op0" in late["other"].reason
    assert "unreachable" in late["hopeless"].reason


@pytest.mark.parametrize(
    "problem",
    [
        SchedulingProblem(machines=("M0",), jobs=(Job(id="J", operations=(op(("M9", 1)),)),)),
        SchedulingProblem(machines=("M0",), jobs=(Job(id="J", operations=(op(("M0", 1)),)),) * 2),
        SchedulingProblem(machines=("M0",), jobs=(Job(id="J", operations=(Operation(alternatives=()),)),)),
        SchedulingProblem(
            machines=("M0",),
            jobs=(Job(id="J", operations=(op(("M0", 1)), op(("M0", 1)))),),
            fixed=(ScheduledOperation(job="J", index=1, machine="M0", start=0, end=1),),
        ),
    ],
    ids=["unknown-machine", "duplicate-job", "no-alternative", "fixed-not-prefix"],
)
def test_malformed_problems_are_rejected(problem: SchedulingProblem) -> None:
    with pytest.raises(ValueError):
        check_problem(problem)
    with pytest.raises(ValueError):
        solve(problem, time_limit_s=1)


# --- dispatching baseline ------------------------------------------------------------------------


@pytest.mark.parametrize("rule", list(DispatchRule))
def test_dispatching_rules_give_valid_schedules_no_better_than_cp_sat(rule: DispatchRule) -> None:
    for problem in (flow_shop(), shop()):
        baseline = dispatch(problem, rule=rule)
        assert baseline.schedule is not None and validate(problem, baseline.schedule) == []
        assert baseline.makespan is not None
        assert baseline.makespan >= (solve(problem, time_limit_s=5).makespan or 0)
    planned = solve(shop(), time_limit_s=5).schedule
    assert planned is not None
    disrupted = breakdown(planned, shop(), machine="M0", now=3, until=8)
    repaired = dispatch(disrupted, rule=rule)
    assert repaired.schedule is not None and validate(disrupted, repaired.schedule) == []


# --- validator -----------------------------------------------------------------------------------

VALID = schedule_of(
    ("J0", 0, "M0", 0, 3), ("J0", 1, "M1", 3, 5), ("J1", 0, "M0", 3, 5), ("J1", 1, "M1", 5, 9)
)


def two_jobs() -> SchedulingProblem:
    jobs = (
        Job(id="J0", operations=(op(("M0", 3)), op(("M1", 2), ("M2", 4)))),
        Job(id="J1", operations=(op(("M0", 2), ("M1", 2)), op(("M1", 4))), release=1),
    )
    return SchedulingProblem(
        machines=("M0", "M1", "M2"),
        jobs=jobs,
        downtimes=(Downtime(machine="M2", start=0, end=100),),
        fixed=(ScheduledOperation(job="J0", index=0, machine="M0", start=0, end=3),),
    )


def test_validator_accepts_a_valid_schedule() -> None:
    assert validate(two_jobs(), VALID) == []


@pytest.mark.parametrize(
    ("broken", "kind"),
    [
        (VALID.operations[:3], ViolationKind.MISSING),
        ((*VALID.operations, VALID.operations[3]), ViolationKind.UNKNOWN_OPERATION),
        ((*VALID.operations, ScheduledOperation(job="J9", index=0, machine="M0", start=20, end=21)), ViolationKind.UNKNOWN_OPERATION),
        (schedule_of(("J0", 0, "M0", 0, 3), ("J0", 1, "M1", 3, 5), ("J1", 0, "M0", 3, 5), ("J1", 1, "M0", 5, 9)).operations, ViolationKind.ELIGIBILITY),
        (schedule_of(("J0", 0, "M0", 0, 3), ("J0", 1, "M1", 3, 5), ("J1", 0, "M0", 3, 6), ("J1", 1, "M1", 6, 10)).operations, ViolationKind.DURATION),
        (schedule_of(("J0", 0, "M0", 0, 3), ("J0", 1, "M1", 2, 4), ("J1", 0, "M0", 3, 5), ("J1", 1, "M1", 5, 9)).operations, ViolationKind.PRECEDENCE),
        (schedule_of(("J0", 0, "M0", 0, 3), ("J0", 1, "M1", 3, 5), ("J1", 0, "M1", 0, 2), ("J1", 1, "M1", 5, 9)).operations, ViolationKind.RELEASE),
        (schedule_of(("J0", 0, "M0", 0, 3), ("J0", 1, "M1", 6, 8), ("J1", 0, "M0", 3, 5), ("J1", 1, "M1", 5, 9)).operations, ViolationKind.OVERLAP),
        (schedule_of(("J0", 0, "M0", 0, 3), ("J0", 1, "M2", 3, 7), ("J1", 0, "M0", 3, 5), ("J1", 1, "M1", 5, 9)).operations, ViolationKind.UNAVAILABLE),
        (schedule_of(("J0", 0, "M0", 2, 5), ("J0", 1, "M1", 5, 7), ("J1", 0, "M0", 5, 7), ("J1", 1, "M1", 7, 11)).operations, ViolationKind.FIXED_MOVED),
    ],
    ids=["missing", "duplicate", "unknown-job", "eligibility", "duration", "precedence", "release", "overlap", "unavailable", "fixed-moved"],
)  # fmt: skip
def test_validator_catches_each_kind_of_defect(
    broken: tuple[ScheduledOperation, ...], kind: ViolationKind
) -> None:
    violations = validate(two_jobs(), Schedule(operations=broken))
    assert [v.kind for v in violations] == [kind]
    assert violations[0].message


def test_validator_flags_free_operations_before_now() -> None:
    problem = dataclasses.replace(two_jobs(), now=4)
    kinds = [v.kind for v in validate(problem, VALID)]
    assert kinds == [ViolationKind.RELEASE, ViolationKind.RELEASE]  # J0/op1 at 3, J1/op0 at 3


# --- parsers -------------------------------------------------------------------------------------


def test_parse_jsp() -> None:
    problem = parse_jsp("2\t2 \n0 3\t1 2\n1 4 0 1\n", name="tiny")
    assert problem.machines == ("M0", "M1") and problem.name == "tiny"
    assert problem.jobs[1].operations[0].alternatives == (Alternative(machine="M1", duration=4),)
    assert solve(problem, time_limit_s=5).makespan == 6  # J1 waits for M1


def test_parse_fjsp_detects_one_based_machines() -> None:
    zero = parse_fjsp("1 2\n2 2 0 5 1 4 1 1 3\n")
    one = parse_fjsp("1 2 1.5\n2 2 1 5 2 4 1 2 3\n".replace("1.5", "2"))
    assert zero.jobs == one.jobs
    assert zero.jobs[0].operations[0].alternatives[1] == Alternative(machine="M1", duration=4)


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (parse_jsp, "2 2\n0 3 1\n1 4 0 1\n"),
        (parse_jsp, "x y\n"),
        (parse_jsp, "2 2\n0 3 1 2\n"),
        (parse_fjsp, "1 2\n2 1 0 5\n"),
    ],
)
def test_parsers_reject_malformed_text(parser: object, text: str) -> None:
    assert callable(parser)
    with pytest.raises(InstanceFormatError):
        parser(text)


def test_parse_best_known() -> None:
    text = '[{"name": "a", "optimum": 5, "path": "x/a.txt"}, {"name": "b", "optimum": null, "bounds": {"upper": 9, "lower": 7}}]'
    known = parse_best_known(text)
    assert known["a"].optimal and known["a"].upper == 5 and known["a"].path == "x/a.txt"
    assert (known["b"].lower, known["b"].upper, known["b"].optimal) == (7, 9, False)
    with pytest.raises(InstanceFormatError):
        parse_best_known('[{"name": "c"}]')


# --- public benchmark instances ------------------------------------------------------------------


@pytest.mark.data
def test_ft06_solved_to_optimum(data_dir: Path) -> None:
    root = data_dir / "jsp-classical"
    known = parse_best_known((root / "classical.json").read_text())["ft06"]
    problem = parse_jsp((root / known.path).read_text(), name="ft06")
    result = solve(problem, time_limit_s=10)
    assert (result.status, result.makespan, known.upper) == (SolveStatus.OPTIMAL, 55, 55)
    assert result.solve_time_s < 5
    assert result.schedule is not None and validate(problem, result.schedule) == []
    for rule in (DispatchRule.SPT, DispatchRule.MWKR):
        baseline = dispatch(problem, rule=rule)
        assert baseline.schedule is not None and validate(problem, baseline.schedule) == []
        assert baseline.makespan is not None and baseline.makespan >= 55


@pytest.mark.data
def test_mk01_within_two_percent(data_dir: Path) -> None:
    root = data_dir / "fjsp-brandimarte"
    known = parse_best_known((root / "instances.json").read_text())["mk01"]
    problem = parse_fjsp((root / known.path).read_text(), name="mk01")
    assert known.upper == 40
    result = solve(problem, time_limit_s=10)
    assert result.makespan is not None and result.makespan <= 40 * 1.02
    assert result.schedule is not None and validate(problem, result.schedule) == []
    for rule in (DispatchRule.SPT, DispatchRule.MWKR):
        baseline = dispatch(problem, rule=rule)
        assert baseline.schedule is not None and validate(problem, baseline.schedule) == []
        assert baseline.makespan is not None and baseline.makespan >= result.makespan


@pytest.mark.data
def test_every_public_instance_parses(data_dir: Path) -> None:
    for catalogue, parser in (
        ("jsp-classical/classical.json", parse_jsp),
        ("fjsp-brandimarte/instances.json", parse_fjsp),
    ):
        root = (data_dir / catalogue).parent
        for known in parse_best_known((data_dir / catalogue).read_text()).values():
            if (root / known.path).is_file():
                problem = parser((root / known.path).read_text(), name=known.name)
                assert problem.jobs and all(job.operations for job in problem.jobs)
