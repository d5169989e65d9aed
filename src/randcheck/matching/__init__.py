"""Officer matching (双随机 #2): random, conflict-aware teams with exact, capped probabilities.

:func:`match_officers` staffs every visit of a batch with a team of officers drawn at random
from those the rules allow. It publishes, for every officer–visit pair, the exact unconditional
chance that the officer is sent there, and it keeps every such chance at or below ``q*``, the
smallest cap any randomized assignment of the batch can keep (Jecmen, Zhang, Liu, Shah,
Conitzer and Fang, "Mitigating manipulation in peer review via randomized reviewer
assignments", NeurIPS 2020).

The recipe ``randcheck-matching/3``
-----------------------------------
Details in the explanation page "How officer matching is formulated".

1. **Eligibility.** For each visit, the officers the rules allow: active, with a load cap above
   0, not recused (回避), of a participating department, outside the target's own area when
   所所交叉 is on, and not sent to the same target within the repeat window.
2. **Seats.** Each visit has one seat per requirement (each skill its items need, each
   department of a joint visit 部门联合) and free seats up to its team size; a skill no eligible
   officer holds gets an expert seat (专家库, an extra member). Each requirement is met by its own
   team member, so a team is at least as large as its requirements.
3. **Network.** source → officer (capacity: load cap) → pair (officer, visit) (capacity: the
   pair cap ``q``) → seat the officer may fill (1) → sink (seat size). A team assignment is an
   integral flow that fills every seat; a randomized assignment is a fractional one whose pair
   flows are the pair probabilities.
4. **q\\*.** The smallest ``q`` whose maximum flow fills every seat, found exactly (a fraction)
   by Newton's method on minimum cuts: a cut with capacity ``a + b·q`` gives the next
   ``q = (D − a) / b``, from below, until the flow fills the ``D`` places.
5. **Marginals.** A flow with pair capacity ``⌈q*·2²⁰⌉ / 2²⁰`` (the grid) in units of
   ``2**-20``, loads balanced and spread by successive maximum flows, then the *support step*:
   every pair arc that lies on a cycle of the residual network (some other solution under the
   same cap uses it) gets a positive share (an eighth of the cap where possible), through one
   circulation with lower bounds found by another maximum flow, at a grid ``2**-(20+s)``.
6. **Rounding.** The marginals are rounded to one assignment by :func:`dyadic_round
   <randcheck.matching._lp.dyadic_round>`: bit by bit, odd arcs paired at each node in arc
   order form cycles, and each cycle moves up or down by a fair coin. Each pair is chosen with
   exactly its published marginal; team sizes, requirements and load caps hold every time.

Official coins come from the matching's seed through the child key ``matching`` (see
:mod:`randcheck.randomness`): level ``j`` uses ``child("round").child(str(j))``; its ``i``-th
number (id ``str(i)``) gives 48 coins, bit ``b`` of ``⌊u·2⁵³⌋`` being coin ``48·i + b``. A
simulation takes ``rng`` instead.

Steps 1–5 use no number: :func:`commit_matching` computes them once the visits are known and
fixes them, with the officer directory and the key path, in a commitment
(``randcheck-matching-plan/1``) to publish before the matching's seed exists (a public draw held
after the visits are published, not the one that chose the targets);
``match_officers(..., commitment=)`` and ``verify_matching(..., commitment=)`` hold the
matching to it; :func:`commit_sweep` does the same for :func:`match_by_sweep`
(``randcheck-sweep-plan/1``).

Modules
-------
- :mod:`randcheck.matching.rules`: :class:`MatchingRules`, :class:`Recusals`, the recipe names;
- :mod:`randcheck.matching.assign`: :func:`match_officers`, :func:`commit_matching`,
  :func:`simulate_matching`;
- :mod:`randcheck.matching.records`: :class:`Assignment`, :class:`MatchingRecord`,
  :func:`verify_matching`, :class:`PairProbabilities`, :class:`MatchingSimulation`,
  :class:`TeamColumns` (the team columns and exports both recipes return);
- :mod:`randcheck.matching.sweep`: :func:`match_by_sweep` (recipe
  ``randcheck-matching-sweep/1``, province-scale batches), :func:`commit_sweep`,
  :class:`SweepAssignment`, :class:`SweepRecord`, :func:`verify_sweep`;
- :mod:`randcheck.matching.teaming`: :class:`TeamingTable`, :func:`teaming_table`;
- private: ``_problem`` (the batch as arrays), ``_flow`` (the network, ``q*``, the marginals),
  ``_diagnosis`` (infeasibility reports), ``_rounding`` (coins and rounding), ``_lp`` (max flow,
  dyadic rounding), ``_sweep`` (the sweeps, their draw, chances and load certificate).
"""

from randcheck.matching.assign import commit_matching, match_officers, simulate_matching
from randcheck.matching.records import (
    Assignment,
    MatchingRecord,
    MatchingSimulation,
    PairProbabilities,
    TeamColumns,
    verify_matching,
)
from randcheck.matching.rules import (
    GRID_BITS,
    MATCHING_RECIPE,
    MATCHING_RECIPES,
    MATCHING_RECORD_FORMAT,
    MAX_PAIRS,
    MatchingRules,
    Recusals,
)
from randcheck.matching.sweep import (
    SWEEP_RECIPE,
    SWEEP_RECORD_FORMAT,
    SweepAssignment,
    SweepRecord,
    commit_sweep,
    match_by_sweep,
    verify_sweep,
)
from randcheck.matching.teaming import TeamingTable, teaming_table

__all__ = [
    "GRID_BITS",
    "MATCHING_RECIPE",
    "MATCHING_RECIPES",
    "MATCHING_RECORD_FORMAT",
    "MAX_PAIRS",
    "SWEEP_RECIPE",
    "SWEEP_RECORD_FORMAT",
    "Assignment",
    "MatchingRecord",
    "MatchingRules",
    "MatchingSimulation",
    "PairProbabilities",
    "Recusals",
    "SweepAssignment",
    "SweepRecord",
    "TeamColumns",
    "TeamingTable",
    "commit_matching",
    "commit_sweep",
    "match_by_sweep",
    "match_officers",
    "simulate_matching",
    "teaming_table",
    "verify_matching",
    "verify_sweep",
]
