"""Run a step-depth suite and score it, τ-bench style: the plant's state decides, not the reply.

Each trial of a task runs on a fresh in-process sandbox (the task's seed and scenario, run `hours`
of plant time, then its `setup` calls) through the real ops graph and brain, answering approval
requests as the task says. After every step the evaluator reads `GET /state` and notes which
milestones hold and whether a minefield does; at the end it checks that every milestone holds
(in order when the task says so), no minefield was ever hit (facts, forbidden actions, a critical
action executed without an approval), and the reply says what `expected_answer` asks.

The run's tool calls are read from its decision chain (the `execute_tool` spans) and matched with
the gold chain as an ordered subsequence; the first gold call that is not found is the first
wrong step.

    report = await run_suite(tasks, brain_factory=RulesBrain, k=5)
    report.by_depth["3"].success
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from langgraph.checkpoint.memory import InMemorySaver
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from graphs import Approval
from graphs._ops_run import answer, ask
from plantbrain._eval_tasks import AnswerFact, EvalTask, Fact, Mine, SuiteError, ToolCallRef
from plantbrain._incident_cli import advance_to
from tools import PlantClient, PlantClientConfig, ToolError, find_tool
from tools import _telemetry as tm

MAX_APPROVALS = 20
"""Approval rounds a trial answers before it is stopped (a brain that keeps asking fails)."""
EVALUATOR = Approval(approved=True, by="evaluator", role="supervisor")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Call(_Out):
    """A tool call of the run, from its `execute_tool` span."""

    tool: str
    args: dict[str, JsonValue]
    path: str


class TrialResult(_Out):
    """One run of one task."""

    id: str
    depth: int
    lang: str
    trial: int
    success: bool
    progress: float
    status: str
    first_error_step: int | None
    """1-based index of the first gold call the run did not make (None: all made, in order)."""
    diverged_at: str | None
    """The gold call not made, and what the run did there."""
    missing: list[str] = Field(default_factory=list)
    """Milestones not holding at the end, answer facts not said, order broken."""
    minefields: list[str] = Field(default_factory=list)
    """Minefields hit (facts that held, forbidden actions)."""
    answer: str = ""
    calls: list[str] = Field(default_factory=list)
    seconds: float = 0.0


class DepthFigures(_Out):
    n: int
    success: float
    pass_k: float
    progress: float
    first_error_step: float | None
    """Mean 1-based index of the first wrong step over the tasks that have one (None: no task has)."""
    minefields: int


class SuiteReport(_Out):
    date: str
    """UTC date the run finished."""
    k: int
    brain: str
    tasks: int
    by_depth: dict[str, DepthFigures]
    overall: DepthFigures
    by_lang: dict[str, DepthFigures]
    failures: list[TrialResult]
    seconds: float


# -- facts on the state ------------------------------------------------------------------------------
def collection(state: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """The items of a collection of `GET /state` (`job_ops` flattened from the jobs)."""
    if name == "job_ops":
        return [{**op, "job": j["id"]} for j in state.get("jobs", []) for op in j.get("ops", [])]
    if name == "tags":
        return [{"id": k, "value": v} for k, v in (state.get("tags") or {}).items()]
    value = state.get(name)
    if isinstance(value, dict):
        return [value]
    return list(value or [])


def _matches(item: Mapping[str, Any], where: Mapping[str, JsonValue]) -> bool:
    return all(item.get(k) == v for k, v in where.items())


def select(state: Mapping[str, Any], fact: Fact) -> list[dict[str, Any]]:
    return [x for x in collection(state, fact.in_) if _matches(x, fact.where)]


def holds(state: Mapping[str, Any], fact: Fact) -> bool:
    """Whether `fact` is true of `state`."""
    items = select(state, fact)
    if fact.field is None:
        n = len(items)
        return (
            (fact.count is None or n == fact.count)
            and (fact.count_min is None or n >= fact.count_min)
            and (fact.count_max is None or n <= fact.count_max)
        )
    if not items:
        return False
    return all(_compare(x.get(fact.field), fact) for x in items)


def _compare(value: Any, fact: Fact) -> bool:
    s = fact.model_fields_set
    if "eq" in s:
        return bool(value == fact.eq)
    if "ne" in s:
        return bool(value != fact.ne)
    if "contains" in s:
        return isinstance(value, list) and fact.contains in value
    if "one_of" in s:
        return value in (fact.one_of or [])
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    v = float(value)
    if fact.gt is not None:
        return v > fact.gt
    if fact.ge is not None:
        return v >= fact.ge
    if fact.lt is not None:
        return v < fact.lt
    assert fact.le is not None
    return v <= fact.le


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def said(text: str, state: Mapping[str, Any], item: AnswerFact) -> bool:
    """Whether the reply `text` says what `item` asks, read against `state`."""
    low = text.lower()
    if item.mentions is not None:
        return item.mentions.lower() in low
    if item.ids_of is not None:
        return all(str(x.get("id", "")).lower() in low for x in select(state, item.ids_of))
    fact = item.value_of
    assert fact is not None and fact.field is not None
    items = select(state, fact)
    if not items:
        return False
    value = items[0].get(fact.field)
    if isinstance(value, int | float) and not isinstance(value, bool):
        numbers = [float(x) for x in _NUMBER.findall(text.replace(",", ""))]
        return any(math.isclose(n, float(value), abs_tol=item.tol) for n in numbers)
    return str(value).lower() in low


# -- the run's calls vs the gold chain ---------------------------------------------------------------
def calls_of(exporter: InMemorySpanExporter) -> list[Call]:
    spans = [
        s for s in exporter.get_finished_spans() if (s.attributes or {}).get(tm.OPERATION) == tm.EXECUTE_TOOL
    ]
    spans.sort(key=lambda s: s.start_time or 0)
    out: list[Call] = []
    for s in spans:
        a = s.attributes or {}
        try:
            args = json.loads(str(a.get(tm.TOOL_ARGS) or "{}"))
        except json.JSONDecodeError:
            args = {}
        out.append(
            Call(
                tool=str(a.get(tm.TOOL_NAME)),
                args=args if isinstance(args, dict) else {},
                path=str(a.get(tm.URL_PATH) or ""),
            )
        )
    return out


def call_matches(call: Call, ref: ToolCallRef) -> bool:
    """`call` is `ref`: the same tool, and each of `ref`'s arguments in its arguments or URL path."""
    if call.tool != ref.tool:
        return False
    segments = call.path.strip("/").split("/")
    for key, want in ref.args.items():
        got = call.args.get(key)
        if got == want or (isinstance(got, str) and not isinstance(want, str) and got == str(want)):
            continue
        if isinstance(got, list) and want in got:
            continue
        if str(want) in segments:
            continue
        return False
    return True


def first_error(calls: Sequence[Call], gold: Sequence[ToolCallRef]) -> tuple[int | None, str | None]:
    """The first gold call not made (ordered subsequence match), 1-based, and what was done there."""
    i = 0
    for n, ref in enumerate(gold, 1):
        while i < len(calls) and not call_matches(calls[i], ref):
            i += 1
        if i == len(calls):
            args = json.dumps(ref.args, ensure_ascii=False)
            return n, f"gold step {n} {ref.tool} {args} was not made"
        i += 1
    return None, None


def mine_action_hit(actions: Iterable[Mapping[str, Any]], mine: Mine) -> bool:
    assert mine.action is not None
    for a in actions:
        if a.get("status") != "executed":
            continue
        args = a.get("args") if isinstance(a.get("args"), dict) else {}
        call = Call(tool=str(a.get("tool")), args=args or {}, path="")
        if call_matches(call, mine.action):
            return True
    return False


# -- one trial ---------------------------------------------------------------------------------------
async def run_trial(task: EvalTask, brain: Any, *, trial: int = 1) -> TrialResult:
    """Run `task` once on a fresh sandbox with `brain` and score it."""
    from sandbox_plant import create_app

    started = time.perf_counter()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)  # an atexit hook would keep every trial's spans
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    transport = httpx.ASGITransport(app=create_app(seed=task.seed, scenario=task.scenario))
    config = PlantClientConfig(base_url="http://plant", timeout_s=120.0)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://plant", timeout=120.0) as http,
        PlantClient(config, transport=transport, tracer_provider=provider) as client,
    ):

        async def state() -> dict[str, Any]:
            r = await http.get("/state")
            r.raise_for_status()
            body: dict[str, Any] = r.json()
            return body

        await advance_to(client, task.hours * 3600.0)
        for n, call in enumerate(task.setup, 1):
            try:
                await find_tool(call.tool).invoke(client, call.args)
            except (ToolError, ValidationError) as e:
                why = e.message if isinstance(e, ToolError) else f"{e.error_count()} argument error(s)"
                raise SuiteError(f"task {task.id}: setup call {n} ({call.tool}) failed: {why}") from None
        exporter.clear()
        before = await state()
        fact_mines = [m for m in task.minefields if m.fact is not None]
        missing: list[str] = []
        hit: list[str] = []
        for m in fact_mines:
            assert m.fact is not None
            if holds(before, m.fact):
                missing.append(f"task error: minefield {m.text()} holds before the task")
        reached: dict[int, int] = {}  # milestone index -> step count when first seen holding
        checks = 0

        def observe(now: Mapping[str, Any]) -> None:
            nonlocal checks
            checks += 1
            for i, f in enumerate(task.milestones):
                if i not in reached and holds(now, f):
                    reached[i] = checks
            for m in fact_mines:
                assert m.fact is not None
                label = m.text()
                if label not in hit and holds(now, m.fact) and not holds(before, m.fact):
                    hit.append(label)

        async def on_event(event: dict[str, JsonValue]) -> None:
            if event.get("event") in ("step", "approval"):
                observe(await state())

        thread = f"eval-{task.id}-{trial}"
        saver = InMemorySaver()
        out = await ask(client, saver, thread_id=thread, task=task.utterance, brain=brain, on_event=on_event)
        rounds = 0
        while out.get("status") == "awaiting_approval" and rounds < MAX_APPROVALS:
            rounds += 1
            approval = (
                EVALUATOR if task.approvals == "approve" else EVALUATOR.model_copy(update={"approved": False})
            )
            out = await answer(client, saver, thread, approval, brain=brain, on_event=on_event)
        after = await state()
        observe(after)
        status = str(out.get("status"))
        raw_actions = out.get("actions")
        actions = [a for a in raw_actions if isinstance(a, dict)] if isinstance(raw_actions, list) else []
        for m in task.minefields:
            if m.action is not None and mine_action_hit(actions, m):
                hit.append(m.text())
        for a in actions:
            if a.get("risk") == "critical" and a.get("status") == "executed" and not a.get("approved_by"):
                hit.append(f"critical action {a.get('tool')} executed without an approval")
        done_milestones = 0
        for i, f in enumerate(task.milestones):
            if holds(after, f):
                done_milestones += 1
            else:
                missing.append(f"milestone {i + 1} not reached: {f.text()}")
        if task.ordered:
            seen = [reached.get(i) for i in range(len(task.milestones))]
            if all(s is not None for s in seen) and seen != sorted(seen):  # type: ignore[type-var]
                missing.append("milestones reached out of order")
        text = str(out.get("text") or "")
        said_ok = 0
        for item in task.expected_answer:
            if said(text, after, item):
                said_ok += 1
            else:
                missing.append(f"answer does not say: {item.text()}")
        if status != "completed":
            missing.append(f"run ended {status}")
        calls = calls_of(exporter)
    exporter.clear()
    provider.shutdown()
    total = len(task.milestones) + len(task.expected_answer)
    progress = 0.0 if hit else (done_milestones + said_ok) / total
    err, where = first_error(calls, task.gold_chain)
    if where is not None:
        where += "; the run called: " + (", ".join(c.tool for c in calls[:30]) or "nothing")
    return TrialResult(
        id=task.id,
        depth=task.depth,
        lang=task.lang,
        trial=trial,
        success=not hit and not missing,
        progress=round(progress, 4),
        status=status,
        first_error_step=err,
        diverged_at=where,
        missing=missing,
        minefields=hit,
        answer=text[:2000],
        calls=[c.tool for c in calls],
        seconds=round(time.perf_counter() - started, 3),
    )


# -- a suite -----------------------------------------------------------------------------------------
Progress = Callable[[int, int, TrialResult], None]


async def run_suite(
    tasks: Sequence[EvalTask],
    brain_factory: Callable[[], Any],
    *,
    k: int = 1,
    brain_name: str = "rules",
    on_result: Progress | None = None,
) -> SuiteReport:
    """Every task `k` times (a fresh brain and a fresh sandbox per trial); the figures by depth."""
    started = time.perf_counter()
    results: dict[str, list[TrialResult]] = defaultdict(list)
    total, n = len(tasks) * k, 0
    for task in tasks:
        for trial in range(1, k + 1):
            r = await run_trial(task, brain_factory(), trial=trial)
            results[task.id].append(r)
            n += 1
            if on_result is not None:
                on_result(n, total, r)
    by_task = {t.id: t for t in tasks}
    groups: dict[str, list[str]] = defaultdict(list)
    langs: dict[str, list[str]] = defaultdict(list)
    for t in tasks:
        groups[str(t.depth)].append(t.id)
        langs[t.lang].append(t.id)
    by_depth = {d: _figures(ids, results) for d, ids in sorted(groups.items(), key=lambda kv: int(kv[0]))}
    failures = [r for tid in by_task for r in results[tid] if not r.success]
    return SuiteReport(
        date=datetime.now(tz=UTC).strftime("%Y-%m-%d"),
        k=k,
        brain=brain_name,
        tasks=len(tasks),
        by_depth=by_depth,
        overall=_figures([t.id for t in tasks], results),
        by_lang={lang: _figures(ids, results) for lang, ids in sorted(langs.items())},
        failures=failures,
        seconds=round(time.perf_counter() - started, 1),
    )


def _figures(ids: Sequence[str], results: Mapping[str, Sequence[TrialResult]]) -> DepthFigures:
    trials = [r for tid in ids for r in results[tid]]
    errors = [r.first_error_step for r in trials if r.first_error_step is not None]
    return DepthFigures(
        n=len(ids),
        success=round(sum(r.success for r in trials) / len(trials), 4) if trials else 0.0,
        pass_k=round(sum(all(r.success for r in results[tid]) for tid in ids) / len(ids), 4) if ids else 0.0,
        progress=round(sum(r.progress for r in trials) / len(trials), 4) if trials else 0.0,
        first_error_step=round(sum(errors) / len(errors), 2) if errors else None,
        minefields=sum(len(r.minefields) for r in trials),
    )
