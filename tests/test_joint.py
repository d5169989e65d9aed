"""Joint inspections (randcheck.joint): batches, joint tasks, the merge, receipts and verify."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import randcheck
from _helpers import ALPHA, ANY_SEED, binomial_bounds
from randcheck import (
    PlanError,
    SamplingPlan,
    TargetRoster,
    VerificationError,
    draw,
    draw_batch,
    draw_joint_task,
    due_dates,
)
from randcheck import reference_verifier as rv
from randcheck.calendar.deadlines import RESULT_PUBLICATION
from randcheck.errors import BatchError
from randcheck.example import ExampleCounty, example_county, synthetic_targets
from randcheck.joint import (
    MERGE_RECIPE,
    BatchReceipt,
    VisitTable,
    expected_visits,
    item_plan,
    merge_draws,
    merge_visits,
    verify_batch,
)
from randcheck.joint.visits import _visit_rows_in_code_order  # white-box: both paths
from randcheck.models import Item
from randcheck.randomness import HashSource
from randcheck.sampling import Eligibility, inclusion_probabilities

SEED = "2023-11-07 03 08 14 22 27 31 + 09"
JOINT = ("SW-07", "GA-07", "HJ-07", "SC-07")


@pytest.fixture(scope="module")
def small() -> TargetRoster:
    """3,000 synthetic targets (30 industries, tags 连锁 and 重点监管)."""
    return synthetic_targets(3000, seed=11)


def small_items() -> tuple[Item, ...]:
    """Five items of three departments with overlapping scopes and different rates."""
    return (
        Item("A-1", "whole roster", "甲局", rate=0.05),
        Item("A-2", "two industries", "甲局", industries={"行业01", "行业02"}, rate=0.2),
        Item("B-1", "industry 01", "乙局", industries={"行业01"}, rate=0.4),
        Item("B-2", "chains", "乙局", tags={"连锁"}, rate=0.3),
        Item(
            "C-1", "key targets in 01", "丙局", industries={"行业01"}, tags={"重点监管"}, rate=0.7
        ),
    )


def joint_items(county: ExampleCounty) -> list[Item]:
    return [it for it in county.items if it.code in JOINT]


def pairs_of(table: VisitTable) -> list[tuple[str, str]]:
    return sorted((item, v.credit_code) for v in table for item in v.items)


def reference_digest(table: VisitTable) -> str:
    """The ``randcheck-merge/1`` visits digest, written as the module docstring states it."""
    text = f"{MERGE_RECIPE}\n" + "".join(
        f"{v.credit_code}\t{';'.join(sorted(v.items))}\n" for v in table
    )
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------------------ coordination
def test_coordinated_batch_equals_plain_item_draws_from_the_batch_key(
    county: ExampleCounty,
) -> None:
    b = draw_batch(county.targets, county.items, seed=SEED, batch="2024-1")
    base = HashSource.from_seed(SEED).at(["batch", "2024-1"])
    for item in county.items:
        plain = draw(county.targets, item_plan(item), source=base, stream="units")
        mine = b.draws[item.code]
        assert plain.rows.tolist() == mine.rows.tolist()
        assert plain.inclusion_probabilities.tolist() == mine.inclusion_probabilities.tolist()
        assert {**plain.receipt.to_dict(), "drawn_at": ""} == {
            **mine.receipt.to_dict(),
            "drawn_at": "",
        }


def test_independent_batch_gives_each_item_its_own_stream(county: ExampleCounty) -> None:
    items = county.items[:5]
    b = draw_batch(county.targets, items, seed=SEED, coordinated=False)
    base = HashSource.from_seed(SEED).at(["batch", "batch", "item"])
    for item in items:
        plain = draw(county.targets, item_plan(item), source=base, stream=item.code)
        assert plain.rows.tolist() == b.draws[item.code].rows.tolist()
    assert b.receipt.mode == "independent"


def test_coordinated_items_with_nested_rates_give_nested_samples(small: TargetRoster) -> None:
    low = Item("L", "low", "甲局", industries={"行业01"}, rate=0.1)
    high = Item("H", "high", "乙局", industries={"行业01"}, rate=0.5)
    for i in range(20):
        b = draw_batch(small, [low, high], seed=f"nested {i}")
        assert set(b.draws["L"].ids.tolist()) <= set(b.draws["H"].ids.tolist())
        assert len(b.visits) == len(b.draws["H"])


def test_coordinated_simulation_is_independent_of_item_order(small: TargetRoster) -> None:
    items = small_items()
    a = draw_batch(small, items, rng=5)
    b = draw_batch(small, items[::-1], rng=5)
    assert a.visits.digest() == b.visits.digest()


@pytest.mark.slow
def test_each_item_keeps_its_inclusion_probabilities_under_coordination(
    small: TargetRoster,
) -> None:
    items = small_items()
    reps = 1500
    counts = {it.code: np.zeros(len(small)) for it in items}
    rng = np.random.default_rng(20231107)
    for _ in range(reps):
        b = draw_batch(small, items, rng=rng)
        for it in items:
            counts[it.code][b.draws[it.code].rows] += 1
    pis = {it.code: inclusion_probabilities(small, item_plan(it)) for it in items}
    tests = sum(int((p > 0).sum()) for p in pis.values())
    for it in items:
        pi, got = pis[it.code], counts[it.code]
        assert got[pi == 0].sum() == 0, it.code
        inside = pi > 0
        lo, hi = binomial_bounds(reps, pi[inside], ALPHA / tests)  # Bonferroni over pairs
        bad = np.flatnonzero((got[inside] < lo) | (got[inside] > hi))
        assert bad.size == 0, (it.code, got[inside][bad][:5], (reps * pi[inside])[bad][:5])
        # The item's total is unbiased too (variance bounded by the per-unit one: ≤ reps·Σπ).
        total_sd = math.sqrt(reps * float(pi.sum()))
        assert abs(got.sum() - reps * pi.sum()) < 6 * total_sd, it.code


@pytest.mark.slow
def test_joint_task_gives_every_item_the_tasks_probabilities(county: ExampleCounty) -> None:
    items = [it for it in county.items if it.code in ("SW-02", "SW-05", "SW-06")]
    plan = SamplingPlan(rates={"A": 0.1, "B": 0.2, "C": 0.5, "D": 1.0})
    reps = 2000
    rng = np.random.default_rng(7)
    frame_rows = np.flatnonzero(
        np.logical_or.reduce(
            [
                item_plan(it, SamplingPlan(overall_rate=1.0)).eligibility.mask(county.targets)
                for it in items
            ]
        )
    )
    pi_frame = inclusion_probabilities(county.targets.take(frame_rows), plan)
    pi = np.zeros(len(county.targets))
    pi[frame_rows] = pi_frame
    counts = np.zeros(len(county.targets))
    for _ in range(reps):
        b = draw_joint_task(county.targets, items, plan, rng=rng)
        counts[b.visits.target_rows] += 1
        for it in items:
            d = b.draws[it.code]
            assert np.array_equal(county.targets.credit_code[d.rows], d.ids)
            assert np.array_equal(d.inclusion_probabilities, pi[d.rows])
    inside = pi > 0
    lo, hi = binomial_bounds(reps, pi[inside], ALPHA / int(inside.sum()))
    assert np.all((counts[inside] >= lo) & (counts[inside] <= hi))
    assert counts[~inside].sum() == 0


@pytest.mark.slow
def test_coordination_approaches_the_lower_bound_on_the_example_county(
    county: ExampleCounty,
) -> None:
    e = expected_visits(county.targets, county.items)
    reps = 200
    coord = np.array(
        [len(draw_batch(county.targets, county.items, rng=i).visits) for i in range(reps)]
    )
    indep = np.array(
        [
            len(draw_batch(county.targets, county.items, rng=10_000 + i, coordinated=False).visits)
            for i in range(reps)
        ]
    )
    se_c = coord.std(ddof=1) / math.sqrt(reps)
    se_i = indep.std(ddof=1) / math.sqrt(reps)
    # Independent draws: the mean matches Σ_t [1 − Π_i(1 − π_it)] (5.3 standard errors).
    assert abs(indep.mean() - e["independent"]) < 5.3 * se_i
    # Coordinated: never below the bound on average, within 2 % of it, far below independent.
    assert coord.mean() > e["lower_bound"] - 5.3 * se_c
    assert coord.mean() < 1.02 * e["lower_bound"] + 5.3 * se_c
    assert coord.mean() < indep.mean() - 0.5 * (e["independent"] - e["lower_bound"])


def test_coordination_reduces_visits_on_the_example_county_fast(county: ExampleCounty) -> None:
    e = expected_visits(county.targets, county.items)
    coord = [len(draw_batch(county.targets, county.items, rng=i).visits) for i in range(30)]
    assert e["lower_bound"] < e["independent"] < e["unmerged"]
    assert np.mean(coord) < (e["lower_bound"] + e["independent"]) / 2


# ------------------------------------------------------------------------------ the merge
@st.composite
def merge_inputs(draw_: st.DrawFn) -> tuple[list[Item], list[np.ndarray]]:
    n_items = draw_(st.integers(1, 6))
    depts = ("商务局", "公安局", "生态环境局")
    items = [
        Item(
            f"X-{k:02d}",
            f"item {k}",
            draw_(st.sampled_from(depts)),
            skills=draw_(st.lists(st.sampled_from(("甲", "乙", "丙")), max_size=2)),
        )
        for k in draw_(st.permutations(range(n_items)))
    ]
    rows = [
        np.array(draw_(st.lists(st.integers(0, 39), unique=True, max_size=40)), dtype=np.intp)
        for _ in items
    ]
    return items, rows


@given(merge_inputs())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_merge_never_loses_or_duplicates_a_pair(
    county: ExampleCounty, data: tuple[list[Item], list[np.ndarray]]
) -> None:
    items, rows = data
    table = merge_visits(county.targets, items, rows)
    expected = sorted(
        (it.code, county.targets.credit_code[r].decode())
        for it, rr in zip(items, rows, strict=True)
        for r in rr.tolist()
    )
    assert pairs_of(table) == expected
    assert table.pairs == len(expected)
    assert len(table) == len({c for _, c in expected})
    codes = table.credit_codes.tolist()
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert table.digest() == reference_digest(table)


@given(merge_inputs(), st.randoms(use_true_random=False))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_merge_does_not_depend_on_item_order(
    county: ExampleCounty, data: tuple[list[Item], list[np.ndarray]], rnd: Any
) -> None:
    items, rows = data
    order = list(range(len(items)))
    rnd.shuffle(order)
    a = merge_visits(county.targets, items, rows, lead_order=("公安局",))
    b = merge_visits(
        county.targets, [items[k] for k in order], [rows[k] for k in order], lead_order=("公安局",)
    )
    assert list(a) == list(b)
    assert a.digest() == b.digest()
    assert a.burden() == b.burden()


@given(
    st.lists(st.sampled_from(range(19)), min_size=1, max_size=8, unique=True),
    st.randoms(use_true_random=False),
    st.booleans(),
)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_batch_does_not_depend_on_item_order(
    county: ExampleCounty, picks: list[int], rnd: Any, coordinated: bool
) -> None:
    items = [county.items[k] for k in picks]
    shuffled = items[:]
    rnd.shuffle(shuffled)
    a = draw_batch(county.targets, items, seed=SEED, coordinated=coordinated)
    b = draw_batch(county.targets, shuffled, seed=SEED, coordinated=coordinated)
    assert a.visits.digest() == b.visits.digest()
    assert a.receipt.visits_digest == b.receipt.visits_digest
    assert list(a.visits) == list(b.visits)
    for it in items:
        assert a.draws[it.code].ids.tolist() == b.draws[it.code].ids.tolist()


@given(st.lists(st.integers(0, 2999), unique=True, max_size=300), st.integers(1, 64))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_both_ways_of_ordering_visits_agree(small: TargetRoster, rows: list[int], k: int) -> None:
    counts = np.bincount(np.array(rows, dtype=np.intp), minlength=len(small))
    by_sort = _visit_rows_in_code_order(small, counts, small=10**9)
    by_roster = _visit_rows_in_code_order(small, counts, small=0)
    assert by_sort.tolist() == by_roster.tolist()
    codes = small.credit_code[by_sort].tolist()
    assert codes == sorted(codes)


def test_merge_rejects_a_target_twice_in_one_items_draw(county: ExampleCounty) -> None:
    items = joint_items(county)[:2]
    with pytest.raises(BatchError, match=r"item 'GA-07': target 9\w+ \(row 3\) appears more"):
        merge_visits(county.targets, items, [np.array([1, 2]), np.array([3, 3])])


def test_merge_rejects_rows_outside_the_roster(county: ExampleCounty) -> None:
    with pytest.raises(BatchError, match=r"row 40000 is outside the roster's 40000 rows"):
        merge_visits(county.targets, joint_items(county)[:1], [np.array([40_000])])
    with pytest.raises(BatchError, match=r"row -1 is outside"):
        merge_visits(county.targets, joint_items(county)[:1], [np.array([-1])])


def test_merge_rejects_one_row_array_too_few(county: ExampleCounty) -> None:
    with pytest.raises(BatchError, match="2 items but 1 row arrays"):
        merge_visits(county.targets, joint_items(county)[:2], [np.array([1])])


def test_merge_rejects_a_team_of_one(county: ExampleCounty) -> None:
    with pytest.raises(BatchError, match="team_size must be at least 2"):
        merge_visits(county.targets, joint_items(county)[:1], [np.array([1])], team_size=1)


def test_merge_of_nothing_gives_no_visits(county: ExampleCounty) -> None:
    table = merge_visits(county.targets, joint_items(county), [np.zeros(0, dtype=np.intp)] * 4)
    assert len(table) == 0
    assert table.pairs == 0
    assert list(table) == []
    assert table.digest() == reference_digest(table)
    assert table.burden().visits == 0
    assert table.burden().mean_items_per_visit == 0.0


# ------------------------------------------------------------------------------ visits
def test_joint_visit_lists_items_departments_lead_and_skills(county: ExampleCounty) -> None:
    items = joint_items(county)
    table = merge_visits(county.targets, items, [np.array([7])] * 4, lead_order=("商务局",))
    (v,) = list(table)
    assert v.items == ("GA-07", "HJ-07", "SC-07", "SW-07")
    assert v.departments == ("公安局", "商务局", "市场监管局", "生态环境局")
    assert v.lead_department == "商务局"
    assert v.skills == ("报废机动车",)
    assert v.credit_code == county.targets.credit_code[7].decode()
    assert v.area == county.targets.area.categories[county.targets.area.codes[7]]


def test_lead_department_ties_go_to_lead_order_then_name(county: ExampleCounty) -> None:
    items = joint_items(county)
    rows = [np.array([7])] * 4
    assert next(iter(merge_visits(county.targets, items, rows))).lead_department == "公安局"
    t = merge_visits(county.targets, items, rows, lead_order=("生态环境局", "商务局"))
    assert t[0].lead_department == "生态环境局"


def test_lead_department_is_the_one_with_most_items(county: ExampleCounty) -> None:
    sw = [it for it in county.items if it.code in ("SW-01", "SW-02")]
    ga = [it for it in county.items if it.code == "GA-07"]
    table = merge_visits(county.targets, [*ga, *sw], [np.array([3])] * 3, lead_order=("公安局",))
    assert table[0].lead_department == "商务局"
    assert table.lead_departments() == ["商务局"]


def test_lead_departments_agree_with_the_visits(county: ExampleCounty) -> None:
    b = draw_batch(county.targets, county.items, seed=SEED, lead_order=("市场监管局",))
    assert b.visits.lead_departments() == [v.lead_department for v in b.visits]


def test_visits_are_in_credit_code_order_with_sorted_items(county: ExampleCounty) -> None:
    b = draw_batch(county.targets, county.items, seed=SEED)
    codes = [v.credit_code for v in b.visits]
    assert codes == sorted(codes)
    assert all(list(v.items) == sorted(v.items) for v in b.visits)
    assert b.visits[-1] == list(b.visits)[-1]
    with pytest.raises(IndexError, match="out of range"):
        b.visits[len(b.visits)]


def test_visits_export_to_json_and_csv(county: ExampleCounty, tmp_path: Path) -> None:
    b = draw_batch(county.targets, county.items, seed=SEED)
    rows = json.loads(b.visits.to_json())
    assert rows == b.visits.to_rows()
    assert [r["credit_code"] for r in rows] == [v.credit_code for v in b.visits]
    path = tmp_path / "visits.csv"
    b.visits.to_csv(path)
    with path.open(encoding="utf-8", newline="") as fh:
        read = list(csv.DictReader(fh))
    assert len(read) == len(b.visits)
    i, multi = next((i, v) for i, v in enumerate(b.visits) if len(v.items) > 1)
    assert read[i]["items"] == ";".join(multi.items)
    assert read[i]["departments"] == ";".join(multi.departments)
    assert read[0]["team_size"] == "2"


def test_failed_csv_export_leaves_no_file(county: ExampleCounty, tmp_path: Path) -> None:
    b = draw_batch(county.targets, joint_items(county), seed=SEED)
    target = tmp_path / "missing-dir" / "visits.csv"
    with pytest.raises(FileNotFoundError):
        b.visits.to_csv(target)
    assert not target.exists()
    assert not Path(f"{target}.tmp").exists()


def test_burden_counts_visits_checks_and_departments(county: ExampleCounty) -> None:
    items = joint_items(county) + [it for it in county.items if it.code == "SW-02"]
    rows = [np.array([7, 8])] * 4 + [np.array([8, 9, 10])]
    burden = merge_visits(county.targets, items, rows, lead_order=("商务局",)).burden()
    assert burden.visits_unmerged == 11
    assert burden.visits == burden.distinct_targets == 4
    assert burden.saved == 7
    assert burden.items_per_visit_histogram == {1: 2, 4: 1, 5: 1}
    assert burden.mean_items_per_visit == 11 / 4
    assert burden.checks_by_department == {
        "公安局": 2,
        "商务局": 5,
        "市场监管局": 2,
        "生态环境局": 2,
    }
    assert burden.visits_by_department == {
        "公安局": 2,
        "商务局": 4,
        "市场监管局": 2,
        "生态环境局": 2,
    }
    assert burden.led_by_department == {"商务局": 4}
    measures = {(r["measure"], r["department"]): r["value"] for r in burden.to_rows()}
    assert measures["visits", ""] == 4
    assert measures["checks", "商务局"] == 5


def test_burden_of_the_example_county_batch(county: ExampleCounty) -> None:
    b = draw_batch(county.targets, county.items, seed=SEED)
    burden = b.burden()
    assert burden.visits_unmerged == sum(len(d) for d in b.draws.values())
    assert burden.visits == len({c for d in b.draws.values() for c in d.ids.tolist()})
    assert burden.visits < burden.visits_unmerged
    assert sum(burden.checks_by_department.values()) == burden.visits_unmerged
    assert sum(burden.led_by_department.values()) == burden.visits


# ------------------------------------------------------------------------------ due dates
def test_due_dates_are_twenty_working_days_after_each_visit(county: ExampleCounty) -> None:
    table = merge_visits(county.targets, joint_items(county)[:1], [np.array([1, 2, 3])])
    ends = np.array(["2025-09-26", "2025-10-20", "NaT"], dtype="datetime64[D]")
    got = table.due_dates(ends, as_of="2025-11-14")
    want = due_dates(RESULT_PUBLICATION, {"inspection_end": ends}, as_of="2025-11-14")
    assert np.datetime_as_string(got.due).tolist() == ["2025-10-30", "2025-11-17", "NaT"]
    assert got.due.tolist() == want.due.tolist()
    assert got.labels().tolist() == ["overdue", "due soon", "not started"]


def test_due_dates_accept_one_date_for_every_visit(county: ExampleCounty) -> None:
    table = merge_visits(county.targets, joint_items(county)[:1], [np.array([1, 2])])
    got = table.due_dates(dt.date(2025, 9, 26), as_of="2025-10-01")
    assert np.datetime_as_string(got.due).tolist() == ["2025-10-30", "2025-10-30"]


def test_due_dates_mark_done_visits(county: ExampleCounty) -> None:
    table = merge_visits(county.targets, joint_items(county)[:1], [np.array([1, 2])])
    done = np.array(["2025-10-10", "NaT"], dtype="datetime64[D]")
    got = table.due_dates(["2025-09-26", "2025-09-26"], as_of="2025-11-14", done=done)
    assert got.labels().tolist() == ["done", "overdue"]


def test_due_dates_need_one_date_per_visit(county: ExampleCounty) -> None:
    table = merge_visits(county.targets, joint_items(county)[:1], [np.array([1, 2])])
    with pytest.raises(BatchError, match="inspection_end: 3 dates for 2 visits"):
        table.due_dates(["2025-09-26"] * 3, as_of="2025-11-14")


# ------------------------------------------------------------------------------ joint task
def test_joint_task_draws_once_and_visits_each_target_for_its_items(
    county: ExampleCounty,
) -> None:
    items = [it for it in county.items if it.code in ("SW-05", "SW-06", *JOINT)]
    plan = SamplingPlan(rates={"A": 0.5, "B": 0.5, "C": 1.0, "D": 1.0})
    b = draw_joint_task(county.targets, items, plan, seed=SEED, lead_order=("商务局",))
    assert b.receipt.mode == "joint-task"
    assert len(b.receipt.draws) == 1
    scope = {
        it.code: item_plan(it, SamplingPlan(overall_rate=1.0)).eligibility.mask(county.targets)
        for it in items
    }
    for v, row in zip(b.visits, b.visits.target_rows.tolist(), strict=True):
        assert set(v.items) == {c for c, m in scope.items() if m[row]}
    for it in items:
        d = b.draws[it.code]
        assert scope[it.code][d.rows].all()
        assert d.receipt is b.receipt.draws[0]
    verify_batch(b.receipt, county.targets)


def test_joint_task_rejects_a_plan_that_restricts_industries(county: ExampleCounty) -> None:
    plan = SamplingPlan(overall_rate=0.4, eligibility=Eligibility(industries=("典当",)))
    with pytest.raises(BatchError, match="union of its items' scopes"):
        draw_joint_task(county.targets, joint_items(county), plan, seed=SEED)


# ------------------------------------------------------------------------------ bad input
def test_an_item_whose_scope_matches_no_target_is_an_error(county: ExampleCounty) -> None:
    ghost = Item("XX-01", "飞艇检查", "商务局", industries={"飞艇制造"}, rate=0.1)
    message = r"item 'XX-01' \(飞艇检查\): its scope .*飞艇制造.* matches no active target"
    with pytest.raises(BatchError, match=message):
        draw_batch(county.targets, [county.items[0], ghost], seed=SEED)
    with pytest.raises(BatchError, match=message):
        draw_joint_task(county.targets, [ghost], SamplingPlan(overall_rate=0.1), seed=SEED)


def test_two_items_with_the_same_code_are_an_error(county: ExampleCounty) -> None:
    twin = Item("SW-02", "again", "公安局", rate=0.1)
    with pytest.raises(
        BatchError,
        match=r"items\[1\]: item code 'SW-02' is used twice \(also "
        r"items\[0\]\)",
    ):
        draw_batch(county.targets, [county.items[1], twin], seed=SEED)
    with pytest.raises(BatchError, match="used twice"):
        draw_joint_task(
            county.targets, [county.items[1], twin], SamplingPlan(overall_rate=0.1), seed=SEED
        )


def test_an_empty_batch_is_an_error(county: ExampleCounty) -> None:
    with pytest.raises(BatchError, match="at least one item"):
        draw_batch(county.targets, [], seed=SEED)


def test_plans_for_items_not_in_the_batch_are_an_error(county: ExampleCounty) -> None:
    with pytest.raises(BatchError, match="plans given for items not in the batch: ZZ"):
        draw_batch(
            county.targets, county.items[:2], {"ZZ": SamplingPlan(overall_rate=0.1)}, seed=SEED
        )


def test_an_item_without_rate_or_plan_is_an_error(county: ExampleCounty) -> None:
    bare = Item("SW-99", "no rate", "商务局", industries={"典当"})
    with pytest.raises(BatchError, match="'SW-99' has no rate and no plan"):
        draw_batch(county.targets, [bare], seed=SEED)


def test_a_plan_that_does_not_fit_names_the_item(county: ExampleCounty) -> None:
    plan = SamplingPlan(rates={"A": 0.1})
    with pytest.raises(PlanError, match=r"^item 'SW-13': "):
        draw_batch(county.targets, county.items[-4:], {"SW-13": plan}, seed=SEED)


def dated(item: Item, day: str) -> SamplingPlan:
    return SamplingPlan(
        overall_rate=item.rate,
        eligibility=Eligibility(recent_days=365, as_of=dt.date.fromisoformat(day)),
    )


def test_a_batch_mixing_plan_years_is_an_error(county: ExampleCounty) -> None:
    a, b = county.items[1], county.items[2]
    plans = {a.code: dated(a, "2025-12-31"), b.code: dated(b, "2026-01-05")}
    with pytest.raises(BatchError, match=r"mix plan years \(SW-02 \(2025\), SW-03 \(2026\)\)"):
        draw_batch(county.targets, [a, b], plans, seed=SEED)


def test_a_plan_outside_the_batch_year_is_an_error(county: ExampleCounty) -> None:
    a, b = county.items[1], county.items[2]
    plans = {a.code: dated(a, "2026-03-01")}
    with pytest.raises(
        BatchError,
        match=r"plan year is 2025, but the plan of SW-02 \(as_of "
        r"2026-03-01\) is dated in another year",
    ):
        draw_batch(county.targets, [a, b], plans, seed=SEED, year=2025)
    task_plan = SamplingPlan(overall_rate=0.4, eligibility=Eligibility(as_of="2026-03-01"))
    with pytest.raises(BatchError, match="plan year is 2025"):
        draw_joint_task(county.targets, joint_items(county), task_plan, seed=SEED, year=2025)


def test_the_batch_year_is_recorded(county: ExampleCounty) -> None:
    a, b = county.items[1], county.items[2]
    plans = {a.code: dated(a, "2026-03-01")}
    batch = draw_batch(county.targets, [a, b], plans, seed=SEED)
    assert batch.receipt.year == 2026
    assert draw_batch(county.targets, [b], seed=SEED, year=2026).receipt.year == 2026
    assert draw_batch(county.targets, [b], seed=SEED).receipt.year is None
    verify_batch(batch.receipt, county.targets)


def test_merging_draws_of_different_years_is_an_error(county: ExampleCounty) -> None:
    a, b = county.items[1], county.items[2]
    draws = {
        a.code: draw(county.targets, item_plan(a, dated(a, "2025-06-01")), seed=SEED),
        b.code: draw(county.targets, item_plan(b, dated(b, "2026-06-01")), seed=SEED),
    }
    with pytest.raises(BatchError, match="mix plan years"):
        merge_draws(county.targets, [a, b], draws)


def test_merging_a_draw_from_another_roster_is_an_error(county: ExampleCounty) -> None:
    a, b = county.items[1], county.items[2]
    other = county.targets.take(np.arange(1, len(county.targets)))
    good = draw(county.targets, item_plan(a), seed=SEED)
    official = draw(other, item_plan(b), seed=SEED)
    with pytest.raises(BatchError, match="'SW-03' was made from a different roster"):
        merge_draws(county.targets, [a, b], {a.code: good, b.code: official})
    simulated = draw(other, item_plan(b), rng=1)
    with pytest.raises(BatchError, match="roster of 39999 rows; this roster has 40000"):
        merge_draws(county.targets, [a, b], {a.code: good, b.code: simulated})
    shuffled = county.targets.take(np.roll(np.arange(len(county.targets)), 1))
    c = county.items[0]
    same_size = draw(shuffled, item_plan(c), rng=1)
    assert len(same_size) > 0
    with pytest.raises(BatchError, match=r"'SW-01' .* its rows do not hold its credit codes"):
        merge_draws(county.targets, [a, c], {a.code: good, c.code: same_size})


def test_merging_draws_that_do_not_match_the_items_is_an_error(county: ExampleCounty) -> None:
    a, b = county.items[1], county.items[2]
    d = draw(county.targets, item_plan(a), seed=SEED)
    with pytest.raises(BatchError, match="no draw for SW-03; draws for unknown items SW-09"):
        merge_draws(county.targets, [a, b], {a.code: d, "SW-09": d})


def test_merge_draws_equals_the_batch_merge(county: ExampleCounty) -> None:
    b = draw_batch(county.targets, county.items, seed=SEED)
    again = merge_draws(county.targets, county.items, b.draws)
    assert again.digest() == b.receipt.visits_digest


# ------------------------------------------------------------------------------ verify
@pytest.fixture(scope="module")
def official(county: ExampleCounty) -> dict[str, Any]:
    b = draw_batch(county.targets, county.items, seed=SEED, batch="2024-1", lead_order=("商务局",))
    return b.receipt.to_dict()


def test_verify_passes_on_an_untouched_receipt(
    county: ExampleCounty, official: dict[str, Any]
) -> None:
    text = json.dumps(official, ensure_ascii=False)
    verify_batch(text, county.targets, items=county.items)
    verify_batch(BatchReceipt.from_json(text), county.targets)
    verify_batch(official, county.targets)


def _other_id(county: ExampleCounty, taken: list[str]) -> str:
    for code in county.targets.credit_code[:50].tolist():
        if code.decode() not in taken:
            return str(code.decode())
    raise AssertionError  # pragma: no cover


def _mutations(county: ExampleCounty) -> dict[str, Any]:
    """Ways to change a batch receipt; each must make verification fail."""

    def with_samples(k: int, fn: Any) -> Any:
        def change(d: dict[str, Any]) -> None:
            r = d["draws"][k]
            r["sample_ids"] = fn(list(r["sample_ids"]))

        return change

    def set_(path: tuple[Any, ...], value: Any) -> Any:
        def change(d: dict[str, Any]) -> None:
            node = d
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value(node[path[-1]]) if callable(value) else value

        return change

    return {
        "drop a target": with_samples(0, lambda ids: ids[1:]),
        "add a target": with_samples(0, lambda ids: sorted([*ids, _other_id(county, ids)])),
        "swap a target": with_samples(12, lambda ids: [_other_id(county, ids), *ids[1:]]),
        "seed": set_(("seed",), "2023-11-08"),
        "draw seed": set_(("draws", 3, "seed"), "another seed"),
        "batch label": set_(("batch",), "2024-2"),
        "mode": set_(("mode",), "independent"),
        "stream": set_(("draws", 2, "stream"), "units/SW-03"),
        "item scope": set_(("items", 1, "industries"), ["成品油零售", "典当"]),
        "item code": set_(("items", 5, "code"), "SW-66"),
        "item department": set_(("items", 6, "department"), "公安局"),
        "plan rate": set_(("draws", 1, "plan", "overall_rate"), 0.3),
        "visits": set_(("visits",), lambda v: v - 1),
        "visits digest": set_(("visits_digest",), "sha256:" + "0" * 64),
        "merge recipe": set_(("merge_recipe",), "randcheck-merge/2"),
        "format": set_(("format",), "randcheck-batch/1"),
        "one draw less": set_(("draws",), lambda d: d[:-1]),
        "roster digest": set_(("roster_digest",), "sha256:" + "1" * 64),
        "year": set_(("year",), 1999),
        "verifiable": set_(("verifiable",), False),
    }


@given(st.sampled_from(sorted(_mutations(example_county()))))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.slow
def test_verify_fails_on_any_change(
    county: ExampleCounty, official: dict[str, Any], name: str
) -> None:
    changed = copy.deepcopy(official)
    _mutations(county)[name](changed)
    if name == "year":  # a year needs a dated plan to contradict
        changed["draws"][0]["plan"]["eligibility"]["as_of"] = "2024-06-30"
    with pytest.raises(VerificationError):
        verify_batch(changed, county.targets, items=county.items)


def test_verify_fails_on_a_changed_roster(county: ExampleCounty, official: dict[str, Any]) -> None:
    changed = county.targets.take(np.arange(1, len(county.targets)))
    with pytest.raises(VerificationError, match="roster changed") as info:
        verify_batch(official, changed)
    assert len(info.value.differences) == 1


def test_verify_names_the_item_whose_sample_changed(
    county: ExampleCounty, official: dict[str, Any]
) -> None:
    changed = copy.deepcopy(official)
    changed["draws"][0]["sample_ids"] = changed["draws"][0]["sample_ids"][1:]
    with pytest.raises(VerificationError, match=r"item SW-01: .*sample"):
        verify_batch(changed, county.targets)


def test_verify_compares_with_the_published_items_and_plans(
    county: ExampleCounty, official: dict[str, Any]
) -> None:
    renamed = [
        Item(
            it.code,
            it.name,
            "公安局" if it.code == "SW-02" else it.department,
            industries=it.industries,
            tags=it.tags,
            skills=it.skills,
            rate=it.rate,
            kind=it.kind,
        )
        for it in county.items
    ]
    with pytest.raises(VerificationError, match="item SW-02: department differ"):
        verify_batch(official, county.targets, items=renamed)
    with pytest.raises(VerificationError, match="item SW-02: its plan differs"):
        verify_batch(official, county.targets, plans={"SW-02": SamplingPlan(overall_rate=0.5)})


def test_verify_refuses_a_simulated_batch(county: ExampleCounty) -> None:
    b = draw_batch(county.targets, county.items[:3], rng=1)
    with pytest.raises(VerificationError, match="simulation"):
        verify_batch(b.receipt, county.targets)


def test_verify_rejects_unreadable_receipts(county: ExampleCounty) -> None:
    with pytest.raises(VerificationError, match="batch receipt JSON"):
        verify_batch("{not json", county.targets)
    with pytest.raises(
        VerificationError, match="batch receipt: mode: missing from the batch receipt"
    ):
        verify_batch({"format": "randcheck-batch/2"}, county.targets)


def test_verify_checks_a_joint_task(county: ExampleCounty) -> None:
    b = draw_joint_task(
        county.targets, joint_items(county), SamplingPlan(overall_rate=0.5), seed=SEED
    )
    verify_batch(b.receipt.to_json(), county.targets, items=joint_items(county))
    changed = b.receipt.to_dict()
    changed["items"] = changed["items"][:-1]
    with pytest.raises(VerificationError):
        verify_batch(changed, county.targets)


def test_a_batch_commitment_is_checked_and_recorded() -> None:
    county = randcheck.example_county()
    items = county.items[:4]
    c = randcheck.commit_batch(county.targets, items, seed_rule=ANY_SEED, seed_from="test")
    b = randcheck.draw_batch(county.targets, items, seed="2023-11-07", commitment=c)
    assert b.receipt.commitment == c.digest
    randcheck.joint.verify_batch(b.receipt, county.targets)
    other = randcheck.commit_batch(
        county.targets, items, coordinated=False, seed_rule=ANY_SEED, seed_from="test"
    )
    with pytest.raises(randcheck.errors.BatchError, match="commitment does not match"):
        randcheck.draw_batch(county.targets, items, seed="2023-11-07", commitment=other)


def test_a_forged_batch_commitment_fails_verification() -> None:
    county = randcheck.example_county()
    items = county.items[:4]
    b = randcheck.draw_batch(
        county.targets,
        items,
        seed="2023-11-07",
        commitment=randcheck.commit_batch(
            county.targets, items, seed_rule=ANY_SEED, seed_from="test"
        ),
    )
    data = b.receipt.to_dict()
    data["commitment"] = "sha256:" + "0" * 64
    with pytest.raises(randcheck.VerificationError, match="commitment does not match"):
        randcheck.joint.verify_batch(data, county.targets)


def test_a_joint_task_commitment_is_checked_and_verified() -> None:
    from randcheck import reference_verifier as rv

    county = randcheck.example_county()
    items = [it for it in county.items if it.code.endswith("-07")]
    plan = randcheck.SamplingPlan(overall_rate=0.5)
    c = randcheck.joint.commit_joint_task(
        county.targets, items, plan, seed_rule=ANY_SEED, seed_from="test"
    )
    task = randcheck.draw_joint_task(county.targets, items, plan, seed="2023-11-07", commitment=c)
    randcheck.joint.verify_batch(task.receipt, county.targets)
    other = randcheck.joint.commit_joint_task(
        county.targets,
        items,
        randcheck.SamplingPlan(overall_rate=0.4),
        seed_rule=ANY_SEED,
        seed_from="test",
    )
    with pytest.raises(randcheck.errors.BatchError, match="commitment does not match"):
        randcheck.draw_joint_task(county.targets, items, plan, seed="2023-11-07", commitment=other)
    recorded = json.loads(task.receipt.to_json())
    assert (
        rv.commitment_digest(
            task.receipt.draws[0].roster_digest,
            rv.joint_task_digest(plan.to_dict(), 2, [], None, recorded["items"]),
            ["batch", "task", "units"],
            ANY_SEED.to_dict(),
            "test",
        )
        == c.digest
    )
    with pytest.raises(randcheck.errors.BatchError, match="key path"):
        randcheck.draw_joint_task(
            county.targets, items, plan, seed="2023-11-07", commitment=c, batch="task-b"
        )


# --- review of 0.1.0: the staffing of a committed batch is committed (randcheck-batch-plans/2) --
_STAFFED = {"batch": "2023-s", "lead_order": ("商务局",), "year": 2023, "team_size": 3}


@pytest.fixture(scope="module")
def staffed() -> tuple[ExampleCounty, randcheck.Commitment, Any]:
    county = example_county()
    rule = randcheck.SeedRule.shuangseqiu(date="2023-03-07")
    c = randcheck.commit_batch(
        county.targets, county.items[:6], seed_rule=rule, seed_from="福彩", **_STAFFED
    )
    seed = "2023-03-07 04 09 13 17 26 31 + 12"
    b = randcheck.draw_batch(county.targets, county.items[:6], seed=seed, commitment=c, **_STAFFED)
    return county, c, b


@pytest.mark.parametrize(
    "change", [{"lead_order": ("公安局",)}, {"team_size": 2}, {"year": 2024}, {"batch": "2023-t"}]
)
def test_a_committed_batch_is_drawn_only_with_its_committed_staffing(
    staffed: tuple[ExampleCounty, randcheck.Commitment, Any], change: dict[str, Any]
) -> None:
    """Attack (review): the lead order (牵头部门) and team size were chosen after the seed, so
    the visits officers are matched to could be steered; they are in the commitment now."""
    county, c, _ = staffed
    seed = "2023-03-07 04 09 13 17 26 31 + 12"
    with pytest.raises(BatchError, match=r"the commitment does not match|another year"):
        randcheck.draw_batch(
            county.targets, county.items[:6], seed=seed, commitment=c, **(_STAFFED | change)
        )


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r.update(lead_order=["公安局"]),
        lambda r: r.update(team_size=4),
        lambda r: r.update(year=2024),
        lambda r: r["items"][0].update(department="公安局"),
        lambda r: r["items"][1].update(skills=["特种设备"]),
        lambda r: r["items"][2].update(name="另一事项"),
    ],
    ids=["lead order", "team size", "year", "department", "skills", "name"],
)
def test_an_edited_staffing_or_item_fails_both_verifiers(
    staffed: tuple[ExampleCounty, randcheck.Commitment, Any], edit: Any, tmp_path: Path
) -> None:
    county, _, b = staffed
    receipt = json.loads(b.receipt.to_json())
    randcheck.verify(json.dumps(receipt, ensure_ascii=False), county.targets)
    edit(receipt)
    with pytest.raises(randcheck.VerificationError):
        randcheck.verify(json.dumps(receipt, ensure_ascii=False), county.targets)
    county.targets.to_csv(tmp_path / "roster.csv")
    (tmp_path / "batch.json").write_text(json.dumps(receipt, ensure_ascii=False), "utf-8")
    report = rv.verify_files(str(tmp_path / "batch.json"), str(tmp_path / "roster.csv"))
    assert not report.ok


def test_an_items_draw_that_records_a_commitment_fails_both_verifiers(
    staffed: tuple[ExampleCounty, randcheck.Commitment, Any], tmp_path: Path
) -> None:
    """Attack (second review): a commitment, seed rule and source invented in one item's draw
    of a committed batch passed the library (the reference verifier refused it)."""
    county, c, b = staffed
    receipt = json.loads(b.receipt.to_json())
    receipt["draws"][1].update(
        commitment="sha256:" + "0" * 64,
        seed_rule={"recipe": "randcheck-seed-rule/1", "x": 1},
        seed_from="抽签于2025年3月6日",
    )
    text = json.dumps(receipt, ensure_ascii=False)
    with pytest.raises(randcheck.VerificationError, match="records a commitment, seed rule"):
        randcheck.verify(text, county.targets, commitment=c)
    county.targets.to_csv(tmp_path / "roster.csv")
    (tmp_path / "batch.json").write_text(text, "utf-8")
    assert not rv.verify_files(str(tmp_path / "batch.json"), str(tmp_path / "roster.csv")).ok


# --- the same for a joint task (randcheck-joint-task/1) ------------------------------------------
_JOINT = {"batch": "2024-j", "lead_order": ("商务局",), "year": 2024, "team_size": 3}


@pytest.fixture(scope="module")
def joint_task() -> tuple[ExampleCounty, list[Any], randcheck.SamplingPlan, Any, Any]:
    county = example_county()
    items = [it for it in county.items if it.code.endswith("-07")]
    plan = randcheck.SamplingPlan(overall_rate=0.5)
    rule = randcheck.SeedRule.shuangseqiu(date="2024-03-01")
    c = randcheck.joint.commit_joint_task(
        county.targets, items, plan, seed_rule=rule, seed_from="福彩", **_JOINT
    )
    seed = "2024-03-01 01 07 12 19 25 33 + 05"
    t = randcheck.draw_joint_task(county.targets, items, plan, seed=seed, commitment=c, **_JOINT)
    return county, items, plan, c, t


@pytest.mark.parametrize("change", [{"lead_order": ("公安局",)}, {"team_size": 2}, {"year": 2025}])
def test_a_committed_joint_task_is_drawn_only_with_its_committed_staffing(
    joint_task: tuple[ExampleCounty, list[Any], randcheck.SamplingPlan, Any, Any],
    change: dict[str, Any],
) -> None:
    """Attack (review): a joint task's commitment was its one draw's, so the lead order, team
    size and the items' departments could be chosen after the seed."""
    county, items, plan, c, _ = joint_task
    seed = "2024-03-01 01 07 12 19 25 33 + 05"
    with pytest.raises(BatchError, match="the commitment does not match"):
        randcheck.draw_joint_task(
            county.targets, items, plan, seed=seed, commitment=c, **(_JOINT | change)
        )


@pytest.mark.parametrize(
    "edit",
    [
        lambda r: r.update(lead_order=["公安局"]),
        lambda r: r.update(team_size=4),
        lambda r: r["items"][0].update(department="公安局"),
        lambda r: r["items"][1].update(skills=["特种设备"]),
    ],
    ids=["lead order", "team size", "department", "skills"],
)
def test_an_edited_joint_task_fails_both_verifiers(
    joint_task: tuple[ExampleCounty, list[Any], randcheck.SamplingPlan, Any, Any],
    edit: Any,
    tmp_path: Path,
) -> None:
    county, _, _, c, t = joint_task
    receipt = json.loads(t.receipt.to_json())
    county.targets.to_csv(tmp_path / "roster.csv")
    (tmp_path / "task.json").write_text(json.dumps(receipt, ensure_ascii=False), "utf-8")
    randcheck.verify(receipt, county.targets, commitment=c)
    assert rv.verify_files(str(tmp_path / "task.json"), str(tmp_path / "roster.csv")).ok
    edit(receipt)
    with pytest.raises(randcheck.VerificationError):
        randcheck.verify(json.dumps(receipt, ensure_ascii=False), county.targets)
    (tmp_path / "task.json").write_text(json.dumps(receipt, ensure_ascii=False), "utf-8")
    assert not rv.verify_files(str(tmp_path / "task.json"), str(tmp_path / "roster.csv")).ok
