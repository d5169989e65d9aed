"""The one selection rule, and the orders it relies on.

A draw (official, coordinated or a revisit draw) gives every candidate a rank from its random
number and keeps, in each stratum, the ``n_h`` smallest ranks; equal ranks are ordered by the
candidates' ids (credit codes in byte order). :func:`smallest_per_stratum` is that rule;
:func:`code_order` sorts credit codes in byte order fast, as every receipt lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck._parallel import in_two

__all__ = ["code_counts", "code_order", "code_type", "cuts_at_most", "smallest_per_stratum"]


def code_type(limit: int) -> np.dtype[Any]:
    """The smallest of uint8, uint16 and intp that holds every whole number up to ``limit``.

    Row-level codes are kept this small: every pass over the rows (building, counting,
    gathering, sorting, where numpy sorts 8- and 16-bit keys by radix) is cheaper.
    """
    return np.dtype(np.uint8 if limit < 2**8 else np.uint16 if limit < 2**16 else np.intp)


def code_counts(code: npt.NDArray[np.integer[Any]], minlength: int) -> npt.NDArray[np.intp]:
    """``np.bincount(code, minlength=minlength)`` for small integer codes, faster.

    ``np.add.at`` takes the codes as they are, where ``np.bincount`` first converts them to
    intp. uint8 codes are counted two at a time: each pair read as one uint16 is counted in a
    256 × 256 table, whose row and column sums are the counts (half as many additions).
    """
    if code.dtype == np.uint8 and minlength <= 256 and code.flags.c_contiguous:
        even = code.shape[0] - code.shape[0] % 2
        pairs = np.zeros(1 << 16, dtype=np.intp)
        np.add.at(pairs, code[:even].view(np.uint16), 1)
        table = pairs.reshape(256, 256)
        total: npt.NDArray[np.intp] = table.sum(axis=0) + table.sum(axis=1)
        total[code[even:]] += 1
        return total[:minlength]
    out = np.zeros(minlength, dtype=np.intp)
    np.add.at(out, code, 1)
    return out


def cuts_at_most(
    st: npt.NDArray[np.integer[Any]],
    rank: npt.NDArray[np.float64],
    sizes: Sequence[int],
    k: int,
) -> npt.NDArray[np.intp] | None:
    """Indexes of the ``n_h`` smallest ranks of each stratum, in the order given.

    A stratum's *cut* is its ``n_h``-th smallest rank (found by a partial sort per stratum),
    and every rank at or below its stratum's cut is taken. ``None`` when that is not exactly
    ``n_h`` per stratum: equal ranks at a cut (the credit codes must decide) or a stratum with
    fewer than ``n_h`` ranks. Without equal ranks at a cut the set is the same whichever way
    ties are ordered, and the caller sorts the sample by credit code afterwards.
    """
    n = np.asarray(sizes, dtype=np.intp)
    have = code_counts(st, k)
    if (have < n).any():
        return None
    # Group by stratum: a stable sort, by radix for 8- and 16-bit codes.
    order = np.argsort(st if st.dtype.itemsize <= 2 else st.astype(code_type(k)), kind="stable")
    grouped = np.take(rank, order)
    ends = np.cumsum(have).tolist()
    cut = np.full(k, -np.inf)  # no rank is at or below it: strata that draw nobody
    for h in np.flatnonzero(n).tolist():
        m = int(n[h])
        cut[h] = np.partition(grouped[ends[h] - int(have[h]) : ends[h]], m - 1)[m - 1]
    # mode='clip': strata are in range, and the default check is slow for 8-bit indexes
    chosen = np.flatnonzero(rank <= np.take(cut, st, mode="clip"))
    return chosen if chosen.shape[0] == int(n.sum()) else None


# A credit code's 18 bytes as three big-endian integers: their order is the codes' byte order.
_CODE_PARTS = np.dtype(
    {
        "names": ["hi", "mid", "lo"],
        "formats": [">u8", ">u8", ">u2"],
        "offsets": [0, 8, 16],
        "itemsize": 18,
    }
)


_PACK_BITS = 63 - (36**8).bit_length()  # bits beside 8 characters in base 36 in an int64


_RADIX_FROM = 1 << 15  # keys from which _packed_order groups by a first digit


def _packed_order(keys: npt.NDArray[np.int64], bits: int) -> npt.NDArray[np.int64]:
    """A stable argsort of ``keys`` (each below ``2**(63 - bits)``) by one ``np.sort``.

    Each key is shifted left by ``bits`` and its index put in the low bits, so sorting the
    packed values sorts by key, then index; numpy's ``sort`` of int64 is several times faster
    than its ``argsort``. Many keys are first grouped by their leading 16 bits (of the span
    from the smallest to the largest: a radix sort of 16-bit digits, numpy's fastest), then
    each half of the groups is sorted, both at once where a second core is free: the values
    are distinct, so the result is the same as one sort's.
    """
    packed = keys << bits
    packed |= np.arange(keys.shape[0], dtype=np.int64)
    n = packed.shape[0]
    if n < _RADIX_FROM:
        packed.sort()
    else:
        low = int(packed.min())
        shift = max((int(packed.max()) - low).bit_length() - 16, 0)
        digit = packed - low
        digit >>= shift
        packed = np.take(packed, np.argsort(digit.astype(np.uint16), kind="stable"))
        # Sort each half of the groups in place (timsort: the groups leave few runs to merge).
        middle = (int(packed[n // 2]) - low) >> shift  # the cut: before the middle's group
        cut = int(np.searchsorted(packed, (middle << shift) + low))
        in_two(lambda a, b: packed[a:b].sort(kind="stable"), n, at=cut)
    packed &= (1 << bits) - 1
    return packed


_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_HIGH1 = np.uint64(0x8080808080808080)


def _bytes_below(x: npt.NDArray[np.uint64], limit: int) -> npt.NDArray[np.uint64]:
    """0x80 in each byte of ``x`` (all below 0x80) whose value is below ``limit``, else 0."""
    return ~((x & _LOW7) + np.uint64((0x80 - limit) * 0x0101010101010101)) & _HIGH1


# Codes per block in _code_keys: few enough that a block's temporaries stay in the cache, and
# enough that two threads seldom wait for the GIL between steps (2¹⁴ took half as long again).
_KEY_BLOCK = 1 << 16


def _code_keys(
    codes: npt.NDArray[np.bytes_], *, area: bool = True
) -> tuple[npt.NDArray[np.int64] | None, npt.NDArray[np.int64]] | None:
    """Characters 1–8 (the area; ``None`` when ``area`` is false) and 9–16 of ``S18`` codes as
    numbers in base 36, which keep the byte order; ``None`` unless those characters are all
    digits and capital letters.

    Block by block (a dozen temporaries per block, reused from the cache rather than fresh
    memory), the two halves of the blocks at once where a second core is free.
    """
    n = codes.shape[0]
    names = ("hi", "mid") if area else ("mid",)
    keys = [np.empty(n, dtype=np.int64) for _ in names]

    def blocks(a: int, b: int) -> bool:
        for c in range(a, b, _KEY_BLOCK):
            d = min(c + _KEY_BLOCK, b)
            block = _block_keys(codes[c:d], names)
            if block is None:
                return False
            for key, part in zip(keys, block, strict=True):
                key[c:d] = part
        return True

    if not all(in_two(blocks, n, _KEY_BLOCK)):
        return None
    return (keys[0], keys[1]) if area else (None, keys[0])


def _block_keys(
    codes: npt.NDArray[np.bytes_], names: tuple[str, ...] = ("hi", "mid")
) -> list[npt.NDArray[np.int64]] | None:
    """:func:`_code_keys` of a few codes.

    Eight characters at a time, as the bytes of one 64-bit word: each becomes its digit
    (``'0'``–``'9'`` → 0–9, ``'A'``–``'Z'`` → 10–35), then pairs, fours and eights of
    digits are combined.
    """
    parts = codes.view(_CODE_PARTS)
    out = []
    for name in names:
        x = parts[name].astype(np.uint64)
        if (x & _HIGH1).any():
            return None
        # A byte is bad below '0' (48), from ':' (58) to '@' (64), or above 'Z' (90).
        bad = _bytes_below(x, 48) | (_bytes_below(x, 65) & ~_bytes_below(x, 58))
        bad |= ~_bytes_below(x, 91) & _HIGH1
        if bad.any():
            return None
        letters = ~_bytes_below(x, 65) & _HIGH1
        d = x - np.uint64(0x3030303030303030) - (letters >> np.uint64(7)) * np.uint64(7)
        lane16 = np.uint64(0x00FF00FF00FF00FF)
        d = ((d >> np.uint64(8)) & lane16) * np.uint64(36) + (d & lane16)
        lane32 = np.uint64(0x0000FFFF0000FFFF)
        d = ((d >> np.uint64(16)) & lane32) * np.uint64(36**2) + (d & lane32)
        d = (d >> np.uint64(32)) * np.uint64(36**4) + (d & np.uint64(0xFFFFFFFF))
        out.append(d.astype(np.int64))
    return out


def code_order(codes: npt.NDArray[np.bytes_]) -> npt.NDArray[np.intp] | None:
    """Argsort of ``S18`` credit codes in byte order (stable), via integer keys (faster).

    ``None`` when they are in order already (drawn in row order from a roster sorted by code).
    Codes of digits and capital letters are read as two numbers in base 36, characters 1–8
    (the area) and 9–16; sorting by the second, then stably by the first, orders them, unless
    two codes share characters 9–16 (then every byte is compared).
    """
    n = codes.shape[0]
    if n == 0 or codes.dtype.itemsize != 18:
        return np.argsort(codes, kind="stable")
    bits = max(1, (n - 1).bit_length())
    parts = codes.view(_CODE_PARTS)
    one_area = bool((parts["hi"] == parts["hi"][0]).all())  # then the area never decides
    keys = _code_keys(codes, area=not one_area) if bits <= _PACK_BITS else None
    if keys is not None:
        area, body = keys
        if one_area and bool((body[1:] > body[:-1]).all()):
            return None
        order = _packed_order(body, bits)
        sorted_body = np.take(body, order)
        if not (sorted_body[1:] == sorted_body[:-1]).any():
            if area is not None:
                order = np.take(order, _packed_order(np.take(area, order), bits))
            return order.astype(np.intp, copy=False)
    lo, mid, hi = (parts[k].astype(np.uint64) for k in ("lo", "mid", "hi"))
    return np.lexsort((lo, mid, hi))


def smallest_per_stratum(
    strata: npt.NDArray[np.integer[Any]],
    ranks: npt.NDArray[np.float64],
    sizes: Sequence[int],
    ties: Callable[[], npt.NDArray[Any]],
) -> npt.NDArray[np.intp]:
    """Indexes of the ``sizes[h]`` smallest ``ranks`` of each stratum ``h``: the selection rule.

    ``strata`` holds each candidate's stratum (0 to ``len(sizes) - 1``); equal ranks within a
    stratum are ordered by the candidates' ids, which ``ties()`` gives (aligned with ``ranks``;
    called only when two ranks are equal). A stratum with fewer candidates takes them all.
    Every official draw, coordinated batch and revisit draw selects with this rule, so the
    set is the same whichever way the candidates are ordered.
    """
    k = len(sizes)
    chosen = cuts_at_most(strata, ranks, sizes, k)
    if chosen is not None:
        return chosen
    n = np.asarray(sizes, dtype=np.int64)
    st = strata.astype(np.intp, copy=False)
    by_rank = np.argsort(ranks)
    order = by_rank[
        np.argsort(st[by_rank].astype(np.int16 if k < 2**15 else np.intp), kind="stable")
    ]
    r_sorted, s_sorted = ranks[order], st[order]
    if np.any((r_sorted[1:] == r_sorted[:-1]) & (s_sorted[1:] == s_sorted[:-1])):
        # Equal ranks in a stratum (take-all units in πps, or a rare tie): the ids decide.
        ids = ties()
        if ids.dtype == np.dtype("S18"):  # credit codes: three integers sort faster than bytes
            v = np.ascontiguousarray(ids).view(np.uint8).reshape(-1, 18)
            keys: tuple[npt.NDArray[Any], ...] = (
                np.ascontiguousarray(v[:, 16:]).view(">u2").ravel(),
                np.ascontiguousarray(v[:, 8:16]).view(">u8").ravel(),
                np.ascontiguousarray(v[:, :8]).view(">u8").ravel(),
            )
        else:
            keys = (ids,)
        order = np.lexsort((*keys, ranks, st))
        s_sorted = st[order]
    starts = np.searchsorted(s_sorted, np.arange(k))
    rank_in = np.arange(order.shape[0]) - starts[s_sorted]
    return order[rank_in < n[s_sorted]]
