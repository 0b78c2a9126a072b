"""Whole-thread operations of `RedisSaver`: delete, delete by run, copy, prune.

A mixin, so that the saver module stays the hot path (put, put_writes, get, list). Each
operation is a plan, driven by the saver's sync and async methods like every other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from langgraph.checkpoint.serde.base import SerializerProtocol

from plantbrain.state._exec import Batch, Plan
from plantbrain.state._layout import Keys, blob_field, pack, unpack, unpack_typed
from plantbrain.state._scripts import DELETE_THREAD, TOUCH_THREAD


class Maintenance:
    """Plans over whole threads; needs the saver's `keys`, `serde` and TTL."""

    keys: Keys
    serde: SerializerProtocol
    _ttl_ms: int | None

    def _touch(self, thread_id: str) -> list[tuple[Any, ...]]:
        """Commands that restart the TTL of every key of a thread (none without a TTL)."""
        if self._ttl_ms is None:
            return []
        return [("EVAL", TOUCH_THREAD, 1, self.keys.keyset(thread_id), self._ttl_ms)]

    def _delete_thread_plan(self, thread_id: str) -> Plan[None]:
        yield Batch(
            [("EVAL", DELETE_THREAD, 1, self.keys.keyset(thread_id))],
            side=[("SREM", self.keys.threads, thread_id)],
        )

    def _drop(self, thread_id: str, ns: str, ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """Commands that remove checkpoints `ids` of one namespace and their writes."""
        k = self.keys
        if not ids:
            return []
        names = [
            name for cid in ids for name in (k.checkpoint(thread_id, ns, cid), k.writes(thread_id, ns, cid))
        ]
        return [
            ("DEL", *names),
            ("ZREM", k.index(thread_id, ns), *ids),
            ("SREM", k.keyset(thread_id), *names),
        ]

    def _delete_for_runs_plan(self, run_ids: Sequence[str]) -> Plan[None]:
        runs = [str(r) for r in run_ids]
        if not runs:
            return
        replies = yield Batch([("SMEMBERS", self.keys.run(r)) for r in runs])
        doomed: dict[str, dict[str, list[str]]] = {}
        for members in replies:
            for member in members:
                thread, ns, cid = (part.decode() for part in unpack(member))
                doomed.setdefault(thread, {}).setdefault(ns, []).append(cid)
        for thread_id in sorted(doomed):
            cmds = [
                cmd
                for ns, ids in sorted(doomed[thread_id].items())
                for cmd in self._drop(thread_id, ns, sorted(ids))
            ]
            yield Batch(cmds, atomic=True)
        yield Batch([("DEL", self.keys.run(r)) for r in runs])

    def _copy_thread_plan(self, source: str, target: str) -> Plan[None]:
        """Make `target` an exact copy of `source` (what `target` held before is replaced)."""
        k = self.keys
        if source == target:
            return
        [members] = yield Batch([("SMEMBERS", k.keyset(source))])
        names = sorted(m.decode() for m in members)
        if not names:
            return
        cp_marker = k.tag(source) + ":c:"
        cp_names = [n for n in names if n.startswith(cp_marker)]
        replies = yield Batch([("DUMP", n) for n in names] + [("HGET", n, "r") for n in cp_names])
        dumps, run_ids = replies[: len(names)], replies[len(names) :]
        ttl = self._ttl_ms or 0
        cmds: list[tuple[Any, ...]] = [("EVAL", DELETE_THREAD, 1, k.keyset(target))]
        copied: list[str] = []
        for name, dump in zip(names, dumps, strict=True):
            if dump is None:  # expired or deleted since SMEMBERS
                continue
            copied.append(k.retag(name, source, target))
            cmds.append(("RESTORE", copied[-1], ttl, dump, "REPLACE"))
        cmds.append(("SADD", k.keyset(target), *copied))
        cmds += self._touch(target)
        side: list[tuple[Any, ...]] = [("SADD", k.threads, target)]
        for name, run_id in zip(cp_names, run_ids, strict=True):
            if run_id:
                enc_ns, cid = name[len(cp_marker) :].rsplit(":", 1)
                side.append(
                    (
                        "SADD",
                        k.run(run_id.decode()),
                        pack(target.encode(), unquote(enc_ns).encode(), cid.encode()),
                    )
                )
        yield Batch(cmds, atomic=True, side=side)

    def _prune_plan(self, thread_ids: Sequence[str], strategy: str) -> Plan[None]:
        if strategy not in ("keep_latest", "delete"):
            raise ValueError(f"unknown prune strategy {strategy!r}: use 'keep_latest' or 'delete'")
        for thread_id in (str(t) for t in thread_ids):
            if strategy == "delete":
                yield from self._delete_thread_plan(thread_id)
                continue
            [members] = yield Batch([("SMEMBERS", self.keys.namespaces(thread_id))])
            for ns in sorted(m.decode() for m in members):
                yield from self._keep_latest_plan(thread_id, ns)

    def _keep_latest_plan(self, thread_id: str, ns: str) -> Plan[None]:
        """Drop all but the newest checkpoint of a namespace, and the channel values only they used.

        A `DeltaChannel` (named in the metadata's `counters_since_delta_snapshot`) rebuilds its
        value from ancestors' writes back to its last snapshot, so those ancestors stay.
        """
        k = self.keys
        # Channel-value fields are read before the ids: a checkpoint written while this runs
        # is not in `ids` (so it stays) and its new fields are not in `fields` (so they stay).
        [fields, raw_ids] = yield Batch(
            [("HKEYS", k.blobs(thread_id, ns)), ("ZRANGEBYLEX", k.index(thread_id, ns), "-", "+")]
        )
        ids = [m.decode() for m in raw_ids]
        if not ids:
            return
        keep: list[tuple[str, dict[str, Any]]] = []
        cursor: str | None = ids[-1]
        needed: set[str] | None = None
        while cursor:
            [record] = yield Batch([("HGETALL", k.checkpoint(thread_id, ns, cursor))])
            if not record:
                break
            checkpoint: dict[str, Any] = self.serde.loads_typed(unpack_typed(record[b"c"]))
            keep.append((cursor, checkpoint))
            if needed is None:
                meta = self.serde.loads_typed(unpack_typed(record[b"m"]))
                needed = set((meta.get("counters_since_delta_snapshot") or {}).keys())
            if not needed:
                break
            versions = checkpoint["channel_versions"]
            wanted = sorted(ch for ch in needed if ch in versions)
            if wanted:
                [raw] = yield Batch(
                    [("HMGET", k.blobs(thread_id, ns), *[blob_field(c, versions[c]) for c in wanted])]
                )
                needed -= {
                    c
                    for c, b in zip(wanted, raw, strict=True)
                    if b is not None and unpack_typed(b)[0] != "empty"
                }
            cursor = record.get(b"p", b"").decode() or None
        kept = {cid for cid, _ in keep}
        used = {blob_field(ch, ver) for _, cp in keep for ch, ver in cp["channel_versions"].items()}
        unused = [f for f in fields if f not in used]
        cmds = self._drop(thread_id, ns, [cid for cid in ids if cid not in kept])
        if unused:
            cmds.append(("HDEL", k.blobs(thread_id, ns), *unused))
        if cmds:
            yield Batch(cmds, atomic=True)
