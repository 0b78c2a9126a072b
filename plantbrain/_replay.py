"""Replay a recorded run and report whether it ran the same: `recorded` (no plant) or `live` (a fresh sandbox).

    report = await replay(records, mode="recorded")
    report.identical, report.first_divergence

**recorded**: every segment of the run is called again, with the same inputs, on a plant client
whose transport serves the recorded answers in order (`RecordedPlant`). A request the record
does not have next (another tool, other arguments, one call too many) stops the replay there.
**live**: the same segments on a fresh sandbox of the recorded seed and scenario.

Both traces are then read as one sequence of steps: each tool call (tool, arguments; in recorded
mode also the HTTP request) at its start and each decision (agent, summary, rule, rationale, tool
calls) at its end, and the first step that differs is reported with both sides. LangGraph's own
time travel re-executes nodes against the live world; this compares against what happened.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from langgraph.checkpoint.memory import InMemorySaver
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, ConfigDict, JsonValue

from plantbrain._segments import SEGMENTS, run_segment
from plantbrain.traces._record import SpanRecord, from_span, ordered
from tools import PlantClient, PlantClientConfig
from tools import _telemetry as tm

Mode = Literal["recorded", "live"]


class ReplayError(ValueError):
    """The record cannot be replayed (no run segment in it, an unknown segment, …)."""


class Diverged(Exception):
    """Raised by the recorded plant at the first request the record does not have next."""

    def __init__(self, index: int, expected: Mapping[str, Any] | None, got: Mapping[str, Any]) -> None:
        super().__init__(f"request {index} differs from the record")
        self.index, self.expected, self.got = index, expected, got


def _canon(body: str) -> Any:
    try:
        return json.loads(body) if body else None
    except json.JSONDecodeError:
        return body


@dataclass
class RecordedPlant(httpx.AsyncBaseTransport):
    """An httpx transport that answers from a record of `plant.http` exchanges, in order."""

    exchanges: list[Mapping[str, Any]]
    served: int = 0
    divergence: Diverged | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = (await request.aread()).decode("utf-8", "replace")
        got = {
            "method": request.method,
            "path": request.url.path,
            "query": dict(request.url.params),
            "request.body": _canon(body),
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }
        i = self.served
        want = self.exchanges[i] if i < len(self.exchanges) else None
        if want is None or not _same_request(want, got):
            self.divergence = Diverged(i, _request_of(want) if want else None, got)
            raise self.divergence
        self.served += 1
        if "error" in want:
            raise httpx.ConnectError(f"recorded failure: {want['error']}", request=request)
        return httpx.Response(
            int(want.get("status", 200)),
            content=str(want.get("response.body", "")).encode(),
            headers={"Content-Type": "application/json"},
            request=request,
        )


@dataclass
class RecordedModel(httpx.AsyncBaseTransport):
    """The llm brain's endpoint, answering from the record's `llm.http` exchanges, in order."""

    exchanges: list[Mapping[str, Any]]
    served: int = 0
    divergence: Diverged | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        got = {
            "path": request.url.path,
            "request.body": _canon((await request.aread()).decode("utf-8", "replace")),
        }
        i = self.served
        want = self.exchanges[i] if i < len(self.exchanges) else None
        if want is None or _canon(str(want.get("request.body", ""))) != got["request.body"]:
            expected = {"request.body": _canon(str(want.get("request.body", "")))} if want else None
            self.divergence = Diverged(i, expected, got)
            raise self.divergence
        self.served += 1
        return httpx.Response(
            int(want.get("status", 200)),
            content=str(want.get("response.body", "")).encode(),
            headers={"Content-Type": "application/json"},
            request=request,
        )


def recorded_llm_brain(records: Sequence[SpanRecord]) -> tuple[Any, RecordedModel] | None:
    """An llm brain whose model answers from the record (None if the run asked no model)."""
    events = sorted(
        ((e.time_ns, e.attributes) for r in records for e in r.events if e.name == tm.LLM_HTTP),
        key=lambda x: x[0],
    )
    if not events:
        return None
    from agents._llm_brain import LlmBrain, LlmBrainConfig

    exchanges: list[Mapping[str, Any]] = [a for _, a in events]
    first = _canon(str(exchanges[0].get("request.body", "")))
    model = str(first.get("model", "recorded")) if isinstance(first, dict) else "recorded"
    transport = RecordedModel(exchanges)
    brain = LlmBrain(
        LlmBrainConfig(base_url="http://recorded-model/v1", model=model, max_retries=0),
        http_async_client=httpx.AsyncClient(transport=transport, base_url="http://recorded-model"),
    )
    return brain, transport


def _request_of(x: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "method": x.get("method"),
        "path": x.get("path"),
        "query": json.loads(str(x.get("query") or "{}")),
        "request.body": _canon(str(x.get("request.body", ""))),
        "idempotency_key": x.get("idempotency_key"),
    }


def _same_request(want: Mapping[str, Any], got: Mapping[str, Any]) -> bool:
    w = _request_of(want)
    keys = ("method", "path", "query", "request.body")
    if any(w[k] != got[k] for k in keys):
        return False
    wk, gk = w["idempotency_key"], got["idempotency_key"]
    # A key the client made up for an unkeyed write is random; a key derived from the step is not.
    derived = want.get(tm.KEY_SOURCE) == "caller"
    return (wk is None) == (gk is None) and (not derived or wk == gk)


class Step(BaseModel):
    """One comparable step of a run: a tool call or a decision."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["tool", "decision"]
    agent: str
    what: str
    detail: dict[str, JsonValue]
    span: str


class Divergence(BaseModel):
    index: int
    recorded: Step | None
    replayed: Step | None
    request: dict[str, JsonValue] | None = None
    """In recorded mode, the HTTP request the record did not have next, with the one it had."""


class ReplayReport(BaseModel):
    run_id: str
    mode: Mode
    identical: bool
    steps_recorded: int
    steps_replayed: int
    first_divergence: Divergence | None
    segments: list[str]
    replayed_spans: list[SpanRecord] = []


def steps_of(records: Sequence[SpanRecord]) -> list[Step]:
    """A trace as its comparable steps, in order."""
    by_id = {r.span_id: r for r in records}

    def agent_of(r: SpanRecord) -> str:
        p = by_id.get(r.parent_id or "")
        while p is not None:
            if p.attributes.get(tm.OPERATION) == tm.INVOKE_AGENT:
                return p.attr(tm.AGENT_NAME)
            p = by_id.get(p.parent_id or "")
        return "driver"

    points: list[tuple[int, int, Step]] = []
    for r in records:
        op = r.attributes.get(tm.OPERATION)
        if op == tm.EXECUTE_TOOL:
            detail: dict[str, JsonValue] = {
                "arguments": _canon(r.attr(tm.TOOL_ARGS)),
                "path": r.attr(tm.URL_PATH),
            }
            if r.attr(tm.KEY_SOURCE) == "caller":
                detail["idempotency_key"] = r.attr(tm.IDEMPOTENCY_KEY)
            step = Step(
                kind="tool", agent=agent_of(r), what=r.attr(tm.TOOL_NAME), detail=detail, span=r.span_id
            )
            points.append((r.start_ns, 0, step))
        elif op == tm.INVOKE_AGENT and (
            tm.DECISION_SUMMARY in r.attributes or tm.STEP_OUTCOME in r.attributes
        ):
            detail = {
                "summary": r.attr(tm.DECISION_SUMMARY),
                "rule": r.attr(tm.DECISION_RULE),
                "rationale": r.attr(tm.DECISION_RATIONALE),
                "tool_calls": _canon(r.attr(tm.DECISION_CALLS)),
                "step": _canon(r.attr(tm.STEP)),
                "outcome": _canon(r.attr(tm.STEP_OUTCOME)),
            }
            step = Step(
                kind="decision", agent=r.attr(tm.AGENT_NAME), what="decision", detail=detail, span=r.span_id
            )
            points.append((r.end_ns, 1, step))
    return [s for _, _, s in sorted(points, key=lambda p: (p[0], p[1]))]


def _same(a: Step, b: Step) -> bool:
    return (a.kind, a.agent, a.what, a.detail) == (b.kind, b.agent, b.what, b.detail)


def compare(recorded: Sequence[Step], replayed: Sequence[Step]) -> Divergence | None:
    for i in range(max(len(recorded), len(replayed))):
        a = recorded[i] if i < len(recorded) else None
        b = replayed[i] if i < len(replayed) else None
        if a is None or b is None or not _same(a, b):
            return Divergence(index=i, recorded=a, replayed=b)
    return None


@dataclass(frozen=True)
class _Segment:
    run_id: str
    kind: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)


def segments_of(records: Sequence[SpanRecord]) -> list[_Segment]:
    out = []
    for r in ordered(records):
        if r.parent_id is None and r.name.startswith(f"{tm.RUN} "):
            name = r.attr(tm.RUN_SEGMENT)
            if name not in SEGMENTS:
                raise ReplayError(f"the record has a segment {name!r} this plantbrain cannot replay")
            out.append(
                _Segment(
                    r.attr(tm.RUN_ID), r.attr(tm.RUN_KIND), name, json.loads(r.attr(tm.RUN_INPUT) or "{}")
                )
            )
    if not out:
        raise ReplayError("no run in this record: it has no root `run` span (is it a whole run's trace?)")
    return out


async def _to_start(client: PlantClient, first: _Segment) -> None:
    """A fresh sandbox brought to the clock the run started at, when the run did not do it itself
    (a conversation on the service's plant, prepared before its first turn)."""
    from plantbrain._incident_cli import advance_to

    if first.kind != "ask" or first.inputs.get("rebuild"):
        return  # the segment brings the sandbox to its clock itself, as it did when recorded
    origin = first.inputs.get("origin")
    if isinstance(origin, dict) and isinstance(origin.get("clock_t"), int | float):
        await advance_to(client, float(origin["clock_t"]))


def exchanges_of(records: Sequence[SpanRecord]) -> list[Mapping[str, Any]]:
    """Every recorded HTTP attempt, in the order it was made, with its tool call's key source."""
    events = [
        (e.time_ns, {**e.attributes, tm.KEY_SOURCE: r.attr(tm.KEY_SOURCE)})
        for r in records
        for e in r.events
        if e.name == tm.PLANT_HTTP
    ]
    return [a for _, a in sorted(events, key=lambda x: x[0])]


async def replay(
    records: Sequence[SpanRecord],
    *,
    mode: Mode = "recorded",
    brain: Any = None,
    brains: Any = None,
) -> ReplayReport:
    """Re-run a recorded run and compare it step by step with its record.

    `brain`: the brain for conversation turns (default: a fresh one of the recorded kind, made by
    `brains(name)`)."""
    records = ordered(records)
    segments = segments_of(records)
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(tm.RunIdProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    recorded_plant: RecordedPlant | None = None
    config = PlantClientConfig(
        base_url="http://plant", retries=3, backoff_s=0.0, max_backoff_s=0.0, timeout_s=120.0
    )
    if mode == "recorded":
        recorded_plant = RecordedPlant(exchanges_of(records))
    inputs0 = segments[0].inputs
    given = inputs0.get("origin")
    origin: dict[str, Any] = given if isinstance(given, dict) else inputs0

    def plant() -> httpx.AsyncBaseTransport:
        """The recorded plant, or a fresh sandbox of the run's seed and scenario."""
        if recorded_plant is not None:
            return recorded_plant
        from sandbox_plant import create_app

        return httpx.ASGITransport(
            app=create_app(seed=int(origin.get("seed") or 0), scenario=origin.get("scenario"))
        )

    saver = InMemorySaver()
    model = recorded_llm_brain(records) if mode == "recorded" and brain is None else None

    def brain_for(seg: _Segment) -> Any:
        if seg.kind != "ask":
            return None
        name = str(seg.inputs.get("brain") or "rules")
        if brain is not None:
            return brain
        if name == "llm" and model is not None:
            return model[0]
        if brains is None:
            raise ReplayError(f"a brain is needed to replay the conversation's turns (recorded: {name})")
        return brains(name)

    def diverged() -> Diverged | None:
        for t in (recorded_plant, model[1] if model else None):
            if t is not None and t.divergence is not None:
                return t.divergence
        return None

    transport = plant()
    if mode == "live":
        async with PlantClient(config, transport=transport, tracer_provider=TracerProvider()) as setup:
            await _to_start(setup, segments[0])  # not part of the run: untraced
    for seg in segments:
        if (
            mode == "live"
            and seg is not segments[0]
            and (seg.kind == "incident" or seg.inputs.get("rebuild"))
        ):
            transport = plant()  # as recorded: this segment rebuilt a fresh sandbox from the record
        async with PlantClient(config, transport=transport, tracer_provider=provider) as client:
            try:
                await run_segment(
                    client, saver, run_id=seg.run_id, kind=seg.kind, segment=seg.name, inputs=seg.inputs,
                    brain=brain_for(seg),
                )  # fmt: skip
            except Diverged:
                break
            except Exception:
                if diverged() is not None:
                    break  # the divergence surfaced wrapped (e.g. as a failed tool call, a brain error)
                raise
        if diverged() is not None:
            break  # caught and reported by the run itself (e.g. the model's answer as a failed turn)
    provider.shutdown()
    replayed = ordered([from_span(s) for s in exporter.get_finished_spans()])
    a, b = steps_of(records), steps_of(replayed)
    first = compare(a, b)
    d = diverged()
    if d is not None:
        req = {"expected": d.expected, "got": d.got}
        first = (
            first or Divergence(index=len(b), recorded=a[len(b)] if len(b) < len(a) else None, replayed=None)
        ).model_copy(update={"request": json.loads(json.dumps(req, default=str))})
    return ReplayReport(
        run_id=segments[0].run_id,
        mode=mode,
        identical=first is None,
        steps_recorded=len(a),
        steps_replayed=len(b),
        first_divergence=first,
        segments=[s.name for s in segments],
        replayed_spans=replayed,
    )
