"""The incident-response graph: event -> alarm_triage -> maintenance -> scheduling -> quality -> summary.

    graph = build_incident_graph(client, checkpointer=saver)
    await graph.ainvoke(initial_state(run_id, trigger, origin), {"configurable": {"thread_id": run_id}})
    await graph.ainvoke(Command(resume={"approved": True, "by": "li", "role": "supervisor"}), config)

Each node runs one specialist (`graphs._state.Specialist`) and routes with `Command(goto=...)`
from the findings so far, in the order `_order` gives and only where `_needs` says so:
maintenance when triage named a root cause, scheduling when machines' production is affected,
quality when a utility excursion touched parts. A lone alarm nothing corroborates, and a shift
review (`REVIEW_TRIGGER`: no alarm or trip in the watch; triage first only if alarms stand), ask
quality before maintenance: the parts tell a worn tool from a drifting transmitter. A material
shortage (`MATERIAL_TRIGGER`) needs scheduling only. A finished run can take a follow-up pass
(`FOLLOW_UP_TRIGGER`, same thread): quality holds what a persisting drift or a utility's
containment window made since, triage acknowledges the fed machines' later alarms.
Specialists whose module is not installed are skipped and recorded. The risk gate (`_gate`) is
the only place a specialist's write or critical action reaches the plant. A plant failure that
outlasts the client's retries (`ToolError` timeout / plant_unavailable) ends the run in a
recorded failed state, never a hang; a resumed node re-sends the same idempotency keys (derived
from the action), so nothing is applied twice.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command, interrupt
from pydantic import JsonValue, TypeAdapter, ValidationError

from graphs._spans import agent_span, record_approval, record_decision
from graphs._state import (
    FOLLOW_UP_TRIGGER,
    MATERIAL_TRIGGER,
    REVIEW_TRIGGER,
    SUPERVISOR_ROLE,
    ActionRecord,
    Approval,
    Declined,
    IncidentState,
    Situation,
    Specialist,
    findings_of,
)
from tools import ListAlarmsArgs, PlantClient, ToolError, find_tool, list_alarms
from tools import _telemetry as tm

Node = Literal["alarm_triage", "maintenance", "scheduling", "quality", "summary"]
SPECIALISTS: tuple[Node, ...] = ("alarm_triage", "maintenance", "scheduling", "quality")
_MODULES: dict[str, tuple[str, str]] = {
    "alarm_triage": ("agents._triage_agent", "triage_agent"),
    "maintenance": ("agents._maintenance_agent", "maintenance_agent"),
    "scheduling": ("agents._scheduling_agent", "scheduling_agent"),
    "quality": ("agents._quality_agent", "quality_agent"),
}
"""Where each specialist lives: module and function. Imported when the graph is built; a missing
module means the specialist is not installed, and the graph skips it (recorded)."""


_JSON_ARGS: TypeAdapter[dict[str, JsonValue]] = TypeAdapter(dict[str, JsonValue])
_FATAL: frozenset[str] = frozenset({"timeout", "plant_unavailable"})


def load_specialists() -> dict[str, Specialist]:
    """The installed specialists, by node name."""
    found: dict[str, Specialist] = {}
    for node, (module, attr) in _MODULES.items():
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
            continue
        fn = getattr(mod, attr, None)
        if fn is not None:
            found[node] = fn
    return found


def _kind(trigger: Mapping[str, JsonValue]) -> str:
    return str(trigger.get("type", ""))


def _order(findings: Mapping[str, JsonValue], trigger: Mapping[str, JsonValue]) -> tuple[Node, ...]:
    """The order specialists are considered in. A shift review, or a lone alarm nothing else
    corroborates, asks quality before maintenance: a drift in the parts is what tells a worn tool
    from a drifting transmitter, so the work order is chosen knowing it."""
    kind = _kind(trigger)
    if kind == MATERIAL_TRIGGER:
        return ("scheduling",)
    if kind == FOLLOW_UP_TRIGGER:
        return ("alarm_triage", "quality")
    if kind == REVIEW_TRIGGER or findings.get("uncorroborated") is True:
        return ("alarm_triage", "quality", "maintenance", "scheduling")
    return SPECIALISTS


def _needs(node: Node, findings: Mapping[str, JsonValue], trigger: Mapping[str, JsonValue]) -> bool:
    roots = findings.get("root_cause")
    kind = _kind(trigger)
    if kind == MATERIAL_TRIGGER:
        return node == "scheduling"
    if kind == FOLLOW_UP_TRIGGER:
        drifts = findings.get("drift_machines")
        # A utility whose output collapsed (quality's `excursion`), not one that merely alarmed.
        utility = findings.get("root_category") == "utility" and bool(findings.get("excursion"))
        if node == "alarm_triage":
            return utility  # the fed machines kept alarming: consequences to acknowledge
        return node == "quality" and ((isinstance(drifts, list) and bool(drifts)) or utility)
    if kind == REVIEW_TRIGGER and node in ("quality", "maintenance"):
        return True  # a review looks at the measurements and at every asset's health
    if node == "maintenance":
        return isinstance(roots, list) and bool(roots)
    if node == "quality" and findings.get("uncorroborated") is True and roots:
        # A lone alarm on a machine may be a process drift (a worn tool) that shows in the
        # parts before anywhere else: the measurements are read, and lots held only on a drift.
        return True
    if findings.get("uncorroborated") is True or not roots:
        return False
    machines = findings.get("affected_machines")
    if node == "scheduling":
        return isinstance(machines, list) and bool(machines)
    if node == "quality":
        # A utility excursion changes how every fed machine cuts: its parts are suspect.
        return findings.get("root_category") == "utility" and isinstance(machines, list) and bool(machines)
    return False


def this_pass(visited: list[str]) -> tuple[int, list[str]]:
    """The pass number of a run (1 for the first; a follow-up adds one) and the nodes it visited."""
    passes = visited.count("event")
    last = len(visited) - 1 - visited[::-1].index("event") if passes else 0
    return max(passes, 1), visited[last:]


def build_incident_graph(
    client: PlantClient,
    *,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    specialists: Mapping[str, Specialist] | None = None,
) -> CompiledStateGraph[IncidentState, None, IncidentState, IncidentState]:
    """Compile the graph around a plant client; `specialists` overrides the installed ones (tests)."""
    agents = dict(load_specialists() if specialists is None else specialists)

    def route(
        visited: list[str], findings: Mapping[str, JsonValue], trigger: Mapping[str, JsonValue]
    ) -> tuple[Node, list[dict[str, JsonValue]]]:
        skipped: list[dict[str, JsonValue]] = []
        done = set(this_pass(visited)[1])
        for n in _order(findings, trigger):
            if n in done or not _needs(n, findings, trigger):
                continue
            if n in agents:
                return n, skipped
            skipped.append({"agent": n, "reason": f"needed, but {_MODULES[n][0]} is not installed"})
        return "summary", skipped

    async def event(state: IncidentState) -> Command[Node]:
        trigger = state["trigger"]
        visited = [*state.get("visited", []), "event"]
        if _kind(trigger) in (MATERIAL_TRIGGER, FOLLOW_UP_TRIGGER):
            goto, skipped = route(visited, state.get("findings", {}), trigger)
            return Command(goto=goto, update={"visited": ["event"], "skipped": skipped})
        if trigger.get("type") != REVIEW_TRIGGER:
            first: Node = "alarm_triage" if "alarm_triage" in agents else "summary"
            return Command(goto=first, update={"visited": ["event"]})
        # A shift review: triage only when alarms stand, then the measurements (quality).
        update: dict[str, Any] = {"visited": ["event"]}
        try:
            alarms = (await list_alarms(client, ListAlarmsArgs())).alarms
        except ToolError as e:
            if e.kind not in _FATAL:
                raise
            update["failure"] = {"agent": "event", "kind": e.kind, "message": e.message}
            return Command(goto="summary", update=update)
        standing = sorted(a.id for a in alarms if a.active and not a.shelved)
        update["findings"] = {"review_standing_alarms": standing}
        if standing and "alarm_triage" in agents:
            return Command(goto="alarm_triage", update=update)
        goto, skipped = route([*visited, "alarm_triage"], {}, trigger)
        return Command(goto=goto, update=update | {"skipped": skipped})

    def specialist_node(name: Node) -> Any:
        async def node(state: IncidentState) -> Command[Node]:
            run_id = state["run_id"]
            situation = Situation(run_id=run_id, trigger=state["trigger"], findings=state.get("findings", {}))
            records: list[ActionRecord] = []
            pass_no, _ = this_pass(state.get("visited", []))
            at = state["trigger"].get("t")
            act = _gate(
                client,
                run_id,
                name,
                records,
                pass_no=pass_no,
                at_t=float(at) if isinstance(at, int | float) else None,
            )
            update: dict[str, Any] = {"visited": [name]}
            try:
                with agent_span(client, name, **{tm.STEP: {"pass": pass_no}}) as span:
                    decision = await agents[name](client, act, situation)
                    record_decision(span, decision)
            except ToolError as e:
                if e.kind not in _FATAL:
                    raise
                update["actions"] = [r.model_dump(mode="json") for r in records]
                update["failure"] = {"agent": name, "kind": e.kind, "message": e.message}
                return Command(goto="summary", update=update)
            findings = {**state.get("findings", {}), **findings_of(decision)}
            goto, skipped = route([*state.get("visited", []), name], findings, state["trigger"])
            update |= {
                "decisions": [decision.model_dump(mode="json")],
                "findings": findings_of(decision),
                "actions": [r.model_dump(mode="json") for r in records],
                "skipped": skipped,
            }
            return Command(goto=goto, update=update)

        node.__name__ = name
        return node

    async def summary(state: IncidentState) -> dict[str, Any]:
        out = outcome_of(state)
        out["visited"] = [*state.get("visited", []), "summary"]
        return {"visited": ["summary"], "summary": out}

    g: StateGraph[IncidentState, None, IncidentState, IncidentState] = StateGraph(IncidentState)
    g.add_node("event", event, destinations=(*SPECIALISTS, "summary"))
    for name in SPECIALISTS:
        g.add_node(name, specialist_node(name), destinations=(*SPECIALISTS, "summary"))
    g.add_node("summary", summary)
    g.add_edge(START, "event")
    g.add_edge("summary", END)
    return g.compile(checkpointer=checkpointer)


def _gate(
    client: PlantClient,
    run_id: str,
    agent: str,
    records: list[ActionRecord],
    *,
    pass_no: int = 1,
    at_t: float | None = None,
) -> Any:
    """The `Act` of one specialist run: reads run, writes run keyed, critical ones wait for approval.

    Keys are `run_id:agent:tool:digest` in the first pass and `run_id:pK:agent:tool:digest` in
    follow-up pass K, the digest taken over the arguments: a resumed node re-sends the same key
    for the same action, whatever it skips this time (a specialist reads the plant, which its
    killed attempt may have changed), a different action never reuses a key, and a later pass
    never reuses one of an earlier pass."""
    calls = 0
    scope = run_id if pass_no == 1 else f"{run_id}:p{pass_no}"

    async def act(tool_name: str, args: Mapping[str, object]) -> object:
        nonlocal calls
        calls += 1
        spec = find_tool(tool_name)
        if spec.risk == "read":
            return await spec.invoke(client, args)
        digest = hashlib.sha256(json.dumps(dict(args), sort_keys=True, default=str).encode()).hexdigest()[:16]
        key = f"{scope}:{agent}:{tool_name}:{digest}"
        plain = _JSON_ARGS.validate_python(dict(args))
        base = {
            "agent": agent,
            "n": calls,
            "tool": tool_name,
            "risk": spec.risk,
            "args": plain,
            "pass_no": pass_no,
            "at_t": at_t,
        }
        refusals: list[dict[str, JsonValue]] = []
        approved_by: str | None = None
        if spec.risk == "critical":
            while True:
                answer = interrupt(
                    {
                        "kind": "approval",
                        "run_id": run_id,
                        **base,
                        "idempotency_key": key,
                        "description": spec.description.splitlines()[0],
                        "refusals": list(refusals),
                    }
                )
                try:
                    approval = Approval.model_validate(answer)
                except ValidationError:
                    refusals.append({"answer": str(answer), "reason": "not an approval"})
                    continue
                record_approval(approval.approved, approval.by, approval.role, tool_name, key)
                if not approval.approved:
                    records.append(
                        ActionRecord(
                            **base,
                            idempotency_key=key,
                            status="rejected",
                            error=f"rejected by {approval.by} ({approval.role})",
                            refusals=tuple(refusals),
                        )
                    )
                    return Declined(tool=tool_name, reason=f"rejected by {approval.by}")
                if approval.role == SUPERVISOR_ROLE:
                    approved_by = approval.by
                    break
                refusals.append(
                    {
                        "by": approval.by,
                        "role": approval.role,
                        "reason": f"approval needs the {SUPERVISOR_ROLE} role",
                    }
                )
        try:
            result = await spec.invoke(client, args, idempotency_key=key)
        except ToolError as e:
            records.append(
                ActionRecord(
                    **base,
                    idempotency_key=key,
                    status="failed",
                    error=e.observation(),
                    approved_by=approved_by,
                    refusals=tuple(refusals),
                )
            )
            raise
        records.append(
            ActionRecord(
                **base,
                idempotency_key=key,
                status="executed",
                result=result.model_dump(mode="json"),
                approved_by=approved_by,
                refusals=tuple(refusals),
            )
        )
        return result

    return act


def initial_state(
    run_id: str, trigger: Mapping[str, JsonValue], origin: Mapping[str, JsonValue]
) -> IncidentState:
    """The input of a new run."""
    return {
        "run_id": run_id,
        "trigger": dict(trigger),
        "passes": [dict(trigger)],
        "origin": dict(origin),
        "findings": {},
        "decisions": [],
        "actions": [],
        "visited": [],
        "skipped": [],
        "failure": None,
    }


def outcome_of(state: IncidentState) -> dict[str, JsonValue]:
    """What the run did, from its state: the `--json` outcome (pending approvals are added by the caller)."""
    f = state.get("findings", {})
    done = [a for a in state.get("actions", []) if a.get("status") == "executed"]

    def results(tool: str, field: str) -> list[JsonValue]:
        out: list[JsonValue] = []
        for a in done:
            r = a.get("result")
            if a.get("tool") == tool and isinstance(r, dict) and r.get(field) is not None:
                out.append(r[field])
        return out

    wos = f.get("work_orders")
    work_orders = wos if isinstance(wos, list) else results("create_work_order", "id")
    held = results("hold_lot", "id")
    standing = f.get("held_lots_standing")  # held by quality already (e.g. by a killed attempt)
    held += [x for x in (standing if isinstance(standing, list) else []) if x not in held]
    passes = state.get("passes") or [state.get("trigger", {})]
    trigger = passes[0]
    status = "failed" if state.get("failure") else "completed"
    review: dict[str, JsonValue] | None = None
    roots = f.get("root_cause", [])
    if trigger.get("type") == REVIEW_TRIGGER:
        drifts = f.get("drift_machines")
        if not roots and isinstance(drifts, list) and drifts:
            roots = drifts  # nothing alarmed: the machines whose process drifted are the cause
        found = bool(f.get("root_cause") or drifts or held or work_orders)
        if status == "completed" and not found:
            status = "no_fault"
        review = {
            "t": trigger.get("t"),
            "time": trigger.get("time"),
            "reason": trigger.get("reason"),
            "standing_alarms": f.get("review_standing_alarms", []),
            "drift_machines": drifts if isinstance(drifts, list) else [],
            "specialists": [v for v in state.get("visited", []) if v in SPECIALISTS],
            "found": found,
        }
    return {
        "run_id": state.get("run_id", ""),
        "status": status,
        "trigger": trigger.get("type"),
        "review": review,
        "root_cause": roots,
        "affected_assets": _affected_assets(f, roots),
        "uncorroborated": f.get("uncorroborated", False),
        "failure_mode": f.get("failure_mode"),
        "work_orders": work_orders,
        "held_lots": held,
        "affected_lots": _affected_lots(f, held),
        "schedule_changes": results("publish_schedule", "version"),
        "acknowledged_alarms": results("acknowledge_alarm", "id"),
        "visited": list(state.get("visited", [])),
        "skipped": list(state.get("skipped", [])),
        "failure": state.get("failure"),
        "follow_ups": [
            {"t": p.get("t"), "time": p.get("time"), "reason": p.get("reason")} for p in passes[1:]
        ],
    }


def _affected_assets(findings: Mapping[str, JsonValue], roots: JsonValue) -> list[JsonValue]:
    """Assets whose operation the fault touched: a failed utility's fed machines, the machines a
    material shortage starves, a faulty machine itself (and what its incident reached); none for
    a failed instrument, whose machine is healthy."""
    named = findings.get("affected_assets")
    found = {str(a) for a in named} if isinstance(named, list) else set()
    if findings.get("failure_mode") == "sensor_fault":
        return []
    if findings.get("root_category") not in ("utility", "material") and isinstance(roots, list):
        found |= {str(r) for r in roots}
    out: list[JsonValue] = [*sorted(found)]
    return out


def _affected_lots(findings: Mapping[str, JsonValue], held: list[JsonValue]) -> list[JsonValue]:
    """Lots the fault touched: those held (suspect parts) and those it stopped (a job cut off by a
    breakdown, jobs waiting for a short material), in id order."""
    named = findings.get("affected_lots")
    lots = {str(x) for x in held} | ({str(x) for x in named} if isinstance(named, list) else set())
    out: list[JsonValue] = [*sorted(lots)]
    return out
