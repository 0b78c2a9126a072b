"""`RedisSaver`: a LangGraph checkpointer on plain Redis commands (Redis >= 6, Valkey, Cluster).

No modules (RediSearch, RedisJSON): hashes, sets, sorted sets, MULTI/EXEC, and short Lua
scripts for the writes on the hot path (a checkpoint, a task's writes) and for deleting or
expiring a whole thread. The key layout is in `_layout`. Each
method is written once as a plan (`_exec`); the sync and async methods only drive it.

A checkpoint write (`put`) is one round trip: one Lua call that writes the thread's keys and
the run and thread indexes atomically (on a cluster the two indexes, which live in other
slots, are written first in a round trip of their own). `put_writes` is one Lua call too.
"""

from __future__ import annotations

import builtins
import random
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any, Self, TypeVar

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    get_checkpoint_id,
    get_checkpoint_metadata,
    writes_sort_key,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from plantbrain.state._clients import Clients, url_clients
from plantbrain.state._exec import (
    AsyncClient,
    Batch,
    Emit,
    Plan,
    SyncClient,
    check_prefix,
)
from plantbrain.state._layout import (
    Keys,
    blob_field,
    pack,
    pack_typed,
    unpack,
    unpack_typed,
    write_field,
)
from plantbrain.state._maintenance import Maintenance
from plantbrain.state._scripts import PUT_CHECKPOINT, PUT_WRITES

R = TypeVar("R")

PAGE = 100
"""Checkpoints fetched per round trip when listing."""


def _target(config: RunnableConfig) -> tuple[str, str, str | None]:
    conf = config.get("configurable") or {}
    if "thread_id" not in conf:
        raise ValueError('config needs configurable.thread_id, e.g. {"configurable": {"thread_id": "t-1"}}')
    return str(conf["thread_id"]), str(conf.get("checkpoint_ns") or ""), get_checkpoint_id(config)


def _config(thread_id: str, ns: str, checkpoint_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": checkpoint_id}}


class RedisSaver(Maintenance, Clients, BaseCheckpointSaver[str]):
    """LangGraph checkpointer on plain Redis.

    Build it from a client (`redis.Redis`, `redis.asyncio.Redis`, or either `RedisCluster`)
    or with `RedisSaver.from_url(url)`, which makes both a sync and an async client so that
    `invoke` and `ainvoke` both run natively. With only a sync client the async methods run
    it in a worker thread; with only an async client the sync methods refuse with a clear
    error (call `ainvoke`, or use `from_url`).
    """

    async_only_hint = "use graph.ainvoke()/astream()"

    def __init__(
        self,
        client: SyncClient | AsyncClient,
        *,
        prefix: str = "plantbrain:cp",
        ttl_s: float | None = None,
        serde: SerializerProtocol | None = None,
    ) -> None:
        super().__init__(serde=serde)
        self._bind(client)
        self.keys = Keys(check_prefix(prefix))
        if ttl_s is not None and ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive seconds or None, got {ttl_s}")
        self._ttl_ms = None if ttl_s is None else max(1, round(ttl_s * 1000))

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        cluster: bool = False,
        prefix: str = "plantbrain:cp",
        ttl_s: float | None = None,
        serde: SerializerProtocol | None = None,
    ) -> Self:
        """A saver with its own sync and async clients for `url` (closed by `close()`/`with`)."""
        sync, aio = url_clients(url, cluster)
        return cls(sync, prefix=prefix, ttl_s=ttl_s, serde=serde)._own(aio)

    # -- the checkpointer API --------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._run(self._get_tuple_plan(config))

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self._arun(self._get_tuple_plan(config))

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        yield from self._iter(self._list_plan(config, filter, before, limit))

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async for item in self._aiter(self._list_plan(config, filter, before, limit)):
            yield item

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return self._run(self._put_plan(config, checkpoint, metadata, new_versions))

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self._arun(self._put_plan(config, checkpoint, metadata, new_versions))

    def put_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        self._run(self._put_writes_plan(config, writes, task_id, task_path))

    async def aput_writes(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str = ""
    ) -> None:
        await self._arun(self._put_writes_plan(config, writes, task_id, task_path))

    def delete_thread(self, thread_id: str) -> None:
        self._run(self._delete_thread_plan(str(thread_id)))

    async def adelete_thread(self, thread_id: str) -> None:
        await self._arun(self._delete_thread_plan(str(thread_id)))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        self._run(self._delete_for_runs_plan(run_ids))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self._arun(self._delete_for_runs_plan(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self._run(self._copy_thread_plan(str(source_thread_id), str(target_thread_id)))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self._arun(self._copy_thread_plan(str(source_thread_id), str(target_thread_id)))

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self._run(self._prune_plan(thread_ids, strategy))

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self._arun(self._prune_plan(thread_ids, strategy))

    def get_next_version(self, current: str | None, channel: None) -> str:
        # LangGraph's own format: a zero-padded counter, then a random part so that two forks
        # of one thread never write different values under the same version.
        if current is None:
            count = 0
        elif isinstance(current, int):
            count = current
        else:
            count = int(str(current).split(".")[0])
        return f"{count + 1:032}.{random.random():016}"

    # -- plans -----------------------------------------------------------------------------

    def _put_plan(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> Plan[RunnableConfig]:
        thread_id, ns, parent_id = _target(config)
        k = self.keys
        checkpoint_id = checkpoint["id"]
        rest: dict[str, Any] = dict(checkpoint)
        values: dict[str, Any] = rest.pop("channel_values", None) or {}
        meta = get_checkpoint_metadata(config, metadata)
        run_id = str(meta.get("run_id") or "")
        run_member = pack(thread_id.encode(), ns.encode(), checkpoint_id.encode()) if run_id else b""
        keys = [
            k.checkpoint(thread_id, ns, checkpoint_id),
            k.index(thread_id, ns),
            k.namespaces(thread_id),
            k.keyset(thread_id),
            k.blobs(thread_id, ns),
        ]
        side: builtins.list[tuple[Any, ...]] = []
        if self._cluster:  # the indexes live in other slots: written apart, first
            side.append(("SADD", k.threads, thread_id))
            if run_id:
                side.append(("SADD", k.run(run_id), run_member))
                if self._ttl_ms is not None:
                    side.append(("PEXPIRE", k.run(run_id), self._ttl_ms))
        else:
            keys += [k.threads, k.run(run_id)] if run_id else [k.threads]
        args: builtins.list[Any] = [
            checkpoint_id,
            ns,
            pack_typed(self.serde.dumps_typed(rest)),
            pack_typed(self.serde.dumps_typed(meta)),
            parent_id or "",
            run_id,
            self._ttl_ms or 0,
            thread_id,
            run_member,
        ]
        for channel, version in new_versions.items():
            typed = self.serde.dumps_typed(values[channel]) if channel in values else ("empty", b"")
            args += [blob_field(channel, version), pack_typed(typed)]
        yield Batch([("EVAL", PUT_CHECKPOINT, len(keys), *keys, *args)], side=side)
        return _config(thread_id, ns, checkpoint_id)

    def _put_writes_plan(
        self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
    ) -> Plan[None]:
        thread_id, ns, checkpoint_id = _target(config)
        if checkpoint_id is None:
            raise ValueError(
                "put_writes needs configurable.checkpoint_id: the checkpoint the writes belong to"
            )
        if not writes:
            return
        args: builtins.list[Any] = [self._ttl_ms or 0]
        for idx, (channel, value) in enumerate(writes):
            slot = WRITES_IDX_MAP.get(channel, idx)
            record = pack(channel.encode(), task_path.encode(), pack_typed(self.serde.dumps_typed(value)))
            # A retried task must not replace what it wrote the first time; special channels
            # (error, interrupt, resume) always hold the latest.
            args += [1 if slot < 0 else 0, write_field(task_id, slot), record]
        k = self.keys
        keys: tuple[str, ...] = (k.writes(thread_id, ns, checkpoint_id), k.keyset(thread_id))
        if self._ttl_ms is not None:
            keys += (k.checkpoint(thread_id, ns, checkpoint_id), k.index(thread_id, ns), k.namespaces(thread_id),
                     k.blobs(thread_id, ns))  # fmt: skip
        yield Batch([("EVAL", PUT_WRITES, len(keys), *keys, *args)])

    def _get_tuple_plan(self, config: RunnableConfig) -> Plan[CheckpointTuple | None]:
        thread_id, ns, checkpoint_id = _target(config)
        if checkpoint_id is None:
            [newest] = yield Batch(
                [("ZREVRANGEBYLEX", self.keys.index(thread_id, ns), "+", "-", "LIMIT", 0, 1)]
            )
            if not newest:
                return None
            checkpoint_id = newest[0].decode()
        found = yield from self._load_plan(thread_id, ns, [checkpoint_id], None)
        return found[0] if found else None

    def _load_plan(
        self, thread_id: str, ns: str, ids: Sequence[str], meta_filter: dict[str, Any] | None
    ) -> Plan[builtins.list[CheckpointTuple]]:
        """Checkpoint tuples for `ids` (skipping missing ones) in two round trips."""
        k = self.keys
        if not ids:
            return []
        replies = yield Batch(
            [
                cmd
                for cid in ids
                for cmd in (
                    ("HGETALL", k.checkpoint(thread_id, ns, cid)),
                    ("HGETALL", k.writes(thread_id, ns, cid)),
                )
            ]
        )
        loaded: builtins.list[
            tuple[str, dict[bytes, bytes], dict[bytes, bytes], dict[str, Any], CheckpointMetadata]
        ] = []
        for i, cid in enumerate(ids):
            record, writes = replies[2 * i], replies[2 * i + 1]
            if not record:
                continue
            meta: CheckpointMetadata = self.serde.loads_typed(unpack_typed(record[b"m"]))
            if meta_filter and not all(meta.get(key) == want for key, want in meta_filter.items()):
                continue
            checkpoint: dict[str, Any] = self.serde.loads_typed(unpack_typed(record[b"c"]))
            loaded.append((cid, record, writes, checkpoint, meta))
        fetch = [(cid, list(cp["channel_versions"].items())) for cid, _, _, cp, _ in loaded]
        blob_cmds = [
            ("HMGET", k.blobs(thread_id, ns), *[blob_field(ch, ver) for ch, ver in versions])
            for _, versions in fetch
            if versions
        ]
        blob_replies = iter((yield Batch(blob_cmds)) if blob_cmds else [])
        out: builtins.list[CheckpointTuple] = []
        for (cid, record, writes, checkpoint, meta), (_, versions) in zip(loaded, fetch, strict=True):
            values: dict[str, Any] = {}
            if versions:
                for (channel, _v), raw in zip(versions, next(blob_replies), strict=True):
                    if raw is None:
                        continue
                    typed = unpack_typed(raw)
                    if typed[0] != "empty":
                        values[channel] = self.serde.loads_typed(typed)
            parent = record.get(b"p", b"").decode()
            out.append(
                CheckpointTuple(
                    config=_config(thread_id, ns, cid),
                    checkpoint={**checkpoint, "channel_values": values},  # type: ignore[typeddict-item]
                    metadata=meta,
                    parent_config=_config(thread_id, ns, parent) if parent else None,
                    pending_writes=self._pending(writes),
                )
            )
        return out

    def _pending(self, writes: dict[bytes, bytes]) -> builtins.list[PendingWrite]:
        rows: builtins.list[tuple[tuple[str, str, int], PendingWrite]] = []
        for field, raw in writes.items():
            task_id, _, idx = field.decode().rpartition("\0")
            channel, task_path, typed = unpack(raw)
            value = self.serde.loads_typed(unpack_typed(typed))
            rows.append(
                (writes_sort_key(task_path.decode(), task_id, int(idx)), (task_id, channel.decode(), value))
            )
        rows.sort(key=lambda row: row[0])
        return [write for _, write in rows]

    def _list_plan(
        self,
        config: RunnableConfig | None,
        meta_filter: dict[str, Any] | None,
        before: RunnableConfig | None,
        limit: int | None,
    ) -> Plan[None]:
        k = self.keys
        if limit is not None and limit <= 0:
            return
        if config is None:
            [members] = yield Batch([("SMEMBERS", k.threads)])
            threads = sorted(m.decode() for m in members)
            ns_only: str | None = None
            id_only: str | None = None
        else:
            thread, _, id_only = _target(config)
            threads = [thread]
            raw_ns = (config.get("configurable") or {}).get("checkpoint_ns")
            ns_only = None if raw_ns is None else str(raw_ns)
        before_id = get_checkpoint_id(before) if before else None
        left = limit
        for thread_id in threads:
            if ns_only is None:
                [members] = yield Batch([("SMEMBERS", k.namespaces(thread_id))])
                namespaces = sorted(m.decode() for m in members)
                # A thread with no namespace left has expired: forget it. (Not on a cluster, where
                # the registry is written just before a new thread's data.)
                if not members and config is None and not self._cluster:
                    yield Batch([("SREM", k.threads, thread_id)])
            else:
                namespaces = [ns_only]
            for ns in namespaces:
                upper = f"({before_id}" if before_id else "+"
                while True:
                    if id_only is not None:
                        page = [id_only] if before_id is None or id_only < before_id else []
                    else:
                        [raw] = yield Batch(
                            [("ZREVRANGEBYLEX", k.index(thread_id, ns), upper, "-", "LIMIT", 0, PAGE)]
                        )
                        page = [m.decode() for m in raw]
                    for item in (yield from self._load_plan(thread_id, ns, page, meta_filter)):
                        yield Emit(item)
                        if left is not None:
                            left -= 1
                            if left <= 0:
                                return
                    if id_only is not None or len(page) < PAGE:
                        break
                    upper = f"({page[-1]}"
