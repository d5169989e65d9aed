"""What a matching publishes: :class:`Assignment`, :class:`MatchingRecord`, and its check.

:func:`verify_matching` replays a published record from its inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _tables
from randcheck._records import JsonRecord, canonical_digest
from randcheck._version import library
from randcheck.errors import (
    InfeasibleMatchingError,
    PlanError,
    VerificationError,
)
from randcheck.matching import _lp as lp
from randcheck.matching._flow import build_network, find_q_star
from randcheck.matching._problem import FlowNetwork, MatchingProblem, prepare_problem
from randcheck.matching._rounding import check_team_cap, coins_from
from randcheck.matching.rules import (
    GRID_BITS,
    MATCHING_PLAN_RECIPE,
    MATCHING_RECIPE,
    MATCHING_RECORD_FORMAT,
    VERIFY_MAX_PAIRS,
    Bools,
    Floats,
    Ints,
    MatchingRules,
    Recusals,
)
from randcheck.matching.teaming import TeamingTable, teaming_sums
from randcheck.models import Conflict, Visit
from randcheck.randomness import (
    PRN_RECIPE,
    HashSource,
    UniformSource,
)
from randcheck.roster import OfficerRoster
from randcheck.sampling.commitment import Commitment, read_published


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


class TeamColumns:
    """The team columns both matching recipes return (:class:`Assignment`,
    :class:`~randcheck.matching.SweepAssignment`), and how to list and export them.

    Row ``i`` puts roster row ``officer_index[i]`` on visit ``visit_index[i]`` (an index into
    ``credit_codes``, the visits as given); ``expert`` marks the experts (专家库).
    """

    __slots__ = ()
    credit_codes: tuple[str, ...]
    visit_index: Ints
    officer_index: Ints
    expert: Bools
    officer_ids: npt.NDArray[Any]

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
class Assignment(TeamColumns):
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
    _published: Published | None = attrs.field(default=None, repr=False)

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
            rules=rules_dict(pub.rules),
            visits_digest=visits_digest_of(pub.prob),
            officers_digest=pub.officers.digest(),
            exclusions_digest=exclusions_digest_of(pub.prob),
            q_star=str(self.q_star),
            bits=self.pair_probabilities.bits,
            arc_values=tuple(int(x) for x in pub.marginal.tolist()),
            teams=tuple(self.to_rows()),
        )

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
        >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("X",), departments=())]
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
        _, _, _, sums = teaming_sums(
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
        a, b, shared, sums = teaming_sums(
            p.visit_index, p.officer_index, p.units.astype(np.float64)
        )
        return TeamingTable.build(self.officer_ids[a], self.officer_ids[b], shared, sums, p.bits)


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
# The public record and its verification


@attrs.define
class Published:
    """What :meth:`Assignment.record` needs beyond the assignment's own columns."""

    prob: MatchingProblem
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


def rules_dict(rules: MatchingRules) -> dict[str, Any]:
    """The rules as a record writes them (every matching record: flow and sweep)."""
    out: dict[str, Any] = {}
    for f in attrs.fields(MatchingRules):
        v = getattr(rules, f.name)
        if f.name == "unit_areas":
            v = {k: sorted(a) for k, a in sorted(v.items())}
        elif f.name == "item_team_sizes":
            v = {k: int(n) for k, n in sorted(v.items())}
        elif isinstance(v, Fraction):  # a cap given exactly: its float (the grid floors it alike)
            v = float(v)
        elif isinstance(v, np.integer):
            v = int(v)
        elif isinstance(v, np.floating):
            v = float(v)
        out[f.name] = v
    return out


def visits_digest_of(prob: MatchingProblem) -> str:
    """The digest of a batch's visits in canonical order, as a record writes it."""
    return canonical_digest([v.to_dict() for v in prob.visits])


def exclusions_digest_of(prob: MatchingProblem) -> str:
    """The digest of the exclusions applied (回避, repeat window), as a record writes it."""
    rows = [
        [prob.visit_codes[v], str(prob.officer_ids[o]), ("recused", "repeat")[r]]
        for v, o, r in zip(
            prob.excluded_visit.tolist(),
            prob.excluded_officer.tolist(),
            prob.excluded_reason.tolist(),
            strict=True,
        )
    ]
    return canonical_digest(rows)


def matching_plan_digest(
    rules: Mapping[str, Any],
    visits_digest: str,
    exclusions_digest: str,
    q_star: str,
    bits: int,
    arc_values: Any,
) -> str:
    """What a matching's commitment fixes as its ``plan_digest`` (``randcheck-matching-plan/1``).

    The canonical JSON digest (``randcheck-canonical-json/1``) of ``{"recipe":
    "randcheck-matching-plan/1", "rules": ..., "visits_digest": ..., "exclusions_digest": ...,
    "q_star": "p/q", "bits": n, "marginals": "sha256:" + SHA-256 of the marginals as
    little-endian 64-bit integers}``: everything that decides each pair's chance, so that only
    the seed's numbers are left to choose the teams.
    """
    marginals = np.asarray(arc_values, dtype="<i8")
    return canonical_digest(
        {
            "recipe": MATCHING_PLAN_RECIPE,
            "rules": dict(rules),
            "visits_digest": visits_digest,
            "exclusions_digest": exclusions_digest,
            "q_star": q_star,
            "bits": bits,
            "marginals": "sha256:" + hashlib.sha256(marginals.tobytes()).hexdigest(),
        }
    )


def plan_digest_of(
    prob: MatchingProblem, rules: MatchingRules, q_star: Fraction, bits: int, marginal: Ints
) -> str:
    """:func:`matching_plan_digest` of a batch as solved now (what a commitment fixes)."""
    return matching_plan_digest(
        rules_dict(rules), visits_digest_of(prob), exclusions_digest_of(prob), str(q_star), bits,
        marginal,
    )  # fmt: skip


def committed_findings(rec: MatchingRecord, promised: Commitment) -> list[str]:
    """What differs between a matching record and the commitment published before its seed:
    the officer directory, the plan (visits, exclusions, rules, q*, marginals), the key path,
    and whether the seed is written as the committed rule reads it."""
    try:
        plan = matching_plan_digest(
            rec.rules, rec.visits_digest, rec.exclusions_digest, rec.q_star, rec.bits,
            rec.arc_values,
        )  # fmt: skip
    except (OverflowError, TypeError, ValueError):
        plan = ""
    return promised.findings(
        rec.officers_digest,
        plan,
        rec.path,
        rec.seed,
        roster="the officer directory",
        plan="the visits, exclusions, rules, q* or marginals",
    )


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
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any] | None = None,
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
    commitment : Commitment, dict, JSON text or path, optional
        The matching's commitment published before its seed (:func:`commit_matching`):
        checked first, that the record was drawn under it (the same officer directory,
        visits, exclusions, rules, q* and marginals, the committed key path, and a seed the
        committed rule reads). Without it, nothing shows that the seed, the key label or the
        marginals were not chosen after the seed was known.

    Raises
    ------
    VerificationError
        If the record cannot be read, is from a simulation, or anything differs;
        ``differences`` lists each finding.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C"]})
    >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("X",), departments=())]
    >>> a = randcheck.match_officers(visits, officers, seed="2023-1107")
    >>> randcheck.matching.verify_matching(a.record().to_json(), visits, officers)
    >>> a.record().q_star
    '2/3'
    """
    rec = MatchingRecord.read_official(record)
    if commitment is not None:
        _fail(committed_findings(rec, read_published(commitment)))
    rules, prob = _replay_problem(
        rec, visits, officers, conflicts, history, as_of, unknown_conflicts
    )
    net, values = _check_marginals(rec, rules, prob, check_optimum)
    _check_teams(rec, prob, net, values)


def _fail(diffs: list[str]) -> None:
    if diffs:
        raise VerificationError("matching does not verify: " + "; ".join(diffs), diffs)


def _replay_problem(
    rec: MatchingRecord,
    visits: Sequence[Visit],
    officers: OfficerRoster,
    conflicts: Iterable[Conflict] | Mapping[str, Any],
    history: Iterable[tuple[str, str, Any]] | Mapping[str, Any] | None,
    as_of: dt.date | None,
    unknown_conflicts: str,
) -> tuple[MatchingRules, MatchingProblem]:
    """The recorded rules and the batch they give: the recipe, the roster, the visits and the
    exclusions must be the ones recorded."""
    diffs: list[str] = []
    if rec.recipes.get("matching") != MATCHING_RECIPE:
        raise VerificationError(
            f"matching record: recipe {rec.recipes.get('matching')!r} is not one this version "
            f"runs ({MATCHING_RECIPE})"
        )
    if rec.recipes.get("prn") != PRN_RECIPE or set(rec.recipes) != {"matching", "prn"}:
        raise VerificationError(
            f"matching record: recipes {dict(rec.recipes)}: this version runs "
            f"{{'matching': {MATCHING_RECIPE!r}, 'prn': {PRN_RECIPE!r}}}"
        )
    if officers.digest() != rec.officers_digest:
        diffs.append("officer roster differs from the one recorded (officers_digest)")
    try:
        rules = MatchingRules(**rec.rules)
        prob = prepare_problem(
            visits, officers, conflicts, rules, history, as_of, unknown_conflicts
        )
    except (PlanError, TypeError, ValueError, AttributeError, OverflowError) as exc:
        # A record's rules of the wrong type ("unit_areas": "x") are refused, never a traceback.
        raise VerificationError(f"matching record: the inputs do not give a batch: {exc}") from None
    if visits_digest_of(prob) != rec.visits_digest:
        diffs.append("visits differ from those recorded (visits_digest)")
    if exclusions_digest_of(prob) != rec.exclusions_digest:
        diffs.append("recusals or repeat exclusions differ from those recorded")
    _fail(diffs)
    return rules, prob


def _check_marginals(
    rec: MatchingRecord, rules: MatchingRules, prob: MatchingProblem, check_optimum: bool
) -> tuple[FlowNetwork, Ints]:
    """The published marginals are a flow of the batch's network that fills every seat, keeps
    every capacity, q* and the team cap; returns the network and the marginals."""
    diffs: list[str] = []
    try:
        net = build_network(prob, rules, VERIFY_MAX_PAIRS)
    except (PlanError, InfeasibleMatchingError) as exc:
        raise VerificationError(f"matching record: the inputs do not give a batch: {exc}") from None
    try:
        values = np.array(rec.arc_values, dtype=np.int64)
    except (OverflowError, TypeError, ValueError):
        raise VerificationError(
            "matching record: arc_values are not whole numbers of 64 bits", ["arc_values"]
        ) from None
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
            check_team_cap(prob, net, values, bits, rules.team_cap)
        except InfeasibleMatchingError as exc:
            a_id, b_id = exc.pair or ("", "")
            diffs.append(
                f"officers {a_id} and {b_id} have a teaming bound of {exc.team_bound}, above "
                f"the recorded team_cap {rules.team_cap}"
            )
    if check_optimum:
        again = find_q_star(prob, net)
        if again != q_star:
            diffs.append(f"q* is {again}, not {rec.q_star}")
    _fail(diffs)
    return net, values


def _check_teams(
    rec: MatchingRecord, prob: MatchingProblem, net: FlowNetwork, values: Ints
) -> None:
    """Rounding the marginals with the seed's coins gives the published teams."""
    bits = rec.bits
    try:
        src: UniformSource = HashSource.from_seed(str(rec.seed))
    except PlanError as exc:
        raise VerificationError(f"matching record: {exc}", ["seed"]) from None
    for label in rec.path:
        src = src.child(label)
    rounded = lp.dyadic_round(net.tail, net.head, values, bits, coins_from(src))
    on = rounded[net.pair_arc] > 0
    v, o = net.pair_visit[on], net.pair_officer[on]
    is_x = prob.officer_expert[o]
    order = np.lexsort((o, is_x, prob.input_index[v]))
    teams = tuple(
        {
            "credit_code": prob.visit_codes[int(vv)],
            "officer_id": str(prob.officer_ids[int(oo)]),
            "role": "专家" if bool(xx) else "执法人员",
        }
        for vv, oo, xx in zip(
            v[order].tolist(), o[order].tolist(), is_x[order].tolist(), strict=True
        )
    )

    def key(t: Mapping[str, Any]) -> tuple[str, str, str]:
        return (str(t["credit_code"]), str(t["officer_id"]), str(t["role"]))

    if sorted(map(key, teams)) != sorted(map(key, rec.teams)):
        _fail(["the seed's coins on the published marginals give other teams"])
