"""The maintenance part of a shift plan: which tasks, on which technician, when.

Candidates are the open work orders not in progress (their window, if any, bounds them) and the
failures the wear scan predicts on assets without an open order. A predicted failure within
`ShiftPolicy.safety_horizon_h` is a safety claim on its machine; a later one a cost claim, which
loses to the delivery claim of production planned on that machine in the shift and is deferred
(`resolve_conflict`). A task goes to a technician of the shift with its skill, within the shift's
hours and its window, one task at a time per technician, two tasks never locking out one machine at
once (CP-SAT: optional intervals per technician; as many tasks as fit, most urgent first, each as
early as it can). A task on a machine locks it out; a locked-out utility stops the machines it feeds.
What cannot be placed is listed with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from agents._decision import Claim, ConflictResolution, resolve_conflict
from agents._shift_inputs import ShiftInputs, ShiftWindow, plant_t
from agents._shift_model import NotPlanned, PlannedTask
from tools import WorkOrder

if TYPE_CHECKING:
    from agents._shift_planner import ShiftPolicy

_UNIT_S = 60


@dataclass(frozen=True, kw_only=True, slots=True)
class _Task:
    task: PlannedTask
    """With technician/start/end still to fill."""
    lo: float
    hi: float
    techs: tuple[str, ...]
    weight: int


def place_tasks(
    inputs: ShiftInputs,
    window: ShiftWindow,
    policy: ShiftPolicy,
    not_planned: list[NotPlanned],
    conflicts: list[ConflictResolution],
) -> list[PlannedTask]:
    candidates = [
        *_order_tasks(inputs, window),
        *_predicted_tasks(inputs, window, policy, not_planned, conflicts),
    ]
    crew = [t for t in inputs.technicians if t.shift == window.shift]
    busy = _busy_technicians(inputs, window)
    placeable: list[_Task] = []
    for c in candidates:
        t = c.task
        techs = tuple(x.id for x in crew if t.skill is None or t.skill in x.skills)
        if not techs:
            others = ", ".join(f"{x.id} (shift {x.shift})" for x in inputs.technicians if t.skill in x.skills)
            not_planned.append(
                NotPlanned(
                    kind="task",
                    id=t.task,
                    reason=f"{t.task} on {t.asset} needs the skill {t.skill}; nobody on shift {window.shift} "
                    f"has it (who has: {others or 'nobody'}).",
                )
            )
            continue
        length = t.end_t - t.start_t
        if c.hi - c.lo < length:
            not_planned.append(
                NotPlanned(
                    kind="task",
                    id=t.task,
                    reason=f"{t.task} on {t.asset} takes {length / 3600:g} h; its window in shift "
                    f"{window.shift} leaves {max(0.0, c.hi - c.lo) / 3600:.1f} h.",
                )
            )
            continue
        placeable.append(replace(c, techs=techs))
    placed = _solve_tasks(placeable, busy, policy)
    for c in placeable:
        if c.task.task not in placed:
            not_planned.append(
                NotPlanned(
                    kind="task",
                    id=c.task.task,
                    reason=f"{c.task.task} on {c.task.asset}: the shift's technicians with {c.task.skill or 'the skill'} "
                    "are fully booked; carried to the next shift.",
                )
            )
    return [placed[c.task.task] for c in placeable if c.task.task in placed]


def _order_tasks(inputs: ShiftInputs, window: ShiftWindow) -> list[_Task]:
    out: list[_Task] = []
    epoch, now = inputs.clock.epoch_s, inputs.clock.t
    for wo in inputs.work_orders:
        if wo.status == "INPRG":
            continue  # under way: its machine is down in the facts, its technician busy
        lo, hi = max(window.start_t, now), window.end_t
        if wo.window_start and wo.window_end:
            ws, we = plant_t(wo.window_start, epoch), plant_t(wo.window_end, epoch)
            if we <= window.start_t or ws >= window.end_t:
                continue  # another shift's work
            lo, hi = max(lo, ws), min(hi, we)
        length = max(_UNIT_S, wo.estimated_h * 3600)
        task = PlannedTask(
            task=wo.id,
            asset=wo.asset,
            work_order=wo.id,
            wo_type=wo.type,
            failure_mode=wo.failure_mode,
            skill=wo.skill,
            technician="",
            start_t=0.0,
            end_t=length,
            blocks=_blocks(inputs, wo.asset, lockout=wo.lockout),
            priority=wo.priority,
            reason=wo.description,
        )
        out.append(_Task(task=task, lo=lo, hi=hi, techs=(), weight=6 - wo.priority))
    return out


def _predicted_tasks(
    inputs: ShiftInputs,
    window: ShiftWindow,
    policy: ShiftPolicy,
    not_planned: list[NotPlanned],
    conflicts: list[ConflictResolution],
) -> list[_Task]:
    covered = {wo.asset for wo in inputs.work_orders}
    by_asset = {a.id: a for a in inputs.assets}
    out: list[_Task] = []
    for p in inputs.predictions:
        asset = by_asset.get(p.asset)
        if (
            asset is None
            or p.asset in covered
            or (p.rul_hours is not None and p.rul_hours > policy.predict_horizon_h)
        ):
            continue
        mode = next((m for m in inputs.failure_modes.get(asset.type, ()) if m.id == p.failure_mode), None)
        if mode is None:
            continue
        urgent = p.rul_hours is None or p.rul_hours <= policy.safety_horizon_h
        task_id = f"PdM:{p.asset}:{p.failure_mode}"
        rul = "at its alarm limit now" if p.rul_hours is None else f"about {p.rul_hours:.0f} h of life left"
        reason = f"Predicted {mode.name.lower()} on {p.asset} ({rul}, confidence {p.confidence:.2f})."
        blocks = _blocks(inputs, p.asset, lockout=True)
        needed = sorted(
            {
                f"{op.job}/{op.op}"
                for m in blocks
                for op in inputs.schedule.machines.get(m, ())
                if _planned_in(op, window)
            }
        )
        if needed:
            resource = f"{', '.join(blocks)} for {mode.repair_h:g} h in shift {window.shift}"
            resolution = resolve_conflict(
                [
                    Claim(
                        agent="maintenance",
                        resource=resource,
                        concern="safety" if urgent else "cost",
                        reason=reason,
                    ),
                    Claim(
                        agent="scheduling",
                        resource=resource,
                        concern="delivery",
                        reason=f"{len(needed)} planned operation(s) need it this shift, e.g. {', '.join(needed[:3])}",
                    ),
                ]
            )
            conflicts.append(resolution)
            if resolution.winner != "maintenance":
                not_planned.append(
                    NotPlanned(kind="task", id=task_id, reason=f"Deferred: {resolution.rationale}")
                )
                continue
        task = PlannedTask(
            task=task_id,
            asset=p.asset,
            wo_type=mode.wo_type,
            failure_mode=mode.id,
            skill=mode.skill,
            technician="",
            start_t=0.0,
            end_t=mode.repair_h * 3600,
            blocks=blocks,
            priority=2 if urgent else 3,
            reason=reason,
        )
        out.append(
            _Task(
                task=task,
                lo=max(window.start_t, inputs.clock.t),
                hi=window.end_t,
                techs=(),
                weight=4 if urgent else 3,
            )
        )
    return out


def _planned_in(op: object, window: ShiftWindow) -> bool:
    start = getattr(op, "planned_start_t", None)
    return isinstance(start, int | float) and window.start_t <= start < window.end_t


def _blocks(inputs: ShiftInputs, asset_id: str, *, lockout: bool) -> tuple[str, ...]:
    if not lockout:
        return ()
    machines = {m.id for m in inputs.machines}
    asset = next((a for a in inputs.assets if a.id == asset_id), None)
    if asset is None:
        return ()
    if asset.id in machines:
        return (asset.id,)
    return tuple(sorted(m for m in asset.feeds if m in machines))


def _busy_technicians(inputs: ShiftInputs, window: ShiftWindow) -> dict[str, float]:
    """Technician -> when the work order in progress ends (its start plus its estimate)."""
    orders = {wo.id: wo for wo in inputs.work_orders}
    out: dict[str, float] = {}
    for t in inputs.technicians:
        wo: WorkOrder | None = orders.get(t.work_order or "")
        if wo is not None and wo.started_time:
            out[t.id] = plant_t(wo.started_time, inputs.clock.epoch_s) + wo.estimated_h * 3600
    return out


def _solve_tasks(tasks: list[_Task], busy: dict[str, float], policy: ShiftPolicy) -> dict[str, PlannedTask]:
    """Place tasks on technicians: as many (by urgency) as fit, each as early as it can."""
    if not tasks:
        return {}
    model = cp_model.CpModel()
    per_tech: dict[str, list[cp_model.IntervalVar]] = {}
    per_machine: dict[str, list[cp_model.IntervalVar]] = {}
    chosen: list[tuple[_Task, cp_model.IntVar, dict[str, cp_model.IntVar]]] = []
    horizon = max(math.ceil(c.hi / _UNIT_S) for c in tasks) + 1
    for tech, end in busy.items():
        per_tech.setdefault(tech, []).append(
            model.new_fixed_size_interval_var(0, max(1, math.ceil(end / _UNIT_S)), "busy")
        )
    gains = []
    for i, c in enumerate(tasks):
        size = math.ceil((c.task.end_t - c.task.start_t) / _UNIT_S)
        lo, hi = math.ceil(c.lo / _UNIT_S), math.floor(c.hi / _UNIT_S) - size
        start = model.new_int_var(lo, max(lo, hi), f"s{i}")
        lits: dict[str, cp_model.IntVar] = {}
        for tech in c.techs:
            lit = model.new_bool_var(f"p{i}_{tech}")
            per_tech.setdefault(tech, []).append(
                model.new_optional_fixed_size_interval_var(start, size, lit, f"t{i}_{tech}")
            )
            lits[tech] = lit
        placed = model.new_bool_var(f"placed{i}")
        model.add(sum(lits.values()) == placed)
        for m in c.task.blocks:
            per_machine.setdefault(m, []).append(
                model.new_optional_fixed_size_interval_var(start, size, placed, f"m{i}_{m}")
            )
        gains.append(c.weight * horizon * 10 * placed - c.weight * (start - lo))
        chosen.append((c, start, lits))
    for ivs in (*per_tech.values(), *per_machine.values()):
        model.add_no_overlap(ivs)
    model.maximize(sum(gains))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = policy.maintenance_time_limit_s
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}
    out: dict[str, PlannedTask] = {}
    for c, start, lits in chosen:
        who = next((t for t, lit in lits.items() if solver.value(lit)), None)
        if who is None:
            continue
        s = float(solver.value(start) * _UNIT_S)
        length = c.task.end_t - c.task.start_t
        out[c.task.task] = c.task.model_copy(update={"technician": who, "start_t": s, "end_t": s + length})
    return out
