"""County files (issue 14): a GB18030 CSV export and an Excel workbook, against pandas.

Goals from issue 14 (ratio ours / pandas, lower is better):

- ``TargetRoster.from_csv(..., encoding="gb18030")`` of 10⁶ rows, every check and the problem
  report included, within 3× ``pandas.read_csv(..., encoding="gb18030")`` on the same file (also
  shown for 50,000 rows, a county's size);
- ``TargetRoster.from_excel`` of 10⁵ rows within 1.5× ``pandas.read_excel(engine="calamine")``
  (the same reader underneath) on the same workbook.

Each figure is the median of interleaved runs (ours, pandas, ours, pandas …; 5 of each, 3 in
quick mode), with the min–max of our runs in the measure's text. Quick mode uses 5,000 rows for
both files.
"""

from __future__ import annotations

import pathlib
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from _harness import Row, credit_codes
from randcheck import TargetRoster


def county_frame(n: int, seed: int = 14) -> pd.DataFrame:
    """A county export: Chinese headers, names, labels, statuses of the vocabulary, dates."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "统一社会信用代码": credit_codes(n, seed).astype("U18"),
            "企业名称": np.char.add("曲阳某商贸有限公司", rng.integers(0, 10**6, n).astype(str)),
            "信用风险等级": np.array(["信用风险低", "信用风险一般", "信用风险较高", "信用风险高"])[
                rng.integers(0, 4, n)
            ],
            "行业": np.array(["零售业", "餐饮业", "成品油零售", "典当"])[rng.integers(0, 4, n)],
            "行政区划": np.array(["130634", "130602", "130603"])[rng.integers(0, 3, n)],
            "登记状态": np.array(["存续", "在业", "注销", "吊销，未注销"])[rng.integers(0, 4, n)],
            "投诉次数": rng.integers(0, 5, n),
            "上次检查日期": np.where(
                rng.random(n) < 0.5,
                "",
                (np.datetime64("2019-01-01") + rng.integers(0, 2000, n)).astype(str),
            ),
        }
    )


def interleaved(
    ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int
) -> tuple[list[float], list[float]]:
    """Times of ``repeat`` runs of each, alternating, so that load on the machine hits both."""
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        for fn, out in ((ours, a), (theirs, b)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return a, b


def _row(measure: str, ours: list[float], baseline: str, theirs: list[float], goal: float) -> Row:
    spread = f" [{min(ours):.2f}–{max(ours):.2f} s]"
    return Row(
        "county",
        measure + spread,
        statistics.median(ours),
        baseline,
        statistics.median(theirs),
        goal=goal,
        lower_is_better=True,
    )


def run(quick: bool) -> list[Row]:
    repeat = 3 if quick else 5
    sizes = (5_000,) if quick else (50_000, 1_000_000)
    n_xlsx = 5_000 if quick else 100_000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = pathlib.Path(tmp) / f"targets-{n}.csv"
            county_frame(n).to_csv(path, index=False, encoding="gb18030")
            ours, theirs = interleaved(
                lambda p=path: TargetRoster.from_csv(p, encoding="gb18030"),
                lambda p=path: pd.read_csv(p, encoding="gb18030"),
                repeat,
            )
            rows.append(
                _row(
                    f"from_csv GB18030, {n:,} rows",
                    ours,
                    "pandas.read_csv(encoding='gb18030')",
                    theirs,
                    3.0,
                )
            )
        book = pathlib.Path(tmp) / "targets.xlsx"
        county_frame(n_xlsx).to_excel(book, index=False, engine="openpyxl")
        ours, theirs = interleaved(
            lambda: TargetRoster.from_excel(book),
            lambda: pd.read_excel(book, engine="calamine"),
            repeat,
        )
        rows.append(
            _row(
                f"from_excel, {n_xlsx:,} rows",
                ours,
                "pandas.read_excel(engine='calamine')",
                theirs,
                1.5,
            )
        )
    return rows
