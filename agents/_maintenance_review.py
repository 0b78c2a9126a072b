"""The maintenance specialist's shift review, and its one way of raising a work order.

A review starts from no alarm: every machine quality saw drift is diagnosed as if it had alarmed
alone (the parts decide the mode: `diagnose_one`, the specialist itself), then two health scans
run over the whole plant: `scan_instruments` (a transmitter stuck flat or spiking alone: an INSP
`sensor_fault` order, no stop) and `scan_wear` (a vibration ramp over the running hours: a PdM
order for the bearing mode). `raise_work_order` never duplicates an open order for the same mode.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import JsonValue

from agents._decision import Decision, Evidence, ToolCall
from agents._instruments import scan_instruments
from agents._specialist import (
    FINDINGS_SOURCE,
    REVIEW_TRIGGER,
    Act,
    Situation,
    Specialist,
    findings_evidence,
    findings_of,
)
from agents._wear_scan import scan_wear
from tools import (
    FailureMode,
    GetAssetArgs,
    ListWorkOrdersArgs,
    PlantClient,
    WorkOrder,
    get_asset_failure_modes,
    list_work_orders,
)

SENSOR_MODE = "sensor_fault"
"""The plant's failure mode of an instrument (drift, stuck, spikes)."""
REVIEW = REVIEW_TRIGGER


async def raise_work_order(
    client: PlantClient,
    act: Act,
    calls: list[ToolCall],
    *,
    asset: str,
    mode: FailureMode,
    priority: int,
    text: str,
    lockout: bool | None = None,
) -> tuple[str, str]:
    """One work order for `mode` on `asset` through `act`, or the open one already there (no
    duplicate). Returns its id and a one-line summary."""
    existing = await list_work_orders(client, ListWorkOrdersArgs(asset=asset, status="open"))
    same = [w for w in existing.work_orders if w.failure_mode == mode.id]
    if same:
        return same[0].id, f"{same[0].id} already open on {asset} for {mode.id}: no duplicate."
    args: dict[str, JsonValue] = {
        "asset": asset,
        "type": mode.wo_type,
        "priority": priority,
        "description": f"{mode.name} suspected on {asset}. {text}"[:2000],
        "failure_mode": mode.id,
        "by": "maintenance",
    }
    if lockout is not None:
        args["lockout"] = lockout
    wo = await act("create_work_order", args)
    assert isinstance(wo, WorkOrder)
    calls.append(ToolCall(tool="create_work_order", args=args, risk="write"))
    return wo.id, f"{wo.id}: {mode.wo_type} P{priority} on {asset} for {mode.id} ({mode.skill})."


@dataclass(frozen=True, slots=True)
class _Found:
    """What a health scan found on one asset, as a work order to raise."""

    asset: str
    mode: str
    priority: int
    text: str
    source: str
    data: dict[str, JsonValue]


async def review(
    client: PlantClient, act: Act, situation: Situation, *, diagnose_one: Specialist
) -> Decision:
    """A shift review with no alarm to start from: every machine quality saw drift is diagnosed
    as if it had alarmed alone (the parts decide the mode). One decision for all of them."""
    f = situation.findings
    drifts = f.get("drift_machines")
    suspects = sorted({str(m) for m in drifts}) if isinstance(drifts, list) else []
    parts: list[Decision] = []
    for asset in suspects:
        one = Situation(
            run_id=situation.run_id,
            trigger={"type": "review.suspect", "asset": asset},
            findings={**f, "root_cause": [asset], "uncorroborated": True, "alarm_tag": None},
        )
        parts.append(await diagnose_one(client, act, one))
    calls: list[ToolCall] = []
    extra_obs: list[Evidence] = []
    extra_wos: list[JsonValue] = []
    extra_modes: list[JsonValue] = []
    scans: list[_Found] = []
    for fault in await scan_instruments(client):
        text = (
            f"{fault.explanation} The machine itself is healthy: repair or replace the transmitter; "
            "no stop, no process change."
        )
        data: dict[str, JsonValue] = {"tag": fault.tag, "kind": fault.kind, "onset_t": fault.onset_t}
        scans.append(
            _Found(
                fault.asset, SENSOR_MODE, 4, text, f"GET /tags/{fault.tag}/history (instrument scan)", data
            )
        )
    for worn in await scan_wear(client):
        text = f"{worn.explanation} Plan the bearing change before it fails; no stop now."
        soon = worn.rul_hours is None or worn.rul_hours < 24
        data = {"failure_mode": worn.failure_mode, "rul_hours": worn.rul_hours}
        scans.append(
            _Found(
                worn.asset,
                worn.failure_mode,
                2 if soon else 3,
                text,
                f"GET /tags/{worn.asset}.*/history (wear scan)",
                data,
            )
        )
    for x in scans:
        if x.asset in suspects:
            continue  # its parts drifted (a process fault, diagnosed above) or another scan has it
        modes = (await get_asset_failure_modes(client, GetAssetArgs(asset_id=x.asset))).failure_modes
        mode = next((m for m in modes if m.id == x.mode), None)
        if mode is None:
            continue
        lockout = False if x.mode == SENSOR_MODE else None
        wo_id, line = await raise_work_order(
            client, act, calls, asset=x.asset, mode=mode, priority=x.priority, text=x.text, lockout=lockout
        )
        suspects.append(x.asset)
        extra_wos.append(wo_id)
        extra_modes.append(mode.id)
        extra_obs.append(
            Evidence(source=x.source, summary=f"{line} {x.text}", data={"asset": x.asset, **x.data})
        )
    if extra_obs:
        parts.append(
            Decision(
                agent="maintenance",
                summary=" ".join(e.summary for e in extra_obs),
                observed=(
                    *extra_obs,
                    findings_evidence(
                        "instrument faults", failure_mode=SENSOR_MODE, work_orders=extra_wos, wo_type="INSP"
                    ),
                ),
                rule="instrument scan: a transmitter stuck flat while its machine is powered, or spiking alone "
                "(no other tag of the asset moves), is an instrument fault",
                rationale="A process fault moves related tags together; a failed transmitter misbehaves alone.",
                tool_calls=tuple(calls),
                confidence=0.8,
            )
        )
    if not parts:
        return Decision(
            agent="maintenance",
            summary="Shift review: no asset needs a work order.",
            observed=(findings_evidence("nothing to repair", work_orders=[]),),
            rule="shift review: drifting machines (quality) get a work order",
            rationale="No machine's parts drifted.",
            confidence=0.7,
        )
    found: dict[str, JsonValue] = {}
    wos: list[JsonValue] = []
    for d in parts:
        got = findings_of(d)
        found.update(got)
        w = got.get("work_orders")
        wos.extend(w if isinstance(w, list) else [])
    observed = [e for d in parts for e in d.observed if e.source != FINDINGS_SOURCE]
    summary = " ".join(d.summary for d in parts)
    observed.append(
        findings_evidence(
            summary,
            root_cause=[*suspects],
            work_orders=wos,
            failure_mode=found.get("failure_mode"),
            wo_type=found.get("wo_type"),
            health_index=found.get("health_index"),
        )
    )
    return Decision(
        agent="maintenance",
        summary=f"Shift review: {summary}",
        observed=tuple(observed),
        rule="shift review: each drifting machine diagnosed as a lone signal (the parts decide the mode)",
        rationale=" ".join(d.rationale for d in parts),
        tool_calls=tuple(c for d in parts for c in d.tool_calls),
        confidence=min(d.confidence for d in parts),
    )
