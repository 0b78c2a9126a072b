"""Traces: JSONL per run, the Redis store, redaction, OTLP to a local collector, bad files, the tree, the CLI."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from typer.testing import CliRunner

import tools
from plantbrain._trace_cli import register
from plantbrain.cli import _operator_errors
from plantbrain.traces import (
    RedactingExporter,
    SpanRecord,
    TraceFileError,
    TraceNotFoundError,
    TraceSettings,
    TraceStore,
    make_provider,
    otlp_traces_url,
    read_trace_file,
    redact_record,
    render_tree,
    trace_path,
    tracing,
    tree_json,
)
from sandbox_plant import create_app
from tests.plantbrain.otlp_receiver import OtlpReceiver
from tools import _telemetry as tm

RUN = "incident:7"
runner = CliRunner()


async def _drive(provider: TracerProvider, run_id: str, segment: str = "incident.drive") -> None:
    """One run segment: a run span, two agents, three tool calls on the sandbox (one fails)."""
    tracer = tm.tracer_of(provider)
    transport = httpx.ASGITransport(app=create_app(seed=0))
    config = tools.PlantClientConfig(base_url="http://plant", retries=0)
    inputs = {"scenario": "coolant_pump_failure", "seed": 42}
    async with tools.PlantClient(config, transport=transport, tracer_provider=provider) as client:
        with tm.run_span(tracer, run_id=run_id, kind="incident", segment=segment, inputs=inputs) as root:
            agent = {tm.OPERATION: tm.INVOKE_AGENT, tm.AGENT_NAME: "maintenance"}
            with tracer.start_as_current_span("invoke_agent maintenance", attributes=agent) as span:
                span.set_attributes(
                    {
                        tm.DECISION_SUMMARY: "Inspect CNC-3",
                        tm.DECISION_RULE: "R-7",
                        tm.DECISION_CONFIDENCE: 0.9,
                    }
                )
                await tools.get_asset(client, tools.GetAssetArgs(asset_id="CNC-3"))
                with pytest.raises(tools.ToolError):
                    await tools.get_asset(client, tools.GetAssetArgs(asset_id="NOPE-9"))
            agent = {tm.OPERATION: tm.INVOKE_AGENT, tm.AGENT_NAME: "supervisor"}
            with tracer.start_as_current_span("invoke_agent supervisor", attributes=agent) as span:
                await tools.list_assets(client, tools.ListAssetsArgs())
                span.set_attribute(tm.APPROVAL_PENDING, tm.dumps([{"tool": "set_machine_mode"}]))
                span.add_event(tm.APPROVAL, {"approved": True, "by": "li.wei", "role": "supervisor"})
            root.set_attribute(tm.RUN_OUTCOME, "work order opened")


def _traced(settings: TraceSettings, *run_ids: str) -> None:
    with tracing(settings) as provider:
        for run_id in run_ids:
            asyncio.run(_drive(provider, run_id))
        tm.tracer_of(provider).start_span("outside any run").end()


def _span_names(records: Sequence[SpanRecord]) -> set[str]:
    return {r.name for r in records}


# -- JSONL ---------------------------------------------------------------------------------------------
def test_one_jsonl_file_per_run_and_every_span_knows_its_run(tmp_path: Path) -> None:
    _traced(TraceSettings(directory=tmp_path), RUN, "ask-1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ask-1.jsonl", "incident%3A7.jsonl"]
    for run_id in (RUN, "ask-1"):
        records = read_trace_file(trace_path(tmp_path, run_id))
        assert len(records) == 6 and {r.attributes[tm.RUN_ID] for r in records} == {run_id}
        assert _span_names(records) == {
            "run incident",
            "invoke_agent maintenance",
            "invoke_agent supervisor",
            "execute_tool get_asset",
            "execute_tool list_assets",
        }
        assert records[0].name == "run incident" and records[0].parent_id is None


def test_trace_path_is_a_safe_distinct_file_name(tmp_path: Path) -> None:
    assert trace_path(tmp_path, "incident:7").name == "incident%3A7.jsonl"
    for hostile in ("../../etc/passwd", "..", ".hidden", "a/b\\c", "运行:1"):
        p = trace_path(tmp_path, hostile)
        assert p.parent == tmp_path and not p.name.startswith(".") and "/" not in p.name
    long_a, long_b = "x" * 300 + "a", "x" * 300 + "b"
    assert trace_path(tmp_path, long_a) != trace_path(tmp_path, long_b)
    assert len(trace_path(tmp_path, long_a).name) <= 206
    with pytest.raises(ValueError):
        trace_path(tmp_path, "")


# -- Redis ---------------------------------------------------------------------------------------------
def test_redis_store_lists_the_run_with_its_meta_and_loads_the_same_spans(
    tmp_path: Path, redis_url: str, key_prefix: str
) -> None:
    settings = TraceSettings(directory=tmp_path, redis_url=redis_url, prefix=key_prefix)
    _traced(settings, "older", RUN)
    with tracing(settings) as provider:  # a second segment of the same run (an approval)
        asyncio.run(_drive(provider, RUN, segment="incident.answer"))
    with TraceStore(redis_url=redis_url, prefix=key_prefix, directory=tmp_path) as store:
        runs = store.list_runs()
        assert [r.run_id for r in runs] == [RUN, "older"]
        run = runs[0]
        assert (run.kind, run.segment, run.status, run.spans) == ("incident", "incident.answer", "UNSET", 12)
        assert json.loads(run.input) == {"scenario": "coolant_pump_failure", "seed": 42}
        assert run.outcome == "work order opened"
        assert run.started is not None and run.ended is not None and run.started < run.ended
        assert store.list_runs(limit=1) == runs[:1]
        loaded = store.load(RUN)
    from_file = read_trace_file(trace_path(tmp_path, RUN))
    assert [r.span_id for r in loaded] == [r.span_id for r in from_file] and loaded == from_file


def test_run_input_is_cut_to_2kb_in_the_index(tmp_path: Path, redis_url: str, key_prefix: str) -> None:
    with tracing(TraceSettings(directory=tmp_path, redis_url=redis_url, prefix=key_prefix)) as provider:
        inputs = {"task": "温度" * 2000}
        with tm.run_span(tm.tracer_of(provider), run_id="big", kind="ask", segment="ask.turn", inputs=inputs):
            pass
    with TraceStore(redis_url=redis_url, prefix=key_prefix, directory=tmp_path) as store:
        [run] = store.list_runs()
        assert 1000 < len(run.input.encode()) <= 2048 and run.input.endswith("…")
        full = store.load("big")[0].attributes[tm.RUN_INPUT]
        assert json.loads(str(full)) == inputs  # the span keeps it whole


@pytest.mark.parametrize("failure", ["refused", "silent"])
def test_a_redis_that_is_down_warns_once_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1] if failure == "silent" else _closed_port()
        began = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="plantbrain.traces._export"):
            _traced(TraceSettings(directory=tmp_path, redis_url=f"redis://127.0.0.1:{port}/0"), RUN, "ask-1")
        took = time.monotonic() - began
    warnings = [r for r in caplog.records if "trace store" in r.getMessage()]
    assert len(warnings) == 1 and "JSONL" in warnings[0].getMessage()
    assert took < 3.0  # one short timeout, then the exporter rests: not a timeout per span
    assert len(read_trace_file(trace_path(tmp_path, RUN))) == 6


def test_the_file_store_lists_runs_and_unknown_runs_say_what_to_do(tmp_path: Path) -> None:
    _traced(TraceSettings(directory=tmp_path), "first", RUN)
    (tmp_path / "junk.jsonl").write_text("not json\n")
    store = TraceStore(redis_url=None, directory=tmp_path)
    runs = {r.run_id: r for r in store.list_runs()}
    assert runs[RUN].segment == "incident.drive" and runs[RUN].spans == 6
    assert runs["junk"].status == "unreadable"
    assert len(store.load(str(trace_path(tmp_path, RUN)))) == 6
    with pytest.raises(TraceNotFoundError, match="plantbrain trace list"):
        store.load("no-such-run")


# -- redaction and OTLP --------------------------------------------------------------------------------
def _payloads_redacted(
    attributes: Mapping[str, object], events: Sequence[tuple[str, Mapping[str, object]]]
) -> bool:
    ok = all(attributes.get(k, "[redacted]") == "[redacted]" for k in tm.PAYLOAD_KEYS)
    return ok and all(
        a.get(k, "[redacted]") == "[redacted]" for _, a in events for k in tm.PAYLOAD_EVENT_KEYS
    )


def test_redaction_removes_payloads_and_keeps_the_rest(tmp_path: Path) -> None:
    memory = InMemorySpanExporter()
    provider = make_provider(TraceSettings(directory=tmp_path))
    provider.add_span_processor(SimpleSpanProcessor(RedactingExporter(memory)))
    asyncio.run(_drive(provider, RUN))
    provider.shutdown()
    spans = memory.get_finished_spans()
    tool = next(s for s in spans if s.name == "execute_tool get_asset")
    assert tool.attributes is not None and tool.attributes[tm.TOOL_NAME] == "get_asset"
    assert tool.attributes[tm.TOOL_RESULT] == "[redacted]" and tool.attributes[tm.HTTP_METHOD] == "GET"
    for s in spans:
        events = [(e.name, dict(e.attributes or {})) for e in s.events]
        assert _payloads_redacted(dict(s.attributes or {}), events), s.name
    kept = read_trace_file(trace_path(tmp_path, RUN))  # the file keeps them: replay needs them
    assert any('"type_name"' in str(r.attributes.get(tm.TOOL_RESULT, "")) for r in kept)
    redacted = [redact_record(r) for r in kept]
    assert all(_payloads_redacted(r.attributes, [(e.name, e.attributes) for e in r.events]) for r in redacted)
    assert [r.name for r in redacted] == [r.name for r in kept]


@pytest.mark.parametrize("redact", [False, True])
def test_otlp_export_reaches_a_local_collector(tmp_path: Path, redact: bool) -> None:
    with OtlpReceiver() as rx:
        _traced(TraceSettings(directory=tmp_path, otlp_endpoint=rx.url, redact_export=redact), RUN)
    assert rx.paths and set(rx.paths) == {"/v1/traces"}
    spans = rx.spans()
    assert {s.name for s in spans} >= {"run incident", "invoke_agent maintenance", "execute_tool get_asset"}
    assert {s.service for s in spans} == {"plantbrain"}
    tool = next(s for s in spans if s.name == "execute_tool get_asset")
    assert tool.attributes[tm.OPERATION] == "execute_tool" and tool.attributes[tm.TOOL_NAME] == "get_asset"
    assert tool.attributes[tm.RUN_ID] == RUN
    agent = next(s for s in spans if s.name == "invoke_agent maintenance")
    assert agent.attributes[tm.AGENT_NAME] == "maintenance"
    raw = b"".join(rx.bodies)
    if redact:
        assert all(_payloads_redacted(s.attributes, s.events) for s in spans)
        assert b'"type_name"' not in raw and tool.attributes[tm.TOOL_RESULT] == "[redacted]"
    else:
        assert '"type_name"' in tool.attributes[tm.TOOL_RESULT] and b'"type_name"' in raw


def test_otlp_endpoint_from_settings_or_the_standard_variables() -> None:
    s = TraceSettings()
    assert otlp_traces_url(s, env={}) is None
    assert (
        otlp_traces_url(s, env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}) == "http://c:4318/v1/traces"
    )
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t/x"}
    assert otlp_traces_url(s, env=env) == "http://t/x"
    assert otlp_traces_url(TraceSettings(otlp_endpoint="http://h:1"), env=env) == "http://h:1/v1/traces"
    with pytest.raises(ValueError, match="otlp_timeout_s"):
        TraceSettings(otlp_timeout_s=0)


def test_a_collector_that_is_down_does_not_fail_the_run(tmp_path: Path) -> None:
    settings = TraceSettings(
        directory=tmp_path, otlp_endpoint=f"http://127.0.0.1:{_closed_port()}", otlp_timeout_s=0.5
    )
    began = time.monotonic()
    _traced(settings, RUN)  # raises nothing
    assert time.monotonic() - began < 10
    assert len(read_trace_file(trace_path(tmp_path, RUN))) == 6


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- bad files -----------------------------------------------------------------------------------------
def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a second command keeps `trace` a subcommand
    register(app, _operator_errors)
    return app


def test_truncated_and_corrupted_files_name_the_file_and_the_line(tmp_path: Path) -> None:
    _traced(TraceSettings(directory=tmp_path / "t"), RUN)
    lines = trace_path(tmp_path / "t", RUN).read_text().splitlines()
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])
    corrupted = tmp_path / "corrupted.jsonl"
    corrupted.write_text("\n".join([lines[0], lines[1], "\x00garbage{", *lines[3:]]) + "\n")
    for path, line in ((truncated, 4), (corrupted, 3)):
        with pytest.raises(TraceFileError, match=rf"{re.escape(str(path))}:{line}: .*truncated or corrupted"):
            read_trace_file(path)
        r = runner.invoke(_cli(), ["trace", "show", str(path)])
        assert r.exit_code == 2, r.output
        [only] = r.output.strip().splitlines()
        assert only.startswith(f"error: {path}:{line}: not a span record: is not JSON")


# -- the tree ------------------------------------------------------------------------------------------
def test_render_tree_shows_agents_over_their_tools_with_durations(tmp_path: Path) -> None:
    _traced(TraceSettings(directory=tmp_path), RUN)
    text = render_tree(read_trace_file(trace_path(tmp_path, RUN)))
    lines = text.splitlines()
    assert lines[0].startswith("run incident [incident.drive]  scenario=coolant_pump_failure seed=42")
    depth = {
        name: next(i for i, ln in enumerate(lines) if name in ln) for name in ("maintenance", "supervisor")
    }
    tools_under = [ln for ln in lines[depth["maintenance"] : depth["supervisor"]] if "execute_tool" in ln]
    assert len(tools_under) == 2 and all(
        ln.startswith("│  ├─ ") or ln.startswith("│  └─ ") for ln in tools_under
    )
    assert "GET /assets/CNC-3 -> 200, " in tools_under[0] and "ERROR not_found" in tools_under[1]
    assert "decision: Inspect CNC-3 (rule R-7, confidence 0.90)" in text
    assert "awaiting approval:" in text and "approval: approved by li.wei (supervisor)" in text
    assert "outcome: work order opened" in text
    durations = re.findall(r"  (\d+\.\d) ms", text)
    assert len(durations) == 6 and all(float(d) >= 0 for d in durations)


def test_tree_json_nests_with_payloads(tmp_path: Path) -> None:
    _traced(TraceSettings(directory=tmp_path), RUN)
    tree = tree_json(read_trace_file(trace_path(tmp_path, RUN)))
    assert tree["run_id"] == RUN and tree["spans"] == 6
    [root] = tree["roots"]
    assert [c["name"] for c in root["children"]] == ["invoke_agent maintenance", "invoke_agent supervisor"]
    tool = root["children"][0]["children"][0]
    assert tool["name"] == "execute_tool get_asset" and '"type_name"' in tool["attributes"][tm.TOOL_RESULT]
    assert tool["duration_ms"] > 0 and root["duration_ms"] >= tool["duration_ms"]


# -- CLI -----------------------------------------------------------------------------------------------
def test_cli_list_show_and_export(
    tmp_path: Path, redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANTBRAIN_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", redis_url)
    _traced(TraceSettings(redis_url=redis_url, prefix=key_prefix), RUN)
    assert trace_path(tmp_path / "traces", RUN).is_file()  # the default directory
    app, p = _cli(), ["--prefix", key_prefix]
    r = runner.invoke(app, ["trace", "list", "--json", *p])
    assert r.exit_code == 0, r.output
    [run] = json.loads(r.stdout)
    assert run["run_id"] == RUN and run["kind"] == "incident" and run["spans"] == 6
    r = runner.invoke(app, ["trace", "show", RUN, "--json", *p])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["roots"][0]["children"][1]["name"] == "invoke_agent supervisor"
    r = runner.invoke(app, ["trace", "show", RUN, *p])
    assert r.exit_code == 0 and "execute_tool list_assets" in r.stdout
    out = tmp_path / "export.jsonl"
    r = runner.invoke(app, ["trace", "export", RUN, "--out", str(out), "--redact", *p])
    assert r.exit_code == 0, r.output
    exported = read_trace_file(out)
    assert len(exported) == 6 and all(
        r.attributes.get(tm.TOOL_RESULT, "[redacted]") == "[redacted]" for r in exported
    )
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")  # a file needs no Redis
    r = runner.invoke(app, ["trace", "show", str(out)])
    assert r.exit_code == 0 and "execute_tool get_asset" in r.stdout and "[redacted]" in r.stdout


def test_cli_unknown_run_is_one_error_line(
    redis_url: str, key_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    r = runner.invoke(_cli(), ["trace", "show", "nope", "--prefix", key_prefix])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1
    assert r.output.startswith("error: no trace of run 'nope'") and "plantbrain trace list" in r.output


def test_every_trace_command_and_option_has_help() -> None:
    group: Any = typer.main.get_command(_cli())  # typer's own (vendored) click group
    trace = group.commands["trace"]
    assert set(trace.commands) == {"list", "show", "export"}
    for name, command in trace.commands.items():
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name}"
        r = runner.invoke(_cli(), ["trace", name, "--help"])
        assert r.exit_code == 0 and "Usage" in r.output
