"""The randcheck-prn/2 recipe: keys, per-unit numbers (fast path == reference), seed errors."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _helpers import credit_codes
from randcheck import PlanError
from randcheck.randomness import (
    GeneratorSource,
    HashSource,
    child_key,
    key_at,
    keys,
    root_key,
    source_for,
    uniform_reference,
)
from strategies import valid_credit_codes

KEY = child_key(root_key("2023-1107"), "targets")


def test_root_key_is_sha256_of_recipe_nul_and_stripped_seed() -> None:
    expected = hashlib.sha256(b"randcheck-prn/2\x00" + "双色球 03 08".encode()).digest()
    assert root_key("  双色球 03 08\n") == expected


def test_child_key_is_sha256_of_key_nul_length_and_label() -> None:
    k = root_key("s")
    label = "item/SW-02 检查".encode()
    expected = hashlib.sha256(k + b"\x00" + len(label).to_bytes(4, "big") + label).digest()
    assert child_key(k, "item/SW-02 检查") == expected


def test_a_label_with_a_slash_is_one_label_never_two() -> None:
    """Defect 1: ("item/SW-02",) and ("item", "SW-02") are different keys, by every route."""
    root = HashSource.from_seed("2025-03-04")
    joined = root.child("item/SW-02")
    split = root.child("item").child("SW-02")
    assert joined.key != split.key
    assert key_at("2025-03-04", ["item/SW-02"]) == joined.key
    assert key_at("2025-03-04", ["item", "SW-02"]) == split.key == root.at(["item", "SW-02"]).key


def test_a_child_key_and_a_units_number_never_share_a_hash_input() -> None:
    """The byte after the key keeps keys and numbers apart: 0x00 for a child, 0x01 for a unit."""
    k = root_key("s")
    unit = hashlib.sha256(k + b"\x01" + b"units").digest()
    assert child_key(k, "units") != unit
    assert uniform_reference(k, "units") == (int.from_bytes(unit[:8], "big") >> 11) / 2**53


@pytest.mark.parametrize("path", ["units", b"units", ["units", ""], ["units", 3], None])
def test_a_key_path_must_be_a_list_of_non_empty_labels(path: object) -> None:
    with pytest.raises(PlanError, match="path"):
        key_at("s", path)  # type: ignore[arg-type]


def test_reference_number_is_top_53_bits_of_sha256_of_key_one_and_id() -> None:
    d = hashlib.sha256(KEY + b"\x01" + b"91350100M000100Y43").digest()
    assert (
        uniform_reference(KEY, "91350100M000100Y43") == (int.from_bytes(d[:8], "big") >> 11) / 2**53
    )


def test_fast_path_equals_reference_on_many_codes() -> None:
    ids = credit_codes(20_000)
    fast = HashSource(KEY).uniforms(ids)
    ref = [uniform_reference(KEY, i.decode()) for i in ids.tolist()]
    assert fast.tolist() == ref


@given(st.lists(valid_credit_codes(), min_size=1, max_size=30))
def test_fast_path_equals_reference_for_any_codes(codes: list[str]) -> None:
    as_bytes = np.array([c.encode() for c in codes], dtype="S18")
    assert HashSource(KEY).uniforms(as_bytes).tolist() == [uniform_reference(KEY, c) for c in codes]


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20))
def test_fast_path_equals_reference_for_text_ids(ids: list[str]) -> None:
    assert HashSource(KEY).uniforms(np.array(ids, dtype=object)).tolist() == [
        uniform_reference(KEY, i) for i in ids
    ]


def test_numbers_lie_in_the_unit_interval() -> None:
    u = HashSource(KEY).uniforms(credit_codes(5000))
    assert ((u >= 0.0) & (u < 1.0)).all()


def test_a_units_number_does_not_depend_on_the_other_units() -> None:
    ids = credit_codes(100)
    src = HashSource(KEY)
    assert src.uniforms(ids[::-1])[::-1].tolist() == src.uniforms(ids).tolist()
    assert src.uniforms(ids[10:20]).tolist() == src.uniforms(ids)[10:20].tolist()


def test_child_sources_follow_the_child_key_rule_and_record_their_path() -> None:
    src = HashSource.from_seed(" 2023-1107 ").child("targets").child("rounding")
    assert src.key == child_key(child_key(root_key("2023-1107"), "targets"), "rounding")
    assert src.describe() == {
        "recipe": "randcheck-prn/2",
        "seed": "2023-1107",
        "path": ["targets", "rounding"],
    }
    assert src.uniform("start") == uniform_reference(src.key, "start")


def test_sibling_children_differ() -> None:
    root = HashSource.from_seed("x")
    assert root.child("a").key != root.child("b").key


@pytest.mark.parametrize("seed", ["", "   ", "\n\t"])
def test_an_empty_seed_is_refused(seed: str) -> None:
    with pytest.raises(PlanError, match="seed: the public seed is empty"):
        HashSource.from_seed(seed)


def test_a_seed_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(PlanError, match="got int; for a simulation pass rng="):
        HashSource.from_seed(20231107)  # type: ignore[arg-type]


def test_source_for_needs_exactly_one_of_seed_and_rng() -> None:
    with pytest.raises(PlanError, match="exactly one of seed="):
        source_for(None, None)
    with pytest.raises(PlanError, match="exactly one of seed="):
        source_for("s", 1)
    assert isinstance(source_for(None, 1), GeneratorSource)
    assert isinstance(source_for("s", None), HashSource)


def test_generator_source_is_reproducible_and_not_verifiable() -> None:
    a = source_for(None, 5).child("units").uniforms(np.zeros(4))
    b = source_for(None, 5).child("units").uniforms(np.zeros(4))
    assert a.tolist() == b.tolist()
    assert GeneratorSource(np.random.default_rng(0)).verifiable is False


def test_fast_path_equals_reference_for_ids_of_mixed_lengths_in_several_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The ids' messages are laid out a few rows at a time; shorter ids leave NUL padding.
    monkeypatch.setattr(keys, "_HASH_ROWS", 3)
    ids = ["a", "91350100M000100Y43", "", "é中文", "x" * 70, "b\x00c", "91130634MA07RWXK3G"]
    as_bytes = np.array([i.encode() for i in ids], dtype=np.bytes_)
    expected = [uniform_reference(KEY, i) for i in ids]
    assert HashSource(KEY).uniforms(as_bytes).tolist() == expected
    assert HashSource(KEY).uniforms(np.array(ids, dtype=object)).tolist() == expected
    assert HashSource(KEY).uniforms(np.array(["tail\x00"], dtype=object)).tolist() == [
        uniform_reference(KEY, "tail\x00")
    ]
    assert HashSource(KEY).uniforms(np.zeros(0, dtype="S18")).shape == (0,)
    assert HashSource(KEY).uniforms([]).shape == (0,)
