"""Sensor model: every tag of the plant, advanced together with numpy once per sample period.

A tag's true value follows a first-order lag towards a target set by its asset's operating
code (off / idle / running / faulted), its supplies (coolant, air, power, cooling water and the
asset's own health: a lost supply scales a value down or adds heat), bearing and tool wear,
and setpoints. The measured value adds sensor noise and, when a scenario says so, an
instrument fault: drift, stuck value or spikes. Random numbers come in fixed-size blocks from a
dedicated stream, so the history does not depend on how the clock is advanced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._config import SUPPLIES, PlantConfig, TagSpec
from ._core import MODE_CODE, AssetState, Core

F64 = npt.NDArray[np.float64]
LOAD = np.array([0.0, 0.3, 1.0, 0.3])
"""How much of its running load an asset carries per operating code (off, idle, run, faulted)."""
_BLOCK = 512


@dataclass(frozen=True, slots=True)
class TagInfo:
    id: str
    asset: str
    name: str
    idx: int
    spec: TagSpec


class Signals:
    def __init__(self, core: Core, cfg: PlantConfig, seed: int) -> None:
        self.core = core
        self.tags: list[TagInfo] = []
        for a in core.assets.values():
            for name, spec in cfg.asset_types[a.type].tags.items():
                self.tags.append(TagInfo(f"{a.id}.{name}", a.id, name, len(self.tags), spec))
        self.by_id = {t.id: t for t in self.tags}
        n, na = len(self.tags), len(core.assets)
        self.asset_of = np.array([core.assets[t.asset].idx for t in self.tags], dtype=np.intp)
        self.base = np.zeros((n, 4))
        self.noise_sd = np.zeros(n)
        self.alpha = np.ones(n)
        self.wear_k = np.zeros(n)
        self.tool_k = np.zeros(n)
        self.add_k = np.zeros((n, len(SUPPLIES)))
        self.scale_on = np.zeros((n, len(SUPPLIES)), dtype=bool)
        dt = core.dt
        for t in self.tags:
            s = t.spec
            idle = s.run if s.idle is None else s.idle
            off = s.run if s.off is None else s.off
            self.base[t.idx] = (off, idle, s.run, idle)
            self.noise_sd[t.idx] = s.noise
            self.alpha[t.idx] = 1.0 - np.exp(-dt / s.tau_s) if s.tau_s > 0 else 1.0
            self.wear_k[t.idx] = s.wear_k
            self.tool_k[t.idx] = s.tool_k
            for e in s.effects:
                j = SUPPLIES.index(e.source)
                if e.mode == "scale":
                    self.scale_on[t.idx, j] = True
                else:
                    self.add_k[t.idx, j] += e.k
        self._rows = np.arange(n)
        # per-asset state
        self.mode_code = np.array(
            [MODE_CODE[a.status] if a.category == "machine" else 2 for a in core.assets.values()]
        )
        self.bearing_wear = np.zeros(na)
        self.bearing_rate = np.zeros(na)
        self.tool_wear = np.zeros(na)
        self.supply = np.ones((na, len(SUPPLIES)))
        self.scale_vec = np.ones(n)
        self.add_vec = np.zeros(n)
        # instrument faults
        self.drift_rate = np.zeros(n)
        self.drift_t0 = np.full(n, np.inf)
        self.stuck = np.zeros(n, dtype=bool)
        self.stuck_val = np.zeros(n)
        self.spike_p = np.zeros(n)
        self.spike_mag = np.zeros(n)
        self._faulty = False
        # values and history
        self._rng = np.random.default_rng([seed, 1])
        self._z = np.empty((0, n))
        self._u = np.empty((0, n))
        self._k = _BLOCK
        self.true = self._target()
        self.measured = self.true.copy()
        self._hist = np.empty((_BLOCK, n), dtype=np.float32)
        self._hist_t = np.empty(_BLOCK)
        self.hist_len = 0
        self.ticks = 0
        self._record(0.0)

    # -- supplies and modes ----------------------------------------------------------------
    def refresh_supply(self, effective: dict[str, float], fracs: dict[str, dict[str, float]]) -> None:
        """Take each utility's effective output and each asset's supply fractions (by type)."""
        for a in self.core.assets.values():
            row = self.supply[a.idx]
            row[0] = effective.get(a.id, 1.0)
            for j, name in enumerate(SUPPLIES[1:], start=1):
                row[j] = fracs[a.id].get(name, 1.0)
        loss = 1.0 - self.supply[self.asset_of]
        self.add_vec = (self.add_k * loss).sum(axis=1)
        self.scale_vec = np.where(self.scale_on, 1.0 - loss, 1.0).prod(axis=1)

    def set_status(self, a: AssetState) -> None:
        self.mode_code[a.idx] = MODE_CODE[a.status] if a.category == "machine" else 2

    def set_run_value(self, tag: TagInfo, delta: float) -> None:
        """Shift a setpoint-driven tag's running and idle values by `delta` from its default."""
        s = tag.spec
        idle = s.run if s.idle is None else s.idle
        self.base[tag.idx, 2] = s.run + delta
        self.base[tag.idx, 1] = self.base[tag.idx, 3] = idle + delta

    # -- stepping ----------------------------------------------------------------------------
    def _target(self) -> F64:
        code = self.mode_code[self.asset_of]
        load = LOAD[code]
        ai = self.asset_of
        wear = self.wear_k * self.bearing_wear[ai] + self.tool_k * self.tool_wear[ai]
        out: F64 = self.base[self._rows, code] * self.scale_vec + load * (self.add_vec + wear)
        return out

    def tick(self, t: float) -> None:
        if self._k >= _BLOCK:
            self._z = self._rng.standard_normal((_BLOCK, len(self.tags)))
            self._u = self._rng.random((_BLOCK, len(self.tags)))
            self._k = 0
        z, u = self._z[self._k], self._u[self._k]
        self._k += 1
        self.true += (self._target() - self.true) * self.alpha
        meas = self.true + self.noise_sd * z
        if self._faulty:
            meas += self.drift_rate * np.clip(t - self.drift_t0, 0.0, None)
            meas += np.where(u < self.spike_p, self.spike_mag, 0.0)
            meas = np.where(self.stuck, self.stuck_val, meas)
        self.measured = meas
        self.bearing_wear += self.bearing_rate * self.core.dt * LOAD[self.mode_code]
        self.ticks += 1
        self._record(t)

    def _record(self, t: float) -> None:
        if self.hist_len == len(self._hist):
            self._hist = np.concatenate([self._hist, np.empty_like(self._hist)])
            self._hist_t = np.concatenate([self._hist_t, np.empty_like(self._hist_t)])
        self._hist[self.hist_len] = self.measured
        self._hist_t[self.hist_len] = t
        self.hist_len += 1

    # -- instrument faults ------------------------------------------------------------------
    def add_drift(self, tag: TagInfo, rate_per_s: float, t0: float) -> None:
        self.drift_rate[tag.idx], self.drift_t0[tag.idx] = rate_per_s, t0
        self._faulty = True

    def add_stuck(self, tag: TagInfo) -> None:
        """Freeze the reading at its current value."""
        self.stuck[tag.idx], self.stuck_val[tag.idx] = True, float(self.measured[tag.idx])
        self._faulty = True

    def add_spikes(self, tag: TagInfo, probability: float, magnitude: float) -> None:
        self.spike_p[tag.idx], self.spike_mag[tag.idx] = probability, magnitude
        self._faulty = True

    def clear_faults(self, asset_id: str) -> bool:
        """Calibrate every instrument of an asset; True if any had a fault."""
        idx = [t.idx for t in self.tags if t.asset == asset_id]
        had = bool(
            np.any(self.drift_rate[idx] != 0) or np.any(self.stuck[idx]) or np.any(self.spike_p[idx] > 0)
        )
        self.drift_rate[idx], self.drift_t0[idx] = 0.0, np.inf
        self.stuck[idx], self.spike_p[idx], self.spike_mag[idx] = False, 0.0, 0.0
        return had

    # -- reading -------------------------------------------------------------------------------
    def history(self, tag: TagInfo, since: float, until: float) -> tuple[F64, F64]:
        n = self.hist_len
        times = self._hist_t[:n]
        lo, hi = np.searchsorted(times, since, "left"), np.searchsorted(times, until, "right")
        return times[lo:hi], self._hist[lo:hi, tag.idx].astype(np.float64)

    def history_bytes(self) -> bytes:
        return self._hist[: self.hist_len].tobytes() + self._hist_t[: self.hist_len].tobytes()
