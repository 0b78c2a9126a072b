"""A lone alarm on a machine also sends the run to quality: a worn tool shows in the parts.

The lots held are the ground-truth affected lots measured so far (never a healthy machine's);
a drifting sensor (a false alarm, good parts) holds none.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from graphs import run_incident
from plantbrain.state import RedisSaver
from sandbox_plant import ground_truth
from tools import ListLotsArgs, list_lots

from .support import sandbox


def held_after_run(scenario: str, seed: int, redis_url: str, key_prefix: str) -> tuple[list[str], list[str]]:
    async def go() -> tuple[list[str], list[str]]:
        async with sandbox(scenario, seed) as sb, RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
            out = await run_incident(
                sb.client, saver, run_id=f"run-{uuid.uuid4().hex[:8]}", trigger=sb.trigger, origin=sb.origin
            )
            lots = (await list_lots(sb.client, ListLotsArgs())).lots
            visited = [str(v) for v in out.get("visited", [])]  # type: ignore[union-attr]
            return sorted(lot.id for lot in lots if lot.on_hold), visited

    return asyncio.run(go())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tool_wear_alarm_first_holds_only_affected_lots(seed: int, redis_url: str, key_prefix: str) -> None:
    held, visited = held_after_run("tool_wear", seed, redis_url, key_prefix)
    assert "quality" in visited
    truth = ground_truth("tool_wear", seed)["affected_lots"]
    assert held and set(held) <= set(truth), (held, truth)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [0, 2])
def test_sensor_drift_holds_no_lot(seed: int, redis_url: str, key_prefix: str) -> None:
    held, visited = held_after_run("sensor_drift", seed, redis_url, key_prefix)
    assert "quality" in visited
    assert held == []
