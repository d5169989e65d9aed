"""Reading a directory's CSV (private to :mod:`randcheck.roster`): split into columns, fast.

Also :class:`Pieces`, the canonical text of a roster's rows that the fingerprint and
``to_csv`` write.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from randcheck import _parallel, _textio
from randcheck._arrow import Coded
from randcheck.errors import RosterError
from randcheck.roster._parse import CONTROL_WHY, check_codes, factorize_fixed
from randcheck.roster.columns import STRING, Categorical, TagSet
from randcheck.roster.fingerprint import utf8_cells, void_rows


class Pieces:
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
        self._local = threading.local()  # each thread writes its lines into its own block
        last = len(parts) - 1
        for j, (idx, table) in enumerate(parts):
            end = b"\n" if j == last else sep
            if table is None or isinstance(table, str):
                whole: Any = None
                if isinstance(table, str) and n:
                    if (idx == "").all():
                        whole = np.zeros(n, dtype="U1")
                    else:
                        width = int(np.strings.str_len(idx).max())
                        if n * 4 * width <= self._TEXT_BUDGET:
                            whole = idx.astype(f"U{width}")
                        else:  # too wide at 4 bytes a character: the UTF-8 bytes, end to end
                            whole = utf8_ragged(idx)
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
                self.items[-1] = ("table", codes, merged, void_rows(merged))
            else:
                self.items.append(("table", idx, mat, void_rows(mat)))

    def lines(self, rows: npt.NDArray[np.intp], in_order: bool) -> Iterator[bytearray]:
        """The lines of ``rows``, as one or more blocks of bytes."""
        cells, width = self._cells(rows, in_order)
        m = rows.shape[0]
        if m > 1 and m * width > self._CHUNK_BYTES:
            half = m // 2
            yield from self.lines(rows[:half], in_order)
            yield from self.lines(rows[half:], in_order)
            return
        block = self._fill(cells, m, width)
        yield block.translate(None, b"\x00")

    def segments(self, rows: npt.NDArray[np.intp], cuts: Sequence[int]) -> Iterator[bytearray]:
        """The lines of ``rows[cuts[k]:cuts[k + 1]]`` for each ``k``, as one block each."""
        m = rows.shape[0]
        cells, width = self._cells(rows, False)
        block = self._fill(cells, m, width)
        for a, b in itertools.pairwise(cuts):
            yield block[a * width : b * width].translate(None, b"\x00")

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
            elif isinstance(whole, tuple):
                w, mat = ragged_rows(whole, rows)
                cells.append((w, mat.view(f"V{w}").reshape(m) if w else mat))
            else:
                u = np.zeros(m, dtype="U1") if whole is None else whole[rows]  # None: no rows
                utf8 = utf8_cells(u)
                w = utf8.shape[1]
                cells.append((w, utf8.view(f"V{w}").reshape(m) if w else utf8))
            cells.append((1, end[0]))
        return cells, sum(w for w, _ in cells)

    def _fill(
        self, cells: list[tuple[int, npt.NDArray[Any] | int]], m: int, width: int
    ) -> bytearray:
        """The cells side by side (``m`` rows of ``width`` bytes) in this thread's block."""
        block: bytearray | None = getattr(self._local, "block", None)
        if block is None or len(block) != m * width:
            block = self._local.block = bytearray(m * width)
        buf = np.frombuffer(block, dtype=np.uint8).reshape(m, width)
        offset = 0
        for w, c in cells:
            if isinstance(c, int):
                buf[:, offset] = c
            elif w:
                buf[:, offset : offset + w].view(f"V{w}")[:, 0] = c
            offset += w
        del buf
        return block

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        del state["_local"]  # (a thread's scratch block: not data)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._local = threading.local()


_RAGGED_BLOCK = 1 << 16  # strings encoded at once


def utf8_ragged(
    text: np.ndarray[Any, Any],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The UTF-8 of every string of a ``StringDType`` array, end to end: the bytes, and each
    string's start and length in them (a copy as compact as the text, read in row order)."""
    data: list[npt.NDArray[np.uint8]] = []
    lengths = np.zeros(text.shape[0], dtype=np.int64)
    for a in range(0, text.shape[0], _RAGGED_BLOCK):
        block = text[a : a + _RAGGED_BLOCK]
        width = int(np.strings.str_len(block).max()) if block.size else 0
        cells = utf8_cells(block.astype(f"U{max(width, 1)}"))
        used = cells != 0  # each character's UTF-8 bytes, then NULs (values hold none)
        lengths[a : a + block.shape[0]] = used.sum(axis=1)
        data.append(cells[used])
    starts = np.zeros(text.shape[0], dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    return (np.concatenate(data) if data else np.zeros(0, dtype=np.uint8)), starts, lengths


def ragged_rows(
    ragged: tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.int64]],
    rows: npt.NDArray[np.intp],
) -> tuple[int, npt.NDArray[np.uint8]]:
    """The UTF-8 of ``rows`` from :func:`utf8_ragged`, as a NUL-padded matrix, and its width."""
    data, starts, lengths = ragged
    m = rows.shape[0]
    length = lengths[rows]
    width = int(length.max()) if m else 0
    mat = np.zeros(m * width, dtype=np.uint8)
    if width:
        total = int(length.sum())
        before = np.cumsum(length) - length  # where each row's bytes start among the picked
        step = np.arange(total, dtype=np.int64)
        src = np.repeat(starts[rows] - before, length)
        src += step
        dest = np.repeat(np.arange(m, dtype=np.int64) * width - before, length)
        dest += step
        mat[dest] = data[src]
    return width, mat.reshape(m, width)


#: Encodings whose multi-byte characters never hold a byte below 0x30, so that commas, quotes
#: and line breaks are found in the raw bytes, as in UTF-8 (see :func:`split_csv`).
_ASCII_SAFE = frozenset({"gb18030", "gbk", "gb2312"})


def read_file(
    path: str | os.PathLike[str], encoding: str, source: str | None
) -> tuple[bytes, str, int]:
    """The file's bytes, their encoding and the length of the BOM to skip.

    The encoding is ``"utf-8"``, whose bytes :func:`split_csv` checks field by field (a field
    of bad UTF-8 then names its row as a check of the whole file would), or a GBK family
    encoding of :data:`_ASCII_SAFE`, left to :func:`split_csv` to decode field by field. Other
    encodings (UTF-16…) are decoded here. A BOM decides the encoding, else ``encoding``.
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise RosterError(f"cannot open the file: {exc.strerror}", source=source) from None
    codec, skip = _textio.detect(data, encoding, _fail_at(source))
    if not skip and codec in _ASCII_SAFE:
        return data, codec, 0
    if _textio.is_utf8(codec):
        return data, "utf-8", skip
    return _textio.to_utf8(data, encoding, _fail_at(source)), "utf-8", 0


def check_text(data: bytes, encoding: str, source: str | None) -> None:
    """Raise the error that names the first row of ``data`` that is not ``encoding`` text.

    What :func:`split_csv` calls when a field does not decode, and what the loader calls before
    raising any other error about the file, so that a file of the wrong encoding is reported as
    such (with the hint to pass ``encoding='gb18030'``) whatever else is wrong with it.
    """
    _textio.to_utf8(data, encoding, _fail_at(source))


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
        inv, uniq = factorize_fixed(col)
        utf8 = np.array([u.decode(encoding).encode("utf-8") for u in uniq.tolist()])
        return utf8[inv]
    text = b"\n".join(col.tolist()).decode(encoding)
    return np.array(text.encode("utf-8").split(b"\n"))


_KEY_MULT = np.uint64(0x9E3779B97F4A7C15)  # the word mixing of factorize_fixed's keys
_CODED_MAX_WIDTH = 64  # bytes: wider fields are gathered whole (fixed) and factorized there
_CODED_SAMPLE = 4096  # rows whose distinct values are looked up before the rest
_CODED_MAX = 4096  # distinct values of a column read as codes (more: sorted instead)
#: Masks keeping the first k bytes of a little-endian 64-bit word, k = 0…8.
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


class Fields:
    """One column of a CSV file: its fields as byte ranges of the file, not yet copied.

    :meth:`fixed` copies them into a fixed-width ``S`` array; :meth:`coded` reads a column of
    few distinct values (risk classes, labels, flags, counts, dates) as codes into its distinct
    values without ever making that array: each field's bytes are read as 64-bit words straight
    from the file's buffer and looked up in a table of the distinct values' words.
    """

    def __init__(
        self,
        data: bytes,
        buf: npt.NDArray[np.uint8],
        first: tuple[npt.NDArray[np.integer[Any]], int],
        last: npt.NDArray[np.integer[Any]],
        encoding: str,
    ) -> None:
        self.data = data  # the file; ``buf`` is its bytes from the first field on (no BOM)
        self.buf = buf
        self._first = first  # field i is buf[first[0][i] + first[1] : last[i]]
        self._last = last
        self.encoding = encoding

    def __len__(self) -> int:
        return int(self._last.shape[0])

    def bounds(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Where each field starts in ``buf``, and its length in bytes."""
        starts, add = self._first
        first = starts.astype(np.int64)
        lengths = self._last - starts
        if add:
            first += add
            lengths -= add
        return first, lengths.astype(np.int64, copy=False)

    def _bytes(self, a: int, b: int) -> bytes:
        base = len(self.data) - self.buf.shape[0]
        return self.data[base + a : base + b]

    def fixed(self) -> np.ndarray[Any, Any]:
        """The fields as a fixed-width ``S`` array (in the file's encoding), NUL-padded."""
        n = len(self)
        first, lengths = self.bounds()
        width = int(lengths.max()) if n else 0
        if width == 0:
            return np.zeros(n, dtype="S1")
        if n * width > 4 * self.buf.shape[0] + (1 << 24):  # a few very long values
            return np.array(
                [
                    self._bytes(a, a + k).decode(self.encoding)
                    for a, k in zip(first.tolist(), lengths.tolist(), strict=True)
                ],
                dtype=STRING,
            )
        out = np.empty((n, width), dtype=np.uint8)
        same_width = bool((lengths == width).all())  # e.g. credit codes: nothing to clear
        step = max(1, (1 << 22) // width)
        offsets = np.arange(width, dtype=np.int32)
        for a in range(0, n, step):
            block = out[a : a + step]
            block[...] = _windows(self.buf, first[a : a + step], width)
            if not same_width:  # clear the bytes after each field (the next fields)
                keep = offsets < lengths[a : a + step, None].astype(np.int32)
                np.multiply(block, keep, out=block, casting="unsafe")
        return out.view(f"S{width}").reshape(n)

    def coded(self) -> tuple[npt.NDArray[np.int16], list[bytes]] | None:
        """Codes into the distinct values (their bytes), or ``None`` when the column has many
        distinct values or wide ones (read it with :meth:`fixed`).

        The codes index the distinct values sorted by the key ``factorize_fixed`` gives them.
        Each field's bytes are read as 64-bit words straight from the file and mixed into that
        key; the distinct keys of the first rows go into a table with a slot of their own
        each (:func:`_perfect_table`), and every row's key is looked up there, a block of rows
        at a time (a few gathers a row, in cache, where sorting the keys would cost a sort of
        every row). Rows whose words are not those of a key in the table are read again once
        their keys are added.
        """
        n = len(self)
        if n == 0:
            return None
        starts, add = self._first
        lengths = self._last - starts
        if add:
            lengths -= add
        width, shortest = int(lengths.max()), int(lengths.min())
        if width == 0 or width > _CODED_MAX_WIDTH:
            return None
        reader = _WordReader(self.buf, -(-width // 8), width, shortest)

        def words_of(rows: slice | npt.NDArray[np.intp]) -> list[npt.NDArray[np.uint64]]:
            first = starts[rows].astype(np.int64)
            if add:
                first += add
            return reader.words(first, lengths[rows])

        distinct, first_rows = np.unique(_mix(words_of(slice(0, _CODED_SAMPLE))), return_index=True)
        if distinct.size > _CODED_SAMPLE // 2 and n > _CODED_SAMPLE:
            return None  # most values distinct: names, ids
        if distinct.size > _CODED_SAMPLE // 16 and n > _CODED_SAMPLE:
            # Hundreds of values (dates): a larger sample, so that few rows are read twice.
            distinct, first_rows = np.unique(
                _mix(words_of(slice(0, 16 * _CODED_SAMPLE))), return_index=True
            )
        codes = np.empty(n, dtype=np.int16)
        missed = np.zeros(0, dtype=np.intp)
        for attempt in range(2):
            table = _perfect_table(distinct, n)
            if table is None:
                return None
            rep = words_of(first_rows)  # each key's words
            if attempt == 0:
                blocks: list[slice | npt.NDArray[np.intp]] = [
                    slice(a, min(a + _CODED_BLOCK, n)) for a in range(0, n, _CODED_BLOCK)
                ]
            else:
                blocks = [missed]
            misses = []
            for rows in blocks:
                words = words_of(rows)
                found, hit = _look_up(table, distinct, rep, words)
                codes[rows] = found
                if not hit.all():
                    lost = np.flatnonzero(~hit)
                    misses.append(lost + rows.start if isinstance(rows, slice) else rows[lost])
            if not misses:
                break
            if attempt:
                return None  # pragma: no cover - two values with the same key (hashed)
            missed = np.concatenate(misses)
            more, more_first = np.unique(_mix(words_of(missed)), return_index=True)
            if np.isin(more, distinct).any() or distinct.size + more.size > _CODED_MAX:
                return None  # a key shared by two values (wide ones are hashed), or many
            merged = np.concatenate([distinct, more])
            order = np.argsort(merged)
            renumber = np.empty(order.size, dtype=np.int16)
            renumber[order] = np.arange(order.size, dtype=np.int16)
            codes = renumber[codes]  # the rows found keep their key, under its new index
            distinct = merged[order]
            first_rows = np.concatenate([first_rows, missed[more_first]])[order]
        first = starts[first_rows].astype(np.int64) + add
        ends = (first + lengths[first_rows]).tolist()
        return codes, [self._bytes(a, b) for a, b in zip(first.tolist(), ends, strict=True)]


_CODED_BLOCK = 1 << 16  # rows looked up at once (their words stay in cache)


class _WordReader:
    """A field's first ``words`` 64-bit little-endian words, its bytes past its end cleared,
    read at any byte of a buffer (unaligned, no copy of the buffer)."""

    def __init__(self, buf: npt.NDArray[np.uint8], words: int, width: int, shortest: int) -> None:
        size = buf.shape[0]
        self.count, self.width, self.shortest = words, width, shortest
        self.limit = size - 8  # words starting after this would read past the end
        self.at = np.ndarray((max(size - 7, 0),), dtype="<u8", buffer=buf, strides=(1,))
        # The last bytes, padded with NULs: words that start there (fields at the very end).
        self.lo = max(0, size - 8 * (words + 1))
        tail = np.zeros(size - self.lo + 8 * (words + 2), dtype=np.uint8)
        tail[: size - self.lo] = buf[self.lo :]
        self.tail = np.ndarray((tail.shape[0] - 7,), dtype="<u8", buffer=tail, strides=(1,))

    def word(self, at: npt.NDArray[np.int64]) -> npt.NDArray[np.uint64]:
        if not at.shape[0] or int(at.max()) <= self.limit:
            return np.asarray(self.at[at])
        late = at > self.limit
        out = np.asarray(self.at[np.where(late, 0, at)])
        out[late] = self.tail[at[late] - self.lo]
        return out

    def words(
        self, first: npt.NDArray[np.int64], lengths: npt.NDArray[Any]
    ) -> list[npt.NDArray[np.uint64]]:
        out = []
        for j in range(self.count):
            word = self.word(first + 8 * j if j else first)
            if self.shortest >= 8 * j + 8:
                pass  # every field fills this word
            elif self.shortest == self.width:  # fields of one length: one mask for all rows
                word &= _LOW_BYTES[self.width - 8 * j]
            elif self.width <= 8:
                word &= _LOW_BYTES[lengths]
            else:
                word &= _LOW_BYTES[np.clip(lengths - 8 * j, 0, 8)]
            out.append(word)
        return out


def _mix(words: list[npt.NDArray[np.uint64]]) -> npt.NDArray[np.uint64]:
    """``factorize_fixed``'s key of values from their words."""
    key = words[0] if len(words) == 1 else words[0].copy()
    for w in words[1:]:
        key *= _KEY_MULT
        key ^= w
    return key


def _look_up(
    table: tuple[np.uint64, np.uint64, npt.NDArray[np.int16] | None],
    distinct: npt.NDArray[np.uint64],
    rep: list[npt.NDArray[np.uint64]],
    words: list[npt.NDArray[np.uint64]],
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.bool_]]:
    """Each row's index among ``distinct`` through the table (by bisection without one), and
    whether the row holds that key's words (``rep``): ``False`` for a key not in the table."""
    mult, shift, slots = table
    key = _mix(words)
    if slots is None:
        found = np.minimum(np.searchsorted(distinct, key), distinct.size - 1).astype(np.int16)
    else:
        h = key * mult
        h >>= shift
        found = slots[h]
    # A key not among ``distinct`` lands on an empty slot (-1: the last key's words, not its
    # own) or on another key's slot; either way its words differ.
    hit = words[0] == rep[0][found]
    for w, r in zip(words[1:], rep[1:], strict=True):
        hit &= w == r[found]
    return found, hit


def _windows(
    buf: npt.NDArray[np.uint8], first: npt.NDArray[np.int64], width: int
) -> npt.NDArray[np.uint8]:
    """Row ``i``: ``buf[first[i] : first[i] + width]``, NUL bytes past the buffer's end.

    One gather of rows of a strided view whose row ``k`` is the ``width`` bytes from byte ``k``
    (no copy of the buffer: numpy copies each row as one block); the few fields within
    ``width`` bytes of its end are read from a small padded copy of the end.
    """
    size = buf.shape[0]
    limit = size - width  # windows starting after this would read past the end
    if limit >= 0:
        windows = np.lib.stride_tricks.as_strided(
            buf, shape=(limit + 1, width), strides=(1, 1), writeable=False
        )
        # (Fancy indexing: ``np.take`` of a strided view is a hundred times slower.)
        if not first.shape[0] or int(first[-1]) <= limit:  # fields are in file order
            return np.asarray(windows[first])
        out = np.asarray(windows[np.minimum(first, limit)])
    else:
        out = np.empty((first.shape[0], width), dtype=np.uint8)
    late = np.flatnonzero(first > limit)
    lo = max(limit, 0)
    tail = np.zeros(max(int(first[late].max()) - lo, size - lo) + width, dtype=np.uint8)
    tail[: size - lo] = buf[lo:]
    tail_windows = np.lib.stride_tricks.as_strided(
        tail, shape=(tail.shape[0] - width + 1, width), strides=(1, 1), writeable=False
    )
    out[late] = tail_windows[first[late] - lo]
    return out


#: A lookup table of at most this many slots per row; else sorted keys (a small file).
_SLOTS_PER_ROW = 4


def _perfect_table(
    distinct: npt.NDArray[np.uint64], n: int
) -> tuple[np.uint64, np.uint64, npt.NDArray[np.int16] | None] | None:
    """A multiplier, a shift and a slot table that put each of ``distinct`` in its own slot
    (the slot holds its index; empty slots -1); ``None`` for slots when such a table would
    have more than :data:`_SLOTS_PER_ROW` slots for each of ``n`` rows (the keys are then
    looked up in ``distinct`` by bisection). ``None`` if no table is found."""
    m = distinct.size
    if m > _CODED_MAX:
        return None
    # About 2·m² slots, at most 2²¹ (4 MiB): most multipliers put no two keys in one slot.
    # For 4,096 keys about one in 55 does; 64 tries all fail with probability 0.3, and the
    # column is then read whole (``None``); for 2,000 keys (every day of five years), four in
    # ten multipliers do.
    bits = min(21, max(10, 2 * int(m).bit_length() + 1))
    if (1 << bits) > _SLOTS_PER_ROW * n:
        return np.uint64(0), np.uint64(0), None
    rng = np.random.default_rng(m)  # fixed: the table only speeds up the lookup
    shift = np.uint64(64 - bits)
    for _ in range(64):
        mult = np.uint64(int(rng.integers(1 << 62)) * 2 + 1)
        h = (distinct * mult) >> shift
        if np.unique(h).size == m:
            slots = np.full(1 << bits, -1, dtype=np.int16)
            slots[h] = np.arange(m, dtype=np.int16)
            return mult, shift, slots
    return None  # pragma: no cover - 64 failures in a row


def split_csv(
    data: bytes,
    delimiter: str,
    source: str | None,
    encoding: str = "utf-8",
    skip: int = 0,
    short: list[tuple[int, str]] | None = None,
) -> tuple[list[str], list[np.ndarray[Any, Any] | Fields], npt.NDArray[np.intp] | None, bool]:
    """Split CSV bytes (UTF-8, or ``encoding`` of :data:`_ASCII_SAFE`) into the header and one
    column of fields each, ignoring the first ``skip`` bytes (a BOM).

    Returns the header, the columns (:class:`Fields` on the fast path, string arrays
    otherwise), the 1-based row number of each data row when blank lines were skipped (else
    ``None``: rows 2, 3, …), and whether the columns are known to hold no NUL. Fields are not
    checked as text yet: the caller decodes them (:func:`decode_columns`).

    A row with another number of fields than the header raises :class:`RosterError`, or, given
    a list ``short``, is left out and listed there as ``(row, problem)``, so that the caller
    reports it with the other rows' problems.

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
    # (``strip`` copies the file; only a file that starts with a line break can be all of them.)
    if len(data) == skip or (data[skip : skip + 1] == b"\n" and not data[skip:].strip(b"\n")):
        raise RosterError("the file is empty (no header row)", source=source)
    nul = data.find(b"\x00")
    if nul >= 0:
        row = data.count(b"\n", 0, nul) + 1
        raise RosterError("the file holds a NUL byte; " + CONTROL_WHY, source=source, row=row)
    if b'"' in data or b"\r" in data or not delimiter.isascii():
        check_text(data, encoding, source)
        text = data[skip:].decode("utf-8")
        header, strings, rows = _split_csv_module(text, delimiter, source, short)
        return header, list(strings), rows, True
    buf = np.frombuffer(data, dtype=np.uint8, offset=skip)
    newlines, seps = _parallel.each_in_two(lambda b: _positions(buf, b), [10, ord(delimiter)])
    ends = newlines if buf[-1] == 10 else np.append(newlines, buf.size).astype(newlines.dtype)
    del newlines
    starts = np.empty_like(ends)
    starts[0] = 0
    np.add(ends[:-1], 1, out=starts[1:])
    try:
        header = data[skip : skip + int(ends[0])].decode(encoding).split(delimiter)
    except UnicodeDecodeError:
        check_text(data, encoding, source)  # raises, naming the row
        raise RosterError(f"is not {encoding} text", source=source, row=1) from None
    if header == [""]:
        raise RosterError("the header row is empty", source=source, row=1)
    width = len(header)
    blank = ends[1:] == starts[1:]
    # A line of separators alone (",,,,": a row emptied in Excel and saved) is blank too: it
    # holds no value. Only short lines can be one; each is all separators when it holds as
    # many separators as bytes.
    near = np.flatnonzero((ends[1:] - starts[1:]) < 2 * width) if width > 1 else np.zeros(0, int)
    s0, s1 = starts[1:][near], ends[1:][near]
    emptied = near[np.searchsorted(seps, s1) - np.searchsorted(seps, s0) == s1 - s0]
    if emptied.size:
        blank = blank.copy()
        blank[emptied] = True
    skipped = bool(blank.any())
    lines = np.flatnonzero(~blank) + 1 if skipped else None
    line_starts = starts[lines] if lines is not None else starts[1:]
    line_ends = ends[lines] if lines is not None else ends[1:]
    n = line_starts.shape[0]
    # Every data line has width - 1 separators exactly when there are that many in all and each
    # line's share lies inside it (separators are in file order). Checked in O(lines).
    ok = emptied.size == 0 and seps.size == (n + 1) * (width - 1)
    if ok and width > 1:
        fields = seps[width - 1 :].reshape(n, width - 1)
        ok = bool((fields[:, 0] >= line_starts).all() & (fields[:, -1] < line_ends).all())
    if not ok:
        check_text(data, encoding, source)  # a file of another encoding says so first
        line_of = np.searchsorted(ends, seps)
        per_line = np.bincount(line_of, minlength=ends.size)
        bad = np.flatnonzero((per_line[1:] != width - 1) & ~blank)
        said = [f"has {int(per_line[b + 1]) + 1} fields but the header has {width}" for b in bad]
        if bad.size and short is None:
            raise RosterError(said[0], source=source, row=int(bad[0]) + 2)
        if short is not None:
            short.extend((int(b) + 2, why) for b, why in zip(bad.tolist(), said, strict=True))
        # The other lines are read as if the short ones were blank: the rows keep their numbers.
        keep = np.ones(ends.size, dtype=bool)
        keep[1:] = ~blank
        keep[bad + 1] = False
        seps = seps[keep[line_of]]
        lines = np.flatnonzero(keep[1:]) + 1
        line_starts, line_ends = starts[lines], ends[lines]
        n = line_starts.shape[0]
    del starts, ends, blank
    fields = seps[width - 1 :].reshape(n, width - 1)
    columns: list[np.ndarray[Any, Any] | Fields] = []
    for j in range(width):
        # Views, no copies: the field starts after the previous separator (or at the line's
        # start) and ends at the next (or at the line's end).
        first = (line_starts, 0) if j == 0 else (fields[:, j - 1], 1)
        last = fields[:, j] if j < width - 1 else line_ends
        columns.append(Fields(data, buf, first, last, encoding))
    return header, columns, (lines + 1 if lines is not None else None), True


_SCAN = 1 << 23  # bytes compared at once when looking for separators


def _positions(buf: npt.NDArray[np.uint8], byte: int) -> npt.NDArray[np.integer[Any]]:
    """Where ``byte`` is in ``buf``: 32-bit positions below 2 GiB, 64-bit above; found a block
    at a time, so that no mask of the whole file is ever made."""
    dtype = np.int32 if buf.shape[0] < (1 << 31) else np.int64
    parts = []
    for a in range(0, buf.shape[0], _SCAN):
        found = np.flatnonzero(buf[a : a + _SCAN] == byte)
        found += a
        parts.append(found.astype(dtype, copy=False))
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def decode_columns(
    columns: Sequence[np.ndarray[Any, Any] | Fields],
    coded: Sequence[bool],
    text: Sequence[bool],
    source: str | None,
    codes: Sequence[bool] | None = None,
) -> list[Any]:
    """The columns of :func:`split_csv` as ``from_columns`` takes them, every field checked as
    text of the file's encoding.

    Columns marked ``coded`` come as :class:`~randcheck._arrow.Coded` when they have few
    distinct values; those marked ``text`` as numpy strings; credit codes (``codes``) checked
    already (:func:`~randcheck.roster._parse.check_codes`); the others as UTF-8 ``S`` arrays.
    A field that does not decode raises the error naming its row (:func:`check_text`). The
    columns are read two at a time where a second core is free (numpy releases the GIL).
    """
    ids = codes or [False] * len(columns)
    jobs = sorted(
        (i for i, c in enumerate(columns) if isinstance(c, Fields)),
        key=lambda i: (not ids[i], not text[i], coded[i]),  # the largest first
    )
    try:
        done = _parallel.each_in_two(
            lambda i: _decode(cast(Fields, columns[i]), coded[i], text[i], ids[i]), jobs
        )
    except UnicodeDecodeError:
        field = next(c for c in columns if isinstance(c, Fields))
        check_text(field.data, field.encoding, source)  # raises, naming the row
        raise RosterError(f"is not {field.encoding} text", source=source) from None
    out: list[Any] = list(columns)
    for i, value in zip(jobs, done, strict=True):
        out[i] = value
    return out


def _decode(column: Fields, as_codes: bool, as_text: bool, credit_codes: bool = False) -> Any:
    """One column for :func:`decode_columns` (raises ``UnicodeDecodeError``)."""
    encoding = column.encoding
    found = column.coded() if as_codes else None
    if found is not None:
        codes, raw = found
        labels = [v.decode(encoding) for v in raw]
        # In the order factorize_fixed gives the UTF-8 column (the same roster as when the
        # column is read whole): a permutation of the distinct values.
        utf8 = np.array(raw if encoding == "utf-8" else [v.encode() for v in labels])
        rank, _ = factorize_fixed(utf8)
        ordered = [""] * len(labels)
        for k, r in enumerate(rank.tolist()):
            ordered[r] = labels[k]
        return Coded(rank.astype(np.int32)[codes], tuple(ordered))
    values = column.fixed()
    if values.dtype.kind != "S":
        return values
    if encoding != "utf-8":
        values = _to_utf8_column(values, encoding)
    else:
        check_utf8(values)  # (numpy's cast to strings lets bad UTF-8 through)
    if credit_codes:
        return check_codes(values)
    return values.astype(STRING) if as_text else values


def check_utf8(fields: np.ndarray[Any, Any]) -> None:
    """Raise ``UnicodeDecodeError`` unless every field of a NUL-padded ``S`` array (or its
    ``uint8`` matrix) is UTF-8.

    The fields' bytes are decoded end to end, padding included: a NUL is a character of its
    own, so a character cut at a field's end is caught as in the field alone. (numpy's cast of
    bytes to strings does not check them.)
    """
    if not fields.size:
        return
    rows = np.ascontiguousarray(fields).view(np.uint8).reshape(fields.shape[0], -1)
    if int(rows.max()) < 0x80:
        return
    step = max(1, _SCAN // rows.shape[1])  # whole fields at a time
    for a in range(0, rows.shape[0], step):
        codecs.utf_8_decode(rows[a : a + step].data, "strict", True)


def quoted_path(data: bytes, delimiter: str) -> bool:
    """Whether :func:`split_csv` reads ``data`` with the csv module (fields may hold newlines)."""
    lone_cr = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    return b'"' in data or lone_cr or not delimiter.isascii()


def _split_csv_module(
    text: str, delimiter: str, source: str | None, short: list[tuple[int, str]] | None = None
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
                if not "".join(record):
                    continue  # a blank line, or one of separators alone (",,,,")
                if len(record) != width:
                    why = f"has {len(record)} fields but the header has {width}"
                    if short is None:
                        raise RosterError(why, source=source, row=row)
                    short.append((row, why))
                    continue
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


def arrays_of(values: Iterable[Any]) -> list[np.ndarray[Any, Any]]:
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


def nbytes(value: Any) -> int:
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
        return nbytes(list(value.values()))
    if isinstance(value, (list, tuple)):
        return sum(nbytes(v) for v in value)
    return 0


def copy_column(value: Any) -> Any:
    if isinstance(value, Categorical):
        return Categorical(value.codes.copy(), value.categories)
    if isinstance(value, TagSet):
        return TagSet(value.bits.copy(), value.names)
    return value.copy()
