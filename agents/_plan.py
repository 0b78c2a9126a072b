"""What a brain makes of an operator's task: a `Plan`, a `Clarification` or a `Refusal`.

    "If CNC-3 spindle temperature is above 80 °C, open a priority-2 work order and move its jobs to CNC-4"
    -> Plan(steps=[
         Step(n=1, intent="create_work_order", owner="maintenance", args={asset: CNC-3, priority: 2},
              when=Condition(kind="tag", asset="CNC-3", tag="CNC-3.spindle_temp", op="gt", value=80)),
         Step(n=2, intent="move_jobs", owner="scheduling", args={source: CNC-3, target: CNC-4}, when=<same>),
       ])

A plan is data that crosses the checkpoint boundary (pydantic, JSON). Every reference in it is
resolved against the plant (asset ids, tag ids, lines): a brain that cannot resolve one answers
with a `Clarification` listing the candidates instead of guessing. Loops are expanded when the
plan is made ("every machine on line 2" is one step per machine); conditions (`when`) are
evaluated against the live plant just before their step runs. `forbidden` carries the operator's
negations ("don't stop the line"): the graph refuses any action that matches one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents._decision import AgentName
from agents._lexicon import PlantLexicon

Lang = Literal["en", "zh"]
Op = Literal["gt", "ge", "lt", "le"]
OP_WORDS: dict[Op, tuple[str, str]] = {
    "gt": ("above", "高于"),
    "ge": ("at or above", "不低于"),
    "lt": ("below", "低于"),
    "le": ("at or below", "不高于"),
}
"""How an operator would say each comparison, EN and ZH."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Frozen):
    """A test on the live plant, evaluated just before the steps it guards."""

    kind: Literal["tag", "asset_status", "alarms"]
    """`tag`: a tag's current value against a threshold; `asset_status`: the asset is in a status
    (running, idle, down, stopped, maintenance); `alarms`: the asset has standing alarms."""
    asset: str
    tag: str | None = None
    """Tag id (`CNC-3.spindle_temp`), for kind `tag`."""
    op: Op | None = None
    value: float | None = None
    unit: str | None = None
    status: str | None = None
    """For kind `asset_status`."""
    negate: bool = False
    """True for the branch taken when the test fails ("otherwise", "否则")."""
    text: str = ""
    """What the operator said."""


class Forbid(_Frozen):
    """An action the operator ruled out ("don't stop the line", "不要停线")."""

    tool: str
    match: dict[str, JsonValue] = Field(default_factory=dict)
    """Arguments that must all be equal for the rule to apply; empty: every call of `tool`."""
    text: str = ""


class Step(_Frozen):
    """One thing to do, owned by one specialist (or the supervisor, for status and reports)."""

    n: int = Field(ge=1)
    intent: str
    owner: AgentName
    args: dict[str, JsonValue] = Field(default_factory=dict)
    when: Condition | None = None
    text: str = ""
    """The part of the task this step came from."""


class Plan(_Frozen):
    """Ordered, possibly conditional steps for one operator task."""

    task: str
    lang: Lang
    brain: str
    steps: tuple[Step, ...]
    forbidden: tuple[Forbid, ...] = ()
    context: dict[str, JsonValue] = Field(default_factory=dict)
    """What the task referred to (assets, line, sensor, window), for a follow-up turn."""


class Clarification(_Frozen):
    """A question back to the operator: a reference the brain could not resolve to one thing."""

    task: str
    lang: Lang
    brain: str
    about: str
    """The words that were unclear."""
    question: str
    candidates: tuple[str, ...] = ()
    pending: dict[str, JsonValue] = Field(default_factory=dict)
    """What the brain understood so far, to finish the plan when the operator answers."""


class Refusal(_Frozen):
    """No plan: the task is empty, too long, not understood, or asks for something no tool does."""

    task: str
    lang: Lang
    brain: str
    reason: Literal["empty", "too_long", "not_understood", "unsupported"]
    message: str


BrainAnswer = Plan | Clarification | Refusal


class Brain(Protocol):
    """How natural language becomes a plan: `RulesBrain` (default, offline), `LlmBrain`."""

    name: str
    """'rules' or 'llm': recorded on each thread."""

    async def plan(self, task: str, lexicon: PlantLexicon, memory: Mapping[str, JsonValue]) -> BrainAnswer:
        """The plan, question or refusal for one task; `memory` is what the previous turn left."""
        ...
