"""Item lists and conflict lists from files."""

from __future__ import annotations

import io
import pathlib

import pytest

import randcheck
from randcheck.loaders import load_conflicts, load_events, load_items


def test_the_bundled_item_list_loads_as_the_example_county_items() -> None:
    path = pathlib.Path(randcheck.__file__).parent / "data" / "example_county" / "items.toml"
    assert load_items(path) == randcheck.example_county().items


def test_a_csv_item_list_with_chinese_headers_and_percentages() -> None:
    text = (
        "事项编码,事项名称,部门,事项类别,适用行业,所需专长,抽查比例\n"
        "SW-04,典当行检查,商务局,重点,典当,典当;财务审计,100%\n"
    )
    (item,) = load_items(io.BytesIO(text.encode("utf-8")))
    assert item.rate == 1.0
    assert item.kind is randcheck.models.ItemKind.KEY
    assert item.skills == frozenset({"典当", "财务审计"})


def test_duplicate_item_codes_are_refused_with_the_row() -> None:
    text = "code,name,department\nA,x,商务局\nA,y,商务局\n"
    with pytest.raises(randcheck.RosterError, match=r"row 3, column 'code', value 'A': duplicate"):
        load_items(io.BytesIO(text.encode()))


def test_a_bad_rate_names_the_row_and_value() -> None:
    text = "code,name,department,rate\nA,x,商务局,lots\n"
    with pytest.raises(randcheck.RosterError, match=r"row 2, column 'rate', value 'lots'"):
        load_items(io.BytesIO(text.encode()))


def test_a_toml_file_without_item_tables_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "items.toml"
    path.write_text('title = "no items"\n', encoding="utf-8")
    with pytest.raises(randcheck.RosterError, match=r"needs a list of \[\[item\]\] tables"):
        load_items(path)


def test_conflicts_load_with_chinese_headers() -> None:
    text = "执法证号,统一社会信用代码,回避事由\nA001,91350100M000100Y43,亲属关系\n"
    assert load_conflicts(io.BytesIO(text.encode())) == (
        randcheck.models.Conflict("A001", "91350100M000100Y43", "亲属关系"),
    )


def test_conflicts_need_the_officer_and_the_target_columns() -> None:
    with pytest.raises(randcheck.RosterError, match="required column missing: credit_code"):
        load_conflicts(io.BytesIO(b"officer_id,reason\nA,x\n"))


def test_a_mistyped_credit_code_in_a_conflict_list_is_refused_with_its_row() -> None:
    """Attack (reviewer's finding): a typo in a conflict list named no target, so the recusal
    was silently never applied. Every malformed code is listed, with the row and what is wrong."""
    text = (
        "执法证号,统一社会信用代码,回避事由\n"
        "A001,91130634042520210B,亲属关系\n"  # valid
        "A002,91130634042520210C,亲属关系\n"  # wrong check character
        "A003,9113063404252021,曾任职\n"  # 16 characters
        "A004,hello world,x\n"
        "A005,9.11306E+17,x\n"  # Excel's scientific notation
    )
    with pytest.raises(randcheck.RosterError) as info:
        load_conflicts(io.BytesIO(text.encode()))
    exc = info.value
    assert "row 3" in str(exc)
    assert "91130634042520210C" in str(exc)
    assert "the check character is 'C' where 'B' is expected" in str(exc)
    assert exc.report is not None
    rows = [(p.row, p.column, p.value) for p in exc.report.problems]
    assert rows == [
        (3, "credit_code", "91130634042520210C"),
        (4, "credit_code", "9113063404252021"),
        (5, "credit_code", "hello world"),
        (6, "credit_code", "9.11306E+17"),
    ]
    assert all("never applied" in p.fix for p in exc.report.problems)


def test_conflict_rows_are_the_files_rows_blank_lines_included() -> None:
    """The rows named are the rows a user sees in the file (or Excel): blank lines count."""
    text = "officer_id,credit_code,reason\n\nA1,91130634042520210B,x\n\n\nA2,bad\nA3\n"
    with pytest.raises(randcheck.RosterError) as info:
        load_conflicts(io.BytesIO(text.encode()))
    assert info.value.report is not None
    found = [(p.row, p.column, p.problem) for p in info.value.report.problems]
    assert found == [
        (6, "credit_code", "not a valid 统一社会信用代码 (GB 32100-2015)"),
        (7, "credit_code", "fewer cells than the header has"),
    ]


def test_legacy_codes_keep_a_conflict_code_that_fails_the_check_only() -> None:
    text = "officer_id,credit_code\nA002,91130634042520210C\nA003,9113063404252021\n"
    kept = load_conflicts(io.BytesIO(text.encode()), legacy_codes=True)
    assert [c.credit_code for c in kept] == ["91130634042520210C", "9113063404252021"]
    for bad in ("9.11306E+17", "hello world", "９１１３０６３４０４２５２０２１０Ｂ", "9" * 19):
        with pytest.raises(randcheck.RosterError, match="not a valid 统一社会信用代码"):
            load_conflicts(
                io.BytesIO(f"officer_id,credit_code\nA1,{bad}\n".encode()), legacy_codes=True
            )


def test_the_command_line_checks_conflict_codes(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from randcheck.cli import main

    path = tmp_path / "c.csv"
    path.write_text("officer_id,credit_code\nA1,91130634042520210C\n", encoding="utf-8")
    assert main(["check", str(path), "--kind", "conflicts"]) == 2
    assert "row 2" in capsys.readouterr().err
    assert main(["check", str(path), "--kind", "conflicts", "--legacy-codes"]) == 0


def test_a_missing_file_is_a_roster_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(randcheck.RosterError, match="cannot open the file"):
        load_items(tmp_path / "none.csv")


@pytest.mark.parametrize(
    "header",
    ["执法证号,统一社会信用代码,credit_code,回避事由", "执法证号,人员编号,统一社会信用代码"],
)
def test_two_headers_for_one_conflict_column_are_refused(header: str) -> None:
    """Attack (second review): with both 统一社会信用代码 and credit_code, the last column won and
    the other code's recusal was silently dropped."""
    row = "13063420230025,91130634MAFF3EKHX8,921306340055140475,曾任职"
    text = f"{header}\n{','.join(row.split(',')[: header.count(',') + 1])}\n"
    with pytest.raises(randcheck.RosterError, match="both name column"):
        load_conflicts(io.BytesIO(text.encode()))


def test_an_events_file_without_a_date_column_is_refused() -> None:
    # An officers list given as events used to check as "no problems".
    text = "执法证号,姓名\nO1,张某\n".encode()
    with pytest.raises(randcheck.RosterError, match="has no date column: events need draw"):
        load_events(io.BytesIO(text))
