"""A sampling plan (抽查计划): eligibility, rates, strata, the recipe constants."""

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

from randcheck._dates import to_optional_date
from randcheck.errors import PlanError
from randcheck.models import INACTIVE_STATUSES, RiskClass
from randcheck.roster import (
    TargetRoster,
)

#: The design's recipe: eligibility, strata, sizes, rounding and selection (module docstring).
DRAW_RECIPE = "randcheck-draw/2"
#: The format of a plan's canonical JSON (:meth:`SamplingPlan.to_dict`), hashed by commitments.
PLAN_FORMAT = "randcheck-plan/1"
#: The format of a draw's receipt (:class:`Receipt`).
RECEIPT_FORMAT = "randcheck-receipt/2"
#: The sample digest: SHA-256 of this name and the drawn credit codes in byte order.
SAMPLE_RECIPE = "randcheck-sample/1"
#: The digest of a commitment (:class:`Commitment`) published before the seed.
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
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise PlanError(f"{what} = {value!r} must be a whole number")
    return int(value)


def _whole_total(value: Any) -> int | None:
    """``total`` as a whole number (``500.0`` from a plan file is ``500``, as it is recorded)."""
    try:
        return _whole(value, "total")
    except PlanError:
        raise PlanError(f"total = {value!r} must be a whole number ≥ 0") from None


def _whole_complaints(value: Any) -> int:
    whole = _whole(value, "attention_min_complaints")
    if whole is None:
        raise PlanError("attention_min_complaints = None must be a whole number")
    return whole


def _is_bool(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, bool):
        raise PlanError(f"{attribute.name} = {value!r} must be true or false")


def _is_str(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str):
        raise PlanError(f"{attribute.name} = {value!r} must be text")


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
            if not 0 <= self.recent_days <= 36525:  # numpy's dates end long before 10**30 days
                raise PlanError(
                    "eligibility.recent_days must be from 0 to 36525 (a century), got "
                    f"{self.recent_days}"
                )
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


#: Published per-class tables, each with its source (see the glossary). Open bounds ("< 3%",
#: "> 80%") use the bound.
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

    name: str = attrs.field(default="", validator=_is_str)
    eligibility: Eligibility = attrs.field(factory=Eligibility)
    strata: tuple[str, ...] = attrs.field(default=("risk_class",), converter=tuple)
    rates: tuple[tuple[str, float], ...] | None = attrs.field(default=None, converter=_class_table)
    overall_rate: float | None = None
    multipliers: tuple[tuple[str, float], ...] | None = attrs.field(
        default=None, converter=_class_table
    )
    total: int | None = attrs.field(default=None, converter=_whole_total)
    allocation: str = "proportional"
    prevalence: tuple[tuple[str, float], ...] | None = attrs.field(
        default=None, converter=_class_table
    )
    min_per_stratum: int = attrs.field(default=0, converter=_whole_minimum)
    no_exemption: bool = attrs.field(default=False, validator=_is_bool)
    within: str = "equal"
    size_column: str | None = None
    attention: str = "none"
    attention_multiplier: float = 2.0
    attention_rate: float | None = None
    attention_min_complaints: int = attrs.field(default=1, converter=_whole_complaints)

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
STRATUM_FIELDS: Mapping[str, Any] = {
    "key": list[str],
    "population": int,
    "expected": float,
    "size": int,
    "probability": float,
    "size_total": float | None,
}


#: A plan as records hold it (:meth:`SamplingPlan.to_dict`): field → JSON type.
PLAN_FIELDS: Mapping[str, Any] = {
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
ELIGIBILITY_FIELDS: Mapping[str, Any] = {
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
