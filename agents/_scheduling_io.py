"""Pure parsers for public scheduling benchmarks: classical job shop, Brandimarte FJSP, best-knowns.

Text in, `SchedulingProblem` out; reading the files is the caller's business. Machines are named `M0`,
`M1`, ... (0-based, as in the files) and jobs `J0`, `J1`, ... in file order.

- Classical job shop (SchedulingLab/jsp-instances, e.g. `ft/ft06.txt`): first line
  `jobs machines`, then one line per job of `machine time` pairs, machines 0-based.
- Brandimarte FJSP (SchedulingLab/fjsp-instances, `brandimarte/mkNN.txt`): first line
  `jobs machines [average alternatives]`, then one line per job: the number of operations, then
  per operation `k` followed by k `machine time` pairs. This copy is 0-based; the original
  publication is 1-based, so a file mentioning machine number `machines` (and never 0) is read
  as 1-based.
- Best-knowns (`classical.json`, `instances.json`): a list of
  `{name, jobs, machines, optimum|null, bounds{upper, lower}?, path}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agents._scheduling_model import Alternative, Job, Operation, SchedulingProblem


class InstanceFormatError(ValueError):
    """The text is not an instance of the expected format; the message says where."""


@dataclass(frozen=True, kw_only=True, slots=True)
class BestKnown:
    """Published optimum or bounds of a benchmark instance."""

    name: str
    """Instance name, e.g. 'ft06'."""
    lower: int
    """Best known lower bound (the optimum when proven)."""
    upper: int
    """Best known makespan (the optimum when proven)."""
    path: str
    """Path of the instance file relative to the catalogue."""

    @property
    def optimal(self) -> bool:
        """Whether the optimum is known (bounds closed)."""
        return self.lower == self.upper


def parse_jsp(text: str, *, name: str = "") -> SchedulingProblem:
    """Parse a classical job-shop instance (`jobs machines`, then `machine time` pairs per job)."""
    rows = _rows(text)
    n_jobs, n_machines = _header(rows, name)
    if len(rows) < n_jobs + 1:
        raise InstanceFormatError(
            f"{name or 'instance'}: header says {n_jobs} jobs, found {len(rows) - 1} lines."
        )
    machines = tuple(f"M{m}" for m in range(n_machines))
    jobs: list[Job] = []
    for j, row in enumerate(rows[1 : n_jobs + 1]):
        if len(row) % 2:
            raise InstanceFormatError(f"{name or 'instance'}: job line {j + 1} has an odd number of fields.")
        operations = tuple(
            Operation(alternatives=(_alt(row[i], row[i + 1], n_machines, 0, name),))
            for i in range(0, len(row), 2)
        )
        jobs.append(Job(id=f"J{j}", operations=operations))
    return SchedulingProblem(machines=machines, jobs=tuple(jobs), name=name)


def parse_fjsp(text: str, *, name: str = "") -> SchedulingProblem:
    """Parse a Brandimarte-format flexible job-shop instance (0- or 1-based machines, detected)."""
    rows = _rows(text)
    n_jobs, n_machines = _header(rows, name)
    if len(rows) < n_jobs + 1:
        raise InstanceFormatError(
            f"{name or 'instance'}: header says {n_jobs} jobs, found {len(rows) - 1} lines."
        )
    parsed: list[list[list[tuple[int, int]]]] = []
    for j, row in enumerate(rows[1 : n_jobs + 1]):
        parsed.append(_fjsp_job(row, j, name))
    used = {m for job in parsed for op in job for m, _ in op}
    offset = 1 if n_machines in used and 0 not in used else 0
    machines = tuple(f"M{m}" for m in range(n_machines))
    jobs = tuple(
        Job(
            id=f"J{j}",
            operations=tuple(
                Operation(alternatives=tuple(_alt(m, d, n_machines, offset, name) for m, d in op))
                for op in job
            ),
        )
        for j, job in enumerate(parsed)
    )
    return SchedulingProblem(machines=machines, jobs=jobs, name=name)


def parse_best_known(text: str) -> dict[str, BestKnown]:
    """Parse a `classical.json` / `instances.json` catalogue into best-knowns keyed by name."""
    try:
        entries = json.loads(text)
    except json.JSONDecodeError as error:
        raise InstanceFormatError(f"best-known catalogue is not JSON: {error}") from error
    if not isinstance(entries, list):
        raise InstanceFormatError("best-known catalogue must be a JSON list of instances.")
    known: dict[str, BestKnown] = {}
    for entry in entries:
        try:
            name = str(entry["name"])
            optimum = entry.get("optimum")
            if optimum is not None:
                lower = upper = int(optimum)
            else:
                lower, upper = int(entry["bounds"]["lower"]), int(entry["bounds"]["upper"])
            known[name] = BestKnown(name=name, lower=lower, upper=upper, path=str(entry.get("path", "")))
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise InstanceFormatError(
                f"best-known entry {entry!r} lacks optimum or bounds: {error!r}"
            ) from error
    return known


def _rows(text: str) -> list[list[int]]:
    rows: list[list[int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        try:
            rows.append([int(f) for f in fields])
        except ValueError as error:
            raise InstanceFormatError(f"line {number} is not all integers: {line.strip()!r}") from error
    return rows


def _header(rows: list[list[int]], name: str) -> tuple[int, int]:
    if not rows or len(rows[0]) < 2:
        raise InstanceFormatError(f"{name or 'instance'}: first line must be 'jobs machines'.")
    return rows[0][0], rows[0][1]


def _fjsp_job(row: list[int], j: int, name: str) -> list[list[tuple[int, int]]]:
    where = f"{name or 'instance'}: job line {j + 1}"
    if not row:
        raise InstanceFormatError(f"{where} is empty.")
    operations: list[list[tuple[int, int]]] = []
    position = 1
    for _ in range(row[0]):
        if position >= len(row):
            raise InstanceFormatError(f"{where} ends before its {row[0]} operations.")
        k = row[position]
        pairs = row[position + 1 : position + 1 + 2 * k]
        if k < 1 or len(pairs) != 2 * k:
            raise InstanceFormatError(
                f"{where}: operation {len(operations)} has a bad alternative count {k}."
            )
        operations.append([(pairs[i], pairs[i + 1]) for i in range(0, 2 * k, 2)])
        position += 1 + 2 * k
    if position != len(row):
        raise InstanceFormatError(f"{where} has {len(row) - position} trailing field(s).")
    return operations


def _alt(machine: int, duration: int, n_machines: int, offset: int, name: str) -> Alternative:
    index = machine - offset
    if not 0 <= index < n_machines or duration < 0:
        raise InstanceFormatError(
            f"{name or 'instance'}: machine {machine} / duration {duration} out of range for {n_machines} machines."
        )
    return Alternative(machine=f"M{index}", duration=duration)
