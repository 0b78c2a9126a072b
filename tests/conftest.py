"""Shared test configuration: where the public data sets are (`--data-dir`)."""

from __future__ import annotations

from pathlib import Path

import pytest

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


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
