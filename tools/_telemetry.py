"""Span names and attribute keys of plantbrain's traces: the one place they are defined.

A run's trace is a tree (OpenTelemetry GenAI semantic conventions where they exist):

    run {kind}                      plantbrain.run.id, .kind, .segment, .input (JSON)
      invoke_agent {agent}          gen_ai.operation.name=invoke_agent, gen_ai.agent.name,
                                    plantbrain.decision.* (summary, rule, rationale, observed, confidence)
        execute_tool {tool}         gen_ai.operation.name=execute_tool, gen_ai.tool.name,
                                    gen_ai.tool.call.id, gen_ai.tool.call.arguments / .result (JSON),
                                    plantbrain.risk, plantbrain.idempotency_key, http.* / url.*
          event plant.http          one per HTTP attempt: the request and the plant's raw answer

Every span carries `plantbrain.run.id` (copied from its parent by `RunIdProcessor`), so an
exporter can file it under its run. Payloads (arguments, results, raw answers) are recorded
because replay serves them back; `PAYLOAD_KEYS` are what a redacting exporter drops.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import Tracer

TRACER_NAME = "plantbrain"

# span names
RUN = "run"
INVOKE_AGENT = "invoke_agent"
EXECUTE_TOOL = "execute_tool"
PLANT_HTTP = "plant.http"
"""Span event: one HTTP attempt to the plant."""
LLM_HTTP = "llm.http"
"""Span event: one request to a model endpoint and its answer (the llm brain's)."""

# GenAI semantic conventions
OPERATION = "gen_ai.operation.name"
AGENT_NAME = "gen_ai.agent.name"
TOOL_NAME = "gen_ai.tool.name"
TOOL_CALL_ID = "gen_ai.tool.call.id"
TOOL_ARGS = "gen_ai.tool.call.arguments"
TOOL_RESULT = "gen_ai.tool.call.result"
ERROR_TYPE = "error.type"
HTTP_METHOD = "http.request.method"
URL_PATH = "url.path"
URL_QUERY = "url.query"
HTTP_STATUS = "http.response.status_code"

# plantbrain
RUN_ID = "plantbrain.run.id"
RUN_KIND = "plantbrain.run.kind"
"""incident | ask"""
RUN_SEGMENT = "plantbrain.run.segment"
"""What this invocation did: incident.drive, incident.answer, ask.turn, ask.answer."""
RUN_INPUT = "plantbrain.run.input"
"""JSON: what the segment was given (scenario and seed, the task, the approval)."""
RUN_OUTCOME = "plantbrain.run.outcome"
RISK = "plantbrain.risk"
IDEMPOTENCY_KEY = "plantbrain.idempotency_key"
KEY_SOURCE = "plantbrain.idempotency_key.source"
"""caller (derived from the step: replays compare it) | auto (a fresh one per write)."""
DECISION_SUMMARY = "plantbrain.decision.summary"
DECISION_RULE = "plantbrain.decision.rule"
DECISION_RATIONALE = "plantbrain.decision.rationale"
DECISION_OBSERVED = "plantbrain.decision.observed"
DECISION_CONFIDENCE = "plantbrain.decision.confidence"
DECISION_CALLS = "plantbrain.decision.tool_calls"
STEP = "plantbrain.step"
"""JSON of an ops step: n, intent, args, condition."""
STEP_OUTCOME = "plantbrain.step.outcome"
APPROVAL_PENDING = "plantbrain.approval.pending"
"""JSON: the critical action an interrupt waits on (the span ends there; not an error)."""
APPROVAL = "plantbrain.approval"
"""Event on the agent span when a person answers: by, role, approved, at."""

PAYLOAD_KEYS = frozenset({TOOL_ARGS, TOOL_RESULT, DECISION_OBSERVED, RUN_INPUT})
"""Attributes holding payloads: dropped when traces are exported redacted."""
PAYLOAD_EVENT_KEYS = frozenset({"request.body", "response.body"})


class EventRecordingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that records each exchange as an event on the current span (for the
    llm brain: its model's answers are part of the record a replay serves back)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, event: str = LLM_HTTP) -> None:
        self._inner, self._event = inner, event

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = (await request.aread()).decode("utf-8", "replace")
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(
                self._event,
                {
                    "method": request.method,
                    "path": request.url.path,
                    "request.body": sent,
                    "status": response.status_code,
                    "response.body": content.decode("utf-8", "replace"),
                },
            )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def dumps(value: Any) -> str:
    """JSON for an attribute: stable key order, no ASCII escaping, compact."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def tracer_of(provider: trace.TracerProvider | None) -> Tracer:
    """plantbrain's tracer from a provider, or from the global one (a no-op until configured)."""
    return (provider or trace.get_tracer_provider()).get_tracer(TRACER_NAME)


class RunIdProcessor(SpanProcessor):
    """Copies `plantbrain.run.id` from a span's parent to the span, so every span knows its run."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        if span.attributes and RUN_ID in span.attributes:
            return
        parent = trace.get_current_span(parent_context)
        attrs = getattr(parent, "attributes", None)
        if isinstance(attrs, Mapping) and RUN_ID in attrs:
            span.set_attribute(RUN_ID, attrs[RUN_ID])

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


@contextmanager
def run_span(
    tracer: Tracer, *, run_id: str, kind: str, segment: str, inputs: Mapping[str, Any]
) -> Iterator[trace.Span]:
    """The root span of one invocation of a run (a run may take several: start, approvals)."""
    attrs = {RUN_ID: run_id, RUN_KIND: kind, RUN_SEGMENT: segment, RUN_INPUT: dumps(dict(inputs))}
    with tracer.start_as_current_span(
        f"{RUN} {kind}", attributes=attrs, record_exception=True, set_status_on_exception=True
    ) as span:
        yield span
