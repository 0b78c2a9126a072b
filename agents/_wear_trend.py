"""Pure numerics of the wear scan (`agents._wear_scan`): the vibration ramp, its verdict, the level.

Every function works on a bucketed history (`Series`) and a mask of the buckets in one operating
state (running, or idle), with the thresholds of `agents._wear_scan.WearPolicy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from agents._health import TagTrend
from agents._spc_constants import MAX_SUBGROUP, MIN_SUBGROUP, chart_constants

if TYPE_CHECKING:
    from agents._wear_scan import WearPolicy

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Verdict = Literal["rising", "flat", "undecided"]


@dataclass(frozen=True, slots=True)
class Series:
    """A bucketed tag history: bucket times, means, minima and maxima."""

    t: F64
    mean: F64
    lo: F64
    hi: F64
    per_bucket: int
    """Raw samples averaged into each bucket."""


@dataclass(frozen=True, slots=True)
class Ramp:
    """A straight line through one state's buckets (hours since `t0_s`), spikes set aside."""

    slope_per_h: float
    se: float
    t_stat: float
    noise: float
    start: float
    """The fitted line at the first bucket: the state's own level, which the slope is judged against."""
    end: float
    hours: float
    """Hours of history in this state."""
    quarter_rises: tuple[float, ...]
    step_better: bool
    t0_s: float
    icept: float

    def at(self, t_s: float) -> float:
        """The fitted line at clock time `t_s` (seconds)."""
        return self.icept + self.slope_per_h * (t_s - self.t0_s) / 3600.0


def fit_ramp(vib: Series, state: Mask, policy: WearPolicy) -> Ramp | None:
    """Fit the vibration in one state against the clock, spikes set aside; None if too little of it.

    Against the clock, not against hours in the state: a bearing also wears (more slowly) while it
    idles, so on a running-time axis every idle spell would show as a step.
    """
    t, v = vib.t[state], vib.mean[state]
    dt = float(np.median(np.diff(vib.t))) if len(vib.t) > 1 else policy.bucket_s
    hours = len(v) * dt / 3600.0
    if hours < policy.min_running_h or len(v) < 3 * policy.quarters:
        return None
    x = (t - t[0]) / 3600.0
    good = np.ones(len(v), dtype=bool)
    for _ in range(2):
        slope, icept = np.polyfit(x[good], v[good], 1)
        resid = v - (slope * x + icept)
        mad = 1.4826 * float(np.median(np.abs(resid[good] - np.median(resid[good]))))
        if mad <= 0:
            break
        good = np.abs(resid) <= policy.outlier_mad * mad
    xs, vs = x[good], v[good]
    if np.ptp(xs) <= 0:
        return None
    slope, icept = np.polyfit(xs, vs, 1)
    resid = vs - (slope * xs + icept)
    noise = max(float(np.std(resid, ddof=2)), 1e-9)
    se = noise / float(np.sqrt(np.sum((xs - xs.mean()) ** 2)))
    bounds = np.linspace(0, len(vs), policy.quarters + 1).astype(int)
    meds = [float(np.median(vs[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return Ramp(
        slope_per_h=float(slope),
        se=se,
        t_stat=float(slope) / se,
        noise=noise,
        start=float(icept + slope * xs[0]),
        end=float(icept + slope * xs[-1]),
        hours=hours,
        quarter_rises=tuple(b - a for a, b in zip(meds[:-1], meds[1:], strict=True)),
        step_better=_best_step_sse(vs) < float(np.sum(resid**2)),
        t0_s=float(t[0]),
        icept=float(icept),
    )


def _best_step_sse(v: F64) -> float:
    """Residual sum of squares of the best one-step (two-level) fit of `v` in its order."""
    n = len(v)
    c1, c2 = np.cumsum(v), np.cumsum(v**2)
    k = np.arange(1, n)
    left = c2[:-1] - c1[:-1] ** 2 / k
    right = (c2[-1] - c2[:-1]) - (c1[-1] - c1[:-1]) ** 2 / (n - k)
    return float(np.min(left + right))


def wear_slope(ramp: Ramp, limit: float, policy: WearPolicy) -> float:
    """The slope per hour that counts as wear: a share of the alarm limit, or of the state's own
    level when that is the smaller (a machine idling, or running far below its limit)."""
    by_limit = policy.min_slope_frac_per_h * limit
    if ramp.start <= 0:
        return by_limit
    return float(min(by_limit, policy.min_level_frac_per_h * ramp.start))


def verdict(ramp: Ramp | None, limit: float, policy: WearPolicy) -> Verdict:
    """`rising`: a steep, significant ramp rising from quarter to quarter, not a step; `flat`: surely
    not; `undecided`: too little history to tell (see `WearPolicy.undecided_se`)."""
    if ramp is None:
        return "undecided"
    wear = wear_slope(ramp, limit, policy)
    if (
        ramp.slope_per_h >= wear
        and ramp.t_stat >= policy.min_t_stat
        and all(r > 0 for r in ramp.quarter_rises)
        and not ramp.step_better
    ):
        return "rising"
    if ramp.slope_per_h + policy.undecided_se * ramp.se >= wear and ramp.t_stat < policy.min_t_stat:
        return "undecided"
    return "flat"


def ramp_trend(
    name: str, ramp: Ramp, highs: Sequence[float], *, state: str = "running", now: float | None = None
) -> TagTrend:
    """The vibration ramp as a `TagTrend`: baseline and current from the fitted line.

    `now` is the running level now when the ramp is another state's (idle): the running vibration is
    projected at the ramp's pace relative to its own level (wear adds vibration in proportion to the
    load, so both states rise by the same share), else the line itself is projected.
    """
    level, pace = ramp.end, ramp.slope_per_h
    if now is not None and ramp.end > 0:
        level, pace = now, ramp.slope_per_h / ramp.end * now
    limit = next((h for h in highs if h > level), None)
    hours: float | None = 0.0 if limit is None else (limit - level) / pace
    limit = highs[-1] if limit is None else limit
    shift = (ramp.end - ramp.start) / ramp.noise
    text = (
        f"{name}: {ramp.end:.4g} from {ramp.start:.4g} over {ramp.hours:.1f} {state} h "
        f"({shift:+.1f} bucket deviations), slope {ramp.slope_per_h:+.3g}/h"
        + (f"; running at ~{now:.3g}, +{pace:.3g}/h at that pace" if now is not None else "")
        + (f", reaches {limit:g} in {hours:.1f} h" if hours else f", past {limit:g}")
    )
    return TagTrend(
        tag=name, direction="up", shift_sigma=shift, slope_per_h=ramp.slope_per_h, baseline=ramp.start,
        current=ramp.end, hours_to_limit=hours, limit=limit, explanation=text,
    )  # fmt: skip


def running_now(vib: Series, running: Mask, ramp: Ramp, policy: WearPolicy) -> float | None:
    """The running vibration now, from the latest running buckets scaled by how much the `ramp` (of
    another state) has risen since they were taken; None with too few running buckets."""
    v, t = vib.mean[running], vib.t[running]
    if len(v) < policy.min_level_buckets:
        return None
    then = ramp.at(float(np.median(t[-policy.level_buckets :])))
    level = float(np.median(v[-policy.level_buckets :]))
    return level * ramp.end / then if then > 0 else level


def level_at_alarm(
    name: str, vib: Series, running: Mask, limit: float, policy: WearPolicy
) -> TagTrend | None:
    """The sustained running level, if it sits at the alarm limit (see `WearPolicy.level_noise`).

    The median of the running buckets ignores spikes; a reading that never varies within a bucket is
    frozen, not a machine.
    """
    v, lo, hi = vib.mean[running], vib.lo[running], vib.hi[running]
    if len(v) < policy.min_level_buckets or float(np.median(hi - lo)) <= 0:
        return None
    level = float(np.median(v[-policy.level_buckets :]))
    sd = sample_sd(v, hi - lo, vib.per_bucket)
    if level + policy.level_noise * sd < limit:
        return None
    text = (
        f"{name}: running level {level:.4g} over {len(v)} running buckets, "
        f"within {policy.level_noise:g} sample deviations ({sd:.2g}) of its alarm limit {limit:g}"
    )
    return TagTrend(
        tag=name, direction="up", shift_sigma=0.0, slope_per_h=0.0, baseline=level, current=level,
        hours_to_limit=0.0, limit=limit, explanation=text,
    )  # fmt: skip


def sample_sd(means: F64, ranges: F64, per_bucket: int) -> float:
    """One raw sample's noise: the median range within a bucket over d2 (the range of a normal sample
    of that size is d2 deviations), robust to spike buckets; else the spread of bucket means."""
    if MIN_SUBGROUP <= per_bucket <= MAX_SUBGROUP:
        return float(np.median(ranges)) / chart_constants(per_bucket).d2
    spread = 1.4826 * float(np.median(np.abs(means - np.median(means))))
    return spread * float(np.sqrt(per_bucket))


def otsu(x: F64) -> float | None:
    """The threshold splitting `x` into two classes with the largest between-class variance."""
    s = np.sort(x)
    n = len(s)
    if n < 4 or s[0] == s[-1]:
        return None
    csum = np.cumsum(s)
    k = np.arange(1, n)
    m1 = csum[:-1] / k
    m2 = (csum[-1] - csum[:-1]) / (n - k)
    i = int(np.argmax(k * (n - k) * (m1 - m2) ** 2))
    return float((s[i] + s[i + 1]) / 2)


def settled(state: Mask, t: F64, policy: WearPolicy) -> list[bool]:
    """Buckets at least `settle_s` into an unbroken spell in the state: temperatures have caught up."""
    out: list[bool] = []
    start: float | None = None
    for on, ti in zip(state.tolist(), t.tolist(), strict=True):
        start = (ti if start is None else start) if on else None
        out.append(start is not None and ti - start >= policy.settle_s)
    return out
