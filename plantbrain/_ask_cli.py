"""`plantbrain ask`: an operator's task in English or Chinese, run by the ops graph.

    plantbrain ask "What is CNC-3 doing?"
    plantbrain ask "如果3号数控机床主轴温度超过80度，就开二级工单并把它的任务转到4号机床" --thread shift-a
    plantbrain ask "and CNC-2?" --thread shift-a                  # a follow-up turn, same thread
    plantbrain approve shift-a --as li.wei --role supervisor      # a critical step waits for this

Each ask is one turn of a thread (a new thread when no `--thread` is given; its id is printed).
The in-process sandbox (default) is rebuilt for every turn from the thread's record: same seed,
scenario and clock, every write replayed with its idempotency key; with `--plant-url` the thread
acts on a served plant. Nothing critical is approved automatically.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Mapping
from typing import Annotated, Any

import typer
from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import JsonValue

from graphs import Approval, PlantOrigin
from plantbrain._incident_cli import _client
from plantbrain._segments import run_segment
from plantbrain.traces import TraceSettings, tracing

BaseUrlOpt = Annotated[
    str | None, typer.Option(help="llm brain: OpenAI-compatible endpoint (or PLANTBRAIN_LLM_BASE_URL).")
]
ModelOpt = Annotated[str | None, typer.Option(help="llm brain: model name (or PLANTBRAIN_LLM_MODEL).")]
PrefixOpt = Annotated[str, typer.Option(help="Redis key prefix of the checkpoints.")]
OtlpOpt = Annotated[
    str | None,
    typer.Option(
        help="Also send traces to this OTLP/HTTP collector (default: OTEL_EXPORTER_OTLP_* variables)."
    ),
]
DEFAULT_AT_H = 2.0
"""Where a new thread's sandbox starts: this many hours into the scenario's day."""


class BrainSetupError(ValueError):
    """The chosen brain cannot be set up (missing extra, endpoint or model)."""


def make_brain(name: str, *, base_url: str | None = None, model: str | None = None) -> Any:
    """The brain by name: `rules` (default, offline) or `llm` (an OpenAI-compatible endpoint)."""
    if name == "rules":
        from agents import RulesBrain

        return RulesBrain()
    if name != "llm":
        raise BrainSetupError(f"unknown brain {name!r}; use rules or llm")
    try:
        from agents._llm_brain import LlmBrain, LlmBrainConfig
    except ImportError as e:
        raise BrainSetupError(
            f"the llm brain needs the llm extra ({e.name} is missing): pip install 'plantbrain[llm]'"
        ) from None
    try:
        return LlmBrain(LlmBrainConfig.from_env(base_url=base_url, model=model))
    except ValueError as e:
        raise BrainSetupError(str(e)) from None


async def _thread_values(saver: BaseCheckpointSaver[Any], thread_id: str) -> Mapping[str, Any] | None:
    """The latest checkpoint's channel values of a thread, straight from the store (no graph, no plant)."""
    tup = await saver.aget_tuple({"configurable": {"thread_id": thread_id}})
    return None if tup is None else tup.checkpoint.get("channel_values", {})


async def thread_kind(saver: BaseCheckpointSaver[Any], thread_id: str) -> str | None:
    """'ops' for a conversation, 'incident' for an incident run, None if no such thread."""
    values = await _thread_values(saver, thread_id)
    if values is None:
        return None
    return "ops" if "task" in values else "incident"


async def thread_origin(saver: BaseCheckpointSaver[Any], thread_id: str) -> PlantOrigin | None:
    """The plant a conversation was started on (None for a new thread)."""
    values = await _thread_values(saver, thread_id)
    if values is None or "task" not in values:
        return None
    return PlantOrigin.model_validate(values.get("origin") or {})


async def ask_task(
    task: str,
    *,
    thread_id: str | None,
    brain: Any,
    redis_url: str,
    prefix: str,
    origin: PlantOrigin,
    traces: TraceSettings | None = None,
) -> dict[str, JsonValue]:
    """One turn, as a traced `ask.turn` segment; the sandbox is rebuilt from the thread's record."""
    from plantbrain.state import RedisSaver

    thread = thread_id or f"ask-{uuid.uuid4().hex[:8]}"
    with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
        if await thread_kind(saver, thread) == "incident":
            raise BrainSetupError(f"{thread!r} is an incident run, not a conversation; use another --thread")
        used = await thread_origin(saver, thread) or origin
        inputs = {
            "thread": thread,
            "task": task,
            "brain": brain.name,
            "origin": used.model_dump(mode="json"),
            "rebuild": used.base_url is None,
        }
        return await _turn(
            saver, used, "ask.turn", inputs, brain, traces or TraceSettings(redis_url=redis_url)
        )


async def answer_task(
    thread_id: str,
    approval: Approval,
    *,
    brain: Any,
    redis_url: str,
    prefix: str,
    traces: TraceSettings | None = None,
) -> dict[str, JsonValue]:
    """A supervisor's answer, as a traced `ask.answer` segment."""
    from plantbrain.state import RedisSaver

    with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
        used = await thread_origin(saver, thread_id) or PlantOrigin()
        inputs = {
            "thread": thread_id,
            "approval": approval.model_dump(mode="json"),
            "brain": brain.name,
            "rebuild": used.base_url is None,
        }
        return await _turn(
            saver, used, "ask.answer", inputs, brain, traces or TraceSettings(redis_url=redis_url)
        )


async def _turn(
    saver: BaseCheckpointSaver[Any],
    origin: PlantOrigin,
    segment: str,
    inputs: dict[str, Any],
    brain: Any,
    traces: TraceSettings,
) -> dict[str, JsonValue]:
    """A conversation's segment on its plant, traced."""
    with tracing(traces) as provider:
        async with _client(
            origin.base_url, origin.seed or 0, origin.scenario, tracer_provider=provider
        ) as client:
            return await run_segment(
                client,
                saver,
                run_id=str(inputs["thread"]),
                kind="ask",
                segment=segment,
                inputs=inputs,
                brain=brain,
            )


def print_task(out: Mapping[str, Any], as_json: bool) -> None:
    """The reply as the operator reads it (or the whole outcome as JSON)."""
    if as_json:
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        return
    zh = out.get("lang") == "zh"
    head = f"[{out.get('thread_id')} #{out.get('turn')}] {out.get('status')}"
    lines = [head, str(out.get("text") or "")]
    for c in out.get("candidates") or []:
        lines.append(f"  - {c}")
    chain = out.get("chain") or []
    if chain:
        lines.append("决策链：" if zh else "Decision chain:")
        for c in chain:
            acts = ", ".join(c.get("actions") or []) or ("只读" if zh else "read only")
            lines.append(f"  {c.get('n')}. {c.get('owner')} / {c.get('intent')}: {c.get('status')} ({acts})")
    for p in out.get("pending_approvals") or []:
        lines.append(
            f"  plantbrain approve {out.get('thread_id')} --as NAME --role supervisor   # {p.get('tool')} {json.dumps(p.get('args'), ensure_ascii=False)}"
        )
    typer.echo("\n".join(lines))


async def answer_if_conversation(
    thread_id: str, approval: Approval, *, redis_url: str, prefix: str
) -> dict[str, JsonValue] | None:
    """Answer a conversation's pending approval; None if `thread_id` is not a conversation."""
    from plantbrain.state import RedisSaver

    with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
        values = await _thread_values(saver, thread_id)
        if values is None or "task" not in values:
            return None
        brain_name = str(values.get("brain") or "rules")
    brain = make_brain(brain_name)
    return await answer_task(thread_id, approval, brain=brain, redis_url=redis_url, prefix=prefix)


def register(app: typer.Typer, operator_errors: Any) -> None:
    """Add `ask` to the main CLI."""

    from plantbrain._incident_cli import _guard
    from plantbrain.state import resolve_redis
    from sandbox_plant import PlantError, load_scenarios

    @app.command("ask")
    def ask_cmd(
        task: Annotated[str, typer.Argument(help="The task, in English or Chinese (quote it).")],
        thread: Annotated[
            str | None,
            typer.Option(help="Continue this conversation (default: a new one; its id is printed)."),
        ] = None,
        brain: Annotated[str, typer.Option(help="rules (default, offline) or llm.")] = "rules",
        base_url: BaseUrlOpt = None,
        model: ModelOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        plant_url: Annotated[str | None, typer.Option(help="A served plant instead of the sandbox.")] = None,
        seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="Sandbox seed (new threads).")] = 0,
        scenario: Annotated[str | None, typer.Option(help="Sandbox fault scenario (new threads).")] = None,
        at: Annotated[
            float, typer.Option(min=0, max=24, help="Sandbox clock of a new thread, hours into the day.")
        ] = DEFAULT_AT_H,
        prefix: PrefixOpt = "plantbrain:cp",
        otlp_endpoint: OtlpOpt = None,
    ) -> None:
        """Hand plantbrain a task in plain English or Chinese; it plans, acts and answers."""
        if scenario is not None and scenario not in load_scenarios():
            with operator_errors():
                raise PlantError(f"unknown scenario {scenario!r}; known: {', '.join(load_scenarios())}")
        origin = PlantOrigin(base_url=plant_url, seed=seed, scenario=scenario, clock_t=at * 3600.0)
        chosen = _guard(lambda: _make_async(brain, base_url, model))
        with operator_errors(), resolve_redis() as url:
            out = _guard(
                lambda: ask_task(
                    task,
                    thread_id=thread,
                    brain=chosen,
                    redis_url=url,
                    prefix=prefix,
                    origin=origin,
                    traces=TraceSettings(redis_url=url, otlp_endpoint=otlp_endpoint),
                )
            )
        print_task(out, as_json)
        if out.get("status") in ("refused", "failed"):
            raise typer.Exit(1)


async def _make_async(name: str, base_url: str | None, model: str | None) -> Any:
    return make_brain(name, base_url=base_url, model=model)
