"""Command line: ``python -m randcheck demo`` (also the ``randcheck`` console script).

The CLI is thin: it reads files, calls the library, prints and writes results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import sys
from collections.abc import Sequence

from randcheck import __version__
from randcheck.errors import RandcheckError

DEMO_SEED = "2023-03-07 双色球 第2023025期 04 09 13 17 26 31 + 12"


def _demo(args: argparse.Namespace) -> int:
    from randcheck.example import example_county
    from randcheck.sampling import SamplingPlan, commit, draw, verify

    out = pathlib.Path(args.out) if args.out else None
    county = example_county()
    print(f"randcheck {__version__} — 示例县 {county.name}")
    print(county.summary())
    plan = SamplingPlan.from_preset("henan-2021", name="2023年度定向抽查（示例）")
    commitment = commit(county.targets, plan)
    print(f"\n1. 公示承诺 commitment (publish before the seed): {commitment.digest}")
    print(f"2. 公开随机种子 public seed: {args.seed}")
    result = draw(
        county.targets,
        plan,
        seed=args.seed,
        commitment=commitment,
        drawn_by="法治办（示例）",
        drawn_at=dt.datetime(2023, 3, 7, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    )
    print(f"3. 抽取检查对象 drawn: {len(result)} of {result.receipt.eligible} eligible targets")
    print(f"   {'层 stratum':<12}{'对象数 N':>10}{'期望 E[n]':>12}{'抽取 n':>8}{'概率 π':>10}")
    for s in result.strata:
        print(
            f"   {'/'.join(s.key):<12}{s.population:>10}{s.expected:>12.2f}{s.size:>8}"
            f"{s.probability:>10.3f}"
        )
    verify(result.receipt, county.targets)
    print("4. 验证 verify: the receipt recomputes to the same sample (样本一致)")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "receipt.json").write_text(result.receipt.to_json(), encoding="utf-8")
        (out / "commitment.json").write_text(
            json.dumps(commitment.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        county.targets.to_csv(out / "roster.csv")
        print(
            f"\nWrote receipt.json, commitment.json and roster.csv to {out}; check them with\n"
            f"  python -m randcheck.reference_verifier {out / 'receipt.json'} "
            f"{out / 'roster.csv'}"
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m randcheck`` and the ``randcheck`` script."""
    parser = argparse.ArgumentParser(
        prog="randcheck", description="Verifiable random inspection (双随机、一公开)."
    )
    parser.add_argument("--version", action="version", version=f"randcheck {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a year's draw on the bundled example county")
    demo.add_argument("--seed", default=DEMO_SEED, help="public seed (default: a lottery result)")
    demo.add_argument("--out", help="folder to write the receipt, commitment and roster to")
    demo.set_defaults(run=_demo)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except RandcheckError as exc:
        print(f"randcheck: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
