"""Per-unit numbers of an official draw on every core.

Hashing ten million credit codes is the longest step of an official draw. It is cut into slices
that :mod:`randcheck._parallel` hands to at most ``workers`` processes (this one included); the
roster's fingerprint, which a receipt needs too, can ride along as extra jobs, so that the two
never compete for the same cores. The numbers are the same as from one process, bit for bit.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from randcheck import _parallel
from randcheck._progress import ProgressArg, Reporter
from randcheck.randomness.sources import UniformSource

__all__ = ["PARALLEL_MIN", "SLICE_ROWS", "uniforms_in_parallel"]

PARALLEL_MIN = 500_000  # fewer ids than this are hashed by one process: forking costs more
SLICE_ROWS = 1 << 20  # ids hashed by one job (a progress step)


def uniforms_in_parallel(
    units: UniformSource,
    ids: npt.NDArray[np.bytes_],
    workers: int,
    *,
    extra_jobs: Sequence[_parallel.Job] = (),
    progress: ProgressArg = None,
) -> tuple[npt.NDArray[np.float64], list[Any]]:
    """``units.uniforms(ids)``, and the results of ``extra_jobs``, computed together.

    With ``workers`` > 1 and at least :data:`PARALLEL_MIN` ids, slices of the ids and the extra
    jobs are run by at most ``workers`` processes, this one included (never more than the
    cores available).
    """
    n = ids.shape[0]
    if n < PARALLEL_MIN:
        workers = 1
    parts = max(-(-n // SLICE_ROWS), 2 * workers if workers > 1 else 1)
    slices = np.linspace(0, n, parts + 1).astype(np.intp).tolist()
    # The forked processes write their numbers here: no copy of them travels back.
    u = _parallel.shared_array(n, np.float64) if workers > 1 else np.empty(n, dtype=np.float64)
    jobs = [
        _parallel.Job(_uniforms_into, (units, ids, u, a, b), float(b - a))
        for a, b in itertools.pairwise(slices)
    ]
    everything = [*jobs, *extra_jobs]
    report = Reporter(progress, int(sum(j.size for j in everything)), "hashing")
    try:
        results = _parallel.run(
            everything, workers, done=lambda i, _: report.advance(int(everything[i].size))
        )
    finally:
        report.close()
    return u, list(results[len(jobs) :])


def _uniforms_into(
    units: UniformSource,
    ids: npt.NDArray[np.bytes_],
    out: npt.NDArray[np.float64],
    a: int,
    b: int,
) -> None:
    out[a:b] = units.uniforms(ids[a:b])
