"""`plantbrain eval`: run a step-depth suite and print the figures per depth.

plantbrain eval                          # the project's suite (evals/depth), rules brain, k=1
plantbrain eval --k 5 --json             # pass^5 too; JSON: by_depth, overall, by_lang, failures
plantbrain eval --suite my_tasks.jsonl --brain llm --llm-url http://localhost:8000/v1 --model m
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated, Any

import typer

from plantbrain._eval_run import DepthFigures, SuiteReport, TrialResult, run_suite
from plantbrain._eval_tasks import EvalTask, SuiteError, default_suite, load_suite
from tools import ToolError


def load(path: Path | None) -> list[EvalTask]:
    """The suite at `path` (default: the project's), checked against the plant's scenarios and tools."""
    from sandbox_plant import load_scenarios
    from tools import TOOLS

    suite = path or default_suite()
    if path is None and not suite.exists():
        raise SuiteError(f"the project's suite is not at {suite}; give one with --suite PATH")
    return load_suite(suite, scenarios=load_scenarios(), tools=[t.name for t in TOOLS])


def table(report: SuiteReport) -> str:
    """The per-depth figures as a Markdown table (what the README shows)."""
    k = report.k
    rows = [
        f"| depth | tasks | Success@d | pass^{k}@d | ProgressRate@d | first wrong step (mean) | minefields |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name: str, f: DepthFigures) -> str:
        err = "-" if f.first_error_step is None else f"{f.first_error_step:.1f}"
        return f"| {name} | {f.n} | {f.success:.3f} | {f.pass_k:.3f} | {f.progress:.3f} | {err} | {f.minefields} |"

    rows += [row(d, f) for d, f in report.by_depth.items()]
    rows.append(row("**all**", report.overall))
    return "\n".join(rows)


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=Path(__file__).resolve().parents[1],
            check=False,
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def text_report(report: SuiteReport, *, max_failures: int = 30) -> str:
    langs = ", ".join(f"{lang} {f.n} tasks {f.success:.3f}" for lang, f in report.by_lang.items())
    lines = [
        f"Step-depth suite: {report.tasks} tasks, {report.brain} brain, k={report.k}, "
        f"{report.date}, commit {commit()}, {report.seconds:.0f} s.",
        "",
        table(report),
        "",
        f"By language: {langs}.",
    ]
    if report.failures:
        lines += ["", f"Failures ({len(report.failures)} trial(s)):"]
        for r in report.failures[:max_failures]:
            lines.append(f"  {r.id} (depth {r.depth}, {r.lang}, trial {r.trial}, {r.status}):")
            for why in [*(f"minefield: {m}" for m in r.minefields), *r.missing][:4]:
                lines.append(f"    {why}")
            if r.diverged_at:
                lines.append(f"    diverged: {r.diverged_at}")
        if len(report.failures) > max_failures:
            lines.append(f"  … and {len(report.failures) - max_failures} more (--json lists them all)")
    else:
        lines += ["", "No failures."]
    return "\n".join(lines)


def _progress(n: int, total: int, r: TrialResult) -> None:
    if n == total or n % 25 == 0 or not r.success:
        mark = "" if r.success else f"  FAIL {r.id}"
        sys.stderr.write(f"[{n}/{total}]{mark}\n")
        sys.stderr.flush()


def register(app: typer.Typer, operator_errors: Callable[[], AbstractContextManager[None]]) -> None:
    """Add `eval` to the main CLI."""

    @app.command("eval")
    def eval_cmd(
        suite: Annotated[
            Path | None,
            typer.Option(help="A task file (.jsonl) or a directory of them; default: the project's suite."),
        ] = None,
        brain: Annotated[str, typer.Option(help="rules (default, offline) or llm.")] = "rules",
        k: Annotated[int, typer.Option("--k", min=1, max=50, help="Trials per task (pass^k).")] = 1,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
        depth: Annotated[
            list[int] | None, typer.Option(help="Only tasks of this depth (repeatable).")
        ] = None,
        lang: Annotated[str | None, typer.Option(help="Only tasks in this language (en or zh).")] = None,
        task_id: Annotated[
            list[str] | None, typer.Option("--id", help="Only the task with this id (repeatable).")
        ] = None,
        fail_under: Annotated[
            float | None,
            typer.Option(min=0.0, max=1.0, help="Exit 1 when Success@d at any depth is below this."),
        ] = None,
        llm_url: Annotated[
            str | None, typer.Option(help="OpenAI-compatible endpoint of the llm brain.")
        ] = None,
        model: Annotated[str | None, typer.Option(help="Model name of the llm brain.")] = None,
        quiet: Annotated[bool, typer.Option(help="No progress lines on stderr.")] = False,
    ) -> None:
        """Run the step-depth suite: Success@d, pass^k@d, ProgressRate@d and the first wrong step, per depth."""
        from plantbrain._ask_cli import BrainSetupError, make_brain

        try:
            tasks = load(suite)
            make_brain(brain, base_url=llm_url, model=model)  # fail before running anything
        except (SuiteError, BrainSetupError) as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
        if lang is not None and lang not in ("en", "zh"):
            typer.echo(f"error: --lang must be en or zh, not {lang!r}", err=True)
            raise typer.Exit(2)
        chosen = [
            t
            for t in tasks
            if (not depth or t.depth in depth)
            and (lang is None or t.lang == lang)
            and (not task_id or t.id in task_id)
        ]
        if not chosen:
            typer.echo("error: no task of the suite matches --depth/--lang/--id", err=True)
            raise typer.Exit(2)

        def factory() -> Any:
            return make_brain(brain, base_url=llm_url, model=model)

        with operator_errors():
            try:
                report = asyncio.run(
                    run_suite(chosen, factory, k=k, brain_name=brain, on_result=None if quiet else _progress)
                )
            except (SuiteError, ToolError) as e:
                typer.echo(f"error: {e if isinstance(e, SuiteError) else e.message}", err=True)
                raise typer.Exit(2) from None
        if as_json:
            sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
        else:
            typer.echo(text_report(report))
        if fail_under is not None and any(f.success < fail_under for f in report.by_depth.values()):
            raise typer.Exit(1)
