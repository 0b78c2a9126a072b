"""Quality intents: holding lots, releasing one (critical), the lots on hold, SPC and capability,
and process setpoints (critical).

"Hold the lots CNC-1 made in the last 2 hours" holds every lot with a measurement on that machine
in the window, plus the lot it is working on now; lots already on hold are left as they are.
"""

from __future__ import annotations

from pydantic import JsonValue

from agents import _intent_args as a
from agents._ops import OpsContext, StepOutcome, declined, done, ids, nothing, read, write
from agents._ops_desk import SHIFT_S
from agents._ops_maintenance import bind_asset
from agents._spc_capability import process_capability
from agents._spc_charts import estimate_individuals, individuals_chart
from agents._spc_rules import western_electric
from agents._specialist import Declined
from tools import (
    GetAssetArgs,
    GetJobArgs,
    GetLotArgs,
    ListLotsArgs,
    ListMeasurementsArgs,
    LotActionArgs,
    NoArgs,
    SetSetpointArgs,
    get_asset,
    get_clock,
    get_job,
    get_lot,
    hold_lot,
    list_lots,
    list_measurements,
    release_lot,
    set_setpoint,
)

SPC_RECENT = 30
"""A rule that fired within the last this-many measurements means the process is out of control now."""
SPC_MIN = 20
"""Fewer measurements than this: too few to judge."""


async def hold_lots(ctx: OpsContext, args: a.HoldArgs) -> StepOutcome:
    if args.lot:
        lots = [args.lot]
        why = "operator request"
    else:
        asset = bind_asset(ctx, args.asset or "") or ""
        now = (await read(ctx, get_clock, NoArgs())).t
        window = args.window_s or SHIFT_S
        ms = await read(
            ctx,
            list_measurements,
            ListMeasurementsArgs(machine=asset, since_t=max(0.0, now - window), limit=20000),
        )
        found = {m.lot for m in ms.measurements}
        x = await read(ctx, get_asset, GetAssetArgs(asset_id=asset))
        if x.current_job is not None:
            found.add((await read(ctx, get_job, GetJobArgs(job_id=x.current_job.job))).lot)
        lots = sorted(found)
        why = f"operator request: made on {asset} in the last {window / 3600:g} h"
    if not lots:
        return nothing("No lots match: nothing held.", "没有符合条件的批次：未扣留。", held=[])
    on_hold = {x.id for x in (await read(ctx, list_lots, ListLotsArgs(on_hold=True))).lots}
    held: list[JsonValue] = []
    for lot in lots:
        if lot in on_hold:
            continue
        out = await write(ctx, hold_lot, LotActionArgs(lot_id=lot, reason=why, by=ctx.agent))
        if isinstance(out, Declined):
            return declined(f"Holding {lot}", f"扣留{lot}", out)
        held.append(lot)
    already = sorted(set(lots) & on_hold)
    if not held:
        return nothing(
            f"{ids(already)} already on hold.",
            f"{ids(already, True)}已在扣留中。",
            held=[],
            already=list(already),
        )
    return done(
        f"Held {ids([str(x) for x in held])}" + (f"; already on hold: {ids(already)}" if already else "") + f" ({why}).",
        f"已扣留{ids([str(x) for x in held], True)}" + (f"；已在扣留中：{ids(already, True)}" if already else "") + "。",
        held=held, already=list(already),
    )  # fmt: skip


async def release(ctx: OpsContext, args: a.LotArgs) -> StepOutcome:
    lot = await read(ctx, get_lot, GetLotArgs(lot_id=args.lot))
    if not lot.on_hold:
        return nothing(
            f"{lot.id} is not on hold; nothing to release.", f"{lot.id}未被扣留，无需放行。", lot=lot.id
        )
    out = await write(ctx, release_lot, LotActionArgs(lot_id=lot.id, reason="operator request", by=ctx.agent))
    if isinstance(out, Declined):
        return declined(f"Releasing {lot.id}", f"放行{lot.id}", out)
    return done(f"Released {lot.id}.", f"已放行{lot.id}。", lot=lot.id, on_hold=out.on_hold)


async def held_lots(ctx: OpsContext, args: a.NoIntentArgs) -> StepOutcome:
    lots = (await read(ctx, list_lots, ListLotsArgs(on_hold=True))).lots
    rows = [f"{x.id} ({x.hold_reason})" for x in lots]
    return done(f"{len(lots)} lot(s) on hold: {ids(rows)}.", f"{len(lots)}个批次扣留中：{ids(rows, True)}。",
                held=[x.id for x in lots])  # fmt: skip


async def spc_check(ctx: OpsContext, args: a.AssetArgs) -> StepOutcome:
    asset = bind_asset(ctx, args.asset) or args.asset
    ms = (await read(ctx, list_measurements, ListMeasurementsArgs(machine=asset, limit=20000))).measurements
    by: dict[str, list[float]] = {}
    limits: dict[str, tuple[float, float]] = {}
    for m in ms:
        by.setdefault(m.characteristic, []).append(m.value)
        limits[m.characteristic] = (m.lsl, m.usl)
    if not by or all(len(v) < SPC_MIN for v in by.values()):
        return nothing(f"{asset} has too few measurements to judge ({len(ms)}).",
                       f"{asset}的测量数据太少（{len(ms)}个），无法判断。", asset=asset)  # fmt: skip
    verdicts: dict[str, JsonValue] = {}
    en, zh = [], []
    for ch, values in sorted(by.items()):
        if len(values) < SPC_MIN:
            continue
        base = estimate_individuals(values[: max(SPC_MIN, len(values) // 2)])
        chart = individuals_chart(values, base)
        recent = [v for v in western_electric(chart) if v.signal >= len(values) - SPC_RECENT]
        lsl, usl = limits[ch]
        cpk = process_capability(values[-100:], lsl=lsl, usl=usl).cpk
        ok = not recent
        verdicts[ch] = {"in_control": ok, "cpk": round(cpk, 3), "rules": [v.rule for v in recent]}
        rules = ", ".join(sorted({v.rule for v in recent}))
        en.append(f"{ch}: {'in control' if ok else 'OUT OF CONTROL (' + rules + ')'}, Cpk {cpk:.2f}")
        zh.append(f"{ch}：{'受控' if ok else '失控（' + rules + '）'}，Cpk {cpk:.2f}")
    all_ok = all(isinstance(v, dict) and v.get("in_control") for v in verdicts.values())
    return done(f"{asset}: " + "; ".join(en) + ".", f"{asset}：" + "；".join(zh) + "。",
                asset=asset, in_control=all_ok, characteristics=verdicts)  # fmt: skip


async def setpoint(ctx: OpsContext, args: a.SetpointArgs) -> StepOutcome:
    asset = bind_asset(ctx, args.asset) or args.asset
    out = await write(
        ctx, set_setpoint, SetSetpointArgs(asset_id=asset, name=args.setpoint, value=args.value, by=ctx.agent)
    )
    if isinstance(out, Declined):
        return declined(f"Setting {asset}.{args.setpoint}", f"设定{asset}.{args.setpoint}", out)
    return done(
        f"{asset}.{out.name} set to {out.value:g} {out.unit} (was {out.previous:g}).",
        f"{asset}.{out.name}已设为{out.value:g} {out.unit}（原为{out.previous:g}）。",
        asset=asset, setpoint=out.name, value=out.value, previous=out.previous,
    )  # fmt: skip
