"""Who is teamed with whom: :class:`TeamingTable` and :func:`teaming_table`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.errors import (
    PlanError,
)
from randcheck.matching._problem import utf8
from randcheck.matching.rules import Floats, Ints
from randcheck.roster import STRING

# --------------------------------------------------------------------------------------------
# Teaming: how often two officers can serve together

# Cells (or officer pairs) the teaming bound works on at once: memory stays near 32 MiB.
_TEAMING_CHUNK = 1 << 22
# Up to this many officer pairs (n², about 2,000 officers) the bound is dense matrix products
# over weight levels; beyond, officer pairs are listed and reduced by sorting.
_TEAMING_DENSE = 1 << 22


def teaming_sums(visit: Ints, officer: Ints, weight: Floats) -> tuple[Ints, Ints, Ints, Floats]:
    """``Σ_v min(w_av, w_bv)`` for every two officers with positive weight on a common visit.

    Returns ``(a, b, shared, sums)`` with ``a < b`` (officer indexes), ``shared`` the number of
    visits both may serve and ``sums`` the bound, sorted by ``(a, b)``. Weights that are whole
    numbers below ``2**53`` (units of the grid) are summed exactly, in any order. Up to about
    2,000 officers the sums are matrix products over the visits' weight levels
    (:func:`_teaming_by_levels`); beyond, officer pairs are listed visit by visit.
    """
    pos = weight > 0
    v, o, w = visit[pos], officer[pos], weight[pos]
    n_o = int(o.max(initial=-1)) + 1
    if n_o * n_o <= _TEAMING_DENSE:
        sums, counts = _teaming_by_levels(v, o, w, n_o)
        a, b = np.nonzero(np.triu(counts > 0, k=1))
        return a.astype(np.int64), b.astype(np.int64), counts[a, b].astype(np.int64), sums[a, b]
    return _teaming_by_pairs(v, o, w, n_o)


def _teaming_by_levels(v: Ints, o: Ints, w: Floats, n_o: int) -> tuple[Floats, Floats]:
    """Dense ``n × n`` sums and shared-visit counts, as products of 0/1 matrices.

    On a visit whose distinct weights are ``L_1 < … < L_k``, ``min(w_a, w_b)`` is the sum of
    ``L_j − L_{j−1}`` over the levels ``j`` that both reach. One row per (visit, level), with a
    1 for each officer at or above the level, makes the sums ``Bᵀ·diag(Δ)·B``; the rows of the
    first level give the counts. Rows are taken a chunk at a time.
    """
    order = np.lexsort((w, v))
    v, o, w = v[order], o[order], w[order]
    new = np.r_[True, (v[1:] != v[:-1]) | (w[1:] != w[:-1])] if v.shape[0] else np.zeros(0, bool)
    level = np.cumsum(new) - 1  # each entry's (visit, level) row
    lv, lw = v[new], w[new]
    first = np.r_[True, lv[1:] != lv[:-1]] if lv.shape[0] else np.zeros(0, bool)
    delta = lw - np.where(first, 0.0, np.r_[0.0, lw[:-1]])
    n_rows = int(lv.shape[0])
    visit_start = np.maximum.accumulate(np.where(first, np.arange(n_rows), 0))[level]
    reps = level - visit_start + 1  # an entry reaches every level of its visit up to its own
    row = (
        np.repeat(visit_start, reps)
        + np.arange(int(reps.sum()))
        - np.repeat(np.cumsum(reps) - reps, reps)
    )
    col = np.repeat(o, reps)
    by_row = np.argsort(row, kind="stable")
    row, col = row[by_row], col[by_row]
    sums = np.zeros((n_o, n_o))
    counts = np.zeros((n_o, n_o))
    per = max(1, _TEAMING_CHUNK // max(n_o, 1))
    for r0 in range(0, n_rows, per):
        r1 = min(n_rows, r0 + per)
        lo, hi = np.searchsorted(row, [r0, r1])
        block = np.zeros((r1 - r0, n_o))
        block[row[lo:hi] - r0, col[lo:hi]] = 1.0
        sums += block.T @ (delta[r0:r1, None] * block)
        top = block[first[r0:r1]]
        counts += top.T @ top
    return sums, counts


def _teaming_by_pairs(v: Ints, o: Ints, w: Floats, n_o: int) -> tuple[Ints, Ints, Ints, Floats]:
    """:func:`teaming_sums` for many officers: every officer pair of every visit, reduced by
    sorting keys, a chunk of visits at a time (the pairs of one visit number ``m (m − 1) / 2``)."""
    order = np.lexsort((o, v))
    v, o, w = v[order], o[order], w[order]
    keys: list[Ints] = []
    sums: list[Floats] = []
    counts: list[Ints] = []
    if v.shape[0]:
        starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
        sizes = np.diff(np.r_[starts, v.shape[0]])
        rank = np.arange(v.shape[0]) - np.repeat(starts, sizes)  # position within its visit
        later = np.repeat(sizes, sizes) - 1 - rank  # partners after each entry
        cum = np.cumsum(later)
        lo = 0
        while lo < v.shape[0]:
            hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _TEAMING_CHUNK, "right"))
            hi = max(hi, lo + 1)
            n_later = later[lo:hi]
            first = np.repeat(np.arange(lo, hi), n_later)
            block = np.repeat(np.cumsum(n_later) - n_later, n_later)
            second = first + 1 + np.arange(first.shape[0]) - block
            key = o[first] * n_o + o[second]  # o sorted within a visit: o[first] < o[second]
            uniq, inv = np.unique(key, return_inverse=True)
            keys.append(uniq)
            least = np.minimum(w[first], w[second])
            sums.append(np.bincount(inv, weights=least).astype(np.float64))
            counts.append(np.bincount(inv).astype(np.int64))
            lo = hi
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    uniq, inv = np.unique(np.concatenate(keys), return_inverse=True)
    total: Floats = np.bincount(inv, weights=np.concatenate(sums)).astype(np.float64)
    shared: Ints = np.bincount(inv, weights=np.concatenate(counts)).astype(np.int64)
    a: Ints = uniq // n_o
    b: Ints = uniq % n_o
    return a, b, shared, total


@attrs.frozen(eq=False)
class TeamingTable:
    """The teaming bound of every two roster members who may serve on a common visit.

    Row ``i``: officers ``officer_a[i]`` and ``officer_b[i]`` may both serve on
    ``shared_visits[i]`` visits, and ``bound[i] = Σ_v min(p_av, p_bv)`` bounds the expected
    number of visits they share and so, when below 1, the chance that they are teamed at
    least once in the batch (防止合谋). Rows run from the largest bound down (ties by ids).
    Two members never on a common visit have bound 0 and no row. Made by
    :meth:`Assignment.teaming_table` or :func:`teaming_table`.
    """

    officer_a: npt.NDArray[Any]
    officer_b: npt.NDArray[Any]
    shared_visits: Ints
    bound: Floats

    @classmethod
    def build(
        cls, a: npt.NDArray[Any], b: npt.NDArray[Any], shared: Ints, sums: Floats, bits: int
    ) -> TeamingTable:
        """Rows from :func:`teaming_sums` (private helper for the two public builders)."""
        ids_a = np.asarray(a).astype(STRING)
        ids_b = np.asarray(b).astype(STRING)
        swap = utf8(ids_a) > utf8(ids_b)
        ids_a, ids_b = np.where(swap, ids_b, ids_a), np.where(swap, ids_a, ids_b)
        bound = sums / float(1 << bits) if bits else sums.astype(np.float64)
        order = np.lexsort((utf8(ids_b), utf8(ids_a), -bound))
        return cls(
            officer_a=ids_a[order],
            officer_b=ids_b[order],
            shared_visits=shared[order],
            bound=bound[order],
        )

    def __len__(self) -> int:
        return int(self.bound.shape[0])

    @property
    def largest(self) -> float:
        """The largest teaming bound of the batch (0 if no two members can serve together)."""
        return float(self.bound[0]) if len(self) else 0.0

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per pair: ``officer_a``, ``officer_b``, ``shared_visits``, ``bound`` and
        ``teamed_at_most`` (the bound capped at 1: a bound on the chance of being teamed)."""
        return [
            {
                "officer_a": str(a),
                "officer_b": str(b),
                "shared_visits": n,
                "bound": x,
                "teamed_at_most": min(1.0, x),
            }
            for a, b, n, x in zip(
                self.officer_a.tolist(),
                self.officer_b.tolist(),
                self.shared_visits.tolist(),
                self.bound.tolist(),
                strict=True,
            )
        ]


def teaming_table(
    probabilities: Iterable[Mapping[str, Any]] | Mapping[str, Any],
) -> TeamingTable:
    """The teaming bound of every two officers, from a published probability table.

    Anyone holding the published chances (:meth:`Assignment.probability_rows`, one row per
    officer–visit pair that can occur) can recompute it, with numpy alone: for two officers
    ``a`` and ``b``, ``Σ_v min(p_av, p_bv)`` over the visits both may serve. It bounds the
    expected number of visits they share, and so the chance that they are teamed at least once.

    Parameters
    ----------
    probabilities : iterable of dicts, or mapping of columns
        Rows (or columns) ``credit_code``, ``officer_id`` and ``probability``; other keys
        (``role``) are ignored.

    Returns
    -------
    TeamingTable

    Raises
    ------
    PlanError
        If a column is missing, a probability is not a number within [0, 1], or a pair is
        listed twice; the message names the row (1-based) and the value.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C"]})
    >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("X",), departments=())]
    >>> a = randcheck.match_officers(visits, officers, seed="2023-1107")
    >>> t = randcheck.matching.teaming_table(a.probability_rows())
    >>> t.officer_a.tolist(), t.officer_b.tolist(), t.bound.round(4).tolist()
    (['B', 'A', 'A'], ['C', 'B', 'C'], [0.6667, 0.6667, 0.6667])
    """
    if isinstance(probabilities, Mapping):
        try:
            cols = {k: list(probabilities[k]) for k in ("credit_code", "officer_id", "probability")}
        except KeyError as exc:
            raise PlanError(
                f"teaming_table: columns credit_code, officer_id and probability are required, "
                f"missing {exc}"
            ) from None
        if len({len(c) for c in cols.values()}) > 1:
            raise PlanError("teaming_table: the columns differ in length")
        rows: list[Mapping[str, Any]] = [
            dict(zip(cols, r, strict=True)) for r in zip(*cols.values(), strict=True)
        ]
    else:
        rows = list(probabilities)
    codes: list[str] = []
    oids: list[str] = []
    probs: list[float] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows, start=1):
        missing = [k for k in ("credit_code", "officer_id", "probability") if k not in row]
        if missing:
            raise PlanError(f"teaming_table: row {i} has no {', '.join(missing)}")
        x = row["probability"]
        ok = not isinstance(x, bool) and isinstance(x, (int, float, Fraction, np.number))
        if not ok or not 0.0 <= float(x) <= 1.0:
            raise PlanError(
                f"teaming_table: row {i}, probability must be a number within [0, 1], got {x!r}"
            )
        key = (str(row["credit_code"]), str(row["officer_id"]))
        if key in seen:
            raise PlanError(
                f"teaming_table: row {i} lists officer {key[1]!r} at {key[0]} a second time"
            )
        seen.add(key)
        codes.append(key[0])
        oids.append(key[1])
        probs.append(float(x))
    code_u, v = np.unique(np.array(codes, dtype=STRING), return_inverse=True)
    id_u, o = np.unique(utf8(np.array(oids, dtype=STRING)), return_inverse=True)
    del code_u
    a, b, shared, sums = teaming_sums(
        v.astype(np.int64), o.astype(np.int64), np.array(probs, dtype=np.float64)
    )
    names = np.array([x.decode("utf-8") for x in id_u.tolist()], dtype=STRING)
    return TeamingTable.build(names[a], names[b], shared, sums, 0)
