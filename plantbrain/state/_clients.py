"""The redis-py clients behind a saver or a store, and running plans on them.

`RedisSaver` and `RedisStore` both take one client (sync or async, standalone or cluster) or
build both from a URL; both run their plans through the drivers of `_exec`. That shared part
lives here once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.cluster

from plantbrain.state._exec import (
    AsyncClient,
    Plan,
    SyncClient,
    check_binary,
    is_cluster,
    iter_async,
    iter_sync,
    run_async,
    run_sync,
)

R = TypeVar("R")


def url_clients(url: str, cluster: bool) -> tuple[SyncClient, AsyncClient]:
    """A sync and an async client for one URL."""
    if cluster:
        return redis.cluster.RedisCluster.from_url(url), redis.asyncio.cluster.RedisCluster.from_url(url)
    return redis.Redis.from_url(url), redis.asyncio.Redis.from_url(url)


class Clients:
    """Holds the clients; with only a sync client the async methods run it in a worker thread,
    with only an async client the sync methods refuse with `async_only_hint`."""

    async_only_hint: ClassVar[str] = "use the async methods"
    _sync: SyncClient | None
    _async: AsyncClient | None
    _owns_clients: bool
    _cluster: bool

    def _bind(self, client: SyncClient | AsyncClient) -> None:
        self._sync, self._async, self._owns_clients = None, None, False
        if isinstance(client, redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster):
            self._async = client
        elif isinstance(client, redis.Redis | redis.cluster.RedisCluster):
            self._sync = client
        else:
            raise TypeError(f"{type(self).__name__} needs a redis-py client, got {type(client).__name__}")
        check_binary(client)
        self._cluster = is_cluster(client)

    def _own(self, aio: AsyncClient) -> Self:
        """Take `aio` as the async client and close both clients on `close()`."""
        self._async, self._owns_clients = aio, True
        return self

    def close(self) -> None:
        if self._owns_clients and self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        if self._owns_clients:
            if self._async is not None:
                await self._async.aclose()
            if self._sync is not None:
                self._sync.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def _client(self) -> SyncClient:
        if self._sync is None:
            name = type(self).__name__
            raise RuntimeError(
                f"this {name} was built from an async client: {self.async_only_hint}, "
                f"or build it with {name}.from_url(url) to use the sync methods as well"
            )
        return self._sync

    def _run(self, plan: Plan[R]) -> R:
        return run_sync(self._client(), plan)

    async def _arun(self, plan: Plan[R]) -> R:
        if self._async is not None:
            return await run_async(self._async, plan)
        return await asyncio.to_thread(run_sync, self._client(), plan)

    def _iter(self, plan: Plan[None]) -> Iterator[Any]:
        return iter_sync(self._client(), plan)

    async def _aiter(self, plan: Plan[None]) -> AsyncIterator[Any]:
        if self._async is not None:
            async for item in iter_async(self._async, plan):
                yield item
            return
        items = iter_sync(self._client(), plan)
        done = object()
        while (item := await asyncio.to_thread(next, items, done)) is not done:
            yield item
