"""Which tool an HTTP call to the plant is: (method, path) -> tool name, for the trace.

Calls that are not agent tools (the sandbox's clock and reset, health) get a `plant.` name.
"""

from __future__ import annotations

import re

_SEG = r"[^/]+"
_ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(f"^{pattern.replace('{}', _SEG)}$"), tool)
    for method, pattern, tool in (
        ("GET", "/clock", "get_clock"),
        ("POST", "/clock/advance", "plant.advance_clock"),
        ("POST", "/reset", "plant.reset"),
        ("GET", "/health", "plant.health"),
        ("GET", "/scenarios", "plant.scenarios"),
        ("GET", "/plant", "get_plant_info"),
        ("GET", "/state", "get_plant_state"),
        ("GET", "/events", "list_events"),
        ("GET", "/topology", "get_topology"),
        ("GET", "/assets", "list_assets"),
        ("GET", "/assets/{}/failure-modes", "get_asset_failure_modes"),
        ("GET", "/assets/{}", "get_asset"),
        ("GET", "/tags", "list_tags"),
        ("GET", "/tags/{}/history", "get_tag_history"),
        ("GET", "/tags/{}", "get_tag"),
        ("GET", "/setpoints", "list_setpoints"),
        ("POST", "/setpoints/{}/{}", "set_setpoint"),
        ("POST", "/machines/{}/mode", "set_machine_mode"),
        ("GET", "/failure-modes", "list_failure_modes"),
        ("GET", "/alarms", "list_alarms"),
        ("GET", "/alarms/{}", "get_alarm"),
        ("POST", "/alarms/{}/acknowledge", "acknowledge_alarm"),
        ("POST", "/alarms/{}/shelve", "shelve_alarm"),
        ("POST", "/alarms/{}/unshelve", "unshelve_alarm"),
        ("GET", "/jobs", "list_jobs"),
        ("POST", "/jobs", "create_job"),
        ("GET", "/jobs/{}", "get_job"),
        ("GET", "/schedule", "get_schedule"),
        ("POST", "/schedule", "publish_schedule"),
        ("GET", "/materials", "list_materials"),
        ("GET", "/lots", "list_lots"),
        ("GET", "/lots/{}", "get_lot"),
        ("POST", "/lots/{}/hold", "hold_lot"),
        ("POST", "/lots/{}/release", "release_lot"),
        ("GET", "/measurements", "list_measurements"),
        ("GET", "/work-orders", "list_work_orders"),
        ("POST", "/work-orders", "create_work_order"),
        ("GET", "/work-orders/{}", "get_work_order"),
        ("POST", "/work-orders/{}/status", "update_work_order_status"),
        ("POST", "/work-orders/{}/assign", "assign_work_order"),
        ("GET", "/technicians", "list_technicians"),
        ("GET", "/parts", "list_spare_parts"),
        ("GET", "/maintenance-history", "get_maintenance_history"),
    )
)


def tool_for(method: str, path: str) -> str:
    """The tool name of a plant call ("GET /assets/CNC-3" -> "get_asset"); `plant.other` if none."""
    for m, rx, tool in _ROUTES:
        if m == method and rx.match(path):
            return tool
    return "plant.other"


_RISK: dict[str, str] = {}


def risk_of(tool: str) -> str:
    """The catalogue's risk tier of a tool (`control` for the plant's own endpoints)."""
    if not _RISK:
        from ._catalogue import TOOLS  # the catalogue imports the client: looked up on first use

        _RISK.update({t.name: t.risk for t in TOOLS})
    return _RISK.get(tool, "control")
