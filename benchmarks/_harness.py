"""Shared helpers for randcheck's benchmarks.

Each ``bench_*.py`` module defines ``run(quick: bool) -> list[Row]``. A row compares randcheck
with a named baseline run in the same process, as a ratio, and states the goal from the issue.
Absolute times are printed for context only: the machine is shared, so the ratio is the figure
that counts.
"""

from __future__ import annotations

import gc
import resource
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt


@attrs.frozen
class Row:
    """One measured comparison.

    ``ratio`` is baseline / ours for times (bigger is better for us) unless ``lower_is_better`` is
    set, in which case it is ours / baseline (for memory: smaller is better). ``goal`` is the bound
    from the issue, compared with ``ratio`` in the direction the flag says.
    """

    benchmark: str
    measure: str
    ours: float
    baseline_name: str
    baseline: float | None
    goal: float | None = None
    unit: str = "s"
    lower_is_better: bool = False
    spread: tuple[float, float] | None = None  # min and max of ours over the repeats
    baseline_spread: tuple[float, float] | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0 or self.ours == 0:
            return None
        return self.ours / self.baseline if self.lower_is_better else self.baseline / self.ours

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        if self.baseline is None:  # an absolute bound, e.g. "under 10 s"
            return self.ours <= self.goal
        r = self.ratio
        if r is None:
            return None
        return r <= self.goal if self.lower_is_better else r >= self.goal


def _cpu_seconds() -> float:
    """CPU time of this process and of its ended children (forked workers are joined)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def interleaved(
    fns: dict[str, Callable[[], Any]],
    repeat: int = 5,
    setup: Callable[[], Any] | Mapping[str, Callable[[], Any]] | None = None,
    cpu: dict[str, tuple[float, float, float]] | None = None,
) -> dict[str, tuple[float, float, float]]:
    """Median, min and max wall time of each function, the functions run in turn ``repeat`` times.

    Interleaving spreads the load of a shared machine evenly over the contenders, so their
    ratio is fair even when the absolute times drift. ``setup`` runs untimed before each call:
    one callable for every function, or a mapping from a function's name to its own. Given a
    ``cpu`` dict, the same figures of CPU time (this process and its forked workers) go there:
    less sensitive than wall time to the other work on a shared machine.
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    cpus: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            prepare = setup.get(name) if isinstance(setup, Mapping) else setup
            if prepare is not None:
                prepare()
            gc.collect()
            c0 = _cpu_seconds()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
            cpus[name].append(_cpu_seconds() - c0)
    if cpu is not None:
        cpu.update({k: summary(v) for k, v in cpus.items()})
    return {k: summary(v) for k, v in times.items()}


def summary(times: Sequence[float]) -> tuple[float, float, float]:
    """``(median, min, max)`` of repeated times: what every row reports."""
    return float(np.median(times)), min(times), max(times)


def slope_row(
    benchmark: str, measure: str, medians: Mapping[int, float], goal: float | None = 1.05
) -> Row:
    """The scaling exponent of a time from the smallest to the largest size (1 is linear)."""
    lo, hi = min(medians), max(medians)
    slope = float(np.log(medians[hi] / medians[lo]) / np.log(hi / lo))
    return Row(
        benchmark,
        f"{measure}, scaling exponent {lo:,} → {hi:,}",
        slope,
        "absolute goal: ≤ 1.05 (1 = linear)" if goal is not None else "-",
        None,
        goal,
        unit="",
    )


def timed_row(
    benchmark: str,
    measure: str,
    ours: tuple[float, float, float],
    baseline_name: str,
    baseline: tuple[float, float, float] | None,
    goal: float | None = None,
) -> Row:
    """A row from :func:`interleaved` figures: medians, with the min–max of each side."""
    return Row(
        benchmark,
        measure,
        ours[0],
        baseline_name,
        None if baseline is None else baseline[0],
        goal,
        spread=(ours[1], ours[2]),
        baseline_spread=None if baseline is None else (baseline[1], baseline[2]),
    )


def peak_bytes(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak traced allocation (numpy reports its buffers to tracemalloc) while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, out


def credit_codes(n: int, seed: int = 0) -> npt.NDArray[np.bytes_]:
    """``n`` distinct valid 统一社会信用代码 (``91130634…``, ``S18``) in no particular order.

    The example county's generator (:mod:`randcheck.example`): a bijection of the row index, so
    the codes are distinct, with GB 32100-2015 check characters.
    """
    from randcheck.example import _credit_codes, _seed_key

    return _credit_codes(_seed_key(seed), np.arange(n, dtype=np.uint64), "91", "130634")
