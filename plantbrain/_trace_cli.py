"""`plantbrain trace`: list traced runs, show one as its decision chain, export one.

    plantbrain trace list --limit 5
    plantbrain trace show incident-7            # from Redis, else <state dir>/traces/incident-7.jsonl
    plantbrain trace show ./incident-7.jsonl    # a file: no Redis needed
    plantbrain trace export incident-7 --out incident-7.jsonl --redact

Run ids are looked up in Redis (REDIS_URL, else a private redis-server), then in the trace
directory. A trace that cannot be read or found is one `error:` line and exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Annotated

import typer

from plantbrain.traces import (
    SpanRecord,
    TraceFileError,
    TraceNotFoundError,
    TraceStore,
    redact_record,
    render_tree,
    to_line,
    tree_json,
)

PrefixOpt = Annotated[str, typer.Option(help="Redis key prefix of the trace store.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output.")]
RefArg = Annotated[
    str,
    typer.Argument(
        metavar="RUN_ID|FILE", help="A run id (see `plantbrain trace list`) or a .jsonl trace file."
    ),
]


@contextmanager
def _trace_errors() -> Iterator[None]:
    try:
        yield
    except (TraceFileError, TraceNotFoundError) as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


def _is_file(ref: str) -> bool:
    return ref.endswith(".jsonl") or Path(ref).is_file()


def _load(
    ref: str, prefix: str, operator_errors: Callable[[], AbstractContextManager[None]]
) -> list[SpanRecord]:
    from plantbrain.state import resolve_redis

    with operator_errors(), _trace_errors():
        if _is_file(ref):
            with TraceStore(redis_url=None) as store:
                return store.load(ref)
        with resolve_redis() as url, TraceStore(redis_url=url, prefix=prefix) as store:
            return store.load(ref)


def write_export(records: list[SpanRecord], out: Path, *, redact: bool) -> None:
    """A run's spans to a JSONL file (one error line, exit 2, if it cannot be written)."""
    lines = [to_line(redact_record(r) if redact else r) for r in records]
    try:
        out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    except OSError as e:
        typer.echo(f"error: cannot write {out}: {e.strerror}; choose another --out", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{len(lines)} spans written to {out}" + (" (redacted)" if redact else ""), err=True)


def register(app: typer.Typer, operator_errors: Callable[[], AbstractContextManager[None]]) -> None:
    """Add `trace list|show|export` to the main CLI."""
    from plantbrain.state import resolve_redis

    trace_app = typer.Typer(
        help="Traces of runs: list them, show a decision chain, export one.", no_args_is_help=True
    )
    app.add_typer(trace_app, name="trace")

    @trace_app.command("list")
    def list_cmd(
        limit: Annotated[
            int, typer.Option(min=1, max=10_000, help="At most this many runs, newest first.")
        ] = 20,
        as_json: JsonOpt = False,
        prefix: PrefixOpt = "plantbrain",
    ) -> None:
        """The latest traced runs: id, kind, last segment, status, span count, when."""
        with operator_errors(), resolve_redis() as url, TraceStore(redis_url=url, prefix=prefix) as store:
            runs = store.list_runs(limit)
        if as_json:
            sys.stdout.write(
                json.dumps([r.model_dump(mode="json") for r in runs], indent=2, ensure_ascii=False) + "\n"
            )
            return
        if not runs:
            typer.echo("no traced runs (check --prefix)")
            return
        for r in runs:
            ended = r.ended.strftime("%Y-%m-%d %H:%M:%S") if r.ended else "-"
            typer.echo(
                f"{r.run_id}  {r.kind or '-'}  {r.segment or '-'}  {r.status}  {r.spans} spans  {ended}"
            )

    @trace_app.command("show")
    def show_cmd(ref: RefArg, as_json: JsonOpt = False, prefix: PrefixOpt = "plantbrain") -> None:
        """A run's decision chain: run -> agents -> tool calls, with decisions, answers and timings (ms)."""
        records = _load(ref, prefix, operator_errors)
        if as_json:
            sys.stdout.write(json.dumps(tree_json(records), indent=2, ensure_ascii=False) + "\n")
            return
        typer.echo(render_tree(records))

    @trace_app.command("export")
    def export_cmd(
        ref: RefArg,
        out: Annotated[Path, typer.Option("--out", help="JSONL file to write (replaced if it exists).")],
        redact: Annotated[
            bool,
            typer.Option(
                "--redact",
                help="Replace payloads (tool arguments and results, HTTP bodies, inputs) with a 'redacted' marker.",
            ),
        ] = False,
        prefix: PrefixOpt = "plantbrain",
    ) -> None:
        """Write a run's spans to a JSONL file, one per line (readable by `plantbrain trace show FILE`)."""
        write_export(_load(ref, prefix, operator_errors), out, redact=redact)
