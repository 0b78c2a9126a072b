"""Attributes control charts: p and np (nonconforming units), c and u (nonconformities).

Phase I estimators and charts as in `_spc_charts`: the center is the pooled rate of the kept
samples, the limits are center ± 3 sigma of the plotted statistic per sample (so they vary with
the sample size on p and u charts), clipped to what the statistic can reach.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np

from agents._spc_charts import ChartBaseline, ControlChart, FloatArray, PhaseIPolicy, _chart, _revise


def _sizes(sizes: Sequence[int] | int, n: int) -> FloatArray:
    arr = np.full(n, float(sizes)) if isinstance(sizes, int) else np.asarray(sizes, dtype=np.float64)
    if arr.shape != (n,) or np.any(arr <= 0):
        raise ValueError(f"Need {n} positive sample sizes; got {sizes!r}.")
    return arr


def p_chart(
    defectives: Sequence[float],
    sizes: Sequence[int] | int,
    baseline: ChartBaseline,
    *,
    labels: Sequence[str] | None = None,
) -> ControlChart:
    """p chart (fraction nonconforming): center p̄, limits p̄ ± 3·√(p̄(1-p̄)/n) per sample, within [0, 1]."""
    d = np.asarray(defectives, dtype=np.float64)
    n = _sizes(sizes, len(d))
    p = baseline.center
    sigma = np.sqrt(p * (1 - p) / n)
    return _chart("p", d / n, p, sigma, baseline, labels, upper_bound=np.ones(len(d)))


def np_chart(
    defectives: Sequence[float], size: int, baseline: ChartBaseline, *, labels: Sequence[str] | None = None
) -> ControlChart:
    """np chart (number nonconforming, constant sample size): center n·p̄, limits n·p̄ ± 3·√(n·p̄(1-p̄))."""
    d = np.asarray(defectives, dtype=np.float64)
    _sizes(size, len(d))
    p = baseline.center
    sigma = np.full(len(d), math.sqrt(size * p * (1 - p)))
    return _chart("np", d, size * p, sigma, baseline, labels, upper_bound=np.full(len(d), float(size)))


def c_chart(
    counts: Sequence[float], baseline: ChartBaseline, *, labels: Sequence[str] | None = None
) -> ControlChart:
    """c chart (nonconformities per constant inspection unit): center c̄, limits c̄ ± 3·√c̄."""
    c = np.asarray(counts, dtype=np.float64)
    return _chart("c", c, baseline.center, np.full(len(c), math.sqrt(baseline.center)), baseline, labels)


def u_chart(
    counts: Sequence[float],
    sizes: Sequence[int] | int,
    baseline: ChartBaseline,
    *,
    labels: Sequence[str] | None = None,
) -> ControlChart:
    """u chart (nonconformities per unit, n units per sample): center ū, limits ū ± 3·√(ū/n) per sample."""
    c = np.asarray(counts, dtype=np.float64)
    n = _sizes(sizes, len(c))
    return _chart("u", c / n, baseline.center, np.sqrt(baseline.center / n), baseline, labels)


def estimate_p(
    defectives: Sequence[float],
    sizes: Sequence[int] | int,
    *,
    exclude: Collection[int] = (),
    policy: PhaseIPolicy | None = None,
) -> ChartBaseline:
    """Phase I p̄ = total defectives / total inspected over the kept samples (for p and np charts)."""
    d = np.asarray(defectives, dtype=np.float64)
    n = _sizes(sizes, len(d))

    def estimate(used: list[int]) -> ChartBaseline:
        return ChartBaseline(method="p", center=float(d[used].sum() / n[used].sum()))

    return _revise(len(d), exclude, policy, estimate, lambda b: p_chart(defectives, sizes, b).beyond_limits())


def estimate_c(
    counts: Sequence[float], *, exclude: Collection[int] = (), policy: PhaseIPolicy | None = None
) -> ChartBaseline:
    """Phase I c̄ = mean count over the kept samples."""
    c = np.asarray(counts, dtype=np.float64)

    def estimate(used: list[int]) -> ChartBaseline:
        return ChartBaseline(method="c", center=float(c[used].mean()))

    return _revise(len(c), exclude, policy, estimate, lambda b: c_chart(counts, b).beyond_limits())


def estimate_u(
    counts: Sequence[float],
    sizes: Sequence[int] | int,
    *,
    exclude: Collection[int] = (),
    policy: PhaseIPolicy | None = None,
) -> ChartBaseline:
    """Phase I ū = total nonconformities / total units over the kept samples."""
    c = np.asarray(counts, dtype=np.float64)
    n = _sizes(sizes, len(c))

    def estimate(used: list[int]) -> ChartBaseline:
        return ChartBaseline(method="u", center=float(c[used].sum() / n[used].sum()))

    return _revise(len(c), exclude, policy, estimate, lambda b: u_chart(counts, sizes, b).beyond_limits())
