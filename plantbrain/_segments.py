"""The segments of a run: every invocation of a run (its start, an approval, a conversation's turn) is
one function of (plant client, checkpointer, inputs), run inside the run's root span.

    out = await run_segment(client, saver, run_id="inc-…", kind="incident", segment="incident.drive",
                            inputs={"run_id": "inc-…", "seed": 3, "scenario": "coolant_pump_failure"})

The span records the segment's name and inputs, so `plantbrain replay` can call the same function
with the same inputs on a plant served from the record (or a fresh sandbox) and compare.

    incident.drive   watch the sandbox, run the incident graph, follow up       run_id, seed, scenario, plant_url
    incident.answer  rebuild the sandbox from the record, answer the approval  run_id, approval
    ask.turn         (rebuild the thread's sandbox,) one operator task          thread, task, brain, origin, rebuild
    ask.answer       (rebuild,) answer the approval a conversation waits on     thread, approval, brain, rebuild
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import JsonValue

from graphs import Approval, PlantOrigin, read_state, resume_incident
from graphs._ops_run import OnEvent, answer, ask
from graphs._ops_run import read_state as read_thread
from plantbrain._incident_cli import advance_to, drive_incident, rebuild_sandbox
from plantbrain._incidents_lib import CheckpointIncidents
from tools import PlantClient
from tools import _telemetry as tm

Segment = Callable[
    [PlantClient, BaseCheckpointSaver[Any], Mapping[str, Any], Any, "OnEvent | None"],
    Awaitable[dict[str, JsonValue]],
]
"""`segment(client, saver, inputs, brain, on_event) -> outcome`."""


async def incident_drive(
    client: PlantClient,
    saver: BaseCheckpointSaver[Any],
    inp: Mapping[str, Any],
    brain: Any,
    on_event: OnEvent | None = None,
) -> dict[str, JsonValue]:
    return await drive_incident(
        client,
        saver,
        run_id=str(inp["run_id"]),
        seed=int(inp.get("seed") or 0),
        scenario=inp.get("scenario"),
        plant_url=inp.get("plant_url"),
    )


async def incident_answer(
    client: PlantClient,
    saver: BaseCheckpointSaver[Any],
    inp: Mapping[str, Any],
    brain: Any,
    on_event: OnEvent | None = None,
) -> dict[str, JsonValue]:
    run_id = str(inp["run_id"])
    state = await read_state(client, saver, run_id)
    origin = PlantOrigin.model_validate(state.get("origin") or {})
    if origin.base_url is None:
        standing = (state.get("findings") or {}).get("held_lots_standing")
        await rebuild_sandbox(
            origin,
            list(state.get("actions", [])),
            client,
            standing=standing if isinstance(standing, list) else None,
        )
    return await resume_incident(client, saver, run_id, Approval.model_validate(inp["approval"]))


async def _rebuild_thread(
    client: PlantClient, saver: BaseCheckpointSaver[Any], thread: str, origin: PlantOrigin
) -> None:
    """The in-process sandbox of a conversation: its clock, then every write of its turns so far."""
    try:
        state = await read_thread(client, saver, thread)
    except LookupError:
        await advance_to(client, origin.clock_t)
        return
    recorded = PlantOrigin.model_validate(state.get("origin") or origin.model_dump(mode="json"))
    await rebuild_sandbox(recorded, list(state.get("actions", [])), client)


async def ask_turn(
    client: PlantClient,
    saver: BaseCheckpointSaver[Any],
    inp: Mapping[str, Any],
    brain: Any,
    on_event: OnEvent | None = None,
) -> dict[str, JsonValue]:
    thread, origin = str(inp["thread"]), PlantOrigin.model_validate(inp.get("origin") or {})
    if inp.get("rebuild"):
        await _rebuild_thread(client, saver, thread, origin)
    return await ask(
        client,
        saver,
        thread_id=thread,
        task=str(inp["task"]),
        brain=brain,
        origin=origin.model_dump(mode="json"),
        incidents=CheckpointIncidents(saver, client),
        on_event=on_event,
    )


async def ask_answer(
    client: PlantClient,
    saver: BaseCheckpointSaver[Any],
    inp: Mapping[str, Any],
    brain: Any,
    on_event: OnEvent | None = None,
) -> dict[str, JsonValue]:
    thread = str(inp["thread"])
    if inp.get("rebuild"):
        await _rebuild_thread(client, saver, thread, PlantOrigin())
    return await answer(
        client,
        saver,
        thread,
        Approval.model_validate(inp["approval"]),
        brain=brain,
        incidents=CheckpointIncidents(saver, client),
        on_event=on_event,
    )


SEGMENTS: dict[str, Segment] = {
    "incident.drive": incident_drive,
    "incident.answer": incident_answer,
    "ask.turn": ask_turn,
    "ask.answer": ask_answer,
}


async def run_segment(
    client: PlantClient,
    saver: BaseCheckpointSaver[Any],
    *,
    run_id: str,
    kind: str,
    segment: str,
    inputs: Mapping[str, Any],
    brain: Any = None,
    on_event: OnEvent | None = None,
) -> dict[str, JsonValue]:
    """Run one segment inside its run span (the span records inputs and outcome)."""
    with tm.run_span(client.tracer, run_id=run_id, kind=kind, segment=segment, inputs=inputs) as span:
        out = await SEGMENTS[segment](client, saver, inputs, brain, on_event)
        if span.is_recording():
            span.set_attribute(
                tm.RUN_OUTCOME,
                tm.dumps(
                    {
                        k: out.get(k)
                        for k in ("status", "root_cause", "work_orders", "text", "turn")
                        if k in out
                    }
                ),
            )
        return out
