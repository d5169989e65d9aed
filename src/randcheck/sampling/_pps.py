"""Probability proportional to size within a stratum (Pareto πps): ranks and probabilities."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck.sampling._design import Design, at_codes, exact_sums


# ---------------------------------------------------------------------------- πps
def pps_scale(
    design: Design,
    sizes: Sequence[int],
    *,
    exact: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None]:
    """``c_h`` and the take-all (capped) rows for sample sizes ``sizes`` (the module recipe).

    Returns ``(c, capped)``; ``capped`` is ``None`` when no row is capped. Then
    ``λ_i = 1`` for capped rows and ``c_h·s_i`` for the others.
    """
    assert design.scores is not None
    assert design.score_sums is not None
    k = len(design.keys)
    n = list(sizes)
    pops = design.populations
    remaining: list[Fraction | float] = list(design.score_sums)
    c = np.zeros(k, dtype=np.float64)
    whole = [h for h in range(k) if n[h] >= pops[h] and pops[h] > 0]
    for h in range(k):
        if 0 < n[h] < pops[h]:
            c[h] = n[h] / float(remaining[h])
    if not whole and float((c * design.score_max).max(initial=0.0)) < 1.0:
        return c, None  # nobody can reach λ = 1
    s = design.scores
    st = design.stratum_of
    capped = np.zeros(design.size, dtype=bool)
    if whole:
        is_whole = np.zeros(k, dtype=bool)
        is_whole[whole] = True
        capped |= is_whole[st]
    n_capped = [0] * k
    while True:
        newly = ~capped & (c[st] * s >= 1.0)
        if not newly.any():
            break
        capped |= newly
        hit = st[newly]
        counts = np.bincount(hit, minlength=k)
        vals = s[newly]
        if exact:
            if vals.size <= 50_000:
                for h, v in zip(hit.tolist(), vals.tolist(), strict=True):
                    remaining[h] -= Fraction(v)
            else:
                minus = exact_sums(vals, hit, k)
                for h in range(k):
                    remaining[h] -= minus[h]
        else:
            minus_f = np.bincount(hit, weights=vals, minlength=k)
            for h in np.flatnonzero(counts).tolist():
                remaining[h] -= float(minus_f[h])
        for h in np.flatnonzero(counts).tolist():
            n_capped[h] += int(counts[h])
            m = n[h] - n_capped[h]
            rest = pops[h] - n_capped[h]
            total = float(remaining[h])
            c[h] = m / total if m > 0 and rest > 0 and total > 0 else 0.0
    return c, capped


def pps_lambda(
    design: Design,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.integer[Any]],
    c: npt.NDArray[np.float64],
    capped: npt.NDArray[np.bool_] | None,
    scores: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """``λ_i`` of rows ``pos`` (``scores``: their scores, if already at hand)."""
    assert design.scores is not None
    lam = at_codes(c, st)
    lam *= np.take(design.scores, pos) if scores is None else scores
    if capped is not None:
        lam[capped[pos]] = 1.0
    return lam


def pareto_ranks(
    u: npt.NDArray[np.float64],
    lam: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """``ξ = (u·(1−λ)) / ((1−u)·λ)``; 0 where ``λ = 1``, +∞ where ``λ = 0``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rank = np.subtract(1.0, lam)
        rank *= u
        den = np.subtract(1.0, u)
        den *= lam
        rank /= den
    if rank.size and float(lam.max()) >= 1.0:
        rank[lam >= 1.0] = 0.0
    if rank.size and float(lam.min()) <= 0.0:
        rank[lam <= 0.0] = np.inf
    return rank


def pps_probabilities(
    design: Design,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.integer[Any]],
    *,
    exact: bool,
    scores: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """The design's target π: ``(1−φ_h)·λ_i(⌊x_h⌋) + φ_h·λ_i(⌊x_h⌋+1)``.

    ``scores``: the rows' scores, if already at hand.
    """
    scales = design.memo.get("pi_scales")
    if scales is None:
        pops = design.populations
        lo = [min(math.floor(x), p) for x, p in zip(design.expected, pops, strict=True)]
        hi = [min(math.floor(x) + 1, p) for x, p in zip(design.expected, pops, strict=True)]
        scales = (
            *pps_scale(design, lo, exact=exact),
            *pps_scale(design, hi, exact=exact),
            np.array([x - math.floor(x) for x in design.expected], dtype=np.float64),
        )
        design.memo["pi_scales"] = scales
    c_lo, cap_lo, c_hi, cap_hi, phi = scales
    assert design.scores is not None
    s = np.take(design.scores, pos) if scores is None else scores
    pi = pps_lambda(design, pos, st, c_lo, cap_lo, s)
    lam_hi = pps_lambda(design, pos, st, c_hi, cap_hi, s)
    f = at_codes(phi, st)
    lam_hi *= f
    pi *= np.subtract(1.0, f, out=f)  # (1 − φ)·λ(⌊x⌋) + φ·λ(⌊x⌋ + 1), in place
    pi += lam_hi
    return pi
