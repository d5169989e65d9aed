"""Per-stratum arithmetic: allocation to a total and systematic rounding.

The module is randcheck.sampling.allocation.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from randcheck.sampling import allocation as _allocation

fracs = st.floats(0.0, 50.0, allow_nan=False, allow_infinity=False)


def expected_sizes_over_start(expected: list[float], exact: bool) -> list[float]:
    """E[n_h] over a uniform start, integrated exactly: sizes only change at breakpoints."""
    cum, c = [], 0.0
    for x in expected:
        c += x - math.floor(x)
        cum.append(c)
    points = sorted({0.0, 1.0} | {v - math.floor(v) for v in cum})
    mean = [0.0] * len(expected)
    for a, b in itertools.pairwise(points):
        sizes = _allocation.systematic_rounding(expected, (a + b) / 2, exact)
        for i, s in enumerate(sizes):
            mean[i] += (b - a) * s
    return mean


@given(st.lists(fracs, min_size=1, max_size=12))
def test_systematic_rounding_is_unbiased_for_every_stratum(expected: list[float]) -> None:
    mean = expected_sizes_over_start(expected, exact=False)
    assert mean == pytest.approx(expected, abs=1e-9)


@given(st.lists(fracs, min_size=1, max_size=12), st.floats(0.0, 1.0, exclude_max=True))
def test_systematic_rounding_rounds_each_size_down_or_up(
    expected: list[float], start: float
) -> None:
    sizes = _allocation.systematic_rounding(expected, start, exact_total=False)
    assert all(
        math.floor(x) <= s <= math.floor(x) + 1 for s, x in zip(sizes, expected, strict=True)
    )
    assert abs(sum(sizes) - sum(expected)) < 1.0 + 1e-9


@given(
    st.lists(st.integers(1, 200), min_size=1, max_size=10),
    st.integers(0, 10_000),
    st.floats(0.0, 1.0, exclude_max=True),
)
def test_systematic_rounding_hits_a_fixed_total_exactly(
    pops: list[int], seed: int, start: float
) -> None:
    total = seed % (sum(pops) + 1)
    x = _allocation.fill_to_total(
        [float(p) for p in pops], [0.0] * len(pops), [float(p) for p in pops], float(total)
    )
    sizes = _allocation.systematic_rounding(x, start, exact_total=True)
    assert sum(sizes) == total


def test_deterministic_rounding_would_fail_the_unbiasedness_check() -> None:
    # The check above catches a wrong rounding rule: round-half-even of 10.4 is 10 every time.
    expected = [10.4, 20.3, 5.3]
    wrong = [float(round(x)) for x in expected]
    assert wrong != pytest.approx(expected, abs=1e-9)
    assert expected_sizes_over_start(expected, exact=True) == pytest.approx(expected, abs=1e-9)


@given(
    st.lists(
        st.tuples(st.just(0.0) | st.floats(1e-9, 100.0), st.integers(0, 50)),
        min_size=1,
        max_size=10,
    ),
    st.floats(0.0, 1.0),
)
def test_fill_to_total_respects_bounds_and_total(
    pairs: list[tuple[float, int]], share: float
) -> None:
    weights = [w for w, _ in pairs]
    upper = [float(n) for _, n in pairs]
    lower = [min(1.0, u) for u in upper]
    most = _allocation.reachable(weights, lower, upper)
    total = sum(lower) + share * (most - sum(lower))
    x = _allocation.fill_to_total(weights, lower, upper, total)
    assert all(lo - 1e-9 <= v <= u + 1e-9 for v, lo, u in zip(x, lower, upper, strict=True))
    assert sum(x) == pytest.approx(total, rel=1e-9, abs=1e-9)


def test_fill_to_total_is_proportional_when_no_bound_binds() -> None:
    x = _allocation.fill_to_total([1.0, 3.0], [0.0, 0.0], [100.0, 100.0], 40.0)
    assert x == pytest.approx([10.0, 30.0])


def test_fill_to_total_caps_at_the_upper_bound_and_spreads_the_rest() -> None:
    x = _allocation.fill_to_total([1.0, 1.0], [0.0, 0.0], [5.0, 100.0], 40.0)
    assert x == pytest.approx([5.0, 35.0])


def test_fill_to_total_refuses_a_total_zero_weights_cannot_reach() -> None:
    # Used to loop forever: no c makes 0·c reach the total.
    with pytest.raises(ValueError, match="cannot be reached"):
        _allocation.fill_to_total([0.0, 1.0], [0.0, 0.0], [100.0, 10.0], 50.0)


def test_fill_to_total_refuses_negative_or_nan_weights() -> None:
    with pytest.raises(ValueError, match="finite and ≥ 0"):
        _allocation.fill_to_total([math.nan, 1.0], [0.0, 0.0], [10.0, 10.0], 5.0)


def fill_to_total_by_hand(
    weights: list[float], lower: list[float], upper: list[float], total: float
) -> list[float]:
    """The recipe of ``fill_to_total`` in plain Python floats, all 200 steps (as published)."""

    def left_sum(values: list[float]) -> float:
        out = 0.0
        for v in values:
            out += v
        return out

    if total <= left_sum(lower):
        return [float(v) for v in lower]
    if total >= left_sum(upper):
        return [float(v) for v in upper]

    def sizes(c: float) -> list[float]:
        return [min(u, max(lo, c * w)) for w, lo, u in zip(weights, lower, upper, strict=True)]

    lo_c, hi_c = 0.0, 1.0
    while left_sum(sizes(hi_c)) < total:
        hi_c *= 2.0
    for _ in range(200):
        mid = (lo_c + hi_c) / 2.0
        if left_sum(sizes(mid)) < total:
            lo_c = mid
        else:
            hi_c = mid
    x = sizes(hi_c)
    free = [lo < v < u for v, lo, u in zip(x, lower, upper, strict=True)]
    if any(free):
        fixed = left_sum([v for v, f in zip(x, free, strict=True) if not f])
        wsum = left_sum([w for w, f in zip(weights, free, strict=True) if f])
        for i, f in enumerate(free):
            if f:
                x[i] = (total - fixed) * weights[i] / wsum
    return x


weights_st = st.sampled_from([0.0, -0.0, 1.0, 3.0, 1e-300, 5e-324]) | st.floats(0.0, 1e12)
bounds_st = st.sampled_from([0.0, -0.0, 1.0, 2.0]) | st.floats(0.0, 1e6)


@given(
    st.lists(st.tuples(weights_st, bounds_st, bounds_st), min_size=1, max_size=40),
    st.floats(0.0, 1.0),
    st.sampled_from([None, 0.0, 1e-300, 1e300]),
)
def test_fill_to_total_gives_the_plain_python_floats_bit_for_bit(
    rows: list[tuple[float, float, float]], share: float, odd_total: float | None
) -> None:
    # numpy's elementwise steps and running sums must give exactly the recipe's doubles: the
    # reference verifier repeats the recipe in Python floats.
    weights = [w for w, _, _ in rows]
    lower = [min(a, b) for _, a, b in rows]
    upper = [max(a, b) for _, a, b in rows]
    most = _allocation.reachable(weights, lower, upper)
    least = _allocation.left_sum(lower)
    total = least + share * (most - least) if odd_total is None else odd_total
    try:
        got = _allocation.fill_to_total(weights, lower, upper, total)
    except ValueError:
        assert total > most
        return
    expected = fill_to_total_by_hand(weights, lower, upper, total)
    assert [v.hex() for v in got] == [v.hex() for v in expected]
    assert all(type(v) is float for v in got)
