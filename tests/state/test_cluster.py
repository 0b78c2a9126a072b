"""RedisSaver on a real 3-master Redis Cluster: every thread in one slot, no CROSSSLOT anywhere.

The cluster is started once for this module (`cluster.local_cluster`) and torn down after it.
LangGraph's conformance suite runs against it with native sync+async cluster clients and with a
sync `RedisCluster` alone; then a real `StateGraph` runs on threads picked to land on every
node, and the thread-spanning operations (`list(None)`, `copy_thread`, `delete_for_runs`,
`prune`, `delete_thread`) run across those nodes. Where each thread's keys live is checked on
the nodes themselves, not through the client's slot map. Last, a cluster of its own is shut
down under a saver, which must then raise `RedisUnavailableError`.
"""

from __future__ import annotations

import asyncio
import operator
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
import redis
import redis.asyncio.cluster
import redis.cluster
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from plantbrain.state import RedisSaver, RedisUnavailableError
from tests.state.cluster import ClusterStartError, local_cluster
from tests.state.test_conformance import assert_all_passed, run_conformance

CLIENTS = ["from_url", "sync_cluster"]


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        with local_cluster(tmp_path_factory.mktemp("cluster")) as url:
            yield url
    except ClusterStartError as exc:
        pytest.fail(f"could not start a local Redis Cluster: {exc}")


def make_saver(url: str, prefix: str, clients: str) -> RedisSaver:
    if clients == "from_url":
        return RedisSaver.from_url(url, cluster=True, prefix=prefix)
    return RedisSaver(redis.cluster.RedisCluster.from_url(url), prefix=prefix)


# -- where keys live ------------------------------------------------------------------------


def masters(url: str) -> list[str]:
    """Every master, as "host:port" (CLUSTER SLOTS)."""
    with redis.Redis.from_url(url) as seed:
        slots: list[list[Any]] = seed.execute_command("CLUSTER", "SLOTS")
    return sorted({f"{r[2][0].decode()}:{r[2][1]}" for r in slots})


def owner(url: str, key: str) -> str:
    """The master serving `key`'s slot, as the server computes it (CLUSTER KEYSLOT, CLUSTER SLOTS)."""
    with redis.Redis.from_url(url) as seed:
        slot = int(seed.execute_command("CLUSTER", "KEYSLOT", key))
        for start, end, primary, *_ in seed.execute_command("CLUSTER", "SLOTS"):
            if start <= slot <= end:
                return f"{primary[0].decode()}:{primary[1]}"
    raise AssertionError(f"slot {slot} of {key!r} is not served")


def holders(url: str, prefix: str) -> dict[str, set[str]]:
    """Thread id -> the nodes that hold at least one of its keys (SCAN on every master)."""
    head = f"{prefix}:{{t:"
    found: dict[str, set[str]] = {}
    for name in masters(url):
        host, port = name.rsplit(":", 1)
        with redis.Redis(host=host, port=int(port)) as node:
            for raw in node.scan_iter(count=1000):
                key = raw.decode()
                if key.startswith(head):
                    found.setdefault(key[len(head) : key.index("}", len(head))], set()).add(name)
    return found


def spread_threads(url: str, saver: RedisSaver, per_node: int) -> dict[str, list[str]]:
    """Node -> `per_node` thread ids whose keys that node serves, for every node."""
    picked: dict[str, list[str]] = {name: [] for name in masters(url)}
    i = 0
    while any(len(ids) < per_node for ids in picked.values()):
        thread_id = f"plant-{i}"
        node = owner(url, saver.keys.keyset(thread_id))
        if len(picked[node]) < per_node:
            picked[node].append(thread_id)
        i += 1
    return picked


# -- the graph ------------------------------------------------------------------------------


class Shift(TypedDict):
    log: Annotated[list[str], operator.add]
    """Appended to by every step (reducer channel)."""
    count: int


@dataclass(frozen=True, slots=True)
class Step:
    name: str

    def __call__(self, state: Shift) -> dict[str, Any]:
        return {"log": [self.name], "count": state["count"] + 1}


def build_graph(saver: RedisSaver) -> CompiledStateGraph[Shift, None, Shift, Shift]:
    builder = StateGraph(Shift)
    for name in ("inspect", "adjust", "report"):
        builder.add_node(name, Step(name))
    builder.add_edge(START, "inspect")
    builder.add_edge("inspect", "adjust")
    builder.add_edge("adjust", "report")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=saver)


FINAL = {"log": ["start", "inspect", "adjust", "report"], "count": 3}
HISTORY = 5
"""Checkpoints per run: the input, then one per step (START, three nodes)."""


def cfg(thread_id: str, run_id: str | None = None) -> RunnableConfig:
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    if run_id:
        config["metadata"] = {"run_id": run_id}
    return config


def count(saver: RedisSaver, thread_id: str) -> int:
    return sum(1 for _ in saver.list(cfg(thread_id)))


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("clients", CLIENTS)
def test_conformance_on_cluster(cluster_url: str, key_prefix: str, clients: str) -> None:
    report = run_conformance(
        lambda: make_saver(cluster_url, key_prefix, clients), f"RedisSaver[cluster,{clients}]"
    )
    assert_all_passed(report)
    total = sum(r.tests_passed for r in report.results.values())
    assert total >= 80, f"only {total} conformance tests ran"


@pytest.mark.parametrize("clients", CLIENTS)
def test_graph_and_thread_operations_across_nodes(cluster_url: str, key_prefix: str, clients: str) -> None:
    saver = make_saver(cluster_url, key_prefix, clients)
    graph = build_graph(saver)
    picked = spread_threads(cluster_url, saver, per_node=2)
    sync_ids = [ids[0] for ids in picked.values()]
    async_ids = [ids[1] for ids in picked.values()]
    runs = {t: f"run-{t}-{uuid.uuid4().hex[:6]}" for t in sync_ids + async_ids}

    for t in sync_ids:
        assert graph.invoke({"log": ["start"], "count": 0}, cfg(t, runs[t])) == FINAL

    async def run_async() -> None:
        # A saver of its own: its async clients belong to this event loop.
        async with make_saver(cluster_url, key_prefix, clients) as asaver:
            agraph = build_graph(asaver)
            results = await asyncio.gather(
                *(agraph.ainvoke({"log": ["start"], "count": 0}, cfg(t, runs[t])) for t in async_ids)
            )
            assert results == [FINAL] * len(async_ids)
            for t in async_ids:
                history = [s async for s in agraph.aget_state_history(cfg(t))]
                assert len(history) == HISTORY
                assert history[0].values == FINAL

    asyncio.run(run_async())

    threads = sync_ids + async_ids
    for t in threads:
        history = list(graph.get_state_history(cfg(t)))
        assert len(history) == HISTORY, t
        assert history[0].values == FINAL
        assert history[-1].metadata is not None and history[-1].metadata["source"] == "input"
        assert all(s.metadata is not None and s.metadata.get("run_id") == runs[t] for s in history)

    # Each thread is whole on one node, and the threads cover every node.
    where = holders(cluster_url, key_prefix)
    assert set(where) == set(threads)
    assert all(len(nodes) == 1 for nodes in where.values()), where
    for node, ids in picked.items():
        assert all(where[t] == {node} for t in ids)
    used = set[str]().union(*where.values())
    assert used == set(picked) and len(used) == 3, where

    # list(None): every checkpoint of every thread, from every node.
    everything = list(saver.list(None))
    assert len(everything) == HISTORY * len(threads)
    assert {c.config["configurable"]["thread_id"] for c in everything} == set(threads)
    assert len(list(saver.list(None, limit=7))) == 7
    assert len(list(saver.list(None, filter={"source": "input"}))) == len(threads)

    # copy_thread between nodes: the copy has the same history and state, on the target's node.
    source, target = sync_ids[0], sync_ids[1]
    assert owner(cluster_url, saver.keys.keyset(source)) != owner(cluster_url, saver.keys.keyset(target))
    saver.copy_thread(source, target)
    copied = list(graph.get_state_history(cfg(target)))
    assert len(copied) == HISTORY
    assert copied[0].values == FINAL
    assert [s.config["configurable"]["checkpoint_id"] for s in copied] == [
        s.config["configurable"]["checkpoint_id"] for s in graph.get_state_history(cfg(source))
    ]
    assert all(s.config["configurable"]["thread_id"] == target for s in copied)
    assert holders(cluster_url, key_prefix)[target] == {owner(cluster_url, saver.keys.keyset(target))}
    # The copy continues on its own: a second run there leaves the source alone.
    graph.invoke({"log": ["again"], "count": 10}, cfg(target))
    assert graph.get_state(cfg(target)).values["log"][-4:] == ["again", "inspect", "adjust", "report"]
    assert graph.get_state(cfg(source)).values == FINAL

    # delete_for_runs: two runs of threads on different nodes (run indexes in slots of their own).
    doomed = [async_ids[0], async_ids[1]]
    saver.delete_for_runs([runs[t] for t in doomed])
    assert [count(saver, t) for t in doomed] == [0, 0]
    assert [count(saver, t) for t in (async_ids[2], source, sync_ids[2])] == [HISTORY] * 3
    with redis.cluster.RedisCluster.from_url(cluster_url) as raw:
        assert raw.exists(*[saver.keys.run(runs[t]) for t in doomed]) == 0
        assert raw.exists(saver.keys.run(runs[async_ids[2]])) == 1

    # prune keep_latest on threads on different nodes: one checkpoint each, state kept.
    kept = [source, target, async_ids[2]]
    before = {t: graph.get_state(cfg(t)).values for t in kept}
    saver.prune(kept)
    assert [count(saver, t) for t in kept] == [1, 1, 1]
    assert {t: graph.get_state(cfg(t)).values for t in kept} == before

    # prune delete and delete_thread: nothing of those threads is left on any node.
    saver.prune([target], strategy="delete")
    saver.delete_thread(source)
    assert count(saver, target) == 0 and count(saver, source) == 0
    left = holders(cluster_url, key_prefix)
    assert source not in left and target not in left
    assert async_ids[2] in left
    assert {c.config["configurable"]["thread_id"] for c in saver.list(None)} == {async_ids[2], sync_ids[2]}
    assert count(saver, sync_ids[2]) == HISTORY
    saver.close()


def test_cluster_down_is_redis_unavailable(tmp_path: Path, key_prefix: str) -> None:
    """With no node left, redis-py raises RedisClusterException; the saver says RedisUnavailableError."""
    with local_cluster(tmp_path) as url:
        saver = RedisSaver.from_url(url, cluster=True, prefix=key_prefix)
        assert saver.get_tuple(cfg("t")) is None
    seed = url.removeprefix("redis://")
    with pytest.raises(RedisUnavailableError, match=rf"redis cluster .*{seed}.* is unreachable"):
        saver.get_tuple(cfg("t"))
    saver.close()

    async def first_use_after_shutdown() -> None:
        # An async cluster client connects lazily: the error names the seed node it was given.
        client = redis.asyncio.cluster.RedisCluster.from_url(url)
        try:
            with pytest.raises(RedisUnavailableError, match=rf"redis cluster {seed} is unreachable"):
                await RedisSaver(client, prefix=key_prefix).aget_tuple(cfg("t"))
        finally:
            await client.aclose()

    asyncio.run(first_use_after_shutdown())
