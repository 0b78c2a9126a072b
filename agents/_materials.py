"""Material shortage analysis: which raw material is short, which jobs must wait for its delivery,
which machines starve and which lots stop. Pure: plant views in, a `Shortage` out; no I/O.

The plant takes a job's material when its first operation starts. A machine runs its queue in
order, so when the head is a first operation whose material is short, the machine starves and
everything queued behind it waits. The analysis mirrors that:

- the stock on hand is allocated to the jobs that have not taken their material yet, in planned
  order (first operation's planned start, unscheduled last); a job that does not fit is skipped
  and a later, smaller one may still fit. Those jobs may start now (`Supply.STOCK`);
- the rest cannot start before the next delivery. What is left of the stock plus the delivered
  quantity is allocated to them the same way: `Supply.DELIVERY` may start once it is in,
  `Supply.LATER` needs a later delivery (or the delivery time is unknown);
- a material is short when a job planned before the next delivery is not covered by the stock;
- a machine starves when its queue reaches such a job's first operation before the delivery: the
  first one in its queue is the job that waits at the head and stops everything behind it.

The plant's views do not say which material a product consumes; a `job.waiting_material` event
does (its material, and `needed` for the job's quantity), so `material_uses` learns
product -> (material, per part) from those events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from pydantic import JsonValue

from agents._specialist import MATERIAL_TRIGGER
from tools import Clock, Job, Material, Schedule

WAITING_EVENT = MATERIAL_TRIGGER
"""Event type of a job whose first operation is due and whose material is short."""

_SHOWN = 6
"""Most job ids spelled out in one explanation line (the structured fields hold all)."""


class Supply(StrEnum):
    """Where a job's material comes from."""

    STOCK = "stock"
    """The stock on hand covers it: it may start now."""
    DELIVERY = "delivery"
    """It must wait for the next delivery, which covers it."""
    LATER = "later"
    """Neither the stock nor the next delivery covers it (or the delivery time is unknown)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MaterialUse:
    """What one part of a product consumes."""

    material: str
    """Material id, e.g. 'MAT-SHEET-3'."""
    per_part: float
    """Quantity per part, in the material's unit."""


@dataclass(frozen=True, kw_only=True, slots=True)
class JobDemand:
    """A job that has not taken its material yet."""

    job: str
    """Job id."""
    lot: str
    """Its lot."""
    product: str
    """Its product."""
    needed: float
    """Material it takes when its first operation starts."""
    machine: str | None
    """Machine whose queue holds its first operation (None: unscheduled)."""
    planned_start_t: float | None
    """Planned start of its first operation, plant seconds (None: unscheduled)."""
    waiting: bool
    """The plant flags it as waiting for material: its first operation came up and stock was short."""
    supply: Supply
    """Where its material comes from (see `Supply`)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Starved:
    """A machine whose queue reaches a job that lacks the material."""

    machine: str
    """Machine id."""
    job: str
    """The first job in its queue that lacks the material: it waits at the head."""
    lot: str
    """That job's lot."""
    from_t: float
    """When it starves: now if the job heads the queue and is due, else its planned start."""
    now: bool
    """Starving now: the job heads the queue and is due (or is flagged waiting)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Shortage:
    """One material's supply against the jobs that need it."""

    material: str
    """Material id."""
    name: str
    """Material name."""
    unit: str
    """Its unit."""
    in_stock: float
    """Stock on hand."""
    needed: float
    """What the jobs planned before the next delivery (and the unscheduled ones) need."""
    delivery_t: float | None
    """Next delivery, plant seconds (None: unknown)."""
    delivery_time: str | None
    """Next delivery, ISO time."""
    delivery_qty: float
    """Quantity of the next delivery."""
    jobs: tuple[JobDemand, ...]
    """Every job that has not taken this material yet, in planned order."""
    starved: tuple[Starved, ...]
    """Machines that starve before the delivery, by machine id."""
    explanation: tuple[str, ...]
    """The analysis in plain words, one line per point."""

    @property
    def short(self) -> bool:
        """A job planned before the delivery cannot start for lack of stock."""
        return self.in_stock < self.needed - 1e-9

    @property
    def lacking(self) -> tuple[JobDemand, ...]:
        """Jobs the stock on hand does not cover: they cannot start before the delivery."""
        return tuple(j for j in self.jobs if j.supply is not Supply.STOCK)

    @property
    def machines(self) -> tuple[str, ...]:
        """Ids of the machines that starve before the delivery."""
        return tuple(s.machine for s in self.starved)

    @property
    def lots(self) -> tuple[str, ...]:
        """Lots stopped by the shortage: those waiting at a queue head, now or before the delivery."""
        return tuple(sorted({s.lot for s in self.starved} | {j.lot for j in self.jobs if j.waiting}))

    def findings(self, plan: MaterialPlan | None = None) -> dict[str, JsonValue]:
        """A decision's findings: the material as root cause, the starved machines, the stopped
        lots, and `material_shortage` (this analysis, with `plan` merged in when given)."""
        detail: dict[str, JsonValue] = {
            "material": self.material,
            "name": self.name,
            "unit": self.unit,
            "in_stock": self.in_stock,
            "needed": self.needed,
            "short_by": round(max(0.0, self.needed - self.in_stock), 3),
            "delivery_t": self.delivery_t,
            "delivery_time": self.delivery_time,
            "delivery_qty": self.delivery_qty,
            "jobs": [
                {
                    "job": j.job,
                    "lot": j.lot,
                    "product": j.product,
                    "needed": j.needed,
                    "machine": j.machine,
                    "planned_start_t": j.planned_start_t,
                    "waiting": j.waiting,
                    "supply": j.supply.value,
                }
                for j in self.lacking
            ],
            "starved": [
                {"machine": s.machine, "job": s.job, "lot": s.lot, "from_t": s.from_t, "now": s.now}
                for s in self.starved
            ],
            "explanation": list(self.explanation),
            **(plan.findings() if plan is not None else {}),
        }
        return {
            "root_cause": [self.material],
            "root_category": "material",
            "affected_assets": list(self.machines),
            "affected_lots": list(self.lots),
            "material_shortage": detail,
        }


@dataclass(frozen=True, kw_only=True, slots=True)
class MaterialPlan:
    """What the schedule does about a shortage: who waits for the delivery, who is left out."""

    release_t: float | None
    """The held jobs start no earlier than this, plant seconds (the delivery plus a margin)."""
    held: tuple[str, ...]
    """Jobs the next delivery covers: planned from `release_t`, behind the other work."""
    left_out: tuple[str, ...]
    """Jobs left out of the schedule: no delivery they can be planned on."""
    left_out_reason: str | None
    """Why they are left out."""
    margin_s: float
    """From the delivery to `release_t`, seconds."""

    def findings(self) -> dict[str, JsonValue]:
        """The plan as JSON, to merge into `material_shortage`."""
        return {
            "held_until_t": self.release_t if self.held else None,
            "held_jobs": list(self.held),
            "left_out": list(self.left_out),
            "left_out_reason": self.left_out_reason,
        }

    def headline(self, shortage: Shortage) -> str:
        """One clause for a decision's summary."""
        parts = [f"{len(self.held)} job(s) wait for the delivery"]
        if self.held:
            parts[0] += f" at {shortage.delivery_time}"
        if self.left_out:
            parts.append(f"{len(self.left_out)} left out until a later delivery")
        if shortage.machines:
            parts.append(f"{', '.join(shortage.machines)} run their other work meanwhile")
        return ", ".join(parts)

    def lines(self, shortage: Shortage) -> tuple[str, ...]:
        """What the schedule does about the shortage, in a planner's words."""
        lines: list[str] = []
        if self.held:
            on = f" on {', '.join(shortage.machines)}" if shortage.machines else ""
            lines.append(
                f"{_ids(self.held)} cannot start before the delivery: they are planned from the delivery "
                f"+ {self.margin_s / 60:g} min, behind the other work{on}, so no machine waits with a job "
                "it cannot start at the head of its queue."
            )
        if self.left_out:
            lines.append(f"Left out of the schedule: {_ids(self.left_out)}; {self.left_out_reason}.")
        lines.append("The rest is re-sequenced for the least weighted tardiness, then the least disruption.")
        return tuple(lines)

    def note(self, shortage: Shortage) -> str:
        """The planner's note published with the schedule (its `reason`, at most 2000 characters)."""
        s, u = shortage, shortage.unit
        head = (
            f"{s.material} ({s.name}) is short: {_q(s.in_stock)} {u} in stock, {_q(s.needed)} {u} needed "
            f"before the next delivery ({s.delivery_time or 'time unknown'})."
        )
        return " ".join((head, *self.lines(shortage)))[:2000]


def shortage_asked(trigger: Mapping[str, JsonValue], findings: Mapping[str, JsonValue]) -> str | None:
    """The material a run is about when it is a shortage run: the trigger is a
    `job.waiting_material` event or `findings['material_shortage']` is set ('' when neither
    names the material); None when it is no shortage run."""
    raw = findings.get("material_shortage")
    if trigger.get("type") == WAITING_EVENT and isinstance(trigger.get("material"), str):
        return str(trigger["material"])
    if isinstance(raw, dict) and isinstance(raw.get("material"), str):
        return str(raw["material"])
    if isinstance(raw, str):
        return raw
    return "" if trigger.get("type") == WAITING_EVENT or raw else None


def plan_release(shortage: Shortage, *, now_t: float, margin_s: float, horizon_s: float) -> MaterialPlan:
    """Jobs the stock does not cover wait for the delivery (`Supply.DELIVERY`) from the delivery
    plus `margin_s`; those it does not cover either, or all of them when the delivery is unknown
    or more than `horizon_s` away, are left out."""
    s = shortage
    plan_on = s.delivery_t is not None and s.delivery_t <= now_t + horizon_s
    held = tuple(j.job for j in s.lacking if plan_on and j.supply is Supply.DELIVERY)
    left_out = tuple(j.job for j in s.lacking if j.job not in held)
    if not left_out:
        why = None
    elif s.delivery_t is None:
        why = "the delivery time is unknown; plan them when it is confirmed"
    elif not plan_on:
        why = f"the delivery is more than {horizon_s / 3600:g} h away; plan them when it is confirmed"
    else:
        why = "neither the stock nor the next delivery covers them; plan them when a later delivery is confirmed"
    return MaterialPlan(
        release_t=s.delivery_t + margin_s if plan_on and s.delivery_t is not None else None,
        held=held,
        left_out=left_out,
        left_out_reason=why,
        margin_s=margin_s,
    )


def material_uses(events: Iterable[Mapping[str, JsonValue]], jobs: Sequence[Job]) -> dict[str, MaterialUse]:
    """Product -> material use, learnt from `job.waiting_material` events (flat: job, material,
    needed, ...); other events and events of unknown jobs are ignored. A later event wins."""
    by_id = {j.id: j for j in jobs}
    uses: dict[str, MaterialUse] = {}
    for e in events:
        job = by_id.get(str(e.get("job")))
        material, needed = e.get("material"), e.get("needed")
        if e.get("type") != WAITING_EVENT or job is None or not isinstance(material, str):
            continue
        if isinstance(needed, int | float) and job.qty > 0:
            uses[job.product] = MaterialUse(material=material, per_part=float(needed) / job.qty)
    return uses


def analyse(
    material: Material,
    jobs: Sequence[Job],
    schedule: Schedule,
    uses: Mapping[str, MaterialUse],
    clock: Clock,
) -> Shortage:
    """Allocate `material`'s stock and next delivery to the jobs that need it (module docstring)."""
    delivery_t: float | None = None
    if material.next_delivery_time:
        try:
            delivery_t = clock.plant_t(material.next_delivery_time)
        except ValueError:
            delivery_t = None
    where = {(op.job, op.op): (m, k) for m, queue in schedule.machines.items() for k, op in enumerate(queue)}
    demands: list[tuple[Job, float]] = []
    for job in jobs:
        use = uses.get(job.product)
        if use is None or use.material != material.id or job.status == "complete" or not job.ops:
            continue
        if job.ops[0].status == "pending":
            demands.append((job, use.per_part * job.qty))
    demands.sort(key=lambda d: (_planned(d[0]) is None, _planned(d[0]) or 0.0, d[0].id))
    left = material.stock
    supply: dict[str, Supply] = {}
    for job, need in demands:
        if need <= left + 1e-9:
            supply[job.id], left = Supply.STOCK, left - need
    left += material.next_delivery_qty if delivery_t is not None else 0.0
    for job, need in demands:
        if job.id in supply:
            continue
        if delivery_t is not None and need <= left + 1e-9:
            supply[job.id], left = Supply.DELIVERY, left - need
        else:
            supply[job.id] = Supply.LATER
    table = tuple(
        JobDemand(
            job=job.id,
            lot=job.lot,
            product=job.product,
            needed=round(need, 3),
            machine=where.get((job.id, 0), (None, 0))[0],
            planned_start_t=_planned(job),
            waiting=job.waiting_material,
            supply=supply[job.id],
        )
        for job, need in demands
    )
    needed = sum(d.needed for d in table if _before(d.planned_start_t, delivery_t))
    starved = _starved(table, schedule, delivery_t, clock.t)
    shortage = Shortage(
        material=material.id,
        name=material.name,
        unit=material.unit,
        in_stock=material.stock,
        needed=round(needed, 3),
        delivery_t=delivery_t,
        delivery_time=material.next_delivery_time if delivery_t is not None else None,
        delivery_qty=material.next_delivery_qty,
        jobs=table,
        starved=starved,
        explanation=(),
    )
    return replace(shortage, explanation=explain(shortage, open_demand=material.open_demand))


def find_shortages(
    materials: Sequence[Material],
    jobs: Sequence[Job],
    schedule: Schedule,
    uses: Mapping[str, MaterialUse],
    clock: Clock,
) -> list[Shortage]:
    """The materials that are short (see `Shortage.short`), by id; a material no known product
    uses is left out (nothing says which jobs need it)."""
    used = {u.material for u in uses.values()}
    found = [analyse(m, jobs, schedule, uses, clock) for m in materials if m.id in used]
    return sorted((s for s in found if s.short), key=lambda s: s.material)


def _planned(job: Job) -> float | None:
    return job.ops[0].planned_start_t if job.ops[0].machine is not None else None


def _before(planned: float | None, delivery_t: float | None) -> bool:
    return planned is None or delivery_t is None or planned < delivery_t


def _starved(
    table: Sequence[JobDemand], schedule: Schedule, delivery_t: float | None, now_t: float
) -> tuple[Starved, ...]:
    lacking = {d.job: d for d in table if d.supply is not Supply.STOCK}
    out: list[Starved] = []
    for machine, queue in sorted(schedule.machines.items()):
        for k, op in enumerate(queue):
            d = lacking.get(op.job)
            if op.op != 0 or d is None or not _before(op.planned_start_t, delivery_t):
                continue
            due = op.planned_start_t is None or op.planned_start_t <= now_t
            now = k == 0 and (due or d.waiting)
            start = now_t if now else max(now_t, op.planned_start_t or now_t)
            out.append(Starved(machine=machine, job=d.job, lot=d.lot, from_t=start, now=now))
            break
    return tuple(out)


def explain(shortage: Shortage, *, open_demand: float | None = None) -> tuple[str, ...]:
    """The shortage in a planner's words. `open_demand`: the plant's open demand for the material,
    to say when part of it comes from products no event has tied to the material yet."""
    s, u = shortage, shortage.unit
    when = (
        f"the next delivery ({_q(s.delivery_qty)} {u}) at {s.delivery_time} (t={s.delivery_t:.0f} s)"
        if s.delivery_t is not None
        else "the next delivery (time unknown)"
    )
    before = [d for d in s.jobs if _before(d.planned_start_t, s.delivery_t)]
    if not s.short:
        lines = [
            f"{s.material} ({s.name}): {_q(s.in_stock)} {u} in stock covers the {_q(s.needed)} {u} that "
            f"the {len(before)} job(s) planned before {when} need; nothing waits for it."
        ]
    else:
        lines = [
            f"{s.material} ({s.name}) is short: {_q(s.in_stock)} {u} in stock, but the {len(before)} job(s) "
            f"planned before {when} need {_q(s.needed)} {u} (short by {_q(s.needed - s.in_stock)} {u})."
        ]
    stock = [d.job for d in s.jobs if d.supply is Supply.STOCK]
    if stock:
        lines.append(f"The stock on hand covers {_ids(stock)}: they can start as planned.")
    delivery = [d.job for d in s.jobs if d.supply is Supply.DELIVERY]
    if delivery:
        lines.append(f"{_ids(delivery)} must wait for the delivery, which covers them.")
    later = [d.job for d in s.jobs if d.supply is Supply.LATER]
    if later:
        which = "nor the next delivery cover" if s.delivery_t is not None else "covers"
        lines.append(f"{_ids(later)}: neither the stock {which} them; they need a later delivery.")
    for st in s.starved:
        d = next(x for x in s.jobs if x.job == st.job)
        if st.now:
            lines.append(
                f"{st.machine} is starving: {st.job} ({st.lot}) heads its queue and needs {_q(d.needed)} {u}; "
                "everything queued behind it waits."
            )
        else:
            lines.append(
                f"{st.machine} would starve from t={st.from_t:.0f} s under the published schedule, when "
                f"{st.job} ({st.lot}, {_q(d.needed)} {u}) comes to the head of its queue."
            )
    if open_demand is not None:
        known = sum(d.needed for d in s.jobs)
        if open_demand > known + 1e-6:
            lines.append(
                f"The plant reports {_q(open_demand)} {u} of open demand, {_q(open_demand - known)} {u} more "
                "than the jobs of the products known to use it: some jobs of other products need it too "
                "and are not accounted for."
            )
    return tuple(lines)


def _ids(ids: Sequence[str]) -> str:
    more = f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return ", ".join(ids[:_SHOWN]) + more


def _q(x: float) -> str:
    return f"{round(x, 3):g}"
