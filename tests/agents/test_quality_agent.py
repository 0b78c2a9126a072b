"""The quality specialist on the tool-wear scenario: the held lots are the documented affected lots."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import JsonValue

from agents._decision import Decision
from agents._quality_agent import quality_agent
from agents._specialist import findings_of
from sandbox_plant import Plant, create_app, ground_truth
from tools import PlantClient, PlantClientConfig, Risk, find_tool

SEEDS = (0, 1, 2, 3, 4, 5)
HORIZON_S = 86400.0
"""ground_truth reads the affected lots off a 24 h run with nobody intervening."""


@dataclass
class Situation:
    run_id: str = "run-q"
    trigger: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, JsonValue] = field(default_factory=dict)


@dataclass
class RecordingAct:
    """The graph's `act`, minus approval: runs the real tool with a stable idempotency key."""

    client: PlantClient
    run_id: str
    calls: list[tuple[str, Risk, dict[str, object]]] = field(default_factory=list)

    async def __call__(self, tool: str, args: Mapping[str, object]) -> object:
        spec = find_tool(tool)
        self.calls.append((tool, spec.risk, dict(args)))
        key = f"{self.run_id}:quality:{tool}:{args.get('lot_id')}"
        return await spec.invoke(self.client, dict(args), idempotency_key=key)


@dataclass
class Recorder(httpx.AsyncBaseTransport):
    """Passes requests on to the plant and keeps them, to check what the agent sent."""

    inner: httpx.AsyncBaseTransport
    seen: list[httpx.Request] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return await self.inner.handle_async_request(request)


@functools.cache
def _truth(seed: int) -> dict[str, Any]:
    return ground_truth("tool_wear", seed)


async def _run(
    seed: int, runs: int = 1
) -> tuple[list[Decision], RecordingAct, list[dict[str, Any]], list[httpx.Request]]:
    plant = Plant(seed=seed, scenario="tool_wear")
    plant.advance(HORIZON_S)
    transport = Recorder(httpx.ASGITransport(app=create_app(plant)))
    config = PlantClientConfig(base_url="http://plant", backoff_s=0.0)
    async with (
        PlantClient(config, transport=transport) as client,
        httpx.AsyncClient(transport=transport.inner, base_url="http://plant") as raw,
    ):
        act = RecordingAct(client, f"run-{seed}")
        decisions = [await quality_agent(client, act, Situation()) for _ in range(runs)]
        lots: list[dict[str, Any]] = (await raw.get("/lots")).json()
    return decisions, act, lots, transport.seen


@pytest.mark.parametrize("seed", SEEDS)
def test_holds_exactly_the_affected_lots(seed: int) -> None:
    truth = _truth(seed)
    (decision,), act, lots, _ = asyncio.run(_run(seed))
    held = sorted(lot["id"] for lot in lots if lot["on_hold"])
    assert held == truth["affected_lots"]
    assert sorted(findings_of(decision)["held_lots"]) == truth["affected_lots"]  # type: ignore[type-var]
    root = truth["root_cause"][0]
    assert findings_of(decision)["drift_machines"] == [root]
    healthy = {lot["id"] for lot in lots if lot["machines"] and root not in lot["machines"]}
    assert not healthy & set(held)
    (drift,) = findings_of(decision)["quality_drifts"]  # type: ignore[misc]
    assert isinstance(drift, dict)
    assert drift["machine"] == root and drift["persists"] is True
    assert isinstance(drift["onset_t"], float) and drift["onset_t"] >= truth["onset_t"]
    assert drift["rule"] in ("N1", "N5")
    assert all(tool == "hold_lot" and risk == "write" for tool, risk, _ in act.calls)
    assert {c.tool for c in decision.tool_calls} == {"hold_lot"}
    assert findings_of(decision)["capability"]


def test_no_release_while_the_drift_persists_and_no_second_hold() -> None:
    (first, second), act, lots, _ = asyncio.run(_run(SEEDS[0], runs=2))
    assert not any(tool == "release_lot" for tool, _, _ in act.calls)
    assert findings_of(second)["held_lots"] == [] and findings_of(second)["released_lots"] == []
    assert len(act.calls) == len(findings_of(first)["held_lots"])  # type: ignore[arg-type]
    assert all(lot["on_hold"] for lot in lots if lot["id"] in _truth(SEEDS[0])["affected_lots"])


def test_every_plant_write_goes_through_act() -> None:
    (decision,), act, _, seen = asyncio.run(_run(SEEDS[1]))
    posts = [r for r in seen if r.method == "POST"]
    assert len(posts) == len(act.calls) == len(decision.tool_calls)
    assert all(r.headers["Idempotency-Key"].startswith(f"{act.run_id}:quality:") for r in posts)
    assert [(c.tool, c.risk) for c in decision.tool_calls] == [(t, r) for t, r, _ in act.calls]
