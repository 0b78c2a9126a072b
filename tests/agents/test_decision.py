"""Decisions are structured and conflicts are settled by safety > quality > delivery > cost."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from agents._decision import Claim, Decision, Evidence, ToolCall, resolve_conflict

MACHINE = "machine CNC-3 10:00-13:00"


def claim(agent: str, concern: str, reason: str = "r") -> Claim:
    return Claim.model_validate({"agent": agent, "resource": MACHINE, "concern": concern, "reason": reason})


def test_safety_beats_delivery_whatever_the_order() -> None:
    maintenance = claim("maintenance", "safety", "bearing temperature trending to trip")
    scheduling = claim("scheduling", "delivery", "job J-17 due at 14:00")
    for claims in itertools.permutations([maintenance, scheduling]):
        out = resolve_conflict(list(claims))
        assert out.winner == "maintenance" and out.losers == ("scheduling",)
        assert "safety outranks delivery" in out.rationale
        assert "J-17" in out.rationale, "the yielded claim's reason is recorded"


def test_full_order_of_concerns() -> None:
    claims = [
        claim("scheduling", "cost"),
        claim("scheduling", "delivery"),
        claim("quality", "quality"),
        claim("maintenance", "safety"),
    ]
    for perm in itertools.permutations(claims):
        assert resolve_conflict(list(perm)).winner == "maintenance"
    assert resolve_conflict(claims[:3]).winner == "quality"
    assert resolve_conflict(claims[:2]).winner == "scheduling"


def test_equal_concern_first_claim_stands() -> None:
    out = resolve_conflict([claim("quality", "quality", "a"), claim("maintenance", "quality", "b")])
    assert out.winner == "quality" and "first claim stands" in out.rationale


def test_bad_conflicts_are_refused() -> None:
    with pytest.raises(ValueError, match="at least two"):
        resolve_conflict([claim("quality", "quality")])
    other = Claim(agent="scheduling", resource="machine CNC-4", concern="delivery", reason="r")
    with pytest.raises(ValueError, match="different resources"):
        resolve_conflict([claim("quality", "quality"), other])


def test_decision_is_validated_and_round_trips() -> None:
    d = Decision(
        agent="maintenance",
        summary="Open an EM work order on P-201",
        observed=(Evidence(source="tag P-201.flow", summary="flow fell to 0", data={"flow": 0.0}),),
        rule="failure mode map: flow loss -> pump failure",
        rationale="flow fell to zero while the motor ran",
        tool_calls=(
            ToolCall(
                tool="create_work_order", args={"asset_id": "P-201"}, risk="write", idempotency_key="k1"
            ),
        ),
        confidence=0.9,
    )
    assert Decision.model_validate_json(d.model_dump_json()) == d
    with pytest.raises(ValidationError):
        Decision(agent="maintenance", summary="s", rule="r", rationale="r", confidence=1.5)
    with pytest.raises(ValidationError):
        ToolCall(tool="x", risk="dangerous")  # type: ignore[arg-type]
