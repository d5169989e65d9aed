"""Visits: one trip to one target that checks one or more items (进一次门、查多项事).

A single-item draw becomes a batch of one-item visits; a joint task or a merge of several item
draws becomes visits that carry several items, possibly of several departments. Officer matching
(:func:`randcheck.match_officers`) staffs visits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from randcheck.errors import PlanError
from randcheck.models import _frozen_strings

__all__ = ["Visit"]


def _sorted_tuple(value: Iterable[str] | str) -> tuple[str, ...]:
    return tuple(sorted(_frozen_strings(value)))


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
