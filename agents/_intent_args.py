"""The arguments of each operator intent: what a brain must fill in for a step.

Every reference is resolved against the plant before a step is made (asset ids, tag ids, line
ids). An asset argument may also be `@root_cause`: the root cause an earlier step of the same
task found ("find the root cause and dispatch maintenance"), bound when the step runs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EARLIER_ROOT_CAUSE = "@root_cause"
"""An asset argument bound, when its step runs, to the root cause an earlier step found."""

AssetRef = Field(min_length=1, max_length=50, description="Asset id, e.g. 'CNC-3', or '@root_cause'.")
LineRef = Field(min_length=1, max_length=20, description="Line id, e.g. 'L2'.")
Window = Field(default=None, gt=0, le=7 * 86400, description="How far back, seconds; None: this shift.")


class IntentArgs(BaseModel):
    """Base of intent arguments: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class NoIntentArgs(IntentArgs):
    """This intent takes no arguments."""


class AssetArgs(IntentArgs):
    asset: str = AssetRef


class LineArgs(IntentArgs):
    line: str = LineRef


class ScopeArgs(IntentArgs):
    """An asset, a line, or (neither) the whole plant."""

    asset: str | None = Field(default=None, min_length=1, max_length=50, description="Asset id.")
    line: str | None = Field(default=None, min_length=1, max_length=20, description="Line id.")


class SensorArgs(IntentArgs):
    asset: str = AssetRef
    tag: str = Field(min_length=1, max_length=100, description="Tag id, e.g. 'CNC-3.spindle_temp'.")


class SensorWindowArgs(SensorArgs):
    window_s: float | None = Window


class WindowArgs(IntentArgs):
    window_s: float | None = Window


class IncidentRef(IntentArgs):
    run_id: str | None = Field(default=None, max_length=200, description="Incident run id; None: the latest.")


class ExplainArgs(IntentArgs):
    asset: str | None = Field(default=None, max_length=50)
    lot: str | None = Field(default=None, max_length=50)


class ShelveArgs(IntentArgs):
    asset: str = AssetRef
    duration_s: float = Field(default=3600.0, gt=0, le=8 * 3600, description="At most 8 h (ISA-18.2).")


WoType = Literal["CM", "PM", "EM", "PdM", "INSP"]


class WorkOrderArgs(IntentArgs):
    asset: str = AssetRef
    priority: int | None = Field(
        default=None,
        ge=1,
        le=5,
        description="1 most urgent .. 5 least; None: from the incident's priority, else 3.",
    )
    type: WoType | None = Field(
        default=None, description="None: CM for a root cause or a machine that is down, else INSP."
    )
    note: str | None = Field(default=None, max_length=500, description="What the operator said about it.")


class AssignArgs(IntentArgs):
    asset: str = AssetRef
    technician: str | None = Field(default=None, max_length=20, description="Technician id; None: best fit.")


class ShiftArgs(IntentArgs):
    shift: Literal["A", "B", "C"] | None = Field(default=None, description="None: the shift on duty.")


class PlanShiftArgs(IntentArgs):
    shift: Literal["A", "B", "C"] | None = Field(
        default=None, description="None: the next shift to start (or the one that has just begun)."
    )
    replan: bool = Field(
        default=False,
        description="Replan the shift in progress after a change (breakdown, rush order): least disruption.",
    )
    publish: bool = Field(default=True, description="False: a draft for review, nothing published.")


class MoveJobsArgs(IntentArgs):
    source: str = AssetRef
    target: str = AssetRef


class JobArgs(IntentArgs):
    job: str = Field(min_length=1, max_length=50, description="Job id, e.g. 'JOB-0012'.")


class LotArgs(IntentArgs):
    lot: str = Field(min_length=1, max_length=50, description="Lot id, e.g. 'LOT-0012'.")


class HoldArgs(IntentArgs):
    """Lots made on an asset in a window, or one lot."""

    asset: str | None = Field(default=None, max_length=50)
    lot: str | None = Field(default=None, max_length=50)
    window_s: float | None = Window


class SetpointArgs(IntentArgs):
    asset: str = AssetRef
    setpoint: str = Field(min_length=1, max_length=100, description="Setpoint name, e.g. 'spindle_speed'.")
    value: float = Field(allow_inf_nan=False)


class MachineModeArgs(IntentArgs):
    asset: str = AssetRef
