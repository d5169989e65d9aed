"""Year-end figures (年度统计): what the bureau *did* in a year.

:func:`year_figures` gives coverage of the directory, publication and on-time rates, finding
rates and follow-up completion. They are counts and ratios of counts, with no model and no
randomness; the *population* share of enterprises with findings is estimated in
:mod:`randcheck.results.estimates`. :func:`cjk_font` finds a font with the Chinese glyphs for the
charts.

Every definition, with its formula, is in the documentation page *Year figures and estimates*.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck.calendar.deadlines import Status
from randcheck.errors import ResultError
from randcheck.models import INACTIVE_STATUSES
from randcheck.results.publication import PublicationTable, publication_rows, roster_rows
from randcheck.results.table import ResultTable
from randcheck.results.vocabulary import FINDING_CATEGORIES
from randcheck.roster import RISK_LETTERS

if TYPE_CHECKING:
    from randcheck.calendar import ProvisionalCalendar, WorkCalendar
    from randcheck.models import Item
    from randcheck.roster import TargetRoster


__all__ = ["CJK_FONTS", "COVERAGE_GOAL", "Figure", "YearFigures", "cjk_font", "year_figures"]


#: The yearly coverage goal: at least 3% of the enterprises in the jurisdiction
#: (企业公示信息抽查办法 Art. 4, SAMR Order 101, 2025).
COVERAGE_GOAL: Final = 0.03


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
    >>> from randcheck.results import cjk_font
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


def cjk_rc() -> Any:
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
        if not self.denominator:  # nothing to count: no rate (nan% would say nothing)
            return f"{self.figure}{where}: none to count (0/0)"
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
        return self.publication.take(self.publication.status == Status.OVERDUE)

    @property
    def pending(self) -> PublicationTable:
        """Results not yet published and not yet due (within their 20 working days)."""
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
        return _tables.frame(self.to_columns())

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
        Result categories that count as a finding (default
        :data:`~randcheck.results.FINDING_CATEGORIES`).
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
    >>> from randcheck.results import year_figures
    >>> t = ResultTable.from_columns({
    ...     "credit_code": ["91130634MA00000001"], "item": ["SW-02"],
    ...     "categories": ["违反其他相关规定"], "followups": ["责令改正"],
    ...     "inspection_end": ["2023-05-10"], "published_on": ["2023-05-12"]})
    >>> f = year_figures(t, roster, year=2023)
    >>> f.value("coverage"), f.value("finding_rate", "risk_class", "D")
    (0.5, 1.0)
    """
    results, as_of = _results_of(results, year, as_of, departments)
    rows = roster_rows(roster, results.credit_code)
    bad = np.flatnonzero(rows < 0)
    if bad.size:
        i = int(bad[0])
        more = f" ({bad.size} results in all)" if bad.size > 1 else ""
        raise ResultError(
            f"{results.where(i, 'credit_code', results.credit_code[i].decode())}: this target "
            f"is not in the directory{more}"
        )
    pub = publication_rows(results, as_of, roster, rows, items, calendar)
    figs = _coverage_figures(roster, rows, active_only, coverage_goal)
    figs += _publication_figures(results, pub)
    figs += _finding_figures(results, roster, rows, finding_categories)
    figs += _follow_up_figures(results, pub)
    return YearFigures(tuple(figs), pub, year, pub.as_of)


def _results_of(
    results: ResultTable,
    year: int | None,
    as_of: Any,
    departments: Iterable[str] | None,
) -> tuple[ResultTable, Any]:
    """The results the figures count (of ``year``, of ``departments``) and the judging date."""
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
    return results, as_of


def _coverage_figures(
    roster: TargetRoster, rows: npt.NDArray[np.intp], active_only: bool, coverage_goal: float
) -> list[Figure]:
    """Coverage of the directory, overall (against the goal) and by risk class."""
    n_roster = len(roster)
    in_frame = np.ones(n_roster, dtype=bool)
    if active_only:
        in_frame &= ~roster.status.mask(INACTIVE_STATUSES)
    inspected = np.zeros(n_roster, dtype=bool)
    inspected[rows] = True
    inspected &= in_frame
    cls = roster.risk_class.astype(np.intp)
    letters = list(RISK_LETTERS)
    figs = [Figure("coverage", "", "", int(inspected.sum()), int(in_frame.sum()), coverage_goal)]
    # The 3% rule is about the whole directory; per-class coverage is deliberately uneven.
    figs += _grouped("coverage", "risk_class", letters, cls, inspected, in_frame)
    return figs


def _departments(results: ResultTable) -> tuple[npt.NDArray[np.intp], tuple[str, ...]]:
    dep_codes, dep_labels = results.labels["department"]
    return dep_codes.astype(np.intp), dep_labels


def _publication_figures(results: ResultTable, pub: PublicationTable) -> list[Figure]:
    """Publication and on-time rates of the results due by the judging date, by department."""
    judged = pub.due_by_as_of
    figs = [
        Figure(
            "publication_rate", "", "", int((pub.published & judged).sum()), int(judged.sum()), 1.0
        ),
        Figure("on_time_rate", "", "", int(pub.on_time.sum()), int(judged.sum()), 1.0),
    ]
    dep_codes, dep_labels = _departments(results)
    if len(dep_labels) > 1 or (dep_labels and dep_labels[0]):
        figs += _grouped(
            "publication_rate", "department", dep_labels, dep_codes, pub.published, judged, 1.0
        )
        figs += _grouped(
            "on_time_rate", "department", dep_labels, dep_codes, pub.on_time, judged, 1.0
        )
    return figs


def _finding_figures(
    results: ResultTable,
    roster: TargetRoster,
    rows: npt.NDArray[np.intp],
    finding_categories: Iterable[str],
) -> list[Figure]:
    """The share of results with a finding, overall and by risk class, item and department."""
    everyone = np.ones(len(results), dtype=bool)
    cls = roster.risk_class.astype(np.intp)
    found = results.has_finding(finding_categories)
    figs = [Figure("finding_rate", "", "", int(found.sum()), len(results))]
    figs += _grouped("finding_rate", "risk_class", list(RISK_LETTERS), cls[rows], found, everyone)
    item_codes, item_labels = results.labels["item"]
    figs += _grouped(
        "finding_rate", "item", item_labels, item_codes.astype(np.intp), found, everyone
    )
    dep_codes, dep_labels = _departments(results)
    figs += _grouped("finding_rate", "department", dep_labels, dep_codes, found, everyone)
    return figs


def _follow_up_figures(results: ResultTable, pub: PublicationTable) -> list[Figure]:
    """The share of results needing a follow-up that were closed by the judging date."""
    needs = results.needs_follow_up()
    closed = results.closed_on <= np.datetime64(pub.as_of, "D")
    figs = [Figure("follow_up_completion", "", "", int((closed & needs).sum()), int(needs.sum()))]
    dep_codes, dep_labels = _departments(results)
    figs += _grouped("follow_up_completion", "department", dep_labels, dep_codes, closed, needs)
    return figs
