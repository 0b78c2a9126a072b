"""The supervisor: checks a step's condition on the live plant, merges the steps' results, and
answers the operator with a short summary and the decision chain.

The brain (`RulesBrain`, `LlmBrain`) makes the plan; the ops graph routes each step to its
specialist and calls these two functions: `condition_holds` before a guarded step, and
`answer_operator` once the turn is over. Conflicts between specialists are settled where they
arise, by `resolve_conflict` (safety > quality > delivery > cost), and the step's answer says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from agents._plan import OP_WORDS, BrainAnswer, Clarification, Condition, Refusal
from agents._specialist import Act
from tools import Alarm, Asset, Tag


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


def answer_operator(
    answer: BrainAnswer | None,
    *,
    turn: int,
    task: str,
    results: Sequence[Mapping[str, JsonValue]],
    actions: Sequence[Mapping[str, JsonValue]],
    failure: Mapping[str, JsonValue] | None,
    memory: Mapping[str, JsonValue],
) -> tuple[dict[str, JsonValue], dict[str, JsonValue]]:
    """The reply to a finished turn (in the operator's language, with the decision chain) and what
    the next turn's brain gets (the plan's context, or the question it asked)."""
    memory = {k: v for k, v in memory.items() if k != "pending"}
    lang = answer.lang if answer is not None else "en"
    zh = lang == "zh"
    out: dict[str, JsonValue] = {"turn": turn, "task": task, "lang": lang}
    if answer is None:
        message = failure.get("message") if failure else None
        out |= {"status": "failed", "reason": "failed", "failure": dict(failure or {}),
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
        failed = bool(failure) or any(r.get("status") == "failed" for r in results)
        chain: list[JsonValue] = []
        for r in results:
            counts = Counter(
                f"{a.get('tool')} {a.get('status')}"
                for a in actions
                if f":s{r.get('n')}:" in str(a.get("idempotency_key", ""))
            )
            acted = [k if n == 1 else f"{k} x{n}" for k, n in counts.items()]
            chain.append({"n": r.get("n"), "owner": r.get("owner"), "intent": r.get("intent"),
                          "status": r.get("status"), "tools": r.get("tools", []), "actions": list(acted)})  # fmt: skip
        out |= {
            "status": "failed" if failed else "completed",
            "text": "\n".join(lines) if lines else ("没有需要执行的步骤。" if zh else "Nothing to do."),
            "steps": len(answer.steps),
            "chain": chain,
        }
        if failure:
            out["failure"] = dict(failure)
    return out, memory
