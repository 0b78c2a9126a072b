"""Predictive-maintenance health scan: which rotating asset has a wearing bearing.

Every hour a bearing runs adds wear, and wear adds vibration (temperature and current follow
later, and less). A drifting transmitter moves one tag alone; a stuck one is flat; a spiking one
jumps for single samples; a machine short of coolant heats up but does not shake. So the evidence
is the asset's vibration tag over its running samples only (idle or off, a machine vibrates at
another level altogether):

1. **Trend** (the main rule). The running vibration, fitted against the clock with single-bucket
   spikes set aside, climbs as a sustained ramp: steep (a slope per hour that is a real share of
   the alarm limit, far above a healthy bearing's slow wear), significant (many standard errors),
   rising from each quarter of the running history to the next, and better explained by a line
   than by one step.
2. **Level** (only when the running history is too short to tell a ramp from noise, e.g. a machine
   that alarms minutes after it starts). The sustained running level, not a spike and not a frozen
   reading, sits at the tag's high alarm limit (within three samples' noise of it): by ISO 10816
   that is a mechanical condition, not a healthy machine. Lower confidence, no remaining-life
   estimate. A long, flat history never falls back on the level: that is not wear.

The failure mode comes from the plant's failure-mode map: the asset type's predictive mode
(`PdM`/`PM`) revealed by a vibration tag going up. The mode's other tags (temperature, current)
are reported and raise the confidence, but are not required: they lag.

    finding = await assess_wear(client, "CNC-3")      # one asset, e.g. when its vibration alarms
    findings = await scan_wear(client)                # every rotating asset, most urgent first
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from agents._health import TagTrend, diagnose, health_index, tag_trend
from agents._spc_constants import MAX_SUBGROUP, MIN_SUBGROUP, chart_constants
from tools import (
    Alarm,
    Asset,
    FailureMode,
    GetAssetArgs,
    GetTagHistoryArgs,
    ListAlarmsArgs,
    ListAssetsArgs,
    ListFailureModesArgs,
    ListTagsArgs,
    NoArgs,
    PlantClient,
    Tag,
    get_asset,
    get_asset_failure_modes,
    get_clock,
    get_tag_history,
    list_alarms,
    list_assets,
    list_failure_modes,
    list_tags,
)

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Evidence = Literal["trend", "level"]
_WEAR_TYPES = ("PdM", "PM")


@dataclass(frozen=True, kw_only=True, slots=True)
class WearPolicy:
    """The numbers of the wear scan. Tuned on the sandbox plant (vibration noise 0.08-0.2 mm/s a
    sample, a healthy bearing adding ~0.004 mm/s an hour, a worn one 0.05-0.3)."""

    lookback_s: float = 86400.0
    """History read before `until_t`: a day holds a worn bearing's climb many times over."""
    bucket_s: float = 60.0
    """History bucket: six or so 10 s samples averaged cut the noise 2.5x, and a minute still
    resolves a machine's running / idle pattern, and the few running minutes of a machine that
    alarms right after it starts (two-minute buckets lost bearing_wear seed 9's)."""
    min_running_h: float = 0.5
    """Running time needed before the trend is judged at all; below it only the level can speak."""
    min_slope_frac_per_h: float = 0.005
    """Slope per hour, as a share of the tag's lowest high alarm limit, that counts as wear. Healthy
    bearings measure at most 0.2 % of the limit an hour (0.004-0.007 against 4.5 mm/s); worn ones in
    the sandbox 0.7-7 %, the slowest being a press that mostly idles. 0.5 % sits between."""
    min_t_stat: float = 6.0
    """The slope must be this many standard errors above zero (chance: about one in a billion), as
    a scan tests some twenty-five assets every shift."""
    undecided_se: float = 3.0
    """A slope whose upper bound (slope + this many standard errors) is still below the wear slope
    is flat for sure; one that is not, yet falls short of `min_t_stat`, is undecided (too little
    running history), and only then is the level consulted."""
    outlier_mad: float = 5.0
    """Buckets further than this many robust deviations from the fitted line are spikes."""
    quarters: int = 4
    """The running history is cut into this many equal parts; each must sit higher than the last."""
    run_gap_frac: float = 0.15
    """A load tag (current, else speed) tells running from idle when its two levels differ by this
    share of the running level (a conveyor idles at 75 % of its running current, a grinder at 20 %);
    a pump's current creeping up 7 % with wear is one level, not two."""
    off_frac: float = 0.05
    """Below this share of the load's top (95th percentile) an asset is off; with a single load
    level, everything above it runs (a pump, a machine that never idled in the window)."""
    min_level_buckets: int = 3
    """Running buckets needed for a level verdict: one or two could be a transient."""
    level_buckets: int = 10
    """The level is the median of this many latest running buckets: the level now, not the mean of a
    history that may be climbing."""
    level_noise: float = 3.0
    """The level is at the alarm when level + this many sample deviations reaches the limit: the
    alarm then stands on the sustained level, ordinary noise carrying it over, not on spikes."""
    settle_s: float = 1800.0
    """Corroborating temperatures are compared only this far into an unbroken run (two spindle
    thermal time constants); vibration and current follow the load at once."""
    trend_confidence: float = 0.75
    """Confidence of a ramp on the vibration alone: strong, but one tag."""
    level_confidence: float = 0.55
    """Confidence of a level at the alarm without a trend: a worn bearing, or (rarely) a transmitter
    reading high; an inspection settles it."""
    sign_confidence: float = 0.1
    """Added per other tag of the mode (temperature, current) moving the mode's way: a drifting
    transmitter cannot move two tags."""
    max_confidence: float = 0.95
    """Never certain from tags alone."""


@dataclass(frozen=True, kw_only=True, slots=True)
class WearFinding:
    """One asset whose bearing is wearing."""

    asset: str
    failure_mode: str
    """The plant's failure-mode id for this asset type, e.g. `spindle_bearing_wear`."""
    evidence: Evidence
    """`trend`: the vibration climbs as a ramp; `level`: too little running history for a trend,
    but the sustained running vibration is at its alarm limit."""
    signs: tuple[TagTrend, ...]
    """The trends of the tags the failure mode reveals, vibration first (running samples only)."""
    health_index: float
    """1 healthy .. 0 failed (`agents._health.health_index` over `signs`)."""
    rul_hours: float | None
    """Hours until the vibration ramp reaches the next high alarm limit above it (0 if past every
    limit), at the recent pace; None when there is no trend to project (`level` evidence)."""
    confidence: float
    explanation: str


async def assess_wear(
    client: PlantClient, asset_id: str, *, until_t: float | None = None, policy: WearPolicy | None = None
) -> WearFinding | None:
    """Is this asset's bearing wearing? Ask it when a vibration alarm fires on an asset, to tell a
    wearing bearing (raise a predictive work order for the returned `failure_mode`) from a faulty
    instrument (None: a step, spikes, a frozen reading, or a tag moving alone on a quiet machine).
    Judged on the asset's running samples up to `until_t` (seconds since reset; default now)."""
    policy = policy or WearPolicy()
    asset = await get_asset(client, GetAssetArgs(asset_id=asset_id))
    modes = (await get_asset_failure_modes(client, GetAssetArgs(asset_id=asset_id))).failure_modes
    tags = (await list_tags(client, ListTagsArgs(asset=asset_id))).tags
    alarms = (await list_alarms(client, ListAlarmsArgs(state="any", asset=asset_id))).alarms
    until = until_t if until_t is not None else (await get_clock(client, NoArgs())).t
    return await _assess(client, asset, modes, tags, alarms, until, policy)


async def scan_wear(
    client: PlantClient, *, until_t: float | None = None, policy: WearPolicy | None = None
) -> list[WearFinding]:
    """Shift review: every asset whose type has a bearing-wear mode (a predictive mode revealed by
    a vibration tag going up) is judged as by `assess_wear`. Returns the wearing ones, most urgent
    first (shortest remaining life; an asset already at its alarm counts as 0 h); [] if none."""
    policy = policy or WearPolicy()
    until = until_t if until_t is not None else (await get_clock(client, NoArgs())).t
    by_type = (await list_failure_modes(client, ListFailureModesArgs())).by_type
    tags = (await list_tags(client, ListTagsArgs())).tags
    alarms = (await list_alarms(client, ListAlarmsArgs(state="any"))).alarms
    out: list[WearFinding] = []
    for asset in (await list_assets(client, ListAssetsArgs())).assets:
        own = [t for t in tags if t.asset == asset.id]
        modes = by_type.get(asset.type, [])
        if _wear_modes(modes, own):
            mine = [a for a in alarms if a.asset == asset.id]
            finding = await _assess(client, asset, modes, own, mine, until, policy)
            if finding is not None:
                out.append(finding)
    out.sort(key=lambda f: (0.0 if f.rul_hours is None else f.rul_hours, f.health_index, f.asset))
    return out


def _wear_modes(modes: Sequence[FailureMode], tags: Sequence[Tag]) -> list[tuple[FailureMode, str]]:
    """The predictive modes revealed by a vibration tag going up, each with that tag's name."""
    kinds = {t.name: t.kind for t in tags}
    out: list[tuple[FailureMode, str]] = []
    for m in modes:
        vib = next(
            (r.tag for r in m.reveals if r.tag and r.direction == "up" and kinds.get(r.tag) == "vibration"),
            None,
        )
        if m.wo_type in _WEAR_TYPES and vib is not None:
            out.append((m, vib))
    return out


@dataclass(frozen=True, slots=True)
class _Series:
    """A bucketed tag history: bucket times, means, minima and maxima."""

    t: F64
    mean: F64
    lo: F64
    hi: F64
    per_bucket: int
    """Raw samples averaged into each bucket."""


async def _history(
    client: PlantClient, tag_id: str, since: float, until: float, policy: WearPolicy
) -> _Series:
    points = int(min(5000, max(1, (until - since) // policy.bucket_s)))
    args = GetTagHistoryArgs(tag_id=tag_id, since_t=since, until_t=until, max_points=points)
    h = await get_tag_history(client, args)
    return _Series(
        t=np.array([p.t for p in h.points], dtype=float),
        mean=np.array([p.value for p in h.points], dtype=float),
        lo=np.array([p.min for p in h.points], dtype=float),
        hi=np.array([p.max for p in h.points], dtype=float),
        per_bucket=max(1, h.bucket_samples),
    )


async def _assess(
    client: PlantClient,
    asset: Asset,
    modes: Sequence[FailureMode],
    tags: Sequence[Tag],
    alarms: Sequence[Alarm],
    until: float,
    policy: WearPolicy,
) -> WearFinding | None:
    candidates = _wear_modes(modes, tags)
    by_name = {t.name: t for t in tags}
    if not candidates:
        return None
    vib_name = candidates[0][1]
    vib = by_name[vib_name]
    highs = sorted(a.limit for a in alarms if a.tag == vib.id and a.type.startswith("HI"))
    if not highs:
        return None
    since = max(0.0, until - policy.lookback_s)
    vh = await _history(client, vib.id, since, until, policy)
    running = await _running(client, tags, since, until, len(vh.t), policy)
    ramp = _ramp(vh, running, policy)
    verdict = _verdict(ramp, highs[0], policy)
    if verdict == "flat":
        return None
    if verdict == "rising":
        assert ramp is not None
        vib_trend = _ramp_trend(vib_name, ramp, highs)
        evidence: Evidence = "trend"
    else:
        level = _level(vib_name, vh, running, highs[0], policy)
        if level is None:
            return None
        vib_trend = level
        evidence = "level"
    trends = {vib_name: vib_trend}
    settled = _settled(running, vh.t, policy)
    for m, _ in candidates:
        for r in m.reveals:
            if r.tag is not None and r.tag not in trends and r.tag in by_name:
                h = await _history(client, by_name[r.tag].id, since, until, policy)
                keep = settled if len(h.t) == len(settled) else [False] * len(h.t)
                trends[r.tag] = tag_trend(r.tag, h.t.tolist(), h.mean.tolist(), running=keep)
    best = diagnose([m.model_dump(mode="json") for m, _ in candidates], trends)[0]
    mode = next(m for m, _ in candidates if m.id == best.failure_mode)
    signs = tuple(trends[r.tag] for r in mode.reveals if r.tag in trends)
    others = [s for s in best.matched if not s.startswith(f"{vib_name} ")]
    rul = vib_trend.hours_to_limit if evidence == "trend" else None
    if evidence == "trend":
        assert ramp is not None
        confidence = policy.trend_confidence + policy.sign_confidence * len(others)
        how = (
            f"{vib_name} climbs {ramp.slope_per_h:+.3g}/h over {ramp.running_h:.1f} running h "
            f"({ramp.start:.3g} to {ramp.end:.3g}, {ramp.t_stat:.0f} standard errors, no step, no spikes)"
        )
    else:
        confidence = policy.level_confidence + policy.sign_confidence * len(others)
        how = f"too little running history for a trend, but {vib_trend.explanation}"
    text = f"{asset.id}: {mode.name.lower()} - {how}" + (
        f"; {', '.join(others)} too" if others else "; other signs not yet moved"
    )
    if rul is not None:
        text += f"; next alarm limit in ~{rul:.0f} h" if rul > 0 else "; past its alarm limits"
    return WearFinding(
        asset=asset.id,
        failure_mode=mode.id,
        evidence=evidence,
        signs=signs,
        health_index=health_index(list(signs)),
        rul_hours=None if rul is None else round(rul, 1),
        confidence=round(min(confidence, policy.max_confidence), 3),
        explanation=text,
    )


# -- running samples -----------------------------------------------------------------------------
async def _running(
    client: PlantClient, tags: Sequence[Tag], since: float, until: float, n: int, policy: WearPolicy
) -> Mask:
    """Buckets the asset spent wholly running, told by a load tag.

    Off is near zero. Running and idle are told apart by splitting the load tag's levels in two
    (Otsu), if the two levels differ by `run_gap_frac` of the running level; a bucket runs when even
    its minimum is at the running level, so one that mixes running and idle is dropped. Current is
    tried first (every rotating asset draws less idle); speed (zero when idle, but a conveyor's belt
    speed does not change) when current shows one level only. One level only: all above `off_frac`.
    """
    loads = [t for t in tags if t.kind == "current"] + [t for t in tags if t.kind == "speed"]
    floor_mask: Mask | None = None
    for tag in loads:
        s = await _history(client, tag.id, since, until, policy)
        if len(s.t) != n or n == 0:
            continue
        top = float(np.percentile(s.hi, 95))
        if top <= 0:
            continue
        floor = policy.off_frac * top
        floor_mask = s.lo > floor
        on = s.mean[s.mean > floor]
        cut = _otsu(on)
        if cut is not None:
            upper, lower = on[on >= cut], on[on < cut]
            if float(upper.mean() - lower.mean()) >= policy.run_gap_frac * float(upper.mean()):
                split: Mask = s.lo >= cut
                return split
    return floor_mask if floor_mask is not None else np.ones(n, dtype=bool)


def _otsu(x: F64) -> float | None:
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


def _settled(running: Mask, t: F64, policy: WearPolicy) -> list[bool]:
    """Running buckets at least `settle_s` into an unbroken run: temperatures have caught up."""
    out: list[bool] = []
    start: float | None = None
    for on, ti in zip(running.tolist(), t.tolist(), strict=True):
        start = (ti if start is None else start) if on else None
        out.append(start is not None and ti - start >= policy.settle_s)
    return out


# -- trend and level -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Ramp:
    slope_per_h: float
    se: float
    t_stat: float
    noise: float
    start: float
    end: float
    running_h: float
    quarter_rises: tuple[float, ...]
    step_better: bool


def _ramp(vib: _Series, running: Mask, policy: WearPolicy) -> _Ramp | None:
    """Fit the running vibration against the clock, spikes set aside; None if too little running.

    Against the clock, not against running time: a bearing also wears (more slowly) while it idles,
    so on a running-time axis every idle spell would show as a step.
    """
    t, v = vib.t[running], vib.mean[running]
    dt = float(np.median(np.diff(vib.t))) if len(vib.t) > 1 else policy.bucket_s
    running_h = len(v) * dt / 3600.0
    if running_h < policy.min_running_h or len(v) < 3 * policy.quarters:
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
    return _Ramp(
        slope_per_h=float(slope),
        se=se,
        t_stat=float(slope) / se,
        noise=noise,
        start=float(icept + slope * xs[0]),
        end=float(icept + slope * xs[-1]),
        running_h=running_h,
        quarter_rises=tuple(b - a for a, b in zip(meds[:-1], meds[1:], strict=True)),
        step_better=_best_step_sse(vs) < float(np.sum(resid**2)),
    )


def _best_step_sse(v: F64) -> float:
    """Residual sum of squares of the best one-step (two-level) fit of `v` in its order."""
    n = len(v)
    c1, c2 = np.cumsum(v), np.cumsum(v**2)
    k = np.arange(1, n)
    left = c2[:-1] - c1[:-1] ** 2 / k
    right = (c2[-1] - c2[:-1]) - (c1[-1] - c1[:-1]) ** 2 / (n - k)
    return float(np.min(left + right))


def _verdict(ramp: _Ramp | None, limit: float, policy: WearPolicy) -> Literal["rising", "flat", "undecided"]:
    if ramp is None:
        return "undecided"
    wear_slope = policy.min_slope_frac_per_h * limit
    if (
        ramp.slope_per_h >= wear_slope
        and ramp.t_stat >= policy.min_t_stat
        and all(r > 0 for r in ramp.quarter_rises)
        and not ramp.step_better
    ):
        return "rising"
    if ramp.slope_per_h + policy.undecided_se * ramp.se >= wear_slope and ramp.t_stat < policy.min_t_stat:
        return "undecided"
    return "flat"


def _ramp_trend(name: str, ramp: _Ramp, highs: Sequence[float]) -> TagTrend:
    """The vibration ramp as a `TagTrend`: baseline and current from the fitted line."""
    limit = next((h for h in highs if h > ramp.end), None)
    hours: float | None = 0.0 if limit is None else (limit - ramp.end) / ramp.slope_per_h
    limit = highs[-1] if limit is None else limit
    shift = (ramp.end - ramp.start) / ramp.noise
    text = (
        f"{name}: {ramp.end:.4g} from {ramp.start:.4g} over {ramp.running_h:.1f} running h "
        f"({shift:+.1f} bucket deviations), slope {ramp.slope_per_h:+.3g}/h"
        + (f", reaches {limit:g} in {hours:.1f} h" if hours else f", past {limit:g}")
    )
    return TagTrend(
        tag=name, direction="up", shift_sigma=shift, slope_per_h=ramp.slope_per_h, baseline=ramp.start,
        current=ramp.end, hours_to_limit=hours, limit=limit, explanation=text,
    )  # fmt: skip


def _level(name: str, vib: _Series, running: Mask, limit: float, policy: WearPolicy) -> TagTrend | None:
    """The sustained running level, if it sits at the alarm limit (see `WearPolicy.level_noise`).

    The median of the running buckets ignores spikes; a reading that never varies within a bucket is
    frozen, not a machine.
    """
    v, lo, hi = vib.mean[running], vib.lo[running], vib.hi[running]
    if len(v) < policy.min_level_buckets or float(np.median(hi - lo)) <= 0:
        return None
    level = float(np.median(v[-policy.level_buckets :]))
    sample_sd = _sample_sd(v, hi - lo, vib.per_bucket)
    if level + policy.level_noise * sample_sd < limit:
        return None
    text = (
        f"{name}: running level {level:.4g} over {len(v)} running buckets, "
        f"within {policy.level_noise:g} sample deviations ({sample_sd:.2g}) of its alarm limit {limit:g}"
    )
    return TagTrend(
        tag=name, direction="up", shift_sigma=0.0, slope_per_h=0.0, baseline=level, current=level,
        hours_to_limit=0.0, limit=limit, explanation=text,
    )  # fmt: skip


def _sample_sd(means: F64, ranges: F64, per_bucket: int) -> float:
    """One raw sample's noise: the median range within a bucket over d2 (the range of a normal sample
    of that size is d2 deviations), robust to spike buckets; else the spread of bucket means."""
    if MIN_SUBGROUP <= per_bucket <= MAX_SUBGROUP:
        return float(np.median(ranges)) / chart_constants(per_bucket).d2
    spread = 1.4826 * float(np.median(np.abs(means - np.median(means))))
    return spread * float(np.sqrt(per_bucket))


__all__ = ["WearFinding", "WearPolicy", "assess_wear", "scan_wear"]
