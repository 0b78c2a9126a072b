"""`plantbrain bench jsp`: the engine against the published best knowns, the dispatching baseline beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from plantbrain._bench_jsp import BRANDIMARTE, catalogue
from plantbrain.cli import app

runner = CliRunner()


@pytest.mark.data
def test_bench_jsp_prints_gaps_to_the_best_known(data_dir: Path) -> None:
    r = runner.invoke(
        app,
        [
            "bench",
            "jsp",
            "--instances",
            "ft06,la01,mk01",
            "--time-limit",
            "3",
            "--json",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    rows = {x["name"]: x for x in out["instances"]}
    assert set(rows) == {"ft06", "la01", "mk01"}
    assert (rows["ft06"]["makespan"], rows["ft06"]["best_known"], rows["ft06"]["gap_pct"]) == (55, 55, 0.0)
    assert (
        rows["la01"]["gap_pct"] == 0.0 and rows["mk01"]["best_known"] == 40 and rows["mk01"]["gap_pct"] <= 2.0
    )
    for x in rows.values():
        assert x["baseline_rule"] in ("spt", "mwkr") and x["baseline_gap_pct"] >= x["gap_pct"]
        assert {"seconds", "baseline_gap_pct", "optimal"} <= set(x)
    assert out["summary"]["jsp-classical"]["n"] == 2


def test_bench_jsp_without_the_data_is_one_clear_line(tmp_path: Path) -> None:
    r = runner.invoke(app, ["bench", "jsp", "--instances", "ft06", "--data-dir", str(tmp_path)])
    assert r.exit_code == 2
    assert "public data not found" in r.output and "--data-dir" in r.output
    assert len(r.output.strip().splitlines()) == 1


@pytest.mark.data
def test_bench_jsp_unknown_instance(data_dir: Path) -> None:
    r = runner.invoke(app, ["bench", "jsp", "--instances", "ft99", "--data-dir", str(data_dir)])
    assert r.exit_code == 2 and "unknown instance(s) ft99" in r.output


@pytest.mark.data
def test_brandimarte_gaps_are_taken_to_the_best_upper_bound_in_the_data_readme(data_dir: Path) -> None:
    everything = catalogue(data_dir)
    known = {name: everything[name][1] for name in BRANDIMARTE}
    uppers = [40, 26, 204, 60, 172, 57, 139, 523, 307, 193]
    assert [known[name].upper for name in BRANDIMARTE] == uppers
    assert known["mk10"].lower == 189  # open: 189-193; the gap is taken to 193
