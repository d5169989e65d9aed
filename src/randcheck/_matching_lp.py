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


def dyadic_round(tail: Ints, head: Ints, value: Ints, levels: int, coins: CoinFn) -> Ints:
    """Round a circulation with integer ``value`` to ``value / 2**levels`` in expectation.

    ``value`` must satisfy flow conservation at every node. At level ``j`` (0 first) the arcs
    with an odd value are paired at every node, in the order of their index; the pairs close
    into cycles; each cycle, taken in the order of its lowest arc index, moves +1 or −1 along
    its traversal by ``coins(j, n_cycles)``, after which every value is even and is halved.
    """
    y = value.astype(np.int64, copy=True)
    for level in range(levels):
        odd = np.flatnonzero(y & 1)
        if odd.size:
            y[odd] += _cycle_signs(tail[odd], head[odd], level, coins)
        y >>= 1
    return y


def _cycle_signs(t: Ints, h: Ints, level: int, coins: CoinFn) -> Ints:
    m = t.size
    ids = np.arange(m, dtype=np.int64)
    inc_node = np.concatenate([t, h])
    inc_edge = np.concatenate([ids, ids])
    inc_side = np.concatenate([np.zeros(m, np.int64), np.ones(m, np.int64)])  # 1: at the head
    # Incidences by node, then by arc index (a self-loop's two ends stay together).
    order = np.argsort(inc_node * (2 * m) + inc_edge * 2 + inc_side, kind="stable")
    a, b = order[0::2], order[1::2]
    if a.size != b.size or not np.array_equal(inc_node[a], inc_node[b]):
        raise RuntimeError("dyadic_round: the values are not a circulation (odd degree)")
    partner = np.empty(2 * m, dtype=np.int64)
    partner[a] = b
    partner[b] = a
    # State 2i+1: traverse arc i towards its head; 2i: towards its tail.
    succ = np.empty(2 * m, dtype=np.int64)
    p_head = partner[m + ids]
    succ[2 * ids + 1] = 2 * inc_edge[p_head] + (1 - inc_side[p_head])
    p_tail = partner[ids]
    succ[2 * ids] = 2 * inc_edge[p_tail] + (1 - inc_side[p_tail])
    label = _orbit_minimum(succ)
    forward, backward = label[1::2], label[0::2]
    # A cycle is the pair of orbits of its two traversals; its lowest state belongs to its
    # lowest arc, so ``canon // 2`` is that arc. Sign +1 for arcs traversed towards their
    # head when the lowest arc is.
    canon = np.minimum(forward, backward)
    rep = canon // 2
    sigma = np.where(forward == label[2 * rep + 1], 1, -1).astype(np.int64)
    cycles = np.unique(canon)  # sorted: the order of their lowest arcs
    up = coins(level, int(cycles.shape[0]))
    sign = np.where(up, 1, -1).astype(np.int64)[np.searchsorted(cycles, canon)]
    out: Ints = sign * sigma
    return out


def _orbit_minimum(succ: Ints) -> Ints:
    """The least element of every element's orbit under the permutation ``succ``.

    With scipy, from its connected components (fast); without, by pointer doubling (after ``j``
    rounds each element has seen its next ``2**j`` successors). Both give the same labels, so a
    verifier without scipy replays the same rounding.
    """
    n = succ.shape[0]
    if n > 256:
        try:
            from scipy import sparse
            from scipy.sparse.csgraph import connected_components
        except ImportError:  # pragma: no cover - the numpy path below
            pass
        else:
            graph = sparse.csr_matrix(
                (np.ones(n, dtype=np.int8), succ, np.arange(n + 1, dtype=np.int64)), shape=(n, n)
            )
            n_comp, comp = connected_components(graph, directed=True, connection="strong")
            least = np.full(n_comp, n, dtype=np.int64)
            np.minimum.at(least, comp, np.arange(n, dtype=np.int64))
            out: Ints = least[comp]
            return out
    return _orbit_minimum_doubling(succ)


def _orbit_minimum_doubling(succ: Ints) -> Ints:
    """:func:`_orbit_minimum` by pointer doubling, numpy only."""
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


def min_cost_flow(tails: Ints, heads: Ints, capacity: Ints, cost: Ints, supply: Ints) -> Ints:
    """A minimum-cost flow meeting node ``supply`` (positive: source, negative: sink)."""
    from ortools.graph.python import min_cost_flow as ortools_min_cost_flow  # when used

    solver = ortools_min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacity, cost)
    nodes = np.flatnonzero(supply)
    solver.set_nodes_supplies(nodes, supply[nodes])
    status = solver.solve()
    if status != solver.OPTIMAL:  # pragma: no cover - the caller passes a feasible demand
        raise RuntimeError(f"min_cost_flow: solver status {status}")
    out: Ints = np.asarray(solver.flows(np.arange(tails.shape[0])), dtype=np.int64)
    return out
