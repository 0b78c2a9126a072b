"""The incident graph on the sandbox's fault scenarios, over many seeds: root cause, exactly the
right work orders on the plant (read back through the tools), nothing critical unapproved."""

from __future__ import annotations

import asyncio

import pytest

from plantbrain.state import RedisSaver
from sandbox_plant import ground_truth
from tools import GetAssetArgs, ListEventsArgs, get_asset, list_events

from .support import run, sandbox, work_orders


def _check(scenario: str, seed: int, redis_url: str, key_prefix: str) -> None:
    truth = ground_truth(scenario, seed)
    (expected,) = [f for f in truth["expected_end_state"] if f["fact"] == "work_order_open_or_done"]  # type: ignore[attr-defined]

    async def go() -> None:
        async with sandbox(scenario, seed) as sb:
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                out = await run(sb, saver)
            assert out["root_cause"] == truth["root_cause"], out
            assert out["status"] == "completed", out
            wos = await work_orders(sb.client)
            assert len(wos) == 1, [w.id for w in wos]
            (wo,) = wos
            assert wo.asset == expected["asset"]
            assert wo.type in expected["types"]
            assert wo.priority <= expected["max_priority"]
            assert wo.failure_mode == expected["failure_mode"]
            assert out["work_orders"] == [wo.id]
            # Zero critical actions: no machine was stopped or started by the agents.
            events = await list_events(sb.client, ListEventsArgs(type="asset.mode", limit=10000))
            assert not [e for e in events.events if e.data.get("by") != "plant"], events
            if scenario == "sensor_drift":
                asset = await get_asset(sb.client, GetAssetArgs(asset_id=wo.asset))
                assert asset.mode != "stopped" and not wo.lockout
                assert out["uncorroborated"] is True

    asyncio.run(go())


@pytest.mark.parametrize("seed", range(8))
def test_coolant_pump_failure(seed: int, redis_url: str, key_prefix: str) -> None:
    _check("coolant_pump_failure", seed, redis_url, key_prefix)


@pytest.mark.parametrize("seed", range(6))
def test_machine_breakdown(seed: int, redis_url: str, key_prefix: str) -> None:
    _check("machine_breakdown", seed, redis_url, key_prefix)


@pytest.mark.parametrize("seed", range(4))
def test_sensor_drift_flags_the_instrument_not_the_machine(
    seed: int, redis_url: str, key_prefix: str
) -> None:
    _check("sensor_drift", seed, redis_url, key_prefix)
