"""What the plant answers, as pydantic models: site, clock, assets, topology, tags, alarms, events.

These mirror the plant API's JSON views. Unknown extra fields are ignored (a newer plant may add
some); a missing or mistyped field is a `PlantProtocolError`. Times: `*_t` fields are virtual
seconds since reset, `time`/`*_time` fields ISO-8601 UTC strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, JsonValue, model_validator


class View(BaseModel):
    """Base of every model of a plant answer: immutable, extra fields ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class ListView(View):
    """A result holding one list; the plant's bare JSON list is wrapped under the only field."""

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> Any:
        if isinstance(data, list):
            (name,) = cls.model_fields
            return {name: data}
        return data


class Clock(View):
    t: float
    """Virtual seconds since reset."""
    time: str
    shift: str
    """Shift on duty: A, B or C."""
    sample_period_s: float

    @property
    def epoch_s(self) -> float:
        """Unix seconds at plant t = 0."""
        return datetime.fromisoformat(self.time).timestamp() - self.t

    def plant_t(self, iso: str) -> float:
        """An ISO time of the plant as plant seconds since reset."""
        return datetime.fromisoformat(iso).timestamp() - self.epoch_s


class Site(View):
    id: str
    name: str
    name_zh: str


class ShiftHours(View):
    start_h: int
    end_h: int
    """Exclusive; smaller than `start_h` for a night shift (22 -> 6)."""


class PlantInfo(View):
    site: Site
    clock: Clock
    seed: int
    scenario: str | None
    lines: int
    assets: int
    tags: int
    alarms: int
    jobs: int
    shifts: dict[str, ShiftHours] = {}
    """Shift name -> its hours (local plant clock, UTC here); a shift may run past midnight."""


class Oee(View):
    availability: float
    performance: float
    quality: float
    oee: float
    time_in_s: dict[str, float]
    parts_total: int
    parts_good: int


class JobOpRef(View):
    job: str
    op: int


class Setpoint(View):
    id: str
    asset: str
    name: str
    value: float
    default: float
    min: float
    max: float
    unit: str


class Asset(View):
    id: str
    type: str
    type_name: str
    type_name_zh: str
    category: Literal["machine", "utility"]
    line: str | None
    area: str
    mode: str
    """auto | stopped | maintenance (locked out) | down."""
    status: str
    """running | idle | down | stopped | maintenance."""
    fed_by: list[str]
    feeds: list[str]
    supplies: str | None
    locked_out_by: str | None
    """Work order holding the lock-out, if any."""
    down_reason: str | None = None
    current_job: JobOpRef | None = None
    queue_length: int | None = None
    oee: Oee | None = None
    tags: list[str] | None = None
    """Only in get_asset: tag ids of this asset."""
    setpoints: list[Setpoint] | None = None
    """Only in get_asset."""
    open_work_orders: list[str] | None = None
    """Only in get_asset."""


class AssetList(ListView):
    assets: list[Asset]


class TopologyNode(View):
    id: str
    type: str
    name: str
    name_zh: str
    fed_by: list[str]


class TopologyLine(View):
    id: str
    name: str
    name_zh: str
    machines: list[TopologyNode]


class TopologyUtility(TopologyNode):
    area: str
    supplies: str | None
    feeds: list[str]


class Topology(View):
    site: Site
    lines: list[TopologyLine]
    utilities: list[TopologyUtility]


class Tag(View):
    id: str
    asset: str
    name: str
    kind: str
    unit: str
    value: float | None
    time: str
    alarms: list[str]


class TagList(ListView):
    tags: list[Tag]


class HistoryPoint(View):
    t: float
    value: float
    """Mean of the bucket."""
    min: float
    max: float


class TagHistory(View):
    tag: str
    unit: str
    sample_period_s: float
    bucket_samples: int
    """Raw samples averaged into each point."""
    points: list[HistoryPoint]


class SetpointList(ListView):
    setpoints: list[Setpoint]


class SetpointChange(View):
    asset: str
    name: str
    value: float
    previous: float
    unit: str


class Reveal(View):
    tag: str | None = None
    quality: str | None = None
    direction: str


class FailureMode(View):
    id: str
    name: str
    name_zh: str
    wo_type: str
    skill: str
    parts: dict[str, int]
    repair_h: float
    severity: int
    reveals: list[Reveal]
    """Sensors (tag names) or quality characteristics that show this mode, and which way."""


class FailureModeList(ListView):
    failure_modes: list[FailureMode]


class FailureModesByType(View):
    by_type: dict[str, list[FailureMode]]

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> Any:
        return {"by_type": data} if isinstance(data, dict) and "by_type" not in data else data


class Alarm(View):
    id: str
    tag: str
    asset: str
    type: str
    limit: float
    deadband: float
    priority: str
    state: str
    """ISA-18.2 state: NORM, UNACK, ACKED, RTNUN."""
    active: bool
    shelved: bool
    shelved_until: str | None
    shelve_reason: str | None
    suppressed: bool
    activations: int
    last_raised: str | None
    last_cleared: str | None
    acked_by: str | None
    trip: bool


class AlarmList(View):
    alarms: list[Alarm]
    raised_last_10_min: int


class Event(View):
    seq: int
    t: float
    time: str
    type: str
    data: dict[str, JsonValue]
    """The event's own fields (asset, alarm, work_order, by, ...)."""

    @model_validator(mode="before")
    @classmethod
    def _gather(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "data" not in raw:
            head = {k: raw[k] for k in ("seq", "t", "time", "type") if k in raw}
            return {**head, "data": {k: v for k, v in raw.items() if k not in head}}
        return raw

    def flat(self) -> dict[str, JsonValue]:
        """The event as the plant sends it: head fields and data side by side."""
        return {"seq": self.seq, "t": self.t, "time": self.time, "type": self.type, **self.data}

    @property
    def asset_went_down(self) -> bool:
        """A machine tripped, or its mode became `down` (a breakdown)."""
        return self.type == "asset.tripped" or (self.type == "asset.mode" and self.data.get("mode") == "down")


class EventPage(View):
    events: list[Event]
    next_cursor: int
    """Pass as `since` to read the events after these."""
