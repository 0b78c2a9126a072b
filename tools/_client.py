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
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from ._errors import PlantProtocolError, to_tool_error

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
    TCP transport in production, or a wrapper that injects faults.
    """

    def __init__(
        self,
        config: PlantClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
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
        return _parse(into, await self._send("GET", path, params=query, content=None, key=None), path)

    async def post(
        self, path: str, body: BaseModel, into: type[M], *, exclude: frozenset[str] = frozenset()
    ) -> M:
        """POST `body` (less the `exclude` fields, e.g. ids that go in the path) to `path` and parse
        the answer; retried only if it carries an idempotency key."""
        key = self._write_key("POST", path)
        content = body.model_dump_json(exclude=set(exclude)).encode()
        return _parse(into, await self._send("POST", path, params=None, content=content, key=key), path)

    def _write_key(self, method: str, path: str) -> str | None:
        if self._key is None:
            return uuid.uuid4().hex if self.config.auto_idempotency_keys else None
        scope = hashlib.sha256(f"{method} {path}".encode()).hexdigest()[:16]
        base = self._key
        if len(base) + len(scope) + 1 > _MAX_KEY_LEN:
            base = hashlib.sha256(base.encode()).hexdigest()
        return f"{base}:{scope}"

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        content: bytes | None,
        key: str | None,
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
                if last:
                    raise to_tool_error(e, what=what, attempts=n, retried=retryable) from e
            else:
                if r.status_code < 400:
                    return r.content
                if r.status_code not in _RETRY_STATUS or last:
                    raise to_tool_error(r, what=what, attempts=n, retried=retryable)
            await asyncio.sleep(min(cfg.backoff_s * 2 ** (n - 1), cfg.max_backoff_s))
        raise AssertionError("unreachable: the last attempt returns or raises")


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
