"""Order intake: `POST /jobs` adds a job mid-shift, as an ERP would send a rush order.

The new job gets the next JOB-/LOT- numbers and its product's routing with no machine; it is
listed as unscheduled and runs only once a published schedule includes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox_plant import InvalidRequest, Plant, load_plant_config, plant_state
from tests.sandbox_plant.test_api import (
    Client,
    advance,
    error,
    event_count,
    get,
    machines,
    plant_test,
    post,
    state,
)

HOUR = 3600.0
RUSH = {"product": "SHAFT-A", "qty": 5, "due_in_h": 8, "by": "erp", "reason": "rush order PO-4711"}


def _refs(job: dict[str, Any]) -> list[str]:
    return [f"{job['id']}/{op['index']}" for op in job["ops"]]


def _demand(materials: list[dict[str, Any]], mid: str) -> float:
    return float(next(m["open_demand"] for m in materials if m["id"] == mid))


@plant_test()
async def test_post_jobs_adds_a_job_with_the_routing_next_ids_a_lot_and_an_event(c: Client) -> None:
    await advance(c, HOUR)
    jobs = await get(c, "/jobs")
    n = len(jobs)
    assert jobs[-1]["id"] == f"JOB-{n:04d}"
    cursor = await event_count(c)
    demand = _demand(await get(c, "/materials"), "MAT-BLANK-48")

    body = {"product": "GEAR-D", "qty": 12, "due_time": "2026-03-02T15:00:00+01:00", "by": "erp"}
    job = await post(c, "/jobs", body)

    routing = load_plant_config().products["GEAR-D"].routing
    assert (job["id"], job["lot"], job["product"], job["qty"]) == (
        f"JOB-{n + 1:04d}",
        f"LOT-{n + 1:04d}",
        "GEAR-D",
        12,
    )
    assert [op["type"] for op in job["ops"]] == [s.type for s in routing]
    assert all(op["machine"] is None and op["status"] == "pending" for op in job["ops"])
    assert (job["release_time"], job["due_time"], job["due_t"]) == (
        "2026-03-02T07:00:00Z",
        "2026-03-02T14:00:00Z",
        8 * HOUR,
    )
    assert job["status"] == "released" and job["late"] is False and job["completed_time"] is None
    assert await get(c, f"/jobs/{job['id']}") == job

    lot = await get(c, f"/lots/{job['lot']}")
    assert (lot["job"], lot["product"], lot["qty"], lot["status"], lot["on_hold"]) == (
        job["id"],
        "GEAR-D",
        12,
        "queued",
        False,
    )

    (ev,) = (await get(c, "/events", since=cursor, type="job.created"))["events"]
    assert {
        k: ev[k] for k in ("job", "lot", "product", "qty", "release_time", "due_time", "by", "reason")
    } == {
        "job": job["id"],
        "lot": job["lot"],
        "product": "GEAR-D",
        "qty": 12,
        "release_time": "2026-03-02T07:00:00Z",
        "due_time": "2026-03-02T14:00:00Z",
        "by": "erp",
        "reason": None,
    }

    sched = await get(c, "/schedule")
    assert sched["unscheduled"] == _refs(job)
    assert job["id"] not in {o["job"] for q in sched["machines"].values() for o in q}

    s = await get(c, "/state")
    assert s["jobs"][-1] == job and s["lots"][-1]["id"] == job["lot"]
    assert _demand(s["materials"], "MAT-BLANK-48") == demand + 12  # one blank per part

    second = await post(c, "/jobs", {**RUSH, "release_time": "2026-03-02T09:00:00Z"})
    assert (second["id"], second["lot"]) == (f"JOB-{n + 2:04d}", f"LOT-{n + 2:04d}")
    assert second["status"] == "planned" and second["release_time"] == "2026-03-02T09:00:00Z"
    assert second["due_t"] == 9 * HOUR  # 8 h from now, not from the release


@plant_test()
async def test_an_unscheduled_job_never_runs_and_breaks_nothing(c: Client) -> None:
    job = await post(c, "/jobs", {**RUSH, "due_in_h": 2})
    await post(c, f"/lots/{job['lot']}/hold", {"reason": "customer query"})
    await post(c, f"/lots/{job['lot']}/release", {"reason": "answered"})
    await advance(c, 24 * HOUR)
    now = await get(c, f"/jobs/{job['id']}")
    assert [op["status"] for op in now["ops"]] == ["pending"] * 3 and now["late"] is True
    assert now["status"] == "released" and not now["waiting_material"]
    assert (await get(c, "/schedule"))["unscheduled"] == _refs(job)
    assert await get(c, "/jobs", machine="CNC-1")  # the machine filter skips machine-less ops
    assert (await get(c, "/state"))["jobs"][-1] == now


@plant_test()
async def test_publishing_a_schedule_with_the_new_job_runs_it(c: Client) -> None:
    await advance(c, HOUR)
    job = await post(c, "/jobs", RUSH)
    stock = next(m for m in await get(c, "/materials") if m["id"] == "MAT-BAR-42")["stock"]
    assert stock >= RUSH["qty"]
    await advance(c, 600)
    assert all(op["status"] == "pending" for op in (await get(c, f"/jobs/{job['id']}"))["ops"])

    sched = await get(c, "/schedule")
    rows = [
        {"job": o["job"], "op": o["op"], "machine": m, "start_t": o["planned_start_t"] or 0.0}
        for m, q in sched["machines"].items()
        for o in q
        if o["status"] in ("pending", "paused")
    ]
    first_of = {}
    for m in await machines(c):
        first_of.setdefault(m["type"], m["id"])
    now = (await get(c, "/clock"))["t"]
    chosen = [first_of[op["type"]] for op in job["ops"]]
    rows += [
        {"job": job["id"], "op": op["index"], "machine": mid, "start_t": now}
        for op, mid in zip(job["ops"], chosen, strict=True)
    ]
    cursor = await event_count(c)
    out = await post(c, "/schedule", {"assignments": rows, "by": "scheduling", "reason": "rush order"})
    assert out["unscheduled"] == [] and out["version"] == sched["version"] + 1
    planned = await get(c, f"/jobs/{job['id']}")
    assert [op["machine"] for op in planned["ops"]] == chosen
    assert all(op["planned_start_t"] == now for op in planned["ops"])

    await advance(c, 12 * HOUR)
    done = await get(c, f"/jobs/{job['id']}")
    assert done["status"] == "complete" and [op["status"] for op in done["ops"]] == ["done"] * 3
    assert [op["machine"] for op in done["ops"]] == chosen
    lot = await get(c, f"/lots/{job['lot']}")
    assert lot["status"] == "complete" and lot["machines"] == chosen
    started = (await get(c, "/events", since=cursor, type="job.op_started", limit=10000))["events"]
    assert [(e["op"], e["machine"]) for e in started if e["job"] == job["id"]] == list(enumerate(chosen))
    finished = (await get(c, "/events", since=cursor, type="lot.completed", limit=10000))["events"]
    assert job["lot"] in {e["lot"] for e in finished}


@plant_test()
async def test_idempotency_key_creates_one_job(c: Client) -> None:
    key = {"Idempotency-Key": "erp-PO-4711"}
    r1 = await c.post("/jobs", json=RUSH, headers=key)
    await advance(c, 600)  # a replay answers the first answer, not a new "8 h from now"
    r2 = await c.post("/jobs", json=RUSH, headers=key)
    assert r1.status_code == r2.status_code == 200
    assert r2.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in r1.headers
    assert r2.content == r1.content
    assert [j["id"] for j in await get(c, "/jobs") if j["product"] == "SHAFT-A" and j["qty"] == 5] == [
        r1.json()["id"]
    ]

    before = await state(c)
    detail = error(await c.post("/jobs", json={**RUSH, "qty": 6}, headers=key), 422, "idempotency_key_reused")
    assert "erp-PO-4711" in detail
    assert await state(c) == before

    r3 = await c.post("/jobs", json=RUSH)  # no key: a new order
    assert r3.status_code == 200 and r3.json()["id"] != r1.json()["id"]


@plant_test()
async def test_invalid_orders_are_refused_with_what_to_do_and_change_nothing(c: Client) -> None:
    await advance(c, HOUR)  # now 07:00
    cases: list[tuple[dict[str, Any], str]] = [
        ({"product": "SHAFT-Z"}, "known products: BRACKET-B, GEAR-D, HOUSING-C, SHAFT-A"),
        ({"qty": 0}, "qty"),
        ({"qty": 100_001}, "qty"),
        ({"due_in_h": None}, "exactly one of due_time"),
        ({"due_time": "2026-03-02T14:00:00Z"}, "exactly one of due_time"),
        ({"due_in_h": 0}, "due_in_h"),
        (
            {"due_in_h": None, "due_time": "2026-03-02T07:00:00Z"},
            "is not after the release 2026-03-02T07:00:00Z (now)",
        ),
        ({"due_in_h": None, "due_time": "2026-03-02T06:30:00Z"}, "give a due time later than the release"),
        (
            {"due_in_h": 1, "release_time": "2026-03-02T09:00:00Z"},
            "is not after the release 2026-03-02T09:00:00Z",
        ),
        ({"release_time": "2026-03-02T06:59:00Z"}, "is before now (2026-03-02T07:00:00Z); omit it"),
        ({"due_in_h": None, "due_time": "2026-03-02T14:00:00"}, "has no UTC offset"),
        ({"due_in_h": None, "due_time": "tomorrow noon"}, "is not an ISO 8601 time"),
        ({"due_in_h": None, "due_time": "2040-01-01T00:00:00Z"}, "outside the plant's calendar"),
        ({"release_time": "1999-01-01T00:00:00Z"}, "outside the plant's calendar"),
        ({"priority": 1}, "priority"),
    ]
    before = await state(c)
    for change, hint in cases:
        body = {k: v for k, v in {**RUSH, **change}.items() if v is not None}
        detail = error(await c.post("/jobs", json=body), 422, "invalid_request")
        assert hint in detail, (change, detail)
    assert await state(c) == before


def test_plant_checks_the_order_itself_and_the_default_dispatcher_takes_new_jobs() -> None:
    p = Plant(seed=1)
    prod = p.production
    before = plant_state(p)
    for kw, match in [
        ({"product": "bracket-b"}, "known products: BRACKET-B, GEAR-D"),
        ({"qty": 0}, "qty must be between 1 and 100000"),
        ({"qty": 100_001}, "split a larger order"),
        ({"due": float("inf")}, "finite"),
        ({"release": float("nan")}, "finite"),
    ]:
        args: dict[str, Any] = {"product": "BRACKET-B", "qty": 10, "due": HOUR, "by": "test", **kw}
        with pytest.raises(InvalidRequest, match=match):
            prod.create_job(**args)
    assert plant_state(p) == before

    job = prod.create_job("BRACKET-B", 10, 6 * HOUR, by="test")
    rows = prod.default_schedule()
    assert [(j, k) for j, k, _, _ in rows if j == job.id] == [(job.id, k) for k in range(len(job.ops))]
    out = prod.publish(rows, "mes", "replan with the new order")
    assert out["unscheduled"] == []
    p.advance(24 * HOUR)
    assert job.status == "complete" and prod.lots[job.lot].status == "complete"


@plant_test()
async def test_openapi_documents_post_jobs_as_an_action(c: Client) -> None:
    doc = await get(c, "/openapi.json")
    op = doc["paths"]["/jobs"]["post"]
    assert op["tags"] == ["actions"] and {"404", "409", "422"} <= set(op["responses"])
    assert {"product", "qty"} <= set(doc["components"]["schemas"]["JobCreate"]["required"])
