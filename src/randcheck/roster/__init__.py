"""Columnar directories: 检查对象名录库 and 执法检查人员名录库.

:class:`TargetRoster` is the directory of inspection targets, :class:`OfficerRoster` that of
officers; :class:`RosterDigest` computes their fingerprint from parts. The package holds:

- :mod:`randcheck.roster.columns`: the column vocabulary (:data:`TARGET_COLUMNS`,
  :data:`OFFICER_COLUMNS`) and the column types :class:`Categorical` and :class:`TagSet`;
- :mod:`randcheck.roster.tables`: the two directories and :class:`RosterDigest`;
- :mod:`randcheck.roster.fingerprint`: the bytes of the fingerprint recipe ``randcheck-roster/2``;
- :mod:`randcheck.roster.credit_code`: the check character of 统一社会信用代码 (GB 32100-2015);
- private helpers: ``_parse`` (one column, checked) and ``_csv`` (reading CSV fast).
"""

from randcheck.roster.columns import (
    OFFICER_COLUMNS,
    RISK_LETTERS,
    STRING,
    TARGET_COLUMNS,
    Categorical,
    Column,
    ColumnSpec,
    TagSet,
)
from randcheck.roster.tables import (
    OfficerRoster,
    RosterDigest,
    TargetRoster,
    fingerprint_jobs,
    seal_fingerprint,
)

__all__ = [
    "OFFICER_COLUMNS",
    "RISK_LETTERS",
    "STRING",
    "TARGET_COLUMNS",
    "Categorical",
    "Column",
    "ColumnSpec",
    "OfficerRoster",
    "RosterDigest",
    "TagSet",
    "TargetRoster",
    "fingerprint_jobs",
    "seal_fingerprint",
]
