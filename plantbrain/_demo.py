"""`plantbrain demo`: a fault on the sandbox, then an operator's typed tasks, told as they happen.

The plant runs (in process, over its HTTP API) until the fault shows; then an operator types tasks
in English and Chinese and plantbrain plans, acts through the specialists and answers with its
decision chain. The critical step waits for a supervisor: the demo answers as one, and says so.
Checkpoints go to REDIS_URL or a private redis-server (started and stopped by the demo); the
demo's threads are deleted at the end. Same seed and scenario, same story and the same digest.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from rich.console import Console
from rich.table import Table

from agents import RulesBrain
from graphs import Approval, answer, ask
from plantbrain._incident_cli import sandbox_client, watch_for_fault
from plantbrain._incidents_lib import CheckpointIncidents
from tools import Clock, NoArgs, PlantClient, get_plant_info, get_plant_state

TASKS: tuple[str, ...] = (
    "How is the plant doing?",
    "Alarm flood on line 2: handle the incident",
    "哪些批次被扣留了？",
    "If CNC-5 spindle temperature is above 60 °C, stop it",
    "Stop CNC-6",
    "and CNC-5?",
    "写一份交接班报告",
)
"""What the operator types, in order, on one thread."""
SUPERVISOR = "li.wei (demo supervisor)"
ANSWERS = (True, False)
"""The demo's answers to the approvals it meets, in order: the first approved, the next rejected."""


async def _run(console: Console, seed: int, scenario: str, redis_url: str) -> None:
    from plantbrain.state import RedisSaver

    async with sandbox_client(seed, scenario) as client:
        info = await get_plant_info(client, NoArgs())
        console.print(
            f"[bold]{info.site.name}[/]: {info.lines} lines, {info.assets} assets, {info.tags} sensor tags, "
            f"{info.jobs} jobs. Scenario [bold]{scenario}[/] (seed {seed}): the plant runs until the fault shows."
        )
        trigger = await watch_for_fault(client)
        clock = await client.get("/clock", Clock)
        if trigger is not None:
            what = trigger.get("alarm") or trigger.get("asset") or ""
            console.print(f"{clock.time[11:16]}  first sign of the fault: {trigger.get('type')} {what}\n")
        thread = f"demo-{uuid.uuid4().hex[:8]}"
        with RedisSaver.from_url(redis_url, prefix="plantbrain:demo") as saver:
            answers = list(ANSWERS)
            try:
                for task in TASKS:
                    await _turn(console, client, saver, thread, task, answers)
            finally:
                await saver.adelete_thread(thread)
        await _summary(console, client)


async def _turn(
    console: Console, client: PlantClient, saver: Any, thread: str, task: str, answers: list[bool]
) -> None:
    brain = RulesBrain()
    console.print(f"[bold green]operator>[/] {task}")
    out = await ask(
        client, saver, thread_id=thread, task=task, brain=brain, incidents=CheckpointIncidents(saver, client)
    )
    while out["status"] == "awaiting_approval":
        _show(console, out)
        ok = answers.pop(0) if answers else False
        verb = "approves" if ok else "rejects"
        console.print(f"[bold yellow]{SUPERVISOR} {verb}[/] (the demo answers as the supervisor)")
        approval = Approval(approved=ok, by=SUPERVISOR, role="supervisor")
        out = await answer(client, saver, thread, approval, brain=brain)
    _show(console, out)


def _show(console: Console, out: dict[str, Any]) -> None:
    console.print(f"[bold cyan]plantbrain[/] ({out['status']}): {out['text']}", highlight=False)
    for c in out.get("chain") or []:
        acts = ", ".join(c.get("actions") or []) or "read only"
        console.print(f"   {c['n']}. {c['owner']} / {c['intent']}: {c['status']} ({acts})", style="dim")
    console.print()


async def _summary(console: Console, client: PlantClient) -> None:
    state = await get_plant_state(client, NoArgs())
    table = Table(title="Work orders and held lots at the end")
    for col in ("what", "id", "asset / machines", "status", "by"):
        table.add_column(col)
    for w in state.work_orders:
        table.add_row("work order", w.id, w.asset, f"{w.type} P{w.priority} {w.status}", w.created_by)
    for lot in state.lots:
        if lot.on_hold:
            table.add_row("lot on hold", lot.id, ", ".join(lot.machines), lot.status, lot.hold_by or "")
    console.print(table)
    console.print(f"state digest (same seed and scenario => same digest): {state.history_sha256[:16]}")


def run_demo(*, seed: int, scenario: str, redis_url: str, console: Console) -> None:
    asyncio.run(_run(console, seed, scenario, redis_url))
