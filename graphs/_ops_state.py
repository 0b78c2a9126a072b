"""The ops graph's state, the live check of a step's condition, and the reply to the operator.

Everything in the state is JSON, so any process can read a checkpoint and continue the thread.
"""

from __future__ import annotations

import operator
from collections import Counter
from typing import Annotated, Any, TypedDict

from pydantic import JsonValue

from agents._plan import OP_WORDS, BrainAnswer, Clarification, Condition, Plan, Refusal
from agents._specialist import Act
from graphs._state import last_value
from tools import Alarm, Asset, Tag


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


def _compare(value: float, c: Condition) -> bool:
    assert c.value is not None
    return {
        "gt": value > c.value,
        "ge": value >= c.value,
        "lt": value < c.value,
        "le": value <= c.value,
    }[c.op or "gt"]


async def condition_holds(act: Act, c: Condition) -> tuple[bool, str]:
    """Whether a condition holds on the live plant now, and what was seen."""
    if c.kind == "tag":
        tag = await act("get_tag", {"tag_id": c.tag})
        assert isinstance(tag, Tag)
        if tag.value is None:
            return c.negate, f"{tag.id} has no reading"
        held = _compare(tag.value, c)
        seen = f"{tag.id} = {tag.value:g} {tag.unit}, {OP_WORDS[c.op or 'gt'][0]} {c.value:g}: {'yes' if held else 'no'}"
    elif c.kind == "asset_status":
        asset = await act("get_asset", {"asset_id": c.asset})
        assert isinstance(asset, Asset)
        held = asset.status == c.status or (c.status == "stopped" and asset.mode == "stopped")
        seen = f"{asset.id} is {asset.status}"
    else:
        alarms = await act("list_alarms", {"asset": c.asset})
        standing: list[Alarm] = [a for a in getattr(alarms, "alarms", []) if a.active and not a.shelved]
        held = bool(standing)
        seen = f"{c.asset} has {len(standing)} standing alarm(s)"
    return held != c.negate, seen


def reply_of(state: OpsState) -> dict[str, Any]:
    """The reply node's update: the answer in the operator's language, the chain, the memory."""
    answer = brain_answer(state)
    turn = state.get("turn", 1)
    memory = dict(state.get("memory") or {})
    memory.pop("pending", None)
    results = [r for r in state.get("results", []) if r.get("turn") == turn]
    actions = [a for a in state.get("actions", []) if a.get("turn") == turn]
    lang = answer.lang if answer is not None else "en"
    zh = lang == "zh"
    out: dict[str, JsonValue] = {"turn": turn, "task": state.get("task", ""), "lang": lang}
    failure = state.get("failure")
    if answer is None:
        message = failure.get("message") if isinstance(failure, dict) else None
        out |= {"status": "failed", "reason": "failed", "failure": failure,
                "text": f"The task could not be planned: {str(message or 'the brain gave no answer').rstrip('.')}."}  # fmt: skip
    elif isinstance(answer, Refusal):
        out |= {"status": "refused", "reason": answer.reason, "text": answer.message}
    elif isinstance(answer, Clarification):
        memory["pending"] = answer.pending
        out |= {"status": "clarification", "text": answer.question, "question": answer.question,
                "candidates": list(answer.candidates)}  # fmt: skip
    else:
        memory = dict(answer.context)
        ran = {r.get("n") for r in results}
        not_run = [s for s in answer.steps if s.n not in ran]
        lines = [str(r.get("zh" if zh else "en")) for r in results]
        if not_run:
            names = ", ".join(f"{s.n}. {s.intent}" for s in not_run)
            lines.append(f"未执行的步骤：{names}。" if zh else f"Not run: {names}.")
        failed = bool(state.get("failure")) or any(r.get("status") == "failed" for r in results)
        chain: list[JsonValue] = []
        for r in results:
            counts = Counter(
                f"{a.get('tool')} {a.get('status')}"
                for a in actions
                if f":s{r.get('n')}:" in str(a.get("idempotency_key", ""))
            )
            tools = [k if n == 1 else f"{k} x{n}" for k, n in counts.items()]
            chain.append({"n": r.get("n"), "owner": r.get("owner"), "intent": r.get("intent"),
                          "status": r.get("status"), "tools": r.get("tools", []), "actions": list(tools)})  # fmt: skip
        out |= {
            "status": "failed" if failed else "completed",
            "text": "\n".join(lines) if lines else ("没有需要执行的步骤。" if zh else "Nothing to do."),
            "steps": len(answer.steps),
            "chain": chain,
        }
        if state.get("failure"):
            out["failure"] = state.get("failure")
    record = {k: out.get(k) for k in ("turn", "task", "lang", "status", "text")}
    record["steps"] = [{k: r.get(k) for k in ("n", "intent", "owner", "status", "en", "zh")} for r in results]
    return {"reply": out, "memory": memory, "turns": [record]}
