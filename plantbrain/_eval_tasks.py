"""The step-depth suite's task format (JSONL, one task per line) and its loader.

A task is an operator's sentence on a sandbox plant, with what a correct run must leave behind:

    {"id": "wo-cnc3-en-1", "utterance": "Open a priority-2 work order on CNC-3", "lang": "en",
     "scenario": null, "seed": 0, "hours": 2,
     "depth": 2, "gold_chain": [{"tool": "list_work_orders", "args": {"asset": "CNC-3"}},
                                {"tool": "create_work_order", "args": {"asset": "CNC-3", "priority": 2}}],
     "milestones": [{"in": "work_orders", "where": {"asset": "CNC-3", "priority": 2}, "count": 1}],
     "minefields": [{"in": "work_orders", "where": {"asset": "CNC-4"}, "count_min": 1}],
     "expected_answer": [{"mentions": "CNC-3"}], "tags": ["maintenance"]}

State facts (`milestones`, `minefields`, `expected_answer`) are checked against the sandbox's
`GET /state`, never against what the agent says it did, so a different but correct path succeeds.
A fact selects the items of a collection of the state (`in`: alarms, assets, jobs, job_ops (every
operation of every job, with its `job`), lots, materials, setpoints, spare_parts, technicians,
work_orders, tags (each `{"id": tag, "value": v}`), and the one-item schedule, clock,
measurements (counts), events (count)) whose fields equal `where`, then asserts one thing:

    "count": n / "count_min": n / "count_max": n      how many items match
    "field": f, and one of "eq", "ne", "gt", "ge", "lt", "le", "contains" (a list field holds the
    value), "one_of" (the field is one of a list): every matching item (at least one) satisfies it

A minefield is a fact that must never hold (checked after every step and at the end), or an action
that must never be executed: `{"action": {"tool": "set_machine_mode", "args": {"asset_id": "CNC-4"}}}`.
`expected_answer` items check the reply to a question: `{"mentions": "CNC-3"}` (the text contains
it), `{"value_of": fact-with-field, "tol": 0.1}` (the field's value, read from the state, appears
in the text: a number within `tol`), `{"ids_of": fact}` (every matching item's id appears).
`depth` is the number of calls in `gold_chain`; `approvals` says how the evaluator, as the
supervisor, answers approval requests ("approve" or "reject"); `setup` lists write tool calls made
on the plant before the task (e.g. a lot put on hold). Errors name the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

COLLECTIONS = (
    "alarms",
    "assets",
    "jobs",
    "job_ops",
    "lots",
    "materials",
    "setpoints",
    "spare_parts",
    "technicians",
    "work_orders",
    "tags",
    "schedule",
    "clock",
    "measurements",
    "events",
)
_COMPARE = ("eq", "ne", "gt", "ge", "lt", "le", "contains", "one_of")
_COUNT = ("count", "count_min", "count_max")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fact(_Strict):
    """A statement about the plant's state (see the module doc)."""

    in_: str = Field(alias="in")
    where: dict[str, JsonValue] = Field(default_factory=dict)
    count: int | None = Field(default=None, ge=0)
    count_min: int | None = Field(default=None, ge=0)
    count_max: int | None = Field(default=None, ge=0)
    field: str | None = None
    eq: JsonValue = None
    ne: JsonValue = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    contains: JsonValue = None
    one_of: list[JsonValue] | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _one_assertion(self) -> Fact:
        if self.in_ not in COLLECTIONS:
            raise ValueError(f"unknown collection {self.in_!r}; known: {', '.join(COLLECTIONS)}")
        counts = [k for k in _COUNT if getattr(self, k) is not None]
        compares = [k for k in _COMPARE if k in self.model_fields_set]
        if self.field is None:
            if compares:
                raise ValueError(f"{compares[0]!r} needs a 'field'")
            if not counts:
                raise ValueError("a fact without 'field' needs 'count', 'count_min' or 'count_max'")
        elif len(compares) != 1 or counts:
            raise ValueError(f"a fact with 'field' needs exactly one of {', '.join(_COMPARE)}, and no count")
        return self

    def text(self) -> str:
        where = ",".join(f"{k}={v}" for k, v in self.where.items())
        what = next(
            (f"{k} {getattr(self, k)}" for k in _COUNT if getattr(self, k) is not None),
            next(
                (
                    f"{self.field} {k} {json.dumps(getattr(self, k))}"
                    for k in _COMPARE
                    if k in self.model_fields_set
                ),
                "",
            ),
        )
        return f"{self.in_}[{where}] {what}".strip()


class ToolCallRef(_Strict):
    """A tool call: its catalogue name and the arguments that matter (a subset of the call's)."""

    tool: str = Field(min_length=1)
    args: dict[str, JsonValue] = Field(default_factory=dict)


class Mine(_Strict):
    """A minefield: a fact that must never hold, or an action that must never be executed."""

    fact: Fact | None = None
    action: ToolCallRef | None = None

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and "action" not in data and "fact" not in data:
            return {"fact": data}  # a bare fact
        return data

    @model_validator(mode="after")
    def _one(self) -> Mine:
        if (self.fact is None) == (self.action is None):
            raise ValueError("a minefield is a fact or an action, not both")
        return self

    def text(self) -> str:
        if self.action is not None:
            return f"action {self.action.tool} {json.dumps(self.action.args, ensure_ascii=False)}"
        assert self.fact is not None
        return self.fact.text()


class AnswerFact(_Strict):
    """What the reply to a question must say (see the module doc)."""

    mentions: str | None = None
    value_of: Fact | None = None
    ids_of: Fact | None = None
    tol: float = Field(default=0.05, ge=0)

    @model_validator(mode="after")
    def _one(self) -> AnswerFact:
        given = [k for k in ("mentions", "value_of", "ids_of") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an expected_answer item has exactly one of 'mentions', 'value_of', 'ids_of'")
        if self.value_of is not None and self.value_of.field is None:
            raise ValueError("'value_of' needs a fact with a 'field'")
        return self

    def text(self) -> str:
        if self.mentions is not None:
            return f"mentions {self.mentions!r}"
        if self.value_of is not None:
            return f"value of {self.value_of.text()}"
        assert self.ids_of is not None
        return f"ids of {self.ids_of.text()}"


class EvalTask(_Strict):
    """One task of a suite."""

    id: str = Field(min_length=1, max_length=200)
    utterance: str = Field(min_length=1, max_length=2000)
    lang: Literal["en", "zh"]
    scenario: str | None = None
    seed: int = Field(default=0, ge=0)
    hours: float = Field(default=2.0, ge=0, le=72)
    """Plant time run before the task."""
    setup: list[ToolCallRef] = Field(default_factory=list)
    depth: int = Field(ge=1)
    gold_chain: list[ToolCallRef] = Field(min_length=1)
    milestones: list[Fact] = Field(default_factory=list)
    ordered: bool = False
    """The milestones must become true in the order listed."""
    minefields: list[Mine] = Field(default_factory=list)
    expected_answer: list[AnswerFact] = Field(default_factory=list)
    approvals: Literal["approve", "reject"] = "approve"
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> EvalTask:
        if self.depth != len(self.gold_chain):
            raise ValueError(f"depth is {self.depth} but the gold chain has {len(self.gold_chain)} call(s)")
        if not self.milestones and not self.expected_answer:
            raise ValueError("a task needs milestones (a change) or expected_answer (a question), or both")
        return self


class SuiteError(ValueError):
    """A task file that cannot be used; the message names the file and line."""


def default_suite() -> Path:
    """The project's own suite: `evals/depth/` beside the packages."""
    return Path(__file__).resolve().parents[1] / "evals" / "depth"


def suite_files(path: Path) -> list[Path]:
    """A `.jsonl` file, or every `.jsonl` file under a directory (sorted)."""
    if path.is_dir():
        files = sorted(path.rglob("*.jsonl"))
        if not files:
            raise SuiteError(f"{path}: no .jsonl task files in this directory")
        return files
    if not path.exists():
        raise SuiteError(f"{path}: no such file or directory")
    return [path]


def load_suite(path: Path, *, scenarios: Iterable[str], tools: Iterable[str]) -> list[EvalTask]:
    """Every task of `path` (a file or a directory), checked against the known scenarios and tools.

    Raises `SuiteError` naming `file:line` for a line that is not JSON, not a task, names an
    unknown scenario or tool, or repeats an id."""
    known_scenarios, known_tools = set(scenarios), set(tools)
    known = ", ".join(sorted(known_tools))
    tasks: list[EvalTask] = []
    seen: dict[str, str] = {}
    for file in suite_files(path):
        for n, raw in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{file}:{n}"
            if not raw.strip() or raw.lstrip().startswith("//"):
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as e:
                raise SuiteError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
            try:
                task = EvalTask.model_validate(data)
            except ValidationError as e:
                first = e.errors()[0]
                loc = ".".join(str(x) for x in first["loc"]) or "task"
                raise SuiteError(f"{where}: {loc}: {first['msg']}") from None
            if task.scenario is not None and task.scenario not in known_scenarios:
                raise SuiteError(
                    f"{where}: unknown scenario {task.scenario!r}; known: {', '.join(sorted(known_scenarios))}"
                )
            for part, calls in (("setup", task.setup), ("gold_chain", task.gold_chain)):
                for call in calls:
                    if call.tool not in known_tools:
                        raise SuiteError(f"{where}: {part}: unknown tool {call.tool!r}; known: {known}")
            for mine in task.minefields:
                if mine.action is not None and mine.action.tool not in known_tools:
                    raise SuiteError(
                        f"{where}: minefields: unknown tool {mine.action.tool!r}; known: {known}"
                    )
            if task.id in seen:
                raise SuiteError(f"{where}: task id {task.id!r} repeats {seen[task.id]}")
            seen[task.id] = where
            tasks.append(task)
    if not tasks:
        raise SuiteError(f"{path}: no tasks")
    return tasks
