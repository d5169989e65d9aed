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

from randcheck.joint.batches import commit_batch, commit_joint_task, draw_batch, draw_joint_task
from randcheck.joint.plans import (
    BATCH_FORMAT,
    BATCH_PLANS_RECIPE,
    MERGE_RECIPE,
    expected_visits,
    item_plan,
)
from randcheck.joint.records import Batch, BatchReceipt
from randcheck.joint.replay import verify_batch
from randcheck.joint.visits import Burden, VisitTable, merge_draws, merge_visits

__all__ = [
    "BATCH_FORMAT",
    "BATCH_PLANS_RECIPE",
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
