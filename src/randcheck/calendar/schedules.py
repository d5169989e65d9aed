"""Year schedules (节假日安排): the State Council's notice for one year, as data.

A :class:`YearSchedule` holds one year's holiday periods (:class:`HolidayPeriod`: 法定节假日 with
their 调休 make-up working days), built in code or loaded from a small TOML or JSON file and checked
with every problem named by line and field. :class:`~randcheck.calendar.WorkCalendar` counts
working days from them.
"""

from __future__ import annotations

import datetime
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeAlias

import attrs

from randcheck._dates import as_date
from randcheck.errors import CalendarError

__all__ = ["PROVISIONAL_FIXED_HOLIDAYS", "HolidayPeriod", "YearSchedule"]


PROVISIONAL_FIXED_HOLIDAYS: Final[tuple[tuple[int, int, str], ...]] = (
    (1, 1, "元旦"),
    (5, 1, "劳动节"),
    (10, 1, "国庆节"),
    (10, 2, "国庆节"),
    (10, 3, "国庆节"),
)
"""``(month, day, name)`` of the rest days a :class:`~randcheck.calendar.ProvisionalCalendar`
assumes in a year with no schedule, besides Saturdays and Sundays. Lunar holidays (春节, 清明, 端午,
中秋) and 调休 are not guessed."""

_MIN_YEAR: Final = 1900
_MAX_YEAR: Final = 2200


# --------------------------------------------------------------------------------------------
# Year schedules
# --------------------------------------------------------------------------------------------


def _to_date_field(value: Any) -> datetime.date:
    return as_date(value, field="holiday date")


def _to_date_tuple(values: Iterable[Any]) -> tuple[datetime.date, ...]:
    if isinstance(values, str | datetime.date):
        values = [values]
    return tuple(as_date(v, field="makeup_workdays") for v in values)


def _to_periods(values: Iterable[HolidayPeriod]) -> tuple[HolidayPeriod, ...]:
    return tuple(values)


@attrs.frozen
class HolidayPeriod:
    """One line of the State Council's notice: a holiday period and its 调休 make-up working days.

    ``一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。`` becomes
    ``HolidayPeriod("元旦", "2026-01-01", "2026-01-03", makeup_workdays=["2026-01-04"])``.

    Parameters
    ----------
    name
        The holiday's name as in the notice (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节…).
    start, end
        First and last rest day (inclusive). ``end`` defaults to ``start``.
    makeup_workdays
        The weekend days announced as working days (``…上班``) for this holiday.

    Examples
    --------
    >>> from randcheck.calendar import HolidayPeriod
    >>> p = HolidayPeriod("元旦", "2026-01-01", "2026-01-03", makeup_workdays=["2026-01-04"])
    >>> len(p.dates())
    3
    """

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    start: datetime.date = attrs.field(converter=_to_date_field)
    end: datetime.date = attrs.field(
        default=attrs.Factory(lambda self: self.start, takes_self=True), converter=_to_date_field
    )
    makeup_workdays: tuple[datetime.date, ...] = attrs.field(default=(), converter=_to_date_tuple)

    def __attrs_post_init__(self) -> None:
        if not self.name.strip():
            raise CalendarError("HolidayPeriod: field 'name' is empty; give the holiday's name")
        if self.end < self.start:
            raise CalendarError(
                f"HolidayPeriod {self.name!r}: field 'end', value {self.end.isoformat()!r} is "
                f"before start {self.start.isoformat()!r}; end must be on or after start"
            )

    def dates(self) -> list[datetime.date]:
        """Every rest day of the period, ``start`` to ``end`` inclusive."""
        n = (self.end - self.start).days + 1
        return [self.start + datetime.timedelta(days=k) for k in range(n)]


_ScheduleProblem: TypeAlias = tuple[int | None, str, Any, str]  # (period index, key, value, reason)


def _schedule_problems(year: int, periods: Sequence[HolidayPeriod]) -> list[_ScheduleProblem]:
    first = datetime.date(year - 1, 12, 1)
    last = datetime.date(year, 12, 31)
    problems: list[_ScheduleProblem] = []
    makeup: dict[datetime.date, int] = {}
    for k, p in enumerate(periods):
        if (p.end - p.start).days > 60:
            problems.append(
                (k, "end", p.end, f"the period {p.name!r} would last longer than 60 days")
            )
        for key, d in (("start", p.start), ("end", p.end)):
            if not first <= d <= last:
                problems.append((k, key, d, _outside_year(year)))
        for m in p.makeup_workdays:
            if not first <= m <= last:
                problems.append((k, "makeup_workdays", m, _outside_year(year)))
            elif m.weekday() < 5:
                problems.append(
                    (
                        k,
                        "makeup_workdays",
                        m,
                        f"{m.isoformat()} is a {m.strftime('%A')}; a 调休 make-up working day "
                        "is a Saturday or Sunday announced as a working day",
                    )
                )
            makeup.setdefault(m, k)
    for k, p in enumerate(periods):
        if (p.end - p.start).days > 60:
            continue
        for d in p.dates():
            if d in makeup:
                j = makeup[d]
                problems.append(
                    (
                        k,
                        "start" if d == p.start else "end",
                        d,
                        f"holiday {p.name!r} covers {d.isoformat()}, which holidays[{j}] "
                        f"({periods[j].name!r}) field 'makeup_workdays' lists as a make-up "
                        "working day; a day is either a rest day or a working day",
                    )
                )
    return problems


def _outside_year(year: int) -> str:
    return (
        f"a schedule for {year} holds dates from {year - 1}-12-01 to {year}-12-31 only "
        "(December of the year before is allowed for a 元旦 bridge)"
    )


def _problem_text(where: str, problems: Sequence[tuple[str, Any, str]]) -> str:
    parts = []
    for loc, value, reason in problems[:5]:
        shown = value.isoformat() if isinstance(value, datetime.date) else value
        parts.append(f"{loc}, value {shown!r}: {reason}")
    more = f" (and {len(problems) - 5} more problems)" if len(problems) > 5 else ""
    return f"{where}: " + "; ".join(parts) + more


def _field_name(index: int | None, key: str) -> str:
    return f"field {key!r}" if index is None else f"field holidays[{index}].{key}"


@attrs.frozen
class YearSchedule:
    """The 放假调休 schedule of one year, as the State Council publishes it.

    Build one in code, or load it with :meth:`from_file` (TOML or JSON). Days the schedule does
    not mention follow the weekday rule: Monday to Friday are working days, Saturday and Sunday
    are not.

    Parameters
    ----------
    year
        The year of the notice.
    periods
        One :class:`HolidayPeriod` per holiday line of the notice. Dates lie in ``year``, or in
        December of the year before (a 元旦 bridge such as 2018-12-29..2019-01-01).
    source
        Where the schedule comes from (the notice, or the file it was loaded from); shown in errors.

    Raises
    ------
    CalendarError
        If a date lies outside the year, a make-up working day is a weekday, or a holiday covers a
        make-up working day. The message names the field (``holidays[1].makeup_workdays``) and the
        value.

    Examples
    --------
    >>> from randcheck.calendar import HolidayPeriod, YearSchedule
    >>> s = YearSchedule(
    ...     2026,
    ...     [
    ...         HolidayPeriod("元旦", "2026-01-01", "2026-01-03", makeup_workdays=["2026-01-04"]),
    ...         HolidayPeriod("清明节", "2026-04-04", "2026-04-06"),
    ...     ],
    ...     source="国务院办公厅关于2026年部分节假日安排的通知 (excerpt)",
    ... )
    >>> import datetime
    >>> s.holidays()[datetime.date(2026, 4, 6)]
    '清明节'
    >>> s.makeup_workdays()
    {datetime.date(2026, 1, 4): '元旦'}
    """

    year: int = attrs.field()
    periods: tuple[HolidayPeriod, ...] = attrs.field(default=(), converter=_to_periods)
    source: str | None = attrs.field(default=None)

    @year.validator
    def _check_year(self, _: attrs.Attribute[int], value: int) -> None:
        if type(value) is not int or not _MIN_YEAR <= value <= _MAX_YEAR:
            raise CalendarError(
                f"YearSchedule: field 'year', value {value!r}: expected a year from "
                f"{_MIN_YEAR} to {_MAX_YEAR}"
            )

    def __attrs_post_init__(self) -> None:
        for k, p in enumerate(self.periods):
            if not isinstance(p, HolidayPeriod):
                raise CalendarError(
                    f"YearSchedule({self.year}): field periods[{k}], value {p!r}: expected a "
                    "HolidayPeriod"
                )
        problems = _schedule_problems(self.year, self.periods)
        if problems:
            where = self.source or f"YearSchedule({self.year})"
            raise CalendarError(
                _problem_text(
                    where, [(_field_name(k, key), v, reason) for k, key, v, reason in problems]
                )
            )

    def holidays(self) -> dict[datetime.date, str]:
        """Every rest day the schedule announces, with its holiday's name (overlaps joined: 、)."""
        out: dict[datetime.date, str] = {}
        for p in self.periods:
            for d in p.dates():
                out[d] = p.name if d not in out or out[d] == p.name else f"{out[d]}、{p.name}"
        return dict(sorted(out.items()))

    def makeup_workdays(self) -> dict[datetime.date, str]:
        """Every 调休 make-up working day, with the name of the holiday it makes up for."""
        out: dict[datetime.date, str] = {}
        for p in self.periods:
            for d in p.makeup_workdays:
                out.setdefault(d, p.name)
        return dict(sorted(out.items()))

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | Path) -> YearSchedule:
        """Load a schedule from a ``.toml`` or ``.json`` file.

        The format (TOML shown; JSON uses the same keys, with dates as ``"YYYY-MM-DD"`` strings)::

            year = 2026
            source = "国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)"

            [[holidays]]
            name = "元旦"
            start = 2026-01-01
            end = 2026-01-03             # optional, defaults to start
            days = 3                     # optional: 共3天, checked against start..end
            makeup_workdays = [2026-01-04]   # optional: 1月4日（周日）上班

        Parameters
        ----------
        path
            The file. Its suffix chooses the format.

        Returns
        -------
        YearSchedule
            With ``source`` set to the file's ``source`` key, followed by the path.

        Raises
        ------
        CalendarError
            If the file cannot be read or parsed, or a field is malformed; the message names the
            file, the line (where it can be found) and the field.
        """
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix not in (".toml", ".json"):
            raise CalendarError(
                f"{p}: unknown schedule file type {p.suffix!r}; expected a .toml or .json file"
            )
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CalendarError(f"{p}: cannot read the schedule file: {e}") from e
        if suffix == ".toml":
            return cls.from_toml(text, source=str(p))
        return cls.from_json(text, source=str(p))

    @classmethod
    def from_toml(cls, text: str, *, source: str | None = None) -> YearSchedule:
        """Parse a schedule from TOML text; see :meth:`from_file` for the format.

        Examples
        --------
        >>> from randcheck.calendar import YearSchedule
        >>> s = YearSchedule.from_toml('''
        ... year = 2026
        ... [[holidays]]
        ... name = "劳动节"
        ... start = 2026-05-01
        ... end = 2026-05-05
        ... days = 5
        ... makeup_workdays = [2026-05-09]
        ... ''')
        >>> s.makeup_workdays()
        {datetime.date(2026, 5, 9): '劳动节'}
        """
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise CalendarError(f"{source or '<toml>'}: not valid TOML: {e}") from e
        return cls._from_data(data, text=text, source=source, fmt="toml")

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> YearSchedule:
        """Parse a schedule from JSON text; see :meth:`from_file` for the format."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise CalendarError(
                f"{source or '<json>'}, line {e.lineno}, column {e.colno}: not valid JSON: {e.msg}"
            ) from e
        return cls._from_data(data, text=text, source=source, fmt="json")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str | None = None) -> YearSchedule:
        """Build a schedule from already-parsed data with the keys of :meth:`from_file`."""
        return cls._from_data(data, text=None, source=source, fmt="mapping")

    @classmethod
    def _from_data(
        cls, data: Any, *, text: str | None, source: str | None, fmt: str
    ) -> YearSchedule:
        where = source or f"<{fmt}>"
        problems: list[_ScheduleProblem] = []
        if not isinstance(data, Mapping):
            raise CalendarError(f"{where}: expected a table with keys year, source, holidays")
        for key in data:
            if key not in ("year", "source", "holidays"):
                problems.append(
                    (None, str(key), data[key], "unknown key; allowed: year, source, holidays")
                )
        year = data.get("year")
        if type(year) is not int or not _MIN_YEAR <= year <= _MAX_YEAR:
            problems.append(
                (
                    None,
                    "year",
                    year,
                    f"expected the year as a number from {_MIN_YEAR} to {_MAX_YEAR}",
                )
            )
        note = data.get("source")
        if note is not None and not isinstance(note, str):
            problems.append((None, "source", note, "expected a text"))
            note = None
        raw = data.get("holidays", [])
        if not isinstance(raw, list):
            problems.append((None, "holidays", raw, "expected a list of holiday tables"))
            raw = []
        periods: list[HolidayPeriod] = []
        for k, entry in enumerate(raw):
            period = _period_from_data(k, entry, problems)
            if period is not None:
                periods.append(period)
        if not problems and type(year) is int:
            problems.extend(_schedule_problems(year, periods))
        if problems:
            located = [(_locate(text, fmt, k, key, v), v, reason) for k, key, v, reason in problems]
            raise CalendarError(_problem_text(where, located))
        assert type(year) is int
        if source is None or note is None:
            full_source = note if source is None else source
        else:
            full_source = f"{note} ({source})"
        return cls(year, periods, source=full_source)

    def to_toml(self) -> str:
        """The schedule in the TOML format of :meth:`from_file`.

        Examples
        --------
        >>> from randcheck.calendar import HolidayPeriod, YearSchedule
        >>> s = YearSchedule(2026, [HolidayPeriod("清明节", "2026-04-04", "2026-04-06")])
        >>> print(s.to_toml())
        year = 2026
        <BLANKLINE>
        [[holidays]]
        name = "清明节"
        start = 2026-04-04
        end = 2026-04-06
        days = 3
        makeup_workdays = []
        <BLANKLINE>
        >>> YearSchedule.from_toml(s.to_toml()).periods == s.periods
        True
        """
        lines = [f"year = {self.year}"]
        if self.source is not None:
            lines.append(f"source = {json.dumps(self.source, ensure_ascii=False)}")
        for p in self.periods:
            makeup = ", ".join(d.isoformat() for d in p.makeup_workdays)
            lines += [
                "",
                "[[holidays]]",
                f"name = {json.dumps(p.name, ensure_ascii=False)}",
                f"start = {p.start.isoformat()}",
                f"end = {p.end.isoformat()}",
                f"days = {(p.end - p.start).days + 1}",
                f"makeup_workdays = [{makeup}]",
            ]
        return "\n".join(lines) + "\n"


_PERIOD_KEYS: Final = ("name", "start", "end", "days", "makeup_workdays")


def _period_from_data(k: int, entry: Any, problems: list[_ScheduleProblem]) -> HolidayPeriod | None:
    if not isinstance(entry, Mapping):
        problems.append((k, "", entry, "expected a table with keys " + ", ".join(_PERIOD_KEYS)))
        return None
    before = len(problems)
    for key in entry:
        if key not in _PERIOD_KEYS:
            problems.append(
                (k, str(key), entry[key], "unknown key; allowed: " + ", ".join(_PERIOD_KEYS))
            )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append((k, "name", name, 'expected the holiday\'s name, e.g. "春节"'))
    start = _data_date(k, "start", entry.get("start"), problems, required=True)
    end = _data_date(k, "end", entry.get("end", start), problems, required=False)
    makeup_raw = entry.get("makeup_workdays", [])
    makeup: list[datetime.date] = []
    if not isinstance(makeup_raw, list):
        problems.append((k, "makeup_workdays", makeup_raw, "expected a list of dates"))
    else:
        for m in makeup_raw:
            d = _data_date(k, "makeup_workdays", m, problems, required=True)
            if d is not None:
                makeup.append(d)
    if start is not None and end is not None:
        if end < start:
            problems.append((k, "end", end, f"before start {start.isoformat()}"))
        elif "days" in entry:
            days = entry["days"]
            span = (end - start).days + 1
            if type(days) is not int or days != span:
                problems.append(
                    (k, "days", days, f"start..end is {span} days (共{span}天); check the dates")
                )
    if len(problems) > before or start is None or end is None or not isinstance(name, str):
        return None
    return HolidayPeriod(name, start, end, makeup_workdays=makeup)


def _data_date(
    k: int, key: str, value: Any, problems: list[_ScheduleProblem], *, required: bool
) -> datetime.date | None:
    if value is None:
        if required:
            problems.append((k, key, value, "missing; expected a date YYYY-MM-DD"))
        return None
    if isinstance(value, datetime.datetime):
        problems.append((k, key, value, "expected a date without a time, YYYY-MM-DD"))
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append((k, key, value, "not a date; expected YYYY-MM-DD"))
    return None


def _locate(text: str | None, fmt: str, index: int | None, key: str, value: Any) -> str:
    """``line N, field …``: the line of ``key`` in holiday table ``index`` (best effort)."""
    field = _field_name(index, key)
    if text is None or fmt == "mapping":
        return field
    line = _find_toml_line(text, index, key) if fmt == "toml" else _find_json_line(text, index, key)
    return field if line is None else f"line {line}, {field}"


def _find_toml_line(text: str, index: int | None, key: str) -> int | None:
    header = re.compile(r"^\s*\[\[\s*holidays\s*\]\]")
    key_re = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    block = -1
    for no, line in enumerate(text.splitlines(), start=1):
        if header.match(line):
            block += 1
            if index is not None and block == index and not key:
                return no
            continue
        if block == (-1 if index is None else index) and key and key_re.match(line):
            return no
    return None


def _find_json_line(text: str, index: int | None, key: str) -> int | None:
    pos = 0
    if index is not None:
        pos = text.find('"holidays"')
        if pos < 0:
            return None
        for _ in range(index + 1):
            pos = text.find("{", pos + 1)
            if pos < 0:
                return None
        if not key:
            return text.count("\n", 0, pos) + 1
    at = text.find(f'"{key}"', pos)
    return None if at < 0 else text.count("\n", 0, at) + 1
