"""Columnar directories: 检查对象名录库 (:class:`TargetRoster`) and 执法检查人员名录库 (:class:`OfficerRoster`).

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

import csv
import datetime as dt
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from randcheck._dates import to_optional_date
from randcheck.credit_code import credit_code_mask
from randcheck.errors import RosterError
from randcheck.models import INACTIVE_STATUSES, Officer, RiskClass, Target

__all__ = [
    "OFFICER_COLUMNS",
    "TARGET_COLUMNS",
    "Categorical",
    "OfficerRoster",
    "TagSet",
    "TargetRoster",
]

STRING = np.dtypes.StringDType()
RISK_LETTERS: tuple[str, ...] = tuple(rc.value for rc in RiskClass)
_MAX_LISTED = 20
_FORBIDDEN = ("\t", "\n", "\r")
_TRUE = {"1", "true", "t", "yes", "y", "是", "√", "有"}
_FALSE = {"0", "false", "f", "no", "n", "否", "", "无"}

Column: TypeAlias = "np.ndarray[Any, Any] | Categorical | TagSet"


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
        return (self.bits & np.uint64(m)) != 0

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
    _Col("credit_code", "code", True, ("统一社会信用代码", "信用代码", "社会信用代码"),
         "统一社会信用代码"),
    _Col("name", "text", False, ("企业名称", "名称", "主体名称"), "企业名称"),
    _Col("risk_class", "risk", True, ("信用风险等级", "风险等级", "信用风险分类", "风险分类"),
         "信用风险分类 A–E"),
    _Col("industry", "category", False, ("行业", "所属行业", "行业类别"), "行业"),
    _Col("area", "category", False, ("行政区划", "区域", "所属区域", "区划代码"), "行政区划"),
    _Col("status", "category", False, ("登记状态", "经营状态"), "登记状态"),
    _Col("tags", "tags", False, ("标签", "分类标注"), "分类标注 (;-separated)"),
    _Col("abnormal", "bool", False, ("经营异常名录", "经营异常", "列入经营异常名录"),
         "列入经营异常名录"),
    _Col("complaints", "count", False, ("投诉", "投诉次数", "投诉举报"), "投诉举报次数"),
    _Col("last_inspected", "date", False, ("上次检查日期", "最近检查日期", "上次抽查日期"),
         "上次抽查日期"),
)

#: Officer directory columns.
OFFICER_COLUMNS: tuple[_Col, ...] = (
    _Col("officer_id", "id", True, ("执法证号", "人员编号", "编号"), "执法证号"),
    _Col("name", "text", False, ("姓名",), "姓名"),
    _Col("unit", "category", False, ("单位", "所属单位", "执法队伍", "中队"), "所属单位"),
    _Col("department", "category", False, ("部门", "所属部门"), "部门"),
    _Col("area", "category", False, ("负责区域", "责任区域", "辖区"), "负责区域"),
    _Col("skills", "tags", False, ("专长", "技能", "专业"), "专长 (;-separated)"),
    _Col("expert", "bool", False, ("专家", "专家库"), "专家库成员"),
    _Col("active", "bool", False, ("在岗", "状态", "有效"), "在岗"),
    _Col("load_cap", "cap", False, ("任务上限", "最大任务数"), "每批最多任务数"),
)

_DEFAULTS: dict[str, Any] = {
    "status": "存续",
    "active": True,
}


class _Context:
    """Where values come from, to put the user's row numbers into errors."""

    def __init__(self, source: str | None, first_row: int, rows: npt.NDArray[np.intp] | None):
        self.source = source
        self.first_row = first_row
        self.rows = rows  # user row numbers when they are not consecutive

    def row(self, i: int) -> int:
        if self.rows is not None:
            return int(self.rows[i])
        return self.first_row + i

    def fail(self, column: str, bad: npt.NDArray[np.intp], values: Sequence[Any], why: str) -> None:
        problems: list[tuple[int | None, str | None, Any, str]] = [
            (self.row(int(i)), column, v, why) for i, v in zip(bad[:_MAX_LISTED], values, strict=False)
        ]
        first_row, _, first_value, _ = problems[0]
        more = f" ({bad.size} rows in all)" if bad.size > 1 else ""
        raise RosterError(
            why + more, source=self.source, row=first_row, column=column, value=first_value,
            problems=problems, has_value=True,
        )


def _as_array(values: Any) -> np.ndarray[Any, Any]:
    if isinstance(values, np.ndarray):
        return values
    to_numpy = getattr(values, "to_numpy", None)
    if callable(to_numpy):
        return np.asarray(to_numpy())
    return np.asarray(list(values) if not isinstance(values, Sequence) else values,
                      dtype=None if _is_numeric_seq(values) else object)


def _is_numeric_seq(values: Any) -> bool:
    try:
        return len(values) > 0 and all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values
        )
    except TypeError:
        return False


def _factorize_text(arr: np.ndarray[Any, Any]) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Distinct values and the inverse index, without one Python call per row where possible."""
    if arr.dtype.kind in "US" or arr.dtype == STRING:
        uniq, inv = np.unique(arr, return_inverse=True)
        return inv.astype(np.intp), uniq.tolist()
    lookup: dict[Any, int] = {}
    inv = np.fromiter((lookup.setdefault(v, len(lookup)) for v in arr.tolist()),
                      dtype=np.intp, count=arr.shape[0])
    return inv, list(lookup)


def _map_uniques(
    col: _Col, arr: np.ndarray[Any, Any], parse: Callable[[Any], Any], ctx: _Context,
    why: str, out_dtype: Any,
) -> np.ndarray[Any, Any]:
    inv, uniq = _factorize_text(arr)
    parsed = []
    bad_u = []
    for k, u in enumerate(uniq):
        try:
            parsed.append(parse(u))
        except (ValueError, TypeError):
            parsed.append(None)
            bad_u.append(k)
    if bad_u:
        bad_rows = np.flatnonzero(np.isin(inv, bad_u))
        ctx.fail(col.name, bad_rows, [uniq[inv[i]] for i in bad_rows[:_MAX_LISTED]], why)
    table = np.array(parsed, dtype=out_dtype)
    return np.asarray(table[inv]) if len(parsed) else np.zeros(arr.shape[0], dtype=out_dtype)


def _nul_rows(arr: np.ndarray[Any, Any], chunk: int = 1 << 20) -> npt.NDArray[np.intp]:
    """Rows with an embedded NUL (numpy's string search cannot look for one)."""
    found = []
    for start in range(0, arr.shape[0], chunk):
        enc = np.asarray(np.strings.encode(arr[start:start + chunk], "utf-8"))
        if enc.dtype.itemsize == 0 or enc.size == 0:
            continue
        nz = enc.view(np.uint8).reshape(enc.shape[0], enc.dtype.itemsize) != 0
        last = nz.shape[1] - np.argmax(nz[:, ::-1], axis=1)
        found.append(start + np.flatnonzero(nz.any(axis=1) & (nz.sum(axis=1) < last)))
    return np.concatenate(found) if found else np.zeros(0, dtype=np.intp)


def _check_text(col: _Col, arr: np.ndarray[Any, Any], ctx: _Context, *, empty_ok: bool) -> None:
    for ch in (*_FORBIDDEN, "\x00"):
        hit = _nul_rows(arr) if ch == "\x00" else np.flatnonzero(np.strings.find(arr, ch) >= 0)
        if hit.size:
            ctx.fail(col.name, hit, [str(arr[i]) for i in hit[:_MAX_LISTED]],
                     "tab, newline, carriage return and NUL are not allowed in a value")
    if not empty_ok:
        hit = np.flatnonzero(np.strings.str_len(arr) == 0)
        if hit.size:
            ctx.fail(col.name, hit, ["" for _ in hit[:_MAX_LISTED]], "a required id is empty")


def _to_strings(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    if arr.dtype == STRING:
        return arr
    if arr.dtype.kind == "S":
        return np.strings.decode(arr, "utf-8")  # type: ignore[no-any-return]
    if arr.dtype == object:
        return np.array(["" if v is None else str(v) for v in arr.tolist()], dtype=STRING)
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
        return v.astype("datetime64[D]")
    d = to_optional_date(v)
    return np.datetime64("NaT", "D") if d is None else np.datetime64(d, "D")


def _parse_column(col: _Col, raw: Any, n: int, ctx: _Context, strict: bool) -> Column:
    if col.kind == "tags" and not isinstance(raw, np.ndarray) and isinstance(raw, Sequence):
        raw = np.array([*raw, None], dtype=object)[:-1]  # keep lists of labels one per row
    arr = _as_array(raw)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RosterError(
            f"has {arr.shape[0] if arr.ndim else 0} values but the roster has {n} rows",
            source=ctx.source, column=col.name,
        )
    kind = col.kind
    if kind == "code":
        if arr.dtype.kind == "S":
            if arr.dtype.itemsize > 18:
                too_long = np.flatnonzero(np.strings.str_len(arr) > 18)
                if too_long.size:
                    ctx.fail(col.name, too_long, [arr[i].decode("ascii", "replace")
                                                  for i in too_long[:_MAX_LISTED]],
                             "a credit code has at most 18 characters")
            codes = arr.astype("S18")
            text = None
        else:
            text = np.strings.strip(_to_strings(arr))
            _check_text(col, text, ctx, empty_ok=False)
            lengths = np.strings.str_len(text)
            bad = np.flatnonzero(lengths > 18)
            if bad.size:
                ctx.fail(col.name, bad, [str(text[i]) for i in bad[:_MAX_LISTED]],
                         "a credit code has at most 18 characters")
            encoded = np.asarray(np.strings.encode(text, "utf-8"))
            bad = np.flatnonzero(np.strings.str_len(encoded) != lengths)
            if bad.size:
                ctx.fail(col.name, bad, [str(text[i]) for i in bad[:_MAX_LISTED]],
                         "a credit code has only ASCII letters and digits")
            codes = encoded.astype("S18")
        empty = np.flatnonzero(np.strings.str_len(codes) == 0)
        if empty.size:
            ctx.fail(col.name, empty, ["" for _ in empty[:_MAX_LISTED]], "a required id is empty")
        if strict:
            bad = np.flatnonzero(~credit_code_mask(codes))
            if bad.size:
                ctx.fail(col.name, bad, [codes[i].decode("ascii") for i in bad[:_MAX_LISTED]],
                         "not a valid 统一社会信用代码 (GB 32100-2015: 18 characters from "
                         "0-9 and A-Y without I O S V Z, correct check character); "
                         "load with strict=False to accept and report legacy codes")
        return codes
    if kind in ("id", "text"):
        text = _to_strings(arr)
        if kind == "id":
            text = np.strings.strip(text)
        _check_text(col, text, ctx, empty_ok=kind == "text")
        return text
    if kind == "risk":
        return _map_uniques(col, arr, lambda v: RiskClass.parse(v).index, ctx,
                            "unknown risk class; use A, B, C, D or E or a label such as "
                            "信用风险低 / 一般 / 较高 / 高", np.uint8)
    if kind == "category":
        text = np.strings.strip(_to_strings(arr))
        _check_text(col, text, ctx, empty_ok=True)
        inv, uniq = _factorize_text(text)
        return Categorical(inv.astype(np.int32), tuple(str(u) for u in uniq))
    if kind == "tags":
        values = [("" if v is None else v) for v in arr.tolist()]
        try:
            return TagSet.from_values(values)
        except ValueError as exc:
            raise RosterError(str(exc), source=ctx.source, column=col.name) from None
    if kind == "bool":
        if arr.dtype == np.bool_:
            return arr.copy()
        return _map_uniques(col, arr, _parse_bool, ctx,
                            "not a yes/no value; use 1/0, true/false or 是/否", bool)
    if kind == "count":
        if arr.dtype.kind in "iu":
            bad = np.flatnonzero(arr < 0)
            if bad.size:
                ctx.fail(col.name, bad, [int(arr[i]) for i in bad[:_MAX_LISTED]],
                         "must be a whole number ≥ 0")
            return arr.astype(np.int32)
        return _map_uniques(col, arr, _parse_count, ctx, "must be a whole number ≥ 0", np.int32)
    if kind == "cap":
        if arr.dtype.kind in "iu":
            return np.where(arr < 0, -1, arr).astype(np.int32)
        return _map_uniques(col, arr, _parse_cap, ctx,
                            "must be a whole number ≥ 0 (empty for no cap)", np.int32)
    if kind == "date":
        if arr.dtype.kind == "M":
            return arr.astype("datetime64[D]")
        return _map_uniques(col, arr, _parse_date, ctx,
                            "not a date; use YYYY-MM-DD (empty for none)", "datetime64[D]")
    raise AssertionError(kind)  # pragma: no cover


def _parse_extra(name: str, raw: Any, n: int, ctx: _Context) -> np.ndarray[Any, Any]:
    arr = _as_array(raw)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RosterError(f"has {arr.shape[0] if arr.ndim else 0} values but the roster has "
                          f"{n} rows", source=ctx.source, column=name)
    if arr.dtype.kind in "iufb":
        return arr.astype(np.float64)
    text = _to_strings(arr)
    inv, uniq = _factorize_text(text)
    try:
        table = np.array([float(u) if str(u).strip() else np.nan for u in uniq], dtype=np.float64)
    except ValueError:
        col = _Col(name, "text")
        _check_text(col, text, ctx, empty_ok=True)
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


def _canonical_bytes(col: _Col | None, column: Column) -> tuple[np.ndarray[Any, Any], Any]:
    """A per-row index into a byte table, or a byte array, giving each row's canonical text."""
    if isinstance(column, Categorical):
        table = np.array([c.encode("utf-8") for c in column.categories] or [b""])
        return column.codes, table
    if isinstance(column, TagSet):
        inv, texts = column.joined()
        return inv, np.array([t.encode("utf-8") for t in texts] or [b""])
    if col is not None and col.kind == "risk":
        return column.astype(np.intp), np.array([r.encode() for r in RISK_LETTERS])
    if column.dtype == np.bool_:
        return column.astype(np.intp), np.array([b"0", b"1"])
    if column.dtype.kind == "S":
        return column, None
    if column.dtype == STRING:
        return column, "utf-8"
    if column.dtype.kind == "M":
        uniq, inv = np.unique(column, return_inverse=True)
        texts = [b"" if np.isnat(u) else str(u.astype("datetime64[D]")).encode() for u in uniq]
        return inv.astype(np.intp), np.array(texts or [b""])
    if column.dtype.kind in "iu":
        uniq, inv = np.unique(column, return_inverse=True)
        return inv.astype(np.intp), np.array([str(int(u)).encode() for u in uniq] or [b""])
    if column.dtype.kind == "f":
        uniq, inv = np.unique(column, return_inverse=True)
        return inv.astype(np.intp), np.array([_float_text(float(u)).encode() for u in uniq]
                                             or [b""])
    raise AssertionError(column.dtype)  # pragma: no cover


def _float_text(x: float) -> str:
    if np.isnan(x):
        return ""
    if x == int(x) and abs(x) < 2**53:
        return str(int(x))
    return repr(x)


class _Roster:
    """Shared machinery of the two directories (columns, validation, CSV, digest)."""

    COLUMNS: ClassVar[tuple[_Col, ...]]
    ID: ClassVar[str]
    RECIPE: ClassVar[str]
    _PUBLIC_NAME: ClassVar[str]

    __slots__ = ("_cache", "_columns", "_extra", "_n", "source")

    def __init__(self, columns: Mapping[str, Column], extra: Mapping[str, np.ndarray[Any, Any]],
                 source: str | None = None) -> None:
        # Private: use the from_* constructors, which validate.
        self._columns = dict(columns)
        self._extra = dict(extra)
        self._n = len(columns[self.ID])
        self._cache: dict[str, Any] = {}
        self.source = source

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        src = f", source={self.source!r}" if self.source else ""
        return f"{type(self).__name__}({self._n} rows{src})"

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Any],
        *,
        strict: bool = True,
        extra: Iterable[str] | None = None,
        source: str | None = None,
        _first_row: int = 1,
    ) -> Self:
        """Build a roster from a mapping of column name to values (arrays, lists, Series).

        Parameters
        ----------
        columns : mapping
            Canonical column names (see the module's column tables) or accepted Chinese
            headers, each to a sequence of equal length. Values may be numpy arrays, lists or
            anything with ``to_numpy()`` (pandas, polars, pyarrow columns).
        strict : bool
            Strict mode rejects invalid credit codes and unknown columns; lenient mode keeps
            legacy codes (list them with :meth:`TargetRoster.invalid_credit_codes`) and keeps
            unknown columns as the user's own attributes.
        extra : iterable of str, optional
            Names of the user's own columns to keep (allowed in strict mode too).
        source : str, optional
            A name for error messages (a file name).

        Raises
        ------
        RosterError
            On the first problem found, naming the column, the 1-based row and the value.
        """
        ctx = _Context(source, _first_row, None)
        names = {c.name: c for c in cls.COLUMNS}
        alias = {a: c.name for c in cls.COLUMNS for a in c.aliases}
        keep = set(extra or ())
        renamed: dict[str, Any] = {}
        extras: dict[str, Any] = {}
        for key, values in columns.items():
            name = str(key).strip()
            canon = name if name in names else alias.get(name)
            if canon is not None:
                if canon in renamed:
                    raise RosterError(f"column {canon!r} is given twice (as {name!r} too)",
                                      source=source, column=name)
                renamed[canon] = values
            elif name in keep or not strict:
                extras[name] = values
            else:
                raise RosterError(
                    "unknown column; known columns are "
                    + ", ".join(c.name for c in cls.COLUMNS)
                    + " (or their Chinese headers); pass extra=[...] to keep your own columns "
                    "or strict=False to keep every column",
                    source=source, column=name,
                )
        missing = [c.name for c in cls.COLUMNS if c.required and c.name not in renamed]
        if missing:
            raise RosterError(
                f"required column missing: {', '.join(missing)} (accepted headers: "
                + "; ".join(f"{c.name}: {', '.join(c.aliases)}" for c in cls.COLUMNS
                            if c.name in missing) + ")",
                source=source, column=missing[0],
            )
        n = len(_as_array(renamed[cls.ID]))
        parsed: dict[str, Column] = {}
        for col in cls.COLUMNS:
            if col.name in renamed:
                parsed[col.name] = _parse_column(col, renamed[col.name], n, ctx, strict)
            else:
                parsed[col.name] = _default_column(col, n)
        parsed_extra = {k: _parse_extra(k, v, n, ctx) for k, v in sorted(extras.items())}
        roster = cls(parsed, parsed_extra, source)
        roster._check_unique_ids(ctx)
        return roster

    @classmethod
    def from_dataframe(
        cls,
        frame: Any,
        *,
        mapping: Mapping[str, str] | None = None,
        strict: bool = True,
        extra: Iterable[str] | None = None,
    ) -> Self:
        """Build from a DataFrame (pandas, polars or pyarrow; none is required by randcheck).

        ``mapping`` renames the frame's columns to canonical names first. Pandas categorical
        columns are taken as codes and categories, without a per-row step.
        """
        mapping = dict(mapping or {})
        names = list(frame.columns) if hasattr(frame, "columns") else list(frame.column_names)
        columns: dict[str, Any] = {}
        for name in names:
            series = frame[name] if not hasattr(frame, "column") else frame.column(name)
            target = mapping.get(str(name), str(name))
            cat = getattr(series, "cat", None)
            if cat is not None and hasattr(cat, "codes") and not isinstance(cat, Callable):
                codes = np.asarray(cat.codes.to_numpy(), dtype=np.int32)
                cats = [str(c) for c in cat.categories]
                if (codes < 0).any():
                    cats.append("")
                    codes = np.where(codes < 0, len(cats) - 1, codes).astype(np.int32)
                canon = cls._canonical_name(target)
                kind = next((c.kind for c in cls.COLUMNS if c.name == canon), None)
                if kind == "category":
                    columns[target] = Categorical(codes, tuple(cats))
                    continue
                columns[target] = np.array(cats, dtype=STRING)[codes]
                continue
            columns[target] = series
        return cls._from_mixed(columns, strict=strict, extra=extra, source="DataFrame")

    @classmethod
    def _canonical_name(cls, name: str) -> str:
        for c in cls.COLUMNS:
            if name == c.name or name in c.aliases:
                return c.name
        return name

    @classmethod
    def _from_mixed(cls, columns: Mapping[str, Any], **kwargs: Any) -> Self:
        # Ready-made Categorical columns skip factorizing (they are already codes).
        ready = {k: v for k, v in columns.items() if isinstance(v, Categorical)}
        rest = {k: v for k, v in columns.items() if not isinstance(v, Categorical)}
        placeholder = {k: np.zeros(len(v), dtype=np.int8) for k, v in ready.items()}
        roster = cls.from_columns({**rest, **placeholder}, **kwargs) if ready else \
            cls.from_columns(rest, **kwargs)
        for key, cat in ready.items():
            canon = cls._canonical_name(key)
            if canon not in roster._columns:
                raise RosterError("a categorical column must be one of the label columns",
                                  column=key)
            _check_text(_Col(canon, "text"), np.array(cat.categories, dtype=STRING),
                        _Context(kwargs.get("source"), 1, None), empty_ok=True)
            roster._columns[canon] = cat
        return roster

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str] | io.TextIOBase,
        *,
        mapping: Mapping[str, str] | None = None,
        strict: bool = True,
        extra: Iterable[str] | None = None,
        encoding: str = "utf-8-sig",
        delimiter: str = ",",
    ) -> Self:
        """Load a CSV file (UTF-8, with or without BOM; headers in English or Chinese).

        Headers are matched to canonical names through the accepted Chinese headers listed in
        the column tables, and ``mapping`` for any other header (``{"纳税人识别号":
        "credit_code"}``). Row numbers in errors count the header as row 1, as a spreadsheet does.

        Raises
        ------
        RosterError
            For a missing file, an empty file, a row with the wrong number of fields, or any
            invalid value; nothing is returned unless the whole file is valid.
        """
        source = getattr(path, "name", None) if isinstance(path, io.TextIOBase) else os.fspath(path)
        mapping = dict(mapping or {})
        try:
            handle = (
                path if isinstance(path, io.TextIOBase)
                else open(path, encoding=encoding, newline="")  # noqa: SIM115
            )
        except OSError as exc:
            raise RosterError(f"cannot open the file: {exc.strerror}", source=source) from None
        try:
            with handle:
                reader = csv.reader(handle, delimiter=delimiter)
                try:
                    header = next(reader)
                except StopIteration:
                    raise RosterError("the file is empty (no header row)", source=source) from None
                header = [mapping.get(h.strip().lstrip("\ufeff"), h.strip().lstrip("\ufeff"))
                          for h in header]
                width = len(header)
                data: list[list[str]] = [[] for _ in range(width)]
                appenders = [d.append for d in data]
                for lineno, row in enumerate(reader, start=2):
                    if len(row) != width:
                        if not row:
                            continue
                        raise RosterError(
                            f"has {len(row)} fields but the header has {width}",
                            source=source, row=lineno,
                        )
                    for app, value in zip(appenders, row, strict=True):
                        app(value)
        except UnicodeDecodeError as exc:
            raise RosterError(f"is not UTF-8 text ({exc.reason} at byte {exc.start})",
                              source=source) from None
        columns = {h: np.array(d, dtype=STRING) for h, d in zip(header, data, strict=True)}
        del data
        if len(set(header)) != len(header):
            dup = next(h for h in header if header.count(h) > 1)
            raise RosterError("the header names this column twice", source=source, column=dup)
        return cls.from_columns(columns, strict=strict, extra=extra, source=source, _first_row=2)

    # ----------------------------------------------------------------- access
    def _check_unique_ids(self, ctx: _Context) -> None:
        ids = self._columns[self.ID]
        order = self._sort_order()
        s = ids[order]
        dup = np.flatnonzero(s[1:] == s[:-1])
        if dup.size:
            first = s[dup[0]]
            rows = np.sort(order[np.flatnonzero(s == first)])
            value = first.decode("ascii") if isinstance(first, bytes) else str(first)
            raise RosterError(
                f"duplicate id: also in row {ctx.row(int(rows[0]))}"
                + (f" ({dup.size} duplicates in all)" if dup.size > 1 else ""),
                source=ctx.source, row=ctx.row(int(rows[1])), column=self.ID, value=value,
            )

    def _sort_order(self) -> npt.NDArray[np.intp]:
        """Row order sorted by id (cached)."""
        order = self._cache.get("order")
        if order is None:
            ids = self._columns[self.ID]
            if ids.dtype.kind == "S" and ids.dtype.itemsize == 18 and self._n:
                v = ids.view(np.uint8).reshape(self._n, 18)
                hi = np.ascontiguousarray(v[:, :8]).view(">u8").ravel()
                mid = np.ascontiguousarray(v[:, 8:16]).view(">u8").ravel()
                lo = np.ascontiguousarray(v[:, 16:]).view(">u2").ravel()
                order = np.lexsort((lo, mid, hi))
            else:
                order = np.argsort(np.strings.encode(ids, "utf-8") if ids.dtype == STRING
                                   else ids, kind="stable")
            self._cache["order"] = order
        return order  # type: ignore[no-any-return]

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
        cols = {k: _take(v, idx) for k, v in self._columns.items()}
        extra = {k: v[idx] for k, v in self._extra.items()}
        return type(self)(cols, extra, self.source)

    def to_columns(self) -> dict[str, np.ndarray[Any, Any]]:
        """Plain numpy columns (labels as strings), e.g. for ``pandas.DataFrame(...)``."""
        out: dict[str, np.ndarray[Any, Any]] = {}
        for col in self.COLUMNS:
            out[col.name] = self._plain(col, self._columns[col.name])
        out.update(self._extra)
        return out

    def _plain(self, col: _Col, column: Column) -> np.ndarray[Any, Any]:
        idx, table = _canonical_bytes(col, column)
        if table is None:
            return np.strings.decode(idx, "ascii")  # type: ignore[no-any-return]
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
        tmp = f"{os.fspath(path)}.tmp"
        header = [c.name for c in self.COLUMNS] + list(self._extra)
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(",".join(header) + "\n")
                for chunk in self._canonical_chunks(sort=False, sep=b",", quote=True):
                    fh.write(chunk.decode("utf-8"))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    # ----------------------------------------------------------------- digest
    def _canonical_chunks(
        self, *, sort: bool, sep: bytes = b"\t", quote: bool = False, chunk: int = 200_000
    ) -> Iterator[bytes]:
        parts: list[tuple[np.ndarray[Any, Any], Any]] = []
        for col in self.COLUMNS:
            parts.append(_canonical_bytes(col, self._columns[col.name]))
        for name in self._extra:
            parts.append(_canonical_bytes(None, self._extra[name]))
        if quote:
            parts = [_quoted(p) for p in parts]
        order = self._sort_order() if sort else None
        for start in range(0, self._n, chunk):
            rows = (order[start:start + chunk] if order is not None
                    else np.arange(start, min(start + chunk, self._n)))
            line: np.ndarray[Any, Any] | None = None
            for k, (idx, table) in enumerate(parts):
                if table is None:
                    cell = idx[rows]
                elif isinstance(table, str):
                    cell = np.strings.encode(idx[rows], table)
                else:
                    cell = table[idx[rows]]
                line = cell if line is None else np.strings.add(np.strings.add(line, sep), cell)
                del k
            assert line is not None
            line = np.strings.add(line, b"\n")
            yield line.tobytes().replace(b"\x00", b"")

    def digest(self) -> str:
        """SHA-256 fingerprint of the roster's content, independent of row order.

        The recipe (``randcheck-roster/1``), which receipts refer to and which will not change
        under this name:

        1. Take the UTF-8 text ``"randcheck-roster/1\\n"``, then the canonical column names
           joined by tabs and a newline (the fixed columns in table order, then the user's own
           columns in alphabetical order).
        2. Then one line per row, rows sorted by id in byte order (credit codes are ASCII), each
           the canonical values joined by tabs and ending in ``\\n``. Canonical values: ids and
           labels as written; the risk class as its letter; tags sorted and joined by ``;``;
           flags ``1``/``0``; counts in decimal; dates ``YYYY-MM-DD`` or empty; no load cap
           empty is written ``-1``; numbers as integers when whole, else Python's ``repr``;
           a missing number empty.
        3. The digest is the lowercase hex SHA-256 of all of it, prefixed ``sha256:``.

        Values never contain tabs or newlines (the loaders reject them), so the text is
        unambiguous. The reference verifier in the docs implements this in a few lines of
        standard-library Python.

        Examples
        --------
        >>> r = TargetRoster.from_columns({"credit_code": ["91350100M000100Y43"],
        ...                                "risk_class": ["A"]})
        >>> r.digest() == r.take([0, 0][:1]).digest()
        True
        """
        cached = self._cache.get("digest")
        if cached is None:
            h = hashlib.sha256()
            h.update(f"{self.RECIPE}\n".encode())
            header = [c.name for c in self.COLUMNS] + list(self._extra)
            h.update(("\t".join(header) + "\n").encode("utf-8"))
            for block in self._canonical_chunks(sort=True):
                h.update(block)
            cached = "sha256:" + h.hexdigest()
            self._cache["digest"] = cached
        return cached  # type: ignore[no-any-return]


def _quoted(part: tuple[np.ndarray[Any, Any], Any]) -> tuple[np.ndarray[Any, Any], Any]:
    idx, table = part
    if table is None:
        return part
    if isinstance(table, str):  # free text: quote every value that needs it
        text = idx
        needs = (np.strings.find(text, ",") >= 0) | (np.strings.find(text, '"') >= 0)
        if needs.any():
            text = text.copy()
            text[needs] = np.strings.add(np.strings.add('"', np.strings.replace(
                text[needs], '"', '""')), '"')
        return text, table
    fixed = []
    for b in table.tolist():
        s = b.decode("utf-8")
        if "," in s or '"' in s:
            s = '"' + s.replace('"', '""') + '"'
        fixed.append(s.encode("utf-8"))
    return idx, np.array(fixed)


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
    RECIPE = "randcheck-roster/1"
    __slots__ = ()

    @classmethod
    def from_targets(cls, targets: Iterable[Target], *, strict: bool = True) -> TargetRoster:
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
                [np.datetime64(t.last_inspected, "D") if t.last_inspected else
                 np.datetime64("NaT", "D") for t in items], dtype="datetime64[D]"),
        }
        for k in extra_names:
            cols[k] = [t.attributes.get(k) for t in items]
        return cls.from_columns(cols, strict=strict, extra=extra_names)

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
            attributes={k: (v[i].item() if v.dtype.kind == "f" else str(v[i]))
                        for k, v in self._extra.items()},
        )

    def row_of(self, credit_codes: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """Row index of each code, ``-1`` where a code is not in the roster (vectorized)."""
        wanted = np.asarray(credit_codes)
        if wanted.dtype.kind != "S":
            wanted = np.asarray(np.strings.encode(_to_strings(wanted), "ascii")).astype("S18")
        order = self._sort_order()
        s = self.credit_code[order]
        pos = np.searchsorted(s, wanted)
        pos_c = np.minimum(pos, max(self._n - 1, 0))
        found = (pos < self._n) & (s[pos_c] == wanted) if self._n else np.zeros(len(wanted), bool)
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
        """(1-based row, code) of every code that fails GB 32100-2015 (lenient loading keeps them)."""
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
    RECIPE = "randcheck-officers/1"
    __slots__ = ()

    @classmethod
    def from_officers(cls, officers: Iterable[Officer]) -> OfficerRoster:
        """Build from :class:`~randcheck.Officer` objects."""
        items = list(officers)
        return cls.from_columns({
            "officer_id": [o.officer_id for o in items],
            "name": [o.name for o in items],
            "unit": [o.unit for o in items],
            "department": [o.department for o in items],
            "area": [o.area for o in items],
            "skills": [sorted(o.skills) for o in items],
            "expert": np.array([o.expert for o in items], dtype=bool),
            "active": np.array([o.active for o in items], dtype=bool),
            "load_cap": np.array([-1 if o.load_cap is None else o.load_cap for o in items],
                                 dtype=np.int64),
        })

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
