"""The supervisor's own intents: status, sensors, explanations, the handover report, incident replay.

All read-only: they answer from the plant (through the gate) and from the conversation's record.
"""

from __future__ import annotations

from collections import Counter

from pydantic import JsonValue

from agents import _intent_args as a
from agents._ops import OpsContext, StepOutcome, done, hm, ids, nothing, read
from tools import (
    GetAssetArgs,
    GetLotArgs,
    GetTagArgs,
    GetTagHistoryArgs,
    ListAlarmsArgs,
    ListAssetsArgs,
    ListJobsArgs,
    ListLotsArgs,
    ListWorkOrdersArgs,
    NoArgs,
    get_asset,
    get_clock,
    get_lot,
    get_tag,
    get_tag_history,
    list_alarms,
    list_assets,
    list_jobs,
    list_lots,
    list_work_orders,
)

SHIFT_S = 8 * 3600.0
""""This shift", when no window is said: the last 8 hours."""


async def plant_status(ctx: OpsContext, args: a.NoIntentArgs) -> StepOutcome:
    assets = (await read(ctx, list_assets, ListAssetsArgs(category="machine"))).assets
    alarms = (await read(ctx, list_alarms, ListAlarmsArgs())).alarms
    wos = (await read(ctx, list_work_orders, ListWorkOrdersArgs(status="open"))).work_orders
    held = (await read(ctx, list_lots, ListLotsArgs(on_hold=True))).lots
    by = Counter(x.status for x in assets)
    off = sorted(f"{x.id} ({x.status})" for x in assets if x.status in ("down", "stopped", "maintenance"))
    standing = [x for x in alarms if x.active and not x.shelved]
    return done(
        f"{len(assets)} machines: {by.get('running', 0)} running, {by.get('idle', 0)} idle, "
        f"{len(off)} not available ({ids(off)}). {len(standing)} standing alarm(s), "
        f"{len(wos)} open work order(s), {len(held)} lot(s) on hold.",
        f"共{len(assets)}台设备：{by.get('running', 0)}台运行，{by.get('idle', 0)}台空闲，"
        f"{len(off)}台不可用（{ids(off, True)}）。{len(standing)}个报警，{len(wos)}个未完成工单，{len(held)}个批次扣留。",
        statuses=dict(by),
        unavailable=[x.id for x in assets if x.status in ("down", "stopped", "maintenance")],
        standing_alarms=[x.id for x in standing],
        open_work_orders=[w.id for w in wos],
        held_lots=[x.id for x in held],
    )


async def line_status(ctx: OpsContext, args: a.LineArgs) -> StepOutcome:
    assets = (await read(ctx, list_assets, ListAssetsArgs(line=args.line))).assets
    parts = [f"{x.id} {x.status}" + (f" ({x.current_job.job})" if x.current_job else "") for x in assets]
    return done(
        f"Line {args.line}: " + "; ".join(parts) + ".",
        f"{args.line}线：" + "；".join(parts) + "。",
        assets={x.id: x.status for x in assets},
    )


async def asset_status(ctx: OpsContext, args: a.AssetArgs) -> StepOutcome:
    x = await read(ctx, get_asset, GetAssetArgs(asset_id=args.asset))
    job = f"job {x.current_job.job} op {x.current_job.op}" if x.current_job else "no job"
    job_zh = f"订单{x.current_job.job}工序{x.current_job.op}" if x.current_job else "无任务"
    oee = f", OEE {x.oee.oee:.0%}" if x.oee else ""
    why = f" ({x.down_reason})" if x.down_reason else ""
    wos = x.open_work_orders or []
    return done(
        f"{x.id} ({x.type_name}) is {x.status}{why}, mode {x.mode}: {job}, {x.queue_length or 0} queued{oee}; "
        f"open work orders: {ids(wos)}.",
        f"{x.id}（{x.type_name_zh}）状态{x.status}{why}，模式{x.mode}：{job_zh}，排队{x.queue_length or 0}个{oee}；"
        f"未完成工单：{ids(wos, True)}。",
        status=x.status,
        mode=x.mode,
        current_job=x.current_job.job if x.current_job else None,
        open_work_orders=list(wos),
    )


async def read_sensor(ctx: OpsContext, args: a.SensorArgs) -> StepOutcome:
    t = await read(ctx, get_tag, GetTagArgs(tag_id=args.tag))
    value = "no reading" if t.value is None else f"{t.value:g} {t.unit}"
    return done(
        f"{t.id} is {value} at {hm(t.time)}.",
        f"{t.id}在{hm(t.time)}为{value}。",
        tag=t.id,
        value=t.value,
        unit=t.unit,
    )


async def sensor_trend(ctx: OpsContext, args: a.SensorWindowArgs) -> StepOutcome:
    clock = await read(ctx, get_clock, NoArgs())
    window = args.window_s or SHIFT_S
    h = await read(
        ctx,
        get_tag_history,
        GetTagHistoryArgs(tag_id=args.tag, since_t=max(0.0, clock.t - window), max_points=200),
    )
    if not h.points:
        return nothing(
            f"No readings of {args.tag} in that window.", f"{args.tag}在该时段没有数据。", tag=args.tag
        )
    lo = min(p.min for p in h.points)
    hi = max(p.max for p in h.points)
    mean = sum(p.value for p in h.points) / len(h.points)
    first, last = h.points[0].value, h.points[-1].value
    # A move of more than a fifth of the window's range from first to last bucket is a trend.
    moved = (last - first) / (hi - lo) if hi > lo else 0.0
    trend = "rising" if moved > 0.2 else "falling" if moved < -0.2 else "steady"
    zh = {"rising": "上升", "falling": "下降", "steady": "平稳"}[trend]
    hours = window / 3600
    return done(
        f"{args.tag} over the last {hours:g} h: min {lo:.2f}, mean {mean:.2f}, max {hi:.2f} {h.unit}; {trend} "
        f"({first:.2f} -> {last:.2f}).",
        f"{args.tag}过去{hours:g}小时：最小{lo:.2f}，平均{mean:.2f}，最大{hi:.2f} {h.unit}；趋势{zh}（{first:.2f} -> {last:.2f}）。",
        tag=args.tag, min=lo, mean=mean, max=hi, trend=trend, points=len(h.points),
    )  # fmt: skip


async def explain(ctx: OpsContext, args: a.ExplainArgs) -> StepOutcome:
    if args.lot:
        lot = await read(ctx, get_lot, GetLotArgs(lot_id=args.lot))
        if not lot.on_hold:
            last = lot.holds[-1] if lot.holds else None
            extra = f" It was {last.action} by {last.by} at {hm(last.time)}: {last.reason}" if last else ""
            return done(
                f"{lot.id} is not on hold ({lot.status}).{extra}",
                f"{lot.id}未被扣留（{lot.status}）。",
                on_hold=False,
            )
        return done(
            f"{lot.id} ({lot.product}, machined on {ids(lot.machines)}) was put on hold by {lot.hold_by}: {lot.hold_reason}",
            f"{lot.id}（{lot.product}，加工设备{ids(lot.machines, True)}）由{lot.hold_by}扣留，原因：{lot.hold_reason}",
            on_hold=True, by=lot.hold_by, reason=lot.hold_reason,
        )  # fmt: skip
    if args.asset:
        x = await read(ctx, get_asset, GetAssetArgs(asset_id=args.asset))
        en, zh = [], []
        if x.down_reason:
            en.append(f"down: {x.down_reason}")
            zh.append(f"故障停机：{x.down_reason}")
        if x.locked_out_by:
            en.append(f"locked out by work order {x.locked_out_by}")
            zh.append(f"被工单{x.locked_out_by}挂牌上锁")
        if x.mode == "stopped":
            en.append("stopped by an operator (set_machine_mode)")
            zh.append("由操作员停机（set_machine_mode）")
        if not en:
            en.append(f"{x.status}, nothing abnormal")
            zh.append(f"状态{x.status}，无异常")
        return done(f"{x.id}: " + "; ".join(en) + ".", f"{x.id}：" + "；".join(zh) + "。", status=x.status)
    for turn in reversed(ctx.history):
        steps = turn.get("steps")
        if isinstance(steps, list) and steps:
            chain = [
                f"{s.get('n')}. {s.get('intent')} by {s.get('owner')}: {s.get('en')}"
                for s in steps
                if isinstance(s, dict)
            ]
            chain_zh = [
                f"{s.get('n')}. {s.get('intent')}（{s.get('owner')}）：{s.get('zh')}"
                for s in steps
                if isinstance(s, dict)
            ]
            return done(
                f"For '{turn.get('task')}' I did: " + " ".join(chain),
                f"针对“{turn.get('task')}”，我做了：" + " ".join(chain_zh),
                turn=turn.get("turn"),
            )
    return nothing("There is nothing earlier in this conversation to explain; ask about an asset or a lot.",
                   "本次对话中还没有可解释的决定；可以问某台设备或某个批次。")  # fmt: skip


async def handover_report(ctx: OpsContext, args: a.NoIntentArgs) -> StepOutcome:
    clock = await read(ctx, get_clock, NoArgs())
    alarms = [x for x in (await read(ctx, list_alarms, ListAlarmsArgs())).alarms if x.active]
    wos = (await read(ctx, list_work_orders, ListWorkOrdersArgs(status="open"))).work_orders
    held = (await read(ctx, list_lots, ListLotsArgs(on_hold=True))).lots
    assets = (await read(ctx, list_assets, ListAssetsArgs(category="machine"))).assets
    jobs = (await read(ctx, list_jobs, ListJobsArgs())).jobs
    off = [f"{x.id} {x.status}" for x in assets if x.status in ("down", "stopped", "maintenance")]
    late = [j.id for j in jobs if j.late and j.status != "complete"]
    al = [f"{x.id} ({x.priority}{', shelved' if x.shelved else ''})" for x in alarms]
    wo = [f"{w.id} {w.asset} {w.type} P{w.priority} {w.status}" for w in wos]
    lots = [f"{x.id} ({x.hold_reason})" for x in held]
    en = (
        f"Shift handover, shift {clock.shift}, {clock.time[:16].replace('T', ' ')}:\n"
        f"- machines not available: {ids(off)}\n- standing alarms ({len(al)}): {ids(al)}\n"
        f"- open work orders ({len(wo)}): {ids(wo)}\n- lots on hold ({len(lots)}): {ids(lots)}\n"
        f"- late jobs ({len(late)}): {ids(late)}"
    )
    zh = (
        f"交接班报告，{clock.shift}班，{clock.time[:16].replace('T', ' ')}：\n"
        f"- 不可用设备：{ids(off, True)}\n- 报警（{len(al)}）：{ids(al, True)}\n"
        f"- 未完成工单（{len(wo)}）：{ids(wo, True)}\n- 扣留批次（{len(lots)}）：{ids(lots, True)}\n"
        f"- 延期订单（{len(late)}）：{ids(late, True)}"
    )
    return done(
        en, zh, shift=clock.shift, unavailable=list(off), alarms=[x.id for x in alarms],
        work_orders=[w.id for w in wos], held_lots=[x.id for x in held], late_jobs=list(late),
    )  # fmt: skip


async def incident_replay(ctx: OpsContext, args: a.IncidentRef) -> StepOutcome:
    if ctx.incidents is None:
        return nothing("No incident library is connected to this session.", "本会话未连接事故库。")
    rec = await (ctx.incidents.get(args.run_id) if args.run_id else ctx.incidents.latest())
    if rec is None:
        which = args.run_id or "any incident"
        return nothing(f"No recorded run for {which}; `plantbrain incident run` records one.",
                       f"没有找到{which}的记录；可用`plantbrain incident run`记录事故。")  # fmt: skip
    lines_en: list[str] = [
        f"Incident {rec.get('run_id')} ({rec.get('status')}), trigger {rec.get('trigger')}:"
    ]
    lines_zh: list[str] = [f"事故{rec.get('run_id')}（{rec.get('status')}），触发：{rec.get('trigger')}："]
    decisions = rec.get("decisions")
    for i, d in enumerate(decisions if isinstance(decisions, list) else [], 1):
        if isinstance(d, dict):
            lines_en.append(f"{i}. {d.get('agent')}: {d.get('summary')} (rule: {d.get('rule')})")
            lines_zh.append(f"{i}. {d.get('agent')}：{d.get('summary')}（规则：{d.get('rule')}）")
    actions = rec.get("actions")
    acted: list[JsonValue] = [
        f"{x.get('tool')} {x.get('status')}"
        for x in (actions if isinstance(actions, list) else [])
        if isinstance(x, dict)
    ]
    lines_en.append(f"Actions: {ids([str(x) for x in acted])}.")
    lines_zh.append(f"操作：{ids([str(x) for x in acted], True)}。")
    return done("\n".join(lines_en), "\n".join(lines_zh), run_id=rec.get("run_id"), actions=acted)
