"""`plantbrain bench replay`: how much faster a recorded replay is than the run it replays.

The run is one operator conversation on the sandbox (a thread of `ask.turn` segments), long enough
to make at least `steps` tool calls: diagnosing every machine of each line, reading trends and
the schedule, the handover report. It runs twice as the original, against the sandbox served
over HTTP on a local port (as `plantbrain plant serve` serves it: the plant is a separate
service) and in process, then is replayed from its record with no plant at all. Figures are
medians of `repeat` runs, wall-clock seconds.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from langgraph.checkpoint.memory import InMemorySaver
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents import RulesBrain
from plantbrain._replay import replay
from plantbrain._segments import run_segment
from plantbrain.traces import SpanRecord, from_span, ordered
from tools import PlantClient, PlantClientConfig
from tools import _telemetry as tm

TASKS: tuple[str, ...] = (
    "Diagnose every machine on line 1",
    "Diagnose every machine on line 2",
    "Diagnose every machine on line 3",
    "Show me the spindle temperature trend of every machine on line 1 over the last 2 hours",
    "过去两小时二线所有设备的主轴振动趋势",
    "What's scheduled on line 2?",
    "Write the shift handover report",
)
GOAL = 20.0


@contextmanager
def served_sandbox(seed: int, scenario: str | None) -> Iterator[str]:
    """The sandbox behind uvicorn on a free local port, in a thread; yields its base URL."""
    import uvicorn

    from sandbox_plant import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(seed=seed, scenario=scenario), host="127.0.0.1", port=port, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark's plant did not start within 10 s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


async def _conversation(client: PlantClient, steps: int, at_h: float) -> int:
    saver, brain = InMemorySaver(), RulesBrain()
    origin = {"seed": 0, "scenario": None, "clock_t": at_h * 3600}
    calls = 0
    turn = 0
    while calls < steps:
        task = TASKS[turn % len(TASKS)]
        out = await run_segment(
            client, saver, run_id="bench", kind="ask", segment="ask.turn", brain=brain,
            inputs={"thread": "bench", "task": task, "brain": "rules", "origin": origin, "rebuild": turn == 0},
        )  # fmt: skip
        chain = out.get("chain")
        for c in chain if isinstance(chain, list) else []:
            tools = c.get("tools") if isinstance(c, dict) else None
            calls += len(tools) if isinstance(tools, list) else 0
        turn += 1
    return turn


async def _original(
    transport: httpx.AsyncBaseTransport | None, base_url: str, steps: int, at_h: float
) -> tuple[float, list[SpanRecord]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(tm.RunIdProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with PlantClient(
        PlantClientConfig(base_url=base_url), transport=transport, tracer_provider=provider
    ) as client:
        began = time.perf_counter()
        await _conversation(client, steps, at_h)
        elapsed = time.perf_counter() - began
    return elapsed, ordered([from_span(s) for s in exporter.get_finished_spans()])


def bench_replay(*, steps: int = 1000, repeat: int = 3, seed: int = 0, at_h: float = 6.0) -> dict[str, Any]:
    """Median seconds of the original run (over HTTP, in process) and of its recorded replay."""
    from sandbox_plant import create_app

    tcp: list[float] = []
    inproc: list[float] = []
    replays: list[float] = []
    records: list[SpanRecord] = []
    identical = True
    for _ in range(repeat):
        with served_sandbox(seed, None) as url:
            t, records = asyncio.run(_original(None, url, steps, at_h))
        tcp.append(t)
        app = create_app(seed=seed)
        t, _ = asyncio.run(_original(httpx.ASGITransport(app=app), "http://plant", steps, at_h))
        inproc.append(t)
        began = time.perf_counter()
        report = asyncio.run(replay(records, brain=RulesBrain()))
        replays.append(time.perf_counter() - began)
        identical = identical and report.identical
    tool_calls = sum(1 for r in records if r.attributes.get(tm.OPERATION) == tm.EXECUTE_TOOL)
    rep, over_http, in_process = statistics.median(replays), statistics.median(tcp), statistics.median(inproc)
    return {
        "benchmark": "replay",
        "steps": tool_calls,
        "turns": sum(1 for r in records if r.parent_id is None),
        "repeat": repeat,
        "original_over_http_s": round(over_http, 3),
        "original_in_process_s": round(in_process, 3),
        "replay_s": round(rep, 3),
        "speedup_vs_http": round(over_http / rep, 2),
        "speedup_vs_in_process": round(in_process / rep, 2),
        "goal_speedup": GOAL,
        "goal_met": over_http / rep >= GOAL,
        "identical": identical,
    }
