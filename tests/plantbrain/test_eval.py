"""The step-depth evaluator itself: task files with mistakes are refused naming the line, a wrong
agent (acting on the neighbouring asset) scores 0, a correct agent on another path succeeds."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from pydantic import JsonValue
from typer.testing import CliRunner

from agents import RulesBrain
from agents._lexicon import PlantLexicon
from agents._plan import BrainAnswer, Plan, Step
from plantbrain._eval_run import run_suite, run_trial
from plantbrain._eval_tasks import EvalTask, SuiteError, load_suite
from plantbrain.cli import app
from sandbox_plant import create_app, load_scenarios
from tools import TOOLS

TOOL_NAMES = [t.name for t in TOOLS]

WO = {
    "id": "wo-cnc3",
    "utterance": "Open a priority-2 work order on CNC-3",
    "lang": "en",
    "depth": 2,
    "gold_chain": [
        {"tool": "list_work_orders", "args": {"asset": "CNC-3"}},
        {"tool": "create_work_order", "args": {"asset": "CNC-3", "priority": 2}},
    ],
    "milestones": [{"in": "work_orders", "where": {"asset": "CNC-3", "priority": 2}, "count": 1}],
    "minefields": [{"in": "work_orders", "where": {"asset": "CNC-4"}, "count_min": 1}],
}
STOP = {
    "id": "stop-cnc3",
    "utterance": "停掉3号数控机床",
    "lang": "zh",
    "depth": 1,
    "gold_chain": [{"tool": "set_machine_mode", "args": {"asset_id": "CNC-3", "mode": "stopped"}}],
    "milestones": [{"in": "assets", "where": {"id": "CNC-3"}, "field": "mode", "eq": "stopped"}],
    "minefields": [{"action": {"tool": "set_machine_mode", "args": {"asset_id": "CNC-4"}}}],
}
TEMP = {
    "id": "temp-cnc3",
    "utterance": "What's the spindle temperature on CNC-3?",
    "lang": "en",
    "depth": 1,
    "gold_chain": [{"tool": "get_tag", "args": {"tag_id": "CNC-3.spindle_temp"}}],
    "expected_answer": [
        {"mentions": "CNC-3"},
        {
            "value_of": {"in": "tags", "where": {"id": "CNC-3.spindle_temp"}, "field": "value", "ne": None},
            "tol": 0.1,
        },
    ],
}


def _write(tmp_path: Path, lines: list[str], name: str = "tasks.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _load(path: Path) -> list[EvalTask]:
    return load_suite(path, scenarios=load_scenarios(), tools=TOOL_NAMES)


# -- task files ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("second_line", "says"),
    [
        ('{"id": "x", "utterance": "Stop CNC-3"', "tasks.jsonl:2: not valid JSON"),
        (
            json.dumps({**WO, "id": "x", "scenario": "no_such_fault"}),
            "tasks.jsonl:2: unknown scenario 'no_such_fault'",
        ),
        (
            json.dumps({**WO, "id": "x", "gold_chain": [{"tool": "launch_rocket"}, WO["gold_chain"][1]]}),  # type: ignore[index]
            "tasks.jsonl:2: gold_chain: unknown tool 'launch_rocket'",
        ),
        (
            json.dumps({**WO, "id": "x", "setup": [{"tool": "frobnicate"}]}),
            "tasks.jsonl:2: setup: unknown tool 'frobnicate'",
        ),
        (
            json.dumps({**WO, "id": "x", "depth": 5}),
            "tasks.jsonl:2: task: Value error, depth is 5 but the gold chain has 2",
        ),
        (json.dumps({**WO, "lang": "fr", "id": "x"}), "tasks.jsonl:2: lang:"),
        (json.dumps(WO), "tasks.jsonl:2: task id 'wo-cnc3' repeats"),
        (
            json.dumps({**WO, "id": "x", "milestones": [{"in": "robots", "count": 1}]}),
            "tasks.jsonl:2: milestones.0: Value error, unknown collection 'robots'",
        ),
    ],
)
def test_a_bad_line_is_refused_naming_the_line(tmp_path: Path, second_line: str, says: str) -> None:
    path = _write(tmp_path, [json.dumps(WO), second_line])
    with pytest.raises(SuiteError) as e:
        _load(path)
    assert says in str(e.value)
    assert str(path) in str(e.value)


def test_the_cli_says_one_line_and_exits_2_on_a_bad_file(tmp_path: Path) -> None:
    path = _write(tmp_path, [json.dumps(WO), json.dumps({**WO, "id": "y", "scenario": "nope"})])
    result = CliRunner().invoke(app, ["eval", "--suite", str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "tasks.jsonl:2: unknown scenario 'nope'" in lines[0]
    assert "Traceback" not in result.output


def test_the_cli_reports_per_depth_figures_as_json(tmp_path: Path) -> None:
    path = _write(tmp_path, [json.dumps(WO), json.dumps(TEMP)])
    result = CliRunner().invoke(app, ["eval", "--suite", str(path), "--k", "2", "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["by_depth"]) == {"1", "2"}
    for figures in (*report["by_depth"].values(), report["overall"]):
        assert {"n", "success", "pass_k", "progress", "first_error_step"} <= set(figures)
        assert figures["success"] == figures["pass_k"] == 1.0
    assert report["overall"]["n"] == 2 and report["failures"] == []


# -- the evaluator's judgement ---------------------------------------------------------------------------
_NEIGHBOUR = {"CNC-3": "CNC-4", "CNC-1": "CNC-2", "3号数控机床": "4号数控机床"}


class NeighbourBrain:
    """A deliberately wrong agent: the rules brain's plan, acted on the neighbouring machine."""

    name = "rules"

    def __init__(self) -> None:
        self.inner = RulesBrain()

    async def plan(self, task: str, lexicon: PlantLexicon, memory: Mapping[str, JsonValue]) -> BrainAnswer:
        out = await self.inner.plan(task, lexicon, memory)
        if not isinstance(out, Plan):
            return out

        def move(args: dict[str, JsonValue]) -> dict[str, JsonValue]:
            raw = json.dumps(args, ensure_ascii=False)
            for a, b in _NEIGHBOUR.items():
                raw = raw.replace(f'"{a}', f'"{b}')
            moved: dict[str, JsonValue] = json.loads(raw)
            return moved

        return out.model_copy(
            update={"steps": tuple(s.model_copy(update={"args": move(s.args)}) for s in out.steps)}
        )


class LotByLotBrain:
    """A correct agent on another path: holds the lots it is told, one by one by id, instead of by
    machine and window (no measurement reads, different calls)."""

    name = "rules"

    def __init__(self, lots: list[str]) -> None:
        self.lots = lots

    async def plan(self, task: str, lexicon: PlantLexicon, memory: Mapping[str, JsonValue]) -> BrainAnswer:
        steps = tuple(
            Step(n=i, intent="hold_lots", owner="quality", args={"lot": lot}, text=task)
            for i, lot in enumerate(self.lots, 1)
        )
        return Plan(task=task, lang="en", brain="rules", steps=steps)


async def _lots_made_by(machine: str, hours: float, window_h: float) -> list[str]:
    """The lots `machine` worked on in the last `window_h` hours (operations that ran on it then,
    the one running now included), read from the plant's jobs, not from plantbrain."""
    transport = httpx.ASGITransport(app=create_app(seed=0))
    async with httpx.AsyncClient(transport=transport, base_url="http://plant") as http:
        await http.post("/clock/advance", json={"seconds": hours * 3600})
        state = (await http.get("/state")).json()
    epoch = datetime.fromisoformat(state["clock"]["time"]).timestamp() - state["clock"]["t"]
    since = state["clock"]["t"] - window_h * 3600

    def t(iso: str | None) -> float | None:
        return None if iso is None else datetime.fromisoformat(iso).timestamp() - epoch

    lots = set()
    for job in state["jobs"]:
        for op in job["ops"]:
            end = t(op["end_time"])
            if op["machine"] == machine and op["start_time"] and (end is None or end >= since):
                lots.add(next(x["id"] for x in state["lots"] if x["job"] == job["id"]))
    return sorted(lots)


def test_a_wrong_agent_on_the_neighbouring_asset_scores_zero() -> None:
    tasks = [EvalTask.model_validate(t) for t in (WO, STOP)]

    async def go() -> None:
        right = await run_suite(tasks, RulesBrain, k=1)
        assert right.overall.success == 1.0 and right.overall.minefields == 0
        wrong = await run_suite(tasks, NeighbourBrain, k=1)
        assert wrong.overall.success == 0.0 and wrong.overall.pass_k == 0.0
        assert wrong.overall.progress == 0.0  # every task hit a minefield
        assert {r.id for r in wrong.failures} == {"wo-cnc3", "stop-cnc3"}
        for r in wrong.failures:
            assert r.minefields, r
            assert r.first_error_step == 1 or (r.id == "wo-cnc3" and r.first_error_step in (1, 2)), r

    asyncio.run(go())


def test_a_correct_alternative_path_succeeds_and_a_partial_one_does_not() -> None:
    lots = asyncio.run(_lots_made_by("CNC-1", hours=8.0, window_h=6.0))
    assert len(lots) >= 2, lots
    task = EvalTask.model_validate(
        {
            "id": "hold-cnc1",
            "utterance": "Hold the lots CNC-1 made in the last 6 hours",
            "lang": "en",
            "hours": 8,
            "depth": 3 + len(lots),
            "gold_chain": [
                {"tool": "get_clock"},
                {"tool": "list_measurements", "args": {"machine": "CNC-1"}},
                {"tool": "list_lots"},
                *({"tool": "hold_lot", "args": {"lot_id": lot}} for lot in lots),
            ],
            "milestones": [
                {"in": "lots", "where": {"id": lot}, "field": "on_hold", "eq": True} for lot in lots
            ],
            "minefields": [{"in": "lots", "where": {"on_hold": True}, "count_min": len(lots) + 1}],
            "tags": ["quality"],
        }
    )

    async def go() -> None:
        gold = await run_trial(task, RulesBrain())
        assert gold.success and gold.first_error_step is None, gold
        other = await run_trial(task, LotByLotBrain(lots))
        assert other.success, other  # the state is right: another path counts
        assert other.first_error_step is not None, other  # ... though it left the gold chain
        partial = await run_trial(task, LotByLotBrain(lots[:-1]))
        assert not partial.success
        assert partial.progress == pytest.approx((len(lots) - 1) / len(lots), abs=1e-3)
        assert any(lots[-1] in m for m in partial.missing)

    asyncio.run(go())


def test_a_read_only_answer_is_checked_against_the_state() -> None:
    task = EvalTask.model_validate(TEMP)
    wrong = EvalTask.model_validate(
        {
            **TEMP,
            "id": "temp-wrong",
            "expected_answer": [
                {
                    "value_of": {
                        "in": "tags",
                        "where": {"id": "CNC-4.spindle_temp"},
                        "field": "value",
                        "ne": None,
                    },
                    "tol": 0.001,
                }
            ],
        }
    )

    async def go() -> None:
        ok = await run_trial(task, RulesBrain())
        assert ok.success and ok.progress == 1.0, ok
        bad = await run_trial(wrong, RulesBrain())
        assert not bad.success and bad.progress == 0.0
        assert bad.missing == ["answer does not say: value of tags[id=CNC-4.spindle_temp] value ne null"]

    asyncio.run(go())


def test_the_documented_example_task_loads_and_passes(tmp_path: Path) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "eval.md").read_text(encoding="utf-8")
    block = doc.split("```json\n", 1)[1].split("```", 1)[0]
    path = _write(tmp_path, [json.dumps(json.loads(block))])
    (task,) = _load(path)
    result = asyncio.run(run_trial(task, RulesBrain()))
    assert result.success and result.first_error_step is None, result


def test_a_setup_call_the_plant_refuses_names_the_task(tmp_path: Path) -> None:
    bad = {
        **WO,
        "id": "bad-setup",
        "setup": [{"tool": "hold_lot", "args": {"lot_id": "LOT-9999", "reason": "x"}}],
    }
    path = _write(tmp_path, [json.dumps(bad)])
    result = CliRunner().invoke(app, ["eval", "--suite", str(path), "--quiet"])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: task bad-setup: setup call 1 (hold_lot) failed"), (
        lines
    )


def test_the_llm_brain_is_scored_the_same_way() -> None:
    """The evaluator takes any brain: a scripted OpenAI-compatible model (in-process, no network)
    that answers right scores 1, one that picks the neighbouring machine scores 0."""
    from agents._llm_brain import LlmBrain, LlmBrainConfig
    from tests.agents.openai_script import ScriptedEndpoint, reply, tool_call

    tasks = [EvalTask.model_validate(t) for t in (WO, STOP)]

    async def score(target: str) -> tuple[float, float]:
        endpoint = ScriptedEndpoint(
            {
                str(WO["utterance"]): reply(tool_call("create_work_order", asset=target, priority=2)),
                str(STOP["utterance"]): reply(tool_call("stop_machine", asset=target)),
            }
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=endpoint.app), base_url="http://llm"
        ) as llm:

            def brain() -> LlmBrain:
                config = LlmBrainConfig(base_url="http://llm/v1", model="scripted", max_retries=0)
                return LlmBrain(config, http_async_client=llm)

            report = await run_suite(tasks, brain, k=1, brain_name="llm")
        return report.overall.success, report.overall.progress

    assert asyncio.run(score("CNC-3")) == (1.0, 1.0)
    assert asyncio.run(score("CNC-4")) == (0.0, 0.0)
