r"""Working days (工作日): :class:`WorkCalendar`, its provisional twin and the day table.

The counting rule (民法典 第二百零一条, the working-day position ``P(d)``) is explained in
:mod:`randcheck.calendar`. A :class:`WorkCalendar` builds one table of every day from the
``chinese-calendar`` package and the registered :class:`~randcheck.calendar.YearSchedule`\ s and
answers every count from it in O(1) per date; :class:`ProvisionalCalendar` fills years without a
schedule with weekends and the fixed-date holidays and marks each such result (:class:`Marked`,
:class:`MarkedArray`).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Final, Generic, TypeAlias, TypeVar, overload

import attrs
import numpy as np
from numpy.typing import NDArray

from randcheck._dates import DateArray, DateLike, as_date, as_dates
from randcheck.calendar.schedules import PROVISIONAL_FIXED_HOLIDAYS, YearSchedule
from randcheck.errors import CalendarCoverageError, CalendarError

__all__ = ["Marked", "MarkedArray", "ProvisionalCalendar", "WorkCalendar"]

IntArray: TypeAlias = NDArray[np.integer[Any]]

_T = TypeVar("_T")


_EPOCH_ORDINAL: Final = datetime.date(1970, 1, 1).toordinal()
_DEFAULT_FIRST_YEAR: Final = 2000
_DEFAULT_LAST_YEAR: Final = 2100
_HOW_TO_REGISTER: Final = (
    "register the State Council's notice for {year} with "
    "WorkCalendar.with_year_file('holidays-{year}.toml') or "
    "WorkCalendar.with_year(YearSchedule(...)) "
    "(how-to: 'Register next year's holidays'), or opt in to results marked provisional with "
    "WorkCalendar.provisional()"
)


def _check_count(n: object, field: str = "n") -> int:
    if type(n) is int:
        return n
    if isinstance(n, np.integer) and not isinstance(n, np.bool_):
        return int(n)
    raise CalendarError(f"{field}: value {n!r} is not a whole number of days; expected an int")


def _check_count_array(n: object, field: str = "n") -> NDArray[np.int64]:
    arr = np.asarray(n)
    if arr.dtype.kind not in "iu":
        raise CalendarError(
            f"{field}: values of dtype {arr.dtype} are not whole numbers of days; expected ints"
        )
    return arr.astype(np.int64)


def _is_array(x: object) -> bool:
    return isinstance(x, np.ndarray | list | tuple)


def _to_schedules(values: Iterable[YearSchedule]) -> tuple[YearSchedule, ...]:
    return tuple(values)


def _to_years(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


# --------------------------------------------------------------------------------------------
# The day table
# --------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _package_data() -> tuple[int, int, str, NDArray[np.int64], NDArray[np.int64]]:
    """(first year, last year, version, rest-day ordinals, make-up working-day ordinals)."""
    import chinese_calendar

    holidays = np.array(sorted(d.toordinal() for d in chinese_calendar.holidays), dtype=np.int64)
    workdays = np.array(sorted(d.toordinal() for d in chinese_calendar.workdays), dtype=np.int64)
    first = min(chinese_calendar.holidays).year
    last = max(chinese_calendar.holidays).year
    version = str(getattr(chinese_calendar, "__version__", "?"))
    holidays.flags.writeable = False
    workdays.flags.writeable = False
    return first, last, version, holidays, workdays


def _freeze(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


@attrs.frozen(eq=False)
class _DayTable:
    """Working days over ``first_year``..``last_year`` and the lookups that make counting O(1)."""

    first_year: int
    last_year: int
    origin: int  # days since 1970-01-01 of index 0
    origin_ordinal: int  # datetime.date.toordinal() of index 0
    workday: NDArray[np.bool_]  # per day
    known: NDArray[np.bool_]  # per day: the year has a schedule
    pos: NDArray[np.int32]  # P: working days on or before the day (from index 0)
    nth: NDArray[np.int32]  # nth[k - 1]: index of the k-th working day
    unknown_before: NDArray[np.int32]  # length size + 1: days without schedule before index
    covered: frozenset[int]
    package_years: range
    package_version: str
    # Python-list twins of workday, pos, nth and unknown_before, for the scalar fast path: an
    # element of a list is a Python int at once (about half the time of indexing the numpy
    # array and converting); the arrays serve the vectorized path. Same values, kept both ways.
    workday_list: list[bool]
    pos_list: list[int]
    nth_list: list[int]
    unknown_list: list[int]

    @property
    def size(self) -> int:
        return int(self.workday.shape[0])

    @property
    def total(self) -> int:
        return len(self.nth_list)

    def day(self, i: int) -> datetime.date:
        return datetime.date.fromordinal(i + self.origin_ordinal)

    def first_unknown(self, lo: int, hi: int, *, forward: bool) -> int:
        """Index of the first (``forward``) or last day without schedule in ``lo..hi``."""
        lo, hi = max(lo, 0), min(hi, self.size - 1)
        idx = np.flatnonzero(~self.known[lo : hi + 1])
        if idx.size == 0:
            return hi + 1 if forward else lo - 1
        return lo + int(idx[0] if forward else idx[-1])

    def year_at(self, i: int) -> int:
        """The year of day index ``i``, also outside the table."""
        return (
            int(np.datetime64(i + self.origin, "D").astype("datetime64[Y]").astype(np.int64)) + 1970
        )

    def show(self, i: int) -> str:
        """Day index ``i`` as an ISO date, also outside the table."""
        return str(np.datetime64(i + self.origin, "D"))


def _day_fields(origin64: np.datetime64, size: int) -> tuple[NDArray[Any], ...]:
    days = origin64 + np.arange(size)
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]")
    month = (months - days.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64) + 1
    dom = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    return years, month, dom, weekday


def _build_table(
    schedules: Sequence[YearSchedule], overrides: frozenset[int], use_package: bool
) -> _DayTable:
    pkg_first, pkg_last, version, pkg_hol, pkg_work = _package_data()
    package_years = range(pkg_first, pkg_last + 1) if use_package else range(0)
    registered = {s.year for s in schedules}
    all_years = set(package_years) | registered
    first_year = min([_DEFAULT_FIRST_YEAR, *all_years])
    last_year = max([_DEFAULT_LAST_YEAR, *all_years])
    origin_date = datetime.date(first_year, 1, 1)
    origin_ordinal = origin_date.toordinal()
    size = datetime.date(last_year, 12, 31).toordinal() - origin_ordinal + 1
    years, month, dom, weekday = _day_fields(np.datetime64(origin_date, "D"), size)

    weekday_rule = weekday < 5
    workday = weekday_rule.copy()
    fixed = np.zeros(size, dtype=bool)
    for m, d, _ in PROVISIONAL_FIXED_HOLIDAYS:
        fixed |= (month == m) & (dom == d)
    workday[fixed] = False
    known = np.zeros(size, dtype=bool)

    if use_package:
        in_pkg = (years >= pkg_first) & (years <= pkg_last)
        workday[in_pkg] = weekday_rule[in_pkg]
        workday[pkg_hol - origin_ordinal] = False
        workday[pkg_work - origin_ordinal] = True
        known |= in_pkg
    package_workday = workday.copy()
    listed = np.zeros(size, dtype=bool)  # days a registered schedule names explicitly

    for s in sorted(schedules, key=lambda s: s.year):
        hol = np.array([d.toordinal() for d in s.holidays()], dtype=np.int64) - origin_ordinal
        mk = np.array([d.toordinal() for d in s.makeup_workdays()], dtype=np.int64) - origin_ordinal
        in_year = years == s.year
        mine = weekday_rule.copy()
        mine[hol] = False
        mine[mk] = True
        touched = in_year.copy()
        touched[hol] = True
        touched[mk] = True
        if s.year in package_years and s.year not in overrides:
            _check_agreement(
                s, touched, mine, package_workday, origin_ordinal, f"chinese-calendar {version}"
            )
        spill = touched & ~in_year & listed  # December days the year before's schedule lists
        if spill.any() and s.year not in overrides:
            _check_agreement(
                s, spill, mine, workday, origin_ordinal, f"the schedule for {s.year - 1}"
            )
        workday[touched] = mine[touched]
        listed[hol] = True
        listed[mk] = True
        known |= in_year

    pos = np.cumsum(workday, dtype=np.int32)
    nth = np.flatnonzero(workday).astype(np.int32)
    unknown_before = np.zeros(size + 1, dtype=np.int32)
    np.cumsum(~known, dtype=np.int32, out=unknown_before[1:])
    return _DayTable(
        first_year=first_year,
        last_year=last_year,
        origin=origin_ordinal - _EPOCH_ORDINAL,
        origin_ordinal=origin_ordinal,
        workday=_freeze(workday),
        known=_freeze(known),
        pos=_freeze(pos),
        nth=_freeze(nth),
        unknown_before=_freeze(unknown_before),
        covered=frozenset(all_years),
        package_years=package_years,
        package_version=version,
        workday_list=workday.tolist(),
        pos_list=pos.tolist(),
        nth_list=nth.tolist(),
        unknown_list=unknown_before.tolist(),
    )


def _check_agreement(
    s: YearSchedule,
    mask: NDArray[np.bool_],
    mine: NDArray[np.bool_],
    theirs: NDArray[np.bool_],
    origin_ordinal: int,
    other: str,
) -> None:
    diff = np.flatnonzero(mask & (mine != theirs))
    if diff.size == 0:
        return

    def kind(w: bool) -> str:
        return "working day" if w else "rest day"

    shown = ", ".join(
        f"{datetime.date.fromordinal(int(i) + origin_ordinal).isoformat()} "
        f"(schedule: {kind(bool(mine[i]))}, {other}: {kind(bool(theirs[i]))})"
        for i in diff[:5]
    )
    more = f" and {diff.size - 5} more" if diff.size > 5 else ""
    where = s.source or f"YearSchedule({s.year})"
    raise CalendarError(
        f"{where}: the schedule for {s.year} contradicts {other} on {diff.size} day(s): "
        f"{shown}{more}. Check the dates against the State Council's notice; if the notice "
        f"really changed, register it with override=True"
    )


# --------------------------------------------------------------------------------------------
# Results of a provisional calendar
# --------------------------------------------------------------------------------------------


@attrs.frozen
class Marked(Generic[_T]):
    """A scalar result of a :class:`ProvisionalCalendar`.

    Attributes
    ----------
    value
        The date, count or flag.
    provisional
        ``True`` if the result depends on a day of a year without a registered schedule, where
        only weekends and :data:`PROVISIONAL_FIXED_HOLIDAYS` were assumed; ``False`` if it is final.
    years
        The years without schedule that the result depends on.
    """

    value: _T
    provisional: bool
    years: tuple[int, ...] = ()

    def __str__(self) -> str:
        if not self.provisional:
            return str(self.value)
        years = ", ".join(map(str, self.years))
        return f"{self.value} (provisional: no holiday schedule for {years})"


@attrs.frozen(eq=False)
class MarkedArray:
    """An array result of a :class:`ProvisionalCalendar`: values and a per-element flag.

    Attributes
    ----------
    value
        The dates (``datetime64[D]``), counts or flags.
    provisional
        Boolean array, same shape: ``True`` where the element depends on a year without schedule.
    years
        The years without schedule that any element depends on.
    """

    value: NDArray[Any]
    provisional: NDArray[np.bool_]
    years: tuple[int, ...] = ()


# --------------------------------------------------------------------------------------------
# The calendars
# --------------------------------------------------------------------------------------------


class _Engine:
    """Counting on a :class:`_DayTable`; ``strict`` raises where a provisional calendar marks."""

    __slots__ = ()

    @staticmethod
    def range_error(t: _DayTable, d: object) -> CalendarError:
        reason = f"outside the calendar's range {t.first_year}-01-01 to {t.last_year}-12-31"
        return CalendarError(f"date {d}: {reason}", reason=reason)

    @staticmethod
    def coverage_error(t: _DayTable, i_unknown: int, what: str) -> CalendarCoverageError:
        year = t.year_at(i_unknown)
        pkg = t.package_years
        pkg_text = (
            f"chinese-calendar {t.package_version} knows {pkg.start}–{pkg.stop - 1}"
            if len(pkg)
            else "the package's data is not used"
        )
        reg = sorted(t.covered - set(pkg))
        reg_text = f"; registered: {', '.join(map(str, reg))}" if reg else ""
        remedy = f"{pkg_text}{reg_text}. To fix it, " + _HOW_TO_REGISTER.format(year=year)
        return CalendarCoverageError(
            f"no holiday schedule for {year} ({what}); {remedy}", year, remedy=remedy
        )

    @staticmethod
    def walk_error(t: _DayTable, i: int, target: int, strict: bool, what: str) -> Exception:
        forward = target > t.pos_list[i]
        k = (
            t.first_unknown(i, t.size - 1, forward=True)
            if forward
            else t.first_unknown(0, i, forward=False)
        )
        if strict:
            return _Engine.coverage_error(t, k, what)
        return CalendarError(
            f"{what}: the result lies outside the calendar's range "
            f"{t.first_year}-01-01 to {t.last_year}-12-31"
        )

    # -- vectorized core -----------------------------------------------------------------------

    @staticmethod
    def indices(t: _DayTable, d: DateArray, strict: bool, field: str) -> NDArray[np.int64]:
        i = as_dates(d, field=field).astype(np.int64) - t.origin
        bad = (i < 0) | (i >= t.size)
        if bad.any():
            k = int(np.flatnonzero(bad.ravel())[0])
            ik = int(i.ravel()[k])
            day = t.show(ik)
            if strict:
                err: Exception = _Engine.coverage_error(t, ik, f"{field}: index {k}, date {day}")
                raise err
            raise _Engine.range_error(t, f"{field}: index {k}, {day}")
        return i

    @staticmethod
    def check_span(
        t: _DayTable,
        lo: NDArray[np.int64],
        hi: NDArray[np.int64],
        start: NDArray[np.int64],
        strict: bool,
        what: str,
    ) -> tuple[NDArray[np.bool_], tuple[int, ...]]:
        ub = t.unknown_before
        prov = (ub[hi + 1] - ub[lo]) > 0
        if not prov.any():
            return prov, ()
        flat = np.flatnonzero(prov.ravel())
        if strict:
            k = int(flat[0])
            s = int(start.ravel()[k])
            lk, hk = int(lo.ravel()[k]), int(hi.ravel()[k])
            forward = lk == s
            u = t.first_unknown(lk, hk, forward=forward)
            raise _Engine.coverage_error(t, u, f"{what}: index {k}, from {t.day(s)}")
        lo_y = int(lo.ravel()[flat].min())
        hi_y = int(hi.ravel()[flat].max())
        years = range(t.day(lo_y).year, t.day(hi_y).year + 1)
        return prov, tuple(y for y in years if y not in t.covered)

    @staticmethod
    def jump(
        t: _DayTable,
        i: NDArray[np.int64],
        target: NDArray[np.int64],
        strict: bool,
        what: str,
    ) -> tuple[NDArray[Any], NDArray[np.bool_], tuple[int, ...]]:
        bad = (target < 1) | (target > t.total)
        if bad.any():
            k = int(np.flatnonzero(bad.ravel())[0])
            raise _Engine.walk_error(
                t, int(i.ravel()[k]), int(target.ravel()[k]), strict, f"{what}: index {k}"
            )
        j = t.nth[target - 1].astype(np.int64)
        prov, years = _Engine.check_span(t, np.minimum(i, j), np.maximum(i, j), i, strict, what)
        return (j + t.origin).astype("datetime64[D]"), prov, years

    # -- scalar core ---------------------------------------------------------------------------

    @staticmethod
    def index(t: _DayTable, d: DateLike, strict: bool, field: str) -> int:
        day = d if type(d) is datetime.date else as_date(d, field=field)
        i = day.toordinal() - t.origin_ordinal
        if 0 <= i < t.size:
            return i
        if strict:
            raise _Engine.coverage_error(t, i, f"{field} {day}")
        raise _Engine.range_error(t, f"{field} {day}")

    @staticmethod
    def scalar_jump(
        t: _DayTable, i: int, target: int, strict: bool, what: str
    ) -> tuple[datetime.date, bool, tuple[int, ...]]:
        if not 1 <= target <= len(t.nth_list):
            raise _Engine.walk_error(t, i, target, strict, what)
        j = t.nth_list[target - 1]
        lo, hi = (i, j) if i <= j else (j, i)
        ul = t.unknown_list
        if ul[hi + 1] == ul[lo]:
            return datetime.date.fromordinal(j + t.origin_ordinal), False, ()
        if strict:
            u = t.first_unknown(lo, hi, forward=lo == i)
            raise _Engine.coverage_error(t, u, f"{what}, from {t.day(i)}")
        years = tuple(y for y in range(t.day(lo).year, t.day(hi).year + 1) if y not in t.covered)
        return datetime.date.fromordinal(j + t.origin_ordinal), True, years

    @staticmethod
    def scalar_span(
        t: _DayTable, lo: int, hi: int, strict: bool, what: str
    ) -> tuple[bool, tuple[int, ...]]:
        ul = t.unknown_list
        if ul[hi + 1] == ul[lo]:
            return False, ()
        if strict:
            raise _Engine.coverage_error(t, t.first_unknown(lo, hi, forward=True), what)
        return True, tuple(
            y for y in range(t.day(lo).year, t.day(hi).year + 1) if y not in t.covered
        )


def _target_next(t: _DayTable, i: Any, inclusive: bool) -> Any:
    """``P`` of the first working day after (``inclusive``: on or after) day ``i``."""
    if isinstance(i, np.ndarray):
        p = t.pos[i].astype(np.int64) + 1
        return p - t.workday[i] if inclusive else p
    return t.pos_list[i] + 1 - (t.workday_list[i] if inclusive else 0)


def _target_previous(t: _DayTable, i: Any, inclusive: bool) -> Any:
    """``P`` of the last working day before (``inclusive``: on or before) day ``i``."""
    if isinstance(i, np.ndarray):
        p = t.pos[i].astype(np.int64)
        return p if inclusive else p - t.workday[i]
    return t.pos_list[i] - (0 if inclusive else t.workday_list[i])


@attrs.frozen
class WorkCalendar:
    """China's working days (工作日): chinese-calendar's years plus the years you register.

    A value: registering a year returns a new calendar (:meth:`with_year`,
    :meth:`with_year_file`) and never changes this one. Build the calendar once, before use; the
    day table it precomputes makes every count a couple of lookups.

    Every method raises :class:`~randcheck.errors.CalendarCoverageError` when the answer depends on
    a day of a year with no schedule (neither chinese-calendar's nor registered). Use
    :meth:`provisional` for answers marked provisional instead.

    Parameters
    ----------
    schedules
        Registered years, at most one per year.
    overrides
        Years whose registered schedule may contradict chinese-calendar (the notice changed after
        the package was released).
    use_package
        Whether to use chinese-calendar's years (default ``True``).

    Raises
    ------
    CalendarError
        If two schedules have the same year, or a schedule contradicts chinese-calendar for a year
        both know and the year is not in ``overrides``.

    Examples
    --------
    National Day 2025 (国庆节 and 中秋节: 1–8 October off; Sunday 28 September and Saturday
    11 October are 调休 make-up working days):

    >>> from randcheck.calendar import WorkCalendar
    >>> cal = WorkCalendar.default()
    >>> cal.is_workday("2025-10-08"), cal.is_workday("2025-10-11")
    (False, True)
    >>> cal.add_workdays("2025-09-26", 20)  # inspection ended on Friday 26 September
    datetime.date(2025, 10, 30)
    >>> cal.workdays_between("2025-09-26", "2025-10-30")
    20
    >>> import numpy as np
    >>> cal.add_workdays(np.array(["2025-09-26", "2026-02-13"], dtype="datetime64[D]"), 20)
    array(['2025-10-30', '2026-03-19'], dtype='datetime64[D]')
    """

    schedules: tuple[YearSchedule, ...] = attrs.field(default=(), converter=_to_schedules)
    overrides: frozenset[int] = attrs.field(default=frozenset(), converter=_to_years)
    use_package: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    _table: _DayTable = attrs.field(init=False, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        seen: set[int] = set()
        for k, s in enumerate(self.schedules):
            if not isinstance(s, YearSchedule):
                raise CalendarError(
                    f"WorkCalendar: field schedules[{k}], value {s!r}: expected a YearSchedule"
                )
            if s.year in seen:
                raise CalendarError(
                    f"WorkCalendar: field schedules[{k}]: {s.year} is registered twice; "
                    "register each year once (with_year(..., override=True) replaces one)"
                )
            seen.add(s.year)
        object.__setattr__(
            self, "_table", _build_table(self.schedules, self.overrides, self.use_package)
        )

    @classmethod
    def default(cls) -> WorkCalendar:
        """The calendar of chinese-calendar's years, with nothing registered (shared, immutable)."""
        return _default_calendar()

    # -- registering ---------------------------------------------------------------------------

    def with_year(self, schedule: YearSchedule, *, override: bool = False) -> WorkCalendar:
        """A new calendar that also knows ``schedule``'s year.

        Parameters
        ----------
        schedule
            The year's 放假调休 schedule.
        override
            Allow the schedule to contradict chinese-calendar for a year the package knows, and
            to replace a year registered before. Without it, both are errors.

        Returns
        -------
        WorkCalendar
            This calendar is unchanged.

        Raises
        ------
        CalendarError
            The schedule contradicts chinese-calendar (the message lists the days) or the year is
            already registered, and ``override`` is false.

        Examples
        --------
        A made-up schedule for 2030 (for illustration only, not a State Council notice):

        >>> from randcheck.calendar import HolidayPeriod, WorkCalendar, YearSchedule
        >>> demo = YearSchedule(2030, [HolidayPeriod("元旦", "2030-01-01")], source="made-up")
        >>> cal = WorkCalendar.default().with_year(demo)
        >>> cal.is_workday("2030-01-01"), cal.is_workday("2030-01-02")
        (False, True)
        """
        if not isinstance(schedule, YearSchedule):
            raise CalendarError(
                f"with_year: value {schedule!r}: expected a YearSchedule (or use with_year_file)"
            )
        others = tuple(s for s in self.schedules if s.year != schedule.year)
        if len(others) != len(self.schedules) and not override:
            raise CalendarError(
                f"with_year: {schedule.year} is already registered; pass override=True to "
                "replace it"
            )
        overrides = self.overrides | {schedule.year} if override else self.overrides
        return attrs.evolve(self, schedules=(*others, schedule), overrides=overrides)

    def with_year_file(self, path: str | Path, *, override: bool = False) -> WorkCalendar:
        """A new calendar that also knows the year in a TOML or JSON file.

        See :meth:`YearSchedule.from_file` for the format and :meth:`with_year` for ``override``.
        """
        return self.with_year(YearSchedule.from_file(path), override=override)

    def provisional(self) -> ProvisionalCalendar:
        """Opt in to results for years without schedule, each marked provisional.

        Returns
        -------
        ProvisionalCalendar
            Wraps this calendar; its results are :class:`Marked` / :class:`MarkedArray` values.
        """
        return ProvisionalCalendar(self)

    # -- what is known ---------------------------------------------------------------------------

    @property
    def covered_years(self) -> tuple[int, ...]:
        """Every year with a schedule (chinese-calendar's and registered), sorted."""
        return tuple(sorted(self._table.covered))

    @property
    def package_years(self) -> range:
        """The years chinese-calendar knows (empty when ``use_package`` is false)."""
        return self._table.package_years

    def covers(self, year: int) -> bool:
        """Whether ``year`` has a schedule."""
        return year in self._table.covered

    # -- counting ---------------------------------------------------------------------------------

    @overload
    def is_workday(self, d: DateLike) -> bool: ...
    @overload
    def is_workday(self, d: DateArray) -> NDArray[np.bool_]: ...
    def is_workday(self, d: DateLike | DateArray) -> bool | NDArray[np.bool_]:
        """Whether ``d`` is a working day (工作日), 调休 make-up days included.

        Parameters
        ----------
        d
            A date, or an array of dates.

        Returns
        -------
        bool or numpy.ndarray of bool

        Raises
        ------
        CalendarCoverageError
            ``d`` lies in a year without schedule.
        CalendarError
            ``d`` is not a date.

        Examples
        --------
        >>> from randcheck.calendar import WorkCalendar
        >>> cal = WorkCalendar.default()
        >>> cal.is_workday("2026-02-14")  # Saturday, a 春节 make-up working day
        True
        """
        t = self._table
        if _is_array(d):
            i = _Engine.indices(t, d, True, "d")  # type: ignore[arg-type]
            _Engine.check_span(t, i, i, i, True, "is_workday")
            return t.workday[i]
        k = _Engine.index(t, d, True, "date")  # type: ignore[arg-type]
        if t.unknown_list[k + 1] != t.unknown_list[k]:
            raise _Engine.coverage_error(t, k, f"is_workday({t.day(k)})")
        return t.workday_list[k]

    @overload
    def add_workdays(self, d: DateLike, n: int) -> datetime.date: ...
    @overload
    def add_workdays(self, d: DateArray, n: int | IntArray) -> NDArray[np.datetime64]: ...
    @overload
    def add_workdays(self, d: DateLike, n: IntArray) -> NDArray[np.datetime64]: ...
    def add_workdays(
        self, d: DateLike | DateArray, n: int | IntArray
    ) -> datetime.date | NDArray[np.datetime64]:
        """The working day ``n`` working days from ``d``; the day ``d`` itself is not counted.

        * ``n > 0``: the ``n``-th working day strictly after ``d`` (民法典 第二百零一条).
        * ``n == 0``: ``d`` if it is a working day, else the last working day before ``d``.
        * ``n < 0``: the latest working day ``w`` with ``add_workdays(w, -n) <= d``; when ``d``
          is a working day that is the ``|n|``-th working day strictly before ``d``.

        Always ``workdays_between(d, add_workdays(d, n)) == n``.

        Parameters
        ----------
        d
            A date or an array of dates.
        n
            Working days, an int or an int array broadcast against ``d``.

        Returns
        -------
        datetime.date or numpy.ndarray of datetime64[D]

        Raises
        ------
        CalendarCoverageError
            The count passes through a year without schedule (names the first such year).
        CalendarError
            ``d`` is not a date or ``n`` not an int.

        Examples
        --------
        >>> from randcheck.calendar import WorkCalendar
        >>> cal = WorkCalendar.default()
        >>> cal.add_workdays("2026-02-13", 1)  # Saturday 14 February is a 调休 working day
        datetime.date(2026, 2, 14)
        >>> cal.add_workdays("2026-02-13", 2)  # then 春节 rest from 15 to 23 February
        datetime.date(2026, 2, 24)
        >>> cal.add_workdays("2025-10-04", -1)  # Saturday in the holiday: see the rule for n < 0
        datetime.date(2025, 9, 29)
        """
        t = self._table
        if _is_array(d) or isinstance(n, np.ndarray):
            i = _Engine.indices(t, d if _is_array(d) else [d], True, "d")  # type: ignore[arg-type]
            if not _is_array(d):
                i = i.reshape(())
            nn = _check_count_array(n)
            i, nn = np.broadcast_arrays(i, nn)
            target = t.pos[i].astype(np.int64) + nn
            out, _, _ = _Engine.jump(t, i, target, True, "add_workdays")
            return out
        k = _Engine.index(t, d, True, "date")  # type: ignore[arg-type]
        m = n if type(n) is int else _check_count(n)
        return _Engine.scalar_jump(t, k, t.pos_list[k] + m, True, f"add_workdays(n={m})")[0]

    @overload
    def workdays_between(self, a: DateLike, b: DateLike) -> int: ...
    @overload
    def workdays_between(self, a: DateArray | DateLike, b: DateArray) -> NDArray[np.int64]: ...
    @overload
    def workdays_between(self, a: DateArray, b: DateArray | DateLike) -> NDArray[np.int64]: ...
    def workdays_between(
        self, a: DateLike | DateArray, b: DateLike | DateArray
    ) -> int | NDArray[np.int64]:
        """Working days in ``(a, b]``: after ``a``, through ``b``; negative if ``b < a``.

        Parameters
        ----------
        a, b
            Dates or arrays of dates (broadcast).

        Returns
        -------
        int or numpy.ndarray of int64

        Raises
        ------
        CalendarCoverageError
            A day from ``a`` to ``b`` lies in a year without schedule.

        Examples
        --------
        >>> from randcheck.calendar import WorkCalendar
        >>> cal = WorkCalendar.default()
        >>> cal.workdays_between("2026-02-13", "2026-02-24")  # 14 and 24 February
        2
        >>> cal.workdays_between("2026-02-24", "2026-02-13")
        -2
        """
        t = self._table
        if _is_array(a) or _is_array(b):
            ia = _Engine.indices(t, a if _is_array(a) else [a], True, "a")  # type: ignore[arg-type]
            ib = _Engine.indices(t, b if _is_array(b) else [b], True, "b")  # type: ignore[arg-type]
            ia = ia if _is_array(a) else ia.reshape(())
            ib = ib if _is_array(b) else ib.reshape(())
            ia, ib = np.broadcast_arrays(ia, ib)
            _Engine.check_span(
                t, np.minimum(ia, ib), np.maximum(ia, ib), ia, True, "workdays_between"
            )
            return t.pos[ib].astype(np.int64) - t.pos[ia]
        i = _Engine.index(t, a, True, "a")  # type: ignore[arg-type]
        j = _Engine.index(t, b, True, "b")  # type: ignore[arg-type]
        lo, hi = (i, j) if i <= j else (j, i)
        _Engine.scalar_span(t, lo, hi, True, f"workdays_between({t.day(i)}, {t.day(j)})")
        return t.pos_list[j] - t.pos_list[i]

    @overload
    def next_workday(self, d: DateLike, *, inclusive: bool = ...) -> datetime.date: ...
    @overload
    def next_workday(self, d: DateArray, *, inclusive: bool = ...) -> NDArray[np.datetime64]: ...
    def next_workday(
        self, d: DateLike | DateArray, *, inclusive: bool = False
    ) -> datetime.date | NDArray[np.datetime64]:
        """The first working day after ``d`` (``inclusive``: on or after ``d``).

        Examples
        --------
        >>> from randcheck.calendar import WorkCalendar
        >>> cal = WorkCalendar.default()
        >>> cal.next_workday("2025-09-30")
        datetime.date(2025, 10, 9)
        >>> cal.next_workday("2025-09-30", inclusive=True)
        datetime.date(2025, 9, 30)
        """
        return self._step(d, inclusive, _target_next, "next_workday")

    @overload
    def previous_workday(self, d: DateLike, *, inclusive: bool = ...) -> datetime.date: ...
    @overload
    def previous_workday(
        self, d: DateArray, *, inclusive: bool = ...
    ) -> NDArray[np.datetime64]: ...
    def previous_workday(
        self, d: DateLike | DateArray, *, inclusive: bool = False
    ) -> datetime.date | NDArray[np.datetime64]:
        """The last working day before ``d`` (``inclusive``: on or before ``d``).

        Examples
        --------
        >>> from randcheck.calendar import WorkCalendar
        >>> cal = WorkCalendar.default()
        >>> cal.previous_workday("2025-10-09")
        datetime.date(2025, 9, 30)
        """
        return self._step(d, inclusive, _target_previous, "previous_workday")

    def _step(
        self, d: DateLike | DateArray, inclusive: bool, target_of: Any, what: str
    ) -> datetime.date | NDArray[np.datetime64]:
        t = self._table
        if _is_array(d):
            i = _Engine.indices(t, d, True, "d")  # type: ignore[arg-type]
            out, _, _ = _Engine.jump(
                t, i, np.asarray(target_of(t, i, inclusive), dtype=np.int64), True, what
            )
            return out
        k = _Engine.index(t, d, True, "date")  # type: ignore[arg-type]
        return _Engine.scalar_jump(t, k, target_of(t, k, inclusive), True, what)[0]


@functools.lru_cache(maxsize=1)
def _default_calendar() -> WorkCalendar:
    return WorkCalendar()


@attrs.frozen
class ProvisionalCalendar:
    """A :class:`WorkCalendar` that answers for years without schedule, marking each answer.

    In a year with no schedule it assumes Monday–Friday are working days except
    :data:`PROVISIONAL_FIXED_HOLIDAYS` (1 January, 1 May, 1–3 October), with no 调休. Every
    result is a :class:`Marked` (scalars) or :class:`MarkedArray` (arrays) whose ``provisional``
    flag is ``True`` exactly where the answer depends on such a day, so a guessed date cannot be
    mistaken for a final one. Dates beyond the table (before 2000 or after 2100, unless a
    registered year extends it) raise :class:`~randcheck.errors.CalendarError`.

    Build it with :meth:`WorkCalendar.provisional`.

    Examples
    --------
    An inspection that ends on 15 December 2026, before the 2027 schedule is known:

    >>> from randcheck.calendar import WorkCalendar
    >>> pcal = WorkCalendar.default().provisional()
    >>> due = pcal.add_workdays("2026-12-15", 20)
    >>> due.value, due.provisional, due.years
    (datetime.date(2027, 1, 13), True, (2027,))
    >>> print(due)
    2027-01-13 (provisional: no holiday schedule for 2027)
    >>> pcal.add_workdays("2026-11-02", 20).provisional
    False
    """

    calendar: WorkCalendar = attrs.field(validator=attrs.validators.instance_of(WorkCalendar))

    @overload
    def is_workday(self, d: DateLike) -> Marked[bool]: ...
    @overload
    def is_workday(self, d: DateArray) -> MarkedArray: ...
    def is_workday(self, d: DateLike | DateArray) -> Marked[bool] | MarkedArray:
        """:meth:`WorkCalendar.is_workday`, marked."""
        t = self.calendar._table
        if _is_array(d):
            i = _Engine.indices(t, d, False, "d")  # type: ignore[arg-type]
            prov, years = _Engine.check_span(t, i, i, i, False, "is_workday")
            return MarkedArray(t.workday[i], prov, years)
        k = _Engine.index(t, d, False, "date")  # type: ignore[arg-type]
        p, ys = _Engine.scalar_span(t, k, k, False, "is_workday")
        return Marked(t.workday_list[k], p, ys)

    @overload
    def add_workdays(self, d: DateLike, n: int) -> Marked[datetime.date]: ...
    @overload
    def add_workdays(self, d: DateArray, n: int | IntArray) -> MarkedArray: ...
    @overload
    def add_workdays(self, d: DateLike, n: IntArray) -> MarkedArray: ...
    def add_workdays(
        self, d: DateLike | DateArray, n: int | IntArray
    ) -> Marked[datetime.date] | MarkedArray:
        """:meth:`WorkCalendar.add_workdays`, marked."""
        t = self.calendar._table
        if _is_array(d) or isinstance(n, np.ndarray):
            i = _Engine.indices(t, d if _is_array(d) else [d], False, "d")  # type: ignore[arg-type]
            if not _is_array(d):
                i = i.reshape(())
            i, nn = np.broadcast_arrays(i, _check_count_array(n))
            target = t.pos[i].astype(np.int64) + nn
            return MarkedArray(*_Engine.jump(t, i, target, False, "add_workdays"))
        k = _Engine.index(t, d, False, "date")  # type: ignore[arg-type]
        m = _check_count(n)
        return Marked(*_Engine.scalar_jump(t, k, t.pos_list[k] + m, False, "add_workdays"))

    @overload
    def workdays_between(self, a: DateLike, b: DateLike) -> Marked[int]: ...
    @overload
    def workdays_between(self, a: DateArray | DateLike, b: DateArray) -> MarkedArray: ...
    @overload
    def workdays_between(self, a: DateArray, b: DateArray | DateLike) -> MarkedArray: ...
    def workdays_between(
        self, a: DateLike | DateArray, b: DateLike | DateArray
    ) -> Marked[int] | MarkedArray:
        """:meth:`WorkCalendar.workdays_between`, marked."""
        t = self.calendar._table
        if _is_array(a) or _is_array(b):
            ia = _Engine.indices(t, a if _is_array(a) else [a], False, "a")  # type: ignore[arg-type]
            ib = _Engine.indices(t, b if _is_array(b) else [b], False, "b")  # type: ignore[arg-type]
            ia = ia if _is_array(a) else ia.reshape(())
            ib = ib if _is_array(b) else ib.reshape(())
            ia, ib = np.broadcast_arrays(ia, ib)
            prov, years = _Engine.check_span(
                t, np.minimum(ia, ib), np.maximum(ia, ib), ia, False, "workdays_between"
            )
            return MarkedArray(t.pos[ib].astype(np.int64) - t.pos[ia], prov, years)
        i = _Engine.index(t, a, False, "a")  # type: ignore[arg-type]
        j = _Engine.index(t, b, False, "b")  # type: ignore[arg-type]
        p, ys = _Engine.scalar_span(t, min(i, j), max(i, j), False, "workdays_between")
        return Marked(t.pos_list[j] - t.pos_list[i], p, ys)

    @overload
    def next_workday(self, d: DateLike, *, inclusive: bool = ...) -> Marked[datetime.date]: ...
    @overload
    def next_workday(self, d: DateArray, *, inclusive: bool = ...) -> MarkedArray: ...
    def next_workday(
        self, d: DateLike | DateArray, *, inclusive: bool = False
    ) -> Marked[datetime.date] | MarkedArray:
        """:meth:`WorkCalendar.next_workday`, marked."""
        return self._step(d, inclusive, _target_next, "next_workday")

    @overload
    def previous_workday(self, d: DateLike, *, inclusive: bool = ...) -> Marked[datetime.date]: ...
    @overload
    def previous_workday(self, d: DateArray, *, inclusive: bool = ...) -> MarkedArray: ...
    def previous_workday(
        self, d: DateLike | DateArray, *, inclusive: bool = False
    ) -> Marked[datetime.date] | MarkedArray:
        """:meth:`WorkCalendar.previous_workday`, marked."""
        return self._step(d, inclusive, _target_previous, "previous_workday")

    def _step(
        self, d: DateLike | DateArray, inclusive: bool, target_of: Any, what: str
    ) -> Marked[datetime.date] | MarkedArray:
        t = self.calendar._table
        if _is_array(d):
            i = _Engine.indices(t, d, False, "d")  # type: ignore[arg-type]
            target = np.asarray(target_of(t, i, inclusive), dtype=np.int64)
            return MarkedArray(*_Engine.jump(t, i, target, False, what))
        k = _Engine.index(t, d, False, "date")  # type: ignore[arg-type]
        return Marked(*_Engine.scalar_jump(t, k, target_of(t, k, inclusive), False, what))
