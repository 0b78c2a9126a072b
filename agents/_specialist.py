"""The contract between a specialist and whatever runs it (the incident graph, a test).

A specialist is `async def agent(client: PlantClient, act: Act, situation: Situation) -> Decision`.
It reads the plant through read tools and never calls a write or critical tool itself: it calls
`await act(tool_name, args)`, and the runner decides (reads run; writes run with an idempotency
key stable across a resumed step; critical actions wait for a supervisor's approval and come
back as `Declined` when rejected).

Findings a later specialist needs (root-cause assets, affected machines, time window, work
orders) travel as one `Evidence` whose source is `FINDINGS_SOURCE`: build it with
`findings_evidence`, read it back with `findings_of`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents._decision import Decision, Evidence
from tools import PlantClient

Act = Callable[[str, Mapping[str, object]], Awaitable[object]]
"""`await act(tool_name, args)`: run a tool through the runner's risk gate."""

REVIEW_TRIGGER = "review"
"""Trigger type of a shift review: nothing alarmed or tripped, the specialists look for what is wrong."""
FOLLOW_UP_TRIGGER = "follow_up"
"""Trigger type of a follow-up pass on a finished run: the plant has moved on since its first pass."""
MATERIAL_TRIGGER = "job.waiting_material"
"""Trigger type of a material shortage: the plant event of a job that cannot start for lack of stock."""

FINDINGS_SOURCE = "findings"
"""`Evidence.source` of the evidence whose `data` is a specialist's findings for the others."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Situation(_Frozen):
    """What a specialist is asked to handle."""

    run_id: str
    trigger: dict[str, JsonValue] = Field(
        default_factory=dict, description="The plant event that started the run."
    )
    findings: dict[str, JsonValue] = Field(
        default_factory=dict, description="What earlier specialists found (keys documented per specialist)."
    )


Specialist = Callable[[PlantClient, Act, Situation], Awaitable[Decision]]


class Declined(_Frozen):
    """What `act` returns for a critical action that was rejected."""

    tool: str
    reason: str


def findings_evidence(summary: str, **data: JsonValue) -> Evidence:
    """The evidence that carries a specialist's findings to the later ones."""
    return Evidence(source=FINDINGS_SOURCE, summary=summary, data=dict(data))


def findings_of(decision: Decision) -> dict[str, JsonValue]:
    """The findings a decision carries (merged, in order, from its findings evidence)."""
    out: dict[str, JsonValue] = {}
    for e in decision.observed:
        if e.source == FINDINGS_SOURCE:
            out.update(e.data)
    return out
