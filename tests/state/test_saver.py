"""RedisSaver beyond the conformance suite: real graphs, sync API, TTL, cluster-safe keys, errors."""

from __future__ import annotations

import asyncio
import operator
import time
from typing import Annotated, Any, TypedDict

import pytest
import redis
import redis.asyncio
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from redis.crc import key_slot

from plantbrain._bench_checkpoint import _CountingRedis
from plantbrain.state import RedisSaver, RedisUnavailableError


class Shift(TypedDict, total=False):
    log: Annotated[list[str], operator.add]
    plan: dict[str, Any]


def three_nodes() -> StateGraph[Shift]:
    graph: StateGraph[Shift] = StateGraph(Shift)
    graph.add_node("gather", lambda s: {"log": ["gather"], "plan": {"CNC-3": ["J-1"]}})
    graph.add_node("schedule", lambda s: {"log": ["schedule"], "plan": {**s["plan"], "CNC-4": ["J-2"]}})
    graph.add_node("publish", lambda s: {"log": ["publish"]})
    graph.add_edge(START, "gather")
    graph.add_edge("gather", "schedule")
    graph.add_edge("schedule", "publish")
    graph.add_edge("publish", END)
    return graph


def strip(snapshot_values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in snapshot_values.items() if not k.startswith("__")}


def test_same_history_as_in_memory_saver(redis_url: str, key_prefix: str) -> None:
    """Sync and async runs leave the same state history as LangGraph's own InMemorySaver."""
    with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
        ours, theirs = (
            three_nodes().compile(checkpointer=saver),
            three_nodes().compile(checkpointer=InMemorySaver()),
        )
        for thread in ("sync-1", "中文线程 {二线}"):
            cfg = {"configurable": {"thread_id": thread}}
            assert ours.invoke({"log": []}, cfg) == theirs.invoke({"log": []}, cfg)
            mine = [(s.next, strip(s.values), s.metadata["step"]) for s in ours.get_state_history(cfg)]
            ref = [(s.next, strip(s.values), s.metadata["step"]) for s in theirs.get_state_history(cfg)]
            assert mine == ref and len(mine) == 5

        async def run_async() -> list[Any]:
            cfg = {"configurable": {"thread_id": "async-1"}}
            await ours.ainvoke({"log": []}, cfg)
            return [strip(s.values) async for s in ours.aget_state_history(cfg)]

        history = asyncio.run(run_async())
        assert history[0]["log"] == ["gather", "schedule", "publish"]
        assert len(history) == 5


def test_thread_ids_with_braces_stay_in_one_slot(redis_url: str, key_prefix: str) -> None:
    saver = RedisSaver(redis.Redis.from_url(redis_url), prefix=key_prefix)
    app = three_nodes().compile(checkpointer=saver)
    for thread in ("{", "}abc{", "a:b}{c", ""):
        app.invoke({"log": []}, {"configurable": {"thread_id": thread}})
    client = redis.Redis.from_url(redis_url)
    for thread in ("{", "}abc{", "a:b}{c", ""):
        names = client.smembers(saver.keys.keyset(thread))
        assert len(names) >= 4
        # Redis Cluster's own slot function: every key of the thread lands in one slot.
        assert len({key_slot(n) for n in names}) == 1, (thread, names)
    assert sorted(c.config["configurable"]["thread_id"] for c in saver.list(None)) == sorted(
        ["{", "}abc{", "a:b}{c", ""] * 5
    )


def test_one_round_trip_per_checkpoint_write(redis_url: str, key_prefix: str) -> None:
    client = _CountingRedis.from_url(redis_url)
    saver = RedisSaver(client, prefix=key_prefix)
    app = three_nodes().compile(checkpointer=saver)
    app.invoke({"log": []}, {"configurable": {"thread_id": "t"}})
    latest = saver.get_tuple({"configurable": {"thread_id": "t"}})
    assert latest is not None
    before = client.round_trips
    stored = saver.put(
        {"configurable": {"thread_id": "u", "checkpoint_ns": ""}},
        latest.checkpoint,
        latest.metadata,
        dict(latest.checkpoint["channel_versions"]),
    )
    assert client.round_trips - before == 1
    saver.put_writes(stored, [("log", ["x"]), ("plan", {})], "task-1")
    assert client.round_trips - before == 2


def test_ttl_expires_a_whole_thread_after_its_last_write(redis_url: str, key_prefix: str) -> None:
    saver = RedisSaver(redis.Redis.from_url(redis_url), prefix=key_prefix, ttl_s=0.6)
    app = three_nodes().compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "short-lived"}}
    app.invoke({"log": []}, cfg)
    client = redis.Redis.from_url(redis_url)
    names = client.smembers(saver.keys.keyset("short-lived"))
    assert names and all(0 < client.pttl(n) <= 600 for n in names)
    time.sleep(0.35)
    app.invoke({"log": []}, cfg)  # a new write re-arms every key of the thread
    time.sleep(0.35)
    assert saver.get_tuple(cfg) is not None
    time.sleep(0.5)
    assert saver.get_tuple(cfg) is None
    assert not list(saver.list(cfg))


def test_copy_replaces_the_target_and_prune_keeps_latest(redis_url: str, key_prefix: str) -> None:
    saver = RedisSaver(redis.Redis.from_url(redis_url), prefix=key_prefix)
    app = three_nodes().compile(checkpointer=saver)
    app.invoke({"log": []}, {"configurable": {"thread_id": "src"}})
    app.invoke({"log": []}, {"configurable": {"thread_id": "dst"}})
    app.invoke({"log": []}, {"configurable": {"thread_id": "dst"}})
    saver.copy_thread("src", "dst")
    src = [t.checkpoint["id"] for t in saver.list({"configurable": {"thread_id": "src"}})]
    dst = [t.checkpoint["id"] for t in saver.list({"configurable": {"thread_id": "dst"}})]
    assert dst == src and len(src) == 5
    cfg = {"configurable": {"thread_id": "dst"}}
    assert app.get_state(cfg).values["log"] == ["gather", "schedule", "publish"]

    blobs_before = redis.Redis.from_url(redis_url).hlen(saver.keys.blobs("dst", ""))
    saver.prune(["dst"])
    kept = list(saver.list(cfg))
    assert [t.checkpoint["id"] for t in kept] == src[:1]
    assert app.get_state(cfg).values == {
        "log": ["gather", "schedule", "publish"],
        "plan": {"CNC-3": ["J-1"], "CNC-4": ["J-2"]},
    }
    assert redis.Redis.from_url(redis_url).hlen(saver.keys.blobs("dst", "")) < blobs_before
    # The pruned thread still runs on from where it was.
    app.invoke({"log": ["again"]}, cfg)
    assert app.get_state(cfg).values["log"][-4:] == ["again", "gather", "schedule", "publish"]
    with pytest.raises(ValueError, match="unknown prune strategy"):
        saver.prune(["dst"], strategy="oldest")


def test_clear_errors(redis_url: str, key_prefix: str) -> None:
    with pytest.raises(ValueError, match="decode_responses=False"):
        RedisSaver(redis.Redis.from_url(redis_url, decode_responses=True))
    with pytest.raises(ValueError, match="prefix"):
        RedisSaver(redis.Redis.from_url(redis_url), prefix="bad{prefix}")
    with pytest.raises(TypeError, match="redis-py client"):
        RedisSaver("redis://localhost")  # type: ignore[arg-type]
    async_only = RedisSaver(redis.asyncio.Redis.from_url(redis_url), prefix=key_prefix)
    with pytest.raises(RuntimeError, match="ainvoke"):
        async_only.get_tuple({"configurable": {"thread_id": "x"}})
    with pytest.raises(ValueError, match="thread_id"):
        RedisSaver(redis.Redis.from_url(redis_url)).get_tuple({"configurable": {}})
    # Nobody listens on this port: the error names the address instead of a bare socket error.
    dead = RedisSaver(redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=None))
    with pytest.raises(RedisUnavailableError, match=r"redis://127\.0\.0\.1:1/0 is unreachable"):
        dead.get_tuple({"configurable": {"thread_id": "x"}})
