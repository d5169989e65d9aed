"""Typed values of the domain: risk classes, targets, officers, items, conflicts and visits.

These are single things. Many of them together live in columnar directories
(:class:`~randcheck.TargetRoster`, :class:`~randcheck.OfficerRoster`), which never hold one Python
object per row; the models here are what a row reads back as, and what small lists are built from.

A :class:`Visit` is one trip to one target that checks one or more items (进一次门、查多项事): a
single-item draw becomes a batch of one-item visits; a joint task or a merge of several item draws
becomes visits that carry several items, possibly of several departments. Officer matching
(:func:`randcheck.match_officers`) staffs visits.
"""

from __future__ import annotations

import datetime as dt
import enum
import unicodedata
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from randcheck._dates import to_optional_date
from randcheck.errors import PlanError

__all__ = [
    "INACTIVE_STATUSES",
    "REGISTRATION_STATUSES",
    "Conflict",
    "Item",
    "ItemKind",
    "Officer",
    "RiskClass",
    "Target",
    "Visit",
]

#: The 登记状态 (registration status) vocabulary: each status and whether a target in it is
#: active (drawn by default). A status outside it is an error on loading, never "active".
#:
#: - active: 存续, 在业, 在营, 开业, 在册 and the register's own "存续（在营、开业、在册）" (the
#:   enterprise exists and may trade); 迁入 (moved in: now on this register).
#: - inactive: 迁出 (moved out: inspected by the register it moved to); 注销 (deregistered);
#:   吊销, "吊销，未注销" and "吊销，已注销" (licence revoked: it may not trade, whether or not
#:   deregistered since); 撤销 (registration annulled); 停业 and 歇业 (trading suspended, 歇业
#:   under the 2022 市场主体登记管理条例); 清算 (in liquidation).
#:
#: Loaders also accept these with an ASCII comma or parentheses and without spaces
#: (``吊销,未注销``), and store the spelling given here.
REGISTRATION_STATUSES: Mapping[str, bool] = MappingProxyType(
    {
        "存续": True,
        "在业": True,
        "在营": True,
        "开业": True,
        "在册": True,
        "存续（在营、开业、在册）": True,
        "迁入": True,
        "迁出": False,
        "注销": False,
        "吊销": False,
        "吊销，未注销": False,
        "吊销，已注销": False,
        "撤销": False,
        "停业": False,
        "歇业": False,
        "清算": False,
    }
)

#: Registration statuses (登记状态) that take a target out of every draw by default: the
#: inactive ones of :data:`REGISTRATION_STATUSES`.
INACTIVE_STATUSES: frozenset[str] = frozenset(
    k for k, active in REGISTRATION_STATUSES.items() if not active
)


def canonical_status(label: str) -> str | None:
    """The vocabulary's spelling of a 登记状态 label, or ``None`` if it is not in it."""
    text = label.strip()
    if text in REGISTRATION_STATUSES:
        return text
    text = "".join(text.split()).replace(",", "，").replace("(", "（").replace(")", "）")
    return text if text in REGISTRATION_STATUSES else None


_RISK_LABELS = {
    "A": "信用风险低",
    "B": "信用风险一般",
    "C": "信用风险较高",
    "D": "信用风险高",
    "E": "信用风险E类",
}
_RISK_ALIASES = {
    "低": "A",
    "低风险": "A",
    "一般": "B",
    "一般风险": "B",
    "较高": "C",
    "较高风险": "C",
    "高": "D",
    "高风险": "D",
}


class RiskClass(enum.Enum):
    """Enterprise credit-risk class (企业信用风险分类), ordered from low to high risk.

    A 信用风险低, B 信用风险一般, C 信用风险较高, D 信用风险高 (国市监信发〔2022〕6号). Some
    provinces (Shandong) use a fifth band, E; randcheck carries it so that such a province's
    directory loads unchanged, and a plan simply gives it a rate.

    Examples
    --------
    >>> from randcheck.models import RiskClass
    >>> RiskClass.parse("较高")
    <RiskClass.C: 'C'>
    >>> RiskClass.parse("d类").label_zh
    '信用风险高'
    >>> RiskClass.A < RiskClass.D
    True
    """

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"

    @property
    def label_zh(self) -> str:
        """The Chinese label, e.g. ``信用风险低`` for A."""
        return _RISK_LABELS[self.value]

    @property
    def index(self) -> int:
        """Position in A…E (0 for A); the code rosters store."""
        return _RISK_ORDER.index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RiskClass):
            return NotImplemented
        return self.index < other.index

    @classmethod
    def parse(cls, value: object) -> RiskClass:
        """Read a class from ``"A"``…``"E"`` (any case, full or half width, optional ``类``), or
        a Chinese label.

        Raises
        ------
        ValueError
            If the value is none of those; the message lists what is accepted.
        """
        if isinstance(value, RiskClass):
            return value
        text = unicodedata.normalize("NFKC", str(value)).strip()  # "Ｂ" (full width) is "B"
        key = text.upper().removesuffix("类")
        if key in _RISK_LABELS:
            return cls(key)
        for letter, label in _RISK_LABELS.items():
            if text == label:
                return cls(letter)
        bare = text.removeprefix("信用风险").removesuffix("类")
        if bare in _RISK_ALIASES:
            return cls(_RISK_ALIASES[bare])
        raise ValueError(
            f"unknown risk class {value!r}: use A, B, C, D or E, or a label such as "
            f"信用风险低 / 一般 / 较高 / 高"
        )


_RISK_ORDER = tuple(RiskClass)


class ItemKind(enum.Enum):
    """Kind of inspection item: 一般检查事项 (ratio strictly limited) or 重点检查事项 (may be 100%).

    Examples
    --------
    >>> from randcheck.models import ItemKind
    >>> ItemKind.parse("重点检查事项")
    <ItemKind.KEY: '重点'>
    """

    GENERAL = "一般"
    KEY = "重点"

    @classmethod
    def parse(cls, value: object) -> ItemKind:
        """Read ``一般``/``重点`` (also ``一般检查事项``, ``general``, ``key``)."""
        if isinstance(value, ItemKind):
            return value
        text = str(value).strip().removesuffix("检查事项").lower()
        for kind in cls:
            if text in (kind.value, kind.name.lower()):
                return kind
        raise ValueError(f"unknown item kind {value!r}: use 一般 or 重点")


def _stripped(value: object) -> str:
    return str(value).strip()


def _to_risk_class(value: object) -> RiskClass:
    return RiskClass.parse(value)


def _to_item_kind(value: object) -> ItemKind:
    return ItemKind.parse(value)


def frozen_strings(value: Iterable[str] | str | None) -> frozenset[str]:
    """A set of labels from ``;``-separated text (full-width ``；`` too), an iterable or ``None``.

    Examples
    --------
    >>> sorted(frozen_strings("成品油；危险化学品; "))
    ['危险化学品', '成品油']
    """
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset(t.strip() for t in value.replace("；", ";").split(";") if t.strip())
    return frozenset(str(v) for v in value)


def _status(value: object) -> str:
    label = canonical_status(str(value))
    if label is None:
        raise ValueError(
            f"status: {value!r} is not a known 登记状态; use one of "
            + ", ".join(REGISTRATION_STATUSES)
        )
    return label


def _non_empty(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def _frozen_mapping(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value or {}))


def _last_inspected(value: Any) -> dt.date | None:
    return to_optional_date(value, field="last_inspected")


@attrs.frozen
class Target:
    """One inspection target (检查对象): an enterprise or other market entity.

    Parameters
    ----------
    credit_code : str
        统一社会信用代码, the target's id. Checked by the directory loaders, not here, so that a
        legacy code can still be represented (see
        :func:`randcheck.roster.credit_code.is_valid_credit_code`).
    name : str
        Registered name (企业名称).
    risk_class : RiskClass
        Credit-risk class; strings such as ``"B"`` or ``"信用风险一般"`` are converted.
    industry, area : str
        Industry label (行业) and administrative area code (行政区划, e.g. ``"130634"``).
    tags : frozenset of str
        Labels given by the bureau (分类标注); a ``;``-separated string is split.
    status : str
        Registration status (登记状态), one of :data:`REGISTRATION_STATUSES` (存续, 在业, 注销,
        吊销…); another is a ``ValueError``.
    abnormal : bool
        Listed in the 经营异常名录.
    complaints : int
        Number of complaints (投诉举报) in the period the bureau counts.
    last_inspected : datetime.date or None
        Date of the last random inspection, if any.
    attributes : mapping
        The user's own attributes (for example a numeric ``risk_score``).

    Examples
    --------
    >>> from randcheck.models import Target
    >>> t = Target("91130634MA00000001", "曲阳某商贸有限公司", "B", industry="零售业")
    >>> t.risk_class, t.status
    (<RiskClass.B: 'B'>, '存续')
    """

    credit_code: str = attrs.field(converter=_stripped, validator=_non_empty)
    name: str
    risk_class: RiskClass = attrs.field(converter=_to_risk_class)
    industry: str = ""
    area: str = ""
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strings)
    status: str = attrs.field(default="存续", converter=_status)
    abnormal: bool = False
    complaints: int = attrs.field(default=0, converter=int)
    last_inspected: dt.date | None = attrs.field(default=None, converter=_last_inspected)
    attributes: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping)

    @complaints.validator
    def _check_complaints(self, _a: attrs.Attribute[int], value: int) -> None:
        if value < 0:
            raise ValueError(f"complaints must be ≥ 0, got {value}")

    @property
    def active(self) -> bool:
        """False for 注销, 吊销, 撤销, 迁出… (see :data:`REGISTRATION_STATUSES`)."""
        return self.status not in INACTIVE_STATUSES


@attrs.frozen
class Officer:
    """One law-enforcement officer (执法检查人员) or expert (专家库 member).

    Parameters
    ----------
    officer_id : str
        执法证号 (law-enforcement certificate number) or another unique id.
    name : str
        Name.
    unit : str
        Unit, e.g. ``执法一中队``.
    department : str
        Department, e.g. ``商务局``.
    area : str
        Area of responsibility (the area code their unit covers), for 所所交叉 matching.
    skills : frozenset of str
        Skill tags (专长), e.g. ``{"成品油"}``.
    expert : bool
        Member of the expert pool (专家库) rather than a regular officer.
    active : bool
        In service; inactive officers are never matched.
    load_cap : int or None
        Most visits this officer takes in one batch; ``None`` for no cap.

    Examples
    --------
    >>> from randcheck.models import Officer
    >>> Officer("13063420230001", "王某", unit="执法一中队", skills="成品油;典当").skills
    frozenset({...})
    """

    officer_id: str = attrs.field(converter=_stripped, validator=_non_empty)
    name: str = ""
    unit: str = ""
    department: str = ""
    area: str = ""
    skills: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strings)
    expert: bool = False
    active: bool = True
    load_cap: int | None = attrs.field(default=None)

    @load_cap.validator
    def _check_cap(self, _a: attrs.Attribute[int | None], value: int | None) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise PlanError(
                f"Officer {self.officer_id}: load_cap must be a whole number ≥ 0 or None (no "
                f"cap), got {value!r}"
            )


@attrs.frozen
class Item:
    """One item of the random-inspection list (随机抽查事项清单).

    Parameters
    ----------
    code : str
        Item code, unique in a batch.
    name : str
        Item name, e.g. ``成品油经营企业检查``.
    department : str
        Responsible department, e.g. ``商务局``.
    kind : ItemKind
        一般 (ratio limited) or 重点 (may be 100%).
    legal_basis : str
        The law or regulation it rests on (抽查依据).
    industries : frozenset of str
        Industries the item applies to; empty means every industry.
    tags : frozenset of str
        Target tags the item applies to (any of them); empty means no tag condition.
    skills : frozenset of str
        Skills an inspecting team must include.
    method : str
        Inspection method (核查方式): 实地, 书面, 网络监测…
    rate : float or None
        The item's usual sampling ratio (e.g. 0.2 for 20%), used when a plan gives none.

    Examples
    --------
    >>> from randcheck.models import Item, Target
    >>> item = Item("SW-02", "成品油经营检查", "商务局", industries={"成品油零售"}, rate=0.2)
    >>> item.applies_to(Target("91130634MA00000001", "某加油站", "B", industry="成品油零售"))
    True
    """

    code: str = attrs.field(converter=_stripped, validator=_non_empty)
    name: str = ""
    department: str = ""
    kind: ItemKind = attrs.field(default=ItemKind.GENERAL, converter=_to_item_kind)
    legal_basis: str = ""
    industries: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strings)
    tags: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strings)
    skills: frozenset[str] = attrs.field(factory=frozenset, converter=frozen_strings)
    method: str = "实地"
    rate: float | None = attrs.field(default=None)

    @rate.validator
    def _check_rate(self, _a: attrs.Attribute[float | None], value: float | None) -> None:
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValueError(f"rate must be within [0, 1], got {value}")

    def applies_to(self, target: Target) -> bool:
        """Whether the item's scope (industries and tags) covers ``target``."""
        if self.industries and target.industry not in self.industries:
            return False
        return not (self.tags and not (self.tags & target.tags))


@attrs.frozen
class Conflict:
    """A declared conflict of interest (回避 record).

    ``officer_id`` must not inspect the target ``credit_code``; ``reason`` says why.

    Examples
    --------
    >>> from randcheck.models import Conflict
    >>> Conflict("13063420230001", "91130634MA00000001", "亲属关系").reason
    '亲属关系'
    """

    officer_id: str = attrs.field(converter=_stripped, validator=_non_empty)
    credit_code: str = attrs.field(converter=_stripped, validator=_non_empty)
    reason: str = ""


def _sorted_tuple(value: Iterable[str] | str) -> tuple[str, ...]:
    return tuple(sorted(frozen_strings(value)))


@attrs.frozen
class Visit:
    """One inspection visit (检查任务) to one target.

    Parameters
    ----------
    credit_code : str
        The target's 统一社会信用代码.
    items : tuple of str
        Codes of the items checked on this visit, sorted.
    departments : tuple of str
        Departments taking part, sorted; the lead department is among them.
    lead_department : str
        The department that leads the visit (牵头部门).
    skills : tuple of str
        Skills the items need, sorted; the team must cover each.
    area : str
        The target's area code, for cross-jurisdiction (所所交叉) rules.
    team_size : int
        Officers needed (at least 2, 行政处罚法 Art. 42).

    Examples
    --------
    >>> from randcheck.models import Visit
    >>> v = Visit("91130634MA00000001", items=("SW-02",), departments=("商务局",),
    ...           lead_department="商务局", skills=("成品油",), area="130634100")
    >>> v.team_size
    2
    """

    credit_code: str
    items: tuple[str, ...] = attrs.field(converter=_sorted_tuple)
    departments: tuple[str, ...] = attrs.field(converter=_sorted_tuple)
    lead_department: str = attrs.field(default="")
    skills: tuple[str, ...] = attrs.field(default=(), converter=_sorted_tuple)
    area: str = ""
    team_size: int = attrs.field(default=2)

    @team_size.validator
    def _check_team(self, _a: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise PlanError(
                f"Visit {self.credit_code}: team_size must be a whole number ≥ 2 (行政处罚法 "
                f"Art. 42), got {value!r}"
            )

    @lead_department.validator
    def _check_lead(self, _a: attrs.Attribute[str], value: str) -> None:
        if value and value not in self.departments:
            raise PlanError(
                f"Visit {self.credit_code}: lead_department {value!r} is not among the "
                f"departments {self.departments}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The visit as JSON values (lists for the sorted tuples): one row of a visits table,
        and what the matching record's ``visits_digest`` hashes."""
        return {
            "credit_code": self.credit_code,
            "items": list(self.items),
            "departments": list(self.departments),
            "lead_department": self.lead_department,
            "skills": list(self.skills),
            "area": self.area,
            "team_size": self.team_size,
        }
