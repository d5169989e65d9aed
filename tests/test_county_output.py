"""Issue 14: county data out: Chinese labels in figures, teams with names, the sample's class."""

from __future__ import annotations

import csv
import io
import pathlib
import warnings

import pytest

import randcheck
from _helpers import credit_code
from randcheck import SamplingPlan, TargetRoster, simulate_policy
from randcheck.cli import main
from randcheck.results import figures as figures_module


def codes(n: int) -> list[str]:
    return [credit_code(k) for k in range(n)]


@pytest.fixture(scope="module")
def small_roster() -> TargetRoster:
    return TargetRoster.from_columns(
        {"credit_code": codes(400), "risk_class": ["A", "B", "C", "D"] * 100}
    )


# --- finding 7: Chinese labels are drawn, not empty boxes --------------------------------------
def test_chinese_labels_render_with_an_installed_cjk_font(small_roster: TargetRoster) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    if figures_module.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    designs = {"河南方案": SamplingPlan(rates={"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.5})}
    sim = simulate_policy(
        small_roster, designs, {"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}, years=3, rng=1
    )
    fig = sim.plot(["findings"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        fig.canvas.draw()
    label = fig.axes[0].get_xticklabels()[0]
    assert label.get_text() == "河南方案"
    assert label.get_fontfamily()[0] == figures_module.cjk_font()


def test_without_a_cjk_font_plots_warn_once_how_to_install_one(
    small_roster: TargetRoster, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib").use("Agg")
    monkeypatch.setattr(figures_module, "cjk_font", lambda: None)
    monkeypatch.setattr(figures_module, "_cjk_warned", [])
    sim = simulate_policy(
        small_roster,
        {"a": SamplingPlan(rates={"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1})},
        [0.1] * 400,
        years=2,
        rng=1,
    )
    with pytest.warns(UserWarning, match="apt-get install fonts-noto-cjk"):
        sim.plot(["findings"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sim.plot(["findings"])  # the second time: no warning


# --- the command line: teams with names, the sample with the class letter ----------------------
def test_draw_sample_keeps_the_rosters_class_letter(tmp_path: pathlib.Path) -> None:
    roster = tmp_path / "t.csv"
    roster.write_text(
        "credit_code,risk_class\n"
        + "".join(f"{c},{'ABCD'[k % 4]}\n" for k, c in enumerate(codes(40))),
        encoding="utf-8",
    )
    plan = tmp_path / "plan.json"
    plan.write_text('{"rates": {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}}', encoding="utf-8")
    sample = tmp_path / "sample.csv"
    args = ["draw", "--roster", str(roster), "--plan", str(plan), "--seed", "s"]
    assert main([*args, "--out", str(tmp_path / "r.json"), "--sample", str(sample)]) == 0
    rows = list(csv.DictReader(io.StringIO(sample.read_text(encoding="utf-8"))))
    given = dict(line.split(",") for line in roster.read_text(encoding="utf-8").splitlines()[1:])
    assert rows
    assert all(r["risk_class"] == given[r["credit_code"]] for r in rows)


def test_match_teams_name_each_officer(tmp_path: pathlib.Path) -> None:
    county = randcheck.example_county()
    officers = tmp_path / "officers.csv"
    county.officers.to_csv(officers)
    code = county.targets.credit_code[0].decode()
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "credit_code,items,departments,lead_department,skills,area,team_size\n"
        f"{code},SW-01,商务局,商务局,,130634100,2\n",
        encoding="utf-8",
    )
    out = tmp_path / "teams.csv"
    args = ["match", "--visits", str(visits), "--officers", str(officers), "--seed", "s"]
    assert main([*args, "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    by_id = {o.officer_id: o for o in (county.officers[i] for i in range(len(county.officers)))}
    assert len(rows) == 2
    for r in rows:
        o = by_id[r["officer_id"]]
        assert (r["name"], r["unit"], r["department"]) == (o.name, o.unit, o.department)


def test_cli_outputs_take_chinese_headers_and_a_bom(tmp_path: pathlib.Path) -> None:
    roster = tmp_path / "t.csv"
    roster.write_text(
        "credit_code,risk_class\n"
        + "".join(f"{c},{'ABCD'[k % 4]}\n" for k, c in enumerate(codes(40))),
        encoding="utf-8",
    )
    plan = tmp_path / "plan.json"
    plan.write_text('{"rates": {"A": 0.5, "B": 0.5, "C": 0.5, "D": 0.5}}', encoding="utf-8")
    sample = tmp_path / "sample.csv"
    args = ["draw", "--roster", str(roster), "--plan", str(plan), "--seed", "s", "--bom"]
    assert (
        main([*args, "--headers", "zh", "--out", str(tmp_path / "r.json"), "--sample", str(sample)])
        == 0
    )
    raw = sample.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == (
        "统一社会信用代码,企业名称,行政区划,信用风险等级,抽样层,入样概率"
    )
    events = tmp_path / "e.csv"
    events.write_text("编号,检查结束日期\n甲,2025-09-26\n", encoding="utf-8")
    due = tmp_path / "due.csv"
    args = ["deadline", "--events", str(events), "--as-of", "2025-10-09", "--headers", "zh"]
    assert main([*args, "--out", str(due)]) == 0
    assert due.read_text(encoding="utf-8").splitlines() == [
        "编号,检查结束日期,到期日,期限状态",
        "甲,2025-09-26,2025-10-30,未到期",
    ]


def test_match_teams_with_chinese_headers(tmp_path: pathlib.Path) -> None:
    county = randcheck.example_county()
    officers = tmp_path / "officers.csv"
    county.officers.to_csv(officers)
    code = county.targets.credit_code[0].decode()
    visits = tmp_path / "visits.csv"
    visits.write_text(f"credit_code,departments\n{code},商务局\n", encoding="utf-8")
    out = tmp_path / "teams.csv"
    args = ["match", "--visits", str(visits), "--officers", str(officers), "--seed", "s"]
    assert main([*args, "--out", str(out), "--headers", "zh", "--bom"]) == 0
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0] == "统一社会信用代码,执法证号,姓名,所属单位,部门,角色"
    assert len(lines) == 3
