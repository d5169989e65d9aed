"""Official draws on a Dask cluster: Parquet row groups read by the workers, the same receipt.

:func:`draw_dask` runs the map/reduce of :mod:`randcheck._chunked` (the one
:func:`~randcheck.draw_parquet` runs on one machine) as Dask tasks: each row group of the roster's
Parquet files is read, validated and summarised by a worker; the summaries (strata counts, exact
score sums, the fingerprint's bucket ranges, each stratum's candidates) are merged by further
tasks; only the merged strata and the sample come back. Dask schedules, moves and, when memory
runs short, spills the intermediate results to disk; pyarrow reads the files. Dask is an optional
extra (``pip install 'randcheck[dask]'``), imported only when :func:`draw_dask` runs.
"""

from __future__ import annotations

import datetime as dt
import operator
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _arrow, _chunked
from randcheck._progress import ProgressArg
from randcheck.errors import PlanError, RosterError
from randcheck.randomness import GeneratorSource, HashSource
from randcheck.roster import RosterDigest, TargetRoster
from randcheck.sampling import (
    Commitment,
    Draw,
    Receipt,
    SamplingPlan,
    _check_committed_roster,
    _finish,
    _settle,
    _verify_by,
)

__all__ = ["draw_dask", "verify_dask"]

_FAN_IN = 8  # summaries merged by one task


@attrs.frozen
class _Part:
    """One row group of one file: where to read it and how to number its rows."""

    path: str
    group: int
    first_row: int  # 1-based, in its file (errors)
    start: int  # 0-based, in the whole roster (Draw.rows)
    rows: int


def _parts(paths: Sequence[str]) -> list[_Part]:
    out = []
    start = 0
    for path in paths:
        first = 1
        for g, n in enumerate(_arrow.parquet_group_rows(path)):
            out.append(_Part(path, g, first, start, n))
            first += n
            start += n
    return out


def _read(part: _Part, mapping: Mapping[str, str] | None, options: dict[str, Any]) -> TargetRoster:
    return TargetRoster._parquet_group(part.path, part.group, part.first_row, mapping, options)


# The tasks: plain functions of picklable arguments, run on the workers.
def _census_task(
    part: _Part, mapping: Mapping[str, str] | None, options: dict[str, Any], plan: SamplingPlan
) -> tuple[_chunked.Census, list[RosterDigest]]:
    roster = _read(part, mapping, options)
    digest = RosterDigest()
    digest.update(roster)
    return _chunked.Census.of(roster, plan, part.first_row), digest.split(_chunked.DIGEST_RANGES)


def _merge_census(parts: list[_chunked.Census]) -> _chunked.Census:
    out = _chunked.Census()
    for p in parts:
        out.merge(p)
    return out


def _range_task(pieces: list[RosterDigest]) -> RosterDigest:
    return _chunked.merge_ranges(pieces)


def _top_task(
    part: _Part, mapping: Mapping[str, str] | None, options: dict[str, Any], frame: _chunked.Frame
) -> _chunked.TopScores:
    return _chunked.TopScores.of(_read(part, mapping, options), frame, part.first_row)


def _merge_top(parts: list[_chunked.TopScores], frame: _chunked.Frame) -> _chunked.TopScores:
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, frame)
    return out


def _candidates_task(
    part: _Part,
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    frame: _chunked.Frame,
    units: HashSource | GeneratorSource,
    cut: npt.NDArray[np.float64],
) -> _chunked.Candidates:
    roster = _read(part, mapping, options)
    return _chunked.Candidates.of(roster, frame, units, part.first_row, cut, part.start)


def _merge_candidates(
    parts: list[_chunked.Candidates], sizes: npt.NDArray[np.intp]
) -> _chunked.Candidates:
    return _chunked.merge_all(parts, sizes)


def _tree(client: Any, fn: Callable[..., Any], items: list[Any], *args: Any) -> Any:
    """``fn`` over groups of ``_FAN_IN`` futures, level by level, down to one future."""
    while len(items) > 1:
        items = [
            client.submit(fn, items[i : i + _FAN_IN], *args, pure=False)
            for i in range(0, len(items), _FAN_IN)
        ]
    return items[0]


def _wait(client: Any, futures: list[Any], progress: ProgressArg, done: list[int]) -> None:
    """Wait for ``futures``, reporting with Dask's own progress bar or the caller's callback."""
    distributed = _distributed()

    if progress is True:
        distributed.progress(futures, notebook=False)
    elif callable(progress):
        for _ in distributed.as_completed(futures):
            done[0] += 1
            progress(done[0], done[1])
    elif progress not in (None, False):
        raise TypeError(
            f"progress: True, False, None or a callable progress(done, total), got {progress!r}"
        )
    distributed.wait(futures)


def draw_dask(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
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
    client: Any = None,
    progress: ProgressArg = None,
) -> Draw:
    """Draw from a roster in Parquet files on a Dask cluster: the same receipt as in memory.

    The workers read the files (every worker must see them at the same paths: a shared disk
    or object store), one task per row group. The result equals
    ``draw(roster, plan, seed=..., ...)`` on the roster of all the files' rows, in the order
    given: the same sample, π, strata and receipt, byte for byte (with the same ``drawn_at``),
    and equals :func:`~randcheck.draw_parquet` on one file.

    Parameters
    ----------
    paths : path or iterable of paths
        The roster's Parquet files (one roster: an id in two files is an error).
    plan, seed, rng, stream, commitment, drawn_by, drawn_at
        As for :func:`~randcheck.draw`. A simulation (``rng=``) gives each row group its own
        stream spawned from ``rng``: a draw from the same design, not the same numbers as in
        memory.
    mapping, legacy_codes, unknown_columns, extra
        As for :meth:`TargetRoster.from_parquet <randcheck.TargetRoster.from_parquet>`; rows
        are numbered in errors from 1 within each file.
    client : distributed.Client, optional
        The cluster's client; default the current one (:func:`distributed.get_client`).
    progress : bool or callable, optional
        ``True``: Dask's progress bar (:func:`distributed.progress`) for each pass;
        a callable ``progress(done, total)`` is called as tasks finish, counting tasks.

    Returns
    -------
    Draw
        ``rows`` count the rows of all files in the order given, from 0.

    Raises
    ------
    RosterError, PlanError
        As :func:`~randcheck.draw_parquet`; an error raised on a worker is raised here.
    ImportError
        If dask's ``distributed`` is not installed.

    Examples
    --------
    A province with a cluster (the scheduler's address is its own)::

        from distributed import Client
        client = Client("tcp://scheduler.example:8786")
        d = draw_dask(sorted(glob.glob("/shared/targets/*.parquet")), plan,
                      seed=seed, commitment=commitment, progress=True)
        d.receipt.to_json()
    """
    source, label, commitment, warnings = _settle(
        plan, seed, rng, stream, commitment, None, roster_digest=None
    )
    files, client = _files_and_client(paths, client)
    options = _chunked.read_options(legacy_codes, unknown_columns, extra)
    return _draw_cluster(
        client,
        files,
        mapping,
        options,
        plan,
        source,
        label,
        commitment,
        warnings,
        drawn_by,
        drawn_at,
        progress,
    )


def verify_dask(
    receipt: Receipt | str | Mapping[str, Any],
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    plan: SamplingPlan | None = None,
    mapping: Mapping[str, str] | None = None,
    legacy_codes: bool = False,
    unknown_columns: str = "error",
    extra: Iterable[str] | None = None,
    client: Any = None,
    progress: ProgressArg = None,
) -> None:
    """:func:`~randcheck.verify` against a roster in Parquet files, recomputed on a Dask cluster.

    The same checks and findings as :func:`~randcheck.verify` on the roster of the files'
    rows; the draw is recomputed as :func:`draw_dask` computes it.

    Raises
    ------
    VerificationError
        Saying precisely what differs.
    """
    files, client = _files_and_client(paths, client)
    options = _chunked.read_options(legacy_codes, unknown_columns, extra)
    _verify_by(
        receipt,
        plan,
        lambda p, source, stream: _draw_cluster(
            client, files, mapping, options, p, source, stream, None, (), None, None, progress
        ),
        in_batch=False,
        roster=None,
    )


def _files_and_client(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]], client: Any
) -> tuple[list[str], Any]:
    distributed = _distributed()
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            raise PlanError(
                "draw_dask needs a Dask cluster: create a distributed.Client first, or pass client="
            ) from None
    files = (
        [os.fspath(paths)]
        if isinstance(paths, (str, os.PathLike))
        else [os.fspath(p) for p in paths]
    )
    if not files:
        raise PlanError("draw_dask: no Parquet files given")
    return files, client


def _draw_cluster(
    client: Any,
    files: list[str],
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    plan: SamplingPlan,
    source: HashSource | GeneratorSource,
    label: str,
    commitment: Commitment | None,
    warnings: tuple[str, ...],
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
    progress: ProgressArg,
) -> Draw:
    """:func:`draw_dask` once the source, stream and commitment are settled."""
    units = source.child(label)
    parts = _parts(files)
    pps = plan.within == "pps"
    done = [0, len(parts) * (3 if pps else 2)]

    # Pass 1: census and fingerprint.
    first = [client.submit(_census_task, p, mapping, options, plan, pure=False) for p in parts]
    _wait(client, first, progress, done)
    census = _tree(client, _merge_census, [client.submit(operator.getitem, f, 0) for f in first])
    pieces = [client.submit(operator.getitem, f, 1) for f in first]
    # Each range of buckets gathers its own piece of every row group (not the others').
    ranges = [
        client.submit(_range_task, [client.submit(operator.getitem, p, i) for p in pieces])
        for i in range(_chunked.DIGEST_RANGES)
    ]
    try:
        closed = client.gather(ranges)
    except RosterError as exc:
        if not exc.reason.startswith("duplicate id"):
            raise
        column = _chunked.id_column(_arrow.parquet_names(files[0]), mapping)
        raise _chunked.duplicate_rows(exc, files, column) from None
    whole = closed[0]
    for acc in closed[1:]:
        whole.merge(acc)
    digest = whole.seal()
    del first, pieces, ranges
    if commitment is not None:
        _check_committed_roster(commitment, digest, plan)
    merged: _chunked.Census = census.result()
    # Every column is validated: the later passes read only those the design needs.
    options = {**options, "columns": _chunked.needed_columns(plan)}
    frame = _chunked.Frame.of(merged, plan, units)
    if pps and not frame.scales_without_scores():
        tops = [client.submit(_top_task, p, mapping, options, frame, pure=False) for p in parts]
        _wait(client, tops, progress, done)
        frame.set_scales(_tree(client, _merge_top, tops, frame).result())
    elif pps:
        done[0] += len(parts)

    # Pass 2 (or 3): every target's number; per stratum the candidates below a generous cut.
    n = np.asarray(frame.sizes, dtype=np.intp)
    cut = _generous_cut(frame)
    found = _candidates(client, parts, mapping, options, frame, units, cut, progress, done)
    short = np.bincount(found.strata, minlength=n.shape[0]) < n
    if short.any():  # rare: fewer than n_h below the cut; those strata again, without one
        cut = np.where(short, np.inf, -np.inf)
        again = _candidates(client, parts, mapping, options, frame, units, cut, None, done)
        keep = np.flatnonzero(~short[found.strata])
        found = found.take(keep).merge(again, n)
    sample = _chunked.sample_of(frame, found)
    return _finish(
        plan,
        source,
        label,
        frame.design,
        frame.sizes,
        sample,
        (digest if source.verifiable else "", merged.rows),
        commitment,
        warnings,
        drawn_by,
        drawn_at,
    )


def _candidates(
    client: Any,
    parts: list[_Part],
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    frame: _chunked.Frame,
    units: HashSource | GeneratorSource,
    cut: npt.NDArray[np.float64],
    progress: ProgressArg,
    done: list[int],
) -> _chunked.Candidates:
    if isinstance(units, GeneratorSource):  # a stream per row group, spawned in order
        sources: list[HashSource | GeneratorSource] = [
            GeneratorSource(g, units.path) for g in units.rng.spawn(len(parts))
        ]
    else:
        sources = [units] * len(parts)
    futures = [
        client.submit(_candidates_task, p, mapping, options, frame, s, cut, pure=False)
        for p, s in zip(parts, sources, strict=True)
    ]
    _wait(client, futures, progress, done)
    n = np.asarray(frame.sizes, dtype=np.intp)
    result: _chunked.Candidates = _tree(client, _merge_candidates, futures, n).result()
    return result


def _distributed() -> Any:
    """The ``distributed`` module, or an ImportError saying how to install it."""
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is installed in the test env
        raise ImportError(
            "draws on Dask need dask's distributed scheduler: pip install 'randcheck[dask]'"
        ) from exc
    return distributed


def _generous_cut(frame: _chunked.Frame) -> npt.NDArray[np.float64]:
    """Per stratum, a rank that about ``n_h + 5√n_h + 20`` targets are below (as in memory)."""
    n = np.asarray(frame.sizes, dtype=np.float64)
    if frame.plan.within == "pps":
        m = np.maximum(n, 1.0)
        return 1.0 + 5.0 / np.sqrt(m) + 20.0 / m
    pop = np.maximum(np.asarray(frame.design.populations, dtype=np.float64), 1.0)
    bound = np.minimum(1.0, (n + 5.0 * np.sqrt(n) + 20.0) / pop)
    return np.where(bound >= 1.0, np.inf, bound)
