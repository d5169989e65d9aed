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

import datetime as dt
import difflib
import functools
import hashlib
import io
import itertools
import operator
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Self, TypeAlias, TypeVar, cast

import numpy as np
import numpy.typing as npt

from randcheck import _arrow, _excel, _parallel, _tables
from randcheck._files import atomic_path
from randcheck._inputs import file_path
from randcheck._progress import ProgressArg, Reporter
from randcheck.errors import RosterError, RosterWarning
from randcheck.models import (
    INACTIVE_STATUSES,
    REGISTRATION_STATUSES,
    Officer,
    RiskClass,
    Target,
    canonical_status,
)
from randcheck.problems import ProblemReport
from randcheck.roster._csv import (
    Pieces,
    arrays_of,
    check_text,
    copy_column,
    decode_columns,
    nbytes,
    quoted_path,
    read_file,
    split_csv,
)
from randcheck.roster._parse import (
    CODED,
    MAX_LISTED,
    Context,
    default_column,
    parse_columns,
    parse_extra,
    s18_ids_distinct,
    shown_id,
    sort_columns,
    stack_level,
    take_column,
    to_strings,
)
from randcheck.roster.columns import (
    OFFICER_COLUMNS,
    RISK_LETTERS,
    STRING,
    TARGET_COLUMNS,
    Categorical,
    Column,
    ColumnSpec,
    TagSet,
)
from randcheck.roster.credit_code import (
    credit_code_mask,
)
from randcheck.roster.fingerprint import (
    BUCKETS,
    bucket_groups,
    canonical_bytes,
    csv_field,
    even_cuts,
    id_keys,
    quoted,
    root_digest,
    sort_buckets,
)

_T = TypeVar("_T")

__all__ = [
    "OfficerRoster",
    "RosterDigest",
    "TargetRoster",
    "fingerprint_jobs",
    "seal_fingerprint",
]


def check_renames(names: Sequence[str], mapping: Mapping[str, str], source: str | None) -> None:
    """Refuse a ``mapping`` that names a column the input lacks, or renames two columns (or one
    and a column already so named) to one name: either is a typo that would otherwise drop a
    column, or default it silently (a missing 登记状态 reads as 存续)."""
    present = set(names)
    unused = [h for h in mapping if h not in present]
    if unused:
        near = [m for h in unused for m in difflib.get_close_matches(h, names, n=1)]
        hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
        raise RosterError(
            f"mapping names header(s) {', '.join(map(repr, unused))} that the input does not "
            f"have{hint}; its headers are {', '.join(names)}",
            source=source,
            row=1,
        )
    headers_of: dict[str, list[str]] = {}
    for h in names:
        headers_of.setdefault(mapping.get(h, h), []).append(h)
    for name, both in headers_of.items():
        if len(both) > 1 and any(h in mapping for h in both):
            raise RosterError(
                f"the headers {', '.join(map(repr, both))} would both become column {name!r} "
                "(check the mapping)",
                source=source,
                row=1,
                column=name,
            )


#: The fix for a CSV row with another number of fields than the header.
_SHORT_ROW_FIX = (
    "give the row one value per column: a value holding the delimiter must be in double "
    'quotes ("..."), an empty value is written as nothing between two delimiters'
)


def _sniff_delimiter(data: bytes, skip: int) -> str:
    """A comma, or a tab when the header line (from byte ``skip``) has tabs and no comma: the
    tab-separated text Excel saves as "Unicode text" (bytes here are UTF-8 or GBK, in which
    neither byte is ever part of another character)."""
    end = data.find(b"\n", skip)
    header = data[skip : len(data) if end < 0 else end]
    return "\t" if b"\t" in header and b"," not in header else ","


def _unshare(given_columns: Mapping[str, Any], *stores: dict[str, Any]) -> None:
    """Never keep an array the caller still holds: copy any that share memory with the input."""
    given = arrays_of(given_columns.values())
    for store in stores:
        for name, value in store.items():
            if any(np.may_share_memory(a, g) for a in arrays_of([value]) for g in given):
                store[name] = copy_column(value)


class RosterBase:
    """Shared machinery of the two directories (columns, validation, CSV, digest)."""

    COLUMNS: ClassVar[tuple[ColumnSpec, ...]]
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
        for arr in arrays_of([*self._columns.values(), *self._extra.values()]):
            arr.setflags(write=False)
        self._n = len(columns[self.ID])
        self._cache: dict[str, Any] = {}
        self.source = source

    def __len__(self) -> int:
        return self._n

    def __sizeof__(self) -> int:
        # What a roster holds, for memory accounting (Dask's ``sizeof`` falls back to this).
        held = [*self._columns.values(), *self._extra.values(), *self._cache.values()]
        return object.__sizeof__(self) + nbytes(held)

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
        _owned: bool = False,
        _ids_checked_later: bool = False,
        _short_rows: Sequence[tuple[int, str]] = (),
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
            (a :class:`~randcheck.problems.ProblemReport`).
        """
        renamed, extras, shown, ignored = sort_columns(
            cls.COLUMNS,
            columns,
            unknown_columns=unknown_columns,
            extra=extra,
            source=source,
            headers=_headers,
        )
        ctx = Context(
            source, _first_row, _row_numbers, nul_free=_nul_free, headers=shown, absent=_absent
        )
        for name in ignored:
            ctx.fail_column(name, "unknown column, ignored (unknown_columns='ignore')", note=True)
        for row, why in _short_rows:  # a file's rows left out as split (see split_csv)
            ctx.fail_row(row, why, _SHORT_ROW_FIX)
        parsed = parse_columns(cls.COLUMNS, cls.ID, renamed, ctx, legacy_codes, source)
        n = len(parsed[cls.ID])
        cls._check_vocabulary(parsed, ctx)
        parsed_extra = {k: parse_extra(k, v, n, ctx) for k, v in sorted(extras.items())}
        if not _owned:  # else the columns are new arrays that only this roster will hold
            _unshare(columns, parsed, parsed_extra)
        roster = cls(parsed, parsed_extra, source)
        if ctx.counts or not _ids_checked_later:  # else the caller checks (RosterDigest)
            roster._check_unique_ids(ctx)
        ctx.raise_if_any()
        if ctx.note_counts:
            notes = ctx.report(notes=True)
            roster._cache["report"] = notes
            warnings.warn(
                RosterWarning(notes.summary(first=3)),
                stacklevel=stack_level(),
            )
        return roster

    @classmethod
    def _check_vocabulary(cls, parsed: dict[str, Column], ctx: Context) -> None:
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
        check_renames([str(n) for n in names], mapping, "DataFrame")
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
        path = file_path(path, f"{cls.__name__}.from_parquet", "there is nothing to load")
        batches = _arrow.parquet_batches(path, kind_of=cls._kind_of(mapping))
        return cls.from_batches(batches, mapping, options, os.fspath(path))

    @classmethod
    def _parquet_chunks(
        cls,
        path: str | os.PathLike[str],
        mapping: Mapping[str, str] | None,
        options: dict[str, Any],
    ) -> Iterator[Self]:
        """The file's row groups as rosters, each validated, rows numbered across the file."""
        first = 1
        for table in _arrow.parquet_batches(path, kind_of=cls._kind_of(mapping)):
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
        (table,) = _arrow.parquet_batches(
            path, columns=names, groups=[group], kind_of=cls._kind_of(mapping)
        )
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
        columns, clean = _arrow.batches_to_columns(batches, cls._kind_of(mapping))
        check_renames(list(columns), renames, source)
        named = {
            renames.get(k, k): Categorical(*v) if isinstance(v, tuple) else v
            for k, v in columns.items()
        }
        if clean:  # the text columns' bytes hold no tab, newline, carriage return or NUL
            options = {**options, "_nul_free": True, "_absent": "\t\n\r"}
        return cls.from_columns(named, source=source, _owned=True, **options)

    @classmethod
    def _kind_of(cls, mapping: Mapping[str, str] | None) -> Callable[[str], str | None]:
        """A column's kind (``"code"``, ``"category"``...) from its name in the data."""
        return _arrow.roster_kinds(cls, mapping)

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
        delimiter: str | None = None,
    ) -> Self:
        """Load a CSV file (UTF-8, with or without BOM; headers in English or Chinese).

        Headers are matched to canonical names through the accepted Chinese headers listed in
        the column tables, and ``mapping`` for any other header (``{"纳税人识别号":
        "credit_code"}``). Row numbers in errors count the header as row 1, as a spreadsheet does.
        ``legacy_codes``, ``unknown_columns`` and ``extra`` are as in :meth:`from_columns`.
        ``delimiter``: by default a comma, or a tab when the header line holds tabs and no comma
        (Excel's "Unicode text" and "text (tab delimited)" exports).

        Raises
        ------
        RosterError
            For a missing file, an empty file, a row with the wrong number of fields, or any
            invalid value; nothing is returned unless the whole file is valid. Every problem is
            found in one pass (a row of the wrong width is one of them; the other rows are still
            checked): the error's ``report`` lists them all (up to 1,000), each with its row,
            column, value and a suggested fix.
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
            codec, skip = "utf-8", 0
        else:
            data, codec, skip = read_file(path, encoding, source)
        if delimiter is None:
            delimiter = _sniff_delimiter(data, skip)
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
            skip=skip,
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
        skip: int = 0,
    ) -> Self:
        data = box.pop()
        short: list[tuple[int, str]] = []
        try:
            shown, columns, row_numbers, nul_free, absent = cls._split_fields(
                data, source, mapping, delimiter, encoding, skip, short
            )
        except RosterError:
            check_text(data, encoding, source)  # a file of another encoding says so first
            raise
        del data
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
            _owned=True,
            _short_rows=short,
        )

    @classmethod
    def _split_fields(
        cls,
        data: bytes,
        source: str | None,
        mapping: Mapping[str, str],
        delimiter: str,
        encoding: str,
        skip: int,
        short: list[tuple[int, str]] | None = None,
    ) -> tuple[dict[str, str], dict[str, Any], npt.NDArray[np.intp] | None, bool, str]:
        """The header each column had, the columns for ``from_columns``, the data rows'
        numbers, whether no value holds a NUL, and the characters in no value."""
        # Split on newlines without quoting, no field holds a line break; a tab only if the
        # file has one. Knowing it saves three searches over every text column.
        absent = "" if b"\t" in data else "\t"
        header, fields, row_numbers, nul_free = split_csv(
            data, delimiter, source, encoding, skip, short
        )
        if not quoted_path(data, delimiter):
            absent += "\n\r"
        clean = [h.strip().lstrip("\ufeff") for h in header]
        if mapping:
            check_renames(clean, mapping, source)
        header = [mapping.get(h, h) for h in clean]
        shown = dict(zip(header, clean, strict=True))
        if len(set(header)) != len(header):
            dup = next(h for h in header if header.count(h) > 1)
            raise RosterError(
                "the header names this column twice", source=source, row=1, column=dup
            )
        kinds = {c.name: c.kind for c in cls.COLUMNS}
        kind = [kinds.get(cls.canonical_column_name(h.strip())) for h in header]
        raw_columns = decode_columns(
            fields,
            coded=[k in CODED for k in kind],
            text=[k in ("id", "text") for k in kind],
            codes=[k == "code" for k in kind],
            source=source,
        )
        del fields
        columns = dict(zip(header, raw_columns, strict=True))
        return shown, columns, row_numbers, nul_free, absent

    # ----------------------------------------------------------------- access
    @property
    def _ids(self) -> np.ndarray[Any, Any]:
        return cast("np.ndarray[Any, Any]", self._columns[self.ID])

    def _check_unique_ids(self, ctx: Context) -> None:
        ids = self._ids
        if ctx.ids_distinct:
            return  # checked as the column was read
        if ids.dtype == np.dtype("S18") and self._n and s18_ids_distinct(ids):
            return  # one sort of a 64-bit hash per code; equal hashes need a closer look
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
                [shown_id(ids[i]) for i in rows[:MAX_LISTED]],
                "duplicate id",
                [
                    f"this id is also in row {ctx.row(int(f))}: keep one of the rows"
                    for f in firsts[:MAX_LISTED]
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
        cols = {k: take_column(v, idx) for k, v in self._columns.items()}
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

    def _plain(self, col: ColumnSpec, column: Column) -> np.ndarray[Any, Any]:
        idx, table = canonical_bytes(col, column)
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
            fh.write(",".join(csv_field(h) for h in header) + "\n")
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

    def _pieces(self, sep: bytes = b"\t", quote: bool = False) -> Pieces:
        parts: list[tuple[np.ndarray[Any, Any], Any]] = []
        for col in self.COLUMNS:
            parts.append(canonical_bytes(col, self._columns[col.name]))
        for name in self._extra:
            parts.append(canonical_bytes(None, self._extra[name]))
        if quote:
            parts = [quoted(p) for p in parts]
        return Pieces(parts, sep, self._n)

    def _header(self) -> list[str]:
        return [c.name for c in self.COLUMNS] + list(self._extra)

    def _buckets(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Id keys, rows in canonical order (bucket, key, id) and the buckets' bounds (cached)."""
        cached = self._cache.get("buckets")
        if cached is None:
            keys, grouped, bounds, done = self._groups()
            if not done:
                grouped = sort_buckets(keys, self._ids, grouped, bounds, 0, BUCKETS)
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
            groups = (keys, *bucket_groups(keys, self._ids))
            self._cache["groups"] = groups
        return cast("tuple[Any, Any, Any, bool]", groups)

    def _seal(self, bucket_digests: Iterable[list[bytes]]) -> str:
        self._cache.pop("pieces", None)
        self._cache.pop("groups", None)
        digests = [d for part in bucket_digests for d in part]
        cached = root_digest(self.RECIPE, self._header(), self._n, digests)
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
            How many cores hash the buckets (default 1). With 2 (or more, on a machine of two
            cores), this thread and a helper thread share the work, in this process, when the
            second core is free; on a busy machine this thread does it alone (a second thread
            would only wait for the core). More than 2 on a machine with more cores: that many
            processes, never more than the cores available, for rosters of 500,000 rows and
            more. Below 200,000 rows, always this thread (two were no faster). The digest is the
            same in every case.
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
        if "digest" in self._cache:
            return str(self._cache["digest"])
        report = Reporter(progress, self._n, "fingerprint")
        try:
            helper = None
            if workers > 1 and self._n >= _THREAD_MIN_ROWS:
                if workers > 2 and _parallel.available_cores() > 2:
                    helper = None  # more cores than two threads use: processes below
                else:
                    helper = _parallel.helper_thread()
            if helper is not None:
                results = _digest_in_two(self, report)
            else:
                if self._n < _PARALLEL_MIN_ROWS or workers == 2:
                    workers = 1  # starting processes would cost more than it saves
                jobs = fingerprint_jobs(self, max(workers, -(-self._n // (1 << 20))))
                results = _parallel.run(
                    jobs, workers, done=lambda i, _: report.advance(int(jobs[i].size))
                )
        finally:
            report.close()
        if results:
            self._seal(results)
        return str(self._cache["digest"])


_PARALLEL_MIN_ROWS = 500_000  # below this, digest(workers=) hashes in this process
_THREAD_MIN_ROWS = 200_000  # below this, digest(workers=) uses one thread (two were no faster)
_THREAD_PARTS = 16  # ranges of buckets the two threads take in turn (balance)


def _digest_in_two(roster: RosterBase, report: Reporter) -> list[list[bytes]]:
    """The bucket digests computed by this thread and the helper thread together.

    Everything runs in this process: the ids' keys in two halves, the rows grouped by bucket,
    then ranges of buckets, each sorted and hashed by whichever thread is free (numpy's
    gathers and sorts and hashlib's SHA-256 release the GIL). No process is started, nothing
    is copied or pickled; the digests are the same as in one thread.
    """
    ids = roster._ids
    n = roster._n
    need_groups = "buckets" not in roster._cache and "groups" not in roster._cache
    need_pieces = "pieces" not in roster._cache

    def groups(halves: bool) -> None:
        keys = np.empty(n, dtype=np.uint64)

        def half(a: int, b: int) -> None:
            keys[a:b] = id_keys(ids[a:b])

        if halves:
            _parallel.in_two(half, n)
        else:
            half(0, n)
        roster._cache["groups"] = (keys, *bucket_groups(keys, ids, bucketed=True))

    def pieces() -> None:
        roster._cache["pieces"] = roster._pieces()

    if need_groups and need_pieces:
        # The lines' columns (the larger job) in one thread, the ids' keys and their buckets
        # in the other: neither needs the other's result.
        jobs: list[Callable[[], None]] = [pieces, functools.partial(groups, False)]
        _parallel.each_in_two(lambda job: job(), jobs)
    elif need_groups:
        groups(True)
    elif need_pieces:
        pieces()
    _, _, bounds, _ = roster._groups()
    cuts = even_cuts(bounds, _THREAD_PARTS)
    ranges = sorted(itertools.pairwise(cuts), key=lambda r: int(bounds[r[0]] - bounds[r[1]]))
    caller = threading.get_ident()
    reported = [0]

    def hash_range(r: tuple[int, int]) -> list[bytes]:
        digests = _bucket_digests(roster, *r)
        if threading.get_ident() == caller:  # progress is reported from the caller's thread
            rows = int(bounds[r[1]] - bounds[r[0]])
            reported[0] += rows
            report.advance(rows)
        return digests

    done = dict(zip(ranges, _parallel.each_in_two(hash_range, ranges), strict=True))
    report.advance(n - reported[0])  # the helper's ranges
    return [done[r] for r in itertools.pairwise(cuts)]


_MERGE_ROWS = 1 << 15  # rows of a bucket merged from several parts at once (in cache)


def fingerprint_jobs(roster: RosterBase, parts: int) -> list[_parallel.Job]:
    """Jobs hashing the roster's buckets in up to ``parts`` ranges; none when the digest is known.

    Their results, in order, go to :func:`seal_fingerprint`; run them with
    :func:`randcheck._parallel.run`, possibly among other jobs.
    """
    if "digest" in roster._cache:
        return []
    _, _, bounds, _ = roster._groups()
    cuts = even_cuts(bounds, max(1, int(parts)))
    return [
        _parallel.Job(_bucket_digests, (roster, a, b), float(bounds[b] - bounds[a]))
        for a, b in itertools.pairwise(cuts)
    ]


def seal_fingerprint(roster: RosterBase, results: Sequence[list[bytes]]) -> None:
    """Complete the digest from the results of :func:`fingerprint_jobs` (if there were any)."""
    if results:
        roster._seal(results)


_GROUP_ROWS = 1 << 16  # rows whose lines are written at once


def _bucket_texts(roster: RosterBase, first: int, stop: int) -> Iterator[tuple[int, bytes]]:
    """Buckets ``first`` to ``stop - 1`` as ``(bucket, lines)`` pieces in canonical order.

    A bucket may come in several pieces (or none, when empty), always in bucket order.
    """
    keys, grouped, bounds, done = roster._groups()
    if done:
        order, base = grouped, 0
    else:  # this job's buckets only
        order = sort_buckets(keys, roster._ids, grouped, bounds, first, stop)
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


def _bucket_digests(roster: RosterBase, first: int, stop: int) -> list[bytes]:
    """Step 3 of the recipe for buckets ``first`` to ``stop - 1``: their SHA-256 digests."""
    hashes = [hashlib.sha256() for _ in range(first, stop)]
    for b, text in _bucket_texts(roster, first, stop):
        hashes[b - first].update(text)
    return [h.digest() for h in hashes]


class TargetRoster(RosterBase):
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
    >>> from randcheck.models import Target
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
    def _check_vocabulary(cls, parsed: dict[str, Column], ctx: Context) -> None:
        """Statuses must be in :data:`~randcheck.models.REGISTRATION_STATUSES` (stored as spelt
        there)."""
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
                    [label] * min(rows.size, MAX_LISTED),
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
        """Build from :class:`~randcheck.models.Target` objects (fine for thousands of rows)."""
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
        """Row ``i`` as a :class:`~randcheck.models.Target` (negative indices count from the
        end)."""
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
            wanted = np.asarray(np.strings.encode(to_strings(wanted), "ascii", "replace"))
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


class OfficerRoster(RosterBase):
    """执法检查人员名录库: the directory of officers and experts (专家库), stored as columns.

    Columns (canonical name, then the Chinese headers accepted): ``officer_id`` (required;
    执法证号 / 人员编号 / 编号), ``name`` (姓名), ``unit`` (单位 / 所属单位 / 执法队伍 / 中队),
    ``department`` (部门 / 所属部门), ``area`` (负责区域 / 责任区域 / 辖区), ``skills`` (专长 /
    技能 / 专业, ``;``-separated), ``expert`` (专家 / 专家库), ``active`` (在岗 / 状态 / 有效;
    default true), ``load_cap`` (任务上限 / 最大任务数; empty for none).

    Examples
    --------
    >>> from randcheck.models import Officer
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
        """Build from :class:`~randcheck.models.Officer` objects."""
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
        """Row ``i`` as an :class:`~randcheck.models.Officer`."""
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


# A part of a bucket: its rows' id keys and lines, both in the recipe's order. The ids are
# not kept: the rare rows of equal keys read theirs from their lines (each line's first value).
_Part: TypeAlias = "tuple[npt.NDArray[np.uint64], bytes]"


_DIGEST_HINT = "its fingerprint is roster.digest()"


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
    >>> from randcheck.roster import RosterDigest
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
        buckets: range = range(BUCKETS),
    ) -> None:
        if buckets.step != 1 or buckets.start < 0 or buckets.stop > BUCKETS:
            raise ValueError(f"buckets: consecutive buckets within 0–255 are needed, got {buckets}")
        self.kind: type[RosterBase] = TargetRoster if kind is None else kind
        self.header: list[str] | None = None
        self._covered = set(buckets)
        self._first, self._stop = buckets.start, buckets.stop
        self._parts: dict[int, list[_Part]] = {}
        self._closed: dict[int, tuple[bytes, int]] = {}  # bucket -> (its digest, its rows)

    def __sizeof__(self) -> int:
        # The lines held until sealing, for memory accounting (Dask's ``sizeof``).
        return object.__sizeof__(self) + nbytes(self._parts)

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
        for b, parts in texts.items():
            sel = order[bounds[b] : bounds[b + 1]]
            self._parts.setdefault(b, []).append((keys[sel], b"".join(parts)))

    @staticmethod
    def repeats_an_id(rows: TargetRoster | OfficerRoster) -> bool:
        """Whether an id is in two of ``rows``, read off the order the fingerprint sorts them
        in anyway (equal ids are neighbours there), for a roster built without that check."""
        keys, order, _ = rows._buckets()
        ranked = keys[order]
        tied = np.flatnonzero(ranked[1:] == ranked[:-1])  # equal keys: rare unless equal ids
        ids = rows._ids
        return bool(tied.size) and bool((ids[order[tied]] == ids[order[tied + 1]]).any())

    def copy(self) -> RosterDigest:
        """An accumulator holding what this one holds, to merge into without changing this one
        (the lines themselves are shared, never copied)."""
        out = RosterDigest(self.kind, buckets=range(self._first, self._stop))  # type: ignore[arg-type]
        out.header = self.header
        out._covered = set(self._covered)
        out._parts = {b: list(parts) for b, parts in self._parts.items()}
        out._closed = dict(self._closed)
        return out

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
            self._closed[b] = (self._bucket_digest(parts), rows)

    def seal(self) -> str:
        """The digest of every row added; all 256 buckets must have been accumulated.

        Raises
        ------
        RosterError
            If some buckets were never accumulated, or an id came in two parts.
        """
        missing = sorted(set(range(BUCKETS)) - self._covered)
        if missing:
            raise RosterError(
                f"buckets {missing[0]}–{missing[-1]} were not accumulated ({len(missing)} of "
                "256); merge an accumulator that holds them before sealing"
            )
        digests: list[bytes] = []
        n = 0
        for b in range(BUCKETS):
            parts = self._parts.get(b, [])
            if b in self._closed:
                if parts:
                    raise ValueError(f"bucket {b} has rows added after it was closed")
                digest, rows = self._closed[b]
                n += rows
                digests.append(digest)
                continue
            n += sum(p[0].shape[0] for p in parts)
            digests.append(self._bucket_digest(parts))
        header = self.header or [c.name for c in self.kind.COLUMNS]
        return root_digest(self.kind.RECIPE, header, n, digests)

    @classmethod
    def from_parquet(
        cls,
        path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        kind: type[TargetRoster] | type[OfficerRoster] | None = None,
        passes: int = 1,
        mapping: Mapping[str, str] | None = None,
        legacy_codes: bool = False,
        unknown_columns: str = "error",
        extra: Iterable[str] | None = None,
        progress: ProgressArg = None,
    ) -> str:
        """The digest of the roster in a Parquet file, or in several, read one row group at a time.

        Equals ``TargetRoster.from_parquet(path).digest()`` without holding the roster: each row
        group is read, validated as by :meth:`TargetRoster.from_parquet` (rows numbered across
        its file) and added; with ``passes`` > 1 the files are read that many times, each
        pass keeping only its share of the buckets, so the text held at once is about the
        CSV size of the roster divided by ``passes``. A directory split into several files
        (``path`` a list of them, as :func:`~randcheck.sampling.draw_dask` takes it) has the
        digest of the roster that holds all their rows, whatever the order of the files: the
        fingerprint to commit to before a draw on a cluster.

        Raises
        ------
        RosterError
            On the first bad row (file, row, column, value), or an id in two row groups or
            two files.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> import pyarrow.parquet as pq
        >>> from randcheck.example import synthetic_targets
        >>> roster = synthetic_targets(3000, seed=2)
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> files = [folder / "part-0.parquet", folder / "part-1.parquet"]
        >>> pq.write_table(roster.take(range(0, 1200)).to_arrow(), files[0], row_group_size=500)
        >>> pq.write_table(roster.take(range(1200, 3000)).to_arrow(), files[1], row_group_size=500)
        >>> RosterDigest.from_parquet(files, extra=["risk_score"]) == roster.digest()
        True
        """
        roster_kind: type[RosterBase] = TargetRoster if kind is None else kind
        if passes < 1 or passes > BUCKETS or int(passes) != passes:
            raise ValueError(f"passes = {passes!r}: a whole number from 1 to 256")
        options = {"legacy_codes": legacy_codes, "unknown_columns": unknown_columns, "extra": extra}
        if isinstance(path, (list, tuple)):
            paths = [file_path(p, "RosterDigest.from_parquet", _DIGEST_HINT) for p in path]
        else:
            paths = [file_path(path, "RosterDigest.from_parquet", _DIGEST_HINT)]
        if not paths:
            raise ValueError("path: give a Parquet file or a list of them, got an empty list")
        cuts = np.linspace(0, BUCKETS, int(passes) + 1).astype(int).tolist()
        total = sum(_arrow.parquet_rows(p) for p in paths)
        report = Reporter(progress, total * int(passes), "fingerprint")
        whole: RosterDigest | None = None
        try:
            for a, b in itertools.pairwise(cuts):
                acc = cls(kind, buckets=range(a, b))
                for one in paths:
                    for chunk in roster_kind._parquet_chunks(one, mapping, options):
                        acc.update(chunk)  # type: ignore[arg-type]
                        report.advance(len(chunk))
                acc.close()  # only the pass's bucket digests are kept
                if whole is None:
                    whole = acc
                else:
                    whole.merge(acc)
            assert whole is not None
            return whole.seal()
        except RosterError as exc:
            if not _arrow.is_split_duplicate(exc):
                raise
            # An id in two row groups or two files: find its rows, to name them.
            raise _arrow.duplicate_rows(exc, paths, mapping, roster_kind) from None
        finally:
            report.close()

    def _bucket_digest(self, parts: list[_Part]) -> bytes:
        """Step 3 of the recipe: the SHA-256 of a bucket's lines from several parts."""
        h = hashlib.sha256()
        for text in self._bucket_pieces(parts):
            h.update(text)
        return h.digest()

    def _bucket_text(self, parts: list[_Part]) -> bytes:
        """A bucket's lines from several parts, in the recipe's order (key, then id bytes)."""
        pieces = list(self._bucket_pieces(parts))
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def _bucket_pieces(self, parts: list[_Part]) -> Iterator[bytes]:
        """A bucket's lines from several parts in the recipe's order, in consecutive pieces.

        Each part's lines are in that order already. A large bucket (the nation's: about
        7·10⁵ rows from each of hundreds of parts) is merged one range of keys at a time, each
        about :data:`_MERGE_ROWS` rows: the rows of a range are one run of lines in each part,
        so what one merge touches stays in the processor's cache, and equal keys, which only
        the ids can order, fall in one range.
        """
        total = sum(p[0].shape[0] for p in parts)
        ranges = -(-total // _MERGE_ROWS)
        if len(parts) < 2 or ranges < 2:
            yield self._merged(parts)
            return
        lo = min(int(p[0][0]) for p in parts)
        hi = max(int(p[0][-1]) for p in parts)
        inner = [lo + (hi - lo + 1) * j // ranges for j in range(1, ranges)]
        cuts = np.array(inner, dtype=np.uint64)
        runs = []
        for keys, text in parts:
            ends = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 0x0A) + 1
            rows = np.concatenate([[0], np.searchsorted(keys, cuts, side="left"), [len(keys)]])
            at = np.concatenate([[0], ends])[rows].tolist()
            runs.append((keys, text, rows.tolist(), at))
        for j in range(ranges):
            piece = [
                (keys[rows[j] : rows[j + 1]], text[at[j] : at[j + 1]])
                for keys, text, rows, at in runs
                if rows[j + 1] > rows[j]
            ]
            if piece:
                yield self._merged(piece)

    def _merged(self, parts: list[_Part]) -> bytes:
        """Lines from several parts in the recipe's order (key, then id bytes).

        Each part's lines are in that order already; they are merged by sorting the keys (ids
        decide only between equal keys, which are rare unless an id came twice) and joining
        the lines in that order, one ``bytes`` object per line, never one index per byte.
        """
        if not parts:
            return b""
        if len(parts) == 1:
            return parts[0][1]
        keys = np.concatenate([p[0] for p in parts])
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        lines = b"".join(p[1] for p in parts).split(b"\n")
        lines.pop()  # after the last line's newline
        if (sorted_keys[1:] == sorted_keys[:-1]).any():
            # Equal keys (rare unless an id came twice): the ids decide, read from the lines of
            # those keys only (an id is its line's first value, as UTF-8).
            tied = np.zeros(keys.shape[0], dtype=bool)
            same_key = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
            tied[order[same_key]] = tied[order[same_key + 1]] = True
            ids = np.zeros(keys.shape[0], dtype=object)
            ids[:] = b""
            for i in np.flatnonzero(tied).tolist():
                ids[i] = lines[i].split(b"\t", 1)[0]
            raw = np.array(ids.tolist(), dtype=np.bytes_)
            order = np.lexsort((raw, keys))
            same = np.flatnonzero(
                (keys[order][1:] == keys[order][:-1]) & (raw[order][1:] == raw[order][:-1])
            )
            if same.size:
                value = raw[order][same[0]].decode("utf-8")
                raise RosterError(
                    _arrow.SPLIT_DUPLICATE,
                    column=self.kind.ID,
                    value=value,
                )
        return b"\n".join(operator.itemgetter(*order.tolist())(lines)) + b"\n"


def write_lines(acc: RosterDigest, path: str | os.PathLike[str]) -> npt.NDArray[np.int64]:
    """The lines ``acc`` holds, written to a new file bucket by bucket; where each bucket is.

    Each bucket is written as its rows' id keys (little-endian ``uint64``) then its lines, both
    in the recipe's order. Returns, per bucket (256 rows), its offset in the file, its row count
    and the length of its lines: what :func:`read_lines` needs. The file is plain data (no
    pickle): reading it back runs no code, whoever could write to the folder.
    """
    places = np.zeros((BUCKETS, 3), dtype=np.int64)
    offset = 0
    with open(path, "wb") as fh:
        for b in range(BUCKETS):
            parts = acc._parts.get(b, [])
            keys: npt.NDArray[np.uint64] | None = None
            if len(parts) == 1:  # one part's keys are in the recipe's order already
                keys = parts[0][0]
            elif parts:
                keys = np.sort(np.concatenate([p[0] for p in parts]))
            text = acc._bucket_text(parts)
            places[b] = (offset, 0 if keys is None else keys.shape[0], len(text))
            if keys is not None:
                data = keys.astype("<u8", copy=False).tobytes()
                fh.write(data)
                fh.write(text)
                offset += len(data) + len(text)
    return places


def read_lines(
    acc: RosterDigest,
    path: str | os.PathLike[str],
    places: npt.NDArray[np.int64],
    header: list[str],
) -> None:
    """Add to ``acc`` the rows of its buckets stored by :func:`write_lines` (one read).

    ``places`` are the ones :func:`write_lines` returned for the file; ``header`` the columns
    of the rows written.
    """
    acc._check_header(header)
    first, stop = acc._first, acc._stop
    lo = int(places[first, 0])
    hi = int(places[stop - 1, 0] + 8 * places[stop - 1, 1] + places[stop - 1, 2])
    with open(path, "rb") as fh:
        fh.seek(lo)
        blob = fh.read(hi - lo)
    if len(blob) != hi - lo:
        raise RosterError(f"{os.fspath(path)}: the fingerprint's stored lines are cut short")
    for b in range(first, stop):
        at, rows, size = (int(v) for v in places[b])
        if rows:
            at -= lo
            keys = np.frombuffer(blob, dtype="<u8", count=rows, offset=at).astype(np.uint64)
            text = blob[at + 8 * rows : at + 8 * rows + size]
            acc._parts.setdefault(b, []).append((keys, text))


def pack_columns(roster: TargetRoster, names: Iterable[str]) -> dict[str, Any]:
    """The roster's columns ``names`` (canonical, or its own extra columns), and its row count.

    What :func:`unpack_columns` needs to rebuild the roster as one read with only those
    columns (``from_parquet_group``'s ``columns``): the others take their defaults, and take
    no room here; ``"bytes"``, what the columns hold. The columns are shared, not copied.
    """
    wanted = set(names) | {roster.ID}
    columns = {k: v for k, v in roster._columns.items() if k in wanted}
    extra = {k: v for k, v in roster._extra.items() if k in wanted}
    return {
        "n": roster._n,
        "source": roster.source,
        "columns": columns,
        "extra": extra,
        "bytes": nbytes([columns, extra]),
    }


def unpack_columns(packed: Mapping[str, Any]) -> TargetRoster:
    """The roster :func:`pack_columns` packed, the other columns at their defaults."""
    n = int(packed["n"])
    kept = packed["columns"]
    columns = {
        c.name: kept[c.name] if c.name in kept else default_column(c, n)
        for c in TargetRoster.COLUMNS
    }
    return TargetRoster(columns, packed["extra"], packed["source"])


_PLAIN_KINDS = "biufSUMm"  # numpy kinds np.save writes without pickle


def save_columns(packed: Mapping[str, Any], path: str | os.PathLike[str]) -> bool:
    """:func:`pack_columns`'s columns to a plain ``.npz`` file (no pickle: reading it back
    runs no code, whoever could write to the folder); ``False``, and nothing written, when a
    column is free text (numpy variable-width strings need pickle)."""
    groups: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    arrays: dict[str, Any] = {}
    for group in ("columns", "extra"):
        for name, col in packed[group].items():
            i = len(names)
            groups.append(group)
            names.append(name)
            if isinstance(col, Categorical):
                kinds.append("category")
                arrays[f"a{i}"] = col.codes
                arrays[f"b{i}"] = np.array(col.categories, dtype=str)
            elif isinstance(col, TagSet):
                kinds.append("tags")
                arrays[f"a{i}"] = col.bits
                arrays[f"b{i}"] = np.array(col.names, dtype=str)
            elif col.dtype.kind in _PLAIN_KINDS:
                kinds.append("array")
                arrays[f"a{i}"] = col
            else:
                return False
    source = packed["source"]
    with open(path, "wb") as fh:
        np.savez(
            fh,
            n=np.array([packed["n"]], dtype=np.int64),
            source=np.array([] if source is None else [source], dtype=str),
            groups=np.array(groups, dtype=str),
            names=np.array(names, dtype=str),
            kinds=np.array(kinds, dtype=str),
            **arrays,
        )
    return True


def load_columns(path: str | os.PathLike[str]) -> TargetRoster:
    """The roster whose columns :func:`save_columns` wrote, as :func:`unpack_columns` gives it."""
    with np.load(path, allow_pickle=False) as data:
        packed: dict[str, Any] = {"columns": {}, "extra": {}}
        packed["n"] = int(data["n"][0])
        source = data["source"].tolist()
        packed["source"] = source[0] if source else None
        for i, (group, name, kind) in enumerate(
            zip(
                data["groups"].tolist(), data["names"].tolist(), data["kinds"].tolist(), strict=True
            )
        ):
            col: Any = data[f"a{i}"]
            if kind == "category":
                col = Categorical(col, tuple(data[f"b{i}"].tolist()))
            elif kind == "tags":
                col = TagSet(col, tuple(data[f"b{i}"].tolist()))
            packed[group][name] = col
    return unpack_columns(packed)
