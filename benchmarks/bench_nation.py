"""Drawing a nation (issue 15): official draws out of core and on Dask, from Parquet.

Rosters are synthetic (``randcheck.example.iter_synthetic_target_chunks``: valid credit codes,
rows in random order) written to Parquet with pyarrow's writer, row groups of 10⁶ rows (10⁵ in quick
mode). Measured, medians of interleaved repeats with min–max:

- ``draw_parquet`` (the whole official draw from the file: reading, validation, fingerprint,
  numbers, selection) against the in-memory route's draw, ``draw`` on the same roster already
  in memory (fingerprint included, computed afresh): goal within 1.5× of its time (ratio
  ≥ 0.67); the same for ``TargetRoster.from_parquet`` then ``draw``; and ``draw_parquet``
  against ``from_parquet`` + ``draw`` (the same receipt; no goal).
- scaling of ``draw_parquet`` and of ``RosterDigest.from_parquet`` (the fingerprint alone) with
  the roster's size: the exponent ``log(t₂/t₁) / log(n₂/n₁)`` between the smallest and largest
  size (goal ≤ 1.05).
- ``draw_dask`` on a ``LocalCluster`` of 2 worker processes (one thread each) against 1, the
  cluster already running (a province's is: its workers have imported randcheck), 10 row
  groups per file, the fingerprint's lines through this machine's temporary folder (the
  default on a ``LocalCluster``); the workers started as the
  how-to recommends (``MALLOC_MMAP_THRESHOLD_`` set) and, in full mode, also with Dask's own
  worker environment. Ratio; goal 2× on two cores, which the machine's other load may not leave
  free: the load average is printed with each row. Beside it, what two processes gain on this
  machine at all: the same CPU-bound job twice, one after the other in one process, against
  once in each of two processes at the same time (the ceiling for any two workers).
- peak resident memory of ``draw_parquet``, measured in a fresh process (goal < 4 GiB).

``python benchmarks/bench_nation.py --only dask fingerprint [--write-docs]`` runs only those
measurements at full size (10⁷ rows) and, with ``--write-docs``, writes them to
``docs/_generated/bench_nation.rst``. ``--nation PATH [--rows N]`` runs the national-size
measurement once on an existing file (1.85·10⁸ rows: about an hour of both cores), printing the
end-to-end time and peak RSS of ``draw_parquet`` and ``draw_dask`` on 2 and 1 workers;
``--make PATH --rows N`` writes such a file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from typing import Any

from _harness import Row, interleaved, summary, timed_row

# The workers' allocator setting the how-to recommends (Dask's nanny sets MALLOC_TRIM_THRESHOLD_,
# which turns off glibc's adaptive mmap threshold: every large array is then mapped afresh).
RECOMMENDED_ENV = {"MALLOC_MMAP_THRESHOLD_": 33554432}

SEED = "2026-12-03 05 11 19 23 28 30 + 07"
_START_ENV = dict(os.environ)  # the environment before any cluster was started here
PLAN = {"rates": {"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.3}}


def make_file(path: pathlib.Path, n: int, row_group: int, seed: int = 15) -> None:
    """A synthetic roster of ``n`` rows as Parquet (pyarrow's writer, zstd), row groups given."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from randcheck.example import iter_synthetic_target_chunks

    tmp = path.with_suffix(".part")
    writer = None
    for chunk in iter_synthetic_target_chunks(n, seed=seed, chunk_size=row_group):
        table = pa.table({k: v.astype(str) if v.dtype.kind == "S" else v for k, v in chunk.items()})
        if writer is None:
            writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
        writer.write_table(table, row_group_size=row_group)
    assert writer is not None
    writer.close()
    tmp.rename(path)


def _plan() -> Any:
    from randcheck import SamplingPlan

    return SamplingPlan(**PLAN)


def _out_of_core(path: pathlib.Path, progress: Any = None) -> Any:
    from randcheck import draw_parquet

    return draw_parquet(path, _plan(), seed=SEED, extra=["risk_score"], progress=progress)


class Phases:
    """A ``progress(done, total)`` callback timing a two-pass draw's phases.

    The first half of ``total`` is the census pass (rows, or tasks on Dask), the second the
    candidates pass; between them the fingerprint is sealed (no progress is reported).
    """

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.census: float | None = None  # when the census pass ended
        self.sealed: float | None = None  # when the candidates pass reported first

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self.census is None and 2 * done >= total:
            self.census = now
        elif self.census is not None and self.sealed is None and 2 * done > total:
            self.sealed = now

    def __str__(self) -> str:
        if self.census is None or self.sealed is None:
            return "phases: not recorded"
        end = time.perf_counter()
        return (
            f"census pass {self.census - self.start:.0f} s, then fingerprint sealed and first "
            f"part of the candidates pass {self.sealed - self.census:.0f} s, rest of the "
            f"candidates pass {end - self.sealed:.0f} s"
        )


def _loaded(path: pathlib.Path) -> Any:
    from randcheck import TargetRoster

    return TargetRoster.from_parquet(path, extra=["risk_score"])


def _in_memory(path: pathlib.Path) -> Any:
    from randcheck import TargetRoster, draw

    return draw(TargetRoster.from_parquet(path, extra=["risk_score"]), _plan(), seed=SEED)


def _draw_loaded(roster: Any) -> Any:
    from randcheck import draw

    roster.forget_derived()  # the fingerprint computed afresh, as on a freshly loaded roster
    return draw(roster, _plan(), seed=SEED)


def _fingerprint(path: pathlib.Path) -> str:
    from randcheck.roster import RosterDigest

    return RosterDigest.from_parquet(path, extra=["risk_score"])


_CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
import bench_nation as b
phases = b.Phases()
t0 = time.perf_counter()
d = b._out_of_core(__import__("pathlib").Path({path!r}), phases)
# VmHWM: this address space's peak, which starts afresh at exec (ru_maxrss would include the
# parent's resident memory at the fork: the benchmark's own 10⁷-row roster).
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({{"seconds": time.perf_counter() - t0, "sample": len(d),
    "digest": d.receipt.roster_digest, "sample_digest": d.receipt.sample_digest,
    "maxrss": rss, "phases": str(phases)}}))
"""


def peak_rss(path: pathlib.Path) -> dict[str, Any]:
    """``draw_parquet`` in a fresh process: its time and peak resident memory (bytes, the
    child's own ``VmHWM``; Linux).

    The child gets the environment this process started with, less any ``MALLOC_*`` (glibc's
    allocator then has its defaults, as in most users' processes): a ``LocalCluster`` started
    here leaves its workers' variables in ``os.environ`` (``MALLOC_*``, one thread for OpenMP
    and BLAS...).
    """
    code = _CHILD.format(bench=str(pathlib.Path(__file__).parent), path=str(path))
    env = {k: v for k, v in _START_ENV.items() if not k.startswith("MALLOC_")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["maxrss"] *= 1024  # Linux reports KiB
    return result


def on_dask(
    path: pathlib.Path,
    workers: int,
    repeat: int = 1,
    env: dict[str, Any] | None = None,
    memory: int | None = None,
    last: list[Any] | None = None,
    spill_dir: str | None = None,
) -> list[float]:
    """Times of ``draw_dask`` on a running LocalCluster of ``workers`` single-threaded processes.

    ``env``: variables set in the workers' environment before they start (Dask's
    ``distributed.nanny.pre-spawn-environ``); ``None`` leaves Dask's own. ``memory``: the
    cluster's memory limit in bytes, shared by its workers (Dask spills beyond 60 % of a
    worker's share); ``None``: Dask's default (the machine's memory, shared). ``last``: the
    last draw is appended to it. ``spill_dir``: ``draw_dask``'s folder for the fingerprint's
    lines.
    """
    import dask
    from distributed import Client, LocalCluster

    from randcheck.sampling import draw_dask

    extra = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in (env or {}).items()}
    times = []
    with (
        dask.config.set(extra),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit="auto" if memory is None else memory // workers,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(workers)
        # A running cluster's workers have imported randcheck (and pyarrow) for earlier work:
        # so have these, before the draw is timed (a fresh worker's first task pays ~1 s).
        client.run(importlib.import_module, "randcheck.sampling.ondask")
        for _ in range(repeat):
            t0 = time.perf_counter()
            phases = Phases()
            d = draw_dask(
                path,
                _plan(),
                seed=SEED,
                extra=["risk_score"],
                spill_dir=spill_dir,
                progress=phases if spill_dir is not None else None,
            )
            times.append(time.perf_counter() - t0)
            if last is not None:
                last.append((d, phases))
    return times


def _busy(_: int = 0) -> float:
    """A CPU-bound job (hashing, as a draw's numbers): its own wall time."""
    import hashlib

    t0 = time.perf_counter()
    for i in range(400_000):
        hashlib.sha256(i.to_bytes(8, "little") * 5).digest()
    return time.perf_counter() - t0


def two_process_ceiling(repeat: int = 5) -> Row:
    """What two processes gain on this machine: two jobs in one process, then in two at once."""
    import multiprocessing

    one: list[float] = []
    two: list[float] = []
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_busy, [0, 1])  # both processes started and warm
        for _ in range(repeat):
            t0 = time.perf_counter()
            pool.apply(_busy)
            pool.apply(_busy)
            one.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            pool.map(_busy, [0, 1], chunksize=1)
            two.append(time.perf_counter() - t0)
    return timed_row(
        "nation",
        f"this machine's ceiling: a CPU-bound job twice, in 2 processes at once ×{repeat} "
        f"(load average {_loadavg()})",
        summary(two),
        "one after the other in 1 process",
        summary(one),
    )


def _loadavg() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def dask_rows(
    path: pathlib.Path, n: int, envs: dict[str, tuple[dict[str, Any] | None, int]]
) -> list[Row]:
    """``draw_dask`` on 2 workers against 1, runs interleaved, per worker environment.

    ``envs``: a label, then the workers' environment and the number of repeats.
    """
    rows = []
    for label, (env, repeat) in envs.items():
        one: list[float] = []
        two: list[float] = []
        loads = [_loadavg()]
        for _ in range(repeat):  # interleaved: a cluster of 1, then of 2
            one += on_dask(path, 1, env=env)
            two += on_dask(path, 2, env=env)
            loads.append(_loadavg())
        rows.append(
            timed_row(
                "nation",
                f"draw_dask {n:.0e} rows ×{repeat}, LocalCluster 2 workers, {label} "
                f"(load average {'→'.join(loads)})",
                summary(two),
                "1 worker",
                summary(one),
                2.0,
            )
        )
    return rows


def _slope(sizes: list[int], times: list[float]) -> float:
    return math.log(times[-1] / times[0]) / math.log(sizes[-1] / sizes[0])


PARTS = ("draw", "fingerprint", "dask", "peak")


def run(quick: bool, parts: tuple[str, ...] = PARTS) -> list[Row]:
    # Repeats per size: a 10⁷-row out-of-core draw takes minutes on a shared two-core machine.
    repeats = {20_000: 3, 200_000: 3} if quick else {100_000: 5, 1_000_000: 5, 10_000_000: 3}
    sizes = list(repeats)
    row_group = 100_000 if quick else 1_000_000
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-nation-") as folder:
        files = {}
        for n in sizes:
            files[n] = pathlib.Path(folder) / f"targets-{n}.parquet"
            if {"draw", "fingerprint", "peak"} & set(parts) or n == sizes[-1]:
                make_file(files[n], n, min(row_group, n))
        draw_times, digest_times = [], []
        for n in sizes if {"draw", "fingerprint"} & set(parts) else []:
            contenders = {}
            if "draw" in parts:
                loaded = _loaded(files[n])
                contenders["out of core"] = lambda p=files[n]: _out_of_core(p)
                contenders["in memory"] = lambda p=files[n]: _in_memory(p)
                contenders["draw alone"] = lambda r=loaded: _draw_loaded(r)
            if "fingerprint" in parts:
                contenders["fingerprint"] = lambda p=files[n]: _fingerprint(p)
            t = interleaved(contenders, repeat=repeats[n])
            if "draw" in parts:
                draw_times.append(t["out of core"][0])
                del loaded, contenders
                rows += [
                    timed_row(
                        "nation",
                        f"draw_parquet {n:.0e} rows ×{repeats[n]} (official, fingerprint included)",
                        t["out of core"],
                        "draw on the roster in memory",
                        t["draw alone"],
                        0.67,
                    ),
                    timed_row(
                        "nation",
                        f"TargetRoster.from_parquet + draw {n:.0e} rows ×{repeats[n]}",
                        t["in memory"],
                        "draw on the roster in memory",
                        t["draw alone"],
                        0.67,
                    ),
                    timed_row(
                        "nation",
                        f"draw_parquet {n:.0e} rows ×{repeats[n]}, against the in-memory route",
                        t["out of core"],
                        "from_parquet + draw",
                        t["in memory"],
                    ),
                ]
            if "fingerprint" in parts:
                digest_times.append(t["fingerprint"][0])
                rows.append(
                    timed_row(
                        "nation",
                        f"RosterDigest.from_parquet {n:.0e} rows ×{repeats[n]}",
                        t["fingerprint"],
                        "-",
                        None,
                    )
                )
        for what, times in (("draw_parquet", draw_times), ("fingerprint", digest_times)):
            if times:
                rows.append(
                    Row(
                        "nation",
                        f"scaling exponent of {what}, {sizes[0]:.0e} to {sizes[-1]:.0e}",
                        _slope(sizes, times),
                        "-",
                        None,
                        1.05,
                        unit="",
                    )
                )
        if "dask" in parts:
            # Ten row groups (tasks) per pass, so that two workers have work to share.
            n = sizes[-1]
            path = files[n]
            if min(row_group, n) != n // 10:
                path = pathlib.Path(folder) / f"dask-{n}.parquet"
                make_file(path, n, n // 10)
            envs: dict[str, tuple[dict[str, Any] | None, int]] = {
                "workers started as the how-to recommends": (RECOMMENDED_ENV, 3 if quick else 2)
            }
            if not quick:
                envs["Dask's default worker environment"] = (None, 1)
            rows += dask_rows(path, n, envs)
            rows.append(two_process_ceiling(3 if quick else 5))
        if "peak" in parts and not quick:
            peak = peak_rss(files[sizes[-1]])
            rows.append(
                Row(
                    "nation",
                    f"draw_parquet {sizes[-1]:.0e} rows, peak RSS (fresh process)",
                    float(peak["maxrss"]),
                    "-",
                    None,
                    4.0 * 2**30,
                    unit="B",
                )
            )
    return rows


# The national run's memory per Dask worker (the goal's 4 GiB). The fingerprint's lines (about
# 80 bytes a row, 15 GB) go to files in a folder (draw_dask's spill_dir), not to the workers'
# memory; Dask's own worker environment (with RECOMMENDED_ENV a worker kept about 2.6 GiB of
# freed memory and was restarted by its nanny at 95 % of 4 GiB, 3 December 2026).
NATION_WORKER_MEMORY = 4 * 2**30


def nation(
    path: pathlib.Path,
    dask_workers: list[int],
    reference: pathlib.Path | None = None,
    out_of_core: bool = True,
) -> None:
    """The national-size run, once: draw_parquet's time and peak RSS, then draw_dask's times.

    ``reference``: a smaller file of the same kind, drawn first in a fresh process as well (the
    scaling exponent from its size to the nation's is printed).
    """
    import pyarrow.parquet as pq

    n = pq.ParquetFile(path).metadata.num_rows
    print(f"{path}: {n:,} rows", flush=True)
    ref: dict[str, Any] | None = None
    if reference is not None and out_of_core:
        m = pq.ParquetFile(reference).metadata.num_rows
        load = _loadavg()
        ref = peak_rss(reference)
        ref["rows"] = m
        print(
            f"draw_parquet, {m:,} rows: {ref['seconds']:.1f} s, peak RSS "
            f"{ref['maxrss'] / 2**30:.2f} GiB (load average {load}→{_loadavg()})",
            flush=True,
        )
    if out_of_core:
        load = _loadavg()
        peak = peak_rss(path)
        print(
            f"draw_parquet: {peak['seconds']:.0f} s, peak RSS {peak['maxrss'] / 2**30:.2f} GiB, "
            f"sample {peak['sample']:,} {peak['sample_digest']}, roster {peak['digest']} "
            f"(load average {load}→{_loadavg()}); "
            f"{peak['phases']}",
            flush=True,
        )
        if ref is not None:
            slope = _slope([ref["rows"], n], [ref["seconds"], peak["seconds"]])
            print(f"scaling exponent of draw_parquet: {slope:.3f}", flush=True)
    for w in dask_workers:
        load = _loadavg()
        drawn: list[Any] = []
        with tempfile.TemporaryDirectory(prefix="bench-nation-") as spill:
            (t,) = on_dask(
                path, w, env=None, memory=NATION_WORKER_MEMORY * w, last=drawn, spill_dir=spill
            )
        print(
            f"draw_dask, LocalCluster of {w} worker(s), {NATION_WORKER_MEMORY / 2**30:.0f} GiB "
            f"each, lines in files: {t:.0f} s (load average {load}→{_loadavg()}), sample "
            f"{len(drawn[0][0]):,} {drawn[0][0].receipt.sample_digest}, roster "
            f"{drawn[0][0].receipt.roster_digest}; {drawn[0][1]}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make", type=pathlib.Path, help="write a synthetic roster here")
    parser.add_argument("--nation", type=pathlib.Path, help="measure on this file, once")
    parser.add_argument("--rows", type=float, default=1.85e8)
    parser.add_argument(
        "--reference", type=pathlib.Path, help="with --nation: a smaller file, drawn first"
    )
    parser.add_argument(
        "--no-out-of-core", action="store_true", help="with --nation: draw_dask only"
    )
    parser.add_argument("--dask", type=int, nargs="*", default=[2, 1], help="worker counts")
    parser.add_argument("--only", nargs="+", choices=PARTS, help="run only these measurements")
    parser.add_argument("--quick", action="store_true", help="with --only: small sizes")
    parser.add_argument("--write-docs", action="store_true", help="with --only: write the table")
    args = parser.parse_args()
    if args.make:
        make_file(args.make, int(args.rows), 1_000_000)
    if args.nation:
        nation(args.nation, args.dask, args.reference, not args.no_out_of_core)
    if args.only:
        import run as runner

        load_before = runner._load()
        rows = run(args.quick, tuple(args.only))
        for r in rows:
            ratio = "" if r.ratio is None else f"  ratio {r.ratio:.2f}"
            print(f"{r.measure}: {r.ours:.3g} {r.unit} {r.spread or ''}{ratio}", flush=True)
        if args.write_docs:
            print(f"wrote {runner.write_docs('bench_nation', rows, args.quick, load_before)}")


if __name__ == "__main__":
    main()
