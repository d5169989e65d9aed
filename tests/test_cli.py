"""The command line: each command on the example data, and its errors."""

from __future__ import annotations

import csv
import json
import pathlib

import pytest

import randcheck
from _helpers import LEGACY, A, B, C, write
from randcheck.cli import main

SEED = "2023-03-07 双色球 04 09 13 17 26 31 + 12"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    folder = tmp_path_factory.mktemp("cli")
    county = randcheck.example_county()
    small = county.targets.take(list(range(3000)))
    small.to_csv(folder / "roster.csv")
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    (folder / "plan.json").write_text(plan.to_json(), encoding="utf-8")
    (folder / "plan.toml").write_text(
        'format = "randcheck-plan/1"\nrates = { A = 0.01, B = 0.02, C = 0.1, D = 0.3 }\n',
        encoding="utf-8",
    )
    return {
        "roster": folder / "roster.csv",
        "plan": folder / "plan.json",
        "toml": folder / "plan.toml",
        "dir": folder,
    }


def test_commit_draw_verify_round_trip(
    files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    assert (
        main(
            [
                "commit",
                "--roster",
                str(files["roster"]),
                "--extra",
                "risk_score",
                "--plan",
                str(files["plan"]),
                "--seed-rule",
                "shuangseqiu@2023-03-07",
                "--seed-from",
                "福利彩票双色球 2023-03-07 开奖结果",
                "--out",
                str(d / "commitment.json"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "draw",
                "--roster",
                str(files["roster"]),
                "--extra",
                "risk_score",
                "--plan",
                str(files["plan"]),
                "--seed",
                SEED,
                "--commitment",
                str(d / "commitment.json"),
                "--out",
                str(d / "receipt.json"),
                "--sample",
                str(d / "sample.csv"),
            ]
        )
        == 0
    )
    receipt = json.loads((d / "receipt.json").read_text(encoding="utf-8"))
    assert receipt["commitment"] == json.loads((d / "commitment.json").read_text())["digest"]
    lines = (d / "sample.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "credit_code,name,area,risk_class,stratum,inclusion_probability"
    assert len(lines) - 1 == receipt["sample_size"]
    assert (
        main(
            [
                "verify",
                str(d / "receipt.json"),
                "--roster",
                str(files["roster"]),
                "--extra",
                "risk_score",
            ]
        )
        == 0
    )
    assert "样本一致" in capsys.readouterr().out
    # The commitment alone checks the roster, and says that no draw was checked.
    args = ["verify", str(d / "commitment.json"), "--roster", str(files["roster"])]
    assert main([*args, "--extra", "risk_score"]) == 0
    out = capsys.readouterr().out
    assert "样本一致" not in out
    assert out.startswith("verified: the commitment matches this roster (名录指纹一致); no draw")


def test_a_toml_plan_draws_like_the_json_plan(
    files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    outs = []
    for plan in (files["plan"], files["toml"]):
        assert (
            main(
                [
                    "draw",
                    "--roster",
                    str(files["roster"]),
                    "--extra",
                    "risk_score",
                    "--plan",
                    str(plan),
                    "--seed",
                    SEED,
                ]
            )
            == 0
        )
        outs.append(json.loads(capsys.readouterr().out)["sample_digest"])
    assert outs[0] == outs[1]


def test_a_plan_is_read_as_utf8_whatever_the_tables_encoding(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A county's roster in GBK, its plan in UTF-8 (as TOML requires): the plan's Chinese name
    # goes into the receipt as written, not as mojibake.
    roster = tmp_path / "roster-gbk.csv"
    roster.write_text(files["roster"].read_text(encoding="utf-8"), encoding="gb18030")
    plan = tmp_path / "plan.toml"
    text = (
        'format = "randcheck-plan/1"\nname = "2025年度定向抽查"\n'
        "rates = { A = 0.01, B = 0.02, C = 0.1, D = 0.3 }\n"
    )
    plan.write_text(text, encoding="utf-8")
    args = ["draw", "--roster", str(roster), "--encoding", "gb18030", "--extra", "risk_score"]
    assert main([*args, "--plan", str(plan), "--seed", SEED]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["name"] == "2025年度定向抽查"
    # Saved in GBK by a Windows editor, it is read with --encoding, and refused without it.
    plan.write_text(text, encoding="gb18030")
    assert main([*args, "--plan", str(plan), "--seed", SEED]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["name"] == "2025年度定向抽查"
    utf8 = ["draw", "--roster", str(files["roster"]), "--extra", "risk_score"]
    assert main([*utf8, "--plan", str(plan), "--seed", SEED]) == 2
    err = capsys.readouterr().err
    assert f"{plan}, line 2: not UTF-8 text; a plan is TOML or JSON, which are UTF-8" in err


def test_verify_exits_1_when_the_roster_changed(
    files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    main(
        [
            "draw",
            "--roster",
            str(files["roster"]),
            "--extra",
            "risk_score",
            "--plan",
            str(files["plan"]),
            "--seed",
            SEED,
            "--out",
            str(d / "r2.json"),
        ]
    )
    text = files["roster"].read_text(encoding="utf-8").splitlines()
    (d / "changed.csv").write_text("\n".join(text[:-1]) + "\n", encoding="utf-8")
    assert (
        main(
            [
                "verify",
                str(d / "r2.json"),
                "--roster",
                str(d / "changed.csv"),
                "--extra",
                "risk_score",
            ]
        )
        == 1
    )
    assert "roster changed" in capsys.readouterr().err


def test_bad_input_exits_2_with_one_line(
    files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "draw",
                "--roster",
                str(files["dir"] / "missing.csv"),
                "--plan",
                str(files["plan"]),
                "--seed",
                SEED,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("randcheck: error:")
    assert "missing.csv" in err[-1]
    (files["dir"] / "bad.json").write_text("{not json", encoding="utf-8")
    assert (
        main(
            [
                "draw",
                "--roster",
                str(files["roster"]),
                "--extra",
                "risk_score",
                "--plan",
                str(files["dir"] / "bad.json"),
                "--seed",
                SEED,
            ]
        )
        == 2
    )
    assert "not valid JSON" in capsys.readouterr().err
    # Reviewer's finding: a CSV given as the plan was "not valid CSV" (it is read as JSON).
    args = ["draw", "--roster", str(files["roster"]), "--plan", str(files["roster"])]
    assert main([*args, "--seed", SEED, "--extra", "risk_score"]) == 2
    assert "not valid JSON (" in capsys.readouterr().err
    assert (
        main(
            [
                "draw",
                "--roster",
                str(files["roster"]),
                "--extra",
                "risk_score",
                "--plan",
                str(files["plan"]),
                "--seed",
                "   ",
            ]
        )
        == 2
    )
    assert "seed" in capsys.readouterr().err


def test_deadline_counts_working_days_across_national_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deadline", "2023-09-28", "--workdays", "20"]) == 0
    assert capsys.readouterr().out.strip() == "2023-11-01"


def test_deadline_for_a_batch_file(tmp_path: pathlib.Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "visit,inspection_end,done\nv1,2023-09-28,\nv2,2023-05-04,2023-05-10\n", encoding="utf-8"
    )
    out = tmp_path / "due.csv"
    assert (
        main(["deadline", "--events", str(events), "--as-of", "2023-12-01", "--out", str(out)]) == 0
    )
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "visit,inspection_end,done,due,status"
    assert rows[1].startswith("v1,2023-09-28,,2023-11-01,已逾期")


def test_demo_runs_the_year_and_writes_an_archive_that_verifies(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    for step in (
        "公示承诺",
        "合并检查",
        "随机匹配执法人员",
        "结果录入公示期限",
        "coverage:",
        "样本一致",
        "every round's teams recompute from its commitment and the officers' seed",
    ):
        assert step in out
    names = {p.name for p in (tmp_path / "demo").iterdir()}
    assert {"receipt.json", "visits.csv", "teams.csv", "results.csv", "publication.csv"} <= names
    # Each round's matching: its commitment (published before the officers' seed) and record.
    for k in range(1, 9):
        c = randcheck.Commitment.from_json(
            (tmp_path / "demo" / f"matching-round-{k}-commitment.json").read_text("utf-8")
        )
        record = json.loads((tmp_path / "demo" / f"matching-round-{k}.json").read_text("utf-8"))
        assert record["path"] == list(c.path) == [f"batch/2023/matching/round-{k}"]
        assert c.rule.canonical(record["seed"]) == record["seed"]
    assert main(["verify", "--archive", str(tmp_path / "demo")]) == 0
    assert "draws recomputed" in capsys.readouterr().out
    # Each round's teams recompute on the command line from the files in the archive.
    demo = tmp_path / "demo"
    for k in (1, 8):
        files = [
            f"matching-round-{k}.json",
            "--visits",
            f"matching-round-{k}-visits.csv",
            "--officers",
            "officers.csv",
            "--conflicts",
            "conflicts.csv",
            "--commitment",
            f"matching-round-{k}-commitment.json",
        ]
        args = [a if a.startswith("--") else str(demo / a) for a in files]
        assert main(["verify", *args]) == 0
        assert "检查组一致" in capsys.readouterr().out
    # A round's record shown under another round's commitment (a matcher who re-drew round 1
    # under round 2's published chances): refused.
    other = [*args[:-1], str(demo / "matching-round-2-commitment.json")]
    assert main(["verify", *other]) == 1
    assert "verification failed" in capsys.readouterr().err
    # The county's files in GBK verify with --encoding; a code typed in lower case in the
    # conflicts list is refused, naming its row, not read as another enterprise.
    for name in ("officers.csv", "conflicts.csv"):
        text = (demo / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text, encoding="gb18030")
    folder = {"officers.csv": tmp_path, "conflicts.csv": tmp_path}  # the GBK copies
    gbk = [a if a.startswith("--") else str(folder.get(a, demo) / a) for a in files]
    assert main(["verify", *gbk, "--encoding", "gb18030"]) == 0
    assert "检查组一致" in capsys.readouterr().out
    lines = (tmp_path / "conflicts.csv").read_text(encoding="gb18030").splitlines()
    lines[1] = lines[1].replace("MAFF3EKHX8", "maff3ekhx8")
    (tmp_path / "conflicts.csv").write_text("\n".join(lines) + "\n", encoding="gb18030")
    assert main(["verify", *gbk, "--encoding", "gb18030"]) == 2
    err = capsys.readouterr().err
    assert "row 2" in err
    assert "91130634MAFF3EKHX8" in err


def test_demo_refuses_a_folder_that_is_not_empty(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    assert main(["demo", "--out", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_help_for_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("demo", "commit", "draw", "verify", "deadline"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert "usage: randcheck " + command in capsys.readouterr().out


@pytest.fixture(scope="module")
def county_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    folder = tmp_path_factory.mktemp("county")
    county = randcheck.example_county()
    county.targets.to_csv(folder / "targets.csv")
    county.officers.to_csv(folder / "officers.csv")
    (folder / "conflicts.csv").write_text(
        "执法证号,统一社会信用代码,回避事由\n"
        + "".join(f"{c.officer_id},{c.credit_code},{c.reason}\n" for c in county.conflicts),
        encoding="utf-8",
    )
    (folder / "units.csv").write_text(
        "unit,area\n"
        + "".join(f"{u},{a}\n" for u, areas in county.unit_areas.items() for a in sorted(areas)),
        encoding="utf-8",
    )
    items = pathlib.Path(randcheck.__file__).parent / "data" / "example_county" / "items.toml"
    return {
        "dir": folder,
        "targets": folder / "targets.csv",
        "items": items,
        "officers": folder / "officers.csv",
        "conflicts": folder / "conflicts.csv",
        "units": folder / "units.csv",
    }


def test_batch_match_and_verify_drive_a_whole_batch(
    county_files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    f, d = county_files, county_files["dir"]
    roster = ["--roster", str(f["targets"]), "--extra", "risk_score"]
    assert (
        main(
            [
                "batch",
                *roster,
                "--items",
                str(f["items"]),
                "--commit-only",
                "--lead",
                "商务局",
                "--seed-rule",
                "shuangseqiu@2023-03-07",
                "--seed-from",
                "福利彩票双色球 2023-03-07 开奖结果",
                "--out",
                str(d / "commitment.json"),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "batch",
                *roster,
                "--items",
                str(f["items"]),
                "--seed",
                SEED,
                "--commitment",
                str(d / "commitment.json"),
                "--lead",
                "商务局",
                "--out",
                str(d / "batch.json"),
                "--visits",
                str(d / "visits.csv"),
            ]
        )
        == 0
    )
    receipt = json.loads((d / "batch.json").read_text(encoding="utf-8"))
    assert receipt["format"] == "randcheck-batch/2"
    assert receipt["commitment"] == json.loads((d / "commitment.json").read_text())["digest"]
    match_args = [
        "match",
        "--visits",
        str(d / "visits.csv"),
        "--officers",
        str(f["officers"]),
        "--conflicts",
        str(f["conflicts"]),
        "--seed",
        SEED,
        "--cross-jurisdiction",
        "--unit-areas",
        str(f["units"]),
    ]
    assert (
        main([*match_args, "--out", str(d / "teams.csv"), "--recusals", str(d / "recusals.csv")])
        == 0
    )
    teams = (d / "teams.csv").read_text(encoding="utf-8").splitlines()
    assert teams[0] == "credit_code,officer_id,name,unit,department,role"
    assert len(teams) - 1 >= 2 * receipt["visits"]
    # The recipe is named explicitly the same way; retired recipes are refused.
    same_recipe = [*match_args, "--recipe", "randcheck-matching/3"]
    assert main([*same_recipe, "--out", str(d / "teams3.csv")]) == 0
    assert (d / "teams3.csv").read_text(encoding="utf-8").splitlines() == teams
    # Reviewer's finding: --unit-areas without --cross-jurisdiction was silently ignored.
    alone = [a for a in match_args if a != "--cross-jurisdiction"]
    assert main([*alone, "--out", str(d / "teams4.csv")]) == 2
    assert "--unit-areas says which areas each unit covers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*match_args, "--recipe", "randcheck-matching/1"])
    assert main(["verify", str(d / "batch.json"), *roster]) == 0
    assert "样本一致" in capsys.readouterr().out


def test_match_reports_an_infeasible_batch_in_one_line(
    county_files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "credit_code,items,departments,lead_department,skills,area,team_size\n"
        "91350100M000100Y43,X-1,商务局,商务局,火箭发射,130634100,2\n",
        encoding="utf-8",
    )
    assert (
        main(
            [
                "match",
                "--visits",
                str(visits),
                "--officers",
                str(county_files["officers"]),
                "--seed",
                SEED,
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len([line for line in err if line.startswith("randcheck: error:")]) == 1
    assert "火箭发射" in err[-1]


def _match_one_visit(tmp_path: pathlib.Path, county_files: dict[str, pathlib.Path]) -> list[str]:
    """``randcheck match`` arguments (no seed) for one visit of two officers of the county."""
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "credit_code,items,departments,lead_department,skills,area,team_size\n"
        "91350100M000100Y43,X-1,商务局,商务局,,130634100,2\n",
        encoding="utf-8",
    )
    return ["match", "--visits", str(visits), "--officers", str(county_files["officers"])]


def test_match_commits_then_matches_under_the_commitment(
    tmp_path: pathlib.Path,
    county_files: dict[str, pathlib.Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _match_one_visit(tmp_path, county_files)
    commitment, record = tmp_path / "matching-commitment.json", tmp_path / "matching.json"
    rule = ["--seed-rule", "shuangseqiu@2025-03-06", "--seed-from", "双色球 2025-03-06"]
    assert main([*args, "--commit-only", *rule, "--out", str(commitment)]) == 0
    seed = "2025-03-06 03 08 14 22 27 31 + 09"
    out = tmp_path / "teams.csv"
    committed = ["--seed", seed, "--commitment", str(commitment), "--out", str(out)]
    assert main([*args, *committed, "--record", str(record)]) == 0
    assert "WARNING" not in capsys.readouterr().err
    county = randcheck.example_county()
    visits = [
        randcheck.models.Visit(
            "91350100M000100Y43",
            items=("X-1",),
            departments=("商务局",),
            lead_department="商务局",
            area="130634100",
        )
    ]
    randcheck.matching.verify_matching(
        record.read_text(encoding="utf-8"),
        visits,
        county.officers,
        commitment=commitment,
    )
    # A re-roll with another key label is refused; without a commitment, a warning says so.
    assert main([*args, *committed, "--key-label", "matching-2"]) == 2
    assert "the commitment fixes the key path" in capsys.readouterr().err
    assert main([*args, "--seed", seed]) == 0
    assert "WARNING: no commitment" in capsys.readouterr().err


def test_verify_recomputes_a_matching_record_from_its_files(
    tmp_path: pathlib.Path,
    county_files: dict[str, pathlib.Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The command line verifies a matching record against the visits, officers and conflicts
    it was matched from, and against its commitment; an edited record, other visits or the
    wrong inputs are refused."""
    args = _match_one_visit(tmp_path, county_files)
    commitment, record = tmp_path / "matching-commitment.json", tmp_path / "matching.json"
    rule = ["--seed-rule", "shuangseqiu@2025-03-06", "--seed-from", "双色球 2025-03-06"]
    assert main([*args, "--commit-only", *rule, "--out", str(commitment)]) == 0
    seed = "2025-03-06 03 08 14 22 27 31 + 09"
    matched = ["--seed", seed, "--commitment", str(commitment), "--record", str(record)]
    assert main([*args, *matched, "--out", str(tmp_path / "teams.csv")]) == 0
    capsys.readouterr()
    inputs = args[1:]  # --visits V --officers O
    assert main(["verify", str(record), *inputs, "--commitment", str(commitment)]) == 0
    out, err = capsys.readouterr()
    assert "检查组一致" in out
    assert "WARNING" not in err
    assert main(["verify", str(record), *inputs]) == 0  # against what it states: a warning
    assert "WARNING: checked against what the record itself states" in capsys.readouterr().err
    # An insider edits the published teams: the record no longer recomputes.
    data = json.loads(record.read_text(encoding="utf-8"))
    officers = [row.split(",")[0] for row in county_files["officers"].read_text().splitlines()]
    team = data["teams"][0]
    team[1] = next(o for o in officers[1:] if o not in team)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(edited), *inputs, "--commitment", str(commitment)]) == 1
    assert "verification failed" in capsys.readouterr().err
    # Other visits (a larger team) than those matched: refused.
    other = tmp_path / "other-visits.csv"
    text = pathlib.Path(inputs[1]).read_text(encoding="utf-8")
    other.write_text(text.replace(",2\n", ",3\n"), encoding="utf-8")
    assert main(["verify", str(record), "--visits", str(other), *inputs[2:]]) == 1
    err = capsys.readouterr().err
    assert "verification failed" in err
    assert "hint: the record must be recomputed from the very files" in err
    # The record itself given as the commitment: bad input, naming the file.
    assert main(["verify", str(record), *inputs, "--commitment", str(record)]) == 2
    assert f"{record}: not a commitment as randcheck writes it" in capsys.readouterr().err
    # The wrong inputs for the kind of record: bad input, one line each.
    cases = {
        ("--visits", inputs[1]): "give --visits and --officers",
        ("--roster", str(county_files["targets"]), *inputs): "--roster does not go with it",
        # Options for another kind of record are refused, not silently ignored.
        (*inputs, "--results", str(tmp_path / "none.csv")): "--results does not go with it",
    }
    for given, words in cases.items():
        assert main(["verify", str(record), *given]) == 2
        assert words in capsys.readouterr().err


def test_verify_recomputes_a_revisit_receipt_from_its_results(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    n = 60
    cols = {
        "result_id": [f"2023-{i:04d}" for i in range(n)],
        "credit_code": [f"91130634MA{i:08d}" for i in range(n)],
        "item": ["SW-01"] * n,
        "department": [["商务局", "市场监管局"][i % 2] for i in range(n)],
        "categories": [["未发现问题", "违反其他相关规定"][i % 2] for i in range(n)],
        "followups": ["责令改正" if i % 2 else "" for i in range(n)],
        "inspectors": [f"O{i % 7};O{(i + 1) % 7}" for i in range(n)],
        "entered_by": [f"O{i % 7}" for i in range(n)],
        "inspection_end": ["2023-05-10"] * n,
        "entered_on": ["2023-05-12"] * n,
    }
    results = randcheck.results.ResultTable.from_columns(cols)
    table = tmp_path / "results.csv"
    results.to_csv(table, encoding="gb18030", headers="zh")
    plan = randcheck.results.RevisitPlan(by="department", rate=0.2)
    c = randcheck.results.commit_revisits(
        results,
        plan,
        as_of="2023-12-31",
        seed_rule=randcheck.SeedRule.shuangseqiu(date="2024-01-09"),
        seed_from="双色球 2024-01-09",
    )
    commitment = tmp_path / "revisit-commitment.json"
    commitment.write_text(c.to_json(), encoding="utf-8")
    r = randcheck.results.draw_revisits(
        results, plan, as_of="2023-12-31", seed="2024-01-09 01 02 03 04 05 06 + 07", commitment=c
    )
    receipt = tmp_path / "revisits.json"
    receipt.write_text(r.receipt.to_json(), encoding="utf-8")
    verify = ["verify", str(receipt), "--results", str(table), "--encoding", "gb18030"]
    assert main([*verify, "--commitment", str(commitment)]) == 0
    assert "回访样本一致" in capsys.readouterr().out
    # A result entered later is left out of the frame; one removed changes it: refused.
    lines = table.read_text(encoding="gb18030").splitlines(keepends=True)
    table.write_text("".join(lines[:-1]), encoding="gb18030")
    assert main([*verify, "--commitment", str(commitment)]) == 1
    assert "verification failed" in capsys.readouterr().err
    assert main(["verify", str(receipt)]) == 2
    assert "a revisit receipt, recomputed from the result table" in capsys.readouterr().err
    assert main([*verify, "--visits", str(table)]) == 2
    assert "--visits does not go with it" in capsys.readouterr().err


def test_match_reads_the_visits_batch_wrote_in_chinese_beside_gbk_tables(
    tmp_path: pathlib.Path,
    county_files: dict[str, pathlib.Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # batch --visits --headers zh writes UTF-8 with Chinese headers; a county's unit table is
    # GBK with Chinese headers; --encoding gb18030 is meant for the county's tables.
    f = county_files
    visits = tmp_path / "visits.csv"
    batch = ["batch", "--roster", str(f["targets"]), "--extra", "risk_score"]
    batch += ["--items", str(f["items"]), "--seed", SEED, "--lead", "商务局"]
    assert main([*batch, "--visits", str(visits), "--headers", "zh"]) == 0
    assert visits.read_text(encoding="utf-8").startswith("统一社会信用代码,")
    units = tmp_path / "units.csv"
    text = f["units"].read_text(encoding="utf-8").replace("unit,area", "所属单位,行政区划")
    units.write_text(text, encoding="gb18030")
    officers = tmp_path / "officers.csv"
    officers.write_text(f["officers"].read_text(encoding="utf-8"), encoding="gb18030")
    args = ["match", "--visits", str(visits), "--officers", str(officers)]
    args += ["--encoding", "gb18030", "--cross-jurisdiction", "--unit-areas", str(units)]
    out = tmp_path / "teams.csv"
    assert main([*args, "--seed", SEED, "--out", str(out)]) == 0
    english = tmp_path / "visits-en.csv"
    assert main([*batch, "--visits", str(english)]) == 0
    assert main([*args[:2], str(english), *args[3:], "--seed", SEED]) == 0
    assert out.read_text(encoding="utf-8").count("\n") > 1
    capsys.readouterr()
    units.write_text("单位名称,地区\n一所,130634\n", encoding="gb18030")
    assert main([*args, "--seed", SEED]) == 2
    assert "needs the columns unit (所属单位) and area (行政区划)" in capsys.readouterr().err


def test_match_refuses_a_team_cap_the_batch_cannot_keep(
    county_files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _match_one_visit(tmp_path, county_files)
    assert main([*args, "--seed", SEED, "--team-cap", "0.001"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "the team cap 0.001 is below the teaming bound of officers" in err[-1]
    assert main([*args, "--seed", SEED, "--team-cap", "1"]) == 0


def test_match_refuses_a_batch_above_max_pairs_and_says_how_to_split(
    county_files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = _match_one_visit(tmp_path, county_files)
    assert main([*args, "--seed", SEED, "--max-pairs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "more than the 1 of max_pairs" in err[-1]
    assert "Split it by area, unit or department" in err[-1]
    assert main([*args, "--seed", SEED]) == 0


def test_report_prints_and_writes_the_year_figures(
    county_files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from randcheck.policy import simulate_results

    county = randcheck.example_county()
    drawn = randcheck.draw(
        county.targets, randcheck.SamplingPlan.from_preset("henan-2021"), seed=SEED
    )
    simulate_results(
        drawn,
        county.targets,
        {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.3},
        rng=1,
        department="商务局",
        task="t",
    ).to_csv(tmp_path / "results.csv")
    assert (
        main(
            [
                "report",
                "--roster",
                str(county_files["targets"]),
                "--extra",
                "risk_score",
                "--results",
                str(tmp_path / "results.csv"),
                "--year",
                "2023",
                "--out",
                str(tmp_path / "figures.csv"),
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert captured.out.startswith("coverage: 2.8")
    assert "has no result of" not in captured.err
    header = (tmp_path / "figures.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("figure,by,group,numerator,denominator,value")
    # A year without results: said, and no rate of 0/0 printed as nan%.
    args = ["report", "--roster", str(county_files["targets"]), "--extra", "risk_score"]
    assert main([*args, "--results", str(tmp_path / "results.csv"), "--year", "2019"]) == 0
    captured = capsys.readouterr()
    assert "nan" not in captured.out
    assert "none to count (0/0)" in captured.out
    assert "results.csv has no result of 2019" in captured.err


def test_batch_with_an_unknown_item_field_names_the_row(
    county_files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    items = tmp_path / "items.csv"
    items.write_text("code,name,department,colour\nSW-1,x,商务局,red\n", encoding="utf-8")
    assert (
        main(
            [
                "batch",
                "--roster",
                str(county_files["targets"]),
                "--extra",
                "risk_score",
                "--items",
                str(items),
                "--seed",
                SEED,
            ]
        )
        == 2
    )
    assert "column 'colour': unknown column; items have code" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["batch", "match", "report"])
def test_help_for_the_batch_commands(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "usage: randcheck " + command in capsys.readouterr().out


def test_deadline_for_officer_matching_defaults_to_two_working_days(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["deadline", "2023-09-28", "--rule", "matching"]) == 0
    assert capsys.readouterr().out.strip() == "2023-10-08"  # 7 and 8 Oct are 调休 working days


def test_a_gbk_roster_loads_with_encoding(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(files["roster"].read_text(encoding="utf-8").encode("gb18030"))
    args = ["commit", "--roster", str(gbk), "--extra", "risk_score", "--plan", str(files["plan"])]
    args += ["--seed-rule", "dice:6@2023-03-07", "--seed-from", "six dice rolled in public"]
    assert main(args) == 2
    assert "--encoding gb18030" in capsys.readouterr().err
    assert main([*args, "--encoding", "gb18030"]) == 0


def test_verify_of_a_missing_archive_is_bad_input(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--archive", str(tmp_path / "nothing")]) == 2
    assert "no such archive" in capsys.readouterr().err


def test_bad_values_from_the_library_are_one_line_errors(
    county_files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    visits = tmp_path / "visits.csv"
    visits.write_text(
        "credit_code,items,departments,lead_department,skills,area,team_size\n"
        "91350100M000100Y43,X-1,商务局,商务局,,130634100,2\n",
        encoding="utf-8",
    )
    assert (
        main(
            [
                "match",
                "--visits",
                str(visits),
                "--officers",
                str(county_files["officers"]),
                "--seed",
                SEED,
                "--team-size",
                "1",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("randcheck: error:")


def test_verify_reads_the_published_roster_as_it_is(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--out", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    d = tmp_path / "d"
    assert main(["verify", str(d / "receipt.json"), "--roster", str(d / "roster.csv")]) == 0
    assert "样本一致" in capsys.readouterr().out


def test_a_bad_plan_file_is_named(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"rates": {"A": 0.1}, "no_exemptoin": true}', encoding="utf-8")
    assert (
        main(
            [
                "commit",
                "--roster",
                str(files["roster"]),
                "--extra",
                "risk_score",
                "--plan",
                str(plan),
                "--seed-rule",
                "dice:6@2023-03-07",
                "--seed-from",
                "six dice rolled in public",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "plan.json: unknown plan field(s): no_exemptoin" in err


@pytest.mark.parametrize("name", ["roster.parquet", "roster-export"])
def test_a_parquet_roster_is_read_by_suffix_or_by_its_first_bytes(
    name: str,
    files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A Parquet roster is read as Parquet (not refused as text that is not UTF-8), and its
    receipt verifies against the same roster as CSV."""
    pq = pytest.importorskip("pyarrow.parquet")
    roster = randcheck.TargetRoster.from_csv(files["roster"], extra=["risk_score"])
    path = tmp_path / name
    pq.write_table(roster.to_arrow(), path, row_group_size=1000)
    assert main(["check", str(path), "--extra", "risk_score"]) == 0
    assert f"{path}: 3000 rows, no problems" in capsys.readouterr().out
    receipt = tmp_path / "receipt.json"
    draw = ["draw", "--roster", str(path), "--extra", "risk_score", "--plan", str(files["plan"])]
    assert main([*draw, "--seed", SEED, "--out", str(receipt)]) == 0
    verify = ["verify", str(receipt), "--roster", str(files["roster"]), "--extra", "risk_score"]
    assert main(verify) == 0
    assert "样本一致" in capsys.readouterr().out


# --- defects a new user of the command line found --------------------------------------------
def test_check_of_results_lists_every_result_whose_target_is_not_in_the_roster(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`check --kind results --roster` reports, in the file's one problem report, each row whose
    target `report` would refuse, by its row in the file (a blank line counts)."""
    roster = write(tmp_path / "targets.csv", f"credit_code,risk_class\n{A},A\n")
    results = write(
        tmp_path / "results.csv",
        "统一社会信用代码,item,categories,inspection_end\n"
        f"{A},SW-1,未发现问题,2023-05-10\n"
        f"{B},SW-1,未发现问题,2023-05-10\n"
        f"{A},SW-2,未发现问题,2023-13-10\n"
        "\n"
        f"{C},SW-1,未发现问题,2023-05-11\n",
    )
    out = tmp_path / "problems.csv"
    args = ["check", str(results), "--kind", "results", "--roster", str(roster)]
    assert main([*args, "--report", str(out)]) == 2
    err = capsys.readouterr().err
    assert "results.csv: 3 problems (2 × this target is not in the directory; 1 × not a date" in err
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[:3] for r in rows[1:]] == [
        ["3", "统一社会信用代码", B],
        ["4", "inspection_end", "2023-13-10"],
        ["6", "统一社会信用代码", C],
    ]
    assert rows[1][3] == "this target is not in the directory"
    assert str(roster) in rows[1][4]  # the fix names the directory to add the target to
    # The directory must exist: it is read, not ignored.
    assert main([*args[:-1], str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("randcheck: error:")
    assert "missing.csv: cannot open the file" in err[-1]


@pytest.mark.parametrize("kind", ["targets", "officers", "items", "conflicts", "events"])
def test_check_refuses_a_roster_for_any_other_kind(
    kind: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = write(tmp_path / "targets.csv", f"credit_code,risk_class\n{A},A\n")
    assert main(["check", str(roster), "--kind", kind, "--roster", str(roster)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "randcheck: error: --roster is used only with --kind results (the target directory that "
        f"every result's credit code must be in); leave it out for --kind {kind}"
    ]


def test_check_counts_what_it_accepted_as_remarks_not_problems(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "r.csv", f"credit_code,risk_class\n{A},A\n{LEGACY},B\n")
    out = tmp_path / "remarks.csv"
    assert main(["check", str(path), "--legacy-codes", "--report", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{path}: 2 rows, accepted with 1 remark (above)\n"
    assert captured.err.startswith(f"{path}: 1 remark (1 × a legacy credit code, kept (--legacy")
    assert "problem" not in captured.out + captured.err
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[:3] for r in rows] == [["row", "column", "value"], ["3", "credit_code", LEGACY]]


def test_match_names_the_rows_of_conflicts_whose_officer_is_unknown(
    county_files: dict[str, pathlib.Path],
    tmp_path: pathlib.Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    known = str(randcheck.example_county().officers.officer_id[0])
    conflicts = write(
        tmp_path / "c1.csv",
        f"执法证号,统一社会信用代码,回避事由\n{known},{A},亲属\n\n13063420239999,{A},x\nX1,{B},\n",
    )
    args = [*_match_one_visit(tmp_path, county_files), "--seed", SEED]
    assert main([*args, "--conflicts", str(conflicts)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        f"randcheck: error: {conflicts}, column '执法证号': 2 conflicts [回避] name an officer who "
        f"is not in the officer directory {county_files['officers']} (row 4, value "
        "'13063420239999'; row 5, value 'X1'): a mistyped 执法证号 would leave a recusal "
        "unapplied; correct them, or give --unknown-conflicts ignore for a list shared across "
        "bureaus"
    )
    ignore = [*args, "--conflicts", str(conflicts), "--unknown-conflicts", "ignore"]
    assert main([*ignore, "--recusals", str(tmp_path / "recusals.csv")]) == 0
    assert f"ignored 2 conflicts in {conflicts}" in capsys.readouterr().err
    assert known in (tmp_path / "recusals.csv").read_text(encoding="utf-8")


def test_library_advice_on_unknown_conflicts_is_said_as_the_flag() -> None:
    from randcheck.cli import _cli_words

    said = _cli_words("correct them, or pass unknown_conflicts='ignore' for a shared list")
    assert said == "correct them, or pass --unknown-conflicts ignore for a shared list"


def test_deadline_in_a_year_without_holidays_names_the_year_file_option(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["deadline", "2090-06-01"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "no holiday schedule for 2090" in err[0]
    assert err[0].endswith(
        "To fix it, give the State Council's notice for 2090 as --year-file holidays-2090.toml "
        "(how-to: 'Register next year's holidays')"
    )
    assert "WorkCalendar" not in err[0]
    # The advice works.
    year = write(
        tmp_path / "holidays-2090.toml",
        'year = 2090\nsource = "test"\n\n[[holidays]]\nname = "元旦"\nstart = 2090-01-01\n',
    )
    assert main(["deadline", "2090-06-01", "--year-file", str(year)]) == 0
    assert capsys.readouterr().out.strip() == "2090-06-29"


def test_deadline_for_a_batch_names_the_file_row_of_a_year_without_holidays(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = write(
        tmp_path / "events.csv",
        "id,inspection_end\nx1,2025-03-04\nx2,\nx3,2025-03-05\nx4,2035-03-04\n",
    )
    assert main(["deadline", "--events", str(events), "--rule", "result"]) == 2
    err = capsys.readouterr().err
    assert "no holiday schedule for 2035 (events: row 5, inspection_end 2035-03-04)" in err
    assert "index" not in err
    # Blank rows (and rows of commas alone) are skipped, and the rows after them keep their
    # numbers in the file.
    events.write_text("id,inspection_end\nx1,2025-03-04\n\n,\nx4,2035-03-04\n", encoding="utf-8")
    assert main(["deadline", "--events", str(events), "--rule", "result"]) == 2
    assert "(events: row 5, inspection_end 2035-03-04)" in capsys.readouterr().err


def test_verify_of_a_file_that_is_not_a_receipt_is_bad_input(
    files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Status 2 for a file that is not a receipt (cut short, not JSON, another record); status
    1 stays for a receipt that reads but does not recompute."""
    d = files["dir"]
    roster = ["--roster", str(files["roster"]), "--extra", "risk_score"]
    draw = ["draw", *roster, "--plan", str(files["plan"]), "--seed", SEED]
    assert main([*draw, "--out", str(d / "whole.json")]) == 0
    text = (d / "whole.json").read_text(encoding="utf-8")
    cases = {
        "cut.json": (text[: len(text) // 2], "not valid JSON ("),
        "other.json": ('{"format": "randcheck-plan/1"}', "not a receipt (its format is"),
        "list.json": ("[1, 2]", "not a receipt (a receipt is a JSON object)"),
        "match.json": (
            '{"format": "randcheck-matching-record/1"}',
            "a matching record; --roster does not go with it",
        ),
    }
    for name, (content, words) in cases.items():
        (d / name).write_text(content, encoding="utf-8")
        assert main(["verify", str(d / name), *roster]) == 2, name
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith(f"randcheck: error: {d / name}: {words}"), err
    assert main(["verify", str(d / "whole.json"), *roster, "--unknown-conflicts", "ignore"]) == 2
    assert "--unknown-conflicts does not go with it" in capsys.readouterr().err
    tampered = json.loads(text)
    tampered["seed"] = "another seed"
    (d / "tampered.json").write_text(json.dumps(tampered, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(d / "tampered.json"), *roster]) == 1
    assert "randcheck: verification failed: sample differs" in capsys.readouterr().err


def test_verify_checks_a_batchs_items_against_the_published_list(
    county_files: dict[str, pathlib.Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Reviewer's finding: an item's department, skills or name edited in a batch receipt
    verified (the draws and the merge recompute: these fields are not in the batch commitment).
    Given the item list published with the batch, verify compares each item with it."""
    f, d = county_files, county_files["dir"]
    roster = ["--roster", str(f["targets"]), "--extra", "risk_score"]
    out = d / "b-items.json"
    args = ["batch", *roster, "--items", str(f["items"]), "--seed", SEED, "--out", str(out)]
    assert main(args) == 0
    receipt = json.loads(out.read_text(encoding="utf-8"))
    receipt["items"][0]["department"] = "另一部门"
    edited = d / "b-edited.json"
    edited.write_text(json.dumps(receipt, ensure_ascii=False), encoding="utf-8")
    assert main(["verify", str(edited), *roster]) == 0  # the gap: it recomputes alone
    capsys.readouterr()
    assert main(["verify", str(edited), *roster, "--items", str(f["items"])]) == 1
    assert "department differ from the item list given" in capsys.readouterr().err
    assert main(["verify", str(out), *roster, "--items", str(f["items"])]) == 0


def test_report_takes_year_files_and_names_the_option(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Reviewer's finding: ``report`` had no ``--year-file``, and its calendar error suggested
    the Python call. Results of late 2089 are due in 2090, a year without a schedule here."""
    code = "91350100M000100Y43"
    roster = write(tmp_path / "t.csv", f"统一社会信用代码,信用风险等级\n{code},A\n")
    results = write(
        tmp_path / "r.csv",
        "统一社会信用代码,抽查事项,检查结果,检查结束日期,公示日期\n"
        f"{code},SW-02,未发现问题,2089-12-20,\n",
    )
    args = ["report", "--roster", str(roster), "--results", str(results), "--year", "2089"]
    assert main([*args, "--as-of", "2090-03-01"]) == 2
    err = capsys.readouterr().err
    assert "--year-file holidays-2089.toml" in err
    assert "WorkCalendar" not in err
    years = []
    for y in (2089, 2090):
        text = f'year = {y}\nsource = "test"\n\n[[holidays]]\nname = "元旦"\nstart = {y}-01-01\n'
        years += ["--year-file", str(write(tmp_path / f"holidays-{y}.toml", text))]
    assert main([*args, "--as-of", "2090-03-01", *years]) == 0
    assert "publication_rate" in capsys.readouterr().out


def test_a_commitment_saved_in_another_encoding_is_bad_input(
    files: dict[str, pathlib.Path], tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = json.dumps({"recipe": "randcheck-commitment/2", "seed_from": "福彩"}, ensure_ascii=False)
    path = tmp_path / "c.json"
    path.write_bytes(c.encode("gb18030"))
    receipt = tmp_path / "r.json"
    d = randcheck.draw(
        randcheck.TargetRoster.from_csv(files["roster"], extra=["risk_score"]),
        randcheck.SamplingPlan(rates={"A": 0.1, "B": 0.1, "C": 0.1, "D": 0.1}),
        seed=SEED,
    )
    receipt.write_text(d.receipt.to_json(), encoding="utf-8")
    args = ["verify", str(receipt), "--roster", str(files["roster"]), "--extra", "risk_score"]
    assert main([*args, "--commitment", str(path)]) == 2
    assert "not UTF-8 text" in capsys.readouterr().err
