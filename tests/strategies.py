"""Shared hypothesis strategies for randcheck's tests.

Import them as ``from strategies import valid_credit_codes, target_columns`` (``conftest.py``
puts this directory on ``sys.path``).

- :func:`credit_code_bodies`, :func:`valid_credit_codes`, :func:`invalid_credit_codes`:
  统一社会信用代码, valid ones built with
  :func:`randcheck.roster.credit_code.credit_code_check_character`.
- :func:`risk_labels`: every spelling :meth:`randcheck.models.RiskClass.parse` accepts, with the
  class.
- :func:`target_columns`: a small target roster as a dict of plain Python column lists, ready
  for :meth:`randcheck.TargetRoster.from_columns`; ids are unique and valid.
- :func:`target_rosters`: the same, built into a :class:`randcheck.TargetRoster`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from randcheck import TargetRoster
from randcheck.models import RiskClass
from randcheck.roster.credit_code import CREDIT_CODE_ALPHABET, credit_code_check_character

__all__ = [
    "ALPHABET",
    "INDUSTRIES",
    "STATUSES",
    "TAG_NAMES",
    "credit_code_bodies",
    "invalid_credit_codes",
    "label_text",
    "risk_labels",
    "target_columns",
    "target_rosters",
    "valid_credit_codes",
]

#: The 31 symbols of GB 32100-2015, re-exported for readability in tests.
ALPHABET = CREDIT_CODE_ALPHABET
INDUSTRIES = ("零售业", "餐饮业", "成品油零售", "典当", "拍卖", "二手车")
STATUSES = ("存续", "在业", "注销", "吊销", "撤销", "迁出")
TAG_NAMES = ("连锁", "重点", "预付卡", "投诉多", "新设")


def credit_code_bodies() -> st.SearchStrategy[str]:
    """The first 17 characters of a code: symbols of the alphabet, digits in positions 3–8."""
    return st.builds(
        lambda head, area, rest: head + area + rest,
        st.text(alphabet=ALPHABET, min_size=2, max_size=2),
        st.text(alphabet="0123456789", min_size=6, max_size=6),
        st.text(alphabet=ALPHABET, min_size=9, max_size=9),
    )


def valid_credit_codes() -> st.SearchStrategy[str]:
    """A code with a correct check character."""
    return credit_code_bodies().map(lambda body: body + credit_code_check_character(body))


def invalid_credit_codes() -> st.SearchStrategy[str]:
    """An 18-character code from the alphabet whose check character is wrong (a legacy code)."""

    def wrong(body_and_shift: tuple[str, int]) -> str:
        body, shift = body_and_shift
        right = ALPHABET.index(credit_code_check_character(body))
        return body + ALPHABET[(right + shift) % 31]

    return st.tuples(credit_code_bodies(), st.integers(1, 30)).map(wrong)


_RISK_SPELLINGS: dict[RiskClass, tuple[str, ...]] = {
    RiskClass.A: ("A", "a", "A类", " A ", "信用风险低", "低", "低风险", "信用风险低类"),
    RiskClass.B: ("B", "b", "b类", "信用风险一般", "一般", "一般风险"),
    RiskClass.C: ("C", "c", "C类", "信用风险较高", "较高", "较高风险"),
    RiskClass.D: ("D", "d", "d类", "信用风险高", "高", "高风险"),
    RiskClass.E: ("E", "e", "E类", "信用风险E类"),
}


def risk_labels() -> st.SearchStrategy[tuple[str, RiskClass]]:
    """A spelling :meth:`RiskClass.parse` accepts, and the class it means."""
    return st.sampled_from(
        [(s, rc) for rc, spellings in _RISK_SPELLINGS.items() for s in spellings]
    )


def label_text() -> st.SearchStrategy[str]:
    """A label as a user might type it: Chinese, ASCII, digits, no control characters, stripped.

    Never contains tab, newline, carriage return, NUL, ``;``, ``,`` or ``"``.
    """
    chars = st.sampled_from("零售业餐饮成品油典当拍卖二手车abcXYZ0123456789-_()（）· ")
    return st.text(chars, min_size=1, max_size=8).map(str.strip).filter(bool)


@st.composite
def target_columns(draw: st.DrawFn, min_rows: int = 0, max_rows: int = 12) -> dict[str, Any]:
    """A small target roster as column lists (canonical names, every column given).

    Ids are unique valid credit codes; dates are ``datetime.date`` or ``None``; tags are
    ``;``-joined strings (``""`` for none).
    """
    codes = draw(st.lists(valid_credit_codes(), min_size=min_rows, max_size=max_rows, unique=True))
    n = len(codes)

    def column(strategy: st.SearchStrategy[Any]) -> list[Any]:
        return draw(st.lists(strategy, min_size=n, max_size=n))

    return {
        "credit_code": codes,
        "name": column(st.text(st.sampled_from("甲乙丙丁公司商贸 ,\"'abc"), max_size=6)),
        "risk_class": column(st.sampled_from("ABCDE")),
        "industry": column(st.sampled_from(INDUSTRIES)),
        "area": column(st.sampled_from(("130634", "130602", "130603", ""))),
        "status": column(st.sampled_from(STATUSES)),
        "tags": column(st.lists(st.sampled_from(TAG_NAMES), unique=True).map(";".join)),
        "abnormal": column(st.booleans()),
        "complaints": column(st.integers(0, 20)),
        "last_inspected": column(st.none() | st.dates(dt.date(2015, 1, 1), dt.date(2026, 12, 31))),
    }


def target_rosters(min_rows: int = 0, max_rows: int = 12) -> st.SearchStrategy[TargetRoster]:
    """A :class:`TargetRoster` built from :func:`target_columns`."""
    return target_columns(min_rows, max_rows).map(TargetRoster.from_columns)
