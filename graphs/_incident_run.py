"""Run, resume and read incident runs on a checkpointer: the functions the CLI and tests call.

    outcome = await run_incident(client, saver, run_id=..., trigger=event, origin=origin)
    outcome = await resume_incident(client, saver, run_id, Approval(approved=True, by="li", role="supervisor"))

An outcome is the summary of `outcome_of` plus `pending_approvals` (the interrupts waiting for a
person) and `status`: completed | failed | awaiting_approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command
from pydantic import JsonValue

from graphs._incident import _needs, build_incident_graph, initial_state, outcome_of
from graphs._state import FOLLOW_UP_TRIGGER, Approval, IncidentState, Specialist
from tools import PlantClient


class RunNotFoundError(LookupError):
    """No checkpointed run has this id."""


def _config(run_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": run_id}}


async def run_incident(
    client: PlantClient,
    checkpointer: BaseCheckpointSaver[Any],
    *,
    run_id: str,
    trigger: Mapping[str, JsonValue],
    origin: Mapping[str, JsonValue],
    specialists: Mapping[str, Specialist] | None = None,
) -> dict[str, JsonValue]:
    """Start a run and take it as far as it goes without a person (completion or an approval)."""
    graph = build_incident_graph(client, checkpointer=checkpointer, specialists=specialists)
    await graph.ainvoke(initial_state(run_id, trigger, origin), _config(run_id))
    return await read_outcome(client, checkpointer, run_id, specialists=specialists)


def follow_up_needed(state: IncidentState) -> bool:
    """Whether a finished run has something to follow up once the plant has moved on: a drift
    quality must keep holding lots for, or a utility excursion whose suspect lots are still being
    made. Not while an approval is pending or after a failure."""
    if state.get("failure"):
        return False
    probe = {"type": FOLLOW_UP_TRIGGER}
    return _needs("quality", state.get("findings", {}), probe)


async def follow_up_incident(
    client: PlantClient,
    checkpointer: BaseCheckpointSaver[Any],
    run_id: str,
    trigger: Mapping[str, JsonValue],
    *,
    specialists: Mapping[str, Specialist] | None = None,
) -> dict[str, JsonValue]:
    """Run a follow-up pass on a finished run (same thread, same findings, new trigger)."""
    graph = build_incident_graph(client, checkpointer=checkpointer, specialists=specialists)
    snap = await _require(graph, run_id)
    if snap.next:
        raise RunNotFoundError(
            f"Run {run_id!r} is not finished (next: {', '.join(snap.next)}); follow up later."
        )
    fu = {**dict(trigger), "type": FOLLOW_UP_TRIGGER}
    await graph.ainvoke({"trigger": fu, "passes": [fu]}, _config(run_id))
    return await read_outcome(client, checkpointer, run_id, specialists=specialists)


async def continue_incident(
    client: PlantClient,
    checkpointer: BaseCheckpointSaver[Any],
    run_id: str,
    *,
    specialists: Mapping[str, Specialist] | None = None,
) -> dict[str, JsonValue]:
    """Re-run a run interrupted by a crash from its last checkpoint (no new input)."""
    graph = build_incident_graph(client, checkpointer=checkpointer, specialists=specialists)
    await _require(graph, run_id)
    await graph.ainvoke(None, _config(run_id))
    return await read_outcome(client, checkpointer, run_id, specialists=specialists)


async def resume_incident(
    client: PlantClient,
    checkpointer: BaseCheckpointSaver[Any],
    run_id: str,
    answer: Approval,
    *,
    specialists: Mapping[str, Specialist] | None = None,
) -> dict[str, JsonValue]:
    """Answer the pending approval of a run (from any process) and continue it."""
    graph = build_incident_graph(client, checkpointer=checkpointer, specialists=specialists)
    snap = await _require(graph, run_id)
    if not any(t.interrupts for t in snap.tasks):
        raise RunNotFoundError(f"Run {run_id!r} has no pending approval; see its outcome.")
    await graph.ainvoke(Command(resume=answer.model_dump(mode="json")), _config(run_id))
    return await read_outcome(client, checkpointer, run_id, specialists=specialists)


async def read_state(
    client: PlantClient, checkpointer: BaseCheckpointSaver[Any], run_id: str
) -> IncidentState:
    """The checkpointed state of a run."""
    graph = build_incident_graph(client, checkpointer=checkpointer, specialists={})
    snap = await _require(graph, run_id)
    values: IncidentState = snap.values
    return values


async def read_outcome(
    client: PlantClient,
    checkpointer: BaseCheckpointSaver[Any],
    run_id: str,
    *,
    specialists: Mapping[str, Specialist] | None = None,
) -> dict[str, JsonValue]:
    """The outcome of a run as it stands in the checkpoint."""
    graph = build_incident_graph(client, checkpointer=checkpointer, specialists=specialists or {})
    snap = await _require(graph, run_id)
    state: IncidentState = snap.values
    out = dict(state.get("summary") or outcome_of(state))
    pending: list[JsonValue] = [i.value for t in snap.tasks for i in t.interrupts]
    out["pending_approvals"] = pending
    if pending:
        out["status"] = "awaiting_approval"
    elif snap.next and out.get("status") == "completed":
        out["status"] = "interrupted"
    return out


async def _require(graph: Any, run_id: str) -> Any:
    snap = await graph.aget_state(_config(run_id))
    if not snap.values:
        raise RunNotFoundError(f"No incident run {run_id!r} in this checkpoint store.")
    return snap
