"""Year-end figures (年度统计) and design-based estimates of the share of enterprises with findings.

Two kinds of numbers, kept apart on purpose:

* **Year figures** (:func:`year_figures`) describe what the bureau *did*: coverage of the directory,
  publication and on-time rates, finding rates and follow-up completion. They are counts and
  ratios of counts, with no model and no randomness.
* **Estimates** (:func:`estimate_prevalence`) describe the *population*: the share of enterprises
  that would have a finding if all were inspected. Risk-weighted sampling inspects risky classes
  more often, so the raw finding rate of a year's sample overstates that share; the estimates
  weight each inspected enterprise by the inverse of its inclusion probability
  (Horvitz–Thompson) or combine per-stratum shares (stratified), and come with standard errors
  and confidence intervals.

Every definition, with its formula, is in the documentation page *Year figures and estimates*.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck.errors import PlanError, ResultError
from randcheck.models import INACTIVE_STATUSES
from randcheck.results import (
    FINDING_CATEGORIES,
    PublicationTable,
    ResultTable,
    _publication,
    _roster_rows,
)
from randcheck.roster import RISK_LETTERS
from randcheck.sampling import Draw

if TYPE_CHECKING:
    from randcheck.calendar import ProvisionalCalendar, WorkCalendar
    from randcheck.models import Item
    from randcheck.roster import TargetRoster

__all__ = [
    "CJK_FONTS",
    "COVERAGE_GOAL",
    "Estimate",
    "Estimates",
    "Figure",
    "YearFigures",
    "cjk_font",
    "estimate_prevalence",
    "year_figures",
]

#: The yearly coverage goal: at least 3% of the enterprises in the jurisdiction (DOMAIN.md).
COVERAGE_GOAL: Final = 0.03
_FIGURE_COLUMNS: Final = (
    "figure",
    "by",
    "group",
    "numerator",
    "denominator",
    "value",
    "goal",
    "below_goal",
)


def _frame(columns: Mapping[str, Any]) -> Any:
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "to_frame() needs pandas: pip install 'randcheck[pandas]'; to_columns() and "
            "to_rows() need nothing"
        ) from None
    return pd.DataFrame(dict(columns))


# ------------------------------------------------------------------------------ CJK fonts
#: Fonts with the Chinese glyphs of the labels, best first (family names as matplotlib reads them).
CJK_FONTS: Final = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
)
#: The same fonts by file name, for fonts installed after matplotlib built its font cache.
_CJK_FILES: Final = (
    "notosanscjk",
    "notosanssc",
    "sourcehansans",
    "wqy-microhei",
    "wqy-zenhei",
    "simhei",
    "msyh",
    "pingfang",
    "droidsansfallback",
)
_NO_CJK_FONT = (
    "no font with Chinese glyphs found: Chinese labels would show as empty boxes. Install one "
    "(Debian/Ubuntu: apt-get install fonts-noto-cjk; Windows and macOS have SimHei / Microsoft "
    "YaHei / PingFang) and plot again"
)
_cjk_warned: list[bool] = []  # warn once per process, not once per figure


def cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs (see :data:`CJK_FONTS`).

    Looks in matplotlib's font list, then among the system's font files (a font installed after
    matplotlib built its cache is added). ``None`` if there is none (or no matplotlib). The
    plots of randcheck use it for their Chinese labels and warn once, saying how to install one
    (``apt-get install fonts-noto-cjk`` …), when there is none.

    Examples
    --------
    Use it for your own matplotlib figures of county data:

    >>> import matplotlib
    >>> from randcheck.figures import cjk_font
    >>> fonts = [cjk_font() or "DejaVu Sans", "DejaVu Sans"]
    >>> with matplotlib.rc_context({"font.family": fonts}):
    ...     pass  # draw the figure here
    """
    try:
        from matplotlib import font_manager
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FONTS:
        if family in names:
            return family
    for path in sorted(font_manager.findSystemFonts()):
        base = os.path.basename(path).lower()
        if any(key in base for key in _CJK_FILES):
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
    return None


def _cjk_rc() -> Any:
    """rcParams that make Chinese labels render: a CJK font first, DejaVu Sans for the rest.

    Warns once (a :class:`UserWarning` saying how to install a font) when no CJK font exists.
    """
    family = cjk_font()
    if family is None:
        if not _cjk_warned:
            _cjk_warned.append(True)
            warnings.warn(_NO_CJK_FONT, UserWarning, stacklevel=3)
        return {}
    return {"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False}


# ------------------------------------------------------------------------------ year figures
@attrs.frozen
class Figure:
    """One year figure: ``numerator / denominator`` for a group, with its goal if it has one.

    ``figure`` is one of ``"coverage"``, ``"publication_rate"``, ``"on_time_rate"``,
    ``"finding_rate"``, ``"follow_up_completion"``; ``by`` is ``""`` for the overall figure or
    the grouping (``"risk_class"``, ``"item"``, ``"department"``); ``group`` is the group's label.
    """

    figure: str
    by: str
    group: str
    numerator: int
    denominator: int
    goal: float | None = None

    @property
    def value(self) -> float:
        """The ratio (NaN when the denominator is 0)."""
        return self.numerator / self.denominator if self.denominator else math.nan

    @property
    def below_goal(self) -> bool | None:
        """Whether the value is below its goal (``None`` without a goal or a denominator)."""
        if self.goal is None or not self.denominator:
            return None
        return self.value < self.goal

    def __str__(self) -> str:
        where = f"[{self.by}={self.group}]" if self.by else ""
        flag = " ⚠ below goal" if self.below_goal else ""
        return (
            f"{self.figure}{where}: {self.value:.2%} ({self.numerator:,}/{self.denominator:,})"
            f"{flag}"
        )


@attrs.frozen(eq=False)
class YearFigures:
    """The year's figures for one bureau or a whole roster, from :func:`year_figures`.

    Attributes
    ----------
    figures : tuple of Figure
        Every figure, overall and by group, in a fixed order.
    publication : PublicationTable
        The publication record of every result counted.
    year : int or None
        The year the results were taken from (by inspection end date), if one was given.
    as_of : datetime.date
        The date the publication status describes.
    """

    figures: tuple[Figure, ...]
    publication: PublicationTable
    year: int | None
    as_of: dt.date

    def get(self, figure: str, by: str = "", group: str = "") -> Figure:
        """The figure ``figure`` for ``group`` of grouping ``by`` (overall by default).

        Raises
        ------
        KeyError
            If there is no such figure.
        """
        for f in self.figures:
            if (f.figure, f.by, f.group) == (figure, by, group):
                return f
        raise KeyError(f"no figure {figure!r} by {by!r} for group {group!r}")

    def value(self, figure: str, by: str = "", group: str = "") -> float:
        """Shortcut for ``get(...).value``."""
        return self.get(figure, by, group).value

    @property
    def late(self) -> PublicationTable:
        """Results published after their due date."""
        return self.publication.late()

    @property
    def missing(self) -> PublicationTable:
        """Results not published as of :attr:`as_of` whose due date has passed (逾期未公示)."""
        from randcheck.calendar.deadlines import Status

        return self.publication.take(self.publication.status == Status.OVERDUE)

    @property
    def pending(self) -> PublicationTable:
        """Results not yet published and not yet due (within their 20 working days)."""
        from randcheck.calendar.deadlines import Status

        s = self.publication.status
        return self.publication.take((s == Status.ON_TIME) | (s == Status.DUE_SOON))

    def flags(self) -> list[Figure]:
        """The figures below their goal."""
        return [f for f in self.figures if f.below_goal]

    def to_columns(self) -> dict[str, npt.NDArray[Any]]:
        """The figures as a tidy table of columns: figure, by, group, numerator, denominator,
        value, goal (NaN when none) and below_goal."""
        fs = self.figures
        return {
            "figure": np.array([f.figure for f in fs], dtype=object),
            "by": np.array([f.by for f in fs], dtype=object),
            "group": np.array([f.group for f in fs], dtype=object),
            "numerator": np.array([f.numerator for f in fs], dtype=np.int64),
            "denominator": np.array([f.denominator for f in fs], dtype=np.int64),
            "value": np.array([f.value for f in fs], dtype=np.float64),
            "goal": np.array([math.nan if f.goal is None else f.goal for f in fs]),
            "below_goal": np.array([bool(f.below_goal) for f in fs], dtype=bool),
        }

    def to_rows(self) -> list[dict[str, Any]]:
        """The tidy table as one dict per figure."""
        return [
            {
                "figure": f.figure,
                "by": f.by,
                "group": f.group,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "value": f.value,
                "goal": f.goal,
                "below_goal": f.below_goal,
            }
            for f in self.figures
        ]

    def to_frame(self) -> Any:
        """The tidy table as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _frame(self.to_columns())

    def to_arrow(self) -> Any:
        """The tidy table as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns())

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8", headers: str = "en"
    ) -> None:
        """The tidy table as CSV; ``encoding="utf-8-sig"`` for Excel, ``headers="zh"``."""
        _tables.write_csv(path, self.to_columns(), encoding=encoding, headers=headers)

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """The same table as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes Chinese headers."""
        _tables.excel(path, self.to_columns(), headers=headers)

    def _repr_html_(self) -> str:
        """Jupyter's preview: a title, then the first rows of :meth:`to_columns`."""
        cols = self.to_columns()
        n = len(next(iter(cols.values()))) if cols else 0
        return _tables.preview_html(f"{type(self).__name__}: {n:,} rows", cols, n)

    def summary(self) -> str:
        """The overall figures and the flags, one per line."""
        lines = [str(f) for f in self.figures if not f.by]
        lines += [f"below goal: {f}" for f in self.flags() if f.by]
        return "\n".join(lines)


def _grouped(
    figure: str,
    by: str,
    labels: Sequence[str],
    codes: npt.NDArray[np.integer[Any]],
    hit: npt.NDArray[np.bool_],
    base: npt.NDArray[np.bool_],
    goal: float | None = None,
) -> list[Figure]:
    k = len(labels)
    num = np.bincount(codes[hit & base], minlength=k)
    den = np.bincount(codes[base], minlength=k)
    return [
        Figure(figure, by, labels[j], int(num[j]), int(den[j]), goal) for j in range(k) if den[j]
    ]


def year_figures(
    results: ResultTable,
    roster: TargetRoster,
    *,
    year: int | None = None,
    as_of: Any = None,
    departments: Iterable[str] | None = None,
    coverage_goal: float = COVERAGE_GOAL,
    finding_categories: Iterable[str] = FINDING_CATEGORIES,
    active_only: bool = True,
    items: Iterable[Item] = (),
    calendar: WorkCalendar | ProvisionalCalendar | None = None,
) -> YearFigures:
    """The year-end figures of a bureau (or of every department in ``results``).

    Parameters
    ----------
    results : ResultTable
        The year's results (more are fine: ``year`` selects them).
    roster : TargetRoster
        The directory (检查对象名录库): the denominator of coverage, and each target's class.
    year : int, optional
        Count only results whose inspection ended in this year.
    as_of : date-like, optional
        The date publication status is judged on; default 31 December of ``year`` (required
        without ``year``).
    departments : iterable of str, optional
        Count only these departments' results (one bureau); default every result.
    coverage_goal : float
        The coverage goal (default 3%); the overall coverage is flagged below it. Coverage by
        class has no goal: differentiated sampling makes it uneven on purpose.
    finding_categories : iterable of str
        Result categories that count as a finding (default :data:`~randcheck.FINDING_CATEGORIES`).
    active_only : bool
        Coverage counts enterprises that are not 注销, 吊销, 撤销 or 迁出 (default); False
        counts every row of the directory.
    items : iterable of Item
        Item names for the publication records.
    calendar : optional
        Working-day calendar for the due dates.

    Returns
    -------
    YearFigures

    Raises
    ------
    ResultError
        A result whose target is not in the directory (naming the row), or no ``as_of``.

    Notes
    -----
    Definitions (see the explanation page for the details):

    * coverage = distinct enterprises of the directory with a result ÷ enterprises of the
      directory, overall and by risk class;
    * publication rate = results published by ``as_of`` ÷ results that are published or
      overdue (results still within their 20 working days are *pending* and not counted);
    * on-time rate = results published by their due date ÷ the same denominator;
    * finding rate = results with a finding ÷ results, overall and by class, item and department;
    * follow-up completion = results needing follow-up that are closed by ``as_of`` ÷ results
      needing follow-up (:meth:`~randcheck.ResultTable.needs_follow_up`).

    Examples
    --------
    >>> roster = randcheck.TargetRoster.from_columns({
    ...     "credit_code": ["91350100M000100Y43", "91130634MA00000001"], "risk_class": ["A", "D"]})
    >>> from randcheck.results import ResultTable
    >>> from randcheck.figures import year_figures
    >>> t = ResultTable.from_columns({
    ...     "credit_code": ["91130634MA00000001"], "item": ["SW-02"],
    ...     "categories": ["违反其他相关规定"], "followups": ["责令改正"],
    ...     "inspection_end": ["2023-05-10"], "published_on": ["2023-05-12"]})
    >>> f = year_figures(t, roster, year=2023)
    >>> f.value("coverage"), f.value("finding_rate", "risk_class", "D")
    (0.5, 1.0)
    """
    if year is not None:
        if as_of is None:
            as_of = dt.date(year, 12, 31)
        years = results.inspection_end.astype("datetime64[Y]").astype(np.int64) + 1970
        if not (years == year).all():
            results = results.take(years == year)
    if as_of is None:
        raise ResultError("year_figures: give year= or as_of= (the date publication is judged on)")
    if departments is not None:
        codes, labels = results.labels["department"]
        wanted = np.isin(np.array(labels or ("",), dtype=object), list(departments))
        results = results.take(wanted[codes])
    n_roster = len(roster)
    rows = _roster_rows(roster, results.credit_code)
    bad = np.flatnonzero(rows < 0)
    if bad.size:
        i = int(bad[0])
        more = f" ({bad.size} results in all)" if bad.size > 1 else ""
        raise ResultError(
            f"{results.where(i, 'credit_code', results.credit_code[i].decode())}: this target "
            f"is not in the directory{more}"
        )
    pub = _publication(results, as_of, roster, rows, items, calendar)
    everyone = np.ones(len(results), dtype=bool)
    figs: list[Figure] = []

    # coverage
    in_frame = np.ones(n_roster, dtype=bool)
    if active_only:
        in_frame &= ~roster.status.mask(INACTIVE_STATUSES)
    inspected = np.zeros(n_roster, dtype=bool)
    inspected[rows] = True
    inspected &= in_frame
    cls = roster.risk_class.astype(np.intp)
    letters = list(RISK_LETTERS)
    figs.append(
        Figure("coverage", "", "", int(inspected.sum()), int(in_frame.sum()), coverage_goal)
    )
    # The 3% rule is about the whole directory; per-class coverage is deliberately uneven.
    figs += _grouped("coverage", "risk_class", letters, cls, inspected, in_frame)

    # publication
    judged = pub.due_by_as_of
    figs.append(
        Figure(
            "publication_rate", "", "", int((pub.published & judged).sum()), int(judged.sum()), 1.0
        )
    )
    figs.append(Figure("on_time_rate", "", "", int(pub.on_time.sum()), int(judged.sum()), 1.0))
    dep_codes, dep_labels = results.labels["department"]
    dep_codes = dep_codes.astype(np.intp)
    if len(dep_labels) > 1 or (dep_labels and dep_labels[0]):
        figs += _grouped(
            "publication_rate", "department", dep_labels, dep_codes, pub.published, judged, 1.0
        )
        figs += _grouped(
            "on_time_rate", "department", dep_labels, dep_codes, pub.on_time, judged, 1.0
        )

    # findings
    found = results.has_finding(finding_categories)
    figs.append(Figure("finding_rate", "", "", int(found.sum()), len(results)))
    figs += _grouped("finding_rate", "risk_class", letters, cls[rows], found, everyone)
    item_codes, item_labels = results.labels["item"]
    figs += _grouped(
        "finding_rate", "item", item_labels, item_codes.astype(np.intp), found, everyone
    )
    figs += _grouped("finding_rate", "department", dep_labels, dep_codes, found, everyone)

    # follow-up
    needs = results.needs_follow_up()
    closed = results.closed_on <= np.datetime64(pub.as_of, "D")
    figs.append(
        Figure("follow_up_completion", "", "", int((closed & needs).sum()), int(needs.sum()))
    )
    figs += _grouped("follow_up_completion", "department", dep_labels, dep_codes, closed, needs)
    return YearFigures(tuple(figs), pub, year, pub.as_of)


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
        return _frame(self.to_columns())


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
    >>> from randcheck.figures import estimate_prevalence
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
    y = _outcomes(drawn, findings, item, finding_categories)
    known = ~np.isnan(y)
    if missing == "error" and not known.all():
        k = int(np.flatnonzero(~known)[0])
        raise ResultError(
            f"the drawn target {drawn.ids[k].decode()} has no result ({int((~known).sum())} "
            "drawn targets in all); enter them, or pass missing='ignore' to reweight within "
            "strata"
        )
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

    yk, pik, sk = y[known], pi[known], st[known]
    z_of = NormalDist().inv_cdf(0.5 + level / 2.0)

    def one(by_name: str, label: str, d: npt.NDArray[np.bool_], size: float | None) -> Estimate:
        w = d / pik
        total = float((w * yk).sum())
        n_hat = float(w.sum())
        if method == "hajek" or size is None:
            n_d = n_hat
            p = total / n_d if n_d > 0 else math.nan
            z = d * (yk - (0.0 if math.isnan(p) else p)) / (n_d if n_d > 0 else 1.0)
        else:
            n_d = size
            p = total / n_d if n_d > 0 else math.nan
            z = d * yk / (n_d if n_d > 0 else 1.0)
        v = _variance(z, pik, sk, k_strata)
        se = math.sqrt(v)
        m = int(d.sum())
        hits = int((d & (yk == 1)).sum())
        if m == 0:  # nothing observed in the domain: not estimable
            p = se = math.nan
        lo, hi = _interval(p, v, m, z_of, interval)
        return Estimate(by_name, label, p, se, lo, hi, m, hits, hits / m if m else math.nan, n_d)

    total_pop = float(pop.sum())
    rows = [one("", "", np.ones(yk.shape[0], dtype=bool), total_pop)]
    if by is not None:
        labels, dom, sizes = _domain_labels(drawn, roster, by)
        dk = dom[known]
        for j, label in enumerate(labels):
            if sizes is not None and sizes[j] == 0 and not (dk == j).any():
                continue
            rows.append(one(by, label, dk == j, None if sizes is None else float(sizes[j])))
    return Estimates(tuple(rows), method, level, interval, tuple(notes))


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
