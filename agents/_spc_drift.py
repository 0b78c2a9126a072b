"""Where a machine's measurements start to drift: the first point of a sustained rule pattern.

An individuals chart per machine (baseline from its own first points unless one is given),
checked with the rules that describe a sustained change (by default Nelson 2, 3, 5 and 6; a
lone point beyond the limits is not a drift). The episode that fires first gives the drift:
its first point is the onset, so everything the machine made from the onset time on is
suspect, at least up to the last point of the pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from agents._spc_charts import ChartBaseline, PhaseIPolicy, estimate_individuals, individuals_chart
from agents._spc_rules import Direction, RuleId, RuleViolation, check_rules


@dataclass(frozen=True, kw_only=True, slots=True)
class DriftPolicy:
    """How drifts are looked for in one machine's measurement series."""

    baseline_points: int = 20
    """Leading points that estimate the in-control mean and sigma (MR̄/1.128) when no baseline is given."""
    baseline_revisions: int = 1
    """Times the baseline drops its own points beyond the limits and re-estimates."""
    rules: tuple[RuleId, ...] = ("N2", "N3", "N5", "N6")
    """Rule patterns that count as a sustained shift or drift."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Drift:
    """A sustained shift or drift on one machine, with the time window it affects."""

    machine: str
    """The machine the series belongs to."""
    direction: Direction | None
    """'up' or 'down' (None for a pattern with no direction)."""
    onset_index: int
    """0-based index of the first point of the rule pattern, the earliest evidence of the drift.

    The change itself can be a point or two earlier when its first points stayed inside the zone.
    """
    signal_index: int
    """0-based index where the rule fired: where it could first be detected."""
    end_index: int
    """0-based index of the last point of the pattern."""
    onset_time: datetime
    """Time of the onset point: output from here on is suspect."""
    signal_time: datetime
    """Time the drift could first be detected."""
    end_time: datetime
    """Time of the last point of the pattern (the affected window lasts at least until then)."""
    violation: RuleViolation
    """The rule episode that fired first."""
    baseline: ChartBaseline
    """The in-control mean and sigma the series was judged against."""
    explanation: str
    """Machine, direction, window and the rule's own explanation, in one paragraph."""


def locate_drift(
    machine: str,
    times: Sequence[datetime],
    values: Sequence[float],
    *,
    baseline: ChartBaseline | None = None,
    policy: DriftPolicy | None = None,
) -> Drift | None:
    """The first sustained shift or drift in one machine's time-ordered measurements, or None.

    Without `baseline`, the first `policy.baseline_points` values are taken as in control.
    """
    policy = policy or DriftPolicy()
    if len(times) != len(values):
        raise ValueError(f"{machine}: {len(times)} times but {len(values)} values.")
    if any(b < a for a, b in zip(times, times[1:], strict=False)):
        raise ValueError(f"{machine}: measurement times must be in ascending order.")
    if baseline is None:
        if len(values) < policy.baseline_points:
            raise ValueError(
                f"{machine}: {len(values)} values, fewer than the {policy.baseline_points} baseline points; "
                "pass a baseline or lower DriftPolicy.baseline_points."
            )
        baseline = estimate_individuals(
            values[: policy.baseline_points], policy=PhaseIPolicy(max_revisions=policy.baseline_revisions)
        )
    chart = individuals_chart(values, baseline, labels=[t.isoformat() for t in times])
    violations = check_rules(chart, policy.rules)
    if not violations:
        return None
    first = violations[0]  # ordered by signal
    onset, end = min(first.points), max(first.points)
    where = f"{times[onset].isoformat()} to {times[end].isoformat()}"
    shift = {
        "up": "a sustained upward shift",
        "down": "a sustained downward shift",
        None: "a sustained change",
    }[first.direction]
    explanation = (
        f"Machine {machine}: {shift} starting at {times[onset].isoformat()} "
        f"(detectable at {times[first.signal].isoformat()}; pattern spans {where}), against a baseline mean "
        f"{baseline.center:.6g} and sigma {baseline.sigma or 0.0:.6g}. {first.explanation}"
    )
    return Drift(
        machine=machine,
        direction=first.direction,
        onset_index=onset,
        signal_index=first.signal,
        end_index=end,
        onset_time=times[onset],
        signal_time=times[first.signal],
        end_time=times[end],
        violation=first,
        baseline=baseline,
        explanation=explanation,
    )


def locate_drifts(
    series: Mapping[str, Sequence[tuple[datetime, float]]],
    *,
    baselines: Mapping[str, ChartBaseline] | None = None,
    policy: DriftPolicy | None = None,
) -> tuple[Drift, ...]:
    """The first drift of every machine that has one, earliest onset first.

    `series` maps a machine id to its (time, value) measurements; `baselines` optionally gives
    a machine's in-control mean and sigma instead of estimating them from its first points.
    """
    drifts: list[Drift] = []
    for machine, points in series.items():
        base = (baselines or {}).get(machine)
        drift = locate_drift(
            machine, [t for t, _ in points], [v for _, v in points], baseline=base, policy=policy
        )
        if drift is not None:
            drifts.append(drift)
    return tuple(sorted(drifts, key=lambda d: (d.onset_time, d.machine)))
