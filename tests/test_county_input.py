"""Issue 14: real county data in: explicit switches, the 登记状态 vocabulary, one-pass reports."""

from __future__ import annotations

import csv
import io
import pathlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _helpers import LEGACY, LETTER_AREA, A, B, C, write
from randcheck import RosterError, TargetRoster
from randcheck.cli import main
from randcheck.errors import RosterWarning
from randcheck.loaders import load_conflicts
from randcheck.models import INACTIVE_STATUSES, REGISTRATION_STATUSES, Target
from randcheck.problems import Problem, ProblemReport
from randcheck.sampling import Eligibility


# --- finding 1: lenient loading never changes the population silently -------------------------
def test_a_renamed_status_column_is_an_error_not_a_population_of_active_targets() -> None:
    with pytest.raises(RosterError, match=r"column '企业状态': unknown column") as info:
        TargetRoster.from_columns(
            {"credit_code": [A, B], "risk_class": ["A", "B"], "企业状态": ["存续", "注销"]},
            legacy_codes=True,
        )
    assert "unknown_columns='ignore'" in str(info.value)


def test_ignored_columns_are_named_in_a_warning_and_the_report() -> None:
    with pytest.warns(RosterWarning, match="企业状态"):
        r = TargetRoster.from_columns(
            {"credit_code": [A], "risk_class": ["A"], "企业状态": ["注销"]},
            unknown_columns="ignore",
        )
    assert r.extra_columns == ()
    assert [(p.row, p.column) for p in r.report] == [(None, "企业状态")]


def test_legacy_codes_do_not_let_unknown_columns_in() -> None:
    with pytest.raises(RosterError, match="unknown column"):
        TargetRoster.from_columns(
            {"credit_code": [A], "risk_class": ["A"], "注册资本": ["1"]}, legacy_codes=True
        )


def test_unknown_columns_must_be_one_of_three_words() -> None:
    with pytest.raises(ValueError, match="unknown_columns must be 'error', 'ignore' or 'keep'"):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"]}, unknown_columns="no")


@pytest.mark.parametrize("number", ["9.14105E+17", "9.14105e+17", "9.1E+17"])
def test_a_code_in_scientific_notation_is_refused_even_with_legacy_codes(number: str) -> None:
    with pytest.raises(RosterError, match=r"value '9\.1.*': a number in scientific notation"):
        TargetRoster.from_columns(
            {"credit_code": [A, number], "risk_class": ["A", "B"]}, legacy_codes=True
        )


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("legacy", [False, True])
def test_a_valid_code_written_in_lower_case_is_refused_with_the_code_to_write(
    legacy: bool,
) -> None:
    # Kept as a legacy code, 9135…m… would never match the same code in capitals in a conflict
    # list or a results file: it is a misspelling in either mode, and the fix spells it.
    written = [A.lower(), A[:8] + " " + A[8:], A[:2].translate(FULL_WIDTH) + A[2:]]
    with pytest.raises(RosterError) as info:
        TargetRoster.from_columns(
            {"credit_code": written, "risk_class": ["A"] * 3}, legacy_codes=legacy
        )
    problems = info.value.report.problems
    assert [(p.row, p.value) for p in problems] == [
        (1, written[0]),
        (2, written[1]),
        (3, written[2]),
    ]
    fix = f"written in lower case, full-width characters or with spaces: write it {A}"
    assert [p.fix for p in problems] == [fix] * 3
    conflicts = f"officer_id,credit_code\nO1,{A.lower()}\n".encode()
    with pytest.raises(RosterError, match=f"write it {A}"):
        load_conflicts(io.BytesIO(conflicts), legacy_codes=legacy)


def test_a_float_column_of_codes_is_refused() -> None:
    with pytest.raises(RosterError, match="scientific notation"):
        TargetRoster.from_columns(
            {"credit_code": np.array([9.14105e17]), "risk_class": ["A"]}, legacy_codes=True
        )


@pytest.mark.parametrize(
    "status", ["吊销，未注销", "吊销,未注销", "吊销, 未注销", "停业", "清算", "迁出"]
)
def test_inactive_statuses_are_never_drawn(status: str) -> None:
    r = TargetRoster.from_columns(
        {"credit_code": [A, B], "risk_class": ["A", "A"], "登记状态": ["存续", status]}
    )
    assert r.mask(active=True).tolist() == [True, False]
    assert Eligibility().mask(r).tolist() == [True, False]


def test_statuses_are_stored_as_the_vocabulary_spells_them() -> None:
    r = TargetRoster.from_columns(
        {"credit_code": [A, B], "risk_class": ["A", "A"], "status": ["吊销,未注销", "存续"]}
    )
    assert r.status.categories == ("吊销，未注销", "存续")


def test_every_status_of_the_vocabulary_is_active_or_inactive_as_documented() -> None:
    active = {"存续", "在业", "在营", "开业", "在册", "存续（在营、开业、在册）", "迁入"}
    assert {k for k, v in REGISTRATION_STATUSES.items() if v} == active
    assert set(REGISTRATION_STATUSES) - active == INACTIVE_STATUSES


def test_an_unknown_status_is_an_error_naming_rows_and_the_vocabulary() -> None:
    with pytest.raises(RosterError) as info:
        TargetRoster.from_columns(
            {
                "credit_code": [A, B, C],
                "risk_class": ["A"] * 3,
                "登记状态": ["存续", "关停", "关停"],
            }
        )
    assert (info.value.row, info.value.column, info.value.value) == (2, "登记状态", "关停")
    assert "not a known 登记状态 (2 rows in all)" in str(info.value)
    assert info.value.report is not None
    assert "吊销，未注销" in info.value.report.problems[0].fix


def test_a_blank_status_is_an_error() -> None:
    with pytest.raises(RosterError, match="row 1, column 'status', value '': a blank 登记状态"):
        TargetRoster.from_columns({"credit_code": [A], "risk_class": ["A"], "status": [""]})


def test_a_target_with_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="'营业中' is not a known 登记状态"):
        Target(A, "甲", "A", status="营业中")


def test_a_target_status_is_stored_in_the_vocabulary_spelling() -> None:
    t = Target(A, "甲", "A", status="吊销,未注销")
    assert (t.status, t.active) == ("吊销，未注销", False)


# --- finding 5: GB 32100 positions 3–8 in the loader -------------------------------------------
def test_the_loader_refuses_letters_in_the_area_code() -> None:
    with pytest.raises(RosterError, match="not a valid 统一社会信用代码"):
        TargetRoster.from_columns({"credit_code": [LETTER_AREA], "risk_class": ["A"]})


def test_legacy_codes_reports_what_is_wrong_with_each_code() -> None:
    with pytest.warns(RosterWarning, match="2 problems"):
        r = TargetRoster.from_columns(
            {"credit_code": [A, LETTER_AREA, LEGACY], "risk_class": ["A"] * 3},
            legacy_codes=True,
        )
    fixes = [p.fix for p in r.report]
    assert "positions 3–8" in fixes[0]
    assert "the check character is '4' where '3' is expected" in fixes[1]


# --- finding 3: every problem in one pass ------------------------------------------------------
DIRTY = (
    "统一社会信用代码,企业名称,信用风险等级,登记状态,投诉次数,上次检查日期\n"
    f"{A},甲,A,存续,0,2024-01-02\n"
    f"{LEGACY},乙,,存续,1,\n"
    f"{B},丙,B,歇菜,x,\n"
    f"{C},丁,Q,存续,0,昨天\n"
    f"{A},戊,B,在业,0,\n"
)


def test_one_load_reports_every_problem_of_every_kind(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "dirty.csv", DIRTY)
    with pytest.raises(RosterError) as info:
        TargetRoster.from_csv(path)
    report = info.value.report
    assert report is not None
    found = [(p.row, p.column) for p in report]
    assert found == [
        (3, "统一社会信用代码"),
        (3, "信用风险等级"),
        (4, "投诉次数"),
        (4, "登记状态"),
        (5, "信用风险等级"),
        (5, "上次检查日期"),
        (6, "统一社会信用代码"),
    ]
    assert len(report) == 7
    assert report.counts["duplicate id"] == 1
    assert report.counts["a blank risk class"] == 1


def test_the_error_message_counts_each_kind_and_shows_the_first(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "dirty.csv", DIRTY)
    with pytest.raises(RosterError) as info:
        TargetRoster.from_csv(path)
    text = str(info.value)
    first_line = text.splitlines()[0]
    # The first problem; its fix is in the summary below, with every other problem's.
    assert first_line.endswith(
        "not a valid 统一社会信用代码 (GB 32100-2015: 18 characters from "
        "0-9 and A-Y without I O S V Z, digits in positions 3–8, correct "
        "check character)"
    )
    assert text.count("correct the code from the business licence") == 1
    assert "7 problems (" in text
    assert "1 × a blank risk class" in text
    assert "… and 2 more" in text


def test_a_blank_risk_class_says_what_to_do(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "r.csv", f"credit_code,risk_class\n{A},\n")
    with pytest.raises(
        RosterError, match="row 2, column 'risk_class', value '': a blank risk"
    ) as info:
        TargetRoster.from_csv(path)
    assert info.value.report is not None
    assert "信用风险分类" in info.value.report.problems[0].fix


def test_the_report_is_written_as_csv_with_a_bom_and_chinese_headers(
    tmp_path: pathlib.Path,
) -> None:
    path = write(tmp_path / "dirty.csv", DIRTY)
    with pytest.raises(RosterError) as info:
        TargetRoster.from_csv(path)
    assert info.value.report is not None
    out = tmp_path / "problems.csv"
    info.value.report.to_csv(out, headers="zh")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["行号", "列", "值", "问题", "修改建议"]
    assert rows[1][:3] == ["3", "统一社会信用代码", LEGACY]
    assert len(rows) == 8


def test_the_report_as_a_frame() -> None:
    report = ProblemReport.of([Problem(4, "x", "v", "bad", "fix it"), Problem(2, "y", 1, "bad")])
    frame = report.to_frame()
    assert frame.columns.tolist() == ["row", "column", "value", "problem", "fix"]
    assert frame["row"].tolist() == [2, 4]


def test_the_report_refuses_unknown_header_languages() -> None:
    with pytest.raises(ValueError, match="headers must be 'en' or 'zh', got 'fr'"):
        ProblemReport.of([]).to_rows("fr")


def test_a_report_lists_at_most_a_thousand_problems_but_counts_all() -> None:
    codes = [LEGACY] * 1500
    with pytest.raises(RosterError) as info:
        TargetRoster.from_columns({"credit_code": codes, "risk_class": ["A"] * 1500})
    report = info.value.report
    assert report is not None
    assert (len(report.problems), len(report)) == (1000, 1500 + 1499)  # bad codes + duplicates


def test_a_failed_load_leaves_the_callers_columns_unchanged() -> None:
    codes = np.array([f" {A} ", LEGACY], dtype=object)
    risk = ["A", ""]
    with pytest.raises(RosterError):
        TargetRoster.from_columns({"credit_code": codes, "risk_class": risk})
    assert (codes.tolist(), risk) == ([f" {A} ", LEGACY], ["A", ""])


def test_warnings_point_at_the_callers_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TargetRoster.from_columns({"credit_code": [LEGACY], "risk_class": ["A"]}, legacy_codes=True)
    assert [pathlib.Path(w.filename).name for w in caught] == ["test_county_input.py"]


# --- the command line: check, --legacy-codes, --unknown-columns --------------------------------
def test_check_writes_every_problem_and_exits_2(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "dirty.csv", DIRTY, encoding="gb18030")
    out = tmp_path / "problems.csv"
    code = main(["check", str(path), "--encoding", "gb18030", "--report", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "7 problems (" in err
    assert f"every problem written to {out}" in err
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 8


def test_check_of_a_clean_file_exits_0(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "ok.csv", f"credit_code,risk_class\n{A},A\n{B},B\n")
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: 2 rows, no problems\n"


def test_check_of_officers(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "o.csv", "执法证号,姓名\nA1,张三\nA1,李四\n")
    assert main(["check", str(path), "--officers"]) == 2
    assert "duplicate id" in capsys.readouterr().err


def test_legacy_codes_on_the_command_line_are_each_reported(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "r.csv", f"credit_code,risk_class\n{A},A\n{LEGACY},B\n")
    assert main(["check", str(path), "--legacy-codes"]) == 0
    err = capsys.readouterr().err
    assert f"row 3, column 'credit_code', value '{LEGACY}': a legacy credit code" in err


def test_a_bad_roster_on_the_command_line_gives_counts_and_the_check_command(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "dirty.csv", DIRTY)
    plan = write(tmp_path / "plan.json", '{"rates": {"A": 0.1}}')
    assert main(["commit", "--roster", str(path), "--plan", str(plan)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 2  # the progress line, then one error line
    assert "(7 problems in all: " in err
    assert "--legacy-codes" in err
    assert "randcheck check FILE --report problems.csv" in err


# --- speed without a change of meaning: the factorization of directory columns -----------------
@settings(max_examples=200, deadline=None)
@given(
    few=st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=70),
    picks=st.lists(st.integers(0, 69), min_size=1, max_size=6000),
    late=st.one_of(st.none(), st.integers(0, 2**64 - 1)),
)
def test_factorizing_keys_agrees_with_numpy_unique(
    few: list[int], picks: list[int], late: int | None
) -> None:
    # The factorization is private to the roster's parser (roster/_parse.py); it is tested
    # directly because numpy.unique is an exact oracle for it.
    from randcheck.roster._parse import factorize_keys

    values = [few[p % len(few)] for p in picks] + ([] if late is None else [late])
    key = np.array(values, dtype=np.uint64)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    got_inv, got_first = factorize_keys(key)
    assert got_inv.tolist() == inv.reshape(-1).tolist()
    assert got_first.tolist() == first.tolist()


def test_rows_of_empty_cells_alone_are_blank_rows(tmp_path: pathlib.Path) -> None:
    # Excel saves a row whose cells were emptied as ",,,": no value, so no problem; the rows
    # after it keep their numbers. Directories, conflicts, results and events alike.
    targets = write(
        tmp_path / "t.csv",
        f"统一社会信用代码,企业名称,信用风险分类\n{A},甲,A\n,,\n{B},乙,Z\n,,\n",
    )
    with pytest.raises(RosterError) as info:
        TargetRoster.from_csv(targets)
    assert [(p.row, p.value) for p in info.value.report.problems] == [(4, "Z")]
    quoted = write(tmp_path / "q.csv", f'credit_code,name,risk_class\n{A},"甲, 乙",A\n,,\n')
    assert len(TargetRoster.from_csv(quoted)) == 1
    conflicts = write(tmp_path / "c.csv", f"officer_id,credit_code,reason\nO1,{A},x\n,,\n")
    assert len(load_conflicts(conflicts)) == 1
    events = write(tmp_path / "e.csv", "id,inspection_end\nx1,2025-03-04\n,\nx3,2025-03-05\n")
    assert main(["deadline", "--events", str(events), "--rule", "result"]) == 0
    assert main(["check", str(conflicts), "--kind", "conflicts"]) == 0


def test_an_officer_id_excel_turned_into_a_number_is_refused(tmp_path: pathlib.Path) -> None:
    from randcheck import OfficerRoster

    path = write(tmp_path / "o.csv", "执法证号,姓名\n1.30634E+13,张某\n13063420230005,赵某\n")
    with pytest.raises(RosterError) as info:
        OfficerRoster.from_csv(path)
    [problem] = info.value.report.problems
    assert (problem.row, problem.column, problem.value) == (2, "执法证号", "1.30634E+13")
    assert problem.problem.startswith("a number in scientific notation")
    assert "format the column as text (文本)" in problem.fix


def test_a_risk_class_in_full_width_letters_reads_as_its_letter() -> None:
    r = TargetRoster.from_columns({"credit_code": [A, B, C], "risk_class": ["Ｂ", "ａ类", "Ｄ类"]})
    assert r.risk_counts() == {"A": 1, "B": 1, "D": 1}
