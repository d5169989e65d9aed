"""Models: risk classes, targets, officers, items and conflicts parse and check their values."""

from __future__ import annotations

import datetime as dt
import importlib

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from randcheck import INACTIVE_STATUSES, Conflict, Item, ItemKind, Officer, RiskClass, Target
from strategies import risk_labels, valid_credit_codes

CODE = "91350100M000100Y43"


# --- RiskClass ------------------------------------------------------------------------------
@given(risk_labels())
def test_risk_class_parses_every_accepted_spelling(label_and_class: tuple[str, RiskClass]) -> None:
    label, expected = label_and_class
    assert RiskClass.parse(label) is expected


@pytest.mark.parametrize("rc", list(RiskClass))
def test_risk_class_parses_its_own_letter_label_and_self(rc: RiskClass) -> None:
    assert RiskClass.parse(rc.value) is RiskClass.parse(rc.label_zh) is RiskClass.parse(rc) is rc


@pytest.mark.parametrize("bad", ["F", "", "AB", "信用风险", "中", None, 1])
def test_risk_class_rejects_unknown_labels_and_lists_what_is_accepted(bad: object) -> None:
    with pytest.raises(ValueError, match=rf"unknown risk class {bad!r}: use A, B, C, D or E"):
        RiskClass.parse(bad)


@given(st.text(max_size=6))
def test_risk_class_parse_returns_a_class_or_raises_value_error(text: str) -> None:
    try:
        parsed: object = RiskClass.parse(text)
    except ValueError as exc:
        parsed = str(exc)
    assert isinstance(parsed, RiskClass) or parsed.startswith("unknown risk class")


def test_risk_classes_are_ordered_from_low_to_high_risk() -> None:
    assert sorted([RiskClass.D, RiskClass.A, RiskClass.E, RiskClass.C, RiskClass.B]) == list(
        RiskClass
    )


def test_risk_class_index_is_its_position() -> None:
    assert [rc.index for rc in RiskClass] == [0, 1, 2, 3, 4]


def test_risk_class_chinese_labels() -> None:
    assert [rc.label_zh for rc in RiskClass][:4] == [
        "信用风险低",
        "信用风险一般",
        "信用风险较高",
        "信用风险高",
    ]


def test_risk_class_does_not_compare_with_strings() -> None:
    with pytest.raises(TypeError):
        _ = RiskClass.A < "B"  # type: ignore[operator]


# --- ItemKind --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("一般", ItemKind.GENERAL),
        ("一般检查事项", ItemKind.GENERAL),
        ("general", ItemKind.GENERAL),
        ("重点", ItemKind.KEY),
        ("重点检查事项", ItemKind.KEY),
        (" KEY ", ItemKind.KEY),
        (ItemKind.KEY, ItemKind.KEY),
    ],
)
def test_item_kind_parses_chinese_and_english(text: object, kind: ItemKind) -> None:
    assert ItemKind.parse(text) is kind


def test_item_kind_rejects_other_text() -> None:
    with pytest.raises(ValueError, match="unknown item kind '特殊': use 一般 or 重点"):
        ItemKind.parse("特殊")


# --- Target ----------------------------------------------------------------------------------
def test_target_defaults() -> None:
    t = Target(CODE, "甲公司", "A")
    assert (
        t.industry,
        t.area,
        t.tags,
        t.status,
        t.abnormal,
        t.complaints,
        t.last_inspected,
        dict(t.attributes),
    ) == ("", "", frozenset(), "存续", False, 0, None, {})


@given(valid_credit_codes(), risk_labels())
def test_target_converts_code_and_risk_class(code: str, label: tuple[str, RiskClass]) -> None:
    t = Target(f"  {code} ", "甲", label[0])
    assert (t.credit_code, t.risk_class) == (code, label[1])


def test_target_splits_tags_on_ascii_and_full_width_semicolons() -> None:
    assert Target(CODE, "甲", "A", tags="连锁; 重点；;").tags == frozenset({"连锁", "重点"})


def test_target_takes_tags_from_an_iterable() -> None:
    assert Target(CODE, "甲", "A", tags=["连锁", "重点"]).tags == frozenset({"连锁", "重点"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-05-06", dt.date(2023, 5, 6)),
        ("2023/5/6", dt.date(2023, 5, 6)),
        ("2023.05.06", dt.date(2023, 5, 6)),
        (dt.date(2023, 5, 6), dt.date(2023, 5, 6)),
        (dt.datetime(2023, 5, 6, 23, 0), dt.date(2023, 5, 6)),
        ("", None),
        (None, None),
    ],
)
def test_target_reads_last_inspected_dates(value: object, expected: dt.date | None) -> None:
    assert Target(CODE, "甲", "A", last_inspected=value).last_inspected == expected


def test_target_takes_an_aware_datetime_as_china_standard_time() -> None:
    utc_evening = dt.datetime(2023, 5, 6, 20, 0, tzinfo=dt.UTC)  # 04:00 next day in Beijing
    assert Target(CODE, "甲", "A", last_inspected=utc_evening).last_inspected == dt.date(2023, 5, 7)


def test_target_reads_an_iso_datetime_string_with_offset_in_china_time() -> None:
    t = Target(CODE, "甲", "A", last_inspected="2023-05-06T20:00:00+00:00")
    assert t.last_inspected == dt.date(2023, 5, 7)


@pytest.mark.parametrize("bad", ["2023-13-01", "2023/02/30", "06/05/2023", "yesterday", 20230506])
def test_target_rejects_a_malformed_date_and_shows_it(bad: object) -> None:
    with pytest.raises(ValueError, match=rf"last_inspected: value {bad!r}.* is not a date"):
        Target(CODE, "甲", "A", last_inspected=bad)


@pytest.mark.parametrize("code", ["", "   "])
def test_target_rejects_an_empty_credit_code(code: str) -> None:
    with pytest.raises(ValueError, match="credit_code must not be empty"):
        Target(code, "甲", "A")


def test_target_keeps_a_legacy_credit_code() -> None:
    assert Target("91350100M000100Y44", "甲", "A").credit_code == "91350100M000100Y44"


def test_target_rejects_an_unknown_risk_class() -> None:
    with pytest.raises(ValueError, match="unknown risk class 'F'"):
        Target(CODE, "甲", "F")


def test_target_rejects_negative_complaints() -> None:
    with pytest.raises(ValueError, match="complaints must be ≥ 0, got -1"):
        Target(CODE, "甲", "A", complaints=-1)


def test_target_converts_complaints_to_int() -> None:
    assert Target(CODE, "甲", "A", complaints="3").complaints == 3


@pytest.mark.parametrize("status", sorted(INACTIVE_STATUSES))
def test_target_with_an_inactive_status_is_not_active(status: str) -> None:
    assert not Target(CODE, "甲", "A", status=status).active


def test_target_in_business_is_active() -> None:
    assert Target(CODE, "甲", "A", status="在业").active


def test_target_is_frozen() -> None:
    t = Target(CODE, "甲", "A")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        t.name = "乙"  # type: ignore[misc]


def test_target_attributes_are_a_read_only_copy() -> None:
    mine = {"risk_score": 0.7}
    t = Target(CODE, "甲", "A", attributes=mine)
    mine["risk_score"] = 0.1
    assert t.attributes["risk_score"] == 0.7
    with pytest.raises(TypeError):
        t.attributes["risk_score"] = 1.0  # type: ignore[index]


def test_equal_targets_are_equal() -> None:
    assert Target(CODE, "甲", "A", tags="x;y") == Target(CODE, "甲", RiskClass.A, tags=["y", "x"])


# --- Officer ---------------------------------------------------------------------------------
def test_officer_defaults() -> None:
    o = Officer("A001")
    assert (o.name, o.unit, o.skills, o.expert, o.active, o.load_cap) == (
        "",
        "",
        frozenset(),
        False,
        True,
        None,
    )


def test_officer_splits_skills() -> None:
    assert Officer("A001", skills="成品油;典当").skills == frozenset({"成品油", "典当"})


def test_officer_rejects_an_empty_id() -> None:
    with pytest.raises(ValueError, match="officer_id must not be empty"):
        Officer(" ")


def test_officer_rejects_a_negative_load_cap() -> None:
    with pytest.raises(
        ValueError, match=r"load_cap must be a whole number ≥ 0 or None \(no cap\), got -2"
    ):
        Officer("A001", load_cap=-2)


# --- Item ------------------------------------------------------------------------------------
def test_item_defaults() -> None:
    item = Item("SW-01")
    assert (item.kind, item.method, item.rate, item.industries) == (
        ItemKind.GENERAL,
        "实地",
        None,
        frozenset(),
    )


def test_item_converts_its_kind() -> None:
    assert Item("SW-01", kind="重点").kind is ItemKind.KEY


@pytest.mark.parametrize("rate", [-0.01, 1.01])
def test_item_rejects_a_rate_outside_0_1(rate: float) -> None:
    with pytest.raises(ValueError, match=rf"rate must be within \[0, 1\], got {rate}"):
        Item("SW-01", rate=rate)


def test_item_rejects_an_empty_code() -> None:
    with pytest.raises(ValueError, match="code must not be empty"):
        Item("")


def test_item_without_scope_applies_to_every_target() -> None:
    assert Item("SW-01").applies_to(Target(CODE, "甲", "A", industry="零售业"))


def test_item_applies_only_to_its_industries() -> None:
    item = Item("SW-02", industries={"成品油零售"})
    assert (
        item.applies_to(Target(CODE, "甲", "A", industry="成品油零售")),
        item.applies_to(Target(CODE, "甲", "A", industry="零售业")),
    ) == (True, False)


def test_item_with_tags_needs_one_of_them() -> None:
    item = Item("SW-03", tags="预付卡;连锁")
    assert (
        item.applies_to(Target(CODE, "甲", "A", tags="连锁")),
        item.applies_to(Target(CODE, "甲", "A", tags="新设")),
    ) == (True, False)


# --- Conflict --------------------------------------------------------------------------------
def test_conflict_strips_its_ids() -> None:
    c = Conflict(" A001 ", f" {CODE}\t", "亲属关系")
    assert (c.officer_id, c.credit_code, c.reason) == ("A001", CODE, "亲属关系")


def test_conflict_rejects_an_empty_target() -> None:
    with pytest.raises(ValueError, match="credit_code must not be empty"):
        Conflict("A001", "")


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("randcheck.visits", "Visit", "randcheck.models"),
        ("randcheck.deadlines", "due_dates", "randcheck.calendar.deadlines"),
        ("randcheck.deadlines", "STATUS_HEADER", "randcheck.calendar.deadlines"),
        ("randcheck.figures", "year_figures", "randcheck.results.figures"),
        ("randcheck.figures", "estimate_prevalence", "randcheck.results.estimates"),
        ("randcheck.revisits", "draw_revisits", "randcheck.results.revisits"),
    ],
)
def test_an_old_module_path_warns_and_gives_the_same_object(old: str, name: str, new: str) -> None:
    shim = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"{old} is deprecated: import {name} from "):
        value = getattr(shim, name)
    assert value is getattr(importlib.import_module(new), name)


@pytest.mark.parametrize("old", ["randcheck.visits", "randcheck.deadlines", "randcheck.figures"])
def test_an_old_module_path_has_no_other_names(old: str) -> None:
    with pytest.raises(AttributeError):
        importlib.import_module(old).no_such_name  # noqa: B018
