"""The ops graph: an operator's task -> supervisor (brain -> Plan) -> one specialist per step -> reply.

    graph = build_ops_graph(client, brain=RulesBrain(), checkpointer=saver)
    await graph.ainvoke(turn_input(thread_id, 1, "Stop CNC-3"), {"configurable": {"thread_id": thread_id}})
    await graph.ainvoke(Command(resume={"approved": True, "by": "li", "role": "supervisor"}), config)

The supervisor plans once per turn, then routes each step with `Command(goto=owner)`: a step's
condition (`when`) is read from the live plant just before it, and a step whose condition does
not hold is skipped and recorded. Every tool call of a step goes through the incident graph's
risk gate (`_gate`): reads run, writes carry the key `THREAD:tN:sK:agent:tool:digest`, critical
actions wait for a supervisor (LangGraph `interrupt`), and actions the operator ruled out ("don't
stop the line") are refused before they reach the gate. A step that fails stops the plan: the
later steps are reported as not run. A plant that stays unreachable ends the turn `failed`.

One thread is one conversation: each turn adds to the record, and the brain gets the last
turn's context, so "and the other line?" continues it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Command
from pydantic import JsonValue, TypeAdapter, ValidationError

from agents._intents import find_intent
from agents._lexicon import PlantLexicon, load_lexicon
from agents._ops import Handler, IncidentLibrary, OpsContext, StepOutcome
from agents._ops_handlers import HANDLERS
from agents._plan import Brain, BrainAnswer, Clarification, Forbid, Plan, Step
from agents._specialist import Act, Declined
from agents._supervisor import condition_holds
from graphs._incident import _gate
from graphs._ops_incident import respond_incident
from graphs._ops_shift import plan_shift_handler
from graphs._ops_state import OpsState, brain_answer, reply_of
from graphs._spans import agent_span
from graphs._state import ActionRecord
from tools import PlantClient, ToolError
from tools import _telemetry as tm

Node = Literal["supervisor", "desk", "alarm_triage", "maintenance", "scheduling", "quality", "reply"]
WORKERS: tuple[Node, ...] = ("desk", "alarm_triage", "maintenance", "scheduling", "quality")
_FATAL = frozenset({"timeout", "plant_unavailable"})
_ANSWER: TypeAdapter[BrainAnswer] = TypeAdapter(BrainAnswer)


def _node_of(step: Step) -> Node:
    return "desk" if step.owner == "supervisor" else step.owner


def _forbidden(
    act: Act, rules: tuple[Forbid, ...], records: list[ActionRecord], agent: str, scope: str
) -> Act:
    """`act`, refusing what the operator ruled out."""

    async def guarded(tool: str, args: Mapping[str, object]) -> object:
        for rule in rules:
            if rule.tool == tool and all(args.get(k) == v for k, v in rule.match.items()):
                records.append(
                    ActionRecord(
                        agent=agent, n=0, tool=tool, risk="write", args={k: str(v) for k, v in args.items()},
                        idempotency_key=f"{scope}:forbidden:{tool}", status="rejected",
                        error=f"ruled out by the operator ({rule.text})",
                    )
                )  # fmt: skip
                return Declined(tool=tool, reason=f"you said: {rule.text}")
        return await act(tool, args)

    return guarded


def _logged(act: Act, calls: list[str]) -> Act:
    """`act`, noting the name of every tool called (reads too): the step's tool chain."""

    async def logged(tool: str, args: Mapping[str, object]) -> object:
        calls.append(tool)
        return await act(tool, args)

    return logged


def build_ops_graph(
    client: PlantClient,
    *,
    brain: Brain | None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
    incidents: IncidentLibrary | None = None,
    handlers: Mapping[str, Handler] | None = None,
    store: BaseStore | None = None,
) -> CompiledStateGraph[OpsState, None, OpsState, OpsState]:
    """Compile the graph around a plant client and a brain (None: to read a thread's state only);
    `handlers` overrides intents (tests); `store` keeps the shift plans a task publishes."""
    table: dict[str, Handler] = {
        **HANDLERS,
        "respond_incident": respond_incident,
        "plan_shift": plan_shift_handler(store=store),
        **(handlers or {}),
    }
    cache: dict[str, PlantLexicon] = {}

    async def lexicon() -> PlantLexicon:
        if "lex" not in cache:
            cache["lex"] = await load_lexicon(client)
        return cache["lex"]

    async def supervisor(state: OpsState) -> Command[Node]:
        with agent_span(client, "supervisor") as span:
            out = await supervise(state)
            if span.is_recording() and isinstance(out.update, dict) and "answer" in out.update:
                answer = out.update["answer"]
                steps = answer.get("steps") or []
                span.set_attributes(
                    {
                        tm.DECISION_RULE: f"{state.get('brain', '')} brain",
                        tm.DECISION_SUMMARY: f"{answer.get('kind')}: "
                        + ", ".join(f"{s.get('n')}. {s.get('owner')}/{s.get('intent')}" for s in steps),
                        tm.DECISION_OBSERVED: tm.dumps({"task": state.get("task"), "answer": answer}),
                    }
                )
            return out

    async def supervise(state: OpsState) -> Command[Node]:
        update: dict[str, Any] = {}
        answer = brain_answer(state)
        if answer is None:
            try:
                if brain is None:
                    raise RuntimeError("this ops graph was built without a brain: it can only read state")
                answer = await brain.plan(state["task"], await lexicon(), state.get("memory") or {})
            except ToolError as e:
                if e.kind not in _FATAL:
                    raise
                update["failure"] = {"agent": "supervisor", "kind": e.kind, "message": e.message}
                return Command(goto="reply", update=update)
            update |= {
                "answer": _ANSWER.dump_python(answer, mode="json") | {"kind": _kind(answer)},
                "cursor": 0,
            }
        if not isinstance(answer, Plan):
            return Command(goto="reply", update=update)
        cursor = int(update.get("cursor", state.get("cursor", 0)))
        skipped: list[dict[str, JsonValue]] = []
        records: list[ActionRecord] = []
        scope = f"{state['thread_id']}:t{state['turn']}"
        calls: list[str] = []
        act = _logged(_gate(client, f"{scope}:cond", "supervisor", records), calls)
        probe: dict[str, JsonValue] | None = None
        verdict = dict(state.get("verdict") or {})
        while cursor < len(answer.steps):
            step = answer.steps[cursor]
            if step.when is None:
                break
            calls.clear()
            when = step.when.model_dump(mode="json")
            if verdict.get("when") == when:  # "if X, do A and B": X is read once, before A
                holds, seen = bool(verdict.get("holds")), str(verdict.get("seen"))
            else:
                try:
                    holds, seen = await condition_holds(act, step.when)
                except ToolError as e:
                    update["failure"] = {"agent": "supervisor", "kind": e.kind, "message": e.message}
                    return Command(goto="reply", update=update | {"results": skipped})
                verdict = {"when": when, "holds": holds, "seen": seen}
            if holds:
                probe = {"n": step.n, "tools": list(calls)}  # the condition's reads belong to its step
                break
            skipped.append(_skipped(state["turn"], step, seen) | {"tools": list(calls)})
            cursor += 1
        update |= {"cursor": cursor, "results": skipped, "probe": probe, "verdict": verdict}
        if cursor >= len(answer.steps):
            return Command(goto="reply", update=update)
        return Command(goto=_node_of(answer.steps[cursor]), update=update)

    def worker(name: Node) -> Any:
        async def node(state: OpsState) -> Command[Node]:
            answer = brain_answer(state)
            assert isinstance(answer, Plan)
            step = answer.steps[state["cursor"]]
            scope = f"{state['thread_id']}:t{state['turn']}:s{step.n}"
            records: list[ActionRecord] = []
            agent = "supervisor" if name == "desk" else name
            probe = state.get("probe") or {}
            earlier_calls = probe.get("tools") if probe.get("n") == step.n else []
            calls: list[str] = [str(c) for c in earlier_calls] if isinstance(earlier_calls, list) else []
            act = _logged(
                _forbidden(_gate(client, scope, agent, records), answer.forbidden, records, agent, scope),
                calls,
            )
            ctx = OpsContext(
                client=client, act=act, lang=answer.lang, lexicon=await lexicon(), agent=agent,
                earlier=state.get("earlier") or {}, history=state.get("turns") or [], incidents=incidents,
            )  # fmt: skip
            update: dict[str, Any] = {}
            try:
                args = find_intent(step.intent).args_model.model_validate(step.args)
                with agent_span(client, agent, **{tm.STEP: step.model_dump(mode="json")}) as span:
                    outcome = await table[step.intent](ctx, args)
                    span.set_attribute(tm.STEP_OUTCOME, tm.dumps(outcome.model_dump(mode="json")))
            except ValidationError as e:  # a brain's step the intent cannot take: nothing was done
                outcome = StepOutcome(
                    status="failed", en=f"{step.intent}: the step's arguments do not fit ({e.error_count()} error(s)).",
                    zh=f"{step.intent}：步骤参数不符合要求。", data={"kind": "invalid_args"},
                )  # fmt: skip
            except ToolError as e:
                outcome = StepOutcome(
                    status="failed", en=f"{step.intent} failed: {e.message}", zh=f"{step.intent}失败：{e.message}",
                    data={"kind": e.kind},
                )  # fmt: skip
                if e.kind in _FATAL:
                    update["failure"] = {"agent": agent, "kind": e.kind, "message": e.message}
            result = {"turn": state["turn"], "n": step.n, "intent": step.intent, "owner": step.owner,
                      "args": step.args, **outcome.model_dump(mode="json"), "tools": list(calls)}  # fmt: skip
            update |= {
                "results": [result],
                "actions": [r.model_dump(mode="json") | {"turn": state["turn"]} for r in records],
                "earlier": {**(state.get("earlier") or {}), **outcome.findings},
                "cursor": state["cursor"] + 1,
            }
            stop = outcome.status == "failed"
            return Command(goto="reply" if stop else "supervisor", update=update)

        node.__name__ = name
        return node

    async def reply(state: OpsState) -> dict[str, Any]:
        return reply_of(state)

    g: StateGraph[OpsState, None, OpsState, OpsState] = StateGraph(OpsState)
    g.add_node("supervisor", supervisor, destinations=(*WORKERS, "reply"))
    for name in WORKERS:
        g.add_node(name, worker(name), destinations=("supervisor", "reply"))
    g.add_node("reply", reply)
    g.add_edge(START, "supervisor")
    g.add_edge("reply", END)
    return g.compile(checkpointer=checkpointer)


def _kind(answer: BrainAnswer) -> str:
    return (
        "plan"
        if isinstance(answer, Plan)
        else "clarification"
        if isinstance(answer, Clarification)
        else "refusal"
    )


def _skipped(turn: int, step: Step, seen: str) -> dict[str, JsonValue]:
    when = step.when
    assert when is not None
    return {
        "turn": turn, "n": step.n, "intent": step.intent, "owner": step.owner, "args": step.args,
        "status": "skipped", "data": {"condition": when.model_dump(mode="json"), "seen": seen},
        "en": f"Not done: the condition '{when.text}' does not hold ({seen}).",
        "zh": f"未执行：条件“{when.text}”不成立（{seen}）。", "findings": {},
    }  # fmt: skip


__all__ = ["build_ops_graph"]
