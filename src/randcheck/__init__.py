"""randcheck: verifiable risk-weighted random inspection (双随机、一公开)."""

from randcheck.credit_code import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_character,
    credit_code_mask,
    is_valid_credit_code,
)
from randcheck.errors import (
    BatchError,
    CalendarCoverageError,
    CalendarError,
    InfeasibleMatchingError,
    PlanError,
    RandcheckError,
    ResultError,
    RosterError,
    VerificationError,
)
from randcheck.models import INACTIVE_STATUSES, Conflict, Item, ItemKind, Officer, RiskClass, Target
from randcheck.roster import Categorical, OfficerRoster, TagSet, TargetRoster

__version__ = "0.1.0.dev0"

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "INACTIVE_STATUSES",
    "BatchError",
    "CalendarCoverageError",
    "CalendarError",
    "Categorical",
    "Conflict",
    "InfeasibleMatchingError",
    "Item",
    "ItemKind",
    "Officer",
    "OfficerRoster",
    "PlanError",
    "RandcheckError",
    "ResultError",
    "RiskClass",
    "RosterError",
    "TagSet",
    "Target",
    "TargetRoster",
    "VerificationError",
    "__version__",
    "credit_code_check_character",
    "credit_code_mask",
    "is_valid_credit_code",
]
