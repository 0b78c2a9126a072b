"""Alarm tools: list and read alarms (ISA-18.2 states), acknowledge, shelve, unshelve."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._client import PlantClient
from ._spec import Args, WriteArgs
from ._tools_plant import OptAsset, seg
from ._views import Alarm, AlarmList

AlarmId = Field(min_length=1, max_length=200, description="Alarm id, e.g. 'CNC-3.spindle_temp.HI'.")
_ID = frozenset({"alarm_id"})


class ListAlarmsArgs(Args):
    state: Literal["NORM", "UNACK", "ACKED", "RTNUN", "any"] | None = Field(
        default=None,
        description="Only alarms in this state; 'any' for all. Default: alarms not in NORM, plus shelved ones.",
    )
    asset: str | None = OptAsset
    priority: Literal["high", "medium", "low"] | None = None
    shelved: bool | None = Field(default=None, description="Only shelved (true) or unshelved (false) alarms.")


async def list_alarms(client: PlantClient, args: ListAlarmsArgs) -> AlarmList:
    """Alarms with state (UNACK = active, not acknowledged; ACKED = active, acknowledged; RTNUN =
    cleared, not acknowledged), priority, activations (chattering alarms have many), last raised
    and cleared times, and `raised_last_10_min` (more than 10 is an alarm flood per EEMUA 191).
    `trip: true` alarms stop their machine."""
    return await client.get("/alarms", AlarmList, params=args.model_dump())


class GetAlarmArgs(Args):
    alarm_id: str = AlarmId


async def get_alarm(client: PlantClient, args: GetAlarmArgs) -> Alarm:
    """One alarm's current state."""
    return await client.get(f"/alarms/{seg(args.alarm_id)}", Alarm)


class AcknowledgeAlarmArgs(WriteArgs):
    alarm_id: str = AlarmId
    comment: str | None = Field(default=None, max_length=2000, description="Optional note for the log.")


async def acknowledge_alarm(client: PlantClient, args: AcknowledgeAlarmArgs) -> Alarm:
    """Acknowledge an alarm in state UNACK (-> ACKED) or RTNUN (-> NORM). Acknowledging says a
    person or agent has seen it; it does not fix the cause. Other states are a conflict error."""
    return await client.post(f"/alarms/{seg(args.alarm_id)}/acknowledge", args, Alarm, exclude=_ID)


class ShelveAlarmArgs(WriteArgs):
    alarm_id: str = AlarmId
    duration_s: float = Field(
        gt=0, le=28800, allow_inf_nan=False, description="How long, seconds; at most 8 h."
    )
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="Why it is safe to shelve, e.g. 'consequential of P-201 trip'.",
    )


async def shelve_alarm(client: PlantClient, args: ShelveAlarmArgs) -> Alarm:
    """Shelve an alarm for a limited time: it stops annunciating and returns by itself when the
    time is up. Use for nuisance or consequential alarms during an incident, never for the root
    cause. An alarm already shelved is a conflict error."""
    return await client.post(f"/alarms/{seg(args.alarm_id)}/shelve", args, Alarm, exclude=_ID)


class UnshelveAlarmArgs(WriteArgs):
    alarm_id: str = AlarmId


async def unshelve_alarm(client: PlantClient, args: UnshelveAlarmArgs) -> Alarm:
    """Return a shelved alarm to service before its shelve time is up."""
    return await client.post(f"/alarms/{seg(args.alarm_id)}/unshelve", args, Alarm, exclude=_ID)
