"""Parsing and checking one column of a directory (private to :mod:`randcheck.roster`).

Every value of the user's input is checked here, and each problem is collected in a
:class:`Context` that names the user's row numbers; ``from_columns`` raises them all at once.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from randcheck._arrow import Coded
from randcheck._dates import DATE_FORMS, to_optional_date
from randcheck.errors import RosterError
from randcheck.models import (
    RiskClass,
)
from randcheck.problems import MAX_PROBLEMS, Problem, ProblemReport
from randcheck.roster.columns import DEFAULTS, STRING, Categorical, Column, ColumnSpec, TagSet
from randcheck.roster.credit_code import (
    SCIENTIFIC_FIX,
    SCIENTIFIC_WHY,
    WRITTEN,
    credit_code_mask,
    credit_code_problem,
    is_scientific,
    misspelt_code,
)

MAX_LISTED = MAX_PROBLEMS
FORBIDDEN = ("\t", "\n", "\r")
_TRUE = {"1", "true", "t", "yes", "y", "是", "√", "有"}
_FALSE = {"0", "false", "f", "no", "n", "否", "", "无"}


class Context:
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
        self.ids_distinct = False  # the ids are known to be all different (checked already)

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

    def fail_row(self, row: int, why: str, fix: str = "") -> None:
        """Record a problem with a whole row of the file (``row`` as the user numbers it)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, None, None, why, fix))
        self.counts[why] = self.counts.get(why, 0) + 1

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


def shown_id(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def stack_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside randcheck."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("randcheck"):
        frame = frame.f_back
        level += 1
    return level


def as_array(values: Any) -> np.ndarray[Any, Any]:
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


def factorize_fixed(arr: np.ndarray[Any, Any]) -> tuple[npt.NDArray[np.intp], Any]:
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
    inv, first = factorize_keys(key)
    uniq = arr[first]
    if words > 1 and not np.array_equal(uniq[inv], arr):  # pragma: no cover - hash collision
        uniq, inv = np.unique(arr, return_inverse=True)
    return inv.astype(np.intp).reshape(n), uniq


def factorize_keys(
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


def _factorize_text(
    arr: np.ndarray[Any, Any] | Coded,
) -> tuple[npt.NDArray[np.intp], list[Any]]:
    """Distinct values and the inverse index, without one Python call per row.

    Text comes back as ``str`` (bytes are read as UTF-8); missing cells of an object array
    (``None``, NaN, ``pandas.NA``) as ``""``. A :class:`~randcheck._arrow.Coded` column is
    factorized already.
    """
    if isinstance(arr, Coded):
        return arr.codes.astype(np.intp, copy=False), list(arr.values)
    if arr.dtype.kind == "S":
        inv, uniq = factorize_fixed(arr)
        return inv, [u.decode("utf-8", "replace") for u in uniq.tolist()]
    if arr.dtype.kind == "U":
        inv, uniq = factorize_fixed(arr)
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
    col: ColumnSpec,
    arr: np.ndarray[Any, Any] | Coded,
    parse: Callable[[Any], Any],
    ctx: Context,
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
            values = [uniq[inv[i]] for i in bad_rows[:MAX_LISTED]]
            ctx.fail(col.name, bad_rows, values, problem, fix)
    table = np.array(parsed, dtype=out_dtype)
    return np.asarray(table[inv]) if len(parsed) else np.zeros(inv.shape[0], dtype=out_dtype)


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


CONTROL_WHY = "tab, newline, carriage return and NUL are not allowed in a value"


def _check_text(
    col: ColumnSpec, arr: np.ndarray[Any, Any], ctx: Context, *, empty_ok: bool
) -> None:
    for ch in FORBIDDEN:
        if ch in ctx.absent:
            continue
        hit = np.flatnonzero(np.strings.find(arr, ch) >= 0)
        if hit.size:
            ctx.fail(col.name, hit, [str(arr[i]) for i in hit[:MAX_LISTED]], CONTROL_WHY)
    if not ctx.nul_free:
        hit = _nul_rows(arr)
        if hit.size:
            ctx.fail(col.name, hit, [str(arr[i]) for i in hit[:MAX_LISTED]], CONTROL_WHY)
    if not empty_ok:
        hit = np.flatnonzero(np.strings.str_len(arr) == 0)
        if hit.size:
            ctx.fail(col.name, hit, ["" for _ in hit[:MAX_LISTED]], "a required id is empty")


def _check_labels(
    col: ColumnSpec, codes: npt.NDArray[Any], labels: Sequence[str], ctx: Context
) -> None:
    """Reject labels (categories, tags) with a tab, newline, carriage return or NUL."""
    for k, label in enumerate(labels):
        if any(ch in label for ch in (*FORBIDDEN, "\x00")):
            rows = np.flatnonzero(codes == k)
            ctx.fail(col.name, rows, [label] * min(rows.size, MAX_LISTED), CONTROL_WHY)


def to_strings(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
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
    if v is None or (isinstance(v, str) and v.strip() in ("", NO_CAP)):
        return -1
    return _parse_count(v)


#: How :meth:`OfficerRoster.to_csv` (and the ``randcheck-officers/2`` fingerprint) writes "no
#: load cap": read back as no cap, so that a published directory loads; any other negative
#: number is a typo.
NO_CAP = "-1"


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


def _code_fix(value: str, otherwise: str) -> str:
    """The fix for a code with spaces or full-width characters: the valid code it spells,
    when it spells one, else ``otherwise``."""
    plain = misspelt_code(value.strip())
    return otherwise if plain is None else f"{WRITTEN}: write it {plain}"


_EMPTY_WHY = "a required id is empty"
_FIXES = {
    _CODE_WHY: _CODE_FIX,
    _ASCII_WHY: "retype the code: full-width characters (０-９, Ａ-Ｚ) are not allowed",
    _EMPTY_WHY: "fill in the id or delete the row",
    SCIENTIFIC_WHY: SCIENTIFIC_FIX,
}


def s18_ids_distinct(ids: npt.NDArray[np.bytes_]) -> bool:
    """Whether ``S18`` ids are surely all different: ``True`` when no two share a 64-bit hash
    (one sort of one number per id); ``False`` when two might be equal (look closer)."""
    n = ids.shape[0]
    v = ids.view(np.uint8).reshape(n, 18)
    key = np.ascontiguousarray(v[:, :8]).view(np.uint64).ravel().copy()
    key *= np.uint64(0x9E3779B97F4A7C15)
    key ^= np.ascontiguousarray(v[:, 8:16]).view(np.uint64).ravel()
    key *= np.uint64(0xBF58476D1CE4E5B9)
    key ^= np.ascontiguousarray(v[:, 16:]).view(np.uint16).ravel().astype(np.uint64)
    key.sort()
    return not bool((key[1:] == key[:-1]).any())


class CheckedCodes:
    """Credit codes as ``S18``, already checked: which pass GB 32100-2015 and whether they are
    surely all different (work a loader does beside its other columns; see
    :func:`check_codes`)."""

    def __init__(
        self, codes: npt.NDArray[np.bytes_], valid: npt.NDArray[np.bool_], distinct: bool
    ) -> None:
        self.codes = codes
        self.valid = valid
        self.distinct = distinct

    def __len__(self) -> int:
        return int(self.codes.shape[0])


def check_codes(codes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | CheckedCodes:
    """``codes`` with :func:`credit_code_mask` and :func:`s18_ids_distinct` done, when they
    are ``S18`` (else as they are): :func:`_parse_codes` then reports from the mask."""
    if codes.dtype != np.dtype("S18") or not codes.shape[0]:
        return codes
    valid = credit_code_mask(codes)
    return CheckedCodes(codes, valid, bool(valid.all()) and s18_ids_distinct(codes))


def _parse_codes(
    col: ColumnSpec, arr: np.ndarray[Any, Any] | CheckedCodes, ctx: Context, legacy_codes: bool
) -> npt.NDArray[np.bytes_]:
    """Credit codes as ``S18`` ASCII, stripped of surrounding spaces; a new array, always.

    Every bad code is reported once, under its first problem in the order: not ASCII, too
    long, a control character, empty, scientific notation, then (unless ``legacy_codes``)
    failing GB 32100.
    """
    if isinstance(arr, CheckedCodes):  # a loader's own array, checked already
        if bool(arr.valid.all()):
            ctx.ids_distinct = arr.distinct
            return arr.codes
        arr = arr.codes  # the problems are looked at as for any codes
    reported = np.zeros(arr.shape[0], dtype=bool)

    def report(bad: npt.NDArray[np.intp], values: Callable[[int], str], why: str) -> None:
        bad = bad[~reported[bad]]
        if bad.size:
            reported[bad] = True
            ctx.fail(col.name, bad, [values(int(i)) for i in bad[:MAX_LISTED]], why)

    if arr.dtype.kind != "S":
        text = to_strings(arr)
        encoded = np.asarray(np.strings.encode(text, "utf-8"))
        bad = np.flatnonzero(np.strings.str_len(encoded) != np.strings.str_len(text))
        if bad.size:
            ctx.fail(
                col.name,
                bad,
                [str(text[i]) for i in bad[:MAX_LISTED]],
                _ASCII_WHY,
                [_code_fix(str(text[i]), _FIXES[_ASCII_WHY]) for i in bad[:MAX_LISTED]],
            )
            reported[bad] = True
        arr = encoded
    if arr.dtype.itemsize > 18:
        arr = np.strings.strip(arr)
        bad = np.flatnonzero((np.strings.str_len(arr) > 18) & ~reported)
        if bad.size:
            values = [arr[i].decode("utf-8", "replace") for i in bad[:MAX_LISTED]]
            ctx.fail(
                col.name,
                bad,
                values,
                "a credit code has at most 18 characters",
                [_code_fix(v, "") for v in values],
            )
            reported[bad] = True
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
    report(suspect[control], shown, CONTROL_WHY)
    report(suspect[(raw >= 0x80).any(axis=1)], shown, _ASCII_WHY)
    report(suspect[raw[:, 0] == 0], lambda i: "", _EMPTY_WHY)
    scientific = np.array([is_scientific(shown(int(i))) for i in suspect], dtype=bool)
    report(suspect[scientific], shown, SCIENTIFIC_WHY)
    invalid = suspect[~credit_code_mask(codes[suspect]) & ~reported[suspect]]
    # A valid code in lower case is a misspelling, never a legacy code: kept, it would not match
    # the same code written in capitals (a recusal, a result), so it is refused in either mode.
    misspelt = np.array([misspelt_code(shown(int(i))) is not None for i in invalid], dtype=bool)
    if misspelt.any():
        values = [shown(int(i)) for i in invalid[misspelt][:MAX_LISTED]]
        fixes = [str(credit_code_problem(v)) for v in values]
        ctx.fail(col.name, invalid[misspelt], values, _CODE_WHY, fixes)
        invalid = invalid[~misspelt]
    if invalid.size and not legacy_codes:
        # each fix says what is wrong (e.g. the check character expected)
        values = [shown(int(i)) for i in invalid[:MAX_LISTED]]
        fixes = [f"{credit_code_problem(v)}: {_CODE_FIX}" for v in values]
        ctx.fail(col.name, invalid, values, _CODE_WHY, fixes)
    elif invalid.size:
        values = [shown(int(i)) for i in invalid[:MAX_LISTED]]
        fixes = [f"{credit_code_problem(v)}; check it against the licence" for v in values]
        ctx.fail(col.name, invalid, values, _LEGACY_WHY, fixes, note=True)
    return codes


def _parse_labels(col: ColumnSpec, arr: np.ndarray[Any, Any] | Coded, ctx: Context) -> Categorical:
    """Factorize a label column; labels are stripped of surrounding spaces."""
    inv, uniq = _factorize_text(arr)
    lookup: dict[str, int] = {}
    remap = np.array([lookup.setdefault(str(u).strip(), len(lookup)) for u in uniq], dtype=np.int32)
    codes = remap[inv] if remap.size else np.zeros(inv.shape[0], dtype=np.int32)
    labels = tuple(lookup)
    _check_labels(col, codes, labels, ctx)
    return Categorical(codes, labels)


def _parse_tags(col: ColumnSpec, arr: np.ndarray[Any, Any] | Coded, ctx: Context) -> TagSet:
    if isinstance(arr, Coded) or arr.dtype.kind in "SU" or arr.dtype == STRING:
        inv, uniq = _factorize_text(arr)
        per_value = _tagset(col, uniq, ctx, inv)
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
                [name] * min(rows.size, MAX_LISTED),
                "a tag is a non-empty label without ';' or surrounding spaces",
            )
    return tags


def _tagset(
    col: ColumnSpec,
    values: Sequence[Any],
    ctx: Context,
    inv: npt.NDArray[np.intp] | None = None,
) -> TagSet:
    """Tags of ``values``; with ``inv``, the values are distinct and ``inv`` maps rows to them."""
    try:
        tags = TagSet.from_values(values)
    except ValueError as exc:
        raise RosterError(str(exc), source=ctx.source, column=col.name) from None
    for k, name in enumerate(tags.names):
        if any(ch in name for ch in (*FORBIDDEN, "\x00")):
            bits = tags.bits if inv is None else tags.bits[inv]
            rows = np.flatnonzero((bits >> np.uint64(k)) & np.uint64(1))
            ctx.fail(col.name, rows, [name] * min(rows.size, MAX_LISTED), CONTROL_WHY)
    return tags


def _ready_column(col: ColumnSpec, raw: Categorical | TagSet, n: int, ctx: Context) -> Column:
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
                [int(codes[i]) for i in bad[:MAX_LISTED]],
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
    col: ColumnSpec, codes: npt.NDArray[Any], labels: Sequence[str], ctx: Context
) -> npt.NDArray[np.uint8]:
    """Risk classes from category codes: each label parsed once, its rows failed if it is bad."""
    table = np.zeros(len(labels), dtype=np.uint8)
    for k, label in enumerate(labels):
        try:
            table[k] = RiskClass.parse(label).index
        except ValueError:
            rows = np.flatnonzero(codes == k)
            ctx.fail(col.name, rows, [label] * min(rows.size, MAX_LISTED), _RISK_WHY)
    return np.asarray(table[codes])


def _count_column(col: ColumnSpec, arr: np.ndarray[Any, Any] | Coded, ctx: Context) -> Column:
    """A count column (投诉举报次数): whole numbers from 0 to the largest ``int32``."""
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "iu":
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            ctx.fail(
                col.name,
                bad,
                [int(arr[i]) for i in bad[:MAX_LISTED]],
                "must be a whole number ≥ 0",
            )
        too_big = np.flatnonzero(arr > np.iinfo(np.int32).max)
        if too_big.size:
            ctx.fail(
                col.name,
                too_big,
                [int(arr[i]) for i in too_big[:MAX_LISTED]],
                f"must be at most {np.iinfo(np.int32).max}",
            )
        return arr.astype(np.int32)
    return _map_uniques(col, arr, _parse_count, ctx, "must be a whole number ≥ 0", np.int32)


def _cap_column(col: ColumnSpec, arr: np.ndarray[Any, Any] | Coded, ctx: Context) -> Column:
    """A load cap column (每批最多任务数): whole numbers ≥ 0, an empty cell (or ``-1``, as
    :meth:`OfficerRoster.to_csv` writes it) for no cap."""
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "iu":
        bad = np.flatnonzero(arr < -1)
        if bad.size:  # a negative cap is a typo, not "no cap" (an empty cell, or -1 as written)
            ctx.fail(
                col.name,
                bad,
                [int(arr[i]) for i in bad[:MAX_LISTED]],
                "must be a whole number ≥ 0 (empty for no cap)",
            )
        return arr.astype(np.int32)
    return _map_uniques(
        col, arr, _parse_cap, ctx, "must be a whole number ≥ 0 (empty for no cap)", np.int32
    )


def parse_column(col: ColumnSpec, raw: Any, n: int, ctx: Context, legacy_codes: bool) -> Column:
    if isinstance(raw, (Categorical, TagSet)):
        return _ready_column(col, raw, n, ctx)
    if col.kind == "tags" and not isinstance(raw, np.ndarray) and isinstance(raw, Sequence):
        raw = np.array([*raw, None], dtype=object)[:-1]  # keep lists of labels one per row
    if isinstance(raw, CheckedCodes) and col.kind == "code" and len(raw) == n:
        return _parse_codes(col, raw, ctx, legacy_codes)
    if isinstance(raw, CheckedCodes):  # pragma: no cover - a loader's codes are its ids
        raw = raw.codes
    if isinstance(raw, Coded) and col.kind in CODED:
        if len(raw) != n:
            raise RosterError(
                f"has {len(raw)} values but the roster has {n} rows",
                source=ctx.source,
                column=col.name,
            )
        return _parse_values(col, raw, ctx, legacy_codes)
    arr = as_array(raw.decoded() if isinstance(raw, Coded) else raw)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RosterError(
            f"has {arr.shape[0] if arr.ndim else 0} values but the roster has {n} rows",
            source=ctx.source,
            column=col.name,
        )
    return _parse_values(col, arr, ctx, legacy_codes)


# Kinds whose values may come factorized (:class:`~randcheck._arrow.Coded`): parsed per value.
CODED = frozenset({"risk", "category", "tags", "bool", "count", "cap", "date"})


def _parse_values(
    col: ColumnSpec, arr: np.ndarray[Any, Any] | Coded, ctx: Context, legacy_codes: bool
) -> Column:
    """:func:`parse_column` once the values are a one-dimensional array of the right length
    (or, for the kinds in ``CODED``, a :class:`~randcheck._arrow.Coded` column)."""
    kind = col.kind
    native = arr.dtype if isinstance(arr, np.ndarray) else None
    if kind == "code":
        assert not isinstance(arr, Coded)
        return _parse_codes(col, arr, ctx, legacy_codes)
    if kind in ("id", "text"):
        assert isinstance(arr, np.ndarray)
        text = to_strings(arr)
        if kind == "id":
            text = np.strings.strip(text)
            # A 执法证号 Excel turned into a number (1.30634E+13) names nobody: refused, as for
            # credit codes. Ids are short, so the check is a regular expression on each kind.
            sci = np.flatnonzero(np.strings.find(np.strings.upper(text), "E") >= 0)
            sci = sci[[is_scientific(str(text[i])) for i in sci.tolist()]] if sci.size else sci
            if sci.size:
                values = [str(text[i]) for i in sci[:MAX_LISTED]]
                ctx.fail(col.name, sci, values, SCIENTIFIC_WHY, SCIENTIFIC_FIX)
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
        if native == np.bool_:
            assert isinstance(arr, np.ndarray)
            return arr.copy()
        return _map_uniques(
            col, arr, _parse_bool, ctx, "not a yes/no value; use 1/0, true/false or 是/否", bool
        )
    if kind == "count":
        return _count_column(col, arr, ctx)
    if kind == "cap":
        return _cap_column(col, arr, ctx)
    if kind == "date":
        if native is not None and native.kind == "M":
            assert isinstance(arr, np.ndarray)
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


def parse_extra(name: str, raw: Any, n: int, ctx: Context) -> np.ndarray[Any, Any]:
    arr = as_array(raw)
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
        text = to_strings(arr)
        _check_text(ColumnSpec(name, "text"), text, ctx, empty_ok=True)
        return text
    return np.asarray(table[inv]) if len(uniq) else np.zeros(n, dtype=np.float64)


def default_column(col: ColumnSpec, n: int) -> Column:
    if col.kind == "text":
        return np.full(n, "", dtype=STRING)
    if col.kind == "category":
        return Categorical(np.zeros(n, dtype=np.int32), (str(DEFAULTS.get(col.name, "")),))
    if col.kind == "tags":
        return TagSet(np.zeros(n, dtype=np.uint64), ())
    if col.kind == "bool":
        return np.full(n, bool(DEFAULTS.get(col.name, False)), dtype=bool)
    if col.kind == "count":
        return np.zeros(n, dtype=np.int32)
    if col.kind == "cap":
        return np.full(n, -1, dtype=np.int32)
    if col.kind == "date":
        return np.full(n, np.datetime64("NaT", "D"))
    raise AssertionError(col.kind)  # pragma: no cover


def take_column(column: Column, rows: npt.NDArray[np.intp]) -> Column:
    if isinstance(column, (Categorical, TagSet)):
        return column.take(rows)
    return column[rows]


def sort_columns(
    specs: Sequence[ColumnSpec],
    columns: Mapping[str, Any],
    *,
    unknown_columns: str,
    extra: Iterable[str] | None,
    source: str | None,
    headers: Mapping[str, str] | None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], list[str]]:
    """The input's columns by canonical name, the user's own columns, the header each known
    column had, and the unknown columns ignored; refuses a column given twice, a bad name, an
    unknown column (unless kept or ignored) and a missing required column."""
    if unknown_columns not in ("error", "ignore", "keep"):
        raise ValueError(
            f"unknown_columns must be 'error', 'ignore' or 'keep', got {unknown_columns!r}"
        )
    names = {c.name: c for c in specs}
    alias = {a: c.name for c in specs for a in c.aliases}
    keep = set(extra or ())
    renamed: dict[str, Any] = {}
    extras: dict[str, Any] = {}
    shown = dict(headers or {})  # canonical name -> header as the user wrote it
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
            if not name or any(ch in name for ch in (*FORBIDDEN, "\x00")):
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
                + ", ".join(c.name for c in specs)
                + " (or their Chinese headers); pass extra=[...] to keep your own columns, "
                "mapping={...} if it is a known column under another header, or "
                "unknown_columns='ignore' to drop it",
                source=source,
                column=shown.get(name, name),
            )
    missing = [c.name for c in specs if c.required and c.name not in renamed]
    if missing:
        raise RosterError(
            f"required column missing: {', '.join(missing)} (accepted headers: "
            + "; ".join(f"{c.name}: {', '.join(c.aliases)}" for c in specs if c.name in missing)
            + ")",
            source=source,
            column=missing[0],
        )
    return renamed, extras, shown, ignored


def parse_columns(
    specs: Sequence[ColumnSpec],
    id_name: str,
    renamed: dict[str, Any],
    ctx: Context,
    legacy_codes: bool,
    source: str | None,
) -> dict[str, Column]:
    """Every known column parsed (problems collected in ``ctx``), absent ones by default."""
    id_values = renamed[id_name]
    if isinstance(id_values, CheckedCodes):  # from a loader: one-dimensional
        n = len(id_values)
    else:
        id_values = renamed[id_name] = as_array(id_values)
        if id_values.ndim != 1:
            raise RosterError(
                "must be a one-dimensional sequence of ids", source=source, column=id_name
            )
        n = id_values.shape[0]
    parsed: dict[str, Column] = {}
    for col in specs:
        if col.name in renamed:
            parsed[col.name] = parse_column(col, renamed[col.name], n, ctx, legacy_codes)
        else:
            parsed[col.name] = default_column(col, n)
    return parsed
