"""The project's step-depth suite (evals/depth): its shape, and the rules brain on it.

The gate runs a representative slice (every `STRIDE`-th task in id order, and every task of a depth
with few tasks, which keeps every depth, both languages and every kind of task) with one trial, plus a handful with three trials for
determinism; the whole suite with five trials is `plantbrain eval --k 5` (see the README table).
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter

import pytest

import agents._scheduling_agent as scheduling
from agents import RulesBrain
from plantbrain._eval_cli import load
from plantbrain._eval_run import run_suite, run_trial
from plantbrain._eval_tasks import EvalTask, default_suite

STRIDE = 4
"""The gate runs every fourth task of the suite."""
SPECIALISTS = {"alarm_triage", "maintenance", "scheduling", "quality"}
KINDS = {"read_only", "cross", "conditional", "loop"}


@pytest.fixture(scope="module")
def suite() -> list[EvalTask]:
    return load(None)


@pytest.fixture(autouse=True)
def quick_repairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """An incident task runs the scheduling specialist's CP-SAT repair: a 2 s budget instead of 10 s
    keeps the gate quick (as in the intent catalogue's tests); no milestone depends on the schedule's
    quality, and the one-worker search is deterministic either way."""
    fast = functools.partial(
        scheduling.scheduling_agent, policy=scheduling.SchedulingPolicy(time_limit_s=2.0)
    )
    monkeypatch.setattr(scheduling, "scheduling_agent", fast)


def test_the_suite_has_the_promised_shape(suite: list[EvalTask]) -> None:
    assert len(suite) >= 400
    depths = Counter(t.depth for t in suite)
    assert all(depths[d] >= 30 for d in range(1, 9)), depths
    assert max(depths) >= 10 and sum(n for d, n in depths.items() if d >= 9) >= 20, depths
    langs = Counter(t.lang for t in suite)
    assert abs(langs["en"] - langs["zh"]) <= 0.1 * len(suite), langs
    tags = Counter(tag for t in suite for tag in t.tags)
    assert all(tags[s] >= 20 for s in SPECIALISTS), tags
    assert all(tags[k] >= 15 for k in KINDS), tags
    assert len({t.utterance for t in suite}) >= 0.95 * len(suite), "utterances repeat"
    writes = [t for t in suite if t.milestones and "read_only" not in t.tags]
    assert all(t.minefields for t in writes), [t.id for t in writes if not t.minefields][:5]


def test_rules_brain_on_a_slice_of_the_suite(suite: list[EvalTask]) -> None:
    ordered = sorted(suite, key=lambda t: t.id)
    depths = Counter(t.depth for t in suite)
    rare = {d for d, n in depths.items() if n < 3 * STRIDE}  # all of a depth with few tasks
    chosen = [t for i, t in enumerate(ordered) if i % STRIDE == 0 or t.depth in rare]
    assert {t.depth for t in chosen} == {t.depth for t in suite}
    report = asyncio.run(run_suite(chosen, RulesBrain, k=1))
    failed = [(r.id, r.missing[:2], r.minefields[:2], r.diverged_at) for r in report.failures]
    for depth, figures in report.by_depth.items():
        floor = 0.99 if int(depth) <= 8 else 0.97
        assert figures.success >= floor, (depth, figures, failed)
    assert report.overall.minefields == 0, failed


def test_trials_repeat_exactly(suite: list[EvalTask]) -> None:
    """pass^k equals Success: the rules brain on a seeded sandbox does the same thing every time
    (same calls, same answer, same score)."""
    by_depth: dict[int, EvalTask] = {}
    for t in sorted(suite, key=lambda t: t.id):
        by_depth.setdefault(t.depth, t)
    chosen = [by_depth[d] for d in sorted(by_depth)][:8]

    async def go() -> None:
        for task in chosen:
            trials = [await run_trial(task, RulesBrain(), trial=n) for n in (1, 2, 3)]
            first = trials[0]
            for r in trials[1:]:
                assert (r.success, r.calls, r.answer, r.progress) == (
                    first.success,
                    first.calls,
                    first.answer,
                    first.progress,
                ), task.id

    asyncio.run(go())


def test_phrasings_the_rules_brain_once_missed() -> None:
    """evals/depth/phrasings.jsonl, all of it: "how healthy is PRS-1?", "…on GRD-2, priority 2",
    "3号数控机床做一下SPC检查", "否则" in a condition, "二线的事故处理一下", …"""
    chosen = load(default_suite() / "phrasings.jsonl")
    assert len(chosen) >= 20
    report = asyncio.run(run_suite(chosen, RulesBrain, k=1))
    assert report.overall.success == 1.0, [(r.id, r.missing[:2]) for r in report.failures]
