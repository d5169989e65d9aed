"""Arrow tables and Parquet files as roster columns (pyarrow: the optional ``parquet`` extra).

A Parquet file is read one row group at a time; each group's columns are turned into the compact
numpy forms a roster stores (credit codes as ``S18`` straight from Arrow's buffers, labels as codes
into a shared list of labels), so a file never sits in memory twice. The columns then go through
:meth:`TargetRoster.from_columns <randcheck.TargetRoster.from_columns>`: the same mapping of
headers and the same validation as a CSV file, with rows numbered from 1 (the first data row).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

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
    """Label columns of a file read in parts: one list of labels, codes appended part by part."""

    def __init__(self) -> None:
        self.lookup: dict[str, int] = {}
        self.codes: list[npt.NDArray[np.int32]] = []

    def add(self, array: pa.Array) -> None:
        import pyarrow.compute as pc  # optional: the parquet extra

        pa_ = require_pyarrow()
        if not pa_.types.is_dictionary(array.type):
            array = pc.dictionary_encode(array)
        words = array.dictionary.to_pylist()
        remap = np.array(
            [
                self.lookup.setdefault(("" if w is None else str(w)).strip(), len(self.lookup))
                for w in words
            ]
            + [self.lookup.setdefault("", len(self.lookup)) if array.null_count else 0],
            dtype=np.int32,
        )
        idx = array.indices.to_numpy(zero_copy_only=False)
        if array.null_count:
            idx = np.where(array.is_null().to_numpy(zero_copy_only=False), len(words), idx)
        self.codes.append(remap[np.asarray(idx, dtype=np.intp)])

    def result(self) -> tuple[npt.NDArray[np.int32], tuple[str, ...]]:
        codes = np.concatenate(self.codes) if self.codes else np.zeros(0, dtype=np.int32)
        return codes, tuple(self.lookup)


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
        return np.array(array.to_numpy(zero_copy_only=False), dtype=STRING)
    return array.to_numpy(zero_copy_only=False)


def batches_to_columns(
    batches: Iterable[pa.RecordBatch | pa.Table],
    kind_of: Callable[[str], str | None],
) -> dict[str, Any]:
    """Columns for ``from_columns`` from record batches (or tables) read one after another.

    ``kind_of`` gives a column's roster kind from its name in the data: a ``category`` column comes
    back as a pair ``(codes, labels)`` (``int32`` codes into a tuple of labels, for the roster to
    wrap in its :class:`~randcheck.roster.Categorical`), every other column as a numpy array; the
    id column takes the fixed-width fast path when it can.
    """
    labels: dict[str, Labels] = {}
    parts: dict[str, list[Any]] = {}
    names: list[str] | None = None
    for batch in batches:
        if names is None:
            names = list(batch.schema.names)
        for name in names:
            column = batch.column(name)
            chunks = column.chunks if hasattr(column, "chunks") else [column]
            for chunk in chunks:
                kind = kind_of(name)
                if kind == "category":
                    labels.setdefault(name, Labels()).add(chunk)
                    continue
                ids = fixed_ids(chunk) if kind == "code" else None
                parts.setdefault(name, []).append(plain(chunk) if ids is None else ids)
    out: dict[str, Any] = {}
    for name in names or ():
        if name in labels:
            out[name] = labels[name].result()
            continue
        pieces = parts.get(name, [])
        if not pieces:
            out[name] = np.zeros(0, dtype=STRING)
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
    return out


def parquet_batches(
    path: str | os.PathLike[str],
    columns: list[str] | None = None,
    groups: Iterable[int] | None = None,
) -> Iterator[pa.Table]:
    """A Parquet file's row groups (all, or ``groups``), one table each."""
    require_pyarrow()
    import pyarrow.parquet as pq  # optional: the parquet extra

    with pq.ParquetFile(path) as fh:
        for g in range(fh.num_row_groups) if groups is None else groups:
            yield fh.read_row_group(g, columns=columns)


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
