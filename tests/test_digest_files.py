"""The fingerprint of a directory split into several Parquet files, before a cluster draw."""

from __future__ import annotations

import pathlib

import pytest

from randcheck import RosterError
from randcheck.example import synthetic_targets
from randcheck.roster import RosterDigest

pq = pytest.importorskip("pyarrow.parquet")


def _write(folder: pathlib.Path, cuts: list[tuple[int, int]], seed: int = 2) -> list[pathlib.Path]:
    roster = synthetic_targets(3000, seed=seed)
    files = []
    for i, (a, b) in enumerate(cuts):
        path = folder / f"part-{i}.parquet"
        pq.write_table(roster.take(range(a, b)).to_arrow(), path, row_group_size=400)
        files.append(path)
    return files


@pytest.mark.parametrize("passes", [1, 3])
def test_several_files_have_the_digest_of_their_union_in_any_order(
    tmp_path: pathlib.Path, passes: int
) -> None:
    whole = synthetic_targets(3000, seed=2).digest()
    files = _write(tmp_path, [(0, 700), (700, 2100), (2100, 3000)])
    for order in (files, files[::-1], [str(f) for f in files[1:] + files[:1]]):
        assert RosterDigest.from_parquet(order, extra=["risk_score"], passes=passes) == whole
    # One file alone is a different roster: its digest differs.
    assert RosterDigest.from_parquet(files[0], extra=["risk_score"]) != whole


def test_a_target_in_two_files_is_refused_naming_it(tmp_path: pathlib.Path) -> None:
    files = _write(tmp_path, [(0, 1200), (1100, 3000)])
    codes = synthetic_targets(3000, seed=2).credit_code
    repeated = {c.decode() if isinstance(c, bytes) else str(c) for c in codes[1100:1200]}
    with pytest.raises(RosterError, match="duplicate id") as err:
        RosterDigest.from_parquet(files, extra=["risk_score"])
    assert err.value.column == "credit_code"
    assert err.value.value in repeated
    # Both rows are named, each in its own file (rows 1101-1200 of the roster are in both).
    row = codes.tolist().index(err.value.value.encode()) + 1
    assert f"part-0.parquet row {row}, part-1.parquet row {row - 1100}" in str(err.value)
    assert (err.value.source, err.value.row) == (str(files[1]), row - 1100)


def test_a_bad_row_in_the_second_file_names_that_file_and_its_row(
    tmp_path: pathlib.Path,
) -> None:
    files = _write(tmp_path, [(0, 1000), (1000, 3000)])
    table = pq.read_table(files[1])
    codes = table.column("credit_code").to_pylist()
    codes[4] = "91350100M000100Y44"  # wrong check character
    pq.write_table(table.set_column(0, "credit_code", [codes]), files[1])
    with pytest.raises(RosterError, match=r"part-1\.parquet, row 5, column 'credit_code'"):
        RosterDigest.from_parquet(files, extra=["risk_score"])


def test_an_empty_list_of_files_is_refused() -> None:
    with pytest.raises(ValueError, match="give a Parquet file or a list of them"):
        RosterDigest.from_parquet([])


def test_a_roster_or_a_table_where_a_file_belongs_is_refused_saying_what_to_do(
    tmp_path: pathlib.Path,
) -> None:
    import randcheck
    from randcheck import SamplingPlan, TargetRoster
    from randcheck.sampling import verify_parquet

    roster = synthetic_targets(300, seed=3)
    plan = SamplingPlan(rates={"A": 0.1, "B": 0.1, "C": 0.2, "D": 0.5})
    receipt = randcheck.draw(roster, plan, seed="s").receipt
    cases = [
        (lambda: randcheck.draw_parquet(roster, plan, seed="s"), "draw_parquet", "randcheck.draw"),
        (lambda: verify_parquet(receipt, roster), "verify_parquet", "randcheck.verify"),
        (lambda: TargetRoster.from_parquet(roster), "from_parquet", "nothing to load"),
        (lambda: RosterDigest.from_parquet(roster), "from_parquet", r"roster\.digest\(\)"),
        (lambda: RosterDigest.from_parquet([roster]), "from_parquet", r"roster\.digest\(\)"),
        (
            lambda: randcheck.draw_parquet(roster.to_arrow(), plan, seed="s"),
            "got a Table",
            "from_arrow",
        ),
    ]
    for call, what, hint in cases:
        with pytest.raises(RosterError, match=f"{what}.*{hint}"):
            call()
    path = tmp_path / "targets.parquet"
    with pytest.raises(
        RosterError,
        match=r"draw needs a TargetRoster, got a PosixPath; load .*targets\.parquet first",
    ):
        randcheck.draw(path, plan, seed="s")
    with pytest.raises(RosterError, match=r"draw needs a TargetRoster, got a str.*draw_parquet"):
        randcheck.draw(str(path), plan, seed="s")


def test_a_repeat_inside_one_row_group_keeps_the_loaders_report(tmp_path: pathlib.Path) -> None:
    # The loader finds it, with every other problem of the row group: the fingerprint's
    # "two parts" error (and its search of the files) is not what the user gets.
    import pyarrow as pa

    codes = synthetic_targets(10, seed=4).credit_code.astype("U18").tolist()
    codes[5] = codes[2]
    classes = ["A"] * 10
    classes[7] = "F"
    path = tmp_path / "one-group.parquet"
    pq.write_table(pa.table({"credit_code": codes, "risk_class": classes}), path)
    with pytest.raises(RosterError) as err:
        RosterDigest.from_parquet(path)
    assert "different row groups" not in str(err.value)
    assert err.value.report is not None
    assert {p.problem for p in err.value.report} >= {"duplicate id"}
    assert len(err.value.report) == 2  # and the unknown risk class
    assert "this id is also in row 3" in str(err.value)


def test_an_id_in_two_files_is_found_through_dictionaries_and_renamed_headers(
    tmp_path: pathlib.Path,
) -> None:
    # The second file's ids are an Arrow dictionary under the Chinese header: the rows are
    # still found, and the error names that file's own column.
    import pyarrow as pa

    codes = synthetic_targets(12, seed=5).credit_code.astype("U18").tolist()
    first = pa.table({"credit_code": codes[:6], "risk_class": ["A"] * 6})
    second = pa.table(
        {
            "统一社会信用代码": pa.array([*codes[6:], codes[1]]).dictionary_encode(),
            "risk_class": ["B"] * 7,
        }
    )
    files = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    pq.write_table(first, files[0])
    pq.write_table(second, files[1])
    with pytest.raises(RosterError) as err:
        RosterDigest.from_parquet(files)
    assert "a.parquet row 2, b.parquet row 7" in str(err.value)
    assert (err.value.row, err.value.column, err.value.value) == (7, "统一社会信用代码", codes[1])


def test_rows_that_cannot_be_read_back_leave_the_fingerprints_error_as_it_was(
    tmp_path: pathlib.Path,
) -> None:
    # The search for a split duplicate's rows reads the files again; a file without the id
    # column (moved or rewritten meanwhile) must not turn the RosterError into pyarrow's error.
    import pyarrow as pa

    from randcheck import TargetRoster
    from randcheck._arrow import SPLIT_DUPLICATE, duplicate_rows

    path = tmp_path / "no-ids.parquet"
    pq.write_table(pa.table({"risk_class": ["A", "B"]}), path)
    exc = RosterError(SPLIT_DUPLICATE, column="credit_code", value="91350100M000100Y43")
    assert duplicate_rows(exc, [path], None, TargetRoster) is exc
