"""Archives (归档) and the one ``verify`` for every record."""

from __future__ import annotations

import json
import pathlib
import zipfile

import pytest

import randcheck
from _sampling_helpers import commit_any

SEED = "2023-03-07 双色球 04 09 13 17 26 31 + 12"


@pytest.fixture(scope="module")
def county() -> randcheck.ExampleCounty:
    return randcheck.example_county()


@pytest.fixture(scope="module")
def drawn(county: randcheck.ExampleCounty) -> randcheck.Draw:
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    return randcheck.draw(county.targets, plan, seed=SEED)


def test_an_untouched_folder_archive_verifies_and_recomputes_the_draw(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    folder = randcheck.write_archive(
        tmp_path / "a", receipt=drawn.receipt, roster=county.targets, plan=drawn.plan
    )
    check = randcheck.verify_archive(folder)
    assert check.draws_recomputed
    assert {
        "MANIFEST.json",
        "README.txt",
        "receipt.json",
        "roster.csv",
        "plan.json",
        "roster_digest.txt",
    } <= set(p.name for p in folder.iterdir())
    randcheck.verify(folder)


def test_a_changed_file_is_named(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt, roster=county.targets)
    csv = folder / "roster.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace(",D,", ",C,", 1), encoding="utf-8")
    with pytest.raises(randcheck.VerificationError, match=r"roster.csv: changed since archiving"):
        randcheck.verify_archive(folder)


def test_added_and_removed_files_are_named(tmp_path: pathlib.Path, drawn: randcheck.Draw) -> None:
    folder = randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt)
    (folder / "note.txt").write_text("x", encoding="utf-8")
    (folder / "README.txt").unlink()
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(folder)
    assert "note.txt: not in the manifest" in str(exc.value)
    assert "README.txt: listed in the manifest but missing" in str(exc.value)


def test_a_zip_archive_verifies(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    path = randcheck.write_archive(tmp_path / "a.zip", receipt=drawn.receipt, roster=county.targets)
    assert zipfile.is_zipfile(path)
    assert randcheck.verify_archive(path).draws_recomputed


def test_an_archive_is_never_written_over(tmp_path: pathlib.Path, drawn: randcheck.Draw) -> None:
    randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt)
    with pytest.raises(FileExistsError):
        randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt)


def test_a_tampered_receipt_in_an_archive_with_a_fresh_manifest_fails_the_draw(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    data = drawn.receipt.to_dict()
    data["sample_ids"][0] = data["sample_ids"][1]
    forged = randcheck.Receipt.from_dict(data)
    folder = randcheck.write_archive(tmp_path / "a", receipt=forged, roster=county.targets)
    with pytest.raises(randcheck.VerificationError, match="sample_ids do not match"):
        randcheck.verify_archive(folder)


def test_verify_dispatches_on_the_record(
    county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    randcheck.verify(drawn.receipt, county.targets)
    randcheck.verify(drawn.receipt.to_json(), county.targets)
    randcheck.verify(json.loads(drawn.receipt.to_json()), county.targets)
    batch = randcheck.draw_batch(county.targets, county.items[:3], seed=SEED)
    randcheck.verify(batch.receipt.to_json(), county.targets)
    with pytest.raises(randcheck.VerificationError, match="needs the roster"):
        randcheck.verify(drawn.receipt)


def test_files_that_belong_to_another_draw_are_caught(
    tmp_path: pathlib.Path, county: randcheck.ExampleCounty, drawn: randcheck.Draw
) -> None:
    other_plan = randcheck.SamplingPlan(rates={"A": 0.02, "B": 0.02, "C": 0.2, "D": 0.5})
    other = commit_any(county.targets, other_plan)
    folder = randcheck.write_archive(
        tmp_path / "a", receipt=drawn.receipt, plan=other_plan, commitment=other
    )
    with pytest.raises(randcheck.VerificationError) as exc:
        randcheck.verify_archive(folder)
    assert "plan.json is not the plan of the draw" in str(exc.value)
    assert "commitment.json is not the commitment recorded" in str(exc.value)


def test_an_archive_without_a_receipt_does_not_verify(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "MANIFEST.json").write_text('{"files": {}}', encoding="utf-8")
    with pytest.raises(randcheck.VerificationError, match=r"receipt\.json is missing"):
        randcheck.verify_archive(folder)


@pytest.mark.parametrize("name", ["receipt.json", "../escaped.txt", "sub/x.txt", "MANIFEST.json"])
def test_an_extra_file_cannot_replace_or_escape_the_archive(
    tmp_path: pathlib.Path, drawn: randcheck.Draw, name: str
) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        randcheck.write_archive(tmp_path / "a", receipt=drawn.receipt, extra={name: "x"})
    assert not (tmp_path / "escaped.txt").exists()
