"""Loaders for the small lists around the directories: items (抽查事项清单), conflicts (回避)
and event dates (for due dates).

The directories themselves load with :meth:`TargetRoster.from_csv <randcheck.TargetRoster.from_csv>`
and :meth:`OfficerRoster.from_csv <randcheck.OfficerRoster.from_csv>`. Errors are
:class:`~randcheck.RosterError` naming the file, the row (as a spreadsheet shows it, the header
being row 1) and the field. Every loader takes ``encoding`` (default UTF-8 with or without a BOM;
``"gb18030"`` for a GBK file saved by Chinese Excel); a byte-order mark decides over it. A path
ending in ``.xlsx`` is read as the first sheet of a workbook (the ``excel`` extra), with the same
headers and the row numbers Excel shows.
"""

from __future__ import annotations

import csv
import io
import os
import pathlib
import tomllib
from collections.abc import Iterable
from typing import IO, Any

import numpy as np

from randcheck import _excel, _textio
from randcheck._dates import DATE_FORMS, to_optional_date
from randcheck.errors import RosterError
from randcheck.models import Conflict, Item

__all__ = ["load_conflicts", "load_events", "load_items"]

_ITEM_FIELDS = {
    "code": "code",
    "事项编码": "code",
    "编码": "code",
    "name": "name",
    "事项名称": "name",
    "名称": "name",
    "department": "department",
    "部门": "department",
    "实施部门": "department",
    "kind": "kind",
    "事项类别": "kind",
    "类别": "kind",
    "legal_basis": "legal_basis",
    "抽查依据": "legal_basis",
    "依据": "legal_basis",
    "industries": "industries",
    "行业": "industries",
    "适用行业": "industries",
    "tags": "tags",
    "标签": "tags",
    "适用对象标签": "tags",
    "skills": "skills",
    "专长": "skills",
    "所需专长": "skills",
    "method": "method",
    "检查方式": "method",
    "核查方式": "method",
    "rate": "rate",
    "抽查比例": "rate",
    "比例": "rate",
}
#: Keys that an item file may carry for people and that randcheck does not use.
_ITEM_NOTES = {"rate_source", "note", "备注"}
_CONFLICT_FIELDS = {
    "officer_id": "officer_id",
    "执法证号": "officer_id",
    "人员编号": "officer_id",
    "credit_code": "credit_code",
    "统一社会信用代码": "credit_code",
    "reason": "reason",
    "回避事由": "reason",
    "事由": "reason",
}


def _source_name(path: str | os.PathLike[str] | IO[Any]) -> str:
    return _textio.source_name(path)


def _read_text(
    path: str | os.PathLike[str] | IO[Any], encoding: str, date_columns: Iterable[str] = ()
) -> str:
    """The file as text; a workbook (``.xlsx``, the ``excel`` extra) as CSV of its first sheet."""
    source = _source_name(path)
    if _excel.is_excel(path):
        return _excel.sheet_as_csv(
            path,  # type: ignore[arg-type]
            None,
            lambda message: RosterError(message, source=source),
            date_columns=set(date_columns),
        )
    raw = _textio.read_bytes(path, lambda message: RosterError(message, source=source))
    return _textio.decode(
        raw, encoding, lambda message, row: RosterError(message, source=source, row=row or None)
    )


def _item_from(entry: dict[str, Any], source: str, row: int) -> Item:
    fields: dict[str, Any] = {}
    for key, value in entry.items():
        name = _ITEM_FIELDS.get(str(key).strip())
        if name is None:
            if str(key).strip() in _ITEM_NOTES:
                continue
            raise RosterError(
                "unknown field; items have code, name, department, kind, legal_basis, "
                "industries, tags, skills, method, rate (or their Chinese headers)",
                source=source,
                row=row,
                column=str(key),
            )
        if name == "rate":
            if value in ("", None):
                continue
            try:
                text = str(value).strip()
                value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            except ValueError:
                raise RosterError(
                    "not a rate; use a fraction such as 0.2 or a percentage such as 20%",
                    source=source,
                    row=row,
                    column=str(key),
                    value=value,
                ) from None
        fields[name] = value
    try:
        return Item(**fields)
    except (TypeError, ValueError) as exc:
        raise RosterError(str(exc), source=source, row=row) from None


def load_items(
    path: str | os.PathLike[str] | IO[bytes], *, encoding: str = "utf-8-sig"
) -> tuple[Item, ...]:
    """Read an item list (随机抽查事项清单) from TOML (``[[item]]`` tables), CSV or ``.xlsx``.

    CSV headers may be English field names or Chinese ones (事项编码, 事项名称, 部门, 事项类别,
    抽查依据, 适用行业, 标签, 所需专长, 核查方式, 抽查比例); lists are separated by ``;`` and a
    rate may be written ``0.2`` or ``20%``. Item codes must be unique.

    Examples
    --------
    >>> import io
    >>> text = "事项编码,事项名称,部门,适用行业,抽查比例\\nSW-02,成品油检查,商务局,成品油零售,20%"
    >>> load_items(io.BytesIO(text.encode()))[0].rate
    0.2
    """
    source = _source_name(path)
    text = _read_text(path, encoding)
    suffix = pathlib.Path(source).suffix.lower()
    items: list[Item] = []
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RosterError(f"is not valid TOML: {exc}", source=source) from None
        entries = data.get("item")
        if not isinstance(entries, list):
            raise RosterError("needs a list of [[item]] tables", source=source)
        for k, entry in enumerate(entries, start=1):
            items.append(_item_from(dict(entry), source, k))
    else:
        for k, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=2):
            items.append(_item_from({h: v for h, v in row.items() if h is not None}, source, k))
    seen: dict[str, int] = {}
    for k, item in enumerate(items):
        if item.code in seen:
            raise RosterError(
                "duplicate item code", source=source, row=k + 1, column="code", value=item.code
            )
        seen[item.code] = k
    return tuple(items)


def load_conflicts(
    path: str | os.PathLike[str] | IO[bytes], *, encoding: str = "utf-8-sig"
) -> tuple[Conflict, ...]:
    """Read declared conflicts (回避) from CSV or ``.xlsx``: ``officer_id``, ``credit_code``,
    ``reason`` (or 执法证号 / 人员编号, 统一社会信用代码, 回避事由 / 事由).

    Examples
    --------
    >>> import io
    >>> text = "执法证号,统一社会信用代码,回避事由\\nA001,91350100M000100Y43,亲属关系\\n"
    >>> load_conflicts(io.BytesIO(text.encode()))[0].reason
    '亲属关系'
    """
    source = _source_name(path)
    reader = csv.DictReader(io.StringIO(_read_text(path, encoding), newline=""))
    header = [h.strip() for h in reader.fieldnames or ()]
    names = {h: _CONFLICT_FIELDS.get(h) for h in header}
    missing = {"officer_id", "credit_code"} - set(names.values())
    if missing:
        raise RosterError(
            f"required column missing: {', '.join(sorted(missing))}",
            source=source,
            column=sorted(missing)[0],
        )
    out: list[Conflict] = []
    for k, row in enumerate(reader, start=2):
        fields: dict[str, str] = {}
        for h, v in row.items():
            name = names.get(h.strip()) if h else None
            if name is not None:
                fields[name] = v
        try:
            out.append(Conflict(**fields))
        except (TypeError, ValueError) as exc:
            raise RosterError(str(exc), source=source, row=k) from None
    return tuple(out)


#: Chinese headers of event columns, for :func:`load_events`.
_EVENT_FIELDS = {
    "抽取日期": "draw",
    "抽查日期": "draw",
    "检查结束日期": "inspection_end",
    "检查完成日期": "inspection_end",
    "完成日期": "done",
    "办结日期": "done",
}


def load_events(
    path: str | os.PathLike[str] | IO[bytes],
    *,
    dates: Iterable[str] | None = None,
    encoding: str = "utf-8-sig",
) -> dict[str, np.ndarray[Any, Any]]:
    """Read a CSV (or ``.xlsx``) file of events, one row each, for :func:`~randcheck.due_dates`.

    Returns every column by header, in file order: the columns named in ``dates`` (default:
    ``draw``, ``inspection_end`` and ``done`` where present, or their Chinese headers 抽取日期,
    检查结束日期, 完成日期 …, which are renamed to those names) as ``datetime64[D]`` arrays with
    ``NaT`` for an empty cell, the others as arrays of strings. Dates may be written as county
    exports write them (2025-04-30, 2025/4/30, 2025.4.30, 2025年4月30日, 20250430).

    Raises
    ------
    RosterError
        For a cell that is not a date, naming the file, the row as the spreadsheet shows it,
        the column and the value (every such cell is listed in the error's ``problems``); for
        a ``dates`` column the file lacks; for text that is not in ``encoding``.

    Examples
    --------
    >>> import io
    >>> text = "编号,抽取日期\\nV1,2025/4/30\\nV2,2025年5月6日\\n"
    >>> load_events(io.BytesIO(text.encode("gb18030")), encoding="gb18030")["draw"]
    array(['2025-04-30', '2025-05-06'], dtype='datetime64[D]')
    """
    source = _source_name(path)
    date_headers = [*(dates or ("draw", "inspection_end", "done")), *_EVENT_FIELDS]
    reader = csv.reader(io.StringIO(_read_text(path, encoding, date_headers), newline=""))
    try:
        written = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RosterError("the file is empty (no header row)", source=source) from None
    header = [_EVENT_FIELDS.get(h, h) for h in written]
    shown = dict(zip(header, written, strict=True))
    rows: list[list[str]] = []
    numbers: list[int] = []
    for k, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise RosterError(
                f"has {len(row)} fields but the header has {len(header)}", source=source, row=k
            )
        rows.append(row)
        numbers.append(k)
    wanted = (
        list(dates)
        if dates is not None
        else [h for h in ("draw", "inspection_end", "done") if h in header]
    )
    missing = [d for d in wanted if d not in header]
    if missing:
        raise RosterError(
            f"has no column {missing[0]!r}; its headers are {', '.join(header)}",
            source=source,
            row=1,
            column=missing[0],
        )
    out: dict[str, np.ndarray[Any, Any]] = {}
    problems: list[tuple[int | None, str | None, Any, str]] = []
    why = f"not a date; use {DATE_FORMS} (empty for none)"
    for j, name in enumerate(header):
        values = [r[j] for r in rows]
        if name not in wanted:
            out[name] = np.array(values, dtype=np.dtypes.StringDType())
            continue
        col = np.full(len(values), np.datetime64("NaT", "D"))
        for i, v in enumerate(values):
            try:
                d = to_optional_date(v, field=name)
            except ValueError:
                problems.append((numbers[i], shown[name], v, why))
                continue
            if d is not None:
                col[i] = np.datetime64(d, "D")
        out[name] = col
    if problems:
        problems.sort(key=lambda p: p[0] or 0)
        first_row, column, value, _ = problems[0]
        more = f" ({len(problems)} cells in all)" if len(problems) > 1 else ""
        raise RosterError(
            why + more,
            source=source,
            row=first_row,
            column=column,
            value=value,
            problems=problems,
            has_value=True,
        )
    return out
