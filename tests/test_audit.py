"""The one ``verify``: it dispatches every kind of published record to its verifier, refuses a
record of an unknown kind or checked against the wrong thing, and verifies an archive by its path.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import attrs
import numpy as np
import pytest

import randcheck
from _helpers import commit_any
from randcheck import (
    ResultTable,
    RevisitPlan,
    SamplingPlan,
    TargetRoster,
    VerificationError,
    draw,
    draw_batch,
    draw_joint_task,
    draw_revisits,
    match_officers,
    verify,
    write_archive,
)
from randcheck.audit import VERIFIERS
from randcheck.matching import match_by_sweep

SEED = "2023-03-07 双色球 04 09 13 17 26 31 + 12"
PLAN = SamplingPlan(rates={"A": 0.02, "B": 0.05, "C": 0.1, "D": 0.3})


@attrs.frozen
class Published:
    """A record as ``verify`` reads it, what it is checked against, options, and the same check
    against an input changed after publication (which must fail)."""

    record: Any
    against: Any
    changed: Any
    options: dict[str, Any] = attrs.field(factory=dict)


def _without_first(roster: TargetRoster) -> TargetRoster:
    return roster.take(np.arange(1, len(roster)))


def _results(n: int = 120) -> ResultTable:
    cats = ["未发现问题", "违反其他相关规定", "发现问题经责令已改正"]
    return ResultTable.from_columns(
        {
            "result_id": [f"2023-{i:04d}" for i in range(n)],
            "credit_code": [f"91130634MA{i:08d}" for i in range(n)],
            "item": ["SW-01"] * n,
            "department": [["商务局", "市场监管局"][i % 2] for i in range(n)],
            "categories": [cats[i % 3] for i in range(n)],
            "followups": ["责令改正" if i % 3 else "" for i in range(n)],
            "inspectors": [f"O{i % 5};O{(i + 1) % 5}" for i in range(n)],
            "entered_by": [f"O{i % 5}" for i in range(n)],
            "inspection_end": ["2023-05-10"] * n,
            "entered_on": ["2023-05-12"] * n,
        }
    )


@pytest.fixture(scope="module")
def targets(county: randcheck.example.ExampleCounty) -> TargetRoster:
    return county.targets


@pytest.fixture(scope="module")
def published(
    county: randcheck.example.ExampleCounty, targets: TargetRoster
) -> dict[str, Published]:
    """One official record of every kind ``verify`` knows, made from the example county."""
    other = _without_first(targets)
    batch = draw_batch(targets, county.items, seed=SEED, batch="2023", year=2023)
    joint = draw_joint_task(targets, county.items[:3], PLAN, seed=SEED, batch="task", year=2023)
    visits = list(batch.visits)[:20]
    matched = match_officers(visits, county.officers, conflicts=county.conflicts, seed=SEED)
    swept = match_by_sweep(visits, county.officers, conflicts=county.conflicts, seed=SEED)
    results = _results()
    revisits = draw_revisits(
        results, RevisitPlan(by="department", rate=0.1), as_of="2023-12-31", seed=SEED
    )
    return {
        "commitment": Published(commit_any(targets, PLAN), targets, other),
        "draw": Published(draw(targets, PLAN, seed=SEED).receipt, targets, other),
        "batch": Published(batch.receipt, targets, other),
        "joint task": Published(joint.receipt, targets, other),
        "revisits": Published(revisits.receipt, results, results.take(np.arange(1, 120))),
        "matching": Published(
            matched.record(),
            (visits, county.officers),
            (visits[1:], county.officers),
            {"conflicts": county.conflicts},
        ),
        "sweep": Published(
            swept.record(),
            (visits, county.officers),
            (visits[1:], county.officers),
            {"conflicts": county.conflicts},
        ),
    }


KINDS = ["commitment", "draw", "batch", "joint task", "revisits", "matching", "sweep"]
AS: dict[str, Callable[[Any], Any]] = {
    "object": lambda record: record,
    "JSON text": lambda record: record.to_json(),
    "dict": lambda record: json.loads(record.to_json()),
}


def test_every_registered_kind_is_tested_here(published: dict[str, Published]) -> None:
    assert {type(p.record).FORMAT for p in published.values()} == set(VERIFIERS)


@pytest.mark.parametrize("form", list(AS))
@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_verifies_as_an_object_its_json_and_its_dict(
    published: dict[str, Published], kind: str, form: str
) -> None:
    p = published[kind]
    assert verify(AS[form](p.record), p.against, **p.options) is None


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_fails_against_an_input_changed_after_publication(
    published: dict[str, Published], kind: str
) -> None:
    p = published[kind]
    with pytest.raises(VerificationError):
        verify(p.record.to_json(), p.changed, **p.options)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_verifies_from_the_path_of_its_file(
    published: dict[str, Published], kind: str, tmp_path: pathlib.Path
) -> None:
    """Reviewer's finding: ``verify("receipt.json", roster)`` said "not a zip archive"."""
    p = published[kind]
    path = tmp_path / "record.json"
    path.write_text(p.record.to_json(), encoding="utf-8")
    assert verify(str(path), p.against, **p.options) is None
    assert verify(path, p.against, **p.options) is None
    with pytest.raises(VerificationError):
        verify(path, p.changed, **p.options)


def test_an_option_reaches_the_kinds_verifier(
    published: dict[str, Published], targets: TargetRoster
) -> None:
    p = published["commitment"]
    verify(p.record, targets, plan=PLAN)
    with pytest.raises(VerificationError, match="plan changed: the commitment's plan digest"):
        verify(p.record, targets, plan=SamplingPlan(rates={"A": 0.5}))


def test_an_unknown_format_is_named_with_the_known_ones(targets: TargetRoster) -> None:
    with pytest.raises(VerificationError) as info:
        verify('{"format": "randcheck-horoscope/1", "sign": "龙"}', targets)
    message = str(info.value)
    assert message.startswith(
        "record: format 'randcheck-horoscope/1' is not one this version verifies; known: "
    )
    assert message.endswith(", ".join(sorted(VERIFIERS)))


def test_a_dict_without_a_format_is_refused(targets: TargetRoster) -> None:
    with pytest.raises(VerificationError, match="record: format None is not one"):
        verify({"sample_ids": []}, targets)


def test_text_that_is_not_json_is_refused(targets: TargetRoster) -> None:
    with pytest.raises(VerificationError, match=r"^record JSON: "):
        verify('{"format": "randcheck-receipt/2",', targets)


def test_a_value_that_is_no_record_is_refused(targets: TargetRoster) -> None:
    with pytest.raises(VerificationError, match="cannot read a record from int; give the record"):
        verify(42, targets)


@pytest.mark.parametrize(
    ("kind", "wrong", "words"),
    [
        ("draw", "officers", r"the roster \(TargetRoster\) to check a receipt against, got "),
        ("commitment", None, r"the roster \(TargetRoster\) to check a commitment against, got "),
        ("batch", "results", r"the roster \(TargetRoster\) to check a batch receipt against"),
        ("revisits", "roster", r"the result table \(ResultTable\) to check a revisit receipt"),
        ("matching", "roster", r"the visits and officer roster as a pair \(visits, officers\) "),
    ],
)
def test_a_record_checked_against_the_wrong_thing_names_what_it_needs(
    published: dict[str, Published],
    county: randcheck.example.ExampleCounty,
    kind: str,
    wrong: str | None,
    words: str,
) -> None:
    against = {
        None: None,
        "officers": county.officers,
        "roster": county.targets,
        "results": published["revisits"].against,
    }[wrong]
    with pytest.raises(VerificationError, match="^verify needs " + words) as info:
        verify(published[kind].record.to_json(), against)
    assert str(info.value).endswith(f"got {type(against).__name__}")


@pytest.mark.parametrize("name", ["folder", "archive.zip"])
def test_an_archive_is_verified_by_its_path(
    tmp_path: pathlib.Path, published: dict[str, Published], targets: TargetRoster, name: str
) -> None:
    written = write_archive(tmp_path / name, receipt=published["draw"].record, roster=targets)
    assert verify(written.path) is None
    assert verify(str(written.path), anchor=written.anchor) is None
    with pytest.raises(VerificationError, match="does not match"):
        verify(written.path, anchor="sha256:" + "0" * 64)


def test_a_changed_archive_file_is_named(
    tmp_path: pathlib.Path, published: dict[str, Published], targets: TargetRoster
) -> None:
    folder = write_archive(tmp_path / "a", receipt=published["draw"].record, roster=targets).path
    roster_csv = folder / "roster.csv"
    roster_csv.write_bytes(roster_csv.read_bytes().replace(b",A,", b",B,", 1))
    with pytest.raises(VerificationError, match=r"roster\.csv"):
        verify(folder)


def test_a_path_that_is_no_archive_is_refused(tmp_path: pathlib.Path) -> None:
    (tmp_path / "notes.txt").write_text("not an archive", encoding="utf-8")
    with pytest.raises(
        VerificationError, match=r"MANIFEST\.json is missing; not a randcheck archive"
    ):
        verify(tmp_path)


def test_a_path_given_as_the_roster_is_answered_with_how_to_load_or_stream_it(
    published: dict[str, Published],
) -> None:
    with pytest.raises(VerificationError, match=r"^verify needs the roster") as info:
        verify(published["draw"].record.to_json(), "county.parquet")
    message = str(info.value)
    assert "got str; load county.parquet first" in message
    assert "randcheck.verify_parquet" in message
