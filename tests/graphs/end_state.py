"""The documented end state of a scenario, checked against the plant (test support).

Each scenario's YAML lists `expected_end_state` facts; `ground_truth(scenario, seed)` fills in the
seed's asset, failure mode and lots. `check` reads the plant through its HTTP API and returns the
facts that do not hold, each with what was found instead (empty list: the end state holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tools import (
    Clock,
    GetAssetArgs,
    ListAlarmsArgs,
    ListJobsArgs,
    ListLotsArgs,
    ListWorkOrdersArgs,
    NoArgs,
    PlantClient,
    get_asset,
    get_schedule,
    list_alarms,
    list_jobs,
    list_lots,
    list_work_orders,
)


async def check(client: PlantClient, truth: Mapping[str, Any]) -> list[str]:
    """The expected facts of `truth` that the plant's state contradicts, explained."""
    clock = await client.get("/clock", Clock)
    epoch = datetime.fromisoformat(clock.time).timestamp() - clock.t
    wos = (await list_work_orders(client, ListWorkOrdersArgs())).work_orders
    live = [w for w in wos if w.status != "CAN"]
    bad: list[str] = []
    expected_wos = [f for f in truth["expected_end_state"] if f["fact"] == "work_order_open_or_done"]
    if len(live) != len(expected_wos):
        bad.append(
            f"{len(live)} work orders, expected {len(expected_wos)}: {[(w.asset, w.failure_mode) for w in live]}"
        )
    for fact in truth["expected_end_state"]:
        kind = fact["fact"]
        if kind == "work_order_open_or_done":
            ok = [
                w
                for w in live
                if w.asset == fact["asset"]
                and w.type in fact["types"]
                and w.priority <= fact["max_priority"]
                and w.failure_mode == fact["failure_mode"]
            ]
            if not ok:
                bad.append(f"{fact}: found {[(w.asset, w.type, w.priority, w.failure_mode) for w in live]}")
        elif kind == "lots_on_hold":
            held = sorted(lot.id for lot in (await list_lots(client, ListLotsArgs())).lots if lot.on_hold)
            if held != sorted(fact["lots"]):
                bad.append(f"lots on hold {held}, expected {sorted(fact['lots'])}")
        elif kind == "alarms_acknowledged":
            alarms = (await list_alarms(client, ListAlarmsArgs(state="any"))).alarms
            open_ = sorted(
                a.id for a in alarms if a.asset in fact["assets"] and a.state in ("UNACK", "RTNUN")
            )
            if open_:
                bad.append(f"unacknowledged alarms on affected assets: {open_}")
        elif kind in ("asset_not_down", "asset_not_stopped"):
            asset = await get_asset(client, GetAssetArgs(asset_id=fact["asset"]))
            banned = ("down",) if kind == "asset_not_down" else ("down", "stopped")
            if asset.mode in banned:
                bad.append(f"{fact['asset']} is {asset.mode}")
        elif kind == "schedule_republished":
            if (await get_schedule(client, NoArgs())).version < 2:
                bad.append("the schedule was never republished")
        elif kind == "no_pending_op_on_asset_before_repair":
            mine = [w for w in live if w.asset == fact["asset"]]
            sched = await get_schedule(client, NoArgs())
            for w in mine:
                repair_t = datetime.fromisoformat(w.created_time).timestamp() - epoch + w.estimated_h * 3600
                early = [
                    f"{o.job}/{o.op}@{o.planned_start_t}"
                    for o in sched.machines.get(fact["asset"], [])
                    if o.status == "pending"
                    and o.planned_start_t is not None
                    and o.planned_start_t < repair_t - 60
                ]
                if early:
                    bad.append(f"ops on {fact['asset']} before its repair (t={repair_t:.0f}): {early}")
        elif kind == "no_job_waiting_on_material_at_head_of_queue":
            sched = await get_schedule(client, NoArgs())
            waiting = {j.id for j in (await list_jobs(client, ListJobsArgs())).jobs if j.waiting_material}
            heads = sorted(f"{m}:{q[0].job}" for m, q in sched.machines.items() if q and q[0].job in waiting)
            if heads:
                bad.append(f"jobs waiting for material at the head of a queue: {heads}")
        else:
            bad.append(f"unknown fact {kind!r}")
    return bad
