"""The contract of an operator intent's handler: `async def h(ctx: OpsContext, args) -> StepOutcome`.

A handler carries out one plan step for its specialist. Like a specialist it never touches the
plant directly: every tool call, read or write, goes through `ctx.act`, the graph's risk gate
(reads run; writes run keyed; critical actions wait for a supervisor; forbidden ones come back
`Declined`), so every call lands in the decision chain. `read` and `write` are the typed wrappers.
Its answer is told in both languages; the graph shows the operator's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents._lexicon import PlantLexicon
from agents._plan import Lang
from agents._specialist import Act, Declined
from tools import PlantClient

A = TypeVar("A", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)

StepStatus = Literal["done", "nothing_to_do", "declined", "failed", "skipped", "awaiting_approval"]


class StepOutcome(BaseModel):
    """What one step did, in the operator's words (EN and ZH) and in figures."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: StepStatus
    en: str
    zh: str
    data: dict[str, JsonValue] = Field(default_factory=dict)
    """The figures behind the answer (ids, values), for `--json` and for tests."""
    findings: dict[str, JsonValue] = Field(default_factory=dict)
    """What later steps of the same task may use (e.g. `root_cause`)."""

    def say(self, lang: Lang) -> str:
        return self.zh if lang == "zh" else self.en


class IncidentLibrary(Protocol):
    """Recorded incident runs (the incident graph's checkpoints), for replay questions."""

    async def latest(self) -> Mapping[str, JsonValue] | None: ...

    async def get(self, run_id: str) -> Mapping[str, JsonValue] | None: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class OpsContext:
    """What a handler gets: the plant (through the gate), the language, and what came before."""

    client: PlantClient
    """For the specialists a handler delegates to; handlers themselves call tools through `act`."""
    act: Act
    """The graph's risk gate."""
    lang: Lang
    lexicon: PlantLexicon
    agent: str
    """The specialist running the step: recorded as `by` on the plant's audit trail."""
    earlier: Mapping[str, JsonValue] = field(default_factory=dict)
    """Findings of the earlier steps of this task."""
    history: Sequence[Mapping[str, JsonValue]] = ()
    """Earlier turns of this conversation (task, reply, steps), for explanations."""
    incidents: IncidentLibrary | None = None


Handler = Callable[[OpsContext, Any], Awaitable[StepOutcome]]


async def read(ctx: OpsContext, fn: Callable[[PlantClient, A], Awaitable[R]], args: A) -> R:
    """Run a read tool through the gate."""
    return cast(R, await ctx.act(fn.__name__, args.model_dump(mode="json")))


async def write(ctx: OpsContext, fn: Callable[[PlantClient, A], Awaitable[R]], args: A) -> R | Declined:
    """Run a write or critical tool through the gate: its result, or `Declined` (rejected or forbidden)."""
    out = await ctx.act(fn.__name__, args.model_dump(mode="json"))
    return out if isinstance(out, Declined) else cast(R, out)


def done(en: str, zh: str, **data: JsonValue) -> StepOutcome:
    return StepOutcome(status="done", en=en, zh=zh, data=dict(data))


def nothing(en: str, zh: str, **data: JsonValue) -> StepOutcome:
    return StepOutcome(status="nothing_to_do", en=en, zh=zh, data=dict(data))


def declined(what_en: str, what_zh: str, d: Declined) -> StepOutcome:
    return StepOutcome(
        status="declined",
        en=f"{what_en} was not done: {d.reason}.",
        zh=f"{what_zh}未执行：{d.reason}。",
        data={"tool": d.tool, "reason": d.reason},
    )


def ids(xs: Sequence[str], lang_zh: bool = False, none: str = "-") -> str:
    if not xs:
        return none
    return ("、" if lang_zh else ", ").join(xs)


def hm(iso: str | None) -> str:
    """'2026-03-02T08:10:00Z' -> '08:10'."""
    return iso[11:16] if iso and len(iso) >= 16 else (iso or "-")
