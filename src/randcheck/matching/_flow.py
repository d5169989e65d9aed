"""The flow network of a matching and the flows on it (private to :mod:`randcheck.matching`).

The network (steps 2 and 3 of ``randcheck-matching/3``), ``q*`` by Newton's method on minimum
cuts (step 4), and the marginals: the spreading flow and the support step (step 5).
"""

from __future__ import annotations

import math
from fractions import Fraction

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.errors import (
    PlanError,
)
from randcheck.matching import _lp as lp
from randcheck.matching._diagnosis import (
    breakdown,
    cut_line,
    infeasible,
    raise_infeasible,
    why_not,
    why_only,
)
from randcheck.matching._problem import FlowNetwork, MatchingProblem
from randcheck.matching.rules import MAX_PAIRS, Bools, Ints, MatchingRules

_FREE, _SKILL, _DEPT, _EXPERT = 0, 1, 2, 3
_SPREAD_STEPS = 4  # the spreading flow raises pair arcs a quarter of the cap at a time
_SUPPORT_SHARE = 8  # the support step first tries to give each new pair 1/8 of the cap


def _eligible_pairs(prob: MatchingProblem, limit: int) -> tuple[Ints, Ints, Ints]:
    """Officer–visit pairs the profiles allow, minus exclusions, by visit then officer.

    Returns the pairs' visits and officers and, per visit, the offsets of its pairs. Refuses
    a batch whose profiles allow more than ``limit`` pairs, before building any of them.
    """
    n_off, n_vis = prob.n_officers, prob.n_visits
    officer_ok = prob.officer_active & ~prob.officer_expert & (prob.officer_cap > 0)
    excl_key = prob.excluded_visit * n_off + prob.excluded_officer
    groups = []
    for p in range(int(prob.visit_profile.max(initial=-1)) + 1):
        vs = np.flatnonzero(prob.visit_profile == p)
        os_ = np.flatnonzero(officer_ok & prob.profile_dept_ok[p] & prob.profile_area_ok[p])
        groups.append((vs, os_))
    total = sum(vs.shape[0] * os_.shape[0] for vs, os_ in groups)
    if total > limit:
        raise PlanError(
            f"the batch has {total:,} eligible officer–visit pairs (before recusals), more "
            f"than the {limit:,} of max_pairs (default MAX_PAIRS = {MAX_PAIRS:,}, about 7 GiB "
            "of memory). Split it by area, unit or department into batches of fewer pairs: "
            "each is matched exactly and publishes its own q*. Or pass a larger max_pairs to "
            "match it whole, at about 350 bytes of memory a pair and a time that grows a "
            "little faster than the pairs (10⁴ visits × 500 officers: about 30 s, 1.7 GiB)"
        )
    parts_v: list[Ints] = []
    parts_o: list[Ints] = []
    for vs, os_ in groups:
        parts_v.append(np.repeat(vs, os_.shape[0]))
        parts_o.append(np.tile(os_, vs.shape[0]))
    pv = np.concatenate(parts_v) if parts_v else np.zeros(0, np.int64)
    po = np.concatenate(parts_o) if parts_o else np.zeros(0, np.int64)
    # Within a visit the officers are in order (one profile, sorted officers), so a stable sort
    # by visit alone (radix) orders the keys.
    key = pv * n_off + po
    key = key[lp.stable_order(pv)]
    if excl_key.shape[0]:
        pos = np.minimum(np.searchsorted(excl_key, key), excl_key.shape[0] - 1)
        key = key[excl_key[pos] != key]
    pv, po = key // max(n_off, 1), key % max(n_off, 1)
    ptr = np.zeros(n_vis + 1, dtype=np.int64)
    np.cumsum(np.bincount(pv, minlength=n_vis), out=ptr[1:])
    return pv, po, ptr


@attrs.define
class _Seats:
    """The seats of every visit as they are found, the expert pairs, and what cannot be met."""

    visit: list[int] = attrs.Factory(list)
    kind: list[int] = attrs.Factory(list)
    label: list[str] = attrs.Factory(list)
    bit: list[int] = attrs.Factory(list)
    dept: list[int] = attrs.Factory(list)
    size: list[int] = attrs.Factory(list)
    expert_visit: list[Ints] = attrs.Factory(list)
    expert_officer: list[Ints] = attrs.Factory(list)
    reasons: list[str] = attrs.Factory(list)
    bad: list[str] = attrs.Factory(list)
    bad_rule: str = ""

    def add(self, v: int, kind: int, label: str, bit: int, dept: int, size: int) -> None:
        self.visit.append(v)
        self.kind.append(kind)
        self.label.append(label)
        self.bit.append(bit)
        self.dept.append(dept)
        self.size.append(size)

    def fail(self, code: str, rule: str, reason: str) -> None:
        """One rule a visit cannot meet (the first rule that fails names the error's rule)."""
        self.reasons.append(reason)
        self.bad.append(code)
        self.bad_rule = self.bad_rule or rule


def _with_bit(officers: Bools, skills: npt.NDArray[np.uint64], bit: int) -> Bools:
    out: Bools = officers & ((skills & np.uint64(bit)) != 0) & (bit != 0)
    return out


def _requirements(
    prob: MatchingProblem, rules: MatchingRules, v: int, elig: Ints, seats: _Seats
) -> tuple[list[tuple[int, str, int, int]], list[tuple[str, int]]]:
    """Visit ``v``'s requirements (skills, departments of a joint visit) and expert skills."""
    visit = prob.visits[v]
    req: list[tuple[int, str, int, int]] = []
    experts: list[tuple[str, int]] = []
    for s in visit.skills if rules.require_skills else ():
        bit = 1 << prob.skill_names.index(s) if s in prob.skill_names else 0
        if bit and bool(((prob.officer_skills[elig] & np.uint64(bit)) != 0).any()):
            req.append((_SKILL, s, bit, -1))
            continue
        if rules.experts_for_skills:
            experts.append((s, bit))
            continue
        with_s = _with_bit(~prob.officer_expert, prob.officer_skills, bit)
        seats.fail(
            prob.visit_codes[v],
            "skill",
            f"visit {prob.visit_codes[v]} needs the skill {s} [专业检查]; "
            + why_only(int(with_s.sum()), why_not(prob, v, with_s), "officer"),
        )
    if rules.require_each_department and len(visit.departments) >= 2:
        for d in visit.departments:
            code = prob.dept_names.index(d) if d in prob.dept_names else -2
            if bool((prob.officer_dept[elig] == code).any()):
                req.append((_DEPT, d, 0, code))
                continue
            of_d = ~prob.officer_expert & (prob.officer_dept == code)
            n_d = int(of_d.sum())
            seats.fail(
                prob.visit_codes[v],
                "department",
                f"joint visit {prob.visit_codes[v]} needs an officer of department {d} "
                "[部门联合]; "
                + (
                    f"the roster has no officer of {d}"
                    if n_d == 0
                    else f"none of its {n_d} officers is eligible: "
                    f"{breakdown(why_not(prob, v, of_d))}"
                ),
            )
    return req, experts


def _expert_seats(
    prob: MatchingProblem, v: int, experts: list[tuple[str, int]], seats: _Seats
) -> None:
    """One expert seat per skill no eligible officer of visit ``v`` has (专家库), and its pairs."""
    n_off = prob.n_officers
    expert_ok = prob.officer_active & prob.officer_expert & (prob.officer_cap > 0)
    lo, hi = int(prob.excluded_start[v]), int(prob.excluded_start[v + 1])
    not_excl = np.ones(n_off, dtype=bool)
    not_excl[prob.excluded_officer[lo:hi]] = False
    any_bits = np.uint64(sum(b for _, b in experts))
    cand = np.flatnonzero(expert_ok & not_excl & ((prob.officer_skills & any_bits) != 0))
    seats.expert_visit.append(np.full(cand.shape[0], v, dtype=np.int64))
    seats.expert_officer.append(cand)
    for s, bit in experts:
        if not bool(((prob.officer_skills[cand] & np.uint64(bit)) != 0).any()):
            with_s = _with_bit(~prob.officer_expert, prob.officer_skills, bit)
            ex = _with_bit(prob.officer_expert, prob.officer_skills, bit)
            ex_why = {
                r: c
                for r, c in why_not(prob, v, ex).items()
                if r in ("inactive", "no_load", "recused", "repeat")
            }
            n_e = int(ex.sum())
            seats.fail(
                prob.visit_codes[v],
                "skill",
                f"visit {prob.visit_codes[v]} needs the skill {s} [专业检查]; "
                + why_only(int(with_s.sum()), why_not(prob, v, with_s), "officer")
                + "; "
                + (
                    "no expert [专家库] has it either"
                    if n_e == 0
                    else f"and the {n_e} expert{'s' if n_e > 1 else ''} [专家库] with "
                    f"it {'are' if n_e > 1 else 'is'} not eligible: {breakdown(ex_why)}"
                ),
            )
        seats.add(v, _EXPERT, s, bit, -1, 1)


def _seats(prob: MatchingProblem, rules: MatchingRules, po: Ints, ptr: Ints) -> _Seats:
    """Seats of every visit: free seats, one per requirement, one per expert skill.

    Raises :class:`~randcheck.errors.InfeasibleMatchingError` naming every visit whose rules
    its eligible officers cannot meet.
    """
    seats = _Seats()
    k = prob.team_size.copy()
    for v in range(prob.n_visits):
        elig = po[ptr[v] : ptr[v + 1]]
        req, experts = _requirements(prob, rules, v, elig, seats)
        k[v] = max(int(k[v]), len(req))
        if elig.shape[0] < k[v]:
            n_all = int((~prob.officer_expert).sum())
            why = why_not(prob, v, ~prob.officer_expert)
            seats.fail(
                prob.visit_codes[v],
                "team_size",
                f"visit {prob.visit_codes[v]} needs {k[v]} officers "
                "[执法人员不得少于两人, 行政处罚法 第四十二条] "
                f"but only {elig.shape[0]} of the {n_all} officers are eligible"
                + (f": {breakdown(why)}" if why else ""),
            )
        free = int(k[v]) - len(req)
        if free > 0:
            seats.add(v, _FREE, "", 0, -1, free)
        for kind, label, bit, code in req:
            seats.add(v, kind, label, bit, code, 1)
        if experts:
            _expert_seats(prob, v, experts, seats)
    if seats.reasons:
        raise_infeasible(
            seats.reasons,
            visits=sorted(set(seats.bad)),
            rule=seats.bad_rule,
            shortage=Fraction(len(seats.reasons)),
        )
    return seats


def build_network(
    prob: MatchingProblem, rules: MatchingRules, max_pairs: int = MAX_PAIRS
) -> FlowNetwork:
    """The flow network of a batch (steps 2 and 3 of the recipe): see :class:`FlowNetwork`."""
    n_off, n_vis = prob.n_officers, prob.n_visits
    pv, po, ptr = _eligible_pairs(prob, max_pairs)
    seats = _seats(prob, rules, po, ptr)
    s_v = np.array(seats.visit, dtype=np.int64)
    s_kind = np.array(seats.kind, dtype=np.int64)
    s_bit = np.array(seats.bit, dtype=np.uint64)
    s_dept = np.array(seats.dept, dtype=np.int64)
    s_ptr = np.zeros(n_vis + 1, dtype=np.int64)
    np.cumsum(np.bincount(s_v, minlength=n_vis), out=s_ptr[1:])

    # All pairs (officers and experts), sorted by visit then officer.
    if seats.expert_visit:
        pv = np.concatenate([pv, *seats.expert_visit])
        po = np.concatenate([po, *seats.expert_officer])
        order = np.argsort(pv * n_off + po, kind="stable")
        pv, po = pv[order], po[order]
    pv, po, n_fit, q_pair, q_seat = _fitting_seats(prob, pv, po, s_ptr, s_kind, s_bit, s_dept)
    return _arcs(prob, seats, pv, po, n_fit, q_pair, q_seat)


def _fitting_seats(
    prob: MatchingProblem,
    pv: Ints,
    po: Ints,
    s_ptr: Ints,
    s_kind: Ints,
    s_bit: npt.NDArray[np.uint64],
    s_dept: Ints,
) -> tuple[Ints, Ints, Ints, Ints, Ints]:
    """Which seats each pair may fill; pairs that fill none (an expert whose skill the visit
    does not need) are dropped. Returns the pairs kept, their seat counts, and (pair, seat)."""
    n_pair = pv.shape[0]
    per = s_ptr[pv + 1] - s_ptr[pv]
    rep = np.repeat(np.arange(n_pair, dtype=np.int64), per)
    start = np.zeros(n_pair + 1, dtype=np.int64)
    np.cumsum(per, out=start[1:])
    seat = s_ptr[pv[rep]] + np.arange(rep.shape[0], dtype=np.int64) - start[rep]
    o_r = po[rep]
    kind = s_kind[seat]
    is_x = prob.officer_expert[o_r]
    has_bit = (prob.officer_skills[o_r] & s_bit[seat]) != 0
    fits = np.where(
        is_x,
        (kind == _EXPERT) & has_bit,
        (kind == _FREE)
        | ((kind == _SKILL) & has_bit)
        | ((kind == _DEPT) & (prob.officer_dept[o_r] == s_dept[seat])),
    )
    q_pair, q_seat = rep[fits], seat[fits]
    n_fit = np.bincount(q_pair, minlength=n_pair)
    useful = n_fit > 0
    # Renumber pairs without any seat away (an expert whose skill the visit does not need).
    new_id = np.cumsum(useful) - 1
    pv, po, n_fit = pv[useful], po[useful], n_fit[useful]
    keep_q = useful[q_pair]
    q_pair, q_seat = new_id[q_pair[keep_q]], q_seat[keep_q]
    return pv, po, n_fit, q_pair, q_seat


def _arcs(
    prob: MatchingProblem,
    seats: _Seats,
    pv: Ints,
    po: Ints,
    n_fit: Ints,
    q_pair: Ints,
    q_seat: Ints,
) -> FlowNetwork:
    """The nodes and arcs of the network (numbered as :class:`FlowNetwork` says)."""
    n_off = prob.n_officers
    seat_label = seats.label
    s_v = np.array(seats.visit, dtype=np.int64)
    s_kind = np.array(seats.kind, dtype=np.int64)
    s_size = np.array(seats.size, dtype=np.int64)
    n_seat = s_v.shape[0]
    n_pair = pv.shape[0]
    multi = n_fit >= 2
    pnode_of = np.full(n_pair, -1, dtype=np.int64)
    seat_node0 = 2 + n_off
    pnode0 = seat_node0 + n_seat
    pnode_of[multi] = pnode0 + np.arange(int(multi.sum()), dtype=np.int64)
    n_nodes = pnode0 + int(multi.sum())
    # The single seat of a one-seat pair.
    single_seat = np.full(n_pair, -1, dtype=np.int64)
    one = ~multi[q_pair]
    single_seat[q_pair[one]] = q_seat[one]

    used_o = np.flatnonzero(np.bincount(po, minlength=n_off))  # = np.unique(po), no sort
    load_cap = np.minimum(prob.officer_cap[used_o], np.bincount(po, minlength=n_off)[used_o])
    pair_head = np.where(multi, pnode_of, seat_node0 + single_seat)
    m_q = ~one
    demand = int(s_size.sum())
    tail = np.concatenate(
        [
            np.array([1], np.int64),
            np.zeros(used_o.shape[0], np.int64),
            2 + po,
            pnode_of[q_pair[m_q]],
            seat_node0 + np.arange(n_seat, dtype=np.int64),
        ]
    )
    head = np.concatenate(
        [
            np.array([0], np.int64),
            2 + used_o,
            pair_head,
            seat_node0 + q_seat[m_q],
            np.ones(n_seat, np.int64),
        ]
    )
    base = np.concatenate(
        [
            np.array([demand], np.int64),
            load_cap,
            np.ones(n_pair, np.int64),
            np.ones(int(m_q.sum()), np.int64),
            s_size,
        ]
    )
    is_pair = np.zeros(tail.shape[0], dtype=bool)
    p0 = 1 + used_o.shape[0]
    is_pair[p0 : p0 + n_pair] = True
    return FlowNetwork(
        seat_visit=s_v,
        seat_kind=s_kind,
        seat_label=seat_label,
        seat_size=s_size,
        pair_visit=pv,
        pair_officer=po,
        pair_arc=p0 + np.arange(n_pair, dtype=np.int64),
        tail=tail,
        head=head,
        base=base,
        is_pair=is_pair,
        n_nodes=n_nodes,
        demand=demand,
    )


# --------------------------------------------------------------------------------------------
# Marginals: q*, the grid flow, the support step


def flow_at(
    net: FlowNetwork, q: Fraction, unit: int, graph: lp.FlowGraph | None = None
) -> tuple[int, Ints, Bools]:
    """Maximum flow with every capacity times ``unit`` and pair arcs at ``q·unit`` (integral)."""

    pair_cap = q * unit
    if pair_cap.denominator != 1:  # pragma: no cover - callers pass a fitting unit
        raise AssertionError("pair capacity is not integral")
    cap = net.base[1:] * unit
    cap[net.is_pair[1:]] = int(pair_cap)
    lp.check_capacity(cap)
    graph = graph or lp.FlowGraph(net.tail[1:], net.head[1:], net.n_nodes)
    value, flows, side = graph.solve(cap, 0, 1, cut=True)
    assert side is not None
    return value, flows, side


def find_q_star(prob: MatchingProblem, net: FlowNetwork) -> Fraction:
    """The exact least pair cap, by Newton's method on minimum cuts.

    Raises :class:`~randcheck.errors.InfeasibleMatchingError` (from the maximum flow at
    ``q = 1``) when no assignment exists.
    """
    d = net.demand
    graph = lp.FlowGraph(net.tail[1:], net.head[1:], net.n_nodes)

    def no_assignment() -> None:
        value, flows, side = flow_at(net, Fraction(1), 1, graph)
        if value < d:
            infeasible(prob, net, value, flows, side)
        raise AssertionError("q* search: no cap fills the seats")  # pragma: no cover

    # Start from a lower bound: a seat of size s that d pairs can fill needs s/d of each, and
    # a visit's k places over its p pairs need k/p.
    seats = net.seat_nodes(prob.n_officers)
    into = np.bincount(net.head[1:], minlength=net.n_nodes)[seats]
    pairs_v = np.bincount(net.pair_visit, minlength=prob.n_visits)
    team_v = np.bincount(net.seat_visit, weights=net.seat_size, minlength=prob.n_visits)
    num = np.concatenate([net.seat_size, team_v.astype(np.int64)])
    den = np.concatenate([into, pairs_v])
    ok = den > 0
    q = Fraction(0)
    if ok.any():  # any valid bound will do: the float argmax picks one
        best = int(np.argmax(np.where(ok, num / np.maximum(den, 1), -1.0)))
        q = min(Fraction(int(num[best]), int(den[best])), Fraction(1))
    for _ in range(10_000):
        value, _f, side = flow_at(net, q, q.denominator, graph)
        if value == d * q.denominator:
            return q
        a, b = cut_line(net, side)
        nxt = Fraction(d - a, b) if b else Fraction(2)
        # The cut bounds every flow by a + b·q, so q* >= nxt: above 1, no cap fills the seats
        # (checked, and explained, by the flow at q = 1).
        if nxt > 1:
            no_assignment()
        if not q < nxt:  # pragma: no cover - Newton's steps rise to q*
            raise AssertionError(f"q* search did not rise: {q} -> {nxt}")
        q = nxt
    raise AssertionError("q* search did not converge")  # pragma: no cover


def spread_flow(net: FlowNetwork, q_units: int, unit: int) -> Ints:
    """A flow (arcs 1…) filling every seat, pair arcs at most ``q_units``, loads balanced and
    each visit's chance shared out, by maximum flows only.

    Loads: the least bound ``L`` (whole places, found by galloping up from the average load,
    then halving) such that some flow with every officer's load at most ``min(load cap, L)``
    fills every seat. Spread: a maximum flow with every pair arc at most a quarter of the cap,
    then, three times, the most flow its residual network adds with the pair arcs raised by
    another quarter of the cap. So as much flow as possible goes through pairs at a quarter of
    the cap, then at half, and so on; the last step, at the full cap, fills every seat (``L`` was
    chosen so). Cheaper than the minimum-cost flow with four cost pieces per pair it replaces
    (a third of the time on the county batch), and close to it in spread.
    """

    t, h = net.tail[1:], net.head[1:]
    base = net.base[1:]
    pair = net.is_pair[1:]
    load = t == 0
    need = net.demand * unit

    def caps(places: int, pair_units: int) -> Ints:
        out = base * unit
        out[load] = np.minimum(base[load], places) * unit
        out[pair] = pair_units
        lp.check_capacity(out)
        return out

    graph = lp.FlowGraph(t, h, net.n_nodes)

    def fills(places: int) -> bool:
        return graph.solve(caps(places, q_units), 0, 1, flows=False)[0] == need

    lo = max(1, -(-net.demand // max(int(load.sum()), 1)))
    hi = int(base[load].max(initial=1))  # fills: q_units is at least q*
    step = 1
    while lo < hi:  # gallop up from the average load …
        probe = min(lo + step - 1, hi)
        if fills(probe):
            hi = probe
            break
        lo, step = probe + 1, step * 2
    while lo < hi:  # … then halve
        mid = (lo + hi) // 2
        if fills(mid):
            hi = mid
        else:
            lo = mid + 1
    value, f, _side = graph.solve(caps(lo, q_units // _SPREAD_STEPS), 0, 1)
    graph.release()
    t32, h32 = t.astype(np.int32), h.astype(np.int32)  # what the solver takes: no copy later
    for k in range(2, _SPREAD_STEPS + 1):
        # The most flow the residual network of f adds under the raised caps (arcs forward by
        # their spare capacity, backward by their flow): a maximum flow under those caps.
        cap = caps(lo, (q_units * k) // _SPREAD_STEPS)
        fwd = np.flatnonzero(cap > f)
        bwd = np.flatnonzero(f > 0)
        more, flows, _side = lp.FlowGraph(
            np.concatenate([t32[fwd], h32[bwd]]), np.concatenate([h32[fwd], t32[bwd]]), net.n_nodes
        ).solve(np.concatenate([cap[fwd] - f[fwd], f[bwd]]), 0, 1)
        f = f.copy()
        f[fwd] += flows[: fwd.shape[0]]
        f[bwd] -= flows[fwd.shape[0] :]
        value += more
    if value != need:  # pragma: no cover - the last step has the caps q* fills with
        raise AssertionError("spreading flow: the seats are not filled")
    return f


def support_step(net: FlowNetwork, f: Ints, cap: Ints) -> tuple[Ints, int]:
    """Give a positive share to every pair arc that some flow under the same caps uses.

    ``f`` is a maximum flow (arcs 1…) under capacities ``cap``. A pair arc with no flow can
    carry some in another such flow iff it lies on a cycle of the residual network. One
    circulation ``c`` in the residual network, at least ``w`` on each such arc, at most ``2**s``
    times each residual capacity (less 1 on arcs with flow, so none drops to 0) is found by a
    maximum flow with lower bounds; ``2**s·f + c`` is the result, at the grid ``2**-s`` finer.
    The first try asks ``w`` = an eighth of the cap (at ``s = 1``), so that such a pair's
    chance is worth publishing; if no circulation gives that much, ``w = 1`` (the least chance
    on the grid) with ``s`` = 1, 4, then as many bits as the number of such arcs needs.
    """

    t, h = net.tail[1:], net.head[1:]
    pair = net.is_pair[1:]
    if not (pair & (f == 0) & (cap > 0)).any():
        return f, 0
    fwd = f < cap
    bwd = f > 0
    comp = lp.strong_components(
        np.concatenate([t[fwd], h[bwd]]), np.concatenate([h[fwd], t[bwd]]), net.n_nodes
    )
    same = comp[t] == comp[h]
    want = pair & (f == 0) & (cap > 0) & same
    n_r = int(want.sum())
    if n_r == 0:
        return f, 0
    in_f = np.flatnonzero(fwd & same)
    in_b = np.flatnonzero(bwd & same)
    on = want[in_f]
    need = max(1, math.ceil(math.log2(n_r + 1)))
    pair_cap = int(cap[pair].max())
    # First a share worth seeing (an eighth of the cap on each such pair, at grid 2**-1 finer),
    # else the least share, 1 unit, at grids 2**-1, 2**-4, … finer, as room requires.
    tries = [(1, max(1, (pair_cap << 1) // _SUPPORT_SHARE))]
    tries += [(s, 1) for s in sorted({1, min(4, need), need})]
    for s, w in tries:
        lb = on * w
        ub_f = ((cap[in_f] - f[in_f]) << s) - lb
        ub_b = (f[in_b] << s) - 1
        if (ub_f < 0).any():
            continue
        supply = np.bincount(h[in_f], weights=lb, minlength=net.n_nodes).astype(np.int64)
        demand = np.bincount(t[in_f], weights=lb, minlength=net.n_nodes).astype(np.int64)
        s_nodes = np.flatnonzero(supply)
        d_nodes = np.flatnonzero(demand)
        src, snk = net.n_nodes, net.n_nodes + 1
        tails = np.concatenate([t[in_f], h[in_b], np.full(s_nodes.shape[0], src), d_nodes])
        heads = np.concatenate([h[in_f], t[in_b], s_nodes, np.full(d_nodes.shape[0], snk)])
        caps = np.concatenate([ub_f, ub_b, supply[s_nodes], demand[d_nodes]])
        lp.check_capacity(caps)
        value, flows, _side = lp.FlowGraph(tails, heads, net.n_nodes + 2).solve(caps, src, snk)
        if value < n_r * w:
            continue
        c = np.zeros(f.shape[0], dtype=np.int64)
        c[in_f] += flows[: in_f.shape[0]] + lb
        c[in_b] -= flows[in_f.shape[0] : in_f.shape[0] + in_b.shape[0]]
        out: Ints = (f << s) + c
        return out, s
    raise AssertionError("support step: no circulation found")  # pragma: no cover
