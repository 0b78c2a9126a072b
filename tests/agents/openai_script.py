"""A scripted OpenAI-compatible chat-completions endpoint, reached in-process (no network, no model).

    endpoint = ScriptedEndpoint([reply(tool_call("asset_status", asset="CNC-3"))])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=endpoint.app), base_url="http://llm")

`POST /v1/chat/completions` answers from the script: a list is consumed in order, a mapping is
keyed by the last user message. Every request body is kept in `requests`, so a test can assert on
what the brain sent (tools offered, system prompt). `Fail` answers with any status and raw body:
`Fail(500)` for a server error, `Fail(200, "not json")` for a malformed answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request, Response


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolCall:
    name: str
    arguments: str
    """The arguments as the model wrote them: JSON text (or, for error tests, not)."""


@dataclass(frozen=True, slots=True)
class Fail:
    status: int = 500
    body: str = '{"error": {"message": "scripted failure", "type": "server_error"}}'


Answer = dict[str, Any] | Fail


def tool_call(name: str, /, **args: Any) -> ToolCall:
    return ToolCall(name=name, arguments=json.dumps(args, ensure_ascii=False))


def reply(*calls: ToolCall, content: str | None = None, model: str = "scripted") -> dict[str, Any]:
    """A well-formed `chat.completion` with these tool calls (or only text)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for i, c in enumerate(calls)
        ]
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


class ScriptedEndpoint:
    """The endpoint and what it was asked."""

    def __init__(self, script: list[Answer] | Mapping[str, Answer]) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.add_api_route("/v1/chat/completions", self._complete, methods=["POST"])

    def _next(self, body: dict[str, Any]) -> Answer:
        if isinstance(self.script, list):
            return (
                self.script.pop(0) if self.script else Fail(500, '{"error": {"message": "script exhausted"}}')
            )
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        last = users[-1]["content"] if users else ""
        missing = Fail(500, json.dumps({"error": {"message": f"no answer scripted for {last!r}"}}))
        return self.script.get(last, missing)

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append(body)
        answer = self._next(body)
        if isinstance(answer, Fail):
            return Response(answer.body, status_code=answer.status, media_type="application/json")
        return Response(json.dumps(answer), media_type="application/json")

    # -- what the brain sent -------------------------------------------------------------------------
    def system_prompt(self, i: int = -1) -> str:
        return str(next(m["content"] for m in self.requests[i]["messages"] if m["role"] == "system"))

    def tool_names(self, i: int = -1) -> list[str]:
        return [t["function"]["name"] for t in self.requests[i].get("tools", [])]
