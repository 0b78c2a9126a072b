"""Test support for the ops graph: a sandbox plant, a Redis saver, and a conversation on them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import JsonValue

from agents import RulesBrain
from graphs import Approval, answer, ask
from plantbrain._incidents_lib import CheckpointIncidents
from plantbrain.state import RedisSaver
from sandbox_plant import create_app
from tools import PlantClient, PlantClientConfig

SUPERVISOR = Approval(approved=True, by="li.wei", role="supervisor")


@dataclass
class Session:
    """One conversation on one sandbox plant, checkpointed in a real Redis."""

    client: PlantClient
    http: httpx.AsyncClient
    saver: RedisSaver
    thread: str
    brain: Any
    before: Any = None
    """The plant's state before the task (set by the test)."""

    async def ask(self, text: str) -> dict[str, JsonValue]:
        return await ask(
            self.client, self.saver, thread_id=self.thread, task=text, brain=self.brain, origin={},
            incidents=CheckpointIncidents(self.saver, self.client),
        )  # fmt: skip

    async def approve(self, approval: Approval = SUPERVISOR) -> dict[str, JsonValue]:
        return await answer(self.client, self.saver, self.thread, approval, brain=self.brain)

    async def get(self, path: str, **params: Any) -> Any:
        r = await self.http.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        r = await self.http.post(path, json=body)
        assert r.status_code < 300, r.text
        return r.json()

    async def state(self) -> Any:
        """The whole observable plant, minus what a read cannot change but the clock could."""
        return await self.get("/state")


@asynccontextmanager
async def session(
    redis_url: str,
    prefix: str,
    *,
    seed: int = 0,
    scenario: str | None = None,
    hours: float = 2.0,
    brain: Any = None,
) -> AsyncIterator[Session]:
    app = create_app(seed=seed, scenario=scenario)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://plant") as http,
        PlantClient(PlantClientConfig(base_url="http://plant"), transport=transport) as client,
    ):
        if hours:
            r = await http.post("/clock/advance", json={"seconds": hours * 3600})
            assert r.status_code == 200, r.text
        with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
            yield Session(client, http, saver, f"t-{uuid.uuid4().hex[:8]}", brain or RulesBrain())
