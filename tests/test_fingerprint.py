"""The roster fingerprint ``randcheck-roster/2``: recipe, buckets, parts, parallel workers."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

# The recipe's steps are tested in their module (randcheck.roster.fingerprint), and private
# sizes there and in randcheck.roster.tables (_KEY_ROWS, _BUCKET_SORT_MIN, _GROUP_ROWS,
# _PARALLEL_MIN_ROWS) are shrunk so that small rosters take the paths large ones take.
import randcheck.roster.fingerprint as fingerprint_module
import randcheck.roster.tables as tables_module
from _digest_helpers import digest_by_hand, id_key
from _helpers import credit_codes
from randcheck import OfficerRoster, RosterError, TargetRoster, _parallel
from randcheck.roster import RosterDigest
from strategies import target_rosters

HEADER = [c.name for c in TargetRoster.COLUMNS]


def roster(n: int = 3000, seed: int = 0) -> TargetRoster:
    rng = np.random.default_rng(seed)
    names = np.array(["", "甲公司", "😀小店", "x" * 40, "ü"])
    return TargetRoster.from_columns(
        {
            "credit_code": credit_codes(n, 17 * seed),
            "risk_class": np.array(list("ABCD"))[rng.integers(0, 4, n)],
            "name": names[rng.integers(0, names.size, n)],
            "complaints": rng.integers(0, 9, n),
            "score": rng.random(n),
        },
        extra=["score"],
    )


def plain_rows(r: TargetRoster) -> list[list[str]]:
    cols = r.to_columns()
    header = [*HEADER, *r.extra_columns]
    out = []
    for i in range(len(r)):
        row = []
        for h in header:
            v = cols[h][i]
            if h == "abnormal":
                row.append("1" if v else "0")
            elif isinstance(v, np.datetime64):
                row.append("" if np.isnat(v) else str(v))
            elif isinstance(v, np.floating):
                row.append(repr(float(v)))
            else:
                row.append(str(v))
        out.append(row)
    return out


# --- the recipe -----------------------------------------------------------------------------------
ids = st.lists(st.text(min_size=1, max_size=30).filter(lambda s: "\x00" not in s), unique=True)


@given(ids)
def test_id_keys_follow_the_recipe_for_ids_of_any_length(values: list[str]) -> None:
    expected = [id_key(v) for v in values]
    as_strings = np.array(values, dtype=np.dtypes.StringDType())
    as_bytes = np.array([v.encode("utf-8") for v in values], dtype="S")
    assert fingerprint_module.id_keys(as_strings).tolist() == expected
    assert fingerprint_module.id_keys(as_bytes).tolist() == expected


def test_id_keys_computed_block_by_block_follow_the_recipe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Long and short ids in blocks of 3: a block's own width never changes a key.
    monkeypatch.setattr(fingerprint_module, "_KEY_ROWS", 3)
    values = ["a", "91350100M000100Y43", "é中文" * 5, "x" * 17, "ab", "91130634MA07RWXK3G", "q"]
    expected = [id_key(v) for v in values]
    as_strings = np.array(values, dtype=np.dtypes.StringDType())
    as_bytes = np.array([v.encode("utf-8") for v in values], dtype="S")
    assert fingerprint_module.id_keys(as_strings).tolist() == expected
    assert fingerprint_module.id_keys(as_bytes).tolist() == expected
    codes = credit_codes(10)
    assert fingerprint_module.id_keys(codes).tolist() == [
        id_key(c.decode()) for c in codes.tolist()
    ]


def test_id_key_of_a_credit_code_is_fixed() -> None:
    # Pinned: a change here changes every published roster digest.
    assert id_key("91350100M000100Y43") == 0x91193A0170F393E8
    assert fingerprint_module.id_keys(np.array([b"91350100M000100Y43"])).tolist() == [
        0x91193A0170F393E8
    ]


@pytest.mark.parametrize("bucketed", [False, True])
@given(keys=st.lists(st.integers(0, 2**64 - 1) | st.sampled_from([5, 2**63, 2**64 - 1])))
def test_canonical_order_is_by_key_then_id(bucketed: bool, keys: list[int]) -> None:
    ident = np.array([f"id{len(keys) - i:04d}".encode() for i in range(len(keys))])
    k = np.array(keys, dtype=np.uint64)
    order, bounds = fingerprint_module.canonical_order(k, ident, bucketed)
    expected = sorted(range(len(keys)), key=lambda i: (keys[i], ident[i]))
    assert order.tolist() == expected
    assert bounds.tolist() == [sum(1 for x in keys if x >> 56 < b) for b in range(257)]


def test_digest_follows_the_recipe_by_hand() -> None:
    r = roster(500)
    assert r.digest() == digest_by_hand(plain_rows(r), [*HEADER, "score"])


def test_digest_of_an_empty_roster_follows_the_recipe() -> None:
    r = TargetRoster.from_columns({"credit_code": [], "risk_class": []})
    assert r.digest() == digest_by_hand([], HEADER)


def test_bucket_by_bucket_sorting_and_small_groups_give_the_same_digest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    r = roster(2000, seed=1)
    expected = digest_by_hand(plain_rows(r), [*HEADER, "score"])
    monkeypatch.setattr(fingerprint_module, "_BUCKET_SORT_MIN", 0)
    monkeypatch.setattr(tables_module, "_GROUP_ROWS", 3)
    assert r.take(np.arange(len(r))[::-1]).digest() == expected


def test_text_too_wide_to_widen_gives_the_same_digest_and_csv(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    # Text columns whose 4-bytes-a-character copy would pass Pieces' budget are written from
    # their UTF-8 bytes end to end; blocks of 3 strings (the widths differ block by block).
    import randcheck.roster._csv as csv_module

    r = roster(2000, seed=3)
    officers = OfficerRoster.from_columns(
        {"officer_id": ["A1", "é中文" * 9, "😀"], "name": ["王某", "", "x" * 50]}
    )
    expected = digest_by_hand(plain_rows(r), [*HEADER, "score"])
    officers_digest = officers.digest()
    r.to_csv(tmp_path / "wide.csv")
    monkeypatch.setattr(csv_module.Pieces, "_TEXT_BUDGET", 0)
    monkeypatch.setattr(csv_module, "_RAGGED_BLOCK", 3)
    assert r.take(np.arange(len(r))[::-1]).digest() == expected
    r.to_csv(tmp_path / "ragged.csv")
    assert (tmp_path / "ragged.csv").read_bytes() == (tmp_path / "wide.csv").read_bytes()
    assert officers.take([2, 1, 0]).digest() == officers_digest


def test_a_moved_value_between_two_rows_changes_the_digest() -> None:
    # An insider swaps two targets' risk classes: same multiset of values, other roster.
    r = roster(50)
    cols = r.to_columns()
    risk = cols["risk_class"].copy()
    i, j = 0, int(np.flatnonzero(risk != risk[0])[0])
    risk[[i, j]] = risk[[j, i]]
    swapped = TargetRoster.from_columns({**cols, "risk_class": risk}, extra=["score"])
    assert swapped.digest() != r.digest()


# --- parallel -------------------------------------------------------------------------------------
def test_digest_with_workers_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables_module, "_PARALLEL_MIN_ROWS", 0)  # processes even for 4,000 rows
    r = roster(4000, seed=2)
    expected = digest_by_hand(plain_rows(r), [*HEADER, "score"])
    assert r.digest(workers=2) == expected
    assert r.take(np.arange(len(r))).digest(workers=3) == expected


@pytest.fixture(params=["one thread", "two threads"])
def threads(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The helper thread off, then forced on (whatever the machine's load)."""
    on = request.param == "two threads"
    monkeypatch.setattr(_parallel, "available_cores", lambda: 2 if on else 1)
    monkeypatch.setattr(_parallel, "_others_running", lambda: 0.0)
    return str(request.param)


@pytest.mark.parametrize("n", [1, 700, 4000])
def test_digest_in_two_threads_is_the_recipe(
    monkeypatch: pytest.MonkeyPatch, threads: str, n: int
) -> None:
    # Small sizes take the large rosters' path: threads from 0 rows, buckets sorted one by
    # one, lines written 64 rows at a time (buckets cut across blocks).
    monkeypatch.setattr(tables_module, "_THREAD_MIN_ROWS", 0)
    monkeypatch.setattr(tables_module, "_GROUP_ROWS", 64)
    started: list[Any] = []
    run = _parallel.run
    monkeypatch.setattr(_parallel, "run", lambda *a, **k: started.append(a) or run(*a, **k))
    r = roster(n, seed=7)
    expected = digest_by_hand(plain_rows(r), [*HEADER, "score"])
    seen: list[tuple[int, int]] = []
    assert r.digest(workers=2, progress=lambda done, total: seen.append((done, total))) == (
        expected
    )
    assert seen[-1] == (n, n)
    # Two threads: no job list for processes at all; one thread: the jobs, run here.
    assert [a[1] for a in started] == ([] if threads == "two threads" else [1])
    assert r.take(np.arange(n)[::-1]).digest(workers=2) == expected
    parts = RosterDigest()
    parts.update(r.take(np.arange(n // 2)))
    parts.update(r.take(np.arange(n // 2, n)))
    assert parts.seal() == expected


def test_digest_with_more_workers_than_two_threads_starts_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tables_module, "_PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(_parallel, "available_cores", lambda: 4)
    asked: list[int] = []
    run = _parallel.run
    monkeypatch.setattr(_parallel, "run", lambda jobs, w, **k: asked.append(w) or run(jobs, w, **k))
    r = roster(4000, seed=8)
    assert r.digest(workers=3) == digest_by_hand(plain_rows(r), [*HEADER, "score"])
    assert asked == [3]


def test_a_busy_machine_digests_in_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # A second thread or process would share a core with the other work: never slower.
    monkeypatch.setattr(tables_module, "_THREAD_MIN_ROWS", 0)
    monkeypatch.setattr(_parallel, "available_cores", lambda: 2)
    monkeypatch.setattr(_parallel, "_others_running", lambda: 1.0)
    asked: list[int] = []
    run = _parallel.run
    monkeypatch.setattr(_parallel, "run", lambda jobs, w, **k: asked.append(w) or run(jobs, w, **k))
    monkeypatch.setattr(
        tables_module, "_digest_in_two", lambda *a: pytest.fail("threads on a busy machine")
    )
    r = roster(3000, seed=9)
    assert r.digest(workers=2) == r.take(np.arange(3000)).digest()
    assert asked == [1, 1]


def test_a_small_roster_is_digested_without_starting_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[int] = []
    run = _parallel.run

    def spy(jobs: Any, workers: int, **kwargs: Any) -> Any:
        asked.append(workers)
        return run(jobs, workers, **kwargs)

    monkeypatch.setattr(_parallel, "run", spy)
    r = roster(3000, seed=4)
    assert r.digest(workers=2) == r.take(np.arange(len(r))).digest()
    assert asked == [1, 1]


def test_digest_workers_must_be_whole_and_positive() -> None:
    with pytest.raises(ValueError, match="workers = 0 must be a whole number ≥ 1"):
        roster(10).digest(workers=0)


def _pid_and_value(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_parallel_run_keeps_job_order_and_at_most_workers_processes() -> None:
    jobs = [_parallel.Job(_pid_and_value, (i,), size=float(i % 3)) for i in range(9)]
    results = _parallel.run(jobs, 2)
    assert [v for _, v in results] == [i * i for i in range(9)]
    assert len({p for p, _ in results}) <= 2


_CALLER = os.getpid()


def _meet(started: Any) -> int:
    # Each process's first job waits until the other process has started one: it passes only
    # if the caller and a forked process both take jobs (started: the caller's event, the
    # helper's event).
    mine, other = started if os.getpid() == _CALLER else started[::-1]
    mine.set()
    assert other.wait(60)
    return os.getpid()


@pytest.mark.skipif(
    not (_parallel.can_fork() and _parallel.available_cores() >= 2), reason="needs 2 cores, fork"
)
def test_parallel_run_shares_the_jobs_between_the_caller_and_a_forked_process() -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    started = (ctx.Event(), ctx.Event())
    pids = _parallel.run([_parallel.Job(_meet, (started,)) for _ in range(6)], 2)
    assert _CALLER in pids  # the caller works too: two busy processes for workers=2
    assert len(set(pids)) == 2


def _fail_in_a_helper(i: int) -> int:
    if i == 3:
        raise ValueError(f"job {i} failed")
    return i


class _UnpicklableError(Exception):
    def __init__(self, lock: Any) -> None:
        super().__init__("cannot travel")
        self.lock = lock

    def __reduce__(self) -> Any:
        raise TypeError("not picklable")


def _fail_unpicklably(started: Any) -> int:
    _meet(started)
    if os.getpid() != _CALLER:
        raise _UnpicklableError(None)
    return 0


def test_parallel_run_raises_a_jobs_error_wherever_it_ran() -> None:
    jobs = [_parallel.Job(_fail_in_a_helper, (i,)) for i in range(8)]
    with pytest.raises(ValueError, match="job 3 failed"):
        _parallel.run(jobs, 2)
    with pytest.raises(ValueError, match="job 3 failed"):
        _parallel.run(jobs, 1)


@pytest.mark.skipif(
    not (_parallel.can_fork() and _parallel.available_cores() >= 2), reason="needs 2 cores, fork"
)
def test_parallel_run_reports_an_error_that_cannot_travel_by_its_text() -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    started = (ctx.Event(), ctx.Event())
    with pytest.raises(RuntimeError, match="_UnpicklableError: cannot travel"):
        _parallel.run([_parallel.Job(_fail_unpicklably, (started,)) for _ in range(4)], 2)


def _fill(out: Any, a: int, b: int) -> None:
    out[a:b] = np.arange(a, b) * 2


def test_a_shared_array_receives_what_every_process_writes() -> None:
    out = _parallel.shared_array(1000, np.int64)
    _parallel.run([_parallel.Job(_fill, (out, a, a + 100)) for a in range(0, 1000, 100)], 2)
    assert out.tolist() == (np.arange(1000) * 2).tolist()
    assert _parallel.shared_array(0, np.float64).shape == (0,)


def test_parallel_run_never_uses_more_processes_than_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_parallel, "available_cores", lambda: 1)
    results = _parallel.run([_parallel.Job(_pid_and_value, (i,)) for i in range(4)], 8)
    assert {p for p, _ in results} == {os.getpid()}  # one core: no worker process at all


def test_available_cores_respects_the_affinity() -> None:
    assert 1 <= _parallel.available_cores() <= len(os.sched_getaffinity(0))


# --- parts ----------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(target_rosters(max_rows=30), st.data())
@pytest.mark.slow
def test_a_roster_split_in_any_way_has_the_same_digest(r: TargetRoster, data: Any) -> None:
    n = len(r)
    perm = data.draw(st.permutations(range(n)))
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    split = data.draw(st.integers(0, 256))
    low, high = RosterDigest(buckets=range(0, split)), RosterDigest(buckets=range(split, 256))
    for a, b in zip([0, *cuts], [*cuts, n], strict=True):
        part = r.take(np.array(perm[a:b], dtype=np.intp))
        low.update(part)
        high.update(part)
    high.merge(low)
    assert high.seal() == r.digest()


@pytest.mark.parametrize("merge_rows", [1 << 15, 1, 4])
def test_parts_merged_from_several_accumulators_give_the_digest(
    monkeypatch: pytest.MonkeyPatch, merge_rows: int
) -> None:
    # merge_rows below a bucket's rows: each bucket merged one range of keys at a time.
    monkeypatch.setattr(tables_module, "_MERGE_ROWS", merge_rows)
    r = roster(3000, seed=4)
    accs = [RosterDigest() for _ in range(3)]
    for k, part in enumerate(np.array_split(np.random.default_rng(0).permutation(len(r)), 3)):
        accs[k].update(r.take(part))
    accs[0].merge(accs[1])
    accs[2].merge(accs[0])
    assert accs[2].seal() == r.digest()


def test_a_copy_takes_merges_without_changing_the_original() -> None:
    r = roster(3000, seed=5)
    halves = [r.take(h) for h in np.array_split(np.random.default_rng(1).permutation(len(r)), 2)]
    low = [RosterDigest(buckets=range(0, 128)) for _ in halves]
    high = [RosterDigest(buckets=range(128, 256)) for _ in halves]
    for half, lo, hi in zip(halves, low, high, strict=True):
        lo.update(half)
        hi.update(half)
    both = low[0].copy()
    both.merge(low[1])
    both.merge(high[0])
    both.merge(high[1])
    assert both.seal() == r.digest()
    low[0].merge(high[0])  # the original still holds the first half's rows only
    assert low[0].seal() == halves[0].digest() != r.digest()


def test_officer_parts_give_the_officer_digest() -> None:
    o = OfficerRoster.from_columns(
        {"officer_id": [f"A{i:03d}" for i in range(40)], "name": ["王某"] * 40}
    )
    acc = RosterDigest(OfficerRoster)
    acc.update(o.take(np.arange(0, 40, 2)))
    acc.update(o.take(np.arange(1, 40, 2)))
    assert acc.seal() == o.digest()


@pytest.mark.parametrize("merge_rows", [1 << 15, 3])
def test_rows_of_equal_keys_from_several_parts_are_ordered_by_id(
    monkeypatch: pytest.MonkeyPatch, merge_rows: int
) -> None:
    # Keys cut to their bucket and two low bits: four keys per bucket, ties everywhere. The
    # in-memory digest orders ties by the ids it holds; the parts read their ids from the lines.
    # merge_rows 3: each bucket merged one range of keys at a time (the nation's buckets).
    real = tables_module.id_keys
    mask = np.uint64(0xFF00_0000_0000_0003)
    monkeypatch.setattr(tables_module, "id_keys", lambda ids: real(ids) & mask)
    monkeypatch.setattr(tables_module, "_MERGE_ROWS", merge_rows)
    r = roster(3000, seed=6)
    o = OfficerRoster.from_columns(
        {"officer_id": [f"执法{i:04d}" for i in range(600)], "name": ["王某"] * 600}
    )
    for whole, kind in ((r, TargetRoster), (o, OfficerRoster)):
        acc = RosterDigest(kind)
        for rows in np.array_split(np.random.default_rng(2).permutation(len(whole)), 5):
            acc.update(whole.take(rows))  # type: ignore[arg-type]
        assert acc.seal() == whole.digest()


def test_lines_written_to_files_give_the_digest_range_by_range(tmp_path: Any) -> None:
    r = roster(3000, seed=7)
    stored = []
    for k, rows in enumerate(np.array_split(np.random.default_rng(3).permutation(len(r)), 3)):
        acc = RosterDigest()
        acc.update(r.take(rows))
        path = tmp_path / f"part-{k}.lines"
        stored.append((path, tables_module.write_lines(acc, path)))
    whole = RosterDigest(buckets=range(0, 0))
    for a, b in [(0, 1), (1, 100), (100, 255), (255, 256)]:
        acc = RosterDigest(buckets=range(a, b))
        for path, places in stored:
            tables_module.read_lines(acc, path, places, [*HEADER, "score"])
        acc.close()
        whole.merge(acc)
    assert whole.seal() == r.digest()


def test_lines_cut_short_in_their_file_are_an_error(tmp_path: Any) -> None:
    acc = RosterDigest()
    acc.update(roster(50))
    path = tmp_path / "part.lines"
    places = tables_module.write_lines(acc, path)
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(RosterError, match=r"part\.lines: the fingerprint's stored lines are cut"):
        tables_module.read_lines(RosterDigest(), path, places, [*HEADER, "score"])


@pytest.mark.parametrize("merge_rows", [1 << 15, 1])
def test_an_id_in_two_parts_is_an_error(monkeypatch: pytest.MonkeyPatch, merge_rows: int) -> None:
    monkeypatch.setattr(tables_module, "_MERGE_ROWS", merge_rows)
    r = roster(20)
    acc = RosterDigest()
    acc.update(r.take([0, 1, 2]))
    acc.update(r.take([2, 3]))
    code = r.credit_code[2].decode()
    with pytest.raises(RosterError, match=f"column 'credit_code', value '{code}'.*two parts"):
        acc.seal()


def test_sealing_with_buckets_missing_is_an_error() -> None:
    acc = RosterDigest(buckets=range(0, 100))
    acc.update(roster(20))
    with pytest.raises(RosterError, match=r"buckets 100–255 were not accumulated \(156 of 256\)"):
        acc.seal()


def test_parts_with_other_columns_are_an_error() -> None:
    r = roster(20)
    acc = RosterDigest()
    acc.update(r)
    other = TargetRoster.from_columns(
        {"credit_code": credit_codes(2, 999), "risk_class": ["A", "B"]}
    )
    with pytest.raises(RosterError, match="need the same columns"):
        acc.update(other)


def test_a_part_of_the_wrong_kind_is_an_error() -> None:
    o = OfficerRoster.from_columns({"officer_id": ["A1"], "name": ["王某"]})
    with pytest.raises(TypeError, match="a TargetRoster is needed, got OfficerRoster"):
        RosterDigest().update(o)  # type: ignore[arg-type]


def test_a_bucket_range_outside_the_recipe_is_an_error() -> None:
    with pytest.raises(ValueError, match="consecutive buckets within 0–255"):
        RosterDigest(buckets=range(0, 300))


# --- progress -------------------------------------------------------------------------------------
def test_digest_reports_progress_up_to_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables_module, "_GROUP_ROWS", 100)
    r = roster(3000, seed=5)
    seen: list[tuple[int, int]] = []
    d = r.digest(workers=2, progress=lambda done, total: seen.append((done, total)))
    assert d == roster(3000, seed=5).digest()
    assert seen[-1] == (3000, 3000)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)


def test_an_official_draw_reports_progress_and_draws_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from randcheck import SamplingPlan, draw
    from randcheck.randomness import hashing

    monkeypatch.setattr(hashing, "PARALLEL_MIN", 100)
    monkeypatch.setattr(hashing, "SLICE_ROWS", 700)
    plan = SamplingPlan(rates={"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.5})
    quiet = draw(roster(3000, seed=6), plan, seed="p", drawn_at=None)
    for workers in (1, 2):
        seen: list[tuple[int, int]] = []
        loud = draw(
            roster(3000, seed=6),
            plan,
            seed="p",
            workers=workers,
            progress=lambda done, total, seen=seen: seen.append((done, total)),
        )
        assert loud.receipt.sample_digest == quiet.receipt.sample_digest
        assert loud.receipt.roster_digest == quiet.receipt.roster_digest
        # The ids hashed (5 slices of at most 700) and the roster's rows for its digest.
        assert seen[-1] == (6000, 6000)
        assert len(seen) >= 6


def test_progress_true_shows_a_bar_and_draws_nothing_else(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("tqdm")
    r = roster(500)
    assert r.digest(progress=True) == roster(500).digest()


def test_progress_of_another_kind_is_an_error() -> None:
    with pytest.raises(TypeError, match="progress: True, False, None or a callable"):
        roster(10).digest(progress="yes")  # type: ignore[arg-type]
