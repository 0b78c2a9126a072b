"""`plantbrain bench checkpoint`: RedisSaver against LangGraph's InMemorySaver, same graph, same process.

A 6-node sequential graph (the shape of an incident chain: triage, diagnose, plan, approve,
act, report) runs many times with each saver, alternating which goes first. Each node notes
when it starts; a *step* is the time from one node's start to the next one's, which covers
LangGraph's own work plus the checkpoint write between them. Reported: per-step p50/p99 and
per-run p50/p99 for both savers and their ratios, and the Redis round trips one `put` costs.
A third saver, InMemorySaver plus one bare PING per write, shows the floor any networked
saver with one round trip per write pays on the machine the benchmark runs on.
"""

from __future__ import annotations

import operator
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypedDict, cast

import redis
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph

from plantbrain.state import RedisSaver

GOAL_P50_RATIO = 1.15
"""Goal: Redis per-step p50 at most 1.15x InMemorySaver's."""

NODES = ("triage", "diagnose", "plan", "approve", "act", "report")

Durability = Literal["sync", "async", "exit"]


class BenchState(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    readings: dict[str, float]
    step: int


def _graph(stamps: list[float]) -> StateGraph[BenchState]:
    graph: StateGraph[BenchState] = StateGraph(BenchState)

    def make(name: str, index: int) -> Any:
        def node(state: BenchState) -> BenchState:
            stamps.append(time.perf_counter())
            readings = dict(state.get("readings", {}))
            readings[f"{name}.value"] = float(index)
            return {"log": [name], "readings": readings, "step": index}

        return node

    for i, name in enumerate(NODES):
        graph.add_node(name, make(name, i))
    graph.add_edge(START, NODES[0])
    for a, b in zip(NODES, NODES[1:], strict=False):
        graph.add_edge(a, b)
    graph.add_edge(NODES[-1], END)
    return graph


class _CountingRedis(redis.Redis):
    """A client that counts round trips (pipelines and lone commands)."""

    round_trips = 0

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        pipe = super().pipeline(transaction, shard_hint)
        execute = pipe.execute

        def counted(raise_on_error: bool = True) -> Any:
            self.round_trips += 1
            return execute(raise_on_error)

        pipe.execute = counted  # type: ignore[method-assign]
        return pipe

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.round_trips += 1
        return super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


class _PingSaver(InMemorySaver):
    """InMemorySaver plus one Redis PING per write: what any saver that makes one round trip
    per write would pay on this machine at the very least (the floor for the ratio)."""

    def __init__(self, client: redis.Redis) -> None:
        super().__init__()
        self._ping = client

    def put(self, *args: Any, **kwargs: Any) -> RunnableConfig:
        self._ping.ping()
        return super().put(*args, **kwargs)

    def put_writes(self, *args: Any, **kwargs: Any) -> None:
        self._ping.ping()
        super().put_writes(*args, **kwargs)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(steps: list[float], runs: list[float]) -> dict[str, float]:
    return {
        "step_p50_ms": round(_pct(steps, 0.50) * 1000, 4),
        "step_p99_ms": round(_pct(steps, 0.99) * 1000, 4),
        "step_mean_ms": round(statistics.fmean(steps) * 1000, 4),
        "run_p50_ms": round(_pct(runs, 0.50) * 1000, 4),
        "run_p99_ms": round(_pct(runs, 0.99) * 1000, 4),
    }


def bench_checkpoint(
    *, url: str, runs: int, warmup: int, durability: Durability, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    prefix = f"plantbrain:bench:{uuid.uuid4().hex[:12]}"
    client = cast(_CountingRedis, _CountingRedis.from_url(url))
    redis_saver = RedisSaver(client, prefix=prefix)
    savers: dict[str, BaseCheckpointSaver[Any]] = {
        "redis": redis_saver,
        "in_memory": InMemorySaver(),
        "round_trip_floor": _PingSaver(redis.Redis.from_url(url)),
    }
    stamps: list[float] = []
    apps = {name: _graph(stamps).compile(checkpointer=saver) for name, saver in savers.items()}
    steps: dict[str, list[float]] = {name: [] for name in savers}
    walls: dict[str, list[float]] = {name: [] for name in savers}
    redis_threads: list[str] = []
    try:
        for i in range(warmup + runs):
            order = list(apps)[i % 3 :] + list(apps)[: i % 3]
            for name in order:
                thread = f"bench-{i}-{name}"
                if name == "redis":
                    redis_threads.append(thread)
                stamps.clear()
                t0 = time.perf_counter()
                out = apps[name].invoke(
                    {"log": []}, {"configurable": {"thread_id": thread}}, durability=durability
                )
                wall = time.perf_counter() - t0
                if out["log"] != list(NODES):
                    raise RuntimeError(f"the benchmark graph ran {out['log']} with the {name} saver")
                if i >= warmup:
                    walls[name].append(wall)
                    steps[name] += [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
            if progress is not None:
                progress(i + 1)
        history = list(redis_saver.list({"configurable": {"thread_id": redis_threads[-1]}}))
        before = client.round_trips
        probe: RunnableConfig = {"configurable": {"thread_id": f"{prefix}-probe", "checkpoint_ns": ""}}
        last = history[0]
        redis_saver.put(probe, last.checkpoint, last.metadata, dict(last.checkpoint["channel_versions"]))
        trips_per_put = client.round_trips - before
    finally:
        for thread in [*redis_threads, f"{prefix}-probe"]:
            redis_saver.delete_thread(thread)
        client.delete(redis_saver.keys.threads)
        client.close()
    r, m = _summary(steps["redis"], walls["redis"]), _summary(steps["in_memory"], walls["in_memory"])
    floor = _summary(steps["round_trip_floor"], walls["round_trip_floor"])
    ratio = r["step_p50_ms"] / m["step_p50_ms"]
    return {
        "benchmark": "checkpoint",
        "graph": f"{len(NODES)}-node sequential",
        "durability": durability,
        "runs": runs,
        "warmup_runs": warmup,
        "steps_measured": len(steps["redis"]),
        "checkpoints_per_run": len(history),
        "redis_round_trips_per_put": trips_per_put,
        "redis": r,
        "in_memory": m,
        "ratio_step_p50": round(ratio, 3),
        "ratio_step_p99": round(r["step_p99_ms"] / m["step_p99_ms"], 3),
        "ratio_run_p50": round(r["run_p50_ms"] / m["run_p50_ms"], 3),
        "round_trip_floor": {**floor, "ratio_step_p50": round(floor["step_p50_ms"] / m["step_p50_ms"], 3)},
        "goal_ratio_step_p50": GOAL_P50_RATIO,
        "meets_goal": ratio <= GOAL_P50_RATIO,
    }
