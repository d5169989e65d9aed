"""Run randcheck's benchmarks and print ratios against baselines run in the same process.

Usage::

    python benchmarks/run.py            # full sizes (10⁶–10⁷ rows; minutes)
    python benchmarks/run.py --quick    # small sizes, for CI: checks the benchmarks still run
    python benchmarks/run.py calendar   # only bench_calendar.py

Exit status is 0 even when a goal is missed: the figures are for people, not a timed test.
"""

from __future__ import annotations

import argparse
import importlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
