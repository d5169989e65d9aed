"""Every kind of published record, kept as written: it still verifies, and is made again byte for
byte from the same inputs.

The records in ``tests/data/golden`` were written by its ``make_golden.py`` from the bundled
example county. A change that alters a recipe's bytes (a hash input, a field, the order of a
selection) fails here even if the library still agrees with itself. ``golden/0.1.0`` keeps the
records of release 0.1.0 that a later recipe replaced; they still verify.
"""

from __future__ import annotations

import json
import pathlib
import runpy
from typing import Any

import pytest

import randcheck as rc
from randcheck import reference_verifier
from randcheck.errors import RetiredRecipeWarning

GOLDEN = pathlib.Path(__file__).parent / "data" / "golden"
DRAWN_FROM_THE_ROSTER = [
    "commitment.json",
    "draw-receipt.json",
    "batch-coordinated.json",
    "batch-independent.json",
    "batch-commitment.json",
    "batch-committed.json",
    "joint-task.json",
    "joint-task-committed.json",
]
RECORDS = [
    *DRAWN_FROM_THE_ROSTER,
    "matching-record.json",
    "sweep-record.json",
    "revisit-receipt.json",
]


def _without_library(value: Any) -> Any:
    """The record with every ``library`` field (the version that wrote it, in no recipe) removed."""
    if isinstance(value, dict):
        return {k: _without_library(v) for k, v in value.items() if k != "library"}
    if isinstance(value, list):
        return [_without_library(v) for v in value]
    return value


def _read(path: pathlib.Path) -> Any:
    return _without_library(json.loads(path.read_text(encoding="utf-8")))


def _golden(name: str) -> str:
    return (GOLDEN / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def again(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("golden")
    make = runpy.run_path(str(GOLDEN / "make_golden.py"))
    make["write_records"](out, keep_results=True)
    return out


#: Records of release 0.1.0 whose recipe was replaced since (``randcheck-seed-rule/1``: a dated
#: rule named no date): kept as 0.1.0 wrote them, they must still verify.
OF_0_1_0 = ["0.1.0/commitment.json", "0.1.0/draw-receipt.json"]


@pytest.mark.parametrize("name", DRAWN_FROM_THE_ROSTER)
def test_a_kept_record_verifies_against_the_roster(
    name: str, county: rc.example.ExampleCounty
) -> None:
    rc.verify(_golden(name), county.targets)


def test_the_records_of_0_1_0_still_verify(county: rc.example.ExampleCounty) -> None:
    """Their seed rule names no draw date, so such a commitment can be written by hand today:
    they verify once a person has checked the seed's date (``accept_retired``), with a
    warning, and not by default."""
    rc.verify(_golden("0.1.0/commitment.json"), county.targets)
    with pytest.raises(rc.VerificationError, match="pass accept_retired=True"):
        rc.verify(_golden("0.1.0/draw-receipt.json"), county.targets)
    with pytest.warns(RetiredRecipeWarning, match="verified as accepted"):
        rc.verify(_golden("0.1.0/draw-receipt.json"), county.targets, accept_retired=True)


def test_the_reference_verifier_notes_the_retired_rule(
    county: rc.example.ExampleCounty, tmp_path: pathlib.Path
) -> None:
    county.targets.to_csv(tmp_path / "roster.csv")
    paths = (str(GOLDEN / "0.1.0" / "draw-receipt.json"), str(tmp_path / "roster.csv"))
    refused = reference_verifier.verify_files(*paths)
    assert not refused.ok
    assert "旧规则 retired seed rule randcheck-seed-rule/1" in refused.text()
    assert reference_verifier.verify_files(*paths, accept_retired=True).ok
    assert reference_verifier.main([*paths, "--accept-retired"]) == 0


def test_nothing_is_drawn_under_a_commitment_of_0_1_0(county: rc.example.ExampleCounty) -> None:
    """A drawer could otherwise publish a /1 commitment by hand (its recipe is public) and
    pick the seed's date after all."""
    old = rc.Commitment.from_json(_golden("0.1.0/commitment.json"))
    plan = rc.SamplingPlan.from_dict(json.loads(_golden("0.1.0/draw-receipt.json"))["plan"])
    with pytest.raises(rc.PlanError, match="retired randcheck-seed-rule/1"):
        rc.draw(county.targets, plan, seed="2023-03-07 03 07 12 19 25 31 + 09", commitment=old)


@pytest.mark.parametrize("name", ["matching-record.json", "sweep-record.json"])
def test_the_kept_matching_records_verify(name: str, county: rc.example.ExampleCounty) -> None:
    make = runpy.run_path(str(GOLDEN / "make_golden.py"))
    batch = rc.draw_batch(
        county.targets,
        county.items,
        seed=make["SEED"],
        coordinated=False,
        batch="2023",
        year=2023,
        drawn_at=make["WHEN"],
    )
    visits = list(batch.visits)[: make["MATCHED_VISITS"]]
    rc.verify(_golden(name), (visits, county.officers), conflicts=county.conflicts)


def test_the_kept_revisit_receipt_verifies(again: pathlib.Path) -> None:
    results = rc.ResultTable.from_csv(again / "demo-results.csv")
    rc.verify(_golden("revisit-receipt.json"), results)


@pytest.mark.parametrize("name", RECORDS)
def test_the_same_inputs_give_the_same_record(name: str, again: pathlib.Path) -> None:
    assert _read(GOLDEN / name) == _read(again / name)


def test_the_demo_archive_has_the_same_files(again: pathlib.Path) -> None:
    # These name the library version: the receipt, the README and each round's matching record.
    version_bearing = {"receipt.json", "README.txt"} | {
        f"matching-round-{k}.json" for k in range(9)
    }
    kept = _read(GOLDEN / "demo-archive" / "MANIFEST.json")["files"]
    made = _read(again / "demo-archive" / "MANIFEST.json")["files"]
    assert {k: v for k, v in kept.items() if k not in version_bearing} == {
        k: v for k, v in made.items() if k not in version_bearing
    }


def test_a_record_of_0_1_0_reads_as_its_recipe_made_it(county: rc.example.ExampleCounty) -> None:
    """The 0.1.0 commitment's rule is ``/1`` (no date); read back it is the same rule, and its
    digest still follows; a new commitment under a ``/1`` rule is refused."""
    old = rc.Commitment.from_json(_golden("0.1.0/commitment.json"))
    assert old.seed_rule["recipe"] == "randcheck-seed-rule/1"
    assert "date" not in old.seed_rule
    plan = rc.SamplingPlan.from_dict(json.loads(_golden("0.1.0/draw-receipt.json"))["plan"])
    with pytest.raises(rc.PlanError, match="randcheck-seed-rule/1 is retired"):
        rc.commit(county.targets, plan, seed_rule=old.rule, seed_from="again")


def test_an_edited_record_fails(county: rc.example.ExampleCounty) -> None:
    # The checks above can fail: a kept receipt with one selected id swapped is refused.
    data = json.loads(_golden("draw-receipt.json"))
    chosen = set(data["sample_ids"])
    codes = (c.decode("ascii") for c in county.targets.credit_code.tolist())
    other = next(c for c in codes if c not in chosen)
    data["sample_ids"][0] = other
    with pytest.raises(rc.VerificationError):
        rc.verify(json.dumps(data, ensure_ascii=False), county.targets)
