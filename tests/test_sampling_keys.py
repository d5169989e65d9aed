"""One key path, one seed spelling, nested samples (issue 12, defects 1, 2 and 6).

The attack tests play a drawer who knows the lottery result and the published commitment and
tries every entry point, key label, ready source and spelling of the seed: exactly one sample
may verify, with the library and with the standard-library reference verifier.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import randcheck
from _helpers import credit_codes
from randcheck import (
    PlanError,
    SamplingPlan,
    SeedRule,
    TargetRoster,
    VerificationError,
    commit,
    draw,
    verify,
)
from randcheck import reference_verifier as rv
from randcheck.randomness import HashSource, key_at
from randcheck.sampling import UNCOMMITTED_WARNING, Receipt
from randcheck.sampling import allocation as _allocation

RESULT = "双色球 2025-03-04 03 08 14 22 27 31 + 09"
# Sixteen ways of writing that result (issue 12, defect 2). All but the zero-width space fit the
# 双色球 rule and give the canonical form above.
SPELLINGS = [
    "2025-03-04 03 08 14 22 27 31 + 09",
    "２０２５-０３-０４ ０３ ０８ １４ ２２ ２７ ３１ ＋ ０９",
    "2025-03-04\t03\t08\t14\t22\t27\t31\t+\t09",
    "2025-03-04\u00a003\u00a008 14 22 27 31 + 09",
    "2025-03-04\u300003 08 14 22 27 31 + 09",
    "2025-03-04 03 08 14 22\u200b 27 31 + 09",
    "2025-03-04 03,08,14,22,27,31,09",
    "2025-03-04 3 8 14 22 27 31 + 9",
    "2025/03/04 03 08 14 22 27 31 + 09",
    "2025年3月4日 03 08 14 22 27 31 + 09",
    "20250304 03 08 14 22 27 31 09",
    "双色球 2025.03.04 03 08 14 22 27 31 + 09",
    "2025-03-04 双色球 31 27 22 14 08 03 + 09",
    "  2025-03-04   03 08 14 22 27 31 | 09  ",
    "2025-03-04，03，08，14，22，27，31，09",
    RESULT,
]
RULE = SeedRule.shuangseqiu(date="2025-03-04")
COMMITTED_STREAM = "item/SW-02"
PLAN = SamplingPlan(rates={"A": 0.3, "B": 0.5, "C": 0.5, "D": 0.8})


def roster(n: int = 240) -> TargetRoster:
    return TargetRoster.from_columns(
        {"credit_code": credit_codes(n), "risk_class": ["ABCD"[i % 4] for i in range(n)]}
    )


ROSTER = roster()
COMMITMENT = commit(
    ROSTER, PLAN, seed_rule=RULE, seed_from="福利彩票双色球 2025-03-04", stream=COMMITTED_STREAM
)
HONEST = draw(ROSTER, PLAN, seed=SPELLINGS[0], commitment=COMMITMENT)


def forge(receipt: Receipt) -> dict[str, Any]:
    """What a drawer publishes: any receipt, dressed with the honest commitment's fields."""
    honest = HONEST.receipt.to_dict()
    fields = ("commitment", "seed_rule", "seed_from", "warnings")
    return receipt.to_dict() | {k: honest[k] for k in fields}


def library_accepts(data: dict[str, Any]) -> bool:
    try:
        verify(data, ROSTER)
    except VerificationError:
        return False
    return True


def reference_accepts(data: dict[str, Any], folder: Path) -> bool:
    receipt, csv = folder / "receipt.json", folder / "roster.csv"
    receipt.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    if not csv.exists():
        ROSTER.to_csv(csv)
    return rv.verify_files(str(receipt), str(csv)).ok


# ------------------------------------------------------------------ defect 1: one key path
def test_a_committed_draw_takes_its_key_from_the_committed_path() -> None:
    assert HONEST.receipt.path == ()
    assert HONEST.receipt.stream == COMMITTED_STREAM
    units = HashSource(key_at(RESULT, [COMMITTED_STREAM]))
    again = draw(ROSTER, PLAN, source=units.at([]), stream="x")  # a different key
    assert again.id_list() != HONEST.id_list()
    same = draw(ROSTER, PLAN, source=HashSource.from_seed(RESULT), stream=COMMITTED_STREAM)
    assert same.id_list() == HONEST.id_list()


def test_a_committed_draw_refuses_another_stream_a_source_or_rng() -> None:
    with pytest.raises(PlanError, match="stream = 'SW-02': the commitment fixes the key path"):
        draw(ROSTER, PLAN, seed=RESULT, commitment=COMMITMENT, stream="SW-02")
    with pytest.raises(PlanError, match="pass seed= with commitment=, not rng= or source="):
        draw(
            ROSTER,
            PLAN,
            source=HashSource.from_seed(RESULT).child("item"),
            stream="SW-02",
            commitment=COMMITMENT,
        )
    with pytest.raises(PlanError, match="not rng= or source="):
        draw(ROSTER, PLAN, rng=1, commitment=COMMITMENT)
    with pytest.raises(PlanError, match="commitment= needs the public seed"):
        draw(ROSTER, PLAN, commitment=COMMITMENT)


def test_the_issue_example_re_split_item_path_does_not_verify(tmp_path: Path) -> None:
    """``source=child("item"), stream="SW-02"`` against a commitment to ``["item/SW-02"]``."""
    split = draw(ROSTER, PLAN, source=HashSource.from_seed(RESULT).child("item"), stream="SW-02")
    assert split.id_list() != HONEST.id_list()
    forged = forge(split.receipt)
    assert not library_accepts(forged)
    assert not reference_accepts(forged, tmp_path)


@pytest.mark.parametrize("cut", range(8))
def test_no_split_of_a_batch_path_verifies_against_its_commitment(cut: int, tmp_path: Path) -> None:
    """``batch/2025-1/units/SW-02`` split 8 ways: only the committed path verifies."""
    labels = ["batch", "2025-1", "units", "SW-02"]
    pieces: list[str] = []  # the cut-th of the 8 ways to group the 4 parts into labels
    for i, part in enumerate(labels):
        if i and not (cut >> (i - 1)) & 1:
            pieces[-1] += "/" + part
        else:
            pieces.append(part)
    c = commit(ROSTER, PLAN, seed_rule=RULE, seed_from="s", stream="batch/2025-1/units/SW-02")
    honest = draw(ROSTER, PLAN, seed=RESULT, commitment=c)
    tried = draw(
        ROSTER, PLAN, source=HashSource.from_seed(RESULT).at(pieces[:-1]), stream=pieces[-1]
    )
    forged = tried.receipt.to_dict() | {
        k: honest.receipt.to_dict()[k] for k in ("commitment", "seed_rule", "seed_from", "warnings")
    }
    one_label = pieces == ["batch/2025-1/units/SW-02"]
    assert (tried.id_list() == honest.id_list()) == one_label
    assert library_accepts(forged) == one_label
    assert reference_accepts(forged, tmp_path) == one_label


LABELS = ["item/SW-02", "item", "SW-02", "units", "item/SW-02/", "item//SW-02", "Item/SW-02"]
PREFIXES = [(), ("item",), ("item/SW-02",), ("units",), ("batch", "item")]


@st.composite
def attempts(draw_: st.DrawFn) -> dict[str, Any]:
    return {
        "entry": draw_(st.sampled_from(["commitment", "commitment+stream", "source", "seed"])),
        "spelling": draw_(st.sampled_from(SPELLINGS)),
        "stream": draw_(st.sampled_from(LABELS)),
        "prefix": draw_(st.sampled_from(PREFIXES)),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attempt=attempts())
@pytest.mark.slow
def test_exactly_one_sample_verifies_whatever_the_drawer_tries(
    attempt: dict[str, Any], tmp_path: Path
) -> None:
    """Entry point, labels, ready source, seed spelling: any receipt that verifies is HONEST's."""
    spelling, label, prefix = attempt["spelling"], attempt["stream"], attempt["prefix"]
    try:
        if attempt["entry"] == "commitment":
            made = draw(ROSTER, PLAN, seed=spelling, commitment=COMMITMENT)
        elif attempt["entry"] == "commitment+stream":
            made = draw(ROSTER, PLAN, seed=spelling, commitment=COMMITMENT, stream=label)
        elif attempt["entry"] == "source":
            src = HashSource.from_seed(spelling).at(prefix)
            made = draw(ROSTER, PLAN, source=src, stream=label)
        else:
            made = draw(ROSTER, PLAN, seed=spelling, stream=label)
    except PlanError:
        return  # refused: nothing to publish
    forged = forge(made.receipt)
    ok_lib = library_accepts(forged)
    ok_ref = reference_accepts(forged, tmp_path)
    assert ok_lib == ok_ref
    if ok_lib:
        assert made.receipt.sample_digest == HONEST.receipt.sample_digest
        assert made.receipt.seed == RESULT


# ------------------------------------------------------------------ defect 2: one spelling
def test_every_spelling_of_the_result_gives_the_one_canonical_seed_or_is_refused() -> None:
    seen = set()
    for spelling in SPELLINGS:
        if "\u200b" in spelling:
            with pytest.raises(PlanError, match=r"U\+200B \(ZERO WIDTH SPACE\)"):
                RULE.canonical(spelling)
            continue
        seen.add(RULE.canonical(spelling))
    assert seen == {RESULT}


def test_every_accepted_spelling_draws_the_same_sample() -> None:
    digests = set()
    for spelling in SPELLINGS:
        if "\u200b" in spelling:
            with pytest.raises(PlanError, match="invisible"):
                draw(ROSTER, PLAN, seed=spelling, commitment=COMMITMENT)
            continue
        d = draw(ROSTER, PLAN, seed=spelling, commitment=COMMITMENT)
        assert d.receipt.seed == RESULT
        digests.add(d.receipt.sample_digest)
    assert digests == {HONEST.receipt.sample_digest}


def test_a_receipt_with_a_non_canonical_seed_fails_both_verifiers(tmp_path: Path) -> None:
    other = "2025-03-04 3 8 14 22 27 31 + 9"
    made = draw(ROSTER, PLAN, seed=other, stream=COMMITTED_STREAM)  # no rule: this spelling kept
    forged = forge(made.receipt)
    with pytest.raises(VerificationError, match="not in the canonical form of its seed rule"):
        verify(forged, ROSTER)
    assert not reference_accepts(forged, tmp_path)


def test_a_seed_that_does_not_fit_the_rule_is_refused_with_the_expected_form() -> None:
    with pytest.raises(PlanError, match=r"expected 7 numbers, got 6; expected e\.g\. '双色球"):
        draw(ROSTER, PLAN, seed="2025-03-04 03 08 14 22 27 31", commitment=COMMITMENT)
    with pytest.raises(PlanError, match="a red number appears twice"):
        draw(ROSTER, PLAN, seed="2025-03-04 03 03 14 22 27 31 + 09", commitment=COMMITMENT)


# ------------------------------------------------- review: the drawer picks the seed's date
@pytest.mark.parametrize("date", ["1999-12-31", "2025-03-03", "2025-03-05", "0001-01-01"])
def test_the_result_under_another_date_is_refused_by_both_verifiers(
    date: str, tmp_path: Path
) -> None:
    """Attack (review): the lottery's numbers written under a date of the drawer's choosing
    gave another sample that verified (3.65 million dates, one commitment). The committed rule
    names its draw's date: a draw refuses any other, and a receipt forged with one fails both
    verifiers."""
    other = f"{date} 03 08 14 22 27 31 + 09"
    with pytest.raises(PlanError, match=f"the seed's date {date} is not the date of the committed"):
        draw(ROSTER, PLAN, seed=other, commitment=COMMITMENT)
    made = draw(ROSTER, PLAN, seed="双色球 " + other, stream=COMMITTED_STREAM)
    forged = forge(made.receipt) | {"seed": f"双色球 {other}"}
    with pytest.raises(VerificationError, match="the seed does not fit the committed seed rule"):
        verify(forged, ROSTER)
    assert not reference_accepts(forged, tmp_path)


def test_a_commitment_to_a_dated_rule_needs_the_date() -> None:
    for rule in (SeedRule.shuangseqiu(), SeedRule.daletou(), SeedRule.dice(6)):
        with pytest.raises(PlanError, match="needs the date of the draw"):
            commit(ROSTER, PLAN, seed_rule=rule, seed_from="福利彩票")
    assert commit(ROSTER, PLAN, seed_rule=SeedRule.beacon(), seed_from="beacon pulse 1")
    with pytest.raises(PlanError, match="a date written YYYY-MM-DD"):
        SeedRule.shuangseqiu(date="2025-3-4")
    with pytest.raises(PlanError, match="belongs to a dated rule"):
        SeedRule.beacon().on("2025-03-04")
    assert SeedRule.from_spec("dice:6@2025-03-04") == SeedRule.dice(6, date="2025-03-04")


def test_a_receipt_whose_commitment_names_no_date_fails_both_verifiers(tmp_path: Path) -> None:
    undated = RULE.to_dict() | {"date": None}
    forged = HONEST.receipt.to_dict() | {"seed_rule": undated}
    forged["commitment"] = rv.commitment_digest(
        HONEST.receipt.roster_digest,
        rv.plan_digest(PLAN.to_dict()),
        [COMMITTED_STREAM],
        undated,
        HONEST.receipt.seed_from,
    )
    with pytest.raises(VerificationError, match="needs the date of the draw"):
        verify(forged, ROSTER)
    assert not reference_accepts(forged, tmp_path)


PATTERN = SeedRule.custom("深证成指", r"\d{4}-\d{2}-\d{2} 收盘 [1-9]\d*\.\d{2}")


@pytest.mark.parametrize(
    "spelling",
    ["2023-03-07 收盘 ١١٤٦٣.٢٨", "٢٠٢٣-03-07 收盘 11463.28", "2023-03-07 收盘 11463.２８"],
)
def test_a_pattern_seed_has_one_spelling(spelling: str) -> None:
    """Attack (review): digits of another script matched ``\\d`` and gave other samples."""
    canonical = "2023-03-07 收盘 11463.28"
    assert PATTERN.canonical(canonical) == canonical
    if "２" in spelling:  # full-width: NFKC reads it as the ASCII digits, the same seed
        assert PATTERN.canonical(spelling) == canonical
        return
    with pytest.raises(PlanError, match="a digit of another script"):
        PATTERN.canonical(spelling)
    with pytest.raises(rv.VerifierError, match="a digit of another script"):
        rv.canonical_seed(spelling, PATTERN.to_dict())


def test_a_pattern_that_ignores_case_is_refused() -> None:
    with pytest.raises(PlanError, match="ignores case"):
        SeedRule.custom("beacon", r"(?i)[0-9a-f]{8}")


def test_records_of_the_retired_rule_still_read_as_it_made_them() -> None:
    """Version 0.1.0 wrote ``randcheck-seed-rule/1`` rules (no date): a record naming one is read
    and checked as /1 defined it (Unicode ``\\d`` in patterns), never made anew."""
    fields = {k: v for k, v in SeedRule.shuangseqiu().to_dict().items() if k != "date"}
    old = SeedRule.from_dict(fields | {"recipe": "randcheck-seed-rule/1"})
    assert old.recipe == "randcheck-seed-rule/1"
    assert "date" not in old.to_dict()
    assert old.canonical("1999-12-31 03 08 14 22 27 31 + 09").startswith("双色球 1999-12-31")
    lax = SeedRule("x", "x", kind="pattern", pattern=r"\d+", recipe="randcheck-seed-rule/1")
    assert lax.canonical("١٢") == "١٢" == rv.canonical_seed("١٢", lax.to_dict())
    with pytest.raises(PlanError, match="randcheck-seed-rule/1 is retired"):
        commit(ROSTER, PLAN, seed_rule=lax, seed_from="x")


# ------------------------------------------------------------------ the uncommitted warning
def test_an_uncommitted_official_draw_records_a_warning_both_verifiers_require(
    tmp_path: Path,
) -> None:
    d = draw(ROSTER, PLAN, seed=RESULT)
    assert d.receipt.warnings == (UNCOMMITTED_WARNING,)
    assert library_accepts(d.receipt.to_dict())
    assert reference_accepts(d.receipt.to_dict(), tmp_path)
    hidden = d.receipt.to_dict() | {"warnings": []}
    with pytest.raises(VerificationError, match="must carry the warning"):
        verify(hidden, ROSTER)
    assert not reference_accepts(hidden, tmp_path)
    assert draw(ROSTER, PLAN, rng=1).receipt.warnings == ()


def test_the_cli_prints_the_uncommitted_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from randcheck.cli import main

    ROSTER.to_csv(tmp_path / "r.csv")
    (tmp_path / "plan.json").write_text(PLAN.to_json(), encoding="utf-8")
    args = ["draw", "--roster", str(tmp_path / "r.csv"), "--plan", str(tmp_path / "plan.json")]
    assert main([*args, "--seed", RESULT, "--out", str(tmp_path / "receipt.json")]) == 0
    assert "警告 WARNING: 无承诺 uncommitted" in capsys.readouterr().err


# ------------------------------------------- review: a receipt against the published commitment
def test_only_the_receipt_drawn_under_the_published_commitment_verifies_against_it(
    tmp_path: Path,
) -> None:
    """Attack (review): a re-draw without a commitment, or under a commitment made after the
    seed, verified on its own (a receipt is checked against the commitment it records). Given
    the commitment published before the seed, both verifiers refuse every receipt but the one
    drawn under it."""
    published = tmp_path / "commitment.json"
    published.write_text(COMMITMENT.to_json(), encoding="utf-8")
    verify(HONEST.receipt, ROSTER, commitment=COMMITMENT)
    later = commit(ROSTER, PLAN, seed_rule=RULE, seed_from="made after the seed", stream="b")
    others = {
        "no commitment": draw(ROSTER, PLAN, seed=RESULT, stream="units-b"),
        "a later commitment": draw(ROSTER, PLAN, seed=RESULT, commitment=later),
    }
    csv = tmp_path / "roster.csv"
    ROSTER.to_csv(csv)
    for what, made in others.items():
        verify(made.receipt, ROSTER)  # on its own it verifies: the attack
        with pytest.raises(VerificationError, match=r"published commitment|the published one"):
            verify(made.receipt, ROSTER, commitment=COMMITMENT.to_json())
        receipt = tmp_path / f"{what}.json"
        receipt.write_text(made.receipt.to_json(), encoding="utf-8")
        assert rv.verify_files(str(receipt), str(csv)).ok
        report = rv.verify_files(str(receipt), str(csv), str(published))
        assert not report.ok
        assert "未按公示承诺抽取 not drawn under the published commitment" in report.text()
    honest = tmp_path / "honest.json"
    honest.write_text(HONEST.receipt.to_json(), encoding="utf-8")
    assert rv.verify_files(str(honest), str(csv), str(published)).ok
    assert rv.main([str(honest), str(csv), str(published)]) == 0


def test_a_forged_published_commitment_is_refused(tmp_path: Path) -> None:
    forged = COMMITMENT.to_dict() | {"seed_from": "another source"}
    with pytest.raises(VerificationError, match="published commitment cannot be read"):
        verify(HONEST.receipt, ROSTER, commitment=forged)
    path, csv, receipt = (tmp_path / n for n in ("c.json", "r.csv", "receipt.json"))
    path.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    ROSTER.to_csv(csv)
    receipt.write_text(HONEST.receipt.to_json(), encoding="utf-8")
    assert not rv.verify_files(str(receipt), str(csv), str(path)).ok


def test_the_cli_verifies_against_the_published_commitment_and_says_what_it_did_not_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from randcheck.cli import main

    ROSTER.to_csv(tmp_path / "r.csv")
    (tmp_path / "c.json").write_text(COMMITMENT.to_json(), encoding="utf-8")
    (tmp_path / "honest.json").write_text(HONEST.receipt.to_json(), encoding="utf-8")
    redrawn = draw(ROSTER, PLAN, seed=RESULT, stream="units-b")
    (tmp_path / "redrawn.json").write_text(redrawn.receipt.to_json(), encoding="utf-8")
    args = ["--roster", str(tmp_path / "r.csv")]
    assert main(["verify", str(tmp_path / "redrawn.json"), *args]) == 0
    assert "警告 WARNING: 无承诺 uncommitted" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "honest.json"), *args]) == 0
    assert "check that it is the one published before the seed" in capsys.readouterr().err
    with_c = [*args, "--commitment", str(tmp_path / "c.json")]
    assert main(["verify", str(tmp_path / "redrawn.json"), *with_c]) == 1
    assert "not drawn under the published commitment" in capsys.readouterr().err
    assert main(["verify", str(tmp_path / "honest.json"), *with_c]) == 0
    assert "drawn under the published commitment" in capsys.readouterr().out


def test_the_cli_commit_needs_a_seed_rule_and_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from randcheck.cli import main

    ROSTER.to_csv(tmp_path / "r.csv")
    (tmp_path / "plan.json").write_text(PLAN.to_json(), encoding="utf-8")
    args = ["commit", "--roster", str(tmp_path / "r.csv"), "--plan", str(tmp_path / "plan.json")]
    assert main(args) == 2
    assert "give --seed-rule" in capsys.readouterr().err
    assert main([*args, "--seed-rule", "lotto", "--seed-from", "x"]) == 2
    assert "--seed-rule: seed rule 'lotto': expected one of" in capsys.readouterr().err
    out = tmp_path / "c.json"
    assert (
        main(
            [
                *args,
                "--seed-rule",
                "shuangseqiu@2025-03-04",
                "--seed-from",
                "福彩",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    c = randcheck.Commitment.from_json(out.read_text(encoding="utf-8"))
    assert (c.rule, c.seed_from, c.path) == (RULE, "福彩", ("units",))
    assert main(
        ["draw", "--roster", str(tmp_path / "r.csv"), "--plan", str(tmp_path / "plan.json"),
         "--seed", "2025-3-4 3 8 14 22 27 31 + 9", "--commitment", str(out),
         "--out", str(tmp_path / "receipt.json")]
    ) == 0  # fmt: skip
    receipt = json.loads((tmp_path / "receipt.json").read_text(encoding="utf-8"))
    assert receipt["seed"] == RESULT
    assert receipt["warnings"] == []
    assert "WARNING" not in capsys.readouterr().err


# ------------------------------------------------------------------ defect 6: nested samples
NESTED_LOW = SamplingPlan(
    rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.3}, strata=["risk_class", "industry"]
)
NESTED_HIGH = SamplingPlan(
    rates={"A": 0.03, "B": 0.05, "C": 0.2, "D": 0.5}, strata=["risk_class", "industry"]
)


def nested_roster() -> TargetRoster:
    n = 1500
    return TargetRoster.from_columns(
        {
            "credit_code": credit_codes(n, offset=77),
            "risk_class": ["AAAAABBBCD"[i % 10] for i in range(n)],
            "industry": [("零售", "餐饮", "食品")[i * 7 % 3] for i in range(n)],
        }
    )


@pytest.mark.slow
def test_a_lower_rate_sample_is_a_subset_of_a_higher_rate_one_for_every_seed() -> None:
    """Defect 6: across 12 strata, for 300 seeds, the low-rate sample lies inside the high one."""
    r = nested_roster()
    for k in range(300):
        seed = f"nested {k}"
        low = draw(r, NESTED_LOW, seed=seed)
        high = draw(r, NESTED_HIGH, seed=seed)
        assert len(low.strata) == 12
        assert set(low.id_list()) <= set(high.id_list()), seed
        assert all(a.size <= b.size for a, b in zip(low.strata, high.strata, strict=True))


@pytest.mark.slow
def test_each_stratum_rounds_up_with_probability_equal_to_its_fraction() -> None:
    """E[n_h] = x_h with per-stratum starts: a binomial bound at family-wise 10⁻⁶ per stratum."""
    r = nested_roster()
    seeds = 1500
    ups: dict[tuple[str, ...], int] = {}
    fractions: dict[tuple[str, ...], float] = {}
    for k in range(seeds):
        for s in draw(r, NESTED_LOW, seed=f"fraction {k}").strata:
            fractions[s.key] = s.expected - math.floor(s.expected)
            ups[s.key] = ups.get(s.key, 0) + (s.size - math.floor(s.expected))
    # Normal approximation to the binomial with z = 5.6 (two-sided 2·10⁻⁸ per stratum, 12 strata).
    for key, p in fractions.items():
        sd = math.sqrt(seeds * p * (1 - p))
        assert abs(ups[key] - seeds * p) <= 5.6 * sd + 1, (key, ups[key], seeds * p)


@pytest.mark.slow
def test_rounding_starts_are_independent_between_strata() -> None:
    """Two strata both at fraction 0.5 round up together about a quarter of the time, not half."""
    n = 4
    r = TargetRoster.from_columns(
        {"credit_code": credit_codes(2 * n + 2), "risk_class": ["A"] * (n + 1) + ["B"] * (n + 1)}
    )
    plan = SamplingPlan(rates={"A": 0.5, "B": 0.5})  # x = 2.5 in each stratum
    seeds = 2000
    both = sum(
        all(s.size == 3 for s in draw(r, plan, seed=f"pair {k}").strata) for k in range(seeds)
    )
    sd = math.sqrt(seeds * 0.25 * 0.75)
    assert abs(both - seeds * 0.25) <= 5.3 * sd


def test_a_fixed_total_is_still_met_exactly() -> None:
    r = nested_roster()
    plan = SamplingPlan(total=77, allocation="proportional")
    for k in range(50):
        assert len(draw(r, plan, seed=f"total {k}")) == 77


def test_independent_rounding_gives_each_fraction_exactly() -> None:
    """Over a grid of starts the share that rounds up is the fractional part (exact arithmetic)."""
    x = [0.75, 2.25, 5.0, 1.125]
    grid = [(i + 0.5) / 1024 for i in range(1024)]
    counts = np.zeros(4)
    for u in grid:
        counts += np.array(_allocation.independent_rounding(x, [u] * 4)) - np.floor(x)
    assert (counts / 1024).tolist() == [0.75, 0.25, 0.0, 0.125]


# ------------------------------------------------------------------ reference verifier parity
def test_the_reference_verifier_rounds_exactly_as_the_recipe() -> None:
    """Defect 3: [0.7, 0.6] from start 0.2999999999999997 gives [1, 1] in both."""
    start = 0.2999999999999997
    assert _allocation.systematic_rounding([0.7, 0.6], start, False) == [1, 1]
    assert rv.systematic_rounding([0.7, 0.6], start, False) == [1, 1]


@given(
    st.lists(st.floats(0.0, 50.0), min_size=1, max_size=8),
    st.floats(0.0, 1.0, exclude_max=True),
    st.booleans(),
)
def test_the_reference_rounding_equals_the_library_rounding(
    expected: list[float], start: float, exact: bool
) -> None:
    assert rv.systematic_rounding(expected, start, exact) == _allocation.systematic_rounding(
        expected, start, exact
    )


def test_the_reference_verifier_checks_each_strata_probability(tmp_path: Path) -> None:
    data = HONEST.receipt.to_dict()
    data["strata"][1]["probability"] = data["strata"][1]["probability"] / 10
    with pytest.raises(VerificationError, match="strata differ"):
        verify(data, ROSTER)
    assert not reference_accepts(data, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        {"seed": None},
        {"seed": ""},
        {"seed": "   "},
        {"seed": 20250304},
        {"path": "item"},
        {"path": [1]},
        {"stream": None},
        {"plan": []},
        {"strata": [None]},
        {"sample_ids": "91130634"},
        {"seed_rule": {"recipe": "randcheck-seed-rule/1"}},
        {"warnings": None},
        {"recipes": None},
    ],
)
def test_both_verifiers_give_a_verdict_on_a_malformed_receipt(
    change: dict[str, Any], tmp_path: Path
) -> None:
    data = HONEST.receipt.to_dict() | change
    assert not reference_accepts(data, tmp_path)
    with pytest.raises(VerificationError):
        verify(data, ROSTER)


def test_the_reference_verifier_reads_its_input_strictly(tmp_path: Path) -> None:
    text = HONEST.receipt.to_json()
    csv = tmp_path / "roster.csv"
    ROSTER.to_csv(csv)
    duplicated = text.replace('"eligible":', '"eligible": 1, "eligible":', 1)
    receipt = tmp_path / "receipt.json"
    receipt.write_text(duplicated, encoding="utf-8")
    report = rv.verify_files(str(receipt), str(csv))
    assert not report.ok
    assert "the key 'eligible' twice" in report.text()
    receipt.write_text(text.replace('"eligible": ', '"eligible": NaN, "x": ', 1), encoding="utf-8")
    assert "NaN" in rv.verify_files(str(receipt), str(csv)).text()
    receipt.write_text(json.dumps(HONEST.receipt.to_dict() | {"extra": 1}), encoding="utf-8")
    assert "unknown fields ['extra']" in rv.verify_files(str(receipt), str(csv)).text()


@pytest.mark.slow
def test_the_reference_verifier_never_raises_on_random_byte_damage(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    raw = bytearray(HONEST.receipt.to_json().encode("utf-8"))
    csv = tmp_path / "roster.csv"
    ROSTER.to_csv(csv)
    receipt = tmp_path / "receipt.json"
    for _ in range(300):
        damaged = bytearray(raw)
        for pos in rng.integers(0, len(raw), size=int(rng.integers(1, 4))):
            damaged[pos] = int(rng.integers(0, 256))
        receipt.write_bytes(bytes(damaged))
        report = rv.verify_files(str(receipt), str(csv))  # must not raise
        if bytes(damaged) != bytes(raw):
            assert isinstance(report.ok, bool)


def test_the_reference_verifier_checks_the_seed_rule_and_the_commitment(tmp_path: Path) -> None:
    assert reference_accepts(HONEST.receipt.to_dict(), tmp_path)
    text = rv.Report()
    rv.check_seed(HONEST.receipt.to_dict(), text, "")
    assert "种子符合承诺规则 the seed fits the committed rule" in text.text()
    other_rule = HONEST.receipt.to_dict() | {"seed_rule": SeedRule.daletou().to_dict()}
    assert not reference_accepts(other_rule, tmp_path)
    with pytest.raises(VerificationError):
        verify(other_rule, ROSTER)
    expected = rv.commitment_digest(
        HONEST.receipt.roster_digest,
        rv.plan_digest(PLAN.to_dict()),
        [COMMITTED_STREAM],
        RULE.to_dict(),
        "福利彩票双色球 2025-03-04",
    )
    assert expected == COMMITMENT.digest


@pytest.mark.parametrize("spelling", [s for s in SPELLINGS if "\u200b" not in s])
def test_the_reference_seed_rule_agrees_with_the_library(spelling: str) -> None:
    rules = (RULE, RULE.on("2025-03-05"), SeedRule.daletou(), SeedRule.pailie5(), SeedRule.dice(13))
    for rule in rules:
        try:
            mine: str | None = rule.canonical(spelling)
        except PlanError:
            mine = None
        try:
            theirs: str | None = rv.canonical_seed(spelling, rule.to_dict())
        except (rv.VerifierError, ValueError):
            theirs = None
        assert mine == theirs


# ------------------------------------------------------------ second review of the fixes above
def _hand_written_v1(seed_from: str) -> dict[str, Any]:
    """A commitment under the retired rule /1 (no date), written by hand from the public recipe."""
    rule = {k: v for k, v in RULE.to_dict().items() if k != "date"}
    rule["recipe"] = "randcheck-seed-rule/1"
    digest = rv.commitment_digest(
        ROSTER.digest(), PLAN.digest(), [COMMITTED_STREAM], rule, seed_from
    )
    return {"seed_rule": rule, "seed_from": seed_from, "commitment": digest, "warnings": []}


@pytest.mark.parametrize("date", ["2025-03-04", "2025-03-06", "2031-01-01"])
def test_a_hand_written_v1_commitment_verifies_nothing_by_default(
    date: str, tmp_path: Path
) -> None:
    """Attack (second review): a /1 commitment can be written by hand today; with it, the
    lottery's numbers under any date gave samples that both verifiers passed (with a warning).
    Such a record is refused unless the reader accepts it, having checked the date by hand."""
    seed = f"双色球 {date} 03 08 14 22 27 31 + 09"
    made = draw(ROSTER, PLAN, seed=seed, stream=COMMITTED_STREAM)
    forged = made.receipt.to_dict() | _hand_written_v1("福利彩票双色球 开奖结果")
    with pytest.raises(VerificationError, match="retired seed rule randcheck-seed-rule/1"):
        verify(forged, ROSTER)
    assert not reference_accepts(forged, tmp_path)
    with pytest.warns(randcheck.errors.RetiredRecipeWarning):
        verify(forged, ROSTER, accept_retired=True)


@pytest.mark.parametrize("pattern", [r"(?i:abc)-\d{2}", r"x(?ai:bc)", r"(?i-m:abc)"])
def test_a_scoped_case_flag_is_refused_by_both(pattern: str) -> None:
    """Attack (second review): ``(?i:...)`` passed the check that refused ``(?i)``."""
    with pytest.raises(PlanError, match="ignores case"):
        SeedRule.custom("x", pattern)
    rule = SeedRule.custom("x", "abc").to_dict() | {"pattern": pattern}
    with pytest.raises(rv.VerifierError, match="ignores case"):
        rv.canonical_seed("abc-12", rule)


def test_the_reference_reads_a_rule_no_looser_than_the_library() -> None:
    """Second review: a group with ``width=1`` and ``high=33`` passed the reference verifier."""
    rule = RULE.to_dict()
    rule["groups"] = [dict(g) for g in rule["groups"]]
    rule["groups"][0]["width"] = 1
    with pytest.raises(PlanError):
        SeedRule.from_dict(rule)
    with pytest.raises(rv.VerifierError, match="do not make a group"):
        rv.canonical_seed(RESULT, rule)


@pytest.mark.parametrize("seed", ["2025-03-04 " + "1" * 5000 + " 8 14 22 27 31 + 9"])
def test_absurd_input_is_a_plan_error_not_a_bare_value_error(seed: str) -> None:
    with pytest.raises(PlanError, match="5000 digits"):
        RULE.canonical(seed)
    with pytest.raises(PlanError, match="is not valid"):
        SeedRule.custom("x", r"(?u)x")


def test_a_receipt_and_commitment_from_notepad_and_by_path(tmp_path: Path) -> None:
    """Second review: a receipt saved with a BOM failed the reference verifier; a commitment
    given to ``verify`` as a path was read as JSON text."""
    receipt, csv, notice = tmp_path / "r.json", tmp_path / "roster.csv", tmp_path / "c.json"
    receipt.write_text(HONEST.receipt.to_json(), encoding="utf-8-sig")
    notice.write_text(COMMITMENT.to_json(), encoding="utf-8-sig")
    ROSTER.to_csv(csv)
    assert rv.verify_files(str(receipt), str(csv), str(notice)).ok
    verify(HONEST.receipt, ROSTER, commitment=str(notice))
    verify(HONEST.receipt, ROSTER, commitment=notice)
