"""Production: the order book, jobs and their routings, lots, materials, the published schedule
and its execution, and the quality measurements taken on every part.

A machine executes its queue of the published schedule in order: the head operation starts
when its planned start has come, the job's previous operation is done, its lot is not on hold
and (first operation) its material is in stock. An operation interrupted by a stop, a fault or
a lock-out pauses and resumes where it stopped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._config import PlantConfig, StepSpec
from ._core import AssetState, Core
from ._errors import InvalidRequest, NotFound, Refused
from ._signals import Signals

_BATCH_SAMPLES = 5
MAX_JOB_QTY = 100_000
"""Largest quantity one job may order."""


@dataclass(slots=True)
class Op:
    job: str
    index: int
    step: StepSpec
    machine: str | None = None
    planned_start: float | None = None
    status: str = "pending"
    """pending, running, paused (interrupted), done."""
    start: float | None = None
    end: float | None = None
    remaining: float = 0.0
    token: int = 0
    tag_at_start: float | None = None


@dataclass(slots=True)
class Job:
    id: str
    product: str
    qty: int
    release: float
    due: float
    lot: str
    ops: list[Op]
    material_taken: bool = False
    waiting_material: bool = False
    completed_at: float | None = None

    @property
    def status(self) -> str:
        if self.completed_at is not None:
            return "complete"
        if any(op.status != "pending" for op in self.ops):
            return "in_process"
        return "released" if self.material_taken or self.waiting_material else "planned"


@dataclass(slots=True)
class Lot:
    id: str
    job: str
    product: str
    qty: int
    good: int = 0
    scrap: int = 0
    status: str = "queued"
    """queued, in_process, complete."""
    on_hold: bool = False
    hold_reason: str | None = None
    hold_by: str | None = None
    holds: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Measurement:
    seq: int
    t: float
    lot: str
    job: str
    op: int
    machine: str
    characteristic: str
    part: int
    value: float
    nominal: float
    lsl: float
    usl: float
    tool_shift: float
    """Hidden ground truth: the part of the deviation that tool wear caused (not served)."""

    @property
    def in_spec(self) -> bool:
        return self.lsl <= self.value <= self.usl


class Production:
    def __init__(self, core: Core, cfg: PlantConfig, signals: Signals, seed: int) -> None:
        self.core, self.cfg, self.signals = core, cfg, signals
        self._orders_rng = np.random.default_rng([seed, 2])
        self._proc_rng = np.random.default_rng([seed, 3])
        self._q_rng = np.random.default_rng([seed, 4])
        self.machines = [
            a for a in core.assets.values() if a.category == "machine" and cfg.asset_types[a.type].scheduled
        ]
        self.queue: dict[str, list[Op]] = {m.id: [] for m in self.machines}
        self.last_product: dict[str, str | None] = {m.id: None for m in self.machines}
        self.tool_multiplier = {m.id: 1.0 for m in self.machines}
        self.tool_change_ok = {m.id: True for m in self.machines}
        self.offset: dict[tuple[str, str], float] = {}
        self.stock = {mid: m.stock for mid, m in cfg.materials.items()}
        self.delivery_blocked_until = dict.fromkeys(cfg.materials, 0.0)
        self.measurements: list[Measurement] = []
        self.jobs: dict[str, Job] = {}
        self.lots: dict[str, Lot] = {}
        self.schedule_version = 0
        self.schedule_meta: dict[str, Any] = {}
        self._wake: dict[str, float] = {}
        self._make_order_book()
        self._next_order = len(self.jobs) + 1
        for mid, m in cfg.materials.items():
            core.at(m.delivery_every_h * 3600, self._deliver, mid)

    # -- order book and the default dispatcher -------------------------------------------------
    def _make_order_book(self) -> None:
        ob, rng = self.cfg.orders, self._orders_rng
        releases = [0.0] * ob.backlog + sorted(
            float(round(x / 60) * 60) for x in rng.uniform(0, ob.horizon_h * 3600, ob.count)
        )
        products = sorted(self.cfg.products)
        for i, release in enumerate(releases, start=1):
            pid = products[int(rng.integers(len(products)))]
            qty = int(rng.integers(ob.qty[0], ob.qty[1] + 1))
            routing = self.cfg.products[pid].routing
            work = sum(s.setup_s + (s.cycle_s if s.batch else s.cycle_s * qty) for s in routing)
            due = release + work * float(rng.uniform(*ob.due_factor)) + ob.due_margin_h * 3600
            self._add_job(i, pid, qty, release, float(round(due / 60) * 60))

    def _add_job(self, n: int, product: str, qty: int, release: float, due: float) -> Job:
        """Job and lot number `n` with the product's routing; no operation has a machine yet."""
        jid, lid = f"JOB-{n:04d}", f"LOT-{n:04d}"
        ops = [Op(job=jid, index=k, step=s) for k, s in enumerate(self.cfg.products[product].routing)]
        job = self.jobs[jid] = Job(jid, product, qty, release, due, lid, ops)
        self.lots[lid] = Lot(lid, jid, product, qty)
        return job

    def create_job(
        self,
        product: str,
        qty: int,
        due: float,
        *,
        release: float | None = None,
        by: str,
        reason: str | None = None,
    ) -> Job:
        """Order intake: a new job (and its lot) for `qty` parts of `product`, due at `due` and
        startable from `release` (default now), both seconds since reset. Its operations get no
        machine: it is listed as unscheduled and runs only once a published schedule includes it."""
        now, iso = self.core.now, self.core.iso
        if product not in self.cfg.products:
            known = ", ".join(sorted(self.cfg.products))
            raise InvalidRequest(f"Unknown product {product!r}; known products: {known}.")
        if not 1 <= qty <= MAX_JOB_QTY:
            raise InvalidRequest(
                f"qty must be between 1 and {MAX_JOB_QTY}, not {qty}; split a larger order into several jobs."
            )
        start = now if release is None else release
        if not (math.isfinite(start) and math.isfinite(due)):
            raise InvalidRequest("release and due must be finite times, seconds since reset.")
        if start < now:
            raise InvalidRequest(
                f"release_time {iso(start)} is before now ({iso(now)}); omit it to release the job now."
            )
        if due <= start:
            when = " (now)" if start == now else ""
            raise InvalidRequest(
                f"The due time {iso(due)} is not after the release {iso(start)}{when}; "
                "give a due time later than the release."
            )
        job = self._add_job(self._next_order, product, qty, start, due)
        self._next_order += 1
        self.core.emit(
            "job.created",
            job=job.id,
            lot=job.lot,
            product=product,
            qty=qty,
            release_time=iso(start),
            due_time=iso(due),
            by=by,
            reason=reason,
        )
        return job

    def default_schedule(self) -> list[tuple[str, int, str, float]]:
        """List scheduling in (release, due) order, each operation on the machine of its type
        that finishes it first: the plant's own MES dispatcher, used at reset. Later, running
        operations stay where they are (they cannot move) and hold their machine until they end."""
        free = {m.id: self.core.now for m in self.machines}
        for m, q in self.queue.items():
            if q and q[0].status == "running":
                free[m] = max(free[m], q[0].end or 0.0)
        out: list[tuple[str, int, str, float]] = []
        for job in sorted(self.jobs.values(), key=lambda j: (j.release, j.due, j.id)):
            ready, line = max(job.release, self.core.now), None
            for op in job.ops:
                if op.status == "done":
                    continue
                if op.status == "running" and op.machine is not None:
                    ready, line = max(ready, op.end or 0.0), self.core.assets[op.machine].line
                    continue
                dur = self.nominal_duration(op)
                cands = [m for m in self.machines if m.type == op.step.type]
                if not cands:
                    continue
                best = min(cands, key=lambda m: (max(free[m.id], ready) + dur, m.line != line, m.id))
                start = max(free[best.id], ready)
                out.append((job.id, op.index, best.id, start))
                free[best.id] = ready = start + dur
                line = best.line
        return out

    def nominal_duration(self, op: Op) -> float:
        qty = self.jobs[op.job].qty
        return op.step.setup_s + (op.step.cycle_s if op.step.batch else op.step.cycle_s * qty)

    # -- lookups ----------------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        try:
            return self.jobs[job_id]
        except KeyError:
            raise NotFound(f"Unknown job {job_id!r}; list jobs with GET /jobs.") from None

    def lot(self, lot_id: str) -> Lot:
        try:
            return self.lots[lot_id]
        except KeyError:
            raise NotFound(f"Unknown lot {lot_id!r}; list lots with GET /lots.") from None

    def current_op(self, machine: str) -> Op | None:
        q = self.queue.get(machine, [])
        return q[0] if q and q[0].status == "running" else None

    # -- schedule publication ------------------------------------------------------------------
    def publish(self, assignments: list[tuple[str, int, str, float]], by: str, reason: str) -> dict[str, Any]:
        """Replace the schedule. Validates everything first; refuses without changing anything."""
        seen: set[tuple[str, int]] = set()
        for n, (jid, k, mid, start) in enumerate(assignments):
            where = f"assignments[{n}]"
            if jid not in self.jobs:
                raise InvalidRequest(f"{where}: unknown job {jid!r}; list jobs with GET /jobs.")
            job = self.jobs[jid]
            if not 0 <= k < len(job.ops):
                raise InvalidRequest(f"{where}: job {jid} has operations 0..{len(job.ops) - 1}, not {k}.")
            if mid not in self.queue:
                raise InvalidRequest(
                    f"{where}: {mid!r} is not a schedulable machine; list machines with GET /assets?category=machine."
                )
            op = job.ops[k]
            if self.core.assets[mid].type != op.step.type:
                raise InvalidRequest(
                    f"{where}: {jid} op {k} needs a {op.step.type} machine; {mid} is a {self.core.assets[mid].type}."
                )
            if (jid, k) in seen:
                raise InvalidRequest(f"{where}: {jid} op {k} is assigned twice.")
            seen.add((jid, k))
            if op.status in ("running", "done") and op.machine != mid:
                raise Refused(
                    f"{where}: {jid} op {k} is already {op.status} on {op.machine}; it cannot move to {mid}. "
                    "Leave it out or keep its machine.",
                    code="op_started",
                )
            if not start >= 0:
                raise InvalidRequest(f"{where}: start must be >= 0 seconds since reset.")
        # apply
        keep_running = {m: q[0] for m, q in self.queue.items() if q and q[0].status == "running"}
        movable = [op for j in self.jobs.values() for op in j.ops if op.status in ("pending", "paused")]
        for op in movable:
            op.machine, op.planned_start = None, None
        new_q: dict[str, list[tuple[float, int, Op]]] = {m: [] for m in self.queue}
        for n, (jid, k, mid, start) in enumerate(assignments):
            op = self.jobs[jid].ops[k]
            if op.status in ("pending", "paused"):
                op.machine, op.planned_start = mid, float(start)
                new_q[mid].append((float(start), n, op))
        for mid in self.queue:
            ordered = [op for _, _, op in sorted(new_q[mid], key=lambda x: (x[0], x[1]))]
            self.queue[mid] = ([keep_running[mid]] if mid in keep_running else []) + ordered
        self.schedule_version += 1
        unscheduled = [f"{op.job}/{op.index}" for op in movable if op.machine is None]
        self.schedule_meta = {"by": by, "reason": reason, "published_t": self.core.now}
        self.core.emit(
            "schedule.published",
            version=self.schedule_version,
            by=by,
            reason=reason,
            assignments=len(assignments),
            unscheduled=len(unscheduled),
        )
        for m in self.machines:
            self.dispatch(m)
        return {
            "version": self.schedule_version,
            "published_at": self.core.iso(self.core.now),
            "assignments": len(assignments),
            "unscheduled": unscheduled,
        }

    # -- execution -----------------------------------------------------------------------------
    def on_status(self, a: AssetState) -> None:
        if a.id not in self.queue:
            return
        op = self.current_op(a.id)
        if op is not None and a.status != "running":
            self._pause(a, op)
        if a.status == "idle":
            self.dispatch(a)

    def _pause(self, a: AssetState, op: Op) -> None:
        op.status, op.remaining, op.token = (
            "paused",
            max(0.0, (op.end or 0.0) - self.core.now),
            op.token + 1,
        )
        self.core.emit(
            "job.op_paused",
            job=op.job,
            op=op.index,
            machine=a.id,
            reason=a.status,
            remaining_s=round(op.remaining, 1),
        )
        self.core.set_busy(a, False)

    def dispatch(self, a: AssetState) -> None:
        if a.mode != "auto" or a.busy or not self.queue.get(a.id):
            return
        op = self.queue[a.id][0]
        job, now = self.jobs[op.job], self.core.now
        if op.index > 0 and job.ops[op.index - 1].status != "done":
            return
        if self.lots[job.lot].on_hold:
            return
        not_before = max(op.planned_start or 0.0, job.release)
        if not_before > now:
            if self._wake.get(a.id) != not_before:
                self._wake[a.id] = not_before
                self.core.at(not_before, self._wake_up, a)
            return
        if op.status == "paused":
            self._run(a, op, op.remaining, resumed=True)
            return
        if op.index == 0 and not job.material_taken:
            use = self.cfg.products[job.product].material
            need = use.per_part * job.qty
            if self.stock[use.id] < need:
                if not job.waiting_material:
                    job.waiting_material = True
                    self.core.emit(
                        "job.waiting_material",
                        job=job.id,
                        machine=a.id,
                        material=use.id,
                        needed=need,
                        in_stock=round(self.stock[use.id], 3),
                    )
                return
            self.stock[use.id] -= need
            job.material_taken, job.waiting_material = True, False
        step = op.step
        setup = step.setup_s if self.last_product[a.id] != job.product else 0.0
        work = step.cycle_s if step.batch else step.cycle_s * job.qty
        factor = self._speed_factor(a) * float(self._proc_rng.lognormal(0.0, 0.04))
        op.start = now
        op.tag_at_start = self._spec_tag_value(a, step)
        self.last_product[a.id] = job.product
        self._run(a, op, setup + work * factor, resumed=False)

    def _wake_up(self, a: AssetState) -> None:
        self._wake.pop(a.id, None)
        self.dispatch(a)

    def _run(self, a: AssetState, op: Op, duration: float, *, resumed: bool) -> None:
        op.status, op.machine, op.token = "running", a.id, op.token + 1
        op.end = self.core.now + duration
        lot = self.lots[self.jobs[op.job].lot]
        lot.status = "in_process"
        self.core.emit(
            "job.op_resumed" if resumed else "job.op_started",
            job=op.job,
            op=op.index,
            machine=a.id,
            lot=lot.id,
            expected_end=self.core.iso(op.end),
        )
        self.core.set_busy(a, True)
        self.core.at(op.end, self._finish, a, op, op.token)

    def _speed_factor(self, a: AssetState) -> float:
        wear = float(self.signals.bearing_wear[a.idx])
        return 1.0 + 0.5 * max(0.0, wear - 0.5)

    def _spec_tag_value(self, a: AssetState, step: StepSpec) -> float | None:
        if step.spec is None or step.spec.tag is None:
            return None
        tag = self.signals.by_id.get(f"{a.id}.{step.spec.tag}")
        return None if tag is None else float(self.signals.true[tag.idx])

    def _finish(self, a: AssetState, op: Op, token: int) -> None:
        if op.token != token or op.status != "running":
            return
        job, now = self.jobs[op.job], self.core.now
        lot = self.lots[job.lot]
        good, scrap = self._make_parts(a, op, job)
        op.status, op.end = "done", now
        self.queue[a.id].remove(op)
        lot.scrap += scrap
        a.parts_total += job.qty
        a.parts_good += good
        a.ideal_s += op.step.cycle_s if op.step.batch else op.step.cycle_s * job.qty
        self.core.emit(
            "job.op_completed",
            job=job.id,
            op=op.index,
            machine=a.id,
            lot=lot.id,
            good=good,
            scrap=scrap,
        )
        if op.index == len(job.ops) - 1:
            job.completed_at = now
            lot.status, lot.good = "complete", lot.qty - lot.scrap
            self.core.emit(
                "lot.completed",
                lot=lot.id,
                job=job.id,
                good=lot.good,
                scrap=lot.scrap,
                late=now > job.due,
            )
        self.core.set_busy(a, False)
        if op.index + 1 < len(job.ops):
            nxt = job.ops[op.index + 1].machine
            if nxt is not None:
                self.dispatch(self.core.assets[nxt])

    def _make_parts(self, a: AssetState, op: Op, job: Job) -> tuple[int, int]:
        spec = op.step.spec
        if spec is None:
            return job.qty, 0
        tag_now = self._spec_tag_value(a, op.step)
        tag_ref = self.signals.by_id[f"{a.id}.{spec.tag}"].spec.run if tag_now is not None else 0.0
        start_val = op.tag_at_start if op.tag_at_start is not None else tag_now
        key = (a.id, spec.characteristic)
        if key not in self.offset:
            self.offset[key] = float(self._q_rng.normal(0.0, 0.3)) * spec.sigma
        deg = self.cfg.degradation
        n = _BATCH_SAMPLES if op.step.batch else job.qty
        z = self._q_rng.standard_normal(n)
        out = 0
        for i in range(n):
            tw = 0.0
            if spec.tool_k:
                tw = self._wear_tool(a, deg.tool_wear_per_part, deg.tool_change_at)
            frac = (i + 1) / n
            tag_val = (start_val or 0.0) + frac * ((tag_now or 0.0) - (start_val or 0.0))
            thermal = spec.tag_k * (tag_val - tag_ref) if tag_now is not None else 0.0
            value = spec.nominal + self.offset[key] + spec.tool_k * tw + thermal + spec.sigma * float(z[i])
            m = Measurement(
                seq=len(self.measurements) + 1,
                t=self.core.now,
                lot=job.lot,
                job=job.id,
                op=op.index,
                machine=a.id,
                characteristic=spec.characteristic,
                part=i + 1,
                value=round(value, 6),
                nominal=spec.nominal,
                lsl=spec.lsl,
                usl=spec.usl,
                tool_shift=spec.tool_k * tw,
            )
            self.measurements.append(m)
            out += 0 if m.in_spec else 1
        scrap = out if not op.step.batch else round(job.qty * out / n)
        return job.qty - scrap, scrap

    def _wear_tool(self, a: AssetState, per_part: float, change_at: float) -> float:
        w = self.signals.tool_wear
        w[a.idx] += per_part * self.tool_multiplier[a.id]
        if self.tool_change_ok[a.id] and w[a.idx] >= change_at:
            w[a.idx] = 0.0
            self.core.emit("machine.tool_changed", asset=a.id, reason="tool life reached")
        return float(w[a.idx])

    # -- lots ------------------------------------------------------------------------------------
    def hold(self, lot_id: str, by: str, reason: str) -> Lot:
        lot = self.lot(lot_id)
        if lot.on_hold:
            raise Refused(f"Lot {lot.id} is already on hold ({lot.hold_reason}).", code="invalid_transition")
        lot.on_hold, lot.hold_reason, lot.hold_by = True, reason, by
        lot.holds.append({"action": "hold", "t": self.core.now, "by": by, "reason": reason})
        self.core.emit("lot.held", lot=lot.id, job=lot.job, by=by, reason=reason)
        return lot

    def release(self, lot_id: str, by: str, reason: str) -> Lot:
        lot = self.lot(lot_id)
        if not lot.on_hold:
            raise Refused(
                f"Lot {lot.id} is not on hold; only held lots can be released.",
                code="invalid_transition",
            )
        lot.on_hold, lot.hold_reason, lot.hold_by = False, None, None
        lot.holds.append({"action": "release", "t": self.core.now, "by": by, "reason": reason})
        self.core.emit("lot.released", lot=lot.id, job=lot.job, by=by, reason=reason)
        for op in self.jobs[lot.job].ops:
            if op.machine is not None and op.status != "done":
                self.dispatch(self.core.assets[op.machine])
        return lot

    # -- materials ---------------------------------------------------------------------------------
    def _deliver(self, mid: str) -> None:
        spec = self.cfg.materials[mid]
        self.core.at(self.core.now + spec.delivery_every_h * 3600, self._deliver, mid)
        if self.core.now < self.delivery_blocked_until[mid]:
            self.core.emit("material.delivery_missed", material=mid, expected_qty=spec.delivery_qty)
            return
        self.stock[mid] += spec.delivery_qty
        self.core.emit(
            "material.delivered",
            material=mid,
            qty=spec.delivery_qty,
            stock=round(self.stock[mid], 3),
        )
        for m in self.machines:
            self.dispatch(m)

    def next_delivery(self, mid: str) -> float:
        every = self.cfg.materials[mid].delivery_every_h * 3600
        t = (self.core.now // every + 1) * every
        while t < self.delivery_blocked_until[mid]:
            t += every
        return t
