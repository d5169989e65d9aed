"""Systematic sweeps (private to :mod:`randcheck.matching`): the plan, the draw, the exact
chances and the load certificate of ``randcheck-matching-sweep/1``.

The public side (the function, the result, the record and its check) is
:mod:`randcheck.matching.sweep`, whose docstring states the recipe. Everything here is a pure
function of the batch (:class:`~randcheck.matching._problem.MatchingProblem`) and, for the draw,
of the numbers ``u_k``; chances are integers in units of ``2**-53``.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.matching._diagnosis import raise_infeasible
from randcheck.matching._flow import build_network
from randcheck.matching._problem import MatchingProblem
from randcheck.matching.rules import Bools, Ints, MatchingRules

#: Chances and the numbers ``u_k`` are integers in units of ``2**-53``.
SCALE_BITS = 53
TWO53 = 1 << SCALE_BITS
FREE, SKILL, DEPT, EXPERT = 0, 1, 2, 3  # window kinds (the flow recipe's seat kinds)
KIND_NAMES = ("free", "skill", "department", "expert")
#: The refusal of visits whose rules cannot be met builds the flow network of at most about
#: this many of their pairs (its words are the flow recipe's).
_REFUSAL_PAIRS = 2_000_000


# --------------------------------------------------------------------------------------------
# Officer order


def sweep_order(officer_ids: npt.NDArray[Any]) -> Ints:
    """Indices of ``officer_ids`` in sweep order: by the first 8 bytes (big-endian) of the
    SHA-256 of each UTF-8 id, ties by the id's UTF-8 bytes."""
    ids = [str(x).encode("utf-8") for x in officer_ids.tolist()]
    keys = [int.from_bytes(hashlib.sha256(b).digest()[:8], "big") for b in ids]
    order = sorted(range(len(ids)), key=lambda i: (keys[i], ids[i]))
    return np.array(order, dtype=np.int64)


def bound_units(r: Ints, g: Ints) -> Ints:
    """``⌈r·2⁵³/g⌉`` for ``0 ≤ r ≤ g`` (element-wise, exact in int64): the least ``u`` with
    ``⌊u·g/2⁵³⌋ ≥ r``."""
    q, rem = TWO53 // g, TWO53 % g
    out: Ints = r * q + (r * rem + g - 1) // g
    return out


def cyclic_measure(p0: Ints, length: Ints, g: Ints) -> Ints:
    """The number of ``u`` in ``[0, 2⁵³)`` whose ``⌊u·g/2⁵³⌋`` lies in the cyclic range
    ``p0, p0 + 1, … p0 + length − 1`` (mod ``g``), ``0 ≤ p0 < g``, ``length ≤ g``."""
    end = p0 + length
    first = bound_units(np.minimum(end, g), g) - bound_units(p0, g)
    out: Ints = first + bound_units(np.maximum(end - g, 0), g)
    return out


# --------------------------------------------------------------------------------------------
# The plan: types, windows, groups, sweeps, slots, exclusions


@attrs.define
class SweepPlan:
    """Everything about a batch's sweeps that does not depend on the numbers ``u_k``.

    Slots are the (visit, window) pairs, visit-major in canonical visit order: visit ``v``'s
    windows are slots ``slot_start[v] … slot_start[v + 1] − 1``, window ``k`` being slot
    ``slot_start[v] + k``. Sweeps are numbered by window index, then by the canonical index of
    their first visit. A sweep's group is ``members[group_start[s] : group_start[s + 1]]``
    (canonical officer indices, in sweep order; position ``a`` is ``members[group_start[s] +
    a]``).
    """

    prob: MatchingProblem
    visit_type: Ints
    type_window: npt.NDArray[np.int32]  # (type, officer) -> window index or -1
    type_position: npt.NDArray[np.int32]  # (type, officer) -> position in that window's group
    slot_start: Ints
    slot_visit: Ints
    slot_window: Ints
    slot_kind: Ints
    slot_label: list[str]
    slot_sweep: Ints
    slot_j: Ints
    sweep_window: Ints
    sweep_size: Ints
    sweep_slots: Ints
    sweep_offset: Ints
    group_start: Ints
    members: Ints
    # Excluded positions (sorted by slot, then position) and their runs.
    ex_slot: Ints
    ex_pos: Ints
    ex_run: Ints  # run of each excluded position
    run_slot: Ints
    run_length: Ints
    run_follower: Ints  # the first position after the run, not excluded
    q_lower: Fraction
    q_lower_visit: int
    largest: int  # units of 2**-53
    q_star: Fraction | None = None  # exact q* when the even split certifies it (exact_q_star)

    @property
    def n_windows(self) -> int:
        return int(self.sweep_window.max(initial=-1)) + 1

    def starts(self, uniforms: list[int]) -> list[int]:
        """``p_s = ⌊u_k·G_s/2⁵³⌋`` of every sweep (Python integers: ``u·G`` needs > 64 bits)."""
        return [
            (uniforms[k] * g) >> SCALE_BITS
            for k, g in zip(self.sweep_window.tolist(), self.sweep_size.tolist(), strict=True)
        ]


def _needs(prob: MatchingProblem, rules: MatchingRules) -> tuple[Ints, list[list[tuple[Any, ...]]]]:
    """Each visit's signature (profile, needs, team size) and each signature's needs: skills
    (``rules.require_skills``) then departments of a joint visit, as ``(kind, label, bit,
    dept)``, in the order of the flow recipe's ``_requirements``."""
    sig_of: dict[tuple[Any, ...], int] = {}
    needs: list[list[tuple[Any, ...]]] = []
    visit_sig = np.empty(prob.n_visits, dtype=np.int64)
    joint = rules.require_each_department
    for v, visit in enumerate(prob.visits):
        key = (
            int(prob.visit_profile[v]),
            visit.skills if rules.require_skills else (),
            visit.departments if joint and len(visit.departments) >= 2 else (),
            int(prob.team_size[v]),
        )
        s = sig_of.get(key)
        if s is None:
            s = sig_of[key] = len(needs)
            row: list[tuple[Any, ...]] = []
            for sk in key[1]:
                bit = 1 << prob.skill_names.index(sk) if sk in prob.skill_names else 0
                row.append((SKILL, sk, bit, -1))
            for d in key[2]:
                code = prob.dept_names.index(d) if d in prob.dept_names else -2
                row.append((DEPT, d, 0, code))
            needs.append(row)
        visit_sig[v] = s
    return visit_sig, needs


def _holds(prob: MatchingProblem, officers: Ints, kind: int, bit: int, dept: int) -> Bools:
    if kind == SKILL:
        out: Bools = ((prob.officer_skills[officers] & np.uint64(bit)) != 0) & (bit != 0)
        return out
    dept_ok: Bools = prob.officer_dept[officers] == dept
    return dept_ok


@attrs.define
class _Types:
    visit_type: Ints
    keys: list[tuple[Any, ...]]  # (profile, requirements, free windows, expert needs)
    bad: list[int]
    n_class: Ints  # |E_p| per visit, before exclusions
    excl_class: Ints  # exclusions of class-eligible officers per visit
    need_left: list[Ints]  # per visit signature need r: qualifiers left per visit (all visits)
    expert_left: list[Ints]


def _types(
    prob: MatchingProblem, rules: MatchingRules, class_ok: Bools, expert_ok: Bools
) -> _Types:
    """Each visit's type, from its needs and which of them its eligible officers (after
    exclusions) meet; the visits whose rules cannot be met."""
    n_vis = prob.n_visits
    visit_sig, needs = _needs(prob, rules)
    prof = prob.visit_profile
    ev, eo = prob.excluded_visit, prob.excluded_officer
    in_class = class_ok[prof[ev], eo] if ev.shape[0] else np.zeros(0, dtype=bool)
    in_expert = expert_ok[eo]
    excl_class = np.bincount(ev[in_class], minlength=n_vis)
    n_prof = class_ok.shape[0]
    n_class_p = class_ok.sum(axis=1)
    n_class = n_class_p[prof] if n_prof else np.zeros(n_vis, dtype=np.int64)
    width = max((len(r) for r in needs), default=0)
    sig_ev = visit_sig[ev]
    need_left: list[Ints] = []
    expert_left: list[Ints] = []
    met = np.zeros((n_vis, width), dtype=bool)
    by_expert = np.zeros((n_vis, width), dtype=bool)
    sig_first = np.unique(visit_sig, return_index=True)[1]
    all_o = np.arange(prob.n_officers)
    for r in range(width):
        # Per signature: this need's holders among the class (officers) and the experts.
        has = np.array([len(row) > r for row in needs], dtype=bool)
        h_cls = np.zeros(len(needs), dtype=np.int64)
        h_exp = np.zeros(len(needs), dtype=np.int64)
        for s, row in enumerate(needs):
            if len(row) > r:
                kind, _l, bit, dept = row[r]
                p = int(prof[sig_first[s]])
                held = _holds(prob, all_o, kind, bit, dept)
                h_cls[s] = int((held & class_ok[p]).sum())
                h_exp[s] = int((held & expert_ok).sum()) if kind == SKILL else 0
        # Exclusions of holders, per visit: each exclusion against need r of its visit.
        n_kind = np.array([row[r][0] if len(row) > r else -1 for row in needs], dtype=np.int64)
        n_bit = np.array([row[r][2] if len(row) > r else 0 for row in needs], dtype=np.uint64)
        n_dept = np.array([row[r][3] if len(row) > r else -3 for row in needs], dtype=np.int64)
        k_e = n_kind[sig_ev]
        bit_e = n_bit[sig_ev]
        held = np.where(
            k_e == SKILL,
            ((prob.officer_skills[eo] & bit_e) != 0) & (bit_e != 0),
            (k_e == DEPT) & (prob.officer_dept[eo] == n_dept[sig_ev]),
        )
        x_cls = np.bincount(ev[held & in_class], minlength=n_vis)
        x_exp = np.bincount(ev[held & in_expert], minlength=n_vis)
        del k_e, bit_e, held
        left = np.where(has[visit_sig], h_cls[visit_sig] - x_cls, 0)
        left_x = np.where(has[visit_sig], h_exp[visit_sig] - x_exp, 0)
        need_left.append(left)
        expert_left.append(left_x)
        met[:, r] = left > 0
        by_expert[:, r] = ~met[:, r] & has[visit_sig] & (left_x > 0)
    keys: list[tuple[Any, ...]] = []
    type_of: dict[tuple[Any, ...], int] = {}
    visit_type = np.empty(n_vis, dtype=np.int64)
    bad: list[int] = []
    e_left = n_class - excl_class
    # Visits with the same signature and the same met/expert pattern share a type.
    pattern = (
        (met.astype(np.int64) * 2 + by_expert.astype(np.int64))
        @ (4 ** np.arange(width, dtype=np.int64))
        if width
        else np.zeros(n_vis, dtype=np.int64)
    )
    combo, first, inverse = np.unique(
        visit_sig * (4**width) + pattern, return_index=True, return_inverse=True
    )
    combo_type = np.full(combo.shape[0], -1, dtype=np.int64)
    combo_k = np.zeros(combo.shape[0], dtype=np.int64)
    for c, v0 in enumerate(first.tolist()):
        row = needs[int(visit_sig[v0])]
        req = [row[r] for r in range(len(row)) if met[v0, r]]
        experts = [row[r] for r in range(len(row)) if by_expert[v0, r]]
        failed = any(
            not met[v0, r]
            and not (row[r][0] == SKILL and rules.experts_for_skills and by_expert[v0, r])
            for r in range(len(row))
        )
        k = max(int(prob.team_size[v0]), len(req))
        combo_k[c] = k
        if failed:
            continue
        key = (int(prof[v0]), tuple(req), k - len(req), tuple(experts))
        combo_type[c] = type_of.setdefault(key, len(keys))
        if combo_type[c] == len(keys):
            keys.append(key)
    visit_type = combo_type[inverse]
    short = e_left < combo_k[inverse]
    bad = np.flatnonzero((visit_type < 0) | short).tolist()
    return _Types(visit_type, keys, bad, n_class, excl_class, need_left, expert_left)


def refuse_infeasible(prob: MatchingProblem, rules: MatchingRules, bad: list[int]) -> None:
    """The flow recipe's refusal, with its words, for the visits whose rules cannot be met: the
    flow network of those visits alone (a few of them, so few pairs) raises it."""
    n_off = max(prob.n_officers, 1)
    keep = np.array(bad[: max(1, _REFUSAL_PAIRS // n_off)], dtype=np.int64)
    new_of = np.full(prob.n_visits, -1, dtype=np.int64)
    new_of[keep] = np.arange(keep.shape[0], dtype=np.int64)
    ex = new_of[prob.excluded_visit] >= 0
    ex_v = new_of[prob.excluded_visit[ex]]
    ex_start = np.zeros(keep.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(ex_v, minlength=keep.shape[0]), out=ex_start[1:])
    sub = attrs.evolve(
        prob,
        input_index=prob.input_index[keep],
        visit_codes=[prob.visit_codes[v] for v in keep.tolist()],
        visits=[prob.visits[v] for v in keep.tolist()],
        team_size=prob.team_size[keep],
        visit_profile=prob.visit_profile[keep],
        excluded_visit=ex_v,
        excluded_officer=prob.excluded_officer[ex],
        excluded_reason=prob.excluded_reason[ex],
        excluded_start=ex_start,
    )
    build_network(sub, rules, max(_REFUSAL_PAIRS, n_off))
    raise AssertionError("sweep: visits flagged infeasible meet every rule")  # pragma: no cover


def _groups(
    prob: MatchingProblem, key: tuple[Any, ...], klass: Ints, experts_sorted: Ints
) -> list[Ints]:
    """The groups of a type's windows (requirements, free windows, expert windows), disjoint.

    Officers (``klass``: the class-eligible officers in sweep order): ``T = ⌊|E| / W⌋`` with
    ``W`` the officer windows; the requirement windows, by increasing number of qualifiers in
    ``E`` (ties: window order), take their qualifiers not yet taken, in sweep order, up to
    ``T``; the officers left go round-robin, in sweep order, to the free windows; with no free
    window, each one left that qualifies for some requirement window joins the smallest of
    those (ties: window order), in sweep order, and the others are in no group. Experts
    (``experts_sorted``: active experts with a load cap above 0, in sweep order): the expert
    windows, by increasing number of holders (ties: window order), take every holder not yet
    taken.
    """
    _p, req, free, exp_needs = key
    n_req = len(req)
    n_win = n_req + free
    e = klass
    taken = np.full(e.shape[0], -1, dtype=np.int64)
    quals = [_holds(prob, e, kind, bit, dept) for kind, _l, bit, dept in req]
    t = e.shape[0] // max(n_win, 1)
    for w in sorted(range(n_req), key=lambda w: (int(quals[w].sum()), w)):
        q = np.flatnonzero(quals[w] & (taken < 0))[: max(t, 1)]
        taken[q] = w
    rest = np.flatnonzero(taken < 0)
    if free > 0:
        taken[rest] = n_req + np.arange(rest.shape[0], dtype=np.int64) % free
    elif n_req:
        sizes = np.bincount(taken[taken >= 0], minlength=n_req)
        qmat = np.stack(quals, axis=1)[rest] if rest.shape[0] else np.zeros((0, n_req), bool)
        for i, row in zip(rest.tolist(), qmat.tolist(), strict=True):
            cand = [w for w in range(n_req) if row[w]]
            if cand:
                w = min(cand, key=lambda w: (int(sizes[w]), w))
                taken[i] = w
                sizes[w] += 1
    out = [e[taken == w] for w in range(n_win)]
    x = experts_sorted
    x_taken = np.full(x.shape[0], -1, dtype=np.int64)
    holds = [_holds(prob, x, SKILL, bit, -1) for _k, _l, bit, _d in exp_needs]
    for w in sorted(range(len(exp_needs)), key=lambda w: (int(holds[w].sum()), w)):
        x_taken[holds[w] & (x_taken < 0)] = w
    out.extend(x[x_taken == w] for w in range(len(exp_needs)))
    return out


def _window_labels(key: tuple[Any, ...]) -> tuple[list[int], list[str]]:
    _p, req, free, exp_needs = key
    kinds = [r[0] for r in req] + [FREE] * free + [EXPERT] * len(exp_needs)
    labels = [str(r[1]) for r in req] + [""] * free + [str(x[1]) for x in exp_needs]
    return kinds, labels


def build_plan(prob: MatchingProblem, rules: MatchingRules) -> SweepPlan:
    """The sweeps of a batch (steps 1–4 of ``randcheck-matching-sweep/1``), its exclusions
    placed in them, q* lower bound and the largest chance.

    Raises
    ------
    InfeasibleMatchingError
        As the flow recipe, for visits whose rules their eligible officers cannot meet; and for
        a visit one of whose windows has every member of its group excluded (rule
        ``"sweep_group"``).
    """
    n_off, n_vis = prob.n_officers, prob.n_visits
    officer_ok = prob.officer_active & ~prob.officer_expert & (prob.officer_cap > 0)
    expert_ok = prob.officer_active & prob.officer_expert & (prob.officer_cap > 0)
    n_prof = int(prob.visit_profile.max(initial=-1)) + 1
    class_ok = (
        officer_ok[None, :] & prob.profile_dept_ok[:n_prof] & prob.profile_area_ok[:n_prof]
        if n_prof
        else np.zeros((0, n_off), dtype=bool)
    )
    types = _types(prob, rules, class_ok, expert_ok)
    if types.bad:
        refuse_infeasible(prob, rules, types.bad)

    order = sweep_order(prob.officer_ids)
    rank = np.empty(n_off, dtype=np.int64)
    rank[order] = np.arange(n_off, dtype=np.int64)
    experts_sorted = order[expert_ok[order]]
    n_types = len(types.keys)
    type_window = np.full((n_types, n_off), -1, dtype=np.int32)
    type_position = np.full((n_types, n_off), -1, dtype=np.int32)
    sweep_of: dict[tuple[int, bytes], int] = {}
    group_list: list[Ints] = []
    group_window: list[int] = []
    type_sweeps: list[Ints] = []
    type_kinds: list[list[int]] = []
    type_labels: list[list[str]] = []
    for t, key in enumerate(types.keys):
        klass = order[class_ok[key[0]][order]]
        groups = _groups(prob, key, klass, experts_sorted)
        ids = []
        for k, g in enumerate(groups):
            type_window[t, g] = k
            type_position[t, g] = np.arange(g.shape[0], dtype=np.int32)
            s = sweep_of.setdefault((k, g.tobytes()), len(group_list))
            if s == len(group_list):
                group_list.append(g)
                group_window.append(k)
            ids.append(s)
        type_sweeps.append(np.array(ids, dtype=np.int64))
        kinds, labels = _window_labels(key)
        type_kinds.append(kinds)
        type_labels.append(labels)

    # Slots: visit-major, windows in order.
    vt = types.visit_type
    n_w_type = np.array([s.shape[0] for s in type_sweeps], dtype=np.int64)
    n_w = n_w_type[vt] if n_vis else np.zeros(0, np.int64)
    slot_start = np.zeros(n_vis + 1, dtype=np.int64)
    np.cumsum(n_w, out=slot_start[1:])
    n_slots = int(slot_start[-1])
    slot_visit = np.repeat(np.arange(n_vis, dtype=np.int64), n_w)
    slot_window = np.arange(n_slots, dtype=np.int64) - slot_start[slot_visit]
    tmpl_start = np.zeros(n_types + 1, dtype=np.int64)
    np.cumsum(n_w_type, out=tmpl_start[1:])
    tmpl_sweep = np.concatenate(type_sweeps) if type_sweeps else np.zeros(0, np.int64)
    tmpl_kind = np.array([x for ks in type_kinds for x in ks], dtype=np.int64)
    tmpl_label = [x for ls in type_labels for x in ls]
    at = tmpl_start[vt[slot_visit]] + slot_window if n_slots else np.zeros(0, np.int64)
    raw_sweep = tmpl_sweep[at]
    slot_kind = tmpl_kind[at]
    slot_label = [tmpl_label[i] for i in at.tolist()]

    # Sweeps numbered by window index, then first visit; j within a sweep; offsets.
    n_sw = len(group_list)
    by_sweep = np.argsort(raw_sweep, kind="stable")
    counts = np.bincount(raw_sweep, minlength=n_sw)
    seg = np.zeros(n_sw + 1, dtype=np.int64)
    np.cumsum(counts, out=seg[1:])
    first_visit = slot_visit[by_sweep[seg[:-1]]] if n_sw else np.zeros(0, np.int64)
    win = np.array(group_window, dtype=np.int64)
    renum_order = np.lexsort((first_visit, win))
    new_id = np.empty(n_sw, dtype=np.int64)
    new_id[renum_order] = np.arange(n_sw, dtype=np.int64)
    slot_sweep = new_id[raw_sweep]
    slot_j = np.empty(n_slots, dtype=np.int64)
    slot_j[by_sweep] = np.arange(n_slots, dtype=np.int64) - np.repeat(seg[:-1], counts)
    sweep_window = win[renum_order]
    sweep_slots = counts[renum_order]
    sweep_size = np.array([group_list[i].shape[0] for i in renum_order.tolist()], dtype=np.int64)
    sweep_offset = np.zeros(n_sw, dtype=np.int64)
    for k in np.unique(sweep_window).tolist():
        in_k = np.flatnonzero(sweep_window == k)  # in order of first visit
        sweep_offset[in_k[1:]] = np.cumsum(sweep_slots[in_k])[:-1]
    group_start = np.zeros(n_sw + 1, dtype=np.int64)
    np.cumsum(sweep_size, out=group_start[1:])
    members = (
        np.concatenate([group_list[i] for i in renum_order.tolist()])
        if n_sw
        else np.zeros(0, np.int64)
    )

    # Exclusions placed in slots.
    ev, eo = prob.excluded_visit, prob.excluded_officer
    w_e = type_window[vt[ev], eo].astype(np.int64) if ev.shape[0] else np.zeros(0, np.int64)
    keep = w_e >= 0
    ex_slot = slot_start[ev[keep]] + w_e[keep]
    ex_pos = type_position[vt[ev[keep]], eo[keep]].astype(np.int64)
    srt = np.argsort(ex_slot * (int(sweep_size.max(initial=1)) + 1) + ex_pos, kind="stable")
    ex_slot, ex_pos = ex_slot[srt], ex_pos[srt]
    g_slot = sweep_size[slot_sweep]
    full = np.bincount(ex_slot, minlength=n_slots) >= g_slot
    if full.any():
        _refuse_group(prob, slot_visit, slot_kind, slot_label, g_slot, np.flatnonzero(full))
    ex_run, run_slot, run_length, run_follower = _runs(ex_slot, ex_pos, g_slot)

    plan = SweepPlan(
        prob=prob,
        visit_type=vt,
        type_window=type_window,
        type_position=type_position,
        slot_start=slot_start,
        slot_visit=slot_visit,
        slot_window=slot_window,
        slot_kind=slot_kind,
        slot_label=slot_label,
        slot_sweep=slot_sweep,
        slot_j=slot_j,
        sweep_window=sweep_window,
        sweep_size=sweep_size,
        sweep_slots=sweep_slots,
        sweep_offset=sweep_offset,
        group_start=group_start,
        members=members,
        ex_slot=ex_slot,
        ex_pos=ex_pos,
        ex_run=ex_run,
        run_slot=run_slot,
        run_length=run_length,
        run_follower=run_follower,
        q_lower=Fraction(0),
        q_lower_visit=-1,
        largest=0,
    )
    type_k = np.array([len(key[1]) + key[2] for key in types.keys], dtype=np.int64)
    plan.q_lower, plan.q_lower_visit = _q_lower(types, type_k)
    plan.largest = _largest(plan)
    plan.q_star = exact_q_star(plan)
    return plan


def _refuse_group(
    prob: MatchingProblem,
    slot_visit: Ints,
    slot_kind: Ints,
    slot_label: list[str],
    g_slot: Ints,
    slots: Ints,
) -> None:
    """Refuse visits with a window whose sweep group has no officer left to draw."""
    reasons = []
    codes = []
    for sl in slots.tolist():
        v = int(slot_visit[sl])
        kind = KIND_NAMES[int(slot_kind[sl])]
        what = f"{kind} window" + (f" ({slot_label[sl]})" if slot_label[sl] else "")
        codes.append(prob.visit_codes[v])
        why = (
            "the sweep's groups leave it no officer"
            if g_slot[sl] == 0
            else f"every one of the {int(g_slot[sl])} officers of its sweep group is recused "
            "(回避) or within the repeat window"
        )
        reasons.append(
            f"visit {prob.visit_codes[v]}, {what}: {why}, so the sweep recipe cannot staff it; "
            "match_officers (randcheck-matching/3) may still staff it, through an expert seat "
            "if need be, when the batch is small enough"
        )
    raise_infeasible(
        reasons, visits=sorted(set(codes)), rule="sweep_group", shortage=Fraction(len(reasons))
    )


def _runs(ex_slot: Ints, ex_pos: Ints, g_slot: Ints) -> tuple[Ints, Ints, Ints, Ints]:
    """Runs of cyclically consecutive excluded positions of each slot (none covers a whole
    group): each excluded position's run, and each run's slot, length and follower (the first
    position after it, not excluded)."""
    n = ex_slot.shape[0]
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z, z, z
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ex_slot[1:], ex_slot[:-1], out=new[1:])
    new[1:] |= ex_pos[1:] != ex_pos[:-1] + 1
    run = np.cumsum(new)
    run -= 1
    starts = np.flatnonzero(new)
    del new
    lengths = np.diff(starts, append=n)
    r_slot = ex_slot[starts]
    r_last = ex_pos[starts]
    r_last += lengths - 1
    g = g_slot[r_slot]
    follower = r_last + 1
    wraps = np.flatnonzero(follower == g)
    follower[wraps] = 0
    # A run ending at the last position continues with the slot's run starting at 0 (its
    # first run), unless it is that run.
    first = np.searchsorted(r_slot, r_slot[wraps])
    joins = (ex_pos[starts[first]] == 0) & (first != wraps)
    into, absorbed = wraps[joins], first[joins]
    if absorbed.shape[0] == 0:
        return run, r_slot, lengths, follower
    lengths[into] += lengths[absorbed]
    follower[into] = r_last[absorbed] + 1
    # Entries of an absorbed run belong to the run that absorbs it; later runs move down.
    target = np.arange(starts.shape[0], dtype=np.int64)
    target[absorbed] = into
    alive = np.ones(starts.shape[0], dtype=bool)
    alive[absorbed] = False
    renum = np.cumsum(alive) - 1
    ex_run: Ints = renum[target][run]
    return ex_run, r_slot[alive], lengths[alive], follower[alive]


def _q_lower(types: _Types, type_k: Ints) -> tuple[Fraction, int]:
    """The certified lower bound on q*: over the visits, the largest of ``k_v / |E_v|``, one
    over the qualifiers left (after exclusions) of each requirement met by officers, one over
    the eligible experts left of each expert skill. Returns it and one visit that attains it."""
    n_vis = types.visit_type.shape[0]
    if n_vis == 0:
        return Fraction(0), -1
    e_left = types.n_class - types.excl_class
    k_v = type_k[types.visit_type]
    best, at = Fraction(0), -1
    for k in np.unique(k_v).tolist():
        sel = np.flatnonzero(k_v == k)
        i = int(sel[np.argmin(e_left[sel])])
        if Fraction(k, int(e_left[i])) > best:
            best, at = Fraction(k, int(e_left[i])), i
    for left, left_x in zip(types.need_left, types.expert_left, strict=True):
        # A need met by officers counts its officers left; one met by experts, its experts.
        counts = np.where(left > 0, left, np.maximum(left_x, 0))
        use = np.flatnonzero(counts > 0)
        if use.shape[0]:
            i = int(use[np.argmin(counts[use])])
            if Fraction(1, int(counts[i])) > best:
                best, at = Fraction(1, int(counts[i])), i
    return best, at


def _largest(plan: SweepPlan) -> int:
    """The largest chance of any pair, exactly (units of ``2**-53``): a sweep without excluded
    positions gives ``⌈2⁵³/G⌉`` (every position of a slot is some officer's); one with runs gives
    the largest chance of an officer right after a run (``R + 1`` consecutive values of
    ``p``, at least twice the smallest value of one, so above the largest value of one)."""
    g = plan.sweep_size
    if g.shape[0] == 0:
        return 0
    plain = bound_units(np.ones_like(g), g)  # the largest single P(p = r) is P(p = 0)
    best = plain.copy()
    if plan.run_slot.shape[0]:
        s = plan.slot_sweep[plan.run_slot]
        gg = g[s]
        p0 = (
            plan.run_follower - plan.run_length - plan.sweep_offset[s] - plan.slot_j[plan.run_slot]
        ) % gg
        chance = cyclic_measure(p0, plan.run_length + 1, gg)
        has_run = np.zeros(g.shape[0], dtype=bool)
        has_run[s] = True
        run_best = np.zeros(g.shape[0], dtype=np.int64)
        np.maximum.at(run_best, s, chance)
        best = np.where(has_run, np.maximum(run_best, plain), plain)
    return int(best.max())


def exact_q_star(plan: SweepPlan) -> Fraction | None:
    """q* exactly, when the batch's *even split* certifies it; ``None`` otherwise.

    The even split gives every officer of a slot's group who is not excluded there the same
    fraction of the slot, ``1 / (G − excluded)``. It is a fractional assignment of the flow
    recipe's network (every seat filled; the groups of a visit are disjoint and meet its
    requirements), so q* is at most its largest fraction, provided every officer's total stays
    within the load cap. When that largest fraction is at most the certified lower bound
    :attr:`SweepPlan.q_lower`, the two meet and q* equals the bound. The loads are summed in
    float64 and must stay below the cap by 10⁻⁹ of it (a near tie is not certified).
    """
    n_slots = plan.slot_sweep.shape[0]
    if n_slots == 0:
        return None
    left = plan.sweep_size[plan.slot_sweep] - np.bincount(plan.ex_slot, minlength=n_slots)
    even = Fraction(1, int(left.min()))
    if even > plan.q_lower:
        return None
    share = 1.0 / left
    n_sw = plan.sweep_size.shape[0]
    per_sweep = np.bincount(plan.slot_sweep, weights=share, minlength=n_sw)
    of_member = np.repeat(np.arange(n_sw, dtype=np.int64), plan.sweep_size)
    n_off = plan.prob.n_officers
    load = np.bincount(plan.members, weights=per_sweep[of_member], minlength=n_off)
    if plan.ex_slot.shape[0]:
        gone = plan.members[plan.group_start[plan.slot_sweep[plan.ex_slot]] + plan.ex_pos]
        load -= np.bincount(gone, weights=share[plan.ex_slot], minlength=n_off)
    cap = plan.prob.officer_cap.astype(np.float64)
    if bool((load > cap * (1.0 - 1e-9)).any()):
        return None
    return plan.q_lower


# --------------------------------------------------------------------------------------------
# The draw


def draw(plan: SweepPlan, uniforms: list[int]) -> tuple[Ints, list[int]]:
    """The officer (canonical index) drawn for every slot, and the starts ``p_s``."""
    p = plan.starts(uniforms)
    p_arr = np.array(p, dtype=np.int64)
    s = plan.slot_sweep
    g = plan.sweep_size[s]
    pos = (p_arr[s] + plan.sweep_offset[s] + plan.slot_j) % g if s.shape[0] else s
    if plan.ex_slot.shape[0]:
        width = int(plan.sweep_size.max()) + 1
        keys = plan.ex_slot * width + plan.ex_pos
        query = np.arange(s.shape[0], dtype=np.int64) * width + pos
        at = np.minimum(np.searchsorted(keys, query), keys.shape[0] - 1)
        hit = keys[at] == query
        pos = np.where(hit, plan.run_follower[plan.ex_run[at]], pos)
    officer = plan.members[plan.group_start[s] + pos]
    return officer, p


# --------------------------------------------------------------------------------------------
# Chances


def slot_chances(plan: SweepPlan, slot: int) -> tuple[Ints, Ints]:
    """Every officer of a slot's group with a positive chance, and that chance (units)."""
    s = int(plan.slot_sweep[slot])
    g = int(plan.sweep_size[s])
    c, j = int(plan.sweep_offset[s]), int(plan.slot_j[slot])
    lo, hi = np.searchsorted(plan.ex_slot, [slot, slot + 1])
    length = np.ones(g, dtype=np.int64)
    excluded = np.zeros(g, dtype=bool)
    excluded[plan.ex_pos[lo:hi]] = True
    rl, rh = np.searchsorted(plan.run_slot, [slot, slot + 1])
    length[plan.run_follower[rl:rh]] += plan.run_length[rl:rh]
    a = np.arange(g, dtype=np.int64)
    gg = np.full(g, g, dtype=np.int64)
    units = cyclic_measure((a - length + 1 - c - j) % g, length, gg)
    keep = ~excluded
    officers = plan.members[plan.group_start[s] : plan.group_start[s + 1]]
    return officers[keep], units[keep]


def pair_chance(plan: SweepPlan, v: int, o: int) -> int:
    """The chance (units) that canonical officer ``o`` serves on canonical visit ``v``."""
    t = int(plan.visit_type[v])
    w = int(plan.type_window[t, o])
    if w < 0:
        return 0
    slot = int(plan.slot_start[v]) + w
    a = int(plan.type_position[t, o])
    lo, hi = np.searchsorted(plan.ex_slot, [slot, slot + 1])
    if a in set(plan.ex_pos[lo:hi].tolist()):
        return 0
    rl, rh = np.searchsorted(plan.run_slot, [slot, slot + 1])
    runs = dict(
        zip(plan.run_follower[rl:rh].tolist(), plan.run_length[rl:rh].tolist(), strict=True)
    )
    r = runs.get(a, 0)
    s = int(plan.slot_sweep[slot])
    g = int(plan.sweep_size[s])
    p0 = (a - r - int(plan.sweep_offset[s]) - int(plan.slot_j[slot])) % g
    one = np.array([1], np.int64)
    return int(cyclic_measure(one * p0, one * (r + 1), one * g)[0])


# --------------------------------------------------------------------------------------------
# The load certificate


def peaks(key: npt.NDArray[Any], rank_bits: int) -> tuple[Ints, Ints]:
    """The largest value of each gid's step function, from its events as packed keys.

    A key is ``((gid << rank_bits) | rank) << 1 | up``: a step of +1 (``up``) or −1 at the
    ``rank``-th breakpoint of ``u``; the function is 0 before its gid's first breakpoint and
    is read after every step at a breakpoint. Returns the gids and their largest values.
    """
    key = np.sort(key)
    gid = key >> (rank_bits + 1)
    new_g = np.empty(key.shape[0], dtype=bool)
    new_g[0] = True
    np.not_equal(gid[1:], gid[:-1], out=new_g[1:])
    g_first = np.flatnonzero(new_g)
    del new_g
    d = (key & 1).astype(np.int32)
    d *= 2
    d -= 1
    cs = np.cumsum(d, dtype=np.int64)
    before = cs[g_first] - d[g_first]  # the sum of the events of the gids before
    del d
    at = key >> 1  # (gid, rank): read the value after the last step at each breakpoint
    last = np.empty(key.shape[0], dtype=bool)
    last[-1] = True
    np.not_equal(at[1:], at[:-1], out=last[:-1])
    cs[~last] = np.iinfo(np.int64).min
    peak = np.maximum.reduceat(cs, g_first) - before
    # The value is 0 on [0, first event) unless the first event is at u = 0 (rank 0).
    zero_ok = (at[g_first] & ((1 << rank_bits) - 1)) != 0
    out: Ints = np.where(zero_ok, np.maximum(peak, 0), peak)
    return gid[g_first].astype(np.int64), out


def load_bound(plan: SweepPlan) -> Ints:
    """For every canonical officer, the most visits any values of the ``u_k`` can give it:
    the sum over window indices ``k`` of the exact maximum over ``u_k`` of its picks in class
    ``k`` (step functions of ``u_k``: intervals, then prefix sums over sorted endpoints)."""
    n_off = plan.prob.n_officers
    n_k = max(plan.n_windows, 1)
    g_all = plan.sweep_size
    n_sw = g_all.shape[0]
    bound = np.zeros(n_off, dtype=np.int64)
    if n_sw == 0:
        return bound
    sizes = np.diff(plan.group_start)
    sw_of_member = np.repeat(np.arange(n_sw, dtype=np.int64), sizes)
    a_member = np.arange(plan.members.shape[0], dtype=np.int64) - plan.group_start[sw_of_member]
    g_m = g_all[sw_of_member]
    n_m = plan.sweep_slots[sw_of_member]
    c_m = plan.sweep_offset[sw_of_member]
    # The base: ⌊N/G⌋ always, one more for p in the cyclic range of length N mod G ending at
    # a − c.
    np.add.at(bound, plan.members, n_m // g_m)
    m = n_m % g_m
    with_m = m > 0
    # Intervals of p: (officer, sweep, first p, length, step up?).
    parts: list[tuple[Ints, Ints, Ints, Ints | int, bool]] = [
        (
            plan.members[with_m],
            sw_of_member[with_m],
            ((a_member - c_m - m + 1) % g_m)[with_m],
            m[with_m],
            True,
        )
    ]
    if plan.ex_slot.shape[0]:
        # Each slot's (c + j) mod G, so that a position's p needs no division.
        g_slot = g_all[plan.slot_sweep]
        cj = (plan.sweep_offset[plan.slot_sweep] + plan.slot_j) % g_slot
        # Removals: an excluded officer at a is not drawn when the slot starts at a.
        s = plan.slot_sweep[plan.ex_slot]
        x = plan.ex_pos - cj[plan.ex_slot]
        x += g_slot[plan.ex_slot] * (x < 0)
        parts.append((plan.members[plan.group_start[s] + plan.ex_pos], s, x, 1, False))
        # Redirections: the officer after a run is drawn when the slot starts in the run.
        s = plan.slot_sweep[plan.run_slot]
        g = g_slot[plan.run_slot]
        x = plan.run_follower - plan.run_length - cj[plan.run_slot]  # within (−2G, G)
        x += g * (x < 0)
        x += g * (x < 0)
        o = plan.members[plan.group_start[s] + plan.run_follower]
        parts.append((o, s, x, plan.run_length, True))
        del g_slot, cj, s, g, x, o
    # Every breakpoint ⌈r·2⁵³/G⌉ of every sweep, r = 0 … G, and its rank among those of its
    # window index's sweeps (events compare within a window index only; rank 0 is u = 0, a
    # breakpoint of every sweep).
    t_start = np.zeros(n_sw + 1, dtype=np.int64)
    np.cumsum(g_all + 1, out=t_start[1:])
    t_sweep = np.repeat(np.arange(n_sw, dtype=np.int64), g_all + 1)
    table = bound_units(
        np.arange(int(t_start[-1]), dtype=np.int64) - t_start[t_sweep], g_all[t_sweep]
    )
    rank_table = np.empty_like(table)
    n_rank = 1
    t_class = plan.sweep_window[t_sweep]
    for k in np.unique(plan.sweep_window).tolist():
        at_k = np.flatnonzero(t_class == k)
        uniq, inv = np.unique(table[at_k], return_inverse=True)
        rank_table[at_k] = inv
        n_rank = max(n_rank, int(uniq.shape[0]))
    rank_bits = n_rank.bit_length()
    wide = (n_off * n_k).bit_length() + rank_bits + 1 > 32
    dtype = np.int64 if wide else np.uint32
    # Events, as packed keys: a step up (or down, for a removal) at the start; the opposite
    # step at the end (none at 2⁵³); a wrapping interval also starts at 0.
    keys: list[npt.NDArray[Any]] = []
    for o, s, p0, ln, up in parts:
        g = g_all[s]
        head: npt.NDArray[Any] = (o * n_k + plan.sweep_window[s]).astype(dtype)
        head <<= rank_bits + 1
        end = p0 + ln
        wrap = end > g
        at = t_start[s]
        bit = int(up)
        opening: npt.NDArray[Any] = rank_table[at + p0].astype(dtype)
        opening <<= 1
        keys.append(head | opening | bit)
        closing: npt.NDArray[Any] = rank_table[at + np.where(wrap, end - g, end)].astype(dtype)
        closing <<= 1
        keys.append((head | closing | (1 - bit))[end != g])
        keys.append((head | bit)[wrap])
        del g, head, end, wrap, at, opening, closing
    del parts
    key = np.concatenate(keys)
    del keys
    if key.shape[0] == 0:
        return bound
    gid, peak = peaks(key, rank_bits)
    np.add.at(bound, gid // n_k, peak)
    return bound
