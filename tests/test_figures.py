"""Year-end figures and design-based estimates (with the interval-coverage simulation)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import randcheck
from randcheck import PlanError, ResultError, SamplingPlan, TargetRoster, draw
from randcheck.results import Figure, ResultTable, estimate_prevalence, year_figures

CODES = [
    "91350100M000100Y43",
    "91130634MA00000001",
    "91130634MA00000014",
    "91130634MA00000027",
    "91130634MA0000003A",
]


@pytest.fixture(scope="module")
def roster() -> TargetRoster:
    return TargetRoster.from_columns(
        {
            "credit_code": CODES,
            "risk_class": ["A", "A", "B", "D", "D"],
            "status": ["存续", "存续", "存续", "存续", "注销"],
        }
    )


def _results(**over: Any) -> ResultTable:
    cols: dict[str, list[Any]] = {
        "result_id": ["R1", "R2", "R3", "R4"],
        "credit_code": [CODES[1], CODES[3], CODES[3], CODES[2]],
        "item": ["SW-01", "SW-01", "SW-02", "SW-02"],
        "department": ["商务局", "商务局", "商务局", "市场监管局"],
        "categories": ["未发现问题", "违反其他相关规定", "发现问题经责令已改正", "未发现问题"],
        "followups": ["无需后续处置", "责令改正", "责令改正", ""],
        "inspection_end": ["2023-09-28", "2023-05-10", "2023-05-10", "2023-12-28"],
        "published_on": ["2023-11-02", "2023-05-12", None, None],
        "closed_on": [None, "2023-06-01", None, None],
    }
    cols.update(over)
    return ResultTable.from_columns(cols)


# ------------------------------------------------------------------------------ year figures
def test_year_figures_by_definition(roster: TargetRoster) -> None:
    f = year_figures(_results(), roster, year=2023)
    # 3 distinct active enterprises inspected of 4 active (row 5 is 注销)
    assert f.get("coverage") == Figure("coverage", "", "", 3, 4, 0.03)
    assert f.get("coverage", "risk_class", "D") == Figure("coverage", "risk_class", "D", 1, 1)
    # R1 published late (due 2023-11-01), R2 on time, R3 overdue, R4 not yet due (pending)
    assert f.get("publication_rate").numerator == 2
    assert f.get("publication_rate").denominator == 3
    assert f.get("on_time_rate").numerator == 1
    assert f.late.result_id.tolist() == ["R1"]
    assert f.missing.result_id.tolist() == ["R3"]
    assert f.pending.result_id.tolist() == ["R4"]
    assert f.value("finding_rate") == 0.5
    assert f.value("finding_rate", "risk_class", "D") == 1.0
    assert f.value("finding_rate", "item", "SW-02") == 0.5
    assert f.value("finding_rate", "department", "市场监管局") == 0.0
    assert f.get("follow_up_completion") == Figure("follow_up_completion", "", "", 1, 2)


def test_flags_are_the_figures_below_goal(roster: TargetRoster) -> None:
    f = year_figures(_results(), roster, year=2023)
    assert {(x.figure, x.by) for x in f.flags()} >= {("publication_rate", ""), ("on_time_rate", "")}
    assert f.get("coverage").below_goal is False


def test_year_selects_results_by_inspection_end(roster: TargetRoster) -> None:
    t = _results(inspection_end=["2022-09-28", "2023-05-10", "2023-05-10", "2023-12-28"])
    f = year_figures(t, roster, year=2023)
    assert f.get("finding_rate").denominator == 3


def test_departments_select_one_bureau(roster: TargetRoster) -> None:
    f = year_figures(_results(), roster, year=2023, departments=["市场监管局"])
    assert f.get("coverage").numerator == 1
    assert f.get("finding_rate").denominator == 1


def test_tidy_table_has_one_row_per_figure(roster: TargetRoster) -> None:
    f = year_figures(_results(), roster, year=2023)
    cols = f.to_columns()
    assert list(cols) == [
        "figure",
        "by",
        "group",
        "numerator",
        "denominator",
        "value",
        "goal",
        "below_goal",
    ]
    assert len(cols["figure"]) == len(f.figures) == len(f.to_rows())
    frame = f.to_frame()
    assert frame.shape == (len(f.figures), 8)


def test_a_result_outside_the_directory_is_named(roster: TargetRoster) -> None:
    t = _results(credit_code=[CODES[1], "91999999MA0000000K", CODES[3], CODES[2]])
    with pytest.raises(
        ResultError,
        match=r"row 2, column 'credit_code', value '91999999MA0000000K': this target is not in "
        r"the directory",
    ):
        year_figures(t, roster, year=2023)


def test_figures_need_a_date(roster: TargetRoster) -> None:
    with pytest.raises(ResultError, match="give year= or as_of="):
        year_figures(_results(), roster)


@st.composite
def _random_year(draw_: st.DrawFn) -> ResultTable:
    n = draw_(st.integers(0, 25))
    idx = draw_(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    cat = draw_(
        st.lists(
            st.sampled_from(["未发现问题", "违反其他相关规定", "注销"]), min_size=n, max_size=n
        )
    )
    end = draw_(st.lists(st.integers(0, 300), min_size=n, max_size=n))
    lag = draw_(st.lists(st.none() | st.integers(0, 60), min_size=n, max_size=n))
    d0 = np.datetime64("2023-01-02")
    return ResultTable.from_columns(
        {
            "result_id": [f"R{i}" for i in range(n)],
            "credit_code": [CODES[i] for i in idx],
            "item": [f"I{i % 3}" for i in range(n)],
            "department": [["甲", "乙"][i % 2] for i in range(n)],
            "categories": cat,
            "followups": ["责令改正" if c == "违反其他相关规定" else "" for c in cat],
            "inspection_end": [str(d0 + e) for e in end],
            "published_on": [
                None if g is None else str(d0 + e + g) for e, g in zip(end, lag, strict=False)
            ],
        }
    )


@given(_random_year())
@settings(max_examples=60, deadline=None)
def test_figure_invariants(results: ResultTable) -> None:
    roster = TargetRoster.from_columns(
        {"credit_code": CODES, "risk_class": ["A", "A", "B", "D", "D"]}
    )
    f = year_figures(results, roster, as_of="2024-01-31")
    for x in f.figures:
        assert 0 <= x.numerator <= x.denominator
    for name in ("coverage", "finding_rate"):
        overall = f.get(name)
        parts = [x for x in f.figures if x.figure == name and x.by == "risk_class"]
        assert sum(p.numerator for p in parts) == overall.numerator
        assert sum(p.denominator for p in parts) == overall.denominator
    assert f.get("on_time_rate").numerator <= f.get("publication_rate").numerator
    assert f.get("coverage").numerator == len(set(results.credit_code.tolist()))


# ------------------------------------------------------------------------------ estimates
def _small_draw(rates: dict[str, float]) -> tuple[TargetRoster, randcheck.Draw]:
    county = randcheck.example_county()
    return county.targets, draw(county.targets, SamplingPlan(rates=rates), seed="estimates")


def test_stratified_estimate_is_the_textbook_formula() -> None:
    _roster, d = _small_draw({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    y = (np.arange(len(d)) % 3 == 0).astype(float)
    e = estimate_prevalence(d, y, method="stratified", by="risk_class")
    num = var = 0.0
    big_n = sum(s.population for s in d.strata)
    for h, s in enumerate(d.strata):
        yh = y[d.stratum == h]
        n_h, pop = len(yh), s.population
        num += pop * yh.mean()
        var += pop**2 * (1 - n_h / pop) * yh.var(ddof=1) / n_h
    assert e.overall.estimate == pytest.approx(num / big_n, rel=1e-12)
    assert e.overall.se == pytest.approx(math.sqrt(var) / big_n, rel=1e-9)
    b = next(s for s in d.strata if s.key == ("B",))
    yb = y[d.stratum == d.strata.index(b)]
    assert e["B"].estimate == pytest.approx(yb.mean())
    assert e["B"].raw == pytest.approx(yb.mean())


def test_ht_equals_stratified_when_sizes_are_whole() -> None:
    roster = TargetRoster.from_columns(
        {"credit_code": CODES[:4], "risk_class": ["A", "A", "B", "B"]}
    )
    d = draw(roster, SamplingPlan(rates={"A": 0.5, "B": 1.0}), seed="whole")
    y = np.array([1.0] + [0.0] * (len(d) - 1))
    ht = estimate_prevalence(d, y, method="ht").overall
    strat = estimate_prevalence(d, y, method="stratified").overall
    assert ht.estimate == pytest.approx(strat.estimate)
    assert ht.se == pytest.approx(strat.se)


def test_estimates_correct_the_raw_rate() -> None:
    _roster, d = _small_draw({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    y = (d.inclusion_probabilities > 0.05).astype(float)
    e = estimate_prevalence(d, y, method="stratified")
    assert e.overall.raw > 0.5
    assert e.overall.estimate == pytest.approx(3886 / 38848, rel=1e-9)


def test_estimates_from_results_use_any_finding_of_a_target() -> None:
    _roster, d = _small_draw({"A": 0.01, "B": 0.01, "C": 0.01, "D": 0.01})
    ids = d.id_list()
    t = ResultTable.from_columns(
        {
            "result_id": [f"R{i}" for i in range(len(ids) + 1)],
            "credit_code": [*ids, ids[0]],
            "item": ["SW-01"] * len(ids) + ["SW-02"],
            "categories": ["未发现问题"] * len(ids) + ["发现问题经责令已改正"],
            "inspection_end": ["2023-05-10"] * (len(ids) + 1),
        }
    )
    y = np.zeros(len(ids))
    y[0] = 1.0
    assert estimate_prevalence(d, t).overall == estimate_prevalence(d, y).overall
    assert estimate_prevalence(d, t, item="SW-01").overall.findings == 0


def test_a_drawn_target_without_result_is_an_error_unless_ignored() -> None:
    _roster, d = _small_draw({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    y = np.zeros(len(d))
    y[5] = np.nan
    with pytest.raises(ResultError, match=r"has no result \(1 drawn targets in all\)"):
        estimate_prevalence(d, y)
    e = estimate_prevalence(d, y, missing="ignore")
    assert e.overall.sample == len(d) - 1
    assert e.overall.estimate == 0.0


def test_a_result_outside_the_draw_is_named() -> None:
    _roster, d = _small_draw({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    t = ResultTable.from_columns(
        {
            "credit_code": [d.id_list()[0], CODES[0]],
            "item": ["SW-01", "SW-01"],
            "categories": ["未发现问题", "未发现问题"],
            "inspection_end": ["2023-05-10", "2023-05-10"],
        }
    )
    with pytest.raises(ResultError, match=rf"row 2, column 'credit_code', value '{CODES[0]}'"):
        estimate_prevalence(d, t)


def test_stratified_needs_equal_probabilities() -> None:
    county = randcheck.example_county()
    plan = SamplingPlan(
        rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}, within="pps", size_column="risk_score"
    )
    d = draw(county.targets, plan, seed="pps")
    with pytest.raises(PlanError, match="method='stratified' needs equal probabilities"):
        estimate_prevalence(d, np.zeros(len(d)), method="stratified")


def test_domains_other_than_class_need_the_roster() -> None:
    roster, d = _small_draw({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    with pytest.raises(PlanError, match="estimates by industry need the roster"):
        estimate_prevalence(d, np.zeros(len(d)), by="industry")
    e = estimate_prevalence(d, np.zeros(len(d)), by="industry", roster=roster)
    assert {x.by for x in e.rows[1:]} == {"industry"}


def test_bad_findings_values_are_named() -> None:
    _roster, d = _small_draw({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    y = np.zeros(len(d))
    y[2] = 2.0
    with pytest.raises(ResultError, match=r"row 3, value 2\.0: expected 0, 1 or NaN"):
        estimate_prevalence(d, y)


def test_wilson_interval_stays_inside_zero_one_and_contains_the_estimate() -> None:
    _roster, d = _small_draw({"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    y = np.zeros(len(d))
    y[:2] = 1
    e = estimate_prevalence(d, y, interval="wilson", by="risk_class")
    for x in e:
        if x.sample:
            assert 0.0 <= x.ci_low <= x.estimate <= x.ci_high <= 1.0
    assert e["A"].ci_high > 0.0  # no findings still leaves room above zero


# ------------------------------------------------------------------------------ coverage
R = 2000
# 95% interval coverage over R replicates: the count is Binomial(R, 0.95) for a correct
# interval; |observed − 0.95| ≤ 4.9·sqrt(0.95·0.05/R) fails with probability < 10⁻⁶.
COVERAGE_TOL = 4.9 * math.sqrt(0.95 * 0.05 / R)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("within", "method"),
    [("equal", "ht"), ("equal", "stratified"), ("pps", "ht"), ("pps", "hajek")],
)
def test_interval_coverage_by_simulation(within: str, method: str) -> None:
    county = randcheck.example_county()
    roster = county.targets
    prevalence = np.array([0.05, 0.10, 0.20, 0.40, 0.5])
    y_all = (np.random.default_rng(7).random(len(roster)) < prevalence[roster.risk_class]) * 1.0
    rates = {"A": 0.02, "B": 0.05, "C": 0.2, "D": 0.5}
    plan = SamplingPlan(
        rates=rates, within=within, size_column="risk_score" if within == "pps" else None
    )
    truth = y_all[plan.eligibility.mask(roster)].mean()
    rng = np.random.default_rng(11)
    est = np.empty(R)
    var = np.empty(R)
    covered = 0
    for r in range(R):
        d = draw(roster, plan, rng=rng)
        o = estimate_prevalence(d, y_all[d.rows], method=method).overall  # type: ignore[arg-type]
        est[r], var[r] = o.estimate, o.se**2
        covered += o.ci_low <= truth <= o.ci_high
    assert abs(covered / R - 0.95) <= COVERAGE_TOL
    # unbiased: the mean of R estimates is within 5 standard errors of the truth
    assert abs(est.mean() - truth) <= 5 * est.std(ddof=1) / math.sqrt(R)
    # the variance estimator: its mean matches the variance over replicates (the sample
    # variance of R values has relative SD ≈ sqrt(2/R) = 3.2%; 5 of those)
    assert var.mean() / est.var(ddof=1) == pytest.approx(1.0, abs=5 * math.sqrt(2 / R))


def test_a_batch_is_estimated_per_item() -> None:
    import randcheck
    from randcheck.policy import simulate_results

    county = randcheck.example_county()
    batch = randcheck.draw_batch(county.targets, county.items, seed="2023-11-07")
    results = simulate_results(
        batch,
        county.targets,
        {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.3},
        rng=1,
        department="商务局",
    )
    direct = randcheck.estimate_prevalence(batch.draws["SW-13"], results, item="SW-13")
    via_batch = randcheck.estimate_prevalence(batch, results, item="SW-13")
    assert via_batch.overall == direct.overall
    with pytest.raises(randcheck.ResultError, match="pass item= with one of"):
        randcheck.estimate_prevalence(batch, results)
