"""From the command line: a run leaves its trace; `trace show`, `incidents`, `replay` (by id and from an
exported file), and a damaged file is one error line naming the file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plantbrain.cli import app

runner = CliRunner()


def test_incident_run_is_traced_listed_shown_and_replayed(
    redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("PLANTBRAIN_STATE_DIR", str(tmp_path / "state"))
    r = runner.invoke(
        app, ["incident", "run", "machine_breakdown", "--seed", "2", "--json", "--prefix", key_prefix]
    )
    assert r.exit_code == 0, r.output
    run_id = json.loads(r.stdout)["run_id"]
    assert (tmp_path / "state" / "traces" / f"{run_id}.jsonl").is_file()

    r = runner.invoke(app, ["incidents", "--json"])
    assert r.exit_code == 0, r.output
    assert run_id in [x["run_id"] for x in json.loads(r.stdout)]

    r = runner.invoke(app, ["trace", "show", run_id])
    assert r.exit_code == 0, r.output
    assert "invoke_agent" in r.output or "alarm_triage" in r.output

    r = runner.invoke(app, ["replay", run_id, "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert (
        report["identical"] is True and report["first_divergence"] is None and report["steps_replayed"] > 20
    )

    exported = tmp_path / "incident.jsonl"
    r = runner.invoke(app, ["incidents", "export", run_id, "--out", str(exported)])
    assert r.exit_code == 0, r.output
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # another machine: no Redis needed for a file
    r = runner.invoke(app, ["replay", str(exported)])
    assert r.exit_code == 0, r.output
    assert "identical" in r.output

    lines = exported.read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join([*lines[:4], lines[4][: len(lines[4]) // 2]]) + "\n")
    r = runner.invoke(app, ["replay", str(broken)])
    assert r.exit_code == 2
    assert f"{broken}:5" in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_bench_replay_prints_its_figures() -> None:
    r = runner.invoke(app, ["bench", "replay", "--steps", "60", "--repeat", "1"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["identical"] is True and out["steps"] >= 60
    ratio = out["original_over_http_s"] / out["replay_s"]
    assert out["replay_s"] > 0 and abs(out["speedup_vs_http"] - ratio) <= 0.02 * ratio + 0.01
    assert out["goal_speedup"] == 20.0 and isinstance(out["goal_met"], bool)
