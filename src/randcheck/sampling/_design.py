"""Steps 1–3 of the design: eligible rows, strata and their expected sample sizes."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Protocol

import attrs
import numpy as np
import numpy.typing as npt

from randcheck._parallel import helper_thread, in_two
from randcheck.errors import PlanError
from randcheck.models import RiskClass
from randcheck.randomness.select import (
    code_counts,
    code_type,
)
from randcheck.roster import (
    RISK_LETTERS,
    Categorical,
    TargetRoster,
)
from randcheck.sampling import allocation
from randcheck.sampling.plan import ATTENTION_LABEL, SamplingPlan


def at_codes(table: npt.NDArray[Any], codes: npt.NDArray[np.integer[Any]]) -> npt.NDArray[Any]:
    """``table[codes]`` for codes that are in range by construction (a combined label code, a
    stratum index): ``np.take`` without its per-index check, which for uint8 codes costs
    eight times the lookup itself."""
    return np.take(table, codes, mode="clip")


# ---------------------------------------------------------------------------- the design
@attrs.define
class Design:
    """Everything about the draw that does not depend on the random numbers.

    Row-level arrays are per *eligible* row, in roster order; ``rows`` maps them back to the
    roster (``None``: every row is eligible and eligible position = roster row).
    """

    rows: npt.NDArray[np.intp] | None
    size: int  # number of eligible rows
    code: npt.NDArray[Any]  # per eligible row: combined label code (see lookup)
    lookup: npt.NDArray[np.intp]  # combined label code -> stratum index (label order)
    keys: list[tuple[str, ...]]
    populations: list[int]
    expected: list[float]
    scores: npt.NDArray[np.float64] | None  # per eligible row (πps)
    score_sums: list[Fraction | float] | None  # exact (official) or float (simulation)
    score_max: float
    _stratum_of: npt.NDArray[np.intp] | None = None
    memo: dict[str, Any] = attrs.field(factory=dict)  # derived, random-number-free values

    @property
    def stratum_of(self) -> npt.NDArray[np.intp]:
        """Stratum index of every eligible row (computed on first use)."""
        if self._stratum_of is None:
            self._stratum_of = at_codes(self.lookup, self.code)
        return self._stratum_of

    @property
    def known_strata(self) -> npt.NDArray[np.intp] | None:
        """:attr:`stratum_of` if it was computed already, else ``None`` (nothing is computed)."""
        return self._stratum_of

    def roster_rows(self, pos: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        return pos if self.rows is None else self.rows[pos]

    @property
    def score_totals(self) -> list[float] | None:
        """``T_h``: each stratum's total score as a float (correctly rounded when exact)."""
        if self.score_sums is None:
            return None
        return [float(t) for t in self.score_sums]


def _attention_flags(roster: TargetRoster, plan: SamplingPlan) -> npt.NDArray[np.bool_]:
    return roster.abnormal | (roster.complaints >= plan.attention_min_complaints)


def _label_counts(cat: Categorical) -> dict[str, int]:
    counts: list[int] = (
        np.bincount(cat.codes, minlength=len(cat.categories)).tolist()
        if len(cat)
        else [0] * len(cat.categories)
    )
    return {c: int(n) for c, n in zip(cat.categories, counts, strict=False)}


class _Vocabulary(Protocol):
    """What :func:`check_names` asks of a roster (a whole one, or the parts of one merged)."""

    @property
    def extra_columns(self) -> tuple[str, ...]: ...

    def risk_counts(self) -> dict[str, int]: ...

    def label_counts(self, field: str) -> dict[str, int]: ...

    def tag_names(self) -> tuple[str, ...]: ...

    def has_tag(self, tag: str) -> bool: ...


@attrs.frozen
class _RosterVocabulary:
    """A roster's labels, counted only when a check asks for them."""

    roster: TargetRoster

    @property
    def extra_columns(self) -> tuple[str, ...]:
        return self.roster.extra_columns

    def risk_counts(self) -> dict[str, int]:
        return self.roster.risk_counts()

    def label_counts(self, field: str) -> dict[str, int]:
        return _label_counts(getattr(self.roster, field))

    def tag_names(self) -> tuple[str, ...]:
        return tuple(self.roster.tags.names)

    def has_tag(self, tag: str) -> bool:
        return bool(self.roster.tags.mask_any([tag]).any())


def _check_size_column(plan: SamplingPlan, extra_columns: tuple[str, ...]) -> None:
    if plan.size_column is not None and plan.size_column not in extra_columns:
        raise PlanError(
            f"size_column {plan.size_column!r} is not a column of the roster; its own "
            f"columns are {', '.join(map(repr, extra_columns)) or 'none'}"
        )


def check_names(vocabulary: _Vocabulary, plan: SamplingPlan, seen: set[str]) -> None:
    """Raise if the plan names a risk class, label, tag or column the roster does not have.

    ``seen`` holds classes known to be present (the eligible ones); the roster is only
    counted when the plan names another one.
    """
    named = {
        letter
        for _, t in (("", plan.rates), ("", plan.multipliers), ("", plan.prevalence))
        for letter, _ in t or ()
    }
    named |= {RiskClass.parse(c).value for c in plan.eligibility.risk_classes or ()}
    present = dict.fromkeys(seen, 1) if named <= seen else vocabulary.risk_counts()
    tables = [
        ("rates", plan.rates),
        ("multipliers", plan.multipliers),
        ("prevalence", plan.prevalence),
    ]
    for field, table in tables:
        for letter, _ in table or ():
            if letter not in present:
                raise PlanError(
                    f"{field} names risk class {letter}, but the roster has no class-{letter} "
                    f"targets (it has {', '.join(present) or 'none'}); leave {letter} out of "
                    f"{field}"
                )
    el = plan.eligibility
    for letter in el.risk_classes or ():
        if RiskClass.parse(letter).value not in present:
            raise PlanError(
                f"eligibility.risk_classes names class {letter}, but the roster has no "
                f"class-{letter} targets (it has {', '.join(present) or 'none'})"
            )
    for field, wanted, label in (
        ("industries", el.industries, "industry"),
        ("areas", el.areas, "area"),
        ("statuses", el.statuses, "status"),
    ):
        if wanted is None:
            continue
        counts = vocabulary.label_counts(label)
        missing = [w for w in wanted if not counts.get(w)]
        if missing:
            raise PlanError(
                f"eligibility.{field} names {', '.join(map(repr, missing))}, which no target "
                f"in the roster has; the roster's values are "
                f"{', '.join(repr(c) for c, n in counts.items() if n)[:300]}"
            )
    if el.tags is not None:
        missing = [t for t in el.tags if not vocabulary.has_tag(t)]
        if missing:
            raise PlanError(
                f"eligibility.tags names {', '.join(map(repr, missing))}, which no target in "
                f"the roster carries; its tags are {', '.join(map(repr, vocabulary.tag_names()))}"
            )
    _check_size_column(plan, vocabulary.extra_columns)


def _eligible_rows(roster: TargetRoster, plan: SamplingPlan) -> npt.NDArray[np.intp] | None:
    """Eligible rows, or ``None`` when every row is eligible (the common case, no copy)."""
    el = plan.eligibility
    m: npt.NDArray[np.bool_] | None = None
    if any(
        v is not None
        for v in (el.industries, el.areas, el.area_prefix, el.tags, el.statuses, el.risk_classes)
    ):
        m = el.mask(roster)
    else:
        status = roster.status
        excluded = set(el.exclude_statuses) & set(status.categories)
        if excluded:
            m = ~status.mask(excluded)
        if el.recent_days is not None:
            m = el.mask(roster)
    if m is None or m.all():
        return None
    return np.flatnonzero(m)


def build_design(
    roster: TargetRoster, plan: SamplingPlan, *, exact: bool, part: int | None = None
) -> Design:
    """The design of ``roster``, or (``part``: the file row of its first row) of one part of a
    roster: eligibility, strata, populations and exact score sums of its rows alone, without
    the checks and expected sizes that need the whole roster
    (:mod:`randcheck.sampling._chunked`)."""
    rows = _eligible_rows(roster, plan)
    size = len(roster) if rows is None else int(rows.shape[0])

    def column(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if rows is None else values[rows]

    # Combine the stratum columns into one integer per row (first column most significant);
    # strata are then ordered by their labels.
    parts: list[tuple[npt.NDArray[Any], list[str]]] = [
        (column(roster.risk_class), list(RISK_LETTERS))
    ]
    for name in plan.strata[1:]:
        cat = roster.industry if name == "industry" else roster.area
        parts.append((column(cat.codes), list(cat.categories)))
    if plan.attention != "none":
        parts.append((column(_attention_flags(roster, plan)), ["", ATTENTION_LABEL]))
    radices = [max(len(labels), 1) for _, labels in parts]
    radix = math.prod(radices)
    kind = code_type(radix)  # holds every code, and every radix multiplied by below
    scores: npt.NDArray[np.float64] | None = None
    if plan.within == "pps" and not exact and size:
        # A simulation reads the scores in the same pass as the codes (any problem with the
        # column is reported by _scores below, after the names are checked).
        score_column = (
            roster.column(plan.size_column) if plan.size_column in roster.extra_columns else None
        )
        if isinstance(score_column, np.ndarray) and score_column.dtype.kind == "f":
            scores = column(score_column)
    code, counts, summed = _row_pass([v for v, _ in parts], radices, kind, scores)
    present = np.flatnonzero(counts)
    keys: list[tuple[str, ...]] = []
    for c in present.tolist():
        key = []
        rem = c
        sub_radix = radix
        for _, labels in parts:
            sub_radix //= max(len(labels), 1)
            key.append(labels[rem // sub_radix])
            rem %= sub_radix
        keys.append(tuple(key))
    if plan.attention == "stratum":
        # One attention stratum regardless of class: collapse flagged keys.
        keys = [(ATTENTION_LABEL,) if k[-1] == ATTENTION_LABEL else k[:-1] for k in keys]
    uniq_keys = sorted(set(keys), key=key_order)
    index_of = {k: i for i, k in enumerate(uniq_keys)}
    lookup = np.full(max(radix, 1), -1, dtype=np.intp)
    lookup[present] = [index_of[k] for k in keys]
    if part is None:
        check_names(_RosterVocabulary(roster), plan, {k[0] for k in keys if k[0] in RISK_LETTERS})
    else:
        _check_size_column(plan, roster.extra_columns)
    populations = [0] * len(uniq_keys)
    for c, k in zip(present.tolist(), keys, strict=True):
        populations[index_of[k]] += int(counts[c])

    design = Design(rows, size, code, lookup, uniq_keys, populations, [], None, None, 0.0)
    if plan.within == "pps":
        first_row = 1 if part is None else part
        _scores(roster, plan, design, exact=exact, summed=summed, first_row=first_row)
    if part is None:
        design.expected = expected_sizes(plan, uniq_keys, populations)
    return design


# Rows per step in _row_pass. Each step's temporaries (a few MB) stay in the L2/L3 caches,
# and each step is long enough that the two halves' threads seldom wait for the GIL between
# numpy calls: at 10⁷ rows and two threads, 2¹⁸ took 15 ms where 2¹⁶ took 21 ms and 2¹⁵ 38 ms
# (one thread: 26, 28 and 30 ms; December 2026, this project's 2-core machine).
_ROW_BLOCK = 1 << 18


def _row_pass(
    columns: list[npt.NDArray[Any]],
    radices: list[int],
    kind: np.dtype[Any],
    scores: npt.NDArray[np.float64] | None,
    *,
    count: bool = True,
) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp], _ScoreSums | None]:
    """The one pass over the eligible rows that a design needs: each row's combined label
    code, the rows per code and, given ``scores`` (a simulation's πps), their sums per code
    and the smallest and largest score. ``count=False``: no rows per code (an empty array).

    The code is ``(c₁·r₂ + c₂)·r₃ + c₃…`` for the columns' codes ``cᵢ`` and their numbers of
    labels ``rᵢ`` (``radices``), in ``kind`` (modulo its range, as numpy's arithmetic in
    ``kind`` would give); a single column of ``kind`` is its own code, not copied.

    Block by block, so that every column is read from memory once and each block's steps
    run in the cache; the two halves of the rows at once where a second core is free
    (:func:`in_two`). The sums are plain floating-point sums (as a simulation may use): each
    block's per-code sums (as ``np.bincount`` gives them: in row order, from zero), added up
    block after block, in order. The halves are cut at a block boundary, so they give the
    very same block sums and the totals do not depend on the cut.
    """
    size = columns[0].shape[0]
    minlength = math.prod(radices)
    single = len(columns) == 1
    if single and scores is None:
        code = columns[0].astype(kind, copy=False)
        return code, _counts(code, minlength, count), None
    code = columns[0].astype(kind, copy=False) if single else np.empty(size, dtype=kind)
    # Counted block by block for a few codes; many (intp codes) are counted once at the end.
    by_block = count and kind.itemsize <= 2
    # Scores summed and counted per code: by scipy's sparse product where both halves run at
    # once (it leaves the other thread free; np.add.at does not), else by np.add.at (faster
    # alone). Both give np.bincount's sums bit for bit (see half), so the result is the same.
    sparse = by_block and scores is not None and size > _ROW_BLOCK and helper_thread() is not None
    if sparse:  # imported only here: official draws, equal probability and counties never do
        from scipy.sparse import csc_array

    def half(a: int, b: int) -> tuple[npt.NDArray[np.intp], list[npt.NDArray[Any]], Any, Any]:
        rows = min(_ROW_BLOCK, max(b - a, 0))
        index: npt.NDArray[np.intp] = np.empty(rows, dtype=np.int32 if sparse else np.intp)
        counts = np.zeros(minlength if by_block else 0, dtype=np.intp)
        # Counted and summed at once: each row adds score + 1j to its code (np.add.at in row
        # order, from zero: the real parts are np.bincount's sums, bit for bit).
        both = (
            np.empty(rows, dtype=np.complex128)
            if by_block and scores is not None and not sparse
            else None
        )
        if both is not None:
            both.imag = 1.0
        # Or: the block as a sparse matrix with a 1 in row code[i] of column i; its products
        # with the scores and with ones are the sums and counts per code (each code's scores
        # added in row order, from zero, as np.bincount adds them).
        ones = np.ones(rows if sparse else 0)
        starts = np.arange(rows + 1 if sparse else 0, dtype=np.int32)
        per_code = np.empty(minlength if both is not None else 0, dtype=np.complex128)
        sums: list[npt.NDArray[Any]] = []
        lo, hi = np.inf, -np.inf
        for c in range(a, b, _ROW_BLOCK):
            d = min(c + _ROW_BLOCK, b)
            block = code[c:d]
            if not single:
                np.multiply(columns[0][c:d], radices[1], out=block, dtype=kind, casting="unsafe")
                for i in range(1, len(columns)):
                    if i > 1:
                        block *= radices[i]
                    np.add(block, columns[i][c:d], out=block, dtype=kind, casting="unsafe")
            at = index[: d - c]
            at[...] = block  # np.bincount would make this intp copy twice
            if scores is None:
                if by_block:
                    counts += np.bincount(at, minlength=minlength)
                continue
            part = scores[c:d]
            lo = np.minimum(lo, part.min())  # np.minimum keeps a nan, Python's min not
            hi = np.maximum(hi, part.max())
            if sparse:
                m = d - c
                one_hot = csc_array((ones[:m], at, starts[: m + 1]), shape=(minlength, m))
                sums.append(one_hot @ part)
                counts += (one_hot @ ones[:m]).astype(np.intp)
                continue
            if both is None:
                sums.append(np.bincount(at, weights=part, minlength=minlength))
                continue
            weights = both[: d - c]
            weights.real = part
            per_code[...] = 0.0
            np.add.at(per_code, at, weights)
            counts += per_code.imag.astype(np.intp)
            sums.append(per_code.real.copy())
        return counts, sums, lo, hi

    (counts, sums_a, lo_a, hi_a), (counts_b, sums_b, lo_b, hi_b) = in_two(half, size, _ROW_BLOCK)
    counts = counts + counts_b if by_block else _counts(code, minlength, count)
    if scores is None:
        return code, counts, None
    sums = np.zeros(minlength)
    for block_sums in (*sums_a, *sums_b):
        sums += block_sums
    lo, hi = np.minimum(lo_a, lo_b), np.maximum(hi_a, hi_b)
    return code, counts, _ScoreSums(scores, counts, sums, float(lo), float(hi))


def _counts(code: npt.NDArray[Any], minlength: int, count: bool) -> npt.NDArray[np.intp]:
    return code_counts(code, minlength) if count else np.zeros(0, dtype=np.intp)


_DESIGN_CACHE = "sampling.designs"  # key of the roster's private cache
_DESIGN_CACHE_SIZE = 4  # plans whose simulation design a roster keeps


def simulation_design(roster: TargetRoster, plan: SamplingPlan) -> Design:
    """The design of a simulation, kept on the (immutable) roster for its last few plans.

    Replicate simulations on the same roster and plan then skip eligibility, strata, score
    totals and expected sizes, which use no random number. Official draws never use it.
    """
    store: dict[str, Design] = roster.derived(_DESIGN_CACHE, dict)
    key = plan.digest()
    design = store.pop(key, None)
    if design is None:
        design = build_design(roster, plan, exact=False)
    store[key] = design  # most recently used last
    while len(store) > _DESIGN_CACHE_SIZE:
        del store[next(iter(store))]
    return design


def key_order(key: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    # Risk letters sort A…E; the attention-only stratum goes last.
    return (1, key) if key == (ATTENTION_LABEL,) else (0, key)


def _scores(
    roster: TargetRoster,
    plan: SamplingPlan,
    design: Design,
    *,
    exact: bool,
    summed: _ScoreSums | None = None,
    first_row: int = 1,
) -> None:
    """Check the πps scores and set the design's ``scores``, ``score_max`` and ``score_sums``.

    ``summed``: the scores' pass of a simulation, already made with the codes. ``first_row``:
    the number, in the user's file, of the roster's first row (a part of a roster).
    """
    assert plan.size_column is not None
    column = roster.column(plan.size_column)
    if not isinstance(column, np.ndarray) or column.dtype.kind != "f":
        raise PlanError(
            f"size_column {plan.size_column!r} is not a numeric column (πps needs a positive "
            "number per target)"
        )
    sums: npt.NDArray[np.float64] | None
    if summed is not None:
        s, lo, hi, sums = summed.scores, summed.lo, summed.hi, summed.sums
    else:
        s = column if design.rows is None else column[design.rows]
        if not s.size:
            lo, hi, sums = 1.0, 1.0, None
        elif exact:
            lo, hi, sums = float(s.min()), float(s.max()), None
        else:
            summed = _score_sums(s, design.code, design.lookup.shape[0])
            lo, hi, sums = summed.lo, summed.hi, summed.sums
    if not (lo > 0.0 and math.isfinite(hi)):  # NaN makes min() NaN
        bad = np.flatnonzero(~(s > 0) | ~np.isfinite(s))
        pos = int(bad[0])
        row = int(design.roster_rows(np.array([pos]))[0])
        raise PlanError(
            f"size_column {plan.size_column!r}: every eligible target needs a finite score > 0; "
            f"row {row + first_row} ({roster.credit_code[row].decode()}) has {float(s[pos])!r}"
            + (f" ({bad.size} such rows)" if bad.size > 1 else "")
        )
    design.scores = s
    design.score_max = hi
    k = len(design.keys)
    if exact:
        design.score_sums = list[Fraction | float](exact_sums(s, design.stratum_of, k))
    else:
        totals: list[Fraction | float] = [0.0] * k
        if sums is not None:
            for c in np.flatnonzero(design.lookup >= 0).tolist():
                totals[int(design.lookup[c])] += float(sums[c])
        design.score_sums = totals
    too_large = [h for h, t in enumerate(design.score_sums) if not t < _FLOAT_MAX]
    if too_large:
        raise PlanError(
            f"size_column {plan.size_column!r}: the scores of stratum "
            f"{'/'.join(design.keys[too_large[0]])} add up to more than the largest float "
            f"({_FLOAT_MAX:.3g}); divide the column by a power of ten (only the scores' ratios "
            "matter)"
        )


_FLOAT_MAX = float(np.finfo(np.float64).max)


@attrs.frozen
class _ScoreSums:
    """One pass over a simulation's scores: per code, the rows and the scores' sum; the
    smallest and largest score."""

    scores: npt.NDArray[np.float64]
    counts: npt.NDArray[np.intp]
    sums: npt.NDArray[np.float64]
    lo: float
    hi: float


def _score_sums(
    s: npt.NDArray[np.float64], code: npt.NDArray[np.integer[Any]], minlength: int
) -> _ScoreSums:
    """Rows and scores per code, and the smallest and largest score (:func:`_row_pass`)."""
    summed = _row_pass([code], [minlength], code.dtype, s)[2]
    assert summed is not None
    return summed


def exact_sums(
    s: npt.NDArray[np.float64],
    group: npt.NDArray[np.intp],
    k: int,
) -> list[Fraction]:
    """Exact sums of positive finite floats per group, as fractions (no rounding at all).

    Each value is ``M·2^(e-53)`` with an integer ``M < 2⁵³`` (``numpy.frexp``); ``M`` is split
    into 27 + 26 bits and the parts are summed per (group, exponent) with ``bincount``. Every
    partial sum is an integer below 2⁵³, so the float additions are exact in any order.
    ``float()`` of a result is the correctly rounded sum, as :func:`math.fsum` gives.
    """
    if s.size == 0:
        return [Fraction(0)] * k
    chunk = 1 << 25  # keeps every partial sum below 2⁵³
    out = [Fraction(0)] * k
    for start in range(0, s.shape[0], chunk):
        part = s[start : start + chunk]
        g = group[start : start + chunk]
        mant, exp = np.frexp(part)
        m = (mant * 2.0**53).astype(np.int64)
        hi = (m >> 26).astype(np.float64)
        lo = (m & ((1 << 26) - 1)).astype(np.float64)
        e_min = int(exp.min())
        span = int(exp.max()) - e_min + 1
        key = g * span + (exp - e_min)
        hs = np.bincount(key, weights=hi, minlength=k * span)
        ls = np.bincount(key, weights=lo, minlength=k * span)
        for idx in np.flatnonzero((hs != 0) | (ls != 0)).tolist():
            h, e = divmod(idx, span)
            total = (int(hs[idx]) << 26) + int(ls[idx])
            shift = e + e_min - 53
            out[h] += total * Fraction(2) ** shift
    return out


def _factor(plan: SamplingPlan, key: tuple[str, ...]) -> float:
    """The attention multiplier of a stratum (1 unless the plan multiplies 关注 strata)."""
    if plan.attention == "multiplier" and key[-1] == ATTENTION_LABEL:
        return plan.attention_multiplier
    return 1.0


def _need(plan: SamplingPlan, table: str, key: tuple[str, ...]) -> float:
    """The plan's ``table`` value for the stratum's risk class; a class with targets needs one."""
    v = plan.rate_of(table, key[0])
    if v is None:
        raise PlanError(
            f"{table} gives no value for risk class {key[0]}, which has eligible "
            f"targets; give one for every class present"
        )
    return v


def expected_sizes(
    plan: SamplingPlan, keys: list[tuple[str, ...]], populations: list[int]
) -> list[float]:
    """Step 3: each stratum's expected sample size ``x_h``, by the plan's kind of rates."""
    low_min = max(plan.min_per_stratum, 1 if plan.no_exemption else 0)
    if low_min > 0 and plan.rates is not None:
        eligible_classes = {k[0] for k in keys}
        empty = [c for c, _ in plan.rates if c not in eligible_classes]
        if empty:
            raise PlanError(
                f"risk class {', '.join(empty)} has no eligible targets, but the plan asks for "
                f"at least {low_min} from every stratum (min_per_stratum="
                f"{plan.min_per_stratum}, no_exemption={plan.no_exemption}); widen the "
                f"eligibility or leave the class out of rates"
            )
    lower = [float(min(n, low_min)) for n in populations]
    if plan.total is not None:
        return _to_total(plan, keys, populations, lower)
    if plan.overall_rate is not None:
        weights = []
        for key, n in zip(keys, populations, strict=True):
            if key == (ATTENTION_LABEL,) or plan.multipliers is None:
                m = 1.0
            else:
                m = _need(plan, "multipliers", key)
            weights.append(n * m * _factor(plan, key))
        target = plan.overall_rate * sum(populations)
        target = max(target, allocation.left_sum(lower))
        return _fill(weights, lower, populations, target, "multipliers")
    out = []
    for key, n, lo in zip(keys, populations, lower, strict=True):
        if key == (ATTENTION_LABEL,):
            assert plan.attention_rate is not None
            r = plan.attention_rate
        else:
            r = min(1.0, _need(plan, "rates", key) * _factor(plan, key))
        out.append(max(lo, n * r))
    return out


def _to_total(
    plan: SamplingPlan, keys: list[tuple[str, ...]], populations: list[int], lower: list[float]
) -> list[float]:
    """Expected sizes that add up to ``plan.total``, allocated by the plan's weights."""
    assert plan.total is not None
    eligible = sum(populations)
    if plan.total > eligible:
        raise PlanError(f"total = {plan.total} is larger than the {eligible} eligible targets")
    if allocation.left_sum(lower) > plan.total:
        raise PlanError(
            f"the minimums per stratum need {int(allocation.left_sum(lower))} targets but "
            f"total is {plan.total}"
        )
    weights = []
    for key, n in zip(keys, populations, strict=True):
        if key == (ATTENTION_LABEL,):
            w = float(n)
        elif plan.allocation == "equal":
            w = 1.0
        elif plan.allocation == "neyman":
            p = _need(plan, "prevalence", key)
            w = n * math.sqrt(p * (1.0 - p))
        else:
            w = float(n)
        weights.append(w * _factor(plan, key))
    what = "prevalence" if plan.allocation == "neyman" else "allocation"
    return _fill(weights, lower, populations, float(plan.total), what)


def _fill(
    weights: list[float], lower: list[float], populations: list[int], target: float, what: str
) -> list[float]:
    """``allocation.fill_to_total`` between the minimums and the populations, as a PlanError."""
    upper = [float(n) for n in populations]
    try:
        return allocation.fill_to_total(weights, lower, upper, target)
    except ValueError as exc:
        raise PlanError(f"{what}: {exc} (check the plan's {what} table and minimums)") from None
