"""The rules of officer matching: :class:`MatchingRules`, :class:`Recusals`, the recipe names."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from randcheck.errors import (
    PlanError,
)

Ints: TypeAlias = npt.NDArray[np.int64]
Floats: TypeAlias = npt.NDArray[np.float64]
Bools: TypeAlias = npt.NDArray[np.bool_]

#: Version of the matching algorithm, recorded in every receipt.
MATCHING_RECIPE = "randcheck-matching/3"
#: Every recipe this version can run; /1 and /2 were never released and are retired.
MATCHING_RECIPES = (MATCHING_RECIPE,)
#: What a matching's commitment fixes before the seed (:func:`commit_matching`).
MATCHING_PLAN_RECIPE = "randcheck-matching-plan/1"
#: Format of the public record of a matching (:meth:`Assignment.record`).
MATCHING_RECORD_FORMAT = "randcheck-matching-record/1"
#: Bits of the pair-cap grid: the cap is applied as a multiple of ``2**-GRID_BITS``.
GRID_BITS = 20
#: Most officer–visit pairs :func:`~randcheck.match_officers` takes in one batch by default, as
#: in 0.1.0: a bound on memory (about 350 bytes a pair: 1.7 GiB at 5·10⁶ pairs), not on time.
#: Time grows as about the 1.3th power of the pairs (1.5·10⁶ pairs in 6–8 s, 5·10⁶ in about
#: 30 s on 2 cores; see the benchmarks page); ``max_pairs=`` lowers or raises it for one call.
MAX_PAIRS = 20_000_000
#: Most pairs :func:`~randcheck.matching.verify_matching` takes: the limit of 0.1.0, so every
#: record it could publish still verifies, whatever the matcher's default becomes.
VERIFY_MAX_PAIRS = 20_000_000


def whole_number(name: str, value: object, least: int) -> None:
    """Refuse anything but a whole number ≥ ``least`` (bools and floats included) with a
    :class:`~randcheck.errors.PlanError` naming ``name`` and the value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise PlanError(f"{name} must be a whole number ≥ {least}, got {value!r}")
    if value < least:
        raise PlanError(f"{name} must be a whole number ≥ {least}, got {value}")


def _team_cap(value: object) -> float | None:
    """``MatchingRules.team_cap``: ``None`` or a chance within (0, 1], stored as a float."""
    if value is None:
        return None
    ok = not isinstance(value, bool) and isinstance(value, (int, float, Fraction, np.number))
    number = float(value) if ok else math.nan  # type: ignore[arg-type]
    if not 0.0 < number <= 1.0:
        raise PlanError(
            f"team_cap must be a number within (0, 1], got {value!r}: it bounds the chance that "
            "two officers are teamed in the batch; every team has at least two officers, so some "
            "pair is always teamed and 0 cannot be kept, and a chance above 1 bounds nothing"
        )
    return number


def _frozen_map(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _frozen_areas(value: Mapping[str, Iterable[str]] | None) -> Mapping[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for unit, areas in (value or {}).items():
        out[str(unit)] = frozenset([areas] if isinstance(areas, str) else (str(a) for a in areas))
    return MappingProxyType(out)


@attrs.frozen
class MatchingRules:
    """The rules :func:`match_officers` enforces; each has the default the law or practice gives.

    Parameters
    ----------
    team_size : int
        Least number of law-enforcement officers (执法人员) per visit, at least 2 (行政处罚法
        第四十二条). A visit's own :attr:`Visit.team_size` and ``item_team_sizes`` may raise it.
        Experts never count towards it.
    item_team_sizes : mapping of str to int
        Team size per item code; a visit takes the largest of its items'.
    cross_jurisdiction : bool
        所所交叉: an officer does not inspect targets in the area their unit is responsible for.
        An officer's areas are their own ``area`` column plus ``unit_areas[unit]``; a visit's area
        matches when it *starts with* one of them (a unit for ``130634`` covers ``130634100``).
    unit_areas : mapping of str to set of str
        Area codes each unit (``unit`` column) is responsible for.
    require_skills : bool
        A visit whose items need a skill gets at least one team member with it.
    experts_for_skills : bool
        When no eligible officer of a visit has a needed skill, an expert (专家库) with it joins
        the team as an extra member. Experts are never drawn otherwise.
    own_departments_only : bool
        An officer whose department is set and is not among the visit's departments is not sent.
        Officers with an empty department are eligible for every visit.
    require_each_department : bool
        A joint visit (two or more departments, 部门联合) gets at least one officer of each; its
        team size is raised to the number of departments if smaller.
    repeat_window_days : int or None
        An officer who inspected the same target fewer than this many days before ``as_of`` is
        not sent again; ``None`` turns the rule off.
    pair_cap : float or None
        The most probability any officer–target pair may have (``q`` of Jecmen et al. 2020).
        The matcher always keeps every pair at ``q*`` (:attr:`Assignment.q_star`, the least any
        randomized assignment can keep, up to the grid ``2**-20``); a ``pair_cap`` below that
        is an :class:`~randcheck.errors.InfeasibleMatchingError` stating ``q*``, so a published
        cap is never silently exceeded.
    max_load : int or None
        Load cap for officers whose roster ``load_cap`` is empty.
    recipe : str
        The matching recipe, recorded in :attr:`Assignment.source`: ``"randcheck-matching/3"``
        (the only one; ``/1`` and ``/2`` were never released and are retired).
    team_cap : float or None
        The most any two officers' *teaming bound* may be (防止合谋: a pair who want to inspect
        together): for every two members of the roster, ``Σ_v min(p_av, p_bv)`` over the visits
        (:meth:`Assignment.teaming`), which bounds both the chance that they are teamed at
        least once in the batch and the expected number of visits they share. A number within
        (0, 1]. It is checked, exactly, on the marginals before the teams are drawn; if some
        pair's bound exceeds it, :func:`match_officers` raises an
        :class:`~randcheck.errors.InfeasibleMatchingError` (``rule="team_cap"``) naming the pair
        (``pair``) and the largest bound of the batch (``team_bound``, the least team cap the
        recipe can keep for it), never a silent excess. The marginals do not change with it.

    Examples
    --------
    >>> randcheck.MatchingRules(pair_cap=0.5).team_size
    2
    """

    team_size: int = attrs.field(default=2)
    item_team_sizes: Mapping[str, int] = attrs.field(factory=dict, converter=_frozen_map)
    cross_jurisdiction: bool = False
    unit_areas: Mapping[str, frozenset[str]] = attrs.field(factory=dict, converter=_frozen_areas)
    require_skills: bool = True
    experts_for_skills: bool = True
    own_departments_only: bool = True
    require_each_department: bool = True
    repeat_window_days: int | None = attrs.field(default=365)
    pair_cap: float | None = attrs.field(default=None)
    max_load: int | None = attrs.field(default=None)
    recipe: str = attrs.field(default=MATCHING_RECIPE)
    team_cap: float | None = attrs.field(default=None, converter=_team_cap)

    @team_size.validator
    def _check_team(self, _a: attrs.Attribute[int], value: int) -> None:
        whole_number("team_size (行政处罚法 第四十二条: at least two officers)", value, 2)

    @item_team_sizes.validator
    def _check_items(
        self, _a: attrs.Attribute[Mapping[str, int]], value: Mapping[str, int]
    ) -> None:
        for item, size in value.items():
            if not isinstance(item, str):
                raise PlanError(
                    f"item_team_sizes: the key {item!r} is not an item code (text), e.g. 'SW-02'"
                )
            whole_number(f"item_team_sizes[{item!r}]", size, 2)

    @pair_cap.validator
    def _check_cap(self, _a: attrs.Attribute[float | None], value: float | None) -> None:
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, (int, float, Fraction))
            or not 0.0 < value <= 1.0
        ):
            raise PlanError(f"pair_cap must be a number within (0, 1], got {value!r}")

    @recipe.validator
    def _check_recipe(self, _a: attrs.Attribute[str], value: str) -> None:
        if value not in MATCHING_RECIPES:
            raise PlanError(
                f"recipe must be {MATCHING_RECIPE}, got {value!r} (randcheck-matching/1 and /2 "
                "were never released and are retired; a newer randcheck may know others)"
            )

    @repeat_window_days.validator
    def _check_window(self, _a: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None:
            whole_number("repeat_window_days", value, 0)

    @max_load.validator
    def _check_load(self, _a: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None:
            whole_number("max_load", value, 0)


@attrs.frozen(eq=False)
class Recusals:
    """Recusals (回避) applied to a batch, as columns: one row per declared conflict that concerned
    a visit of the batch and an officer of the roster.

    Iterating yields ``(officer_id, credit_code, reason)`` tuples.
    """

    visit_index: Ints
    officer_index: Ints
    reason_codes: Ints
    reasons: tuple[str, ...]
    credit_codes: tuple[str, ...]
    officer_ids: npt.NDArray[Any]

    def __len__(self) -> int:
        return int(self.visit_index.shape[0])

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        for v, o, r in zip(
            self.visit_index.tolist(),
            self.officer_index.tolist(),
            self.reason_codes.tolist(),
            strict=True,
        ):
            yield str(self.officer_ids[o]), self.credit_codes[v], self.reasons[r]
