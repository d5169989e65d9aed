"""Issue 14: GB18030, UTF-16 and BOMs on every reader and command; county dates everywhere."""

from __future__ import annotations

import datetime as dt
import io
import pathlib

import numpy as np
import pytest

from _helpers import A, B, credit_code, write
from randcheck import (
    OfficerRoster,
    RosterError,
    TargetRoster,
    load_conflicts,
    load_events,
    load_items,
)
from randcheck._dates import from_excel_serial, to_date
from randcheck.calendar import WorkCalendar, as_date
from randcheck.cli import main
from randcheck.errors import CalendarError, ResultError
from randcheck.results import ResultTable

GBK_HINT = "encoding='gb18030'"


TARGETS = (
    f"统一社会信用代码,企业名称,信用风险等级,登记状态\n{A},甲商贸,A,存续\n{B},乙加油站,B,在业\n"
)
OFFICERS = (
    "执法证号,姓名,所属单位,部门\n"
    "A1,张三,一中队,商务局\nA2,李四,二中队,商务局\nA3,王五,一中队,商务局\n"
)
CONFLICTS = f"执法证号,统一社会信用代码,回避事由\nA1,{A},亲属关系\n"
ITEMS = "事项编码,事项名称,部门,适用行业,抽查比例\nSW-02,成品油检查,商务局,成品油零售,20%\n"
RESULTS = (
    "统一社会信用代码,抽查事项,检查结果,检查结束日期,公示日期\n"
    f"{A},SW-02,未发现问题,2025年9月28日,2025/9/30\n"
)


# --- every reader: GB18030, UTF-16 with a BOM, and the hint on a UTF-8 failure ----------------
@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_target_rosters_read_county_encodings(tmp_path: pathlib.Path, encoding: str) -> None:
    given = "gb18030" if encoding == "gb18030" else "utf-8-sig"  # a BOM speaks for itself
    r = TargetRoster.from_csv(write(tmp_path / "t.csv", TARGETS, encoding), encoding=given)
    assert r.name.tolist() == ["甲商贸", "乙加油站"]


@pytest.mark.parametrize(
    ("read", "text"),
    [
        (lambda p, **k: TargetRoster.from_csv(p, **k), TARGETS),
        (lambda p, **k: OfficerRoster.from_csv(p, **k), OFFICERS),
        (lambda p, **k: load_conflicts(p, **k), CONFLICTS),
        (lambda p, **k: load_items(p, **k), ITEMS),
        (lambda p, **k: load_events(p, **k), "编号,抽取日期\n甲,2025/4/30\n"),
    ],
    ids=["targets", "officers", "conflicts", "items", "events"],
)
def test_every_reader_takes_gb18030_and_says_to_try_it(
    tmp_path: pathlib.Path, read: object, text: str
) -> None:
    path = write(tmp_path / "gbk.csv", text, "gb18030")
    assert read(path, encoding="gb18030")  # type: ignore[operator]
    with pytest.raises(RosterError, match=r"row 1: is not UTF-8 text .*encoding='gb18030'"):
        read(path)  # type: ignore[operator]


def test_results_take_gb18030_and_say_to_try_it(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "results.csv", RESULTS, "gb18030")
    assert len(ResultTable.from_csv(path, encoding="gb18030")) == 1
    with pytest.raises(ResultError, match=r"row 1: cannot read the file: is not UTF-8.*gb18030"):
        ResultTable.from_csv(path)


def test_a_utf16_file_with_a_bom_reads_whatever_encoding_is_given(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "c.csv", CONFLICTS, "utf-16")
    assert load_conflicts(path, encoding="gb18030")[0].reason == "亲属关系"


def test_an_unknown_encoding_is_named(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "c.csv", CONFLICTS)
    with pytest.raises(RosterError, match="unknown encoding 'klingon'"):
        load_conflicts(path, encoding="klingon")


READERS = [
    (lambda p, **k: TargetRoster.from_csv(p, **k), TARGETS),
    (lambda p, **k: OfficerRoster.from_csv(p, **k), OFFICERS),
    (lambda p, **k: load_conflicts(p, **k), CONFLICTS),
    (lambda p, **k: load_items(p, **k), ITEMS),
    (lambda p, **k: ResultTable.from_csv(p, **k), RESULTS),
]
READER_IDS = ["targets", "officers", "conflicts", "items", "results"]


@pytest.mark.parametrize(("read", "text"), READERS, ids=READER_IDS)
@pytest.mark.parametrize(
    "encoding", ["ANSI", "gb-18030", "UTF-8-BOM", "", "utf8", "UTF_8", "klingon"]
)
def test_every_reader_refuses_an_unknown_encoding_by_name_or_reads_a_windows_name(
    tmp_path: pathlib.Path, read: object, text: str, encoding: str
) -> None:
    """Reviewer's finding: an unknown encoding was a LookupError traceback from the directory
    loaders. Notepad's names are read as what they mean on Chinese Windows ("ANSI" is GBK)."""
    written = {"ANSI": "gb18030", "UTF-8-BOM": "utf-8-sig", "utf8": "utf-8", "UTF_8": "utf-8"}.get(
        encoding
    )
    path = write(tmp_path / "f.csv", text, written or "utf-8")
    if written is not None:
        assert read(path, encoding=encoding)  # type: ignore[operator]
        return
    with pytest.raises((RosterError, ResultError)) as info:
        read(path, encoding=encoding)  # type: ignore[operator]
    assert f"unknown encoding {encoding!r}; use utf-8, gb18030" in str(info.value)
    assert "f.csv" in str(info.value)


def test_the_command_line_names_an_unknown_encoding(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "gbk.csv", TARGETS, "gb18030")
    assert main(["check", str(path), "--encoding", "GB-18030"]) == 2
    assert "unknown encoding 'GB-18030'" in capsys.readouterr().err
    assert main(["check", str(path), "--encoding", "ANSI"]) == 0


def test_a_gbk_file_names_the_row_of_the_first_bad_byte(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "c.csv", "officer_id,credit_code,reason\n" + f"A1,{A},x\n" * 3)
    path.write_bytes(path.read_bytes() + f"A2,{A},亲属\n".encode("gb18030"))
    with pytest.raises(RosterError, match=r"c.csv, row 5: is not UTF-8"):
        load_conflicts(path)


# --- finding 4: results and events read as the county writes them -----------------------------
def test_results_accept_chinese_headers_and_county_dates(tmp_path: pathlib.Path) -> None:
    t = ResultTable.from_csv(write(tmp_path / "r.csv", RESULTS))
    assert (t.inspection_end.tolist(), t.published_on.tolist()) == (
        [dt.date(2025, 9, 28)],
        [dt.date(2025, 9, 30)],
    )


def test_results_name_a_column_given_twice_under_two_headers() -> None:
    with pytest.raises(ResultError, match="column 'published_on' is given twice"):
        ResultTable.from_columns(
            {
                "credit_code": [A],
                "item": ["SW-02"],
                "categories": ["未发现问题"],
                "inspection_end": ["2025-09-28"],
                "published_on": ["2025-09-29"],
                "公示日期": ["2025-09-29"],
            }
        )


def test_a_bad_result_date_lists_the_accepted_forms(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "r.csv", RESULTS.replace("2025/9/30", "下周"))
    with pytest.raises(
        ResultError, match=r"row 2.*'下周': not a date \(expected YYYY-MM-DD, YYYY/M/D"
    ):
        ResultTable.from_csv(path)


def test_events_read_county_dates_and_empty_cells() -> None:
    text = "draw,done\n2025/4/30,\n2025年5月6日,20250508\n"
    events = load_events(io.BytesIO(text.encode()))
    assert events["draw"].tolist() == [dt.date(2025, 4, 30), dt.date(2025, 5, 6)]
    assert np.isnat(events["done"]).tolist() == [True, False]


def test_a_bad_event_date_names_the_spreadsheet_row_and_column(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "e.csv", "编号,抽取日期\n甲,2025/4/30\n乙,四月\n丙,五月\n")
    with pytest.raises(RosterError) as info:
        load_events(path)
    assert str(info.value).startswith(f"{path}, row 3, column '抽取日期', value '四月': not a date")
    assert "(2 rows in all)" in str(info.value)
    assert [p[0] for p in info.value.problems] == [3, 4]


def test_events_name_a_missing_date_column(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "e.csv", "编号,日期\n甲,2025/4/30\n")
    with pytest.raises(RosterError, match="has no column 'draw'; its headers are 编号, 日期"):
        load_events(path, dates=["draw"])


@pytest.mark.parametrize(
    "text",
    [
        "2019-03-07",
        "2019/3/7",
        "2019.3.7",
        "2019年3月7日",
        "20190307",
        "2019/3/7 9:30",
        "2019-03-07 09:30:00",
        "2019-03-06T20:00:00+00:00",
    ],
)
def test_one_parser_reads_every_county_date_form(text: str) -> None:
    assert to_date(text) == as_date(text) == dt.date(2019, 3, 7)


@pytest.mark.parametrize("text", ["2019-13-01", "2019/2/30", "2019/3-7", "19/3/7", "三月七日"])
def test_malformed_dates_are_refused_by_both(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date"):
        to_date(text)
    with pytest.raises(CalendarError, match="is not a date"):
        as_date(text)


def test_excel_serial_days() -> None:
    assert (from_excel_serial(45928), from_excel_serial(61.5)) == (
        dt.date(2025, 9, 28),
        dt.date(1900, 3, 1),
    )
    with pytest.raises(ValueError, match="not an Excel date serial"):
        from_excel_serial(0)


def test_roster_dates_in_county_forms(tmp_path: pathlib.Path) -> None:
    text = f"credit_code,risk_class,上次检查日期\n{A},A,2023年5月6日\n{B},B,2023/5/7\n"
    r = TargetRoster.from_csv(write(tmp_path / "t.csv", text))
    assert r.last_inspected.tolist() == [dt.date(2023, 5, 6), dt.date(2023, 5, 7)]


# --- finding 2: --encoding on every command that reads a file ---------------------------------
def test_match_reads_gbk_visits_officers_and_conflicts(tmp_path: pathlib.Path) -> None:
    visits = write(
        tmp_path / "visits.csv",
        "credit_code,items,departments,lead_department,skills,area,team_size\n"
        f"{A},SW-02,商务局,商务局,,130634,2\n",
        "gb18030",
    )
    officers = write(tmp_path / "officers.csv", OFFICERS, "gb18030")
    conflicts = write(tmp_path / "conflicts.csv", CONFLICTS, "gb18030")
    out = tmp_path / "teams.csv"
    args = ["match", "--visits", str(visits), "--officers", str(officers)]
    args += ["--conflicts", str(conflicts), "--seed", "s", "--encoding", "gb18030"]
    assert main([*args, "--out", str(out)]) == 0
    teams = out.read_text(encoding="utf-8").splitlines()[1:]
    assert len(teams) == 2
    assert all(",A1," not in line for line in teams)  # the conflict was read


def test_deadline_reads_gbk_events_and_names_the_row(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path / "e.csv", "编号,抽取日期\n甲,2025/4/30\n", "gb18030")
    args = ["deadline", "--rule", "matching", "--encoding", "gb18030", "--as-of", "2025-05-01"]
    assert main([*args, "--events", str(good)]) == 0
    due = WorkCalendar.default().add_workdays("2025-04-30", 2)
    assert f'"due": "{due.isoformat()}"' in capsys.readouterr().out
    bad = write(tmp_path / "bad.csv", "编号,抽取日期\n甲,2025/4/30\n乙,四月\n", "gb18030")
    assert main([*args, "--events", str(bad)]) == 2
    assert "row 3, column '抽取日期', value '四月': not a date" in capsys.readouterr().err


def test_report_reads_gbk_results(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = write(tmp_path / "t.csv", TARGETS, "gb18030")
    results = write(tmp_path / "r.csv", RESULTS, "gb18030")
    args = ["report", "--roster", str(roster), "--results", str(results), "--year", "2025"]
    assert main([*args, "--encoding", "gb18030"]) == 0
    assert capsys.readouterr().out.startswith("coverage: ")
    assert main(args) == 2
    assert "--encoding gb18030" in capsys.readouterr().err


def test_a_gbk_plan_reads_with_encoding(tmp_path: pathlib.Path) -> None:
    roster = write(tmp_path / "t.csv", TARGETS, "gb18030")
    plan = write(tmp_path / "plan.toml", "# 计划\n[rates]\nA = 0.5\nB = 0.5\n", "gb18030")
    out = tmp_path / "c.json"
    args = ["commit", "--roster", str(roster), "--plan", str(plan), "--out", str(out)]
    args += ["--seed-rule", "shuangseqiu@2025-03-04", "--seed-from", "福利彩票双色球 开奖结果"]
    assert main([*args, "--encoding", "gb18030"]) == 0


# --- GBK/GB18030 read field by field: the same roster as the whole file decoded first ----------
def _gbk_targets(n: int) -> str:
    statuses = ("存续", "吊销，未注销")
    rows = [
        f"{credit_code(k)},甲乙丙丁商贸𠮷{k},{'ABCD'[k % 4]},{statuses[k % 2]}" for k in range(n)
    ]
    return "统一社会信用代码,企业名称,信用风险等级,登记状态\n" + "\n".join(rows) + "\n"


@pytest.mark.parametrize("n", [3, 200])  # a few distinct names, and more than 64
@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_a_gbk_file_loads_as_the_same_roster_as_its_utf8_twin(
    tmp_path: pathlib.Path, n: int, encoding: str
) -> None:
    text = _gbk_targets(n)
    if encoding == "gbk":
        text = text.replace("𠮷", "")  # GBK has no four-byte characters
    gbk = TargetRoster.from_csv(write(tmp_path / "g.csv", text, encoding), encoding=encoding)
    utf8 = TargetRoster.from_csv(write(tmp_path / "u.csv", text))
    assert gbk.digest() == utf8.digest()
    assert gbk.name.tolist() == utf8.name.tolist()
    assert gbk.status.labels().tolist() == utf8.status.labels().tolist()


def test_bad_gbk_bytes_name_their_row(tmp_path: pathlib.Path) -> None:
    raw = _gbk_targets(5).encode("gb18030").split(b"\n")
    raw[3] = raw[3].replace("商贸".encode("gb18030"), b"\x81\x20")  # a lead byte, then a space
    path = tmp_path / "g.csv"
    path.write_bytes(b"\n".join(raw))
    with pytest.raises(RosterError, match=r"row 4: is not gb18030 text"):
        TargetRoster.from_csv(path, encoding="gb18030")


def test_a_quoted_gbk_file_takes_the_csv_module_path(tmp_path: pathlib.Path) -> None:
    text = _gbk_targets(3).replace("甲乙丙丁商贸𠮷1,", '"甲乙丙丁商贸𠮷1, 分店",')
    r = TargetRoster.from_csv(write(tmp_path / "g.csv", text, "gb18030"), encoding="gb18030")
    assert r.name.tolist()[1] == "甲乙丙丁商贸𠮷1, 分店"


@pytest.mark.parametrize("kind", [TargetRoster, OfficerRoster])
def test_excels_unicode_text_export_is_read_tab_separated(
    tmp_path: pathlib.Path, kind: type[TargetRoster] | type[OfficerRoster]
) -> None:
    """Reviewer's finding: Excel's "Unicode text" is UTF-16 with tabs, which the loaders read
    as one column (then said "unknown column … pass extra=[...]"). A header line with tabs and
    no comma is read tab-separated; the same file with commas gives the same roster."""
    text = TARGETS if kind is TargetRoster else OFFICERS
    tabbed = text.replace(",", "\t").replace("\n", "\r\n")
    by_tab = kind.from_csv(write(tmp_path / "u16.txt", tabbed, "utf-16"))
    by_comma = kind.from_csv(write(tmp_path / "c.csv", text))
    assert by_tab.digest() == by_comma.digest()
    assert kind.from_csv(write(tmp_path / "t.txt", tabbed), delimiter="\t").digest() == (
        by_comma.digest()
    )
