"""Which handler carries out each intent (`respond_incident` is added by the ops graph, which owns
the incident routing). Explicit, like the tool catalogue: no registry filled at import time."""

from __future__ import annotations

from agents import _ops_alarms as al
from agents import _ops_desk as desk
from agents import _ops_maintenance as mt
from agents import _ops_production as pr
from agents import _ops_quality as qa
from agents._ops import Handler

HANDLERS: dict[str, Handler] = {
    "plant_status": desk.plant_status,
    "line_status": desk.line_status,
    "asset_status": desk.asset_status,
    "read_sensor": desk.read_sensor,
    "sensor_trend": desk.sensor_trend,
    "explain": desk.explain,
    "handover_report": desk.handover_report,
    "incident_replay": desk.incident_replay,
    "list_alarms": al.list_standing,
    "acknowledge_alarms": al.acknowledge,
    "shelve_alarms": al.shelve,
    "find_root_cause": al.root_cause,
    "create_work_order": mt.create_wo,
    "list_work_orders": mt.list_wos,
    "assign_work_order": mt.assign_wo,
    "diagnose": mt.diagnose,
    "stop_machine": mt.stop_machine,
    "start_machine": mt.start_machine,
    "list_technicians": mt.technicians,
    "spare_parts": mt.spare_parts,
    "show_schedule": pr.show_schedule,
    "move_jobs": pr.move_jobs,
    "job_status": pr.job_status,
    "late_jobs": pr.late_jobs,
    "material_stock": pr.material_stock,
    "hold_lots": qa.hold_lots,
    "release_lot": qa.release,
    "list_held_lots": qa.held_lots,
    "spc_check": qa.spc_check,
    "set_setpoint": qa.setpoint,
}
