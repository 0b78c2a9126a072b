"""The shift-plan validator, on a valid plan and on plans broken one rule at a time."""

from __future__ import annotations

import pytest

from agents._shift_model import (
    MachineWindow,
    PlanFacts,
    PlannedOperation,
    PlannedTask,
    ShiftPlan,
    ShiftTechnician,
    check_plan,
)

H = 3600.0
FACTS = PlanFacts(
    machine_types={"CNC-1": "cnc", "CNC-2": "cnc", "GRD-1": "grinder"},
    routings={"J1": ("cnc", "grinder"), "J2": ("cnc",)},
    windows=(MachineWindow(machine="CNC-2", start_t=2 * H, end_t=4 * H, reason="work order WO-1 window"),),
    technicians={
        "T-01": ("A", ("mechanical", "hydraulic")),
        "T-02": ("A", ("electrical",)),
        "T-04": ("B", ("mechanical", "electrical")),
    },
    work_order_windows={"WO-1": (2 * H, 4 * H)},
)


def _plan(**changes: object) -> ShiftPlan:
    base = ShiftPlan(
        site="S",
        shift="A",
        start_t=0.0,
        end_t=8 * H,
        epoch_s=0.0,
        planned_at_t=0.0,
        operations=(
            PlannedOperation(job="J1", op=0, machine="CNC-1", start_t=0, end_t=H),
            PlannedOperation(job="J1", op=1, machine="GRD-1", start_t=H, end_t=2 * H),
            PlannedOperation(job="J2", op=0, machine="CNC-2", start_t=0, end_t=2 * H),
        ),
        tasks=(
            PlannedTask(
                task="WO-1",
                asset="CNC-2",
                work_order="WO-1",
                wo_type="PM",
                skill="mechanical",
                technician="T-01",
                start_t=2 * H,
                end_t=4 * H,
                blocks=("CNC-2",),
            ),
        ),
        technicians=(ShiftTechnician(id="T-01", name="Li", skills=("mechanical", "hydraulic")),),
    )
    return base.model_copy(update=changes)


def _op(job: str, op: int, machine: str, start_h: float, end_h: float) -> PlannedOperation:
    return PlannedOperation(job=job, op=op, machine=machine, start_t=start_h * H, end_t=end_h * H)


def _task(**changes: object) -> PlannedTask:
    return _plan().tasks[0].model_copy(update=changes)


def test_a_valid_plan_passes() -> None:
    assert check_plan(_plan(), FACTS) == []


@pytest.mark.parametrize(
    ("broken", "rule"),
    [
        # production
        (_plan(operations=(_op("J2", 0, "CNC-2", 3, 5),)), "machine_window"),
        (_plan(operations=(_op("J2", 0, "CNC-9", 0, 1),)), "unknown_machine"),
        (_plan(operations=(_op("J2", 0, "GRD-1", 0, 1),)), "wrong_machine_type"),
        (_plan(operations=(_op("J1", 0, "CNC-1", 0, 2), _op("J2", 0, "CNC-1", 1, 3))), "machine_overlap"),
        (_plan(operations=(_op("J1", 0, "CNC-1", 1, 2), _op("J1", 1, "GRD-1", 1.5, 3))), "precedence"),
        # a machine locked out by a planned task (not a plant window)
        (
            _plan(
                tasks=(
                    _task(
                        task="PdM:CNC-1",
                        work_order=None,
                        asset="CNC-1",
                        blocks=("CNC-1",),
                        start_t=0,
                        end_t=H,
                    ),
                )
            ),
            "machine_window",
        ),
        # maintenance
        (_plan(tasks=(_task(technician="T-02"),)), "skill"),
        (_plan(tasks=(_task(technician="T-04"),)), "off_shift"),
        (_plan(tasks=(_task(start_t=7 * H, end_t=9 * H),)), "off_shift"),
        (_plan(tasks=(_task(technician="T-99"),)), "unknown_technician"),
        (_plan(tasks=(_task(start_t=3 * H, end_t=5 * H),)), "task_window"),
        (
            _plan(
                tasks=(
                    _task(),
                    _task(
                        task="PdM:GRD-1",
                        work_order=None,
                        asset="GRD-1",
                        blocks=(),
                        start_t=3 * H,
                        end_t=5 * H,
                    ),
                )
            ),
            "technician_overlap",
        ),
    ],
)
def test_each_broken_rule_is_reported(broken: ShiftPlan, rule: str) -> None:
    problems = check_plan(broken, FACTS)
    assert rule in {p.rule for p in problems}, problems
    assert all(p.message for p in problems)


def test_a_running_operation_is_not_the_plans_choice() -> None:
    """An operation started before the plan may run into a window (the lock-out waits for it)."""
    running = _op("J2", 0, "CNC-2", 1, 3).model_copy(update={"status": "running"})
    assert check_plan(_plan(operations=(running,), tasks=()), FACTS) == []


def test_touching_intervals_do_not_overlap() -> None:
    ops = (_op("J1", 0, "CNC-1", 0, 1), _op("J2", 0, "CNC-1", 1, 2), _op("J1", 1, "GRD-1", 1, 2))
    assert check_plan(_plan(operations=ops), FACTS) == []
