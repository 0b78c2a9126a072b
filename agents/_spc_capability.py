"""Process capability against specification limits: Cp, Cpk (within sigma) and Pp, Ppk (overall).

Cp and Cpk use the short-term, within-subgroup sigma (R̄/d2, S̄/c4 or MR̄/d2 from a Phase I
baseline): what the process could do if its mean stayed put. Pp and Ppk use the overall sample
standard deviation, drift and shifts included: what it actually did. A Ppk well below Cpk says
the mean moves; fix stability before tightening the process.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agents._spc_constants import chart_constants


@dataclass(frozen=True, kw_only=True, slots=True)
class Capability:
    """Capability indices of one characteristic; an index is None when its spec side is missing."""

    mean: float
    """Process mean."""
    sigma_within: float
    """Short-term sigma behind Cp and Cpk."""
    sigma_overall: float
    """Overall sample standard deviation behind Pp and Ppk."""
    lsl: float | None
    """Lower specification limit, if any."""
    usl: float | None
    """Upper specification limit, if any."""
    cp: float | None
    """(USL - LSL) / 6 sigma_within: spread against tolerance, ignoring centring (needs both limits)."""
    cpk: float
    """min(CPU, CPL) with sigma_within: distance from the mean to the nearer limit, in 3 sigma."""
    pp: float | None
    """(USL - LSL) / 6 sigma_overall."""
    ppk: float
    """Ppk, as Cpk with sigma_overall."""
    explanation: str
    """The verdict in words, against the usual 1.33 requirement for an existing process."""


def capability_indices(
    *, mean: float, sigma_within: float, sigma_overall: float, lsl: float | None, usl: float | None
) -> Capability:
    """Cp, Cpk, Pp and Ppk from a known mean and sigmas (e.g. a textbook example or a given standard)."""
    if lsl is None and usl is None:
        raise ValueError("Capability needs at least one specification limit (lsl or usl).")
    if lsl is not None and usl is not None and lsl >= usl:
        raise ValueError(f"Specification limits are reversed: lsl {lsl} >= usl {usl}.")
    if sigma_within <= 0 or sigma_overall <= 0:
        raise ValueError("Capability needs positive sigmas; a constant series has no measurable capability.")

    def indices(sigma: float) -> tuple[float | None, float]:
        sides = [(usl - mean) / (3 * sigma)] if usl is not None else []
        sides += [(mean - lsl) / (3 * sigma)] if lsl is not None else []
        spread = (usl - lsl) / (6 * sigma) if usl is not None and lsl is not None else None
        return spread, min(sides)

    cp, cpk = indices(sigma_within)
    pp, ppk = indices(sigma_overall)
    return Capability(
        mean=mean,
        sigma_within=sigma_within,
        sigma_overall=sigma_overall,
        lsl=lsl,
        usl=usl,
        cp=cp,
        cpk=cpk,
        pp=pp,
        ppk=ppk,
        explanation=_explain(mean, lsl, usl, cp, cpk, ppk),
    )


def process_capability(
    values: Sequence[float], *, lsl: float | None, usl: float | None, sigma_within: float | None = None
) -> Capability:
    """Capability of measured values; `sigma_within` defaults to MR̄ / d2(2) over the values in order.

    For subgrouped data pass the Phase I baseline's sigma (R̄/d2 or S̄/c4) and all the values.
    """
    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2:
        raise ValueError(f"Capability needs at least 2 values; got {len(x)}.")
    if sigma_within is None:
        sigma_within = float(np.abs(np.diff(x)).mean()) / chart_constants(2).d2
    return capability_indices(
        mean=float(x.mean()), sigma_within=sigma_within, sigma_overall=float(x.std(ddof=1)), lsl=lsl, usl=usl
    )


def _explain(
    mean: float, lsl: float | None, usl: float | None, cp: float | None, cpk: float, ppk: float
) -> str:
    if cpk >= 1.33:
        verdict = "capable (Cpk >= 1.33)"
    elif cpk >= 1.0:
        verdict = "marginal (1.0 <= Cpk < 1.33): little room for any shift"
    else:
        verdict = "not capable (Cpk < 1.0): out-of-spec parts are expected"
    text = f"Cpk {cpk:.2f}: {verdict}."
    if cp is not None and cp - cpk > 0.1 * cp and lsl is not None and usl is not None:
        nearer = "upper" if usl - mean < mean - lsl else "lower"
        text += f" Cp {cp:.2f} is higher: the process is off centre, toward the {nearer} limit; re-centring helps."
    if not math.isclose(ppk, cpk, rel_tol=0.1) and ppk < cpk:
        text += f" Ppk {ppk:.2f} < Cpk: the mean moves over time; make the process stable first."
    return text
