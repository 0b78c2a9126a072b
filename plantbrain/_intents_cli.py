"""`plantbrain intents`: the catalogue of what operators can ask, and `docs/intents.md` made from it."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from agents import INTENTS

_OWNERS = {
    "supervisor": "Status, explanations, reports (supervisor)",
    "alarm_triage": "Alarm triage",
    "maintenance": "Maintenance",
    "scheduling": "Scheduling",
    "quality": "Quality",
}
_EFFECT = {"read": "read", "write": "write", "critical": "**critical** (waits for a supervisor)"}

HEADER = """# What operators can ask

Generated from `agents/_intents.py` by `plantbrain intents --markdown`; a test keeps this file in
step with the code, and every example below is a test that runs on the sandbox plant and checks
its end state (`tests/graphs/test_ops_catalogue.py`).

Any of these can be combined in one sentence, in English or Chinese:

- **sequences**: "…, then …", "… and …" / "然后", "再", "并"
- **conditions on the live plant**: "if CNC-3 spindle temperature is above 80 °C, …" / "如果…就…";
  "otherwise" / "否则" for the other branch; "if PRS-1 is down", "if CNC-5 has alarms"
- **loops**: "every machine on line 2" / "二线所有设备" (one step per machine; with a condition, each
  machine is tested on its own)
- **negation**: "don't stop the line" / "不要停线" (the action is refused for the whole task)
- **follow-ups** on the same thread: "and line 3?", "what about CNC-4?", "那二线呢？"; "and the
  other line?" is asked back when the plant has more than one other line
- **references**: ids ("CNC-3", "cnc 3", "p-201"), type names with a number ("grinder 2",
  "3号数控机床", "4号机床"), a type on a line ("the coolant pump on line 2", "二线的磨床"), lines
  ("line 2", "L2", "二线", "2号线", "第二条产线"), "it"/"its"/"它"; sensors by their words
  ("spindle temperature", "主轴温度"); windows ("last 2 hours", "过去两小时", "this shift", "本班").
  All names come from the plant (`GET /assets`, `/topology`, `/tags`). An unknown or ambiguous
  reference is answered with a question listing the candidates, never a guess.
"""


def catalogue_markdown() -> str:
    """The catalogue as Markdown, grouped by the specialist that carries each intent out."""
    out = [HEADER]
    for owner, title in _OWNERS.items():
        out.append(
            f"\n## {title}\n\n| intent | what it does | effect | English | 中文 |\n|---|---|---|---|---|"
        )
        for i in INTENTS:
            if i.owner == owner:
                out.append(f"| `{i.name}` | {i.summary} | {_EFFECT[i.effect]} | {i.en} | {i.zh} |")
    return "\n".join(out) + "\n"


def register(app: typer.Typer) -> None:
    @app.command("intents")
    def intents(
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        markdown: Annotated[
            bool, typer.Option("--markdown", help="The catalogue as Markdown (docs/intents.md).")
        ] = False,
    ) -> None:
        """What operators can ask: every intent, its specialist, its effect and an EN and a ZH example."""
        if markdown:
            sys.stdout.write(catalogue_markdown())
            return
        rows: list[dict[str, Any]] = [
            {
                "intent": i.name,
                "owner": i.owner,
                "effect": i.effect,
                "summary": i.summary,
                "en": i.en,
                "zh": i.zh,
            }
            for i in INTENTS
        ]
        if as_json:
            sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
            return
        for r in rows:
            typer.echo(f"{r['intent']:<20} {r['owner']:<13} {r['effect']:<8} {r['en']}  /  {r['zh']}")
