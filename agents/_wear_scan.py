"""Predictive-maintenance health scan: which rotating asset has a wearing bearing.

Every hour a bearing runs adds wear, and wear adds vibration (temperature and current follow
later, and less). A drifting transmitter moves one tag alone; a stuck one is flat; a spiking one
jumps for single samples; a machine short of coolant heats up but does not shake. So the evidence
is the asset's vibration tag in one operating state at a time, running (else idle): each state
vibrates at a level of its own, and off says nothing.

1. **Trend** (the main rule). The running vibration, fitted against the clock with single-bucket
   spikes set aside, climbs as a sustained ramp: steep (a slope per hour that is a real share of
   the alarm limit, or of the asset's own level, far above a healthy bearing's slow wear),
   significant (many standard errors), rising from each quarter of the running history to the
   next, and better explained by a line than by one step. A machine that idles all day has one
   load level, and its idle samples are its running history here.
2. **Idle trend** (only when the running history is too short to tell a ramp from noise, e.g. a
   press that ran an hour and idled the rest of the day). A bearing wears while it idles too, and
   its idle vibration climbs by the same share of its own level: the same rule on the idle samples.
   The remaining life projects the latest running level, grown as much as the idle line since.
3. **Level** (when neither history tells, e.g. a machine that alarms minutes after it starts). The
   sustained running level, not a spike and not a frozen reading, sits at the tag's high alarm
   limit (within three samples' noise of it): by ISO 10816 that is a mechanical condition, not a
   healthy machine. Lower confidence, no remaining-life estimate. A long, flat history never falls
   back on the idle trend or the level: that is not wear.

The failure mode comes from the plant's failure-mode map: the asset type's predictive mode
(`PdM`/`PM`) revealed by a vibration tag going up. The mode's other tags (temperature, current)
are reported and raise the confidence, but are not required: they lag.

    finding = await assess_wear(client, "CNC-3")      # one asset, e.g. when its vibration alarms
    findings = await scan_wear(client)                # every rotating asset, most urgent first

The numerics (the ramp, its verdict, the level) are in `agents._wear_trend`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from agents._health import TagTrend, diagnose, health_index, tag_trend
from agents._wear_trend import (
    Mask,
    Series,
    fit_ramp,
    level_at_alarm,
    otsu,
    ramp_trend,
    running_now,
    sample_sd,
    settled,
    verdict,
)
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

Evidence = Literal["trend", "level"]
_WEAR_TYPES = ("PdM", "PM")


@dataclass(frozen=True, kw_only=True, slots=True)
class WearPolicy:
    """The numbers of the wear scan. Tuned on the sandbox plant (vibration noise 0.08-0.2 mm/s a
    sample, a healthy bearing adding ~0.004 mm/s a running hour, a worn one 0.05-0.3; idling, about
    a tenth of that)."""

    lookback_s: float = 86400.0
    """History read before `until_t`: a day holds a worn bearing's climb many times over."""
    bucket_s: float = 60.0
    """History bucket: six or so 10 s samples averaged cut the noise 2.5x, and a minute still
    resolves a machine's running / idle pattern, and the few running minutes of a machine that
    alarms right after it starts (two-minute buckets lost bearing_wear seed 9's)."""
    min_running_h: float = 0.5
    """Time in a state (running, or idle) needed before its trend is judged at all."""
    min_slope_frac_per_h: float = 0.005
    """Slope per hour, as a share of the tag's lowest high alarm limit, that counts as wear. Healthy
    bearings measure at most 0.2 % of the limit an hour (0.004-0.007 against 4.5 mm/s); worn ones in
    the sandbox 0.7-7 % while running. 0.5 % sits between. But a worn bearing that idles (load 0.3:
    it wears at 0.3 times the pace and shows 0.3 times the vibration per unit of wear) climbs only
    0.17-1.6 % of the limit an hour (bearing_wear seeds 29 and 32-34: a press or a CNC idling all
    or nearly all day), mostly below this bar; `min_level_frac_per_h` judges those."""
    min_level_frac_per_h: float = 0.006
    """Or: slope per hour, as a share of the asset's own level in that state (the fitted line's start),
    that counts as wear, when that is the lower bar. On its own scale the pace hardly depends on the
    state (wear adds vibration in proportion to the load). Measured at 24 h (or an hour before a
    failure) on every asset, running and idle fits, over bearing_wear seeds 0-40 and the six other
    scenarios and the healthy plant, seeds 0-11: healthy ramps that pass every other test of the rule
    (`min_t_stat`, quarters, no step) climb at most 0.37 %/h (a conveyor gearbox near 1.2 mm/s adding
    its 0.004 mm/s an hour; idle fits at most 0.22 %); worn bearings at least 0.92 %/h (seed 34, a
    press idling near 1.3 mm/s, +0.012 an hour), running ones 1.0-7 %. 0.6 % leaves 1.6x above the
    healthiest and 1.5x below the slowest."""
    min_t_stat: float = 6.0
    """The slope must be this many standard errors above zero (chance: about one in a billion), as
    a scan tests some twenty-five assets every shift."""
    undecided_se: float = 3.0
    """A slope whose upper bound (slope + this many standard errors) is still below the wear slope
    is flat for sure; one that is not, yet falls short of `min_t_stat`, is undecided (too little
    running history), and only then are the idle samples' trend and then the level consulted."""
    outlier_mad: float = 5.0
    """Buckets further than this many robust deviations from the fitted line are spikes."""
    quarters: int = 4
    """The state's history is cut into this many equal parts; each must sit higher than the last."""
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
    alarm then stands on the sustained level, ordinary noise carrying it over, not on spikes. A load
    tag shows a level at all only when some bucket's minimum is this many deviations above zero."""
    settle_s: float = 1800.0
    """Corroborating temperatures are compared only this far into an unbroken spell in the judged
    state (two spindle thermal time constants); vibration and current follow the load at once."""
    trend_confidence: float = 0.75
    """Confidence of a ramp on the vibration alone (running or idle): strong, but one tag."""
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
    """`trend`: the vibration climbs as a ramp (running, or idle when the machine hardly ran);
    `level`: too little history for a trend, but the sustained running vibration is at its alarm
    limit."""
    signs: tuple[TagTrend, ...]
    """The trends of the tags the failure mode reveals, vibration first (the judged state's samples
    only)."""
    health_index: float
    """1 healthy .. 0 failed (`agents._health.health_index` over `signs`)."""
    rul_hours: float | None
    """Hours until the vibration ramp reaches the next high alarm limit above it (0 if past every
    limit), at the recent pace (an idle ramp: the running level, rising by the same share of itself);
    None when there is no trend to project (`level` evidence)."""
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


async def _history(
    client: PlantClient, tag_id: str, since: float, until: float, policy: WearPolicy
) -> Series:
    points = int(min(5000, max(1, (until - since) // policy.bucket_s)))
    args = GetTagHistoryArgs(tag_id=tag_id, since_t=since, until_t=until, max_points=points)
    h = await get_tag_history(client, args)
    return Series(
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
    running, idle = await _states(client, tags, since, until, len(vh.t), policy)
    ramp, state = fit_ramp(vh, running, policy), running
    judged = verdict(ramp, highs[0], policy)
    now: float | None = None
    if judged == "undecided" and idle.any():
        idle_ramp = fit_ramp(vh, idle, policy)
        if idle_ramp is not None and verdict(idle_ramp, highs[0], policy) == "rising":
            ramp, state, judged = idle_ramp, idle, "rising"
            now = running_now(vh, running, idle_ramp, policy)
    if judged == "flat":
        return None
    where = "running" if state is running else "idle"
    if judged == "rising":
        assert ramp is not None
        vib_trend = ramp_trend(vib_name, ramp, highs, state=where, now=now)
        evidence: Evidence = "trend"
    else:
        level = level_at_alarm(vib_name, vh, running, highs[0], policy)
        if level is None:
            return None
        vib_trend = level
        evidence = "level"
    trends = {vib_name: vib_trend}
    calm = settled(state, vh.t, policy)
    for m, _ in candidates:
        for r in m.reveals:
            if r.tag is not None and r.tag not in trends and r.tag in by_name:
                h = await _history(client, by_name[r.tag].id, since, until, policy)
                keep = calm if len(h.t) == len(calm) else [False] * len(h.t)
                trends[r.tag] = tag_trend(r.tag, h.t.tolist(), h.mean.tolist(), running=keep)
    best = diagnose([m.model_dump(mode="json") for m, _ in candidates], trends)[0]
    mode = next(m for m, _ in candidates if m.id == best.failure_mode)
    signs = tuple(trends[r.tag] for r in mode.reveals if r.tag in trends)
    others = [s for s in best.matched if not s.startswith(f"{vib_name} ")]
    rul = vib_trend.hours_to_limit if evidence == "trend" else None
    if evidence == "trend":
        assert ramp is not None
        confidence = policy.trend_confidence + policy.sign_confidence * len(others)
        share = (
            f"{100 * ramp.slope_per_h / ramp.start:.2g} % of its level an hour, " if ramp.start > 0 else ""
        )
        how = (
            f"{vib_name} climbs {ramp.slope_per_h:+.3g}/h over {ramp.hours:.1f} {where} h "
            f"({ramp.start:.3g} to {ramp.end:.3g}, {share}{ramp.t_stat:.0f} standard errors, no step, no spikes)"
        )
        if now is not None:
            how += f", running at ~{now:.3g} now"
    else:
        confidence = policy.level_confidence + policy.sign_confidence * len(others)
        how = f"too little running history for a trend, but {vib_trend.explanation}"
    text = f"{asset.id}: {mode.name.lower()} - {how}" + (
        f"; {', '.join(others)} too" if others else "; other signs not yet moved"
    )
    if rul is not None:
        text += f"; next alarm limit in ~{rul:.0f} h" if rul > 0 else "; past its alarm limits"
        text += " if it keeps idling" if where == "idle" and now is None and rul > 0 else ""
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


async def _states(
    client: PlantClient, tags: Sequence[Tag], since: float, until: float, n: int, policy: WearPolicy
) -> tuple[Mask, Mask]:
    """Buckets the asset spent wholly running, and wholly idle, told by a load tag.

    Off is near zero. Running and idle are told apart by splitting the load tag's levels in two
    (Otsu), if the two levels differ by `run_gap_frac` of the running level; a bucket runs when even
    its minimum is at the running level, and idles when even its maximum is below it (and its minimum
    above off), so one that mixes states is dropped. Current is tried first (every rotating asset
    draws less idle); speed (zero when idle, but a conveyor's belt speed does not change) when current
    shows one level only. One level only: all above `off_frac` runs, nothing idles. A load that never
    leaves zero (no bucket whose minimum is `level_noise` sample deviations above it) shows no level:
    off, or, a speed while the current is on, idling throughout.
    """
    loads = [t for t in tags if t.kind == "current"] + [t for t in tags if t.kind == "speed"]
    none = np.zeros(n, dtype=bool)
    floor_mask: Mask | None = None
    for tag in loads:
        s = await _history(client, tag.id, since, until, policy)
        if len(s.t) != n or n == 0:
            continue
        top = float(np.percentile(s.hi, 95))
        if top <= 0 or not np.any(s.lo > policy.level_noise * sample_sd(s.mean, s.hi - s.lo, s.per_bucket)):
            if tag.kind == "speed" and floor_mask is not None and floor_mask.any():
                return none, floor_mask
            floor_mask = none if floor_mask is None else floor_mask
            continue
        floor = policy.off_frac * top
        floor_mask = s.lo > floor
        on = s.mean[s.mean > floor]
        cut = otsu(on)
        if cut is not None:
            upper, lower = on[on >= cut], on[on < cut]
            if float(upper.mean() - lower.mean()) >= policy.run_gap_frac * float(upper.mean()):
                return s.lo >= cut, (s.hi < cut) & floor_mask
    return (floor_mask if floor_mask is not None else np.ones(n, dtype=bool)), none


__all__ = ["WearFinding", "WearPolicy", "assess_wear", "scan_wear"]
