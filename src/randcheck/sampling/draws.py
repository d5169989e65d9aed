"""The official and simulated draw: :func:`draw`, and :func:`draw_stream` under a settled source."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck._dates import CHINA_TZ
from randcheck._inputs import loaded_roster
from randcheck._parallel import in_two
from randcheck._progress import ProgressArg
from randcheck._version import library
from randcheck.errors import PlanError
from randcheck.randomness import (
    LABEL_ROUNDING,
    LABEL_START,
    LABEL_UNITS,
    PRN_RECIPE,
    HashSource,
    UniformSource,
    sorted_ids_digest,
    source_for,
    stratum_label,
)
from randcheck.randomness.hashing import SLICE_ROWS, uniforms_in_parallel
from randcheck.randomness.select import (
    code_order,
)
from randcheck.roster import (
    TargetRoster,
    fingerprint_jobs,
    seal_fingerprint,
)
from randcheck.sampling import allocation
from randcheck.sampling._design import Design, at_codes, build_design, simulation_design
from randcheck.sampling._pps import pps_probabilities, pps_scale
from randcheck.sampling._select import select_all, select_simulated
from randcheck.sampling.commitment import Commitment, read_published
from randcheck.sampling.plan import (
    DRAW_RECIPE,
    RECEIPT_FORMAT,
    SAMPLE_RECIPE,
    SamplingPlan,
    Stratum,
)
from randcheck.sampling.records import Draw, Receipt


def draw(
    roster: TargetRoster,
    plan: SamplingPlan,
    *,
    seed: str | None = None,
    rng: Any = None,
    stream: str | None = None,
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any] | None = None,
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
    source: UniformSource | None = None,
    workers: int = 1,
    progress: ProgressArg = None,
) -> Draw:
    """Draw targets from ``roster`` by ``plan``.

    Official draws pass ``seed``, the public seed string: every number comes from it through the
    published recipes, and :func:`verify` (or the standard-library reference verifier) recomputes
    the draw from the receipt and the roster. Simulations pass ``rng`` (anything
    :func:`numpy.random.default_rng` accepts): the same design with numpy's numbers, much
    faster to repeat, but the receipt says it is not publicly verifiable.

    Parameters
    ----------
    roster : TargetRoster
        The frozen directory to draw from (its digest goes in the receipt).
    plan : SamplingPlan
        The design.
    seed : str, optional
        Public seed (official draw).
    rng : optional
        Seed or Generator for a simulation.
    stream : str, optional
        The one key label (below the seed's root key, or below ``source``) of the targets'
        numbers; default ``"units"``. It is a single label: a ``/`` in it is an ordinary
        character. Draws that share the key share their numbers (coordinated samples, maximal
        overlap). A committed draw takes its path from the commitment; a ``stream`` that differs
        from it is refused.
    commitment : Commitment, dict, str or path, optional
        The commitment published before the seed (:func:`commit`), as :func:`verify` takes it:
        the record, its dict, its JSON text or its file's path; checked against roster and
        plan and recorded in the receipt. The key is then derived from the seed and the
        committed path alone, and the seed must fit the committed :class:`~randcheck.SeedRule`
        (its canonical form is used). Without a commitment an official draw is made, but its
        receipt carries a warning (``warnings``) that nothing shows the draw was fixed before
        the seed was known: a draw made after the fact can be repeated with other labels or
        spellings of the seed until one suits the drawer.
    drawn_by : str, optional
        Who drew it, for the record.
    drawn_at : datetime, optional
        When; default now (China Standard Time).
    source : optional
        A ready source (e.g. a batch's child) instead of ``seed``/``rng``; refused with a
        commitment.
    workers : int
        Processes that hash in an official draw (default 1). With more than one, for
        rosters of 500,000 targets or more, the targets' numbers and the roster's digest are
        cut into jobs that run in at most that many forked processes (never more than the
        cores available) while this one waits; the results are identical bit for bit. Needs
        the ``fork`` start method (Linux, macOS), else one process is used. Simulations
        do not fork: where a second core is free (no other task waiting to run on it),
        they run their longest steps in two threads, with the same results.
    progress : bool or callable, optional
        Report the hashing of an official draw (the long part at 10⁷ targets): ``True`` for a
        tqdm bar when tqdm is installed, or a callable ``progress(done, total)`` called with
        the rows hashed so far (the roster's rows for its digest count too).

    Returns
    -------
    Draw

    Raises
    ------
    PlanError
        If the plan does not fit the roster (a class without a rate, a total above the
        eligible population, a missing or invalid score column), the seed is empty or does
        not fit the committed seed rule, the commitment does not match the roster and plan,
        or ``source``/``rng`` is given with a commitment.

    Examples
    --------
    >>> from randcheck import SeedRule, commit, example_county, verify
    >>> county = example_county()
    >>> plan = SamplingPlan(rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.5})
    >>> c = commit(county.targets, plan, seed_rule=SeedRule.shuangseqiu(date="2023-11-07"),
    ...            seed_from="福利彩票双色球 2023-11-07 开奖结果")
    >>> d = draw(county.targets, plan, seed="2023-11-07 03 08 14 22 27 31 + 09", commitment=c)
    >>> d.receipt.seed
    '双色球 2023-11-07 03 08 14 22 27 31 + 09'
    >>> verify(d.receipt, county.targets) is None
    True
    """
    loaded_roster(roster, TargetRoster, "draw")
    source, label, commitment, warnings = settle(
        plan, seed, rng, stream, commitment, source, roster_digest=roster.digest
    )
    return draw_stream(
        roster, plan, source, label, workers, drawn_by, drawn_at, commitment, warnings, progress
    )


def settle(
    plan: SamplingPlan,
    seed: str | None,
    rng: Any,
    stream: str | None,
    commitment: Commitment | str | os.PathLike[str] | Mapping[str, Any] | None,
    source: UniformSource | None,
    *,
    roster_digest: Callable[[], str] | None,
) -> tuple[UniformSource, str, Commitment | None, tuple[str, ...]]:
    """The source, stream, commitment and warnings of a draw from :func:`draw`'s arguments.

    ``roster_digest``: the roster's digest, to check against the commitment (``None``: the
    caller checks it with :func:`check_committed_roster` once it is known).
    """
    if commitment is not None:
        # As verify takes it: the record, its dict, its JSON text or its file's path.
        commitment = read_published(commitment)
        if source is not None or rng is not None:
            raise PlanError(
                "a committed draw takes its key from the seed and the committed path alone: "
                "pass seed= with commitment=, not rng= or source="
            )
        if seed is None:
            raise PlanError("commitment= needs the public seed: pass seed=")
        if stream is not None and (stream,) != commitment.path:
            raise PlanError(
                f"stream = {stream!r}: the commitment fixes the key path "
                f"{list(commitment.path)}; leave stream out of a committed draw"
            )
        if roster_digest is not None:
            check_committed_roster(commitment, roster_digest(), plan)
        canonical = commitment.seed_for_drawing(seed)
        *above, stream = commitment.path
        return HashSource.from_seed(canonical).at(above), stream, commitment, ()
    if source is None:
        source = source_for(seed, rng)
    elif seed is not None or rng is not None:
        raise PlanError("give source= alone, or seed= or rng=, not both")
    warnings = (UNCOMMITTED_WARNING,) if source.verifiable else ()
    return source, stream or LABEL_UNITS, None, warnings


def check_committed_roster(commitment: Commitment, roster_digest: str, plan: SamplingPlan) -> None:
    digests = (roster_digest, plan.digest())
    if digests != (commitment.roster_digest, commitment.plan_digest):
        raise PlanError(
            "the commitment does not match this roster and plan: it was published for "
            f"roster {commitment.roster_digest} and plan {commitment.plan_digest}; this "
            f"draw has roster {digests[0]} and plan {digests[1]}"
        )


#: The warning an official draw without a commitment carries in its receipt.
UNCOMMITTED_WARNING = (
    "无承诺 uncommitted: this official draw was made without a commitment published before the "
    "seed; nothing shows that the roster, plan, key path and spelling of the seed were fixed "
    "before the seed was known"
)


def draw_stream(
    roster: TargetRoster,
    plan: SamplingPlan,
    source: UniformSource,
    stream: str,
    workers: int,
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
    commitment: Commitment | None,
    warnings: tuple[str, ...],
    progress: ProgressArg = None,
) -> Draw:
    """:func:`draw` once the source, stream and commitment are settled."""
    if workers < 1 or int(workers) != workers:
        raise PlanError(f"workers = {workers!r} must be a whole number ≥ 1")
    if not isinstance(stream, str) or not stream:
        raise PlanError(f"stream = {stream!r}: a key label is a non-empty string")
    exact = source.verifiable
    design = build_design(roster, plan, exact=True) if exact else simulation_design(roster, plan)
    units = source.child(stream)
    sizes = rounded_sizes(plan, design, units)
    scale = pps_scale(design, sizes, exact=exact) if plan.within == "pps" else None
    picked_st: npt.NDArray[np.integer[Any]]
    picked_scores = None  # the drawn rows' scores, when a simulation has them at hand
    gen = units.iid_generator()
    if gen is None:  # a number for every unit (official draws, coordinated batches)
        ids_all = roster.credit_code if design.rows is None else roster.credit_code[design.rows]
        u, pieces = uniforms_in_parallel(
            units,
            ids_all,
            workers,
            extra_jobs=fingerprint_jobs(roster, max(workers, -(-len(roster) // SLICE_ROWS))),
            progress=progress,
        )
        seal_fingerprint(roster, pieces)
        del ids_all
        picked, picked_st = select_all(design, roster, u, sizes, scale)
        del u
    else:  # i.i.d. numbers stand in: only the strata's candidates need one
        # In row order: the gathers below are faster, and often the code order follows.
        picked, picked_st, picked_scores = select_simulated(design, roster, gen, sizes, scale)
    if plan.within == "pps":
        pi = pps_probabilities(design, picked, picked_st, exact=exact, scores=picked_scores)
    else:
        per = np.array(
            [x / n if n else 0.0 for x, n in zip(design.expected, design.populations, strict=True)]
            or [0.0]
        )
        pi = at_codes(per, picked_st)
    rows = design.roster_rows(picked)
    # A simulation's ids are gathered and ordered when first read (Draw.ordered_when_read).
    ids = gather(roster.credit_code, rows) if source.verifiable else None
    digest = roster.digest() if source.verifiable else ""
    return finish(
        plan,
        source,
        stream,
        design,
        sizes,
        (ids, rows, pi, picked_st),
        (digest, len(roster)),
        commitment,
        warnings,
        drawn_by,
        drawn_at,
        codes=roster.credit_code,
    )


_GATHER_HALF = 1 << 15  # ids gathered in two threads from twice as many


def gather(codes: npt.NDArray[np.bytes_], rows: npt.NDArray[np.intp]) -> npt.NDArray[np.bytes_]:
    """``codes[rows]``: each id is a read from anywhere in the roster's column (mostly a cache
    miss), so a large sample's two halves are read at once where a second core is free.
    ``np.take``: faster than ``[]`` for S18 items."""
    out = np.empty(rows.shape[0], dtype=codes.dtype)
    in_two(lambda a, b: np.take(codes, rows[a:b], out=out[a:b]), rows.shape[0], _GATHER_HALF)
    return out


def rounded_sizes(plan: SamplingPlan, design: Design, units: UniformSource) -> list[int]:
    """Step 4: the strata's sample sizes ``n_h``, from the expected sizes and ``units``."""
    rounding = units.child(LABEL_ROUNDING)
    if plan.total is not None:  # one start: the sizes add up to the total exactly
        start = rounding.uniform(LABEL_START)
        sizes = allocation.systematic_rounding(design.expected, start, True)
    else:  # a start per stratum: a stratum's size grows with its rate alone (nested samples)
        starts = [rounding.uniform(stratum_label(k)) for k in design.keys]
        sizes = allocation.independent_rounding(design.expected, starts)
    return [min(s, p) for s, p in zip(sizes, design.populations, strict=True)]


def finish(
    plan: SamplingPlan,
    source: UniformSource,
    stream: str,
    design: Design,
    sizes: Sequence[int],
    sample: tuple[
        npt.NDArray[np.bytes_] | None, npt.NDArray[np.intp], npt.NDArray[np.float64], Any
    ],
    roster: tuple[str, int],
    commitment: Commitment | None,
    warnings: tuple[str, ...],
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
    *,
    codes: npt.NDArray[np.bytes_] | None = None,
) -> Draw:
    """The :class:`Draw` and its receipt, from the drawn ``(ids, rows, π, strata)`` in any order.

    ``roster`` is the roster's ``(digest, size)`` (the digest is empty in a simulation). In
    memory, out of core and on Dask, every draw's record is assembled here. A simulation may
    give no ids (``None``) but the roster's id column, ``codes``: the ids are then gathered,
    and the sample put in credit-code order, when first read.
    """
    ids, rows, pi, picked_st = sample
    size = int(rows.shape[0])
    if ids is not None:
        ids, rows, pi, stratum = in_code_order(ids, rows, pi, picked_st)
    elif source.verifiable or codes is None:
        raise AssertionError("finish: an official draw's ids, or the roster's id column")
    totals = design.score_totals
    strata = tuple(
        Stratum(key, n, x, s, x / n if n else 0.0, None if totals is None else totals[i])
        for i, (key, n, x, s) in enumerate(
            zip(design.keys, design.populations, design.expected, sizes, strict=True)
        )
    )
    # Simulations keep the receipt light: the digest of the sample, not the list.
    # ASCII to str by a cast (raises on any other byte, as decode would): 3× faster.
    id_strs = (
        tuple(ids.astype(f"U{ids.dtype.itemsize}").tolist())
        if ids is not None and source.verifiable
        else ()
    )
    when = (drawn_at or dt.datetime.now(CHINA_TZ)).isoformat(timespec="seconds")
    described = source.describe()
    receipt = Receipt(
        format=RECEIPT_FORMAT,
        recipes={
            "prn": PRN_RECIPE,
            "design": DRAW_RECIPE,
            "roster": TargetRoster.RECIPE,
            "sample": SAMPLE_RECIPE,
        },
        library=library(),
        verifiable=source.verifiable,
        seed=described["seed"],
        path=tuple(described["path"]),
        stream=stream,
        plan=plan.to_dict(),
        roster_digest=roster[0],
        roster_size=roster[1],
        eligible=design.size,
        strata=tuple(s.to_dict() for s in strata),
        sample_size=size,
        # Simulations skip the digest too: thousands of replicates, none of them published.
        sample_digest=(
            sorted_ids_digest(SAMPLE_RECIPE, ids, presorted=True)
            if ids is not None and source.verifiable
            else ""
        ),
        sample_ids=id_strs,
        commitment=None if commitment is None else commitment.digest,
        seed_rule=None if commitment is None else dict(commitment.seed_rule),
        seed_from=None if commitment is None else commitment.seed_from,
        warnings=warnings,
        drawn_at=when,
        drawn_by=drawn_by,
    )
    if ids is not None:
        return Draw(plan, ids, rows, pi, stratum, strata, receipt)
    column = codes
    assert column is not None
    stratum = picked_st.astype(np.intp, copy=False)
    if size > 1 and not bool((rows[1:] > rows[:-1]).all()):  # not drawn in roster order
        order = np.argsort(rows)
        rows, pi, stratum = rows[order], pi[order], stratum[order]

    def ordered() -> tuple[
        npt.NDArray[np.bytes_], npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.intp]
    ]:
        ids, in_order, pi_, st = in_code_order(gather(column, rows), rows, pi, stratum)
        if in_order is rows:  # already in code order: arrays of its own all the same, as
            in_order, pi_, st = rows.copy(), pi.copy(), st.copy()  # by_row()'s are read-only
        return ids, in_order, pi_, st

    return Draw.ordered_when_read(plan, (rows, pi, stratum), ordered, strata, receipt)


def in_code_order(
    ids: npt.NDArray[np.bytes_],
    rows: npt.NDArray[np.intp],
    pi: npt.NDArray[np.float64],
    stratum: npt.NDArray[np.integer[Any]],
) -> tuple[
    npt.NDArray[np.bytes_], npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.intp]
]:
    """The drawn ``(ids, rows, π, stratum)`` sorted by credit code (stratum as intp)."""
    st: npt.NDArray[np.intp] = stratum.astype(np.intp, copy=False)
    order = code_order(ids)
    if order is None:
        return ids, rows, pi, st
    columns: tuple[npt.NDArray[Any], ...] = (ids, rows, pi, st)
    if order.shape[0] < _GATHER_HALF:
        ids, rows, pi, st = (np.take(c, order) for c in columns)
    else:  # the ids in one thread, the numbers in another where a second core is free
        halves = in_two(lambda a, b: [np.take(c, order) for c in columns[a:b]], 4, at=1)
        ids, rows, pi, st = (c for half in halves for c in half)
    return ids, rows, pi, st
