"""Issue 14: tables out: to_frame / to_arrow on every table, previews in Jupyter."""

from __future__ import annotations

import pathlib

import pytest

import randcheck
from randcheck import SamplingPlan, TargetRoster, _tables, draw_batch, match_officers, year_figures
from randcheck.example import ExampleCounty
from randcheck.joint import merge_draws
from randcheck.models import Item
from randcheck.policy import simulate_policy, simulate_results

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

SEED = "2025-03-04 双色球 第2025024期 02 09 15 21 27 30 + 11"
PLAN = SamplingPlan(rates={"A": 0.001, "B": 0.002, "C": 0.01, "D": 0.03})


@pytest.fixture(scope="module")
def drawn(county: randcheck.example.ExampleCounty) -> randcheck.Draw:
    return randcheck.draw(county.targets, PLAN, seed=SEED)


def test_rosters_as_frames_and_arrow_tables(county: randcheck.example.ExampleCounty) -> None:
    for roster in (county.targets, county.officers):
        frame, table = roster.to_frame(), roster.to_arrow()
        assert (len(frame), table.num_rows) == (len(roster), len(roster))
        assert list(frame.columns) == table.column_names == list(roster.to_columns())
    assert county.targets.to_frame()["name"].tolist()[:3] == county.targets.name[:3].tolist()


def test_a_draw_as_a_frame_with_the_rosters_names(
    county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    frame = drawn.to_frame(county.targets)
    assert list(frame.columns)[:3] == ["credit_code", "name", "area"]
    assert frame["inclusion_probability"].tolist() == drawn.inclusion_probabilities.tolist()
    assert drawn.to_arrow().num_rows == len(drawn)


def test_visits_and_teams_as_frames(
    county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    visits = merge_draws(county.targets, [Item("SW-01", department="商务局")], {"SW-01": drawn})
    teams = match_officers(list(visits), county.officers, seed=SEED)
    assert len(visits.to_frame()) == len(visits) == visits.to_arrow().num_rows
    assert teams.to_frame().to_dict("records") == teams.to_rows()
    assert teams.to_arrow().num_rows == len(teams.to_rows())


def test_results_and_publication_records_as_frames(
    county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    results = simulate_results(
        drawn, county.targets, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, rng=1
    )
    assert (
        results.to_frame()["credit_code"].tolist() == results.to_columns()["credit_code"].tolist()
    )
    assert results.to_arrow().num_rows == len(results)
    records = randcheck.publication_records(results, as_of="2023-12-31")
    assert len(records.to_frame()) == records.to_arrow().num_rows


def test_notebook_previews_show_a_title_and_the_first_rows(
    county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    visits = merge_draws(county.targets, [Item("SW-01", department="商务局")], {"SW-01": drawn})
    teams = match_officers(list(visits), county.officers, seed=SEED)
    results = simulate_results(
        drawn, county.targets, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, rng=1
    )
    sim = simulate_policy(
        county.targets, {"方案": PLAN}, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, years=2, rng=1
    )
    first = str(drawn.to_columns()["credit_code"][0])
    html = drawn._repr_html_()
    assert html.startswith(f"<div><p><b>Draw: {len(drawn):,} targets (official draw")
    assert first in html
    assert html.count("<tr>") == 11  # the header and ten rows
    assert f"… {len(drawn) - 10:,} more rows" in html
    assert "Assignment: " in teams._repr_html_()
    assert "VisitTable: " in visits._repr_html_()
    assert "YearFigures: " in year_figures(results, county.targets, year=2023)._repr_html_()
    assert "方案" in sim._repr_html_()


def test_previews_escape_html() -> None:
    from randcheck._tables import preview_html

    assert "&lt;b&gt;" in preview_html("<b>", {"x": ["<b>"]}, 1)


def test_tables_as_excel_sheets(
    tmp_path: pathlib.Path, county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    visits = merge_draws(county.targets, [Item("SW-01", department="商务局")], {"SW-01": drawn})
    teams = match_officers(list(visits), county.officers, seed=SEED)
    results = simulate_results(
        drawn, county.targets, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, rng=1
    )
    for name, table, n in (
        ("draw", drawn, len(drawn)),
        ("visits", visits, len(visits)),
        ("teams", teams, len(teams.to_rows())),
        ("results", results, len(results)),
        ("officers", county.officers, len(county.officers)),
    ):
        table.to_excel(tmp_path / f"{name}.xlsx")
        ws = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").active
        assert ws.max_row == n + 1, name
    drawn.to_excel(tmp_path / "named.xlsx", county.targets)
    sheet = openpyxl.load_workbook(tmp_path / "named.xlsx").active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    first = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert header[:3] == ["credit_code", "name", "area"]
    assert first[0] == str(drawn.to_columns()["credit_code"][0])  # text, never a number


def test_a_roster_round_trips_through_excel(tmp_path: pathlib.Path) -> None:
    roster = randcheck.example_county().targets.take(list(range(50)))
    roster.to_excel(tmp_path / "t.xlsx")
    back = TargetRoster.from_excel(tmp_path / "t.xlsx", extra=["risk_score"])
    assert back.digest() == roster.digest()


# --- CSV out: a BOM for Excel and Chinese headers, on every table ---------------------------------
def _csv(path: pathlib.Path) -> tuple[bytes, list[list[str]]]:
    import csv

    raw = path.read_bytes()
    return raw[:3], list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def test_every_table_writes_csv_with_a_bom_and_chinese_headers(
    tmp_path: pathlib.Path, county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    visits = merge_draws(county.targets, [Item("SW-01", department="商务局")], {"SW-01": drawn})
    teams = match_officers(list(visits), county.officers, seed=SEED)
    results = simulate_results(
        drawn, county.targets, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, rng=1
    )
    records = randcheck.publication_records(results, as_of="2023-12-31")
    due = visits.due_dates(["2025-09-26"] * len(visits), as_of="2025-10-09")
    figures = year_figures(results, county.targets, year=2023)
    expected = {
        "draw": (drawn, (county.targets,), ["统一社会信用代码", "企业名称", "行政区划", "抽样层"]),
        "visits": (visits, (), ["统一社会信用代码", "抽查事项", "检查部门", "牵头部门"]),
        "teams": (teams, (county.officers,), ["统一社会信用代码", "执法证号", "姓名", "所属单位"]),
        "results": (results, (), ["结果编号", "统一社会信用代码", "抽查事项", "检查实施机关"]),
        "records": (records, (), ["结果编号", "抽查任务", "检查实施机关", "统一社会信用代码"]),
        "due": (due, (), ["到期日", "期限状态", "暂定"]),
        "figures": (figures, (), ["指标", "分组方式", "分组", "分子"]),
    }
    for name, (table, args, head) in expected.items():
        path = tmp_path / f"{name}.csv"
        table.to_csv(path, *args, encoding="utf-8-sig", headers="zh")  # type: ignore[attr-defined]
        bom, rows = _csv(path)
        assert bom == b"\xef\xbb\xbf", name
        assert rows[0][: len(head)] == head, name
        plain = tmp_path / f"{name}-en.csv"
        table.to_csv(plain, *args)  # type: ignore[attr-defined]
        en = plain.read_bytes()
        assert not en.startswith(b"\xef\xbb\xbf"), name  # the default is unchanged: no BOM
        if name not in ("due", "records"):  # those write their status in Chinese under zh
            assert en.decode("utf-8").splitlines()[1:] == [",".join(r) for r in rows[1:]], name


def test_every_table_writes_a_workbook_with_the_csvs_chinese_headers(
    tmp_path: pathlib.Path, county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    visits = merge_draws(county.targets, [Item("SW-01", department="商务局")], {"SW-01": drawn})
    teams = match_officers(list(visits), county.officers, seed=SEED)
    results = simulate_results(
        drawn, county.targets, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, rng=1
    )
    tables = {
        "draw": (drawn, (county.targets,)),
        "visits": (visits, ()),
        "teams": (teams, (county.officers,)),
        "results": (results, ()),
        "records": (randcheck.publication_records(results, as_of="2023-12-31"), ()),
        "due": (visits.due_dates(["2025-09-26"] * len(visits), as_of="2025-10-09"), ()),
        "figures": (year_figures(results, county.targets, year=2023), ()),
        "officers": (county.officers, ()),
    }
    for name, (table, args) in tables.items():
        table.to_excel(tmp_path / f"{name}.xlsx", *args, headers="zh")  # type: ignore[attr-defined]
        sheet = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").active
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        if name == "officers":
            assert header[:2] == ["执法证号", "姓名"], header
            continue
        table.to_csv(tmp_path / f"{name}.csv", *args, headers="zh")  # type: ignore[attr-defined]
        assert header == _csv(tmp_path / f"{name}.csv")[1][0], name
    with pytest.raises(ValueError, match="headers must be 'en' or 'zh', got 'fr'"):
        drawn.to_excel(tmp_path / "fr.xlsx", headers="fr")
    assert not (tmp_path / "fr.xlsx").exists()


def test_a_roster_round_trips_through_excel_with_chinese_headers(tmp_path: pathlib.Path) -> None:
    roster = randcheck.example_county().targets.take(list(range(50)))
    roster.to_excel(tmp_path / "t.xlsx", headers="zh")
    back = TargetRoster.from_excel(tmp_path / "t.xlsx", extra=["risk_score"])
    assert back.digest() == roster.digest()


def test_results_written_with_chinese_headers_read_back_the_same(
    tmp_path: pathlib.Path, county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    results = simulate_results(
        drawn, county.targets, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, rng=1
    )
    results.to_csv(tmp_path / "r.csv", encoding="gb18030", headers="zh")
    back = randcheck.ResultTable.from_csv(tmp_path / "r.csv", encoding="gb18030")
    assert back.to_rows() == results.to_rows()


def test_due_dates_and_records_write_their_status_in_chinese(tmp_path: pathlib.Path) -> None:
    due = randcheck.due_dates(
        randcheck.calendar.RESULT_PUBLICATION,
        {"inspection_end": ["2025-09-26", "2025-08-01"]},
        as_of="2025-10-09",
    )
    due.to_csv(tmp_path / "d.csv", headers="zh")
    assert _csv(tmp_path / "d.csv")[1] == [
        ["到期日", "期限状态", "暂定"],
        ["2025-10-30", "未到期", "False"],
        ["2025-08-29", "已逾期", "False"],
    ]


def test_a_header_language_other_than_en_or_zh_is_refused(
    tmp_path: pathlib.Path, drawn: randcheck.Draw
) -> None:
    with pytest.raises(ValueError, match="headers must be 'en' or 'zh', got 'fr'"):
        drawn.to_csv(tmp_path / "d.csv", headers="fr")
    assert not (tmp_path / "d.csv").exists()


def test_teams_with_another_officer_directory_are_refused(
    county: randcheck.example.ExampleCounty, drawn: randcheck.Draw
) -> None:
    visits = merge_draws(county.targets, [Item("SW-01", department="商务局")], {"SW-01": drawn})
    teams = match_officers(list(visits), county.officers, seed=SEED)
    other = county.officers.take([0])
    with pytest.raises(randcheck.PlanError, match="is not in this officer directory"):
        teams.to_columns(other)


def test_due_dates_as_frames_arrow_tables_and_previews() -> None:
    due = randcheck.due_dates(
        randcheck.calendar.RESULT_PUBLICATION,
        {"inspection_end": ["2025-09-26"]},
        as_of="2025-10-09",
    )
    frame = due.to_frame()
    assert list(frame.columns) == ["due", "status", "provisional"]
    assert frame["status"].tolist() == ["on time"]
    assert due.to_arrow().column("due").to_pylist()[0].isoformat() == "2025-10-30"
    html = due._repr_html_()
    assert "DueDates: 1 rows" in html
    assert "<td>2025-10-30</td>" in html


def test_a_batch_previews_its_merge_and_first_visits(
    county: randcheck.example.ExampleCounty,
) -> None:
    items = [Item("SW-01", department="商务局", rate=0.002), Item("SW-02", department="商务局")]
    batch = randcheck.draw_batch(
        county.targets, items, {"SW-02": PLAN}, seed=SEED, multipliers=None
    )
    html = batch._repr_html_()
    b = batch.burden()
    assert html.startswith(
        f"<div><p><b>Batch: 2 items (official), {b.visits_unmerged:,} item checks merged into "
        f"{b.visits:,} visits"
    )
    first = str(batch.visits.to_rows()[0]["credit_code"])
    assert first in html


def test_a_batch_and_its_visits_preview_the_first_visits_as_the_whole_table_shows_them(
    county: ExampleCounty,
) -> None:
    # The preview builds only the rows it shows; they must be the table's first rows.
    batch = draw_batch(county.targets, county.items, seed=SEED)
    rows = batch.visits.to_rows()
    whole = _tables.columns_of_rows(rows, list(rows[0]))
    expected = _tables.preview_html(f"VisitTable: {len(rows):,} rows", whole, len(rows))
    assert batch.visits._repr_html_() == expected
    html = batch._repr_html_()
    assert html.startswith(f"<div><p><b>Batch: {len(county.items)} items (official)")
    assert html.split("</b></p>", 1)[1] == expected.split("</b></p>", 1)[1]
    assert f"… {len(rows) - 10:,} more rows" in html
