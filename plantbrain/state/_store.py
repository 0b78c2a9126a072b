"""`RedisStore`: LangGraph long-term memory (`BaseStore`) on plain Redis (>= 6, Cluster too).

Shift plans, incident records and alarm suppressions outlive a thread: agents keep them here
under namespaces such as `("incidents", "line-2")`. No modules (RediSearch, RedisJSON): a hash
per item, a sorted set per namespace, a registry of namespaces, and four short Lua scripts
(`_store_layout`). Each `batch(ops)` is one plan (`_exec`): the reads of the batch share their
round trips (`_store_scan.gather`), then the writes go out, one MULTI/EXEC per namespace (on a
standalone server, one for all). As in `InMemoryStore`, the reads of a batch see the store as
it was before the batch's writes, and of two writes to one key the last wins.

Where it differs from `InMemoryStore`, it does as PostgresStore does:
- search has no embedding index: `query` is ignored and `score` is None, as in InMemoryStore
  without `index`, but items come newest first (`updated_at` descending, then namespace, then
  key) rather than in dict insertion order;
- `created_at` is kept when an item is overwritten (InMemoryStore resets it on every put);
- `list_namespaces` lists namespaces that hold items (InMemoryStore also lists the ones whose
  items were all deleted, and any that a `get` merely looked up);
- `$gt`/`$gte`/`$lt`/`$lte` on a missing or non-numeric field do not match (InMemoryStore raises);
- a negative `limit`, `offset` or `max_depth` is refused instead of sliced Python-style.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import Any, Self, TypeVar

from langgraph.store.base import (
    BaseStore,
    GetOp,
    InvalidNamespaceError,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    validate_op_namespace,
)

from plantbrain.state._clients import Clients, url_clients
from plantbrain.state._exec import (
    AsyncClient,
    Batch,
    Cmd,
    Plan,
    SyncClient,
    check_prefix,
)
from plantbrain.state._store_layout import (
    PAGE,
    PRUNE,
    READ,
    SWEEP,
    TOMBSTONE_MS,
    StoreKeys,
    dump_value,
    literal_head,
    load_fields,
    match_namespace,
    matches,
    now_utc,
    ns_text,
    ns_tuple,
)
from plantbrain.state._store_scan import Stream, gather

R = TypeVar("R")

SEARCH_PAGE = 500
"""Most index entries (with their items) one search reads from a namespace per round trip."""
FILTERED_PAGE = 100
"""Fewest entries read per round trip when a filter may reject many of them."""
REGISTRY_PAGE = 1000
"""Namespaces read from `P:namespaces` per round trip."""
SWEEP_CHUNK = 200
"""Namespaces `list_namespaces` checks for live items per round trip."""


def _check_window(limit: int, offset: int) -> None:
    if limit < 0 or offset < 0:
        raise ValueError(f"limit and offset must be >= 0, got limit={limit} offset={offset}")


class RedisStore(Clients, BaseStore):
    """LangGraph store on plain Redis, for memory that outlives a thread.

    Build it from a client (`redis.Redis`, `redis.asyncio.Redis`, or either `RedisCluster`)
    or with `RedisStore.from_url(url)`, which makes both a sync and an async client. With only
    a sync client the async methods run it in a worker thread; with only an async client the
    sync methods refuse with a clear error.

    TTLs are in minutes (`put(..., ttl=30)`, `TTLConfig(default_ttl=..., refresh_on_read=...)`);
    Redis expires items itself, so `sweep_interval_minutes` has nothing to do and expired items
    are never returned. Values are JSON objects; `index` and `query` are accepted and ignored.
    """

    supports_ttl = True
    async_only_hint = "use aget()/aput()/asearch() (graph.ainvoke())"

    def __init__(
        self,
        client: SyncClient | AsyncClient,
        *,
        prefix: str = "plantbrain:store",
        ttl: TTLConfig | None = None,
    ) -> None:
        self._bind(client)
        self.keys = StoreKeys(check_prefix(prefix))
        default = (ttl or {}).get("default_ttl")
        if default is not None and default <= 0:
            raise ValueError(f"TTLConfig default_ttl must be positive minutes or None, got {default}")
        self.ttl_config = ttl

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        cluster: bool = False,
        prefix: str = "plantbrain:store",
        ttl: TTLConfig | None = None,
    ) -> Self:
        """A store with its own sync and async clients for `url` (closed by `close()`/`with`)."""
        sync, aio = url_clients(url, cluster)
        return cls(sync, prefix=prefix, ttl=ttl)._own(aio)

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        return self._run(self._batch_plan(list(ops)))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await self._arun(self._batch_plan(list(ops)))

    # -- plans -----------------------------------------------------------------------------

    def _batch_plan(self, ops: Sequence[Op]) -> Plan[list[Result]]:
        reads: list[tuple[int, Plan[Any]]] = []
        puts: dict[tuple[tuple[str, ...], str], PutOp] = {}
        for i, op in enumerate(ops):
            validate_op_namespace(op)
            if isinstance(op, GetOp):
                reads.append((i, self._get_plan(tuple(op.namespace), str(op.key), op.refresh_ttl)))
            elif isinstance(op, SearchOp):
                _check_window(op.limit, op.offset)
                reads.append((i, self._search_plan(op)))
            elif isinstance(op, ListNamespacesOp):
                _check_window(op.limit, op.offset)
                if op.max_depth is not None and op.max_depth < 0:
                    raise ValueError(f"max_depth must be >= 0 or None, got {op.max_depth}")
                reads.append((i, self._list_plan(op)))
            elif isinstance(op, PutOp):
                if not op.namespace:
                    raise InvalidNamespaceError("Namespace cannot be empty.")
                if op.ttl is not None and op.ttl <= 0:
                    raise ValueError(f"ttl must be positive minutes or None, got {op.ttl}")
                puts[(tuple(op.namespace), str(op.key))] = op
            else:
                raise ValueError(f"Unknown operation type: {type(op)}")
        writes = self._write_batches(puts)  # encode every value before anything is sent
        results: list[Result] = [None] * len(ops)
        found = yield from gather([plan for _, plan in reads])
        for (i, _), result in zip(reads, found, strict=True):
            results[i] = result
        revive: list[str] = []
        for batch, tombstones in writes:
            replies = yield batch
            revive += [ns for pos, ns in tombstones if replies[pos]]
        if revive:
            # A sweep saw these namespaces empty and may have dropped them from the registry.
            yield Batch([("ZADD", self.keys.namespaces, *[x for ns in revive for x in (0, ns)])])
        return results

    def _get_plan(self, namespace: tuple[str, ...], key: str, refresh: bool) -> Plan[Item | None]:
        if not namespace:
            return None
        text = ns_text(namespace)
        [[fields]] = yield Batch([("EVAL", READ, 1, self.keys.item(text, key), int(refresh))])
        if fields[0] is None:
            return None
        value, created_at, updated_at = load_fields(fields)
        return Item(value=value, key=key, namespace=namespace, created_at=created_at, updated_at=updated_at)

    def _registry_plan(self, head: tuple[str, ...]) -> Plan[list[tuple[str, ...]]]:
        """Registered namespaces equal to `head` or below it, sorted."""
        if head:
            text = ns_text(head)
            # Below `head` means starting "head." and "." + 1 is "/".
            low, high = "[" + text, "(" + text + "/"
        else:
            low, high = "-", "+"
        found: list[tuple[str, ...]] = []
        offset = 0
        while True:
            [page] = yield Batch(
                [("ZRANGEBYLEX", self.keys.namespaces, low, high, "LIMIT", offset, REGISTRY_PAGE)]
            )
            found += [ns for ns in map(ns_tuple, page) if ns[: len(head)] == head]
            if len(page) < REGISTRY_PAGE:
                return sorted(found)
            offset += REGISTRY_PAGE

    def _search_plan(self, op: SearchOp) -> Plan[list[SearchItem]]:
        k = self.keys
        want = op.offset + op.limit
        if op.limit == 0:
            return []
        streams = [
            Stream(ns, ns_text(ns)) for ns in (yield from self._registry_plan(tuple(op.namespace_prefix)))
        ]
        count = min(SEARCH_PAGE, max(want, FILTERED_PAGE) if op.filter else want)
        hits: list[tuple[Stream, str, bool, SearchItem]] = []
        # A k-way merge: a namespace's next entry is compared only once all are known, so a
        # namespace that ran out of read entries is read further before anything is taken.
        heap: list[tuple[float, tuple[str, ...], int]] = []
        refill = list(range(len(streams)))
        while len(hits) < want:
            if refill:
                replies = yield Batch(
                    [
                        ("EVAL", PAGE, 1, k.index(s.text), k.items(s.text), s.low, s.skip, count)
                        for s in (streams[i] for i in refill)
                    ]
                )
                for i, reply in zip(refill, replies, strict=True):
                    if streams[i].load(reply, count):
                        heapq.heappush(heap, (*streams[i].head(), i))
                refill = []
            if not heap:
                break
            i = heapq.heappop(heap)[2]
            stream = streams[i]
            _, key, fields = stream.rows.popleft()
            if stream.rows:
                heapq.heappush(heap, (*stream.head(), i))
            elif not stream.done:
                refill.append(i)
            if fields[0] is None:
                stream.dead.append(key)
                continue
            value, created_at, updated_at = load_fields(fields)
            if not op.filter or matches(value, op.filter):
                item = SearchItem(stream.namespace, key, value, created_at, updated_at)
                hits.append((stream, key, fields[3] is not None, item))
        hits = hits[op.offset :]
        touch: dict[str, list[str]] = {}
        if op.refresh_ttl:
            for stream, key, has_ttl, _ in hits:
                if has_ttl:
                    touch.setdefault(stream.text, []).append(k.item(stream.text, key))
        cleanup: list[Cmd] = [("EVAL", READ, len(keys), *keys, 1) for keys in touch.values()]
        cleanup += [
            ("EVAL", PRUNE, 1 + len(s.dead), k.index(s.text), *[k.item(s.text, d) for d in s.dead], *s.dead)
            for s in streams
            if s.dead
        ]
        if cleanup:
            yield Batch(cleanup)
        return [item for _, _, _, item in hits]

    def _list_plan(self, op: ListNamespacesOp) -> Plan[list[tuple[str, ...]]]:
        k = self.keys
        conditions = op.match_conditions or ()
        want = op.offset + op.limit
        if op.limit == 0:
            return []
        candidates = [
            ns
            for ns in (yield from self._registry_plan(literal_head(conditions)))
            if all(match_namespace(c, ns) for c in conditions)
        ]
        depth = op.max_depth

        def cut(ns: tuple[str, ...]) -> tuple[str, ...]:
            return ns if depth is None else ns[:depth]

        # Candidates are sorted, so their cuts are too: a cut already found live needs no check.
        live: list[tuple[str, ...]] = []
        empty: list[str] = []
        for start in range(0, len(candidates), SWEEP_CHUNK):
            if len(live) >= want:
                break
            chunk = [ns for ns in candidates[start : start + SWEEP_CHUNK] if not live or cut(ns) != live[-1]]
            replies = yield Batch(
                [
                    ("EVAL", SWEEP, 2, k.index(t), k.tombstone(t), k.items(t), TOMBSTONE_MS)
                    for t in map(ns_text, chunk)
                ]
            )
            for ns, alive in zip(chunk, replies, strict=True):
                if not alive:
                    empty.append(ns_text(ns))
                elif not live or cut(ns) != live[-1]:
                    live.append(cut(ns))
        if empty:
            yield from self._forget_plan(empty)
        return live[op.offset : want]

    def _forget_plan(self, empty: list[str]) -> Plan[None]:
        """Drop namespaces a sweep found empty from the registry, unless a put came in since.

        A put deletes the namespace's tombstone in the MULTI that writes the item: if it is
        gone after the registry entry was removed, the entry goes back; if the put comes later
        still, the put finds the tombstone and re-registers the namespace itself.
        """
        k = self.keys
        replies = yield Batch(
            [("EXISTS", k.tombstone(ns)) for ns in empty], side=[("ZREM", k.namespaces, *empty)]
        )
        back = [ns for ns, marked in zip(empty, replies, strict=True) if not marked]
        if back:
            yield Batch([("ZADD", k.namespaces, *[x for ns in back for x in (0, ns)])])

    def _write_batches(
        self, puts: dict[tuple[tuple[str, ...], str], PutOp]
    ) -> list[tuple[Batch, list[tuple[int, str]]]]:
        """Atomic batches for `puts`, each with the (reply index, namespace) of its tombstone DELs."""
        k = self.keys
        iso, micros = now_utc()
        groups: dict[str, list[tuple[str, PutOp]]] = {}
        for (namespace, key), op in puts.items():
            groups.setdefault(ns_text(namespace), []).append((key, op))
        batches: list[tuple[list[Cmd], list[Cmd], list[tuple[int, str]]]] = []
        for ns, group in groups.items():
            cmds: list[Cmd] = []
            for key, op in group:
                item = k.item(ns, key)
                if op.value is None:
                    cmds += [("DEL", item), ("ZREM", k.index(ns), key)]
                    continue
                cmds += [
                    ("HSET", item, "v", dump_value(op.value), "u", iso),
                    ("HSETNX", item, "c", iso),
                    ("ZADD", k.index(ns), -micros, key),
                ]
                if op.ttl is None:
                    cmds += [("HDEL", item, "t"), ("PERSIST", item)]
                else:
                    ttl_ms = max(1, round(op.ttl * 60_000))
                    cmds += [("HSET", item, "t", ttl_ms), ("PEXPIRE", item, ttl_ms)]
            if any(op.value is not None for _, op in group):
                cmds.append(("DEL", k.tombstone(ns)))
                batches.append((cmds, [("ZADD", k.namespaces, 0, ns)], [(len(cmds) - 1, ns)]))
            else:
                batches.append((cmds, [], []))
        if not self._cluster and len(batches) > 1:
            # One server: every namespace's writes fit in one MULTI/EXEC.
            merged: tuple[list[Cmd], list[Cmd], list[tuple[int, str]]] = ([], [], [])
            for c, s, t in batches:
                merged[2].extend((pos + len(merged[0]), ns) for pos, ns in t)
                merged[0].extend(c)
                merged[1].extend(s)
            batches = [merged]
        return [(Batch(c, atomic=True, side=s), t) for c, s, t in batches]
