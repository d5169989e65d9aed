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
    value, flows, side = FlowGraph(tails, heads, n_nodes).solve(capacity, source, sink, cut=True)
    assert side is not None
    return value, flows, side


class FlowGraph:
    """The arcs of one network in the OR-Tools solver, solved with capacities set each time.

    The solver builds its graph afresh from the arcs and capacities at every solve, so a flow
    does not depend on what was solved before; keeping the arcs only saves passing them again.
    """

    def __init__(self, tails: Ints, heads: Ints, n_nodes: int) -> None:
        from ortools.graph.python import max_flow as ortools_max_flow  # solver: when used

        self.n_arcs = int(tails.shape[0])
        self.n_nodes = n_nodes
        self._solver: Any = ortools_max_flow.SimpleMaxFlow()
        self._ids = np.arange(self.n_arcs, dtype=np.int32)  # the solver's own index type
        self._ends: tuple[Any, Any] | None = (
            tails.astype(np.int32, copy=False),
            heads.astype(np.int32, copy=False),
        )

    def solve(
        self, capacity: Ints, source: int, sink: int, *, cut: bool = False, flows: bool = True
    ) -> tuple[int, Ints, Bools | None]:
        """(value, flow per arc (empty unless ``flows``), source side of a minimum cut as a
        node mask if ``cut``)."""
        solver = self._solver
        if solver is None:  # a programming error
            raise RuntimeError("FlowGraph: solved after release()")
        cap = capacity.astype(np.int64, copy=False)
        if self._ends is not None:  # first solve: the arcs go in with their capacities
            if self.n_arcs:
                solver.add_arcs_with_capacity(self._ends[0], self._ends[1], cap)
            # Nodes without arcs are unknown to the solver: a zero arc makes every node exist.
            solver.add_arc_with_capacity(self.n_nodes - 1, self.n_nodes - 1, 0)
            self._ends = None
        elif self.n_arcs:
            solver.set_arcs_capacity(self._ids, cap)
        status = solver.solve(source, sink)
        if status != solver.OPTIMAL:  # pragma: no cover - capacities are checked by the caller
            raise RuntimeError(f"max_flow: solver status {status}")
        out = np.zeros(0, dtype=np.int64)
        if flows and self.n_arcs:
            out = np.asarray(solver.flows(self._ids), dtype=np.int64)
        side = None
        if cut:
            side = np.zeros(self.n_nodes, dtype=bool)
            side[np.asarray(solver.get_source_side_min_cut(), dtype=np.int64)] = True
        return int(solver.optimal_flow()), out, side

    def release(self) -> None:
        """Free the solver's memory (its graph of the last solve); no solve after this."""
        self._solver = None


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

    The arcs' ends are sorted by node once; each level keeps the ends of its odd arcs from that
    order, which is the order a stable sort of those ends alone would give.
    """
    y = value.astype(np.int64, copy=True)
    ends = _Ends(tail, head)
    for level in range(levels):
        odd = (y & 1).astype(bool)
        at = np.flatnonzero(odd)
        if at.shape[0]:
            y[at] += ends.cycle_signs(odd, at.shape[0], level, coins)
        y >>= 1
        if on_level is not None:
            on_level(level)
    return y


class _Ends:
    """Both ends of every arc (incidences), sorted by node, then arc index, then side.

    Incidence ``2i + side`` belongs to arc ``i`` (side 0 its tail, 1 its head); a self-loop's two
    ends stay together.
    """

    def __init__(self, tail: Ints, head: Ints) -> None:
        m = tail.shape[0]
        node = np.empty(2 * m, dtype=np.int64)
        node[0::2] = tail
        node[1::2] = head
        top = max(2 * m, int(node.max(initial=0)) + 1)
        self.itype = np.int32 if top < 1 << 31 else np.int64  # half the memory traffic
        order = stable_order(node)
        self.end: npt.NDArray[np.integer[Any]] = order.astype(self.itype)  # in node order
        self.arc = self.end >> 1
        sorted_node = node[order]
        # Where each node's ends begin: a node with an odd number of odd ends breaks the pairing.
        self.starts = np.flatnonzero(np.diff(sorted_node, prepend=-1)) if m else order[:0]

    def cycle_signs(self, odd: Bools, n_odd: int, level: int, coins: CoinFn) -> Ints:
        """The ±1 of every odd arc (in index order) at this level."""
        keep = odd[self.arc]  # the ends of the odd arcs, still sorted by node, arc and side
        per_node = np.add.reduceat(keep.view(np.int8), self.starts, dtype=np.int32)
        if (per_node & 1).any():
            raise RuntimeError("dyadic_round: the values are not a circulation (odd degree)")
        rank = np.cumsum(odd, dtype=self.itype)
        np.subtract(rank, 1, out=rank)  # the odd arcs numbered 0… in index order
        end = self.end[keep]
        order = rank[end >> 1]
        order <<= 1
        order |= end & 1  # = a stable sort by node of the odd arcs' own incidences
        return _signs_of_pairing(order, n_odd, level, coins)


def _signs_of_pairing(order: npt.NDArray[Any], m: int, level: int, coins: CoinFn) -> Ints:
    """Signs of ``m`` arcs whose incidences, in node order, are ``order`` (paired 0–1, 2–3, …)."""
    a, b = order[0::2], order[1::2]
    partner = np.empty(2 * m, dtype=order.dtype)
    partner[a] = b
    partner[b] = a
    # State 2i+1: traverse arc i towards its head; 2i: towards its tail. So a state is the
    # incidence it arrives at; the walk goes on along the partner incidence ``p = 2j + side``
    # away from that end, which is state ``2j + (1 − side)``, that is ``p ^ 1``.
    partner ^= 1
    label = orbit_minimum(partner)
    forward, backward = label[1::2], label[0::2]
    # A cycle is the pair of orbits of its two traversals; its lowest state belongs to its
    # lowest arc, so ``canon // 2`` is that arc. Sign +1 for arcs traversed towards their
    # head when the lowest arc is.
    rep = np.minimum(forward, backward)
    rep >>= 1
    same = forward == label[2 * rep + 1]
    # Cycles in the order of their lowest arcs: the lowest arc of each cycle is its own rep.
    is_first = rep == np.arange(m, dtype=rep.dtype)
    n_cycles = int(np.count_nonzero(is_first))
    cycle_no = np.cumsum(is_first, dtype=rep.dtype)
    cycle_no -= 1
    up = coins(level, n_cycles)[cycle_no[rep]]
    out: Ints = np.where(up == same, 1, -1).astype(np.int64)
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


def orbit_minimum(succ: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """The least element of every element's orbit under the permutation ``succ``.

    With scipy, from its connected components (fast: an orbit of a permutation is a weakly
    connected component of its graph); without, by pointer doubling (after ``j`` rounds each
    element has seen its next ``2**j`` successors). Both give the same labels, so a verifier
    without scipy replays the same rounding. The labels have the dtype of ``succ``.
    """
    n = succ.shape[0]
    if n > 256:
        try:
            from scipy import sparse  # optional: the numpy path below does without
            from scipy.sparse.csgraph import connected_components
        except ImportError:  # pragma: no cover - the numpy path below
            pass
        else:
            it = np.int32 if n < 1 << 31 else np.int64  # scipy's own index type: no copy
            graph = sparse.csr_array(
                (
                    np.ones(n, dtype=np.float64),
                    succ.astype(it, copy=False),
                    np.arange(n + 1, dtype=it),
                ),
                shape=(n, n),
            )
            n_comp, comp = connected_components(graph, directed=False)
            least = np.full(n_comp, n, dtype=succ.dtype)
            np.minimum.at(least, comp, np.arange(n, dtype=succ.dtype))
            out: npt.NDArray[Any] = least[comp]
            return out
    return orbit_minimum_doubling(succ)


def orbit_minimum_doubling(succ: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """:func:`orbit_minimum` by pointer doubling, numpy only."""
    label = np.arange(succ.shape[0], dtype=succ.dtype)
    jump = succ.copy()
    for _ in range(max(1, int(succ.shape[0]).bit_length())):
        np.minimum(label, label[jump], out=label)
        jump = jump[jump]
    return label


def check_capacity(values: Any) -> None:
    """Refuse capacities beyond int64 (the flows would overflow)."""
    if values.shape[0] and int(np.max(values)) >= 1 << 62:  # pragma: no cover
        raise OverflowError("matching: network capacities exceed 2**62")
