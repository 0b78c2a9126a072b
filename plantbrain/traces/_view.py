"""A run's spans as the decision chain a person reads, or as nested JSON.

    run incident [incident.drive]  scenario=coolant_pump_failure seed=42  1523.4 ms
    └─ invoke_agent maintenance  12.3 ms
       │ decision: Open a work order on P-201 (rule R-7, confidence 0.90)
       │ why: vibration above alarm for 20 min
       └─ execute_tool get_asset  asset_id=P-201 -> 200, 812 B {"asset_id":"P-201",…}  3.1 ms

Spans whose parent is not among the records (each segment of a run is its own trace) are roots.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from plantbrain.traces._export import is_run_span, iso
from plantbrain.traces._record import SpanRecord, ordered
from tools import _telemetry as tm

_WIDTH = 100
"""Longest one-line summary of a payload (input, arguments, answer excerpt)."""


@dataclass(slots=True)
class _Node:
    record: SpanRecord
    children: list[_Node] = field(default_factory=list)


def _forest(records: Sequence[SpanRecord]) -> list[_Node]:
    nodes = {r.span_id: _Node(r) for r in ordered(records)}
    roots: list[_Node] = []
    for node in nodes.values():
        parent = nodes.get(node.record.parent_id or "")
        (parent.children if parent is not None else roots).append(node)
    return roots


def render_tree(records: Sequence[SpanRecord]) -> str:
    """The decision chain: run -> invoke_agent -> execute_tool, with what each decided or got back."""
    out: list[str] = []
    for root in _forest(records):
        _render(root, "", "", out)
    return "\n".join(out)


def _render(node: _Node, lead: str, cont: str, out: list[str]) -> None:
    out.append(lead + _headline(node.record))
    bar = "│ " if node.children else "  "
    out.extend(f"{cont}{bar}{line}" for line in _details(node.record))
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        _render(child, cont + ("└─ " if last else "├─ "), cont + ("   " if last else "│  "), out)


def duration_ms(record: SpanRecord) -> float:
    return round((record.end_ns - record.start_ns) / 1e6, 3)


def _headline(r: SpanRecord) -> str:
    took = f"{duration_ms(r):.1f} ms"
    failed = (
        f"  ERROR {r.attr(tm.ERROR_TYPE)}: {r.status_message or ''}".rstrip(": ")
        if r.status == "ERROR"
        else ""
    )
    if is_run_span(r.name):
        segment = f" [{r.attr(tm.RUN_SEGMENT)}]" if r.attr(tm.RUN_SEGMENT) else ""
        return f"{r.name}{segment}  {_summary(r.attr(tm.RUN_INPUT))}  {took}{failed}"
    if r.attr(tm.OPERATION) == tm.EXECUTE_TOOL:
        name = r.attr(tm.TOOL_NAME) or r.name
        call = " ".join(
            part
            for part in (
                r.attr(tm.HTTP_METHOD),
                r.attr(tm.URL_PATH),
                _summary(r.attr(tm.TOOL_ARGS), empty=""),
            )
            if part
        )
        attempts = sum(1 for e in r.events if e.name == tm.PLANT_HTTP)
        tries = f" ({attempts} attempts)" if attempts > 1 else ""
        answer = (
            f"ERROR {r.attr(tm.ERROR_TYPE)}: {_cut(r.status_message or '')}"
            if r.status == "ERROR"
            else _answer(r)
        )
        return f"{tm.EXECUTE_TOOL} {name}  {call or '-'} -> {answer}{tries}  {took}"
    return f"{r.name}  {took}{failed}"


def _details(r: SpanRecord) -> list[str]:
    out: list[str] = []
    if is_run_span(r.name) and tm.RUN_OUTCOME in r.attributes:
        out.append(f"outcome: {_cut(r.attr(tm.RUN_OUTCOME))}")
    if r.attr(tm.DECISION_SUMMARY):
        how = [f"rule {r.attr(tm.DECISION_RULE)}"] if r.attr(tm.DECISION_RULE) else []
        if tm.DECISION_CONFIDENCE in r.attributes:
            how.append(f"confidence {float(r.attr(tm.DECISION_CONFIDENCE)):.2f}")
        out.append(f"decision: {_cut(r.attr(tm.DECISION_SUMMARY))}" + (f" ({', '.join(how)})" if how else ""))
    if r.attr(tm.DECISION_RATIONALE):
        out.append(f"why: {_cut(r.attr(tm.DECISION_RATIONALE))}")
    if r.attr(tm.STEP):
        out.append(f"step: {_summary(r.attr(tm.STEP))}")
    if r.attr(tm.APPROVAL_PENDING):
        out.append(f"awaiting approval: {_summary(r.attr(tm.APPROVAL_PENDING))}")
    for e in r.events:
        if e.name == tm.APPROVAL:
            a = e.attributes
            verdict = "approved" if a.get("approved") else "rejected"
            tool = f" for {a['tool']}" if a.get("tool") else ""
            out.append(f"approval: {verdict} by {a.get('by', '?')} ({a.get('role', '?')}){tool}")
    return out


def _answer(r: SpanRecord) -> str:
    """The plant's answer: status, size and an excerpt of the body."""
    http = [e for e in r.events if e.name == tm.PLANT_HTTP]
    if http:
        last = http[-1].attributes
        if "error" in last:
            return str(last["error"])
        body = str(last.get("response.body", ""))
        status = last.get("status", "?")
    else:
        body = r.attr(tm.TOOL_RESULT)
        status = r.attr(tm.HTTP_STATUS, "ok")
    if body == "[redacted]":
        return f"{status} [redacted]"
    return f"{status}, {len(body.encode())} B {_cut(body, 60)}".rstrip()


def _summary(text: str, empty: str = "-") -> str:
    """A JSON payload on one short line: `k=v` for an object, compact JSON otherwise."""
    if not text or text in ("{}", "[]"):
        return empty
    try:
        value = json.loads(text)
    except ValueError:
        return _cut(text)
    if isinstance(value, dict):
        parts = [f"{k}={v if isinstance(v, str) else tm.dumps(v)}" for k, v in value.items()]
        return _cut(" ".join(parts))
    return _cut(tm.dumps(value))


def _cut(text: str, width: int = _WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def tree_json(records: Sequence[SpanRecord]) -> dict[str, Any]:
    """The same tree as data: `{run_id, spans, roots: [{name, span_id, ..., children}]}`, payloads included."""
    run_id = next((r.attr(tm.RUN_ID) for r in records if r.attr(tm.RUN_ID)), None)
    return {"run_id": run_id, "spans": len(records), "roots": [_node_json(n) for n in _forest(records)]}


def _node_json(node: _Node) -> dict[str, Any]:
    r = node.record
    return {
        "name": r.name,
        "span_id": r.span_id,
        "trace_id": r.trace_id,
        "start": iso(r.start_ns),
        "duration_ms": duration_ms(r),
        "status": r.status,
        "status_message": r.status_message,
        "attributes": dict(r.attributes),
        "events": [e.model_dump() for e in r.events],
        "children": [_node_json(c) for c in node.children],
    }
