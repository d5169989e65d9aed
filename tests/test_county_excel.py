"""Issue 14: Excel workbooks in (same headers, checks and row numbers as CSV) and out."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from _helpers import A, B
from randcheck import (
    OfficerRoster,
    RosterError,
    TargetRoster,
    load_conflicts,
    load_events,
    load_items,
)
from randcheck.calendar import WorkCalendar
from randcheck.problems import Problem, ProblemReport
from randcheck.results import ResultTable

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("python_calamine")


def workbook(path: pathlib.Path, rows: list[list[object]], sheet: str = "Sheet") -> pathlib.Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def test_a_target_sheet_loads_like_the_csv(tmp_path: pathlib.Path) -> None:
    path = workbook(
        tmp_path / "t.xlsx",
        [
            ["统一社会信用代码", "企业名称", "信用风险等级", "行政区划", "上次检查日期"],
            [A, "甲", "A", 130634, dt.date(2023, 5, 6)],
            [B, "乙", "信用风险一般", "130634", 45928],
        ],
    )
    r = TargetRoster.from_excel(path)
    assert r.area.labels().tolist() == ["130634", "130634"]
    assert r.last_inspected.tolist() == [dt.date(2023, 5, 6), dt.date(2025, 9, 28)]
    assert r.risk_counts() == {"A": 1, "B": 1}


def test_a_code_excel_turned_into_a_number_is_refused_with_the_excel_row(
    tmp_path: pathlib.Path,
) -> None:
    path = workbook(
        tmp_path / "t.xlsx",
        [["credit_code", "risk_class"], [A, "A"], [None, None], [9.14105e17, "B"]],
    )
    with pytest.raises(RosterError) as info:
        TargetRoster.from_excel(path, legacy_codes=True)
    assert (info.value.row, info.value.value) == (4, "9.14105E+17")
    assert "scientific notation" in str(info.value)


def test_every_problem_of_a_sheet_in_one_report(tmp_path: pathlib.Path) -> None:
    path = workbook(
        tmp_path / "t.xlsx",
        [["统一社会信用代码", "信用风险等级", "登记状态"], [A, "", "存续"], [B, "B", "关停"]],
    )
    with pytest.raises(RosterError) as info:
        TargetRoster.from_excel(path)
    assert info.value.report is not None
    assert [(p.row, p.column) for p in info.value.report] == [(2, "信用风险等级"), (3, "登记状态")]


def test_a_named_sheet_and_a_missing_one(tmp_path: pathlib.Path) -> None:
    path = workbook(tmp_path / "o.xlsx", [["执法证号", "姓名"], ["A1", "张三"]], sheet="人员")
    assert OfficerRoster.from_excel(path, sheet="人员").name.tolist() == ["张三"]
    with pytest.raises(RosterError, match="has no sheet '名单'; its sheets are 人员"):
        OfficerRoster.from_excel(path, sheet="名单")


def test_a_sheet_with_title_rows_above_the_header_is_refused(tmp_path: pathlib.Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws["A3"], ws["B3"], ws["A4"], ws["B4"] = "credit_code", "risk_class", A, "A"
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(RosterError, match="the sheet starts in row 3: put the header in row 1"):
        TargetRoster.from_excel(tmp_path / "t.xlsx")


def test_a_file_that_is_not_a_workbook_is_named(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_text("credit_code,risk_class\n", encoding="utf-8")
    with pytest.raises(RosterError, match="is not an Excel workbook"):
        TargetRoster.from_excel(path)


def test_small_lists_read_xlsx(tmp_path: pathlib.Path) -> None:
    conflicts = workbook(
        tmp_path / "c.xlsx", [["执法证号", "统一社会信用代码", "回避事由"], ["A1", A, "亲属"]]
    )
    items = workbook(
        tmp_path / "i.xlsx", [["事项编码", "事项名称", "抽查比例"], ["SW-02", "成品油", "20%"]]
    )
    events = workbook(
        tmp_path / "e.xlsx", [["编号", "抽取日期"], ["V1", dt.date(2025, 4, 30)], ["V2", 45777]]
    )
    assert load_conflicts(conflicts)[0].reason == "亲属"
    assert load_items(items)[0].rate == 0.2
    assert load_events(events)["draw"].tolist() == [dt.date(2025, 4, 30), dt.date(2025, 4, 30)]


def test_results_read_xlsx_with_chinese_headers(tmp_path: pathlib.Path) -> None:
    path = workbook(
        tmp_path / "r.xlsx",
        [
            ["统一社会信用代码", "抽查事项", "检查结果", "检查结束日期", "公示日期"],
            [A, "SW-02", "未发现问题", dt.datetime(2025, 9, 28, 10, 30), "2025年9月30日"],
        ],
    )
    t = ResultTable.from_excel(path)
    assert (t.inspection_end.tolist(), t.published_on.tolist()) == (
        [dt.date(2025, 9, 28)],
        [dt.date(2025, 9, 30)],
    )


def test_a_problem_report_as_a_workbook(tmp_path: pathlib.Path) -> None:
    report = ProblemReport.of([Problem(3, "信用风险等级", "", "a blank risk class", "fill in A–E")])
    report.to_excel(tmp_path / "p.xlsx", headers="zh")
    ws = openpyxl.load_workbook(tmp_path / "p.xlsx").active
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["行号", "列", "值", "问题", "修改建议"],
        [3, "信用风险等级", None, "a blank risk class", "fill in A–E"],
    ]


# --- the command line reads workbooks wherever it reads a table ----------------------------------
TARGET_ROWS: list[list[object]] = [
    ["统一社会信用代码", "企业名称", "信用风险等级", "登记状态"],
    [A, "甲商贸", "A", "存续"],
    [B, "乙加油站", "B", "在业"],
]


def test_check_reads_a_workbook_sheet_by_name(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from randcheck.cli import main

    path = workbook(tmp_path / "t.xlsx", TARGET_ROWS, sheet="名录")
    assert main(["check", str(path), "--sheet", "名录"]) == 0
    assert capsys.readouterr().out == f"{path}: 2 rows, no problems\n"
    assert main(["check", str(path), "--sheet", "其他"]) == 2
    assert "has no sheet '其他'; its sheets are 名录" in capsys.readouterr().err


def test_report_reads_the_roster_and_results_as_workbooks(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from randcheck.cli import main

    roster = workbook(tmp_path / "t.xlsx", TARGET_ROWS)
    results = workbook(
        tmp_path / "r.xlsx",
        [
            ["统一社会信用代码", "抽查事项", "检查结果", "检查结束日期", "公示日期"],
            [A, "SW-02", "未发现问题", dt.date(2025, 9, 28), dt.date(2025, 9, 30)],
        ],
    )
    args = ["report", "--roster", str(roster), "--results", str(results), "--year", "2025"]
    assert main(args) == 0
    assert "coverage: 50.00% (1/2)" in capsys.readouterr().out


def test_deadline_reads_events_from_a_workbook(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from randcheck.cli import main

    events = workbook(
        tmp_path / "e.xlsx", [["编号", "检查结束日期"], ["甲", dt.date(2025, 9, 26)], ["乙", 45925]]
    )
    out = tmp_path / "due.csv"
    args = ["deadline", "--events", str(events), "--as-of", "2025-10-09", "--out", str(out)]
    assert main(args) == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "编号,检查结束日期,due,status"
    cal = WorkCalendar.default()
    expected = [cal.add_workdays(d, 20).isoformat() for d in ("2025-09-26", "2025-09-25")]
    assert [r.split(",")[2] for r in rows[1:]] == expected


def test_match_reads_officers_and_conflicts_as_workbooks(tmp_path: pathlib.Path) -> None:
    from randcheck.cli import main

    officers = workbook(
        tmp_path / "o.xlsx",
        [
            ["执法证号", "姓名", "所属单位", "部门"],
            ["A1", "张三", "一中队", "商务局"],
            ["A2", "李四", "二中队", "商务局"],
            ["A3", "王五", "一中队", "商务局"],
        ],
    )
    conflicts = workbook(
        tmp_path / "c.xlsx", [["执法证号", "统一社会信用代码", "回避事由"], ["A1", A, "亲属关系"]]
    )
    visits = tmp_path / "v.csv"
    visits.write_text(f"credit_code,departments\n{A},商务局\n{B},商务局\n", encoding="utf-8")
    out = tmp_path / "teams.csv"
    args = ["match", "--visits", str(visits), "--officers", str(officers)]
    assert main([*args, "--conflicts", str(conflicts), "--seed", "s", "--out", str(out)]) == 0
    teams = out.read_text(encoding="utf-8").splitlines()[1:]
    assert len(teams) == 4
    assert not [t for t in teams if t.startswith(f"{A},A1,")]  # the conflict was read


def test_a_filled_cell_right_of_the_last_header_is_reported_not_dropped(
    tmp_path: pathlib.Path,
) -> None:
    # A CSV line with a cell too many is a problem; the same sheet in a workbook must be too.
    path = workbook(
        tmp_path / "t.xlsx",
        [["credit_code", "risk_class"], [A, "A", None], [B, "B", "注销"]],
    )
    with pytest.raises(RosterError) as info:
        TargetRoster.from_excel(path)
    assert info.value.row == 3
    assert "row 3: has 3 fields but the header has 2" in str(info.value)


def test_merged_cells_read_as_excel_shows_them(tmp_path: pathlib.Path) -> None:
    # A unit merged down a squad, an industry down a block: the file keeps the value in the
    # first cell only; read as empty, the officers escaped 所所交叉 and the targets left
    # industry-targeted draws without a word.
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["执法证号", "姓名", "所属单位"])
    for i in range(4):
        ws.append([f"O{i}", f"员{i}", "执法一中队" if i == 0 else None])
    ws.merge_cells("C2:C5")
    wb.save(tmp_path / "officers.xlsx")
    officers = OfficerRoster.from_excel(tmp_path / "officers.xlsx")
    assert [o.unit for o in officers] == ["执法一中队"] * 4
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["统一社会信用代码", "信用风险分类", "行业"])
    ws.append([A, "A", "餐饮业"])
    ws.append([B, "B", None])
    ws.merge_cells("C2:C3")
    wb.save(tmp_path / "targets.xlsx")
    targets = TargetRoster.from_excel(tmp_path / "targets.xlsx")
    assert targets.industry.labels().tolist() == ["餐饮业", "餐饮业"]
    # A header merged over two columns names the first twice: refused, naming it.
    ws.merge_cells("A1:B1")
    wb.save(tmp_path / "header.xlsx")
    with pytest.raises(
        RosterError, match="column '统一社会信用代码': the header names this column"
    ):
        TargetRoster.from_excel(tmp_path / "header.xlsx")
