"""Private solvers behind :func:`randcheck.match_officers`.

Three pieces, each small and independent of the domain:

- :func:`dyadic_round`: dependent rounding of an integral flow on a network by repeated halving
  along cycles (Euler splitting). Given a circulation whose values are multiples of ``2**r``
  (after scaling), it returns a 0/1 circulation whose every edge has expectation exactly
  ``value / 2**r`` and whose every node throughput is the floor or the ceiling of its scaled
  throughput. This is the rounding of Budish, Che, Kojima and Milgrom (2013) for a bihierarchy,
  done level by level with vectorized numpy and ``scipy.sparse.csgraph`` instead of one cycle at
  a time.
- :func:`augment`: maximum flow (Dinic, :func:`scipy.sparse.csgraph.maximum_flow`) from a
  given feasible flow, on its residual graph.
- :func:`solve_milp`: HiGHS branch and bound through :func:`scipy.optimize.milp`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import LinearConstraint, milp
from scipy.sparse.csgraph import connected_components, maximum_flow

Ints: TypeAlias = npt.NDArray[np.int64]
Floats: TypeAlias = npt.NDArray[np.float64]

#: coins(level, representative_edges) -> one boolean per cycle (True: round the cycle "up").
CoinFn: TypeAlias = Callable[[int, Ints], npt.NDArray[np.bool_]]


def level_keys(key: Floats, level: int) -> Floats:
    """The pairing order of edges at ``level``: bits ``5·level`` onwards of each edge's key."""
    shift = float(2.0 ** ((5 * level) % 50))
    out: Floats = np.mod(key * shift, 1.0)
    return out


def dyadic_round(
    tail: Ints, head: Ints, value: Ints, levels: int, key: Floats, coins: CoinFn
) -> Ints:
    """Round a circulation with integer ``value`` to ``value / 2**levels`` in expectation.

    ``value`` must satisfy flow conservation at every node (a circulation). At each level the
    edges with an odd value are paired at every node (by ``key``); the pairs close into cycles;
    each cycle moves +1 or −1 (in its traversal direction) by a fair coin, after which every value
    is even and is halved. Conservation is kept exactly at every level, so after ``levels`` levels
    the values are integers with ``E[out] = value / 2**levels``.
    """
    y = value.astype(np.int64, copy=True)
    for level in range(levels):
        odd = np.flatnonzero(y & 1)
        if odd.size:
            y[odd] += _cycle_signs(
                tail[odd], head[odd], level_keys(key[odd], level), odd, level, coins
            )
        y >>= 1
    return y


def _cycle_signs(
    t: Ints, h: Ints, k: Floats, global_index: Ints, level: int, coins: CoinFn
) -> Ints:
    m = t.size
    ids = np.arange(m, dtype=np.int64)
    inc_node = np.concatenate([t, h])
    inc_edge = np.concatenate([ids, ids])
    inc_side = np.concatenate([np.zeros(m, np.int64), np.ones(m, np.int64)])  # 1: at the head
    # Sort incidences by node, then by key (a composite float64: node ids < 2**31, keys in
    # [0, 1) keep about 20 bits; ties are broken by position, which is deterministic).
    composite = inc_node.astype(np.float64) + 0.5 * np.concatenate([k, k])
    order = np.argsort(composite, kind="stable")
    a, b = order[0::2], order[1::2]
    if a.size != b.size or not np.array_equal(inc_node[a], inc_node[b]):
        raise RuntimeError("dyadic_round: the values are not a circulation (odd degree)")
    partner = np.empty(2 * m, dtype=np.int64)
    partner[a] = b
    partner[b] = a
    # State 2i+1: traverse edge i towards its head; 2i: towards its tail.
    succ = np.empty(2 * m, dtype=np.int64)
    p_head = partner[m + ids]
    succ[2 * ids + 1] = 2 * inc_edge[p_head] + (1 - inc_side[p_head])
    p_tail = partner[ids]
    succ[2 * ids] = 2 * inc_edge[p_tail] + (1 - inc_side[p_tail])
    # One arc per state: build the CSR arrays directly (no COO sort).
    graph = sparse.csr_matrix(
        (np.ones(2 * m, dtype=np.int8), succ, np.arange(2 * m + 1, dtype=np.int64)),
        shape=(2 * m, 2 * m),
    )
    n_comp, comp = connected_components(graph, directed=True, connection="strong")
    forward, backward = comp[1::2], comp[0::2]
    canon = np.minimum(forward, backward)
    sigma = np.where(forward == canon, 1, -1).astype(np.int64)
    rep = np.full(n_comp, m, dtype=np.int64)
    np.minimum.at(rep, canon, ids)
    used = np.flatnonzero(rep < m)
    up = coins(level, global_index[rep[used]])
    sign = np.zeros(n_comp, dtype=np.int64)
    sign[used] = np.where(up, 1, -1)
    out: Ints = sign[canon] * sigma
    return out


def augment(tails: Ints, heads: Ints, capacity: Ints, flow: Ints, n_nodes: int) -> Ints:
    """Augment ``flow`` (feasible for ``capacity``) to a maximum flow from node 0 to node 1.

    The arcs must have no antiparallel or parallel twins. Returns the change of flow per arc,
    found by :func:`scipy.sparse.csgraph.maximum_flow` (Dinic) on the residual graph.
    """
    res_t = np.concatenate([tails, heads])
    res_h = np.concatenate([heads, tails])
    res_c = np.concatenate([capacity - flow, flow])
    keep = res_c > 0
    graph = sparse.csr_array(
        (res_c[keep].astype(np.int64), (res_t[keep], res_h[keep])), shape=(n_nodes, n_nodes)
    )
    result: Any = maximum_flow(graph, 0, 1)
    if result.flow_value == 0:
        return np.zeros_like(flow)
    net = result.flow.tocsr()
    out: Ints = np.asarray(net[tails, heads], dtype=np.int64).ravel()
    return out


def solve_milp(
    cost: Floats,
    a: sparse.csr_matrix,
    lower: Floats,
    upper: Floats,
    time_limit: float | None = None,
) -> Floats | None:
    """Minimise ``cost @ x`` over 0/1 vectors with ``lower <= a @ x <= upper``; None if none."""
    options: dict[str, Any] = {}
    if time_limit is not None:
        options["time_limit"] = time_limit
    res: Any = milp(
        cost,
        constraints=[LinearConstraint(a, lower, upper)],
        integrality=np.ones(cost.size, dtype=np.int8),
        bounds=(0, 1),
        options=options,
    )
    if res.x is None:
        return None
    out: Floats = np.rint(np.asarray(res.x, dtype=np.float64))
    return out
