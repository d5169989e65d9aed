"""The platform vocabulary of inspection results, and the bit codes a result table stores it as.

:data:`RESULT_CATEGORIES` (检查结果, hierarchical: a sub-kind ``发现问题待后续处理/…`` implies its
parent), :data:`TOP_CATEGORIES`, :data:`FINDING_CATEGORIES`, :data:`METHODS` (核查方式),
:data:`FOLLOW_UPS` (后续处置), :data:`PUBLIC_FIELDS` (what is published) and
:data:`RESULT_HEADERS` (the Chinese headers a results file may use). The un-documented names here
(``CAT_BIT``, ``cat_bits``, ``split_cell``…) are the encodings the sibling modules share.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from randcheck._headers import RESULT_HEADERS

__all__ = [
    "FINDING_CATEGORIES",
    "FOLLOW_UPS",
    "METHODS",
    "NO_FOLLOW_UP",
    "PUBLIC_FIELDS",
    "RESULT_CATEGORIES",
    "RESULT_HEADERS",
    "TOP_CATEGORIES",
]


PENDING: Final = "发现问题待后续处理"


#: Result categories (检查结果) as on a provincial platform; a sub-kind is ``parent/sub``.
RESULT_CATEGORIES: Final[tuple[str, ...]] = (
    "未发现问题",
    PENDING,
    f"{PENDING}/未按规定公示应当公示的信息",
    f"{PENDING}/公示信息隐瞒真实情况、弄虚作假",
    f"{PENDING}/通过登记的住所（经营场所）无法联系",
    f"{PENDING}/违反其他相关规定",
    "发现问题经责令已改正",
    "未发现开展本次抽查涉及的经营活动",
    "已关闭停业或正在组织清算",
    "不配合检查情节严重",
    "注销",
    "被吊销",
    "被撤销",
    "迁出",
)


#: The top-level categories: exactly one per result.
TOP_CATEGORIES: Final[tuple[str, ...]] = tuple(c for c in RESULT_CATEGORIES if "/" not in c)


#: Categories that count as a finding (发现问题) by default.
FINDING_CATEGORIES: Final[tuple[str, ...]] = (PENDING, "发现问题经责令已改正", "不配合检查情节严重")


#: Inspection methods (核查方式); a result uses one or more.
METHODS: Final[tuple[str, ...]] = (
    "实地",
    "书面",
    "行政部门检查结果或专业意见",
    "检验检测",
    "网络监测",
    "委托专业机构辅助",
)


NO_FOLLOW_UP: Final = "无需后续处置"


#: Follow-up actions (后续处置); ``无需后续处置`` excludes the others.
FOLLOW_UPS: Final[tuple[str, ...]] = (
    NO_FOLLOW_UP,
    "反馈日常监管部门",
    "责令改正",
    "移送办案机构",
    "抄告相关部门",
    "移送司法机关",
    "其他",
)


#: Columns of a publication record: what the public sees. No officer's personal data.
PUBLIC_FIELDS: Final[tuple[str, ...]] = (
    "result_id",
    "task",
    "department",
    "credit_code",
    "name",
    "item",
    "item_name",
    "inspection_end",
    "categories",
    "published_on",
    "due",
    "status",
)


RESULT_FIELDS: Final[tuple[str, ...]] = (
    "result_id",
    "credit_code",
    "item",
    "department",
    "task",
    "methods",
    "categories",
    "followups",
    "inspectors",
    "inspection_end",
    "entered_by",
    "entered_on",
    "published_on",
    "closed_on",
)


REQUIRED_FIELDS: Final = ("credit_code", "item", "categories", "inspection_end")
HEADER_ALIAS: Final = {a: name for name, aliases in RESULT_HEADERS.items() for a in aliases}
LIST_FIELDS: Final = ("methods", "categories", "followups", "inspectors")
DATE_FIELDS: Final = ("inspection_end", "entered_on", "published_on", "closed_on")
LABEL_FIELDS: Final = ("item", "department", "task", "entered_by")
CAT_BIT: Final = {c: 1 << i for i, c in enumerate(RESULT_CATEGORIES)}
CAT_ALIAS: Final = {c.split("/", 1)[1]: c for c in RESULT_CATEGORIES if "/" in c}
_SUB_MASK: Final = sum(CAT_BIT[c] for c in RESULT_CATEGORIES if "/" in c)
METHOD_BIT: Final = {m: 1 << i for i, m in enumerate(METHODS)}
FOLLOW_BIT: Final = {f: 1 << i for i, f in enumerate(FOLLOW_UPS)}


# ----------------------------------------------------------------------------- vocabulary
def split_cell(text: str) -> list[str]:
    return [p.strip() for p in text.replace("；", ";").split(";") if p.strip()]


def cat_bits(parts: Iterable[str]) -> int:
    """Bits of a category list; raises ``ValueError`` with the reason."""
    bits = 0
    for p in parts:
        label = CAT_ALIAS.get(p, p)
        if label not in CAT_BIT:
            raise ValueError(
                f"unknown result category {p!r}; allowed: {', '.join(TOP_CATEGORIES)}, and "
                f"under {PENDING}: {', '.join(CAT_ALIAS)}"
            )
        bits |= CAT_BIT[label]
        if "/" in label:
            bits |= CAT_BIT[PENDING]
    top = [c for c in TOP_CATEGORIES if bits & CAT_BIT[c]]
    if len(top) != 1:
        raise ValueError(
            "a result has exactly one top-level category, got "
            + (" and ".join(top) if top else "none")
        )
    if top[0] == PENDING and not bits & _SUB_MASK:
        raise ValueError(f"{PENDING} needs at least one sub-kind: {', '.join(CAT_ALIAS)}")
    return bits


def set_bits(parts: Iterable[str], table: Mapping[str, int], what: str, *, empty: bool) -> int:
    bits = 0
    for p in parts:
        if p not in table:
            raise ValueError(f"unknown {what} {p!r}; allowed: {', '.join(table)}")
        bits |= table[p]
    if not bits and not empty:
        raise ValueError(f"at least one {what} is required; allowed: {', '.join(table)}")
    if what == "follow-up" and bits & FOLLOW_BIT[NO_FOLLOW_UP] and bits != 1:
        raise ValueError(f"{NO_FOLLOW_UP} cannot be combined with another follow-up")
    return bits


def labels_of(bits: int, vocabulary: Sequence[str]) -> tuple[str, ...]:
    return tuple(v for i, v in enumerate(vocabulary) if bits >> i & 1)
