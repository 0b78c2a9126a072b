"""The `plantbrain` command line: help everywhere, JSON where promised, one clear error line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plantbrain.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["plant"],
        ["plant", "serve"],
        ["plant", "scenarios"],
        ["bench"],
        ["bench", "plant"],
        ["bench", "checkpoint"],
        ["incident"],
        ["incident", "run"],
        ["approve"],
        ["reject"],
        ["demo"],
        ["ask"],
        ["intents"],
        ["serve"],
        ["trace"],
        ["trace", "show"],
        ["replay"],
        ["incidents"],
        ["bench", "replay"],
        ["bench", "jsp"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    r = runner.invoke(app, [*args, "--help"])
    assert r.exit_code == 0, r.output
    assert "Usage" in r.output


def test_scenarios_json_has_the_ground_truth_fields() -> None:
    r = runner.invoke(app, ["plant", "scenarios", "--seed", "3", "--json"])
    assert r.exit_code == 0, r.output
    truths = json.loads(r.stdout)
    assert {t["name"] for t in truths} >= {
        "coolant_pump_failure",
        "bearing_wear",
        "tool_wear",
        "sensor_drift",
        "material_shortage",
        "machine_breakdown",
    }
    for t in truths:
        assert {"name", "root_cause", "affected_assets", "affected_lots", "expected_end_state"} <= set(t)
        assert t["root_cause"] and t["expected_end_state"]
    other = json.loads(runner.invoke(app, ["plant", "scenarios", "--seed", "4", "--json"]).stdout)
    assert [t["root_cause"] for t in truths] != [t["root_cause"] for t in other], (
        "the ground truth follows the seed"
    )


def test_scenarios_text_lists_each_scenario() -> None:
    r = runner.invoke(app, ["plant", "scenarios", "--seed", "1"])
    assert r.exit_code == 0
    assert "coolant_pump_failure" in r.output and "root cause:" in r.output


def test_bench_plant_prints_the_speed_figure() -> None:
    r = runner.invoke(app, ["bench", "plant", "--hours", "1", "--repeat", "1"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["sim_seconds"] == 3600.0
    assert out["sim_seconds_per_wall_second"] > 0
    assert out["samples"] == 360


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["bench", "plant", "--scenario", "nope"], "unknown scenario 'nope'"),
        (["plant", "scenarios", "--plant", "/nonexistent/plant.yaml"], "cannot read"),
        (["demo", "--scenario", "meteor_strike"], "unknown scenario"),
        (["ask", "hello", "--scenario", "meteor_strike"], "unknown scenario"),
        (["ask", "hello", "--brain", "oracle"], "unknown brain 'oracle'"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(args: list[str], needle: str) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code == 2
    assert needle in r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_a_broken_plant_file_names_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "plant.yaml"
    bad.write_text(
        "site: {id: X, name: x, name_zh: x}\nclock: {start: '2026-01-01T00:00:00Z', sample_period_s: -1}\n"
    )
    r = runner.invoke(app, ["plant", "scenarios", "--plant", str(bad)])
    assert r.exit_code == 2
    assert "sample_period_s" in r.output


def test_demo_answers_typed_operator_tasks(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    r = runner.invoke(app, ["demo", "--seed", "42"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())  # rich wraps long lines
    assert out.count("operator>") == 7
    assert "root cause P-201" in out and "create_work_order executed" in out
    assert "approves" in out and "CNC-6 is now stopped" in out
    assert "rejects" in out and "Stopping CNC-5 was not done" in out
    assert "交接班报告" in out and "state digest" in out
