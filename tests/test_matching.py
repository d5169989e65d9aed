"""Officer matching (双随机 #2): every rule holds, feasibility is exact, draws are fair."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from randcheck import Conflict, InfeasibleMatchingError, OfficerRoster, PlanError, Visit
from randcheck.errors import BatchError
from randcheck.matching import (
    MATCHING_RECIPE,
    MATCHING_RECIPES,
    Assignment,
    MatchingRules,
    match_officers,
    simulate_matching,
)
from randcheck.randomness import HashSource

CODE = "91130634MA{:08d}"


def code(i: int) -> str:
    return CODE.format(i)


def roster(n: int, **cols: Any) -> OfficerRoster:
    return OfficerRoster.from_columns({"officer_id": [f"O{i:03d}" for i in range(n)], **cols})


# ------------------------------------------------------------------------------------------
# A reference model of the rules, written independently of the implementation


class Instance:
    def __init__(
        self,
        visits: list[Visit],
        officers: OfficerRoster,
        conflicts: list[Conflict],
        rules: MatchingRules,
        history: list[tuple[str, str, dt.date]] | None = None,
        as_of: dt.date | None = None,
    ) -> None:
        self.visits, self.officers, self.conflicts = visits, officers, conflicts
        self.rules, self.history, self.as_of = rules, history, as_of
        self.rows = [officers[i] for i in range(len(officers))]
        self.banned = {(c.officer_id, c.credit_code) for c in conflicts}
        if history and rules.repeat_window_days is not None and as_of is not None:
            self.banned |= {
                (o, c) for o, c, d in history if (as_of - d).days < rules.repeat_window_days
            }

    def team_size(self, v: Visit) -> int:
        k = max(
            self.rules.team_size,
            v.team_size,
            *(self.rules.item_team_sizes.get(i, 0) for i in v.items),
        )
        if self.rules.require_each_department and len(v.departments) >= 2:
            k = max(k, len(v.departments))
        return k

    def eligible(self, v: Visit, i: int) -> bool:
        o = self.rows[i]
        if not o.active or (o.officer_id, v.credit_code) in self.banned:
            return False
        if o.expert:
            return True
        if (
            self.rules.own_departments_only
            and v.departments
            and o.department
            and o.department not in v.departments
        ):
            return False
        if self.rules.cross_jurisdiction and v.area:
            own = set(self.rules.unit_areas.get(o.unit, ())) | ({o.area} if o.area else set())
            if any(a and v.area.startswith(a) for a in own):
                return False
        return True

    def officers_for(self, v: Visit) -> list[int]:
        return [i for i in range(len(self.rows)) if not self.rows[i].expert and self.eligible(v, i)]

    def expert_skills(self, v: Visit) -> list[str]:
        if not self.rules.require_skills:
            return []
        pool = self.officers_for(v)
        return [s for s in v.skills if not any(s in self.rows[i].skills for i in pool)]

    def cap(self, i: int) -> int:
        c = self.rows[i].load_cap
        if c is None:
            c = self.rules.max_load
        return 10**9 if c is None else c

    def team_ok(self, v: Visit, team: Sequence[int], experts: Sequence[int]) -> bool:
        if len(set(team)) != self.team_size(v) or len(team) != self.team_size(v):
            return False
        if not all(self.eligible(v, i) and not self.rows[i].expert for i in team):
            return False
        if not all(self.eligible(v, i) and self.rows[i].expert for i in experts):
            return False
        needs = self.expert_skills(v)
        if self.rules.require_skills:
            for s in v.skills:
                holders = [i for i in (experts if s in needs else team) if s in self.rows[i].skills]
                if not holders:
                    return False
            if len(set(experts)) > len(needs):
                return False
        elif experts:
            return False
        if self.rules.require_each_department and len(v.departments) >= 2:
            for d in v.departments:
                if not any(self.rows[i].department == d for i in team):
                    return False
        return True

    def check(self, a: Assignment) -> None:
        """Every rule holds on ``a``."""
        assert a.credit_codes == tuple(v.credit_code for v in self.visits)
        load = [0] * len(self.rows)
        for vi, v in enumerate(self.visits):
            rows = np.flatnonzero(a.visit_index == vi)
            team = [int(a.officer_index[r]) for r in rows if not a.expert[r]]
            experts = [int(a.officer_index[r]) for r in rows if a.expert[r]]
            assert self.team_ok(v, team, experts), (v, team, experts)
            for i in team + experts:
                load[i] += 1
        assert load == a.loads.tolist()
        assert all(load[i] <= self.cap(i) for i in range(len(self.rows)))

    def brute_force_feasible(self) -> bool:
        options: list[list[tuple[tuple[int, ...], tuple[int, ...]]]] = []
        for v in self.visits:
            needs = self.expert_skills(v)
            experts = [
                i for i in range(len(self.rows)) if self.rows[i].expert and self.eligible(v, i)
            ]
            expert_choices = list(
                itertools.product(
                    *[[i for i in experts if s in self.rows[i].skills] for s in needs]
                )
            )
            opts = []
            for team in itertools.combinations(self.officers_for(v), self.team_size(v)):
                for ex in expert_choices:
                    exs = tuple(sorted(set(ex)))
                    if self.team_ok(v, team, exs):
                        opts.append((team, exs))
            options.append(opts)
        for combo in itertools.product(*options):
            load = [0] * len(self.rows)
            for team, exs in combo:
                for i in (*team, *exs):
                    load[i] += 1
            if all(load[i] <= self.cap(i) for i in range(len(self.rows))):
                return True
        return False


SKILLS = ("成品油", "典当")
DEPTS = ("商务局", "公安局")
MORE_SKILLS = ("成品油", "典当", "危险化学品")
EXPERT_SKILLS = ("特种设备", "医疗器械")  # held by experts only


@st.composite
def instances(
    draw: st.DrawFn, joint_skill: bool = False, two_skills: bool = False, overlap: bool = False
) -> Instance:
    """Small random batches. ``overlap``: visit 0's requirements overlap in one of the ways
    only a cover can nest (a joint visit needing two skills, three skills, or two skills only
    experts hold, one expert holding both), under either matching recipe."""
    n_off = draw(st.integers(5 if overlap else 4, 7))
    pool = MORE_SKILLS if overlap else SKILLS
    skills = [
        ";".join(draw(st.lists(st.sampled_from(pool), max_size=3 if overlap else 2, unique=True)))
        for _ in range(n_off)
    ]
    if two_skills:  # at least one officer holds both skills of visit 0
        skills[draw(st.integers(0, n_off - 1))] = ";".join(SKILLS[:2])
    structure = draw(st.sampled_from(("joint", "three", "experts"))) if overlap else ""
    if structure:  # at least one officer (expert) meets two requirements of visit 0
        skills[0] = ";".join(EXPERT_SKILLS if structure == "experts" else MORE_SKILLS[:2])
    depts = [draw(st.sampled_from(("商务局", "商务局", "公安局", "", ""))) for _ in range(n_off)]
    units = [draw(st.sampled_from(("一所", "二所"))) for _ in range(n_off)]
    expert = [draw(st.integers(0, 6)) == 0 for _ in range(n_off)]
    if structure == "experts":
        expert[0] = True
        expert[1] = draw(st.booleans())
        for i in range(1, n_off):
            if expert[i]:
                skills[i] = ";".join(
                    draw(st.lists(st.sampled_from(EXPERT_SKILLS), max_size=2, unique=True))
                )
    elif structure:
        depts[0] = "商务局"
    active = [draw(st.integers(0, 9)) > 0 for _ in range(n_off)]
    caps = [draw(st.sampled_from((-1, 1, 2, 2, 3))) for _ in range(n_off)]
    officers = roster(
        n_off,
        skills=skills,
        department=depts,
        unit=units,
        expert=np.array(expert),
        active=np.array(active),
        load_cap=np.array(caps),
    )
    n_vis = draw(st.integers(1, 3))
    visits = []
    for i in range(n_vis):
        forced = joint_skill and i == 0  # a joint visit that needs one skill
        pair = two_skills and i == 0  # a visit that needs two skills, no departments
        joint = forced or (not pair and draw(st.integers(0, 4)) == 0)
        fixed: tuple[str, ...] = ()
        if structure and i == 0:
            joint = structure == "joint"
            fixed = {"joint": MORE_SKILLS[:2], "three": MORE_SKILLS, "experts": EXPERT_SKILLS}[
                structure
            ]
        visits.append(
            Visit(
                code(i),
                items=("X",),
                departments=DEPTS if joint else ("商务局",),
                skills=fixed
                if fixed
                else SKILLS[:2]
                if pair
                else tuple(
                    draw(
                        st.lists(
                            st.sampled_from(SKILLS),
                            min_size=1 if forced else 0,
                            max_size=1 if joint else 2,
                            unique=True,
                        )
                    )
                ),
                area=draw(st.sampled_from(("130634", "130635"))),
                team_size=draw(st.sampled_from((2, 2, 2, 3))),
            )
        )
    conflicts = [
        Conflict(f"O{o:03d}", code(v), "亲属关系")
        for v in range(n_vis)
        for o in range(n_off)
        if draw(st.integers(0, 9)) == 0
    ]
    rules = MatchingRules(
        cross_jurisdiction=draw(st.integers(0, 3)) == 0,
        unit_areas={"一所": {"130634"}, "二所": {"130635"}},
        pair_cap=draw(st.sampled_from((None, 0.5, 0.75))),
        candidates=draw(st.sampled_from((2, 4, 32))),
        recipe=draw(st.sampled_from(MATCHING_RECIPES)) if overlap else MATCHING_RECIPE,
    )
    return Instance(visits, officers, conflicts, rules)


# ------------------------------------------------------------------------------------------
# Properties


def _matches_brute_force(inst: Instance, s: int) -> Assignment | None:
    """Every rule holds on the matching, which exists iff a brute-force search finds one."""

    def run() -> Assignment:
        return match_officers(
            inst.visits, inst.officers, conflicts=inst.conflicts, rules=inst.rules, rng=s
        )

    if inst.brute_force_feasible():
        a = run()
        inst.check(a)
        return a
    with pytest.raises(InfeasibleMatchingError) as info:
        run()
    assert info.value.reasons
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 2**32 - 1))
def test_every_rule_holds_and_feasibility_matches_brute_force(inst: Instance, s: int) -> None:
    _matches_brute_force(inst, s)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(joint_skill=True), st.integers(0, 2**32 - 1))
def test_joint_visit_needing_a_skill_matches_brute_force(inst: Instance, s: int) -> None:
    _matches_brute_force(inst, s)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(two_skills=True), st.integers(0, 2**32 - 1))
def test_visit_needing_two_shared_skills_matches_brute_force(inst: Instance, s: int) -> None:
    _matches_brute_force(inst, s)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(overlap=True), st.integers(0, 2**32 - 1))
def test_overlapping_requirements_match_brute_force(inst: Instance, s: int) -> None:
    a = _matches_brute_force(inst, s)
    if a is not None and a.method != "milp":
        assert a.pair_probabilities is not None
        if inst.rules.pair_cap is not None and a.cap_exceeded == 0:
            assert a.pair_probabilities.probability.max() <= inst.rules.pair_cap


@settings(max_examples=40, deadline=None)
@given(instances())
def test_same_seed_same_assignment(inst: Instance) -> None:
    def run() -> Any:
        try:
            a = match_officers(
                inst.visits,
                inst.officers,
                conflicts=inst.conflicts,
                rules=inst.rules,
                seed="2023-1107",
            )
        except InfeasibleMatchingError as exc:
            return str(exc)
        return a.teams(), a.loads.tolist(), a.source

    assert run() == run()


@settings(max_examples=40, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_visit_and_officer_order_do_not_change_the_draw(inst: Instance, r: Any) -> None:
    try:
        a = match_officers(
            inst.visits, inst.officers, conflicts=inst.conflicts, rules=inst.rules, seed="s"
        )
    except InfeasibleMatchingError:
        return
    visits = list(inst.visits)
    r.shuffle(visits)
    perm = list(range(len(inst.officers)))
    r.shuffle(perm)
    shuffled = OfficerRoster.from_officers([inst.officers[i] for i in perm])
    b = match_officers(visits, shuffled, conflicts=inst.conflicts, rules=inst.rules, seed="s")
    teams_a = {c: sorted(t) for c, t in zip(a.credit_codes, a.teams(), strict=True)}
    teams_b = {c: sorted(t) for c, t in zip(b.credit_codes, b.teams(), strict=True)}
    assert teams_a == teams_b


def county(
    n_visits: int = 300,
    n_officers: int = 30,
    cap: int = 25,
    seed: int = 1,
    skill_share: float = 0.3,
) -> tuple[list[Visit], OfficerRoster]:
    rng = np.random.default_rng(seed)
    skills = ["成品油" if rng.random() < skill_share else "" for _ in range(n_officers)]
    officers = roster(
        n_officers,
        skills=skills,
        load_cap=np.full(n_officers, cap),
        unit=[f"{i % 3 + 1}所" for i in range(n_officers)],
    )
    visits = [
        Visit(
            code(i),
            items=("SW-02",),
            departments=("商务局",),
            skills=("成品油",) if i % 5 == 0 else (),
            area=f"13063{i % 3 + 1}",
        )
        for i in range(n_visits)
    ]
    return visits, officers


def test_county_batch_meets_every_rule() -> None:
    visits, officers = county()
    conflicts = [Conflict(f"O{i:03d}", code(i * 7), "曾任职") for i in range(30)]
    rules = MatchingRules(
        cross_jurisdiction=True,
        unit_areas={"1所": {"130631"}, "2所": {"130632"}, "3所": {"130633"}},
    )
    a = match_officers(visits, officers, conflicts=conflicts, rules=rules, seed="2023-1107")
    Instance(visits, officers, conflicts, rules).check(a)
    assert len(a.recusals) == 30
    assert a.source["path"] == ["matching"]
    assert a.source["seed"] == "2023-1107"


def test_loads_are_spread_when_caps_allow() -> None:
    visits, officers = county(cap=25)
    a = match_officers(visits, officers, seed="x")
    assert a.loads.sum() == 600
    # 600 places over 30 officers: every officer works, nobody beyond the cap
    assert a.loads.min() >= 10
    assert a.loads.max() <= 25


def test_source_child_from_a_batch_equals_seed_and_label() -> None:
    visits, officers = county(20, 8, cap=10)
    a = match_officers(visits, officers, seed="s")
    b = match_officers(visits, officers, source=HashSource.from_seed("s").child("matching"))
    assert a.teams() == b.teams()


def test_history_within_window_is_not_repeated() -> None:
    officers = roster(4)
    visits = [Visit(code(1), items=("X",), departments=())]
    history = [("O000", code(1), dt.date(2023, 6, 1)), ("O001", code(1), dt.date(2021, 1, 1))]
    for s in range(20):
        a = match_officers(visits, officers, history=history, as_of=dt.date(2023, 11, 7), rng=s)
        assert "O000" not in a.teams()[0]


def test_history_needs_as_of() -> None:
    with pytest.raises(PlanError, match="as_of"):
        match_officers(
            [Visit(code(1), items=("X",), departments=())],
            roster(3),
            history=[("O000", code(1), dt.date(2023, 6, 1))],
            rng=1,
        )


def test_columnar_conflicts_equal_objects() -> None:
    visits, officers = county(40, 10, cap=12)
    objs = [Conflict(f"O{i:03d}", code(i), "亲属") for i in range(10)]
    cols = {
        "officer_id": [c.officer_id for c in objs],
        "credit_code": [c.credit_code for c in objs],
        "reason": ["亲属"] * 10,
    }
    a = match_officers(visits, officers, conflicts=objs, seed="s")
    b = match_officers(visits, officers, conflicts=cols, seed="s")
    assert a.teams() == b.teams()
    assert list(a.recusals) == list(b.recusals)


def test_expert_joins_only_for_a_skill_no_officer_has() -> None:
    officers = roster(4, skills=["", "", "", "典当"], expert=np.array([0, 0, 0, 1], bool))
    visits = [
        Visit(code(1), items=("X",), departments=(), skills=("典当",)),
        Visit(code(2), items=("Y",), departments=()),
    ]
    a = match_officers(visits, officers, seed="s")
    teams = a.teams()
    assert teams[0][-1] == "O003"
    assert len(teams[0]) == 3
    assert "O003" not in teams[1]
    assert a.to_rows()[2] == {"credit_code": code(1), "officer_id": "O003", "role": "专家"}


def test_joint_visit_gets_one_officer_of_each_department() -> None:
    officers = roster(6, department=["商务局"] * 4 + ["公安局"] * 2)
    visits = [Visit(code(i), items=("X",), departments=DEPTS) for i in range(3)]
    for s in range(10):
        a = match_officers(visits, officers, rng=s)
        for team in a.teams():
            depts = {officers[int(i[1:])].department for i in team}
            assert depts == set(DEPTS)


def test_two_visits_to_one_target_are_refused() -> None:
    v = Visit(code(1), items=("X",), departments=())
    with pytest.raises(BatchError, match="merge them"):
        match_officers([v, v], roster(4), rng=1)


def test_exactly_one_source_of_randomness() -> None:
    with pytest.raises(PlanError, match="exactly one"):
        match_officers([], roster(2))
    with pytest.raises(PlanError, match="not both"):
        match_officers([], roster(2), seed="s", source=HashSource.from_seed("s"))


# ------------------------------------------------------------------------------------------
# Infeasibility reports name the visit and the rule


def test_report_names_visit_skill_and_recusals() -> None:
    officers = roster(5, skills=["成品油", "成品油", "", "", ""])
    visit = Visit("91130634MA0000001X", items=("SW-02",), departments=(), skills=("成品油",))
    conflicts = [
        Conflict("O000", visit.credit_code, "亲属"),
        Conflict("O001", visit.credit_code, "曾任职"),
    ]
    with pytest.raises(InfeasibleMatchingError) as info:
        match_officers([visit], officers, conflicts=conflicts, rng=1)
    assert info.value.reasons == [
        "visit 91130634MA0000001X needs the skill 成品油 [专业检查]; the only 2 officers with "
        "it are recused [回避]; no expert [专家库] has it either"
    ]


def test_report_names_team_size_and_reasons() -> None:
    officers = roster(3, active=np.array([True, False, True]))
    visit = Visit(code(5), items=("X",), departments=())
    with pytest.raises(InfeasibleMatchingError) as info:
        match_officers([visit], officers, conflicts=[Conflict("O000", code(5))], rng=1)
    assert info.value.reasons == [
        f"visit {code(5)} needs 2 officers [执法人员不得少于两人, 行政处罚法 第四十二条] "
        "but only 1 of the 3 officers are eligible: 1 inactive [不在岗], 1 recused [回避]"
    ]


def test_report_names_missing_department() -> None:
    officers = roster(3, department=["商务局"] * 3)
    visit = Visit(code(2), items=("X",), departments=DEPTS)
    with pytest.raises(InfeasibleMatchingError, match="needs an officer of department 公安局"):
        match_officers([visit], officers, rng=1)


def test_report_names_load_caps_when_they_bind() -> None:
    officers = roster(4, load_cap=np.array([1, 1, 1, 1]))
    visits = [Visit(code(i), items=("X",), departments=()) for i in range(3)]
    with pytest.raises(InfeasibleMatchingError, match=r"needs 6 officer places .* at most 4"):
        match_officers(visits, officers, rng=1)


def test_report_names_the_visits_a_hall_set_cannot_staff() -> None:
    # Visits 0 and 1 may only use O000–O002 (others recused), whose caps allow 3 places < 4.
    officers = roster(6, load_cap=np.array([1, 1, 1, 5, 5, 5]))
    visits = [Visit(code(i), items=("X",), departments=()) for i in range(3)]
    conflicts = [Conflict(f"O00{o}", code(v)) for v in (0, 1) for o in (3, 4, 5)]
    with pytest.raises(InfeasibleMatchingError) as info:
        match_officers(visits, officers, conflicts=conflicts, rng=1)
    (reason,) = info.value.reasons
    assert reason.startswith(f"visits {code(0)}, {code(1)} cannot all be staffed together")
    assert "[任务上限]" in reason


def test_strict_pair_cap_refuses_a_forced_pair() -> None:
    officers = roster(2)
    visit = Visit(code(3), items=("X",), departments=())
    a = match_officers([visit], officers, rules=MatchingRules(pair_cap=0.5), rng=1)
    assert a.cap_exceeded == 2
    with pytest.raises(InfeasibleMatchingError, match=r"pair cap 0.5 \[防止合谋\]"):
        match_officers(
            [visit], officers, rules=MatchingRules(pair_cap=0.5, strict_pair_cap=True), rng=1
        )


# ------------------------------------------------------------------------------------------
# Fairness: empirical pair probabilities


def _bound(p: float, runs: int, cells: int) -> float:
    """Half-width of a two-sided binomial interval at overall level 1e-6 (Bonferroni, normal
    approximation with a continuity term)."""
    z = 5.6 + math.log10(max(cells, 1)) * 0.8  # z for 1e-6 / cells, conservatively rounded up
    return z * math.sqrt(p * (1 - p) / runs) + 1 / runs


def _assert_frequencies_match(target: Any, counts: Any, runs: int) -> None:
    """Each pair's frequency over ``runs`` is within the binomial bound of its marginal, and a
    pair with marginal 0 never occurs."""
    freq = counts / runs
    cells = int((target > 0).sum())
    assert np.all((target == 0) <= (freq == 0))
    for p, f in zip(target[target > 0].tolist(), freq[target > 0].tolist(), strict=True):
        assert abs(f - p) <= _bound(p, runs, cells)


def test_each_eligible_officer_gets_the_uniform_chance_when_caps_are_loose() -> None:
    # No load cap binds: every officer's chance on a visit is f/|E| + [has skill]/|G|.
    n = 12
    officers = roster(n, skills=["成品油" if i < 4 else "" for i in range(n)])
    visits = [
        Visit(code(0), items=("X",), departments=(), skills=("成品油",)),
        Visit(code(1), items=("X",), departments=()),
    ]
    conflicts = [Conflict("O011", code(1))]
    runs = 3000
    sim = simulate_matching(visits, officers, runs=runs, rng=20231107, conflicts=conflicts)
    target = np.zeros((2, n))
    target[0] = 1 / n + np.array([1 / 4 if i < 4 else 0 for i in range(n)])
    target[1, :11] = 2 / 11
    cells = int((target > 0).sum())
    for v in range(2):
        for o in range(n):
            assert abs(sim.frequency[v, o] - target[v, o]) <= _bound(target[v, o], runs, cells)
    assert sim.frequency[1, 11] == 0.0


@pytest.mark.slow
def test_pair_probabilities_are_the_marginals_and_respect_the_cap() -> None:
    # Caps bind (the flow sets the marginals): for a fixed draw of candidate blocks the
    # rounding must reproduce the reported marginals exactly, and none exceeds the cap.
    visits, officers = county(60, 12, cap=11, seed=3)
    rules = MatchingRules(pair_cap=0.25)
    gen = HashSource.from_seed("fixed-blocks").child("matching")
    first = match_officers(visits, officers, rules=rules, source=gen)
    probs = first.pair_probabilities
    assert probs is not None
    assert first.cap_exceeded == 0
    assert probs.probability.max() <= 0.25
    target = probs.matrix(len(visits), len(officers))
    runs = 1500
    counts = np.zeros_like(target)
    for i in range(runs):
        src = _FixedBlocks(gen, i)
        a = match_officers(visits, officers, rules=rules, source=src)
        np.add.at(counts, (a.visit_index, a.officer_index), 1)
    _assert_frequencies_match(target, counts, runs)


class _FixedBlocks:
    """Hash numbers for the candidate blocks, fresh numbers for the rounding: the marginals are
    fixed, the rounding varies."""

    verifiable = False

    def __init__(self, base: HashSource, run: int) -> None:
        self.base, self.run = base, run

    def child(self, label: str) -> Any:
        if label in ("visits", "officers", "nest"):
            return self.base.child(label)
        return self.base.child(f"{label}#{self.run}")

    def uniforms(self, ids: Any) -> Any:  # pragma: no cover - not used at the top level
        return self.base.uniforms(ids)

    def describe(self) -> dict[str, Any]:
        return {"recipe": "test", "seed": None, "path": []}


def test_same_two_officers_are_not_always_together() -> None:
    officers = roster(8)
    visits = [Visit(code(i), items=("X",), departments=()) for i in range(4)]
    sim = simulate_matching(visits, officers, runs=400, rng=5)
    # 4 visits × 1 pair each; 28 possible pairs: no pair is together on every visit
    assert sim.together.max() < 2.0
    assert sim.max_frequency < 0.5


def test_cross_jurisdiction_without_any_officer_area_is_refused() -> None:
    import randcheck

    county = randcheck.example_county()
    batch = randcheck.draw_batch(county.targets, county.items[:3], seed="2023-11-07")
    with pytest.raises(randcheck.PlanError, match=r"所所交叉.*would exclude nobody"):
        randcheck.match_officers(
            list(batch.visits),
            county.officers,
            seed="2023-11-07",
            rules=randcheck.MatchingRules(cross_jurisdiction=True),
        )


# ------------------------------------------------------------------------------------------
# Joint visits that need a skill held across departments (nesting instead of the MILP)


def _example_batch(seed: str) -> tuple[Any, list[Visit], MatchingRules]:
    import randcheck

    county = randcheck.example_county()
    batch = randcheck.draw_batch(county.targets, county.items, seed=seed, lead_order=("商务局",))
    rules = MatchingRules(cross_jurisdiction=True, unit_areas=county.unit_areas, pair_cap=0.5)
    return county, list(batch.visits), rules


def test_example_county_joint_skill_visit_takes_the_flow_path_under_the_cap() -> None:
    county, visits, rules = _example_batch("a")
    joint = {v.credit_code: v for v in visits if len(v.departments) >= 2 and v.skills}
    assert joint
    assert {v.skills for v in joint.values()} == {("报废机动车",)}
    a = match_officers(visits, county.officers, rules=rules, seed="a")
    Instance(visits, county.officers, [], rules).check(a)
    assert a.method != "milp"
    assert sorted(code_ for code_, _, _ in a.nested) == sorted(joint)
    for code_, skill, dept in a.nested:
        assert skill == "报废机动车"
        assert dept in joint[code_].departments
    assert a.source["nested"] == [list(n) for n in a.nested]
    assert a.pair_probabilities is not None
    assert a.cap_exceeded == 0
    assert a.pair_probabilities.probability.max() <= 0.5


def test_nesting_department_is_the_first_in_seed_rank_order() -> None:
    county, visits, rules = _example_batch("a")
    a = match_officers(visits, county.officers, rules=rules, seed="a")
    code_, skill, dept = a.nested[0]
    (joint,) = [v for v in visits if v.credit_code == code_]
    labels = [f"{code_}|{skill}|{d}" for d in joint.departments]
    u = HashSource.from_seed("a").child("matching").child("nest").uniforms(np.array(labels))
    holders = {
        o.department
        for o in county.officers
        if skill in o.skills and not o.expert and o.department in joint.departments
    }
    ranked = [d for _, d in sorted(zip(u.tolist(), joint.departments, strict=True))]
    assert dept == next(d for d in ranked if d in holders)


def test_same_seed_same_nesting_and_teams() -> None:
    county, visits, rules = _example_batch("b")

    def run() -> Any:
        a = match_officers(visits, county.officers, rules=rules, seed="b")
        return a.teams(), a.nested, a.source, a.method

    assert run() == run()


def _seed_ranking_first(code_: str, skill: str, first: str, other: str) -> str:
    for i in range(100):
        seed = f"s{i}"
        src = HashSource.from_seed(seed).child("matching").child("nest")
        u = src.uniforms(np.array([f"{code_}|{skill}|{first}", f"{code_}|{skill}|{other}"]))
        if u[0] < u[1]:
            return seed
    raise AssertionError("no seed ranks the department first")  # pragma: no cover


def test_next_department_supplies_the_skill_when_the_first_ranked_cannot() -> None:
    # O000 is the only 商务局 officer with 成品油, has room for one visit and is the only
    # holder visit 0 may take; so the joint visit 1 must get its 成品油 from 公安局.
    officers = roster(
        4,
        department=["商务局", "商务局", "公安局", "公安局"],
        skills=["成品油", "", "成品油", ""],
        load_cap=np.array([1, -1, -1, -1]),
    )
    visits = [
        Visit(code(0), items=("X",), departments=("商务局",), skills=("成品油",)),
        Visit(code(1), items=("Y",), departments=DEPTS, skills=("成品油",)),
    ]
    seed = _seed_ranking_first(code(1), "成品油", "商务局", "公安局")
    a = match_officers(visits, officers, seed=seed)
    Instance(visits, officers, [], MatchingRules()).check(a)
    assert a.method != "milp"
    assert a.nested == ((code(1), "成品油", "公安局"),)
    assert a.teams() == [("O000", "O001"), ("O001", "O002")]


# ------------------------------------------------------------------------------------------
# Visits that need two skills some officers share ("both" or "split" instead of the MILP)


def _two_skill_batch() -> tuple[OfficerRoster, list[Visit]]:
    s1, s2 = SKILLS[:2]
    officers = roster(
        8,
        skills=[f"{s1};{s2}", s1, s2, "", f"{s1};{s2}", s1, s2, ""],
        department=["商务局"] * 8,
    )
    visits = [
        Visit(code(i), items=("X",), departments=("商务局",), skills=(s1, s2)) for i in range(3)
    ]
    return officers, visits


def test_visit_needing_two_shared_skills_takes_the_flow_path_under_the_cap() -> None:
    officers, visits = _two_skill_batch()
    rules = MatchingRules(pair_cap=0.5)
    a = match_officers(visits, officers, rules=rules, seed="2023-1107")
    Instance(visits, officers, [], rules).check(a)
    assert a.method != "milp"
    label = "+".join(sorted(SKILLS[:2]))
    assert [(c, s) for c, s, _ in a.nested] == [(code(i), label) for i in range(3)]
    assert {case for _, _, case in a.nested} <= {"both", "split"}
    assert a.source["nested"] == [list(t) for t in a.nested]
    assert a.pair_probabilities is not None
    assert a.cap_exceeded == 0
    assert a.pair_probabilities.probability.max() <= 0.5


def test_two_skill_case_is_the_first_in_seed_rank_order() -> None:
    officers, visits = _two_skill_batch()
    a = match_officers(visits, officers, seed="a")
    label = "+".join(sorted(SKILLS[:2]))
    src = HashSource.from_seed("a").child("matching").child("nest")
    for code_, _, case in a.nested:
        u = src.uniforms(np.array([f"{code_}|{label}|both", f"{code_}|{label}|split"]))
        assert case == ("both" if u[0] < u[1] else "split")


def test_same_seed_same_two_skill_cases_and_teams() -> None:
    officers, visits = _two_skill_batch()

    def run() -> Any:
        a = match_officers(visits, officers, seed="b", rules=MatchingRules(pair_cap=0.5))
        return a.teams(), a.nested, a.source, a.method

    assert run() == run()


def test_other_two_skill_case_when_the_first_ranked_cannot() -> None:
    # O000 is the only holder of both skills and has room for one visit; visit 0 (one skill)
    # may take only O000, so visit 1 must be staffed "split", by O001 and O002.
    s1, s2 = SKILLS[:2]
    officers = roster(
        4,
        skills=[f"{s1};{s2}", s1, s2, ""],
        load_cap=np.array([1, -1, -1, -1]),
    )
    visits = [
        Visit(code(0), items=("X",), departments=("商务局",), skills=(s1,)),
        Visit(code(1), items=("Y",), departments=("商务局",), skills=(s1, s2)),
    ]
    conflicts = [Conflict("O001", code(0), "亲属关系")]
    label = "+".join(sorted((s1, s2)))
    for i in range(100):
        seed = f"s{i}"
        src = HashSource.from_seed(seed).child("matching").child("nest")
        u = src.uniforms(np.array([f"{code(1)}|{label}|both", f"{code(1)}|{label}|split"]))
        if u[0] < u[1]:
            break
    a = match_officers(visits, officers, conflicts=conflicts, seed=seed)
    Instance(visits, officers, conflicts, MatchingRules()).check(a)
    assert a.method != "milp"
    assert a.nested == ((code(1), label, "split"),)
    assert a.teams()[1] == ("O001", "O002")


# ------------------------------------------------------------------------------------------
# Other overlapping requirements: a drawn cover instead of the MILP (recipe randcheck-matching/2)


def _overlap_roster() -> OfficerRoster:
    import randcheck

    return randcheck.OfficerRoster.from_columns(
        {
            "officer_id": [f"O{i}" for i in range(1, 10)] + [f"X{i}" for i in range(1, 5)],
            "department": [*(["商务局"] * 2), *(["公安局"] * 2), "商务局", "公安局"]
            + ["商务局"] * 3
            + [""] * 4,
            "skills": [
                "成品油;典当",
                "成品油",
                "典当;成品油",
                "典当",
                "",
                "",
                "典当;危险化学品",
                "成品油;危险化学品",
                "典当;成品油",
                "特种设备;医疗器械",
                "特种设备",
                "医疗器械",
                "医疗器械;特种设备",
            ],
            "expert": np.array([False] * 9 + [True] * 4),
        }
    )


# A joint visit needing two skills, a visit needing three skills held together, and one whose
# two skills only experts hold (one expert holds both).
_OVERLAPS = [
    Visit(code(1), items=("X", "Y"), departments=("商务局", "公安局"), skills=("典当", "成品油")),
    Visit(code(2), items=("X",), departments=("商务局",), skills=("典当", "成品油", "危险化学品")),
    Visit(code(3), items=("Z",), departments=("商务局",), skills=("医疗器械", "特种设备")),
]


@pytest.mark.parametrize("visit", _OVERLAPS, ids=["joint-two-skills", "three", "experts"])
def test_overlapping_requirements_take_the_flow_path_under_the_cap(visit: Visit) -> None:
    import randcheck

    officers = _overlap_roster()
    rules = randcheck.MatchingRules(pair_cap=0.75)
    a = randcheck.match_officers([visit], officers, rules=rules, seed="s")
    Instance([visit], officers, [], rules).check(a)
    assert a.method != "milp"
    assert a.source["matching"] == "randcheck-matching/2"
    ((code_, skills, cover),) = a.nested
    assert (code_, skills) == (visit.credit_code, "+".join(visit.skills))
    assert a.source["nested"] == [[code_, skills, cover]]
    assert a.pair_probabilities is not None
    assert a.cap_exceeded == 0
    assert a.pair_probabilities.probability.max() <= 0.75


def test_the_cover_is_the_first_in_seed_rank_order() -> None:
    import randcheck

    officers = _overlap_roster()
    visit = _OVERLAPS[0]
    # The partitions of {典当, 成品油, 公安局, 商务局} into two parts, each met by one eligible
    # officer (a team of 2); every one admits a team here.
    covers = [
        "典当+成品油@公安局, @商务局",
        "典当+成品油@商务局, @公安局",
        "典当@公安局, 成品油@商务局",
        "成品油@公安局, 典当@商务局",
    ]
    seen = set()
    for i in range(16):
        seed = f"s{i}"
        a = randcheck.match_officers([visit], officers, seed=seed)
        labels = np.array([f"{visit.credit_code}|典当+成品油|{c}" for c in covers])
        u = HashSource.from_seed(seed).child("matching").child("nest").uniforms(labels)
        assert a.nested == ((visit.credit_code, "典当+成品油", covers[int(np.argmin(u))]),)
        seen.add(a.nested[0][2])
    assert seen == set(covers)


def test_recipe_1_still_sends_overlapping_requirements_to_the_milp() -> None:
    import randcheck

    officers = _overlap_roster()
    for visit in _OVERLAPS:
        rules = randcheck.MatchingRules(pair_cap=0.75, recipe="randcheck-matching/1")
        a = randcheck.match_officers([visit], officers, rules=rules, seed="s")
        Instance([visit], officers, [], rules).check(a)
        assert a.method == "milp"
        assert a.source["matching"] == "randcheck-matching/1"
        assert a.pair_probabilities is None


def test_unknown_recipe_is_refused() -> None:
    with pytest.raises(ValueError, match="randcheck-matching/1, randcheck-matching/2"):
        MatchingRules(recipe="randcheck-matching/9")


def test_a_cover_keeps_exact_pair_probabilities() -> None:
    # With the cover (child key "nest") and the candidate blocks fixed, the rounding must
    # reproduce the reported marginals, each under the cap.
    officers = _overlap_roster()
    visits = [*_OVERLAPS, Visit(code(4), items=("X",), departments=("商务局",))]
    rules = MatchingRules(pair_cap=0.75)
    gen = HashSource.from_seed("fixed-cover").child("matching")
    first = match_officers(visits, officers, rules=rules, source=gen)
    assert len(first.nested) == 3
    probs = first.pair_probabilities
    assert probs is not None
    assert first.cap_exceeded == 0
    target = probs.matrix(len(visits), len(officers))
    runs = 1500
    counts = np.zeros_like(target)
    for i in range(runs):
        a = match_officers(visits, officers, rules=rules, source=_FixedBlocks(gen, i))
        assert a.nested == first.nested
        np.add.at(counts, (a.visit_index, a.officer_index), 1)
    _assert_frequencies_match(target, counts, runs)


def test_a_pair_cap_is_never_silently_dropped() -> None:
    import randcheck

    officers = _overlap_roster()
    visit = _OVERLAPS[0]
    # Under recipe /1 the joint two-skill visit goes to the 0/1 programme, which has no cap:
    # that is reported, and refused when the cap is strict.
    loose = randcheck.MatchingRules(pair_cap=0.5, recipe="randcheck-matching/1")
    a = randcheck.match_officers([visit], officers, rules=loose, seed="s")
    assert a.method == "milp"
    assert a.pair_probabilities is None
    strict = attrs.evolve(loose, strict_pair_cap=True)
    with pytest.raises(randcheck.InfeasibleMatchingError, match="pair cap cannot be guaranteed"):
        randcheck.match_officers([visit], officers, rules=strict, seed="s")


def test_a_shortage_outside_the_failing_visits_ends_in_a_report_not_a_loop() -> None:
    # Found in review: every failing visit was widened already, another was not, and the
    # matcher rebuilt the same graph for ever. Brute force says this batch has no assignment.
    officers = roster(
        5,
        department=["D3", "D1", "D1", "D2", ""],
        skills=["b;c;d", "b;c;d", "a;f", "c", "a;c;d"],
        load_cap=np.array([4, -1, 1, -1, 4]),
    )
    all3 = ("D1", "D2", "D3")
    visits = [
        Visit(code(0), items=("X",), departments=("D1", "D3"), skills=("d",)),
        Visit(code(2), items=("X",), departments=all3, skills=("a",), team_size=4),
        Visit(code(3), items=("X",), departments=all3, skills=("c",)),
        Visit(code(4), items=("X",), departments=("D1", "D3"), skills=("c",), team_size=3),
        Visit(code(5), items=("X",), departments=all3, skills=("a",)),
    ]
    for recipe in MATCHING_RECIPES:
        rules = MatchingRules(candidates=4, recipe=recipe)
        inst = Instance(visits, officers, [], rules)
        assert not inst.brute_force_feasible()
        with pytest.raises(InfeasibleMatchingError):
            match_officers(visits, officers, rules=rules, seed="s")


def test_a_cover_that_admits_the_only_team_is_found() -> None:
    # Found in review: with the covers cut at 64 in a fixed order, the one cover admitting the
    # only team (load caps of 0 rule out the others) was never listed.
    officers = roster(
        12,
        skills=["a;b;d", "b;c;d", "b;c", "a;c", "c", "a;c", "c", "a;b;c", "b;c", "b;c;d", "a", "d"],
        department=["D1", "", "D3", "D2", "D3", "D1", "D2", "D2", "D2", "D2", "", "D1"],
        load_cap=np.array([0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1]),
    )
    visit = Visit(
        code(0),
        items=("X",),
        departments=("D1", "D2", "D3"),
        skills=("a", "b", "c", "d"),
        team_size=4,
    )
    rules = MatchingRules(pair_cap=1.0, strict_pair_cap=True)
    a = match_officers([visit], officers, rules=rules, seed="s")
    Instance([visit], officers, [], rules).check(a)
    assert a.method == "flow"
    assert a.teams() == [("O002", "O006", "O010", "O011")]


def test_two_expert_seats_without_a_shared_expert_keep_the_flow_path() -> None:
    # Found in review: two skills only experts hold, no expert holding both, went to the MILP.
    officers = roster(
        8, skills=[""] * 6 + ["特种设备", "医疗器械"], expert=np.array([False] * 6 + [True] * 2)
    )
    visit = Visit(code(0), items=("X",), departments=("D",), skills=("特种设备", "医疗器械"))
    rules = MatchingRules(pair_cap=0.5)
    a = match_officers([visit], officers, rules=rules, seed="s")
    Instance([visit], officers, [], rules).check(a)
    assert a.method != "milp"
    assert a.nested == ((code(0), "医疗器械+特种设备", "expert:医疗器械, expert:特种设备"),)
    assert a.expert.sum() == 2
