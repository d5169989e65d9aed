"""Directories (名录库): loading a CSV roster, building from numpy columns, ``import randcheck``.

Goals from issue 2:

- loading a 10⁶-row CSV roster, validation included, within 3× the time of ``pandas.read_csv`` on
  the same file (ratio ours / pandas, lower is better, goal ≤ 3);
- peak memory of that load within 2× the pandas frame's ``memory_usage(deep=True)`` (goal ≤ 2);
- building a 10⁷-row roster from numpy columns "in seconds" (absolute goal: 10 s);
- ``import randcheck`` in a fresh interpreter under 0.3 s.

For reference (no goal of its own): ``credit_code_mask`` on the loaded roster's codes (the GB
32100 check every loader runs), and, as an official draw includes it, ``TargetRoster.digest()``
of the loaded CSV roster (sort by id included), and of a roster with a float column of distinct
values (one Python ``repr`` per distinct value, as the recipe requires).

Quick mode uses 10⁴ rows for the CSV and 10⁵ for the build. The CSV is generated here: valid
credit codes computed with numpy, Chinese headers, names, labels, tags, counts and dates.
"""

from __future__ import annotations

import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import attrs
import numpy as np
import pandas as pd

from _harness import Row, credit_codes, interleaved, peak_bytes, slope_row, timed_row
from randcheck import TargetRoster
from randcheck.roster.credit_code import credit_code_mask


def write_csv(path: pathlib.Path, n: int, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    codes = credit_codes(n, seed)
    industries = np.array(["零售业", "餐饮业", "成品油零售", "典当", "拍卖", "二手车"])
    frame = pd.DataFrame(
        {
            "统一社会信用代码": codes.astype("U18"),
            "企业名称": np.char.add("曲阳某商贸有限公司", rng.integers(0, 10**6, n).astype(str)),
            "信用风险等级": np.array(list("ABCD"))[rng.integers(0, 4, n)],
            "行业": industries[rng.integers(0, industries.size, n)],
            "行政区划": np.array(["130634", "130602", "130603"])[rng.integers(0, 3, n)],
            "登记状态": np.array(["存续", "在业", "注销"])[rng.integers(0, 3, n)],
            "标签": np.array(["", "连锁", "连锁;重点", "预付卡"])[rng.integers(0, 4, n)],
            "经营异常名录": np.array(["否", "是"])[(rng.random(n) < 0.05).astype(int)],
            "投诉次数": rng.integers(0, 5, n),
            "上次检查日期": np.where(
                rng.random(n) < 0.5,
                "",
                (np.datetime64("2019-01-01") + rng.integers(0, 2000, n)).astype(str),
            ),
        }
    )
    frame.to_csv(path, index=False)


def numpy_columns(n: int, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "credit_code": credit_codes(n, seed),
        "risk_class": np.array(list("ABCD"))[rng.integers(0, 4, n)],
        "industry": np.array(["零售业", "餐饮业", "成品油零售", "典当"])[rng.integers(0, 4, n)],
        "area": np.array(["130634", "130602", "130603"])[rng.integers(0, 3, n)],
        "abnormal": rng.random(n) < 0.05,
        "complaints": rng.integers(0, 5, n),
        "last_inspected": np.datetime64("2019-01-01") + rng.integers(0, 2000, n),
    }


def _with_float(roster: TargetRoster) -> TargetRoster:
    """The same rows plus a float column of distinct values, through the public constructor."""
    cols: dict[str, object] = dict(roster.to_columns())
    cols["risk_score"] = np.random.default_rng(4).uniform(0.5, 2.0, len(roster))
    return TargetRoster.from_columns(cols, extra=["risk_score"])


def digest_scaling(quick: bool) -> list[Row]:
    """``digest()`` of fresh rosters (rows in random order) at growing sizes; the slope.

    Each size: medians of 5 interleaved runs of ``workers=1`` and ``workers=2`` on a fresh copy
    (``take``, untimed), so no cached digest or order is reused. The slope is the exponent of
    the time's growth from the smallest to the largest size (1 is linear; goal ≤ 1.05).
    """
    sizes = (10_000, 100_000) if quick else (100_000, 1_000_000, 10_000_000)
    rows: list[Row] = []
    medians: dict[int, float] = {}
    cpu_medians: dict[int, float] = {}
    for n in sizes:
        built = TargetRoster.from_columns(numpy_columns(n))
        fresh: list[TargetRoster] = []

        def setup(built: TargetRoster = built, fresh: list[TargetRoster] = fresh) -> None:
            fresh[:] = [built.take(np.arange(len(built)))]

        cpu: dict[str, tuple[float, float, float]] = {}
        figures = interleaved(
            {
                "w1": lambda fresh=fresh: fresh[0].digest(),
                "w2": lambda fresh=fresh: fresh[0].digest(workers=2),
            },
            repeat=5,
            setup=setup,
            cpu=cpu,
        )
        medians[n] = figures["w1"][0]
        cpu_medians[n] = cpu["w1"][0]
        rows.append(
            timed_row(
                "roster", f"digest() {n:,} rows (randcheck-roster/2)", figures["w1"], "-", None
            )
        )
        rows.append(
            timed_row(
                "roster",
                f"digest(workers=2) {n:,} rows vs workers=1"
                + (" (one thread below 200,000 rows: no goal)" if n < 200_000 else ""),
                figures["w2"],
                "digest() in one process",
                figures["w1"],
                goal=1.6 if not quick and n >= 200_000 else None,
            )
        )
        del built, fresh
    rows.append(slope_row("roster", "digest() wall time", medians))
    rows.append(slope_row("roster", "digest() CPU time", cpu_medians))
    return rows


def import_time(repeat: int = 7) -> tuple[float, tuple[float, float]]:
    """Median and min–max of ``import randcheck`` in fresh interpreters, bytecode cached.

    ``pip install`` compiles every module to bytecode, so a user's import reads ``.pyc`` files.
    An environment with ``PYTHONDONTWRITEBYTECODE`` set (as some CI and sandboxes are) would
    instead compile every module from source on each import, about 0.2 s more: one untimed
    import with that variable removed writes the bytecode first, and the timed imports use it.
    """
    code = "import time; t = time.perf_counter(); import randcheck; print(time.perf_counter() - t)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def once() -> float:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
        return float(out.stdout)

    once()
    times = sorted(once() for _ in range(repeat))
    return statistics.median(times), (times[0], times[-1])


def run(quick: bool) -> list[Row]:
    n_csv = 10_000 if quick else 1_000_000
    n_build = 100_000 if quick else 10_000_000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "targets.csv"
        write_csv(path, n_csv)
        # Nine pairs: the ratio of two half-second loads moves by ±15 % from run to run.
        figures = interleaved(
            {"ours": lambda: TargetRoster.from_csv(path), "pandas": lambda: pd.read_csv(path)},
            repeat=9,
        )
        row = timed_row(
            "roster",
            f"from_csv, {n_csv:,} rows (validated)",
            figures["ours"],
            "pandas.read_csv, same file",
            figures["pandas"],
            3.0,
        )
        rows.append(attrs.evolve(row, lower_is_better=True))
        peak, roster = peak_bytes(lambda: TargetRoster.from_csv(path))
        frame_bytes = int(pd.read_csv(path).memory_usage(deep=True).sum())
        assert len(roster) == n_csv
        rows.append(
            Row(
                "roster",
                f"from_csv peak memory, {n_csv:,} rows",
                peak,
                "pandas frame memory_usage(deep=True)",
                frame_bytes,
                goal=2.0,
                unit="B",
                lower_is_better=True,
            )
        )
        # Medians of interleaved runs, each on a fresh copy (take, untimed): nothing cached.
        digested = {"names": roster, "float": _with_float(roster)}
        fresh: dict[str, TargetRoster] = {}

        def copy(key: str) -> None:
            fresh[key] = digested[key].take(np.arange(len(digested[key])))

        figures = interleaved(
            {key: lambda key=key: fresh[key].digest() for key in digested},
            repeat=5,
            setup={key: lambda key=key: copy(key) for key in digested},
        )
        for key, label in (("names", "names, no float column"), ("float", "plus a float column")):
            rows.append(
                timed_row(
                    "roster",
                    f"digest(), {n_csv:,} rows from the CSV ({label})",
                    figures[key],
                    "no goal (reference figure)",
                    None,
                )
            )
        # The GB 32100 check alone (every loader runs it on every credit code): no goal.
        codes = roster.credit_code
        mask = interleaved({"mask": lambda: credit_code_mask(codes)}, repeat=9)
        rows.append(
            timed_row(
                "roster",
                f"credit_code_mask, {n_csv:,} codes (one thread)",
                mask["mask"],
                "no goal (reference figure)",
                None,
            )
        )
        del roster
    columns = numpy_columns(n_build)
    t0 = time.perf_counter()
    built = TargetRoster.from_columns(columns)
    build = time.perf_counter() - t0
    assert len(built) == n_build
    del built
    rows.append(
        Row(
            "roster",
            f"from_columns, {n_build:,} rows of numpy columns",
            build,
            "absolute goal: seconds (≤ 10 s)",
            None,
            goal=10.0,
        )
    )
    rows.extend(digest_scaling(quick))
    median, spread = import_time()
    rows.append(
        Row(
            "roster",
            "import randcheck (fresh interpreter, bytecode cached as pip leaves it)",
            median,
            "absolute goal: under 0.3 s",
            None,
            goal=0.3,
            spread=spread,
        )
    )
    return rows
