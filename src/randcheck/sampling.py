"""Target sampling (双随机 #1): risk-differentiated stratified draws with exact inclusion probabilities.

The design (recipe ``randcheck-draw/1``) in five steps; the explanation page works through it:

1. **Eligibility** (定向 / 不定向). A target is eligible when it matches the plan's
   :class:`Eligibility` (industries, tags, areas, risk classes, statuses) and is not 注销 / 吊销 /
   撤销 / 迁出 (by default) and was not inspected within the plan's repeat window.
2. **Strata.** Eligible targets are grouped by risk class, optionally crossed with industry and area,
   and, when the plan gives raised attention (经营异常名录, complaints) its own treatment, by an
   attention flag. Strata are ordered by their labels (risk letter, industry, area, flag).
3. **Expected sizes** ``x_h`` per stratum: per-class rates, or one overall rate spread by class
   multipliers, or a fixed total allocated proportionally, Neyman-style or equally, with minimums
   (不免抽). Computed in plain Python floats over strata (see :mod:`randcheck._allocation`).
4. **Sizes** ``n_h``: ``x_h`` rounded up or down at random by systematic rounding with one uniform
   start, so that ``E[n_h] = x_h`` exactly and, for a fixed total, ``Σ n_h`` equals it exactly.
   Each unit's inclusion probability is therefore ``x_h / N_h``: the stated rate, not a rounded one.
5. **Selection.** Each eligible target has a uniform number ``u`` from the seed and its credit
   code (:mod:`randcheck.randomness`). Equal probability: the stratum takes the ``n_h`` targets with
   the smallest ``u`` (a simple random sample without replacement). πps: target probabilities
   ``λ_i = min(1, c_h·s_i)`` from a positive score ``s`` with take-all capping, and the stratum
   takes the ``n_h`` smallest Pareto ranks ``ξ_i = u_i(1−λ_i) / ((1−u_i)λ_i)`` (Rosén's Pareto πps).
   Ties are broken by credit code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _allocation
from randcheck._dates import to_optional_date
from randcheck.errors import PlanError, VerificationError
from randcheck.models import INACTIVE_STATUSES, RiskClass
from randcheck.randomness import PRN_RECIPE, GeneratorSource, HashSource, source_for
from randcheck.roster import RISK_LETTERS, TargetRoster

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
    "verify",
]

DRAW_RECIPE = "randcheck-draw/1"
PLAN_FORMAT = "randcheck-plan/1"
RECEIPT_FORMAT = "randcheck-receipt/1"
SAMPLE_RECIPE = "randcheck-sample/1"
COMMITMENT_RECIPE = "randcheck-commitment/1"
ATTENTION_LABEL = "关注"
_STRATA_COLUMNS = ("risk_class", "industry", "area")
_CST = dt.timezone(dt.timedelta(hours=8))


def _opt_tuple(value: Iterable[str] | str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return tuple(sorted({str(v) for v in value}))


def _class_table(value: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None,
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
        out[letter] = float(v)
    return tuple(sorted(out.items()))


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
        Leave out targets whose ``last_inspected`` is within this many days before ``as_of``
        (avoid 重复检查). ``as_of`` is required with it.
    as_of : datetime.date, optional
        Reference date for ``recent_days``.
    """

    industries: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    tags: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    areas: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    area_prefix: str | None = None
    risk_classes: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    statuses: tuple[str, ...] | None = attrs.field(default=None, converter=_opt_tuple)
    exclude_statuses: tuple[str, ...] = attrs.field(
        default=tuple(sorted(INACTIVE_STATUSES)), converter=lambda v: tuple(sorted(set(v)))
    )
    recent_days: int | None = None
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
            industry=self.industries, area=self.areas, area_prefix=self.area_prefix,
            tags=self.tags, status=self.statuses, risk_class=self.risk_classes,
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
        pick = {"low": lambda lo, hi: lo, "high": lambda lo, hi: hi,
                "mid": lambda lo, hi: (lo + hi) / 2}[point]
        return {k: round(pick(lo, hi), 6) for k, (lo, hi) in self.ranges}


#: Published per-class tables (see DOMAIN.md). Open bounds ("< 3%", "> 80%") use the bound.
RATE_PRESETS: dict[str, RatePreset] = {
    p.name: p
    for p in (
        RatePreset("lindian-2024", "Lindian county, Heilongjiang, 2024 plan",
                   (("A", (0.0, 0.05)), ("B", (0.05, 0.20)), ("C", (0.21, 0.60)),
                    ("D", (0.61, 1.0))),
                   "A ≤ 5% and < 1×/yr, B 5–20% 1×/yr, C 21–60% < 2×/yr, D 61–100%"),
        RatePreset("yancheng-2022", "Yancheng, Jiangsu, 2022",
                   (("A", (0.03, 0.03)), ("B", (0.03, 0.20)), ("C", (0.30, 0.50)),
                    ("D", (0.80, 0.80))),
                   "A < 3%, B 3–20%, C 30–50%, D > 80% (open bounds taken at the bound)"),
        RatePreset("bayannur-2022", "Bayannur, Inner Mongolia, 2022",
                   (("A", (0.02, 0.02)), ("B", (0.05, 0.05)), ("C", (1.0, 1.0)),
                    ("D", (1.0, 1.0)))),
        RatePreset("henan-2021", "Henan, 2021 (four risk bands)",
                   (("A", (0.01, 0.01)), ("B", (0.02, 0.02)), ("C", (0.10, 0.10)),
                    ("D", (0.30, 0.30)))),
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
        separate stratum (``关注``) drawn at ``attention_rate``.
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
    rates: tuple[tuple[str, float], ...] | None = attrs.field(default=None,
                                                              converter=_class_table)
    overall_rate: float | None = None
    multipliers: tuple[tuple[str, float], ...] | None = attrs.field(default=None,
                                                                    converter=_class_table)
    total: int | None = None
    allocation: str = "proportional"
    prevalence: tuple[tuple[str, float], ...] | None = attrs.field(default=None,
                                                                   converter=_class_table)
    min_per_stratum: int = 0
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
        if not self.strata or self.strata[0] != "risk_class" or len(set(self.strata)) != len(
                self.strata) or any(s not in _STRATA_COLUMNS for s in self.strata):
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
        if self.total is not None and (self.total < 0 or int(self.total) != self.total):
            raise PlanError(f"total = {self.total} must be a whole number ≥ 0")
        if self.allocation not in ("proportional", "neyman", "equal"):
            raise PlanError(
                f"allocation = {self.allocation!r}; use 'proportional', 'neyman' or 'equal'")
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
                f"attention = {self.attention!r}; use 'none', 'multiplier' or 'stratum'")
        if self.attention == "multiplier" and not self.attention_multiplier >= 1.0:
            raise PlanError(
                f"attention_multiplier = {self.attention_multiplier} must be ≥ 1 (it raises)")
        if self.attention == "stratum" and self.total is None and self.attention_rate is None:
            raise PlanError("attention='stratum' needs attention_rate unless total is given")
        if self.attention_rate is not None and not 0.0 <= self.attention_rate <= 1.0:
            raise PlanError(f"attention_rate = {self.attention_rate} is outside [0, 1]")

    @classmethod
    def from_preset(cls, preset: str, point: Literal["low", "mid", "high"] = "mid",
                    **kwargs: Any) -> SamplingPlan:
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
        return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))

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
    stratum's total score (πps only), as used by the design (12 significant digits).
    """

    key: tuple[str, ...]
    population: int
    expected: float
    size: int
    probability: float
    size_total: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": list(self.key), "population": self.population,
                "expected": self.expected, "size": self.size,
                "probability": self.probability, "size_total": self.size_total}


@attrs.frozen
class Commitment:
    """A fingerprint of roster + plan, published before the seed exists (commit, then reveal).

    ``digest = "sha256:" + SHA-256("randcheck-commitment/1\\n" + roster digest + "\\n" +
    plan digest + "\\n")``. Publishing it first proves the frame and the plan were fixed before
    anyone could know the seed, so nobody could pick a seed that suits them.
    """

    roster_digest: str
    plan_digest: str
    digest: str

    @classmethod
    def of(cls, roster_digest: str, plan_digest: str) -> Commitment:
        text = f"{COMMITMENT_RECIPE}\n{roster_digest}\n{plan_digest}\n"
        return cls(roster_digest, plan_digest,
                   "sha256:" + hashlib.sha256(text.encode()).hexdigest())

    def to_dict(self) -> dict[str, str]:
        return {"recipe": COMMITMENT_RECIPE, "roster_digest": self.roster_digest,
                "plan_digest": self.plan_digest, "digest": self.digest}


def commit(roster: TargetRoster, plan: SamplingPlan) -> Commitment:
    """The commitment to publish before the seed is drawn.

    Examples
    --------
    >>> from randcheck import TargetRoster
    >>> roster = TargetRoster.from_columns({"credit_code": ["91350100M000100Y43"],
    ...                                     "risk_class": ["A"]})
    >>> c = commit(roster, SamplingPlan(rates={"A": 0.5}))
    >>> c.digest.startswith("sha256:")
    True
    """
    return Commitment.of(roster.digest(), plan.digest())


@attrs.frozen
class Receipt:
    """The public record of a draw: enough for anyone to recompute it with :func:`verify`.

    Fields: ``format`` (``randcheck-receipt/1``), ``recipes`` (names of the randomness, design,
    roster and sample recipes used), ``library`` (randcheck version), ``verifiable`` (False for
    simulations), ``seed``, ``path`` (child-key labels from the seed to the draw's source, empty
    for a stand-alone draw) and ``stream`` (the child key label of the unit numbers), ``plan``
    (the plan as a dict), ``roster_digest`` and ``roster_size``, ``eligible``, ``strata``,
    ``sample_size``, ``sample_digest`` (``sha256:`` of ``"randcheck-sample/1\\n"`` followed by the
    sorted credit codes, each ending in ``\\n``), ``sample_ids``, ``commitment`` (optional),
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
    drawn_at: str = ""
    drawn_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self, recurse=False)
        d["recipes"] = dict(self.recipes)
        d["plan"] = dict(self.plan)
        d["strata"] = [dict(s) for s in self.strata]
        d["sample_ids"] = list(self.sample_ids)
        d["path"] = list(self.path)
        return d

    def to_json(self, indent: int | None = 1) -> str:
        """The receipt as JSON (UTF-8 characters kept)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        d = dict(data)
        if d.get("format") != RECEIPT_FORMAT:
            raise VerificationError(
                f"receipt format {d.get('format')!r} is not one this version reads "
                f"({RECEIPT_FORMAT})")
        try:
            d["strata"] = tuple(d["strata"])
            d["sample_ids"] = tuple(d["sample_ids"])
            d["path"] = tuple(d.get("path", ()))
            return cls(**d)
        except (KeyError, TypeError) as exc:
            raise VerificationError(f"receipt is incomplete or malformed: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> Receipt:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise VerificationError(f"receipt JSON: {exc}") from None


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

    def to_columns(self) -> dict[str, npt.NDArray[Any]]:
        """Tidy columns: credit code, stratum label, inclusion probability, design weight."""
        labels = np.array(["/".join(s.key) for s in self.strata] or [""],
                          dtype=np.dtypes.StringDType())
        return {
            "credit_code": np.strings.decode(self.ids, "ascii"),
            "stratum": labels[self.stratum] if len(self) else labels[:0],
            "inclusion_probability": self.inclusion_probabilities,
            "weight": 1.0 / self.inclusion_probabilities,
        }


# ---------------------------------------------------------------------------- the design
@attrs.define
class _Design:
    """Everything about the draw that does not depend on the random numbers."""

    eligible_rows: npt.NDArray[np.intp]
    stratum_of: npt.NDArray[np.intp]  # per eligible row, index into keys (label order)
    keys: list[tuple[str, ...]]
    populations: list[int]
    expected: list[float]
    sizes_score: npt.NDArray[np.float64] | None  # per eligible row (πps)
    score_totals: list[float] | None


def _attention_flags(roster: TargetRoster, plan: SamplingPlan) -> npt.NDArray[np.bool_]:
    return roster.abnormal | (roster.complaints >= plan.attention_min_complaints)


def _build_design(roster: TargetRoster, plan: SamplingPlan) -> _Design:
    elig_mask = plan.eligibility.mask(roster)
    rows = np.flatnonzero(elig_mask)
    risk = roster.risk_class[rows].astype(np.int64)
    # Combine the stratum columns into one integer per row, then order strata by their labels.
    parts: list[tuple[npt.NDArray[np.int64], list[str]]] = [(risk, list(RISK_LETTERS))]
    for name in plan.strata[1:]:
        cat = roster.industry if name == "industry" else roster.area
        parts.append((cat.codes[rows].astype(np.int64), list(cat.categories)))
    if plan.attention != "none":
        flag = _attention_flags(roster, plan)[rows].astype(np.int64)
        parts.append((flag, ["", ATTENTION_LABEL]))
    code = np.zeros(rows.shape[0], dtype=np.int64)
    radix = 1
    for values, labels in reversed(parts):
        code += values * radix
        radix *= max(len(labels), 1)
    counts = np.bincount(code, minlength=1) if code.size else np.zeros(0, dtype=np.int64)
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
    remap = np.full(max(int(radix), 1), -1, dtype=np.intp)
    remap[present] = [index_of[k] for k in keys]
    stratum_of = remap[code] if code.size else np.zeros(0, dtype=np.intp)
    populations = np.bincount(stratum_of, minlength=len(uniq_keys)).tolist()

    sizes_score = None
    score_totals = None
    if plan.within == "pps":
        sizes_score, score_totals = _scores(roster, plan, rows, stratum_of, len(uniq_keys))
    expected = _expected_sizes(plan, uniq_keys, populations)
    return _Design(rows, stratum_of, uniq_keys, populations, expected, sizes_score, score_totals)


def _key_order(key: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    # Risk letters sort A…E; the attention-only stratum goes last.
    return (1, key) if key == (ATTENTION_LABEL,) else (0, key)


def _scores(roster: TargetRoster, plan: SamplingPlan, rows: npt.NDArray[np.intp],
            stratum_of: npt.NDArray[np.intp], k: int,
            ) -> tuple[npt.NDArray[np.float64], list[float]]:
    assert plan.size_column is not None
    try:
        column = roster.column(plan.size_column)
    except KeyError as exc:
        raise PlanError(f"size_column: {exc.args[0]}") from None
    if not isinstance(column, np.ndarray) or column.dtype.kind != "f":
        raise PlanError(f"size_column {plan.size_column!r} is not a numeric column")
    s = column[rows]
    bad = np.flatnonzero(~(s > 0) | ~np.isfinite(s))
    if bad.size:
        row = int(rows[bad[0]])
        raise PlanError(
            f"size_column {plan.size_column!r}: every eligible target needs a finite score > 0; "
            f"row {row + 1} ({roster.credit_code[row].decode()}) has {s[bad[0]]!r}"
            + (f" ({bad.size} such rows)" if bad.size > 1 else "")
        )
    totals = np.bincount(stratum_of, weights=s, minlength=k)
    return s, [_allocation.round12(float(t)) for t in totals]


def _expected_sizes(plan: SamplingPlan, keys: list[tuple[str, ...]],
                    populations: list[int]) -> list[float]:
    def letter(key: tuple[str, ...]) -> str:
        return key[0]

    def factor(key: tuple[str, ...]) -> float:
        return plan.attention_multiplier if (
            plan.attention == "multiplier" and key[-1] == ATTENTION_LABEL) else 1.0

    def need(table: str, key: tuple[str, ...]) -> float:
        v = plan.rate_of(table, letter(key))
        if v is None:
            raise PlanError(
                f"{table} gives no value for risk class {letter(key)}, which has eligible "
                f"targets; give one for every class present")
        return v

    low_min = max(plan.min_per_stratum, 1 if plan.no_exemption else 0)
    lower = [float(min(n, low_min)) for n in populations]
    upper = [float(n) for n in populations]

    if plan.total is not None:
        eligible = sum(populations)
        if plan.total > eligible:
            raise PlanError(f"total = {plan.total} is larger than the {eligible} eligible targets")
        if sum(lower) > plan.total:
            raise PlanError(
                f"the minimums per stratum need {int(sum(lower))} targets but total is "
                f"{plan.total}")
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
        return _allocation.fill_to_total(weights, lower, upper, float(plan.total))

    if plan.overall_rate is not None:
        weights = []
        for key, n in zip(keys, populations, strict=True):
            m = 1.0 if plan.multipliers is None else need("multipliers", key)
            if key == (ATTENTION_LABEL,):
                m = 1.0
            weights.append(n * m * factor(key))
        target = plan.overall_rate * sum(populations)
        target = max(target, sum(lower))
        return _allocation.fill_to_total(weights, lower, upper, target)

    out = []
    for key, n, lo in zip(keys, populations, lower, strict=True):
        if key == (ATTENTION_LABEL,):
            assert plan.attention_rate is not None
            r = plan.attention_rate
        else:
            r = min(1.0, need("rates", key) * factor(key))
        out.append(max(lo, n * r))
    return out


def _pps_scale(s: npt.NDArray[np.float64], stratum_of: npt.NDArray[np.intp],
               totals: list[float], n: list[int]) -> npt.NDArray[np.float64]:
    """Per-stratum ``c_h`` with ``λ_i = min(1, c_h·s_i)`` after take-all capping for sizes n."""
    k = len(totals)
    m = np.array(n, dtype=np.float64)
    rest = np.array(totals, dtype=np.float64)
    scale = np.where(rest > 0, m / np.where(rest > 0, rest, 1.0), 0.0)
    capped = np.zeros(s.shape[0], dtype=bool)
    while True:
        lam_raw = scale[stratum_of] * s
        newly = (lam_raw >= 1.0) & ~capped
        if not newly.any():
            return scale
        capped |= newly
        n_capped = np.bincount(stratum_of[capped], minlength=k)
        cap_sum = np.bincount(stratum_of[capped], weights=s[capped], minlength=k)
        for h in np.unique(stratum_of[newly]).tolist():
            remaining = n[h] - int(n_capped[h])
            rest_total = _allocation.round12(totals[h] - float(cap_sum[h]))
            scale[h] = remaining / rest_total if remaining > 0 and rest_total > 0 else 0.0


def _select(design: _Design, u: npt.NDArray[np.float64], sizes: list[int],
            roster: TargetRoster, scale: npt.NDArray[np.float64] | None,
            ) -> npt.NDArray[np.intp]:
    """Positions (into the eligible rows) of the ``n_h`` smallest ranks of each stratum."""
    k = len(design.keys)
    n = np.array(sizes, dtype=np.int64)
    pop = np.array(design.populations, dtype=np.int64)
    st = design.stratum_of
    if scale is None:
        rank = u
        frac = np.minimum(1.0, (n + 5.0 * np.sqrt(n) + 20.0) / np.maximum(pop, 1))
        threshold = frac
    else:
        assert design.sizes_score is not None
        lam = np.minimum(1.0, scale[st] * design.sizes_score)
        with np.errstate(divide="ignore", invalid="ignore"):
            rank = (u * (1.0 - lam)) / ((1.0 - u) * lam)
        rank = np.where(lam >= 1.0, 0.0, rank)
        threshold = 1.0 + 5.0 / np.sqrt(np.maximum(n, 1)) + 20.0 / np.maximum(n, 1)
    cand = np.flatnonzero(rank < threshold[st])
    have = np.bincount(st[cand], minlength=k)
    short = np.flatnonzero(have < n)
    if short.size:  # rare: take every member of those strata as a candidate
        extra = np.flatnonzero(np.isin(st, short))
        cand = np.union1d(cand, extra)
    codes = roster.credit_code[design.eligible_rows[cand]]
    order = np.lexsort((codes, rank[cand], st[cand]))
    cand = cand[order]
    s_c = st[cand]
    starts = np.searchsorted(s_c, np.arange(k))
    pos = np.arange(cand.shape[0]) - starts[s_c]
    return cand[pos < n[s_c]]


def _pps_probabilities(design: _Design, expected: list[float], picked: npt.NDArray[np.intp],
                       ) -> npt.NDArray[np.float64]:
    assert design.sizes_score is not None and design.score_totals is not None
    lo = [math.floor(x) for x in expected]
    hi = [f + 1 for f in lo]
    pop = design.populations
    lo = [min(v, p) for v, p in zip(lo, pop, strict=True)]
    hi = [min(v, p) for v, p in zip(hi, pop, strict=True)]
    s = design.sizes_score
    st = design.stratum_of
    scale_lo = _pps_scale(s, st, design.score_totals, lo)
    scale_hi = _pps_scale(s, st, design.score_totals, hi)
    phi = np.array([x - math.floor(x) for x in expected])
    sp, hp = s[picked], st[picked]
    return ((1.0 - phi[hp]) * np.minimum(1.0, scale_lo[hp] * sp)
            + phi[hp] * np.minimum(1.0, scale_hi[hp] * sp))


def _sample_digest(ids: list[str]) -> str:
    h = hashlib.sha256(f"{SAMPLE_RECIPE}\n".encode())
    for i in sorted(ids):
        h.update(i.encode("ascii") + b"\n")
    return "sha256:" + h.hexdigest()


def _library_version() -> str:
    from randcheck import __version__

    return f"randcheck {__version__}"


def draw(
    roster: TargetRoster,
    plan: SamplingPlan,
    *,
    seed: str | None = None,
    rng: Any = None,
    stream: str = "units",
    commitment: Commitment | None = None,
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
    source: HashSource | GeneratorSource | None = None,
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
    stream : str
        Label of the child key for the targets' numbers. Draws of several items that share the
        label share their numbers (coordinated samples, maximal overlap); give each item its own
        label for independent samples.
    commitment : Commitment, optional
        The commitment published before the seed; checked against roster and plan, and
        recorded in the receipt.
    drawn_by : str, optional
        Who drew it, for the record.
    drawn_at : datetime, optional
        When; default now (China Standard Time).
    source : optional
        A ready source (e.g. a batch's child) instead of ``seed``/``rng``.

    Returns
    -------
    Draw

    Raises
    ------
    PlanError
        If the plan does not fit the roster (a class without a rate, a total above the
        eligible population, a missing or invalid score column), or the seed is empty.

    Examples
    --------
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> plan = SamplingPlan(rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.5})
    >>> d = draw(county.targets, plan, seed="2023-11-07 双色球 03 08 14 22 27 31 + 09")
    >>> verify(d.receipt, county.targets) is None
    True
    """
    if source is None:
        source = source_for(seed, rng)
    design = _build_design(roster, plan)
    if commitment is not None and commitment != Commitment.of(roster.digest(), plan.digest()):
        raise PlanError(
            "the commitment does not match this roster and plan: it was published for roster "
            f"{commitment.roster_digest} and plan {commitment.plan_digest}")
    units = source.child(stream)
    start = units.child("rounding").uniform("start")
    exact = plan.total is not None
    sizes = _allocation.systematic_rounding(design.expected, start, exact)
    sizes = [min(s, p) for s, p in zip(sizes, design.populations, strict=True)]
    u = units.uniforms(roster.credit_code[design.eligible_rows])
    scale = None
    if plan.within == "pps":
        assert design.sizes_score is not None and design.score_totals is not None
        scale = _pps_scale(design.sizes_score, design.stratum_of, design.score_totals, sizes)
    picked = _select(design, u, sizes, roster, scale)
    rows = design.eligible_rows[picked]
    order = np.argsort(roster.credit_code[rows], kind="stable")
    picked, rows = picked[order], rows[order]
    if plan.within == "pps":
        pi = _pps_probabilities(design, design.expected, picked)
    else:
        per = np.array([x / n if n else 0.0 for x, n in
                        zip(design.expected, design.populations, strict=True)])
        pi = per[design.stratum_of[picked]] if picked.size else np.zeros(0)
    strata = tuple(
        Stratum(key, n, x, s, x / n if n else 0.0,
                None if design.score_totals is None else design.score_totals[i])
        for i, (key, n, x, s) in enumerate(zip(design.keys, design.populations,
                                               design.expected, sizes, strict=True))
    )
    ids = roster.credit_code[rows]
    id_strs = [b.decode("ascii") for b in ids.tolist()]
    when = (drawn_at or dt.datetime.now(_CST)).isoformat(timespec="seconds")
    receipt = Receipt(
        format=RECEIPT_FORMAT,
        recipes={"prn": PRN_RECIPE, "design": DRAW_RECIPE, "roster": roster.RECIPE,
                 "sample": SAMPLE_RECIPE},
        library=_library_version(),
        verifiable=source.verifiable,
        seed=source.describe()["seed"],
        path=tuple(source.describe()["path"]),
        stream=stream,
        plan=plan.to_dict(),
        roster_digest=roster.digest() if source.verifiable else "",
        roster_size=len(roster),
        eligible=int(design.eligible_rows.shape[0]),
        strata=tuple(s.to_dict() for s in strata),
        sample_size=len(id_strs),
        sample_digest=_sample_digest(id_strs),
        sample_ids=tuple(id_strs),
        commitment=None if commitment is None else commitment.digest,
        drawn_at=when,
        drawn_by=drawn_by,
    )
    return Draw(plan, ids, rows, pi, design.stratum_of[picked], strata, receipt)


def verify(receipt: Receipt | str | Mapping[str, Any], roster: TargetRoster, *,
           plan: SamplingPlan | None = None) -> None:
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

    Raises
    ------
    VerificationError
        Saying precisely what differs (``differences`` lists each finding).
    """
    if isinstance(receipt, str):
        receipt = Receipt.from_json(receipt)
    elif not isinstance(receipt, Receipt):
        receipt = Receipt.from_dict(receipt)
    if not receipt.verifiable or receipt.seed is None:
        raise VerificationError(
            "this receipt is from a simulation (rng=), which is not publicly verifiable; "
            "only draws made with seed= can be verified")
    if receipt.recipes.get("prn") != PRN_RECIPE or receipt.recipes.get("design") != DRAW_RECIPE:
        raise VerificationError(
            f"this receipt uses recipes {dict(receipt.recipes)}, which this version of "
            f"randcheck does not implement")
    diffs: list[str] = []
    digest = roster.digest()
    if digest != receipt.roster_digest:
        diffs.append(
            f"roster changed: the receipt's roster digest is {receipt.roster_digest} "
            f"({receipt.roster_size} rows); this roster's is {digest} ({len(roster)} rows)")
    try:
        recorded_plan = SamplingPlan.from_dict(receipt.plan)
    except PlanError as exc:
        raise VerificationError(f"the receipt's plan cannot be read: {exc}") from None
    if plan is not None and plan != recorded_plan:
        diffs.append("plan changed: the plan given differs from the one in the receipt")
    if receipt.commitment is not None:
        expected_c = Commitment.of(receipt.roster_digest, recorded_plan.digest()).digest
        if expected_c != receipt.commitment:
            diffs.append("commitment does not match the receipt's roster digest and plan")
    source = HashSource.from_seed(receipt.seed)
    for label in receipt.path:
        source = source.child(label)
    try:
        again = draw(roster, recorded_plan, source=source, stream=receipt.stream)
    except PlanError as exc:
        diffs.append(f"the draw cannot be recomputed on this roster: {exc}")
        raise VerificationError("; ".join(diffs), diffs) from None
    if again.receipt.sample_digest != receipt.sample_digest:
        mine = set(again.receipt.sample_ids)
        theirs = set(receipt.sample_ids)
        added = sorted(mine - theirs)
        removed = sorted(theirs - mine)
        diffs.append(
            f"sample differs: recomputing gives {again.receipt.sample_size} targets, the "
            f"receipt lists {receipt.sample_size}; {len(removed)} listed but not drawn "
            f"{removed[:5]}, {len(added)} drawn but not listed {added[:5]}")
    elif _sample_digest(list(receipt.sample_ids)) != receipt.sample_digest:
        diffs.append("the receipt's sample_ids do not match its sample_digest")
    if [dict(s) for s in again.receipt.strata] != [dict(s) for s in receipt.strata]:
        diffs.append("strata differ: population or sample sizes per stratum do not match")
    if diffs:
        raise VerificationError("verification failed: " + "; ".join(diffs), diffs)
