"""Date parsing shared by every loader and model (private): one parser for county dates.

Accepted, as county exports write them: ``2019-03-07``, ``2019/3/7``, ``2019.3.7``,
``2019年3月7日``, ``20190307``, an ISO 8601 date-time (``2019-03-07T09:30:00+08:00``), a date
followed by a time (``2019/3/7 9:30`` or ``2019-03-07 09:30:00``, as Excel writes a date-time cell
to CSV), ``datetime.date`` and ``datetime.datetime`` values (aware ones are taken in China
Standard Time), ``numpy.datetime64`` values, and, from spreadsheet cells only, Excel serial day
numbers (:func:`from_excel_serial`).

:func:`as_date` (one value) and :func:`as_dates` (an array) are the entry points; they raise
:class:`~randcheck.errors.CalendarError`, a ``ValueError``. :mod:`randcheck.calendar` re-exports
them, which is where they are documented. ``to_date`` is the same function as ``as_date``.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zoneinfo
from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import NDArray

from randcheck.errors import CalendarError

DateLike: TypeAlias = dt.date | str | np.datetime64
"""One date: ``datetime.date``, ``datetime.datetime``, ISO 8601 string or ``numpy.datetime64``."""

DateArray: TypeAlias = NDArray[Any] | list[Any] | tuple[Any, ...]
"""Many dates: a ``datetime64`` array (fast path), or an array, list or tuple of date-likes."""


def _china_tz() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo("Asia/Shanghai")
    except zoneinfo.ZoneInfoNotFoundError:  # no tz database: China has had no DST since 1991
        return dt.timezone(dt.timedelta(hours=8), "CST")


CHINA_TZ: Final[dt.tzinfo] = _china_tz()
"""Asia/Shanghai from the tz database, or a fixed UTC+08:00 where no tz database is installed
(China has used UTC+08:00 without daylight saving time since 1991). The one China time zone of
the package: every "today" and every aware date-time is read in it."""

#: The forms :func:`as_date` reads, for error messages.
DATE_FORMS = "YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日 or YYYYMMDD"

_YMD = re.compile(
    r"(?P<y>\d{4})(?:(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})|年(?P<m2>\d{1,2})月"
    r"(?P<d2>\d{1,2})日?)(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
#: Day 0 of Excel's 1900 date system is 1899-12-30 (Excel counts 1900-02-29, which never was).
_EXCEL_EPOCH = dt.date(1899, 12, 30)


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


def as_date(value: DateLike, *, field: str = "date") -> dt.date:
    """Convert one date-like value to a :class:`datetime.date` in China.

    Parameters
    ----------
    value
        A ``datetime.date``; a ``datetime.datetime`` (aware: converted to Asia/Shanghai first;
        naive: taken as China time); an ISO 8601 string (``"2025-10-01"``,
        ``"2025-10-01T23:30:00+00:00"``); or a ``numpy.datetime64``.
    field
        The name used in error messages.

    Returns
    -------
    datetime.date

    Raises
    ------
    CalendarError
        If ``value`` is not a date, names ``field`` and the value.

    Examples
    --------
    >>> from randcheck.calendar import as_date
    >>> as_date("2025-10-01")
    datetime.date(2025, 10, 1)
    >>> as_date("2025-09-30T20:00:00+00:00")  # 04:00 on 1 October in Beijing
    datetime.date(2025, 10, 1)
    """
    if type(value) is dt.date:
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            value = value.astimezone(CHINA_TZ)
        return value.date()
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    if isinstance(value, str):
        return _parse_date_string(value, field)
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise CalendarError(f"{field}: value NaT is not a date; a date is required here")
        day: dt.date = value.astype("datetime64[D]").item()
        return day
    raise CalendarError(
        f"{field}: value {value!r} of type {type(value).__name__} is not a date; expected a "
        "datetime.date, datetime.datetime, ISO 8601 string such as '2025-10-01' or numpy.datetime64"
    )


def _parse_date_string(text: str, field: str) -> dt.date:
    day = parse_text(text)  # the one parser for county dates (randcheck._dates)
    if day is not None:
        return day
    raise CalendarError(
        f"{field}: value {text!r} is not a date; expected ISO 8601 such as '2025-10-01' or "
        "'2025-10-01T09:30:00+08:00', or 2025/10/1, 2025.10.1, 2025年10月1日, 20251001"
    )


def as_dates(values: DateArray, *, field: str = "dates", allow_nat: bool = False) -> NDArray[Any]:
    """Convert many date-likes to a ``datetime64[D]`` array of dates in China.

    ``datetime64`` arrays of any unit are floored to days (they are taken as China dates). String
    arrays in ``YYYY-MM-DD`` form are parsed by numpy; other strings, and object arrays, go
    through :func:`as_date` one element at a time (slower, but aware datetimes become China dates).

    Parameters
    ----------
    values
        An array, list or tuple of dates.
    field
        The name used in error messages.
    allow_nat
        Whether missing values (``NaT``, ``None``, ``""``) are allowed; they stay ``NaT``.

    Returns
    -------
    numpy.ndarray
        ``datetime64[D]``, same shape as ``values``.

    Raises
    ------
    CalendarError
        Naming ``field``, the 0-based index and the value of the first element that is not a date.

    Examples
    --------
    >>> from randcheck.calendar import as_dates
    >>> as_dates(["2025-10-01", "2026-02-17"])
    array(['2025-10-01', '2026-02-17'], dtype='datetime64[D]')
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        out = arr.astype("datetime64[D]")
    elif arr.dtype.kind in "US":
        out = _parse_string_array(arr, field, allow_nat)
    elif arr.dtype == object:
        out = _parse_object_array(arr, field, allow_nat)
    elif arr.size == 0:
        out = np.empty(arr.shape, dtype="datetime64[D]")
    else:
        raise CalendarError(
            f"{field}: an array of dtype {arr.dtype} is not an array of dates; expected "
            "datetime64, ISO 8601 strings or date objects"
        )
    if not allow_nat:
        nat = np.isnat(out)
        if nat.any():
            k = int(np.flatnonzero(nat.ravel())[0])
            raise CalendarError(
                f"{field}: index {k}, value {arr.ravel()[k]!r}: a date is required here, "
                "not a missing value (NaT)"
            )
    return out


def _parse_string_array(arr: NDArray[Any], field: str, allow_nat: bool) -> NDArray[Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = arr.astype("datetime64[D]")
        stripped = np.char.strip(arr.astype("U"))
        ok = (out.astype("U10") == stripped) | (np.isnat(out) & np.isin(stripped, ["", "NaT"]))
        if bool(ok.all()):
            return out
    except (ValueError, RuntimeError, OverflowError):
        pass  # not all plain YYYY-MM-DD: parse one by one below
    return _parse_object_array(arr.astype(object), field, allow_nat)


def _parse_object_array(arr: NDArray[Any], field: str, allow_nat: bool) -> NDArray[Any]:
    flat = arr.ravel()
    out = np.empty(flat.shape, dtype="datetime64[D]")
    for k, v in enumerate(flat):  # object input: there is no vectorized parser for these
        if v is None or (isinstance(v, str) and v.strip() in ("", "NaT")):
            out[k] = np.datetime64("NaT")
        elif isinstance(v, np.datetime64) and np.isnat(v):
            out[k] = v
        else:
            try:
                out[k] = np.datetime64(as_date(v, field=field), "D")
            except CalendarError as e:
                raise CalendarError(f"{field}: index {k}, {str(e).split(': ', 1)[1]}") from None
    return out.reshape(arr.shape)


to_date = as_date
"""The same function as :func:`as_date` (the name the loaders use)."""


def to_optional_date(value: Any, *, field: str = "date") -> dt.date | None:
    """Like :func:`to_date`, but ``None`` and empty strings mean "no date"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_date(value, field=field)
