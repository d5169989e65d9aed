"""Write one published record of every kind, made from the bundled example county, to a folder.

``python tests/data/golden/make_golden.py tests/data/golden`` wrote the records committed beside
this script; ``tests/test_golden_records.py`` checks that they still verify and that the same
inputs still give the same bytes. Regenerate them only when a recipe is deliberately replaced
(possible until 0.1.0, and said in CHANGELOG); from 0.1.0 on they are frozen.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
from typing import Any

import randcheck as rc
from randcheck.cli import main as cli_main

WHEN = dt.datetime(2023, 3, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SEED = "双色球 2023-03-07 03 07 12 19 25 31 + 09"
PLAN = rc.SamplingPlan(rates={"A": 0.01, "B": 0.02, "C": 0.05, "D": 0.2})
MATCHED_VISITS = 40


def write_records(out: pathlib.Path, *, keep_results: bool = False) -> None:
    """Write every kind of record to ``out`` (created if missing).

    ``keep_results`` keeps the demo's result table as ``demo-results.csv`` (what the revisit
    receipt is verified against; 280 kB, so not committed: its hash is in the manifest).
    """
    out.mkdir(parents=True, exist_ok=True)
    county = rc.example_county()

    def dump(name: str, record: Any) -> None:
        (out / name).write_text(record.to_json() + "\n", encoding="utf-8")

    commitment = rc.commit(
        county.targets,
        PLAN,
        seed_rule=rc.SeedRule.shuangseqiu(date="2023-03-07"),
        seed_from="golden",
    )
    dump("commitment.json", commitment)
    drawn = rc.draw(county.targets, PLAN, seed=SEED, commitment=commitment, drawn_at=WHEN)
    dump("draw-receipt.json", drawn.receipt)
    for coordinated in (True, False):
        batch = rc.draw_batch(
            county.targets,
            county.items,
            seed=SEED,
            coordinated=coordinated,
            batch="2023",
            year=2023,
            drawn_at=WHEN,
        )
        name = "coordinated" if coordinated else "independent"
        dump(f"batch-{name}.json", batch.receipt)
    batch_rule = rc.SeedRule.shuangseqiu(date="2023-03-07")
    committed = rc.commit_batch(
        county.targets,
        county.items,
        batch="2023-committed",
        lead_order=("商务局",),
        year=2023,
        seed_rule=batch_rule,
        seed_from="golden",
    )
    dump("batch-commitment.json", committed)
    dump(
        "batch-committed.json",
        rc.draw_batch(
            county.targets,
            county.items,
            seed=SEED,
            batch="2023-committed",
            lead_order=("商务局",),
            year=2023,
            commitment=committed,
            drawn_at=WHEN,
        ).receipt,
    )
    joint_items = [it for it in county.items if it.code.endswith("-07")]
    joint_plan = rc.SamplingPlan(overall_rate=0.5)
    joint_commitment = rc.joint.commit_joint_task(
        county.targets,
        joint_items,
        joint_plan,
        batch="task-committed",
        lead_order=("商务局",),
        year=2023,
        seed_rule=batch_rule,
        seed_from="golden",
    )
    dump(
        "joint-task-committed.json",
        rc.draw_joint_task(
            county.targets,
            joint_items,
            joint_plan,
            seed=SEED,
            batch="task-committed",
            lead_order=("商务局",),
            year=2023,
            commitment=joint_commitment,
            drawn_at=WHEN,
        ).receipt,
    )
    task = rc.draw_joint_task(
        county.targets, county.items[:3], PLAN, seed=SEED, batch="task", year=2023, drawn_at=WHEN
    )
    dump("joint-task.json", task.receipt)
    visits = list(batch.visits)[:MATCHED_VISITS]
    teams = rc.match_officers(visits, county.officers, conflicts=county.conflicts, seed=SEED)
    dump("matching-record.json", teams.record())
    swept = rc.matching.match_by_sweep(
        visits, county.officers, conflicts=county.conflicts, seed=SEED
    )
    dump("sweep-record.json", swept.record())
    archive = out / "demo-archive"
    if cli_main(["demo", "--out", str(archive)]) != 0:
        raise RuntimeError("the demo did not run")
    results = rc.ResultTable.from_csv(archive / "results.csv")
    revisits = rc.draw_revisits(
        results,
        rc.RevisitPlan(by="department", rate=0.05),
        as_of="2023-12-31",
        seed=SEED,
        drawn_at=WHEN,
    )
    dump("revisit-receipt.json", revisits.receipt)
    if keep_results:
        (out / "demo-results.csv").write_bytes((archive / "results.csv").read_bytes())
    for path in archive.iterdir():  # keep the manifest: it fixes every file's bytes (4.6 MB)
        if path.name != "MANIFEST.json":
            path.unlink()


if __name__ == "__main__":
    write_records(pathlib.Path(sys.argv[1]))
