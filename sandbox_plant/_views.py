"""JSON views of the plant: what the HTTP API serves and what `GET /state` is made of.

Views show what a plant's systems would show (SCADA values, MES jobs, CMMS work orders); the
hidden truth of the simulation (wear, instrument faults, the injected scenario) is never here.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ._core import AssetState
from ._maintenance import OPEN_STATUSES, Technician, WorkOrder
from ._production import Job, Lot, Measurement

if TYPE_CHECKING:
    from ._plant import Plant

J = dict[str, Any]


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(float(x), nd)


def clock(p: Plant) -> J:
    now = p.core.now
    return {
        "t": round(now, 3),
        "time": p.core.iso(now),
        "shift": p.core.shift_at(now),
        "sample_period_s": p.core.dt,
    }


def plant_info(p: Plant) -> J:
    cfg = p.cfg
    return {
        "site": cfg.site.model_dump(),
        "clock": clock(p),
        "seed": p.seed,
        "scenario": p.scenario,
        "lines": len(cfg.lines),
        "assets": len(p.core.assets),
        "tags": len(p.signals.tags),
        "alarms": len(p.alarms.alarms),
        "jobs": len(p.production.jobs),
        "shifts": {k: {"start_h": v.start_h, "end_h": v.end_h} for k, v in cfg.shifts.items()},
    }


def topology(p: Plant) -> J:
    cfg, assets = p.cfg, p.core.assets

    def node(aid: str) -> J:
        a = assets[aid]
        t = cfg.asset_types[a.type]
        return {
            "id": a.id,
            "type": a.type,
            "name": t.name,
            "name_zh": t.name_zh,
            "fed_by": sorted(a.fed_by),
        }

    utilities = [a for a in assets.values() if a.category == "utility"]
    return {
        "site": cfg.site.model_dump(),
        "lines": [
            {
                "id": ln.id,
                "name": ln.name,
                "name_zh": ln.name_zh,
                "machines": [node(m) for m in ln.machines],
            }
            for ln in cfg.lines
        ],
        "utilities": [
            {
                **node(u.id),
                "area": u.area,
                "supplies": cfg.asset_types[u.type].supplies,
                "feeds": list(u.feeds),
            }
            for u in sorted(utilities, key=lambda u: u.id)
        ],
    }


def oee(a: AssetState, now: float) -> J:
    t = dict(a.time_in)
    t[a.status] += now - a.since
    run, down = t["running"], t["down"]
    avail = run / (run + down) if run + down > 0 else 1.0
    perf = min(1.0, a.ideal_s / run) if run > 0 else 0.0
    qual = a.parts_good / a.parts_total if a.parts_total else 1.0
    return {
        "availability": round(avail, 4),
        "performance": round(perf, 4),
        "quality": round(qual, 4),
        "oee": round(avail * perf * qual, 4),
        "time_in_s": {k: round(v, 1) for k, v in t.items()},
        "parts_total": a.parts_total,
        "parts_good": a.parts_good,
    }


def asset(p: Plant, a: AssetState, *, detail: bool = False) -> J:
    t = p.cfg.asset_types[a.type]
    out: J = {
        "id": a.id,
        "type": a.type,
        "type_name": t.name,
        "type_name_zh": t.name_zh,
        "category": a.category,
        "line": a.line,
        "area": a.area,
        "mode": a.mode,
        "status": a.status,
        "fed_by": sorted(a.fed_by),
        "feeds": list(a.feeds),
        "supplies": t.supplies,
    }
    if a.status == "down":
        out["down_reason"] = a.reason
    if a.id in p.production.queue:
        op = p.production.current_op(a.id)
        out["current_job"] = {"job": op.job, "op": op.index} if op else None
        out["queue_length"] = len(p.production.queue[a.id])
        out["oee"] = oee(a, p.core.now)
    lock = p.maintenance.open_lockout(a.id)
    out["locked_out_by"] = lock.id if lock else None
    if detail:
        out["tags"] = [tg.id for tg in p.signals.tags if tg.asset == a.id]
        out["setpoints"] = [setpoint(p, a.id, n) for n in t.setpoints]
        out["open_work_orders"] = [
            w.id for w in p.maintenance.work_orders.values() if w.asset == a.id and w.status in OPEN_STATUSES
        ]
    return out


def tag(p: Plant, idx: int) -> J:
    tg = p.signals.tags[idx]
    return {
        "id": tg.id,
        "asset": tg.asset,
        "name": tg.name,
        "kind": tg.spec.kind,
        "unit": tg.spec.unit,
        "value": _r(p.signals.measured[idx]),
        "time": p.core.iso(p.signals.ticks * p.core.dt),
        "alarms": [a.id for a in p.alarms.alarms if a.tag == tg.id],
    }


def setpoint(p: Plant, asset_id: str, name: str) -> J:
    spec = p.cfg.asset_types[p.core.assets[asset_id].type].setpoints[name]
    return {
        "id": f"{asset_id}.{name}",
        "asset": asset_id,
        "name": name,
        "value": p.setpoints[(asset_id, name)],
        "default": spec.value,
        "min": spec.min,
        "max": spec.max,
        "unit": spec.unit,
    }


def job(p: Plant, j: Job) -> J:
    iso = p.core.iso
    status = j.status
    if status == "planned" and j.release <= p.core.now:
        status = "released"
    return {
        "id": j.id,
        "product": j.product,
        "qty": j.qty,
        "lot": j.lot,
        "status": status,
        "release_time": iso(j.release),
        "due_time": iso(j.due),
        "due_t": j.due,
        "completed_time": iso(j.completed_at) if j.completed_at is not None else None,
        "late": (j.completed_at or p.core.now) > j.due,
        "waiting_material": j.waiting_material,
        "ops": [
            {
                "index": op.index,
                "type": op.step.type,
                "machine": op.machine,
                "status": op.status,
                "planned_start_t": op.planned_start,
                "start_time": iso(op.start) if op.start is not None else None,
                "end_time": iso(op.end) if op.end is not None and op.status == "done" else None,
                "expected_end_time": iso(op.end) if op.end is not None and op.status == "running" else None,
                "nominal_duration_s": round(p.production.nominal_duration(op), 1),
            }
            for op in j.ops
        ],
    }


def lot(p: Plant, lt: Lot) -> J:
    j = p.production.jobs[lt.job]
    return {
        "id": lt.id,
        "job": lt.job,
        "product": lt.product,
        "qty": lt.qty,
        "good": lt.qty - lt.scrap if lt.status == "complete" else None,
        "scrap": lt.scrap,
        "status": lt.status,
        "on_hold": lt.on_hold,
        "hold_reason": lt.hold_reason,
        "hold_by": lt.hold_by,
        "holds": [{**h, "time": p.core.iso(h["t"])} for h in lt.holds],
        "machines": [op.machine for op in j.ops if op.status in ("running", "done", "paused")],
    }


def measurement(p: Plant, m: Measurement) -> J:
    return {
        "seq": m.seq,
        "t": m.t,
        "time": p.core.iso(m.t),
        "lot": m.lot,
        "job": m.job,
        "op": m.op,
        "machine": m.machine,
        "characteristic": m.characteristic,
        "part": m.part,
        "value": m.value,
        "nominal": m.nominal,
        "lsl": m.lsl,
        "usl": m.usl,
        "in_spec": m.in_spec,
    }


def work_order(p: Plant, w: WorkOrder) -> J:
    iso = p.core.iso

    def opt(t: float | None) -> str | None:
        return iso(t) if t is not None else None

    return {
        "id": w.id,
        "asset": w.asset,
        "type": w.type,
        "priority": w.priority,
        "status": w.status,
        "description": w.description,
        "failure_mode": w.failure_mode,
        "lockout": w.lockout,
        "skill": w.skill,
        "parts": dict(sorted(w.parts.items())),
        "estimated_h": w.estimated_h,
        "window_start": opt(w.window_start),
        "window_end": opt(w.window_end),
        "assigned": list(w.assigned),
        "created_time": iso(w.created_t),
        "created_by": w.created_by,
        "started_time": opt(w.started_t),
        "completed_time": opt(w.completed_t),
        "history": [{**h, "time": iso(h["t"])} for h in w.history],
    }


def technician(p: Plant, t: Technician) -> J:
    return {
        "id": t.id,
        "name": t.name,
        "shift": t.shift,
        "skills": list(t.skills),
        "on_shift": p.maintenance.on_shift(t),
        "work_order": t.work_order,
    }


def spare_parts(p: Plant) -> list[J]:
    return [
        {
            "id": pid,
            "name": s.name,
            "stock": p.maintenance.parts[pid],
            "min_stock": s.min_stock,
            "lead_time_h": s.lead_time_h,
            "below_min": p.maintenance.parts[pid] < s.min_stock,
        }
        for pid, s in sorted(p.cfg.spare_parts.items())
    ]


def materials(p: Plant) -> list[J]:
    prod, out = p.production, []
    for mid, s in sorted(p.cfg.materials.items()):
        demand = sum(
            p.cfg.products[j.product].material.per_part * j.qty
            for j in prod.jobs.values()
            if not j.material_taken and p.cfg.products[j.product].material.id == mid
        )
        nxt = prod.next_delivery(mid)
        out.append(
            {
                "id": mid,
                "name": s.name,
                "unit": s.unit,
                "stock": _r(prod.stock[mid], 3),
                "open_demand": _r(demand, 3),
                "next_delivery_time": p.core.iso(nxt),
                "next_delivery_qty": s.delivery_qty,
            }
        )
    return out


def failure_modes(p: Plant, asset_type: str) -> list[J]:
    return [
        {
            **fm.model_dump(exclude={"repairs"}),
            "reveals": [r.model_dump(exclude_none=True) for r in fm.reveals],
        }
        for fm in p.maintenance.failure_modes(asset_type)
    ]


def state(p: Plant) -> J:
    """The whole observable plant, stable ordering: what the evaluator compares."""
    prod, m = p.production, p.maintenance
    return {
        "clock": clock(p),
        "seed": p.seed,
        "scenario": p.scenario,
        "assets": [asset(p, a) for a in sorted(p.core.assets.values(), key=lambda a: a.id)],
        "tags": {tg.id: _r(p.signals.measured[tg.idx]) for tg in sorted(p.signals.tags, key=lambda t: t.id)},
        "alarms": [p.alarms.view(a) for a in sorted(p.alarms.alarms, key=lambda a: a.id)],
        "setpoints": [setpoint(p, aid, n) for aid, n in sorted(p.setpoints)],
        "jobs": [job(p, j) for _, j in sorted(prod.jobs.items())],
        "lots": [lot(p, lt) for _, lt in sorted(prod.lots.items())],
        "schedule": {"version": prod.schedule_version, **prod.schedule_meta},
        "work_orders": [work_order(p, w) for _, w in sorted(m.work_orders.items())],
        "technicians": [technician(p, t) for _, t in sorted(m.technicians.items())],
        "spare_parts": spare_parts(p),
        "materials": materials(p),
        "measurements": {
            "count": len(prod.measurements),
            "out_of_spec": sum(not x.in_spec for x in prod.measurements),
        },
        "events": {"count": len(p.core.events)},
        "history_sha256": hashlib.sha256(p.signals.history_bytes()).hexdigest(),
    }
