"""Design-based estimates of the share of enterprises with findings (:func:`estimate_prevalence`).

Estimates describe the *population*: the share of enterprises that would have a finding if all
were inspected. Risk-weighted sampling inspects risky classes more often, so the raw finding rate
of a year's sample (:func:`~randcheck.results.year_figures`) overstates that share; the estimates
weight each inspected enterprise by the inverse of its inclusion probability (Horvitz–Thompson)
or combine per-stratum shares (stratified), and come with standard errors and confidence
intervals.

Every definition, with its formula, is in the documentation page *Year figures and estimates*.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck.errors import PlanError, ResultError
from randcheck.results.table import ResultTable
from randcheck.results.vocabulary import FINDING_CATEGORIES
from randcheck.sampling import Draw

if TYPE_CHECKING:
    from randcheck.roster import TargetRoster


__all__ = ["Estimate", "Estimates", "estimate_prevalence"]


# ------------------------------------------------------------------------------ estimates
@attrs.frozen
class Estimate:
    """The estimated share of enterprises with a finding in one domain.

    Attributes
    ----------
    by, domain : str
        The grouping (``""`` overall, ``"risk_class"``, ``"industry"``, ``"area"``) and the
        domain's label.
    estimate, se : float
        The estimate and its estimated standard error.
    ci_low, ci_high : float
        The confidence interval at ``level``.
    sample : int
        Inspected enterprises in the domain with a known outcome.
    findings : int
        Of them, those with a finding.
    raw : float
        ``findings / sample``: the unweighted finding rate, which overstates the share when
        risky classes are sampled more.
    population : float
        The domain's size used by the estimator (known, or estimated for ``"hajek"``).
    """

    by: str
    domain: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    sample: int
    findings: int
    raw: float
    population: float

    def __str__(self) -> str:
        where = f"[{self.by}={self.domain}] " if self.by else ""
        return (
            f"{where}{self.estimate:.2%} ± {self.se:.2%} "
            f"(CI {self.ci_low:.2%}–{self.ci_high:.2%}; raw {self.raw:.2%} of {self.sample})"
        )


@attrs.frozen(eq=False)
class Estimates:
    """Estimates overall and by domain, from :func:`estimate_prevalence`.

    ``method`` is ``"ht"``, ``"stratified"`` or ``"hajek"``; ``interval`` is ``"normal"`` or
    ``"wilson"``; ``notes`` says where an estimate is weaker (a stratum with a single responding
    unit contributes no variance; a stratum with none leaves its enterprises out).
    """

    rows: tuple[Estimate, ...]
    method: str
    level: float
    interval: str
    notes: tuple[str, ...] = ()

    @property
    def overall(self) -> Estimate:
        """The overall estimate."""
        return self.rows[0]

    def __getitem__(self, domain: str) -> Estimate:
        for e in self.rows:
            if e.domain == domain and e.by:
                return e
        raise KeyError(f"no estimate for domain {domain!r}")

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def to_columns(self) -> dict[str, npt.NDArray[Any]]:
        """A tidy table: by, domain, estimate, se, ci_low, ci_high, sample, findings, raw,
        population, method, level, interval."""
        names = [a.name for a in attrs.fields(Estimate)]
        out: dict[str, npt.NDArray[Any]] = {
            n: np.array(
                [getattr(e, n) for e in self.rows], dtype=object if n in ("by", "domain") else None
            )
            for n in names
        }
        k = len(self.rows)
        out["method"] = np.array([self.method] * k, dtype=object)
        out["level"] = np.full(k, self.level)
        out["interval"] = np.array([self.interval] * k, dtype=object)
        return out

    def to_rows(self) -> list[dict[str, Any]]:
        """The tidy table as one dict per estimate."""
        return [
            {
                **attrs.asdict(e),
                "method": self.method,
                "level": self.level,
                "interval": self.interval,
            }
            for e in self.rows
        ]

    def to_frame(self) -> Any:
        """The tidy table as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns())


def _outcomes(
    drawn: Draw,
    findings: ResultTable | npt.ArrayLike,
    item: str | None,
    finding_categories: Iterable[str],
) -> npt.NDArray[np.float64]:
    """Per drawn unit: 1.0 finding, 0.0 none, NaN unknown."""
    n = len(drawn)
    if not isinstance(findings, ResultTable):
        y = np.asarray(findings, dtype=np.float64)
        if y.shape != (n,):
            raise ResultError(
                f"findings: {y.shape[0] if y.ndim else 'a scalar'} values for a draw of {n} "
                "targets; give one per drawn target (in the draw's order), NaN where unknown"
            )
        bad = np.flatnonzero(~np.isnan(y) & (y != 0) & (y != 1))
        if bad.size:
            raise ResultError(
                f"findings: row {int(bad[0]) + 1}, value {float(y[bad[0]])!r}: expected 0, 1 or NaN"
            )
        return y
    res = findings
    if item is not None:
        res = res.take(res.item == item)
    pos = np.searchsorted(drawn.ids, res.credit_code)
    pos_c = np.minimum(pos, max(n - 1, 0))
    inside = (pos < n) & (drawn.ids[pos_c] == res.credit_code) if n else np.zeros(len(res), bool)
    bad = np.flatnonzero(~inside)
    if bad.size:
        i = int(bad[0])
        more = f" ({bad.size} results in all)" if bad.size > 1 else ""
        raise ResultError(
            f"{res.where(i, 'credit_code', res.credit_code[i].decode())}: this target is not in "
            f"the draw; estimates need results of drawn targets only{more}"
        )
    hit = res.has_finding(finding_categories)
    y = np.full(n, np.nan)
    seen = np.zeros(n, dtype=bool)
    seen[pos_c] = True
    any_hit = np.zeros(n, dtype=bool)
    any_hit[pos_c[hit]] = True
    y[seen] = any_hit[seen].astype(np.float64)
    return y


def _domain_labels(
    drawn: Draw, roster: TargetRoster | None, by: str
) -> tuple[list[str], npt.NDArray[np.intp], npt.NDArray[np.float64] | None]:
    """Domain labels, each drawn unit's domain and the domains' known eligible sizes."""
    if by == "risk_class":
        letters = sorted({s.key[0] for s in drawn.strata})
        index = {c: k for k, c in enumerate(letters)}
        of_stratum = np.array([index[s.key[0]] for s in drawn.strata] or [0], dtype=np.intp)
        sizes = np.zeros(len(letters))
        for s in drawn.strata:
            sizes[index[s.key[0]]] += s.population
        return letters, of_stratum[drawn.stratum], sizes
    if by not in ("industry", "area"):
        raise PlanError(f"by = {by!r}; use 'risk_class', 'industry' or 'area'")
    if roster is None:
        raise PlanError(f"estimates by {by} need the roster the draw was made from (roster=)")
    cat = roster.industry if by == "industry" else roster.area
    eligible = drawn.plan.eligibility.mask(roster)
    sizes = np.bincount(cat.codes[eligible], minlength=len(cat.categories)).astype(np.float64)
    return list(cat.categories), cat.codes[drawn.rows].astype(np.intp), sizes


def estimate_prevalence(
    drawn: Draw | Any,
    findings: ResultTable | npt.ArrayLike,
    *,
    by: str | None = None,
    roster: TargetRoster | None = None,
    method: Literal["ht", "stratified", "hajek"] = "ht",
    level: float = 0.95,
    interval: Literal["normal", "wilson"] = "normal",
    item: str | None = None,
    finding_categories: Iterable[str] = FINDING_CATEGORIES,
    missing: Literal["error", "ignore"] = "error",
) -> Estimates:
    """Estimate the share of eligible enterprises with a finding, from one draw's results.

    Parameters
    ----------
    drawn : Draw or Batch
        The draw the results come from (its inclusion probabilities and strata); for a batch,
        the draw of ``item``.
    findings : ResultTable or array
        The results (a drawn target has a finding when any of its results, for ``item`` if
        given, has one), or one value per drawn target in the draw's order: 1, 0, or NaN for
        unknown.
    by : {"risk_class", "industry", "area"}, optional
        Also estimate per domain. Industry and area need ``roster``.
    roster : TargetRoster, optional
        The roster the draw was made from (for domains other than risk class).
    method : {"ht", "stratified", "hajek"}
        ``"ht"``: Horvitz–Thompson with the design's π and the known domain size;
        ``"stratified"``: the stratified estimator (π = n_h/N_h, realised sizes; equal-probability
        designs only); ``"hajek"``: the ratio Σ y/π ÷ Σ 1/π, estimating the domain size too.
    level : float
        Confidence level of the intervals (default 0.95).
    interval : {"normal", "wilson"}
        Normal-approximation interval, or a Wilson score interval on the effective sample size
        ``p(1−p)/v`` (better near 0 and 1 and for few findings).
    item : str, optional
        Use only this item's results.
    finding_categories : iterable of str
        Result categories that count as a finding.
    missing : {"error", "ignore"}
        A drawn target without a result raises (default); ``"ignore"`` drops it and reweights
        its stratum's respondents (π × responding / drawn), assuming results are missing at
        random within a stratum.

    Returns
    -------
    Estimates

    Raises
    ------
    ResultError
        A result for a target not in the draw (naming the row); a drawn target without a
        result (with ``missing="error"``); bad ``findings`` values.
    PlanError
        ``method="stratified"`` on a πps design; an unknown ``by``, ``method`` or ``interval``.

    Notes
    -----
    The variance of ``Σ z_i/π_i`` is estimated per stratum ``h`` by the Hájek–Deville
    approximation for high-entropy fixed-size designs

    ``v = Σ_h m_h/(m_h−1) Σ_{i∈h} (1−π_i)(z_i/π_i − B_h)²``, with
    ``B_h = Σ (1−π_i) z_i/π_i ÷ Σ (1−π_i)``,

    where ``m_h`` is the number of responding units in the stratum. With equal π within a stratum
    it is exactly the unbiased stratified SRS formula ``N_h²(1−f_h) s_h²/n_h``. ``z_i`` is
    ``y_i/N_d`` in the domain (HT, stratified) or ``(y_i − p̂)/N̂_d`` (Hájek, linearised).

    Examples
    --------
    >>> from randcheck.results import estimate_prevalence
    >>> county = randcheck.example_county()
    >>> plan = randcheck.SamplingPlan.from_preset("henan-2021")
    >>> d = randcheck.draw(county.targets, plan, seed="2023 示例")
    >>> y = (d.inclusion_probabilities > 0.05).astype(float)  # say: a finding in C and D only
    >>> e = estimate_prevalence(d, y, method="stratified", by="risk_class")
    >>> round(e.overall.estimate, 4), round(e.overall.raw, 4)
    (0.1, 0.5591)

    C and D hold 10% of the eligible enterprises: the estimate finds it, while the raw finding
    rate of the risk-weighted sample is 56%.
    """
    drawn = _draw_of(drawn, item)
    _check_options(drawn, method, interval, level)
    y = _outcomes(drawn, findings, item, finding_categories)
    known = ~np.isnan(y)
    if missing == "error" and not known.all():
        k = int(np.flatnonzero(~known)[0])
        raise ResultError(
            f"the drawn target {drawn.ids[k].decode()} has no result ({int((~known).sum())} "
            "drawn targets in all); enter them, or pass missing='ignore' to reweight within "
            "strata"
        )
    pi, notes = _response_probabilities(drawn, known, method)
    st = drawn.stratum.astype(np.intp)
    sample = _Responses(
        y[known],
        pi[known],
        st[known],
        len(drawn.strata),
        method,
        interval,
        NormalDist().inv_cdf(0.5 + level / 2.0),
    )
    total_pop = float(sum(s.population for s in drawn.strata))
    rows = [sample.estimate("", "", np.ones(sample.y.shape[0], dtype=bool), total_pop)]
    if by is not None:
        labels, dom, sizes = _domain_labels(drawn, roster, by)
        dk = dom[known]
        for j, label in enumerate(labels):
            if sizes is not None and sizes[j] == 0 and not (dk == j).any():
                continue
            rows.append(
                sample.estimate(by, label, dk == j, None if sizes is None else float(sizes[j]))
            )
    return Estimates(tuple(rows), method, level, interval, tuple(notes))


def _draw_of(drawn: Draw | Any, item: str | None) -> Draw:
    """The draw itself, or a batch's draw of ``item``."""
    if not isinstance(drawn, Draw):
        draws = getattr(drawn, "draws", None)
        if not isinstance(draws, Mapping):
            raise TypeError(f"drawn: expected a Draw (or a Batch with item=), got {drawn!r}")
        if item is None or item not in draws:
            raise ResultError(
                "drawn: a batch holds one draw per item; pass item= with one of "
                + ", ".join(sorted(draws))
            )
        drawn = draws[item]
    return drawn


def _check_options(drawn: Draw, method: str, interval: str, level: float) -> None:
    if method not in ("ht", "stratified", "hajek"):
        raise PlanError(f"method = {method!r}; use 'ht', 'stratified' or 'hajek'")
    if interval not in ("normal", "wilson"):
        raise PlanError(f"interval = {interval!r}; use 'normal' or 'wilson'")
    if not 0.0 < level < 1.0:
        raise PlanError(f"level = {level!r} must be between 0 and 1")
    if method == "stratified" and drawn.plan.within != "equal":
        raise PlanError(
            "method='stratified' needs equal probabilities within strata; this draw is πps: "
            "use method='ht' or 'hajek'"
        )


def _response_probabilities(
    drawn: Draw, known: npt.NDArray[np.bool_], method: str
) -> tuple[npt.NDArray[np.float64], list[str]]:
    """Each drawn unit's π, reweighted for its stratum's response, and notes on thin strata."""
    k_strata = len(drawn.strata)
    st = drawn.stratum.astype(np.intp)
    drawn_n = np.bincount(st, minlength=k_strata)
    resp_n = np.bincount(st[known], minlength=k_strata)
    pop = np.array([s.population for s in drawn.strata], dtype=np.float64)
    if method == "stratified":
        pi = resp_n[st] / np.maximum(pop[st], 1.0)
    else:
        pi = drawn.inclusion_probabilities * (resp_n[st] / np.maximum(drawn_n[st], 1))
    notes: list[str] = []
    for h, s in enumerate(drawn.strata):
        label = "/".join(s.key)
        if s.population and resp_n[h] == 0:
            notes.append(
                f"stratum {label}: no inspected target with a result; its {s.population} "
                "enterprises contribute nothing to the estimate"
            )
        elif resp_n[h] == 1 and pi[st == h].min(initial=1.0) < 1.0:
            notes.append(f"stratum {label}: one responding target; no variance contribution")
    return pi, notes


@attrs.frozen(eq=False)
class _Responses:
    """The responding drawn units (outcome, π, stratum) and how to estimate from them."""

    y: npt.NDArray[np.float64]
    pi: npt.NDArray[np.float64]
    stratum: npt.NDArray[np.intp]
    k_strata: int
    method: str
    interval: str
    z: float  # the normal quantile of the level

    def estimate(
        self, by_name: str, label: str, d: npt.NDArray[np.bool_], size: float | None
    ) -> Estimate:
        """The estimate for the domain ``d`` (a mask of the responding units)."""
        yk, pik = self.y, self.pi
        w = d / pik
        total = float((w * yk).sum())
        n_hat = float(w.sum())
        if self.method == "hajek" or size is None:
            n_d = n_hat
            p = total / n_d if n_d > 0 else math.nan
            z = d * (yk - (0.0 if math.isnan(p) else p)) / (n_d if n_d > 0 else 1.0)
        else:
            n_d = size
            p = total / n_d if n_d > 0 else math.nan
            z = d * yk / (n_d if n_d > 0 else 1.0)
        v = _variance(z, pik, self.stratum, self.k_strata)
        se = math.sqrt(v)
        m = int(d.sum())
        hits = int((d & (yk == 1)).sum())
        if m == 0:  # nothing observed in the domain: not estimable
            p = se = math.nan
        lo, hi = _interval(p, v, m, self.z, self.interval)
        return Estimate(by_name, label, p, se, lo, hi, m, hits, hits / m if m else math.nan, n_d)


def _variance(
    z: npt.NDArray[np.float64],
    pi: npt.NDArray[np.float64],
    st: npt.NDArray[np.intp],
    k: int,
) -> float:
    """Hájek–Deville variance of Σ z/π, summed over strata (see :func:`estimate_prevalence`)."""
    if z.shape[0] == 0:
        return 0.0
    q = 1.0 - pi
    e = z / pi
    m = np.bincount(st, minlength=k).astype(np.float64)
    sq = np.bincount(st, weights=q, minlength=k)
    b = np.divide(np.bincount(st, weights=q * e, minlength=k), sq, out=np.zeros(k), where=sq > 0)
    ss = np.bincount(st, weights=q * (e - b[st]) ** 2, minlength=k)
    c = np.divide(m, m - 1.0, out=np.zeros(k), where=m > 1)
    return float(max((c * ss).sum(), 0.0))


def _interval(p: float, v: float, m: int, z: float, kind: str) -> tuple[float, float]:
    if math.isnan(p):
        return math.nan, math.nan
    if kind == "normal":
        half = z * math.sqrt(v)
        return min(max(0.0, p - half), p), max(min(1.0, p + half), p)
    pc = min(max(p, 0.0), 1.0)  # HT can step outside [0, 1]; Wilson needs a proportion
    n_eff = pc * (1.0 - pc) / v if v > 0 and 0.0 < pc < 1.0 else float(max(m, 1))
    z2 = z * z
    centre = (pc + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = z * math.sqrt(pc * (1 - pc) / n_eff + z2 / (4 * n_eff * n_eff)) / (1 + z2 / n_eff)
    return min(max(0.0, centre - half), p), max(min(1.0, centre + half), p)
