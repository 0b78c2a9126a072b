"""Where a run's spans go: one `TracerProvider` set up from `TraceSettings`.

    with tracing(TraceSettings(redis_url=url)) as provider:
        async with PlantClient(config, tracer_provider=provider) as client:
            ...

Processors, in order: `RunIdProcessor` (every span learns its run), the JSONL file of the run
(always: the primary record), the Redis trace store (if `redis_url`), and OTLP/HTTP to a
collector (if an endpoint is configured, batched in a background thread). A collector that is
down costs at most `otlp_timeout_s` per batch and is logged by the OTLP exporter; nothing is
raised into the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from plantbrain.state import state_dir
from plantbrain.traces._export import JsonlRunExporter, RedactingExporter, RedisTraceExporter
from tools._telemetry import RunIdProcessor

TRACES_PATH = "/v1/traces"


@dataclass(frozen=True, kw_only=True, slots=True)
class TraceSettings:
    """Where traces go. The JSONL files are always written; Redis and OTLP are optional."""

    directory: Path | None = None
    """Directory of the per-run JSONL files (default: `<state dir>/traces`, see `state_dir`)."""
    redis_url: str | None = None
    """Redis of the trace store that `plantbrain trace list/show` read (None: no Redis store)."""
    prefix: str = "plantbrain"
    """Key prefix of the Redis trace store: `{prefix}:trace:{run_id}`, `{prefix}:traces`, ..."""
    otlp_endpoint: str | None = None
    """Base URL of an OTLP/HTTP collector, e.g. `http://127.0.0.1:4318`; spans go to
    `<endpoint>/v1/traces`. None: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the full URL), else
    `OTEL_EXPORTER_OTLP_ENDPOINT` (a base URL), else no OTLP export."""
    redact_export: bool = False
    """Replace payloads (tool arguments and results, HTTP bodies, run inputs) by "[redacted]" in
    what goes to OTLP. The JSONL files and Redis keep them: replay needs them."""
    otlp_timeout_s: float = 5.0
    """Time limit of one OTLP export, retries included, seconds."""

    def __post_init__(self) -> None:
        if self.otlp_timeout_s <= 0:
            raise ValueError(f"otlp_timeout_s must be > 0, not {self.otlp_timeout_s}.")
        if not self.prefix:
            raise ValueError("prefix must not be empty; the default is 'plantbrain'.")

    def trace_directory(self) -> Path:
        """`directory`, or `<state dir>/traces`."""
        return self.directory if self.directory is not None else state_dir() / "traces"


def otlp_traces_url(settings: TraceSettings, env: Mapping[str, str] | None = None) -> str | None:
    """The URL spans are POSTed to, or None when no collector is configured."""
    env = os.environ if env is None else env
    if settings.otlp_endpoint:
        return _traces_url(settings.otlp_endpoint)
    if full := env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip():
        return full
    if base := env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        return _traces_url(base)
    return None


def _traces_url(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith(TRACES_PATH) else base + TRACES_PATH


def make_provider(settings: TraceSettings, env: Mapping[str, str] | None = None) -> TracerProvider:
    """A provider exporting as `settings` say; shut it down (or use `tracing`) to flush it."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: "plantbrain"}))
    provider.add_span_processor(RunIdProcessor())
    provider.add_span_processor(SimpleSpanProcessor(JsonlRunExporter(settings.trace_directory())))
    if settings.redis_url:
        provider.add_span_processor(
            SimpleSpanProcessor(RedisTraceExporter(settings.redis_url, settings.prefix))
        )
    url = otlp_traces_url(settings, env)
    if url is not None:
        otlp: SpanExporter = OTLPSpanExporter(endpoint=url, timeout=settings.otlp_timeout_s)
        if settings.redact_export:
            otlp = RedactingExporter(otlp)
        provider.add_span_processor(
            BatchSpanProcessor(otlp, export_timeout_millis=settings.otlp_timeout_s * 1000)
        )
    return provider


@contextmanager
def tracing(settings: TraceSettings, env: Mapping[str, str] | None = None) -> Iterator[TracerProvider]:
    """A provider for the duration of the block, flushed and shut down when it ends."""
    provider = make_provider(settings, env)
    try:
        yield provider
    finally:
        provider.shutdown()
