"""Test support for the specialists: an `act` that runs the real tools and records the calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from agents._decision import Risk
from tools import PlantClient, find_tool


@dataclass
class RecordingAct:
    """The graph's `act`, minus approval: runs the real tool, one idempotency key per call."""

    client: PlantClient
    prefix: str = "run-t"
    calls: list[tuple[str, Risk]] = field(default_factory=list)

    async def __call__(self, tool: str, args: Mapping[str, object]) -> object:
        spec = find_tool(tool)
        self.calls.append((tool, spec.risk))
        key = f"{self.prefix}:scheduling:{tool}:{len(self.calls)}"
        return await spec.invoke(self.client, dict(args), idempotency_key=key)
