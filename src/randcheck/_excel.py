"""Excel workbooks in and out (private; the ``excel`` extra: python-calamine and openpyxl).

Reading turns a sheet into the CSV text the CSV readers already parse, so an ``.xlsx`` file goes
through the same column mappings, checks and problem reports as a CSV file, with the same row
numbers as Excel shows (the header in row 1). Cells become text as a county export would write
them: whole numbers without ``.0`` (an area code 130634), dates and date-times as ``YYYY-MM-DD``,
and a long number as Excel shows it (``9.14105E+17``: a credit code that Excel turned into a
number, which the loaders refuse). In a date column, a number is read as an Excel serial day.

python-calamine reads (it is several times faster than openpyxl on large sheets); openpyxl
writes.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import os
import pathlib
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from randcheck._dates import from_excel_serial
from randcheck._files import atomic_path

_EXTRA = "reading and writing .xlsx needs the excel extra: pip install 'randcheck[excel]'"
#: Below this a whole number is exact in a float and is written without a decimal point.
_EXACT = 10**15


def is_excel(path: Any) -> bool:
    """Whether ``path`` names an Excel workbook (by its suffix)."""
    if not isinstance(path, (str, os.PathLike)):
        return False
    return pathlib.Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls")


def cell_text(value: Any) -> str:
    """A cell as a county CSV export would write it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT:
            return str(int(value))
        return f"{value:.6G}" if abs(value) >= _EXACT else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    return str(value)


def read_sheet(
    path: str | os.PathLike[str],
    sheet: str | int | None,
    fail: Callable[[str], Exception],
) -> list[list[Any]]:
    """The sheet's cells, row by row, from the first row Excel shows (blank rows kept)."""
    try:
        from python_calamine import CalamineWorkbook  # the excel extra
    except ImportError:  # pragma: no cover - the extra is installed in the test environment
        raise ImportError(_EXTRA) from None
    try:
        book = CalamineWorkbook.from_path(os.fspath(path))
    except OSError as exc:
        raise fail(f"cannot open the file: {exc.strerror or exc}") from None
    except Exception as exc:  # calamine raises its own types for a file that is not a workbook
        raise fail(f"is not an Excel workbook ({exc})") from None
    try:
        found = (
            book.get_sheet_by_name(sheet)
            if isinstance(sheet, str)
            else book.get_sheet_by_index(sheet or 0)
        )
    except Exception:
        raise fail(
            f"has no sheet {sheet!r}; its sheets are {', '.join(book.sheet_names)}"
        ) from None
    rows: list[list[Any]] = found.to_python(skip_empty_area=False)
    start = found.start
    if start is not None and start[0] > 0:
        raise fail(
            f"the sheet starts in row {start[0] + 1}: put the header in row 1 (delete the title "
            "rows above it), so that row numbers are the ones Excel shows"
        )
    if start is not None and start[1] > 0:
        rows = [[""] * start[1] + r for r in rows]
    _fill_merged(rows, getattr(found, "merged_cell_ranges", None) or ())
    return rows


def _fill_merged(rows: list[list[Any]], ranges: Any) -> None:
    """Give every cell of a merged range its top-left cell's value, as Excel shows it.

    A file stores a merged range's value in its first cell only: a unit (所属单位) or industry
    merged down a block would otherwise read as empty in every row but the first.
    """
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                row[c] = value


def sheet_as_csv(
    path: str | os.PathLike[str],
    sheet: str | int | None,
    fail: Callable[[str], Exception],
    *,
    date_columns: Collection[str] = (),
) -> str:
    """The sheet as CSV text (header first); cells in ``date_columns`` that are numbers are
    Excel serial days."""
    rows = read_sheet(path, sheet, fail)
    if not rows:
        raise fail("the sheet is empty (no header row)")
    header = [cell_text(h).strip() for h in rows[0]]
    while header and not header[-1]:  # empty columns right of the table
        header.pop()
    width = len(header)
    dates = [j for j, h in enumerate(header) if h in date_columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows[1:]:
        cells = list(row)
        while len(cells) > width and cells[-1] in ("", None):  # empty cells right of the table
            cells.pop()
        # A filled cell right of the last header is kept, so the loader reports the row (as it
        # does for a CSV line with too many cells) instead of the value vanishing unseen.
        cells += [""] * (width - len(cells))
        for j in dates:
            v = cells[j]
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                # Out of range: left as a number, which the loader names as not a date.
                with contextlib.suppress(ValueError):
                    cells[j] = from_excel_serial(float(v))
        if any(c not in ("", None) for c in cells):
            writer.writerow([cell_text(c) for c in cells])
        else:
            out.write("\n")  # a blank row: kept, so that later rows keep Excel's numbers
    return out.getvalue()


def write_rows(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Write one sheet: ``header`` in bold, then ``rows`` (text, numbers and dates as cells).

    Written to a temporary file first and moved into place (:func:`~randcheck._files.atomic_path`),
    so a failure never leaves half a workbook.
    """
    try:
        from openpyxl import Workbook  # type: ignore[import-untyped]  # the excel extra
        from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
        from openpyxl.styles import Font  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - the extra is installed in the test environment
        raise ImportError(_EXTRA) from None
    book = Workbook(write_only=True)
    ws = book.create_sheet()
    bold = Font(bold=True)
    head = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        ws.append([_cell_value(v) for v in row])
    with atomic_path(path) as tmp:
        book.save(tmp)


def _cell_value(v: Any) -> Any:
    if v is None or isinstance(v, (str, int, float, dt.date)):
        return v
    item = getattr(v, "item", None)  # numpy scalars
    if callable(item):
        return _cell_value(item())
    return str(v)
