"""Maintenance tools: work orders (list, create, status, assign), technicians, spare parts, history."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ._client import PlantClient
from ._spec import Args, NoArgs, WriteArgs
from ._tools_plant import AssetId, OptAsset, seg
from ._views_ops import MaintenanceHistory, SparePartList, TechnicianList, WorkOrder, WorkOrderList

WorkOrderId = Field(min_length=1, max_length=50, description="Work order id, e.g. 'WO-1001'.")
_WO = frozenset({"work_order_id"})


class ListWorkOrdersArgs(Args):
    asset: str | None = OptAsset
    status: Literal["WAPPR", "APPR", "INPRG", "COMP", "CLOSE", "CAN", "open"] | None = Field(
        default=None, description="Only this status; 'open' = WAPPR, APPR or INPRG."
    )


async def list_work_orders(client: PlantClient, args: ListWorkOrdersArgs) -> WorkOrderList:
    """Work orders with status, priority, failure mode, skill, parts, assigned technicians and
    history. Check for an open work order on an asset before creating another one."""
    return await client.get("/work-orders", WorkOrderList, params=args.model_dump())


class GetWorkOrderArgs(Args):
    work_order_id: str = WorkOrderId


async def get_work_order(client: PlantClient, args: GetWorkOrderArgs) -> WorkOrder:
    """One work order."""
    return await client.get(f"/work-orders/{seg(args.work_order_id)}", WorkOrder)


class CreateWorkOrderArgs(WriteArgs):
    asset: str = AssetId
    type: Literal["CM", "PM", "EM", "PdM", "INSP"] = Field(
        description="CM corrective, PM preventive, EM emergency, PdM predictive, INSP inspection."
    )
    priority: int = Field(ge=1, le=5, description="1 most urgent .. 5 least.")
    description: str = Field(min_length=1, max_length=2000, description="What is wrong and what to do.")
    failure_mode: str | None = Field(
        default=None,
        max_length=100,
        description="Failure mode id (get_asset_failure_modes); sets skill and parts.",
    )
    lockout: bool | None = Field(
        default=None,
        description="Lock the machine out while work is in progress (default: yes for machines).",
    )
    parts: dict[str, int] | None = Field(
        default=None, description="Spare parts id -> quantity (default: the failure mode's)."
    )
    estimated_h: float | None = Field(
        default=None, gt=0, le=168, allow_inf_nan=False, description="Hours of work."
    )
    window_start_t: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Proposed window start, seconds since reset."
    )
    window_end_t: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="Proposed window end; give both or neither."
    )


async def create_work_order(client: PlantClient, args: CreateWorkOrderArgs) -> WorkOrder:
    """Create a work order (status WAPPR, waiting for approval) on an asset. Name the failure mode
    when you know it: it fixes the skill and spare parts needed and what the repair restores."""
    return await client.post("/work-orders", args, WorkOrder)


class UpdateWorkOrderStatusArgs(WriteArgs):
    work_order_id: str = WorkOrderId
    status: Literal["WAPPR", "APPR", "INPRG", "COMP", "CLOSE", "CAN"] = Field(
        description="Next status: WAPPR->APPR|CAN, APPR->INPRG|CAN|WAPPR, INPRG->COMP, COMP->CLOSE."
    )
    note: str | None = Field(default=None, max_length=2000)


async def update_work_order_status(client: PlantClient, args: UpdateWorkOrderStatusArgs) -> WorkOrder:
    """Move a work order along its lifecycle. Starting it (INPRG) needs an assigned technician on
    shift with the skill, the spare parts in stock, and, for a lock-out, the machine already
    stopped (else an interlock error); it then locks the machine out until COMP."""
    return await client.post(f"/work-orders/{seg(args.work_order_id)}/status", args, WorkOrder, exclude=_WO)


class AssignWorkOrderArgs(WriteArgs):
    work_order_id: str = WorkOrderId
    technicians: list[str] = Field(min_length=1, max_length=10, description="Technician ids, e.g. ['T-01'].")


async def assign_work_order(client: PlantClient, args: AssignWorkOrderArgs) -> WorkOrder:
    """Assign technicians to an open work order; at least one must have the work order's skill.
    Pick technicians on shift and free (list_technicians)."""
    return await client.post(f"/work-orders/{seg(args.work_order_id)}/assign", args, WorkOrder, exclude=_WO)


async def list_technicians(client: PlantClient, args: NoArgs) -> TechnicianList:
    """Technicians with skills, shift, whether on shift now, and the work order they are on."""
    return await client.get("/technicians", TechnicianList)


async def list_spare_parts(client: PlantClient, args: NoArgs) -> SparePartList:
    """Spare parts stock, minimum stock and reorder lead time."""
    return await client.get("/parts", SparePartList)


class MaintenanceHistoryArgs(Args):
    asset: str | None = OptAsset


async def get_maintenance_history(client: PlantClient, args: MaintenanceHistoryArgs) -> MaintenanceHistory:
    """Completed maintenance (before and since reset): type, failure mode, when. Repeated failures
    of one mode on an asset point to a chronic cause."""
    return await client.get("/maintenance-history", MaintenanceHistory, params=args.model_dump())
