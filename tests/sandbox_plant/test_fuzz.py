"""Schema-driven fuzzing of the plant's HTTP API with schemathesis: no request, however odd,
may make the API answer with a server error (5xx).

Every operation of the OpenAPI document is fuzzed against one in-process app (ASGI, no
network). Purely random ids almost always hit the 404 path, so most generated ids are swapped
for real ones (an asset, a tag, a lot, ...) chosen by a hash of the generated value: the
actions then reach the plant's rules, not only the lookups. Runs are bounded and
deterministic (derandomized Hypothesis); POST /clock/advance costs simulation time per call,
so it gets fewer examples than the rest.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from sandbox_plant import Plant, create_app

pytestmark = pytest.mark.fuzz

APP = create_app(Plant(seed=3, scenario="coolant_pump_failure"))
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
ADVANCE = "/clock/advance"
NO_SERVER_ERROR = [schemathesis.checks.not_a_server_error]
COMMON: dict[str, Any] = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
}


async def _real_ids() -> dict[str, list[str]]:
    """Valid ids, read through the API, plus a few work orders in different states."""
    transport = httpx.ASGITransport(app=APP)
    async with httpx.AsyncClient(transport=transport, base_url="http://plant") as c:

        async def get(url: str) -> Any:
            r = await c.get(url)
            r.raise_for_status()
            return r.json()

        assets = await get("/assets")
        techs = await get("/technicians")
        failure_modes = await get("/failure-modes")
        wos = []
        for k, (asset, fm) in enumerate([("CNC-1", "tool_wear"), ("P-101", "seal_leak"), ("OVN-1", None)]):
            body = {"asset": asset, "type": "CM", "priority": 2, "description": f"fuzz seed {k}"}
            if fm:
                body["failure_mode"] = fm
            r = await c.post("/work-orders", json=body)
            r.raise_for_status()
            wos.append(r.json()["id"])
        await c.post(f"/work-orders/{wos[0]}/status", json={"status": "APPR"})
        await c.post(f"/work-orders/{wos[0]}/assign", json={"technicians": ["T-03"]})
        return {
            "asset": [a["id"] for a in assets],
            "machine": [a["id"] for a in assets if a["category"] == "machine"],
            "line": sorted({a["line"] for a in assets if a["line"]}),
            "asset_type": sorted({a["type"] for a in assets}),
            "tag": [t["id"] for t in await get("/tags")],
            "alarm": [a["id"] for a in (await get("/alarms?state=any"))["alarms"]],
            "lot": [x["id"] for x in await get("/lots")],
            "job": [j["id"] for j in await get("/jobs")],
            "setpoint": [s["id"] for s in await get("/setpoints")],
            "technician": [t["id"] for t in techs],
            "part": [p["id"] for p in await get("/parts")],
            "failure_mode": sorted({m["id"] for ms in failure_modes.values() for m in ms}),
            "scenario": [s["name"] for s in await get("/scenarios")],
            "work_order": [*wos, "WO-1004", "WO-1005"],
        }


IDS = asyncio.run(_real_ids())

# parameter or body field name -> kind of id it holds
PATH_IDS = {
    "asset_id": "asset",
    "tag_id": "tag",
    "alarm_id": "alarm",
    "lot_id": "lot",
    "job_id": "job",
    "wo_id": "work_order",
}
QUERY_IDS = {"asset": "asset", "machine": "machine", "line": "line", "asset_type": "asset_type", "lot": "lot"}
BODY_IDS = {
    "asset": "asset",
    "failure_mode": "failure_mode",
    "scenario": "scenario",
    "job": "job",
    "machine": "machine",
}


def _real(kind: str, value: Any) -> Any:
    """A real id instead of `value` three times in four, chosen by a hash of `value`."""
    h = zlib.crc32(repr((kind, value)).encode())
    if h % 4 == 0:
        return value
    choices = IDS[kind]
    return choices[(h >> 2) % len(choices)]


def _swap(values: dict[str, Any], names: dict[str, str]) -> None:
    for key, kind in names.items():
        if isinstance(values.get(key), str):
            values[key] = _real(kind, values[key])


def _swap_body(body: Any) -> None:
    if not isinstance(body, dict):
        return
    _swap(body, BODY_IDS)
    if isinstance(body.get("technicians"), list):
        body["technicians"] = [
            _real("technician", t) if isinstance(t, str) else t for t in body["technicians"]
        ]
    if isinstance(body.get("parts"), dict):
        body["parts"] = {_real("part", p): q for p, q in body["parts"].items()}
    if isinstance(body.get("assignments"), list):
        for a in body["assignments"]:
            if isinstance(a, dict):
                _swap(a, BODY_IDS)


def _with_real_ids(case: schemathesis.Case) -> None:
    params = case.path_parameters
    if params:
        _swap(params, PATH_IDS)
        if isinstance(params.get("name"), str) and "asset_id" in params:
            # a setpoint: a real (asset, name) pair, not a real asset with another type's name
            pair = _real("setpoint", params["name"])
            if pair in IDS["setpoint"]:
                params["asset_id"], _, params["name"] = pair.partition(".")
    if case.query:
        _swap(case.query, QUERY_IDS)
    _swap_body(case.body)


def test_schema_lists_operations() -> None:
    """The fuzz runs below only mean something if the schema has the plant's operations."""
    paths = set(SCHEMA.raw_schema["paths"])
    assert {"/assets", "/alarms", "/work-orders", "/schedule", "/lots", ADVANCE} <= paths
    assert len(IDS["asset"]) > 10 and len(IDS["alarm"]) > 10


@SCHEMA.exclude(path=ADVANCE).parametrize()
@settings(max_examples=25, **COMMON)
def test_no_server_error(case: schemathesis.Case) -> None:
    _with_real_ids(case)
    case.call_and_validate(checks=NO_SERVER_ERROR)


@SCHEMA.include(path=ADVANCE).parametrize()
@settings(max_examples=8, **COMMON)
def test_no_server_error_clock_advance(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=NO_SERVER_ERROR)
