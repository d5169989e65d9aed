"""A batch's items and their plans: checks, :func:`item_plan`, :func:`expected_visits`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.errors import BatchError
from randcheck.models import Item
from randcheck.roster import TargetRoster
from randcheck.sampling import (
    Eligibility,
    SamplingPlan,
    inclusion_probabilities,
)

BATCH_FORMAT = "randcheck-batch/2"
MERGE_RECIPE = "randcheck-merge/1"
#: The digest of a batch's item plans, which a batch commitment fixes before the seed.
BATCH_PLANS_RECIPE = "randcheck-batch-plans/2"
#: The batch plans digest of release 0.1.0 (no lead order, team size, year or item records):
#: read to verify records of 0.1.0, never made.
BATCH_PLANS_RECIPE_1 = "randcheck-batch-plans/1"
#: What a joint task's commitment covers besides its frame: the plan, the items' records and
#: the staffing of the visits (a joint task of 0.1.0 committed the plan alone).
JOINT_TASK_RECIPE = "randcheck-joint-task/1"
MODES = ("coordinated", "independent", "joint-task")


def check_items(items: Sequence[Item]) -> tuple[Item, ...]:
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


def check_team_size(team_size: int) -> int:
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
    >>> from randcheck.joint import item_plan
    >>> from randcheck.models import Item
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


def scope_mask(roster: TargetRoster, items: Sequence[Item]) -> npt.NDArray[np.bool_]:
    """Active targets covered by at least one item's scope."""
    mask = np.zeros(len(roster), dtype=bool)
    for item in items:
        mask |= Eligibility(
            industries=tuple(item.industries) or None, tags=tuple(item.tags) or None
        ).mask(roster)
    return mask


def check_scopes(roster: TargetRoster, items: Sequence[Item]) -> None:
    for item in items:
        if not scope_mask(roster, [item]).any():
            raise BatchError(
                f"item {item.code!r} ({item.name}): its scope (industries "
                f"{sorted(item.industries) or 'any'}, tags {sorted(item.tags) or 'any'}) "
                f"matches no active target in the roster ({len(roster)} rows); check the "
                "item's industries and tags against the roster's labels"
            )


def check_batch_year(
    year: int | None, as_of: Mapping[str, dt.date | None], what: str
) -> int | None:
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
    >>> from randcheck.joint import expected_visits
    >>> from randcheck import example_county
    >>> county = example_county()
    >>> e = expected_visits(county.targets, county.items)
    >>> {k: round(v, 1) for k, v in e.items()}
    {'unmerged': 210.3, 'independent': 206.3, 'lower_bound': 186.8}
    """
    items = check_items(items)
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
