"""Tables out (private): pandas and Arrow frames, and notebook previews, from tidy columns.

Every table of randcheck (directories, draws, visits, teams, results, publication records…)
can give its columns as a mapping of name to a numpy array (``to_columns``) or its rows as dicts
(``to_rows``); the functions here turn those into a :class:`pandas.DataFrame` or a
:class:`pyarrow.Table` (both optional dependencies, imported only when asked for) and into the
short HTML preview Jupyter shows (``_repr_html_``), and write them as CSV (:func:`write_csv`) with
English or Chinese headers.

The Chinese headers come from one vocabulary (:func:`zh_header`): the first accepted header of
each column of the target and officer directories and of the results (``RESULT_HEADERS``), so
that a table written with ``headers="zh"`` reads back through the same loaders, and
:data:`OUTPUT_LABELS` for the columns only outputs have (入样概率, 牵头部门, 到期日 …).
"""

from __future__ import annotations

import csv
import functools
import html
import io
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from randcheck import _excel
from randcheck._files import atomic_path
from randcheck._headers import OFFICER_HEADERS, RESULT_HEADERS, TARGET_HEADERS

#: Rows shown in a notebook preview.
PREVIEW_ROWS = 10

#: Chinese headers of the columns that only outputs have (the glossary's terms).
OUTPUT_LABELS: dict[str, str] = {
    "stratum": "抽样层",
    "inclusion_probability": "入样概率",
    "weight": "设计权数",
    "items": "抽查事项",
    "departments": "检查部门",
    "lead_department": "牵头部门",
    "team_size": "检查人数",
    "role": "角色",
    "reason": "回避事由",
    "probability": "匹配概率",
    "item_name": "事项名称",
    "due": "到期日",
    "provisional": "暂定",
    "figure": "指标",
    "by": "分组方式",
    "group": "分组",
    "numerator": "分子",
    "denominator": "分母",
    "value": "数值",
    "goal": "目标值",
    "below_goal": "低于目标",
}

#: Header languages of :func:`write_csv`.
HEADER_LANGUAGES = ("en", "zh")


@functools.cache
def _zh_vocabulary() -> dict[str, str]:
    out = dict(OUTPUT_LABELS)
    # A target's name (企业名称) wins over an officer's, a result's department over both.
    for vocabulary in (OFFICER_HEADERS, TARGET_HEADERS, RESULT_HEADERS):
        for name, aliases in vocabulary.items():
            out[name] = aliases[0]
    return out


def zh_header(name: str, overrides: Mapping[str, str] | None = None) -> str:
    """The Chinese header of column ``name`` (``name`` itself when there is none)."""
    if overrides and name in overrides:
        return overrides[name]
    return _zh_vocabulary().get(name, name)


def check_headers(headers: str) -> None:
    if headers not in HEADER_LANGUAGES:
        raise ValueError(f"headers must be 'en' or 'zh', got {headers!r}")


def header_row(
    names: Sequence[str], headers: str, overrides: Mapping[str, str] | None = None
) -> list[str]:
    """``names`` as written with ``headers="en"`` (as they are) or ``"zh"`` (Chinese)."""
    check_headers(headers)
    return list(names) if headers == "en" else [zh_header(n, overrides) for n in names]


def write_csv(
    path: str | os.PathLike[str],
    columns: Mapping[str, Any],
    *,
    encoding: str = "utf-8",
    headers: str = "en",
    zh: Mapping[str, str] | None = None,
) -> None:
    """Write ``columns`` as CSV, whole or not at all.

    Dates as ``YYYY-MM-DD`` (empty for ``NaT``), lists joined by ``;``, other values as
    ``str`` gives them. ``encoding="utf-8-sig"`` writes a BOM (Excel then shows Chinese text
    without asking); ``"gb18030"`` suits county systems that want GBK. ``headers="zh"`` writes
    Chinese headers (:func:`zh_header`, with ``zh`` overriding for this table).
    """
    with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
        _write_rows(fh, columns, headers, zh)


def csv_text(
    columns: Mapping[str, Any], *, headers: str = "en", zh: Mapping[str, str] | None = None
) -> str:
    """:func:`write_csv`'s text, for a file written with others (an archive's)."""
    out = io.StringIO(newline="")
    _write_rows(out, columns, headers, zh)
    return out.getvalue()


def _write_rows(
    fh: Any, columns: Mapping[str, Any], headers: str, zh: Mapping[str, str] | None
) -> None:
    names = list(columns)
    text = [_csv_cells(columns[n]) for n in names]
    writer = csv.writer(fh)
    writer.writerow(header_row(names, headers, zh))
    writer.writerows(zip(*text, strict=True) if text else ())


def _csv_cells(values: Any) -> list[str]:
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        days = np.datetime_as_string(values.astype("datetime64[D]")).tolist()
        return ["" if d == "NaT" else d for d in days]
    if isinstance(values, np.ndarray) and values.dtype.kind == "S":
        return [v.decode("utf-8", "replace") for v in values.tolist()]
    seq = values.tolist() if isinstance(values, np.ndarray) else list(values)
    return [
        ""
        if v is None or (isinstance(v, float) and v != v)  # None and NaN: an empty cell
        else ";".join(map(str, v))
        if isinstance(v, (list, tuple))
        else str(v)
        for v in seq
    ]


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


def excel(
    path: str | os.PathLike[str],
    columns: Mapping[str, Any],
    *,
    headers: str = "en",
    zh: Mapping[str, str] | None = None,
) -> None:
    """Write ``columns`` as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra).

    Dates are date cells (``NaT`` an empty cell), numbers are numbers (NaN an empty cell), text
    is text; a credit code stays text, so Excel never turns it into ``9.14105E+17``.
    ``headers="zh"`` writes Chinese headers, as :func:`write_csv` does.
    """
    names = list(columns)
    head = header_row(names, headers, zh)
    cells = [_excel_cells(columns[k]) for k in names]
    _excel.write_rows(path, head, zip(*cells, strict=True) if cells else iter(()))


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
