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
   strata, sums left to right (see :func:`randcheck._allocation.fill_to_total`).
4. **Sizes** ``n_h``: ``x_h`` rounded up or down at random, with ``E[n_h] = x_h`` exactly. Let
   ``R`` be the child key ``"rounding"`` of the unit key (step 5). Without a fixed total, each
   stratum has its own start ``u_h``, the number of the id ``json.dumps(key, ensure_ascii=False,
   separators=(",", ":"))`` (the stratum's key as a JSON list, e.g. ``["A",""]``) under ``R``,
   and ``n_h = ⌊x_h⌋ + (1 if u_h < x_h − ⌊x_h⌋ else 0)``
   (:func:`randcheck._allocation.independent_rounding`): a stratum's size depends on its own
   ``x_h`` alone and never decreases as it grows, so for one seed a draw at lower rates is a
   subset of a draw at higher rates (nested samples). With a fixed ``total``, systematic
   rounding (:func:`randcheck._allocation.systematic_rounding`) with one start, the number of
   the id ``"start"`` under ``R``, so that ``Σ n_h`` equals the total exactly. Each unit's
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

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar, Literal, Protocol

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _allocation, _tables
from randcheck._dates import CHINA_TZ, to_optional_date
from randcheck._progress import ProgressArg
from randcheck._records import JsonRecord, at, field_error, first_difference, read_object
from randcheck._version import library
from randcheck.errors import PlanError, VerificationError
from randcheck.models import INACTIVE_STATUSES, RiskClass
from randcheck.randomness import (
    LABEL_ROUNDING,
    LABEL_START,
    LABEL_UNITS,
    PRN_RECIPE,
    HashSource,
    UniformSource,
    check_path,
    normalise_seed,
    sorted_ids_digest,
    source_for,
    stratum_label,
)
from randcheck.randomness.hashing import SLICE_ROWS, uniforms_in_parallel
from randcheck.randomness.seeds import SeedRule
from randcheck.randomness.select import (
    code_counts,
    code_order,
    code_type,
    cuts_at_most,
    smallest_per_stratum,
)
from randcheck.roster import (
    RISK_LETTERS,
    Categorical,
    TargetRoster,
    fingerprint_jobs,
    seal_fingerprint,
)

__all__ = [
    "DRAW_RECIPE",
    "RATE_PRESETS",
    "Commitment",
    "Draw",
    "Eligibility",
    "RatePreset",
    "Receipt",
    "SamplingPlan",
    "Stratum",
    "commit",
    "draw",
    "inclusion_probabilities",
    "verify",
]

DRAW_RECIPE = "randcheck-draw/2"
PLAN_FORMAT = "randcheck-plan/1"
RECEIPT_FORMAT = "randcheck-receipt/2"
SAMPLE_RECIPE = "randcheck-sample/1"
COMMITMENT_RECIPE = "randcheck-commitment/2"
ATTENTION_LABEL = "关注"
_STRATA_COLUMNS = ("risk_class", "industry", "area")


def _opt_tuple(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return tuple(sorted({str(v) for v in value}))


def _whole(value: Any, what: str) -> int | None:
    """A whole number (``30`` or ``30.0`` from JSON), kept as ``int``; None passes."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise PlanError(f"{what} = {value!r} must be a whole number")
    return int(value)


def _whole_days(value: Any) -> int | None:
    return _whole(value, "eligibility.recent_days")


def _whole_minimum(value: Any) -> int:
    whole = _whole(value, "min_per_stratum")
    return 0 if whole is None else whole


def _class_letters(value: Iterable[Any] | str | None) -> tuple[str, ...] | None:
    """Risk classes as sorted letters ("较高", "c", "C类" all become "C")."""
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    letters = set()
    for v in value:
        try:
            letters.add(RiskClass.parse(v).value)
        except ValueError as exc:
            raise PlanError(f"eligibility.risk_classes: {exc}") from None
    return tuple(sorted(letters))


def _class_table(
    value: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None,
) -> tuple[tuple[str, float], ...] | None:
    if value is None:
        return None
    pairs = value.items() if isinstance(value, Mapping) else value
    out: dict[str, float] = {}
    for k, v in pairs:
        try:
            letter = RiskClass.parse(k).value
        except ValueError as exc:
            raise PlanError(str(exc)) from None
        out[letter] = _fraction(v, f"class {letter}")
    return tuple(sorted(out.items()))


def _fraction(value: Any, what: str) -> float:
    """A rate or multiplier given as a number, a numeric string or a percentage ("20%")."""
    try:
        text = str(value).strip()
        return float(text[:-1]) / 100 if text.endswith("%") else float(value)
    except (TypeError, ValueError):
        raise PlanError(f"{what}: {value!r} is not a number (use 0.2 or '20%')") from None


def _sorted_set(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    return tuple(sorted({str(v) for v in value}))


@attrs.frozen
class Eligibility:
    """Which targets a plan may draw (定向 when any condition is set, 不定向 otherwise).

    Parameters
    ----------
    industries, tags, areas : tuple of str, optional
        Keep targets in these industries / with any of these tags / in these area codes.
    area_prefix : str, optional
        Keep area codes starting with this prefix (``"1306"``: a prefecture).
    risk_classes : tuple of str, optional
        Keep only these classes.
    statuses : tuple of str, optional
        Keep only these registration statuses.
    exclude_statuses : tuple of str
        Statuses never drawn; default 注销, 吊销, 撤销, 迁出.
    recent_days : int, optional
        Leave out targets whose ``last_inspected`` is later than ``as_of − recent_days`` (avoid
        重复检查): a target inspected exactly ``recent_days`` days before ``as_of`` is eligible
        again, and one with a date after ``as_of`` stays out. ``as_of`` is required with it.
    as_of : datetime.date, optional
        Reference date for ``recent_days``.
    """

    industries: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    tags: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    areas: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    area_prefix: str | None = None
    risk_classes: tuple[str, ...] | None = attrs.field(default=None, converter=_class_letters)
    statuses: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    exclude_statuses: tuple[str, ...] = attrs.field(
        default=tuple(sorted(INACTIVE_STATUSES)), converter=_sorted_set
    )
    recent_days: int | None = attrs.field(default=None, converter=_whole_days)
    as_of: dt.date | None = attrs.field(default=None, converter=to_optional_date)

    def __attrs_post_init__(self) -> None:
        if self.recent_days is not None:
            if self.recent_days < 0:
                raise PlanError(f"eligibility.recent_days must be ≥ 0, got {self.recent_days}")
            if self.as_of is None:
                raise PlanError("eligibility.recent_days needs as_of, the date the window ends")
        if self.risk_classes is not None:
            for rc in self.risk_classes:
                try:
                    RiskClass.parse(rc)
                except ValueError as exc:
                    raise PlanError(f"eligibility.risk_classes: {exc}") from None

    def mask(self, roster: TargetRoster) -> npt.NDArray[np.bool_]:
        """Eligible rows of ``roster``."""
        m = roster.mask(
            industry=self.industries,
            area=self.areas,
            area_prefix=self.area_prefix,
            tags=self.tags,
            status=self.statuses,
            risk_class=self.risk_classes,
        )
        if self.exclude_statuses:
            m &= ~roster.status.mask(self.exclude_statuses)
        if self.recent_days is not None and self.as_of is not None:
            cutoff = np.datetime64(self.as_of, "D") - np.timedelta64(self.recent_days, "D")
            last = roster.last_inspected
            m &= ~(~np.isnat(last) & (last > cutoff))
        return m

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self)
        d["as_of"] = None if self.as_of is None else self.as_of.isoformat()
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


@attrs.frozen
class RatePreset:
    """A published per-class sampling table, with its source.

    ``ranges`` maps each class to ``(low, high)``; a single published value has low = high.
    """

    name: str
    source: str
    ranges: tuple[tuple[str, tuple[float, float]], ...]
    note: str = ""

    def rates(self, point: Literal["low", "mid", "high"] = "mid") -> dict[str, float]:
        """Per-class rates at the low end, middle or high end of each published range."""
        out = {}
        for k, (lo, hi) in self.ranges:
            v = lo if point == "low" else hi if point == "high" else (lo + hi) / 2
            out[k] = round(v, 6)
        return out


#: Published per-class tables (see DOMAIN.md). Open bounds ("< 3%", "> 80%") use the bound.
RATE_PRESETS: dict[str, RatePreset] = {
    p.name: p
    for p in (
        RatePreset(
            "lindian-2024",
            "Lindian county, Heilongjiang, 2024 plan",
            (("A", (0.0, 0.05)), ("B", (0.05, 0.20)), ("C", (0.21, 0.60)), ("D", (0.61, 1.0))),
            "A ≤ 5% and < 1×/yr, B 5–20% 1×/yr, C 21–60% < 2×/yr, D 61–100%",
        ),
        RatePreset(
            "yancheng-2022",
            "Yancheng, Jiangsu, 2022",
            (("A", (0.03, 0.03)), ("B", (0.03, 0.20)), ("C", (0.30, 0.50)), ("D", (0.80, 0.80))),
            "A < 3%, B 3–20%, C 30–50%, D > 80% (open bounds taken at the bound)",
        ),
        RatePreset(
            "bayannur-2022",
            "Bayannur, Inner Mongolia, 2022",
            (("A", (0.02, 0.02)), ("B", (0.05, 0.05)), ("C", (1.0, 1.0)), ("D", (1.0, 1.0))),
        ),
        RatePreset(
            "henan-2021",
            "Henan, 2021 (four risk bands)",
            (("A", (0.01, 0.01)), ("B", (0.02, 0.02)), ("C", (0.10, 0.10)), ("D", (0.30, 0.30))),
        ),
    )
}


@attrs.frozen
class SamplingPlan:
    """What to draw, from which strata, at which rates: frozen, and serialisable to JSON.

    Give exactly one of ``rates`` (per risk class), ``overall_rate`` (spread over classes by
    ``multipliers``) or ``total`` (a fixed sample size, allocated by ``allocation``).

    Parameters
    ----------
    name : str
        A label, e.g. the item code; recorded in the receipt.
    eligibility : Eligibility
        Which targets may be drawn.
    strata : tuple of str
        ``("risk_class",)`` (default), optionally with ``"industry"`` and/or ``"area"``.
    rates : mapping of class to float, optional
        Per-class inclusion rates in [0, 1], e.g. ``{"A": 0.02, "B": 0.05, "C": 0.2, "D": 1}``.
    overall_rate : float, optional
        Share of all eligible targets to draw (e.g. 0.03), spread over classes in proportion
        to ``multipliers`` (default all 1), capped at 100% per stratum.
    multipliers : mapping of class to float, optional
        Relative rates per class for ``overall_rate`` (e.g. A 0.5, B 1, C 3, D 6).
    total : int, optional
        Exact sample size.
    allocation : {"proportional", "neyman", "equal"}
        How ``total`` is spread: proportional to stratum size; Neyman-type, proportional to
        ``N_h·√(p_h(1−p_h))`` with ``prevalence`` p per class; or equal per stratum.
    prevalence : mapping of class to float, optional
        Assumed violation prevalence per class, for Neyman allocation.
    min_per_stratum : int
        Every non-empty stratum gets at least this many (all of it if smaller).
    no_exemption : bool
        不免抽: every non-empty stratum gets at least one.
    within : {"equal", "pps"}
        Equal probability within a stratum, or probability proportional to ``size_column``.
    size_column : str, optional
        The roster's own numeric column (e.g. ``"risk_score"``) for ``within="pps"``.
    attention : {"none", "multiplier", "stratum"}
        Raised attention for targets on the 经营异常名录 or with complaints: their rate
        multiplied by ``attention_multiplier`` (capped at 1) in their own sub-stratum, or one
        separate stratum (``关注``). With per-class ``rates`` the 关注 stratum is drawn at
        ``attention_rate`` (required); with ``overall_rate`` or ``total`` it is allocated like a
        class with multiplier 1 (in proportion to its size), and ``attention_rate`` is not
        used. A target has raised attention when it is on the 经营异常名录 (``abnormal``) or
        has at least ``attention_min_complaints`` complaints.
    attention_min_complaints : int
        Complaints that count as raised attention (default 1).

    Examples
    --------
    >>> plan = SamplingPlan(name="SW-01", rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.3})
    >>> SamplingPlan.from_json(plan.to_json()) == plan
    True
    """

    name: str = ""
    eligibility: Eligibility = attrs.field(factory=Eligibility)
    strata: tuple[str, ...] = attrs.field(default=("risk_class",), converter=tuple)
    rates: tuple[tuple[str, float], ...] | None = attrs.field(default=None, converter=_class_table)
    overall_rate: float | None = None
    multipliers: tuple[tuple[str, float], ...] | None = attrs.field(
        default=None, converter=_class_table
    )
    total: int | None = None
    allocation: str = "proportional"
    prevalence: tuple[tuple[str, float], ...] | None = attrs.field(
        default=None, converter=_class_table
    )
    min_per_stratum: int = attrs.field(default=0, converter=_whole_minimum)
    no_exemption: bool = False
    within: str = "equal"
    size_column: str | None = None
    attention: str = "none"
    attention_multiplier: float = 2.0
    attention_rate: float | None = None
    attention_min_complaints: int = 1

    def __attrs_post_init__(self) -> None:
        given = [k for k in ("rates", "overall_rate", "total") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PlanError(
                "give exactly one of rates (per class), overall_rate or total; got "
                + (", ".join(given) if given else "none")
            )
        if (
            not self.strata
            or self.strata[0] != "risk_class"
            or len(set(self.strata)) != len(self.strata)
            or any(s not in _STRATA_COLUMNS for s in self.strata)
        ):
            raise PlanError(
                f"strata: {self.strata!r} is not allowed; use ('risk_class',) optionally "
                "followed by 'industry' and/or 'area'"
            )
        for field in ("rates", "prevalence"):
            for k, v in getattr(self, field) or ():
                if not 0.0 <= v <= 1.0 or math.isnan(v):
                    raise PlanError(f"{field}[{k!r}] = {v} is outside [0, 1]")
        for k, v in self.multipliers or ():
            if not v >= 0 or math.isinf(v):
                raise PlanError(f"multipliers[{k!r}] = {v} must be a finite number ≥ 0")
        if self.overall_rate is not None and not 0.0 <= self.overall_rate <= 1.0:
            raise PlanError(f"overall_rate = {self.overall_rate} is outside [0, 1]")
        if self.multipliers is not None and self.overall_rate is None:
            raise PlanError("multipliers go with overall_rate")
        if self.total is not None and (
            isinstance(self.total, bool)
            or not isinstance(self.total, (int, float))
            or not math.isfinite(self.total)
            or self.total < 0
            or int(self.total) != self.total
        ):
            raise PlanError(f"total = {self.total} must be a whole number ≥ 0")
        if self.allocation not in ("proportional", "neyman", "equal"):
            raise PlanError(
                f"allocation = {self.allocation!r}; use 'proportional', 'neyman' or 'equal'"
            )
        if self.allocation == "neyman" and self.prevalence is None:
            raise PlanError("Neyman allocation needs prevalence per class (e.g. {'A': 0.02, …})")
        if self.min_per_stratum < 0:
            raise PlanError(f"min_per_stratum = {self.min_per_stratum} must be ≥ 0")
        if self.within not in ("equal", "pps"):
            raise PlanError(f"within = {self.within!r}; use 'equal' or 'pps'")
        if self.within == "pps" and not self.size_column:
            raise PlanError("within='pps' needs size_column, the roster column of scores")
        if self.attention not in ("none", "multiplier", "stratum"):
            raise PlanError(
                f"attention = {self.attention!r}; use 'none', 'multiplier' or 'stratum'"
            )
        if self.attention == "multiplier" and not self.attention_multiplier >= 1.0:
            raise PlanError(
                f"attention_multiplier = {self.attention_multiplier} must be ≥ 1 (it raises)"
            )
        if self.attention == "stratum" and self.rates is not None and self.attention_rate is None:
            raise PlanError("attention='stratum' with per-class rates needs attention_rate")
        if self.attention_rate is not None and not 0.0 <= self.attention_rate <= 1.0:
            raise PlanError(f"attention_rate = {self.attention_rate} is outside [0, 1]")

    @classmethod
    def from_preset(
        cls, preset: str, point: Literal["low", "mid", "high"] = "mid", **kwargs: Any
    ) -> SamplingPlan:
        """A plan with the per-class rates of a published table in :data:`RATE_PRESETS`.

        Examples
        --------
        >>> SamplingPlan.from_preset("henan-2021").rates
        (('A', 0.01), ('B', 0.02), ('C', 0.1), ('D', 0.3))
        """
        if preset not in RATE_PRESETS:
            raise PlanError(f"unknown preset {preset!r}; known: {', '.join(RATE_PRESETS)}")
        return cls(rates=RATE_PRESETS[preset].rates(point), **kwargs)

    # --------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``format``: ``randcheck-plan/1``)."""
        d: dict[str, Any] = {"format": PLAN_FORMAT}
        for a in attrs.fields(SamplingPlan):
            v = getattr(self, a.name)
            if a.name == "eligibility":
                v = v.to_dict()
            elif a.name in ("rates", "multipliers", "prevalence") and v is not None:
                v = dict(v)
            elif isinstance(v, tuple):
                v = list(v)
            d[a.name] = v
        return d

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces, UTF-8 characters kept."""
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SamplingPlan:
        """Read :meth:`to_dict` output; unknown keys are an error."""
        d = dict(data)
        fmt = d.pop("format", PLAN_FORMAT)
        if fmt != PLAN_FORMAT:
            raise PlanError(f"plan format {fmt!r} is not {PLAN_FORMAT!r}")
        known = {a.name for a in attrs.fields(SamplingPlan)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise PlanError(f"unknown plan field(s): {', '.join(unknown)}")
        if "eligibility" in d:
            e = dict(d["eligibility"])
            known_e = {a.name for a in attrs.fields(Eligibility)}
            bad = sorted(set(e) - known_e)
            if bad:
                raise PlanError(f"unknown eligibility field(s): {', '.join(bad)}")
            d["eligibility"] = Eligibility(**e)
        try:
            return cls(**d)
        except TypeError as exc:
            raise PlanError(f"plan: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> SamplingPlan:
        """Read :meth:`to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanError(f"plan JSON: {exc}") from None
        return cls.from_dict(data)

    def digest(self) -> str:
        """``sha256:`` + SHA-256 of :meth:`to_json` (UTF-8)."""
        return "sha256:" + hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def rate_of(self, table: str, letter: str) -> float | None:
        """The value of ``rates``/``multipliers``/``prevalence`` for a class, if given."""
        for k, v in getattr(self, table) or ():
            if k == letter:
                return float(v)
        return None


@attrs.frozen
class Stratum:
    """One stratum of a draw: its labels, population ``N_h``, expected and drawn sizes.

    ``probability`` is every member's inclusion probability for equal-probability designs
    (``expected / population``); for πps it is the stratum's mean. ``size_total`` is the
    stratum's total score (πps only): ``math.fsum`` of its scores in an official draw, a
    floating-point sum in a simulation.
    """

    key: tuple[str, ...]
    population: int
    expected: float
    size: int
    probability: float
    size_total: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": list(self.key),
            "population": self.population,
            "expected": self.expected,
            "size": self.size,
            "probability": self.probability,
            "size_total": self.size_total,
        }


#: A stratum as a receipt records it (:meth:`Stratum.to_dict`): field → JSON type.
_STRATUM_FIELDS: Mapping[str, Any] = {
    "key": list[str],
    "population": int,
    "expected": float,
    "size": int,
    "probability": float,
    "size_total": float | None,
}


#: A plan as records hold it (:meth:`SamplingPlan.to_dict`): field → JSON type.
_PLAN_FIELDS: Mapping[str, Any] = {
    "format": str,
    "name": str,
    "eligibility": dict[str, Any],
    "strata": list[str],
    "rates": dict[str, float] | None,
    "overall_rate": float | None,
    "multipliers": dict[str, float] | None,
    "total": int | None,
    "allocation": str,
    "prevalence": dict[str, float] | None,
    "min_per_stratum": int,
    "no_exemption": bool,
    "within": str,
    "size_column": str | None,
    "attention": str,
    "attention_multiplier": float,
    "attention_rate": float | None,
    "attention_min_complaints": int,
}
_ELIGIBILITY_FIELDS: Mapping[str, Any] = {
    "industries": list[str] | None,
    "tags": list[str] | None,
    "areas": list[str] | None,
    "area_prefix": str | None,
    "risk_classes": list[str] | None,
    "statuses": list[str] | None,
    "exclude_statuses": list[str],
    "recent_days": int | None,
    "as_of": str | None,
}


def _check_plan_record(data: Mapping[str, Any], label: str, path: str) -> None:
    """A plan inside a record: its fields and their JSON types, valid, and in canonical form.

    Any other spelling (``"a"`` for ``"A"``, ``"20%"`` for 0.2, ``0`` for ``false``, lists out
    of order) could be read two ways, and would change the plan's digest.
    """
    read_object(data, _PLAN_FIELDS, label, path)
    read_object(data["eligibility"], _ELIGIBILITY_FIELDS, label, at(path, "eligibility"))
    try:
        plan = SamplingPlan.from_dict(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise field_error(label, path, f"is not a valid sampling plan: {exc}") from None
    where = first_difference(plan.to_dict(), data, path)
    if where is not None:
        raise field_error(
            label,
            where,
            "not written as randcheck writes this plan (its canonical form: valid labels, "
            "sorted lists, numbers as numbers); a record must state the plan exactly",
        )


def _commitment_digest(
    roster_digest: str, plan_digest: str, path: Sequence[str], seed_rule: str, seed_from: str
) -> str:
    """``sha256:`` + SHA-256 of the commitment's canonical JSON (see :class:`Commitment`)."""
    body = {
        "path": list(path),
        "plan_digest": plan_digest,
        "recipe": COMMITMENT_RECIPE,
        "roster_digest": roster_digest,
        "seed_from": seed_from,
        "seed_rule": json.loads(seed_rule),
    }
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@attrs.frozen
class Commitment(JsonRecord):
    """A fingerprint of roster, plan, key path and seed rule, published before the seed exists.

    Recipe ``randcheck-commitment/2``: ``digest = "sha256:" + SHA-256`` of the UTF-8 JSON object
    ``{"path": [...], "plan_digest": ..., "recipe": "randcheck-commitment/2", "roster_digest":
    ..., "seed_from": ..., "seed_rule": {...}}`` with sorted keys and no white space
    (``separators=(",", ":")``, characters kept, not escaped). ``path`` is the list of key labels
    from the seed's root key to the key the draw's numbers come from (``["units"]`` for a
    stand-alone draw, ``["batch", "<label>"]`` for a batch; :mod:`randcheck.randomness`),
    ``seed_rule`` the :class:`~randcheck.SeedRule` as its dict, and ``seed_from`` where the seed
    will come from, in words (e.g. "福利彩票双色球 2025年3月4日 开奖结果").

    Publishing it first proves the frame, the plan, the key and the way the seed will be read
    were fixed before anyone could know the seed: nobody can pick a seed, a key path or a
    spelling of the seed that suits them. A draw under a commitment re-derives its key from the
    seed and the committed path, and uses the seed's canonical form under the committed rule.
    The pre-release ``randcheck-commitment/1`` (a key joined with ``/``, no seed rule) is retired.

    Read a published ``commitment.json`` with :meth:`from_json` (strict, like every record: a
    digest that does not follow from the other fields is a :class:`~randcheck.VerificationError`).
    """

    roster_digest: str
    plan_digest: str
    path: tuple[str, ...]
    seed_rule: Mapping[str, Any]
    seed_from: str
    digest: str
    recipe: str = COMMITMENT_RECIPE

    FORMAT: ClassVar[str] = COMMITMENT_RECIPE
    FORMAT_FIELD: ClassVar[str] = "recipe"
    LABEL: ClassVar[str] = "commitment"

    @property
    def rule(self) -> SeedRule:
        """The committed :class:`~randcheck.SeedRule` (``seed_rule`` holds it as its dict)."""
        return SeedRule.from_dict(self.seed_rule)

    @classmethod
    def of(
        cls,
        roster_digest: str,
        plan_digest: str,
        path: Sequence[str],
        seed_rule: SeedRule,
        seed_from: str,
    ) -> Commitment:
        path = check_path(path, "commitment path")
        if not isinstance(seed_rule, SeedRule):
            raise PlanError(
                f"seed_rule: a commitment needs a SeedRule (e.g. SeedRule.shuangseqiu()), got "
                f"{type(seed_rule).__name__}"
            )
        if not isinstance(seed_from, str) or not seed_from.strip():
            raise PlanError(
                "seed_from: say where the seed will come from (e.g. '福利彩票双色球 "
                "2025年3月4日 开奖结果'); it is required and must not be empty"
            )
        digest = _commitment_digest(
            roster_digest, plan_digest, path, seed_rule.digest_text(), seed_from
        )
        return cls(roster_digest, plan_digest, path, seed_rule.to_dict(), seed_from, digest)

    @classmethod
    def _check(cls, fields: dict[str, Any], label: str, path: str) -> None:
        try:
            rule = SeedRule.from_dict(fields["seed_rule"])
        except PlanError as exc:
            raise field_error(label, at(path, "seed_rule"), str(exc)) from None
        try:
            made = cls.of(
                fields["roster_digest"],
                fields["plan_digest"],
                fields["path"],
                rule,
                fields["seed_from"],
            )
        except PlanError as exc:
            raise field_error(label, path, str(exc)) from None
        if made.digest != fields["digest"]:
            raise field_error(
                label,
                at(path, "digest"),
                "does not follow from the roster digest, plan digest, path, seed rule and seed "
                "source",
            )

    def to_json(self, indent: int | None = 1) -> str:
        """The commitment as JSON, to publish."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": COMMITMENT_RECIPE,
            "roster_digest": self.roster_digest,
            "plan_digest": self.plan_digest,
            "path": list(self.path),
            "seed_rule": dict(self.seed_rule),
            "seed_from": self.seed_from,
            "digest": self.digest,
        }


def commit(
    roster: TargetRoster,
    plan: SamplingPlan,
    *,
    seed_rule: SeedRule,
    seed_from: str,
    stream: str = LABEL_UNITS,
) -> Commitment:
    """The commitment to publish before the seed is drawn.

    Parameters
    ----------
    roster, plan
        The frame and the design.
    seed_rule : SeedRule
        How the seed will be read (e.g. :meth:`SeedRule.shuangseqiu`).
    seed_from : str
        Where the seed will come from, in words (which lottery draw, when, where the dice are
        rolled).
    stream : str
        The one key label of the draw's numbers below the seed's root key (default
        ``"units"``); the committed path is ``[stream]``.

    Examples
    --------
    >>> from randcheck import SeedRule, TargetRoster
    >>> roster = TargetRoster.from_columns({"credit_code": ["91350100M000100Y43"],
    ...                                     "risk_class": ["A"]})
    >>> c = commit(roster, SamplingPlan(rates={"A": 0.5}), seed_rule=SeedRule.shuangseqiu(),
    ...            seed_from="福利彩票双色球 2025-03-04")
    >>> c.path, c.digest.startswith("sha256:")
    (('units',), True)

    Raises
    ------
    PlanError
        If the plan cannot be drawn from this roster (a class without a rate, a total above
        the eligible population…): a commitment that could never be honoured is refused; or
        the seed rule or source is missing.
    """
    inclusion_probabilities(roster, plan)  # the same checks as a draw, before anything is public
    return Commitment.of(roster.digest(), plan.digest(), (stream,), seed_rule, seed_from)


@attrs.frozen
class Receipt(JsonRecord):
    """The public record of a draw: enough for anyone to recompute it with :func:`verify`.

    Fields: ``format`` (``randcheck-receipt/2``), ``recipes`` (names of the randomness, design,
    roster and sample recipes used), ``library`` (randcheck version), ``verifiable`` (False for
    simulations), ``seed``, ``path`` (child-key labels from the seed to the draw's source, empty
    for a stand-alone draw) and ``stream`` (the child key label of the unit numbers), ``plan``
    (the plan as a dict), ``roster_digest`` and ``roster_size``, ``eligible``, ``strata``,
    ``sample_size``, ``sample_digest`` (``sha256:`` of ``"randcheck-sample/1\\n"`` followed by the
    sorted credit codes, each ending in ``\\n``; empty for simulations), ``sample_ids`` (empty for
    simulations),
    ``commitment`` (optional), ``seed_rule`` and ``seed_from`` (the committed seed rule, as its
    dict, and source; ``None`` without a commitment), ``warnings`` (e.g. that an official draw
    was made without a commitment),
    ``drawn_at`` (ISO time, China Standard Time) and ``drawn_by`` (optional).
    """

    format: str
    recipes: Mapping[str, str]
    library: str
    verifiable: bool
    seed: str | None
    path: tuple[str, ...]
    stream: str
    plan: Mapping[str, Any]
    roster_digest: str
    roster_size: int
    eligible: int
    strata: tuple[Mapping[str, Any], ...]
    sample_size: int
    sample_digest: str
    sample_ids: tuple[str, ...]
    commitment: str | None = None
    seed_rule: Mapping[str, Any] | None = None
    seed_from: str | None = None
    warnings: tuple[str, ...] = ()
    drawn_at: str = ""
    drawn_by: str | None = None

    FORMAT: ClassVar[str] = RECEIPT_FORMAT
    LABEL: ClassVar[str] = "receipt"
    SCHEMAS: ClassVar[Mapping[str, Mapping[str, Any]]] = {"strata": _STRATUM_FIELDS}

    @classmethod
    def _check(cls, fields: dict[str, Any], label: str, path: str) -> None:
        _check_plan_record(fields["plan"], label, at(path, "plan"))
        if fields["seed"] is not None:
            try:
                normalise_seed(fields["seed"])
            except PlanError as exc:
                raise field_error(label, at(path, "seed"), str(exc)) from None
        for i, code in enumerate(fields["sample_ids"]):
            if not (code.isascii() and code.isprintable() and code.strip() == code and code):
                raise field_error(
                    label,
                    at(at(path, "sample_ids"), i),
                    f"{code!r} is not a target id (printable ASCII, no spaces)",
                )


@attrs.frozen(eq=False)
class Draw:
    """The result of :func:`draw`: the sample, its probabilities, its strata and its receipt.

    Attributes
    ----------
    ids : numpy array of ``S18``
        Credit codes of the drawn targets, in credit-code order.
    rows : numpy array of int
        Their rows in the roster, aligned with ``ids``.
    inclusion_probabilities : numpy array of float
        Each drawn target's first-order inclusion probability under the design, aligned with
        ``ids`` (for πps, the design's target π; see the explanation page).
    stratum : numpy array of int
        Index into ``strata`` of each drawn target.
    strata : tuple of Stratum
        Population and sample sizes per stratum.
    receipt : Receipt
        The public record.
    """

    plan: SamplingPlan
    ids: npt.NDArray[np.bytes_]
    rows: npt.NDArray[np.intp]
    inclusion_probabilities: npt.NDArray[np.float64]
    stratum: npt.NDArray[np.intp]
    strata: tuple[Stratum, ...]
    receipt: Receipt

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def verifiable(self) -> bool:
        """Whether the draw was made from a public seed (an official draw)."""
        return self.receipt.verifiable

    def id_list(self) -> list[str]:
        """Drawn credit codes as ``str``."""
        return [b.decode("ascii") for b in self.ids.tolist()]

    def to_columns(self, roster: TargetRoster | None = None) -> dict[str, npt.NDArray[Any]]:
        """Tidy columns: credit code, stratum label, inclusion probability, design weight.

        With the roster the draw was made from, the enterprise's name (企业名称) and area are
        added after the credit code, as a published list of drawn targets (抽查名单) shows them.
        """
        labels = np.array(
            ["/".join(s.key) for s in self.strata] or [""], dtype=np.dtypes.StringDType()
        )
        out: dict[str, npt.NDArray[Any]] = {"credit_code": np.strings.decode(self.ids, "ascii")}
        if roster is not None:
            if len(self) and (
                int(self.rows.max()) >= len(roster)
                or not np.array_equal(roster.credit_code[self.rows], self.ids)
            ):
                raise PlanError("to_columns: this is not the roster the draw was made from")
            out["name"] = roster.name[self.rows]
            out["area"] = roster.area.labels()[self.rows]
        out["stratum"] = labels[self.stratum] if len(self) else labels[:0]
        out["inclusion_probability"] = self.inclusion_probabilities
        out["weight"] = 1.0 / self.inclusion_probabilities
        return out

    def to_frame(self, roster: TargetRoster | None = None) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns(roster))

    def to_arrow(self, roster: TargetRoster | None = None) -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns(roster))

    def to_excel(
        self,
        path: str | os.PathLike[str],
        roster: TargetRoster | None = None,
        *,
        headers: str = "en",
    ) -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self.to_columns(roster), headers=headers)

    def to_csv(
        self,
        path: str | os.PathLike[str],
        roster: TargetRoster | None = None,
        *,
        encoding: str = "utf-8",
        headers: str = "en",
    ) -> None:
        """The same columns as CSV; ``encoding="utf-8-sig"`` for Excel, ``headers="zh"``."""
        _tables.write_csv(path, self.to_columns(roster), encoding=encoding, headers=headers)

    def _repr_html_(self) -> str:
        """Jupyter's preview: the size and recipe, then the first drawn targets."""
        kind = "official draw" if self.receipt.verifiable else "simulation"
        title = f"Draw: {len(self):,} targets ({kind}, {len(self.strata)} strata)"
        return _tables.preview_html(title, self.to_columns(), len(self))


# ---------------------------------------------------------------------------- the design
@attrs.define
class _Design:
    """Everything about the draw that does not depend on the random numbers.

    Row-level arrays are per *eligible* row, in roster order; ``rows`` maps them back to the
    roster (``None``: every row is eligible and eligible position = roster row).
    """

    rows: npt.NDArray[np.intp] | None
    size: int  # number of eligible rows
    code: npt.NDArray[Any]  # per eligible row: combined label code (see lookup)
    lookup: npt.NDArray[np.intp]  # combined label code -> stratum index (label order)
    keys: list[tuple[str, ...]]
    populations: list[int]
    expected: list[float]
    scores: npt.NDArray[np.float64] | None  # per eligible row (πps)
    score_sums: list[Fraction | float] | None  # exact (official) or float (simulation)
    score_max: float
    _stratum_of: npt.NDArray[np.intp] | None = None
    memo: dict[str, Any] = attrs.field(factory=dict)  # derived, random-number-free values

    @property
    def stratum_of(self) -> npt.NDArray[np.intp]:
        """Stratum index of every eligible row (computed on first use)."""
        if self._stratum_of is None:
            self._stratum_of = self.lookup[self.code]
        return self._stratum_of

    def roster_rows(self, pos: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        return pos if self.rows is None else self.rows[pos]

    @property
    def score_totals(self) -> list[float] | None:
        """``T_h``: each stratum's total score as a float (correctly rounded when exact)."""
        if self.score_sums is None:
            return None
        return [float(t) for t in self.score_sums]


def _attention_flags(roster: TargetRoster, plan: SamplingPlan) -> npt.NDArray[np.bool_]:
    return roster.abnormal | (roster.complaints >= plan.attention_min_complaints)


def _label_counts(cat: Categorical) -> dict[str, int]:
    counts: list[int] = (
        np.bincount(cat.codes, minlength=len(cat.categories)).tolist()
        if len(cat)
        else [0] * len(cat.categories)
    )
    return {c: int(n) for c, n in zip(cat.categories, counts, strict=False)}


class _Vocabulary(Protocol):
    """What :func:`_check_names` asks of a roster (a whole one, or the parts of one merged)."""

    @property
    def extra_columns(self) -> tuple[str, ...]: ...

    def risk_counts(self) -> dict[str, int]: ...

    def label_counts(self, field: str) -> dict[str, int]: ...

    def tag_names(self) -> tuple[str, ...]: ...

    def has_tag(self, tag: str) -> bool: ...


@attrs.frozen
class _RosterVocabulary:
    """A roster's labels, counted only when a check asks for them."""

    roster: TargetRoster

    @property
    def extra_columns(self) -> tuple[str, ...]:
        return self.roster.extra_columns

    def risk_counts(self) -> dict[str, int]:
        return self.roster.risk_counts()

    def label_counts(self, field: str) -> dict[str, int]:
        return _label_counts(getattr(self.roster, field))

    def tag_names(self) -> tuple[str, ...]:
        return tuple(self.roster.tags.names)

    def has_tag(self, tag: str) -> bool:
        return bool(self.roster.tags.mask_any([tag]).any())


def _check_size_column(plan: SamplingPlan, extra_columns: tuple[str, ...]) -> None:
    if plan.size_column is not None and plan.size_column not in extra_columns:
        raise PlanError(
            f"size_column {plan.size_column!r} is not a column of the roster; its own "
            f"columns are {', '.join(map(repr, extra_columns)) or 'none'}"
        )


def _check_names(vocabulary: _Vocabulary, plan: SamplingPlan, seen: set[str]) -> None:
    """Raise if the plan names a risk class, label, tag or column the roster does not have.

    ``seen`` holds classes known to be present (the eligible ones); the roster is only
    counted when the plan names another one.
    """
    named = {
        letter
        for _, t in (("", plan.rates), ("", plan.multipliers), ("", plan.prevalence))
        for letter, _ in t or ()
    }
    named |= {RiskClass.parse(c).value for c in plan.eligibility.risk_classes or ()}
    present = dict.fromkeys(seen, 1) if named <= seen else vocabulary.risk_counts()
    tables = [
        ("rates", plan.rates),
        ("multipliers", plan.multipliers),
        ("prevalence", plan.prevalence),
    ]
    for field, table in tables:
        for letter, _ in table or ():
            if letter not in present:
                raise PlanError(
                    f"{field} names risk class {letter}, but the roster has no class-{letter} "
                    f"targets (it has {', '.join(present) or 'none'}); leave {letter} out of "
                    f"{field}"
                )
    el = plan.eligibility
    for letter in el.risk_classes or ():
        if RiskClass.parse(letter).value not in present:
            raise PlanError(
                f"eligibility.risk_classes names class {letter}, but the roster has no "
                f"class-{letter} targets (it has {', '.join(present) or 'none'})"
            )
    for field, wanted, label in (
        ("industries", el.industries, "industry"),
        ("areas", el.areas, "area"),
        ("statuses", el.statuses, "status"),
    ):
        if wanted is None:
            continue
        counts = vocabulary.label_counts(label)
        missing = [w for w in wanted if not counts.get(w)]
        if missing:
            raise PlanError(
                f"eligibility.{field} names {', '.join(map(repr, missing))}, which no target "
                f"in the roster has; the roster's values are "
                f"{', '.join(repr(c) for c, n in counts.items() if n)[:300]}"
            )
    if el.tags is not None:
        missing = [t for t in el.tags if not vocabulary.has_tag(t)]
        if missing:
            raise PlanError(
                f"eligibility.tags names {', '.join(map(repr, missing))}, which no target in "
                f"the roster carries; its tags are {', '.join(map(repr, vocabulary.tag_names()))}"
            )
    _check_size_column(plan, vocabulary.extra_columns)


def _eligible_rows(roster: TargetRoster, plan: SamplingPlan) -> npt.NDArray[np.intp] | None:
    """Eligible rows, or ``None`` when every row is eligible (the common case, no copy)."""
    el = plan.eligibility
    m: npt.NDArray[np.bool_] | None = None
    if any(
        v is not None
        for v in (el.industries, el.areas, el.area_prefix, el.tags, el.statuses, el.risk_classes)
    ):
        m = el.mask(roster)
    else:
        status = roster.status
        excluded = set(el.exclude_statuses) & set(status.categories)
        if excluded:
            m = ~status.mask(excluded)
        if el.recent_days is not None:
            m = el.mask(roster)
    if m is None or m.all():
        return None
    return np.flatnonzero(m)


def _build_design(
    roster: TargetRoster, plan: SamplingPlan, *, exact: bool, part: int | None = None
) -> _Design:
    """The design of ``roster``, or (``part``: the file row of its first row) of one part of a
    roster: eligibility, strata, populations and exact score sums of its rows alone, without
    the checks and expected sizes that need the whole roster (:mod:`randcheck._chunked`)."""
    rows = _eligible_rows(roster, plan)
    size = len(roster) if rows is None else int(rows.shape[0])

    def column(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return values if rows is None else values[rows]

    # Combine the stratum columns into one integer per row (first column most significant);
    # strata are then ordered by their labels.
    parts: list[tuple[npt.NDArray[Any], list[str]]] = [
        (column(roster.risk_class), list(RISK_LETTERS))
    ]
    for name in plan.strata[1:]:
        cat = roster.industry if name == "industry" else roster.area
        parts.append((column(cat.codes), list(cat.categories)))
    if plan.attention != "none":
        parts.append((column(_attention_flags(roster, plan)), ["", ATTENTION_LABEL]))
    radix = 1
    for _, labels in parts:
        radix *= max(len(labels), 1)
    kind = code_type(radix)  # holds every code, and every radix multiplied by below
    code = parts[0][0].astype(kind, copy=False)
    for values, labels in parts[1:]:
        code = code * max(len(labels), 1)  # a new array: never add to the roster's column
        code += values.astype(kind, copy=False)
    summed: _ScoreSums | None = None
    if plan.within == "pps" and not exact and size:
        # A simulation reads the scores in the same pass as the codes (any problem with the
        # column is reported by _scores below, after the names are checked).
        score_column = (
            roster.column(plan.size_column) if plan.size_column in roster.extra_columns else None
        )
        if isinstance(score_column, np.ndarray) and score_column.dtype.kind == "f":
            summed = _score_sums(column(score_column), code, radix)
    counts = code_counts(code, radix) if summed is None else summed.counts
    present = np.flatnonzero(counts)
    keys: list[tuple[str, ...]] = []
    for c in present.tolist():
        key = []
        rem = c
        sub_radix = radix
        for _, labels in parts:
            sub_radix //= max(len(labels), 1)
            key.append(labels[rem // sub_radix])
            rem %= sub_radix
        keys.append(tuple(key))
    if plan.attention == "stratum":
        # One attention stratum regardless of class: collapse flagged keys.
        keys = [(ATTENTION_LABEL,) if k[-1] == ATTENTION_LABEL else k[:-1] for k in keys]
    uniq_keys = sorted(set(keys), key=_key_order)
    index_of = {k: i for i, k in enumerate(uniq_keys)}
    lookup = np.full(max(radix, 1), -1, dtype=np.intp)
    lookup[present] = [index_of[k] for k in keys]
    if part is None:
        _check_names(_RosterVocabulary(roster), plan, {k[0] for k in keys if k[0] in RISK_LETTERS})
    else:
        _check_size_column(plan, roster.extra_columns)
    populations = [0] * len(uniq_keys)
    for c, k in zip(present.tolist(), keys, strict=True):
        populations[index_of[k]] += int(counts[c])

    design = _Design(rows, size, code, lookup, uniq_keys, populations, [], None, None, 0.0)
    if plan.within == "pps":
        first_row = 1 if part is None else part
        _scores(roster, plan, design, exact=exact, summed=summed, first_row=first_row)
    if part is None:
        design.expected = _expected_sizes(plan, uniq_keys, populations)
    return design


_DESIGN_CACHE = "sampling.designs"  # key of the roster's private cache
_DESIGN_CACHE_SIZE = 4  # plans whose simulation design a roster keeps


def _simulation_design(roster: TargetRoster, plan: SamplingPlan) -> _Design:
    """The design of a simulation, kept on the (immutable) roster for its last few plans.

    Replicate simulations on the same roster and plan then skip eligibility, strata, score
    totals and expected sizes, which use no random number. Official draws never use it.
    """
    store: dict[str, _Design] = roster.derived(_DESIGN_CACHE, dict)
    key = plan.digest()
    design = store.pop(key, None)
    if design is None:
        design = _build_design(roster, plan, exact=False)
    store[key] = design  # most recently used last
    while len(store) > _DESIGN_CACHE_SIZE:
        del store[next(iter(store))]
    return design


def _key_order(key: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    # Risk letters sort A…E; the attention-only stratum goes last.
    return (1, key) if key == (ATTENTION_LABEL,) else (0, key)


def _scores(
    roster: TargetRoster,
    plan: SamplingPlan,
    design: _Design,
    *,
    exact: bool,
    summed: _ScoreSums | None = None,
    first_row: int = 1,
) -> None:
    """Check the πps scores and set the design's ``scores``, ``score_max`` and ``score_sums``.

    ``summed``: the scores' pass of a simulation, already made with the codes. ``first_row``:
    the number, in the user's file, of the roster's first row (a part of a roster).
    """
    assert plan.size_column is not None
    column = roster.column(plan.size_column)
    if not isinstance(column, np.ndarray) or column.dtype.kind != "f":
        raise PlanError(
            f"size_column {plan.size_column!r} is not a numeric column (πps needs a positive "
            "number per target)"
        )
    sums: npt.NDArray[np.float64] | None
    if summed is not None:
        s, lo, hi, sums = summed.scores, summed.lo, summed.hi, summed.sums
    else:
        s = column if design.rows is None else column[design.rows]
        if not s.size:
            lo, hi, sums = 1.0, 1.0, None
        elif exact:
            lo, hi, sums = float(s.min()), float(s.max()), None
        else:
            summed = _score_sums(s, design.code, design.lookup.shape[0])
            lo, hi, sums = summed.lo, summed.hi, summed.sums
    if not (lo > 0.0 and math.isfinite(hi)):  # NaN makes min() NaN
        bad = np.flatnonzero(~(s > 0) | ~np.isfinite(s))
        pos = int(bad[0])
        row = int(design.roster_rows(np.array([pos]))[0])
        raise PlanError(
            f"size_column {plan.size_column!r}: every eligible target needs a finite score > 0; "
            f"row {row + first_row} ({roster.credit_code[row].decode()}) has {float(s[pos])!r}"
            + (f" ({bad.size} such rows)" if bad.size > 1 else "")
        )
    design.scores = s
    design.score_max = hi
    k = len(design.keys)
    if exact:
        design.score_sums = list[Fraction | float](_exact_sums(s, design.stratum_of, k))
    else:
        totals: list[Fraction | float] = [0.0] * k
        if sums is not None:
            for c in np.flatnonzero(design.lookup >= 0).tolist():
                totals[int(design.lookup[c])] += float(sums[c])
        design.score_sums = totals


_SCORE_CHUNK = 1 << 16  # scores per step in _score_sums


@attrs.frozen
class _ScoreSums:
    """One pass over a simulation's scores: per code, the rows and the scores' sum; the
    smallest and largest score."""

    scores: npt.NDArray[np.float64]
    counts: npt.NDArray[np.intp]
    sums: npt.NDArray[np.float64]
    lo: float
    hi: float


def _score_sums(
    s: npt.NDArray[np.float64], code: npt.NDArray[np.integer[Any]], minlength: int
) -> _ScoreSums:
    """Rows and scores per code, and the smallest and largest score, in one pass.

    Chunk by chunk, so that the codes and scores are read from memory once, not four times.
    The sums are plain floating-point sums (as a simulation may use). ``np.bincount``, not
    ``np.add.at``: the latter takes a slow path, 20 times slower, for a read-only array,
    which every roster column is.
    """
    lo, hi = np.inf, -np.inf
    sums = np.zeros(minlength)
    for a in range(0, s.shape[0], _SCORE_CHUNK):
        part = s[a : a + _SCORE_CHUNK]
        lo = np.minimum(lo, part.min())  # np.minimum keeps a nan, Python's min would not
        hi = np.maximum(hi, part.max())
        sums += np.bincount(code[a : a + _SCORE_CHUNK], weights=part, minlength=minlength)
    return _ScoreSums(s, code_counts(code, minlength), sums, float(lo), float(hi))


def _exact_sums(
    s: npt.NDArray[np.float64],
    group: npt.NDArray[np.intp],
    k: int,
) -> list[Fraction]:
    """Exact sums of positive finite floats per group, as fractions (no rounding at all).

    Each value is ``M·2^(e-53)`` with an integer ``M < 2⁵³`` (``numpy.frexp``); ``M`` is split
    into 27 + 26 bits and the parts are summed per (group, exponent) with ``bincount``. Every
    partial sum is an integer below 2⁵³, so the float additions are exact in any order.
    ``float()`` of a result is the correctly rounded sum, as :func:`math.fsum` gives.
    """
    if s.size == 0:
        return [Fraction(0)] * k
    chunk = 1 << 25  # keeps every partial sum below 2⁵³
    out = [Fraction(0)] * k
    for start in range(0, s.shape[0], chunk):
        part = s[start : start + chunk]
        g = group[start : start + chunk]
        mant, exp = np.frexp(part)
        m = (mant * 2.0**53).astype(np.int64)
        hi = (m >> 26).astype(np.float64)
        lo = (m & ((1 << 26) - 1)).astype(np.float64)
        e_min = int(exp.min())
        span = int(exp.max()) - e_min + 1
        key = g * span + (exp - e_min)
        hs = np.bincount(key, weights=hi, minlength=k * span)
        ls = np.bincount(key, weights=lo, minlength=k * span)
        for idx in np.flatnonzero((hs != 0) | (ls != 0)).tolist():
            h, e = divmod(idx, span)
            total = (int(hs[idx]) << 26) + int(ls[idx])
            shift = e + e_min - 53
            out[h] += total * Fraction(2) ** shift
    return out


def _expected_sizes(
    plan: SamplingPlan, keys: list[tuple[str, ...]], populations: list[int]
) -> list[float]:
    def letter(key: tuple[str, ...]) -> str:
        return key[0]

    def factor(key: tuple[str, ...]) -> float:
        return (
            plan.attention_multiplier
            if (plan.attention == "multiplier" and key[-1] == ATTENTION_LABEL)
            else 1.0
        )

    def need(table: str, key: tuple[str, ...]) -> float:
        v = plan.rate_of(table, letter(key))
        if v is None:
            raise PlanError(
                f"{table} gives no value for risk class {letter(key)}, which has eligible "
                f"targets; give one for every class present"
            )
        return v

    low_min = max(plan.min_per_stratum, 1 if plan.no_exemption else 0)
    if low_min > 0 and plan.rates is not None:
        eligible_classes = {k[0] for k in keys}
        empty = [c for c, _ in plan.rates if c not in eligible_classes]
        if empty:
            raise PlanError(
                f"risk class {', '.join(empty)} has no eligible targets, but the plan asks for "
                f"at least {low_min} from every stratum (min_per_stratum="
                f"{plan.min_per_stratum}, no_exemption={plan.no_exemption}); widen the "
                f"eligibility or leave the class out of rates"
            )
    lower = [float(min(n, low_min)) for n in populations]
    upper = [float(n) for n in populations]

    def fill(weights: list[float], target: float, what: str) -> list[float]:
        try:
            return _allocation.fill_to_total(weights, lower, upper, target)
        except ValueError as exc:
            raise PlanError(f"{what}: {exc} (check the plan's {what} table and minimums)") from None

    if plan.total is not None:
        eligible = sum(populations)
        if plan.total > eligible:
            raise PlanError(f"total = {plan.total} is larger than the {eligible} eligible targets")
        if _allocation.left_sum(lower) > plan.total:
            raise PlanError(
                f"the minimums per stratum need {int(_allocation.left_sum(lower))} targets but "
                f"total is {plan.total}"
            )
        weights = []
        for key, n in zip(keys, populations, strict=True):
            if key == (ATTENTION_LABEL,):
                w = float(n)
            elif plan.allocation == "equal":
                w = 1.0
            elif plan.allocation == "neyman":
                p = need("prevalence", key)
                w = n * math.sqrt(p * (1.0 - p))
            else:
                w = float(n)
            weights.append(w * factor(key))
        what = "prevalence" if plan.allocation == "neyman" else "allocation"
        return fill(weights, float(plan.total), what)

    if plan.overall_rate is not None:
        weights = []
        for key, n in zip(keys, populations, strict=True):
            if key == (ATTENTION_LABEL,) or plan.multipliers is None:
                m = 1.0
            else:
                m = need("multipliers", key)
            weights.append(n * m * factor(key))
        target = plan.overall_rate * sum(populations)
        target = max(target, _allocation.left_sum(lower))
        return fill(weights, target, "multipliers")

    out = []
    for key, n, lo in zip(keys, populations, lower, strict=True):
        if key == (ATTENTION_LABEL,):
            assert plan.attention_rate is not None
            r = plan.attention_rate
        else:
            r = min(1.0, need("rates", key) * factor(key))
        out.append(max(lo, n * r))
    return out


# ---------------------------------------------------------------------------- πps
def _pps_scale(
    design: _Design,
    sizes: Sequence[int],
    *,
    exact: bool,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None]:
    """``c_h`` and the take-all (capped) rows for sample sizes ``sizes`` (the module recipe).

    Returns ``(c, capped)``; ``capped`` is ``None`` when no row is capped. Then
    ``λ_i = 1`` for capped rows and ``c_h·s_i`` for the others.
    """
    assert design.scores is not None
    assert design.score_sums is not None
    k = len(design.keys)
    n = list(sizes)
    pops = design.populations
    remaining: list[Fraction | float] = list(design.score_sums)
    c = np.zeros(k, dtype=np.float64)
    whole = [h for h in range(k) if n[h] >= pops[h] and pops[h] > 0]
    for h in range(k):
        if 0 < n[h] < pops[h]:
            c[h] = n[h] / float(remaining[h])
    if not whole and float((c * design.score_max).max(initial=0.0)) < 1.0:
        return c, None  # nobody can reach λ = 1
    s = design.scores
    st = design.stratum_of
    capped = np.zeros(design.size, dtype=bool)
    if whole:
        is_whole = np.zeros(k, dtype=bool)
        is_whole[whole] = True
        capped |= is_whole[st]
    n_capped = [0] * k
    while True:
        newly = ~capped & (c[st] * s >= 1.0)
        if not newly.any():
            break
        capped |= newly
        hit = st[newly]
        counts = np.bincount(hit, minlength=k)
        vals = s[newly]
        if exact:
            if vals.size <= 50_000:
                for h, v in zip(hit.tolist(), vals.tolist(), strict=True):
                    remaining[h] -= Fraction(v)
            else:
                minus = _exact_sums(vals, hit, k)
                for h in range(k):
                    remaining[h] -= minus[h]
        else:
            minus_f = np.bincount(hit, weights=vals, minlength=k)
            for h in np.flatnonzero(counts).tolist():
                remaining[h] -= float(minus_f[h])
        for h in np.flatnonzero(counts).tolist():
            n_capped[h] += int(counts[h])
            m = n[h] - n_capped[h]
            rest = pops[h] - n_capped[h]
            total = float(remaining[h])
            c[h] = m / total if m > 0 and rest > 0 and total > 0 else 0.0
    return c, capped


def _pps_lambda(
    design: _Design,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.integer[Any]],
    c: npt.NDArray[np.float64],
    capped: npt.NDArray[np.bool_] | None,
    scores: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """``λ_i`` of rows ``pos`` (``scores``: their scores, if already at hand)."""
    assert design.scores is not None
    lam = np.take(c, st)
    lam *= np.take(design.scores, pos) if scores is None else scores
    if capped is not None:
        lam[capped[pos]] = 1.0
    return lam


def _pareto_ranks(
    u: npt.NDArray[np.float64],
    lam: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """``ξ = (u·(1−λ)) / ((1−u)·λ)``; 0 where ``λ = 1``, +∞ where ``λ = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rank = np.subtract(1.0, lam)
        rank *= u
        den = np.subtract(1.0, u)
        den *= lam
        rank /= den
    if rank.size and float(lam.max()) >= 1.0:
        rank[lam >= 1.0] = 0.0
    if rank.size and float(lam.min()) <= 0.0:
        rank[lam <= 0.0] = np.inf
    return rank


def _pps_probabilities(
    design: _Design,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.integer[Any]],
    *,
    exact: bool,
    scores: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """The design's target π: ``(1−φ_h)·λ_i(⌊x_h⌋) + φ_h·λ_i(⌊x_h⌋+1)``.

    ``scores``: the rows' scores, if already at hand.
    """
    scales = design.memo.get("pi_scales")
    if scales is None:
        pops = design.populations
        lo = [min(math.floor(x), p) for x, p in zip(design.expected, pops, strict=True)]
        hi = [min(math.floor(x) + 1, p) for x, p in zip(design.expected, pops, strict=True)]
        scales = (
            *_pps_scale(design, lo, exact=exact),
            *_pps_scale(design, hi, exact=exact),
            np.array([x - math.floor(x) for x in design.expected], dtype=np.float64),
        )
        design.memo["pi_scales"] = scales
    c_lo, cap_lo, c_hi, cap_hi, phi = scales
    assert design.scores is not None
    s = np.take(design.scores, pos) if scores is None else scores
    pi = _pps_lambda(design, pos, st, c_lo, cap_lo, s)
    lam_hi = _pps_lambda(design, pos, st, c_hi, cap_hi, s)
    f = np.take(phi, st)
    lam_hi *= f
    pi *= np.subtract(1.0, f, out=f)  # (1 − φ)·λ(⌊x⌋) + φ·λ(⌊x⌋ + 1), in place
    pi += lam_hi
    return pi


# ---------------------------------------------------------------------------- selection
def _smallest(
    design: _Design,
    roster: TargetRoster,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.intp],
    rank: npt.NDArray[np.float64],
    sizes: Sequence[int],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Of candidates ``pos``, the ``n_h`` smallest ranks of each stratum (ties: credit code)."""
    keep = smallest_per_stratum(
        st, rank, sizes, lambda: roster.credit_code[design.roster_rows(pos)]
    )
    return pos[keep], st[keep]


def _ranks(
    design: _Design,
    pos: npt.NDArray[np.intp],
    st: npt.NDArray[np.intp],
    u: npt.NDArray[np.float64],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
) -> npt.NDArray[np.float64]:
    if scale is None:
        return u
    return _pareto_ranks(u, _pps_lambda(design, pos, st, *scale))


def _select_all(
    design: _Design,
    roster: TargetRoster,
    u: npt.NDArray[np.float64],
    sizes: Sequence[int],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Selection with a number for every eligible row (official draws)."""
    k = len(design.keys)
    n = np.asarray(sizes, dtype=np.float64)
    pop = np.maximum(np.asarray(design.populations, dtype=np.float64), 1.0)
    # Only rows below a generous per-stratum bound can be among the n_h smallest; a stratum
    # with fewer than n_h rows below it (rare) takes every row as a candidate.
    if scale is None:
        bound = np.minimum(1.0, (n + 5.0 * np.sqrt(n) + 20.0) / pop)
    else:
        bound = 1.0 + 5.0 / np.sqrt(np.maximum(n, 1.0)) + 20.0 / np.maximum(n, 1.0)
    cand, cand_st, cand_rank = _below_bound(design, u, scale, bound)
    have = np.bincount(cand_st, minlength=k)
    short = have < np.asarray(sizes)
    if short.any():
        st = design.stratum_of
        rank = _ranks(design, np.arange(design.size, dtype=np.intp), st, u, scale)
        cand = np.union1d(cand, np.flatnonzero(short[st]))
        cand_st, cand_rank = st[cand], rank[cand]
    return _smallest(design, roster, cand, cand_st, cand_rank, sizes)


_SELECT_ROWS = 1 << 16  # rows ranked at once in _below_bound: the temporaries stay in cache


def _below_bound(
    design: _Design,
    u: npt.NDArray[np.float64],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
    bound: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """The rows whose rank is below their stratum's ``bound``, with their strata and ranks.

    Block by block, in row order: no row-level array of strata or ranks is built for the
    whole roster, and each block's temporaries stay in the cache.
    """
    known = design._stratum_of
    parts: list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.float64]]] = []
    for a in range(0, design.size, _SELECT_ROWS):
        b = min(a + _SELECT_ROWS, design.size)
        st = known[a:b] if known is not None else np.take(design.lookup, design.code[a:b])
        rank = _ranks(design, np.arange(a, b, dtype=np.intp), st, u[a:b], scale)
        near = np.flatnonzero(rank < np.take(bound, st))
        parts.append((near + a, st[near], rank[near]))
    if not parts:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp), np.zeros(0)
    pos, st, rank = (np.concatenate(p) for p in zip(*parts, strict=True))
    return pos, st, rank


_CANDIDATE_CHUNK = 1 << 16  # candidates per step in _select_simulated: temporaries stay small


def _candidates(
    rng: np.random.Generator, size: int, q: float
) -> Iterator[tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]]:
    """The positions ``i < size`` with ``u < q`` and their numbers ``u = q·V``, a chunk at a time.

    The positions are a Bernoulli(q) process, in ascending order: the gaps between them are
    geometric, drawn as ``⌊E/μ⌋ + 1`` with ``E`` standard exponential and ``μ = −ln(1−q)``,
    which is ``g`` with probability ``(1−q)^(g−1)·q``. (numpy's own ``geometric`` takes a
    logarithm per number and is slower.)
    """
    mu = -math.log1p(-q)
    last = -1
    while True:
        expect = (size - 1 - last) * q
        m = min(int(expect + 6.0 * math.sqrt(expect) + 64), _CANDIDATE_CHUNK)
        e = rng.standard_exponential(m)
        e /= mu
        pos = e.astype(np.intp)  # ⌊E/μ⌋, as E ≥ 0
        pos += 1
        np.cumsum(pos, out=pos)
        pos += last
        end = int(np.searchsorted(pos, size))
        u = rng.random(end)
        u *= q
        yield pos[:end], u
        if end < m:
            return
        last = int(pos[-1])


def _select_simulated(
    design: _Design,
    roster: TargetRoster,
    rng: np.random.Generator,
    sizes: Sequence[int],
    scale: tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_] | None] | None,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.integer[Any]], npt.NDArray[np.float64] | None]:
    """The same selection with numbers drawn lazily: only rows that can be drawn get one.

    The numbers are i.i.d. uniform, generated in two steps: the rows with ``u < q`` come from a
    Bernoulli(q) process and get ``u = q·V``; any other row's number, when needed, is
    ``q + (1−q)·W``. Each stratum has a cap that only ranks with ``u < q`` can be below
    (``q_h ≤ q`` for equal probability, the rank of its largest ``λ`` at ``u = q_h`` for πps);
    a stratum with at least ``n_h`` ranks below it takes its ``n_h`` smallest among them, any
    other stratum gets every member's number. The result has exactly the distribution of
    :func:`_select_all` with ``u`` from ``rng.random``.

    Returns the drawn rows' positions in ascending order, their strata, and their scores when
    at hand (πps without take-all rows), else ``None``.
    """
    k = len(design.keys)
    n = np.asarray(sizes, dtype=np.float64)
    pop = np.maximum(np.asarray(design.populations, dtype=np.float64), 1.0)
    live = n > 0
    if not live.any():
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, None
    if scale is None:
        q_h = np.minimum(1.0, (n + 5.0 * np.sqrt(n) + 20.0) / pop)
        lam_max = None
        cap = q_h  # the rank is u
    else:
        c, capped = scale
        lam_max = c * design.score_max
        if capped is not None or float(lam_max[live].max()) >= 1.0:
            picked = _select_all(design, roster, rng.random(design.size), sizes, scale)
            return *_in_row_order(*picked), None
        cap = 1.0 + (5.0 * np.sqrt(n) + 20.0) / np.maximum(n, 1.0)
        r = cap * lam_max / (1.0 - lam_max)
        q_h = r / (1.0 + r)  # u = q_h at λ = λ_max gives the rank cap
    q = float(q_h[live].max())
    if q > 0.2:
        picked = _select_all(design, roster, rng.random(design.size), sizes, scale)
        return *_in_row_order(*picked), None
    cap = np.where(live, cap, 0.0)
    # The loop reads each candidate's combined label code, never its stratum: per-stratum values
    # are spread over the codes first (a few hundred), so no pass maps every row to its stratum.
    code, lookup, scores = design.code, design.lookup, design.scores
    known = lookup >= 0

    def per_code(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out = np.zeros(lookup.shape[0])
        out[known] = np.take(values, lookup[known])
        return out

    cap_of = per_code(cap)
    c_of = None if scale is None else per_code(scale[0])
    # Chunk by chunk, only the candidates below their cap are kept (with their scores for π).
    # Should the fast path fail, the generator is rewound to draw the same numbers again.
    state = rng.bit_generator.state
    kept: list[tuple[npt.NDArray[Any], ...]] = []
    for pos, u in _candidates(rng, design.size, q):
        cd = np.take(code, pos)
        if c_of is None or scores is None:
            near = np.flatnonzero(u < np.take(cap_of, cd))
            kept.append((pos[near], cd[near], u[near]))
            continue
        s = np.take(scores, pos)
        lam = np.take(c_of, cd)
        lam *= s
        # The recipe's rank: no λ is 1 here, and λ = 0 (a stratum that draws nobody) gives
        # +∞ or nan, which is below no cap.
        with np.errstate(divide="ignore", invalid="ignore"):
            rank = np.subtract(1.0, lam)
            rank *= u
            lam *= np.subtract(1.0, u)
            rank /= lam
        near = np.flatnonzero(rank < np.take(cap_of, cd))
        kept.append((pos[near], cd[near], rank[near], s[near]))
    pos, cd, rank, *kept_scores = (np.concatenate(parts) for parts in zip(*kept, strict=True))
    st = np.take(np.maximum(lookup, 0).astype(code_type(k)), cd)
    chosen = cuts_at_most(st, rank, sizes, k)
    if chosen is not None:
        return pos[chosen], st[chosen], kept_scores[0][chosen] if kept_scores else None
    # Too few candidates below a cap, or equal ranks at a cut: the general path, with every
    # candidate below the looser bound of u < q.
    rng.bit_generator.state = state
    pos, u = (
        np.concatenate(parts) for parts in zip(*_candidates(rng, design.size, q), strict=True)
    )
    st = np.take(lookup, np.take(code, pos))
    rank = _ranks(design, pos, st, u, scale)
    if lam_max is None:
        bound = np.full(k, q)
    else:
        with np.errstate(divide="ignore"):
            bound = q * (1.0 - lam_max) / ((1.0 - q) * lam_max)
    below = rank < bound[st]
    have = np.bincount(st[below], minlength=k)
    short = have < np.asarray(sizes)
    keep = below & ~short[st]
    pos_c, st_c, rank_c = pos[keep], st[keep], rank[keep]
    if short.any():
        short_code = short[design.lookup] & (design.lookup >= 0)
        members = np.flatnonzero(short_code[design.code])
        u_m = np.multiply(rng.random(members.shape[0]), 1.0 - q) + q
        mine = short[st]
        u_m[np.searchsorted(members, pos[mine])] = u[mine]
        st_m = design.lookup[design.code[members]]
        rank_m = _ranks(design, members, st_m, u_m, scale)
        pos_c = np.concatenate([pos_c, members])
        st_c = np.concatenate([st_c, st_m])
        rank_c = np.concatenate([rank_c, rank_m])
    return *_in_row_order(*_smallest(design, roster, pos_c, st_c, rank_c, sizes)), None


def _in_row_order(
    pos: npt.NDArray[np.intp], st: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Positions (and their strata) sorted, as :func:`_select_simulated` returns them."""
    order = np.argsort(pos)
    return pos[order], st[order]


def draw(
    roster: TargetRoster,
    plan: SamplingPlan,
    *,
    seed: str | None = None,
    rng: Any = None,
    stream: str | None = None,
    commitment: Commitment | None = None,
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
    source: UniformSource | None = None,
    workers: int = 1,
    progress: ProgressArg = None,
) -> Draw:
    """Draw targets from ``roster`` by ``plan``.

    Official draws pass ``seed``, the public seed string: every number comes from it through the
    published recipes, and :func:`verify` (or the standard-library reference verifier) recomputes
    the draw from the receipt and the roster. Simulations pass ``rng`` (anything
    :func:`numpy.random.default_rng` accepts): the same design with numpy's numbers, much
    faster to repeat, but the receipt says it is not publicly verifiable.

    Parameters
    ----------
    roster : TargetRoster
        The frozen directory to draw from (its digest goes in the receipt).
    plan : SamplingPlan
        The design.
    seed : str, optional
        Public seed (official draw).
    rng : optional
        Seed or Generator for a simulation.
    stream : str, optional
        The one key label (below the seed's root key, or below ``source``) of the targets'
        numbers; default ``"units"``. It is a single label: a ``/`` in it is an ordinary
        character. Draws that share the key share their numbers (coordinated samples, maximal
        overlap). A committed draw takes its path from the commitment; a ``stream`` that differs
        from it is refused.
    commitment : Commitment, optional
        The commitment published before the seed (:func:`commit`); checked against roster and
        plan and recorded in the receipt. The key is then derived from the seed and the
        committed path alone, and the seed must fit the committed :class:`~randcheck.SeedRule`
        (its canonical form is used). Without a commitment an official draw is made, but its
        receipt carries a warning (``warnings``) that nothing shows the draw was fixed before
        the seed was known: a draw made after the fact can be repeated with other labels or
        spellings of the seed until one suits the drawer.
    drawn_by : str, optional
        Who drew it, for the record.
    drawn_at : datetime, optional
        When; default now (China Standard Time).
    source : optional
        A ready source (e.g. a batch's child) instead of ``seed``/``rng``; refused with a
        commitment.
    workers : int
        Processes that hash in an official draw (default 1). With more than one, for
        rosters of 500,000 targets or more, the targets' numbers and the roster's digest are
        cut into jobs that run in at most that many forked processes (never more than the
        cores available) while this one waits; the results are identical bit for bit. Needs
        the ``fork`` start method (Linux, macOS), else one process is used. Simulations
        ignore it.
    progress : bool or callable, optional
        Report the hashing of an official draw (the long part at 10⁷ targets): ``True`` for a
        tqdm bar when tqdm is installed, or a callable ``progress(done, total)`` called with
        the rows hashed so far (the roster's rows for its digest count too).

    Returns
    -------
    Draw

    Raises
    ------
    PlanError
        If the plan does not fit the roster (a class without a rate, a total above the
        eligible population, a missing or invalid score column), the seed is empty or does
        not fit the committed seed rule, the commitment does not match the roster and plan,
        or ``source``/``rng`` is given with a commitment.

    Examples
    --------
    >>> from randcheck import SeedRule, example_county
    >>> county = example_county()
    >>> plan = SamplingPlan(rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.5})
    >>> c = commit(county.targets, plan, seed_rule=SeedRule.shuangseqiu(),
    ...            seed_from="福利彩票双色球 2023-11-07 开奖结果")
    >>> d = draw(county.targets, plan, seed="2023-11-07 03 08 14 22 27 31 + 09", commitment=c)
    >>> d.receipt.seed
    '双色球 2023-11-07 03 08 14 22 27 31 + 09'
    >>> verify(d.receipt, county.targets) is None
    True
    """
    source, label, commitment, warnings = _settle(
        plan, seed, rng, stream, commitment, source, roster_digest=roster.digest
    )
    return _draw(
        roster, plan, source, label, workers, drawn_by, drawn_at, commitment, warnings, progress
    )


def _settle(
    plan: SamplingPlan,
    seed: str | None,
    rng: Any,
    stream: str | None,
    commitment: Commitment | None,
    source: UniformSource | None,
    *,
    roster_digest: Callable[[], str] | None,
) -> tuple[UniformSource, str, Commitment | None, tuple[str, ...]]:
    """The source, stream, commitment and warnings of a draw from :func:`draw`'s arguments.

    ``roster_digest``: the roster's digest, to check against the commitment (``None``: the
    caller checks it with :func:`_check_committed_roster` once it is known).
    """
    if commitment is not None:
        if source is not None or rng is not None:
            raise PlanError(
                "a committed draw takes its key from the seed and the committed path alone: "
                "pass seed= with commitment=, not rng= or source="
            )
        if seed is None:
            raise PlanError("commitment= needs the public seed: pass seed=")
        if stream is not None and (stream,) != commitment.path:
            raise PlanError(
                f"stream = {stream!r}: the commitment fixes the key path "
                f"{list(commitment.path)}; leave stream out of a committed draw"
            )
        if roster_digest is not None:
            _check_committed_roster(commitment, roster_digest(), plan)
        canonical = commitment.rule.canonical(seed)
        *above, stream = commitment.path
        return HashSource.from_seed(canonical).at(above), stream, commitment, ()
    if source is None:
        source = source_for(seed, rng)
    elif seed is not None or rng is not None:
        raise PlanError("give source= alone, or seed= or rng=, not both")
    warnings = (UNCOMMITTED_WARNING,) if source.verifiable else ()
    return source, stream or LABEL_UNITS, None, warnings


def _check_committed_roster(commitment: Commitment, roster_digest: str, plan: SamplingPlan) -> None:
    digests = (roster_digest, plan.digest())
    if digests != (commitment.roster_digest, commitment.plan_digest):
        raise PlanError(
            "the commitment does not match this roster and plan: it was published for "
            f"roster {commitment.roster_digest} and plan {commitment.plan_digest}; this "
            f"draw has roster {digests[0]} and plan {digests[1]}"
        )


UNCOMMITTED_WARNING = (
    "无承诺 uncommitted: this official draw was made without a commitment published before the "
    "seed; nothing shows that the roster, plan, key path and spelling of the seed were fixed "
    "before the seed was known"
)


def _draw(
    roster: TargetRoster,
    plan: SamplingPlan,
    source: UniformSource,
    stream: str,
    workers: int,
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
    commitment: Commitment | None,
    warnings: tuple[str, ...],
    progress: ProgressArg = None,
) -> Draw:
    """:func:`draw` once the source, stream and commitment are settled."""
    if workers < 1 or int(workers) != workers:
        raise PlanError(f"workers = {workers!r} must be a whole number ≥ 1")
    if not isinstance(stream, str) or not stream:
        raise PlanError(f"stream = {stream!r}: a key label is a non-empty string")
    exact = source.verifiable
    design = _build_design(roster, plan, exact=True) if exact else _simulation_design(roster, plan)
    units = source.child(stream)
    sizes = _rounded_sizes(plan, design, units)
    scale = _pps_scale(design, sizes, exact=exact) if plan.within == "pps" else None
    picked_st: npt.NDArray[np.integer[Any]]
    picked_scores = None  # the drawn rows' scores, when a simulation has them at hand
    gen = units.iid_generator()
    if gen is None:  # a number for every unit (official draws, coordinated batches)
        ids_all = roster.credit_code if design.rows is None else roster.credit_code[design.rows]
        u, pieces = uniforms_in_parallel(
            units,
            ids_all,
            workers,
            extra_jobs=fingerprint_jobs(roster, max(workers, -(-len(roster) // SLICE_ROWS))),
            progress=progress,
        )
        seal_fingerprint(roster, pieces)
        del ids_all
        picked, picked_st = _select_all(design, roster, u, sizes, scale)
        del u
    else:  # i.i.d. numbers stand in: only the strata's candidates need one
        # In row order: the gathers below are faster, and often the code order follows.
        picked, picked_st, picked_scores = _select_simulated(design, roster, gen, sizes, scale)
    if plan.within == "pps":
        pi = _pps_probabilities(design, picked, picked_st, exact=exact, scores=picked_scores)
    else:
        per = np.array(
            [x / n if n else 0.0 for x, n in zip(design.expected, design.populations, strict=True)]
            or [0.0]
        )
        pi = np.take(per, picked_st)
    rows = design.roster_rows(picked)
    ids = np.take(roster.credit_code, rows)  # np.take: faster than [] for S18 items
    digest = roster.digest() if source.verifiable else ""
    return _finish(
        plan,
        source,
        stream,
        design,
        sizes,
        (ids, rows, pi, picked_st),
        (digest, len(roster)),
        commitment,
        warnings,
        drawn_by,
        drawn_at,
    )


def _rounded_sizes(plan: SamplingPlan, design: _Design, units: UniformSource) -> list[int]:
    """Step 4: the strata's sample sizes ``n_h``, from the expected sizes and ``units``."""
    rounding = units.child(LABEL_ROUNDING)
    if plan.total is not None:  # one start: the sizes add up to the total exactly
        start = rounding.uniform(LABEL_START)
        sizes = _allocation.systematic_rounding(design.expected, start, True)
    else:  # a start per stratum: a stratum's size grows with its rate alone (nested samples)
        starts = [rounding.uniform(stratum_label(k)) for k in design.keys]
        sizes = _allocation.independent_rounding(design.expected, starts)
    return [min(s, p) for s, p in zip(sizes, design.populations, strict=True)]


def _finish(
    plan: SamplingPlan,
    source: UniformSource,
    stream: str,
    design: _Design,
    sizes: Sequence[int],
    sample: tuple[npt.NDArray[np.bytes_], npt.NDArray[np.intp], npt.NDArray[np.float64], Any],
    roster: tuple[str, int],
    commitment: Commitment | None,
    warnings: tuple[str, ...],
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
) -> Draw:
    """The :class:`Draw` and its receipt, from the drawn ``(ids, rows, π, strata)`` in any order.

    ``roster`` is the roster's ``(digest, size)`` (the digest is empty in a simulation). In
    memory, out of core and on Dask, every draw's record is assembled here.
    """
    ids, rows, pi, picked_st = sample
    stratum = picked_st.astype(np.intp, copy=False)
    order = code_order(ids)
    if order is not None:
        ids, rows = np.take(ids, order), np.take(rows, order)
        pi, stratum = np.take(pi, order), np.take(stratum, order)
    totals = design.score_totals
    strata = tuple(
        Stratum(key, n, x, s, x / n if n else 0.0, None if totals is None else totals[i])
        for i, (key, n, x, s) in enumerate(
            zip(design.keys, design.populations, design.expected, sizes, strict=True)
        )
    )
    # Simulations keep the receipt light: the digest of the sample, not the list.
    # ASCII to str by a cast (raises on any other byte, as decode would): 3× faster.
    id_strs = tuple(ids.astype(f"U{ids.dtype.itemsize}").tolist()) if source.verifiable else ()
    when = (drawn_at or dt.datetime.now(CHINA_TZ)).isoformat(timespec="seconds")
    described = source.describe()
    receipt = Receipt(
        format=RECEIPT_FORMAT,
        recipes={
            "prn": PRN_RECIPE,
            "design": DRAW_RECIPE,
            "roster": TargetRoster.RECIPE,
            "sample": SAMPLE_RECIPE,
        },
        library=library(),
        verifiable=source.verifiable,
        seed=described["seed"],
        path=tuple(described["path"]),
        stream=stream,
        plan=plan.to_dict(),
        roster_digest=roster[0],
        roster_size=roster[1],
        eligible=design.size,
        strata=tuple(s.to_dict() for s in strata),
        sample_size=int(ids.shape[0]),
        # Simulations skip the digest too: thousands of replicates, none of them published.
        sample_digest=(
            sorted_ids_digest(SAMPLE_RECIPE, ids, presorted=True) if source.verifiable else ""
        ),
        sample_ids=id_strs,
        commitment=None if commitment is None else commitment.digest,
        seed_rule=None if commitment is None else dict(commitment.seed_rule),
        seed_from=None if commitment is None else commitment.seed_from,
        warnings=warnings,
        drawn_at=when,
        drawn_by=drawn_by,
    )
    return Draw(plan, ids, rows, pi, stratum, strata, receipt)


def inclusion_probabilities(
    roster: TargetRoster,
    plan: SamplingPlan,
) -> npt.NDArray[np.float64]:
    """Every roster row's first-order inclusion probability under ``plan``, without drawing.

    Aligned with the roster's rows; 0 for targets the plan cannot draw. Equal-probability
    strata give ``x_h / N_h``; πps strata the design's target π (see the module docstring),
    the same numbers :attr:`Draw.inclusion_probabilities` reports for drawn targets.

    Raises
    ------
    PlanError
        As :func:`draw` does when the plan does not fit the roster.

    Examples
    --------
    >>> from randcheck import TargetRoster
    >>> roster = TargetRoster.from_columns({
    ...     "credit_code": ["91350100M000100Y43", "91130634MA07RWXK3G"],
    ...     "risk_class": ["A", "D"]})
    >>> inclusion_probabilities(roster, SamplingPlan(rates={"A": 0.1, "D": 1.0})).tolist()
    [0.1, 1.0]
    """
    design = _build_design(roster, plan, exact=True)
    out = np.zeros(len(roster), dtype=np.float64)
    pos = np.arange(design.size, dtype=np.intp)
    st = design.stratum_of
    if plan.within == "pps":
        pi = _pps_probabilities(design, pos, st, exact=True)
    else:
        per = np.array(
            [x / n if n else 0.0 for x, n in zip(design.expected, design.populations, strict=True)]
            or [0.0]
        )
        pi = per[st]
    out[design.roster_rows(pos)] = pi
    return out


def verify(
    receipt: Receipt | str | Mapping[str, Any],
    roster: TargetRoster,
    *,
    plan: SamplingPlan | None = None,
    workers: int = 1,
) -> None:
    """Recompute a draw from its receipt and the roster; raise if anything differs.

    Checks, in order: the receipt is of an official draw; the roster's digest equals the
    receipt's (the frame was not changed); the plan, if given, equals the receipt's; the
    commitment, if recorded, matches roster and plan; and the recomputed sample, strata and
    sizes equal the recorded ones.

    Parameters
    ----------
    receipt : Receipt, JSON text or dict
        The published receipt.
    roster : TargetRoster
        The roster the draw claims to come from.
    plan : SamplingPlan, optional
        The plan that was announced, to compare with the receipt's.
    workers : int
        Processes for the targets' numbers, as in :func:`draw`.

    Raises
    ------
    VerificationError
        Saying precisely what differs (``differences`` lists each finding).
    """
    _verify(receipt, roster, plan, workers, in_batch=False)


def _verify(
    receipt: Receipt | str | Mapping[str, Any],
    roster: TargetRoster,
    plan: SamplingPlan | None,
    workers: int,
    *,
    in_batch: bool,
) -> None:
    """:func:`verify`; ``in_batch``: a batch's item draw, whose batch holds the commitment."""
    _verify_by(
        receipt,
        plan,
        lambda p, source, stream: _draw(roster, p, source, stream, workers, None, None, None, ()),
        in_batch=in_batch,
        roster=lambda: (roster.digest(), len(roster)),
    )


def _verify_by(
    receipt: Receipt | str | Mapping[str, Any],
    plan: SamplingPlan | None,
    redraw: Callable[[SamplingPlan, HashSource, str], Draw],
    *,
    in_batch: bool,
    roster: Callable[[], tuple[str, int]] | None,
) -> None:
    """:func:`verify` with ``redraw(plan, source, stream)`` recomputing the draw.

    ``roster`` gives the roster's digest and size, checked first; ``None``: the redrawn
    receipt's (a draw from a file or a cluster computes them as it goes).
    """
    receipt = Receipt.read_official(receipt)
    assert receipt.seed is not None
    if receipt.recipes.get("prn") != PRN_RECIPE or receipt.recipes.get("design") != DRAW_RECIPE:
        raise VerificationError(
            f"this receipt uses recipes {dict(receipt.recipes)}, which this version of "
            f"randcheck does not implement"
        )
    try:
        path = check_path(receipt.path, "path")
        (stream,) = check_path((receipt.stream,), "stream")
    except PlanError as exc:
        raise VerificationError(f"the receipt's key path cannot be read: {exc}") from None
    diffs: list[str] = []

    def compare_roster(digest: str, size: int) -> None:
        if digest != receipt.roster_digest:
            diffs.append(
                f"roster changed: the receipt's roster digest is {receipt.roster_digest} "
                f"({receipt.roster_size} rows); this roster's is {digest} ({size} rows)"
            )

    if roster is not None:
        compare_roster(*roster())
    try:
        recorded_plan = SamplingPlan.from_dict(receipt.plan)
    except PlanError as exc:
        raise VerificationError(f"the receipt's plan cannot be read: {exc}") from None
    if plan is not None and plan != recorded_plan:
        diffs.append("plan changed: the plan given differs from the one in the receipt")
    if not in_batch:
        diffs += _check_seed_and_commitment(receipt, (*path, stream), recorded_plan.digest())
    try:
        source = HashSource.from_seed(receipt.seed).at(path)
    except PlanError as exc:
        raise VerificationError(f"the receipt's seed cannot be used: {exc}") from None
    try:
        again = redraw(recorded_plan, source, stream)
    except PlanError as exc:
        diffs.append(f"the draw cannot be recomputed on this roster: {exc}")
        raise VerificationError("; ".join(diffs), diffs) from None
    if roster is None:
        compare_roster(again.receipt.roster_digest, again.receipt.roster_size)
    if again.receipt.sample_digest != receipt.sample_digest:
        mine = set(again.receipt.sample_ids)
        theirs = set(receipt.sample_ids)
        added = sorted(mine - theirs)
        removed = sorted(theirs - mine)
        diffs.append(
            f"sample differs: recomputing gives {again.receipt.sample_size} targets, the "
            f"receipt lists {receipt.sample_size}; {len(removed)} listed but not drawn "
            f"{removed[:5]}, {len(added)} drawn but not listed {added[:5]}"
        )
    elif sorted_ids_digest(SAMPLE_RECIPE, list(receipt.sample_ids)) != receipt.sample_digest:
        diffs.append("the receipt's sample_ids do not match its sample_digest")
    if [dict(s) for s in again.receipt.strata] != [dict(s) for s in receipt.strata]:
        diffs.append(
            "strata differ: population, expected or sample sizes, probabilities or score "
            "totals per stratum do not match"
        )
    for field in ("eligible", "sample_size", "roster_size"):
        if getattr(again.receipt, field) != getattr(receipt, field):
            diffs.append(
                f"{field} differs: recomputing gives {getattr(again.receipt, field)}, the "
                f"receipt says {getattr(receipt, field)}"
            )
    if dict(receipt.recipes) != dict(again.receipt.recipes):
        diffs.append(
            f"recipes differ: the receipt names {dict(receipt.recipes)}, the draw uses "
            f"{dict(again.receipt.recipes)}"
        )
    if diffs:
        raise VerificationError("verification failed: " + "; ".join(diffs), diffs)


def _check_seed_and_commitment(
    receipt: Receipt, path: tuple[str, ...], plan_digest: str
) -> list[str]:
    """A receipt's seed against its seed rule, its commitment and its warnings (findings)."""
    diffs = []
    rule = None
    if receipt.seed_rule is not None:
        try:
            rule = SeedRule.from_dict(receipt.seed_rule)
        except PlanError as exc:
            diffs.append(f"the receipt's seed rule cannot be read: {exc}")
    if rule is not None:
        try:
            canonical = rule.canonical(receipt.seed)
        except PlanError as exc:
            diffs.append(f"the seed does not fit the committed seed rule: {exc}")
        else:
            if canonical != receipt.seed:
                diffs.append(
                    f"the seed {receipt.seed!r} is not in the canonical form of its seed rule "
                    f"({canonical!r})"
                )
    if receipt.commitment is None:
        if receipt.seed_rule is not None or receipt.seed_from is not None:
            diffs.append("the receipt records a seed rule or seed source but no commitment")
        if tuple(receipt.warnings) != (UNCOMMITTED_WARNING,):
            diffs.append(
                f"an uncommitted draw's receipt must carry the warning {UNCOMMITTED_WARNING!r}"
            )
        return diffs
    if tuple(receipt.warnings):
        diffs.append(f"unexpected warnings in the receipt of a committed draw: {receipt.warnings}")
    if rule is None or not isinstance(receipt.seed_from, str):
        diffs.append("the receipt records a commitment but not its seed rule and seed source")
        return diffs
    try:
        expected = Commitment.of(
            receipt.roster_digest, plan_digest, path, rule, receipt.seed_from
        ).digest
    except PlanError as exc:
        diffs.append(f"the commitment cannot be recomputed: {exc}")
        return diffs
    if expected != receipt.commitment:
        diffs.append(
            "commitment does not match the receipt's roster digest, plan, key path, seed rule "
            "and seed source"
        )
    return diffs
