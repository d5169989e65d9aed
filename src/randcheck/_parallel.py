"""Running independent pieces of work on several cores without oversubscribing them.

A long operation (an official draw at 10⁷ targets: the roster's fingerprint and every target's
number) is cut into :class:`Job` objects that :func:`run` hands to at most ``workers`` forked
processes. The calling process only waits while they work, so no more processes are busy than
were asked for, and never more than :func:`available_cores`. Worker processes are forked: they
inherit the caller's arrays without copying, so jobs may refer to large data freely; only their
results travel back (pickled). Where ``fork`` is not available (Windows), or with one worker,
the jobs run one after another in this process: same results, in the same order.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import attrs

__all__ = ["Job", "available_cores", "run"]


@attrs.frozen
class Job:
    """One independent piece of work: ``fn(*args)``; ``size`` orders the work (largest first)."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    size: float = 1.0


def _cgroup_cpus() -> float | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max`` or v1 quota/period), if any."""
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            return int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", encoding="ascii") as fh:
            q = int(fh.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us", encoding="ascii") as fh:
            p = int(fh.read())
        if q > 0 and p > 0:
            return q / p
    except (OSError, ValueError):
        pass
    return None


def available_cores() -> int:
    """Cores this process may use: its CPU affinity, capped by a cgroup CPU quota (≥ 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_cpus()
    if quota is not None:
        cores = min(cores, max(1, int(quota)))
    return max(1, cores)


def can_fork() -> bool:
    """Whether worker processes can be forked here (Linux, macOS)."""
    return "fork" in multiprocessing.get_all_start_methods()


_JOBS: Sequence[Job] = ()  # the jobs of the running call, inherited by forked workers


def _call(i: int) -> tuple[int, Any]:
    job = _JOBS[i]
    return i, job.fn(*job.args)


def run(
    jobs: Sequence[Job],
    workers: int,
    *,
    done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """The results of ``jobs``, in their order, computed by at most ``workers`` processes.

    The number of processes is also capped by :func:`available_cores` and by the number of jobs;
    with one, or without ``fork``, the jobs run here in order. ``done(i, result)`` is called in
    this process as each job finishes (for progress reports).
    """
    global _JOBS
    n = min(int(workers), available_cores(), len(jobs))
    results: list[Any] = [None] * len(jobs)
    if n <= 1 or not can_fork():
        for i, job in enumerate(jobs):
            results[i] = job.fn(*job.args)
            if done is not None:
                done(i, results[i])
        return results
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].size)
    _JOBS = jobs
    try:
        ctx = multiprocessing.get_context("fork")
        with warnings.catch_warnings():
            # Python ≥ 3.12 warns about fork in a process with threads; the workers only run
            # numpy and hashlib on inherited arrays and take no lock another thread could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            pool = ctx.Pool(n)
        try:
            for i, result in pool.imap_unordered(_call, order):
                results[i] = result
                if done is not None:
                    done(i, result)
        finally:
            pool.terminate()
            pool.join()
    finally:
        _JOBS = ()
    return results
