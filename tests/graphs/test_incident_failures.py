"""Plant API failures during a run: a clean retry, or a recorded failed state; never a duplicate."""

from __future__ import annotations

import asyncio

import httpx

from graphs import continue_incident
from plantbrain.state import RedisSaver
from tests.tools.support import Faults

from .support import CORE, run, sandbox, work_orders


def test_503s_on_writes_are_retried_cleanly(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        faults: list[Faults] = []

        def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
            faults.append(Faults(inner, script=["503", "503_after", "timeout_after"], method="POST"))
            return faults[0]

        async with sandbox("machine_breakdown", 1, wrap=wrap) as sb:
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                out = await run(sb, saver)
            assert out["status"] == "completed", out
            assert not faults[0].script
            assert len(await work_orders(sb.client)) == 1

    asyncio.run(go())


def test_a_plant_outage_ends_in_a_recorded_failed_state_then_resumes(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        faults: list[Faults] = []

        def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
            # Every attempt of the work-order write is applied by the plant but its answer lost.
            faults.append(Faults(inner, script=["timeout_after"] * 4, method="POST"))
            return faults[0]

        async with sandbox("machine_breakdown", 3, wrap=wrap) as sb:
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                out = await asyncio.wait_for(run(sb, saver, run_id="outage-1"), timeout=30)
                assert out["status"] == "failed", out
                failure = out["failure"]
                assert isinstance(failure, dict) and failure["kind"] == "timeout"
                assert failure["agent"] == "maintenance"
                assert len(await work_orders(sb.client)) == 1  # the same key: applied once
                # The plant is back: continuing the run neither duplicates nor loses the work order.
                out = await continue_incident(sb.client, saver, "outage-1", specialists=CORE)
            assert len(await work_orders(sb.client)) == 1

    asyncio.run(go())
