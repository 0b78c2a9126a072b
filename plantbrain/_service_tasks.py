"""The service's tasks: an operator's task is one turn of a thread, run in the background on the
service's plant; its events are recorded for the event stream as they happen.

    ServiceError            what a request can be refused with (the app maps each to a status)
    ├── TaskNotFoundError   404: no such task in this service
    ├── TaskConflictError   409: the thread is busy, or the task does not wait for an approval
    └── TaskRequestError    400: the brain cannot be set up, or the thread is not a conversation

The registry runs at most one turn per thread at a time and refuses a new task on a thread that
waits for an approval. Tasks live in the service's memory (the threads live in the checkpoint
store): a restarted service forgets the task ids, not the conversations.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import JsonValue

from graphs._ops_run import ThreadBusyError, ThreadNotFoundError, read_task
from graphs._state import Approval
from plantbrain._ask_cli import thread_kind
from plantbrain._segments import run_segment
from tools import PlantClient, ToolError

log = logging.getLogger("plantbrain.service")


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceConfig:
    """Limits of the HTTP service."""

    max_body_bytes: int = 256 * 1024
    """Largest request body accepted; a larger one gets 413."""
    keep_finished: int = 1000
    """Finished tasks kept for GET /tasks/{id}; the oldest are forgotten first (their threads stay)."""
    heartbeat_s: float = 15.0
    """An idle event stream sends a comment this often, so proxies keep it open."""


class ServiceError(Exception):
    """A request the service refuses; `status` is its HTTP status."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TaskNotFoundError(ServiceError):
    status = 404


class TaskConflictError(ServiceError):
    status = 409


class TaskRequestError(ServiceError):
    status = 400


def links(task_id: str) -> dict[str, JsonValue]:
    return {
        "self": f"/tasks/{task_id}",
        "events": f"/tasks/{task_id}/events",
        "approval": f"/tasks/{task_id}/approval",
    }


@dataclass(eq=False, kw_only=True)
class Task:
    """One operator task: a turn of a thread, with the events recorded so far."""

    task_id: str
    thread_id: str
    text: str
    brain: str
    status: str = "running"
    outcome: dict[str, JsonValue] = field(default_factory=dict)
    events: list[dict[str, JsonValue]] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    @property
    def running(self) -> bool:
        return self.runner is not None and not self.runner.done()

    async def record(self, event: dict[str, JsonValue]) -> None:
        self.events.append(event)
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def finish(self, outcome: dict[str, JsonValue]) -> None:
        self.outcome, self.status = outcome, str(outcome.get("status") or "failed")
        self._wake()

    def fail(self, message: str) -> None:
        """End the task `failed` with a reply event, so that event streams end too."""
        reply: dict[str, JsonValue] = {"status": "failed", "text": message, "failure": {"message": message}}
        empty: dict[str, JsonValue] = {"plan": None, "steps": [], "chain": [], "actions": []}
        self.outcome = {"task": self.text, "brain": self.brain, **empty, **self.outcome, **reply}
        self.outcome["pending_approvals"] = []
        self.status = "failed"
        self.events.append({"event": "reply", **reply})
        self._wake()

    def view(self) -> dict[str, JsonValue]:
        """The task as GET /tasks/{id} shows it: while it runs, what its events show so far."""
        head: dict[str, JsonValue] = {"task_id": self.task_id, "thread_id": self.thread_id}
        if not self.running:
            return {**head, "status": self.status, **_without(self.outcome, "thread_id", "status"),
                    "links": links(self.task_id)}  # fmt: skip
        plan = next((e for e in reversed(self.events) if e.get("event") == "plan"), None)
        return {
            **head,
            "status": "running",
            "task": self.text,
            "brain": self.brain,
            "text": "",
            "plan": plan.get("steps") if plan and plan.get("kind") == "plan" else self.outcome.get("plan"),
            "steps": [_without(e, "event") for e in self.events if e.get("event") == "step"],
            "chain": [],
            "actions": [],
            "pending_approvals": [],
            "links": links(self.task_id),
        }

    async def stream(
        self, after: int, heartbeat_s: float
    ) -> AsyncIterator[tuple[int, dict[str, JsonValue]] | None]:
        """(number, event) from event `after` on, then live ones until the task stops running: after
        its reply, or when a critical step waits for a supervisor (an approval continues it).

        Yields None when nothing happened for `heartbeat_s` seconds.
        """
        i = max(0, after)
        while True:
            while i < len(self.events):
                i += 1
                yield i, self.events[i - 1]
            changed = self._changed
            if not self.running:
                return
            try:
                await asyncio.wait_for(changed.wait(), heartbeat_s)
            except TimeoutError:
                yield None


def _without(d: Mapping[str, JsonValue], *keys: str) -> dict[str, JsonValue]:
    return {k: v for k, v in d.items() if k not in keys}


class Tasks:
    """The service's tasks, on one plant and one checkpoint store."""

    def __init__(
        self,
        *,
        client: PlantClient,
        saver: BaseCheckpointSaver[Any],
        brains: Callable[[str], Any],
        origin: Mapping[str, JsonValue],
        default_brain: str,
        config: ServiceConfig,
    ) -> None:
        self._client, self._saver, self._brains = client, saver, brains
        self._origin, self._default, self.config = dict(origin), default_brain, config
        self._made: dict[str, Any] = {}
        self._tasks: dict[str, Task] = {}
        self._busy: dict[str, str] = {}
        """thread id -> the task running on it ("" while a new task is being checked)."""

    @property
    def running(self) -> int:
        return sum(t.running for t in self._tasks.values())

    def _brain(self, name: str) -> Any:
        if name not in self._made:
            try:
                self._made[name] = self._brains(name)
            except ValueError as e:  # BrainSetupError, or a brain's own config error
                raise TaskRequestError(f"The {name!r} brain cannot be set up: {e}") from None
        return self._made[name]

    async def get(self, task_id: str) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise TaskNotFoundError(
                f"No task {task_id!r} in this service (tasks are kept in memory; a restart forgets them). "
                "Start one with POST /tasks."
            )
        if task.status == "awaiting_approval" and not task.running and task.thread_id not in self._busy:
            # Another process sharing the checkpoint store (`plantbrain approve`) may have answered it.
            now = await read_task(self._client, self._saver, task.thread_id)
            if now.get("turn") == task.outcome.get("turn"):
                task.finish(now)
        return task

    async def start(self, text: str, *, thread_id: str | None, brain: str | None) -> Task:
        """Check the thread and the brain, then run the task in the background."""
        thread = thread_id or f"ask-{uuid.uuid4().hex[:8]}"
        if thread in self._busy:
            raise TaskConflictError(
                f"Thread {thread!r} is running another task{_named(self._busy[thread])}; wait until it "
                "finishes, then send the next one."
            )
        self._busy[thread] = ""  # reserved before the first await: two requests cannot both pass
        try:
            name, made = await self._check_thread(thread, brain)
        except BaseException:
            del self._busy[thread]
            raise
        task = self._add(
            Task(task_id=f"task-{uuid.uuid4().hex[:12]}", thread_id=thread, text=text, brain=name)
        )
        inputs = {
            "thread": thread,
            "task": text,
            "brain": name,
            "origin": dict(self._origin),
            "rebuild": False,
        }
        self._launch(task, lambda: run_segment(
            self._client, self._saver, run_id=thread, kind="ask", segment="ask.turn", inputs=inputs,
            brain=made, on_event=task.record,
        ))  # fmt: skip
        return task

    async def _check_thread(self, thread: str, brain: str | None) -> tuple[str, Any]:
        kind = await thread_kind(self._saver, thread)
        if kind == "incident":
            raise TaskRequestError(
                f"{thread!r} is an incident run, not a conversation; use another thread_id (or none)."
            )
        last: dict[str, JsonValue] = {}
        if kind == "ops":
            last = await read_task(self._client, self._saver, thread)
            if last.get("pending_approvals"):
                waiting = next((t for t in reversed(self._tasks.values()) if t.thread_id == thread), None)
                how = (
                    f"POST /tasks/{waiting.task_id}/approval"
                    if waiting
                    else f"plantbrain approve {thread} / plantbrain reject {thread}"
                )
                raise TaskConflictError(
                    f"Thread {thread!r} waits for a supervisor's approval; approve or reject it first "
                    f'({how} with {{"approved": true|false, "by": "NAME", "role": "supervisor"}}).'
                )
        name = brain or str(last.get("brain") or self._default)
        return name, self._brain(name)

    async def approve(self, task_id: str, approval: Approval) -> Task:
        """Pass an approval to a waiting task's thread and continue the turn in the background."""
        task = await self.get(task_id)
        if task.running or task.thread_id in self._busy:
            raise TaskConflictError(f"Task {task_id!r} is still running; approve it once it waits for one.")
        if task.status != "awaiting_approval":
            raise TaskConflictError(
                f"Task {task_id!r} is not awaiting approval (status {task.status!r}); nothing to approve."
            )
        made = self._brain(task.brain)
        self._busy[task.thread_id] = task.task_id
        task.status = "running"
        inputs = {"thread": task.thread_id, "approval": approval.model_dump(mode="json"), "brain": task.brain,
                  "rebuild": False}  # fmt: skip
        self._launch(task, lambda: run_segment(
            self._client, self._saver, run_id=task.thread_id, kind="ask", segment="ask.answer", inputs=inputs,
            brain=made, on_event=task.record,
        ))  # fmt: skip
        return task

    def _add(self, task: Task) -> Task:
        self._tasks[task.task_id] = task
        done = [t for t in self._tasks.values() if not t.running and t.status != "awaiting_approval"]
        for old in done[: max(0, len(done) - self.config.keep_finished)]:
            del self._tasks[old.task_id]
        return task

    def _launch(self, task: Task, call: Callable[[], Awaitable[dict[str, JsonValue]]]) -> None:
        self._busy[task.thread_id] = task.task_id
        task.runner = asyncio.create_task(self._run(task, call), name=task.task_id)

    async def _run(self, task: Task, call: Callable[[], Awaitable[dict[str, JsonValue]]]) -> None:
        try:
            task.finish(await call())
        except ToolError as e:
            task.fail(f"The plant failed: {e.message}")
        except (ThreadBusyError, ThreadNotFoundError) as e:
            task.fail(str(e))
        except Exception as e:
            log.exception("task %s on thread %s failed", task.task_id, task.thread_id)
            task.fail(
                f"Internal error ({type(e).__name__}: {e}); see the service log, then send the task again."
            )
        finally:
            if self._busy.get(task.thread_id) == task.task_id:
                del self._busy[task.thread_id]

    async def aclose(self) -> None:
        """Cancel the running tasks (service shutdown); they end `failed`."""
        stopped = [t for t in self._tasks.values() if t.running]
        for t in stopped:
            assert t.runner is not None
            t.runner.cancel()
        await asyncio.gather(*(t.runner for t in stopped if t.runner), return_exceptions=True)
        for t in stopped:
            t.fail("The service stopped before the task finished; send the task again.")


def _named(task_id: str) -> str:
    return f" ({task_id}: GET /tasks/{task_id})" if task_id else ""
