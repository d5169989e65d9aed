"""Run randcheck's benchmarks and print ratios against baselines run in the same process.

Usage::

    python benchmarks/run.py            # full sizes (10⁶–10⁷ rows; minutes)
    python benchmarks/run.py --quick    # small sizes, for CI: checks the benchmarks still run
    python benchmarks/run.py calendar   # only bench_calendar.py
    python benchmarks/run.py --write-docs sampling   # and regenerate its table in the docs

``--write-docs`` writes each benchmark's table to ``docs/_generated/bench_<name>.rst`` (the
benchmarks page includes it), stamped with the date, the mode, the versions and the machine's
load average before and after the run: the published figures are the ones this script printed,
never typed by hand.

Exit status is 0 even when a goal is missed: the figures are for people, not a timed test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import pathlib
import platform
import sys

HERE = pathlib.Path(__file__).resolve().parent
DOCS = HERE.parent / "docs" / "_generated"
sys.path.insert(0, str(HERE))

from _harness import Row  # noqa: E402


def _fmt(x: float | None, unit: str) -> str:
    if x is None:
        return "-"
    if unit == "s":
        return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"
    if unit == "B":
        return f"{x / 2**20:.1f} MiB"
    return f"{x:.3g} {unit}"


def _goal(r: Row) -> str:
    if r.goal is None:
        return "-"
    if r.baseline is None:
        return _fmt(r.goal, r.unit)
    return f"{'≤' if r.lower_is_better else '≥'} {r.goal:g}×"


def _with_spread(x: float | None, spread: tuple[float, float] | None, unit: str) -> str:
    if x is None:
        return "-"
    text = _fmt(x, unit)
    if spread is not None:
        text += f" [{_fmt(spread[0], unit)}–{_fmt(spread[1], unit)}]"
    return text


def _load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not Unix
        return "unknown"


def _csv(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_docs(name: str, rows: list[Row], quick: bool, load_before: str) -> pathlib.Path:
    """``docs/_generated/<name>.rst``: the rows as a table, with when and how they were measured."""
    import numpy as np

    try:
        import pandas as pd

        pandas = f", pandas {pd.__version__}"
    except ImportError:  # pragma: no cover - depends on the environment
        pandas = ""
    DOCS.mkdir(parents=True, exist_ok=True)
    path = DOCS / f"{name}.rst"
    when = dt.datetime.now(dt.UTC).strftime("%d %B %Y, %H:%M UTC")
    lines = [
        f".. Written by ``python benchmarks/run.py --write-docs{' --quick' if quick else ''} "
        f"{name.removeprefix('bench_')}``; do not edit by hand.",
        "",
        f"Measured {when}, {'quick mode (small sizes)' if quick else 'full sizes'}, on "
        f"{os.cpu_count()} cores (Python {platform.python_version()}, numpy {np.__version__}"
        f"{pandas}); load average (1 / 5 / 15 min) {load_before} before the run and "
        f"{_load()} after. Times are medians with [min–max] over the repeats; the ratio "
        "compares the medians.",
        "",
        ".. csv-table::",
        "   :header: measure, ours, baseline, ratio, goal, met",
        "",
    ]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}×"
        met = {True: "yes", False: "**no**", None: "-"}[r.met]
        base = "-"
        if r.baseline is not None:
            base = f"{r.baseline_name}: {_with_spread(r.baseline, r.baseline_spread, r.unit)}"
        elif r.baseline_name and not r.baseline_name.startswith("absolute"):
            base = r.baseline_name
        cells = [r.measure, _with_spread(r.ours, r.spread, r.unit), base, ratio, _goal(r), met]
        lines.append("   " + ", ".join(_csv(c) for c in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="write each benchmark's table to docs/_generated/bench_<name>.rst",
    )
    parser.add_argument("names", nargs="*", help="benchmark modules to run (default: all)")
    args = parser.parse_args(argv)
    modules = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if args.names:
        modules = [m for m in modules if m.removeprefix("bench_") in args.names]
    print(
        f"{'benchmark':<14} {'measure':<52} {'ours':>11} {'baseline':>11} "
        f"{'ratio':>8} {'goal':>7}  met  (baseline)"
    )
    for name in modules:
        load_before = _load()
        rows: list[Row] = importlib.import_module(name).run(args.quick)
        for r in rows:
            ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
            goal = (
                "-"
                if r.goal is None
                else (
                    _fmt(r.goal, r.unit)
                    if r.baseline is None
                    else f"{'≤' if r.lower_is_better else '≥'}{r.goal:g}x"
                )
            )
            met = {True: "yes", False: "NO", None: "-"}[r.met]
            print(
                f"{r.benchmark:<14} {r.measure:<52} {_fmt(r.ours, r.unit):>11} "
                f"{_fmt(r.baseline, r.unit):>11} {ratio:>8} {goal:>7}  {met:<4} {r.baseline_name}",
                flush=True,
            )
            if r.spread is not None:
                lo, hi = r.spread
                text = f"min–max {_fmt(lo, r.unit)}–{_fmt(hi, r.unit)}"
                if r.baseline_spread is not None:
                    blo, bhi = r.baseline_spread
                    text += f"; baseline {_fmt(blo, r.unit)}–{_fmt(bhi, r.unit)}"
                print(f"{'':<14} {'':<52} {text}", flush=True)
        if args.write_docs:
            print(f"wrote {write_docs(name, rows, args.quick, load_before)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
