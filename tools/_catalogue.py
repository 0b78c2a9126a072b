"""The tool catalogue: every tool, its plant endpoint and its risk tier, in one explicit tuple.

Risk tiers (DESIGN.md): `read` any role; `write` an operator action the agents may take on their
own, recorded in the audit trail; `critical` waits for a supervisor's approval (a LangGraph
interrupt) before it runs. Why each write tool sits where it does:

    tool                      endpoint                                risk      why
    acknowledge_alarm         POST /alarms/{id}/acknowledge           write     records awareness; changes no process
    shelve_alarm              POST /alarms/{id}/shelve                write     bounded (<= 8 h), auto-returns, reason logged;
                                                                                ISA-18.2 lets operators shelve
    unshelve_alarm            POST /alarms/{id}/unshelve              write     restores protection
    create_work_order         POST /work-orders                       write     created WAPPR; no effect on the plant yet
    update_work_order_status  POST /work-orders/{id}/status           write     INPRG locks out a machine, but the plant's
                                                                                interlock requires it already stopped: the
                                                                                stop itself is the critical step
    assign_work_order         POST /work-orders/{id}/assign           write     planning only
    create_job                POST /jobs                              write     order intake; nothing runs until a schedule
                                                                                including it is published
    publish_schedule          POST /schedule                          write     DESIGN lists schedules as operator writes; the
                                                                                plant validates routings, running ops stay put,
                                                                                a later publish undoes it
    hold_lot                  POST /lots/{id}/hold                    write     the safe direction: stops product, ships nothing
    release_lot               POST /lots/{id}/release                 critical  lets suspect product ship; not undoable once shipped
    set_machine_mode          POST /machines/{id}/mode                critical  stops or restarts production equipment
    set_setpoint              POST /setpoints/{asset}/{name}          critical  changes the process itself; the tier is static
                                                                                per tool, so every change is approved, not only
                                                                                those near the limits

Read tools (risk `read`): get_clock GET /clock, get_plant_info GET /plant, get_plant_state
GET /state, list_events GET /events, get_topology GET /topology, list_assets GET /assets,
get_asset GET /assets/{id}, list_tags GET /tags, get_tag GET /tags/{id}, get_tag_history
GET /tags/{id}/history, list_setpoints GET /setpoints, list_failure_modes GET /failure-modes,
get_asset_failure_modes GET /assets/{id}/failure-modes, list_alarms GET /alarms, get_alarm
GET /alarms/{id}, list_jobs GET /jobs, get_job GET /jobs/{id}, get_schedule GET /schedule,
list_materials GET /materials, list_lots GET /lots, get_lot GET /lots/{id}, list_measurements
GET /measurements, list_work_orders GET /work-orders, get_work_order GET /work-orders/{id},
list_technicians GET /technicians, list_spare_parts GET /parts, get_maintenance_history
GET /maintenance-history.

The plant's control endpoints (POST /reset, POST /clock/advance, GET /scenarios) are for tests and
the evaluator, not for agents, and have no tool.
"""

from __future__ import annotations

from typing import Any

from . import _tools_alarms as al
from . import _tools_maintenance as mt
from . import _tools_plant as pl
from . import _tools_production as pr
from . import _views as v
from . import _views_ops as vo
from ._spec import NoArgs, ToolSpec, spec

TOOLS: tuple[ToolSpec[Any, Any], ...] = (
    # clock, state, events
    spec(pl.get_clock, NoArgs, v.Clock, "read"),
    spec(pl.get_plant_info, NoArgs, v.PlantInfo, "read"),
    spec(pl.get_plant_state, NoArgs, vo.PlantState, "read"),
    spec(pl.list_events, pl.ListEventsArgs, v.EventPage, "read"),
    # topology, assets, tags, setpoints, modes, failure modes
    spec(pl.get_topology, NoArgs, v.Topology, "read"),
    spec(pl.list_assets, pl.ListAssetsArgs, v.AssetList, "read"),
    spec(pl.get_asset, pl.GetAssetArgs, v.Asset, "read"),
    spec(pl.list_tags, pl.ListTagsArgs, v.TagList, "read"),
    spec(pl.get_tag, pl.GetTagArgs, v.Tag, "read"),
    spec(pl.get_tag_history, pl.GetTagHistoryArgs, v.TagHistory, "read"),
    spec(pl.list_setpoints, pl.ListSetpointsArgs, v.SetpointList, "read"),
    spec(pl.set_setpoint, pl.SetSetpointArgs, v.SetpointChange, "critical"),
    spec(pl.set_machine_mode, pl.SetMachineModeArgs, v.Asset, "critical"),
    spec(pl.list_failure_modes, pl.ListFailureModesArgs, v.FailureModesByType, "read"),
    spec(pl.get_asset_failure_modes, pl.GetAssetArgs, v.FailureModeList, "read"),
    # alarms
    spec(al.list_alarms, al.ListAlarmsArgs, v.AlarmList, "read"),
    spec(al.get_alarm, al.GetAlarmArgs, v.Alarm, "read"),
    spec(al.acknowledge_alarm, al.AcknowledgeAlarmArgs, v.Alarm, "write"),
    spec(al.shelve_alarm, al.ShelveAlarmArgs, v.Alarm, "write"),
    spec(al.unshelve_alarm, al.UnshelveAlarmArgs, v.Alarm, "write"),
    # production and quality
    spec(pr.list_jobs, pr.ListJobsArgs, vo.JobList, "read"),
    spec(pr.get_job, pr.GetJobArgs, vo.Job, "read"),
    spec(pr.create_job, pr.CreateJobArgs, vo.Job, "write"),
    spec(pr.get_schedule, NoArgs, vo.Schedule, "read"),
    spec(pr.publish_schedule, pr.PublishScheduleArgs, vo.SchedulePublished, "write"),
    spec(pr.list_materials, NoArgs, vo.MaterialList, "read"),
    spec(pr.list_lots, pr.ListLotsArgs, vo.LotList, "read"),
    spec(pr.get_lot, pr.GetLotArgs, vo.Lot, "read"),
    spec(pr.hold_lot, pr.LotActionArgs, vo.Lot, "write"),
    spec(pr.release_lot, pr.LotActionArgs, vo.Lot, "critical"),
    spec(pr.list_measurements, pr.ListMeasurementsArgs, vo.MeasurementPage, "read"),
    # maintenance
    spec(mt.list_work_orders, mt.ListWorkOrdersArgs, vo.WorkOrderList, "read"),
    spec(mt.get_work_order, mt.GetWorkOrderArgs, vo.WorkOrder, "read"),
    spec(mt.create_work_order, mt.CreateWorkOrderArgs, vo.WorkOrder, "write"),
    spec(mt.update_work_order_status, mt.UpdateWorkOrderStatusArgs, vo.WorkOrder, "write"),
    spec(mt.assign_work_order, mt.AssignWorkOrderArgs, vo.WorkOrder, "write"),
    spec(mt.list_technicians, NoArgs, vo.TechnicianList, "read"),
    spec(mt.list_spare_parts, NoArgs, vo.SparePartList, "read"),
    spec(mt.get_maintenance_history, mt.MaintenanceHistoryArgs, vo.MaintenanceHistory, "read"),
)
"""Every tool, in a stable order. Select with `find_tool` or a comprehension over `.risk`."""


def find_tool(name: str, specs: tuple[ToolSpec[Any, Any], ...] = TOOLS) -> ToolSpec[Any, Any]:
    """The spec named `name`; a `KeyError` naming the known tools if there is none."""
    for s in specs:
        if s.name == name:
            return s
    raise KeyError(f"No tool {name!r}; known tools: {', '.join(s.name for s in specs)}.")
