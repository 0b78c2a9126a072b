"""`plantbrain plan-shift`: plan (or replan) a shift, publish it, store it, draw it.

    plantbrain plan-shift                                  # the next shift of a fresh sandbox (seed 0)
    plantbrain plan-shift --shift B --gantt shift-b.png    # shift B, with its Gantt chart
    plantbrain plan-shift --scenario bearing_wear --at 20 --json
    plantbrain plan-shift --plant-url http://plant:8080 --replan   # after a breakdown or a rush order

Exit codes: 0 planned (and published unless --dry-run), 1 the plan failed validation (nothing
published), 2 bad input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from tools import PlantClient, PlantClientConfig

MAX_AT_H = 168.0


async def plan_shift_task(
    *,
    plant_url: str | None,
    seed: int,
    scenario: str | None,
    at_h: float,
    shift: str | None,
    replan: bool,
    publish: bool,
    time_limit_s: float,
    redis_url: str,
    prefix: str,
) -> dict[str, Any]:
    """Run the shift graph on the plant (a served one, or a fresh sandbox moved to `at_h`)."""
    from agents._shift_planner import ShiftPolicy
    from graphs._shift import run_shift_plan
    from plantbrain.state import RedisStore

    async with _plant(plant_url, seed, scenario, at_h) as client:
        with RedisStore.from_url(redis_url, prefix=prefix) as store:
            out = await run_shift_plan(
                client,
                shift=shift,
                replan=replan,
                publish=publish,
                store=store,
                policy=ShiftPolicy(time_limit_s=time_limit_s),
            )
    return dict(out)


@asynccontextmanager
async def _plant(plant_url: str | None, seed: int, scenario: str | None, at_h: float) -> Any:
    if plant_url:
        async with PlantClient(PlantClientConfig(base_url=plant_url)) as client:
            yield client
        return
    from plantbrain._incident_cli import advance_to, sandbox_client

    async with sandbox_client(seed, scenario) as client:
        await advance_to(client, at_h * 3600.0)
        yield client


def register(app: typer.Typer, operator_errors: Callable[[], AbstractContextManager[None]]) -> None:
    """Add `plan-shift` to the main CLI."""
    from plantbrain._incident_cli import _guard
    from plantbrain.state import resolve_redis
    from sandbox_plant import PlantError, load_scenarios

    @app.command("plan-shift")
    def plan_shift_cmd(
        shift: Annotated[
            str | None,
            typer.Option(
                help="A|B|C: that shift (the one in progress, else its next start). Default: the next shift."
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="JSON output: the plan, its status and the decisions.")
        ] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Plan and show; publish and store nothing.")
        ] = False,
        replan: Annotated[
            bool,
            typer.Option(
                "--replan",
                help="Mid-shift replan (breakdown, rush order): least disruption to the published schedule.",
            ),
        ] = False,
        gantt: Annotated[
            Path | None, typer.Option(help="Also draw the Gantt chart to this .svg or .png file.")
        ] = None,
        plant_url: Annotated[str | None, typer.Option(help="A served plant instead of the sandbox.")] = None,
        seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="Sandbox seed.")] = 0,
        scenario: Annotated[str | None, typer.Option(help="Sandbox fault scenario.")] = None,
        at: Annotated[
            float,
            typer.Option(min=0, max=MAX_AT_H, help="Sandbox clock: hours since its start (06:00, shift A)."),
        ] = 0.0,
        time_limit: Annotated[
            float, typer.Option(min=0.5, max=300, help="CP-SAT seconds for the production plan.")
        ] = 10.0,
        prefix: Annotated[str, typer.Option(help="Redis key prefix of the plan store.")] = "plantbrain:store",
    ) -> None:
        """Plan the next shift: maintenance on technicians, production on machines, inspection points.

        The supervisor validates the plan, publishes it (schedule, work orders, assignments) and stores it
        in Redis; the text shows it per machine and per technician."""
        with operator_errors():
            if scenario is not None and scenario not in load_scenarios():
                raise PlantError(f"unknown scenario {scenario!r}; known: {', '.join(load_scenarios())}")
            if shift is not None and not shift.strip():
                raise PlantError("--shift is empty; give a shift name such as A, B or C.")
            if gantt is not None and gantt.suffix.lower() not in (".svg", ".png"):
                raise PlantError(
                    f"cannot draw a Gantt chart to {str(gantt)!r}; use a .svg or .png file name."
                )
        with operator_errors(), resolve_redis() as url:
            out = _guard(
                lambda: _planned(
                    plant_url=plant_url,
                    seed=seed,
                    scenario=scenario,
                    at_h=at,
                    shift=shift.strip().upper() if shift else None,
                    replan=replan,
                    publish=not dry_run,
                    time_limit_s=time_limit,
                    redis_url=url,
                    prefix=prefix,
                )
            )
        _show(out, as_json, gantt)
        if out.get("status") == "invalid":
            raise typer.Exit(1)


async def _planned(**kwargs: Any) -> dict[str, Any]:
    from agents._shift_inputs import ShiftNotFoundError
    from tools import ToolError

    try:
        return await plan_shift_task(**kwargs)
    except ShiftNotFoundError as e:
        raise ToolError("invalid_args", str(e)) from None


def _show(out: dict[str, Any], as_json: bool, gantt: Path | None) -> None:
    from agents._shift_model import ShiftPlan
    from plantbrain._gantt import write_chart
    from plantbrain._shift_view import plan_chart, plan_text

    plan = ShiftPlan.model_validate(out["plan"])
    if gantt is not None:
        gantt.parent.mkdir(parents=True, exist_ok=True)
        write_chart(plan_chart(plan), gantt)
    if as_json:
        body = {
            "status": out.get("status"),
            "violations": out.get("violations", []),
            "plan": out["plan"],
            "decisions": out.get("decisions", []),
            "gantt": str(gantt) if gantt else None,
        }
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    typer.echo(
        plan_text(plan, status=str(out.get("status", "")), violations=list(out.get("violations") or []))
    )
    if gantt is not None:
        typer.echo(f"\nGantt chart: {gantt}")
