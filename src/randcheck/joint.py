"""Joint inspections: one visit, many checks (进一次门、查多项事), within and across departments.

Two ways in:

1. **Several item draws merged** (:func:`draw_batch`, then :attr:`Batch.visits`). Each item is
   drawn by its own plan, restricted to the item's scope. In *coordinated* mode (the default) all
   items use the same per-target numbers (the child key ``units`` of the batch's key), so their
   samples overlap as much as their designs allow: within a stratum, the targets drawn for an
   item with a small rate are, up to the rounding of stratum sizes, also drawn for every item with
   a larger rate over the same targets (permanent random numbers). Each item keeps exactly its
   own inclusion probabilities. *Independent* mode gives every item its own key
   (``item``, then the item code, below the batch's key), for comparison. Draws made
   separately can be merged with :func:`merge_draws`.
2. **A joint task** (:func:`draw_joint_task`): the union of the items' scopes is drawn once; each
   drawn target's visit checks every item whose scope covers it, and each item's inclusion
   probability for a target in its scope is the task's.

Either way the result is a :class:`VisitTable` (columns, one row per visit) and a
:class:`BatchReceipt` that :func:`verify_batch` replays (:func:`randcheck.verify` passes batch
receipts to it).

**Keys.** A batch labelled ``b`` drawn from public seed ``s`` takes its numbers from the key at
path ``("batch", b)`` below the root key of ``s`` (recipe ``randcheck-prn/2``,
:mod:`randcheck.randomness`). Every item draw of the batch is an ordinary ``randcheck-draw/2``
draw: from that key with stream ``units`` (coordinated, path ``("batch", b, "units")``) or, in
independent mode, from the key ``("batch", b, "item")`` with the item code as stream (path
``("batch", b, "item", code)``); a joint task is one draw from the batch's key with stream
``units`` over the roster restricted to the union of the items' scopes (active targets whose
industry is one of an item's industries and that carry one of its tags, when it lists any).

**One plan year.** A batch belongs to one plan year (年度抽查工作计划). Items carry no calendar or
year; a plan may carry one through ``eligibility.as_of`` (the end of its repeat window). All plans
of a batch, and all draws merged by :func:`merge_draws`, must have ``as_of`` in the same year (or
none), and in ``year`` when it is given; the receipt records the year. One
:class:`VisitTable` has one calendar: :meth:`VisitTable.due_dates` takes it.

The merge recipe ``randcheck-merge/1``: the (item, target) pairs of all item draws are grouped by
target; a visit is one target with the sorted codes of its items. Visits are ordered by credit
code. The visits digest is ``sha256:`` + SHA-256 of ``"randcheck-merge/1\\n"`` followed by one
line per visit: the credit code, a tab, the item codes joined by ``;``, and ``\\n``.

The batch receipt ``randcheck-batch/2`` (:class:`BatchReceipt`) holds the mode, the batch label, the
seed (and, when committed, the seed rule and source), the roster digest, the items as records, one
draw receipt per item (one for a joint task), the merge recipe, the number of visits and their
digest, the team size, the lead order and the plan year. :func:`verify_batch` recomputes every draw
and the merge from it and the roster.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck._records import JsonRecord, at, field_error, first_difference
from randcheck.errors import BatchError, PlanError, VerificationError
from randcheck.models import Item, Visit
from randcheck.randomness import (
    LABEL_BATCH,
    LABEL_ITEM,
    LABEL_UNITS,
    GeneratorSource,
    HashSource,
    source_for,
    uniform_reference,
)
from randcheck.roster import TargetRoster
from randcheck.sampling import (
    UNCOMMITTED_WARNING,
    Commitment,
    Draw,
    Eligibility,
    Receipt,
    SamplingPlan,
    _draw,
    _verify,
    draw,
    inclusion_probabilities,
)
from randcheck.seeds import SeedRule

__all__ = [
    "BATCH_FORMAT",
    "MERGE_RECIPE",
    "Batch",
    "BatchReceipt",
    "Burden",
    "VisitTable",
    "commit_batch",
    "commit_joint_task",
    "draw_batch",
    "draw_joint_task",
    "expected_visits",
    "item_plan",
    "merge_draws",
    "merge_visits",
    "verify_batch",
]

BATCH_FORMAT = "randcheck-batch/2"
MERGE_RECIPE = "randcheck-merge/1"
BATCH_PLANS_RECIPE = "randcheck-batch-plans/1"
_MODES = ("coordinated", "independent", "joint-task")


def _check_items(items: Sequence[Item]) -> tuple[Item, ...]:
    if not items:
        raise BatchError("a batch needs at least one item")
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if not isinstance(item, Item):
            raise BatchError(f"items[{i}]: expected an Item, got {type(item).__name__}")
        if item.code in seen:
            raise BatchError(
                f"items[{i}]: item code {item.code!r} is used twice (also "
                f"items[{seen[item.code]}]); every item in a batch needs its own code"
            )
        seen[item.code] = i
    return tuple(items)


def _check_team_size(team_size: int) -> int:
    if isinstance(team_size, bool) or not isinstance(team_size, int | np.integer):
        raise BatchError(f"team_size must be a whole number ≥ 2, got {team_size!r}")
    if team_size < 2:
        raise BatchError(
            "team_size must be at least 2 (执法人员不得少于两人, 行政处罚法 Art. 42), "
            f"got {team_size}"
        )
    return int(team_size)


def item_plan(
    item: Item, plan: SamplingPlan | None = None, *, multipliers: Mapping[str, float] | None = None
) -> SamplingPlan:
    """The plan for one item: ``plan`` (or the item's own ``rate``) restricted to its scope.

    Without a plan, the item's ``rate`` is the overall rate, spread over risk classes by
    ``multipliers`` (equal rates when none are given). The item's industries and tags are
    intersected with the plan's eligibility.

    Raises
    ------
    BatchError
        The item has no ``rate`` and no plan is given.

    Examples
    --------
    >>> item = Item("SW-02", "成品油检查", "商务局", industries={"成品油零售"}, rate=0.2)
    >>> p = item_plan(item)
    >>> p.name, p.overall_rate, p.eligibility.industries
    ('SW-02', 0.2, ('成品油零售',))
    """
    if plan is None:
        if item.rate is None:
            raise BatchError(f"item {item.code!r} has no rate and no plan was given for it")
        plan = SamplingPlan(name=item.code, overall_rate=item.rate, multipliers=multipliers)
    elig = plan.eligibility
    industries = elig.industries
    if item.industries:
        industries = tuple(
            sorted(item.industries if industries is None else set(industries) & item.industries)
        )
    tags = elig.tags
    if item.tags:
        tags = tuple(sorted(item.tags if tags is None else set(tags) & item.tags))
    return attrs.evolve(
        plan,
        name=plan.name or item.code,
        eligibility=attrs.evolve(elig, industries=industries, tags=tags),
    )


def _scope_mask(roster: TargetRoster, items: Sequence[Item]) -> npt.NDArray[np.bool_]:
    """Active targets covered by at least one item's scope."""
    mask = np.zeros(len(roster), dtype=bool)
    for item in items:
        mask |= Eligibility(
            industries=tuple(item.industries) or None, tags=tuple(item.tags) or None
        ).mask(roster)
    return mask


def _check_scopes(roster: TargetRoster, items: Sequence[Item]) -> None:
    for item in items:
        if not _scope_mask(roster, [item]).any():
            raise BatchError(
                f"item {item.code!r} ({item.name}): its scope (industries "
                f"{sorted(item.industries) or 'any'}, tags {sorted(item.tags) or 'any'}) "
                f"matches no active target in the roster ({len(roster)} rows); check the "
                "item's industries and tags against the roster's labels"
            )


def _batch_year(year: int | None, as_of: Mapping[str, dt.date | None], what: str) -> int | None:
    """The batch's plan year: ``year``, or the one year of every ``as_of`` given."""
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise BatchError(f"year must be a whole number such as 2026, got {year!r}")
    dated = {k: d for k, d in as_of.items() if d is not None}
    if year is not None:
        wrong = {k: d for k, d in dated.items() if d.year != year}
        if wrong:
            listed = ", ".join(f"{k} (as_of {d.isoformat()})" for k, d in sorted(wrong.items()))
            raise BatchError(
                f"the batch's plan year is {year}, but the {what} of {listed} "
                f"{'is' if len(wrong) == 1 else 'are'} dated in another year; a batch "
                "belongs to one plan year"
            )
        return year
    years = sorted({d.year for d in dated.values()})
    if len(years) > 1:
        listed = ", ".join(f"{k} ({d.year})" for k, d in sorted(dated.items()))
        raise BatchError(
            f"the {what}s of this batch mix plan years ({listed}); a batch belongs to one plan "
            "year: draw each year's items in their own batch"
        )
    return years[0] if years else None


# ------------------------------------------------------------------------------ visits
# The skills a visit needs, not an officer's 专长.
_VISIT_HEADERS = {"skills": "所需专长"}


@attrs.frozen(eq=False)
class VisitTable:
    """Visits as columns: one row per visit, the items of visit ``v`` in
    ``item_index[item_indptr[v]:item_indptr[v + 1]]`` (indices into ``items``).

    Visits are in credit-code order, and the items of a visit in item-code order, whatever the
    order of the items or draws merged. Iterating (or indexing) gives :class:`~randcheck.Visit`
    values; the columns serve large batches without one object per visit.

    Examples
    --------
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
        title = f"{type(self).__name__}: {len(self):,} rows"
        return _tables.preview_html(title, self._table_columns(), len(self.to_rows()))

    def to_json(self) -> str:
        """The visits as a JSON array (UTF-8 characters kept), in visit order."""
        return json.dumps(self.to_rows(), ensure_ascii=False, indent=1)

    def to_csv(
        self, path: str | os.PathLike[str], *, encoding: str = "utf-8", headers: str = "en"
    ) -> None:
        """Write the visits as CSV (lists joined by ``;``); written whole or not at all.

        ``encoding="utf-8-sig"`` adds a BOM for Excel; ``headers="zh"`` writes Chinese headers.
        """
        fields = [
            "credit_code",
            "items",
            "departments",
            "lead_department",
            "skills",
            "area",
            "team_size",
        ]
        rows = self.to_rows()
        _tables.write_csv(
            path,
            _tables.columns_of_rows(rows, fields),
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
        >>> from randcheck import example_county
        >>> county = example_county()
        >>> joint = [it for it in county.items if it.code.endswith("-07")]
        >>> table = merge_visits(county.targets, joint, [np.array([0, 5]), np.array([5])] * 2)
        >>> due = table.due_dates(["2025-09-26", "2025-10-20"], as_of="2025-11-14")
        >>> np.datetime_as_string(due.due).tolist()
        ['2025-10-30', '2025-11-17']
        """
        from randcheck.calendar import as_date
        from randcheck.calendar.deadlines import RESULT_PUBLICATION, due_dates

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
    items = _check_items(items)
    team_size = _check_team_size(team_size)
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
    items = _check_items(items)
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
    _batch_year(year, {c: draws[c].plan.eligibility.as_of for c in codes}, "draw's plan")
    return merge_visits(
        roster, items, [draws[c].rows for c in codes], team_size=team_size, lead_order=lead_order
    )


# ------------------------------------------------------------------------------ receipts
def _item_record(item: Item) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "department": item.department,
        "kind": item.kind.value,
        "industries": sorted(item.industries),
        "tags": sorted(item.tags),
        "skills": sorted(item.skills),
        "rate": item.rate,
    }


#: An item as a batch receipt records it (:func:`_item_record`): field → JSON type.
_ITEM_FIELDS: Mapping[str, Any] = {
    "code": str,
    "name": str,
    "department": str,
    "kind": str,
    "industries": list[str],
    "tags": list[str],
    "skills": list[str],
    "rate": float | None,
}


def _item_from_record(d: Mapping[str, Any]) -> Item:
    return Item(
        d["code"],
        d.get("name", ""),
        d.get("department", ""),
        kind=d.get("kind", "一般"),
        industries=d.get("industries", ()),
        tags=d.get("tags", ()),
        skills=d.get("skills", ()),
        rate=d.get("rate"),
    )


@attrs.frozen
class BatchReceipt(JsonRecord):
    """The public record of a batch: every item's draw receipt, the merge, and the visits.

    ``mode`` is ``"coordinated"``, ``"independent"`` or ``"joint-task"``. For a joint task,
    ``draws`` holds one receipt, made on the roster restricted to the union of the items'
    scopes (the restriction is recomputed from the roster and ``items``). ``year`` is the plan
    year (``None`` when neither the call nor any plan gave one).

    Examples
    --------
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> b = draw_batch(county.targets, county.items[:3], seed="2023-11-07 03 08 14 22 27 31 + 09")
    >>> BatchReceipt.from_json(b.receipt.to_json()) == b.receipt
    True
    """

    format: str
    mode: str
    batch: str
    seed: str | None
    verifiable: bool
    roster_digest: str
    items: tuple[Mapping[str, Any], ...]
    draws: tuple[Receipt, ...]
    merge_recipe: str
    visits: int
    visits_digest: str
    team_size: int = 2
    lead_order: tuple[str, ...] = ()
    year: int | None = None
    commitment: str | None = None
    seed_rule: Mapping[str, Any] | None = None
    seed_from: str | None = None
    warnings: tuple[str, ...] = ()

    FORMAT: ClassVar[str] = BATCH_FORMAT
    LABEL: ClassVar[str] = "batch receipt"

    SCHEMAS: ClassVar[Mapping[str, Mapping[str, Any]]] = {"items": _ITEM_FIELDS}

    @classmethod
    def _check(cls, fields: dict[str, Any], label: str, path: str) -> None:
        for i, d in enumerate(fields["items"]):
            where = at(at(path, "items"), i)
            try:
                again = _item_record(_item_from_record(d))
            except (TypeError, ValueError) as exc:
                raise field_error(label, where, f"is not a valid item: {exc}") from None
            differs = first_difference(again, d, where)
            if differs is not None:
                raise field_error(
                    label, differs, "not written as randcheck writes this item (canonical form)"
                )


@attrs.frozen(eq=False)
class Batch:
    """A drawn batch: the items, each item's :class:`~randcheck.Draw`, the visits, the receipt.

    ``draws`` maps each item code to its draw. For a joint task it is the task's single draw
    seen from the item: the drawn targets in the item's scope, with roster rows and the task's
    inclusion probabilities (its ``receipt`` is the task's).
    """

    items: tuple[Item, ...]
    draws: Mapping[str, Draw]
    visits: VisitTable
    receipt: BatchReceipt

    def burden(self) -> Burden:
        """See :meth:`VisitTable.burden`."""
        return self.visits.burden()

    def _repr_html_(self) -> str:
        """Jupyter's preview: the items and how many checks merged into visits, then the first
        visits."""
        b = self.burden()
        kind = "official" if self.receipt.verifiable else "simulation"
        title = (
            f"Batch: {len(self.items)} items ({kind}), {b.visits_unmerged:,} item checks merged "
            f"into {b.visits:,} visits"
        )
        rows = self.visits.to_rows()
        return _tables.preview_html(
            title, _tables.columns_of_rows(rows, list(rows[0]) if rows else []), len(rows)
        )


# ------------------------------------------------------------------------------ drawing
class _RowNumbers(HashSource):
    """The shared ``units`` source of a coordinated batch: one number per roster row, reused.

    With a seed, a row's number is hashed the first time an item needs it: bit for bit what
    the batch key's ``units`` child gives, since each number depends only on the key and the id.
    In simulation (``verifiable`` False) every row gets one uniform from the Generator at the
    first request, whatever the items' order. ``expect(rows)`` says which rows the next
    :meth:`uniforms` call asks for, so that the ids need no lookup; other requests are looked up
    with ``roster.row_of``.

    It is a :class:`~randcheck.randomness.HashSource` so that :func:`randcheck.draw` takes its
    per-target numbers from :meth:`uniforms` (its path for numbers given per unit); the
    simulation variant has no key and must be used with ``workers=1``.
    """

    def __init__(self, inner: HashSource | GeneratorSource, roster: TargetRoster) -> None:
        if isinstance(inner, HashSource):
            super().__init__(inner.key, inner.path, inner.seed)
        else:
            super().__init__(b"", inner.path, None)
        self.inner = inner
        self.verifiable = inner.verifiable
        self.roster = roster
        n = len(roster)
        self._values = np.zeros(n, dtype=np.float64)
        self._have = np.zeros(n, dtype=bool)
        self._all = False
        self._expected: npt.NDArray[np.intp] | None = None
        self._starts: dict[tuple[str, str], float] = {}
        self._salts: dict[str, bytes] = {}

    def expect(self, rows: npt.NDArray[np.intp]) -> None:
        self._expected = rows

    def child(self, label: str) -> HashSource:
        return _Starts(self, label)

    def uniform(self, label: str) -> float:
        return self.inner.uniform(label)

    def start(self, child: str, label: str) -> float:
        """The number ``label`` of the child ``child``, computed once for the batch.

        In simulation the child's numbers come from one random 32-byte key drawn for the child
        and hashed with the label, so they do not depend on the order items ask for them.
        """
        if (child, label) not in self._starts:
            inner = self.inner
            if isinstance(inner, GeneratorSource):
                if child not in self._salts:
                    self._salts[child] = inner.child(child).rng.bytes(32)
                value = uniform_reference(self._salts[child], label)
            else:
                value = inner.child(child).uniform(label)
            self._starts[child, label] = value
        return self._starts[child, label]

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    def _fill(self, rows: npt.NDArray[np.intp]) -> None:
        if self._all:
            return
        if not self.verifiable:
            self._values[:] = self.inner.uniforms(self.roster.credit_code)
            self._all = True
            return
        missing = rows[~self._have[rows]]
        if missing.size:
            self._values[missing] = self.inner.uniforms(self.roster.credit_code[missing])
            self._have[missing] = True

    def uniforms(self, ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
        wanted = np.asarray(ids)
        rows = self._expected
        self._expected = None
        if rows is None or not np.array_equal(wanted, self.roster.credit_code[rows]):
            rows = self.roster.row_of(wanted)
            if rows.size and int(rows.min()) < 0:  # an id outside the roster: not cached
                return self.inner.uniforms(wanted)
        self._fill(rows)
        return self._values[rows]


class _Starts(HashSource):
    """A child of :class:`_RowNumbers` (``rounding``): its single numbers shared by all items.

    With a seed they are the same for every item by construction; in simulation this makes
    them the same too, as coordination needs.
    """

    def __init__(self, parent: _RowNumbers, label: str) -> None:
        super().__init__(parent.key, (*parent.path, label), parent.seed)
        self.parent = parent
        self.label = label
        self.verifiable = parent.verifiable

    def child(self, label: str) -> HashSource:  # pragma: no cover - draw never asks
        raise NotImplementedError("a coordinated batch's rounding source has no children")

    def uniforms(self, ids: npt.ArrayLike) -> npt.NDArray[np.float64]:  # pragma: no cover
        raise NotImplementedError("a coordinated batch's rounding source gives single numbers")

    def uniform(self, label: str) -> float:
        return self.parent.start(self.label, label)

    def describe(self) -> dict[str, Any]:
        return self.parent.inner.child(self.label).describe()  # pragma: no cover


class _CoordinatedSource:
    """A batch's source in coordinated mode: its ``units`` child is a :class:`_RowNumbers`."""

    def __init__(self, base: HashSource | GeneratorSource, roster: TargetRoster) -> None:
        self.base = base
        self.verifiable = base.verifiable
        self.units = _RowNumbers(base.child(LABEL_UNITS), roster)

    def child(self, label: str) -> Any:
        return self.units if label == LABEL_UNITS else self.base.child(label)

    def uniforms(self, ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
        return self.base.uniforms(ids)

    def uniform(self, label: str) -> float:
        return self.base.uniform(label)

    def describe(self) -> dict[str, Any]:
        return self.base.describe()


def _batch_plan_digest(
    items: Sequence[Item], item_plans: Mapping[str, SamplingPlan], coordinated: bool, batch: str
) -> str:
    lines = [
        f"{BATCH_PLANS_RECIPE}\n",
        f"batch\t{batch}\n",
        f"mode\t{'coordinated' if coordinated else 'independent'}\n",
    ]
    lines += [
        f"{it.code}\t{item_plans[it.code].digest()}\n"
        for it in sorted(items, key=lambda it: it.code)
    ]
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def commit_batch(
    roster: TargetRoster,
    items: Sequence[Item],
    plans: Mapping[str, SamplingPlan] | None = None,
    *,
    coordinated: bool = True,
    batch: str = "batch",
    multipliers: Mapping[str, float] | None = None,
    seed_rule: SeedRule,
    seed_from: str,
) -> Commitment:
    """The commitment to publish before a batch's seed exists (先承诺、后抽取).

    Its ``plan_digest`` covers every item's plan, the batch label and the mode: ``sha256:`` +
    SHA-256 of ``"randcheck-batch-plans/1\\n"``, ``"batch\\t<label>\\n"``,
    ``"mode\\t<coordinated|independent>\\n"`` and, for each item in code order,
    ``"<code>\\t<plan digest>\\n"`` (the plan after :func:`item_plan`). The commitment digest
    then follows :class:`~randcheck.Commitment` (``randcheck-commitment/2``) with the path
    ``["batch", <label>]``, the seed rule and the seed source.

    Examples
    --------
    >>> county = randcheck.example_county()
    >>> rule = randcheck.SeedRule.shuangseqiu()
    >>> c = commit_batch(county.targets, county.items, seed_rule=rule,
    ...                  seed_from="福利彩票双色球 2023-11-07")
    >>> b = draw_batch(county.targets, county.items, seed="2023-11-07 03 08 14 22 27 31 + 09",
    ...                commitment=c)
    >>> b.receipt.commitment == c.digest, b.receipt.seed
    (True, '双色球 2023-11-07 03 08 14 22 27 31 + 09')
    """
    items = _check_items(items)
    item_plans = {
        it.code: item_plan(it, (plans or {}).get(it.code), multipliers=multipliers) for it in items
    }
    return Commitment.of(
        roster.digest(),
        _batch_plan_digest(items, item_plans, coordinated, batch),
        (LABEL_BATCH, batch),
        seed_rule,
        seed_from,
    )


def draw_batch(
    roster: TargetRoster,
    items: Sequence[Item],
    plans: Mapping[str, SamplingPlan] | None = None,
    *,
    seed: str | None = None,
    rng: Any = None,
    coordinated: bool = True,
    batch: str = "batch",
    multipliers: Mapping[str, float] | None = None,
    team_size: int = 2,
    lead_order: Sequence[str] = (),
    year: int | None = None,
    commitment: Commitment | None = None,
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
) -> Batch:
    """Draw every item of a batch and merge the samples into visits.

    Official draws pass ``seed`` (publicly verifiable with :func:`verify_batch`); simulations
    pass ``rng`` (fast, not verifiable). The result does not depend on the order of ``items``.

    Parameters
    ----------
    roster : TargetRoster
        The frozen directory.
    items : sequence of Item
        The batch's items (codes must be unique).
    plans : mapping of item code to SamplingPlan, optional
        A plan per item; items without one use their ``rate`` (see :func:`item_plan`).
    seed, rng
        Public seed (official, verifiable) or simulation source; exactly one.
    coordinated : bool
        Share one set of per-target numbers across items (maximal overlap, fewer visits);
        False gives each item its own child key.
    batch : str
        The batch label; the child key ``batch/<label>`` of the seed is the batch's key.
    multipliers : mapping, optional
        Per-class multipliers for items drawn at their own ``rate``.
    team_size : int
        Officers per visit (at least 2).
    lead_order : sequence of str
        Departments in order of precedence for leading a joint visit (ties in item count).
    year : int, optional
        The plan year; every plan's ``eligibility.as_of``, when given, must fall in it.
    commitment : Commitment, optional
        The batch commitment published before the seed (:func:`commit_batch`); checked
        against the roster and the plans, and recorded in the receipt.
    drawn_by, drawn_at
        Recorded in every item's draw receipt.

    Raises
    ------
    BatchError
        The commitment does not match the roster and plans.
        No items, two items with the same code, an item whose scope matches no active target,
        a plan for an item not in the batch, an item with neither plan nor rate, plans dated in
        different years (or not in ``year``), or a team smaller than 2.
    PlanError
        An item's plan does not fit the roster (the message names the item), or neither or
        both of ``seed`` and ``rng`` are given.

    Examples
    --------
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> b = draw_batch(county.targets, county.items, seed="2023-11-07 03 08 14 22 27 31 + 09")
    >>> burden = b.burden()
    >>> burden.visits_unmerged, burden.visits
    (211, 190)
    >>> verify_batch(b.receipt, county.targets) is None
    True
    """
    items = _check_items(items)
    team_size = _check_team_size(team_size)
    plans = dict(plans or {})
    unknown = sorted(set(plans) - {it.code for it in items})
    if unknown:
        raise BatchError(f"plans given for items not in the batch: {', '.join(unknown)}")
    _check_scopes(roster, items)
    item_plans = {
        it.code: item_plan(it, plans.get(it.code), multipliers=multipliers) for it in items
    }
    batch_year = _batch_year(year, {c: p.eligibility.as_of for c, p in item_plans.items()}, "plan")
    root = _batch_root(seed, rng, commitment)
    if commitment is not None:
        expected = Commitment.of(
            roster.digest(),
            _batch_plan_digest(items, item_plans, coordinated, batch),
            (LABEL_BATCH, batch),
            commitment.rule,
            commitment.seed_from,
        )
        if commitment != expected:
            raise BatchError(
                "the commitment does not match this roster, these plans and this batch label: "
                f"it was published for roster {commitment.roster_digest}, plans "
                f"{commitment.plan_digest} and key path {list(commitment.path)}; they now give "
                f"{expected.roster_digest}, {expected.plan_digest} and {list(expected.path)}"
            )
    base = root.child(LABEL_BATCH).child(batch)
    item_base = base.child(LABEL_ITEM) if not coordinated else base
    warnings = (UNCOMMITTED_WARNING,) if commitment is None and base.verifiable else ()
    shared = _CoordinatedSource(base, roster) if coordinated else None
    draws: dict[str, Draw] = {}
    for item in items:
        plan = item_plans[item.code]
        if shared is not None:
            shared.units.expect(np.flatnonzero(plan.eligibility.mask(roster)))
        try:
            draws[item.code] = _draw(
                roster,
                plan,
                cast(Any, item_base if shared is None else shared),
                LABEL_UNITS if coordinated else item.code,
                1,
                drawn_by,
                drawn_at,
                None,
                warnings,
            )
        except PlanError as exc:
            raise PlanError(f"item {item.code!r}: {exc}") from None
    visits = merge_visits(
        roster,
        items,
        [draws[it.code].rows for it in items],
        team_size=team_size,
        lead_order=lead_order,
    )
    receipt = BatchReceipt(
        format=BATCH_FORMAT,
        mode="coordinated" if coordinated else "independent",
        batch=batch,
        seed=root.describe()["seed"],
        verifiable=root.verifiable,
        roster_digest=roster.digest() if root.verifiable else "",
        items=tuple(_item_record(it) for it in items),
        draws=tuple(draws[it.code].receipt for it in items),
        merge_recipe=MERGE_RECIPE,
        visits=len(visits),
        visits_digest=visits.digest(),
        team_size=team_size,
        lead_order=tuple(lead_order),
        year=batch_year,
        commitment=None if commitment is None else commitment.digest,
        seed_rule=None if commitment is None else dict(commitment.seed_rule),
        seed_from=None if commitment is None else commitment.seed_from,
        warnings=warnings,
    )
    return Batch(items, draws, visits, receipt)


def commit_joint_task(
    roster: TargetRoster,
    items: Sequence[Item],
    plan: SamplingPlan,
    *,
    batch: str = "task",
    seed_rule: SeedRule,
    seed_from: str,
) -> Commitment:
    """The commitment to publish before a joint task's seed exists.

    A joint task is one draw on the roster restricted to the union of the items' scopes (its
    frame), so its commitment is that of the frame and the plan (``randcheck-commitment/2``)
    with the key path ``["batch", <label>, "units"]``; the frame's digest fixes the items'
    scopes too, and the path the task's label (pass the same ``batch`` to both).

    Examples
    --------
    >>> county = randcheck.example_county()
    >>> items = [it for it in county.items if it.code.endswith("-07")]
    >>> plan = randcheck.SamplingPlan(overall_rate=0.5)
    >>> c = commit_joint_task(county.targets, items, plan, seed_rule=randcheck.SeedRule.dice(6),
    ...                       seed_from="six ten-sided dice rolled at the 2023-11-07 meeting")
    >>> task = draw_joint_task(county.targets, items, plan, seed="2023-11-07 3 1 4 1 5 9",
    ...                        commitment=c)
    >>> task.receipt.draws[0].commitment == c.digest
    True
    """
    items = _check_items(items)
    frame = roster.take(np.flatnonzero(_scope_mask(roster, items)))
    inclusion_probabilities(frame, plan)  # refuse a commitment that could never be honoured
    return Commitment.of(
        frame.digest(), plan.digest(), (LABEL_BATCH, batch, LABEL_UNITS), seed_rule, seed_from
    )


def draw_joint_task(
    roster: TargetRoster,
    items: Sequence[Item],
    plan: SamplingPlan,
    *,
    seed: str | None = None,
    rng: Any = None,
    batch: str = "task",
    team_size: int = 2,
    lead_order: Sequence[str] = (),
    year: int | None = None,
    commitment: Commitment | None = None,
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
) -> Batch:
    """Draw a joint task once over the union of the items' scopes (部门联合抽查).

    Each drawn target is visited once for every item whose scope covers it; for a target in an
    item's scope, the item's inclusion probability is the task's. ``Batch.draws[code]`` is the
    task's draw restricted to the item's scope (roster rows, the task's probabilities and
    receipt). Official with ``seed``, simulation with ``rng``.

    Parameters
    ----------
    roster : TargetRoster
        The frozen directory.
    items : sequence of Item
        The task's items, possibly of several departments.
    plan : SamplingPlan
        The task's design (rates, strata, allocation…), without industries or tags.
    seed, rng
        Public seed or simulation source; exactly one.
    batch : str
        The task's label (child key ``batch/<label>``).
    team_size : int
        Officers per visit (at least 2).
    lead_order : sequence of str
        Departments in order of precedence to lead a visit when several check the same number
        of items (牵头部门); otherwise ties go to the first name in code-point order.
    year : int, optional
        The plan year; the plan's ``eligibility.as_of``, when given, must fall in it.
    commitment : Commitment, optional
        The task's commitment published before the seed (:func:`commit_joint_task`); checked
        and recorded in the draw's receipt.
    drawn_by, drawn_at
        Recorded in the draw's receipt.

    Raises
    ------
    BatchError
        Duplicate item codes, an item whose scope matches no active target, a plan that
        restricts industries or tags (the items' scopes define the task's frame), a plan dated
        outside ``year``, or a team smaller than 2.

    Examples
    --------
    The joint 报废机动车回收拆解 inspection of the example county, led by 商务局:

    >>> from randcheck import SamplingPlan, example_county
    >>> county = example_county()
    >>> joint = [it for it in county.items if it.code.endswith("-07")]
    >>> task = draw_joint_task(county.targets, joint, SamplingPlan(rates={"A": 1, "B": 1}),
    ...                        seed="2023-11-07 03 08 14 22 27 31 + 09",
    ...                        lead_order=("商务局",))
    >>> v = task.visits[0]
    >>> v.items, v.lead_department
    (('GA-07', 'HJ-07', 'SC-07', 'SW-07'), '商务局')
    """
    items = _check_items(items)
    team_size = _check_team_size(team_size)
    if plan.eligibility.industries is not None or plan.eligibility.tags is not None:
        raise BatchError(
            "a joint task's frame is the union of its items' scopes; give "
            "industries and tags on the items, not in the plan's eligibility"
        )
    _check_scopes(roster, items)
    batch_year = _batch_year(year, {plan.name or "task": plan.eligibility.as_of}, "plan")
    frame_rows = np.flatnonzero(_scope_mask(roster, items))
    frame = roster.take(frame_rows)
    root = _batch_root(seed, rng, commitment)
    if commitment is not None:
        if commitment.path != (LABEL_BATCH, batch, LABEL_UNITS):
            raise BatchError(
                f"joint task: the commitment's key path {list(commitment.path)} is not that of "
                f"task {batch!r} ({[LABEL_BATCH, batch, LABEL_UNITS]}); make it with "
                "commit_joint_task and the same batch label"
            )
        try:
            one = draw(
                frame, plan, seed=seed, drawn_by=drawn_by, drawn_at=drawn_at, commitment=commitment
            )
        except PlanError as exc:
            if "commitment" in str(exc):
                raise BatchError(f"joint task: {exc} (make it with commit_joint_task)") from None
            raise
    else:
        one = draw(
            frame,
            plan,
            source=root.child(LABEL_BATCH).child(batch),
            stream=LABEL_UNITS,
            drawn_by=drawn_by,
            drawn_at=drawn_at,
        )
    rows_full = frame_rows[one.rows]
    draws: dict[str, Draw] = {}
    per_item = []
    for item in items:
        covered = _scope_mask(roster, [item])[rows_full]
        per_item.append(rows_full[covered])
        draws[item.code] = attrs.evolve(
            one,
            ids=one.ids[covered],
            rows=rows_full[covered],
            inclusion_probabilities=one.inclusion_probabilities[covered],
            stratum=one.stratum[covered],
        )
    visits = merge_visits(roster, items, per_item, team_size=team_size, lead_order=lead_order)
    receipt = BatchReceipt(
        format=BATCH_FORMAT,
        mode="joint-task",
        batch=batch,
        seed=one.receipt.seed,
        verifiable=root.verifiable,
        roster_digest=roster.digest() if root.verifiable else "",
        items=tuple(_item_record(it) for it in items),
        draws=(one.receipt,),
        merge_recipe=MERGE_RECIPE,
        visits=len(visits),
        visits_digest=visits.digest(),
        team_size=team_size,
        lead_order=tuple(lead_order),
        year=batch_year,
        commitment=one.receipt.commitment,
        seed_rule=one.receipt.seed_rule,
        seed_from=one.receipt.seed_from,
        warnings=one.receipt.warnings,
    )
    return Batch(items, draws, visits, receipt)


def _check_batch_commitment(
    receipt: BatchReceipt, recorded: Sequence[Item], coordinated: bool
) -> list[str]:
    """A batch receipt's seed rule, commitment and warnings against each other (findings)."""
    if receipt.commitment is None:
        if receipt.seed_rule is not None or receipt.seed_from is not None:
            return ["the batch records a seed rule or seed source but no commitment"]
        if (tuple(receipt.warnings), *(tuple(r.warnings) for r in receipt.draws)) != (
            (UNCOMMITTED_WARNING,),
        ) * (len(receipt.draws) + 1):
            return [f"an uncommitted batch must carry the warning {UNCOMMITTED_WARNING!r}"]
        return []
    if tuple(receipt.warnings) or any(tuple(r.warnings) for r in receipt.draws):
        return ["unexpected warnings in the receipt of a committed batch"]
    try:
        rule = SeedRule.from_dict(receipt.seed_rule)  # type: ignore[arg-type]
        if not isinstance(receipt.seed_from, str):
            raise PlanError("seed_from: missing")
        canonical = rule.canonical(receipt.seed)
        promised = Commitment.of(
            receipt.roster_digest,
            _batch_plan_digest(
                recorded,
                {
                    it.code: SamplingPlan.from_dict(r.plan)
                    for it, r in zip(recorded, receipt.draws, strict=True)
                },
                coordinated,
                receipt.batch,
            ),
            (LABEL_BATCH, receipt.batch),
            rule,
            receipt.seed_from,
        ).digest
    except PlanError as exc:
        return [f"the batch's seed rule, seed or commitment cannot be checked: {exc}"]
    out = []
    if canonical != receipt.seed:
        out.append(f"the seed {receipt.seed!r} is not in its rule's canonical form {canonical!r}")
    if promised != receipt.commitment:
        out.append(
            "commitment does not match the batch's roster digest, plans, key path, seed rule "
            "and seed source"
        )
    return out


def _batch_root(
    seed: str | None, rng: Any, commitment: Commitment | None
) -> HashSource | GeneratorSource:
    """The root source of a batch: under a commitment, the seed's canonical form, seed only."""
    if commitment is None:
        return source_for(seed, rng)
    if seed is None or rng is not None:
        raise PlanError(
            "a committed batch takes its key from the seed and the committed path alone: "
            "pass seed= (not rng=) with commitment="
        )
    return HashSource.from_seed(commitment.rule.canonical(seed))


def _sample_rows(r: Receipt, roster: TargetRoster) -> npt.NDArray[np.intp]:
    ids = np.array([i.encode("ascii", "replace") for i in r.sample_ids], dtype="S18")
    found = roster.row_of(ids) if ids.size else np.zeros(0, dtype=np.intp)
    return found[found >= 0]


def verify_batch(
    receipt: BatchReceipt | str | Mapping[str, Any],
    roster: TargetRoster,
    *,
    items: Sequence[Item] | None = None,
    plans: Mapping[str, SamplingPlan] | None = None,
) -> None:
    """Recompute every draw of a batch and its merge; raise if any part differs.

    Checks that the roster is the batch's (digest); that every draw comes from the batch's seed
    and key (``batch/<label>``) with the stream its mode prescribes and a plan restricted to its
    item's scope (or, for a joint task, not restricted by industry or tag); that its plan lies in
    the batch's year; that recomputing each draw gives its sample and strata
    (:func:`randcheck.verify`); and that merging the samples gives the recorded visits.

    The item records and plans are what the batch declares. Pass the published item list
    (``items``) and plans (``plans``, by item code; for a joint task the task's plan under any
    item's code) to check the receipt against them too.

    Raises
    ------
    VerificationError
        The receipt is from a simulation, unreadable, or uses recipes this version does not
        know; or a check fails (``differences`` lists each finding, naming the item).

    Examples
    --------
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> b = draw_batch(county.targets, county.items[:4], seed="2023-11-07 03 08 14 22 27 31 + 09")
    >>> verify_batch(b.receipt.to_json(), county.targets, items=county.items[:4]) is None
    True
    """
    receipt = BatchReceipt.read_official(receipt)
    if receipt.merge_recipe != MERGE_RECIPE:
        raise VerificationError(
            f"merge recipe {receipt.merge_recipe!r} is not one this version implements "
            f"({MERGE_RECIPE})"
        )
    if receipt.mode not in _MODES:
        raise VerificationError(f"batch mode {receipt.mode!r}; expected one of {_MODES}")
    try:
        recorded = _check_items([_item_from_record(d) for d in receipt.items])
    except (KeyError, TypeError, ValueError) as exc:
        raise VerificationError(f"the batch receipt's items cannot be read: {exc}") from None
    digest = roster.digest()
    if digest != receipt.roster_digest:
        diff = (
            f"roster changed: the batch's roster digest is {receipt.roster_digest}; "
            f"this roster's is {digest}"
        )
        raise VerificationError("batch verification failed: " + diff, [diff])
    diffs: list[str] = []
    if items is not None:
        given = {it.code: _item_record(it) for it in items}
        mine = {d["code"]: _item_record(it) for d, it in zip(receipt.items, recorded, strict=True)}
        for code in sorted(set(given) | set(mine)):
            if code not in mine:
                diffs.append(f"item {code}: in the item list given, not in the batch")
            elif code not in given:
                diffs.append(f"item {code}: in the batch, not in the item list given")
            elif given[code] != mine[code]:
                fields = [k for k in given[code] if given[code][k] != mine[code].get(k)]
                diffs.append(f"item {code}: {', '.join(fields)} differ from the item list given")
    joint = receipt.mode == "joint-task"
    coordinated = receipt.mode != "independent"
    n_draws = 1 if joint else len(recorded)
    if len(receipt.draws) != n_draws:
        diffs.append(
            f"the batch lists {len(recorded)} items and {len(receipt.draws)} draws; a "
            f"{receipt.mode} batch has {n_draws}"
        )
        raise VerificationError("batch verification failed: " + "; ".join(diffs), diffs)
    base = (LABEL_BATCH, receipt.batch)
    frame_rows = np.flatnonzero(_scope_mask(roster, recorded)) if joint else None
    frame = roster.take(frame_rows) if frame_rows is not None else roster
    owners = [("joint task", None)] if joint else [(f"item {it.code}", it) for it in recorded]
    for (who, item), r in zip(owners, receipt.draws, strict=True):
        independent = item is not None and not coordinated
        path = (*base, LABEL_ITEM) if independent else base
        stream = item.code if independent and item is not None else LABEL_UNITS
        if r.seed != receipt.seed or tuple(r.path) != path or r.stream != stream:
            diffs.append(
                f"{who}: drawn from seed {r.seed!r}, key path {list(r.path)}, stream "
                f"{r.stream!r}; the batch prescribes seed {receipt.seed!r}, key path "
                f"{list(path)}, stream {stream!r}"
            )
        try:
            plan = SamplingPlan.from_dict(r.plan)
        except PlanError as exc:
            diffs.append(f"{who}: its plan cannot be read: {exc}")
            continue
        if item is not None and item_plan(item, plan) != plan:
            diffs.append(f"{who}: its plan is not restricted to the item's scope")
        if joint and (plan.eligibility.industries is not None or plan.eligibility.tags is not None):
            diffs.append(f"{who}: its plan restricts industries or tags")
        given_plan = (
            None
            if plans is None
            else plans.get(item.code if item is not None else next(iter(plans), ""))
        )
        if given_plan is not None:
            expect = given_plan if item is None else item_plan(item, given_plan)
            if expect != plan:
                diffs.append(f"{who}: its plan differs from the plan given")
        as_of = plan.eligibility.as_of
        if receipt.year is not None and as_of is not None and as_of.year != receipt.year:
            diffs.append(f"{who}: its plan is dated {as_of.isoformat()}, not in {receipt.year}")
        try:
            _verify(r, frame, None, 1, in_batch=not joint)
        except VerificationError as exc:
            diffs += [f"{who}: {d}" for d in (exc.differences or [str(exc)])]
    if joint:
        one = receipt.draws[0]
        same = (receipt.commitment, receipt.seed_rule, receipt.seed_from, receipt.warnings) == (
            one.commitment,
            one.seed_rule,
            one.seed_from,
            one.warnings,
        )
        if not same:
            diffs.append(
                "the joint task's commitment, seed rule, seed source or warnings differ from "
                "its draw's"
            )
    elif not diffs:
        diffs += _check_batch_commitment(receipt, recorded, coordinated)
    if not diffs:
        rows_per_item: list[npt.NDArray[np.intp]] = []
        if joint:
            assert frame_rows is not None
            rows = frame_rows[_sample_rows(receipt.draws[0], frame)]
            for item in recorded:
                rows_per_item.append(rows[_scope_mask(roster, [item])[rows]])
        else:
            rows_per_item = [_sample_rows(r, roster) for r in receipt.draws]
        try:
            visits = merge_visits(
                roster,
                recorded,
                rows_per_item,
                team_size=receipt.team_size,
                lead_order=receipt.lead_order,
            )
        except BatchError as exc:
            diffs.append(f"the merge cannot be recomputed: {exc}")
        else:
            if visits.digest() != receipt.visits_digest or len(visits) != receipt.visits:
                diffs.append(
                    f"visits differ: merging the draws gives {len(visits)} visits, the "
                    f"receipt records {receipt.visits}, or their item lists differ"
                )
    if diffs:
        raise VerificationError("batch verification failed: " + "; ".join(diffs), diffs)


def expected_visits(
    roster: TargetRoster,
    items: Sequence[Item],
    plans: Mapping[str, SamplingPlan] | None = None,
    *,
    multipliers: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Expected visits for a batch, from the items' inclusion probabilities (no draw).

    Returns ``unmerged`` (Σ of all items' expected sample sizes), ``independent`` (expected
    distinct targets when items are drawn independently: Σ_t [1 − Π_i (1 − π_it)]) and
    ``lower_bound`` (Σ_t max_i π_it, the fewest any design keeping every item's probabilities can
    achieve on average, which coordination approaches).

    Examples
    --------
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> e = expected_visits(county.targets, county.items)
    >>> {k: round(v, 1) for k, v in e.items()}
    {'unmerged': 210.3, 'independent': 206.3, 'lower_bound': 186.8}
    """
    items = _check_items(items)
    plans = dict(plans or {})
    n = len(roster)
    best = np.zeros(n)
    none_drawn = np.ones(n)
    unmerged = 0.0
    for item in items:
        pi = inclusion_probabilities(
            roster, item_plan(item, plans.get(item.code), multipliers=multipliers)
        )
        unmerged += float(pi.sum())
        np.maximum(best, pi, out=best)
        none_drawn *= 1.0 - pi
    return {
        "unmerged": unmerged,
        "independent": float((1.0 - none_drawn).sum()),
        "lower_bound": float(best.sum()),
    }
