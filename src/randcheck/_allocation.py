"""Per-stratum arithmetic of a draw, in plain Python floats (private).

Everything here works on a few numbers per stratum, never per target, and uses only Python's
``float`` operations in a fixed order, so that the standard-library reference verifier can repeat
it bit for bit. The row-level work (eligibility, numbers, selection) is in :mod:`randcheck.sampling`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_BISECTION_STEPS = 200


def fill_to_total(
    weights: Sequence[float], lower: Sequence[float], upper: Sequence[float], total: float
) -> list[float]:
    """Expected sizes ``x_h = clip(c·w_h, L_h, U_h)`` with ``Σ x_h = total``.

    ``c`` is found by bisection; the strata that end up strictly between their bounds are then
    rescaled so that the sum is ``total`` up to rounding. Requires ``Σ L ≤ total ≤ Σ U``.
    """
    if total <= sum(lower):
        return [float(v) for v in lower]
    if total >= sum(upper):
        return [float(v) for v in upper]

    def sizes(c: float) -> list[float]:
        return [min(u, max(lo, c * w)) for w, lo, u in zip(weights, lower, upper, strict=True)]

    lo_c, hi_c = 0.0, 1.0
    while sum(sizes(hi_c)) < total:
        hi_c *= 2.0
    for _ in range(_BISECTION_STEPS):
        mid = (lo_c + hi_c) / 2.0
        if sum(sizes(mid)) < total:
            lo_c = mid
        else:
            hi_c = mid
    x = sizes(hi_c)
    free = [i for i, (v, lo, u) in enumerate(zip(x, lower, upper, strict=True)) if lo < v < u]
    if free:
        fixed = sum(v for i, v in enumerate(x) if i not in set(free))
        wsum = sum(weights[i] for i in free)
        for i in free:
            x[i] = (total - fixed) * weights[i] / wsum
    return x


def systematic_rounding(expected: Sequence[float], start: float, exact_total: bool) -> list[int]:
    """Integer sizes with ``E[n_h] = x_h`` and ``Σ n_h`` within one of ``Σ x_h``.

    ``n_h = floor(x_h)`` plus one when a point of ``start, start + 1, start + 2, …`` falls in the
    stratum's slice ``[C_{h-1}, C_h)`` of the cumulative fractional parts (taken in stratum
    order). A stratum with fractional part ``φ_h`` gets the extra unit with probability ``φ_h``
    exactly, because ``start`` is uniform on [0, 1). With ``exact_total`` the last cumulative
    value is rounded to the nearest integer, so that the sizes add up to the requested total.
    """
    floors = [math.floor(x) for x in expected]
    cum = []
    c = 0.0
    for x, f in zip(expected, floors, strict=True):
        c += x - f
        cum.append(c)
    if exact_total and cum:
        cum[-1] = float(round(cum[-1]))
    sizes = []
    prev = 0.0
    for f, c in zip(floors, cum, strict=True):
        extra = _points_below(c, start) - _points_below(prev, start)
        sizes.append(f + extra)
        prev = c
    return sizes


def _points_below(c: float, start: float) -> int:
    """Number of k ≥ 0 with start + k < c."""
    if c <= start:
        return 0
    return math.ceil(c - start)


def round12(x: float) -> float:
    """``x`` rounded to 12 significant digits, so that the order of a sum cannot change it."""
    return float(f"{x:.12g}")
