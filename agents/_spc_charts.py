"""Shewhart control charts: Phase I baselines estimated from data, charts drawn against a baseline.

This module holds the shared parts and the variables charts; `_spc_attributes` the p, np, c
and u charts.

Phase I: `estimate_*` computes the process level and (for variables) the within-subgroup sigma
from historical samples, optionally leaving out samples with a known assignable cause and
revising: samples beyond the trial limits are dropped and the limits recomputed, up to
`PhaseIPolicy.max_revisions` times (0 = the trial limits as first computed, as the textbook
and R's qcc report them). Phase II: the `*_chart` functions plot any samples, old or new,
against a baseline, estimated or given as a standard (`ChartBaseline.standard`).

Every limit is center ± 3 sigma of the plotted statistic, with the sigma kept per point so the
rule checks can draw the 1- and 2-sigma zones; lower limits are clipped at zero for statistics
that cannot be negative (as D3 = 0 and B3 = 0 do in the tables).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from agents._spc_constants import chart_constants

Statistic = Literal["xbar", "r", "s", "i", "mr", "p", "np", "c", "u"]
BaselineMethod = Literal["xbar_r", "xbar_s", "imr", "p", "c", "u", "standard"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True, slots=True)
class PhaseIPolicy:
    """How a Phase I baseline treats points beyond its own trial limits."""

    max_revisions: int = 0
    """Times to drop the samples beyond the trial limits and recompute (0 = keep the trial limits)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ChartBaseline:
    """The in-control process that limits are drawn from: a Phase I estimate or a given standard."""

    method: BaselineMethod
    """How it was obtained: from R̄ or S̄ of subgroups, from moving ranges, from counts, or given."""
    center: float
    """Process level: the mean (variables), p̄ (p and np charts), c̄ (c chart) or ū (u chart)."""
    sigma: float | None = None
    """Process (within-subgroup) standard deviation for variables charts; None for attributes."""
    used: tuple[int, ...] = ()
    """0-based indices of the Phase I samples the estimate rests on."""
    excluded: tuple[int, ...] = ()
    """0-based indices left out: known assignable causes, then samples dropped by revisions."""
    revisions: int = 0
    """How many times the limits were recomputed after dropping out-of-control samples."""

    @classmethod
    def standard(cls, *, center: float, sigma: float | None = None) -> ChartBaseline:
        """A Phase II baseline from given values (a target mean and sigma, or a standard p̄/c̄/ū)."""
        return cls(method="standard", center=center, sigma=sigma)


@dataclass(frozen=True, kw_only=True, slots=True)
class ControlChart:
    """One chart's plotted points and their limits; the input of the rule checks."""

    statistic: Statistic
    """What is plotted: subgroup mean, range, sd, individual value, moving range, p, np, c or u."""
    values: tuple[float, ...]
    """The plotted statistic per sample."""
    center: float
    """Center line."""
    sigma: tuple[float, ...]
    """Standard deviation of the plotted statistic at each point (the width of one zone)."""
    lcl: tuple[float, ...]
    """Lower control limit per point (center - 3 sigma, clipped at 0 where values cannot be negative)."""
    ucl: tuple[float, ...]
    """Upper control limit per point (center + 3 sigma, clipped at 1 for p)."""
    labels: tuple[str, ...]
    """How explanations name each point: 1-based sample numbers unless given (e.g. timestamps)."""
    baseline: ChartBaseline = field(repr=False)
    """The baseline the limits come from."""

    def beyond_limits(self) -> tuple[int, ...]:
        """0-based indices of the points strictly above the UCL or below the LCL."""
        return tuple(
            i
            for i, (x, lo, hi) in enumerate(zip(self.values, self.lcl, self.ucl, strict=True))
            if x > hi or x < lo
        )


# -- helpers --------------------------------------------------------------------------------------


def _subgroup_matrix(subgroups: Sequence[Sequence[float]]) -> FloatArray:
    if len(subgroups) == 0:
        raise ValueError("No subgroups given.")
    sizes = {len(g) for g in subgroups}
    if len(sizes) != 1:
        raise ValueError(f"Subgroups must all have the same size; got sizes {sorted(sizes)}.")
    data = np.asarray(subgroups, dtype=np.float64)
    chart_constants(data.shape[1])  # raises for a size without tabulated constants
    return data


def _labels(labels: Sequence[str] | None, n: int) -> tuple[str, ...]:
    if labels is None:
        return tuple(str(i + 1) for i in range(n))
    if len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} points.")
    return tuple(labels)


def _chart(
    statistic: Statistic,
    values: FloatArray,
    center: float,
    sigma: FloatArray,
    baseline: ChartBaseline,
    labels: Sequence[str] | None,
    *,
    upper_bound: FloatArray | None = None,
) -> ControlChart:
    lcl = center - 3 * sigma if statistic in ("xbar", "i") else np.maximum(center - 3 * sigma, 0.0)
    ucl = center + 3 * sigma
    if upper_bound is not None:
        ucl = np.minimum(ucl, upper_bound)
    return ControlChart(
        statistic=statistic,
        values=tuple(float(v) for v in values),
        center=float(center),
        sigma=tuple(float(s) for s in sigma),
        lcl=tuple(float(v) for v in lcl),
        ucl=tuple(float(v) for v in ucl),
        labels=_labels(labels, len(values)),
        baseline=baseline,
    )


def _require_sigma(baseline: ChartBaseline) -> float:
    if baseline.sigma is None or baseline.sigma <= 0:
        raise ValueError(
            f"A variables chart needs a baseline with a positive sigma; this {baseline.method} baseline has {baseline.sigma}."
        )
    return baseline.sigma


def _revise(
    n: int,
    exclude: Collection[int],
    policy: PhaseIPolicy | None,
    estimate: Callable[[list[int]], ChartBaseline],
    out_of_control: Callable[[ChartBaseline], Collection[int]],
) -> ChartBaseline:
    """Estimate on the kept samples; drop those beyond the limits and re-estimate, as allowed."""
    policy = policy or PhaseIPolicy()
    dropped = {i for i in exclude if 0 <= i < n}
    revisions = 0
    while True:
        used = [i for i in range(n) if i not in dropped]
        if len(used) < 2:
            raise ValueError(f"Phase I needs at least 2 in-control samples; {len(used)} of {n} remain.")
        base = estimate(used)
        flagged = {i for i in out_of_control(base) if i not in dropped}
        if not flagged or revisions >= policy.max_revisions:
            break
        dropped |= flagged
        revisions += 1
    return ChartBaseline(
        method=base.method,
        center=base.center,
        sigma=base.sigma,
        used=tuple(used),
        excluded=tuple(sorted(dropped)),
        revisions=revisions,
    )


# -- variables charts -----------------------------------------------------------------------------


def xbar_chart(
    subgroups: Sequence[Sequence[float]], baseline: ChartBaseline, *, labels: Sequence[str] | None = None
) -> ControlChart:
    """X̄ chart of equal-size subgroups: center μ, limits μ ± 3σ/√n (= x̿ ± A2·R̄ from an R̄ baseline)."""
    data = _subgroup_matrix(subgroups)
    sigma = _require_sigma(baseline) / math.sqrt(data.shape[1])
    return _chart("xbar", data.mean(axis=1), baseline.center, np.full(len(data), sigma), baseline, labels)


def range_chart(
    subgroups: Sequence[Sequence[float]], baseline: ChartBaseline, *, labels: Sequence[str] | None = None
) -> ControlChart:
    """R chart: center d2·σ (= R̄), limits D3·R̄ and D4·R̄."""
    data = _subgroup_matrix(subgroups)
    k = chart_constants(data.shape[1])
    sigma = _require_sigma(baseline)
    ranges = data.max(axis=1) - data.min(axis=1)
    return _chart("r", ranges, k.d2 * sigma, np.full(len(data), k.d3 * sigma), baseline, labels)


def s_chart(
    subgroups: Sequence[Sequence[float]], baseline: ChartBaseline, *, labels: Sequence[str] | None = None
) -> ControlChart:
    """S chart: center c4·σ (= S̄), limits B3·S̄ and B4·S̄."""
    data = _subgroup_matrix(subgroups)
    k = chart_constants(data.shape[1])
    sigma = _require_sigma(baseline)
    sds = data.std(axis=1, ddof=1)
    return _chart(
        "s", sds, k.c4 * sigma, np.full(len(data), math.sqrt(1 - k.c4**2) * sigma), baseline, labels
    )


def individuals_chart(
    values: Sequence[float], baseline: ChartBaseline, *, labels: Sequence[str] | None = None
) -> ControlChart:
    """Individuals (I) chart: center μ, limits μ ± 3σ with σ = MR̄ / d2(2) from a Phase I baseline."""
    x = np.asarray(values, dtype=np.float64)
    return _chart("i", x, baseline.center, np.full(len(x), _require_sigma(baseline)), baseline, labels)


def moving_range_chart(
    values: Sequence[float], baseline: ChartBaseline, *, labels: Sequence[str] | None = None
) -> ControlChart:
    """Moving range chart of |x[i] - x[i-1]|; point k is the range ending at value k+1 (labels likewise).

    Only its limits (rule 1) mean much: successive moving ranges share a value, so run rules on
    them fire far more often than their nominal rates.
    """
    x = np.asarray(values, dtype=np.float64)
    k = chart_constants(2)
    sigma = _require_sigma(baseline)
    mr = np.abs(np.diff(x))
    point_labels = None if labels is None else list(labels)[1:]
    if point_labels is None:
        point_labels = [str(i + 2) for i in range(len(mr))]
    return _chart("mr", mr, k.d2 * sigma, np.full(len(mr), k.d3 * sigma), baseline, point_labels)


def estimate_xbar_r(
    subgroups: Sequence[Sequence[float]], *, exclude: Collection[int] = (), policy: PhaseIPolicy | None = None
) -> ChartBaseline:
    """Phase I from subgroups: μ = x̿, σ = R̄ / d2; revisions drop subgroups beyond the X̄ or R limits."""
    data = _subgroup_matrix(subgroups)
    d2 = chart_constants(data.shape[1]).d2

    def estimate(used: list[int]) -> ChartBaseline:
        kept = data[used]
        rbar = float((kept.max(axis=1) - kept.min(axis=1)).mean())
        return ChartBaseline(method="xbar_r", center=float(kept.mean()), sigma=rbar / d2)

    def flagged(base: ChartBaseline) -> set[int]:
        return set(xbar_chart(subgroups, base).beyond_limits()) | set(
            range_chart(subgroups, base).beyond_limits()
        )

    return _revise(len(data), exclude, policy, estimate, flagged)


def estimate_xbar_s(
    subgroups: Sequence[Sequence[float]], *, exclude: Collection[int] = (), policy: PhaseIPolicy | None = None
) -> ChartBaseline:
    """Phase I from subgroups: μ = x̿, σ = S̄ / c4; revisions drop subgroups beyond the X̄ or S limits."""
    data = _subgroup_matrix(subgroups)
    c4 = chart_constants(data.shape[1]).c4

    def estimate(used: list[int]) -> ChartBaseline:
        kept = data[used]
        sbar = float(kept.std(axis=1, ddof=1).mean())
        return ChartBaseline(method="xbar_s", center=float(kept.mean()), sigma=sbar / c4)

    def flagged(base: ChartBaseline) -> set[int]:
        return set(xbar_chart(subgroups, base).beyond_limits()) | set(
            s_chart(subgroups, base).beyond_limits()
        )

    return _revise(len(data), exclude, policy, estimate, flagged)


def estimate_individuals(
    values: Sequence[float], *, exclude: Collection[int] = (), policy: PhaseIPolicy | None = None
) -> ChartBaseline:
    """Phase I for single measurements: μ = mean, σ = MR̄ / d2(2) = MR̄ / 1.128.

    Moving ranges that touch a left-out value are not used; revisions drop the values beyond
    the I chart limits.
    """
    x = np.asarray(values, dtype=np.float64)
    d2 = chart_constants(2).d2

    def estimate(used: list[int]) -> ChartBaseline:
        kept = set(used)
        mrs = [abs(x[i] - x[i - 1]) for i in range(1, len(x)) if i in kept and i - 1 in kept]
        if not mrs:
            raise ValueError("Phase I needs at least two consecutive in-control values for a moving range.")
        return ChartBaseline(method="imr", center=float(x[used].mean()), sigma=float(np.mean(mrs)) / d2)

    return _revise(
        len(x), exclude, policy, estimate, lambda base: individuals_chart(values, base).beyond_limits()
    )
