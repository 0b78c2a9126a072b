"""The follow-up pass: killed mid-way and resumed without a duplicate, and replayable on a rebuilt plant.

A tool-wear run (seed 0) alarms at about 4.5 h; quality holds the drifting lots made so far and the
run follows up at 24 h, holding the lots made since. The worker dies right after the plant applied
the first hold of the follow-up pass (`:p2:` in its idempotency key); resumed from its checkpoint,
the pass skips the lot it finds already held (and still counts it), sends no key twice, and ends
with exactly the ground-truth lots held and one work order. A fresh sandbox rebuilt from the run's record (advanced to each pass's clock, writes
replayed with their keys: what `plantbrain approve` does) ends with the same lots held.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx

from graphs import PlantOrigin, continue_incident, read_state
from plantbrain._incident_cli import drive_incident, rebuild_sandbox, sandbox_client
from plantbrain.state import RedisSaver
from sandbox_plant import create_app, ground_truth
from tools import (
    ListLotsArgs,
    ListWorkOrdersArgs,
    PlantClient,
    PlantClientConfig,
    list_lots,
    list_work_orders,
)

from .support import KillAfter, Killed


async def _held(client: PlantClient) -> list[str]:
    return sorted(lot.id for lot in (await list_lots(client, ListLotsArgs(on_hold=True))).lots)


def test_follow_up_killed_mid_way_resumes_without_duplicates_and_replays(
    redis_url: str, key_prefix: str
) -> None:
    truth = ground_truth("tool_wear", 0)
    run_id = f"fu-{uuid.uuid4().hex[:8]}"

    async def go() -> None:
        app = create_app(seed=0, scenario="tool_wear")
        kill = KillAfter(
            httpx.ASGITransport(app=app), lambda r: ":p2:" in r.headers.get("Idempotency-Key", "")
        )
        with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
            async with PlantClient(PlantClientConfig(base_url="http://plant"), transport=kill) as client:
                try:
                    await drive_incident(client, saver, run_id=run_id, seed=0, scenario="tool_wear")
                except Killed:
                    pass
                else:
                    raise AssertionError("the follow-up pass made no write")
                out = await continue_incident(client, saver, run_id)
                state = await read_state(client, saver, run_id)
                held = await _held(client)
                wos = (await list_work_orders(client, ListWorkOrdersArgs())).work_orders
            assert out["status"] == "completed", out
            assert held == sorted(truth["affected_lots"])  # type: ignore[arg-type]
            assert out["held_lots"] and sorted(out["held_lots"]) == held  # type: ignore[arg-type]
            assert [(w.asset, w.failure_mode) for w in wos] == [("CNC-3", "tool_wear")]
            actions = list(state.get("actions", []))
            assert {a["pass_no"] for a in actions} == {1, 2}
            p2 = [k for k in kill.keys if ":p2:" in k]
            # The killed hold is not sent again (its lot is already on hold: the resumed pass sees
            # it), no key is sent twice, and the run's outcome still counts that lot as held.
            assert (
                len(p2)
                == len(set(p2))
                == len(
                    set(held)
                    - {a["args"]["lot_id"] for a in actions if a["pass_no"] == 1 and a["tool"] == "hold_lot"}
                )
            )
            origin = PlantOrigin.model_validate(state.get("origin"))
            async with sandbox_client(0, "tool_wear") as fresh:
                standing = state.get("findings", {}).get("held_lots_standing")
                assert isinstance(standing, list)
                await rebuild_sandbox(origin, actions, fresh, standing=standing)
                assert await _held(fresh) == held
                rebuilt = (await list_work_orders(fresh, ListWorkOrdersArgs())).work_orders
                assert [w.id for w in rebuilt] == [w.id for w in wos]

    asyncio.run(go())
