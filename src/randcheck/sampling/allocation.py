"""Per-stratum arithmetic of a draw (private).

Everything here works on a few numbers per stratum, never per target, with IEEE double operations
in a fixed order (and exact rationals where stated), so that the standard-library reference
verifier, which uses Python floats, repeats it bit for bit. :func:`fill_to_total` does its
per-stratum steps with numpy: elementwise ``+ − × ÷`` and comparisons give the same doubles as
Python's, and ``numpy.cumsum`` adds left to right (unlike ``numpy.sum``, which adds pairwise). The
row-level work (eligibility, numbers, selection) is in :mod:`randcheck.sampling`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

_BISECTION_STEPS = 200


def left_sum(values: Iterable[float]) -> float:
    """``((0.0 + v₁) + v₂) + …``: a plain left-to-right float sum.

    The recipes say "sum" and mean exactly this. Python's built-in ``sum`` of floats is
    compensated (more accurate, different in the last bit) from Python 3.12 on, so it is not used:
    a receipt made on one Python must verify on another.
    """
    total = 0.0
    for v in values:
        total += v
    return total


def fill_to_total(
    weights: Sequence[float], lower: Sequence[float], upper: Sequence[float], total: float
) -> list[float]:
    """Expected sizes ``x_h = clip(c·w_h, L_h, U_h)`` with ``Σ x_h = total``.

    The recipe, in Python floats and in this order:

    Every "sum" below is :func:`left_sum`, a plain left-to-right float sum in stratum order
    (not Python's built-in ``sum``, which is compensated from Python 3.12 on).

    1. If ``total ≤ Σ L`` return ``L``; if ``total ≥ Σ U`` return ``U``.
    2. ``size(c)_h = min(U_h, max(L_h, c * w_h))``. Start with ``lo = 0.0``, ``hi = 1.0``;
       double ``hi`` while ``sum(size(hi)) < total``. Then 200 bisection steps:
       ``mid = (lo + hi) / 2``; ``lo = mid`` if ``sum(size(mid)) < total`` else ``hi = mid``.
       (Once a step leaves ``lo`` and ``hi`` as they were, so would every later one: the code
       stops there, with the same result.)
    3. ``x = size(hi)``. The *free* strata are those with ``L_h < x_h < U_h``. If there are
       any: ``fixed = sum`` of the other ``x_h`` (stratum order), ``wsum = sum`` of the free
       ``w_h`` (stratum order), and each free ``x_h = (total - fixed) * w_h / wsum``.

    Requires ``Σ L ≤ total`` and ``total ≤ Σ_h (U_h if w_h > 0 else L_h)``, the most the
    weights can reach; :func:`reachable` gives the latter.

    Raises
    ------
    ValueError
        If a weight is negative or not finite, or ``total`` cannot be reached because the
        strata with a positive weight are too small.
    """
    if any(not (w >= 0.0 and math.isfinite(w)) for w in weights):
        raise ValueError(f"weights must be finite and ≥ 0, got {list(weights)}")
    if total <= left_sum(lower):
        return [float(v) for v in lower]
    if total >= left_sum(upper):
        return [float(v) for v in upper]
    most = reachable(weights, lower, upper)
    if total > most:
        raise ValueError(
            f"a total of {total:g} cannot be reached: strata with a positive weight hold at "
            f"most {most:g}"
        )

    w = np.array(weights, dtype=np.float64)
    low = np.array(lower, dtype=np.float64)
    high = np.array(upper, dtype=np.float64)
    # sizes(c) goes after a leading 0.0: the running sum then starts from 0.0 as left_sum does.
    line = np.zeros(w.shape[0] + 1)

    def sizes(c: float) -> npt.NDArray[np.float64]:
        x = line[1:]
        np.multiply(c, w, out=x)
        # Python's max(lo, v) keeps lo unless v > lo, and min(u, v) keeps u unless v < u.
        np.copyto(x, low, where=~(x > low))
        np.copyto(x, high, where=~(x < high))
        return x

    def sum_of_sizes(c: float) -> float:
        sizes(c)
        return float(np.cumsum(line)[-1])

    # Python floats overflow to inf (and inf·0 gives nan) without a word; so does this.
    with np.errstate(over="ignore", invalid="ignore"):
        lo_c, hi_c = 0.0, 1.0
        while sum_of_sizes(hi_c) < total:
            hi_c *= 2.0
        for _ in range(_BISECTION_STEPS):
            mid = (lo_c + hi_c) / 2.0
            step = (mid, hi_c) if sum_of_sizes(mid) < total else (lo_c, mid)
            if step == (lo_c, hi_c):
                break  # a fixed point: every remaining step would repeat this one
            lo_c, hi_c = step
        x = sizes(hi_c).copy()
        free = (low < x) & (x < high)
        if free.any():
            fixed = left_sum(x[~free].tolist())
            wsum = left_sum(w[free].tolist())
            x[free] = (total - fixed) * w[free] / wsum
    out: list[float] = x.tolist()
    return out


def reachable(weights: Sequence[float], lower: Sequence[float], upper: Sequence[float]) -> float:
    """The largest total :func:`fill_to_total` can reach: ``Σ (U_h if w_h > 0 else L_h)``."""
    return left_sum(u if w > 0 else lo for w, lo, u in zip(weights, lower, upper, strict=True))


def systematic_rounding(expected: Sequence[float], start: float, exact_total: bool) -> list[int]:
    """Integer sizes with ``E[n_h] = x_h`` and ``Σ n_h`` within one of ``Σ x_h``.

    The recipe, in Python floats: ``f_h = math.floor(x_h)``; the cumulative fractional parts
    ``C_h = C_{h-1} + (x_h - f_h)`` with ``C_0 = 0.0``, added in stratum order. With
    ``exact_total`` the last one is replaced by ``float(round(C_H))`` (Python's ``round``:
    half to even), so that the sizes add up to the requested total. Then ``n_h = f_h + P(C_h)
    - P(C_{h-1})``, where ``P(c)`` counts the points ``start, start + 1, start + 2, …`` below
    ``c`` (``C_0 = 0.0``), computed exactly as ``P(c) = math.floor(c) + (1 if start < c -
    math.floor(c) else 0)``.

    A stratum with fractional part ``φ_h`` gets the extra unit with probability ``φ_h``
    exactly, because ``start`` is uniform on [0, 1) and its slice ``[C_{h-1}, C_h)`` has
    length ``φ_h < 1``.
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


def independent_rounding(expected: Sequence[float], starts: Sequence[float]) -> list[int]:
    """Integer sizes ``n_h = ⌊x_h⌋ + (1 if u_h < x_h − ⌊x_h⌋ else 0)``, one start ``u_h`` each.

    ``x_h − ⌊x_h⌋`` is exact in floats, so ``E[n_h] = x_h`` exactly when ``u_h`` is uniform on
    [0, 1). With the same ``u_h``, ``n_h`` never decreases as ``x_h`` grows: draws at a lower
    rate are nested in draws at a higher one, stratum by stratum. The total is not fixed.
    """
    sizes = []
    for x, u in zip(expected, starts, strict=True):
        whole = math.floor(x)
        sizes.append(whole + (1 if u < x - whole else 0))
    return sizes


def _points_below(c: float, start: float) -> int:
    """Number of k ≥ 0 with start + k < c, exactly: ``⌊c⌋ + (1 if start < c − ⌊c⌋ else 0)``.

    (``c − ⌊c⌋`` is exact in floats; ``math.ceil(c - start)`` is not, and could lose a point.)
    """
    whole = math.floor(c)
    return whole + (1 if start < c - whole else 0)
