"""Health trends, remaining-useful-life projection and failure-mode diagnosis on known series."""

from __future__ import annotations

import numpy as np
import pytest

from agents._health import HealthPolicy, TagTrend, diagnose, health_index, tag_trend

HOURS = np.arange(0, 48 * 3600, 600.0)  # two days, one point per 10 min


def noisy(level: float, sd: float, seed: int) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0, sd, len(HOURS))


def test_steady_tag_is_flat_and_healthy() -> None:
    tr = tag_trend("CNC-3.spindle_vib", HOURS, noisy(1.2, 0.08, 1), limit=4.5)
    assert tr.direction == "flat" and abs(tr.shift_sigma) < 4
    assert tr.hours_to_limit is None or tr.hours_to_limit > 1000
    assert health_index([tr]) > 0.9


def test_wear_ramp_is_up_and_projects_the_limit() -> None:
    ramp = (
        noisy(1.2, 0.05, 2) + np.clip(HOURS - 24 * 3600, 0, None) / 3600 * 0.1
    )  # +0.1 mm/s per hour after 24 h
    tr = tag_trend("CNC-3.spindle_vib", HOURS, ramp, limit=4.5)
    assert tr.direction == "up" and tr.shift_sigma > 10
    assert tr.slope_per_h == pytest.approx(0.1, rel=0.1)
    # current level ~ 1.2 + 0.1 * (recent mean age) ; the projection is (4.5 - current) / 0.1 per hour
    assert tr.hours_to_limit == pytest.approx((4.5 - tr.current) / tr.slope_per_h, rel=1e-6)
    assert 5 < tr.hours_to_limit < 15
    assert health_index([tr]) < 0.7
    assert "reaches 4.5" in tr.explanation


def test_falling_flow_toward_a_low_limit_and_past_it() -> None:
    flow = noisy(45, 0.8, 3) - np.clip(HOURS - 30 * 3600, 0, None) / 3600 * 1.5
    tr = tag_trend("CNC-3.coolant_flow", HOURS, flow, limit=30)
    assert tr.direction == "down" and tr.hours_to_limit is not None and tr.hours_to_limit >= 0
    dead = noisy(45, 0.8, 4)
    dead[-60:] = 0.0
    gone = tag_trend("CNC-3.coolant_flow", HOURS, dead, limit=15)
    assert gone.direction == "down" and gone.hours_to_limit == 0.0
    assert health_index([gone]) == 0.0


def test_running_mask_reveals_a_trend_hidden_by_idle_periods() -> None:
    running = (np.arange(len(HOURS)) // 6) % 2 == 0  # an hour on, an hour idle
    level = np.where(running, 40.0, 30.0) + np.random.default_rng(5).normal(0, 0.3, len(HOURS))
    level = level + np.where(running, np.clip(HOURS - 24 * 3600, 0, None) / 3600 * 0.5, 0.0)
    mixed = tag_trend("GRD-1.spindle_temp", HOURS, level)
    masked = tag_trend("GRD-1.spindle_temp", HOURS, level, running=running)
    assert mixed.direction == "flat"
    assert masked.direction == "up"


def test_too_little_data_gives_no_verdict() -> None:
    tr = tag_trend("x", HOURS[:5], noisy(1, 0.1, 6)[:5])
    assert tr.direction == "flat" and "no verdict" in tr.explanation
    with pytest.raises(ValueError, match="times but"):
        tag_trend("x", HOURS[:5], [1.0, 2.0])


CNC_MODES = [
    {"id": "spindle_bearing_wear", "severity": 8,
     "reveals": [{"tag": "spindle_vib", "direction": "up"}, {"tag": "spindle_temp", "direction": "up"},
                 {"tag": "spindle_current", "direction": "up"}]},
    {"id": "tool_wear", "severity": 5,
     "reveals": [{"tag": "spindle_current", "direction": "up"}, {"quality": "dimension", "direction": "drift"}]},
    {"id": "coolant_starvation", "severity": 7,
     "reveals": [{"tag": "coolant_flow", "direction": "down"}, {"tag": "coolant_temp", "direction": "up"},
                 {"tag": "spindle_temp", "direction": "up"}]},
]  # fmt: skip


def trend(tag: str, direction: str) -> TagTrend:
    shift = {"up": 8.0, "down": -8.0, "flat": 0.0}[direction]
    return TagTrend(
        tag=tag, direction=direction, shift_sigma=shift, slope_per_h=0.0, baseline=0.0,  # type: ignore[arg-type]
        current=0.0, hours_to_limit=None, limit=None, explanation="",
    )  # fmt: skip


def test_diagnosis_ranks_by_signs_then_severity() -> None:
    bearing = {
        t: trend(t, d) for t, d in [("spindle_vib", "up"), ("spindle_temp", "up"), ("spindle_current", "up")]
    }
    ranked = diagnose(CNC_MODES, bearing)
    assert ranked[0].failure_mode == "spindle_bearing_wear" and ranked[0].score == 1.0
    coolant = {
        t: trend(t, d) for t, d in [("coolant_flow", "down"), ("coolant_temp", "up"), ("spindle_temp", "up")]
    }
    assert diagnose(CNC_MODES, coolant)[0].failure_mode == "coolant_starvation"
    tool = {"spindle_current": trend("spindle_current", "up")}
    assert diagnose(CNC_MODES, tool, quality_drift=True)[0].failure_mode == "tool_wear"
    # Without the quality sign, one current sign is 1/3 of bearing wear and 1/2 of tool wear.
    assert [d.failure_mode for d in diagnose(CNC_MODES, tool)][:1] == ["tool_wear"]


def test_contradicting_signs_count_against_a_mode() -> None:
    flow_up = {"coolant_flow": trend("coolant_flow", "up"), "coolant_temp": trend("coolant_temp", "up")}
    starvation = next(d for d in diagnose(CNC_MODES, flow_up) if d.failure_mode == "coolant_starvation")
    assert starvation.contradicted == ("coolant_flow down",) and starvation.score == 0.0
    assert "contradicted" in starvation.explanation


def test_nothing_moving_ranks_nothing_above_zero() -> None:
    assert all(d.score == 0.0 for d in diagnose(CNC_MODES, {}))
    order = [d.failure_mode for d in diagnose(CNC_MODES, {})]
    assert order == ["spindle_bearing_wear", "coolant_starvation", "tool_wear"], "ties break by severity"


def test_policy_threshold_moves_the_verdict() -> None:
    shifted = noisy(1.2, 0.1, 7)
    shifted[len(shifted) // 2 :] += 0.5  # +5 sigma
    assert tag_trend("t", HOURS, shifted).direction == "up"
    assert tag_trend("t", HOURS, shifted, policy=HealthPolicy(shift_sigma=8.0)).direction == "flat"
