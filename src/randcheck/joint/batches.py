"""Drawing a batch (联合抽查) or a joint task: commitment, draw, merge."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from randcheck.errors import BatchError, PlanError
from randcheck.joint.plans import (
    BATCH_FORMAT,
    BATCH_PLANS_RECIPE,
    BATCH_PLANS_RECIPE_1,
    JOINT_TASK_RECIPE,
    MERGE_RECIPE,
    check_batch_year,
    check_items,
    check_scopes,
    check_team_size,
    item_plan,
    scope_mask,
)
from randcheck.joint.records import Batch, BatchReceipt, item_record
from randcheck.joint.visits import VisitTable, merge_visits
from randcheck.models import Item
from randcheck.randomness import (
    LABEL_BATCH,
    LABEL_ITEM,
    LABEL_UNITS,
    CoordinatedSource,
    HashSource,
    UniformSource,
    source_for,
)
from randcheck.randomness.seeds import SEED_RULE_RECIPE, SeedRule
from randcheck.roster import TargetRoster
from randcheck.sampling import (
    UNCOMMITTED_WARNING,
    Commitment,
    Draw,
    Receipt,
    SamplingPlan,
    draw,
    inclusion_probabilities,
)
from randcheck.sampling.draws import draw_stream, settle
from randcheck.sampling.replay import retired_diff

# ------------------------------------------------------------------------------ drawing
#: A batch's staffing as committed: team size, lead order (牵头部门) and plan year.
Staffing = tuple[int, tuple[str, ...], int | None]


def _staffing(
    team_size: int, lead_order: Sequence[str], year: int | None, as_of: Mapping[str, Any]
) -> Staffing:
    """The staffing a commitment covers, checked as the draw checks it (``as_of``: each plan's
    date, by item code or task name, for the year)."""
    return (check_team_size(team_size), tuple(lead_order), check_batch_year(year, as_of, "plan"))


def _batch_plan_digest(
    items: Sequence[Item],
    item_plans: Mapping[str, SamplingPlan],
    coordinated: bool,
    batch: str,
    staffing: Staffing | None,
) -> str:
    """The ``plan_digest`` of a batch commitment (see :func:`commit_batch`); ``staffing`` None:
    the retired ``randcheck-batch-plans/1`` of 0.1.0 (plans only), to verify its records."""
    mode = "coordinated" if coordinated else "independent"
    ordered = sorted(items, key=lambda it: it.code)
    if staffing is None:
        lines = [f"{BATCH_PLANS_RECIPE_1}\n", f"batch\t{batch}\n", f"mode\t{mode}\n"]
        lines += [f"{it.code}\t{item_plans[it.code].digest()}\n" for it in ordered]
    else:
        team_size, lead_order, year = staffing
        lines = [
            f"{BATCH_PLANS_RECIPE}\n",
            f"batch\t{batch}\n",
            f"mode\t{mode}\n",
            f"team_size\t{team_size}\n",
            f"lead_order\t{_canonical_json(list(lead_order))}\n",
            f"year\t{'' if year is None else year}\n",
        ]
        lines += [
            f"{it.code}\t{item_plans[it.code].digest()}\t{_item_digest(it)}\n" for it in ordered
        ]
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def joint_plan_digest(plan: SamplingPlan, items: Sequence[Item], staffing: Staffing) -> str:
    """The ``plan_digest`` of a joint task's commitment (``randcheck-joint-task/1``; see
    :func:`commit_joint_task`)."""
    team_size, lead_order, year = staffing
    lines = [
        f"{JOINT_TASK_RECIPE}\n",
        f"plan\t{plan.digest()}\n",
        f"team_size\t{team_size}\n",
        f"lead_order\t{_canonical_json(list(lead_order))}\n",
        f"year\t{'' if year is None else year}\n",
    ]
    lines += [f"{it.code}\t{_item_digest(it)}\n" for it in sorted(items, key=lambda it: it.code)]
    return "sha256:" + hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def _canonical_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _item_digest(item: Item) -> str:
    """``sha256:`` + SHA-256 of the item's record (:func:`item_record`) as canonical JSON."""
    text = _canonical_json(item_record(item))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    team_size: int = 2,
    lead_order: Sequence[str] = (),
    year: int | None = None,
) -> Commitment:
    """The commitment to publish before a batch's seed exists (先承诺、后抽取).

    Its ``plan_digest`` covers the batch label, the mode, the staffing of the visits (team
    size, lead order, plan year: the same arguments :func:`draw_batch` then takes) and every
    item, its record and its plan: ``sha256:`` + SHA-256 of ``"randcheck-batch-plans/2\\n"``,
    ``"batch\\t<label>\\n"``, ``"mode\\t<coordinated|independent>\\n"``,
    ``"team_size\\t<n>\\n"``, ``"lead_order\\t<JSON list>\\n"``, ``"year\\t<year or
    nothing>\\n"`` and, for each item in code order, ``"<code>\\t<plan digest>\\t<item
    digest>\\n"`` (the plan after :func:`item_plan`; the item digest is ``sha256:`` + SHA-256 of
    the item's record as canonical JSON, sorted keys and no spaces). JSON keeps characters as
    they are. The commitment digest then follows :class:`~randcheck.Commitment`
    (``randcheck-commitment/2``) with the path ``["batch", <label>]``, the seed rule and the
    seed source. (``randcheck-batch-plans/1``, of 0.1.0, covered the plans alone: the lead
    order, team size and the items' departments and skills could be chosen after the seed.)

    Examples
    --------
    >>> county = randcheck.example_county()
    >>> rule = randcheck.SeedRule.shuangseqiu(date="2023-11-07")
    >>> c = commit_batch(county.targets, county.items, seed_rule=rule,
    ...                  seed_from="福利彩票双色球 2023-11-07")
    >>> b = draw_batch(county.targets, county.items, seed="2023-11-07 03 08 14 22 27 31 + 09",
    ...                commitment=c)
    >>> b.receipt.commitment == c.digest, b.receipt.seed
    (True, '双色球 2023-11-07 03 08 14 22 27 31 + 09')
    """
    items = check_items(items)
    item_plans = {
        it.code: item_plan(it, (plans or {}).get(it.code), multipliers=multipliers) for it in items
    }
    as_of = {c: p.eligibility.as_of for c, p in item_plans.items()}
    staffing = _staffing(team_size, lead_order, year, as_of)
    return Commitment.of(
        roster.digest(),
        _batch_plan_digest(items, item_plans, coordinated, batch, staffing),
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
    >>> from randcheck.joint import verify_batch
    >>> county = example_county()
    >>> b = draw_batch(county.targets, county.items, seed="2023-11-07 03 08 14 22 27 31 + 09")
    >>> burden = b.burden()
    >>> burden.visits_unmerged, burden.visits
    (211, 190)
    >>> verify_batch(b.receipt, county.targets) is None
    True
    """
    items = check_items(items)
    team_size = check_team_size(team_size)
    plans = dict(plans or {})
    unknown = sorted(set(plans) - {it.code for it in items})
    if unknown:
        raise BatchError(f"plans given for items not in the batch: {', '.join(unknown)}")
    check_scopes(roster, items)
    item_plans = {
        it.code: item_plan(it, plans.get(it.code), multipliers=multipliers) for it in items
    }
    batch_year = check_batch_year(
        year, {c: p.eligibility.as_of for c, p in item_plans.items()}, "plan"
    )
    root = _batch_root(seed, rng, commitment)
    if commitment is not None:
        staffing = (team_size, tuple(lead_order), batch_year)
        _check_commitment_fits(
            commitment,
            roster.digest(),
            _batch_plan_digest(items, item_plans, coordinated, batch, staffing),
            batch,
        )
    base = root.child(LABEL_BATCH).child(batch)
    warnings = (UNCOMMITTED_WARNING,) if commitment is None and base.verifiable else ()
    draws = _draw_items(roster, items, item_plans, base, coordinated, warnings, drawn_by, drawn_at)
    visits = merge_visits(
        roster,
        items,
        [draws[it.code].rows for it in items],
        team_size=team_size,
        lead_order=lead_order,
    )
    header = (
        root.describe()["seed"],
        None if commitment is None else commitment.digest,
        None if commitment is None else dict(commitment.seed_rule),
        None if commitment is None else commitment.seed_from,
        warnings,
    )
    receipt = _batch_receipt(
        "coordinated" if coordinated else "independent",
        batch,
        root.verifiable,
        roster,
        items,
        tuple(draws[it.code].receipt for it in items),
        visits,
        (team_size, tuple(lead_order), batch_year),
        header,
    )
    return Batch(items, draws, visits, receipt)


def _check_commitment_fits(
    commitment: Commitment, roster_digest: str, plan_digest: str, batch: str
) -> None:
    """Refuse a batch commitment made for another roster, other plans or another label."""
    expected = Commitment.of_record(
        roster_digest,
        plan_digest,
        (LABEL_BATCH, batch),
        commitment.rule,
        commitment.seed_from,
    )
    if commitment != expected:
        raise BatchError(
            "the commitment does not match this roster, these items and plans, this team size, "
            "lead order and year, and this batch label (give draw_batch what commit_batch "
            f"was given): it was published for roster {commitment.roster_digest}, plans "
            f"{commitment.plan_digest} and key path {list(commitment.path)}; they now give "
            f"{expected.roster_digest}, {expected.plan_digest} and {list(expected.path)}"
        )


def _draw_items(
    roster: TargetRoster,
    items: Sequence[Item],
    item_plans: Mapping[str, SamplingPlan],
    base: UniformSource,
    coordinated: bool,
    warnings: tuple[str, ...],
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
) -> dict[str, Draw]:
    """Each item's draw under the batch key ``base``: one shared stream, or one per item."""
    item_base = base.child(LABEL_ITEM) if not coordinated else base
    shared = CoordinatedSource(base, roster) if coordinated else None
    draws: dict[str, Draw] = {}
    for item in items:
        plan = item_plans[item.code]
        if shared is not None:
            shared.units.expect(np.flatnonzero(plan.eligibility.mask(roster)))
        try:
            draws[item.code] = draw_stream(
                roster,
                plan,
                item_base if shared is None else shared,
                LABEL_UNITS if coordinated else item.code,
                1,
                drawn_by,
                drawn_at,
                None,
                warnings,
            )
        except PlanError as exc:
            raise PlanError(f"item {item.code!r}: {exc}") from None
    return draws


def _batch_receipt(
    mode: str,
    batch: str,
    verifiable: bool,
    roster: TargetRoster,
    items: Sequence[Item],
    draws: tuple[Receipt, ...],
    visits: VisitTable,
    team: tuple[int, tuple[str, ...], int | None],
    header: tuple[str | None, str | None, Mapping[str, Any] | None, str | None, tuple[str, ...]],
) -> BatchReceipt:
    """The receipt of a batch: ``team`` is (team size, lead order, year) and ``header`` (seed,
    commitment digest, seed rule, seed source, warnings)."""
    team_size, lead_order, year = team
    seed, commitment, seed_rule, seed_from, warnings = header
    return BatchReceipt(
        format=BATCH_FORMAT,
        mode=mode,
        batch=batch,
        seed=seed,
        verifiable=verifiable,
        roster_digest=roster.digest() if verifiable else "",
        items=tuple(item_record(it) for it in items),
        draws=draws,
        merge_recipe=MERGE_RECIPE,
        visits=len(visits),
        visits_digest=visits.digest(),
        team_size=team_size,
        lead_order=lead_order,
        year=year,
        commitment=commitment,
        seed_rule=seed_rule,
        seed_from=seed_from,
        warnings=warnings,
    )


def commit_joint_task(
    roster: TargetRoster,
    items: Sequence[Item],
    plan: SamplingPlan,
    *,
    batch: str = "task",
    seed_rule: SeedRule,
    seed_from: str,
    team_size: int = 2,
    lead_order: Sequence[str] = (),
    year: int | None = None,
) -> Commitment:
    """The commitment to publish before a joint task's seed exists.

    A joint task is one draw on the roster restricted to the union of the items' scopes (its
    frame). Its commitment (``randcheck-commitment/2``, key path ``["batch", <label>,
    "units"]``) has the frame's digest, which fixes the items' scopes, and as ``plan_digest``
    (recipe ``randcheck-joint-task/1``) ``sha256:`` + SHA-256 of ``"randcheck-joint-task/1\\n"``,
    ``"plan\\t<plan digest>\\n"``, ``"team_size\\t<n>\\n"``, ``"lead_order\\t<JSON
    list>\\n"``, ``"year\\t<year or nothing>\\n"`` and, for each item in code order,
    ``"<code>\\t<item digest>\\n"`` (as in :func:`commit_batch`): the staffing of the visits
    and the items' departments and skills are fixed before the seed. Pass the same ``batch``,
    ``team_size``, ``lead_order`` and ``year`` to :func:`draw_joint_task`.

    Examples
    --------
    >>> from randcheck.joint import commit_joint_task
    >>> county = randcheck.example_county()
    >>> items = [it for it in county.items if it.code.endswith("-07")]
    >>> plan = randcheck.SamplingPlan(overall_rate=0.5)
    >>> rule = randcheck.SeedRule.dice(6, date="2023-11-07")
    >>> c = commit_joint_task(county.targets, items, plan, seed_rule=rule,
    ...                       seed_from="six ten-sided dice rolled at the 2023-11-07 meeting")
    >>> task = draw_joint_task(county.targets, items, plan, seed="2023-11-07 3 1 4 1 5 9",
    ...                        commitment=c)
    >>> task.receipt.draws[0].commitment == c.digest
    True
    """
    items = check_items(items)
    frame = roster.take(np.flatnonzero(scope_mask(roster, items)))
    inclusion_probabilities(frame, plan)  # refuse a commitment that could never be honoured
    staffing = _staffing(team_size, lead_order, year, {plan.name or "task": plan.eligibility.as_of})
    return Commitment.of(
        frame.digest(),
        joint_plan_digest(plan, items, staffing),
        (LABEL_BATCH, batch, LABEL_UNITS),
        seed_rule,
        seed_from,
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
    items = check_items(items)
    team_size = check_team_size(team_size)
    if plan.eligibility.industries is not None or plan.eligibility.tags is not None:
        raise BatchError(
            "a joint task's frame is the union of its items' scopes; give "
            "industries and tags on the items, not in the plan's eligibility"
        )
    check_scopes(roster, items)
    batch_year = check_batch_year(year, {plan.name or "task": plan.eligibility.as_of}, "plan")
    frame_rows = np.flatnonzero(scope_mask(roster, items))
    frame = roster.take(frame_rows)
    root = _batch_root(seed, rng, commitment)
    if commitment is not None:
        if commitment.path != (LABEL_BATCH, batch, LABEL_UNITS):
            raise BatchError(
                f"joint task: the commitment's key path {list(commitment.path)} is not that of "
                f"task {batch!r} ({[LABEL_BATCH, batch, LABEL_UNITS]}); make it with "
                "commit_joint_task and the same batch label"
            )
        staffing = (team_size, tuple(lead_order), batch_year)
        expected = Commitment.of_record(
            frame.digest(),
            joint_plan_digest(plan, items, staffing),
            commitment.path,
            commitment.rule,
            commitment.seed_from,
        )
        if expected != commitment:
            raise BatchError(
                "joint task: the commitment does not match this frame (the items' scopes), "
                "plan, items, team size, lead order and year: give draw_joint_task what "
                f"commit_joint_task was given (published plans {commitment.plan_digest}; these "
                f"give {expected.plan_digest})"
            )
        if seed is None:
            raise PlanError("commitment= needs the public seed: pass seed=")
        # The draw's own check compares the plan's digest with the commitment's, which here
        # covers the items and the staffing too (checked above).
        source, stream, _, _ = settle(plan, seed, None, None, commitment, None, roster_digest=None)
        one = draw_stream(frame, plan, source, stream, 1, drawn_by, drawn_at, commitment, ())
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
        covered = scope_mask(roster, [item])[rows_full]
        per_item.append(rows_full[covered])
        draws[item.code] = Draw(
            one.plan,
            one.ids[covered],
            rows_full[covered],
            one.inclusion_probabilities[covered],
            one.stratum[covered],
            one.strata,
            one.receipt,
        )
    visits = merge_visits(roster, items, per_item, team_size=team_size, lead_order=lead_order)
    r = one.receipt
    receipt = _batch_receipt(
        "joint-task",
        batch,
        root.verifiable,
        roster,
        items,
        (r,),
        visits,
        (team_size, tuple(lead_order), batch_year),
        (r.seed, r.commitment, r.seed_rule, r.seed_from, r.warnings),
    )
    return Batch(items, draws, visits, receipt)


def check_batch_commitment(
    receipt: BatchReceipt, recorded: Sequence[Item], coordinated: bool, accept_retired: bool
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
    # A batch committed under a /2 seed rule is of this version (batch-plans/2); one under /1
    # is a record of 0.1.0, whose batch commitment covered the plans alone.
    return committed_header_findings(
        receipt,
        receipt.roster_digest,
        (LABEL_BATCH, receipt.batch),
        lambda rule: _batch_plan_digest(
            recorded,
            {
                it.code: SamplingPlan.from_dict(r.plan)
                for it, r in zip(recorded, receipt.draws, strict=True)
            },
            coordinated,
            receipt.batch,
            staffing_of(receipt) if rule.recipe == SEED_RULE_RECIPE else None,
        ),
        accept_retired,
    )


def staffing_of(receipt: BatchReceipt) -> Staffing:
    """The staffing a batch or joint task's receipt records (what its commitment covers)."""
    return (receipt.team_size, tuple(receipt.lead_order), receipt.year)


def committed_header_findings(
    receipt: BatchReceipt,
    roster_digest: str,
    path: tuple[str, ...],
    plan_digest: Callable[[SeedRule], str],
    accept_retired: bool,
) -> list[str]:
    """A committed batch or joint task's seed against its rule, and its commitment against
    what the receipt records (``plan_digest(rule)``: the plans' digest the rule's recipe
    commits), as findings."""
    try:
        rule = SeedRule.from_dict(receipt.seed_rule)  # type: ignore[arg-type]
        if not isinstance(receipt.seed_from, str):
            raise PlanError("seed_from: missing")
        canonical = rule.canonical(receipt.seed)
        retired = retired_diff(rule, accept_retired)
        if retired:
            return retired
        promised = Commitment.of_record(
            roster_digest, plan_digest(rule), path, rule, receipt.seed_from
        ).digest
    except PlanError as exc:
        return [
            f"the {receipt.mode} receipt's seed rule, seed or commitment cannot be checked: {exc}"
        ]
    out = []
    if canonical != receipt.seed:
        out.append(f"the seed {receipt.seed!r} is not in its rule's canonical form {canonical!r}")
    if promised != receipt.commitment:
        out.append(
            f"commitment does not match the {receipt.mode} receipt's roster digest, items and "
            "plans, team size, lead order, year, key path, seed rule and seed source"
        )
    return out


def _batch_root(seed: str | None, rng: Any, commitment: Commitment | None) -> UniformSource:
    """The root source of a batch: under a commitment, the seed's canonical form, seed only."""
    if commitment is None:
        return source_for(seed, rng)
    if seed is None or rng is not None:
        raise PlanError(
            "a committed batch takes its key from the seed and the committed path alone: "
            "pass seed= (not rng=) with commitment="
        )
    return HashSource.from_seed(commitment.seed_for_drawing(seed))
