"""The graphs' spans: one `invoke_agent` span per node, holding what it decided and what waits.

Names and keys come from `tools._telemetry`; the tracer comes from the plant client
(`client.tracer`), so a run traced through its client is traced through its graph too. An
approval interrupt ends the agent span with `plantbrain.approval.pending` set; it is not an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langgraph.errors import GraphInterrupt
from opentelemetry import trace
from opentelemetry.trace import Span, StatusCode

from agents import Decision
from tools import PlantClient, ToolError
from tools import _telemetry as tm


@contextmanager
def agent_span(client: PlantClient, agent: str, **attributes: Any) -> Iterator[Span]:
    """The `invoke_agent {agent}` span around a node's work."""
    attrs: dict[str, str | int | float | bool] = {tm.OPERATION: tm.INVOKE_AGENT, tm.AGENT_NAME: agent}
    attrs |= {
        k: (v if isinstance(v, str | int | float | bool) else tm.dumps(v)) for k, v in attributes.items()
    }
    with client.tracer.start_as_current_span(
        f"{tm.INVOKE_AGENT} {agent}", attributes=attrs, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except GraphInterrupt as e:
            pending = [getattr(i, "value", str(i)) for i in (e.args[0] if e.args else [])]
            span.set_attribute(tm.APPROVAL_PENDING, tm.dumps(pending))
            raise
        except ToolError as e:
            span.set_status(StatusCode.ERROR, e.message)
            span.set_attribute(tm.ERROR_TYPE, e.kind)
            raise
        except Exception as e:
            span.record_exception(e)
            span.set_status(StatusCode.ERROR, f"{type(e).__name__}: {e}")
            raise


def record_decision(span: Span, decision: Decision) -> None:
    """What a specialist decided, on its span: summary, rule, rationale, what it observed."""
    if not span.is_recording():
        return
    span.set_attributes(
        {
            tm.DECISION_SUMMARY: decision.summary,
            tm.DECISION_RULE: decision.rule,
            tm.DECISION_RATIONALE: decision.rationale,
            tm.DECISION_CONFIDENCE: decision.confidence,
            tm.DECISION_OBSERVED: tm.dumps([e.model_dump(mode="json") for e in decision.observed]),
            tm.DECISION_CALLS: tm.dumps([c.model_dump(mode="json") for c in decision.tool_calls]),
        }
    )


def record_approval(approved: bool, by: str, role: str, tool: str, key: str) -> None:
    """A person's answer to a pending action, as an event on the current (agent) span."""
    trace.get_current_span().add_event(
        tm.APPROVAL, {"approved": approved, "by": by, "role": role, "tool": tool, "idempotency_key": key}
    )
