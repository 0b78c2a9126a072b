"""What the plant answers about operations: jobs, schedule, lots, quality, maintenance, state."""

from __future__ import annotations

from pydantic import JsonValue

from ._views import Alarm, Asset, Clock, ListView, Setpoint, View


class JobOp(View):
    index: int
    type: str
    """Machine type this operation needs (cnc, grinder, press, ...)."""
    machine: str | None
    status: str
    """pending | running | paused | done."""
    planned_start_t: float | None
    start_time: str | None
    end_time: str | None
    expected_end_time: str | None
    nominal_duration_s: float


class Job(View):
    id: str
    product: str
    qty: int
    lot: str
    status: str
    """planned | released | in_process | complete."""
    release_time: str
    due_time: str
    due_t: float
    completed_time: str | None
    late: bool
    waiting_material: bool
    ops: list[JobOp]


class JobList(ListView):
    jobs: list[Job]


class ScheduledOp(View):
    job: str
    op: int
    status: str
    planned_start_t: float | None
    nominal_duration_s: float


class Schedule(View):
    version: int
    by: str | None = None
    reason: str | None = None
    published_time: str
    machines: dict[str, list[ScheduledOp]]
    """Per machine, its queue in order (the running operation first)."""
    unscheduled: list[str]
    """'JOB-0007/2' style refs of operations no machine has."""


class SchedulePublished(View):
    version: int
    published_at: str
    assignments: int
    unscheduled: list[str]


class Material(View):
    id: str
    name: str
    unit: str
    stock: float
    open_demand: float
    next_delivery_time: str
    next_delivery_qty: float


class MaterialList(ListView):
    materials: list[Material]


class LotHoldEvent(View):
    action: str
    """hold | release."""
    t: float
    time: str
    by: str
    reason: str


class Lot(View):
    id: str
    job: str
    product: str
    qty: int
    good: int | None
    scrap: int
    status: str
    """queued | in_process | complete."""
    on_hold: bool
    hold_reason: str | None
    hold_by: str | None
    holds: list[LotHoldEvent]
    machines: list[str]
    """Machines that worked on this lot so far, in routing order."""


class LotList(ListView):
    lots: list[Lot]


class Measurement(View):
    seq: int
    t: float
    time: str
    lot: str
    job: str
    op: int
    machine: str
    characteristic: str
    part: int
    value: float
    nominal: float
    lsl: float
    usl: float
    in_spec: bool


class MeasurementPage(View):
    measurements: list[Measurement]
    total: int
    """How many matched (before `limit`)."""
    truncated: bool


class WorkOrderEvent(View):
    t: float
    time: str
    status: str
    by: str
    note: str | None = None


class WorkOrder(View):
    id: str
    asset: str
    type: str
    priority: int
    status: str
    """WAPPR -> APPR -> INPRG -> COMP -> CLOSE; or CAN."""
    description: str
    failure_mode: str | None
    lockout: bool
    skill: str | None
    parts: dict[str, int]
    estimated_h: float
    window_start: str | None
    window_end: str | None
    assigned: list[str]
    created_time: str
    created_by: str
    started_time: str | None
    completed_time: str | None
    history: list[WorkOrderEvent]


class WorkOrderList(ListView):
    work_orders: list[WorkOrder]


class Technician(View):
    id: str
    name: str
    shift: str
    skills: list[str]
    on_shift: bool
    work_order: str | None
    """Work order in progress, if busy."""


class TechnicianList(ListView):
    technicians: list[Technician]


class SparePart(View):
    id: str
    name: str
    stock: int
    min_stock: int
    lead_time_h: float
    below_min: bool


class SparePartList(ListView):
    parts: list[SparePart]


class MaintenanceRecord(View):
    asset: str
    type: str
    failure_mode: str | None
    description: str
    completed: str
    t: float
    downtime_h: float | None = None
    work_order: str | None = None
    """Set for work orders completed since reset; None for older history."""


class MaintenanceHistory(ListView):
    records: list[MaintenanceRecord]


class MeasurementCounts(View):
    count: int
    out_of_spec: int


class EventCount(View):
    count: int


class PlantState(View):
    clock: Clock
    seed: int
    scenario: str | None
    assets: list[Asset]
    tags: dict[str, float | None]
    """Tag id -> current value."""
    alarms: list[Alarm]
    setpoints: list[Setpoint]
    jobs: list[Job]
    lots: list[Lot]
    schedule: dict[str, JsonValue]
    """Version and metadata of the published schedule (read get_schedule for its content)."""
    work_orders: list[WorkOrder]
    technicians: list[Technician]
    spare_parts: list[SparePart]
    materials: list[Material]
    measurements: MeasurementCounts
    events: EventCount
    history_sha256: str
