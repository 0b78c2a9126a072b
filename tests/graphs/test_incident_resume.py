"""Crash and resume, and the approval gate: no duplicate work order, nothing critical unapproved."""

from __future__ import annotations

import asyncio

import httpx
from pydantic import JsonValue

from agents._decision import Decision
from graphs import (
    Act,
    Approval,
    Declined,
    Situation,
    Specialist,
    continue_incident,
    resume_incident,
    run_incident,
)
from plantbrain.state import RedisSaver
from sandbox_plant import create_app
from tools import GetAssetArgs, PlantClient, get_asset

from .support import CORE, KillAfter, Killed, fast_config, run, sandbox, work_orders


def test_killed_after_the_first_write_resumes_without_a_duplicate(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        killer: list[KillAfter] = []

        def wrap(inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
            killer.append(KillAfter(inner, lambda r: r.url.path == "/work-orders"))
            return killer[0]

        async with sandbox("coolant_pump_failure", 2, wrap=wrap) as sb:
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                try:
                    await run(sb, saver, run_id="killed-1")
                except Killed:
                    pass
                else:
                    raise AssertionError("the run should have been killed")
                assert len(await work_orders(sb.client)) == 1  # applied before the kill
            # A new process: new saver, new graph instance, same thread.
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                out = await continue_incident(sb.client, saver, "killed-1", specialists=CORE)
            assert out["status"] == "completed", out
            wos = await work_orders(sb.client)
            assert [w.asset for w in wos] == ["P-201"], wos
            assert out["work_orders"] == [wos[0].id]
            assert out["root_cause"] == ["P-201"]

    asyncio.run(go())


def _stopper(asset: str) -> Specialist:
    async def agent(client: PlantClient, act: Act, situation: Situation) -> Decision:
        answer = await act("set_machine_mode", {"asset_id": asset, "mode": "stopped", "reason": "lock-out"})
        return Decision(
            agent="maintenance",
            summary="declined" if isinstance(answer, Declined) else "stopped",
            rule="test",
            rationale="a scripted specialist proposing one critical action",
            confidence=1.0,
        )

    return agent


async def _mode(client: PlantClient, asset: str) -> str:
    return (await get_asset(client, GetAssetArgs(asset_id=asset))).mode


def _start(redis_url: str, key_prefix: str, run_id: str) -> tuple[PlantClient, dict[str, Specialist]]:
    client = PlantClient(fast_config(), transport=httpx.ASGITransport(app=create_app(seed=0)))
    return client, {"alarm_triage": _stopper("CNC-1")}


TRIGGER: dict[str, JsonValue] = {"type": "operator.request", "t": 0.0}


def test_critical_action_waits_and_only_a_supervisor_approves(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        client, agents = _start(redis_url, key_prefix, "appr-1")
        async with client:
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                out = await run_incident(
                    client, saver, run_id="appr-1", trigger=TRIGGER, origin={}, specialists=agents
                )
            assert out["status"] == "awaiting_approval"
            (pending,) = out["pending_approvals"]  # type: ignore[misc]
            assert pending["tool"] == "set_machine_mode" and pending["risk"] == "critical"  # type: ignore[index]
            assert await _mode(client, "CNC-1") == "auto"
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                op = Approval(approved=True, by="wang", role="operator")
                out = await resume_incident(client, saver, "appr-1", op, specialists=agents)
            assert out["status"] == "awaiting_approval", out
            (pending,) = out["pending_approvals"]  # type: ignore[misc]
            assert pending["refusals"][0]["role"] == "operator"  # type: ignore[index]
            assert await _mode(client, "CNC-1") == "auto"
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                sup = Approval(approved=True, by="li", role="supervisor")
                out = await resume_incident(client, saver, "appr-1", sup, specialists=agents)
            assert out["status"] == "completed" and out["pending_approvals"] == []
            assert await _mode(client, "CNC-1") == "stopped"

    asyncio.run(go())


def test_rejected_critical_action_is_dropped(redis_url: str, key_prefix: str) -> None:
    async def go() -> None:
        client, agents = _start(redis_url, key_prefix, "rej-1")
        async with client:
            with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
                await run_incident(
                    client, saver, run_id="rej-1", trigger=TRIGGER, origin={}, specialists=agents
                )
                no = Approval(approved=False, by="li", role="supervisor")
                out = await resume_incident(client, saver, "rej-1", no, specialists=agents)
            assert out["status"] == "completed" and out["pending_approvals"] == []
            assert await _mode(client, "CNC-1") == "auto"

    asyncio.run(go())
