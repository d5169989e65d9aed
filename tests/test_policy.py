"""Policy simulation, the allocation helper, and simulated results."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import randcheck
from randcheck import PlanError, SamplingPlan, draw
from randcheck.policy import MEASURES, optimal_rates, simulate_policy, simulate_results
from randcheck.results import year_figures

PREV = {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.30}
HENAN = {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def sim(county: randcheck.ExampleCounty) -> randcheck.policy.PolicySimulation:
    two_items = [SamplingPlan(rates=HENAN), SamplingPlan(overall_rate=0.02)]
    return simulate_policy(
        county.targets,
        {"henan": HENAN, "flat": SamplingPlan(overall_rate=0.03), "two": two_items},
        PREV,
        years=400,
        rng=2024,
        budget=1150,
    )


@pytest.mark.slow
def test_simulated_means_match_the_design(sim: randcheck.policy.PolicySimulation) -> None:
    for row in sim.summary():
        if math.isnan(row["sd"]) or row["sd"] == 0:
            continue
        # the mean of 400 years is within 5 standard errors of the design's expectation
        assert abs(row["mean"] - row["expected"]) <= 5 * row["sd"] / math.sqrt(sim.years), row


def test_summary_is_tidy(sim: randcheck.policy.PolicySimulation) -> None:
    rows = sim.summary()
    assert len(rows) == 3 * len(MEASURES)
    assert {r["design"] for r in rows} == {"henan", "flat", "two"}
    visits = {r["design"]: r["within_budget"] for r in rows if r["measure"] == "visits"}
    assert visits["henan"] == 1.0
    assert visits["flat"] == 0.0
    cols = sim.to_columns()
    assert len(cols["value"]) == 3 * len(MEASURES) * 400


def test_visits_by_class_add_up(sim: randcheck.policy.PolicySimulation) -> None:
    by = sim.by_class()
    for d in sim.designs:
        total = sum(r["visits"] for r in by if r["design"] == d)
        assert total == pytest.approx(sim.values[d]["visits"].mean())


def test_two_draws_a_year_overlap_in_coverage(sim: randcheck.policy.PolicySimulation) -> None:
    two = sim.values["two"]
    assert np.all(two["coverage"] <= two["burden"])
    assert sim.expected["two"]["coverage"] < sim.expected["two"]["burden"]


def test_simulation_is_reproducible(county: randcheck.ExampleCounty) -> None:
    a = simulate_policy(county.targets, {"h": HENAN}, PREV, years=5, rng=3)
    b = simulate_policy(county.targets, {"h": HENAN}, PREV, years=5, rng=3)
    assert np.array_equal(a.values["h"]["findings"], b.values["h"]["findings"])


def test_simulation_reports_progress_and_simulates_the_same(
    county: randcheck.ExampleCounty,
) -> None:
    designs = {"flat": {k: 0.03 for k in "ABCD"}, "two": {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}}
    prev = {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.3}
    seen: list[tuple[int, int]] = []
    a = simulate_policy(
        county.targets,
        designs,
        prev,
        years=7,
        rng=5,
        progress=lambda done, total: seen.append((done, total)),
    )
    b = simulate_policy(county.targets, designs, prev, years=7, rng=5)
    assert seen == [(i, 14) for i in range(1, 15)]
    assert a.summary() == b.summary()


def test_simulation_progress_true_draws_a_bar_and_nothing_else(
    county: randcheck.ExampleCounty, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("tqdm")
    designs = {"flat": {k: 0.03 for k in "ABCD"}}
    prev = {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.3}
    a = simulate_policy(county.targets, designs, prev, years=3, rng=2, progress=True)
    assert a.summary() == simulate_policy(county.targets, designs, prev, years=3, rng=2).summary()
    assert capsys.readouterr().out == ""


def test_simulation_progress_of_another_kind_is_an_error(county: randcheck.ExampleCounty) -> None:
    with pytest.raises(TypeError, match="progress: True, False, None or a callable"):
        simulate_policy(
            county.targets,
            {"flat": {k: 0.03 for k in "ABCD"}},
            {k: 0.1 for k in "ABCD"},
            years=2,
            rng=1,
            progress="yes",  # type: ignore[arg-type]
        )


def test_simulated_samples_follow_the_draw_design(county: randcheck.ExampleCounty) -> None:
    # one simulated year with a generator is a draw(rng=) of the same plan: the sizes per
    # stratum are the official draw's floor or ceiling of the expected sizes
    sim = simulate_policy(county.targets, {"h": HENAN}, PREV, years=30, rng=9)
    official = draw(county.targets, SamplingPlan(rates=HENAN), seed="x")
    lo = sum(math.floor(s.expected) for s in official.strata)
    hi = sum(math.ceil(s.expected) for s in official.strata)
    assert np.all((sim.values["h"]["visits"] >= lo) & (sim.values["h"]["visits"] <= hi))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"years": 0}, "years = 0 must be a whole number ≥ 1"),
        ({"prevalence": {"A": 0.1}}, "prevalence gives no value for risk class"),
        ({"prevalence": {"A": 1.2, "B": 0, "C": 0, "D": 0}}, r"outside \[0, 1\]"),
        ({"designs": {"bad": [1, 2]}}, "design 'bad': give a SamplingPlan"),
        ({"designs": {}}, "give at least one design"),
    ],
)
def test_simulation_errors(
    county: randcheck.ExampleCounty, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"designs": {"h": HENAN}, "prevalence": PREV, "years": 2}
    args.update(kwargs)
    with pytest.raises(PlanError, match=message):
        simulate_policy(county.targets, **args)  # type: ignore[arg-type]


def test_plot_compares_designs(sim: randcheck.policy.PolicySimulation) -> None:
    pytest.importorskip("matplotlib")
    fig = sim.plot()
    assert len(fig.axes) == 3
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["henan", "flat", "two"]


# ------------------------------------------------------------------------------ allocation
SIZES = {"A": 20000, "B": 14000, "C": 3000, "D": 1000}


def test_allocation_fills_the_riskiest_classes_first() -> None:
    a = optimal_rates(SIZES, PREV, budget=1500, min_rate=0.01)
    assert a.rates["D"] == 1.0
    assert a.rates["A"] == 0.01
    assert a.rates["C"] == pytest.approx((1500 - 200 - 140 - 1000) / 3000)
    assert a.expected_visits == pytest.approx(1500)
    assert a.binding == ("budget", "min:A", "min:B", "max:D")
    assert a.plan(name="2024").rates == tuple(sorted(a.rates.items()))


def test_maximum_rates_are_respected() -> None:
    a = optimal_rates(SIZES, PREV, budget=3000, max_rate={"D": 0.6, "C": 0.5}, min_rate=0.005)
    assert a.rates["D"] == pytest.approx(0.6)
    assert a.rates["C"] == pytest.approx(0.5)
    assert "max:D" in a.binding


def test_coverage_rule_binds_when_findings_do_not_pay() -> None:
    a = optimal_rates(SIZES, {"A": 0, "B": 0, "C": 0, "D": 0}, budget=5000)
    assert a.coverage >= 0.03 - 1e-12


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": 1000}, r"3% coverage rule needs 1,140\.0 visits but the budget is 1,000\.0"),
        ({"budget": 1500, "min_rate": 0.05}, r"minimum rates need 1,900\.0 visits"),
        ({"budget": 5000, "max_rate": 0.02}, "maximum rates allow only 760.0 visits"),
        ({"budget": 1500, "min_rate": {"A": 0.3}, "max_rate": {"A": 0.2}}, "min_rate 0.3 is above"),
    ],
)
def test_infeasible_rules_are_explained(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        optimal_rates(SIZES, PREV, **kwargs)  # type: ignore[arg-type]


def test_allocation_counts_the_eligible_roster(county: randcheck.ExampleCounty) -> None:
    a = optimal_rates(county.targets, PREV, budget=1200)
    assert a.enterprises == {"A": 21485, "B": 13477, "C": 2754, "D": 1132}


@given(
    # Prevalences are 0 or at least 1e-4: below that the whole objective is within the LP
    # solver's tolerance (HiGHS, 1e-7 relative) and "optimal" is not meaningful.
    st.lists(st.just(0.0) | st.floats(1e-4, 1.0), min_size=4, max_size=4),
    st.floats(1200.0, 38000.0),
    st.floats(0.0, 0.02),
)
@settings(max_examples=60, deadline=None)
def test_allocation_is_the_greedy_optimum(prev: list[float], budget: float, floor: float) -> None:
    p = dict(zip("ABCD", prev, strict=True))
    a = optimal_rates(SIZES, p, budget=budget, min_rate=floor)
    # the LP is a fractional knapsack: fill minimums, then classes by prevalence
    left = budget - sum(SIZES[c] * floor for c in "ABCD")
    best = sum(SIZES[c] * floor * p[c] for c in "ABCD")
    for c in sorted("ABCD", key=lambda c: -p[c]):
        add = min(left, SIZES[c] * (1 - floor))
        best += add * p[c]
        left -= add
    assert a.expected_findings == pytest.approx(best, rel=1e-7, abs=1e-6)
    assert a.expected_visits <= budget * (1 + 1e-9)
    assert all(floor - 1e-12 <= r <= 1 for r in a.rates.values())
    assert a.coverage >= 0.03 - 1e-9


# ------------------------------------------------------------------------------ results
def test_simulated_results_belong_to_the_draw(county: randcheck.ExampleCounty) -> None:
    d = draw(
        county.targets,
        SamplingPlan(rates=HENAN, name="SW-00"),
        seed="sim",
        drawn_at=dt.datetime(2023, 3, 7, 9, tzinfo=CST),
    )
    t = simulate_results(
        d, county.targets, PREV, rng=1, department="商务局", officers=county.officers
    )
    assert len(t) == len(d)
    t.check_draw(d)
    f = year_figures(t, county.targets, year=2023)
    assert 0.9 < f.value("publication_rate") < 1.0
    assert 0.05 < f.value("finding_rate") < 0.3


def test_simulated_results_of_a_batch_carry_each_item(county: randcheck.ExampleCounty) -> None:
    b = randcheck.draw_batch(
        county.targets,
        county.items,
        seed="sim batch 2",  # a seed that draws a target for every department's items
        drawn_at=dt.datetime(2023, 3, 7, 9, tzinfo=CST),
    )
    t = simulate_results(b, county.targets, PREV, rng=1)
    assert len(t) == b.visits.pairs
    t.check_draw(b)
    assert set(t.department.tolist()) == {it.department for it in county.items}
