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
