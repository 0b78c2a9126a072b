"""Maintenance intents: work orders (open, list, assign), diagnosis, stopping and starting machines,
technicians and spare parts.

A work order is never opened twice: an open order of the same type on the asset is reported
instead (a duplicate work order is a classic agent failure). Stopping and starting machines are
critical: the gate holds them for a supervisor's approval.
"""

from __future__ import annotations

from agents import _intent_args as a
from agents._health import diagnose as rank_modes
from agents._health import health_index, tag_trend
from agents._ops import OpsContext, StepOutcome, declined, done, ids, nothing, read, write
from agents._specialist import Declined
from tools import (
    AssignWorkOrderArgs,
    CreateWorkOrderArgs,
    GetAssetArgs,
    GetTagHistoryArgs,
    ListWorkOrdersArgs,
    NoArgs,
    SetMachineModeArgs,
    assign_work_order,
    create_work_order,
    get_asset,
    get_asset_failure_modes,
    get_clock,
    get_tag_history,
    list_spare_parts,
    list_technicians,
    list_work_orders,
    set_machine_mode,
)

DIAGNOSE_WINDOW_S = 8 * 3600.0
"""How far back a diagnosis reads each sensor."""
_INCIDENT_PRIORITY = {"critical": 1, "high": 1, "medium": 2, "low": 3}
"""Work-order priority for an incident's priority (triage), when the operator named none."""
MIN_SCORE = 0.5
"""A failure mode is named only when at least half its signs are present."""


def bind_asset(ctx: OpsContext, asset: str) -> str | None:
    """`@root_cause` -> the root cause an earlier step found (None if none was)."""
    if asset != a.EARLIER_ROOT_CAUSE:
        return asset
    roots = ctx.earlier.get("root_cause")
    return str(roots[0]) if isinstance(roots, list) and roots else None


async def create_wo(ctx: OpsContext, args: a.WorkOrderArgs) -> StepOutcome:
    asset = bind_asset(ctx, args.asset)
    if asset is None:
        return nothing(
            "No root cause was found, so no work order was opened.", "未找到根因，因此没有开工单。"
        )
    x = await read(ctx, get_asset, GetAssetArgs(asset_id=asset))
    from_incident = args.asset == a.EARLIER_ROOT_CAUSE
    wo_type = args.type or ("CM" if x.status == "down" or from_incident else "INSP")
    priority = args.priority or (
        _INCIDENT_PRIORITY.get(str(ctx.earlier.get("priority")), 3) if from_incident else 3
    )
    open_wos = (await read(ctx, list_work_orders, ListWorkOrdersArgs(asset=asset, status="open"))).work_orders
    # No type said: any open order on the asset is the one asked for; a type said: one of that type.
    same = [w for w in open_wos if args.type is None or w.type == wo_type]
    if same:
        w = same[0]
        return nothing(
            f"{asset} already has an open {w.type} work order, {w.id} (P{w.priority}, {w.status}); no duplicate opened.",
            f"{asset}已有未完成的{w.type}工单{w.id}（{w.priority}级，{w.status}），未重复开单。",
            work_order=w.id, asset=asset, duplicate=True,
        )  # fmt: skip
    mode = ctx.earlier.get("failure_mode") if args.asset == a.EARLIER_ROOT_CAUSE else None
    wo = await write(
        ctx,
        create_work_order,
        CreateWorkOrderArgs(
            asset=asset,
            type=wo_type,
            priority=priority,
            description=f"Operator request: {args.note or 'inspect'}"[:2000],
            failure_mode=str(mode) if isinstance(mode, str) else None,
            by=ctx.agent,
        ),
    )
    if isinstance(wo, Declined):
        return declined(f"A work order on {asset}", f"{asset}的工单", wo)
    return done(
        f"Opened {wo.type} work order {wo.id} on {asset}, priority {wo.priority} ({wo.status}).",
        f"已为{asset}开{wo.type}工单{wo.id}，{wo.priority}级（{wo.status}）。",
        work_order=wo.id, asset=asset, type=wo.type, priority=wo.priority,
    )  # fmt: skip


async def list_wos(ctx: OpsContext, args: a.ScopeArgs) -> StepOutcome:
    wos = (await read(ctx, list_work_orders, ListWorkOrdersArgs(asset=args.asset, status="open"))).work_orders
    if args.line:
        wos = [w for w in wos if _on_line(ctx, w.asset, args.line)]
    rows = [f"{w.id} {w.asset} {w.type} P{w.priority} {w.status}" for w in wos]
    return done(
        f"{len(rows)} open work order(s): {ids(rows)}.",
        f"未完成工单{len(rows)}个：{ids(rows, True)}。",
        work_orders=[w.id for w in wos],
    )


def _on_line(ctx: OpsContext, asset: str, line: str) -> bool:
    e = ctx.lexicon.asset(asset)
    return e is not None and (e.line or e.area) == line


async def assign_wo(ctx: OpsContext, args: a.AssignArgs) -> StepOutcome:
    asset = bind_asset(ctx, args.asset) or args.asset
    wos = (await read(ctx, list_work_orders, ListWorkOrdersArgs(asset=asset, status="open"))).work_orders
    if not wos:
        return nothing(
            f"{asset} has no open work order to assign.", f"{asset}没有可分派的未完成工单。", asset=asset
        )
    wo = sorted(wos, key=lambda w: w.id)[-1]
    techs = (await read(ctx, list_technicians, NoArgs())).technicians
    if args.technician:
        tech = next((t for t in techs if t.id == args.technician), None)
    else:
        fit = [
            t
            for t in techs
            if t.on_shift and t.work_order is None and (wo.skill is None or wo.skill in t.skills)
        ]
        tech = fit[0] if fit else None
    if tech is None:
        return nothing(
            f"No technician on shift is free with the skill {wo.skill or 'needed'} for {wo.id}.",
            f"当班没有具备{wo.skill or '所需'}技能的空闲技术员处理{wo.id}。",
            work_order=wo.id,
        )
    out = await write(
        ctx, assign_work_order, AssignWorkOrderArgs(work_order_id=wo.id, technicians=[tech.id], by=ctx.agent)
    )
    if isinstance(out, Declined):
        return declined(f"Assigning {wo.id}", f"分派{wo.id}", out)
    return done(
        f"Assigned {wo.id} on {asset} to {tech.id} ({tech.name}).",
        f"已将{asset}的工单{wo.id}派给{tech.id}（{tech.name}）。",
        work_order=wo.id, technician=tech.id,
    )  # fmt: skip


async def diagnose(ctx: OpsContext, args: a.AssetArgs) -> StepOutcome:
    asset = bind_asset(ctx, args.asset) or args.asset
    x = await read(ctx, get_asset, GetAssetArgs(asset_id=asset))
    now = (await read(ctx, get_clock, NoArgs())).t
    trends = {}
    for tag_id in x.tags or []:
        h = await read(
            ctx,
            get_tag_history,
            GetTagHistoryArgs(tag_id=tag_id, since_t=max(0.0, now - DIAGNOSE_WINDOW_S), max_points=200),
        )
        name = tag_id.split(".", 1)[1]
        trends[name] = tag_trend(name, [p.t for p in h.points], [p.value for p in h.points])
    modes = (await read(ctx, get_asset_failure_modes, GetAssetArgs(asset_id=asset))).failure_modes
    ranked = rank_modes([m.model_dump(mode="json") for m in modes], trends)
    hi = health_index(list(trends.values()))
    top = ranked[0] if ranked and ranked[0].score >= MIN_SCORE else None
    moving = sorted(f"{n} {t.direction}" for n, t in trends.items() if t.direction != "flat")
    if top is None:
        return done(
            f"{asset}: health index {hi:.2f}; no failure mode stands out (moving: {ids(moving)}).",
            f"{asset}：健康指数{hi:.2f}；没有明显的故障模式（变化的信号：{ids(moving, True)}）。",
            asset=asset, health_index=hi, failure_mode=None, moving=list(moving),
        )  # fmt: skip
    return done(
        f"{asset}: health index {hi:.2f}; most likely {top.failure_mode} (score {top.score:.2f}: {top.explanation}).",
        f"{asset}：健康指数{hi:.2f}；最可能的故障模式{top.failure_mode}（得分{top.score:.2f}）。",
        asset=asset, health_index=hi, failure_mode=top.failure_mode, moving=list(moving),
    )  # fmt: skip


async def _mode(ctx: OpsContext, asset: str, mode: str) -> StepOutcome:
    verb_en, verb_zh = ("Stopping", "停机") if mode == "stopped" else ("Starting", "启动")
    out = await write(
        ctx,
        set_machine_mode,
        SetMachineModeArgs(asset_id=asset, mode=mode, reason="operator request via plantbrain", by=ctx.agent),
    )
    if isinstance(out, Declined):
        return declined(f"{verb_en} {asset}", f"{asset}{verb_zh}", out)
    return done(
        f"{asset} is now {out.status} (mode {out.mode}).", f"{asset}现在状态{out.status}（模式{out.mode}）。",
        asset=asset, mode=out.mode, status=out.status,
    )  # fmt: skip


async def stop_machine(ctx: OpsContext, args: a.MachineModeArgs) -> StepOutcome:
    return await _mode(ctx, bind_asset(ctx, args.asset) or args.asset, "stopped")


async def start_machine(ctx: OpsContext, args: a.MachineModeArgs) -> StepOutcome:
    return await _mode(ctx, bind_asset(ctx, args.asset) or args.asset, "auto")


async def technicians(ctx: OpsContext, args: a.ShiftArgs) -> StepOutcome:
    techs = (await read(ctx, list_technicians, NoArgs())).technicians
    chosen = [t for t in techs if (t.shift == args.shift if args.shift else t.on_shift)]
    rows = [
        f"{t.id} {t.name} ({'/'.join(t.skills)}{', on ' + t.work_order if t.work_order else ', free'})"
        for t in chosen
    ]
    which = f"shift {args.shift}" if args.shift else "on shift"
    return done(f"Technicians {which}: {ids(rows)}.", f"{args.shift or '本'}班技术员：{ids(rows, True)}。",
                technicians=[t.id for t in chosen])  # fmt: skip


async def spare_parts(ctx: OpsContext, args: a.NoIntentArgs) -> StepOutcome:
    parts = (await read(ctx, list_spare_parts, NoArgs())).parts
    low = [
        f"{p.id} {p.stock}/{p.min_stock} (lead {p.lead_time_h:g} h)"
        for p in parts
        if p.below_min or p.stock <= p.min_stock
    ]
    return done(
        f"{len(low)} part(s) at or below minimum stock: {ids(low)}.",
        f"{len(low)}种备件库存不高于最低库存：{ids(low, True)}。",
        low=[p.id for p in parts if p.below_min or p.stock <= p.min_stock],
    )
