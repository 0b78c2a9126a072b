"""The `plantbrain` command line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from plantbrain.state import RedisNotFoundError, RedisStartError, RedisUnavailableError, resolve_redis
from sandbox_plant import ConfigError, PlantError, load_plant_config, load_scenarios

app = typer.Typer(
    help="plantbrain: a multi-agent operations orchestrator for industrial plants.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
plant_app = typer.Typer(help="The sandbox plant: serve it, list its fault scenarios.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print JSON figures.", no_args_is_help=True)
app.add_typer(plant_app, name="plant")
app.add_typer(bench_app, name="bench")

SeedOpt = Annotated[int, typer.Option(min=0, max=2**31 - 1, help="Seed of the simulation.")]
ScenarioOpt = Annotated[str | None, typer.Option(help="Fault scenario (see `plantbrain plant scenarios`).")]
PlantFileOpt = Annotated[
    Path | None, typer.Option("--plant", help="Plant file (YAML); default: the built-in plant.")
]
err = Console(stderr=True)


@contextmanager
def _operator_errors() -> Iterator[None]:
    """One clear line and exit code 2 instead of a traceback."""
    try:
        yield
    except (PlantError, ConfigError, RedisNotFoundError, RedisStartError, RedisUnavailableError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _check_scenario(name: str | None) -> None:
    if name is not None and name not in load_scenarios():
        raise PlantError(f"unknown scenario {name!r}; known: {', '.join(load_scenarios())}")


@plant_app.command("serve")
def plant_serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8700,
    seed: SeedOpt = 0,
    scenario: ScenarioOpt = None,
    plant: PlantFileOpt = None,
) -> None:
    """Serve the sandbox plant's HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from sandbox_plant import create_app

    with _operator_errors():
        _check_scenario(scenario)
        api = create_app(config=load_plant_config(plant), seed=seed, scenario=scenario)
    err.print(
        f"sandbox plant on http://{host}:{port} (seed {seed}, scenario {scenario or 'normal operation'}); "
        f"docs at /docs"
    )
    uvicorn.run(api, host=host, port=port, log_level="warning")


@plant_app.command("scenarios")
def plant_scenarios(
    seed: SeedOpt = 0,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    plant: PlantFileOpt = None,
) -> None:
    """List the fault scenarios with their ground truth for a seed (root cause, affected assets and lots)."""
    from sandbox_plant import ground_truth

    with _operator_errors():
        cfg = load_plant_config(plant)
        truths = [ground_truth(name, seed, cfg) for name in load_scenarios()]
    if as_json:
        sys.stdout.write(json.dumps(truths, indent=2, ensure_ascii=False) + "\n")
        return
    out = Console()
    for t in truths:
        out.print(f"[bold]{t['name']}[/] — {t['title']} / {t['title_zh']}")
        out.print(
            f"  root cause: {', '.join(t['root_cause'])}"  # type: ignore[arg-type]
            + (f" (tag {t['root_tag']})" if t["root_tag"] else "")
            + (f", failure mode {t['failure_mode']}" if t["failure_mode"] else "")
            + f"; onset {t['onset_time']}"
        )
        out.print(f"  affected assets: {', '.join(t['affected_assets']) or '-'}")  # type: ignore[arg-type]
        out.print(f"  affected lots: {', '.join(t['affected_lots']) or '-'}")  # type: ignore[arg-type]


@bench_app.command("plant")
def bench_plant(
    hours: Annotated[float, typer.Option(min=0.1, max=24 * 30, help="Simulated hours per run.")] = 24.0,
    repeat: Annotated[int, typer.Option(min=1, max=50, help="Runs; the median is reported.")] = 3,
    seed: SeedOpt = 0,
    scenario: ScenarioOpt = None,
    plant: PlantFileOpt = None,
) -> None:
    """Simulation speed: simulated seconds per wall-clock second for the default plant (JSON)."""
    from ._bench import bench_plant as run

    with _operator_errors():
        _check_scenario(scenario)
        result = run(
            hours=hours,
            repeat=repeat,
            seed=seed,
            scenario=scenario,
            config=load_plant_config(plant),
        )
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


@bench_app.command("checkpoint")
def bench_checkpoint(
    runs: Annotated[int, typer.Option(min=10, max=100_000, help="Measured runs per saver.")] = 300,
    warmup: Annotated[int, typer.Option(min=0, max=10_000, help="Unmeasured runs first.")] = 30,
    durability: Annotated[
        str, typer.Option(help="LangGraph durability: async (its default), sync or exit.")
    ] = "async",
) -> None:
    """Checkpoint cost: RedisSaver vs LangGraph's InMemorySaver on a 6-node graph (JSON).

    Uses REDIS_URL, else a private redis-server; its keys are removed afterwards.
    """
    from ._bench_checkpoint import bench_checkpoint as run

    if durability not in ("async", "sync", "exit"):
        typer.echo(f"error: unknown durability {durability!r}; use async, sync or exit", err=True)
        raise typer.Exit(2)
    with _operator_errors(), resolve_redis() as url:
        result = run(url=url, runs=runs, warmup=warmup, durability=durability)  # type: ignore[arg-type]
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


@bench_app.command("jsp")
def bench_jsp(
    instances: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated names (ft06,la01,mk01,…), or a set: default (ft, la01-40, abz5-9, orb01-10), "
            "taillard (ta01-10), brandimarte (mk01-10)."
        ),
    ] = None,
    time_limit: Annotated[float, typer.Option(min=0.1, max=3600, help="CP-SAT seconds per instance.")] = 10.0,
    workers: Annotated[int, typer.Option(min=1, max=64, help="CP-SAT threads.")] = 2,
    data_dir: Annotated[
        Path | None, typer.Option(help="Public data folder (default: ../shared/data beside the checkout).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """The scheduling engine vs the best known makespans of the public job-shop instances (and SPT/MWKR)."""
    from ._bench_jsp import BRANDIMARTE, DEFAULT_INSTANCES, TAILLARD, BenchDataError
    from ._bench_jsp import bench_jsp as run

    sets = {"default": DEFAULT_INSTANCES, "taillard": TAILLARD, "brandimarte": BRANDIMARTE}
    names: list[str] = []
    for part in (instances or "default").split(","):
        names += list(sets.get(part.strip(), (part.strip(),)))
    where = data_dir or Path(__file__).resolve().parents[2] / "shared" / "data"
    try:
        result = run(
            data_dir=where,
            instances=[n for n in names if n],
            time_limit_s=time_limit,
            workers=workers,
            progress=lambda line: err.print(line, highlight=False),
        )
    except BenchDataError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return
    out = Console()
    for r in result["instances"]:
        out.print(
            f"{r['name']:<7} {r['makespan']!s:>6} vs {r['best_known']:>6}  gap {r['gap_pct']!s:>6}%  "
            f"{r['seconds']:>6} s   {r['baseline_rule']} {r['baseline_gap_pct']}%"
        )
    for family, s in result["summary"].items():
        out.print(
            f"{family}: mean gap {s['mean_gap_pct']}% (baseline {s['mean_baseline_gap_pct']}%), {s['optimal']}/{s['n']} at the best known"
        )


@app.command("demo")
def demo(
    seed: SeedOpt = 42,
    scenario: Annotated[str, typer.Option(help="Fault scenario to run.")] = "coolant_pump_failure",
) -> None:
    """A fault on the sandbox, then an operator's typed tasks (EN and ZH) answered by plantbrain.

    Uses REDIS_URL, else a private redis-server; the demo's checkpoints are deleted afterwards.
    """
    from ._demo import run_demo

    with _operator_errors():
        _check_scenario(scenario)
        with resolve_redis() as url:
            run_demo(seed=seed, scenario=scenario, redis_url=url, console=Console())


def _register_incident() -> None:
    from ._ask_cli import register as register_ask
    from ._eval_cli import register as register_eval
    from ._incident_cli import register
    from ._intents_cli import register as register_intents
    from ._replay_cli import register as register_replay
    from ._serve_cli import register as register_serve
    from ._shift_cli import register as register_shift
    from ._trace_cli import register as register_trace

    register(app, _operator_errors)
    register_ask(app, _operator_errors)
    register_intents(app)
    register_trace(app, _operator_errors)
    register_replay(app, bench_app, _operator_errors)
    register_serve(app, _operator_errors)
    register_shift(app, _operator_errors)
    register_eval(app, _operator_errors)


_register_incident()


def main() -> None:
    app()
