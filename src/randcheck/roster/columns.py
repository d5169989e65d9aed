"""The directories' column vocabulary: column kinds, :class:`Categorical`, :class:`TagSet`.

:data:`TARGET_COLUMNS` and :data:`OFFICER_COLUMNS` list each directory's columns (canonical name,
kind, whether required, the Chinese headers accepted, from ``randcheck._headers``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import attrs
import numpy as np
import numpy.typing as npt

from randcheck._headers import OFFICER_HEADERS, TARGET_HEADERS
from randcheck.models import (
    RiskClass,
)

__all__ = [
    "OFFICER_COLUMNS",
    "RISK_LETTERS",
    "STRING",
    "TARGET_COLUMNS",
    "Categorical",
    "Column",
    "ColumnSpec",
    "TagSet",
]

#: numpy's variable-width string dtype: the dtype of every text column of a roster.
STRING = np.dtypes.StringDType()
RISK_LETTERS: tuple[str, ...] = tuple(rc.value for rc in RiskClass)

Column: TypeAlias = "np.ndarray[Any, Any] | Categorical | TagSet"


@attrs.frozen(eq=False)
class Categorical:
    """A label column stored as integer ``codes`` into ``categories``.

    Examples
    --------
    >>> from randcheck.roster import Categorical
    >>> c = Categorical.from_values(["零售业", "餐饮业", "零售业"])
    >>> c.categories, c.codes.tolist()
    (('零售业', '餐饮业'), [0, 1, 0])
    >>> c.mask(["餐饮业"]).tolist()
    [False, True, False]
    """

    codes: npt.NDArray[np.int32]
    categories: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    @classmethod
    def from_values(cls, values: npt.ArrayLike | Iterable[str]) -> Categorical:
        """Factorize labels (order of first appearance; one pass with a dict)."""
        lookup: dict[str, int] = {}
        arr = values if isinstance(values, np.ndarray) else list(values)  # type: ignore[arg-type]
        codes = np.fromiter(
            (lookup.setdefault(str(v), len(lookup)) for v in arr), dtype=np.int32, count=len(arr)
        )
        return cls(codes, tuple(lookup))

    def labels(self) -> npt.NDArray[Any]:
        """The labels, row by row, as a numpy string array."""
        return np.asarray(np.array(self.categories, dtype=STRING)[self.codes])

    def mask(self, wanted: Iterable[str]) -> npt.NDArray[np.bool_]:
        """Rows whose label is one of ``wanted``."""
        want = set(wanted)
        table = np.array([c in want for c in self.categories], dtype=bool)
        return table[self.codes] if table.size else np.zeros(len(self), dtype=bool)

    def take(self, rows: npt.NDArray[np.intp]) -> Categorical:
        """The same categories, rows ``rows`` only."""
        return Categorical(self.codes[rows], self.categories)


@attrs.frozen(eq=False)
class TagSet:
    """A multi-label column: one ``uint64`` bit mask per row over at most 64 ``names``.

    Examples
    --------
    >>> from randcheck.roster import TagSet
    >>> t = TagSet.from_values(["连锁;重点", "", "重点"])
    >>> t.names, t.row(0)
    (('连锁', '重点'), ('连锁', '重点'))
    >>> t.mask_any(["重点"]).tolist()
    [True, False, True]
    """

    bits: npt.NDArray[np.uint64]
    names: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.bits.shape[0])

    @classmethod
    def from_values(cls, values: Iterable[str | Iterable[str]]) -> TagSet:
        """Build from ``;``-separated strings or iterables of labels."""
        lookup: dict[str, int] = {}
        cache: dict[Any, int] = {}

        def bits_of(v: str | Iterable[str]) -> int:
            key = v if isinstance(v, str) else frozenset(v)
            hit = cache.get(key)
            if hit is not None:
                return hit
            parts = (
                [p.strip() for p in v.replace("；", ";").split(";") if p.strip()]
                if isinstance(v, str)
                else sorted(str(p) for p in v)
            )
            mask = 0
            for p in parts:
                i = lookup.setdefault(p, len(lookup))
                if i >= 64:
                    raise ValueError(f"more than 64 distinct tags; the 65th is {p!r}")
                mask |= 1 << i
            cache[key] = mask
            return mask

        seq = list(values)
        bits = np.fromiter((bits_of(v) for v in seq), dtype=np.uint64, count=len(seq))
        # Order the vocabulary alphabetically so equal content gives equal storage.
        order = sorted(lookup, key=lambda s: s)
        remap = [order.index(name) for name in lookup]
        return cls(_remap_bits(bits, remap), tuple(order))

    def mask_any(self, wanted: Iterable[str]) -> npt.NDArray[np.bool_]:
        """Rows carrying at least one of ``wanted``."""
        m = 0
        for w in wanted:
            if w in self.names:
                m |= 1 << self.names.index(w)
        return np.asarray((self.bits & np.uint64(m)) != 0)

    def row(self, i: int) -> tuple[str, ...]:
        """The labels of row ``i``, sorted."""
        b = int(self.bits[i])
        return tuple(n for k, n in enumerate(self.names) if b >> k & 1)

    def take(self, rows: npt.NDArray[np.intp]) -> TagSet:
        """The same vocabulary, rows ``rows`` only."""
        return TagSet(self.bits[rows], self.names)

    def joined(self) -> tuple[npt.NDArray[np.intp], list[str]]:
        """Per-row index into a list of distinct ``;``-joined label strings (sorted labels)."""
        uniq, inverse = np.unique(self.bits, return_inverse=True)
        texts = []
        for b in uniq.tolist():
            texts.append(";".join(n for k, n in enumerate(self.names) if b >> k & 1))
        return inverse.astype(np.intp), texts


def _remap_bits(bits: npt.NDArray[np.uint64], remap: list[int]) -> npt.NDArray[np.uint64]:
    if remap == list(range(len(remap))):
        return bits
    out = np.zeros_like(bits)
    for old, new in enumerate(remap):
        out |= ((bits >> np.uint64(old)) & np.uint64(1)) << np.uint64(new)
    return out


@attrs.frozen
class ColumnSpec:
    """One column of a directory: canonical name, kind, whether required, accepted headers."""

    name: str
    kind: str  # code | id | text | risk | category | tags | bool | count | date | cap
    required: bool = False
    aliases: tuple[str, ...] = ()
    doc: str = ""


#: Target directory columns: canonical name, kind, whether required, accepted headers.
TARGET_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("credit_code", "code", True, TARGET_HEADERS["credit_code"], "统一社会信用代码"),
    ColumnSpec("name", "text", False, TARGET_HEADERS["name"], "企业名称"),
    ColumnSpec("risk_class", "risk", True, TARGET_HEADERS["risk_class"], "信用风险分类 A–E"),
    ColumnSpec("industry", "category", False, TARGET_HEADERS["industry"], "行业"),
    ColumnSpec("area", "category", False, TARGET_HEADERS["area"], "行政区划"),
    ColumnSpec("status", "category", False, TARGET_HEADERS["status"], "登记状态"),
    ColumnSpec("tags", "tags", False, TARGET_HEADERS["tags"], "分类标注 (;-separated)"),
    ColumnSpec("abnormal", "bool", False, TARGET_HEADERS["abnormal"], "列入经营异常名录"),
    ColumnSpec("complaints", "count", False, TARGET_HEADERS["complaints"], "投诉举报次数"),
    ColumnSpec("last_inspected", "date", False, TARGET_HEADERS["last_inspected"], "上次抽查日期"),
)

#: Officer directory columns.
OFFICER_COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("officer_id", "id", True, OFFICER_HEADERS["officer_id"], "执法证号"),
    ColumnSpec("name", "text", False, OFFICER_HEADERS["name"], "姓名"),
    ColumnSpec("unit", "category", False, OFFICER_HEADERS["unit"], "所属单位"),
    ColumnSpec("department", "category", False, OFFICER_HEADERS["department"], "部门"),
    ColumnSpec("area", "category", False, OFFICER_HEADERS["area"], "负责区域"),
    ColumnSpec("skills", "tags", False, OFFICER_HEADERS["skills"], "专长 (;-separated)"),
    ColumnSpec("expert", "bool", False, OFFICER_HEADERS["expert"], "专家库成员"),
    ColumnSpec("active", "bool", False, OFFICER_HEADERS["active"], "在岗"),
    ColumnSpec("load_cap", "cap", False, OFFICER_HEADERS["load_cap"], "每批最多任务数"),
)

DEFAULTS: dict[str, Any] = {
    "status": "存续",
    "active": True,
}
