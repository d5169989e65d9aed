"""Columnar directories: 检查对象名录库 and 执法检查人员名录库.

:class:`TargetRoster` is the directory of inspection targets, :class:`OfficerRoster` that of
officers.

A roster holds one numpy array per column, never one Python object per row, so that a province's
10⁷ enterprises fit in memory and every later stage (eligibility, strata, hashing) runs vectorized.

Column storage
--------------
- ids: credit codes as fixed-width ASCII bytes (``S18``); officer ids as numpy strings.
- labels with few distinct values (industry, area, status, unit, department): a
  :class:`Categorical` (integer codes into a tuple of labels).
- risk class: ``uint8`` codes 0…4 for A…E.
- tags and skills: a :class:`TagSet`, one ``uint64`` bit mask per row over at most 64 labels.
- flags: ``bool``; counts: ``int32``; dates: ``datetime64[D]`` with ``NaT`` for "none".
- the user's own columns (``extra``): ``float64`` when every value is a number, else strings.

Every constructor funnels through ``from_columns``, which validates the whole input and either
returns a complete roster or raises :class:`~randcheck.RosterError`: never a partial roster, and the
caller's arrays are never modified.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import hashlib
import io
import itertools
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeAlias, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _arrow, _excel, _parallel, _tables, _textio
from randcheck._dates import DATE_FORMS, to_optional_date
from randcheck._files import atomic_path
from randcheck._headers import OFFICER_HEADERS, TARGET_HEADERS
from randcheck._progress import ProgressArg, Reporter
from randcheck.credit_code import (
    SCIENTIFIC_WHY,
    credit_code_mask,
    credit_code_problem,
    is_scientific,
)
from randcheck.errors import RosterError, RosterWarning
from randcheck.models import (
    INACTIVE_STATUSES,
    REGISTRATION_STATUSES,
    Officer,
    RiskClass,
    Target,
    canonical_status,
)
from randcheck.problems import MAX_PROBLEMS, Problem, ProblemReport

__all__ = [
    "OFFICER_COLUMNS",
    "TARGET_COLUMNS",
    "Categorical",
    "OfficerRoster",
    "RosterDigest",
    "TagSet",
    "TargetRoster",
]

STRING = np.dtypes.StringDType()
RISK_LETTERS: tuple[str, ...] = tuple(rc.value for rc in RiskClass)
_MAX_LISTED = MAX_PROBLEMS
_FORBIDDEN = ("\t", "\n", "\r")
_TRUE = {"1", "true", "t", "yes", "y", "是", "√", "有"}
_FALSE = {"0", "false", "f", "no", "n", "否", "", "无"}

Column: TypeAlias = "np.ndarray[Any, Any] | Categorical | TagSet"
_T = TypeVar("_T")


@attrs.frozen(eq=False)
class Categorical:
    """A label column stored as integer ``codes`` into ``categories``.

    Examples
    --------
    >>> c = Categorical.from_values(["零售业", "餐饮业", "零售业"])
    >>> c.categories, c.codes.tolist()
    (('零售业', '餐饮业'), [0, 1, 0])
    >>> c.mask(["餐饮业"]).tolist()
    [False, True, False]
    """

    codes: npt.NDArray[np.int32]
    categories: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @classmethod
    def from_values(cls, values: npt.ArrayLike | Iterable[str]) -> Categorical:
        """Factorize labels (order of first appearance; one pass with a dict)."""
        lookup: dict[str, int] = {}
        arr = values if isinstance(values, np.ndarray) else list(values)  # type: ignore[arg-type]
        codes = np.fromiter(
            (lookup.setdefault(str(v), len(lookup)) for v in arr), dtype=np.int32, count=len(arr)
        )
        return cls(codes, tuple(lookup))

    def labels(self) -> npt.NDArray[Any]:
        """The labels, row by row, as a numpy string array."""
        return np.asarray(np.array(self.categories, dtype=STRING)[self.codes])

    def mask(self, wanted: Iterable[str]) -> npt.NDArray[np.bool_]:
        """Rows whose label is one of ``wanted``."""
        want = set(wanted)
        table = np.array([c in want for c in self.categories], dtype=bool)
        return table[self.codes] if table.size else np.zeros(len(self), dtype=bool)

    def take(self, rows: npt.NDArray[np.intp]) -> Categorical:
        """The same categories, rows ``rows`` only."""
        return Categorical(self.codes[rows], self.categories)


@attrs.frozen(eq=False)
class TagSet:
    """A multi-label column: one ``uint64`` bit mask per row over at most 64 ``names``.

    Examples
    --------
    >>> t = TagSet.from_values(["连锁;重点", "", "重点"])
    >>> t.names, t.row(0)
    (('连锁', '重点'), ('连锁', '重点'))
    >>> t.mask_any(["重点"]).tolist()
    [True, False, True]
    """

    bits: npt.NDArray[np.uint64]
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.bits.shape[0])

    @classmethod
    def from_values(cls, values: Iterable[str | Iterable[str]]) -> TagSet:
        """Build from ``;``-separated strings or iterables of labels."""
        lookup: dict[str, int] = {}
        cache: dict[Any, int] = {}

        def bits_of(v: str | Iterable[str]) -> int:
            key = v if isinstance(v, str) else frozenset(v)
            hit = cache.get(key)
            if hit is not None:
                return hit
            parts = (
                [p.strip() for p in v.replace("；", ";").split(";") if p.strip()]
                if isinstance(v, str)
                else sorted(str(p) for p in v)
            )
            mask = 0
            for p in parts:
                i = lookup.setdefault(p, len(lookup))
                if i >= 64:
                    raise ValueError(f"more than 64 distinct tags; the 65th is {p!r}")
                mask |= 1 << i
            cache[key] = mask
            return mask

        seq = list(values)
        bits = np.fromiter((bits_of(v) for v in seq), dtype=np.uint64, count=len(seq))
        # Order the vocabulary alphabetically so equal content gives equal storage.
        order = sorted(lookup, key=lambda s: s)
        remap = [order.index(name) for name in lookup]
        return cls(_remap_bits(bits, remap), tuple(order))

    def mask_any(self, wanted: Iterable[str]) -> npt.NDArray[np.bool_]:
        """Rows carrying at least one of ``wanted``."""
        m = 0
        for w in wanted:
            if w in self.names:
                m |= 1 << self.names.index(w)
        return np.asarray((self.bits & np.uint64(m)) != 0)

    def row(self, i: int) -> tuple[str, ...]:
        """The labels of row ``i``, sorted."""
        b = int(self.bits[i])
        return tuple(n for k, n in enumerate(self.names) if b >> k & 1)

    def take(self, rows: npt.NDArray[np.intp]) -> TagSet:
        """The same vocabulary, rows ``rows`` only."""
        return TagSet(self.bits[rows], self.names)

    def joined(self) -> tuple[npt.NDArray[np.intp], list[str]]:
        """Per-row index into a list of distinct ``;``-joined label strings (sorted labels)."""
        uniq, inverse = np.unique(self.bits, return_inverse=True)
        texts = []
        for b in uniq.tolist():
            texts.append(";".join(n for k, n in enumerate(self.names) if b >> k & 1))
        return inverse.astype(np.intp), texts


def _remap_bits(bits: npt.NDArray[np.uint64], remap: list[int]) -> npt.NDArray[np.uint64]:
    if remap == list(range(len(remap))):
        return bits
    out = np.zeros_like(bits)
    for old, new in enumerate(remap):
        out |= ((bits >> np.uint64(old)) & np.uint64(1)) << np.uint64(new)
    return out


@attrs.frozen
class _Col:
    name: str
    kind: str  # code | id | text | risk | category | tags | bool | count | date | cap
    required: bool = False
    aliases: tuple[str, ...] = ()
    doc: str = ""


#: Target directory columns: canonical name, kind, whether required, accepted headers.
TARGET_COLUMNS: tuple[_Col, ...] = (
    _Col("credit_code", "code", True, TARGET_HEADERS["credit_code"], "统一社会信用代码"),
    _Col("name", "text", False, TARGET_HEADERS["name"], "企业名称"),
    _Col("risk_class", "risk", True, TARGET_HEADERS["risk_class"], "信用风险分类 A–E"),
    _Col("industry", "category", False, TARGET_HEADERS["industry"], "行业"),
    _Col("area", "category", False, TARGET_HEADERS["area"], "行政区划"),
    _Col("status", "category", False, TARGET_HEADERS["status"], "登记状态"),
    _Col("tags", "tags", False, TARGET_HEADERS["tags"], "分类标注 (;-separated)"),
    _Col("abnormal", "bool", False, TARGET_HEADERS["abnormal"], "列入经营异常名录"),
    _Col("complaints", "count", False, TARGET_HEADERS["complaints"], "投诉举报次数"),
    _Col("last_inspected", "date", False, TARGET_HEADERS["last_inspected"], "上次抽查日期"),
)

#: Officer directory columns.
OFFICER_COLUMNS: tuple[_Col, ...] = (
    _Col("officer_id", "id", True, OFFICER_HEADERS["officer_id"], "执法证号"),
    _Col("name", "text", False, OFFICER_HEADERS["name"], "姓名"),
    _Col("unit", "category", False, OFFICER_HEADERS["unit"], "所属单位"),
    _Col("department", "category", False, OFFICER_HEADERS["department"], "部门"),
    _Col("area", "category", False, OFFICER_HEADERS["area"], "负责区域"),
    _Col("skills", "tags", False, OFFICER_HEADERS["skills"], "专长 (;-separated)"),
    _Col("expert", "bool", False, OFFICER_HEADERS["expert"], "专家库成员"),
    _Col("active", "bool", False, OFFICER_HEADERS["active"], "在岗"),
    _Col("load_cap", "cap", False, OFFICER_HEADERS["load_cap"], "每批最多任务数"),
)

_DEFAULTS: dict[str, Any] = {
    "status": "存续",
    "active": True,
}


class _Context:
    """Where values come from, to put the user's row numbers into errors; collects problems.

    Parsers call :meth:`fail` for each kind of problem they find and carry on with the rest of
    the input; :meth:`raise_if_any` then raises one :class:`RosterError` with every problem
    (up to :data:`~randcheck.problems.MAX_PROBLEMS` listed, all counted).
    """

    def __init__(
        self,
        source: str | None,
        first_row: int,
        rows: npt.NDArray[np.intp] | None,
        *,
        nul_free: bool = False,
        headers: Mapping[str, str] | None = None,
        absent: str = "",
    ) -> None:
        self.source = source
        self.first_row = first_row
        self.rows = rows  # user row numbers when they are not consecutive
        self.nul_free = nul_free  # the values are known to hold no NUL (checked on the file)
        self.absent = absent  # characters known to be in no value (checked on the file)
        self.headers = dict(headers or {})  # canonical name -> the header the file writes
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = {}
        self.first: dict[str, int] = {}  # per kind: the number of rows behind it
        self.notes: list[Problem] = []  # accepted with a remark (legacy codes, ignored columns)
        self.note_counts: dict[str, int] = {}

    def row(self, i: int) -> int:
        if self.rows is not None:
            return int(self.rows[i])
        return self.first_row + i

    def column(self, name: str) -> str:
        """The column as the user's file names it."""
        return self.headers.get(name, name)

    def fail(
        self,
        column: str,
        bad: npt.NDArray[np.intp],
        values: Sequence[Any],
        why: str,
        fix: str | Sequence[str] = "",
        *,
        note: bool = False,
    ) -> None:
        """Record a problem in rows ``bad`` (``values``, and ``fix`` if a list, for the first)."""
        store, counts = (self.notes, self.note_counts) if note else (self.problems, self.counts)
        room = max(MAX_PROBLEMS - len(store), 0)
        fixes = itertools.repeat(fix or _FIXES.get(why, "")) if isinstance(fix, str) else fix
        store.extend(
            Problem(self.row(int(i)), self.column(column), v, why, f)
            for i, v, f in zip(bad[:room], values, fixes, strict=False)
        )
        counts[why] = counts.get(why, 0) + int(bad.size)

    def fail_column(self, column: str, why: str, fix: str = "", *, note: bool = False) -> None:
        """Record a problem with a whole column (no row)."""
        store, counts = (self.notes, self.note_counts) if note else (self.problems, self.counts)
        if len(store) < MAX_PROBLEMS:
            store.append(Problem(None, column, None, why, fix))
        counts[why] = counts.get(why, 0) + 1

    def report(self, *, notes: bool = False) -> ProblemReport:
        if notes:
            return ProblemReport.of(self.notes, source=self.source, counts=self.note_counts)
        return ProblemReport.of(self.problems, source=self.source, counts=self.counts)

    def raise_if_any(self) -> None:
        if self.counts:
            raise self.report().roster_error()


def _shown_id(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _stack_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside randcheck."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("randcheck"):
        frame = frame.f_back
        level += 1
    return level


def _as_array(values: Any) -> np.ndarray[Any, Any]:
    if isinstance(values, np.ndarray):
        return values
    to_numpy = getattr(values, "to_numpy", None)
    if callable(to_numpy):
        return np.asarray(to_numpy())
    if isinstance(values, (str, bytes)):
        return np.asarray(values)  # a scalar: rejected by the caller's length check
    return np.asarray(
        list(values) if not isinstance(values, Sequence) else values,
        dtype=None if _is_numeric_seq(values) else object,
    )


def _is_numeric_seq(values: Any) -> bool:
    try:
        return len(values) > 0 and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values
        )
    except TypeError:
        return False


def _is_missing(v: Any) -> bool:
    """``None``, NaN, ``pandas.NA`` or ``NaT``: a cell with no value."""
    if v is None:
        return True
    try:
        return bool(v != v)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def _factorize_fixed(arr: np.ndarray[Any, Any]) -> tuple[npt.NDArray[np.intp], Any]:
    """Factorize a fixed-width (``S`` or ``U``) array by sorting one ``uint64`` key per row.

    Values up to 8 bytes are their own key; longer values are hashed to a key, and the result is
    checked against the values, falling back to sorting the strings on a (vanishingly rare)
    collision. Returns the inverse index and the distinct values (same dtype as ``arr``).
    """
    n = arr.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp), arr[:0]
    arr = np.ascontiguousarray(arr)
    size = arr.dtype.itemsize
    words = -(-size // 8)
    key = np.empty(n, dtype=np.uint64)
    step = max(1, (1 << 22) // (words * 8))
    for start in range(0, n, step):
        raw = arr[start : start + step].view(np.uint8).reshape(-1, size)
        if size % 8:
            raw = np.concatenate(
                [raw, np.zeros((raw.shape[0], words * 8 - size), dtype=np.uint8)], axis=1
            )
        w = raw.view(np.uint64)
        k = w[:, 0].copy()
        for j in range(1, words):
            k *= np.uint64(0x9E3779B97F4A7C15)
            k ^= w[:, j]
        key[start : start + step] = k
    inv, first = _factorize_keys(key)
    uniq = arr[first]
    if words > 1 and not np.array_equal(uniq[inv], arr):  # pragma: no cover - hash collision
        uniq, inv = np.unique(arr, return_inverse=True)
    return inv.astype(np.intp).reshape(n), uniq


def _factorize_keys(
    key: npt.NDArray[np.uint64],
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """The index of each key among the sorted distinct keys, and each distinct key's first row.

    The same as ``np.unique(key, return_index=True, return_inverse=True)`` without its stable
    sort of every row: a directory column (a risk class, a status, an area) has a few distinct
    values (at most 64 here), which its first 4,096 rows nearly always show; they are looked up
    by binary search, and only when a key is not among them are all keys sorted.
    """
    distinct = np.unique(key[:4096])
    if distinct.size <= 64:
        inv = np.searchsorted(distinct, key)
        np.minimum(inv, distinct.size - 1, out=inv)
        few = bool((distinct[inv] == key).all())
    else:
        few = False
    if not few:
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
        return inv.astype(np.intp, copy=False).reshape(key.shape[0]), first
    # Each distinct key's first row: one pass per key, cheaper than a sort for a few keys.
    first = np.array([int(np.argmax(inv == k)) for k in range(distinct.size)], dtype=np.intp)
    return inv.astype(np.intp, copy=False), first


def _factorize_text(arr: np.ndarray[Any, Any]) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Distinct values and the inverse index, without one Python call per row.

    Text comes back as ``str`` (bytes are read as UTF-8); missing cells of an object array
    (``None``, NaN, ``pandas.NA``) as ``""``.
    """
    if arr.dtype.kind == "S":
        inv, uniq = _factorize_fixed(arr)
        return inv, [u.decode("utf-8", "replace") for u in uniq.tolist()]
    if arr.dtype.kind == "U":
        inv, uniq = _factorize_fixed(arr)
        return inv, list(uniq.tolist())
    if arr.dtype == STRING or arr.dtype.kind in "iufbM":
        uniq, inv = np.unique(arr, return_inverse=True)
        return inv.astype(np.intp).reshape(arr.shape[0]), list(uniq.tolist())
    lookup: dict[Any, int] = {}
    inv = np.fromiter(
        (lookup.setdefault("" if _is_missing(v) else v, len(lookup)) for v in arr.tolist()),
        dtype=np.intp,
        count=arr.shape[0],
    )
    return inv, list(lookup)


def _map_uniques(
    col: _Col,
    arr: np.ndarray[Any, Any],
    parse: Callable[[Any], Any],
    ctx: _Context,
    why: str,
    out_dtype: Any,
    *,
    blank: tuple[str, str] | None = None,
) -> np.ndarray[Any, Any]:
    """Parse each distinct value once; ``blank`` is (problem, fix) for an empty cell."""
    inv, uniq = _factorize_text(arr)
    fill = np.zeros(1, dtype=out_dtype)[0]  # stands in for a bad value: the load fails anyway
    parsed = []
    bad_u = []
    blank_u = []
    for k, u in enumerate(uniq):
        if blank is not None and (_is_missing(u) or not str(u).strip()):
            parsed.append(fill)
            blank_u.append(k)
            continue
        try:
            parsed.append(parse(u))
        except (ValueError, TypeError, OverflowError):
            parsed.append(fill)
            bad_u.append(k)
    for kinds, problem, fix in ((bad_u, why, ""), (blank_u, *(blank or ("", "")))):
        if kinds:
            bad_rows = np.flatnonzero(np.isin(inv, kinds))
            values = [uniq[inv[i]] for i in bad_rows[:_MAX_LISTED]]
            ctx.fail(col.name, bad_rows, values, problem, fix)
    table = np.array(parsed, dtype=out_dtype)
    return np.asarray(table[inv]) if len(parsed) else np.zeros(arr.shape[0], dtype=out_dtype)


def _nul_rows(arr: np.ndarray[Any, Any], chunk: int = 1 << 18) -> npt.NDArray[np.intp]:
    """Rows with a NUL character (numpy's string search cannot look for one).

    One C-level join per chunk finds whether any NUL is there at all; only then are rows
    searched one by one (an error path).
    """
    found = []
    for start in range(0, arr.shape[0], chunk):
        part = arr[start : start + chunk].tolist()
        if "\x00" in "".join(part):
            found.append(start + np.flatnonzero([("\x00" in s) for s in part]))
    return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


_CONTROL_WHY = "tab, newline, carriage return and NUL are not allowed in a value"


def _check_text(col: _Col, arr: np.ndarray[Any, Any], ctx: _Context, *, empty_ok: bool) -> None:
    for ch in _FORBIDDEN:
        if ch in ctx.absent:
            continue
        hit = np.flatnonzero(np.strings.find(arr, ch) >= 0)
        if hit.size:
            ctx.fail(col.name, hit, [str(arr[i]) for i in hit[:_MAX_LISTED]], _CONTROL_WHY)
    if not ctx.nul_free:
        hit = _nul_rows(arr)
        if hit.size:
            ctx.fail(col.name, hit, [str(arr[i]) for i in hit[:_MAX_LISTED]], _CONTROL_WHY)
    if not empty_ok:
        hit = np.flatnonzero(np.strings.str_len(arr) == 0)
        if hit.size:
            ctx.fail(col.name, hit, ["" for _ in hit[:_MAX_LISTED]], "a required id is empty")


def _check_labels(col: _Col, codes: npt.NDArray[Any], labels: Sequence[str], ctx: _Context) -> None:
    """Reject labels (categories, tags) with a tab, newline, carriage return or NUL."""
    for k, label in enumerate(labels):
        if any(ch in label for ch in (*_FORBIDDEN, "\x00")):
            rows = np.flatnonzero(codes == k)
            ctx.fail(col.name, rows, [label] * min(rows.size, _MAX_LISTED), _CONTROL_WHY)


def _to_strings(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Text as a numpy ``StringDType`` array; missing cells (None, NaN, pandas.NA) become ``""``."""
    if arr.dtype == STRING:
        return arr
    if arr.dtype.kind == "S":
        return arr.astype(STRING)  # numpy casts bytes to StringDType as UTF-8: no Python step
    if arr.dtype == object:
        out = arr.astype(STRING)
        maybe = np.flatnonzero(np.isin(out, ["None", "nan", "NaN", "<NA>", "NaT"]))
        if maybe.size:
            missing = [int(i) for i in maybe if _is_missing(arr[i])]
            out[missing] = ""
        return out
    return arr.astype(STRING)


def _parse_bool(v: Any) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)) and v in (0, 1):
        return bool(v)
    text = str(v).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(v)


def _parse_count(v: Any) -> int:
    if isinstance(v, str):
        v = v.strip() or "0"
    f = float(v)
    if f != int(f) or f < 0:
        raise ValueError(v)
    return int(f)


def _parse_cap(v: Any) -> int:
    if v is None or (isinstance(v, str) and not v.strip()):
        return -1
    return _parse_count(v)


def _parse_date(v: Any) -> np.datetime64:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return np.datetime64("NaT", "D")
    if isinstance(v, np.datetime64):
        return cast("np.datetime64", v.astype("datetime64[D]"))
    d = to_optional_date(v)
    return np.datetime64("NaT", "D") if d is None else np.datetime64(d, "D")


_CODE_WHY = (
    "not a valid 统一社会信用代码 (GB 32100-2015: 18 characters from 0-9 and A-Y without "
    "I O S V Z, digits in positions 3–8, correct check character)"
)
_CODE_FIX = (
    "correct the code from the business licence; load with legacy_codes=True to keep a legacy "
    "code (each one is reported)"
)
_LEGACY_WHY = "a legacy credit code, kept (legacy_codes=True)"
_ASCII_WHY = "a credit code has only ASCII letters and digits"
_EMPTY_WHY = "a required id is empty"
_FIXES = {
    _CODE_WHY: _CODE_FIX,
    _ASCII_WHY: "retype the code: full-width characters (０-９, Ａ-Ｚ) are not allowed",
    _EMPTY_WHY: "fill in the id or delete the row",
    SCIENTIFIC_WHY: "format the column as text (文本) in Excel and export the codes again",
}


def _parse_codes(
    col: _Col, arr: np.ndarray[Any, Any], ctx: _Context, legacy_codes: bool
) -> npt.NDArray[np.bytes_]:
    """Credit codes as ``S18`` ASCII, stripped of surrounding spaces; a new array, always.

    Every bad code is reported once, under its first problem in the order: not ASCII, too
    long, a control character, empty, scientific notation, then (unless ``legacy_codes``)
    failing GB 32100.
    """
    reported = np.zeros(arr.shape[0], dtype=bool)

    def report(bad: npt.NDArray[np.intp], values: Callable[[int], str], why: str) -> None:
        bad = bad[~reported[bad]]
        if bad.size:
            reported[bad] = True
            ctx.fail(col.name, bad, [values(int(i)) for i in bad[:_MAX_LISTED]], why)

    if arr.dtype.kind != "S":
        text = _to_strings(arr)
        encoded = np.asarray(np.strings.encode(text, "utf-8"))
        bad = np.flatnonzero(np.strings.str_len(encoded) != np.strings.str_len(text))
        report(bad, lambda i: str(text[i]), _ASCII_WHY)
        arr = encoded
    if arr.dtype.itemsize > 18:
        arr = np.strings.strip(arr)
        bad = np.flatnonzero(np.strings.str_len(arr) > 18)
        report(
            bad,
            lambda i: arr[i].decode("utf-8", "replace"),
            "a credit code has at most 18 characters",
        )
    codes = np.array(arr, dtype="S18")  # always a copy: the caller's array is never touched
    suspect = np.flatnonzero(~credit_code_mask(codes))
    if suspect.size == 0:
        return codes
    # Only codes that fail the check need the slower checks (spaces, characters, emptiness).
    codes[suspect] = np.strings.strip(codes[suspect])

    def shown(i: int) -> str:
        return str(codes[i].decode("utf-8", "replace"))

    raw = codes[suspect].view(np.uint8).reshape(suspect.size, 18)
    nul_inside = ((raw[:, :-1] == 0) & (raw[:, 1:] != 0)).any(axis=1)
    control = (((raw < 0x20) & (raw != 0)) | (raw == 0x7F)).any(axis=1) | nul_inside
    report(suspect[control], shown, _CONTROL_WHY)
    report(suspect[(raw >= 0x80).any(axis=1)], shown, _ASCII_WHY)
    report(suspect[raw[:, 0] == 0], lambda i: "", _EMPTY_WHY)
    scientific = np.array([is_scientific(shown(int(i))) for i in suspect], dtype=bool)
    report(suspect[scientific], shown, SCIENTIFIC_WHY)
    invalid = suspect[~credit_code_mask(codes[suspect]) & ~reported[suspect]]
    if not legacy_codes:
        report(invalid, shown, _CODE_WHY)
    elif invalid.size:
        values = [shown(int(i)) for i in invalid[:_MAX_LISTED]]
        fixes = [f"{credit_code_problem(v)}; check it against the licence" for v in values]
        ctx.fail(col.name, invalid, values, _LEGACY_WHY, fixes, note=True)
    return codes


def _parse_labels(col: _Col, arr: np.ndarray[Any, Any], ctx: _Context) -> Categorical:
    """Factorize a label column; labels are stripped of surrounding spaces."""
    inv, uniq = _factorize_text(arr)
    lookup: dict[str, int] = {}
    remap = np.array([lookup.setdefault(str(u).strip(), len(lookup)) for u in uniq], dtype=np.int32)
    codes = remap[inv] if remap.size else np.zeros(arr.shape[0], dtype=np.int32)
    labels = tuple(lookup)
    _check_labels(col, codes, labels, ctx)
    return Categorical(codes, labels)


def _parse_tags(col: _Col, arr: np.ndarray[Any, Any], ctx: _Context) -> TagSet:
    if arr.dtype.kind in "SU" or arr.dtype == STRING:
        inv, uniq = _factorize_text(arr)
        per_value = _tagset(col, uniq, ctx)
        return TagSet(per_value.bits[inv], per_value.names)
    values = [
        ("" if not isinstance(v, (str, Iterable)) and _is_missing(v) else v) for v in arr.tolist()
    ]
    tags = _tagset(col, values, ctx)
    for k, name in enumerate(tags.names):
        if ";" in name or "；" in name or name != name.strip() or not name:
            rows = np.flatnonzero((tags.bits >> np.uint64(k)) & np.uint64(1))
            ctx.fail(
                col.name,
                rows,
                [name] * min(rows.size, _MAX_LISTED),
                "a tag is a non-empty label without ';' or surrounding spaces",
            )
    return tags


def _tagset(col: _Col, values: Sequence[Any], ctx: _Context) -> TagSet:
    try:
        tags = TagSet.from_values(values)
    except ValueError as exc:
        raise RosterError(str(exc), source=ctx.source, column=col.name) from None
    for k, name in enumerate(tags.names):
        if any(ch in name for ch in (*_FORBIDDEN, "\x00")):
            rows = np.flatnonzero((tags.bits >> np.uint64(k)) & np.uint64(1))
            ctx.fail(col.name, rows, [name] * min(rows.size, _MAX_LISTED), _CONTROL_WHY)
    return tags


def _ready_column(col: _Col, raw: Categorical | TagSet, n: int, ctx: _Context) -> Column:
    """Accept a column already in stored form (codes + labels, or bit masks + names).

    A risk class may come as a :class:`Categorical` too: its labels are read as risk classes
    (A–E or the Chinese labels), once per label.
    """
    wanted = (
        Categorical if col.kind in ("category", "risk") else TagSet if col.kind == "tags" else None
    )
    if wanted is None or not isinstance(raw, wanted):
        raise RosterError(
            f"a {type(raw).__name__} column is only accepted for "
            + ("label" if isinstance(raw, Categorical) else "tag")
            + f" columns; {col.name!r} holds {col.kind} values",
            source=ctx.source,
            column=col.name,
        )
    if len(raw) != n:
        raise RosterError(
            f"has {len(raw)} values but the roster has {n} rows", source=ctx.source, column=col.name
        )
    if isinstance(raw, Categorical):
        codes = np.asarray(raw.codes)
        if codes.size and (codes.min() < 0 or codes.max() >= len(raw.categories)):
            bad = np.flatnonzero((codes < 0) | (codes >= len(raw.categories)))
            ctx.fail(
                col.name,
                bad,
                [int(codes[i]) for i in bad[:_MAX_LISTED]],
                f"a category code must be in 0…{len(raw.categories) - 1}",
            )
            ctx.raise_if_any()  # the codes cannot index the labels: stop here
        labels = [str(c).strip() for c in raw.categories]
        if col.kind == "risk":
            return _risk_codes(col, codes, labels, ctx)
        _check_labels(col, codes, labels, ctx)
        return Categorical(codes.astype(np.int32, copy=False), tuple(labels))
    _check_labels(col, np.zeros(0), list(raw.names), ctx)
    if any(";" in t for t in raw.names):
        raise RosterError("a tag must not contain ';'", source=ctx.source, column=col.name)
    if len(raw.names) < 64 and (raw.bits >> np.uint64(len(raw.names))).any():
        raise RosterError(
            "a tag bit is set beyond the listed tag names", source=ctx.source, column=col.name
        )
    return raw


_RISK_WHY = (
    "unknown risk class; use A, B, C, D or E or a label such as 信用风险低 / 一般 / 较高 / 高"
)


def _risk_codes(
    col: _Col, codes: npt.NDArray[Any], labels: Sequence[str], ctx: _Context
) -> npt.NDArray[np.uint8]:
    """Risk classes from category codes: each label parsed once, its rows failed if it is bad."""
    table = np.zeros(len(labels), dtype=np.uint8)
    for k, label in enumerate(labels):
        try:
            table[k] = RiskClass.parse(label).index
        except ValueError:
            rows = np.flatnonzero(codes == k)
            ctx.fail(col.name, rows, [label] * min(rows.size, _MAX_LISTED), _RISK_WHY)
    return np.asarray(table[codes])


def _parse_column(col: _Col, raw: Any, n: int, ctx: _Context, legacy_codes: bool) -> Column:
    if isinstance(raw, (Categorical, TagSet)):
        return _ready_column(col, raw, n, ctx)
    if col.kind == "tags" and not isinstance(raw, np.ndarray) and isinstance(raw, Sequence):
        raw = np.array([*raw, None], dtype=object)[:-1]  # keep lists of labels one per row
    arr = _as_array(raw)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RosterError(
            f"has {arr.shape[0] if arr.ndim else 0} values but the roster has {n} rows",
            source=ctx.source,
            column=col.name,
        )
    kind = col.kind
    if kind == "code":
        return _parse_codes(col, arr, ctx, legacy_codes)
    if kind in ("id", "text"):
        text = _to_strings(arr)
        if kind == "id":
            text = np.strings.strip(text)
        _check_text(col, text, ctx, empty_ok=kind == "text")
        return text
    if kind == "risk":
        return _map_uniques(
            col,
            arr,
            lambda v: RiskClass.parse(v).index,
            ctx,
            _RISK_WHY,
            np.uint8,
            blank=(
                "a blank risk class",
                "fill in the class (A–E) from the latest 信用风险分类 result; ask the credit "
                "department for a target not yet classified, or delete the row",
            ),
        )
    if kind == "category":
        return _parse_labels(col, arr, ctx)
    if kind == "tags":
        return _parse_tags(col, arr, ctx)
    if kind == "bool":
        if arr.dtype == np.bool_:
            return arr.copy()
        return _map_uniques(
            col, arr, _parse_bool, ctx, "not a yes/no value; use 1/0, true/false or 是/否", bool
        )
    if kind == "count":
        if arr.dtype.kind in "iu":
            bad = np.flatnonzero(arr < 0)
            if bad.size:
                ctx.fail(
                    col.name,
                    bad,
                    [int(arr[i]) for i in bad[:_MAX_LISTED]],
                    "must be a whole number ≥ 0",
                )
            too_big = np.flatnonzero(arr > np.iinfo(np.int32).max)
            if too_big.size:
                ctx.fail(
                    col.name,
                    too_big,
                    [int(arr[i]) for i in too_big[:_MAX_LISTED]],
                    f"must be at most {np.iinfo(np.int32).max}",
                )
            return arr.astype(np.int32)
        return _map_uniques(col, arr, _parse_count, ctx, "must be a whole number ≥ 0", np.int32)
    if kind == "cap":
        if arr.dtype.kind in "iu":
            bad = np.flatnonzero(arr < 0)
            if bad.size:  # a negative cap is a typo, not "no cap" (that is an empty cell)
                ctx.fail(
                    col.name,
                    bad,
                    [int(arr[i]) for i in bad[:_MAX_LISTED]],
                    "must be a whole number ≥ 0 (empty for no cap)",
                )
            return arr.astype(np.int32)
        return _map_uniques(
            col, arr, _parse_cap, ctx, "must be a whole number ≥ 0 (empty for no cap)", np.int32
        )
    if kind == "date":
        if arr.dtype.kind == "M":
            return arr.astype("datetime64[D]")
        return _map_uniques(
            col,
            arr,
            _parse_date,
            ctx,
            f"not a date; use {DATE_FORMS} (empty for none)",
            "datetime64[D]",
        )
    raise AssertionError(kind)  # pragma: no cover


def _parse_extra(name: str, raw: Any, n: int, ctx: _Context) -> np.ndarray[Any, Any]:
    arr = _as_array(raw)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RosterError(
            f"has {arr.shape[0] if arr.ndim else 0} values but the roster has {n} rows",
            source=ctx.source,
            column=name,
        )
    if arr.dtype.kind in "iufb":
        return arr.astype(np.float64)
    inv, uniq = _factorize_text(arr)
    try:
        table = np.array([float(u) if str(u).strip() else np.nan for u in uniq], dtype=np.float64)
    except (ValueError, TypeError):
        text = _to_strings(arr)
        _check_text(_Col(name, "text"), text, ctx, empty_ok=True)
        return text
    return np.asarray(table[inv]) if len(uniq) else np.zeros(n, dtype=np.float64)


def _default_column(col: _Col, n: int) -> Column:
    if col.kind == "text":
        return np.full(n, "", dtype=STRING)
    if col.kind == "category":
        return Categorical(np.zeros(n, dtype=np.int32), (str(_DEFAULTS.get(col.name, "")),))
    if col.kind == "tags":
        return TagSet(np.zeros(n, dtype=np.uint64), ())
    if col.kind == "bool":
        return np.full(n, bool(_DEFAULTS.get(col.name, False)), dtype=bool)
    if col.kind == "count":
        return np.zeros(n, dtype=np.int32)
    if col.kind == "cap":
        return np.full(n, -1, dtype=np.int32)
    if col.kind == "date":
        return np.full(n, np.datetime64("NaT", "D"))
    raise AssertionError(col.kind)  # pragma: no cover


def _take(column: Column, rows: npt.NDArray[np.intp]) -> Column:
    if isinstance(column, (Categorical, TagSet)):
        return column.take(rows)
    return column[rows]


_RANGE_TABLE_MAX = 1 << 14  # a table over a range of values this long costs < 10 ms to build


def _canonical_bytes(col: _Col | None, column: Column) -> tuple[np.ndarray[Any, Any], Any]:
    """A per-row index into a byte table, or a byte array, giving each row's canonical text.

    The table may hold values no row has (counts and dates index a whole range of values).
    """
    if isinstance(column, Categorical):
        table = np.array([c.encode("utf-8") for c in column.categories] or [b""])
        return column.codes, table
    if isinstance(column, TagSet):
        if (1 << len(column.names)) <= max(64, min(len(column), 4096)):
            # Every combination of the few labels: no sort of the rows.
            combos = [
                ";".join(n for k, n in enumerate(column.names) if b >> k & 1).encode("utf-8")
                for b in range(1 << len(column.names))
            ]
            return column.bits.astype(np.intp), np.array(combos)
        inv, labels = column.joined()
        return inv, np.array([t.encode("utf-8") for t in labels] or [b""])
    if col is not None and col.kind == "risk":
        return column, np.array([r.encode() for r in RISK_LETTERS])
    if column.dtype == np.bool_:
        return column.view(np.uint8), np.array([b"0", b"1"])
    if column.dtype.kind == "S":
        return column, None
    if column.dtype == STRING:
        return column, "utf-8"
    if column.dtype == np.dtype("datetime64[D]") and column.size:
        days = column.view(np.int64)
        nat = np.isnat(column)
        some_nat = bool(nat.any())
        if some_nat and nat.all():  # no dates at all
            return np.zeros(column.shape[0], dtype=np.intp), np.array([b""])
        known = days[~nat] if some_nat else days
        lo, hi = int(known.min()), int(known.max())
        if hi - lo < _RANGE_TABLE_MAX:  # index a table of every day from lo to hi
            idx = days - (lo - 1)
            if some_nat:
                idx[nat] = 0
            days_text = [str(np.datetime64(d, "D")).encode() for d in range(lo, hi + 1)]
            return idx.astype(np.intp, copy=False), np.array([b"", *days_text])
    if column.dtype.kind == "M":
        uniq, inv = np.unique(column, return_inverse=True)
        texts: list[bytes] = [
            b"" if np.isnat(u) else str(u.astype("datetime64[D]")).encode() for u in uniq
        ]
        return inv.astype(np.intp), np.array(texts or [b""])
    if column.dtype.kind in "iu":
        if column.size:
            lo, hi = int(column.min()), int(column.max())
            if hi - lo < _RANGE_TABLE_MAX:
                idx = column.astype(np.intp) - lo
                return idx, np.array([str(v).encode() for v in range(lo, hi + 1)])
        uniq, inv = np.unique(column, return_inverse=True)
        return inv.astype(np.intp), np.array([str(int(u)).encode() for u in uniq] or [b""])
    if column.dtype.kind == "f":
        uniq, inv = np.unique(column, return_inverse=True)
        return inv.astype(np.intp), _float_texts(uniq)
    raise AssertionError(column.dtype)  # pragma: no cover


def _float_text(x: float) -> str:
    # The recipe: "numbers as integers when whole, else Python's repr; a missing number empty".
    if np.isnan(x):
        return ""
    if np.isfinite(x) and x == int(x):
        return str(int(x))
    return repr(x)


def _float_texts(values: npt.NDArray[np.float64]) -> npt.NDArray[np.bytes_]:
    """:func:`_float_text` of each value, as ASCII bytes; whole numbers and the rest in bulk."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return np.array([b""])
    nan = np.isnan(values)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.trunc(values))
    other = ~nan & ~whole
    if other.all():
        return np.array(list(map(float.__repr__, values.tolist())), dtype=np.bytes_)
    out = np.full(values.shape[0], "", dtype=object)
    out[whole] = list(map(str, map(int, values[whole].tolist())))
    out[other] = list(map(float.__repr__, values[other].tolist()))
    return np.array(out.tolist(), dtype=np.bytes_)


def _utf8_lut() -> npt.NDArray[Any]:
    """UTF-8 of every code point below U+10000 as a little-endian word, NUL bytes after."""
    lut: npt.NDArray[Any] | None = _UTF8_LUT.get("lut")
    if lut is None:
        cp = np.arange(1 << 16, dtype=np.uint32)
        two = (0xC0 | cp >> 6) | (0x80 | cp & 0x3F) << 8
        three = (0xE0 | cp >> 12) | (0x80 | (cp >> 6) & 0x3F) << 8 | (0x80 | cp & 0x3F) << 16
        lut = np.where(cp < 0x80, cp, np.where(cp < 0x800, two, three)).astype("<u4")
        _UTF8_LUT["lut"] = lut
    return lut


_UTF8_LUT: dict[str, npt.NDArray[Any]] = {}


def _utf8_cells(text: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    """UTF-8 of each string of a ``U`` array as a NUL-padded byte matrix (4 bytes per char).

    Each character takes four bytes: its UTF-8 encoding followed by NULs; dropping every NUL
    (strings hold none) leaves exactly ``s.encode("utf-8")``.
    """
    m = text.shape[0]
    w = text.dtype.itemsize // 4
    if w == 0:
        return np.zeros((m, 0), dtype=np.uint8)
    v = np.ascontiguousarray(text).view(np.uint32).reshape(m, w)
    words = _utf8_lut()[v.astype(np.uint16)]
    high = v >= 0x10000
    if high.any():
        c = v[high]
        words[high] = (
            (0xF0 | c >> 18)
            | (0x80 | (c >> 12) & 0x3F) << 8
            | (0x80 | (c >> 6) & 0x3F) << 16
            | (0x80 | c & 0x3F) << 24
        )
    return words.view(np.uint8).reshape(m, 4 * w)


def _void_rows(mat: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
    """The rows of a byte matrix as one void item each."""
    mat = np.ascontiguousarray(mat)
    return mat.view(f"V{mat.shape[1]}").reshape(mat.shape[0])


class _Pieces:
    """Writes rows' canonical lines: cells side by side in a NUL-padded byte matrix.

    Each row of the matrix holds the row's cells in column order, each cell followed by the
    separator (``\\n`` after the last); cells are padded with NUL bytes, which values never
    contain, and dropping every NUL (``bytes.translate``) leaves the lines. Adjacent columns
    with small tables are merged into one table of all their combinations, so a chunk of rows
    costs one gather per group of columns.
    """

    _MERGED_MAX = 4096  # entries of a merged table
    _TEXT_BUDGET = 1 << 27  # bytes for a whole text column as UTF-32 (else chunk by chunk)
    _CHUNK_BYTES = 1 << 26  # most bytes of one matrix

    def __init__(self, parts: list[tuple[np.ndarray[Any, Any], Any]], sep: bytes, n: int) -> None:
        # kind "table": (codes, uint8 matrix of the table with the separator appended);
        # kind "raw": (S array, separator); kind "text": (strings, separator, UTF-32 or None)
        self.items: list[tuple[str, Any, Any, Any]] = []
        self._block = bytearray()
        last = len(parts) - 1
        for j, (idx, table) in enumerate(parts):
            end = b"\n" if j == last else sep
            if table is None or isinstance(table, str):
                whole = None
                if isinstance(table, str) and n:
                    if (idx == "").all():
                        whole = np.zeros(n, dtype="U1")
                    else:
                        width = int(np.strings.str_len(idx).max())
                        if n * 4 * width <= self._TEXT_BUDGET:
                            whole = idx.astype(f"U{width}")
                self.items.append(("raw" if table is None else "text", idx, end, whole))
                continue
            entries = np.asarray(table)
            w = entries.dtype.itemsize
            mat = np.zeros((entries.shape[0], w + 1), dtype=np.uint8)
            mat[:, :w] = np.ascontiguousarray(entries).view(np.uint8).reshape(-1, w)
            mat[:, w] = end[0]
            prev = self.items[-1] if self.items else None
            if (
                prev is not None
                and prev[0] == "table"
                and prev[2].shape[0] * mat.shape[0] <= self._MERGED_MAX
            ):
                k = mat.shape[0]
                # prev * k + idx, in 16 bits (a merged table has at most 4,096 entries): a
                # quarter of the memory traffic of 64-bit codes.
                codes = np.empty(idx.shape[0], dtype=np.uint16)
                np.multiply(prev[1], k, out=codes, casting="unsafe")
                np.add(codes, idx, out=codes, casting="unsafe")
                merged = np.concatenate(
                    [np.repeat(prev[2], k, axis=0), np.tile(mat, (prev[2].shape[0], 1))], axis=1
                )
                self.items[-1] = ("table", codes, merged, _void_rows(merged))
            else:
                self.items.append(("table", idx, mat, _void_rows(mat)))

    def lines(self, rows: npt.NDArray[np.intp], in_order: bool) -> Iterator[bytearray]:
        """The lines of ``rows``, as one or more blocks of bytes."""
        cells, width = self._cells(rows, in_order)
        m = rows.shape[0]
        if m > 1 and m * width > self._CHUNK_BYTES:
            half = m // 2
            yield from self.lines(rows[:half], in_order)
            yield from self.lines(rows[half:], in_order)
            return
        self._fill(cells, m, width)
        yield self._block.translate(None, b"\x00")

    def segments(self, rows: npt.NDArray[np.intp], cuts: Sequence[int]) -> Iterator[bytes]:
        """The lines of ``rows[cuts[k]:cuts[k + 1]]`` for each ``k``, as one block each."""
        cells, width = self._cells(rows, False)
        self._fill(cells, rows.shape[0], width)
        for a, b in itertools.pairwise(cuts):
            yield bytes(self._block[a * width : b * width].translate(None, b"\x00"))

    def _cells(
        self, rows: npt.NDArray[np.intp], in_order: bool
    ) -> tuple[list[tuple[int, npt.NDArray[Any] | int]], int]:
        m = rows.shape[0]
        # Per cell: (width, one void item of that width per row) or (1, separator byte).
        cells: list[tuple[int, npt.NDArray[Any] | int]] = []
        for kind, values, end, whole in self.items:
            if kind == "table":
                w = whole.dtype.itemsize
                cells.append((w, whole[values[rows]]))
                continue
            if kind == "raw":
                raw = np.take(values, rows)  # faster than values[rows] for S18 items
                w = raw.dtype.itemsize
                cells.append((w, raw.view(f"V{w}") if w else raw))
            else:
                if whole is None:
                    if in_order:
                        text = values[rows]
                    else:  # a StringDType gather is several times faster in row order
                        srt = np.argsort(rows)
                        text = np.empty(m, dtype=STRING)
                        text[srt] = values[rows[srt]]
                    width = int(np.strings.str_len(text).max()) if text.size else 0
                    u = text.astype(f"U{max(width, 1)}")
                else:
                    u = whole[rows]
                utf8 = _utf8_cells(u)
                w = utf8.shape[1]
                cells.append((w, utf8.view(f"V{w}").reshape(m) if w else utf8))
            cells.append((1, end[0]))
        return cells, sum(w for w, _ in cells)

    def _fill(self, cells: list[tuple[int, npt.NDArray[Any] | int]], m: int, width: int) -> None:
        """Write the cells side by side into ``self._block`` (``m`` rows of ``width`` bytes)."""
        if len(self._block) != m * width:
            self._block = bytearray(m * width)
        buf = np.frombuffer(self._block, dtype=np.uint8).reshape(m, width)
        offset = 0
        for w, c in cells:
            if isinstance(c, int):
                buf[:, offset] = c
            elif w:
                buf[:, offset : offset + w].view(f"V{w}")[:, 0] = c
            offset += w
        del buf


#: Encodings whose multi-byte characters never hold a byte below 0x30, so that commas, quotes
#: and line breaks are found in the raw bytes, as in UTF-8 (see :func:`_split_csv`).
_ASCII_SAFE = frozenset({"gb18030", "gbk", "gb2312"})


def _read_file(
    path: str | os.PathLike[str], encoding: str, source: str | None
) -> tuple[bytes, str]:
    """The file's bytes and their encoding: ``"utf-8"`` (without a BOM), or a GBK family
    encoding of :data:`_ASCII_SAFE`, left to :func:`_split_csv` to decode field by field.

    A BOM decides the encoding, else ``encoding``.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise RosterError(f"cannot open the file: {exc.strerror}", source=source) from None
    name, skip = _textio.detect(data, encoding)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        codec = ""  # to_utf8 names the unknown encoding
    if not skip and codec in _ASCII_SAFE:
        return data, codec
    return _textio.to_utf8(data, encoding, _fail_at(source)), "utf-8"


def _fail_at(source: str | None) -> Callable[[str, int], RosterError]:
    def fail(message: str, row: int) -> RosterError:
        return RosterError(message, source=source, row=row or None)

    return fail


def _to_utf8_column(col: np.ndarray[Any, Any], encoding: str) -> np.ndarray[Any, Any]:
    """A column of raw ``S`` fields in ``encoding`` as UTF-8 ``S`` fields (raises
    ``UnicodeDecodeError``). ASCII columns are returned as they are; a column of a few distinct
    values decodes those; any other joins its fields with line breaks (no field holds one on
    this path) and decodes them in one call."""
    if col.dtype.kind != "S" or not col.size or not (col.view(np.uint8) >= 0x80).any():
        return col
    if np.unique(col[:4096]).size <= 64:
        inv, uniq = _factorize_fixed(col)
        utf8 = np.array([u.decode(encoding).encode("utf-8") for u in uniq.tolist()])
        return utf8[inv]
    text = b"\n".join(col.tolist()).decode(encoding)
    return np.array(text.encode("utf-8").split(b"\n"))


def _split_csv(
    data: bytes, delimiter: str, source: str | None, encoding: str = "utf-8"
) -> tuple[list[str], list[np.ndarray[Any, Any]], npt.NDArray[np.intp] | None, bool]:
    """Split CSV bytes (UTF-8, or ``encoding`` of :data:`_ASCII_SAFE`) into the header and one
    array per column.

    Returns the header, the columns (raw UTF-8 ``S`` arrays on the fast path, strings otherwise),
    the 1-based row number of each data row when blank lines were skipped (else ``None``: rows
    2, 3, …), and whether the columns are known to hold no NUL.

    Files without a double quote are split by numpy on the raw bytes, with no Python work per
    row; files with quoting go through the standard :mod:`csv` module. A GBK/GB18030 file takes
    the same fast path: no byte of a multi-byte character is below 0x30, so the separators and
    line breaks are where they are in UTF-8, and each column is decoded on its own (a column of
    ASCII, such as the credit codes, not at all) instead of the whole file.
    """
    if encoding != "utf-8" and (
        b'"' in data or b"\r" in data or not delimiter.isascii() or b"\x00" in data
    ):
        data = _textio.to_utf8(data, encoding, _fail_at(source))
        encoding = "utf-8"
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise RosterError(
            f"the delimiter must be one character other than a quote or a line "
            f"break, got {delimiter!r}",
            source=source,
        )
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    if not data.strip(b"\n"):
        raise RosterError("the file is empty (no header row)", source=source)
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        raise RosterError("the file holds a NUL byte; " + _CONTROL_WHY, source=source, row=row)
    if b'"' in data or b"\r" in data or not delimiter.isascii():
        return (*_split_csv_module(data.decode("utf-8"), delimiter, source), True)
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    ends = newlines if buf[-1] == 10 else np.append(newlines, buf.size)
    starts = np.concatenate(([0], ends[:-1] + 1))
    try:
        header = data[: ends[0]].decode(encoding).split(delimiter)
    except UnicodeDecodeError:
        _textio.to_utf8(data, encoding, _fail_at(source))  # raises, naming the row
        raise RosterError(f"is not {encoding} text", source=source, row=1) from None
    if header == [""]:
        raise RosterError("the header row is empty", source=source, row=1)
    width = len(header)
    seps = np.flatnonzero(buf == ord(delimiter))
    blank = ends[1:] == starts[1:]
    lines = np.flatnonzero(~blank) + 1
    # Every data line has width - 1 separators exactly when there are that many in all and each
    # line's share lies inside it (separators are in file order). Checked in O(lines).
    ok = seps.size == (lines.size + 1) * (width - 1)
    if ok and width > 1:
        fields = seps[width - 1 :].reshape(lines.size, width - 1)
        ok = bool((fields[:, 0] >= starts[lines]).all() & (fields[:, -1] < ends[lines]).all())
    if not ok:
        per_line = np.bincount(np.searchsorted(ends, seps), minlength=ends.size)
        bad = np.flatnonzero((per_line[1:] != width - 1) & ~blank)
        raise RosterError(
            f"has {int(per_line[bad[0] + 1]) + 1} fields but the header has {width}",
            source=source,
            row=int(bad[0]) + 2,
        )
    fields = seps[width - 1 :].reshape(lines.size, width - 1)
    columns = []
    for j in range(width):
        first = starts[lines] if j == 0 else fields[:, j - 1] + 1
        last = fields[:, j] if j < width - 1 else ends[lines]
        column = _gather(data, buf, first, last, encoding)
        if encoding != "utf-8":
            try:
                column = _to_utf8_column(column, encoding)
            except UnicodeDecodeError:
                # Decoding the whole file names the row of the bad bytes.
                _textio.to_utf8(data, encoding, _fail_at(source))
                raise RosterError(f"is not {encoding} text", source=source) from None
        columns.append(column)
    return header, columns, (lines + 1 if blank.any() else None), True


def _quoted_path(data: bytes, delimiter: str) -> bool:
    """Whether :func:`_split_csv` reads ``data`` with the csv module (fields may hold newlines)."""
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    return b'"' in data or lone_cr or not delimiter.isascii()


def _gather(
    data: bytes,
    buf: npt.NDArray[np.uint8],
    first: npt.NDArray[np.intp],
    last: npt.NDArray[np.intp],
    encoding: str = "utf-8",
) -> np.ndarray[Any, Any]:
    """Fields ``data[first[i]:last[i]]`` as a fixed-width ``S`` array, built by numpy (as
    strings, decoded from ``encoding``, when a few very long values would make it huge)."""
    n = first.size
    lengths = last - first
    width = int(lengths.max()) if n else 0
    if width == 0:
        return np.zeros(n, dtype="S1")
    if n * width > 4 * buf.size + (1 << 24):  # a few very long values: avoid a huge matrix
        return np.array(
            [
                data[a:b].decode(encoding)
                for a, b in zip(first.tolist(), last.tolist(), strict=True)
            ],
            dtype=STRING,
        )
    out = np.empty((n, width), dtype=np.uint8)
    offsets = np.arange(width)
    step = max(1, (1 << 20) // width)
    same_width = bool((lengths == width).all())  # e.g. credit codes: no padding to clear
    for a in range(0, n, step):
        block = out[a : a + step]
        np.take(buf, first[a : a + step, None] + offsets, mode="clip", out=block)
        if not same_width:
            block[offsets >= lengths[a : a + step, None]] = 0
    return out.view(f"S{width}").reshape(n)


def _split_csv_module(
    text: str, delimiter: str, source: str | None
) -> tuple[list[str], list[np.ndarray[Any, Any]], npt.NDArray[np.intp] | None]:
    """The :mod:`csv` module's reading (quoted fields), a chunk of rows at a time."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:  # pragma: no cover - an empty text is caught before
        raise RosterError("the file is empty (no header row)", source=source) from None
    if not header:
        raise RosterError("the header row is empty", source=source, row=1)
    width = len(header)
    chunks: list[list[np.ndarray[Any, Any]]] = [[] for _ in range(width)]
    numbers: list[int] = []
    row = 1
    gc_was_on = gc.isenabled()
    gc.disable()  # millions of short-lived lists: the cyclic collector only slows this down
    try:
        while True:
            block = []
            consumed = 0
            for record in itertools.islice(reader, 1 << 16):
                consumed += 1
                row += 1
                if len(record) != width:
                    if not record:
                        continue  # a blank line, as the csv module reads it
                    raise RosterError(
                        f"has {len(record)} fields but the header has {width}",
                        source=source,
                        row=row,
                    )
                block.append(record)
                numbers.append(row)
            if block:
                for chunk, values in zip(chunks, zip(*block, strict=True), strict=True):
                    chunk.append(np.array(values, dtype=object).astype(STRING))
            if consumed == 0:
                break
    except csv.Error as exc:
        raise RosterError(f"is not valid CSV ({exc})", source=source, row=row + 1) from None
    finally:
        if gc_was_on:
            gc.enable()
    columns = [np.concatenate(c) if c else np.zeros(0, dtype=STRING) for c in chunks]
    rows = np.array(numbers, dtype=np.intp)
    consecutive = rows.size == 0 or int(rows[-1]) == rows.size + 1
    return header, columns, (None if consecutive else rows)


def _arrays_of(values: Iterable[Any]) -> list[np.ndarray[Any, Any]]:
    """The numpy arrays inside column values (plain arrays, Categorical codes, TagSet bits)."""
    out: list[np.ndarray[Any, Any]] = []
    for v in values:
        if isinstance(v, Categorical):
            out.append(v.codes)
        elif isinstance(v, TagSet):
            out.append(v.bits)
        elif isinstance(v, np.ndarray):
            out.append(v)
    return out


def _nbytes(value: Any) -> int:
    """The bytes held by arrays, Categorical/TagSet columns and bytes, in nested containers."""
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, Categorical):
        return int(value.codes.nbytes)
    if isinstance(value, TagSet):
        return int(value.bits.nbytes)
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, dict):
        return _nbytes(list(value.values()))
    if isinstance(value, (list, tuple)):
        return sum(_nbytes(v) for v in value)
    return 0


def _copy_column(value: Any) -> Any:
    if isinstance(value, Categorical):
        return Categorical(value.codes.copy(), value.categories)
    if isinstance(value, TagSet):
        return TagSet(value.bits.copy(), value.names)
    return value.copy()


class _Roster:
    """Shared machinery of the two directories (columns, validation, CSV, digest)."""

    COLUMNS: ClassVar[tuple[_Col, ...]]
    ID: ClassVar[str]
    RECIPE: ClassVar[str]
    _PUBLIC_NAME: ClassVar[str]

    __slots__ = ("_cache", "_columns", "_extra", "_n", "source")

    def __init__(
        self,
        columns: Mapping[str, Column],
        extra: Mapping[str, np.ndarray[Any, Any]],
        source: str | None = None,
    ) -> None:
        # Private: use the from_* constructors, which validate. The arrays become read-only:
        # a roster is a frozen frame (its digest is cached and published), so neither the
        # roster nor an array handed out by ``to_columns`` can be changed in place.
        self._columns = dict(columns)
        self._extra = dict(extra)
        for arr in _arrays_of([*self._columns.values(), *self._extra.values()]):
            arr.setflags(write=False)
        self._n = len(columns[self.ID])
        self._cache: dict[str, Any] = {}
        self.source = source

    def __len__(self) -> int:
        return self._n

    def __sizeof__(self) -> int:
        # What a roster holds, for memory accounting (Dask's ``sizeof`` falls back to this).
        held = [*self._columns.values(), *self._extra.values(), *self._cache.values()]
        return object.__sizeof__(self) + _nbytes(held)

    def __repr__(self) -> str:
        src = f", source={self.source!r}" if self.source else ""
        return f"{type(self).__name__}({self._n} rows{src})"

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Any],
        *,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
        source: str | None = None,
        _first_row: int = 1,
        _row_numbers: npt.NDArray[np.intp] | None = None,
        _nul_free: bool = False,
        _headers: Mapping[str, str] | None = None,
        _absent: str = "",
    ) -> Self:
        """Build a roster from a mapping of column name to values (arrays, lists, Series).

        Parameters
        ----------
        columns : mapping
            Canonical column names (see the module's column tables) or accepted Chinese
            headers, each to a sequence of equal length. Values may be numpy arrays, lists or
            anything with ``to_numpy()`` (pandas, polars, pyarrow columns). Label columns may
            also be given in stored form as a :class:`Categorical` (so may ``risk_class``,
            its labels read as risk classes) and tag columns as a :class:`TagSet`, which skips
            factorizing (no per-row work).
        legacy_codes : bool
            Keep credit codes that fail GB 32100-2015 (legacy codes) instead of rejecting them.
            Each one kept is reported: a :class:`RosterWarning` counts them and the roster's
            :attr:`report` lists them (so does :meth:`TargetRoster.invalid_credit_codes`).
            Empty codes, codes with other than ASCII letters and digits and numbers in
            scientific notation (``9.14105E+17``) are refused even so.
        unknown_columns : {"error", "ignore", "keep"}
            What to do with a column that is neither a known column (or one of its Chinese
            headers) nor named in ``extra``: refuse the input (default), drop it with a
            :class:`RosterWarning` naming it, or keep it as one of the user's own columns (part
            of the roster's fingerprint; a verifier uses this to read a roster as published).
        extra : iterable of str, optional
            Names of the user's own columns to keep.
        source : str, optional
            A name for error messages (a file name).

        Raises
        ------
        RosterError
            Naming the column, the 1-based row and the value of the first problem; every
            problem of every column is checked first and listed in the error's ``report``
            (a :class:`~randcheck.ProblemReport`).
        """
        if unknown_columns not in ("error", "ignore", "keep"):
            raise ValueError(
                f"unknown_columns must be 'error', 'ignore' or 'keep', got {unknown_columns!r}"
            )
        names = {c.name: c for c in cls.COLUMNS}
        alias = {a: c.name for c in cls.COLUMNS for a in c.aliases}
        keep = set(extra or ())
        renamed: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        shown = dict(_headers or {})  # canonical name -> header as the user wrote it
        ignored: list[str] = []
        for key, values in columns.items():
            name = str(key).strip()
            canon = name if name in names else alias.get(name)
            if canon is not None:
                if canon in renamed:
                    raise RosterError(
                        f"column {canon!r} is given twice (as {name!r} too)",
                        source=source,
                        column=name,
                    )
                renamed[canon] = values
                shown.setdefault(canon, shown.get(name, name))
            elif name in keep or unknown_columns == "keep":
                if not name or any(ch in name for ch in (*_FORBIDDEN, "\x00")):
                    raise RosterError(
                        "a column name must be non-empty and without tab, newline, carriage "
                        "return or NUL (the fingerprint writes names tab-separated on one line)",
                        source=source,
                        column=name,
                    )
                extras[name] = values
            elif unknown_columns == "ignore":
                ignored.append(shown.get(name, name))
            else:
                raise RosterError(
                    "unknown column; known columns are "
                    + ", ".join(c.name for c in cls.COLUMNS)
                    + " (or their Chinese headers); pass extra=[...] to keep your own columns, "
                    "mapping={...} if it is a known column under another header, or "
                    "unknown_columns='ignore' to drop it",
                    source=source,
                    column=shown.get(name, name),
                )
        missing = [c.name for c in cls.COLUMNS if c.required and c.name not in renamed]
        if missing:
            raise RosterError(
                f"required column missing: {', '.join(missing)} (accepted headers: "
                + "; ".join(
                    f"{c.name}: {', '.join(c.aliases)}" for c in cls.COLUMNS if c.name in missing
                )
                + ")",
                source=source,
                column=missing[0],
            )
        ctx = _Context(
            source, _first_row, _row_numbers, nul_free=_nul_free, headers=shown, absent=_absent
        )
        for name in ignored:
            ctx.fail_column(name, "unknown column, ignored (unknown_columns='ignore')", note=True)
        id_values = _as_array(renamed[cls.ID])
        if id_values.ndim != 1:
            raise RosterError(
                "must be a one-dimensional sequence of ids", source=source, column=cls.ID
            )
        renamed[cls.ID] = id_values
        n = id_values.shape[0]
        parsed: dict[str, Column] = {}
        for col in cls.COLUMNS:
            if col.name in renamed:
                parsed[col.name] = _parse_column(col, renamed[col.name], n, ctx, legacy_codes)
            else:
                parsed[col.name] = _default_column(col, n)
        cls._check_vocabulary(parsed, ctx)
        parsed_extra = {k: _parse_extra(k, v, n, ctx) for k, v in sorted(extras.items())}
        # Never keep an array the caller still holds: copy any that share memory with the input.
        given = _arrays_of(columns.values())
        for store in (parsed, parsed_extra):
            for name, value in store.items():
                if any(np.may_share_memory(a, g) for a in _arrays_of([value]) for g in given):
                    store[name] = _copy_column(value)
        roster = cls(parsed, parsed_extra, source)
        roster._check_unique_ids(ctx)
        ctx.raise_if_any()
        if ctx.note_counts:
            notes = ctx.report(notes=True)
            roster._cache["report"] = notes
            warnings.warn(
                RosterWarning(notes.summary(first=3)),
                stacklevel=_stack_level(),
            )
        return roster

    @classmethod
    def _check_vocabulary(cls, parsed: dict[str, Column], ctx: _Context) -> None:
        """Check labels that have a fixed vocabulary (the target directory's 登记状态)."""

    @property
    def report(self) -> ProblemReport:
        """What loading accepted with a remark: legacy credit codes, ignored columns.

        Empty for a roster built without any (and for one made by :meth:`take`).
        """
        found: ProblemReport | None = self._cache.get("report")
        return found if found is not None else ProblemReport.of([], source=self.source)

    @classmethod
    def from_dataframe(
        cls,
        frame: Any,
        *,
        mapping: Mapping[str, str] | None = None,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
    ) -> Self:
        """Build from a DataFrame (pandas, polars or pyarrow; none is required by randcheck).

        ``mapping`` renames the frame's columns to canonical names first. Pandas categorical
        columns are taken as codes and categories, without a per-row step. ``legacy_codes``,
        ``unknown_columns`` and ``extra`` are as in :meth:`from_columns`.
        """
        mapping = dict(mapping or {})
        if hasattr(frame, "column_names"):  # pyarrow: ``columns`` holds the arrays, not names
            return cls.from_arrow(
                frame,
                mapping=mapping,
                legacy_codes=legacy_codes,
                unknown_columns=unknown_columns,
                extra=extra,
            )
        names = list(frame.columns)
        columns: dict[str, Any] = {}
        for name in names:
            series = frame[name] if not hasattr(frame, "column") else frame.column(name)
            target = mapping.get(str(name), str(name))
            cat = getattr(series, "cat", None)
            if cat is not None and hasattr(cat, "codes") and not callable(cat):
                raw_codes = np.asarray(cat.codes.to_numpy(), dtype=np.int32)
                # Labels are stripped, as for any other input; labels equal after stripping
                # merge, and missing cells (code -1) read as "".
                lookup: dict[str, int] = {}
                remap = np.array(
                    [lookup.setdefault(str(c).strip(), len(lookup)) for c in cat.categories]
                    + [lookup.setdefault("", len(lookup)) if (raw_codes < 0).any() else 0],
                    dtype=np.int32,
                )
                codes = remap[raw_codes]  # code -1 picks the last entry: ""
                cats = list(lookup)
                canon = cls.canonical_column_name(target)
                kind = next((c.kind for c in cls.COLUMNS if c.name == canon), None)
                if kind == "category":
                    columns[target] = Categorical(codes, tuple(cats))
                    continue
                columns[target] = np.array(cats, dtype=STRING)[codes]
                continue
            columns[target] = series
        return cls.from_columns(
            columns,
            legacy_codes=legacy_codes,
            unknown_columns=unknown_columns,
            extra=extra,
            source="DataFrame",
        )

    @classmethod
    def from_arrow(
        cls,
        data: Any,
        *,
        mapping: Mapping[str, str] | None = None,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
        source: str | None = None,
    ) -> Self:
        """Build from a pyarrow ``Table`` or ``RecordBatch``, or an iterable of record batches.

        The same headers (``mapping`` renames columns first), validation and errors as
        :meth:`from_csv` (``legacy_codes``, ``unknown_columns`` and ``extra`` as in
        :meth:`from_columns`), rows numbered from 1. Labels are taken through Arrow's dictionary
        encoding and credit codes straight from Arrow's buffers, without a per-row step. Needs
        pyarrow (the ``parquet`` extra).
        """
        batches = [data] if hasattr(data, "schema") else data
        options = {"legacy_codes": legacy_codes, "unknown_columns": unknown_columns, "extra": extra}
        return cls.from_batches(batches, mapping, options, source or "Arrow table")

    @classmethod
    def from_parquet(
        cls,
        path: str | os.PathLike[str],
        *,
        mapping: Mapping[str, str] | None = None,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
    ) -> Self:
        """Read a Parquet file, one row group at a time (pyarrow: the ``parquet`` extra).

        Each row group is turned into the roster's compact columns before the next is read;
        headers, ``mapping``, validation and errors are those of :meth:`from_csv`
        (``legacy_codes``, ``unknown_columns`` and ``extra`` as in :meth:`from_columns`), rows
        numbered from 1 (the first data row).

        Raises
        ------
        RosterError
            On the first problem found, naming the file, row, column and value.
        """
        options = {"legacy_codes": legacy_codes, "unknown_columns": unknown_columns, "extra": extra}
        return cls.from_batches(_arrow.parquet_batches(path), mapping, options, os.fspath(path))

    @classmethod
    def _parquet_chunks(
        cls,
        path: str | os.PathLike[str],
        mapping: Mapping[str, str] | None,
        options: dict[str, Any],
    ) -> Iterator[Self]:
        """The file's row groups as rosters, each validated, rows numbered across the file."""
        first = 1
        for table in _arrow.parquet_batches(path):
            yield cls.from_batches(
                [table], mapping, {**options, "_first_row": first}, os.fspath(path)
            )
            first += table.num_rows

    @classmethod
    def from_parquet_group(
        cls,
        path: str | os.PathLike[str],
        group: int,
        first_row: int,
        mapping: Mapping[str, str] | None,
        options: dict[str, Any],
    ) -> Self:
        """Row group ``group`` of a Parquet file as a roster, rows numbered from ``first_row``.

        ``options["columns"]``, if given, keeps only those columns (canonical names, or the
        file's own for extra columns): the others take their defaults.
        """
        options = dict(options)
        wanted = options.pop("columns", None)
        names = None
        if wanted is not None:
            renames = dict(mapping or {})
            names = [
                n
                for n in _arrow.parquet_names(path)
                if cls.canonical_column_name(renames.get(n, n)) in wanted
            ]
            if options.get("extra") is not None:
                options["extra"] = [e for e in options["extra"] if e in wanted]
        (table,) = _arrow.parquet_batches(path, columns=names, groups=[group])
        return cls.from_batches(
            [table], mapping, {**options, "_first_row": first_row}, os.fspath(path)
        )

    @classmethod
    def from_batches(
        cls,
        batches: Iterable[Any],
        mapping: Mapping[str, str] | None,
        options: dict[str, Any],
        source: str,
    ) -> Self:
        """Build from record batches read one after another (the chunked and Dask readers).

        ``mapping`` renames the data's columns first; ``options`` are keyword arguments of
        :meth:`from_columns`; ``source`` names the input in errors. Label columns are taken
        through Arrow's dictionary encoding. Needs pyarrow (the ``parquet`` extra).
        """
        renames = dict(mapping or {})
        kinds = {c.name: c.kind for c in cls.COLUMNS}

        def kind_of(name: str) -> str | None:
            return kinds.get(cls.canonical_column_name(renames.get(name, name)))

        columns = _arrow.batches_to_columns(batches, kind_of)
        named = {
            renames.get(k, k): Categorical(*v) if isinstance(v, tuple) else v
            for k, v in columns.items()
        }
        return cls.from_columns(named, source=source, **options)

    @classmethod
    def canonical_column_name(cls, name: str) -> str:
        """The canonical name of the column headed ``name`` (``name`` itself if it is none).

        ``name`` may be a canonical name or one of its accepted headers (``aliases``), e.g.
        ``TargetRoster.canonical_column_name("信用代码") == "credit_code"``.
        """
        for c in cls.COLUMNS:
            if name == c.name or name in c.aliases:
                return c.name
        return name

    @classmethod
    def _from_mixed(cls, columns: Mapping[str, Any], **kwargs: Any) -> Self:
        # Kept for callers of the earlier private name: from_columns takes ready columns now.
        return cls.from_columns(columns, **kwargs)

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str] | io.TextIOBase,
        *,
        mapping: Mapping[str, str] | None = None,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
        encoding: str = "utf-8-sig",
        delimiter: str = ",",
    ) -> Self:
        """Load a CSV file (UTF-8, with or without BOM; headers in English or Chinese).

        Headers are matched to canonical names through the accepted Chinese headers listed in
        the column tables, and ``mapping`` for any other header (``{"纳税人识别号":
        "credit_code"}``). Row numbers in errors count the header as row 1, as a spreadsheet does.
        ``legacy_codes``, ``unknown_columns`` and ``extra`` are as in :meth:`from_columns`.

        Raises
        ------
        RosterError
            For a missing file, an empty file, a row with the wrong number of fields, or any
            invalid value; nothing is returned unless the whole file is valid. Every invalid
            value is found in one pass: the error's ``report`` lists them all (up to 1,000),
            each with its row, column, value and a suggested fix.
        """
        source = getattr(path, "name", None) if isinstance(path, io.TextIOBase) else os.fspath(path)
        mapping = dict(mapping or {})
        if isinstance(path, io.TextIOBase):  # the caller's handle: read, but leave it open
            text = path.read()
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise RosterError(
                    f"holds text that is not Unicode ({exc.reason})", source=source
                ) from None
            del text
            codec = "utf-8"
        else:
            data, codec = _read_file(path, encoding, source)
        box = [data]  # handed over, so that the file's bytes are freed once split
        del data
        return cls._from_csv_data(
            box,
            source,
            mapping=mapping,
            legacy_codes=legacy_codes,
            unknown_columns=unknown_columns,
            extra=extra,
            delimiter=delimiter,
            encoding=codec,
        )

    @classmethod
    def from_excel(
        cls,
        path: str | os.PathLike[str],
        *,
        sheet: str | int | None = None,
        mapping: Mapping[str, str] | None = None,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
    ) -> Self:
        """Load a sheet of an Excel workbook (``.xlsx``; needs the ``excel`` extra).

        The first sheet unless ``sheet`` names one (or gives its 0-based index). Headers,
        ``mapping`` and the switches are as in :meth:`from_csv`; row numbers in errors are the
        ones Excel shows (the header in row 1). Date cells, date-times and Excel serial days in
        a date column are dates; a credit code that Excel turned into a number (9.14105E+17) is
        refused, whatever the switches.
        """
        source = os.fspath(path)
        mapping = dict(mapping or {})
        date_kinds = {c.name for c in cls.COLUMNS if c.kind == "date"}
        dates = {a for c in cls.COLUMNS if c.kind == "date" for a in (c.name, *c.aliases)}
        dates |= {h for h, name in mapping.items() if cls.canonical_column_name(name) in date_kinds}
        text = _excel.sheet_as_csv(
            path, sheet, lambda message: RosterError(message, source=source), date_columns=dates
        )
        return cls._from_csv_data(
            [text.encode("utf-8")],
            source,
            mapping=mapping,
            legacy_codes=legacy_codes,
            unknown_columns=unknown_columns,
            extra=extra,
        )

    @classmethod
    def _from_csv_data(
        cls,
        box: list[bytes],
        source: str | None,
        *,
        mapping: Mapping[str, str],
        legacy_codes: bool,
        unknown_columns: str,
        extra: Iterable[str] | None,
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> Self:
        data = box.pop()
        # Split on newlines without quoting, no field holds a line break; a tab only if the
        # file has one. Knowing it saves three searches over every text column.
        absent = "" if b"\t" in data else "\t"
        header, raw_columns, row_numbers, nul_free = _split_csv(data, delimiter, source, encoding)
        if not _quoted_path(data, delimiter):
            absent += "\n\r"
        del data
        clean = [h.strip().lstrip("\ufeff") for h in header]
        unused = sorted(set(mapping) - set(clean))
        if unused:
            raise RosterError(
                f"mapping names header(s) {', '.join(map(repr, unused))} that the file does "
                f"not have; its headers are {', '.join(clean)}",
                source=source,
                row=1,
            )
        header = [mapping.get(h, h) for h in clean]
        shown = dict(zip(header, clean, strict=True))
        if len(set(header)) != len(header):
            dup = next(h for h in header if header.count(h) > 1)
            raise RosterError(
                "the header names this column twice", source=source, row=1, column=dup
            )
        columns = dict(zip(header, raw_columns, strict=True))
        del raw_columns
        return cls.from_columns(
            columns,
            legacy_codes=legacy_codes,
            unknown_columns=unknown_columns,
            extra=extra,
            source=source,
            _first_row=2,
            _row_numbers=row_numbers,
            _nul_free=nul_free,
            _headers=shown,
            _absent=absent,
        )

    # ----------------------------------------------------------------- access
    @property
    def _ids(self) -> np.ndarray[Any, Any]:
        return cast("np.ndarray[Any, Any]", self._columns[self.ID])

    def _check_unique_ids(self, ctx: _Context) -> None:
        ids = self._ids
        if ids.dtype == np.dtype("S18") and self._n:
            # Fast path: sort one 64-bit hash per code; only equal hashes need a closer look.
            v = ids.view(np.uint8).reshape(self._n, 18)
            key = np.ascontiguousarray(v[:, :8]).view(np.uint64).ravel().copy()
            key *= np.uint64(0x9E3779B97F4A7C15)
            key ^= np.ascontiguousarray(v[:, 8:16]).view(np.uint64).ravel()
            key *= np.uint64(0xBF58476D1CE4E5B9)
            key ^= np.ascontiguousarray(v[:, 16:]).view(np.uint16).ravel().astype(np.uint64)
            key.sort()
            if not (key[1:] == key[:-1]).any():
                return
        order = self.code_order()
        s = ids[order]
        dup = np.flatnonzero(s[1:] == s[:-1])
        if dup.size:
            # Every later copy of an id is a problem, naming the row of its first copy.
            later = np.zeros(s.size, dtype=bool)
            later[dup + 1] = True
            run_start = np.maximum.accumulate(np.where(later, 0, np.arange(s.size)))
            first_row = order[run_start]  # order is stable: the first copy sorts first
            rows = order[later]
            by_row = np.argsort(rows, kind="stable")
            rows, firsts = rows[by_row], first_row[later][by_row]
            ctx.fail(
                self.ID,
                rows,
                [_shown_id(ids[i]) for i in rows[:_MAX_LISTED]],
                "duplicate id",
                [
                    f"this id is also in row {ctx.row(int(f))}: keep one of the rows"
                    for f in firsts[:_MAX_LISTED]
                ],
            )

    def code_order(self) -> npt.NDArray[np.intp]:
        """The rows in id order (byte order of the ids; computed once, then cached).

        Rows with equal ids keep their order, so the first copy of an id sorts first.
        """
        order: npt.NDArray[np.intp] | None = self._cache.get("order")
        if order is None:
            ids = self._ids
            if ids.dtype.kind == "S" and ids.dtype.itemsize == 18 and self._n:
                v = ids.view(np.uint8).reshape(self._n, 18)
                hi = np.ascontiguousarray(v[:, :8]).view(">u8").ravel()
                mid = np.ascontiguousarray(v[:, 8:16]).view(">u8").ravel()
                lo = np.ascontiguousarray(v[:, 16:]).view(">u2").ravel()
                if (hi == hi[0]).all():  # one registration area: the first 8 bytes never decide
                    order = np.argsort(mid.astype(np.uint64))
                    m = mid[order]
                    if (m[1:] == m[:-1]).any():
                        order = np.lexsort((lo, mid))
                else:
                    order = np.lexsort((lo, mid, hi))
            else:
                order = np.argsort(
                    np.strings.encode(ids, "utf-8") if ids.dtype == STRING else ids, kind="stable"
                )
            self._cache["order"] = order
        return order

    def derived(self, key: str, compute: Callable[[], _T]) -> _T:
        """A value derived from the roster's columns, computed on first use and kept.

        A roster is frozen (its arrays are read-only), so what is computed from its columns
        alone stays true for its lifetime. randcheck keeps the fingerprint this way, and for
        simulations (``rng=``) the random-number-free design of the last few sampling plans
        (eligibility, strata, score totals, expected sizes), so that replicate draws skip it.
        Official draws recompute their design.

        Parameters
        ----------
        key : str
            What the value is (randcheck's own keys start with a module name, e.g.
            ``"sampling.designs"``).
        compute : callable
            Makes the value when the roster does not hold one under ``key``.

        See Also
        --------
        forget_derived : drop every kept value.
        """
        if key not in self._cache:
            self._cache[key] = compute()
        return cast("_T", self._cache[key])

    def forget_derived(self) -> None:
        """Drop every value kept by :meth:`derived` (fingerprint, simulation designs…).

        The next use computes it again, as on a freshly loaded roster: to free memory, or to
        time a first draw in a benchmark.
        """
        report = self._cache.get("report")
        self._cache.clear()
        if report is not None:
            self._cache["report"] = report  # the loader's notes, not derived from the columns

    def column(self, name: str) -> Column:
        """A column by canonical name, or one of the user's own columns."""
        if name in self._columns:
            return self._columns[name]
        if name in self._extra:
            return self._extra[name]
        raise KeyError(
            f"{type(self).__name__} has no column {name!r}; it has "
            + ", ".join([*self._columns, *self._extra])
        )

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Names of the user's own columns."""
        return tuple(self._extra)

    def take(self, rows: npt.ArrayLike) -> Self:
        """A new roster with the rows ``rows`` (indices or a boolean mask), in that order."""
        idx = np.asarray(rows)
        if idx.dtype == np.bool_:
            if idx.shape != (self._n,):
                raise ValueError(f"a row mask needs {self._n} values, got {idx.shape}")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.intp, copy=False)
        if idx.size:
            if int(idx.min()) < -self._n or int(idx.max()) >= self._n:
                raise IndexError(f"a row index is out of range for {self._n} rows")
            counts = np.bincount(np.where(idx < 0, idx + self._n, idx), minlength=self._n)
            if counts.max() > 1:
                raise ValueError(
                    f"row {int(np.argmax(counts))} is taken more than once; a "
                    "roster holds each id once"
                )
        cols = {k: _take(v, idx) for k, v in self._columns.items()}
        extra = {k: v[idx] for k, v in self._extra.items()}
        return type(self)(cols, extra, self.source)

    def to_columns(self) -> dict[str, np.ndarray[Any, Any]]:
        """Plain numpy columns (labels as strings), e.g. for ``pandas.DataFrame(...)``.

        The arrays are read-only (some are the roster's own): ``.copy()`` one to change it.
        """
        out: dict[str, np.ndarray[Any, Any]] = {}
        for col in self.COLUMNS:
            out[col.name] = self._plain(col, self._columns[col.name])
        out.update(self._extra)
        return out

    def to_frame(self) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns())

    def to_arrow(self) -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns())

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the Chinese headers the loaders read back."""
        own = {col.name: col.aliases[0] for col in self.COLUMNS}  # an officer's 姓名, not 企业名称
        _tables.excel(path, self.to_columns(), headers=headers, zh=own)

    def _plain(self, col: _Col, column: Column) -> np.ndarray[Any, Any]:
        idx, table = _canonical_bytes(col, column)
        if table is None:
            return np.asarray(np.strings.decode(idx, "ascii"))
        if isinstance(table, str):
            return idx
        if col.kind in ("bool", "count", "cap", "date"):
            return column  # type: ignore[return-value]
        return np.asarray(np.strings.decode(table, "utf-8").astype(STRING)[idx])

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the roster as UTF-8 CSV with canonical headers, readable by ``from_csv``.

        The file is written to a temporary name and renamed, so a failure never leaves a
        half-written file behind.
        """
        header = [c.name for c in self.COLUMNS] + list(self._extra)
        with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(",".join(_csv_field(h) for h in header) + "\n")
            for chunk in self._canonical_chunks(sort=False, sep=b",", quote=True):
                fh.write(chunk.decode("utf-8"))

    # ----------------------------------------------------------------- digest
    def _canonical_chunks(
        self, *, sort: bool, sep: bytes = b"\t", quote: bool = False, chunk: int = 1 << 18
    ) -> Iterator[bytearray]:
        pieces = self._pieces(sep, quote)
        order = self.code_order() if sort else None
        for start in range(0, self._n, chunk):
            stop = min(start + chunk, self._n)
            rows = order[start:stop] if order is not None else np.arange(start, stop)
            yield from pieces.lines(rows, order is None)

    def _pieces(self, sep: bytes = b"\t", quote: bool = False) -> _Pieces:
        parts: list[tuple[np.ndarray[Any, Any], Any]] = []
        for col in self.COLUMNS:
            parts.append(_canonical_bytes(col, self._columns[col.name]))
        for name in self._extra:
            parts.append(_canonical_bytes(None, self._extra[name]))
        if quote:
            parts = [_quoted(p) for p in parts]
        return _Pieces(parts, sep, self._n)

    def _header(self) -> list[str]:
        return [c.name for c in self.COLUMNS] + list(self._extra)

    def _buckets(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Id keys, rows in canonical order (bucket, key, id) and the buckets' bounds (cached)."""
        cached = self._cache.get("buckets")
        if cached is None:
            keys, grouped, bounds, done = self._groups()
            if not done:
                grouped = _sort_buckets(keys, self._ids, grouped, bounds, 0, _BUCKETS)
            order = grouped
            cached = (keys, order, bounds)
            self._cache["buckets"] = cached
        return cast("tuple[Any, Any, Any]", cached)

    def _groups(
        self,
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp], npt.NDArray[np.intp], bool]:
        """Id keys, rows grouped by bucket, the bounds, and whether in canonical order (cached).

        Cheaper than :meth:`_buckets` (no sort within the buckets): what the jobs hashing the
        buckets need from the process that forks them.
        """
        cached = self._cache.get("buckets")
        if cached is not None:
            return (*cached, True)
        groups = self._cache.get("groups")
        if groups is None:
            keys = id_keys(self._ids)
            groups = (keys, *_bucket_groups(keys, self._ids))
            self._cache["groups"] = groups
        return cast("tuple[Any, Any, Any, bool]", groups)

    def _seal(self, bucket_digests: Iterable[list[bytes]]) -> str:
        self._cache.pop("pieces", None)
        self._cache.pop("groups", None)
        digests = [d for part in bucket_digests for d in part]
        cached = _root_digest(self.RECIPE, self._header(), self._n, digests)
        self._cache["digest"] = cached
        return cached

    def digest(self, *, workers: int = 1, progress: ProgressArg = None) -> str:
        """SHA-256 fingerprint of the roster's content, independent of row order.

        The recipe (``randcheck-roster/2`` for targets, ``randcheck-officers/2`` for officers),
        which receipts refer to and which will not change under this name:

        1. **Lines.** One line per row: the canonical values joined by tabs, ending in
           ``\\n``, columns in canonical order (the fixed columns in table order, then the
           user's own columns in alphabetical order). Canonical values: ids and labels as
           stored (surrounding spaces removed on loading); the risk class as its letter; tags
           sorted by code point and joined by ``;``; flags ``1``/``0``; counts in decimal;
           dates ``YYYY-MM-DD`` or empty; an officer's missing load cap ``-1``; numbers as
           integers when whole, else Python's ``repr``; a missing number empty.
        2. **Id key.** Each id's UTF-8 bytes give a 64-bit key: ``h = len(id)``; then for each
           8-byte piece of the id (the last one padded with zero bytes), read as a little-endian
           integer ``w``, ``h = mix(h ^ w)``, where ``mix`` is SplitMix64's finaliser
           (``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB;
           z ^= z >> 31``, modulo 2⁶⁴).
        3. **Buckets.** A row goes to bucket ``h >> 56`` (256 buckets). Within a bucket, rows
           are ordered by ``(h, id bytes)``; the bucket's digest is the SHA-256 of its lines in
           that order (of nothing, for an empty bucket).
        4. **Root.** The SHA-256 of the UTF-8 text ``"randcheck-roster/2\\n"``, the column
           names joined by tabs and ``\\n``, the number of rows in decimal and ``\\n``, then the
           256 bucket digests (32 bytes each) in bucket order; as lowercase hex prefixed
           ``sha256:``.

        Values never contain tabs or newlines (the loaders reject them), so the text is
        unambiguous. No step sorts the whole roster: the cost grows linearly with its size,
        buckets can be hashed in parallel, and rows split in any way (chunks of a file larger
        than memory, partitions on a cluster) give the same digest through
        :class:`RosterDigest`. The reference verifier implements the recipe in a few lines of
        standard-library Python.

        Parameters
        ----------
        workers : int
            Processes that hash the buckets (default 1); never more than the cores available,
            and one for a roster under 500,000 rows (processes would cost more than they save).
        progress : bool or callable, optional
            ``True`` for a tqdm bar (when tqdm is installed), or a callable
            ``progress(done, total)`` called with the rows hashed so far.

        Examples
        --------
        >>> r = TargetRoster.from_columns({
        ...     "credit_code": ["91350100M000100Y43", "91130634MA07RWXK3G"],
        ...     "risk_class": ["A", "D"],
        ... })
        >>> r.digest() == r.take([1, 0]).digest()
        True
        >>> r.digest().startswith("sha256:")
        True
        """
        if workers < 1 or int(workers) != workers:
            raise ValueError(f"workers = {workers!r} must be a whole number ≥ 1")
        if self._n < _PARALLEL_MIN_ROWS:
            workers = 1  # starting processes would cost more than it saves
        jobs = fingerprint_jobs(self, max(workers, -(-self._n // (1 << 20))))
        report = Reporter(progress, self._n, "fingerprint")
        try:
            results = _parallel.run(
                jobs, workers, done=lambda i, _: report.advance(int(jobs[i].size))
            )
        finally:
            report.close()
        if results:
            self._seal(results)
        return str(self._cache["digest"])


_BUCKET_BITS = 8
_BUCKETS = 1 << _BUCKET_BITS
_BUCKET_SORT_MIN = 1 << 20  # from this many rows, sort bucket by bucket (in cache)
_PARALLEL_MIN_ROWS = 500_000  # below this, digest(workers=) hashes in this process
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser, in place (wrapping multiplication modulo 2⁶⁴)."""
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


_KEY_ROWS = 1 << 15  # ids whose keys are mixed at once: the temporaries stay in cache


def id_keys(ids: npt.NDArray[Any]) -> npt.NDArray[np.uint64]:
    """Step 2 of the roster recipe: the 64-bit key of each id (bytes or strings)."""
    n = ids.shape[0]
    if n <= _KEY_ROWS:
        return _id_keys(ids)
    out = np.empty(n, dtype=np.uint64)
    for a in range(0, n, _KEY_ROWS):
        # Block by block: each of the mixing steps' passes reads the cache, not memory.
        out[a : a + _KEY_ROWS] = _id_keys(ids[a : a + _KEY_ROWS])
    return out


def _id_keys(ids: npt.NDArray[Any]) -> npt.NDArray[np.uint64]:
    raw = ids if ids.dtype.kind == "S" else np.asarray(np.strings.encode(ids, "utf-8"))
    n = raw.shape[0]
    width = raw.dtype.itemsize
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    words = -(-width // 8)
    last = width - 8 * (words - 1)  # bytes in the last piece
    flat = np.ascontiguousarray(raw).view(np.uint8).reshape(n, width)
    if last in (1, 2, 4, 8) and bool((flat[:, width - 1] != 0).all()):
        # Every id fills the width (its last byte is not NUL): read the pieces in place, the
        # last one zero-padded by reading it as a narrower integer.
        pieces = np.dtype(
            {
                "names": [f"w{j}" for j in range(words)],
                "formats": ["<u8"] * (words - 1) + [f"<u{last}"],
                "offsets": [8 * j for j in range(words)],
                "itemsize": width,
            }
        )
        view = np.ascontiguousarray(raw).view(pieces)
        h = np.full(n, width, dtype=np.uint64)
        for j in range(words):
            h ^= view[f"w{j}"].astype(np.uint64)
            _mix(h)
        return h
    mat = np.zeros((n, words * 8), dtype=np.uint8)
    if width:
        mat[:, :width] = flat
    lengths = np.strings.str_len(raw).astype(np.uint64)
    h = lengths.copy()
    full = bool((lengths == width).all())
    for j in range(words):
        w = np.ascontiguousarray(mat[:, 8 * j : 8 * j + 8]).view("<u8").ravel()
        if full:
            h ^= w
            _mix(h)
        else:  # ids shorter than the column's width stop mixing after their last piece
            active = lengths > np.uint64(8 * j)
            mixed = _mix(h ^ w)
            h = np.where(active, mixed, h)
    return h


def _key_order(keys: npt.NDArray[np.uint64], skip: int = 0) -> npt.NDArray[np.intp]:
    """An argsort of 64-bit keys whose top ``skip`` bits are all equal, by one ``np.sort``.

    The keys' next bits and each key's index are packed in one int64 (numpy sorts int64 by
    SIMD, several times faster than ``argsort``); where two packed keys agree, the full keys
    decide (a plain ``argsort``). Equal full keys keep no particular order.
    """
    n = keys.shape[0]
    bits = max(1, (n - 1).bit_length())
    if n < 2 or bits > 40:
        return np.argsort(keys).astype(np.intp, copy=False)
    top = (keys << np.uint64(skip)) >> np.uint64(bits + 1)  # below 2^(63 - bits)
    packed = (top << np.uint64(bits)).view(np.int64)
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    prefix = packed >> bits
    if (prefix[1:] == prefix[:-1]).any():  # a few bits decided nothing: sort exactly
        return np.argsort(keys).astype(np.intp, copy=False)
    packed &= (1 << bits) - 1
    return packed.astype(np.intp, copy=False)


def _canonical_order(
    keys: npt.NDArray[np.uint64], ids: npt.NDArray[Any], bucketed: bool | None = None
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows ordered by (key, id): by bucket, then within each bucket; and the buckets' bounds.

    Buckets are the key's top bits, so the order is that of the keys; large rosters are sorted
    bucket by bucket (a linear pass by bucket first), which keeps each sort in cache.
    """
    grouped, bounds, done = _bucket_groups(keys, ids, bucketed)
    if done:
        return grouped, bounds
    return _sort_buckets(keys, ids, grouped, bounds, 0, _BUCKETS), bounds


def _bucket_groups(
    keys: npt.NDArray[np.uint64], ids: npt.NDArray[Any], bucketed: bool | None = None
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], bool]:
    """Rows grouped by bucket, the buckets' bounds, and whether the rows are in canonical order.

    A small roster is sorted at once (in canonical order); a large one is only grouped, by a
    radix sort on the bucket (linear), in row order within each bucket: :func:`_sort_buckets`
    orders each bucket, in whichever process hashes it.
    """
    n = keys.shape[0]
    bucket = (keys >> np.uint64(64 - _BUCKET_BITS)).astype(np.uint8)
    counts = np.bincount(bucket, minlength=_BUCKETS)
    bounds = np.zeros(_BUCKETS + 1, dtype=np.intp)
    np.cumsum(counts, out=bounds[1:])
    if not (n >= _BUCKET_SORT_MIN if bucketed is None else bucketed):
        order = _key_order(keys)
        _order_ties(order, keys, ids)
        return order, bounds, True
    return np.argsort(bucket, kind="stable").astype(np.intp, copy=False), bounds, False


def _sort_buckets(
    keys: npt.NDArray[np.uint64],
    ids: npt.NDArray[Any],
    grouped: npt.NDArray[np.intp],
    bounds: npt.NDArray[np.intp],
    first: int,
    stop: int,
) -> npt.NDArray[np.intp]:
    """The rows of buckets ``first`` to ``stop - 1`` in canonical order, from their groups."""
    lo = int(bounds[first])
    order = grouped[lo : int(bounds[stop])].copy()
    k = keys[order]
    for b in range(first, stop):
        a, z = int(bounds[b]) - lo, int(bounds[b + 1]) - lo
        if z - a > 1:
            order[a:z] = order[a:z][_key_order(k[a:z], _BUCKET_BITS)]
    _order_ties(order, keys, ids)
    return order


def _order_ties(order: npt.NDArray[np.intp], keys: npt.NDArray[np.uint64], ids: Any) -> None:
    """Rows sorted by key (``order``, in place): rows of equal keys put in id order."""
    sk = keys[order]
    ties = np.flatnonzero(sk[1:] == sk[:-1])
    if not ties.size:  # equal keys: about n²/2⁶⁵ pairs
        return
    start = 0
    while start < ties.size:
        first = int(ties[start])
        stop = start
        while stop + 1 < ties.size and int(ties[stop + 1]) == int(ties[stop]) + 1:
            stop += 1
        last = int(ties[stop]) + 2
        rows = order[first:last]
        raw = ids[rows] if ids.dtype.kind == "S" else np.strings.encode(ids[rows], "utf-8")
        order[first:last] = rows[np.argsort(raw, kind="stable")]
        start = stop + 1


def _even_cuts(bounds: npt.NDArray[np.intp], parts: int) -> list[int]:
    """Bucket indices cutting the buckets into at most ``parts`` ranges of similar row counts."""
    total = int(bounds[-1])
    cuts = [0]
    for p in range(1, parts):
        b = int(np.searchsorted(bounds, total * p / parts))
        if cuts[-1] < b < _BUCKETS:
            cuts.append(b)
    cuts.append(_BUCKETS)
    return cuts


def fingerprint_jobs(roster: _Roster, parts: int) -> list[_parallel.Job]:
    """Jobs hashing the roster's buckets in up to ``parts`` ranges; none when the digest is known.

    Their results, in order, go to :func:`seal_fingerprint`; run them with
    :func:`randcheck._parallel.run`, possibly among other jobs.
    """
    if "digest" in roster._cache:
        return []
    _, _, bounds, _ = roster._groups()
    cuts = _even_cuts(bounds, max(1, int(parts)))
    return [
        _parallel.Job(_bucket_digests, (roster, a, b), float(bounds[b] - bounds[a]))
        for a, b in itertools.pairwise(cuts)
    ]


def seal_fingerprint(roster: _Roster, results: Sequence[list[bytes]]) -> None:
    """Complete the digest from the results of :func:`fingerprint_jobs` (if there were any)."""
    if results:
        roster._seal(results)


_GROUP_ROWS = 1 << 16  # rows whose lines are written at once


def _bucket_texts(roster: _Roster, first: int, stop: int) -> Iterator[tuple[int, bytes]]:
    """Buckets ``first`` to ``stop - 1`` as ``(bucket, lines)`` pieces in canonical order.

    A bucket may come in several pieces (or none, when empty), always in bucket order.
    """
    keys, grouped, bounds, done = roster._groups()
    if done:
        order, base = grouped, 0
    else:  # this job's buckets only
        order = _sort_buckets(keys, roster._ids, grouped, bounds, first, stop)
        base = int(bounds[first])
    pieces = roster._cache.get("pieces")
    if pieces is None:  # kept for the next job in this process; the caller drops it
        pieces = roster._cache["pieces"] = roster._pieces()
    lo, hi = int(bounds[first]), int(bounds[stop])
    for start in range(lo, hi, _GROUP_ROWS):
        end = min(start + _GROUP_ROWS, hi)
        inner = bounds[(bounds > start) & (bounds < end)]
        cuts = [0, *(inner - start).tolist(), end - start]
        b = int(np.searchsorted(bounds, start, side="right")) - 1
        rows = order[start - base : end - base]
        for a, text in zip(cuts, pieces.segments(rows, cuts), strict=False):
            while bounds[b + 1] <= start + a:  # skip empty buckets
                b += 1
            if text:
                yield b, text


def _bucket_digests(roster: _Roster, first: int, stop: int) -> list[bytes]:
    """Step 3 of the recipe for buckets ``first`` to ``stop - 1``: their SHA-256 digests."""
    hashes = [hashlib.sha256() for _ in range(first, stop)]
    for b, text in _bucket_texts(roster, first, stop):
        hashes[b - first].update(text)
    return [h.digest() for h in hashes]


_EMPTY = hashlib.sha256(b"").digest()


def _root_digest(recipe: str, header: Sequence[str], n: int, digests: Sequence[bytes]) -> str:
    """Step 4 of the recipe: the root over the header, the row count and the bucket digests."""
    if len(digests) != _BUCKETS:  # pragma: no cover - internal invariant
        raise AssertionError(len(digests))
    h = hashlib.sha256(f"{recipe}\n{chr(9).join(header)}\n{n}\n".encode())
    for d in digests:
        h.update(d)
    return "sha256:" + h.hexdigest()


def _quoted(part: tuple[np.ndarray[Any, Any], Any]) -> tuple[np.ndarray[Any, Any], Any]:
    idx, table = part
    if table is None:  # ids as bytes: legacy_codes=True keeps codes that may hold a comma
        codes = idx
        needs = (np.strings.find(codes, b",") >= 0) | (np.strings.find(codes, b'"') >= 0)
        if needs.any():
            codes = codes.astype(f"S{codes.dtype.itemsize * 2 + 2}")
            codes[needs] = np.strings.add(
                np.strings.add(b'"', np.strings.replace(codes[needs], b'"', b'""')), b'"'
            )
        return codes, table
    if isinstance(table, str):  # free text: quote every value that needs it
        text = idx
        needs = (np.strings.find(text, ",") >= 0) | (np.strings.find(text, '"') >= 0)
        if needs.any():
            text = text.copy()
            text[needs] = np.strings.add(
                np.strings.add('"', np.strings.replace(text[needs], '"', '""')), '"'
            )
        return text, table
    fixed = []
    for b in table.tolist():
        s = b.decode("utf-8")
        if "," in s or '"' in s:
            s = '"' + s.replace('"', '""') + '"'
        fixed.append(s.encode("utf-8"))
    return idx, np.array(fixed)


def _csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text


class TargetRoster(_Roster):
    """检查对象名录库: the directory of inspection targets, stored as columns.

    Build it with :meth:`from_csv`, :meth:`from_columns`, :meth:`from_dataframe` or
    :meth:`from_targets`. Columns (canonical name, then the Chinese headers accepted):

    - ``credit_code`` (required): 统一社会信用代码 / 信用代码 / 社会信用代码
    - ``risk_class`` (required): 信用风险等级 / 风险等级 / 信用风险分类 / 风险分类
    - ``name``: 企业名称 / 名称 / 主体名称
    - ``industry``: 行业 / 所属行业 / 行业类别
    - ``area``: 行政区划 / 区域 / 所属区域 / 区划代码
    - ``status``: 登记状态 / 经营状态 (default 存续)
    - ``tags``: 标签 / 分类标注 (``;``-separated)
    - ``abnormal``: 经营异常名录 / 经营异常 / 列入经营异常名录 (1/0, 是/否, true/false)
    - ``complaints``: 投诉 / 投诉次数 / 投诉举报
    - ``last_inspected``: 上次检查日期 / 最近检查日期 / 上次抽查日期 (YYYY-MM-DD)

    Examples
    --------
    >>> roster = TargetRoster.from_targets([
    ...     Target("91350100M000100Y43", "甲公司", "A", industry="零售业"),
    ...     Target("91130634MA07RWXK3G", "乙公司", "D", industry="成品油零售", status="注销"),
    ... ])
    >>> len(roster), roster.risk_counts()
    (2, {'A': 1, 'D': 1})
    >>> len(roster.filter(active=True))
    1
    """

    COLUMNS = TARGET_COLUMNS
    ID = "credit_code"
    RECIPE = "randcheck-roster/2"
    __slots__ = ()

    @classmethod
    def _check_vocabulary(cls, parsed: dict[str, Column], ctx: _Context) -> None:
        """Statuses must be in :data:`~randcheck.REGISTRATION_STATUSES` (stored as spelt there)."""
        status = parsed["status"]
        assert isinstance(status, Categorical)
        labels = []
        for k, label in enumerate(status.categories):
            canon = canonical_status(label)
            if canon is None:
                rows = np.flatnonzero(status.codes == k)
                blank = not label
                ctx.fail(
                    "status",
                    rows,
                    [label] * min(rows.size, _MAX_LISTED),
                    "a blank 登记状态" if blank else "not a known 登记状态",
                    ("fill in the status as the register shows it" if blank else "")
                    + ("; " if blank else "")
                    + "use one of "
                    + ", ".join(REGISTRATION_STATUSES)
                    + ", or map your label to one of them before loading",
                )
            labels.append(canon or label)
        if labels != list(status.categories):
            lookup: dict[str, int] = {}
            remap = np.array([lookup.setdefault(x, len(lookup)) for x in labels], dtype=np.int32)
            parsed["status"] = Categorical(remap[status.codes], tuple(lookup))

    @classmethod
    def from_targets(cls, targets: Iterable[Target], *, legacy_codes: bool = False) -> TargetRoster:
        """Build from :class:`~randcheck.Target` objects (fine for thousands of rows)."""
        items = list(targets)
        extra_names = sorted({k for t in items for k in t.attributes})
        cols: dict[str, Any] = {
            "credit_code": [t.credit_code for t in items],
            "name": [t.name for t in items],
            "risk_class": [t.risk_class.value for t in items],
            "industry": [t.industry for t in items],
            "area": [t.area for t in items],
            "status": [t.status for t in items],
            "tags": [sorted(t.tags) for t in items],
            "abnormal": np.array([t.abnormal for t in items], dtype=bool),
            "complaints": np.array([t.complaints for t in items], dtype=np.int64),
            "last_inspected": np.array(
                [
                    np.datetime64(t.last_inspected, "D")
                    if t.last_inspected
                    else np.datetime64("NaT", "D")
                    for t in items
                ],
                dtype="datetime64[D]",
            ),
        }
        for k in extra_names:
            cols[k] = [t.attributes.get(k) for t in items]
        return cls.from_columns(cols, legacy_codes=legacy_codes, extra=extra_names)

    # typed views of the columns
    @property
    def credit_code(self) -> npt.NDArray[np.bytes_]:
        """统一社会信用代码 as ``S18`` ASCII bytes."""
        return self._columns["credit_code"]  # type: ignore[return-value]

    @property
    def ids(self) -> npt.NDArray[np.bytes_]:
        """Same as :attr:`credit_code`: the ids draws are keyed by."""
        return self.credit_code

    @property
    def name(self) -> npt.NDArray[Any]:
        """企业名称 (numpy strings)."""
        return self._columns["name"]  # type: ignore[return-value]

    @property
    def risk_class(self) -> npt.NDArray[np.uint8]:
        """Risk class codes: 0 for A … 4 for E (``RiskClass.index``)."""
        return self._columns["risk_class"]  # type: ignore[return-value]

    @property
    def industry(self) -> Categorical:
        """行业 labels."""
        return self._columns["industry"]  # type: ignore[return-value]

    @property
    def area(self) -> Categorical:
        """行政区划 labels."""
        return self._columns["area"]  # type: ignore[return-value]

    @property
    def status(self) -> Categorical:
        """登记状态 labels."""
        return self._columns["status"]  # type: ignore[return-value]

    @property
    def tags(self) -> TagSet:
        """分类标注 tags."""
        return self._columns["tags"]  # type: ignore[return-value]

    @property
    def abnormal(self) -> npt.NDArray[np.bool_]:
        """Listed in the 经营异常名录."""
        return self._columns["abnormal"]  # type: ignore[return-value]

    @property
    def complaints(self) -> npt.NDArray[np.int32]:
        """Complaint counts."""
        return self._columns["complaints"]  # type: ignore[return-value]

    @property
    def last_inspected(self) -> npt.NDArray[np.datetime64]:
        """Date of the last inspection, ``NaT`` for none."""
        return self._columns["last_inspected"]  # type: ignore[return-value]

    def __getitem__(self, i: int) -> Target:
        """Row ``i`` as a :class:`~randcheck.Target` (negative indices count from the end)."""
        if not -self._n <= i < self._n:
            raise IndexError(f"row {i} is out of range for {self._n} rows")
        i %= self._n
        last = self.last_inspected[i]
        return Target(
            credit_code=self.credit_code[i].decode("ascii"),
            name=str(self.name[i]),
            risk_class=RISK_LETTERS[int(self.risk_class[i])],
            industry=self.industry.categories[self.industry.codes[i]],
            area=self.area.categories[self.area.codes[i]],
            tags=self.tags.row(i),
            status=self.status.categories[self.status.codes[i]],
            abnormal=bool(self.abnormal[i]),
            complaints=int(self.complaints[i]),
            last_inspected=None if np.isnat(last) else last.astype(dt.date),
            attributes={
                k: (v[i].item() if v.dtype.kind == "f" else str(v[i]))
                for k, v in self._extra.items()
            },
        )

    def row_of(self, credit_codes: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Row index of each code, ``-1`` where a code is not in the roster (vectorized)."""
        wanted = np.asarray(credit_codes)
        if wanted.dtype.kind != "S":
            wanted = np.asarray(np.strings.encode(_to_strings(wanted), "ascii", "replace"))
        too_long = np.strings.str_len(wanted) > 18  # would match after truncation to 18
        wanted = wanted.astype("S18")
        order = self.code_order()
        s = self.credit_code[order]
        pos = np.searchsorted(s, wanted)
        pos_c = np.minimum(pos, max(self._n - 1, 0))
        found = (pos < self._n) & (s[pos_c] == wanted) if self._n else np.zeros(len(wanted), bool)
        found &= ~too_long
        return np.where(found, order[pos_c] if self._n else 0, -1).astype(np.intp)

    def mask(
        self,
        *,
        industry: Iterable[str] | None = None,
        area: Iterable[str] | None = None,
        area_prefix: str | None = None,
        tags: Iterable[str] | None = None,
        status: Iterable[str] | None = None,
        risk_class: Iterable[RiskClass | str] | None = None,
        active: bool | None = None,
    ) -> npt.NDArray[np.bool_]:
        """Rows matching every given condition (定向 selection); ``None`` means no condition.

        ``tags`` keeps rows with at least one of the tags; ``area_prefix`` keeps area codes that
        start with it (``"1306"`` for a prefecture); ``active=True`` drops 注销/吊销/撤销/迁出.
        """
        m = np.ones(self._n, dtype=bool)
        if industry is not None:
            m &= self.industry.mask(industry)
        if area is not None:
            m &= self.area.mask(area)
        if area_prefix is not None:
            m &= self.area.mask(c for c in self.area.categories if c.startswith(area_prefix))
        if tags is not None:
            m &= self.tags.mask_any(tags)
        if status is not None:
            m &= self.status.mask(status)
        if risk_class is not None:
            wanted = np.zeros(len(RISK_LETTERS), dtype=bool)
            for rc in risk_class:
                wanted[RiskClass.parse(rc).index] = True
            m &= wanted[self.risk_class]
        if active is not None:
            inactive = self.status.mask(INACTIVE_STATUSES)
            m &= ~inactive if active else inactive
        return m

    def filter(self, **conditions: Any) -> TargetRoster:
        """A new roster with the rows :meth:`mask` selects (only those rows are copied)."""
        return self.take(self.mask(**conditions))

    def risk_counts(self) -> dict[str, int]:
        """Number of targets per risk class letter (classes with none are left out)."""
        counts = np.bincount(self.risk_class, minlength=len(RISK_LETTERS))
        return {RISK_LETTERS[i]: int(c) for i, c in enumerate(counts) if c}

    def invalid_credit_codes(self) -> list[tuple[int, str]]:
        """(1-based row, code) of every code failing GB 32100-2015 (kept by ``legacy_codes=True``).

        Rows count from 1 in the roster's own order (for a roster just loaded from a CSV file,
        add 1 for the header row to get the file's row).
        """
        bad = np.flatnonzero(~credit_code_mask(self.credit_code))
        return [(int(i) + 1, self.credit_code[i].decode("ascii")) for i in bad]


class OfficerRoster(_Roster):
    """执法检查人员名录库: the directory of officers and experts (专家库), stored as columns.

    Columns (canonical name, then the Chinese headers accepted): ``officer_id`` (required;
    执法证号 / 人员编号 / 编号), ``name`` (姓名), ``unit`` (单位 / 所属单位 / 执法队伍 / 中队),
    ``department`` (部门 / 所属部门), ``area`` (负责区域 / 责任区域 / 辖区), ``skills`` (专长 /
    技能 / 专业, ``;``-separated), ``expert`` (专家 / 专家库), ``active`` (在岗 / 状态 / 有效;
    default true), ``load_cap`` (任务上限 / 最大任务数; empty for none).

    Examples
    --------
    >>> officers = OfficerRoster.from_officers([
    ...     Officer("A001", "王某", unit="执法一中队", skills="成品油"),
    ...     Officer("A002", "李某", unit="执法二中队", active=False),
    ... ])
    >>> len(officers), officers.active.tolist()
    (2, [True, False])
    """

    COLUMNS = OFFICER_COLUMNS
    ID = "officer_id"
    RECIPE = "randcheck-officers/2"
    __slots__ = ()

    @classmethod
    def from_officers(cls, officers: Iterable[Officer]) -> OfficerRoster:
        """Build from :class:`~randcheck.Officer` objects."""
        items = list(officers)
        return cls.from_columns(
            {
                "officer_id": [o.officer_id for o in items],
                "name": [o.name for o in items],
                "unit": [o.unit for o in items],
                "department": [o.department for o in items],
                "area": [o.area for o in items],
                "skills": [sorted(o.skills) for o in items],
                "expert": np.array([o.expert for o in items], dtype=bool),
                "active": np.array([o.active for o in items], dtype=bool),
                "load_cap": np.array([o.load_cap for o in items], dtype=object),
            }
        )

    @property
    def officer_id(self) -> npt.NDArray[Any]:
        """执法证号 (numpy strings)."""
        return self._columns["officer_id"]  # type: ignore[return-value]

    @property
    def ids(self) -> npt.NDArray[Any]:
        """Same as :attr:`officer_id`."""
        return self.officer_id

    @property
    def name(self) -> npt.NDArray[Any]:
        """姓名."""
        return self._columns["name"]  # type: ignore[return-value]

    @property
    def unit(self) -> Categorical:
        """所属单位 (e.g. 执法一中队)."""
        return self._columns["unit"]  # type: ignore[return-value]

    @property
    def department(self) -> Categorical:
        """部门 (e.g. 商务局)."""
        return self._columns["department"]  # type: ignore[return-value]

    @property
    def area(self) -> Categorical:
        """Area of responsibility."""
        return self._columns["area"]  # type: ignore[return-value]

    @property
    def skills(self) -> TagSet:
        """专长 tags."""
        return self._columns["skills"]  # type: ignore[return-value]

    @property
    def expert(self) -> npt.NDArray[np.bool_]:
        """专家库 membership."""
        return self._columns["expert"]  # type: ignore[return-value]

    @property
    def active(self) -> npt.NDArray[np.bool_]:
        """In service."""
        return self._columns["active"]  # type: ignore[return-value]

    @property
    def load_cap(self) -> npt.NDArray[np.int32]:
        """Most visits per batch; ``-1`` for no cap."""
        return self._columns["load_cap"]  # type: ignore[return-value]

    def __getitem__(self, i: int) -> Officer:
        """Row ``i`` as an :class:`~randcheck.Officer`."""
        if not -self._n <= i < self._n:
            raise IndexError(f"row {i} is out of range for {self._n} rows")
        i %= self._n
        cap = int(self.load_cap[i])
        return Officer(
            officer_id=str(self.officer_id[i]),
            name=str(self.name[i]),
            unit=self.unit.categories[self.unit.codes[i]],
            department=self.department.categories[self.department.codes[i]],
            area=self.area.categories[self.area.codes[i]],
            skills=self.skills.row(i),
            expert=bool(self.expert[i]),
            active=bool(self.active[i]),
            load_cap=None if cap < 0 else cap,
        )

    def row_of(self, officer_ids: Iterable[str]) -> npt.NDArray[np.intp]:
        """Row index of each officer id, ``-1`` where unknown."""
        lookup = self._cache.get("lookup")
        if lookup is None:
            lookup = {str(v): i for i, v in enumerate(self.officer_id.tolist())}
            self._cache["lookup"] = lookup
        return np.array([lookup.get(str(o), -1) for o in officer_ids], dtype=np.intp)


_Part: TypeAlias = "tuple[npt.NDArray[np.uint64], npt.NDArray[Any], bytes]"


class RosterDigest:
    """A roster's fingerprint (:meth:`TargetRoster.digest`) computed from its rows in parts.

    Feed it the parts of one roster in any order and any split (:meth:`update` with a roster
    built from each part: chunks of a file larger than memory, partitions on a cluster), combine
    accumulators fed elsewhere with :meth:`merge`, then :meth:`seal`: the result equals
    ``digest()`` of the whole roster. It follows the recipe's buckets and keeps each bucket's
    lines until sealing (their canonical text, about as large as the roster's CSV). To bound
    memory, accumulate a range of buckets at a time (``buckets=``), one pass over the parts per
    range, and merge the accumulators.

    Parameters
    ----------
    kind : type
        :class:`TargetRoster` (default) or :class:`OfficerRoster`.
    buckets : range
        The recipe's buckets (0–255) this accumulator keeps; other rows are skipped.

    Examples
    --------
    >>> r = TargetRoster.from_columns({
    ...     "credit_code": ["91350100M000100Y43", "91130634MA07RWXK3G", "91130634MA0CJ6HX5L"],
    ...     "risk_class": ["A", "D", "B"],
    ... })
    >>> low, high = RosterDigest(buckets=range(0, 128)), RosterDigest(buckets=range(128, 256))
    >>> for part in (r.take([2]), r.take([0, 1])):
    ...     low.update(part)
    ...     high.update(part)
    >>> low.merge(high)
    >>> low.seal() == r.digest()
    True
    """

    def __init__(
        self,
        kind: type[TargetRoster] | type[OfficerRoster] | None = None,
        *,
        buckets: range = range(_BUCKETS),
    ) -> None:
        if buckets.step != 1 or buckets.start < 0 or buckets.stop > _BUCKETS:
            raise ValueError(f"buckets: consecutive buckets within 0–255 are needed, got {buckets}")
        self.kind: type[_Roster] = TargetRoster if kind is None else kind
        self.header: list[str] | None = None
        self._covered = set(buckets)
        self._first, self._stop = buckets.start, buckets.stop
        self._parts: dict[int, list[_Part]] = {}
        self._closed: dict[int, tuple[bytes, int]] = {}  # bucket -> (its digest, its rows)

    def __sizeof__(self) -> int:
        # The lines held until sealing, for memory accounting (Dask's ``sizeof``).
        return object.__sizeof__(self) + _nbytes(self._parts)

    def _check_header(self, header: list[str]) -> None:
        if self.header is None:
            self.header = header
        elif header != self.header:
            raise RosterError(
                "the parts of one roster need the same columns: "
                f"{', '.join(header)} against {', '.join(self.header)}"
            )

    def update(self, rows: TargetRoster | OfficerRoster) -> None:
        """Add a part of the roster (a roster holding some of its rows)."""
        if not isinstance(rows, self.kind):
            raise TypeError(f"a {self.kind.__name__} is needed, got {type(rows).__name__}")
        if self._closed:
            raise ValueError("this accumulator is closed: its buckets are hashed already")
        self._check_header(rows._header())
        keys, order, bounds = rows._buckets()
        texts: dict[int, list[bytes]] = {}
        for b, text in _bucket_texts(rows, self._first, self._stop):
            texts.setdefault(b, []).append(text)
        rows._cache.pop("pieces", None)
        ids = rows._ids
        for b, parts in texts.items():
            sel = order[bounds[b] : bounds[b + 1]]
            self._parts.setdefault(b, []).append((keys[sel], ids[sel], b"".join(parts)))

    def merge(self, other: RosterDigest) -> None:
        """Take in what another accumulator holds (other buckets, or other rows)."""
        if other.kind is not self.kind:
            raise TypeError(
                f"cannot merge a {other.kind.__name__} digest into a {self.kind.__name__} one"
            )
        if other.header is not None:
            self._check_header(other.header)
        self._covered |= other._covered
        self._first = min(self._first, other._first)
        self._stop = max(self._stop, other._stop)
        for b, parts in other._parts.items():
            self._parts.setdefault(b, []).extend(parts)
        for b, closed in other._closed.items():
            if b in self._closed:
                raise ValueError(f"bucket {b} was closed in both accumulators")
            self._closed[b] = closed

    def split(self, parts: int) -> list[RosterDigest]:
        """This accumulator's buckets as ``parts`` accumulators of consecutive bucket ranges.

        Each holds the rows of its own buckets only (this one is left empty): they can be
        stored or sent apart, merged with the same range from other parts of the roster, and
        closed one range at a time (out of core, on a cluster).
        """
        if self._closed:
            raise ValueError("this accumulator is closed: its buckets are hashed already")
        cuts = np.linspace(self._first, self._stop, int(parts) + 1).astype(int).tolist()
        out = []
        for a, b in itertools.pairwise(cuts):
            acc = RosterDigest(self.kind, buckets=range(a, b))  # type: ignore[arg-type]
            acc.header = self.header
            acc._parts = {k: self._parts.pop(k) for k in range(a, b) if k in self._parts}
            out.append(acc)
        return out

    def close(self) -> None:
        """Hash the buckets accumulated so far and drop their lines (then no more rows).

        What is left is 32 bytes and a row count per bucket: an accumulator that has seen
        every row of its buckets (one pass over the parts) can be closed, merged with others
        and sealed with the memory of one pass, not of the whole roster's text.

        Raises
        ------
        RosterError
            If an id came in two parts.
        """
        for b in sorted(self._covered - set(self._closed)):
            parts = self._parts.pop(b, [])
            rows = sum(p[0].shape[0] for p in parts)
            self._closed[b] = (hashlib.sha256(self._bucket_text(parts)).digest(), rows)

    def seal(self) -> str:
        """The digest of every row added; all 256 buckets must have been accumulated.

        Raises
        ------
        RosterError
            If some buckets were never accumulated, or an id came in two parts.
        """
        missing = sorted(set(range(_BUCKETS)) - self._covered)
        if missing:
            raise RosterError(
                f"buckets {missing[0]}–{missing[-1]} were not accumulated ({len(missing)} of "
                "256); merge an accumulator that holds them before sealing"
            )
        digests: list[bytes] = []
        n = 0
        for b in range(_BUCKETS):
            parts = self._parts.get(b, [])
            if b in self._closed:
                if parts:
                    raise ValueError(f"bucket {b} has rows added after it was closed")
                digest, rows = self._closed[b]
                n += rows
                digests.append(digest)
                continue
            n += sum(p[0].shape[0] for p in parts)
            digests.append(hashlib.sha256(self._bucket_text(parts)).digest())
        header = self.header or [c.name for c in self.kind.COLUMNS]
        return _root_digest(self.kind.RECIPE, header, n, digests)

    @classmethod
    def from_parquet(
        cls,
        path: str | os.PathLike[str],
        *,
        kind: type[TargetRoster] | type[OfficerRoster] | None = None,
        passes: int = 1,
        mapping: Mapping[str, str] | None = None,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
        progress: ProgressArg = None,
    ) -> str:
        """The digest of the roster in a Parquet file, read one row group at a time.

        Equals ``TargetRoster.from_parquet(path).digest()`` without holding the roster: each row
        group is read, validated as by :meth:`TargetRoster.from_parquet` (rows numbered across
        the whole file) and added; with ``passes`` > 1 the file is read that many times, each
        pass keeping only its share of the buckets, so the text held at once is about the
        CSV size of the roster divided by ``passes``.

        Raises
        ------
        RosterError
            On the first bad row (file, row, column, value), or an id in two row groups.
        """
        roster_kind: type[_Roster] = TargetRoster if kind is None else kind
        if passes < 1 or passes > _BUCKETS or int(passes) != passes:
            raise ValueError(f"passes = {passes!r}: a whole number from 1 to 256")
        options = {"legacy_codes": legacy_codes, "unknown_columns": unknown_columns, "extra": extra}
        cuts = np.linspace(0, _BUCKETS, int(passes) + 1).astype(int).tolist()
        total = _arrow.parquet_rows(path)
        report = Reporter(progress, total * int(passes), "fingerprint")
        whole: RosterDigest | None = None
        try:
            for a, b in itertools.pairwise(cuts):
                acc = cls(kind, buckets=range(a, b))
                for chunk in roster_kind._parquet_chunks(path, mapping, options):
                    acc.update(chunk)  # type: ignore[arg-type]
                    report.advance(len(chunk))
                acc.close()  # only the pass's bucket digests are kept
                if whole is None:
                    whole = acc
                else:
                    whole.merge(acc)
        finally:
            report.close()
        assert whole is not None
        return whole.seal()

    def _bucket_text(self, parts: list[_Part]) -> bytes:
        if not parts:
            return b""
        if len(parts) == 1:
            return parts[0][2]
        keys = np.concatenate([p[0] for p in parts])
        raw = [p[1] if p[1].dtype.kind == "S" else np.strings.encode(p[1], "utf-8") for p in parts]
        ids = np.concatenate(raw)
        text = np.frombuffer(b"".join(p[2] for p in parts), dtype=np.uint8)
        ends = np.flatnonzero(text == 10) + 1
        starts = np.concatenate([[0], ends[:-1]])
        order = np.lexsort((ids, keys))
        same = np.flatnonzero(ids[order][1:] == ids[order][:-1])
        if same.size:
            value = ids[order][same[0]].decode("utf-8")
            raise RosterError(
                "duplicate id: it came in two parts of the roster", column=self.kind.ID, value=value
            )
        lengths = (ends - starts)[order]
        offsets = np.repeat(starts[order] - np.cumsum(lengths) + lengths, lengths)
        return text[offsets + np.arange(offsets.shape[0])].tobytes()
