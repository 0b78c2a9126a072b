"""Instrument health: find a failed transmitter (a stuck or a spiking reading) in tag history.

A live analogue transmitter always shows some noise, and what it measures moves with its
machine. Two ways it fails without the machine doing anything:

- **stuck**: the reading freezes at its last value. Bucket after bucket the minimum equals the
  maximum, for far longer than any live signal repeats itself exactly, while the machine is
  powered (a load tag, current or speed, reads clearly above zero) and the asset's other sensors
  keep moving. A flat line on a machine that stayed off is not reported (off may read flat), nor
  one where every tag of the asset froze (that is a data outage, not one instrument).
- **spikes**: short excursions far beyond the tag's own noise: a bucket whose max (or min) lies
  far beyond its own mean and both neighbours' means (so not a step, a ramp or a sustained level
  change), that no other sensor of the asset shows at the same time (a real process event moves
  several sensors; a failing transmitter moves only itself), recurring many times.

A chattering alarm (a value hovering at its limit), a failed utility, a tripped or broken machine,
wear and slow sensor drift are none of these: their readings stay live and their changes are
sustained or shared by sibling sensors.

`find_instrument_faults` is a pure function over bucketed histories (`TagSeries`, mean, min and
max per bucket, as `GET /tags/{id}/history` returns them); `scan_instruments` reads the
histories through the typed tools and calls it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from tools import (
    GetTagHistoryArgs,
    ListTagsArgs,
    NoArgs,
    PlantClient,
    TagHistory,
    get_clock,
    get_tag_history,
    list_tags,
)

FaultKind = Literal["stuck", "spikes"]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True, slots=True)
class InstrumentPolicy:
    """When a tag's history shows a failed instrument. Spreads are measured in the tag's own
    typical bucket spread (median of max - min over its buckets), so one policy fits tags of any
    unit and any bucket size."""

    min_flat_s: float = 1800.0
    """A reading identical to the last digit for half an hour (180 samples at 10 s) is frozen: a
    live transmitter's noise never repeats itself that long."""
    min_powered_s: float = 1800.0
    """The machine must have been powered (running or idle) for this long of the flat stretch,
    so there was a live process to measure: a machine stopped all along may read flat."""
    powered_spreads: float = 1.0
    """A moving load tag (current, power, speed) shows the machine powered where its bucket mean
    sits more than this many of its own bucket spreads above zero. Stopped, a load reads zero
    plus noise (mean well under one spread); idle, a motor current is ~10 noise sigmas up (2.5
    spreads at 25 samples a bucket, more at fewer)."""
    live_share: float = 0.9
    """Another tag of the asset must move (min < max) in this share of the flat buckets: the
    asset's data is live, only this one instrument is frozen."""
    spike_spreads: float = 5.0
    """A bucket holds a spike when its max (min) lies this many of the tag's bucket spreads
    beyond both its own mean and both neighbours' means: 12-20 noise sigmas for 2-25 samples a
    bucket. A failed transmitter's spikes run past its alarm limit, 25-45 sigmas; noise never gets
    here, and a step or a sustained shift moves a mean along with the extreme."""
    corroborate_spreads: float = 3.0
    """A sibling of the asset whose bucket spread is this many times its typical one, in the same
    or an adjacent bucket, means the process moved (a start, a stop, a short run): the excursion
    may be real, so it is not counted against the instrument."""
    min_spikes: int = 8
    """Uncorroborated spikes needed to call the tag faulty: recurring, not a one-off. Healthy
    tags show up to ~7 one-bucket excursions a day (a packer's short runs), every one corroborated
    by a sibling; a transmitter spiking on 1 % of its samples shows about three an hour."""


DEFAULT_INSTRUMENT_POLICY = InstrumentPolicy()
LOAD_KINDS = frozenset({"current", "power", "speed"})
"""Tag kinds that read zero when a machine is off and clearly above zero when it is powered."""


@dataclass(frozen=True, kw_only=True, slots=True)
class TagSeries:
    """One tag's bucketed history, with what the scan needs to know about the tag."""

    tag: str
    asset: str
    kind: str
    """temperature, vibration, flow, pressure, current, speed, ..."""
    unit: str = ""
    t: tuple[float, ...]
    """Start of each bucket, seconds since reset, in time order."""
    mean: tuple[float, ...]
    low: tuple[float, ...]
    """Each bucket's minimum."""
    high: tuple[float, ...]
    """Each bucket's maximum."""

    def __post_init__(self) -> None:
        n = len(self.t)
        if not len(self.mean) == len(self.low) == len(self.high) == n:
            raise ValueError(f"{self.tag}: t, mean, low and high must have one value per bucket.")

    @classmethod
    def from_history(cls, history: TagHistory, *, asset: str, kind: str) -> TagSeries:
        """From a `get_tag_history` answer; `asset` and `kind` come from `list_tags`."""
        pts = history.points
        return cls(
            tag=history.tag, asset=asset, kind=kind, unit=history.unit, t=tuple(p.t for p in pts),
            mean=tuple(p.value for p in pts), low=tuple(p.min for p in pts), high=tuple(p.max for p in pts),
        )  # fmt: skip


@dataclass(frozen=True, kw_only=True, slots=True)
class InstrumentFault:
    """A transmitter that has failed, with the numbers that show it."""

    asset: str
    tag: str
    kind: FaultKind
    onset_t: float
    """Best estimate of the failure time, seconds since reset: the start of the flat line (to
    within a bucket), or the first spike."""
    last_t: float
    """Last time the fault was seen: end of the flat line, or the last spike."""
    frozen_value: float | None
    """stuck: the value the reading froze at."""
    flat_s: float
    """stuck: how long the reading has not moved, seconds."""
    powered_s: float
    """stuck: how much of the flat stretch the machine was powered, seconds."""
    spikes: int
    """spikes: isolated, uncorroborated spike buckets."""
    spike_size: float
    """spikes: median excursion beyond the neighbouring buckets, in the tag's unit (signed)."""
    noise: float
    """The tag's typical bucket spread (max - min) while it worked, in its unit."""
    unit: str
    explanation: str


@dataclass(frozen=True, slots=True)
class _Arrays:
    t: F64
    mean: F64
    lo: F64
    hi: F64
    spread: float
    """Median bucket spread (max - min) over the buckets that moved; 0 if none did."""


def _arrays(s: TagSeries) -> _Arrays:
    t = np.array(s.t, dtype=float)
    mean = np.array(s.mean, dtype=float)
    lo = np.array(s.low, dtype=float)
    hi = np.array(s.high, dtype=float)
    rng = hi - lo
    moving = rng[rng > 0]
    return _Arrays(t, mean, lo, hi, float(np.median(moving)) if len(moving) else 0.0)


def _bucket_s(t: F64) -> float:
    return float(np.median(np.diff(t))) if len(t) > 1 else 0.0


def _flat_run(a: _Arrays) -> tuple[int, int] | None:
    """The longest run [i, j) of buckets with min == max, all at one value."""
    flat = a.hi <= a.lo
    best: tuple[int, int] | None = None
    i, n = 0, len(flat)
    while i < n:
        if not flat[i]:
            i += 1
            continue
        j = i + 1
        while j < n and flat[j] and a.mean[j] == a.mean[i]:
            j += 1
        if best is None or j - i > best[1] - best[0]:
            best = (i, j)
        i = j
    return best


def _spike_sizes(a: _Arrays) -> F64:
    """Per bucket, the signed size of a short excursion in it: how far its max rises (or its min
    falls) beyond both its own mean and both neighbours' means, whichever is less; the larger
    of the two directions, negative for a dip. A step or a ramp has a neighbour at the new level,
    a sustained shift moves the bucket's own mean: both score near zero. The two end buckets,
    with one neighbour, score zero."""
    n = len(a.t)
    size = np.zeros(n)
    if n < 3:
        return size
    m, hi, lo = a.mean, a.hi[1:-1], a.lo[1:-1]
    up = np.minimum(hi - m[1:-1], hi - np.maximum(m[:-2], m[2:]))
    down = np.minimum(m[1:-1] - lo, np.minimum(m[:-2], m[2:]) - lo)
    size[1:-1] = np.where(up >= down, up, -down)
    return size


def _moved(b: _Arrays, spreads: float) -> npt.NDArray[np.bool_]:
    """Buckets in which, or next to which, tag `b` moved unusually (its spread is `spreads`
    times its typical one): the process did something there."""
    big = (b.hi - b.lo) >= spreads * b.spread
    out = big.copy()
    out[1:] |= big[:-1]
    out[:-1] |= big[1:]
    return out


def _stuck(
    s: TagSeries, a: _Arrays, siblings: Mapping[str, _Arrays], kinds: Mapping[str, str], p: InstrumentPolicy
) -> InstrumentFault | None:
    run = _flat_run(a)
    if run is None:
        return None
    i, j = run
    width = _bucket_s(a.t)
    flat_s = float(a.t[j - 1] - a.t[i]) + width
    if flat_s < p.min_flat_s:
        return None
    if not any(float(np.mean(b.hi[i:j] > b.lo[i:j])) >= p.live_share for b in siblings.values()):
        return None
    powered = np.zeros(j - i, dtype=bool)
    for name, b in siblings.items():
        if kinds[name] in LOAD_KINDS:
            powered |= (b.mean[i:j] > p.powered_spreads * b.spread) & (b.hi[i:j] > b.lo[i:j])
    powered_s = float(powered.sum()) * width
    if powered_s < p.min_powered_s:
        return None
    value = float(a.mean[i])
    noise = float(np.median((a.hi - a.lo)[:i])) if i else 0.0
    live_noise = (
        f"; live, it varied by about {noise:.2g} {s.unit} every {width / 60:.0f} min" if noise else ""
    )
    # The bucket before the flat run still moved: the reading froze somewhere inside it.
    onset = float(a.t[i - 1]) + width / 2 if i else float(a.t[0])
    return InstrumentFault(
        asset=s.asset, tag=s.tag, kind="stuck", onset_t=onset, last_t=float(a.t[j - 1]) + width,
        frozen_value=value, flat_s=flat_s, powered_s=powered_s, spikes=0, spike_size=0.0, noise=noise,
        unit=s.unit,
        explanation=(
            f"{s.tag} has read exactly {value:.6g} {s.unit} for {flat_s / 3600:.1f} h since about "
            f"t={onset:.0f} s, while {s.asset} was powered ({powered_s / 3600:.1f} h of it) and its other "
            f"sensors kept moving{live_noise}: the transmitter is frozen, not the process."
        ),
    )  # fmt: skip


def _spikes(
    s: TagSeries, a: _Arrays, siblings: Mapping[str, _Arrays], p: InstrumentPolicy
) -> InstrumentFault | None:
    if a.spread <= 0:
        return None
    size = _spike_sizes(a)
    alone = np.abs(size) >= p.spike_spreads * a.spread
    for b in siblings.values():
        if b.spread > 0:
            alone &= ~_moved(b, p.corroborate_spreads)
    idx = np.flatnonzero(alone)
    if len(idx) < p.min_spikes:
        return None
    first, last = float(a.t[idx[0]]), float(a.t[idx[-1]])
    med = float(np.median(size[idx]))
    way = "above" if med > 0 else "below"
    return InstrumentFault(
        asset=s.asset, tag=s.tag, kind="spikes", onset_t=first, last_t=last, frozen_value=None,
        flat_s=0.0, powered_s=0.0, spikes=len(idx), spike_size=med, noise=a.spread, unit=s.unit,
        explanation=(
            f"{s.tag} threw {len(idx)} one-off spikes of about {abs(med):.3g} {s.unit} {way} its "
            f"readings either side (normal spread {a.spread:.2g} {s.unit}) from t={first:.0f} s to "
            f"t={last:.0f} s, with no other sensor of {s.asset} moving: the transmitter is faulty, not the process."
        ),
    )  # fmt: skip


def find_instrument_faults(
    series: Mapping[str, TagSeries], *, policy: InstrumentPolicy = DEFAULT_INSTRUMENT_POLICY
) -> list[InstrumentFault]:
    """Failed transmitters (stuck or spiking) among `series`, keyed by tag id; at most one
    finding per tag, sorted by onset then tag. Tags of one asset are judged together: a sibling
    shows whether the machine was powered and whether an excursion was the process's."""
    by_asset: dict[str, dict[str, TagSeries]] = {}
    for tag, s in series.items():
        by_asset.setdefault(s.asset, {})[tag] = s
    out: list[InstrumentFault] = []
    for tags in by_asset.values():
        arrays = {tag: _arrays(s) for tag, s in tags.items()}
        kinds = {tag: s.kind for tag, s in tags.items()}
        for tag, s in sorted(tags.items()):
            a = arrays[tag]
            # Only siblings bucketed like this tag can vouch for the same moments.
            siblings = {k: v for k, v in arrays.items() if k != tag and np.array_equal(v.t, a.t)}
            found = _stuck(s, a, siblings, kinds, policy) or _spikes(s, a, siblings, policy)
            if found is not None:
                out.append(found)
    out.sort(key=lambda f: (f.onset_t, f.tag))
    return out


async def scan_instruments(
    client: PlantClient,
    *,
    since_t: float = 0.0,
    assets: Sequence[str] | None = None,
    max_points: int = 360,
    policy: InstrumentPolicy = DEFAULT_INSTRUMENT_POLICY,
) -> list[InstrumentFault]:
    """Read every tag's history since `since_t` (only those of `assets`, if given) and return the
    failed transmitters among them. `max_points` buckets per tag: 360 makes 4-minute buckets of a
    24 h window, fine enough to isolate spikes and cheap enough to read all tags in about a second."""
    tags = (await list_tags(client, ListTagsArgs())).tags
    if assets is not None:
        wanted = set(assets)
        tags = [t for t in tags if t.asset in wanted]
    # One end time for every tag, so the buckets of an asset's tags line up.
    now = (await get_clock(client, NoArgs())).t
    if since_t >= now:
        return []
    gate = asyncio.Semaphore(8)

    async def read(tag_id: str) -> TagHistory:
        async with gate:
            args = GetTagHistoryArgs(tag_id=tag_id, since_t=since_t, until_t=now, max_points=max_points)
            return await get_tag_history(client, args)

    histories = await asyncio.gather(*(read(t.id) for t in tags))
    series = {
        t.id: TagSeries.from_history(h, asset=t.asset, kind=t.kind)
        for t, h in zip(tags, histories, strict=True)
    }
    return find_instrument_faults(series, policy=policy)
