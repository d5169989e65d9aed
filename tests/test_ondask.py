"""Draws on a Dask cluster (draw_dask): the same receipt as in memory and out of core."""

from __future__ import annotations

import datetime as dt
import pathlib
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from randcheck import (
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
from randcheck.sampling import draw_dask, verify_dask

from ._helpers import commit_any, credit_codes, write_parquet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
distributed = pytest.importorskip("distributed")

WHEN = dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SEED = "2026-12-03 05 11 19 23 28 30 + 07"
PLANS = {
    "rates": SamplingPlan(rates={"A": 0.01, "B": 0.03, "C": 0.1, "D": 1.0}),
    "industry strata, total": SamplingPlan(total=500, strata=("risk_class", "industry")),
    "pps with take-all": SamplingPlan(
        rates={"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.9}, within="pps", size_column="risk_score"
    ),
}


def test_no_cluster_is_a_plan_error(tmp_path: pathlib.Path) -> None:
    # First in this file: the module's cluster does not exist yet.
    with pytest.raises(PlanError, match="needs a Dask cluster"):
        draw_dask(tmp_path / "x.parquet", PLANS["rates"], seed=SEED, client=None)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    # Every test that takes this fixture is marked slow: the cluster (a scheduler and two worker
    # processes) costs about 10 s of CPU, more than the rest of a default run's largest file.
    # dashboard_address=":0": the scheduler's HTTP server takes a free port. With None it still
    # tries 8787 first and warns (an error here) when another cluster or a notebook holds it.
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[TargetRoster, list[pathlib.Path]]:
    """One roster in three Parquet files with row groups of uneven size."""
    roster = synthetic_targets(30_000, seed=44)
    folder = tmp_path_factory.mktemp("dask")
    paths = []
    for i, (a, b) in enumerate([(0, 9_000), (9_000, 21_500), (21_500, 30_000)]):
        path = folder / f"part-{i}.parquet"
        write_parquet(roster.take(np.arange(a, b)), path, 2_999)
        paths.append(path)
    whole = pa.concat_tables([pq.read_table(p) for p in paths])
    return TargetRoster.from_arrow(whole, extra=["risk_score"]), paths


@pytest.mark.parametrize("name", list(PLANS))
@pytest.mark.parametrize(
    ("hold", "spill"),
    [(True, False), (False, False), (False, True), (None, None)],
    ids=["held", "read again", "read again, lines in files", "default: this machine's folder"],
)
@pytest.mark.slow
def test_dask_receipt_is_the_in_memory_receipt(
    client: Any,
    province: tuple[TargetRoster, list[pathlib.Path]],
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    hold: bool | None,
    spill: bool | None,
) -> None:
    roster, paths = province
    plan = PLANS[name]
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the default folder goes
    on_dask = draw_dask(
        paths,
        plan,
        seed=SEED,
        drawn_at=WHEN,
        extra=["risk_score"],
        hold=hold,
        spill_dir=tmp_path if spill else spill,
    )
    in_memory = draw(roster, plan, seed=SEED, drawn_at=WHEN)
    assert on_dask.receipt.to_json() == in_memory.receipt.to_json()
    assert np.array_equal(on_dask.rows, in_memory.rows)
    assert on_dask.inclusion_probabilities.tobytes() == in_memory.inclusion_probabilities.tobytes()
    assert list(tmp_path.iterdir()) == []  # the lines' files are removed


@pytest.mark.slow
def test_the_lines_go_through_this_machines_folder_when_every_worker_sees_it(
    client: Any, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module's cluster runs its workers on this machine: they read the folder's token, so
    # the lines go through files there (no worker-to-worker transfer of lines). A worker that
    # reads another token (another machine's folder of the same name) means no folder.
    import contextlib

    from randcheck.sampling import ondask

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with contextlib.ExitStack() as stack:
        folder = ondask._local_folder(client, stack)
        assert folder is not None
        assert pathlib.Path(folder).parent == tmp_path
    assert list(tmp_path.iterdir()) == []  # removed with the draw
    assert client.run(ondask._reads_token, str(tmp_path / "none"), "x") == dict.fromkeys(
        client.scheduler_info()["workers"], False
    )
    seen = iter([True, False])
    monkeypatch.setattr(client, "run", lambda *a: {"w1": next(seen), "w2": next(seen)})
    with contextlib.ExitStack() as stack:
        assert ondask._local_folder(client, stack) is None
    with pytest.raises(TypeError, match="spill_dir"):
        draw_dask(tmp_path / "x.parquet", PLANS["rates"], seed=SEED, spill_dir=True)


@pytest.mark.slow
def test_duplicate_id_with_lines_in_files_names_its_rows(
    client: Any, tmp_path: pathlib.Path
) -> None:
    codes = credit_codes(13)
    codes[12] = codes[4]
    path = write_parquet(
        {"credit_code": codes.astype(str), "risk_class": ["A", "B", "C"] * 4 + ["D"]},
        tmp_path / "twice.parquet",
        6,
    )
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(RosterError, match=r"duplicate id: it is in rows 5, 13") as info:
        draw_dask(path, PLANS["rates"], seed=SEED, spill_dir=spill)
    assert info.value.value == codes[4].decode()
    assert list(spill.iterdir()) == []


@pytest.mark.slow
def test_dask_equals_out_of_core_on_one_file(client: Any, tmp_path: pathlib.Path) -> None:
    roster = synthetic_targets(5_000, seed=9)
    path = tmp_path / "one.parquet"
    write_parquet(roster, path, 700)
    plan = PLANS["rates"]
    c = commit_any(roster, plan)
    kwargs: dict[str, Any] = {
        "seed": "7",
        "commitment": c,
        "drawn_at": WHEN,
        "extra": ["risk_score"],
    }
    assert (
        draw_dask(path, plan, **kwargs).receipt.to_json()
        == draw_parquet(path, plan, **kwargs).receipt.to_json()
    )


@pytest.mark.slow
def test_strata_short_of_candidates_are_drawn_again_without_a_cut(
    client: Any, province: tuple[TargetRoster, list[pathlib.Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    roster, paths = province
    import randcheck.sampling.ondask

    monkeypatch.setattr(
        randcheck.sampling.ondask, "_generous_cut", lambda frame: np.zeros(len(frame.sizes))
    )
    plan = PLANS["rates"]
    on_dask = draw_dask(paths, plan, seed=SEED, drawn_at=WHEN, extra=["risk_score"])
    assert (
        on_dask.receipt.to_json() == draw(roster, plan, seed=SEED, drawn_at=WHEN).receipt.to_json()
    )


@pytest.mark.slow
def test_duplicate_id_in_two_files_names_its_rows(client: Any, tmp_path: pathlib.Path) -> None:
    codes = credit_codes(8).astype(str)
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_parquet({"credit_code": codes[:5], "risk_class": ["A"] * 5}, first)
    write_parquet({"credit_code": [*codes[5:], codes[1]], "risk_class": ["A"] * 4}, second)
    with pytest.raises(
        RosterError, match=r"duplicate id: it is in a.parquet row 2, b.parquet row 4"
    ) as info:
        draw_dask([first, second], SamplingPlan(rates={"A": 0.5}), seed=SEED)
    assert (info.value.value, info.value.row, info.value.source) == (codes[1], 4, str(second))


@pytest.mark.slow
def test_bad_row_on_a_worker_is_raised_with_its_file_row(
    client: Any, tmp_path: pathlib.Path
) -> None:
    cols = {"credit_code": credit_codes(10).astype(str), "risk_class": ["A"] * 10}
    cols["risk_class"][6] = "Q"
    path = tmp_path / "bad.parquet"
    write_parquet(cols, path, 4)
    with pytest.raises(RosterError) as info:
        draw_dask(path, SamplingPlan(rates={"A": 0.5}), seed=SEED)
    assert (info.value.row, info.value.value) == (7, "Q")


@pytest.mark.slow
def test_progress_callback_counts_tasks(
    client: Any, province: tuple[TargetRoster, list[pathlib.Path]]
) -> None:
    _, paths = province
    seen: list[tuple[int, int]] = []
    draw_dask(
        paths,
        PLANS["rates"],
        seed=SEED,
        extra=["risk_score"],
        progress=lambda done, total: seen.append((done, total)),
    )
    groups = sum(pq.ParquetFile(p).metadata.num_row_groups for p in paths)
    assert seen[-1] == (2 * groups, 2 * groups)


@pytest.mark.slow
def test_simulation_on_dask_draws_the_planned_sizes(
    client: Any, province: tuple[TargetRoster, list[pathlib.Path]]
) -> None:
    roster, paths = province
    plan = PLANS["industry strata, total"]
    sim = draw_dask(paths, plan, rng=3, extra=["risk_score"])
    assert not sim.verifiable
    assert len(sim) == 500
    assert np.array_equal(roster.credit_code[sim.rows], sim.ids)
    again = draw_dask(paths, plan, rng=3, extra=["risk_score"])
    assert np.array_equal(sim.ids, again.ids)


def test_import_randcheck_does_not_import_dask() -> None:
    code = (
        "import sys, randcheck; "
        "print(any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_verify_dask_accepts_the_receipt_and_refuses_a_forged_sample(
    client: Any, province: tuple[TargetRoster, list[pathlib.Path]], tmp_path: pathlib.Path
) -> None:
    roster, paths = province
    d = draw(roster, PLANS["rates"], seed=SEED)
    assert verify_dask(d.receipt, paths, extra=["risk_score"]) is None
    assert verify_dask(d.receipt, paths, extra=["risk_score"], spill_dir=tmp_path) is None
    forged = d.receipt.to_dict()
    forged["sample_ids"] = [*forged["sample_ids"][1:], roster.credit_code[0].decode()]
    with pytest.raises(VerificationError, match="sample") as info:
        verify_dask(forged, paths, extra=["risk_score"], spill_dir=tmp_path)
    with pytest.raises(VerificationError) as whole:
        verify(forged, roster)
    assert info.value.differences == whole.value.differences


# ---------------------------------------------------------------------------- dataframe input
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")


def _pandas(roster: TargetRoster) -> Any:
    cols = roster.to_columns()
    return pd.DataFrame({k: v.astype(str) if v.dtype.kind == "S" else v for k, v in cols.items()})


@pytest.fixture(scope="module")
def province_frame(
    province: tuple[TargetRoster, list[pathlib.Path]],
) -> tuple[TargetRoster, Any]:
    """The province's roster as a dask dataframe of four partitions (renamed id column)."""
    roster, _ = province
    frame = _pandas(roster).rename(columns={"credit_code": "统一社会信用代码"})
    return roster, dd.from_pandas(frame, npartitions=4, sort=False)


@pytest.mark.parametrize("name", list(PLANS))
@pytest.mark.parametrize("hold", [True, False])
@pytest.mark.slow
def test_dask_dataframe_receipt_is_the_in_memory_receipt(
    client: Any, province_frame: tuple[TargetRoster, Any], name: str, hold: bool
) -> None:
    roster, frame = province_frame
    plan = PLANS[name]
    on_dask = draw_dask(
        frame,
        plan,
        seed=SEED,
        drawn_at=WHEN,
        mapping={"统一社会信用代码": "credit_code"},
        extra=["risk_score"],
        hold=hold,
    )
    in_memory = draw(roster, plan, seed=SEED, drawn_at=WHEN)
    assert on_dask.receipt.to_json() == in_memory.receipt.to_json()
    assert np.array_equal(on_dask.rows, in_memory.rows)


@pytest.mark.slow
def test_dask_dataframe_equals_from_dataframe_of_its_rows(client: Any) -> None:
    # Categorical columns, as pandas users hold labels, give the in-memory loader's roster.
    frame = _pandas(synthetic_targets(4_000, seed=8))
    for column in ("risk_class", "industry", "area"):
        frame[column] = frame[column].astype("category")
    lazy = dd.from_pandas(frame, npartitions=3, sort=False)
    plan = PLANS["industry strata, total"]
    in_memory = draw(
        TargetRoster.from_dataframe(frame, extra=["risk_score"]), plan, seed="9", drawn_at=WHEN
    )
    on_dask = draw_dask(lazy, plan, seed="9", drawn_at=WHEN, extra=["risk_score"])
    assert on_dask.receipt.to_json() == in_memory.receipt.to_json()


@pytest.mark.slow
def test_bad_row_in_a_dataframe_partition_names_its_row_in_the_frame(client: Any) -> None:
    frame = pd.DataFrame({"credit_code": credit_codes(12).astype(str), "risk_class": ["A"] * 12})
    frame.loc[9, "risk_class"] = "Q"
    lazy = dd.from_pandas(frame, npartitions=3, sort=False)
    with pytest.raises(RosterError) as info:
        draw_dask(lazy, SamplingPlan(rates={"A": 0.5}), seed=SEED)
    with pytest.raises(RosterError) as whole:
        TargetRoster.from_dataframe(frame)
    assert str(info.value) == str(whole.value)
    assert str(info.value).startswith(
        "DataFrame, row 10, column 'risk_class', value 'Q': unknown risk class"
    )
    assert frame.loc[9, "risk_class"] == "Q"  # the caller's frame is unchanged


@pytest.mark.slow
def test_duplicate_id_in_two_partitions_names_its_rows(client: Any) -> None:
    codes = credit_codes(9).astype(str)
    codes[7] = codes[1]
    frame = pd.DataFrame({"credit_code": codes, "risk_class": ["A"] * 9})
    lazy = dd.from_pandas(frame, npartitions=3, sort=False)
    with pytest.raises(RosterError, match=r"duplicate id: it is in rows 2, 8 \(in different") as e:
        draw_dask(lazy, SamplingPlan(rates={"A": 0.5}), seed=SEED)
    assert (e.value.row, e.value.value, e.value.source) == (8, codes[1], "DataFrame")


@pytest.mark.slow
def test_duplicate_id_in_one_part_is_the_loaders_error(client: Any, tmp_path: pathlib.Path) -> None:
    # Within a part, repeats are found on the fingerprint's order; the error is the loader's.
    codes = credit_codes(9).astype(str)
    codes[5] = codes[4]
    frame = pd.DataFrame({"credit_code": codes, "risk_class": ["A"] * 9})
    with pytest.raises(RosterError) as loading:
        TargetRoster.from_dataframe(frame)
    lazy = dd.from_pandas(frame, npartitions=3, sort=False)
    with pytest.raises(RosterError) as info:
        draw_dask(lazy, SamplingPlan(rates={"A": 0.5}), seed=SEED)
    assert str(info.value) == str(loading.value)
    assert (info.value.row, info.value.value) == (6, codes[4])
    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table(frame), path, row_group_size=3)
    with pytest.raises(RosterError) as loading:
        TargetRoster.from_parquet(path)
    with pytest.raises(RosterError) as info:
        draw_dask([path], SamplingPlan(rates={"A": 0.5}), seed=SEED)
    assert str(info.value) == str(loading.value)


@pytest.mark.slow
def test_verify_dask_accepts_a_dataframe(
    client: Any, province_frame: tuple[TargetRoster, Any]
) -> None:
    roster, frame = province_frame
    d = draw(roster, PLANS["rates"], seed=SEED)
    mapping = {"统一社会信用代码": "credit_code"}
    assert verify_dask(d.receipt, frame, mapping=mapping, extra=["risk_score"]) is None
    other = draw(roster.take(np.arange(1, len(roster))), PLANS["rates"], seed=SEED)
    with pytest.raises(VerificationError, match="roster changed"):
        verify_dask(other.receipt, frame, mapping=mapping, extra=["risk_score"])


@pytest.mark.slow
def test_a_roster_neither_paths_nor_a_dataframe_is_a_type_error(client: Any) -> None:
    with pytest.raises(TypeError, match=r"Parquet paths or a dask\.dataframe\.DataFrame, got int"):
        draw_dask(5, PLANS["rates"], seed=SEED)


# ---------------------------------------------------------------------------- policy simulation
@pytest.fixture(scope="module")
def policy_roster() -> TargetRoster:
    return synthetic_targets(20_000, seed=31)


POLICY_DESIGNS: dict[str, Any] = {
    "henan": {"A": 0.01, "B": 0.02, "C": 0.1, "D": 0.3},
    "industry": SamplingPlan(total=400, strata=("risk_class", "industry")),
    "two items": [
        SamplingPlan(overall_rate=0.02),
        SamplingPlan(rates={"A": 0.0, "B": 0.0, "C": 0.1, "D": 0.2}),
    ],
}
PREVALENCE = {"A": 0.02, "B": 0.05, "C": 0.15, "D": 0.3}


@pytest.mark.slow
def test_simulate_policy_on_dask_gives_the_in_memory_figures(
    client: Any, policy_roster: TargetRoster
) -> None:
    from randcheck.policy import simulate_policy

    here = simulate_policy(policy_roster, POLICY_DESIGNS, PREVALENCE, years=13, rng=2027)
    there = simulate_policy(
        policy_roster, POLICY_DESIGNS, PREVALENCE, years=13, rng=2027, client=client
    )
    mine, theirs = here.to_columns(), there.to_columns()
    assert mine.keys() == theirs.keys()
    for key in mine:
        assert np.array_equal(mine[key], theirs[key]), key
    assert here.by_class() == there.by_class()
    assert here.summary() == there.summary()
    # Different years differ (the batches do not repeat one stream).
    assert len(set(here.values["henan"]["findings"].tolist())) > 3


@pytest.mark.slow
def test_simulate_policy_on_dask_reports_years_done(
    client: Any, policy_roster: TargetRoster
) -> None:
    from randcheck.policy import simulate_policy

    seen: list[tuple[int, int]] = []
    simulate_policy(
        policy_roster,
        {"henan": POLICY_DESIGNS["henan"]},
        PREVALENCE,
        years=9,
        rng=1,
        client=client,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (9, 9)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


@pytest.mark.slow
def test_simulate_policy_on_dask_back_to_back_on_one_roster(
    client: Any, policy_roster: TargetRoster
) -> None:
    # A notebook re-runs a cell: each call's copy of the roster on the workers is its own, so
    # the previous call's release cannot take the next call's data ("lost dependencies").
    from randcheck.policy import simulate_policy

    runs = [
        simulate_policy(
            policy_roster,
            {"henan": POLICY_DESIGNS["henan"]},
            PREVALENCE,
            years=4,
            rng=7,
            client=client,
        )
        .values["henan"]["findings"]
        .tolist()
        for _ in range(6)
    ]
    assert all(r == runs[0] for r in runs)


def test_a_census_task_with_a_folder_leaves_the_later_passes_columns_there(
    tmp_path: pathlib.Path,
) -> None:
    # In this process: what a worker's census task returns with spill_dir and without hold.
    from randcheck.sampling import _chunked, ondask

    roster = synthetic_targets(400, seed=12)
    path = write_parquet(roster, tmp_path / "part.parquet", 400)
    (part,) = ondask._parts([str(path)])
    options = _chunked.read_options(False, "error", ["risk_score"])
    plan = PLANS["pps with take-all"]
    _, (lines, _, _), rows = ondask._census_task(
        None, part, None, options, plan, False, str(tmp_path)
    )
    assert isinstance(rows, str)
    assert pathlib.Path(rows).parent == pathlib.Path(lines).parent == tmp_path
    again = {**options, "columns": _chunked.needed_columns(plan)}
    assert (
        ondask._load(rows, part, None, again).digest()
        == ondask._load(None, part, None, again).digest()
    )
