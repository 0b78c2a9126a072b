"""`plantbrain incident run`'s driver on every scenario: the documented end state, on the plant.

For each scenario and seed the run watches the sandbox for the fault (or reviews the day), runs
the graph with every installed specialist, follows up to the end of the day when a drift or an
excursion needs it, and then the plant must show the scenario's `expected_end_state` (filled in by
`ground_truth` for the seed): the right work order and no other, the affected lots on hold and no
other, alarms acknowledged, machines running, the schedule repaired. The run's JSON outcome must
name the ground-truth root cause and affected lots, and no critical action may have run without a
supervisor's approval.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from graphs import read_state
from plantbrain._incident_cli import drive_incident, sandbox_client
from plantbrain.state import RedisSaver
from sandbox_plant import ground_truth

from .end_state import check

CASES = [
    *(("coolant_pump_failure", s) for s in (0, 5, 9)),
    *(("machine_breakdown", s) for s in (0, 3, 7)),
    *(("tool_wear", s) for s in (0, 3, 10)),
    *(("sensor_drift", s) for s in (1, 4)),
    *(("bearing_wear", s) for s in (0, 1, 20)),
    *(("sensor_fault", s) for s in (0, 1, 6)),
    *(("material_shortage", s) for s in (0, 1, 4)),
]


def drive(
    scenario: str, seed: int, redis_url: str, prefix: str
) -> tuple[dict[str, Any], list[str], list[Any]]:
    async def go() -> tuple[dict[str, Any], list[str], list[Any]]:
        run_id = f"e2e-{scenario}-{seed}-{uuid.uuid4().hex[:6]}"
        async with sandbox_client(seed, scenario) as client:
            with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
                out = await drive_incident(client, saver, run_id=run_id, seed=seed, scenario=scenario)
                actions = list((await read_state(client, saver, run_id)).get("actions", []))
            bad = await check(client, ground_truth(scenario, seed))
        return dict(out), bad, actions

    return asyncio.run(go())


@pytest.mark.parametrize(("scenario", "seed"), CASES)
def test_incident_run_reaches_the_documented_end_state(
    scenario: str, seed: int, redis_url: str, key_prefix: str
) -> None:
    out, bad, actions = drive(scenario, seed, redis_url, key_prefix)
    truth = ground_truth(scenario, seed)
    assert out["status"] == "completed", out
    assert out["root_cause"] == truth["root_cause"], out
    assert bad == [], bad
    assert out["affected_lots"] == sorted(truth["affected_lots"]), out
    assert out["affected_assets"] == sorted(truth["affected_assets"]), out
    assert out["pending_approvals"] == []
    unapproved = [
        a for a in actions if a["risk"] == "critical" and a["status"] == "executed" and not a["approved_by"]
    ]
    assert unapproved == []
