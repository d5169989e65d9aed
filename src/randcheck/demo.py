"""The demo: a year's work on the bundled example county (``python -m randcheck demo``)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

from randcheck import __version__
from randcheck.cli import DEMO_SEED

__all__ = ["run_demo"]


def run_demo(*, seed: str = DEMO_SEED, out: str | None = None) -> int:
    """Run the demo on the example county, print the report, write files to ``out``."""
    from randcheck.example import example_county
    from randcheck.sampling import SamplingPlan, commit, draw, verify

    folder = pathlib.Path(out) if out else None
    county = example_county()
    print(f"randcheck {__version__} — 示例县 {county.name}")
    print(county.summary())
    plan = SamplingPlan.from_preset("henan-2021", name="2023年度定向抽查（示例）")
    commitment = commit(county.targets, plan)
    print(f"\n1. 公示承诺 commitment (publish before the seed): {commitment.digest}")
    print(f"2. 公开随机种子 public seed: {seed}")
    result = draw(
        county.targets,
        plan,
        seed=seed,
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
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "receipt.json").write_text(result.receipt.to_json(), encoding="utf-8")
        (folder / "commitment.json").write_text(
            json.dumps(commitment.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        county.targets.to_csv(folder / "roster.csv")
        print(
            f"\nWrote receipt.json, commitment.json and roster.csv to {folder}; check them with\n"
            f"  python -m randcheck.reference_verifier {folder / 'receipt.json'} "
            f"{folder / 'roster.csv'}"
        )
    return 0
