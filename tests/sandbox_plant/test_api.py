"""The sandbox plant's HTTP API, exercised in-process through httpx's ASGI transport.

Tests reach the plant only through its HTTP API. pytest-asyncio is not used: each test is an
`async def` taking a client, wrapped by `plant_test` into a plain test that builds a fresh
plant and app and runs the coroutine with `asyncio.run`. The virtual clock starts on Monday
2026-03-02 at 06:00 UTC (start of shift A) and is advanced only as far as a test needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from sandbox_plant import Plant, create_app, ground_truth

Client = httpx.AsyncClient
TestFn = Callable[[Client], Awaitable[None]]


def plant_test(*, seed: int = 0, scenario: str | None = None) -> Callable[[TestFn], Callable[[], None]]:
    """Turn `async def test_x(c)` into a plain pytest test against a fresh plant."""

    def decorate(fn: TestFn) -> Callable[[], None]:
        async def run() -> None:
            app = create_app(Plant(seed=seed, scenario=scenario))
            # A server error must come back as a 500 response for the asserts to report it.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://plant") as c:
                await fn(c)

        def test() -> None:
            asyncio.run(run())

        test.__name__, test.__qualname__, test.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
        return test

    return decorate


# -- helpers ---------------------------------------------------------------------------------------


async def get(c: Client, url: str, **params: Any) -> Any:
    r = await c.get(url, params=params or None)
    assert r.status_code == 200, (url, r.status_code, r.text)
    return r.json()


async def post(c: Client, url: str, body: Any, **kw: Any) -> Any:
    r = await c.post(url, json=body, **kw)
    assert r.status_code == 200, (url, body, r.status_code, r.text)
    return r.json()


def error(r: httpx.Response, status: int, code: str | None = None) -> str:
    """Assert an error response of the documented shape; return its detail."""
    assert r.status_code == status, (r.request.url, r.status_code, r.text)
    body = r.json()
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return str(body["detail"])


async def state(c: Client) -> bytes:
    r = await c.get("/state")
    assert r.status_code == 200, r.text
    return r.content


async def event_count(c: Client) -> int:
    """The seq of the latest event: a cursor for GET /events?since=."""
    return int((await get(c, "/state"))["events"]["count"])


async def advance(c: Client, seconds: float) -> None:
    while seconds > 0:
        step = min(seconds, 86400.0)
        await post(c, "/clock/advance", {"seconds": step})
        seconds -= step


async def new_work_order(c: Client, asset: str, **fields: Any) -> dict[str, Any]:
    body = {"asset": asset, "type": "CM", "priority": 3, "description": f"test work on {asset}", **fields}
    wo: dict[str, Any] = await post(c, "/work-orders", body)
    assert wo["status"] == "WAPPR" and wo["asset"] == asset
    return wo


async def set_wo_status(c: Client, wo_id: str, status: str) -> dict[str, Any]:
    wo: dict[str, Any] = await post(c, f"/work-orders/{wo_id}/status", {"status": status})
    assert wo["status"] == status
    return wo


async def on_shift_tech(c: Client, skill: str | None, *, exclude: tuple[str, ...] = ()) -> str:
    techs = await get(c, "/technicians")
    able = [
        t["id"]
        for t in techs
        if t["on_shift"]
        and t["work_order"] is None
        and t["id"] not in exclude
        and (skill is None or skill in t["skills"])
    ]
    assert able, f"no free technician on shift with skill {skill!r}: {techs}"
    return able[0]


async def quick_failure_mode(c: Client, asset: str) -> dict[str, Any]:
    """The machine's quickest repair that an on-shift technician can do with parts in stock."""
    techs = await get(c, "/technicians")
    skills = {s for t in techs if t["on_shift"] for s in t["skills"]}
    stock = {p["id"]: p["stock"] for p in await get(c, "/parts")}
    modes = [
        m
        for m in await get(c, f"/assets/{asset}/failure-modes")
        if m["skill"] in skills and all(stock[p] >= q for p, q in m["parts"].items())
    ]
    assert modes, f"no failure mode of {asset} can be repaired now"
    return min(modes, key=lambda m: m["repair_h"])


async def machines(c: Client) -> list[dict[str, Any]]:
    return list(await get(c, "/assets", category="machine"))


# -- 1. unknown ids --------------------------------------------------------------------------------


@plant_test()
async def test_unknown_ids_give_404_with_a_hint_how_to_list_them(c: Client) -> None:
    cases = [
        ("GET", "/assets/NO-SUCH-1", "GET /assets"),
        ("GET", "/assets/NO-SUCH-1/failure-modes", "GET /assets"),
        ("POST", "/machines/NO-SUCH-1/mode", "GET /assets"),
        ("GET", "/tags/NO-SUCH-1.spindle_temp", "GET /tags"),
        ("GET", "/tags/NO-SUCH-1.spindle_temp/history", "GET /tags"),
        ("GET", "/alarms/NO-SUCH-1.spindle_temp.HI", "GET /alarms"),
        ("POST", "/alarms/NO-SUCH-1.spindle_temp.HI/acknowledge", "GET /alarms"),
        ("GET", "/lots/LOT-9999", "GET /lots"),
        ("POST", "/lots/LOT-9999/hold", "GET /lots"),
        ("GET", "/jobs/JOB-9999", "GET /jobs"),
        ("GET", "/work-orders/WO-9999", "GET /work-orders"),
        ("POST", "/work-orders/WO-9999/status", "GET /work-orders"),
    ]
    bodies = {
        "/machines/NO-SUCH-1/mode": {"mode": "stopped", "reason": "test"},
        "/alarms/NO-SUCH-1.spindle_temp.HI/acknowledge": {},
        "/lots/LOT-9999/hold": {"reason": "test"},
        "/work-orders/WO-9999/status": {"status": "APPR"},
    }
    for method, url, hint in cases:
        r = await c.request(method, url, json=bodies.get(url))
        detail = error(r, 404, "not_found")
        assert hint in detail and "list" in detail.lower(), (url, detail)
    # A well-formed id of a kind that exists (sanity: the 404s above are about the ids).
    assert (await get(c, "/assets/CNC-1"))["id"] == "CNC-1"


# -- 2. malformed requests ---------------------------------------------------------------------------


@plant_test()
async def test_invalid_payloads_give_422_naming_the_field(c: Client) -> None:
    before = await state(c)
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/clock/advance", {"json": {"seconds": -5}}, "seconds"),
        ("/clock/advance", {"json": {"seconds": 1e9}}, "seconds"),
        ("/clock/advance", {}, "body"),  # no body at all
        ("/clock/advance", {"json": {"seconds": 60, "minutes": 1}}, "minutes"),
        ("/clock/advance", {"json": {"seconds": "soon"}}, "seconds"),
        ("/clock/advance", {"json": [60]}, "body"),
        (
            "/work-orders",
            {"json": {"asset": "CNC-1", "type": "CM", "priority": 9, "description": "x"}},
            "priority",
        ),
        (
            "/work-orders",
            {"json": {"asset": "CNC-1", "type": "XX", "priority": 2, "description": "x"}},
            "type",
        ),
        (
            "/work-orders",
            {"json": {"asset": "CNC-1", "type": "CM", "priority": "high", "description": "x"}},
            "priority",
        ),
        ("/reset", {"json": {"seed": -1}}, "seed"),
    ]
    for url, kw, field in cases:
        r = await c.post(url, **kw)
        detail = error(r, 422, "invalid_request")
        assert field in detail, (url, kw, detail)
        assert r.json()["errors"], r.text
    # Refused before anything happened: the clock did not move, no work order exists.
    assert await state(c) == before
    assert (await get(c, "/clock"))["t"] == 0


# -- 3. refused actions change nothing ---------------------------------------------------------------


@plant_test()
async def test_refused_actions_change_nothing(c: Client) -> None:
    await advance(c, 1800)  # a little history, jobs running
    sp = (await get(c, "/setpoints"))[0]
    normal = next(a for a in (await get(c, "/alarms", state="any"))["alarms"] if a["state"] == "NORM")
    lot = next(x for x in await get(c, "/lots") if not x["on_hold"])
    wo_new = await new_work_order(c, "CNC-3")
    wo_appr = await new_work_order(c, "CNC-4")
    await set_wo_status(c, wo_appr["id"], "APPR")
    sched = await get(c, "/schedule")
    kinds = {m["id"]: m["type"] for m in await machines(c)}
    mid, queue = next((m, q) for m, q in sched["machines"].items() if q and q[0]["status"] == "pending")
    wrong = next(m for m, t in kinds.items() if t != kinds[mid] and m in sched["machines"])
    bad_schedule = {
        "assignments": [{"job": queue[0]["job"], "op": queue[0]["op"], "machine": wrong, "start_t": 0}],
        "reason": "move an op to a machine of the wrong type",
    }

    refusals: list[tuple[str, Any, int, str | None]] = [
        (f"/setpoints/{sp['asset']}/{sp['name']}", {"value": sp["max"] + 1}, 409, "limit"),
        (f"/setpoints/{sp['asset']}/{sp['name']}", {"value": sp["min"] - 1}, 409, "limit"),
        (f"/alarms/{normal['id']}/acknowledge", {}, 409, None),
        (f"/alarms/{normal['id']}/unshelve", {}, 409, None),
        (f"/lots/{lot['id']}/release", {"reason": "not held"}, 409, None),
        (f"/work-orders/{wo_new['id']}/status", {"status": "COMP"}, 409, None),
        (f"/work-orders/{wo_new['id']}/status", {"status": "INPRG"}, 409, None),
        ("/schedule", bad_schedule, 422, None),
        (f"/work-orders/{wo_appr['id']}/status", {"status": "INPRG"}, 409, "unassigned"),
        ("/reset", {"seed": 1, "scenario": "no_such_scenario"}, 422, None),
    ]
    for url, body, status, code in refusals:
        before = await state(c)
        r = await c.post(url, json=body)
        error(r, status, code)
        assert await state(c) == before, f"POST {url} {body} was refused with {status} but changed the state"
    assert (await get(c, f"/work-orders/{wo_appr['id']}"))["status"] == "APPR"
    assert (await get(c, "/schedule"))["version"] == sched["version"]


# -- 4. lock-out interlock -----------------------------------------------------------------------------


@plant_test()
async def test_lockout_work_order_interlocks_machine_until_complete(c: Client) -> None:
    clock = await get(c, "/clock")
    assert clock["shift"] == "A" and clock["time"].endswith("T06:00:00Z")
    machine = next(m["id"] for m in await machines(c) if m["status"] == "running" and m["type"] == "cnc")
    fm = await quick_failure_mode(c, machine)
    tech = await on_shift_tech(c, fm["skill"])

    wo = await new_work_order(c, machine, type=fm["wo_type"], priority=2, failure_mode=fm["id"])
    assert wo["lockout"] is True and wo["skill"] == fm["skill"] and wo["estimated_h"] == fm["repair_h"]
    await set_wo_status(c, wo["id"], "APPR")
    assert (await post(c, f"/work-orders/{wo['id']}/assign", {"technicians": [tech]}))["assigned"] == [tech]

    if (await get(c, f"/assets/{machine}"))["status"] == "running":
        stopped = await post(
            c, f"/machines/{machine}/mode", {"mode": "stopped", "reason": "lock-out for repair"}
        )
        assert stopped["mode"] == "stopped" and stopped["status"] == "stopped"
    await set_wo_status(c, wo["id"], "INPRG")
    asset = await get(c, f"/assets/{machine}")
    assert asset["mode"] == "maintenance" and asset["locked_out_by"] == wo["id"]

    for mode in ("auto", "stopped"):
        before = await state(c)
        detail = error(
            await c.post(f"/machines/{machine}/mode", json={"mode": mode, "reason": "try"}), 409, "interlock"
        )
        assert wo["id"] in detail
        assert await state(c) == before

    duration = wo["estimated_h"] * 3600
    await advance(c, duration - 60)
    assert (await get(c, f"/work-orders/{wo['id']}"))["status"] == "INPRG"
    assert (await get(c, f"/assets/{machine}"))["mode"] == "maintenance"

    await advance(c, 120)
    done = await get(c, f"/work-orders/{wo['id']}")
    assert done["status"] == "COMP" and done["completed_time"] is not None
    asset = await get(c, f"/assets/{machine}")
    assert asset["mode"] == "auto" and asset["locked_out_by"] is None
    assert next(t for t in await get(c, "/technicians") if t["id"] == tech)["work_order"] is None


@plant_test()
async def test_lockout_refused_on_running_machine(c: Client) -> None:
    machine = next(m["id"] for m in await machines(c) if m["status"] == "running" and m["type"] != "conveyor")
    wo = await new_work_order(c, machine, estimated_h=1)
    assert wo["lockout"] is True
    await set_wo_status(c, wo["id"], "APPR")
    await post(c, f"/work-orders/{wo['id']}/assign", {"technicians": [await on_shift_tech(c, None)]})
    before = await state(c)
    detail = error(
        await c.post(f"/work-orders/{wo['id']}/status", json={"status": "INPRG"}), 409, "interlock"
    )
    assert machine in detail and "stop" in detail.lower()
    assert await state(c) == before
    assert (await get(c, f"/assets/{machine}"))["status"] == "running"
    assert (await get(c, f"/work-orders/{wo['id']}"))["status"] == "APPR"


@plant_test()
async def test_machine_stays_locked_out_while_another_lockout_work_order_is_in_progress(c: Client) -> None:
    """Two technicians lock the same machine out; the first finishing must not start it again."""
    machine = "CNC-1"
    await post(c, f"/machines/{machine}/mode", {"mode": "stopped", "reason": "two repairs"})
    short = await new_work_order(c, machine, description="short job", estimated_h=0.5)
    long = await new_work_order(c, machine, description="long job", estimated_h=3)
    first = await on_shift_tech(c, None)
    for wo, tech in ((short, first), (long, await on_shift_tech(c, None, exclude=(first,)))):
        await set_wo_status(c, wo["id"], "APPR")
        await post(c, f"/work-orders/{wo['id']}/assign", {"technicians": [tech]})
        await set_wo_status(c, wo["id"], "INPRG")
    assert (await get(c, f"/assets/{machine}"))["mode"] == "maintenance"

    await advance(c, 3600)  # the short job is done, the long one is not
    assert (await get(c, f"/work-orders/{short['id']}"))["status"] == "COMP"
    assert (await get(c, f"/work-orders/{long['id']}"))["status"] == "INPRG"
    asset = await get(c, f"/assets/{machine}")
    assert asset["locked_out_by"] == long["id"]
    assert asset["mode"] == "maintenance" and asset["status"] != "running", (
        f"{machine} left lock-out while {long['id']} (lock-out) is still in progress: {asset}"
    )


# -- 5. idempotency ----------------------------------------------------------------------------------


@plant_test()
async def test_idempotency_key_applies_an_action_once(c: Client) -> None:
    body = {"asset": "GRD-1", "type": "PM", "priority": 3, "description": "idempotent PM"}
    key = {"Idempotency-Key": "create-pm-grd-1"}
    r1 = await c.post("/work-orders", json=body, headers=key)
    r2 = await c.post("/work-orders", json=body, headers=key)
    assert r1.status_code == r2.status_code == 200
    assert "Idempotent-Replayed" not in r1.headers
    assert r2.headers.get("Idempotent-Replayed") == "true"
    assert r2.content == r1.content
    wos = await get(c, "/work-orders")
    assert [w["id"] for w in wos] == [r1.json()["id"]]

    before = await state(c)
    detail = error(
        await c.post("/work-orders", json={**body, "priority": 2}, headers=key), 422, "idempotency_key_reused"
    )
    assert "create-pm-grd-1" in detail
    assert await state(c) == before

    # Without a key, every call is a new action.
    await post(c, "/work-orders", body)
    assert len(await get(c, "/work-orders")) == 2

    # A reset forgets the keys: the same key now creates a new work order in the new plant.
    await post(c, "/reset", {"seed": 0})
    assert await get(c, "/work-orders") == []
    r3 = await c.post("/work-orders", json={**body, "priority": 2}, headers=key)
    assert r3.status_code == 200 and "Idempotent-Replayed" not in r3.headers
    assert [(w["id"], w["priority"]) for w in await get(c, "/work-orders")] == [(r3.json()["id"], 2)]


# -- 6. alarms (ISA-18.2) during a coolant pump failure --------------------------------------------------


@plant_test()
async def test_alarm_flood_ack_and_shelve_during_coolant_pump_failure(c: Client) -> None:
    truth = ground_truth("coolant_pump_failure", 7)  # the scenario's documented oracle
    pump, onset = truth["root_cause"][0], truth["onset_t"]
    info = await post(c, "/reset", {"seed": 7, "scenario": "coolant_pump_failure"})
    assert (info["seed"], info["scenario"]) == (7, "coolant_pump_failure")

    topo = await get(c, "/topology")
    pumps = {u["id"]: u["feeds"] for u in topo["utilities"] if u["type"] == "coolant_pump"}
    fed = set(pumps[pump])
    assert sorted(fed) == truth["affected_assets"]
    other_fed = {m for p, feeds in pumps.items() if p != pump for m in feeds}

    await advance(c, onset - 60)
    assert not [a for a in (await get(c, "/alarms", asset=pump, state="any"))["alarms"] if a["active"]]
    cursor = await event_count(c)
    await advance(c, 60 + 15 * 60)

    # Every machine the pump feeds (and the pump) annunciates; machines on other pumps do not.
    unack = (await get(c, "/alarms", state="UNACK"))["alarms"]
    by_asset = {a["asset"] for a in unack}
    assert fed | {pump} <= by_asset, f"no UNACK alarm on {sorted(fed | {pump} - by_asset)}"
    assert not by_asset & other_fed

    # A flood: more than 10 alarms raised within 10 minutes on the failed pump's assets.
    raised = (await get(c, "/events", since=cursor, type="alarm.raised", limit=10000))["events"]
    times = sorted(e["t"] for e in raised if e["asset"] in fed | {pump})
    assert times and times[0] >= onset
    peak = max(sum(1 for t in times if t0 <= t < t0 + 600) for t0 in times)
    assert peak > 10, f"no flood: at most {peak} alarms in 10 minutes"
    alarms = await get(c, "/alarms")
    now = (await get(c, "/clock"))["t"]
    assert alarms["raised_last_10_min"] == sum(1 for e in raised if e["t"] > now - 600)

    # Acknowledge: UNACK -> ACKED while the condition is still active; a second ack is refused.
    target = next(a for a in unack if a["asset"] == pump and a["active"])
    acked = await post(c, f"/alarms/{target['id']}/acknowledge", {"by": "op-1", "comment": "pump failed"})
    assert acked["state"] == "ACKED" and acked["acked_by"] == "op-1"
    assert target["id"] in {a["id"] for a in (await get(c, "/alarms", state="ACKED"))["alarms"]}
    error(await c.post(f"/alarms/{target['id']}/acknowledge", json={}), 409)

    # Shelve the line's chattering alarm (the one raised most often): it stays silent while shelved.
    every = (await get(c, "/alarms", state="any"))["alarms"]
    chatter = max(every, key=lambda a: a["activations"])
    assert chatter["activations"] >= 5, chatter
    shelved = await post(
        c,
        f"/alarms/{chatter['id']}/shelve",
        {"duration_s": 3600, "reason": "nuisance alarm during the flood"},
    )
    assert shelved["shelved"] is True and shelved["shelved_until"] is not None
    assert chatter["id"] in {a["id"] for a in (await get(c, "/alarms", shelved="true"))["alarms"]}
    error(await c.post(f"/alarms/{chatter['id']}/shelve", json={"duration_s": 60, "reason": "again"}), 409)
    mark = await event_count(c)
    await advance(c, 1800)
    during = (await get(c, "/events", since=mark, type="alarm.raised", limit=10000))["events"]
    assert not [e for e in during if e["alarm"] == chatter["id"]]
    assert (await get(c, f"/alarms/{chatter['id']}"))["shelved"] is True

    back = await post(c, f"/alarms/{chatter['id']}/unshelve", {"by": "op-1"})
    assert back["shelved"] is False and back["shelved_until"] is None
    assert chatter["id"] not in {a["id"] for a in (await get(c, "/alarms", shelved="true"))["alarms"]}
    events = (await get(c, "/events", since=mark, type="alarm.unshelved"))["events"]
    assert [e["alarm"] for e in events] == [chatter["id"]]


# -- 7. setpoints --------------------------------------------------------------------------------------


@plant_test()
async def test_setpoint_change_within_limits_applies_and_beyond_is_refused(c: Client) -> None:
    sp = (await get(c, "/setpoints"))[0]
    asset, name = sp["asset"], sp["name"]
    assert sp["min"] < sp["value"] < sp["max"]
    new = (sp["value"] + sp["max"]) / 2
    out = await post(c, f"/setpoints/{asset}/{name}", {"value": new, "by": "eng-1"})
    assert out["value"] == new and out["previous"] == sp["value"]
    now = next(s for s in await get(c, "/setpoints", asset=asset) if s["name"] == name)
    assert now["value"] == new and now["default"] == sp["value"]
    changed = (await get(c, "/events", type="setpoint.changed"))["events"]
    assert [(e["asset"], e["new"], e["by"]) for e in changed] == [(asset, new, "eng-1")]

    # The limits themselves are allowed; beyond them is refused with code "limit".
    assert (await post(c, f"/setpoints/{asset}/{name}", {"value": sp["max"]}))["value"] == sp["max"]
    detail = error(await c.post(f"/setpoints/{asset}/{name}", json={"value": sp["max"] + 0.5}), 409, "limit")
    assert str(sp["max"]) in detail
    error(await c.post(f"/setpoints/{asset}/{name}", json={"value": sp["min"] - 0.5}), 409, "limit")
    now = next(s for s in await get(c, "/setpoints", asset=asset) if s["name"] == name)
    assert now["value"] == sp["max"]


# -- 8. schedule ---------------------------------------------------------------------------------------


def _assignments(schedule: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """The published schedule as publish rows (every queued op on its machine), with op status."""
    return [
        (
            {"job": op["job"], "op": op["op"], "machine": m, "start_t": op["planned_start_t"] or 0.0},
            op["status"],
        )
        for m, queue in schedule["machines"].items()
        for op in queue
    ]


@plant_test()
async def test_schedule_republish_moves_pending_op_and_refuses_moving_started_ops(c: Client) -> None:
    sched = await get(c, "/schedule")
    kinds = {m["id"]: m["type"] for m in await machines(c)}
    same_type = {
        m: [o for o in sched["machines"] if o != m and kinds[o] == kinds[m]] for m in sched["machines"]
    }

    # Move one pending op to another machine of the same type.
    pairs = _assignments(sched)
    row = next(r for r, status in pairs if status == "pending" and same_type[r["machine"]])
    source = row["machine"]
    row["machine"] = dest = same_type[source][0]
    rows = [r for r, _ in pairs]
    out = await post(c, "/schedule", {"assignments": rows, "reason": "balance load", "by": "planner"})
    assert out["version"] == sched["version"] + 1 and out["unscheduled"] == []
    after = await get(c, "/schedule")
    assert after["version"] == sched["version"] + 1 and after["by"] == "planner"
    assert (row["job"], row["op"]) in {(o["job"], o["op"]) for o in after["machines"][dest]}
    assert (row["job"], row["op"]) not in {(o["job"], o["op"]) for o in after["machines"][source]}
    assert (await get(c, f"/jobs/{row['job']}"))["ops"][row["op"]]["machine"] == dest

    # A running op cannot move.
    pairs = _assignments(after)
    running = next(r for r, status in pairs if status == "running" and same_type[r["machine"]])
    running["machine"] = same_type[running["machine"]][0]
    rows = [r for r, _ in pairs]
    before = await state(c)
    error(
        await c.post("/schedule", json={"assignments": rows, "reason": "move a running op"}),
        409,
        "op_started",
    )
    assert await state(c) == before

    # Nor can a finished one.
    await advance(c, 3 * 3600)
    jobs = await get(c, "/jobs")
    job, op = next(
        (j, op) for j in jobs for op in j["ops"] if op["status"] == "done" and same_type[op["machine"]]
    )
    done = {"job": job["id"], "op": op["index"], "machine": same_type[op["machine"]][0], "start_t": 0}
    version = (await get(c, "/schedule"))["version"]
    error(
        await c.post("/schedule", json={"assignments": [done], "reason": "move a done op"}), 409, "op_started"
    )
    assert (await get(c, "/schedule"))["version"] == version
    assert (await get(c, f"/jobs/{job['id']}"))["ops"][op["index"]]["machine"] == op["machine"]


# -- 9. lots -------------------------------------------------------------------------------------------


@plant_test()
async def test_lot_hold_then_release(c: Client) -> None:
    lot = (await get(c, "/lots"))[-1]
    assert lot["on_hold"] is False
    held = await post(c, f"/lots/{lot['id']}/hold", {"reason": "suspect dimension", "by": "qa-1"})
    assert (
        held["on_hold"] is True and held["hold_reason"] == "suspect dimension" and held["hold_by"] == "qa-1"
    )
    assert lot["id"] in {x["id"] for x in await get(c, "/lots", on_hold="true")}
    error(await c.post(f"/lots/{lot['id']}/hold", json={"reason": "again"}), 409)

    released = await post(c, f"/lots/{lot['id']}/release", {"reason": "measured ok", "by": "qa-1"})
    assert released["on_hold"] is False and released["hold_reason"] is None
    assert [h["action"] for h in released["holds"]] == ["hold", "release"]
    assert lot["id"] not in {x["id"] for x in await get(c, "/lots", on_hold="true")}
    error(await c.post(f"/lots/{lot['id']}/release", json={"reason": "again"}), 409)


# -- 10. events ----------------------------------------------------------------------------------------


@plant_test()
async def test_events_since_cursor_and_paging(c: Client) -> None:
    await advance(c, 3600)
    total = (await get(c, "/state"))["events"]["count"]
    assert total > 60

    page = await get(c, "/events", since=20, limit=15)
    assert [e["seq"] for e in page["events"]] == list(range(21, 36))
    assert page["next_cursor"] == 35

    seen: list[int] = []
    cursor = 0
    while True:
        page = await get(c, "/events", since=cursor, limit=25)
        if not page["events"]:
            break
        assert all(e["seq"] > cursor for e in page["events"])
        seen += [e["seq"] for e in page["events"]]
        assert page["next_cursor"] > cursor
        cursor = page["next_cursor"]
    assert seen == list(range(1, total + 1))
    assert cursor == total
    assert (await get(c, "/events", since=total)) == {"events": [], "next_cursor": total}

    # A type prefix filters; paging by next_cursor still only moves forward.
    mid = total // 2
    typed = await get(c, "/events", since=mid, type="job.", limit=5)
    assert typed["events"] and all(e["type"].startswith("job.") and e["seq"] > mid for e in typed["events"])
    assert typed["next_cursor"] == typed["events"][-1]["seq"]
    more = await get(c, "/events", since=typed["next_cursor"], type="job.", limit=5)
    assert all(e["seq"] > typed["next_cursor"] for e in more["events"])


# -- 11. OpenAPI ---------------------------------------------------------------------------------------


@plant_test()
async def test_openapi_lists_the_main_paths(c: Client) -> None:
    doc = await get(c, "/openapi.json")
    paths = doc["paths"]
    for path in (
        "/assets",
        "/alarms",
        "/work-orders",
        "/schedule",
        "/lots",
        "/reset",
        "/clock/advance",
        "/state",
        "/events",
    ):
        assert path in paths, path
    assert "post" in paths["/clock/advance"] and "post" in paths["/reset"] and "get" in paths["/state"]
    assert {"get", "post"} <= set(paths["/work-orders"]) and {"get", "post"} <= set(paths["/schedule"])


# -- validation gaps -----------------------------------------------------------------------------------


@plant_test()
async def test_work_order_window_beyond_the_calendar_is_rejected_not_a_server_error(c: Client) -> None:
    """window_start_t/window_end_t only have ge=0: a window ~32,000 years out must be a 422."""
    before = await state(c)
    r = await c.post(
        "/work-orders",
        json={
            "asset": "CNC-1",
            "type": "PM",
            "priority": 3,
            "description": "far",
            "window_start_t": 1e12,
            "window_end_t": 2e12,
        },
    )
    assert r.status_code == 422, f"expected 422, got {r.status_code}: {r.text[:200]}"
    assert await state(c) == before
    assert (await c.get("/work-orders")).status_code == 200
