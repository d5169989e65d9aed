"""Step 5: ranks, candidates and the selection of each stratum's sample."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck._parallel import helper_thread
from randcheck.randomness.select import (
    code_type,
    cuts_at_most,
    smallest_per_stratum,
)
from randcheck.roster import (
    TargetRoster,
)
from randcheck.sampling._design import Design, at_codes
from randcheck.sampling._pps import pareto_ranks, pps_lambda


# ---------------------------------------------------------------------------- selection
def _smallest(
    design: Design,
    roster: TargetRoster,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.intp],
    rank: npt.NDArray[np.float64],
    sizes: Sequence[int],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Of candidates ``pos``, the ``n_h`` smallest ranks of each stratum (ties: credit code)."""
    keep = smallest_per_stratum(
        st, rank, sizes, lambda: roster.credit_code[design.roster_rows(pos)]
    )
    return pos[keep], st[keep]


def _ranks(
    design: Design,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.intp],
    u: npt.NDArray[np.float64],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
) -> npt.NDArray[np.float64]:
    if scale is None:
        return u
    return pareto_ranks(u, pps_lambda(design, pos, st, *scale))


def select_all(
    design: Design,
    roster: TargetRoster,
    u: npt.NDArray[np.float64],
    sizes: Sequence[int],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Selection with a number for every eligible row (official draws)."""
    k = len(design.keys)
    n = np.asarray(sizes, dtype=np.float64)
    pop = np.maximum(np.asarray(design.populations, dtype=np.float64), 1.0)
    # Only rows below a generous per-stratum bound can be among the n_h smallest; a stratum
    # with fewer than n_h rows below it (rare) takes every row as a candidate.
    if scale is None:
        bound = np.minimum(1.0, (n + 5.0 * np.sqrt(n) + 20.0) / pop)
    else:
        bound = 1.0 + 5.0 / np.sqrt(np.maximum(n, 1.0)) + 20.0 / np.maximum(n, 1.0)
    cand, cand_st, cand_rank = _below_bound(design, u, scale, bound)
    have = np.bincount(cand_st, minlength=k)
    short = have < np.asarray(sizes)
    if short.any():
        st = design.stratum_of
        rank = _ranks(design, np.arange(design.size, dtype=np.intp), st, u, scale)
        cand = np.union1d(cand, np.flatnonzero(short[st]))
        cand_st, cand_rank = st[cand], rank[cand]
    return _smallest(design, roster, cand, cand_st, cand_rank, sizes)


_SELECT_ROWS = 1 << 16  # rows ranked at once in _below_bound: the temporaries stay in cache


def _below_bound(
    design: Design,
    u: npt.NDArray[np.float64],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
    bound: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """The rows whose rank is below their stratum's ``bound``, with their strata and ranks.

    Block by block, in row order: no row-level array of strata or ranks is built for the
    whole roster, and each block's temporaries stay in the cache.
    """
    known = design.known_strata
    parts: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]] = []
    for a in range(0, design.size, _SELECT_ROWS):
        b = min(a + _SELECT_ROWS, design.size)
        st = known[a:b] if known is not None else at_codes(design.lookup, design.code[a:b])
        rank = _ranks(design, np.arange(a, b, dtype=np.intp), st, u[a:b], scale)
        near = np.flatnonzero(rank < at_codes(bound, st))
        parts.append((near + a, st[near], rank[near]))
    if not parts:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0)
    pos, st, rank = (np.concatenate(p) for p in zip(*parts, strict=True))
    return pos, st, rank


_CANDIDATE_CHUNK = 1 << 16  # candidates per step in select_simulated: temporaries stay small


def _candidates(
    rng: np.random.Generator, size: int, q: float
) -> Iterator[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]]:
    """The positions ``i < size`` with ``u < q`` and their numbers ``u = q·V``, a chunk at a time.

    The positions are a Bernoulli(q) process, in ascending order: the gaps between them are
    geometric, drawn as ``⌊E/μ⌋ + 1`` with ``E`` standard exponential and ``μ = −ln(1−q)``,
    which is ``g`` with probability ``(1−q)^(g−1)·q``. (numpy's own ``geometric`` takes a
    logarithm per number and is slower.)
    """
    mu = -math.log1p(-q)
    last = -1
    while True:
        expect = (size - 1 - last) * q
        m = min(int(expect + 6.0 * math.sqrt(expect) + 64), _CANDIDATE_CHUNK)
        e = rng.standard_exponential(m)
        e /= mu
        pos = e.astype(np.intp)  # ⌊E/μ⌋, as E ≥ 0
        pos += 1
        np.cumsum(pos, out=pos)
        pos += last
        end = int(np.searchsorted(pos, size))
        u = rng.random(end)
        u *= q
        yield pos[:end], u
        if end < m:
            return
        last = int(pos[-1])


def select_simulated(
    design: Design,
    roster: TargetRoster,
    rng: np.random.Generator,
    sizes: Sequence[int],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.integer[Any]], npt.NDArray[np.float64] | None]:
    """The same selection with numbers drawn lazily: only rows that can be drawn get one.

    The numbers are i.i.d. uniform, generated in two steps: the rows with ``u < q`` come from a
    Bernoulli(q) process and get ``u = q·V``; any other row's number, when needed, is
    ``q + (1−q)·W``. Each stratum has a cap that only ranks with ``u < q`` can be below
    (``q_h ≤ q`` for equal probability, the rank of its largest ``λ`` at ``u = q_h`` for πps);
    a stratum with at least ``n_h`` ranks below it takes its ``n_h`` smallest among them, any
    other stratum gets every member's number. The result has exactly the distribution of
    :func:`select_all` with ``u`` from ``rng.random``.

    Returns the drawn rows' positions in ascending order, their strata, and their scores when
    at hand (πps without take-all rows), else ``None``.
    """
    if not any(sizes):
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, None
    caps = _lazy_caps(design, sizes, scale)
    if caps is None:  # take-all rows, or strata drawing so much that every row needs a number
        picked = select_all(design, roster, rng.random(design.size), sizes, scale)
        return *_in_row_order(*picked), None
    q, cap, lam_max = caps
    # Should the fast path fail, the generator is rewound to draw the same numbers again.
    state = rng.bit_generator.state
    fast = _lazy_fast(design, rng, sizes, scale, q, cap)
    if fast is not None:
        return fast
    rng.bit_generator.state = state
    return _lazy_general(design, roster, rng, sizes, scale, q, lam_max)


def _lazy_caps(
    design: Design,
    sizes: Sequence[int],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
) -> tuple[float, npt.NDArray[np.float64], npt.NDArray[np.float64] | None] | None:
    """``(q, cap, λ_max)`` of the lazy path, or ``None`` where it cannot help.

    ``cap`` is each stratum's rank cap (0 for strata that draw nobody) and ``q`` the largest
    ``q_h``; ``None`` for πps with take-all rows or some ``λ ≥ 1``, or when ``q > 0.2``.
    """
    n = np.asarray(sizes, dtype=np.float64)
    pop = np.maximum(np.asarray(design.populations, dtype=np.float64), 1.0)
    live = n > 0
    if scale is None:
        q_h = np.minimum(1.0, (n + 5.0 * np.sqrt(n) + 20.0) / pop)
        lam_max = None
        cap = q_h  # the rank is u
    else:
        c, capped = scale
        lam_max = c * design.score_max
        if capped is not None or float(lam_max[live].max()) >= 1.0:
            return None
        cap = 1.0 + (5.0 * np.sqrt(n) + 20.0) / np.maximum(n, 1.0)
        r = cap * lam_max / (1.0 - lam_max)
        q_h = r / (1.0 + r)  # u = q_h at λ = λ_max gives the rank cap
    q = float(q_h[live].max())
    if q > 0.2:
        return None
    return q, np.where(live, cap, 0.0), lam_max


def _lazy_fast(
    design: Design,
    rng: np.random.Generator,
    sizes: Sequence[int],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
    q: float,
    cap: npt.NDArray[np.float64],
) -> (
    tuple[npt.NDArray[np.intp], npt.NDArray[np.integer[Any]], npt.NDArray[np.float64] | None] | None
):
    """The candidates below their stratum's cap, chunk by chunk, and the selection among them.

    ``None`` when some stratum has too few ranks below its cap or equal ranks at its cut.
    """
    k = len(design.keys)
    # The loop reads each candidate's combined label code, never its stratum: per-stratum values
    # are spread over the codes first (a few hundred), so no pass maps every row to its stratum.
    code, lookup, scores = design.code, design.lookup, design.scores
    known = lookup >= 0

    def per_code(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.zeros(lookup.shape[0])
        out[known] = np.take(values, lookup[known])
        return out

    cap_of = per_code(cap)
    c_of = None if scale is None else per_code(scale[0])

    def near_cap(pos: npt.NDArray[np.intp], u: npt.NDArray[np.float64]) -> tuple[Any, ...]:
        """The candidates below their cap (with their scores for π)."""
        cd = np.take(code, pos)
        if c_of is None or scores is None:
            near = np.flatnonzero(u < at_codes(cap_of, cd))
            return pos[near], cd[near], u[near]
        s = np.take(scores, pos)
        lam = at_codes(c_of, cd)
        lam *= s
        # The recipe's rank: no λ is 1 here, and λ = 0 (a stratum that draws nobody) gives
        # +∞ or nan, which is below no cap.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            rank = np.subtract(1.0, lam)
            rank *= u
            lam *= np.subtract(1.0, u)
            rank /= lam
        near = np.flatnonzero(rank < at_codes(cap_of, cd))
        return pos[near], cd[near], rank[near], s[near]

    # The numbers come one chunk after another from the generator (this thread); where a
    # second core is free, two chunks in three are sifted there while the next is drawn, and
    # this thread sifts the third (drawing a chunk costs about half of sifting it).
    pool = helper_thread() if design.size * q > _CANDIDATE_CHUNK else None  # chunks to overlap
    chunks = _candidates(rng, design.size, q)
    if pool is None:
        kept = [near_cap(pos, u) for pos, u in chunks]
    else:
        sifted = [
            pool.submit(near_cap, pos, u) if i % 3 else near_cap(pos, u)
            for i, (pos, u) in enumerate(chunks)
        ]
        kept = [f if isinstance(f, tuple) else f.result() for f in sifted]
    pos, cd, rank, *kept_scores = (np.concatenate(parts) for parts in zip(*kept, strict=True))
    st = at_codes(np.maximum(lookup, 0).astype(code_type(k)), cd)
    chosen = cuts_at_most(st, rank, sizes, k)
    if chosen is None:
        return None
    return pos[chosen], st[chosen], kept_scores[0][chosen] if kept_scores else None


def _lazy_general(
    design: Design,
    roster: TargetRoster,
    rng: np.random.Generator,
    sizes: Sequence[int],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
    q: float,
    lam_max: npt.NDArray[np.float64] | None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.integer[Any]], None]:
    """The general path, from the same numbers: every candidate below the looser bound ``u < q``.

    Strata with fewer than ``n_h`` ranks below it get a number for every member.
    """
    k = len(design.keys)
    pos, u = (
        np.concatenate(parts) for parts in zip(*_candidates(rng, design.size, q), strict=True)
    )
    st = at_codes(design.lookup, np.take(design.code, pos))
    rank = _ranks(design, pos, st, u, scale)
    if lam_max is None:
        bound = np.full(k, q)
    else:
        with np.errstate(divide="ignore"):
            bound = q * (1.0 - lam_max) / ((1.0 - q) * lam_max)
    below = rank < bound[st]
    have = np.bincount(st[below], minlength=k)
    short = have < np.asarray(sizes)
    keep = below & ~short[st]
    pos_c, st_c, rank_c = pos[keep], st[keep], rank[keep]
    if short.any():
        short_code = short[design.lookup] & (design.lookup >= 0)
        members = np.flatnonzero(short_code[design.code])
        u_m = np.multiply(rng.random(members.shape[0]), 1.0 - q) + q
        mine = short[st]
        u_m[np.searchsorted(members, pos[mine])] = u[mine]
        st_m = at_codes(design.lookup, design.code[members])
        rank_m = _ranks(design, members, st_m, u_m, scale)
        pos_c = np.concatenate([pos_c, members])
        st_c = np.concatenate([st_c, st_m])
        rank_c = np.concatenate([rank_c, rank_m])
    return *_in_row_order(*_smallest(design, roster, pos_c, st_c, rank_c, sizes)), None


def _in_row_order(
    pos: npt.NDArray[np.intp], st: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Positions (and their strata) sorted, as :func:`select_simulated` returns them."""
    order = np.argsort(pos)
    return pos[order], st[order]
