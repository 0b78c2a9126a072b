"""`plan_shift`: an operator's "plan the next shift" / "排下一班" runs the shift planning graph.

The same graph as `plantbrain plan-shift` (maintenance -> scheduling -> quality -> supervisor), with
its publishing done through this step's gate: the schedule and the work orders are keyed, traced
and audited like any step's writes, and a schedule the operator ruled out ("don't change the
schedule") is not published, nor anything after it. The answer is the plan in brief; the full plan
is in the step's data and, when the graph has a store, in the store like any shift plan.
"""

from __future__ import annotations

from datetime import UTC, datetime

from langgraph.store.base import BaseStore

from agents import _intent_args as a
from agents._ops import Handler, OpsContext, StepOutcome, ids, nothing
from agents._shift_inputs import ShiftNotFoundError
from agents._shift_model import ShiftPlan
from agents._shift_planner import ShiftPolicy
from graphs._shift import run_shift_plan


def plan_shift_handler(*, policy: ShiftPolicy | None = None, store: BaseStore | None = None) -> Handler:
    """The `plan_shift` handler, planning with `policy` and storing published plans in `store`."""

    async def plan_shift(ctx: OpsContext, args: a.PlanShiftArgs) -> StepOutcome:
        try:
            out = await run_shift_plan(
                ctx.client,
                shift=args.shift,
                replan=args.replan,
                publish=args.publish,
                store=store,
                policy=policy,
                act=ctx.act,
            )
        except ShiftNotFoundError as e:
            return nothing(f"No shift plan made: {e}.", f"未制定班计划：{e}。")
        return _answer(
            ShiftPlan.model_validate(out["plan"]), str(out["status"]), list(out.get("violations") or [])
        )

    return plan_shift


def _answer(plan: ShiftPlan, status: str, violations: list[str]) -> StepOutcome:
    when = f"{_hm(plan, plan.start_t)}-{_hm(plan, plan.end_t)}"
    kind_en, kind_zh = ("replan", "重排计划") if plan.replan_of is not None else ("plan", "计划")
    in_shift = [
        op for op in plan.operations if op.status == "planned" and plan.in_shift(op.start_t, op.end_t)
    ]
    machines = sorted({op.machine for op in in_shift})
    tasks_en = [f"{t.wo_type} {t.asset} -> {t.technician} {_hm(plan, t.start_t)}" for t in plan.tasks]
    tasks_zh = [f"{t.asset}（{t.wo_type}）→{t.technician} {_hm(plan, t.start_t)}" for t in plan.tasks]
    late_raw = plan.measures.get("late_jobs")
    late = [str(j.get("job")) for j in late_raw if isinstance(j, dict)] if isinstance(late_raw, list) else []
    left_en = [f"{n.id} ({n.reason})" for n in plan.not_planned]
    left_zh = [f"{n.id}（{n.reason}）" for n in plan.not_planned]
    data = {
        "status": status,
        "shift": plan.shift,
        "published_version": plan.published_version,
        "operations_in_shift": len(in_shift),
        "machines": list(machines),
        "tasks": [t.model_dump(mode="json") for t in plan.tasks],
        "inspections": len(plan.inspections),
        "late_jobs": list(late),
        "not_planned": [n.model_dump(mode="json") for n in plan.not_planned],
        "violations": list(violations),
        "plan": plan.model_dump(mode="json"),
    }
    if status == "invalid":
        return StepOutcome(
            status="failed",
            en=f"The shift {plan.shift} {kind_en} ({when}) broke {len(violations)} rule(s) and was not published: "
            + "; ".join(violations[:3])
            + ".",
            zh=f"{plan.shift}班{kind_zh}（{when}）违反{len(violations)}条规则，未发布："
            + "；".join(violations[:3])
            + "。",
            data=data,
        )
    head_en = {
        "published": f"Shift {plan.shift} {kind_en} ({when}) published as schedule v{plan.published_version}",
        "declined": f"Shift {plan.shift} {kind_en} ({when}) made but not published (you ruled out publishing the schedule)",
        "planned": f"Shift {plan.shift} {kind_en} ({when}), a draft: nothing published",
    }[status]
    head_zh = {
        "published": f"{plan.shift}班{kind_zh}（{when}）已发布为排程第{plan.published_version}版",
        "declined": f"{plan.shift}班{kind_zh}（{when}）已制定但未发布（您要求不发布排程）",
        "planned": f"{plan.shift}班{kind_zh}（{when}）为草稿，未发布",
    }[status]
    moved = plan.measures.get("moved_operations")
    en = (
        f"{head_en}: {len(in_shift)} operation(s) on {len(machines)} machine(s) in the shift"
        + (f", {moved} moved" if plan.replan_of is not None and moved is not None else "")
        + f"; maintenance: {ids(tasks_en, none='none')}; {len(plan.inspections)} inspection point(s); "
        f"late: {ids(late, none='none')}; not planned: {ids(left_en, none='none')}."
    )
    zh = (
        f"{head_zh}：本班{len(machines)}台设备{len(in_shift)}道工序"
        + (f"，调整{moved}道" if plan.replan_of is not None and moved is not None else "")
        + f"；维修：{ids(tasks_zh, True, none='无')}；检验点{len(plan.inspections)}个；"
        f"延期：{ids(late, True, none='无')}；未排：{ids(left_zh, True, none='无')}。"
    )
    return StepOutcome(status="done" if status == "published" else "nothing_to_do", en=en, zh=zh, data=data)


def _hm(plan: ShiftPlan, t: float) -> str:
    return f"{datetime.fromtimestamp(plan.epoch_s + t, tz=UTC):%H:%M}"
