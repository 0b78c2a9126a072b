"""The maintenance specialist: diagnose the root-cause asset and raise exactly one work order.

- A lone alarm nothing else corroborates (triage's `uncorroborated`), on an asset neither down
  nor in another alarm, is weighed in this order before the instrument is blamed:
  1. quality found a drift in the parts made on the asset (`drift_machines`): the failure mode the
     parts reveal (a worn tool: INSP `tool_wear`), planned without a stop;
  2. the asset's own running trends (`_corroborate`): a wear mode (PdM/PM) when at least
     `_MIN_SIGNS` related tags moved, one other than the alarmed one, and nothing contradicts it;
  3. the wear scan (`assess_wear`): a vibration ramp over the running hours is a wearing bearing
     (PdM) before temperature and current follow;
  4. otherwise the transmitter is suspect: one INSP order with the plant's `sensor_fault` mode, no
     lock-out, the machine keeps running (the sensor-drift and sensor-fault end state).
- Otherwise: tag trends since before the onset (`tag_trend`, baseline = the hours before),
  `diagnose` against the asset type's failure modes. An asset down for a fault can only be
  explained by a corrective mode (CM/EM): predictive modes degrade, they do not stop a machine.
  Ties go to the mode with more matching signs, then the more severe one.
- A shift review (no alarm) is `_maintenance_review.review`: drifting machines, then the
  instrument and wear scans over the whole plant.
- No duplicate: an open work order on the asset for the same failure mode is reused.
- Lock-out needs the machine stopped first: if the asset is a running machine with a corrective
  fault, stopping it is proposed through `act` (a critical action: the graph asks a supervisor).

Findings: `failure_mode`, `work_orders` (ids), `health_index`, `wo_type`.
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import JsonValue

from agents._decision import Decision, Evidence, ToolCall
from agents._health import (
    Diagnosis,
    HealthPolicy,
    TagTrend,
    diagnose,
    health_index,
    settled_running,
    tag_trend,
)
from agents._maintenance_review import REVIEW, SENSOR_MODE, raise_work_order, review
from agents._specialist import Act, Declined, Situation, findings_evidence
from agents._wear_scan import WearFinding, assess_wear
from tools import (
    Asset,
    FailureMode,
    GetAssetArgs,
    GetTagHistoryArgs,
    ListTagsArgs,
    NoArgs,
    PlantClient,
    ToolError,
    get_asset,
    get_asset_failure_modes,
    get_clock,
    get_tag_history,
    list_tags,
)

_LOOKBACK_S = 4 * 3600.0
_BUCKET_S = 60.0
"""Corroboration reads history in buckets this long: averaging cuts the noise, and a bucket
still resolves the running/idle pattern of a machine."""
_SETTLE_S = 1800.0
"""Two thermal time constants of a spindle: temperatures are compared only once warm."""
_CORROBORATION = HealthPolicy(shift_sigma=4.0)
"""The default 4-sigma shift: at 3 sigma a drifting spindle_temp on CNC-4 (sensor_drift seed 6)
was wrongly corroborated by a +3 sigma current."""
_MIN_SIGNS = 2
_WEAR_TYPES = ("PdM", "PM")


async def maintenance_agent(client: PlantClient, act: Act, situation: Situation) -> Decision:
    """Diagnose the root-cause asset from triage's findings and raise one work order for it."""
    f = situation.findings
    roots = f.get("root_cause")
    if situation.trigger.get("type") == REVIEW and not (isinstance(roots, list) and roots):
        return await review(client, act, situation, diagnose_one=maintenance_agent)
    if not isinstance(roots, list) or not roots:
        return Decision(
            agent="maintenance",
            summary="No root-cause asset: no work order.",
            rule="work orders follow a diagnosed root cause",
            rationale="Triage named no root cause.",
            confidence=0.5,
        )
    root = str(roots[0])
    asset = await get_asset(client, GetAssetArgs(asset_id=root))
    modes = (await get_asset_failure_modes(client, GetAssetArgs(asset_id=root))).failure_modes
    down = asset.mode == "down" or root in (f.get("down") or [])  # type: ignore[operator]
    observed: list[Evidence] = [
        Evidence(
            source=f"GET /assets/{root}",
            summary=f"{root} ({asset.type}) mode {asset.mode}, status {asset.status}",
            data={"mode": asset.mode, "status": asset.status, "down_reason": asset.down_reason},
        )
    ]
    wear: tuple[Diagnosis, dict[str, TagTrend]] | None = None
    if f.get("uncorroborated") is True and not down:
        wear = await _corroborate(client, asset, modes, f.get("alarm_tag"))
        observed.append(_corroboration_evidence(root, wear))
    drifts = f.get("drift_machines")
    shown_in_parts = [m for m in modes if any(r.quality for r in m.reveals)]
    drifting = isinstance(drifts, list) and root in drifts and not down and bool(shown_in_parts)
    bearing: WearFinding | None = None
    if not drifting and wear is not None and wear[0].score <= 0:
        # The other tags have not moved (yet): a bearing shows first in its vibration, as a ramp
        # over the running hours, where a drifting transmitter moves one tag alone.
        bearing = await assess_wear(client, root)
        observed.append(
            Evidence(
                source=f"GET /tags/{root}.*/history (wear scan)",
                summary=bearing.explanation if bearing else "no vibration ramp: not a wearing bearing",
                data={"wear": bearing is not None, "failure_mode": bearing.failure_mode if bearing else None},
            )
        )
    if bearing is not None and any(m.id == bearing.failure_mode for m in modes):
        mode = next(m for m in modes if m.id == bearing.failure_mode)
        hi = bearing.health_index
        rule = (
            "lone alarm on a vibration ramp over the running hours -> bearing wear (PdM), not the instrument"
        )
        rationale = (
            f"{bearing.explanation} A worn bearing shows in its vibration hours before temperature and "
            f"current follow; {mode.name.lower()} is planned ({mode.wo_type}) before it fails."
        )
        urgent = bearing.rul_hours is not None and bearing.rul_hours < 8
        priority, lockout, confidence, stop_now = (1 if urgent else 2), None, bearing.confidence, False
    elif drifting:
        # Quality found a drift in the parts made on this machine: the mode that shows in the
        # parts (a worn tool) explains the lone alarm better than a faulty transmitter does.
        trends = wear[1] if wear is not None else await _trends(client, asset, f)
        ranked = _rank(
            diagnose([m.model_dump(mode="json") for m in shown_in_parts], trends, quality_drift=True)
        )
        best = ranked[0]
        mode = next(m for m in shown_in_parts if m.id == best.failure_mode)
        hi = health_index(list(trends.values()))
        observed.append(
            Evidence(
                source=f"GET /assets/{root}/failure-modes",
                summary="; ".join(d.explanation for d in ranked[:3]),
                data={"ranked": [d.failure_mode for d in ranked], "quality_drift": True},
            )
        )
        rule = "SPC drift in the parts made on the alarmed machine -> the failure mode the parts reveal"
        rationale = (
            f"Quality found a drift on {root}'s lot means; {best.explanation}. The parts, not the "
            f"transmitter, show the fault: {mode.name.lower()} ({mode.wo_type}), planned without a stop; "
            "the drifting lots are held by quality."
        )
        priority, lockout, confidence, stop_now = 2, None, 0.6 + 0.35 * max(0.0, best.score), False
    elif f.get("uncorroborated") is True and not down and wear is not None and wear[0].score <= 0:
        mode = next(m for m in modes if m.id == SENSOR_MODE)
        rule = "lone uncorroborated alarm, asset healthy otherwise -> instrument fault (ISA-18.2 nuisance)"
        tag = f.get("alarm_tag")
        rationale = (
            f"Only {tag} alarmed on {root}: no related alarm, no trip, nothing upstream or downstream. "
            "A process fault would move related tags too, so the transmitter is suspect: inspect and "
            "calibrate it; the machine keeps running."
        )
        priority, lockout, confidence, hi, stop_now = 4, False, 0.75, None, False
    else:
        if wear is not None:
            # Corroborated by the asset's own running trends: a wear mode, not the instrument.
            trends = wear[1]
            candidates = [m for m in modes if m.wo_type in _WEAR_TYPES]
        else:
            trends = await _trends(client, asset, f)
            candidates = [m for m in modes if m.id != SENSOR_MODE and (not down or m.wo_type in ("CM", "EM"))]
        ranked = _rank(diagnose([m.model_dump(mode="json") for m in candidates], trends))
        if down:
            ranked = _rank([_primary_or_nothing(d, candidates) for d in ranked])
        best = ranked[0]
        mode = next(m for m in candidates if m.id == best.failure_mode)
        hi = health_index(list(trends.values()))
        observed.append(
            Evidence(
                source=f"GET /tags/{root}.*/history",
                summary="; ".join(t.explanation for t in trends.values() if t.direction != "flat")
                or "no tag moved",
                data={"health_index": hi, "moved": [t.tag for t in trends.values() if t.direction != "flat"]},
            )
        )
        observed.append(
            Evidence(
                source=f"GET /assets/{root}/failure-modes",
                summary="; ".join(d.explanation for d in ranked[:3]),
                data={"ranked": [d.failure_mode for d in ranked]},
            )
        )
        rule = "failure-mode diagnosis: signs revealed (tag, direction) vs tag trends" + (
            "; a down asset -> corrective modes only" if down else ""
        )
        if wear is not None:
            rule = (
                "lone alarm corroborated by the asset's own running trends -> wear mode, not the instrument"
            )
        rationale = f"{best.explanation}; severity {mode.severity}." + (
            f" {root} is down: it needs a corrective repair." if down else ""
        )
        urgent = down or f.get("priority") == "high"
        priority, lockout = (1 if urgent else 2), None
        # Wear is planned into a maintenance window, not met with a stop of a running machine.
        stop_now = wear is None
        confidence = 0.6 + 0.35 * max(0.0, best.score)
    calls: list[ToolCall] = []
    wo_id, summary = await raise_work_order(
        client, act, calls, asset=root, mode=mode, priority=priority, text=rationale, lockout=lockout
    )
    if asset.category == "machine" and asset.mode == "auto" and stop_now:
        stop: dict[str, JsonValue] = {
            "asset_id": root,
            "mode": "stopped",
            "reason": f"Lock-out for {wo_id} ({mode.name}).",
            "by": "maintenance",
        }
        calls.append(ToolCall(tool="set_machine_mode", args=stop, risk="critical"))
        try:
            answer = await act("set_machine_mode", stop)
        except ToolError as e:
            observed.append(Evidence(source="set_machine_mode", summary=e.observation()))
        else:
            if isinstance(answer, Declined):
                summary += f" Stop of {root} declined: {answer.reason}"
    observed.append(
        findings_evidence(
            summary, failure_mode=mode.id, work_orders=[wo_id], health_index=hi, wo_type=mode.wo_type
        )
    )
    return Decision(
        agent="maintenance",
        summary=summary,
        observed=tuple(observed),
        rule=rule,
        rationale=rationale,
        tool_calls=tuple(calls),
        confidence=round(min(confidence, 0.95), 3),
    )


def _primary_or_nothing(d: Diagnosis, modes: list[FailureMode]) -> Diagnosis:
    """For an asset already down, a mode counts only if its primary sign (the first it reveals)
    is there: once a machine stops, its temperatures and flows move whatever broke, so a
    secondary sign alone (a warm spindle) cannot name a coolant starvation over a drive failure.
    Without a primary sign the score is 0 and the more severe corrective mode is proposed."""
    mode = next(m for m in modes if m.id == d.failure_mode)
    first = mode.reveals[0] if mode.reveals else None
    if first is None or first.tag is None or f"{first.tag} {first.direction}" in d.matched:
        return d
    return replace(d, score=0.0, matched=())


def _rank(ds: list[Diagnosis]) -> list[Diagnosis]:
    return sorted(ds, key=lambda d: (-d.score, -len(d.matched), -d.severity, d.failure_mode))


async def _trends(client: PlantClient, asset: Asset, f: dict[str, JsonValue]) -> dict[str, TagTrend]:
    """Each tag's trend: baseline = the hours before the onset, current = since the onset."""
    now = (await get_clock(client, NoArgs())).t
    onset_raw = f.get("onset_t")
    onset = float(onset_raw) if isinstance(onset_raw, int | float) else now
    since = max(0.0, onset - _LOOKBACK_S)
    out: dict[str, TagTrend] = {}
    for tag_id in asset.tags or []:
        h = await get_tag_history(
            client, GetTagHistoryArgs(tag_id=tag_id, since_t=since, until_t=now, max_points=5000)
        )
        ts = [p.t for p in h.points]
        vs = [p.value for p in h.points]
        n = len(ts)
        post = sum(1 for t in ts if t >= onset)
        pre = n - post
        name = tag_id.split(".", 1)[1]
        if pre < 6 or post < 1:
            out[name] = tag_trend(name, ts, vs)
            continue
        policy = HealthPolicy(baseline_fraction=pre / n, recent_fraction=max(post, 2) / n, min_points=8)
        out[name] = tag_trend(name, ts, vs, policy=policy)
    return out


async def _corroborate(
    client: PlantClient, asset: Asset, modes: list[FailureMode], alarm_tag: JsonValue
) -> tuple[Diagnosis, dict[str, TagTrend]]:
    """The best wear mode by the asset's trends over running, warm samples since reset.

    Its score is zeroed unless `_MIN_SIGNS` signs match, one of them on a tag other than the
    alarmed one (the suspect instrument cannot corroborate itself), and none contradicts.
    """
    now = (await get_clock(client, NoArgs())).t
    tags = (await list_tags(client, ListTagsArgs(asset=asset.id))).tags
    kinds = {t.id: t.kind for t in tags}
    load = next((t for t, k in kinds.items() if k == "speed"), None) or next(
        (t for t, k in kinds.items() if k == "current"), None
    )
    points = int(min(5000, max(1, now // _BUCKET_S)))
    hist = {
        t: (await get_tag_history(client, GetTagHistoryArgs(tag_id=t, since_t=0.0, until_t=now, max_points=points))).points
        for t in asset.tags or []
    }  # fmt: skip
    lp = hist.get(load or "", [])
    running = settled_running([p.t for p in lp], [p.min for p in lp], [p.max for p in lp], settle_s=_SETTLE_S)
    trends: dict[str, TagTrend] = {}
    for tag_id, pts in hist.items():
        name = tag_id.split(".", 1)[1]
        keep = running if len(pts) == len(running) else [False] * len(pts)
        trends[name] = tag_trend(
            name, [p.t for p in pts], [p.value for p in pts], running=keep, policy=_CORROBORATION
        )
    alarmed = str(alarm_tag).split(".", 1)[-1] if isinstance(alarm_tag, str) else None
    wear = [m for m in modes if m.wo_type in _WEAR_TYPES]
    ranked = _rank(diagnose([m.model_dump(mode="json") for m in wear], trends))
    best = ranked[0] if ranked else Diagnosis(
        failure_mode=SENSOR_MODE, score=0.0, matched=(), missing=(), contradicted=(), severity=0,
        explanation="no wear mode on this asset type",
    )  # fmt: skip
    others = [s for s in best.matched if s.split(" ", 1)[0] != alarmed]
    if len(best.matched) < _MIN_SIGNS or not others or best.contradicted:
        best = replace(best, score=0.0)
    return best, trends


def _corroboration_evidence(root: str, wear: tuple[Diagnosis, dict[str, TagTrend]]) -> Evidence:
    best, trends = wear
    moved = [t for t in trends.values() if t.direction != "flat"]
    verdict = "corroborated" if best.score > 0 else "not corroborated"
    return Evidence(
        source=f"GET /tags/{root}.*/history (running, warm)",
        summary=f"{verdict}: {best.explanation}; "
        + ("; ".join(t.explanation for t in moved) or "no tag moved"),
        data={
            "corroborated": best.score > 0,
            "failure_mode": best.failure_mode,
            "moved": [t.tag for t in moved],
        },
    )


__all__ = ["SENSOR_MODE", "maintenance_agent"]
