"""Test support for traces: an in-memory tracer provider and a run recorded on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from langgraph.checkpoint.memory import InMemorySaver
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from plantbrain._segments import run_segment
from plantbrain.traces._record import SpanRecord, from_span, ordered
from sandbox_plant import create_app
from tools import PlantClient, PlantClientConfig
from tools import _telemetry as tm


def memory_provider() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(tm.RunIdProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def records(exporter: InMemorySpanExporter) -> list[SpanRecord]:
    return ordered([from_span(s) for s in exporter.get_finished_spans()])


@asynccontextmanager
async def traced_sandbox(
    seed: int = 0, scenario: str | None = None, hours: float = 0.0
) -> AsyncIterator[tuple[PlantClient, InMemorySpanExporter]]:
    provider, exporter = memory_provider()
    transport = httpx.ASGITransport(app=create_app(seed=seed, scenario=scenario))
    async with PlantClient(
        PlantClientConfig(base_url="http://plant"), transport=transport, tracer_provider=provider
    ) as c:
        if hours:
            async with httpx.AsyncClient(transport=transport, base_url="http://plant") as raw:
                await raw.post("/clock/advance", json={"seconds": hours * 3600})
        yield c, exporter


async def record_incident(scenario: str, seed: int) -> tuple[dict[str, Any], list[SpanRecord]]:
    """An incident run (watch, graph, follow-up) on the sandbox, and its trace."""
    async with traced_sandbox(seed, scenario) as (client, exporter):
        run_id = f"inc-{scenario}-{seed}"
        out = await run_segment(
            client, InMemorySaver(), run_id=run_id, kind="incident", segment="incident.drive",
            inputs={"run_id": run_id, "seed": seed, "scenario": scenario},
        )  # fmt: skip
        return out, records(exporter)
