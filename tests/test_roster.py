"""Columnar directories: building, loading, validation, filtering and the order-free digest."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _digest_helpers import digest_by_hand
from _helpers import LEGACY, A, B, C, write
from randcheck import OfficerRoster, RosterError, TargetRoster
from randcheck.errors import RosterWarning
from randcheck.models import Officer, RiskClass, Target
from randcheck.roster import Categorical, TagSet
from randcheck.roster.credit_code import credit_code_check_character, is_valid_credit_code
from strategies import (
    INDUSTRIES,
    STATUSES,
    TAG_NAMES,
    invalid_credit_codes,
    target_columns,
    target_rosters,
    valid_credit_codes,
)

CSV_ZH = (
    "统一社会信用代码,企业名称,信用风险等级,行业,行政区划,登记状态,标签,经营异常名录,投诉次数,上次检查日期\n"
    f"{A},甲商贸有限公司,A,零售业,130634,存续,连锁;重点,否,0,2023-05-06\n"
    f"{B},乙加油站,信用风险高,成品油零售,130634,在业,,是,2,\n"
)

tmp_files = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def small() -> TargetRoster:
    return TargetRoster.from_columns({"credit_code": [A, B], "risk_class": ["A", "D"]})


# --- building from columns and objects --------------------------------------------------------
def test_from_columns_fills_defaults() -> None:
    r = small()
    assert (r[0].status, r[0].tags, r[0].abnormal, r[0].complaints, r[0].last_inspected) == (
        "存续",
        frozenset(),
        False,
        0,
        None,
    )


def test_from_targets_keeps_attributes_as_the_users_own_columns() -> None:
    r = TargetRoster.from_targets(
        [Target(A, "甲", "A", attributes={"score": 0.5}), Target(B, "乙", "B")]
    )
    assert (r.extra_columns, r[0].attributes["score"], np.isnan(r[1].attributes["score"])) == (
        ("score",),
        0.5,
        True,
    )


def test_from_targets_keeps_every_field() -> None:
    t = Target(
        A,
        "甲",
        "C",
        industry="零售业",
        area="130634",
        tags="连锁;重点",
        abnormal=True,
        complaints=2,
        last_inspected="2023-05-06",
        status="在业",
    )
    assert TargetRoster.from_targets([t])[0] == t


@given(target_columns())
@pytest.mark.slow
def test_rows_read_back_build_the_same_roster(columns: dict[str, Any]) -> None:
    r = TargetRoster.from_columns(columns)
    again = TargetRoster.from_targets([r[i] for i in range(len(r))])
    assert again.digest() == r.digest()


def test_chinese_headers_name_the_canonical_columns() -> None:
    r = TargetRoster.from_columns(
        {"统一社会信用代码": [A], "风险分类": ["B"], "所属行业": ["零售业"]}
    )
    assert (r.risk_class.tolist(), r.industry.labels().tolist()) == ([1], ["零售业"])


def test_a_column_given_twice_is_an_error() -> None:
    with pytest.raises(RosterError, match="column 'risk_class' is given twice"):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"], "风险等级": ["A"]})


def test_unknown_column_in_strict_mode_is_an_error_naming_it() -> None:
    with pytest.raises(
        RosterError,
        match=r"column '注册资本': unknown column; known columns are "
        r"credit_code, name",
    ):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"], "注册资本": [100]})


def test_extra_names_the_users_own_columns_in_strict_mode() -> None:
    r = TargetRoster.from_columns(
        {"credit_code": [A], "risk_class": ["A"], "score": [0.5]}, extra=["score"]
    )
    assert (r.extra_columns, r.column("score").tolist()) == (("score",), [0.5])


def test_unknown_columns_keep_keeps_them_as_own_columns() -> None:
    r = TargetRoster.from_columns(
        {"credit_code": [A], "risk_class": ["A"], "注册资本": ["100万"]}, unknown_columns="keep"
    )
    assert r.column("注册资本").tolist() == ["100万"]


def test_missing_required_column_is_an_error_listing_accepted_headers() -> None:
    with pytest.raises(
        RosterError,
        match=r"column 'risk_class': required column missing: "
        r"risk_class \(accepted headers: risk_class: 信用风险等级",
    ):
        TargetRoster.from_columns({"credit_code": [A]})


def test_a_column_of_the_wrong_length_is_an_error() -> None:
    with pytest.raises(RosterError, match="column 'industry': has 1 values but the roster has 2"):
        TargetRoster.from_columns(
            {"credit_code": [A, B], "risk_class": ["A", "B"], "industry": ["零售业"]}
        )


def test_duplicate_ids_are_an_error_naming_both_rows() -> None:
    with pytest.raises(RosterError) as info:
        TargetRoster.from_columns({"credit_code": [A, B, A], "risk_class": ["A", "B", "C"]})
    assert (info.value.row, info.value.column, info.value.value) == (3, "credit_code", A)
    # The message names both rows, not only the second copy.
    assert str(info.value).endswith(
        "duplicate id (fix: this id is also in row 1: keep one of the rows)"
    )
    assert info.value.report is not None
    assert info.value.report.problems[0].fix == "this id is also in row 1: keep one of the rows"


def test_duplicate_officer_ids_are_an_error() -> None:
    with pytest.raises(RosterError, match=r"row 2, column 'officer_id', value 'A1': duplicate id"):
        OfficerRoster.from_columns({"officer_id": ["A1", " A1 "]})


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_credit_code_is_an_error(empty: str) -> None:
    with pytest.raises(
        RosterError,
        match=r"row 2, column 'credit_code', value '': a required id "
        r"is empty",
    ):
        TargetRoster.from_columns(
            {"credit_code": [A, empty], "risk_class": ["A", "B"]}, legacy_codes=True
        )


def test_an_empty_officer_id_is_an_error() -> None:
    with pytest.raises(RosterError, match=r"row 1, column 'officer_id', value '': a required id"):
        OfficerRoster.from_columns({"officer_id": [""]})


def test_unknown_risk_label_is_an_error_naming_row_column_value() -> None:
    with pytest.raises(RosterError) as info:
        TargetRoster.from_columns({"credit_code": [A, B], "risk_class": ["A", "F"]})
    assert (info.value.row, info.value.column, info.value.value) == (2, "risk_class", "F")
    assert "unknown risk class; use A, B, C, D or E" in str(info.value)


def test_malformed_date_is_an_error_naming_row_column_value() -> None:
    with pytest.raises(
        RosterError,
        match=r"row 2, column 'last_inspected', value '2023-02-30': "
        r"not a date; use YYYY-MM-DD",
    ):
        TargetRoster.from_columns(
            {
                "credit_code": [A, B],
                "risk_class": ["A", "B"],
                "last_inspected": ["2023-02-28", "2023-02-30"],
            }
        )


def test_bad_flag_is_an_error() -> None:
    with pytest.raises(RosterError, match=r"row 1, column 'abnormal', value '也许': not a yes/no"):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"], "abnormal": ["也许"]})


@pytest.mark.parametrize("bad", ["-1", "1.5", "many"])
def test_bad_count_is_an_error(bad: str) -> None:
    with pytest.raises(RosterError, match=rf"column 'complaints', value '{bad}': must be a whole"):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"], "complaints": [bad]})


def test_negative_integer_count_is_an_error() -> None:
    with pytest.raises(RosterError, match=r"row 2, column 'complaints', value -3: must be a whole"):
        TargetRoster.from_columns(
            {"credit_code": [A, B], "risk_class": ["A", "B"], "complaints": np.array([1, -3])}
        )


@pytest.mark.parametrize("bad", ["甲\t公司", "甲\n公司", "甲\r公司", "甲\x00公司"])
def test_control_characters_in_text_are_an_error(bad: str) -> None:
    with pytest.raises(
        RosterError,
        match=r"row 1, column 'name', value .*: tab, newline, "
        r"carriage return and NUL are not allowed",
    ):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"], "name": [bad]})


@pytest.mark.parametrize("column", ["industry", "tags"])
def test_control_characters_in_labels_are_an_error(column: str) -> None:
    with pytest.raises(RosterError, match=rf"row 2, column '{column}', value '零售\\t业'"):
        TargetRoster.from_columns(
            {"credit_code": [A, B], "risk_class": ["A", "B"], column: ["零售业", "零售\t业"]}
        )


def test_a_tag_with_a_semicolon_is_an_error() -> None:
    with pytest.raises(RosterError, match=r"row 1, column 'tags', value 'a;b': a tag is a"):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"], "tags": [["a;b"]]})


def test_more_than_64_tags_is_an_error() -> None:
    tags = [f"t{i}" for i in range(65)]
    codes = [
        b + credit_code_check_character(b) for b in (f"9113063400000{i:04d}" for i in range(65))
    ]
    with pytest.raises(RosterError, match=r"column 'tags'.*more than 64 distinct tags"):
        TargetRoster.from_columns({"credit_code": codes, "risk_class": ["A"] * 65, "tags": tags})


# --- credit codes: by default and with legacy_codes=True --------------------------------------
def test_an_invalid_code_is_an_error_naming_row_value_and_the_switch() -> None:
    with pytest.raises(
        RosterError,
        match=rf"row 2, column 'credit_code', value '{LEGACY}': not a "
        r"valid 统一社会信用代码",
    ) as info:
        TargetRoster.from_columns({"credit_code": [A, LEGACY], "risk_class": ["A", "B"]})
    assert info.value.report is not None
    assert "legacy_codes=True" in info.value.report.problems[0].fix


@given(st.lists(invalid_credit_codes(), min_size=21, max_size=30, unique=True))
@pytest.mark.slow
def test_an_error_lists_every_bad_row(codes: list[str]) -> None:
    with pytest.raises(RosterError) as info:
        TargetRoster.from_columns({"credit_code": codes, "risk_class": ["A"] * len(codes)})
    assert [p[0] for p in info.value.problems] == list(range(1, len(codes) + 1))
    assert f"({len(codes)} rows in all)" in str(info.value)


@given(st.lists(valid_credit_codes() | invalid_credit_codes(), max_size=20, unique=True))
def test_legacy_codes_are_kept_and_each_reported(codes: list[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = TargetRoster.from_columns(
            {"credit_code": codes, "risk_class": ["B"] * len(codes)}, legacy_codes=True
        )
    bad = [(i + 1, c) for i, c in enumerate(codes) if not is_valid_credit_code(c)]
    assert r.invalid_credit_codes() == bad
    assert [(p.row, p.value) for p in r.report] == bad
    assert [type(w.message) for w in caught] == ([RosterWarning] if bad else [])


def test_legacy_codes_strips_spaces_around_codes() -> None:
    with pytest.warns(RosterWarning, match="1 problem .*legacy credit code"):
        r = TargetRoster.from_columns(
            {"credit_code": [f" {A} ", "legacy-1 "], "risk_class": ["A", "A"]}, legacy_codes=True
        )
    assert r.credit_code.tolist() == [A.encode(), b"legacy-1"]


def test_a_code_longer_than_18_characters_is_an_error() -> None:
    with pytest.raises(
        RosterError,
        match=rf"row 1, column 'credit_code', value '{A}0': a credit "
        r"code has at most 18 characters",
    ):
        TargetRoster.from_columns(
            {"credit_code": [A + "0"], "risk_class": ["A"]}, legacy_codes=True
        )


def test_a_non_ascii_code_is_an_error() -> None:
    with pytest.raises(
        RosterError,
        match=r"value '9135０100M000100Y4': a credit code has only "
        r"ASCII",
    ):
        TargetRoster.from_columns(
            {"credit_code": ["9135０100M000100Y4"], "risk_class": ["A"]}, legacy_codes=True
        )


def test_non_ascii_code_bytes_are_an_error() -> None:
    with pytest.raises(RosterError, match="a credit code has only ASCII"):
        TargetRoster.from_columns(
            {"credit_code": np.array(["甲乙".encode()], dtype="S18"), "risk_class": ["A"]},
            legacy_codes=True,
        )


def test_codes_given_as_s18_bytes_are_used_as_they_are() -> None:
    codes = np.array([A.encode(), B.encode()], dtype="S18")
    r = TargetRoster.from_columns({"credit_code": codes, "risk_class": ["A", "B"]})
    assert r.credit_code.tolist() == codes.tolist()
    assert r.credit_code is not codes


# --- never a partial roster, never the caller's data changed ---------------------------------
def failing_columns() -> dict[str, Any]:
    return {
        "credit_code": np.array([f" {A}", B, C], dtype=object),
        "risk_class": np.array(["A", "B", "F"]),
        "industry": np.array(["零售业 ", " 典当", "零售业"], dtype=np.dtypes.StringDType()),
        "complaints": np.array([3, 0, 1]),
        "abnormal": np.array([True, False, True]),
    }


def test_a_failing_build_leaves_the_callers_arrays_unchanged() -> None:
    columns = failing_columns()
    before = {k: v.copy() for k, v in columns.items()}
    with pytest.raises(RosterError, match="row 3, column 'risk_class'"):
        TargetRoster.from_columns(columns)
    assert all(np.array_equal(columns[k], before[k]) for k in columns)


def test_a_successful_build_leaves_the_callers_arrays_unchanged_and_unshared() -> None:
    columns = failing_columns()
    columns["risk_class"] = np.array(["A", "B", "C"])
    before = {k: v.copy() for k, v in columns.items()}
    r = TargetRoster.from_columns(columns)
    with pytest.raises(ValueError, match="read-only"):
        r.abnormal[0] = False  # a roster is a frozen frame
    assert all(np.array_equal(columns[k], before[k]) for k in columns)
    assert all(v.flags.writeable for v in columns.values())  # the caller's stay writable
    columns["abnormal"][0] = False  # and changing them later does not reach the roster
    assert bool(r.abnormal[r.row_of([A])[0]]) is True


def test_a_bad_last_row_of_a_file_fails_the_whole_load(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "t.csv", CSV_ZH + f"{C},丙,Z,零售业,130634,存续,,否,0,\n")
    with pytest.raises(RosterError, match=r"t.csv, row 4, column '信用风险等级', value 'Z'"):
        TargetRoster.from_csv(path)


# --- CSV ---------------------------------------------------------------------------------------
def test_from_csv_reads_chinese_headers(tmp_path: pathlib.Path) -> None:
    r = TargetRoster.from_csv(write(tmp_path / "名录.csv", CSV_ZH))
    assert r[1] == Target(
        B,
        "乙加油站",
        "D",
        industry="成品油零售",
        area="130634",
        status="在业",
        abnormal=True,
        complaints=2,
    )
    assert r[0].tags == frozenset({"连锁", "重点"})
    assert r[0].last_inspected == dt.date(2023, 5, 6)


def test_from_csv_with_and_without_bom_give_the_same_roster(tmp_path: pathlib.Path) -> None:
    plain = TargetRoster.from_csv(write(tmp_path / "a.csv", CSV_ZH))
    bom = TargetRoster.from_csv(write(tmp_path / "b.csv", CSV_ZH, bom=True))
    assert plain.digest() == bom.digest()


def test_from_csv_with_windows_line_ends(tmp_path: pathlib.Path) -> None:
    crlf = write(tmp_path / "crlf.csv", CSV_ZH.replace("\n", "\r\n"), bom=True)
    assert (
        TargetRoster.from_csv(crlf).digest()
        == TargetRoster.from_csv(write(tmp_path / "lf.csv", CSV_ZH)).digest()
    )


def test_from_csv_with_quoted_fields_equals_unquoted(tmp_path: pathlib.Path) -> None:
    quoted = (
        "\n".join(",".join(f'"{v}"' for v in line.split(",")) for line in CSV_ZH.splitlines())
        + "\n"
    )
    assert (
        TargetRoster.from_csv(write(tmp_path / "q.csv", quoted)).digest()
        == TargetRoster.from_csv(write(tmp_path / "p.csv", CSV_ZH)).digest()
    )


def test_from_csv_mapping_renames_other_headers(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m.csv", f"纳税人识别号,风险\n{A},C\n")
    r = TargetRoster.from_csv(path, mapping={"纳税人识别号": "credit_code", "风险": "risk_class"})
    assert r.risk_counts() == {"C": 1}


def test_from_csv_reads_another_encoding_when_told(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "gbk.csv", CSV_ZH, encoding="gb18030")
    assert (
        TargetRoster.from_csv(path, encoding="gb18030").digest()
        == TargetRoster.from_csv(write(tmp_path / "u.csv", CSV_ZH)).digest()
    )


def test_from_csv_rejects_text_that_is_not_utf8_naming_the_row(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        f"credit_code,risk_class,name\n{A},A,x\n".encode() + f"{B},B,乙公司\n".encode("gb18030")
    )
    with pytest.raises(RosterError, match=r"gbk.csv, row 3: is not UTF-8 text .* encoding="):
        TargetRoster.from_csv(path)


def test_from_csv_skips_blank_lines_and_counts_them_in_row_numbers(
    tmp_path: pathlib.Path,
) -> None:
    path = write(tmp_path / "blank.csv", f"credit_code,risk_class\n{A},A\n\n{B},F\n")
    with pytest.raises(RosterError, match=r"row 4, column 'risk_class', value 'F'"):
        TargetRoster.from_csv(path)


def test_from_csv_blank_lines_in_a_quoted_file_count_too(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "blank.csv", f'credit_code,risk_class\n"{A}",A\n\n"{B}",F\n')
    with pytest.raises(RosterError, match=r"row 4, column 'risk_class', value 'F'"):
        TargetRoster.from_csv(path)


@pytest.mark.parametrize("quote", ["", '"'])
def test_from_csv_a_row_with_the_wrong_number_of_fields_is_an_error(
    tmp_path: pathlib.Path, quote: str
) -> None:
    path = write(tmp_path / "w.csv", f"credit_code,risk_class\n{quote}{A}{quote},A\n{B},B,x\n")
    with pytest.raises(RosterError, match=r"w.csv, row 3: has 3 fields but the header has 2"):
        TargetRoster.from_csv(path)


def test_from_csv_a_missing_file_is_an_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RosterError, match=r"nope.csv: cannot open the file: No such file"):
        TargetRoster.from_csv(tmp_path / "nope.csv")


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_from_csv_an_empty_file_is_an_error(tmp_path: pathlib.Path, text: str) -> None:
    with pytest.raises(RosterError, match=r"empty.csv: the file is empty \(no header row\)"):
        TargetRoster.from_csv(write(tmp_path / "empty.csv", text))


def test_from_csv_a_header_only_file_is_an_empty_roster(tmp_path: pathlib.Path) -> None:
    assert len(TargetRoster.from_csv(write(tmp_path / "h.csv", "credit_code,risk_class\n"))) == 0


def test_from_csv_a_header_naming_a_column_twice_is_an_error(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "d.csv", f"credit_code,risk_class,name,name\n{A},A,x,y\n")
    with pytest.raises(RosterError, match=r"row 1, column 'name': the header names this column"):
        TargetRoster.from_csv(path)


def test_from_csv_a_nul_byte_is_an_error(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "n.csv", f"credit_code,risk_class,name\n{A},A,x\x00y\n")
    with pytest.raises(RosterError, match=r"n.csv, row 2: the file holds a NUL byte"):
        TargetRoster.from_csv(path)


def test_from_csv_missing_required_column_names_the_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RosterError, match=r"r.csv, column 'risk_class': required column missing"):
        TargetRoster.from_csv(write(tmp_path / "r.csv", f"信用代码\n{A}\n"))


def test_from_csv_unknown_column_in_strict_mode_names_it(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RosterError, match=r"u.csv, column '法人': unknown column"):
        TargetRoster.from_csv(write(tmp_path / "u.csv", f"信用代码,风险等级,法人\n{A},A,张三\n"))


def test_from_csv_reads_an_open_text_handle_and_leaves_it_open() -> None:
    handle = io.StringIO("\ufeff" + CSV_ZH)
    r = TargetRoster.from_csv(handle)
    assert (len(r), handle.closed) == (2, False)


def test_from_csv_other_delimiter(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "semi.csv", CSV_ZH.replace(",", "|"))
    assert (
        TargetRoster.from_csv(path, delimiter="|").digest()
        == TargetRoster.from_csv(write(tmp_path / "c.csv", CSV_ZH)).digest()
    )


def test_from_csv_rejects_a_quote_as_delimiter(tmp_path: pathlib.Path) -> None:
    with pytest.raises(RosterError, match="the delimiter must be one character"):
        TargetRoster.from_csv(write(tmp_path / "c.csv", CSV_ZH), delimiter='"')


@tmp_files
@given(target_columns(), st.booleans())
@pytest.mark.slow
def test_csv_round_trip_preserves_the_digest(
    tmp_path: pathlib.Path, columns: dict[str, Any], bom: bool
) -> None:
    r = TargetRoster.from_columns(columns)
    path = tmp_path / "round.csv"
    r.to_csv(path)
    if bom:
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert TargetRoster.from_csv(path).digest() == r.digest()


def test_csv_round_trip_of_legacy_codes_and_extra_columns(tmp_path: pathlib.Path) -> None:
    with pytest.warns(RosterWarning):
        r = TargetRoster.from_columns(
            {
                "credit_code": [A, "12345678-9", 'x,"y"'],
                "risk_class": ["A", "B", "C"],
                "score": [0.25, np.nan, 3.0],
                "note": ["a,b", "", '"q"'],
            },
            legacy_codes=True,
            unknown_columns="keep",
        )
    r.to_csv(tmp_path / "r.csv")
    with pytest.warns(RosterWarning):
        loaded = TargetRoster.from_csv(
            tmp_path / "r.csv", legacy_codes=True, unknown_columns="keep"
        )
    assert loaded.digest() == r.digest()


def test_to_csv_leaves_nothing_behind_when_it_fails(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        small().to_csv(tmp_path / "no-such-dir" / "r.csv")
    assert list(tmp_path.iterdir()) == []


def test_officers_from_csv_with_chinese_headers(tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path / "o.csv",
        "执法证号,姓名,所属单位,专长,在岗,任务上限\n"
        "A001,王某,执法一中队,成品油;典当,是,3\nA002,李某,执法二中队,,否,\n",
    )
    o = OfficerRoster.from_csv(path)
    assert [o[0], o[1]] == [
        Officer("A001", "王某", unit="执法一中队", skills="成品油;典当", load_cap=3),
        Officer("A002", "李某", unit="执法二中队", active=False),
    ]


# --- DataFrames ----------------------------------------------------------------------------------
@given(target_columns())
@pytest.mark.slow
def test_from_dataframe_equals_from_columns(columns: dict[str, Any]) -> None:
    frame = pd.DataFrame(columns)
    assert (
        TargetRoster.from_dataframe(frame).digest() == TargetRoster.from_columns(columns).digest()
    )


@given(target_columns(min_rows=1))
@pytest.mark.slow
def test_from_dataframe_with_categorical_columns_equals_plain(columns: dict[str, Any]) -> None:
    frame = pd.DataFrame(columns)
    cats = frame.astype(
        {"industry": "category", "risk_class": "category", "status": "category", "area": "category"}
    )
    assert TargetRoster.from_dataframe(cats).digest() == TargetRoster.from_dataframe(frame).digest()


def test_from_dataframe_categorical_keeps_codes_without_copying_labels() -> None:
    frame = pd.DataFrame(
        {
            "credit_code": [A, B, C],
            "risk_class": ["A", "B", "C"],
            "industry": pd.Categorical(
                ["典当", "零售业", "典当"], categories=["零售业", "典当", "拍卖"]
            ),
        }
    )
    r = TargetRoster.from_dataframe(frame)
    assert r.industry.labels().tolist() == ["典当", "零售业", "典当"]


def test_from_dataframe_categorical_labels_are_stripped_and_merged() -> None:
    frame = pd.DataFrame(
        {
            "credit_code": [A, B, C],
            "risk_class": ["A", "B", "C"],
            "industry": pd.Categorical([" 典当", "典当 ", None]),
        }
    )
    r = TargetRoster.from_dataframe(frame)
    assert (r.industry.labels().tolist(), len(r.industry.categories)) == (["典当", "典当", ""], 2)


def test_from_dataframe_missing_text_reads_as_empty_not_nan() -> None:
    frame = pd.DataFrame(
        {
            "credit_code": [A, B],
            "risk_class": ["A", "B"],
            "name": ["甲", None],
            "industry": [None, "零售业"],
        }
    )
    r = TargetRoster.from_dataframe(frame)
    assert (r.name.tolist(), r.industry.labels().tolist()) == (["甲", ""], ["", "零售业"])


def test_from_dataframe_mapping_and_datetimes() -> None:
    frame = pd.DataFrame(
        {"代码": [A], "等级": ["信用风险较高"], "查": pd.to_datetime(["2024-03-01 10:00"])}
    )
    r = TargetRoster.from_dataframe(
        frame, mapping={"代码": "credit_code", "等级": "risk_class", "查": "last_inspected"}
    )
    assert (r[0].risk_class, r[0].last_inspected) == (RiskClass.C, dt.date(2024, 3, 1))


def test_from_dataframe_errors_name_the_dataframe_and_row() -> None:
    frame = pd.DataFrame({"credit_code": [A, B], "risk_class": ["A", "X"]})
    with pytest.raises(RosterError, match=r"DataFrame, row 2, column 'risk_class', value 'X'"):
        TargetRoster.from_dataframe(frame)


def test_from_dataframe_bad_categorical_label_is_an_error() -> None:
    frame = pd.DataFrame(
        {"credit_code": [A, B], "risk_class": ["A", "B"], "industry": pd.Categorical(["a", "b\tc"])}
    )
    with pytest.raises(RosterError, match=r"row 2, column 'industry', value 'b\\tc'"):
        TargetRoster.from_dataframe(frame)


def test_to_columns_feeds_a_dataframe_back() -> None:
    r = TargetRoster.from_csv(io.StringIO(CSV_ZH))
    assert TargetRoster.from_dataframe(pd.DataFrame(r.to_columns())).digest() == r.digest()


# --- digest ---------------------------------------------------------------------------------------
def by_hand(rows: list[list[str]], header: list[str]) -> str:
    return digest_by_hand(rows, header)


HEADER = [c.name for c in TargetRoster.COLUMNS]  # every column of the directory, in order


def test_digest_follows_the_documented_recipe() -> None:
    r = TargetRoster.from_csv(io.StringIO(CSV_ZH))
    rows = [
        [A, "甲商贸有限公司", "A", "零售业", "130634", "存续", "连锁;重点", "0", "0", "2023-05-06"],
        [B, "乙加油站", "D", "成品油零售", "130634", "在业", "", "1", "2", ""],
    ]
    assert r.digest() == by_hand(rows, HEADER)


def test_digest_of_extra_numbers_follows_the_recipe() -> None:
    r = TargetRoster.from_columns(
        {
            "credit_code": [A, B, C],
            "risk_class": ["A"] * 3,
            "x": [1.0, 0.1, np.nan],
            "y": [1e20, np.inf, -2.5],
        },
        extra=["x", "y"],
    )
    d = ["", "存续", "", "0", "0", ""]
    rows = [
        [A, "", "A", "", *d[:1], *d[1:], "1", "100000000000000000000"],
        [B, "", "A", "", *d[:1], *d[1:], "0.1", "inf"],
        [C, "", "A", "", *d[:1], *d[1:], "", "-2.5"],
    ]
    assert r.digest() == by_hand(rows, [*HEADER, "x", "y"])


def test_digest_of_an_empty_roster_is_the_header_alone() -> None:
    r = TargetRoster.from_columns({"credit_code": [], "risk_class": []})
    assert r.digest() == by_hand([], HEADER)


@given(target_rosters(min_rows=1), st.randoms(use_true_random=False))
@pytest.mark.slow
def test_digest_does_not_depend_on_row_order(roster: TargetRoster, rnd: Any) -> None:
    order = list(range(len(roster)))
    rnd.shuffle(order)
    assert roster.take(order).digest() == roster.digest()


def changed(columns: dict[str, Any], column: str, row: int, draw: st.DrawFn) -> Any:
    old = columns[column][row]
    choices = {
        "credit_code": valid_credit_codes().filter(lambda c: c not in columns["credit_code"]),
        "name": st.text("甲乙丙", max_size=3),
        "risk_class": st.sampled_from("ABCDE"),
        "industry": st.sampled_from(INDUSTRIES),
        "area": st.sampled_from(["130634", "130602", "1306"]),
        "status": st.sampled_from(STATUSES),
        "tags": st.lists(st.sampled_from(TAG_NAMES), unique=True).map(";".join),
        "abnormal": st.booleans(),
        "complaints": st.integers(0, 30),
        "last_inspected": st.none() | st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31)),
    }[column]
    return draw(
        choices.filter(
            lambda v: set(v.split(";")) != set(old.split(";")) if column == "tags" else v != old
        )
    )


@given(st.data())
@pytest.mark.slow
def test_digest_changes_when_any_single_cell_changes(data: st.DataObject) -> None:
    columns = data.draw(target_columns(min_rows=1))
    column = data.draw(st.sampled_from(sorted(columns)))
    row = data.draw(st.integers(0, len(columns["credit_code"]) - 1))
    edited = {k: list(v) for k, v in columns.items()}
    edited[column][row] = changed(columns, column, row, data.draw)
    assert TargetRoster.from_columns(edited).digest() != TargetRoster.from_columns(columns).digest()


def test_digest_changes_when_a_row_is_removed() -> None:
    r = small()
    assert r.take([0]).digest() != r.digest()


def test_officer_digest_uses_its_own_recipe_name() -> None:
    o = OfficerRoster.from_officers([Officer("A001", "王某")])
    header = [c.name for c in OfficerRoster.COLUMNS]
    row = ["A001", "王某", "", "", "", "", "0", "1", "-1"]
    assert o.digest() == digest_by_hand([row], header, "randcheck-officers/2")


# --- filtering (定向) -------------------------------------------------------------------------
conditions = st.fixed_dictionaries(
    {},
    optional={
        "industry": st.lists(st.sampled_from(INDUSTRIES), max_size=3),
        "area": st.lists(st.sampled_from(["130634", "130602", ""]), max_size=2),
        "area_prefix": st.sampled_from(["1306", "13063", "2"]),
        "tags": st.lists(st.sampled_from(TAG_NAMES), max_size=2),
        "status": st.lists(st.sampled_from(STATUSES), max_size=3),
        "risk_class": st.lists(
            st.sampled_from(["A", "B", "C", "D", "E", "信用风险高"]), max_size=3
        ),
        "active": st.booleans(),
    },
)


def expected_keep(t: Target, cond: dict[str, Any]) -> bool:
    checks = {
        "industry": lambda v: t.industry in v,
        "area": lambda v: t.area in v,
        "area_prefix": lambda v: t.area.startswith(v),
        "tags": lambda v: bool(t.tags & set(v)),
        "status": lambda v: t.status in v,
        "risk_class": lambda v: t.risk_class in {RiskClass.parse(x) for x in v},
        "active": lambda v: t.active == v,
    }
    return all(checks[k](v) for k, v in cond.items())


@given(target_rosters(), conditions)
@pytest.mark.slow
def test_mask_keeps_exactly_the_rows_meeting_every_condition(
    roster: TargetRoster, cond: dict[str, Any]
) -> None:
    expected = [expected_keep(roster[i], cond) for i in range(len(roster))]
    assert roster.mask(**cond).tolist() == expected


@given(target_rosters(), conditions)
@pytest.mark.slow
def test_filter_is_take_of_mask(roster: TargetRoster, cond: dict[str, Any]) -> None:
    kept = roster.filter(**cond)
    rows = np.flatnonzero(roster.mask(**cond))
    assert [kept[i] for i in range(len(kept))] == [roster[int(i)] for i in rows]


def test_filter_shares_label_tables_and_copies_only_the_kept_rows() -> None:
    r = TargetRoster.from_csv(io.StringIO(CSV_ZH))
    kept = r.filter(industry=["零售业"])
    assert (len(kept), kept.industry.categories is r.industry.categories) == (1, True)


def test_mask_without_conditions_keeps_every_row() -> None:
    assert small().mask().tolist() == [True, True]


def test_mask_with_an_unknown_risk_label_raises() -> None:
    with pytest.raises(ValueError, match="unknown risk class 'X'"):
        small().mask(risk_class=["X"])


def test_take_rejects_a_repeated_row() -> None:
    with pytest.raises(ValueError, match="row 0 is taken more than once"):
        small().take([0, 0])


def test_take_rejects_a_mask_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"a row mask needs 2 values, got \(3,\)"):
        small().take(np.array([True, False, True]))


def test_take_rejects_an_index_out_of_range() -> None:
    with pytest.raises(IndexError, match="out of range for 2 rows"):
        small().take([2])


# --- access --------------------------------------------------------------------------------------
def test_row_of_finds_rows_and_marks_unknown_codes() -> None:
    r = small()
    assert r.row_of([B, A, C, A + "0", "中"]).tolist() == [1, 0, -1, -1, -1]


def test_officer_row_of() -> None:
    o = OfficerRoster.from_officers([Officer("A1"), Officer("A2")])
    assert o.row_of(["A2", "A3"]).tolist() == [1, -1]


def test_getitem_counts_from_the_end_and_rejects_out_of_range() -> None:
    r = small()
    assert r[-1].credit_code == B
    with pytest.raises(IndexError, match="row 2 is out of range for 2 rows"):
        r[2]


def test_risk_counts_leaves_out_empty_classes() -> None:
    assert small().risk_counts() == {"A": 1, "D": 1}


def test_column_names_what_exists_when_missing() -> None:
    with pytest.raises(KeyError, match="TargetRoster has no column 'x'; it has credit_code"):
        small().column("x")


def test_repr_names_size_and_source(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "a.csv", CSV_ZH)
    assert repr(TargetRoster.from_csv(path)) == f"TargetRoster(2 rows, source={str(path)!r})"


def test_categorical_from_values_in_order_of_first_appearance() -> None:
    c = Categorical.from_values(["b", "a", "b"])
    assert (c.categories, c.codes.tolist(), c.mask(["a"]).tolist()) == (
        ("b", "a"),
        [0, 1, 0],
        [False, True, False],
    )


def test_tagset_from_values_orders_names_and_reads_rows() -> None:
    t = TagSet.from_values(["重点;连锁", ["连锁"], ""])
    assert (t.names, t.row(0), t.row(2), t.mask_any(["连锁"]).tolist()) == (
        ("连锁", "重点"),
        ("连锁", "重点"),
        (),
        [True, True, False],
    )


def test_officers_from_objects_read_back() -> None:
    officers = [
        Officer(
            "A001",
            "王某",
            unit="一中队",
            department="商务局",
            area="130634",
            skills="典当",
            expert=True,
            load_cap=4,
        ),
        Officer("A002", active=False),
    ]
    o = OfficerRoster.from_officers(officers)
    assert [o[0], o[1]] == officers


def test_from_columns_takes_a_ready_categorical_without_refactorizing() -> None:
    codes = ["91350100M000100Y43", "91130634MA00000001"]
    cat = Categorical(np.array([1, 0], dtype=np.int32), ("零售业", "餐饮业"))
    roster = TargetRoster.from_columns(
        {"credit_code": codes, "risk_class": ["A", "B"], "industry": cat}
    )
    assert roster.industry.labels().tolist() == ["餐饮业", "零售业"]
    plain = TargetRoster.from_columns(
        {"credit_code": codes, "risk_class": ["A", "B"], "industry": ["餐饮业", "零售业"]}
    )
    assert roster.digest() == plain.digest()


def test_from_columns_rejects_a_categorical_code_out_of_range() -> None:
    cat = Categorical(np.array([0, 5], dtype=np.int32), ("零售业",))
    with pytest.raises(RosterError, match=r"row 2, column 'industry', value 5: a category code"):
        TargetRoster.from_columns(
            {
                "credit_code": ["91350100M000100Y43", "91130634MA00000001"],
                "risk_class": ["A", "B"],
                "industry": cat,
            }
        )


def test_from_columns_rejects_a_categorical_for_a_non_label_column() -> None:
    cat = Categorical(np.array([0], dtype=np.int32), ("3",))
    with pytest.raises(RosterError, match="only accepted for label columns"):
        TargetRoster.from_columns(
            {"credit_code": ["91350100M000100Y43"], "risk_class": ["A"], "complaints": cat}
        )


def test_from_columns_reads_a_categorical_risk_class_by_its_labels() -> None:
    codes = ["91350100M000100Y43", "91130634MA00000001"]
    cat = Categorical(np.array([2, 0], dtype=np.int32), ("A", "较高", " d "))
    roster = TargetRoster.from_columns({"credit_code": codes, "risk_class": cat})
    plain = TargetRoster.from_columns({"credit_code": codes, "risk_class": ["D", "A"]})
    assert roster.risk_counts() == {"A": 1, "D": 1}
    assert roster.digest() == plain.digest()


def test_from_columns_names_the_rows_of_a_bad_categorical_risk_label() -> None:
    cat = Categorical(np.array([0, 1, 1], dtype=np.int32), ("B", "Z类"))
    with pytest.raises(RosterError, match=r"row 2, column 'risk_class', value 'Z类': unknown risk"):
        TargetRoster.from_columns(
            {
                "credit_code": ["91350100M000100Y43", "91130634MA00000001", "91110000MA0000000X"],
                "risk_class": cat,
            },
            legacy_codes=True,
        )


@pytest.mark.parametrize("bad", ["z\nrow", "a\tb", ""])
def test_an_extra_column_name_with_a_separator_is_refused(bad: str) -> None:
    # Such a name could make two different rosters share one fingerprint.
    with pytest.raises(RosterError, match="a column name must be non-empty"):
        TargetRoster.from_columns(
            {"credit_code": ["91350100M000100Y43"], "risk_class": ["A"], bad: ["1"]},
            unknown_columns="keep",
        )


def test_a_ready_categorical_is_copied_not_shared() -> None:
    codes = np.array([0, 1], dtype=np.int32)
    r = TargetRoster.from_columns(
        {
            "credit_code": ["91350100M000100Y43", "91130634MA00000001"],
            "risk_class": ["A", "B"],
            "industry": Categorical(codes, ("零售业", "餐饮业")),
        }
    )
    digest = r.digest()
    codes[0] = 1  # the caller's array, changed after the build
    assert r.industry.labels().tolist() == ["零售业", "餐饮业"]
    assert TargetRoster.from_columns(r.to_columns()).digest() == digest


_MAPPING_HEADERS = ("纳税人识别号", "信用风险等级", "经营状况")
_MAPPING_ROW = ("91350100M000100Y43", "A", "注销")


def _mapping_input(route: str, tmp_path: pathlib.Path) -> Any:
    """The same three-column table by each loader that takes ``mapping=``."""
    frame = pd.DataFrame([_MAPPING_ROW], columns=list(_MAPPING_HEADERS))
    if route == "csv":
        path = tmp_path / "t.csv"
        frame.to_csv(path, index=False)
        return lambda **kw: TargetRoster.from_csv(path, **kw)
    if route == "dataframe":
        return lambda **kw: TargetRoster.from_dataframe(frame, **kw)
    pa = pytest.importorskip("pyarrow")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    if route == "arrow":
        return lambda **kw: TargetRoster.from_arrow(table, **kw)
    import pyarrow.parquet as pq

    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    return lambda **kw: TargetRoster.from_parquet(path, **kw)


@pytest.mark.parametrize("route", ["csv", "dataframe", "arrow", "parquet"])
def test_a_mapping_typo_is_refused_by_every_loader_with_the_header_it_meant(
    route: str, tmp_path: pathlib.Path
) -> None:
    """A misspelt mapping key must not pass silently: with unknown_columns="ignore" the status
    column would be dropped and a 注销 (deregistered) target read as 存续 and drawn."""
    load = _mapping_input(route, tmp_path)
    typo = {"纳税人识别号": "credit_code", "经营状态": "status"}  # the file says 经营状况
    with pytest.raises(RosterError, match=r"'经营状态' .*did you mean '经营状况'") as err:
        load(mapping=typo, unknown_columns="ignore")
    assert err.value.row == 1
    right = {"纳税人识别号": "credit_code", "经营状况": "status"}
    assert load(mapping=right).status.labels().tolist() == ["注销"]


@pytest.mark.parametrize("route", ["csv", "dataframe", "arrow", "parquet"])
def test_a_mapping_that_gives_two_headers_one_name_is_refused(
    route: str, tmp_path: pathlib.Path
) -> None:
    load = _mapping_input(route, tmp_path)
    both = {"纳税人识别号": "credit_code", "信用风险等级": "credit_code"}
    with pytest.raises(
        RosterError, match=r"'纳税人识别号', '信用风险等级' would both become column 'credit_code'"
    ) as err:
        load(mapping=both, unknown_columns="ignore")
    assert err.value.column == "credit_code"


def test_a_mapping_for_a_header_the_file_lacks_is_an_error(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("credit_code,risk_class\n91350100M000100Y43,A\n", encoding="utf-8")
    with pytest.raises(RosterError, match=r"mapping names header\(s\) '纳税人识别号'"):
        TargetRoster.from_csv(path, mapping={"纳税人识别号": "credit_code"})


def test_an_officer_directory_written_by_to_csv_reads_back_with_its_fingerprint(
    tmp_path: pathlib.Path,
) -> None:
    # to_csv (and the fingerprint) write "no load cap" as -1: a published directory must load.
    officers = OfficerRoster.from_columns({"officer_id": ["A1", "A2"], "load_cap": [3, None]})
    officers.to_csv(tmp_path / "officers.csv")
    again = OfficerRoster.from_csv(tmp_path / "officers.csv")
    assert again.load_cap.tolist() == [3, -1]
    assert again.digest() == officers.digest()
    with pytest.raises(RosterError, match="value '-2': must be a whole number"):
        OfficerRoster.from_columns({"officer_id": ["A1"], "load_cap": ["-2"]})
