"""`plantbrain serve`: operators' tasks over HTTP, run by the ops graph on the service's one plant.

    POST /tasks                   {"text": "Stop CNC-3", "thread_id": null, "brain": null} -> 202
    GET  /tasks/{id}              the task: status running | completed | awaiting_approval |
                                  clarification | refused | failed, the answer, steps, chain, plan
    POST /tasks/{id}/approval     {"approved": true, "by": "li.wei", "role": "supervisor"} -> 202
    GET  /tasks/{id}/events       server-sent events: plan, step, approval, reply
    GET  /health

A task is one turn of a thread (a conversation kept in the checkpoint store); a follow-up names
the thread. Each task runs in the background; a thread runs one task at a time, and one waiting
for an approval takes no new task until it is approved or rejected. Only a supervisor's approval
lets a critical step run: another role's is recorded as refused and the step keeps waiting.
Every error is `{"detail": "<what went wrong and what to do>"}`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictStr
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphs._state import Approval
from plantbrain._service_tasks import ServiceConfig, ServiceError, Task, Tasks, links
from tools import Clock, PlantClient, ToolError

__all__ = ["ServiceConfig", "create_service"]


class TaskRequest(BaseModel):
    """An operator's task."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr = Field(description="The task in plain English or Chinese, e.g. 'What is CNC-3 doing?'.")
    thread_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Continue this conversation; none starts a new one (its id is in the answer).",
    )
    brain: Literal["rules", "llm"] | None = Field(
        default=None, description="Who plans: rules (offline) or llm; none: the thread's, else the default."
    )


class TaskAccepted(BaseModel):
    task_id: str
    thread_id: str
    status: str
    links: dict[str, str]


_HINTS = {
    "approval": 'Send JSON like {"approved": true, "by": "li.wei", "role": "supervisor"}',
    "tasks": 'Send JSON like {"text": "What is CNC-3 doing?", "thread_id": null, "brain": "rules"}',
}


def create_service(
    *,
    client: PlantClient,
    saver: BaseCheckpointSaver[Any],
    brains: Callable[[str], Any],
    origin: Mapping[str, JsonValue],
    default_brain: str = "rules",
    config: ServiceConfig | None = None,
) -> FastAPI:
    """The HTTP service around one plant client and one checkpoint store.

    `brains` makes a brain by name (`plantbrain._ask_cli.make_brain`); each is made once, when
    first used. `origin` (a `PlantOrigin`, dumped) is recorded on new threads.
    """
    cfg = config or ServiceConfig()
    tasks = Tasks(
        client=client, saver=saver, brains=brains, origin=origin, default_brain=default_brain, config=cfg
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await tasks.aclose()

    app = FastAPI(
        title="plantbrain",
        summary="Operators' tasks in English or Chinese, planned and run on the plant; critical steps wait for a supervisor.",
        lifespan=lifespan,
    )
    app.state.tasks = tasks
    app.add_middleware(_BodyLimit, limit=cfg.max_body_bytes)
    _add_error_handlers(app)

    @app.post("/tasks", status_code=202, response_model=TaskAccepted)
    async def post_task(body: TaskRequest) -> JSONResponse:
        """Start a task (a new thread, or the next turn of `thread_id`); it runs in the background."""
        task = await tasks.start(body.text, thread_id=body.thread_id, brain=body.brain)
        return _accepted(task)

    @app.get("/tasks/{task_id}")
    async def get_task(task_id: str) -> dict[str, JsonValue]:
        """The task: its status, and once it stopped, the answer, steps, chain and pending approvals."""
        return (await tasks.get(task_id)).view()

    @app.post("/tasks/{task_id}/approval", status_code=202, response_model=TaskAccepted)
    async def post_approval(task_id: str, body: Approval) -> JSONResponse:
        """Approve or reject the critical step a task waits for; the turn continues in the background."""
        return _accepted(await tasks.approve(task_id, body))

    @app.get("/tasks/{task_id}/events", response_class=StreamingResponse)
    async def task_events(
        task_id: str,
        last_event_id: Annotated[int, Header(ge=0, description="Resume after this event number.")] = 0,
    ) -> StreamingResponse:
        """Server-sent events of the task: those so far, then live ones until the task stops."""
        task = await tasks.get(task_id)
        return StreamingResponse(
            _sse(task, last_event_id, cfg.heartbeat_s),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/health")
    async def health() -> JSONResponse:
        """Whether the plant answers, and how many tasks are running."""
        body: dict[str, JsonValue] = {"status": "ok", "running": tasks.running, "origin": dict(origin)}
        try:
            body["plant_time"] = (await client.get("/clock", Clock)).time
        except ToolError as e:
            return JSONResponse(
                {**body, "status": "degraded", "detail": f"The plant does not answer: {e.message}"}, 503
            )
        return JSONResponse(body)

    return app


def _accepted(task: Task) -> JSONResponse:
    body = {
        "task_id": task.task_id,
        "thread_id": task.thread_id,
        "status": "running",
        "links": links(task.task_id),
    }
    return JSONResponse(body, status_code=202, headers={"Location": f"/tasks/{task.task_id}"})


async def _sse(task: Task, after: int, heartbeat_s: float) -> AsyncIterator[str]:
    async for item in task.stream(after, heartbeat_s):
        if item is None:
            yield ": keep-alive\n\n"
            continue
        n, event = item
        data = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        yield f"id: {n}\nevent: {event.get('event')}\ndata: {data}\n\n"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, e: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": e.message}, status_code=e.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        where = [
            f"{'.'.join(str(p) for p in err.get('loc', ()) if p != 'body') or 'body'}: {err.get('msg')}"
            for err in e.errors()
        ]
        path = request.url.path
        hint = (
            _HINTS["approval"]
            if path.endswith("/approval")
            else _HINTS["tasks"]
            if path == "/tasks"
            else "See /docs"
        )
        return JSONResponse({"detail": f"Invalid request: {'; '.join(where)}. {hint}."}, 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:
        msg = {
            404: f"No route {request.url.path}; see /docs for the endpoints.",
            405: f"{request.method} is not allowed on {request.url.path}; see /docs.",
        }.get(e.status_code, str(e.detail))
        return JSONResponse({"detail": msg}, status_code=e.status_code, headers=e.headers)

    @app.exception_handler(Exception)
    async def crashed(request: Request, e: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": f"Internal error ({type(e).__name__}); see the service log, then try again."}, 500
        )


class _TooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"Request body over {limit // 1024} KiB; send the task as a short text (a task is a sentence or two).",
        )


class _BodyLimit:
    """413 for a body over `limit` bytes: at once from Content-Length, else while it is read."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            e = _TooLarge(self.limit)
            await JSONResponse({"detail": e.detail}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge(self.limit)  # FastAPI re-raises it; the HTTPException handler answers
            return message

        await self.app(scope, limited, send)
