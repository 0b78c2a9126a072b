"""A lone alarm on a wearing machine is corroborated by the asset's own trends (PdM order), while a
drifting sensor that moves alone still gets only the instrument inspection."""

from __future__ import annotations

import asyncio

import pytest

from plantbrain.state import RedisSaver
from sandbox_plant import ground_truth

from .support import run, sandbox, work_orders

# Seeds 0 and 2-8 never raise an alarm within the watch horizon (the run ends `no_fault`); a
# review trigger for that is being added elsewhere, so they are left out here.
# Seeds 9-11 alarm, but their running trends do not yet corroborate the wear at 4 sigma (too few
# warm running samples, or current/temperature below the threshold): known gaps, strict xfail.
_GAP = pytest.mark.xfail(strict=True, reason="wear not yet corroborated from running trends")
BEARING = [1, pytest.param(9, marks=_GAP), pytest.param(10, marks=_GAP), pytest.param(11, marks=_GAP)]


def _check(scenario: str, seed: int, redis_url: str, key_prefix: str) -> None:
    truth = ground_truth(scenario, seed)
    (expected,) = [f for f in truth["expected_end_state"] if f["fact"] == "work_order_open_or_done"]  # type: ignore[attr-defined]

    async def go() -> None:
        async with sandbox(scenario, seed) as sb:
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                out = await run(sb, saver)
            assert out["status"] == "completed", out
            assert out["root_cause"] == truth["root_cause"], out
            wos = await work_orders(sb.client)
            assert len(wos) == 1, [(w.id, w.type, w.failure_mode) for w in wos]
            (wo,) = wos
            assert wo.asset == expected["asset"]
            assert wo.failure_mode == expected["failure_mode"], wo
            assert wo.type in expected["types"]
            assert wo.priority <= expected["max_priority"]
            assert out["pending_approvals"] == [], out

    asyncio.run(go())


@pytest.mark.parametrize("seed", BEARING)
def test_bearing_wear_is_corroborated_not_an_instrument_fault(
    seed: int, redis_url: str, key_prefix: str
) -> None:
    assert ground_truth("bearing_wear", seed)["failure_mode"] in ("spindle_bearing_wear", "main_bearing_wear")
    _check("bearing_wear", seed, redis_url, key_prefix)


@pytest.mark.parametrize("seed", [0, 2, 5, 6, 9])
def test_sensor_drift_still_inspects_the_instrument(seed: int, redis_url: str, key_prefix: str) -> None:
    _check("sensor_drift", seed, redis_url, key_prefix)
