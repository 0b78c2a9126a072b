"""The shared contract of the incident graph and its specialists, and the graph's state.

A specialist is `async def agent(client: PlantClient, act: Act, situation: Situation) -> Decision`.
(The contract lives in `agents/_specialist.py`; it is re-exported here for the graph.)
It reads the plant through read tools (directly, or through `act`) and never calls a write or
critical tool itself: it calls `await act(tool_name, args)` and the graph decides.

    read      run as is
    write     run with the idempotency key f"{run_id}:{agent}:{tool}:{digest of the args}" (the
              same action gets the same key when a resumed node re-runs the specialist)
    critical  not run: the graph raises a LangGraph `interrupt` with the proposed action and its
              rationale; it runs only after a supervisor approves (`Command(resume=Approval)`).
              A rejected action comes back as a `Declined`.

`act` returns the tool's result model, or `Declined`; a `ToolError` comes back raised, as an
observation the specialist may handle. Findings a later specialist needs (root-cause assets,
affected machines, time window, work orders) travel as one `Evidence` whose source is
`FINDINGS_SOURCE`: build it with `findings_evidence`; the graph merges it into
`Situation.findings` for the next specialists.
"""

from __future__ import annotations

import operator
from typing import Annotated, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents._specialist import (
    FINDINGS_SOURCE,
    FOLLOW_UP_TRIGGER,
    MATERIAL_TRIGGER,
    REVIEW_TRIGGER,
    Act,
    Declined,
    Situation,
    Specialist,
    findings_evidence,
    findings_of,
)

SUPERVISOR_ROLE = "supervisor"
"""The only role whose approval lets a critical action run."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Approval(_Frozen):
    """A person's answer to a pending critical action (the `Command(resume=...)` value)."""

    approved: bool
    by: str = Field(min_length=1)
    role: str = Field(min_length=1)


ActionStatus = Literal["executed", "failed", "rejected"]


class ActionRecord(_Frozen):
    """One write or critical action the graph ran (or refused to run) for a specialist."""

    agent: str
    n: int
    tool: str
    risk: Literal["write", "critical"]
    args: dict[str, JsonValue]
    idempotency_key: str
    status: ActionStatus
    result: dict[str, JsonValue] | None = None
    error: str | None = None
    approved_by: str | None = None
    refusals: tuple[dict[str, JsonValue], ...] = ()
    """Approvals refused because the approver lacked the supervisor role."""
    pass_no: int = 1
    """The run's pass that ran it: 1, or a later follow-up pass."""
    at_t: float | None = None
    """Plant clock when its pass started: a rebuilt sandbox is advanced to it before the replay."""


class PlantOrigin(_Frozen):
    """How to reach (or rebuild) the plant a run acts on, so another process can resume it."""

    base_url: str | None = None
    """A served plant; None for the in-process sandbox rebuilt from the fields below."""
    seed: int | None = None
    scenario: str | None = None
    clock_t: float = 0.0
    """Plant clock when the graph started; the in-process plant is rebuilt to this time."""


def merge_dicts(left: dict[str, JsonValue], right: dict[str, JsonValue]) -> dict[str, JsonValue]:
    """Reducer: later findings overwrite earlier ones key by key."""
    return {**left, **right}


def last_value(left: JsonValue, right: JsonValue) -> JsonValue:
    """Reducer: the newest write wins (explicit, so every channel has a declared reducer)."""
    return right


class IncidentState(TypedDict, total=False):
    """The incident graph's state. Everything is JSON so any process can read a checkpoint."""

    run_id: Annotated[str, last_value]
    origin: Annotated[dict[str, JsonValue], last_value]
    """A `PlantOrigin`, dumped."""
    trigger: Annotated[dict[str, JsonValue], last_value]
    """The trigger of the current pass."""
    passes: Annotated[list[dict[str, JsonValue]], operator.add]
    """Every pass's trigger, in order: the first started the run, later ones are follow-ups."""
    findings: Annotated[dict[str, JsonValue], merge_dicts]
    decisions: Annotated[list[dict[str, JsonValue]], operator.add]
    """`Decision`s, dumped, in the order the specialists ran."""
    actions: Annotated[list[dict[str, JsonValue]], operator.add]
    """`ActionRecord`s, dumped."""
    visited: Annotated[list[str], operator.add]
    skipped: Annotated[list[dict[str, JsonValue]], operator.add]
    """Specialists the situation needed but which are not installed: {agent, reason}."""
    failure: Annotated[dict[str, JsonValue] | None, last_value]
    """Set when a plant failure (after the client's retries) ended the run: {agent, kind, message}."""
    summary: Annotated[dict[str, JsonValue], last_value]


__all__ = [
    "FOLLOW_UP_TRIGGER",
    "MATERIAL_TRIGGER",
    "REVIEW_TRIGGER",
    "FINDINGS_SOURCE",
    "SUPERVISOR_ROLE",
    "Act",
    "ActionRecord",
    "ActionStatus",
    "Approval",
    "Declined",
    "IncidentState",
    "PlantOrigin",
    "Situation",
    "Specialist",
    "findings_evidence",
    "findings_of",
    "last_value",
    "merge_dicts",
]
