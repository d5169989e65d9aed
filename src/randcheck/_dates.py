"""Date parsing shared by loaders and models (private)."""

from __future__ import annotations

import datetime as dt

_CST = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def to_date(value: object, *, field: str = "date") -> dt.date:
    """Convert a date, datetime or ISO string to a :class:`datetime.date`.

    Aware datetimes are converted to China Standard Time (UTC+8, no daylight saving since 1991)
    before the date is taken. Raises ``ValueError`` naming ``field`` for anything else.
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_CST)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) > 10:
                return to_date(dt.datetime.fromisoformat(text), field=field)
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
        for sep in ("/", "."):
            parts = text.split(sep)
            if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4:
                try:
                    return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
                except ValueError:
                    break
        raise ValueError(f"{field}: {value!r} is not a date (expected YYYY-MM-DD)")
    raise ValueError(f"{field}: {value!r} is not a date (expected YYYY-MM-DD)")


def to_optional_date(value: object, *, field: str = "date") -> dt.date | None:
    """Like :func:`to_date`, but ``None`` and empty strings mean "no date"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return to_date(value, field=field)
