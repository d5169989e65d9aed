"""Arrow tables and Parquet files as roster columns (pyarrow: the optional ``parquet`` extra).

A Parquet file is read one row group at a time; each group's columns are turned into the compact
numpy forms a roster stores (credit codes as ``S18`` straight from Arrow's buffers, labels as codes
into a shared list of labels), so a file never sits in memory twice. The columns then go through
:meth:`TargetRoster.from_columns <randcheck.TargetRoster.from_columns>`: the same mapping of
headers and the same validation as a CSV file, with rows numbered from 1 (the first data row).
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from randcheck.errors import RosterError

if TYPE_CHECKING:
    import pyarrow as pa

STRING = np.dtypes.StringDType()


def require_pyarrow() -> Any:
    """The ``pyarrow`` module, or an ImportError saying how to install it."""
    try:
        import pyarrow  # optional: the parquet extra
    except ImportError as exc:  # pragma: no cover - pyarrow is installed in the test env
        raise ImportError(
            "reading Arrow or Parquet rosters needs pyarrow: pip install 'randcheck[parquet]'"
        ) from exc
    return pyarrow


class Labels:
    """Label columns of a file read in parts: one list of labels, codes appended part by part.

    ``strip``: labels lose their surrounding spaces (a label column); without it the distinct
    values are kept as written, for a parser that reads each one (risk classes, tags, flags).
    """

    def __init__(self, *, strip: bool = True) -> None:
        self.strip = strip
        self.lookup: dict[str, int] = {}
        self.codes: list[npt.NDArray[np.int32]] = []

    def add(self, array: pa.Array) -> None:
        import pyarrow.compute as pc  # optional: the parquet extra

        pa_ = require_pyarrow()
        given = pa_.types.is_dictionary(array.type)
        if not given:
            array = pc.dictionary_encode(array)
        words = array.dictionary.to_pylist()
        idx = array.indices.to_numpy(zero_copy_only=False)
        if array.null_count:  # a missing cell is the label "" (its index is not a number here)
            idx = np.where(array.is_null().to_numpy(zero_copy_only=False), len(words), idx)
        idx = np.asarray(idx, dtype=np.intp)
        # A dictionary read from a file (or given) may hold values no row uses: they are not
        # labels of this column (the roster has the labels its rows carry, as from CSV).
        used = (
            np.bincount(idx, minlength=len(words) + 1).astype(bool).tolist()
            if given
            else [True] * len(words) + [bool(array.null_count)]
        )
        clean = str.strip if self.strip else str
        remap = np.zeros(len(words) + 1, dtype=np.int32)
        for j, w in enumerate(words):
            if used[j]:
                label = clean("" if w is None else str(w))
                remap[j] = self.lookup.setdefault(label, len(self.lookup))
        if used[-1]:
            remap[-1] = self.lookup.setdefault("", len(self.lookup))
        self.codes.append(remap[idx])

    def result(self) -> tuple[npt.NDArray[np.int32], tuple[str, ...]]:
        if len(self.codes) == 1:
            return self.codes[0], tuple(self.lookup)  # made here: nobody else holds it
        codes = np.concatenate(self.codes) if self.codes else np.zeros(0, dtype=np.int32)
        return codes, tuple(self.lookup)


class Coded:
    """A text column as codes into its distinct values, as written (missing cells ``""``).

    What Arrow's dictionary encoding gives for a column of few distinct values (risk classes,
    tags, flags written as text): the roster's parser reads each distinct value once, and
    indexes its result by the codes, without making a string per row.
    """

    def __init__(self, codes: npt.NDArray[np.int32], values: tuple[str, ...]) -> None:
        self.codes = codes
        self.values = values

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def decoded(self) -> np.ndarray[Any, Any]:
        """The values row by row, as a numpy string array."""
        return np.asarray(np.array(self.values or ("",), dtype=STRING)[self.codes])


#: Bytes that no value of a roster may hold: tab, newline, carriage return and NUL. UTF-8
#: never uses a byte below 0x80 inside a multi-byte character, so they are found in the bytes.
FORBIDDEN_BYTES = (9, 10, 13, 0)


def _string_buffers(array: pa.Array) -> tuple[npt.NDArray[Any], npt.NDArray[np.uint8]] | None:
    """The offsets (``n + 1``) and the data bytes of a string array without missing cells."""
    pa_ = require_pyarrow()
    t = array.type
    if array.null_count or not (pa_.types.is_string(t) or pa_.types.is_large_string(t)):
        return None
    n = len(array)
    buffers = array.buffers()
    off_type = np.int64 if pa_.types.is_large_string(t) else np.int32
    if n == 0 or buffers[2] is None:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=off_type)[array.offset : array.offset + n + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    return offsets.astype(np.int64), data


def has_forbidden(array: pa.Array) -> bool:
    """Whether some value of a string array holds a tab, newline, carriage return or NUL."""
    found = _string_buffers(array)
    if found is None:
        return True  # not known: the values are checked one by one
    offsets, data = found
    part = data[int(offsets[0]) : int(offsets[-1])]
    low = part[part < 14]  # a few bytes at most: control characters are rare in text
    return bool(np.isin(low, FORBIDDEN_BYTES).any())


_TEXT_BLOCK = 1 << 16  # rows converted at once (each block as wide as its longest value)


def utf8_strings(array: pa.Array) -> np.ndarray[Any, Any] | None:
    """A string array without NUL bytes as a numpy ``StringDType`` array, without a Python
    string per row: the UTF-8 bytes are laid out as fixed-width ``S`` blocks, which numpy
    decodes in C. ``None`` for other arrays (missing cells, NUL bytes)."""
    found = _string_buffers(array)
    if found is None:
        return None
    offsets, data = found
    n = offsets.shape[0] - 1
    out = np.empty(n, dtype=STRING)
    for a in range(0, n, _TEXT_BLOCK):
        b = min(a + _TEXT_BLOCK, n)
        lo, hi = int(offsets[a]), int(offsets[b])
        chunk = data[lo:hi]
        if (chunk == 0).any():
            return None  # a NUL: a fixed-width S array would drop a trailing one
        lengths = np.diff(offsets[a : b + 1])
        width = int(lengths.max()) if b > a else 0
        if width == 0:
            out[a:b] = ""
            continue
        mat = np.zeros((b - a) * width, dtype=np.uint8)
        # Byte k of the block, in row r, goes to r * width + (k - start of r).
        shift = np.arange(b - a, dtype=np.int64) * width - (offsets[a:b] - lo)
        dest = np.repeat(shift, lengths)
        dest += np.arange(hi - lo, dtype=np.int64)
        mat[dest] = chunk
        out[a:b] = mat.view(f"S{width}").astype(STRING)
    return out


def fixed_ids(array: pa.Array, width: int = 18) -> npt.NDArray[np.bytes_] | None:
    """A string array whose values all have ``width`` bytes, as ``S{width}`` (no per-row step)."""
    pa_ = require_pyarrow()
    if array.null_count or not (
        pa_.types.is_string(array.type) or pa_.types.is_large_string(array.type)
    ):
        return None
    n = len(array)
    if n == 0:
        return np.zeros(0, dtype=f"S{width}")
    off_type = np.int64 if pa_.types.is_large_string(array.type) else np.int32
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=off_type)[array.offset : array.offset + n + 1]
    if not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(buffers[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return data.view(f"S{width}").copy()


def plain(array: pa.Array) -> Any:
    """One Arrow array as numpy: strings as numpy strings (missing ones empty), others as is."""
    import pyarrow.compute as pc  # optional: the parquet extra

    pa_ = require_pyarrow()
    t = array.type
    if pa_.types.is_dictionary(t):
        array = array.cast(t.value_type)
        t = array.type
    if pa_.types.is_string(t) or pa_.types.is_large_string(t):
        if array.null_count:
            array = pc.fill_null(array, "")
        fast = utf8_strings(array)
        if fast is not None:
            return fast
        return np.array(array.to_numpy(zero_copy_only=False), dtype=STRING)
    return array.to_numpy(zero_copy_only=False)


#: Roster kinds read from text as a few distinct values, each parsed once (a per-row string
#: would cost more than everything else the reader does).
CODED_KINDS = frozenset({"risk", "tags", "bool", "count", "cap", "date"})


def _is_text(array: pa.Array) -> bool:
    pa_ = require_pyarrow()
    t = array.type
    if pa_.types.is_dictionary(t):
        t = t.value_type
    return bool(pa_.types.is_string(t) or pa_.types.is_large_string(t))


def batches_to_columns(
    batches: Iterable[pa.RecordBatch | pa.Table],
    kind_of: Callable[[str], str | None],
) -> tuple[dict[str, Any], bool]:
    """Columns for ``from_columns`` from record batches (or tables) read one after another.

    ``kind_of`` gives a column's roster kind from its name in the data: a ``category`` column comes
    back as a pair ``(codes, labels)`` (``int32`` codes into a tuple of labels, for the roster to
    wrap in its :class:`~randcheck.roster.Categorical`), a text column of a kind in
    :data:`CODED_KINDS` as :class:`Coded`, every other column as a numpy array; the id column
    takes the fixed-width fast path when it can. Also returns whether the text columns that
    come back as numpy strings are known to hold no tab, newline, carriage return or NUL
    (checked on their bytes), so that the loader need not look value by value. The arrays
    returned are new, held by nothing else (never views of the batches' buffers).
    """
    labels: dict[str, Labels] = {}
    parts: dict[str, list[Any]] = {}
    names: list[str] | None = None
    clean = True
    for batch in batches:
        if names is None:
            names = list(batch.schema.names)
        for name in names:
            column = batch.column(name)
            chunks = column.chunks if hasattr(column, "chunks") else [column]
            kind = kind_of(name)
            for chunk in chunks:
                first = name not in labels and name not in parts  # the first part decides
                if first and (kind == "category" or (kind in CODED_KINDS and _is_text(chunk))):
                    labels[name] = Labels(strip=kind == "category")
                if name in labels:
                    if kind != "category" and not _is_text(chunk):  # a later part, not text
                        chunk = chunk.cast(require_pyarrow().string())
                    labels[name].add(chunk)
                    continue
                ids = fixed_ids(chunk) if kind == "code" else None
                if ids is None and kind != "code" and _is_text(chunk) and clean:
                    clean = not has_forbidden(chunk)
                parts.setdefault(name, []).append(plain(chunk) if ids is None else ids)
    out: dict[str, Any] = {}
    for name in names or ():
        if name in labels:
            codes, values = labels[name].result()
            out[name] = (codes, values) if kind_of(name) == "category" else Coded(codes, values)
            continue
        pieces = parts.get(name, [])
        if not pieces:
            out[name] = np.zeros(0, dtype=STRING)
        elif len(pieces) == 1:
            out[name] = _own(pieces[0])
        elif all(p.dtype.kind == "S" for p in pieces) and len({p.dtype for p in pieces}) == 1:
            out[name] = np.concatenate(pieces)
        elif any(p.dtype.kind == "S" for p in pieces):  # fixed-width and other ids mixed
            out[name] = np.concatenate(
                [
                    np.strings.decode(p, "ascii").astype(STRING) if p.dtype.kind == "S" else p
                    for p in pieces
                ]
            )
        else:
            out[name] = np.concatenate(pieces)
    return out, clean


def roster_kinds(kind: Any, mapping: Mapping[str, str] | None) -> Callable[[str], str | None]:
    """A column's roster kind (``"code"``, ``"category"``...) from its name in the data, for
    a roster class ``kind`` (its ``COLUMNS`` and ``canonical_column_name``) and a ``mapping``
    of the data's names to the roster's."""
    renames = dict(mapping or {})
    kinds = {c.name: c.kind for c in kind.COLUMNS}
    return lambda name: kinds.get(kind.canonical_column_name(renames.get(name, name)))


def dictionary_columns(schema: pa.Schema, kind_of: Callable[[str], str | None]) -> list[str]:
    """The text columns of ``schema`` to read as Arrow dictionaries: labels and the kinds of
    :data:`CODED_KINDS`, which the roster takes as codes into their distinct values."""
    pa_ = require_pyarrow()
    return [
        name
        for name, t in zip(schema.names, schema.types, strict=True)
        if (pa_.types.is_string(t) or pa_.types.is_large_string(t))
        and (kind_of(name) == "category" or kind_of(name) in CODED_KINDS)
    ]


def _own(array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The array if it owns its memory (made here), else a copy (a view of Arrow's buffers)."""
    return array if array.flags.owndata and array.flags.writeable else array.copy()


def parquet_batches(
    path: str | os.PathLike[str],
    columns: list[str] | None = None,
    groups: Iterable[int] | None = None,
    kind_of: Callable[[str], str | None] | None = None,
) -> Iterator[pa.Table]:
    """A Parquet file's row groups (all, or ``groups``), one table each.

    ``kind_of`` (a column's roster kind from its name in the file, as
    :func:`batches_to_columns` takes it): the text columns of labels and of the kinds of
    :data:`CODED_KINDS` are then read as Arrow dictionaries. Parquet stores such columns as a
    dictionary and codes: read so, each distinct value is decoded once, instead of once per
    row and then encoded again. While the caller works on a row group, the next one is read in
    a thread (Parquet's decoding runs without Python's lock), so reading and the caller's work
    overlap where a second core is free.
    """
    require_pyarrow()
    import pyarrow.parquet as pq  # optional: the parquet extra

    with pq.ParquetFile(path) as first:
        meta, schema = first.metadata, first.schema_arrow
    wanted = list(range(meta.num_row_groups) if groups is None else groups)
    names = [] if kind_of is None else dictionary_columns(schema, kind_of)
    with pq.ParquetFile(path, metadata=meta, read_dictionary=names or None) as reader:
        if len(wanted) < 2:
            for g in wanted:
                yield reader.read_row_group(g, columns=columns)
            return
        with concurrent.futures.ThreadPoolExecutor(1, "randcheck-parquet") as ahead:
            coming = ahead.submit(reader.read_row_group, wanted[0], columns=columns)
            for g in wanted[1:]:
                table = coming.result()
                coming = ahead.submit(reader.read_row_group, g, columns=columns)
                yield table
                del table
            yield coming.result()


def parquet_group_rows(path: str | os.PathLike[str]) -> list[int]:
    """The number of rows in each row group of a Parquet file (from its metadata)."""
    require_pyarrow()
    import pyarrow.parquet as pq  # optional: the parquet extra

    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]


def parquet_rows(path: str | os.PathLike[str]) -> int:
    """The number of rows in a Parquet file (from its metadata)."""
    require_pyarrow()
    import pyarrow.parquet as pq  # optional: the parquet extra

    return int(pq.ParquetFile(path).metadata.num_rows)


def parquet_names(path: str | os.PathLike[str]) -> list[str]:
    require_pyarrow()
    import pyarrow.parquet as pq  # optional: the parquet extra

    return list(pq.read_schema(path).names)


def id_column(names: Iterable[str], mapping: Mapping[str, str] | None, kind: Any) -> str:
    """The name, in the data, of the id column of a roster class ``kind`` (its
    ``canonical_column_name`` and ``ID``), its columns renamed by ``mapping``."""
    renames = dict(mapping or {})
    for name in names:
        if kind.canonical_column_name(renames.get(name, name)) == kind.ID:
            return name
    return str(kind.ID)


#: The reason of the fingerprint's error for an id in two parts of a roster (two row groups,
#: files or partitions), raised before anything knows the rows: :func:`duplicate_rows` names them.
SPLIT_DUPLICATE = "duplicate id: it came in two parts of the roster"


def is_split_duplicate(exc: RosterError) -> bool:
    """Whether ``exc`` is the fingerprint's error for an id in two parts (no rows named yet),
    not a loader's error, which names its rows already."""
    return exc.report is None and exc.reason.startswith(SPLIT_DUPLICATE)


def duplicate_rows(
    exc: RosterError,
    files: Sequence[str | os.PathLike[str]],
    mapping: Mapping[str, str] | None,
    kind: Any,
) -> RosterError:
    """The rows of an id found in two parts of a roster (``exc``, from the fingerprint), as
    a RosterError that names them.

    ``files`` are the roster's Parquet files, in order, ``mapping`` the loader's renaming of
    their headers and ``kind`` the roster class (:func:`id_column` finds the id column of each
    file). Rows are numbered from 1 in each file (its first data row is row 1), as the loaders
    number them. ``exc`` itself is returned when the rows cannot be found.
    """
    pa_ = require_pyarrow()
    import pyarrow.compute as pc  # optional: the parquet extra

    value = exc.value
    found: list[tuple[str, int, str]] = []
    try:
        for path in [os.fspath(f) for f in files]:
            name = id_column(parquet_names(path), mapping, kind)
            first = 1
            for table in parquet_batches(path, columns=[name]):
                ids = pc.cast(table.column(name), pa_.string())  # dictionaries, binary: text
                hits = np.flatnonzero(
                    pc.equal(pc.utf8_trim_whitespace(ids), value).to_numpy(zero_copy_only=False)
                )
                found += [(path, first + int(i), name) for i in hits]
                first += table.num_rows
    except (pa_.ArrowException, KeyError, ValueError):
        return exc  # the rows cannot be read back: the id alone is named
    if len(found) < 2:
        return exc
    if len(files) == 1:
        shown = "rows " + ", ".join(str(r) for _, r, _ in found[:10])
        where = "in different row groups"
    else:
        shown = ", ".join(f"{os.path.basename(p)} row {r}" for p, r, _ in found[:10])
        where = "rows numbered from 1 in each file"
    return RosterError(
        f"duplicate id: it is in {shown} ({where}): keep one of the rows",
        source=found[1][0],
        row=found[1][1],
        column=found[1][2],
        value=value,
    )
