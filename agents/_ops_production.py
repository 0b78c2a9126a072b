"""Scheduling intents: the published schedule, moving a machine's queue, jobs, lateness, material.

Moving jobs republishes the whole schedule (the plant's contract): every other machine keeps its
queue and order; the source's queued operations go to the end of the target's queue, in their
order; a running operation stays where it is. A target of another machine type is refused with
the reason, nothing published. A target maintenance holds (down, stopped, locked out, an open
corrective order) is a conflict the supervisor's rule settles, safety before delivery, and the
answer says so.
"""

from __future__ import annotations

from pydantic import JsonValue

from agents import _intent_args as a
from agents._decision import Claim, ConflictResolution, resolve_conflict
from agents._ops import OpsContext, StepOutcome, declined, done, hm, ids, nothing, read, write
from agents._ops_maintenance import bind_asset
from agents._specialist import Declined
from tools import (
    Assignment,
    GetAssetArgs,
    GetJobArgs,
    ListJobsArgs,
    ListWorkOrdersArgs,
    NoArgs,
    PublishScheduleArgs,
    get_asset,
    get_clock,
    get_job,
    get_schedule,
    list_jobs,
    list_materials,
    list_work_orders,
    publish_schedule,
)

_MOVABLE = ("pending", "paused")


async def show_schedule(ctx: OpsContext, args: a.ScopeArgs) -> StepOutcome:
    sched = await read(ctx, get_schedule, NoArgs())
    if args.asset:
        machines = [args.asset]
    elif args.line:
        machines = [m.id for m in ctx.lexicon.machines_of(args.line)]
    else:
        machines = sorted(sched.machines)
    rows_en, rows_zh, data = [], [], {}
    for m in machines:
        q = sched.machines.get(m, [])
        refs = [f"{o.job}/{o.op}{' (running)' if o.status == 'running' else ''}" for o in q]
        data[m] = [f"{o.job}/{o.op}" for o in q]
        rows_en.append(f"{m}: {ids(refs[:8])}{' …' if len(refs) > 8 else ''} ({len(q)} in queue)")
        rows_zh.append(f"{m}：{ids(refs[:8], True)}{'…' if len(refs) > 8 else ''}（排队{len(q)}个）")
    return done(
        f"Schedule v{sched.version}: " + "; ".join(rows_en) + ".",
        f"排程第{sched.version}版：" + "；".join(rows_zh) + "。",
        version=sched.version, queues=data,  # type: ignore[arg-type]
    )  # fmt: skip


async def move_jobs(ctx: OpsContext, args: a.MoveJobsArgs) -> StepOutcome:
    source = bind_asset(ctx, args.source) or args.source
    target = args.target
    src, dst = ctx.lexicon.asset(source), ctx.lexicon.asset(target)
    if src is None or dst is None or src.type != dst.type:
        kinds = f"{src.type_name if src else source} vs {dst.type_name if dst else target}"
        return nothing(
            f"{source}'s jobs cannot move to {target}: the operations need the same machine type ({kinds}). Nothing published.",
            f"{source}的任务不能转到{target}：需要同类型设备（{kinds}）。未发布排程。",
            moved=[],
        )  # fmt: skip
    conflict = await _target_conflict(ctx, source, target)
    if conflict is not None:
        return nothing(
            f"{source}'s jobs were not moved to {target}: {conflict.rationale}",
            f"{source}的任务未转到{target}：{target}不可用（安全优先于交付）。{conflict.rationale}",
            moved=[], conflict=conflict.model_dump(mode="json"),
        )  # fmt: skip
    sched = await read(ctx, get_schedule, NoArgs())
    now = (await read(ctx, get_clock, NoArgs())).t
    moving = [o for o in sched.machines.get(source, []) if o.status in _MOVABLE]
    if not moving:
        return nothing(
            f"{source} has no queued operations to move.", f"{source}没有可转移的排队任务。", moved=[]
        )
    tail = max([now] + [o.planned_start_t or now for o in sched.machines.get(target, [])])
    assignments: list[Assignment] = []
    for m, queue in sorted(sched.machines.items()):
        for o in queue:
            if o.status not in _MOVABLE or m == source:
                continue
            assignments.append(Assignment(job=o.job, op=o.op, machine=m, start_t=o.planned_start_t or now))
    for i, o in enumerate(moving, 1):
        assignments.append(Assignment(job=o.job, op=o.op, machine=target, start_t=tail + i))
    reason = f"operator request: move {source}'s queued operations to {target}"
    out = await write(
        ctx, publish_schedule, PublishScheduleArgs(assignments=assignments, reason=reason, by=ctx.agent)
    )
    if isinstance(out, Declined):
        return declined(f"Moving {source}'s jobs", f"转移{source}的任务", out)
    moved: list[JsonValue] = [f"{o.job}/{o.op}" for o in moving]
    return done(
        f"Moved {len(moving)} operation(s) from {source} to {target} ({ids([str(x) for x in moved][:6])}"
        f"{' …' if len(moved) > 6 else ''}); schedule v{out.version} published.",
        f"已将{len(moving)}个任务从{source}转到{target}；排程第{out.version}版已发布。",
        moved=moved, version=out.version, source=source, target=target,
    )  # fmt: skip


async def _target_conflict(ctx: OpsContext, source: str, target: str) -> ConflictResolution | None:
    """Maintenance's claim on the target (down, stopped, locked out, or under an open corrective
    order) against the operator's move: settled by safety > quality > delivery > cost."""
    x = await read(ctx, get_asset, GetAssetArgs(asset_id=target))
    wos = (await read(ctx, list_work_orders, ListWorkOrdersArgs(asset=target, status="open"))).work_orders
    urgent = [w.id for w in wos if w.type in ("CM", "EM")]
    if x.status not in ("down", "maintenance") and x.mode != "stopped" and not urgent:
        return None
    why = f"{target} is {x.status}" + (f" with open work order(s) {', '.join(urgent)}" if urgent else "")
    resource = f"machine {target}"
    return resolve_conflict(
        [
            Claim(
                agent="scheduling",
                resource=resource,
                concern="delivery",
                reason=f"move {source}'s jobs there",
            ),
            Claim(agent="maintenance", resource=resource, concern="safety", reason=why),
        ]
    )


async def job_status(ctx: OpsContext, args: a.JobArgs) -> StepOutcome:
    j = await read(ctx, get_job, GetJobArgs(job_id=args.job))
    ops = [f"{o.index}:{o.type}@{o.machine or '-'} {o.status}" for o in j.ops]
    late = "late" if j.late else "on time"
    return done(
        f"{j.id} ({j.product} x{j.qty}, lot {j.lot}) is {j.status}, due {hm(j.due_time)}, {late}; ops {ids(ops)}.",
        f"{j.id}（{j.product}×{j.qty}，批次{j.lot}）状态{j.status}，交期{hm(j.due_time)}，{'已延期' if j.late else '按时'}；工序{ids(ops, True)}。",
        job=j.id, status=j.status, late=j.late,
    )  # fmt: skip


async def late_jobs(ctx: OpsContext, args: a.NoIntentArgs) -> StepOutcome:
    jobs = (await read(ctx, list_jobs, ListJobsArgs())).jobs
    late = [j for j in jobs if j.late and j.status != "complete"]
    rows = [f"{j.id} (due {hm(j.due_time)}, {j.status})" for j in late]
    return done(
        f"{len(late)} late job(s): {ids(rows)}.",
        f"{len(late)}个订单延期：{ids(rows, True)}。",
        late=[j.id for j in late],
    )


async def material_stock(ctx: OpsContext, args: a.NoIntentArgs) -> StepOutcome:
    mats = (await read(ctx, list_materials, NoArgs())).materials
    rows = [
        f"{m.id} {m.stock:g} {m.unit} (demand {m.open_demand:g}, next {m.next_delivery_qty:g} at {hm(m.next_delivery_time)})"
        for m in mats
    ]
    short = [m.id for m in mats if m.stock < m.open_demand]
    return done(
        f"Material: {ids(rows)}. Short: {ids(short, none='none')}.",
        f"原材料：{ids(rows, True)}。不足：{ids(short, True, none='无')}。",
        stock={m.id: m.stock for m in mats}, short=list(short),
    )  # fmt: skip
