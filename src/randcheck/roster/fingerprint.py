"""The roster fingerprint recipe ``randcheck-roster/2`` (``randcheck-officers/2``): its bytes.

The canonical bytes of each cell, the id keys that place each row in one of 256 buckets, the
order of the rows inside a bucket, and the root digest over the buckets. The roster classes
(:mod:`randcheck.roster.tables`) and :class:`~randcheck.roster.RosterDigest` compose them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck.roster.columns import RISK_LETTERS, STRING, Categorical, Column, ColumnSpec, TagSet

_RANGE_TABLE_MAX = 1 << 14  # a table over a range of values this long costs < 10 ms to build


def canonical_bytes(col: ColumnSpec | None, column: Column) -> tuple[np.ndarray[Any, Any], Any]:
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
        uniq = _distinct_floats(column)
        return np.searchsorted(uniq, column).astype(np.intp, copy=False), _float_texts(uniq)
    raise AssertionError(column.dtype)  # pragma: no cover


def _distinct_floats(column: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float64]:
    """The distinct values of a float column, sorted, NaN last (once, if any): what
    ``np.unique`` gives, by one ``np.sort`` (a SIMD sort) instead of an argsort."""
    values = np.sort(np.asarray(column, dtype=np.float64))
    nan = np.isnan(values)
    known = values[~nan]
    keep = np.ones(known.shape[0], dtype=bool)
    keep[1:] = known[1:] != known[:-1]  # -0.0 == 0.0: one entry, whose text is "0" either way
    uniq = known[keep]
    return np.concatenate([uniq, [np.nan]]) if nan.any() else uniq


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


def utf8_cells(text: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
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


def void_rows(mat: npt.NDArray[np.uint8]) -> npt.NDArray[Any]:
    """The rows of a byte matrix as one void item each."""
    mat = np.ascontiguousarray(mat)
    return mat.view(f"V{mat.shape[1]}").reshape(mat.shape[0])


_BUCKET_BITS = 8
BUCKETS = 1 << _BUCKET_BITS
_BUCKET_SORT_MIN = 1 << 20  # from this many rows, sort bucket by bucket (in cache)
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


def _id_key_order(keys: npt.NDArray[np.uint64], skip: int = 0) -> npt.NDArray[np.intp]:
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


def canonical_order(
    keys: npt.NDArray[np.uint64], ids: npt.NDArray[Any], bucketed: bool | None = None
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows ordered by (key, id): by bucket, then within each bucket; and the buckets' bounds.

    Buckets are the key's top bits, so the order is that of the keys; large rosters are sorted
    bucket by bucket (a linear pass by bucket first), which keeps each sort in cache.
    """
    grouped, bounds, done = bucket_groups(keys, ids, bucketed)
    if done:
        return grouped, bounds
    return sort_buckets(keys, ids, grouped, bounds, 0, BUCKETS), bounds


def bucket_groups(
    keys: npt.NDArray[np.uint64], ids: npt.NDArray[Any], bucketed: bool | None = None
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], bool]:
    """Rows grouped by bucket, the buckets' bounds, and whether the rows are in canonical order.

    A small roster is sorted at once (in canonical order); a large one is only grouped, by a
    radix sort on the bucket (linear), in row order within each bucket: :func:`sort_buckets`
    orders each bucket, in whichever process hashes it.
    """
    n = keys.shape[0]
    bucket = (keys >> np.uint64(64 - _BUCKET_BITS)).astype(np.uint8)
    counts = np.bincount(bucket, minlength=BUCKETS)
    bounds = np.zeros(BUCKETS + 1, dtype=np.intp)
    np.cumsum(counts, out=bounds[1:])
    if not (n >= _BUCKET_SORT_MIN if bucketed is None else bucketed):
        order = _id_key_order(keys)
        _order_ties(order, keys, ids)
        return order, bounds, True
    return np.argsort(bucket, kind="stable").astype(np.intp, copy=False), bounds, False


def sort_buckets(
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
            order[a:z] = order[a:z][_id_key_order(k[a:z], _BUCKET_BITS)]
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


def even_cuts(bounds: npt.NDArray[np.intp], parts: int) -> list[int]:
    """Bucket indices cutting the buckets into at most ``parts`` ranges of similar row counts."""
    total = int(bounds[-1])
    cuts = [0]
    for p in range(1, parts):
        b = int(np.searchsorted(bounds, total * p / parts))
        if cuts[-1] < b < BUCKETS:
            cuts.append(b)
    cuts.append(BUCKETS)
    return cuts


def root_digest(recipe: str, header: Sequence[str], n: int, digests: Sequence[bytes]) -> str:
    """Step 4 of the recipe: the root over the header, the row count and the bucket digests."""
    if len(digests) != BUCKETS:  # pragma: no cover - internal invariant
        raise AssertionError(len(digests))
    h = hashlib.sha256(f"{recipe}\n{chr(9).join(header)}\n{n}\n".encode())
    for d in digests:
        h.update(d)
    return "sha256:" + h.hexdigest()


def quoted(part: tuple[np.ndarray[Any, Any], Any]) -> tuple[np.ndarray[Any, Any], Any]:
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


def csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if ("," in text or '"' in text) else text
