"""The simulation kernel: virtual clock, event heap with stable tie-breaks, event log, assets.

Everything that happens in the plant happens at a virtual time `t` (seconds since reset).
Scheduled callbacks run in (time, sequence) order, so equal times keep their insertion
order and two runs with the same seed replay identically. Nothing here imports the web layer.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ._config import PlantConfig

Event = dict[str, Any]
"""One entry of the observable event log (JSON-ready)."""

STATUSES = ("running", "idle", "down", "stopped", "maintenance")
MODE_CODE = {"stopped": 0, "maintenance": 0, "idle": 1, "running": 2, "down": 3}
"""Operating code each status gives the sensor model: 0 off, 1 idle, 2 running, 3 faulted."""


@dataclass(slots=True)
class AssetState:
    """Operating state of one asset; its sensors live in `Signals`, indexed by `idx`."""

    id: str
    idx: int
    type: str
    category: str
    line: str | None
    area: str
    feeds: tuple[str, ...]
    fed_by: list[str] = field(default_factory=list)
    mode: str = "auto"
    """auto (runs its queue), stopped (by an operator), maintenance (locked out), down (faulted)."""
    down_causes: list[str] = field(default_factory=list)
    """Why a down machine is down: bearing, breakdown, trip, power. Repairs clear them."""
    reason: str | None = None
    """Why the asset last changed mode, as its control system reports it."""
    busy: bool = False
    since: float = 0.0
    time_in: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0.0))
    parts_total: int = 0
    parts_good: int = 0
    ideal_s: float = 0.0
    health: float = 1.0
    """Utilities: output fraction 0..1 of their own (before upstream power)."""

    @property
    def status(self) -> str:
        if self.mode == "auto":
            return "running" if self.busy else "idle"
        return self.mode


class Core:
    """Clock, scheduler, event log and the asset table shared by the plant's parts."""

    def __init__(self, cfg: PlantConfig, seed: int) -> None:
        self.cfg = cfg
        self.seed = seed
        self.dt = cfg.clock.sample_period_s
        self.epoch = datetime.fromisoformat(cfg.clock.start.replace("Z", "+00:00")).astimezone(UTC)
        self.now = 0.0
        self._seq = 0
        self._heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self.events: list[Event] = []
        self.status_listeners: list[Callable[[AssetState, str], None]] = []
        self.assets: dict[str, AssetState] = {}
        line_of = {m: line.id for line in cfg.lines for m in line.machines}
        for i, (aid, spec) in enumerate(cfg.assets.items()):
            atype = cfg.asset_types[spec.type]
            self.assets[aid] = AssetState(
                id=aid,
                idx=i,
                type=spec.type,
                category=atype.category,
                line=line_of.get(aid),
                area=line_of.get(aid) or spec.area or "SITE",
                feeds=spec.feeds,
            )
        for aid, spec in cfg.assets.items():
            for fed in spec.feeds:
                self.assets[fed].fed_by.append(aid)

    # -- time ---------------------------------------------------------------------------
    def iso(self, t: float) -> str:
        return (self.epoch + timedelta(seconds=t)).isoformat().replace("+00:00", "Z")

    def shift_at(self, t: float) -> str:
        hour = (self.epoch + timedelta(seconds=t)).hour
        for name, s in self.cfg.shifts.items():
            inside = (
                s.start_h <= hour < s.end_h if s.start_h < s.end_h else (hour >= s.start_h or hour < s.end_h)
            )
            if inside:
                return name
        return next(iter(self.cfg.shifts))

    def at(self, t: float, fn: Callable[..., None], *args: Any) -> None:
        """Run `fn(*args)` at virtual time `t` (never in the past)."""
        self._seq += 1
        heapq.heappush(self._heap, (max(t, self.now), self._seq, fn, args))

    def next_time(self) -> float:
        return self._heap[0][0] if self._heap else float("inf")

    def pop_and_run(self) -> None:
        t, _, fn, args = heapq.heappop(self._heap)
        self.now = t
        fn(*args)

    # -- events ------------------------------------------------------------------------
    def emit(self, type_: str, **fields: Any) -> Event:
        ev: Event = {
            "seq": len(self.events) + 1,
            "t": round(self.now, 3),
            "time": self.iso(self.now),
            "type": type_,
        }
        ev.update(fields)
        self.events.append(ev)
        return ev

    # -- asset status --------------------------------------------------------------------
    def _account(self, a: AssetState) -> None:
        a.time_in[a.status] += self.now - a.since
        a.since = self.now

    def set_mode(self, a: AssetState, mode: str, *, reason: str, by: str = "plant") -> None:
        if mode == a.mode:
            return
        before = a.status
        self._account(a)
        a.mode, a.reason = mode, reason
        self.emit("asset.mode", asset=a.id, mode=mode, status=a.status, reason=reason, by=by)
        self._notify(a, before)

    def set_busy(self, a: AssetState, busy: bool) -> None:
        if busy == a.busy:
            return
        before = a.status
        self._account(a)
        a.busy = busy
        self._notify(a, before)

    def _notify(self, a: AssetState, before: str) -> None:
        if a.status != before:
            for listener in self.status_listeners:
                listener(a, before)

    def close_accounts(self) -> None:
        """Bring every asset's time counters up to `now` (before reporting OEE)."""
        for a in self.assets.values():
            self._account(a)
