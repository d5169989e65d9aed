"""Officer matching: county and province batches, and how the time scales.

Goals from issue 6 (absolute, so ``baseline=None``): a county batch of 300 visits and 30 officers
in under 50 ms; a province batch of 10⁵ visits, 5·10³ officers, 10 skills, 1% conflict pairs and
teams of 2 in under 10 s and under 4 GiB (tracemalloc peak). A baseline row compares with the
naive exact approach, one 0/1 integer programme over every eligible pair (scipy ``milp``).

A county batch whose visits' requirements overlap (joint visits needing two skills, visits
needing three skills that officers hold together, two skills only experts hold) is matched under
recipe ``randcheck-matching/2`` (drawn covers, the flow, the pair cap) and, as the baseline, under
``randcheck-matching/1``, which sends such a batch to the 0/1 programme; the row's label gives the
method and the largest pair probability of each.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from _harness import Row, best_time, peak_bytes
from randcheck import OfficerRoster, Visit
from randcheck.matching import MatchingRules, _solve_milp, match_officers
from randcheck.roster import STRING

SKILLS = tuple(f"专长{i}" for i in range(10))


def _roster(n: int, cap: int, rng: np.random.Generator) -> OfficerRoster:
    first = rng.integers(0, len(SKILLS), n)
    second = rng.integers(0, len(SKILLS), n)
    skills = [
        f"{SKILLS[a]};{SKILLS[b]}" for a, b in zip(first.tolist(), second.tolist(), strict=True)
    ]
    return OfficerRoster.from_columns(
        {
            "officer_id": [f"1306{i:08d}" for i in range(n)],
            "skills": skills,
            "unit": [f"执法{i % 20}中队" for i in range(n)],
            "load_cap": np.full(n, cap, dtype=np.int64),
        }
    )


def _visits(n: int, rng: np.random.Generator) -> list[Visit]:
    need = rng.random(n) < 0.5
    which = rng.integers(0, len(SKILLS), n)
    return [
        Visit(
            f"91130634MA{i:08d}",
            items=("SW",),
            departments=("商务局",),
            skills=(SKILLS[w],) if nd else (),
            area="130634",
        )
        for i, (nd, w) in enumerate(zip(need.tolist(), which.tolist(), strict=True))
    ]


def _conflicts(
    visits: list[Visit], n_officers: int, share: float, rng: np.random.Generator
) -> dict[str, Any]:
    n = int(len(visits) * n_officers * share)
    keys = np.unique(rng.integers(0, len(visits) * n_officers, n))
    v, o = keys // n_officers, keys % n_officers
    codes = np.array([x.credit_code for x in visits], dtype=STRING)
    ids = np.strings.add("1306", np.strings.zfill(o.astype(STRING), 8))
    return {"officer_id": ids, "credit_code": codes[v]}


def _case(n_visits: int, n_officers: int, seed: int = 1, slack: float = 1.25) -> tuple[Any, ...]:
    """A batch whose load caps are ``slack`` times the average load (1.02: caps bind)."""
    rng = np.random.default_rng(seed)
    visits = _visits(n_visits, rng)
    cap = int(np.ceil(2 * n_visits / n_officers * slack))
    officers = _roster(n_officers, cap, rng)
    conflicts = _conflicts(visits, n_officers, 0.01, rng)
    return visits, officers, conflicts


def _overlap_case(n_visits: int, n_officers: int, seed: int = 2) -> tuple[Any, ...]:
    """Officers of two departments with two or three of five skills, 4 experts; a third of the
    visits joint and needing two skills, a third needing three skills, a sixth needing two
    skills only experts hold."""
    rng = np.random.default_rng(seed)
    five = SKILLS[:5]
    held = [
        ";".join(rng.choice(five, rng.integers(2, 4), replace=False)) for _ in range(n_officers)
    ]
    x_skills = ("专长8;专长9", "专长8", "专长9", "专长9;专长8")
    officers = OfficerRoster.from_columns(
        {
            "officer_id": [f"1306{i:08d}" for i in range(n_officers + 4)],
            "skills": held + list(x_skills),
            "department": [("商务局", "公安局")[i % 2] for i in range(n_officers)] + [""] * 4,
            "expert": np.array([False] * n_officers + [True] * 4),
        }
    )
    visits = []
    for i in range(n_visits):
        kind = i % 6
        if kind < 2:
            depts, skills = ("商务局", "公安局"), tuple(rng.choice(five, 2, replace=False))
        elif kind < 4:
            depts, skills = ("商务局",), tuple(rng.choice(five, 3, replace=False))
        elif kind == 4:
            depts, skills = ("公安局",), ("专长8", "专长9")
        else:
            depts, skills = ("公安局",), ()
        visits.append(Visit(f"91130634MA{i:08d}", items=("SW",), departments=depts, skills=skills))
    return visits, officers, {"officer_id": [], "credit_code": []}


def _timed(
    case: tuple[Any, ...], repeat: int, rules: MatchingRules | None = None
) -> tuple[float, Any]:
    visits, officers, conflicts = case
    out: list[Any] = []

    def call() -> None:
        out.append(
            match_officers(visits, officers, conflicts=conflicts, rules=rules, seed="2023-1107")
        )

    return best_time(call, repeat=repeat), out[-1]


def _peak(case: tuple[Any, ...]) -> int:
    visits, officers, conflicts = case
    peak, _ = peak_bytes(
        lambda: match_officers(visits, officers, conflicts=conflicts, seed="2023-1107")
    )
    return peak


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    t, _ = _timed(_case(300, 30), repeat=5)
    rows.append(Row("matching", "county 300 visits x 30 officers", t, "goal", None, goal=0.05))

    # Overlapping requirements: drawn covers and the flow (/2) against the 0/1 programme (/1).
    over = _overlap_case(300, 30)
    cap = 0.5
    t2, a2 = _timed(over, repeat=3, rules=MatchingRules(pair_cap=cap))
    t1, a1 = _timed(
        over, repeat=1, rules=MatchingRules(pair_cap=cap, recipe="randcheck-matching/1")
    )
    top = a2.pair_probabilities.probability.max() if a2.pair_probabilities is not None else None
    rows.append(
        Row(
            "matching",
            f"county 300 visits, overlapping requirements, cap {cap}: /2 {a2.method}, "
            f"{len(a2.nested)} covers, largest pair probability {top}",
            t2,
            f"/1 {a1.method} (no pair probabilities)",
            t1,
        )
    )

    n = 3_000 if quick else 30_000
    t, a = _timed(_overlap_case(n, n // 10), repeat=1, rules=MatchingRules(pair_cap=cap))
    rows.append(
        Row(
            "matching",
            f"{n} visits x {n // 10} officers, 5 in 6 overlapping, cap {cap} ({a.method}, "
            f"{a.cap_exceeded} pairs above the cap)",
            t,
            "goal",
            None,
        )
    )

    # Baseline: one exact 0/1 programme over every eligible pair, at a size it can still do.
    small = _case(300, 30) if quick else _case(2000, 100)
    ours, _ = _timed(small, repeat=3)
    base = best_time(lambda: _dense_milp(*small), repeat=1)
    label = f"{len(small[0])} visits x {len(small[1])} officers"
    rows.append(Row("matching", label, ours, "milp, all pairs", base))

    sizes = [3_000] if quick else [10_000, 30_000, 100_000]
    for n in sizes:
        n_off = max(50, n // 20)
        case = _case(n, n_off)
        t, a = _timed(case, repeat=1)
        label = f"{n} visits x {n_off} officers, 1% conflicts ({a.method})"
        goal = 10.0 if n == 100_000 else None
        rows.append(Row("matching", label, t, "goal", None, goal=goal))
        if n == sizes[-1]:
            peak = _peak(case)
            rows.append(
                Row(
                    "matching",
                    f"{n} visits: peak memory (tracemalloc)",
                    float(peak),
                    "goal",
                    None,
                    goal=4 * 2.0**30,
                    unit="B",
                    lower_is_better=True,
                )
            )
    # Load caps only 2% above the average load: the maximum-flow path sets the marginals.
    n = sizes[-1]
    t, a = _timed(_case(n, max(50, n // 20), slack=1.02), repeat=1)
    rows.append(
        Row(
            "matching",
            f"{n} visits, caps 2% above average load ({a.method})",
            t,
            "goal",
            None,
            goal=10.0 if n == 100_000 else None,
        )
    )
    return rows


def _dense_milp(visits: list[Visit], officers: OfficerRoster, conflicts: Any) -> None:
    """The naive exact approach: every eligible pair a 0/1 variable, random weights."""
    from randcheck.matching import _graph, _prepare
    from randcheck.randomness import HashSource

    src = HashSource.from_seed("s").child("matching")
    prob = _prepare(visits, officers, conflicts, MatchingRules(), None, None, src)
    g = _graph(prob, MatchingRules(), np.ones(prob.n_visits, dtype=bool))
    _solve_milp(prob, g, src)


if __name__ == "__main__":
    for r in run(quick=False):
        print(r)
