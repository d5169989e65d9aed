"""Why a batch cannot be staffed (private to :mod:`randcheck.matching`).

The words of :class:`~randcheck.errors.InfeasibleMatchingError`, from a visit's missing officers
or from a minimum cut of the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction

import numpy as np

from randcheck.errors import (
    InfeasibleMatchingError,
)
from randcheck.matching._problem import MAX_LISTED, FlowNetwork, MatchingProblem
from randcheck.matching.rules import Bools, Ints

_REASONS = (
    ("inactive", "inactive [不在岗]"),
    ("no_load", "with a load cap of 0 [任务上限]"),
    ("department", "of another department [非本部门]"),
    ("area", "responsible for the target's own area [所所交叉]"),
    ("recused", "recused [回避]"),
    ("repeat", "sent to this target within the repeat window [避免重复检查]"),
)


# --------------------------------------------------------------------------------------------
# Diagnosis


def why_not(prob: MatchingProblem, v: int, mask: Bools) -> dict[str, int]:
    """Among officers in ``mask``, how many each rule keeps from visit ``v`` (first rule wins)."""
    p = int(prob.visit_profile[v])
    excl = np.zeros(prob.n_officers, dtype=np.int64) - 1
    lo, hi = int(prob.excluded_start[v]), int(prob.excluded_start[v + 1])
    excl[prob.excluded_officer[lo:hi]] = prob.excluded_reason[lo:hi]
    left = mask.copy()
    out: dict[str, int] = {}
    expert_side = bool(mask.any()) and bool(prob.officer_expert[mask].all())
    for name, cond in (
        ("inactive", ~prob.officer_active),
        ("no_load", prob.officer_cap <= 0),
        ("department", np.zeros_like(left) if expert_side else ~prob.profile_dept_ok[p]),
        ("area", np.zeros_like(left) if expert_side else ~prob.profile_area_ok[p]),
        ("recused", excl == 0),
        ("repeat", excl == 1),
    ):
        hit = left & cond
        if hit.any():
            out[name] = int(hit.sum())
        left &= ~hit
    return out


def breakdown(counts: Mapping[str, int]) -> str:
    words = dict(_REASONS)
    return ", ".join(f"{n} {words[r]}" for r, n in counts.items())


def why_only(n: int, counts: Mapping[str, int], noun: str) -> str:
    if n == 0:
        return f"no {noun} in the roster has it"
    if len(counts) == 1:
        ((reason, _),) = counts.items()
        who = f"the only {n} {noun}s with it are" if n > 1 else f"the only {noun} with it is"
        return f"{who} {dict(_REASONS)[reason]}"
    return f"none of the {n} {noun}s with it is eligible: {breakdown(counts)}"


def raise_infeasible(
    reasons: list[str],
    *,
    visits: Iterable[str],
    rule: str,
    shortage: Fraction,
    q_star: Fraction | None = None,
) -> None:
    shown = reasons[:MAX_LISTED]
    more = len(reasons) - len(shown)
    head = (
        "no assignment of officers satisfies every rule:\n  - "
        + "\n  - ".join(shown)
        + (f"\n  … and {more} more" if more else "")
    )
    raise InfeasibleMatchingError(
        head, reasons, visits=tuple(visits), rule=rule, shortage=shortage, q_star=q_star
    )


def cut_line(net: FlowNetwork, side: Bools) -> tuple[int, int]:
    """A cut's capacity as ``a + b·q``: (a, b)."""
    t, h = net.tail[1:], net.head[1:]
    crossing = side[t] & ~side[h]
    pair = net.is_pair[1:]
    return int(net.base[1:][crossing & ~pair].sum()), int((crossing & pair).sum())


def short_visits(prob: MatchingProblem, net: FlowNetwork, side: Bools) -> list[str]:
    """Visits with a seat on the sink side of a minimum cut (the set that cannot be staffed)."""
    seats = net.seat_nodes(prob.n_officers)
    return sorted({prob.visit_codes[v] for v in net.seat_visit[~side[seats]].tolist()})


def infeasible(
    prob: MatchingProblem, net: FlowNetwork, value: int, flows: Ints, side: Bools
) -> None:
    """Report a batch no assignment staffs, from a minimum cut of the network at q = 1.

    The seats on the sink side of the cut need more places than the cut lets through: those
    visits cannot all be staffed together.
    """
    t, h = net.tail[1:], net.head[1:]
    crossing = side[t] & ~side[h]
    load_arcs = (t == 0) & crossing
    visits = short_visits(prob, net, side)
    shown = ", ".join(visits[:MAX_LISTED])
    more = f" and {len(visits) - MAX_LISTED} more" if len(visits) > MAX_LISTED else ""
    seats = net.seat_nodes(prob.n_officers)
    sink = ~side[seats]
    need = int(net.seat_size[sink].sum())
    can = value - (net.demand - need)
    if load_arcs.any():
        rule = "load_cap"
        why = (
            f"the {int(load_arcs.sum())} officers eligible for them can take at most {can} of "
            "these places in all [任务上限]"
        )
    else:
        kinds = set(net.seat_kind[sink].tolist())
        rule = ("team_size", "skill", "department", "expert")[min(kinds)] if kinds else "team_size"
        why = f"the officers eligible for them can fill at most {can} of these places together"
    raise_infeasible(
        [
            f"visits {shown}{more} cannot all be staffed together: they need {need} officer "
            f"places (with their skill and department requirements), but {why}; raise load "
            "caps, add officers or split the batch"
        ],
        visits=visits,
        rule=rule,
        shortage=Fraction(net.demand - value),
    )
