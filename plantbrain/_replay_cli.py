"""`plantbrain replay`, `plantbrain incidents` and `plantbrain bench replay`.

    plantbrain replay inc-coolant_pump_failure-3-1a2b3c4d            # recorded: no plant involved
    plantbrain replay ./incident.jsonl --mode live --json              # a fresh sandbox of its seed
    plantbrain incidents                                               # the incident library
    plantbrain incidents export inc-… --out incident.jsonl             # replay it on another machine

`replay` exits 0 when the run is reproduced step for step, 1 when it diverges (the first
divergent step is shown with both sides), 2 on bad input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, Literal

import typer

from plantbrain._ask_cli import BaseUrlOpt, BrainSetupError, ModelOpt, make_brain
from plantbrain._trace_cli import JsonOpt, PrefixOpt, RefArg, _load, write_export
from plantbrain.traces import TraceStore

incidents_app = typer.Typer(
    help="The incident library: every incident run with its trace. No subcommand: list them.",
    invoke_without_command=True,
)


def _print_report(report: Any, as_json: bool) -> None:
    body = report.model_dump(mode="json", exclude={"replayed_spans"})
    if as_json:
        sys.stdout.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
        return
    head = f"run {report.run_id} ({report.mode} replay of {', '.join(report.segments)}): "
    if report.identical:
        typer.echo(head + f"identical, {report.steps_replayed} steps")
        return
    d = report.first_divergence
    typer.echo(head + f"DIVERGES at step {d.index} (of {report.steps_recorded} recorded)")
    for side, step in (("recorded", d.recorded), ("replayed", d.replayed)):
        if step is None:
            typer.echo(f"  {side}: (nothing: the run ended here)")
        else:
            typer.echo(
                f"  {side}: {step.kind} by {step.agent}: {step.what} {json.dumps(step.detail, ensure_ascii=False)[:400]}"
            )
    if d.request:
        typer.echo(f"  plant request the record did not have next: {json.dumps(d.request.get('got'))[:300]}")


def register(
    app: typer.Typer, bench_app: typer.Typer, operator_errors: Callable[[], AbstractContextManager[None]]
) -> None:
    """Add `replay`, `incidents` and `bench replay` to the main CLI."""
    from plantbrain.state import resolve_redis

    @app.command("replay")
    def replay_cmd(
        ref: RefArg,
        mode: Annotated[
            str, typer.Option(help="recorded: tool answers served from the record; live: a fresh sandbox.")
        ] = "recorded",
        brain: Annotated[
            str | None, typer.Option(help="Brain for conversation turns (default: the recorded one).")
        ] = None,
        base_url: BaseUrlOpt = None,
        model: ModelOpt = None,
        as_json: JsonOpt = False,
        prefix: PrefixOpt = "plantbrain",
    ) -> None:
        """Re-run a recorded run and report 'identical' or the first step where a decision or tool call differs."""
        from plantbrain._replay import ReplayError, replay

        if mode not in ("recorded", "live"):
            typer.echo(f"error: unknown mode {mode!r}; use recorded or live", err=True)
            raise typer.Exit(2)
        records = _load(ref, prefix, operator_errors)
        try:
            chosen = make_brain(brain, base_url=base_url, model=model) if brain else None
            report = asyncio.run(
                replay(
                    records,
                    mode=mode_of(mode),
                    brain=chosen,
                    brains=lambda name: make_brain(name, base_url=base_url, model=model),
                )
            )
        except (ReplayError, BrainSetupError) as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        _print_report(report, as_json)
        if not report.identical:
            raise typer.Exit(1)

    app.add_typer(incidents_app, name="incidents")

    @incidents_app.callback()
    def incidents(
        ctx: typer.Context,
        limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many, newest first.")] = 20,
        as_json: JsonOpt = False,
        prefix: PrefixOpt = "plantbrain",
    ) -> None:
        """List the recorded incident runs (newest first), each replayable by `plantbrain replay RUN_ID`."""
        if ctx.invoked_subcommand is not None:
            return
        with operator_errors(), resolve_redis() as url, TraceStore(redis_url=url, prefix=prefix) as store:
            runs = [r for r in store.list_runs(limit=10_000) if r.kind == "incident"][:limit]
        if as_json:
            sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in runs], indent=2) + "\n")
            return
        if not runs:
            typer.echo("no incident runs recorded yet: plantbrain incident run SCENARIO records one")
        for r in runs:
            typer.echo(
                f"{r.run_id}  {r.status or '-':<9} {r.segment:<16} {r.started or '-'}  {r.spans} spans  {r.outcome or ''}"[
                    :200
                ]
            )

    @incidents_app.command("export")
    def export(
        run_id: Annotated[str, typer.Argument(help="An incident run id (see `plantbrain incidents`).")],
        out: Annotated[str, typer.Option("--out", help="JSONL file to write.")],
        redact: Annotated[
            bool, typer.Option("--redact", help="Drop payloads (then it cannot be replayed).")
        ] = False,
        prefix: PrefixOpt = "plantbrain",
    ) -> None:
        """Write an incident's trace to a file; `plantbrain replay FILE` replays it on any machine."""
        from pathlib import Path

        write_export(_load(run_id, prefix, operator_errors), Path(out), redact=redact)

    @bench_app.command("replay")
    def bench_replay_cmd(
        steps: Annotated[
            int, typer.Option(min=10, max=100_000, help="Tool calls the run makes, at least.")
        ] = 1000,
        repeat: Annotated[int, typer.Option(min=1, max=20, help="Runs; medians are reported.")] = 3,
    ) -> None:
        """Recorded replay vs the original run of a long operator conversation (JSON); goal >= 20x."""
        from plantbrain._bench_replay import bench_replay

        sys.stdout.write(json.dumps(bench_replay(steps=steps, repeat=repeat), indent=2) + "\n")


def mode_of(mode: str) -> Literal["recorded", "live"]:
    return "live" if mode == "live" else "recorded"
