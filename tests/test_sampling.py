"""Stratified sampling: sizes, probabilities, statistics, properties, receipts and bad input."""

from __future__ import annotations

import json
import math
import pathlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import randcheck
from _helpers import ALPHA, binomial_bounds, commit_any, credit_codes, make_roster, snapshot
from randcheck import PlanError, TargetRoster, VerificationError
from randcheck.randomness import HashSource, hashing
from randcheck.sampling import (  # white-box: candidate and sum helpers
    Eligibility,
    SamplingPlan,
    _design,
    _select,
    draw,
    inclusion_probabilities,
    verify,
)


def units_match_probabilities(
    counts: npt.NDArray[np.float64], draws: int, pi: npt.NDArray[np.float64], slack: float = 0.0
) -> bool:
    """Every unit's count within its binomial bound (Bonferroni over units), widened by
    ``slack·π·draws`` for a documented approximation."""
    lo, hi = binomial_bounds(draws, pi, ALPHA / len(pi))
    return bool(np.all((counts >= lo - slack * pi * draws) & (counts <= hi + slack * pi * draws)))


def stratum_total_ok(total_count: float, draws: int, expected: float, pop: int) -> bool:
    """Aggregate check: Σ counts over a stratum vs draws·x_h, with the binomial variance of
    ``pop`` independent units (an upper bound for sampling without replacement)."""
    p = expected / pop
    sd = math.sqrt(draws * pop * p * (1 - p))
    z = stats.norm.isf(ALPHA / 2)
    return abs(total_count - draws * expected) <= z * sd


def simulate(
    roster: TargetRoster,
    plan: SamplingPlan,
    draws: int,
    seed: int = 1,
) -> tuple[npt.NDArray[np.float64], list[list[int]]]:
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(roster))
    sizes = []
    for _ in range(draws):
        d = draw(roster, plan, rng=rng)
        assert np.unique(d.rows).size == d.rows.size  # no unit twice
        counts[d.rows] += 1
        sizes.append([s.size for s in d.strata])
    return counts, sizes


# --------------------------------------------------------------------------- fixtures
CLASSES = ["A"] * 150 + ["B"] * 90 + ["C"] * 40 + ["D"] * 20
RATES = {"A": 0.043, "B": 0.11, "C": 0.27, "D": 0.55}


@pytest.fixture(scope="module")
def roster() -> TargetRoster:
    return make_roster(CLASSES)


# --------------------------------------------------------------------------- statistics
@pytest.mark.slow
def test_equal_probability_frequencies_match_stated_probabilities(roster: TargetRoster) -> None:
    plan = SamplingPlan(rates=RATES)
    draws = 4000
    counts, sizes = simulate(roster, plan, draws)
    pi = inclusion_probabilities(roster, plan)
    expected_pi = np.array([RATES[c] for c in CLASSES])
    assert pi == pytest.approx(expected_pi, rel=1e-12)
    assert units_match_probabilities(counts, draws, pi)
    d = draw(roster, plan, rng=0)
    for h, s in enumerate(d.strata):
        x = s.expected
        assert {row[h] for row in sizes} <= {math.floor(x), math.floor(x) + 1}
        members = np.array(CLASSES) == s.key[0]
        assert stratum_total_ok(counts[members].sum(), draws, x, s.population)


@pytest.mark.slow
def test_official_draws_have_the_stated_probabilities_over_many_seeds(roster: TargetRoster) -> None:
    plan = SamplingPlan(rates=RATES)
    draws = 1500
    counts = np.zeros(len(roster))
    for i in range(draws):
        d = draw(roster, plan, seed=f"seed-{i}")
        counts[d.rows] += 1
    assert units_match_probabilities(counts, draws, inclusion_probabilities(roster, plan))


def test_deterministic_rounding_would_be_caught(roster: TargetRoster) -> None:
    # A wrong sampler that rounds x_h = 150·0.043 = 6.45 to 6 every time gives class A units
    # π = 0.04 instead of 0.043. Over 4000 draws the stratum total is 24,000 instead of 25,800:
    # 1800 short, while the aggregate bound allows about 5.3 sd ≈ 5.3·√(4000·150·0.043·0.957)
    # ≈ 830. The check used above therefore fails for it.
    draws, pop, x = 4000, 150, 150 * 0.043
    assert not stratum_total_ok(draws * math.floor(x), draws, x, pop)
    assert stratum_total_ok(draws * x, draws, x, pop)
    # Per unit too: count 160 of 4000 for p = 0.043 is inside the bound, but all 150 units
    # shifted by −7% is caught by the stratum total, which is what the test checks.


def test_a_sampler_with_wrong_unit_probabilities_fails_the_unit_check() -> None:
    # Favouring the first half of a stratum (π 0.15 vs 0.05 instead of 0.1 for all) is caught.
    draws = 4000
    pi = np.full(200, 0.1)
    wrong = np.r_[np.full(100, 0.15), np.full(100, 0.05)] * draws
    assert not units_match_probabilities(wrong, draws, pi)
    assert units_match_probabilities(pi * draws, draws, pi)


@pytest.mark.slow
def test_fixed_total_sizes_are_exact_and_unbiased(roster: TargetRoster) -> None:
    plan = SamplingPlan(total=37, allocation="proportional")
    counts, sizes = simulate(roster, plan, 2000, seed=3)
    assert all(sum(row) == 37 for row in sizes)
    d = draw(roster, plan, rng=0)
    mean = np.mean(sizes, axis=0)
    for h, s in enumerate(d.strata):
        assert s.expected == pytest.approx(37 * s.population / 300)
        sd = math.sqrt(0.25 / 2000)  # Var(n_h) = φ(1−φ) ≤ 1/4
        assert abs(mean[h] - s.expected) <= stats.norm.isf(ALPHA / 2) * sd
    assert units_match_probabilities(counts, 2000, inclusion_probabilities(roster, plan))


@pytest.mark.slow
def test_srs_within_a_stratum_gives_equal_pair_frequencies() -> None:
    # Joint behaviour of SRS: P(i and j both drawn) = n(n−1)/(N(N−1)) for every pair.
    r = make_roster(["B"] * 12)
    plan = SamplingPlan(total=4)
    draws = 6000
    rng = np.random.default_rng(11)
    pair = np.zeros((12, 12))
    for _ in range(draws):
        rows = draw(r, plan, rng=rng).rows
        assert rows.size == 4
        pair[np.ix_(rows, rows)] += 1
    p2 = 4 * 3 / (12 * 11)
    off = pair[~np.eye(12, dtype=bool)]
    lo, hi = binomial_bounds(draws, np.full(off.size, p2), ALPHA / off.size)
    assert np.all((off >= lo) & (off <= hi))


@pytest.mark.slow
def test_pps_frequencies_match_target_probabilities() -> None:
    rng = np.random.default_rng(5)
    scores = rng.uniform(0.5, 3.0, 300)
    scores[:3] = [80.0, 60.0, 40.0]  # take-all units
    r = make_roster(["A"] * 200 + ["C"] * 100, scores=scores)
    plan = SamplingPlan(rates={"A": 0.1, "C": 0.3}, within="pps", size_column="risk_score")
    pi = inclusion_probabilities(r, plan)
    assert pi[:3].tolist() == [1.0, 1.0, 1.0]
    assert pi.sum() == pytest.approx(0.1 * 200 + 0.3 * 100)
    draws = 4000
    counts, _ = simulate(r, plan, draws, seed=9)
    assert counts[:3].tolist() == [draws] * 3
    # Pareto πps: documented approximation under 2% relative for n_h ≥ 10.
    assert units_match_probabilities(counts, draws, pi, slack=0.02)


def test_pps_check_would_catch_equal_probability_selection() -> None:
    rng = np.random.default_rng(5)
    scores = rng.uniform(0.5, 3.0, 200)
    r = make_roster(["A"] * 200, scores=scores)
    plan = SamplingPlan(rates={"A": 0.1}, within="pps", size_column="risk_score")
    pi = inclusion_probabilities(r, plan)
    draws = 4000
    wrong_counts = np.full(200, 0.1 * draws)  # what equal probability would give on average
    assert not units_match_probabilities(wrong_counts, draws, pi, slack=0.02)


def test_large_strata_use_lazy_numbers_with_the_same_distribution() -> None:
    # 20,000 units at 1%: simulations draw numbers only near the threshold. Counts in 20
    # blocks of 1000 units must match 1% (chi-square at α = 1e-6).
    r = make_roster(["A"] * 20_000)
    plan = SamplingPlan(rates={"A": 0.01})
    draws = 400
    counts, sizes = simulate(r, plan, draws, seed=2)
    assert all(row == [200] for row in sizes)
    blocks = counts.reshape(20, 1000).sum(axis=1)
    chi2 = float(((blocks - 4000) ** 2 / 4000).sum())
    assert chi2 < stats.chi2.isf(ALPHA, 19)


def test_lazy_pps_matches_targets_in_blocks() -> None:
    rng = np.random.default_rng(8)
    scores = np.repeat([0.5, 1.0, 2.0, 4.0], 5000)
    r = make_roster(["B"] * 20_000, scores=rng.permutation(scores))
    plan = SamplingPlan(rates={"B": 0.01}, within="pps", size_column="risk_score")
    pi = inclusion_probabilities(r, plan)
    draws = 300
    counts, _ = simulate(r, plan, draws, seed=4)
    s = r.column("risk_score")
    for v in (0.5, 1.0, 2.0, 4.0):
        m = s == v
        assert stratum_total_ok(counts[m].sum(), draws, pi[m].sum(), int(m.sum()))


def test_lazy_candidates_are_a_bernoulli_process_with_uniform_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulations give numbers only to the rows with u < q, found from geometric gaps a chunk
    # at a time: every row must be one with probability q, independently of its neighbour,
    # and its u / q must be uniform. Tiny chunks put many chunk boundaries in the way.
    monkeypatch.setattr(_select, "_CANDIDATE_CHUNK", 3)
    size, q, runs = 50, 0.2, 4000
    rng = np.random.default_rng(12)
    hits, pairs, scaled = np.zeros(size), np.zeros(size - 1), []
    for _ in range(runs):
        parts = list(_select._candidates(rng, size, q))
        pos = np.concatenate([p for p, _ in parts])
        assert pos.size == 0 or (pos[0] >= 0 and pos[-1] < size and (np.diff(pos) > 0).all())
        row = np.zeros(size, dtype=bool)
        row[pos] = True
        hits += row
        pairs += row[1:] & row[:-1]
        scaled.append(np.concatenate([u for _, u in parts]) / q)
    assert units_match_probabilities(hits, runs, np.full(size, q))
    assert stratum_total_ok(hits.sum(), runs, q * size, size)
    assert units_match_probabilities(pairs, runs, np.full(size - 1, q * q))
    assert stats.kstest(np.concatenate(scaled), "uniform").pvalue > ALPHA


# --------------------------------------------------------------------------- the draw
def test_probabilities_are_aligned_with_ids_and_strata_are_reported(
    roster: TargetRoster,
) -> None:
    plan = SamplingPlan(rates=RATES)
    d = draw(roster, plan, seed="2023-1107")
    assert list(d.ids) == sorted(d.ids)
    assert (roster.credit_code[d.rows] == d.ids).all()
    per_class = np.array([RATES[c] for c in CLASSES])
    assert d.inclusion_probabilities.tolist() == pytest.approx(per_class[d.rows].tolist())
    assert [(s.key, s.population) for s in d.strata] == [
        (("A",), 150),
        (("B",), 90),
        (("C",), 40),
        (("D",), 20),
    ]
    assert [s.size for s in d.strata] == np.bincount(d.stratum, minlength=4).tolist()


def test_a_take_all_pps_stratum_has_probability_one() -> None:
    # Used to report π = 0 (weight ∞) when a πps stratum was drawn in full.
    r = make_roster(["A"] * 5 + ["D"] * 4, scores=[1.0, 2, 3, 4, 5, 1, 2, 3, 9])
    plan = SamplingPlan(rates={"A": 0.4, "D": 1.0}, within="pps", size_column="risk_score")
    d = draw(r, plan, seed="s")
    d_rows = np.flatnonzero(np.array(["A"] * 5 + ["D"] * 4) == "D")
    assert set(d_rows.tolist()) <= set(d.rows.tolist())
    pi = dict(zip(d.rows.tolist(), d.inclusion_probabilities.tolist(), strict=True))
    assert [pi[i] for i in d_rows] == [1.0] * 4
    assert np.isfinite(d.to_columns()["weight"]).all()


def test_stratum_size_total_is_the_exact_sum_of_scores() -> None:
    scores = [0.1] * 10 + [1e16, 1.0, -1e16 + 3.0][:1] + [0.3] * 5
    r = make_roster(["A"] * len(scores), scores=scores)
    plan = SamplingPlan(rates={"A": 0.5}, within="pps", size_column="risk_score")
    d = draw(r, plan, seed="s")
    assert d.strata[0].size_total == math.fsum(scores)


@given(st.lists(st.floats(1e-300, 1e300), min_size=1, max_size=60), st.integers(1, 4))
def test_exact_sums_equal_math_fsum(values: list[float], groups: int) -> None:
    s = np.array(values)
    g = np.arange(s.size, dtype=np.intp) % groups
    sums = _design.exact_sums(s, g, groups)
    for h in range(groups):
        assert float(sums[h]) == math.fsum(s[g == h].tolist())


def test_attention_stratum_works_with_overall_rate_and_multipliers() -> None:
    # Used to raise: multipliers were looked up for the 关注 stratum.
    r = make_roster(["A"] * 50 + ["B"] * 50, abnormal=[True] * 5 + [False] * 95)
    plan = SamplingPlan(
        overall_rate=0.2, multipliers={"A": 1, "B": 2}, attention="stratum", attention_rate=0.5
    )
    d = draw(r, plan, seed="s")
    assert [s.key for s in d.strata] == [("A",), ("B",), ("关注",)]
    assert sum(s.expected for s in d.strata) == pytest.approx(20.0)


def test_workers_give_identical_numbers(
    monkeypatch: pytest.MonkeyPatch, roster: TargetRoster
) -> None:
    monkeypatch.setattr(hashing, "PARALLEL_MIN", 10)
    plan = SamplingPlan(rates=RATES)
    one = draw(roster, plan, seed="w")
    two = draw(roster, plan, seed="w", workers=2)
    assert one.ids.tolist() == two.ids.tolist()


def test_ranking_rows_block_by_block_gives_the_same_official_draw(
    monkeypatch: pytest.MonkeyPatch, roster: TargetRoster
) -> None:
    rng = np.random.default_rng(8)
    scores = rng.uniform(0.5, 3.0, 300)
    scores[:3] = [80.0, 60.0, 40.0]  # take-all units
    scored = make_roster(["A"] * 200 + ["C"] * 100, scores=scores)
    pps = SamplingPlan(rates={"A": 0.1, "C": 0.3}, within="pps", size_column="risk_score")
    cases = [(roster, SamplingPlan(rates=RATES)), (scored, pps)]
    whole = [draw(r, plan, seed="blocks") for r, plan in cases]
    monkeypatch.setattr(_select, "_SELECT_ROWS", 7)
    for (r, plan), expected in zip(cases, whole, strict=True):
        again = draw(r, plan, seed="blocks")
        assert again.ids.tolist() == expected.ids.tolist()
        assert again.inclusion_probabilities.tolist() == expected.inclusion_probabilities.tolist()


def test_simulation_receipts_are_marked_and_cannot_be_verified(roster: TargetRoster) -> None:
    d = draw(roster, SamplingPlan(rates=RATES), rng=1)
    assert not d.verifiable
    assert d.receipt.sample_ids == ()
    with pytest.raises(VerificationError, match="simulation"):
        verify(d.receipt, roster)


# --------------------------------------------------------------------------- properties
rates_st = st.fixed_dictionaries({c: st.floats(0.0, 1.0) for c in "ABCD"})
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(rates_st, st.randoms(use_true_random=False), st.booleans())
@pytest.mark.slow
def test_row_order_does_not_change_an_official_draw(
    rates: dict[str, float], rnd: object, pps: bool
) -> None:
    scores = np.linspace(0.5, 3.0, len(CLASSES))
    r = make_roster(CLASSES, scores=scores)
    plan = SamplingPlan(
        rates=rates, within="pps" if pps else "equal", size_column="risk_score" if pps else None
    )
    perm = np.arange(len(r))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    a = draw(r, plan, seed="order")
    b = draw(r.take(perm), plan, seed="order")
    assert a.ids.tolist() == b.ids.tolist()
    assert a.inclusion_probabilities.tolist() == b.inclusion_probabilities.tolist()
    assert a.receipt.sample_digest == b.receipt.sample_digest


@SETTINGS
@given(rates_st, st.text(min_size=1, max_size=10).filter(str.strip))
def test_an_official_draw_is_determined_by_its_seed(rates: dict[str, float], seed: str) -> None:
    r = make_roster(CLASSES)
    plan = SamplingPlan(rates=rates)
    assert draw(r, plan, seed=seed).ids.tolist() == draw(r, plan, seed=seed).ids.tolist()


@SETTINGS
@given(st.integers(1, 40), st.sets(st.integers(0, 299), max_size=150))
@pytest.mark.slow
def test_removing_other_targets_keeps_the_sample(n: int, removed: set[int]) -> None:
    # One stratum, fixed size: the n smallest numbers stay the n smallest in any subset that
    # keeps them, because a target's number depends only on seed and its own code.
    r = make_roster(["B"] * 300)
    plan = SamplingPlan(total=n)
    full = draw(r, plan, seed="subset")
    keep = sorted(set(range(300)) - (removed - set(full.rows.tolist())))
    sub = draw(r.take(np.array(keep)), plan, seed="subset")
    assert sub.ids.tolist() == full.ids.tolist()
    src = HashSource.from_seed("subset").child("units")
    assert src.uniforms(r.credit_code[keep]).tolist() == src.uniforms(r.credit_code).tolist()[
        :0
    ] + [src.uniforms(r.credit_code)[i] for i in keep]


plans = st.builds(
    SamplingPlan,
    name=st.text(max_size=8),
    rates=rates_st,
    strata=st.sampled_from(
        [("risk_class",), ("risk_class", "industry"), ("risk_class", "area", "industry")]
    ),
    min_per_stratum=st.integers(0, 3),
    no_exemption=st.booleans(),
    eligibility=st.builds(
        Eligibility,
        industries=st.none() | st.sets(st.text(max_size=4)),
        recent_days=st.none(),
        tags=st.none() | st.lists(st.text()),
    ),
)


@settings(max_examples=60, deadline=None)
@given(plans)
def test_plan_json_round_trips(plan: SamplingPlan) -> None:
    again = SamplingPlan.from_json(plan.to_json())
    assert again == plan
    assert again.digest() == plan.digest()
    assert json.loads(plan.to_json())["format"] == "randcheck-plan/1"


@SETTINGS
@given(rates_st, st.integers(0, 299), st.sampled_from(["risk", "drop", "code", "add"]))
@pytest.mark.slow
def test_verify_passes_untouched_and_fails_on_any_changed_row(
    rates: dict[str, float], row: int, change: str
) -> None:
    r = make_roster(CLASSES)
    plan = SamplingPlan(rates=rates)
    d = draw(r, plan, seed="verify me", commitment=commit_any(r, plan))
    assert verify(d.receipt, r) is None
    assert verify(d.receipt.to_json(), r.take(np.arange(299, -1, -1))) is None
    cols = {"credit_code": r.credit_code.copy(), "risk_class": list(CLASSES)}
    if change == "risk":
        cols["risk_class"][row] = "B" if CLASSES[row] != "B" else "C"
    elif change == "code":
        cols["credit_code"][row] = credit_codes(1, offset=10_000)[0]
    elif change == "add":
        cols["credit_code"] = np.r_[cols["credit_code"], credit_codes(1, offset=10_000)]
        cols["risk_class"] = [*cols["risk_class"], "A"]
    else:
        keep = np.arange(300) != row
        cols = {
            "credit_code": cols["credit_code"][keep],
            "risk_class": list(np.array(CLASSES)[keep]),
        }
    changed = TargetRoster.from_columns(cols)
    with pytest.raises(VerificationError, match="roster changed"):
        verify(d.receipt, changed)


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"rates": {"A": 1.5}}, "rates['A'] = 1.5 is outside [0, 1]"),
        ({"rates": {"A": -0.1}}, "outside [0, 1]"),
        ({"rates": {"A": math.nan}}, "outside [0, 1]"),
        ({"overall_rate": 2.0}, "overall_rate = 2.0 is outside [0, 1]"),
        ({"total": math.nan}, "total = nan must be a whole number ≥ 0"),
        ({"total": math.inf}, "must be a whole number ≥ 0"),
        ({"total": 2.5}, "must be a whole number ≥ 0"),
        ({"rates": {"A": 0.1}, "within": "pps"}, "needs size_column"),
    ],
)
def test_invalid_plans_are_refused_with_the_reason(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(PlanError, match=_re(words)):
        SamplingPlan(**kwargs)  # type: ignore[arg-type]


def _re(text: str) -> str:
    import re

    return re.escape(text)


def bad_draw(roster: TargetRoster, plan: SamplingPlan, words: str, seed: str = "s") -> None:
    before = snapshot(roster)
    with pytest.raises(PlanError, match=_re(words)):
        draw(roster, plan, seed=seed)
    after = snapshot(roster)
    assert before.keys() == after.keys()
    for k in before:
        assert repr(before[k].tolist()) == repr(after[k].tolist()), k


def test_a_total_above_the_eligible_population_is_refused(roster: TargetRoster) -> None:
    bad_draw(roster, SamplingPlan(total=301), "total = 301 is larger than the 300 eligible")


def test_an_empty_class_with_a_minimum_is_refused() -> None:
    r = make_roster(["A"] * 5 + ["D"] * 3, status=["存续"] * 5 + ["注销"] * 3)
    bad_draw(
        r,
        SamplingPlan(rates={"A": 0.1, "D": 1.0}, min_per_stratum=1),
        "risk class D has no eligible targets, but the plan asks for at least 1",
    )


@pytest.mark.parametrize("value", [math.nan, -1.0, 0.0, math.inf])
def test_nan_negative_or_zero_scores_are_refused_with_the_row(value: float) -> None:
    scores = [1.0, 2.0, value, 1.0]
    r = make_roster(["A"] * 4, scores=scores)
    plan = SamplingPlan(rates={"A": 0.5}, within="pps", size_column="risk_score")
    bad_draw(r, plan, "every eligible target needs a finite score > 0; row 3 (")


def test_an_empty_seed_is_refused(roster: TargetRoster) -> None:
    bad_draw(roster, SamplingPlan(rates=RATES), "the public seed is empty", seed="  ")


def test_a_class_the_roster_lacks_is_refused() -> None:
    r = make_roster(["A", "B"])
    bad_draw(
        r,
        SamplingPlan(rates={"A": 0.1, "B": 0.1, "E": 0.5}),
        "rates names risk class E, but the roster has no class-E targets",
    )


def test_a_class_without_a_rate_is_refused() -> None:
    bad_draw(
        make_roster(["A", "B"]),
        SamplingPlan(rates={"A": 0.1}),
        "rates gives no value for risk class B",
    )


def test_a_column_the_roster_lacks_is_refused() -> None:
    r = make_roster(["A", "B"])
    plan = SamplingPlan(rates={"A": 0.1, "B": 0.1}, within="pps", size_column="turnover")
    bad_draw(r, plan, "size_column 'turnover' is not a column of the roster")


def test_an_industry_the_roster_lacks_is_refused() -> None:
    r = make_roster(["A", "B"], industries=["零售业", "餐饮业"])
    plan = SamplingPlan(rates={"A": 0.1, "B": 0.1}, eligibility=Eligibility(industries=["零售"]))
    bad_draw(r, plan, "eligibility.industries names '零售', which no target in the roster has")


def test_an_unreachable_overall_rate_is_refused() -> None:
    # Used to loop forever: class A may not be drawn (multiplier 0) and B is too small.
    r = make_roster(["A"] * 90 + ["B"] * 10)
    plan = SamplingPlan(overall_rate=0.5, multipliers={"A": 0.0, "B": 1.0})
    bad_draw(r, plan, "multipliers: a total of 50 cannot be reached")


def test_workers_must_be_positive(roster: TargetRoster) -> None:
    bad_draw_kwargs = {"workers": 0}
    with pytest.raises(PlanError, match="workers = 0"):
        draw(roster, SamplingPlan(rates=RATES), seed="s", **bad_draw_kwargs)


def test_eligibility_risk_classes_are_stored_as_letters() -> None:
    from randcheck.sampling import Eligibility

    assert Eligibility(risk_classes=["较高", "d类", "a"]).risk_classes == ("A", "C", "D")


def test_an_unknown_eligibility_risk_class_is_a_plan_error() -> None:
    from randcheck import PlanError
    from randcheck.sampling import Eligibility

    with pytest.raises(PlanError, match=r"eligibility\.risk_classes: unknown risk class 'Z'"):
        Eligibility(risk_classes=["Z"])


def test_an_attention_stratum_needs_a_rate_only_with_per_class_rates() -> None:
    from randcheck import PlanError, SamplingPlan

    SamplingPlan(overall_rate=0.03, attention="stratum")
    with pytest.raises(PlanError, match="attention='stratum' with per-class rates needs"):
        SamplingPlan(rates={"A": 0.1}, attention="stratum")


def test_a_commitment_round_trips_and_is_checked_when_read() -> None:
    import json

    import randcheck

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": "1%", "B": 0.02, "C": "0.1", "D": 0.3})
    c = commit_any(county.targets, plan)
    assert randcheck.Commitment.from_json(c.to_json()) == c
    forged = json.loads(c.to_json()) | {"plan_digest": "sha256:" + "0" * 64}
    with pytest.raises(randcheck.VerificationError, match="does not follow"):
        randcheck.Commitment.from_dict(forged)


@pytest.mark.parametrize(
    ("field", "bad"),
    [("roster_digest", "method"), ("plan_digest", "sha256:abc"), ("roster_digest", None)],
)
def test_commitment_of_refuses_what_is_not_a_digest(field: str, bad: object) -> None:
    """Commitment.of from digests alone: the same as commit(); a bound method, a short digest
    or None is refused naming the field, and a JSON record carrying one is refused when read."""
    import json

    import randcheck
    from randcheck.sampling import Commitment

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    rule, words = randcheck.SeedRule.shuangseqiu(date="2023-03-07"), "福利彩票双色球 2023-03-07"
    good = {"roster_digest": county.targets.digest(), "plan_digest": plan.digest()}
    made = Commitment.of(good["roster_digest"], good["plan_digest"], ["units"], rule, words)
    assert made == randcheck.commit(county.targets, plan, seed_rule=rule, seed_from=words)
    value = plan.digest if bad == "method" else bad
    args = {**good, field: value}
    with pytest.raises(randcheck.PlanError, match=f"^{field}: a commitment needs a digest"):
        Commitment.of(args["roster_digest"], args["plan_digest"], ["units"], rule, words)
    if isinstance(value, str):
        record = json.loads(made.to_json()) | {field: value}
        with pytest.raises(randcheck.VerificationError, match=field):
            Commitment.from_dict(record)


def test_commit_refuses_a_plan_the_roster_cannot_honour() -> None:
    import randcheck

    county = randcheck.example_county()
    with pytest.raises(randcheck.PlanError, match="no value for risk class D"):
        commit_any(county.targets, randcheck.SamplingPlan(rates={"A": 0.1, "B": 0.1, "C": 0.1}))


def test_a_rate_that_is_not_a_number_is_a_plan_error() -> None:
    import randcheck

    with pytest.raises(randcheck.PlanError, match=r"'lots' is not a number"):
        randcheck.SamplingPlan(rates={"A": "lots"})


def test_the_commitment_binds_the_key_so_a_draw_cannot_be_rerolled() -> None:
    """Trying stream labels after the seed is known must not pass as the committed draw."""
    import randcheck

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    c = commit_any(county.targets, plan)
    with pytest.raises(randcheck.PlanError, match="stream = 'units0': the commitment fixes"):
        randcheck.draw(county.targets, plan, seed="2023-11-07", commitment=c, stream="units0")
    honest = randcheck.draw(county.targets, plan, seed="2023-11-07", commitment=c)
    forged = randcheck.draw(county.targets, plan, seed="2023-11-07", stream="units0").receipt
    forged_dict = forged.to_dict() | {
        k: honest.receipt.to_dict()[k] for k in ("commitment", "seed_rule", "seed_from", "warnings")
    }
    with pytest.raises(randcheck.VerificationError, match="commitment does not match"):
        randcheck.verify(forged_dict, county.targets)


def test_a_draw_takes_the_published_commitment_as_verify_does(tmp_path: pathlib.Path) -> None:
    """The record, its dict, its JSON text or its file's path: the same draw; a file that is
    not a commitment is refused, not an AttributeError."""
    import json

    import randcheck

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    c = commit_any(county.targets, plan)
    path = tmp_path / "commitment.json"
    path.write_text(c.to_json(), encoding="utf-8")
    seed = "2023-11-07"
    honest = randcheck.draw(county.targets, plan, seed=seed, commitment=c).receipt.sample_digest
    for published in (json.loads(c.to_json()), c.to_json(), str(path), path):
        d = randcheck.draw(county.targets, plan, seed=seed, commitment=published)
        assert d.receipt.sample_digest == honest
        assert d.receipt.commitment == c.digest
    (tmp_path / "other.json").write_text('{"format": "nothing"}', encoding="utf-8")
    with pytest.raises(randcheck.VerificationError, match="the published commitment cannot be"):
        randcheck.draw(county.targets, plan, seed=seed, commitment=tmp_path / "other.json")
    with pytest.raises(randcheck.VerificationError, match=r"cannot be read: .*missing\.json"):
        randcheck.draw(county.targets, plan, seed=seed, commitment=str(tmp_path / "missing.json"))


def test_whole_number_settings_accept_json_floats_and_refuse_fractions() -> None:
    import randcheck

    assert randcheck.sampling.Eligibility(recent_days=30.0, as_of="2023-06-30").recent_days == 30
    with pytest.raises(randcheck.PlanError, match=r"recent_days = 1.5 must be a whole number"):
        randcheck.sampling.Eligibility(recent_days=1.5, as_of="2023-06-30")
    with pytest.raises(randcheck.PlanError, match=r"min_per_stratum = True must be a whole"):
        randcheck.SamplingPlan(rates={"A": 0.1}, min_per_stratum=True)


@pytest.mark.parametrize(
    ("field", "value"), [("eligible", 1), ("sample_size", 1), ("roster_size", 1)]
)
def test_verify_checks_every_count_in_the_receipt(field: str, value: int) -> None:
    import randcheck

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    d = randcheck.draw(county.targets, plan, seed="2023-11-07").receipt.to_dict()
    d[field] = value
    with pytest.raises(randcheck.VerificationError, match=f"{field} differs"):
        randcheck.verify(d, county.targets)


def test_the_published_list_has_names_from_the_roster() -> None:
    import randcheck

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    d = randcheck.draw(county.targets, plan, seed="2023-11-07")
    cols = d.to_columns(county.targets)
    assert list(cols) == [
        "credit_code",
        "name",
        "area",
        "stratum",
        "inclusion_probability",
        "weight",
    ]
    first = county.targets[int(d.rows[0])]
    assert (str(cols["name"][0]), str(cols["area"][0])) == (first.name, first.area)
    with pytest.raises(randcheck.PlanError, match="not the roster the draw was made from"):
        d.to_columns(county.targets.take(list(range(100))))


# --- review: a plan that commits and draws must verify ------------------------------------------
@pytest.mark.parametrize(
    ("given", "recorded"),
    [({"total": 500.0}, {"total": 500}), ({"attention_min_complaints": 2.0}, {})],
)
def test_a_whole_number_written_as_a_float_is_recorded_as_a_whole_number(
    given: dict[str, object], recorded: dict[str, object]
) -> None:
    """Attack (review): ``total=500.0`` (a JSON or TOML plan file) committed and drew, and then
    neither verifier would read the receipt's plan: a draw nobody could check. The plan keeps
    the whole number, and the draw verifies with both verifiers."""
    county = randcheck.example_county()
    base = {} if "total" in given else {"rates": {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}}
    plan = randcheck.SamplingPlan(**base, **given)  # type: ignore[arg-type]
    for k, v in recorded.items():
        assert plan.to_dict()[k] == v
        assert isinstance(plan.to_dict()[k], int)
    d = randcheck.draw(county.targets, plan, seed="2023-03-07")
    randcheck.verify(d.receipt, county.targets)
    assert randcheck.SamplingPlan.from_dict(json.loads(d.receipt.to_json())["plan"]) == plan


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("attention_min_complaints", True, "must be a whole number"),
        ("attention_min_complaints", 1.5, "must be a whole number"),
        ("no_exemption", 1, "must be true or false"),
        ("name", 5, "must be text"),
        ("total", float("nan"), "must be a whole number"),
    ],
)
def test_a_plan_field_of_the_wrong_type_is_refused(field: str, value: object, message: str) -> None:
    base = {} if field == "total" else {"rates": {"A": 0.01}}
    with pytest.raises(randcheck.PlanError, match=f"{field} = .* {message}"):
        randcheck.SamplingPlan(**base, **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda r: r["plan"]["eligibility"].update(recent_days=10**30), "recent_days must be"),
        (lambda r: r["seed_rule"]["groups"][1].update(count=10**30), "at most 1000 numbers"),
        (lambda r: r["seed_rule"]["groups"][0].update(width=10**30), "at most 40 digits"),
    ],
)
def test_a_receipt_with_numbers_out_of_all_bounds_is_refused_not_a_traceback(
    edit: Any, words: str
) -> None:
    import randcheck
    from randcheck.sampling import Eligibility

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(
        rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3},
        eligibility=Eligibility(recent_days=30, as_of="2025-03-01"),
    )
    rule = randcheck.SeedRule.shuangseqiu(date="2025-03-04")
    c = randcheck.commit(county.targets, plan, seed_rule=rule, seed_from="福利彩票双色球")
    seed = "双色球 2025-03-04 02 09 15 21 27 30 + 11"
    data = randcheck.draw(county.targets, plan, seed=seed, commitment=c).receipt.to_dict()
    edit(data)
    with pytest.raises(randcheck.VerificationError, match=words):
        randcheck.verify(data, county.targets)


def test_a_receipt_not_under_the_published_commitment_is_refused_before_its_rule_runs() -> None:
    # Attack: a receipt whose own (consistent) commitment carries a seed rule built to
    # backtrack for hours; given the published commitment, it is refused on that one finding.
    import randcheck

    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    published = commit_any(county.targets, plan)
    hostile = randcheck.SeedRule.custom("backtracks", r"(a+)+$")
    c = randcheck.commit(county.targets, plan, seed_rule=hostile, seed_from="a test seed")
    receipt = randcheck.draw(county.targets, plan, seed="a" * 24, commitment=c).receipt
    data = receipt.to_dict() | {"seed": "a" * 26 + "!"}
    with pytest.raises(randcheck.VerificationError) as info:
        randcheck.verify(data, county.targets, commitment=published)
    assert info.value.differences == [
        f"the receipt records the commitment {c.digest}, not the published one "
        f"{published.digest}: it was drawn under another commitment"
    ]
