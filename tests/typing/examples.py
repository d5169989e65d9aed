"""The documented examples, written as typed functions: mypy (strict) checks them in CI.

Nothing here runs during the tests; it shows that code written the way the README and the
tutorial write it type-checks against randcheck's annotations.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

import randcheck

SEED = "双色球 2023-03-07 04 09 13 17 26 31 + 12"


def official_draw() -> tuple[randcheck.Commitment, randcheck.sampling.Receipt]:
    county = randcheck.example_county()
    plan = randcheck.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3})
    commitment = randcheck.commit(
        county.targets,
        plan,
        seed_rule=randcheck.SeedRule.shuangseqiu(date="2023-03-07"),
        seed_from="福利彩票双色球 2023-03-07 开奖结果",
    )
    result: randcheck.Draw = randcheck.draw(county.targets, plan, seed=SEED, commitment=commitment)
    probabilities: npt.NDArray[np.float64] = result.inclusion_probabilities
    assert probabilities.shape == (len(result),)
    randcheck.verify(result.receipt, county.targets)
    return commitment, result.receipt


def simulated_sizes(replicates: int) -> list[int]:
    county = randcheck.example_county()
    plan = randcheck.SamplingPlan.from_preset("henan-2021")
    rng = np.random.default_rng(7)
    return [len(randcheck.draw(county.targets, plan, rng=rng)) for _ in range(replicates)]


def batch_and_teams() -> list[tuple[str, ...]]:
    county = randcheck.example_county()
    batch: randcheck.Batch = randcheck.draw_batch(county.targets, county.items, seed=SEED)
    burden: randcheck.joint.Burden = batch.burden()
    assert burden.visits <= burden.visits_unmerged
    rules = randcheck.MatchingRules(cross_jurisdiction=True, unit_areas=county.unit_areas)
    teams: randcheck.Assignment = randcheck.match_officers(
        list(batch.visits), county.officers, conflicts=county.conflicts, rules=rules, seed=SEED
    )
    return teams.teams()


def result_deadline(end: dt.date) -> dt.date:
    calendar = randcheck.WorkCalendar.default()
    due: dt.date = calendar.add_workdays(end, 20)
    return due


def load_directory(path: str) -> randcheck.TargetRoster:
    roster = randcheck.TargetRoster.from_csv(path, mapping={"纳税人识别号": "credit_code"})
    active: randcheck.TargetRoster = roster.filter(active=True)
    return active


def draw_a_nation(path: str, plan: randcheck.SamplingPlan) -> randcheck.sampling.Receipt:
    by_parts: randcheck.Draw = randcheck.draw_parquet(path, plan, seed=SEED, extra=["risk_score"])
    randcheck.sampling.verify_parquet(by_parts.receipt, path, extra=["risk_score"])
    on_cluster: randcheck.Draw = randcheck.sampling.draw_dask(
        [path], plan, seed=SEED, progress=True
    )
    return on_cluster.receipt


def county_results(path: str, problems: str, out: str) -> randcheck.ResultTable | None:
    """A GBK results file: every problem written for the register keeper, or the table out."""
    try:
        results = randcheck.ResultTable.from_csv(path, encoding="gb18030")
    except randcheck.errors.ResultError as exc:
        report: randcheck.problems.ProblemReport | None = exc.report
        if report is not None:
            report.to_csv(problems, headers="zh")
        return None
    results.to_csv(out, encoding="utf-8-sig", headers="zh")
    return results
