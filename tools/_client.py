"""`PlantClient`: the async HTTP client every tool uses to reach the plant.

Retries: a GET, and a write that carries an `Idempotency-Key`, is retried on timeouts, transport
errors and 5xx answers, with exponential backoff. A write without a key is never retried: the
plant may have applied it and only the answer was lost. By default the client gives every write
a fresh key (one per logical write, reused by its retries); `with_idempotency_key(key)` lets a
caller supply a stable key instead, so a graph step resumed after a crash re-sends the same key
and the plant replays its first answer rather than acting twice.

Every failure becomes a `ToolError` through `to_tool_error` (see `_errors`).
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

import httpx
from opentelemetry import trace
from opentelemetry.trace import Span, StatusCode
from pydantic import BaseModel, ValidationError

from . import _telemetry as tm
from ._errors import PlantProtocolError, ToolError, to_tool_error
from ._routes import risk_of, tool_for

M = TypeVar("M", bound=BaseModel)
Param = str | int | float | bool | None

_RETRY_STATUS = frozenset({500, 502, 503, 504})
_MAX_KEY_LEN = 200
"""The plant's limit on the Idempotency-Key header."""


@dataclass(frozen=True, kw_only=True, slots=True)
class PlantClientConfig:
    """How to reach the plant API and how hard to try."""

    base_url: str
    """Root of the plant API, e.g. `http://plant` in-process or `http://127.0.0.1:8080`."""
    timeout_s: float = 5.0
    """Time limit of one attempt (connect + send + answer), seconds."""
    retries: int = 3
    """Extra attempts after the first, for retryable calls only (GET, keyed writes)."""
    backoff_s: float = 0.2
    """Wait before the first retry, seconds; doubles on each further retry."""
    max_backoff_s: float = 5.0
    """Upper bound of one wait between retries, seconds."""
    auto_idempotency_keys: bool = True
    """Give every write without a caller key a fresh key, so it can be retried safely. When
    False, only writes made through `with_idempotency_key` carry a key, and the others are
    sent exactly once."""

    def __post_init__(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, not {self.timeout_s}.")
        if self.retries < 0:
            raise ValueError(f"retries must be >= 0, not {self.retries}.")
        if self.backoff_s < 0 or self.max_backoff_s < 0:
            raise ValueError("backoff_s and max_backoff_s must be >= 0.")


class PlantClient:
    """Async client of the plant API. Use as `async with PlantClient(config) as client:`.

    `transport` is any httpx transport: `httpx.ASGITransport(app=...)` in tests, the default
    TCP transport in production, or a wrapper that injects faults. `tracer_provider`: where the
    `execute_tool` spans go (default: the global provider, a no-op until one is configured); the
    graphs take their tracer from the client too (`client.tracer`), so one provider traces a run.
    """

    def __init__(
        self,
        config: PlantClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        self.config = config
        self.tracer = tm.tracer_of(tracer_provider)
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            transport=transport,
            timeout=httpx.Timeout(config.timeout_s),
            headers={"Accept": "application/json"},
        )
        self._key: str | None = None

    # -- lifecycle -----------------------------------------------------------------------------------
    async def __aenter__(self) -> PlantClient:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (shared with every `with_idempotency_key` view)."""
        await self._http.aclose()

    def with_idempotency_key(self, key: str) -> PlantClient:
        """A view of this client whose writes carry keys derived from `key`.

        The key sent for a write is `key` scoped by method and path, so one step key can cover
        writes to different objects (acknowledging two alarms) without them colliding, while the
        same write re-sent under the same key is applied once. Shares the connection pool.
        """
        if not key:
            raise ValueError("idempotency key must not be empty.")
        view = copy.copy(self)
        view._key = key
        return view

    # -- calls ---------------------------------------------------------------------------------------
    async def get(self, path: str, into: type[M], *, params: Mapping[str, Param] | None = None) -> M:
        """GET `path` and parse the answer into `into`; retried on transient failures."""
        query = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        return _parse(into, await self._traced("GET", path, params=query, content=None, key=None), path)

    async def post(
        self, path: str, body: BaseModel, into: type[M], *, exclude: frozenset[str] = frozenset()
    ) -> M:
        """POST `body` (less the `exclude` fields, e.g. ids that go in the path) to `path` and parse
        the answer; retried only if it carries an idempotency key."""
        key = self._write_key("POST", path)
        content = body.model_dump_json(exclude=set(exclude)).encode()
        return _parse(into, await self._traced("POST", path, params=None, content=content, key=key), path)

    def _write_key(self, method: str, path: str) -> str | None:
        if self._key is None:
            return uuid.uuid4().hex if self.config.auto_idempotency_keys else None
        scope = hashlib.sha256(f"{method} {path}".encode()).hexdigest()[:16]
        base = self._key
        if len(base) + len(scope) + 1 > _MAX_KEY_LEN:
            base = hashlib.sha256(base.encode()).hexdigest()
        return f"{base}:{scope}"

    async def _traced(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        key: str | None,
    ) -> bytes:
        """`_send` inside an `execute_tool` span holding the call and the plant's answer."""
        tool = tool_for(method, path)
        with self.tracer.start_as_current_span(
            f"{tm.EXECUTE_TOOL} {tool}", record_exception=False, set_status_on_exception=False
        ) as span:
            if span.is_recording():
                args = dict(params or {}) if content is None else json.loads(content)
                span.set_attributes(
                    {
                        tm.OPERATION: tm.EXECUTE_TOOL,
                        tm.TOOL_NAME: tool,
                        tm.RISK: risk_of(tool),
                        tm.HTTP_METHOD: method,
                        tm.URL_PATH: path,
                        tm.TOOL_ARGS: tm.dumps(args),
                    }
                )
                if key is not None:
                    span.set_attributes(
                        {
                            tm.IDEMPOTENCY_KEY: key,
                            tm.TOOL_CALL_ID: key,
                            tm.KEY_SOURCE: "caller" if self._key is not None else "auto",
                        }
                    )
            try:
                body = await self._send(method, path, params=params, content=content, key=key, span=span)
            except ToolError as e:
                span.set_status(StatusCode.ERROR, e.message)
                span.set_attribute(tm.ERROR_TYPE, e.kind)
                raise
            if span.is_recording():
                span.set_attribute(tm.TOOL_RESULT, body.decode("utf-8", "replace"))
            return body

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        key: str | None,
        span: Span | None = None,
    ) -> bytes:
        cfg = self.config
        retryable = method == "GET" or key is not None
        attempts = 1 + cfg.retries if retryable else 1
        headers = {"Idempotency-Key": key} if key is not None else {}
        if content is not None:
            headers["Content-Type"] = "application/json"
        what = f"{method} {path}"
        for n in range(1, attempts + 1):
            last = n == attempts
            try:
                # asyncio.timeout bounds the whole attempt even on transports that ignore
                # httpx's timeouts (ASGI in-process), so a stuck plant never hangs a run.
                async with asyncio.timeout(cfg.timeout_s):
                    r = await self._http.request(
                        method, path, params=params, content=content, headers=headers
                    )
            except (httpx.TimeoutException, httpx.TransportError, TimeoutError) as e:
                _attempt(span, method, path, params, content, key, error=type(e).__name__)
                if last:
                    raise to_tool_error(e, what=what, attempts=n, retried=retryable) from e
            else:
                _attempt(span, method, path, params, content, key, response=r)
                if r.status_code < 400:
                    return r.content
                if r.status_code not in _RETRY_STATUS or last:
                    raise to_tool_error(r, what=what, attempts=n, retried=retryable)
            await asyncio.sleep(min(cfg.backoff_s * 2 ** (n - 1), cfg.max_backoff_s))
        raise AssertionError("unreachable: the last attempt returns or raises")


def _attempt(
    span: Span | None,
    method: str,
    path: str,
    params: Mapping[str, str] | None,
    content: bytes | None,
    key: str | None,
    *,
    response: httpx.Response | None = None,
    error: str | None = None,
) -> None:
    """One HTTP attempt as a `plant.http` span event: what replay serves back."""
    if span is None or not span.is_recording():
        return
    attrs: dict[str, str | int] = {
        "method": method,
        "path": path,
        "query": tm.dumps(dict(params or {})),
        "request.body": (content or b"").decode("utf-8", "replace"),
    }
    if key is not None:
        attrs["idempotency_key"] = key
    if response is not None:
        attrs["status"] = response.status_code
        attrs["response.body"] = response.content.decode("utf-8", "replace")
    if error is not None:
        attrs["error"] = error
    span.add_event(tm.PLANT_HTTP, attrs)


def _param(v: str | int | float | bool) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _parse(into: type[M], content: bytes, path: str) -> M:
    try:
        return into.model_validate_json(content)
    except ValidationError as e:
        raise PlantProtocolError(
            f"The plant's answer to {path} does not match {into.__name__}: {e}. "
            "The plant API and the tools disagree on its shape; update one of them."
        ) from e
