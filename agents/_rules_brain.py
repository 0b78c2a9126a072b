"""The `rules` brain: operator text (EN or ZH) -> `Plan` | `Clarification` | `Refusal`, offline and deterministic.

    brain = RulesBrain()
    answer = await brain.plan("如果3号数控机床主轴温度超过80度，就开二级工单并把它的任务转到4号机床", lexicon, memory={})

`memory` is what the previous turn of the conversation left (`Plan.context`, or a pending
clarification): "and line 3?" repeats the last task on line 3; an answer to a question finishes
the task it was asked about. Nothing here reads the plant's live state: conditions are planned
and evaluated by the graph when their step runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import JsonValue

from agents import _rules_grammar as g
from agents._intent_args import EARLIER_ROOT_CAUSE
from agents._intents import find_intent
from agents._lexicon import PlantLexicon
from agents._nl_text import is_chinese, meaningful, normalize
from agents._plan import BrainAnswer, Clarification, Condition, Lang, Plan, Refusal, Step
from agents._rules_refs import Ref, Unclear, find_refs, resolve_sensor, sensor_tokens

_ASSET_INTENTS = frozenset(
    {"asset_status", "read_sensor", "sensor_trend", "diagnose", "stop_machine", "start_machine",
     "create_work_order", "assign_work_order", "shelve_alarms", "spc_check", "set_setpoint", "move_jobs"}
)  # fmt: skip
_SCOPE_INTENTS = frozenset(
    {
        "list_alarms",
        "acknowledge_alarms",
        "find_root_cause",
        "respond_incident",
        "list_work_orders",
        "show_schedule",
    }
)
_LOOPED_BY_LINE = frozenset({"stop_machine", "start_machine"})
"""Intents that, said of a line ("stop line 2"), mean every machine on it."""
_ROOT_FINDERS = frozenset({"find_root_cause", "respond_incident"})
_PLANT = re.compile(r"\b(plant|factory|site|overview|everything)\b|全厂|工厂|整体|总体")


def _say(lang: Lang, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


class RulesBrain:
    """The default brain: a lexicon from the plant and a grammar for EN and ZH."""

    name = "rules"

    async def plan(self, task: str, lexicon: PlantLexicon, memory: Mapping[str, JsonValue]) -> BrainAnswer:
        return plan_task(task, lexicon, memory)


def plan_task(task: str, lex: PlantLexicon, memory: Mapping[str, JsonValue]) -> BrainAnswer:
    """Parse one operator task (pure and deterministic)."""
    lang: Lang = "zh" if is_chinese(task) else "en"

    def refuse(reason: Any, en: str, zh: str) -> Refusal:
        return Refusal(task=task[:200], lang=lang, brain="rules", reason=reason, message=_say(lang, en, zh))

    early = g.early_refusal(task, "rules")
    if early is not None:
        return early
    text = normalize(task)
    pending = memory.get("pending")
    if (
        isinstance(pending, dict)
        and isinstance(pending.get("task"), str)
        and isinstance(pending.get("about"), str)
    ):
        answered = _answer_pending(text, pending, lex)
        if answered is not None:
            return plan_task(answered, lex, {k: v for k, v in memory.items() if k != "pending"})
    if not meaningful(text):
        return refuse("not_understood", "I did not understand that. Try e.g. 'Which alarms are active on line 2?'.",
                      "没有理解您的意思。可以这样说：“二线有哪些报警？”")  # fmt: skip
    forbidden, text = g.negations(text)
    try:
        drafts = _Planner(lex, lang, memory).run(text)
    except Unclear as u:
        return Clarification(
            task=task, lang=lang, brain="rules", about=u.about, question=_say(lang, u.en, u.zh),
            candidates=tuple(u.candidates), pending={"task": text, "about": u.about},
        )  # fmt: skip
    if not drafts:
        return refuse("not_understood",
                      "I did not understand what to do. I can report status, alarms, work orders, schedules "
                      "and lots, and act on them; e.g. 'Open a priority-2 work order on CNC-3'.",
                      "没有理解要做什么。我可以查询状态、报警、工单、排程和批次并执行操作，例如“给3号数控机床开一个二级工单”。")  # fmt: skip
    steps = tuple(
        Step(n=i + 1, intent=d["intent"], owner=find_intent(d["intent"]).owner, args=d["args"],
             when=d.get("when"), text=d.get("text", ""))
        for i, d in enumerate(drafts)
    )  # fmt: skip
    # The task's subject: what a condition tested, else the first asset acted on ("move CNC-3's
    # jobs to CNC-4" is about CNC-3); "and CNC-2?" next turn puts CNC-2 in its place.
    assets = [d["when"].asset for d in drafts if isinstance(d.get("when"), Condition)]
    assets += [v for d in drafts for k, v in d["args"].items() if k in ("asset", "source")]
    lines = [d["args"]["line"] for d in drafts if "line" in d["args"]] + [
        d["loop_line"] for d in drafts if d.get("loop_line")
    ]
    context: dict[str, JsonValue] = {
        "asset": next((a for a in assets if isinstance(a, str) and not a.startswith("@")), None),
        "line": lines[-1] if lines else memory.get("line"),
        "drafts": [_dump(d) for d in drafts],
    }
    return Plan(task=task, lang=lang, brain="rules", steps=steps, forbidden=tuple(forbidden), context=context)


def _dump(d: dict[str, Any]) -> dict[str, JsonValue]:
    when = d.get("when")
    return {
        "intent": d["intent"],
        "args": d["args"],
        "loop_line": d.get("loop_line"),
        "when": when.model_dump(mode="json") if isinstance(when, Condition) else None,
        "text": d.get("text", ""),
    }


def _answer_pending(text: str, pending: Mapping[str, JsonValue], lex: PlantLexicon) -> str | None:
    """The original task with the unclear words replaced by the answer, if the answer names one thing."""
    try:
        refs = [r for r in find_refs(text, lex) if r.kind in ("asset", "line")]
    except Unclear:
        return None
    if len(refs) != 1 or g.intent_of(text) is not None:
        return None
    name = refs[0].value.lower()
    return str(pending["task"]).replace(str(pending["about"]), name, 1)


class _Planner:
    def __init__(self, lex: PlantLexicon, lang: Lang, memory: Mapping[str, JsonValue]) -> None:
        self.lex, self.lang, self.memory = lex, lang, memory
        last = memory.get("asset")
        self.last_asset: str | None = last if isinstance(last, str) else None
        self.last_line: str | None = None
        """The line this task named last: a scope intent that names nothing is about it."""
        self.out: list[dict[str, Any]] = []

    def run(self, text: str) -> list[dict[str, Any]]:
        for sentence in g.sentences(text):
            cond = g.conditional(sentence)
            if cond is None:
                self._body(sentence, None, None)
                continue
            loop = self._loop_line(cond.prefix) if cond.prefix else None
            if loop is None and cond.prefix:
                self._body(cond.prefix, None, None)
            if loop is not None:
                for asset in self._machines(loop):
                    self.last_asset = asset
                    when = self._condition(cond.condition, asset)
                    if when is None:
                        continue  # this machine has no such sensor: the condition cannot hold
                    self._body(cond.then, when, loop)
                    if cond.otherwise:
                        self._body(cond.otherwise, when.model_copy(update={"negate": True}), loop)
                continue
            when = self._condition(cond.condition, None)
            if when is None:
                raise Unclear(cond.condition, f"I could not read the condition '{cond.condition}'.",
                              f"无法理解条件“{cond.condition}”。", [])  # fmt: skip
            self._body(cond.then, when, None)
            if cond.otherwise:
                self._body(cond.otherwise, when.model_copy(update={"negate": True}), None)
        if not self.out:
            self._follow_up(text)
        return self.out

    def shown(self, text: str) -> str:
        """Normalised text as an operator reads it back: asset ids and units in their own case."""
        for a in self.lex.assets:
            text = re.sub(rf"(?<![a-z0-9]){re.escape(a.id.lower())}(?![0-9])", a.id, text)
        return text.replace("°c", "°C")

    # -- references -------------------------------------------------------------------------------
    def _loop_line(self, text: str) -> str | None:
        refs = find_refs(text, self.lex)
        return next((r.value for r in refs if r.kind == "line" and r.loop), None)

    def _machines(self, line: str) -> list[str]:
        return [a.id for a in self.lex.machines_of(line) if a.category == "machine"]

    def _asset_of(self, refs: list[Ref], about: str, *, allow_root: bool = True) -> str:
        for r in refs:
            if r.kind == "asset":
                return r.value
            if r.kind == "pronoun" and self.last_asset:
                return self.last_asset
        if allow_root and any(d["intent"] in _ROOT_FINDERS for d in self.out):
            return EARLIER_ROOT_CAUSE
        if self.last_asset:
            return self.last_asset
        ids = [a.id for a in self.lex.assets]
        raise Unclear(about, f"Which asset do you mean? The plant has: {', '.join(ids)}.",
                      f"您指的是哪台设备？工厂设备有：{'、'.join(ids)}。", ids)  # fmt: skip

    def _condition(self, text: str, loop_asset: str | None) -> Condition | None:
        refs = find_refs(text, self.lex)
        asset = loop_asset or self._asset_of(refs, text, allow_root=False)
        self.last_asset = asset
        status = g.status_word(text)
        if status:
            return Condition(kind="asset_status", asset=asset, status=status, text=self.shown(text))
        th = g.threshold(text)
        if th is not None:
            tokens, words = sensor_tokens(text)
            entry = self.lex.asset(asset)
            if entry is None or not tokens:
                raise Unclear(
                    text, f"Which sensor should I compare in '{text}'?", f"“{text}”中要比较哪个传感器？", []
                )
            if loop_asset is not None and not any(tokens <= self.lex.tag_tokens(t) for t in entry.tags):
                return None  # in a loop, only the machines that have the sensor named in full
            tag = resolve_sensor(entry, tokens, words, self.lex)
            op, value, unit = th
            return Condition(
                kind="tag", asset=asset, tag=tag, op=op, value=value, unit=unit, text=self.shown(text)
            )
        if g.has_alarms(text):
            return Condition(kind="alarms", asset=asset, text=self.shown(text))
        return None

    # -- clauses ----------------------------------------------------------------------------------
    def _body(self, text: str, when: Condition | None, loop: str | None) -> None:
        prev: str | None = None
        merged: list[str] = []
        for clause in g.clauses(text):
            if merged and g.argument_only(clause):
                merged[-1] = f"{merged[-1]} {clause}"  # "open a work order on GRD-2, priority 2"
            else:
                merged.append(clause)
        for clause in merged:
            intent = g.intent_of(clause)
            refs = find_refs(clause, self.lex)
            self.last_line = next((r.value for r in refs if r.kind == "line"), self.last_line)
            if intent is None:
                intent = self._implicit(clause, refs)
            if intent is None:
                if prev is not None and any(r.kind in ("asset", "line") for r in refs):
                    intent = prev  # "diagnose CNC-3 and CNC-4"
                else:
                    continue
            intent = self._refine(intent, clause, refs)
            prev = intent
            for args, loop_line in self._args(intent, clause, refs):
                self.out.append(
                    {
                        "intent": intent,
                        "args": args,
                        "when": when,
                        "text": self.shown(clause),
                        "loop_line": loop_line or loop,
                    }
                )

    def _implicit(self, clause: str, refs: list[Ref]) -> str | None:
        tokens, _ = sensor_tokens(clause)
        if tokens and any(r.kind in ("asset", "pronoun", "line") for r in refs):
            return "sensor_trend" if g.window_s(clause) else "read_sensor"  # a window asks for a trend
        if any(r.kind == "job" for r in refs):
            return "job_status"
        if any(r.kind == "lot" for r in refs):
            return "explain"
        return None

    def _args(
        self, intent: str, clause: str, refs: list[Ref]
    ) -> list[tuple[dict[str, JsonValue], str | None]]:
        lines = [r for r in refs if r.kind == "line"]
        if (
            intent in ("read_sensor", "sensor_trend")
            and lines
            and not any(r.kind in ("asset", "pronoun") for r in refs)
        ):
            return [(a, lines[0].value) for a in self._loop_args(intent, clause, lines[0].value)]
        if (
            intent in _ASSET_INTENTS
            and lines
            and (lines[0].loop or intent in _LOOPED_BY_LINE)
            and not any(r.kind == "asset" for r in refs)
        ):
            return [(a, lines[0].value) for a in self._loop_args(intent, clause, lines[0].value)]
        if intent == "line_status":
            return [({"line": lines[0].value}, None)]
        return [(self._one(intent, clause, refs), None)]

    def _refine(self, intent: str, clause: str, refs: list[Ref]) -> str:
        """Status words said of a job are the job's status; of a line, the line's; of nothing
        named, the plant's."""
        if intent not in ("asset_status", "plant_status"):
            return intent
        if any(r.kind == "job" for r in refs) and not any(r.kind in ("asset", "line") for r in refs):
            return "job_status"  # "how's JOB-0007 getting on", "JOB-0031状态怎么样"
        if any(r.kind in ("asset", "pronoun") for r in refs):
            return "asset_status"
        if any(r.kind == "line" for r in refs):
            return "line_status"
        if intent == "plant_status" or _PLANT.search(clause) or not self.last_asset:
            return "plant_status"
        return "asset_status"

    def _loop_args(self, intent: str, clause: str, line: str) -> list[dict[str, JsonValue]]:
        out = []
        for asset in self._machines(line):
            try:
                out.append(self._one(intent, clause, [Ref("asset", asset, 0, 0)]))
            except Unclear:
                continue  # a machine without the named sensor is not part of the loop
        return out

    def _one(self, intent: str, clause: str, refs: list[Ref]) -> dict[str, JsonValue]:
        lx = self.lex
        if intent in _SCOPE_INTENTS:
            asset = next((r.value for r in refs if r.kind == "asset"), None)
            if asset is None and any(r.kind == "pronoun" for r in refs):
                asset = self.last_asset
            line = next((r.value for r in refs if r.kind == "line"), None)
            if asset:
                self.last_asset = asset
                return {"asset": asset}
            line = line or self.last_line
            return {"line": line} if line else {}
        if intent == "move_jobs":
            cut = g.target_at(clause)
            before = [r for r in refs if cut is None or r.start < cut]
            after = [r for r in refs if cut is not None and r.start >= cut and r.kind == "asset"]
            source = self._asset_of(before, clause)
            if not after:
                same = [
                    a.id for a in lx.assets if (e := lx.asset(source)) and a.type == e.type and a.id != source
                ]
                raise Unclear(clause, f"Move {source}'s jobs to which machine: {', '.join(same)}?",
                              f"把{source}的任务转到哪台设备：{'、'.join(same)}？", same)  # fmt: skip
            self.last_asset = after[0].value
            return {"source": source, "target": after[0].value}
        if intent in ("job_status",):
            job = next((r.value for r in refs if r.kind == "job"), None)
            if job is None:
                raise Unclear(clause, "Which job (e.g. JOB-0012)?", "哪个订单（例如JOB-0012）？", [])
            return {"job": job}
        if intent in ("release_lot",):
            lot = next((r.value for r in refs if r.kind == "lot"), None)
            if lot is None:
                raise Unclear(clause, "Which lot (e.g. LOT-0012)?", "哪个批次（例如LOT-0012）？", [])
            return {"lot": lot}
        if intent == "hold_lots":
            lot = next((r.value for r in refs if r.kind == "lot"), None)
            if lot is not None:
                return {"lot": lot}
            asset = self._asset_of(refs, clause)
            return {"asset": asset, "window_s": g.window_s(clause)}
        if intent == "explain":
            lot = next((r.value for r in refs if r.kind == "lot"), None)
            asset = next((r.value for r in refs if r.kind == "asset"), None)
            return {"lot": lot, "asset": asset}
        if intent == "incident_replay":
            m = re.search(r"\b(inc-[a-z0-9_-]+)", clause)
            return {"run_id": m.group(1) if m else None}
        if intent == "plan_shift":
            m = re.search(r"\bshift ([abc])\b|([abc])\s*班", clause)
            return {
                "shift": (m.group(1) or m.group(2)).upper() if m else None,
                "replan": g.REPLAN.search(clause) is not None,
                "publish": g.DRAFT.search(clause) is None,
            }
        if intent == "list_technicians":
            m = re.search(r"\bshift ([abc])\b|([abc])\s*班", clause)
            return {"shift": (m.group(1) or m.group(2)).upper() if m else None}
        if intent not in _ASSET_INTENTS:
            return {}
        asset = self._asset_of(refs, clause)
        self.last_asset = asset
        args: dict[str, JsonValue] = {"asset": asset}
        if intent in ("read_sensor", "sensor_trend", "set_setpoint"):
            entry = lx.asset(asset)
            tokens, words = sensor_tokens(clause)
            if entry is None or not tokens:
                raise Unclear(clause, f"Which sensor of {asset}?", f"{asset}的哪个传感器？",
                              list(entry.tags) if entry else [])  # fmt: skip
            tag = resolve_sensor(entry, tokens, words, lx)
            if intent == "set_setpoint":
                value = g.set_value(clause)
                if value is None:
                    raise Unclear(clause, f"Set {tag} to what value?", f"{tag}设为多少？", [])
                return {"asset": asset, "setpoint": tag.split(".", 1)[1], "value": value}
            args["tag"] = tag
            if intent == "sensor_trend":
                args["window_s"] = g.window_s(clause)
        elif intent == "create_work_order":
            args["priority"] = g.priority(clause)
            args["type"] = g.wo_type(clause)
            args["note"] = self.shown(clause)[:200]
        elif intent == "assign_work_order":
            args["technician"] = next((r.value for r in refs if r.kind == "technician"), None)
        elif intent == "shelve_alarms":
            args["duration_s"] = g.duration(clause) or 3600.0
        return args

    # -- follow-up turns --------------------------------------------------------------------------
    def _follow_up(self, text: str) -> None:
        """A turn that names only a line or an asset repeats the last task there ("那二线呢？")."""
        drafts = self.memory.get("drafts")
        if not isinstance(drafts, list) or not drafts:
            return
        refs = find_refs(text, self.lex)
        old_line = self.memory.get("line")
        new_line = next((r.value for r in refs if r.kind == "line"), None)
        if any(r.kind == "other_line" for r in refs):
            others = [ln.id for ln in self.lex.lines if ln.id != old_line]
            if len(others) != 1:
                raise Unclear("the other line", f"Which line: {', '.join(others)}?",
                              f"哪条线：{'、'.join(others)}？", others)  # fmt: skip
            new_line = others[0]
        new_asset = next((r.value for r in refs if r.kind == "asset"), None)
        old_asset = self.memory.get("asset")
        loops_done: set[tuple[str, str]] = set()
        for d in drafts:
            if not isinstance(d, dict):
                continue
            intent, args = str(d.get("intent")), dict(d.get("args") or {})  # type: ignore[arg-type]
            when = Condition.model_validate(d["when"]) if isinstance(d.get("when"), dict) else None
            if new_line and d.get("loop_line"):
                # A loop is re-expanded once on the new line, each machine with its own condition.
                key = (intent, str(d.get("text", "")))
                if key in loops_done:
                    continue
                loops_done.add(key)
                for a in self._loop_args(intent, str(d.get("text", "")), new_line):
                    bound = _rebind(when, str(a["asset"]), self.lex) if when is not None else None
                    if when is None or bound is not None:
                        self.out.append({"intent": intent, "args": a, "when": bound, "loop_line": new_line})
                continue
            if new_line and args.get("line"):
                args["line"] = new_line
            elif new_asset and old_asset:
                args = {k: (new_asset if v == old_asset else v) for k, v in args.items()}
                if when is not None and when.asset == old_asset:
                    when = _rebind(when, new_asset, self.lex)
                    if when is None:
                        continue  # the new asset has no such sensor
                if "tag" in args and isinstance(args["tag"], str):
                    args["tag"] = f"{new_asset}.{args['tag'].split('.', 1)[1]}"
            else:
                continue
            self.out.append({"intent": intent, "args": args, "when": when, "text": d.get("text", "")})


def _rebind(when: Condition, asset: str, lex: PlantLexicon) -> Condition | None:
    """The same condition on another asset; None if that asset has no such sensor."""
    if when.tag is None:
        return when.model_copy(update={"asset": asset})
    name = when.tag.split(".", 1)[1]
    entry = lex.asset(asset)
    if entry is None or name not in entry.tags:
        return None
    return when.model_copy(update={"asset": asset, "tag": f"{asset}.{name}"})
