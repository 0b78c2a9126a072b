"""One implementation of the Redis logic, driven by a sync or an async client.

The saver and the store write their logic once, as *plans*: generators that yield a
`Batch` of Redis commands and receive the batch's replies. `run_sync` and `run_async`
drive a plan with a `redis.Redis`/`RedisCluster` or a `redis.asyncio` client; nothing
else differs between `invoke` and `ainvoke`. A plan that produces items (`list`,
`search`) yields `Emit(item)` between batches.

A batch is one round trip: a pipeline, inside MULTI/EXEC when `atomic`. Commands in
`side` touch keys outside the thread's hash slot (global indexes); on a standalone server
they travel in the same pipeline, on a cluster they go first in their own pipeline, so an
index never misses an entry whose data exists.

Exceptions: `RedisUnavailableError` (connection refused, reset, timed out; on a cluster
also redis-py's "cannot be connected" when no node answers) names the address and is
raised `from` the redis-py error here and nowhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster
from redis.exceptions import AuthenticationError, RedisClusterException
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

Cmd = tuple[Any, ...]
SyncClient = redis.Redis | redis.cluster.RedisCluster
AsyncClient = redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Batch:
    """Commands sent in one round trip; the plan receives one reply per command in `cmds`."""

    cmds: Sequence[Cmd]
    atomic: bool = False
    """Wrap `cmds` in MULTI/EXEC (all their keys share one hash slot)."""
    side: Sequence[Cmd] = field(default_factory=tuple)
    """Idempotent writes to keys in other slots, applied before `cmds`; replies dropped."""


@dataclass(frozen=True, slots=True)
class Emit:
    """An item a listing plan hands to its caller."""

    item: Any


Step = Batch | Emit
Plan = Generator[Step, list[Any], R]
"""A plan receives the replies of each batch it yields (an empty list after an `Emit`)."""


class RedisUnavailableError(ConnectionError):
    """Redis did not answer; the message names the address and what to check."""


def describe(client: SyncClient | AsyncClient) -> str:
    """The address of a client, for error messages: `redis://host:port/db` or the socket path."""
    if isinstance(client, redis.cluster.RedisCluster | redis.asyncio.cluster.RedisCluster):
        # An async cluster client learns its nodes on first use: before that, name the seeds.
        nodes = list(client.get_nodes()) or list(client.nodes_manager.startup_nodes.values())
        names = sorted(f"{n.host}:{n.port}" for n in nodes)
        return "redis cluster " + (",".join(names) if names else "(no nodes)")
    kw = client.get_connection_kwargs()
    if kw.get("path"):
        return f"unix://{kw['path']}"
    return f"redis://{kw.get('host', 'localhost')}:{kw.get('port', 6379)}/{kw.get('db', 0)}"


def is_cluster(client: SyncClient | AsyncClient) -> bool:
    return isinstance(client, redis.cluster.RedisCluster | redis.asyncio.cluster.RedisCluster)


def check_binary(client: SyncClient | AsyncClient) -> None:
    """Checkpoints are bytes: a client that decodes replies to str would corrupt them."""
    if client.get_encoder().decode_responses:
        raise ValueError(
            "the Redis client decodes responses to str; plantbrain stores bytes. "
            "Create it with decode_responses=False (the default), or use from_url()."
        )


def _unavailable(client: SyncClient | AsyncClient, exc: Exception) -> RedisUnavailableError:
    if isinstance(exc, AuthenticationError):
        return RedisUnavailableError(
            f"Redis at {describe(client)} refused the credentials ({exc}); "
            "fix the user name or password in REDIS_URL"
        )
    return RedisUnavailableError(
        f"Redis at {describe(client)} is unreachable ({exc}); check that it is running "
        "(REDIS_URL). What was written before is kept: resume once Redis is back"
    )


def _unreachable(exc: Exception) -> bool:
    """A lost connection; a cluster client with no node left wraps it in RedisClusterException."""
    cause = exc.__cause__ if isinstance(exc, RedisClusterException) else exc
    return isinstance(cause, RedisConnectionError | RedisTimeoutError)


def _split(batch: Batch, cluster: bool) -> tuple[list[Cmd], list[Cmd]]:
    """(first pipeline, second pipeline); the plan's replies come from the last `len(cmds)`."""
    if cluster and batch.side:
        return list(batch.side), list(batch.cmds)
    return [], [*batch.side, *batch.cmds]


def _lone_script(client: redis.Redis, cmd: Cmd) -> Any:
    """One Lua call on a pooled connection, skipping redis-py's per-call machinery.

    That machinery (retry wrapper, observability hooks, reply callbacks) costs about 40 us of
    Python a call, and a checkpointed step makes two such calls (its writes, its checkpoint)
    in LangGraph's background threads, where that Python competes with the graph for the GIL.
    A dead pooled connection raises here; `exec_sync` drops the pool and sends the batch once
    more (the scripts sent this way, checkpoint and task writes, are idempotent).
    """
    pool = client.connection_pool
    try:
        conn = pool.get_connection()
    except (ValueError, OSError) as exc:
        # Another thread dropped the pool (`exec_sync`'s retry) while redis-py probed this pooled
        # connection: its read buffer is closed under it. That is a lost connection, not a bug.
        raise RedisConnectionError(f"connection closed while in use: {exc}") from exc
    try:
        conn.send_command(*cmd)  # type: ignore[no-untyped-call]
        return conn.read_response()
    except (RedisConnectionError, RedisTimeoutError):
        conn.disconnect()  # type: ignore[no-untyped-call]
        raise
    except (ValueError, OSError) as exc:
        conn.disconnect()  # type: ignore[no-untyped-call]
        raise RedisConnectionError(f"connection closed while in use: {exc}") from exc
    finally:
        pool.release(conn)


def exec_sync(client: SyncClient, batch: Batch) -> list[Any]:
    for attempt in range(2):
        try:
            return _send_sync(client, batch)
        except (RedisConnectionError, RedisTimeoutError, RedisClusterException) as exc:
            if not _unreachable(exc):
                raise
            if attempt == 0 and _retryable(client, exc):
                client.connection_pool.disconnect()  # type: ignore[union-attr]
                continue
            raise _unavailable(client, exc) from exc
    raise AssertionError("unreachable")


async def exec_async(client: AsyncClient, batch: Batch) -> list[Any]:
    for attempt in range(2):
        try:
            return await _send_async(client, batch)
        except (RedisConnectionError, RedisTimeoutError, RedisClusterException) as exc:
            if not _unreachable(exc):
                raise
            if attempt == 0 and _retryable(client, exc):
                await client.connection_pool.disconnect()  # type: ignore[union-attr]
                continue
            raise _unavailable(client, exc) from exc
    raise AssertionError("unreachable")


def _retryable(client: SyncClient | AsyncClient, exc: Exception) -> bool:
    """Once, on a standalone server, after a dropped connection: pooled connections may be stale
    after a Redis restart (the async pool does not check them). Every batch is idempotent."""
    return not is_cluster(client) and not isinstance(exc, AuthenticationError | RedisTimeoutError)


def _send_sync(client: SyncClient, batch: Batch) -> list[Any]:
    first, second = _split(batch, is_cluster(client))
    if first:
        pipe = client.pipeline(transaction=False)
        for cmd in first:
            pipe.execute_command(*cmd)
        pipe.execute()
    if len(second) == 1 and second[0][0] == "EVAL" and type(client) is redis.Redis:
        replies = [_lone_script(client, second[0])]
    elif len(second) == 1:  # no pipeline machinery for a lone command
        replies = [client.execute_command(*second[0])]  # type: ignore[no-untyped-call]
    else:
        pipe = client.pipeline(transaction=batch.atomic)
        for cmd in second:
            pipe.execute_command(*cmd)
        replies = pipe.execute()
    return list(replies[len(second) - len(batch.cmds) :])


async def _send_async(client: AsyncClient, batch: Batch) -> list[Any]:
    first, second = _split(batch, is_cluster(client))
    if isinstance(client, redis.asyncio.cluster.RedisCluster):
        # redis-py queues each command of an async cluster MULTI through asyncio.run() in a
        # thread; a client not yet initialised would tie its node connections to that
        # short-lived loop. Initialising is a no-op once done.
        await client.initialize()
    if first:
        apipe = client.pipeline(transaction=False)
        for cmd in first:
            apipe.execute_command(*cmd)
        await apipe.execute()
    if len(second) == 1:
        replies = [await client.execute_command(*second[0])]
    else:
        apipe = client.pipeline(transaction=batch.atomic)
        for cmd in second:
            apipe.execute_command(*cmd)
        replies = await apipe.execute()
    return list(replies[len(second) - len(batch.cmds) :])


def run_sync(client: SyncClient, plan: Plan[R]) -> R:
    """Drive a plan that does not emit items to its result."""
    try:
        step = next(plan)
        while True:
            if isinstance(step, Emit):
                raise TypeError("run_sync() got an emitting plan; use iter_sync()")
            step = plan.send(exec_sync(client, step))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def run_async(client: AsyncClient, plan: Plan[R]) -> R:
    try:
        step = next(plan)
        while True:
            if isinstance(step, Emit):
                raise TypeError("run_async() got an emitting plan; use iter_async()")
            step = plan.send(await exec_async(client, step))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def iter_sync(client: SyncClient, plan: Plan[None]) -> Iterator[Any]:
    """Drive a listing plan, yielding what it emits as it goes."""
    reply: list[Any] | None = None
    while True:
        try:
            step = next(plan) if reply is None else plan.send(reply)
        except StopIteration:
            return
        if isinstance(step, Emit):
            reply = []
            yield step.item
        else:
            reply = exec_sync(client, step)


async def iter_async(client: AsyncClient, plan: Plan[None]) -> AsyncIterator[Any]:
    reply: list[Any] | None = None
    while True:
        try:
            step = next(plan) if reply is None else plan.send(reply)
        except StopIteration:
            return
        if isinstance(step, Emit):
            reply = []
            yield step.item
        else:
            reply = await exec_async(client, step)


def key_part(text: str) -> str:
    """A string made safe inside a key: no `{`/`}` (they would move the hash tag), no `:`."""
    return text.replace("%", "%25").replace("{", "%7B").replace("}", "%7D").replace(":", "%3A")


def check_prefix(prefix: str) -> str:
    if not prefix or "{" in prefix or "}" in prefix:
        raise ValueError(f"key prefix {prefix!r} must be non-empty and contain no '{{' or '}}'")
    return prefix
