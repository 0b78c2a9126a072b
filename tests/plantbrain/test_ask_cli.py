"""`plantbrain ask` and `approve` across processes: each invocation rebuilds the sandbox from the thread."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from plantbrain.cli import app

runner = CliRunner()


def _ask(*args: str) -> dict[str, object]:
    r = runner.invoke(app, ["ask", *args, "--json"])
    assert r.exit_code == 0, r.output
    out: dict[str, object] = json.loads(r.stdout)
    return out


def test_a_conversation_and_its_approval_span_invocations(
    redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    p = ["--prefix", key_prefix, "--thread", "shift-a"]
    first = _ask("Open a priority-2 work order on CNC-3", *p)
    assert first["status"] == "completed" and "WO-1001" in str(first["text"])
    out = _ask("Stop CNC-3", *p)
    assert out["status"] == "awaiting_approval" and out["turn"] == 2
    r = runner.invoke(
        app,
        ["approve", "shift-a", "--as", "li.wei", "--role", "supervisor", "--json", "--prefix", key_prefix],
    )
    assert r.exit_code == 0, r.output
    approved = json.loads(r.stdout)
    assert approved["status"] == "completed" and approved["steps"][0]["data"]["mode"] == "stopped"
    # A third invocation sees the plant the first two left: the order and the stop were replayed.
    out = _ask("为什么3号数控机床停了？", *p)
    assert out["turn"] == 3 and "由操作员停机" in str(out["text"])
    out = _ask("Which work orders are open?", *p)
    assert out["steps"][0]["data"]["work_orders"] == ["WO-1001"]  # type: ignore[index]


def test_refusal_exits_1_and_bad_brain_setup_is_one_line(
    redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    for var in ("PLANTBRAIN_LLM_BASE_URL", "OPENAI_BASE_URL", "PLANTBRAIN_LLM_MODEL", "OPENAI_MODEL"):
        monkeypatch.delenv(var, raising=False)
    r = runner.invoke(app, ["ask", "asdf qwer", "--prefix", key_prefix])
    assert r.exit_code == 1 and "did not understand" in r.output
    r = runner.invoke(app, ["ask", "What is CNC-3 doing?", "--brain", "llm"])
    assert r.exit_code == 2 and "--base-url" in r.output and len(r.output.strip().splitlines()) == 1
