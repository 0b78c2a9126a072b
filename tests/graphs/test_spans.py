"""The span tree of a run, asserted on an in-memory exporter: run -> invoke_agent -> execute_tool,
GenAI names, decisions, an approval interrupt (not an error) and a tool error."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from agents import RulesBrain
from graphs import Approval
from plantbrain._segments import run_segment
from plantbrain.traces._record import SpanRecord
from tests.plantbrain.trace_support import record_incident, records, traced_sandbox

ORIGIN = {"seed": 0, "scenario": None, "clock_t": 7200.0}


def _children(recs: list[SpanRecord], parent: SpanRecord) -> list[SpanRecord]:
    return [r for r in recs if r.parent_id == parent.span_id]


def _turn(task: str) -> dict[str, Any]:
    return {"thread": "t-1", "task": task, "brain": "rules", "origin": ORIGIN, "rebuild": False}


def test_incident_tree_has_agents_tools_and_decisions() -> None:
    out, recs = asyncio.run(record_incident("coolant_pump_failure", 3))
    roots = [r for r in recs if r.parent_id is None]
    assert [r.name for r in roots] == ["run incident"]
    run = roots[0]
    assert run.attributes["plantbrain.run.segment"] == "incident.drive"
    assert {r.attributes["plantbrain.run.id"] for r in recs} == {"inc-coolant_pump_failure-3"}
    agents = [r for r in recs if r.attributes.get("gen_ai.operation.name") == "invoke_agent"]
    assert [a.attributes["gen_ai.agent.name"] for a in agents][:4] == [
        "alarm_triage", "maintenance", "scheduling", "quality",
    ]  # fmt: skip
    triage = agents[0]
    assert triage.parent_id == run.span_id and triage.name == "invoke_agent alarm_triage"
    assert "P-201" in str(triage.attributes["plantbrain.decision.summary"])
    assert triage.attributes["plantbrain.decision.rule"]
    tools = _children(recs, agents[1])
    wo = next(t for t in tools if t.attributes["gen_ai.tool.name"] == "create_work_order")
    assert wo.name == "execute_tool create_work_order"
    assert wo.attributes["gen_ai.operation.name"] == "execute_tool"
    assert json.loads(str(wo.attributes["gen_ai.tool.call.arguments"]))["asset"] == "P-201"
    assert json.loads(str(wo.attributes["gen_ai.tool.call.result"]))["id"] == "WO-1001"
    assert str(wo.attributes["plantbrain.idempotency_key"]).startswith(
        "inc-coolant_pump_failure-3:maintenance:"
    )
    assert wo.attributes["gen_ai.tool.call.id"] == wo.attributes["plantbrain.idempotency_key"]
    http = [e for e in wo.events if e.name == "plant.http"]
    assert len(http) == 1 and http[0].attributes["status"] == 200
    # the watch's clock steps are the driver's, under the run span itself
    assert any(r.name == "execute_tool plant.advance_clock" and r.parent_id == run.span_id for r in recs)


def test_approval_interrupt_and_tool_error_in_the_tree() -> None:
    async def go() -> list[SpanRecord]:
        async with traced_sandbox(seed=0, hours=2) as (client, exporter):
            saver, brain = InMemorySaver(), RulesBrain()
            out = await run_segment(client, saver, run_id="t-1", kind="ask", segment="ask.turn",
                                    inputs=_turn("Stop CNC-3"), brain=brain)  # fmt: skip
            assert out["status"] == "awaiting_approval"
            approval = Approval(approved=True, by="li.wei", role="supervisor").model_dump(mode="json")
            await run_segment(client, saver, run_id="t-1", kind="ask", segment="ask.answer",
                              inputs={"thread": "t-1", "approval": approval, "rebuild": False}, brain=brain)  # fmt: skip
            out = await run_segment(client, saver, run_id="t-1", kind="ask", segment="ask.turn",
                                    inputs=_turn("Release LOT-9999"), brain=brain)  # fmt: skip
            assert out["status"] == "failed"
            return records(exporter)

    recs = asyncio.run(go())
    roots = [r for r in recs if r.parent_id is None]
    assert [r.attributes["plantbrain.run.segment"] for r in roots] == ["ask.turn", "ask.answer", "ask.turn"]
    # 1. the interrupt: maintenance's span ends with the pending action, and it is not an error
    first = [r for r in recs if r.trace_id == roots[0].trace_id]
    agents = [r for r in first if r.attributes.get("gen_ai.operation.name") == "invoke_agent"]
    assert [a.attributes["gen_ai.agent.name"] for a in agents] == ["supervisor", "maintenance"]
    waiting = agents[1]
    pending = json.loads(str(waiting.attributes["plantbrain.approval.pending"]))
    assert pending[0]["tool"] == "set_machine_mode" and pending[0]["args"]["mode"] == "stopped"
    assert waiting.status != "ERROR"
    assert not [r for r in first if r.attributes.get("gen_ai.tool.name") == "set_machine_mode"]
    # 2. the approval: the resumed maintenance span holds who approved, then the tool call
    second = [r for r in recs if r.trace_id == roots[1].trace_id]
    resumed = next(r for r in second if r.attributes.get("gen_ai.agent.name") == "maintenance")
    approved = [e for e in resumed.events if e.name == "plantbrain.approval"]
    assert (
        approved and approved[0].attributes["by"] == "li.wei" and approved[0].attributes["approved"] is True
    )
    stop = next(
        r for r in _children(recs, resumed) if r.attributes.get("gen_ai.tool.name") == "set_machine_mode"
    )
    assert stop.attributes["plantbrain.risk"] == "critical"
    assert stop.status != "ERROR"
    # 3. the tool error: get_lot on an unknown lot is an ERROR span with its kind, under quality
    third = [r for r in recs if r.trace_id == roots[2].trace_id]
    failed = next(r for r in third if r.attributes.get("gen_ai.tool.name") == "get_lot")
    assert failed.status == "ERROR" and failed.attributes["error.type"] == "not_found"
    parent = next(r for r in third if r.span_id == failed.parent_id)
    assert parent.attributes["gen_ai.agent.name"] == "quality" and parent.status == "ERROR"
