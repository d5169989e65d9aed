"""Date parsing shared by every loader and model (private): one parser for county dates.

Accepted, as county exports write them: ``2019-03-07``, ``2019/3/7``, ``2019.3.7``,
``2019年3月7日``, ``20190307``, an ISO 8601 date-time (``2019-03-07T09:30:00+08:00``), a date
followed by a time (``2019/3/7 9:30`` or ``2019-03-07 09:30:00``, as Excel writes a date-time cell
to CSV), ``datetime.date`` and ``datetime.datetime`` values (aware ones are taken in China
Standard Time), and, from spreadsheet cells only, Excel serial day numbers
(:func:`from_excel_serial`).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Final


def _china_tz() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo("Asia/Shanghai")
    except zoneinfo.ZoneInfoNotFoundError:  # no tz database: China has had no DST since 1991
        return dt.timezone(dt.timedelta(hours=8), "CST")


CHINA_TZ: Final[dt.tzinfo] = _china_tz()
"""Asia/Shanghai from the tz database, or a fixed UTC+08:00 where no tz database is installed
(China has used UTC+08:00 without daylight saving time since 1991). The one China time zone of
the package: every "today" and every aware date-time is read in it."""

#: The forms :func:`to_date` reads, for error messages.
DATE_FORMS = "YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日 or YYYYMMDD"

_YMD = re.compile(
    r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})|年(?P<m2>\d{1,2})月"
    r"(?P<d2>\d{1,2})日?)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
#: Day 0 of Excel's 1900 date system is 1899-12-30 (Excel counts 1900-02-29, which never was).
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _error(value: object, field: str) -> ValueError:
    return ValueError(f"{field}: {value!r} is not a date (expected {DATE_FORMS})")


def parse_text(text: str) -> dt.date | None:
    """The date a county export means by ``text``, or ``None`` if it is not one of the forms."""
    s = text.strip()
    try:
        if len(s) == 10:
            return dt.date.fromisoformat(s)
        if len(s) > 10 and ("T" in s or "+" in s):
            day = dt.datetime.fromisoformat(s)
            return (day.astimezone(CHINA_TZ) if day.tzinfo is not None else day).date()
    except ValueError:
        pass
    m = _YMD.fullmatch(s)
    try:
        if m is not None:
            month = m.group("m") or m.group("m2")
            day_ = m.group("d") or m.group("d2")
            return dt.date(int(m.group("y")), int(month), int(day_))
        m = _COMPACT.fullmatch(s)
        if m is not None:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    return None


def from_excel_serial(serial: float) -> dt.date:
    """The date of an Excel serial day number (1900 date system; the fraction is the time).

    Examples
    --------
    >>> from_excel_serial(45928)
    datetime.date(2025, 9, 28)
    """
    if not 1 <= serial < 2958466:  # 1900-01-01 … 9999-12-31
        raise ValueError(f"{serial!r} is not an Excel date serial")
    return _EXCEL_EPOCH + dt.timedelta(days=int(serial))


def to_date(value: object, *, field: str = "date") -> dt.date:
    """Convert a date, datetime or county date text to a :class:`datetime.date`.

    Aware datetimes are converted to China Standard Time (UTC+8, no daylight saving since 1991)
    before the date is taken. Raises ``ValueError`` naming ``field`` for anything else.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA_TZ)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        day = parse_text(value)
        if day is not None:
            return day
    raise _error(value, field)


def to_optional_date(value: object, *, field: str = "date") -> dt.date | None:
    """Like :func:`to_date`, but ``None`` and empty strings mean "no date"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_date(value, field=field)
