"""Alarm-triage intents: standing alarms, acknowledging and shelving them, and the root cause.

The root cause comes from the triage specialist (`triage_agent`: alarm grouping by plant
topology and time), asked about the earliest standing alarm in scope. Asked as a question, it
acts on nothing: its proposed acknowledgements are reported, not made.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from agents import _intent_args as a
from agents._ops import OpsContext, StepOutcome, declined, done, ids, nothing, read, write
from agents._specialist import Declined, Situation, findings_of
from agents._triage_agent import triage_agent
from tools import (
    AcknowledgeAlarmArgs,
    Alarm,
    ListAlarmsArgs,
    ShelveAlarmArgs,
    acknowledge_alarm,
    find_tool,
    list_alarms,
    shelve_alarm,
)

ACKABLE = ("UNACK", "RTNUN")
LIST_MAX = 6
"""An answer names at most this many alarms (the figures carry all of them)."""


async def alarms_in_scope(ctx: OpsContext, asset: str | None, line: str | None) -> list[Alarm]:
    """Standing alarms (not normal, or shelved) of an asset, a line (its machines and the utilities
    of its area) or the plant, oldest raise first."""
    alarms = (await read(ctx, list_alarms, ListAlarmsArgs(asset=asset))).alarms
    if line:
        alarms = [
            x for x in alarms if (e := ctx.lexicon.asset(x.asset)) is not None and (e.line or e.area) == line
        ]
    return sorted(alarms, key=lambda x: (x.last_raised or "", x.id))


def where(ctx: OpsContext, args: a.ScopeArgs, zh: bool = False) -> str:
    """The scope in words: an asset id, a line's name, or the plant."""
    if args.asset:
        return args.asset
    line = ctx.lexicon.line(args.line) if args.line else None
    if line is not None:
        return line.name_zh if zh else line.name
    return "全厂" if zh else "the plant"


async def list_standing(ctx: OpsContext, args: a.ScopeArgs) -> StepOutcome:
    alarms = await alarms_in_scope(ctx, args.asset, args.line)
    rows = [f"{x.id} {x.priority} {x.state}{' shelved' if x.shelved else ''}" for x in alarms[:LIST_MAX]]
    if len(alarms) > LIST_MAX:
        rows.append(f"+{len(alarms) - LIST_MAX}")
    return done(
        f"{len(alarms)} standing alarm(s) on {where(ctx, args)}: {ids(rows)}.",
        f"{where(ctx, args, True)}有{len(alarms)}个报警：{ids(rows, True)}。",
        alarms=[x.id for x in alarms],
    )


async def acknowledge(ctx: OpsContext, args: a.ScopeArgs) -> StepOutcome:
    alarms = [x for x in await alarms_in_scope(ctx, args.asset, args.line) if x.state in ACKABLE]
    if not alarms:
        return nothing(
            f"No unacknowledged alarms on {where(ctx, args)}.",
            f"{where(ctx, args, True)}没有未确认的报警。",
            acknowledged=[],
        )
    acked: list[JsonValue] = []
    for x in alarms:
        args_ = AcknowledgeAlarmArgs(
            alarm_id=x.id, comment="acknowledged at the operator's request", by=ctx.agent
        )
        out = await write(ctx, acknowledge_alarm, args_)
        if isinstance(out, Declined):
            return declined(f"Acknowledging {x.id}", f"确认{x.id}", out)
        acked.append(x.id)
    return done(
        f"Acknowledged {len(acked)} alarm(s) on {where(ctx, args)}: {ids([str(x) for x in acked])}.",
        f"已确认{where(ctx, args, True)}的{len(acked)}个报警：{ids([str(x) for x in acked], True)}。",
        acknowledged=acked,
    )


async def shelve(ctx: OpsContext, args: a.ShelveArgs) -> StepOutcome:
    alarms = [x for x in await alarms_in_scope(ctx, args.asset, None) if not x.shelved]
    if not alarms:
        return nothing(
            f"{args.asset} has no standing alarm to shelve.", f"{args.asset}没有可搁置的报警。", shelved=[]
        )
    done_: list[JsonValue] = []
    for x in alarms:
        out = await write(
            ctx,
            shelve_alarm,
            ShelveAlarmArgs(
                alarm_id=x.id,
                duration_s=args.duration_s,
                reason="shelved at the operator's request",
                by=ctx.agent,
            ),
        )
        if isinstance(out, Declined):
            return declined(f"Shelving {x.id}", f"搁置{x.id}", out)
        done_.append(x.id)
    hours = args.duration_s / 3600
    return done(
        f"Shelved {ids([str(x) for x in done_])} for {hours:g} h (they return to service on their own).",
        f"已搁置{ids([str(x) for x in done_], True)} {hours:g}小时（到时自动恢复）。",
        shelved=done_, duration_s=args.duration_s,
    )  # fmt: skip


async def trigger_of(ctx: OpsContext, args: a.ScopeArgs) -> dict[str, JsonValue] | None:
    """The operator's request as an incident trigger: the earliest standing alarm in scope."""
    alarms = [x for x in await alarms_in_scope(ctx, args.asset, args.line) if x.active or x.state in ACKABLE]
    if not alarms:
        return None
    first = alarms[0]
    return {"type": "operator.request", "alarm": first.id, "asset": first.asset, "tag": first.tag}


async def root_cause(ctx: OpsContext, args: a.ScopeArgs) -> StepOutcome:
    trigger = await trigger_of(ctx, args)
    if trigger is None:
        return nothing(f"No standing alarms on {where(ctx, args)}: nothing to trace.", f"{where(ctx, args, True)}没有报警，无需追溯根因。",
                       root_cause=[])  # fmt: skip
    proposed: list[JsonValue] = []

    async def propose_only(tool: str, tool_args: Mapping[str, object]) -> object:
        if find_tool(tool).risk == "read":
            return await ctx.act(tool, tool_args)
        proposed.append({"tool": tool, "args": {k: str(v) for k, v in tool_args.items()}})
        return Declined(tool=tool, reason="a question only: proposed, not done")

    decision = await triage_agent(ctx.client, propose_only, Situation(run_id="ask", trigger=trigger))
    f = findings_of(decision)
    roots = f.get("root_cause")
    if not isinstance(roots, list) or not roots:
        return nothing(f"Triage found no incident around {trigger['alarm']}.", f"围绕{trigger['alarm']}未发现事故。",
                       root_cause=[])  # fmt: skip
    affected = f.get("affected_assets")
    aff = [str(x) for x in affected] if isinstance(affected, list) else []
    out = StepOutcome(
        status="done",
        en=f"Root cause: {roots[0]}" + (" (uncorroborated: suspect its instrument)" if f.get("uncorroborated") else "")
        + f"; affected: {ids(aff)}. {decision.rationale}",
        zh=f"根因：{roots[0]}" + ("（未得到印证：怀疑仪表）" if f.get("uncorroborated") else "") + f"；受影响设备：{ids(aff, True)}。",
        data={"root_cause": roots, "affected_assets": list(aff), "rule": decision.rule, "proposed": proposed},
        findings=dict(f),
    )  # fmt: skip
    return out
