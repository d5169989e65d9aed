"""Tables out (private): pandas and Arrow frames, and notebook previews, from tidy columns.

Every table of randcheck (directories, draws, visits, teams, results, publication records…)
can give its columns as a mapping of name to a numpy array (``to_columns``) or its rows as dicts
(``to_rows``); the functions here turn those into a :class:`pandas.DataFrame` or a
:class:`pyarrow.Table` (both optional dependencies, imported only when asked for) and into the
short HTML preview Jupyter shows (``_repr_html_``).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randcheck import _excel

#: Rows shown in a notebook preview.
PREVIEW_ROWS = 10


def columns_of_rows(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """Rows as columns (lists), in the order of ``names``."""
    return {n: [r[n] for r in rows] for n in names}


def _plain(values: Any) -> Any:
    """A column pandas and Arrow both read: numpy StringDType becomes Python strings."""
    if isinstance(values, np.ndarray) and values.dtype == np.dtypes.StringDType():
        return values.astype(object)
    return values


def frame(columns: Mapping[str, Any]) -> Any:
    """A :class:`pandas.DataFrame` of ``columns`` (needs pandas: the ``pandas`` extra)."""
    try:
        import pandas as pd  # optional: only the frame needs it
    except ImportError:  # pragma: no cover - pandas is in the test environment
        raise ImportError(
            "to_frame() needs pandas: pip install 'randcheck[pandas]'; to_columns() and "
            "to_rows() need nothing"
        ) from None
    return pd.DataFrame({k: _plain(v) for k, v in columns.items()})


def arrow(columns: Mapping[str, Any]) -> Any:
    """A :class:`pyarrow.Table` of ``columns`` (needs pyarrow)."""
    try:
        import pyarrow as pa  # optional: only this needs it
    except ImportError:  # pragma: no cover - pyarrow is in the test environment
        raise ImportError("to_arrow() needs pyarrow: pip install pyarrow") from None
    return pa.table({k: _plain(v) for k, v in columns.items()})


def excel(path: str | os.PathLike[str], columns: Mapping[str, Any]) -> None:
    """Write ``columns`` as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra).

    Dates are date cells (``NaT`` an empty cell), numbers are numbers (NaN an empty cell), text
    is text; a credit code stays text, so Excel never turns it into ``9.14105E+17``.
    """
    names = list(columns)
    cells = [_excel_cells(columns[k]) for k in names]
    _excel.write_rows(path, names, zip(*cells, strict=True) if cells else iter(()))


def _excel_cells(values: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "M":
            days = values.astype("datetime64[D]")
            return [None if np.isnat(d) else d.item() for d in days]
        if values.dtype.kind == "S":
            return [v.decode("utf-8", "replace") for v in values.tolist()]
        if values.dtype.kind == "f":
            return [None if v != v else v for v in values.tolist()]
        return list(values.tolist())
    return list(values)


def preview_html(title: str, columns: Mapping[str, Any], total: int) -> str:
    """A notebook preview: ``title`` (escaped), then the first rows as an HTML table."""
    names = list(columns)
    shown = min(total, PREVIEW_ROWS)
    head = "".join(f"<th>{html.escape(str(n))}</th>" for n in names)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(columns[n][i]))}</td>" for n in names) + "</tr>"
        for i in range(shown)
    )
    more = f"<p>… {total - shown:,} more rows</p>" if total > shown else ""
    return (
        f"<div><p><b>{html.escape(title)}</b></p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}</div>"
    )


def _cell(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)
