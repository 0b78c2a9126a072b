"""Suspect lots of a utility excursion: what the fed machines made while the utility was out.

A coolant pump (or compressor, or feeder) that fails changes how every machine it feeds works:
their temperatures climb and the parts they machine move out of tolerance before any lot is
measured. Quality cannot wait for SPC: every lot with an operation on a fed machine that ran at
any moment of the containment window (from the utility's failure for `window_s`) is suspect and
held for disposition. The window is the plant's containment rule: by its end the fed machines have
tripped on temperature or been stopped, and a restart needs the utility back.

The onset is read from the utility's own flow and pressure tags (`collapse_onset`), not from the
alarm that fires part-way down; a utility that alarmed while its output held (a worn bearing) is
no excursion.

    found = await suspect_excursion(client, findings, ExcursionPolicy())   # (lots, reason, machines)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from pydantic import JsonValue

from tools import (
    GetTagHistoryArgs,
    Job,
    ListJobsArgs,
    ListTagsArgs,
    NoArgs,
    PlantClient,
    Topology,
    get_clock,
    get_tag_history,
    get_topology,
    list_jobs,
    list_tags,
    read_events,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class ExcursionPolicy:
    window_s: float = 7200.0
    """Containment window after a utility failure: two hours, the time the fed machines take to
    heat past their trip limits; lots machined in it are held whatever their first measurements say."""


def collapse_onset(times: Sequence[float], values: Sequence[float], *, seen_t: float) -> float | None:
    """When a utility's output began to collapse, from one tag's history around the first alarm.

    The alarm fires part-way down the collapse, so its time is late. The baseline (mean and
    deviation) is read from samples older than `seen_t` - 10 min; the collapse starts at the first
    sample of the run, up to `seen_t`, that stays more than 3 deviations below it: the onset is at
    most one sample period earlier, when the supply was still nearly full, so that sample's time
    is taken. None when the tag did not fall, or has too little history."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    keep = t <= seen_t + 1e-6
    t, v = t[keep], v[keep]
    base = v[t < seen_t - 600.0]
    if len(base) < 10 or not len(v):
        return None
    mean, sd = float(base.mean()), max(float(base.std(ddof=1)), 1e-9)
    low = v < mean - 3 * sd
    if not low[-1]:
        return None
    normal = np.flatnonzero(~low)
    first = int(normal[-1]) + 1 if len(normal) else 0
    return float(t[first])


def excursion_lots(
    jobs: Iterable[Job], *, machines: Iterable[str], start_t: float, end_t: float, epoch: float
) -> list[str]:
    """Lots with an operation on one of `machines` that ran at some moment in [start_t, end_t]
    (started by `end_t`, not finished before `start_t`; still running counts), in id order."""
    fed = set(machines)
    out: set[str] = set()
    for job in jobs:
        for op in job.ops:
            if op.machine not in fed or op.start_time is None:
                continue
            started = datetime.fromisoformat(op.start_time).timestamp() - epoch
            ended = datetime.fromisoformat(op.end_time).timestamp() - epoch if op.end_time else float("inf")
            if started <= end_t and ended >= start_t:
                out.add(job.lot)
    return sorted(out)


def fed_machines(topology: Topology, utility: str) -> list[str]:
    """The machines a utility feeds, directly or through other utilities (a tower feeds pumps)."""
    feeds = {u.id: list(u.feeds) for u in topology.utilities}
    machines = {m.id for line in topology.lines for m in line.machines}
    seen: set[str] = set()
    todo = [utility]
    while todo:
        for f in feeds.get(todo.pop(), []):
            if f not in seen:
                seen.add(f)
                todo.append(f)
    return sorted(seen & machines)


async def suspect_excursion(
    client: PlantClient, findings: Mapping[str, JsonValue], policy: ExcursionPolicy
) -> tuple[list[str], str, list[str]] | None:
    """The lots made on a failed utility's fed machines in its containment window, or None when
    the root cause is not a utility."""
    f = findings
    roots, onset = f.get("root_cause"), f.get("onset_t")
    if f.get("root_category") != "utility" or not isinstance(roots, list) or not roots:
        return None
    if not isinstance(onset, int | float):
        return None
    utility = str(roots[0])
    machines = fed_machines(await get_topology(client, NoArgs()), utility)
    clock = await get_clock(client, NoArgs())
    collapsed = await _utility_onset(client, utility, float(onset))
    if collapsed is None:
        return None  # the utility alarmed (a bearing, say) but its output held: no excursion
    onset = collapsed
    end = min(clock.t, float(onset) + policy.window_s)
    jobs = (await list_jobs(client, ListJobsArgs())).jobs
    lots = excursion_lots(jobs, machines=machines, start_t=float(onset), end_t=end, epoch=clock.epoch_s)
    # An operation cut off on a fed machine (tripped) may be re-planned onto another machine, and
    # the job then names that one: the pause event still says where it was machined.
    lot_of = {j.id: j.lot for j in jobs}
    paused = await read_events(client, "job.op_paused")
    lots = sorted(
        set(lots)
        | {
            lot_of[str(e.data.get("job"))]
            for e in paused
            if e.data.get("machine") in machines
            and float(onset) <= e.t <= end
            and str(e.data.get("job")) in lot_of
        }
    )
    reason = (
        f"{utility} failed at t={float(onset):.0f} s: machined on {', '.join(machines)} between t={float(onset):.0f} "
        f"and t={end:.0f} s (containment window {policy.window_s / 3600:g} h) without its supply."
    )
    return lots, reason, machines


async def _utility_onset(client: PlantClient, utility: str, alarmed_t: float) -> float | None:
    """The earliest collapse onset of the utility's output tags (flow, pressure) up to its first
    alarm; None when none of them collapsed."""
    found: list[float] = []
    for tag in (await list_tags(client, ListTagsArgs(asset=utility))).tags:
        if tag.kind not in ("flow", "pressure"):
            continue
        h = await get_tag_history(
            client,
            GetTagHistoryArgs(
                tag_id=tag.id, since_t=max(0.0, alarmed_t - 3600), until_t=alarmed_t, max_points=5000
            ),
        )
        at = collapse_onset([p.t for p in h.points], [p.value for p in h.points], seen_t=alarmed_t)
        if at is not None:
            found.append(at)
    return min(found) if found else None
