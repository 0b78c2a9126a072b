"""Interrupt in one process, resume in another; Redis going away mid-run and coming back."""

from __future__ import annotations

import json
import operator
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
import redis
from langgraph.graph import END, START, StateGraph

from plantbrain.state import PrivateRedis, RedisSaver, RedisUnavailableError, find_redis_server

ROOT = Path(__file__).resolve().parents[2]


def run_process(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.state.approval_graph", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_interrupt_then_resume_in_a_new_process(redis_url: str, key_prefix: str) -> None:
    first = run_process(redis_url, key_prefix, "incident-7", "start")
    assert first == {"interrupts": [{"question": "Approve WO-P-201-coolant?", "risk": "critical"}]}

    # Between the two processes, the pending interrupt is visible to anyone reading Redis.
    with RedisSaver.from_url(redis_url, prefix=key_prefix) as saver:
        latest = saver.get_tuple({"configurable": {"thread_id": "incident-7"}})
        assert latest is not None
        assert latest.checkpoint["channel_values"]["work_order"] == "WO-P-201-coolant"
        assert any(channel == "__interrupt__" for _, channel, _ in latest.pending_writes or [])

    second = run_process(redis_url, key_prefix, "incident-7", "resume", "approved by T-04")
    assert second["next"] == []
    state = second["state"]
    assert state["decision"] == "approved by T-04"
    # diagnose ran once, in the first process; approve completed once, after the resume.
    assert state["visits"] == ["diagnose", "approve", "execute"]


class Count(TypedDict, total=False):
    visits: Annotated[list[str], operator.add]


def six_steps(on_step: dict[str, Any]) -> Any:
    graph = StateGraph(Count)
    names = [f"step{i}" for i in range(1, 7)]

    def make(name: str) -> Any:
        def node(state: Count) -> Count:
            hook = on_step.get(name)
            if hook:
                hook()
            return {"visits": [name]}

        return node

    for name in names:
        graph.add_node(name, make(name))
    graph.add_edge(START, names[0])
    for a, b in zip(names, names[1:], strict=False):
        graph.add_edge(a, b)
    graph.add_edge(names[-1], END)
    return graph


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_redis_lost_mid_run_then_resume_loses_nothing(tmp_path: Path, durability: Any) -> None:
    executable = find_redis_server()
    assert executable is not None
    server = PrivateRedis(data_dir=tmp_path / "redis", executable=executable, persist=True)
    url = server.start()
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    hooks: dict[str, Any] = {}
    saver = RedisSaver.from_url(url, prefix="outage")
    app = six_steps(hooks).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "shift-A"}}
    restarted: list[subprocess.Popen[bytes]] = []
    try:
        # Redis stops (SIGTERM: it writes its append-only file and exits) while step 3 runs.
        hooks["step3"] = lambda: server.stop()
        with pytest.raises(RedisUnavailableError) as failure:
            app.invoke({"visits": []}, config, durability=durability)
        assert f"127.0.0.1:{port}" in str(failure.value)
        assert "unreachable" in str(failure.value)

        # Redis comes back on the same address with the same data.
        hooks.clear()
        restarted.append(
            subprocess.Popen(
                [executable, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path / "redis"),
                 "--appendonly", "yes", "--save", ""],
                stdout=subprocess.DEVNULL,
            )
        )  # fmt: skip
        probe = redis.Redis(port=port, socket_connect_timeout=0.2)
        for _ in range(200):
            try:
                if probe.ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        probe.close()

        before = app.get_state(config)
        if durability == "sync":
            # Every step's checkpoint was written before the next step began.
            assert before.values["visits"] == ["step1", "step2"]
            assert before.next == ("step3",)
        else:
            # Checkpoints are written in the background: the newest ones may not have reached
            # Redis before it went away; what did reach it is intact.
            assert before.values["visits"] in ([], ["step1"], ["step1", "step2"])
        final = app.invoke(None, config)
        assert final["visits"] == ["step1", "step2", "step3", "step4", "step5", "step6"]
        steps = [s.metadata["step"] for s in app.get_state_history(config) if s.metadata]
        assert steps == sorted(steps, reverse=True) and steps[-1] == -1
    finally:
        saver.close()
        for proc in restarted:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
        server.stop()
