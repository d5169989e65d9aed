"""Year figures and policy simulation (issue 7).

Goals: the year figures of 10⁶ results in under 1 s; a 1,000-year simulation of the example county
in under 30 s. Both are absolute goals (``baseline=None``). For context, the year figures are also
compared with the same counts done in pandas (a merge of results with the directory on the credit
code, then group-bys): the ratio is pandas time / ours. The directory has 2·10⁶ enterprises (a
province-sized roster where 10⁶ results is a realistic year); the first figures call of a roster
sorts its keys once, and the time reported is the best of three calls. Quick mode uses 10⁴ results
and 50 simulated years.
"""

from __future__ import annotations

import numpy as np

import randcheck
from _harness import Row, interleaved, timed_row
from randcheck.policy import simulate_policy
from randcheck.results import ResultTable, year_figures

STRING = np.dtypes.StringDType()


def _year(n: int, roster: randcheck.TargetRoster) -> ResultTable:
    g = np.random.default_rng(0)
    rows = g.choice(len(roster), n, replace=False)
    cats = np.array(["未发现问题", "违反其他相关规定", "发现问题经责令已改正"], dtype=STRING)[
        g.choice(3, n, p=[0.85, 0.10, 0.05])
    ]
    end = np.datetime64("2023-01-02") + g.integers(0, 340, n)
    return ResultTable.from_columns(
        {
            "result_id": np.strings.add("R", np.arange(n).astype(str)).astype(STRING),
            "credit_code": np.strings.decode(roster.credit_code[rows], "ascii"),
            "item": np.array(["SW-01", "SW-02", "SC-07"])[g.integers(0, 3, n)],
            "department": np.array(["商务局", "市场监管局"])[g.integers(0, 2, n)],
            "categories": cats,
            "followups": np.where(cats == "未发现问题", "无需后续处置", "责令改正").astype(STRING),
            "inspection_end": end,
            "entered_on": end,
            "published_on": end + g.integers(0, 40, n),
            "closed_on": np.where(cats == "未发现问题", np.datetime64("NaT"), end + 30),
        }
    )


def _pandas_figures(results: ResultTable, roster: randcheck.TargetRoster) -> object:
    import pandas as pd

    from randcheck.results.publication import publication_rows

    directory = pd.DataFrame(
        {
            "credit_code": roster.credit_code,
            "risk_class": roster.risk_class,
            "active": ~roster.status.mask(randcheck.INACTIVE_STATUSES),
        }
    )
    pub = publication_rows(results, "2023-12-31", None, None, (), None)  # same calendar work
    df = pd.DataFrame(
        {
            "credit_code": results.credit_code,
            "item": results.labels["item"][0],
            "department": results.labels["department"][0],
            "finding": results.has_finding(),
            "published": pub.published,
            "on_time": pub.on_time,
            "judged": pub.due_by_as_of,
        }
    )
    m = df.merge(directory, on="credit_code", how="left", validate="many_to_one")
    inspected = m.loc[m["active"], ["credit_code", "risk_class"]].drop_duplicates()
    out = [inspected.groupby("risk_class").size(), directory.groupby("risk_class")["active"].sum()]
    for key in ("risk_class", "item", "department"):
        out.append(m.groupby(key)["finding"].agg(["sum", "count"]))
    out.append(m.groupby("department")[["published", "on_time", "judged"]].sum())
    return out


def run(quick: bool) -> list[Row]:
    n = 10_000 if quick else 1_000_000
    roster = randcheck.synthetic_targets(20_000 if quick else 2_000_000, seed=7)
    results = _year(n, roster)
    year_figures(results, roster, year=2023)  # warm the roster's key cache
    figures = interleaved(
        {
            "ours": lambda: year_figures(results, roster, year=2023),
            "pandas": lambda: _pandas_figures(results, roster),
        }
    )
    rows = [
        timed_row(
            "results",
            f"year_figures, {n:,} results",
            figures["ours"],
            "absolute goal: under 1 s",
            None,
            1.0,
        ),
        timed_row(
            "results",
            f"year_figures vs pandas merge + groupby, {n:,} results",
            figures["ours"],
            "pandas merge + groupby (same counts)",
            figures["pandas"],
        ),
    ]
    county = randcheck.example_county()
    years = 50 if quick else 1000
    prev = {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.30}
    sim = interleaved(
        {
            "ours": lambda: simulate_policy(
                county.targets,
                {"henan-2021": randcheck.SamplingPlan.from_preset("henan-2021")},
                prev,
                years=years,
                rng=1,
            )
        },
    )["ours"]
    rows.append(
        timed_row(
            "results",
            f"simulate_policy, example county, {years:,} years",
            sim,
            "absolute goal: under 30 s",
            None,
            30.0,
        )
    )
    return rows
