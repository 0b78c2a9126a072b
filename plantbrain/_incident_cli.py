"""`plantbrain incident run`, `plantbrain approve`, `plantbrain reject`, and the sandbox driver.

    plantbrain incident run coolant_pump_failure --seed 3 --json
    plantbrain approve RUN_ID --as li.wei --role supervisor     # any process, later
    plantbrain reject RUN_ID --as li.wei

The in-process sandbox (default) is rebuilt for a resumed run: the run's state records the seed,
scenario and plant clock at the start, and every write it made with its idempotency key; `approve`
rebuilds the plant to that clock, replays those writes (deterministic plant, same keys), then
resumes the graph. With `--plant-url` the run acts on a served plant (`plantbrain plant serve`)
and approve/reject reconnect to it. Nothing is approved automatically.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Annotated, Any

import httpx
import typer
from langgraph.checkpoint.base import BaseCheckpointSaver
from opentelemetry.sdk.trace import TracerProvider
from pydantic import BaseModel, Field, JsonValue

from graphs import (
    FOLLOW_UP_TRIGGER,
    MATERIAL_TRIGGER,
    REVIEW_TRIGGER,
    Approval,
    PlantOrigin,
    RunNotFoundError,
    follow_up_incident,
    follow_up_needed,
    read_state,
    run_incident,
)
from plantbrain.traces import TraceSettings, tracing
from tools import (
    Clock,
    Event,
    EventPage,
    ListLotsArgs,
    LotActionArgs,
    PlantClient,
    PlantClientConfig,
    ToolError,
    find_tool,
    hold_lot,
    list_lots,
)

STEP_S = 600.0
"""The sandbox clock advances in steps of this many seconds while watching for the fault."""
HORIZON_S = 24 * 3600.0

incident_app = typer.Typer(help="Incident response: run the graph on a fault scenario.", no_args_is_help=True)


class _Advance(BaseModel):
    seconds: float = Field(gt=0)


class _Advanced(BaseModel):
    next_event_seq: int


@asynccontextmanager
async def sandbox_client(
    seed: int,
    scenario: str | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    tracer_provider: TracerProvider | None = None,
) -> AsyncIterator[PlantClient]:
    """A client of a fresh in-process sandbox plant (`transport` wraps it, e.g. to inject faults)."""
    from sandbox_plant import create_app

    inner = httpx.ASGITransport(app=create_app(seed=seed, scenario=scenario))
    async with PlantClient(
        PlantClientConfig(base_url="http://plant"),
        transport=transport or inner,
        tracer_provider=tracer_provider,
    ) as c:
        yield c


CHATTER_RAISES = 3
"""An alarm raised this often is chattering (ISA-18.2): a nuisance, not the fault's first sign."""


async def watch_for_fault(
    client: PlantClient, *, step_s: float = STEP_S, horizon_s: float = HORIZON_S
) -> dict[str, JsonValue] | None:
    """Advance the sandbox clock in steps until the fault shows; its first sign is the trigger.

    A machine going down or tripping is a sign at once. A new alarm is held for one more step:
    if by then it has been raised `CHATTER_RAISES` times it is a chattering nuisance (the plant
    has one on a conveyor) and is ignored while it keeps chattering; if it still stands, its first
    raise is the sign; a blip that cleared again is not (yet) one. A nuisance alarm that stands
    through a whole step without clearing has crossed its limit for good: its last raise is the sign.
    A job that cannot start for lack of material is a sign at once.
    None if nothing shows before `horizon_s`.
    """
    raises: dict[str, int] = {}
    nuisance: set[str] = set()
    held: dict[str, Event] = {}
    standing: dict[str, bool] = {}
    last_raise: dict[str, Event] = {}
    cursor, t = 0, (await client.get("/clock", Clock)).t
    while t < horizon_s:
        nxt = (await client.post("/clock/advance", _Advance(seconds=step_s), _Advanced)).next_event_seq - 1
        page = await client.get("/events", EventPage, params={"since": cursor, "limit": 10000})
        cursor, t = nxt, t + step_s
        fresh: dict[str, Event] = {}
        moved: set[str] = set()
        for e in page.events:
            if e.asset_went_down or e.type == MATERIAL_TRIGGER:
                return e.flat()
            if e.type in ("alarm.raised", "alarm.cleared"):
                standing[str(e.data.get("alarm"))] = e.type == "alarm.raised"
                moved.add(str(e.data.get("alarm")))
            if e.type == "alarm.raised":
                alarm = str(e.data.get("alarm"))
                raises[alarm] = raises.get(alarm, 0) + 1
                last_raise[alarm] = e
                if alarm not in nuisance and alarm not in held:
                    fresh.setdefault(alarm, e)
        nuisance |= {a for a, n in raises.items() if n >= CHATTER_RAISES}
        # A chattering alarm that then stands a whole step without clearing is no longer chatter:
        # a value that crossed its limit for good (a drifting transmitter chatters on the way).
        settled = [last_raise[a] for a in sorted(nuisance) if standing.get(a) and a not in moved]
        signs = sorted(
            [*(e for a, e in held.items() if a not in nuisance and standing.get(a)), *settled],
            key=lambda e: e.seq,
        )
        if signs:
            return signs[0].flat()
        held = {a: e for a, e in fresh.items() if a not in nuisance}
    return None


async def review_trigger(client: PlantClient, *, horizon_s: float = HORIZON_S) -> dict[str, JsonValue]:
    """The trigger of a shift review: started at the plant's clock once watching found no alarm or
    trip up to `horizon_s`. The graph routes it to the quality specialist (triage first only when
    alarms stand), and a review that finds nothing ends `no_fault` with the review recorded."""
    clock = await client.get("/clock", Clock)
    return {
        "type": REVIEW_TRIGGER,
        "t": clock.t,
        "time": clock.time,
        "shift": clock.shift,
        "reason": f"no alarm or trip in {horizon_s / 3600:g} h of plant time: shift review",
    }


async def advance_to(client: PlantClient, t: float) -> None:
    """Advance the sandbox clock in `STEP_S` steps until it reaches `t` (never backwards)."""
    while (now := (await client.get("/clock", Clock)).t) + 1e-6 < t:
        await client.post("/clock/advance", _Advance(seconds=min(STEP_S, t - now)), _Advanced)


async def follow_up_trigger(client: PlantClient) -> dict[str, JsonValue]:
    """The trigger of a follow-up pass at the plant's clock."""
    clock = await client.get("/clock", Clock)
    return {
        "type": FOLLOW_UP_TRIGGER,
        "t": clock.t,
        "time": clock.time,
        "shift": clock.shift,
        "reason": "follow-up at the end of the day: the lots made since are judged",
    }


async def rebuild_sandbox(
    origin: PlantOrigin,
    actions: list[Mapping[str, JsonValue]],
    client: PlantClient,
    *,
    standing: list[JsonValue] | None = None,
) -> None:
    """Bring a fresh sandbox (same seed and scenario) to the run's clock and replay its writes.

    `standing`: lots quality reports held (`held_lots_standing`) whose hold has no record, because
    the worker that applied it was killed before its step was checkpointed; they are held again
    after the replay, so the rebuilt plant matches the one the run left."""
    await advance_to(client, origin.clock_t)
    for a in actions:
        if a.get("status") != "executed":
            continue
        at = a.get("at_t")
        if isinstance(at, int | float):
            await advance_to(client, float(at))  # a follow-up pass acted later than the run began
        args = a.get("args")
        assert isinstance(args, dict)
        await find_tool(str(a["tool"])).invoke(client, args, idempotency_key=str(a["idempotency_key"]))
    held = {lot.id for lot in (await list_lots(client, ListLotsArgs(on_hold=True))).lots}
    for lot_id in standing or []:
        if str(lot_id) not in held:
            args = {
                "lot_id": str(lot_id),
                "by": "quality",
                "reason": "held by the run (record lost with a killed worker)",
            }
            await hold_lot(client, LotActionArgs.model_validate(args))


async def drive_incident(
    client: PlantClient,
    saver: BaseCheckpointSaver[Any],
    *,
    run_id: str,
    seed: int,
    scenario: str | None,
    plant_url: str | None = None,
) -> dict[str, JsonValue]:
    """Watch the sandbox for the fault (or review the day), run the graph, and follow up.

    On the in-process sandbox the run then stays with the plant to the end of the scenario's
    day when something needs following (a drift that persists, a utility excursion's window),
    and a follow-up pass holds the lots made since. A served plant (`plant_url`) is not advanced:
    the run starts from what stands there now."""
    trigger = await watch_for_fault(client) if plant_url is None else None
    if trigger is None and plant_url is None:
        # Nothing alarmed or tripped: a fault that shows only in the measurements (a drift)
        # or in an instrument or a machine's health is still there to find: a review.
        trigger = await review_trigger(client)
    clock = (await client.get("/clock", Clock)).t
    origin = PlantOrigin(base_url=plant_url, seed=seed, scenario=scenario, clock_t=clock)
    trig: dict[str, JsonValue] = trigger or {"type": "operator.request", "t": clock}
    out = await run_incident(
        client, saver, run_id=run_id, trigger=trig, origin=origin.model_dump(mode="json")
    )
    if (
        plant_url is None
        and out.get("status") == "completed"
        and clock < HORIZON_S
        and follow_up_needed(await read_state(client, saver, run_id))
    ):
        await advance_to(client, HORIZON_S)
        out = await follow_up_incident(client, saver, run_id, await follow_up_trigger(client))
    return out


async def incident_run(
    scenario: str,
    seed: int,
    *,
    redis_url: str,
    prefix: str,
    plant_url: str | None = None,
    traces: TraceSettings | None = None,
) -> dict[str, JsonValue]:
    """A traced `incident.drive` segment (see `plantbrain._segments`)."""
    from plantbrain._segments import run_segment
    from plantbrain.state import RedisSaver

    run_id = f"inc-{scenario}-{seed}-{uuid.uuid4().hex[:8]}"
    inputs = {"run_id": run_id, "seed": seed, "scenario": scenario, "plant_url": plant_url}
    with tracing(traces or TraceSettings(redis_url=redis_url)) as provider:
        async with _client(plant_url, seed, scenario, tracer_provider=provider) as client:
            with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
                return await run_segment(
                    client, saver, run_id=run_id, kind="incident", segment="incident.drive", inputs=inputs
                )


async def incident_answer(
    run_id: str, answer: Approval, *, redis_url: str, prefix: str, traces: TraceSettings | None = None
) -> dict[str, JsonValue]:
    """A traced `incident.answer` segment: the sandbox rebuilt from the record, then the answer."""
    from plantbrain._segments import run_segment
    from plantbrain.state import RedisSaver

    with RedisSaver.from_url(redis_url, prefix=prefix) as saver:
        async with sandbox_client(0, None) as probe:
            state = await read_state(probe, saver, run_id)
        origin = PlantOrigin.model_validate(state.get("origin") or {})
        inputs = {"run_id": run_id, "approval": answer.model_dump(mode="json")}
        with tracing(traces or TraceSettings(redis_url=redis_url)) as provider:
            async with _client(
                origin.base_url, origin.seed or 0, origin.scenario, tracer_provider=provider
            ) as c:
                return await run_segment(
                    c, saver, run_id=run_id, kind="incident", segment="incident.answer", inputs=inputs
                )


@asynccontextmanager
async def _client(
    plant_url: str | None, seed: int, scenario: str | None, *, tracer_provider: TracerProvider | None = None
) -> AsyncIterator[PlantClient]:
    if plant_url is None:
        async with sandbox_client(seed, scenario, tracer_provider=tracer_provider) as c:
            yield c
    else:
        async with PlantClient(PlantClientConfig(base_url=plant_url), tracer_provider=tracer_provider) as c:
            yield c


# -- commands ------------------------------------------------------------------------------------------
def _print(outcome: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(outcome, indent=2, ensure_ascii=False) + "\n")
        return
    lines = [
        f"run {outcome.get('run_id')}: {outcome.get('status')}",
        f"  root cause: {', '.join(outcome.get('root_cause') or []) or '-'}"
        + ("  (its instrument, not the machine)" if outcome.get("failure_mode") == "sensor_fault" else ""),
        f"  work orders: {', '.join(outcome.get('work_orders') or []) or '-'}"
        + (f"  ({outcome['failure_mode']})" if outcome.get("failure_mode") else ""),
        f"  affected assets: {', '.join(map(str, outcome.get('affected_assets') or [])) or '-'}",
        f"  affected lots: {', '.join(map(str, outcome.get('affected_lots') or [])) or '-'}",
        f"  lots held: {', '.join(map(str, outcome.get('held_lots') or [])) or '-'}",
        f"  schedule changes: {', '.join(map(str, outcome.get('schedule_changes') or [])) or '-'}",
    ]
    review = outcome.get("review")
    if isinstance(review, Mapping):
        lines.append(
            f"  shift review at {review.get('time')}: {', '.join(review.get('specialists') or []) or '-'}"
            + (" found nothing" if not review.get("found") else "")
        )
    for f in outcome.get("follow_ups") or []:
        lines.append(f"  followed up at {f.get('time')}: {f.get('reason')}")
    for p in outcome.get("pending_approvals") or []:
        lines.append(f"  pending approval: {p.get('tool')} {json.dumps(p.get('args'))}")
    for s in outcome.get("skipped") or []:
        lines.append(f"  skipped {s.get('agent')}: {s.get('reason')}")
    if outcome.get("failure"):
        lines.append(f"  failed: {outcome['failure']}")
    typer.echo("\n".join(lines))


PrefixOpt = Annotated[str, typer.Option(help="Redis key prefix of the checkpoints.")]


def register(app: typer.Typer, operator_errors: Any) -> None:
    """Add `incident run`, `approve` and `reject` to the main CLI."""
    from plantbrain.state import resolve_redis

    app.add_typer(incident_app, name="incident")

    @incident_app.command("run")
    def run(
        scenario: Annotated[str, typer.Argument(help="Fault scenario (see `plantbrain plant scenarios`).")],
        seed: Annotated[int, typer.Option(min=0, max=2**31 - 1, help="Seed of the simulation.")] = 0,
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        plant_url: Annotated[str | None, typer.Option(help="A served plant instead of the sandbox.")] = None,
        prefix: PrefixOpt = "plantbrain:cp",
        otlp_endpoint: Annotated[
            str | None,
            typer.Option(
                help="Also send the trace to this OTLP/HTTP collector (default: OTEL_EXPORTER_OTLP_*)."
            ),
        ] = None,
    ) -> None:
        """Run the incident graph on a fault scenario (traced; replay with `plantbrain replay RUN_ID`)."""
        from sandbox_plant import PlantError, load_scenarios

        with operator_errors(), resolve_redis() as url:
            if scenario not in load_scenarios():
                raise PlantError(f"unknown scenario {scenario!r}; known: {', '.join(load_scenarios())}")
            out = _guard(
                lambda: incident_run(
                    scenario,
                    seed,
                    redis_url=url,
                    prefix=prefix,
                    plant_url=plant_url,
                    traces=TraceSettings(redis_url=url, otlp_endpoint=otlp_endpoint),
                )
            )
        _print(out, as_json)

    def answer(run_id: str, approved: bool, by: str, role: str, prefix: str, as_json: bool) -> None:
        from plantbrain._ask_cli import answer_if_conversation, print_task

        approval = Approval(approved=approved, by=by, role=role)
        with operator_errors(), resolve_redis() as url:
            convo = _guard(lambda: answer_if_conversation(run_id, approval, redis_url=url, prefix=prefix))
            if convo is not None:
                print_task(convo, as_json)
                return
            out = _guard(lambda: incident_answer(run_id, approval, redis_url=url, prefix=prefix))
        _print(out, as_json)

    @app.command("approve")
    def approve(
        run_id: str,
        by: Annotated[str, typer.Option("--as", help="Who approves.")] = "operator",
        role: Annotated[str, typer.Option(help="Their role; only 'supervisor' may approve.")] = "operator",
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        prefix: PrefixOpt = "plantbrain:cp",
    ) -> None:
        """Approve the pending critical action of a run and continue it."""
        answer(run_id, True, by, role, prefix, as_json)

    @app.command("reject")
    def reject(
        run_id: str,
        by: Annotated[str, typer.Option("--as", help="Who rejects.")] = "operator",
        role: Annotated[str, typer.Option(help="Their role.")] = "operator",
        as_json: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
        prefix: PrefixOpt = "plantbrain:cp",
    ) -> None:
        """Reject the pending critical action of a run (it is dropped) and continue it."""
        answer(run_id, False, by, role, prefix, as_json)


def _guard(make: Any) -> Any:
    # The llm brain's errors import without its optional extra (langchain-openai loads lazily).
    from agents._llm_brain import BrainUnavailable, LlmBrainConfigError
    from graphs._ops_run import ThreadBusyError, ThreadNotFoundError
    from plantbrain._ask_cli import BrainSetupError

    try:
        out = asyncio.run(make())
    except (
        RunNotFoundError,
        ToolError,
        ThreadNotFoundError,
        ThreadBusyError,
        BrainSetupError,
        BrainUnavailable,
        LlmBrainConfigError,
    ) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None
    except Exception as e:  # a bug: one line for the operator, not a traceback
        typer.echo(
            f"error: internal error ({type(e).__name__}: {e}); nothing more was done. Please report it.",
            err=True,
        )
        raise typer.Exit(3) from None
    return out
