"""Maintenance: failure modes (FMEA-like), work orders, technicians, spare parts, history.

Work-order lifecycle (Maximo-style):  WAPPR -> APPR -> INPRG -> COMP -> CLOSE, and CAN from
WAPPR or APPR. Starting work (INPRG) needs an assigned technician who is on shift, free and
has the skill, and the spare parts in stock; a lock-out work order also needs the machine not
to be running, and locks it out (mode `maintenance`) until the work is complete. The assigned
technician finishes the job after its estimated duration; completion repairs what the failure
mode (or, without one, the work type) repairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._config import FailureModeSpec, PlantConfig
from ._core import AssetState, Core
from ._errors import InvalidRequest, NotFound, Refused

TRANSITIONS = {
    "WAPPR": ("APPR", "CAN"),
    "APPR": ("INPRG", "CAN", "WAPPR"),
    "INPRG": ("COMP",),
    "COMP": ("CLOSE",),
    "CLOSE": (),
    "CAN": (),
}
OPEN_STATUSES = ("WAPPR", "APPR", "INPRG")
DEFAULT_REPAIRS = {
    "CM": ("breakdown", "utility"),
    "EM": ("breakdown", "utility"),
    "PM": ("bearing", "tool"),
    "PdM": ("bearing", "tool"),
    "INSP": ("sensor", "tool"),
}


@dataclass(slots=True)
class WorkOrder:
    id: str
    asset: str
    type: str
    priority: int
    description: str
    status: str = "WAPPR"
    failure_mode: str | None = None
    lockout: bool = False
    skill: str | None = None
    parts: dict[str, int] = field(default_factory=dict)
    estimated_h: float = 2.0
    window_start: float | None = None
    window_end: float | None = None
    assigned: list[str] = field(default_factory=list)
    created_t: float = 0.0
    created_by: str = "plant"
    started_t: float | None = None
    completed_t: float | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    token: int = 0


@dataclass(slots=True)
class Technician:
    id: str
    name: str
    shift: str
    skills: tuple[str, ...]
    work_order: str | None = None


class Maintenance:
    def __init__(self, core: Core, cfg: PlantConfig, seed: int) -> None:
        self.core, self.cfg = core, cfg
        self.work_orders: dict[str, WorkOrder] = {}
        self.history: list[dict[str, Any]] = []
        self.technicians = {t.id: Technician(t.id, t.name, t.shift, t.skills) for t in cfg.technicians}
        self.parts = {pid: p.stock for pid, p in cfg.spare_parts.items()}
        self._next_id = 1001
        self._make_history(np.random.default_rng([seed, 5]))

    def failure_modes(self, asset_type: str) -> tuple[FailureModeSpec, ...]:
        return (*self.cfg.asset_types[asset_type].failure_modes, self.cfg.sensor_failure_mode)

    def _make_history(self, rng: np.random.Generator) -> None:
        for a in self.core.assets.values():
            modes = self.failure_modes(a.type)
            for _ in range(int(rng.integers(1, 4))):
                fm = modes[int(rng.integers(len(modes)))]
                days = float(rng.uniform(5, 365))
                self.history.append(
                    {
                        "asset": a.id,
                        "type": fm.wo_type,
                        "failure_mode": fm.id,
                        "description": fm.name,
                        "completed": self.core.iso(-days * 86400.0),
                        "t": round(-days * 86400.0, 1),
                        "downtime_h": round(fm.repair_h * float(rng.uniform(0.8, 1.6)), 2),
                    }
                )
        self.history.sort(key=lambda h: (h["asset"], h["t"]))

    # -- lookups ----------------------------------------------------------------------------
    def get(self, wo_id: str) -> WorkOrder:
        try:
            return self.work_orders[wo_id]
        except KeyError:
            raise NotFound(f"Unknown work order {wo_id!r}; list work orders with GET /work-orders.") from None

    def technician(self, tid: str) -> Technician:
        try:
            return self.technicians[tid]
        except KeyError:
            raise NotFound(f"Unknown technician {tid!r}; list technicians with GET /technicians.") from None

    def on_shift(self, tech: Technician) -> bool:
        return self.core.shift_at(self.core.now) == tech.shift

    def open_lockout(self, asset: str) -> WorkOrder | None:
        for wo in self.work_orders.values():
            if wo.asset == asset and wo.lockout and wo.status == "INPRG":
                return wo
        return None

    # -- actions ------------------------------------------------------------------------------
    def create(
        self,
        a: AssetState,
        *,
        wo_type: str,
        priority: int,
        description: str,
        by: str,
        failure_mode: str | None,
        lockout: bool | None,
        parts: dict[str, int] | None,
        estimated_h: float | None,
        window: tuple[float, float] | None,
    ) -> WorkOrder:
        fm = None
        if failure_mode is not None:
            fm = next((m for m in self.failure_modes(a.type) if m.id == failure_mode), None)
            if fm is None:
                known = ", ".join(m.id for m in self.failure_modes(a.type))
                raise InvalidRequest(
                    f"{a.id} ({a.type}) has no failure mode {failure_mode!r}; known: {known}. "
                    f"See GET /assets/{a.id}/failure-modes."
                )
        use = dict(parts) if parts is not None else dict(fm.parts if fm else {})
        for pid, qty in use.items():
            if pid not in self.parts:
                raise InvalidRequest(f"Unknown spare part {pid!r}; list parts with GET /parts.")
            if qty < 1:
                raise InvalidRequest(f"Part {pid}: quantity must be at least 1.")
        if window is not None and not window[0] < window[1]:
            raise InvalidRequest("window_start must be before window_end.")
        wo = WorkOrder(
            id=f"WO-{self._next_id}",
            asset=a.id,
            type=wo_type,
            priority=priority,
            description=description,
            failure_mode=failure_mode,
            lockout=a.category == "machine" if lockout is None else lockout,
            skill=fm.skill if fm else None,
            parts=use,
            estimated_h=estimated_h if estimated_h is not None else (fm.repair_h if fm else 2.0),
            window_start=window[0] if window else None,
            window_end=window[1] if window else None,
            created_t=self.core.now,
            created_by=by,
        )
        self._next_id += 1
        wo.history.append({"t": self.core.now, "status": "WAPPR", "by": by})
        self.work_orders[wo.id] = wo
        self.core.emit(
            "work_order.created",
            work_order=wo.id,
            asset=a.id,
            wo_type=wo_type,
            priority=priority,
            by=by,
        )
        return wo

    def assign(self, wo_id: str, tech_ids: list[str], by: str) -> WorkOrder:
        wo = self.get(wo_id)
        techs = [self.technician(t) for t in tech_ids]
        if not techs:
            raise InvalidRequest("technicians must name at least one technician id (GET /technicians).")
        if wo.status not in OPEN_STATUSES:
            raise Refused(
                f"{wo.id} is {wo.status}; only open work orders can be assigned.",
                code="invalid_transition",
            )
        if wo.skill and not any(wo.skill in t.skills for t in techs):
            raise Refused(
                f"{wo.id} needs the skill {wo.skill!r}; none of {', '.join(tech_ids)} has it. "
                "See GET /technicians for skills.",
                code="skill_missing",
            )
        wo.assigned = sorted(set(tech_ids))
        self.core.emit("work_order.assigned", work_order=wo.id, technicians=wo.assigned, by=by)
        return wo

    def check_transition(self, wo: WorkOrder, status: str) -> None:
        if status not in TRANSITIONS[wo.status]:
            allowed = ", ".join(TRANSITIONS[wo.status]) or "none (final)"
            raise Refused(
                f"{wo.id} cannot go from {wo.status} to {status}; allowed next: {allowed}.",
                code="invalid_transition",
            )

    def start(self, wo: WorkOrder, machine_running: bool) -> list[Technician]:
        """Checks and returns the technicians who will do the work; changes nothing."""
        if not wo.assigned:
            raise Refused(
                f"{wo.id} has no technician; assign one with POST /work-orders/{wo.id}/assign.",
                code="unassigned",
            )
        techs = [self.technicians[t] for t in wo.assigned]
        able = [
            t
            for t in techs
            if self.on_shift(t) and t.work_order is None and (wo.skill is None or wo.skill in t.skills)
        ]
        if not able:
            shift = self.core.shift_at(self.core.now)
            raise Refused(
                f"None of {', '.join(wo.assigned)} can start {wo.id} now (shift {shift} on duty; "
                f"needs skill {wo.skill or 'any'} and a free technician). Assign one on shift.",
                code="no_technician",
            )
        short = [f"{p} (need {q}, have {self.parts[p]})" for p, q in wo.parts.items() if self.parts[p] < q]
        if short:
            raise Refused(
                f"{wo.id} cannot start: spare parts short: {', '.join(short)}. See GET /parts.",
                code="parts_short",
            )
        if wo.lockout and machine_running:
            raise Refused(
                f"{wo.asset} is running; stop it (POST /machines/{wo.asset}/mode "
                '{"mode": "stopped"}) before locking it out for ' + wo.id + ".",
                code="interlock",
            )
        return able

    def set_status(self, wo: WorkOrder, status: str, by: str, note: str | None) -> None:
        wo.status = status
        wo.history.append({"t": self.core.now, "status": status, "by": by, "note": note})
        if status == "INPRG":
            wo.started_t = self.core.now
        if status == "COMP":
            wo.completed_t = self.core.now
            for t in self.technicians.values():
                if t.work_order == wo.id:
                    t.work_order = None
        self.core.emit("work_order.status", work_order=wo.id, asset=wo.asset, status=status, by=by, note=note)

    def repairs(self, wo: WorkOrder, asset_type: str) -> tuple[str, ...]:
        if wo.failure_mode is not None:
            for m in self.failure_modes(asset_type):
                if m.id == wo.failure_mode:
                    return m.repairs
        return DEFAULT_REPAIRS[wo.type]
