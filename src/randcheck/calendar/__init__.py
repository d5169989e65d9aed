"""China's working-day calendar (工作日历) and the deadline rules (期限规则) counted on it.

A :class:`WorkCalendar` says which days are working days (工作日) in mainland China. It takes the
years that the ``chinese-calendar`` package knows (2004–2026 in release 1.11) and adds the years a
user registers from the State Council's notice (国务院办公厅关于部分节假日安排的通知), as a
:class:`YearSchedule` built in code or loaded from a small TOML or JSON file.

Counting follows 民法典 第二百零一条: the day of the event is not counted. Every count is defined
through one number, the *working-day position* ``P(d)``: the number of working days on or before
``d``.

* ``workdays_between(a, b) = P(b) - P(a)``: for ``a <= b`` the number of working days in the
  half-open interval ``(a, b]``; negative when ``b < a``.
* ``add_workdays(d, n)`` is the working day ``w`` with ``workdays_between(d, w) == n``. For
  ``n > 0`` that is the ``n``-th working day strictly after ``d`` (a 20-working-day deadline); for
  ``n = 0`` it is ``d`` itself if ``d`` is a working day, else the last working day before ``d``;
  for ``n < 0`` it is the latest working day ``w`` with ``add_workdays(w, -n) <= d``.

A day in a year that nobody has described raises :class:`~randcheck.errors.CalendarCoverageError`.
:meth:`WorkCalendar.provisional` gives an opt-in :class:`ProvisionalCalendar` that fills such
years with weekends and the fixed-date holidays only and wraps every result in :class:`Marked` or
:class:`MarkedArray`, so that a guessed date always carries ``provisional=True``.

Dates may be given as :class:`datetime.date`, :class:`datetime.datetime` (an aware one is
converted to Asia/Shanghai time first; a naive one is taken as China time), ISO 8601 strings, or
:class:`numpy.datetime64`. Every method also takes an array (or list) of dates and then returns an
array; ``datetime64`` arrays are the fast path and are taken as dates in China.

The package has three modules, whose public names are all importable from here:
:mod:`randcheck.calendar.schedules` (one year's holidays, as data),
:mod:`randcheck.calendar.workdays` (the calendar and its counting) and
:mod:`randcheck.calendar.deadlines` (deadline rules, and the due dates and status of a batch).
:func:`as_date`, :func:`as_dates` and :data:`CHINA_TZ` come from the package's one date parser.
"""

from __future__ import annotations

from randcheck._dates import (
    CHINA_TZ,
    DateLike,
    as_date,
    as_dates,
)
from randcheck.calendar.deadlines import (
    ANNUAL_PLAN,
    OFFICER_MATCHING,
    RESULT_PUBLICATION,
    CalendarDaysAfter,
    Deadline,
    DueDates,
    Earliest,
    FixedDate,
    Rule,
    Status,
    WorkdaysAfter,
    due_dates,
    officer_matching,
)
from randcheck.calendar.schedules import (
    PROVISIONAL_FIXED_HOLIDAYS,
    HolidayPeriod,
    YearSchedule,
)
from randcheck.calendar.workdays import (
    Marked,
    MarkedArray,
    ProvisionalCalendar,
    WorkCalendar,
)

__all__ = [
    "ANNUAL_PLAN",
    "CHINA_TZ",
    "OFFICER_MATCHING",
    "PROVISIONAL_FIXED_HOLIDAYS",
    "RESULT_PUBLICATION",
    "CalendarDaysAfter",
    "DateLike",
    "Deadline",
    "DueDates",
    "Earliest",
    "FixedDate",
    "HolidayPeriod",
    "Marked",
    "MarkedArray",
    "ProvisionalCalendar",
    "Rule",
    "Status",
    "WorkCalendar",
    "WorkdaysAfter",
    "YearSchedule",
    "as_date",
    "as_dates",
    "due_dates",
    "officer_matching",
]
