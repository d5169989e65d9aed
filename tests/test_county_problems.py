"""Issue 14: every reader lists every problem of a file in one pass, and `check --kind` writes them.

Each file below holds several problems of different kinds; one load must name the first (file,
row as the spreadsheet shows it, column, value), count every one and list them all in the error's
``report``, with the row numbers Excel shows (blank rows counted).
"""

from __future__ import annotations

import csv
import pathlib

import pytest

from _helpers import A, B, write
from randcheck import RosterError, load_conflicts, load_events, load_items
from randcheck.cli import main
from randcheck.errors import ResultError
from randcheck.problems import MAX_PROBLEMS
from randcheck.results import ResultTable

#: Row 2 fine; row 3 an unknown category; row 4 blank; row 5 a bad code and a bad date; row 6
#: too many cells; row 7 published before the inspection ended; row 8 repeats row 2's id.
DIRTY_RESULTS = (
    "结果编号,统一社会信用代码,抽查事项,检查结果,检查结束日期,公示日期\n"
    f"R1,{A},SW-02,未发现问题,2025年9月28日,2025/9/30\n"
    f"R2,{B},SW-02,合格,2025-09-28,\n"
    "\n"
    "R3,9.14105E+17,SW-02,未发现问题,下周,\n"
    f"R4,{A},SW-02,未发现问题,2025-09-28,,多余\n"
    f"R5,{B},SW-03,未发现问题,2025-09-28,2025-09-01\n"
    f"R1,{B},SW-04,未发现问题,2025-09-28,\n"
)


def _rows(report: object) -> list[tuple[int | None, str | None]]:
    return [(p.row, p.column) for p in report]  # type: ignore[attr-defined]


# --- results ------------------------------------------------------------------------------------
def test_one_results_load_reports_every_problem_of_every_kind(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "r.csv", DIRTY_RESULTS, "gb18030")
    with pytest.raises(ResultError) as info:
        ResultTable.from_csv(path, encoding="gb18030")
    report = info.value.report
    assert report is not None
    assert _rows(report) == [
        (3, "检查结果"),
        (5, "统一社会信用代码"),
        (5, "检查结束日期"),
        (6, None),
        (7, "公示日期"),
        (8, "结果编号"),
    ]
    assert len(report) == 6
    assert report.counts["the id is used twice"] == 1
    assert report.counts["the row has a different number of cells than the header"] == 1
    message = str(info.value)
    assert message.startswith("r.csv, row 3, column '检查结果', value '合格': unknown result")
    assert "6 problems (" in message
    # The problem carries its fix: where the repeated id was first used, when the inspection ended.
    fixes = {p.row: p.fix for p in report}
    assert fixes[8].startswith("also in row 2;")
    assert fixes[7].startswith("the inspection ended on 2025-09-28")


def test_a_results_workbook_reports_every_problem_with_excels_row_numbers(
    tmp_path: pathlib.Path,
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    for line in DIRTY_RESULTS.splitlines():
        sheet.append(line.split(",") if line else [])
    book.save(tmp_path / "r.xlsx")
    with pytest.raises(ResultError) as info:
        ResultTable.from_excel(tmp_path / "r.xlsx")
    assert info.value.report is not None
    # Row 6's 多余 sits right of the last header: reported as in a CSV file, never dropped.
    assert [p.row for p in info.value.report] == [3, 5, 5, 6, 7, 8]


def test_a_clean_results_file_loads_with_its_row_numbers(tmp_path: pathlib.Path) -> None:
    text = DIRTY_RESULTS.splitlines()
    path = write(tmp_path / "r.csv", "\n".join([text[0], text[1], "", text[2]]) + "\n")
    with pytest.raises(ResultError, match=r"row 4, column '检查结果'"):
        ResultTable.from_csv(path)  # the blank row 3 is counted, as Excel counts it


def test_a_missing_column_stops_at_once_with_a_report() -> None:
    with pytest.raises(ResultError, match="missing required column") as info:
        ResultTable.from_columns({"credit_code": [A], "item": ["SW-02"], "颜色": ["红"]})
    report = info.value.report
    assert report is not None
    assert [p.problem.split(";")[0] for p in report] == [
        "unknown column(s) 颜色",
        "missing required column(s) categories, inspection_end",
    ]


def test_the_report_lists_a_thousand_problems_but_counts_all() -> None:
    n = MAX_PROBLEMS + 500
    with pytest.raises(ResultError) as info:
        ResultTable.from_columns(
            {
                "result_id": [f"R{k}" for k in range(n)],
                "credit_code": [A] * n,
                "item": ["SW-02"] * n,
                "categories": ["合格"] * n,
                "inspection_end": ["2025-09-28"] * n,
            }
        )
    report = info.value.report
    assert report is not None
    assert (len(report.problems), len(report)) == (MAX_PROBLEMS, n)
    assert f"({n} rows in all)" in str(info.value)


def test_the_callers_columns_are_unchanged_by_a_failed_load() -> None:
    columns = {
        "credit_code": [A, "bad code"],
        "item": ["SW-02", ""],
        "categories": ["未发现问题", "合格"],
        "inspection_end": ["2025-09-28", "下周"],
    }
    before = {k: list(v) for k, v in columns.items()}
    with pytest.raises(ResultError):
        ResultTable.from_columns(columns)
    assert columns == before


# --- items, conflicts, events ------------------------------------------------------------------
def test_one_item_load_reports_every_problem(tmp_path: pathlib.Path) -> None:
    text = (
        "事项编码,事项名称,部门,抽查比例,颜色\n"
        "SW-01,成品油检查,商务局,20%,红\n"
        "SW-02,价格检查,商务局,二成,红\n"
        "SW-01,重复,商务局,0.1,红\n"
    )
    path = write(tmp_path / "items.csv", text, "gb18030")
    with pytest.raises(RosterError) as info:
        load_items(path, encoding="gb18030")
    report = info.value.report
    assert report is not None
    assert _rows(report) == [(None, "颜色"), (3, "抽查比例"), (4, "code")]
    assert [p.value for p in report] == [None, "二成", "SW-01"]
    assert report.problems[2].fix.startswith("the code is used in row 2 too")
    assert str(info.value).startswith(f"{path}, column '颜色': unknown column")


def test_one_conflict_load_reports_every_bad_row(tmp_path: pathlib.Path) -> None:
    text = f"执法证号,统一社会信用代码,回避事由\n,{A},亲属关系\nA2,{B},同学\nA3,,同事\n"
    with pytest.raises(RosterError) as info:
        load_conflicts(write(tmp_path / "c.csv", text))
    assert info.value.report is not None
    assert [p.row for p in info.value.report] == [2, 4]
    assert "2 problems" in str(info.value)


def test_one_event_load_reports_bad_dates_and_short_rows(tmp_path: pathlib.Path) -> None:
    text = "编号,抽取日期\n甲,2025/4/30\n乙,四月\n丙\n丁,五月\n"
    with pytest.raises(RosterError) as info:
        load_events(write(tmp_path / "e.csv", text))
    report = info.value.report
    assert report is not None
    assert _rows(report) == [(3, "抽取日期"), (4, None), (5, "抽取日期")]
    assert list(report.counts.values()) == [2, 1]
    assert list(report.counts)[1] == "the row has a different number of cells than the header"


# --- the command line ----------------------------------------------------------------------------
def test_check_writes_every_problem_of_a_results_file(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "r.csv", DIRTY_RESULTS, "gb18030")
    out = tmp_path / "problems.csv"
    args = ["check", "--kind", "results", str(path), "--encoding", "gb18030"]
    assert main([*args, "--report", str(out), "--headers", "zh"]) == 2
    err = capsys.readouterr().err
    assert "6 problems (" in err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel shows the Chinese text
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["行号", "列", "值", "问题", "修改建议"]
    assert [r[0] for r in rows[1:]] == ["3", "5", "5", "6", "7", "8"]


@pytest.mark.parametrize(
    ("kind", "text", "rows"),
    [
        ("items", "事项编码,事项名称,部门\nSW-01,检查,商务局\n", 1),
        ("conflicts", f"执法证号,统一社会信用代码\nA1,{A}\nA2,{B}\n", 2),
        ("events", "编号,抽取日期\n甲,2025/4/30\n", 1),
        ("results", DIRTY_RESULTS.splitlines()[0] + "\n" + DIRTY_RESULTS.splitlines()[1], 1),
    ],
)
def test_check_accepts_a_clean_file_of_each_kind(
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    text: str,
    rows: int,
) -> None:
    path = write(tmp_path / "f.csv", text)
    assert main(["check", "--kind", kind, str(path)]) == 0
    noun = "row" if rows == 1 else "rows"
    assert capsys.readouterr().out == f"{path}: {rows} {noun}, no problems\n"


def test_check_lists_the_problems_of_an_item_file(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = "事项编码,事项名称,部门,抽查比例\nA,x,商务局,二成\nB,y,商务局,\nB,z,商务局,\n"
    path = write(tmp_path / "i.csv", text)
    assert main(["check", "--kind", "items", str(path)]) == 2
    err = capsys.readouterr().err
    assert "2 problems (1 × not a rate; 1 × duplicate item code)" in err


def test_check_refuses_officers_with_another_kind(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "f.csv", "a\n1\n")
    assert main(["check", "--officers", "--kind", "results", str(path)]) == 2
    assert "--officers and --kind results disagree" in capsys.readouterr().err


def test_a_command_names_the_first_results_problem_and_counts_them_all(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = write(
        tmp_path / "t.csv",
        f"统一社会信用代码,企业名称,信用风险等级,登记状态\n{A},甲,A,存续\n{B},乙,B,在业\n",
    )
    results = write(tmp_path / "r.csv", DIRTY_RESULTS)
    args = ["report", "--roster", str(roster), "--results", str(results), "--year", "2025"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "row 3, column '检查结果', value '合格'" in err
    assert "(6 problems in all: " in err
    assert "--kind for a file that is not the target directory" in err


@pytest.mark.parametrize("quoted", [False, True], ids=["fast path", "csv module"])
def test_a_row_of_the_wrong_width_is_one_problem_among_the_others(
    tmp_path: pathlib.Path, quoted: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reviewer's finding: one short row stopped the one-pass check, naming only itself; the
    bad code, risk class and status in other rows went unreported and no report was written.
    The row is now one problem among the others, every other row is still checked, and the
    rows keep their numbers (blank lines count)."""
    from randcheck import TargetRoster

    lines = [
        "统一社会信用代码,企业名称,信用风险等级,登记状态",
        f"{A},甲,A,存续",
        "91350100M000100Y44,乙,B,存续",  # wrong check character
        "",
        f"{B},丙,X,存续",  # unknown risk class
        f"{B}1,丁,B",  # three fields
        "91130634042520210B,戊,B,正常",  # unknown status
    ]
    text = "\n".join(lines) + "\n"
    if quoted:  # the csv module's path, as for any file with a quote
        text = text.replace(",甲,", ',"甲",')
    path = write(tmp_path / "multi.csv", text)
    with pytest.raises(RosterError) as info:
        TargetRoster.from_csv(path)
    report = info.value.report
    assert report is not None
    assert [(p.row, p.problem.split(" (")[0].split(";")[0]) for p in report.problems] == [
        (3, "not a valid 统一社会信用代码"),
        (5, "unknown risk class"),
        (6, "has 3 fields but the header has 4"),
        (7, "not a known 登记状态"),
    ]
    out = tmp_path / "problems.csv"
    assert main(["check", str(path), "--report", str(out)]) == 2
    with open(out, encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 4
    assert "4 problems" in capsys.readouterr().err


def test_a_wrong_check_character_is_named_with_the_one_expected(tmp_path: pathlib.Path) -> None:
    """Reviewer's finding: only --legacy-codes said which check character was expected; the
    strict load said "correct the code from the business licence"."""
    from randcheck import TargetRoster

    path = write(tmp_path / "t.csv", "统一社会信用代码,信用风险等级\n91130634042520210C,A\n")
    with pytest.raises(RosterError, match="the check character is 'C' where 'B' is expected"):
        TargetRoster.from_csv(path)
