"""`plantbrain serve`: the HTTP service (see `plantbrain._service`) on one plant.

    plantbrain serve                                   # an in-process sandbox, 2 h into the day
    plantbrain serve --seed 3 --scenario bearing_wear --at 6
    plantbrain serve --plant-url http://127.0.0.1:8700 --port 8800

The plant is made once, at startup: a served plant (`plantbrain plant serve`), or an in-process
sandbox advanced to `--at` hours. Every thread acts on it. Checkpoints go to REDIS_URL, else to a
private redis-server.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from plantbrain._ask_cli import BaseUrlOpt, ModelOpt, OtlpOpt, PrefixOpt

DEFAULT_PORT = 8800


async def _serve(*, otlp_endpoint: str | None = None, **options: Any) -> None:
    """`_serve_on` with its traces going where the settings say (one provider for the service)."""
    from plantbrain.traces import TraceSettings, tracing

    with tracing(TraceSettings(redis_url=options["redis_url"], otlp_endpoint=otlp_endpoint)) as provider:
        await _serve_on(provider=provider, **options)


async def _serve_on(
    *,
    host: str,
    port: int,
    plant_url: str | None,
    seed: int,
    scenario: str | None,
    at_s: float,
    brains: Any,
    default_brain: str,
    redis_url: str,
    prefix: str,
    provider: Any,
) -> None:
    import uvicorn

    from graphs import PlantOrigin
    from plantbrain._incident_cli import _client, advance_to
    from plantbrain._service import create_service
    from plantbrain.state import RedisSaver
    from tools import Clock, ToolError

    async with _client(plant_url, seed, scenario, tracer_provider=provider) as client:
        try:
            if plant_url is None:
                await advance_to(client, at_s)
            clock = await client.get("/clock", Clock)
        except ToolError as e:
            typer.echo(f"error: the plant at {plant_url} does not answer: {e.message}", err=True)
            raise typer.Exit(2) from None
        origin = PlantOrigin(base_url=plant_url, seed=None if plant_url else seed, scenario=scenario,
                             clock_t=0.0 if plant_url else clock.t)  # fmt: skip
        with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
            app = create_service(
                client=client,
                saver=saver,
                brains=brains,
                origin=origin.model_dump(mode="json"),
                default_brain=default_brain,
            )
            where = plant_url or f"sandbox seed {seed}, scenario {scenario or 'normal operation'}"
            typer.echo(
                f"plantbrain service on http://{host}:{port} (plant: {where}, clock {clock.time}; "
                f"brain {default_brain}); docs at /docs",
                err=True,
            )
            server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info"))
            await server.serve()


def register(app: typer.Typer, operator_errors: Any) -> None:
    """Add `serve` to the main CLI."""

    @app.command("serve")
    def serve(
        host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = DEFAULT_PORT,
        plant_url: Annotated[
            str | None, typer.Option(help="A served plant (plantbrain plant serve) instead of the sandbox.")
        ] = None,
        seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="Sandbox seed.")] = 0,
        scenario: Annotated[
            str | None, typer.Option(help="Sandbox fault scenario (see `plantbrain plant scenarios`).")
        ] = None,
        at: Annotated[
            float, typer.Option(min=0, max=24, help="Sandbox clock at startup, hours into the day.")
        ] = 2.0,
        brain: Annotated[
            str, typer.Option(help="Default brain of new threads: rules (offline) or llm.")
        ] = "rules",
        base_url: BaseUrlOpt = None,
        model: ModelOpt = None,
        prefix: PrefixOpt = "plantbrain:cp",
        otlp_endpoint: OtlpOpt = None,
    ) -> None:
        """Serve operators' tasks over HTTP (POST /tasks; OpenAPI docs at /docs)."""
        from plantbrain._ask_cli import BrainSetupError, make_brain
        from plantbrain.state import resolve_redis
        from sandbox_plant import PlantError, load_scenarios

        with operator_errors():
            if plant_url is None and scenario is not None and scenario not in load_scenarios():
                raise PlantError(f"unknown scenario {scenario!r}; known: {', '.join(load_scenarios())}")
        if plant_url is not None and scenario is not None:
            typer.echo(
                "error: --scenario is for the sandbox; a served plant has its own (drop one)", err=True
            )
            raise typer.Exit(2)

        def brains(name: str) -> Any:
            return make_brain(name, base_url=base_url, model=model)

        try:
            brains(brain)
        except BrainSetupError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        with operator_errors(), resolve_redis() as url:
            asyncio.run(
                _serve(host=host, port=port, plant_url=plant_url, seed=seed, scenario=scenario,
                       at_s=at * 3600.0, brains=brains, default_brain=brain, redis_url=url, prefix=prefix,
                       otlp_endpoint=otlp_endpoint)
            )  # fmt: skip
