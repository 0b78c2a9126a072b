"""Recorded replay reproduces every scenario's incident run exactly, and finds a changed rule's first
divergent step; live replay re-runs on a fresh sandbox."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

import agents._maintenance_agent as maintenance
from agents import RulesBrain
from graphs import Approval
from plantbrain._replay import replay
from plantbrain._segments import run_segment
from sandbox_plant import load_scenarios
from tests.plantbrain.trace_support import record_incident, records, traced_sandbox

SEEDS = {"coolant_pump_failure": 3, "machine_breakdown": 2, "tool_wear": 0, "sensor_drift": 0,
         "sensor_fault": 1, "bearing_wear": 0, "material_shortage": 0}  # fmt: skip


def test_every_scenario_has_a_seed_here() -> None:
    assert set(SEEDS) == set(load_scenarios())


@pytest.mark.parametrize("scenario", sorted(SEEDS))
def test_replay_reproduces_the_run_exactly(scenario: str) -> None:
    async def go() -> None:
        out, recs = await record_incident(scenario, SEEDS[scenario])
        report = await replay(recs)
        assert report.identical, report.first_divergence
        assert report.first_divergence is None
        assert report.steps_recorded == report.steps_replayed > 50
        tools = [s for s in recs if s.name.startswith("execute_tool ")]
        again = [s for s in report.replayed_spans if s.name.startswith("execute_tool ")]
        assert [(s.name, s.attributes.get("gen_ai.tool.call.arguments")) for s in tools] == [
            (s.name, s.attributes.get("gen_ai.tool.call.arguments")) for s in again
        ]
        live = await replay(recs, mode="live")  # a fresh sandbox of the same seed and scenario
        assert live.identical, live.first_divergence

    asyncio.run(go())


def test_a_changed_rule_is_found_at_its_first_divergent_step(monkeypatch: pytest.MonkeyPatch) -> None:
    async def go() -> None:
        out, recs = await record_incident("coolant_pump_failure", 3)
        original = maintenance.maintenance_agent

        async def changed(client: Any, act: Any, situation: Any) -> Any:
            async def act2(tool: str, args: Mapping[str, object]) -> object:
                if tool == "create_work_order":
                    args = {**args, "priority": 3}  # the changed rule: utility failures are P3
                return await act(tool, args)

            return await original(client, act2, situation)

        monkeypatch.setattr(maintenance, "maintenance_agent", changed)
        report = await replay(recs)
        assert not report.identical
        d = report.first_divergence
        assert d is not None and d.recorded is not None and d.replayed is not None
        assert d.recorded.agent == d.replayed.agent == "maintenance"
        assert d.recorded.what == d.replayed.what == "create_work_order"
        assert d.recorded.detail["arguments"]["priority"] == 1  # type: ignore[index]
        assert d.replayed.detail["arguments"]["priority"] == 3  # type: ignore[index]
        assert d.request is not None and d.request["got"]["request.body"]["priority"] == 3  # type: ignore[index]
        # every step before it was the same
        assert d.index > 10

    asyncio.run(go())


def test_a_conversation_with_an_approval_replays_recorded_and_live() -> None:
    async def go() -> None:
        async with traced_sandbox(seed=0, hours=2) as (client, exporter):
            from langgraph.checkpoint.memory import InMemorySaver

            saver = InMemorySaver()
            origin = {"seed": 0, "scenario": None, "clock_t": 7200.0}
            for task in (
                "If CNC-3 spindle temperature is above 30 °C, open a priority-2 work order",
                "Stop CNC-4",
            ):
                await run_segment(
                    client, saver, run_id="t-1", kind="ask", segment="ask.turn",
                    inputs={"thread": "t-1", "task": task, "brain": "rules", "origin": origin, "rebuild": False},
                    brain=RulesBrain(),
                )  # fmt: skip
            approval = Approval(approved=True, by="li", role="supervisor").model_dump(mode="json")
            out = await run_segment(
                client, saver, run_id="t-1", kind="ask", segment="ask.answer",
                inputs={"thread": "t-1", "approval": approval, "brain": "rules", "rebuild": False},
                brain=RulesBrain(),
            )  # fmt: skip
            assert out["status"] == "completed"
            recs = records(exporter)
        report = await replay(recs, brains=lambda name: RulesBrain())
        assert report.identical, report.first_divergence
        assert report.segments == ["ask.turn", "ask.turn", "ask.answer"]
        live = await replay(recs, mode="live", brains=lambda name: RulesBrain())
        # a fresh sandbox of the same seed, brought to the thread's clock: the plant is deterministic
        assert live.mode == "live" and live.identical, live.first_divergence

    asyncio.run(go())
