"""`plantbrain plan-shift`: the plan as text, JSON and a Gantt chart; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plantbrain.cli import app

runner = CliRunner()


def test_plan_shift_text_json_and_chart(
    redis_url: str, key_prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    chart = tmp_path / "shift.svg"
    got = runner.invoke(
        app,
        [
            "plan-shift",
            "--scenario",
            "bearing_wear",
            "--at",
            "20",
            "--time-limit",
            "3",
            "--gantt",
            str(chart),
            "--prefix",
            key_prefix,
        ],
    )
    assert got.exit_code == 0, got.output
    assert "Shift A plan, 2026-03-03 06:00 to 14:00: published as schedule version" in got.output
    assert "Machines (operations in the shift):" in got.output and "Technicians:" in got.output
    assert "T-01 Li Wei" in got.output and "PdM on" in got.output
    assert "<svg" in chart.read_text(encoding="utf-8") and "PdM PRS-" in chart.read_text(encoding="utf-8")
    got = runner.invoke(
        app,
        ["plan-shift", "--shift", "b", "--dry-run", "--json", "--time-limit", "3", "--prefix", key_prefix],
    )
    assert got.exit_code == 0, got.output
    body = json.loads(got.output)
    assert (
        body["status"] == "planned"
        and body["plan"]["shift"] == "B"
        and body["plan"]["published_version"] is None
    )
    assert [d["agent"] for d in body["decisions"]] == ["maintenance", "scheduling", "quality", "supervisor"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--shift", "D"], "Unknown shift 'D'; this plant's shifts are A, B, C"),
        (["--gantt", "plan.jpg"], "use a .svg or .png file name"),
        (["--scenario", "nope"], "unknown scenario 'nope'"),
    ],
)
def test_bad_input_is_one_line(
    args: list[str], says: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    got = runner.invoke(app, ["plan-shift", "--dry-run", "--time-limit", "1", *args])
    assert got.exit_code == 2, got.output
    assert says in got.output and "Traceback" not in got.output
    assert len(got.output.strip().splitlines()) == 1
