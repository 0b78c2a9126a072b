"""Plant API routes: production, quality and maintenance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from . import _views as views
from ._api_common import ERRORS, Act, IdemKey, PlantRef
from ._errors import InvalidRequest
from ._plant import Plant
from ._schemas import (
    MAX_T,
    JobCreate,
    LotAction,
    SchedulePublish,
    WorkOrderAssign,
    WorkOrderCreate,
    WorkOrderStatusRequest,
)

J = dict[str, Any]


def _plant_t(p: Plant, name: str, value: str) -> float:
    """An ISO 8601 time of a request body in seconds since reset, the plant's `*_t` scale."""
    example = p.core.iso(p.core.now)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            f"{name} {value!r} is not an ISO 8601 time; write it like {example!r} (now)."
        ) from None
    if when.tzinfo is None:
        raise InvalidRequest(
            f"{name} {value!r} has no UTC offset; add one, e.g. 'Z' for UTC as in {example!r} (now)."
        )
    t = (when - p.core.epoch).total_seconds()
    if not 0 <= t <= MAX_T:
        raise InvalidRequest(
            f"{name} {value!r} is outside the plant's calendar; give a time between the reset "
            f"({p.core.iso(0)}) and ten years after it."
        )
    return t


def add_ops_routes(app: FastAPI, P: PlantRef, act: Act) -> None:  # noqa: N803
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

    @app.post(
        "/jobs",
        tags=["actions"],
        summary="Add a job (order intake); it runs once a published schedule includes it",
        responses=ERRORS,
    )
    async def create_job(body: JobCreate, request: Request, idempotency_key: IdemKey = None) -> Response:
        def run() -> J:
            p = P()
            if body.due_time is not None and body.due_in_h is None:
                due = _plant_t(p, "due_time", body.due_time)
            elif body.due_in_h is not None and body.due_time is None:
                due = p.core.now + body.due_in_h * 3600
            else:
                raise InvalidRequest(
                    "Give exactly one of due_time (ISO 8601, e.g. "
                    f"{p.core.iso(p.core.now + 8 * 3600)!r}) or due_in_h (hours from now)."
                )
            release = None if body.release_time is None else _plant_t(p, "release_time", body.release_time)
            job = p.production.create_job(
                body.product, body.qty, due, release=release, by=body.by, reason=body.reason
            )
            return views.job(p, job)

        return act(request, idempotency_key, body, run)

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
