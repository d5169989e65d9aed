"""Province-scale matching by systematic sweeps: :func:`match_by_sweep`, :func:`verify_sweep`.

The recipe ``randcheck-matching-sweep/1`` staffs the same visits under the same rules as
:func:`~randcheck.match_officers` (``randcheck-matching/3``) without ever listing the
officer–visit pairs, so a batch of 10⁵ visits and 5·10³ officers (5·10⁸ pairs) is one batch.
Every pair's chance is exact and published *implicitly* (a formula over the published inputs,
:meth:`SweepAssignment.chance`); every load cap is proved to hold for every value of the random
numbers before the draw (:attr:`SweepAssignment.load_bound`). It does not reach q*: it keeps
every chance at or below its own largest chance ``M`` and reports a certified lower bound on q*.

The recipe ``randcheck-matching-sweep/1``
-----------------------------------------
Eligibility, recusals (回避), the repeat window, the canonical visit order (by credit code) and
the requirements are those of ``randcheck-matching/3``: each skill a visit needs is a
requirement when an eligible officer (after exclusions) holds it, else an expert skill (专家库);
each department of a joint visit (部门联合) is a requirement; the team size is raised to the
number of requirements.

1. **Officer order.** An officer's sweep key is the first 8 bytes (big-endian) of the SHA-256
   of its UTF-8 ``officer_id``; the sweep order sorts by (key, id). It is public and seed-free.
2. **Windows.** Each visit has one window per requirement (in the visit's order: skills, then
   departments), then one per free seat (team size minus requirements), then one per expert
   skill. Window ``k`` is filled by exactly one member of its group.
3. **Groups.** A visit *type* is (profile, requirements, number of free windows, expert
   skills). For a type, ``E`` are the class-eligible officers (active, load cap above 0, not
   experts, allowed by the department and area rules), in sweep order, and ``W`` its officer
   windows; ``T = ⌊|E| / W⌋``. The requirement windows, by increasing number of qualifiers in
   ``E`` (ties: window order), each take their qualifiers not yet taken, in sweep order, up to
   ``T``. The officers left go round-robin, in sweep order, to the free windows; with no free
   window, each one left that qualifies for some requirement window joins the smallest of
   those (ties: window order), in sweep order; an officer that qualifies for no window is in
   no group (no recipe could send it to such a visit). Expert windows, by increasing number of
   holders among the active experts with a load cap above 0 (ties: window order), take every
   holder not yet taken, in sweep order. The groups of a type are disjoint, so a team's
   members are distinct.
4. **Sweeps.** The windows with the same index ``k`` and the same group form a sweep; its slots
   are those windows in canonical visit order, ``j = 0 … N − 1``. Within index ``k`` the sweeps
   are ordered by the canonical index of their first visit; sweep ``s`` has the offset ``c_s``,
   the number of slots of the index-``k`` sweeps before it.
5. **Numbers.** ``u_k = ⌊U·2⁵³⌋``, ``U`` the number of id ``str(k)`` under the child key
   ``sweep`` of the matching's key (``randcheck-prn/2``): one per window index, independent.
6. **The draw.** With ``G`` the group's size and ``p_s = ⌊u_k·G / 2⁵³⌋``, slot ``j`` starts at
   position ``(p_s + c_s + j) mod G`` of the group; if that officer is excluded for the slot's
   visit (回避, repeat window), the slot moves forward, cyclically, to the first one who is not.
7. **Chances.** ``P(p_s = r) = (⌈(r+1)·2⁵³/G⌉ − ⌈r·2⁵³/G⌉) / 2⁵³``; the officer at position
   ``a`` gets slot ``j`` with chance ``Σ_{i=0..R} P(p_s ≡ a − i − c_s − j)``, ``R`` the number
   of excluded positions just before ``a`` (0 if the officer itself is excluded). Two officers
   in different windows of a visit are teamed there with chance exactly the product of theirs.
8. **Load certificate.** For every officer and window index ``k`` its picks are a step
   function of ``u_k`` (a base ``⌊N/G⌋``, one more on a cyclic range of ``p_s``, minus one
   where an excluded slot starts on it, plus one where a slot starting in a run of excluded
   officers moves onto it); its exact maximum over ``u_k``, summed over ``k``, is the load
   bound. A batch where some officer's bound exceeds its load cap is refused before the draw.
9. **q*.** The certified lower bound is the largest, over the visits, of ``k_v/|E_v|``, one over
   the qualifiers left of each requirement and one over the experts left of each expert skill.
   The *even split* gives every officer of a slot's group who is not excluded there the share
   ``1/(G − excluded)`` of the slot: a fractional assignment of the flow recipe's network. When
   it keeps every load cap and no share exceeds the lower bound, q* equals the bound
   (published as ``q_star``); otherwise ``q_star`` is ``None``.

A visit with a window whose group is wholly excluded is refused
(:class:`~randcheck.InfeasibleMatchingError`, rule ``"sweep_group"``): ``match_officers`` may
still staff it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar, Final

import attrs
import numpy as np
import numpy.typing as npt

from randcheck._progress import ProgressArg, Reporter
from randcheck._records import JsonRecord, canonical_digest
from randcheck._version import library
from randcheck.errors import (
    InfeasibleMatchingError,
    PlanError,
    VerificationError,
)
from randcheck.matching import _sweep
from randcheck.matching._problem import MatchingProblem, prepare_problem, utf8
from randcheck.matching._rounding import (
    batch_problem,
    check_jurisdiction,
    committed_source,
    matching_source,
)
from randcheck.matching.records import (
    PairProbabilities,
    TeamColumns,
    exclusions_digest_of,
    rules_dict,
    visits_digest_of,
)
from randcheck.matching.rules import Bools, Ints, MatchingRules
from randcheck.models import Conflict, Visit
from randcheck.randomness import LABEL_MATCHING, PRN_RECIPE, HashSource, UniformSource
from randcheck.randomness.seeds import SeedRule
from randcheck.roster import OfficerRoster
from randcheck.sampling.commitment import Commitment, read_published

#: The sweep recipe's name, recorded in :attr:`SweepAssignment.source` and its record.
SWEEP_RECIPE: Final = "randcheck-matching-sweep/1"
#: Format of the public record of a sweep matching (:meth:`SweepAssignment.record`).
SWEEP_RECORD_FORMAT: Final = "randcheck-sweep-record/1"
#: What a sweep matching's commitment fixes before its seed (:func:`commit_sweep`).
SWEEP_PLAN_RECIPE: Final = "randcheck-sweep-plan/1"
#: Under a matching's key: the numbers ``u_k`` of the sweeps (one per window index).
LABEL_SWEEP: Final = "sweep"
_UNIT: Final = 1 << _sweep.SCALE_BITS


def sweep_plan_digest(rules: Mapping[str, Any], visits_digest: str, exclusions_digest: str) -> str:
    """What a sweep matching's commitment fixes as its ``plan_digest``
    (``randcheck-sweep-plan/1``): the canonical JSON digest of ``{"exclusions_digest": ...,
    "recipe": "randcheck-sweep-plan/1", "rules": {...}, "visits_digest": ...}``. The sweeps,
    the chances and the load bounds follow from these, the officer directory and the recipe
    (:func:`verify_sweep` recomputes them), so only the seed's numbers are left to choose."""
    return canonical_digest(
        {
            "exclusions_digest": exclusions_digest,
            "recipe": SWEEP_PLAN_RECIPE,
            "rules": dict(rules),
            "visits_digest": visits_digest,
        }
    )


def _plan_digest_of(prob: MatchingProblem, rules: MatchingRules) -> str:
    """:func:`sweep_plan_digest` of a batch as prepared now (what a commitment fixes)."""
    return sweep_plan_digest(rules_dict(rules), visits_digest_of(prob), exclusions_digest_of(prob))


def sweep_uniforms(src: UniformSource, n_windows: int) -> list[int]:
    """``u_k = ⌊U·2⁵³⌋`` for ``k < n_windows``, ``U`` the number ``str(k)`` under ``sweep``."""
    if n_windows == 0:
        return []
    ids = np.array([b"%d" % k for k in range(n_windows)], dtype="S")
    u = src.child(LABEL_SWEEP).uniforms(ids)
    return [int(x) for x in (u * float(_UNIT)).astype(np.uint64).tolist()]


@attrs.define
class _Published:
    """What :meth:`SweepAssignment.record` and the chances need beyond the columns."""

    plan: _sweep.SweepPlan
    rules: MatchingRules
    officers: OfficerRoster
    uniforms: list[int]


@attrs.frozen
class SweepRecord(JsonRecord):
    """The public record of a sweep matching (format ``randcheck-sweep-record/1``).

    Fields: ``recipes`` (the sweep and number recipes), ``library``, ``verifiable``, ``seed``,
    ``path`` (child-key labels from the seed to the matching's key), ``rules``,
    ``visits_digest``, ``officers_digest``, ``exclusions_digest`` (as a
    :class:`~randcheck.matching.MatchingRecord`), ``uniforms`` (the ``u_k``, integers below
    ``2**53``), ``sweeps`` (window index, group size, slots, offset and start ``p_s`` of every
    sweep), ``q_star_lower``, ``q_star`` (``None`` when not certified) and ``largest_chance``
    (fractions, e.g. ``"1/3"``) and ``teams`` (credit code, officer id, role).
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
    uniforms: tuple[int, ...]
    sweeps: tuple[Mapping[str, Any], ...]
    q_star_lower: str
    q_star: str | None
    largest_chance: str
    teams: tuple[Mapping[str, Any], ...]

    FORMAT: ClassVar[str] = SWEEP_RECORD_FORMAT
    LABEL: ClassVar[str] = "sweep record"
    SCHEMAS: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "sweeps": {"window": int, "group_size": int, "slots": int, "offset": int, "start": int},
        "teams": {"credit_code": str, "officer_id": str, "role": str},
    }


@attrs.frozen(eq=False)
class SweepAssignment(TeamColumns):
    """The teams of a batch matched by :func:`match_by_sweep`, as columns (one row per member).

    The team columns are those of :class:`~randcheck.Assignment`: ``credit_codes`` (as given),
    ``visit_index``, ``officer_index`` (roster rows), ``expert``, ``officer_ids`` (the
    roster's), ``loads`` (per roster row), ``recusals``, ``source``, ``ignored_conflicts``; so
    are their listings and exports (:class:`~randcheck.matching.TeamColumns`: ``teams``,
    ``to_rows``, ``to_columns``, ``to_csv``, ``to_excel``, ``to_frame``, ``to_arrow``).

    Attributes
    ----------
    largest_chance : float
        ``M``, the largest chance of any officer–visit pair (exact: a multiple of ``2**-53``).
    q_star_lower : fractions.Fraction
        A certified lower bound on q*, valid for any randomized assignment of the batch.
    q_star : fractions.Fraction or None
        q* itself, when the batch's even split (every officer of a slot's group who is not
        excluded there gets the same share of it) keeps every load cap and no share above
        ``q_star_lower``: then the bound is attained and is q*. ``None`` when that
        certificate fails; q* then lies between ``q_star_lower`` and ``largest_chance``.
    load_bound : numpy array of int64
        Per roster row, the most visits any values of the numbers could have given the
        officer (at most its load cap: checked before the draw).
    sweeps : dict of numpy arrays
        One row per sweep: ``window``, ``group_size``, ``slots``, ``offset``, ``start``.
    """

    credit_codes: tuple[str, ...]
    visit_index: Ints
    officer_index: Ints
    expert: Bools
    officer_ids: npt.NDArray[Any]
    loads: Ints
    recusals: Any
    source: dict[str, Any]
    largest_chance: float
    q_star_lower: Fraction
    q_star: Fraction | None
    load_bound: Ints
    sweeps: dict[str, Ints]
    ignored_conflicts: int = 0
    _published: _Published | None = attrs.field(default=None, repr=False)

    def _pub(self) -> _Published:
        if self._published is None:
            raise PlanError("this assignment was not made by match_by_sweep")
        return self._published

    def _visit(self, plan: _sweep.SweepPlan, credit_code: str) -> int:
        codes = plan.prob.visit_codes  # in canonical (sorted) order
        at = bisect.bisect_left(codes, credit_code)
        if at >= len(codes) or codes[at] != credit_code:
            raise PlanError(f"credit_code {credit_code!r} is not a visit of this batch")
        return at

    def chance(self, officer_id: str, credit_code: str) -> float:
        """The exact chance that the officer was sent to the visit (0.0 if it could not be).

        Raises
        ------
        PlanError
            If the officer is not in the roster or the credit code is not a visit of the batch.

        Examples
        --------
        >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C"]})
        >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("X",), departments=())]
        >>> a = randcheck.matching.match_by_sweep(visits, officers, seed="2023-1107")
        >>> sum(a.chance(o, "91130634MA00000001") for o in "ABC")
        2.0
        """
        plan = self._pub().plan
        v = self._visit(plan, credit_code)
        ids = utf8(plan.prob.officer_ids)
        want = utf8(np.array([officer_id], dtype=object))
        o = int(np.searchsorted(ids, want[0]))
        if o >= ids.shape[0] or ids[o] != want[0]:
            raise PlanError(f"officer_id {officer_id!r} is not in the officer roster")
        return _sweep.pair_chance(plan, v, o) / _UNIT

    def chances(self, credit_codes: Iterable[str]) -> PairProbabilities:
        """Every officer with a positive chance at the given visits, and that chance (exact,
        in units of ``2**-53``): a :class:`~randcheck.matching.PairProbabilities`."""
        plan = self._pub().plan
        prob = plan.prob
        vs, os_, xs, us = [], [], [], []
        for code in credit_codes:
            v = self._visit(plan, code)
            for slot in range(int(plan.slot_start[v]), int(plan.slot_start[v + 1])):
                officers, units = _sweep.slot_chances(plan, slot)
                vs.append(np.full(officers.shape[0], prob.input_index[v], dtype=np.int64))
                os_.append(prob.officer_row[officers])
                xs.append(np.full(officers.shape[0], plan.slot_kind[slot] == _sweep.EXPERT))
                us.append(units)
        if not vs:
            z = np.zeros(0, np.int64)
            return PairProbabilities(z, z, np.zeros(0, bool), z, _sweep.SCALE_BITS)
        v_a, o_a = np.concatenate(vs), np.concatenate(os_)
        order = np.lexsort((o_a, v_a))
        return PairProbabilities(
            visit_index=v_a[order],
            officer_index=o_a[order],
            expert=np.concatenate(xs)[order],
            units=np.concatenate(us)[order],
            bits=_sweep.SCALE_BITS,
        )

    def record(self) -> SweepRecord:
        """The public record (format ``randcheck-sweep-record/1``); :func:`verify_sweep` (or
        :func:`randcheck.verify`) recomputes it."""
        pub = self._pub()
        plan = pub.plan
        sweeps = tuple(
            {"window": w, "group_size": g, "slots": n, "offset": c, "start": p}
            for w, g, n, c, p in zip(
                *(self.sweeps[k].tolist() for k in _SWEEP_COLUMNS), strict=True
            )
        )
        return SweepRecord(
            format=SWEEP_RECORD_FORMAT,
            recipes={"matching": SWEEP_RECIPE, "prn": PRN_RECIPE},
            library=library(),
            verifiable=bool(self.source.get("seed") is not None),
            seed=self.source.get("seed"),
            path=tuple(str(x) for x in self.source.get("path", ())),
            rules=rules_dict(pub.rules),
            visits_digest=visits_digest_of(plan.prob),
            officers_digest=pub.officers.digest(),
            exclusions_digest=exclusions_digest_of(plan.prob),
            uniforms=tuple(pub.uniforms),
            sweeps=sweeps,
            q_star_lower=str(plan.q_lower),
            q_star=None if plan.q_star is None else str(plan.q_star),
            largest_chance=str(Fraction(plan.largest, _UNIT)),
            teams=tuple(self.to_rows()),
        )


_SWEEP_COLUMNS: Final = ("window", "group_size", "slots", "offset", "start")


def _check_rules(rules: MatchingRules, plan: _sweep.SweepPlan) -> None:
    """The pair cap against the lower bound on q* and against ``M``."""
    if rules.pair_cap is None:
        return
    cap = Fraction(rules.pair_cap)
    prob = plan.prob
    if cap < plan.q_lower:
        code = prob.visit_codes[plan.q_lower_visit]
        raise InfeasibleMatchingError(
            f"the pair cap {rules.pair_cap} is below {plan.q_lower} ≈ {float(plan.q_lower):.6f}, "
            f"a lower bound on q* (the least cap any randomized assignment can keep) [防止合谋]: "
            f"visit {code} has too few eligible officers for its team or one of its "
            "requirements; raise the cap, add officers or relax a rule",
            visits=(code,),
            rule="pair_cap",
            shortage=(plan.q_lower - cap) / plan.q_lower,
        )
    largest = Fraction(plan.largest, _UNIT)
    if cap < largest:
        raise PlanError(
            f"pair_cap {rules.pair_cap} is at or above the lower bound on q* ({plan.q_lower}) "
            f"but below {float(largest):.6f}, the largest chance the sweep recipe "
            f"({SWEEP_RECIPE}) gives this batch: it keeps every chance at or below that, not at "
            "q*. Raise the cap to at least that, split the batch (by area, unit or department) "
            "and match the parts with match_officers (randcheck-matching/3), which reaches q*"
        )


def _check_loads(plan: _sweep.SweepPlan, bound: Ints) -> None:
    """Refuse a batch where some officer's load bound exceeds its load cap."""
    prob = plan.prob
    over = np.flatnonzero(bound > prob.officer_cap)
    if over.shape[0] == 0:
        return
    shown = ", ".join(
        f"{prob.officer_ids[o]} (bound {int(bound[o])}, cap {int(prob.officer_cap[o])})"
        for o in over[:20].tolist()
    )
    more = f" and {over.shape[0] - 20} more" if over.shape[0] > 20 else ""
    raise PlanError(
        f"the sweep recipe ({SWEEP_RECIPE}) cannot prove every load cap for this batch: for "
        f"{over.shape[0]} officer(s) some values of the random numbers would give more visits "
        f"than the cap: {shown}{more}; the largest bound is {int(bound[over].max())}. Raise "
        "those load caps (or max_load) to their bounds, split the batch "
        "(by area, unit or department), or match it with match_officers (randcheck-matching/3)"
    )


def _solve(
    prob: MatchingProblem, rules: MatchingRules, report: Reporter | None = None
) -> tuple[_sweep.SweepPlan, Ints]:
    plan = _sweep.build_plan(prob, rules)
    if report is not None:
        report.advance(40)
    _check_rules(rules, plan)
    bound = _sweep.load_bound(plan)
    if report is not None:
        report.advance(30)
    _check_loads(plan, bound)
    return plan, bound


def match_by_sweep(
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
    key_label: str = LABEL_MATCHING,
    unknown_conflicts: str = "refuse",
    progress: ProgressArg = None,
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> SweepAssignment:
    """Match officers to a large batch by systematic sweeps (recipe
    ``randcheck-matching-sweep/1``), under every rule of :func:`~randcheck.match_officers`.

    For province-scale batches that :func:`~randcheck.match_officers` refuses: no list of
    officer–visit pairs is ever built. Every pair's chance is exact and published as a formula
    (:meth:`SweepAssignment.chance`, :meth:`SweepAssignment.chances`); every load cap is proved
    to hold for every value of the random numbers before the draw. The chances are at most
    :attr:`SweepAssignment.largest_chance`, not q*: :attr:`SweepAssignment.q_star_lower` is a
    lower bound on q*, and :attr:`SweepAssignment.q_star` is q* itself when the batch's even
    split certifies it. How: see the module documentation.

    Parameters
    ----------
    visits, officers, conflicts, rules, history, as_of, seed, rng, source, key_label, \
unknown_conflicts, progress
        As for :func:`~randcheck.match_officers`. An official matching takes ``seed``; its
        numbers come from the child key ``sweep`` of the matching's key.
    commitment : Commitment, dict, JSON text or path, optional
        The matching's commitment (:func:`commit_sweep`), published after the visits and
        before ``seed`` existed: the seed is read by its rule at the committed path, and the
        officer directory, visits, exclusions and rules must be the committed ones.

    Returns
    -------
    SweepAssignment

    Raises
    ------
    InfeasibleMatchingError
        As :func:`~randcheck.match_officers` for visits whose rules cannot be met; rule
        ``"sweep_group"`` for a visit with a window whose whole sweep group is excluded;
        rule ``"pair_cap"`` when ``rules.pair_cap`` is below the lower bound on q*.
    PlanError
        If ``rules.team_cap`` is set (this recipe does not support it), ``rules.pair_cap`` is
        below the largest chance of the sweeps, or some officer's load bound exceeds its load
        cap (the message names them); and as :func:`~randcheck.match_officers`.
    RosterError, BatchError
        As :func:`~randcheck.match_officers`.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns(
    ...     {"officer_id": ["A1", "A2", "A3", "A4"], "skills": ["成品油", "", "", "成品油"]})
    >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("SW-02",),
    ...                                  departments=("商务局",), skills=("成品油",))]
    >>> a = randcheck.matching.match_by_sweep(visits, officers, seed="2023-1107")
    >>> a.teams()
    [('A3', 'A4')]
    >>> a.largest_chance, a.q_star_lower, a.q_star
    (0.5, Fraction(1, 2), Fraction(1, 2))
    """
    rules = MatchingRules() if rules is None else rules
    if rules.team_cap is not None:
        raise PlanError(
            f"team_cap: the sweep recipe ({SWEEP_RECIPE}) does not support a team cap; its "
            "members are drawn independently, so two officers are teamed at a visit with the "
            "product of their chances. Leave team_cap unset, or use match_officers"
        )
    if rules.cross_jurisdiction:
        check_jurisdiction(visits, officers, rules)
    if commitment is None:
        promised = None
        src = matching_source(seed, rng, source, key_label)
    else:
        promised = read_published(commitment)
        src = committed_source(promised, officers, seed, rng, source, key_label)
    report = Reporter(progress, 100, "matching", unit="%")
    try:
        prob = prepare_problem(
            visits, officers, conflicts, rules, history, as_of, unknown_conflicts
        )
        if promised is not None:
            promised.require_plan(
                _plan_digest_of(prob, rules),
                "the visits, exclusions (回避, repeat window) or rules",
            )
        report.advance(20)
        plan, bound = _solve(prob, rules, report)
        uniforms = sweep_uniforms(src, plan.n_windows)
        chosen, starts = _sweep.draw(plan, uniforms)
        report.advance(10)
    finally:
        report.close()
    loads_c = np.bincount(chosen, minlength=prob.n_officers)
    if (loads_c > bound).any():  # pragma: no cover - the certificate bounds every draw
        raise AssertionError("sweep: a load exceeds its certified bound")
    desc = src.describe()
    desc["matching"] = SWEEP_RECIPE
    vi = prob.input_index[plan.slot_visit]
    is_x = plan.slot_kind == _sweep.EXPERT
    order = np.lexsort((chosen, is_x, vi))
    row = prob.officer_row
    loads = np.zeros(prob.n_officers, dtype=np.int64)
    loads[row] = loads_c
    bound_rows = np.zeros(prob.n_officers, dtype=np.int64)
    bound_rows[row] = bound
    return SweepAssignment(
        credit_codes=tuple(x.credit_code for x in prob.input_visits),
        visit_index=vi[order],
        officer_index=row[chosen][order],
        expert=is_x[order],
        officer_ids=prob.officer_ids[np.argsort(row)],
        loads=loads,
        recusals=prob.recusals,
        source=desc,
        largest_chance=plan.largest / _UNIT,
        q_star_lower=plan.q_lower,
        q_star=plan.q_star,
        load_bound=bound_rows,
        sweeps={
            "window": plan.sweep_window,
            "group_size": plan.sweep_size,
            "slots": plan.sweep_slots,
            "offset": plan.sweep_offset,
            "start": np.array(starts, dtype=np.int64),
        },
        ignored_conflicts=prob.ignored,
        published=_Published(plan=plan, rules=rules, officers=officers, uniforms=uniforms),
    )


def commit_sweep(
    visits: Sequence[Visit],
    officers: OfficerRoster,
    *,
    seed_rule: SeedRule,
    seed_from: str,
    conflicts: Iterable[Conflict] | Mapping[str, Any] = (),
    rules: MatchingRules | None = None,
    history: Iterable[tuple[str, str, Any]] | Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
    key_label: str = LABEL_MATCHING,
    unknown_conflicts: str = "refuse",
) -> Commitment:
    """The commitment of a sweep matching, to publish after the visits and before its seed.

    As :func:`~randcheck.matching.commit_matching` for :func:`match_by_sweep`: a
    :class:`~randcheck.Commitment` of the officer directory's fingerprint,
    :func:`sweep_plan_digest` of the visits, exclusions and rules (``randcheck-sweep-plan/1``),
    the path ``[key_label]`` and the seed rule, which names a public draw held after the visits
    are published. The batch is planned once (its load certificate checked), so a batch the
    recipe cannot match is refused now, not after the seed.

    Examples
    --------
    >>> from randcheck import OfficerRoster, SeedRule
    >>> from randcheck.matching import commit_sweep, match_by_sweep, verify_sweep
    >>> from randcheck.models import Visit
    >>> officers = OfficerRoster.from_columns({"officer_id": ["A1", "A2", "A3"]})
    >>> visits = [Visit("91130634MA00000001", items=("SW-02",), departments=())]
    >>> c = commit_sweep(visits, officers, seed_rule=SeedRule.shuangseqiu(date="2025-03-06"),
    ...                  seed_from="双色球 2025-03-06")
    >>> a = match_by_sweep(visits, officers, seed="2025-03-06 03 08 14 22 27 31 + 09",
    ...                    commitment=c)
    >>> verify_sweep(a.record(), visits, officers, commitment=c)
    """
    rules, prob = batch_problem(
        visits, officers, conflicts, rules, history, as_of, unknown_conflicts
    )
    _solve(prob, rules, None)  # refused now if the recipe cannot match the batch
    plan = _plan_digest_of(prob, rules)
    return Commitment.of(officers.digest(), plan, (key_label,), seed_rule, seed_from)


# --------------------------------------------------------------------------------------------
# Verification


def _fail(diffs: list[str]) -> None:
    if diffs:
        raise VerificationError("sweep matching does not verify: " + "; ".join(diffs), diffs)


def verify_sweep(
    record: SweepRecord | str | Mapping[str, Any],
    visits: Sequence[Visit],
    officers: OfficerRoster,
    conflicts: Iterable[Conflict] | Mapping[str, Any] = (),
    *,
    history: Iterable[tuple[str, str, Any]] | Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
    unknown_conflicts: str = "refuse",
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any] | None = None,
) -> None:
    """Recompute a published sweep matching and raise :class:`~randcheck.VerificationError` if
    it differs.

    ``commitment``: the matching's commitment published before its seed (:func:`commit_sweep`),
    checked first: the record's officer directory, visits, exclusions, rules and key path must
    be the committed ones and its seed written as the committed rule reads it.

    Everything is recomputed with numpy and the standard library (SHA-256) only: the visits,
    roster and exclusions are the recorded ones (digests); the sweeps (groups, slots, offsets)
    and the seed's numbers ``u_k`` and starts ``p_s`` are the recorded ones; the lower bound on
    q* and the largest chance; the load certificate (no officer's bound above its cap); and the
    draw gives the published teams.

    Raises
    ------
    VerificationError
        If the record cannot be read, is from a simulation, or anything differs;
        ``differences`` lists each finding.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({"officer_id": ["A", "B", "C"]})
    >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("X",), departments=())]
    >>> a = randcheck.matching.match_by_sweep(visits, officers, seed="2023-1107")
    >>> randcheck.matching.verify_sweep(a.record().to_json(), visits, officers)
    """
    rec = SweepRecord.read_official(record)
    if commitment is not None:
        fixed = sweep_plan_digest(rec.rules, rec.visits_digest, rec.exclusions_digest)
        _fail(
            read_published(commitment).findings(
                rec.officers_digest,
                fixed,
                rec.path,
                rec.seed,
                roster="the officer directory",
                plan="the visits, exclusions or rules",
            )
        )
    if rec.recipes.get("matching") != SWEEP_RECIPE:
        raise VerificationError(
            f"sweep record: recipe {rec.recipes.get('matching')!r} is not one this version "
            f"runs ({SWEEP_RECIPE})"
        )
    diffs: list[str] = []
    if officers.digest() != rec.officers_digest:
        diffs.append("officer roster differs from the one recorded (officers_digest)")
    try:
        rules = MatchingRules(**rec.rules)
        prob = prepare_problem(
            visits, officers, conflicts, rules, history, as_of, unknown_conflicts
        )
    except (PlanError, TypeError) as exc:
        raise VerificationError(f"sweep record: the inputs do not give a batch: {exc}") from None
    if visits_digest_of(prob) != rec.visits_digest:
        diffs.append("visits differ from those recorded (visits_digest)")
    if exclusions_digest_of(prob) != rec.exclusions_digest:
        diffs.append("recusals or repeat exclusions differ from those recorded")
    _fail(diffs)
    try:
        plan, _bound = _solve(prob, rules)
    except (PlanError, InfeasibleMatchingError) as exc:
        raise VerificationError(f"sweep record: the batch does not give sweeps: {exc}") from None
    src: UniformSource = HashSource.from_seed(str(rec.seed))
    for label in rec.path:
        src = src.child(label)
    uniforms = sweep_uniforms(src, plan.n_windows)
    if list(rec.uniforms) != uniforms:
        bad = [
            k
            for k in range(max(len(uniforms), len(rec.uniforms)))
            if k >= len(uniforms) or k >= len(rec.uniforms) or uniforms[k] != rec.uniforms[k]
        ]
        diffs.append(f"the seed's numbers differ from those recorded (uniforms[{bad[0]}])")
    chosen, starts = _sweep.draw(plan, uniforms)
    mine = [
        {"window": w, "group_size": g, "slots": n, "offset": c, "start": p}
        for w, g, n, c, p in zip(
            plan.sweep_window.tolist(),
            plan.sweep_size.tolist(),
            plan.sweep_slots.tolist(),
            plan.sweep_offset.tolist(),
            starts,
            strict=True,
        )
    ]
    theirs = [dict(s) for s in rec.sweeps]
    if mine != theirs:
        at = next(
            (i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
            min(len(mine), len(theirs)),
        )
        diffs.append(f"the sweeps differ from those recorded (sweeps[{at}])")
    if str(plan.q_lower) != rec.q_star_lower:
        diffs.append(f"the lower bound on q* is {plan.q_lower}, not {rec.q_star_lower}")
    q_star = None if plan.q_star is None else str(plan.q_star)
    if q_star != rec.q_star:
        diffs.append(f"q* is {q_star}, not {rec.q_star}")
    largest = str(Fraction(plan.largest, _UNIT))
    if largest != rec.largest_chance:
        diffs.append(f"the largest chance is {largest}, not {rec.largest_chance}")
    codes = prob.visit_codes
    is_x = plan.slot_kind == _sweep.EXPERT
    made = sorted(
        (codes[v], str(prob.officer_ids[o]), "专家" if x else "执法人员")
        for v, o, x in zip(plan.slot_visit.tolist(), chosen.tolist(), is_x.tolist(), strict=True)
    )
    kept = sorted((str(t["credit_code"]), str(t["officer_id"]), str(t["role"])) for t in rec.teams)
    if made != kept:
        first = next(
            (a[0] for a, b in zip(made, kept, strict=False) if a != b),
            (made or kept)[-1][0] if (made or kept) else "",
        )
        diffs.append(f"the seed's draw gives other teams than those published (visit {first})")
    _fail(diffs)
