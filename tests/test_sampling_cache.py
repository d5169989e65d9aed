"""Speed paths that must not change a result: the simulation design cache, the per-stratum
selection, and the roster digest's byte assembly."""

from __future__ import annotations

import copy
import datetime as dt
import math
import pathlib
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _digest_helpers import digest_by_hand
from _helpers import credit_codes, make_roster
from randcheck import TargetRoster, _parallel
from randcheck import sampling as sampling_module
from randcheck.errors import PlanError, RosterWarning
from randcheck.randomness import select
from randcheck.roster import RISK_LETTERS
from randcheck.roster._csv import Pieces  # private: the test shrinks its text budget
from randcheck.sampling import (  # white-box: the design cache and fast paths
    Eligibility,
    SamplingPlan,
    _design,
    _select,
    draw,
)

WHEN = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
STRATA = ("risk_class", "industry")


def roster(n: int = 6000, seed: int = 1) -> TargetRoster:
    rng = np.random.default_rng(seed)
    classes = np.array(list("ABCD"))[rng.choice(4, n, p=[0.5, 0.3, 0.15, 0.05])].tolist()
    industries = [f"行业{i}" for i in rng.integers(0, 5, n)]
    return make_roster(classes, industries=industries, scores=rng.uniform(0.5, 2.0, n))


def fresh(r: TargetRoster) -> TargetRoster:
    """The same roster with an empty cache."""
    return r.take(np.arange(len(r)))


def same_draw(a: sampling_module.Draw, b: sampling_module.Draw) -> bool:
    return (
        a.ids.tobytes() == b.ids.tobytes()
        and a.rows.tolist() == b.rows.tolist()
        and a.inclusion_probabilities.tobytes() == b.inclusion_probabilities.tobytes()
        and a.stratum.tolist() == b.stratum.tolist()
        and a.strata == b.strata
        and a.receipt.to_dict() == b.receipt.to_dict()
    )


PPS = SamplingPlan(overall_rate=0.05, strata=STRATA, within="pps", size_column="risk_score")
EQUAL = SamplingPlan(overall_rate=0.05, strata=STRATA)


def test_derived_computes_a_value_once_and_forget_derived_drops_it() -> None:
    r = roster(n=50)
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    first = r.derived("test.value", compute)
    assert r.derived("test.value", compute) is first
    assert calls == [1]
    r.forget_derived()
    assert r.derived("test.value", compute) == [2]


def test_forget_derived_drops_designs_and_digest_but_not_the_result() -> None:
    r = roster()
    digest = r.digest()
    before = draw(r, PPS, rng=4, drawn_at=WHEN)
    r.forget_derived()
    assert same_draw(draw(r, PPS, rng=4, drawn_at=WHEN), before)
    assert r.digest() == digest


def test_forget_derived_keeps_the_loaders_notes() -> None:
    with pytest.warns(RosterWarning, match="unknown column, ignored"):
        r = TargetRoster.from_columns(
            {"credit_code": ["91350100M000100Y43"], "risk_class": ["A"], "color": ["red"]},
            unknown_columns="ignore",
        )
    notes = r.report
    assert notes.problems
    r.forget_derived()
    assert r.report == notes


@pytest.mark.parametrize("plan", [PPS, EQUAL], ids=["pps", "equal"])
def test_a_simulation_is_the_same_on_rosters_from_every_public_constructor(
    plan: SamplingPlan, tmp_path: pathlib.Path
) -> None:
    # The speed paths must not depend on how the columns were built (read-only, views,
    # category order): the same rows and generator give the same sample.
    pd = pytest.importorskip("pandas")
    built = lazy_roster(20_000, seed=5)
    cols = built.to_columns()
    table = {k: cols[k] for k in ("credit_code", "risk_class", "industry", "risk_score")}
    path = tmp_path / "r.csv"
    pd.DataFrame(table).to_csv(path, index=False)
    rosters = [
        TargetRoster.from_columns(table, extra=["risk_score"]),
        TargetRoster.from_dataframe(pd.DataFrame(table), extra=["risk_score"]),
        TargetRoster.from_csv(path, extra=["risk_score"]),
    ]
    for seed in range(3):
        draws = [draw(r, plan, rng=seed, drawn_at=WHEN) for r in rosters]
        assert all(d.ids.tobytes() == draws[0].ids.tobytes() for d in draws)
        assert all(
            np.allclose(d.inclusion_probabilities, draws[0].inclusion_probabilities, rtol=1e-12)
            for d in draws
        )


@pytest.mark.parametrize("plan", [PPS, EQUAL], ids=["pps", "equal"])
def test_a_cached_replicate_draw_equals_an_uncached_one(plan: SamplingPlan) -> None:
    r = roster()
    draw(r, plan, rng=0, drawn_at=WHEN)  # fills the cache
    for seed in range(5):
        cached = draw(r, plan, rng=seed, drawn_at=WHEN)
        uncached = draw(fresh(r), plan, rng=seed, drawn_at=WHEN)
        assert same_draw(cached, uncached)


def test_the_cache_never_changes_an_official_draw() -> None:
    r = roster()
    before = draw(fresh(r), PPS, seed="2024-0102", drawn_at=WHEN)
    for seed in range(3):
        draw(r, PPS, rng=seed)
    after = draw(r, PPS, seed="2024-0102", drawn_at=WHEN)
    assert same_draw(before, after)


def test_the_cache_is_keyed_by_the_plan() -> None:
    r = roster()
    narrow = SamplingPlan(
        overall_rate=0.05, strata=STRATA, eligibility=Eligibility(industries=["行业1"])
    )
    for plan in (EQUAL, narrow, PPS, EQUAL):
        assert same_draw(
            draw(r, plan, rng=3, drawn_at=WHEN), draw(fresh(r), plan, rng=3, drawn_at=WHEN)
        )


def test_more_plans_than_the_cache_keeps_still_draw_as_uncached() -> None:
    # The cache keeps a few plans' designs; plans pushed out and drawn again are rebuilt.
    r = roster(n=500)
    plans = [SamplingPlan(overall_rate=rate, strata=STRATA) for rate in (0.1, 0.2, 0.3, 0.4, 0.5)]
    for _ in range(2):
        for i, plan in enumerate(plans):
            cached = draw(r, plan, rng=i, drawn_at=WHEN)
            assert same_draw(cached, draw(fresh(r), plan, rng=i, drawn_at=WHEN))


def test_a_plan_that_does_not_fit_is_refused_every_time() -> None:
    r = roster(n=200)
    bad = SamplingPlan(overall_rate=0.1, within="pps", size_column="no_such_column")
    for _ in range(2):  # a failed design is never kept and served later
        with pytest.raises(PlanError, match="no_such_column"):
            draw(r, bad, rng=1)


@settings(max_examples=60, deadline=None)
@given(
    ranks=st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0, math.inf]), min_size=1, max_size=30),
    data=st.data(),
)
def test_selection_by_partial_sort_equals_the_full_sort(
    ranks: list[float], data: st.DataObject
) -> None:
    # Many equal ranks: the per-stratum partial sort must fall back to credit-code order.
    n = len(ranks)
    strata = data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    sizes = [data.draw(st.integers(0, strata.count(h))) for h in range(3)]
    r = make_roster(["A"] * n)
    codes = r.credit_code
    rank = np.array(ranks)
    st_ = np.array(strata, dtype=np.intp)
    expected = set()
    for h in range(3):
        members = sorted((rank[i], codes[i], i) for i in range(n) if strata[i] == h)
        expected |= {i for _, _, i in members[: sizes[h]]}
    design = _design.build_design(r, SamplingPlan(rates={"A": 1.0}), exact=True)
    design.keys = [("A",), ("B",), ("C",)]
    pos, got_st = _select._smallest(design, r, np.arange(n, dtype=np.intp), st_, rank, sizes)
    assert set(pos.tolist()) == expected
    assert got_st.tolist() == st_[pos].tolist()


def lazy_roster(n: int = 100_000, seed: int = 2) -> TargetRoster:
    """Strata large enough for a simulation's lazy numbers (every q_h well below 0.2)."""
    return roster(n, seed)


@pytest.mark.parametrize("plan", [PPS, EQUAL], ids=["pps", "equal"])
def test_the_general_path_draws_the_same_sample_from_the_same_numbers(
    plan: SamplingPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    # When the fast path gives up (too few ranks below a cap, or equal ranks at a cut), the
    # generator is rewound and the general path must select from the very same numbers.
    r = lazy_roster()
    fast = [draw(r, plan, rng=seed, drawn_at=WHEN) for seed in range(3)]
    cuts = _select.cuts_at_most
    refused: list[bool] = []

    def refuse_first(*args: object, **kwargs: object) -> object:
        if not refused:
            refused.append(True)
            return None
        return cuts(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_select, "cuts_at_most", refuse_first)
    for seed in range(3):
        refused.clear()
        general = draw(r, plan, rng=seed, drawn_at=WHEN)
        assert refused
        assert same_draw(general, fast[seed])


@pytest.mark.parametrize("value", [math.nan, -1.0, 0.0, math.inf])
def test_simulations_refuse_bad_scores_with_the_row(value: float) -> None:
    scores = np.full(300, 1.5)
    scores[[7, 200]] = value
    r = make_roster(["A"] * 300, scores=scores)
    plan = SamplingPlan(rates={"A": 0.1}, within="pps", size_column="risk_score")
    with pytest.raises(PlanError, match=r"row 8 \(.*\(2 such rows\)"):
        draw(r, plan, rng=1)


@given(
    st.lists(st.integers(0, 299), max_size=300),
    st.sampled_from([np.uint8, np.uint16, np.intp]),
    st.integers(0, 1),
)
def test_counts_equal_numpy_bincount(codes: list[int], kind: type, skip: int) -> None:
    code = np.array(codes, dtype=np.int64)
    code = (code % 256 if kind is np.uint8 else code).astype(kind)[skip:]  # odd offsets too
    minlength = 256 if kind is np.uint8 else 300
    expected = np.bincount(code.astype(np.intp), minlength=minlength)
    assert select.code_counts(code, minlength).tolist() == expected.tolist()


@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"91130634", b"92350100"]),
            st.sampled_from([b"MA07RWXK", b"M000100Y", b"MA07RWXL"]),
            st.binary(min_size=2, max_size=2),
        ),
        max_size=40,
    ),
    st.booleans(),
)
def test_code_order_sorts_credit_codes_by_bytes(
    parts: list[tuple[bytes, bytes, bytes]], presort: bool
) -> None:
    codes = np.array([a + b + c for a, b, c in parts], dtype="S18")
    if presort:
        codes = np.sort(codes)
    order = select.code_order(codes)
    ordered = codes if order is None else codes[order]
    assert ordered.tolist() == sorted(codes.tolist())
    if order is not None:
        assert sorted(order.tolist()) == list(range(len(codes)))


_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["91130634", "92350100", "91110000", "Y1A2B3C4"]),
            st.text(_CODE_CHARS[:3], min_size=8, max_size=8),
            st.text(_CODE_CHARS + ":@az\x7f", min_size=2, max_size=2),
        ),
        max_size=60,
    ),
    st.booleans(),
    st.integers(0, 17),
    st.sampled_from(["", ":", "@", "[", "a", "/", "\x80"]),
)
@pytest.mark.slow
def test_code_order_is_a_stable_sort_of_any_codes(
    parts: list[tuple[str, str, str]], presort: bool, where: int, odd: str
) -> None:
    # Few body characters: equal characters 9–16 are common (the exact fallback); an odd byte
    # anywhere turns the base-36 keys off.
    raw = [(a + b + c).encode("latin-1") for a, b, c in parts]
    if raw and odd:
        raw[0] = raw[0][:where] + odd.encode("latin-1") + raw[0][where + 1 :]
    codes = np.array(raw, dtype="S18")
    if presort:
        codes = np.sort(codes)
    order = select.code_order(codes)
    expected = np.argsort(codes, kind="stable")
    if order is None:
        assert codes.tolist() == sorted(codes.tolist())
    else:
        assert order.tolist() == expected.tolist()


def test_code_order_of_many_distinct_codes_uses_the_keys() -> None:
    codes = np.concatenate([credit_codes(3000), credit_codes(3000)])  # two copies: ties
    codes = codes[np.random.default_rng(1).permutation(codes.shape[0])]
    areas = np.array([b"91130634", b"92350100"])[np.arange(codes.shape[0]) % 2]
    mixed = np.char.add(areas, np.array([c[8:] for c in codes.tolist()]))
    for case in (codes, np.unique(codes)[::-1], mixed):
        assert select._code_keys(case) is not None  # the fast path: private
        order = select.code_order(case)
        assert order is not None
        assert order.tolist() == np.argsort(case, kind="stable").tolist()


# --- roster digest --------------------------------------------------------------------------------
def by_hand(roster: TargetRoster) -> str:
    """The recipe ``randcheck-roster/2`` in plain Python, from the roster's plain columns."""
    cols = roster.to_columns()
    header = [c.name for c in roster.COLUMNS] + list(roster.extra_columns)

    def text(name: str, v: object) -> str:
        if isinstance(v, np.floating):
            x = float(v)
            if math.isnan(x):
                return ""
            return str(int(x)) if math.isfinite(x) and x == int(x) else repr(x)
        if name == "abnormal":
            return "1" if v else "0"
        if isinstance(v, np.datetime64):
            return "" if np.isnat(v) else str(v)
        return str(v)

    rows = [[text(h, cols[h][i]) for h in header] for i in range(len(roster))]
    return digest_by_hand(rows, header)


def awkward(n: int = 300, seed: int = 0) -> TargetRoster:
    rng = np.random.default_rng(seed)
    names = ["", "甲公司", "😀小店", "（有限）公司𠀀", "x" * 70, "ü", "商贸" * 25]
    floats = [0.5, 1.0, -2.0, np.nan, np.inf, -np.inf, -0.0, 1e16, 1e-7, 3.0e300, 0.1, 2.5e15]
    return TargetRoster.from_columns(
        {
            "credit_code": credit_codes(n),
            "risk_class": np.array(list("ABCDE"))[rng.integers(0, 5, n)],
            "name": np.array(names)[rng.integers(0, len(names), n)],
            "industry": np.array(["零售", "餐饮", ""])[rng.integers(0, 3, n)],
            "tags": [";".join(f"t{j}" for j in range(int(k))) for k in rng.integers(0, 15, n)],
            "complaints": rng.integers(0, 100_000, n),
            "last_inspected": np.where(
                rng.random(n) < 0.3,
                np.datetime64("NaT"),
                np.datetime64("1960-01-01") + rng.integers(0, 40_000, n),
            ),
            "score": np.array(floats)[rng.integers(0, len(floats), n)],
            "note": np.array(names)[rng.integers(0, len(names), n)],
        },
        extra=["score", "note"],
    )


def test_digest_of_awkward_values_follows_the_recipe() -> None:
    r = awkward()
    assert r.digest() == by_hand(r)


def test_digest_is_the_same_when_text_is_converted_chunk_by_chunk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = awkward(seed=3)
    expected = by_hand(r)
    monkeypatch.setattr(Pieces, "_TEXT_BUDGET", 0)
    monkeypatch.setattr(Pieces, "_CHUNK_BYTES", 997)
    assert fresh(r).digest() == expected


# --- threads: the same results with a second core or without -------------------------------------
def test_in_two_cuts_at_a_multiple_of_the_unit_or_where_told(threads: str) -> None:
    seen: list[tuple[int, int]] = []
    assert _parallel.in_two(lambda a, b: seen.append((a, b)) or b - a, 10, 4) == [8, 2]
    assert _parallel.in_two(lambda a, b: (a, b), 10, at=3) == [(0, 3), (3, 10)]
    assert _parallel.in_two(lambda a, b: (a, b), 3, 4) == [(0, 3), (3, 3)]
    assert sorted(seen) == [(0, 8), (8, 10)]


def test_in_two_raises_the_first_halfs_error_once_no_half_runs(threads: str) -> None:
    # A half running on after the error could still write into the caller's arrays.
    ended: list[int] = []

    def work(a: int, b: int) -> int:
        if a == 0:
            raise ValueError("first half")
        ended.append(b)
        return b

    with pytest.raises(ValueError, match="first half"):
        _parallel.in_two(work, 10)
    assert ended == ([10] if threads == "two threads" else [])  # one thread: never started


def test_no_helper_thread_on_a_busy_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parallel, "available_cores", lambda: 2)
    monkeypatch.setattr(_parallel, "_others_running", lambda: 1.0)  # the other core is busy
    assert _parallel.helper_thread() is None
    monkeypatch.setattr(_parallel, "_others_running", lambda: 0.0)
    assert _parallel.helper_thread() is not None


def test_the_caller_is_not_counted_among_the_others_running() -> None:
    assert 0.0 <= _parallel._others_running() < 10_000


@pytest.mark.parametrize("kind", ["distinct", "clumped", "equal keys"])
def test_packed_order_of_many_keys_is_a_stable_argsort(kind: str, threads: str) -> None:
    # From _RADIX_FROM keys: grouped by a 16-bit digit first, then each half sorted.
    rng = np.random.default_rng(7)
    n = 3 * select._RADIX_FROM + 5
    keys = {
        "distinct": rng.integers(0, 36**8, n),
        "clumped": np.where(rng.random(n) < 0.8, 22 * 36**7 + rng.integers(0, 36**3, n), 5),
        "equal keys": rng.integers(0, 3, n) * 36**7,
    }[kind]
    bits = (n - 1).bit_length()
    order = select._packed_order(keys.astype(np.int64), bits)
    assert order.tolist() == np.argsort(keys, kind="stable").tolist()


def test_code_keys_refuse_codes_with_an_odd_byte_in_any_block(threads: str) -> None:
    codes = credit_codes(3 * select._KEY_BLOCK)
    assert select._code_keys(codes) is not None
    for at in (5, 2 * select._KEY_BLOCK + 7):
        odd = codes.copy()
        odd[at] = odd[at][:10] + b"a" + odd[at][11:]
        assert select._code_keys(odd) is None
        order = select.code_order(odd)
        assert order is not None
        assert order.tolist() == np.argsort(odd, kind="stable").tolist()


def test_score_sums_add_the_chunks_in_row_order(threads: str) -> None:
    # Both halves give each chunk's sums; added in order, the totals are those of one pass.
    rng = np.random.default_rng(3)
    n = 5 * _design._ROW_BLOCK + 123
    scores = rng.uniform(0.5, 2.0, n) * 10.0 ** rng.integers(-8, 8, n)
    code = rng.integers(0, 7, n).astype(np.uint8)
    expected = np.zeros(7)
    for a in range(0, n, _design._ROW_BLOCK):
        expected += np.bincount(
            code[a : a + _design._ROW_BLOCK],
            weights=scores[a : a + _design._ROW_BLOCK],
            minlength=7,
        )
    got = _design._score_sums(scores, code, 7)
    assert got.sums.tobytes() == expected.tobytes()
    assert got.counts.tolist() == np.bincount(code, minlength=7).tolist()
    assert (got.lo, got.hi) == (scores.min(), scores.max())


@pytest.mark.parametrize("plan", [PPS, EQUAL], ids=["pps", "equal"])
def test_a_simulation_is_the_same_with_a_second_thread(
    plan: SamplingPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Large enough for every threaded step: score sums, candidates sifted in chunks, the
    # ids gathered and sorted in two halves.
    r = lazy_roster(1_500_000, seed=4)
    draws = {}
    for on in (False, True):
        monkeypatch.setattr(_parallel, "available_cores", lambda on=on: 2 if on else 1)
        monkeypatch.setattr(_parallel, "_others_running", lambda: 0.0)
        draws[on] = [draw(fresh(r), plan, rng=seed, drawn_at=WHEN) for seed in range(2)]
        for d in draws[on]:
            assert len(d.ids) == len(d)  # gathered and ordered now, with this many threads
    assert all(same_draw(a, b) for a, b in zip(draws[False], draws[True], strict=True))
    assert len(draws[True][0]) > 2 * 2**15  # the ids were gathered in two halves


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 300), min_size=2, max_size=4),
    st.integers(0, 3 * 2**16),
    st.integers(0, 2**32 - 1),
)
def test_combined_codes_equal_the_arithmetic_in_the_code_type(
    radices: list[int], size: int, seed: int
) -> None:
    # Blocks, halves and in-place steps give what whole-array arithmetic in the kind gives,
    # flags (bool) and codes of any integer type included.
    rng = np.random.default_rng(seed)
    parts = [(rng.integers(0, radices[0], size).astype(np.uint8), ["x"] * radices[0])]
    for i, r_ in enumerate(radices[1:]):
        values = rng.integers(0, r_, size)
        column = values.astype(bool) if r_ <= 2 else values.astype([np.int32, np.int64][i % 2])
        parts.append((column, ["x"] * r_))
    kind_radix = int(np.prod(radices))
    kind = select.code_type(kind_radix)
    expected = parts[0][0].astype(kind)
    for values, labels in parts[1:]:
        expected = expected * len(labels)
        expected += values.astype(kind)
    for on in (1, 2):
        with pytest.MonkeyPatch.context() as m:
            m.setattr(_parallel, "available_cores", lambda on=on: on)
            m.setattr(_parallel, "_others_running", lambda: 0.0)
            columns = [v for v, _ in parts]
            small = kind.itemsize <= 2  # rows per code counted (dense: a few codes only)
            got, counts, _ = _design._row_pass(columns, radices, kind, None, count=small)
        assert got.dtype == kind
        if small:
            assert counts.tolist() == np.bincount(expected, minlength=kind_radix).tolist()
        assert got.tobytes() == expected.tobytes()


def test_work_in_the_helper_thread_runs_its_own_halves_itself(threads: str) -> None:
    # in_two called from the helper thread must not wait for the helper's own queue.
    inner = _parallel.in_two(lambda a, b: _parallel.in_two(lambda c, d: (c, d), b - a), 4)
    assert inner == [[(0, 1), (1, 2)], [(0, 1), (1, 2)]]


# ---------------------------------------------------------------------------- the sample's order
@pytest.mark.parametrize("plan", [PPS, EQUAL], ids=["pps", "equal"])
def test_a_simulations_sample_is_put_in_code_order_when_first_read(plan: SamplingPlan) -> None:
    r = roster(n=20_000, seed=5)
    d = draw(r, plan, rng=3, drawn_at=WHEN)
    assert d._sample._arrays is None  # nothing gathered or sorted yet
    n = len(d)
    assert n == d.receipt.sample_size == sum(s.size for s in d.strata) > 0
    assert d._sample._arrays is None  # the size and receipt do not order it
    ids, rows = d.ids, d.rows
    assert d._sample._make is None  # the roster's id column is no longer held
    assert ids.shape == rows.shape == d.stratum.shape == (n,)
    assert (ids[1:] > ids[:-1]).all()  # credit-code order
    assert ids.tobytes() == r.credit_code[rows].tobytes()
    pi = sampling_module.inclusion_probabilities(r, plan)
    # (a simulation's score totals are float sums, the function's exact ones: the last bits)
    assert np.allclose(d.inclusion_probabilities, pi[rows], rtol=1e-12, atol=0.0)
    labels = ["/".join(s.key) for s in d.strata]
    assert [labels[h] for h in d.stratum] == [
        f"{RISK_LETTERS[r.risk_class[i]]}/{r.industry.labels()[i]}" for i in rows
    ]
    assert d.ids is ids  # computed once
    assert d.rows is rows
    # by_row: the same targets in roster order, read before the code order or after.
    again = draw(r, plan, rng=3, drawn_at=WHEN)
    for x in (again, d):
        by_rows, by_pi, by_stratum = x.by_row()
        order = np.argsort(rows)
        assert by_rows.tolist() == rows[order].tolist()
        assert by_pi.tobytes() == d.inclusion_probabilities[order].tobytes()
        assert by_stratum.tolist() == d.stratum[order].tolist()
    assert again._sample._arrays is None  # by_row sorted nothing


def test_an_unread_simulation_pickles_and_copies_its_sample_not_the_roster() -> None:
    r = roster(n=50_000, seed=6)
    read = draw(r, PPS, rng=4, drawn_at=WHEN)
    for make in (pickle.dumps, copy.deepcopy):
        d = draw(r, PPS, rng=4, drawn_at=WHEN)
        assert d._sample._arrays is None
        out = make(d)
        if make is pickle.dumps:
            assert len(out) < 40 * len(d) + 20_000  # 18-byte ids and three numbers a target
            out = pickle.loads(out)
        assert same_draw(out, read)
        assert len(out) == len(read)


def test_two_threads_reading_an_unread_sample_get_the_same_arrays() -> None:
    r = roster(n=50_000, seed=7)
    d = draw(r, PPS, rng=5, drawn_at=WHEN)
    calls = []
    make = d._sample._make
    assert make is not None

    def counted() -> object:
        calls.append(1)
        return make()

    d._sample._make = counted
    start = threading.Barrier(2)
    got: list[object] = []

    def read() -> None:
        start.wait()
        got.append(d.ids)

    others = [threading.Thread(target=read) for _ in range(2)]
    for t in others:
        t.start()
    for t in others:
        t.join()
    assert calls == [1]
    assert got[0] is got[1]


def test_an_official_draw_is_in_code_order_at_once() -> None:
    r = roster(n=5_000, seed=8)
    d = draw(r, EQUAL, seed="2024 官方", drawn_at=WHEN)
    rows, pi, stratum = d.by_row()
    assert rows.tolist() == sorted(d.rows.tolist())
    assert dict(zip(rows.tolist(), pi.tolist(), strict=True)) == dict(
        zip(d.rows.tolist(), d.inclusion_probabilities.tolist(), strict=True)
    )
    assert dict(zip(rows.tolist(), stratum.tolist(), strict=True)) == dict(
        zip(d.rows.tolist(), d.stratum.tolist(), strict=True)
    )
    assert d._sample._arrays is not None
    assert d._sample._make is None
    assert list(d.receipt.sample_ids) == d.id_list() == sorted(d.id_list())


@pytest.mark.parametrize("kind", ["simulation", "official"])
def test_by_row_arrays_are_read_only_and_leave_the_draw_as_it_was(kind: str) -> None:
    """Review finding: by_row()'s arrays were the draw's own, so `pi *= n` on them changed
    d.inclusion_probabilities (and rows, the ids) of an unread simulation."""
    r = roster(n=20_000, seed=9)
    options: dict[str, object] = {"rng": 4} if kind == "simulation" else {"seed": "2024 行"}
    d = draw(r, PPS, drawn_at=WHEN, **options)  # type: ignore[arg-type]
    expected = draw(r, PPS, drawn_at=WHEN, **options)  # type: ignore[arg-type]
    rows, pi, stratum = d.by_row()
    for a in (rows, pi, stratum):
        with pytest.raises(ValueError, match="read-only"):
            a[:] = 0
    assert same_draw(d, expected)
    tiny = draw(r, SamplingPlan(total=1, strata=STRATA), drawn_at=WHEN, **options)  # type: ignore[arg-type]
    rows, _, _ = tiny.by_row()
    assert len(tiny) == 1
    assert tiny.rows is not rows
    assert tiny.rows.flags.writeable  # the draw's own arrays stay as they were


def test_official_draws_and_small_simulations_do_not_import_scipy_sparse() -> None:
    """Review finding: the first design pass imported scipy.sparse (0.1 s) for every draw."""
    code = (
        "import sys, randcheck\n"
        "c = randcheck.example_county()\n"
        "p = randcheck.SamplingPlan(rates={'A': 0.01, 'B': 0.03, 'C': 0.1, 'D': 0.5})\n"
        "randcheck.draw(c.targets, p, seed='2024 县')\n"
        "q = randcheck.SamplingPlan(overall_rate=0.03, within='pps', size_column='risk_score')\n"
        "randcheck.draw(c.targets, q, rng=1).ids\n"
        "print('scipy.sparse' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
