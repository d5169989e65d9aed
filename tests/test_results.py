"""Inspection results and publication records: models, columns, CSV/JSON, checks, due dates."""

from __future__ import annotations

import datetime as dt
import pathlib
import tempfile
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import randcheck
from randcheck import SamplingPlan, TargetRoster, draw
from randcheck.calendar.deadlines import Status
from randcheck.errors import ResultError
from randcheck.results import (
    FOLLOW_UPS,
    METHODS,
    PUBLIC_FIELDS,
    RESULT_CATEGORIES,
    TOP_CATEGORIES,
    InspectionResult,
    ResultTable,
    publication_records,
)
from strategies import valid_credit_codes

C1 = "91350100M000100Y43"
C2 = "91130634MA00000001"
CST = dt.timezone(dt.timedelta(hours=8))


def _columns(**over: Any) -> dict[str, list[Any]]:
    cols: dict[str, list[Any]] = {
        "result_id": ["R1", "R2"],
        "credit_code": [C1, C2],
        "item": ["SW-02", "SW-02"],
        "categories": ["未发现问题", "违反其他相关规定"],
        "followups": ["无需后续处置", "责令改正"],
        "inspection_end": ["2023-05-10", "2023-05-11"],
        "published_on": ["2023-05-12", "2023-05-20"],
    }
    cols.update(over)
    return cols


# ------------------------------------------------------------------------------ the model
def test_a_sub_kind_alone_implies_its_parent() -> None:
    r = InspectionResult(
        C1, "SW-02", "未按规定公示应当公示的信息", "2023-05-10", followups="责令改正"
    )
    assert r.categories == ("发现问题待后续处理", "发现问题待后续处理/未按规定公示应当公示的信息")


def test_several_sub_kinds_are_allowed_together() -> None:
    r = InspectionResult(
        C1,
        "SW-02",
        "违反其他相关规定;未按规定公示应当公示的信息",
        "2023-05-10",
        followups="责令改正",
    )
    assert len(r.categories) == 3
    assert r.top_category == "发现问题待后续处理"


def test_result_id_defaults_to_code_and_item() -> None:
    assert InspectionResult(C1, "SW-02", "未发现问题", "2023-05-10").result_id == f"{C1}/SW-02"


def test_unknown_category_names_the_field_and_value() -> None:
    with pytest.raises(
        ResultError, match=r"field 'categories', value '合格'.*unknown result category"
    ):
        InspectionResult(C1, "SW-02", "合格", "2023-05-10")


def test_two_top_level_categories_are_refused() -> None:
    with pytest.raises(
        ResultError, match="exactly one top-level category, got 未发现问题 and 注销"
    ):
        InspectionResult(C1, "SW-02", "未发现问题;注销", "2023-05-10")


def test_pending_needs_a_sub_kind() -> None:
    with pytest.raises(ResultError, match="发现问题待后续处理 needs at least one sub-kind"):
        InspectionResult(C1, "SW-02", "发现问题待后续处理", "2023-05-10")


def test_pending_needs_a_follow_up_action() -> None:
    with pytest.raises(ResultError, match="needs a follow-up action"):
        InspectionResult(C1, "SW-02", "违反其他相关规定", "2023-05-10", followups="无需后续处置")


def test_no_follow_up_cannot_be_combined() -> None:
    with pytest.raises(ResultError, match="无需后续处置 cannot be combined"):
        InspectionResult(C1, "SW-02", "未发现问题", "2023-05-10", followups="无需后续处置;其他")


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ResultError, match=r"field 'methods'.*unknown method '电话'"):
        InspectionResult(C1, "SW-02", "未发现问题", "2023-05-10", methods="电话")


def test_publication_before_the_inspection_is_refused() -> None:
    with pytest.raises(
        ResultError, match=r"published_on.*cannot be published before the inspection ended"
    ):
        InspectionResult(C1, "SW-02", "未发现问题", "2023-05-10", published_on="2023-05-09")


def test_publication_before_entry_is_refused() -> None:
    with pytest.raises(ResultError, match="cannot be published before it was entered"):
        InspectionResult(
            C1,
            "SW-02",
            "未发现问题",
            "2023-05-10",
            entered_on="2023-05-12",
            published_on="2023-05-11",
        )


def test_a_bad_date_names_the_field() -> None:
    with pytest.raises(ResultError, match=r"field 'closed_on', value '2023-13-01': not a date"):
        InspectionResult(C1, "SW-02", "未发现问题", "2023-05-10", closed_on="2023-13-01")


# ------------------------------------------------------------------------------ the table
def test_table_rows_are_the_models() -> None:
    t = ResultTable.from_columns(_columns())
    assert t[1] == InspectionResult(
        C2,
        "SW-02",
        "违反其他相关规定",
        "2023-05-11",
        result_id="R2",
        followups="责令改正",
        published_on="2023-05-20",
    )
    assert [r.result_id for r in t] == ["R1", "R2"]


def test_has_finding_and_follow_up() -> None:
    t = ResultTable.from_columns(_columns())
    assert t.has_finding().tolist() == [False, True]
    assert t.needs_follow_up().tolist() == [False, True]
    assert t.has_finding(["未发现问题"]).tolist() == [True, False]
    assert TOP_CATEGORIES[t.top_category()[1]] == "发现问题待后续处理"


def test_from_columns_does_not_change_the_callers_lists() -> None:
    cols = _columns()
    before = {k: list(v) for k, v in cols.items()}
    ResultTable.from_columns(cols)
    assert cols == before


def test_column_errors_name_the_row() -> None:
    with pytest.raises(
        ResultError, match=r"row 2, column 'categories', value '合格': unknown result category"
    ):
        ResultTable.from_columns(_columns(categories=["未发现问题", "合格"]))


def test_a_missing_required_column_is_named() -> None:
    cols = _columns()
    del cols["inspection_end"]
    with pytest.raises(ResultError, match=r"missing required column.*inspection_end"):
        ResultTable.from_columns(cols)


def test_an_unknown_column_is_named() -> None:
    with pytest.raises(ResultError, match=r"unknown column.*officer_name"):
        ResultTable.from_columns(_columns(officer_name=["王某", "李某"]))


def test_a_repeated_result_id_is_named() -> None:
    with pytest.raises(ResultError, match=r"row 2, column 'result_id', value 'R1'.*used twice"):
        ResultTable.from_columns(_columns(result_id=["R1", "R1"]))


def test_a_bad_credit_code_is_named() -> None:
    with pytest.raises(ResultError, match=r"row 1, column 'credit_code', value '9135-0100'"):
        ResultTable.from_columns(_columns(credit_code=["9135-0100", C2]))


def test_csv_errors_count_the_header_as_row_one(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "results.csv"
    path.write_text(
        "credit_code,item,categories,inspection_end,published_on\n"
        f"{C1},SW-02,未发现问题,2023-05-10,2023-05-12\n"
        f"{C2},SW-02,未发现问题,2023-05-10,2023-05-08\n",
        encoding="utf-8",
    )
    with pytest.raises(ResultError) as info:
        ResultTable.from_csv(path)
    assert str(info.value) == (
        "results.csv, row 3, column 'published_on', value '2023-05-08': the result cannot be "
        "published before the inspection ended (the inspection ended on 2023-05-10: correct "
        "this date or 检查结束日期)"
    )


def test_csv_row_with_too_many_cells(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        f"credit_code,item,categories,inspection_end\n{C1},SW-02,未发现问题,2023-05-10,x\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ResultError,
        match=r"r\.csv, row 2: the row has a different number of cells than the header "
        r"\(5 cells for 4",
    ):
        ResultTable.from_csv(path)


def test_json_errors_name_the_record() -> None:
    text = (
        '[{"credit_code": "' + C1 + '", "item": "SW-02", "categories": ["未发现问题"],'
        ' "inspection_end": "2023-05-10"},'
        ' {"credit_code": "' + C2 + '", "item": "SW-02", "categories": ["其它"],'
        ' "inspection_end": "2023-05-10"}]'
    )
    with pytest.raises(ResultError, match=r"record 2, column 'categories', value '其它'"):
        ResultTable.from_json(text)


def test_json_unknown_field_is_named() -> None:
    with pytest.raises(ResultError, match=r"record 1: unknown field.*phone"):
        ResultTable.from_json('[{"credit_code": "x", "phone": "1"}]')


def test_to_csv_writes_nothing_on_failure(tmp_path: pathlib.Path) -> None:
    t = ResultTable.from_columns(_columns())
    with pytest.raises(FileNotFoundError, match="missing-dir"):
        t.to_csv(tmp_path / "missing-dir" / "r.csv")
    assert list(tmp_path.iterdir()) == []


def _result_rows() -> st.SearchStrategy[list[dict[str, Any]]]:
    finding = st.sampled_from(["违反其他相关规定", "通过登记的住所（经营场所）无法联系"])
    clean = st.sampled_from([c for c in TOP_CATEGORIES if c != "发现问题待后续处理"])
    day = st.dates(dt.date(2022, 1, 1), dt.date(2024, 12, 31))

    @st.composite
    def one(draw_: st.DrawFn) -> dict[str, Any]:
        pending = draw_(st.booleans())
        end = draw_(day)
        entered = end + dt.timedelta(days=draw_(st.integers(0, 30)))
        published = draw_(st.none() | st.just(entered + dt.timedelta(days=3)))
        return {
            "credit_code": draw_(valid_credit_codes()),
            "item": draw_(st.sampled_from(["SW-01", "SW-02", "报废-07"])),
            "department": draw_(st.sampled_from(["", "商务局", "市场监管局"])),
            "categories": draw_(finding) if pending else draw_(clean),
            "followups": "责令改正" if pending else draw_(st.sampled_from(["", "无需后续处置"])),
            "methods": ";".join(draw_(st.sets(st.sampled_from(METHODS), min_size=1))),
            "inspectors": ";".join(
                draw_(st.lists(st.sampled_from(["130001", "130002"]), max_size=2, unique=True))
            ),
            "inspection_end": end.isoformat(),
            "entered_on": entered.isoformat(),
            "published_on": None if published is None else published.isoformat(),
        }

    return st.lists(one(), min_size=0, max_size=12)


def _table(rows: list[dict[str, Any]]) -> ResultTable:
    cols = {k: [r[k] for r in rows] for k in (rows[0] if rows else {"credit_code": 0})}
    if not rows:
        cols = {"credit_code": [], "item": [], "categories": [], "inspection_end": []}
    cols["result_id"] = [f"R{i}" for i in range(len(rows))]
    return ResultTable.from_columns(cols)


@given(_result_rows())
@settings(max_examples=40)
@pytest.mark.slow
def test_csv_round_trip(rows: list[dict[str, Any]]) -> None:
    t = _table(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "results.csv"
        t.to_csv(path)
        again = ResultTable.from_csv(path)
    assert again.to_rows() == t.to_rows()


@given(_result_rows())
@settings(max_examples=40)
@pytest.mark.slow
def test_json_round_trip(rows: list[dict[str, Any]]) -> None:
    t = _table(rows)
    assert ResultTable.from_json(t.to_json()).to_rows() == t.to_rows()
    assert [InspectionResult(**r) for r in t.to_rows()] == list(t)


@given(_result_rows())
@settings(max_examples=30)
@pytest.mark.slow
def test_models_round_trip_through_the_table(rows: list[dict[str, Any]]) -> None:
    t = _table(rows)
    assert list(ResultTable.from_results(t)) == list(t)


# ------------------------------------------------------------------------------ the draw
@pytest.fixture(scope="module")
def drawn() -> randcheck.Draw:
    county = randcheck.example_county()
    return draw(
        county.targets,
        SamplingPlan(rates={"A": 0.01, "B": 0.01, "C": 0.01, "D": 0.01}),
        seed="results test",
        drawn_at=dt.datetime(2023, 3, 7, 9, 0, tzinfo=CST),
    )


def test_results_of_drawn_targets_pass(drawn: randcheck.Draw) -> None:
    ids = drawn.id_list()[:2]
    ResultTable.from_columns(_columns(credit_code=ids)).check_draw(drawn)


def test_a_target_not_in_the_draw_is_named(drawn: randcheck.Draw) -> None:
    ids = [drawn.id_list()[0], C1]
    with pytest.raises(
        ResultError, match=rf"row 2, column 'credit_code', value '{C1}': this target is not in "
    ):
        ResultTable.from_columns(_columns(credit_code=ids)).check_draw(drawn)


def test_an_inspection_before_the_draw_is_named(drawn: randcheck.Draw) -> None:
    cols = _columns(credit_code=drawn.id_list()[:2], inspection_end=["2023-03-01", "2023-05-01"])
    with pytest.raises(
        ResultError, match=r"row 1, column 'inspection_end', value '2023-03-01'.*before the draw"
    ):
        ResultTable.from_columns(cols).check_draw(drawn)


def test_batch_results_need_the_item_in_the_batch() -> None:
    county = randcheck.example_county()
    batch = randcheck.draw_batch(county.targets, county.items[:2], seed="b")
    code = batch.draws[county.items[0].code].id_list()[0]
    t = ResultTable.from_columns(
        _columns(credit_code=[code, code], item=[county.items[0].code, "XX-99"])
    )
    with pytest.raises(ResultError, match="row 2, column 'item', value 'XX-99': this item is not"):
        t.check_draw(batch)


# ------------------------------------------------------------------------------ publication
def test_due_dates_follow_the_working_day_calendar() -> None:
    t = ResultTable.from_columns(
        _columns(inspection_end=["2023-09-28", "2023-09-28"], published_on=["2023-11-01", None])
    )
    pub = publication_records(t, as_of="2023-11-02")
    assert np.datetime_as_string(pub.due).tolist() == ["2023-11-01", "2023-11-01"]
    assert [Status(int(s)) for s in pub.status] == [Status.DONE, Status.OVERDUE]
    assert pub.missing().result_id.tolist() == ["R2"]


def test_publication_after_as_of_counts_as_not_yet_published() -> None:
    t = ResultTable.from_columns(_columns())
    pub = publication_records(t, as_of="2023-05-15")
    assert pub.published.tolist() == [True, False]
    assert pub.to_rows()[1]["published_on"] is None


def test_publication_records_hold_public_fields_only() -> None:
    t = ResultTable.from_columns(
        _columns(inspectors=["13063420230001;13063420230002"] * 2, entered_by=["高杰", "高杰"])
    )
    roster = TargetRoster.from_columns(
        {"credit_code": [C1, C2], "name": ["甲公司", "乙公司"], "risk_class": ["A", "B"]}
    )
    item = randcheck.models.Item("SW-02", "成品油零售经营企业检查", "商务局")
    rows = publication_records(t, as_of="2023-12-31", roster=roster, items=[item]).to_rows()
    assert list(rows[0]) == list(PUBLIC_FIELDS)
    assert rows[0]["name"] == "甲公司"
    assert rows[0]["item_name"] == "成品油零售经营企业检查"
    text = repr(rows)
    assert "1306342023" not in text
    assert "高杰" not in text


def test_vocabularies_are_those_of_the_platform() -> None:
    assert len(RESULT_CATEGORIES) == 14
    assert len(TOP_CATEGORIES) == 10
    assert FOLLOW_UPS[0] == "无需后续处置"
    assert "移送司法机关" in FOLLOW_UPS
    assert METHODS[0] == "实地"
