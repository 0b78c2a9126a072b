"""A run's traces: where its spans go, how they are read back and shown.

    from plantbrain.traces import TraceSettings, tracing, TraceStore, render_tree

    with tracing(TraceSettings(redis_url=url)) as provider:
        ...                                         # PlantClient(config, tracer_provider=provider)
    with TraceStore(redis_url=url) as store:
        print(render_tree(store.load(run_id)))

Every span goes to `<state dir>/traces/<run id>.jsonl` (the primary record, see `trace_path`),
to Redis if a URL is given, and to an OTLP/HTTP collector if one is configured (redacted on
request). Span names and attribute keys live in `tools._telemetry`; the line format in `_record`.

Exceptions: `TraceFileError` (a ValueError) for a file or stored line that is not span records,
naming the file and line; `TraceNotFoundError` (a LookupError) for an unknown run or file.
"""

from plantbrain.traces._export import (
    JsonlRunExporter,
    RedactingExporter,
    RedisTraceExporter,
    redact_record,
    trace_path,
)
from plantbrain.traces._record import (
    EventRecord,
    SpanRecord,
    TraceFileError,
    from_span,
    ordered,
    parse_lines,
    read_trace_file,
    to_line,
)
from plantbrain.traces._setup import TraceSettings, make_provider, otlp_traces_url, tracing
from plantbrain.traces._store import RunSummary, TraceNotFoundError, TraceStore
from plantbrain.traces._view import render_tree, tree_json

__all__ = [
    "EventRecord",
    "JsonlRunExporter",
    "RedactingExporter",
    "RedisTraceExporter",
    "RunSummary",
    "SpanRecord",
    "TraceFileError",
    "TraceNotFoundError",
    "TraceSettings",
    "TraceStore",
    "from_span",
    "make_provider",
    "ordered",
    "otlp_traces_url",
    "parse_lines",
    "read_trace_file",
    "redact_record",
    "render_tree",
    "to_line",
    "trace_path",
    "tracing",
    "tree_json",
]
