"""`plantbrain incident run --json` and `plantbrain approve` on an unknown run."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from plantbrain.cli import app


def test_incident_run_json(redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    res = CliRunner().invoke(
        app, ["incident", "run", "machine_breakdown", "--seed", "2", "--json", "--prefix", key_prefix]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("run_id", "root_cause", "work_orders", "held_lots", "schedule_changes", "pending_approvals"):
        assert key in out
    assert out["root_cause"] == ["OVN-2"] and len(out["work_orders"]) == 1


def test_approve_unknown_run_is_one_error_line(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    res = CliRunner().invoke(app, ["approve", "no-such-run", "--as", "li", "--role", "supervisor"])
    assert res.exit_code == 2
    assert "No incident run 'no-such-run'" in res.output
