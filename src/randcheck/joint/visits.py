"""One visit, many checks (进一次门、查多项事): merging items' samples into visits."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck.calendar import as_date
from randcheck.calendar.deadlines import RESULT_PUBLICATION, due_dates
from randcheck.errors import BatchError
from randcheck.joint.plans import MERGE_RECIPE, check_batch_year, check_items, check_team_size
from randcheck.models import Item, Visit
from randcheck.roster import TargetRoster
from randcheck.sampling import (
    Draw,
)

# ------------------------------------------------------------------------------ visits
# The skills a visit needs, not an officer's 专长.
_VISIT_HEADERS = {"skills": "所需专长"}


#: The columns of a visits file (``VisitTable.to_csv``, ``randcheck batch --visits``), in order.
VISIT_FIELDS = (
    "credit_code",
    "items",
    "departments",
    "lead_department",
    "skills",
    "area",
    "team_size",
)


@attrs.frozen(eq=False)
class VisitTable:
    """Visits as columns: one row per visit, the items of visit ``v`` in
    ``item_index[item_indptr[v]:item_indptr[v + 1]]`` (indices into ``items``).

    Visits are in credit-code order, and the items of a visit in item-code order, whatever the
    order of the items or draws merged. Iterating (or indexing) gives
    :class:`~randcheck.models.Visit` values; the columns serve large batches without one object
    per visit.

    Examples
    --------
    >>> from randcheck.joint import merge_visits
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> joint = [it for it in county.items if it.code.endswith("-07")]
    >>> table = merge_visits(county.targets, joint, [np.array([0, 5]), np.array([5])] * 2)
    >>> len(table), table.pairs, table.items_per_visit().tolist()
    (2, 6, [4, 2])
    """

    items: tuple[Item, ...]
    credit_codes: npt.NDArray[np.bytes_]
    target_rows: npt.NDArray[np.intp]
    areas: tuple[str, ...]
    area_index: npt.NDArray[np.intp]
    item_indptr: npt.NDArray[np.intp]
    item_index: npt.NDArray[np.intp]
    team_size: int = 2
    lead_order: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.credit_codes.shape[0])

    def __iter__(self) -> Iterator[Visit]:
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, i: int) -> Visit:
        if not -len(self) <= i < len(self):
            raise IndexError(f"visit {i} is out of range for {len(self)} visits")
        i %= len(self)
        its = [
            self.items[k] for k in self.item_index[self.item_indptr[i] : self.item_indptr[i + 1]]
        ]
        departments = sorted({it.department for it in its})
        return Visit(
            credit_code=self.credit_codes[i].decode("ascii"),
            items=tuple(it.code for it in its),
            departments=tuple(departments),
            lead_department=_lead(its, self.lead_order),
            skills=tuple(sorted({s for it in its for s in it.skills})),
            area=self.areas[self.area_index[i]],
            team_size=self.team_size,
        )

    @property
    def pairs(self) -> int:
        """Number of (item, target) checks carried by the visits."""
        return int(self.item_index.shape[0])

    def items_per_visit(self) -> npt.NDArray[np.intp]:
        """How many items each visit checks."""
        return np.diff(self.item_indptr)

    def _visit_of_pair(self) -> npt.NDArray[np.intp]:
        return np.repeat(np.arange(len(self), dtype=np.intp), self.items_per_visit())

    def _code_sorted_index(self) -> npt.NDArray[np.intp]:
        """``item_index`` with each visit's items in item-code order."""
        rank = np.empty(len(self.items), dtype=np.intp)
        rank[np.argsort(np.array([it.code for it in self.items]), kind="stable")] = np.arange(
            len(self.items)
        )
        r = rank[self.item_index]
        if r.size < 2:
            return self.item_index
        starts = np.zeros(r.shape[0], dtype=bool)
        starts[self.item_indptr[:-1][self.items_per_visit() > 0]] = True
        if bool(np.all((r[1:] > r[:-1]) | starts[1:])):
            return self.item_index
        return self.item_index[np.lexsort((r, self._visit_of_pair()))]

    def digest(self) -> str:
        """The visits digest of the ``randcheck-merge/1`` recipe (see the module docstring)."""
        h = hashlib.sha256(f"{MERGE_RECIPE}\n".encode())
        n_v, n_p, n_i = len(self), self.pairs, len(self.items)
        if n_v:
            idx = self._code_sorted_index()
            last = np.zeros(n_p, dtype=bool)
            last[self.item_indptr[1:][self.items_per_visit() > 0] - 1] = True
            # Each visit: "<code>\t", then each item code followed by ";" (or "\n" if last).
            tokens = np.array(
                [f"{it.code};".encode() for it in self.items]
                + [f"{it.code}\n".encode() for it in self.items],
                dtype=object,
            )
            pieces = np.empty(n_v + n_p, dtype=object)
            head = self.item_indptr[:-1] + np.arange(n_v)
            is_head = np.zeros(n_v + n_p, dtype=bool)
            is_head[head] = True
            pieces[head] = np.char.add(self.credit_codes.astype("S18"), b"\t").astype(object)
            pieces[~is_head] = tokens[idx + n_i * last]
            h.update(b"".join(pieces.tolist()))
        return "sha256:" + h.hexdigest()

    def lead_departments(self) -> list[str]:
        """The lead department of each visit (most items; ties by ``lead_order``, then name)."""
        depts = sorted({it.department for it in self.items})
        prec = sorted(
            range(len(depts)),
            key=lambda j: (
                self.lead_order.index(depts[j]) if depts[j] in self.lead_order else len(depts),
                depts[j],
            ),
        )
        if not len(self):
            return []
        d_of_item = np.array([depts.index(it.department) for it in self.items], dtype=np.intp)
        rank = np.empty(len(depts), dtype=np.intp)
        rank[prec] = np.arange(len(depts))
        n_d = len(depts)
        key = self._visit_of_pair() * n_d + d_of_item[self.item_index]
        uniq, counts = np.unique(key, return_counts=True)
        visit, dept = np.divmod(uniq, n_d)
        # Best first: most items, then the earliest department in precedence.
        order = np.lexsort((rank[dept], -counts, visit))
        first = np.ones(order.shape[0], dtype=bool)
        first[1:] = visit[order][1:] != visit[order][:-1]
        leads = dept[order][first]
        return [depts[j] for j in leads.tolist()]

    def burden(self) -> Burden:
        """Visits before and after merging, items per visit, figures per department.

        Examples
        --------
        >>> from randcheck.joint import merge_visits
        >>> from randcheck import example_county
        >>> county = example_county()
        >>> joint = [it for it in county.items if it.code.endswith("-07")]
        >>> b = merge_visits(county.targets, joint, [np.array([0, 5]), np.array([5])] * 2,
        ...                  lead_order=("商务局",)).burden()
        >>> b.visits_unmerged, b.visits, b.saved, b.items_per_visit_histogram
        (6, 2, 4, {2: 1, 4: 1})
        >>> b.led_by_department
        {'商务局': 2}
        """
        per_visit = self.items_per_visit()
        depts = sorted({it.department for it in self.items})
        d_of_item = np.array([depts.index(it.department) for it in self.items], dtype=np.intp)
        pair_dept = d_of_item[self.item_index]
        checks = np.bincount(pair_dept, minlength=len(depts))
        key = np.unique(self._visit_of_pair() * len(depts) + pair_dept)
        visits_by = np.bincount(key % len(depts), minlength=len(depts))
        led = Counter(self.lead_departments())
        hist = np.bincount(per_visit) if per_visit.size else np.zeros(1, dtype=np.intp)
        return Burden(
            visits_unmerged=self.pairs,
            visits=len(self),
            mean_items_per_visit=float(per_visit.mean()) if per_visit.size else 0.0,
            items_per_visit_histogram={int(k): int(c) for k, c in enumerate(hist) if c},
            checks_by_department={d: int(c) for d, c in zip(depts, checks.tolist(), strict=True)},
            visits_by_department={
                d: int(c) for d, c in zip(depts, visits_by.tolist(), strict=True)
            },
            led_by_department={d: led[d] for d in depts if led[d]},
        )

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per visit, for JSON or CSV export (lists joined by ``;`` in CSV)."""
        return [v.to_dict() for v in self]

    def to_frame(self) -> Any:
        """:meth:`to_rows` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self._table_columns())

    def to_arrow(self) -> Any:
        """:meth:`to_rows` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self._table_columns())

    def to_excel(self, path: str | os.PathLike[str], *, headers: str = "en") -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self._table_columns(), headers=headers, zh=_VISIT_HEADERS)

    def _table_columns(self) -> dict[str, Any]:
        rows = self.to_rows()
        return _tables.columns_of_rows(rows, list(rows[0]) if rows else [])

    def _repr_html_(self) -> str:
        """Jupyter's preview: the counts, then the first rows."""
        return preview_html(self, f"{type(self).__name__}: {len(self):,} rows")

    def to_json(self) -> str:
        """The visits as a JSON array (UTF-8 characters kept), in visit order."""
        return json.dumps(self.to_rows(), ensure_ascii=False, indent=1)

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8", headers: str = "en"
    ) -> None:
        """Write the visits as CSV (lists joined by ``;``); written whole or not at all.

        ``encoding="utf-8-sig"`` adds a BOM for Excel; ``headers="zh"`` writes Chinese headers.
        """
        _tables.write_csv(
            path,
            _tables.columns_of_rows(self.to_rows(), VISIT_FIELDS),
            encoding=encoding,
            headers=headers,
            zh=_VISIT_HEADERS,
        )

    def due_dates(
        self, inspection_end: Any, *, as_of: Any, done: Any = None, calendar: Any = None
    ) -> Any:
        """Result-publication due dates: 20 working days after each visit's inspection ends.

        A thin wrapper of :func:`randcheck.due_dates` with
        :data:`~randcheck.calendar.RESULT_PUBLICATION` (检查结果录入公示, 谁检查、谁录入、谁公示).

        Parameters
        ----------
        inspection_end : date or sequence of dates
            One date per visit (``NaT``/``None`` where not yet inspected), or one date for all.
        as_of : date
            The date the status describes.
        done : sequence of dates, optional
            When each visit's result was published.
        calendar : WorkCalendar or ProvisionalCalendar, optional
            One calendar for the whole table (default ``WorkCalendar.default()``).

        Returns
        -------
        DueDates
            Aligned with the visits.

        Raises
        ------
        BatchError
            ``inspection_end`` does not hold one date per visit.

        Examples
        --------
        >>> from randcheck.joint import merge_visits
        >>> from randcheck import example_county
        >>> county = example_county()
        >>> joint = [it for it in county.items if it.code.endswith("-07")]
        >>> table = merge_visits(county.targets, joint, [np.array([0, 5]), np.array([5])] * 2)
        >>> due = table.due_dates(["2025-09-26", "2025-10-20"], as_of="2025-11-14")
        >>> np.datetime_as_string(due.due).tolist()
        ['2025-10-30', '2025-11-17']
        """
        n = len(self)
        if isinstance(inspection_end, str | dt.date | np.datetime64):
            ends: Any = np.full(
                n, np.datetime64(as_date(inspection_end, field="inspection_end"), "D")
            )
        else:
            ends = np.asarray(inspection_end)
            if ends.ndim != 1 or ends.shape[0] != n:
                got = ends.shape[0] if ends.ndim == 1 else f"an array of shape {ends.shape}"
                raise BatchError(
                    f"inspection_end: {got} dates for {n} visits; give one date per visit "
                    "(NaT where not inspected yet) or a single date for all"
                )
        return due_dates(
            RESULT_PUBLICATION,
            {"inspection_end": ends},
            as_of=as_of,
            done=done,
            calendar=calendar,
        )


def _lead(items: Sequence[Item], order: Sequence[str]) -> str:
    """The lead department: most items on the visit; ties by ``order``, then by name."""
    counts = Counter(it.department for it in items)
    rank = {d: i for i, d in enumerate(order)}
    return min(counts, key=lambda d: (-counts[d], rank.get(d, len(rank)), d))


def preview_html(table: VisitTable, title: str) -> str:
    """A notebook preview of ``table`` under ``title``: only the rows shown are built."""
    rows = [v.to_dict() for v in itertools.islice(table, _tables.PREVIEW_ROWS)]
    columns = _tables.columns_of_rows(rows, list(rows[0]) if rows else [])
    return _tables.preview_html(title, columns, len(table))


@attrs.frozen
class Burden:
    """What merging saves: visits before (one per item and target) and after, and per department.

    ``visits`` is also the number of distinct targets visited (one visit per target).
    ``checks_by_department`` counts (item, target) checks, ``visits_by_department`` the visits a
    department takes part in, ``led_by_department`` the visits it leads.
    """

    visits_unmerged: int
    visits: int
    mean_items_per_visit: float
    items_per_visit_histogram: Mapping[int, int]
    checks_by_department: Mapping[str, int]
    visits_by_department: Mapping[str, int]
    led_by_department: Mapping[str, int] = attrs.field(factory=dict)

    @property
    def saved(self) -> int:
        """Visits saved by merging (进一次门、查多项事)."""
        return self.visits_unmerged - self.visits

    @property
    def distinct_targets(self) -> int:
        """Targets visited (equal to :attr:`visits`)."""
        return self.visits

    def to_rows(self) -> list[dict[str, Any]]:
        """A tidy table: one row per (measure, department) pair."""
        rows: list[dict[str, Any]] = [
            {"measure": "visits_unmerged", "department": "", "value": self.visits_unmerged},
            {"measure": "visits", "department": "", "value": self.visits},
            {
                "measure": "mean_items_per_visit",
                "department": "",
                "value": self.mean_items_per_visit,
            },
        ]
        rows += [
            {"measure": "checks", "department": d, "value": v}
            for d, v in self.checks_by_department.items()
        ]
        rows += [
            {"measure": "visits", "department": d, "value": v}
            for d, v in self.visits_by_department.items()
        ]
        rows += [
            {"measure": "led", "department": d, "value": v}
            for d, v in self.led_by_department.items()
        ]
        return rows


def merge_visits(
    roster: TargetRoster,
    items: Sequence[Item],
    rows_per_item: Sequence[npt.ArrayLike],
    *,
    team_size: int = 2,
    lead_order: Sequence[str] = (),
) -> VisitTable:
    """Group (item, target) pairs by target: the ``randcheck-merge/1`` merge.

    ``rows_per_item[k]`` are the roster rows drawn for ``items[k]`` (any order). Time is linear
    in the number of pairs plus the roster size: a counting sort of the pairs by visit, one
    vectorized pass per item, and visits put in credit-code order through the roster's cached
    code order (or, when few targets are visited, a sort of their codes).

    Raises
    ------
    BatchError
        Not one row array per item, a row outside the roster, a target twice in one item's
        draw, duplicate item codes, or a team smaller than 2.
    """
    items = check_items(items)
    team_size = check_team_size(team_size)
    if len(rows_per_item) != len(items):
        raise BatchError(f"{len(items)} items but {len(rows_per_item)} row arrays")
    n = len(roster)
    parts: list[npt.NDArray[np.intp]] = []
    for item, r in zip(items, rows_per_item, strict=True):
        a = np.asarray(r)
        if a.size and a.dtype.kind not in "iu":
            raise BatchError(f"item {item.code!r}: rows must be integers, got dtype {a.dtype}")
        a = a.astype(np.intp, copy=False).ravel()
        if a.size and (int(a.min()) < 0 or int(a.max()) >= n):
            bad = int(a[(a < 0) | (a >= n)][0])
            raise BatchError(
                f"item {item.code!r}: row {bad} is outside the roster's {n} rows (0…{n - 1})"
            )
        parts.append(a)
    pair_row = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
    counts = np.bincount(pair_row, minlength=n)
    visit_rows = _visit_rows_in_code_order(roster, counts)
    n_v = visit_rows.shape[0]
    position = np.empty(n, dtype=np.intp)
    position[visit_rows] = np.arange(n_v)
    indptr = np.zeros(n_v + 1, dtype=np.intp)
    np.cumsum(counts[visit_rows], out=indptr[1:])
    # Counting sort: items in code order, each placing its pairs at the next free slot of
    # their visit; one item holds a target at most once, so slots never collide.
    item_index = np.empty(pair_row.shape[0], dtype=np.intp)
    fill = indptr[:-1].copy()
    by_code = sorted(range(len(items)), key=lambda k: items[k].code)
    for k in by_code:
        v = position[parts[k]]
        item_index[fill[v]] = k
        fill[v] += 1
    if not np.array_equal(fill, indptr[1:]):
        for k in by_code:  # find the culprit for the message
            a = parts[k]
            if np.unique(a).shape[0] != a.shape[0]:
                vals, c = np.unique(a, return_counts=True)
                row = int(vals[c > 1][0])
                raise BatchError(
                    f"item {items[k].code!r}: target {roster.credit_code[row].decode('ascii')} "
                    f"(row {row}) appears more than once in its draw"
                )
        raise BatchError("a target appears more than once in one item's draw")  # pragma: no cover
    area = roster.area
    return VisitTable(
        items=items,
        credit_codes=roster.credit_code[visit_rows],
        target_rows=visit_rows,
        areas=area.categories,
        area_index=area.codes[visit_rows].astype(np.intp),
        item_indptr=indptr,
        item_index=item_index,
        team_size=team_size,
        lead_order=tuple(lead_order),
    )


def _visit_rows_in_code_order(
    roster: TargetRoster, counts: npt.NDArray[np.intp], *, small: int = 16
) -> npt.NDArray[np.intp]:
    """Rows with a positive count, in credit-code order.

    Uses the roster's cached code order (one O(n) pass) unless fewer than ``n / small`` rows are
    visited, when sorting their codes is cheaper. Both give the same order (codes are unique).
    """
    visited = np.flatnonzero(counts)
    n = counts.shape[0]
    if visited.shape[0] * small < n:
        codes = roster.credit_code[visited]
        if codes.dtype.itemsize == 18 and codes.size:
            v = np.ascontiguousarray(codes).view(np.uint8).reshape(-1, 18)
            hi = np.ascontiguousarray(v[:, :8]).view(">u8").ravel()
            mid = np.ascontiguousarray(v[:, 8:16]).view(">u8").ravel()
            lo = np.ascontiguousarray(v[:, 16:]).view(">u2").ravel()
            return visited[np.lexsort((lo, mid, hi))]
        return visited[np.argsort(codes, kind="stable")]
    # TargetRoster caches its rows in id order (it serves row_of and the digest).
    order = roster.code_order()
    return order[counts[order] > 0]


def merge_draws(
    roster: TargetRoster,
    items: Sequence[Item],
    draws: Mapping[str, Draw],
    *,
    team_size: int = 2,
    lead_order: Sequence[str] = (),
    year: int | None = None,
) -> VisitTable:
    """Merge item draws made separately (e.g. by :func:`randcheck.draw`) into visits.

    ``draws`` maps each item's code to its draw on ``roster``.

    Raises
    ------
    BatchError
        An item without a draw, a draw for an item not listed, a draw made from another roster
        than ``roster`` (its roster digest, size, or ids at its rows differ), or draws whose
        plans are dated (``eligibility.as_of``) in different years, or not in ``year``.
    """
    items = check_items(items)
    codes = [it.code for it in items]
    missing = [c for c in codes if c not in draws]
    extra = sorted(set(draws) - set(codes))
    if missing or extra:
        raise BatchError(
            "draws and items do not match: "
            + (f"no draw for {', '.join(missing)}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"draws for unknown items {', '.join(extra)}" if extra else "")
        )
    digest = None
    for code in codes:
        d = draws[code]
        r = d.receipt
        if r.verifiable:
            digest = digest or roster.digest()
            if r.roster_digest != digest:
                raise BatchError(
                    f"the draw for item {code!r} was made from a different roster "
                    f"({r.roster_digest}) than this batch's ({digest})"
                )
        elif r.roster_size != len(roster):
            raise BatchError(
                f"the draw for item {code!r} was made from a roster of "
                f"{r.roster_size} rows; this roster has {len(roster)}"
            )
        rows = np.asarray(d.rows, dtype=np.intp)
        if rows.size and (
            int(rows.min()) < 0
            or int(rows.max()) >= len(roster)
            or not np.array_equal(roster.credit_code[rows], d.ids)
        ):
            raise BatchError(
                f"the draw for item {code!r} was made from a different roster: its rows do not "
                "hold its credit codes in this roster"
            )
    check_batch_year(year, {c: draws[c].plan.eligibility.as_of for c in codes}, "draw's plan")
    return merge_visits(
        roster, items, [draws[c].rows for c in codes], team_size=team_size, lead_order=lead_order
    )
