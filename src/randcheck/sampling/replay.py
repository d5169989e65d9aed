"""Verifying a receipt (验证): draw again from the published inputs and compare."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

from randcheck.errors import PlanError, RetiredRecipeWarning, VerificationError
from randcheck.randomness import (
    PRN_RECIPE,
    HashSource,
    check_path,
    sorted_ids_digest,
)
from randcheck.randomness.seeds import SEED_RULE_RECIPE, SeedRule
from randcheck.roster import (
    TargetRoster,
)
from randcheck.sampling.commitment import Commitment, read_published
from randcheck.sampling.draws import UNCOMMITTED_WARNING, draw_stream
from randcheck.sampling.plan import DRAW_RECIPE, SAMPLE_RECIPE, SamplingPlan
from randcheck.sampling.records import Draw, Receipt


def verify(
    receipt: Receipt | str | Mapping[str, Any],
    roster: TargetRoster,
    *,
    plan: SamplingPlan | None = None,
    workers: int = 1,
    commitment: Commitment | str | Mapping[str, Any] | None = None,
    accept_retired: bool = False,
) -> None:
    """Recompute a draw from its receipt and the roster; raise if anything differs.

    Checks, in order: the receipt is of an official draw; the roster's digest equals the
    receipt's (the frame was not changed); the plan, if given, equals the receipt's; the
    receipt was made under the commitment, if given; the commitment, if recorded, matches
    roster and plan; and the recomputed sample, strata and sizes equal the recorded ones.

    Parameters
    ----------
    receipt : Receipt, JSON text or dict
        The published receipt.
    roster : TargetRoster
        The roster the draw claims to come from.
    plan : SamplingPlan, optional
        The plan that was announced, to compare with the receipt's.
    workers : int
        Processes for the targets' numbers, as in :func:`draw`.
    commitment : Commitment, JSON text or dict, optional
        The commitment published before the seed. A receipt verifies on its own (it records
        its commitment, which it must match); only this shows that the commitment it records
        is the one that was published, not one made afterwards, or none.
    accept_retired : bool
        Verify a record of 0.1.0 committed under the retired seed rule
        ``randcheck-seed-rule/1`` (no draw date), once a person has checked that the seed's
        date is the draw its commitment names; refused otherwise, since such a commitment can
        be written by hand today.

    Raises
    ------
    VerificationError
        Saying precisely what differs (``differences`` lists each finding).
    """
    replay_stream(
        receipt,
        roster,
        plan,
        workers,
        in_batch=False,
        published=commitment,
        accept_retired=accept_retired,
    )


def replay_stream(
    receipt: Receipt | str | Mapping[str, Any],
    roster: TargetRoster,
    plan: SamplingPlan | None,
    workers: int,
    *,
    in_batch: bool,
    published: Commitment | str | Mapping[str, Any] | None = None,
    accept_retired: bool = False,
) -> None:
    """:func:`verify`; ``in_batch``: a batch's item draw, whose batch holds the commitment."""
    verify_by(
        receipt,
        plan,
        lambda p, source, stream: draw_stream(
            roster, p, source, stream, workers, None, None, None, ()
        ),
        in_batch=in_batch,
        roster=lambda: (roster.digest(), len(roster)),
        published=published,
        accept_retired=accept_retired,
    )


def verify_by(
    receipt: Receipt | str | Mapping[str, Any],
    plan: SamplingPlan | None,
    redraw: Callable[[SamplingPlan, HashSource, str], Draw],
    *,
    in_batch: bool,
    roster: Callable[[], tuple[str, int]] | None,
    published: Commitment | str | Mapping[str, Any] | None = None,
    accept_retired: bool = False,
) -> None:
    """:func:`verify` with ``redraw(plan, source, stream)`` recomputing the draw.

    ``roster`` gives the roster's digest and size, checked first; ``None``: the redrawn
    receipt's (a draw from a file or a cluster computes them as it goes). ``published``: the
    commitment published before the seed, which the receipt must record.
    """
    promised = None if published is None else read_published(published)
    receipt = Receipt.read_official(receipt)
    assert receipt.seed is not None
    if receipt.recipes.get("prn") != PRN_RECIPE or receipt.recipes.get("design") != DRAW_RECIPE:
        raise VerificationError(
            f"this receipt uses recipes {dict(receipt.recipes)}, which this version of "
            f"randcheck does not implement"
        )
    try:
        path = check_path(receipt.path, "path")
        (stream,) = check_path((receipt.stream,), "stream")
    except PlanError as exc:
        raise VerificationError(f"the receipt's key path cannot be read: {exc}") from None
    diffs = [] if promised is None else published_diff(receipt.commitment, promised)
    if diffs:  # not the published draw: nothing else is read (a hostile rule is never run)
        raise VerificationError("verification failed: " + "; ".join(diffs), diffs)
    if roster is not None:
        diffs += _roster_diff(receipt, *roster())
    try:
        recorded_plan = SamplingPlan.from_dict(receipt.plan)
    except PlanError as exc:
        raise VerificationError(f"the receipt's plan cannot be read: {exc}") from None
    if plan is not None and plan != recorded_plan:
        diffs.append("plan changed: the plan given differs from the one in the receipt")
    if not in_batch:
        diffs += _check_seed_and_commitment(
            receipt, (*path, stream), recorded_plan.digest(), accept_retired
        )
    try:
        source = HashSource.from_seed(receipt.seed).at(path)
    except PlanError as exc:
        raise VerificationError(f"the receipt's seed cannot be used: {exc}") from None
    try:
        again = redraw(recorded_plan, source, stream)
    except PlanError as exc:
        diffs.append(f"the draw cannot be recomputed on this roster: {exc}")
        raise VerificationError("; ".join(diffs), diffs) from None
    if roster is None:
        diffs += _roster_diff(receipt, again.receipt.roster_digest, again.receipt.roster_size)
    diffs += _compare(receipt, again.receipt)
    if diffs:
        raise VerificationError("verification failed: " + "; ".join(diffs), diffs)


#: Why a record committed under the retired seed rule ``/1`` is not verified by default.
RETIRED_RULE = (
    "committed under the retired seed rule randcheck-seed-rule/1 (version 0.1.0), which names "
    "no draw date: such a commitment can be written by hand today and fits the lottery's "
    "numbers under any date"
)


def retired_diff(rule: SeedRule, accept_retired: bool) -> list[str]:
    """The finding for a record committed under the retired seed rule ``/1``: refused unless
    ``accept_retired`` (a record of 0.1.0, whose seed date a person has checked), then with a
    :class:`~randcheck.errors.RetiredRecipeWarning`."""
    if rule.recipe == SEED_RULE_RECIPE:
        return []
    if not accept_retired:
        return [
            f"{RETIRED_RULE}; to verify a record of 0.1.0, check by hand that the seed's date "
            "is the draw named in the commitment's seed_from and pass accept_retired=True "
            "(randcheck verify --accept-retired)"
        ]
    warnings.warn(
        RetiredRecipeWarning(
            f"{RETIRED_RULE}: verified as accepted (accept_retired); the seed's date is for a "
            "person to check against the commitment's seed_from"
        ),
        stacklevel=2,
    )
    return []


def published_diff(recorded: str | None, published: Commitment) -> list[str]:
    """The finding, if a receipt's recorded commitment is not the published one."""
    if recorded is None:
        return [
            f"the receipt records no commitment: it was not drawn under the published commitment "
            f"{published.digest}"
        ]
    if recorded != published.digest:
        return [
            f"the receipt records the commitment {recorded}, not the published one "
            f"{published.digest}: it was drawn under another commitment"
        ]
    return []


def _roster_diff(receipt: Receipt, digest: str, size: int) -> list[str]:
    """The roster finding, if the roster is not the one the receipt was drawn from."""
    if digest == receipt.roster_digest:
        return []
    return [
        f"roster changed: the receipt's roster digest is {receipt.roster_digest} "
        f"({receipt.roster_size} rows); this roster's is {digest} ({size} rows)"
    ]


def _compare(receipt: Receipt, again: Receipt) -> list[str]:
    """What differs between a receipt and the receipt of the draw recomputed from it."""
    diffs: list[str] = []
    if again.sample_digest != receipt.sample_digest:
        mine = set(again.sample_ids)
        theirs = set(receipt.sample_ids)
        added = sorted(mine - theirs)
        removed = sorted(theirs - mine)
        diffs.append(
            f"sample differs: recomputing gives {again.sample_size} targets, the "
            f"receipt lists {receipt.sample_size}; {len(removed)} listed but not drawn "
            f"{removed[:5]}, {len(added)} drawn but not listed {added[:5]}"
        )
    elif sorted_ids_digest(SAMPLE_RECIPE, list(receipt.sample_ids)) != receipt.sample_digest:
        diffs.append("the receipt's sample_ids do not match its sample_digest")
    if [dict(s) for s in again.strata] != [dict(s) for s in receipt.strata]:
        diffs.append(
            "strata differ: population, expected or sample sizes, probabilities or score "
            "totals per stratum do not match"
        )
    for field in ("eligible", "sample_size", "roster_size"):
        if getattr(again, field) != getattr(receipt, field):
            diffs.append(
                f"{field} differs: recomputing gives {getattr(again, field)}, the "
                f"receipt says {getattr(receipt, field)}"
            )
    if dict(receipt.recipes) != dict(again.recipes):
        diffs.append(
            f"recipes differ: the receipt names {dict(receipt.recipes)}, the draw uses "
            f"{dict(again.recipes)}"
        )
    return diffs


def _check_seed_and_commitment(
    receipt: Receipt, path: tuple[str, ...], plan_digest: str, accept_retired: bool = False
) -> list[str]:
    """A receipt's seed against its seed rule, its commitment and its warnings (findings)."""
    diffs = []
    rule = None
    if receipt.seed_rule is not None:
        try:
            rule = SeedRule.from_dict(receipt.seed_rule)
        except PlanError as exc:
            diffs.append(f"the receipt's seed rule cannot be read: {exc}")
    if rule is not None:
        diffs += retired_diff(rule, accept_retired)
        try:
            canonical = rule.canonical(receipt.seed)
        except PlanError as exc:
            diffs.append(f"the seed does not fit the committed seed rule: {exc}")
        else:
            if canonical != receipt.seed:
                diffs.append(
                    f"the seed {receipt.seed!r} is not in the canonical form of its seed rule "
                    f"({canonical!r})"
                )
    if receipt.commitment is None:
        if receipt.seed_rule is not None or receipt.seed_from is not None:
            diffs.append("the receipt records a seed rule or seed source but no commitment")
        if tuple(receipt.warnings) != (UNCOMMITTED_WARNING,):
            diffs.append(
                f"an uncommitted draw's receipt must carry the warning {UNCOMMITTED_WARNING!r}"
            )
        return diffs
    if tuple(receipt.warnings):
        diffs.append(f"unexpected warnings in the receipt of a committed draw: {receipt.warnings}")
    if rule is None or not isinstance(receipt.seed_from, str):
        diffs.append("the receipt records a commitment but not its seed rule and seed source")
        return diffs
    try:
        expected = Commitment.of_record(
            receipt.roster_digest, plan_digest, path, rule, receipt.seed_from
        ).digest
    except PlanError as exc:
        diffs.append(f"the commitment cannot be recomputed: {exc}")
        return diffs
    if expected != receipt.commitment:
        diffs.append(
            "commitment does not match the receipt's roster digest, plan, key path, seed rule "
            "and seed source"
        )
    return diffs
