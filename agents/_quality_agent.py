"""The quality specialist: SPC on the plant's measurements, drift -> machine and window -> lot holds.

What it does, in the order an engineer would:

1. Reads every measurement through `list_measurements` and groups it into rational subgroups:
   the parts of one lot on one operation of one machine (measured together when the op ends).
2. Per characteristic, a Phase I individuals baseline of the subgroup means, pooled over the
   machines that make it, revised until no subgroup lies beyond its own limits: the in-control
   history. Lot means are charted, not single parts, because normal tool wear is a sawtooth
   of about one part-sigma between tool changes; on single parts it fires run rules on healthy
   machines, while a worn tool without tool change moves a whole lot mean by many sigma.
3. Per machine, its subgroup means in time order, standardised against their characteristic's
   baseline, go to `locate_drifts` (rules `N1`, `N5`, `N6`: one lot mean beyond 3 sigma is
   already a sustained shift of every part of that lot).
4. The drift window runs from the onset subgroup to the last subgroup still beyond 2 sigma, or
   stays open (until now) while the drift persists. Every lot with a subgroup made on that
   machine in the window is held through `act("hold_lot", ...)`.
5. Release is proposed (`act("release_lot", ...)`, a critical tool the graph sends for
   approval) only for lots this agent held, only once the machine is back in control (the
   last `recovery_subgroups` subgroups within 2 sigma), and only for lots whose parts are all
   in spec; the others stay held for disposition.

The specialist never writes to the plant itself: writes go through `act`, so the graph decides
(keys, approval).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue

from agents._decision import Decision, Evidence, ToolCall
from agents._quality_excursion import ExcursionPolicy, suspect_excursion
from agents._spc_capability import Capability, process_capability
from agents._spc_charts import ChartBaseline, PhaseIPolicy, estimate_individuals
from agents._spc_drift import Drift, DriftPolicy, locate_drifts
from agents._spc_rules import RuleId
from agents._specialist import Act, Situation, findings_evidence
from tools import (
    ListLotsArgs,
    ListMeasurementsArgs,
    Lot,
    Measurement,
    PlantClient,
    find_tool,
    list_lots,
)
from tools import list_measurements as read_measurements

AGENT = "quality"


@dataclass(frozen=True, kw_only=True, slots=True)
class QualityPolicy:
    """How the quality specialist judges measurements."""

    rules: tuple[RuleId, ...] = ("N1", "N5")
    """Rules on the standardised lot-mean chart that count as a drift."""
    baseline_revisions: int = 10
    """Phase I revisions of each characteristic's pooled baseline (drop beyond-limit lots, re-estimate)."""
    min_baseline_subgroups: int = 4
    """Fewest subgroups a characteristic needs for a pooled baseline; fewer: the spec-based fallback."""
    out_sigma: float = 2.0
    """A subgroup mean farther than this many sigma from its center is still out of control."""
    recovery_subgroups: int = 3
    """In-control subgroups in a row after the last out-of-control one that show the cause corrected."""
    page: int = 20000
    """Measurements read per call."""
    excursion: ExcursionPolicy = ExcursionPolicy()
    """Suspect lots of a utility excursion (root cause a utility): held without waiting for SPC."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Subgroup:
    """The parts of one lot measured on one operation of one machine."""

    machine: str
    characteristic: str
    lot: str
    t: float
    time: str
    values: tuple[float, ...]
    lsl: float
    usl: float
    out_of_spec: int

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def slope(self) -> float:
        """Least-squares change per part within the subgroup: the part-by-part trend."""
        n = len(self.values)
        if n < 3:
            return 0.0
        xm, ym = (n - 1) / 2, self.mean
        sxx = sum((i - xm) ** 2 for i in range(n))
        return sum((i - xm) * (y - ym) for i, y in enumerate(self.values)) / sxx


@dataclass(frozen=True, kw_only=True, slots=True)
class DriftWindow:
    """One machine's drift, the subgroups it covers, and whether it is over."""

    drift: Drift
    start_t: float
    end_t: float | None
    """Time of the last out-of-control subgroup once corrected; None while the drift persists."""
    lots: tuple[str, ...]
    characteristics: tuple[str, ...]
    last_z: float


async def quality_agent(
    client: PlantClient, act: Act, situation: Situation, *, policy: QualityPolicy | None = None
) -> Decision:
    """Find quality drifts, hold the lots made on the drifting machine in its window, propose
    release of held lots once the machine is back in control. Writes go through `act`."""
    policy = policy or QualityPolicy()
    measurements = await _read_all(client, policy.page)
    subgroups = group_subgroups(measurements)
    baselines = characteristic_baselines(subgroups, policy)
    windows = find_drift_windows(subgroups, baselines, policy)
    lots = {lot.id: lot for lot in (await list_lots(client, ListLotsArgs())).lots}
    calls: list[ToolCall] = []
    held: list[str] = []
    standing: set[str] = set()
    excursion = await suspect_excursion(client, situation.findings, policy.excursion)
    for w in windows:
        if w.end_t is not None:
            continue  # corrected: nothing new to hold, release is judged below
        if excursion is not None and w.drift.machine in excursion[2]:
            continue  # a fed machine's drift is the excursion's: its containment window decides
        reason = (
            f"SPC {w.drift.violation.rule} on {w.drift.machine} ({', '.join(w.characteristics)}): "
            f"drift from t={w.start_t:.0f} s, still out of control; made in the drift window."
        )
        for lot_id in w.lots:
            lot = lots.get(lot_id)
            if lot is not None and lot.on_hold and lot.hold_by == AGENT:
                standing.add(lot_id)  # held by quality before (an earlier pass, or a killed attempt)
            if lot is None or lot.on_hold or lot_id in held:
                continue
            args: dict[str, JsonValue] = {"lot_id": lot_id, "reason": reason, "by": AGENT}
            await act("hold_lot", args)
            calls.append(_call("hold_lot", args))
            held.append(lot_id)
    if excursion is not None:
        suspect, why, _ = excursion
        for lot_id in suspect:
            lot = lots.get(lot_id)
            if lot is not None and lot.on_hold and lot.hold_by == AGENT:
                standing.add(lot_id)  # held by quality before (an earlier pass, or a killed attempt)
            if lot is None or lot.on_hold or lot_id in held:
                continue
            args = {"lot_id": lot_id, "reason": why, "by": AGENT}
            await act("hold_lot", args)
            calls.append(_call("hold_lot", args))
            held.append(str(lot_id))
    released, kept = await _propose_releases(act, windows, subgroups, lots, calls)
    capability = _capabilities(windows, subgroups, baselines)
    info: dict[str, JsonValue] | None = None
    if excursion is not None:
        info = {"lots": [*excursion[0]], "reason": excursion[1], "machines": [*excursion[2]]}
    decision = _decide(
        situation, measurements, windows, held, released, kept, capability, calls, policy, info
    )
    still: list[JsonValue] = [*sorted(standing - set(released))]
    return decision.model_copy(
        update={
            "observed": (*decision.observed, findings_evidence("lots held before", held_lots_standing=still))
        }
    )


async def _read_all(client: PlantClient, page: int) -> list[Measurement]:
    out: dict[int, Measurement] = {}
    since = 0.0
    while True:
        got = await read_measurements(client, ListMeasurementsArgs(since_t=since, limit=page))
        for m in got.measurements:
            out[m.seq] = m
        if not got.truncated or not got.measurements or got.measurements[-1].t <= since:
            return sorted(out.values(), key=lambda m: m.seq)
        since = got.measurements[-1].t


def group_subgroups(measurements: Sequence[Measurement]) -> list[Subgroup]:
    """Rational subgroups: one per (machine, lot, operation, characteristic), in time order."""
    parts: dict[tuple[str, str, int, str], list[Measurement]] = defaultdict(list)
    for m in measurements:
        parts[(m.machine, m.lot, m.op, m.characteristic)].append(m)
    groups = [
        Subgroup(
            machine=machine,
            characteristic=char,
            lot=lot,
            t=max(m.t for m in ms),
            time=max(ms, key=lambda m: m.t).time,
            values=tuple(m.value for m in ms),
            lsl=ms[0].lsl,
            usl=ms[0].usl,
            out_of_spec=sum(not m.in_spec for m in ms),
        )
        for (machine, lot, _, char), ms in parts.items()
    ]
    return sorted(groups, key=lambda g: (g.t, g.machine, g.lot, g.characteristic))


@dataclass(frozen=True, kw_only=True, slots=True)
class Baselines:
    """Per characteristic, the in-control baselines of the lot means and of the within-lot slopes."""

    level: dict[str, ChartBaseline]
    trend: dict[str, ChartBaseline]


def characteristic_baselines(subgroups: Sequence[Subgroup], policy: QualityPolicy) -> Baselines:
    """Phase I baselines of the subgroup means and slopes, per characteristic, pooled over machines."""
    return Baselines(
        level=_baselines(subgroups, policy, lambda g: g.mean, trend=False),
        trend=_baselines(subgroups, policy, lambda g: g.slope, trend=True),
    )


def _baselines(
    subgroups: Sequence[Subgroup], policy: QualityPolicy, stat: Callable[[Subgroup], float], *, trend: bool
) -> dict[str, ChartBaseline]:
    by_char: dict[str, list[Subgroup]] = defaultdict(list)
    for g in subgroups:
        by_char[g.characteristic].append(g)
    out: dict[str, ChartBaseline] = {}
    for char, groups in by_char.items():
        means = [stat(g) for g in groups]
        base: ChartBaseline | None = None
        if len(groups) >= policy.min_baseline_subgroups:
            try:
                base = estimate_individuals(
                    means,
                    # a lot with out-of-spec parts has a known assignable cause: not in-control history
                    exclude=[i for i, g in enumerate(groups) if g.out_of_spec],
                    policy=PhaseIPolicy(max_revisions=policy.baseline_revisions),
                )
            except ValueError:
                base = None
        if base is None or not base.sigma:
            # Too little history: mid-spec level (no trend) with the within-lot part sigma, wider
            # than the lot-to-lot sigma, so a fallback can miss a small drift, never invent one;
            # a slope's sigma is the part sigma * sqrt(12 / n^3) for n parts.
            within = _within_sigma(groups) or (groups[0].usl - groups[0].lsl) / 12
            if trend:
                n = max(3.0, sum(len(g.values) for g in groups) / len(groups))
                base = ChartBaseline.standard(center=0.0, sigma=within * (12 / n**3) ** 0.5)
            else:
                base = ChartBaseline.standard(center=(groups[0].lsl + groups[0].usl) / 2, sigma=within)
        out[char] = base
    return out


def _within_sigma(groups: Sequence[Subgroup]) -> float | None:
    ranges = [abs(b - a) for g in groups for a, b in zip(g.values, g.values[1:], strict=False)]
    return sum(ranges) / len(ranges) / 1.128 if ranges else None


def _z(g: Subgroup, baselines: Baselines) -> float:
    """The subgroup's chart point: its level and its trend must both have moved, the same way.

    The smaller of the two standardised values when they agree in sign, else 0: a lot mean off
    centre without a part-by-part trend (a machine's own offset, a warm start) or a trend inside
    a lot whose level is normal (a thermal ramp) is not a drift of the process.
    """
    lb, tb = baselines.level[g.characteristic], baselines.trend[g.characteristic]
    zl = (g.mean - lb.center) / (lb.sigma or 1.0)
    zt = (g.slope - tb.center) / (tb.sigma or 1.0)
    if zl * zt <= 0:
        return 0.0
    return min(zl, zt) if zl > 0 else max(zl, zt)


def _level_z(g: Subgroup, baselines: Baselines) -> float:
    base = baselines.level[g.characteristic]
    return (g.mean - base.center) / (base.sigma or 1.0)


def find_drift_windows(
    subgroups: Sequence[Subgroup], baselines: Baselines, policy: QualityPolicy
) -> list[DriftWindow]:
    """Each drifting machine's first drift, its window and the lots made in it."""
    per_machine: dict[str, list[Subgroup]] = defaultdict(list)
    for g in subgroups:
        per_machine[g.machine].append(g)
    series = {
        m: [(datetime.fromisoformat(g.time), _z(g, baselines)) for g in gs] for m, gs in per_machine.items()
    }
    standard = ChartBaseline.standard(center=0.0, sigma=1.0)
    drifts = locate_drifts(
        series,
        baselines=dict.fromkeys(series, standard),
        policy=DriftPolicy(rules=policy.rules),
    )
    windows: list[DriftWindow] = []
    for d in drifts:
        gs = per_machine[d.machine]
        zs = [z for _, z in series[d.machine]]
        after = range(d.onset_index, len(gs))
        last_out = max(i for i in after if abs(zs[i]) > policy.out_sigma or i == d.onset_index)
        corrected = len(gs) - 1 - last_out >= policy.recovery_subgroups
        end = last_out if corrected else len(gs) - 1
        inside = gs[d.onset_index : end + 1]
        windows.append(
            DriftWindow(
                drift=d,
                start_t=gs[d.onset_index].t,
                end_t=gs[last_out].t if corrected else None,
                lots=tuple(dict.fromkeys(g.lot for g in inside)),
                characteristics=tuple(sorted({g.characteristic for g in inside})),
                last_z=zs[-1],
            )
        )
    return windows


async def _propose_releases(
    act: Act,
    windows: Sequence[DriftWindow],
    subgroups: Sequence[Subgroup],
    lots: Mapping[str, Lot],
    calls: list[ToolCall],
) -> tuple[list[str], list[str]]:
    """Release (critical, via act) lots this agent held whose machine is corrected and parts in spec."""
    released: list[str] = []
    kept: list[str] = []
    out_of_spec: dict[str, int] = defaultdict(int)
    for g in subgroups:
        out_of_spec[g.lot] += g.out_of_spec
    for w in windows:
        if w.end_t is None:
            continue
        # Every lot made on the machine since the drift began: while the drift was open the
        # window reached to "now", so lots made after the correction may be held too.
        since = [g.lot for g in subgroups if g.machine == w.drift.machine and g.t >= w.start_t]
        for lot_id in dict.fromkeys([*w.lots, *since]):
            lot = lots.get(lot_id)
            if lot is None or not lot.on_hold or lot.hold_by != AGENT or lot_id in released:
                continue
            if out_of_spec[lot_id]:
                kept.append(lot_id)
                continue
            args: dict[str, JsonValue] = {
                "lot_id": lot_id,
                "by": AGENT,
                "reason": (
                    f"{w.drift.machine} back in control since t={w.end_t:.0f} s (drift corrected); "
                    "every measured part of this lot is in spec."
                ),
            }
            await act("release_lot", args)
            calls.append(_call("release_lot", args))
            released.append(lot_id)
    return released, kept


def _capabilities(
    windows: Sequence[DriftWindow], subgroups: Sequence[Subgroup], baselines: Baselines
) -> dict[str, JsonValue]:
    """Cpk/Ppk per drifting machine and characteristic, in control (pooled) vs in the window."""
    out: dict[str, JsonValue] = {}
    for w in windows:
        for char in w.characteristics:
            base = baselines.level[char]
            inside = [
                g
                for g in subgroups
                if g.machine == w.drift.machine
                and g.characteristic == char
                and g.t >= w.start_t
                and (w.end_t is None or g.t <= w.end_t)
            ]
            normal = [g for g in subgroups if g.characteristic == char and abs(_level_z(g, baselines)) <= 3.0]
            entry: dict[str, JsonValue] = {}
            for name, gs in (("in_control", normal), ("drift_window", inside)):
                cap = _capability(gs)
                if cap is not None:
                    entry[name] = {"cpk": round(cap.cpk, 3), "ppk": round(cap.ppk, 3), "mean": cap.mean}
            entry["baseline_center"] = base.center
            out[f"{w.drift.machine}/{char}"] = entry
    return out


def _capability(groups: Sequence[Subgroup]) -> Capability | None:
    values = [v for g in groups for v in g.values]
    within = _within_sigma(groups)
    if len(values) < 2 or not within:
        return None
    try:
        return process_capability(values, lsl=groups[0].lsl, usl=groups[0].usl, sigma_within=within)
    except ValueError:
        return None


def _call(tool: str, args: dict[str, JsonValue]) -> ToolCall:
    # The graph owns idempotency keys (run id + step), so none is recorded here.
    return ToolCall(tool=tool, args=args, risk=find_tool(tool).risk)


def _decide(
    situation: Situation,
    measurements: Sequence[Measurement],
    windows: Sequence[DriftWindow],
    held: Sequence[str],
    released: Sequence[str],
    kept: Sequence[str],
    capability: dict[str, JsonValue],
    calls: Sequence[ToolCall],
    policy: QualityPolicy,
    excursion: dict[str, JsonValue] | None = None,
) -> Decision:
    observed = [
        Evidence(
            source="GET /measurements",
            summary=f"{len(measurements)} measurements read, charted as lot means per machine.",
            data={"count": len(measurements)},
        )
    ]
    drifts: list[JsonValue] = []
    for w in windows:
        d = w.drift
        info: dict[str, JsonValue] = {
            "machine": d.machine,
            "rule": d.violation.rule,
            "rule_name": d.violation.name,
            "direction": d.direction,
            "characteristics": list(w.characteristics),
            "onset_t": w.start_t,
            "onset_time": d.onset_time.isoformat(),
            "signal_time": d.signal_time.isoformat(),
            "window_start_t": w.start_t,
            "window_end_t": w.end_t,
            "persists": w.end_t is None,
            "points": list(d.violation.points),
            "lots": list(w.lots),
            "last_z": round(w.last_z, 2),
        }
        drifts.append(info)
        observed.append(Evidence(source=f"SPC lot-mean chart {d.machine}", summary=d.explanation, data=info))
    suspects = sorted({w.drift.machine for w in windows})
    root = situation.findings.get("root_cause")
    known = set(root) if isinstance(root, list) else set()
    agrees = bool(suspects) and set(suspects) <= known if known else None
    findings: dict[str, JsonValue] = {
        "held_lots": list(held),
        "released_lots": list(released),
        "lots_kept_on_hold": list(kept),
        "quality_drifts": drifts,
        "drift_machines": list(suspects),
        "capability": capability,
        "excursion": excursion,
    }
    if excursion is not None:
        findings["affected_assets"] = excursion.get("machines", [])  # every machine the utility feeds
    if excursion is not None:
        summary = f"Utility excursion: {len(held)} lot(s) held. {excursion['reason']}"
        confidence = 0.85
    elif not windows:
        summary = "No quality drift: every machine's lot means are in control."
        confidence = 0.8
    else:
        parts = []
        for w in windows:
            state = "persists" if w.end_t is None else f"corrected after t={w.end_t:.0f} s"
            parts.append(
                f"{w.drift.machine} drift ({w.drift.violation.rule}) from t={w.start_t:.0f} s, {state}"
            )
        summary = "; ".join(parts) + f". Held {len(held)} lot(s), proposed release of {len(released)}."
        confidence = 0.9 if agrees is not False else 0.7
    observed.append(findings_evidence("Held lots, drifts (machine, window, rule), capability.", **findings))
    return Decision(
        agent=AGENT,
        summary=summary,
        observed=tuple(observed),
        rule=f"Individuals chart of lot means vs pooled Phase I baseline; rules {', '.join(policy.rules)}",
        rationale=(
            "Each lot's parts on one machine form a subgroup; their mean is charted against the "
            "characteristic's in-control baseline pooled over machines. A drift's window runs from its "
            "onset lot to the last lot still beyond "
            f"{policy.out_sigma:g} sigma (open while it persists); every lot made on the machine in the "
            "window is held. Release needs the machine back in control for "
            f"{policy.recovery_subgroups} lots and the lot's parts in spec, and a supervisor's approval."
            + (
                ""
                if agrees is None
                else f" Drift machines {'match' if agrees else 'differ from'} the root cause found earlier."
            )
        ),
        tool_calls=tuple(calls),
        confidence=confidence,
    )
