"""Statistical process control for the quality specialist: pure functions, no I/O.

The pieces live in small modules, gathered here:

- `_spc_constants`: the published chart factors (A2, A3, B3, B4, c4, d2, d3, D3, D4), n = 2..25.
- `_spc_charts`: Phase I baselines (`estimate_*`, optionally revised) and variables charts
  drawn against a baseline (X̄, R, S, I, MR).
- `_spc_attributes`: the same for attributes (p, np, c, u).
- `_spc_rules`: Western Electric 1-4 and Nelson 1-8 as explained `RuleViolation`s.
- `_spc_capability`: Cp, Cpk, Pp, Ppk.
- `_spc_drift`: the first sustained shift or drift per machine, with its time window.

Typical use:

    base = estimate_xbar_r(history)                       # Phase I
    chart = xbar_chart(new_subgroups, base)               # Phase II
    for v in check_rules(chart, WESTERN_ELECTRIC):
        print(v.rule, v.points, v.explanation)
"""

from agents._spc_attributes import c_chart, estimate_c, estimate_p, estimate_u, np_chart, p_chart, u_chart
from agents._spc_capability import Capability, capability_indices, process_capability
from agents._spc_charts import (
    BaselineMethod,
    ChartBaseline,
    ControlChart,
    PhaseIPolicy,
    Statistic,
    estimate_individuals,
    estimate_xbar_r,
    estimate_xbar_s,
    individuals_chart,
    moving_range_chart,
    range_chart,
    s_chart,
    xbar_chart,
)
from agents._spc_constants import ChartConstants, chart_constants
from agents._spc_drift import Drift, DriftPolicy, locate_drift, locate_drifts
from agents._spc_rules import (
    NELSON,
    WESTERN_ELECTRIC,
    Direction,
    RuleId,
    RuleViolation,
    check_rules,
    nelson,
    western_electric,
)

__all__ = [
    "NELSON",
    "WESTERN_ELECTRIC",
    "BaselineMethod",
    "Capability",
    "ChartBaseline",
    "ChartConstants",
    "ControlChart",
    "Direction",
    "Drift",
    "DriftPolicy",
    "PhaseIPolicy",
    "RuleId",
    "RuleViolation",
    "Statistic",
    "c_chart",
    "capability_indices",
    "chart_constants",
    "check_rules",
    "estimate_c",
    "estimate_individuals",
    "estimate_p",
    "estimate_u",
    "estimate_xbar_r",
    "estimate_xbar_s",
    "individuals_chart",
    "locate_drift",
    "locate_drifts",
    "moving_range_chart",
    "nelson",
    "np_chart",
    "p_chart",
    "process_capability",
    "range_chart",
    "s_chart",
    "u_chart",
    "western_electric",
    "xbar_chart",
]
