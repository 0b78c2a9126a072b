"""The quality specialist's release after a correction.

On the sandbox's `tool_wear` scenario: the specialist is run every half hour (as the incident
graph would be), holds the lots of the drifting machine, the cause is corrected with a real tool
change (an INSP work order with failure mode `tool_wear` taken WAPPR -> APPR -> INPRG -> COMP:
completing it resets the machine's tool wear and restores its tool-change counter), and the
plant runs on until the specialist sees the machine back in control (`recovery_subgroups` lots
in a row within `out_sigma`).

`act` runs every tool it is given, `release_lot` included: it stands in for a supervisor who
approves the critical action, so a proposed release is checked where it matters, in the lot's
hold state on the plant (GET /lots), and an argument the real tool rejects would fail the test.

`find_drift_windows` and `_propose_releases` are also checked on hand-made subgroups, where the
path the scenario cannot produce (an in-spec lot inside the drift window) is laid out on purpose.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import JsonValue

from agents._decision import Decision, ToolCall
from agents._quality_agent import (
    Baselines,
    DriftWindow,
    QualityPolicy,
    Subgroup,
    _propose_releases,
    find_drift_windows,
    quality_agent,
)
from agents._spc_charts import ChartBaseline
from agents._specialist import Situation, findings_of
from sandbox_plant import create_app, ground_truth
from tools import Lot, PlantClient, PlantClientConfig, Risk, find_tool

SEEDS = (0, 4, 7)
"""Seeds whose drifting machine makes at least `recovery_subgroups` more lots within the day after
the tool change (on the others it makes too few for the recovery to show before the jobs run out)."""
STEP_S = 1800.0
HORIZON_S = 86400.0


@dataclass
class RecordingAct:
    """The graph's `act` with every action approved: runs the real tool, records the call."""

    client: PlantClient
    calls: list[tuple[str, Risk, dict[str, object]]] = field(default_factory=list)

    async def __call__(self, tool: str, args: Mapping[str, object]) -> object:
        spec = find_tool(tool)
        self.calls.append((tool, spec.risk, dict(args)))
        key = f"run-r:quality:{tool}:{len(self.calls)}"
        return await spec.invoke(self.client, dict(args), idempotency_key=key)


@dataclass(frozen=True)
class Step:
    t: float
    decision: Decision
    calls: list[tuple[str, Risk, dict[str, object]]]
    """The calls `act` received during this run of the specialist."""


@dataclass
class Story:
    root: str
    affected: list[str]
    before: list[Step]
    """Runs up to and including the first hold, then one more run before any correction."""
    after: list[Step]
    """Runs after the tool change, up to and including the first that sees the drift corrected."""
    corrected_t: float
    work_order: dict[str, Any]
    lots: dict[str, dict[str, Any]]
    """GET /lots at the end."""
    out_of_spec: dict[str, int]
    """Per lot the quality specialist held: parts measured out of spec (GET /measurements?lot=)."""
    after_fix: list[dict[str, Any]]
    """Measurements of the root machine made after the tool change."""


def _drift(step: Step, machine: str) -> dict[str, Any]:
    drifts = findings_of(step.decision)["quality_drifts"]
    assert isinstance(drifts, list)
    (mine,) = [d for d in drifts if isinstance(d, dict) and d["machine"] == machine]
    return mine


def _list(step: Step, key: str) -> list[str]:
    value = findings_of(step.decision)[key]
    assert isinstance(value, list)
    return [str(v) for v in value]


async def _tool_change(client: PlantClient, raw: httpx.AsyncClient, machine: str) -> str:
    """What maintenance does about a worn tool; the specialist is not involved."""

    async def call(tool: str, args: dict[str, JsonValue]) -> object:
        return await find_tool(tool).invoke(
            client, args, idempotency_key=f"run-r:maintenance:{tool}:{args.get('status', '')}"
        )

    wo = await call(
        "create_work_order",
        {
            "asset": machine,
            "type": "INSP",
            "priority": 2,
            "description": f"{machine}: worn cutting tool, change the insert",
            "failure_mode": "tool_wear",
            "lockout": False,
            "by": "maintenance",
        },
    )
    wo_id = getattr(wo, "id", None)
    assert isinstance(wo_id, str)
    await call("update_work_order_status", {"work_order_id": wo_id, "status": "APPR", "by": "maintenance"})
    techs = [
        t["id"]
        for t in (await raw.get("/technicians")).json()
        if t["on_shift"] and t["work_order"] is None and "machining" in t["skills"]
    ]
    assert techs, "no machining technician on shift"
    await call("assign_work_order", {"work_order_id": wo_id, "technicians": techs[:1], "by": "maintenance"})
    for status in ("INPRG", "COMP"):
        await call(
            "update_work_order_status", {"work_order_id": wo_id, "status": status, "by": "maintenance"}
        )
    return wo_id


async def _drive(seed: int) -> Story:
    truth = ground_truth("tool_wear", seed)
    roots, affected = truth["root_cause"], truth["affected_lots"]
    assert isinstance(roots, list) and isinstance(affected, list)
    root = str(roots[0])
    transport = httpx.ASGITransport(app=create_app(seed=seed, scenario="tool_wear"))
    async with (
        PlantClient(PlantClientConfig(base_url="http://plant", backoff_s=0.0), transport=transport) as client,
        httpx.AsyncClient(transport=transport, base_url="http://plant") as raw,
    ):
        act = RecordingAct(client)
        t = 0.0

        async def run() -> Step:
            nonlocal t
            await raw.post("/clock/advance", json={"seconds": STEP_S})
            t += STEP_S
            seen = len(act.calls)
            decision = await quality_agent(client, act, Situation(run_id="run-r"))
            return Step(t, decision, act.calls[seen:])

        before: list[Step] = []
        while not (before and _list(before[-1], "held_lots")):
            assert t < HORIZON_S, "the specialist held nothing in a day"
            before.append(await run())
        seen = len(act.calls)
        before.append(Step(t, await quality_agent(client, act, Situation(run_id="run-r")), act.calls[seen:]))

        wo_id = await _tool_change(client, raw, root)
        corrected_t = t
        after: list[Step] = []
        while not (after and _drift(after[-1], root)["persists"] is False):
            assert t < corrected_t + HORIZON_S, "the drift was never seen corrected"
            after.append(await run())

        work_order = (await raw.get(f"/work-orders/{wo_id}")).json()
        lots = {lot["id"]: lot for lot in (await raw.get("/lots")).json()}
        held = {c[2]["lot_id"] for s in before + after for c in s.calls if c[0] == "hold_lot"}
        out_of_spec: dict[str, int] = {}
        for lot_id in map(str, held):
            page = (await raw.get("/measurements", params={"lot": lot_id, "limit": 20000})).json()
            assert not page["truncated"]
            out_of_spec[lot_id] = sum(not m["in_spec"] for m in page["measurements"])
        page = (
            await raw.get("/measurements", params={"machine": root, "since_t": corrected_t, "limit": 20000})
        ).json()
    return Story(
        root,
        [str(a) for a in affected],
        before,
        after,
        corrected_t,
        work_order,
        lots,
        out_of_spec,
        page["measurements"],
    )


@functools.cache
def _story(seed: int) -> Story:
    return asyncio.run(_drive(seed))


def _in_spec_held(s: Story) -> set[str]:
    return {lot for lot, n in s.out_of_spec.items() if n == 0}


def _out_of_spec_held(s: Story) -> set[str]:
    return {lot for lot, n in s.out_of_spec.items() if n > 0}


@pytest.mark.parametrize("seed", SEEDS)
def test_held_lots_are_not_released_while_the_drift_persists(seed: int) -> None:
    s = _story(seed)
    first, again = s.before[-2], s.before[-1]
    held = _list(first, "held_lots")
    assert set(held) <= set(s.affected)
    assert [(tool, risk) for tool, risk, _ in first.calls] == [("hold_lot", "write")] * len(held)
    assert _drift(first, s.root)["persists"] is True
    # run again on the same plant: nothing new, nothing proposed for release
    assert (
        again.calls == [] and _list(again, "released_lots") == [] and _list(again, "lots_kept_on_hold") == []
    )
    # after the tool change, until the recovery shows, still no release is proposed
    for step in s.after[:-1]:
        assert _drift(step, s.root)["persists"] is True
        assert all(tool == "hold_lot" for tool, _, _ in step.calls), step.t
        assert _list(step, "released_lots") == [] and _list(step, "lots_kept_on_hold") == []
    for lot in held:
        assert s.lots[lot]["on_hold"] and s.lots[lot]["hold_by"] == "quality"


@pytest.mark.parametrize("seed", SEEDS)
def test_the_tool_change_brings_the_machine_back_in_control(seed: int) -> None:
    s = _story(seed)
    assert s.work_order["status"] == "COMP" and s.work_order["failure_mode"] == "tool_wear"
    # the plant's side: every part the machine made after the tool change is in spec
    assert s.after_fix and all(m["in_spec"] for m in s.after_fix)
    # the specialist's side: the drift window closed at its last out-of-control lot, before the change
    last = s.after[-1]
    drift = _drift(last, s.root)
    assert drift["persists"] is False
    assert drift["window_start_t"] <= drift["window_end_t"] <= s.corrected_t
    assert f"{s.root} drift" in last.decision.summary and "corrected after" in last.decision.summary
    # it took `recovery_subgroups` lots made after the change: at least one more run than the first
    assert len(s.after) >= 2


@pytest.mark.parametrize("seed", SEEDS)
def test_lots_with_parts_out_of_spec_stay_on_hold_after_the_recovery(seed: int) -> None:
    s = _story(seed)
    last = s.after[-1]
    bad = _out_of_spec_held(s)
    assert bad, "the premise: the specialist held a lot with parts out of spec"
    assert set(_list(last, "lots_kept_on_hold")) == bad
    assert not set(_list(last, "released_lots")) & bad
    released = {
        str(a["lot_id"]) for step in s.before + s.after for tool, _, a in step.calls if tool == "release_lot"
    }
    assert not released & bad
    for lot in bad:
        assert s.lots[lot]["on_hold"] and s.lots[lot]["hold_by"] == "quality"
        assert [h["action"] for h in s.lots[lot]["holds"]] == ["hold"]


@pytest.mark.parametrize("seed", SEEDS)
def test_lots_made_after_the_tool_change_are_held_until_the_recovery_shows(seed: int) -> None:
    """The premise of the next test: while the drift is not yet seen over, the specialist keeps
    holding what the machine makes, in-spec lots included."""
    s = _story(seed)
    held_after = {str(a["lot_id"]) for step in s.after for tool, _, a in step.calls if tool == "hold_lot"}
    assert held_after and held_after <= _in_spec_held(s)
    made_after = {m["lot"] for m in s.after_fix}
    assert held_after <= made_after


@pytest.mark.parametrize("seed", SEEDS)
def test_in_spec_lots_it_held_are_released_once_the_machine_is_back_in_control(seed: int) -> None:
    s = _story(seed)
    last = s.after[-1]
    good = _in_spec_held(s)
    assert set(_list(last, "released_lots")) == good
    assert {
        str(a["lot_id"]) for tool, risk, a in last.calls if tool == "release_lot" and risk == "critical"
    } == good
    for lot in good:
        assert not s.lots[lot]["on_hold"]
        assert s.lots[lot]["holds"][-1]["action"] == "release" and s.lots[lot]["holds"][-1]["by"] == "quality"
    # every lot it held is accounted for: released or kept for disposition
    assert set(_list(last, "released_lots")) | set(_list(last, "lots_kept_on_hold")) == set(s.out_of_spec)


# -- hand-made subgroups ----------------------------------------------------------------------------
T0 = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
CHAR = "d"
BASELINES = Baselines(
    level={CHAR: ChartBaseline.standard(center=10.0, sigma=0.01)},
    trend={CHAR: ChartBaseline.standard(center=0.0, sigma=0.001)},
)
"""Lot means in control at 10.000 +- 0.01; within-lot slope 0 +- 0.001 per part."""
POLICY = QualityPolicy()


def sub(
    lot: str, k: int, *, shift: float = 0.0, slope: float = 0.0, oos: int = 0, machine: str = "M"
) -> Subgroup:
    """Lot `lot`, the k-th on its machine (one per hour): five parts, mean 10 + shift, given slope."""
    t = 3600.0 * k
    return Subgroup(
        machine=machine,
        characteristic=CHAR,
        lot=lot,
        t=t,
        time=(T0 + timedelta(seconds=t)).isoformat(),
        values=tuple(10.0 + shift + slope * (i - 2) for i in range(5)),
        lsl=9.9,
        usl=10.1,
        out_of_spec=oos,
    )


IN_CONTROL = [sub("L1", 1), sub("L2", 2)]
DRIFT = [sub("L3", 3, shift=0.05, slope=0.01), sub("L4", 4, shift=0.08, slope=0.02, oos=2)]
"""L3: 5 sigma up with a part-by-part trend, every part in spec; L4: further up, 2 parts out."""
RECOVERY = [sub("L5", 5), sub("L6", 6), sub("L7", 7)]
OTHER = [sub(f"N{k}", k, machine="N") for k in range(1, 8)]


def lot(lot_id: str, *, by: str | None = "quality") -> Lot:
    holds: list[dict[str, JsonValue]] = []
    if by is not None:
        holds.append({"action": "hold", "t": 0.0, "time": T0.isoformat(), "by": by, "reason": "r"})
    return Lot.model_validate(
        {
            "id": lot_id,
            "job": lot_id.replace("L", "J"),
            "product": "P",
            "qty": 5,
            "good": 5,
            "scrap": 0,
            "status": "complete",
            "on_hold": by is not None,
            "hold_reason": None if by is None else "r",
            "hold_by": by,
            "holds": holds,
            "machines": ["M"],
        }
    )


@dataclass
class Recorder:
    calls: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    async def __call__(self, tool: str, args: Mapping[str, object]) -> object:
        self.calls.append((tool, dict(args)))
        return None


def _windows(subgroups: list[Subgroup]) -> list[DriftWindow]:
    return find_drift_windows(sorted(subgroups, key=lambda g: g.t), BASELINES, POLICY)


def _release(
    subgroups: list[Subgroup], lots: Mapping[str, Lot]
) -> tuple[list[str], list[str], Recorder, list[ToolCall]]:
    act, calls = Recorder(), list[ToolCall]()
    released, kept = asyncio.run(_propose_releases(act, _windows(subgroups), subgroups, lots, calls))
    return released, kept, act, calls


HELD = {"L3": lot("L3"), "L4": lot("L4")}


def test_window_stays_open_until_enough_in_control_lots_follow() -> None:
    (w,) = _windows([*IN_CONTROL, *DRIFT, *RECOVERY[:2], *OTHER])
    assert w.drift.machine == "M" and w.drift.violation.rule == "N1"
    assert w.end_t is None and w.start_t == DRIFT[0].t
    assert w.lots == ("L3", "L4", "L5", "L6")  # open: everything since the onset is suspect
    released, kept, act, calls = _release([*IN_CONTROL, *DRIFT, *RECOVERY[:2], *OTHER], HELD)
    assert (released, kept, act.calls, calls) == ([], [], [], [])


def test_after_recovery_the_window_closes_at_the_last_out_of_control_lot() -> None:
    (w,) = _windows([*IN_CONTROL, *DRIFT, *RECOVERY, *OTHER])
    assert w.end_t == DRIFT[1].t and w.start_t == DRIFT[0].t
    assert w.lots == ("L3", "L4") and w.characteristics == (CHAR,)


def test_release_is_proposed_for_the_in_spec_lot_and_the_out_of_spec_one_is_kept() -> None:
    released, kept, act, calls = _release([*IN_CONTROL, *DRIFT, *RECOVERY, *OTHER], HELD)
    assert (released, kept) == (["L3"], ["L4"])
    ((tool, args),) = act.calls
    assert tool == "release_lot" and args["lot_id"] == "L3" and args["by"] == "quality"
    assert "M back in control since t=14400 s" in str(args["reason"])
    assert [(c.tool, c.risk, c.args["lot_id"]) for c in calls] == [("release_lot", "critical", "L3")]


def test_a_part_out_of_spec_on_another_machine_keeps_the_lot() -> None:
    on_grinder = sub("L3", 8, oos=1, machine="G")
    released, kept, act, _ = _release([*IN_CONTROL, *DRIFT, *RECOVERY, *OTHER, on_grinder], HELD)
    assert released == [] and sorted(kept) == ["L3", "L4"] and act.calls == []


def test_only_lots_this_specialist_holds_are_released() -> None:
    lots = {"L3": lot("L3", by="supervisor"), "L4": lot("L4")}
    released, kept, act, _ = _release([*IN_CONTROL, *DRIFT, *RECOVERY, *OTHER], lots)
    assert released == [] and kept == ["L4"] and act.calls == []
    # not on hold (or unknown to the plant): nothing to release
    released, kept, act, _ = _release([*IN_CONTROL, *DRIFT, *RECOVERY, *OTHER], {"L3": lot("L3", by=None)})
    assert (released, kept, act.calls) == ([], [], [])


def test_lots_held_while_the_window_was_open_are_released_after_recovery() -> None:
    lots = {**HELD, "L5": lot("L5"), "L6": lot("L6")}
    released, kept, _, _ = _release([*IN_CONTROL, *DRIFT, *RECOVERY, *OTHER], lots)
    assert sorted(released) == ["L3", "L5", "L6"] and kept == ["L4"]
