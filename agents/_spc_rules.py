"""Western Electric rules 1-4 and Nelson rules 1-8 on a `ControlChart`, as explained violations.

Zones are measured with the sigma of the plotted statistic at each point, so charts with
varying limits (p and u charts with varying sample sizes) are read correctly. A point exactly
on a boundary is not beyond it: rule 1 needs a value strictly above the UCL or below the LCL,
"beyond 2 sigma" strictly more than 2 sigma from the center, and a point exactly on the center
line is on neither side (it ends a run).

One violation is reported per episode: consecutive windows of the same rule that overlap merge
into one, whose `signal` is where the rule first fired and whose `points` are the points that
make the pattern (for k-of-m rules, only the points beyond the zone).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from agents._spc_charts import ControlChart

RuleId = Literal["WE1", "WE2", "WE3", "WE4", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"]
Direction = Literal["up", "down"]

WESTERN_ELECTRIC: tuple[RuleId, ...] = ("WE1", "WE2", "WE3", "WE4")
NELSON: tuple[RuleId, ...] = ("N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8")


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleViolation:
    """A pattern on a control chart that common-cause variation alone rarely produces."""

    rule: RuleId
    """'WE1'..'WE4' (Western Electric handbook) or 'N1'..'N8' (Nelson, 1984)."""
    name: str
    """The rule in words, e.g. 'Nine points in a row on one side of the center line'."""
    points: tuple[int, ...]
    """0-based indices of the points that form the pattern."""
    signal: int
    """0-based index of the point at which the rule first fired: where an alarm would have been raised."""
    direction: Direction | None
    """'up' or 'down' for one-sided patterns (a shift or trend that way); None otherwise."""
    explanation: str
    """What the pattern is, on which samples, and what it usually means on the shop floor."""


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    kind: Literal["limits", "k_of_m", "run", "trend", "alternate", "within", "outside"]
    length: int = 1
    k: int = 1
    zone: float = 0.0


_SPECS: dict[RuleId, _Spec] = {
    "WE1": _Spec("One point beyond 3 sigma", "limits"),
    "WE2": _Spec("Two of three points beyond 2 sigma on one side", "k_of_m", 3, 2, 2.0),
    "WE3": _Spec("Four of five points beyond 1 sigma on one side", "k_of_m", 5, 4, 1.0),
    "WE4": _Spec("Eight points in a row on one side of the center line", "run", 8),
    "N1": _Spec("One point beyond 3 sigma", "limits"),
    "N2": _Spec("Nine points in a row on one side of the center line", "run", 9),
    "N3": _Spec("Six points in a row steadily increasing or decreasing", "trend", 6),
    "N4": _Spec("Fourteen points in a row alternating up and down", "alternate", 14),
    "N5": _Spec("Two of three points beyond 2 sigma on one side", "k_of_m", 3, 2, 2.0),
    "N6": _Spec("Four of five points beyond 1 sigma on one side", "k_of_m", 5, 4, 1.0),
    "N7": _Spec("Fifteen points in a row within 1 sigma of the center line", "within", 15),
    "N8": _Spec("Eight points in a row beyond 1 sigma, on both sides", "outside", 8),
}


def check_rules(chart: ControlChart, rules: Iterable[RuleId] = NELSON) -> tuple[RuleViolation, ...]:
    """Every violation of the given rules on the chart, ordered by where each first fired.

    Use `WESTERN_ELECTRIC` or `NELSON` (the default) for the usual sets. On a moving range
    chart only rule 1 is meaningful.
    """
    order = {rule: i for i, rule in enumerate(_SPECS)}
    found: list[RuleViolation] = []
    for rule in dict.fromkeys(rules):
        if rule not in _SPECS:
            raise ValueError(f"Unknown rule {rule!r}; use one of {', '.join(_SPECS)}.")
        found.extend(_check(chart, rule, _SPECS[rule]))
    return tuple(sorted(found, key=lambda v: (v.signal, order[v.rule], min(v.points))))


def western_electric(chart: ControlChart) -> tuple[RuleViolation, ...]:
    """Western Electric rules 1-4 (beyond 3σ; 2 of 3 beyond 2σ; 4 of 5 beyond 1σ; 8 on one side)."""
    return check_rules(chart, WESTERN_ELECTRIC)


def nelson(chart: ControlChart) -> tuple[RuleViolation, ...]:
    """Nelson rules 1-8 (WE 1-3, 9 on one side, 6 trending, 14 alternating, 15 hugging, 8 avoiding the center)."""
    return check_rules(chart, NELSON)


# -- detection ------------------------------------------------------------------------------------


def _run_lengths(flags: Sequence[bool]) -> list[int]:
    out: list[int] = []
    for i, f in enumerate(flags):
        out.append((out[i - 1] + 1 if i else 1) if f else 0)
    return out


def _episodes(
    fires: Sequence[bool], window: int, member: Callable[[int], bool]
) -> list[tuple[int, list[int]]]:
    """Merge firing points whose windows overlap; each episode is (first signal, member points)."""
    spans: list[list[int]] = []  # [signal, start, end]
    for j, fired in enumerate(fires):
        if not fired:
            continue
        start = max(0, j - window + 1)
        if spans and start <= spans[-1][2]:
            spans[-1][2] = j
        else:
            spans.append([j, start, j])
    return [(signal, [i for i in range(start, end + 1) if member(i)]) for signal, start, end in spans]


def _check(chart: ControlChart, rule: RuleId, spec: _Spec) -> list[RuleViolation]:
    x, c, s = chart.values, chart.center, chart.sigma
    n = len(x)
    found: list[RuleViolation] = []

    def add(direction: Direction | None, episodes: list[tuple[int, list[int]]]) -> None:
        for signal, points in episodes:
            text = _explain(chart, rule, spec, direction, points)
            found.append(
                RuleViolation(
                    rule=rule,
                    name=spec.name,
                    points=tuple(points),
                    signal=signal,
                    direction=direction,
                    explanation=text,
                )
            )

    sides: dict[Direction, Callable[[int, float], bool]] = {
        "up": lambda i, z: x[i] > c + z * s[i],
        "down": lambda i, z: x[i] < c - z * s[i],
    }
    if spec.kind == "limits":
        up = [x[i] > chart.ucl[i] for i in range(n)]
        down = [x[i] < chart.lcl[i] for i in range(n)]
        add("up", _episodes(up, 1, up.__getitem__))
        add("down", _episodes(down, 1, down.__getitem__))
    elif spec.kind == "k_of_m":
        for direction, beyond_zone in sides.items():
            flags = [beyond_zone(i, spec.zone) for i in range(n)]
            fires = [flags[j] and sum(flags[max(0, j - spec.length + 1) : j + 1]) >= spec.k for j in range(n)]
            add(direction, _episodes(fires, spec.length, flags.__getitem__))
    elif spec.kind == "run":
        for direction, beyond_zone in sides.items():
            runs = _run_lengths([beyond_zone(i, 0.0) for i in range(n)])
            add(direction, _episodes([r >= spec.length for r in runs], spec.length, lambda i: True))
    elif spec.kind == "trend":
        steps: dict[Direction, list[bool]] = {
            "up": [i > 0 and x[i] > x[i - 1] for i in range(n)],
            "down": [i > 0 and x[i] < x[i - 1] for i in range(n)],
        }
        for direction, moved in steps.items():
            runs = _run_lengths(moved)  # steps in a row; one more point than steps
            add(direction, _episodes([r + 1 >= spec.length for r in runs], spec.length, lambda i: True))
    elif spec.kind == "alternate":
        chain = [0] * n  # alternating steps in a row ending at i
        for i in range(1, n):
            step = x[i] - x[i - 1]
            if step == 0:
                continue
            chain[i] = chain[i - 1] + 1 if i > 1 and step * (x[i - 1] - x[i - 2]) < 0 else 1
        add(None, _episodes([k + 1 >= spec.length for k in chain], spec.length, lambda i: True))
    elif spec.kind == "within":
        runs = _run_lengths([not sides["up"](i, 1.0) and not sides["down"](i, 1.0) for i in range(n)])
        add(None, _episodes([r >= spec.length for r in runs], spec.length, lambda i: True))
    else:  # outside: beyond 1 sigma on either side, both sides present in the window
        above = [sides["up"](i, 1.0) for i in range(n)]
        below = [sides["down"](i, 1.0) for i in range(n)]
        runs = _run_lengths([a or b for a, b in zip(above, below, strict=True)])
        fires = [
            runs[j] >= spec.length
            and any(above[j - spec.length + 1 : j + 1])
            and any(below[j - spec.length + 1 : j + 1])
            for j in range(n)
        ]
        add(None, _episodes(fires, spec.length, lambda i: True))
    return found


# -- explanation ----------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _samples(chart: ControlChart, points: Sequence[int]) -> str:
    labels = [chart.labels[i] for i in points]
    if len(points) == 1:
        return f"sample {labels[0]}"
    contiguous = all(b == a + 1 for a, b in zip(points, points[1:], strict=False))
    if contiguous and len(points) > 2:
        return f"samples {labels[0]} to {labels[-1]}"
    if len(points) > 5:
        return f"{len(points)} samples between {labels[0]} and {labels[-1]}"
    return "samples " + ", ".join(labels[:-1]) + f" and {labels[-1]}"


def _explain(
    chart: ControlChart, rule: RuleId, spec: _Spec, direction: Direction | None, points: list[int]
) -> str:
    head = f"{rule} ({spec.name}): "
    where = _samples(chart, points)
    c = _fmt(chart.center)
    side = "above" if direction == "up" else "below"
    if spec.kind == "limits":
        i = points[0]
        limit = chart.ucl[i] if direction == "up" else chart.lcl[i]
        which = "upper" if direction == "up" else "lower"
        return (
            f"{head}{where} ({_fmt(chart.values[i])}) is {side} the {which} control limit {_fmt(limit)} "
            f"(center {c}). Common-cause variation puts a point there about 3 times in 1000; "
            "look for an assignable cause at that sample."
        )
    if spec.kind == "k_of_m":
        i = points[0]
        bound = chart.center + (spec.zone if direction == "up" else -spec.zone) * chart.sigma[i]
        return (
            f"{head}{where} are more than {spec.zone:g} sigma {side} the center line {c} "
            f"(beyond {_fmt(bound)}), {spec.k} within {spec.length} consecutive points: "
            f"an early sign that the process mean has shifted {direction}."
        )
    if spec.kind == "run":
        return (
            f"{head}{len(points)} consecutive points ({where}) are all {side} the center line {c}; "
            f"{spec.length} or more in a row rarely happen by chance and indicate a sustained shift of the mean {direction}."
        )
    if spec.kind == "trend":
        verb = "rises" if direction == "up" else "falls"
        return (
            f"{head}the value {verb} at every one of {len(points)} consecutive points ({where}); "
            "a steady trend points to a drift such as tool wear, heating, or a depleting or clogging supply."
        )
    if spec.kind == "alternate":
        return (
            f"{head}{len(points)} consecutive points ({where}) alternate up and down; systematic "
            "alternation suggests over-adjustment, or two machines, operators or streams sampled in turn."
        )
    if spec.kind == "within":
        return (
            f"{head}{len(points)} consecutive points ({where}) stay within 1 sigma of the center line {c}: "
            "less variation than the limits assume, so the limits may be stale (re-estimate them) "
            "or each sample mixes several streams (stratification)."
        )
    return (
        f"{head}{len(points)} consecutive points ({where}) lie more than 1 sigma from the center line {c} "
        "on both sides, none near it: the data mix two levels, e.g. two machines, setups or gauges."
    )
