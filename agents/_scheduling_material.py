"""The scheduling specialist's material path: re-plan around a short raw material.

A material shortage (the trigger is a `job.waiting_material` event, or `findings['material_shortage']`
is set) takes this path instead of the breakdown repair: `agents._materials` finds the short
material and the jobs the stock on hand does not cover; those the next delivery covers get a
release time at the delivery (plus `SchedulingPolicy.material_margin_s`), so they go behind the
other work on their machines and no queue is headed by a job that cannot start; those it does not
cover, or all of them when the delivery is unknown or beyond `SchedulingPolicy.material_horizon_h`,
are left out of the published schedule (the plant lists them as unscheduled) with the reason stated.

Building, solving, validating and publishing the schedule stay with `agents._scheduling_agent`,
which passes them in as a `Replan`; this module holds the material reading, the plan and the
decision, and does not import the agent module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from agents._decision import ConflictResolution, Decision, Evidence, ToolCall
from agents._materials import WAITING_EVENT, analyse, find_shortages, material_uses, plan_release
from agents._scheduling_model import SolveResult
from agents._specialist import Situation, findings_evidence
from tools import Clock, NoArgs, PlantClient, list_materials, read_events
from tools import Job as PlantJob
from tools import Schedule as PlantSchedule

AGENT = "scheduling"
"""The specialist's name in its decisions (`agents._scheduling_agent` imports it from here)."""
_MATERIAL_RULE = "stock allocated in planned order; jobs it does not cover start after the delivery"


@dataclass(frozen=True, kw_only=True, slots=True)
class Replanned:
    """A schedule re-planned and published: what the material decision reports of it."""

    result: SolveResult
    call: ToolCall
    """The `publish_schedule` call."""
    version: JsonValue
    """The published schedule's version (None when the plant did not say)."""
    findings: dict[str, JsonValue]
    """The schedule findings: `schedule_changes` and `schedule_version`."""
    planned: int
    """Unfinished jobs in the problem (the jobs left out are not)."""
    evidence: tuple[Evidence, ...]
    conflicts: tuple[ConflictResolution, ...]


Replan = Callable[
    [Sequence[PlantJob], dict[str, float], str, dict[str, JsonValue]], Awaitable[Replanned | Decision]
]
"""`await replan(jobs, not_before, reason, findings)`: build the problem of `jobs` (each job in
`not_before` released no earlier than its time, plant seconds), solve, validate and publish with
`reason`; a `Decision` (carrying `findings`, not republished) when no valid schedule came out."""


async def _waiting_events(client: PlantClient) -> list[dict[str, JsonValue]]:
    return [e.flat() for e in await read_events(client, WAITING_EVENT)]


async def material_repair(
    client: PlantClient,
    situation: Situation,
    material: str,
    plant: tuple[Clock, Sequence[PlantJob], PlantSchedule],
    *,
    margin_s: float,
    horizon_s: float,
    replan: Replan,
) -> Decision:
    """The material path (see the module docstring): `material` is the short one, or '' to find it.

    plant: the clock, the jobs and the published schedule; margin_s, horizon_s: from a delivery
    to its material at the machine, and the furthest delivery planned on, seconds."""
    clock, jobs, current = plant
    materials = (await list_materials(client, NoArgs())).materials
    events = await _waiting_events(client)
    if situation.trigger.get("type") == WAITING_EVENT:
        events.append(dict(situation.trigger))
    uses = material_uses(events, jobs)
    looked = Evidence(
        source="GET /materials, GET /events?type=job.waiting_material",
        summary=f"{len(materials)} material(s); {len(events)} waiting-for-material event(s) tie "
        f"{len(uses)} product(s) to their material.",
        data={
            "materials": [m.model_dump(mode="json") for m in materials],
            "uses": {p: {"material": u.material, "per_part": u.per_part} for p, u in sorted(uses.items())},
        },
    )
    if material:
        found = [analyse(m, jobs, current, uses, clock) for m in materials if m.id == material]
    else:
        found = find_shortages(materials, jobs, current, uses, clock)
    if not found:
        why = f"{material} is not a material of the plant; see GET /materials." if material else ""
        return _no_change(why or "No material is short.", looked, {})
    shortage = found[0]
    findings = shortage.findings()
    if not any(u.material == shortage.material for u in uses.values()):
        why = f"no job.waiting_material event names {shortage.material}, so which jobs need it is not known."
        return _no_change(why, looked, findings)
    if not shortage.lacking:
        return _no_change(" ".join(shortage.explanation), looked, findings)
    plan = plan_release(shortage, now_t=clock.t, margin_s=margin_s, horizon_s=horizon_s)
    findings = shortage.findings(plan)
    kept = [j for j in jobs if j.id not in plan.left_out]
    held = dict.fromkeys(plan.held, plan.release_t or 0.0)
    done = await replan(kept, held, plan.note(shortage), findings)
    if isinstance(done, Decision):
        return done
    result, version = done.result, done.version
    findings |= done.findings
    return Decision(
        agent=AGENT,
        summary=f"Re-planned around the {shortage.material} shortage: {plan.headline(shortage)}; "
        f"schedule v{version} published ({len(result.changes)} operation(s) moved, "
        f"{len(result.late_jobs)} job(s) late).",
        observed=(
            Evidence(
                source="GET /jobs, GET /schedule, GET /assets, GET /work-orders",
                summary=f"{done.planned} unfinished job(s) planned, {len(plan.left_out)} left out.",
            ),
            looked,
            *done.evidence,
            findings_evidence("Material shortage, jobs held for the delivery, schedule changes.", **findings),
        ),
        rule=_MATERIAL_RULE + "; CP-SAT repair: weighted tardiness, then disruption, then makespan",
        rationale=" ".join((*shortage.explanation, *plan.lines(shortage), *result.rationale)),
        tool_calls=(done.call,),
        confidence=0.85 if result.status.value == "OPTIMAL" else 0.75,
        conflicts=done.conflicts,
    )


def _no_change(why: str, looked: Evidence, findings: dict[str, JsonValue]) -> Decision:
    return Decision(
        agent=AGENT,
        summary=f"Schedule not republished: {why[:300]}",
        observed=(looked, findings_evidence("No schedule change.", **findings)),
        rule=_MATERIAL_RULE,
        rationale=why,
        confidence=0.5,
    )
