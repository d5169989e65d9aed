"""Inspection results: :class:`InspectionResult` (one, a frozen value) and :class:`ResultTable`.

A :class:`ResultTable` holds many results as numpy columns (10⁶ results are a few arrays, not 10⁶
objects). It is loaded from and written to CSV and JSON, checked as a whole (every problem named
by row, column and value; rows as the user sees them: in a CSV file the header is row 1, so the
first result is row 2; in a JSON array the first record is record 1; in columns the first value
is row 1), and checked against the draw or batch it comes from (:meth:`ResultTable.check_draw`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _excel, _tables, _textio
from randcheck._dates import DATE_FORMS, to_optional_date
from randcheck._headers import RESULT_HEADERS
from randcheck.errors import ResultError
from randcheck.joint import Batch
from randcheck.problems import MAX_PROBLEMS, Collector, csv_body
from randcheck.results.vocabulary import (
    CAT_ALIAS,
    CAT_BIT,
    DATE_FIELDS,
    FINDING_CATEGORIES,
    FOLLOW_BIT,
    FOLLOW_UPS,
    HEADER_ALIAS,
    LABEL_FIELDS,
    LIST_FIELDS,
    METHOD_BIT,
    METHODS,
    NO_FOLLOW_UP,
    PENDING,
    REQUIRED_FIELDS,
    RESULT_CATEGORIES,
    RESULT_FIELDS,
    TOP_CATEGORIES,
    cat_bits,
    labels_of,
    set_bits,
    split_cell,
)

if TYPE_CHECKING:
    from randcheck.sampling import Draw

__all__ = ["InspectionResult", "ResultTable"]

STRING = np.dtypes.StringDType()
NAT = np.datetime64("NaT", "D")


def _list_value(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return split_cell(value)
    return [str(v).strip() for v in value if str(v).strip()]


def _to_tuple(value: Any) -> tuple[str, ...]:
    return tuple(_list_value(value))


def _result_error(field: str, value: Any, reason: str) -> ResultError:
    return ResultError(f"field {field!r}, value {value!r}: {reason}")


def _date_field(name: str) -> Callable[[Any], dt.date | None]:
    def convert(value: Any) -> dt.date | None:
        try:
            return to_optional_date(value, field=name)
        except ValueError:
            raise _result_error(name, value, "not a date (expected YYYY-MM-DD)") from None

    return convert


def _stripped(value: Any) -> str:
    return str(value).strip()


def _entered(value: Any) -> dt.date | None:
    return _date_field("entered_on")(value)


def _published(value: Any) -> dt.date | None:
    return _date_field("published_on")(value)


def _closed(value: Any) -> dt.date | None:
    return _date_field("closed_on")(value)


def _required_date(value: Any) -> dt.date:
    d = _date_field("inspection_end")(value)
    if d is None:
        raise _result_error("inspection_end", value, "the date the inspection ended is required")
    return d


# ----------------------------------------------------------------------------- one result
@attrs.frozen
class InspectionResult:
    """One inspection result (检查结果): what a visit found for one item at one target.

    Parameters
    ----------
    result_id : str
        The result's id, unique in a table (default ``"<credit_code>/<item>"``).
    credit_code : str
        The target's 统一社会信用代码.
    item : str
        The inspection item's code (检查事项).
    department : str
        The inspecting department (检查实施机关).
    task : str
        The inspection task or batch (抽查任务), e.g. ``"2023年第1批"``.
    methods : tuple of str
        Inspection methods (核查方式) from :data:`METHODS`; default ``("实地",)``.
    categories : tuple of str
        Result categories from :data:`RESULT_CATEGORIES` (see the module docstring); a
        ``;``-separated string is split, a sub-kind alone implies its parent.
    followups : tuple of str
        Follow-up actions (后续处置) from :data:`FOLLOW_UPS`; empty when none is recorded yet.
    inspectors : tuple of str
        Officer ids of who inspected (the first one leads: 主办).
    inspection_end : datetime.date
        When the inspection ended (检查完成日期).
    entered_by : str
        Who entered the result (录入人).
    entered_on, published_on, closed_on : datetime.date or None
        When the result was entered (录入日期), published (公示日期), and its follow-up closed
        (办结日期).

    Raises
    ------
    ResultError
        An unknown category, method or follow-up; a date that is not a date; an entry,
        publication or closing date before the end of the inspection; a publication before
        the entry; a result 发现问题待后续处理 with follow-up 无需后续处置.

    Examples
    --------
    >>> from randcheck.results import InspectionResult
    >>> r = InspectionResult(credit_code="91130634MA00000001", item="SW-02",
    ...                      categories="未按规定公示应当公示的信息", followups="责令改正",
    ...                      inspection_end="2023-05-10", published_on="2023-05-20")
    >>> r.categories
    ('发现问题待后续处理', '发现问题待后续处理/未按规定公示应当公示的信息')
    >>> r.result_id, r.has_finding
    ('91130634MA00000001/SW-02', True)
    """

    credit_code: str = attrs.field(converter=_stripped)
    item: str = attrs.field(converter=_stripped)
    categories: tuple[str, ...] = attrs.field(converter=_to_tuple)
    inspection_end: dt.date = attrs.field(converter=_required_date)
    result_id: str = attrs.field(default="", converter=_stripped)
    department: str = ""
    task: str = ""
    methods: tuple[str, ...] = attrs.field(default=("实地",), converter=_to_tuple)
    followups: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)
    inspectors: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)
    entered_by: str = ""
    entered_on: dt.date | None = attrs.field(default=None, converter=_entered)
    published_on: dt.date | None = attrs.field(default=None, converter=_published)
    closed_on: dt.date | None = attrs.field(default=None, converter=_closed)

    def __attrs_post_init__(self) -> None:
        if not self.credit_code:
            raise _result_error("credit_code", self.credit_code, "the target's code is required")
        if not self.item:
            raise _result_error("item", self.item, "the item's code is required")
        if not self.result_id:
            object.__setattr__(self, "result_id", f"{self.credit_code}/{self.item}")
        try:
            cats = labels_of(cat_bits(self.categories), RESULT_CATEGORIES)
            meths = labels_of(set_bits(self.methods, METHOD_BIT, "method", empty=False), METHODS)
            fbits = set_bits(self.followups, FOLLOW_BIT, "follow-up", empty=True)
        except ValueError as exc:
            field = (
                "categories"
                if "categor" in str(exc) or "sub-kind" in str(exc)
                else ("methods" if "method" in str(exc) else "followups")
            )
            raise _result_error(field, ";".join(getattr(self, field)), str(exc)) from None
        object.__setattr__(self, "categories", cats)
        object.__setattr__(self, "methods", meths)
        object.__setattr__(self, "followups", labels_of(fbits, FOLLOW_UPS))
        problem = _order_problem(
            self.inspection_end, self.entered_on, self.published_on, self.closed_on
        )
        if problem is not None:
            field, reason = problem
            raise _result_error(field, str(getattr(self, field)), reason)
        if PENDING in cats and fbits == FOLLOW_BIT[NO_FOLLOW_UP]:
            raise _result_error(
                "followups", NO_FOLLOW_UP, f"a result {PENDING} needs a follow-up action"
            )

    @property
    def top_category(self) -> str:
        """The top-level category."""
        return next(c for c in self.categories if "/" not in c)

    @property
    def has_finding(self) -> bool:
        """Whether the category is a finding by :data:`FINDING_CATEGORIES`."""
        return self.top_category in FINDING_CATEGORIES

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: lists for list fields, ISO dates or ``None``."""
        d: dict[str, Any] = {}
        for name in RESULT_FIELDS:
            v = getattr(self, name)
            if isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, dt.date):
                v = v.isoformat()
            d[name] = v
        return d


def _order_problem(end: Any, entered: Any, published: Any, closed: Any) -> tuple[str, str] | None:
    for name, day in (("entered_on", entered), ("published_on", published), ("closed_on", closed)):
        if day is not None and day < end:
            what = {"entered_on": "entered", "published_on": "published", "closed_on": "closed"}
            return name, (f"the result cannot be {what[name]} before the inspection ended ({end})")
    if published is not None and entered is not None and published < entered:
        return "published_on", f"the result cannot be published before it was entered ({entered})"
    return None


# ----------------------------------------------------------------------------- the table
@attrs.frozen
class _Where:
    """How to name a row in an error: source name, first row's number and the noun."""

    source: str | None = None
    noun: str = "row"

    def __call__(self, number: int, column: str | None = None, value: Any = None) -> str:
        parts = [] if self.source is None else [self.source]
        parts.append(f"{self.noun} {number}")
        if column is not None:
            parts.append(f"column {column!r}")
            parts.append(f"value {value!r}")
        return ", ".join(parts)


def _as_strings(values: Any, n: int | None = None) -> npt.NDArray[Any]:
    if isinstance(values, np.ndarray) and values.dtype == STRING:
        return values
    if isinstance(values, np.ndarray) and values.dtype.kind == "S":
        return np.asarray(np.strings.decode(values, "utf-8")).astype(STRING)
    if isinstance(values, np.ndarray) and values.dtype.kind == "U":
        return values.astype(STRING)
    seq = list(values)
    out = np.array(
        ["" if v is None or (isinstance(v, float) and v != v) else _cell(v) for v in seq],
        dtype=STRING,
    )
    return out


def _cell(v: Any) -> str:
    if isinstance(v, str):
        return v.strip()
    if isinstance(v, list | tuple | set | frozenset):
        return ";".join(str(x).strip() for x in v)
    return str(v).strip()


def unique(arr: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp]]:
    if arr.shape[0] == 0:
        return arr, np.zeros(0, dtype=np.intp)
    uniq, inv = np.unique(arr, return_inverse=True)
    return uniq, inv.astype(np.intp)


def _categorical(arr: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int32], tuple[str, ...]]:
    uniq, inv = unique(arr)
    return inv.astype(np.int32), tuple(str(u) for u in uniq.tolist())


def _by_field(
    columns: Mapping[str, Any], found: Collector, where: _Where
) -> tuple[dict[str, Any], dict[str, str]]:
    """The columns by field name (Chinese headers read), and each field's header as written.

    A column given twice or unknown is a problem (the column is left out); a missing required
    column raises at once, with every problem found so far.
    """
    renamed: dict[str, Any] = {}
    shown: dict[str, str] = {}  # canonical name -> the header as the input writes it
    for key, values in columns.items():
        name = HEADER_ALIAS.get(str(key).strip(), str(key).strip())
        if name in renamed:
            found.add(
                None,
                str(key),
                None,
                f"column {name!r} is given twice (as {shown[name]!r} and {key!r})",
                "delete one of the two columns",
            )
            continue
        renamed[name] = values
        shown[name] = str(key).strip()
    unknown = sorted(set(renamed) - set(RESULT_FIELDS))
    for name in unknown:
        found.add(
            None,
            shown[name],
            None,
            f"unknown column(s) {name}; allowed: {', '.join(RESULT_FIELDS)}",
            "rename it to one of the allowed columns or their Chinese headers "
            "(RESULT_HEADERS), or delete it",
        )
        del renamed[name]
    missing = [c for c in REQUIRED_FIELDS if c not in renamed]
    if missing:
        found.add(
            None,
            ", ".join(missing),
            None,
            f"missing required column(s) {', '.join(missing)}",
            "add the column (Chinese headers: "
            + "; ".join(f"{c}: {RESULT_HEADERS[c][0]}" for c in missing)
            + ")",
        )
        raise _problems(found, where)
    return renamed, shown


def _string_columns(
    columns: Mapping[str, Any], n: int, source: str | None
) -> dict[str, npt.NDArray[Any]]:
    """The text columns as string arrays; every column (dates too) must have ``n`` values."""
    prefix = f"{source}: " if source else ""
    cols: dict[str, npt.NDArray[Any]] = {}
    for name in RESULT_FIELDS:
        if name in columns and name not in DATE_FIELDS:
            arr = _as_strings(columns[name])
            if arr.shape[0] != n:
                raise ResultError(
                    f"{prefix}column {name!r} has {arr.shape[0]} values, column "
                    f"'credit_code' has {n}"
                )
            cols[name] = arr
    for name in DATE_FIELDS:
        if name in columns and len(columns[name]) != n:
            raise ResultError(
                f"{prefix}column {name!r} has {len(columns[name])} values, expected {n}"
            )
    return cols


#: Why a value with a tab or a line break is refused (the directories say it alike).
_CONTROL_WHY = "tab, newline and carriage return are not allowed in a value"


def _refuse_control(
    cols: Mapping[str, npt.NDArray[Any]],
    numbers: npt.NDArray[np.int64],
    shown: Mapping[str, str],
    found: Collector,
) -> None:
    """Refuse tab, newline, carriage return and NUL in any text value, as the directories do.

    The revisit recipes write ids and labels into their digests one per line, tab-separated:
    a value holding a tab or a line break could make two results read as one (and the frame
    verify against a commitment made for another).
    """
    for name, col in cols.items():
        bad = np.zeros(col.shape[0], dtype=bool)
        for ch in ("\t", "\n", "\r"):  # (numpy's find reports NUL everywhere: files refuse it)
            bad |= np.strings.find(col, ch) >= 0
        for i in np.flatnonzero(bad).tolist():
            found.add(
                int(numbers[i]),
                shown.get(name, name),
                str(col[i]),
                _CONTROL_WHY,
                "retype the value on one line, without tabs",
            )


@attrs.define(eq=False)
class _Builder:
    """One check of a table's columns: reads each kind of column and collects its problems.

    ``fail`` records a problem for some rows (numbered as the user's file numbers them); the
    caller raises every problem together once all columns are read.
    """

    found: Collector
    numbers: npt.NDArray[np.int64]  # the user's row number of each row
    shown: dict[str, str]  # field -> the header as the input writes it
    columns: Mapping[str, Any]  # by field name, as given
    cols: dict[str, npt.NDArray[Any]]  # the text columns, as string arrays
    n: int

    def fail(
        self, rows: npt.NDArray[np.intp], column: str, values: Any, why: str, fix: Any
    ) -> None:
        self.found.add_rows(self.numbers[rows], self.shown.get(column, column), values, why, fix)

    def credit_codes(self) -> tuple[npt.NDArray[Any], npt.NDArray[np.bytes_]]:
        """The codes as given, and as ``S18``: non-empty ASCII, at most 18 characters."""
        codes = self.cols["credit_code"]
        raw = np.asarray(np.strings.encode(codes, "ascii", "replace"))
        ok = np.strings.isalnum(raw) & (np.strings.str_len(raw) <= 18)
        if not ok.all():
            bad = np.flatnonzero(~ok)
            self.fail(
                bad,
                "credit_code",
                codes[bad[:MAX_PROBLEMS]].tolist(),
                "expected the target's 18-character credit code",
                "write the 统一社会信用代码 as text (18 letters and digits, no spaces)",
            )
        return codes, raw.astype("S18")

    def labels(self) -> dict[str, tuple[npt.NDArray[np.int32], tuple[str, ...]]]:
        """Item, department, task and entered_by as (codes, labels); the item is required."""
        labels: dict[str, tuple[npt.NDArray[np.int32], tuple[str, ...]]] = {}
        for name in LABEL_FIELDS:
            arr = self.cols.get(name, np.full(self.n, "", dtype=STRING))
            labels[name] = _categorical(arr)
        if "" in labels["item"][1]:
            bad = np.flatnonzero(labels["item"][0] == labels["item"][1].index(""))
            self.fail(
                bad, "item", [""] * bad.size, "the item's code is required", "fill in 抽查事项"
            )
        return labels

    def bits(self, name: str, parse: Any, dtype: Any, default: str, fix: str) -> npt.NDArray[Any]:
        """A ``;``-list column as bit sets, each distinct cell parsed once."""
        arr = self.cols.get(name, np.full(self.n, default, dtype=STRING))
        uniq, inv = unique(arr)
        table = np.zeros(uniq.shape[0], dtype=dtype)
        for k, u in enumerate(uniq.tolist()):
            try:
                table[k] = parse(split_cell(u))
            except ValueError as exc:
                bad = np.flatnonzero(inv == k)
                self.fail(bad, name, [u] * bad.size, str(exc), fix)
        return table[inv] if self.n else np.zeros(0, dtype=dtype)

    def bit_columns(self) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
        """Categories, methods and follow-ups as bit sets."""
        cats = self.bits(
            "categories",
            cat_bits,
            np.uint16,
            "",
            "use the result categories of the 一公开 vocabulary (RESULT_CATEGORIES), ';' between",
        )
        meths = self.bits(
            "methods",
            lambda p: set_bits(p, METHOD_BIT, "method", empty=False),
            np.uint8,
            "实地",
            f"use {', '.join(METHODS)}, ';' between",
        )
        follow = self.bits(
            "followups",
            lambda p: set_bits(p, FOLLOW_BIT, "follow-up", empty=True),
            np.uint8,
            "",
            f"use {', '.join(FOLLOW_UPS)}, ';' between",
        )
        return cats, meths, follow

    def dates(self) -> dict[str, npt.NDArray[np.datetime64]]:
        """The four date columns (NaT where empty or absent); the inspection's end is required."""
        dates: dict[str, npt.NDArray[np.datetime64]] = {}
        unread = np.zeros(self.n, dtype=bool)
        for name in DATE_FIELDS:
            if name in self.columns:
                dates[name], bad_rows = _dates(self.columns[name], name, self.n)
                if bad_rows.size:
                    self.fail(
                        bad_rows,
                        name,
                        _date_texts(self.columns[name], bad_rows[:MAX_PROBLEMS]),
                        f"not a date (expected {DATE_FORMS})",
                        "write the date as 2025-09-28 (or leave the cell empty if there is none)",
                    )
                    if name == "inspection_end":
                        unread[bad_rows] = True
            else:
                dates[name] = np.full(self.n, NAT)
        end = dates["inspection_end"]
        bad = np.flatnonzero(np.isnat(end) & ~unread)
        if bad.size:
            self.fail(
                bad,
                "inspection_end",
                [""] * bad.size,
                "the date the inspection ended is required",
                "fill in 检查结束日期",
            )
        return dates

    def order_checks(
        self,
        dates: Mapping[str, npt.NDArray[np.datetime64]],
        cats: npt.NDArray[Any],
        follow: npt.NDArray[Any],
    ) -> None:
        """Dates in order (ended ≤ entered ≤ published; ended ≤ closed); a pending result's
        follow-up named."""
        end = dates["inspection_end"]
        what = {"entered_on": "entered", "published_on": "published", "closed_on": "closed"}
        for name in ("entered_on", "published_on", "closed_on"):
            bad = np.flatnonzero(dates[name] < end)
            if bad.size:
                self.fail(
                    bad,
                    name,
                    [str(d) for d in dates[name][bad[:MAX_PROBLEMS]]],
                    f"the result cannot be {what[name]} before the inspection ended",
                    [
                        f"the inspection ended on {d}: correct this date or 检查结束日期"
                        for d in end[bad[:MAX_PROBLEMS]].tolist()
                    ],
                )
        bad = np.flatnonzero(dates["published_on"] < dates["entered_on"])
        if bad.size:
            self.fail(
                bad,
                "published_on",
                [str(d) for d in dates["published_on"][bad[:MAX_PROBLEMS]]],
                "the result cannot be published before it was entered",
                [
                    f"it was entered on {d}: correct this date or 录入日期"
                    for d in dates["entered_on"][bad[:MAX_PROBLEMS]].tolist()
                ],
            )
        bad = np.flatnonzero(
            ((cats & CAT_BIT[PENDING]) != 0) & (follow == FOLLOW_BIT[NO_FOLLOW_UP])
        )
        if bad.size:
            self.fail(
                bad,
                "followups",
                [NO_FOLLOW_UP] * bad.size,
                f"a result {PENDING} needs a follow-up action",
                f"name the follow-up: {', '.join(f for f in FOLLOW_UPS if f != NO_FOLLOW_UP)}",
            )

    def ids(
        self,
        codes: npt.NDArray[Any],
        labels: Mapping[str, tuple[npt.NDArray[np.int32], tuple[str, ...]]],
        noun: str,
    ) -> npt.NDArray[Any]:
        """The result ids (``credit_code/item`` when the column is absent), each used once."""
        if "result_id" in self.cols:
            rid = self.cols["result_id"]
            empty = np.flatnonzero(rid == "")
            if empty.size:
                self.fail(empty, "result_id", [""] * empty.size, "every result needs an id", "")
        else:
            item_lab = np.array(labels["item"][1] or ("",), dtype=STRING)[labels["item"][0]]
            rid = np.strings.add(np.strings.add(codes, "/"), item_lab) if self.n else codes
        twice, first = _repeated(rid)
        if twice.size:
            head = twice[:MAX_PROBLEMS]
            self.fail(
                twice,
                "result_id",
                rid[head].tolist(),
                "the id is used twice",
                [
                    f"also in {noun} {self.numbers[j]}; give each result its own id (结果编号)"
                    for j in first[: head.size].tolist()
                ],
            )
        return rid


@attrs.frozen(eq=False)
class ResultTable:
    """Inspection results as columns: one row per result (10⁶ rows are a few numpy arrays).

    Build one with :meth:`from_columns`, :meth:`from_results`, :meth:`from_csv` or
    :meth:`from_json`; each validates every row and either returns a complete table or raises
    :class:`~randcheck.errors.ResultError` naming the first bad row (the caller's data is never
    changed). Index or iterate to get :class:`InspectionResult` values.

    Attributes
    ----------
    result_id : numpy string array
        Unique ids.
    credit_code : numpy array of ``S18``
        The targets' codes.
    item_codes, item_labels : int32 codes and their labels
        The item of each result (``item`` gives the labels per row); likewise ``department``,
        ``task`` and ``entered_by``.
    methods, categories, followups : numpy arrays of bit masks
        Bit ``i`` set when the ``i``-th entry of :data:`METHODS`, :data:`RESULT_CATEGORIES`
        or :data:`FOLLOW_UPS` applies.
    inspectors : numpy string array
        Officer ids joined by ``;`` (the first leads).
    inspection_end, entered_on, published_on, closed_on : ``datetime64[D]``
        ``NaT`` where there is no date.
    row_number : numpy int array
        Each row's number in the file or columns it was read from (for error messages).
    source : str or None
        Where the rows came from (a file name), for error messages.
    """

    result_id: npt.NDArray[Any]
    credit_code: npt.NDArray[np.bytes_]
    labels: Mapping[str, tuple[npt.NDArray[np.int32], tuple[str, ...]]]
    methods: npt.NDArray[np.uint8]
    categories: npt.NDArray[np.uint16]
    followups: npt.NDArray[np.uint8]
    inspectors: npt.NDArray[Any]
    inspection_end: npt.NDArray[np.datetime64]
    entered_on: npt.NDArray[np.datetime64]
    published_on: npt.NDArray[np.datetime64]
    closed_on: npt.NDArray[np.datetime64]
    row_number: npt.NDArray[np.int64]
    source: str | None = None
    noun: str = "row"

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Any],
        *,
        source: str | None = None,
        first_row: int = 1,
        noun: str = "row",
    ) -> ResultTable:
        """Build a table from columns by name (lists, numpy arrays, pandas Series…).

        Required columns: ``credit_code``, ``item``, ``categories``, ``inspection_end``; the
        others (see :class:`InspectionResult`) are optional. Each may also be named by one of
        its Chinese headers (:data:`RESULT_HEADERS`: 统一社会信用代码, 抽查事项, 检查结果,
        检查结束日期, 公示日期 …). Dates may be written as county exports write them
        (2025-09-28, 2025/9/28, 2025.9.28, 2025年9月28日, 20250928). List columns hold
        ``;``-separated strings or lists. ``first_row`` is the number of the first row in
        errors (2 for a CSV file with a header).

        Raises
        ------
        ResultError
            After checking every row: a missing required column or value, an unknown column,
            category, method or follow-up, a date that is not a date, an entry, publication or
            closing date before the inspection ended, a publication before the entry, a
            repeated ``result_id``. The message names the row, column and value of the first
            problem and counts them all per kind; the error's ``report`` (a
            :class:`~randcheck.problems.ProblemReport`) lists each one with a suggested fix. A
            missing required column stops the check at once (its rows cannot be read).

        Examples
        --------
        >>> from randcheck.results import ResultTable
        >>> t = ResultTable.from_columns({
        ...     "credit_code": ["91130634MA00000001", "91130634MA00000014"],
        ...     "item": ["SW-02", "SW-02"], "categories": ["未发现问题", "违反其他相关规定"],
        ...     "followups": ["无需后续处置", "责令改正"],
        ...     "inspection_end": ["2023-05-10", "2023-05-11"]})
        >>> len(t), t.has_finding().tolist()
        (2, [False, True])
        """
        return cls._build(columns, source=source, first_row=first_row, noun=noun)

    @classmethod
    def _build(
        cls,
        columns: Mapping[str, Any],
        *,
        source: str | None,
        first_row: int = 1,
        noun: str = "row",
        numbers: npt.NDArray[np.int64] | None = None,
        found: Collector | None = None,
    ) -> ResultTable:
        """:meth:`from_columns`, with the file's row numbers and the problems a reader found."""
        where = _Where(source, noun)
        found = found if found is not None else Collector(source)
        columns, shown = _by_field(columns, found, where)
        n = len(columns["credit_code"])
        cols = _string_columns(columns, n, source)
        if numbers is None:
            numbers = first_row + np.arange(n, dtype=np.int64)
        _refuse_control(cols, numbers, shown, found)
        build = _Builder(found, numbers, shown, columns, cols, n)
        codes, credit = build.credit_codes()
        labels = build.labels()
        cats, meths, follow = build.bit_columns()
        dates = build.dates()
        build.order_checks(dates, cats, follow)
        rid = build.ids(codes, labels, noun)
        if found:
            raise _problems(found, where)
        inspectors = cols.get("inspectors", np.full(n, "", dtype=STRING))
        if "inspectors" in cols:
            inspectors = _normalise_lists(inspectors)
        return cls(
            result_id=rid,
            credit_code=credit,
            labels=labels,
            methods=meths,
            categories=cats,
            followups=follow,
            inspectors=inspectors,
            inspection_end=dates["inspection_end"],
            entered_on=dates["entered_on"],
            published_on=dates["published_on"],
            closed_on=dates["closed_on"],
            row_number=numbers,
            source=source,
            noun=noun,
        )

    @classmethod
    def from_results(cls, results: Iterable[InspectionResult]) -> ResultTable:
        """Build a table from :class:`InspectionResult` values (row numbers count from 1)."""
        rows = [r.to_dict() for r in results]
        return cls.from_columns({f: [r[f] for r in rows] for f in RESULT_FIELDS})

    @classmethod
    def from_csv(
        cls, path: str | os.PathLike[str] | io.TextIOBase, *, encoding: str = "utf-8-sig"
    ) -> ResultTable:
        """Read a CSV file with a header row (column names as in :class:`InspectionResult`,
        or their Chinese headers, :data:`RESULT_HEADERS`).

        List cells are ``;``-separated; dates as county exports write them (empty for none).
        Errors name the file and the row, counting the header as row 1. ``encoding`` defaults to
        UTF-8 with or without a BOM (a BOM decides); pass ``"gb18030"`` for a GBK file.

        Raises
        ------
        ResultError
            A bad row (see :meth:`from_columns`), a row with too many or too few cells, or an
            unreadable file (a UTF-8 failure suggests ``encoding='gb18030'``).
        """
        if isinstance(path, io.TextIOBase):
            name = getattr(path, "name", None)
            source = str(name) if isinstance(name, str) else "CSV"
            return cls._from_reader(path, source)
        source = os.fspath(path)
        raw = _textio.read_bytes(path, lambda message: ResultError(f"{source}: {message}"))
        text = _textio.decode(
            raw,
            encoding,
            lambda message, row: ResultError(
                f"{source}{f', row {row}' if row else ''}: cannot read the file: {message}"
            ),
        )
        return cls._from_reader(io.StringIO(text, newline=""), os.path.basename(source))

    @classmethod
    def from_excel(
        cls, path: str | os.PathLike[str], *, sheet: str | int | None = None
    ) -> ResultTable:
        """Read a sheet of an Excel workbook (``.xlsx``; needs the ``excel`` extra).

        As :meth:`from_csv`, with the row numbers Excel shows; date cells, date-times and Excel
        serial days in the date columns are dates.
        """
        source = os.fspath(path)
        dates = {a for f in DATE_FIELDS for a in (f, *RESULT_HEADERS[f])}
        text = _excel.sheet_as_csv(
            path, sheet, lambda message: ResultError(f"{source}: {message}"), date_columns=dates
        )
        return cls._from_reader(io.StringIO(text, newline=""), os.path.basename(source))

    @classmethod
    def _from_reader(cls, fh: Any, source: str) -> ResultTable:
        reader = csv.reader(fh)
        try:
            header = [h.strip().lstrip("\ufeff") for h in next(reader)]
        except StopIteration:
            raise ResultError(f"{source}: the file is empty; expected a header row") from None
        found = Collector(source)
        rows, numbers = csv_body(reader, len(header), found)
        data = [list(col) for col in zip(*rows, strict=True)] if rows else [[] for _ in header]
        return cls._build(
            dict(zip(header, data, strict=True)),
            source=source,
            numbers=np.array(numbers, dtype=np.int64),
            found=found,
        )

    @classmethod
    def from_json(cls, text: str, *, source: str | None = None) -> ResultTable:
        """Read a JSON array of result objects (as :meth:`to_json` writes).

        Errors name the record, counting from 1.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ResultError(f"{source or 'JSON'}: not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise ResultError(f"{source or 'JSON'}: expected an array of result objects")
        for k, rec in enumerate(data):
            if not isinstance(rec, dict):
                raise ResultError(
                    f"{source + ', ' if source else ''}record {k + 1}: expected an object, "
                    f"got {type(rec).__name__}"
                )
            extra = sorted(set(rec) - set(RESULT_FIELDS))
            if extra:
                raise ResultError(
                    f"{source + ', ' if source else ''}record {k + 1}: unknown field(s) "
                    f"{', '.join(extra)}; allowed: {', '.join(RESULT_FIELDS)}"
                )
        present = [f for f in RESULT_FIELDS if any(f in rec for rec in data)] or list(
            REQUIRED_FIELDS
        )
        columns = {f: [rec.get(f) for rec in data] for f in present}
        return cls.from_columns(columns, source=source, noun="record")

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return int(self.result_id.shape[0])

    def _label_column(self, name: str) -> npt.NDArray[Any]:
        codes, cats = self.labels[name]
        return np.array(cats or ("",), dtype=STRING)[codes]

    @property
    def item(self) -> npt.NDArray[Any]:
        """Item code per row."""
        return self._label_column("item")

    @property
    def department(self) -> npt.NDArray[Any]:
        """Department per row."""
        return self._label_column("department")

    @property
    def task(self) -> npt.NDArray[Any]:
        """Task per row."""
        return self._label_column("task")

    @property
    def entered_by(self) -> npt.NDArray[Any]:
        """Who entered each result."""
        return self._label_column("entered_by")

    def lead_inspector(self) -> npt.NDArray[Any]:
        """The first inspector of each result (主办), ``""`` where none is recorded."""
        if not len(self):
            return self.inspectors
        uniq, inv = unique(self.inspectors)
        return np.array([u.split(";")[0] for u in uniq.tolist()], dtype=STRING)[inv]

    def __getitem__(self, i: int) -> InspectionResult:
        if not -len(self) <= i < len(self):
            raise IndexError(f"result {i} is out of range for {len(self)} results")
        i %= len(self)

        def day(a: npt.NDArray[np.datetime64]) -> dt.date | None:
            v: dt.date = a[i].astype(object)
            return None if np.isnat(a[i]) else v

        return InspectionResult(
            result_id=str(self.result_id[i]),
            credit_code=self.credit_code[i].decode("ascii"),
            item=self.labels["item"][1][self.labels["item"][0][i]],
            department=self.labels["department"][1][self.labels["department"][0][i]],
            task=self.labels["task"][1][self.labels["task"][0][i]],
            methods=labels_of(int(self.methods[i]), METHODS),
            categories=labels_of(int(self.categories[i]), RESULT_CATEGORIES),
            followups=labels_of(int(self.followups[i]), FOLLOW_UPS),
            inspectors=str(self.inspectors[i]),
            inspection_end=day(self.inspection_end),
            entered_by=self.labels["entered_by"][1][self.labels["entered_by"][0][i]],
            entered_on=day(self.entered_on),
            published_on=day(self.published_on),
            closed_on=day(self.closed_on),
        )

    def __iter__(self) -> Iterator[InspectionResult]:
        for i in range(len(self)):
            yield self[i]

    def take(self, rows: npt.ArrayLike) -> ResultTable:
        """The rows ``rows`` (indices or a boolean mask), keeping their row numbers."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return ResultTable(
            result_id=self.result_id[idx],
            credit_code=self.credit_code[idx],
            labels={k: (c[idx], cats) for k, (c, cats) in self.labels.items()},
            methods=self.methods[idx],
            categories=self.categories[idx],
            followups=self.followups[idx],
            inspectors=self.inspectors[idx],
            inspection_end=self.inspection_end[idx],
            entered_on=self.entered_on[idx],
            published_on=self.published_on[idx],
            closed_on=self.closed_on[idx],
            row_number=self.row_number[idx],
            source=self.source,
            noun=self.noun,
        )

    def where(self, i: int, column: str | None = None, value: Any = None) -> str:
        """How errors name row ``i`` of this table (file, row number, column, value)."""
        return _Where(self.source, self.noun)(int(self.row_number[i]), column, value)

    # ------------------------------------------------------------------ derived columns
    def top_category(self) -> npt.NDArray[np.intp]:
        """Index into :data:`TOP_CATEGORIES` of each row's top-level category."""
        out = np.zeros(len(self), dtype=np.intp)
        for k, c in enumerate(TOP_CATEGORIES):
            out[(self.categories & CAT_BIT[c]) != 0] = k
        return out

    def has_category(self, category: str) -> npt.NDArray[np.bool_]:
        """Rows carrying ``category`` (a label of :data:`RESULT_CATEGORIES`, or a sub-kind)."""
        label = CAT_ALIAS.get(category, category)
        if label not in CAT_BIT:
            raise ResultError(f"unknown result category {category!r}")
        return np.asarray((self.categories & CAT_BIT[label]) != 0, dtype=bool)

    def has_finding(self, categories: Iterable[str] = FINDING_CATEGORIES) -> npt.NDArray[np.bool_]:
        """Rows whose category is a finding (发现问题); see :data:`FINDING_CATEGORIES`."""
        mask = 0
        for c in categories:
            label = CAT_ALIAS.get(c, c)
            if label not in CAT_BIT:
                raise ResultError(f"finding categories: unknown result category {c!r}")
            mask |= CAT_BIT[label]
        return np.asarray((self.categories & np.uint16(mask)) != 0, dtype=bool)

    def needs_follow_up(self) -> npt.NDArray[np.bool_]:
        """Rows with a follow-up action other than 无需后续处置, or 发现问题待后续处理."""
        acting = (self.followups & np.uint8(0xFF ^ FOLLOW_BIT[NO_FOLLOW_UP])) != 0
        return np.asarray(acting | ((self.categories & CAT_BIT[PENDING]) != 0), dtype=bool)

    # ------------------------------------------------------------------ checks
    def check_draw(self, drawn: Draw | Batch) -> None:
        """Check that every result belongs to ``drawn`` and none ends before it was drawn.

        For a :class:`~randcheck.Batch`, each result's (item, target) pair must be in that
        item's draw; for a :class:`~randcheck.Draw`, its target must be in the draw.

        Raises
        ------
        ResultError
            Naming the first result whose target (or item) is not in the draw, or whose
            inspection ended before the draw's date, and how many such rows there are.
        """
        if isinstance(drawn, Batch):
            draws = dict(drawn.draws)
            known = sorted(draws)
            item = self.item
            ok = np.zeros(len(self), dtype=bool)
            for code in np.unique(item).tolist() if len(self) else []:
                rows = np.flatnonzero(item == code)
                if code not in draws:
                    i = int(rows[0])
                    raise ResultError(
                        f"{self.where(i, 'item', code)}: this item is not in the batch; "
                        f"its items are {', '.join(known)}"
                    )
                ok[rows] = np.isin(self.credit_code[rows], draws[code].ids)
            when = [_drawn_date(d.receipt.drawn_at) for d in draws.values()]
            drawn_on = min((w for w in when if w is not None), default=None)
            what = "the batch's draw for its item"
        else:
            ok = np.isin(self.credit_code, drawn.ids)
            drawn_on = _drawn_date(drawn.receipt.drawn_at)
            what = "the draw"
        bad = np.flatnonzero(~ok)
        if bad.size:
            i = int(bad[0])
            more = f" ({bad.size} results in all)" if bad.size > 1 else ""
            raise ResultError(
                f"{self.where(i, 'credit_code', self.credit_code[i].decode())}: this target "
                f"is not in {what}; a result must come from a drawn target{more}"
            )
        if drawn_on is not None:
            early = np.flatnonzero(self.inspection_end < np.datetime64(drawn_on, "D"))
            if early.size:
                i = int(early[0])
                more = f" ({early.size} results in all)" if early.size > 1 else ""
                raise ResultError(
                    f"{self.where(i, 'inspection_end', str(self.inspection_end[i]))}: the "
                    f"inspection ended before the draw was made ({drawn_on}){more}"
                )

    # ------------------------------------------------------------------ export
    def to_columns(self) -> dict[str, npt.NDArray[Any]]:
        """Plain columns (strings, ``;``-joined lists, ``datetime64[D]`` dates) by field name.

        ``pandas.DataFrame(table.to_columns())`` gives a data frame.
        """
        out: dict[str, npt.NDArray[Any]] = {}
        for name in RESULT_FIELDS:
            if name == "credit_code":
                out[name] = np.asarray(np.strings.decode(self.credit_code, "ascii"))
            elif name in LABEL_FIELDS:
                out[name] = self._label_column(name)
            elif name == "methods":
                out[name] = joined(self.methods, METHODS)
            elif name == "categories":
                out[name] = joined(self.categories, RESULT_CATEGORIES)
            elif name == "followups":
                out[name] = joined(self.followups, FOLLOW_UPS)
            else:
                out[name] = getattr(self, name)
        return out

    def to_frame(self) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns())

    def to_arrow(self) -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns())

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self.to_columns(), headers=headers)

    def to_rows(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per result (lists as lists, dates as ISO strings or ``None``)."""
        cols = self.to_columns()
        text = {
            name: (
                np.datetime_as_string(cols[name]).tolist()
                if name in DATE_FIELDS
                else cols[name].tolist()
            )
            for name in RESULT_FIELDS
        }
        rows = []
        for i in range(len(self)):
            row: dict[str, Any] = {}
            for name in RESULT_FIELDS:
                v = text[name][i]
                if name in LIST_FIELDS:
                    v = split_cell(v)
                elif name in DATE_FIELDS:
                    v = None if v == "NaT" else v
                row[name] = v
            rows.append(row)
        return rows

    def to_json(self, indent: int | None = 1) -> str:
        """The results as a JSON array (UTF-8 characters kept); :meth:`from_json` reads it."""
        return json.dumps(self.to_rows(), ensure_ascii=False, indent=indent)

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8", headers: str = "en"
    ) -> None:
        """Write CSV with a header row; written whole or not at all.

        ``encoding="utf-8-sig"`` adds a BOM for Excel, ``"gb18030"`` suits county systems;
        ``headers="zh"`` writes the Chinese headers (the first of each in
        :data:`RESULT_HEADERS`), which :meth:`from_csv` reads back.
        """
        cols = self.to_columns()
        _tables.write_csv(
            path, {f: cols[f] for f in RESULT_FIELDS}, encoding=encoding, headers=headers
        )


def joined(bits: npt.NDArray[Any], vocabulary: Sequence[str]) -> npt.NDArray[Any]:
    uniq, inv = unique(bits)
    text = np.array(
        [";".join(labels_of(int(b), vocabulary)) for b in uniq.tolist()] or [""], dtype=STRING
    )
    return text[inv] if bits.shape[0] else np.zeros(0, dtype=STRING)


def _normalise_lists(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    uniq, inv = unique(arr)
    text = np.array([";".join(split_cell(u)) for u in uniq.tolist()] or [""], dtype=STRING)
    return text[inv] if arr.shape[0] else arr


def _repeated(ids: npt.NDArray[Any]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows whose id an earlier row already has, and for each that earlier (first) row."""
    if ids.shape[0] < 2:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    _, first, inv = np.unique(ids, return_index=True, return_inverse=True)
    firsts = first[inv.reshape(-1)]
    twice = np.flatnonzero(firsts != np.arange(ids.shape[0]))
    return twice, firsts[twice].astype(np.intp)


def _dates(
    values: Any, name: str, n: int
) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.intp]]:
    """A date column, and the rows whose value is not a date (``NaT`` there)."""
    none = np.zeros(0, dtype=np.intp)
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("datetime64[D]"), none
    seq = list(values)
    if n == 0:
        return np.zeros(0, dtype="datetime64[D]"), none
    keys = np.array(
        ["" if v is None or (isinstance(v, float) and v != v) else _date_key(v) for v in seq],
        dtype=STRING,
    )
    uniq, inv = unique(keys)
    table = np.empty(uniq.shape[0], dtype="datetime64[D]")
    unread = np.zeros(uniq.shape[0], dtype=bool)
    for k, u in enumerate(uniq.tolist()):
        if u in ("", "NaT", "None"):
            table[k] = NAT
            continue
        try:
            d = to_optional_date(u, field=name)
        except ValueError:
            unread[k] = True
            table[k] = NAT
            continue
        table[k] = NAT if d is None else np.datetime64(d, "D")
    return table[inv], np.flatnonzero(unread[inv])


def _date_texts(values: Any, rows: npt.NDArray[np.intp]) -> list[str]:
    """The values of ``rows`` of a date column, as written."""
    if isinstance(values, np.ndarray):
        return [str(v) for v in values[rows].tolist()]
    seq = values if isinstance(values, Sequence) else list(values)
    return [str(seq[i]).strip() for i in rows.tolist()]


def _problems(found: Collector, where: _Where) -> ResultError:
    """One error for every problem found: the first named, all counted (``report``)."""
    report = found.report()
    first = report.problems[0]
    if first.row is None:
        head = f"{where.source}: {first.problem}" if where.source else first.problem
    else:
        n = report.counts[first.problem]
        more = f" ({n} rows in all)" if n > 1 else ""
        head = f"{where(first.row, first.column, first.value)}: {first.problem}{more}"
    if first.fix and len(report) == 1:
        head += f" ({first.fix})"
    return ResultError(head, report=report)


def _date_key(v: Any) -> str:
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date | np.datetime64):
        return str(v)
    return str(v).strip()


def _drawn_date(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        return None
