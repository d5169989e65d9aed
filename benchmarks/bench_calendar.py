"""Working-day calendar: ``WorkCalendar.add_workdays`` against ``chinese_calendar.find_workday``.

Goals from issue 4: on 10⁶ dates, at least 1,000× faster than calling ``find_workday`` in a loop;
a scalar call under 10 µs.

The loop baseline is too slow to run on 10⁶ dates (about 0.5 ms a call, minutes in all), so the
full run times it on 2·10⁴ dates and scales the time per call to 10⁶; the measure name says so.
Quick mode uses 10⁴ dates for both. The dates are working days between 2004 and 2025, where the two
functions mean the same (``find_workday(n, d)`` counts from the first working day on or after
``d``); the benchmark checks that they agree on the sample.
"""

from __future__ import annotations

import datetime
import time

import chinese_calendar
import numpy as np

from _harness import Row, interleaved, timed_row
from randcheck.calendar import WorkCalendar

N_DAYS = 20


def _sample(cal: WorkCalendar, size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    days = np.datetime64("2004-03-01") + rng.integers(0, 7900, size * 2)
    return days[cal.is_workday(days)][:size]


def run(quick: bool) -> list[Row]:
    cal = WorkCalendar.default()
    n_ours = 10_000 if quick else 1_000_000
    n_loop = 10_000 if quick else 20_000
    ours_dates = _sample(cal, n_ours, 1)
    loop_dates = ours_dates[:n_loop]
    loop_objs = loop_dates.astype(object).tolist()

    ours_time = interleaved({"ours": lambda: cal.add_workdays(ours_dates, N_DAYS)})["ours"]

    t0 = time.perf_counter()
    loop_out = [chinese_calendar.find_workday(N_DAYS, d) for d in loop_objs]
    loop_time = time.perf_counter() - t0
    ours_on_sample = cal.add_workdays(loop_dates, N_DAYS).astype(object).tolist()
    if loop_out != ours_on_sample:
        raise AssertionError("add_workdays and find_workday disagree on the sample")
    baseline = loop_time / n_loop * n_ours
    scaled = "" if n_loop == n_ours else f" (loop on {n_loop:,}, scaled)"
    rows = [
        timed_row(
            "calendar",
            f"add_workdays n=20, {n_ours:,} dates{scaled}",
            ours_time,
            "chinese_calendar.find_workday in a loop (one run)",
            (baseline, baseline, baseline),
            1000.0,
        )
    ]

    day = datetime.date(2025, 9, 26)
    reps = 20_000 if quick else 200_000

    def scalar_loop() -> None:
        f = cal.add_workdays
        for _ in range(reps):
            f(day, N_DAYS)

    loop = interleaved({"ours": scalar_loop})["ours"]
    rows.append(
        timed_row(
            "calendar",
            "add_workdays scalar call (datetime.date)",
            (loop[0] / reps, loop[1] / reps, loop[2] / reps),
            "absolute goal: under 10 µs",
            None,
            10e-6,
        )
    )
    return rows
