"""Test support for the tools: fresh in-process plants, a fault-injecting transport, a runner.

A plant is built once per (seed, scenario, advance) and deep-copied per test (15 ms instead of
0.5 s), so every test acts on its own plant. `Faults` wraps any httpx transport and follows a
script: for the first requests that match, it times out or answers 503, before or after passing
the request on to the plant ("after" = the plant applied it and the answer was lost).
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from sandbox_plant import Plant, create_app
from tools import PlantClient, PlantClientConfig

Fault = Literal["timeout", "503", "timeout_after", "503_after"]


@functools.cache
def _template(seed: int, scenario: str | None, advance_s: float) -> Plant:
    p = Plant(seed=seed, scenario=scenario)
    p.advance(advance_s)
    return p


def fresh_app(*, seed: int = 0, scenario: str | None = None, advance_s: float = 3600.0) -> Any:
    """A plant API around a private copy of a cached plant (07:00, shift A, for the defaults)."""
    return create_app(copy.deepcopy(_template(seed, scenario, advance_s)))


@dataclass
class Faults(httpx.AsyncBaseTransport):
    """Wraps `inner`; the first requests matching `method` get the scripted faults in order."""

    inner: httpx.AsyncBaseTransport
    script: list[Fault] = field(default_factory=list)
    method: str | None = None
    """Only requests with this method get faults (None: all)."""
    seen: list[httpx.Request] = field(default_factory=list)
    """Every request that reached this transport, faulted or not."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if not self.script or (self.method is not None and request.method != self.method):
            return await self.inner.handle_async_request(request)
        fault = self.script.pop(0)
        if fault.endswith("_after"):
            r = await self.inner.handle_async_request(request)
            await r.aread()
        if fault.startswith("timeout"):
            raise httpx.ReadTimeout("injected timeout", request=request)
        return httpx.Response(503, json={"detail": "injected outage", "code": "unavailable"}, request=request)

    def calls(self, method: str, path_prefix: str = "/") -> int:
        return sum(1 for r in self.seen if r.method == method and r.url.path.startswith(path_prefix))


@dataclass
class Env:
    """One test's plant: the client under test, its fault transport, and a raw client to check state."""

    client: PlantClient
    faults: Faults
    raw: httpx.AsyncClient

    async def state(self) -> dict[str, Any]:
        r = await self.raw.get("/state")
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def get(self, path: str, **params: Any) -> Any:
        r = await self.raw.get(path, params=params or None)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.json()


def run_plant(
    body: Callable[[Env], Awaitable[None]],
    *,
    seed: int = 0,
    scenario: str | None = None,
    advance_s: float = 3600.0,
    config: PlantClientConfig | None = None,
) -> None:
    """Run `body` against a fresh in-process plant; the client has no backoff unless `config` says."""
    cfg = config or PlantClientConfig(base_url="http://plant", backoff_s=0.0)

    async def main() -> None:
        app = fresh_app(seed=seed, scenario=scenario, advance_s=advance_s)
        asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        faults = Faults(asgi)
        async with (
            PlantClient(cfg, transport=faults) as client,
            httpx.AsyncClient(transport=asgi, base_url="http://plant") as raw,
        ):
            await body(Env(client, faults, raw))

    asyncio.run(main())
