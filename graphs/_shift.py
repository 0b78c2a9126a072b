"""The shift planning graph: maintenance -> scheduling -> quality -> supervisor.

    maintenance   reads the plant, scans for predicted failures, places maintenance tasks on the
                  shift's technicians (conflicts with production settled by rule)
    scheduling    reads the plant, plans every open order around the machine windows (CP-SAT)
    quality       adds inspection points on machines under SPC watch
    supervisor    checks the plan with the validator, publishes it through the gate (keyed,
                  traced writes), stores it in the long-term store

Each node is an `invoke_agent` span holding its decision. A replan (`replan=True`: a breakdown or a
rush order mid-shift) runs the same graph with the least-disruption objective; its decision says what
moved. The plan is stored under `("shift_plans", <site>)`, key `<date>-<shift>`, and `latest`.

    out = await run_shift_plan(client, shift="B", store=store)
    plan = ShiftPlan.model_validate(out["plan"])
"""

from __future__ import annotations

import asyncio
import operator
from datetime import UTC, datetime
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.store.base import BaseStore

from agents import Decision, Evidence
from agents._shift_inputs import ShiftWindow, gather, plan_facts, shift_window
from agents._shift_model import MaintenancePart, ShiftPlan, check_plan
from agents._shift_planner import ShiftPolicy, add_inspections, plan_maintenance, plan_production
from agents._shift_publish import publish_decision, publish_plan
from agents._specialist import Act
from graphs._incident import _gate
from graphs._spans import agent_span, record_decision
from graphs._state import ActionRecord
from tools import PlantClient

STORE_NAMESPACE = "shift_plans"


class ShiftState(TypedDict, total=False):
    shift: str | None
    """The shift asked for (None: the next one)."""
    replan: bool
    publish: bool
    run_id: str
    window: dict[str, Any]
    maintenance: dict[str, Any]
    plan: dict[str, Any]
    violations: list[str]
    status: str
    """planned (not published) | published | invalid (failed validation, not published) |
    declined (the gate ruled the schedule out: nothing published)."""
    decisions: Annotated[list[dict[str, Any]], operator.add]


def build_shift_graph(
    client: PlantClient,
    *,
    policy: ShiftPolicy | None = None,
    store: BaseStore | None = None,
    act: Act | None = None,
) -> Any:
    """The compiled graph (no checkpointer: a plan is one short run; its result goes to `store`).

    `act` publishes through a caller's gate (an operator's task step); None: the graph's own,
    keyed by the plan's run id."""
    policy = policy or ShiftPolicy()

    async def maintenance(state: ShiftState) -> dict[str, Any]:
        with agent_span(client, "maintenance") as span:
            inputs = await gather(client, watch=False)
            window = shift_window(inputs, state.get("shift"))
            part = plan_maintenance(inputs, window, policy=policy)
            decision = Decision(
                agent="maintenance",
                summary=f"{len(part.tasks)} maintenance task(s) placed on shift {window.shift}'s technicians, "
                f"{len(part.not_planned)} not placed.",
                observed=(
                    Evidence(
                        source="GET /work-orders, GET /technicians, wear scan",
                        summary=f"{len(inputs.work_orders)} open work order(s), {len(inputs.predictions)} predicted "
                        f"failure(s), {sum(t.shift == window.shift for t in inputs.technicians)} technician(s) on the shift.",
                    ),
                ),
                rule="CP-SAT: skill, shift hours, window, one task per technician; safety > quality > delivery > cost",
                rationale=" ".join(
                    [f"{t.task} -> {t.technician} at t={t.start_t:.0f} s." for t in part.tasks]
                    + [n.reason for n in part.not_planned]
                )
                or "Nothing to place.",
                confidence=0.9,
                conflicts=part.conflicts,
            )
            record_decision(span, decision)
        return {
            "window": {"shift": window.shift, "start_t": window.start_t, "end_t": window.end_t},
            "maintenance": part.model_dump(mode="json"),
            "decisions": [decision.model_dump(mode="json")],
        }

    async def scheduling(state: ShiftState) -> dict[str, Any]:
        with agent_span(client, "scheduling") as span:
            inputs = await gather(client, wear=False, watch=False)
            window = ShiftWindow(**state["window"])
            part = MaintenancePart.model_validate(state["maintenance"])
            plan = await asyncio.to_thread(
                plan_production, inputs, window, part, policy=policy, replan=bool(state.get("replan"))
            )
            m = plan.measures
            late = m.get("late_jobs")
            decision = Decision(
                agent="scheduling",
                summary=f"{m.get('status')}: {m.get('jobs')} job(s), {m.get('operations')} operation(s) planned; "
                f"{len(plan.windows)} machine window(s) avoided; "
                f"{len(late) if isinstance(late, list) else 0} late"
                + (f"; {m.get('moved_operations')} operation(s) moved" if plan.replan_of is not None else "")
                + ".",
                rule="CP-SAT: "
                + (
                    "weighted tardiness, then disruption of the published schedule, then makespan"
                    if plan.replan_of is not None
                    else "weighted tardiness, then makespan"
                ),
                rationale=" ".join(plan.rationale[1:6]),
                confidence=0.9 if m.get("status") == "OPTIMAL" else 0.75,
            )
            record_decision(span, decision)
        return {"plan": plan.model_dump(mode="json"), "decisions": [decision.model_dump(mode="json")]}

    async def quality(state: ShiftState) -> dict[str, Any]:
        with agent_span(client, "quality") as span:
            inputs = await gather(client, wear=False)
            plan = add_inspections(ShiftPlan.model_validate(state["plan"]), inputs, policy=policy)
            decision = Decision(
                agent="quality",
                summary=f"{len(plan.inspections)} inspection point(s) on {len(inputs.watch)} machine(s) under watch.",
                observed=tuple(Evidence(source=f"SPC {w.machine}", summary=w.reason) for w in inputs.watch),
                rule="SPC watch: first-article check and sampling on a machine that drifted",
                rationale="; ".join(f"{p.job}/{p.op} on {p.machine}: {p.check}" for p in plan.inspections[:8])
                or "No machine under watch.",
                confidence=0.85,
            )
            record_decision(span, decision)
        return {"plan": plan.model_dump(mode="json"), "decisions": [decision.model_dump(mode="json")]}

    async def supervisor(state: ShiftState) -> dict[str, Any]:
        with agent_span(client, "supervisor") as span:
            plan = ShiftPlan.model_validate(state["plan"])
            facts = plan_facts(await gather(client, wear=False, watch=False))
            problems = [v.message for v in check_plan(plan, facts)]
            calls: tuple[Any, ...] = ()
            status = "invalid" if problems else "planned"
            if not problems and state.get("publish", True):
                records: list[ActionRecord] = []
                gate = act or _gate(
                    client,
                    state.get("run_id") or _run_id(plan),
                    "supervisor",
                    records,
                    at_t=plan.planned_at_t,
                )
                plan, calls = await publish_plan(plan, gate)
                status = "published" if plan.published_version is not None else "declined"
            decision = publish_decision(plan, calls, problems, declined=status == "declined")
            record_decision(span, decision)
            if store is not None and status == "published":
                value = {**plan.model_dump(mode="json"), "status": status}
                key = f"{datetime.fromtimestamp(plan.epoch_s + plan.start_t, tz=UTC):%Y-%m-%d}-{plan.shift}"
                await store.aput((STORE_NAMESPACE, plan.site), key, value)
                await store.aput((STORE_NAMESPACE, plan.site), "latest", value)
        return {
            "plan": plan.model_dump(mode="json"),
            "violations": problems,
            "status": status,
            "decisions": [decision.model_dump(mode="json")],
        }

    g = StateGraph(ShiftState)
    g.add_node("maintenance", maintenance)
    g.add_node("scheduling", scheduling)
    g.add_node("quality", quality)
    g.add_node("supervisor", supervisor)
    g.add_edge(START, "maintenance")
    g.add_edge("maintenance", "scheduling")
    g.add_edge("scheduling", "quality")
    g.add_edge("quality", "supervisor")
    g.add_edge("supervisor", END)
    return g.compile()


async def run_shift_plan(
    client: PlantClient,
    *,
    shift: str | None = None,
    replan: bool = False,
    publish: bool = True,
    store: BaseStore | None = None,
    policy: ShiftPolicy | None = None,
    run_id: str | None = None,
    act: Act | None = None,
) -> ShiftState:
    """Plan (or replan) a shift through the graph; the final state (`plan`, `status`, `decisions`)."""
    graph = build_shift_graph(client, policy=policy, store=store, act=act)
    state: ShiftState = {"shift": shift, "replan": replan, "publish": publish, "decisions": []}
    if run_id:
        state["run_id"] = run_id
    out: ShiftState = await graph.ainvoke(state)
    return out


async def stored_plan(store: BaseStore, site: str, key: str = "latest") -> ShiftPlan | None:
    """A stored plan (`latest`, or `<date>-<shift>`), or None."""
    item = await store.aget((STORE_NAMESPACE, site), key)
    if item is None:
        return None
    return ShiftPlan.model_validate({k: v for k, v in item.value.items() if k != "status"})


def _run_id(plan: ShiftPlan) -> str:
    kind = "replan" if plan.replan_of is not None else "plan"
    return f"shift:{plan.site}:{plan.shift}:{plan.start_t:.0f}:{kind}:{plan.planned_at_t:.0f}"
