"""Problem reports: every problem a loader found in a file, in one pass (问题清单).

A loader that meets bad rows does not stop at the first one: it checks the whole file, collects
each problem (up to a limit) as a :class:`Problem` (the row as the spreadsheet shows it, the
column, the value, what is wrong and how to fix it) and raises one error carrying a
:class:`ProblemReport`. The report is a table: write it for the person who keeps the register
with :meth:`ProblemReport.to_csv` (UTF-8 with a BOM, so that Excel opens it), or look at it with
:meth:`ProblemReport.to_frame`. On the command line, ``randcheck check roster.csv --report
problems.csv`` writes it.

Loaders that accept something with a remark (a legacy credit code under ``legacy_codes=True``,
an ignored column) attach such a report to what they return too.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from randcheck import _excel
from randcheck._files import atomic_path
from randcheck.errors import RosterError

__all__ = ["Problem", "ProblemReport"]

#: How many problems a report lists; every problem is still counted.
MAX_PROBLEMS = 1000

_HEADERS = {
    "en": ("row", "column", "value", "problem", "fix"),
    "zh": ("行号", "列", "值", "问题", "修改建议"),
}


@attrs.frozen
class Problem:
    """One problem in one cell (or row, or column) of an input file.

    Attributes
    ----------
    row : int or None
        The row as the spreadsheet shows it (the header is row 1); ``None`` for a whole column.
    column : str or None
        The column's header as the file writes it, or the canonical name.
    value : object
        The offending value, as read.
    problem : str
        What is wrong; problems of one kind share this text.
    fix : str
        What to do about it (may be empty).
    """

    row: int | None
    column: str | None
    value: Any
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                f"row {self.row}" if self.row is not None else "",
                f"column {self.column!r}" if self.column is not None else "",
                f"value {self.value!r}" if self.value is not None else "",
            )
            if p
        )
        text = f"{where}: {self.problem}" if where else self.problem
        return f"{text} (fix: {self.fix})" if self.fix else text


@attrs.frozen
class ProblemReport:
    """The problems found in one input, in file order (at most :data:`MAX_PROBLEMS` listed).

    ``counts`` gives the number of problems of each kind found in the whole input, including
    those beyond the listing limit; ``len(report)`` is their sum.

    Examples
    --------
    >>> from randcheck.problems import Problem, ProblemReport
    >>> report = ProblemReport.of(
    ...     [Problem(3, "信用风险等级", "", "a blank risk class", "fill in A–E")], source="r.csv"
    ... )
    >>> len(report), report.counts
    (1, {'a blank risk class': 1})
    >>> print(report.summary())
    r.csv: 1 problem (1 × a blank risk class)
      row 3, column '信用风险等级', value '': a blank risk class (fix: fill in A–E)
    """

    problems: tuple[Problem, ...]
    counts: dict[str, int]
    source: str | None = None

    @classmethod
    def of(
        cls,
        problems: Sequence[Problem],
        *,
        source: str | None = None,
        counts: dict[str, int] | None = None,
    ) -> ProblemReport:
        """A report of ``problems`` (sorted by row); ``counts`` defaults to counting them."""
        ordered = sorted(
            problems, key=lambda p: (p.row is not None, p.row if p.row is not None else 0)
        )
        if counts is None:
            counts = dict(Counter(p.problem for p in ordered))
        # Kinds in the order a reader meets them in the file.
        first_seen = {p.problem: k for k, p in reversed(list(enumerate(ordered)))}
        kinds = sorted(counts, key=lambda kind: first_seen.get(kind, len(ordered)))
        return cls(tuple(ordered[:MAX_PROBLEMS]), {k: counts[k] for k in kinds}, source)

    def __len__(self) -> int:
        return sum(self.counts.values())

    def __bool__(self) -> bool:
        return bool(self.counts)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)

    def roster_error(self) -> RosterError:
        """The :class:`~randcheck.RosterError` a directory loader raises for this report: the
        first problem named (with its value when it is a cell's, and its fix when it is the only
        one), every kind counted."""
        first = self.problems[0]
        n = self.counts[first.problem]
        more = f" ({n} rows in all)" if n > 1 and first.row is not None else ""
        # One problem: its fix too (several: the summary below the message gives each fix).
        fix = f" (fix: {first.fix})" if first.fix and len(self) == 1 else ""
        return RosterError(
            first.problem + more + fix,
            source=self.source,
            row=first.row,
            column=first.column,
            value=first.value,
            problems=[(p.row, p.column, p.value, p.problem) for p in self.problems],
            has_value=first.row is not None and first.column is not None,
            report=self,
        )

    def summary(self, first: int = 5) -> str:
        """A count per kind, then the first ``first`` problems, one per line."""
        n = len(self)
        kinds = "; ".join(f"{c} × {k}" for k, c in self.counts.items())
        head = f"{n} problem{'s' if n != 1 else ''} ({kinds})"
        if self.source:
            head = f"{self.source}: {head}"
        lines = [head, *(f"  {p}" for p in self.problems[:first])]
        if n > first:
            lines.append(f"  … and {n - first} more")
        return "\n".join(lines)

    def to_rows(self, headers: str = "en") -> list[dict[str, Any]]:
        """The problems as dicts, keyed by English (``"en"``) or Chinese (``"zh"``) headers."""
        keys = _headers(headers)
        return [
            dict(zip(keys, (p.row, p.column, p.value, p.problem, p.fix), strict=True))
            for p in self.problems
        ]

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8-sig", headers: str = "en"
    ) -> None:
        """Write the report as CSV: row, column, value, problem, fix (or the Chinese headers).

        The default encoding writes a BOM so that Excel shows the Chinese text; pass
        ``encoding="gb18030"`` for county systems that need it.
        """
        keys = _headers(headers)
        with atomic_path(path) as tmp, open(tmp, "w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(keys)
            for p in self.problems:
                writer.writerow(
                    [
                        "" if p.row is None else p.row,
                        p.column or "",
                        _cell(p.value),
                        p.problem,
                        p.fix,
                    ]
                )

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """Write the report as an ``.xlsx`` workbook (needs the ``excel`` extra)."""
        _excel.write_rows(
            path,
            _headers(headers),
            ((p.row, p.column or "", _cell(p.value), p.problem, p.fix) for p in self.problems),
        )

    def to_frame(self, headers: str = "en") -> Any:
        """The report as a :class:`pandas.DataFrame` (pandas is an optional dependency)."""
        try:
            import pandas as pd  # optional: only this method needs it
        except ImportError as exc:  # pragma: no cover - pandas is in the test environment
            raise ImportError("ProblemReport.to_frame needs pandas: pip install pandas") from exc
        return pd.DataFrame(self.to_rows(headers), columns=list(_headers(headers)))


class Collector:
    """Problems found while reading one input, gathered for one :class:`ProblemReport`.

    A reader calls :meth:`add` (one cell) or :meth:`add_rows` (one kind of problem in many
    rows) for everything it finds and carries on; at the end :meth:`report` gives the report.
    At most :data:`MAX_PROBLEMS` problems are kept, every one is counted.
    """

    def __init__(self, source: str | None = None) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.counts: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self.counts)

    def add(
        self, row: int | None, column: str | None, value: Any, problem: str, fix: str = ""
    ) -> None:
        """Record one problem."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, column, value, problem, fix))
        self.counts[problem] = self.counts.get(problem, 0) + 1

    def add_rows(
        self,
        rows: Sequence[int] | Any,
        column: str | None,
        values: Sequence[Any] | Any,
        problem: str,
        fix: str | Sequence[str] = "",
    ) -> None:
        """Record one kind of problem in each of ``rows``.

        ``rows`` is a sequence or numpy array; ``values`` (and ``fix``, when it is a sequence)
        hold the entries of at least the first :data:`MAX_PROBLEMS` rows, since only those
        that fit under the limit become :class:`Problem` objects.
        """
        n = len(rows)
        room = max(min(MAX_PROBLEMS - len(self.problems), n), 0)
        self.problems.extend(
            Problem(
                int(rows[k]),
                column,
                _plain(values[k]),
                problem,
                fix if isinstance(fix, str) else fix[k],
            )
            for k in range(room)
        )
        if n:
            self.counts[problem] = self.counts.get(problem, 0) + n

    def report(self) -> ProblemReport:
        return ProblemReport.of(self.problems, source=self.source, counts=self.counts)


def csv_body(
    reader: Iterator[list[str]], width: int, found: Collector
) -> tuple[list[list[str]], list[int]]:
    """The rows after a CSV header, with their row numbers as a spreadsheet shows them.

    Empty rows (no cell, or empty cells alone: ``,,,,`` as Excel saves an emptied row) are
    skipped; a row whose number of cells differs from the header's ``width`` is
    reported to ``found`` (once per row, under one problem text, so that a report counts them
    together) and left out.
    """
    rows: list[list[str]] = []
    numbers: list[int] = []
    for k, row in enumerate(reader, start=2):
        if not "".join(row):
            continue
        if len(row) != width:
            found.add(
                k,
                None,
                None,
                "the row has a different number of cells than the header",
                f"{len(row)} cells for {width} headers: a cell holds an unquoted comma or the row "
                "is cut short; put quotes around text with commas",
            )
            continue
        rows.append(row)
        numbers.append(k)
    return rows, numbers


def _headers(headers: str) -> tuple[str, ...]:
    try:
        return _HEADERS[headers]
    except KeyError:
        raise ValueError(f"headers must be 'en' or 'zh', got {headers!r}") from None


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (text stays text)."""
    item = getattr(value, "item", None)
    return item() if callable(item) and not isinstance(value, (str, bytes)) else value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
