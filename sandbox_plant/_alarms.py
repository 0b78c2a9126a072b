"""Alarms after ISA-18.2: definitions with limits, deadband and priority, and their lifecycle.

States: NORM (normal) -> UNACK (active, unacknowledged) -> ACKED (active, acknowledged) ->
NORM on return to normal; UNACK -> RTNUN (returned to normal, unacknowledged) -> NORM on
acknowledgement; RTNUN -> UNACK if the condition comes back. Shelving (by an operator, for a
limited time) and suppression by design (the asset is stopped or locked out) hide an alarm:
its condition is still tracked, and it annunciates again when unshelved or unsuppressed.
A poor deadband makes an alarm chatter; a utility failure makes a line flood.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._config import PlantConfig
from ._core import AssetState, Core
from ._errors import InvalidRequest, NotFound, Refused
from ._signals import Signals

PRIORITY_RANK = {"high": 1, "medium": 2, "low": 3}
MAX_SHELVE_S = 8 * 3600.0


@dataclass(slots=True)
class Alarm:
    id: str
    tag: str
    asset: str
    type: str
    limit: float
    deadband: float
    priority: str
    trip: bool
    state: str = "NORM"
    condition: bool = False
    shelved_until: float | None = None
    shelved_by: str | None = None
    shelve_reason: str | None = None
    suppressed: bool = False
    activations: int = 0
    last_raised: float | None = None
    last_cleared: float | None = None
    acked_by: str | None = None
    acked_at: float | None = None
    value_at_raise: float | None = None

    @property
    def hidden(self) -> bool:
        return self.suppressed or self.shelved_until is not None


class AlarmSystem:
    def __init__(self, core: Core, cfg: PlantConfig, signals: Signals) -> None:
        self.core, self.signals = core, signals
        self.alarms: list[Alarm] = []
        for tag in signals.tags:
            overrides = cfg.assets[tag.asset].alarm_overrides
            for spec in tag.spec.alarms:
                o = overrides.get(f"{tag.name}.{spec.type}")
                self.alarms.append(
                    Alarm(
                        id=f"{tag.id}.{spec.type}",
                        tag=tag.id,
                        asset=tag.asset,
                        type=spec.type,
                        limit=o.limit if o and o.limit is not None else spec.limit,
                        deadband=o.deadband if o and o.deadband is not None else spec.deadband,
                        priority=o.priority if o and o.priority is not None else spec.priority,
                        trip=spec.trip,
                    )
                )
        self.by_id = {a.id: a for a in self.alarms}
        self._tag_idx = np.array([signals.by_id[a.tag].idx for a in self.alarms], dtype=np.intp)
        sign = np.array([1.0 if a.type.startswith("HI") else -1.0 for a in self.alarms])
        self._sign = sign
        self._lim = np.array([a.limit for a in self.alarms]) * sign
        self._db = np.array([a.deadband for a in self.alarms])
        self._active = np.zeros(len(self.alarms), dtype=bool)
        trips = [i for i, a in enumerate(self.alarms) if a.trip]
        self._trip = np.array(trips, dtype=np.intp)
        self.on_trip: Callable[[Alarm, float], None] = lambda alarm, value: None
        self.raised_at: list[float] = []
        """Times of every annunciation, in order: the alarm rate is read off this."""

    # -- evaluation each sample --------------------------------------------------------------
    def evaluate(self) -> None:
        v = self.signals.measured[self._tag_idx] * self._sign
        act = ~self._active & (v > self._lim)
        clr = self._active & (v < self._lim - self._db)
        changed = np.flatnonzero(act | clr)
        for i in changed:
            self._condition(self.alarms[i], bool(act[i]), float(v[i] * self._sign[i]))
        self._active ^= act | clr
        if len(self._trip):
            true = self.signals.true[self._tag_idx[self._trip]] * self._sign[self._trip]
            for k in np.flatnonzero(true > self._lim[self._trip]):
                alarm = self.alarms[self._trip[k]]
                self.on_trip(alarm, float(true[k] * self._sign[self._trip[k]]))

    def _condition(self, a: Alarm, active: bool, value: float) -> None:
        a.condition = active
        now = self.core.now
        if a.hidden:
            return
        if active:
            a.activations += 1
            self.raised_at.append(self.core.now)
            a.last_raised, a.value_at_raise = now, round(value, 4)
            a.state = "UNACK" if a.state in ("NORM", "RTNUN") else a.state
            self.core.emit(
                "alarm.raised",
                alarm=a.id,
                asset=a.asset,
                tag=a.tag,
                priority=a.priority,
                value=round(value, 4),
                limit=a.limit,
            )
        else:
            a.last_cleared = now
            a.state = {"UNACK": "RTNUN", "ACKED": "NORM"}.get(a.state, a.state)
            self.core.emit("alarm.cleared", alarm=a.id, asset=a.asset, tag=a.tag, value=round(value, 4))

    def _reannunciate(self, a: Alarm, why: str) -> None:
        a.state = "NORM"
        if a.condition and not a.hidden:
            a.activations += 1
            self.raised_at.append(self.core.now)
            a.last_raised = self.core.now
            a.state = "UNACK"
            self.core.emit(
                "alarm.raised",
                alarm=a.id,
                asset=a.asset,
                tag=a.tag,
                priority=a.priority,
                value=None,
                limit=a.limit,
                after=why,
            )

    # -- suppression by design -----------------------------------------------------------------
    def on_status(self, asset: AssetState) -> None:
        suppress = asset.status in ("stopped", "maintenance")
        for i, a in enumerate(self.alarms):
            if a.asset == asset.id and a.suppressed != suppress:
                a.suppressed = suppress
                a.state = "NORM"
                if not suppress:
                    # Values of a restarted asset need a sample to settle: re-evaluate from scratch
                    # at the next sample instead of annunciating the stale condition.
                    a.condition = False
                    self._active[i] = False

    # -- operator actions ----------------------------------------------------------------------
    def get(self, alarm_id: str) -> Alarm:
        try:
            return self.by_id[alarm_id]
        except KeyError:
            raise NotFound(
                f"Unknown alarm {alarm_id!r}; list alarms with GET /alarms (ids look like 'CNC-3.spindle_temp.HI')."
            ) from None

    def acknowledge(self, alarm_id: str, by: str, comment: str | None) -> Alarm:
        a = self.get(alarm_id)
        if a.state not in ("UNACK", "RTNUN"):
            raise Refused(
                f"Alarm {a.id} is not awaiting acknowledgement (state {a.state}); only UNACK or RTNUN "
                "alarms can be acknowledged. See GET /alarms?state=UNACK.",
                code="invalid_transition",
            )
        a.state = "ACKED" if a.state == "UNACK" else "NORM"
        a.acked_by, a.acked_at = by, self.core.now
        self.core.emit("alarm.acknowledged", alarm=a.id, asset=a.asset, by=by, comment=comment)
        return a

    def shelve(self, alarm_id: str, by: str, duration_s: float, reason: str) -> Alarm:
        a = self.get(alarm_id)
        if not 0 < duration_s <= MAX_SHELVE_S:
            raise InvalidRequest(f"duration_s must be between 1 and {int(MAX_SHELVE_S)} seconds (8 h).")
        if a.shelved_until is not None:
            raise Refused(
                f"Alarm {a.id} is already shelved until t={a.shelved_until:.0f}; unshelve it first.",
                code="invalid_transition",
            )
        a.shelved_until, a.shelved_by, a.shelve_reason = self.core.now + duration_s, by, reason
        a.state = "NORM"
        self.core.emit(
            "alarm.shelved", alarm=a.id, asset=a.asset, by=by, reason=reason, duration_s=duration_s
        )
        until = a.shelved_until
        self.core.at(until, self._shelve_expired, a, until)
        return a

    def unshelve(self, alarm_id: str, by: str) -> Alarm:
        a = self.get(alarm_id)
        if a.shelved_until is None:
            raise Refused(f"Alarm {a.id} is not shelved.", code="invalid_transition")
        self._unshelve(a, by)
        return a

    def _unshelve(self, a: Alarm, by: str) -> None:
        a.shelved_until = a.shelved_by = a.shelve_reason = None
        self.core.emit("alarm.unshelved", alarm=a.id, asset=a.asset, by=by)
        self._reannunciate(a, "unshelved")

    def _shelve_expired(self, a: Alarm, until: float) -> None:
        if a.shelved_until == until:
            self._unshelve(a, "plant (shelve expired)")

    def raised_since(self, t: float) -> int:
        """How many alarms were annunciated after time t."""
        return len(self.raised_at) - bisect.bisect_right(self.raised_at, t)

    # -- views ---------------------------------------------------------------------------------
    def view(self, a: Alarm) -> dict[str, object]:
        iso = self.core.iso
        return {
            "id": a.id,
            "tag": a.tag,
            "asset": a.asset,
            "type": a.type,
            "limit": a.limit,
            "deadband": a.deadband,
            "priority": a.priority,
            "state": a.state,
            "active": a.condition,
            "shelved": a.shelved_until is not None,
            "shelved_until": iso(a.shelved_until) if a.shelved_until is not None else None,
            "shelve_reason": a.shelve_reason,
            "suppressed": a.suppressed,
            "activations": a.activations,
            "last_raised": iso(a.last_raised) if a.last_raised is not None else None,
            "last_cleared": iso(a.last_cleared) if a.last_cleared is not None else None,
            "acked_by": a.acked_by,
            "trip": a.trip,
        }
