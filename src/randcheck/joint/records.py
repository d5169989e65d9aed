"""What a batch returns and publishes: :class:`Batch` and its :class:`BatchReceipt`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from randcheck._records import JsonRecord, at, field_error, first_difference
from randcheck.joint.plans import BATCH_FORMAT
from randcheck.joint.visits import Burden, VisitTable, preview_html
from randcheck.models import Item
from randcheck.sampling import (
    Draw,
    Receipt,
)


# ------------------------------------------------------------------------------ receipts
def item_record(item: Item) -> dict[str, Any]:
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


#: An item as a batch receipt records it (:func:`item_record`): field → JSON type.
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


def item_from_record(d: Mapping[str, Any]) -> Item:
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
    >>> from randcheck.joint import BatchReceipt
    >>> from randcheck import example_county
    >>> from randcheck.joint import draw_batch
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
                again = item_record(item_from_record(d))
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
        return preview_html(self.visits, title)
