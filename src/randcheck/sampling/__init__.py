"""Target sampling (双随机 #1): risk-differentiated stratified draws, exact inclusion probabilities.

The design (recipe ``randcheck-draw/2``) in five steps; the explanation page works through it.
"Stratum order" below is the order of strata by their labels (step 2).

1. **Eligibility** (定向 / 不定向). A target is eligible when it matches the plan's
   :class:`Eligibility` (industries, tags, areas, risk classes, statuses) and is not 注销 / 吊销 /
   撤销 / 迁出 (by default) and was not inspected within the plan's repeat window.
2. **Strata.** Eligible targets are grouped by risk class, optionally crossed with industry and
   area, and, when the plan gives raised attention (经营异常名录, complaints) its own treatment, by
   an attention flag (``abnormal``, or ``complaints ≥ attention_min_complaints``). A stratum's
   key lists its labels in the order of ``plan.strata``, then the flag (``""`` or ``关注``);
   strata are ordered by their keys as tuples of Python strings, the separate ``关注`` stratum
   (``attention="stratum"``) last; only non-empty strata exist.
3. **Expected sizes** ``x_h`` per stratum, with the lower bound ``L_h = min(N_h, m)``, where
   ``m`` is ``min_per_stratum``, raised to 1 by ``no_exemption`` (不免抽). Per-class rates:
   ``x_h = max(L_h, N_h·min(1, r·f))`` with ``f`` the attention multiplier of the sub-stratum
   (1 otherwise). An overall rate: ``fill_to_total`` with weights ``N_h·mult·f`` up to
   ``max(rate·ΣN_h, ΣL_h)``. A fixed total: ``fill_to_total`` with weights ``N_h`` (proportional),
   ``N_h·√(p(1−p))`` (Neyman) or 1 (equal), times ``f``. Computed in plain Python floats over
   strata, sums left to right (see :func:`randcheck.sampling.allocation.fill_to_total`).
4. **Sizes** ``n_h``: ``x_h`` rounded up or down at random, with ``E[n_h] = x_h`` exactly. Let
   ``R`` be the child key ``"rounding"`` of the unit key (step 5). Without a fixed total, each
   stratum has its own start ``u_h``, the number of the id ``json.dumps(key, ensure_ascii=False,
   separators=(",", ":"))`` (the stratum's key as a JSON list, e.g. ``["A",""]``) under ``R``,
   and ``n_h = ⌊x_h⌋ + (1 if u_h < x_h − ⌊x_h⌋ else 0)``
   (:func:`randcheck.sampling.allocation.independent_rounding`): a stratum's size depends on its own
   ``x_h`` alone and never decreases as it grows, so for one seed a draw at lower rates is a
   subset of a draw at higher rates (nested samples). With a fixed ``total``, systematic
   rounding (:func:`randcheck.sampling.allocation.systematic_rounding`) with one start, the
   number of the id ``"start"`` under ``R``, so that ``Σ n_h`` equals the total exactly. Each unit's
   inclusion probability is therefore ``x_h / N_h``: the stated rate, not a rounded one.
   ``n_h`` is then capped at ``N_h``.
5. **Selection.** Each eligible target has a uniform number ``u`` (recipe ``randcheck-prn/2``,
   key: the child ``stream`` of the draw's source, by default the key path ``("units",)``;
   id: its credit code). Within a stratum:

   - *Equal probability*: the ``n_h`` targets with the smallest ``u`` (a simple random sample
     without replacement).
   - *πps* (``within="pps"``), with each target's score ``s_i > 0`` from ``size_column``:
     if ``n_h ≥ N_h`` every target has ``λ_i = 1``; otherwise start with no target capped and
     repeat: ``m = n_h −`` (number capped); ``T = math.fsum`` of the scores of the targets not
     capped (the correctly rounded exact sum, so row order cannot change it);
     ``c = m / T`` if ``m > 0`` and some target is not capped, else ``c = 0.0``; cap every
     not-capped target with ``c * s_i >= 1.0``; stop when none is newly capped. Then
     ``λ_i = 1.0`` for capped targets and ``λ_i = c * s_i`` for the others (take-all capping).
     The rank is ``ξ_i = (u_i * (1.0 - λ_i)) / ((1.0 - u_i) * λ_i)`` in float64 (Rosén's
     Pareto πps); ``ξ_i = 0`` when ``λ_i = 1`` and ``+∞`` when ``λ_i = 0``. The stratum takes
     the ``n_h`` smallest ranks.

   Equal numbers or ranks in a stratum are ordered by credit code (bytes, ascending).
   :attr:`Stratum.size_total` records ``T`` before capping (``math.fsum`` of the stratum's
   scores).

Inclusion probabilities (:attr:`Draw.inclusion_probabilities`, :func:`inclusion_probabilities`):
equal-probability strata give the exact ``π_i = x_h / N_h``. πps strata give the design's target
``π_i = (1 − φ_h)·λ_i(⌊x_h⌋) + φ_h·λ_i(⌊x_h⌋ + 1)`` with ``φ_h = x_h − ⌊x_h⌋`` and ``λ_i(n)``
the step-5 value for sample size ``n`` (capped at ``N_h``). Pareto πps attains its targets only
approximately: the true probabilities differ from ``λ_i`` by a small amount that shrinks as
``n_h`` grows (Rosén 1997; Aires 2000), typically under 2% relative for ``n_h ≥ 10`` when no
``λ_i`` is close to 1; capped targets (``λ_i = 1``) are drawn with certainty.

Simulations (``rng=``) use the same design with numpy's numbers: every target's number is an
independent uniform, generated only where it can matter, and score totals are plain floating-point
sums (they may differ from ``math.fsum`` in the last bit). They are not publicly verifiable. The
part of a simulation that uses no random number (steps 1–3, the score totals and the stratum of
every eligible target) is kept on the roster for its last four plans, keyed by
:meth:`SamplingPlan.digest`, so replicate simulations on one roster and plan only draw numbers and
select; the numbers and the sample are the same as without it. Official draws never use it.
"""

from randcheck.sampling.commitment import Commitment, commit
from randcheck.sampling.draws import UNCOMMITTED_WARNING, draw
from randcheck.sampling.ondask import draw_dask, verify_dask
from randcheck.sampling.outofcore import draw_parquet, verify_parquet
from randcheck.sampling.plan import (
    COMMITMENT_RECIPE,
    DRAW_RECIPE,
    PLAN_FORMAT,
    RATE_PRESETS,
    RECEIPT_FORMAT,
    SAMPLE_RECIPE,
    Eligibility,
    RatePreset,
    SamplingPlan,
    Stratum,
)
from randcheck.sampling.probabilities import inclusion_probabilities
from randcheck.sampling.records import Draw, Receipt
from randcheck.sampling.replay import verify

__all__ = [
    "COMMITMENT_RECIPE",
    "DRAW_RECIPE",
    "PLAN_FORMAT",
    "RATE_PRESETS",
    "RECEIPT_FORMAT",
    "SAMPLE_RECIPE",
    "UNCOMMITTED_WARNING",
    "Commitment",
    "Draw",
    "Eligibility",
    "RatePreset",
    "Receipt",
    "SamplingPlan",
    "Stratum",
    "commit",
    "draw",
    "draw_dask",
    "draw_parquet",
    "inclusion_probabilities",
    "verify",
    "verify_dask",
    "verify_parquet",
]
