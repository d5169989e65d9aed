"""Staffing a batch: :func:`match_officers` (official, from a seed), :func:`simulate_matching`."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from randcheck._progress import ProgressArg, Reporter
from randcheck.errors import (
    PlanError,
)
from randcheck.matching._problem import prepare_problem
from randcheck.matching._rounding import (
    STAGE_SHARE,
    Solution,
    batch_problem,
    check_jurisdiction,
    committed_source,
    matching_source,
    solve,
    solve_marginals,
)
from randcheck.matching.records import (
    Assignment,
    MatchingSimulation,
    PairProbabilities,
    Published,
    plan_digest_of,
)
from randcheck.matching.rules import MAX_PAIRS, MatchingRules, whole_number
from randcheck.models import Conflict, Visit
from randcheck.randomness import (
    LABEL_MATCHING,
    GeneratorSource,
    UniformSource,
    run_label,
)
from randcheck.randomness.seeds import SeedRule
from randcheck.roster import OfficerRoster
from randcheck.sampling.commitment import Commitment, read_published

#: What a commitment may be given as: the record, its dict, its JSON text or its file's path.
CommitmentArg = Commitment | str | os.PathLike[str] | Mapping[str, Any]


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
    key_label: str = LABEL_MATCHING,
    unknown_conflicts: str = "refuse",
    progress: ProgressArg = None,
    max_pairs: int = MAX_PAIRS,
    commitment: CommitmentArg | None = None,
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
        A public seed: an official, verifiable matching (committed first, from a draw held
        after the visits are published: see ``commitment``). The numbers come from the
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
    max_pairs : int
        The most officer–visit pairs the batch may have (:data:`MAX_PAIRS`, 2·10⁷, by default:
        a bound on memory, about 350 bytes a pair). Time grows a little faster than the number
        of pairs: about 1.5·10⁶ pairs are matched within 10 s on a 2-core machine, 10⁴ visits ×
        500 officers (5·10⁶ pairs) in about 30 s and 1.7 GiB. A system with a time budget
        passes a smaller value and splits larger batches (by area, unit or department).
    commitment : Commitment, dict, JSON text or path, optional
        The matching's commitment (:func:`commit_matching`), published after the visits and
        before ``seed`` existed. The key then comes from the seed, read by the committed rule,
        and the committed path; the officer directory, visits, exclusions, rules and the
        marginals computed now must be the committed ones, or nothing is matched.

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
        without ``as_of``, ``max_pairs`` is not a whole number ≥ 1, or the batch has more than
        ``max_pairs`` eligible pairs (the message says how to split it); or, with
        ``commitment``, the seed does not fit the committed rule or anything committed differs.

    Examples
    --------
    >>> officers = randcheck.OfficerRoster.from_columns({
    ...     "officer_id": ["A1", "A2", "A3", "A4"],
    ...     "skills": ["成品油", "", "", "成品油"],
    ... })
    >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("SW-02",),
    ...                           departments=("商务局",), skills=("成品油",))]
    >>> a = randcheck.match_officers(visits, officers, seed="2023-1107",
    ...     conflicts=[randcheck.models.Conflict("A1", "91130634MA00000001", "亲属关系")])
    >>> a.teams()
    [('A3', 'A4')]
    >>> list(a.recusals)
    [('A1', '91130634MA00000001', '亲属关系')]
    >>> a.q_star, a.pair_probabilities.probability.tolist()
    (Fraction(1, 1), [0.5, 0.5, 1.0])
    """
    rules = MatchingRules() if rules is None else rules
    whole_number("max_pairs", max_pairs, 1)
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
        report.advance(STAGE_SHARE["prepare"])
        sol = solve(prob, rules, src, report, int(max_pairs))
    finally:
        report.close()
    if promised is not None:
        promised.require_plan(
            plan_digest_of(prob, rules, sol.q_star, sol.bits, sol.marginal),
            "the visits, exclusions (回避, repeat window), rules or marginals",
        )
    return _assignment(sol, src, rules, officers)


def commit_matching(
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
    max_pairs: int = MAX_PAIRS,
) -> Commitment:
    """The commitment of a matching, to publish after the visits and before its seed exists.

    A matching's chances are computed before any number is drawn: they depend on the visits
    (known once the targets are drawn), the officer directory, the conflicts, the history and
    the rules. Publishing their fingerprint before the seed (e.g. the next day's lottery)
    leaves nobody a choice: not the seed's spelling, not the key label, not the marginals, not
    an officer or a conflict added or dropped. :func:`match_officers` with ``commitment=`` then
    draws the teams, and :func:`verify_matching` with ``commitment=`` checks them.

    It is a :class:`~randcheck.Commitment` (``randcheck-commitment/2``) whose ``roster_digest``
    is the officer directory's fingerprint (:meth:`OfficerRoster.digest
    <randcheck.OfficerRoster.digest>`), whose ``plan_digest`` is
    :func:`~randcheck.matching.records.matching_plan_digest` (``randcheck-matching-plan/1``) of
    the visits, exclusions, rules, q* and marginals, and whose path is ``[key_label]``.

    Parameters
    ----------
    visits, officers, conflicts, rules, history, as_of, key_label, unknown_conflicts, max_pairs
        As :func:`match_officers` will be given them.
    seed_rule : SeedRule
        How the seed will be read, with the date of its draw for a lottery or dice.
    seed_from : str
        Where the seed will come from, in words.

    Returns
    -------
    Commitment

    Raises
    ------
    PlanError, RosterError, BatchError, InfeasibleMatchingError
        As :func:`match_officers` would for these inputs; or a seed rule without its date.

    Examples
    --------
    >>> from randcheck import OfficerRoster, SeedRule
    >>> from randcheck.matching import commit_matching, match_officers, verify_matching
    >>> from randcheck.models import Visit
    >>> officers = OfficerRoster.from_columns({"officer_id": ["A1", "A2", "A3"]})
    >>> visits = [Visit("91130634MA00000001", items=("SW-02",), departments=())]
    >>> rule = SeedRule.shuangseqiu(date="2025-03-06")
    >>> c = commit_matching(visits, officers, seed_rule=rule, seed_from="双色球 2025-03-06")
    >>> a = match_officers(visits, officers, seed="2025-03-06 03 08 14 22 27 31 + 09",
    ...                    commitment=c)
    >>> verify_matching(a.record(), visits, officers, commitment=c)
    """
    whole_number("max_pairs", max_pairs, 1)
    rules, prob = batch_problem(
        visits, officers, conflicts, rules, history, as_of, unknown_conflicts
    )
    _net, q_star, bits, marginal = solve_marginals(prob, rules, None, int(max_pairs))
    plan = plan_digest_of(prob, rules, q_star, bits, marginal)
    return Commitment.of(officers.digest(), plan, (key_label,), seed_rule, seed_from)


def _assignment(
    sol: Solution, src: UniformSource, rules: MatchingRules, officers: OfficerRoster
) -> Assignment:
    prob, net = sol.prob, sol.net
    arcs = net.pair_arc
    on = sol.rounded[arcs] > 0
    v, o = net.pair_visit[on], net.pair_officer[on]
    is_x = prob.officer_expert[o]
    vi = prob.input_index[v]
    order = np.lexsort((o, is_x, vi))
    loads = np.zeros(prob.n_officers, dtype=np.int64)
    np.add.at(loads, prob.officer_row[o], 1)
    desc = src.describe()
    desc["matching"] = rules.recipe
    pv, po = net.pair_visit, net.pair_officer
    pos = sol.marginal[arcs] > 0
    p_order = np.lexsort((po[pos], prob.input_index[pv[pos]]))
    probs = PairProbabilities(
        visit_index=prob.input_index[pv[pos]][p_order],
        officer_index=prob.officer_row[po[pos]][p_order],
        expert=prob.officer_expert[po[pos]][p_order],
        units=sol.marginal[arcs][pos][p_order],
        bits=sol.bits,
    )
    return Assignment(
        credit_codes=tuple(x.credit_code for x in prob.input_visits),
        visit_index=vi[order],
        officer_index=prob.officer_row[o][order],
        expert=is_x[order],
        officer_ids=prob.officer_ids[np.argsort(prob.officer_row)],
        loads=loads,
        recusals=prob.recusals,
        source=desc,
        pair_probabilities=probs,
        q_star=sol.q_star,
        ignored_conflicts=prob.ignored,
        published=Published(prob=prob, rules=rules, officers=officers, marginal=sol.marginal),
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
    >>> visits = [randcheck.models.Visit("91130634MA00000001", items=("SW-02",), departments=())]
    >>> sim = randcheck.matching.simulate_matching(visits, officers, runs=400, rng=7)
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
        a = match_officers(visits, officers, source=gen.child(run_label(i)), **kwargs)
        vi, oi = a.visit_index, a.officer_index
        np.add.at(freq, (vi, oi), 1.0)
        m = np.zeros((n_v, n_o))
        m[vi, oi] = 1.0
        together += m.T @ m
    np.fill_diagonal(together, 0.0)
    return MatchingSimulation(runs=runs, frequency=freq / runs, together=together / runs)
