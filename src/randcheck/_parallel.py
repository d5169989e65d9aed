"""Running independent pieces of work on several cores without oversubscribing them.

A long operation (an official draw at 10⁷ targets: the roster's fingerprint and every target's
number) is cut into :class:`Job` objects that :func:`run` shares among at most ``workers``
processes: the calling process and ``workers - 1`` forked ones, each taking the next job
(largest first) as soon as it is free, so no more processes are busy than were asked for, and
never more than :func:`available_cores`. Forked processes inherit the caller's arrays without
copying, so jobs may refer to large data freely; only their results travel back (pickled), so
a job with a large result writes it into a :func:`shared_array` instead. Where ``fork`` is not
available (Windows), or with one worker, the jobs run one after another in this process: same
results, in the same order.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import pickle
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection, wait
from typing import Any, TypeVar

import attrs
import numpy as np
import numpy.typing as npt

_T = TypeVar("_T")
_R = TypeVar("_R")

__all__ = [
    "Job",
    "available_cores",
    "each_in_two",
    "helper_thread",
    "in_two",
    "run",
    "shared_array",
]


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


def shared_array(n: int, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """An array of ``n`` items that processes forked after its creation write into, not copy.

    Backed by an anonymous shared mapping (zero-filled); an ordinary array where there is
    nothing to share it with (no ``fork``).
    """
    dt = np.dtype(dtype)
    if n <= 0 or not can_fork():
        return np.zeros(max(n, 0), dtype=dt)
    buf = mmap.mmap(-1, n * dt.itemsize)
    return np.frombuffer(buf, dtype=dt, count=n)


def run(
    jobs: Sequence[Job],
    workers: int,
    *,
    done: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """The results of ``jobs``, in their order, computed by at most ``workers`` processes.

    The calling process is one of them: it forks ``workers - 1`` others and all take jobs,
    largest first, until none is left. The number of processes is also capped by
    :func:`available_cores` and by the number of jobs; with one, or without ``fork``, the
    jobs run here in order. ``done(i, result)`` is called in this process as each job's
    result arrives (for progress reports). The first job that raises stops the others from
    starting and its exception is raised here.
    """
    n = min(int(workers), available_cores(), len(jobs))
    results: list[Any] = [None] * len(jobs)
    if n <= 1 or not can_fork():
        for i, job in enumerate(jobs):
            results[i] = job.fn(*job.args)
            if done is not None:
                done(i, results[i])
        return results
    return _Team(jobs, n, done).run(results)


class _Team:
    """This process and ``n - 1`` forked ones, taking jobs from one shared counter."""

    def __init__(
        self, jobs: Sequence[Job], n: int, done: Callable[[int, Any], None] | None
    ) -> None:
        self.jobs = jobs
        self.n = n
        self.done = done
        self.order = sorted(range(len(jobs)), key=lambda i: -jobs[i].size)
        ctx = multiprocessing.get_context("fork")
        self.ctx = ctx
        self.next = ctx.RawValue("q", 0)  # index into self.order of the next job to start
        self.lock = ctx.Lock()

    def take(self) -> int | None:
        with self.lock:
            k = int(self.next.value)
            self.next.value = k + 1
        return self.order[k] if k < len(self.order) else None

    def stop(self) -> None:
        """No job starts after this (those running finish)."""
        with self.lock:
            self.next.value = len(self.order)

    def work(self, conn: Connection) -> None:  # in a forked process
        try:
            while (i := self.take()) is not None:
                job = self.jobs[i]
                try:
                    result = job.fn(*job.args)
                except BaseException as exc:
                    self.stop()
                    conn.send(("error", i, _portable(exc)))
                    return
                conn.send(("done", i, result))
        finally:
            conn.send(("end", -1, None))
            conn.close()

    def run(self, results: list[Any]) -> list[Any]:
        procs, conns = [], []
        try:
            with warnings.catch_warnings():
                # Python ≥ 3.12 warns about fork in a process with threads; the workers only
                # run numpy and hashlib on inherited arrays and take no lock another thread
                # could hold.
                warnings.simplefilter("ignore", DeprecationWarning)
                for _ in range(self.n - 1):
                    recv, send = self.ctx.Pipe(duplex=False)
                    proc = self.ctx.Process(target=self.work, args=(send,), daemon=True)
                    proc.start()
                    send.close()
                    procs.append(proc)
                    conns.append(recv)
            while (i := self.take()) is not None:
                job = self.jobs[i]
                results[i] = job.fn(*job.args)
                if self.done is not None:
                    self.done(i, results[i])
                self._collect(conns, results, block=False)
            while conns:
                self._collect(conns, results, block=True)
        except BaseException:
            self.stop()
            for proc in procs:
                proc.terminate()
            raise
        finally:
            for conn in conns:
                conn.close()
            for proc in procs:
                proc.join()
        return results

    def _collect(self, conns: list[Connection], results: list[Any], *, block: bool) -> None:
        """Receive what the forked processes sent; drop a process's pipe at its end."""
        for conn in wait(conns, None if block else 0):
            assert isinstance(conn, Connection)
            while conn in conns and conn.poll():
                try:
                    kind, i, value = conn.recv()
                except EOFError:
                    raise RuntimeError("a worker process ended without its results") from None
                if kind == "end":
                    conns.remove(conn)
                    conn.close()
                elif kind == "error":
                    raise value
                else:
                    results[i] = value
                    if self.done is not None:
                        self.done(i, value)


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


# ---------------------------------------------------------------------------- threads
# Simulations use threads, not processes: their steps are numpy calls of a few milliseconds
# that release the GIL (sorts, bincount, random numbers, gathers), too short to fork for.
_helper: tuple[int, ThreadPoolExecutor] | None = None
_HELPER = "randcheck-helper"  # its thread's name


def helper_thread() -> ThreadPoolExecutor | None:
    """One thread beside the caller's, for numpy work that releases the GIL; ``None`` when
    this process may use a single core (then nothing runs beside the caller).

    With the caller, two threads are busy at most: never more than two cores, and ``None``
    too when the other cores are busy already (:func:`_others_running`), where a second
    thread would only wait for one. A process forked from this one gets a thread of its own
    (a pool's thread does not survive ``fork``).
    """
    global _helper
    if threading.current_thread().name.startswith(_HELPER):
        return None  # the helper itself: waiting for its own queue would never end
    cores = available_cores()
    if cores < 2 or _others_running() > cores - 1.5:
        return None
    pid = os.getpid()
    if _helper is None or _helper[0] != pid:
        _helper = (pid, ThreadPoolExecutor(1, thread_name_prefix=_HELPER))
    return _helper[1]


def _others_running() -> float:
    """How many other threads want a core now: on Linux, the runnable tasks of the system
    (``/proc/loadavg``) less the caller; elsewhere the load average over the last minute
    less one."""
    try:
        with open("/proc/loadavg", encoding="ascii") as fh:
            return float(fh.read().split()[3].split("/")[0]) - 1.0
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0] - 1.0
    except OSError:  # pragma: no cover - not reported
        return 0.0


def in_two(
    fn: Callable[[int, int], Any], n: int, unit: int = 1, *, at: int | None = None
) -> list[Any]:
    """``[fn(0, m), fn(m, n)]``, the two halves run at once where a second core is free.

    ``m`` is ``at`` if given, else a multiple of ``unit`` near ``n / 2``, so that work cut in
    blocks of ``unit`` is cut at the same places whichever half does it (the results are
    then identical).
    """
    m = min(n, (n // 2 + unit - 1) // unit * unit) if at is None else at
    pool = helper_thread()
    if pool is None or m in (0, n):
        return [fn(0, m), fn(m, n)]
    second = pool.submit(fn, m, n)
    try:
        first = fn(0, m)
    finally:
        rest = second.result()
    return [first, rest]


def each_in_two(fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
    """``[fn(x) for x in items]``, the caller and the helper thread (where a second core is
    free) each taking the next item until none is left; give the largest items first.

    For independent pieces of numpy work that release the GIL (a file's columns). If a call
    raises, no item starts after it, and the exception of the earliest item that raised (in
    the order of ``items``) is raised once both threads have stopped.
    """
    pool = helper_thread() if len(items) > 1 else None
    if pool is None:
        return [fn(x) for x in items]
    results: list[Any] = [None] * len(items)
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()
    pending = iter(range(len(items)))

    def work() -> None:
        while not errors:
            with lock:
                i = next(pending, None)
            if i is None:
                return
            try:
                results[i] = fn(items[i])
            except BaseException as exc:
                errors[i] = exc

    other = pool.submit(work)
    try:
        work()
    finally:
        other.result()
    if errors:
        raise errors[min(errors)]
    return results
