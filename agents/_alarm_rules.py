"""Per-alarm and per-area rules: dedupe, chattering, floods and stale alarms.

- `dedupe_alarms` folds repeated raises of one alarm into occurrences (a re-raise soon after the
  previous occurrence ended, or while it still stands, is the same occurrence).
- `find_chattering` flags alarms raised >= 3 times in 60 s (ISA-18.2), or raised over and over
  with fleeting activations (EEMUA repeating alarms): both are nuisance alarms to shelve.
- `find_floods` tracks each area's annunciation rate: a flood starts above 10 in 10 minutes and
  ends below 5 (EEMUA 191), one operator per area.
- `find_stale` lists alarms standing longer than 24 h.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from statistics import median
from typing import Literal

from pydantic import Field

from ._alarm_policy import DEFAULT_ALARM_POLICY, AlarmPolicy
from ._alarm_records import PRIORITY_RANK, AlarmExplanation, AlarmLog, AlarmPriority, Topology, _Frozen

EndReason = Literal["cleared", "shelved", "suppressed"]
ChatterRule = Literal["burst", "fleeting_repeat"]


class AlarmOccurrence(_Frozen):
    """One occurrence of one alarm: its repeated raises folded together (dedupe)."""

    id: str = Field(description="'<alarm>@<seq of the first raise>': stable across re-reads of the log.")
    alarm: str
    asset: str
    tag: str
    area: str
    priority: AlarmPriority
    first_seq: int
    first_raised_t: float
    last_raised_t: float
    raises: int
    ended_t: float | None = Field(description="When it cleared, was shelved or suppressed; None if standing.")
    end_reason: EndReason | None
    awaiting_ack: bool = Field(
        description="Its latest raise has not been acknowledged (state UNACK or RTNUN)."
    )
    shelved: bool
    explanation: AlarmExplanation

    @property
    def active(self) -> bool:
        return self.ended_t is None


class ChatterFinding(_Frozen):
    """A chattering (nuisance) alarm."""

    alarm: str
    asset: str
    priority: AlarmPriority
    rules: tuple[ChatterRule, ...]
    burst_peak: int = Field(description="Most raises within `chatter_window_s`.")
    repeat_peak: int = Field(description="Most raises within `repeat_window_s`.")
    median_on_s: float | None = Field(
        description="Median time from raise to clear; None if it never cleared."
    )
    total_raises: int
    shelved: bool
    explanation: AlarmExplanation


class FloodPeriod(_Frozen):
    """An alarm flood in one operator area."""

    area: str
    start_t: float
    end_t: float | None = Field(description="None: the flood is still on at `now`.")
    peak_count: int = Field(description="Most annunciations in the trailing window during the flood.")
    peak_t: float
    raises: int = Field(description="Annunciations from start to end.")
    alarms: tuple[str, ...]
    explanation: AlarmExplanation


class StaleAlarm(_Frozen):
    """An alarm standing for longer than the stale limit."""

    alarm: str
    asset: str
    area: str
    priority: AlarmPriority
    raised_t: float
    standing_s: float
    explanation: AlarmExplanation


@dataclass(slots=True)
class _Occ:
    alarm: str
    asset: str
    tag: str
    priority: AlarmPriority
    first_seq: int
    first_t: float
    last_t: float
    raises: int = 1
    ended_t: float | None = None
    end_reason: EndReason | None = None
    gaps: list[float] = field(default_factory=list)


def _area(topology: Topology, asset: str) -> str:
    node = topology.node(asset)
    return node.area if node else "unknown"


def dedupe_alarms(
    log: AlarmLog, topology: Topology, *, policy: AlarmPolicy = DEFAULT_ALARM_POLICY
) -> tuple[AlarmOccurrence, ...]:
    """Fold each alarm's raises into occurrences, oldest first (by first raise)."""
    suppress = sorted(log.asset_events, key=lambda e: e.seq)
    by_alarm: dict[str, list[_Occ]] = {}
    pending: dict[str, bool] = {}
    shelved: dict[str, bool] = {}
    steps = sorted(
        [(e.seq, "a", i) for i, e in enumerate(log.alarm_events)]
        + [(e.seq, "s", i) for i, e in enumerate(suppress) if e.kind == "suppressed"]
    )
    for _, src, i in steps:
        if src == "s":
            ev = suppress[i]
            for alarm, occs in by_alarm.items():
                last = occs[-1]
                if last.asset == ev.asset and last.ended_t is None:
                    last.ended_t, last.end_reason = ev.t, "suppressed"
                if last.asset == ev.asset:
                    pending[alarm] = False
            continue
        e = log.alarm_events[i]
        occs = by_alarm.setdefault(e.alarm, [])
        cur = occs[-1] if occs else None
        if e.kind == "raised":
            pending[e.alarm] = True
            prio = e.priority or (cur.priority if cur else "low")
            if cur is not None and (cur.ended_t is None or e.t - cur.ended_t <= policy.dedupe_gap_s):
                cur.gaps.append(e.t - (cur.ended_t if cur.ended_t is not None else cur.last_t))
                cur.raises, cur.last_t, cur.ended_t, cur.end_reason = cur.raises + 1, e.t, None, None
                cur.priority = prio
            else:
                occs.append(_Occ(e.alarm, e.asset, e.tag, prio, e.seq, e.t, e.t))
        elif cur is None:
            continue  # the log starts mid-lifecycle: nothing to attach this to
        elif e.kind in ("cleared", "shelved"):
            if cur.ended_t is None:
                cur.ended_t, cur.end_reason = e.t, "cleared" if e.kind == "cleared" else "shelved"
            if e.kind == "shelved":
                shelved[e.alarm], pending[e.alarm] = True, False
        elif e.kind == "acknowledged":
            pending[e.alarm] = False
        else:
            shelved[e.alarm] = False
    out: list[AlarmOccurrence] = []
    for alarm, occs in by_alarm.items():
        for k, o in enumerate(occs):
            latest = k == len(occs) - 1
            if o.raises == 1:
                detail = f"single raise at t={o.first_t:.0f}"
            else:
                detail = (
                    f"{o.raises} raises from t={o.first_t:.0f} to t={o.last_t:.0f} folded into one occurrence: "
                    f"each came while it stood or within {policy.dedupe_gap_s:.0f} s of it ending "
                    f"(longest gap {max(o.gaps):.0f} s)"
                )
            out.append(
                AlarmOccurrence(
                    id=f"{alarm}@{o.first_seq}",
                    alarm=alarm,
                    asset=o.asset,
                    tag=o.tag,
                    area=_area(topology, o.asset),
                    priority=o.priority,
                    first_seq=o.first_seq,
                    first_raised_t=o.first_t,
                    last_raised_t=o.last_t,
                    raises=o.raises,
                    ended_t=o.ended_t,
                    end_reason=o.end_reason,
                    awaiting_ack=latest and pending.get(alarm, False),
                    shelved=latest and shelved.get(alarm, False),
                    explanation=AlarmExplanation(
                        rule=f"dedupe.gap (re-raise within {policy.dedupe_gap_s:.0f} s = same occurrence)",
                        looked_at=(alarm,),
                        detail=detail
                        + (
                            f"; ended ({o.end_reason}) at t={o.ended_t:.0f}"
                            if o.ended_t is not None
                            else "; standing"
                        ),
                    ),
                )
            )
    return tuple(sorted(out, key=lambda o: (o.first_raised_t, o.first_seq)))


def _peak(times: list[float], window: float) -> tuple[int, float]:
    """Most of `times` (sorted) within any closed window of length `window`, and where it starts."""
    best, at = 0, times[0] if times else 0.0
    for i, t in enumerate(times):
        n = bisect.bisect_right(times, t + window) - i
        if n > best:
            best, at = n, t
    return best, at


def find_chattering(
    log: AlarmLog, *, policy: AlarmPolicy = DEFAULT_ALARM_POLICY
) -> tuple[ChatterFinding, ...]:
    """Alarms that chatter, by the burst rule or the fleeting-repeat rule; worst first."""
    raises: dict[str, list[float]] = {}
    on_times: dict[str, list[float]] = {}
    open_at: dict[str, float] = {}
    meta: dict[str, tuple[str, AlarmPriority]] = {}
    shelved: dict[str, bool] = {}
    for e in sorted(log.alarm_events, key=lambda e: e.seq):
        if e.kind == "raised":
            raises.setdefault(e.alarm, []).append(e.t)
            open_at[e.alarm] = e.t
            meta[e.alarm] = (e.asset, e.priority or meta.get(e.alarm, (e.asset, "low"))[1])
        elif e.kind == "cleared" and e.alarm in open_at:
            on_times.setdefault(e.alarm, []).append(e.t - open_at.pop(e.alarm))
        elif e.kind in ("shelved", "unshelved"):
            shelved[e.alarm] = e.kind == "shelved"
            open_at.pop(e.alarm, None)
    out: list[ChatterFinding] = []
    for alarm, times in raises.items():
        burst, burst_at = _peak(times, policy.chatter_window_s)
        repeat, repeat_at = _peak(times, policy.repeat_window_s)
        ons = on_times.get(alarm, [])
        med = float(median(ons)) if ons else None
        rules: list[ChatterRule] = []
        if burst >= policy.chatter_count:
            rules.append("burst")
        if repeat >= policy.repeat_count and med is not None and med <= policy.fleeting_s:
            rules.append("fleeting_repeat")
        if not rules:
            continue
        asset, prio = meta[alarm]
        med_txt = f"{med:.0f} s" if med is not None else "n/a"
        out.append(
            ChatterFinding(
                alarm=alarm,
                asset=asset,
                priority=prio,
                rules=tuple(rules),
                burst_peak=burst,
                repeat_peak=repeat,
                median_on_s=med,
                total_raises=len(times),
                shelved=shelved.get(alarm, False),
                explanation=AlarmExplanation(
                    rule=" + ".join(
                        f"chatter.burst (>= {policy.chatter_count} raises in {policy.chatter_window_s:.0f} s, ISA-18.2)"
                        if r == "burst"
                        else f"chatter.fleeting_repeat (>= {policy.repeat_count} raises in "
                        f"{policy.repeat_window_s:.0f} s, median on-time <= {policy.fleeting_s:.0f} s)"
                        for r in rules
                    ),
                    looked_at=(alarm,),
                    detail=(
                        f"{burst} raises in {policy.chatter_window_s:.0f} s from t={burst_at:.0f}; {repeat} in "
                        f"{policy.repeat_window_s:.0f} s from t={repeat_at:.0f}; {len(times)} raises in all, "
                        f"median on-time {med_txt}: a nuisance alarm (limit or deadband inside the noise band)"
                    ),
                ),
            )
        )
    return tuple(sorted(out, key=lambda f: (-f.total_raises, f.alarm)))


def find_floods(
    log: AlarmLog, topology: Topology, *, policy: AlarmPolicy = DEFAULT_ALARM_POLICY
) -> tuple[FloodPeriod, ...]:
    """Alarm floods per operator area, by the annunciation rate in a trailing window."""
    w = policy.flood_window_s
    per_area: dict[str, list[tuple[float, str]]] = {}
    for e in log.alarm_events:
        if e.kind == "raised":
            per_area.setdefault(_area(topology, e.asset), []).append((e.t, e.alarm))
    out: list[FloodPeriod] = []
    for area, raised in sorted(per_area.items()):
        raised.sort()
        # A raise at r counts for trailing windows ending in [r, r + w): exits sort before entries.
        changes = sorted(
            [(t, 1, +1) for t, _ in raised] + [(t + w, 0, -1) for t, _ in raised if t + w <= log.now]
        )
        count, start, peak, peak_t, k = 0, None, 0, 0.0, 0
        while k < len(changes):
            t = changes[k][0]
            while k < len(changes) and changes[k][0] == t:
                count += changes[k][2]
                k += 1
            if start is None and count > policy.flood_start_above:
                start, peak, peak_t = t, count, t
            elif start is not None:
                if count > peak:
                    peak, peak_t = count, t
                if count < policy.flood_end_below:
                    out.append(_flood(area, start, t, peak, peak_t, raised, policy))
                    start = None
        if start is not None:
            out.append(_flood(area, start, None, peak, peak_t, raised, policy))
    return tuple(sorted(out, key=lambda f: (f.start_t, f.area)))


def _flood(
    area: str,
    start: float,
    end: float | None,
    peak: int,
    peak_t: float,
    raised: list[tuple[float, str]],
    policy: AlarmPolicy,
) -> FloodPeriod:
    inside = [(t, a) for t, a in raised if start - policy.flood_window_s < t and (end is None or t <= end)]
    alarms = tuple(sorted({a for _, a in inside}))
    counts = {a: sum(1 for _, b in inside if b == a) for a in alarms}
    top = min(alarms, key=lambda a: (-counts[a], a))
    span = f"t={start:.0f} to t={end:.0f}" if end is not None else f"t={start:.0f}, still on"
    return FloodPeriod(
        area=area,
        start_t=start,
        end_t=end,
        peak_count=peak,
        peak_t=peak_t,
        raises=len(inside),
        alarms=alarms,
        explanation=AlarmExplanation(
            rule=(
                f"flood (EEMUA 191: starts above {policy.flood_start_above} annunciations per operator in "
                f"{policy.flood_window_s / 60:.0f} min, ends below {policy.flood_end_below})"
            ),
            looked_at=alarms,
            detail=(
                f"area {area}: flood {span}, peak {peak} in {policy.flood_window_s:.0f} s at t={peak_t:.0f}; "
                f"{len(inside)} annunciations of {len(alarms)} alarm(s), most from {top} ({counts[top]})"
            ),
        ),
    )


def find_stale(
    occurrences: tuple[AlarmOccurrence, ...], now: float, *, policy: AlarmPolicy = DEFAULT_ALARM_POLICY
) -> tuple[StaleAlarm, ...]:
    """Occurrences standing (active, not shelved or suppressed) longer than the stale limit."""
    out = [
        StaleAlarm(
            alarm=o.alarm,
            asset=o.asset,
            area=o.area,
            priority=o.priority,
            raised_t=o.last_raised_t,
            standing_s=now - o.last_raised_t,
            explanation=AlarmExplanation(
                rule=f"stale (active longer than {policy.stale_after_s / 3600:.0f} h, EEMUA 191)",
                looked_at=(o.alarm,),
                detail=f"standing since t={o.last_raised_t:.0f}, {(now - o.last_raised_t) / 3600:.1f} h at t={now:.0f}",
            ),
        )
        for o in occurrences
        if o.active and now - o.last_raised_t > policy.stale_after_s
    ]
    return tuple(sorted(out, key=lambda s: (PRIORITY_RANK[s.priority], -s.standing_s, s.alarm)))
