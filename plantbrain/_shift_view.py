"""A shift plan for people: the handover text (per machine, per technician) and its Gantt chart."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from agents._shift_model import ShiftPlan
from plantbrain._gantt import GanttBar, GanttChart, GanttRow


def plan_text(plan: ShiftPlan, *, status: str = "", violations: list[str] | None = None) -> str:
    """The readable shift plan: what each machine runs and each technician does in the shift."""
    e = plan.epoch_s
    head = (
        f"Shift {plan.shift} plan, {_at(plan.start_t, e, '%Y-%m-%d %H:%M')} to {_at(plan.end_t, e)}"
        f"{' (replan)' if plan.replan_of is not None else ''}"
    )
    if plan.published_version is not None:
        head += f": published as schedule version {plan.published_version}"
    elif status:
        head += f": {status}"
    lines = [head + "."]
    lines += [f"  {r}" for r in plan.rationale[:1]]
    for v in violations or []:
        lines.append(f"  INVALID: {v}")
    lines.append("")
    lines.append("Machines (operations in the shift):")
    per_machine: dict[str, list[str]] = defaultdict(list)
    for op in sorted(plan.operations, key=lambda o: (o.machine, o.start_t)):
        if plan.in_shift(op.start_t, op.end_t):
            mark = " (running)" if op.status == "running" else ""
            per_machine[op.machine].append(
                f"{_at(op.start_t, e)}-{_at(op.end_t, e)} {op.job}/{op.op} {op.product}{mark}"
            )
    windows: dict[str, list[str]] = defaultdict(list)
    for w in plan.windows:
        if plan.in_shift(w.start_t, w.end_t):
            windows[w.machine].append(f"{_at(w.start_t, e)}-{_at(w.end_t, e)} unavailable: {w.reason}")
    for machine in sorted(set(per_machine) | set(windows)):
        lines.append(f"  {machine}")
        lines += [f"    {x}" for x in windows[machine] + per_machine[machine]]
    if not per_machine:
        lines.append("  (no production in this shift)")
    lines.append("")
    lines.append("Technicians:")
    for tech in plan.technicians:
        mine = sorted((t for t in plan.tasks if t.technician == tech.id), key=lambda t: t.start_t)
        lines.append(f"  {tech.id} {tech.name} ({', '.join(tech.skills)})")
        for t in mine:
            wo = t.work_order or "new work order"
            lines.append(
                f"    {_at(t.start_t, e)}-{_at(t.end_t, e)} {t.wo_type} on {t.asset} ({wo}"
                f"{', ' + t.failure_mode if t.failure_mode else ''}): {t.reason}"
            )
        if not mine:
            lines.append("    no planned maintenance; on call")
    if plan.inspections:
        lines += ["", "Inspection points:"]
        lines += [
            f"  {_at(p.at_t, e)} {p.machine} {p.job}/{p.op}: {p.check}. Why: {p.reason}."
            for p in plan.inspections
        ]
    if plan.conflicts:
        lines += ["", "Conflicts settled:"]
        lines += [f"  {c.resource}: {c.winner} ({c.rationale})" for c in plan.conflicts]
    late = plan.measures.get("late_jobs")
    if isinstance(late, list) and late:
        lines += ["", f"Late jobs ({len(late)}):"]
        for lj in late[:20]:
            if isinstance(lj, dict):
                lines.append(f"  {lj.get('job')}: {float(lj.get('tardiness_s') or 0) / 60:.0f} min late")  # type: ignore[arg-type]
    if plan.not_planned:
        lines += ["", "Not planned:"]
        lines += [f"  {n.id}: {n.reason}" for n in plan.not_planned]
    return "\n".join(lines)


def plan_chart(plan: ShiftPlan) -> GanttChart:
    """The shift's Gantt chart: one row per machine (operations, windows, inspections), one per technician."""
    rows: list[GanttRow] = []
    by_machine: dict[str, list[GanttBar]] = defaultdict(list)
    for w in plan.windows:
        kind = "maintenance" if w.reason.startswith(("maintenance task", "work order")) else "downtime"
        by_machine[w.machine].append(
            GanttBar(start_s=w.start_t, end_s=w.end_t, label=w.reason[:24], kind=kind, detail=w.reason)
        )
    for op in plan.operations:
        by_machine[op.machine].append(
            GanttBar(
                start_s=op.start_t,
                end_s=op.end_t,
                label=f"{op.job}/{op.op}",
                kind="running" if op.status == "running" else "production",
                detail=f"{op.product}, due t={op.due_t:.0f} s" if op.due_t is not None else op.product,
            )
        )
    for p in plan.inspections:
        by_machine[p.machine].append(
            GanttBar(
                start_s=p.at_t,
                end_s=p.at_t,
                label="inspect",
                kind="inspection",
                detail=f"{p.check}: {p.reason}",
            )
        )
    for machine in sorted(by_machine):
        rows.append(GanttRow(label=machine, bars=tuple(by_machine[machine]), group="Machines"))
    for tech in plan.technicians:
        bars = tuple(
            GanttBar(
                start_s=t.start_t,
                end_s=t.end_t,
                label=f"{t.wo_type} {t.asset}",
                kind="maintenance",
                detail=f"{t.work_order or 'new work order'}: {t.reason}",
            )
            for t in plan.tasks
            if t.technician == tech.id
        )
        rows.append(GanttRow(label=f"{tech.id} {tech.name}", bars=bars, group="Technicians"))
    return GanttChart(
        title=f"{plan.site} shift {plan.shift} plan, {_at(plan.start_t, plan.epoch_s, '%Y-%m-%d %H:%M')} UTC",
        start_s=plan.start_t,
        end_s=plan.end_t,
        epoch_s=plan.epoch_s,
        rows=tuple(rows),
        marks=((plan.planned_at_t, "planned"),),
    )


def _at(t: float, epoch: float, fmt: str = "%H:%M") -> str:
    return datetime.fromtimestamp(epoch + t, tz=UTC).strftime(fmt)
