"""Joint inspections: one visit, many checks (进一次门、查多项事), within and across departments.

Two ways in:

1. **Several item draws merged** (:func:`draw_batch`, then :attr:`Batch.visits`). Each item is
   drawn by its own plan, restricted to the item's scope. In *coordinated* mode (the default) all
   items use the same per-target numbers (one child key for the batch), so their samples overlap
   as much as their designs allow: a target drawn for an item with a small rate is, in the same
   stratum, also drawn for every item with a larger rate (permanent random numbers). Each item
   keeps exactly its own inclusion probabilities. *Independent* mode gives every item its own
   key, for comparison.
2. **A joint task** (:func:`draw_joint_task`): the union of the items' scopes is drawn once; each
   drawn target's visit checks every item whose scope covers it, and each item's inclusion
   probability for a target in its scope is the task's.

Either way the result is a :class:`VisitTable` (columns, one row per visit) and a
:class:`BatchReceipt` that :func:`verify_batch` (or :func:`randcheck.verify`) replays.

The merge recipe ``randcheck-merge/1``: the (item, target) pairs of all item draws are grouped by
target; a visit is one target with the sorted codes of its items. Visits are ordered by credit
code. The visits digest is ``sha256:`` + SHA-256 of ``"randcheck-merge/1\\n"`` followed by one
line per visit: the credit code, a tab, the item codes joined by ``;``, and ``\\n``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.errors import BatchError, PlanError, VerificationError
from randcheck.models import Item
from randcheck.randomness import GeneratorSource, source_for
from randcheck.roster import TargetRoster
from randcheck.sampling import (
    Draw,
    Eligibility,
    Receipt,
    SamplingPlan,
    draw,
    inclusion_probabilities,
)
from randcheck.sampling import verify as verify_draw
from randcheck.visits import Visit

__all__ = [
    "BATCH_FORMAT",
    "MERGE_RECIPE",
    "Batch",
    "BatchReceipt",
    "Burden",
    "VisitTable",
    "draw_batch",
    "draw_joint_task",
    "expected_visits",
    "item_plan",
    "merge_draws",
    "merge_visits",
    "verify_batch",
]

BATCH_FORMAT = "randcheck-batch/1"
MERGE_RECIPE = "randcheck-merge/1"


def _check_items(items: Sequence[Item]) -> tuple[Item, ...]:
    if not items:
        raise BatchError("a batch needs at least one item")
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.code in seen:
            raise BatchError(
                f"items[{i}]: item code {item.code!r} is used twice (also "
                f"items[{seen[item.code]}]); every item in a batch needs its own code"
            )
        seen[item.code] = i
    return tuple(items)


def item_plan(
    item: Item, plan: SamplingPlan | None = None, *, multipliers: Mapping[str, float] | None = None
) -> SamplingPlan:
    """The plan for one item: ``plan`` (or the item's own ``rate``) restricted to its scope.

    Without a plan, the item's ``rate`` is the overall rate, spread over risk classes by
    ``multipliers`` (equal rates when none are given). The item's industries and tags are
    intersected with the plan's eligibility.

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
    """Targets covered by at least one item's scope (and active)."""
    mask = np.zeros(len(roster), dtype=bool)
    for item in items:
        mask |= Eligibility(
            industries=tuple(item.industries) or None, tags=tuple(item.tags) or None
        ).mask(roster)
    return mask


# ------------------------------------------------------------------------------ visits
@attrs.frozen(eq=False)
class VisitTable:
    """Visits as columns: one row per visit, the items of visit ``v`` in
    ``item_index[item_indptr[v]:item_indptr[v + 1]]`` (indices into ``items``).

    Iterating (or indexing) gives :class:`~randcheck.Visit` values; the columns serve large
    batches without one object per visit.
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

    def digest(self) -> str:
        """The visits digest of the ``randcheck-merge/1`` recipe (see the module docstring)."""
        h = hashlib.sha256(f"{MERGE_RECIPE}\n".encode())
        codes = [it.code for it in self.items]
        ptr = self.item_indptr.tolist()
        idx = self.item_index.tolist()
        lines = []
        for v, code in enumerate(self.credit_codes.tolist()):
            names = sorted(codes[k] for k in idx[ptr[v] : ptr[v + 1]])
            lines.append(code.decode("ascii") + "\t" + ";".join(names) + "\n")
        h.update("".join(lines).encode("utf-8"))
        return "sha256:" + h.hexdigest()

    def burden(self) -> Burden:
        """Visits before and after merging, items per visit, figures per department."""
        per_visit = self.items_per_visit()
        dept_of_item = [it.department for it in self.items]
        by_dept_checks: Counter[str] = Counter(dept_of_item[k] for k in self.item_index.tolist())
        by_dept_visits: Counter[str] = Counter()
        ptr = self.item_indptr.tolist()
        idx = self.item_index.tolist()
        for v in range(len(self)):
            for d in {dept_of_item[k] for k in idx[ptr[v] : ptr[v + 1]]}:
                by_dept_visits[d] += 1
        hist = np.bincount(per_visit) if per_visit.size else np.zeros(1, dtype=np.intp)
        return Burden(
            visits_unmerged=self.pairs,
            visits=len(self),
            mean_items_per_visit=float(per_visit.mean()) if per_visit.size else 0.0,
            items_per_visit_histogram={int(k): int(c) for k, c in enumerate(hist) if c},
            checks_by_department=dict(sorted(by_dept_checks.items())),
            visits_by_department=dict(sorted(by_dept_visits.items())),
        )

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per visit, for JSON or CSV export (lists joined by ``;`` in CSV)."""
        return [
            {
                "credit_code": v.credit_code,
                "items": list(v.items),
                "departments": list(v.departments),
                "lead_department": v.lead_department,
                "skills": list(v.skills),
                "area": v.area,
                "team_size": v.team_size,
            }
            for v in self
        ]

    def to_json(self) -> str:
        """The visits as a JSON array (UTF-8 characters kept)."""
        return json.dumps(self.to_rows(), ensure_ascii=False, indent=1)

    def to_csv(self, path: str | os.PathLike[str]) -> None:
        """Write the visits as UTF-8 CSV (lists joined by ``;``); written whole or not at all."""
        tmp = f"{os.fspath(path)}.tmp"
        fields = [
            "credit_code",
            "items",
            "departments",
            "lead_department",
            "skills",
            "area",
            "team_size",
        ]
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(fields)
                for row in self.to_rows():
                    w.writerow(
                        [";".join(row[f]) if isinstance(row[f], list) else row[f] for f in fields]
                    )
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)

    def due_dates(
        self, inspection_end: Any, *, as_of: Any, done: Any = None, calendar: Any = None
    ) -> Any:
        """Result-publication due dates (20 working days after each visit's inspection ends).

        ``inspection_end`` holds one date per visit; see :func:`randcheck.due_dates`.
        """
        from randcheck.deadlines import RESULT_PUBLICATION, due_dates

        return due_dates(
            RESULT_PUBLICATION,
            {"inspection_end": inspection_end},
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
    """What merging saves: visits before (one per item and target) and after, and per department."""

    visits_unmerged: int
    visits: int
    mean_items_per_visit: float
    items_per_visit_histogram: Mapping[int, int]
    checks_by_department: Mapping[str, int]
    visits_by_department: Mapping[str, int]

    @property
    def saved(self) -> int:
        """Visits saved by merging (进一次门、查多项事)."""
        return self.visits_unmerged - self.visits

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
        return rows


def merge_visits(
    roster: TargetRoster,
    items: Sequence[Item],
    rows_per_item: Sequence[npt.NDArray[np.intp]],
    *,
    team_size: int = 2,
    lead_order: Sequence[str] = (),
) -> VisitTable:
    """Group (item, target) pairs by target: the ``randcheck-merge/1`` merge.

    ``rows_per_item[k]`` are the roster rows drawn for ``items[k]``. Linear in the number of
    pairs plus the roster size (a counting sort by row).
    """
    if len(rows_per_item) != len(items):
        raise BatchError(f"{len(items)} items but {len(rows_per_item)} draws")
    n = len(roster)
    if rows_per_item:
        pair_row = np.concatenate([np.asarray(r, dtype=np.intp) for r in rows_per_item])
        pair_item = np.concatenate(
            [np.full(len(r), k, dtype=np.intp) for k, r in enumerate(rows_per_item)]
        )
    else:  # pragma: no cover - _check_items forbids an empty batch
        pair_row = pair_item = np.zeros(0, dtype=np.intp)
    counts = np.bincount(pair_row, minlength=n)
    if counts.size and counts.max(initial=0) > len(items):
        raise BatchError("a target appears twice in one item's draw")
    visit_rows = np.flatnonzero(counts)
    # Visits in credit-code order; pairs grouped by visit (stable in item order).
    codes = roster.credit_code[visit_rows]
    order = np.argsort(codes, kind="stable")
    visit_rows, codes = visit_rows[order], codes[order]
    position = np.full(n, -1, dtype=np.intp)
    position[visit_rows] = np.arange(visit_rows.shape[0])
    pair_visit = position[pair_row]
    grouping = np.argsort(pair_visit, kind="stable")
    item_index = pair_item[grouping]
    indptr = np.zeros(visit_rows.shape[0] + 1, dtype=np.intp)
    np.cumsum(counts[visit_rows], out=indptr[1:])
    area = roster.area
    return VisitTable(
        items=tuple(items),
        credit_codes=codes,
        target_rows=visit_rows,
        areas=area.categories,
        area_index=area.codes[visit_rows].astype(np.intp),
        item_indptr=indptr,
        item_index=item_index,
        team_size=team_size,
        lead_order=tuple(lead_order),
    )


def merge_draws(
    roster: TargetRoster,
    items: Sequence[Item],
    draws: Mapping[str, Draw],
    *,
    team_size: int = 2,
    lead_order: Sequence[str] = (),
) -> VisitTable:
    """Merge item draws made separately (e.g. by :func:`randcheck.draw`) into visits.

    Raises
    ------
    BatchError
        An item without a draw, a draw for an item not listed, or an official draw whose
        receipt names a different roster than ``roster``.
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
        r = draws[code].receipt
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
class BatchReceipt:
    """The public record of a batch: every item's draw receipt, the merge, and the visits.

    ``mode`` is ``"coordinated"``, ``"independent"`` or ``"joint-task"``. For a joint task,
    ``draws`` holds one receipt, made on the roster restricted to the union of the items'
    scopes (the restriction is recomputed from the roster and ``items``).
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

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self, recurse=False)
        d["items"] = [dict(i) for i in self.items]
        d["draws"] = [r.to_dict() for r in self.draws]
        d["lead_order"] = list(self.lead_order)
        return d

    def to_json(self, indent: int | None = 1) -> str:
        """The batch receipt as JSON."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, sort_keys=True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BatchReceipt:
        d = dict(data)
        if d.get("format") != BATCH_FORMAT:
            raise VerificationError(
                f"batch receipt format {d.get('format')!r} is not {BATCH_FORMAT}"
            )
        try:
            d["items"] = tuple(d["items"])
            d["draws"] = tuple(Receipt.from_dict(r) for r in d["draws"])
            d["lead_order"] = tuple(d.get("lead_order", ()))
            return cls(**d)
        except (KeyError, TypeError) as exc:
            raise VerificationError(f"batch receipt is incomplete or malformed: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> BatchReceipt:
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise VerificationError(f"batch receipt JSON: {exc}") from None


@attrs.frozen(eq=False)
class Batch:
    """A drawn batch: the items, each item's :class:`~randcheck.Draw`, the visits, the receipt."""

    items: tuple[Item, ...]
    draws: Mapping[str, Draw]
    visits: VisitTable
    receipt: BatchReceipt

    def burden(self) -> Burden:
        """See :meth:`VisitTable.burden`."""
        return self.visits.burden()


# ------------------------------------------------------------------------------ drawing
class _SharedUnits:
    """A simulation source whose numbers are fixed per roster row, so items coordinate."""

    verifiable = False

    def __init__(self, roster: TargetRoster, rng: np.random.Generator, path: tuple[str, ...]):
        self.roster = roster
        self.rng = rng
        self.path = path
        self._u: npt.NDArray[np.float64] | None = None
        self._start: float | None = None

    def child(self, label: str) -> _SharedUnits:
        if label == "rounding":
            return self
        return self

    def uniforms(self, ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
        if self._u is None:
            self._u = self.rng.random(len(self.roster))
        rows = self.roster.row_of(np.asarray(ids))
        return self._u[rows]

    def uniform(self, label: str) -> float:
        if self._start is None:
            self._start = float(self.rng.random())
        return self._start

    def describe(self) -> dict[str, Any]:
        return {
            "recipe": "numpy-generator (simulation; not publicly verifiable)",
            "seed": None,
            "path": list(self.path),
        }


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
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
) -> Batch:
    """Draw every item of a batch and merge the samples into visits.

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

    Raises
    ------
    BatchError
        Two items with the same code, an item whose scope matches no target.
    PlanError
        An item's plan does not fit the roster.

    Examples
    --------
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> b = draw_batch(county.targets, county.items, seed="2023-11-07 03 08 14 22 27 31 + 09")
    >>> b.receipt.visits == len(b.visits) and b.burden().visits <= b.burden().visits_unmerged
    True
    """
    items = _check_items(items)
    plans = dict(plans or {})
    unknown = sorted(set(plans) - {it.code for it in items})
    if unknown:
        raise BatchError(f"plans given for items not in the batch: {', '.join(unknown)}")
    label = f"batch/{batch}"
    root = source_for(seed, rng)
    base = root.child(label)
    shared: _SharedUnits | None = None
    if coordinated and isinstance(base, GeneratorSource):
        shared = _SharedUnits(roster, base.rng, base.path)
    draws: dict[str, Draw] = {}
    for item in items:
        plan = item_plan(item, plans.get(item.code), multipliers=multipliers)
        if not plan.eligibility.mask(roster).any():
            raise BatchError(
                f"item {item.code!r} ({item.name}): its scope (industries "
                f"{sorted(item.industries) or 'any'}, tags {sorted(item.tags) or 'any'}) "
                "matches no eligible target in the roster"
            )
        stream = "units" if coordinated else f"units/{item.code}"
        src: Any = shared if shared is not None else base
        try:
            draws[item.code] = draw(
                roster, plan, source=src, stream=stream, drawn_by=drawn_by, drawn_at=drawn_at
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
        seed=None if seed is None else seed.strip(),
        verifiable=seed is not None,
        roster_digest=roster.digest() if seed is not None else "",
        items=tuple(_item_record(it) for it in items),
        draws=tuple(draws[it.code].receipt for it in items),
        merge_recipe=MERGE_RECIPE,
        visits=len(visits),
        visits_digest=visits.digest(),
        team_size=team_size,
        lead_order=tuple(lead_order),
    )
    return Batch(items, draws, visits, receipt)


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
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
) -> Batch:
    """Draw a joint task once over the union of the items' scopes (部门联合抽查).

    Each drawn target is visited once for every item whose scope covers it; for a target in an
    item's scope, the item's inclusion probability is the task's (``Draw.inclusion_probabilities``
    of the single draw, stored under every item code in :attr:`Batch.draws`).

    Raises
    ------
    BatchError
        Duplicate item codes, an item whose scope matches no target, or a plan that restricts
        industries or tags (the items' scopes define the task's frame).
    """
    items = _check_items(items)
    if plan.eligibility.industries is not None or plan.eligibility.tags is not None:
        raise BatchError(
            "a joint task's frame is the union of its items' scopes; give "
            "industries and tags on the items, not in the plan's eligibility"
        )
    for item in items:
        if not _scope_mask(roster, [item]).any():
            raise BatchError(f"item {item.code!r} ({item.name}): its scope matches no target")
    frame_rows = np.flatnonzero(_scope_mask(roster, items))
    frame = roster.take(frame_rows)
    src = source_for(seed, rng).child(f"batch/{batch}")
    one = draw(frame, plan, source=src, drawn_by=drawn_by, drawn_at=drawn_at)
    rows_full = frame_rows[one.rows]
    per_item = []
    for item in items:
        covered = _scope_mask(roster, [item])[rows_full]
        per_item.append(rows_full[covered])
    visits = merge_visits(roster, items, per_item, team_size=team_size, lead_order=lead_order)
    draws = {item.code: one for item in items}
    receipt = BatchReceipt(
        format=BATCH_FORMAT,
        mode="joint-task",
        batch=batch,
        seed=None if seed is None else seed.strip(),
        verifiable=seed is not None,
        roster_digest=roster.digest() if seed is not None else "",
        items=tuple(_item_record(it) for it in items),
        draws=(one.receipt,),
        merge_recipe=MERGE_RECIPE,
        visits=len(visits),
        visits_digest=visits.digest(),
        team_size=team_size,
        lead_order=tuple(lead_order),
    )
    return Batch(items, draws, visits, receipt)


def verify_batch(receipt: BatchReceipt | str | Mapping[str, Any], roster: TargetRoster) -> None:
    """Recompute every draw of a batch and its merge; raise :class:`VerificationError` if any
    part differs (the message names the item and what differs)."""
    if isinstance(receipt, str):
        receipt = BatchReceipt.from_json(receipt)
    elif not isinstance(receipt, BatchReceipt):
        receipt = BatchReceipt.from_dict(receipt)
    if not receipt.verifiable:
        raise VerificationError(
            "this batch was drawn in simulation (rng=); it is not publicly verifiable"
        )
    items = tuple(_item_from_record(d) for d in receipt.items)
    diffs: list[str] = []
    if roster.digest() != receipt.roster_digest:
        diffs.append(
            f"roster changed: the batch's roster digest is {receipt.roster_digest}; "
            f"this roster's is {roster.digest()}"
        )
    rows_per_item: list[npt.NDArray[np.intp]] = []
    if receipt.mode == "joint-task":
        frame_rows = np.flatnonzero(_scope_mask(roster, items))
        frame = roster.take(frame_rows)
        try:
            verify_draw(receipt.draws[0], frame)
        except VerificationError as exc:
            diffs += [f"joint task: {d}" for d in exc.differences]
        rows = (
            frame_rows[
                frame.row_of(
                    np.array([i.encode() for i in receipt.draws[0].sample_ids], dtype="S18")
                )
            ]
            if receipt.draws[0].sample_ids
            else np.zeros(0, dtype=np.intp)
        )
        for item in items:
            rows_per_item.append(rows[_scope_mask(roster, [item])[rows]] if rows.size else rows)
    else:
        for item, r in zip(items, receipt.draws, strict=True):
            try:
                verify_draw(r, roster)
            except VerificationError as exc:
                diffs += [f"item {item.code}: {d}" for d in exc.differences]
            ids = np.array([i.encode() for i in r.sample_ids], dtype="S18")
            found = roster.row_of(ids) if ids.size else np.zeros(0, dtype=np.intp)
            rows_per_item.append(found[found >= 0])
    if not diffs:
        visits = merge_visits(
            roster, items, rows_per_item, team_size=receipt.team_size, lead_order=receipt.lead_order
        )
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
