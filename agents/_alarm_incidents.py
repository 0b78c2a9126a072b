"""Incidents: co-occurring alarms grouped by plant topology and time, their root cause,
their priority, and the consequential alarms to acknowledge.

Grouping: two alarm occurrences belong to one incident when their assets are the same or one
feeds the other (directly or through other utilities), and they co-occur: the later one is raised
while the earlier stands, or within `group_window_s` of its raise or clearing; across assets,
also at most `max_propagation_s` apart. Incidents are the connected groups of that relation.
Chattering alarms are left out: they say nothing about when a disturbance began.

Root cause: the asset upstream of the most other alarmed assets of the incident comes first (a
utility before the machines it feeds), and among peers the earliest alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from ._alarm_policy import DEFAULT_ALARM_POLICY, AlarmPolicy
from ._alarm_records import PRIORITY_RANK, AlarmExplanation, AlarmLog, AlarmPriority, Topology, _Frozen
from ._alarm_rules import AlarmOccurrence, ChatterFinding

_LEVELS: tuple[AlarmPriority, ...] = ("high", "medium", "low")


class RootCauseCandidate(_Frozen):
    """One asset of an incident, as a candidate cause of the whole incident."""

    asset: str
    category: Literal["machine", "utility", "unknown"]
    rank: int = Field(description="1 is the most likely root cause.")
    score: float = Field(
        description="(assets explained + earliness) / assets in the incident, in (0, 1]: the rank order."
    )
    explains: tuple[str, ...] = Field(description="Other alarmed assets of the incident this asset feeds.")
    first_alarm: str
    first_raised_t: float
    corroborated: bool = Field(
        description="False for a lone alarm on one tag, with nothing upstream or downstream: suspect the instrument."
    )
    rationale: str


class IncidentPriority(_Frozen):
    """How urgent an incident is (ISA-18.2 levels), and which rules decided."""

    level: AlarmPriority
    rank: int = Field(description="1 high, 2 medium, 3 low.")
    explanation: AlarmExplanation


class Incident(_Frozen):
    """Co-occurring alarms on connected assets: one disturbance."""

    id: str = Field(description="'INC-<seq of the first raise>': stable across re-reads of the log.")
    occurrences: tuple[str, ...]
    alarms: tuple[str, ...]
    assets: tuple[str, ...]
    areas: tuple[str, ...]
    start_t: float
    last_raised_t: float
    active: bool = Field(description="Some alarm of it still stands.")
    trips: tuple[str, ...] = Field(description="Assets that tripped on protection during the incident.")
    root_causes: tuple[RootCauseCandidate, ...]
    priority: IncidentPriority
    explanation: AlarmExplanation


class AlarmAction(_Frozen):
    """A proposed operator action on one alarm (not executed here)."""

    action: Literal["acknowledge", "shelve"]
    alarm: str
    asset: str
    incident: str | None
    duration_s: float | None = Field(description="Shelving time; None for acknowledge.")
    reason: str = Field(description="The reason recorded with the action at the plant.")
    explanation: AlarmExplanation


def _related(a: str, b: str, up: dict[str, frozenset[str]]) -> bool:
    return a == b or a in up.get(b, frozenset()) or b in up.get(a, frozenset())


def group_incidents(
    occurrences: tuple[AlarmOccurrence, ...],
    topology: Topology,
    log: AlarmLog,
    *,
    chattering: tuple[ChatterFinding, ...] = (),
    policy: AlarmPolicy = DEFAULT_ALARM_POLICY,
) -> tuple[Incident, ...]:
    """Group occurrences into incidents, rank their root causes and set their priority."""
    up = topology.upstream()
    nuisance = {c.alarm for c in chattering}
    occs = sorted(
        (o for o in occurrences if o.alarm not in nuisance), key=lambda o: (o.first_raised_t, o.first_seq)
    )
    parent = list(range(len(occs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, a in enumerate(occs):
        a_end = a.ended_t if a.ended_t is not None else log.now
        for j in range(i + 1, len(occs)):
            b = occs[j]
            if b.first_raised_t > a_end + policy.group_window_s:
                break  # sorted by raise: no later occurrence co-occurs with a either
            if not _related(a.asset, b.asset, up):
                continue
            if a.asset != b.asset and b.first_raised_t - a.first_raised_t > policy.max_propagation_s:
                continue
            parent[find(j)] = find(i)
    groups: dict[int, list[AlarmOccurrence]] = {}
    for i, o in enumerate(occs):
        groups.setdefault(find(i), []).append(o)
    incidents = [_incident(g, topology, log, policy) for g in groups.values()]
    return tuple(sorted(incidents, key=lambda inc: (inc.start_t, inc.id)))


def _incident(
    group: list[AlarmOccurrence],
    topology: Topology,
    log: AlarmLog,
    policy: AlarmPolicy,
) -> Incident:
    first = group[0]
    end = max((o.ended_t if o.ended_t is not None else log.now) for o in group)
    assets = tuple(sorted({o.asset for o in group}))
    trips = tuple(
        sorted(
            {
                e.asset
                for e in log.asset_events
                if e.kind == "tripped" and e.asset in assets and first.first_raised_t <= e.t <= end
            }
        )
    )
    roots = rank_root_causes(group, topology, policy=policy)
    return Incident(
        id=f"INC-{first.first_seq}",
        occurrences=tuple(o.id for o in group),
        alarms=tuple(sorted({o.alarm for o in group})),
        assets=assets,
        areas=tuple(sorted({o.area for o in group})),
        start_t=first.first_raised_t,
        last_raised_t=max(o.last_raised_t for o in group),
        active=any(o.active for o in group),
        trips=trips,
        root_causes=roots,
        priority=incident_priority(group, trips, roots, policy=policy),
        explanation=AlarmExplanation(
            rule=(
                f"incident.topology_time (same asset or upstream/downstream in the feed graph, co-occurring "
                f"within {policy.group_window_s:.0f} s; across assets at most {policy.max_propagation_s:.0f} s apart)"
            ),
            looked_at=tuple(o.id for o in group),
            detail=(
                f"{len(group)} alarm occurrence(s) on {len(assets)} asset(s) ({', '.join(assets)}) from "
                f"t={first.first_raised_t:.0f}; most likely root cause {roots[0].asset}"
            ),
        ),
    )


def rank_root_causes(
    group: Sequence[AlarmOccurrence], topology: Topology, *, policy: AlarmPolicy = DEFAULT_ALARM_POLICY
) -> tuple[RootCauseCandidate, ...]:
    """Rank the incident's assets: upstream of the most other alarmed assets first, then earliest."""
    if not group:
        raise ValueError("an incident needs at least one alarm occurrence")
    up = topology.upstream()
    assets = sorted({o.asset for o in group})
    n = len(assets)
    start = min(o.first_raised_t for o in group)
    span = max(o.first_raised_t for o in group) - start + policy.group_window_s
    rows = []
    for a in assets:
        mine = sorted((o for o in group if o.asset == a), key=lambda o: (o.first_raised_t, o.first_seq))
        explains = tuple(x for x in assets if x != a and a in up.get(x, frozenset()))
        feeders = tuple(x for x in assets if x != a and x in up.get(a, frozenset()))
        tags = sorted({o.tag for o in mine})
        node = topology.node(a)
        category: Literal["machine", "utility", "unknown"] = node.category if node else "unknown"
        earliness = 1.0 - (mine[0].first_raised_t - start) / span
        rows.append((a, category, mine[0], explains, feeders, tags, (len(explains) + earliness) / n))
    rows.sort(key=lambda r: (-len(r[3]), r[2].first_raised_t, r[1] != "utility", r[0]))
    out = []
    for rank, (a, category, o, explains, feeders, tags, score) in enumerate(rows, start=1):
        corroborated = len(tags) > 1 or bool(explains) or bool(feeders)
        why = [
            f"{a} ({category}) feeds {len(explains)} of the {n - 1} other alarmed asset(s)"
            + (f" ({', '.join(explains)})" if explains else ""),
            f"its first alarm {o.alarm} came {o.first_raised_t - start:.0f} s after the incident began",
        ]
        if feeders:
            why.append(f"it is itself fed by alarmed {', '.join(feeders)}: a downstream symptom")
        if not corroborated:
            why.append(
                f"a lone alarm on one tag ({tags[0]}) with nothing alarmed upstream or downstream is not "
                "corroborated (an instrument fault, or the first sign of a fault): check the instrument "
                "and the asset's related tags before acting on the process"
            )
        rule = "upstream utility before downstream symptom, then earliest first"
        out.append(
            RootCauseCandidate(
                asset=a,
                category=category,
                rank=rank,
                score=round(score, 4),
                explains=explains,
                first_alarm=o.alarm,
                first_raised_t=o.first_raised_t,
                corroborated=corroborated,
                rationale=f"rank {rank} by '{rule}': " + "; ".join(why) + ".",
            )
        )
    return tuple(out)


def incident_priority(
    group: Sequence[AlarmOccurrence],
    trips: tuple[str, ...],
    roots: tuple[RootCauseCandidate, ...],
    *,
    policy: AlarmPolicy = DEFAULT_ALARM_POLICY,
) -> IncidentPriority:
    """Highest member priority; high on a protective trip; one level up when it spreads wide."""
    top = min(group, key=lambda o: PRIORITY_RANK[o.priority])
    rank = PRIORITY_RANK[top.priority]
    rules = [f"max_member_priority ({top.alarm} is {top.priority})"]
    assets = {o.asset for o in group}
    if trips:
        rank = 1
        rules.append(f"protective_trip ({', '.join(trips)} tripped): high")
    elif len(assets) >= policy.escalate_spread_assets and rank > 1:
        rank -= 1
        rules.append(f"spread ({len(assets)} assets >= {policy.escalate_spread_assets}): one level up")
    if not roots[0].corroborated:
        rules.append("a lone alarm on one tag: not corroborated, check the instrument")
    level = _LEVELS[rank - 1]
    return IncidentPriority(
        level=level,
        rank=rank,
        explanation=AlarmExplanation(
            rule="incident.priority (max member priority; trip -> high; spread -> +1 level)",
            looked_at=tuple(sorted({o.alarm for o in group})),
            detail="; ".join(rules) + f" => {level}",
        ),
    )


def propose_actions(
    incidents: tuple[Incident, ...],
    occurrences: tuple[AlarmOccurrence, ...],
    chattering: tuple[ChatterFinding, ...],
    topology: Topology,
    *,
    policy: AlarmPolicy = DEFAULT_ALARM_POLICY,
) -> tuple[AlarmAction, ...]:
    """Acknowledge the consequential alarms of each incident; shelve chattering alarms.

    The root cause's own alarms are never proposed: they stay in front of the operator.
    High-priority alarms (per `never_shelve`) are never proposed for shelving.
    """
    up = topology.upstream()
    by_id = {o.id: o for o in occurrences}
    out: list[AlarmAction] = []
    for inc in incidents:
        root = inc.root_causes[0]
        if not root.explains:
            continue
        for oid in inc.occurrences:
            o = by_id[oid]
            if not o.awaiting_ack or root.asset not in up.get(o.asset, frozenset()):
                continue
            lag = o.first_raised_t - root.first_raised_t
            out.append(
                AlarmAction(
                    action="acknowledge",
                    alarm=o.alarm,
                    asset=o.asset,
                    incident=inc.id,
                    duration_s=None,
                    reason=(
                        f"Consequential alarm of {inc.id}: {o.asset} is fed by {root.asset}, the ranked root "
                        f"cause ({root.first_alarm}); raised {lag:+.0f} s from it."
                    ),
                    explanation=AlarmExplanation(
                        rule="consequential (downstream of the rank-1 root cause of the same incident)",
                        looked_at=(o.id, root.first_alarm),
                        detail=f"{o.alarm} awaits acknowledgement; {root.asset} feeds {o.asset}",
                    ),
                )
            )
    for c in chattering:
        if c.shelved or c.priority in policy.never_shelve:
            continue
        out.append(
            AlarmAction(
                action="shelve",
                alarm=c.alarm,
                asset=c.asset,
                incident=None,
                duration_s=policy.shelve_duration_s,
                reason=(
                    f"Chattering ({', '.join(c.rules)}): {c.total_raises} raises, {c.burst_peak} in "
                    f"{policy.chatter_window_s:.0f} s; shelved pending a limit/deadband review."
                ),
                explanation=c.explanation,
            )
        )
    return tuple(out)
