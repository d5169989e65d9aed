"""Verifying a batch receipt: every item drawn again from the published inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck.errors import BatchError, PlanError, VerificationError
from randcheck.joint.batches import (
    check_batch_commitment,
    committed_header_findings,
    joint_plan_digest,
    staffing_of,
)
from randcheck.joint.plans import MERGE_RECIPE, MODES, check_items, item_plan, scope_mask
from randcheck.joint.records import BatchReceipt, item_from_record, item_record
from randcheck.joint.visits import merge_visits
from randcheck.models import Item
from randcheck.randomness import (
    LABEL_BATCH,
    LABEL_ITEM,
    LABEL_UNITS,
)
from randcheck.randomness.seeds import SEED_RULE_RECIPE
from randcheck.roster import TargetRoster
from randcheck.sampling import (
    Receipt,
    SamplingPlan,
)
from randcheck.sampling.commitment import Commitment, read_published
from randcheck.sampling.replay import published_diff, replay_stream


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
    commitment: Commitment | str | Mapping[str, Any] | None = None,
    accept_retired: bool = False,
) -> None:
    """Recompute every draw of a batch and its merge; raise if any part differs.

    Checks that the roster is the batch's (digest); that every draw comes from the batch's seed
    and key (``batch/<label>``) with the stream its mode prescribes and a plan restricted to its
    item's scope (or, for a joint task, not restricted by industry or tag); that its plan lies in
    the batch's year; that recomputing each draw gives its sample and strata
    (:func:`randcheck.verify`); and that merging the samples gives the recorded visits.

    The item records and plans are what the batch declares. Pass the published item list
    (``items``) and plans (``plans``, by item code; for a joint task the task's plan under any
    item's code) to check the receipt against them too, and the batch commitment published
    before the seed (``commitment``) to check that the batch was drawn under it.
    ``accept_retired``: as for :func:`randcheck.verify` (a record of 0.1.0).

    Raises
    ------
    VerificationError
        The receipt is from a simulation, unreadable, or uses recipes this version does not
        know; or a check fails (``differences`` lists each finding, naming the item).

    Examples
    --------
    >>> from randcheck.joint import verify_batch
    >>> from randcheck import example_county
    >>> from randcheck.joint import draw_batch
    >>> county = example_county()
    >>> b = draw_batch(county.targets, county.items[:4], seed="2023-11-07 03 08 14 22 27 31 + 09")
    >>> verify_batch(b.receipt.to_json(), county.targets, items=county.items[:4]) is None
    True
    """
    promised = None if commitment is None else read_published(commitment)
    receipt = BatchReceipt.read_official(receipt)
    recorded = _read_header(receipt, roster)
    diffs = [] if promised is None else published_diff(receipt.commitment, promised)
    if items is not None:
        diffs += _against_items(receipt, recorded, items)
    joint = receipt.mode == "joint-task"
    coordinated = receipt.mode != "independent"
    n_draws = 1 if joint else len(recorded)
    if len(receipt.draws) != n_draws:
        diffs.append(
            f"the batch lists {len(recorded)} items and {len(receipt.draws)} draws; a "
            f"{receipt.mode} batch has {n_draws}"
        )
        raise VerificationError("batch verification failed: " + "; ".join(diffs), diffs)
    frame_rows = np.flatnonzero(scope_mask(roster, recorded)) if joint else None
    frame = roster.take(frame_rows) if frame_rows is not None else roster
    owners = [("joint task", None)] if joint else [(f"item {it.code}", it) for it in recorded]
    for (who, item), r in zip(owners, receipt.draws, strict=True):
        diffs += _check_draw(receipt, who, item, r, frame, plans, accept_retired)
    if joint:
        diffs += _check_joint_task_header(receipt)
        if _joint_committed_v2(receipt) and not diffs:
            diffs += _check_joint_commitment(receipt, recorded)
    elif not diffs:
        diffs += check_batch_commitment(receipt, recorded, coordinated, accept_retired)
    if not diffs:
        diffs += _check_merge(receipt, roster, recorded, frame, frame_rows)
    if diffs:
        raise VerificationError("batch verification failed: " + "; ".join(diffs), diffs)


def _read_header(receipt: BatchReceipt, roster: TargetRoster) -> tuple[Item, ...]:
    """The batch's items, once its recipes, mode and roster digest are the ones expected."""
    if receipt.merge_recipe != MERGE_RECIPE:
        raise VerificationError(
            f"merge recipe {receipt.merge_recipe!r} is not one this version implements "
            f"({MERGE_RECIPE})"
        )
    if receipt.mode not in MODES:
        raise VerificationError(f"batch mode {receipt.mode!r}; expected one of {MODES}")
    try:
        recorded = check_items([item_from_record(d) for d in receipt.items])
    except (KeyError, TypeError, ValueError) as exc:
        raise VerificationError(f"the batch receipt's items cannot be read: {exc}") from None
    digest = roster.digest()
    if digest != receipt.roster_digest:
        diff = (
            f"roster changed: the batch's roster digest is {receipt.roster_digest}; "
            f"this roster's is {digest}"
        )
        raise VerificationError("batch verification failed: " + diff, [diff])
    return recorded


def _against_items(
    receipt: BatchReceipt, recorded: Sequence[Item], items: Sequence[Item]
) -> list[str]:
    """Differences between the items the batch declares and the published item list."""
    diffs = []
    given = {it.code: item_record(it) for it in items}
    mine = {d["code"]: item_record(it) for d, it in zip(receipt.items, recorded, strict=True)}
    for code in sorted(set(given) | set(mine)):
        if code not in mine:
            diffs.append(f"item {code}: in the item list given, not in the batch")
        elif code not in given:
            diffs.append(f"item {code}: in the batch, not in the item list given")
        elif given[code] != mine[code]:
            fields = [k for k in given[code] if given[code][k] != mine[code].get(k)]
            diffs.append(f"item {code}: {', '.join(fields)} differ from the item list given")
    return diffs


def _check_draw(
    receipt: BatchReceipt,
    who: str,
    item: Item | None,
    r: Receipt,
    frame: TargetRoster,
    plans: Mapping[str, SamplingPlan] | None,
    accept_retired: bool = False,
) -> list[str]:
    """One draw of the batch (``item`` None: a joint task's one draw): key, plan, sample."""
    joint = receipt.mode == "joint-task"
    independent = item is not None and receipt.mode == "independent"
    base = (LABEL_BATCH, receipt.batch)
    path = (*base, LABEL_ITEM) if independent else base
    stream = item.code if independent and item is not None else LABEL_UNITS
    diffs = []
    if r.seed != receipt.seed or tuple(r.path) != path or r.stream != stream:
        diffs.append(
            f"{who}: drawn from seed {r.seed!r}, key path {list(r.path)}, stream "
            f"{r.stream!r}; the batch prescribes seed {receipt.seed!r}, key path "
            f"{list(path)}, stream {stream!r}"
        )
    try:
        plan = SamplingPlan.from_dict(r.plan)
    except PlanError as exc:
        return [*diffs, f"{who}: its plan cannot be read: {exc}"]
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
    if not joint and (r.commitment, r.seed_rule, r.seed_from) != (None, None, None):
        # A batch's commitment, seed rule and source are its own (the header): an item's
        # draw that records any would show the reader a commitment no check covers.
        diffs.append(f"{who}: its draw records a commitment, seed rule or seed source")
    try:
        # A joint task committed under this version's recipes is checked as a whole
        # (_check_joint_commitment): its commitment covers more than its draw's plan.
        in_batch = not joint or _joint_committed_v2(receipt)
        replay_stream(r, frame, None, 1, in_batch=in_batch, accept_retired=accept_retired)
    except VerificationError as exc:
        diffs += [f"{who}: {d}" for d in (exc.differences or [str(exc)])]
    return diffs


def _joint_committed_v2(receipt: BatchReceipt) -> bool:
    """Whether a joint task was committed under this version's recipes (seed rule ``/2``,
    ``randcheck-joint-task/1``); a joint task of 0.1.0 committed its draw's plan alone."""
    rule = receipt.seed_rule
    return (
        receipt.commitment is not None
        and isinstance(rule, Mapping)
        and rule.get("recipe") == SEED_RULE_RECIPE
    )


def _check_joint_commitment(receipt: BatchReceipt, recorded: Sequence[Item]) -> list[str]:
    """A joint task's seed against its rule, and its commitment against the frame (its draw's
    roster), the plan, the items and the staffing the receipt records
    (``randcheck-joint-task/1``)."""
    if tuple(receipt.warnings):
        return ["unexpected warnings in the receipt of a committed joint task"]
    one = receipt.draws[0]
    return committed_header_findings(
        receipt,
        one.roster_digest,
        (LABEL_BATCH, receipt.batch, LABEL_UNITS),
        lambda _: joint_plan_digest(
            SamplingPlan.from_dict(one.plan), recorded, staffing_of(receipt)
        ),
        accept_retired=False,  # a joint task committed under /2 (see _joint_committed_v2)
    )


def _check_joint_task_header(receipt: BatchReceipt) -> list[str]:
    """A joint task's commitment, seed rule, seed source and warnings are its draw's."""
    one = receipt.draws[0]
    same = (receipt.commitment, receipt.seed_rule, receipt.seed_from, receipt.warnings) == (
        one.commitment,
        one.seed_rule,
        one.seed_from,
        one.warnings,
    )
    if same:
        return []
    return [
        "the joint task's commitment, seed rule, seed source or warnings differ from its draw's"
    ]


def _check_merge(
    receipt: BatchReceipt,
    roster: TargetRoster,
    recorded: Sequence[Item],
    frame: TargetRoster,
    frame_rows: npt.NDArray[np.intp] | None,
) -> list[str]:
    """Merging the recorded samples again gives the recorded visits."""
    rows_per_item: list[npt.NDArray[np.intp]] = []
    if frame_rows is not None:  # a joint task: one sample, split by the items' scopes
        rows = frame_rows[_sample_rows(receipt.draws[0], frame)]
        for item in recorded:
            rows_per_item.append(rows[scope_mask(roster, [item])[rows]])
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
        return [f"the merge cannot be recomputed: {exc}"]
    if visits.digest() != receipt.visits_digest or len(visits) != receipt.visits:
        return [
            f"visits differ: merging the draws gives {len(visits)} visits, the "
            f"receipt records {receipt.visits}, or their item lists differ"
        ]
    return []
