"""`plantbrain serve`: the HTTP service, reached in-process through httpx's ASGI transport.

Each test runs one service on a fresh in-process sandbox plant (seed 0, two hours into the day)
and a real Redis (a key prefix per test). Tasks run in the background: `settle` polls
GET /tasks/{id} until the task stops running.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from typer.testing import CliRunner

from agents import RulesBrain
from graphs import PlantOrigin
from plantbrain._ask_cli import BrainSetupError, make_brain
from plantbrain._service import create_service
from plantbrain.cli import app as cli
from plantbrain.state import RedisSaver
from sandbox_plant import create_app
from tools import PlantClient, PlantClientConfig

START_S = 2 * 3600.0
SUPERVISOR = {"approved": True, "by": "li.wei", "role": "supervisor"}


@asynccontextmanager
async def served(
    redis_url: str,
    prefix: str,
    *,
    brains: Callable[[str], Any] = make_brain,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, FastAPI]]:
    """(a client of the service, a client of its plant, the service app): in-process transports."""
    plant_transport = httpx.ASGITransport(app=create_app(seed=0))
    async with httpx.AsyncClient(transport=plant_transport, base_url="http://plant") as plant:
        r = await plant.post("/clock/advance", json={"seconds": START_S})
        assert r.status_code == 200, r.text
        config = PlantClientConfig(base_url="http://plant", retries=0)
        async with PlantClient(config, transport=transport or plant_transport) as client:
            with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
                origin = PlantOrigin(seed=0, clock_t=START_S).model_dump(mode="json")
                service = create_service(client=client, saver=saver, brains=brains, origin=origin)
                async with service.router.lifespan_context(service):
                    svc_transport = httpx.ASGITransport(app=service)
                    async with httpx.AsyncClient(transport=svc_transport, base_url="http://svc") as svc:
                        yield svc, plant, service


async def start(svc: httpx.AsyncClient, text: str, **more: Any) -> dict[str, Any]:
    r = await svc.post("/tasks", json={"text": text, **more})
    assert r.status_code == 202, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == "running" and r.headers["location"] == f"/tasks/{body['task_id']}"
    return body


async def settle(svc: httpx.AsyncClient, task_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
    """GET the task until it stops running."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = await svc.get(f"/tasks/{task_id}")
        assert r.status_code == 200, r.text
        task: dict[str, Any] = r.json()
        if task["status"] != "running":
            return task
        assert time.monotonic() < deadline, f"task {task_id} still running after {timeout_s} s"
        await asyncio.sleep(0.02)


async def ask(svc: httpx.AsyncClient, text: str, **more: Any) -> dict[str, Any]:
    return await settle(svc, (await start(svc, text, **more))["task_id"])


def events(body: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(id, event, data) of each server-sent event."""
    out = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        out.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return out


def run(coro: Any) -> None:
    asyncio.run(coro)


class GatedBrain:
    """The rules brain, planning only once the test opens the gate (a task that stays running)."""

    name = "rules"

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.inner = RulesBrain()

    async def plan(self, task: str, lexicon: Any, memory: Mapping[str, Any]) -> Any:
        await self.gate.wait()
        return await self.inner.plan(task, lexicon, memory)


# -- tasks ---------------------------------------------------------------------------------------------


def test_a_read_task_completes_with_the_answer(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, plant, _):
            accepted = await start(svc, "What is CNC-3 doing?")
            assert accepted["thread_id"].startswith("ask-")
            assert accepted["links"]["events"] == f"/tasks/{accepted['task_id']}/events"
            task = await settle(svc, accepted["task_id"])
            asset = (await plant.get("/assets/CNC-3")).json()
            assert task["status"] == "completed", task
            assert task["task_id"] == accepted["task_id"] and task["thread_id"] == accepted["thread_id"]
            assert task["text"].startswith(f"CNC-3 (CNC machining centre) is {asset['status']}")
            assert [s["intent"] for s in task["steps"]] == ["asset_status"]
            assert task["chain"][0]["actions"] == [] and task["pending_approvals"] == []

    run(body())


def test_a_chinese_task_is_answered_in_chinese(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            task = await ask(svc, "3号数控机床在做什么？")
            assert task["status"] == "completed" and task["lang"] == "zh"
            assert task["text"].startswith("CNC-3（数控机床）状态")
            assert task["steps"][0]["args"] == {"asset": "CNC-3"}

    run(body())


def test_a_critical_task_runs_only_with_a_supervisors_approval(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, plant, _):
            task = await ask(svc, "Stop CNC-3")
            tid = task["task_id"]
            assert task["status"] == "awaiting_approval", task
            [pending] = task["pending_approvals"]
            assert pending["tool"] == "set_machine_mode"
            assert pending["args"]["asset_id"] == "CNC-3" and pending["args"]["mode"] == "stopped"
            assert (await plant.get("/assets/CNC-3")).json()["mode"] == "auto"

            r = await svc.post(
                f"/tasks/{tid}/approval", json={**SUPERVISOR, "by": "wang", "role": "operator"}
            )
            assert r.status_code == 202, r.text
            task = await settle(svc, tid)
            assert task["status"] == "awaiting_approval", "an operator's approval must not run it"
            assert task["pending_approvals"][0]["refusals"] == [
                {"by": "wang", "role": "operator", "reason": "approval needs the supervisor role"}
            ]
            assert (await plant.get("/assets/CNC-3")).json()["mode"] == "auto"

            r = await svc.post(f"/tasks/{tid}/approval", json=SUPERVISOR)
            assert r.status_code == 202, r.text
            task = await settle(svc, tid)
            assert task["status"] == "completed", task
            assert task["pending_approvals"] == []
            [action] = task["actions"]
            assert (action["tool"], action["status"], action["approved_by"]) == (
                "set_machine_mode",
                "executed",
                "li.wei",
            )
            assert (await plant.get("/assets/CNC-3")).json()["mode"] == "stopped"

            r = await svc.get(f"/tasks/{tid}/events")
            assert [e for _, e, _ in events(r.text)] == ["plan", "approval", "approval", "step", "reply"]

    run(body())


def test_a_follow_up_continues_the_thread(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            first = await ask(svc, "What is CNC-3 doing?")
            follow = await ask(svc, "and CNC-4?", thread_id=first["thread_id"])
            assert follow["thread_id"] == first["thread_id"] and follow["task_id"] != first["task_id"]
            assert (first["turn"], follow["turn"]) == (1, 2)
            assert follow["status"] == "completed", follow
            assert [s["args"] for s in follow["steps"]] == [{"asset": "CNC-4"}]
            assert follow["text"].startswith("CNC-4 ")
            other = await ask(svc, "and CNC-4?")
            assert other["status"] != "completed" or other["steps"][0]["args"] != {"asset": "CNC-4"}, (
                "without the thread, 'and CNC-4?' has nothing to continue"
            )

    run(body())


def test_a_thread_awaiting_approval_takes_no_new_task(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            waiting = await ask(svc, "Stop CNC-3")
            assert waiting["status"] == "awaiting_approval"
            r = await svc.post(
                "/tasks", json={"text": "What is CNC-3 doing?", "thread_id": waiting["thread_id"]}
            )
            assert r.status_code == 409
            assert "approve or reject it first" in r.json()["detail"]
            assert f"POST /tasks/{waiting['task_id']}/approval" in r.json()["detail"]

            done = await ask(svc, "What is CNC-4 doing?")
            r = await svc.post(f"/tasks/{done['task_id']}/approval", json=SUPERVISOR)
            assert r.status_code == 409
            assert "not awaiting approval (status 'completed')" in r.json()["detail"]

    run(body())


def test_a_running_thread_takes_no_second_task_and_streams_live(redis_url: str, key_prefix: str) -> None:
    gated = GatedBrain()

    async def body() -> None:
        async with served(redis_url, key_prefix, brains=lambda _: gated) as (svc, _, _):
            accepted = await start(svc, "What is CNC-3 doing?", thread_id="shift-a")
            running = (await svc.get(f"/tasks/{accepted['task_id']}")).json()
            assert running["status"] == "running" and running["steps"] == []
            r = await svc.post("/tasks", json={"text": "and CNC-4?", "thread_id": "shift-a"})
            assert r.status_code == 409 and "is running another task" in r.json()["detail"]

            live = asyncio.create_task(svc.get(f"/tasks/{accepted['task_id']}/events"))
            await asyncio.sleep(0.05)
            assert not live.done(), "the stream waits for the running task"
            gated.gate.set()
            stream = await asyncio.wait_for(live, 30)
            assert [e for _, e, _ in events(stream.text)] == ["plan", "step", "reply"]
            assert (await settle(svc, accepted["task_id"]))["status"] == "completed"

    run(body())


def test_an_empty_task_is_refused_by_the_brain(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            task = await ask(svc, "")
            assert task["status"] == "refused"
            assert task["text"].startswith("The task is empty")

    run(body())


def test_the_event_stream_replays_a_finished_task_and_ends(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            task = await ask(svc, "What is CNC-3 doing?")
            r = await svc.get(f"/tasks/{task['task_id']}/events")
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            got = events(r.text)
            assert [(n, e) for n, e, _ in got] == [(1, "plan"), (2, "step"), (3, "reply")]
            assert got[0][2]["steps"][0]["intent"] == "asset_status"
            assert got[1][2]["en"] == task["steps"][0]["en"]
            assert got[2][2]["text"] == task["text"] and got[2][2]["status"] == "completed"

            r = await svc.get(f"/tasks/{task['task_id']}/events", headers={"Last-Event-ID": "2"})
            assert [(n, e) for n, e, _ in events(r.text)] == [(3, "reply")]

    run(body())


def test_stopping_the_service_ends_its_running_tasks_failed(redis_url: str, key_prefix: str) -> None:
    gated = GatedBrain()

    async def body() -> None:
        async with served(redis_url, key_prefix, brains=lambda _: gated) as (svc, _, service):
            accepted_text = "What is CNC-3 doing?"
            accepted = await start(svc, accepted_text)
            async with service.router.lifespan_context(service):
                pass  # a second lifespan's exit is a shutdown, as uvicorn's would be
            task = (await svc.get(f"/tasks/{accepted['task_id']}")).json()
            assert task["status"] == "failed"
            assert task["text"] == "The service stopped before the task finished; send the task again."
            assert task["steps"] == [] and task["pending_approvals"] == [] and task["task"] == accepted_text

    run(body())


# -- errors --------------------------------------------------------------------------------------------


def test_an_unknown_task_is_404_saying_how_to_start_one(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            for r in (
                await svc.get("/tasks/task-nope"),
                await svc.get("/tasks/task-nope/events"),
                await svc.post("/tasks/task-nope/approval", json=SUPERVISOR),
            ):
                assert r.status_code == 404, r.text
                assert r.json()["detail"].startswith("No task 'task-nope'")
                assert "POST /tasks" in r.json()["detail"]

    run(body())


def test_a_huge_body_is_413(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            huge = {"text": "What is CNC-3 doing? " * 13_000}
            r = await svc.post("/tasks", json=huge)
            assert r.status_code == 413
            assert "over 256 KiB" in r.json()["detail"]

            async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
                yield json.dumps(huge).encode()

            r = await svc.post("/tasks", content=chunks(), headers={"content-type": "application/json"})
            assert r.status_code == 413 and "over 256 KiB" in r.json()["detail"]
            assert (await ask(svc, "What is CNC-3 doing?"))["status"] == "completed"

    run(body())


def test_invalid_requests_are_422_with_one_clear_line(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            r = await svc.post("/tasks", json={"text": "Stop CNC-3", "brain": "gpt"})
            assert r.status_code == 422
            assert r.json()["detail"].startswith("Invalid request: brain: Input should be 'rules' or 'llm'")
            r = await svc.post("/tasks", json={"text": 42})
            assert r.status_code == 422 and "text: Input should be a valid string" in r.json()["detail"]
            r = await svc.post("/tasks", json={"text": "hi", "thread_id": "a b"})
            assert r.status_code == 422 and r.json()["detail"].startswith("Invalid request: thread_id:")
            assert r.json()["detail"].endswith(
                'Send JSON like {"text": "What is CNC-3 doing?", "thread_id": null, "brain": "rules"}.'
            )
            r = await svc.post("/tasks", content=b'{"text": ', headers={"content-type": "application/json"})
            assert r.status_code == 422 and "JSON decode error" in r.json()["detail"]

    run(body())


def test_a_brain_that_cannot_be_set_up_is_400(redis_url: str, key_prefix: str) -> None:
    def brains(name: str) -> Any:
        if name == "llm":
            raise BrainSetupError("set PLANTBRAIN_LLM_BASE_URL or pass --base-url")
        return RulesBrain()

    async def body() -> None:
        async with served(redis_url, key_prefix, brains=brains) as (svc, _, _):
            r = await svc.post("/tasks", json={"text": "Stop CNC-3", "brain": "llm"})
            assert r.status_code == 400
            assert r.json()["detail"] == (
                "The 'llm' brain cannot be set up: set PLANTBRAIN_LLM_BASE_URL or pass --base-url"
            )

    run(body())


class _Down(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


def test_an_unreachable_plant_fails_the_task_with_the_message(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix, transport=_Down()) as (svc, _, _):
            task = await ask(svc, "What is CNC-3 doing?")
            assert task["status"] == "failed"
            assert "could not be planned: GET /topology: could not reach the plant" in task["text"]
            assert task["failure"]["kind"] == "plant_unavailable"
            r = await svc.get("/health")
            assert r.status_code == 503 and r.json()["detail"].startswith("The plant does not answer")

    run(body())


def test_health(redis_url: str, key_prefix: str) -> None:
    async def body() -> None:
        async with served(redis_url, key_prefix) as (svc, _, _):
            r = await svc.get("/health")
            assert r.status_code == 200
            assert r.json()["status"] == "ok" and r.json()["plant_time"].startswith("2026-03-02T08:00")

    run(body())


# -- the command ---------------------------------------------------------------------------------------


def test_serve_has_help_and_refuses_an_unknown_scenario() -> None:
    r = CliRunner().invoke(cli, ["serve", "--help"])
    assert r.exit_code == 0 and "--plant-url" in r.output and "--prefix" in r.output
    r = CliRunner().invoke(cli, ["serve", "--scenario", "meteor_strike"])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error: unknown scenario 'meteor_strike'; known:")
    assert len(r.output.strip().splitlines()) == 1
