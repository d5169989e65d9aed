"""Out-of-core draws (draw_parquet): the same receipt as the in-memory draw, byte for byte."""

from __future__ import annotations

import datetime as dt
import itertools
import pathlib
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from randcheck import (
    Draw,
    PlanError,
    RosterError,
    SamplingPlan,
    TargetRoster,
    VerificationError,
    draw,
    draw_parquet,
    verify,
)
from randcheck.example import synthetic_targets
from randcheck.sampling import Eligibility, verify_parquet
from randcheck.sampling._chunked import Candidates

from ._helpers import commit_any, credit_codes, make_roster, write_parquet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

WHEN = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SEED = "2026-12-03 05 11 19 23 28 30 + 07"

PLANS = {
    "rates": SamplingPlan(rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.4}),
    "whole class D": SamplingPlan(rates={"A": 0.02, "B": 0.05, "C": 0.2, "D": 1.0}),
    "industry x area, minimum": SamplingPlan(
        overall_rate=0.02, strata=("risk_class", "industry", "area"), min_per_stratum=2
    ),
    "neyman total": SamplingPlan(
        total=777, allocation="neyman", prevalence={"A": 0.01, "B": 0.05, "C": 0.2, "D": 0.4}
    ),
    "attention stratum": SamplingPlan(
        rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 0.3}, attention="stratum", attention_rate=0.5
    ),
    "eligibility": SamplingPlan(
        rates={"B": 0.1, "C": 0.2},
        eligibility=Eligibility(risk_classes=["B", "C"], exclude_statuses=["注销", "吊销"]),
        no_exemption=True,
    ),
    "pps": SamplingPlan(
        overall_rate=0.03, within="pps", size_column="risk_score", strata=("risk_class", "industry")
    ),
    "pps with take-all": SamplingPlan(
        rates={"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.9}, within="pps", size_column="risk_score"
    ),
}


def same(a: Draw, b: Draw) -> None:
    assert a.receipt.to_json() == b.receipt.to_json()
    assert np.array_equal(a.ids, b.ids)
    assert np.array_equal(a.rows, b.rows)
    assert a.inclusion_probabilities.tobytes() == b.inclusion_probabilities.tobytes()
    assert np.array_equal(a.stratum, b.stratum)
    assert a.strata == b.strata


@pytest.fixture(scope="module")
def parquet_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[TargetRoster, pathlib.Path]:
    """60,000 synthetic targets in one Parquet file (row groups of 7,001 rows), and the roster."""
    roster = synthetic_targets(60_000, seed=15)
    path = write_parquet(roster, tmp_path_factory.mktemp("ooc") / "county.parquet", 7_001)
    return TargetRoster.from_parquet(path, extra=["risk_score"]), path


@pytest.mark.parametrize("name", list(PLANS))
@pytest.mark.slow
def test_out_of_core_receipt_is_the_in_memory_receipt(
    parquet_county: tuple[TargetRoster, pathlib.Path], name: str
) -> None:
    roster, path = parquet_county
    plan = PLANS[name]
    mine = draw_parquet(path, plan, seed=SEED, drawn_at=WHEN, extra=["risk_score"])
    same(mine, draw(roster, plan, seed=SEED, drawn_at=WHEN))
    assert verify(mine.receipt, roster) is None


@pytest.mark.slow
def test_take_all_units_are_capped_across_row_groups(
    parquet_county: tuple[TargetRoster, pathlib.Path],
) -> None:
    _, path = parquet_county
    plan = PLANS["pps with take-all"]
    mine = draw_parquet(path, plan, seed=SEED, drawn_at=WHEN, extra=["risk_score"])
    # The plan does cap: some drawn targets have π = 1 without their stratum being taken whole.
    certain = mine.inclusion_probabilities == 1.0
    whole = np.array([s.size == s.population for s in mine.strata])
    assert (certain & ~whole[mine.stratum]).any()


def test_committed_draw_out_of_core(parquet_county: tuple[TargetRoster, pathlib.Path]) -> None:
    roster, path = parquet_county
    plan = PLANS["rates"]
    c = commit_any(roster, plan)
    mine = draw_parquet(path, plan, seed="42", commitment=c, drawn_at=WHEN, extra=["risk_score"])
    same(mine, draw(roster, plan, seed="42", commitment=c, drawn_at=WHEN))
    other = commit_any(roster, PLANS["whole class D"])
    with pytest.raises(PlanError, match="commitment does not match this roster and plan"):
        draw_parquet(path, plan, seed="42", commitment=other, extra=["risk_score"])


@pytest.mark.slow
def test_one_row_per_group_and_one_group(tmp_path: pathlib.Path) -> None:
    roster = synthetic_targets(300, seed=3)
    plan = SamplingPlan(
        rates={"A": 0.1, "B": 0.2, "C": 0.5, "D": 1.0}, strata=("risk_class", "area")
    )
    expected = draw(roster, plan, seed=SEED, drawn_at=WHEN)
    for rows in (1, 300):
        path = write_parquet(roster, tmp_path / f"r{rows}.parquet", rows)
        same(draw_parquet(path, plan, seed=SEED, drawn_at=WHEN, extra=["risk_score"]), expected)


def test_a_stratum_in_one_row_group_and_strata_that_draw_nobody(tmp_path: pathlib.Path) -> None:
    classes = ["A"] * 500 + ["B"] * 500 + ["E"] * 3  # E only in the last row group
    roster = make_roster(classes)
    path = write_parquet(roster, tmp_path / "r.parquet", 250)
    plan = SamplingPlan(rates={"A": 0.0, "B": 0.1, "E": 1.0})
    mine = draw_parquet(path, plan, seed=SEED, drawn_at=WHEN)
    same(mine, draw(roster, plan, seed=SEED, drawn_at=WHEN))
    assert [(s.key, s.size) for s in mine.strata] == [(("A",), 0), (("B",), 50), (("E",), 3)]


def test_duplicate_id_in_two_row_groups_names_both_rows(tmp_path: pathlib.Path) -> None:
    codes = credit_codes(10)
    codes[7] = codes[2]
    roster_cols = {"credit_code": codes.astype(str), "risk_class": ["A", "B"] * 5}
    path = tmp_path / "dup.parquet"
    write_parquet(roster_cols, path, 4)
    with pytest.raises(RosterError, match=r"duplicate id: it is in rows 3, 8") as info:
        draw_parquet(path, SamplingPlan(rates={"A": 0.5, "B": 0.5}), seed=SEED)
    assert info.value.row == 8
    assert info.value.value == codes[2].decode()
    assert str(path) in str(info.value)


def test_duplicate_id_in_one_row_group_is_the_loaders_error(tmp_path: pathlib.Path) -> None:
    # Within a row group, repeats are found on the fingerprint's order; the error is the one
    # TargetRoster.from_parquet raises, rows numbered in the file.
    codes = credit_codes(12)
    codes[10] = codes[9]
    cols = {"credit_code": codes.astype(str), "risk_class": ["A", "B"] * 6}
    path = write_parquet(cols, tmp_path / "dup.parquet", 4)
    with pytest.raises(RosterError) as loading:
        TargetRoster.from_parquet(path)
    with pytest.raises(RosterError) as info:
        draw_parquet(path, SamplingPlan(rates={"A": 0.5, "B": 0.5}), seed=SEED)
    assert str(info.value) == str(loading.value)
    assert "duplicate id" in str(info.value)
    assert (info.value.row, info.value.value) == (11, codes[9].decode())


def test_bad_row_in_a_later_row_group_is_named_by_its_file_row(tmp_path: pathlib.Path) -> None:
    cols = {"credit_code": credit_codes(10).astype(str), "risk_class": ["A"] * 10}
    cols["risk_class"][8] = "Q"
    path = tmp_path / "bad.parquet"
    write_parquet(cols, path, 3)
    with pytest.raises(RosterError) as info:
        draw_parquet(path, SamplingPlan(rates={"A": 0.5}), seed=SEED)
    assert info.value.row == 9
    assert info.value.value == "Q"


def test_bad_score_in_a_later_row_group_is_named_by_its_file_row(tmp_path: pathlib.Path) -> None:
    scores = np.ones(10)
    scores[8] = 0.0
    roster = make_roster(["A"] * 10, scores=scores)
    path = write_parquet(roster, tmp_path / "s.parquet", 3)
    plan = SamplingPlan(rates={"A": 0.5}, within="pps", size_column="risk_score")
    with pytest.raises(PlanError, match=r"row 9 \(") as info:
        draw_parquet(path, plan, seed=SEED, extra=["risk_score"])
    with pytest.raises(PlanError) as whole:
        draw(roster, plan, seed=SEED)
    assert str(info.value) == str(whole.value)


def test_plan_naming_an_absent_class_is_refused_as_in_memory(tmp_path: pathlib.Path) -> None:
    roster = make_roster(["A", "B"] * 20)
    path = write_parquet(roster, tmp_path / "r.parquet", 7)
    plan = SamplingPlan(rates={"A": 0.5, "B": 0.5, "C": 0.5})
    with pytest.raises(PlanError) as info:
        draw_parquet(path, plan, seed=SEED)
    with pytest.raises(PlanError) as whole:
        draw(roster, plan, seed=SEED)
    assert str(info.value) == str(whole.value)
    assert "rates names risk class C" in str(info.value)


def test_file_is_not_changed(tmp_path: pathlib.Path) -> None:
    roster = synthetic_targets(2000, seed=1)
    path = write_parquet(roster, tmp_path / "r.parquet", 300)
    before = path.read_bytes()
    draw_parquet(path, PLANS["rates"], seed=SEED, extra=["risk_score"])
    assert path.read_bytes() == before


@pytest.mark.slow
def test_simulation_out_of_core_draws_the_planned_sizes(
    parquet_county: tuple[TargetRoster, pathlib.Path],
) -> None:
    roster, path = parquet_county
    plan = PLANS["rates"]
    a = draw_parquet(path, plan, rng=7, extra=["risk_score"])
    b = draw_parquet(path, plan, rng=7, extra=["risk_score"])
    assert not a.verifiable
    assert np.array_equal(a.ids, b.ids)
    in_memory = draw(roster, plan, rng=7)
    assert [s.size for s in a.strata] == [s.size for s in in_memory.strata]
    assert np.array_equal(roster.credit_code[a.rows], a.ids)


def test_progress_counts_every_row_of_every_pass(tmp_path: pathlib.Path) -> None:
    roster = synthetic_targets(1000, seed=2)
    path = write_parquet(roster, tmp_path / "r.parquet", 300)
    seen: list[tuple[int, int]] = []
    draw_parquet(
        path,
        PLANS["rates"],
        seed=SEED,
        extra=["risk_score"],
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (2000, 2000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# Candidates merge to the n_h smallest (rank, credit code) of each stratum, however split.
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 2), st.sampled_from([0.0, 0.25, 0.5, 1.0])), max_size=40),
    st.lists(st.integers(0, 40), max_size=5),
    st.lists(st.integers(0, 6), min_size=3, max_size=3),
)
def test_candidates_merge_is_the_smallest_of_the_union(
    items: list[tuple[int, float]], cuts: list[int], n: list[int]
) -> None:
    ids = credit_codes(len(items))
    strata = np.array([s for s, _ in items], dtype=np.intp)
    ranks = np.array([r for _, r in items])
    sizes = np.array(n, dtype=np.intp)

    def candidates(rows: Any) -> Candidates:
        rows = np.asarray(rows, dtype=np.intp)
        return Candidates(strata[rows], ranks[rows], ids[rows], rows.astype(np.int64), None)

    bounds = sorted({0, len(items), *[min(c, len(items)) for c in cuts]})
    merged = candidates([]).smallest(sizes)
    for a, b in itertools.pairwise(bounds):
        merged = merged.merge(candidates(range(a, b)).smallest(sizes), sizes)
    in_order = sorted(range(len(items)), key=lambda i: (strata[i], ranks[i], ids[i]))
    taken = [0, 0, 0]
    want = []
    for i in in_order:
        if taken[strata[i]] < n[strata[i]]:
            want.append(i)
            taken[strata[i]] += 1
    assert sorted(merged.rows.tolist()) == sorted(want)


@pytest.mark.slow
def test_a_million_rows_in_small_row_groups(tmp_path: pathlib.Path) -> None:
    roster = synthetic_targets(1_000_000, seed=185)
    path = write_parquet(roster, tmp_path / "nation.parquet", 65_536)
    loaded = TargetRoster.from_parquet(path, extra=["risk_score"])
    for name in ("rates", "pps with take-all"):
        plan = PLANS[name]
        same(
            draw_parquet(path, plan, seed=SEED, drawn_at=WHEN, extra=["risk_score"]),
            draw(loaded, plan, seed=SEED, drawn_at=WHEN),
        )


@pytest.mark.slow
def test_verify_parquet_accepts_the_receipt_and_names_what_differs(
    parquet_county: tuple[TargetRoster, pathlib.Path], tmp_path: pathlib.Path
) -> None:
    roster, path = parquet_county
    plan = PLANS["pps"]
    d = draw(roster, plan, seed=SEED)
    assert verify_parquet(d.receipt, path, extra=["risk_score"]) is None
    other = write_parquet(roster.take(np.arange(1, len(roster))), tmp_path / "other.parquet", 5_000)
    with pytest.raises(VerificationError, match="roster changed") as info:
        verify_parquet(d.receipt, other, extra=["risk_score"])
    with pytest.raises(VerificationError) as whole:
        verify(d.receipt, roster.take(np.arange(1, len(roster))))
    assert set(info.value.differences) == set(whole.value.differences)
    # Against the commitment published before the seed: this uncommitted draw was not made
    # under it, and verify_parquet says so as verify does.
    published = commit_any(roster, plan)
    with pytest.raises(VerificationError, match="records no commitment"):
        verify_parquet(d.receipt, path, extra=["risk_score"], commitment=published)


def test_a_roster_whose_lines_all_fit_keeps_them_in_memory(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past the budget, but all of the roster's lines (estimated from the parts so far) fit in
    # SPILL_WHOLE: nothing is written, and the receipt is the in-memory draw's. A roster that
    # will not fit writes its lines as soon as the budget is passed.
    from randcheck.sampling import _chunked

    roster = synthetic_targets(6_000, seed=22)
    path = write_parquet(roster, tmp_path / "county.parquet", 500)
    loaded = TargetRoster.from_parquet(path, extra=["risk_score"])
    write = _chunked.DigestSpill._write
    writes: list[None] = []
    monkeypatch.setattr(_chunked.DigestSpill, "_write", lambda self: writes.append(write(self)))
    monkeypatch.setattr(_chunked, "SPILL_BUDGET", 100_000)
    for whole, written in ((10**9, False), (10_000, True)):
        writes.clear()
        monkeypatch.setattr(_chunked, "SPILL_WHOLE", whole)
        by_parts = draw_parquet(
            path, PLANS["rates"], seed=SEED, drawn_at=WHEN, extra=["risk_score"]
        )
        same(by_parts, draw(loaded, PLANS["rates"], seed=SEED, drawn_at=WHEN))
        assert bool(writes) is written


@pytest.mark.parametrize("budget", [0, 300_000])
def test_the_receipt_is_the_same_whatever_is_kept_in_memory(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, budget: int
) -> None:
    # 0: every part's fingerprint lines and the columns the later passes read written to
    # disk; 300,000 bytes (50,000 of columns): some kept in memory, then written. The
    # roster's file is read once.
    from randcheck.sampling import _chunked

    monkeypatch.setattr(_chunked, "SPILL_BUDGET", budget)
    monkeypatch.setattr(_chunked, "SPILL_WHOLE", budget)
    monkeypatch.setattr(_chunked, "HOLD_BUDGET", budget // 6)
    writes = []
    write = _chunked.DigestSpill._write
    monkeypatch.setattr(_chunked.DigestSpill, "_write", lambda self: writes.append(write(self)))
    reads = []
    parts = _chunked.parquet_parts
    monkeypatch.setattr(_chunked, "parquet_parts", lambda *a: reads.append(a) or parts(*a))
    held_in_files = []
    held_parts = _chunked.HeldParts.__iter__

    def held(self: Any) -> Any:
        held_in_files.append(self.file is not None)
        return held_parts(self)

    monkeypatch.setattr(_chunked.HeldParts, "__iter__", held)
    roster = synthetic_targets(6_000, seed=21)
    path = write_parquet(roster, tmp_path / "county.parquet", 500)
    spill = tmp_path / "spill"
    spill.mkdir()
    loaded = TargetRoster.from_parquet(path, extra=["risk_score"])
    for name in ("rates", "pps with take-all"):
        same(
            draw_parquet(
                path, PLANS[name], seed=SEED, drawn_at=WHEN, extra=["risk_score"], spill_dir=spill
            ),
            draw(loaded, PLANS[name], seed=SEED, drawn_at=WHEN),
        )
    # 12 row groups a draw: written after each, or after several (lines and keys kept)
    assert len(writes) == 24 if budget == 0 else 0 < len(writes) < 24
    assert len(reads) == 2  # once a draw
    assert held_in_files == [True] * 3  # rates: the candidates; πps: top scores, candidates
    assert list(spill.iterdir()) == []  # nothing left behind


def test_held_columns_in_a_plain_file_give_the_roster_read_with_those_columns(
    tmp_path: pathlib.Path,
) -> None:
    # What the later passes on Dask read instead of the Parquet row group: the roster that
    # from_parquet_group(columns=...) gives, from a file np.load reads without pickle.
    from randcheck.roster import tables

    roster = synthetic_targets(500, seed=8)
    path = write_parquet(roster, tmp_path / "part.parquet", 500)
    columns = {"credit_code", "risk_class", "status", "industry", "tags", "last_inspected"}
    options = {"legacy_codes": False, "unknown_columns": "error", "extra": ["risk_score"]}
    read = TargetRoster.from_parquet_group(path, 0, 1, None, {**options, "columns": columns})
    full = TargetRoster.from_parquet_group(path, 0, 1, None, options)
    assert tables.save_columns(tables.pack_columns(full, columns), tmp_path / "held.npz")
    held = tables.load_columns(tmp_path / "held.npz")
    assert held.digest() == read.digest()
    assert held.extra_columns == read.extra_columns == ()
    with_scores = tables.pack_columns(full, columns | {"risk_score"})
    assert tables.save_columns(with_scores, tmp_path / "scores.npz")
    assert (
        tables.load_columns(tmp_path / "scores.npz").digest()
        == TargetRoster.from_parquet_group(
            path, 0, 1, None, {**options, "columns": columns | {"risk_score"}}
        ).digest()
    )


def test_held_columns_with_free_text_are_not_written(tmp_path: pathlib.Path) -> None:
    from randcheck.roster import tables

    roster = synthetic_targets(50, seed=8)
    assert not tables.save_columns(tables.pack_columns(roster, {"name"}), tmp_path / "x.npz")
    assert list(tmp_path.iterdir()) == []
