"""Typed records the alarm analytics read, built from the plant's JSON views.

- `AlarmLog` is the alarm history: alarm lifecycle events (`GET /events?type=alarm.`) and the
  asset events that matter to alarms (`asset.tripped`, and `asset.mode` into stopped or
  maintenance, which suppresses an asset's alarms by design), plus the plant clock `now`.
- `Topology` is who feeds whom (`GET /topology`): utilities feed utilities and machines, and an
  asset's area (its line, or the utility's area) is the operator console its alarms go to.

The builders validate the JSON once, so everything downstream is plain typed data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

AlarmPriority = Literal["high", "medium", "low"]
PRIORITY_RANK: dict[AlarmPriority, int] = {"high": 1, "medium": 2, "low": 3}
"""ISA-18.2 order: 1 is the most urgent."""

AlarmEventKind = Literal["raised", "cleared", "acknowledged", "shelved", "unshelved"]
AssetEventKind = Literal["tripped", "suppressed"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AlarmExplanation(_Frozen):
    """Why a result is what it is: the link it adds to the decision chain."""

    rule: str = Field(description="The rule that decided, e.g. 'chatter.burst (ISA-18.2: >= 3 in 60 s)'.")
    looked_at: tuple[str, ...] = Field(description="The alarms, assets or events the rule read.")
    detail: str = Field(description="The figures and the verdict, in one or two sentences.")


class AlarmEvent(_Frozen):
    """One step in one alarm's lifecycle."""

    seq: int
    t: float = Field(description="Plant clock, seconds.")
    kind: AlarmEventKind
    alarm: str = Field(description="Alarm id, e.g. 'CNC-3.spindle_temp.HI'.")
    asset: str
    tag: str
    priority: AlarmPriority | None = Field(default=None, description="Carried by raise events only.")


class AssetEvent(_Frozen):
    """A protective trip, or an asset going to stopped/maintenance (its alarms are suppressed)."""

    seq: int
    t: float
    kind: AssetEventKind
    asset: str
    detail: str = ""


class AlarmLog(_Frozen):
    """The alarm history the analytics read, in event order, and the time of reading."""

    alarm_events: tuple[AlarmEvent, ...]
    asset_events: tuple[AssetEvent, ...] = ()
    now: float = Field(description="Plant clock when the log was read, seconds.")


class AssetNode(_Frozen):
    """One asset in the feed graph."""

    id: str
    category: Literal["machine", "utility"]
    area: str = Field(description="Operator area: the machine's line or the utility's area.")
    fed_by: tuple[str, ...] = ()


class Topology(_Frozen):
    """The plant's feed graph: who supplies whom."""

    assets: tuple[AssetNode, ...]

    def node(self, asset_id: str) -> AssetNode | None:
        return next((a for a in self.assets if a.id == asset_id), None)

    def upstream(self) -> dict[str, frozenset[str]]:
        """Every asset's feeders, transitively (a machine's pump, and the pump's cooling tower)."""
        direct = {a.id: set(a.fed_by) for a in self.assets}
        out: dict[str, frozenset[str]] = {}
        for start in direct:
            seen: set[str] = set()
            todo = list(direct[start])
            while todo:
                u = todo.pop()
                if u not in seen and u != start:
                    seen.add(u)
                    todo.extend(direct.get(u, ()))
            out[start] = frozenset(seen)
        return out


# -- JSON views -> records ---------------------------------------------------------------------


class _RawEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    seq: int
    t: float
    type: str
    alarm: str | None = None
    asset: str | None = None
    tag: str | None = None
    priority: AlarmPriority | None = None
    status: str | None = None
    reason: str | None = None


_EVENTS = TypeAdapter(list[_RawEvent])
_SUPPRESSING = ("stopped", "maintenance")
_ALARM_KINDS: dict[str, AlarmEventKind] = {
    "alarm.raised": "raised",
    "alarm.cleared": "cleared",
    "alarm.acknowledged": "acknowledged",
    "alarm.shelved": "shelved",
    "alarm.unshelved": "unshelved",
}


def alarm_log_from_events(events: Iterable[Mapping[str, object]], *, now: float) -> AlarmLog:
    """Build an `AlarmLog` from plant events (`GET /events`); other event types are skipped.

    `now` is the plant clock (`GET /clock` field `t`) at the time of reading.
    """
    alarm_events: list[AlarmEvent] = []
    asset_events: list[AssetEvent] = []
    tags: dict[str, str] = {}
    for e in sorted(_EVENTS.validate_python(list(events)), key=lambda e: e.seq):
        kind = _ALARM_KINDS.get(e.type)
        if kind is not None and e.alarm is not None and e.asset is not None:
            tag = e.tag or tags.get(e.alarm) or e.alarm.rsplit(".", 1)[0]
            tags[e.alarm] = tag
            alarm_events.append(
                AlarmEvent(
                    seq=e.seq,
                    t=e.t,
                    kind=kind,
                    alarm=e.alarm,
                    asset=e.asset,
                    tag=tag,
                    priority=e.priority if kind == "raised" else None,
                )
            )
        elif e.type == "asset.tripped" and e.asset is not None:
            asset_events.append(
                AssetEvent(seq=e.seq, t=e.t, kind="tripped", asset=e.asset, detail=e.tag or "")
            )
        elif e.type == "asset.mode" and e.asset is not None and e.status in _SUPPRESSING:
            asset_events.append(
                AssetEvent(seq=e.seq, t=e.t, kind="suppressed", asset=e.asset, detail=e.reason or "")
            )
    return AlarmLog(alarm_events=tuple(alarm_events), asset_events=tuple(asset_events), now=now)


class _RawNode(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    fed_by: list[str] = []
    area: str | None = None


class _RawLine(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str
    machines: list[_RawNode]


class _RawTopology(BaseModel):
    model_config = ConfigDict(extra="ignore")
    lines: list[_RawLine]
    utilities: list[_RawNode]


def topology_from_json(data: Mapping[str, object]) -> Topology:
    """Build a `Topology` from `GET /topology`: machines take their line as area."""
    raw = _RawTopology.model_validate(data)
    nodes = [
        AssetNode(id=m.id, category="machine", area=ln.id, fed_by=tuple(m.fed_by))
        for ln in raw.lines
        for m in ln.machines
    ]
    nodes += [
        AssetNode(id=u.id, category="utility", area=u.area or "UTIL", fed_by=tuple(u.fed_by))
        for u in raw.utilities
    ]
    return Topology(assets=tuple(sorted(nodes, key=lambda n: n.id)))
