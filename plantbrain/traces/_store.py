"""Reading traces back: the runs there are, and the spans of one, from Redis or the JSONL files.

    store = TraceStore(redis_url=url)          # or TraceStore(redis_url=None): the files only
    for run in store.list_runs(limit=10): ...
    records = store.load("incident-7")         # a run id, or a path to a .jsonl file

Exceptions:

    LookupError
      TraceNotFoundError        no run of that id in Redis nor in the directory, and no such file
    ValueError
      TraceFileError            (from `_record`) a file or stored line that is not span records
    ConnectionError
      RedisUnavailableError     (from `plantbrain.state`) Redis did not answer; raised `from`
                                the redis-py error in `_redis_errors` only
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import redis
from pydantic import BaseModel, ConfigDict
from redis.backoff import NoBackoff
from redis.retry import Retry

from plantbrain.state import RedisUnavailableError, state_dir
from plantbrain.traces._export import INPUT_LIMIT, is_run_span, trace_path, truncate_utf8, when
from plantbrain.traces._record import SpanRecord, TraceFileError, ordered, parse_lines, read_trace_file
from tools import _telemetry as tm


class TraceNotFoundError(LookupError):
    """No trace for a run id or path; the message says where it looked and what to do."""


class RunSummary(BaseModel):
    """One traced run, as `plantbrain trace list` shows it (its last segment's view)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    kind: str = ""
    segment: str = ""
    """The last segment that ended: incident.drive, incident.answer, ask.turn, ..."""
    input: str = ""
    """The last segment's input (JSON), cut to 2 KB."""
    outcome: str | None = None
    started: datetime | None = None
    """Start of the first segment."""
    ended: datetime | None = None
    """End of the last segment."""
    status: str = ""
    """UNSET / OK / ERROR from the last `run` span; `incomplete` if no `run` span has ended;
    `unreadable` for a file that is not span records."""
    spans: int = 0


class TraceStore:
    """Traces in Redis (when `redis_url` is given) and in the JSONL directory (always)."""

    def __init__(
        self, *, redis_url: str | None, prefix: str = "plantbrain", directory: Path | None = None
    ) -> None:
        self.prefix = prefix
        self.directory = directory if directory is not None else state_dir() / "traces"
        self._client = (
            redis.Redis.from_url(
                redis_url,
                socket_connect_timeout=2.0,
                socket_timeout=5.0,
                decode_responses=True,
                retry=Retry(NoBackoff(), 1),
            )
            if redis_url
            else None
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> TraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- listing ---------------------------------------------------------------------------------------
    def list_runs(self, limit: int = 20) -> list[RunSummary]:
        """The latest runs, newest first: Redis's index if there is a Redis, else the files."""
        if limit < 1:
            return []
        if self._client is None:
            return self._list_files(limit)
        with self._redis_errors():
            ids = [str(i) for i in self._client.zrevrange(f"{self.prefix}:traces", 0, limit - 1)]
            pipe = self._client.pipeline(transaction=False)
            for run_id in ids:
                pipe.hgetall(f"{self.prefix}:trace-meta:{run_id}")
            metas: list[dict[str, str]] = pipe.execute()
        return [
            RunSummary.model_validate({**meta, "run_id": run_id})
            for run_id, meta in zip(ids, metas, strict=True)
        ]

    def _list_files(self, limit: int) -> list[RunSummary]:
        if not self.directory.is_dir():
            return []
        files = sorted(self.directory.glob("*.jsonl"), key=lambda p: p.stat().st_mtime, reverse=True)
        runs = [summarize_file(p) for p in files[:limit]]
        return sorted(runs, key=lambda r: r.ended.timestamp() if r.ended else 0.0, reverse=True)

    # -- loading ---------------------------------------------------------------------------------------
    def load(self, ref: str) -> list[SpanRecord]:
        """The spans of a run (by id: Redis first, then its file) or of a file, in start order.

        `ref` is a file when it ends in `.jsonl` or names an existing file."""
        path = Path(ref)
        if ref.endswith(".jsonl") or path.is_file():
            if not path.is_file():
                raise TraceNotFoundError(
                    f"no trace file {ref}; list the traced runs with `plantbrain trace list`"
                )
            return read_trace_file(path)
        if self._client is not None:
            key = f"{self.prefix}:trace:{ref}"
            with self._redis_errors():
                lines = [str(line) for line in self._client.lrange(key, 0, -1)]
            if lines:
                return ordered(parse_lines(lines, source=f"redis {key}"))
        file = trace_path(self.directory, ref)
        if file.is_file():
            return read_trace_file(file)
        where = (
            f"Redis (prefix {self.prefix!r}) nor in {self.directory}" if self._client else f"{self.directory}"
        )
        raise TraceNotFoundError(
            f"no trace of run {ref!r} in {where}; list the traced runs with `plantbrain trace list`"
            + (" (and check --prefix)" if self._client else "")
        )

    @contextmanager
    def _redis_errors(self) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as e:
            assert self._client is not None
            kw = self._client.get_connection_kwargs()
            where = kw.get("path") or f"{kw.get('host')}:{kw.get('port')}"
            raise RedisUnavailableError(
                f"Redis at {where} did not answer ({e}); check REDIS_URL, or read a trace file directly: "
                "plantbrain trace show FILE.jsonl"
            ) from e


def summarize_file(path: Path) -> RunSummary:
    """A run's summary from its JSONL file (the same fields Redis keeps)."""
    try:
        records = read_trace_file(path)
    except TraceFileError:
        return RunSummary(run_id=path.stem, status="unreadable")
    run_id = next((r.attr(tm.RUN_ID) for r in records if r.attr(tm.RUN_ID)), path.stem)
    roots = sorted((r for r in records if is_run_span(r.name)), key=lambda r: r.end_ns)
    if not roots:
        return RunSummary(
            run_id=run_id,
            started=when(min(r.start_ns for r in records)),
            ended=when(max(r.end_ns for r in records)),
            status="incomplete",
            spans=len(records),
        )
    last = roots[-1]
    return RunSummary(
        run_id=run_id,
        kind=last.attr(tm.RUN_KIND),
        segment=last.attr(tm.RUN_SEGMENT),
        input=truncate_utf8(last.attr(tm.RUN_INPUT), INPUT_LIMIT),
        outcome=last.attr(tm.RUN_OUTCOME) if tm.RUN_OUTCOME in last.attributes else None,
        started=when(min(r.start_ns for r in roots)),
        ended=when(last.end_ns),
        status=last.status,
        spans=len(records),
    )
