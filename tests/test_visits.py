"""``Visit``: one trip to one target (进一次门、查多项事). Its converters put every list in one
order, so equal visits are equal however they were spelled, and bad values are refused by name."""

from __future__ import annotations

import json
import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from randcheck import PlanError
from randcheck.models import Visit

CODE = "91130634MA00000001"


def test_lists_are_sorted_and_deduplicated() -> None:
    v = Visit(
        CODE,
        items=["SW-02", "SW-01", "SW-02"],
        departments={"商务局", "公安局"},
        skills=("成品油", "典当", "成品油"),
    )
    assert v.items == ("SW-01", "SW-02")
    assert v.departments == tuple(sorted({"商务局", "公安局"}))
    assert v.skills == tuple(sorted({"成品油", "典当"}))


def test_a_string_is_a_semicolon_list_with_full_width_semicolons_and_spaces() -> None:
    v = Visit(CODE, items="SW-02; SW-01；SW-03 ;", departments="商务局", skills="")
    assert v.items == ("SW-01", "SW-02", "SW-03")
    assert v.departments == ("商务局",)
    assert v.skills == ()


def test_the_defaults() -> None:
    v = Visit(CODE, items=("SW-01",), departments=())
    assert (v.lead_department, v.skills, v.area, v.team_size) == ("", (), "", 2)


@given(
    st.lists(st.sampled_from(["SW-01", "SW-02", "GA-07", "HB-03"]), min_size=1),
    st.randoms(use_true_random=False),
)
def test_the_order_items_are_given_in_does_not_matter(items: list[str], rnd: random.Random) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a = Visit(CODE, items=items, departments=("商务局", "公安局"), lead_department="商务局")
    b = Visit(CODE, items=shuffled, departments=("公安局", "商务局"), lead_department="商务局")
    assert a == b
    assert hash(a) == hash(b)
    assert a.to_dict() == b.to_dict()


def test_to_dict_is_json_with_lists_in_order() -> None:
    v = Visit(
        CODE,
        items=("SW-02", "SW-01"),
        departments=("商务局",),
        lead_department="商务局",
        skills=("成品油",),
        area="130634100",
        team_size=3,
    )
    assert v.to_dict() == {
        "credit_code": CODE,
        "items": ["SW-01", "SW-02"],
        "departments": ["商务局"],
        "lead_department": "商务局",
        "skills": ["成品油"],
        "area": "130634100",
        "team_size": 3,
    }
    assert json.loads(json.dumps(v.to_dict(), ensure_ascii=False)) == v.to_dict()


def test_a_visit_is_frozen() -> None:
    v = Visit(CODE, items=("SW-01",), departments=())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        v.team_size = 3  # type: ignore[misc]


@pytest.mark.parametrize("size", [1, 0, -2, True, 2.0, "2", None])
def test_a_team_smaller_than_two_or_not_a_whole_number_is_refused(size: object) -> None:
    with pytest.raises(PlanError) as info:
        Visit(CODE, items=("SW-01",), departments=(), team_size=size)  # type: ignore[arg-type]
    assert str(info.value) == (
        f"Visit {CODE}: team_size must be a whole number ≥ 2 (行政处罚法 Art. 42), got {size!r}"
    )


def test_a_lead_department_not_taking_part_is_refused() -> None:
    with pytest.raises(PlanError) as info:
        Visit(CODE, items=("SW-01",), departments=("公安局", "商务局"), lead_department="税务局")
    assert str(info.value) == (
        f"Visit {CODE}: lead_department '税务局' is not among the departments "
        f"{tuple(sorted(('公安局', '商务局')))}"
    )


def test_a_lead_department_is_checked_against_the_sorted_departments() -> None:
    v = Visit(CODE, items=("SW-01",), departments="公安局;商务局", lead_department="商务局")
    assert v.lead_department in v.departments


def test_a_plan_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="team_size"):
        Visit(CODE, items=("SW-01",), departments=(), team_size=1)
