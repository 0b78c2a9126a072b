"""Ask, answer an approval, and read a task on a checkpointer: what the CLI, the HTTP service and the
tests call.

    out = await ask(client, saver, thread_id="t-1", task="Stop CNC-3", brain=RulesBrain(), origin=origin)
    out["status"]  # "awaiting_approval"
    out = await answer(client, saver, "t-1", Approval(approved=True, by="li", role="supervisor"), brain=...)

An outcome is one turn: `status` completed | awaiting_approval | clarification | refused | failed,
`text` (the reply, in the operator's language), `steps` (each step's outcome), `plan`,
`pending_approvals`, `actions` and `chain` (the decision chain). `on_event` receives the steps as
they happen (the service's event stream).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore
from langgraph.types import Command
from pydantic import JsonValue

from agents._ops import IncidentLibrary
from agents._plan import Brain
from graphs._ops import build_ops_graph
from graphs._ops_state import OpsState, turn_input
from graphs._state import Approval
from tools import PlantClient

OnEvent = Callable[[dict[str, JsonValue]], Awaitable[None]]


class ThreadNotFoundError(LookupError):
    """No conversation has this thread id."""


class ThreadBusyError(RuntimeError):
    """The thread waits for an approval: answer it before the next task."""


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


async def ask(
    client: PlantClient,
    checkpointer: BaseCheckpointSaver[Any],
    *,
    thread_id: str,
    task: str,
    brain: Brain,
    origin: Mapping[str, JsonValue] | None = None,
    incidents: IncidentLibrary | None = None,
    on_event: OnEvent | None = None,
    store: BaseStore | None = None,
) -> dict[str, JsonValue]:
    """Run one operator task as the next turn of a thread (a new thread if the id is new); `store`
    keeps the shift plans it publishes."""
    graph = build_ops_graph(client, brain=brain, checkpointer=checkpointer, incidents=incidents, store=store)
    snap = await graph.aget_state(_config(thread_id))
    values = cast(OpsState, snap.values or {})
    pending = [i.value for t in snap.tasks for i in t.interrupts]
    if pending:
        raise ThreadBusyError(
            f"Thread {thread_id!r} waits for a supervisor's approval of {_what(pending[0])}; "
            f"approve or reject it first (plantbrain approve {thread_id} / reject {thread_id})."
        )
    turn = int(values.get("turn") or 0) + 1
    inp = turn_input(
        thread_id,
        turn,
        task,
        brain.name,
        dict(values.get("origin") or origin or {}),
    )
    await _drive(graph, inp, thread_id, on_event)
    return await read_task(client, checkpointer, thread_id, graph=graph)


async def answer(
    client: PlantClient,
    checkpointer: BaseCheckpointSaver[Any],
    thread_id: str,
    approval: Approval,
    *,
    brain: Brain,
    incidents: IncidentLibrary | None = None,
    on_event: OnEvent | None = None,
    store: BaseStore | None = None,
) -> dict[str, JsonValue]:
    """Answer a thread's pending approval (from any process) and continue the turn."""
    graph = build_ops_graph(client, brain=brain, checkpointer=checkpointer, incidents=incidents, store=store)
    snap = await _require(graph, thread_id)
    if not any(t.interrupts for t in snap.tasks):
        raise ThreadNotFoundError(f"Thread {thread_id!r} has no pending approval; see its last answer.")
    await _drive(graph, Command(resume=approval.model_dump(mode="json")), thread_id, on_event)
    return await read_task(client, checkpointer, thread_id, graph=graph)


async def _drive(graph: Any, inp: Any, thread_id: str, on_event: OnEvent | None) -> None:
    if on_event is None:
        await graph.ainvoke(inp, _config(thread_id))
        return
    async for chunk in graph.astream(inp, _config(thread_id), stream_mode="updates"):
        for node, update in chunk.items():
            for event in _events(node, update):
                await on_event(event)


def _events(node: str, update: Any) -> list[dict[str, JsonValue]]:
    if node == "__interrupt__":
        return [{"event": "approval", "pending": [i.value for i in update]}]
    if not isinstance(update, dict):
        return []
    out: list[dict[str, JsonValue]] = []
    answer = update.get("answer")
    if isinstance(answer, dict):
        out.append({"event": "plan", "kind": answer.get("kind"), "steps": answer.get("steps")})
    for r in update.get("results") or []:
        out.append({"event": "step", **r})
    if isinstance(update.get("reply"), dict):
        out.append({"event": "reply", **update["reply"]})
    return out


async def read_state(client: PlantClient, checkpointer: BaseCheckpointSaver[Any], thread_id: str) -> OpsState:
    """The checkpointed state of a thread."""
    graph = build_ops_graph(client, brain=None, checkpointer=checkpointer)
    snap = await _require(graph, thread_id)
    values: OpsState = snap.values
    return values


async def read_task(
    client: PlantClient, checkpointer: BaseCheckpointSaver[Any], thread_id: str, *, graph: Any = None
) -> dict[str, JsonValue]:
    """The last turn of a thread as it stands in the checkpoint."""
    graph = graph or build_ops_graph(client, brain=None, checkpointer=checkpointer)
    snap = await _require(graph, thread_id)
    state: OpsState = snap.values
    turn = state.get("turn", 1)
    answer = state.get("answer") or {}
    reply = state.get("reply") or {}
    pending: list[JsonValue] = [i.value for t in snap.tasks for i in t.interrupts]
    steps = [r for r in state.get("results", []) if r.get("turn") == turn]
    out: dict[str, JsonValue] = {
        "thread_id": thread_id,
        "turn": turn,
        "task": state.get("task", ""),
        "brain": state.get("brain", ""),
        "lang": answer.get("lang", "en"),
        "status": reply.get("status", "running"),
        "text": reply.get("text", ""),
        "plan": answer.get("steps") if answer.get("kind") == "plan" else None,
        "forbidden": answer.get("forbidden", []),
        "steps": list(steps),
        "chain": reply.get("chain", []),
        "actions": [a for a in state.get("actions", []) if a.get("turn") == turn],
        "pending_approvals": pending,
    }
    for k in ("question", "candidates", "reason", "failure"):
        if k in reply:
            out[k] = reply[k]
    if pending:
        out["status"] = "awaiting_approval"
        out["text"] = "\n".join(
            [str(r.get("zh" if out["lang"] == "zh" else "en")) for r in steps]
            + [
                ("等待主管批准：" if out["lang"] == "zh" else "Waiting for a supervisor's approval: ")
                + _what(pending[0])
            ]
        )
    return out


def _what(p: JsonValue) -> str:
    if isinstance(p, dict):
        return f"{p.get('tool')} {p.get('args')}"
    return str(p)


async def _require(graph: Any, thread_id: str) -> Any:
    snap = await graph.aget_state(_config(thread_id))
    if not snap.values:
        raise ThreadNotFoundError(f"No conversation {thread_id!r} in this checkpoint store.")
    return snap
