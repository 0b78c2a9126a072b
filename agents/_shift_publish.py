"""The supervisor's last step of a shift plan: publish it to the plant through `act`.

- the schedule: every planned (not running) operation, `publish_schedule`;
- each proposed maintenance task (a predicted failure): a work order with the task's window,
  `create_work_order`, then its technician, `assign_work_order`;
- each open work order the plan gave a technician: `assign_work_order`.

Every write goes through `act`, so it is keyed (a resumed run does not repeat it), traced and
audited like any specialist's. A plan that failed validation is never published (the caller checks).
"""

from __future__ import annotations

from pydantic import JsonValue

from agents._decision import Decision, Evidence, ToolCall
from agents._shift_model import PlannedTask, ShiftPlan
from agents._specialist import Act, Declined
from tools import find_tool

AGENT = "supervisor"


async def publish_plan(plan: ShiftPlan, act: Act) -> tuple[ShiftPlan, tuple[ToolCall, ...]]:
    """Publish `plan`; the plan as published (work order ids of new tasks, schedule version).

    A schedule the gate declines (the operator ruled it out) stops it there: `published_version`
    None, nothing else written. A declined work order leaves its task out of the plan."""
    calls: list[ToolCall] = []
    assignments: list[JsonValue] = [
        {"job": op.job, "op": op.op, "machine": op.machine, "start_t": op.start_t}
        for op in plan.operations
        if op.status == "planned"
    ]
    why = "replan" if plan.replan_of is not None else "plan"
    args: dict[str, JsonValue] = {
        "assignments": assignments,
        "reason": f"Shift {plan.shift} {why}: {plan.rationale[0] if plan.rationale else ''}"[:2000],
        "by": "scheduling",
    }
    published = await act("publish_schedule", args)
    calls.append(_call("publish_schedule", args))
    if isinstance(published, Declined):  # ruled out (the operator said so): nothing else is done
        return plan.model_copy(update={"published_version": None}), tuple(calls)
    version = getattr(published, "version", None)
    tasks: list[PlannedTask] = []
    for task in plan.tasks:
        wo_id = task.work_order
        if wo_id is None:
            create: dict[str, JsonValue] = {
                "asset": task.asset,
                "type": task.wo_type if task.wo_type in ("CM", "PM", "EM", "PdM", "INSP") else "PdM",
                "priority": task.priority,
                "description": f"Shift {plan.shift} plan: {task.reason}"[:2000],
                "failure_mode": task.failure_mode,
                "estimated_h": round((task.end_t - task.start_t) / 3600, 3),
                "window_start_t": task.start_t,
                "window_end_t": task.end_t,
                "by": "maintenance",
            }
            made = await act("create_work_order", create)
            calls.append(_call("create_work_order", create))
            if isinstance(made, Declined):
                continue
            wo_id = str(getattr(made, "id", ""))
        assign: dict[str, JsonValue] = {
            "work_order_id": wo_id,
            "technicians": [task.technician],
            "by": "maintenance",
        }
        assigned = await act("assign_work_order", assign)
        calls.append(_call("assign_work_order", assign))
        if isinstance(assigned, Declined):
            continue
        tasks.append(task.model_copy(update={"work_order": wo_id}))
    done = plan.model_copy(
        update={"tasks": tuple(tasks), "published_version": version if isinstance(version, int) else None}
    )
    return done, tuple(calls)


def publish_decision(
    plan: ShiftPlan, calls: tuple[ToolCall, ...], problems: list[str], *, declined: bool = False
) -> Decision:
    """The supervisor's decision: published (with what), refused because the plan is invalid, or
    not published because the gate declined the schedule (`declined`)."""
    observed = (
        Evidence(
            source="check_plan",
            summary="valid" if not problems else f"{len(problems)} rule(s) broken",
            data={"violations": list(problems[:20])},
        ),
    )
    if problems:
        return Decision(
            agent=AGENT,
            summary=f"Shift {plan.shift} plan not published: it breaks {len(problems)} rule(s).",
            observed=observed,
            rule="publish only a plan that passes the validator",
            rationale=" ".join(problems[:5]),
            confidence=0.3,
            conflicts=plan.conflicts,
        )
    if declined:
        return Decision(
            agent=AGENT,
            summary=f"Shift {plan.shift} plan not published: publishing the schedule was ruled out.",
            observed=observed,
            rule="the operator's prohibitions hold over the plan",
            rationale=" ".join(plan.rationale[:6]),
            tool_calls=calls,
            confidence=0.9,
            conflicts=plan.conflicts,
        )
    return Decision(
        agent=AGENT,
        summary=(
            f"Published the shift {plan.shift} plan"
            f"{' (a replan: least disruption to what runs)' if plan.replan_of is not None else ''}: "
            f"{sum(op.status == 'planned' for op in plan.operations)} operation(s), "
            f"{len(plan.tasks)} maintenance task(s), {len(plan.inspections)} inspection point(s), "
            f"{len(plan.not_planned)} item(s) not planned."
        ),
        observed=observed,
        rule="conflicts by safety > quality > delivery > cost; publish a plan that passes the validator",
        rationale=" ".join(plan.rationale[:6]),
        tool_calls=calls,
        confidence=0.9 if plan.measures.get("status") == "OPTIMAL" else 0.75,
        conflicts=plan.conflicts,
    )


def _call(tool: str, args: dict[str, JsonValue]) -> ToolCall:
    return ToolCall(tool=tool, args=args, risk=find_tool(tool).risk)
