"""The plant client: error mapping to `ToolError(kind=...)`, retries, idempotency keys.

Faults are injected by `Faults`, a transport wrapper in front of the in-process plant: a timeout
or a 503 before the plant sees a request, or after it applied one (the answer was lost). Exactly-
once is checked on the plant's own state: one work order, not two.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import tools as t
from tests.tools.support import Env, Faults, run_plant
from tools import PlantClient, PlantClientConfig, ToolError

WO = t.CreateWorkOrderArgs(asset="P-101", type="CM", priority=1, description="Pump cavitating")


async def _work_orders(env: Env) -> list[dict[str, Any]]:
    wos: list[dict[str, Any]] = (await env.state())["work_orders"]
    return wos


def _keys(faults: Faults, method: str = "POST") -> list[str | None]:
    return [r.headers.get("Idempotency-Key") for r in faults.seen if r.method == method]


# -- error mapping: one function, every kind -------------------------------------------------------------
def test_plant_errors_map_to_kinds_with_actionable_messages() -> None:
    async def body(env: Env) -> None:
        c = env.client
        with pytest.raises(ToolError) as e404:
            await t.get_asset(c, t.GetAssetArgs(asset_id="P-2O1"))
        assert (e404.value.kind, e404.value.status, e404.value.code) == ("not_found", 404, "not_found")
        assert "list assets with GET /assets" in e404.value.message
        assert e404.value.observation().startswith("ToolError[not_found]: Unknown asset 'P-2O1'")

        with pytest.raises(ToolError) as e_path:  # ids are one path segment, never path syntax
            await t.get_asset(c, t.GetAssetArgs(asset_id="../clock"))
        assert e_path.value.kind == "not_found"

        await t.hold_lot(c, t.LotActionArgs(lot_id="LOT-0001", reason="suspect"))
        with pytest.raises(ToolError) as e409:
            await t.hold_lot(c, t.LotActionArgs(lot_id="LOT-0001", reason="again"))
        assert (e409.value.kind, e409.value.status, e409.value.code) == (
            "conflict",
            409,
            "invalid_transition",
        )
        assert "already on hold" in e409.value.message and "Nothing was changed" in e409.value.message

        with pytest.raises(ToolError) as e_limit:
            await t.set_setpoint(c, t.SetSetpointArgs(asset_id="CNC-1", name="spindle_speed", value=99999))
        assert (e_limit.value.kind, e_limit.value.code) == ("conflict", "limit")

        await t.set_machine_mode(c, t.SetMachineModeArgs(asset_id="CNC-2", mode="stopped", reason="x"))
        wo = await t.create_work_order(
            c, t.CreateWorkOrderArgs(asset="CNC-2", type="CM", priority=1, description="x")
        )
        await t.assign_work_order(c, t.AssignWorkOrderArgs(work_order_id=wo.id, technicians=["T-01"]))
        for status in ("APPR", "INPRG"):
            await t.update_work_order_status(
                c, t.UpdateWorkOrderStatusArgs(work_order_id=wo.id, status=status)
            )
        with pytest.raises(ToolError) as e_interlock:  # locked out: starting it is an interlock
            await t.set_machine_mode(c, t.SetMachineModeArgs(asset_id="CNC-2", mode="auto", reason="x"))
        assert (e_interlock.value.kind, e_interlock.value.status) == ("interlock", 409)
        assert "do not retry" in e_interlock.value.message

        with pytest.raises(ToolError) as e422:  # the plant's own validation (half a window)
            await t.create_work_order(c, WO.model_copy(update={"window_start_t": 10.0}))
        assert (e422.value.kind, e422.value.status) == ("invalid_args", 422)
        assert "window_end_t" in e422.value.message
        with pytest.raises(ToolError) as e422b:
            await t.publish_schedule(
                c,
                t.PublishScheduleArgs(
                    assignments=[t.Assignment(job="JOB-9999", op=0, machine="CNC-1", start_t=0)], reason="x"
                ),
            )
        assert e422b.value.kind == "invalid_args" and "unknown job" in e422b.value.message
        assert env.faults.calls("GET", "/assets") == 2, "4xx answers are not retried"

    run_plant(body)


def test_bad_arguments_from_a_model_are_invalid_args_before_any_request() -> None:
    async def body(env: Env) -> None:
        spec = t.find_tool("shelve_alarm")
        with pytest.raises(ToolError) as e:
            await spec.invoke(env.client, {"alarm_id": "X", "duration_s": 99999, "colour": "red"})
        assert e.value.kind == "invalid_args" and e.value.status is None
        assert "duration_s" in e.value.message and "colour" in e.value.message and "reason" in e.value.message
        assert env.faults.seen == []

    run_plant(body)


@pytest.mark.parametrize(
    ("status", "kind"),
    [(401, "forbidden"), (403, "forbidden"), (400, "invalid_args"), (500, "plant_unavailable")],
)
def test_statuses_the_sandbox_never_sends_still_map(status: int, kind: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text="<html>gateway says no</html>")

    async def main() -> ToolError:
        cfg = PlantClientConfig(base_url="http://gw", retries=1, backoff_s=0)
        async with PlantClient(cfg, transport=httpx.MockTransport(handler)) as c:
            with pytest.raises(ToolError) as e:
                await t.get_clock(c, t.NoArgs())
            return e.value

    err = asyncio.run(main())
    assert (err.kind, err.status) == (kind, status)
    assert "GET /clock -> " in err.message and "gateway says no" in err.message


def test_unreadable_success_is_a_protocol_error_not_a_tool_error() -> None:
    async def main() -> None:
        transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"t": "soon"}))
        async with PlantClient(PlantClientConfig(base_url="http://gw"), transport=transport) as c:
            with pytest.raises(t.PlantProtocolError, match="does not match Clock"):
                await t.get_clock(c, t.NoArgs())

    asyncio.run(main())


# -- retries -------------------------------------------------------------------------------------------------
def test_get_is_retried_through_timeouts_and_503s() -> None:
    async def body(env: Env) -> None:
        env.faults.script = ["timeout", "503", "timeout"]
        clock = await t.get_clock(env.client, t.NoArgs())
        assert clock.t == 3600.0 and env.faults.calls("GET", "/clock") == 4

    run_plant(body)


def test_get_gives_up_after_the_configured_retries() -> None:
    async def body(env: Env) -> None:
        env.faults.script = ["503"] * 5
        with pytest.raises(ToolError) as e:
            await t.list_alarms(env.client, t.ListAlarmsArgs())
        assert (e.value.kind, e.value.status) == ("plant_unavailable", 503)
        assert "after 3 attempts" in e.value.message and env.faults.calls("GET") == 3
        env.faults.script = ["timeout"] * 5
        with pytest.raises(ToolError) as e2:
            await t.list_alarms(env.client, t.ListAlarmsArgs())
        assert e2.value.kind == "timeout" and "try again later" in e2.value.message.lower()

    run_plant(body, config=PlantClientConfig(base_url="http://plant", retries=2, backoff_s=0))


def test_keyed_write_is_retried_and_applied_exactly_once() -> None:
    async def body(env: Env) -> None:
        # First attempt: applied, answer lost (503). Second: applied again? No: replayed, answer lost (timeout).
        env.faults.script, env.faults.method = ["503_after", "timeout_after"], "POST"
        keyed = env.client.with_idempotency_key("run-1:step-4")
        wo = await t.create_work_order(keyed, WO)
        assert env.faults.calls("POST", "/work-orders") == 3
        keys = _keys(env.faults)
        assert len(set(keys)) == 1 and keys[0] is not None and keys[0].startswith("run-1:step-4:")
        assert [w["id"] for w in await _work_orders(env)] == [wo.id]

    run_plant(body)


def test_write_gets_its_own_key_by_default_and_is_retried_once_applied() -> None:
    async def body(env: Env) -> None:
        env.faults.script, env.faults.method = ["timeout_after", "503"], "POST"
        wo = await t.create_work_order(env.client, WO)
        keys = _keys(env.faults)
        assert len(keys) == 3 and len(set(keys)) == 1 and keys[0]
        assert [w["id"] for w in await _work_orders(env)] == [wo.id]
        await t.create_work_order(env.client, WO)  # a new logical write: a new key, a second order
        assert len(set(_keys(env.faults))) == 2 and len(await _work_orders(env)) == 2

    run_plant(body)


def test_write_without_a_key_is_never_retried() -> None:
    async def body(env: Env) -> None:
        env.faults.script, env.faults.method = ["503"], "POST"
        with pytest.raises(ToolError) as e:
            await t.create_work_order(env.client, WO)
        assert e.value.kind == "plant_unavailable" and "not retried" in e.value.message
        assert env.faults.calls("POST") == 1 and _keys(env.faults) == [None]
        assert await _work_orders(env) == []

        # Applied but the answer was lost: still not retried (it would create a second order).
        env.faults.script = ["timeout_after"]
        with pytest.raises(ToolError) as e2:
            await t.create_work_order(env.client, WO)
        assert e2.value.kind == "timeout" and "read the plant state" in e2.value.message
        assert env.faults.calls("POST") == 2 and len(await _work_orders(env)) == 1

    run_plant(
        body, config=PlantClientConfig(base_url="http://plant", backoff_s=0, auto_idempotency_keys=False)
    )


def test_resumed_step_reuses_its_key_and_the_plant_replays() -> None:
    async def body(env: Env) -> None:
        spec = t.find_tool("create_work_order")
        first = await spec.invoke(env.client, WO.model_dump(), idempotency_key="run-9:step-2")
        again = await spec.invoke(env.client, WO, idempotency_key="run-9:step-2")  # after a crash
        assert again == first and len(await _work_orders(env)) == 1
        # One step key over writes to different objects: each applied once, no collision.
        keyed = env.client.with_idempotency_key("run-9:step-3")
        for lot in ("LOT-0001", "LOT-0003"):
            await t.hold_lot(keyed, t.LotActionArgs(lot_id=lot, reason="drift"))
        held = [x["id"] for x in (await env.state())["lots"] if x["on_hold"]]
        assert held == ["LOT-0001", "LOT-0003"]

    run_plant(body)


def test_attempt_time_limit_holds_on_any_transport_and_backoff_doubles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    class Stuck(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request.url.path)
            await asyncio.Event().wait()  # never set: the plant never answers
            raise AssertionError("unreachable")

    slept: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(s: float) -> None:
        slept.append(s)
        await real_sleep(0)

    # asyncio.sleep is only the client's backoff here (Stuck waits on an Event instead).
    monkeypatch.setattr("tools._client.asyncio.sleep", fake_sleep)

    async def main() -> ToolError:
        cfg = PlantClientConfig(
            base_url="http://gw", timeout_s=0.05, retries=4, backoff_s=0.5, max_backoff_s=1.5
        )
        async with PlantClient(cfg, transport=Stuck()) as c:
            with pytest.raises(ToolError) as e:
                await t.get_clock(c, t.NoArgs())
            return e.value

    err = asyncio.run(asyncio.wait_for(main(), timeout=5))
    assert err.kind == "timeout" and len(calls) == 5
    assert slept == [0.5, 1.0, 1.5, 1.5]


def test_connect_error_is_plant_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async def main() -> ToolError:
        cfg = PlantClientConfig(base_url="http://gw", retries=2, backoff_s=0)
        async with PlantClient(cfg, transport=httpx.MockTransport(refuse)) as c:
            with pytest.raises(ToolError) as e:
                await t.list_assets(c, t.ListAssetsArgs())
            return e.value

    err = asyncio.run(main())
    assert err.kind == "plant_unavailable" and "ConnectError" in err.message and "3 attempts" in err.message


def test_config_is_validated_and_frozen() -> None:
    with pytest.raises(ValueError, match="retries"):
        PlantClientConfig(base_url="http://plant", retries=-1)
    with pytest.raises(ValueError, match="timeout_s"):
        PlantClientConfig(base_url="http://plant", timeout_s=0)
    cfg = PlantClientConfig(base_url="http://plant")
    with pytest.raises(AttributeError):
        cfg.retries = 9  # type: ignore[misc]
