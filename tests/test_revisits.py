"""Supervisory revisits (督导回访): the verifiable draw, its receipt, and the findings."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import randcheck
from randcheck import Commitment, PlanError, SeedRule, VerificationError
from randcheck.errors import CalendarError, ResultError
from randcheck.randomness import HashSource, uniform_reference
from randcheck.results import (
    ResultTable,
    RevisitFinding,
    RevisitPlan,
    RevisitReceipt,
    commit_revisits,
    draw_revisits,
    publication_records,
    record_revisits,
    verify_revisits,
)

SEED = "2024-01-05 回访 07 12 19"


def _results(n: int = 200, order: np.ndarray | None = None) -> ResultTable:
    idx = np.arange(n) if order is None else order
    cats = ["未发现问题", "违反其他相关规定", "发现问题经责令已改正", "未发现问题"]
    cols = {
        "result_id": [f"2023-{i:04d}" for i in idx],
        "credit_code": [f"91130634MA{i:08d}" for i in idx],
        "item": ["SW-01"] * n,
        "department": [["商务局", "市场监管局", "公安局"][i % 3] for i in idx],
        "categories": [cats[i % 4] for i in idx],
        "followups": ["责令改正" if i % 4 in (1, 2) else "" for i in idx],
        "inspectors": [f"O{i % 7};O{(i + 1) % 7}" for i in idx],
        "entered_by": [f"O{i % 7}" for i in idx],
        "inspection_end": ["2023-05-10"] * n,
        "entered_on": ["2023-05-12" if i % 10 else "2024-02-01" for i in idx],
    }
    return ResultTable.from_columns(cols)


def test_official_revisits_verify() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(by="department", rate=0.1), as_of="2023-12-31", seed=SEED)
    verify_revisits(r.receipt, t)
    verify_revisits(r.receipt.to_json(), t)
    assert r.receipt.format == "randcheck-revisit/2"


def test_frame_is_the_results_entered_by_as_of() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(rate=1.0), as_of="2023-12-31", seed=SEED)
    assert r.receipt.frame_size == 180
    assert len(r) == 180


def test_sizes_follow_the_rates_per_stratum() -> None:
    t = _results()
    plan = RevisitPlan(by="category", rate=0.1, rates={"未发现问题": 0.25}, min_per_stratum=3)
    r = draw_revisits(t, plan, as_of="2023-12-31", seed=SEED)
    for s in r.strata:
        rate = plan.rate_for(s["label"])
        x = min(s["population"], max(min(3, s["population"]), rate * s["population"]))
        assert s["expected"] == pytest.approx(x)
        assert s["size"] in (math.floor(x), math.ceil(x))
    assert {s["label"] for s in r.strata} == {
        "未发现问题",
        "发现问题待后续处理",
        "发现问题经责令已改正",
    }
    assert np.all(r.inclusion_probabilities == [r.strata[h]["probability"] for h in r.stratum])


def test_selection_takes_the_smallest_numbers_of_the_recipe() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(rate=0.05), as_of="2023-12-31", seed=SEED)
    key = HashSource.from_seed(SEED).child("revisits").key
    frame = [str(t.result_id[i]) for i in range(len(t)) if str(t.entered_on[i]) <= "2023-12-31"]
    ranked = sorted(frame, key=lambda i: (uniform_reference(key, i), i))
    assert r.id_list() == sorted(ranked[: len(r)])


@given(st.permutations(list(range(60))))
@settings(max_examples=25, deadline=None)
def test_row_order_does_not_change_the_draw(order: list[int]) -> None:
    a = draw_revisits(
        _results(60), RevisitPlan(by="inspector", rate=0.2), as_of="2023-12-31", seed=SEED
    )
    b = draw_revisits(
        _results(60, np.array(order)),
        RevisitPlan(by="inspector", rate=0.2),
        as_of="2023-12-31",
        seed=SEED,
    )
    assert a.id_list() == b.id_list()
    assert a.receipt.frame_digest == b.receipt.frame_digest


def test_a_changed_frame_fails_verification() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(by="entered_by", rate=0.1), as_of="2023-12-31", seed=SEED)
    with pytest.raises(VerificationError, match="frame changed"):
        verify_revisits(r.receipt, t.take(np.arange(len(t) - 1)))


def test_a_tampered_sample_fails_verification() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(rate=0.1), as_of="2023-12-31", seed=SEED)
    d = r.receipt.to_dict()
    d["sample_ids"][0] = "2023-9999"
    with pytest.raises(VerificationError, match="sample_ids do not match its sample_digest"):
        verify_revisits(d, t)
    d = r.receipt.to_dict()
    d["seed"] = "another seed"
    with pytest.raises(VerificationError, match="sample differs"):
        verify_revisits(d, t)


def test_a_simulated_draw_cannot_be_verified() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(rate=0.1), as_of="2023-12-31", rng=1)
    assert r.receipt.sample_ids == ()
    with pytest.raises(VerificationError, match="from a simulation"):
        verify_revisits(r.receipt, t)


def test_receipt_round_trips_through_json() -> None:
    r = draw_revisits(_results(), RevisitPlan(rate=0.1), as_of="2023-12-31", seed=SEED)
    assert RevisitReceipt.from_json(r.receipt.to_json()) == r.receipt


def test_a_child_label_gives_an_independent_draw() -> None:
    t = _results()
    a = draw_revisits(t, RevisitPlan(rate=0.2), as_of="2023-12-31", seed=SEED)
    b = draw_revisits(t, RevisitPlan(rate=0.2), as_of="2023-12-31", seed=SEED, label="revisits/2")
    assert a.id_list() != b.id_list()
    verify_revisits(b.receipt, t)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "officer"}, "by = 'officer'; use one of department"),
        ({"rate": 1.5}, r"rate = 1\.5 is outside \[0, 1\]"),
        ({"rates": {"商务局": 0.2}}, "rates per stratum need by="),
        ({"min_per_stratum": -1}, "min_per_stratum = -1 must be ≥ 0"),
    ],
)
def test_plan_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PlanError, match=message):
        RevisitPlan(**kwargs)  # type: ignore[arg-type]


@pytest.mark.slow
def test_each_result_is_drawn_with_its_probability() -> None:
    t = _results(90)
    plan = RevisitPlan(by="department", rate=0.1, rates={"公安局": 0.3})
    reps = 3000
    counts = np.zeros(len(t))
    rng = np.random.default_rng(5)
    for _ in range(reps):
        counts[draw_revisits(t, plan, as_of="2023-12-31", rng=rng).rows] += 1
    r = draw_revisits(t, plan, as_of="2023-12-31", seed=SEED)
    prob = {s["label"]: s["probability"] for s in r.strata}
    for label in prob:
        rows = np.flatnonzero(t.department == label)
        rows = rows[t.entered_on[rows] <= np.datetime64("2023-12-31")]
        p = prob[label]
        # total draws of the stratum's units: mean reps·N_h·p; its SD is at most that of
        # independent Bernoulli draws, sqrt(reps·N_h·p(1−p)); 5 SD
        total = counts[rows].sum()
        assert abs(total - reps * len(rows) * p) <= 5 * math.sqrt(reps * len(rows) * p * (1 - p))


# ------------------------------------------------------------------------------ findings
def test_findings_give_a_stratified_estimate() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(by="department", rate=0.2), as_of="2023-12-31", seed=SEED)
    ids = r.id_list()
    findings = [
        RevisitFinding(i, "2024-01-10", "法治办", "检查走形式" if k % 2 else "属实")
        for k, i in enumerate(ids)
    ]
    rep = record_revisits(r, findings, results=t)
    assert sum(row["revisited"] for row in rep.rows) == len(ids)
    assert sum(row["problems"] for row in rep.rows) == len(ids) // 2
    assert 0.0 < rep.estimate < 1.0
    assert rep.not_revisited == ()


def test_a_finding_for_a_result_not_drawn_is_named() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(rate=0.05), as_of="2023-12-31", seed=SEED)
    other = next(str(i) for i in t.result_id if str(i) not in r.id_list())
    with pytest.raises(ResultError, match=rf"revisit finding 2: result '{other}' was not drawn"):
        record_revisits(
            r, [RevisitFinding(r.id_list()[0], "2024-01-10"), RevisitFinding(other, "2024-01-10")]
        )


def test_a_finding_recorded_twice_is_named() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(rate=0.05), as_of="2023-12-31", seed=SEED)
    f = RevisitFinding(r.id_list()[0], "2024-01-10")
    with pytest.raises(ResultError, match=r"revisit finding 2: .* is recorded twice"):
        record_revisits(r, [f, f])


def test_a_revisit_before_the_inspection_is_named() -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(rate=0.05), as_of="2023-12-31", seed=SEED)
    f = RevisitFinding(r.id_list()[0], "2023-05-01")
    with pytest.raises(ResultError, match=r"revisit finding 1: revisited_on 2023-05-01 is before"):
        record_revisits(r, [f], results=t)


def test_outcomes_must_come_from_the_vocabulary() -> None:
    with pytest.raises(ResultError, match="field 'outcomes', value '走过场'"):
        RevisitFinding("R1", "2024-01-10", outcomes="走过场")
    with pytest.raises(ResultError, match=r"属实 .* cannot be combined"):
        RevisitFinding("R1", "2024-01-10", outcomes="属实;检查走形式")


@pytest.mark.parametrize(
    "as_of",
    [
        "2023/12/31",
        "2023.12.31",
        "2023年12月31日",
        "20231231",
        "2023-12-31 18:00",
        dt.date(2023, 12, 31),
        dt.datetime(2023, 12, 31, 10, 0, tzinfo=dt.UTC),  # 18:00 in Beijing
        np.datetime64("2023-12-31"),
    ],
)
def test_revisits_and_publication_read_as_of_with_one_parser(as_of: object) -> None:
    t = _results(40)
    plan = RevisitPlan(rate=0.2)
    when = dt.datetime(2024, 1, 5, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    revisits = draw_revisits(t, plan, as_of=as_of, seed=SEED, drawn_at=when)
    assert revisits.receipt.as_of == "2023-12-31"
    again = draw_revisits(t, plan, as_of="2023-12-31", seed=SEED, drawn_at=when)
    assert revisits.receipt == again.receipt
    assert publication_records(t, as_of=as_of).as_of == dt.date(2023, 12, 31)


@pytest.mark.parametrize("as_of", ["2023-12-32", "31/12/2023", "today", 20231231])
def test_revisits_and_publication_refuse_a_bad_as_of_in_the_same_words(as_of: object) -> None:
    t = _results(40)
    with pytest.raises(CalendarError) as by_revisits:
        draw_revisits(t, RevisitPlan(rate=0.2), as_of=as_of, seed=SEED)
    with pytest.raises(CalendarError) as by_publication:
        publication_records(t, as_of=as_of)
    assert str(by_revisits.value) == str(by_publication.value)
    assert str(by_revisits.value).startswith(f"as_of: value {as_of!r}")
    assert "is not a date" in str(by_revisits.value)


# --- committed before the seed (randcheck-revisit-plan/1) -----------------------------------

RULE = SeedRule.shuangseqiu(date="2024-01-05")
LOTTERY = "2024-01-05 02 09 15 21 27 30 + 11"


def _committed() -> tuple[ResultTable, RevisitPlan, Commitment]:
    t = _results()
    plan = RevisitPlan(by="entered_by", rate=0.1)
    c = commit_revisits(t, plan, as_of="2023-12-31", seed_rule=RULE, seed_from="双色球 2024-01-05")
    return t, plan, c


def test_a_committed_revisit_draw_verifies_against_its_commitment() -> None:
    t, plan, c = _committed()
    r = draw_revisits(t, plan, as_of="2023-12-31", seed=LOTTERY, commitment=c.to_json())
    assert r.receipt.seed == RULE.canonical(LOTTERY)
    verify_revisits(r.receipt, t, commitment=c)
    randcheck.verify(r.receipt, t, commitment=c)


def test_a_committed_revisit_draw_cannot_be_steered_after_the_seed() -> None:
    """Attack (found by an adversarial review): try labels, dates or rates after the seed
    until an officer's results are spared; each is refused under the commitment, and a
    receipt drawn so verifies on its own but not against it."""
    t, plan, c = _committed()
    with pytest.raises(PlanError, match="the commitment fixes the key path"):
        draw_revisits(t, plan, as_of="2023-12-31", seed=LOTTERY, label="revisits/5", commitment=c)
    with pytest.raises(PlanError, match=r"frame .* plan or as_of is not the committed one"):
        draw_revisits(t, plan, as_of="2023-11-30", seed=LOTTERY, commitment=c)
    other = RevisitPlan(by="entered_by", rate=0.1, rates={"O3": 0.0})
    with pytest.raises(PlanError, match="plan or as_of is not the committed one"):
        draw_revisits(t, other, as_of="2023-12-31", seed=LOTTERY, commitment=c)
    with pytest.raises(PlanError, match="2024-01-06"):
        draw_revisits(
            t, plan, as_of="2023-12-31", seed="2024-01-06 02 09 15 21 27 30 + 11", commitment=c
        )
    rerolled = draw_revisits(
        t, plan, as_of="2023-12-31", seed=RULE.canonical(LOTTERY), label="revisits/5"
    )
    verify_revisits(rerolled.receipt, t)  # consistent on its own
    with pytest.raises(VerificationError, match=r"key path \['revisits/5'\] is not the committed"):
        verify_revisits(rerolled.receipt, t, commitment=c)
    spared = draw_revisits(t, other, as_of="2023-12-31", seed=RULE.canonical(LOTTERY))
    with pytest.raises(VerificationError, match="the plan or as_of are not the committed ones"):
        verify_revisits(spared.receipt, t, commitment=c)


def test_a_value_with_a_tab_or_a_line_break_is_refused_so_no_two_results_read_as_one() -> None:
    # Attack (adversarial review): the frame digest writes "id<TAB>label<LF>" per result, so
    # rows R004/商务局 and R005/市场监管局 read as one result "R004\t商务局\nR005"; merged
    # after the seed, the drawer could pick among samples under the same commitment.
    for bad in ("R004\t商务局\nR005", "R004\nR005", "R004\rR005"):
        cols = {
            "result_id": [bad, "R006"],
            "credit_code": ["91130634MA00000001", "91130634MA00000002"],
            "item": ["SW-01", "SW-01"],
            "department": ["市场监管局", "商务局"],
            "categories": ["未发现问题", "未发现问题"],
            "inspection_end": ["2023-05-10"] * 2,
            "entered_on": ["2023-05-12"] * 2,
        }
        with pytest.raises(ResultError, match="tab, newline and carriage return"):
            ResultTable.from_columns(cols)
    cols["result_id"] = ["R004", "R006"]
    cols["department"] = ["商务局\nR005\t市场监管局", "商务局"]
    with pytest.raises(ResultError, match="column 'department'"):
        ResultTable.from_columns(cols)


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        ({"frame_size": 999}, "frame changed"),
        ({"sample_size": 1}, "sample_size 1 is not the number of its sample_ids"),
        ({"as_of": "2023/12/31"}, "is not written as randcheck writes it"),
        ({"as_of": "2023-02-30"}, "the receipt's as_of cannot be read"),
    ],
)
def test_an_edited_revisit_receipt_is_refused(edit: dict[str, object], words: str) -> None:
    t = _results()
    r = draw_revisits(t, RevisitPlan(by="department", rate=0.1), as_of="2023-12-31", seed=SEED)
    with pytest.raises(VerificationError, match=words):
        verify_revisits(r.receipt.to_dict() | edit, t)
