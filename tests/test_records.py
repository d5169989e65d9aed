"""Strict records: every published JSON says one thing, has one canonical form, one ``verify``."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import randcheck
from _helpers import commit_any
from randcheck import Commitment, SamplingPlan, TargetRoster, VerificationError, draw
from randcheck._records import canonical_json, strict_loads
from randcheck.audit import VERIFIERS
from randcheck.joint import BatchReceipt
from randcheck.results import ResultTable, RevisitPlan, draw_revisits
from randcheck.sampling import Receipt
from strategies import target_rosters

SEED = "2025-03-04 双色球 03 08 14 22 27 31 + 09"
RATES = {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}


@pytest.fixture(scope="module")
def drawn(county: randcheck.example.ExampleCounty) -> randcheck.Draw:
    plan = SamplingPlan(rates=RATES)
    return draw(county.targets, plan, seed=SEED, commitment=commit_any(county.targets, plan))


def refused(reader: Any, value: Any, words: str) -> None:
    with pytest.raises(VerificationError) as info:
        reader(value)
    assert words in str(info.value), str(info.value)


# ------------------------------------------------------------------------- strict reading
def test_a_receipt_with_two_rates_for_one_class_is_refused(drawn: randcheck.Draw) -> None:
    text = drawn.receipt.to_json().replace('"A": 0.01', '"A": 0.01,\n   "a": 0.5')
    assert '"a": 0.5' in text
    refused(
        Receipt.from_json,
        text,
        "receipt: plan.rates.a: keys 'A' and 'a' name one label (the same after NFKC and case "
        "folding)",
    )
    with pytest.raises(VerificationError, match=r"plan\.rates\.a: keys 'A' and 'a'"):
        randcheck.verify(text, TargetRoster.from_columns({"credit_code": [], "risk_class": []}))


def test_a_full_width_label_collides_with_its_ascii_twin(drawn: randcheck.Draw) -> None:
    text = drawn.receipt.to_json().replace('"A": 0.01', '"A": 0.01, "Ａ": 0.5')
    refused(Receipt.from_json, text, "plan.rates.Ａ: keys 'A' and 'Ａ' name one label")


def test_a_literal_duplicate_key_is_refused(drawn: randcheck.Draw) -> None:
    text = drawn.receipt.to_json().replace('"A": 0.01', '"A": 0.5, "A": 0.01')
    refused(Receipt.from_json, text, "receipt: plan.rates.A: this key appears twice in one object")
    top = drawn.receipt.to_json().replace('"seed": ', '"seed": "2025-03-05", "seed": ', 1)
    refused(Receipt.from_json, top, "receipt: seed: this key appears twice")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused(drawn: randcheck.Draw, constant: str) -> None:
    text = drawn.receipt.to_json().replace('"eligible": ', f'"eligible": {constant}, "x": ', 1)
    refused(Receipt.from_json, text, f"receipt: eligible: {constant} is not a finite number")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("roster_size", True, "roster_size: expected a whole number, got true"),
        ("roster_size", 12.5, "roster_size: expected a whole number, got 12.5"),
        ("verifiable", 1, "verifiable: expected true or false, got 1"),
        ("seed", 20250304, "seed: expected a string or null, got 20250304"),
        ("path", "batch", "path: expected a list, got 'batch'"),
        ("path", [1], "path[0]: expected a string, got 1"),
        ("stream", None, "stream: expected a string, got null"),
        ("stream", ["units"], "stream: expected a string, got a list"),
        ("plan", "rates A=0.01", "plan: expected an object, got 'rates A=0.01'"),
        ("plan", [], "plan: expected an object, got a list"),
        ("strata", {}, "strata: expected a list, got an object"),
        ("strata", [[]], "strata[0]: expected an object, got a list"),
        ("sample_ids", "9113", "sample_ids: expected a list, got '9113'"),
        ("sample_ids", [None], "sample_ids[0]: expected a string, got null"),
        ("recipes", {"prn": 1}, "recipes.prn: expected a string, got 1"),
        ("commitment", False, "commitment: expected a string or null, got false"),
    ],
)
def test_a_mistyped_field_is_named(
    drawn: randcheck.Draw, field: str, value: object, words: str
) -> None:
    data = drawn.receipt.to_dict() | {field: value}
    refused(Receipt.from_dict, data, f"receipt: {words}")
    refused(Receipt.from_json, json.dumps(data), f"receipt: {words}")


def test_unknown_and_missing_fields_are_named(drawn: randcheck.Draw) -> None:
    refused(Receipt.from_dict, drawn.receipt.to_dict() | {"extra": 1}, "receipt: extra: unknown")
    data = drawn.receipt.to_dict()
    del data["path"]
    refused(Receipt.from_dict, data, "receipt: path: missing from the receipt")
    data = drawn.receipt.to_dict()
    data["strata"][2]["rate"] = 0.1
    refused(Receipt.from_dict, data, "receipt: strata[2].rate: unknown field")
    data = drawn.receipt.to_dict()
    del data["strata"][0]["probability"]
    refused(Receipt.from_dict, data, "receipt: strata[0].probability: missing")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"rates": {"a": 0.01, "B": 0.02, "C": 0.1, "D": 0.3}}, "plan.rates.A: not written as"),
        ({"rates": {"A": "1%", "B": 0.02, "C": 0.1, "D": 0.3}}, "plan.rates.A: expected a number"),
        ({"rates": {"A": 1, "B": 0.02, "C": 0.1, "D": 0.3}}, "plan.rates.A: not written as"),
        ({"no_exemption": 0}, "plan.no_exemption: expected true or false, got 0"),
        ({"min_per_stratum": 1.0}, "plan.min_per_stratum: expected a whole number, got 1.0"),
        ({"eligibility": {"tagz": None}}, "plan.eligibility.tagz: unknown field"),
        ({"strata": ["risk_class", "risk_class"]}, "plan: is not a valid sampling plan"),
        ({"within": "pps"}, "plan: is not a valid sampling plan"),
        ({"colour": "red"}, "plan.colour: unknown field; known: allocation,"),
    ],
)
def test_a_plan_is_read_only_in_its_canonical_form(
    drawn: randcheck.Draw, change: dict[str, Any], words: str
) -> None:
    data = drawn.receipt.to_dict()
    data["plan"] = data["plan"] | change
    refused(Receipt.from_dict, data, f"receipt: {words}")


def test_a_deleted_plan_field_is_named(drawn: randcheck.Draw) -> None:
    data = drawn.receipt.to_dict()
    del data["plan"]["no_exemption"]
    refused(Receipt.from_dict, data, "receipt: plan.no_exemption: missing")


def test_a_batch_receipt_names_the_path_into_its_draws(
    county: randcheck.example.ExampleCounty,
) -> None:
    b = randcheck.draw_batch(county.targets, county.items[:3], seed=SEED)
    assert BatchReceipt.from_json(b.receipt.to_json()) == b.receipt
    data = b.receipt.to_dict()
    data["draws"][1]["sample_size"] = "12"
    refused(
        BatchReceipt.from_dict,
        data,
        "batch receipt: draws[1].sample_size: expected a whole number, got '12'",
    )
    data = b.receipt.to_dict()
    data["items"][0]["industries"] = ["x", "x"]
    refused(BatchReceipt.from_dict, data, "batch receipt: items[0].industries: not written as")
    data = b.receipt.to_dict()
    data["items"][0]["rate"] = True
    refused(BatchReceipt.from_dict, data, "batch receipt: items[0].rate: expected a number or null")


def test_a_commitment_is_read_strictly(county: randcheck.example.ExampleCounty) -> None:
    c = commit_any(county.targets, SamplingPlan(rates=RATES))
    assert Commitment.from_json(c.to_json()) == c
    assert Commitment.from_json(c.canonical_json()) == c
    refused(
        Commitment.from_dict,
        c.to_dict() | {"path": ["units2"]},
        "commitment: digest: does not follow from the roster digest, plan digest, path, seed rule "
        "and seed source",
    )
    refused(Commitment.from_dict, c.to_dict() | {"seed": "x"}, "commitment: seed: unknown field")
    refused(
        Commitment.from_dict,
        c.to_dict() | {"recipe": "randcheck-commitment/0"},
        "commitment: recipe: commitment format 'randcheck-commitment/0' is not one this",
    )
    text = c.to_json().replace('"seed_from": ', '"seed_from": "x", "seed_from": ')
    refused(Commitment.from_json, text, "commitment: seed_from: this key appears twice")
    refused(
        Commitment.from_dict,
        c.to_dict() | {"seed_rule": {"recipe": "randcheck-seed-rule/1"}},
        "commitment: seed_rule: seed_rule: fields",
    )


def test_reading_does_not_change_the_callers_dict(drawn: randcheck.Draw) -> None:
    data = drawn.receipt.to_dict()
    data["plan"]["rates"]["a"] = 0.5
    before = json.dumps(data, sort_keys=True)
    with pytest.raises(VerificationError):
        Receipt.from_dict(data)
    assert before == json.dumps(data, sort_keys=True)


# ------------------------------------------------------------------------- canonical form
def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": [1, 2.5], "a": "甲", "é": None}) == (
        '{"a":"甲","b":[1,2.5],"é":null}'
    )
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"x": float("nan")})


@settings(max_examples=40, deadline=None)
@given(
    roster=target_rosters(min_rows=1, max_rows=10),
    rate=st.floats(0.0, 1.0),
    seed=st.text(min_size=1, max_size=12).filter(lambda s: s.strip() != ""),
    drawn_by=st.none() | st.text(max_size=8),
)
@pytest.mark.slow
def test_parse_of_serialise_is_the_record_and_the_form_is_canonical(
    roster: TargetRoster, rate: float, seed: str, drawn_by: str | None
) -> None:
    plan = SamplingPlan(overall_rate=rate)
    receipt = draw(roster, plan, seed=seed, drawn_by=drawn_by).receipt
    for text in (receipt.to_json(), receipt.canonical_json(), receipt.to_json(indent=None)):
        again = Receipt.from_json(text)
        assert again == receipt
        assert again.canonical_json() == receipt.canonical_json()
    assert json.loads(receipt.canonical_json()) == json.loads(receipt.to_json())
    assert receipt.canonical_json() == canonical_json(json.loads(receipt.to_json()))
    assert strict_loads(receipt.canonical_json(), "r") == receipt.to_dict()


def test_every_record_kind_round_trips(county: randcheck.example.ExampleCounty) -> None:
    plan = SamplingPlan(rates=RATES)
    revisit = draw_revisits(
        _results(), RevisitPlan(by="department", rate=0.1), as_of="2023-12-31", seed=SEED
    )
    five = list(randcheck.draw_batch(county.targets, county.items[:1], seed=SEED).visits)[:5]
    records = [
        commit_any(county.targets, plan),
        draw(county.targets, plan, seed=SEED).receipt,
        randcheck.draw_batch(county.targets, county.items[:3], seed=SEED).receipt,
        revisit.receipt,
        randcheck.match_officers(five, county.officers, seed=SEED).record(),
        randcheck.matching.match_by_sweep(five, county.officers, seed=SEED).record(),
    ]
    for r in records:
        assert type(r).from_json(r.canonical_json()) == r
        assert r.canonical_digest().startswith("sha256:")
    assert {type(r) for r in records} == {k.record for k in VERIFIERS.values()}


# ------------------------------------------------------------------------- one verify
def _results() -> ResultTable:
    n = 60
    return ResultTable.from_columns(
        {
            "result_id": [f"2023-{i:04d}" for i in range(n)],
            "credit_code": [f"91130634MA{i:08d}" for i in range(n)],
            "item": ["SW-01"] * n,
            "department": [["商务局", "市场监管局"][i % 2] for i in range(n)],
            "categories": ["未发现问题"] * n,
            "followups": [""] * n,
            "inspectors": ["O1;O2"] * n,
            "entered_by": ["O1"] * n,
            "inspection_end": ["2023-05-10"] * n,
            "entered_on": ["2023-05-12"] * n,
        }
    )


def test_one_verify_takes_every_record_kind(county: randcheck.example.ExampleCounty) -> None:
    plan = SamplingPlan(rates=RATES)
    c = commit_any(county.targets, plan)
    randcheck.verify(c, county.targets, plan=plan)
    randcheck.verify(c.to_json(), county.targets)
    d = draw(county.targets, plan, seed=SEED, commitment=c)
    randcheck.verify(d.receipt.canonical_json(), county.targets, plan=plan)
    b = randcheck.draw_batch(county.targets, county.items[:3], seed=SEED)
    randcheck.verify(b.receipt.to_dict(), county.targets, items=county.items[:3])
    joint = [it for it in county.items if it.department == county.items[0].department][:2]
    task = randcheck.draw_joint_task(county.targets, joint, plan, seed=SEED)
    randcheck.verify(task.receipt.to_json(), county.targets)
    results = _results()
    revisit = draw_revisits(
        results, RevisitPlan(by="department", rate=0.1), as_of="2023-12-31", seed=SEED
    )
    randcheck.verify(revisit.receipt.to_json(), results)


def test_verify_finds_a_commitment_made_for_another_roster(
    county: randcheck.example.ExampleCounty,
) -> None:
    plan = SamplingPlan(rates=RATES)
    c = commit_any(county.targets, plan)
    smaller = county.targets.take(list(range(100)))
    with pytest.raises(VerificationError, match="roster changed: the commitment's roster digest"):
        randcheck.verify(c, smaller)
    with pytest.raises(VerificationError, match="plan changed: the commitment's plan digest"):
        randcheck.verify(c, county.targets, plan=SamplingPlan(rates=RATES | {"A": 0.02}))


def test_verify_names_what_a_record_is_checked_against(
    county: randcheck.example.ExampleCounty,
) -> None:
    results = _results()
    revisit = draw_revisits(
        results, RevisitPlan(by="department", rate=0.1), as_of="2023-12-31", seed=SEED
    )
    with pytest.raises(
        VerificationError,
        match=r"needs the result table \(ResultTable\) to check a revisit receipt against, got T",
    ):
        randcheck.verify(revisit.receipt.to_json(), county.targets)
    receipt = draw(county.targets, SamplingPlan(rates=RATES), seed=SEED).receipt
    with pytest.raises(
        VerificationError,
        match=r"verify needs the roster \(TargetRoster\) to check a receipt against, got NoneType",
    ):
        randcheck.verify(receipt)


@pytest.mark.parametrize(
    ("record", "words"),
    [
        (42, "cannot read a record from int"),
        ([1, 2], "cannot read a record from list"),
        ('{"format": "randcheck-receipt/0"}', "format 'randcheck-receipt/0' is not one this"),
        ("{not json", "record JSON: Expecting property name"),
        (b'["a"]', "cannot read a record from list"),
    ],
)
def test_verify_refuses_what_is_not_a_record(
    county: randcheck.example.ExampleCounty, record: object, words: str
) -> None:
    refused(lambda r: randcheck.verify(r, county.targets), record, words)


SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(["path", "stream", "plan", "strata", "sample_ids", "seed", "recipes"]),
    value=st.one_of(
        SCALARS,
        st.lists(SCALARS, max_size=3),
        st.dictionaries(st.text(), SCALARS, max_size=3),
        st.lists(st.dictionaries(st.text(), SCALARS | st.lists(st.text()), max_size=6), max_size=2),
    ),
)
@pytest.mark.slow
def test_a_malformed_field_is_a_verification_error_never_a_type_error(
    field: str, value: object
) -> None:
    roster = _small_roster()
    receipt = draw(roster, SamplingPlan(rates=RATES), seed=SEED).receipt
    data = receipt.to_dict() | {field: value}
    with contextlib.suppress(VerificationError):
        randcheck.verify(data, roster)
    with contextlib.suppress(VerificationError):
        randcheck.verify(json.dumps(data), roster)


_ROSTER: list[TargetRoster] = []


def _small_roster() -> TargetRoster:
    if not _ROSTER:
        _ROSTER.append(randcheck.example_county().targets.take(list(range(300))))
    return _ROSTER[0]


@pytest.mark.slow
def test_cli_verify_refuses_a_receipt_with_a_repeated_key(
    tmp_path: Path, county: randcheck.example.ExampleCounty
) -> None:
    roster = _small_roster()
    receipt = draw(roster, SamplingPlan(rates=RATES), seed=SEED).receipt
    path, csv = tmp_path / "receipt.json", tmp_path / "roster.csv"
    roster.to_csv(csv)
    path.write_text(receipt.to_json(), encoding="utf-8")
    ok = _cli("verify", path, "--roster", csv)
    assert ok.returncode == 0, ok.stderr
    path.write_text(receipt.to_json().replace('"A": 0.01', '"A": 0.5, "A": 0.01'), encoding="utf-8")
    bad = _cli("verify", path, "--roster", csv)
    assert bad.returncode == 1
    assert "receipt: plan.rates.A: this key appears twice in one object" in bad.stderr


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "randcheck", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )


def test_a_field_with_a_default_is_still_required(drawn: randcheck.Draw) -> None:
    data = drawn.receipt.to_dict()
    del data["drawn_by"]
    refused(Receipt.from_dict, data, "receipt: drawn_by: missing from the receipt")
