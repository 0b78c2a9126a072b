"""Where a checkpoint lives in Redis, and how its records are packed.

Every key of one thread carries the hash tag `{t:<thread>}`, so a thread lives in one
cluster slot and its writes can be one MULTI/EXEC. Under prefix P (default `plantbrain:cp`):

    P:{t:T}:k             SET   every key of the thread (delete, copy, TTL walk it)
    P:{t:T}:ns            SET   the thread's checkpoint namespaces
    P:{t:T}:i:NS          ZSET  checkpoint ids of one namespace (score 0, ordered by id)
    P:{t:T}:c:NS:ID       HASH  c=checkpoint (without values) m=metadata p=parent r=run id
    P:{t:T}:w:NS:ID       HASH  pending writes: "task\\0idx" -> channel, task path, value
    P:{t:T}:b:NS          HASH  channel values: "channel\\0version" -> value
    P:{r:R}:run           SET   (thread, ns, id) of each checkpoint of run R (other slots)
    P:threads             SET   every thread id, for list(None) (another slot)

Values are `(type, bytes)` pairs from LangGraph's serializer, packed with length prefixes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from plantbrain.state._exec import key_part

_LEN = struct.Struct(">I")


def pack(*parts: bytes) -> bytes:
    return b"".join(_LEN.pack(len(p)) + p for p in parts)


def unpack(data: bytes) -> list[bytes]:
    parts: list[bytes] = []
    pos = 0
    while pos < len(data):
        (size,) = _LEN.unpack_from(data, pos)
        pos += _LEN.size
        parts.append(data[pos : pos + size])
        pos += size
    return parts


def pack_typed(typed: tuple[str, bytes]) -> bytes:
    return pack(typed[0].encode(), typed[1])


def unpack_typed(data: bytes) -> tuple[str, bytes]:
    kind, payload = unpack(data)
    return kind.decode(), payload


def blob_field(channel: str, version: str | int | float) -> bytes:
    return f"{channel}\0{version}".encode()


def write_field(task_id: str, idx: int) -> bytes:
    return f"{task_id}\0{idx}".encode()


@dataclass(frozen=True, slots=True)
class Keys:
    """Key names under one prefix."""

    prefix: str

    def tag(self, thread_id: str) -> str:
        return f"{self.prefix}:{{t:{key_part(thread_id)}}}"

    def keyset(self, thread_id: str) -> str:
        return f"{self.tag(thread_id)}:k"

    def namespaces(self, thread_id: str) -> str:
        return f"{self.tag(thread_id)}:ns"

    def index(self, thread_id: str, ns: str) -> str:
        return f"{self.tag(thread_id)}:i:{key_part(ns)}"

    def checkpoint(self, thread_id: str, ns: str, checkpoint_id: str) -> str:
        return f"{self.tag(thread_id)}:c:{key_part(ns)}:{checkpoint_id}"

    def writes(self, thread_id: str, ns: str, checkpoint_id: str) -> str:
        return f"{self.tag(thread_id)}:w:{key_part(ns)}:{checkpoint_id}"

    def blobs(self, thread_id: str, ns: str) -> str:
        return f"{self.tag(thread_id)}:b:{key_part(ns)}"

    def run(self, run_id: str) -> str:
        return f"{self.prefix}:{{r:{key_part(run_id)}}}:run"

    @property
    def threads(self) -> str:
        return f"{self.prefix}:threads"

    def retag(self, key: bytes | str, source: str, target: str) -> str:
        """The name `key` of thread `source` gets in thread `target`."""
        name = key.decode() if isinstance(key, bytes) else key
        head = self.tag(source)
        if not name.startswith(head):
            raise ValueError(f"key {name!r} does not belong to thread {source!r}")
        return self.tag(target) + name[len(head) :]
