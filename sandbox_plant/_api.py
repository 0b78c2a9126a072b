"""The plant's HTTP API (FastAPI). A thin layer: validate, call `Plant`, return its views.

Errors: 404 unknown id, 409 refused by a plant rule, 422 malformed request; every error body is
`{"detail": "<what went wrong and what to do>", "code": "<kind>"}`. Actions accept an
`Idempotency-Key` header: a retried action with the same key and body is applied once and its
first answer is returned again (`Idempotent-Replayed: true`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import _views as views
from ._config import PlantConfig, load_scenarios
from ._errors import InvalidRequest, NotFound, PlantError
from ._plant import Plant
from ._schemas import (
    AckRequest,
    AdvanceRequest,
    LotAction,
    ModeRequest,
    ResetRequest,
    SchedulePublish,
    SetpointRequest,
    ShelveRequest,
    UnshelveRequest,
    WorkOrderAssign,
    WorkOrderCreate,
    WorkOrderStatusRequest,
)

J = dict[str, Any]
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown id; the message says how to list valid ones."},
    409: {
        "description": "Refused by a plant rule (interlock, lock-out, transition, limit); nothing changed."
    },
    422: {"description": "Malformed request; the message names the field and the fix."},
}
IdemKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key when retrying an action: applied once.",
    ),
]
MAX_HISTORY_POINTS = 5000


def _dump(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def create_app(
    plant: Plant | None = None,
    *,
    config: PlantConfig | None = None,
    seed: int = 0,
    scenario: str | None = None,
) -> FastAPI:
    """Build the API around a plant (a new one from config/seed/scenario if none is given)."""
    app = FastAPI(
        title="plantbrain sandbox plant",
        version="0.1.0",
        description="A deterministic simulated factory: topology, sensors, alarms (ISA-18.2), production, "
        "quality, maintenance. Times are ISO-8601 UTC; `*_t` fields are virtual seconds since reset.",
    )
    state: J = {"plant": plant or Plant(config, seed=seed, scenario=scenario), "idem": {}}

    def P() -> Plant:
        p: Plant = state["plant"]
        return p

    # -- errors -----------------------------------------------------------------------------------
    @app.exception_handler(PlantError)
    async def _plant_error(_: Request, e: PlantError) -> JSONResponse:
        return JSONResponse({"detail": e.message, "code": e.code}, status_code=e.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, e: RequestValidationError) -> JSONResponse:
        errs = [
            {"loc": [str(x) for x in err.get("loc", ())], "msg": str(err.get("msg", ""))}
            for err in e.errors()
        ]
        first = errs[0] if errs else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"]) or "request"
        return JSONResponse(
            {
                "detail": f"Invalid request: {where}: {first['msg']}. See /docs for the expected shape.",
                "code": "invalid_request",
                "errors": errs,
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, e: StarletteHTTPException) -> JSONResponse:
        msg = {
            400: "Could not parse the request body as UTF-8 JSON; send a JSON object (see /docs).",
            404: "No such endpoint; the API is listed at /docs (OpenAPI at /openapi.json).",
            405: "Method not allowed on this endpoint; see /docs.",
        }.get(e.status_code, str(e.detail))
        return JSONResponse({"detail": msg, "code": "http_error"}, status_code=e.status_code)

    def act(request: Request, key: str | None, body: BaseModel | None, fn: Callable[[], Any]) -> Response:
        """Run an action once per Idempotency-Key; a refused action is not remembered."""
        if key is None:
            return Response(_dump(fn()), media_type="application/json")
        fp = hashlib.sha256(
            request.method.encode()
            + request.url.path.encode()
            + (body.model_dump_json().encode() if body else b"")
        ).hexdigest()
        seen = state["idem"].get(key)
        if seen is not None:
            if seen[0] != fp:
                raise InvalidRequest(
                    f"Idempotency-Key {key!r} was already used for a different request; "
                    "use a new key for a new action.",
                    code="idempotency_key_reused",
                )
            return Response(seen[1], media_type="application/json", headers={"Idempotent-Replayed": "true"})
        content = _dump(fn())
        state["idem"][key] = (fp, content)
        return Response(content, media_type="application/json")

    # -- control of time and state -----------------------------------------------------------------
    @app.get("/health", tags=["control"], summary="Liveness")
    async def health() -> J:
        return {"ok": True, "clock": views.clock(P())}

    @app.post(
        "/reset",
        tags=["control"],
        summary="Reset the plant to a seed and scenario",
        responses=ERRORS,
    )
    async def reset(body: ResetRequest) -> J:
        new = Plant(P().cfg, seed=body.seed, scenario=body.scenario)
        state["plant"], state["idem"] = new, {}
        return views.plant_info(new)

    @app.get("/clock", tags=["control"], summary="Current virtual time")
    async def get_clock() -> J:
        return views.clock(P())

    @app.post("/clock/advance", tags=["control"], summary="Run the simulation forward", responses=ERRORS)
    async def advance(body: AdvanceRequest) -> J:
        p = P()
        before = len(p.core.events)
        p.advance(body.seconds)
        return {
            "clock": views.clock(p),
            "events": len(p.core.events) - before,
            "next_event_seq": len(p.core.events) + 1,
        }

    @app.get("/state", tags=["control"], summary="The whole observable plant state (stable ordering)")
    async def get_state() -> Response:
        return Response(_dump(views.state(P())), media_type="application/json")

    @app.get("/events", tags=["control"], summary="Events after a cursor", responses=ERRORS)
    async def events(
        since: Annotated[int, Query(ge=0, description="Return events with seq > since.")] = 0,
        limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
        type: Annotated[str | None, Query(max_length=100, description="Type prefix, e.g. 'alarm.'")] = None,
    ) -> J:
        evs = P().core.events
        out = [e for e in evs[since:] if type is None or e["type"].startswith(type)][:limit]
        cursor = out[-1]["seq"] if out else max(since, 0) if type is None else len(evs)
        return {"events": out, "next_cursor": min(cursor, len(evs))}

    @app.get("/scenarios", tags=["control"], summary="Fault scenarios (names and descriptions)")
    async def scenarios() -> list[J]:
        return [
            {
                "name": s.name,
                "title": s.title,
                "title_zh": s.title_zh,
                "description": s.description.strip(),
            }
            for s in load_scenarios().values()
        ]

    @app.get("/plant", tags=["plant"], summary="Site, clock and sizes")
    async def plant_info() -> J:
        return views.plant_info(P())

    @app.get(
        "/topology",
        tags=["plant"],
        summary="Site -> lines -> machines, and the utilities feeding them",
    )
    async def topology() -> J:
        return views.topology(P())

    # -- assets and tags ---------------------------------------------------------------------------
    @app.get("/assets", tags=["plant"], summary="List assets", responses=ERRORS)
    async def assets(
        line: Annotated[str | None, Query(max_length=50)] = None,
        type: Annotated[str | None, Query(max_length=50)] = None,
        category: Annotated[str | None, Query(pattern="^(machine|utility)$")] = None,
    ) -> list[J]:
        p = P()
        if line is not None and line not in {ln.id for ln in p.cfg.lines}:
            raise NotFound(
                f"Unknown line {line!r}; lines are {', '.join(ln.id for ln in p.cfg.lines)} (GET /topology)."
            )
        if type is not None and type not in p.cfg.asset_types:
            raise NotFound(f"Unknown asset type {type!r}; types are {', '.join(p.cfg.asset_types)}.")
        return [
            views.asset(p, a)
            for a in sorted(p.core.assets.values(), key=lambda a: a.id)
            if (line is None or a.line == line)
            and (type is None or a.type == type)
            and (category is None or a.category == category)
        ]

    @app.get(
        "/assets/{asset_id}",
        tags=["plant"],
        summary="One asset with its tags and setpoints",
        responses=ERRORS,
    )
    async def one_asset(asset_id: str) -> J:
        p = P()
        return views.asset(p, p.asset(asset_id), detail=True)

    @app.get(
        "/assets/{asset_id}/failure-modes",
        tags=["maintenance"],
        summary="Failure modes of an asset and the sensors that reveal each",
        responses=ERRORS,
    )
    async def asset_failure_modes(asset_id: str) -> list[J]:
        p = P()
        return views.failure_modes(p, p.asset(asset_id).type)

    @app.get(
        "/failure-modes",
        tags=["maintenance"],
        summary="Failure modes by asset type",
        responses=ERRORS,
    )
    async def all_failure_modes(
        asset_type: Annotated[str | None, Query(max_length=50)] = None,
    ) -> dict[str, list[J]]:
        p = P()
        if asset_type is not None and asset_type not in p.cfg.asset_types:
            raise NotFound(f"Unknown asset type {asset_type!r}; types are {', '.join(p.cfg.asset_types)}.")
        return {t: views.failure_modes(p, t) for t in sorted(p.cfg.asset_types) if asset_type in (None, t)}

    @app.get("/tags", tags=["plant"], summary="Current tag values", responses=ERRORS)
    async def tags(
        asset: Annotated[str | None, Query(max_length=100)] = None,
        kind: Annotated[str | None, Query(max_length=50)] = None,
    ) -> list[J]:
        p = P()
        if asset is not None:
            p.asset(asset)
        return [
            views.tag(p, t.idx)
            for t in p.signals.tags
            if (asset is None or t.asset == asset) and (kind is None or t.spec.kind == kind)
        ]

    def _tag(tag_id: str) -> int:
        t = P().signals.by_id.get(tag_id)
        if t is None:
            raise NotFound(
                f"Unknown tag {tag_id!r}; list tags with GET /tags?asset=<asset id> "
                "(ids look like 'CNC-3.spindle_temp')."
            )
        return t.idx

    @app.get("/tags/{tag_id}", tags=["plant"], summary="One tag's current value", responses=ERRORS)
    async def one_tag(tag_id: str) -> J:
        return views.tag(P(), _tag(tag_id))

    @app.get(
        "/tags/{tag_id}/history",
        tags=["plant"],
        summary="Tag history, bucketed to at most max_points",
        responses=ERRORS,
    )
    async def tag_history(
        tag_id: str,
        since_t: Annotated[float, Query(ge=0, allow_inf_nan=False)] = 0.0,
        until_t: Annotated[float | None, Query(ge=0, allow_inf_nan=False)] = None,
        max_points: Annotated[int, Query(ge=1, le=MAX_HISTORY_POINTS)] = 500,
    ) -> J:
        p = P()
        idx = _tag(tag_id)
        until = p.core.now if until_t is None else until_t
        if until < since_t:
            raise InvalidRequest("until_t must not be before since_t.")
        times, values = p.signals.history(p.signals.tags[idx], since_t, until)
        buckets = max(1, -(-len(times) // max_points))
        points = []
        for k in range(0, len(times), buckets):
            seg = values[k : k + buckets]
            points.append(
                {
                    "t": float(times[k]),
                    "value": round(float(np.mean(seg)), 4),
                    "min": round(float(np.min(seg)), 4),
                    "max": round(float(np.max(seg)), 4),
                }
            )
        tg = p.signals.tags[idx]
        return {
            "tag": tg.id,
            "unit": tg.spec.unit,
            "sample_period_s": p.core.dt,
            "bucket_samples": buckets,
            "points": points,
        }

    @app.get("/setpoints", tags=["plant"], summary="Setpoints and their limits", responses=ERRORS)
    async def setpoints(asset: Annotated[str | None, Query(max_length=100)] = None) -> list[J]:
        p = P()
        if asset is not None:
            p.asset(asset)
        return [views.setpoint(p, a, n) for a, n in sorted(p.setpoints) if asset in (None, a)]

    @app.post(
        "/setpoints/{asset_id}/{name}",
        tags=["actions"],
        summary="Change a setpoint within its limits",
        responses=ERRORS,
    )
    async def set_setpoint(
        asset_id: str,
        name: str,
        body: SetpointRequest,
        request: Request,
        idempotency_key: IdemKey = None,
    ) -> Response:
        return act(
            request,
            idempotency_key,
            body,
            lambda: P().set_setpoint(asset_id, name, body.value, body.by),
        )

    @app.post(
        "/machines/{asset_id}/mode",
        tags=["actions"],
        summary="Start (auto) or stop a machine",
        responses=ERRORS,
    )
    async def set_mode(
        asset_id: str, body: ModeRequest, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        def run() -> J:
            p = P()
            return views.asset(p, p.set_mode(asset_id, body.mode, body.by, body.reason))

        return act(request, idempotency_key, body, run)

    # -- alarms ----------------------------------------------------------------------------------------
    @app.get(
        "/alarms",
        tags=["alarms"],
        summary="Alarms (default: those not in NORM, or shelved)",
        responses=ERRORS,
    )
    async def alarms(
        state_: Annotated[str | None, Query(alias="state", pattern="^(NORM|UNACK|ACKED|RTNUN|any)$")] = None,
        asset: Annotated[str | None, Query(max_length=100)] = None,
        priority: Annotated[str | None, Query(pattern="^(high|medium|low)$")] = None,
        shelved: bool | None = None,
    ) -> J:
        p = P()
        if asset is not None:
            p.asset(asset)
        sel = [
            a
            for a in p.alarms.alarms
            if (asset is None or a.asset == asset)
            and (priority is None or a.priority == priority)
            and (shelved is None or (a.shelved_until is not None) == shelved)
            and (
                state_ == "any"
                or (a.state == state_ if state_ else (a.state != "NORM" or a.shelved_until is not None))
            )
        ]
        now = p.core.now
        recent = [e for e in p.core.events[-5000:] if e["type"] == "alarm.raised" and e["t"] > now - 600]
        return {"alarms": [p.alarms.view(a) for a in sel], "raised_last_10_min": len(recent)}

    @app.get("/alarms/{alarm_id}", tags=["alarms"], summary="One alarm", responses=ERRORS)
    async def one_alarm(alarm_id: str) -> J:
        p = P()
        return p.alarms.view(p.alarms.get(alarm_id))

    @app.post(
        "/alarms/{alarm_id}/acknowledge",
        tags=["actions"],
        summary="Acknowledge an alarm",
        responses=ERRORS,
    )
    async def ack(
        alarm_id: str, body: AckRequest, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        p = P()
        return act(
            request,
            idempotency_key,
            body,
            lambda: p.alarms.view(p.alarms.acknowledge(alarm_id, body.by, body.comment)),
        )

    @app.post(
        "/alarms/{alarm_id}/shelve",
        tags=["actions"],
        summary="Shelve an alarm for a limited time",
        responses=ERRORS,
    )
    async def shelve(
        alarm_id: str, body: ShelveRequest, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        p = P()
        return act(
            request,
            idempotency_key,
            body,
            lambda: p.alarms.view(p.alarms.shelve(alarm_id, body.by, body.duration_s, body.reason)),
        )

    @app.post(
        "/alarms/{alarm_id}/unshelve",
        tags=["actions"],
        summary="Return a shelved alarm to service",
        responses=ERRORS,
    )
    async def unshelve(
        alarm_id: str, body: UnshelveRequest, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        p = P()
        return act(
            request,
            idempotency_key,
            body,
            lambda: p.alarms.view(p.alarms.unshelve(alarm_id, body.by)),
        )

    # -- production and quality ------------------------------------------------------------------------
    @app.get("/jobs", tags=["production"], summary="Jobs (orders) with their routings", responses=ERRORS)
    async def jobs(
        status: Annotated[str | None, Query(pattern="^(planned|released|in_process|complete)$")] = None,
        machine: Annotated[str | None, Query(max_length=50)] = None,
    ) -> list[J]:
        p = P()
        if machine is not None:
            p.asset(machine)
        out = [
            views.job(p, j)
            for _, j in sorted(p.production.jobs.items())
            if machine is None or any(op.machine == machine for op in j.ops)
        ]
        return [j for j in out if status is None or j["status"] == status]

    @app.get("/jobs/{job_id}", tags=["production"], summary="One job", responses=ERRORS)
    async def one_job(job_id: str) -> J:
        p = P()
        return views.job(p, p.production.job(job_id))

    @app.get("/schedule", tags=["production"], summary="The published schedule, per machine in order")
    async def schedule() -> J:
        p = P()
        prod = p.production
        return {
            "version": prod.schedule_version,
            **{k: v for k, v in prod.schedule_meta.items() if k != "published_t"},
            "published_time": p.core.iso(prod.schedule_meta.get("published_t", 0.0)),
            "machines": {
                m: [
                    {
                        "job": op.job,
                        "op": op.index,
                        "status": op.status,
                        "planned_start_t": op.planned_start,
                        "nominal_duration_s": round(prod.nominal_duration(op), 1),
                    }
                    for op in q
                ]
                for m, q in sorted(prod.queue.items())
            },
            "unscheduled": [
                f"{j.id}/{op.index}"
                for _, j in sorted(prod.jobs.items())
                for op in j.ops
                if op.status in ("pending", "paused") and op.machine is None
            ],
        }

    @app.post(
        "/schedule",
        tags=["actions"],
        summary="Publish a schedule (replaces the current one)",
        responses=ERRORS,
    )
    async def publish(body: SchedulePublish, request: Request, idempotency_key: IdemKey = None) -> Response:
        rows = [(a.job, a.op, a.machine, a.start_t) for a in body.assignments]
        return act(
            request,
            idempotency_key,
            body,
            lambda: P().production.publish(rows, body.by, body.reason),
        )

    @app.get("/materials", tags=["production"], summary="Raw material stock and deliveries")
    async def materials() -> list[J]:
        return views.materials(P())

    @app.get("/lots", tags=["quality"], summary="Lots with hold state", responses=ERRORS)
    async def lots(
        on_hold: bool | None = None,
        status: Annotated[str | None, Query(pattern="^(queued|in_process|complete)$")] = None,
    ) -> list[J]:
        p = P()
        return [
            views.lot(p, lt)
            for _, lt in sorted(p.production.lots.items())
            if (on_hold is None or lt.on_hold == on_hold) and (status is None or lt.status == status)
        ]

    @app.get("/lots/{lot_id}", tags=["quality"], summary="One lot", responses=ERRORS)
    async def one_lot(lot_id: str) -> J:
        p = P()
        return views.lot(p, p.production.lot(lot_id))

    @app.post(
        "/lots/{lot_id}/hold",
        tags=["actions"],
        summary="Put a lot on quality hold",
        responses=ERRORS,
    )
    async def hold(
        lot_id: str, body: LotAction, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        p = P()
        return act(
            request,
            idempotency_key,
            body,
            lambda: views.lot(p, p.hold_lot(lot_id, body.by, body.reason)),
        )

    @app.post("/lots/{lot_id}/release", tags=["actions"], summary="Release a held lot", responses=ERRORS)
    async def release(
        lot_id: str, body: LotAction, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        p = P()
        return act(
            request,
            idempotency_key,
            body,
            lambda: views.lot(p, p.release_lot(lot_id, body.by, body.reason)),
        )

    @app.get(
        "/measurements",
        tags=["quality"],
        summary="Quality measurements, oldest first",
        responses=ERRORS,
    )
    async def measurements(
        lot: Annotated[str | None, Query(max_length=50)] = None,
        machine: Annotated[str | None, Query(max_length=50)] = None,
        characteristic: Annotated[str | None, Query(max_length=100)] = None,
        since_t: Annotated[float, Query(ge=0, allow_inf_nan=False)] = 0.0,
        limit: Annotated[int, Query(ge=1, le=20000)] = 2000,
    ) -> J:
        p = P()
        if lot is not None:
            p.production.lot(lot)
        if machine is not None:
            p.asset(machine)
        sel = [
            m
            for m in p.production.measurements
            if (lot is None or m.lot == lot)
            and (machine is None or m.machine == machine)
            and (characteristic is None or m.characteristic == characteristic)
            and m.t >= since_t
        ]
        return {
            "measurements": [views.measurement(p, m) for m in sel[:limit]],
            "total": len(sel),
            "truncated": len(sel) > limit,
        }

    # -- maintenance -----------------------------------------------------------------------------------
    @app.get("/work-orders", tags=["maintenance"], summary="Work orders", responses=ERRORS)
    async def work_orders(
        asset: Annotated[str | None, Query(max_length=100)] = None,
        status: Annotated[str | None, Query(pattern="^(WAPPR|APPR|INPRG|COMP|CLOSE|CAN|open)$")] = None,
    ) -> list[J]:
        p = P()
        if asset is not None:
            p.asset(asset)
        return [
            views.work_order(p, w)
            for _, w in sorted(p.maintenance.work_orders.items())
            if (asset is None or w.asset == asset)
            and (
                status is None
                or w.status == status
                or (status == "open" and w.status in ("WAPPR", "APPR", "INPRG"))
            )
        ]

    @app.get("/work-orders/{wo_id}", tags=["maintenance"], summary="One work order", responses=ERRORS)
    async def one_work_order(wo_id: str) -> J:
        p = P()
        return views.work_order(p, p.maintenance.get(wo_id))

    @app.post(
        "/work-orders",
        tags=["actions"],
        summary="Create a work order (status WAPPR)",
        responses=ERRORS,
    )
    async def create_work_order(
        body: WorkOrderCreate, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        window = None
        if body.window_start_t is not None or body.window_end_t is not None:
            if body.window_start_t is None or body.window_end_t is None:
                raise InvalidRequest("Give both window_start_t and window_end_t, or neither.")
            window = (body.window_start_t, body.window_end_t)

        def run() -> J:
            p = P()
            wo = p.create_work_order(
                body.asset,
                wo_type=body.type,
                priority=body.priority,
                description=body.description,
                by=body.by,
                failure_mode=body.failure_mode,
                lockout=body.lockout,
                parts=body.parts,
                estimated_h=body.estimated_h,
                window=window,
            )
            return views.work_order(p, wo)

        return act(request, idempotency_key, body, run)

    @app.post(
        "/work-orders/{wo_id}/status",
        tags=["actions"],
        summary="Move a work order along its lifecycle",
        responses=ERRORS,
    )
    async def wo_status(
        wo_id: str, body: WorkOrderStatusRequest, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        p = P()
        return act(
            request,
            idempotency_key,
            body,
            lambda: views.work_order(p, p.work_order_status(wo_id, body.status, body.by, body.note)),
        )

    @app.post(
        "/work-orders/{wo_id}/assign",
        tags=["actions"],
        summary="Assign technicians",
        responses=ERRORS,
    )
    async def wo_assign(
        wo_id: str, body: WorkOrderAssign, request: Request, idempotency_key: IdemKey = None
    ) -> Response:
        p = P()
        return act(
            request,
            idempotency_key,
            body,
            lambda: views.work_order(p, p.maintenance.assign(wo_id, body.technicians, body.by)),
        )

    @app.get("/technicians", tags=["maintenance"], summary="Technicians, skills and shifts")
    async def technicians() -> list[J]:
        p = P()
        return [views.technician(p, t) for _, t in sorted(p.maintenance.technicians.items())]

    @app.get("/parts", tags=["maintenance"], summary="Spare parts stock")
    async def parts() -> list[J]:
        return views.spare_parts(P())

    @app.get(
        "/maintenance-history",
        tags=["maintenance"],
        summary="Completed maintenance per asset",
        responses=ERRORS,
    )
    async def maintenance_history(
        asset: Annotated[str | None, Query(max_length=100)] = None,
    ) -> list[J]:
        p = P()
        if asset is not None:
            p.asset(asset)
        done = [
            {
                "asset": w.asset,
                "type": w.type,
                "failure_mode": w.failure_mode,
                "description": w.description,
                "completed": p.core.iso(w.completed_t),
                "t": w.completed_t,
                "work_order": w.id,
            }
            for w in p.maintenance.work_orders.values()
            if w.completed_t is not None
        ]
        return [h for h in p.maintenance.history + done if asset in (None, h["asset"])]

    return app
