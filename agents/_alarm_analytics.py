"""Alarm analytics for the alarm-triage specialist: pure, deterministic and explainable.

    log = alarm_log_from_events(events_json, now=clock_t)   # GET /events?type=alarm. and asset.
    topo = topology_from_json(topology_json)                # GET /topology
    analysis = analyze_alarms(log, topo)                    # DEFAULT_ALARM_POLICY unless policy=...
    analysis.incidents[0].root_causes[0].asset              # e.g. 'P-201'

No I/O and no LangGraph here: records in, records out. Every result carries an `AlarmExplanation`
(the rule that decided and what it looked at), the raw material of the decision chain. The
actions are proposals only; the specialist executes them through tools.

Pipeline: dedupe (`_alarm_rules`) -> chattering, floods, stale -> incidents by topology and time,
root-cause ranking and priority (`_alarm_incidents`) -> proposed acknowledge/shelve actions.
"""

from __future__ import annotations

from pydantic import Field

from ._alarm_incidents import (
    AlarmAction,
    Incident,
    IncidentPriority,
    RootCauseCandidate,
    group_incidents,
    incident_priority,
    propose_actions,
    rank_root_causes,
)
from ._alarm_policy import DEFAULT_ALARM_POLICY, AlarmPolicy
from ._alarm_records import (
    AlarmEvent,
    AlarmEventKind,
    AlarmExplanation,
    AlarmLog,
    AlarmPriority,
    AssetEvent,
    AssetNode,
    Topology,
    _Frozen,
    alarm_log_from_events,
    topology_from_json,
)
from ._alarm_rules import (
    AlarmOccurrence,
    ChatterFinding,
    FloodPeriod,
    StaleAlarm,
    dedupe_alarms,
    find_chattering,
    find_floods,
    find_stale,
)


class AlarmAnalysis(_Frozen):
    """Everything the alarm analytics found in one read of the alarm log."""

    now: float
    occurrences: tuple[AlarmOccurrence, ...] = Field(
        description="Deduplicated alarm occurrences, oldest first."
    )
    chattering: tuple[ChatterFinding, ...]
    floods: tuple[FloodPeriod, ...]
    stale: tuple[StaleAlarm, ...]
    incidents: tuple[Incident, ...] = Field(
        description="Oldest first; see `open_incidents` for the standing ones."
    )
    actions: tuple[AlarmAction, ...] = Field(description="Proposed, not executed.")
    explanation: AlarmExplanation

    def open_incidents(self) -> tuple[Incident, ...]:
        """Incidents with an alarm still standing, most urgent first, then the newest."""
        return tuple(
            sorted((i for i in self.incidents if i.active), key=lambda i: (i.priority.rank, -i.start_t))
        )

    def incident_of(self, alarm: str) -> Incident | None:
        """The latest incident holding an occurrence of `alarm`, if any."""
        return next((i for i in reversed(self.incidents) if alarm in i.alarms), None)


def analyze_alarms(
    log: AlarmLog, topology: Topology, *, policy: AlarmPolicy = DEFAULT_ALARM_POLICY
) -> AlarmAnalysis:
    """Run every alarm rule over one alarm log and the plant topology."""
    occurrences = dedupe_alarms(log, topology, policy=policy)
    chattering = find_chattering(log, policy=policy)
    floods = find_floods(log, topology, policy=policy)
    stale = find_stale(occurrences, log.now, policy=policy)
    incidents = group_incidents(occurrences, topology, log, chattering=chattering, policy=policy)
    actions = propose_actions(incidents, occurrences, chattering, topology, policy=policy)
    raises = sum(1 for e in log.alarm_events if e.kind == "raised")
    return AlarmAnalysis(
        now=log.now,
        occurrences=occurrences,
        chattering=chattering,
        floods=floods,
        stale=stale,
        incidents=incidents,
        actions=actions,
        explanation=AlarmExplanation(
            rule="alarm analytics (dedupe, chattering, flood, stale, incidents by topology and time)",
            looked_at=(f"{len(log.alarm_events)} alarm events", f"{len(topology.assets)} assets"),
            detail=(
                f"{raises} raises -> {len(occurrences)} occurrences; {len(chattering)} chattering, "
                f"{len(floods)} flood period(s), {len(stale)} stale; {len(incidents)} incident(s); "
                f"{len(actions)} proposed action(s)"
            ),
        ),
    )


__all__ = [
    "AlarmAction",
    "AlarmAnalysis",
    "AlarmEvent",
    "AlarmEventKind",
    "AlarmLog",
    "AlarmOccurrence",
    "DEFAULT_ALARM_POLICY",
    "AlarmPolicy",
    "AssetEvent",
    "AssetNode",
    "ChatterFinding",
    "AlarmExplanation",
    "FloodPeriod",
    "Incident",
    "IncidentPriority",
    "AlarmPriority",
    "RootCauseCandidate",
    "StaleAlarm",
    "Topology",
    "alarm_log_from_events",
    "analyze_alarms",
    "dedupe_alarms",
    "find_chattering",
    "find_floods",
    "find_stale",
    "group_incidents",
    "incident_priority",
    "propose_actions",
    "rank_root_causes",
    "topology_from_json",
]
