"""Officer matching (双随机 #2): random, conflict-aware teams with exact, capped probabilities.

:func:`match_officers` staffs every visit of a batch with a team of officers drawn at random
from those the rules allow. It publishes, for every officer–visit pair, the exact unconditional
chance that the officer is sent there, and it keeps every such chance at or below ``q*``, the
smallest cap any randomized assignment of the batch can keep (Jecmen, Zhang, Liu, Shah,
Conitzer and Fang, "Mitigating manipulation in peer review via randomized reviewer
assignments", NeurIPS 2020).

The recipe ``randcheck-matching/3``
-----------------------------------
Details in the explanation page "How officer matching is formulated".

1. **Eligibility.** For each visit, the officers the rules allow: active, with a load cap above
   0, not recused (回避), of a participating department, outside the target's own area when
   所所交叉 is on, and not sent to the same target within the repeat window.
2. **Seats.** Each visit has one seat per requirement (each skill its items need, each
   department of a joint visit 部门联合) and free seats up to its team size; a skill no eligible
   officer holds gets an expert seat (专家库, an extra member). Each requirement is met by its own
   team member, so a team is at least as large as its requirements.
3. **Network.** source → officer (capacity: load cap) → pair (officer, visit) (capacity: the
   pair cap ``q``) → seat the officer may fill (1) → sink (seat size). A team assignment is an
   integral flow that fills every seat; a randomized assignment is a fractional one whose pair
   flows are the pair probabilities.
4. **q\\*.** The smallest ``q`` whose maximum flow fills every seat, found exactly (a fraction)
   by Newton's method on minimum cuts: a cut with capacity ``a + b·q`` gives the next
   ``q = (D − a) / b``, from below, until the flow fills the ``D`` places.
5. **Marginals.** A flow with pair capacity ``⌈q*·2²⁰⌉ / 2²⁰`` (the grid) in units of
   ``2**-20``, loads balanced and spread by successive maximum flows, then the *support step*:
   every pair arc that lies on a cycle of the residual network (some other solution under the
   same cap uses it) gets a positive share (an eighth of the cap where possible), through one
   circulation with lower bounds found by another maximum flow, at a grid ``2**-(20+s)``.
6. **Rounding.** The marginals are rounded to one assignment by :func:`dyadic_round
   <randcheck._matching_lp.dyadic_round>`: bit by bit, odd arcs paired at each node in arc
   order form cycles, and each cycle moves up or down by a fair coin. Each pair is chosen with
   exactly its published marginal; team sizes, requirements and load caps hold every time.

Official coins come from the batch seed through the child key ``matching`` (see
:mod:`randcheck.randomness`): level ``j`` uses ``child("round").child(str(j))``; its ``i``-th
number (id ``str(i)``) gives 48 coins, bit ``b`` of ``⌊u·2⁵³⌋`` being coin ``48·i + b``. A
simulation takes ``rng`` instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck._progress import ProgressArg, Reporter
from randcheck._records import JsonRecord, canonical_digest
from randcheck._version import library
from randcheck.errors import (
    BatchError,
    InfeasibleMatchingError,
    PlanError,
    RosterError,
    VerificationError,
)
from randcheck.models import Conflict, Visit
from randcheck.randomness import (
    PRN_RECIPE,
    GeneratorSource,
    HashSource,
    UniformSource,
    source_for,
)
from randcheck.roster import STRING, OfficerRoster

if TYPE_CHECKING:
    from randcheck._matching_lp import CoinFn

__all__ = [
    "Assignment",
    "MatchingRecord",
    "MatchingRules",
    "MatchingSimulation",
    "PairProbabilities",
    "Recusals",
    "TeamingTable",
    "match_officers",
    "simulate_matching",
    "teaming_table",
    "verify_matching",
]

Ints: TypeAlias = npt.NDArray[np.int64]
Floats: TypeAlias = npt.NDArray[np.float64]
Bools: TypeAlias = npt.NDArray[np.bool_]

#: Version of the matching algorithm, recorded in every receipt.
MATCHING_RECIPE = "randcheck-matching/3"
#: Every recipe this version can run; /1 and /2 were never released and are retired.
MATCHING_RECIPES = (MATCHING_RECIPE,)
#: Format of the public record of a matching (:meth:`Assignment.record`).
MATCHING_RECORD_FORMAT = "randcheck-matching-record/1"
#: Bits of the pair-cap grid: the cap is applied as a multiple of ``2**-GRID_BITS``.
GRID_BITS = 20
#: Most eligible officer–visit pairs one batch may have (memory: about 200 bytes a pair).
MAX_PAIRS = 20_000_000

_FREE, _SKILL, _DEPT, _EXPERT = 0, 1, 2, 3
_MAX_LISTED = 20
_COIN_BITS = 48
_SPREAD_STEPS = 4  # the spreading flow raises pair arcs a quarter of the cap at a time
_SUPPORT_SHARE = 8  # the support step first tries to give each new pair 1/8 of the cap
# Progress (``progress=``): the share of 100 each stage reports when it ends, from profiles of
# batches of 300 to 3,000 visits (the spreading flow dominates).
_STAGE_SHARE = {"prepare": 2, "network": 10, "q_star": 8, "spread": 55, "support": 7}
_ROUND_SHARE = 100 - sum(_STAGE_SHARE.values())
_REASONS = (
    ("inactive", "inactive [不在岗]"),
    ("no_load", "with a load cap of 0 [任务上限]"),
    ("department", "of another department [非本部门]"),
    ("area", "responsible for the target's own area [所所交叉]"),
    ("recused", "recused [回避]"),
    ("repeat", "sent to this target within the repeat window [避免重复检查]"),
)


def _whole(name: str, value: object, least: int) -> None:
    """Refuse anything but a whole number ≥ ``least`` (bools and floats included)."""
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
        is an :class:`~randcheck.InfeasibleMatchingError` stating ``q*``, so a published cap is
        never silently exceeded.
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
        :class:`~randcheck.InfeasibleMatchingError` (``rule="team_cap"``) naming the pair
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
        _whole("team_size (行政处罚法 第四十二条: at least two officers)", value, 2)

    @item_team_sizes.validator
    def _check_items(
        self, _a: attrs.Attribute[Mapping[str, int]], value: Mapping[str, int]
    ) -> None:
        for item, size in value.items():
            _whole(f"item_team_sizes[{item!r}]", size, 2)

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
            _whole("repeat_window_days", value, 0)

    @max_load.validator
    def _check_load(self, _a: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None:
            _whole("max_load", value, 0)


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
    """The exact, unconditional chance of every officer–visit pair that can occur.

    ``probability[i]`` is the chance that roster officer ``officer_index[i]`` is on visit
    ``visit_index[i]`` (an index into the visits as given); ``expert[i]`` says whether the
    officer serves there as an expert. Pairs not listed have chance zero. Every value is a
    multiple of ``2**-bits`` (``units[i] / 2**bits`` exactly); the assignment was drawn so that
    each pair occurs with exactly this chance, over the seed's coins alone.
    """

    visit_index: Ints
    officer_index: Ints
    expert: Bools
    units: Ints
    bits: int

    @property
    def probability(self) -> Floats:
        """The chances as floats (exact: dyadic values of at most 53 bits)."""
        out: Floats = self.units.astype(np.float64) / float(1 << self.bits)
        return out

    @property
    def largest(self) -> float:
        """The largest pair chance (at most :attr:`Assignment.q_star` up to the grid)."""
        return float(self.probability.max()) if self.units.shape[0] else 0.0

    def matrix(self, n_visits: int, n_officers: int) -> Floats:
        """As a dense ``(n_visits, n_officers)`` array (small batches only)."""
        out = np.zeros((n_visits, n_officers))
        np.add.at(out, (self.visit_index, self.officer_index), self.probability)
        return out


#: Chinese headers of a team table where they differ from a target directory's.
_TEAM_HEADERS: Final = {"name": "姓名", "unit": "所属单位", "department": "部门"}


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
        What the receipt records about the randomness: recipe, seed, path, matching recipe.
    pair_probabilities : PairProbabilities
        The exact unconditional chance of every pair (the marginals the rounding kept).
    q_star : fractions.Fraction
        The smallest pair cap any randomized assignment of this batch can keep (exact).
        Every pair's chance is at most ``q_star`` rounded up to a multiple of ``2**-20``.
    ignored_conflicts : int
        Conflicts naming officers outside the roster that were ignored because
        ``unknown_conflicts="ignore"`` was given (0 otherwise: such conflicts are refused).
    """

    credit_codes: tuple[str, ...]
    visit_index: Ints
    officer_index: Ints
    expert: Bools
    officer_ids: npt.NDArray[Any]
    loads: Ints
    recusals: Recusals
    source: dict[str, Any]
    pair_probabilities: PairProbabilities
    q_star: Fraction
    ignored_conflicts: int = 0
    _published: _Published | None = attrs.field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.credit_codes)

    def record(self) -> MatchingRecord:
        """The public record of this matching (format ``randcheck-matching-record/1``).

        It names the recipe, the seed and key path, the rules, digests of the visits, the
        officer roster and the exclusions applied (回避 and repeat window), q*, the marginals
        (every arc of the network, in units of ``2**-bits``) and the teams.
        :func:`verify_matching` (or :func:`randcheck.verify`) recomputes it.

        Raises
        ------
        PlanError
            If the assignment did not come from :func:`match_officers`.
        """
        if self._published is None:
            raise PlanError("record(): this assignment was not made by match_officers")
        pub = self._published
        return MatchingRecord(
            format=MATCHING_RECORD_FORMAT,
            recipes={"matching": MATCHING_RECIPE, "prn": PRN_RECIPE},
            library=library(),
            verifiable=bool(self.source.get("seed") is not None),
            seed=self.source.get("seed"),
            path=tuple(str(x) for x in self.source.get("path", ())),
            rules=_rules_dict(pub.rules),
            visits_digest=_visits_digest(pub.prob),
            officers_digest=pub.officers.digest(),
            exclusions_digest=_exclusions_digest(pub.prob),
            q_star=str(self.q_star),
            bits=self.pair_probabilities.bits,
            arc_values=tuple(int(x) for x in pub.marginal.tolist()),
            teams=tuple(self.to_rows()),
        )

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

    def probability_rows(self) -> list[dict[str, Any]]:
        """One dict per possible pair: ``credit_code``, ``officer_id``, ``role`` and
        ``probability`` (exact, as a float), for publication (一公开)."""
        p = self.pair_probabilities
        return [
            {
                "credit_code": self.credit_codes[v],
                "officer_id": str(self.officer_ids[o]),
                "role": "专家" if e else "执法人员",
                "probability": x,
            }
            for v, o, e, x in zip(
                p.visit_index.tolist(),
                p.officer_index.tolist(),
                p.expert.tolist(),
                p.probability.tolist(),
                strict=True,
            )
        ]

    def teaming(self, officer_a: str, officer_b: str) -> float:
        """The teaming bound of two officers: ``Σ_v min(p_av, p_bv)`` over the visits.

        Being teamed on visit ``v`` needs both on ``v``, so its chance is at most the smaller
        of the two published chances (and for the rounding of ``randcheck-matching/3`` it can
        be exactly that: see "How officer matching is formulated"). The sum bounds the
        expected number of visits the two share, and so (when below 1) the chance that they
        are teamed at least once. It needs only the published chances.

        Raises
        ------
        PlanError
            If an id is not in the officer roster the teams were matched from.

        Examples
        --------
        >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C"]})
        >>> visits = [randcheck.Visit("91130634MA00000001", items=("X",), departments=())]
        >>> a = randcheck.match_officers(visits, officers, seed="2023-1107")
        >>> round(a.teaming("A", "B"), 4)  # each has 2/3 (on the grid): teamed at most 2/3
        0.6667
        """
        ids = [str(x) for x in self.officer_ids.tolist()]
        missing = [x for x in (officer_a, officer_b) if x not in ids]
        if missing:
            raise PlanError(
                f"teaming: officer id(s) {', '.join(map(repr, missing))} not in the officer "
                "roster the teams were matched from"
            )
        a, b = ids.index(officer_a), ids.index(officer_b)
        if a == b:
            raise PlanError(f"teaming: give two different officers, got {officer_a!r} twice")
        p = self.pair_probabilities
        sel = (p.officer_index == a) | (p.officer_index == b)
        _, _, _, sums = _teaming_sums(
            p.visit_index[sel], p.officer_index[sel], p.units[sel].astype(np.float64)
        )
        return float(sums.sum()) / float(1 << p.bits)

    def teamed_bound(self, officer_a: str, officer_b: str) -> float:
        """An upper bound on the chance that two officers serve on some visit together:
        :meth:`teaming` capped at 1."""
        return min(1.0, self.teaming(officer_a, officer_b))

    def teaming_table(self) -> TeamingTable:
        """The teaming bound of every two members who may serve on a common visit
        (:class:`TeamingTable`), from the published chances; :func:`teaming_table` computes
        the same from the published probability table (:meth:`probability_rows`)."""
        p = self.pair_probabilities
        a, b, shared, sums = _teaming_sums(
            p.visit_index, p.officer_index, p.units.astype(np.float64)
        )
        return TeamingTable.build(self.officer_ids[a], self.officer_ids[b], shared, sums, p.bits)

    def to_columns(self, officers: OfficerRoster | None = None) -> dict[str, Any]:
        """The teams as columns: ``credit_code``, ``officer_id``, ``role``; with the officer
        directory, each member's ``name``, ``unit`` and ``department`` too (before ``role``),
        as a bureau publishes its teams."""
        rows = self.to_rows()
        cols = _tables.columns_of_rows(rows, ["credit_code", "officer_id", "role"])
        if officers is None:
            return cols
        at = officers.row_of(cols["officer_id"])
        if (at < 0).any():
            missing = cols["officer_id"][int(np.flatnonzero(at < 0)[0])]
            raise PlanError(
                f"to_columns: officer {missing!r} is not in this officer directory; pass the "
                "directory the teams were matched from"
            )
        role = cols.pop("role")
        cols["name"] = [str(officers.name[k]) for k in at.tolist()]
        units, departments = officers.unit.labels(), officers.department.labels()
        cols["unit"] = [str(units[k]) for k in at.tolist()]
        cols["department"] = [str(departments[k]) for k in at.tolist()]
        cols["role"] = role
        return cols

    def to_frame(self, officers: OfficerRoster | None = None) -> Any:
        """:meth:`to_columns` as a pandas ``DataFrame`` (needs the ``pandas`` extra)."""
        return _tables.frame(self.to_columns(officers))

    def to_arrow(self, officers: OfficerRoster | None = None) -> Any:
        """:meth:`to_columns` as a ``pyarrow.Table`` (needs pyarrow)."""
        return _tables.arrow(self.to_columns(officers))

    def to_excel(
        self,
        path: str | os.PathLike[str],
        officers: OfficerRoster | None = None,
        *,
        headers: str = "en",
    ) -> None:
        """The same columns as one sheet of an ``.xlsx`` workbook (needs the ``excel`` extra);
        ``headers="zh"`` writes the same Chinese headers as :meth:`to_csv`."""
        _tables.excel(path, self.to_columns(officers), headers=headers, zh=_TEAM_HEADERS)

    def to_csv(
        self,
        path: str | os.PathLike[str],
        officers: OfficerRoster | None = None,
        *,
        encoding: str = "utf-8",
        headers: str = "en",
    ) -> None:
        """The teams as CSV; ``encoding="utf-8-sig"`` for Excel, ``headers="zh"`` for Chinese
        headers (the member's name as 姓名, their unit and department as 所属单位, 部门)."""
        _tables.write_csv(
            path,
            self.to_columns(officers),
            encoding=encoding,
            headers=headers,
            zh=_TEAM_HEADERS,
        )

    def _table_columns(self) -> dict[str, Any]:
        return self.to_columns()

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


@attrs.define
class _Problem:
    """Everything about a batch in canonical order (visits by credit code, officers by id)."""

    visits_in: list[Visit]
    vin: Ints  # canonical visit -> input index
    codes: list[str]
    canon: list[Visit]
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
    excl_v: Ints
    excl_o: Ints
    excl_reason: Ints  # 0 recused, 1 repeat
    excl_ptr: Ints
    recusals: Recusals
    ignored: int

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


def _unknown_officers(c_o: Ints, c_oid: npt.NDArray[Any], unknown_conflicts: str) -> int:
    """Refuse (or count, with ``"ignore"``) conflicts naming officers outside the roster."""
    bad = np.flatnonzero(c_o < 0)
    if bad.shape[0] == 0:
        return 0
    if unknown_conflicts == "ignore":
        return int(bad.shape[0])
    shown = bad[:_MAX_LISTED]
    problems: list[tuple[int | None, str | None, Any, str]] = [
        (int(i) + 1, "officer_id", str(c_oid[i]), "not in the officer roster")
        for i in shown.tolist()
    ]
    listed = ", ".join(f"{r} ({v!r})" for r, _, v, _ in problems)
    more = f" and {bad.shape[0] - shown.shape[0]} more" if bad.shape[0] > shown.shape[0] else ""
    raise RosterError(
        f"{bad.shape[0]} conflict(s) [回避] name an officer who is not in the officer roster "
        f"(entries {listed}{more}; 1-based): a mistyped 执法证号 would leave a recusal "
        "unapplied; correct them, or pass unknown_conflicts='ignore' for a list shared across "
        "bureaus",
        source="conflicts",
        row=problems[0][0],
        column="officer_id",
        value=problems[0][2],
        problems=problems,
    )


def _prepare(
    visits: Sequence[Visit],
    officers: OfficerRoster,
    conflicts: Any,
    rules: MatchingRules,
    history: Any,
    as_of: dt.date | None,
    unknown_conflicts: str,
) -> _Problem:
    if unknown_conflicts not in ("refuse", "ignore"):
        raise PlanError(
            f"unknown_conflicts must be 'refuse' or 'ignore', got {unknown_conflicts!r}"
        )
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
    no_cap = len(visit_list)
    default_cap = no_cap if rules.max_load is None else rules.max_load
    cap = np.minimum(np.where(cap_raw < 0, default_cap, cap_raw), no_cap)

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

    # Exclusions: declared conflicts (回避) and recent inspections.
    codes_arr = _utf8(np.array(codes, dtype=STRING))
    c_oid, c_code, c_reason = _pair_columns(conflicts, "reason", "conflicts")
    c_o = _lookup(ids_sorted, c_oid)
    ignored = _unknown_officers(c_o, c_oid, unknown_conflicts)
    c_v = _lookup(codes_arr, c_code)  # conflicts on targets outside the batch do not apply
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
    return _Problem(
        visits_in=visit_list,
        vin=vin,
        codes=codes,
        canon=canon_visits,
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
        excl_v=excl_v,
        excl_o=excl_o,
        excl_reason=all_reasons,
        excl_ptr=excl_ptr,
        recusals=recusals,
        ignored=ignored,
    )


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
    expert_side = bool(mask.any()) and bool(prob.expert[mask].all())
    for name, cond in (
        ("inactive", ~prob.active),
        ("no_load", prob.cap <= 0),
        ("department", np.zeros_like(left) if expert_side else ~prob.dept_ok[p]),
        ("area", np.zeros_like(left) if expert_side else ~prob.area_ok[p]),
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


def _raise(
    reasons: list[str],
    *,
    visits: Iterable[str],
    rule: str,
    shortage: Fraction,
    q_star: Fraction | None = None,
) -> None:
    shown = reasons[:_MAX_LISTED]
    more = len(reasons) - len(shown)
    head = (
        "no assignment of officers satisfies every rule:\n  - "
        + "\n  - ".join(shown)
        + (f"\n  … and {more} more" if more else "")
    )
    raise InfeasibleMatchingError(
        head, reasons, visits=tuple(visits), rule=rule, shortage=shortage, q_star=q_star
    )


# --------------------------------------------------------------------------------------------
# The network


@attrs.define
class _Network:
    """Seats, pairs and the flow network of a batch, in canonical order.

    Nodes: 0 source, 1 sink, ``2 + o`` officer ``o``, then one per seat, then one per pair
    that may fill two or more seats of its visit. Arc 0 runs sink → source (it closes the
    circulation for the rounding); arcs 1… are, in this order: source → officer, pair arcs
    (officer → pair node, or officer → seat when the pair fits one seat only), pair node →
    seat, seat → sink. ``base`` is each arc's capacity in places (pair arcs: 1, scaled by q).
    """

    seat_v: Ints
    seat_kind: Ints
    seat_label: list[str]
    seat_size: Ints
    pair_v: Ints
    pair_o: Ints
    pair_arc: Ints
    tail: Ints
    head: Ints
    base: Ints
    is_pair: Bools
    n_nodes: int
    demand: int

    @property
    def seat_node0(self) -> int:
        return int(self.tail[0])  # arc 0 is sink -> source; see seat_nodes

    def seat_nodes(self, n_off: int) -> Ints:
        out: Ints = 2 + n_off + np.arange(self.seat_v.shape[0], dtype=np.int64)
        return out


def _network(prob: _Problem, rules: MatchingRules) -> _Network:
    n_off, n_vis = prob.n_officers, prob.n_visits
    officer_ok = prob.active & ~prob.expert & (prob.cap > 0)
    expert_ok = prob.active & prob.expert & (prob.cap > 0)
    excl_key = prob.excl_v * n_off + prob.excl_o

    # Eligible officer pairs, per profile, minus exclusions.
    parts_v: list[Ints] = []
    parts_o: list[Ints] = []
    total = 0
    for p in range(int(prob.profile.max(initial=-1)) + 1):
        vs = np.flatnonzero(prob.profile == p)
        os_ = np.flatnonzero(officer_ok & prob.dept_ok[p] & prob.area_ok[p])
        total += vs.shape[0] * os_.shape[0]
        if total > MAX_PAIRS:
            raise PlanError(
                f"the batch has more than {MAX_PAIRS:,} eligible officer–visit pairs; exact "
                "matching works on every pair, so split the batch (by area, department or "
                "month) into batches of fewer pairs"
            )
        parts_v.append(np.repeat(vs, os_.shape[0]))
        parts_o.append(np.tile(os_, vs.shape[0]))
    pv = np.concatenate(parts_v) if parts_v else np.zeros(0, np.int64)
    po = np.concatenate(parts_o) if parts_o else np.zeros(0, np.int64)
    key = pv * n_off + po
    key = np.sort(key)
    if excl_key.shape[0]:
        pos = np.minimum(np.searchsorted(excl_key, key), excl_key.shape[0] - 1)
        key = key[excl_key[pos] != key]
    pv, po = key // max(n_off, 1), key % max(n_off, 1)
    ptr = np.zeros(n_vis + 1, dtype=np.int64)
    np.cumsum(np.bincount(pv, minlength=n_vis), out=ptr[1:])

    # Seats of every visit: free seats, one per requirement, one per expert skill.
    seat_v: list[int] = []
    seat_kind: list[int] = []
    seat_label: list[str] = []
    seat_bit: list[int] = []
    seat_dept: list[int] = []
    seat_size: list[int] = []
    ex_v: list[Ints] = []
    ex_o: list[Ints] = []
    reasons: list[str] = []
    bad: list[str] = []
    bad_rule = ""
    k = prob.k.copy()
    for v, visit in enumerate(prob.canon):
        elig = po[ptr[v] : ptr[v + 1]]
        req: list[tuple[int, str, int, int]] = []
        experts: list[tuple[str, int]] = []
        for s in visit.skills if rules.require_skills else ():
            bit = 1 << prob.skill_names.index(s) if s in prob.skill_names else 0
            if bit and bool(((prob.bits[elig] & np.uint64(bit)) != 0).any()):
                req.append((_SKILL, s, bit, -1))
                continue
            if rules.experts_for_skills:
                experts.append((s, bit))
                continue
            with_s = ~prob.expert & ((prob.bits & np.uint64(bit)) != 0) & (bit != 0)
            reasons.append(
                f"visit {prob.codes[v]} needs the skill {s} [专业检查]; "
                + _only(int(with_s.sum()), _why_not(prob, v, with_s), "officer")
            )
            bad.append(prob.codes[v])
            bad_rule = bad_rule or "skill"
        if rules.require_each_department and len(visit.departments) >= 2:
            for d in visit.departments:
                code = prob.dept_names.index(d) if d in prob.dept_names else -2
                if bool((prob.dept[elig] == code).any()):
                    req.append((_DEPT, d, 0, code))
                    continue
                of_d = ~prob.expert & (prob.dept == code)
                n_d = int(of_d.sum())
                reasons.append(
                    f"joint visit {prob.codes[v]} needs an officer of department {d} [部门联合]; "
                    + (
                        f"the roster has no officer of {d}"
                        if n_d == 0
                        else f"none of its {n_d} officers is eligible: "
                        f"{_breakdown(_why_not(prob, v, of_d))}"
                    )
                )
                bad.append(prob.codes[v])
                bad_rule = bad_rule or "department"
        k[v] = max(int(k[v]), len(req))
        if elig.shape[0] < k[v]:
            n_all = int((~prob.expert).sum())
            why = _why_not(prob, v, ~prob.expert)
            reasons.append(
                f"visit {prob.codes[v]} needs {k[v]} officers [执法人员不得少于两人, 行政处罚法 "
                f"第四十二条] but only {elig.shape[0]} of the {n_all} officers are eligible"
                + (f": {_breakdown(why)}" if why else "")
            )
            bad.append(prob.codes[v])
            bad_rule = bad_rule or "team_size"
        free = int(k[v]) - len(req)
        if free > 0:
            seat_v.append(v)
            seat_kind.append(_FREE)
            seat_label.append("")
            seat_bit.append(0)
            seat_dept.append(-1)
            seat_size.append(free)
        for kind, label, bit, code in req:
            seat_v.append(v)
            seat_kind.append(kind)
            seat_label.append(label)
            seat_bit.append(bit)
            seat_dept.append(code)
            seat_size.append(1)
        if experts:
            lo, hi = int(prob.excl_ptr[v]), int(prob.excl_ptr[v + 1])
            not_excl = np.ones(n_off, dtype=bool)
            not_excl[prob.excl_o[lo:hi]] = False
            any_bits = np.uint64(sum(b for _, b in experts))
            cand = np.flatnonzero(expert_ok & not_excl & ((prob.bits & any_bits) != 0))
            ex_v.append(np.full(cand.shape[0], v, dtype=np.int64))
            ex_o.append(cand)
            for s, bit in experts:
                if not bool(((prob.bits[cand] & np.uint64(bit)) != 0).any()):
                    with_s = ~prob.expert & ((prob.bits & np.uint64(bit)) != 0) & (bit != 0)
                    ex = prob.expert & ((prob.bits & np.uint64(bit)) != 0) & (bit != 0)
                    ex_why = {
                        r: c
                        for r, c in _why_not(prob, v, ex).items()
                        if r in ("inactive", "no_load", "recused", "repeat")
                    }
                    n_e = int(ex.sum())
                    reasons.append(
                        f"visit {prob.codes[v]} needs the skill {s} [专业检查]; "
                        + _only(int(with_s.sum()), _why_not(prob, v, with_s), "officer")
                        + "; "
                        + (
                            "no expert [专家库] has it either"
                            if n_e == 0
                            else f"and the {n_e} expert{'s' if n_e > 1 else ''} [专家库] with "
                            f"it {'are' if n_e > 1 else 'is'} not eligible: {_breakdown(ex_why)}"
                        )
                    )
                    bad.append(prob.codes[v])
                    bad_rule = bad_rule or "skill"
                seat_v.append(v)
                seat_kind.append(_EXPERT)
                seat_label.append(s)
                seat_bit.append(bit)
                seat_dept.append(-1)
                seat_size.append(1)
    if reasons:
        _raise(reasons, visits=sorted(set(bad)), rule=bad_rule, shortage=Fraction(len(reasons)))

    s_v = np.array(seat_v, dtype=np.int64)
    s_kind = np.array(seat_kind, dtype=np.int64)
    s_bit = np.array(seat_bit, dtype=np.uint64)
    s_dept = np.array(seat_dept, dtype=np.int64)
    s_size = np.array(seat_size, dtype=np.int64)
    n_seat = s_v.shape[0]
    s_ptr = np.zeros(n_vis + 1, dtype=np.int64)
    np.cumsum(np.bincount(s_v, minlength=n_vis), out=s_ptr[1:])

    # All pairs (officers and experts), sorted by visit then officer.
    if ex_v:
        pv = np.concatenate([pv, *ex_v])
        po = np.concatenate([po, *ex_o])
        order = np.argsort(pv * n_off + po, kind="stable")
        pv, po = pv[order], po[order]
    n_pair = pv.shape[0]
    # Which seats each pair may fill.
    per = s_ptr[pv + 1] - s_ptr[pv]
    rep = np.repeat(np.arange(n_pair, dtype=np.int64), per)
    start = np.zeros(n_pair + 1, dtype=np.int64)
    np.cumsum(per, out=start[1:])
    seat = s_ptr[pv[rep]] + np.arange(rep.shape[0], dtype=np.int64) - start[rep]
    o_r = po[rep]
    kind = s_kind[seat]
    is_x = prob.expert[o_r]
    has_bit = (prob.bits[o_r] & s_bit[seat]) != 0
    fits = np.where(
        is_x,
        (kind == _EXPERT) & has_bit,
        (kind == _FREE)
        | ((kind == _SKILL) & has_bit)
        | ((kind == _DEPT) & (prob.dept[o_r] == s_dept[seat])),
    )
    q_pair, q_seat = rep[fits], seat[fits]
    n_fit = np.bincount(q_pair, minlength=n_pair)
    useful = n_fit > 0
    # Renumber pairs without any seat away (an expert whose skill the visit does not need).
    new_id = np.cumsum(useful) - 1
    pv, po, n_fit = pv[useful], po[useful], n_fit[useful]
    keep_q = useful[q_pair]
    q_pair, q_seat = new_id[q_pair[keep_q]], q_seat[keep_q]
    n_pair = pv.shape[0]
    multi = n_fit >= 2
    pnode_of = np.full(n_pair, -1, dtype=np.int64)
    seat_node0 = 2 + n_off
    pnode0 = seat_node0 + n_seat
    pnode_of[multi] = pnode0 + np.arange(int(multi.sum()), dtype=np.int64)
    n_nodes = pnode0 + int(multi.sum())
    # The single seat of a one-seat pair.
    single_seat = np.full(n_pair, -1, dtype=np.int64)
    one = ~multi[q_pair]
    single_seat[q_pair[one]] = q_seat[one]

    used_o = np.unique(po)
    load_cap = np.minimum(prob.cap[used_o], np.bincount(po, minlength=n_off)[used_o])
    pair_head = np.where(multi, pnode_of, seat_node0 + single_seat)
    m_q = ~one
    demand = int(s_size.sum())
    tail = np.concatenate(
        [
            np.array([1], np.int64),
            np.zeros(used_o.shape[0], np.int64),
            2 + po,
            pnode_of[q_pair[m_q]],
            seat_node0 + np.arange(n_seat, dtype=np.int64),
        ]
    )
    head = np.concatenate(
        [
            np.array([0], np.int64),
            2 + used_o,
            pair_head,
            seat_node0 + q_seat[m_q],
            np.ones(n_seat, np.int64),
        ]
    )
    base = np.concatenate(
        [
            np.array([demand], np.int64),
            load_cap,
            np.ones(n_pair, np.int64),
            np.ones(int(m_q.sum()), np.int64),
            s_size,
        ]
    )
    is_pair = np.zeros(tail.shape[0], dtype=bool)
    p0 = 1 + used_o.shape[0]
    is_pair[p0 : p0 + n_pair] = True
    return _Network(
        seat_v=s_v,
        seat_kind=s_kind,
        seat_label=seat_label,
        seat_size=s_size,
        pair_v=pv,
        pair_o=po,
        pair_arc=p0 + np.arange(n_pair, dtype=np.int64),
        tail=tail,
        head=head,
        base=base,
        is_pair=is_pair,
        n_nodes=n_nodes,
        demand=demand,
    )


# --------------------------------------------------------------------------------------------
# Marginals: q*, the grid flow, the support step


def _flow_at(net: _Network, q: Fraction, unit: int) -> tuple[int, Ints, Bools]:
    """Maximum flow with every capacity times ``unit`` and pair arcs at ``q·unit`` (integral)."""
    from randcheck import _matching_lp as lp  # scipy and OR-Tools: imported when used

    pair_cap = q * unit
    if pair_cap.denominator != 1:  # pragma: no cover - callers pass a fitting unit
        raise AssertionError("pair capacity is not integral")
    cap = net.base[1:] * unit
    cap[net.is_pair[1:]] = int(pair_cap)
    lp.check_capacity(cap)
    value, flows, side = lp.max_flow(net.tail[1:], net.head[1:], cap, net.n_nodes, 0, 1)
    return value, flows, side


def _cut_line(net: _Network, side: Bools) -> tuple[int, int]:
    """A cut's capacity as ``a + b·q``: (a, b)."""
    t, h = net.tail[1:], net.head[1:]
    crossing = side[t] & ~side[h]
    pair = net.is_pair[1:]
    return int(net.base[1:][crossing & ~pair].sum()), int((crossing & pair).sum())


def _short_visits(prob: _Problem, net: _Network, side: Bools) -> list[str]:
    """Visits with a seat on the sink side of a minimum cut (the set that cannot be staffed)."""
    seats = net.seat_nodes(prob.n_officers)
    return sorted({prob.codes[v] for v in net.seat_v[~side[seats]].tolist()})


def _q_star(prob: _Problem, net: _Network) -> tuple[Fraction, Bools]:
    """The exact least pair cap (Newton's method on minimum cuts) and the last binding cut."""
    d = net.demand
    value, flows, side = _flow_at(net, Fraction(1), 1)
    if value < d:
        _infeasible(prob, net, value, flows, side)
    # Start from a lower bound: a seat of size s that d pairs can fill needs s/d of each, and
    # a visit's k places over its p pairs need k/p.
    seats = net.seat_nodes(prob.n_officers)
    into = np.bincount(net.head[1:], minlength=net.n_nodes)[seats]
    pairs_v = np.bincount(net.pair_v, minlength=prob.n_visits)
    team_v = np.bincount(net.seat_v, weights=net.seat_size, minlength=prob.n_visits)
    num = np.concatenate([net.seat_size, team_v.astype(np.int64)])
    den = np.concatenate([into, pairs_v])
    ok = den > 0
    q = Fraction(0)
    if ok.any():  # any valid bound will do: the float argmax picks one
        best = int(np.argmax(np.where(ok, num / np.maximum(den, 1), -1.0)))
        q = min(Fraction(int(num[best]), int(den[best])), Fraction(1))
    last = side
    for _ in range(10_000):
        value, _f, side = _flow_at(net, q, q.denominator)
        if value == d * q.denominator:
            return q, last
        a, b = _cut_line(net, side)
        nxt = Fraction(d - a, b) if b else Fraction(2)
        if not q < nxt <= 1:  # pragma: no cover - Newton's steps rise to q* <= 1
            raise AssertionError(f"q* search did not rise: {q} -> {nxt}")
        q, last = nxt, side
    raise AssertionError("q* search did not converge")  # pragma: no cover


def _infeasible(prob: _Problem, net: _Network, value: int, flows: Ints, side: Bools) -> None:
    """Report a batch no assignment staffs, from a minimum cut of the network at q = 1.

    The seats on the sink side of the cut need more places than the cut lets through: those
    visits cannot all be staffed together.
    """
    t, h = net.tail[1:], net.head[1:]
    crossing = side[t] & ~side[h]
    load_arcs = (t == 0) & crossing
    visits = _short_visits(prob, net, side)
    shown = ", ".join(visits[:_MAX_LISTED])
    more = f" and {len(visits) - _MAX_LISTED} more" if len(visits) > _MAX_LISTED else ""
    seats = net.seat_nodes(prob.n_officers)
    sink = ~side[seats]
    need = int(net.seat_size[sink].sum())
    can = value - (net.demand - need)
    if load_arcs.any():
        rule = "load_cap"
        why = (
            f"the {int(load_arcs.sum())} officers eligible for them can take at most {can} of "
            "these places in all [任务上限]"
        )
    else:
        kinds = set(net.seat_kind[sink].tolist())
        rule = ("team_size", "skill", "department", "expert")[min(kinds)] if kinds else "team_size"
        why = f"the officers eligible for them can fill at most {can} of these places together"
    _raise(
        [
            f"visits {shown}{more} cannot all be staffed together: they need {need} officer "
            f"places (with their skill and department requirements), but {why}; raise load "
            "caps, add officers or split the batch"
        ],
        visits=visits,
        rule=rule,
        shortage=Fraction(net.demand - value),
    )


def _spread_flow(net: _Network, q_units: int, unit: int) -> Ints:
    """A flow (arcs 1…) filling every seat, pair arcs at most ``q_units``, loads balanced and
    each visit's chance shared out, by maximum flows only.

    Loads: the least bound ``L`` (whole places, found by galloping up from the average load,
    then halving) such that some flow with every officer's load at most ``min(load cap, L)``
    fills every seat. Spread: a maximum flow with every pair arc at most a quarter of the cap,
    then, three times, the most flow its residual network adds with the pair arcs raised by
    another quarter of the cap. So as much flow as possible goes through pairs at a quarter of
    the cap, then at half, and so on; the last step, at the full cap, fills every seat (``L`` was
    chosen so). Cheaper than the minimum-cost flow with four cost pieces per pair it replaces
    (a third of the time on the county batch), and close to it in spread.
    """
    from randcheck import _matching_lp as lp  # scipy and OR-Tools: imported when used

    t, h = net.tail[1:], net.head[1:]
    base = net.base[1:]
    pair = net.is_pair[1:]
    load = t == 0
    need = net.demand * unit

    def caps(places: int, pair_units: int) -> Ints:
        out = base * unit
        out[load] = np.minimum(base[load], places) * unit
        out[pair] = pair_units
        lp.check_capacity(out)
        return out

    def fills(places: int) -> bool:
        return lp.max_flow(t, h, caps(places, q_units), net.n_nodes, 0, 1)[0] == need

    lo = max(1, -(-net.demand // max(int(load.sum()), 1)))
    hi = int(base[load].max(initial=1))  # fills: q_units is at least q*
    step = 1
    while lo < hi:  # gallop up from the average load …
        probe = min(lo + step - 1, hi)
        if fills(probe):
            hi = probe
            break
        lo, step = probe + 1, step * 2
    while lo < hi:  # … then halve
        mid = (lo + hi) // 2
        if fills(mid):
            hi = mid
        else:
            lo = mid + 1
    value, f, _side = lp.max_flow(t, h, caps(lo, q_units // _SPREAD_STEPS), net.n_nodes, 0, 1)
    for k in range(2, _SPREAD_STEPS + 1):
        # The most flow the residual network of f adds under the raised caps (arcs forward by
        # their spare capacity, backward by their flow): a maximum flow under those caps.
        cap = caps(lo, (q_units * k) // _SPREAD_STEPS)
        fwd = np.flatnonzero(cap > f)
        bwd = np.flatnonzero(f > 0)
        more, flows, _side = lp.max_flow(
            np.concatenate([t[fwd], h[bwd]]),
            np.concatenate([h[fwd], t[bwd]]),
            np.concatenate([cap[fwd] - f[fwd], f[bwd]]),
            net.n_nodes,
            0,
            1,
        )
        f = f.copy()
        f[fwd] += flows[: fwd.shape[0]]
        f[bwd] -= flows[fwd.shape[0] :]
        value += more
    if value != need:  # pragma: no cover - the last step has the caps q* fills with
        raise AssertionError("spreading flow: the seats are not filled")
    return f


def _support_step(net: _Network, f: Ints, cap: Ints) -> tuple[Ints, int]:
    """Give a positive share to every pair arc that some flow under the same caps uses.

    ``f`` is a maximum flow (arcs 1…) under capacities ``cap``. A pair arc with no flow can
    carry some in another such flow iff it lies on a cycle of the residual network. One
    circulation ``c`` in the residual network, at least ``w`` on each such arc, at most ``2**s``
    times each residual capacity (less 1 on arcs with flow, so none drops to 0) is found by a
    maximum flow with lower bounds; ``2**s·f + c`` is the result, at the grid ``2**-s`` finer.
    The first try asks ``w`` = an eighth of the cap (at ``s = 1``), so that such a pair's
    chance is worth publishing; if no circulation gives that much, ``w = 1`` (the least chance
    on the grid) with ``s`` = 1, 4, then as many bits as the number of such arcs needs.
    """
    from randcheck import _matching_lp as lp  # scipy and OR-Tools: imported when used

    t, h = net.tail[1:], net.head[1:]
    pair = net.is_pair[1:]
    if not (pair & (f == 0) & (cap > 0)).any():
        return f, 0
    fwd = f < cap
    bwd = f > 0
    comp = lp.strong_components(
        np.concatenate([t[fwd], h[bwd]]), np.concatenate([h[fwd], t[bwd]]), net.n_nodes
    )
    same = comp[t] == comp[h]
    want = pair & (f == 0) & (cap > 0) & same
    n_r = int(want.sum())
    if n_r == 0:
        return f, 0
    in_f = np.flatnonzero(fwd & same)
    in_b = np.flatnonzero(bwd & same)
    on = want[in_f]
    need = max(1, math.ceil(math.log2(n_r + 1)))
    pair_cap = int(cap[pair].max())
    # First a share worth seeing (an eighth of the cap on each such pair, at grid 2**-1 finer),
    # else the least share, 1 unit, at grids 2**-1, 2**-4, … finer, as room requires.
    tries = [(1, max(1, (pair_cap << 1) // _SUPPORT_SHARE))]
    tries += [(s, 1) for s in sorted({1, min(4, need), need})]
    for s, w in tries:
        lb = on * w
        ub_f = ((cap[in_f] - f[in_f]) << s) - lb
        ub_b = (f[in_b] << s) - 1
        if (ub_f < 0).any():
            continue
        supply = np.bincount(h[in_f], weights=lb, minlength=net.n_nodes).astype(np.int64)
        demand = np.bincount(t[in_f], weights=lb, minlength=net.n_nodes).astype(np.int64)
        s_nodes = np.flatnonzero(supply)
        d_nodes = np.flatnonzero(demand)
        src, snk = net.n_nodes, net.n_nodes + 1
        tails = np.concatenate([t[in_f], h[in_b], np.full(s_nodes.shape[0], src), d_nodes])
        heads = np.concatenate([h[in_f], t[in_b], s_nodes, np.full(d_nodes.shape[0], snk)])
        caps = np.concatenate([ub_f, ub_b, supply[s_nodes], demand[d_nodes]])
        lp.check_capacity(caps)
        value, flows, _side = lp.max_flow(tails, heads, caps, net.n_nodes + 2, src, snk)
        if value < n_r * w:
            continue
        c = np.zeros(f.shape[0], dtype=np.int64)
        c[in_f] += flows[: in_f.shape[0]] + lb
        c[in_b] -= flows[in_f.shape[0] : in_f.shape[0] + in_b.shape[0]]
        out: Ints = (f << s) + c
        return out, s
    raise AssertionError("support step: no circulation found")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Rounding


def _coins(src: UniformSource) -> CoinFn:
    base = src.child("round")
    shifts = np.arange(_COIN_BITS, dtype=np.uint64)

    def coins(level: int, n: int) -> Bools:
        words = -(-n // _COIN_BITS)
        ids = np.array([b"%d" % i for i in range(words)], dtype="S")
        u = base.child(str(level)).uniforms(ids)
        t = (u * 2.0**53).astype(np.uint64)
        out: Bools = ((t[:, None] >> shifts) & np.uint64(1)).astype(bool).ravel()[:n]
        return out

    return coins


def _source(
    seed: str | None, rng: Any, source: UniformSource | None, key_label: str
) -> UniformSource:
    if source is not None:
        if seed is not None or rng is not None:
            raise PlanError("give source= alone, or seed= or rng=, not both")
        return source
    return source_for(seed, rng).child(key_label)


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


@attrs.define
class _Solution:
    """What a matching computed: the network, its marginals and the rounded flow."""

    prob: _Problem
    net: _Network
    q_star: Fraction
    bits: int
    marginal: Ints  # arcs 0…, units of 2**-bits (arc 0: the demand)
    rounded: Ints  # arcs 0…, 0/1 on pair arcs


def _solve(
    prob: _Problem, rules: MatchingRules, src: UniformSource, report: Reporter | None = None
) -> _Solution:
    from randcheck import _matching_lp as lp  # scipy and OR-Tools: imported when used

    def done(stage: str) -> None:
        if report is not None:
            report.advance(_STAGE_SHARE[stage])

    net = _network(prob, rules)
    done("network")
    q_star, _cut = _q_star(prob, net)
    done("q_star")
    unit = 1 << GRID_BITS
    q_units = math.ceil(q_star * unit)
    if rules.pair_cap is not None:
        cap_exact = Fraction(rules.pair_cap)
        if cap_exact < q_star or math.floor(cap_exact * unit) < q_units:
            # The binding cut just below the requested cap (on the grid, so capacities stay
            # integral): its visits cannot be staffed within the cap.
            below = min(Fraction(math.floor(cap_exact * unit), unit), q_star - Fraction(1, unit))
            _v, _f, side = _flow_at(net, max(below, Fraction(0)), unit)
            a, b = _cut_line(net, side)
            visits = _short_visits(prob, net, side)
            near = "" if cap_exact < q_star else f" (on the grid 2**-{GRID_BITS}: {q_units}/{unit})"
            _raise(
                [
                    f"the pair cap {rules.pair_cap} is below q* = {q_star} ≈ {float(q_star):.6f}"
                    f"{near}, the least cap any randomized assignment of this batch can keep "
                    f"[防止合谋]: visits {', '.join(visits[:_MAX_LISTED])} need more of their "
                    f"few eligible officers; raise the cap to at least q*, add officers or relax "
                    "a rule"
                ],
                visits=visits,
                rule="pair_cap",
                shortage=max(Fraction(0), net.demand - a - b * cap_exact),
                q_star=q_star,
            )
    f = _spread_flow(net, q_units, unit)
    done("spread")
    cap = net.base[1:] * unit
    cap[net.is_pair[1:]] = q_units
    full, s = _support_step(net, f, cap)
    done("support")
    bits = GRID_BITS + s
    marginal = np.concatenate([np.array([net.demand << bits], np.int64), full])
    if rules.team_cap is not None:
        _check_team_cap(prob, net, marginal, bits, rules.team_cap)

    def level_done(j: int) -> None:  # the rounding's share, spread over its levels
        if report is not None:
            report.advance((_ROUND_SHARE * (j + 1)) // bits - (_ROUND_SHARE * j) // bits)

    rounded = lp.dyadic_round(net.tail, net.head, marginal, bits, _coins(src), level_done)
    return _Solution(prob, net, q_star, bits, marginal, rounded)


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
    unknown_conflicts: str = "refuse",
    progress: ProgressArg = None,
) -> Assignment:
    """Match officers to the visits of a batch at random (双随机 #2), under every rule.

    Every officer–visit pair is chosen with an exact, published chance (see
    :attr:`Assignment.pair_probabilities`), no chance exceeds ``q*`` (the least cap any
    randomized assignment of the batch can keep, :attr:`Assignment.q_star`), and every pair
    that some assignment under that cap uses has a positive chance. How: see the module
    documentation and the explanation page "How officer matching is formulated".

    Parameters
    ----------
    visits : sequence of Visit
        The batch; one visit per target (merge joint items first).
    officers : OfficerRoster
        执法检查人员名录库 with the expert pool (专家库) flagged in ``expert``.
    conflicts : iterable of Conflict, or mapping of columns
        Declared conflicts (回避). For large inputs pass columns ``officer_id``, ``credit_code``
        and optionally ``reason`` (arrays of equal length) instead of objects. Conflicts on
        targets outside the batch do not apply here; a conflict naming an officer outside the
        roster is refused (see ``unknown_conflicts``).
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
    unknown_conflicts : {"refuse", "ignore"}
        What to do with conflicts naming officers who are not in the roster: refuse them with
        a :class:`~randcheck.RosterError` listing them (default: a mistyped 执法证号 must not
        leave a recusal unapplied), or ignore them, counted in
        :attr:`Assignment.ignored_conflicts` (a list shared across bureaus).
    progress : bool or callable, optional
        Report progress of a long batch: ``True`` shows a tqdm bar on standard error when tqdm
        is installed; a callable ``progress(done, total)`` is called as each stage ends, with
        ``total`` 100 and ``done`` the share of the work finished (the stages' shares are fixed
        estimates; the rounding reports once per bit level).

    Returns
    -------
    Assignment
        Teams, loads, recusals applied, the randomness used, the pair probabilities and q*.

    Raises
    ------
    InfeasibleMatchingError
        If no assignment satisfies every rule, or ``rules.pair_cap`` is below q*; its fields
        ``visits``, ``rule``, ``shortage`` and ``q_star`` say which visits, which rule binds
        and by how much.
    RosterError
        If a conflict names an officer outside the roster (unless ``unknown_conflicts="ignore"``).
    BatchError
        If two visits go to the same target.
    PlanError
        If not exactly one of ``seed``, ``rng`` and ``source`` is given, ``history`` comes
        without ``as_of``, or the batch has more than :data:`MAX_PAIRS` eligible pairs.

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
    >>> a.q_star, a.pair_probabilities.probability.tolist()
    (Fraction(1, 1), [0.5, 0.5, 1.0])
    """
    rules = MatchingRules() if rules is None else rules
    if rules.cross_jurisdiction:
        _check_jurisdiction(visits, officers, rules)
    src = _source(seed, rng, source, key_label)
    report = Reporter(progress, 100, "matching", unit="%")
    try:
        prob = _prepare(visits, officers, conflicts, rules, history, as_of, unknown_conflicts)
        report.advance(_STAGE_SHARE["prepare"])
        sol = _solve(prob, rules, src, report)
    finally:
        report.close()
    return _assignment(sol, src, rules, officers)


def _assignment(
    sol: _Solution, src: UniformSource, rules: MatchingRules, officers: OfficerRoster
) -> Assignment:
    prob, net = sol.prob, sol.net
    arcs = net.pair_arc
    on = sol.rounded[arcs] > 0
    v, o = net.pair_v[on], net.pair_o[on]
    is_x = prob.expert[o]
    vi = prob.vin[v]
    order = np.lexsort((o, is_x, vi))
    loads = np.zeros(prob.n_officers, dtype=np.int64)
    np.add.at(loads, prob.orow[o], 1)
    desc = src.describe()
    desc["matching"] = rules.recipe
    pv, po = net.pair_v, net.pair_o
    pos = sol.marginal[arcs] > 0
    p_order = np.lexsort((po[pos], prob.vin[pv[pos]]))
    probs = PairProbabilities(
        visit_index=prob.vin[pv[pos]][p_order],
        officer_index=prob.orow[po[pos]][p_order],
        expert=prob.expert[po[pos]][p_order],
        units=sol.marginal[arcs][pos][p_order],
        bits=sol.bits,
    )
    return Assignment(
        credit_codes=tuple(x.credit_code for x in prob.visits_in),
        visit_index=vi[order],
        officer_index=prob.orow[o][order],
        expert=is_x[order],
        officer_ids=prob.ids[np.argsort(prob.orow)],
        loads=loads,
        recusals=prob.recusals,
        source=desc,
        pair_probabilities=probs,
        q_star=sol.q_star,
        ignored_conflicts=prob.ignored,
        published=_Published(prob=prob, rules=rules, officers=officers, marginal=sol.marginal),
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
    against :attr:`Assignment.pair_probabilities`. Keyword arguments go to
    :func:`match_officers`.

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


# --------------------------------------------------------------------------------------------
# Teaming: how often two officers can serve together

# Cells (or officer pairs) the teaming bound works on at once: memory stays near 32 MiB.
_TEAMING_CHUNK = 1 << 22
# Up to this many officer pairs (n², about 2,000 officers) the bound is dense matrix products
# over weight levels; beyond, officer pairs are listed and reduced by sorting.
_TEAMING_DENSE = 1 << 22


def _teaming_sums(visit: Ints, officer: Ints, weight: Floats) -> tuple[Ints, Ints, Ints, Floats]:
    """``Σ_v min(w_av, w_bv)`` for every two officers with positive weight on a common visit.

    Returns ``(a, b, shared, sums)`` with ``a < b`` (officer indexes), ``shared`` the number of
    visits both may serve and ``sums`` the bound, sorted by ``(a, b)``. Weights that are whole
    numbers below ``2**53`` (units of the grid) are summed exactly, in any order. Up to about
    2,000 officers the sums are matrix products over the visits' weight levels
    (:func:`_teaming_by_levels`); beyond, officer pairs are listed visit by visit.
    """
    pos = weight > 0
    v, o, w = visit[pos], officer[pos], weight[pos]
    n_o = int(o.max(initial=-1)) + 1
    if n_o * n_o <= _TEAMING_DENSE:
        sums, counts = _teaming_by_levels(v, o, w, n_o)
        a, b = np.nonzero(np.triu(counts > 0, k=1))
        return a.astype(np.int64), b.astype(np.int64), counts[a, b].astype(np.int64), sums[a, b]
    return _teaming_by_pairs(v, o, w, n_o)


def _teaming_by_levels(v: Ints, o: Ints, w: Floats, n_o: int) -> tuple[Floats, Floats]:
    """Dense ``n × n`` sums and shared-visit counts, as products of 0/1 matrices.

    On a visit whose distinct weights are ``L_1 < … < L_k``, ``min(w_a, w_b)`` is the sum of
    ``L_j − L_{j−1}`` over the levels ``j`` that both reach. One row per (visit, level), with a
    1 for each officer at or above the level, makes the sums ``Bᵀ·diag(Δ)·B``; the rows of the
    first level give the counts. Rows are taken a chunk at a time.
    """
    order = np.lexsort((w, v))
    v, o, w = v[order], o[order], w[order]
    new = np.r_[True, (v[1:] != v[:-1]) | (w[1:] != w[:-1])] if v.shape[0] else np.zeros(0, bool)
    level = np.cumsum(new) - 1  # each entry's (visit, level) row
    lv, lw = v[new], w[new]
    first = np.r_[True, lv[1:] != lv[:-1]] if lv.shape[0] else np.zeros(0, bool)
    delta = lw - np.where(first, 0.0, np.r_[0.0, lw[:-1]])
    n_rows = int(lv.shape[0])
    visit_start = np.maximum.accumulate(np.where(first, np.arange(n_rows), 0))[level]
    reps = level - visit_start + 1  # an entry reaches every level of its visit up to its own
    row = (
        np.repeat(visit_start, reps)
        + np.arange(int(reps.sum()))
        - np.repeat(np.cumsum(reps) - reps, reps)
    )
    col = np.repeat(o, reps)
    by_row = np.argsort(row, kind="stable")
    row, col = row[by_row], col[by_row]
    sums = np.zeros((n_o, n_o))
    counts = np.zeros((n_o, n_o))
    per = max(1, _TEAMING_CHUNK // max(n_o, 1))
    for r0 in range(0, n_rows, per):
        r1 = min(n_rows, r0 + per)
        lo, hi = np.searchsorted(row, [r0, r1])
        block = np.zeros((r1 - r0, n_o))
        block[row[lo:hi] - r0, col[lo:hi]] = 1.0
        sums += block.T @ (delta[r0:r1, None] * block)
        top = block[first[r0:r1]]
        counts += top.T @ top
    return sums, counts


def _teaming_by_pairs(v: Ints, o: Ints, w: Floats, n_o: int) -> tuple[Ints, Ints, Ints, Floats]:
    """:func:`_teaming_sums` for many officers: every officer pair of every visit, reduced by
    sorting keys, a chunk of visits at a time (the pairs of one visit number ``m (m − 1) / 2``)."""
    order = np.lexsort((o, v))
    v, o, w = v[order], o[order], w[order]
    keys: list[Ints] = []
    sums: list[Floats] = []
    counts: list[Ints] = []
    if v.shape[0]:
        starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
        sizes = np.diff(np.r_[starts, v.shape[0]])
        rank = np.arange(v.shape[0]) - np.repeat(starts, sizes)  # position within its visit
        later = np.repeat(sizes, sizes) - 1 - rank  # partners after each entry
        cum = np.cumsum(later)
        lo = 0
        while lo < v.shape[0]:
            hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _TEAMING_CHUNK, "right"))
            hi = max(hi, lo + 1)
            n_later = later[lo:hi]
            first = np.repeat(np.arange(lo, hi), n_later)
            block = np.repeat(np.cumsum(n_later) - n_later, n_later)
            second = first + 1 + np.arange(first.shape[0]) - block
            key = o[first] * n_o + o[second]  # o sorted within a visit: o[first] < o[second]
            uniq, inv = np.unique(key, return_inverse=True)
            keys.append(uniq)
            least = np.minimum(w[first], w[second])
            sums.append(np.bincount(inv, weights=least).astype(np.float64))
            counts.append(np.bincount(inv).astype(np.int64))
            lo = hi
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    uniq, inv = np.unique(np.concatenate(keys), return_inverse=True)
    total: Floats = np.bincount(inv, weights=np.concatenate(sums)).astype(np.float64)
    shared: Ints = np.bincount(inv, weights=np.concatenate(counts)).astype(np.int64)
    a: Ints = uniq // n_o
    b: Ints = uniq % n_o
    return a, b, shared, total


@attrs.frozen(eq=False)
class TeamingTable:
    """The teaming bound of every two roster members who may serve on a common visit.

    Row ``i``: officers ``officer_a[i]`` and ``officer_b[i]`` may both serve on
    ``shared_visits[i]`` visits, and ``bound[i] = Σ_v min(p_av, p_bv)`` bounds the expected
    number of visits they share and so, when below 1, the chance that they are teamed at
    least once in the batch (防止合谋). Rows run from the largest bound down (ties by ids).
    Two members never on a common visit have bound 0 and no row. Made by
    :meth:`Assignment.teaming_table` or :func:`teaming_table`.
    """

    officer_a: npt.NDArray[Any]
    officer_b: npt.NDArray[Any]
    shared_visits: Ints
    bound: Floats

    @classmethod
    def build(
        cls, a: npt.NDArray[Any], b: npt.NDArray[Any], shared: Ints, sums: Floats, bits: int
    ) -> TeamingTable:
        """Rows from :func:`_teaming_sums` (private helper for the two public builders)."""
        ids_a = np.asarray(a).astype(STRING)
        ids_b = np.asarray(b).astype(STRING)
        swap = _utf8(ids_a) > _utf8(ids_b)
        ids_a, ids_b = np.where(swap, ids_b, ids_a), np.where(swap, ids_a, ids_b)
        bound = sums / float(1 << bits) if bits else sums.astype(np.float64)
        order = np.lexsort((_utf8(ids_b), _utf8(ids_a), -bound))
        return cls(
            officer_a=ids_a[order],
            officer_b=ids_b[order],
            shared_visits=shared[order],
            bound=bound[order],
        )

    def __len__(self) -> int:
        return int(self.bound.shape[0])

    @property
    def largest(self) -> float:
        """The largest teaming bound of the batch (0 if no two members can serve together)."""
        return float(self.bound[0]) if len(self) else 0.0

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per pair: ``officer_a``, ``officer_b``, ``shared_visits``, ``bound`` and
        ``teamed_at_most`` (the bound capped at 1: a bound on the chance of being teamed)."""
        return [
            {
                "officer_a": str(a),
                "officer_b": str(b),
                "shared_visits": n,
                "bound": x,
                "teamed_at_most": min(1.0, x),
            }
            for a, b, n, x in zip(
                self.officer_a.tolist(),
                self.officer_b.tolist(),
                self.shared_visits.tolist(),
                self.bound.tolist(),
                strict=True,
            )
        ]


def teaming_table(
    probabilities: Iterable[Mapping[str, Any]] | Mapping[str, Any],
) -> TeamingTable:
    """The teaming bound of every two officers, from a published probability table.

    Anyone holding the published chances (:meth:`Assignment.probability_rows`, one row per
    officer–visit pair that can occur) can recompute it, with numpy alone: for two officers
    ``a`` and ``b``, ``Σ_v min(p_av, p_bv)`` over the visits both may serve. It bounds the
    expected number of visits they share, and so the chance that they are teamed at least once.

    Parameters
    ----------
    probabilities : iterable of dicts, or mapping of columns
        Rows (or columns) ``credit_code``, ``officer_id`` and ``probability``; other keys
        (``role``) are ignored.

    Returns
    -------
    TeamingTable

    Raises
    ------
    PlanError
        If a column is missing, a probability is not a number within [0, 1], or a pair is
        listed twice; the message names the row (1-based) and the value.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C"]})
    >>> visits = [randcheck.Visit("91130634MA00000001", items=("X",), departments=())]
    >>> a = randcheck.match_officers(visits, officers, seed="2023-1107")
    >>> t = randcheck.teaming_table(a.probability_rows())
    >>> t.officer_a.tolist(), t.officer_b.tolist(), t.bound.round(4).tolist()
    (['B', 'A', 'A'], ['C', 'B', 'C'], [0.6667, 0.6667, 0.6667])
    """
    if isinstance(probabilities, Mapping):
        try:
            cols = {k: list(probabilities[k]) for k in ("credit_code", "officer_id", "probability")}
        except KeyError as exc:
            raise PlanError(
                f"teaming_table: columns credit_code, officer_id and probability are required, "
                f"missing {exc}"
            ) from None
        if len({len(c) for c in cols.values()}) > 1:
            raise PlanError("teaming_table: the columns differ in length")
        rows: list[Mapping[str, Any]] = [
            dict(zip(cols, r, strict=True)) for r in zip(*cols.values(), strict=True)
        ]
    else:
        rows = list(probabilities)
    codes: list[str] = []
    oids: list[str] = []
    probs: list[float] = []
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows, start=1):
        missing = [k for k in ("credit_code", "officer_id", "probability") if k not in row]
        if missing:
            raise PlanError(f"teaming_table: row {i} has no {', '.join(missing)}")
        x = row["probability"]
        ok = not isinstance(x, bool) and isinstance(x, (int, float, Fraction, np.number))
        if not ok or not 0.0 <= float(x) <= 1.0:
            raise PlanError(
                f"teaming_table: row {i}, probability must be a number within [0, 1], got {x!r}"
            )
        key = (str(row["credit_code"]), str(row["officer_id"]))
        if key in seen:
            raise PlanError(
                f"teaming_table: row {i} lists officer {key[1]!r} at {key[0]} a second time"
            )
        seen.add(key)
        codes.append(key[0])
        oids.append(key[1])
        probs.append(float(x))
    code_u, v = np.unique(np.array(codes, dtype=STRING), return_inverse=True)
    id_u, o = np.unique(_utf8(np.array(oids, dtype=STRING)), return_inverse=True)
    del code_u
    a, b, shared, sums = _teaming_sums(
        v.astype(np.int64), o.astype(np.int64), np.array(probs, dtype=np.float64)
    )
    names = np.array([x.decode("utf-8") for x in id_u.tolist()], dtype=STRING)
    return TeamingTable.build(names[a], names[b], shared, sums, 0)


def _check_team_cap(prob: _Problem, net: _Network, marginal: Ints, bits: int, cap: float) -> None:
    """Refuse marginals whose teaming bound exceeds ``cap`` for some pair (exact, in units)."""
    units = marginal[net.pair_arc]
    a, b, shared, sums = _teaming_sums(net.pair_v, net.pair_o, units.astype(np.float64))
    if not sums.shape[0]:
        return
    worst = int(np.argmax(sums))
    bound = Fraction(int(sums[worst]), 1 << bits)
    if bound <= Fraction(cap):
        return
    ida, idb = str(prob.ids[a[worst]]), str(prob.ids[b[worst]])
    on_a = net.pair_v[(net.pair_o == a[worst]) & (units > 0)]
    on_b = net.pair_v[(net.pair_o == b[worst]) & (units > 0)]
    both = [prob.codes[int(v)] for v in np.intersect1d(on_a, on_b).tolist()]
    over = int((sums > cap * float(1 << bits)).sum())
    least = (
        f"so {float(bound):.6f} is the least team cap this recipe can keep for the batch"
        if bound <= 1
        else "and above 1 the bound says nothing, so this recipe can keep no team cap for the batch"
    )
    raise InfeasibleMatchingError(
        f"the team cap {cap} is below the teaming bound of officers {ida} and {idb}: "
        f"{float(bound):.6f} (Σ over the {int(shared[worst])} visits both may serve of the "
        f"smaller of their two chances) [防止合谋]; {over} pair(s) exceed the cap. The bound is "
        "computed on the published chances, which keep every pair at q* and are spread as far "
        f"as the rules allow, {least}; raise the cap, add officers to the visits these two "
        "share, or split the batch",
        visits=tuple(both),
        rule="team_cap",
        shortage=bound - Fraction(cap),
        pair=(ida, idb),
        team_bound=bound,
    )


# --------------------------------------------------------------------------------------------
# The public record and its verification


@attrs.define
class _Published:
    """What :meth:`Assignment.record` needs beyond the assignment's own columns."""

    prob: _Problem
    rules: MatchingRules
    officers: OfficerRoster
    marginal: Ints


@attrs.frozen
class MatchingRecord(JsonRecord):
    """The public record of a matching (format ``randcheck-matching-record/1``).

    Fields: ``recipes`` (matching and number recipes), ``library``, ``verifiable``, ``seed``,
    ``path`` (child-key labels from the seed to the matching's key), ``rules`` (the
    :class:`MatchingRules` settings), ``visits_digest``, ``officers_digest`` (the roster's
    :meth:`~randcheck.OfficerRoster.digest`), ``exclusions_digest`` (the recusals and repeat
    exclusions applied), ``q_star`` (a fraction, e.g. ``"1/3"``), ``bits``, ``arc_values``
    (the marginal flow on every arc of the network, in units of ``2**-bits``: the published
    chances) and ``teams`` (credit code, officer id, role).
    """

    format: str
    recipes: Mapping[str, str]
    library: str
    verifiable: bool
    seed: str | None
    path: tuple[str, ...]
    rules: Mapping[str, Any]
    visits_digest: str
    officers_digest: str
    exclusions_digest: str
    q_star: str
    bits: int
    arc_values: tuple[int, ...]
    teams: tuple[Mapping[str, Any], ...]

    FORMAT: ClassVar[str] = MATCHING_RECORD_FORMAT
    LABEL: ClassVar[str] = "matching record"
    SCHEMAS: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "teams": {"credit_code": str, "officer_id": str, "role": str},
    }


def _rules_dict(rules: MatchingRules) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in attrs.fields(MatchingRules):
        v = getattr(rules, f.name)
        if f.name == "unit_areas":
            v = {k: sorted(a) for k, a in sorted(v.items())}
        elif f.name == "item_team_sizes":
            v = dict(sorted(v.items()))
        out[f.name] = v
    return out


def _visits_digest(prob: _Problem) -> str:
    return canonical_digest([v.to_dict() for v in prob.canon])


def _exclusions_digest(prob: _Problem) -> str:
    rows = [
        [prob.codes[v], str(prob.ids[o]), ("recused", "repeat")[r]]
        for v, o, r in zip(
            prob.excl_v.tolist(), prob.excl_o.tolist(), prob.excl_reason.tolist(), strict=True
        )
    ]
    return canonical_digest(rows)


def verify_matching(
    record: MatchingRecord | str | Mapping[str, Any],
    visits: Sequence[Visit],
    officers: OfficerRoster,
    conflicts: Iterable[Conflict] | Mapping[str, Any] = (),
    *,
    history: Iterable[tuple[str, str, Any]] | Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
    unknown_conflicts: str = "refuse",
    check_optimum: bool = False,
) -> None:
    """Recompute a published matching and raise :class:`~randcheck.VerificationError` if it
    differs.

    Checks, with numpy and the standard library only: that the visits, the roster and the
    exclusions (回避, repeat window) are the ones recorded; that the published marginals are a
    flow of the batch's network that fills every seat and keeps every load cap; that no pair's
    chance exceeds the recorded q* (up to the grid); and that rounding the marginals with the
    seed's coins gives the published teams. With ``check_optimum=True`` it also solves for q*
    again (OR-Tools) and compares.

    Parameters
    ----------
    record : MatchingRecord, JSON text or dict
        The published record (:meth:`Assignment.record`).
    visits, officers, conflicts, history, as_of, unknown_conflicts
        As given to :func:`match_officers`.
    check_optimum : bool
        Also recompute q* (needs the flow solver).

    Raises
    ------
    VerificationError
        If the record cannot be read, is from a simulation, or anything differs;
        ``differences`` lists each finding.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C"]})
    >>> visits = [randcheck.Visit("91130634MA00000001", items=("X",), departments=())]
    >>> a = randcheck.match_officers(visits, officers, seed="2023-1107")
    >>> randcheck.verify_matching(a.record().to_json(), visits, officers)
    >>> a.record().q_star
    '2/3'
    """
    rec = MatchingRecord.read_official(record)
    diffs: list[str] = []
    if rec.recipes.get("matching") != MATCHING_RECIPE:
        raise VerificationError(
            f"matching record: recipe {rec.recipes.get('matching')!r} is not one this version "
            f"runs ({MATCHING_RECIPE})"
        )
    if officers.digest() != rec.officers_digest:
        diffs.append("officer roster differs from the one recorded (officers_digest)")
    try:
        rules = MatchingRules(**rec.rules)
        prob = _prepare(visits, officers, conflicts, rules, history, as_of, unknown_conflicts)
    except (PlanError, TypeError) as exc:
        raise VerificationError(f"matching record: the inputs do not give a batch: {exc}") from None
    if _visits_digest(prob) != rec.visits_digest:
        diffs.append("visits differ from those recorded (visits_digest)")
    if _exclusions_digest(prob) != rec.exclusions_digest:
        diffs.append("recusals or repeat exclusions differ from those recorded")
    if diffs:
        raise VerificationError("matching does not verify: " + "; ".join(diffs), diffs)
    try:
        net = _network(prob, rules)
    except (PlanError, InfeasibleMatchingError) as exc:
        raise VerificationError(f"matching record: the inputs do not give a batch: {exc}") from None
    values = np.array(rec.arc_values, dtype=np.int64)
    bits = rec.bits
    if values.shape[0] != net.tail.shape[0] or not GRID_BITS <= bits <= 53:
        raise VerificationError(
            "matching does not verify: the marginals do not fit this batch's network",
            ["arc_values"],
        )
    try:
        q_star = Fraction(rec.q_star)
    except (ValueError, ZeroDivisionError):
        raise VerificationError(
            f"matching record: q_star {rec.q_star!r} is not a fraction"
        ) from None
    unit = 1 << bits
    cap = net.base * unit
    pair_cap = math.ceil(q_star * (1 << GRID_BITS)) << (bits - GRID_BITS)
    cap[net.is_pair] = pair_cap
    balance = np.bincount(net.head, weights=values, minlength=net.n_nodes) - np.bincount(
        net.tail, weights=values, minlength=net.n_nodes
    )
    seats = net.head == 1
    if (values < 0).any() or (values > cap).any() or values[0] != net.demand * unit:
        diffs.append("a marginal is negative, above its capacity or above q* (arc_values)")
    if (values[seats] != net.base[seats] * unit).any():
        diffs.append("the marginals leave a seat unfilled (arc_values)")
    if np.abs(balance).max(initial=0) != 0:
        diffs.append("the marginals are not a flow: conservation fails (arc_values)")
    if rules.team_cap is not None and not diffs:
        try:
            _check_team_cap(prob, net, values, bits, rules.team_cap)
        except InfeasibleMatchingError as exc:
            a_id, b_id = exc.pair or ("", "")
            diffs.append(
                f"officers {a_id} and {b_id} have a teaming bound of {exc.team_bound}, above "
                f"the recorded team_cap {rules.team_cap}"
            )
    if check_optimum:
        again, _cut = _q_star(prob, net)
        if again != q_star:
            diffs.append(f"q* is {again}, not {rec.q_star}")
    if diffs:
        raise VerificationError("matching does not verify: " + "; ".join(diffs), diffs)
    from randcheck._matching_lp import dyadic_round

    src: UniformSource = HashSource.from_seed(str(rec.seed))
    for label in rec.path:
        src = src.child(label)
    rounded = dyadic_round(net.tail, net.head, values, bits, _coins(src))
    on = rounded[net.pair_arc] > 0
    v, o = net.pair_v[on], net.pair_o[on]
    is_x = prob.expert[o]
    order = np.lexsort((o, is_x, prob.vin[v]))
    teams = tuple(
        {
            "credit_code": prob.codes[int(vv)],
            "officer_id": str(prob.ids[int(oo)]),
            "role": "专家" if bool(xx) else "执法人员",
        }
        for vv, oo, xx in zip(
            v[order].tolist(), o[order].tolist(), is_x[order].tolist(), strict=True
        )
    )

    def key(t: Mapping[str, Any]) -> tuple[str, str, str]:
        return (str(t["credit_code"]), str(t["officer_id"]), str(t["role"]))

    if sorted(map(key, teams)) != sorted(map(key, rec.teams)):
        diffs.append("the seed's coins on the published marginals give other teams")
        raise VerificationError("matching does not verify: " + "; ".join(diffs), diffs)
