"""The standard-library reference verifier recomputes every official draw the fast path makes."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import randcheck
from _helpers import ANY_SEED, commit_any, random_roster
from randcheck import PlanError, TargetRoster
from randcheck import reference_verifier as rv
from randcheck.sampling import Eligibility, SamplingPlan, draw, verify

VERIFIER = Path(rv.__file__)
RATES = {"A": 0.03, "B": 0.08, "C": 0.3, "D": 0.7, "E": 0.9}


def publish(
    roster: TargetRoster, plan: SamplingPlan, folder: Path, seed: str = "2025 03 08"
) -> tuple[Path, Path, list[str]]:
    """Make an official draw with a commitment; write its receipt JSON and the roster CSV."""
    d = draw(
        roster,
        plan,
        seed=seed,
        commitment=commit_any(roster, plan, stream="item/SW-01"),
    )
    receipt, csv = folder / "receipt.json", folder / "roster.csv"
    receipt.write_text(d.receipt.to_json(), encoding="utf-8")
    roster.to_csv(csv)
    return receipt, csv, d.id_list()


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )


PLANS = {
    "rates": SamplingPlan(rates=RATES),
    "overall-rate-multipliers": SamplingPlan(
        overall_rate=0.1, multipliers={"A": 0.5, "B": 1, "C": 3, "D": 6, "E": 6}
    ),
    "overall-rate-plain": SamplingPlan(overall_rate=0.07),
    "total-proportional": SamplingPlan(total=45),
    "total-equal": SamplingPlan(total=45, allocation="equal"),
    "total-neyman": SamplingPlan(
        total=45,
        allocation="neyman",
        prevalence={"A": 0.02, "B": 0.05, "C": 0.2, "D": 0.4, "E": 0.5},
    ),
    "total-min-per-stratum": SamplingPlan(
        total=45, min_per_stratum=3, strata=("risk_class", "industry")
    ),
    "rates-no-exemption-crossed": SamplingPlan(
        rates=RATES, no_exemption=True, strata=("risk_class", "industry", "area")
    ),
    "area-before-industry": SamplingPlan(total=30, strata=("risk_class", "area", "industry")),
    "eligibility-filters": SamplingPlan(
        rates=RATES,
        eligibility=Eligibility(
            industries=["零售业", "餐饮业"],
            tags=["连锁"],
            area_prefix="1306",
            recent_days=365,
            as_of="2025-12-31",
        ),
    ),
    "eligibility-classes-statuses": SamplingPlan(
        total=20,
        eligibility=Eligibility(
            risk_classes=["C", "D"],
            statuses=["存续", "在业"],
            areas=["130634", "130602"],
            exclude_statuses=[],
        ),
    ),
    "attention-multiplier": SamplingPlan(
        rates=RATES, attention="multiplier", attention_multiplier=3.0
    ),
    "attention-stratum": SamplingPlan(
        rates=RATES, attention="stratum", attention_rate=0.5, attention_min_complaints=2
    ),
    "attention-stratum-total": SamplingPlan(total=40, attention="stratum", allocation="equal"),
    "attention-stratum-overall-rate": SamplingPlan(
        overall_rate=0.1,
        multipliers={"A": 1, "B": 1, "C": 2, "D": 3, "E": 3},
        attention="stratum",
        attention_rate=0.5,
    ),
    "pps-rates": SamplingPlan(rates=RATES, within="pps", size_column="risk_score"),
    "pps-total-crossed": SamplingPlan(
        total=80, within="pps", size_column="risk_score", strata=("risk_class", "area")
    ),
    "pps-heavy-capping": SamplingPlan(
        rates={"A": 0.3, "B": 0.5, "C": 0.8, "D": 0.9, "E": 0.95},
        within="pps",
        size_column="risk_score",
    ),
}


@pytest.fixture(scope="module")
def roster() -> TargetRoster:
    return random_roster(400)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_reference_verifier_recomputes_the_fast_paths_sample(
    roster: TargetRoster, name: str, tmp_path: Path
) -> None:
    receipt, csv, ids = publish(roster, PLANS[name], tmp_path)
    report = rv.verify_files(str(receipt), str(csv))
    assert report.ok, report.text()
    assert sorted(ids) == report.sample
    assert "样本一致 sample matches" in report.text()


def test_reference_verifier_agrees_with_library_verify(
    roster: TargetRoster, tmp_path: Path
) -> None:
    plan = PLANS["pps-total-crossed"]
    receipt, csv, _ = publish(roster, plan, tmp_path)
    verify(receipt.read_text(encoding="utf-8"), TargetRoster.from_csv(csv, extra=["risk_score"]))
    assert rv.verify_files(str(receipt), str(csv)).ok


def test_reference_verifier_runs_as_a_script_and_as_a_module(
    roster: TargetRoster, tmp_path: Path
) -> None:
    receipt, csv, _ = publish(roster, PLANS["total-neyman"], tmp_path)
    for args in ([VERIFIER], ["-m", "randcheck.reference_verifier"]):
        done = run_script(*args, receipt, csv)
        assert (done.returncode, done.stderr) == (0, "")
        assert "样本一致 sample matches" in done.stdout
        assert "验证通过 VERIFIED" in done.stdout


def test_reference_verifier_works_when_copied_alone(roster: TargetRoster, tmp_path: Path) -> None:
    receipt, csv, _ = publish(roster, PLANS["pps-rates"], tmp_path)
    alone = tmp_path / "elsewhere" / "reference_verifier.py"
    alone.parent.mkdir()
    alone.write_bytes(VERIFIER.read_bytes())
    done = run_script("-I", alone, receipt, csv)  # -I: no site directories from the caller
    assert done.returncode == 0, done.stdout + done.stderr


def test_reference_verifier_imports_only_the_standard_library() -> None:
    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    imported = {
        a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    imported |= {
        n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_reference_verifier_rejects_a_changed_roster_row(
    roster: TargetRoster, tmp_path: Path
) -> None:
    receipt, csv, _ = publish(roster, PLANS["rates"], tmp_path)
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(",A,", ",D,").replace(",B,", ",D,").replace(",C,", ",D,")
    lines[5] = lines[5].replace(",E,", ",D,")
    csv.write_text("".join(lines), encoding="utf-8")
    done = run_script(VERIFIER, receipt, csv)
    assert done.returncode == 1
    assert "名录指纹不一致 roster digest differs" in done.stdout
    assert "验证失败 NOT VERIFIED" in done.stdout


def test_reference_verifier_rejects_a_dropped_roster_row(
    roster: TargetRoster, tmp_path: Path
) -> None:
    receipt, csv, _ = publish(roster, PLANS["total-proportional"], tmp_path)
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(lines[:-1]), encoding="utf-8")
    report = rv.verify_files(str(receipt), str(csv))
    assert not report.ok
    assert "399 rows" in report.text()


def tamper(receipt: Path, change: Any) -> None:
    data = json.loads(receipt.read_text(encoding="utf-8"))
    change(data)
    receipt.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_reference_verifier_rejects_a_swapped_sample_id(
    roster: TargetRoster, tmp_path: Path
) -> None:
    receipt, csv, ids = publish(roster, PLANS["rates"], tmp_path)
    outsider = next(c.decode() for c in roster.credit_code.tolist() if c.decode() not in ids)

    def swap(data: dict[str, Any]) -> None:
        data["sample_ids"] = sorted([*data["sample_ids"][1:], outsider])
        data["sample_digest"] = rv.sample_digest(data["sample_ids"])

    tamper(receipt, swap)
    done = run_script(VERIFIER, receipt, csv)
    assert done.returncode == 1
    assert "样本不一致 sample differs" in done.stdout
    assert outsider in done.stdout


def test_reference_verifier_rejects_sample_ids_that_disagree_with_the_digest(
    roster: TargetRoster, tmp_path: Path
) -> None:
    receipt, csv, _ = publish(roster, PLANS["rates"], tmp_path)
    tamper(receipt, lambda d: d["sample_ids"].pop())
    report = rv.verify_files(str(receipt), str(csv))
    assert not report.ok
    assert "收据自相矛盾 receipt inconsistent" in report.text()


def test_reference_verifier_rejects_another_seed(roster: TargetRoster, tmp_path: Path) -> None:
    receipt, csv, _ = publish(roster, PLANS["rates"], tmp_path)
    tamper(receipt, lambda d: d.update(seed="2025 03 09"))
    report = rv.verify_files(str(receipt), str(csv))
    assert not report.ok
    assert "样本不一致 sample differs" in report.text()


def test_reference_verifier_rejects_a_plan_changed_after_the_commitment(
    roster: TargetRoster, tmp_path: Path
) -> None:
    receipt, csv, _ = publish(roster, PLANS["rates"], tmp_path)
    tamper(receipt, lambda d: d["plan"]["rates"].update(D=0.8))
    report = rv.verify_files(str(receipt), str(csv))
    assert not report.ok
    assert "承诺不一致 commitment does not match" in report.text()


def test_reference_verifier_refuses_a_simulation_receipt(
    roster: TargetRoster, tmp_path: Path
) -> None:
    d = draw(roster, PLANS["rates"], rng=1)
    receipt = tmp_path / "sim.json"
    receipt.write_text(d.receipt.to_json(), encoding="utf-8")
    roster.to_csv(tmp_path / "roster.csv")
    report = rv.verify_files(str(receipt), str(tmp_path / "roster.csv"))
    assert not report.ok
    assert "not the receipt of an official draw" in report.text()


def test_reference_verifier_reports_an_allocation_that_cannot_reach_its_total(
    roster: TargetRoster, tmp_path: Path
) -> None:
    receipt, csv, _ = publish(roster, PLANS["overall-rate-multipliers"], tmp_path)
    tamper(receipt, lambda d: d["plan"].update(multipliers=dict.fromkeys("ABCDE", 0.0)))
    report = rv.verify_files(str(receipt), str(csv))
    assert not report.ok
    assert "the allocation cannot reach its total" in report.text()


def test_reference_verifier_reports_a_missing_file(tmp_path: Path) -> None:
    done = run_script(VERIFIER, tmp_path / "none.json", tmp_path / "none.csv")
    assert done.returncode == 1
    assert "无法核验 cannot verify" in done.stdout
    assert "none.json" in done.stdout


def test_reference_verifier_prints_usage_without_two_arguments() -> None:
    done = run_script(VERIFIER)
    assert done.returncode == 2
    assert "usage: python reference_verifier.py receipt.json roster.csv" in done.stderr


def test_reference_verifier_ignores_the_csv_row_order(roster: TargetRoster, tmp_path: Path) -> None:
    receipt, csv, _ = publish(roster, PLANS["attention-multiplier"], tmp_path)
    header, *rows = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text(header + "".join(reversed(rows)), encoding="utf-8")
    assert rv.verify_files(str(receipt), str(csv)).ok


# ------------------------------------------------------------------- property-based
CLASS_TABLE = st.fixed_dictionaries({k: st.floats(0.0, 1.0) for k in "ABCDE"})


@st.composite
def plans(draw_: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of a SamplingPlan (class tables name all of A–E)."""
    kwargs: dict[str, Any] = {
        "strata": draw_(
            st.sampled_from(
                [("risk_class",), ("risk_class", "industry"), ("risk_class", "area", "industry")]
            )
        ),
        "min_per_stratum": draw_(st.integers(0, 2)),
        "no_exemption": draw_(st.booleans()),
        "attention": draw_(st.sampled_from(["none", "multiplier", "stratum"])),
        "attention_multiplier": draw_(st.floats(1.0, 5.0)),
        "attention_rate": draw_(st.floats(0.0, 1.0)),
        "attention_min_complaints": draw_(st.integers(0, 3)),
    }
    mode = draw_(st.sampled_from(["rates", "overall_rate", "total"]))
    if mode == "rates":
        kwargs["rates"] = draw_(CLASS_TABLE)
    elif mode == "overall_rate":
        kwargs["overall_rate"] = draw_(st.floats(0.0, 1.0))
        kwargs["multipliers"] = draw_(
            st.none() | st.fixed_dictionaries({k: st.floats(0.0, 8.0) for k in "ABCDE"})
        )
    else:
        kwargs["total"] = draw_(st.integers(0, 30))
        kwargs["allocation"] = draw_(st.sampled_from(["proportional", "equal", "neyman"]))
        kwargs["prevalence"] = draw_(
            st.fixed_dictionaries({k: st.floats(0.01, 0.99) for k in "ABCDE"})
        )
    if draw_(st.booleans()):
        kwargs.update(within="pps", size_column="risk_score")
    kwargs["eligibility"] = draw_(
        st.sampled_from(
            [
                Eligibility(),
                Eligibility(tags=["连锁"]),
                Eligibility(industries=["零售业"], area_prefix="1306"),
                Eligibility(recent_days=400, as_of="2025-12-01", risk_classes=["A", "B", "C"]),
            ]
        )
    )
    return kwargs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(0, 60),
    roster_seed=st.integers(0, 10**6),
    kwargs=plans(),
    seed=st.text(min_size=1, max_size=12).filter(str.strip),
)
@pytest.mark.slow
def test_reference_verifier_agrees_with_the_fast_path_on_any_small_draw(
    n: int, roster_seed: int, kwargs: dict[str, Any], seed: str
) -> None:
    roster = random_roster(n, roster_seed)
    present = roster.risk_counts()
    for table in ("rates", "multipliers", "prevalence"):  # name only the classes present
        if kwargs.get(table) is not None:
            kwargs[table] = {k: v for k, v in kwargs[table].items() if k in present}
    try:
        d = draw(roster, SamplingPlan(**kwargs), seed=seed)
    except PlanError:
        assume(False)
    with tempfile.TemporaryDirectory() as folder:
        receipt, csv = Path(folder, "receipt.json"), Path(folder, "roster.csv")
        receipt.write_text(d.receipt.to_json(), encoding="utf-8")
        roster.to_csv(csv)
        report = rv.verify_files(str(receipt), str(csv))
    assert report.ok, report.text()
    assert sorted(d.id_list()) == report.sample


# ----------------------------------------------------------------- batches (randcheck-batch/2)
def _county_batch(tmp_path: Path, mode: str) -> tuple[Path, Path]:
    import randcheck

    county = randcheck.example_county()
    items = [it for it in county.items if it.code in ("SW-01", "SW-02", "SW-07", "GA-07")]
    if mode == "joint-task":
        b = randcheck.draw_joint_task(
            county.targets, items, SamplingPlan(overall_rate=0.5), seed="2023-11-07"
        )
    else:
        c = randcheck.commit_batch(
            county.targets,
            items,
            coordinated=mode == "coordinated",
            seed_rule=ANY_SEED,
            seed_from="test",
        )
        b = randcheck.draw_batch(
            county.targets,
            items,
            seed="2023-11-07",
            coordinated=mode == "coordinated",
            commitment=c,
        )
    receipt, csv_path = tmp_path / "batch.json", tmp_path / "roster.csv"
    receipt.write_text(b.receipt.to_json(), encoding="utf-8")
    if not csv_path.exists():
        county.targets.to_csv(csv_path)
    return receipt, csv_path


@pytest.mark.parametrize("mode", ["coordinated", "independent", "joint-task"])
@pytest.mark.slow
def test_reference_verifier_recomputes_a_batch(tmp_path: Path, mode: str) -> None:
    receipt, csv_path = _county_batch(tmp_path, mode)
    report = rv.verify_files(str(receipt), str(csv_path))
    assert report.ok, report.text()
    assert "合并一致 visits match" in report.text()
    if mode != "joint-task":
        assert "批次承诺一致 batch commitment matches" in report.text()


@pytest.mark.slow
def test_reference_verifier_rejects_a_batch_whose_visits_were_changed(tmp_path: Path) -> None:
    receipt, csv_path = _county_batch(tmp_path, "coordinated")
    tamper(receipt, lambda r: r.update(visits=r["visits"] + 1))
    report = rv.verify_files(str(receipt), str(csv_path))
    assert not report.ok
    assert "合并不一致 visits differ" in report.text()


@pytest.mark.slow
def test_reference_verifier_rejects_a_batch_item_drawn_from_another_stream(
    tmp_path: Path,
) -> None:
    receipt, csv_path = _county_batch(tmp_path, "coordinated")
    tamper(receipt, lambda r: r["draws"][1].update(stream="units/other"))
    report = rv.verify_files(str(receipt), str(csv_path))
    assert not report.ok
    assert "wrong seed, path or stream" in report.text()


def test_reference_verifier_rejects_a_rerolled_stream_under_the_commitment(
    tmp_path: Path,
) -> None:
    roster = random_roster(300)
    plan = SamplingPlan(overall_rate=0.2)
    honest = draw(roster, plan, seed="s", commitment=commit_any(roster, plan)).receipt.to_dict()
    forged = draw(roster, plan, seed="s", stream="units7").receipt.to_dict()
    for field in ("commitment", "seed_rule", "seed_from", "warnings"):
        forged[field] = honest[field]
    receipt, csv_path = tmp_path / "r.json", tmp_path / "roster.csv"
    receipt.write_text(json.dumps(forged, ensure_ascii=False), encoding="utf-8")
    roster.to_csv(csv_path)
    report = rv.verify_files(str(receipt), str(csv_path))
    assert not report.ok
    assert "承诺不一致 commitment does not match" in report.text()


@pytest.mark.slow
def test_reference_verifier_rejects_a_joint_task_drawn_from_another_seed(tmp_path: Path) -> None:
    import randcheck

    county = randcheck.example_county()
    items = [it for it in county.items if it.code.endswith("-07")]
    task = randcheck.draw_joint_task(
        county.targets, items, SamplingPlan(overall_rate=0.5), seed="my own private seed"
    )
    data = task.receipt.to_dict()
    data["seed"] = "2023-11-07 the public lottery"
    receipt, csv_path = tmp_path / "t.json", tmp_path / "roster.csv"
    receipt.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    county.targets.to_csv(csv_path)
    report = rv.verify_files(str(receipt), str(csv_path))
    assert not report.ok
    assert "wrong seed, path or stream" in report.text()


@pytest.mark.parametrize("kind", ["subnormal", "huge"])
def test_extreme_scores_are_drawn_and_verified_alike_or_refused_clearly(
    kind: str, tmp_path: Path
) -> None:
    """Reviewer's findings: subnormal πps scores drew and verified with the library while the
    reference verifier stopped on a ZeroDivisionError (IEEE gives +inf, as numpy does); scores
    whose total exceeds the largest float raised a bare OverflowError."""
    n = 40
    codes = [c.decode() for c in randcheck.example_county().targets.credit_code[:n].tolist()]
    scores = [5e-324 if i % 2 else 1.0 for i in range(n)] if kind == "subnormal" else [1e308] * n
    roster = randcheck.TargetRoster.from_columns(
        {"credit_code": codes, "risk_class": ["A"] * n, "risk_score": scores},
        extra=["risk_score"],
    )
    plan = randcheck.SamplingPlan(rates={"A": 0.375}, within="pps", size_column="risk_score")
    if kind == "huge":
        with pytest.raises(randcheck.PlanError, match="add up to more than the largest float"):
            randcheck.draw(roster, plan, seed="s1")
        return
    d = randcheck.draw(roster, plan, seed="s1")
    randcheck.verify(d.receipt, roster)
    roster.to_csv(tmp_path / "r.csv")
    (tmp_path / "d.json").write_text(d.receipt.to_json(), encoding="utf-8")
    report = rv.verify_files(str(tmp_path / "d.json"), str(tmp_path / "r.csv"))
    assert report.ok, report.text()


def test_reference_verifier_refuses_an_item_code_listed_twice(tmp_path: Path) -> None:
    # Attack: an extra item draw made after the seed (a plan of the drawer's choosing), listed
    # under the code of a committed item before it; the commitment and the merge read the last.
    receipt, csv_path = _county_batch(tmp_path, "coordinated")
    tamper(
        receipt,
        lambda r: r.update(items=[r["items"][0], *r["items"]], draws=[r["draws"][0], *r["draws"]]),
    )
    report = rv.verify_files(str(receipt), str(csv_path))
    assert not report.ok
    assert "item code 'SW-01' is used twice in the batch" in report.text()


def test_reference_verifier_knows_every_inactive_status_of_the_library() -> None:
    # A joint task's scope leaves out inactive targets: the two verifiers must agree on which.
    from randcheck.models import INACTIVE_STATUSES

    assert sorted(rv.INACTIVE) == sorted(INACTIVE_STATUSES)


@pytest.mark.parametrize("classes", [["AB"], ["ABCDE"], [""], ["F"]])
def test_reference_verifier_refuses_a_risk_class_that_is_no_letter(classes: list[str]) -> None:
    plan = json.loads(
        SamplingPlan(overall_rate=0.1, eligibility=Eligibility(risk_classes=["A"])).to_json()
    )
    plan["eligibility"]["risk_classes"] = classes
    with pytest.raises(rv.VerifierError, match="not a valid randcheck-plan/1 plan"):
        rv.check_plan(plan)


def test_reference_verifier_stops_at_a_receipt_not_under_the_published_commitment(
    tmp_path: Path,
) -> None:
    # A receipt with its own commitment, whose seed rule would backtrack for hours: given the
    # published commitment, the verdict is that one finding, and the rule is never run.
    import randcheck

    roster = random_roster(300)
    plan = SamplingPlan(overall_rate=0.2)
    published = commit_any(roster, plan)
    hostile = randcheck.SeedRule.custom("backtracks", r"(a+)+$")
    c = randcheck.commit(roster, plan, seed_rule=hostile, seed_from="a test seed")
    data = draw(roster, plan, seed="a" * 24, commitment=c).receipt.to_dict()
    data["seed"] = "a" * 26 + "!"  # about a second of backtracking; each 2 more: 4 times
    receipt, csv_path, promised = tmp_path / "r.json", tmp_path / "roster.csv", tmp_path / "c.json"
    receipt.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    promised.write_text(published.to_json(), encoding="utf-8")
    roster.to_csv(csv_path)
    report = rv.verify_files(str(receipt), str(csv_path), str(promised))
    assert not report.ok
    assert [ok for ok, _ in report.checks] == [True, False]
    assert "未按公示承诺抽取 not drawn under the published commitment" in report.text()
