"""RedisSaver beyond the conformance suite: real graphs, sync API, TTL, cluster-safe keys, errors."""

from __future__ import annotations

import asyncio
import operator
import subprocess
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
import redis
import redis.asyncio
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from redis.crc import key_slot

from plantbrain._bench_checkpoint import _CountingRedis
from plantbrain.state import PrivateRedis, RedisSaver, RedisUnavailableError, find_redis_server
from plantbrain.state._exec import exec_sync
from plantbrain.state._server import answers


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


def test_prune_racing_a_new_checkpoint_keeps_its_values(redis_url: str, key_prefix: str) -> None:
    """A step that lands while prune runs keeps every channel value it refers to."""
    saver = RedisSaver(redis.Redis.from_url(redis_url), prefix=key_prefix)
    app = three_nodes().compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "busy"}}
    app.invoke({"log": []}, cfg)
    client = redis.Redis.from_url(redis_url)
    plan = saver._keep_latest_plan("busy", "")
    reply = exec_sync(client, next(plan))  # prune has read what exists...
    app.invoke({"log": ["late"]}, cfg)  # ...then the graph runs on...
    step = plan.send(reply)
    while True:  # ...and prune finishes
        try:
            step = plan.send(exec_sync(client, step))  # type: ignore[arg-type]
        except StopIteration:
            break
    state = app.get_state(cfg).values
    assert state["plan"] == {"CNC-3": ["J-1"], "CNC-4": ["J-2"]}
    assert state["log"][-4:] == ["late", "gather", "schedule", "publish"]


def test_ttl_refresh_of_old_checkpoints_is_amortised(redis_url: str, key_prefix: str) -> None:
    saver = RedisSaver(redis.Redis.from_url(redis_url), prefix=key_prefix, ttl_s=100)
    app = three_nodes().compile(checkpointer=saver)
    cfg = {"configurable": {"thread_id": "long"}}
    app.invoke({"log": []}, cfg)
    client = redis.Redis.from_url(redis_url)
    oldest = min(t.checkpoint["id"] for t in saver.list(cfg))
    old_key = saver.keys.checkpoint("long", "", oldest)
    client.pexpire(old_key, 50_000)  # as if written 50 s ago
    app.invoke({"log": []}, cfg)  # the refresh marker is fresh: old keys are left as they are
    assert client.pttl(old_key) <= 50_000
    assert client.pttl(saver.keys.keyset("long")) > 99_000
    client.delete(saver.keys.keyset("long") + ":fresh")  # half the TTL has gone by
    app.invoke({"log": []}, cfg)
    assert client.pttl(old_key) > 99_000


def test_list_all_forgets_expired_threads(redis_url: str, key_prefix: str) -> None:
    saver = RedisSaver(redis.Redis.from_url(redis_url), prefix=key_prefix, ttl_s=0.2)
    three_nodes().compile(checkpointer=saver).invoke({"log": []}, {"configurable": {"thread_id": "gone"}})
    time.sleep(0.4)
    assert list(saver.list(None)) == []
    assert redis.Redis.from_url(redis_url).smembers(saver.keys.threads) == set()


def test_async_saver_recovers_after_redis_restarts(tmp_path: Path) -> None:
    executable = find_redis_server()
    assert executable is not None
    data = tmp_path / "redis"
    server = PrivateRedis(data_dir=data, executable=executable, persist=True)
    url = server.start()
    port = url.rsplit(":", 1)[1].split("/")[0]
    cfg = {"configurable": {"thread_id": "night-shift"}}
    restarted: list[subprocess.Popen[bytes]] = []

    def restart() -> None:
        server.stop()
        args = [executable, "--port", port, "--bind", "127.0.0.1", "--dir", str(data), "--appendonly", "yes"]
        restarted.append(subprocess.Popen(args, stdout=subprocess.DEVNULL))

    async def scenario() -> dict[str, Any]:
        async with RedisSaver.from_url(url, prefix="restart") as saver:
            app = three_nodes().compile(checkpointer=saver)
            await app.ainvoke({"log": []}, cfg)  # the async pool now holds live connections
            await asyncio.to_thread(restart)
            for _ in range(200):
                if answers(url):
                    break
                await asyncio.sleep(0.05)
            # The first call after the restart meets the stale pooled connections and still works.
            return await app.ainvoke({"log": ["again"]}, cfg)  # type: ignore[no-any-return]

    try:
        out = asyncio.run(scenario())
        assert out["log"] == ["gather", "schedule", "publish", "again", "gather", "schedule", "publish"]
    finally:
        for proc in restarted:
            proc.terminate()
            proc.wait(timeout=10)
