"""Official draws from a Parquet roster larger than memory, one row group at a time.

:func:`draw_parquet` gives the draw that :func:`~randcheck.draw` gives on
``TargetRoster.from_parquet(path)``, the same receipt byte for byte, while holding one row group
and the draw's candidates in memory, never the roster. How:
:mod:`randcheck.sampling._chunked`, and the explanation page "Drawing a nation".
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import numpy as np

from randcheck import _arrow
from randcheck._inputs import file_path
from randcheck._progress import ProgressArg, Reporter
from randcheck.errors import RosterError
from randcheck.randomness import UniformSource
from randcheck.roster import RosterDigest, TargetRoster
from randcheck.sampling import _chunked
from randcheck.sampling.commitment import Commitment
from randcheck.sampling.draws import check_committed_roster, finish, settle
from randcheck.sampling.plan import SamplingPlan
from randcheck.sampling.records import Draw, Receipt
from randcheck.sampling.replay import verify_by

__all__ = ["draw_parquet", "verify_parquet"]


def draw_parquet(
    path: str | os.PathLike[str],
    plan: SamplingPlan,
    *,
    seed: str | None = None,
    rng: Any = None,
    stream: str | None = None,
    commitment: Commitment | None = None,
    drawn_by: str | None = None,
    drawn_at: dt.datetime | None = None,
    mapping: Mapping[str, str] | None = None,
    legacy_codes: bool = False,
    unknown_columns: str = "error",
    extra: Iterable[str] | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
    progress: ProgressArg = None,
) -> Draw:
    """Draw from the roster in a Parquet file without loading it: out of core, same receipt.

    The result equals ``draw(TargetRoster.from_parquet(path, ...), plan, seed=..., ...)``: the
    same sample, inclusion probabilities, strata and receipt (byte for byte, with the same
    ``drawn_at``), for official draws and simulations alike. The file is read once, row group
    by row group, for a census of the strata with the roster's fingerprint; the later passes
    (for πps, when some target may be taken with certainty, each stratum's largest scores;
    then every target's number and the per-stratum candidates) go over the columns they need
    of the validated row groups, kept in memory up to 1 GiB, beyond it on disk (about 25 bytes
    a row). Memory holds one row group, the sample and its candidates; the fingerprint's lines
    wait on disk (about 80 bytes a row) until they are hashed one range of buckets at a time.

    Parameters
    ----------
    path : path
        The Parquet file; a row group is the unit of reading (write it with row groups of
        10⁵–10⁶ rows).
    plan, seed, rng, stream, commitment, drawn_by, drawn_at
        As for :func:`~randcheck.draw`.
    mapping, legacy_codes, unknown_columns, extra
        As for :meth:`TargetRoster.from_parquet <randcheck.TargetRoster.from_parquet>`: each
        row group is validated as that loader validates the file, rows numbered across it.
    spill_dir : path, optional
        Where the fingerprint's lines and the held columns wait (in a temporary folder,
        removed afterwards; default the system's temporary folder).
    progress : bool or callable, optional
        ``True`` for a tqdm bar, or ``progress(done, total)`` with the rows read so far over
        all passes.

    Returns
    -------
    Draw
        ``rows`` are the drawn targets' rows in the file (0-based, as in the loaded roster).
        A simulation's numbers are drawn for every eligible target in file order, so it is the
        draw ``draw(roster, plan, rng=...)`` would give only where that one draws the same
        way; it is a draw from the same design, not publicly verifiable.

    Raises
    ------
    RosterError
        On the first bad row of a row group (file, row, column, value), or an id in two row
        groups (naming its rows).
    PlanError
        As :func:`~randcheck.draw`, when the plan does not fit the roster, the seed or the
        commitment is wrong.

    Examples
    --------
    >>> import datetime as dt, pathlib, tempfile
    >>> import pyarrow as pa, pyarrow.parquet as pq
    >>> from randcheck import TargetRoster, draw
    >>> from randcheck.example import synthetic_targets
    >>> roster = synthetic_targets(3000, seed=5)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "county.parquet"
    >>> pq.write_table(pa.table(roster.to_columns()), path, row_group_size=500)
    >>> plan = SamplingPlan(rates={"A": 0.02, "B": 0.05, "C": 0.2, "D": 0.5})
    >>> when = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    >>> by_parts = draw_parquet(path, plan, seed="2026-12-03", drawn_at=when,
    ...                         extra=["risk_score"])
    >>> in_memory = draw(TargetRoster.from_parquet(path, extra=["risk_score"]), plan,
    ...                  seed="2026-12-03", drawn_at=when)
    >>> by_parts.receipt.to_json() == in_memory.receipt.to_json()
    True
    """
    source, label, commitment, warnings = settle(
        plan, seed, rng, stream, commitment, None, roster_digest=None
    )
    reading = _Reading(
        file_path(path, "draw_parquet"),
        mapping,
        _chunked.read_options(legacy_codes, unknown_columns, extra),
        spill_dir,
    )
    return _draw_file(
        reading, plan, source, label, commitment, warnings, drawn_by, drawn_at, progress
    )


def verify_parquet(
    receipt: Receipt | str | Mapping[str, Any],
    path: str | os.PathLike[str],
    *,
    plan: SamplingPlan | None = None,
    mapping: Mapping[str, str] | None = None,
    legacy_codes: bool = False,
    unknown_columns: str = "error",
    extra: Iterable[str] | None = None,
    spill_dir: str | os.PathLike[str] | None = None,
    progress: ProgressArg = None,
    commitment: Commitment | str | Mapping[str, Any] | None = None,
    accept_retired: bool = False,
) -> None:
    """:func:`~randcheck.verify` against the roster in a Parquet file, without loading it.

    The same checks and findings as :func:`~randcheck.verify` on
    ``TargetRoster.from_parquet(path, ...)``; the draw is recomputed as
    :func:`draw_parquet` computes it (the roster's digest along the way).

    ``commitment`` (the commitment published before the seed) and ``accept_retired`` as for
    :func:`~randcheck.verify`.

    Raises
    ------
    VerificationError
        Saying precisely what differs.
    """
    reading = _Reading(
        file_path(path, "verify_parquet"),
        mapping,
        _chunked.read_options(legacy_codes, unknown_columns, extra),
        spill_dir,
    )
    verify_by(
        receipt,
        plan,
        lambda p, source, stream: _draw_file(
            reading, p, source, stream, None, (), None, None, progress
        ),
        in_batch=False,
        roster=None,
        published=commitment,
        accept_retired=accept_retired,
    )


@attrs.frozen
class _Reading:
    """Where and how the roster is read."""

    path: str | os.PathLike[str]
    mapping: Mapping[str, str] | None
    options: dict[str, Any]
    spill_dir: str | os.PathLike[str] | None


def _draw_file(
    reading: _Reading,
    plan: SamplingPlan,
    source: UniformSource,
    label: str,
    commitment: Commitment | None,
    warnings: tuple[str, ...],
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
    progress: ProgressArg,
) -> Draw:
    """:func:`draw_parquet` once the source, stream and commitment are settled."""
    path, mapping, spill_dir = reading.path, reading.mapping, reading.spill_dir
    options = dict(reading.options)
    units = source.child(label)
    shown = os.fspath(path)
    total = _arrow.parquet_rows(path)
    pps = plan.within == "pps"
    report = Reporter(progress, total * (3 if pps else 2), "draw from parts")
    try:
        census = _chunked.Census()
        with (
            _chunked.spill_folder(spill_dir) as folder,
            _chunked.DigestSpill(folder, rows=total) as spill,
        ):
            # The validated parts, kept for the later passes (the columns they read; in
            # memory up to HOLD_BUDGET, then in the folder): the file is read once.
            held = _chunked.HeldParts(folder, _chunked.needed_columns(plan))
            # Each row group's ids are checked for repeats on the fingerprint's order (one
            # sort of them, not two); a row group that repeats one is read again with the
            # loader's own check, whose error names the rows.
            unchecked = {**options, "_ids_checked_later": True}
            try:
                for g, (first, part) in enumerate(_chunked.parquet_parts(path, mapping, unchecked)):
                    spill.add(part)
                    if RosterDigest.repeats_an_id(part):
                        TargetRoster.from_parquet_group(path, g, first, mapping, options)
                        raise AssertionError("the loader missed a repeated id")  # pragma: no cover
                    census.merge(_chunked.Census.of(part, plan, first))
                    held.add(first, part)
                    report.advance(len(part))
                    del part
                try:
                    digest = spill.seal()
                except RosterError as exc:
                    if not _arrow.is_split_duplicate(exc):
                        raise
                    raise _arrow.duplicate_rows(exc, [shown], mapping, TargetRoster) from None
                found_all, frame = _later_passes(
                    held, census, plan, units, commitment, digest, pps, report, total
                )
            finally:
                held.close()
    finally:
        report.close()
    sample = _chunked.sample_of(frame, found_all)
    return finish(
        plan,
        source,
        label,
        frame.design,
        frame.sizes,
        sample,
        (digest if source.verifiable else "", census.rows),
        commitment,
        warnings,
        drawn_by,
        drawn_at,
    )


def _later_passes(
    held: _chunked.HeldParts,
    census: _chunked.Census,
    plan: SamplingPlan,
    units: UniformSource,
    commitment: Commitment | None,
    digest: str,
    pps: bool,
    report: Reporter,
    total: int,
) -> tuple[_chunked.Candidates, _chunked.Frame]:
    """The passes after the census, over the held parts: the candidates, and the frame."""
    if commitment is not None:
        check_committed_roster(commitment, digest, plan)
    frame = _chunked.Frame.of(census, plan, units)
    if pps and not frame.scales_without_scores():
        top: _chunked.TopScores | None = None
        for first, part in held:
            largest = _chunked.TopScores.of(part, frame, first)
            top = largest if top is None else top.merge(largest, frame)
            report.advance(len(part))
        assert top is not None
        frame.set_scales(top)
    else:
        report.advance(total if pps else 0)
    found_all = _chunked.empty_candidates(pps)
    n = np.asarray(frame.sizes, dtype=np.intp)
    cut = found_all.cut(n)
    waiting: list[_chunked.Candidates] = []
    for first, part in held:
        waiting.append(_chunked.Candidates.of(part, frame, units, first, cut))
        report.advance(len(part))
        # Merge (a sort of everything kept) only once the new candidates are a good part
        # of what is kept; until then the last cut still bounds them.
        if sum(len(c.ranks) for c in waiting) > max(1 << 20, len(found_all.ranks) // 4):
            found_all = _chunked.merge_all([found_all, *waiting], n)
            waiting = []
            cut = found_all.cut(n)
    return _chunked.merge_all([found_all, *waiting], n), frame
