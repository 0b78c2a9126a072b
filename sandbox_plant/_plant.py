"""The plant: one object that owns the simulation and exposes every query and action.

`Plant.reset(seed, scenario)` builds a fresh plant; `advance(seconds)` runs the virtual clock;
the action methods validate everything first and change nothing when they refuse (they raise a
`PlantError`). The HTTP API is a thin layer over this class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._alarms import Alarm, AlarmSystem
from ._config import PlantConfig, ScenarioSpec, load_plant_config, load_scenarios
from ._core import AssetState, Core
from ._errors import InvalidRequest, NotFound, Refused
from ._maintenance import Maintenance, WorkOrder
from ._production import Lot, Production
from ._scenarios import Injection, apply_injection, instantiate
from ._signals import Signals

MAX_ADVANCE_S = 86400.0
"""Longest single clock advance; call again to go further."""


class Plant:
    def __init__(
        self, config: PlantConfig | None = None, *, seed: int = 0, scenario: str | None = None
    ) -> None:
        self.cfg = config or load_plant_config()
        self.reset(seed, scenario)

    # -- lifecycle ------------------------------------------------------------------------------
    def reset(self, seed: int, scenario: str | None = None) -> None:
        spec = self.scenario_spec(scenario) if scenario is not None else None
        cfg = self.cfg
        self.seed, self.scenario = seed, scenario
        self.core = core = Core(cfg, seed)
        self.signals = Signals(core, cfg, seed)
        self.alarms = AlarmSystem(core, cfg, self.signals)
        self.production = Production(core, cfg, self.signals, seed)
        self.maintenance = Maintenance(core, cfg, seed)
        self.setpoints = {
            (a.id, name): sp.value
            for a in core.assets.values()
            for name, sp in cfg.asset_types[a.type].setpoints.items()
        }
        deg, rng = cfg.degradation, np.random.default_rng([seed, 6])
        for a in core.assets.values():
            if any(t.wear_k for t in cfg.asset_types[a.type].tags.values()):
                self.signals.bearing_wear[a.idx] = float(rng.uniform(*deg.bearing_initial))
                self.signals.bearing_rate[a.idx] = deg.bearing_rate_per_s
        self._failed = np.zeros(len(core.assets), dtype=bool)
        self._asset_list = list(core.assets.values())
        self._conveyors = {a.line: a for a in core.assets.values() if a.type == "conveyor"}
        core.status_listeners.append(self._on_status)
        self.alarms.on_trip = self._trip
        self.refresh_supply()
        for a in core.assets.values():
            self.signals.set_status(a)
        self.production.publish(
            self.production.default_schedule(), "mes", "initial schedule (default dispatcher)"
        )
        self.injection: Injection | None = None
        if spec is not None:
            self.injection = instantiate(spec, seed, self)
            apply_injection(self, self.injection)
        core.emit("plant.reset", seed=seed, scenario=scenario)

    @staticmethod
    def scenario_spec(name: str) -> ScenarioSpec:
        specs = load_scenarios()
        if name not in specs:
            raise InvalidRequest(f"Unknown scenario {name!r}; known: {', '.join(specs)} (GET /scenarios).")
        return specs[name]

    def advance(self, seconds: float) -> None:
        if not 0 <= seconds <= MAX_ADVANCE_S:
            raise InvalidRequest(
                f"seconds must be between 0 and {int(MAX_ADVANCE_S)} (24 h); call again to go further."
            )
        core, dt = self.core, self.core.dt
        target = core.now + seconds
        while True:
            next_tick = (self.signals.ticks + 1) * dt
            nxt = min(core.next_time(), next_tick)
            if nxt > target:
                break
            if core.next_time() <= next_tick:
                core.pop_and_run()
            else:
                core.now = next_tick
                self._tick()
        core.now = target

    def _tick(self) -> None:
        self.signals.tick(self.core.now)
        self.alarms.evaluate()
        worn = np.flatnonzero(
            (self.signals.bearing_wear >= self.cfg.degradation.bearing_fail_at) & ~self._failed
        )
        for i in worn:
            self._failed[i] = True
            self.fail(self._asset_list[i], "bearing", "machine fault")

    # -- internal plant reactions -----------------------------------------------------------------
    def _on_status(self, a: AssetState, before: str) -> None:
        self.signals.set_status(a)
        self.alarms.on_status(a)
        self.production.on_status(a)
        conv = self._conveyors.get(a.line) if a.type != "conveyor" else None
        if conv is not None:
            on_line = [m for m in self.production.machines if m.line == a.line]
            self.core.set_busy(conv, any(m.status == "running" for m in on_line))

    def fail(self, a: AssetState, cause: str, reason: str) -> None:
        """A fault takes an asset down (a utility stops supplying)."""
        if cause not in a.down_causes:
            a.down_causes.append(cause)
        if a.category == "utility":
            a.health = 0.02
            self.refresh_supply()
        self.core.set_mode(a, "down", reason=reason)

    def _trip(self, alarm: Alarm, value: float) -> None:
        a = self.core.assets[alarm.asset]
        if a.mode == "auto":
            self.core.emit(
                "asset.tripped", asset=a.id, tag=alarm.tag, value=round(value, 3), limit=alarm.limit
            )
            self.fail(a, "trip", f"protective trip: {alarm.tag} {alarm.type} {alarm.limit}")

    def set_health(self, a: AssetState, health: float) -> None:
        a.health = health
        self.refresh_supply()

    def refresh_supply(self) -> None:
        assets = self.core.assets
        eff: dict[str, float] = {}

        def effective(uid: str) -> float:
            if uid not in eff:
                eff[uid] = 1.0  # guards against feed loops
                u = assets[uid]
                power = [effective(f) for f in u.fed_by if self._supplies(f) == "power"]
                eff[uid] = u.health * (max(power) if power else 1.0)
            return eff[uid]

        fracs: dict[str, dict[str, float]] = {}
        for a in assets.values():
            by_type: dict[str, float] = {}
            for f in a.fed_by:
                kind = self._supplies(f)
                if kind is not None:
                    by_type[kind] = max(by_type.get(kind, 0.0), effective(f))
            fracs[a.id] = by_type
        for a in assets.values():
            if a.category == "utility":
                effective(a.id)
        self.signals.refresh_supply(eff, fracs)
        for a in assets.values():
            if a.category != "machine":
                continue
            has_power = fracs[a.id].get("power", 1.0) >= 0.5
            if not has_power and "power" not in a.down_causes:
                self.fail(a, "power", "loss of power")
            elif has_power and "power" in a.down_causes:
                a.down_causes.remove("power")
                if not a.down_causes and a.mode == "down":
                    self.core.set_mode(a, "auto", reason="power restored")

    def _supplies(self, asset_id: str) -> str | None:
        return self.cfg.asset_types[self.core.assets[asset_id].type].supplies

    # -- lookups ----------------------------------------------------------------------------------
    def asset(self, asset_id: str) -> AssetState:
        try:
            return self.core.assets[asset_id]
        except KeyError:
            raise NotFound(f"Unknown asset {asset_id!r}; list assets with GET /assets.") from None

    def machine(self, asset_id: str) -> AssetState:
        a = self.asset(asset_id)
        if a.category != "machine":
            raise InvalidRequest(
                f"{a.id} is a utility ({a.type}); machine modes apply to production machines only."
            )
        return a

    # -- actions -------------------------------------------------------------------------------------
    def set_mode(self, asset_id: str, mode: str, by: str, reason: str) -> AssetState:
        a = self.machine(asset_id)
        if mode not in ("auto", "stopped"):
            raise InvalidRequest("mode must be 'auto' or 'stopped' (lock-out goes through a work order).")
        if a.mode == mode:
            raise Refused(f"{a.id} is already in mode {mode}.", code="no_change")
        if a.mode == "maintenance":
            wo = self.maintenance.open_lockout(a.id)
            raise Refused(
                f"Interlock: {a.id} is locked out under {wo.id if wo else 'a work order'}; "
                "it can be started once that work order is complete.",
                code="interlock",
            )
        if mode == "auto" and a.mode == "down":
            if a.down_causes != ["trip"] or self._trip_active(a):
                causes = ", ".join(a.down_causes)
                raise Refused(
                    f"{a.id} is down ({causes}); it needs a corrective work order before it can run"
                    " (or, after a trip, the tripping value back inside its limit).",
                    code="interlock",
                )
            a.down_causes.clear()
        if mode == "stopped" and a.mode == "down":
            raise Refused(f"{a.id} is down already; repair it through a work order.", code="no_change")
        self.core.set_mode(a, mode, reason=reason, by=by)
        return a

    def _trip_active(self, a: AssetState) -> bool:
        for al in self.alarms.alarms:
            if al.asset == a.id and al.trip:
                v = float(self.signals.true[self.signals.by_id[al.tag].idx])
                if (v > al.limit - al.deadband) if al.type.startswith("HI") else (v < al.limit + al.deadband):
                    return True
        return False

    def set_setpoint(self, asset_id: str, name: str, value: float, by: str) -> dict[str, Any]:
        a = self.asset(asset_id)
        spec = self.cfg.asset_types[a.type].setpoints.get(name)
        if spec is None:
            known = ", ".join(self.cfg.asset_types[a.type].setpoints) or "none"
            raise NotFound(
                f"{a.id} has no setpoint {name!r} (its setpoints: {known}); see GET /setpoints?asset={a.id}."
            )
        if not spec.min <= value <= spec.max:
            raise Refused(
                f"Setpoint {a.id}.{name}={value} {spec.unit} is beyond its limits "
                f"[{spec.min}, {spec.max}] {spec.unit}; choose a value inside them.",
                code="limit",
            )
        old = self.setpoints[(a.id, name)]
        self.setpoints[(a.id, name)] = value
        for t in self.signals.tags:
            if t.asset == a.id and t.spec.setpoint == name:
                self.signals.set_run_value(t, value - spec.value)
        self.core.emit("setpoint.changed", asset=a.id, setpoint=name, old=old, new=value, by=by)
        return {"asset": a.id, "name": name, "value": value, "previous": old, "unit": spec.unit}

    def create_work_order(self, asset_id: str, **kw: Any) -> WorkOrder:
        return self.maintenance.create(self.asset(asset_id), **kw)

    def work_order_status(self, wo_id: str, status: str, by: str, note: str | None) -> WorkOrder:
        m = self.maintenance
        wo = m.get(wo_id)
        m.check_transition(wo, status)
        a = self.core.assets[wo.asset]
        if status == "INPRG":
            techs = m.start(wo, machine_running=a.status == "running")
            for pid, qty in wo.parts.items():
                m.parts[pid] -= qty
            for t in techs:
                t.work_order = wo.id
            m.set_status(wo, status, by, note)
            if wo.lockout and a.category == "machine":
                self.core.set_mode(a, "maintenance", reason=f"lock-out for {wo.id}", by=by)
            wo.token += 1
            self.core.at(self.core.now + wo.estimated_h * 3600, self._auto_complete, wo, wo.token)
        elif status == "COMP":
            self._complete(wo, by, note)
        else:
            m.set_status(wo, status, by, note)
        return wo

    def _auto_complete(self, wo: WorkOrder, token: int) -> None:
        if wo.token == token and wo.status == "INPRG":
            self._complete(wo, ",".join(wo.assigned), "work done")

    def _complete(self, wo: WorkOrder, by: str, note: str | None) -> None:
        a = self.core.assets[wo.asset]
        self.maintenance.set_status(wo, "COMP", by, note)
        repairs = self.maintenance.repairs(wo, a.type)
        if "bearing" in repairs:
            self.signals.bearing_wear[a.idx] = 0.02
            self.signals.bearing_rate[a.idx] = min(
                self.signals.bearing_rate[a.idx], self.cfg.degradation.bearing_rate_per_s
            )
            self._failed[a.idx] = False
        if "tool" in repairs:
            self.signals.tool_wear[a.idx] = 0.0
            if a.id in self.production.tool_multiplier:
                self.production.tool_multiplier[a.id], self.production.tool_change_ok[a.id] = (
                    1.0,
                    True,
                )
        if "sensor" in repairs:
            self.signals.clear_faults(a.id)
        had = set(a.down_causes)
        cleared = (
            {"trip"}
            | ({"bearing"} & set(repairs))
            | ({"breakdown"} if {"breakdown", "utility"} & set(repairs) else set())
        )
        a.down_causes[:] = [c for c in a.down_causes if c not in cleared]
        if a.category == "utility" and ("utility" in repairs or ("bearing" in repairs and "bearing" in had)):
            self.set_health(a, 1.0)
        other = self.maintenance.open_lockout(a.id)
        if other is not None:
            return  # still locked out by another work order in progress
        if not a.down_causes and a.mode in ("maintenance", "down"):
            self.core.set_mode(a, "auto", reason=f"{wo.id} complete", by=by)
        elif a.down_causes and a.mode == "maintenance":
            self.core.set_mode(
                a, "down", reason=f"{wo.id} complete; still down: {', '.join(a.down_causes)}", by=by
            )

    def hold_lot(self, lot_id: str, by: str, reason: str) -> Lot:
        return self.production.hold(lot_id, by, reason)

    def release_lot(self, lot_id: str, by: str, reason: str) -> Lot:
        return self.production.release(lot_id, by, reason)
