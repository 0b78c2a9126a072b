"""Request bodies of the plant API. Whatever crosses the HTTP boundary is a pydantic model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ._production import MAX_JOB_QTY

Who = Field(default="operator", min_length=1, max_length=100, description="Who asks (person or agent).")
Reason = Field(min_length=1, max_length=2000, description="Why, in words a colleague can read later.")


MAX_T = 10 * 365 * 86400.0
"""Latest time a request may name: ten years after reset."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResetRequest(_Body):
    seed: int = Field(default=0, ge=0, le=2**31 - 1, description="Seed of every random stream.")
    scenario: str | None = Field(
        default=None,
        max_length=100,
        description="Fault scenario name (GET /scenarios); omit for normal operation.",
    )


class AdvanceRequest(_Body):
    seconds: float = Field(
        ge=0, le=86400, allow_inf_nan=False, description="Virtual seconds to run (at most 24 h)."
    )


class AckRequest(_Body):
    by: str = Who
    comment: str | None = Field(default=None, max_length=2000)


class ShelveRequest(_Body):
    by: str = Who
    duration_s: float = Field(gt=0, le=28800, allow_inf_nan=False, description="How long, at most 8 h.")
    reason: str = Reason


class UnshelveRequest(_Body):
    by: str = Who


class WorkOrderCreate(_Body):
    asset: str = Field(min_length=1, max_length=100)
    type: Literal["CM", "PM", "EM", "PdM", "INSP"] = Field(
        description="CM corrective, PM preventive, EM emergency, PdM predictive, INSP inspection."
    )
    priority: int = Field(ge=1, le=5, description="1 most urgent .. 5 least.")
    description: str = Field(min_length=1, max_length=2000)
    failure_mode: str | None = Field(
        default=None,
        max_length=100,
        description="Failure mode id (GET /assets/{id}/failure-modes).",
    )
    lockout: bool | None = Field(
        default=None,
        description="Lock the machine out while work is in progress "
        "(default: yes for machines, no for utilities).",
    )
    parts: dict[str, int] | None = Field(
        default=None,
        description="Spare parts to use, id -> quantity (default: the failure mode's).",
    )
    estimated_h: float | None = Field(default=None, gt=0, le=168, allow_inf_nan=False)
    window_start_t: float | None = Field(
        default=None,
        ge=0,
        le=MAX_T,
        allow_inf_nan=False,
        description="Proposed window start, seconds since reset.",
    )
    window_end_t: float | None = Field(default=None, ge=0, le=MAX_T, allow_inf_nan=False)
    by: str = Who


class WorkOrderStatusRequest(_Body):
    status: Literal["WAPPR", "APPR", "INPRG", "COMP", "CLOSE", "CAN"]
    by: str = Who
    note: str | None = Field(default=None, max_length=2000)


class WorkOrderAssign(_Body):
    technicians: list[str] = Field(min_length=1, max_length=10)
    by: str = Who


class Assignment(_Body):
    job: str = Field(min_length=1, max_length=50)
    op: int = Field(ge=0, le=1000, description="Operation index in the job's routing.")
    machine: str = Field(min_length=1, max_length=50)
    start_t: float = Field(
        ge=0, le=MAX_T, allow_inf_nan=False, description="Planned start, seconds since reset."
    )


class SchedulePublish(_Body):
    assignments: list[Assignment] = Field(max_length=20000)
    by: str = Who
    reason: str = Reason


class JobCreate(_Body):
    product: str = Field(min_length=1, max_length=100, description="Product id of the plant, e.g. 'SHAFT-A'.")
    qty: int = Field(ge=1, le=MAX_JOB_QTY, description="Parts to make.")
    due_time: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Due, ISO 8601 with a UTC offset, e.g. '2026-03-02T14:00:00Z'. Give this or due_in_h.",
    )
    due_in_h: float | None = Field(
        default=None,
        gt=0,
        le=MAX_T / 3600,
        allow_inf_nan=False,
        description="Due this many hours from now. Give this or due_time.",
    )
    release_time: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Earliest start, ISO 8601 with a UTC offset, not before now; omit to release now.",
    )
    by: str = Who
    reason: str | None = Field(
        default=None, max_length=2000, description="Why, e.g. the customer order or the rush request."
    )


class LotAction(_Body):
    by: str = Who
    reason: str = Reason


class ModeRequest(_Body):
    mode: Literal["auto", "stopped"]
    by: str = Who
    reason: str = Reason


class SetpointRequest(_Body):
    value: float = Field(allow_inf_nan=False)
    by: str = Who
