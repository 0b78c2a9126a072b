"""`respond_incident`: an operator's "handle the incident on line 2" runs the incident specialists.

The same specialists and the same routing as the incident graph (`_order`, `_needs`): triage on
the earliest standing alarm in scope, then maintenance, scheduling and quality as the findings
need them, each acting through this step's gate. Its findings (root cause, work orders) are
left for the task's later steps.
"""

from __future__ import annotations

from pydantic import JsonValue

from agents import _intent_args as a
from agents._ops import OpsContext, StepOutcome, ids, nothing
from agents._ops_alarms import trigger_of, where
from agents._specialist import Situation, findings_of
from graphs._incident import _needs, _order, load_specialists


async def respond_incident(ctx: OpsContext, args: a.ScopeArgs) -> StepOutcome:
    place, place_zh = where(ctx, args), where(ctx, args, True)
    trigger = await trigger_of(ctx, args)
    if trigger is None:
        return nothing(
            f"No standing alarms on {place}: no incident to handle.",
            f"{place_zh}没有报警：没有需要处理的事故。",
        )
    agents = load_specialists()
    findings: dict[str, JsonValue] = {}
    done: list[str] = []
    summaries_en: list[str] = []
    summaries_zh: list[str] = []
    run_id = f"ask-{trigger['alarm']}"
    while True:
        # Triage always goes first (as the incident graph's `event` node does); then the routing.
        nxt = "alarm_triage" if not done else None
        nxt = nxt or next(
            (n for n in _order(findings, trigger) if n not in done and _needs(n, findings, trigger)), None
        )
        if nxt is None or nxt not in agents:
            break
        decision = await agents[nxt](
            ctx.client, ctx.act, Situation(run_id=run_id, trigger=trigger, findings=findings)
        )
        findings |= findings_of(decision)
        done.append(nxt)
        summaries_en.append(f"{nxt}: {decision.summary}")
        summaries_zh.append(f"{nxt}：{decision.summary}")
    roots = findings.get("root_cause")
    root = [str(x) for x in roots] if isinstance(roots, list) else []
    if not root:
        return nothing(
            f"No incident found around {trigger['alarm']} on {place}; nothing done. "
            + " ".join(summaries_en),
            f"{place_zh}围绕{trigger['alarm']}未发现事故；未执行任何操作。",
            specialists=list(done),
        )
    wos = findings.get("work_orders")
    return StepOutcome(
        status="done",
        en=f"Incident on {place}: root cause {ids(root)}. " + " ".join(summaries_en),
        zh=f"{place_zh}事故：根因{ids(root, True)}。" + " ".join(summaries_zh),
        data={
            "root_cause": list(root),
            "specialists": list(done),
            "work_orders": wos if isinstance(wos, list) else [],
        },
        findings=findings,
    )
