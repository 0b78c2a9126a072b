"""Plant API routes: assets, tags, setpoints, machine modes and alarms."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from . import _views as views
from ._api_common import ERRORS, MAX_HISTORY_POINTS, Act, IdemKey, PlantRef
from ._errors import InvalidRequest, NotFound
from ._schemas import AckRequest, ModeRequest, SetpointRequest, ShelveRequest, UnshelveRequest

J = dict[str, Any]


def add_plant_routes(app: FastAPI, P: PlantRef, act: Act) -> None:  # noqa: N803
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
        recent = p.alarms.raised_since(now - 600)
        return {"alarms": [p.alarms.view(a) for a in sel], "raised_last_10_min": recent}

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
