"""Publication (一公开): what is published for each result, when it is due, and whether on time.

:func:`publication_records` gives a :class:`PublicationTable`: the public fields of every result
(:data:`~randcheck.results.PUBLIC_FIELDS`), its due date under
:data:`~randcheck.calendar.RESULT_PUBLICATION` (20 working days after the inspection ends,
谁检查、谁录入、谁公示) and its :class:`~randcheck.calendar.Status` as of a date.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck.calendar.deadlines import RESULT_PUBLICATION, Status, due_dates
from randcheck.results.table import NAT, STRING, ResultTable, joined, unique
from randcheck.results.vocabulary import PUBLIC_FIELDS, RESULT_CATEGORIES

if TYPE_CHECKING:
    from randcheck.calendar import ProvisionalCalendar, WorkCalendar
    from randcheck.models import Item
    from randcheck.roster import TargetRoster

__all__ = ["PublicationTable", "publication_records"]


# ----------------------------------------------------------------------------- publication
@attrs.frozen(eq=False)
class PublicationTable:
    """What is published for each result (一公开) and whether it was published on time.

    The public fields are :data:`PUBLIC_FIELDS`: the task, the inspecting department, the
    target's code and name, the item, the inspection's end date, the result categories, the
    publication date, the due date (20 working days after the inspection ends,
    :data:`~randcheck.RESULT_PUBLICATION`) and the status as of ``as_of``
    (:class:`~randcheck.Status`). Officers' names and ids, who entered the result and the
    follow-up are not public fields. :meth:`to_columns`, :meth:`to_rows` and :meth:`to_csv` give
    the public fields only.

    Attributes
    ----------
    results : ResultTable
        The results the records describe (kept for :meth:`take`; not public as a whole).
    due : ``datetime64[D]`` array
        Due date per record.
    status : ``int8`` array
        :class:`~randcheck.Status` code per record.
    roster : TargetRoster or None
        The directory, for the targets' names (企业名称), when one was given.
    roster_rows : numpy int array or None
        Each record's row in ``roster`` (``-1`` if absent).
    item_names : mapping of str to str
        Item code → item name.
    as_of : datetime.date
        The date the status describes.
    rule : str
        The deadline rule.
    """

    results: ResultTable
    due: npt.NDArray[np.datetime64]
    status: npt.NDArray[np.int8]
    roster: TargetRoster | None
    roster_rows: npt.NDArray[np.intp] | None
    item_names: Mapping[str, str]
    as_of: dt.date
    rule: str

    def __len__(self) -> int:
        return len(self.results)

    @property
    def result_id(self) -> npt.NDArray[Any]:
        """The records' result ids."""
        return self.results.result_id

    @property
    def published(self) -> npt.NDArray[np.bool_]:
        """Published on or before ``as_of``."""
        s = self.status
        return np.asarray((s == Status.DONE) | (s == Status.DONE_LATE), dtype=bool)

    @property
    def on_time(self) -> npt.NDArray[np.bool_]:
        """Published on or before the due date."""
        return np.asarray(self.status == Status.DONE, dtype=bool)

    @property
    def due_by_as_of(self) -> npt.NDArray[np.bool_]:
        """Rows that can be judged: published, or due before ``as_of`` (overdue)."""
        return np.asarray(self.published | (self.status == Status.OVERDUE), dtype=bool)

    def late(self) -> PublicationTable:
        """Rows published after their due date (逾期公示)."""
        return self.take(self.status == Status.DONE_LATE)

    def missing(self) -> PublicationTable:
        """Rows not published as of ``as_of`` (overdue or still within the 20 working days)."""
        return self.take(~self.published)

    def take(self, rows: npt.ArrayLike) -> PublicationTable:
        """The rows ``rows`` (indices or a boolean mask)."""
        idx = np.asarray(rows)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        return PublicationTable(
            self.results.take(idx),
            self.due[idx],
            self.status[idx],
            self.roster,
            None if self.roster_rows is None else self.roster_rows[idx],
            self.item_names,
            self.as_of,
            self.rule,
        )

    def to_columns(self, language: str = "en") -> dict[str, npt.NDArray[Any]]:
        """The public fields as columns (dates as ``datetime64[D]``, status as text in
        ``language``: ``"en"`` or ``"zh"``)."""
        r = self.results
        n = len(r)
        item = r.item
        uniq, inv = unique(item)
        item_name = (
            np.array([self.item_names.get(u, "") for u in uniq.tolist()] or [""], dtype=STRING)[inv]
            if n
            else np.zeros(0, dtype=STRING)
        )
        _tables.check_headers(language)
        labels = np.array([s.label if language == "en" else s.zh for s in Status], dtype=STRING)
        names = np.full(n, "", dtype=STRING)
        if self.roster is not None and self.roster_rows is not None:
            found = self.roster_rows >= 0
            names[found] = np.asarray(self.roster.name, dtype=STRING)[self.roster_rows[found]]
        return {
            "result_id": r.result_id,
            "task": r.task,
            "department": r.department,
            "credit_code": np.asarray(np.strings.decode(r.credit_code, "ascii")),
            "name": names,
            "item": item,
            "item_name": item_name,
            "inspection_end": r.inspection_end,
            "categories": joined(r.categories, RESULT_CATEGORIES),
            "published_on": np.where(self.published, r.published_on, NAT),
            "due": self.due,
            "status": labels[self.status.astype(np.intp)] if n else np.zeros(0, dtype=STRING),
        }

    def to_frame(self) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns())

    def to_arrow(self) -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns())

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self.to_columns(headers), headers=headers, zh={"status": "公示状态"})

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per record: the public fields, dates as ISO strings (``None`` for none)."""
        cols = self.to_columns()
        out: dict[str, list[Any]] = {}
        for k, v in cols.items():
            if v.dtype.kind == "M":
                out[k] = [None if s == "NaT" else s for s in np.datetime_as_string(v).tolist()]
            else:
                out[k] = v.tolist()
        return [{k: out[k][i] for k in PUBLIC_FIELDS} for i in range(len(self))]

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8", headers: str = "en"
    ) -> None:
        """Write the public fields as CSV; written whole or not at all.

        ``encoding="utf-8-sig"`` adds a BOM for Excel; ``headers="zh"`` writes Chinese headers
        and the status in Chinese.
        """
        cols = self.to_columns(headers)
        _tables.write_csv(
            path,
            {f: cols[f] for f in PUBLIC_FIELDS},
            encoding=encoding,
            headers=headers,
            zh={"status": "公示状态"},
        )


# The last roster joined on, with its sorted keys: year figures, publication records and
# estimates of one roster reuse them. One entry, so at most one roster is kept alive.
_KEY_CACHE: list[tuple[Any, int, npt.NDArray[np.uint64], npt.NDArray[np.intp]]] = []


def _code_keys(codes: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint64]:
    """A 64-bit mix of each 18-byte code (equal codes, equal keys; collisions are checked)."""
    n = codes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.uint64)
    v = np.ascontiguousarray(codes.astype("S18")).view(np.uint8).reshape(n, 18)
    hi = np.ascontiguousarray(v[:, :8]).view("<u8").ravel()
    mid = np.ascontiguousarray(v[:, 8:16]).view("<u8").ravel()
    lo = np.ascontiguousarray(v[:, 16:]).view("<u2").ravel().astype(np.uint64)
    with np.errstate(over="ignore"):
        k = hi * np.uint64(0x9E3779B97F4A7C15)
        k ^= mid * np.uint64(0xC2B2AE3D27D4EB4F) + (k >> np.uint64(29))
        k ^= lo * np.uint64(0x165667B19E3779F9)
    return np.asarray(k, dtype=np.uint64)


def roster_rows(roster: TargetRoster, codes: npt.NDArray[np.bytes_]) -> npt.NDArray[np.intp]:
    """Row of each code in ``roster`` (``-1`` if absent): :meth:`TargetRoster.row_of`, faster.

    Joins on 64-bit keys of the codes (sorted once per roster and cached), then checks every
    match on the full code; codes whose key collides inside the roster go to ``row_of``.
    """
    n = len(roster)
    if _KEY_CACHE and _KEY_CACHE[0][0] is roster and _KEY_CACHE[0][1] == n:
        _, _, sorted_keys, order = _KEY_CACHE[0]
    else:
        keys = _code_keys(roster.credit_code)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        _KEY_CACHE[:] = [(roster, n, sorted_keys, order)]
    q = _code_keys(codes)
    if n == 0 or q.shape[0] == 0:
        return np.full(q.shape[0], -1, dtype=np.intp)
    pos = np.minimum(np.searchsorted(sorted_keys, q), n - 1)
    cand = order[pos]
    hit = (sorted_keys[pos] == q) & (roster.credit_code[cand] == codes)
    out = np.where(hit, cand, -1).astype(np.intp)
    clash = np.flatnonzero(~hit & (sorted_keys[pos] == q))
    if clash.size:  # two roster codes share a key: the exact, slower join for these
        out[clash] = roster.row_of(codes[clash])
    return out


def publication_records(
    results: ResultTable,
    *,
    as_of: Any,
    roster: TargetRoster | None = None,
    items: Iterable[Item] = (),
    calendar: WorkCalendar | ProvisionalCalendar | None = None,
) -> PublicationTable:
    """The publication record of every result, with due dates and status as of ``as_of``.

    Parameters
    ----------
    results : ResultTable
        The results.
    as_of : date-like
        The date the status describes (a publication after it counts as not yet published).
    roster : TargetRoster, optional
        To fill the targets' names (企业名称).
    items : iterable of Item
        To fill the items' names (检查事项).
    calendar : WorkCalendar or ProvisionalCalendar, optional
        Working days for the due dates (default :meth:`~randcheck.WorkCalendar.default`).

    Returns
    -------
    PublicationTable

    Examples
    --------
    >>> from randcheck.results import ResultTable, publication_records
    >>> t = ResultTable.from_columns({
    ...     "credit_code": ["91130634MA00000001", "91130634MA00000014"],
    ...     "item": ["SW-02", "SW-02"], "categories": ["未发现问题", "未发现问题"],
    ...     "inspection_end": ["2023-09-28", "2023-09-28"],
    ...     "published_on": ["2023-10-20", "2023-11-03"]})
    >>> pub = publication_records(t, as_of="2023-12-31")
    >>> np.datetime_as_string(pub.due).tolist(), pub.on_time.tolist()
    (['2023-11-01', '2023-11-01'], [True, False])
    >>> pub.to_rows()[1]["status"]
    'done late'
    """
    rows = None if roster is None else roster_rows(roster, results.credit_code)
    return publication_rows(results, as_of, roster, rows, items, calendar)


def publication_rows(
    results: ResultTable,
    as_of: Any,
    roster: TargetRoster | None,
    rows: npt.NDArray[np.intp] | None,
    items: Iterable[Item],
    calendar: WorkCalendar | ProvisionalCalendar | None,
) -> PublicationTable:
    due = due_dates(
        RESULT_PUBLICATION,
        {"inspection_end": results.inspection_end},
        as_of=as_of,
        done=results.published_on,
        calendar=calendar,
    )
    return PublicationTable(
        results,
        np.asarray(due.due),
        np.asarray(due.status),
        roster,
        rows,
        {it.code: it.name for it in items},
        due.as_of,
        due.rule,
    )
