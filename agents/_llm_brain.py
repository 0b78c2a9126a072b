"""The `llm` brain: operator text (EN or ZH) -> `Plan` | `Clarification` | `Refusal`, through any
OpenAI-compatible chat-completions endpoint with tool calling (vLLM, llama.cpp, Ollama, OpenAI).

    brain = LlmBrain(LlmBrainConfig.from_env(base_url="http://localhost:8000/v1", model="qwen2.5-7b"))
    answer = await brain.plan("If CNC-3 spindle temperature is above 80 °C, open a work order", lexicon, memory={})

Each intent of `agents._intents.INTENTS` is one tool (parameters: its args model, plus an
optional `when` condition); `clarify` asks the operator back. The model's tool calls become steps,
in order. Every asset, line, tag and technician a call names is checked against the plant's
lexicon: one the plant does not have becomes a `Clarification` with candidates, never a step.
Negations ("don't stop the line") and interlock bypasses are read by the rules grammar, not the
model, so a model's mistake cannot drop them.

Security: the model sees only the operator's text, the intent catalogue, the plant's lexicon (ids,
type and line names, tag names, technician names) and what the previous turn planned. It never
sees free text from the plant (alarm messages, work-order notes, logs), so nothing written into
the plant can instruct it. It only proposes: the graph checks effects and approvals as for any brain.

    Exception
    ├── LlmBrainConfigError (ValueError)   no base_url or model: pass --base-url/--model or set the env
    └── BrainUnavailable                    the endpoint refused, timed out, failed or answered garbage
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import JsonValue, ValidationError

from agents import _rules_grammar as g
from agents._intent_args import EARLIER_ROOT_CAUSE
from agents._intents import INTENTS, find_intent
from agents._lexicon import AssetEntry, PlantLexicon, split_id
from agents._nl_text import is_chinese, normalize
from agents._plan import BrainAnswer, Clarification, Condition, Lang, Plan, Refusal, Step
from agents._rules_refs import Unclear
from tools._telemetry import EventRecordingTransport

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import AIMessage
    from langchain_core.runnables import Runnable

_WHEN_FIELDS = ("kind", "asset", "tag", "op", "value", "unit", "status")
_CLARIFY = "clarify"


class LlmBrainConfigError(ValueError):
    """The llm brain was asked for without an endpoint or a model."""


class BrainUnavailable(Exception):
    """The model endpoint could not be used: nothing was planned."""


class _NotUnderstood(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en, self.zh = en, zh


@dataclass(frozen=True, kw_only=True, slots=True)
class LlmBrainConfig:
    """Where the model is and how to call it."""

    base_url: str
    """OpenAI-compatible endpoint, e.g. 'http://localhost:8000/v1'."""
    model: str
    """The model's name as the endpoint knows it."""
    api_key: str = "not-needed"
    """Bearer key; local servers ignore it."""
    timeout_s: float = 60.0
    """Per-request timeout, seconds."""
    temperature: float = 0.0
    """0: the same task gives the same plan, as far as the server is deterministic."""
    max_retries: int = 1
    """Retries of a failed request (connection, 429, 5xx) before `BrainUnavailable`."""

    @classmethod
    def from_env(cls, base_url: str | None = None, model: str | None = None) -> LlmBrainConfig:
        """Arguments first, then PLANTBRAIN_LLM_* and OPENAI_* environment variables."""
        env = os.environ
        url = base_url or env.get("PLANTBRAIN_LLM_BASE_URL") or env.get("OPENAI_BASE_URL")
        name = model or env.get("PLANTBRAIN_LLM_MODEL") or env.get("OPENAI_MODEL")
        missing = [what for what, value in (("an endpoint URL", url), ("a model name", name)) if not value]
        if not url or not name:
            raise LlmBrainConfigError(
                f"The llm brain needs {' and '.join(missing)}: pass --base-url/--model, or set "
                "PLANTBRAIN_LLM_BASE_URL and PLANTBRAIN_LLM_MODEL (or OPENAI_BASE_URL and OPENAI_MODEL)."
            )
        key = env.get("PLANTBRAIN_LLM_API_KEY") or env.get("OPENAI_API_KEY") or "not-needed"
        return cls(base_url=url, model=name, api_key=key)


def _say(lang: Lang, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


class LlmBrain:
    """A brain that asks a chat model to pick intents as tools, then checks its picks."""

    name = "llm"

    def __init__(self, config: LlmBrainConfig, *, http_async_client: httpx.AsyncClient | None = None) -> None:
        """`http_async_client`: how the endpoint is reached (tests pass an in-process one). The
        default records every exchange on the current span (`llm.http`), so a replay serves the
        model's answers from the record."""
        if http_async_client is None:
            http_async_client = httpx.AsyncClient(
                transport=EventRecordingTransport(httpx.AsyncHTTPTransport()), timeout=config.timeout_s
            )
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as e:  # an optional extra
            raise ImportError("the llm brain needs langchain-openai: pip install 'plantbrain[llm]'") from e
        self.config = config
        chat = ChatOpenAI(
            model=config.model,
            base_url=config.base_url,
            api_key=config.api_key,
            timeout=config.timeout_s,
            temperature=config.temperature,
            max_retries=config.max_retries,
            http_async_client=http_async_client,
            use_responses_api=False,
        )
        self._model: Runnable[LanguageModelInput, AIMessage] = chat.bind_tools(tool_dicts())

    async def plan(self, task: str, lexicon: PlantLexicon, memory: Mapping[str, JsonValue]) -> BrainAnswer:
        lang: Lang = "zh" if is_chinese(task) else "en"

        early = g.early_refusal(task, "llm")
        if early is not None:
            return early  # never sent to the model
        from langchain_core.messages import HumanMessage, SystemMessage

        reply = await self._ask([SystemMessage(system_prompt(lexicon, memory)), HumanMessage(task)])
        return to_answer(task, lang, reply, lexicon, memory)

    async def _ask(self, messages: Sequence[Any]) -> AIMessage:
        """The one place where endpoint errors become `BrainUnavailable`."""
        import openai

        where = f"The LLM endpoint {self.config.base_url} (model {self.config.model!r})"
        check = "check --base-url, that the server is running and serves this model, and the API key"
        try:
            return await self._model.ainvoke(list(messages))
        except openai.APITimeoutError as e:
            raise BrainUnavailable(f"{where} did not answer within {self.config.timeout_s:g} s; {check}.") from e  # fmt: skip
        except openai.APIConnectionError as e:
            raise BrainUnavailable(f"{where} could not be reached ({e}); {check}.") from e
        except openai.APIStatusError as e:
            raise BrainUnavailable(f"{where} answered HTTP {e.status_code}; {check}.") from e
        except (openai.OpenAIError, httpx.HTTPError, ValueError, TypeError, KeyError, AttributeError) as e:
            raise BrainUnavailable(
                f"{where} sent an answer that is not an OpenAI chat completion ({type(e).__name__}); "
                "check that --base-url points at an OpenAI-compatible /v1 API with tool calling."
            ) from e


# -- what the model is offered -------------------------------------------------------------------
def tool_dicts() -> list[dict[str, Any]]:
    """One OpenAI tool per intent (plus `when`), and `clarify`."""
    cond = Condition.model_json_schema()["properties"]
    when = {
        "type": "object",
        "description": "Only for a conditional step ('if ...'): the test on the live plant that must hold "
        "just before the step runs. kind 'tag': asset, tag, op, value (unit); kind 'asset_status': asset, "
        "status; kind 'alarms': asset. Give every step the condition guards the same `when`.",
        "properties": {k: cond[k] for k in _WHEN_FIELDS},
        "required": ["kind", "asset"],
        "additionalProperties": False,
    }
    tools = []
    for spec in INTENTS:
        params = spec.args_model.model_json_schema()
        params.pop("title", None)
        params["properties"] = {**params.get("properties", {}), "when": when}
        tools.append({"type": "function", "function": {"name": spec.name, "description": spec.summary, "parameters": params}})  # fmt: skip
    ask = {"type": "object", "required": ["question"], "properties": {
        "question": {"type": "string", "description": "The question, in the operator's language."},
        "candidates": {"type": "array", "items": {"type": "string"}, "description": "Ids to choose from."},
        "about": {"type": "string", "description": "The operator's words that are unclear."},
    }}  # fmt: skip
    about = "Ask the operator back when the task is ambiguous or names something the plant does not have."
    return [*tools, {"type": "function", "function": {"name": _CLARIFY, "description": about, "parameters": ask}}]  # fmt: skip


def system_prompt(lex: PlantLexicon, memory: Mapping[str, JsonValue]) -> str:
    """What plantbrain is, the rules, the lexicon and the previous turn: nothing else from the plant."""
    out = [
        "You are the planner of plantbrain, which runs a manufacturing plant's operations through "
        "specialist agents (alarm triage, maintenance, scheduling, quality). An operator writes a task in "
        "English or Chinese; you turn it into tool calls, one per step, in the order they should run.",
        "Rules:",
        "- Answer only with tool calls; call several tools for a compound task.",
        "- Use only the asset, line, tag and technician ids listed below, exactly as written. Never invent "
        f"an id. If the operator names something not listed, or something ambiguous, call {_CLARIFY} with "
        "the candidates.",
        "- A tag id is '<asset id>.<tag name>', e.g. 'CNC-3.spindle_temp'.",
        "- 'If <test>, do A and B': call A and B, each with the same `when`.",
        "- 'it', 'its', '它' mean the asset named last, in this task or the previous turn.",
        f"- An asset may be '{EARLIER_ROOT_CAUSE}': the root cause that an earlier find_root_cause or "
        "respond_incident step of the same task finds.",
        "- If no tool does what is asked, call no tool and say so in one sentence.",
        "",
        "Lines (id: name / Chinese name):",
        *(f"- {ln.id}: {ln.name} / {ln.name_zh}" for ln in lex.lines),
        "Assets (id: type / Chinese type, line; tag names):",
        *(f"- {a.id}: {a.type_name} / {a.type_name_zh}, {a.line or 'no line'}; {', '.join(a.tags) or '-'}"
          for a in lex.assets),
    ]  # fmt: skip
    if lex.technicians:
        out += ["Technicians (id: name):", *(f"- {tid}: {name}" for tid, name in lex.technicians)]
    previous = {k: memory[k] for k in ("asset", "line", "drafts", "pending") if memory.get(k) is not None}
    if previous:
        dumped = json.dumps(previous, ensure_ascii=False)[:4000]
        out += ["", "The previous turn, for follow-ups like 'and the other line?' (if it asked a question, "
                f"this task may be the answer: finish that task): {dumped}"]  # fmt: skip
    return "\n".join(out)


# -- what the model answered ---------------------------------------------------------------------
def to_answer(
    task: str, lang: Lang, reply: AIMessage, lex: PlantLexicon, memory: Mapping[str, JsonValue]
) -> BrainAnswer:
    """The model's tool calls as a checked plan, or a question, or a refusal."""

    def refuse(en: str, zh: str) -> Refusal:
        msg = _say(lang, en, zh)
        return Refusal(task=task[:200], lang=lang, brain="llm", reason="not_understood", message=msg)

    if reply.invalid_tool_calls:
        bad = reply.invalid_tool_calls[0].get("name") or "?"
        return refuse(f"The model called '{bad}' with arguments that are not JSON; nothing was done. "
                      "Try rephrasing the task.", f"模型调用“{bad}”的参数不是JSON；未执行任何操作。请换个说法。")  # fmt: skip
    if not reply.tool_calls:
        said = reply.text.strip()[:500]
        return refuse(said or "I did not understand what to do. I can report status, alarms, work orders, "
                      "schedules and lots, and act on them; e.g. 'Open a priority-2 work order on CNC-3'.",
                      said or "没有理解要做什么。例如可以说：“给3号数控机床开一个二级工单”。")  # fmt: skip
    try:
        ask = next((c["args"] for c in reply.tool_calls if c["name"] == _CLARIFY), None)
        if ask is not None:  # the model's own question comes first
            q = str(ask.get("question") or _say(lang, "Which one?", "是哪一个？"))
            listed = [str(c) for c in ask["candidates"]] if isinstance(ask.get("candidates"), list) else []
            raise Unclear(str(ask.get("about") or task)[:200], q, q, listed)
        drafts = [_draft(call["name"], call["args"], lex) for call in reply.tool_calls]
    except Unclear as u:
        return Clarification(
            task=task, lang=lang, brain="llm", about=u.about, question=_say(lang, u.en, u.zh),
            candidates=tuple(u.candidates), pending={"task": task, "about": u.about},
        )  # fmt: skip
    except _NotUnderstood as e:
        return refuse(e.en, e.zh)
    steps = tuple(
        Step(n=i + 1, intent=d["intent"], owner=find_intent(d["intent"]).owner, args=d["args"], when=d["when"])
        for i, d in enumerate(drafts)
    )  # fmt: skip
    assets = [v for d in drafts for k, v in d["args"].items() if k in ("asset", "source", "target")]
    lines = [d["args"]["line"] for d in drafts if isinstance(d["args"].get("line"), str)]
    context: dict[str, JsonValue] = {
        "asset": next((a for a in reversed(assets) if isinstance(a, str) and not a.startswith("@")), None),
        "line": lines[-1] if lines else memory.get("line"),
        "drafts": [
            {"intent": d["intent"], "args": d["args"], "loop_line": None, "text": "",
             "when": d["when"].model_dump(mode="json") if d["when"] else None}
            for d in drafts
        ],
    }  # fmt: skip
    forbidden, _ = g.negations(normalize(task))
    return Plan(task=task, lang=lang, brain="llm", steps=steps, forbidden=tuple(forbidden), context=context)


def _draft(name: str, raw: Mapping[str, Any], lex: PlantLexicon) -> dict[str, Any]:
    try:
        spec = find_intent(name)
    except KeyError:
        raise _NotUnderstood(f"The model asked for '{name}', which plantbrain cannot do; nothing was done.",
                             f"模型请求了“{name}”，plantbrain没有这个功能；未执行任何操作。") from None  # fmt: skip
    args = dict(raw)
    when_raw = args.pop("when", None)
    try:
        valid = spec.args_model.model_validate(args).model_dump(mode="json")
        if when_raw is not None and not (isinstance(when_raw, dict) and set(when_raw) <= set(_WHEN_FIELDS)):
            raise ValueError(f"`when` must be an object with only {', '.join(_WHEN_FIELDS)}")
        when = None if when_raw is None else Condition.model_validate(when_raw)
    except (ValidationError, ValueError) as e:
        why = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()[:3]) \
            if isinstance(e, ValidationError) else str(e)  # fmt: skip
        raise _NotUnderstood(f"The model's arguments for '{name}' are not valid ({why}); nothing was done. "
                             "Try naming the asset and the values explicitly.",
                             f"模型给“{name}”的参数无效（{why}）；未执行任何操作。请明确说出设备和数值。") from None  # fmt: skip
    return {
        "intent": name,
        "args": _resolve_args(valid, lex),
        "when": _resolve_when(when, lex) if when else None,
    }


def _resolve_args(args: dict[str, Any], lex: PlantLexicon) -> dict[str, Any]:
    """The args with every reference checked against the plant and spelled as the plant does."""
    out = dict(args)
    source: AssetEntry | None = None
    for key in ("asset", "source", "target"):
        ref = out.get(key)
        if isinstance(ref, str) and ref != EARLIER_ROOT_CAUSE:
            entry = _asset(ref, lex, like=source)
            source = source or entry
            out[key] = entry.id
    if isinstance(out.get("line"), str):
        ln = lex.line(out["line"].strip())
        if ln is None:
            ids = [x.id for x in lex.lines]
            raise Unclear(out["line"], f"The plant has no line '{out['line']}'. Which one: {', '.join(ids)}?",
                          f"工厂里没有产线“{out['line']}”。是哪一条：{'、'.join(ids)}？", ids)  # fmt: skip
        out["line"] = ln.id
    if isinstance(out.get("tag"), str):
        out["tag"] = _tag(out["tag"], _asset(str(out.get("asset")), lex))
    if isinstance(out.get("technician"), str) and lex.technicians:
        ref = out["technician"].strip().lower()
        tid = next((t for t, nm in lex.technicians if ref in (t.lower(), nm.lower())), None)
        if tid is None:
            ids = [t for t, _ in lex.technicians]
            raise Unclear(out["technician"], f"There is no technician '{out['technician']}'. Who: {', '.join(ids)}?",
                          f"没有技术员“{out['technician']}”。派给谁：{'、'.join(ids)}？", ids)  # fmt: skip
        out["technician"] = tid
    return out


def _resolve_when(when: Condition, lex: PlantLexicon) -> Condition:
    entry = _asset(when.asset, lex)
    update: dict[str, Any] = {"asset": entry.id}
    if when.kind == "tag":
        tag = update["tag"] = _tag(when.tag, entry)
        if when.op is None or when.value is None:
            raise _NotUnderstood(f"The condition on {tag} needs a comparison and a value; nothing was done.",
                                 f"{tag}的条件缺少比较方式或数值；未执行任何操作。")  # fmt: skip
    elif when.kind == "asset_status" and not when.status:
        raise _NotUnderstood(f"The condition on {entry.id} needs a status (running, idle, down, stopped).",
                             f"{entry.id}的条件缺少状态（运行、空闲、故障、停机）。")  # fmt: skip
    return when.model_copy(update=update)


def _asset(ref: str, lex: PlantLexicon, *, like: AssetEntry | None = None) -> AssetEntry:
    """The plant's asset; else `Unclear` with the same type's assets (of `like`, or of the id's prefix)."""
    entry = lex.asset(ref.strip())
    if entry is not None:
        return entry
    if like is not None:
        same = [a.id for a in lex.assets if a.type == like.type and a.id != like.id]
    else:
        same = [a.id for a in lex.by_prefix(split_id(ref)[0])]
    cands = same or [a.id for a in lex.assets]
    raise Unclear(ref, f"The plant has no asset '{ref}'. Which one do you mean: {', '.join(cands)}?",
                  f"工厂里没有设备“{ref}”。您指的是哪一台：{'、'.join(cands)}？", cands)  # fmt: skip


def _tag(ref: str | None, entry: AssetEntry) -> str:
    """The tag id of `entry` that `ref` ('CNC-3.spindle_temp' or 'spindle_temp') names; else `Unclear`."""
    owner, _, name = (ref or "").strip().rpartition(".")
    hit = next((t for t in entry.tags if t.lower() == name.lower()), None)
    if hit is not None and (not owner or owner.upper() == entry.id):
        return f"{entry.id}.{hit}"
    cands = [f"{entry.id}.{t}" for t in entry.tags]
    if ref is None:
        raise Unclear(entry.id, f"Which sensor of {entry.id}: {', '.join(cands)}?",
                      f"{entry.id}的哪个传感器：{'、'.join(cands)}？", cands)  # fmt: skip
    raise Unclear(ref, f"{entry.id} has no sensor '{ref}'. Which one: {', '.join(cands)}?",
                  f"{entry.id}没有传感器“{ref}”。是哪一个：{'、'.join(cands)}？", cands)  # fmt: skip
