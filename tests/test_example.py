"""The bundled example county and the synthetic generators (randcheck.example)."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _helpers import binomial_tolerance
from randcheck import Item, ItemKind, OfficerRoster, TargetRoster, credit_code_mask
from randcheck.example import (
    ExampleCounty,
    example_county,
    iter_synthetic_target_chunks,
    synthetic_officers,
    synthetic_targets,
)

#: Pinned: a change to the bundled data must be deliberate and update these.
TARGETS_DIGEST = "sha256:2fb4101340294f030fb815232a1f2ffc30a793ccbae41851c9615c431bc89af6"
OFFICERS_DIGEST = "sha256:7fe0625df0c6aa262e3f2afa90e4d04bd015a6a83646cd4e4f291121d746c070"

UNITS = ("执法一中队", "执法二中队", "执法三中队", "执法四中队", "法治办")
#: Officers of the partner departments of the joint 报废机动车 task, two per department.
PARTNER_UNITS = ("治安管理大队", "生态环境执法大队", "市场监管综合执法队")
#: Officials named in the 2023 notice; the synthetic roster must not use their names.
REAL_NAMES = {"商志朴", "张学用", "刘国平", "刘献伟", "李勇", "李  勇", "冯会昌", "赵瑞航"}


# --------------------------------------------------------------------------- example county
def test_example_county_is_cached(county: ExampleCounty) -> None:
    assert example_county() is county


def test_example_county_cannot_be_changed_in_place(county: ExampleCounty) -> None:
    with pytest.raises(ValueError, match="read-only"):
        county.targets.risk_class[0] = 3
    with pytest.raises(ValueError, match="read-only"):
        county.targets.industry.codes[0] = 0


def test_example_county_data_is_pinned_by_digest(county: ExampleCounty) -> None:
    digests = (county.targets.digest(), county.officers.digest())
    assert digests == (TARGETS_DIGEST, OFFICERS_DIGEST)


def test_example_county_has_forty_thousand_targets_with_valid_codes(county: ExampleCounty) -> None:
    codes = county.targets.credit_code
    assert len(county.targets) == 40_000
    assert credit_code_mask(codes).all()
    assert np.unique(codes).size == codes.size
    assert set(np.strings.slice(codes, 2, 8).tolist()) == {b"130634"}


def test_example_county_targets_lie_in_its_townships(county: ExampleCounty) -> None:
    assert set(county.targets.area.labels().tolist()) == set(county.townships)
    assert all(code.startswith("130634") and len(code) == 9 for code in county.townships)


def test_example_county_risk_mix_is_mostly_a_and_b(county: ExampleCounty) -> None:
    n = len(county.targets)
    counts = county.targets.risk_counts()
    for letter, p in {"A": 0.55, "B": 0.35, "C": 0.07, "D": 0.03}.items():
        assert abs(counts[letter] / n - p) < binomial_tolerance(p, n)


def test_example_county_status_abnormal_and_complaints_are_rare(county: ExampleCounty) -> None:
    t = county.targets
    n = len(t)
    assert abs((~t.mask(active=True)).mean() - 0.03) < binomial_tolerance(0.03, n)
    assert 0.01 < t.abnormal.mean() < 0.03
    assert 0.005 < (t.complaints > 0).mean() < 0.03
    inspected = t.last_inspected[~np.isnat(t.last_inspected)]
    assert inspected.min() >= np.datetime64("2022-01-01")
    assert inspected.max() <= np.datetime64("2023-12-31")


def test_example_county_risk_score_is_higher_for_riskier_classes(county: ExampleCounty) -> None:
    score = county.targets.column("risk_score")
    assert isinstance(score, np.ndarray)
    assert (score > 0).all()
    medians = [np.median(score[county.targets.risk_class == k]) for k in range(4)]
    assert medians == sorted(medians)


def test_example_county_every_item_scope_matches_some_target(county: ExampleCounty) -> None:
    t = county.targets
    for item in county.items:
        in_scope = np.ones(len(t), dtype=bool)
        if item.industries:
            in_scope &= t.industry.mask(item.industries)
        if item.tags:
            in_scope &= t.tags.mask_any(item.tags)
        row = int(np.flatnonzero(in_scope)[0])
        assert item.applies_to(t[row]), item.code


def test_example_county_items_carry_the_published_ratios(county: ExampleCounty) -> None:
    by_code = {item.code: item for item in county.items}
    assert len(by_code) == len(county.items) == 19
    pawn = by_code["SW-04"]
    assert (pawn.kind, pawn.rate) == (ItemKind.KEY, 1.0)
    assert by_code["SW-02"].skills == frozenset({"成品油"})
    published = {
        "SW-01": (0.05, 0.20),
        "SW-02": (0.20, 0.20),
        "SW-03": (0.20, 1.00),
        "SW-05": (0.05, 0.20),
        "SW-06": (0.20, 0.50),
        "SW-07": (0.30, 0.50),
        "SW-08": (0.50, 0.50),
    }
    for code, (low, high) in published.items():
        rate = by_code[code].rate
        assert rate is not None
        assert low <= rate <= high, code


def test_example_county_scrapyard_item_is_joint_with_three_departments(
    county: ExampleCounty,
) -> None:
    scope = frozenset({"报废机动车回收拆解"})
    joint = {item.department for item in county.items if item.industries == scope}
    assert joint == {"商务局", "公安局", "生态环境局", "市场监管局"}


def test_example_county_officers_are_in_the_five_units_and_the_expert_pool(
    county: ExampleCounty,
) -> None:
    o = county.officers
    units = o.unit.labels()
    assert set(units[~o.expert].tolist()) == set(UNITS) | set(PARTNER_UNITS)
    assert set(units[o.expert].tolist()) == {"专家库"}
    assert 1 <= int((~o.active).sum()) <= 2
    bureau = np.isin(units, UNITS)
    assert set(o.department.labels()[bureau].tolist()) == {"商务局"}
    assert set(o.department.labels()[np.isin(units, PARTNER_UNITS)].tolist()) == {
        "公安局",
        "生态环境局",
        "市场监管局",
    }


def test_example_county_officer_names_are_synthetic(county: ExampleCounty) -> None:
    assert not set(county.officers.name.tolist()) & REAL_NAMES


def test_example_county_unit_areas_partition_the_townships(county: ExampleCounty) -> None:
    squads = [county.unit_areas[u] for u in UNITS[:4]]
    assert sum(len(s) for s in squads) == len(county.townships)
    assert frozenset().union(*squads) == frozenset(county.townships)
    assert county.unit_areas["法治办"] == frozenset()
    assert county.area_units["130634100"] == "执法一中队"


def test_example_county_squad_officers_carry_their_unit_as_area(county: ExampleCounty) -> None:
    o = county.officers
    units, areas = o.unit.labels(), o.area.labels()
    squad = np.isin(units, UNITS[:4])
    assert (areas[squad] == units[squad]).all()
    assert set(areas[~squad].tolist()) == {""}


def test_example_county_item_skills_are_held_outside_each_squad(county: ExampleCounty) -> None:
    """Cross-area matching stays feasible: every needed skill is held in at least two squads."""
    o = county.officers
    units = o.unit.labels()
    for skill in frozenset().union(*(item.skills for item in county.items)):
        holders = o.skills.mask_any([skill]) & o.active
        assert len(set(units[holders].tolist()) & set(UNITS[:4])) >= 2, skill


def test_example_county_conflicts_refer_to_known_officers_and_targets(
    county: ExampleCounty,
) -> None:
    assert len(county.conflicts) == 30
    officer_rows = county.officers.row_of([c.officer_id for c in county.conflicts])
    target_rows = county.targets.row_of(np.array([c.credit_code for c in county.conflicts]))
    assert (officer_rows >= 0).all()
    assert (target_rows >= 0).all()
    reasons = {c.reason for c in county.conflicts}
    assert reasons <= {"亲属关系", "曾在该企业任职", "利害关系", "其他可能影响公正执法的关系"}
    assert len({(c.officer_id, c.credit_code) for c in county.conflicts}) == 30


def test_example_county_summary_names_counts_units_and_items(county: ExampleCounty) -> None:
    text = county.summary()
    assert "曲阳县商务局（示例）" in text
    assert "检查对象 targets: 40,000" in text
    assert "执法四中队 7" in text
    assert "SW-04 典当行检查 [商务局, 重点] rate 100%, 4 targets in scope" in text
    assert "fictitious" in text


@pytest.mark.slow
def test_example_county_script_regenerates_a_loadable_county(tmp_path: Path) -> None:
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "make_example_county.py"
    spec = importlib.util.spec_from_file_location("make_example_county", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    roster = TargetRoster.from_csv(_gunzip(tmp_path / "targets.csv.gz"), extra=["risk_score"])
    assert len(roster) == 40_000
    assert len(OfficerRoster.from_csv(tmp_path / "officers.csv")) == 48


def _gunzip(path: Path) -> Path:
    out = path.with_suffix("")
    out.write_bytes(gzip.decompress(path.read_bytes()))
    return out


# --------------------------------------------------------------------------- synthetic targets
@settings(max_examples=25, deadline=None)
@given(n=st.integers(0, 3000), chunk=st.integers(1, 4000), seed=st.integers(0, 2**32))
def test_synthetic_targets_size_codes_and_chunking(n: int, chunk: int, seed: int) -> None:
    whole = synthetic_targets(n, seed=seed)
    chunked = synthetic_targets(n, seed=seed, chunk_size=chunk)
    assert len(whole) == n
    assert credit_code_mask(whole.credit_code).all()
    assert np.unique(whole.credit_code).size == n
    assert whole.digest() == chunked.digest()


def test_synthetic_targets_is_deterministic_for_a_seed() -> None:
    assert synthetic_targets(5000, seed=3).digest() == synthetic_targets(5000, seed=3).digest()
    assert synthetic_targets(5000, seed=3).digest() != synthetic_targets(5000, seed=4).digest()


def test_synthetic_targets_first_rows_do_not_depend_on_n() -> None:
    small, large = synthetic_targets(100, seed=1), synthetic_targets(1000, seed=1)
    assert small.digest() == large.take(np.arange(100)).digest()


def test_synthetic_target_chunks_equal_the_roster() -> None:
    roster = synthetic_targets(2500, seed=5)
    chunks = list(iter_synthetic_target_chunks(2500, seed=5, chunk_size=700))
    assert [len(c["credit_code"]) for c in chunks] == [700, 700, 700, 400]
    rebuilt = TargetRoster.from_columns(
        {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}, extra=["risk_score"]
    )
    assert rebuilt.digest() == roster.digest()


def test_synthetic_targets_use_the_given_area_code() -> None:
    roster = synthetic_targets(500, area_code="110101", n_areas=3)
    assert set(np.strings.slice(roster.credit_code, 2, 8).tolist()) == {b"110101"}
    assert set(roster.area.categories) == {"110101100", "110101101", "110101102"}


@pytest.mark.slow
def test_synthetic_targets_mix_matches_the_documented_shares() -> None:
    n = 200_000
    roster = synthetic_targets(n, seed=11)
    counts = roster.risk_counts()
    for letter, p in {"A": 0.55, "B": 0.35, "C": 0.07, "D": 0.03}.items():
        assert abs(counts[letter] / n - p) < binomial_tolerance(p, n)
    inactive = (~roster.mask(active=True)).mean()
    assert abs(inactive - 0.03) < binomial_tolerance(0.03, n)
    assert abs((roster.complaints > 0).mean() - 0.015) < binomial_tolerance(0.015, n)
    assert abs(roster.tags.mask_any(["连锁"]).mean() - 0.05) < binomial_tolerance(0.05, n)
    assert roster.tags.mask_any(["重点监管"])[roster.risk_class == 3].all()
    weights = 1 / np.arange(1, 31)
    expected = weights / weights.sum()  # 行业01 biggest, then falling off as 1/rank
    share = np.bincount(roster.industry.codes, minlength=30) / n
    for p, got in zip(expected, share, strict=True):
        assert abs(got - p) < binomial_tolerance(float(p), n)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"n": -1}, "n must be a whole number"),
        ({"n": 10, "chunk_size": 0}, "chunk_size must be a whole number ≥ 1"),
        ({"n": 10, "area_code": "13063"}, "area_code must be 6 digits"),
        ({"n": 10, "n_industries": 0}, "n_industries must be from 1 to 99"),
    ],
)
def test_synthetic_targets_rejects_bad_arguments(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        synthetic_targets(**kwargs)  # type: ignore[arg-type]


def test_synthetic_targets_rejects_a_non_integer_seed() -> None:
    with pytest.raises(TypeError, match="seed must be an integer"):
        synthetic_targets(10, seed="x")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- synthetic officers
def test_synthetic_officers_units_areas_and_determinism() -> None:
    officers = synthetic_officers(300, seed=2, n_units=6, n_skills=4)
    assert len(officers) == 300
    assert np.unique(officers.officer_id).size == 300
    assert set(officers.unit.labels().tolist()) == {f"单位{k:02d}" for k in range(1, 7)}
    targets = synthetic_targets(1000, n_areas=6)
    assert set(officers.area.categories) == set(targets.area.categories)
    assert len(officers.skills.names) == 4
    assert synthetic_officers(300, seed=2, n_units=6, n_skills=4).digest() == officers.digest()


def test_synthetic_officers_build_a_usable_item_scope() -> None:
    roster = synthetic_targets(2000, seed=9)
    item = Item("X-01", "行业01检查", "商务局", industries={"行业01"})
    assert item.applies_to(roster[int(np.flatnonzero(roster.industry.mask(["行业01"]))[0])])
