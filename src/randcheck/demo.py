"""The demo: a year's work on the bundled example county (``python -m randcheck demo``).

It runs the whole cycle a county bureau runs, with the library's public names only: load the
directories, publish a commitment, draw the year's batch with a public seed, merge items into
visits, match officers, compute result deadlines, record results, produce the year-end figures,
verify the receipt and write the archive. Every number it prints can be recomputed from the files
it writes.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from importlib import resources
from typing import Final

import numpy as np

from randcheck import _tables
from randcheck._dates import CHINA_TZ
from randcheck._files import check_writable
from randcheck._version import library
from randcheck.archive import write_archive
from randcheck.audit import verify
from randcheck.calendar import WorkCalendar
from randcheck.example import ExampleCounty, example_county
from randcheck.joint import Batch, commit_batch, draw_batch
from randcheck.joint.visits import VISIT_FIELDS
from randcheck.matching import Assignment, MatchingRules, commit_matching, match_officers
from randcheck.models import Item
from randcheck.policy import simulate_results
from randcheck.randomness.seeds import SeedRule
from randcheck.results import ResultTable, estimate_prevalence, year_figures
from randcheck.sampling import Commitment

__all__ = ["DEMO_SEED", "run_demo"]

DEMO_SEED = "双色球 2023-03-07 04 09 13 17 26 31 + 12"
#: The officers' seed: a draw held after the visits are published (the batch's result is known
#: when the matchings are committed, so it cannot be theirs).
DEMO_MATCHING_SEED = "双色球 2023-03-09 02 07 11 19 24 33 + 05"
_MATCHING_RULE: Final = SeedRule.shuangseqiu(date="2023-03-09")
_MATCHING_FROM: Final = "福利彩票双色球 2023-03-09 开奖结果"


def run_demo(
    *, seed: str = DEMO_SEED, out: str | None = None, echo: Callable[[str], None] = print
) -> int:
    """Run the demo on the example county, print the report, write files to ``out``.

    Returns 0 (the process exit status). Raises a :class:`~randcheck.RandcheckError` if any step
    fails, which it does not on the bundled data.
    """
    if out is not None:  # a folder that cannot take the archive is refused before the year runs
        _check_out(pathlib.Path(out))
    county = example_county()
    echo(f"{library()} — 示例县 {county.name}（全部企业与人员均为虚构）")
    echo(
        f"检查对象名录库 targets: {len(county.targets):,}; 执法检查人员名录库 officers: "
        f"{len(county.officers)}; 抽查事项 items: {len(county.items)} + the annual 不定向 draw"
    )
    items, commitment = _plan(county, echo)
    batch = _draw(county, items, commitment, seed, echo)
    teams, assignments = _match(county, batch, echo)
    _deadlines(batch, echo)
    results = _results(county, batch, items, echo)
    _verify(county, batch, assignments, echo)
    if out is not None:
        _archive(pathlib.Path(out), county, batch, commitment, results, teams, assignments, echo)
    return 0


#: Class multipliers of the year's plan.
_MULTIPLIERS: Final = {"A": 0.5, "B": 1.0, "C": 2.0, "D": 4.0}
#: The year's visits are carried out in eight monthly rounds (April–November).
_ROUNDS: Final = 8


def _plan(
    county: ExampleCounty, echo: Callable[[str], None]
) -> tuple[tuple[Item, ...], Commitment]:
    """1. The year's plan: every item at its published rate, risk-differentiated, plus the
    不定向 annual draw that carries the ≥ 3% coverage goal; its commitment."""
    annual = Item("SW-00", "市场主体年度随机抽查（不定向）", "商务局", rate=0.035)
    items = (annual, *county.items)
    commitment = commit_batch(
        county.targets,
        items,
        multipliers=_MULTIPLIERS,
        batch="2023",
        lead_order=("商务局",),
        year=2023,
        seed_rule=SeedRule.shuangseqiu(date="2023-03-07"),
        seed_from="福利彩票双色球 2023年3月7日 开奖结果（第2023025期）",
    )
    echo("\n一、公示承诺 commitment (published before the seed exists)")
    echo(f"    {commitment.digest}")
    return items, commitment


def _draw(
    county: ExampleCounty,
    items: tuple[Item, ...],
    commitment: Commitment,
    seed: str,
    echo: Callable[[str], None],
) -> Batch:
    """2. The draw, from a public seed, coordinated across items (进一次门、查多项事)."""
    echo(f"\n二、公开随机种子 public seed: {seed}")
    batch = draw_batch(
        county.targets,
        items,
        seed=seed,
        multipliers=_MULTIPLIERS,
        batch="2023",
        commitment=commitment,
        lead_order=("商务局",),
        year=2023,
        drawn_by="法治办（示例）",
        drawn_at=dt.datetime(2023, 3, 8, 9, 30, tzinfo=CHINA_TZ),
    )
    general = batch.draws["SW-00"]
    echo(f"    年度抽查 SW-00: {len(general)} of {general.receipt.eligible:,} active targets")
    echo(f"    {'层 stratum':<10}{'对象数 N':>10}{'期望 E[n]':>11}{'抽取 n':>8}{'概率 π':>9}")
    for s in general.strata:
        echo(
            f"    {'/'.join(s.key):<10}{s.population:>10,}{s.expected:>11.2f}{s.size:>8}"
            f"{s.probability:>9.4f}"
        )
    burden = batch.burden()
    echo(
        f"    合并检查 merged: {burden.visits_unmerged} item checks → {burden.visits} visits "
        f"(saved {burden.saved}); items per visit {burden.items_per_visit_histogram}"
    )
    return batch


def _round(n_visits: int, k: int) -> list[int]:
    """The visits of round ``k`` (from 0): every eighth of the year's visits."""
    return list(range(k, n_visits, _ROUNDS))


def _match(
    county: ExampleCounty, batch: Batch, echo: Callable[[str], None]
) -> tuple[list[tuple[str, ...]], list[tuple[Commitment, Assignment]]]:
    """3. Officers (双随机 #2): two per visit, 回避, 所所交叉, skills, departments.

    The year's visits are carried out in monthly rounds; load caps are per round. Once the
    visits are published, each round's matching is committed (its chances fixed, under its own
    child key) before the officers' seed, a later lottery draw, exists; then each round is
    matched under its commitment. Returns each visit's team and each round's commitment and
    assignment.
    """
    rules = MatchingRules(cross_jurisdiction=True, unit_areas=county.unit_areas)
    visits = list(batch.visits)
    recusals = 0
    teams: list[tuple[str, ...]] = [()] * len(visits)
    loads = np.zeros(len(county.officers), dtype=np.int64)
    assignments = []
    for k in range(_ROUNDS):
        members = _round(len(visits), k)
        these = [visits[i] for i in members]
        c = commit_matching(
            these,
            county.officers,
            conflicts=county.conflicts,
            rules=rules,
            key_label=f"batch/2023/matching/round-{k + 1}",
            seed_rule=_MATCHING_RULE,
            seed_from=_MATCHING_FROM,
        )
        a = match_officers(
            these,
            county.officers,
            conflicts=county.conflicts,
            rules=rules,
            seed=DEMO_MATCHING_SEED,
            commitment=c,
        )
        assignments.append((c, a))
        recusals += len(a.recusals)
        loads += a.loads
        for i, team in zip(members, a.teams(), strict=True):
            teams[i] = team
    busy = loads[loads > 0]
    echo(
        f"\n三、随机匹配执法人员 officers matched (8 monthly rounds, each committed before the "
        f"officers' seed: {DEMO_MATCHING_SEED})"
    )
    echo(
        f"    {len(visits)} visits staffed, two or more officers each; {recusals} recusals "
        f"(回避) applied; visits per officer over the year {int(busy.min())}–{int(busy.max())}"
    )
    first = visits[0]
    echo(f"    e.g. {first.credit_code} {'/'.join(first.items)} → {', '.join(teams[0])}")
    return teams, assignments


def _deadlines(batch: Batch, echo: Callable[[str], None]) -> None:
    """4. Deadlines: inspections end through the year; results due 20 working days later."""
    cal = WorkCalendar.default()
    n = len(batch.visits)
    start = np.datetime64("2023-04-03")
    offsets = (np.arange(n) * 150) // max(n, 1)
    ends = np.asarray(cal.add_workdays(np.full(n, start), offsets), dtype="datetime64[D]")
    due = batch.visits.due_dates(ends, as_of="2023-12-31", calendar=cal)
    echo("\n四、结果录入公示期限 result deadlines (20 working days, 民法典 第二百零一条)")
    example_end = dt.date(2023, 9, 28)
    echo(
        f"    an inspection ending {example_end} (before 国庆) is due "
        f"{cal.add_workdays(example_end, 20)}; latest due date this year: "
        f"{np.datetime_as_string(due.due.max())}"
    )


def _results(
    county: ExampleCounty, batch: Batch, items: tuple[Item, ...], echo: Callable[[str], None]
) -> ResultTable:
    """5. Results (simulated: the county is synthetic), publication, the year's figures."""
    prevalence = {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.30}
    results = simulate_results(
        batch,
        county.targets,
        prevalence,
        rng=2023,
        department="商务局",
        task="2023",
        officers=county.officers,
    )
    figures = year_figures(results, county.targets, year=2023, items=items)
    echo("\n五、检查结果与年度统计 results (simulated) and the year's figures")
    for line in figures.summary().splitlines():
        echo(f"    {line}")
    estimates = estimate_prevalence(
        batch.draws["SW-00"],
        results,
        by="risk_class",
        roster=county.targets,
        method="stratified",
        item="SW-00",
    )
    o = estimates.overall
    raw = float(results.has_finding()[results.item == "SW-00"].mean())
    echo(
        f"    问题企业占比估计 share of enterprises with a finding (SW-00, stratified): "
        f"{o.estimate:.2%} (95% CI {o.ci_low:.2%}–{o.ci_high:.2%}); raw share among the drawn "
        f"{raw:.2%}"
    )
    return results


def _verify(
    county: ExampleCounty,
    batch: Batch,
    assignments: list[tuple[Commitment, Assignment]],
    echo: Callable[[str], None],
) -> None:
    """6. Verify everything from the published records, as anyone could."""
    verify(batch.receipt, county.targets)
    echo("\n六、复核 verify: every item's draw and the merge recompute from the receipt (样本一致)")
    visits = list(batch.visits)
    for k, (c, a) in enumerate(assignments):
        these = [visits[i] for i in _round(len(visits), k)]
        verify(a.record(), (these, county.officers, county.conflicts), commitment=c)
    echo("    every round's teams recompute from its commitment and the officers' seed")


def _archive(
    folder: pathlib.Path,
    county: ExampleCounty,
    batch: Batch,
    commitment: Commitment,
    results: ResultTable,
    teams: list[tuple[str, ...]],
    assignments: list[tuple[Commitment, Assignment]],
    echo: Callable[[str], None],
) -> None:
    """The year's archive, with the teams and the recusals of every round, each round's
    matching commitment, record and visits, the officer directory and the declared conflicts
    (``randcheck verify`` checks each round's record from them), and its anchor."""
    visits = list(batch.visits)
    team_rows = "credit_code,round,officers\n" + "".join(
        f"{v.credit_code},{i % _ROUNDS + 1},{';'.join(t)}\n"
        for i, (v, t) in enumerate(zip(visits, teams, strict=True))
    )
    recusal_rows = "round,officer_id,credit_code,reason\n" + "".join(
        f"{k + 1},{o},{c},{r}\n" for k, (_, a) in enumerate(assignments) for o, c, r in a.recusals
    )
    # Each round's matching with the files it was matched from, so that anyone can recompute
    # it: `randcheck verify matching-round-1.json --visits matching-round-1-visits.csv
    # --officers officers.csv --conflicts conflicts.csv --commitment ...-commitment.json`.
    matchings = {
        "officers.csv": _bundled("officers.csv"),
        "conflicts.csv": _bundled("conflicts.csv"),
    }
    rows = batch.visits.to_rows()
    for k, (c, a) in enumerate(assignments):
        these = [rows[i] for i in _round(len(rows), k)]
        matchings[f"matching-round-{k + 1}-visits.csv"] = _tables.csv_text(
            _tables.columns_of_rows(these, VISIT_FIELDS)
        )
        matchings[f"matching-round-{k + 1}-commitment.json"] = c.to_json()
        matchings[f"matching-round-{k + 1}.json"] = a.record().to_json()
    written = write_archive(
        folder,
        receipt=batch.receipt,
        roster=county.targets,
        commitment=commitment,
        visits=batch.visits,
        results=results,
        as_of=dt.date(2023, 12, 31),
        extra={"teams.csv": team_rows, "recusals.csv": recusal_rows, **matchings},
    )
    echo(
        f"\n归档 archive written to {folder}; publish its anchor with the result:\n"
        f"    {written.anchor}\n"
        f"and anyone can check it with\n"
        f"    python -m randcheck verify --archive {folder} --anchor {written.anchor}\n"
        f"and each round's teams (here the first) with\n"
        f"    python -m randcheck verify {folder / 'matching-round-1.json'} "
        f"--visits {folder / 'matching-round-1-visits.csv'} --officers "
        f"{folder / 'officers.csv'} --conflicts {folder / 'conflicts.csv'} "
        f"--commitment {folder / 'matching-round-1-commitment.json'}"
    )


def _bundled(name: str) -> str:
    """A file of the bundled example county, as published with the archive."""
    return resources.files("randcheck").joinpath("data", "example_county", name).read_text("utf-8")


def _check_out(folder: pathlib.Path) -> None:
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder} exists and is not empty; choose a new folder")
    check_writable(folder, what="demo folder", folder_ok=True)
