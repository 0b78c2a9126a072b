"""The LangChain adapter: tools derived from the specs, schemas equal to the pydantic models."""

from __future__ import annotations

import json

from langchain_core.messages import ToolMessage
from pydantic import BaseModel

import tools as t
from tests.tools.support import Env, run_plant


def test_adapter_mirrors_every_spec() -> None:
    async def body(env: Env) -> None:
        lc = t.as_langchain_tools(env.client, t.TOOLS)
        assert [x.name for x in lc] == [s.name for s in t.TOOLS]
        for tool, spec in zip(lc, t.TOOLS, strict=True):
            want = spec.args_model.model_json_schema()
            assert tool.args_schema is spec.args_model
            call_schema = tool.tool_call_schema
            assert isinstance(call_schema, type) and issubclass(call_schema, BaseModel)
            assert tool.description == spec.description
            assert tool.metadata == {"risk": spec.risk} and tool.tags == [f"risk:{spec.risk}"]
            assert tool.args == want.get("properties", {})
            assert call_schema.model_json_schema()["properties"] == want.get("properties", {})

    run_plant(body)


def test_adapter_tools_run_against_the_plant() -> None:
    async def body(env: Env) -> None:
        lc = {x.name: x for x in t.as_langchain_tools(env.client, t.TOOLS)}
        content = await lc["list_assets"].ainvoke({"line": "L1", "category": "machine"})
        assets = json.loads(content)["assets"]
        assert assets and {a["line"] for a in assets} == {"L1"}

        call = {
            "type": "tool_call",
            "id": "call-1",
            "name": "create_work_order",
            "args": {"asset": "P-101", "type": "CM", "priority": 1, "description": "Pump cavitating"},
        }
        msg = await lc["create_work_order"].ainvoke(call)
        assert isinstance(msg, ToolMessage) and msg.status == "success"
        assert isinstance(msg.artifact, t.WorkOrder) and msg.artifact.asset == "P-101"
        assert [w["id"] for w in (await env.state())["work_orders"]] == [msg.artifact.id]

        missing = await lc["get_asset"].ainvoke({**call, "name": "get_asset", "args": {"asset_id": "P-2O1"}})
        assert msg.tool_call_id == missing.tool_call_id == "call-1"
        assert missing.status == "error" and missing.content.startswith("ToolError[not_found]: Unknown asset")

        bad = await lc["shelve_alarm"].ainvoke({**call, "name": "shelve_alarm", "args": {"alarm_id": "X"}})
        assert bad.status == "error" and bad.content.startswith("ToolError[invalid_args]")
        assert "duration_s" in bad.content and "reason" in bad.content

    run_plant(body)
