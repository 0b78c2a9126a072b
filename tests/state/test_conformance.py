"""LangGraph's own checkpointer conformance suite, against RedisSaver on a real Redis.

Every base and every extended capability must be detected and pass; none may be skipped.
Run twice: with native async clients (`from_url`) and with a sync client only (the async
methods then drive the sync code path in a worker thread).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import redis
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES
from langgraph.checkpoint.conformance.report import CapabilityReport

from plantbrain.state import RedisSaver


def run_conformance(make: Callable[[], RedisSaver], name: str) -> CapabilityReport:
    async def factory() -> AsyncIterator[RedisSaver]:
        saver = make()
        try:
            yield saver
        finally:
            await saver.aclose()

    registered = checkpointer_test(name=name)(factory)
    return asyncio.run(validate(registered))


def assert_all_passed(report: CapabilityReport) -> None:
    assert set(report.results) == {c.value for c in ALL_CAPABILITIES}
    problems = {
        cap: (result.detected, result.passed, result.tests_skipped, result.failures)
        for cap, result in report.results.items()
        if not (result.detected and result.passed and result.tests_skipped == 0 and result.tests_passed > 0)
    }
    assert not problems, f"capabilities not passing: {problems}"
    assert report.passed_all_base()


@pytest.mark.parametrize("clients", ["from_url", "sync_client"])
def test_conformance_base_and_extended(redis_url: str, key_prefix: str, clients: str) -> None:
    def make() -> RedisSaver:
        if clients == "from_url":
            return RedisSaver.from_url(redis_url, prefix=key_prefix)
        return RedisSaver(redis.Redis.from_url(redis_url), prefix=key_prefix)

    report = run_conformance(make, f"RedisSaver[{clients}]")
    assert_all_passed(report)
    total = sum(r.tests_passed for r in report.results.values())
    assert total >= 80, f"only {total} conformance tests ran"
