"""A finished span as a JSON line, and back: the format of trace files and of the Redis trace store.

    {"trace_id": "…32 hex…", "span_id": "…16 hex…", "parent_id": "…16 hex…" | null, "name": "execute_tool get_asset",
     "start_ns": 1700000000000000000, "end_ns": …, "status": "UNSET" | "OK" | "ERROR", "status_message": null,
     "attributes": {"gen_ai.tool.name": "get_asset", …}, "events": [{"name": "plant.http", "time_ns": …, "attributes": {…}}]}

A file holds one run's spans, one per line, in the order they ended; `ordered` sorts them as they
started (parents before children). A line that is not such a span is a `TraceFileError` naming
the file and the line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from pydantic import BaseModel, ConfigDict, Field, ValidationError

AttrValue = str | int | float | bool | list[str] | list[int] | list[float] | list[bool]


class TraceFileError(ValueError):
    """A trace file (or record) that cannot be read: says which file and line, and what is wrong."""


class EventRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    time_ns: int
    attributes: dict[str, AttrValue] = Field(default_factory=dict)


class SpanRecord(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    trace_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    span_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    parent_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{16}$")
    name: str
    start_ns: int
    end_ns: int
    status: str = "UNSET"
    status_message: str | None = None
    attributes: dict[str, AttrValue] = Field(default_factory=dict)
    events: list[EventRecord] = Field(default_factory=list)

    def attr(self, key: str, default: str = "") -> str:
        v = self.attributes.get(key)
        return default if v is None else str(v)


def from_span(span: ReadableSpan) -> SpanRecord:
    """An SDK span as a record."""
    ctx = span.get_span_context()
    assert ctx is not None
    parent = span.parent
    return SpanRecord(
        trace_id=f"{ctx.trace_id:032x}",
        span_id=f"{ctx.span_id:016x}",
        parent_id=f"{parent.span_id:016x}" if parent is not None else None,
        name=span.name,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        status=span.status.status_code.name,
        status_message=span.status.description,
        attributes={k: _plain(v) for k, v in (span.attributes or {}).items()},
        events=[
            EventRecord(
                name=e.name,
                time_ns=e.timestamp,
                attributes={k: _plain(v) for k, v in (e.attributes or {}).items()},
            )
            for e in span.events
        ],
    )


def _plain(v: object) -> AttrValue:
    if isinstance(v, tuple | list):
        return list(v)
    return v  # type: ignore[return-value]


def to_line(record: SpanRecord) -> str:
    return record.model_dump_json()


def parse_lines(lines: Iterable[str], *, source: str) -> list[SpanRecord]:
    """Records from JSON lines; `TraceFileError` names `source` and the line of the first bad one."""
    out: list[SpanRecord] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(SpanRecord.model_validate_json(line))
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "line"
            kind = (
                "is not JSON (truncated or corrupted?)"
                if first.get("type") == "json_invalid"
                else f"{where}: {first.get('msg')}"
            )
            raise TraceFileError(f"{source}:{n}: not a span record: {kind}") from None
    return out


def read_trace_file(path: Path) -> list[SpanRecord]:
    """A run's spans from a JSONL file, in start order."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TraceFileError(f"{path}: no such trace file") from None
    except UnicodeDecodeError as e:
        raise TraceFileError(f"{path}: not a text file ({e.reason} at byte {e.start})") from None
    records = parse_lines(text.splitlines(), source=str(path))
    if not records:
        raise TraceFileError(f"{path}: empty: no spans in it")
    return ordered(records)


def ordered(records: Sequence[SpanRecord]) -> list[SpanRecord]:
    """Spans as they started; a parent before its children at the same instant."""
    return sorted(records, key=lambda r: (r.start_ns, r.parent_id is not None, r.span_id))
