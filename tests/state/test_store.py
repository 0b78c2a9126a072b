"""RedisStore on a real Redis: items, search, namespaces, TTL, clients, round trips, and the same
random ops run against LangGraph's InMemoryStore, on one server and on a 3-master cluster."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import redis.asyncio
import redis.cluster
from langgraph.store.base import (
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    Result,
    SearchOp,
    TTLConfig,
)
from langgraph.store.memory import InMemoryStore

from plantbrain.state import RedisStore
from plantbrain.state._exec import Batch, Plan, exec_sync
from plantbrain.state._store_layout import StoreKeys
from tests.state.cluster import ClusterStartError, local_cluster


@pytest.fixture
def store(redis_url: str, key_prefix: str) -> Iterator[RedisStore]:
    with RedisStore.from_url(redis_url, prefix=key_prefix) as s:
        yield s


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url) as client:
        yield client


def triples(items: list[Any]) -> list[tuple[tuple[str, ...], str, dict[str, Any]]]:
    return [(it.namespace, it.key, it.value) for it in items]


# -- items and namespaces ----------------------------------------------------------------


def test_put_get_delete_round_trip_with_unicode(store: RedisStore, raw: redis.Redis) -> None:
    ns = ("事故", "二号线:泵{A}")
    value = {"描述": "离心泵 P-201 振动超限", "级别": 2, "标签": ["振动", "泵"], "嵌套": {"值": 1.5}}
    store.put(ns, "事件-001", value)
    got = store.get(ns, "事件-001")
    assert got is not None and (got.namespace, got.key, got.value) == (ns, "事件-001", value)
    assert got.created_at == got.updated_at and got.created_at.tzinfo is not None
    stored = raw.hget(store.keys.item("事故.二号线:泵{A}", "事件-001"), "v")
    assert stored is not None and "离心泵".encode() in stored  # UTF-8 JSON, not \\u escapes

    store.put(ns, "事件-001", {**value, "级别": 3})
    updated = store.get(ns, "事件-001")
    assert updated is not None and updated.value["级别"] == 3
    assert updated.created_at == got.created_at and updated.updated_at > got.updated_at

    store.delete(ns, "事件-001")
    assert store.get(ns, "事件-001") is None
    assert store.search(("事故",)) == [] and store.list_namespaces() == []


def test_namespaces_are_isolated_and_escaped(store: RedisStore) -> None:
    # key_part must keep these apart: a raw "%7B" would otherwise collide with an escaped "{".
    spaces = [("a",), ("a", "b"), ("ab",), ("x{1}",), ("x%7B1%7D",), ("x:1",), ("x%3A1",)]
    for i, ns in enumerate(spaces):
        store.put(ns, "k", {"i": i})
        store.put(ns, "k:{2}%", {"i": -i})
    for i, ns in enumerate(spaces):
        item = store.get(ns, "k")
        assert item is not None and item.value == {"i": i}
        other = store.get(ns, "k:{2}%")
        assert other is not None and other.value == {"i": -i}
    # Search names item keys from index entries in Lua: its escaping must agree with key_part.
    found = {(it.namespace, it.key) for it in store.search(("a",), limit=20)}
    assert found == {(ns, k) for ns in [("a",), ("a", "b")] for k in ("k", "k:{2}%")}
    assert {it.namespace for it in store.search(("a", "b"), limit=20)} == {("a", "b")}
    assert store.get(("a", "c"), "k") is None
    assert sorted(store.list_namespaces()) == sorted(spaces)


def test_rejects_what_it_cannot_store(store: RedisStore) -> None:
    with pytest.raises(TypeError, match="JSON"):
        store.put(("plans",), "bad", {"when": object()})
    assert store.get(("plans",), "bad") is None and store.list_namespaces() == []
    with pytest.raises(InvalidNamespaceError):
        store.batch([GetOp(("a.b",), "k")])  # a label with "." would alias ("a", "b")
    with pytest.raises(InvalidNamespaceError):
        store.batch([PutOp((), "k", {"x": 1})])
    with pytest.raises(ValueError, match="limit and offset"):
        store.search(("plans",), limit=-1)
    with pytest.raises(ValueError, match="ttl"):
        store.put(("plans",), "k", {"x": 1}, ttl=0)


# -- search ------------------------------------------------------------------------------


def test_search_filters_and_operators(store: RedisStore) -> None:
    rows = {
        "p1": {"kind": "pump", "temp": 71.5, "tags": ["hot", "line-2"], "loc": {"line": 2}},
        "p2": {"kind": "pump", "temp": 40, "tags": ["line-1"], "loc": {"line": 1}},
        "v1": {"kind": "valve", "temp": "55", "loc": {"line": 2}},
        "v2": {"kind": "valve", "note": "no temperature"},
    }
    for key, value in rows.items():
        store.put(("assets", "plant-1"), key, value)

    def keys(**kw: Any) -> set[str]:
        return {it.key for it in store.search(("assets",), limit=50, **kw)}

    assert keys(filter={"kind": "pump"}) == {"p1", "p2"}
    assert keys(filter={"kind": {"$eq": "valve"}}) == {"v1", "v2"}
    assert keys(filter={"kind": {"$ne": "valve"}}) == {"p1", "p2"}
    assert keys(filter={"temp": {"$gt": 50}}) == {"p1", "v1"}  # "55" compares as a number
    assert keys(filter={"temp": {"$gte": 40, "$lt": 60}}) == {"p2", "v1"}
    assert keys(filter={"temp": {"$lte": 40}}) == {"p2"}  # v2 has no temp: no match, no error
    assert keys(filter={"loc": {"line": 2}}) == {"p1", "v1"}
    assert keys(filter={"tags": ["hot", "line-2"]}) == {"p1"}
    assert keys(filter={"kind": "pump", "temp": {"$gt": 50}}) == {"p1"}
    assert keys(filter={"kind": "compressor"}) == set()
    with pytest.raises(ValueError, match="operator"):
        keys(filter={"temp": {"$regex": "5"}})


def test_search_is_newest_first_and_pages(store: RedisStore) -> None:
    for i in range(12):
        store.put(("shift", f"crew-{i % 3}"), f"plan-{i:02}", {"i": i})
    newest_first = [f"plan-{i:02}" for i in reversed(range(12))]
    assert [it.key for it in store.search(("shift",), limit=12)] == newest_first
    pages = [store.search(("shift",), limit=5, offset=o) for o in (0, 5, 10)]
    assert [it.key for page in pages for it in page] == newest_first
    assert [len(p) for p in pages] == [5, 5, 2] and all(it.score is None for it in pages[0])
    store.put(("shift", "crew-0"), "plan-00", {"i": 0, "revised": True})
    assert [it.key for it in store.search(("shift",), limit=2)] == ["plan-00", "plan-11"]
    # No embedding index: a query changes nothing, as in InMemoryStore without `index`.
    assert triples(store.search(("shift",), query="night crew", limit=12)) == triples(
        store.search(("shift",), limit=12)
    )
    assert store.search(("shift",), limit=0) == [] and store.search(("shift", "crew-9")) == []


def test_long_scans_page_through_ties_and_chunks(store: RedisStore) -> None:
    # One batch: 300 items with the same updated_at, read in pages of 100 at one score.
    store.batch([PutOp(("log",), f"e{i:03}", {"n": i % 3}) for i in range(300)])
    found = store.search(("log",), filter={"n": 0}, limit=100)
    assert [it.key for it in found] == [f"e{i:03}" for i in range(0, 300, 3)]
    # 1050 namespaces: more than one registry page and several sweep chunks.
    store.batch([PutOp(("site", f"n{i:04}"), "k", {"i": i}) for i in range(1050)])
    assert store.list_namespaces(prefix=("site",), limit=3, offset=1046) == [
        ("site", f"n{i:04}") for i in (1046, 1047, 1048)
    ]
    assert store.list_namespaces(max_depth=1) == [("log",), ("site",)]
    assert len(store.search(("site",), limit=2000)) == 1050


# -- list_namespaces -----------------------------------------------------------------------


def test_list_namespaces_prefix_suffix_wildcards_depth(store: RedisStore) -> None:
    spaces = [("a", "b", "c"), ("a", "b", "d", "e"), ("a", "b", "d", "i"), ("a", "b", "f"), ("a", "c", "f")]
    for ns in spaces:
        store.put(ns, "k", {"ns": list(ns)})
    assert store.list_namespaces() == sorted(spaces)
    assert store.list_namespaces(prefix=("a", "b"), max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]
    assert store.list_namespaces(suffix=("f",)) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(prefix=("a", "*", "f")) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(suffix=("d", "*")) == [("a", "b", "d", "e"), ("a", "b", "d", "i")]
    assert store.list_namespaces(prefix=("a",), suffix=("*", "f")) == [("a", "b", "f"), ("a", "c", "f")]
    assert store.list_namespaces(max_depth=2) == [("a", "b"), ("a", "c")]
    assert store.list_namespaces(limit=2, offset=1) == sorted(spaces)[1:3]
    assert store.list_namespaces(prefix=("z",)) == []
    store.delete(("a", "c", "f"), "k")
    assert store.list_namespaces(max_depth=2) == [("a", "b")]


def test_put_racing_an_empty_namespace_sweep_stays_listed(store: RedisStore, raw: redis.Redis) -> None:
    """`list_namespaces` drops a namespace it found empty from the registry (another slot):
    a put landing meanwhile must leave it registered, whichever step it lands between."""

    def step(plan: Plan[Any], reply: list[Any] | None) -> Any:
        try:
            return next(plan) if reply is None else plan.send(reply)
        except StopIteration as stop:
            return stop.value

    def finish(plan: Plan[Any], batch: Any) -> Any:
        while isinstance(batch, Batch):
            batch = step(plan, exec_sync(raw, batch))
        return batch

    for landing in ("before_forget", "inside_put"):
        ns = ("alarms", landing)
        store.put(ns, "old", {"x": 1})
        store.delete(ns, "old")  # registered, now empty
        lister = store._batch_plan([ListNamespacesOp(match_conditions=(MatchCondition("prefix", ns),))])
        batch = step(lister, None)  # read the registry
        batch = step(lister, exec_sync(raw, batch))  # the sweep...
        batch = step(lister, exec_sync(raw, batch))  # ...found it empty and set the tombstone
        assert isinstance(batch, Batch) and batch.side  # next: drop it from the registry
        if landing == "before_forget":
            store.put(ns, "new", {"x": 2})
            assert finish(lister, batch) == [[]]
        else:  # the put's registry write, then the sweep's removal, then the put's item
            putter = store._batch_plan([PutOp(ns, "new", {"x": 2})])
            write = step(putter, None)
            exec_sync(raw, Batch(write.side))
            assert finish(lister, batch) == [[]]
            finish(putter, step(putter, exec_sync(raw, Batch(write.cmds, atomic=True))))
        assert store.list_namespaces(prefix=ns) == [ns], landing
        assert raw.zscore(store.keys.namespaces, ".".join(ns)) is not None


# -- TTL -----------------------------------------------------------------------------------


def test_ttl_expiry_refresh_on_read_and_lazy_cleanup(
    redis_url: str, key_prefix: str, raw: redis.Redis
) -> None:
    ttl: TTLConfig = {"default_ttl": 0.01}  # 600 ms; each check below has >= 150 ms of slack
    with RedisStore.from_url(redis_url, prefix=key_prefix, ttl=ttl) as store:
        ns = ("suppressions", "line-2")
        store.put(("suppressions", "line-9"), "gone", {"alarm": "LI-1"}, ttl=0.002)  # 120 ms
        store.put(ns, "refreshed", {"alarm": "TI-101"})
        store.put(ns, "read_only", {"alarm": "PI-7"})
        store.put(ns, "kept", {"alarm": "FI-3"}, ttl=None)
        assert 0 < raw.pttl(store.keys.item("suppressions.line-2", "refreshed")) <= 600
        assert raw.pttl(store.keys.item("suppressions.line-2", "kept")) == -1
        time.sleep(0.3)
        assert store.get(ns, "refreshed") is not None  # re-armed: until t = 0.9 s
        assert store.get(ns, "read_only", refresh_ttl=False) is not None  # still until t = 0.6 s
        time.sleep(0.45)  # t = 0.75 s
        assert store.get(ns, "read_only") is None
        assert [it.key for it in store.search(ns, filter={"alarm": {"$ne": "FI-3"}})] == ["refreshed"]
        time.sleep(0.375)  # t = 1.125 s: alive only because the search re-armed it (until 1.35 s)
        assert [it.key for it in store.search(ns)] == ["kept", "refreshed"]
        store.put(ns, "refreshed", {"alarm": "TI-101"}, ttl=None)  # a put without TTL persists it
        assert raw.pttl(store.keys.item("suppressions.line-2", "refreshed")) == -1

        index = store.keys.index("suppressions.line-2")
        assert raw.zscore(index, "read_only") is None  # the search pruned the dead entry
        assert raw.zscore(store.keys.namespaces, "suppressions.line-9") is not None
        assert store.list_namespaces() == [ns]  # line-9 only held an expired item
        assert raw.zscore(store.keys.namespaces, "suppressions.line-9") is None
        assert not raw.exists(store.keys.index("suppressions.line-9"))


def test_refresh_on_read_can_be_off_by_default(redis_url: str, key_prefix: str, raw: redis.Redis) -> None:
    ttl: TTLConfig = {"default_ttl": 10, "refresh_on_read": False}
    with RedisStore.from_url(redis_url, prefix=key_prefix, ttl=ttl) as store:
        store.put(("plans",), "p", {"x": 1})
        key = store.keys.item("plans", "p")
        raw.pexpire(key, 5000)
        assert store.get(("plans",), "p") is not None and raw.pttl(key) <= 5000
        assert store.search(("plans",)) and raw.pttl(key) <= 5000
        assert store.get(("plans",), "p", refresh_ttl=True) is not None and raw.pttl(key) > 500_000


# -- clients, drivers, round trips ---------------------------------------------------------


def test_async_api(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> tuple[Any, ...]:
        async with RedisStore.from_url(redis_url, prefix=key_prefix) as store:
            await store.aput(("incidents",), "i-1", {"摘要": "冷却水流量低"})
            await store.aput(("incidents", "closed"), "i-0", {"摘要": "已关闭"})
            got = await store.aget(("incidents",), "i-1")
            found = await store.asearch(("incidents",), filter={"摘要": "已关闭"})
            spaces = await store.alist_namespaces(prefix=("incidents",))
            await store.adelete(("incidents",), "i-1")
            return got, found, spaces, await store.aget(("incidents",), "i-1")

    got, found, spaces, after = asyncio.run(scenario())
    assert isinstance(got, Item) and got.value == {"摘要": "冷却水流量低"}
    assert triples(found) == [(("incidents", "closed"), "i-0", {"摘要": "已关闭"})]
    assert spaces == [("incidents",), ("incidents", "closed")] and after is None


def test_sync_client_through_async_api(redis_url: str, key_prefix: str) -> None:
    store = RedisStore(redis.Redis.from_url(redis_url), prefix=key_prefix)

    async def scenario() -> Item | None:
        await store.aput(("plans",), "night", {"crew": 3})
        return await store.aget(("plans",), "night")

    item = asyncio.run(scenario())
    assert item is not None and item.value == {"crew": 3}
    assert store.get(("plans",), "night") == item


def test_async_only_client_refuses_sync_calls(redis_url: str, key_prefix: str) -> None:
    async def scenario() -> Item | None:
        client = redis.asyncio.Redis.from_url(redis_url)
        store = RedisStore(client, prefix=key_prefix)
        try:
            with pytest.raises(RuntimeError, match="async client.*from_url"):
                store.get(("plans",), "night")
            await store.aput(("plans",), "night", {"crew": 3})
            return await store.aget(("plans",), "night")
        finally:
            await client.aclose()

    item = asyncio.run(scenario())
    assert item is not None and item.value == {"crew": 3}


def test_rejects_decoding_client_and_bad_prefix(redis_url: str) -> None:
    with pytest.raises(ValueError, match="decode_responses"):
        RedisStore(redis.Redis.from_url(redis_url, decode_responses=True))
    with pytest.raises(ValueError, match="prefix"):
        RedisStore(redis.Redis.from_url(redis_url), prefix="a{b}")
    with pytest.raises(TypeError, match="redis-py client"):
        RedisStore("redis://localhost")  # type: ignore[arg-type]


class CountingRedis(redis.Redis):
    """Counts pipelines: each one a round trip."""

    pipelines = 0

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
        self.pipelines += 1
        return super().pipeline(transaction, shard_hint)


def test_a_batch_takes_few_round_trips(redis_url: str, key_prefix: str) -> None:
    client = CountingRedis.from_url(redis_url)
    store = RedisStore(client, prefix=key_prefix)
    spaces = [("plans", "a"), ("plans", "b"), ("incidents",)]
    store.batch([PutOp(ns, f"k{i}", {"i": i}) for ns in spaces for i in range(3)])
    assert client.pipelines == 1  # three namespaces, one MULTI/EXEC
    ops: list[Op] = [GetOp(ns, "k1") for ns in spaces]
    ops += [PutOp(ns, "k1", {"i": 99}) for ns in spaces]
    ops += [SearchOp(("plans",), limit=4), ListNamespacesOp()]
    client.pipelines = 0
    results = store.batch(ops)
    assert client.pipelines == 3  # gets + registry reads, pages + sweeps, writes
    assert [r.value for r in results[:3] if isinstance(r, Item)] == [{"i": 1}] * 3  # before the writes
    assert results[3:6] == [None] * 3 and results[7] == sorted(spaces)
    assert [it.value["i"] for it in store.search(("plans",), limit=2)] == [99, 99]


# -- differential: the same random ops against InMemoryStore --------------------------------


class Reference(InMemoryStore):
    """InMemoryStore, less the namespaces it keeps listing after their last item is deleted
    (or that a get only looked at): RedisStore, like PostgresStore, lists namespaces with items."""

    def _handle_list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        for ns in [ns for ns, items in self._data.items() if not items]:
            del self._data[ns]
        return super()._handle_list_namespaces(op)


SPACES = [
    ("plant",),
    ("plant", "line-1"),
    ("plant", "line-2"),
    ("plant", "line-2", "泵"),
    ("shift", "日班"),
    ("x{1}:y",),
]
KEYS = ["a", "b", "报警", "k:1", "{k}", "z"]
FILTERS: list[dict[str, Any] | None] = [
    None,
    {"s": "on"},
    {"s": {"$ne": "off"}},
    {"n": {"$gt": 0}},
    {"n": {"$gte": -1, "$lte": 1}},
    {"n": {"$lt": 0}},
    {"meta": {"z": 1}},
    {"tags": ["a", "b"]},
]


def random_op(rng: random.Random) -> Op:
    ns, key = rng.choice(SPACES), rng.choice(KEYS)
    roll = rng.random()
    if roll < 0.45:
        value = {"n": rng.choice([-2, -1, 0, 0.5, 1, 2]), "s": rng.choice(["on", "off", "报警"])}
        if rng.random() < 0.5:
            value |= {"meta": {"z": rng.randint(0, 2)}, "tags": rng.choice([["a", "b"], ["b"], []])}
        return PutOp(ns, key, value)
    if roll < 0.6:
        return PutOp(ns, key, None)
    if roll < 0.7:
        return GetOp(ns, key)
    if roll < 0.88:
        prefix = ns[: rng.randint(0, len(ns))]
        return SearchOp(prefix, rng.choice(FILTERS), limit=rng.randint(0, 6), offset=rng.randint(0, 3))
    conditions = []
    if rng.random() < 0.5:
        conditions.append(
            MatchCondition("prefix", tuple(rng.choice([lbl, "*"]) for lbl in ns[: rng.randint(1, 2)]))
        )
    if rng.random() < 0.4:
        conditions.append(MatchCondition("suffix", tuple(rng.choice([lbl, "*"]) for lbl in ns[-1:])))
    depth = rng.choice([None, None, 1, 2, 3])
    return ListNamespacesOp(
        tuple(conditions), max_depth=depth, limit=rng.randint(1, 8), offset=rng.randint(0, 2)
    )


def expected(op: Op, full: Result, written: dict[tuple[tuple[str, ...], str], int]) -> Any:
    """What RedisStore must answer for `op`, from the reference's answer to its unpaged form."""
    if isinstance(op, SearchOp):
        assert isinstance(full, list)
        ordered = sorted(full, key=lambda it: (-written[(it.namespace, it.key)], it.namespace, it.key))
        return triples(ordered[op.offset : op.offset + op.limit])
    if isinstance(op, GetOp):
        return None if full is None else triples([full])
    return full


def actual(result: Result) -> Any:
    if isinstance(result, Item):
        return triples([result])
    if isinstance(result, list) and result and isinstance(result[0], Item):
        return triples(result)
    return result


def run_against_reference(url: str, prefix: str, *, mode: str, seed: int, cluster: bool = False) -> None:
    """~200 random ops in batches of 1-4, through RedisStore and the reference; same answers."""
    rng = random.Random(seed)
    reference = Reference()
    written: dict[tuple[tuple[str, ...], str], int] = {}  # batch number of each key's last put
    batches = [[random_op(rng) for _ in range(rng.randint(1, 4))] for _ in range(80)]
    assert 150 <= sum(map(len, batches)) <= 270

    async def run_async() -> list[list[Result]]:
        async with RedisStore.from_url(url, cluster=cluster, prefix=prefix) as store:
            return [await store.abatch(b) for b in batches]

    if mode == "async":
        answers = asyncio.run(run_async())
    else:
        with RedisStore.from_url(url, cluster=cluster, prefix=prefix) as store:
            answers = [store.batch(b) for b in batches]
    compared, paged = 0, 0
    for number, (ops, got) in enumerate(zip(batches, answers, strict=True)):
        unpaged = [op._replace(limit=10**6, offset=0) if isinstance(op, SearchOp) else op for op in ops]
        for op, mine, full in zip(ops, got, reference.batch(unpaged), strict=True):
            want = expected(op, full, written)
            assert actual(mine) == want, f"batch {number}: {op}"
            compared += want not in (None, [])
            paged += isinstance(op, SearchOp) and op.offset > 0 and len(want) > 1
        for op in ops:
            if isinstance(op, PutOp):
                written[(op.namespace, op.key)] = number
    # The run really compared answers with items in them, and pages past the first.
    assert compared >= 35 and paged >= 5, (compared, paged)


@pytest.mark.parametrize(("mode", "seed"), [("sync", 1), ("async", 2)])
def test_same_answers_as_in_memory_store(redis_url: str, key_prefix: str, mode: str, seed: int) -> None:
    run_against_reference(redis_url, key_prefix, mode=mode, seed=seed)


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        with local_cluster(tmp_path_factory.mktemp("store-cluster")) as url:
            yield url
    except ClusterStartError as exc:
        pytest.fail(f"could not start a local Redis Cluster: {exc}")


@pytest.mark.parametrize(("mode", "seed"), [("sync", 3), ("async", 4)])
def test_same_answers_on_a_cluster(cluster_url: str, key_prefix: str, mode: str, seed: int) -> None:
    """Namespaces spread over 3 masters: one MULTI/EXEC per namespace, Lua in one slot each."""
    run_against_reference(cluster_url, key_prefix, mode=mode, seed=seed, cluster=True)
    keys = StoreKeys(key_prefix)
    with redis.cluster.RedisCluster.from_url(cluster_url) as client:
        spaces = [m.decode() for m in client.zrange(keys.namespaces, 0, -1)]
        nodes = {
            client.get_node_from_key(keys.index(ns)).name for ns in spaces if client.exists(keys.index(ns))
        }
    assert len(nodes) >= 2  # the run's namespaces really were spread over the masters
