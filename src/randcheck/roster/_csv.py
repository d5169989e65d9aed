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
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck import _textio
from randcheck.errors import RosterError
from randcheck.roster._parse import CONTROL_WHY, factorize_fixed
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
        self._block = bytearray()
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


def read_file(path: str | os.PathLike[str], encoding: str, source: str | None) -> tuple[bytes, str]:
    """The file's bytes and their encoding: ``"utf-8"`` (without a BOM), or a GBK family
    encoding of :data:`_ASCII_SAFE`, left to :func:`split_csv` to decode field by field.

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
        inv, uniq = factorize_fixed(col)
        utf8 = np.array([u.decode(encoding).encode("utf-8") for u in uniq.tolist()])
        return utf8[inv]
    text = b"\n".join(col.tolist()).decode(encoding)
    return np.array(text.encode("utf-8").split(b"\n"))


def split_csv(
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
        raise RosterError("the file holds a NUL byte; " + CONTROL_WHY, source=source, row=row)
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


def quoted_path(data: bytes, delimiter: str) -> bool:
    """Whether :func:`split_csv` reads ``data`` with the csv module (fields may hold newlines)."""
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
