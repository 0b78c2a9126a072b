"""The incident runs in a checkpoint store, as the ops graph's `IncidentLibrary` (for "replay the
last incident"): every thread whose state is an incident run, newest first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from pydantic import JsonValue

from graphs import RunNotFoundError, read_outcome, read_state
from tools import PlantClient


class CheckpointIncidents:
    """Incident runs recorded by `plantbrain incident run` in the same checkpoint store."""

    def __init__(self, saver: BaseCheckpointSaver[Any], client: PlantClient) -> None:
        self._saver, self._client = saver, client

    async def _latest_id(self) -> str | None:
        best: tuple[str, str] | None = None
        async for tup in self._saver.alist(None):
            values = tup.checkpoint.get("channel_values", {})
            if "passes" not in values or "run_id" not in values:
                continue
            thread = str(tup.config["configurable"]["thread_id"])
            ts = str(tup.checkpoint.get("ts", ""))
            if best is None or (ts, thread) > best:
                best = (ts, thread)
        return best[1] if best else None

    async def latest(self) -> Mapping[str, JsonValue] | None:
        run_id = await self._latest_id()
        return None if run_id is None else await self.get(run_id)

    async def get(self, run_id: str) -> Mapping[str, JsonValue] | None:
        try:
            state = await read_state(self._client, self._saver, run_id)
            outcome = await read_outcome(self._client, self._saver, run_id, specialists={})
        except RunNotFoundError:
            return None
        if "passes" not in state:
            return None
        decisions: list[JsonValue] = list(state.get("decisions", []))
        actions: list[JsonValue] = list(state.get("actions", []))
        return {
            "run_id": run_id,
            "status": outcome.get("status"),
            "trigger": outcome.get("trigger"),
            "decisions": decisions,
            "actions": actions,
        }
