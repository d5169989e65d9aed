"""Official draws on a Dask cluster: Parquet row groups read by the workers, the same receipt.

:func:`draw_dask` runs the map/reduce of :mod:`randcheck.sampling._chunked` (the one
:func:`~randcheck.draw_parquet` runs on one machine) as Dask tasks: each row group of the roster's
Parquet files is read, validated and summarised by a worker; the summaries (strata counts, exact
score sums, the fingerprint's bucket ranges, each stratum's candidates) are merged by further
tasks; only the merged strata and the sample come back. Dask schedules, moves and, when memory
runs short, spills the intermediate results to disk; pyarrow reads the files. Dask is an optional
extra (``pip install 'randcheck[dask]'``), imported only when :func:`draw_dask` runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import operator
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from randcheck import _arrow
from randcheck._progress import ProgressArg
from randcheck.errors import PlanError, RosterError
from randcheck.randomness import UniformSource
from randcheck.roster import RosterDigest, TargetRoster
from randcheck.roster.fingerprint import BUCKETS
from randcheck.roster.tables import (
    load_columns,
    pack_columns,
    read_lines,
    save_columns,
    write_lines,
)
from randcheck.sampling import _chunked
from randcheck.sampling.commitment import Commitment
from randcheck.sampling.draws import check_committed_roster, finish, settle
from randcheck.sampling.plan import SamplingPlan
from randcheck.sampling.records import Draw, Receipt
from randcheck.sampling.replay import verify_by

__all__ = ["draw_dask", "verify_dask"]

_FAN_IN = 8  # summaries merged by one task
_HELD_BYTES_PER_ROW = 200  # a validated part (about 75) and its fingerprint lines (about 100)


@attrs.frozen
class _Part:
    """One part of the roster (a row group of a file, or a dataframe partition) and its rows."""

    path: str | None  # the Parquet file, or None for a dataframe partition
    group: int  # the row group in its file, or the partition
    first_row: int  # 1-based, in its file or in the dataframe (errors)
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


@attrs.define
class _Input:
    """The roster's parts and, per part, where a task finds its rows.

    ``sources[i]`` is ``None`` (the task reads its Parquet row group), a future of a pandas
    partition, or a future of the part's validated roster held in the workers' memory.
    """

    parts: list[_Part]
    sources: list[Any]
    files: list[str]  # the Parquet files ([] for a dataframe)
    frame: Any = None  # the dask dataframe, if the roster is one


def _load(
    source: Any, part: _Part, mapping: Mapping[str, str] | None, options: dict[str, Any]
) -> TargetRoster:
    """The part's rows as a validated roster, rows numbered as the user's file or frame shows."""
    if isinstance(source, TargetRoster):
        return source
    if isinstance(source, str):  # the columns the later passes read, held in a file
        return load_columns(source)
    if part.path is not None:
        return TargetRoster.from_parquet_group(
            part.path, part.group, part.first_row, mapping, options
        )
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(source, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:  # a column pyarrow cannot type
        raise RosterError(
            f"rows {part.first_row}–{part.first_row + part.rows - 1}: {exc}", source="DataFrame"
        ) from None
    options = {k: v for k, v in options.items() if k != "columns"}
    return TargetRoster.from_batches(
        [table], mapping, {**options, "_first_row": part.first_row}, "DataFrame"
    )


# The tasks: plain functions of picklable arguments, run on the workers.
def _census_task(
    source: Any,
    part: _Part,
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    plan: SamplingPlan,
    hold: bool,
    store: str | None,
) -> tuple[_chunked.Census, Any, TargetRoster | str | None]:
    """A part's census, its fingerprint's lines and its validated rows for the later passes.

    The lines are the part's ranges of buckets (:class:`RosterDigest` pieces), or, with a
    ``store`` folder, a file written there and where each bucket is in it. The rows: with
    ``hold``, the roster; else, with ``store``, the file there holding the columns the later
    passes read (``None`` if one is free text: those passes read the part again).
    """
    # The part's ids are checked for repeats on the fingerprint's order (one sort of them, not
    # two); a part that repeats one is loaded again with the loader's own check (its error).
    roster = _load(source, part, mapping, {**options, "_ids_checked_later": True})
    digest = RosterDigest()
    digest.update(roster)
    if RosterDigest.repeats_an_id(roster):
        _load(source, part, mapping, options)
        raise AssertionError("the loader missed a repeated id")  # pragma: no cover
    census = _chunked.Census.of(roster, plan, part.first_row)
    if hold:  # the later passes recompute what they need; the part's rows are what is held
        roster.forget_derived()
    lines: Any
    rows: TargetRoster | str | None = roster if hold else None
    if store is None:
        lines = digest.split(_chunked.DIGEST_RANGES)
    else:
        path = os.path.join(store, f"part-{part.start}.lines")
        lines = (path, list(digest.header or ()), write_lines(digest, path))
        if not hold:
            path = os.path.join(store, f"part-{part.start}.columns.npz")
            if save_columns(pack_columns(roster, _chunked.needed_columns(plan)), path):
                rows = path
    return census, lines, rows


def _merge_census(parts: list[_chunked.Census]) -> _chunked.Census:
    out = _chunked.Census()
    for p in parts:
        out.merge(p)
    return out


def _range_task(pieces: list[RosterDigest]) -> RosterDigest:
    return _chunked.merge_ranges(pieces)


def _stored_range_task(
    stored: list[tuple[str, list[str], Any]], first: int, stop: int
) -> RosterDigest:
    """Buckets ``first`` to ``stop - 1`` read from every part's file, merged and closed."""
    acc = RosterDigest(buckets=range(first, stop))
    for path, header, places in stored:
        read_lines(acc, path, places, header)
    acc.close()
    return acc


def _local_ranges(
    results: list[tuple[_chunked.Census, list[RosterDigest], TargetRoster | None]],
) -> list[RosterDigest]:
    """Every range's pieces of the parts on one worker, merged there (the lines not copied)."""
    out = [piece.copy() for piece in results[0][1]]
    for _, pieces, _ in results[1:]:
        for acc, piece in zip(out, pieces, strict=True):
            acc.merge(piece)
    return out


def _local_range(pieces: list[RosterDigest]) -> RosterDigest:
    """One range's pieces of the parts on one worker, merged there (the lines are not copied):
    the range's task then takes one piece from each worker instead of one from each part."""
    out = pieces[0].copy()
    for piece in pieces[1:]:
        out.merge(piece)
    return out


def _top_task(
    source: Any,
    part: _Part,
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    frame: _chunked.Frame,
) -> _chunked.TopScores:
    roster = _load(source, part, mapping, options)
    return _chunked.TopScores.of(roster, frame, part.first_row)


def _merge_top(parts: list[_chunked.TopScores], frame: _chunked.Frame) -> _chunked.TopScores:
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, frame)
    return out


def _candidates_task(
    source: Any,
    part: _Part,
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    frame: _chunked.Frame,
    units: UniformSource,
    cut: npt.NDArray[np.float64],
) -> _chunked.Candidates:
    roster = _load(source, part, mapping, options)
    return _chunked.Candidates.of(roster, frame, units, part.first_row, cut, part.start)


def _merge_candidates(
    parts: list[_chunked.Candidates], sizes: npt.NDArray[np.intp]
) -> _chunked.Candidates:
    return _chunked.merge_all(parts, sizes)


def _rows_with_id(
    source: Any, part: _Part, mapping: Mapping[str, str] | None, value: str
) -> list[int]:
    """The rows (1-based, in the dataframe) of a pandas partition whose id is ``value``."""
    column = _arrow.id_column([str(c) for c in source.columns], mapping, TargetRoster)
    ids = source[column].astype(str).str.strip().to_numpy()
    return [part.first_row + int(i) for i in np.flatnonzero(ids == value)]


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
    roster: Any,
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
    hold: bool | None = None,
    spill_dir: str | os.PathLike[str] | bool | None = None,
    progress: ProgressArg = None,
) -> Draw:
    """Draw from a roster on a Dask cluster (Parquet files or a dataframe): the same receipt.

    The result equals ``draw(roster, plan, seed=..., ...)`` on the roster of all the rows, in
    the order given: the same sample, π, strata and receipt, byte for byte (with the same
    ``drawn_at``), and equals :func:`~randcheck.draw_parquet` on one file. Each part of the
    roster (a row group of a file, or a partition of the dataframe) is validated and
    summarised by one task on a worker; the summaries are merged by further tasks.

    Parameters
    ----------
    roster : path, iterable of paths, or dask.dataframe.DataFrame
        The roster's Parquet files (one roster: an id in two files is an error), read by the
        workers (every worker must see them at the same paths: a shared disk or object
        store); or a ``dask.dataframe.DataFrame`` of its rows, with the columns
        :meth:`TargetRoster.from_dataframe <randcheck.TargetRoster.from_dataframe>` takes.
    plan, seed, rng, stream, commitment, drawn_by, drawn_at
        As for :func:`~randcheck.draw`. A simulation (``rng=``) gives each part its own
        stream spawned from ``rng``: a draw from the same design, not the same numbers as in
        memory.
    mapping, legacy_codes, unknown_columns, extra
        As for :meth:`TargetRoster.from_parquet <randcheck.TargetRoster.from_parquet>`; rows
        are numbered in errors from 1 within each file, or across the whole dataframe.
    client : distributed.Client, optional
        The cluster's client; default the current one (:func:`distributed.get_client`).
    hold : bool, optional
        Keep each part's validated rows in the workers' memory between the passes (Dask
        spills them to disk if memory runs short), instead of reading and validating the
        part again in each pass. Default: hold when the roster, at about 200 bytes a row,
        fits in a quarter of the workers' memory limits (so 10⁷ rows are held on a 24 GB
        machine, the nation's 1.85·10⁸ are read again).
    spill_dir : path or False, optional
        A folder that every worker can write and read at the same path (a shared disk, as for
        the Parquet files; on a ``LocalCluster``, any local folder). With it, each part's
        fingerprint lines (about 80 bytes a row) go to a file there instead of the workers'
        memory, and each range of buckets is read back from the files by one task: the lines
        never travel through the workers' connections, and a roster whose lines do not fit in
        the workers' memory (the nation's) is drawn. Parts not held also leave there the
        columns the later passes read (about 25 bytes a row), which those passes take instead
        of reading and validating the Parquet files again. The files are plain data (reading
        them runs no code), in a temporary folder inside it, removed afterwards. Default
        (``None``): the system's temporary folder of this machine when every worker reads it
        at the same path (a ``LocalCluster``), else the workers' memory. ``False``: the lines
        stay in the workers' memory, sent from worker to worker (Dask spills them when memory
        runs short, slowly).
    progress : bool or callable, optional
        ``True``: Dask's progress bar (:func:`distributed.progress`) for each pass;
        a callable ``progress(done, total)`` is called as tasks finish, counting tasks.

    Returns
    -------
    Draw
        ``rows`` count the rows of all files in the order given (or of the dataframe), from 0.

    Raises
    ------
    RosterError, PlanError
        As :func:`~randcheck.draw_parquet`; an error raised on a worker is raised here.
    ImportError
        If dask's ``distributed`` is not installed.

    Notes
    -----
    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes every large
    array a fresh memory mapping: on the benchmark machine each part then costs about 70 %
    more time in page faults. :doc:`/howto/draw-on-dask` shows how to start the workers
    without it.

    Examples
    --------
    A province with a cluster (the scheduler's address is its own)::

        from distributed import Client
        client = Client("tcp://scheduler.example:8786")
        d = draw_dask(sorted(glob.glob("/shared/targets/*.parquet")), plan,
                      seed=seed, commitment=commitment, progress=True)
        d.receipt.to_json()
    """
    source, label, commitment, warnings = settle(
        plan, seed, rng, stream, commitment, None, roster_digest=None
    )
    if spill_dir is True:
        raise TypeError("spill_dir: a folder, False or None, not True")
    client = _client(client)
    options = _chunked.read_options(legacy_codes, unknown_columns, extra)
    return _draw_passes(
        client,
        _input(client, roster),
        mapping,
        options,
        plan,
        source,
        label,
        commitment,
        warnings,
        drawn_by,
        drawn_at,
        hold,
        spill_dir,
        progress,
    )


def verify_dask(
    receipt: Receipt | str | Mapping[str, Any],
    roster: Any,
    *,
    plan: SamplingPlan | None = None,
    mapping: Mapping[str, str] | None = None,
    legacy_codes: bool = False,
    unknown_columns: str = "error",
    extra: Iterable[str] | None = None,
    client: Any = None,
    hold: bool | None = None,
    spill_dir: str | os.PathLike[str] | bool | None = None,
    progress: ProgressArg = None,
    commitment: Commitment | str | Mapping[str, Any] | None = None,
    accept_retired: bool = False,
) -> None:
    """:func:`~randcheck.verify` against a roster on a Dask cluster (Parquet files or a dataframe).

    The same checks and findings as :func:`~randcheck.verify` on the roster of all the rows;
    the draw is recomputed as :func:`draw_dask` computes it (``roster``, ``hold``,
    ``spill_dir`` as there).
    ``commitment`` (the commitment published before the seed) and ``accept_retired`` as for
    :func:`~randcheck.verify`.

    Raises
    ------
    VerificationError
        Saying precisely what differs.
    """
    if spill_dir is True:
        raise TypeError("spill_dir: a folder, False or None, not True")
    client = _client(client)
    options = _chunked.read_options(legacy_codes, unknown_columns, extra)
    verify_by(
        receipt,
        plan,
        lambda p, source, stream: _draw_passes(
            client,
            _input(client, roster),
            mapping,
            options,
            p,
            source,
            stream,
            None,
            (),
            None,
            None,
            hold,
            spill_dir,
            progress,
        ),
        in_batch=False,
        roster=None,
        published=commitment,
        accept_retired=accept_retired,
    )


def _client(client: Any) -> Any:
    distributed = _distributed()
    if client is None:
        try:
            client = distributed.get_client()
        except ValueError:
            raise PlanError(
                "draw_dask needs a Dask cluster: create a distributed.Client first, or pass client="
            ) from None
    return client


def _input(client: Any, roster: Any) -> _Input:
    """The parts of ``roster`` (paths, or a dask dataframe) and where their rows are."""
    if hasattr(roster, "to_delayed") and hasattr(roster, "npartitions"):
        # A dask dataframe: its partitions are computed once, into the cluster's memory.
        frames = client.compute(roster.to_delayed())
        lengths = client.gather([client.submit(len, f, pure=False) for f in frames])
        parts, start = [], 0
        for i, n in enumerate(lengths):
            parts.append(_Part(None, i, start + 1, start, int(n)))
            start += int(n)
        return _Input(parts, list(frames), [], roster)
    if isinstance(roster, (str, os.PathLike)):
        files = [os.fspath(roster)]
    elif isinstance(roster, Iterable) and not hasattr(roster, "columns"):
        files = [os.fspath(p) for p in roster]
    else:
        raise TypeError(
            "draw_dask: the roster is Parquet paths or a dask.dataframe.DataFrame, "
            f"got {type(roster).__name__}"
        )
    if not files:
        raise PlanError("draw_dask: no Parquet files given")
    parts = _parts(files)
    return _Input(parts, [None] * len(parts), files)


def _local_folder(client: Any, stack: contextlib.ExitStack) -> str | None:
    """A new temporary folder of this machine (removed with ``stack``) if every worker reads
    it at the same path (a ``LocalCluster``, workers on this machine): else ``None``.

    Each worker reads a random token written there, so a folder that only looks the same
    (another machine's folder of the same name) is never taken for it.
    """
    folder = stack.enter_context(
        tempfile.TemporaryDirectory(prefix="randcheck-", ignore_cleanup_errors=True)
    )
    token = secrets.token_hex(16)
    marker = os.path.join(folder, "token")
    with open(marker, "w", encoding="ascii") as fh:
        fh.write(token)
    seen = client.run(_reads_token, marker, token)
    return folder if seen and all(seen.values()) else None


def _reads_token(path: str, token: str) -> bool:
    """On a worker: whether the file at ``path`` holds ``token``."""
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read() == token
    except OSError:
        return False


def _hold_default(client: Any, rows: int) -> bool:
    """Whether the rows fit, at about 200 bytes a row, in a quarter of the workers' memory."""
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    limits = [int(w.get("memory_limit") or 0) for w in workers]
    if not limits or 0 in limits:  # no limit set: memory is what the machines have
        return True
    return rows * _HELD_BYTES_PER_ROW <= sum(limits) // 4


def _draw_passes(
    client: Any,
    given: _Input,
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    plan: SamplingPlan,
    source: UniformSource,
    label: str,
    commitment: Commitment | None,
    warnings: tuple[str, ...],
    drawn_by: str | None,
    drawn_at: dt.datetime | None,
    hold: bool | None,
    spill_dir: str | os.PathLike[str] | bool | None,
    progress: ProgressArg,
) -> Draw:
    """:func:`draw_dask` once the source, stream and commitment are settled: its passes, with
    the lines and held columns in a folder of its own under ``spill_dir`` (removed after)."""
    if hold is None:
        hold = _hold_default(client, sum(p.rows for p in given.parts))
    with contextlib.ExitStack() as stack:
        store: str | None = None
        if spill_dir is None:  # this machine's temporary folder, if every worker sees it
            store = _local_folder(client, stack)
        elif not isinstance(spill_dir, bool):
            store = stack.enter_context(
                tempfile.TemporaryDirectory(
                    prefix="randcheck-", dir=spill_dir, ignore_cleanup_errors=True
                )
            )
        units = source.child(label)
        parts = given.parts
        pps = plan.within == "pps"
        done = [0, len(parts) * (3 if pps else 2)]
        merged, digest = _census_and_fingerprint(
            client, given, mapping, options, plan, hold, store, progress, done
        )
        if commitment is not None:
            check_committed_roster(commitment, digest, plan)
        # Every column is validated: the later passes read again only those the design needs.
        options = {**options, "columns": _chunked.needed_columns(plan)}
        frame = _chunked.Frame.of(merged, plan, units)
        if pps and not frame.scales_without_scores():
            tops = [
                client.submit(_top_task, s, p, mapping, options, frame, pure=False)
                for s, p in zip(given.sources, parts, strict=True)
            ]
            _wait(client, tops, progress, done)
            frame.set_scales(_tree(client, _merge_top, tops, frame).result())
        elif pps:
            done[0] += len(parts)

        # Pass 2 (or 3): every target's number; per stratum the candidates below a generous cut.
        n = np.asarray(frame.sizes, dtype=np.intp)
        cut = _generous_cut(frame)
        found = _candidates(client, given, mapping, options, frame, units, cut, progress, done)
        short = np.bincount(found.strata, minlength=n.shape[0]) < n
        if short.any():  # rare: fewer than n_h below the cut; those strata again, without one
            cut = np.where(short, np.inf, -np.inf)
            again = _candidates(client, given, mapping, options, frame, units, cut, None, done)
            keep = np.flatnonzero(~short[found.strata])
            found = found.take(keep).merge(again, n)
        given.sources = []  # the held parts are released
        sample = _chunked.sample_of(frame, found)
        return finish(
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


def _census_and_fingerprint(
    client: Any,
    given: _Input,
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    plan: SamplingPlan,
    hold: bool,
    store: str | None,
    progress: ProgressArg,
    done: list[int],
) -> tuple[_chunked.Census, str]:
    """Pass 1: the strata's census and the roster's fingerprint, every column validated.

    With ``hold``, the validated parts stay in the workers' memory for the later passes; with
    a ``store`` folder, the fingerprint's lines wait in files there.
    """
    # Pass 1: census and fingerprint (every column validated).
    first = [
        client.submit(_census_task, s, p, mapping, options, plan, hold, store, pure=False)
        for s, p in zip(given.sources, given.parts, strict=True)
    ]
    _wait(client, first, progress, done)
    for f in first:
        if f.status == "error":  # a bad row: its RosterError, as the loader raises it
            f.result()
    census = _tree(client, _merge_census, [client.submit(operator.getitem, f, 0) for f in first])
    if hold or store is not None:  # the later passes take the validated rows held
        given.sources = [client.submit(operator.getitem, f, 2) for f in first]
    # Each range of buckets: the parts' pieces merged on each worker (nothing moves), then one
    # piece from each worker (few, large transfers).
    holders = client.who_has(first)
    by_worker: dict[str, list[int]] = {}
    for j, f in enumerate(first):
        where = sorted(holders.get(f.key, ()))
        by_worker.setdefault(where[0] if where else "", []).append(j)

    def on(w: str) -> dict[str, Any]:
        return {"workers": [w], "allow_other_workers": True} if w else {}

    if store is not None:  # each range read from the parts' files by one task
        stored = client.gather([client.submit(operator.getitem, f, 1) for f in first])
        cuts = np.linspace(0, BUCKETS, _chunked.DIGEST_RANGES + 1).astype(int).tolist()
        ranges = [
            client.submit(_stored_range_task, stored, a, b, pure=False)
            for a, b in itertools.pairwise(cuts)
        ]
    elif hold:  # the roster fits in memory: one merge task per worker, for all ranges at once
        per_worker = [
            client.submit(_local_ranges, [first[j] for j in parts], pure=False, **on(w))
            for w, parts in by_worker.items()
        ]
        ranges = [
            client.submit(_range_task, [client.submit(operator.getitem, m, i) for m in per_worker])
            for i in range(_chunked.DIGEST_RANGES)
        ]
    else:  # each part's piece of each range a key of its own, which Dask can spill apart
        pieces = [client.submit(operator.getitem, f, 1) for f in first]
        ranges = []
        for i in range(_chunked.DIGEST_RANGES):
            local = [
                client.submit(
                    _local_range,
                    [client.submit(operator.getitem, pieces[j], i) for j in parts],
                    pure=False,
                    **on(w),
                )
                for w, parts in by_worker.items()
            ]
            ranges.append(client.submit(_range_task, local))
    del first
    try:
        closed = client.gather(ranges)
    except RosterError as exc:
        if not _arrow.is_split_duplicate(exc):
            raise
        raise _duplicate_rows(client, given, exc, mapping) from None
    del ranges
    whole = closed[0]
    for acc in closed[1:]:
        whole.merge(acc)
    merged: _chunked.Census = census.result()
    return merged, whole.seal()


def _duplicate_rows(
    client: Any, given: _Input, exc: RosterError, mapping: Mapping[str, str] | None
) -> RosterError:
    """The fingerprint's duplicate-id error, naming the id's rows in the files or the frame."""
    if given.files:
        return _arrow.duplicate_rows(exc, given.files, mapping, TargetRoster)
    frames = client.compute(given.frame.to_delayed())
    found = [
        r
        for rows in client.gather(
            [
                client.submit(_rows_with_id, f, p, mapping, exc.value, pure=False)
                for f, p in zip(frames, given.parts, strict=True)
            ]
        )
        for r in rows
    ]
    if len(found) < 2:
        return exc
    shown = ", ".join(str(r) for r in found[:10])
    return RosterError(
        f"duplicate id: it is in rows {shown} (in different partitions): keep one of the rows",
        source="DataFrame",
        row=found[1],
        column=exc.column,
        value=exc.value,
    )


def _candidates(
    client: Any,
    given: _Input,
    mapping: Mapping[str, str] | None,
    options: dict[str, Any],
    frame: _chunked.Frame,
    units: UniformSource,
    cut: npt.NDArray[np.float64],
    progress: ProgressArg,
    done: list[int],
) -> _chunked.Candidates:
    parts = given.parts
    streams = units.split(len(parts))  # a simulation: a stream per part, spawned in order
    futures = [
        client.submit(_candidates_task, s, p, mapping, options, frame, u, cut, pure=False)
        for s, p, u in zip(given.sources, parts, streams, strict=True)
    ]
    _wait(client, futures, progress, done)
    n = np.asarray(frame.sizes, dtype=np.intp)
    result: _chunked.Candidates = _tree(client, _merge_candidates, futures, n).result()
    return result


def simulate_years(
    client: Any,
    simulate: Callable[..., Any],
    shared: tuple[Any, ...],
    plans: Mapping[str, Any],
    streams: Mapping[str, Sequence[np.random.Generator]],
    progress: ProgressArg,
) -> dict[str, Any]:
    """:func:`~randcheck.simulate_policy`'s years on a Dask cluster, in batches of years.

    ``shared`` (the roster and its per-row arrays) is sent to every worker once; each task
    runs ``simulate(*shared, plans[name], streams[name][a:b])`` for a batch of one design's
    years, each year with its own stream, so the figures are those computed in one process.
    Returns, per design, the batches' figures joined in year order.
    """
    distributed = _distributed()
    # hash=False: a key of our own. With content keys, two calls on the same roster share a
    # key, and the first call's futures, released as it returns, can delete the data the second
    # has just scattered ("lost dependencies"), as a notebook's second run would.
    on_workers = client.scatter(list(shared), broadcast=True, hash=False)
    workers = max(len(client.scheduler_info(n_workers=-1)["workers"]), 1)
    batches: list[tuple[str, int]] = []
    futures = []
    for name, gens in streams.items():
        size = max(1, -(-len(gens) // (4 * workers)))  # about four batches a worker per design
        for a in range(0, len(gens), size):
            batch = list(gens[a : a + size])
            futures.append(client.submit(simulate, *on_workers, plans[name], batch, pure=False))
            batches.append((name, len(batch)))
    total = sum(len(g) for g in streams.values())
    if callable(progress):
        years_of = dict(zip(futures, (n for _, n in batches), strict=True))
        done = 0
        for f in distributed.as_completed(futures):
            done += years_of[f]
            progress(done, total)
    elif progress is True:
        distributed.progress(futures, notebook=False)
    elif progress not in (None, False):
        raise TypeError(
            f"progress: True, False, None or a callable progress(done, total), got {progress!r}"
        )
    results = client.gather(futures)
    out: dict[str, Any] = {}
    for name in streams:
        parts = [r for (n, _), r in zip(batches, results, strict=True) if n == name]
        measures = {m: np.concatenate([r[0][m] for r in parts]) for m in parts[0][0]}
        out[name] = (
            measures,
            np.concatenate([r[1] for r in parts]),
            np.concatenate([r[2] for r in parts]),
        )
    return out


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
