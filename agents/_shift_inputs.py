"""What a shift plan is made from: the plant read once through the read tools, and which shift.

`gather` reads everything the planner needs (clock, shifts, jobs and their routings, the published
schedule, machines and utilities, open work orders, technicians and skills, failure modes, material
stock), asks the maintenance agent's wear scan for predicted failures and the quality agent's SPC
for machines under watch. Everything after that is pure: `plan_shift` works on a `ShiftInputs`,
so tests can hand it inputs the plant would never produce (an order for a machine type the plant
lacks, a due date in the past).

`plan_facts` derives what a plan must respect from the same reads, independently of the planner,
for `check_plan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from agents._quality_agent import (
    QualityPolicy,
    characteristic_baselines,
    find_drift_windows,
    group_subgroups,
)
from agents._shift_model import MachineWindow, PlanFacts
from agents._wear_scan import scan_wear
from tools import (
    Asset,
    Clock,
    FailureMode,
    Job,
    ListAssetsArgs,
    ListFailureModesArgs,
    ListJobsArgs,
    ListMeasurementsArgs,
    ListWorkOrdersArgs,
    Material,
    NoArgs,
    PlantClient,
    PlantInfo,
    Schedule,
    Technician,
    WorkOrder,
    get_clock,
    get_plant_info,
    get_schedule,
    list_assets,
    list_failure_modes,
    list_jobs,
    list_materials,
    list_measurements,
    list_technicians,
    list_work_orders,
)

OPEN_WO = ("WAPPR", "APPR", "INPRG")
"""Work order statuses that still hold work (or a machine)."""
_DEFAULT_REPAIR_H = 4.0


class ShiftNotFoundError(ValueError):
    """The shift asked for is not one of the plant's (or the plant publishes no shift hours)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Prediction:
    """A failure the maintenance agent predicts on an asset."""

    asset: str
    failure_mode: str
    rul_hours: float | None
    """Hours to the alarm limit at the recent pace; None: already at it (no trend to project)."""
    confidence: float
    explanation: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Watch:
    """A machine the quality agent keeps under watch, and why."""

    machine: str
    characteristics: tuple[str, ...]
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ShiftWindow:
    shift: str
    start_t: float
    end_t: float


@dataclass(frozen=True, kw_only=True, slots=True)
class ShiftInputs:
    """Everything the planner reads from the plant (tool views), plus the agents' findings."""

    info: PlantInfo
    clock: Clock
    jobs: tuple[Job, ...]
    schedule: Schedule
    assets: tuple[Asset, ...]
    work_orders: tuple[WorkOrder, ...]
    """Open ones (WAPPR, APPR, INPRG)."""
    technicians: tuple[Technician, ...]
    failure_modes: dict[str, tuple[FailureMode, ...]]
    materials: tuple[Material, ...] = ()
    predictions: tuple[Prediction, ...] = ()
    watch: tuple[Watch, ...] = ()

    @property
    def machines(self) -> tuple[Asset, ...]:
        """The machines that run production (those the published schedule lists)."""
        return tuple(a for a in self.assets if a.category == "machine" and a.id in self.schedule.machines)


async def gather(client: PlantClient, *, wear: bool = True, watch: bool = True) -> ShiftInputs:
    """Read the plant for a shift plan; `wear` runs the maintenance agent's wear scan (predicted
    failures), `watch` the quality agent's SPC over the recent measurements (machines under watch)."""
    orders = (await list_work_orders(client, ListWorkOrdersArgs(status="open"))).work_orders
    modes = (await list_failure_modes(client, ListFailureModesArgs())).by_type
    inputs = ShiftInputs(
        info=await get_plant_info(client, NoArgs()),
        clock=await get_clock(client, NoArgs()),
        jobs=tuple((await list_jobs(client, ListJobsArgs())).jobs),
        schedule=await get_schedule(client, NoArgs()),
        assets=tuple((await list_assets(client, ListAssetsArgs())).assets),
        work_orders=tuple(o for o in orders if o.status in OPEN_WO),
        technicians=tuple((await list_technicians(client, NoArgs())).technicians),
        failure_modes={k: tuple(v) for k, v in sorted(modes.items())},
        materials=tuple((await list_materials(client, NoArgs())).materials),
    )
    if wear:
        found = await scan_wear(client)
        predictions = tuple(
            Prediction(
                asset=f.asset,
                failure_mode=f.failure_mode,
                rul_hours=f.rul_hours,
                confidence=f.confidence,
                explanation=f.explanation,
            )
            for f in found
        )
        inputs = replace(inputs, predictions=predictions)
    if watch:
        inputs = replace(inputs, watch=await _watch(client, inputs.clock.t))
    return inputs


async def _watch(client: PlantClient, now_t: float, *, lookback_s: float = 8 * 3600.0) -> tuple[Watch, ...]:
    """Machines whose product drifted (SPC) and is still out of control, or was within `lookback_s`."""
    policy = QualityPolicy()
    got = await list_measurements(
        client, ListMeasurementsArgs(since_t=max(0.0, now_t - 3 * lookback_s), limit=policy.page)
    )
    subgroups = group_subgroups(got.measurements)
    windows = find_drift_windows(subgroups, characteristic_baselines(subgroups, policy), policy)
    out: list[Watch] = []
    for w in windows:
        if w.end_t is not None and w.end_t < now_t - lookback_s:
            continue
        state = "still out of control" if w.end_t is None else f"back in control at t={w.end_t:.0f} s"
        out.append(
            Watch(
                machine=w.drift.machine,
                characteristics=w.characteristics,
                reason=f"SPC {w.drift.violation.rule} drift on {w.drift.machine} from t={w.start_t:.0f} s, {state}",
            )
        )
    return tuple(sorted(out, key=lambda w: w.machine))


def shift_window(inputs: ShiftInputs, shift: str | None = None, *, grace_s: float = 900.0) -> ShiftWindow:
    """The shift to plan: `shift` by name (the one in progress, else its next start), or by default
    the next shift to start (the one in progress when it started less than `grace_s` ago).

    Raises ShiftNotFoundError naming the plant's shifts for an unknown name or a plant without shifts."""
    hours = inputs.info.shifts
    if not hours:
        raise ShiftNotFoundError("The plant publishes no shift hours (GET /plant has no 'shifts').")
    if shift is not None and shift not in hours:
        raise ShiftNotFoundError(
            f"Unknown shift {shift!r}; this plant's shifts are {', '.join(sorted(hours))}."
        )
    now, epoch = inputs.clock.t, inputs.clock.epoch_s
    day0 = datetime.fromtimestamp(epoch + now, tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    base = day0.timestamp() - epoch
    starts: list[ShiftWindow] = []
    for day in (-1, 0, 1, 2):
        for name, h in sorted(hours.items()):
            start = base + day * 86400 + h.start_h * 3600
            length = ((h.end_h - h.start_h) % 24 or 24) * 3600
            starts.append(ShiftWindow(shift=name, start_t=start, end_t=start + length))
    starts.sort(key=lambda w: (w.start_t, w.shift))
    if shift is not None:
        return next(w for w in starts if w.shift == shift and w.end_t > now)
    return next(w for w in starts if w.start_t >= now - grace_s)


def plan_facts(inputs: ShiftInputs) -> PlanFacts:
    """What a plan must respect, read from the plant: machine types, routings, maintenance windows of
    open work orders, machines down until their repair ends, technicians and their skills."""
    now, epoch = inputs.clock.t, inputs.clock.epoch_s
    machines = {m.id: m for m in inputs.machines}
    windows: list[MachineWindow] = []
    wo_windows: dict[str, tuple[float, float]] = {}
    for wo in inputs.work_orders:
        if wo.window_start and wo.window_end:
            span = (plant_t(wo.window_start, epoch), plant_t(wo.window_end, epoch))
            wo_windows[wo.id] = span
            if wo.asset in machines and span[1] > now:
                windows.append(
                    MachineWindow(
                        machine=wo.asset, start_t=span[0], end_t=span[1], reason=f"work order {wo.id} window"
                    )
                )
    for m in machines.values():
        if m.mode not in ("down", "maintenance"):
            continue
        mine = [o for o in inputs.work_orders if o.asset == m.id]
        end = max(
            (plant_t(o.window_end, epoch) if o.window_end else now + o.estimated_h * 3600 for o in mine),
            default=now + _DEFAULT_REPAIR_H * 3600,
        )
        windows.append(MachineWindow(machine=m.id, start_t=now, end_t=end, reason=f"{m.id} {m.mode}"))
    return PlanFacts(
        machine_types={m.id: m.type for m in machines.values()},
        routings={j.id: tuple(op.type for op in j.ops) for j in inputs.jobs},
        windows=tuple(sorted(windows, key=lambda w: (w.machine, w.start_t))),
        technicians={t.id: (t.shift, tuple(t.skills)) for t in inputs.technicians},
        work_order_windows=wo_windows,
        open_operations={
            j.id: tuple(op.index for op in j.ops if op.status != "done") for j in open_jobs(inputs.jobs)
        },
    )


def open_jobs(jobs: Sequence[Job]) -> list[Job]:
    return [j for j in jobs if j.status != "complete" and any(op.status != "done" for op in j.ops)]


def plant_t(iso: str, epoch: float) -> float:
    """An ISO time from the plant as plant seconds (since its epoch)."""
    return datetime.fromisoformat(iso).timestamp() - epoch
