"""The alarm-triage specialist: which asset started the incident, and which alarms follow from it.

Reads the alarm and asset events, the topology and the current alarms through read tools, runs
`analyze_alarms`, and picks the incident that holds the triggering event. Its root cause is the
asset upstream of the most other alarmed assets (a utility before the machines it feeds); a
machine that went down with no alarm incident around it is its own root cause (a breakdown); a
lone alarm on one tag with nothing upstream or downstream is *uncorroborated*: suspect the sensor.
Consequential alarms of the incident still unacknowledged are acknowledged with the reason (write
tool, through `act`). The root cause's own alarms are left for the people who fix it.

Findings (see `agents._specialist.findings_evidence`): `root_cause` (asset ids), `root_category`,
`affected_assets`, `affected_machines` (whose production the incident touches), `onset_t`,
`window` ({start_t, end_t}), `uncorroborated`, `alarm_tag` (the lone alarm's tag, if any),
`incident`, `down` (assets down or tripped), `priority` (high|medium|low).
"""

from __future__ import annotations

from pydantic import JsonValue

from agents._alarm_analytics import AlarmAnalysis, Incident, analyze_alarms
from agents._alarm_records import alarm_log_from_events, topology_from_json
from agents._decision import Decision, Evidence, ToolCall
from agents._quality_excursion import fed_machines
from agents._specialist import FOLLOW_UP_TRIGGER, Act, Situation, findings_evidence
from tools import (
    AlarmList,
    ListAlarmsArgs,
    ListJobsArgs,
    NoArgs,
    PlantClient,
    get_clock,
    get_topology,
    list_alarms,
    list_jobs,
    read_events,
)

_PAGE = 10000


async def _follow_up(client: PlantClient, act: Act, situation: Situation) -> Decision:
    """A failed utility keeps its fed machines alarming after the first pass (they heat, trip,
    and raise HIHI): those alarms are consequences of the known root cause and are acknowledged
    with that reason, so the operator's list shows what still needs a person."""
    f = situation.findings
    roots = f.get("root_cause")
    root = str(roots[0]) if isinstance(roots, list) and roots else None
    if root is None or f.get("root_category") != "utility":
        return Decision(
            agent="alarm_triage",
            summary="Follow-up: no utility excursion, nothing to acknowledge.",
            rule="follow-up: consequences of a known utility failure are acknowledged",
            rationale="The root cause is not a utility.",
            confidence=0.8,
        )
    fed = fed_machines(await get_topology(client, NoArgs()), root)
    alarms = (await list_alarms(client, ListAlarmsArgs(state="any"))).alarms
    calls: list[ToolCall] = []
    for a in sorted(alarms, key=lambda a: a.id):
        if a.asset not in fed or a.state not in ("UNACK", "RTNUN"):
            continue
        args: dict[str, JsonValue] = {
            "alarm_id": a.id,
            "comment": f"consequence of {root} failure (root cause of incident {f.get('incident')}); "
            f"{a.asset} is fed by {root}",
            "by": "alarm_triage",
        }
        await act("acknowledge_alarm", args)
        calls.append(ToolCall(tool="acknowledge_alarm", args=args, risk="write"))
    summary = f"Follow-up: {len(calls)} consequential alarm(s) on machines fed by {root} acknowledged."
    return Decision(
        agent="alarm_triage",
        summary=summary,
        observed=(
            Evidence(source="GET /topology", summary=f"{root} feeds {', '.join(fed) or 'no machine'}"),
            Evidence(source="GET /alarms", summary=f"{len(alarms)} alarm records read"),
            findings_evidence(summary, affected_assets=list(fed)),
        ),
        rule="follow-up: alarms on machines a failed utility feeds are its consequences (ISA-18.2)",
        rationale=f"{root} is still the root cause; its fed machines alarm because of it.",
        tool_calls=tuple(calls),
        confidence=0.85,
    )


def _pick_incident(analysis: AlarmAnalysis, trigger: dict[str, JsonValue]) -> Incident | None:
    alarm, asset = trigger.get("alarm"), trigger.get("asset")
    if isinstance(alarm, str) and (inc := analysis.incident_of(alarm)) is not None:
        return inc
    if isinstance(asset, str):
        holding = [i for i in analysis.open_incidents() if asset in i.assets]
        if holding:
            return holding[0]
    return None


async def triage_agent(client: PlantClient, act: Act, situation: Situation) -> Decision:
    """Find the root cause of the incident around the trigger and acknowledge its consequences."""
    if situation.trigger.get("type") == FOLLOW_UP_TRIGGER:
        return await _follow_up(client, act, situation)
    clock = await get_clock(client, NoArgs())
    alarm_events = await read_events(client, "alarm.")
    asset_events = await read_events(client, "asset.")
    topo_view = await get_topology(client, NoArgs())
    alarms: AlarmList = await list_alarms(client, ListAlarmsArgs(state="any"))
    log = alarm_log_from_events([e.flat() for e in alarm_events + asset_events], now=clock.t)
    topo = topology_from_json(topo_view.model_dump(mode="json"))
    analysis = analyze_alarms(log, topo)
    machines = {a.id for a in topo.assets if a.category == "machine"}
    down = sorted({str(e.data.get("asset")) for e in asset_events if e.asset_went_down})
    trigger = situation.trigger
    incident = _pick_incident(analysis, trigger)
    observed = [
        Evidence(
            source="GET /events?type=alarm. and asset.",
            summary=analysis.explanation.detail,
            data={"alarm_events": len(alarm_events), "asset_events": len(asset_events), "now": clock.t},
        ),
        Evidence(source="GET /topology", summary=f"{len(topo.assets)} assets in the feed graph"),
    ]
    trig_asset = trigger.get("asset")
    trig_t = trigger.get("t")
    onset = float(trig_t) if isinstance(trig_t, int | float) else clock.t
    if incident is not None and incident.root_causes:
        top = incident.root_causes[0]
        root, uncorroborated = top.asset, not top.corroborated
        onset = min(onset, incident.start_t)
        affected = sorted(a for a in incident.assets if a != root)
        priority = incident.priority.level
        rule = "alarm incident by topology and time; root cause = upstream of most alarmed assets"
        rationale = top.rationale
        first_alarm = top.first_alarm
        confidence = 0.6 if uncorroborated else min(0.95, 0.6 + 0.35 * top.score)
        observed.append(
            Evidence(
                source="analyze_alarms",
                summary=incident.explanation.detail,
                data={
                    "incident": incident.id,
                    "assets": list(incident.assets),
                    "trips": list(incident.trips),
                },
            )
        )
    elif isinstance(trig_asset, str) and trig_asset in down:
        root, uncorroborated, first_alarm = trig_asset, False, None
        affected, priority = [], "high"
        rule = "machine down for a fault with no alarm incident upstream: the machine itself"
        rationale = f"{root} went down ({trigger.get('reason', 'fault')}) and no alarmed asset feeds it."
        confidence = 0.9
    else:
        return Decision(
            agent="alarm_triage",
            summary="No incident around the trigger: nothing to triage.",
            observed=(*observed, findings_evidence("no incident", root_cause=[])),
            rule="alarm incident by topology and time",
            rationale="The trigger is not part of any alarm incident and no asset went down.",
            confidence=0.5,
        )
    impacted = sorted(({root} | set(affected)) & machines) if not uncorroborated else []
    acks = [
        x
        for x in analysis.actions
        if x.action == "acknowledge"
        and incident is not None
        and x.incident == incident.id
        and x.asset != root
        and any(a.id == x.alarm and a.state in ("UNACK", "RTNUN") for a in alarms.alarms)
    ]
    calls: list[ToolCall] = []
    for x in acks:
        args: dict[str, JsonValue] = {"alarm_id": x.alarm, "comment": x.reason, "by": "alarm_triage"}
        await act("acknowledge_alarm", args)
        calls.append(ToolCall(tool="acknowledge_alarm", args=args, risk="write"))
    alarm_tag = next((a.tag for a in alarms.alarms if a.id == first_alarm), None) if first_alarm else None
    cut_off: list[JsonValue] = []
    if root in down and root in machines:
        # The job a breakdown stopped mid-operation: its lot waits, half-machined, for the repair.
        jobs = (await list_jobs(client, ListJobsArgs(machine=root))).jobs
        cut_off = [
            *sorted({j.lot for j in jobs for op in j.ops if op.machine == root and op.status == "paused"})
        ]
    findings = findings_evidence(
        f"root cause {root}" + (" (uncorroborated: suspect the instrument)" if uncorroborated else ""),
        root_cause=[root],
        root_category="utility" if root not in machines else "machine",
        affected_assets=list(affected),
        affected_machines=list(impacted),
        onset_t=onset,
        window={"start_t": onset, "end_t": clock.t},
        uncorroborated=uncorroborated,
        alarm_tag=alarm_tag,
        incident=incident.id if incident else None,
        down=list(down),
        priority=priority,
        affected_lots=cut_off,
    )
    return Decision(
        agent="alarm_triage",
        summary=f"Root cause {root}; {len(affected)} affected asset(s); {len(calls)} alarm(s) acknowledged.",
        observed=(*observed, findings),
        rule=rule,
        rationale=rationale,
        tool_calls=tuple(calls),
        confidence=round(confidence, 3),
    )
