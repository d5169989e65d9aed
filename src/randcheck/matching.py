"""Officer matching (双随机 #2): random, conflict-aware teams for a batch of visits.

:func:`match_officers` staffs every visit of a batch with a team of officers drawn at random from
those the rules allow, and either returns an :class:`Assignment` or raises
:class:`~randcheck.InfeasibleMatchingError` saying which visit cannot be staffed and which rule
binds.

How it works (details in the explanation page "How officer matching is formulated")
-----------------------------------------------------------------------------------
1. **Eligibility.** For each visit, the officers the rules allow: active, not recused (回避),
   of a participating department, outside the target's own area when 所所交叉 is on, and not
   sent to the same target within the repeat window. Experts (专家库) are kept apart.
2. **Candidates and targets.** Officers are put in a random order (one number per officer id).
   Each visit takes a block of consecutive eligible officers in that order, starting at a random
   position (one number per credit code), of a power-of-two size: one block for its free places
   and one per requirement (a skill, or a department of a joint visit). Each block shares its
   places equally, so every eligible officer has the same chance of being chosen for the block.
   The sum over blocks is the visit's *target*: a fractional team.
   A joint visit that needs a skill held by officers of several departments first has the skill
   holder's department chosen from the seed (child key ``nest``), which makes its requirement
   groups disjoint (:attr:`Assignment.nested`). Likewise a visit needing two skills that some
   officer holds together has the case drawn: one officer with both, or one with each alone.
   Any other overlap (recipe ``randcheck-matching/2``) has a *cover* drawn: a partition of its
   requirements into parts, one team member each, with disjoint groups (:func:`_cover_options`).
3. **Feasible marginals.** If the targets respect the pair cap ``q`` and every load cap, they are
   the marginals. Otherwise a maximum flow, run up to the targets, then up to the cap, then
   beyond it, sets marginals that satisfy every rule; if the candidate blocks are too small, it
   widens them to every eligible officer, then tries the next department, case or cover of the
   visits that compete for the short officers (under /2 also of visits whose pairs would exceed
   the cap), and as a last resort solves the exact 0/1 programme (``method == "milp"``).
4. **Rounding.** The marginals, multiples of ``2**-r``, are rounded to one assignment by
   dependent rounding along cycles of a flow network (Budish, Che, Kojima and Milgrom 2013;
   Jecmen et al. 2020): each pair is chosen with exactly its marginal probability, and team sizes,
   requirements and load caps hold in every outcome.

Randomness comes from the batch seed through the child key ``matching`` (official, verifiable;
see :mod:`randcheck.randomness`) or from ``rng`` in a simulation.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import operator
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck.errors import BatchError, InfeasibleMatchingError, PlanError
from randcheck.models import Conflict
from randcheck.randomness import GeneratorSource, UniformSource, source_for
from randcheck.roster import STRING, OfficerRoster
from randcheck.visits import Visit

__all__ = [
    "Assignment",
    "MatchingRules",
    "MatchingSimulation",
    "PairProbabilities",
    "Recusals",
    "match_officers",
    "simulate_matching",
]

Ints: TypeAlias = npt.NDArray[np.int64]
Floats: TypeAlias = npt.NDArray[np.float64]
Bools: TypeAlias = npt.NDArray[np.bool_]
#: A requirement as (skill bits held, department code or -1): "holds every skill, is of dept".
_Rule: TypeAlias = tuple[int, int]
#: A visit's drawn cover: its requirement groups as (kind, label, rule, rules of earlier groups).
_Cover: TypeAlias = tuple[tuple[int, str, _Rule, tuple[_Rule, ...]], ...]

#: Version of the matching algorithm, recorded in every receipt.
MATCHING_RECIPE = "randcheck-matching/2"
#: Every recipe this version can run (``MatchingRules.recipe``); older ones stay reproducible.
MATCHING_RECIPES = ("randcheck-matching/1", MATCHING_RECIPE)

_FREE, _SKILL, _EXPERT, _DEPT = 0, 1, 2, 3
_ANY, _OUTSIDE = -1, -3  # skill block not restricted / restricted to no department of the visit
_NEST_LIMIT = 64  # most choices of nesting departments tried before the integer programme
_COVER_LIMIT = 4096  # most covers listed per visit (officers', experts' and both)
_LP_BITS = 10  # the LP's marginals are multiples of 2**-10 (at least)
_CAP_PENALTY = 1_000.0  # cost of one unit of probability above the pair cap
_SLACK_PENALTY = 1_000_000.0  # cost of one unfilled place (only when infeasible)
_MAX_LISTED = 20
_REASONS = (
    ("inactive", "inactive [不在岗]"),
    ("department", "of another department [非本部门]"),
    ("area", "responsible for the target's own area [所所交叉]"),
    ("recused", "recused [回避]"),
    ("repeat", "sent to this target within the repeat window [避免重复检查]"),
)


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
        The most probability any officer–target pair may have (``q`` of Jecmen et al. 2020),
        rounded down to a multiple of ``2**-10``. Where the rules leave a visit so few officers that
        the cap cannot hold, the pair gets the least probability it can and is listed in
        :attr:`Assignment.cap_exceeded`, unless ``strict_pair_cap`` is set.
    strict_pair_cap : bool
        Raise :class:`~randcheck.InfeasibleMatchingError` instead of exceeding the cap, and
        instead of falling back to the 0/1 programme (``method == "milp"``), which keeps every
        other rule but no pair cap.
    max_load : int or None
        Load cap for officers whose roster ``load_cap`` is empty.
    candidates : int
        Size of the random candidate blocks (rounded down to a power of two); larger blocks spread
        the load over more officers for the same cost per visit.
    recipe : str
        The matching recipe, recorded in :attr:`Assignment.source`: ``"randcheck-matching/2"``
        (default) or ``"randcheck-matching/1"``, to recompute a matching published with it.
        They differ only for visits whose requirements overlap in ways /1 could not nest (a
        joint visit needing two skills, three or more skills held together, one expert for two
        skills): /1 sends such a batch to the 0/1 programme, /2 draws a cover first (see
        :func:`match_officers`).

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
    strict_pair_cap: bool = False
    max_load: int | None = attrs.field(default=None)
    candidates: int = attrs.field(default=16)
    recipe: str = attrs.field(default=MATCHING_RECIPE)

    @team_size.validator
    def _check_team(self, _a: attrs.Attribute[int], value: int) -> None:
        if value < 2:
            raise PlanError(f"team_size must be at least 2 (行政处罚法 第四十二条), got {value}")

    @pair_cap.validator
    def _check_cap(self, _a: attrs.Attribute[float | None], value: float | None) -> None:
        if value is not None and not 0.0 < value <= 1.0:
            raise PlanError(f"pair_cap must be within (0, 1], got {value}")

    @candidates.validator
    def _check_candidates(self, _a: attrs.Attribute[int], value: int) -> None:
        if value < 2:
            raise PlanError(f"candidates must be at least 2, got {value}")

    @recipe.validator
    def _check_recipe(self, _a: attrs.Attribute[str], value: str) -> None:
        if value not in MATCHING_RECIPES:
            raise PlanError(
                f"recipe must be one of {', '.join(MATCHING_RECIPES)}, got {value!r} (a newer "
                "randcheck may know it)"
            )

    @repeat_window_days.validator
    def _check_window(self, _a: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None and value < 0:
            raise PlanError(f"repeat_window_days must be ≥ 0 or None, got {value}")

    @max_load.validator
    def _check_load(self, _a: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None and value < 0:
            raise PlanError(f"max_load must be ≥ 0 or None, got {value}")


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


@attrs.frozen(eq=False)
class PairProbabilities:
    """Probability of each officer–visit pair in the draw that produced an assignment.

    ``probability[i]`` is the chance that officer ``officer_index[i]`` (roster row) is on visit
    ``visit_index[i]`` given the candidate blocks of this draw; pairs not listed have probability
    zero in this draw. Over the random choice of blocks, an eligible officer's chance on a visit
    is this value times the chance of being a candidate (see the explanation page).
    """

    visit_index: Ints
    officer_index: Ints
    probability: Floats

    def matrix(self, n_visits: int, n_officers: int) -> Floats:
        """As a dense ``(n_visits, n_officers)`` array (small batches only)."""
        out = np.zeros((n_visits, n_officers))
        np.add.at(out, (self.visit_index, self.officer_index), self.probability)
        return out


@attrs.frozen(eq=False)
class Assignment:
    """The teams of a batch (检查组), as columns: one row per team member.

    Attributes
    ----------
    credit_codes : tuple of str
        The visits' credit codes, in the order the visits were given.
    visit_index, officer_index : numpy arrays of int64
        Row ``i`` puts roster row ``officer_index[i]`` on visit ``visit_index[i]``; rows are
        sorted by visit, then officers before experts, then officer id.
    expert : numpy array of bool
        Whether the member is an expert (专家库) called in for a skill; experts do not count
        towards the team size.
    officer_ids : numpy array of str
        The roster's ``officer_id`` column (indexed by ``officer_index``).
    loads : numpy array of int64
        Visits per roster officer in this batch.
    recusals : Recusals
        The declared conflicts (回避) that applied to this batch.
    source : dict
        What the receipt records about the randomness: recipe, seed, path.
    method : str
        ``"targets"`` (the candidate targets were feasible), ``"flow"`` (a maximum flow set the
        marginals) or ``"milp"`` (an integer programme with random weights; no exact marginals).
    pair_probabilities : PairProbabilities or None
        The marginals the rounding used (``None`` for ``"milp"``: that path does not bound any
        pair's probability, so a pair cap holds only when ``method != "milp"``).
    cap_exceeded : int
        Number of pairs whose probability had to exceed the pair cap.
    nested : tuple of (str, str, str)
        For each joint visit (部门联合) that also needs a skill held by officers of several
        departments, ``(credit_code, skill, department)``: the department, drawn from the seed,
        whose officer supplies the skill (``""``: an officer of none of the visit's departments).
        For each visit (without department requirements) needing two skills ``s1 < s2`` that
        some eligible officer holds together, ``(credit_code, "s1+s2", case)``: ``"both"`` (one
        officer holds both) or ``"split"`` (one holds ``s1`` without ``s2``, another ``s2``
        without ``s1``), drawn from the seed. For any other visit whose requirements overlap
        (recipe ``randcheck-matching/2``), ``(credit_code, "s1+s2+…", cover)``: the drawn
        partition of its requirements, listed as its groups, e.g. ``"典当+成品油@商务局,
        @公安局"`` (an officer of 商务局 with both skills, one of 公安局) or
        ``"expert:医疗器械+特种设备"``. The pair probabilities are conditional on these
        choices. Empty for ``"milp"``.
    """

    credit_codes: tuple[str, ...]
    visit_index: Ints
    officer_index: Ints
    expert: Bools
    officer_ids: npt.NDArray[Any]
    loads: Ints
    recusals: Recusals
    source: dict[str, Any]
    method: str
    pair_probabilities: PairProbabilities | None
    cap_exceeded: int = 0
    nested: tuple[tuple[str, str, str], ...] = ()

    def __len__(self) -> int:
        return len(self.credit_codes)

    def teams(self) -> list[tuple[str, ...]]:
        """The officer ids of each visit's team, in visit order (officers first, then experts)."""
        out: list[list[str]] = [[] for _ in self.credit_codes]
        for v, o in zip(self.visit_index.tolist(), self.officer_index.tolist(), strict=True):
            out[v].append(str(self.officer_ids[o]))
        return [tuple(t) for t in out]

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per team member: ``credit_code``, ``officer_id``, ``role`` (执法人员 / 专家)."""
        return [
            {
                "credit_code": self.credit_codes[v],
                "officer_id": str(self.officer_ids[o]),
                "role": "专家" if e else "执法人员",
            }
            for v, o, e in zip(
                self.visit_index.tolist(),
                self.officer_index.tolist(),
                self.expert.tolist(),
                strict=True,
            )
        ]

    def to_frame(self) -> Any:
        """:meth:`to_rows` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self._table_columns())

    def to_arrow(self) -> Any:
        """:meth:`to_rows` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self._table_columns())

    def to_excel(self, path: str | os.PathLike[str]) -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra)."""
        _tables.excel(path, self._table_columns())

    def _table_columns(self) -> dict[str, Any]:
        rows = self.to_rows()
        return _tables.columns_of_rows(rows, list(rows[0]) if rows else [])

    def _repr_html_(self) -> str:
        """Jupyter's preview: the counts, then the first rows."""
        cols = self._table_columns()
        n = len(next(iter(cols.values()))) if cols else 0
        return _tables.preview_html(f"{type(self).__name__}: {n:,} rows", cols, n)


@attrs.frozen(eq=False)
class MatchingSimulation:
    """Empirical pair probabilities of many simulated matchings (:func:`simulate_matching`).

    ``frequency[v, o]`` is the share of runs in which roster officer ``o`` served on visit ``v``;
    ``together[a, b]`` the mean number of visits per run on which officers ``a`` and ``b``
    served together.
    """

    runs: int
    frequency: Floats
    together: Floats

    @property
    def max_frequency(self) -> float:
        """The largest pair frequency (compare with the pair cap)."""
        return float(self.frequency.max()) if self.frequency.size else 0.0


# --------------------------------------------------------------------------------------------
# Inputs to columns


def _pair_columns(
    pairs: Any, third: str, kind: str
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    if isinstance(pairs, Mapping):
        try:
            oid = np.asarray(pairs["officer_id"], dtype=STRING)
            code = np.asarray(pairs["credit_code"], dtype=STRING)
        except KeyError as exc:
            raise PlanError(
                f"{kind}: columns 'officer_id' and 'credit_code' are required, missing {exc}"
            ) from None
        if oid.shape != code.shape:
            raise PlanError(f"{kind}: 'officer_id' and 'credit_code' differ in length")
        extra = pairs.get(third)
        extra_arr = (
            np.zeros(oid.shape[0], dtype="S1")
            if extra is None
            else np.asarray(extra, dtype=STRING if third != "date" else None)
        )
        if extra_arr.shape[0] != oid.shape[0]:
            raise PlanError(f"{kind}: column {third!r} differs in length")
        return oid, code, extra_arr
    oids: list[str] = []
    codes: list[str] = []
    extras: list[Any] = []
    for p in pairs:
        if isinstance(p, Conflict):
            oids.append(p.officer_id)
            codes.append(p.credit_code)
            extras.append(p.reason)
        else:
            o, c, e = p
            oids.append(str(o).strip())
            codes.append(str(c).strip())
            extras.append(e)
    extra_out = (
        np.array([str(e or "") for e in extras], dtype=STRING)
        if third != "date"
        else np.array(extras, dtype=object)
    )
    return np.array(oids, dtype=STRING), np.array(codes, dtype=STRING), extra_out


def _utf8(values: npt.NDArray[Any]) -> npt.NDArray[np.bytes_]:
    """UTF-8 bytes (``S`` dtype), which sort in code-point order.

    numpy 2.4 sorts StringDType correctly but its ``searchsorted`` on StringDType returns wrong
    positions, so ids are compared as bytes. ASCII ids (credit codes, most officer ids) take a
    fast cast; others are encoded.
    """
    if values.shape[0] == 0:
        return np.zeros(0, dtype="S1")
    text = values.astype(STRING)
    width = max(int(np.strings.str_len(text).max()), 1)
    try:
        out: npt.NDArray[np.bytes_] = text.astype(f"S{width}")
    except UnicodeEncodeError:
        out = np.asarray(np.strings.encode(text, "utf-8"))
    return out


def _lookup(sorted_keys: npt.NDArray[Any], query: npt.NDArray[Any]) -> Ints:
    """Index of each query in ``sorted_keys`` (sorted bytes), ``-1`` where absent."""
    if sorted_keys.shape[0] == 0 or query.shape[0] == 0:
        return np.full(query.shape[0], -1, dtype=np.int64)
    query = _utf8(query)
    pos = np.searchsorted(sorted_keys, query).astype(np.int64)
    pos_c = np.minimum(pos, sorted_keys.shape[0] - 1)
    ok = (pos < sorted_keys.shape[0]) & (sorted_keys[pos_c] == query)
    out: Ints = np.where(ok, pos_c, -1)
    return out


def _pow2_floor(n: Ints) -> Ints:
    out = np.zeros_like(n)
    pos = n > 0
    out[pos] = np.left_shift(1, np.floor(np.log2(n[pos].astype(np.float64))).astype(np.int64))
    # guard against log2 rounding
    too_big = out > n
    out[too_big] >>= 1
    return out


@attrs.define
class _Problem:
    """Everything about a batch in canonical order (visits by credit code, officers by id)."""

    visits_in: list[Visit]
    vin: Ints  # canonical visit -> input index
    codes: list[str]
    k: Ints
    profile: Ints
    orow: Ints  # canonical officer -> roster row
    ids: npt.NDArray[Any]
    active: Bools
    expert: Bools
    dept: Ints
    bits: npt.NDArray[np.uint64]
    skill_names: tuple[str, ...]
    dept_names: tuple[str, ...]
    cap: Ints
    dept_ok: Bools  # (profile, officer)
    area_ok: Bools  # (profile, officer)
    u_visit: Floats
    u_officer: Floats
    rank_order: Ints
    excl_v: Ints
    excl_o: Ints
    excl_reason: Ints  # 0 recused, 1 repeat
    excl_ptr: Ints
    recusals: Recusals
    # block templates, per signature
    blk_visit: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))
    blk_kind: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))
    blk_pool: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))
    blk_label: list[str] = attrs.field(factory=list)
    blk_bit: npt.NDArray[np.uint64] = attrs.field(factory=lambda: np.zeros(0, np.uint64))
    blk_dept: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))
    blk_count: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))
    blk_used: Bools = attrs.field(factory=lambda: np.zeros(0, bool))
    blk_auto: Bools = attrs.field(factory=lambda: np.zeros(0, bool))  # skill/expert pair blocks
    pool_ptr: Ints = attrs.field(factory=lambda: np.zeros(1, np.int64))
    pool_members: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))
    pool_pos: npt.NDArray[np.int32] = attrs.field(factory=lambda: np.zeros((0, 0), np.int32))
    excl_keys: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))
    excl_block_start: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))

    @property
    def n_visits(self) -> int:
        return len(self.codes)

    @property
    def n_officers(self) -> int:
        return int(self.orow.shape[0])


def _team_sizes(visits: list[Visit], rules: MatchingRules) -> Ints:
    out = np.empty(len(visits), dtype=np.int64)
    for i, v in enumerate(visits):
        k = max(
            rules.team_size, v.team_size, *(rules.item_team_sizes.get(item, 0) for item in v.items)
        )
        if rules.require_each_department and len(v.departments) >= 2:
            k = max(k, len(v.departments))
        out[i] = k
    return out


def _prepare(
    visits: Sequence[Visit],
    officers: OfficerRoster,
    conflicts: Any,
    rules: MatchingRules,
    history: Any,
    as_of: dt.date | None,
    src: UniformSource,
) -> _Problem:
    visit_list = list(visits)
    codes_in = [v.credit_code for v in visit_list]
    order = sorted(range(len(visit_list)), key=codes_in.__getitem__)
    codes = [codes_in[i] for i in order]
    for a, b in itertools.pairwise(codes):
        if a == b:
            raise BatchError(
                f"two visits to target {a} in one batch; merge them into one visit "
                "(进一次门、查多项事) before matching officers"
            )
    vin = np.array(order, dtype=np.int64)
    canon_visits = [visit_list[i] for i in order]
    k = _team_sizes(canon_visits, rules)

    ids_roster = officers.officer_id
    ids_bytes = _utf8(ids_roster)
    orow = np.argsort(ids_bytes, kind="stable").astype(np.int64)
    ids = ids_roster[orow]
    ids_sorted = ids_bytes[orow]
    n_off = int(orow.shape[0])
    active = officers.active[orow].astype(bool)
    expert = officers.expert[orow].astype(bool)
    dept = officers.department.codes[orow].astype(np.int64)
    unit = officers.unit.codes[orow].astype(np.int64)
    area = officers.area.codes[orow].astype(np.int64)
    bits = officers.skills.bits[orow]
    cap_raw = officers.load_cap[orow].astype(np.int64)
    no_cap = len(visit_list) + 1
    default_cap = no_cap if rules.max_load is None else rules.max_load
    cap = np.where(cap_raw < 0, default_cap, cap_raw)

    # Profiles: what decides static eligibility on the visit side.
    profiles: dict[tuple[tuple[str, ...], str], int] = {}
    profile = np.empty(len(codes), dtype=np.int64)
    for i, v in enumerate(canon_visits):
        key = (
            v.departments if rules.own_departments_only else (),
            v.area if rules.cross_jurisdiction else "",
        )
        profile[i] = profiles.setdefault(key, len(profiles))
    dept_names = officers.department.categories
    unit_names = officers.unit.categories
    area_names = officers.area.categories
    cls_key = (dept * (len(unit_names) + 1) + unit) * (len(area_names) + 1) + area
    cls_vals, cls_of = np.unique(cls_key, return_inverse=True)
    n_prof = len(profiles)
    dept_ok_cls = np.ones((n_prof, cls_vals.shape[0]), dtype=bool)
    area_ok_cls = np.ones((n_prof, cls_vals.shape[0]), dtype=bool)
    for (p_depts, p_area), p in profiles.items():
        for c, val in enumerate(cls_vals.tolist()):
            a_code = val % (len(area_names) + 1)
            rest = val // (len(area_names) + 1)
            u_code = rest % (len(unit_names) + 1)
            d_code = rest // (len(unit_names) + 1)
            d_name = dept_names[d_code]
            if p_depts and d_name and d_name not in p_depts:
                dept_ok_cls[p, c] = False
            if p_area:
                own = set(rules.unit_areas.get(unit_names[u_code], ()))
                if area_names[a_code]:
                    own.add(area_names[a_code])
                if any(a and p_area.startswith(a) for a in own):
                    area_ok_cls[p, c] = False
    dept_ok = dept_ok_cls[:, cls_of]
    area_ok = area_ok_cls[:, cls_of]

    u_visit = src.child("visits").uniforms(np.array(codes, dtype=STRING))
    u_officer = src.child("officers").uniforms(ids)
    rank_order = np.argsort(u_officer, kind="stable").astype(np.int64)

    # Exclusions: declared conflicts (回避) and recent inspections.
    codes_arr = _utf8(np.array(codes, dtype=STRING))
    c_oid, c_code, c_reason = _pair_columns(conflicts, "reason", "conflicts")
    c_o = _lookup(ids_sorted, c_oid)
    c_v = _lookup(codes_arr, c_code)
    keep = (c_o >= 0) & (c_v >= 0)
    if isinstance(conflicts, Mapping) and conflicts.get("reason") is None:
        r_kept = np.zeros(int(keep.sum()), dtype=np.int64)
        reason_names: tuple[str, ...] = ("",)
    else:
        reason_uniq, r_kept = np.unique(_utf8(c_reason[keep]), return_inverse=True)
        reason_names = tuple(b.decode("utf-8") for b in reason_uniq.tolist())
    rec_order = np.argsort(vin[c_v[keep]] * max(n_off, 1) + orow[c_o[keep]], kind="stable")
    recusals = Recusals(
        visit_index=vin[c_v[keep]][rec_order],
        officer_index=orow[c_o[keep]][rec_order],
        reason_codes=r_kept.astype(np.int64)[rec_order],
        reasons=reason_names,
        credit_codes=tuple(codes_in),
        officer_ids=ids_roster,
    )
    keys = [c_v[keep] * n_off + c_o[keep]]
    reasons = [np.zeros(int(keep.sum()), dtype=np.int64)]
    if history is not None and rules.repeat_window_days is not None:
        if as_of is None:
            raise PlanError(
                "as_of: the batch date is needed to apply repeat_window_days to "
                "history; pass as_of=datetime.date(...)"
            )
        h_oid, h_code, h_date = _pair_columns(history, "date", "history")
        if h_date.dtype.kind == "M":
            dates = h_date.astype("datetime64[D]")
        else:
            dates = np.array(
                [
                    np.datetime64(d, "D") if d not in (None, "") else np.datetime64("NaT")
                    for d in h_date.tolist()
                ],
                dtype="datetime64[D]",
            )
        age = (np.datetime64(as_of, "D") - dates).astype(np.int64)
        recent = ~np.isnat(dates) & (age < rules.repeat_window_days)
        h_o = _lookup(ids_sorted, h_oid)
        h_v = _lookup(codes_arr, h_code)
        ok = recent & (h_o >= 0) & (h_v >= 0)
        keys.append(h_v[ok] * n_off + h_o[ok])
        reasons.append(np.ones(int(ok.sum()), dtype=np.int64))
    # One exclusion per pair; a recusal wins over a repeat (reason 0 sorts first).
    both = np.sort(np.concatenate(keys) * 2 + np.concatenate(reasons))
    first = np.ones(both.shape[0], dtype=bool)
    first[1:] = (both[1:] >> 1) != (both[:-1] >> 1)
    all_keys, all_reasons = both[first] >> 1, both[first] & 1
    excl_v = all_keys // max(n_off, 1)
    excl_o = all_keys % max(n_off, 1)
    excl_ptr = np.zeros(len(codes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(excl_v, minlength=len(codes)), out=excl_ptr[1:])

    prob = _Problem(
        visits_in=visit_list,
        vin=vin,
        codes=codes,
        k=k,
        profile=profile,
        orow=orow,
        ids=ids,
        active=active,
        expert=expert,
        dept=dept,
        bits=bits,
        skill_names=officers.skills.names,
        dept_names=dept_names,
        cap=cap,
        dept_ok=dept_ok,
        area_ok=area_ok,
        u_visit=u_visit,
        u_officer=u_officer,
        rank_order=rank_order,
        excl_v=excl_v,
        excl_o=excl_o,
        excl_reason=all_reasons,
        excl_ptr=excl_ptr,
        recusals=recusals,
    )
    _build_blocks(prob, canon_visits, rules)
    return prob


def _dept_codes(prob: _Problem, depts: Iterable[str]) -> list[int]:
    return [prob.dept_names.index(d) for d in depts if d in prob.dept_names]


def _build_blocks(
    prob: _Problem,
    canon_visits: list[Visit],
    rules: MatchingRules,
    nest: Mapping[int, int] | None = None,
    pairs: Mapping[int, str] | None = None,
    covers: Mapping[int, _Cover] | None = None,
) -> None:
    """Candidate-block templates of every visit.

    ``nest`` maps a canonical visit with one skill and several departments to the department
    code (or ``_OUTSIDE``) whose officers alone may fill its skill requirement; that
    department's own requirement is then implied and dropped, so the visit's requirement groups
    are disjoint. ``pairs`` maps a canonical visit needing two skills ``s1 < s2`` (and no
    department requirements) to ``"both"`` (one requirement: an officer holding both) or
    ``"split"`` (two: a holder of ``s1`` without ``s2``, a holder of ``s2`` without ``s1``);
    either way the groups are disjoint and no expert is called. ``covers`` maps any other visit
    whose requirements overlap to the cover drawn for it (see :func:`_cover_options`): one block
    per group, each of the officers (or experts) meeting exactly that group's requirements.
    """
    nest = nest or {}
    pairs = pairs or {}
    covers = covers or {}
    n_off = prob.n_officers
    pools: dict[tuple[Any, ...], int] = {}
    pool_arrays: list[Ints] = []
    officer_ok = prob.active & ~prob.expert
    expert_ok = prob.active & prob.expert
    ranked = prob.rank_order

    def skill_bit(s: str) -> int:
        return 1 << prob.skill_names.index(s) if s in prob.skill_names else 0

    def pool(
        p: int,
        kind: int,
        value: str,
        within: int = _ANY,
        depts: tuple[str, ...] = (),
        bit: int = 0,
        nobit: int = 0,
        avoid: tuple[_Rule, ...] = (),
    ) -> int:
        key = (p if kind != _EXPERT else -1, kind, value, within, depts, bit, nobit, avoid)
        hit = pools.get(key)
        if hit is not None:
            return hit
        if kind == _EXPERT:
            # holds every skill of ``bit`` and none of ``nobit``
            mask = expert_ok & ((prob.bits & np.uint64(bit)) == np.uint64(bit)) & (bit != 0)
            mask &= (prob.bits & np.uint64(nobit)) == 0
        else:
            mask = officer_ok & prob.dept_ok[p] & prob.area_ok[p]
            if kind == _SKILL:
                # holds every skill of ``bit`` (one unless paired) and none of ``nobit``
                mask &= ((prob.bits & np.uint64(bit)) == np.uint64(bit)) & (bit != 0)
                mask &= (prob.bits & np.uint64(nobit)) == 0
                if within >= 0:
                    mask &= prob.dept == within
                elif within == _OUTSIDE:
                    mask &= ~np.isin(prob.dept, _dept_codes(prob, depts))
            elif kind == _DEPT:
                code = prob.dept_names.index(value) if value in prob.dept_names else -1
                mask &= prob.dept == code
        for b, d in avoid:  # not those who meet an earlier group's requirement (a cover's)
            meets = (prob.bits & np.uint64(b)) == np.uint64(b)
            mask &= ~(meets & (prob.dept == d)) if d >= 0 else ~meets
        pools[key] = len(pool_arrays)
        pool_arrays.append(ranked[mask[ranked]])
        return pools[key]

    signatures: dict[tuple[Any, ...], int] = {}
    # (kind, pool, label, skills, one of a skill's officer/expert pair of blocks)
    templates: list[list[tuple[int, int, str, int, bool]]] = []
    sig_of = np.empty(prob.n_visits, dtype=np.int64)
    for i, v in enumerate(canon_visits):
        skills = v.skills if rules.require_skills else ()
        depts = v.departments if (rules.require_each_department and len(v.departments) >= 2) else ()
        within = nest.get(i, _ANY)
        case = pairs.get(i, "")
        cover = covers.get(i)
        key = (int(prob.profile[i]), skills, depts, within, case, cover)
        sig = signatures.get(key)
        if sig is None:
            p = int(prob.profile[i])
            out_of = depts if within == _OUTSIDE else ()
            tpl = [(_FREE, pool(p, _FREE, ""), "", 0, False)]
            if cover is not None:
                for g_kind, label, (bit, dept), avoid in cover:
                    g_within = dept if g_kind == _SKILL and dept >= 0 else _ANY
                    blk = pool(p, g_kind, label, g_within, (), bit, 0, avoid)
                    tpl.append((g_kind, blk, label, bit, False))
                skills = depts = ()
            if case:
                b1, b2 = skill_bit(skills[0]), skill_bit(skills[1])
                parts = (
                    [(skills[0] + "+" + skills[1], b1 | b2, 0)]
                    if case == "both"
                    else [(skills[0], b1, b2), (skills[1], b2, b1)]
                )
                for label, bit, nobit in parts:
                    blk = pool(p, _SKILL, label, bit=bit, nobit=nobit)
                    tpl.append((_SKILL, blk, label, bit, False))
                skills = ()
            for s in skills:
                b = skill_bit(s)
                tpl.append((_SKILL, pool(p, _SKILL, s, within, out_of, b), s, b, True))
                if rules.experts_for_skills:
                    tpl.append((_EXPERT, pool(p, _EXPERT, s, bit=b), s, b, True))
            for d in depts:
                if within >= 0 and prob.dept_names[within] == d:
                    continue  # implied by the skill holder of this department
                tpl.append((_DEPT, pool(p, _DEPT, d), d, 0, False))
            sig = signatures[key] = len(templates)
            templates.append(tpl)
        sig_of[i] = sig

    sizes = np.array([len(t) for t in templates], dtype=np.int64)
    flat_kind = np.array([x[0] for t in templates for x in t], dtype=np.int64)
    flat_pool = np.array([x[1] for t in templates for x in t], dtype=np.int64)
    flat_label = [x[2] for t in templates for x in t]
    flat_bit = np.array([x[3] for t in templates for x in t], dtype=np.uint64)
    flat_auto = np.array([x[4] for t in templates for x in t], dtype=bool)
    flat_dept = np.array(
        [
            (prob.dept_names.index(x[2]) if x[2] in prob.dept_names else -2)
            if x[0] == _DEPT
            else -1
            for t in templates
            for x in t
        ],
        dtype=np.int64,
    )
    sig_start = np.zeros(len(templates) + 1, dtype=np.int64)
    np.cumsum(sizes, out=sig_start[1:])
    per_visit = sizes[sig_of]
    blk_visit = np.repeat(np.arange(prob.n_visits, dtype=np.int64), per_visit)
    starts = np.zeros(prob.n_visits + 1, dtype=np.int64)
    np.cumsum(per_visit, out=starts[1:])
    local = np.arange(blk_visit.shape[0], dtype=np.int64) - starts[blk_visit]
    flat = sig_start[sig_of[blk_visit]] + local
    prob.blk_visit = blk_visit
    prob.blk_kind = flat_kind[flat]
    prob.blk_pool = flat_pool[flat]
    prob.blk_label = [flat_label[j] for j in flat.tolist()]
    prob.blk_bit = flat_bit[flat]
    prob.blk_dept = flat_dept[flat]
    prob.blk_auto = flat_auto[flat]

    lengths = np.array([a.shape[0] for a in pool_arrays], dtype=np.int64)
    prob.pool_ptr = np.zeros(len(pool_arrays) + 1, dtype=np.int64)
    np.cumsum(lengths, out=prob.pool_ptr[1:])
    prob.pool_members = (
        np.concatenate(pool_arrays) if pool_arrays else np.zeros(0, np.int64)
    ).astype(np.int64)
    pos = np.full((len(pool_arrays), n_off), -1, dtype=np.int32)
    for j, arr in enumerate(pool_arrays):
        pos[j, arr] = np.arange(arr.shape[0], dtype=np.int32)
    prob.pool_pos = pos

    # Excluded pool positions per block, as sorted "adjusted" keys for the block selection.
    n_ex = prob.excl_ptr[1:] - prob.excl_ptr[:-1]
    per_blk = n_ex[blk_visit]
    rep = np.repeat(np.arange(blk_visit.shape[0], dtype=np.int64), per_blk)
    bstart = np.zeros(blk_visit.shape[0] + 1, dtype=np.int64)
    np.cumsum(per_blk, out=bstart[1:])
    idx = prob.excl_ptr[blk_visit[rep]] + (np.arange(rep.shape[0], dtype=np.int64) - bstart[rep])
    xpos = pos[prob.blk_pool[rep], prob.excl_o[idx]].astype(np.int64)
    valid = xpos >= 0
    rep, xpos = rep[valid], xpos[valid]
    o2 = np.lexsort((xpos, rep))
    rep, xpos = rep[o2], xpos[o2]
    n_excl_blk = np.bincount(rep, minlength=blk_visit.shape[0]).astype(np.int64)
    ex_start = np.zeros(blk_visit.shape[0] + 1, dtype=np.int64)
    np.cumsum(n_excl_blk, out=ex_start[1:])
    ordinal = np.arange(rep.shape[0], dtype=np.int64) - ex_start[rep]
    big = int(lengths.max(initial=0)) + 2
    prob.excl_keys = rep * big + (xpos - ordinal)
    prob.excl_block_start = ex_start
    prob.blk_count = lengths[prob.blk_pool] - n_excl_blk

    # Which blocks a visit uses: skills go to officers when any is eligible, else to experts
    # (a cover's blocks are all used: it was drawn from the eligible officers and experts).
    kind, count = prob.blk_kind, prob.blk_count
    used = (kind != _EXPERT) | ~prob.blk_auto
    sib = np.flatnonzero((kind == _EXPERT) & prob.blk_auto) - 1  # its _SKILL block
    used[sib] = count[sib] > 0
    used[sib + 1] = count[sib] == 0
    prob.blk_used = used


# --------------------------------------------------------------------------------------------
# Diagnosis


def _why_not(prob: _Problem, v: int, mask: Bools) -> dict[str, int]:
    """Among officers in ``mask``, how many each rule keeps from visit ``v`` (first rule wins)."""
    p = int(prob.profile[v])
    excl = np.zeros(prob.n_officers, dtype=np.int64) - 1
    lo, hi = int(prob.excl_ptr[v]), int(prob.excl_ptr[v + 1])
    excl[prob.excl_o[lo:hi]] = prob.excl_reason[lo:hi]
    left = mask.copy()
    out: dict[str, int] = {}
    for name, cond in (
        ("inactive", ~prob.active),
        ("department", ~prob.dept_ok[p]),
        ("area", ~prob.area_ok[p]),
        ("recused", excl == 0),
        ("repeat", excl == 1),
    ):
        hit = left & cond
        if hit.any():
            out[name] = int(hit.sum())
        left &= ~hit
    return out


def _breakdown(counts: Mapping[str, int]) -> str:
    words = dict(_REASONS)
    return ", ".join(f"{n} {words[r]}" for r, n in counts.items())


def _only(n: int, counts: Mapping[str, int], noun: str) -> str:
    if n == 0:
        return f"no {noun} in the roster has it"
    if len(counts) == 1:
        ((reason, _),) = counts.items()
        who = f"the only {n} {noun}s with it are" if n > 1 else f"the only {noun} with it is"
        return f"{who} {dict(_REASONS)[reason]}"
    return f"none of the {n} {noun}s with it is eligible: {_breakdown(counts)}"


def _precheck(prob: _Problem, rules: MatchingRules) -> list[str]:
    reasons: list[str] = []
    kind, count, used, bv = prob.blk_kind, prob.blk_count, prob.blk_used, prob.blk_visit
    officer_ok = ~prob.expert
    # team size
    free = np.flatnonzero(kind == _FREE)
    short = free[count[free] < prob.k[bv[free]]]
    for b in short.tolist():
        v = int(bv[b])
        n_all = int(officer_ok.sum())
        why = _why_not(prob, v, officer_ok)
        reasons.append(
            f"visit {prob.codes[v]} needs {prob.k[v]} officers [执法人员不得少于两人, 行政处罚法 "
            f"第四十二条] but only {int(count[b])} of the {n_all} officers are eligible"
            + (f": {_breakdown(why)}" if why else "")
        )
    # skills
    skill = np.flatnonzero(kind == _SKILL)
    has_expert_blk = np.zeros(kind.shape[0], dtype=bool)
    exp_b = np.flatnonzero(kind == _EXPERT)
    has_expert_blk[exp_b - 1] = True
    for b in skill.tolist():
        if count[b] > 0 or (has_expert_blk[b] and count[b + 1] > 0):
            continue
        v = int(bv[b])
        s = prob.blk_label[b]
        with_s = officer_ok & ((prob.bits & prob.blk_bit[b]) != 0)
        n_s = int(with_s.sum())
        msg = f"visit {prob.codes[v]} needs the skill {s} [专业检查]; " + _only(
            n_s, _why_not(prob, v, with_s), "officer"
        )
        if rules.experts_for_skills:
            ex = prob.expert & ((prob.bits & prob.blk_bit[b]) != 0)
            n_e = int(ex.sum())
            ex_why = {
                r: c
                for r, c in _why_not(prob, v, ex).items()
                if r in ("inactive", "recused", "repeat")
            }
            msg += "; " + (
                "no expert [专家库] has it either"
                if n_e == 0
                else f"and the {n_e} expert{'s' if n_e > 1 else ''} [专家库] with it "
                f"{'are' if n_e > 1 else 'is'} not eligible: {_breakdown(ex_why)}"
            )
        reasons.append(msg)
    # departments of joint visits
    for b in np.flatnonzero((kind == _DEPT) & (count == 0)).tolist():
        v = int(bv[b])
        d = prob.blk_label[b]
        of_d = officer_ok & (prob.dept == int(prob.blk_dept[b]))
        n_d = int(of_d.sum())
        why = _why_not(prob, v, of_d)
        reasons.append(
            f"joint visit {prob.codes[v]} needs an officer of department {d} [部门联合]; "
            + (
                f"the roster has no officer of {d}"
                if n_d == 0
                else f"none of its {n_d} officers is eligible: {_breakdown(why)}"
            )
        )
    if reasons:
        return reasons
    # aggregate (Hall-type) checks on load caps
    ok = prob.active & ~prob.expert
    need = int(prob.k.sum())
    capacity = int(np.minimum(prob.cap[ok], prob.n_visits).sum())
    if need > capacity:
        reasons.append(
            f"the batch needs {need} officer places but the {int(ok.sum())} active officers can "
            f"take at most {capacity} in all [任务上限]; raise load caps or add officers"
        )
    for kind_code, word, pool_mask in (
        (_SKILL, "officers", ok),
        (_EXPERT, "experts [专家库]", prob.active & prob.expert),
    ):
        sel = np.flatnonzero(used & (kind == kind_code))
        for s in sorted({prob.blk_label[b] for b in sel.tolist()}):
            demand = sum(1 for b in sel.tolist() if prob.blk_label[b] == s)
            bit = np.uint64(1 << prob.skill_names.index(s))
            holders = pool_mask & ((prob.bits & bit) != 0)
            cap_s = int(np.minimum(prob.cap[holders], prob.n_visits).sum())
            if demand > cap_s:
                reasons.append(
                    f"{demand} visits need the skill {s} [专业检查] but the "
                    f"{int(holders.sum())} {word} with it can take at most {cap_s} [任务上限]"
                )
    return reasons


def _raise(reasons: list[str]) -> None:
    shown = reasons[:_MAX_LISTED]
    more = len(reasons) - len(shown)
    head = (
        "no assignment of officers satisfies every rule:\n  - "
        + "\n  - ".join(shown)
        + (f"\n  … and {more} more" if more else "")
    )
    raise InfeasibleMatchingError(head, reasons)


# --------------------------------------------------------------------------------------------
# Candidate graph


@attrs.define
class _Graph:
    """Candidate edges of a batch (canonical indices) with integer targets at scale ``scale``."""

    scale: int
    dyadic: bool
    # officer edges
    ev: Ints
    eo: Ints
    et: Ints  # target, in units of 1/scale
    # requirement groups (skills, departments): one per used block
    gv: Ints
    g_member: list[Ints]  # officer-edge indices in each group
    # expert seats: one per used _EXPERT block
    sv: Ints
    sl: list[str]
    s_auto: Bools  # seat of a skill that may share its expert with another seat of the visit
    xe_seat: Ints
    xe_o: Ints
    xe_t: Ints
    free_places: Ints  # k minus groups, per visit (may be < 0)
    laminar: bool


def _select(prob: _Problem, blocks: Ints, size: Ints) -> tuple[Ints, Ints]:
    """Officers chosen by each block: ``size[b]`` consecutive eligible ones from a random start."""
    n = prob.blk_count[blocks]
    rep = np.repeat(np.arange(blocks.shape[0], dtype=np.int64), size)
    st = np.zeros(blocks.shape[0] + 1, dtype=np.int64)
    np.cumsum(size, out=st[1:])
    j = np.arange(rep.shape[0], dtype=np.int64) - st[rep]
    b = blocks[rep]
    n_r = n[rep]
    start = np.floor(prob.u_visit[prob.blk_visit[b]] * n_r).astype(np.int64)
    r = (start + j) % np.maximum(n_r, 1)
    bigm = int((prob.pool_ptr[1:] - prob.pool_ptr[:-1]).max(initial=0)) + 2
    q = b * bigm + r
    cnt = np.searchsorted(prob.excl_keys, q, side="right") - prob.excl_block_start[b]
    pos = r + cnt
    officer = prob.pool_members[prob.pool_ptr[prob.blk_pool[b]] + pos]
    return rep, officer


def _graph(prob: _Problem, rules: MatchingRules, full: Bools) -> _Graph:
    used = np.flatnonzero(prob.blk_used)
    kind = prob.blk_kind[used]
    bv = prob.blk_visit[used]
    n = prob.blk_count[used]
    req = (kind == _SKILL) | (kind == _DEPT)
    groups_per_visit = np.bincount(bv[req], minlength=prob.n_visits).astype(np.int64)
    free_places = prob.k - groups_per_visit
    size = np.where(full[bv], n, _pow2_floor(np.minimum(n, rules.candidates)))
    dyadic = not bool(full.any())
    if dyadic:
        r_bits = int(math.log2(int(size.max(initial=1))))
    else:
        r_bits = max(_LP_BITS, math.ceil(math.log2(max(int(size.max(initial=1)), 2))) + 4)
    r_bits = max(r_bits, 1)
    scale = 1 << r_bits
    rep, officer = _select(prob, used, size)
    bsel = used[rep]
    k_sel = kind[rep]
    v_sel = bv[rep]
    sz = size[rep]
    weight = np.where(k_sel == _FREE, np.maximum(free_places[v_sel], 0), 1)
    t = (weight * scale) // sz

    is_x = k_sel == _EXPERT
    off = ~is_x
    key = v_sel[off] * prob.n_officers + officer[off]
    uniq, inv = np.unique(key, return_inverse=True)
    et = np.bincount(inv, weights=t[off], minlength=uniq.shape[0]).astype(np.int64)
    ev = uniq // prob.n_officers
    eo = uniq % prob.n_officers

    # Requirement groups: all candidate officers of the visit satisfying the requirement.
    g_blocks = used[req]
    gv = prob.blk_visit[g_blocks]
    e_ptr = np.zeros(prob.n_visits + 1, dtype=np.int64)
    np.cumsum(np.bincount(ev, minlength=prob.n_visits), out=e_ptr[1:])
    g_member: list[Ints] = []
    if g_blocks.shape[0]:
        cnt = e_ptr[gv + 1] - e_ptr[gv]
        grep = np.repeat(np.arange(g_blocks.shape[0], dtype=np.int64), cnt)
        gst = np.zeros(g_blocks.shape[0] + 1, dtype=np.int64)
        np.cumsum(cnt, out=gst[1:])
        eidx = e_ptr[gv[grep]] + np.arange(grep.shape[0], dtype=np.int64) - gst[grep]
        o = eo[eidx]
        # Every candidate is eligible for the visit, so it meets the requirement iff it is in
        # the requirement's pool (the visit's eligible officers who meet it).
        member = prob.pool_pos[prob.blk_pool[g_blocks[grep]], o] >= 0
        eidx, grep = eidx[member], grep[member]
        gptr = np.zeros(g_blocks.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(grep, minlength=g_blocks.shape[0]), out=gptr[1:])
        g_member = [eidx[gptr[i] : gptr[i + 1]] for i in range(g_blocks.shape[0])]

    # Laminar: within each visit, any two requirement groups are nested or disjoint.
    laminar = True
    multi = np.flatnonzero(groups_per_visit >= 2)
    if multi.shape[0]:
        g_by_v: dict[int, list[int]] = {}
        for gi, v in enumerate(gv.tolist()):
            g_by_v.setdefault(v, []).append(gi)
        for v in multi.tolist():
            sets = [set(g_member[gi].tolist()) for gi in g_by_v[v]]
            for i in range(len(sets)):
                for j in range(i + 1, len(sets)):
                    a, b = sets[i], sets[j]
                    if a & b and not (a <= b or b <= a):
                        laminar = False
                        break

    seat_blocks = used[kind == _EXPERT]
    seat_id = np.full(prob.blk_kind.shape[0], -1, dtype=np.int64)
    seat_id[seat_blocks] = np.arange(seat_blocks.shape[0])
    return _Graph(
        scale=scale,
        dyadic=dyadic,
        ev=ev,
        eo=eo,
        et=et,
        gv=gv,
        g_member=g_member,
        sv=prob.blk_visit[seat_blocks],
        sl=[prob.blk_label[b] for b in seat_blocks.tolist()],
        s_auto=prob.blk_auto[seat_blocks],
        xe_seat=seat_id[bsel[is_x]],
        xe_o=officer[is_x],
        xe_t=t[is_x],
        free_places=free_places,
        laminar=laminar,
    )


# --------------------------------------------------------------------------------------------
# Marginals: targets or LP


def _cap_units(rules: MatchingRules, scale: int) -> int:
    return scale if rules.pair_cap is None else max(1, math.floor(rules.pair_cap * scale))


def _multi_seat(g: _Graph) -> bool:
    """Whether a visit needs experts for two or more skills (one expert may cover both).

    A cover's seats do not count: each takes the experts with exactly its skills.
    """
    sv = g.sv[g.s_auto]
    return bool(sv.shape[0] and np.bincount(sv).max() >= 2)


def _targets_feasible(prob: _Problem, g: _Graph, rules: MatchingRules) -> bool:
    if not g.dyadic or not g.laminar or (g.free_places < 0).any() or _multi_seat(g):
        return False
    qu = _cap_units(rules, g.scale)
    if (g.et > qu).any() or (g.xe_t > qu).any():
        return False
    load = np.bincount(g.eo, weights=g.et, minlength=prob.n_officers)
    load += np.bincount(g.xe_o, weights=g.xe_t, minlength=prob.n_officers)
    return bool((load <= prob.cap * g.scale).all())


@attrs.define
class _FlowResult:
    y: Ints  # officer edges, units of 1/scale
    xy: Ints  # expert edges
    failing: Ints  # canonical visits with an unfilled place, requirement or seat
    blocked: Ints = attrs.field(factory=lambda: np.zeros(0, np.int64))  # see _solve_flow


def _disjoint(g: _Graph) -> bool:
    """Whether every officer edge is in at most one requirement group (slots need it)."""
    if not g.g_member:
        return True
    allm = np.concatenate(g.g_member)
    return bool(np.unique(allm).shape[0] == allm.shape[0])


def _solve_flow(prob: _Problem, g: _Graph, rules: MatchingRules) -> _FlowResult:
    """Marginals by maximum flow in three phases: up to the targets, up to the cap, beyond it.

    Network: S → slot (free places of a visit, one per requirement group, one per expert seat)
    → [pair node for group members] → officer → T (load cap). Every capacity is an integer in
    units of ``1/scale``, so the maximum flow is integral and the marginals are multiples of
    ``1/scale``. The demand is met iff some assignment satisfies every rule on this candidate graph.
    """
    from randcheck import _matching_lp as lp  # scipy: imported when used

    scale = g.scale
    qu = _cap_units(rules, scale)
    n_off, n_vis = prob.n_officers, prob.n_visits
    n_e = g.ev.shape[0]
    n_g, n_s = g.gv.shape[0], g.sv.shape[0]
    group_of = np.full(n_e, -1, dtype=np.int64)
    for gi, members in enumerate(g.g_member):
        group_of[members] = gi
    members = np.flatnonzero(group_of >= 0)
    n_p = members.shape[0]
    node_free = 2 + n_off
    node_group = node_free + n_vis
    node_seat = node_group + n_g
    node_pair = node_seat + n_s
    n_nodes = node_pair + n_p
    pair_node = np.full(n_e, -1, dtype=np.int64)
    pair_node[members] = node_pair + np.arange(n_p)
    # Fixed arcs (same capacity in every phase).
    fixed_t = np.concatenate(
        [
            np.zeros(n_vis + n_g + n_s, np.int64),
            node_free + g.ev[members],
            node_group + group_of[members],
            2 + np.arange(n_off),
        ]
    )
    fixed_h = np.concatenate(
        [
            node_free + np.arange(n_vis),
            node_group + np.arange(n_g),
            node_seat + np.arange(n_s),
            pair_node[members],
            pair_node[members],
            np.ones(n_off, np.int64),
        ]
    )
    fixed_c = np.concatenate(
        [
            np.maximum(g.free_places, 0) * scale,
            np.full(n_g + n_s, scale, np.int64),
            np.full(2 * n_p, scale, np.int64),
            np.minimum(prob.cap, n_vis) * scale,
        ]
    )
    # Phase arcs: the last arc into each officer or expert.
    arc_t = np.concatenate(
        [np.where(pair_node >= 0, pair_node, node_free + g.ev), node_seat + g.xe_seat]
    )
    arc_h = np.concatenate([2 + g.eo, 2 + g.xe_o])
    t = np.concatenate([g.et, g.xe_t])
    phases = [
        np.minimum(t, qu),
        np.full(t.shape[0], qu, np.int64),
        np.full(t.shape[0], scale, np.int64),
    ]
    tails = np.concatenate([fixed_t, arc_t])
    heads = np.concatenate([fixed_h, arc_h])
    n_fixed = fixed_t.shape[0]
    flow = np.zeros(tails.shape[0], dtype=np.int64)
    demand = int(fixed_c[: n_vis + n_g + n_s].sum())
    for caps in phases:
        cap_all = np.concatenate([fixed_c, caps])
        flow += lp.augment(tails, heads, cap_all, flow, n_nodes)
        if int(flow[: n_vis + n_g + n_s].sum()) == demand:
            break
    y = flow[n_fixed:]
    short = flow[: n_vis + n_g + n_s] < fixed_c[: n_vis + n_g + n_s]
    fail = set(np.flatnonzero(short[:n_vis]).tolist())
    fail |= set(g.gv[short[n_vis : n_vis + n_g]].tolist())
    fail |= set(g.sv[short[n_vis + n_g :]].tolist())
    blocked = np.zeros(0, dtype=np.int64)
    if fail:
        # Min cut: the visits with a place reachable from S in the residual network. A visit
        # outside it does not change the cut's capacity by changing its own requirements.
        from scipy import sparse
        from scipy.sparse.csgraph import breadth_first_order

        fwd = flow < cap_all
        back = flow > 0
        res_t = np.concatenate([tails[fwd], heads[back]])
        res_h = np.concatenate([heads[fwd], tails[back]])
        net = sparse.csr_matrix((np.ones(res_t.shape[0]), (res_t, res_h)), shape=(n_nodes, n_nodes))
        seen = np.zeros(n_nodes, dtype=bool)
        seen[breadth_first_order(net, 0, return_predecessors=False)] = True
        blocked = np.unique(
            np.concatenate(
                [
                    np.flatnonzero(seen[node_free : node_free + n_vis]),
                    g.gv[seen[node_group : node_group + n_g]],
                    g.sv[seen[node_seat : node_seat + n_s]],
                ]
            )
        ).astype(np.int64)
    return _FlowResult(y[:n_e], y[n_e:], np.array(sorted(fail), dtype=np.int64), blocked)


# --------------------------------------------------------------------------------------------
# Rounding


def _edge_labels(prob: _Problem, g: _Graph, meta: Ints, idx: Ints) -> list[str]:
    """Labels (for the verifiable coins) of network edges ``idx``: stable, order independent."""
    out = []
    for kind, a, b in meta[idx].tolist():
        if kind == 0:
            out.append("T|S")
        elif kind == 1:
            out.append(f"S|{prob.ids[a]}")
        elif kind == 2:
            out.append(f"{prob.codes[a]}|{prob.ids[b]}")
        elif kind == 3:
            out.append(f"{prob.codes[g.sv[a]]}|expert:{g.sl[a]}|{prob.ids[b]}")
        elif kind == 4:
            out.append(f"{prob.codes[g.gv[a]]}|group:{a - int(np.searchsorted(g.gv, g.gv[a]))}")
        elif kind == 5:
            out.append(f"{prob.codes[a]}|T")
        else:
            out.append(f"{prob.codes[g.sv[a]]}|seat:{g.sl[a]}")
    return out


def _round(prob: _Problem, g: _Graph, y: Ints, xy: Ints, src: UniformSource) -> tuple[Ints, Ints]:
    """Round marginals ``y / scale`` (officer edges) and ``xy / scale`` (experts) by cycles."""
    from randcheck import _matching_lp as lp  # scipy: imported when used

    scale = g.scale
    n_off, n_vis = prob.n_officers, prob.n_visits
    n_groups, n_seats = g.gv.shape[0], g.sv.shape[0]
    node_v = 2 + n_off
    node_g = node_v + n_vis
    node_s = node_g + n_groups
    # Deepest requirement group of each officer edge (a laminar family is a tree).
    deepest = node_v + g.ev
    parent = node_v + g.gv
    sizes = np.array([m.shape[0] for m in g.g_member], dtype=np.int64)
    if n_groups:
        by_v: dict[int, list[int]] = {}
        for gi, v in enumerate(g.gv.tolist()):
            by_v.setdefault(v, []).append(gi)
        for gis in by_v.values():
            gis.sort(key=lambda i: (-sizes[i], i))
            if len(gis) == 1:
                deepest[g.g_member[gis[0]]] = node_g + gis[0]
                continue
            sets = [set(g.g_member[i].tolist()) for i in gis]
            for pos, gi in enumerate(gis):  # parents come before children
                for prev in range(pos - 1, -1, -1):
                    if sets[pos] <= sets[prev]:
                        parent[gi] = node_g + gis[prev]
                        break
                deepest[g.g_member[gi]] = node_g + gi
    group_flow = np.zeros(n_groups, dtype=np.int64)
    direct = deepest >= node_g
    np.add.at(group_flow, deepest[direct] - node_g, y[direct])
    # Nested groups: add each child's flow to its parent, children first.
    for gi in sorted(np.flatnonzero(parent >= node_g).tolist(), key=lambda i: (int(sizes[i]), -i)):
        group_flow[parent[gi] - node_g] += group_flow[gi]
    load = np.bincount(g.eo, weights=y, minlength=n_off).astype(np.int64)
    load += np.bincount(g.xe_o, weights=xy, minlength=n_off).astype(np.int64)
    has = np.flatnonzero(load > 0)
    total = int(prob.k.sum()) * scale + n_seats * scale
    tails = [
        np.array([1]),
        np.zeros(has.shape[0], np.int64),
        2 + g.eo,
        2 + g.xe_o,
        node_g + np.arange(n_groups),
        node_v + np.arange(n_vis),
        node_s + np.arange(n_seats),
    ]
    heads = [
        np.array([0]),
        2 + has,
        deepest,
        node_s + g.xe_seat,
        parent,
        np.ones(n_vis, np.int64),
        np.ones(n_seats, np.int64),
    ]
    values = [
        np.array([total]),
        load[has],
        y,
        xy,
        group_flow,
        prob.k * scale,
        np.full(n_seats, scale, dtype=np.int64),
    ]
    u_o = prob.u_officer
    u_v = prob.u_visit
    keys = [
        np.zeros(1),
        u_o[has],
        np.mod(u_v[g.ev] + u_o[g.eo], 1.0),
        np.mod(u_v[g.sv[g.xe_seat]] + u_o[g.xe_o], 1.0) if n_seats else np.zeros(0),
        u_v[g.gv],
        u_v,
        u_v[g.sv],
    ]
    meta = np.concatenate(
        [
            np.array([[0, 0, 0]]),
            np.column_stack([np.ones_like(has), has, has]),
            np.column_stack([np.full_like(g.ev, 2), g.ev, g.eo]),
            np.column_stack([np.full_like(g.xe_o, 3), g.xe_seat, g.xe_o]),
            np.column_stack([np.full(n_groups, 4), np.arange(n_groups), np.arange(n_groups)]),
            np.column_stack([np.full(n_vis, 5), np.arange(n_vis), np.arange(n_vis)]),
            np.column_stack([np.full(n_seats, 6), np.arange(n_seats), np.arange(n_seats)]),
        ]
    ).astype(np.int64)
    tail = np.concatenate(tails).astype(np.int64)
    head = np.concatenate(heads).astype(np.int64)
    value = np.concatenate(values).astype(np.int64)
    key = np.concatenate(keys).astype(np.float64)
    levels = int(scale).bit_length() - 1

    def coins(level: int, rep: Ints) -> Bools:
        child = src.child(f"round/{level}")
        if child.verifiable:
            labels = np.array(_edge_labels(prob, g, meta, rep), dtype=STRING)
            u = child.uniforms(labels)
        else:
            u = child.uniforms(np.empty(rep.shape[0]))
        out: Bools = u < 0.5
        return out

    out = lp.dyadic_round(tail, head, value, levels, key, coins)
    n_e = g.ev.shape[0]
    lo = 1 + has.shape[0]
    return out[lo : lo + n_e], out[lo + n_e : lo + n_e + g.xe_o.shape[0]]


# --------------------------------------------------------------------------------------------
# MILP fallback (non-laminar requirements): exact feasibility, random weights, no exact marginals


def _solve_milp(prob: _Problem, g: _Graph, src: UniformSource) -> tuple[Ints, Ints] | None:
    """One 0/1 variable per officer–visit pair and per expert–visit pair (an expert may cover
    several skills of a visit and counts once against their load); random weights from the
    source choose among the feasible assignments, and the fewest experts are called."""
    from scipy import sparse  # imported when used: keeps `import randcheck` fast

    from randcheck import _matching_lp as lp

    n_e = g.ev.shape[0]
    x_key = g.sv[g.xe_seat] * prob.n_officers + g.xe_o
    x_uniq, x_inv = np.unique(x_key, return_inverse=True)
    xv, xo = x_uniq // max(prob.n_officers, 1), x_uniq % max(prob.n_officers, 1)
    n_x = x_uniq.shape[0]
    n = n_e + n_x
    child = src.child("milp")
    if child.verifiable:
        labels = [
            f"{prob.codes[v]}|{prob.ids[o]}"
            for v, o in zip(
                np.concatenate([g.ev, xv]).tolist(),
                np.concatenate([g.eo, xo]).tolist(),
                strict=True,
            )
        ]
        w = child.uniforms(np.array(labels, dtype=STRING))
    else:
        w = child.uniforms(np.empty(n))
    cost = np.concatenate([-w[:n_e], 1.0 + 0.5 * w[n_e:]])
    rows: list[Ints] = []
    cols: list[Ints] = []
    lo: list[Floats] = []
    hi: list[Floats] = []
    r0 = 0
    rows.append(g.ev)  # team size (officers only)
    cols.append(np.arange(n_e))
    lo.append(prob.k.astype(np.float64))
    hi.append(prob.k.astype(np.float64))
    r0 += prob.n_visits
    rows.append(r0 + g.xe_seat)  # each expert seat covered
    cols.append(n_e + x_inv)
    lo.append(np.ones(g.sv.shape[0]))
    hi.append(np.full(g.sv.shape[0], np.inf))
    r0 += g.sv.shape[0]
    rows.append(r0 + np.concatenate([g.eo, xo]))  # load caps
    cols.append(np.arange(n))
    lo.append(np.zeros(prob.n_officers))
    hi.append(prob.cap.astype(np.float64))
    r0 += prob.n_officers
    for gi, members in enumerate(g.g_member):  # requirement groups
        rows.append(np.full(members.shape[0], r0 + gi))
        cols.append(members)
    lo.append(np.ones(len(g.g_member)))
    hi.append(np.full(len(g.g_member), np.inf))
    r0 += len(g.g_member)
    a = sparse.csr_matrix(
        (np.ones(sum(r.shape[0] for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
        shape=(r0, n),
    )
    x = lp.solve_milp(cost, a, np.concatenate(lo), np.concatenate(hi))
    if x is None:
        return None
    xi = x.astype(np.int64)
    return xi[:n_e], xi[n_e:][x_inv]


# --------------------------------------------------------------------------------------------
# Public API


def _source(
    seed: str | None, rng: Any, source: UniformSource | None, key_label: str
) -> UniformSource:
    if source is not None:
        if seed is not None or rng is not None:
            raise PlanError("give source= alone, or seed= or rng=, not both")
        return source
    return source_for(seed, rng).child(key_label)


def _hall_message(prob: _Problem, failing: Ints, g: _Graph) -> list[str]:
    near = np.isin(g.ev, failing)
    officers = np.unique(g.eo[near])
    demand = int(prob.k[failing].sum())
    capacity = int(np.minimum(prob.cap[officers], prob.n_visits).sum())
    shown = ", ".join(prob.codes[v] for v in failing[:_MAX_LISTED].tolist())
    more = f" and {failing.shape[0] - _MAX_LISTED} more" if failing.shape[0] > _MAX_LISTED else ""
    why = (
        f"the {officers.shape[0]} officers eligible for them can take at most {capacity} "
        f"visits in all [任务上限]"
        if capacity < demand
        else f"the {officers.shape[0]} officers eligible for them are needed by other visits "
        f"too and their load caps [任务上限] allow {capacity} visits in all"
    )
    return [
        f"visits {shown}{more} cannot all be staffed together: they need {demand} officer "
        f"places (with their skill and department requirements), but {why}; raise load caps, "
        f"add officers or split the batch"
    ]


def _milp_infeasible(prob: _Problem, g: _Graph) -> list[str]:
    multi = np.flatnonzero(np.bincount(g.gv, minlength=prob.n_visits) >= 2)
    shown = ", ".join(prob.codes[v] for v in multi[:_MAX_LISTED].tolist())
    return [
        f"no assignment meets every team size, load cap [任务上限] and requirement together; "
        f"visits with several requirements (skills [专业检查] and departments [部门联合]) that "
        f"compete for the same officers: {shown or 'none'}; raise load caps, add officers or "
        f"split the batch"
    ]


def _check_jurisdiction(
    visits: Sequence[Visit], officers: OfficerRoster, rules: MatchingRules
) -> None:
    """所所交叉 needs officers' areas that are area codes (or prefixes) of the visits' areas.

    Without them the rule would silently exclude nobody, so that is refused.
    """
    own = {a for a in officers.area.categories if a}
    own |= {a for areas in rules.unit_areas.values() for a in areas if a}
    visit_areas = {v.area for v in visits if v.area}
    if visit_areas and not any(va.startswith(a) for va in visit_areas for a in own):
        raise PlanError(
            "cross_jurisdiction (所所交叉): no officer's area is the area (or a prefix of the "
            "area) of any visit, so the rule would exclude nobody; put area codes in the "
            "officers' area column or give MatchingRules(unit_areas={unit: {area codes}})"
        )


def _nest_options(
    prob: _Problem, canon: list[Visit], rules: MatchingRules, src: UniformSource
) -> tuple[dict[int, list[tuple[Any, str]]], dict[int, str]]:
    """The departments that may supply the skill holder of each joint visit needing one skill.

    A joint visit (部门联合) that needs a skill held by officers of several departments has
    overlapping requirements (the skill group crosses the department groups), which the flow
    network cannot express. Choosing the department ``d`` of the skill holder makes them
    disjoint: "one officer of ``d`` with the skill" implies "one officer of ``d``". For each
    such visit, the candidates are the departments of the visit with at least one eligible
    officer holding the skill, plus ``""`` (an officer of none of the visit's departments, e.g.
    with no recorded department) when there is one and the team has a free place for them. They
    are ranked by the numbers of the child key ``nest`` for ``<credit code>|<skill>|<dept>``,
    smallest first.

    A visit needing two skills ``s1 < s2`` (and no department requirements) whose eligible
    holders overlap is met iff the team has a holder of both (case ``"both"``) or a holder of
    ``s1`` without ``s2`` and one of ``s2`` without ``s1`` (case ``"split"``); each case has
    disjoint groups. Its candidates are the cases with eligible officers, ranked by the numbers
    of ``nest`` for ``<credit code>|<s1>+<s2>|<case>``.

    Under ``randcheck-matching/2``, any other visit whose requirements overlap (a joint visit
    needing two skills, three or more skills held together, one expert for two skills) gets the
    minimal covers of :func:`_cover_options`, ranked by the numbers of ``nest`` for
    ``<credit code>|<skills>|<cover label>``.

    Returns ``{canonical visit: [(dept code or _OUTSIDE, dept name), ...]}`` (``(0, case)`` for a
    two-skill visit, ``(cover, label)`` for a cover) and the kind of each visit's options:
    ``"dept"``, ``"pair"`` or ``"cover"``.
    """
    if not rules.require_skills:
        return {}, {}
    skill_blocks: dict[int, list[int]] = {}
    for b in np.flatnonzero(prob.blk_kind == _SKILL).tolist():
        skill_blocks.setdefault(int(prob.blk_visit[b]), []).append(b)
    expert_seats: dict[int, int] = {}
    for b in np.flatnonzero((prob.blk_kind == _EXPERT) & prob.blk_used).tolist():
        seat_visit = int(prob.blk_visit[b])
        expert_seats[seat_visit] = expert_seats.get(seat_visit, 0) + 1
    covers = rules.recipe != "randcheck-matching/1"
    memo: dict[tuple[Any, ...], list[tuple[_Cover, str]]] = {}
    signatures: dict[tuple[Any, ...], Any] = {}
    opts: dict[int, list[tuple[Any, str]]] = {}
    kinds: dict[int, str] = {}
    labels: list[str] = []
    for i, v in enumerate(canon):
        blocks = skill_blocks.get(i, [])
        joint = rules.require_each_department and len(v.departments) >= 2
        n_skills = int(prob.blk_used[blocks].sum()) if blocks else 0
        pair = not joint and len(blocks) == 2 and n_skills == 2
        dept = joint and len(blocks) == 1 and n_skills == 1
        # Other overlaps need a skill group and another group, or two expert seats.
        groups = n_skills + (len(v.departments) if joint else 0)
        cover = covers and ((n_skills > 0 and groups >= 2) or expert_seats.get(i, 0) >= 2)
        if not (pair or dept or cover):
            continue
        if not (pair or dept):
            found = _cover_options(prob, i, v, joint, memo, signatures)
            if found:
                opts[i] = list(found)
                kinds[i] = "cover"
                labels += [f"{prob.codes[i]}|{'+'.join(v.skills)}|{c}" for _, c in found]
            continue
        p = int(prob.profile[i])
        ok = prob.active & ~prob.expert & prob.dept_ok[p] & prob.area_ok[p]
        ok[prob.excl_o[prob.excl_ptr[i] : prob.excl_ptr[i + 1]]] = False
        if pair:
            h1 = ok & ((prob.bits & prob.blk_bit[blocks[0]]) != 0)
            h2 = ok & ((prob.bits & prob.blk_bit[blocks[1]]) != 0)
            if not (h1 & h2).any():
                continue  # disjoint already
            cases = [(0, "both")]
            if (h1 & ~h2).any() and (h2 & ~h1).any():
                cases.append((0, "split"))
            opts[i] = list(cases)
            kinds[i] = "pair"
            labels += [f"{prob.codes[i]}|{v.skills[0]}+{v.skills[1]}|{c}" for _, c in cases]
            continue
        ok &= (prob.bits & prob.blk_bit[blocks[0]]) != 0
        codes = _dept_codes(prob, v.departments)
        here = [(c, prob.dept_names[c]) for c in codes if (ok & (prob.dept == c)).any()]
        if prob.k[i] > len(v.departments) and (ok & ~np.isin(prob.dept, codes)).any():
            here.append((_OUTSIDE, ""))
        if here:
            opts[i] = list(here)
            kinds[i] = "dept"
            labels += [f"{prob.codes[i]}|{v.skills[0]}|{d}" for _, d in here]
    if not opts:
        return opts, kinds
    u = src.child("nest").uniforms(np.array(labels, dtype=STRING)).tolist()
    at = 0
    for i, here in opts.items():
        keyed = sorted(zip(u[at : at + len(here)], labels[at : at + len(here)], here, strict=True))
        opts[i] = [h for _, _, h in keyed]
        at += len(here)
    return opts, kinds


def _partitions(need: int, sigs: Sequence[int], most: int, limit: int) -> list[tuple[int, ...]]:
    """Partitions of the bit set ``need`` into at most ``most`` parts whose groups are not empty.

    The parts come larger first (ties: smaller bit set first); the *group* of a part is the
    signatures in ``sigs`` that contain it and none of the parts before it. At most ``limit``
    partitions, in a fixed order.
    """
    found: list[tuple[int, ...]] = []

    def contains(sg: int, part: int) -> bool:
        return sg & part == part

    def extend(parts: tuple[int, ...], rest: int) -> None:
        if len(found) >= limit:
            return
        if rest == 0:
            ordered = tuple(sorted(parts, key=lambda p: (-p.bit_count(), p)))
            if all(
                any(
                    contains(sg, p) and not any(contains(sg, q) for q in ordered[:j]) for sg in sigs
                )
                for j, p in enumerate(ordered)
            ):
                found.append(ordered)
            return
        if len(parts) == most:
            return
        low = rest & -rest  # the lowest requirement not yet in a part goes in the next part
        others = rest & ~low
        sub = others
        while True:  # with every subset of the other requirements, largest first
            part = sub | low
            if any(contains(sg, part) for sg in sigs):
                extend((*parts, part), rest & ~part)
            if sub == 0:
                break
            sub = (sub - 1) & others

    extend((), need)
    return found


def _cover_options(
    prob: _Problem,
    i: int,
    visit: Visit,
    joint: bool,
    memo: dict[tuple[Any, ...], list[tuple[_Cover, str]]],
    signatures: dict[tuple[Any, ...], Any],
) -> list[tuple[_Cover, str]]:
    """Covers of a visit whose requirements overlap in a way the other nestings do not handle.

    The visit's officer requirements (each needed skill some eligible officer holds; each
    department of a joint visit) and expert requirements (needed skills only experts hold) are
    numbered. An officer's *signature* is the set of officer requirements they meet; an
    expert's, the set of expert requirements. A cover partitions the requirements into parts,
    each met by one team member: larger parts first, the part's requirement group is the eligible
    officers (experts) who meet every requirement of the part and not every requirement of any
    part before it. So the groups of a cover are disjoint, which the flow needs, and a team with
    one member in each group meets every requirement.

    No team is lost: given a team that meets every requirement, take repeatedly the member who
    meets the most requirements not yet met, and make those a part. Each member then meets its
    own part and no other part in full (either would contradict a choice of the most), so it
    is in its own part's group, whatever the order of the parts.

    Officers with a load cap of 0 have no signature (they are in no team). Every cover is
    listed, up to ``_COVER_LIMIT`` (only a visit with eight or more requirements has more).

    Returns the covers with their labels (unranked), or ``[]`` when the requirements are
    disjoint already or no cover fits the team. ``memo`` keeps them for visits with the same
    requirements, team size and signatures, ``signatures`` the officers' signatures per profile
    and requirements.
    """
    lo, hi = np.searchsorted(prob.blk_visit, [i, i + 1]).tolist()
    blocks = np.arange(lo, hi)
    used = prob.blk_used[blocks]
    kinds = prob.blk_kind[blocks]
    skills_o = [prob.blk_label[b] for b in blocks[(kinds == _SKILL) & used].tolist()]
    skills_x = [prob.blk_label[b] for b in blocks[(kinds == _EXPERT) & used].tolist()]
    depts = [d for d in visit.departments if d in prob.dept_names] if joint else []
    bit_of = {s: np.uint64(1 << prob.skill_names.index(s)) for s in skills_o + skills_x}

    codes = _dept_codes(prob, depts)
    p = int(prob.profile[i])
    at_profile = signatures.get((p, *map(tuple, (skills_o, skills_x, depts))))
    if at_profile is None:
        # Every officer's signature (-1: not eligible for the profile), and how many have each.
        def signature(mask: Bools, tests: list[Bools]) -> tuple[Ints, dict[int, int]]:
            sig = np.zeros(prob.n_officers, dtype=np.int64)
            for j, has in enumerate(tests):
                sig |= has.astype(np.int64) << j
            sig[~mask] = -1
            values, counts = np.unique(sig[mask], return_counts=True)
            return sig, dict(zip(values.tolist(), counts.tolist(), strict=True))

        tests = [(prob.bits & bit_of[s]) != 0 for s in skills_o] + [prob.dept == c for c in codes]
        room = prob.cap > 0  # an officer with a load cap of 0 is in no team
        ok = prob.active & ~prob.expert & prob.dept_ok[p] & prob.area_ok[p] & room
        x_tests = [(prob.bits & bit_of[s]) != 0 for s in skills_x]
        at_profile = (signature(ok, tests), signature(prob.active & prob.expert & room, x_tests))
        signatures[(p, *map(tuple, (skills_o, skills_x, depts)))] = at_profile
    excluded = prob.excl_o[prob.excl_ptr[i] : prob.excl_ptr[i + 1]]

    def present(sig: Ints, counts: dict[int, int]) -> list[int]:
        left = dict(counts)  # without the officers excluded from this visit
        for s in sig[excluded].tolist():
            if s >= 0:
                left[s] -= 1
        return sorted(s for s, n in left.items() if n > 0)

    sigs_o, sigs_x = present(*at_profile[0]), present(*at_profile[1])
    if all(s & (s - 1) == 0 for s in sigs_o + sigs_x) and len(skills_x) < 2:
        # No officer or expert meets two requirements: disjoint already. (Two expert seats
        # still take a cover, whose seats the flow knows to be disjoint.)
        return []
    k = int(prob.k[i])
    key = (tuple(skills_o), tuple(skills_x), tuple(depts), joint, k, tuple(sigs_o), tuple(sigs_x))
    if key in memo:
        return memo[key]
    need_o, need_x = (1 << (len(skills_o) + len(depts))) - 1, (1 << len(skills_x)) - 1
    covers_o = _partitions(need_o, sigs_o, k, _COVER_LIMIT)
    covers_x = _partitions(need_x, sigs_x, len(skills_x), _COVER_LIMIT)

    def rule(part: int, expert: bool) -> tuple[_Rule, list[str], str]:
        skills = skills_x if expert else skills_o
        held = [sk for j, sk in enumerate(skills) if part >> j & 1]
        bit = functools.reduce(operator.or_, (int(bit_of[sk]) for sk in held), 0)
        dept = [d for j, d in enumerate(depts) if not expert and part >> (len(skills_o) + j) & 1]
        return (bit, codes[depts.index(dept[0])] if dept else -1), held, dept[0] if dept else ""

    def groups(parts: tuple[int, ...], expert: bool) -> _Cover:
        out = []
        for j, part in enumerate(parts):
            r, held, dept = rule(part, expert)
            avoid = tuple(rule(t, expert)[0] for t in parts[:j])
            kind = _EXPERT if expert else _SKILL if held else _DEPT
            label = "+".join(held) + ("@" + dept if held and dept else "") if held else dept
            out.append((kind, label, r, avoid))
        return tuple(out)

    found: list[tuple[_Cover, str]] = []
    for c_o, c_x in itertools.islice(itertools.product(covers_o, covers_x), _COVER_LIMIT):
        cover = groups(c_o, False) + groups(c_x, True)
        label = ", ".join(
            ("expert:" if kind == _EXPERT else "@" if kind == _DEPT else "") + name
            for kind, name, *_ in cover
        )
        found.append((cover, label))
    memo[key] = found
    return found


def _flowable(g: _Graph) -> bool:
    return g.laminar and _disjoint(g) and not (g.free_places < 0).any() and not _multi_seat(g)


def match_officers(
    visits: Sequence[Visit],
    officers: OfficerRoster,
    *,
    conflicts: Iterable[Conflict] | Mapping[str, Any] = (),
    rules: MatchingRules | None = None,
    history: Iterable[tuple[str, str, Any]] | Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
    seed: str | None = None,
    rng: Any = None,
    source: UniformSource | None = None,
    key_label: str = "matching",
) -> Assignment:
    """Match officers to the visits of a batch at random (双随机 #2), under every rule.

    Parameters
    ----------
    visits : sequence of Visit
        The batch; one visit per target (merge joint items first).
    officers : OfficerRoster
        执法检查人员名录库 with the expert pool (专家库) flagged in ``expert``.
    conflicts : iterable of Conflict, or mapping of columns
        Declared conflicts (回避). For large inputs pass columns ``officer_id``, ``credit_code``
        and optionally ``reason`` (arrays of equal length) instead of objects.
    rules : MatchingRules, optional
        The rules and their settings; :class:`MatchingRules` ``()`` by default.
    history : iterable of tuples, or mapping of columns
        Past inspections, for ``rules.repeat_window_days`` (columns ``officer_id``,
        ``credit_code``, ``date``).
    as_of : datetime.date, optional
        The batch date the repeat window counts back from; required with ``history``.
    seed : str, optional
        The batch's public seed: an official, verifiable matching. The numbers come from the
        child key ``key_label`` (``"matching"``) of the seed's root key (``randcheck-prn/2``).
    rng : optional
        Anything :func:`numpy.random.default_rng` accepts: a simulation, not verifiable.
    source : UniformSource, optional
        An already derived source, e.g. ``batch_source.child("matching")``; used as is.
    key_label : str
        Label of the child key under ``seed`` or ``rng``.

    Returns
    -------
    Assignment
        Teams, loads, recusals applied, the randomness used and the pair probabilities.

    Raises
    ------
    InfeasibleMatchingError
        If no assignment satisfies every rule; ``reasons`` names each visit that cannot be
        staffed and the rule that binds.
    BatchError
        If two visits go to the same target.
    PlanError
        If not exactly one of ``seed``, ``rng`` and ``source`` is given, or ``history`` comes
        without ``as_of``.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({
    ...     "officer_id": ["A1", "A2", "A3", "A4"],
    ...     "skills": ["成品油", "", "", "成品油"],
    ... })
    >>> visits = [randcheck.Visit("91130634MA00000001", items=("SW-02",),
    ...                           departments=("商务局",), skills=("成品油",))]
    >>> a = randcheck.match_officers(visits, officers, seed="2023-1107",
    ...                              conflicts=[randcheck.Conflict("A1", "91130634MA00000001",
    ...                                                            "亲属关系")])
    >>> a.teams()
    [('A3', 'A4')]
    >>> list(a.recusals)
    [('A1', '91130634MA00000001', '亲属关系')]
    """
    rules = MatchingRules() if rules is None else rules
    if rules.cross_jurisdiction:
        _check_jurisdiction(visits, officers, rules)
    src = _source(seed, rng, source, key_label)
    prob = _prepare(visits, officers, conflicts, rules, history, as_of, src)
    reasons = _precheck(prob, rules)
    if reasons:
        _raise(reasons)

    # Joint visits needing a skill held across departments: choose the skill holder's
    # department from the seed so that every visit's requirements are disjoint.
    canon = [prob.visits_in[i] for i in prob.vin.tolist()]
    options, kinds = _nest_options(prob, canon, rules, src)
    pick = dict.fromkeys(options, 0)

    def rebuild() -> None:
        chosen = {v: options[v][pick[v]] for v in options}
        _build_blocks(
            prob,
            canon,
            rules,
            nest={v: c[0] for v, c in chosen.items() if kinds[v] == "dept"},
            pairs={v: c[1] for v, c in chosen.items() if kinds[v] == "pair"},
            covers={v: c[0] for v, c in chosen.items() if kinds[v] == "cover"},
        )

    if options:
        rebuild()
    tried = 1
    full = np.zeros(prob.n_visits, dtype=bool)
    method = "targets"
    g = _graph(prob, rules, full)
    y: Ints
    xy: Ints
    # Under /2, a nesting that admits a team only above the pair cap is retried too; the
    # fewest pairs above it win: (pairs above, choices, widened visits).
    retry_cap = rules.recipe != "randcheck-matching/1" and rules.pair_cap is not None
    best: tuple[int, dict[int, int], Bools] | None = None

    def advance(visits: Iterable[int]) -> bool:
        """Move ``visits`` that have a choice left to their next one and rebuild the graph;
        ``False`` (nothing changed) if none has, or the limit of choices is reached."""
        nonlocal tried, g
        nxt = [v for v in visits if v in pick and pick[v] + 1 < len(options[v])]
        if not nxt or tried >= _NEST_LIMIT:
            return False
        for v in nxt:
            pick[v] += 1
        tried += 1
        rebuild()
        g = _graph(prob, rules, full)
        return True

    def back_to_best() -> tuple[_Graph, _FlowResult]:
        assert best is not None
        pick.update(best[1])
        full[:] = best[2]
        rebuild()
        g = _graph(prob, rules, full)
        return g, _solve_flow(prob, g, rules)

    if _targets_feasible(prob, g, rules):
        y, xy = g.et, g.xe_t
    else:
        method = "flow"
        while True:
            if _flowable(g):
                res = _solve_flow(prob, g, rules)
                if res.failing.shape[0] == 0:
                    y, xy = res.y, res.xy
                    if not (retry_cap and options):
                        break
                    qu = _cap_units(rules, g.scale)
                    hot = np.union1d(g.ev[y > qu], g.sv[g.xe_seat[xy > qu]]).tolist()
                    if best is None or len(hot) < best[0]:
                        best = (len(hot), dict(pick), full.copy())
                    if advance(hot):
                        continue
                    if len(hot) > best[0]:
                        g, res = back_to_best()
                        y, xy = res.y, res.xy
                    break
                if not full.all():
                    # Widen the failing visits' candidates; if they are all wide already (the
                    # shortage is elsewhere) or many are, widen every visit.
                    stuck = bool(full[res.failing].all())
                    full[res.failing] = True
                    if stuck or full.sum() * 4 > prob.n_visits:
                        full[:] = True
                    g = _graph(prob, rules, full)
                    continue
                # Next choice in rank order for the nested visits on the source side of the
                # minimum cut (only they can raise it), a bounded number of times.
                if advance(res.blocked.tolist()):
                    continue
                if not options:
                    _raise(_hall_message(prob, res.failing, g))
            if best is not None:  # a nesting tried before admitted a team, above the cap
                g, res = back_to_best()
                y, xy = res.y, res.xy
                break
            # Requirements that overlap within a visit, or no choice of nesting departments
            # tried admits an assignment: integer programme on every eligible pair.
            if options:
                options = {}
                _build_blocks(prob, canon, rules)
                full[:] = True
                g = _graph(prob, rules, full)
            elif not full.all():
                full[:] = True
                g = _graph(prob, rules, full)
            if rules.pair_cap is not None and rules.strict_pair_cap:
                _raise(
                    [
                        "the pair cap cannot be guaranteed: some visit's requirements overlap "
                        "(officers or experts meet two of them) and no nesting of them that was "
                        f"tried (at most {_NEST_LIMIT}) admits an assignment, so the batch would "
                        "be staffed by the exact 0/1 programme, which has no pair cap [防止合谋]; "
                        "split such visits or set strict_pair_cap=False"
                    ]
                )
            sol = _solve_milp(prob, g, src)
            if sol is None:
                _raise(_milp_infeasible(prob, g))
                raise AssertionError("unreachable")  # pragma: no cover
            return _assignment(prob, g, sol[0], sol[1], src, rules.recipe, "milp", None, 0)
    nested = tuple(
        (prob.codes[v], "+".join(canon[v].skills), options[v][pick[v]][1]) for v in sorted(options)
    )
    qu = _cap_units(rules, g.scale)
    over = int((y > qu).sum() + (xy > qu).sum())
    if over and rules.strict_pair_cap:
        bad = sorted(
            {prob.codes[v] for v in g.ev[y > qu].tolist()}
            | {prob.codes[g.sv[s]] for s in g.xe_seat[xy > qu].tolist()}
        )
        _raise(
            [
                f"visit {c} has too few eligible officers to keep every officer's chance "
                f"under the pair cap {rules.pair_cap} [防止合谋]"
                for c in bad
            ]
        )
    probs = PairProbabilities(
        visit_index=prob.vin[np.concatenate([g.ev, g.sv[g.xe_seat]])],
        officer_index=prob.orow[np.concatenate([g.eo, g.xe_o])],
        probability=np.concatenate([y, xy]) / g.scale,
    )
    ry, rxy = _round(prob, g, y, xy, src)
    return _assignment(prob, g, ry, rxy, src, rules.recipe, method, probs, over, nested)


def _assignment(
    prob: _Problem,
    g: _Graph,
    y: Ints,
    xy: Ints,
    src: UniformSource,
    recipe: str,
    method: str,
    probs: PairProbabilities | None,
    over: int,
    nested: tuple[tuple[str, str, str], ...] = (),
) -> Assignment:
    on = y > 0
    xon = xy > 0
    v = np.concatenate([g.ev[on], g.sv[g.xe_seat[xon]]])
    o = np.concatenate([g.eo[on], g.xe_o[xon]])
    is_x = np.concatenate([np.zeros(int(on.sum()), bool), np.ones(int(xon.sum()), bool)])
    # one expert covering two skills of a visit serves once
    key = (v * 2 + is_x) * max(prob.n_officers, 1) + o
    _, first = np.unique(key, return_index=True)
    v, o, is_x = v[first], o[first], is_x[first]
    vi = prob.vin[v]
    order = np.lexsort((o, is_x, vi))
    loads = np.zeros(prob.n_officers, dtype=np.int64)
    np.add.at(loads, prob.orow[o], 1)
    desc = src.describe()
    desc["matching"] = recipe
    if nested:
        desc["nested"] = [list(t) for t in nested]
    return Assignment(
        credit_codes=tuple(x.credit_code for x in prob.visits_in),
        visit_index=vi[order],
        officer_index=prob.orow[o][order],
        expert=is_x[order],
        officer_ids=prob.ids[np.argsort(prob.orow)],
        loads=loads,
        recusals=prob.recusals,
        source=desc,
        method=method,
        pair_probabilities=probs,
        cap_exceeded=over,
        nested=nested,
    )


def simulate_matching(
    visits: Sequence[Visit],
    officers: OfficerRoster,
    *,
    runs: int,
    rng: Any,
    **kwargs: Any,
) -> MatchingSimulation:
    """Run :func:`match_officers` ``runs`` times with ``rng`` and count who served where.

    Use it to see the empirical pair probabilities of a roster and its rules, and to check them
    against ``rules.pair_cap``. Keyword arguments go to :func:`match_officers`.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C", "D"]})
    >>> visits = [randcheck.Visit("91130634MA00000001", items=("SW-02",), departments=())]
    >>> sim = randcheck.simulate_matching(visits, officers, runs=400, rng=7)
    >>> sim.frequency.sum(axis=1).tolist()  # two officers a visit, every run
    [2.0]
    """
    if runs < 1:
        raise PlanError(f"runs must be at least 1, got {runs}")
    gen = GeneratorSource(np.random.default_rng(rng))
    n_v, n_o = len(visits), len(officers)
    freq = np.zeros((n_v, n_o))
    together = np.zeros((n_o, n_o))
    for i in range(runs):
        a = match_officers(visits, officers, source=gen.child(f"run/{i}"), **kwargs)
        vi, oi = a.visit_index, a.officer_index
        np.add.at(freq, (vi, oi), 1.0)
        m = np.zeros((n_v, n_o))
        m[vi, oi] = 1.0
        together += m.T @ m
    np.fill_diagonal(together, 0.0)
    return MatchingSimulation(runs=runs, frequency=freq / runs, together=together / runs)
