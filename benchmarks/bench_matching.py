"""Officer matching (recipe ``randcheck-matching/3``): county, city and province batches.

Goals from issue 13: a county batch of 300 visits and 30 officers in under 50 ms; a province
batch of 10⁵ visits, 5·10³ officers, 10 skills, 1% conflict pairs, cap 0.5, in under 10 s and
under 4 GiB. Each time is the median of interleaved runs (ours and the baseline alternate), with
the min–max in the label; batches of 10⁶ pairs and more are single runs. The baseline is what a
statistician would write first for the same guarantee: one HiGHS linear programme
(``scipy.optimize.linprog``) over the same sparse network for q* alone, without the spreading,
the support step or the rounding. The province as one batch (5·10⁸ pairs) is refused
(``MAX_PAIRS``); it is also measured as 100 counties matched one by one, and in two processes,
and as ONE batch by the sweep recipe (``match_by_sweep``, ``randcheck-matching-sweep/1``), in a
process of its own (so that its peak RSS is its own): with the load caps of the other rows
(1.25 times the average load) and with caps 1.5 times the average load, interleaved."""

from __future__ import annotations

import multiprocessing
import re
import resource
import time
from typing import Any

import numpy as np

from _harness import Row, interleaved, peak_bytes, timed_row
from randcheck import OfficerRoster, PlanError
from randcheck.errors import InfeasibleMatchingError
from randcheck.matching import MatchingRules, match_by_sweep, match_officers
from randcheck.models import Visit
from randcheck.roster import STRING

PROVINCE_COUNTIES = 100
# About the most pairs matched within 10 s on this machine (measured, 3 December 2026): the
# batches up to it carry the 10 s goal. MAX_PAIRS (the default limit) bounds memory, not time.
TEN_SECONDS = 1_500_000
SKILLS = tuple(f"专长{i}" for i in range(10))
CAP = MatchingRules(pair_cap=0.5)


def _roster(
    n: int,
    cap: int,
    rng: np.random.Generator,
    prefix: str = "1306",
    area: str = "",
    cover: bool = False,
) -> OfficerRoster:
    """Officers with two skills each, at random (``cover``: the first skill in turn, so that
    every skill has at least ``n // 10`` holders, as a county squad would be staffed)."""
    first = rng.integers(0, len(SKILLS), n)
    if cover:
        first = np.arange(n) % len(SKILLS)
    second = rng.integers(0, len(SKILLS), n)
    skills = [
        f"{SKILLS[a]};{SKILLS[b]}" for a, b in zip(first.tolist(), second.tolist(), strict=True)
    ]
    return OfficerRoster.from_columns(
        {
            "officer_id": [f"{prefix}{i:08d}" for i in range(n)],
            "skills": skills,
            "unit": [f"执法{i % 20}中队" for i in range(n)],
            "load_cap": np.full(n, cap, dtype=np.int64),
            "area": [area] * n,
        }
    )


def _visits(
    n: int, rng: np.random.Generator, prefix: str = "91130634", area: str = "130634"
) -> list[Visit]:
    need = rng.random(n) < 0.5
    which = rng.integers(0, len(SKILLS), n)
    return [
        Visit(
            f"{prefix}MA{i:08d}",
            items=("SW",),
            departments=("商务局",),
            skills=(SKILLS[w],) if nd else (),
            area=area,
        )
        for i, (nd, w) in enumerate(zip(need.tolist(), which.tolist(), strict=True))
    ]


def _conflicts(
    visits: list[Visit],
    n_officers: int,
    share: float,
    rng: np.random.Generator,
    prefix: str = "1306",
) -> dict[str, Any]:
    n = int(len(visits) * n_officers * share)
    keys = np.unique(rng.integers(0, len(visits) * n_officers, n))
    v, o = keys // n_officers, keys % n_officers
    codes = np.array([x.credit_code for x in visits], dtype=STRING)
    ids = np.strings.add(prefix, np.strings.zfill(o.astype(STRING), 8))
    return {"officer_id": ids, "credit_code": codes[v]}


def _case(n_visits: int, n_officers: int, seed: int = 1, slack: float = 1.25) -> tuple[Any, ...]:
    """A batch whose load caps are ``slack`` times the average load (1.02: caps bind)."""
    rng = np.random.default_rng(seed)
    visits = _visits(n_visits, rng)
    cap = int(np.ceil(2 * n_visits / n_officers * slack))
    officers = _roster(n_officers, cap, rng)
    conflicts = _conflicts(visits, n_officers, 0.01, rng)
    return visits, officers, conflicts


def _county(c: int, n_visits: int = 1_000, n_officers: int = 50) -> tuple[Any, ...]:
    """County ``c`` of a province of such counties: its own visits (area 1306cc), its own
    officers (eligible only there; every skill held by five of them), 1% conflicts; caps 1.25
    times the average load."""
    rng = np.random.default_rng([7, c])
    area = f"1306{c:02d}"
    visits = _visits(n_visits, rng, prefix=f"9113{c:04d}", area=area)
    cap = int(np.ceil(2 * n_visits / n_officers * 1.25))
    officers = _roster(n_officers, cap, rng, prefix=f"13{c:02d}", area=area, cover=True)
    return visits, officers, _conflicts(visits, n_officers, 0.01, rng, prefix=f"13{c:02d}")


def _ms(t: tuple[float, float, float]) -> str:
    return f"min–max {t[1] * 1e3:.0f}–{t[2] * 1e3:.0f} ms"


def _lp_q_star(visits: list[Visit], officers: OfficerRoster, conflicts: Any) -> float:
    """Baseline: q* by one HiGHS LP on the same network (scipy), no marginals for publication."""
    from scipy import sparse
    from scipy.optimize import linprog

    from randcheck.matching._flow import build_network
    from randcheck.matching._problem import prepare_problem

    rules = MatchingRules()
    prob = prepare_problem(visits, officers, conflicts, rules, None, None, "refuse")
    net = build_network(prob, rules)
    t, h, base = net.tail[1:], net.head[1:], net.base[1:]
    n_arc = t.shape[0]
    cols = np.arange(n_arc)
    inc = sparse.csr_array(
        (
            np.concatenate([np.ones(n_arc), -np.ones(n_arc)]),
            (np.concatenate([h, t]), np.concatenate([cols, cols])),
        ),
        shape=(net.n_nodes, n_arc + 1),
    )[2:]
    pair = np.flatnonzero(net.is_pair[1:])
    cap_rows = sparse.csr_array(
        (
            np.concatenate([np.ones(pair.shape[0]), -np.ones(pair.shape[0])]),
            (
                np.concatenate([np.arange(pair.shape[0])] * 2),
                np.concatenate([pair, np.full(pair.shape[0], n_arc)]),
            ),
        ),
        shape=(pair.shape[0], n_arc + 1),
    )
    lower = np.where(h == 1, base, 0).astype(float)
    bounds = np.column_stack([np.append(lower, 0.0), np.append(base.astype(float), 1.0)])
    cost = np.zeros(n_arc + 1)
    cost[-1] = 1.0
    res = linprog(
        cost,
        A_ub=cap_rows,
        b_ub=np.zeros(pair.shape[0]),
        A_eq=inc,
        b_eq=np.zeros(inc.shape[0]),
        bounds=bounds,
        method="highs",
    )
    return float(res.fun)


def _team_cap_rows(repeat: int, visits: Any, officers: Any, conflicts: Any) -> list[Row]:
    """The team cap: checked on the marginals before the draw (issue 13, teaming).

    On the county batch every pair's teaming bound is far above 1 (every officer may take
    every visit), so ``team_cap=0.5`` is refused: its time is the time to the refusal. On a
    batch of 30 visits and 300 officers the bounds are small and the cap is kept.
    """
    capped = MatchingRules(team_cap=0.5)
    outcome: dict[str, Any] = {}

    def refused() -> None:
        try:
            match_officers(visits, officers, conflicts=conflicts, rules=capped, seed="2023-1107")
        except InfeasibleMatchingError as exc:
            outcome["county"] = exc

    def free() -> None:
        outcome["free"] = match_officers(visits, officers, conflicts=conflicts, seed="2023-1107")

    t = interleaved({"cap": refused, "free": free}, repeat)
    exc = outcome["county"]
    rows = [
        timed_row(
            "matching",
            f"county 300 x 30, team_cap=0.5: refused, largest bound "
            f"{float(exc.team_bound):.1f} ({_ms(t['cap'])})",
            t["cap"],
            f"no team cap ({_ms(t['free'])})",
            t["free"],
        )
    ]
    wide = _case(30, 300)
    cap_c = MatchingRules(team_cap=0.5)

    def wide_cap() -> None:
        outcome["wide"] = match_officers(wide[0], wide[1], conflicts=wide[2], rules=cap_c, seed="w")

    def wide_free() -> None:
        match_officers(wide[0], wide[1], conflicts=wide[2], seed="w")

    tw = interleaved({"cap": wide_cap, "free": wide_free}, repeat)
    largest = outcome["wide"].teaming_table().largest
    rows.append(
        timed_row(
            "matching",
            f"30 x 300, team_cap=0.5: kept, largest bound {largest:.3f} ({_ms(tw['cap'])})",
            tw["cap"],
            f"no team cap ({_ms(tw['free'])})",
            tw["free"],
        )
    )
    return rows


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    repeat = 5 if quick else 7
    visits, officers, conflicts = _case(300, 30)
    last: list[Any] = []
    cpu: list[float] = []

    def ours() -> None:
        c0 = time.process_time()  # CPU time too: on a loaded machine wall time is mostly waiting
        last.append(match_officers(visits, officers, conflicts=conflicts, seed="2023-1107"))
        cpu.append(time.process_time() - c0)

    def base() -> None:
        _lp_q_star(visits, officers, conflicts)

    ours()  # imports (OR-Tools, scipy) outside the timed runs
    cpu.clear()
    t = interleaved({"ours": ours, "base": base}, repeat)
    cpu_ms = f"CPU time median {np.median(cpu) * 1e3:.0f} ms"
    a = last[-1]
    rows.append(
        timed_row(
            "matching",
            f"county 300 x 30, 10 skills, 1% conflicts (q*={a.q_star}; {_ms(t['ours'])})",
            t["ours"],
            f"HiGHS LP for q* only ({_ms(t['base'])})",
            t["base"],
        )
    )
    rows.append(
        Row(
            "matching",
            f"county 300 x 30, median of {repeat} ({_ms(t['ours'])}; {cpu_ms})",
            t["ours"][0],
            "goal",
            None,
            goal=0.05,
            spread=(t["ours"][1], t["ours"][2]),
        )
    )
    peak, _ = peak_bytes(ours)
    rows.append(
        Row(
            "matching",
            "county 300 x 30: peak memory (tracemalloc: numpy, not OR-Tools' C++)",
            float(peak),
            "—",
            None,
            unit="B",
            lower_is_better=True,
        )
    )
    rows.extend(_team_cap_rows(repeat, visits, officers, conflicts))
    rows.extend(_big_rows(quick))
    return rows


def _rss() -> float:
    """Peak resident memory of this process so far, in bytes (OR-Tools' C++ included)."""
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _big_rows(quick: bool) -> list[Row]:
    """Batches from 3,000 × 150 up: time (wall and CPU), q*, peak RSS; the largest one run.

    They run from the smallest up, so the process's peak RSS after each is that batch's peak.
    """
    rows: list[Row] = []
    sizes = [(3_000, 150)] if quick else [(3_000, 150), (5_450, 275), (10_000, 500)]
    for n, n_off in sizes:
        case = _case(n, n_off)
        out: list[Any] = []
        cpu: dict[str, tuple[float, float, float]] = {}
        n_pairs = n * n_off

        def big(case: tuple[Any, ...] = case, out: list[Any] = out, n_pairs: int = n_pairs) -> None:
            out.append(
                match_officers(
                    case[0], case[1], conflicts=case[2], rules=CAP, seed="p", max_pairs=n_pairs
                )
            )

        reps = 3 if n * n_off < 10**6 else 1
        tb = interleaved({"big": big}, reps, cpu=cpu)["big"]
        res = out[-1]
        how = f"median of {reps} ({_ms(tb)})" if reps > 1 else "one run"
        limit = "up to the 10 s size" if n_pairs <= TEN_SECONDS else "beyond the 10 s size"
        rows.append(
            Row(
                "matching",
                f"{n:,} visits x {n_off} officers ({n_pairs:.2g} pairs, {limit}), 10 skills, 1% "
                f"conflicts, cap 0.5, q*={res.q_star}: wall time, {how}; CPU time "
                f"{cpu['big'][0]:.2f} s",
                tb[0],
                "goal",
                None,
                goal=10.0 if n_pairs <= TEN_SECONDS else None,
                spread=(tb[1], tb[2]) if reps > 1 else None,
            )
        )
        rows.append(
            Row(
                "matching",
                f"{n:,} x {n_off}: peak RSS of the process so far (numpy and OR-Tools)",
                _rss(),
                "goal",
                None,
                goal=4 * 2.0**30,
                unit="B",
                lower_is_better=True,
            )
        )
    if quick:
        rows.extend(_sweep_quick_rows())
        return rows
    rows.extend(_province_rows())
    rows.extend(_sweep_province_rows())
    return rows


def _with_caps(officers: OfficerRoster, cap: int) -> OfficerRoster:
    """The same officers (ids, skills, units, areas) with every load cap set to ``cap``."""
    n = len(officers)
    return OfficerRoster.from_columns(
        {
            "officer_id": [str(x) for x in officers.officer_id.tolist()],
            "skills": [";".join(officers[i].skills) for i in range(n)],
            "unit": [str(x) for x in officers.unit.labels()],
            "load_cap": np.full(n, cap, dtype=np.int64),
            "area": [str(x) for x in officers.area.labels()],
        }
    )


def _sweep_outcome(case: tuple[Any, ...]) -> str:
    """Match a batch by the sweep; say what happened (for the row's words)."""
    try:
        a = match_by_sweep(case[0], case[1], conflicts=case[2], rules=CAP, seed="p")
    except PlanError as exc:
        n_over = re.search(r"for (\d+) officer\(s\)", str(exc))
        first = re.search(r"(\S+ \(bound \d+, cap \d+\))", str(exc))
        if n_over is None or first is None:  # pragma: no cover - another refusal
            raise
        return (
            f"refused by the load certificate ({n_over.group(1)} officers' certified bound "
            f"above their cap, e.g. {first.group(1)})"
        )
    over = int((a.loads > case[1].load_cap).sum())
    return (
        f"matched: largest chance M = {a.largest_chance:.5f}, "
        + (f"q* = {a.q_star}" if a.q_star is not None else f"q* ≥ {a.q_star_lower}")
        + ", loads up "
        f"to {int(a.loads.max())} (certified bound {int(a.load_bound.max())}, {over} over a cap)"
    )


def _sweep_quick_rows() -> list[Row]:
    """CI: the sweep on 10⁴ visits × 500 officers, caps 1.5 times the average load."""
    case = _case(10_000, 500, slack=1.5)
    out: list[str] = []
    t = interleaved({"sweep": lambda: out.append(_sweep_outcome(case))}, 3)["sweep"]
    return [
        Row(
            "matching",
            f"sweep (randcheck-matching-sweep/1), 10,000 x 500, caps 1.5x the average load: "
            f"{out[-1]}; median of 3 ({_ms(t)})",
            t[0],
            "goal",
            None,
            spread=(t[1], t[2]),
        )
    ]


def _own_peak() -> float:
    """Peak resident memory of this process's own address space, in bytes: ``VmHWM`` (Linux),
    which starts afresh at ``exec``, unlike ``ru_maxrss``, which a spawned child inherits."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return float(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return _rss()  # pragma: no cover


def _sweep_child(conn: Any, repeat: int) -> None:
    """In a process of its own: the province as one batch by the sweep, caps 1.25× and 1.5×
    the average load, interleaved; sends the times, the outcomes and the peak RSS."""
    case = _case(100_000, 5_000)
    wide = (case[0], _with_caps(case[1], int(np.ceil(2 * 100_000 / 5_000 * 1.5))), case[2])
    outcome: dict[str, str] = {}
    cpu: dict[str, tuple[float, float, float]] = {}

    def tight() -> None:
        outcome["tight"] = _sweep_outcome(case)

    def loose() -> None:
        outcome["loose"] = _sweep_outcome(wide)

    t = interleaved({"tight": tight, "loose": loose}, repeat, cpu=cpu)
    conn.send((t, cpu, outcome, _own_peak()))
    conn.close()


def _sweep_province_rows(repeat: int = 5) -> list[Row]:
    """The issue's province as ONE batch by the sweep recipe, in a spawned process."""
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    proc = ctx.Process(target=_sweep_child, args=(there, repeat))
    proc.start()
    t, cpu, outcome, rss = here.recv()
    proc.join()
    rows = []
    for name, caps in (("tight", "1.25x (as above)"), ("loose", "1.5x")):
        matched = outcome[name].startswith("matched")
        rows.append(
            Row(
                "matching",
                f"province as ONE batch by the sweep (randcheck-matching-sweep/1), 100,000 x "
                f"5,000, 10 skills, 1% conflicts, pair cap 0.5, load caps {caps} the average "
                f"load: {outcome[name]}; wall time median of {repeat} interleaved "
                f"({_ms(t[name])}); CPU time {cpu[name][0]:.2f} s"
                + ("" if matched else "; time to the refusal"),
                t[name][0],
                "goal",
                None,
                goal=10.0 if matched else None,  # a refusal meets no goal
                spread=(t[name][1], t[name][2]),
            )
        )
    rows.append(
        Row(
            "matching",
            "province as ONE batch by the sweep: peak RSS of its process (inputs included)",
            rss,
            "goal",
            None,
            goal=4 * 2.0**30,
            unit="B",
            lower_is_better=True,
        )
    )
    return rows


_COUNTIES: list[tuple[Any, ...]] = []


def _match_county(i: int) -> Any:
    v, o, k = _COUNTIES[i]
    return match_officers(v, o, conflicts=k, rules=CAP, seed=f"p-{i}").q_star


def _province_rows() -> list[Row]:
    """The issue's province (10⁵ visits, 5·10³ officers): as one batch (refused: 5·10⁸ pairs),
    and as 100 counties of 10³ visits and 50 officers, officers eligible in their own county
    only, matched county by county (one run; the total time)."""
    rows: list[Row] = []
    case = _case(100_000, 5_000)
    t0 = time.perf_counter()
    try:
        match_officers(case[0], case[1], conflicts=case[2], rules=CAP, seed="p")
        words = "matched"
    except PlanError as exc:
        words = f"refused ({str(exc).split(' (before')[0].removeprefix('the batch has ')})"
    rows.append(
        Row(
            "matching",
            f"province as ONE batch, 100,000 x 5,000, 10 skills, 1% conflicts, cap 0.5: {words}; "
            "time to the refusal",
            time.perf_counter() - t0,
            "goal",
            None,
            goal=10.0 if words == "matched" else None,  # a refusal meets no goal
        )
    )
    del case
    counties = [_county(c) for c in range(PROVINCE_COUNTIES)]
    c0, w0 = time.process_time(), time.perf_counter()
    q = [
        match_officers(v, o, conflicts=k, rules=CAP, seed=f"p-{i}").q_star
        for i, (v, o, k) in enumerate(counties)
    ]
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    # The same counties in two processes (forked: they share the inputs built above).
    _COUNTIES[:] = counties
    w0 = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        q2 = pool.map(_match_county, range(len(counties)), chunksize=5)
    wall2 = time.perf_counter() - w0
    _COUNTIES.clear()
    if q2 != q:  # pragma: no cover - the same batches and seeds
        raise AssertionError("the counties matched in two processes differ")
    rows.append(
        Row(
            "matching",
            "province as 100 counties of 1,000 visits x 50 officers (officers in their own "
            f"county only; 5·10⁶ pairs in all), matched county by county, one run: total wall "
            f"time; CPU time {cpu:.2f} s; q* from {min(q)} to {max(q)}",
            wall,
            "goal",
            None,
            goal=10.0,
        )
    )
    rows.append(
        Row(
            "matching",
            "the same 100 counties in 2 processes (fork; each county still one exact batch): "
            "total wall time",
            wall2,
            "goal",
            None,
            goal=10.0,
        )
    )
    rows.append(
        Row(
            "matching",
            "province as 100 counties: peak RSS of the process so far",
            _rss(),
            "goal",
            None,
            goal=4 * 2.0**30,
            unit="B",
            lower_is_better=True,
        )
    )
    return rows


if __name__ == "__main__":
    for r in run(quick=False):
        print(r)
