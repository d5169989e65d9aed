"""Inspection results (检查结果) and their publication (一公开).

After a visit, the officers who inspected enter the result and publish it within 20 working days
(谁检查、谁录入、谁公示). This module holds:

* the platform vocabulary: :data:`RESULT_CATEGORIES` (检查结果, hierarchical), :data:`METHODS`
  (核查方式) and :data:`FOLLOW_UPS` (后续处置);
* :class:`InspectionResult`, one result, a frozen value;
* :class:`ResultTable`, many results as numpy columns (10⁶ results are a few arrays, not 10⁶
  objects), loaded from and written to CSV and JSON, and checked against the draw they come from;
* :class:`PublicationTable` from :func:`publication_records`: what is published for each result
  (public fields only), when it is due and whether it was on time.

Result categories
-----------------
A result has exactly one top-level category. ``发现问题待后续处理`` needs one or more of its four
sub-kinds (``发现问题待后续处理/未按规定公示应当公示的信息``…); a sub-kind may be given alone, and
then implies its parent. Several values in one CSV cell are separated by ``;``.

A result *has a finding* (发现问题) when its category is one of :data:`FINDING_CATEGORIES`
(``发现问题待后续处理``, ``发现问题经责令已改正`` and ``不配合检查情节严重``); places that count
differently pass their own list to the figures.

Row numbers in errors
---------------------
Errors name the row as the user sees it: in a CSV file the header is row 1, so the first result is
row 2; in a JSON array the first record is record 1; in columns the first value is row 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _excel, _tables, _textio
from randcheck._dates import DATE_FORMS, to_optional_date
from randcheck._headers import RESULT_HEADERS
from randcheck.calendar.deadlines import RESULT_PUBLICATION, Status, due_dates
from randcheck.errors import ResultError
from randcheck.problems import MAX_PROBLEMS, Collector

if TYPE_CHECKING:
    from randcheck.calendar import ProvisionalCalendar, WorkCalendar
    from randcheck.joint import Batch
    from randcheck.models import Item
    from randcheck.roster import TargetRoster
    from randcheck.sampling import Draw

__all__ = [
    "FINDING_CATEGORIES",
    "FOLLOW_UPS",
    "METHODS",
    "NO_FOLLOW_UP",
    "PUBLIC_FIELDS",
    "RESULT_CATEGORIES",
    "RESULT_HEADERS",
    "TOP_CATEGORIES",
    "InspectionResult",
    "PublicationTable",
    "ResultTable",
    "publication_records",
]

STRING = np.dtypes.StringDType()
_NAT = np.datetime64("NaT", "D")

PENDING: Final = "发现问题待后续处理"
#: Result categories (检查结果) as on a provincial platform; a sub-kind is ``parent/sub``.
RESULT_CATEGORIES: Final[tuple[str, ...]] = (
    "未发现问题",
    PENDING,
    f"{PENDING}/未按规定公示应当公示的信息",
    f"{PENDING}/公示信息隐瞒真实情况、弄虚作假",
    f"{PENDING}/通过登记的住所（经营场所）无法联系",
    f"{PENDING}/违反其他相关规定",
    "发现问题经责令已改正",
    "未发现开展本次抽查涉及的经营活动",
    "已关闭停业或正在组织清算",
    "不配合检查情节严重",
    "注销",
    "被吊销",
    "被撤销",
    "迁出",
)
#: The top-level categories: exactly one per result.
TOP_CATEGORIES: Final[tuple[str, ...]] = tuple(c for c in RESULT_CATEGORIES if "/" not in c)
#: Categories that count as a finding (发现问题) by default.
FINDING_CATEGORIES: Final[tuple[str, ...]] = (PENDING, "发现问题经责令已改正", "不配合检查情节严重")
#: Inspection methods (核查方式); a result uses one or more.
METHODS: Final[tuple[str, ...]] = (
    "实地",
    "书面",
    "行政部门检查结果或专业意见",
    "检验检测",
    "网络监测",
    "委托专业机构辅助",
)
NO_FOLLOW_UP: Final = "无需后续处置"
#: Follow-up actions (后续处置); ``无需后续处置`` excludes the others.
FOLLOW_UPS: Final[tuple[str, ...]] = (
    NO_FOLLOW_UP,
    "反馈日常监管部门",
    "责令改正",
    "移送办案机构",
    "抄告相关部门",
    "移送司法机关",
    "其他",
)
#: Columns of a publication record: what the public sees. No officer's personal data.
PUBLIC_FIELDS: Final[tuple[str, ...]] = (
    "result_id",
    "task",
    "department",
    "credit_code",
    "name",
    "item",
    "item_name",
    "inspection_end",
    "categories",
    "published_on",
    "due",
    "status",
)

_FIELDS: Final[tuple[str, ...]] = (
    "result_id",
    "credit_code",
    "item",
    "department",
    "task",
    "methods",
    "categories",
    "followups",
    "inspectors",
    "inspection_end",
    "entered_by",
    "entered_on",
    "published_on",
    "closed_on",
)
_REQUIRED: Final = ("credit_code", "item", "categories", "inspection_end")
_HEADER_ALIAS: Final = {a: name for name, aliases in RESULT_HEADERS.items() for a in aliases}
_LIST_FIELDS: Final = ("methods", "categories", "followups", "inspectors")
_DATE_FIELDS: Final = ("inspection_end", "entered_on", "published_on", "closed_on")
_LABEL_FIELDS: Final = ("item", "department", "task", "entered_by")

_CAT_BIT: Final = {c: 1 << i for i, c in enumerate(RESULT_CATEGORIES)}
_CAT_ALIAS: Final = {c.split("/", 1)[1]: c for c in RESULT_CATEGORIES if "/" in c}
_TOP_MASK: Final = sum(_CAT_BIT[c] for c in TOP_CATEGORIES)
_SUB_MASK: Final = sum(_CAT_BIT[c] for c in RESULT_CATEGORIES if "/" in c)
_METHOD_BIT: Final = {m: 1 << i for i, m in enumerate(METHODS)}
_FOLLOW_BIT: Final = {f: 1 << i for i, f in enumerate(FOLLOW_UPS)}


# ----------------------------------------------------------------------------- vocabulary
def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace("；", ";").split(";") if p.strip()]


def _cat_bits(parts: Iterable[str]) -> int:
    """Bits of a category list; raises ``ValueError`` with the reason."""
    bits = 0
    for p in parts:
        label = _CAT_ALIAS.get(p, p)
        if label not in _CAT_BIT:
            raise ValueError(
                f"unknown result category {p!r}; allowed: {', '.join(TOP_CATEGORIES)}, and "
                f"under {PENDING}: {', '.join(_CAT_ALIAS)}"
            )
        bits |= _CAT_BIT[label]
        if "/" in label:
            bits |= _CAT_BIT[PENDING]
    top = [c for c in TOP_CATEGORIES if bits & _CAT_BIT[c]]
    if len(top) != 1:
        raise ValueError(
            "a result has exactly one top-level category, got "
            + (" and ".join(top) if top else "none")
        )
    if top[0] == PENDING and not bits & _SUB_MASK:
        raise ValueError(f"{PENDING} needs at least one sub-kind: {', '.join(_CAT_ALIAS)}")
    return bits


def _set_bits(parts: Iterable[str], table: Mapping[str, int], what: str, *, empty: bool) -> int:
    bits = 0
    for p in parts:
        if p not in table:
            raise ValueError(f"unknown {what} {p!r}; allowed: {', '.join(table)}")
        bits |= table[p]
    if not bits and not empty:
        raise ValueError(f"at least one {what} is required; allowed: {', '.join(table)}")
    if what == "follow-up" and bits & _FOLLOW_BIT[NO_FOLLOW_UP] and bits != 1:
        raise ValueError(f"{NO_FOLLOW_UP} cannot be combined with another follow-up")
    return bits


def _labels_of(bits: int, vocabulary: Sequence[str]) -> tuple[str, ...]:
    return tuple(v for i, v in enumerate(vocabulary) if bits >> i & 1)


def _list_value(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return _split(value)
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
            cats = _labels_of(_cat_bits(self.categories), RESULT_CATEGORIES)
            meths = _labels_of(_set_bits(self.methods, _METHOD_BIT, "method", empty=False), METHODS)
            fbits = _set_bits(self.followups, _FOLLOW_BIT, "follow-up", empty=True)
        except ValueError as exc:
            field = (
                "categories"
                if "categor" in str(exc) or "sub-kind" in str(exc)
                else ("methods" if "method" in str(exc) else "followups")
            )
            raise _result_error(field, ";".join(getattr(self, field)), str(exc)) from None
        object.__setattr__(self, "categories", cats)
        object.__setattr__(self, "methods", meths)
        object.__setattr__(self, "followups", _labels_of(fbits, FOLLOW_UPS))
        problem = _order_problem(
            self.inspection_end, self.entered_on, self.published_on, self.closed_on
        )
        if problem is not None:
            field, reason = problem
            raise _result_error(field, str(getattr(self, field)), reason)
        if PENDING in cats and fbits == _FOLLOW_BIT[NO_FOLLOW_UP]:
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
        for name in _FIELDS:
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


def _unique(arr: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp]]:
    if arr.shape[0] == 0:
        return arr, np.zeros(0, dtype=np.intp)
    uniq, inv = np.unique(arr, return_inverse=True)
    return uniq, inv.astype(np.intp)


def _categorical(arr: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int32], tuple[str, ...]]:
    uniq, inv = _unique(arr)
    return inv.astype(np.int32), tuple(str(u) for u in uniq.tolist())


@attrs.frozen(eq=False)
class ResultTable:
    """Inspection results as columns: one row per result (10⁶ rows are a few numpy arrays).

    Build one with :meth:`from_columns`, :meth:`from_results`, :meth:`from_csv` or
    :meth:`from_json`; each validates every row and either returns a complete table or raises
    :class:`~randcheck.ResultError` naming the first bad row (the caller's data is never
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
            :class:`~randcheck.ProblemReport`) lists each one with a suggested fix. A missing
            required column stops the check at once (its rows cannot be read).

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
        prefix = f"{source}: " if source else ""
        found = found if found is not None else Collector(source)
        renamed: dict[str, Any] = {}
        shown: dict[str, str] = {}  # canonical name -> the header as the input writes it
        for key, values in columns.items():
            name = _HEADER_ALIAS.get(str(key).strip(), str(key).strip())
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
        unknown = sorted(set(renamed) - set(_FIELDS))
        for name in unknown:
            found.add(
                None,
                shown[name],
                None,
                f"unknown column(s) {name}; allowed: {', '.join(_FIELDS)}",
                "rename it to one of the allowed columns or their Chinese headers "
                "(RESULT_HEADERS), or delete it",
            )
            del renamed[name]
        columns = renamed
        missing = [c for c in _REQUIRED if c not in columns]
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
        n = len(columns["credit_code"])
        cols: dict[str, npt.NDArray[Any]] = {}
        for name in _FIELDS:
            if name in columns and name not in _DATE_FIELDS:
                arr = _as_strings(columns[name])
                if arr.shape[0] != n:
                    raise ResultError(
                        f"{prefix}column {name!r} has {arr.shape[0]} values, column "
                        f"'credit_code' has {n}"
                    )
                cols[name] = arr
        for name in _DATE_FIELDS:
            if name in columns and len(columns[name]) != n:
                raise ResultError(
                    f"{prefix}column {name!r} has {len(columns[name])} values, expected {n}"
                )
        if numbers is None:
            numbers = first_row + np.arange(n, dtype=np.int64)

        def fail(rows: npt.NDArray[np.intp], column: str, values: Any, why: str, fix: Any) -> None:
            found.add_rows(numbers[rows], shown.get(column, column), values, why, fix)

        # credit codes: non-empty ASCII, at most 18 characters
        codes = cols["credit_code"]
        raw = np.asarray(np.strings.encode(codes, "ascii", "replace"))
        ok = np.strings.isalnum(raw) & (np.strings.str_len(raw) <= 18)
        if not ok.all():
            bad = np.flatnonzero(~ok)
            fail(
                bad,
                "credit_code",
                codes[bad[:MAX_PROBLEMS]].tolist(),
                "expected the target's 18-character credit code",
                "write the 统一社会信用代码 as text (18 letters and digits, no spaces)",
            )
        credit = raw.astype("S18")

        labels: dict[str, tuple[npt.NDArray[np.int32], tuple[str, ...]]] = {}
        for name in _LABEL_FIELDS:
            arr = cols.get(name, np.full(n, "", dtype=STRING))
            labels[name] = _categorical(arr)
        if "" in labels["item"][1]:
            bad = np.flatnonzero(labels["item"][0] == labels["item"][1].index(""))
            fail(bad, "item", [""] * bad.size, "the item's code is required", "fill in 抽查事项")

        def bits(name: str, parse: Any, dtype: Any, default: str, fix: str) -> npt.NDArray[Any]:
            arr = cols.get(name, np.full(n, default, dtype=STRING))
            uniq, inv = _unique(arr)
            table = np.zeros(uniq.shape[0], dtype=dtype)
            for k, u in enumerate(uniq.tolist()):
                try:
                    table[k] = parse(_split(u))
                except ValueError as exc:
                    bad = np.flatnonzero(inv == k)
                    fail(bad, name, [u] * bad.size, str(exc), fix)
            return table[inv] if n else np.zeros(0, dtype=dtype)

        cats = bits(
            "categories",
            _cat_bits,
            np.uint16,
            "",
            "use the result categories of the 一公开 vocabulary (RESULT_CATEGORIES), ';' between",
        )
        meths = bits(
            "methods",
            lambda p: _set_bits(p, _METHOD_BIT, "method", empty=False),
            np.uint8,
            "实地",
            f"use {', '.join(METHODS)}, ';' between",
        )
        follow = bits(
            "followups",
            lambda p: _set_bits(p, _FOLLOW_BIT, "follow-up", empty=True),
            np.uint8,
            "",
            f"use {', '.join(FOLLOW_UPS)}, ';' between",
        )

        dates: dict[str, npt.NDArray[np.datetime64]] = {}
        unread = np.zeros(n, dtype=bool)
        for name in _DATE_FIELDS:
            if name in columns:
                dates[name], bad_rows = _dates(columns[name], name, n)
                if bad_rows.size:
                    fail(
                        bad_rows,
                        name,
                        _date_texts(columns[name], bad_rows[:MAX_PROBLEMS]),
                        f"not a date (expected {DATE_FORMS})",
                        "write the date as 2025-09-28 (or leave the cell empty if there is none)",
                    )
                    if name == "inspection_end":
                        unread[bad_rows] = True
            else:
                dates[name] = np.full(n, _NAT)
        end = dates["inspection_end"]
        bad = np.flatnonzero(np.isnat(end) & ~unread)
        if bad.size:
            fail(
                bad,
                "inspection_end",
                [""] * bad.size,
                "the date the inspection ended is required",
                "fill in 检查结束日期",
            )
        what = {"entered_on": "entered", "published_on": "published", "closed_on": "closed"}
        for name in ("entered_on", "published_on", "closed_on"):
            bad = np.flatnonzero(dates[name] < end)
            if bad.size:
                fail(
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
            fail(
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
            ((cats & _CAT_BIT[PENDING]) != 0) & (follow == _FOLLOW_BIT[NO_FOLLOW_UP])
        )
        if bad.size:
            fail(
                bad,
                "followups",
                [NO_FOLLOW_UP] * bad.size,
                f"a result {PENDING} needs a follow-up action",
                f"name the follow-up: {', '.join(f for f in FOLLOW_UPS if f != NO_FOLLOW_UP)}",
            )

        if "result_id" in cols:
            rid = cols["result_id"]
            empty = np.flatnonzero(rid == "")
            if empty.size:
                fail(empty, "result_id", [""] * empty.size, "every result needs an id", "")
        else:
            item_lab = np.array(labels["item"][1] or ("",), dtype=STRING)[labels["item"][0]]
            rid = np.strings.add(np.strings.add(codes, "/"), item_lab) if n else codes
        twice, first = _repeated(rid)
        if twice.size:
            head = twice[:MAX_PROBLEMS]
            fail(
                twice,
                "result_id",
                rid[head].tolist(),
                "the id is used twice",
                [
                    f"also in {noun} {numbers[j]}; give each result its own id (结果编号)"
                    for j in first[: head.size].tolist()
                ],
            )
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
            inspection_end=end,
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
        return cls.from_columns({f: [r[f] for r in rows] for f in _FIELDS})

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
        dates = {a for f in _DATE_FIELDS for a in (f, *RESULT_HEADERS[f])}
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
        data: list[list[str]] = [[] for _ in header]
        numbers: list[int] = []
        for k, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                found.add(
                    k,
                    None,
                    None,
                    f"{len(row)} cells, but the header has {len(header)}",
                    "a cell holds an unquoted comma or the row is cut short; put quotes around "
                    "text with commas",
                )
                continue
            numbers.append(k)
            for j, v in enumerate(row):
                data[j].append(v)
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
            extra = sorted(set(rec) - set(_FIELDS))
            if extra:
                raise ResultError(
                    f"{source + ', ' if source else ''}record {k + 1}: unknown field(s) "
                    f"{', '.join(extra)}; allowed: {', '.join(_FIELDS)}"
                )
        present = [f for f in _FIELDS if any(f in rec for rec in data)] or list(_REQUIRED)
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
        uniq, inv = _unique(self.inspectors)
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
            methods=_labels_of(int(self.methods[i]), METHODS),
            categories=_labels_of(int(self.categories[i]), RESULT_CATEGORIES),
            followups=_labels_of(int(self.followups[i]), FOLLOW_UPS),
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
            out[(self.categories & _CAT_BIT[c]) != 0] = k
        return out

    def has_category(self, category: str) -> npt.NDArray[np.bool_]:
        """Rows carrying ``category`` (a label of :data:`RESULT_CATEGORIES`, or a sub-kind)."""
        label = _CAT_ALIAS.get(category, category)
        if label not in _CAT_BIT:
            raise ResultError(f"unknown result category {category!r}")
        return np.asarray((self.categories & _CAT_BIT[label]) != 0, dtype=bool)

    def has_finding(self, categories: Iterable[str] = FINDING_CATEGORIES) -> npt.NDArray[np.bool_]:
        """Rows whose category is a finding (发现问题); see :data:`FINDING_CATEGORIES`."""
        mask = 0
        for c in categories:
            label = _CAT_ALIAS.get(c, c)
            if label not in _CAT_BIT:
                raise ResultError(f"finding categories: unknown result category {c!r}")
            mask |= _CAT_BIT[label]
        return np.asarray((self.categories & np.uint16(mask)) != 0, dtype=bool)

    def needs_follow_up(self) -> npt.NDArray[np.bool_]:
        """Rows with a follow-up action other than 无需后续处置, or 发现问题待后续处理."""
        acting = (self.followups & np.uint8(0xFF ^ _FOLLOW_BIT[NO_FOLLOW_UP])) != 0
        return np.asarray(acting | ((self.categories & _CAT_BIT[PENDING]) != 0), dtype=bool)

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
        from randcheck.joint import Batch

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
        for name in _FIELDS:
            if name == "credit_code":
                out[name] = np.asarray(np.strings.decode(self.credit_code, "ascii"))
            elif name in _LABEL_FIELDS:
                out[name] = self._label_column(name)
            elif name == "methods":
                out[name] = _joined(self.methods, METHODS)
            elif name == "categories":
                out[name] = _joined(self.categories, RESULT_CATEGORIES)
            elif name == "followups":
                out[name] = _joined(self.followups, FOLLOW_UPS)
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
                if name in _DATE_FIELDS
                else cols[name].tolist()
            )
            for name in _FIELDS
        }
        rows = []
        for i in range(len(self)):
            row: dict[str, Any] = {}
            for name in _FIELDS:
                v = text[name][i]
                if name in _LIST_FIELDS:
                    v = _split(v)
                elif name in _DATE_FIELDS:
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
        _tables.write_csv(path, {f: cols[f] for f in _FIELDS}, encoding=encoding, headers=headers)


def _joined(bits: npt.NDArray[Any], vocabulary: Sequence[str]) -> npt.NDArray[Any]:
    uniq, inv = _unique(bits)
    text = np.array(
        [";".join(_labels_of(int(b), vocabulary)) for b in uniq.tolist()] or [""], dtype=STRING
    )
    return text[inv] if bits.shape[0] else np.zeros(0, dtype=STRING)


def _normalise_lists(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    uniq, inv = _unique(arr)
    text = np.array([";".join(_split(u)) for u in uniq.tolist()] or [""], dtype=STRING)
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
    uniq, inv = _unique(keys)
    table = np.empty(uniq.shape[0], dtype="datetime64[D]")
    unread = np.zeros(uniq.shape[0], dtype=bool)
    for k, u in enumerate(uniq.tolist()):
        if u in ("", "NaT", "None"):
            table[k] = _NAT
            continue
        try:
            d = to_optional_date(u, field=name)
        except ValueError:
            unread[k] = True
            table[k] = _NAT
            continue
        table[k] = _NAT if d is None else np.datetime64(d, "D")
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


# ----------------------------------------------------------------------------- publication
@attrs.frozen(eq=False)
class PublicationTable:
    """What is published for each result (一公开) and whether it was published on time.

    The public fields are :data:`PUBLIC_FIELDS`: the task, the inspecting department, the
    target's code and name, the item, the inspection's end date, the result categories, the
    publication date, the due date (20 working days after the inspection ends,
    :data:`~randcheck.RESULT_PUBLICATION`) and the status as of ``as_of``
    (:class:`~randcheck.Status`). Officers' names and ids, who entered the result and the
    follow-up are not public fields. :meth:`to_columns`, :meth:`to_rows` and :meth:`to_csv` give
    the public fields only.

    Attributes
    ----------
    results : ResultTable
        The results the records describe (kept for :meth:`take`; not public as a whole).
    due : ``datetime64[D]`` array
        Due date per record.
    status : ``int8`` array
        :class:`~randcheck.Status` code per record.
    roster : TargetRoster or None
        The directory, for the targets' names (企业名称), when one was given.
    roster_rows : numpy int array or None
        Each record's row in ``roster`` (``-1`` if absent).
    item_names : mapping of str to str
        Item code → item name.
    as_of : datetime.date
        The date the status describes.
    rule : str
        The deadline rule.
    """

    results: ResultTable
    due: npt.NDArray[np.datetime64]
    status: npt.NDArray[np.int8]
    roster: TargetRoster | None
    roster_rows: npt.NDArray[np.intp] | None
    item_names: Mapping[str, str]
    as_of: dt.date
    rule: str

    def __len__(self) -> int:
        return len(self.results)

    @property
    def result_id(self) -> npt.NDArray[Any]:
        """The records' result ids."""
        return self.results.result_id

    @property
    def published(self) -> npt.NDArray[np.bool_]:
        """Published on or before ``as_of``."""
        s = self.status
        return np.asarray((s == Status.DONE) | (s == Status.DONE_LATE), dtype=bool)

    @property
    def on_time(self) -> npt.NDArray[np.bool_]:
        """Published on or before the due date."""
        return np.asarray(self.status == Status.DONE, dtype=bool)

    @property
    def due_by_as_of(self) -> npt.NDArray[np.bool_]:
        """Rows that can be judged: published, or due before ``as_of`` (overdue)."""
        return np.asarray(self.published | (self.status == Status.OVERDUE), dtype=bool)

    def late(self) -> PublicationTable:
        """Rows published after their due date (逾期公示)."""
        return self.take(self.status == Status.DONE_LATE)

    def missing(self) -> PublicationTable:
        """Rows not published as of ``as_of`` (overdue or still within the 20 working days)."""
        return self.take(~self.published)

    def take(self, rows: npt.ArrayLike) -> PublicationTable:
        """The rows ``rows`` (indices or a boolean mask)."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return PublicationTable(
            self.results.take(idx),
            self.due[idx],
            self.status[idx],
            self.roster,
            None if self.roster_rows is None else self.roster_rows[idx],
            self.item_names,
            self.as_of,
            self.rule,
        )

    def to_columns(self, language: str = "en") -> dict[str, npt.NDArray[Any]]:
        """The public fields as columns (dates as ``datetime64[D]``, status as text in
        ``language``: ``"en"`` or ``"zh"``)."""
        r = self.results
        n = len(r)
        item = r.item
        uniq, inv = _unique(item)
        item_name = (
            np.array([self.item_names.get(u, "") for u in uniq.tolist()] or [""], dtype=STRING)[inv]
            if n
            else np.zeros(0, dtype=STRING)
        )
        _tables.check_headers(language)
        labels = np.array([s.label if language == "en" else s.zh for s in Status], dtype=STRING)
        names = np.full(n, "", dtype=STRING)
        if self.roster is not None and self.roster_rows is not None:
            found = self.roster_rows >= 0
            names[found] = np.asarray(self.roster.name, dtype=STRING)[self.roster_rows[found]]
        return {
            "result_id": r.result_id,
            "task": r.task,
            "department": r.department,
            "credit_code": np.asarray(np.strings.decode(r.credit_code, "ascii")),
            "name": names,
            "item": item,
            "item_name": item_name,
            "inspection_end": r.inspection_end,
            "categories": _joined(r.categories, RESULT_CATEGORIES),
            "published_on": np.where(self.published, r.published_on, _NAT),
            "due": self.due,
            "status": labels[self.status.astype(np.intp)] if n else np.zeros(0, dtype=STRING),
        }

    def to_frame(self) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns())

    def to_arrow(self) -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns())

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self.to_columns(headers), headers=headers, zh={"status": "公示状态"})

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per record: the public fields, dates as ISO strings (``None`` for none)."""
        cols = self.to_columns()
        out: dict[str, list[Any]] = {}
        for k, v in cols.items():
            if v.dtype.kind == "M":
                out[k] = [None if s == "NaT" else s for s in np.datetime_as_string(v).tolist()]
            else:
                out[k] = v.tolist()
        return [{k: out[k][i] for k in PUBLIC_FIELDS} for i in range(len(self))]

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8", headers: str = "en"
    ) -> None:
        """Write the public fields as CSV; written whole or not at all.

        ``encoding="utf-8-sig"`` adds a BOM for Excel; ``headers="zh"`` writes Chinese headers
        and the status in Chinese.
        """
        cols = self.to_columns(headers)
        _tables.write_csv(
            path,
            {f: cols[f] for f in PUBLIC_FIELDS},
            encoding=encoding,
            headers=headers,
            zh={"status": "公示状态"},
        )


# The last roster joined on, with its sorted keys: year figures, publication records and
# estimates of one roster reuse them. One entry, so at most one roster is kept alive.
_KEY_CACHE: list[tuple[Any, int, npt.NDArray[np.uint64], npt.NDArray[np.intp]]] = []


def _code_keys(codes: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint64]:
    """A 64-bit mix of each 18-byte code (equal codes, equal keys; collisions are checked)."""
    n = codes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    v = np.ascontiguousarray(codes.astype("S18")).view(np.uint8).reshape(n, 18)
    hi = np.ascontiguousarray(v[:, :8]).view("<u8").ravel()
    mid = np.ascontiguousarray(v[:, 8:16]).view("<u8").ravel()
    lo = np.ascontiguousarray(v[:, 16:]).view("<u2").ravel().astype(np.uint64)
    with np.errstate(over="ignore"):
        k = hi * np.uint64(0x9E3779B97F4A7C15)
        k ^= mid * np.uint64(0xC2B2AE3D27D4EB4F) + (k >> np.uint64(29))
        k ^= lo * np.uint64(0x165667B19E3779F9)
    return np.asarray(k, dtype=np.uint64)


def _roster_rows(roster: TargetRoster, codes: npt.NDArray[np.bytes_]) -> npt.NDArray[np.intp]:
    """Row of each code in ``roster`` (``-1`` if absent): :meth:`TargetRoster.row_of`, faster.

    Joins on 64-bit keys of the codes (sorted once per roster and cached), then checks every
    match on the full code; codes whose key collides inside the roster go to ``row_of``.
    """
    n = len(roster)
    if _KEY_CACHE and _KEY_CACHE[0][0] is roster and _KEY_CACHE[0][1] == n:
        _, _, sorted_keys, order = _KEY_CACHE[0]
    else:
        keys = _code_keys(roster.credit_code)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        _KEY_CACHE[:] = [(roster, n, sorted_keys, order)]
    q = _code_keys(codes)
    if n == 0 or q.shape[0] == 0:
        return np.full(q.shape[0], -1, dtype=np.intp)
    pos = np.minimum(np.searchsorted(sorted_keys, q), n - 1)
    cand = order[pos]
    hit = (sorted_keys[pos] == q) & (roster.credit_code[cand] == codes)
    out = np.where(hit, cand, -1).astype(np.intp)
    clash = np.flatnonzero(~hit & (sorted_keys[pos] == q))
    if clash.size:  # two roster codes share a key: the exact, slower join for these
        out[clash] = roster.row_of(codes[clash])
    return out


def publication_records(
    results: ResultTable,
    *,
    as_of: Any,
    roster: TargetRoster | None = None,
    items: Iterable[Item] = (),
    calendar: WorkCalendar | ProvisionalCalendar | None = None,
) -> PublicationTable:
    """The publication record of every result, with due dates and status as of ``as_of``.

    Parameters
    ----------
    results : ResultTable
        The results.
    as_of : date-like
        The date the status describes (a publication after it counts as not yet published).
    roster : TargetRoster, optional
        To fill the targets' names (企业名称).
    items : iterable of Item
        To fill the items' names (检查事项).
    calendar : WorkCalendar or ProvisionalCalendar, optional
        Working days for the due dates (default :meth:`~randcheck.WorkCalendar.default`).

    Returns
    -------
    PublicationTable

    Examples
    --------
    >>> from randcheck.results import ResultTable, publication_records
    >>> t = ResultTable.from_columns({
    ...     "credit_code": ["91130634MA00000001", "91130634MA00000014"],
    ...     "item": ["SW-02", "SW-02"], "categories": ["未发现问题", "未发现问题"],
    ...     "inspection_end": ["2023-09-28", "2023-09-28"],
    ...     "published_on": ["2023-10-20", "2023-11-03"]})
    >>> pub = publication_records(t, as_of="2023-12-31")
    >>> np.datetime_as_string(pub.due).tolist(), pub.on_time.tolist()
    (['2023-11-01', '2023-11-01'], [True, False])
    >>> pub.to_rows()[1]["status"]
    'done late'
    """
    rows = None if roster is None else _roster_rows(roster, results.credit_code)
    return _publication(results, as_of, roster, rows, items, calendar)


def _publication(
    results: ResultTable,
    as_of: Any,
    roster: TargetRoster | None,
    rows: npt.NDArray[np.intp] | None,
    items: Iterable[Item],
    calendar: WorkCalendar | ProvisionalCalendar | None,
) -> PublicationTable:
    due = due_dates(
        RESULT_PUBLICATION,
        {"inspection_end": results.inspection_end},
        as_of=as_of,
        done=results.published_on,
        calendar=calendar,
    )
    return PublicationTable(
        results,
        np.asarray(due.due),
        np.asarray(due.status),
        roster,
        rows,
        {it.code: it.name for it in items},
        due.as_of,
        due.rule,
    )
