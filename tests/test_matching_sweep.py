"""Matching by systematic sweeps (``randcheck-matching-sweep/1``): exact chances by enumeration,
every rule on every outcome, the load certificate, and the record's verification."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import randcheck
from _helpers import ALPHA, binomial_bounds
from randcheck import OfficerRoster, PlanError, VerificationError
from randcheck.errors import InfeasibleMatchingError
from randcheck.matching import (
    SWEEP_RECIPE,
    MatchingRules,
    SweepAssignment,
    _sweep,
    match_by_sweep,
    match_officers,
    verify_sweep,
)
from randcheck.matching._problem import prepare_problem
from randcheck.matching.sweep import sweep_uniforms
from randcheck.models import Conflict, Visit
from randcheck.randomness import HashSource
from test_matching import DEPTS, EXPERT_SKILLS, SKILLS, Instance, code, roster

UNIT = 1 << 53
AS_OF = dt.date(2023, 11, 7)


# ------------------------------------------------------------------------------------------
# Small random batches


def _build(integer: Callable[[int, int], int]) -> Instance:
    """A small random batch from ``integer(lo, hi)`` (inclusive): 5–12 officers, 1–4 visits;
    skills, joint visits, experts, recusals, repeats, load caps, 所所交叉."""

    def pick(options: Sequence[Any]) -> Any:
        return options[integer(0, len(options) - 1)]

    def some(options: Sequence[str], most: int) -> str:
        chosen = [x for x in options if integer(0, 2) == 0][:most]
        return ";".join(chosen)

    n_off = integer(5, 12)
    expert = [integer(0, 6) == 0 for _ in range(n_off)]
    skills = [some(EXPERT_SKILLS + SKILLS if x else SKILLS, 2) for x in expert]
    caps = [pick((-1, -1, -1, 0, 1, 2, 3, 4)) for _ in range(n_off)]
    officers = roster(
        n_off,
        skills=skills,
        department=[pick(("商务局", "公安局", "")) for _ in range(n_off)],
        unit=[pick(("一所", "二所")) for _ in range(n_off)],
        expert=np.array(expert),
        active=np.array([integer(0, 19) > 0 for _ in range(n_off)]),
        load_cap=[None if c < 0 else c for c in caps],
    )
    n_vis = integer(1, 4)
    visits = []
    for i in range(n_vis):
        joint = integer(0, 5) == 0
        pool = SKILLS + EXPERT_SKILLS[:1] if integer(0, 4) == 0 else SKILLS
        visits.append(
            Visit(
                code(i),
                items=("X",),
                departments=DEPTS if joint else pick(((), (), (), ("商务局",))),
                skills=tuple(some(pool, 1 if joint else 2).split(";")) if integer(0, 1) else (),
                area=pick(("130634", "130635")),
                team_size=pick((2, 2, 2, 3)),
            )
        )
    visits = [
        Visit(
            v.credit_code,
            items=v.items,
            departments=v.departments,
            skills=tuple(x for x in v.skills if x),
            area=v.area,
            team_size=v.team_size,
        )
        for v in visits
    ]
    conflicts = [
        Conflict(f"O{o:03d}", code(v), "亲属关系")
        for v in range(n_vis)
        for o in range(n_off)
        if integer(0, 9) == 0
    ]
    history = [
        (f"O{o:03d}", code(v), AS_OF - dt.timedelta(days=integer(1, 500)))
        for v in range(n_vis)
        for o in range(n_off)
        if integer(0, 14) == 0
    ]
    rules = MatchingRules(
        cross_jurisdiction=integer(0, 7) == 0,
        unit_areas={"一所": {"130634"}, "二所": {"130635"}},
        require_skills=integer(0, 5) > 0,
        experts_for_skills=integer(0, 7) > 0,
        max_load=pick((None, 2, 3)),
    )
    return Instance(visits, officers, conflicts, rules, history, AS_OF)


@st.composite
def sweep_instances(draw: st.DrawFn) -> Instance:
    return _build(lambda lo, hi: draw(st.integers(lo, hi)))


def _numpy_instance(seed: int) -> Instance:
    rng = np.random.default_rng([20261203, seed])
    return _build(lambda lo, hi: int(rng.integers(lo, hi + 1)))


def _sweep_of(inst: Instance, **kwargs: Any) -> SweepAssignment:
    return match_by_sweep(
        inst.visits,
        inst.officers,
        conflicts=inst.conflicts,
        rules=kwargs.pop("rules", inst.rules),
        history=inst.history,
        as_of=inst.as_of,
        **kwargs,
    )


def _plan(inst: Instance) -> _sweep.SweepPlan:
    prob = prepare_problem(
        inst.visits, inst.officers, inst.conflicts, inst.rules, inst.history, inst.as_of, "refuse"
    )
    return _sweep.build_plan(prob, inst.rules)


# ------------------------------------------------------------------------------------------
# An oracle: every outcome, from the breakpoints of p_s in u_k, drawn by a plain walk


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _walk(inst: Instance, plan: _sweep.SweepPlan, slot: int, p: int) -> int:
    """The roster row a slot draws when its sweep starts at ``p``: step forward, cyclically,
    past every officer the rules (as plain Python) do not allow at the slot's visit."""
    prob = plan.prob
    s = int(plan.slot_sweep[slot])
    g = int(plan.sweep_size[s])
    group = plan.members[plan.group_start[s] : plan.group_start[s + 1]].tolist()
    visit = prob.visits[int(plan.slot_visit[slot])]
    at = (p + int(plan.sweep_offset[s]) + int(plan.slot_j[slot])) % g
    for step in range(g):
        row = int(prob.officer_row[group[(at + step) % g]])
        if inst.eligible(visit, row):
            return row
    raise AssertionError("a slot with no eligible member")


def _class_outcomes(inst: Instance, plan: _sweep.SweepPlan) -> list[list[tuple[int, list[int]]]]:
    """Per window index k: (weight in units of 2**-53, roster row of every class-k slot) for
    each interval of u_k on which every p_s of the class is constant."""
    out = []
    for k in range(plan.n_windows):
        sweeps = np.flatnonzero(plan.sweep_window == k).tolist()
        cuts = {0, UNIT}
        for s in sweeps:
            g = int(plan.sweep_size[s])
            cuts |= {_ceil_div(r * UNIT, g) for r in range(g + 1)}
        points = sorted(cuts)
        slots = np.flatnonzero(plan.sweep_window[plan.slot_sweep] == k).tolist()
        rows = []
        for lo, hi in itertools.pairwise(points):
            p = {s: (lo * int(plan.sweep_size[s])) >> 53 for s in sweeps}
            rows.append(
                (hi - lo, [_walk(inst, plan, sl, p[int(plan.slot_sweep[sl])]) for sl in slots])
            )
        out.append(rows)
    return out


def _check_by_enumeration(inst: Instance, a: SweepAssignment) -> None:
    plan = _plan(inst)
    prob = plan.prob
    outcomes = _class_outcomes(inst, plan)
    n_off = len(inst.rows)
    # Exact chances of every pair, and the most any officer is sent, class by class.
    chance = np.zeros((len(inst.visits), n_off), dtype=object)
    most = np.zeros(n_off, dtype=np.int64)
    for k, rows in enumerate(outcomes):
        slots = np.flatnonzero(plan.sweep_window[plan.slot_sweep] == k)
        assert sum(w for w, _ in rows) == UNIT
        peak = np.zeros(n_off, dtype=np.int64)
        for w, drawn in rows:
            load = np.bincount(drawn, minlength=n_off)
            peak = np.maximum(peak, load)
            for sl, r in zip(slots.tolist(), drawn, strict=True):
                chance[int(prob.input_index[plan.slot_visit[sl]]), r] += w
        most += peak
    published = a.chances([v.credit_code for v in inst.visits])
    table = np.zeros_like(chance)
    for v, o, u in zip(
        published.visit_index.tolist(),
        published.officer_index.tolist(),
        published.units.tolist(),
        strict=True,
    ):
        table[v, o] = u
    assert (table == chance).all()
    for v, visit in enumerate(inst.visits):
        for o in range(n_off):
            oid = str(inst.officers.officer_id[o])
            assert a.chance(oid, visit.credit_code) == chance[v, o] / UNIT
    assert Fraction(int(chance.max()), UNIT) == Fraction(a.largest_chance)
    assert a.load_bound.tolist() == most.tolist()
    assert all(most[i] <= inst.cap(i) for i in range(n_off))
    # Every outcome obeys every rule (every joint outcome, when there are few).
    sizes = [len(r) for r in outcomes]
    if int(np.prod(sizes)) <= 2_000:
        slot_class = plan.sweep_window[plan.slot_sweep]
        for combo in itertools.product(*outcomes):
            drawn = np.zeros(plan.slot_visit.shape[0], dtype=np.int64)
            for k, (_w, rows) in enumerate(combo):
                drawn[slot_class == k] = rows
            _check_teams(inst, plan, drawn)


def _check_teams(inst: Instance, plan: _sweep.SweepPlan, drawn: Any) -> None:
    prob = plan.prob
    load = np.bincount(drawn, minlength=len(inst.rows))
    assert all(load[i] <= inst.cap(i) for i in range(len(inst.rows)))
    for v in range(prob.n_visits):
        sl = slice(int(plan.slot_start[v]), int(plan.slot_start[v + 1]))
        is_x = plan.slot_kind[sl] == _sweep.EXPERT
        members = drawn[sl]
        assert inst.team_ok(prob.visits[v], members[~is_x].tolist(), members[is_x].tolist())


def _flow_q_star(inst: Instance) -> Fraction | None:
    try:
        return match_officers(
            inst.visits,
            inst.officers,
            conflicts=inst.conflicts,
            rules=inst.rules,
            history=inst.history,
            as_of=inst.as_of,
            rng=0,
        ).q_star
    except InfeasibleMatchingError:
        return None


def _outcome(inst: Instance, s: int) -> str:
    """Match ``inst`` by the sweep; check it against the flow recipe and, when it draws, every
    outcome enumerated. Returns what happened."""
    q_star = _flow_q_star(inst)
    refused: InfeasibleMatchingError | PlanError | None = None
    try:
        a = _sweep_of(inst, rng=s)
    except (InfeasibleMatchingError, PlanError) as exc:
        refused = exc
    if isinstance(refused, InfeasibleMatchingError):
        if refused.rule in ("team_size", "skill", "department"):
            assert q_star is None  # the rules cannot be met: the flow recipe refuses too
        else:
            assert refused.rule == "sweep_group"
            assert "match_officers" in str(refused)
        return refused.rule
    if refused is not None:
        assert "cannot prove every load cap" in str(refused)
        return "load_bound"
    # A drawn assignment meets every rule, so the batch is feasible.
    inst.check(a)
    assert q_star is not None
    assert a.q_star_lower <= q_star <= Fraction(a.largest_chance)
    if a.q_star is not None:  # certified by the even split: exactly the flow recipe's q*
        assert a.q_star == q_star == a.q_star_lower
    _check_by_enumeration(inst, a)
    return "drawn"


@pytest.mark.slow
def test_chances_loads_and_rules_equal_every_outcome_of_300_small_batches() -> None:
    seen: dict[str, int] = {}
    for seed in range(2_000):
        what = _outcome(_numpy_instance(seed), seed)
        seen[what] = seen.get(what, 0) + 1
        if seen.get("drawn", 0) == 320:
            break
    assert seen["drawn"] == 320
    assert seen.get("sweep_group", 0) + seen.get("load_bound", 0) > 0  # refusals were tried


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sweep_instances(), st.integers(0, 2**32 - 1))
def test_chances_loads_and_rules_equal_every_outcome_enumerated(inst: Instance, s: int) -> None:
    _outcome(inst, s)


# ------------------------------------------------------------------------------------------
# Against the flow recipe, on the defects and by hand


def test_infeasible_batches_are_refused_with_the_flow_recipes_words() -> None:
    officers = roster(3, skills=["成品油", "", ""])
    visits = [Visit(code(0), items=("X",), departments=(), skills=("成品油",))]
    conflicts = [Conflict("O000", code(0)), Conflict("O001", code(0))]
    rules = MatchingRules(experts_for_skills=False)
    with pytest.raises(InfeasibleMatchingError) as flow:
        match_officers(visits, officers, conflicts=conflicts, rules=rules, seed="s")
    with pytest.raises(InfeasibleMatchingError) as sweep:
        match_by_sweep(visits, officers, conflicts=conflicts, rules=rules, seed="s")
    assert str(sweep.value) == str(flow.value)
    assert (sweep.value.rule, sweep.value.visits) == ("skill", (code(0),))


def _order(ids: list[str]) -> list[str]:
    return [ids[i] for i in _sweep.sweep_order(np.array(ids, dtype=object)).tolist()]


def test_sweep_order_is_by_sha256_of_the_id() -> None:
    ids = ["O000", "O001", "O002", "O003"]
    keys = {i: int.from_bytes(hashlib.sha256(i.encode()).digest()[:8], "big") for i in ids}
    assert _order(ids) == sorted(ids, key=lambda i: (keys[i], i))


def test_a_window_whose_whole_group_is_recused_is_refused_naming_it() -> None:
    # Three officers, a team of two: the free windows' groups are two officers and one.
    ids = ["O000", "O001", "O002"]
    alone = _order(ids)[1]  # round-robin in sweep order: positions 0, 2 | 1
    visits = [Visit(code(0), items=("X",), departments=())]
    conflicts = [Conflict(alone, code(0), "亲属关系")]
    flow = match_officers(visits, roster(3), conflicts=conflicts, seed="s")
    assert flow.teams() == [tuple(sorted(set(ids) - {alone}))]
    with pytest.raises(InfeasibleMatchingError) as info:
        match_by_sweep(visits, roster(3), conflicts=conflicts, seed="s")
    assert info.value.rule == "sweep_group"
    assert info.value.visits == (code(0),)
    assert "free window: every one of the 1 officers of its sweep group is recused" in str(
        info.value
    )
    assert "match_officers (randcheck-matching/3) may still staff it" in str(info.value)


def test_a_load_cap_the_sweeps_cannot_prove_is_refused_naming_the_officer() -> None:
    # Four officers, three visits of two: each free window's group has two officers and three
    # slots, so an officer is drawn once or twice; a cap of 1 cannot be proved.
    officers = roster(4, load_cap=[1, None, None, None])
    visits = [Visit(code(i), items=("X",), departments=()) for i in range(3)]
    assert match_officers(visits, officers, seed="s").loads[0] <= 1  # the flow keeps it
    with pytest.raises(PlanError) as info:
        match_by_sweep(visits, officers, seed="s")
    assert "cannot prove every load cap" in str(info.value)
    assert "O000 (bound 2, cap 1)" in str(info.value)
    assert "the largest bound is 2. Raise those load caps (or max_load) to their" in str(info.value)
    a = match_by_sweep(visits, roster(4, load_cap=[2, None, None, None]), seed="s")
    assert a.load_bound.tolist() == [2, 2, 2, 2]


def test_a_pair_cap_below_the_lower_bound_or_below_the_largest_chance_is_refused() -> None:
    visits = [Visit(code(0), items=("X",), departments=())]
    a = match_by_sweep(visits, roster(3), seed="s")
    assert a.q_star_lower == Fraction(2, 3)  # two of three officers
    assert a.largest_chance == 1.0  # the free windows' groups: two officers and one
    with pytest.raises(InfeasibleMatchingError) as low:
        match_by_sweep(visits, roster(3), rules=MatchingRules(pair_cap=0.5), seed="s")
    assert low.value.rule == "pair_cap"
    assert low.value.visits == (code(0),)
    assert "below 2/3 ≈ 0.666667, a lower bound on q*" in str(low.value)
    with pytest.raises(PlanError, match=r"below 1\.000000, the largest chance the sweep"):
        match_by_sweep(visits, roster(3), rules=MatchingRules(pair_cap=0.8), seed="s")
    kept = match_by_sweep(visits, roster(4), rules=MatchingRules(pair_cap=0.5), seed="s")
    assert kept.largest_chance == 0.5


def test_bad_inputs_are_refused_as_by_match_officers() -> None:
    visits = [Visit(code(0), items=("X",), departments=())]
    with pytest.raises(randcheck.RosterError, match="not in the officer roster"):
        match_by_sweep(visits, roster(4), conflicts=[Conflict("X9", code(0))], seed="s")
    a = match_by_sweep(
        visits, roster(4), conflicts=[Conflict("X9", code(0))], unknown_conflicts="ignore", seed="s"
    )
    assert a.ignored_conflicts == 1
    with pytest.raises(randcheck.errors.BatchError, match="two visits to target"):
        match_by_sweep(visits * 2, roster(4), seed="s")
    with pytest.raises(PlanError, match="as_of"):
        match_by_sweep(visits, roster(4), history=[("O000", code(0), AS_OF)], seed="s")
    with pytest.raises(PlanError, match="not both"):
        match_by_sweep(visits, roster(4), seed="s", source=HashSource.from_seed("s"))


def test_progress_reaches_the_whole_and_changes_nothing() -> None:
    visits = [Visit(code(i), items=("X",), departments=()) for i in range(3)]
    seen: list[tuple[int, int]] = []
    a = match_by_sweep(visits, roster(6), seed="s", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (100, 100)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert a.teams() == match_by_sweep(visits, roster(6), seed="s").teams()


def test_a_team_cap_is_refused_not_ignored() -> None:
    visits = [Visit(code(0), items=("X",), departments=())]
    with pytest.raises(PlanError, match="does not support a team cap"):
        match_by_sweep(visits, roster(4), rules=MatchingRules(team_cap=0.5), seed="s")


def test_chance_of_an_unknown_officer_or_visit_is_refused() -> None:
    visits = [Visit(code(0), items=("X",), departments=())]
    a = match_by_sweep(visits, roster(4), seed="s")
    with pytest.raises(PlanError, match="officer_id 'X9' is not in the officer roster"):
        a.chance("X9", code(0))
    with pytest.raises(PlanError, match="is not a visit of this batch"):
        a.chance("O000", code(7))
    with pytest.raises(PlanError, match="is not a visit of this batch"):
        a.chances([code(7)])


def test_the_same_seed_gives_the_same_teams_and_record_in_any_row_order() -> None:
    inst = _numpy_instance(next(s for s in range(100) if _drawn(s)))
    a = _sweep_of(inst, seed="2023-1107")
    b = match_by_sweep(
        inst.visits[::-1],
        inst.officers,
        conflicts=inst.conflicts[::-1],
        rules=inst.rules,
        history=inst.history,
        as_of=inst.as_of,
        seed="2023-1107",
    )
    assert sorted(a.to_rows(), key=str) == sorted(b.to_rows(), key=str)
    again = _sweep_of(inst, seed="2023-1107")
    assert again.record().canonical_json() == a.record().canonical_json()
    assert a.source["matching"] == SWEEP_RECIPE
    assert a.source["path"] == ["matching"]


def _drawn(seed: int) -> bool:
    inst = _numpy_instance(seed)
    try:
        _sweep_of(inst, rng=0)
    except (InfeasibleMatchingError, PlanError):
        return False
    return bool(inst.conflicts) and len(inst.visits) >= 2


# ------------------------------------------------------------------------------------------
# Statistics: frequencies over 2,000 official seeds


def _mid_batch() -> tuple[list[Visit], OfficerRoster, dict[str, Any]]:
    rng = np.random.default_rng(13)
    n_off, n_vis = 40, 30
    officers = roster(
        n_off,
        skills=[";".join(rng.choice(SKILLS, size=int(rng.integers(0, 3)))) for _ in range(n_off)],
        department=[str(rng.choice(["商务局", "公安局", ""])) for _ in range(n_off)],
        expert=np.arange(n_off) >= 37,
    )
    visits = [
        Visit(
            code(i),
            items=("X",),
            departments=DEPTS if i % 7 == 0 else ("商务局",) if i % 3 == 0 else (),
            skills=(SKILLS[i % 2],) if i % 2 else ((), ("特种设备",))[i % 5 == 0],
            team_size=3 if i % 4 == 0 else 2,
        )
        for i in range(n_vis)
    ]
    officers = OfficerRoster.from_columns(
        {
            "officer_id": [str(x) for x in officers.officer_id.tolist()],
            "skills": [
                "特种设备" if i >= 37 else ";".join(sorted(set(officers[i].skills)))
                for i in range(n_off)
            ],
            "department": ["" if i >= 37 else officers[i].department for i in range(n_off)],
            "expert": np.arange(n_off) >= 37,
        }
    )
    pairs = rng.choice(n_vis * n_off, size=60, replace=False)
    conflicts = {
        "officer_id": np.array([f"O{p % n_off:03d}" for p in pairs.tolist()]),
        "credit_code": np.array([code(p // n_off) for p in pairs.tolist()]),
    }
    return visits, officers, conflicts


@pytest.mark.slow
def test_frequencies_over_2000_seeds_match_the_published_chances() -> None:
    visits, officers, conflicts = _mid_batch()
    rules = MatchingRules()
    a = match_by_sweep(visits, officers, conflicts=conflicts, seed="stat/0")
    target = a.chances([v.credit_code for v in visits]).matrix(len(visits), len(officers))
    assert np.allclose(target.sum(axis=1), [len(t) for t in a.teams()])
    prob = prepare_problem(visits, officers, conflicts, rules, None, None, "refuse")
    plan = _sweep.build_plan(prob, rules)
    runs = 2_000
    counts = np.zeros_like(target)
    vi = prob.input_index[plan.slot_visit]
    for s in range(runs):
        src = HashSource.from_seed(f"stat/{s}").child("matching")
        drawn, _p = _sweep.draw(plan, sweep_uniforms(src, plan.n_windows))
        np.add.at(counts, (vi, prob.officer_row[drawn]), 1)
        if s in (0, 1):  # the official path draws the same teams
            b = match_by_sweep(visits, officers, conflicts=conflicts, seed=f"stat/{s}")
            c = np.zeros_like(target)
            c[b.visit_index, b.officer_index] = 1
            mine = np.zeros_like(target)
            mine[vi, prob.officer_row[drawn]] = 1
            assert (c == mine).all()
    cells = int((target > 0).sum())
    assert np.all(counts[target == 0] == 0)
    for p, c in zip(target[target > 0].tolist(), counts[target > 0].tolist(), strict=True):
        lo, hi = binomial_bounds(runs, p, ALPHA / cells)
        assert lo <= c <= hi, (p, c / runs)


# ------------------------------------------------------------------------------------------
# The record and its verification


def _published() -> tuple[SweepAssignment, list[Visit], OfficerRoster, dict[str, Any]]:
    visits, officers, conflicts = _mid_batch()
    return (
        match_by_sweep(visits, officers, conflicts=conflicts, seed="2023-1107"),
        visits,
        officers,
        conflicts,
    )


def _edited(rec: Any, **changes: Any) -> str:
    data = json.loads(rec.to_json())
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def test_a_published_sweep_verifies_by_itself_and_through_verify() -> None:
    a, visits, officers, conflicts = _published()
    rec = a.record()
    verify_sweep(rec.to_json(), visits, officers, conflicts)
    randcheck.verify(rec.to_json(), (visits, officers), conflicts=conflicts)
    assert rec.recipes["matching"] == SWEEP_RECIPE
    assert rec.format == "randcheck-sweep-record/1"
    assert len(rec.uniforms) == a.sweeps["window"].max() + 1


def test_an_edited_team_is_caught_naming_the_visit() -> None:
    a, visits, officers, conflicts = _published()
    rec = a.record()
    teams = [dict(t) for t in rec.teams]
    other = next(
        str(o) for o in officers.officer_id.tolist() if o not in {t["officer_id"] for t in teams}
    )
    teams[0]["officer_id"] = other
    with pytest.raises(VerificationError, match="other teams than those published"):
        verify_sweep(_edited(rec, teams=teams), visits, officers, conflicts)


def test_an_edited_number_is_caught_naming_it() -> None:
    a, visits, officers, conflicts = _published()
    rec = a.record()
    uniforms = list(rec.uniforms)
    uniforms[1] = (uniforms[1] + 2**51) % 2**53
    with pytest.raises(VerificationError, match=r"numbers differ .*\(uniforms\[1\]\)") as info:
        verify_sweep(_edited(rec, uniforms=uniforms), visits, officers, conflicts)
    assert len(info.value.differences) == 1
    sweeps = [dict(s) for s in rec.sweeps]
    sweeps[2]["start"] += 1
    with pytest.raises(VerificationError, match=r"sweeps differ .*\(sweeps\[2\]\)"):
        verify_sweep(_edited(rec, sweeps=sweeps), visits, officers, conflicts)
    with pytest.raises(VerificationError, match="the largest chance is"):
        verify_sweep(_edited(rec, largest_chance="1/4"), visits, officers, conflicts)


def test_a_dropped_conflict_or_another_roster_is_caught() -> None:
    a, visits, officers, conflicts = _published()
    rec = a.record().to_json()
    fewer = {k: v[1:] for k, v in conflicts.items()}
    with pytest.raises(VerificationError, match="recusals or repeat exclusions differ"):
        verify_sweep(rec, visits, officers, fewer)
    other = OfficerRoster.from_columns(
        {
            "officer_id": [str(x) for x in officers.officer_id.tolist()],
            "expert": np.arange(len(officers)) >= 36,
        }
    )
    with pytest.raises(VerificationError, match="officer roster differs"):
        verify_sweep(rec, visits, other, conflicts)


def test_a_simulated_sweep_is_not_verifiable_and_a_flow_record_is_not_a_sweep_record() -> None:
    visits, officers, conflicts = _mid_batch()
    sim = match_by_sweep(visits, officers, conflicts=conflicts, rng=3)
    with pytest.raises(VerificationError, match=r"simulation|not publicly verifiable"):
        verify_sweep(sim.record().to_json(), visits, officers, conflicts)
    flow = match_officers(visits, officers, conflicts=conflicts, seed="s")
    with pytest.raises(VerificationError, match="format"):
        verify_sweep(flow.record().to_json(), visits, officers, conflicts)
    a, *_ = _published()
    data = json.loads(a.record().to_json())
    data["recipes"]["matching"] = "randcheck-matching-sweep/9"
    with pytest.raises(VerificationError, match="is not one this version runs"):
        verify_sweep(json.dumps(data, ensure_ascii=False), visits, officers, conflicts)


@pytest.mark.parametrize("dtype", [np.uint32, np.int64])
def test_the_peaks_of_packed_step_functions_equal_a_plain_count(dtype: Any) -> None:
    rng = np.random.default_rng(5)
    gid = rng.integers(0, 40, 3_000)
    rank = rng.integers(0, 30, 3_000)
    up = rng.random(3_000) < 0.6
    key = ((gid.astype(dtype) << 5 | rank.astype(dtype)) << 1) | up.astype(dtype)
    got_gid, got = _sweep.peaks(key, 5)
    for g_, peak in zip(got_gid.tolist(), got.tolist(), strict=True):
        step = np.zeros(31, dtype=np.int64)  # the value on [rank r, rank r + 1)
        np.add.at(step, rank[gid == g_], np.where(up[gid == g_], 1, -1))
        values = np.cumsum(step)
        assert peak == int(values.max())  # rank 0 is u = 0: no value before it
    assert sorted(got_gid.tolist()) == sorted(set(gid.tolist()))


# ------------------------------------------------------------------------------------------
# q* certified by the even split


def _squad(n_off: int, n_vis: int, cap: int, holders: int) -> tuple[Any, ...]:
    """``n_off`` officers, every ``holders``-th with the skill 成品油; ``n_vis`` visits, every
    fourth needing it; one recusal."""
    officers = OfficerRoster.from_columns(
        {
            "officer_id": [f"S{i:04d}" for i in range(n_off)],
            "skills": ["成品油" if i % holders == 0 else "" for i in range(n_off)],
            "load_cap": [cap] * n_off,
        }
    )
    visits = [
        Visit(code(i), items=("X",), departments=(), skills=("成品油",) if i % 4 == 0 else ())
        for i in range(n_vis)
    ]
    return visits, officers, [Conflict("S0007", code(0))]


def _even_plan(visits: Any, officers: Any, conflicts: Any) -> _sweep.SweepPlan:
    rules = MatchingRules()
    prob = prepare_problem(visits, officers, conflicts, rules, None, None, "refuse")
    return _sweep.build_plan(prob, rules)


def test_q_star_is_published_exactly_when_the_even_split_certifies_it() -> None:
    # Five holders of a skill that 75 visits need: q* = 1/5, and the even split reaches it.
    visits, officers, conflicts = _squad(40, 300, 30, 8)
    a = match_by_sweep(visits, officers, conflicts=conflicts, seed="q")
    flow = match_officers(visits, officers, conflicts=conflicts, seed="q")
    assert a.q_star == flow.q_star == a.q_star_lower == Fraction(1, 5)
    assert Fraction(a.largest_chance) > a.q_star  # ⌈2⁵³/5⌉ / 2⁵³
    assert a.record().q_star == "1/5"
    verify_sweep(a.record().to_json(), visits, officers, conflicts)


def test_q_star_is_none_when_the_even_split_is_not_at_the_bound_or_breaks_a_cap() -> None:
    # A recusal in a group of 20: the even split gives 1/19 there, above the bound 2/39 (q*).
    visits, officers, conflicts = _squad(40, 300, 30, 2)
    plan = _even_plan(visits, officers, conflicts)
    flow = match_officers(visits, officers, conflicts=conflicts, seed="q")
    assert (plan.q_lower, flow.q_star, plan.q_star) == (Fraction(2, 39), Fraction(2, 39), None)
    # Caps of 20: the five holders' even split is 15 skill visits plus 11.25 others.
    visits, officers, conflicts = _squad(40, 300, 20, 8)
    plan = _even_plan(visits, officers, conflicts)
    flow = match_officers(visits, officers, conflicts=conflicts, seed="q")
    assert (plan.q_lower, flow.q_star, plan.q_star) == (Fraction(1, 5), Fraction(1, 5), None)


def test_an_edited_q_star_is_caught() -> None:
    visits, officers, conflicts = _squad(40, 300, 30, 8)
    a = match_by_sweep(visits, officers, conflicts=conflicts, seed="q")
    data = json.loads(a.record().to_json())
    data["q_star"] = "1/100"
    with pytest.raises(VerificationError, match=r"q\* is 1/5, not 1/100"):
        verify_sweep(json.dumps(data, ensure_ascii=False), visits, officers, conflicts)


def test_a_sweep_exports_its_teams_as_the_flow_recipe_does(tmp_path: Any) -> None:
    visits, officers, conflicts = _squad(40, 300, 30, 8)
    a = match_by_sweep(visits, officers, conflicts=conflicts, seed="q")
    cols = a.to_columns(officers)
    assert list(cols) == ["credit_code", "officer_id", "name", "unit", "department", "role"]
    assert len(cols["officer_id"]) == len(a) * 2 == 600
    path = tmp_path / "teams.csv"
    a.to_csv(path, officers, encoding="gb18030", headers="zh")
    text = path.read_text(encoding="gb18030")
    assert text.splitlines()[0].split(",")[2:5] == ["姓名", "所属单位", "部门"]
    assert len(text.splitlines()) == 601
    with pytest.raises(PlanError, match="not in this officer directory"):
        a.to_columns(roster(3))


def test_the_published_chances_and_bounds_are_fixed_before_the_seed() -> None:
    # A drawer who tries seed after seed changes the teams, never the chances or the bounds
    # published for the batch: those follow from the inputs alone.
    visits, officers, conflicts = _squad(40, 300, 30, 8)
    a = match_by_sweep(visits, officers, conflicts=conflicts, seed="2025-03-03 一")
    b = match_by_sweep(visits, officers, conflicts=conflicts, seed="2025-03-03 二")
    assert a.teams() != b.teams()
    codes = [v.credit_code for v in visits]
    pa, pb = a.chances(codes), b.chances(codes)
    assert np.array_equal(pa.units, pb.units)
    assert np.array_equal(pa.officer_index, pb.officer_index)
    assert (a.largest_chance, a.q_star, a.q_star_lower) == (
        b.largest_chance,
        b.q_star,
        b.q_star_lower,
    )
    assert np.array_equal(a.load_bound, b.load_bound)


def test_a_committed_sweep_cannot_be_rerolled_and_verifies_against_its_commitment() -> None:
    """Attack (adversarial review): a sweep matching tied to nothing published before the
    seed; under commit_sweep another key label, a seed of another day, rng, an officer added or
    a recusal dropped is refused, and a record made another way fails against it."""
    officers = roster(6, load_cap=np.full(6, 4))
    visits = [Visit(code(i), items=("X",), departments=()) for i in range(5)]
    conflicts = [Conflict("O001", code(0), "亲属")]
    rule = randcheck.SeedRule.shuangseqiu(date="2025-03-06")
    lottery = "2025-03-06 03 08 14 22 27 31 + 09"
    c = randcheck.matching.commit_sweep(
        visits, officers, conflicts=conflicts, seed_rule=rule, seed_from="双色球 2025-03-06"
    )
    a = match_by_sweep(visits, officers, conflicts=conflicts, seed=lottery, commitment=c)
    verify_sweep(a.record().to_json(), visits, officers, conflicts, commitment=c.to_json())
    common = {"conflicts": conflicts, "commitment": c}
    with pytest.raises(PlanError, match="the commitment fixes the key path"):
        match_by_sweep(visits, officers, seed=lottery, key_label="m-2", **common)
    with pytest.raises(PlanError, match="2025-03-07"):
        match_by_sweep(visits, officers, seed="2025-03-07 03 08 14 22 27 31 + 09", **common)
    with pytest.raises(PlanError, match="pass seed= with commitment="):
        match_by_sweep(visits, officers, rng=1, **common)
    with pytest.raises(PlanError, match="the officer directory is not the committed one"):
        match_by_sweep(visits, roster(7, load_cap=np.full(7, 4)), seed=lottery, **common)
    with pytest.raises(PlanError, match=r"exclusions .* are not the committed ones"):
        match_by_sweep(visits, officers, seed=lottery, commitment=c)
    canonical = rule.canonical(lottery)
    other = match_by_sweep(visits, officers, conflicts=conflicts, seed=canonical, key_label="m-2")
    verify_sweep(other.record(), visits, officers, conflicts)  # consistent on its own
    with pytest.raises(VerificationError, match=r"key path \['m-2'\] is not the committed"):
        verify_sweep(other.record(), visits, officers, conflicts, commitment=c)
