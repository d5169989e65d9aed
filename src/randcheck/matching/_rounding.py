"""From marginals to one assignment (private to :mod:`randcheck.matching`): coins, :func:`solve`.

Step 6 of ``randcheck-matching/3``: the official coins from the seed (child ``round``) and
the rounding of the marginals by :func:`randcheck.matching._lp.dyadic_round`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import attrs
import numpy as np

from randcheck._progress import Reporter
from randcheck.errors import (
    InfeasibleMatchingError,
    PlanError,
)
from randcheck.matching import _lp as lp
from randcheck.matching._diagnosis import cut_line, raise_infeasible, short_visits
from randcheck.matching._flow import build_network, find_q_star, flow_at, spread_flow, support_step
from randcheck.matching._lp import CoinFn
from randcheck.matching._problem import MAX_LISTED, FlowNetwork, MatchingProblem, prepare_problem
from randcheck.matching.rules import GRID_BITS, MAX_PAIRS, Bools, Ints, MatchingRules
from randcheck.matching.teaming import teaming_sums
from randcheck.models import Visit
from randcheck.randomness import LABEL_MATCHING, LABEL_ROUND, UniformSource, source_for
from randcheck.roster import OfficerRoster
from randcheck.sampling.commitment import Commitment

_COIN_BITS = 48
# Progress (``progress=``): the share of 100 each stage reports when it ends, from profiles of
# batches of 300 to 3,000 visits (the spreading flow dominates).
STAGE_SHARE = {"prepare": 2, "network": 10, "q_star": 8, "spread": 55, "support": 7}
ROUND_SHARE = 100 - sum(STAGE_SHARE.values())


# --------------------------------------------------------------------------------------------
# Rounding


def coins_from(src: UniformSource) -> CoinFn:
    base = src.child(LABEL_ROUND)
    shifts = np.arange(_COIN_BITS, dtype=np.uint64)

    def coins(level: int, n: int) -> Bools:
        words = -(-n // _COIN_BITS)
        ids = np.array([b"%d" % i for i in range(words)], dtype="S")
        u = base.child(str(level)).uniforms(ids)
        t = (u * 2.0**53).astype(np.uint64)
        out: Bools = ((t[:, None] >> shifts) & np.uint64(1)).astype(bool).ravel()[:n]
        return out

    return coins


def matching_source(
    seed: str | None, rng: Any, source: UniformSource | None, key_label: str
) -> UniformSource:
    if source is not None:
        if seed is not None or rng is not None:
            raise PlanError("give source= alone, or seed= or rng=, not both")
        return source
    return source_for(seed, rng).child(key_label)


def committed_source(
    promised: Commitment,
    officers: OfficerRoster,
    seed: str | None,
    rng: Any,
    source: UniformSource | None,
    key_label: str,
) -> UniformSource:
    """The key of a committed matching: the seed, read by the committed rule, at the committed
    path; the officer directory must be the committed one."""
    key: UniformSource = promised.source_for_drawing(
        seed, rng, source, key_label, LABEL_MATCHING, "matching"
    )
    if officers.digest() != promised.roster_digest:
        raise PlanError(
            "commitment: the officer directory is not the committed one (its fingerprint "
            f"differs from {promised.roster_digest})"
        )
    return key


def batch_problem(
    visits: Sequence[Visit],
    officers: OfficerRoster,
    conflicts: Any,
    rules: MatchingRules | None,
    history: Any,
    as_of: Any,
    unknown_conflicts: str,
) -> tuple[MatchingRules, MatchingProblem]:
    """The rules (default ``MatchingRules()``) and the batch as arrays, once the rules'
    inputs are checked: what a matching's commitment is computed from."""
    rules = MatchingRules() if rules is None else rules
    if rules.cross_jurisdiction:
        check_jurisdiction(visits, officers, rules)
    prob = prepare_problem(visits, officers, conflicts, rules, history, as_of, unknown_conflicts)
    return rules, prob


def check_jurisdiction(
    visits: Sequence[Visit], officers: OfficerRoster, rules: MatchingRules
) -> None:
    """所所交叉 needs officers' areas that are area codes (or prefixes) of the visits' areas.

    Without them the rule would silently exclude nobody, so that is refused. So is a unit in
    ``unit_areas`` that no officer belongs to while some officers have no area at all (neither
    their own nor their unit's): a misspelt unit would leave them free to inspect their own
    area. (A province's table may list units of other batches: alone, they are ignored.)
    """
    units = officers.unit.categories
    unknown = sorted(u for u in rules.unit_areas if u not in set(units))
    if unknown:
        has_area = np.asarray([bool(a) for a in officers.area.categories])[officers.area.codes]
        listed = np.asarray([bool(rules.unit_areas.get(u)) for u in units])[officers.unit.codes]
        arealess = sorted({units[c] for c in officers.unit.codes[~has_area & ~listed].tolist()})
        if arealess:
            shown = "、".join(f"'{u}'" if u else "(no unit)" for u in arealess[:20])
            raise PlanError(
                f"unit_areas: no officer belongs to {'、'.join(unknown[:20])}, while the officers "
                f"of {shown} have no area, so 所所交叉 would exclude them from nothing: write "
                "each unit as the officer directory's unit column does, or give those officers "
                "an area"
            )
    own = {a for a in officers.area.categories if a}
    own |= {a for areas in rules.unit_areas.values() for a in areas if a}
    visit_areas = {v.area for v in visits if v.area}
    if visit_areas and not any(va.startswith(a) for va in visit_areas for a in own):
        raise PlanError(
            "cross_jurisdiction (所所交叉): no officer's area is the area (or a prefix of the "
            "area) of any visit, so the rule would exclude nobody; put area codes in the "
            "officers' area column or give MatchingRules(unit_areas={unit: {area codes}})"
        )


@attrs.define
class Solution:
    """What a matching computed: the network, its marginals and the rounded flow."""

    prob: MatchingProblem
    net: FlowNetwork
    q_star: Fraction
    bits: int
    marginal: Ints  # arcs 0…, units of 2**-bits (arc 0: the demand)
    rounded: Ints  # arcs 0…, 0/1 on pair arcs


def solve(
    prob: MatchingProblem,
    rules: MatchingRules,
    src: UniformSource,
    report: Reporter | None = None,
    max_pairs: int = MAX_PAIRS,
) -> Solution:
    """The marginals (:func:`solve_marginals`), rounded with the numbers of ``src``."""
    net, q_star, bits, marginal = solve_marginals(prob, rules, report, max_pairs)

    def level_done(j: int) -> None:  # the rounding's share, spread over its levels
        if report is not None:
            report.advance((ROUND_SHARE * (j + 1)) // bits - (ROUND_SHARE * j) // bits)

    rounded = lp.dyadic_round(net.tail, net.head, marginal, bits, coins_from(src), level_done)
    return Solution(prob, net, q_star, bits, marginal, rounded)


def solve_marginals(
    prob: MatchingProblem,
    rules: MatchingRules,
    report: Reporter | None = None,
    max_pairs: int = MAX_PAIRS,
) -> tuple[FlowNetwork, Fraction, int, Ints]:
    """The network, q*, the marginals' bits and the marginals: all that uses no number."""

    def done(stage: str) -> None:
        if report is not None:
            report.advance(STAGE_SHARE[stage])

    net = build_network(prob, rules, max_pairs)
    done("network")
    q_star = find_q_star(prob, net)
    done("q_star")
    unit = 1 << GRID_BITS
    q_units = math.ceil(q_star * unit)
    if rules.pair_cap is not None:
        cap_exact = Fraction(rules.pair_cap)
        if cap_exact < q_star or math.floor(cap_exact * unit) < q_units:
            # The binding cut just below the requested cap (on the grid, so capacities stay
            # integral): its visits cannot be staffed within the cap.
            below = min(Fraction(math.floor(cap_exact * unit), unit), q_star - Fraction(1, unit))
            _v, _f, side = flow_at(net, max(below, Fraction(0)), unit)
            a, b = cut_line(net, side)
            visits = short_visits(prob, net, side)
            near = "" if cap_exact < q_star else f" (on the grid 2**-{GRID_BITS}: {q_units}/{unit})"
            raise_infeasible(
                [
                    f"the pair cap {rules.pair_cap} is below q* = {q_star} ≈ {float(q_star):.6f}"
                    f"{near}, the least cap any randomized assignment of this batch can keep "
                    f"[防止合谋]: visits {', '.join(visits[:MAX_LISTED])} need more of their "
                    f"few eligible officers; raise the cap to at least q*, add officers or relax "
                    "a rule"
                ],
                visits=visits,
                rule="pair_cap",
                shortage=max(Fraction(0), net.demand - a - b * cap_exact),
                q_star=q_star,
            )
    f = spread_flow(net, q_units, unit)
    done("spread")
    cap = net.base[1:] * unit
    cap[net.is_pair[1:]] = q_units
    full, s = support_step(net, f, cap)
    done("support")
    bits = GRID_BITS + s
    marginal = np.concatenate([np.array([net.demand << bits], np.int64), full])
    if rules.team_cap is not None:
        check_team_cap(prob, net, marginal, bits, rules.team_cap)
    return net, q_star, bits, marginal


def check_team_cap(
    prob: MatchingProblem, net: FlowNetwork, marginal: Ints, bits: int, cap: float
) -> None:
    """Refuse marginals whose teaming bound exceeds ``cap`` for some pair (exact, in units)."""
    units = marginal[net.pair_arc]
    a, b, shared, sums = teaming_sums(net.pair_visit, net.pair_officer, units.astype(np.float64))
    if not sums.shape[0]:
        return
    worst = int(np.argmax(sums))
    bound = Fraction(int(sums[worst]), 1 << bits)
    if bound <= Fraction(cap):
        return
    ida, idb = str(prob.officer_ids[a[worst]]), str(prob.officer_ids[b[worst]])
    on_a = net.pair_visit[(net.pair_officer == a[worst]) & (units > 0)]
    on_b = net.pair_visit[(net.pair_officer == b[worst]) & (units > 0)]
    both = [prob.visit_codes[int(v)] for v in np.intersect1d(on_a, on_b).tolist()]
    over = int((sums > cap * float(1 << bits)).sum())
    least = (
        f"so {float(bound):.6f} is the least team cap this recipe can keep for the batch"
        if bound <= 1
        else "and above 1 the bound says nothing, so this recipe can keep no team cap for the batch"
    )
    raise InfeasibleMatchingError(
        f"the team cap {cap} is below the teaming bound of officers {ida} and {idb}: "
        f"{float(bound):.6f} (Σ over the {int(shared[worst])} visits both may serve of the "
        f"smaller of their two chances) [防止合谋]; {over} pair(s) exceed the cap. The bound is "
        "computed on the published chances, which keep every pair at q* and are spread as far "
        f"as the rules allow, {least}; raise the cap, add officers to the visits these two "
        "share, or split the batch",
        visits=tuple(both),
        rule="team_cap",
        shortage=bound - Fraction(cap),
        pair=(ida, idb),
        team_bound=bound,
    )
