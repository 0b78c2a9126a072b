"""Production and quality tools: jobs, schedule, materials, lots (hold, release), measurements."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._client import PlantClient
from ._spec import Args, NoArgs, WriteArgs
from ._tools_plant import seg
from ._views_ops import (
    Job,
    JobList,
    Lot,
    LotList,
    MaterialList,
    MeasurementPage,
    Schedule,
    SchedulePublished,
)

LotId = Field(min_length=1, max_length=50, description="Lot id, e.g. 'LOT-0007'.")
_LOT = frozenset({"lot_id"})


class ListJobsArgs(Args):
    status: Literal["planned", "released", "in_process", "complete"] | None = None
    machine: str | None = Field(
        default=None, min_length=1, max_length=50, description="Only jobs with an operation on this machine."
    )


async def list_jobs(client: PlantClient, args: ListJobsArgs) -> JobList:
    """Jobs (production orders): product, quantity, lot, due time, lateness, and each operation of
    the routing with its machine type, assigned machine and status."""
    return await client.get("/jobs", JobList, params=args.model_dump())


class GetJobArgs(Args):
    job_id: str = Field(min_length=1, max_length=50, description="Job id, e.g. 'JOB-0012'.")


async def get_job(client: PlantClient, args: GetJobArgs) -> Job:
    """One job with its routing."""
    return await client.get(f"/jobs/{seg(args.job_id)}", Job)


class CreateJobArgs(WriteArgs):
    product: str = Field(
        min_length=1,
        max_length=100,
        description="Product id, e.g. 'SHAFT-A' (list_jobs shows products; an unknown one errors listing all).",
    )
    qty: int = Field(ge=1, le=100000, description="Parts to make.")
    due_time: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Due, ISO 8601 with a UTC offset, e.g. '2026-03-02T14:00:00Z'. Give this or due_in_h.",
    )
    due_in_h: float | None = Field(
        default=None,
        gt=0,
        le=87600,
        allow_inf_nan=False,
        description="Due this many hours from now. Give this or due_time.",
    )
    release_time: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Earliest start, ISO 8601 with a UTC offset, not in the past; omit to release now.",
    )
    reason: str | None = Field(
        default=None, max_length=2000, description="Why, e.g. the customer order or the rush request."
    )


async def create_job(client: PlantClient, args: CreateJobArgs) -> Job:
    """Add a job (production order, as an ERP sends it) for `qty` parts of a product, due at
    `due_time` or in `due_in_h` hours (exactly one): order intake, e.g. a rush order arriving
    mid-shift. Only for a new order someone asked for: every call adds another job. The plant
    gives it the next JOB-/LOT- ids, a lot and the product's routing. It assigns no machine and
    starts nothing: its operations stay in get_schedule's `unscheduled` until you publish a
    schedule (publish_schedule) that includes them with the other pending operations. It does
    not replan, reserve material, or check that the plant can meet the due time."""
    return await client.post("/jobs", args, Job)


async def get_schedule(client: PlantClient, args: NoArgs) -> Schedule:
    """The published schedule: per machine, its queue of job operations in order with planned
    starts, plus operations no machine has (`unscheduled`)."""
    return await client.get("/schedule", Schedule)


class Assignment(Args):
    job: str = Field(min_length=1, max_length=50, description="Job id.")
    op: int = Field(ge=0, le=1000, description="Operation index in the job's routing.")
    machine: str = Field(min_length=1, max_length=50, description="Machine of the operation's type.")
    start_t: float = Field(ge=0, allow_inf_nan=False, description="Planned start, seconds since reset.")


class PublishScheduleArgs(WriteArgs):
    assignments: list[Assignment] = Field(
        max_length=20000,
        description="Every pending operation to schedule; operations left out become unscheduled.",
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why the schedule changes.")


async def publish_schedule(client: PlantClient, args: PublishScheduleArgs) -> SchedulePublished:
    """Replace the whole schedule. Each assignment puts one job operation on a machine of the right
    type with a planned start; machines run their operations in start order. Running or done
    operations cannot move (conflict). Read get_schedule and list_jobs first."""
    return await client.post("/schedule", args, SchedulePublished)


async def list_materials(client: PlantClient, args: NoArgs) -> MaterialList:
    """Raw material stock, open demand of unstarted jobs, and the next delivery."""
    return await client.get("/materials", MaterialList)


class ListLotsArgs(Args):
    on_hold: bool | None = Field(default=None, description="Only held (true) or not held (false) lots.")
    status: Literal["queued", "in_process", "complete"] | None = None


async def list_lots(client: PlantClient, args: ListLotsArgs) -> LotList:
    """Lots with status, hold state and history, good/scrap counts and the machines that worked on them."""
    return await client.get("/lots", LotList, params=args.model_dump())


class GetLotArgs(Args):
    lot_id: str = LotId


async def get_lot(client: PlantClient, args: GetLotArgs) -> Lot:
    """One lot."""
    return await client.get(f"/lots/{seg(args.lot_id)}", Lot)


class LotActionArgs(WriteArgs):
    lot_id: str = LotId
    reason: str = Field(
        min_length=1, max_length=2000, description="Why, e.g. the SPC rule and machine window."
    )


async def hold_lot(client: PlantClient, args: LotActionArgs) -> Lot:
    """Put a lot on quality hold: it stops at its next operation and cannot ship until released.
    Holding a lot already on hold is a conflict error."""
    return await client.post(f"/lots/{seg(args.lot_id)}/hold", args, Lot, exclude=_LOT)


async def release_lot(client: PlantClient, args: LotActionArgs) -> Lot:
    """Release a held lot (CRITICAL: needs approval): only after the cause is corrected and the
    lot's measurements are shown to be in spec. Releasing a lot not on hold is a conflict error."""
    return await client.post(f"/lots/{seg(args.lot_id)}/release", args, Lot, exclude=_LOT)


class ListMeasurementsArgs(Args):
    lot: str | None = Field(default=None, min_length=1, max_length=50, description="Only this lot.")
    machine: str | None = Field(default=None, min_length=1, max_length=50, description="Only this machine.")
    characteristic: str | None = Field(
        default=None, max_length=100, description="Only this characteristic, e.g. 'diameter_mm'."
    )
    since_t: float = Field(default=0.0, ge=0, allow_inf_nan=False, description="From, seconds since reset.")
    limit: int = Field(default=500, ge=1, le=20000, description="At most this many, oldest first.")


async def list_measurements(client: PlantClient, args: ListMeasurementsArgs) -> MeasurementPage:
    """Quality measurements (oldest first) with nominal, spec limits (lsl, usl) and in_spec. Feed
    them to SPC: a run of points on one side of nominal or a trend shows a drift before parts go
    out of spec. `truncated` says more matched than `limit`."""
    return await client.get("/measurements", MeasurementPage, params=args.model_dump())
