"""Span exporters: a JSONL file per run (the primary record), a Redis trace store, redaction.

    JsonlRunExporter(directory)        directory/<safe run id>.jsonl, one span per line
    RedisTraceExporter(url, prefix)    {prefix}:trace:{run_id} (list of lines),
                                       {prefix}:traces (run ids by end time),
                                       {prefix}:trace-meta:{run_id} (hash: kind, segment, input, ...)
    RedactingExporter(inner)           payload attributes replaced by "[redacted]" before `inner`

Spans are filed under their `plantbrain.run.id` attribute (every span of a run carries it, see
`tools._telemetry.RunIdProcessor`); a span without one belongs to no run and is dropped.

Nothing here raises into the traced program: a full disk or a Redis that is down is logged (once)
and the run goes on. The exporters run inside `SimpleSpanProcessor`, i.e. in the thread that ends
the span, often an event loop: Redis calls use short timeouts, and after a failure the Redis
exporter rests for `retry_after_s` instead of paying a timeout on every span.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import redis
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.util.types import Attributes
from redis.backoff import NoBackoff
from redis.retry import Retry

from plantbrain.traces._record import SpanRecord, from_span, to_line
from tools import _telemetry as tm

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
INPUT_LIMIT = 2048
"""Bytes of `plantbrain.run.input` kept in a run's Redis meta (the full input is on the span)."""
_MAX_NAME = 200


def trace_path(directory: Path, run_id: str) -> Path:
    """The JSONL file of a run: `directory/<name>.jsonl`, the run id made safe as a file name.

    The name is the run id percent-encoded as UTF-8, keeping only letters, digits and `-._~`
    (`incident:42` -> `incident%3A42`, `a/b` -> `a%2Fb`); a leading `.` becomes `%2E` so no name
    is hidden or special. A name longer than 200 characters is cut to 183 and suffixed with `-`
    and 16 hex digits of the id's SHA-256, so distinct ids keep distinct files.
    """
    if not run_id:
        raise ValueError("run id must not be empty.")
    name = quote(run_id, safe="")
    if name.startswith("."):
        name = "%2E" + name[1:]
    if len(name) > _MAX_NAME:
        name = f"{name[: _MAX_NAME - 17]}-{hashlib.sha256(run_id.encode()).hexdigest()[:16]}"
    return directory / f"{name}.jsonl"


def run_id_of(span: ReadableSpan) -> str | None:
    """The run a span belongs to, or None."""
    value = (span.attributes or {}).get(tm.RUN_ID)
    return str(value) if value not in (None, "") else None


def is_run_span(name: str) -> bool:
    """Is this the root span of a run segment (`run {kind}`)?"""
    return name.startswith(f"{tm.RUN} ")


class JsonlRunExporter(SpanExporter):
    """Appends each finished span, as a JSON line, to the file of its run (see `trace_path`).

    Each line goes out in one `write` on a file opened for appending, so spans of one run ended
    by two processes at once do not interleave within a line.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._warned = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        ok = True
        for span in spans:
            run_id = run_id_of(span)
            if run_id is None:
                continue
            data = (to_line(from_span(span)) + "\n").encode("utf-8")
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(
                    trace_path(self.directory, run_id), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644
                )
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
            except OSError as e:
                ok = False
                if not self._warned:
                    self._warned = True
                    log.warning(
                        "trace files: cannot write under %s (%s); spans are being lost", self.directory, e
                    )
        return SpanExportResult.SUCCESS if ok else SpanExportResult.FAILURE

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class RedisTraceExporter(SpanExporter):
    """Files each finished span in Redis, and indexes a run when one of its `run …` spans ends.

    A run may have several segments (a start, then one per approval): the meta hash describes the
    last one to end (kind, segment, input, outcome, status), `started` is the first segment's start
    and `spans` counts every span filed so far.
    """

    def __init__(
        self,
        url: str,
        prefix: str = "plantbrain",
        *,
        timeout_s: float = 0.5,
        retry_after_s: float = 30.0,
    ) -> None:
        self.prefix = prefix
        self.retry_after_s = retry_after_s
        # One attempt per command: redis-py's default retries (10, with backoff) would stall the
        # event loop ending the span for seconds when Redis hangs.
        self._client = redis.Redis.from_url(
            url,
            socket_connect_timeout=timeout_s,
            socket_timeout=timeout_s,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),
        )
        kw = self._client.get_connection_kwargs()
        self._where = str(kw.get("path") or f"{kw.get('host')}:{kw.get('port')}/{kw.get('db', 0)}")
        self._lock = threading.Lock()
        self._resting_until = 0.0
        self._warned = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            if time.monotonic() < self._resting_until:
                return SpanExportResult.FAILURE
            try:
                for span in spans:
                    self._file(span)
            except (redis.RedisError, OSError) as e:
                self._resting_until = time.monotonic() + self.retry_after_s
                if not self._warned:
                    self._warned = True
                    log.warning(
                        "trace store: Redis at %s failed (%s: %s); traces still go to the JSONL files, "
                        "Redis is retried every %.0f s",
                        self._where,
                        type(e).__name__,
                        e,
                        self.retry_after_s,
                    )
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def _file(self, span: ReadableSpan) -> None:
        run_id = run_id_of(span)
        if run_id is None:
            return
        record = from_span(span)
        count = int(self._client.rpush(f"{self.prefix}:trace:{run_id}", to_line(record)))
        if not is_run_span(record.name):
            return
        meta_key = f"{self.prefix}:trace-meta:{run_id}"
        pipe = self._client.pipeline(transaction=False)
        pipe.zadd(f"{self.prefix}:traces", {run_id: record.end_ns / 1e9})
        pipe.hsetnx(meta_key, "started", iso(record.start_ns))
        meta = run_meta(record, spans=count)
        for name, value in meta.items():
            pipe.hset(meta_key, name, value)
        if "outcome" not in meta:
            pipe.hdel(meta_key, "outcome")  # an earlier segment's outcome is not this one's
        pipe.execute()

    def shutdown(self) -> None:
        self._client.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def run_meta(record: SpanRecord, *, spans: int) -> dict[str, str]:
    """What a run's index says about it, from its last `run …` span (all values strings)."""
    meta = {
        "kind": record.attr(tm.RUN_KIND),
        "segment": record.attr(tm.RUN_SEGMENT),
        "input": truncate_utf8(record.attr(tm.RUN_INPUT), INPUT_LIMIT),
        "ended": iso(record.end_ns),
        "status": record.status,
        "spans": str(spans),
    }
    if tm.RUN_OUTCOME in record.attributes:
        meta["outcome"] = record.attr(tm.RUN_OUTCOME)
    return meta


def when(ns: int) -> datetime:
    """A span time (ns since the epoch) as an aware UTC datetime."""
    return datetime.fromtimestamp(ns / 1e9, tz=UTC)


def iso(ns: int) -> str:
    """A span time (ns since the epoch) as ISO 8601 UTC."""
    return when(ns).isoformat()


def truncate_utf8(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes (never mid-character), `…` marking a cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


# -- redaction ---------------------------------------------------------------------------------------
def redact_attributes(attributes: Mapping[str, object], keys: frozenset[str]) -> dict[str, object]:
    """`attributes` with the values of `keys` replaced by "[redacted]"."""
    return {k: (REDACTED if k in keys else v) for k, v in attributes.items()}


def redact_record(record: SpanRecord) -> SpanRecord:
    """A span record without payloads (`PAYLOAD_KEYS`, and `PAYLOAD_EVENT_KEYS` on its events)."""
    return SpanRecord.model_validate(
        record.model_dump()
        | {
            "attributes": redact_attributes(record.attributes, tm.PAYLOAD_KEYS),
            "events": [
                e.model_dump() | {"attributes": redact_attributes(e.attributes, tm.PAYLOAD_EVENT_KEYS)}
                for e in record.events
            ],
        }
    )


def redact_span(span: ReadableSpan) -> ReadableSpan:
    """A copy of an SDK span without payloads."""
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=_attrs(redact_attributes(span.attributes or {}, tm.PAYLOAD_KEYS)),
        events=[
            Event(e.name, _attrs(redact_attributes(e.attributes or {}, tm.PAYLOAD_EVENT_KEYS)), e.timestamp)
            for e in span.events
        ],
        links=span.links,
        kind=span.kind,
        status=span.status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def _attrs(values: dict[str, object]) -> Attributes:
    return values  # type: ignore[return-value]  # values came from span attributes, or are REDACTED


class RedactingExporter(SpanExporter):
    """Forwards spans to `inner` with payload attributes replaced by "[redacted]".

    What is dropped: `tools._telemetry.PAYLOAD_KEYS` on spans (tool arguments and results, what a
    decision observed, a run's input) and `PAYLOAD_EVENT_KEYS` on events (HTTP bodies).
    """

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([redact_span(s) for s in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)
