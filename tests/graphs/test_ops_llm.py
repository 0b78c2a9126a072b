"""The llm brain in the ops graph: same tools, same graph, same approvals as the rules brain.

The model is a scripted OpenAI-compatible endpoint reached in-process; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio

import httpx

from agents._llm_brain import LlmBrain, LlmBrainConfig
from tests.agents.openai_script import ScriptedEndpoint, reply, tool_call
from tests.graphs.ops_support import session

COMPOUND = (
    "If CNC-3 spindle temperature is above 30 °C, open a priority-2 work order and move its jobs to CNC-4"
)
WHEN = {"kind": "tag", "asset": "CNC-3", "tag": "CNC-3.spindle_temp", "op": "gt", "value": 30}


def test_llm_plan_runs_through_the_same_graph(redis_url: str, key_prefix: str) -> None:
    endpoint = ScriptedEndpoint(
        {
            COMPOUND: reply(
                tool_call("create_work_order", asset="CNC-3", priority=2, when=WHEN),
                tool_call("move_jobs", source="CNC-3", target="CNC-4", when=WHEN),
            ),
            "Stop CNC-4": reply(tool_call("stop_machine", asset="CNC-4")),
        }
    )

    async def go() -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=endpoint.app), base_url="http://llm"
        ) as llm:
            brain = LlmBrain(
                LlmBrainConfig(base_url="http://llm/v1", model="scripted", max_retries=0),
                http_async_client=llm,
            )
            async with session(redis_url, key_prefix, brain=brain) as s:
                out = await s.ask(COMPOUND)
                assert out["brain"] == "llm" and out["status"] == "completed", out["text"]
                assert [a["tool"] for a in out["actions"]] == ["create_work_order", "publish_schedule"]
                wos = await s.get("/work-orders")
                assert [(w["asset"], w["priority"]) for w in wos] == [("CNC-3", 2)]
                assert all(o["status"] == "running" for o in (await s.get("/schedule"))["machines"]["CNC-3"])

                out = await s.ask("Stop CNC-4")
                assert out["status"] == "awaiting_approval"  # the model cannot skip an approval
                assert (await s.get("/assets/CNC-4"))["mode"] == "auto"
                out = await s.approve()
                assert out["status"] == "completed" and (await s.get("/assets/CNC-4"))["mode"] == "stopped"
        assert len(endpoint.requests) == 2

    asyncio.run(go())


def test_an_llm_conversation_replays_from_its_record_without_the_model(redis_url: str) -> None:
    """The model's answers are part of the trace: a recorded replay needs neither plant nor model."""
    from langgraph.checkpoint.memory import InMemorySaver

    from plantbrain._replay import replay
    from plantbrain._segments import run_segment
    from tests.plantbrain.trace_support import records, traced_sandbox
    from tools._telemetry import EventRecordingTransport

    endpoint = ScriptedEndpoint(
        {COMPOUND: reply(tool_call("create_work_order", asset="CNC-3", priority=2, when=WHEN))}
    )

    async def go() -> None:
        transport = EventRecordingTransport(httpx.ASGITransport(app=endpoint.app))
        async with httpx.AsyncClient(transport=transport, base_url="http://llm") as llm:
            brain = LlmBrain(
                LlmBrainConfig(base_url="http://llm/v1", model="scripted", max_retries=0),
                http_async_client=llm,
            )
            async with traced_sandbox(seed=0, hours=2) as (client, exporter):
                origin = {"seed": 0, "scenario": None, "clock_t": 7200.0}
                out = await run_segment(
                    client, InMemorySaver(), run_id="t-llm", kind="ask", segment="ask.turn", brain=brain,
                    inputs={"thread": "t-llm", "task": COMPOUND, "brain": "llm", "origin": origin, "rebuild": False},
                )  # fmt: skip
                assert out["status"] == "completed"
                recs = records(exporter)
        assert any(e.name == "llm.http" for r in recs for e in r.events)
        report = await replay(recs)  # no brain given: the model's recorded answers are served
        assert report.identical, report.first_divergence
        assert len(endpoint.requests) == 1  # the replay never reached the model

    asyncio.run(go())
