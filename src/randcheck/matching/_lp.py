"""Private network solvers behind :func:`randcheck.match_officers`.

Three pieces, each small and independent of the domain:

- :func:`max_flow`: a maximum flow with integer (int64) capacities and its minimum cut, by the
  push-relabel solver of OR-Tools (``ortools.graph``). Any maximum flow will do: the matcher
  publishes the flow it used, and a verifier checks it instead of solving again.
- :func:`strong_components`: strongly connected components (scipy), for the support step.
- :func:`dyadic_round`: dependent rounding of a circulation whose values are multiples of
  ``2**-levels``: at every level the arcs with an odd value are paired at every node (in arc
  order), the pairs close into cycles, and each cycle moves +1 or −1 by a fair coin. Every
  arc keeps its expectation exactly; every integer bound that held before holds after
  (Budish, Che, Kojima and Milgrom 2013, done level by level and vectorised). It needs numpy
  only (cycles by pointer doubling), so a verifier can replay it without a solver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

Ints: TypeAlias = npt.NDArray[np.int64]
Bools: TypeAlias = npt.NDArray[np.bool_]

#: coins(level, n) -> n fair coins, one per cycle of the level in the order of their first arc.
CoinFn: TypeAlias = Callable[[int, int], Bools]


def max_flow(
    tails: Ints, heads: Ints, capacity: Ints, n_nodes: int, source: int, sink: int
) -> tuple[int, Ints, Bools]:
    """A maximum flow from ``source`` to ``sink``: (value, flow per arc, source side of a
    minimum cut as a node mask)."""
    from ortools.graph.python import max_flow as ortools_max_flow  # solver: imported when used

    solver = ortools_max_flow.SimpleMaxFlow()
    if tails.shape[0]:
        solver.add_arcs_with_capacity(tails, heads, capacity)
    # Nodes without arcs are unknown to the solver: add a zero arc so that every node exists.
    solver.add_arc_with_capacity(n_nodes - 1, n_nodes - 1, 0)
    status = solver.solve(source, sink)
    if status != solver.OPTIMAL:  # pragma: no cover - capacities are checked by the caller
        raise RuntimeError(f"max_flow: solver status {status}")
    flows = np.asarray(solver.flows(np.arange(tails.shape[0])), dtype=np.int64)
    side = np.zeros(n_nodes, dtype=bool)
    side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
    return int(solver.optimal_flow()), flows, side


def strong_components(tails: Ints, heads: Ints, n_nodes: int) -> Ints:
    """The strongly connected component of every node of the digraph ``tails → heads``."""
    from scipy import sparse  # not needed to replay the rounding: imported when used
    from scipy.sparse.csgraph import connected_components

    graph = sparse.csr_array(
        (np.ones(tails.shape[0], dtype=np.int8), (tails, heads)), shape=(n_nodes, n_nodes)
    )
    _, comp = connected_components(graph, directed=True, connection="strong")
    out: Ints = comp.astype(np.int64)
    return out


def dyadic_round(
    tail: Ints,
    head: Ints,
    value: Ints,
    levels: int,
    coins: CoinFn,
    on_level: Callable[[int], Any] | None = None,
) -> Ints:
    """Round a circulation with integer ``value`` to ``value / 2**levels`` in expectation.

    ``value`` must satisfy flow conservation at every node. At level ``j`` (0 first) the arcs
    with an odd value are paired at every node, in the order of their index; the pairs close
    into cycles; each cycle, taken in the order of its lowest arc index, moves +1 or −1 along
    its traversal by ``coins(j, n_cycles)``, after which every value is even and is halved.
    ``on_level(j)`` is called after level ``j`` (progress reports).
    """
    y = value.astype(np.int64, copy=True)
    for level in range(levels):
        odd = np.flatnonzero(y & 1)
        if odd.size:
            y[odd] += _cycle_signs(tail[odd], head[odd], level, coins)
        y >>= 1
        if on_level is not None:
            on_level(level)
    return y


def _cycle_signs(t: Ints, h: Ints, level: int, coins: CoinFn) -> Ints:
    m = t.size
    ids = np.arange(m, dtype=np.int64)
    # Incidences interleaved (arc 0 tail, arc 0 head, arc 1 tail, …): incidence ``2i + side``
    # belongs to arc ``i`` (side 1: its head). A stable sort by node then orders them by node,
    # arc index and side; a self-loop's two ends stay together.
    inc_node = np.empty(2 * m, dtype=np.int64)
    inc_node[0::2] = t
    inc_node[1::2] = h
    order = stable_order(inc_node)
    a, b = order[0::2], order[1::2]
    if a.size != b.size or not np.array_equal(inc_node[a], inc_node[b]):
        raise RuntimeError("dyadic_round: the values are not a circulation (odd degree)")
    partner = np.empty(2 * m, dtype=np.int64)
    partner[a] = b
    partner[b] = a
    # State 2i+1: traverse arc i towards its head; 2i: towards its tail. So a state is the
    # incidence it arrives at; the walk goes on along the partner incidence ``p = 2j + side``
    # away from that end, which is state ``2j + (1 − side)``, that is ``p ^ 1``.
    succ = partner ^ 1
    label = orbit_minimum(succ)
    forward, backward = label[1::2], label[0::2]
    # A cycle is the pair of orbits of its two traversals; its lowest state belongs to its
    # lowest arc, so ``canon // 2`` is that arc. Sign +1 for arcs traversed towards their
    # head when the lowest arc is.
    canon = np.minimum(forward, backward)
    rep = canon // 2
    sigma = np.where(forward == label[2 * rep + 1], 1, -1).astype(np.int64)
    # Cycles in the order of their lowest arcs: the lowest arc of each cycle is its own rep.
    is_first = rep == ids
    cycle_no = np.cumsum(is_first) - 1
    up = coins(level, int(np.count_nonzero(is_first)))
    sign = np.where(up, 1, -1).astype(np.int64)[cycle_no[rep]]
    out: Ints = sign * sigma
    return out


def stable_order(keys: Ints) -> Ints:
    """``argsort(keys, kind="stable")`` for keys ≥ 0: numpy radix-sorts 16-bit keys, so keys
    below ``2**15`` take one pass and keys below ``2**31`` two (low digit, then high), which
    is far quicker than the general stable sort."""
    top = int(keys.max()) if keys.shape[0] else 0
    if top < 1 << 15:
        out: Ints = np.argsort(keys.astype(np.int16), kind="stable").astype(np.int64)
    elif top < 1 << 31:
        first = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
        then = np.argsort((keys[first] >> 16).astype(np.uint16), kind="stable")
        out = first[then].astype(np.int64)
    else:
        out = np.argsort(keys, kind="stable").astype(np.int64)
    return out


def orbit_minimum(succ: Ints) -> Ints:
    """The least element of every element's orbit under the permutation ``succ``.

    With scipy, from its connected components (fast: an orbit of a permutation is a weakly
    connected component of its graph); without, by pointer doubling (after ``j`` rounds each
    element has seen its next ``2**j`` successors). Both give the same labels, so a verifier
    without scipy replays the same rounding.
    """
    n = succ.shape[0]
    if n > 256:
        try:
            from scipy import sparse  # optional: the numpy path below does without
            from scipy.sparse.csgraph import connected_components
        except ImportError:  # pragma: no cover - the numpy path below
            pass
        else:
            graph = sparse.csr_array(
                (np.ones(n, dtype=np.float64), succ, np.arange(n + 1, dtype=np.int64)),
                shape=(n, n),
            )
            n_comp, comp = connected_components(graph, directed=False)
            least = np.full(n_comp, n, dtype=np.int64)
            np.minimum.at(least, comp, np.arange(n, dtype=np.int64))
            out: Ints = least[comp]
            return out
    return orbit_minimum_doubling(succ)


def orbit_minimum_doubling(succ: Ints) -> Ints:
    """:func:`orbit_minimum` by pointer doubling, numpy only."""
    label = np.arange(succ.shape[0], dtype=np.int64)
    jump = succ.copy()
    for _ in range(max(1, int(succ.shape[0]).bit_length())):
        np.minimum(label, label[jump], out=label)
        jump = jump[jump]
    return label


def check_capacity(values: Any) -> None:
    """Refuse capacities beyond int64 (the flows would overflow)."""
    if values.shape[0] and int(np.max(values)) >= 1 << 62:  # pragma: no cover
        raise OverflowError("matching: network capacities exceed 2**62")
