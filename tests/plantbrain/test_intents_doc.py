"""`docs/intents.md` is the catalogue the code has (regenerate: plantbrain intents --markdown)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agents import INTENTS
from plantbrain._intents_cli import catalogue_markdown
from plantbrain.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "intents.md"


def test_the_documented_catalogue_is_the_codes() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text == catalogue_markdown(), (
        "docs/intents.md is stale: plantbrain intents --markdown > docs/intents.md"
    )
    for i in INTENTS:
        assert f"`{i.name}`" in text and i.en in text and i.zh in text


def test_intents_command_lists_every_intent_as_json() -> None:
    res = CliRunner().invoke(app, ["intents", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["intent"] for r in rows] == [i.name for i in INTENTS]
    assert all(r["en"] and r["zh"] for r in rows)
