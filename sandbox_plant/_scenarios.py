"""Fault scenarios: templates (scenarios/*.yaml) that a seed turns into one concrete fault.

The seed chooses which eligible asset (or material, or tag) fails and when, so agents cannot be
written for one fixed answer. The ground truth of a (scenario, seed) pair is read off a 24-hour
run of the plant with nobody intervening: root cause, the assets and lots it affected, and the
end state a correct response should leave behind.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ._config import ScenarioSpec

if TYPE_CHECKING:
    from ._plant import Plant

TRUTH_HORIZON_S = 86400.0


@dataclass(frozen=True, slots=True)
class Injection:
    """One concrete fault: what, where and when."""

    scenario: str
    seed: int
    fault: str
    root: str
    onset: float
    tag: str | None = None
    failure_mode: str | None = None
    variant: str | None = None
    """Which way the fault shows, where a scenario has several (stuck or spikes)."""
    params: dict[str, float] = field(default_factory=dict)


def _rng(spec: ScenarioSpec, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(spec.name.encode())])


def _bounds(value: object) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"expected [low, high], got {value!r}")
    return float(value[0]), float(value[1])


def _uniform(rng: np.random.Generator, bounds: object) -> float:
    lo, hi = _bounds(bounds)
    return lo if hi <= lo else float(round(rng.uniform(lo, hi) / 10) * 10)


def instantiate(spec: ScenarioSpec, seed: int, plant: Plant) -> Injection:
    rng = _rng(spec, seed)
    cfg = plant.cfg
    onset = _uniform(rng, spec.onset_s)
    types = spec.eligible.get("asset_types", [])
    assets = sorted(a.id for a in plant.core.assets.values() if a.type in types)
    p = spec.params

    def pick(xs: list[Any]) -> Any:
        return xs[int(rng.integers(len(xs)))]

    def num(key: str) -> float:
        v = p[key]
        if isinstance(v, list):
            raise ValueError(f"scenario {spec.name}: params.{key} must be a number")
        return float(v)

    if spec.fault == "utility_failure":
        root = pick(assets)
        return Injection(
            spec.name,
            seed,
            spec.fault,
            root,
            onset,
            failure_mode=str(p["failure_mode"]),
            params={"residual": num("residual_output"), "ramp_s": num("ramp_s")},
        )
    if spec.fault == "bearing_wear":
        root = pick(assets)
        atype = cfg.asset_types[plant.core.assets[root].type]
        fm = next(m.id for m in atype.failure_modes if "bearing" in m.repairs)
        return Injection(
            spec.name,
            seed,
            spec.fault,
            root,
            onset,
            failure_mode=fm,
            params={
                "initial": float(rng.uniform(*_bounds(p["initial_wear"]))),
                "fail_after_running_s": _uniform(rng, p["fail_after_running_s"]),
            },
        )
    if spec.fault == "tool_wear":
        root = pick(assets)
        return Injection(
            spec.name,
            seed,
            spec.fault,
            root,
            onset,
            failure_mode=str(p["failure_mode"]),
            params={"multiplier": num("wear_multiplier")},
        )
    if spec.fault == "sensor_drift":
        kinds = spec.eligible.get("tag_kinds", [])
        want = str(spec.eligible.get("with_alarm", "HI"))
        tags = [
            t
            for t in plant.signals.tags
            if t.asset in assets and t.spec.kind in kinds and any(al.type == want for al in t.spec.alarms)
        ]
        tag = pick(tags)
        limit = next(al for al in tag.spec.alarms if al.type == want)
        cross = _uniform(rng, p["cross_after_s"])
        rate = (limit.limit + 2 * limit.deadband - tag.spec.run) / cross
        return Injection(
            spec.name,
            seed,
            spec.fault,
            tag.asset,
            onset,
            tag=tag.id,
            failure_mode="sensor_fault",
            params={"rate_per_s": rate, "cross_after_s": cross},
        )
    if spec.fault == "sensor_fault":
        kinds = spec.eligible.get("tag_kinds", [])
        tags = [t for t in plant.signals.tags if t.asset in assets and t.spec.kind in kinds and t.spec.alarms]
        tag = pick(tags)
        variant = pick(str(p["variants"]).split(","))
        alarm = tag.spec.alarms[0]
        magnitude = 1.5 * (alarm.limit - tag.spec.run)
        return Injection(
            spec.name,
            seed,
            spec.fault,
            tag.asset,
            onset,
            tag=tag.id,
            failure_mode="sensor_fault",
            variant=variant,
            params={"probability": num("spike_probability"), "magnitude": magnitude},
        )
    if spec.fault == "material_shortage":
        root = pick(sorted(cfg.materials))
        return Injection(
            spec.name,
            seed,
            spec.fault,
            root,
            onset,
            params={
                "stock_hours": _uniform(rng, p["stock_hours"]),
                "delivery_delay_h": num("delivery_delay_h"),
            },
        )
    # breakdown
    root = pick(assets)
    modes = [
        m.id for m in cfg.asset_types[plant.core.assets[root].type].failure_modes if "breakdown" in m.repairs
    ]
    return Injection(spec.name, seed, spec.fault, root, onset, failure_mode=pick(modes))


def apply_injection(plant: Plant, inj: Injection) -> None:
    """Arm the fault in a freshly reset plant."""
    core, sig, prod = plant.core, plant.signals, plant.production
    if inj.fault == "utility_failure":
        a = core.assets[inj.root]
        steps = 8
        for k in range(1, steps + 1):
            health = 1.0 - (1.0 - inj.params["residual"]) * k / steps
            core.at(
                inj.onset + inj.params["ramp_s"] * (k - 1) / (steps - 1),
                plant.set_health,
                a,
                health,
            )
    elif inj.fault == "bearing_wear":
        a = core.assets[inj.root]
        sig.bearing_wear[a.idx] = inj.params["initial"]
        fail_at = plant.cfg.degradation.bearing_fail_at
        sig.bearing_rate[a.idx] = (fail_at - inj.params["initial"]) / inj.params["fail_after_running_s"]
    elif inj.fault == "tool_wear":

        def start() -> None:
            prod.tool_multiplier[inj.root] = inj.params["multiplier"]
            prod.tool_change_ok[inj.root] = False

        core.at(inj.onset, start)
    elif inj.fault == "sensor_drift":
        assert inj.tag is not None
        sig.add_drift(sig.by_id[inj.tag], inj.params["rate_per_s"], inj.onset)
    elif inj.fault == "sensor_fault":
        assert inj.tag is not None
        tag = sig.by_id[inj.tag]
        if inj.variant == "stuck":
            core.at(inj.onset, sig.add_stuck, tag)
        else:
            core.at(inj.onset, sig.add_spikes, tag, inj.params["probability"], inj.params["magnitude"])
    elif inj.fault == "material_shortage":
        horizon = inj.params["stock_hours"] * 3600
        use = plant.cfg.products
        need = sum(
            use[j.product].material.per_part * j.qty
            for j in prod.jobs.values()
            if use[j.product].material.id == inj.root and (j.ops[0].planned_start or 0.0) < horizon
        )
        prod.stock[inj.root] = need
        prod.delivery_blocked_until[inj.root] = inj.params["delivery_delay_h"] * 3600
    else:
        a = core.assets[inj.root]
        core.at(inj.onset, plant.fail, a, "breakdown", "machine fault")


def _fed_machines(plant: Plant, root: str) -> list[str]:
    seen: list[str] = []
    todo = [root]
    while todo:
        for f in plant.core.assets[todo.pop()].feeds:
            if f not in seen:
                seen.append(f)
                todo.append(f)
    return sorted(a for a in seen if plant.core.assets[a].category == "machine")


def ground_truth(plant_cls: type[Plant], scenario: str, seed: int, config: Any = None) -> dict[str, Any]:
    """Run the scenario for 24 h with nobody intervening and read off what it did."""
    plant = plant_cls(config, seed=seed, scenario=scenario)
    inj = plant.injection
    assert inj is not None
    spec = plant.scenario_spec(scenario)
    plant.advance(TRUTH_HORIZON_S)
    prod, events = plant.production, plant.core.events
    affected: list[str] = []
    lots: list[str] = []
    onset = inj.onset
    facts: dict[str, Any] = {}
    if inj.fault == "utility_failure":
        affected = _fed_machines(plant, inj.root)
        lo, hi = inj.onset, inj.onset + spec.affected_lots_window_s
        lots = sorted(
            {
                j.lot
                for j in prod.jobs.values()
                for op in j.ops
                if op.machine in affected
                and op.start is not None
                and op.start <= hi
                and (op.end or 1e18) >= lo
            }
        )
        facts["trips"] = sorted({e["asset"] for e in events if e["type"] == "asset.tripped"})
    elif inj.fault in ("bearing_wear", "breakdown"):
        affected = [inj.root]
        fail = next(
            (
                e
                for e in events
                if e["type"] == "asset.mode" and e["asset"] == inj.root and e["mode"] == "down"
            ),
            None,
        )
        facts["failed_at"] = fail["time"] if fail else None
        if inj.fault == "breakdown":
            lots = sorted(
                {
                    j.lot
                    for j in prod.jobs.values()
                    for op in j.ops
                    if op.machine == inj.root
                    and op.start is not None
                    and op.start <= inj.onset
                    and (op.end or 1e18) > inj.onset
                }
            )
    elif inj.fault == "tool_wear":
        affected = [inj.root]
        sigma = {
            (pid, k): s.spec.sigma
            for pid, p in plant.cfg.products.items()
            for k, s in enumerate(p.routing)
            if s.spec is not None
        }
        lots = sorted(
            {
                m.lot
                for m in prod.measurements
                if m.machine == inj.root
                and m.t >= inj.onset
                and (
                    m.tool_shift >= spec.affected_lots_shift_sigma * sigma[(prod.jobs[m.job].product, m.op)]
                    or not m.in_spec
                )
            }
        )
    elif inj.fault == "sensor_drift":
        facts["false_alarm"] = True
        facts["first_alarm_at"] = next(
            (e["time"] for e in events if e["type"] == "alarm.raised" and e["tag"] == inj.tag), None
        )
    elif inj.fault == "sensor_fault":
        facts["variant"] = inj.variant
        facts["false_alarm"] = inj.variant == "spikes"
    elif inj.fault == "material_shortage":
        waits = [e for e in events if e["type"] == "job.waiting_material" and e["material"] == inj.root]
        affected = sorted({e["machine"] for e in waits})
        lots = sorted({prod.jobs[e["job"]].lot for e in waits})
        facts["first_shortage_at"] = waits[0]["time"] if waits else None
        onset = waits[0]["t"] if waits else onset
    root = [inj.root]
    fill = {
        "{root}": inj.root,
        "{failure_mode}": inj.failure_mode,
        "{affected_lots}": lots,
        "{affected_assets}": affected,
    }
    expected = [
        {k: fill.get(v, v) if isinstance(v, str) else v for k, v in fact.items()}
        for fact in spec.expected_end_state
    ]
    return {
        "name": spec.name,
        "title": spec.title,
        "title_zh": spec.title_zh,
        "description": spec.description.strip(),
        "seed": seed,
        "fault": inj.fault,
        "root_cause": root,
        "root_tag": inj.tag,
        "variant": inj.variant,
        "failure_mode": inj.failure_mode,
        "onset_t": onset,
        "onset_time": plant.core.iso(onset),
        "affected_assets": affected,
        "affected_lots": lots,
        "observed": facts,
        "expected_end_state": expected,
    }
