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
from randcheck.problems import Collector, csv_body
from randcheck.roster.credit_code import credit_code_problem, is_scientific, misspelt_code

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
    path: str | os.PathLike[str] | IO[Any],
    encoding: str,
    date_columns: Iterable[str] = (),
    *,
    sheet: str | int | None = None,
) -> str:
    """The file as text; a workbook (``.xlsx``, the ``excel`` extra) as CSV of its first sheet."""
    source = _source_name(path)
    if _excel.is_excel(path):
        return _excel.sheet_as_csv(
            path,  # type: ignore[arg-type]
            sheet,
            lambda message: RosterError(message, source=source),
            date_columns=set(date_columns),
        )
    raw = _textio.read_bytes(path, lambda message: RosterError(message, source=source))
    return _textio.decode(
        raw, encoding, lambda message, row: RosterError(message, source=source, row=row or None)
    )


_ITEM_COLUMNS = (
    "code, name, department, kind, legal_basis, industries, tags, skills, method, rate "
    "(or their Chinese headers)"
)


def _unknown_item_field(key: str) -> bool:
    key = key.strip()
    return key not in _ITEM_FIELDS and key not in _ITEM_NOTES


def _item_from(entry: dict[str, Any], row: int, found: Collector) -> Item | None:
    """The item of one row, or ``None`` after recording its problems in ``found``."""
    fields: dict[str, Any] = {}
    ok = True
    for key, value in entry.items():
        name = _ITEM_FIELDS.get(str(key).strip())
        if name is None:
            continue  # notes; unknown fields are reported once, by the caller
        if name == "rate":
            if value in ("", None):
                continue
            try:
                text = str(value).strip()
                value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
            except ValueError:
                found.add(
                    row,
                    str(key),
                    value,
                    "not a rate",
                    "use a fraction such as 0.2 or a percentage such as 20%",
                )
                ok = False
                continue
        fields[name] = value
    if not ok:
        return None
    try:
        return Item(**fields)
    except (TypeError, ValueError) as exc:
        found.add(row, None, None, str(exc))
        return None


def _raise_if_any(found: Collector) -> None:
    """One :class:`RosterError` for every problem in ``found`` (the first named, all counted)."""
    if found:
        raise found.report().roster_error()


def load_items(
    path: str | os.PathLike[str] | IO[bytes],
    *,
    encoding: str = "utf-8-sig",
    sheet: str | int | None = None,
) -> tuple[Item, ...]:
    """Read an item list (随机抽查事项清单) from TOML (``[[item]]`` tables), CSV or ``.xlsx``.

    CSV headers may be English field names or Chinese ones (事项编码, 事项名称, 部门, 事项类别,
    抽查依据, 适用行业, 标签, 所需专长, 核查方式, 抽查比例); lists are separated by ``;`` and a
    rate may be written ``0.2`` or ``20%``. Item codes must be unique. ``sheet`` names the
    sheet of a workbook (default the first).

    Raises
    ------
    RosterError
        Every problem of the file in one pass (unknown columns, bad rates, bad items, repeated
        codes): the first is named, and the error's ``report`` (a
        :class:`~randcheck.problems.ProblemReport`) lists them all with the row as a spreadsheet
        shows it (the entry's number, from 1, in TOML).

    Examples
    --------
    >>> import io
    >>> text = "事项编码,事项名称,部门,适用行业,抽查比例\\nSW-02,成品油检查,商务局,成品油零售,20%"
    >>> load_items(io.BytesIO(text.encode()))[0].rate
    0.2
    """
    source = _source_name(path)
    text = _read_text(path, encoding, sheet=sheet)
    suffix = pathlib.Path(source).suffix.lower()
    found = Collector(source)
    items: list[tuple[int, Item | None]] = []
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RosterError(f"is not valid TOML: {exc}", source=source) from None
        entries = data.get("item")
        if not isinstance(entries, list):
            raise RosterError("needs a list of [[item]] tables", source=source)
        for k, entry in enumerate(entries, start=1):
            for key in entry:
                if _unknown_item_field(str(key)):
                    found.add(k, str(key), None, f"unknown field; items have {_ITEM_COLUMNS}")
            items.append((k, _item_from(dict(entry), k, found)))
    else:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        for key in reader.fieldnames or ():
            if _unknown_item_field(key):
                found.add(
                    None,
                    key,
                    None,
                    f"unknown column; items have {_ITEM_COLUMNS}",
                    "rename the column or delete it (备注 is kept as a note)",
                )
        for k, row in enumerate(reader, start=2):
            if None in row:
                found.add(k, None, None, "more cells than the header has", "quote text with commas")
                continue
            items.append((k, _item_from({h: v for h, v in row.items() if h is not None}, k, found)))
    seen: dict[str, int] = {}
    for k, item in items:
        if item is None:
            continue
        if item.code in seen:
            found.add(
                k,
                "code",
                item.code,
                "duplicate item code",
                f"the code is used in row {seen[item.code]} too; give each item its own code",
            )
        else:
            seen[item.code] = k
    _raise_if_any(found)
    return tuple(item for _, item in items if item is not None)


def load_conflicts(
    path: str | os.PathLike[str] | IO[bytes],
    *,
    encoding: str = "utf-8-sig",
    sheet: str | int | None = None,
    legacy_codes: bool = False,
) -> tuple[Conflict, ...]:
    """Read declared conflicts (回避) from CSV or ``.xlsx``: ``officer_id``, ``credit_code``,
    ``reason`` (or 执法证号 / 人员编号, 统一社会信用代码, 回避事由 / 事由). ``sheet`` names the
    sheet of a workbook (default the first).

    Every credit code must be a valid 统一社会信用代码 (GB 32100-2015): a recusal under a
    mistyped code would name no target and never be applied. ``legacy_codes=True`` keeps codes
    that fail the check, as :meth:`~randcheck.TargetRoster.from_csv` does for a directory that
    holds legacy codes (codes in scientific notation or with full-width characters are still
    refused).

    Raises
    ------
    RosterError
        For a missing column; otherwise for every bad row in one pass, the first named and all
        listed in the error's ``report`` (a :class:`~randcheck.problems.ProblemReport`).

    Examples
    --------
    >>> import io
    >>> text = "执法证号,统一社会信用代码,回避事由\\nA001,91350100M000100Y43,亲属关系\\n"
    >>> load_conflicts(io.BytesIO(text.encode()))[0].reason
    '亲属关系'
    """
    source = _source_name(path)
    # csv.reader, not DictReader: a blank line is a row of the file (as Excel numbers rows),
    # so the rows named below are the ones the user sees.
    reader = csv.reader(io.StringIO(_read_text(path, encoding, sheet=sheet), newline=""))
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    names = [_CONFLICT_FIELDS.get(h) for h in header]
    for name in {n for n in names if n is not None}:
        twice = [h for h, n in zip(header, names, strict=True) if n == name]
        if len(twice) > 1:  # which would count? Two codes, one recusal silently lost
            raise RosterError(
                f"the headers {', '.join(map(repr, twice))} both name column {name!r}; keep "
                "one of them",
                source=source,
                row=1,
                column=name,
            )
    missing = {"officer_id", "credit_code"} - set(names)
    if missing:
        raise RosterError(
            f"required column missing: {', '.join(sorted(missing))}",
            source=source,
            column=sorted(missing)[0],
        )
    found = Collector(source)
    out: list[Conflict] = []
    for k, values in enumerate(reader, start=2):
        if not "".join(values):
            continue  # a blank line, or one of commas alone (",,," as Excel saves it)
        if len(values) > len(header):
            found.add(k, None, None, "more cells than the header has", "quote text with commas")
            continue
        fields = {
            name: value for name, value in zip(names, values, strict=False) if name is not None
        }
        short = [n for n in ("officer_id", "credit_code") if n not in fields]
        if short:
            found.add(k, short[0], None, "fewer cells than the header has", "fill in the row")
            continue
        code = fields.get("credit_code", "").strip()
        problem = _conflict_code_problem(code, legacy_codes) if code else None
        if problem is not None:
            found.add(k, "credit_code", code, CONFLICT_CODE_WHY, f"{problem}; {_CONFLICT_CODE_FIX}")
            continue
        try:
            out.append(Conflict(**fields))
        except (TypeError, ValueError) as exc:
            found.add(k, None, None, str(exc))
    _raise_if_any(found)
    return tuple(out)


#: The problem a conflict list's malformed credit code is reported under.
CONFLICT_CODE_WHY = "not a valid 统一社会信用代码 (GB 32100-2015)"
_CONFLICT_CODE_FIX = (
    "correct it from the declaration or the business licence: a recusal under a mistyped code "
    "is never applied (legacy_codes=True keeps a legacy code)"
)


def _conflict_code_problem(code: str, legacy_codes: bool) -> str | None:
    """What is wrong with a conflict's credit code, or ``None``; with ``legacy_codes``, only
    what no legacy code has (scientific notation, characters other than ASCII letters and
    digits, more than 18 characters)."""
    problem = credit_code_problem(code)
    if problem is None or not legacy_codes or misspelt_code(code) is not None:
        return problem
    if is_scientific(code) or len(code) > 18 or not (code.isascii() and code.isalnum()):
        return problem
    return None


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
    sheet: str | int | None = None,
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
        For every cell that is not a date and every row with the wrong number of cells, in
        one pass: the first is named (file, the row as the spreadsheet shows it, column,
        value), and the error's ``report`` (a :class:`~randcheck.problems.ProblemReport`) lists them
        all. For a ``dates`` column the file lacks; for text that is not in ``encoding``.
        ``sheet`` names the sheet of a workbook (default the first).

    Examples
    --------
    >>> import io
    >>> text = "编号,抽取日期\\nV1,2025/4/30\\nV2,2025年5月6日\\n"
    >>> load_events(io.BytesIO(text.encode("gb18030")), encoding="gb18030")["draw"]
    array(['2025-04-30', '2025-05-06'], dtype='datetime64[D]')
    """
    source = _source_name(path)
    date_headers = [*(dates or ("draw", "inspection_end", "done")), *_EVENT_FIELDS]
    reader = csv.reader(
        io.StringIO(_read_text(path, encoding, date_headers, sheet=sheet), newline="")
    )
    try:
        written = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RosterError("the file is empty (no header row)", source=source) from None
    header = [_EVENT_FIELDS.get(h, h) for h in written]
    shown = dict(zip(header, written, strict=True))
    found = Collector(source)
    rows, numbers = csv_body(reader, len(header), found)
    wanted = (
        list(dates)
        if dates is not None
        else [h for h in ("draw", "inspection_end", "done") if h in header]
    )
    if not wanted:  # nothing to read as a date: not an events file
        raise RosterError(
            "has no date column: events need draw (抽取日期), inspection_end (检查结束日期) or "
            f"done (完成日期); its headers are {', '.join(written)}",
            source=source,
            row=1,
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
                found.add(numbers[i], shown[name], v, why, "write the date as 2025-04-30")
                continue
            if d is not None:
                col[i] = np.datetime64(d, "D")
        out[name] = col
    _raise_if_any(found)
    return out
