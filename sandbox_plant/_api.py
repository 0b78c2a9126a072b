"""The plant's HTTP API (FastAPI). A thin layer: validate, call `Plant`, return its views.

Errors: 404 unknown id, 409 refused by a plant rule, 422 malformed request; every error body is
`{"detail": "<what went wrong and what to do>", "code": "<kind>"}`. Actions accept an
`Idempotency-Key` header: a retried action with the same key and body is applied once and its
first answer is returned again (`Idempotent-Replayed: true`).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import _views as views
from ._api_common import ERRORS, J, dump
from ._api_ops import add_ops_routes
from ._api_plant import add_plant_routes
from ._config import PlantConfig, load_scenarios
from ._errors import InvalidRequest, PlantError
from ._plant import Plant
from ._schemas import AdvanceRequest, ResetRequest


class _Sandbox:
    """What one app serves: the plant, and the answers of actions by Idempotency-Key."""

    __slots__ = ("__weakref__", "idem", "plant")

    def __init__(self, plant: Plant) -> None:
        self.plant = plant
        self.idem: dict[str, tuple[str, bytes]] = {}


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
    # The app owns its plant; the endpoints reach it through a weak reference, so that FastAPI's
    # cache of endpoint callables (which keeps thousands of them) does not keep old plants alive.
    box = _Sandbox(plant or Plant(config, seed=seed, scenario=scenario))
    app.state.sandbox = box
    ref = weakref.ref(box)

    def S() -> _Sandbox:
        live = ref()
        if live is None:
            raise RuntimeError("this sandbox app has been discarded")
        return live

    def P() -> Plant:
        return S().plant

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
            return Response(dump(fn()), media_type="application/json")
        fp = hashlib.sha256(
            request.method.encode()
            + request.url.path.encode()
            + (body.model_dump_json().encode() if body else b"")
        ).hexdigest()
        seen = S().idem.get(key)
        if seen is not None:
            if seen[0] != fp:
                raise InvalidRequest(
                    f"Idempotency-Key {key!r} was already used for a different request; "
                    "use a new key for a new action.",
                    code="idempotency_key_reused",
                )
            return Response(seen[1], media_type="application/json", headers={"Idempotent-Replayed": "true"})
        content = dump(fn())
        S().idem[key] = (fp, content)
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
        box = S()
        box.plant, box.idem = new, {}
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
        return Response(dump(views.state(P())), media_type="application/json")

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

    add_plant_routes(app, P, act)
    add_ops_routes(app, P, act)
    return app
