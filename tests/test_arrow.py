"""Rosters from Arrow tables and Parquet files: the same roster as from CSV, the same errors."""

from __future__ import annotations

import io
import pathlib

import numpy as np
import pytest

from _helpers import credit_codes
from randcheck import OfficerRoster, RosterError, TargetRoster
from randcheck.errors import RosterWarning
from randcheck.roster import RosterDigest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def frame_columns(n: int = 500, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "统一社会信用代码": credit_codes(n).astype("U18"),
        "企业名称": np.array(["甲公司", "", "😀小店", "x,y"])[rng.integers(0, 4, n)],
        "风险等级": np.array(list("ABCD"))[rng.integers(0, 4, n)],
        "行业": np.array(["零售业", " 餐饮业", "典当"])[rng.integers(0, 3, n)],
        "标签": np.array(["", "连锁", "连锁;重点"])[rng.integers(0, 3, n)],
        "经营异常名录": rng.random(n) < 0.1,
        "投诉次数": rng.integers(0, 5, n),
        "上次检查日期": np.datetime64("2019-01-01") + rng.integers(0, 2000, n),
    }


def write(tmp_path: pathlib.Path, table: object, rows_per_group: int = 97) -> pathlib.Path:
    path = tmp_path / "roster.parquet"
    pq.write_table(table, path, row_group_size=rows_per_group)
    return path


def same(a: TargetRoster, b: TargetRoster) -> bool:
    ca, cb = a.to_columns(), b.to_columns()
    same_values = all(list(map(str, ca[k].tolist())) == list(map(str, cb[k].tolist())) for k in ca)
    return a.digest() == b.digest() and same_values


def test_parquet_in_many_row_groups_gives_the_csv_roster(tmp_path: pathlib.Path) -> None:
    cols = frame_columns()
    path = write(tmp_path, pa.table(cols))
    assert pq.ParquetFile(path).num_row_groups > 3
    from_file = TargetRoster.from_parquet(path)
    by_csv = TargetRoster.from_columns(cols)
    assert same(from_file, by_csv)
    assert from_file.source == str(path)


def test_from_dataframe_accepts_a_pyarrow_table() -> None:
    cols = frame_columns(50)
    assert same(TargetRoster.from_dataframe(pa.table(cols)), TargetRoster.from_columns(cols))


def test_from_arrow_takes_record_batches_and_dictionary_columns() -> None:
    cols = frame_columns(300, seed=1)
    table = pa.table(cols)
    table = table.set_column(3, "行业", table.column("行业").dictionary_encode())
    batches = table.to_batches(max_chunksize=64)
    assert len(batches) > 2
    expected = TargetRoster.from_columns(cols)
    assert same(TargetRoster.from_arrow(batches), expected)
    assert same(TargetRoster.from_arrow(table), expected)
    assert same(
        TargetRoster.from_arrow(batches[0]),
        TargetRoster.from_columns({k: v[:64] for k, v in cols.items()}),
    )


def test_missing_arrow_values_read_as_empty_cells() -> None:
    codes = credit_codes(3).astype("U18").tolist()
    table = pa.table(
        {
            "credit_code": codes,
            "risk_class": ["A", "B", "C"],
            "name": ["甲", None, "丙"],
            "industry": pa.array(["零售业", None, "零售业"]).dictionary_encode(),
            "complaints": [1, 2, 0],
        }
    )
    expected = TargetRoster.from_columns(
        {
            "credit_code": codes,
            "risk_class": ["A", "B", "C"],
            "name": ["甲", "", "丙"],
            "industry": ["零售业", "", "零售业"],
            "complaints": [1, 2, 0],
        }
    )
    assert same(TargetRoster.from_arrow(table), expected)


def test_parquet_mapping_renames_columns(tmp_path: pathlib.Path) -> None:
    cols = {"code": credit_codes(20).astype("U18"), "grade": np.array(list("ABCD") * 5)}
    path = write(tmp_path, pa.table(cols), rows_per_group=7)
    r = TargetRoster.from_parquet(path, mapping={"code": "credit_code", "grade": "risk_class"})
    assert same(
        r, TargetRoster.from_columns({"credit_code": cols["code"], "risk_class": cols["grade"]})
    )


def test_legacy_codes_of_other_lengths_are_kept_on_request(tmp_path: pathlib.Path) -> None:
    codes = [*credit_codes(5).astype("U18").tolist(), "33010200012345", "91330100X"]
    path = write(tmp_path, pa.table({"credit_code": codes, "risk_class": list("ABCDABC")}), 3)
    with pytest.warns(RosterWarning, match="2 problems .*legacy credit code"):
        r = TargetRoster.from_parquet(path, legacy_codes=True)
    assert r.invalid_credit_codes() == [(6, "33010200012345"), (7, "91330100X")]


def test_a_bad_code_in_a_later_row_group_names_file_row_column_and_value(
    tmp_path: pathlib.Path,
) -> None:
    codes = credit_codes(40).astype("U18")
    codes[33] = "91130634MA07RWXK3X"
    path = write(tmp_path, pa.table({"credit_code": codes, "risk_class": ["A"] * 40}), 10)
    with pytest.raises(RosterError) as info:
        TargetRoster.from_parquet(path)
    err = info.value
    assert (err.source, err.row, err.column, err.value) == (
        str(path),
        34,
        "credit_code",
        "91130634MA07RWXK3X",
    )
    assert "not a valid 统一社会信用代码" in str(err)


def test_a_duplicate_id_across_row_groups_is_an_error(tmp_path: pathlib.Path) -> None:
    codes = credit_codes(30).astype("U18")
    codes[25] = codes[2]
    path = write(tmp_path, pa.table({"credit_code": codes, "risk_class": ["A"] * 30}), 10)
    with pytest.raises(RosterError) as info:
        TargetRoster.from_parquet(path)
    err = info.value
    assert (err.row, err.column, err.value) == (26, "credit_code", codes[2])
    assert "duplicate id" in str(err)
    assert err.report is not None
    assert err.report.problems[0].fix == "this id is also in row 3: keep one of the rows"


def test_a_parquet_file_without_the_risk_class_is_an_error(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, pa.table({"credit_code": credit_codes(3).astype("U18")}))
    with pytest.raises(RosterError, match="required column missing: risk_class"):
        TargetRoster.from_parquet(path)


def test_officers_from_arrow() -> None:
    table = pa.table({"执法证号": ["A1", "A2"], "姓名": ["王某", "李某"], "专长": ["食品", ""]})
    expected = OfficerRoster.from_columns(
        {"officer_id": ["A1", "A2"], "name": ["王某", "李某"], "skills": ["食品", ""]}
    )
    assert OfficerRoster.from_arrow(table).digest() == expected.digest()


def test_from_arrow_leaves_the_callers_table_unchanged() -> None:
    cols = frame_columns(40)
    table = pa.table(cols)
    before = table.to_pydict()
    r = TargetRoster.from_arrow(table)
    assert table.to_pydict() == before
    with pytest.raises(ValueError, match="read-only"):
        r.credit_code[0] = b"x"


def test_an_empty_parquet_file_gives_an_empty_roster(tmp_path: pathlib.Path) -> None:
    schema = pa.schema([("credit_code", pa.string()), ("risk_class", pa.string())])
    path = write(tmp_path, schema.empty_table())
    assert len(TargetRoster.from_parquet(path)) == 0
    assert (
        TargetRoster.from_parquet(path).digest()
        == TargetRoster.from_csv(io.StringIO("credit_code,risk_class\n")).digest()
    )


# --- a fingerprint without the roster in memory ---------------------------------------------------
@pytest.mark.parametrize("passes", [1, 3])
def test_a_parquet_fingerprint_read_by_row_group_equals_the_rosters(
    tmp_path: pathlib.Path, passes: int
) -> None:
    cols = frame_columns(700, seed=4)
    path = write(tmp_path, pa.table(cols), rows_per_group=64)
    seen: list[tuple[int, int]] = []
    digest = RosterDigest.from_parquet(
        path, passes=passes, progress=lambda done, total: seen.append((done, total))
    )
    assert digest == TargetRoster.from_columns(cols).digest()
    assert seen[-1] == (700 * passes, 700 * passes)


def test_a_bad_row_found_by_the_parquet_fingerprint_is_numbered_in_the_file(
    tmp_path: pathlib.Path,
) -> None:
    codes = credit_codes(40).astype("U18")
    codes[33] = "91130634MA07RWXK3X"
    path = write(tmp_path, pa.table({"credit_code": codes, "risk_class": ["A"] * 40}), 10)
    with pytest.raises(RosterError) as info:
        RosterDigest.from_parquet(path)
    assert (info.value.row, info.value.value) == (34, "91130634MA07RWXK3X")


def test_an_id_in_two_row_groups_breaks_the_parquet_fingerprint(tmp_path: pathlib.Path) -> None:
    codes = credit_codes(30).astype("U18")
    codes[25] = codes[2]
    path = write(tmp_path, pa.table({"credit_code": codes, "risk_class": ["A"] * 30}), 10)
    with pytest.raises(RosterError, match=r"duplicate id: it is in rows 3, 26 \(in different") as e:
        RosterDigest.from_parquet(path, passes=2)
    assert (e.value.source, e.value.row, e.value.value) == (str(path), 26, codes[2])


def test_parquet_fingerprint_passes_must_be_between_1_and_256(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, pa.table(frame_columns(5)))
    with pytest.raises(ValueError, match="passes = 0: a whole number from 1 to 256"):
        RosterDigest.from_parquet(path, passes=0)


# --- text columns read without a string per row ------------------------------------------------
def text_columns(n: int = 400, seed: int = 3) -> dict[str, list[str | None]]:
    """Every column as text, as a spreadsheet export writes it (some cells missing)."""
    rng = np.random.default_rng(seed)

    def pick(options: list[str | None]) -> list[str | None]:
        return [options[i] for i in rng.integers(0, len(options), n)]

    long_name = "长" * 300  # wider than the rest of its block: each block has its own width
    return {
        "credit_code": credit_codes(n).astype("U18").tolist(),
        "name": pick(["甲公司", "", None, "😀小店", "x,y", long_name, "A" * 70_000]),
        "risk_class": pick(["A", " b", "信用风险低", "D"]),
        "tags": pick(["", None, "连锁", "重点；连锁", " 连锁 ; 重点"]),
        "abnormal": pick(["是", "否", "1", "0", "", None]),
        "complaints": pick(["0", "2", " 7", "", None]),
        "last_inspected": pick(["2024-03-01", "2023/12/31", "", None]),
    }


def test_text_columns_of_arrow_read_as_from_columns(tmp_path: pathlib.Path) -> None:
    cols = text_columns()
    path = write(tmp_path, pa.table(cols), rows_per_group=64)
    plain = {k: ["" if v is None else v for v in vs] for k, vs in cols.items()}
    expected = TargetRoster.from_columns(plain)
    assert same(TargetRoster.from_parquet(path), expected)
    assert RosterDigest.from_parquet(path, passes=2) == expected.digest()
    batches = pa.table(cols).to_batches(max_chunksize=50)
    assert same(TargetRoster.from_arrow(batches), expected)


def test_a_column_of_text_in_one_batch_and_numbers_in_another() -> None:
    codes = credit_codes(4).astype("U18").tolist()
    first = pa.record_batch(
        {"credit_code": codes[:2], "risk_class": ["A", "B"], "complaints": ["1", "2"]}
    )
    second = pa.record_batch(
        {
            "credit_code": codes[2:],
            "risk_class": ["C", "D"],
            "complaints": pa.array([3, 0], pa.int64()),
        }
    )
    r = TargetRoster.from_arrow([first, second])
    assert r.complaints.tolist() == [1, 2, 3, 0]


@pytest.mark.parametrize(
    ("column", "bad", "words"),
    [
        ("risk_class", "Z", "unknown risk class"),
        ("risk_class", " ", "a blank risk class"),
        ("abnormal", "也许", "not a yes/no value"),
        ("complaints", "-3", "must be a whole number ≥ 0"),
        ("last_inspected", "31.12.2023", "not a date"),
        ("tags", "连锁\t重点", "tab, newline, carriage return and NUL are not allowed"),
    ],
)
def test_a_bad_text_value_in_a_later_row_group_names_row_column_and_value(
    tmp_path: pathlib.Path, column: str, bad: str, words: str
) -> None:
    cols = {k: ["" if v is None else v for v in vs] for k, vs in text_columns(60).items()}
    cols["risk_class"] = ["C"] * 60
    cols[column][47] = bad
    path = write(
        tmp_path, pa.table({"企业名称" if k == "name" else k: v for k, v in cols.items()}), 16
    )
    with pytest.raises(RosterError) as info:
        TargetRoster.from_parquet(path)
    err = info.value
    assert (err.source, err.row, err.column, err.value) == (str(path), 48, column, bad)
    assert words in str(err)


@pytest.mark.parametrize("bad", ["甲\t公司", "甲\n公司", "甲\r公司", "甲\x00公司", "\x00"])
def test_a_name_with_a_control_character_names_row_column_and_value(
    tmp_path: pathlib.Path, bad: str
) -> None:
    cols = {k: ["" if v is None else v for v in vs] for k, vs in text_columns(60).items()}
    cols["name"][50] = bad
    path = write(
        tmp_path, pa.table({"企业名称" if k == "name" else k: v for k, v in cols.items()}), 16
    )
    for read in (TargetRoster.from_parquet, RosterDigest.from_parquet):
        with pytest.raises(RosterError) as info:
            read(path)
        err = info.value
        assert (err.source, err.row, err.column, err.value) == (str(path), 51, "企业名称", bad)
        assert "tab, newline, carriage return and NUL are not allowed in a value" in str(err)


def test_labels_read_as_the_files_dictionaries_are_those_the_rows_carry(
    tmp_path: pathlib.Path,
) -> None:
    # A Parquet dictionary may hold values no row uses (here "Z", not a risk class, and an
    # industry nobody has): they are no label of the roster, and no error.
    codes = credit_codes(4).astype("U18").tolist()
    table = pa.table(
        {
            "credit_code": codes,
            "risk_class": pa.DictionaryArray.from_arrays(
                pa.array([0, 1, 0, 1], pa.int32()), pa.array(["A", "B", "Z"])
            ),
            "industry": pa.DictionaryArray.from_arrays(
                pa.array([2, None, 2, 0], pa.int32()), pa.array(["零售业", "无人行业", "餐饮业"])
            ),
        }
    )
    path = write(tmp_path, table, rows_per_group=2)
    stored = pq.ParquetFile(path, read_dictionary=["risk_class"]).read_row_group(0)
    assert "Z" in stored.column("risk_class").chunk(0).dictionary.to_pylist()  # kept by Parquet
    roster = TargetRoster.from_parquet(path)
    expected = TargetRoster.from_columns(
        {
            "credit_code": codes,
            "risk_class": ["A", "B", "A", "B"],
            "industry": ["餐饮业", "", "餐饮业", "零售业"],
        }
    )
    assert same(roster, expected)
    assert sorted(roster.industry.categories) == sorted(expected.industry.categories)
    assert RosterDigest.from_parquet(path) == expected.digest()


def test_parquet_columns_are_the_rosters_own(tmp_path: pathlib.Path) -> None:
    # Read in one row group, the columns are not views of Arrow's buffers (which the reader
    # frees); each is copied at most once on the way.
    cols = frame_columns(300, seed=4)
    cols["risk_score"] = np.linspace(0.5, 3.0, 300)
    path = write(tmp_path, pa.table(cols), rows_per_group=1000)
    table = pq.read_table(path)
    roster = TargetRoster.from_arrow(table, extra=["risk_score"])
    score = roster.column("risk_score")
    assert not np.shares_memory(score, table.column("risk_score").chunk(0).to_numpy())
    assert same(roster, TargetRoster.from_columns(cols, extra=["risk_score"]))
    assert same(TargetRoster.from_parquet(path, extra=["risk_score"]), roster)


def test_reading_stops_cleanly_when_the_reader_stops_early(tmp_path: pathlib.Path) -> None:
    # The next row group is read ahead in a thread: a caller that stops after the first (an
    # error in it, say) leaves no thread behind and the file closed.
    import threading

    from randcheck import _arrow

    path = write(tmp_path, pa.table(frame_columns(400)), rows_per_group=50)
    batches = _arrow.parquet_batches(path)
    first = next(batches)
    assert first.num_rows == 50
    batches.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("randcheck-parquet")]
    assert [t.num_rows for t in _arrow.parquet_batches(path, groups=[7, 2, 5])] == [50, 50, 50]
