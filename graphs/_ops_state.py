"""The ops graph's state, and the reply node (the supervisor's answer, `agents._supervisor`).

Everything in the state is JSON, so any process can read a checkpoint and continue the thread.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from pydantic import JsonValue

from agents._plan import BrainAnswer, Clarification, Plan, Refusal
from agents._supervisor import answer_operator
from graphs._state import last_value


class OpsState(TypedDict, total=False):
    """One conversation (thread): its turns so far and the one in progress."""

    thread_id: Annotated[str, last_value]
    origin: Annotated[dict[str, JsonValue], last_value]
    """A `PlantOrigin`, dumped: how another process reaches (or rebuilds) the plant."""
    turn: Annotated[int, last_value]
    task: Annotated[str, last_value]
    brain: Annotated[str, last_value]
    answer: Annotated[dict[str, JsonValue] | None, last_value]
    """The brain's answer to this turn's task (a Plan, Clarification or Refusal, dumped, with `kind`)."""
    cursor: Annotated[int, last_value]
    """Index of the plan's next step."""
    probe: Annotated[dict[str, JsonValue] | None, last_value]
    """The tool calls of the next step's condition check: {n, tools}."""
    verdict: Annotated[dict[str, JsonValue] | None, last_value]
    """The last condition read this turn: {when, holds, seen}; the steps it guards share it."""
    earlier: Annotated[dict[str, JsonValue], last_value]
    """Findings of this turn's earlier steps (e.g. the root cause), for the later ones."""
    results: Annotated[list[dict[str, JsonValue]], operator.add]
    """Every step's outcome, all turns, in order (each carries its `turn`)."""
    actions: Annotated[list[dict[str, JsonValue]], operator.add]
    """`ActionRecord`s of every write or critical action, with their `turn`."""
    memory: Annotated[dict[str, JsonValue], last_value]
    """What the next turn's brain gets: the last plan's context, or a pending question."""
    turns: Annotated[list[dict[str, JsonValue]], operator.add]
    """The finished turns: task, reply and steps (for explanations and the transcript)."""
    reply: Annotated[dict[str, JsonValue] | None, last_value]
    failure: Annotated[dict[str, JsonValue] | None, last_value]


def turn_input(thread_id: str, turn: int, task: str, brain: str, origin: dict[str, JsonValue]) -> OpsState:
    """The input of a new turn on a thread (the first, or a follow-up)."""
    return {
        "thread_id": thread_id,
        "origin": origin,
        "turn": turn,
        "task": task,
        "brain": brain,
        "answer": None,
        "cursor": 0,
        "earlier": {},
        "reply": None,
        "failure": None,
        "probe": None,
        "verdict": None,
    }


def brain_answer(state: OpsState) -> BrainAnswer | None:
    raw = state.get("answer")
    if not raw:
        return None
    body = {k: v for k, v in raw.items() if k != "kind"}
    kind = raw.get("kind")
    if kind == "plan":
        return Plan.model_validate(body)
    if kind == "clarification":
        return Clarification.model_validate(body)
    return Refusal.model_validate(body)


def reply_of(state: OpsState) -> dict[str, Any]:
    """The reply node's update: the supervisor's answer, the next turn's memory, the turn's record."""
    turn = state.get("turn", 1)
    results = [r for r in state.get("results", []) if r.get("turn") == turn]
    out, memory = answer_operator(
        brain_answer(state),
        turn=turn,
        task=state.get("task", ""),
        results=results,
        actions=[a for a in state.get("actions", []) if a.get("turn") == turn],
        failure=state.get("failure"),
        memory=state.get("memory") or {},
    )
    record = {k: out.get(k) for k in ("turn", "task", "lang", "status", "text")}
    record["steps"] = [{k: r.get(k) for k in ("n", "intent", "owner", "status", "en", "zh")} for r in results]
    return {"reply": out, "memory": memory, "turns": [record]}
