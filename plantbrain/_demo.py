"""`plantbrain demo`: a scenario run end to end through the plant's HTTP API, told as it happens.

Until the agents land, the response to the incident is a short scripted operator routine
(clearly labelled), so that every kind of plant action is shown working over HTTP.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from sandbox_plant import Plant, create_app

STEP_S = 600.0


async def _run(console: Console, seed: int, scenario: str, hours: float) -> None:
    app = create_app(Plant(seed=seed))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://plant") as c:

        async def call(method: str, url: str, **kw: Any) -> Any:
            r = await c.request(method, url, **kw)
            if r.status_code >= 400:
                raise RuntimeError(f"{method} {url} -> {r.status_code}: {r.json().get('detail')}")
            return r.json()

        info = await call("POST", "/reset", json={"seed": seed, "scenario": scenario})
        console.print(
            f"[bold]{info['site']['name']}[/]: {info['lines']} lines, {info['assets']} assets, "
            f"{info['tags']} sensor tags, {info['alarms']} alarm definitions, {info['jobs']} jobs"
        )
        title = next(s["title"] for s in await call("GET", "/scenarios") if s["name"] == scenario)
        console.print(f"Scenario [bold]{scenario}[/] (seed {seed}): {title}\n")
        cursor, t_end, peak = 0, hours * 3600.0, 0
        wo: str | None = None
        recovered = False
        counts = {"alarm.raised": 0, "asset.tripped": 0, "job.op_completed": 0}
        while True:
            clock = await call("POST", "/clock/advance", json={"seconds": STEP_S})
            page = await call("GET", "/events", params={"since": cursor, "limit": 10000})
            cursor = page["next_cursor"]
            evs = page["events"]
            for e in evs:
                if e["type"] in counts:
                    counts[e["type"]] += 1
                if e["type"] == "asset.tripped":
                    console.print(
                        f"  {e['time'][11:19]}  [red]TRIP[/] {e['asset']}: {e['tag']} = {e['value']} "
                        f"(limit {e['limit']})"
                    )
                elif e["type"] in ("job.waiting_material", "material.delivery_missed"):
                    what = e.get("job", "") + " " + e["material"]
                    console.print(f"  {e['time'][11:19]}  [yellow]{e['type']}[/] {what}")
                elif e["type"] == "asset.mode" and e["mode"] == "down":
                    console.print(f"  {e['time'][11:19]}  [red]DOWN[/] {e['asset']}: {e['reason']}")
            alarms = await call("GET", "/alarms")
            rate = alarms["raised_last_10_min"]
            peak = max(peak, rate)
            unack = sum(a["state"] in ("UNACK", "RTNUN") for a in alarms["alarms"])
            t = clock["clock"]["t"]
            if rate > 10 or t % 3600 == 0:
                flood = " [bold red]ALARM FLOOD[/]" if rate > 10 else ""
                console.print(
                    f"{clock['clock']['time'][11:19]}  alarms raised in last 10 min: {rate:3d}  "
                    f"unacknowledged: {unack:3d}{flood}"
                )
            if wo is None and rate > 10:
                wo = await _scripted_response(console, call, alarms["alarms"])
            elif wo is not None and not recovered:
                recovered = await _recover(console, call, wo)
            if t >= t_end:
                break
        await _summary(console, call, counts, peak)


async def _scripted_response(console: Console, call: Any, alarms: list[dict[str, Any]]) -> str | None:
    """Find the utility whose alarms explain the flood and get it repaired (a stand-in for agents)."""
    assets = {a["id"]: a for a in await call("GET", "/assets")}
    suspects = sorted({a["asset"] for a in alarms if assets[a["asset"]]["category"] == "utility"})
    if not suspects:
        return None
    root = suspects[0]
    console.print(
        f"\n[bold cyan]scripted operator response[/] (agents arrive in a later issue): "
        f"alarms on utility {root} explain the flood downstream"
    )
    for a in alarms:
        if a["state"] == "UNACK":
            await call(
                "POST",
                f"/alarms/{a['id']}/acknowledge",
                json={"by": "demo", "comment": f"flood from {root}"},
            )
    modes = [m["id"] for m in await call("GET", f"/assets/{root}/failure-modes")]
    wo = await call(
        "POST",
        "/work-orders",
        json={
            "asset": root,
            "type": "EM",
            "priority": 1,
            "description": f"{root} lost pressure and flow: repair",
            "failure_mode": modes[0],
            "by": "demo",
        },
        headers={"Idempotency-Key": f"demo-wo-{root}"},
    )
    await call("POST", f"/work-orders/{wo['id']}/status", json={"status": "APPR", "by": "demo"})
    techs = [t for t in await call("GET", "/technicians") if t["on_shift"] and "mechanical" in t["skills"]]
    await call(
        "POST",
        f"/work-orders/{wo['id']}/assign",
        json={"technicians": [techs[0]["id"]], "by": "demo"},
    )
    await call("POST", f"/work-orders/{wo['id']}/status", json={"status": "INPRG", "by": "demo"})
    console.print(
        f"  {wo['id']}: EM priority 1 on {root} ({modes[0]}), assigned {techs[0]['name']}, in progress; "
        f"acknowledged the flood\n"
    )
    return str(wo["id"])


async def _recover(console: Console, call: Any, wo_id: str) -> bool:
    """Once the repair is complete: restart tripped machines, hold lots measured out of tolerance."""
    wo = await call("GET", f"/work-orders/{wo_id}")
    if wo["status"] != "COMP":
        return False
    fed = (await call("GET", f"/assets/{wo['asset']}"))["feeds"]
    console.print(f"\n[bold cyan]scripted operator response[/]: {wo_id} complete, {wo['asset']} repaired")
    for a in (await call("GET", "/alarms"))["alarms"]:
        if a["state"] in ("UNACK", "RTNUN") and a["asset"] in (wo["asset"], *fed):
            await call(
                "POST",
                f"/alarms/{a['id']}/acknowledge",
                json={"by": "demo", "comment": "after repair"},
            )
    for m in fed:
        asset = await call("GET", f"/assets/{m}")
        if asset["status"] == "down":
            await call(
                "POST",
                f"/machines/{m}/mode",
                json={"mode": "auto", "by": "demo", "reason": "reset after trip"},
            )
            console.print(f"  restarted {m} after its trip")
    bad = set()
    for m in fed:
        page = await call("GET", "/measurements", params={"machine": m, "limit": 20000})
        bad |= {x["lot"] for x in page["measurements"] if not x["in_spec"]}
    for lot in sorted(bad):
        await call(
            "POST",
            f"/lots/{lot}/hold",
            json={"by": "demo", "reason": "measured out of tolerance during the coolant loss"},
        )
    console.print(f"  lots held for out-of-tolerance parts: {', '.join(sorted(bad)) or 'none'}\n")
    return True


async def _summary(console: Console, call: Any, counts: dict[str, int], peak: int) -> None:
    state = await call("GET", "/state")
    table = Table(title="Machines at the end of the run")
    for col in ("asset", "line", "status", "OEE", "parts", "good"):
        table.add_column(col)
    for a in state["assets"]:
        if "oee" in a:
            o = a["oee"]
            table.add_row(
                a["id"],
                a["line"] or "",
                a["status"],
                f"{o['oee']:.2f}",
                str(o["parts_total"]),
                str(o["parts_good"]),
            )
    console.print(table)
    held = [lot["id"] for lot in state["lots"] if lot["on_hold"]]
    done = sum(j["status"] == "complete" for j in state["jobs"])
    console.print(
        f"alarms raised: {counts['alarm.raised']} (peak {peak} in 10 min), trips: {counts['asset.tripped']}, "
        f"operations completed: {counts['job.op_completed']}, jobs complete: {done}/{len(state['jobs'])}"
    )
    console.print(
        f"work orders: {', '.join(w['id'] + ' ' + w['status'] for w in state['work_orders']) or 'none'}; "
        f"lots on hold: {', '.join(held) or 'none'}; out-of-spec measurements: "
        f"{state['measurements']['out_of_spec']}"
    )
    console.print(f"state digest (same seed and scenario => same digest): {state['history_sha256'][:16]}")


def run_demo(*, seed: int, scenario: str, hours: float, console: Console) -> None:
    asyncio.run(_run(console, seed, scenario, hours))
