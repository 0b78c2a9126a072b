"""The shift review: when watching the sandbox finds no alarm or trip up to the horizon, the graph
starts on a `review` trigger, routes to quality (triage first only when alarms stand), and a review
that finds nothing ends `no_fault` with the review recorded. Checks read the plant through tools."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import httpx
import pytest
from pydantic import JsonValue

from graphs import REVIEW_TRIGGER, PlantOrigin, read_state, run_incident
from plantbrain._incident_cli import review_trigger, watch_for_fault
from plantbrain.state import RedisSaver
from sandbox_plant import create_app, ground_truth
from tools import (
    ListEventsArgs,
    ListLotsArgs,
    NoArgs,
    PlantClient,
    WorkOrder,
    get_clock,
    list_events,
    list_lots,
)

from .support import fast_config, work_orders


@dataclass
class Reviewed:
    outcome: dict[str, JsonValue]
    held: list[str]
    work_orders: list[WorkOrder]
    operator_mode_changes: int
    critical_executed: list[str]


def _review(scenario: str | None, seed: int, redis_url: str, key_prefix: str) -> Reviewed:
    async def go() -> Reviewed:
        transport = httpx.ASGITransport(app=create_app(seed=seed, scenario=scenario))
        async with PlantClient(fast_config(), transport=transport) as client:
            trigger = await watch_for_fault(client) or await review_trigger(client)
            assert trigger["type"] == REVIEW_TRIGGER, f"{scenario}/{seed} alarmed: {trigger}"
            clock = (await get_clock(client, NoArgs())).t
            origin = PlantOrigin(seed=seed, scenario=scenario, clock_t=clock).model_dump(mode="json")
            run_id = f"rev-{uuid.uuid4().hex[:8]}"
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                out = await run_incident(client, saver, run_id=run_id, trigger=trigger, origin=origin)
                actions = (await read_state(client, saver, run_id)).get("actions", [])
            lots = (await list_lots(client, ListLotsArgs())).lots
            modes = await list_events(client, ListEventsArgs(type="asset.mode", limit=10000))
            return Reviewed(
                outcome=out,
                held=sorted(lot.id for lot in lots if lot.on_hold),
                work_orders=await work_orders(client),
                operator_mode_changes=len([e for e in modes.events if e.data.get("by") != "plant"]),
                critical_executed=[
                    str(a["tool"]) for a in actions if a["risk"] == "critical" and a["status"] == "executed"
                ],
            )

    return asyncio.run(go())


def _no_critical(r: Reviewed) -> None:
    assert r.critical_executed == [], r.critical_executed
    assert r.operator_mode_changes == 0, "an agent stopped or started a machine"
    assert r.outcome["failure"] is None, r.outcome
    assert r.outcome["status"] in ("completed", "no_fault", "awaiting_approval"), r.outcome


# Seeds whose tool wear raises no standing alarm within 24 h (seeds 0, 1, 2, 7, 10, 13 alarm
# first and take the alarm path: test_incident_end_to_end covers those).
@pytest.mark.parametrize("seed", [3, 6, 9, 11])
def test_tool_wear_review_holds_exactly_the_affected_lots(seed: int, redis_url: str, key_prefix: str) -> None:
    truth = ground_truth("tool_wear", seed)
    r = _review("tool_wear", seed, redis_url, key_prefix)
    assert r.held == sorted(truth["affected_lots"]), r.outcome  # type: ignore[arg-type]
    assert r.outcome["held_lots"] == r.held
    assert r.outcome["status"] == "completed", r.outcome
    assert r.outcome["root_cause"] == truth["root_cause"]
    healthy = [w.id for w in r.work_orders if w.asset not in truth["root_cause"]]  # type: ignore[operator]
    assert not healthy, healthy
    assert r.outcome["pending_approvals"] == []
    _no_critical(r)
    visited = r.outcome["visited"]
    assert isinstance(visited, list) and visited.index("quality") < visited.index("maintenance")
    assert [(w.asset, w.failure_mode) for w in r.work_orders] == [(truth["root_cause"][0], "tool_wear")]  # type: ignore[index]


def test_review_of_a_healthy_plant_is_no_fault_and_recorded(redis_url: str, key_prefix: str) -> None:
    r = _review(None, 3, redis_url, key_prefix)
    assert r.outcome["status"] == "no_fault", r.outcome
    review = r.outcome["review"]
    assert isinstance(review, dict) and review["found"] is False and "quality" in review["specialists"]  # type: ignore[operator]
    assert r.held == [] and r.work_orders == []
    _no_critical(r)


# What must hold whatever a review finds: it finishes, and runs no critical action.
@pytest.mark.parametrize(("scenario", "seed"), [("sensor_fault", 11), ("tool_wear", 12)])
def test_review_without_a_drift_completes_cleanly(
    scenario: str, seed: int, redis_url: str, key_prefix: str
) -> None:
    r = _review(scenario, seed, redis_url, key_prefix)
    _no_critical(r)
    assert r.outcome["status"] in ("completed", "no_fault", "awaiting_approval"), r.outcome
