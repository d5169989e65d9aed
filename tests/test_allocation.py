"""Per-stratum arithmetic: allocation to a total and systematic rounding (randcheck._allocation)."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from randcheck import _allocation

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
