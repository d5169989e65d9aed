"""Joint inspections: a coordinated batch drawn and merged, the merge alone, and what it saves.

Goals from issue 5:

- 20 items over a 10⁶-target roster, coordinated, drawn and merged into visits: under 2 s
  (absolute). The roster's digest is computed beforehand, as it is when the roster is committed
  (a second row shows the time including it). The baseline is the same batch without the
  per-target number cache (each item hashing its own scope, as ``draw`` alone does).
- The merge alone, linear in the number of (item, target) pairs: timed at 10⁵, 3·10⁵ and 10⁶
  pairs over the same 10⁶-target roster, against the argsort merge it replaced; the growth of
  the time per pair from 10⁵ to 10⁶ pairs should stay near 1 (goal ≤ 1.5).
- The burden on the example county: expected visits unmerged, independent and at the lower
  bound Σ_t max_i π_it; realized visits, coordinated and independent, averaged over simulated
  batches (unit ``visits``).

Quick mode uses a 10⁴-target roster, pair counts 10³…10⁴ and 20 simulated batches.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from _harness import Row, interleaved, timed_row
from randcheck import draw, draw_batch, example_county
from randcheck.example import synthetic_targets
from randcheck.joint import expected_visits, item_plan, merge_visits
from randcheck.models import Item
from randcheck.randomness import HashSource
from randcheck.roster import TargetRoster

SEED = "2023-11-07 03 08 14 22 27 31 + 09"
RATES = (0.03, 0.05, 0.1, 0.2, 0.3)


def twenty_items() -> list[Item]:
    """18 items over two industries each (sizes fall off as 1/rank), 2 over the whole roster."""
    items = []
    for k in range(20):
        if k < 18:
            scope = {f"行业{k + 1:02d}", f"行业{(k + 10) % 30 + 1:02d}"}
            items.append(
                Item(
                    f"IT-{k:02d}", f"item {k}", f"部门{k % 4}", industries=scope, rate=RATES[k % 5]
                )
            )
        else:
            items.append(Item(f"IT-{k:02d}", f"item {k}", f"部门{k % 4}", rate=0.03))
    return items


def uncached_batch(roster: TargetRoster, items: list[Item]) -> Any:
    """The coordinated batch the plain way: every item hashes its own scope."""
    base = HashSource.from_seed(SEED).at(["batch", "batch"])
    rows = [draw(roster, item_plan(it), source=base, stream="units").rows for it in items]
    return merge_visits(roster, items, rows)


def argsort_merge(roster: TargetRoster, rows_per_item: list[np.ndarray]) -> Any:
    """The merge before issue 5's rework: an argsort of visited codes and one of the pairs."""
    n = len(roster)
    pair_row = np.concatenate(rows_per_item)
    pair_item = np.concatenate([np.full(len(r), k) for k, r in enumerate(rows_per_item)])
    counts = np.bincount(pair_row, minlength=n)
    visit_rows = np.flatnonzero(counts)
    codes = roster.credit_code[visit_rows]
    order = np.argsort(codes, kind="stable")
    visit_rows = visit_rows[order]
    position = np.full(n, -1, dtype=np.intp)
    position[visit_rows] = np.arange(visit_rows.shape[0])
    grouping = np.argsort(position[pair_row], kind="stable")
    return pair_item[grouping]


def pair_sets(n: int, pairs: int, k: int, seed: int) -> list[np.ndarray]:
    """``k`` items, each with ``pairs / k`` distinct random rows of an ``n``-row roster."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n)[: pairs // k] for _ in range(k)]


def merge_rows(roster: TargetRoster, quick: bool) -> list[Row]:
    n = len(roster)
    items = twenty_items()
    sizes = (1_000, 3_000, 10_000) if quick else (100_000, 300_000, 1_000_000)
    per_pair: list[float] = []
    rows: list[Row] = []
    roster.row_of(roster.credit_code[:1])  # the roster's code order, cached as after a draw
    for pairs in sizes:
        sets = pair_sets(n, pairs, len(items), seed=pairs)
        figures = interleaved(
            {
                "ours": lambda sets=sets: merge_visits(roster, items, sets),
                "theirs": lambda sets=sets: argsort_merge(roster, sets),
            }
        )
        ours = figures["ours"][0]
        per_pair.append(ours / pairs)
        rows.append(
            timed_row(
                "joint",
                f"merge alone, {pairs:,} pairs, {n:,} roster",
                figures["ours"],
                "argsort merge (before)",
                figures["theirs"],
            )
        )
        rows.append(
            Row(
                "joint",
                f"merge time per pair, {pairs:,} pairs",
                ours / pairs * 1e9,
                "-",
                None,
                unit="ns/pair",
            )
        )
    rows.append(
        Row(
            "joint",
            f"per-pair time growth, {sizes[0]:,} → {sizes[-1]:,} pairs",
            per_pair[-1] / per_pair[0],
            "absolute goal: linear (≤ 1.5)",
            None,
            goal=1.5,
            unit="x",
        )
    )
    return rows


def batch_rows(roster: TargetRoster) -> list[Row]:
    items = twenty_items()
    n = len(roster)
    t0 = time.perf_counter()
    b = draw_batch(roster, items, seed=SEED)  # the first call also computes the roster digest
    cold = time.perf_counter() - t0
    figures = interleaved(
        {
            "warm": lambda: draw_batch(roster, items, seed=SEED),
            "plain": lambda: uncached_batch(roster, items),
            "indep": lambda: draw_batch(roster, items, seed=SEED, coordinated=False),
        }
    )
    warm, plain, indep = (figures[k][0] for k in ("warm", "plain", "indep"))
    assert uncached_batch(roster, items).digest() == b.visits.digest()
    burden = b.burden()
    return [
        Row(
            "joint",
            f"20 items × {n:,} roster, coordinated draw + merge",
            warm,
            "absolute goal: under 2 s (roster digest known)",
            None,
            goal=2.0,
        ),
        Row(
            "joint",
            "  same, uncached numbers (each item hashes its scope)",
            warm,
            "uncached coordinated batch",
            plain,
        ),
        Row("joint", "  same, including the roster digest (first use)", cold, "-", None),
        Row("joint", "  independent mode (each item its own key)", indep, "-", None),
        Row(
            "joint",
            f"  visits after merging ({burden.visits_unmerged:,} before)",
            burden.visits,
            "-",
            None,
            unit="visits",
        ),
    ]


def county_rows(quick: bool) -> list[Row]:
    county = example_county()
    targets, items = county.targets, county.items
    reps = 20 if quick else 200
    e = expected_visits(targets, items)
    coord = np.mean([len(draw_batch(targets, items, rng=i).visits) for i in range(reps)])
    indep = np.mean(
        [
            len(draw_batch(targets, items, rng=10_000 + i, coordinated=False).visits)
            for i in range(reps)
        ]
    )
    return [
        Row(
            "joint",
            "example county: expected visits unmerged (Σ π)",
            e["unmerged"],
            "-",
            None,
            unit="visits",
        ),
        Row(
            "joint",
            "example county: expected visits, independent",
            e["independent"],
            "-",
            None,
            unit="visits",
        ),
        Row(
            "joint",
            "example county: lower bound Σ_t max_i π",
            e["lower_bound"],
            "-",
            None,
            unit="visits",
        ),
        Row(
            "joint",
            f"example county: coordinated, mean of {reps} batches",
            float(coord),
            f"independent, mean of {reps}",
            float(indep),
            unit="visits",
            lower_is_better=True,
        ),
        Row(
            "joint",
            f"example county: coordinated / lower bound ({reps} batches)",
            float(coord),
            "lower bound",
            e["lower_bound"],
            goal=1.02,
            unit="visits",
            lower_is_better=True,
        ),
    ]


def run(quick: bool) -> list[Row]:
    roster = synthetic_targets(10_000 if quick else 1_000_000, seed=1)
    rows = batch_rows(roster)
    rows += merge_rows(roster, quick)
    rows += county_rows(quick)
    return rows
