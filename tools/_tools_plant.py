"""Tools on the plant itself: clock and state, events, topology, assets, tags, setpoints, modes.

Every tool is `async def name(client, args) -> Result`; its docstring is what an agent reads.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from pydantic import Field

from ._client import PlantClient
from ._spec import Args, NoArgs, WriteArgs
from ._views import (
    Asset,
    AssetList,
    Clock,
    Event,
    EventPage,
    FailureModeList,
    FailureModesByType,
    PlantInfo,
    SetpointChange,
    SetpointList,
    TagHistory,
    TagList,
    Topology,
)
from ._views import Tag as TagView
from ._views_ops import PlantState

AssetId = Field(min_length=1, max_length=100, description="Asset id, e.g. 'CNC-3' or 'P-201'.")
OptAsset = Field(default=None, min_length=1, max_length=100, description="Only this asset (id).")


_ID = frozenset({"asset_id"})


def seg(s: str) -> str:
    """An id as one URL path segment (ids are data, never path syntax)."""
    return quote(s, safe="")


# -- clock, state, events ----------------------------------------------------------------------------
async def get_clock(client: PlantClient, args: NoArgs) -> Clock:
    """Current plant time: virtual seconds since reset (`t`), ISO time and the shift on duty.

    Use `t` as the reference for `since_t`/`until_t` arguments of other tools.
    """
    return await client.get("/clock", Clock)


async def get_plant_info(client: PlantClient, args: NoArgs) -> PlantInfo:
    """Site name, clock, and how many lines, assets, tags, alarms and jobs the plant has."""
    return await client.get("/plant", PlantInfo)


async def get_plant_state(client: PlantClient, args: NoArgs) -> PlantState:
    """The whole observable plant in one answer: assets, tag values, alarms, setpoints, jobs, lots,
    work orders, technicians, spare parts, materials. Large; prefer the specific list tools unless
    you need a complete snapshot (e.g. to compare before and after a plan)."""
    return await client.get("/state", PlantState)


class ListEventsArgs(Args):
    since: int = Field(default=0, ge=0, description="Return events with seq greater than this cursor.")
    limit: int = Field(default=200, ge=1, le=10000, description="At most this many events.")
    type: str | None = Field(
        default=None,
        max_length=100,
        description="Event type prefix, e.g. 'alarm.' or 'work_order.' or 'machine.'.",
    )


async def list_events(client: PlantClient, args: ListEventsArgs) -> EventPage:
    """Plant events (alarms raised/cleared, machine trips, work order and lot changes, schedule
    publications) in order. Page through with `since = next_cursor` of the previous answer."""
    return await client.get("/events", EventPage, params=args.model_dump())


async def read_events(client: PlantClient, prefix: str | None = None, *, page: int = 10000) -> list[Event]:
    """Every event (of a type prefix), paging through `list_events` to the end. Not a tool: a
    helper for specialists that read a whole history."""
    out: list[Event] = []
    since = 0
    while True:
        got = await list_events(client, ListEventsArgs(since=since, limit=page, type=prefix))
        out.extend(got.events)
        if len(got.events) < page or got.next_cursor <= since:
            return out
        since = got.next_cursor


# -- topology and assets -----------------------------------------------------------------------------
async def get_topology(client: PlantClient, args: NoArgs) -> Topology:
    """Site -> production lines -> machines, and the utilities (power, coolant pumps, compressors)
    with the machines each one feeds. Use it to trace a symptom on a machine upstream to a utility:
    a failing utility upsets every machine it feeds."""
    return await client.get("/topology", Topology)


class ListAssetsArgs(Args):
    line: str | None = Field(default=None, max_length=50, description="Only this line, e.g. 'L2'.")
    type: str | None = Field(default=None, max_length=50, description="Only this type, e.g. 'cnc', 'pump'.")
    category: Literal["machine", "utility"] | None = Field(default=None, description="Machines or utilities.")


async def list_assets(client: PlantClient, args: ListAssetsArgs) -> AssetList:
    """List assets with their mode, status, feeds and (for machines) OEE and current job.

    Filter by line, type or category; an unknown line or type is a not_found error."""
    return await client.get("/assets", AssetList, params=args.model_dump())


class GetAssetArgs(Args):
    asset_id: str = AssetId


async def get_asset(client: PlantClient, args: GetAssetArgs) -> Asset:
    """One asset in detail: its status, tag ids, setpoints with limits and open work orders."""
    return await client.get(f"/assets/{seg(args.asset_id)}", Asset)


# -- tags ----------------------------------------------------------------------------------------------
class ListTagsArgs(Args):
    asset: str | None = OptAsset
    kind: str | None = Field(
        default=None, max_length=50, description="Only this kind: temperature, vibration, flow, pressure, ..."
    )


async def list_tags(client: PlantClient, args: ListTagsArgs) -> TagList:
    """Current sensor values (tags) with unit and the alarms defined on each. Tag ids look like
    'CNC-3.spindle_temp'."""
    return await client.get("/tags", TagList, params=args.model_dump())


class GetTagArgs(Args):
    tag_id: str = Field(min_length=1, max_length=200, description="Tag id, e.g. 'CNC-3.spindle_temp'.")


async def get_tag(client: PlantClient, args: GetTagArgs) -> TagView:
    """One tag's current value."""
    return await client.get(f"/tags/{seg(args.tag_id)}", TagView)


class GetTagHistoryArgs(GetTagArgs):
    since_t: float = Field(default=0.0, ge=0, allow_inf_nan=False, description="From, seconds since reset.")
    until_t: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Until, seconds since reset (default: now)."
    )
    max_points: int = Field(
        default=200, ge=1, le=5000, description="Bucket the series to at most this many points."
    )


async def get_tag_history(client: PlantClient, args: GetTagHistoryArgs) -> TagHistory:
    """A tag's history between two times, averaged into at most `max_points` buckets (each point
    has mean, min and max). Use it for trends: drift, rising vibration, a step change."""
    q = args.model_dump(exclude={"tag_id"})
    return await client.get(f"/tags/{seg(args.tag_id)}/history", TagHistory, params=q)


# -- setpoints and machine modes -----------------------------------------------------------------------
class ListSetpointsArgs(Args):
    asset: str | None = OptAsset


async def list_setpoints(client: PlantClient, args: ListSetpointsArgs) -> SetpointList:
    """Setpoints with their current value, default and allowed range [min, max]."""
    return await client.get("/setpoints", SetpointList, params=args.model_dump())


class SetSetpointArgs(WriteArgs):
    asset_id: str = AssetId
    name: str = Field(min_length=1, max_length=100, description="Setpoint name, e.g. 'spindle_speed'.")
    value: float = Field(
        allow_inf_nan=False, description="New value, in the setpoint's unit, within [min, max]."
    )


async def set_setpoint(client: PlantClient, args: SetSetpointArgs) -> SetpointChange:
    """Change a setpoint (CRITICAL: needs approval). The plant refuses values outside the
    setpoint's [min, max] (a conflict error); read list_setpoints first."""
    path = f"/setpoints/{seg(args.asset_id)}/{seg(args.name)}"
    return await client.post(path, args, SetpointChange, exclude=frozenset({"asset_id", "name"}))


class SetMachineModeArgs(WriteArgs):
    asset_id: str = Field(min_length=1, max_length=100, description="Machine id, e.g. 'CNC-3'.")
    mode: Literal["auto", "stopped"] = Field(description="'stopped' to stop the machine, 'auto' to start it.")
    reason: str = Field(
        min_length=1, max_length=2000, description="Why, in words a colleague can read later."
    )


async def set_machine_mode(client: PlantClient, args: SetMachineModeArgs) -> Asset:
    """Stop a machine or start it again (CRITICAL: needs approval). A machine must be stopped
    before a lock-out work order can start on it. Starting is refused (interlock) while the machine
    is locked out or down for a cause a work order must repair."""
    return await client.post(f"/machines/{seg(args.asset_id)}/mode", args, Asset, exclude=_ID)


# -- failure modes -------------------------------------------------------------------------------------
class ListFailureModesArgs(Args):
    asset_type: str | None = Field(
        default=None, max_length=50, description="Only this asset type, e.g. 'cnc' or 'pump'."
    )


async def list_failure_modes(client: PlantClient, args: ListFailureModesArgs) -> FailureModesByType:
    """Failure modes per asset type: skill and parts to repair, repair hours, severity, and the
    sensors (tag names) or quality characteristics that reveal each mode and in which direction."""
    return await client.get("/failure-modes", FailureModesByType, params=args.model_dump())


async def get_asset_failure_modes(client: PlantClient, args: GetAssetArgs) -> FailureModeList:
    """The failure modes of one asset (by its type), with the sensors that reveal each. Use it to
    diagnose: match the tags that moved, and their direction, against each mode's `reveals`."""
    return await client.get(f"/assets/{seg(args.asset_id)}/failure-modes", FailureModeList)
