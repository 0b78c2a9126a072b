"""SPC: chart constants, Phase I/II limits, WE and Nelson rules, capability, drift location.

Rule tests use an individuals chart with a given standard (center 0, sigma 1) so each value is
its own distance from the center in sigmas, and boundaries can be hit exactly. The data-backed
tests reproduce the out-of-control points Montgomery (and R's qcc) report for his examples.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from agents import (
    NELSON,
    WESTERN_ELECTRIC,
    ChartBaseline,
    ControlChart,
    DriftPolicy,
    PhaseIPolicy,
    RuleId,
    RuleViolation,
    c_chart,
    capability_indices,
    chart_constants,
    check_rules,
    estimate_c,
    estimate_individuals,
    estimate_p,
    estimate_u,
    estimate_xbar_r,
    estimate_xbar_s,
    individuals_chart,
    locate_drift,
    locate_drifts,
    moving_range_chart,
    nelson,
    np_chart,
    p_chart,
    process_capability,
    range_chart,
    s_chart,
    u_chart,
    western_electric,
    xbar_chart,
)

UNIT = ChartBaseline.standard(center=0.0, sigma=1.0)
QUIET = [1.5, -1.5, 0.2, 0.2]
"""A filler pattern that triggers none of the twelve rules however often it repeats."""


def z_chart(values: list[float]) -> ControlChart:
    return individuals_chart(values, UNIT)


def only(rule: RuleId, values: list[float]) -> list[RuleViolation]:
    return list(check_rules(z_chart(values), [rule]))


# -- constants ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "published"),
    [
        (2, {"A2": 1.880, "A3": 2.659, "c4": 0.7979, "B4": 3.267, "d2": 1.128, "d3": 0.853, "D4": 3.267}),
        (
            5,
            {
                "A2": 0.577,
                "A3": 1.427,
                "c4": 0.9400,
                "B3": 0.0,
                "B4": 2.089,
                "d2": 2.326,
                "D3": 0.0,
                "D4": 2.114,
            },
        ),
        (7, {"A2": 0.419, "B3": 0.118, "d2": 2.704, "D3": 0.076, "D4": 1.924}),
        (10, {"A2": 0.308, "A3": 0.975, "c4": 0.9727, "B3": 0.284, "B4": 1.716, "d2": 3.078, "D3": 0.223}),
        (25, {"A2": 0.153, "A3": 0.606, "c4": 0.9896, "B3": 0.565, "d2": 3.931, "d3": 0.708, "D4": 1.541}),
    ],
)
def test_constants_match_published_table(n: int, published: dict[str, float]) -> None:
    k = chart_constants(n)
    assert {name: getattr(k, name) for name in published} == published


def test_constants_agree_with_their_definitions_for_every_size() -> None:
    # d2 = E[R]/σ and d3 = sd(R)/σ of the normal range (Tippett's integrals), c4 from the gamma function.
    x = np.linspace(-8.0, 8.0, 1601)
    dx = float(x[1] - x[0])
    phi = 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    lo, hi = phi[:, None], phi[None, :]
    weights = np.triu(np.ones((len(x), len(x))), 1) + 0.5 * np.eye(len(x))
    for n in range(2, 26):
        d2 = float(np.sum(1 - phi**n - (1 - phi) ** n) * dx)
        er2 = (
            2
            * float(np.sum(weights * (1 - hi**n - (1 - lo) ** n + np.clip(hi - lo, 0, None) ** n)))
            * dx
            * dx
        )
        d3 = math.sqrt(er2 - d2**2)
        c4 = math.sqrt(2 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))
        b = 3 * math.sqrt(1 - c4**2) / c4
        derived = {
            "A2": 3 / (d2 * math.sqrt(n)),
            "A3": 3 / (c4 * math.sqrt(n)),
            "c4": c4,
            "B3": max(0.0, 1 - b),
            "B4": 1 + b,
            "d2": d2,
            "d3": d3,
            "D3": max(0.0, 1 - 3 * d3 / d2),
            "D4": 1 + 3 * d3 / d2,
        }
        k = chart_constants(n)
        off = {
            name: (getattr(k, name), round(v, 4))
            for name, v in derived.items()
            if abs(getattr(k, name) - v) > 0.0011
        }
        assert not off, f"n={n}: {off}"


@pytest.mark.parametrize("n", [1, 26])
def test_constants_outside_the_table_are_refused(n: int) -> None:
    with pytest.raises(ValueError, match="subgroups of 2..25"):
        chart_constants(n)


# -- charts and Phase I ---------------------------------------------------------------------------

SUBGROUPS_7 = [[10 + ((3 * i + 5 * j) % 7) * 0.1 for j in range(7)] for i in range(20)]


def test_xbar_r_limits_are_the_textbook_a2_d3_d4_limits() -> None:
    k = chart_constants(7)
    base = estimate_xbar_r(SUBGROUPS_7)
    rbar = float(np.mean([max(g) - min(g) for g in SUBGROUPS_7]))
    xbb = float(np.mean(SUBGROUPS_7))
    xbar, r = xbar_chart(SUBGROUPS_7, base), range_chart(SUBGROUPS_7, base)
    assert base.sigma == pytest.approx(rbar / k.d2)
    assert xbar.center == pytest.approx(xbb)
    assert xbar.ucl[0] == pytest.approx(xbb + k.A2 * rbar, abs=1e-3 * rbar)
    assert xbar.lcl[0] == pytest.approx(xbb - k.A2 * rbar, abs=1e-3 * rbar)
    assert r.center == pytest.approx(rbar)
    assert r.lcl[0] == pytest.approx(k.D3 * rbar, abs=1e-3 * rbar)
    assert r.ucl[0] == pytest.approx(k.D4 * rbar, abs=1e-3 * rbar)


def test_xbar_s_limits_are_the_textbook_a3_b3_b4_limits() -> None:
    k = chart_constants(7)
    base = estimate_xbar_s(SUBGROUPS_7)
    sbar = float(np.mean([np.std(g, ddof=1) for g in SUBGROUPS_7]))
    xbar, s = xbar_chart(SUBGROUPS_7, base), s_chart(SUBGROUPS_7, base)
    assert base.sigma == pytest.approx(sbar / k.c4)
    assert xbar.ucl[0] - xbar.center == pytest.approx(k.A3 * sbar, abs=1e-3 * sbar)
    assert s.center == pytest.approx(sbar)
    assert (s.lcl[0], s.ucl[0]) == pytest.approx((k.B3 * sbar, k.B4 * sbar), abs=1e-3 * sbar)


def test_individuals_sigma_is_average_moving_range_over_d2_and_mr_ucl_is_d4() -> None:
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 10.0, 11.0]
    mrbar = float(np.mean(np.abs(np.diff(values))))
    base = estimate_individuals(values)
    assert base.sigma == pytest.approx(mrbar / 1.128)
    i_chart = individuals_chart(values, base)
    assert i_chart.ucl[0] == pytest.approx(np.mean(values) + 2.66 * mrbar, rel=1e-3)
    mr = moving_range_chart(values, base)
    assert mr.values == (2.0, 1.0, 2.0, 1.0, 2.0, 1.0)
    assert mr.labels[0] == "2"
    assert mr.center == pytest.approx(mrbar)
    assert mr.ucl[0] == pytest.approx(3.267 * mrbar, rel=1e-3)
    assert mr.lcl[0] == 0.0


def test_moving_ranges_touching_an_excluded_value_are_not_used() -> None:
    base = estimate_individuals([10.0, 11.0, 50.0, 10.0, 11.0], exclude=[2])
    assert base.center == pytest.approx(10.5)
    assert base.sigma == pytest.approx(1.0 / 1.128)


def test_p_chart_limits_vary_with_sample_size_and_stop_at_zero() -> None:
    sizes = [50, 200, 50]
    base = estimate_p([5, 20, 5], sizes)
    chart = p_chart([5, 20, 5], sizes, base)
    assert base.center == pytest.approx(0.1)
    assert chart.ucl[0] == pytest.approx(0.1 + 3 * math.sqrt(0.09 / 50))
    assert chart.ucl[1] == pytest.approx(0.1 + 3 * math.sqrt(0.09 / 200))
    assert chart.lcl[0] == 0.0
    assert chart.lcl[1] == pytest.approx(0.1 - 3 * math.sqrt(0.09 / 200))
    # 0.19 is inside the limits of a sample of 50 but beyond those of a sample of 200.
    assert p_chart([9.5, 38, 5], sizes, base).beyond_limits() == (1,)


def test_np_and_u_charts() -> None:
    npc = np_chart([4, 6, 5], 100, ChartBaseline.standard(center=0.05))
    assert npc.center == pytest.approx(5.0)
    assert npc.ucl[0] == pytest.approx(5 + 3 * math.sqrt(100 * 0.05 * 0.95))
    base = estimate_u([3, 8], [2, 4])
    assert base.center == pytest.approx(11 / 6)
    u = u_chart([3, 8], [2, 4], base)
    assert u.values == (1.5, 2.0)
    assert u.ucl[1] == pytest.approx(11 / 6 + 3 * math.sqrt(11 / 6 / 4))


def test_phase_one_revision_drops_out_of_control_points_and_recomputes() -> None:
    counts = [10.0, 12.0, 9.0, 11.0, 10.0, 40.0, 11.0, 9.0, 10.0, 12.0]
    trial = estimate_c(counts)
    assert c_chart(counts, trial).beyond_limits() == (5,)
    assert (trial.revisions, trial.excluded) == (0, ())
    revised = estimate_c(counts, policy=PhaseIPolicy(max_revisions=2))
    assert revised.excluded == (5,)
    assert revised.revisions == 1
    assert revised.center == pytest.approx(np.mean([c for c in counts if c != 40.0]))
    assert estimate_c(counts, exclude=[5]).center == revised.center


def test_variables_charts_refuse_bad_input() -> None:
    with pytest.raises(ValueError, match="same size"):
        estimate_xbar_r([[1.0, 2.0], [1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="positive sigma"):
        xbar_chart([[1.0, 2.0]], ChartBaseline.standard(center=1.0))
    with pytest.raises(ValueError, match="3 labels for 2 points"):
        individuals_chart([1.0, 2.0], UNIT, labels=["a", "b", "c"])


# -- rules ----------------------------------------------------------------------------------------


def test_quiet_filler_triggers_no_rule() -> None:
    assert check_rules(z_chart(QUIET * 10), NELSON + WESTERN_ELECTRIC) == ()


def test_rule_1_needs_a_point_strictly_beyond_the_limit() -> None:
    found = only("N1", [0.0, 3.0, -3.0, 3.0000001, -3.2])
    assert [(v.points, v.direction) for v in found] == [((3,), "up"), ((4,), "down")]
    assert "sample 4 (3) is above the upper control limit 3 " in found[0].explanation
    assert [v.points for v in only("WE1", [0.0, 3.0, -3.0, 3.0000001, -3.2])] == [(3,), (4,)]


def test_nelson_2_needs_nine_in_a_row_and_western_electric_4_eight() -> None:
    eight = [-0.5] + [0.5] * 8 + [-0.5]
    nine = [-0.5] + [0.5] * 9 + [-0.5]
    assert only("N2", eight) == []
    [we4] = only("WE4", eight)
    assert (we4.points, we4.signal, we4.direction) == (tuple(range(1, 9)), 8, "up")
    [n2] = only("N2", nine)
    assert (n2.points, n2.signal) == (tuple(range(1, 10)), 9)
    assert "9 consecutive points (samples 2 to 10) are all above the center line 0" in n2.explanation
    [down] = only("N2", [-0.5] * 12)
    assert (down.direction, down.points, down.signal) == ("down", tuple(range(12)), 8)


def test_a_point_on_the_center_line_breaks_a_run() -> None:
    assert only("WE4", [0.5] * 4 + [0.0] + [0.5] * 4) == []


def test_nelson_3_needs_six_points_steadily_moving() -> None:
    [up] = only("N3", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    assert (up.points, up.signal, up.direction) == (tuple(range(6)), 5, "up")
    assert only("N3", [0.0, 0.1, 0.2, 0.3, 0.4]) == []
    assert only("N3", [0.0, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5]) == []  # a tie is not a rise
    [down] = only("N3", [0.9, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0, 0.3])
    assert (down.points, down.signal, down.direction) == (tuple(range(7)), 5, "down")


def test_nelson_4_needs_fourteen_alternating_points() -> None:
    [v] = only("N4", [0.5, -0.5] * 7)
    assert (v.points, v.signal, v.direction) == (tuple(range(14)), 13, None)
    assert only("N4", [0.5, -0.5] * 6 + [0.5]) == []
    assert only("N4", [0.5, -0.5] * 3 + [-0.5] + [0.5, -0.5] * 4) == []  # a flat step breaks it


def test_two_of_three_beyond_two_sigma_same_side() -> None:
    pair: tuple[RuleId, ...] = ("N5", "WE2")
    for rule in pair:
        [v] = only(rule, [0.0, 2.5, 0.0, 2.1])
        assert (v.points, v.signal, v.direction) == ((1, 3), 3, "up")
        assert "beyond 2" in v.explanation
        assert only(rule, [2.5, 0.0, 0.0, 2.5]) == []
        assert only(rule, [2.5, 0.0, 2.0]) == []  # exactly 2 sigma is not beyond
        assert only(rule, [2.5, -2.5, 0.0]) == []
    [down] = only("N5", [-2.5, 2.5, -2.5])
    assert (down.points, down.direction) == ((0, 2), "down")


def test_four_of_five_beyond_one_sigma_same_side() -> None:
    pair: tuple[RuleId, ...] = ("N6", "WE3")
    for rule in pair:
        [v] = only(rule, [1.5, 1.5, 0.0, 1.5, 1.5])
        assert (v.points, v.signal) == ((0, 1, 3, 4), 4)
        assert only(rule, [1.5, 1.5, 0.0, 0.0, 1.5, 1.5]) == []
        assert only(rule, [1.5, 1.5, 1.0, 1.5, 0.0]) == []
        assert len(only(rule, [1.5, 1.5, 1.01, 1.5, 0.0])) == 1


def test_nelson_7_fifteen_points_within_one_sigma() -> None:
    hugging = ([0.5, 0.5, -0.5, -0.5] * 4)[:15]
    hugging[3], hugging[6] = 1.0, -1.0  # on the 1-sigma line still counts as within
    [v] = only("N7", [2.0, *hugging, 2.0])
    assert (v.points, v.signal) == (tuple(range(1, 16)), 15)
    assert "stale" in v.explanation
    assert only("N7", [2.0, *hugging[:14], 2.0]) == []


def test_nelson_8_eight_points_beyond_one_sigma_on_both_sides() -> None:
    [v] = only("N8", [0.0] + [1.5, -1.5] * 4 + [0.0])
    assert (v.points, v.signal, v.direction) == (tuple(range(1, 9)), 8, None)
    assert only("N8", [1.5, -1.5] * 3 + [1.5]) == []
    assert only("N8", [1.5] * 10) == []


def test_violations_are_ordered_by_signal_and_episodes_merge() -> None:
    values = QUIET * 3 + [0.5] * 12 + QUIET * 3 + [3.5]
    found = nelson(z_chart(values))
    assert [(v.rule, v.signal) for v in found] == [("N2", 18), ("N1", 36)]
    # One episode for the whole run: from the filler's trailing 0.2s (10, 11) through the next 1.5 (24).
    assert found[0].points == tuple(range(10, 25))
    assert western_electric(z_chart(values))[0].rule == "WE4"
    with pytest.raises(ValueError, match="Unknown rule"):
        check_rules(z_chart(values), ["N9"])  # type: ignore[list-item]


def test_zones_follow_each_points_own_sigma_on_a_p_chart() -> None:
    base = ChartBaseline.standard(center=0.1)
    sizes = [400, 25, 400]
    chart = p_chart([58, 4, 58], sizes, base)  # 0.145 is > 2 sigma at n=400, 0.16 is < 2 sigma at n=25
    [v] = check_rules(chart, ["N5"])
    assert v.points == (0, 2)


# -- capability -----------------------------------------------------------------------------------


def test_cpk_of_montgomerys_off_centre_process() -> None:
    # Montgomery, Introduction to SQC, 8.3: USL 62, LSL 38, mean 53, sigma 2 -> Cp 2.0, Cpk 1.5.
    cap = capability_indices(mean=53.0, sigma_within=2.0, sigma_overall=2.0, lsl=38.0, usl=62.0)
    assert cap.cp == pytest.approx(2.0)
    assert cap.cpk == pytest.approx(1.5)
    assert cap.pp == pytest.approx(2.0)
    assert cap.ppk == pytest.approx(1.5)
    assert "toward the upper limit" in cap.explanation


def test_one_sided_spec_and_pp_from_overall_spread() -> None:
    cap = capability_indices(mean=10.0, sigma_within=1.0, sigma_overall=2.0, lsl=None, usl=16.0)
    assert cap.cp is None and cap.pp is None
    assert (cap.cpk, cap.ppk) == pytest.approx((2.0, 1.0))
    assert "mean moves" in cap.explanation
    with pytest.raises(ValueError, match="reversed"):
        capability_indices(mean=0.0, sigma_within=1.0, sigma_overall=1.0, lsl=1.0, usl=0.0)


def test_process_capability_uses_moving_ranges_by_default() -> None:
    values = [10.0, 11.0, 10.0, 11.0, 10.0, 11.0]
    cap = process_capability(values, lsl=7.0, usl=13.0)
    assert cap.sigma_within == pytest.approx(1.0 / 1.128)
    assert cap.sigma_overall == pytest.approx(float(np.std(values, ddof=1)))
    assert cap.cpk == pytest.approx((13.0 - 10.5) / (3 / 1.128))


# -- drift ----------------------------------------------------------------------------------------

T0 = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)


def timeline(values: list[float]) -> list[tuple[datetime, float]]:
    return [(T0 + timedelta(minutes=10 * i), v) for i, v in enumerate(values)]


def test_locate_drift_finds_the_onset_of_a_step_shift() -> None:
    values = QUIET * 10 + [v + 3.0 for v in QUIET * 5]
    times = [t for t, _ in timeline(values)]
    drift = locate_drift("press-2", times, values)
    assert drift is not None
    assert drift.violation.rule == "N5"
    assert (drift.onset_index, drift.signal_index, drift.direction) == (40, 42, "up")
    assert drift.onset_time == T0 + timedelta(minutes=400)
    assert "Machine press-2" in drift.explanation and drift.onset_time.isoformat() in drift.explanation
    assert locate_drift("press-2", times[:40], values[:40]) is None


def test_locate_drift_finds_the_start_of_a_trend_against_a_given_baseline() -> None:
    values = [10.3 if i % 2 else 9.7 for i in range(20)] + [10.0 + 0.3 * k for k in range(10)]
    times = [t for t, _ in timeline(values)]
    drift = locate_drift("lathe-1", times, values, baseline=ChartBaseline.standard(center=10.0, sigma=1.0))
    assert drift is not None
    assert (drift.violation.rule, drift.onset_index, drift.signal_index) == ("N3", 20, 25)


def test_locate_drifts_ranks_machines_by_onset_and_skips_healthy_ones() -> None:
    late = QUIET * 10 + [v + 3.0 for v in QUIET * 3]
    early = QUIET * 6 + [v - 3.0 for v in QUIET * 6]
    drifts = locate_drifts(
        {"m-late": timeline(late), "m-ok": timeline(QUIET * 12), "m-early": timeline(early)}
    )
    assert [(d.machine, d.onset_index, d.direction) for d in drifts] == [
        ("m-early", 25, "down"),  # the shifted -1.5 at 24 is still within 2 sigma: the pattern starts at 25
        ("m-late", 40, "up"),
    ]


def test_locate_drift_refuses_unordered_times_and_short_series() -> None:
    times = [t for t, _ in timeline([0.0] * 30)]
    with pytest.raises(ValueError, match="ascending"):
        locate_drift("m", list(reversed(times)), [0.0] * 30)
    with pytest.raises(ValueError, match="baseline points"):
        locate_drift("m", times[:5], [0.0] * 5, policy=DriftPolicy(baseline_points=20))


# -- Montgomery / qcc reference data ----------------------------------------------------------------


def read_rows(data_dir: Path, name: str) -> list[dict[str, str]]:
    path = data_dir / "spc-montgomery-qcc" / name
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def flagged_by_rule_1(chart: ControlChart) -> list[str]:
    return [chart.labels[i] for v in check_rules(chart, ["N1"]) for i in v.points]


@pytest.mark.data
def test_circuit_board_c_chart_flags_samples_6_and_20(data_dir: Path) -> None:
    rows = read_rows(data_dir, "circuit.csv")
    trial = [float(r["x"]) for r in rows if r["trial"] == "TRUE"]
    later = [float(r["x"]) for r in rows if r["trial"] == "FALSE"]
    assert len(trial) == 26
    base = estimate_c(trial)
    chart = c_chart(trial, base)
    assert (base.center, chart.lcl[0], chart.ucl[0]) == pytest.approx((19.85, 6.48, 33.21), abs=0.01)
    assert flagged_by_rule_1(chart) == ["6", "20"]
    # Both have assignable causes; without them c̄ = 19.67, limits 6.36..32.97, and samples 27-46 stay inside.
    revised = estimate_c(trial, policy=PhaseIPolicy(max_revisions=1))
    assert revised.excluded == (5, 19)
    phase2 = c_chart(later, revised, labels=[str(i) for i in range(27, 47)])
    assert (revised.center, phase2.lcl[0], phase2.ucl[0]) == pytest.approx((19.67, 6.36, 32.97), abs=0.01)
    assert flagged_by_rule_1(phase2) == []


@pytest.mark.data
def test_orange_juice_p_chart_flags_samples_15_and_23(data_dir: Path) -> None:
    rows = read_rows(data_dir, "orangejuice.csv")
    trial = [r for r in rows if r["trial"] == "TRUE"]
    d, n = [float(r["D"]) for r in trial], [int(r["size"]) for r in trial]
    assert len(trial) == 30
    base = estimate_p(d, n)
    chart = p_chart(d, n, base, labels=[r["sample"] for r in trial])
    assert (base.center, chart.lcl[0], chart.ucl[0]) == pytest.approx((0.2313, 0.0524, 0.4102), abs=1e-4)
    assert flagged_by_rule_1(chart) == ["15", "23"]
    # Montgomery drops 15 and 23 (assignable causes): p̄ = 0.2150, UCL 0.3893, and sample 21 now exceeds it.
    revised = estimate_p(d, n, exclude=[14, 22])
    rechart = p_chart(d, n, revised, labels=[r["sample"] for r in trial])
    assert (revised.center, rechart.ucl[0]) == pytest.approx((0.2150, 0.3893), abs=1e-4)
    assert flagged_by_rule_1(rechart) == ["15", "21", "23"]


@pytest.mark.data
def test_piston_rings_xbar_phase_two_flags_samples_37_to_39(data_dir: Path) -> None:
    rows = read_rows(data_dir, "pistonrings.csv")
    groups: dict[int, list[float]] = defaultdict(list)
    trial: dict[int, bool] = {}
    for r in rows:
        groups[int(r["sample"])].append(float(r["diameter"]))
        trial[int(r["sample"])] = r["trial"] == "TRUE"
    phase1 = [groups[s] for s in sorted(groups) if trial[s]]
    phase2_ids = [s for s in sorted(groups) if not trial[s]]
    phase2 = [groups[s] for s in phase2_ids]
    assert (len(phase1), len(phase2)) == (25, 15)
    base = estimate_xbar_r(phase1)
    chart1 = xbar_chart(phase1, base)
    assert (chart1.center, chart1.lcl[0], chart1.ucl[0]) == pytest.approx(
        (74.0012, 73.9880, 74.0143), abs=1e-4
    )
    assert range_chart(phase1, base).center == pytest.approx(0.0228, abs=1e-4)
    assert chart1.beyond_limits() == () and range_chart(phase1, base).beyond_limits() == ()
    chart2 = xbar_chart(phase2, base, labels=[str(s) for s in phase2_ids])
    assert flagged_by_rule_1(chart2) == ["37", "38", "39"]
    # The sensitizing rules see the upward shift before rule 1 does.
    first = western_electric(chart2)[0]
    assert first.direction == "up" and int(chart2.labels[first.signal]) < 37
    # Specs 74.000 ± 0.05 with σ̂ = R̄/d2: Montgomery reports Cp ≈ 1.68 (from R̄ rounded to 0.023).
    cap = process_capability([v for g in phase1 for v in g], lsl=73.95, usl=74.05, sigma_within=base.sigma)
    assert cap.cp == pytest.approx(1.68, abs=0.03)


@pytest.mark.data
def test_pc_manufacturing_u_chart_is_in_control(data_dir: Path) -> None:
    rows = read_rows(data_dir, "pcmanufact.csv")
    x, n = [float(r["x"]) for r in rows], [int(r["size"]) for r in rows]
    base = estimate_u(x, n)
    chart = u_chart(x, n, base)
    assert (base.center, chart.lcl[0], chart.ucl[0]) == pytest.approx((1.93, 0.07, 3.79), abs=0.01)
    assert chart.beyond_limits() == ()
