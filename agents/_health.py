"""Asset health from tag history, and which failure mode the trends point to.

Pure functions over `(time, value)` series, for the maintenance specialist:

- `tag_trend` compares the recent level of a tag with its own healthy baseline (the oldest
  part of the history), in baseline standard deviations, fits the recent slope, and projects
  when the tag will cross an alarm limit (a remaining-useful-life estimate in hours).
- `health_index` folds the trends of one asset into one number, 1 healthy to 0 failed.
- `diagnose` ranks the asset type's failure modes by how many of the signs each one
  `reveals` (tag, direction) are present, with contradictions counted against it.

Every result carries an explanation, because it becomes part of the decision chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Direction = Literal["up", "down", "flat"]


@dataclass(frozen=True, kw_only=True, slots=True)
class HealthPolicy:
    baseline_fraction: float = 0.3
    """Share of the history, oldest first, taken as the asset's healthy baseline."""
    recent_fraction: float = 0.2
    """Share of the history, newest last, whose mean is the current level."""
    min_points: int = 12
    """Fewer points than this: no verdict (direction flat, confidence zero)."""
    shift_sigma: float = 4.0
    """A tag has moved when its current level is this many baseline deviations away."""
    noise_floor: float = 1e-6
    """Smallest baseline deviation used, so a constant baseline does not divide by zero."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TagTrend:
    tag: str
    direction: Direction
    shift_sigma: float
    """(current - baseline mean) / baseline deviation."""
    slope_per_h: float
    """Least-squares slope over the recent half of the history, units per hour."""
    baseline: float
    current: float
    hours_to_limit: float | None
    """When the recent slope carries the tag across `limit` (0 if already past); None if never."""
    limit: float | None
    explanation: str


def tag_trend(
    tag: str,
    times_s: Sequence[float],
    values: Sequence[float],
    *,
    limit: float | None = None,
    running: Sequence[bool] | None = None,
    policy: HealthPolicy | None = None,
) -> TagTrend:
    """The trend of one tag against its own baseline; `limit` is an alarm limit to project to.

    `running` keeps only the samples taken while the machine ran: a tag's level differs between
    running, idle and off far more than wear moves it, so mixing them hides every trend.
    """
    policy = policy or HealthPolicy()
    t = np.asarray(times_s, dtype=float)
    v = np.asarray(values, dtype=float)
    if t.shape != v.shape:
        raise ValueError(f"{tag}: {len(t)} times but {len(v)} values")
    if running is not None:
        keep = np.asarray(running, dtype=bool)
        if keep.shape != v.shape:
            raise ValueError(f"{tag}: {len(keep)} running flags but {len(v)} values")
        t, v = t[keep], v[keep]
    n = len(v)
    if n < policy.min_points:
        last = float(v[-1]) if n else float("nan")
        return TagTrend(
            tag=tag, direction="flat", shift_sigma=0.0, slope_per_h=0.0, baseline=last, current=last,
            hours_to_limit=None, limit=limit, explanation=f"{tag}: only {n} points, no verdict",
        )  # fmt: skip
    nb = max(2, int(n * policy.baseline_fraction))
    nr = max(2, int(n * policy.recent_fraction))
    base, recent = v[:nb], v[-nr:]
    mean, sd = float(base.mean()), max(float(base.std(ddof=1)), policy.noise_floor)
    current = float(recent.mean())
    shift = (current - mean) / sd
    half = n // 2
    slope_per_s = float(np.polyfit(t[half:], v[half:], 1)[0]) if np.ptp(t[half:]) > 0 else 0.0
    slope_h = slope_per_s * 3600.0
    direction: Direction = "flat"
    if shift >= policy.shift_sigma:
        direction = "up"
    elif shift <= -policy.shift_sigma:
        direction = "down"
    hours: float | None = None
    if limit is not None:
        above = limit >= mean
        past = current >= limit if above else current <= limit
        toward = slope_h > 0 if above else slope_h < 0
        if past:
            hours = 0.0
        elif toward and slope_h != 0:
            hours = (limit - current) / slope_h
    text = f"{tag}: {current:.4g} vs baseline {mean:.4g}±{sd:.2g} ({shift:+.1f}σ), slope {slope_h:+.3g}/h"
    if hours is not None:
        text += f", reaches {limit:g} in {hours:.1f} h" if hours > 0 else f", past {limit:g}"
    return TagTrend(
        tag=tag, direction=direction, shift_sigma=shift, slope_per_h=slope_h, baseline=mean, current=current,
        hours_to_limit=hours, limit=limit, explanation=text,
    )  # fmt: skip


def health_index(trends: Sequence[TagTrend], *, policy: HealthPolicy | None = None) -> float:
    """1.0 while every tag sits within its baseline band; falls to 0 as the worst tag moves to
    four times the shift threshold, or as a tag reaches its alarm limit."""
    policy = policy or HealthPolicy()
    worst = 1.0
    for tr in trends:
        excess = max(0.0, abs(tr.shift_sigma) - 1.0) / (4.0 * policy.shift_sigma)
        score = 1.0 - min(1.0, excess)
        if tr.hours_to_limit == 0.0:
            score = 0.0
        worst = min(worst, score)
    return round(worst, 3)


@dataclass(frozen=True, kw_only=True, slots=True)
class Diagnosis:
    failure_mode: str
    score: float
    """Share of the mode's tag signs present, minus contradictions; 1.0 is every sign."""
    matched: tuple[str, ...]
    missing: tuple[str, ...]
    contradicted: tuple[str, ...]
    severity: int
    explanation: str


def diagnose(
    failure_modes: Sequence[Mapping[str, Any]],
    trends: Mapping[str, TagTrend],
    *,
    quality_drift: bool = False,
) -> list[Diagnosis]:
    """Rank failure modes (the plant's `/failure-modes` records) by the signs they `reveal`.

    A sign is `{tag, direction}` or `{quality: ..., direction: drift}`; quality signs count
    as present when `quality_drift` is set. Highest score first, then the more severe mode,
    then by id, so the order never depends on anything else.
    """
    out: list[Diagnosis] = []
    for fm in failure_modes:
        matched: list[str] = []
        missing: list[str] = []
        contradicted: list[str] = []
        for sign in fm.get("reveals", []):
            want = str(sign.get("direction"))
            if "tag" in sign:
                name = f"{sign['tag']} {want}"
                seen = trends.get(str(sign["tag"]))
                if seen is None or seen.direction == "flat":
                    missing.append(name)
                elif seen.direction == want:
                    matched.append(name)
                else:
                    contradicted.append(name)
            elif "quality" in sign:
                name = f"{sign['quality']} {want}"
                (matched if quality_drift else missing).append(name)
        total = len(matched) + len(missing) + len(contradicted)
        score = 0.0 if total == 0 else (len(matched) - len(contradicted)) / total
        text = f"{fm['id']}: {len(matched)}/{total} signs" + (f" ({', '.join(matched)})" if matched else "")
        if contradicted:
            text += f"; contradicted by {', '.join(contradicted)}"
        out.append(
            Diagnosis(
                failure_mode=str(fm["id"]),
                score=round(score, 3),
                matched=tuple(matched),
                missing=tuple(missing),
                contradicted=tuple(contradicted),
                severity=int(fm.get("severity", 0)),
                explanation=text,
            )  # fmt: skip
        )
    out.sort(key=lambda d: (-d.score, -d.severity, d.failure_mode))
    return out


def settled_running(
    times_s: Sequence[float], load_min: Sequence[float], load_max: Sequence[float], *, settle_s: float
) -> list[bool]:
    """Which history buckets the machine spent running, and long enough to be warm.

    `load_min`/`load_max` are each bucket's extremes of a load tag (speed, or motor current):
    a bucket runs when even its minimum is above half the load's usual high level, so a bucket
    that mixes running and idle is dropped. Temperatures lag the load by many minutes, so only
    buckets `settle_s` into an unbroken run are kept.
    """
    if not len(load_max):
        return []
    high = float(np.percentile(np.asarray(load_max, dtype=float), 95))
    out: list[bool] = []
    since: float | None = None
    for t, low in zip(times_s, load_min, strict=True):
        if high <= 0 or low <= 0.5 * high:
            since = None
        elif since is None:
            since = t
        out.append(since is not None and t - since >= settle_s)
    return out
