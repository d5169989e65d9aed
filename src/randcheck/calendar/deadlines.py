"""Deadline rules (期限规则) and the due dates and status of a batch of inspections.

A rule says when something is due, counted from an *event* whose date sits in a named column:

* :class:`WorkdaysAfter` — "N working days after E" (E's day is not counted, 民法典 第二百零一条);
* :class:`CalendarDaysAfter` — "N calendar days after E", moved to the next working day when it
  ends on a rest day (民法典 第二百零三条);
* :class:`FixedDate` — "by a fixed date", e.g. 31 March of the plan year (3月底前);
* :class:`Earliest` — whichever of several rules is earlier.

Built-in rules: :data:`RESULT_PUBLICATION` (检查结果录入公示, 20 working days after the inspection
ends), :func:`officer_matching` (执法人员匹配, by default 2 working days after the draw) and
:data:`ANNUAL_PLAN` (年度抽查工作计划, by 31 March of the plan year).

:func:`due_dates` computes, for columns of event dates, the due date and a :class:`Status` of every
row as of a given date, vectorized. With a :class:`~randcheck.calendar.ProvisionalCalendar`, each
row also says whether its due date is provisional.
"""

from __future__ import annotations

import datetime
import enum
import os
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol, TypeAlias

import attrs
import numpy as np
from numpy.typing import NDArray

from randcheck import _tables
from randcheck._dates import DateLike, as_date, as_dates
from randcheck.calendar.workdays import ProvisionalCalendar, WorkCalendar
from randcheck.errors import CalendarCoverageError, CalendarError

__all__ = [
    "ANNUAL_PLAN",
    "OFFICER_MATCHING",
    "RESULT_PUBLICATION",
    "CalendarDaysAfter",
    "Deadline",
    "DueDates",
    "Earliest",
    "FixedDate",
    "Rule",
    "Status",
    "WorkdaysAfter",
    "due_dates",
    "officer_matching",
]

AnyCalendar: TypeAlias = WorkCalendar | ProvisionalCalendar


class SupportsColumns(Protocol):
    """Anything with columns by name: a ``dict`` of arrays, a pandas ``DataFrame``…"""

    def __getitem__(self, key: str, /) -> Any: ...


_Cols: TypeAlias = dict[str, NDArray[Any]]
_Due: TypeAlias = tuple[NDArray[Any], NDArray[np.bool_]]


class Status(enum.IntEnum):
    """Where a row stands as of a date; stored as ``int8`` codes in :attr:`DueDates.status`."""

    NOT_STARTED = 0
    """The event has no date yet (NaT): nothing is due."""
    ON_TIME = 1
    """Not done, and more than ``soon`` working days remain (未到期)."""
    DUE_SOON = 2
    """Not done, due today or within ``soon`` working days (即将到期)."""
    OVERDUE = 3
    """Not done, and the due date has passed (已逾期)."""
    DONE = 4
    """Done on or before the due date (按时完成)."""
    DONE_LATE = 5
    """Done after the due date (逾期完成)."""

    @property
    def label(self) -> str:
        """English label, e.g. ``"due soon"``."""
        return self.name.lower().replace("_", " ")

    @property
    def zh(self) -> str:
        """Chinese label, e.g. ``"即将到期"``."""
        return _ZH[self]


_ZH: Final = {
    Status.NOT_STARTED: "未开始",
    Status.ON_TIME: "未到期",
    Status.DUE_SOON: "即将到期",
    Status.OVERDUE: "已逾期",
    Status.DONE: "按时完成",
    Status.DONE_LATE: "逾期完成",
}


# --------------------------------------------------------------------------------------------
# Calendar access that works for both calendars and keeps the provisional flags
# --------------------------------------------------------------------------------------------


def _add_workdays(cal: AnyCalendar, d: NDArray[Any], n: int) -> _Due:
    if isinstance(cal, ProvisionalCalendar):
        r = cal.add_workdays(d, n)
        return r.value, r.provisional
    return cal.add_workdays(d, n), np.zeros(d.shape, dtype=bool)


def _roll_forward(cal: AnyCalendar, d: NDArray[Any]) -> _Due:
    if isinstance(cal, ProvisionalCalendar):
        r = cal.next_workday(d, inclusive=True)
        return r.value, r.provisional
    return cal.next_workday(d, inclusive=True), np.zeros(d.shape, dtype=bool)


def _between(cal: AnyCalendar, a: NDArray[Any], b: NDArray[Any]) -> tuple[NDArray[Any], ...]:
    if isinstance(cal, ProvisionalCalendar):
        r = cal.workdays_between(a, b)
        return r.value, r.provisional
    return cal.workdays_between(a, b), np.zeros(b.shape, dtype=bool)


def _years_of(days: NDArray[Any]) -> NDArray[np.int64]:
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


def _date_column(cols: _Cols, name: str) -> NDArray[Any]:
    col = cols[name]
    if col.dtype.kind != "M":
        raise CalendarError(
            f"events: column {name!r} holds {col.dtype} values; this rule needs dates"
        )
    return col


# --------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------


def _check_event(rule: str) -> Any:
    def check(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise CalendarError(
                f"{rule}: field {attribute.name!r}, value {value!r}: expected the name of the "
                "event's date column, e.g. 'inspection_end'"
            )

    return check


def _check_count(rule: str, minimum: int, why: str) -> Any:
    def check(_: Any, attribute: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or value < minimum:
            raise CalendarError(
                f"{rule}: field {attribute.name!r}, value {value!r}: expected a whole number "
                f">= {minimum}; {why}"
            )

    return check


class _RuleMixin:
    """What every rule can do, given ``events``, ``describe`` and ``_due``."""

    __slots__ = ()

    @property
    def events(self) -> tuple[str, ...]:
        """The event columns the rule reads."""
        raise NotImplementedError

    def describe(self) -> str:
        """A sentence saying what the rule is."""
        raise NotImplementedError

    def _due(self, cols: _Cols, cal: AnyCalendar) -> _Due:
        raise NotImplementedError

    def deadline(
        self,
        event: DateLike | int | Mapping[str, DateLike | int],
        *,
        calendar: AnyCalendar | None = None,
    ) -> Deadline:
        """The due date for one event (or, for several events, a mapping of name to date).

        Parameters
        ----------
        event
            The date of the rule's event; a year (int) for a :class:`FixedDate` rule; or a
            mapping from event name to date when the rule reads several events.
        calendar
            A :class:`~randcheck.calendar.WorkCalendar` (default: ``WorkCalendar.default()``)
            or a :class:`~randcheck.calendar.ProvisionalCalendar`.

        Returns
        -------
        Deadline

        Raises
        ------
        CalendarError
            The event is not a date, or a needed event is missing.
        CalendarCoverageError
            The count passes through a year without schedule (strict calendar only).
        """
        if isinstance(event, Mapping):
            given: Mapping[str, Any] = event
        elif len(self.events) == 1:
            given = {self.events[0]: event}
        else:
            raise CalendarError(
                f"deadline: the rule reads {len(self.events)} events "
                f"({', '.join(self.events)}); pass a mapping from event name to date"
            )
        cols: _Cols = {}
        for name in self.events:
            if name not in given:
                raise CalendarError(
                    f"deadline: event {name!r} is missing; the rule "
                    f"({self.describe()}) needs {', '.join(self.events)}"
                )
            value = given[name]
            if type(value) is int:
                cols[name] = np.array([value], dtype=np.int64)
            else:
                cols[name] = np.array([as_date(value, field=name)], dtype="datetime64[D]")
        cal = WorkCalendar.default() if calendar is None else calendar
        due, prov = self._due(cols, cal)
        years: tuple[int, ...] = ()
        day: datetime.date = due[0].item()
        if prov[0]:
            base = cal.calendar if isinstance(cal, ProvisionalCalendar) else cal
            years = tuple(y for y in _span_years(cols, due) if not base.covers(y))
        return Deadline(day, bool(prov[0]), self.describe(), years)


def _span_years(cols: _Cols, due: NDArray[Any]) -> range:
    years = [int(_years_of(due).min()), int(_years_of(due).max())]
    for col in cols.values():
        ys = col if col.dtype.kind in "iu" else _years_of(col)
        years += [int(ys.min()), int(ys.max())]
    return range(min(years), max(years) + 1)


@attrs.frozen
class WorkdaysAfter(_RuleMixin):
    """Due on the ``n``-th working day after the event; the event's day is not counted.

    Parameters
    ----------
    n
        Working days, at least 1.
    event
        The name of the event's date column.
    label
        What the deadline is for, shown by :meth:`describe`.

    Examples
    --------
    >>> from randcheck.calendar.deadlines import WorkdaysAfter
    >>> rule = WorkdaysAfter(20, event="inspection_end")
    >>> rule.deadline("2025-09-26").date  # over 国庆 2025
    datetime.date(2025, 10, 30)
    """

    n: int = attrs.field(
        validator=_check_count("WorkdaysAfter", 1, "count forward; the event's day is day 0")
    )
    event: str = attrs.field(default="event", validator=_check_event("WorkdaysAfter"))
    label: str | None = None

    @property
    def events(self) -> tuple[str, ...]:
        """``(event,)``."""
        return (self.event,)

    def describe(self) -> str:
        """E.g. ``"20 working days after inspection_end"``, prefixed by the label."""
        text = f"{self.n} working days after {self.event}"
        return text if self.label is None else f"{self.label}: {text}"

    def _due(self, cols: _Cols, cal: AnyCalendar) -> _Due:
        return _add_workdays(cal, _date_column(cols, self.event), self.n)


@attrs.frozen
class CalendarDaysAfter(_RuleMixin):
    """Due ``n`` calendar days after the event (自然日).

    Parameters
    ----------
    n
        Calendar days, at least 0.
    event
        The name of the event's date column.
    roll
        If the last day is a rest day, move it to the next working day (民法典 第二百零三条:
        期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日). Default ``True``;
        with ``False`` no calendar is consulted.
    label
        What the deadline is for.

    Examples
    --------
    >>> from randcheck.calendar.deadlines import CalendarDaysAfter
    >>> CalendarDaysAfter(7, event="notice").deadline("2025-09-24").date  # 1 Oct → 9 Oct
    datetime.date(2025, 10, 9)
    >>> CalendarDaysAfter(7, event="notice", roll=False).deadline("2025-09-24").date
    datetime.date(2025, 10, 1)
    """

    n: int = attrs.field(
        validator=_check_count("CalendarDaysAfter", 0, "a deadline counts forward from the event")
    )
    event: str = attrs.field(default="event", validator=_check_event("CalendarDaysAfter"))
    roll: bool = True
    label: str | None = None

    @property
    def events(self) -> tuple[str, ...]:
        """``(event,)``."""
        return (self.event,)

    def describe(self) -> str:
        """E.g. ``"7 calendar days after notice"``."""
        text = f"{self.n} calendar days after {self.event}"
        if self.roll:
            text += " (next working day if that is a rest day)"
        return text if self.label is None else f"{self.label}: {text}"

    def _due(self, cols: _Cols, cal: AnyCalendar) -> _Due:
        due = _date_column(cols, self.event) + np.timedelta64(self.n, "D")
        if self.roll:
            return _roll_forward(cal, due)
        return due, np.zeros(due.shape, dtype=bool)


@attrs.frozen
class FixedDate(_RuleMixin):
    """Due by a fixed month and day of the event's year (plus ``year_offset``), e.g. 3月底前.

    The event column holds dates (their year is used) or plain years (ints).

    Parameters
    ----------
    month, day
        The due date in the year; 29 February is not allowed.
    event
        The name of the column with the year (or a date in it).
    year_offset
        Years to add, e.g. ``-1`` for "by 15 December of the year before the plan year".
    roll
        Move a due date on a rest day to the next working day (default ``False``: "by 31 March"
        stays 31 March).
    label
        What the deadline is for.

    Examples
    --------
    >>> from randcheck.calendar.deadlines import FixedDate
    >>> FixedDate(3, 31, event="plan_year").deadline(2026).date
    datetime.date(2026, 3, 31)
    """

    month: int = attrs.field()
    day: int = attrs.field()
    event: str = attrs.field(default="plan_year", validator=_check_event("FixedDate"))
    year_offset: int = attrs.field(default=0)
    roll: bool = False
    label: str | None = None

    def __attrs_post_init__(self) -> None:
        for name, value in (("month", self.month), ("day", self.day)):
            if type(value) is not int:
                raise CalendarError(f"FixedDate: field {name!r}, value {value!r}: expected an int")
        if type(self.year_offset) is not int:
            raise CalendarError(
                f"FixedDate: field 'year_offset', value {self.year_offset!r}: expected an int"
            )
        try:
            datetime.date(2001, self.month, self.day)
        except ValueError:
            raise CalendarError(
                f"FixedDate: fields 'month', 'day', value ({self.month}, {self.day}): not a day "
                "that every year has; expected a month 1–12 and a day of that month "
                "(29 February is not allowed)"
            ) from None

    @property
    def events(self) -> tuple[str, ...]:
        """``(event,)``."""
        return (self.event,)

    def describe(self) -> str:
        """E.g. ``"by 03-31 of the year of plan_year"``."""
        offset = f"{self.year_offset:+d} " if self.year_offset else ""
        text = f"by {self.month:02d}-{self.day:02d} of the year {offset}of {self.event}"
        if self.roll:
            text += " (next working day if that is a rest day)"
        return text if self.label is None else f"{self.label}: {text}"

    def _due(self, cols: _Cols, cal: AnyCalendar) -> _Due:
        col = cols[self.event]
        years = col.astype(np.int64) if col.dtype.kind in "iu" else _years_of(col)
        y = years + self.year_offset
        bad = (y < 1) | (y > 9999)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise CalendarError(
                f"events: column {self.event!r}, index {k}, value {col[k]!r}: not a year "
                "from 1 to 9999"
            )
        months = (y - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (self.month - 1)
        due = months.astype("datetime64[D]") + (self.day - 1)
        if self.roll:
            return _roll_forward(cal, due)
        return due, np.zeros(due.shape, dtype=bool)


def _to_rules(values: Any) -> tuple[Rule, ...]:
    return tuple(values)


@attrs.frozen
class Earliest(_RuleMixin):
    """Due on the earliest of several rules' due dates ("whichever is earlier").

    A row is provisional if any of the rules' dates is.

    Examples
    --------
    >>> from randcheck.calendar.deadlines import Earliest, FixedDate, WorkdaysAfter
    >>> rule = Earliest([WorkdaysAfter(20, event="inspection_end"),
    ...                  FixedDate(12, 31, event="inspection_end")])
    >>> rule.deadline("2025-12-10").date
    datetime.date(2025, 12, 31)
    """

    rules: tuple[Rule, ...] = attrs.field(converter=_to_rules)
    label: str | None = None

    @rules.validator
    def _check_rules(self, _: attrs.Attribute[tuple[Rule, ...]], value: tuple[Rule, ...]) -> None:
        if len(value) < 2:
            raise CalendarError(
                f"Earliest: field 'rules' has {len(value)} rule(s); expected at least 2"
            )
        for k, r in enumerate(value):
            if not isinstance(r, WorkdaysAfter | CalendarDaysAfter | FixedDate | Earliest):
                raise CalendarError(
                    f"Earliest: field rules[{k}], value {r!r}: expected a rule (WorkdaysAfter, "
                    "CalendarDaysAfter, FixedDate or Earliest)"
                )

    @property
    def events(self) -> tuple[str, ...]:
        """Every event any of the rules reads, in order of first use."""
        return tuple(dict.fromkeys(e for r in self.rules for e in r.events))

    def describe(self) -> str:
        """E.g. ``"the earliest of (…; …)"``."""
        text = "the earliest of (" + "; ".join(r.describe() for r in self.rules) + ")"
        return text if self.label is None else f"{self.label}: {text}"

    def _due(self, cols: _Cols, cal: AnyCalendar) -> _Due:
        due, prov = self.rules[0]._due(cols, cal)
        for r in self.rules[1:]:
            d, p = r._due(cols, cal)
            due = np.minimum(due, d)
            prov = prov | p
        return due, prov


Rule: TypeAlias = WorkdaysAfter | CalendarDaysAfter | FixedDate | Earliest
"""Any deadline rule."""


RESULT_PUBLICATION: Final[WorkdaysAfter] = WorkdaysAfter(
    20, event="inspection_end", label="检查结果录入公示 (result entry and publication)"
)
"""Results are entered and published within 20 working days of the end of the inspection
(谁检查、谁录入、谁公示). Event column: ``inspection_end``."""


def officer_matching(n: int = 2, *, event: str = "draw") -> WorkdaysAfter:
    """The rule "officers are matched within ``n`` working days of the draw" (执法人员匹配).

    Parameters
    ----------
    n
        Working days; provinces differ (Shandong 2017: 2).
    event
        The name of the draw's date column.

    Returns
    -------
    WorkdaysAfter

    Examples
    --------
    >>> from randcheck.calendar.deadlines import officer_matching
    >>> officer_matching(3).describe()
    '执法人员匹配 (officer matching): 3 working days after draw'
    """
    return WorkdaysAfter(n, event=event, label="执法人员匹配 (officer matching)")


OFFICER_MATCHING: Final[WorkdaysAfter] = officer_matching(2)
"""Officers matched within 2 working days of the draw; event column ``draw``."""

ANNUAL_PLAN: Final[FixedDate] = FixedDate(
    3, 31, event="plan_year", label="年度抽查工作计划 (annual plan)"
)
"""The year's inspection plan is prepared by 31 March of the plan year (3月底前); event column
``plan_year`` holds the year (int) or any date in it."""


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Deadline:
    """One due date.

    Attributes
    ----------
    date
        The due date.
    provisional
        ``True`` if it was computed by a :class:`~randcheck.calendar.ProvisionalCalendar` through a
        year without schedule: recompute it once that year is registered.
    rule
        The rule's description.
    years
        The years without schedule it depends on.
    """

    date: datetime.date
    provisional: bool
    rule: str
    years: tuple[int, ...] = ()

    def __str__(self) -> str:
        if not self.provisional:
            return self.date.isoformat()
        years = ", ".join(map(str, self.years))
        return f"{self.date.isoformat()} (provisional: no holiday schedule for {years})"


#: The Chinese header of a due-date status column (not the 登记状态 of a directory).
STATUS_HEADER: Final = {"status": "期限状态"}


@attrs.frozen(eq=False)
class DueDates:
    """Due dates and status of a batch, as of a date; one element per row.

    Attributes
    ----------
    due
        ``datetime64[D]``; ``NaT`` where the event has no date.
    status
        ``int8`` codes of :class:`Status`.
    provisional
        ``True`` where the due date or the status depends on a year without schedule (only with a
        :class:`~randcheck.calendar.ProvisionalCalendar`).
    as_of
        The date the status describes.
    rule
        The rule's description.
    """

    due: NDArray[np.datetime64]
    status: NDArray[np.int8]
    provisional: NDArray[np.bool_]
    as_of: datetime.date
    rule: str

    def __len__(self) -> int:
        return int(self.due.shape[0])

    @property
    def any_provisional(self) -> bool:
        """Whether any row is provisional."""
        return bool(self.provisional.any())

    def labels(self, language: str = "en") -> NDArray[np.str_]:
        """Each row's status as text: ``"en"`` (``"due soon"``) or ``"zh"`` (``"即将到期"``)."""
        if language not in ("en", "zh"):
            raise CalendarError(f"labels: language {language!r}; expected 'en' or 'zh'")
        names = [s.label if language == "en" else s.zh for s in Status]
        return np.array(names)[self.status]

    def counts(self) -> dict[Status, int]:
        """How many rows have each status (every status listed, zeros included)."""
        c = np.bincount(self.status.astype(np.intp), minlength=len(Status))
        return {s: int(c[s]) for s in Status}

    # ------------------------------------------------------------------ tables out
    def to_columns(self, language: str = "en") -> dict[str, NDArray[Any]]:
        """Columns ``due`` (``datetime64[D]``), ``status`` (its label in ``language``,
        ``"en"`` or ``"zh"``) and ``provisional``, one row per event row.

        Examples
        --------
        >>> from randcheck.calendar import RESULT_PUBLICATION
        >>> d = due_dates(RESULT_PUBLICATION, {"inspection_end": ["2025-09-26"]},
        ...               as_of="2025-10-09")
        >>> d.to_columns("zh")["status"].tolist()
        ['未到期']
        """
        return {
            "due": self.due,
            "status": self.labels(language),
            "provisional": self.provisional,
        }

    def to_frame(self, language: str = "en") -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns(language))

    def to_arrow(self, language: str = "en") -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns(language))

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self.to_columns(headers), headers=headers, zh=STATUS_HEADER)

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8", headers: str = "en"
    ) -> None:
        """The columns as CSV; ``encoding="utf-8-sig"`` for Excel. ``headers="zh"`` writes
        Chinese headers and the status in Chinese (已公示, 逾期未公示 …)."""
        _tables.write_csv(
            path, self.to_columns(headers), encoding=encoding, headers=headers, zh=STATUS_HEADER
        )

    def _repr_html_(self) -> str:
        """Jupyter's preview: the rule, the date and the count per status, then the first rows."""
        counts = ", ".join(f"{s.label} {n:,}" for s, n in self.counts().items() if n)
        title = f"DueDates: {len(self):,} rows, {self.rule}, as of {self.as_of} ({counts})"
        return _tables.preview_html(title, self.to_columns(), len(self))


def _column(events: SupportsColumns, name: str, rule: Rule) -> NDArray[Any]:
    try:
        raw = events[name]
    except (KeyError, IndexError, TypeError):
        given = ""
        keys = getattr(events, "keys", None)
        if callable(keys):
            given = "; columns given: " + ", ".join(map(str, keys()))
        raise CalendarError(
            f"events: no column {name!r}; the rule ({rule.describe()}) needs "
            f"{', '.join(rule.events)}{given}"
        ) from None
    arr = np.asarray(raw)
    if arr.ndim != 1:
        raise CalendarError(f"events: column {name!r} has shape {arr.shape}; expected one column")
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    return as_dates(arr, field=f"events[{name!r}]", allow_nat=True)


def due_dates(
    rule: Rule,
    events: SupportsColumns,
    *,
    as_of: DateLike,
    done: Any = None,
    calendar: AnyCalendar | None = None,
    soon: int = 3,
    rows: Sequence[int] | None = None,
) -> DueDates:
    """Due dates and status of a batch of inspections as of a date, vectorized.

    Parameters
    ----------
    rule
        The deadline rule.
    events
        Columns by name (a ``dict`` of arrays, a ``DataFrame``…) holding the dates of the rule's
        events; ``NaT``/``None``/``""`` where the event has not happened. A :class:`FixedDate`
        column may hold years (ints).
    as_of
        The date the status describes.
    done
        Optional column of the dates the task was done (``NaT`` where not done). A date after
        ``as_of`` counts as not done yet.
    calendar
        A :class:`~randcheck.calendar.WorkCalendar` (default ``WorkCalendar.default()``) or a
        :class:`~randcheck.calendar.ProvisionalCalendar` (rows then carry ``provisional``).
    soon
        A task not done is :attr:`Status.DUE_SOON` when at most this many working days remain
        (``workdays_between(as_of, due) <= soon``).
    rows
        The number by which messages call each event (default 1, 2, …), e.g. its row in the
        file it came from (``randcheck deadline --events`` gives the file's rows).

    Returns
    -------
    DueDates

    Raises
    ------
    CalendarError
        A column is missing, not dates, or of another length; ``soon`` is negative.
    CalendarCoverageError
        A due date needs a year without schedule and the calendar is a strict one. Both name
        the first row whose due date cannot be computed, and its dates.

    Examples
    --------
    >>> import numpy as np
    >>> from randcheck.calendar.deadlines import RESULT_PUBLICATION, due_dates
    >>> batch = {"inspection_end": np.array(
    ...     ["2025-09-26", "2025-10-20", "2025-11-03", "NaT"], dtype="datetime64[D]")}
    >>> done = np.array(["2025-10-29", "NaT", "NaT", "NaT"], dtype="datetime64[D]")
    >>> r = due_dates(RESULT_PUBLICATION, batch, as_of="2025-11-14", done=done)
    >>> np.datetime_as_string(r.due).tolist()
    ['2025-10-30', '2025-11-17', '2025-12-01', 'NaT']
    >>> r.labels().tolist()
    ['done', 'due soon', 'on time', 'not started']
    """
    if type(soon) is not int or soon < 0:
        raise CalendarError(f"due_dates: field 'soon', value {soon!r}: expected an int >= 0")
    cal = WorkCalendar.default() if calendar is None else calendar
    if not isinstance(cal, WorkCalendar | ProvisionalCalendar):
        raise CalendarError(
            f"due_dates: calendar {cal!r}: expected a WorkCalendar or ProvisionalCalendar"
        )
    cols = {name: _column(events, name, rule) for name in rule.events}
    lengths = {name: c.shape[0] for name, c in cols.items()}
    n = next(iter(lengths.values()))
    if len(set(lengths.values())) > 1:
        raise CalendarError(f"events: columns of different lengths: {lengths}")
    numbers = np.arange(1, n + 1) if rows is None else np.asarray(rows, dtype=np.int64)
    if numbers.shape != (n,):
        raise CalendarError(f"due_dates: rows has {numbers.size} numbers for {n} events")
    done64 = _done_dates(done, n, cols, numbers)
    day = as_date(as_of, field="as_of")
    today = np.datetime64(day, "D")
    started = np.ones(n, dtype=bool)
    for c in cols.values():
        if c.dtype.kind == "M":
            started &= ~np.isnat(c)
    due = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    prov = np.zeros(n, dtype=bool)
    if started.any():
        started_rows = np.flatnonzero(started)
        given = {k: c[started_rows] for k, c in cols.items()}
        try:
            d, p = rule._due(given, cal)
        except (CalendarError, CalendarCoverageError):
            raise _first_failure(rule, given, cal, numbers[started_rows]) from None
        due[started] = d
        prov[started] = p

    status = _statuses(started, done64, due, today, soon, cal, prov)
    return DueDates(
        due=_frozen(due),
        status=_frozen(status),
        provisional=_frozen(prov),
        as_of=day,
        rule=rule.describe(),
    )


def _first_failure(
    rule: Rule, cols: Mapping[str, NDArray[Any]], cal: AnyCalendar, rows: NDArray[np.intp]
) -> CalendarError | CalendarCoverageError:
    """The error of the first event whose due date cannot be computed, naming its row.

    ``rows``: each event's row number, as messages give it. Failing is a property of each
    event alone, so the events before the first failing one pass together: a bisection over
    prefixes finds it in ``log n`` vectorized calls (on this error path only).
    """
    ok, bad = 0, rows.shape[0]  # the first ``ok`` events pass, the first ``bad`` do not
    while bad - ok > 1:
        mid = (ok + bad) // 2
        try:
            rule._due({k: c[:mid] for k, c in cols.items()}, cal)
            ok = mid
        except (CalendarError, CalendarCoverageError):
            bad = mid
    i = bad - 1
    dates = ", ".join(f"{k} {c[i]}" for k, c in cols.items())
    where = f"events: row {int(rows[i])}, {dates}"
    try:
        rule._due({k: c[i : i + 1] for k, c in cols.items()}, cal)
    except CalendarCoverageError as exc:  # the same error, at the row instead of an index
        return CalendarCoverageError(
            f"no holiday schedule for {exc.year} ({where}); {exc.remedy}",
            exc.year,
            remedy=exc.remedy,
        )
    except CalendarError as exc:
        return CalendarError(f"{where}: {exc.reason}", reason=exc.reason)
    return CalendarError(f"{where}: no due date")  # pragma: no cover - each event fails alone


def _done_dates(
    done: Any, n: int, cols: Mapping[str, NDArray[Any]], numbers: NDArray[np.int64]
) -> NDArray[Any]:
    """The done dates as ``datetime64[D]`` (NaT: not done), none before its row's events."""
    if done is None:
        done64 = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    else:
        done64 = as_dates(np.asarray(done), field="done", allow_nat=True)
        if done64.shape != (n,):
            raise CalendarError(
                f"done: {done64.shape[0] if done64.ndim else 'a scalar'} values for {n} rows; "
                "expected one done date (or NaT) per row"
            )
    for name, c in cols.items():
        if c.dtype.kind == "M":
            early = np.flatnonzero(~np.isnat(done64) & ~np.isnat(c) & (done64 < c))
            if early.size:
                i = int(early[0])
                raise CalendarError(
                    f"done: row {int(numbers[i])} is done on {done64[i]}, before its {name} "
                    f"({c[i]}); a task cannot be done before the event it follows"
                    + (f" ({early.size} such rows)" if early.size > 1 else "")
                )
    return done64


def _statuses(
    started: NDArray[np.bool_],
    done64: NDArray[Any],
    due: NDArray[Any],
    today: np.datetime64,
    soon: int,
    cal: WorkCalendar | ProvisionalCalendar,
    prov: NDArray[np.bool_],
) -> NDArray[np.int8]:
    """Each row's :class:`Status` as of ``today``; ``prov`` also marks provisional day counts."""
    n = started.shape[0]
    is_done = started & ~np.isnat(done64) & (done64 <= today)
    status = np.full(n, Status.NOT_STARTED, dtype=np.int8)
    status[is_done & (done64 <= due)] = Status.DONE
    status[is_done & (done64 > due)] = Status.DONE_LATE
    still_open = started & ~is_done
    status[still_open & (due < today)] = Status.OVERDUE
    pending = still_open & (due >= today)
    if pending.any():
        left, p = _between(cal, np.full(int(pending.sum()), today), due[pending])
        status[pending] = np.where(left <= soon, Status.DUE_SOON, Status.ON_TIME)
        prov[pending] |= p
    return status


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a
