"""Test support for the incident graph: a sandbox run driven to its fault, plant-state readers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import JsonValue

from agents._maintenance_agent import maintenance_agent
from agents._triage_agent import triage_agent
from graphs import PlantOrigin, Specialist, run_incident
from plantbrain._incident_cli import watch_for_fault
from plantbrain.state import RedisSaver
from sandbox_plant import create_app
from tools import (
    ListWorkOrdersArgs,
    NoArgs,
    PlantClient,
    PlantClientConfig,
    WorkOrder,
    get_clock,
    list_work_orders,
)

CORE: dict[str, Specialist] = {"alarm_triage": triage_agent, "maintenance": maintenance_agent}
"""The specialists of this slice; scheduling and quality are tested by their own suites."""


@dataclass
class Sandbox:
    client: PlantClient
    app: Any
    origin: dict[str, JsonValue]
    trigger: dict[str, JsonValue]


def fast_config(**kw: Any) -> PlantClientConfig:
    return PlantClientConfig(base_url="http://plant", backoff_s=0.01, max_backoff_s=0.02, **kw)


@asynccontextmanager
async def sandbox(
    scenario: str, seed: int, *, wrap: Any = None, config: PlantClientConfig | None = None
) -> AsyncIterator[Sandbox]:
    """A sandbox plant advanced until its fault shows; `wrap(transport)` may inject faults."""
    app = create_app(seed=seed, scenario=scenario)
    inner = httpx.ASGITransport(app=app)
    async with PlantClient(fast_config(), transport=inner) as driver:
        trigger = await watch_for_fault(driver)
        assert trigger is not None, f"{scenario}/{seed}: the fault never showed"
        clock = (await get_clock(driver, NoArgs())).t
    transport = wrap(inner) if wrap else inner
    async with PlantClient(config or fast_config(), transport=transport) as client:
        origin = PlantOrigin(seed=seed, scenario=scenario, clock_t=clock).model_dump(mode="json")
        yield Sandbox(client=client, app=app, origin=origin, trigger=trigger)


async def run(sb: Sandbox, saver: RedisSaver, run_id: str | None = None) -> dict[str, JsonValue]:
    return await run_incident(
        sb.client,
        saver,
        run_id=run_id or f"run-{uuid.uuid4().hex[:8]}",
        trigger=sb.trigger,
        origin=sb.origin,
        specialists=CORE,
    )


async def work_orders(client: PlantClient) -> list[WorkOrder]:
    return (await list_work_orders(client, ListWorkOrdersArgs())).work_orders


class Killed(Exception):
    """Stands for the worker process dying."""


@dataclass
class KillAfter(httpx.AsyncBaseTransport):
    """Passes requests on; raises `Killed` once, right after the plant applied the first POST that
    `fatal` picks. Records the idempotency key of every POST that carries one."""

    inner: httpx.AsyncBaseTransport
    fatal: Callable[[httpx.Request], bool]
    armed: bool = True
    keys: list[str] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        r = await self.inner.handle_async_request(request)
        if request.method != "POST":
            return r
        if key := request.headers.get("Idempotency-Key", ""):
            self.keys.append(key)
        if self.armed and self.fatal(request):
            self.armed = False
            await r.aread()
            raise Killed("worker killed after the plant applied the write")
        return r
