"""Where `RedisStore` keeps long-term memory in Redis, and what it means for a value to match.

Every key of one namespace carries the hash tag `{s:<namespace>}` (the labels joined by `.`,
which LangGraph forbids inside a label), so a namespace lives in one cluster slot and a write
to it is one MULTI/EXEC. Under prefix P (default `plantbrain:store`):

    P:{s:NS}:i:KEY     HASH    v=value (JSON) c=created_at u=updated_at (ISO UTC) t=TTL in ms
    P:{s:NS}:u         ZSET    the namespace's keys, score -updated_at in µs (newest first)
    P:{s:NS}:gone      STRING  tombstone: `list_namespaces` saw the namespace empty (1 h)
    P:namespaces       ZSET    every namespace that may hold items, score 0 (another slot)

An item with a TTL is a key with PEXPIRE: Redis drops it on time. Its entry in `:u` stays
until a search meets it and `PRUNE` removes it; a namespace stays in `P:namespaces` until
`list_namespaces` finds it empty (`SWEEP`). Scripts name an item key from an index member
(`ESCAPE` is `key_part` in Lua); that key is in the slot of the keys the script was given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from langgraph.store.base import MatchCondition

from plantbrain.state._exec import key_part

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TOMBSTONE_MS = 3_600_000
"""How long a tombstone outlives the sweep that set it: far longer than one `list_namespaces`."""

ESCAPE = """
local ESC = {['%'] = '%25', ['{'] = '%7B', ['}'] = '%7D', [':'] = '%3A'}
local function item(m) return ARGV[1] .. string.gsub(m, '[%%{}:]', ESC) end
"""

READ = """
-- KEYS: item keys of one namespace; ARGV[1] '1': re-arm the TTL (field t) of each one found.
local out = {}
for i, k in ipairs(KEYS) do
  local r = redis.call('HMGET', k, 'v', 'c', 'u', 't')
  if ARGV[1] == '1' and r[4] then redis.call('PEXPIRE', k, r[4]) end
  out[i] = r
end
return out
"""

PAGE = (
    ESCAPE
    + """
-- KEYS[1] index; ARGV: item key prefix, lowest score (inclusive), entries to skip, count.
-- Per entry: key, score, {v, c, u, t} (all nil once the item expired).
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[2], '+inf', 'WITHSCORES', 'LIMIT', ARGV[3], ARGV[4])
local out = {}
for i = 1, #rows, 2 do
  out[#out + 1] = rows[i]
  out[#out + 1] = rows[i + 1]
  out[#out + 1] = redis.call('HMGET', item(rows[i]), 'v', 'c', 'u', 't')
end
return out
"""
)

PRUNE = """
-- KEYS[1] index, KEYS[2..] item keys; ARGV: their index entries. Drops entries whose item is gone.
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 0 then redis.call('ZREM', KEYS[1], ARGV[i - 1]) end
end
return 0
"""

SWEEP = (
    ESCAPE
    + """
-- KEYS[1] index, KEYS[2] tombstone; ARGV: item key prefix, tombstone TTL (ms).
-- 1 if the namespace holds a live item; else drops its dead entries, sets the tombstone, 0.
while true do
  local ms = redis.call('ZRANGE', KEYS[1], 0, 99)
  if #ms == 0 then break end
  for _, m in ipairs(ms) do
    if redis.call('EXISTS', item(m)) == 1 then return 1 end
    redis.call('ZREM', KEYS[1], m)
  end
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
return 0
"""
)


@dataclass(frozen=True, slots=True)
class StoreKeys:
    """Key names under one prefix; `ns` is a namespace as text (`ns_text`)."""

    prefix: str

    def tag(self, ns: str) -> str:
        return f"{self.prefix}:{{s:{key_part(ns)}}}"

    def items(self, ns: str) -> str:
        """What an item key starts with; the rest is `key_part(key)`."""
        return f"{self.tag(ns)}:i:"

    def item(self, ns: str, key: str) -> str:
        return self.items(ns) + key_part(key)

    def index(self, ns: str) -> str:
        return f"{self.tag(ns)}:u"

    def tombstone(self, ns: str) -> str:
        return f"{self.tag(ns)}:gone"

    @property
    def namespaces(self) -> str:
        return f"{self.prefix}:namespaces"


def ns_text(namespace: Sequence[str]) -> str:
    return ".".join(namespace)


def ns_tuple(text: bytes | str) -> tuple[str, ...]:
    return tuple((text.decode() if isinstance(text, bytes) else text).split("."))


def now_utc() -> tuple[str, int]:
    """(ISO timestamp, microseconds since the epoch) of one instant."""
    now = datetime.now(UTC)
    return now.isoformat(), (now - EPOCH) // timedelta(microseconds=1)


def dump_value(value: Mapping[str, Any]) -> bytes:
    try:
        return json.dumps(dict(value), sort_keys=True, ensure_ascii=False).encode()
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"RedisStore keeps values as JSON ({exc}); pass a dict of str keys to JSON values "
            "(str, int, float, bool, None, lists, dicts), e.g. datetimes as ISO strings"
        ) from exc


def load_fields(fields: Sequence[bytes | None]) -> tuple[dict[str, Any], datetime, datetime]:
    """(value, created_at, updated_at) from the fields `v c u` of an item's hash."""
    raw, created, updated = fields[0], fields[1], fields[2]
    if raw is None or updated is None:
        raise ValueError("an item hash without v or u: it was not written by RedisStore")
    updated_at = datetime.fromisoformat(updated.decode())
    created_at = datetime.fromisoformat(created.decode()) if created else updated_at
    return json.loads(raw), created_at, updated_at


# -- filters and namespace conditions, as LangGraph's InMemoryStore reads them ---------------


def matches(value: Mapping[str, Any], filter: Mapping[str, Any]) -> bool:
    return all(_compare(value.get(key), wanted) for key, wanted in filter.items())


def _compare(have: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        if any(k.startswith("$") for k in wanted):
            return all(_apply(have, op, operand) for op, operand in wanted.items())
        return isinstance(have, dict) and all(_compare(have.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list | tuple):
        return (
            isinstance(have, list | tuple)
            and len(have) == len(wanted)
            and all(_compare(h, w) for h, w in zip(have, wanted, strict=True))
        )
    return bool(have == wanted)


_ORDER = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _apply(have: Any, op: str, operand: Any) -> bool:
    if op == "$eq":
        return bool(have == operand)
    if op == "$ne":
        return bool(have != operand)
    if op not in _ORDER:
        raise ValueError(f"unsupported filter operator {op!r}: use $eq $ne $gt $gte $lt $lte")
    try:
        return bool(_ORDER[op](float(have), float(operand)))
    except (TypeError, ValueError):
        # InMemoryStore raises here; a missing or non-numeric field simply does not match.
        return False


def match_namespace(condition: MatchCondition, namespace: tuple[str, ...]) -> bool:
    path = tuple(condition.path)
    if len(namespace) < len(path):
        return False
    if condition.match_type == "prefix":
        part = namespace[: len(path)]
    elif condition.match_type == "suffix":
        part = namespace[len(namespace) - len(path) :]
    else:
        raise ValueError(f"unsupported match type {condition.match_type!r}: use 'prefix' or 'suffix'")
    return all(p in ("*", n) for p, n in zip(path, part, strict=True))


def literal_head(conditions: Sequence[MatchCondition]) -> tuple[str, ...]:
    """The longest wildcard-free start of a prefix condition: all candidates begin with it."""
    best: tuple[str, ...] = ()
    for condition in conditions:
        if condition.match_type != "prefix":
            continue
        head: list[str] = []
        for label in condition.path:
            if label == "*":
                break
            head.append(label)
        if len(head) > len(best):
            best = tuple(head)
    return best
