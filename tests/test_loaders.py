"""Item lists and conflict lists from files."""

from __future__ import annotations

import io
import pathlib

import pytest

import randcheck
from randcheck.loaders import load_conflicts, load_items


def test_the_bundled_item_list_loads_as_the_example_county_items() -> None:
    path = pathlib.Path(randcheck.__file__).parent / "data" / "example_county" / "items.toml"
    assert load_items(path) == randcheck.example_county().items


def test_a_csv_item_list_with_chinese_headers_and_percentages() -> None:
    text = (
        "事项编码,事项名称,部门,事项类别,适用行业,所需专长,抽查比例\n"
        "SW-04,典当行检查,商务局,重点,典当,典当;财务审计,100%\n"
    )
    (item,) = load_items(io.BytesIO(text.encode("utf-8")))
    assert item.rate == 1.0
    assert item.kind is randcheck.models.ItemKind.KEY
    assert item.skills == frozenset({"典当", "财务审计"})


def test_duplicate_item_codes_are_refused_with_the_row() -> None:
    text = "code,name,department\nA,x,商务局\nA,y,商务局\n"
    with pytest.raises(randcheck.RosterError, match=r"row 3, column 'code', value 'A': duplicate"):
        load_items(io.BytesIO(text.encode()))


def test_a_bad_rate_names_the_row_and_value() -> None:
    text = "code,name,department,rate\nA,x,商务局,lots\n"
    with pytest.raises(randcheck.RosterError, match=r"row 2, column 'rate', value 'lots'"):
        load_items(io.BytesIO(text.encode()))


def test_a_toml_file_without_item_tables_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "items.toml"
    path.write_text('title = "no items"\n', encoding="utf-8")
    with pytest.raises(randcheck.RosterError, match=r"needs a list of \[\[item\]\] tables"):
        load_items(path)


def test_conflicts_load_with_chinese_headers() -> None:
    text = "执法证号,统一社会信用代码,回避事由\nA001,91350100M000100Y43,亲属关系\n"
    assert load_conflicts(io.BytesIO(text.encode())) == (
        randcheck.models.Conflict("A001", "91350100M000100Y43", "亲属关系"),
    )


def test_conflicts_need_the_officer_and_the_target_columns() -> None:
    with pytest.raises(randcheck.RosterError, match="required column missing: credit_code"):
        load_conflicts(io.BytesIO(b"officer_id,reason\nA,x\n"))


def test_a_missing_file_is_a_roster_error(tmp_path: pathlib.Path) -> None:
    with pytest.raises(randcheck.RosterError, match="cannot open the file"):
        load_items(tmp_path / "none.csv")
