"""Target sampling: ``randcheck.sampling.draw`` against pandas and Rivest's consistent sampler.

Goals from issue 3 (ratios measured in the same run, on the same data):

- simulation mode, 10⁷ targets, 4 risk classes × 30 industries, overall 3%: equal probability at
  least 5× faster than pandas ``groupby(...).sample(frac=0.03)``; πps at least 20× faster than
  pandas ``groupby(...).sample(frac=0.03, weights=...)`` (scores uniform on [0.5, 2], which
  pandas 3 accepts); peak traced memory under 2× the roster's own arrays;
- verifiable mode, 10⁶ targets, 3%: at least 5× faster than Rivest's consistent sampler (pure
  Python, as in ``consistent_sampler.py``: per id ``SHA-256(SHA-256(seed) + ":id:" + id)``, then
  the ticket ``SHA-256(that + "0")``, a heap, the 3% smallest tickets), while doing strictly
  more (strata, rounding, inclusion probabilities, roster digest, receipt);
- 10⁷ targets verifiable in under 10 s on 2 cores (``workers=2``);
- a county (4·10⁴ targets) official draw end to end, receipt included, under 0.1 s.

Every roster is built through a public constructor with its rows in random order: the
simulation rows use ``TargetRoster.from_dataframe`` on a pandas frame of plain strings (the same
rows pandas samples from, with categorical strata columns, pandas' fastest grouping), the
official rows ``TargetRoster.from_columns``. Every time is the median of at least 5 interleaved
runs (ours, baseline, ours …) with the min–max of each side.

Simulation rows are measured twice: a first draw (on a roster that keeps nothing yet:
``roster.forget_derived()`` before each run, untimed) and a replicate draw, the notebook case of
thousands of simulations on one roster and plan, where the roster keeps the random-number-free
part of the design (``TargetRoster.derived``). Each timed draw reads its sample as
``Draw.by_row()``: the drawn rows with their π and strata, in roster order (pandas' result is
the sampled rows of its frame, grouped by stratum; neither is in credit-code order). A
simulation puts its sample in credit-code order when ``ids``, ``rows``, … are first read, so
two context rows time the same draws with ``.ids`` read instead. Peak memory (with the ids
read) is measured for
both, against the bytes of the roster's own arrays (traced while a copy is made with
``take``). Two more rows give context: per plan, the cost per draw amortised over 1,000 draws,
``(first + 999·replicate) / 1000``, against the same pandas expression and goal; for πps, the
replicate draw against pandas with the ``groupby`` object built once and reused (pandas' own
best case for repeated draws).

The simulation rows take nine repeats (pandas' time at 10⁷ is bimodal), the others five.
Quick mode uses 10⁵ targets for the big rows and 3 repeats.
"""

from __future__ import annotations

import gc
import itertools
import tracemalloc

import attrs
import consistent_sampler
import numpy as np
import pandas as pd

from _harness import Row, credit_codes, interleaved, peak_bytes, slope_row, timed_row
from randcheck import TargetRoster
from randcheck.randomness.seeds import SeedRule
from randcheck.roster import Categorical
from randcheck.sampling import SamplingPlan, commit, draw, verify

STRATA = ("risk_class", "industry")


def _roster(n: int, *, score: bool, seed: int = 0) -> TargetRoster:
    """Credit codes in no particular order: a sample drawn in row order is then not in code
    order already (a roster sorted by code makes our draws faster, pandas' not)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {
        "credit_code": credit_codes(n, seed),
        "risk_class": np.array(list("ABCD"))[rng.choice(4, n, p=[0.55, 0.35, 0.07, 0.03])],
        "industry": Categorical(
            rng.integers(0, 30, n).astype(np.int32), tuple(f"行业{i:02d}" for i in range(30))
        ),
    }
    if score:
        cols["risk_score"] = rng.uniform(0.5, 2.0, n)
        return TargetRoster.from_columns(cols, extra=["risk_score"])
    return TargetRoster.from_columns(cols)


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    """A user's frame: credit codes in random order, class letters and industry names as plain
    strings, a float score."""
    rng = np.random.default_rng(seed)
    industries = np.array([f"行业{i:02d}" for i in range(30)])
    return pd.DataFrame(
        {
            "credit_code": credit_codes(n, seed).astype("U18"),
            "risk_class": np.array(list("ABCD"))[rng.choice(4, n, p=[0.55, 0.35, 0.07, 0.03])],
            "industry": industries[rng.integers(0, 30, n)],
            "risk_score": rng.uniform(0.5, 2.0, n),
        }
    )


def _own_bytes(roster: TargetRoster) -> int:
    """Bytes of the roster's own arrays: the memory a copy made by ``take`` keeps."""
    rows = np.arange(len(roster))
    gc.collect()
    tracemalloc.start()
    try:
        copy = roster.take(rows)
        kept, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del copy
    return int(kept)


def _rivest(ids: list[str], seed: str, n: int) -> list[str]:
    """Rivest's consistent sampler, the ``consistent-sampler`` package itself: the ``n`` first
    ids of a sample without replacement."""
    return list(consistent_sampler.sampler(ids, seed=seed, take=n, output="id"))


def _simulation_rows(big: int, repeat: int) -> list[Row]:
    rows: list[Row] = []
    equal = SamplingPlan(overall_rate=0.03, strata=STRATA)
    pps = SamplingPlan(overall_rate=0.03, strata=STRATA, within="pps", size_column="risk_score")
    frame = _frame(big)
    r = TargetRoster.from_dataframe(frame, extra=["risk_score"])
    df = pd.DataFrame(
        {
            "risk_class": frame["risk_class"].astype("category"),
            "industry": frame["industry"].astype("category"),
            "risk_score": frame["risk_score"],
        }
    )
    del frame
    by = ["risk_class", "industry"]
    baselines = {
        "equal": (
            "pandas groupby.sample(frac=0.03)",
            lambda: df.groupby(by, observed=True).sample(frac=0.03, random_state=1),
            5.0,
        ),
        "πps": (
            "pandas groupby.sample(frac=0.03, weights=)",
            lambda: df.groupby(by, observed=True).sample(
                frac=0.03, weights=df["risk_score"], random_state=1
            ),
            20.0,
        ),
    }
    seeds = itertools.count(1)
    for name, plan in (("equal", equal), ("πps", pps)):
        base_name, base, goal = baselines[name]
        figures = interleaved(
            {
                # The sample read as pandas gives it: the drawn rows with their π and strata.
                "first": lambda plan=plan: draw(r, plan, rng=next(seeds)).by_row(),
                "replicate": lambda plan=plan: draw(r, plan, rng=next(seeds)).by_row(),
                "pandas": base,
                # The sample's arrays are put in credit-code order when first read: the same
                # draws with their ids read, for a user who reads them.
                "first, ids read": lambda plan=plan: draw(r, plan, rng=next(seeds)).ids,
                "replicate, ids read": lambda plan=plan: draw(r, plan, rng=next(seeds)).ids,
            },
            repeat=repeat,
            setup={
                "first": r.forget_derived,  # nothing kept: as freshly loaded
                "replicate": lambda plan=plan: draw(r, plan, rng=0),  # the design is kept
                "first, ids read": r.forget_derived,
                "replicate, ids read": lambda plan=plan: draw(r, plan, rng=0),
            },
        )
        first, rep, pandas = figures["first"], figures["replicate"], figures["pandas"]
        rows.append(
            timed_row(
                "sampling", f"sim. {name}, first draw, {big:,}", first, base_name, pandas, goal
            )
        )
        rows.append(
            timed_row(
                "sampling",
                f"sim. {name}, replicate (design kept), {big:,}",
                rep,
                base_name,
                pandas,
                goal,
            )
        )
        for when in ("first draw", "replicate"):
            key = "first, ids read" if when == "first draw" else "replicate, ids read"
            rows.append(
                timed_row(
                    "sampling",
                    f"sim. {name}, {when} with its ids read (code order), {big:,}",
                    figures[key],
                    base_name,
                    pandas,
                    None,  # context: what reading the sample's ids adds
                )
            )
        amortised = (first[0] + 999 * rep[0]) / 1000
        rows.append(
            Row(
                "sampling",
                f"sim. {name}, amortised over 1,000 draws, {big:,}",
                amortised,
                base_name,
                pandas[0],
                goal,
            )
        )
        if name == "πps":
            # Built here, not before the rows above: a groupby object kept alive slows pandas'
            # fresh groupby.sample at 10⁷ by about a third (measured), which would flatter us.
            grouped = df.groupby(by, observed=True)
            reused = interleaved(
                {
                    "replicate": lambda plan=plan: draw(r, plan, rng=next(seeds)),
                    "pandas": lambda grouped=grouped: grouped.sample(
                        frac=0.03, weights=df["risk_score"], random_state=1
                    ),
                },
                repeat=repeat,
            )
            rows.append(
                timed_row(
                    "sampling",
                    f"sim. πps, replicate vs a reused groupby, {big:,}",
                    reused["replicate"],
                    "pandas grouped.sample(frac=0.03, weights=), groupby built once",
                    reused["pandas"],
                    None,  # context: pandas' best case for repeated draws
                )
            )
            del grouped
    own = _own_bytes(r)
    for name, plan in (("equal", equal), ("πps", pps)):
        for when in ("first draw", "replicate"):
            if when == "first draw":
                r.forget_derived()
            # With the ids read: the most a draw's sample takes (code order included).
            peak, _ = peak_bytes(lambda plan=plan: draw(r, plan, rng=next(seeds)).ids)
            rows.append(
                Row(
                    "sampling",
                    f"peak memory, sim. {name}, {when}, ids read, {big:,}",
                    float(peak),
                    "the roster's own arrays",
                    float(own),
                    2.0,
                    unit="B",
                    lower_is_better=True,
                )
            )
    return rows


def run(quick: bool) -> list[Row]:
    big = 100_000 if quick else 10_000_000
    mid = 100_000 if quick else 1_000_000
    repeat = 3 if quick else 5
    # pandas' weighted draw at 10⁷ is bimodal on this machine (about 1 s, and 1.4–2.2 s in
    # about one run in four, alone or interleaved): nine repeats keep a median from landing
    # on the slow mode by chance and flattering the ratio.
    rows = _simulation_rows(big, repeat if quick else 9)
    strata = STRATA
    equal = SamplingPlan(overall_rate=0.03, strata=strata)

    # Verifiable, 10⁶ (quick: 10⁵), against Rivest's sampler on the same ids; medians of
    # interleaved runs, each draw on a fresh copy of the roster (no digest or design kept).
    plan1 = SamplingPlan(overall_rate=0.03)
    rv = _roster(mid, score=False)
    ids = [b.decode() for b in rv.credit_code.tolist()]
    fresh: list[TargetRoster] = [rv]

    def renew(source: TargetRoster) -> None:
        fresh[0] = source.take(np.arange(len(source)))

    figures = interleaved(
        {
            "ours": lambda: draw(fresh[0], plan1, seed="2023-1107"),
            "rivest": lambda: _rivest(ids, "2023-1107", round(0.03 * mid)),
        },
        repeat=repeat,
        setup=lambda: renew(rv),
    )
    rows.append(
        timed_row(
            "sampling",
            f"official draw {mid:,}, incl. roster digest",
            figures["ours"],
            "consistent-sampler package (Rivest), same ids",
            figures["rivest"],
            5.0,
        )
    )

    # Verifying a committed draw costs at most 1.2× drawing it (issue 12): the same roster
    # (digest known), medians of interleaved runs.
    committed = commit(
        rv,
        plan1,
        seed_rule=SeedRule.dice(8, date="2023-11-07"),
        seed_from="eight dice rolled in public",
    )
    dice = "2023-11-07 3 1 4 1 5 9 2 6"
    made = draw(rv, plan1, seed=dice, commitment=committed)
    figures = interleaved(
        {
            "verify": lambda: verify(made.receipt, rv),
            "draw": lambda: draw(rv, plan1, seed=dice, commitment=committed),
        },
        repeat=repeat,
    )
    row = timed_row(
        "sampling",
        f"verify a committed draw of {mid:,}",
        figures["verify"],
        "drawing it",
        figures["draw"],
        1.2,
    )
    rows.append(attrs.evolve(row, lower_is_better=True))

    # Verifiable, 10⁷ (quick: 10⁵): workers=1 and workers=2, fingerprint included.
    rb = _roster(big, score=False)
    cpu: dict[str, tuple[float, float, float]] = {}
    figures = interleaved(
        {
            "w1": lambda: draw(fresh[0], equal, seed="2023-1107"),
            "w2": lambda: draw(fresh[0], equal, seed="2023-1107", workers=2),
        },
        repeat=repeat,
        setup=lambda: renew(rb),
        cpu=cpu,
    )
    # The same draw (workers=1) at two smaller sizes: how its wall and CPU time grow.
    wall_at, cpu_at = {big: figures["w1"][0]}, {big: cpu["w1"][0]}
    for small in (big // 100, big // 10):
        rs = _roster(small, score=False)
        small_cpu: dict[str, tuple[float, float, float]] = {}
        small_figures = interleaved(
            {"w1": lambda: draw(fresh[0], equal, seed="2023-1107")},
            repeat=repeat,
            setup=lambda rs=rs: renew(rs),
            cpu=small_cpu,
        )
        wall_at[small], cpu_at[small] = small_figures["w1"][0], small_cpu["w1"][0]
    fresh.clear()
    rows.append(
        timed_row(
            "sampling",
            f"official draw {big:,}, workers=1, incl. digest",
            figures["w1"],
            "-",
            None,
            None,  # one core of two: context for the rows below
        )
    )
    # Issue 15's goal is for the machine (both cores): the draw with workers=2 under 5 s.
    rows.append(
        timed_row(
            "sampling",
            f"official draw {big:,}, workers=2, incl. digest",
            figures["w2"],
            "absolute goal: under 5 s",
            None,
            5.0,
        )
    )
    rows.append(
        timed_row(
            "sampling",
            f"official draw {big:,}, workers=2 against workers=1",
            figures["w2"],
            "the same draw with workers=1",
            figures["w1"],
            1.6,
        )
    )
    rows.append(slope_row("sampling", "official draw, workers=1, wall time", wall_at))
    rows.append(slope_row("sampling", "official draw, workers=1, CPU time", cpu_at))

    # A county: 4·10⁴ targets, end to end with receipt (fresh roster: digest included).
    county = 40_000
    rates = SamplingPlan(rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.5})
    for score in (False, True):
        rc = _roster(county, score=score, seed=3)
        copies: list[TargetRoster] = []

        def fresh_copy(rc: TargetRoster = rc, copies: list[TargetRoster] = copies) -> None:
            copies[:] = [rc.take(np.arange(county))]

        figures = interleaved(
            {
                "ours": lambda copies=copies: draw(
                    copies[0], rates, seed="2023-1107"
                ).receipt.to_json(),
            },
            repeat=repeat,
            setup=fresh_copy,
        )
        label = "with a float column" if score else "no float column"
        rows.append(
            timed_row(
                "sampling",
                f"county official draw 40,000 + receipt ({label})",
                figures["ours"],
                "absolute goal: under 0.1 s",
                None,
                0.1,
            )
        )
    return rows
