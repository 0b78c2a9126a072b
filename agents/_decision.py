"""What a specialist decided, and why: the raw material of the decision chain.

Every specialist returns a `Decision`: what it looked at (`observed`), which rule or model
decided (`rule`), the rationale in words an engineer would accept, the tool calls it makes
(with their risk tier and idempotency key), and its confidence. These cross process and trace
boundaries, so they are pydantic models.

When two specialists want the same resource (maintenance wants a machine the schedule needs),
`resolve_conflict` decides by one fixed order of concerns, safety > quality > delivery > cost,
and records why.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

AgentName = Literal["supervisor", "alarm_triage", "maintenance", "scheduling", "quality"]
Risk = Literal["read", "write", "critical"]
Concern = Literal["safety", "quality", "delivery", "cost"]

CONCERN_ORDER: tuple[Concern, ...] = ("safety", "quality", "delivery", "cost")
"""Highest first: a safety claim beats a quality claim beats a delivery claim beats a cost claim."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """One thing a specialist looked at."""

    source: str = Field(description="Where it came from, e.g. 'GET /alarms' or 'tag CNC-3.spindle_temp'.")
    summary: str = Field(description="What it showed, in one line.")
    data: dict[str, JsonValue] = Field(default_factory=dict, description="The figures behind the summary.")


class ToolCall(_Frozen):
    """A tool call a specialist makes (or proposes, when it needs approval)."""

    tool: str
    args: dict[str, JsonValue] = Field(default_factory=dict)
    risk: Risk
    idempotency_key: str | None = Field(
        default=None, description="Reused when a resumed step repeats the call, so the plant applies it once."
    )


class Claim(_Frozen):
    """One specialist's wish for a resource, and the concern behind it."""

    agent: AgentName
    resource: str = Field(description="What is wanted, e.g. 'machine CNC-3 from 10:00 to 13:00'.")
    concern: Concern
    reason: str


class ConflictResolution(_Frozen):
    """Who gets a contested resource, by which rule, and why."""

    resource: str
    winner: AgentName
    losers: tuple[AgentName, ...]
    rule: str = "safety > quality > delivery > cost"
    rationale: str


class Decision(_Frozen):
    """What one specialist decided."""

    agent: AgentName
    summary: str = Field(description="The decision in one line.")
    observed: tuple[Evidence, ...] = ()
    rule: str = Field(
        description="The rule or model that decided, e.g. 'Nelson rule 2' or 'CP-SAT, tardiness'."
    )
    rationale: str
    tool_calls: tuple[ToolCall, ...] = ()
    confidence: float = Field(ge=0.0, le=1.0)
    conflicts: tuple[ConflictResolution, ...] = ()


def resolve_conflict(claims: list[Claim]) -> ConflictResolution:
    """Give a contested resource to the claim with the highest concern.

    Claims of equal concern keep the order they were made in (the first wins), so the
    outcome never depends on anything but the claims themselves.
    """
    if len(claims) < 2:
        raise ValueError("a conflict needs at least two claims")
    resources = {c.resource for c in claims}
    if len(resources) != 1:
        raise ValueError(f"claims are for different resources: {sorted(resources)}")
    ranked = sorted(enumerate(claims), key=lambda ic: (CONCERN_ORDER.index(ic[1].concern), ic[0]))
    winner = ranked[0][1]
    losers = [c for _, c in ranked[1:]]
    beaten = "; ".join(f"{c.agent} ({c.concern}: {c.reason})" for c in losers)
    if any(c.concern == winner.concern for c in losers):
        why = f"equal concern ({winner.concern}): the first claim stands"
    else:
        why = f"{winner.concern} outranks " + ", ".join(
            sorted({c.concern for c in losers}, key=CONCERN_ORDER.index)
        )
    return ConflictResolution(
        resource=winner.resource,
        winner=winner.agent,
        losers=tuple(c.agent for c in losers),
        rationale=f"{winner.agent} gets {winner.resource} ({winner.concern}: {winner.reason}); {why}. Yielded: {beaten}.",
    )
