"""randcheck: verifiable risk-weighted random inspection (双随机、一公开).

The names here are the nouns and verbs of a year's work: the directories, the plan and its draw,
batches, officer matching, deadlines, results and figures, the audit, the example county and the
errors a user catches. Every other public name lives in its package (``randcheck.calendar``,
``randcheck.roster``, ``randcheck.sampling``, ``randcheck.joint``, ``randcheck.matching``,
``randcheck.results``…); see the reference in the documentation. Names that were importable
from here before 0.1.0 still are, with a :class:`DeprecationWarning`, until 0.2.0.
"""

import importlib
import warnings
from typing import Any, Final

from randcheck import _version
from randcheck.archive import write_archive
from randcheck.audit import verify
from randcheck.calendar import RESULT_PUBLICATION, WorkCalendar, due_dates
from randcheck.errors import (
    InfeasibleMatchingError,
    PlanError,
    RandcheckError,
    ResultError,
    RosterError,
    VerificationError,
)
from randcheck.example import example_county
from randcheck.joint import Batch, commit_batch, draw_batch, draw_joint_task
from randcheck.loaders import load_conflicts, load_events, load_items
from randcheck.matching import Assignment, MatchingRules, match_officers
from randcheck.policy import simulate_policy
from randcheck.randomness import SeedRule
from randcheck.results import (
    ResultTable,
    RevisitPlan,
    draw_revisits,
    estimate_prevalence,
    publication_records,
    year_figures,
)
from randcheck.roster import OfficerRoster, TargetRoster
from randcheck.sampling import (
    Commitment,
    Draw,
    SamplingPlan,
    commit,
    draw,
    draw_parquet,
    verify_parquet,
)

#: Names that moved from the front door to their packages: name -> the module to import it from.
#: ``randcheck.<name>`` still works, with a DeprecationWarning, until randcheck 0.2.0.
_MOVED: Final[dict[str, str]] = {
    "ANNUAL_PLAN": "randcheck.calendar",
    "Allocation": "randcheck.policy",
    "ArchiveCheck": "randcheck.archive",
    "BatchError": "randcheck.errors",
    "BatchReceipt": "randcheck.joint",
    "Burden": "randcheck.joint",
    "COVERAGE_GOAL": "randcheck.results",
    "CREDIT_CODE_ALPHABET": "randcheck.roster.credit_code",
    "CalendarCoverageError": "randcheck.errors",
    "CalendarDaysAfter": "randcheck.calendar",
    "CalendarError": "randcheck.errors",
    "Categorical": "randcheck.roster",
    "Conflict": "randcheck.models",
    "Deadline": "randcheck.calendar",
    "DueDates": "randcheck.calendar",
    "Earliest": "randcheck.calendar",
    "Eligibility": "randcheck.sampling",
    "Estimate": "randcheck.results",
    "Estimates": "randcheck.results",
    "ExampleCounty": "randcheck.example",
    "FINDING_CATEGORIES": "randcheck.results",
    "FOLLOW_UPS": "randcheck.results",
    "Figure": "randcheck.results",
    "FixedDate": "randcheck.calendar",
    "GeneratorSource": "randcheck.randomness",
    "HashSource": "randcheck.randomness",
    "HolidayPeriod": "randcheck.calendar",
    "INACTIVE_STATUSES": "randcheck.models",
    "InspectionResult": "randcheck.results",
    "Item": "randcheck.models",
    "ItemKind": "randcheck.models",
    "METHODS": "randcheck.results",
    "Marked": "randcheck.calendar",
    "MarkedArray": "randcheck.calendar",
    "MatchingRecord": "randcheck.matching",
    "MatchingSimulation": "randcheck.matching",
    "NumberGroup": "randcheck.randomness",
    "OFFICER_MATCHING": "randcheck.calendar",
    "Officer": "randcheck.models",
    "PUBLIC_FIELDS": "randcheck.results",
    "PairProbabilities": "randcheck.matching",
    "PolicySimulation": "randcheck.policy",
    "Problem": "randcheck.problems",
    "ProblemReport": "randcheck.problems",
    "ProvisionalCalendar": "randcheck.calendar",
    "PublicationTable": "randcheck.results",
    "RATE_PRESETS": "randcheck.sampling",
    "REGISTRATION_STATUSES": "randcheck.models",
    "RESULT_CATEGORIES": "randcheck.results",
    "RESULT_HEADERS": "randcheck.results",
    "REVISIT_OUTCOMES": "randcheck.results",
    "REVISIT_RECIPE": "randcheck.results",
    "RatePreset": "randcheck.sampling",
    "Receipt": "randcheck.sampling",
    "Recusals": "randcheck.matching",
    "RevisitDraw": "randcheck.results",
    "RevisitFinding": "randcheck.results",
    "RevisitReceipt": "randcheck.results",
    "RevisitReport": "randcheck.results",
    "RiskClass": "randcheck.models",
    "RosterDigest": "randcheck.roster",
    "RosterWarning": "randcheck.errors",
    "Rule": "randcheck.calendar",
    "Status": "randcheck.calendar",
    "Stratum": "randcheck.sampling",
    "TOP_CATEGORIES": "randcheck.results",
    "TagSet": "randcheck.roster",
    "Target": "randcheck.models",
    "TeamingTable": "randcheck.matching",
    "Visit": "randcheck.models",
    "VisitTable": "randcheck.joint",
    "WorkdaysAfter": "randcheck.calendar",
    "WrittenArchive": "randcheck.archive",
    "YearFigures": "randcheck.results",
    "YearSchedule": "randcheck.calendar",
    "commit_joint_task": "randcheck.joint",
    "credit_code_check_character": "randcheck.roster.credit_code",
    "credit_code_mask": "randcheck.roster.credit_code",
    "credit_code_problem": "randcheck.roster.credit_code",
    "draw_dask": "randcheck.sampling",
    "expected_visits": "randcheck.joint",
    "inclusion_probabilities": "randcheck.sampling",
    "is_valid_credit_code": "randcheck.roster.credit_code",
    "item_plan": "randcheck.joint",
    "iter_synthetic_target_chunks": "randcheck.example",
    "merge_draws": "randcheck.joint",
    "merge_visits": "randcheck.joint",
    "officer_matching": "randcheck.calendar",
    "optimal_rates": "randcheck.policy",
    "record_revisits": "randcheck.results",
    "simulate_matching": "randcheck.matching",
    "simulate_results": "randcheck.policy",
    "synthetic_officers": "randcheck.example",
    "synthetic_targets": "randcheck.example",
    "teaming_table": "randcheck.matching",
    "verify_archive": "randcheck.archive",
    "verify_batch": "randcheck.joint",
    "verify_dask": "randcheck.sampling",
    "verify_matching": "randcheck.matching",
    "verify_revisits": "randcheck.results",
}


def __getattr__(name: str) -> Any:
    # ``__version__`` is read from the package metadata on first use (randcheck._version).
    if name == "__version__":
        return _version.version()
    module = _MOVED.get(name)
    if module is None:
        raise AttributeError(f"module 'randcheck' has no attribute {name!r}")
    warnings.warn(
        f"randcheck.{name} is deprecated: use 'from {module} import {name}' "
        "(the top-level name goes in randcheck 0.2.0)",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), name)


__all__ = [
    "RESULT_PUBLICATION",
    "Assignment",
    "Batch",
    "Commitment",
    "Draw",
    "InfeasibleMatchingError",
    "MatchingRules",
    "OfficerRoster",
    "PlanError",
    "RandcheckError",
    "ResultError",
    "ResultTable",
    "RevisitPlan",
    "RosterError",
    "SamplingPlan",
    "SeedRule",
    "TargetRoster",
    "VerificationError",
    "WorkCalendar",
    "__version__",
    "commit",
    "commit_batch",
    "draw",
    "draw_batch",
    "draw_joint_task",
    "draw_parquet",
    "draw_revisits",
    "due_dates",
    "estimate_prevalence",
    "example_county",
    "load_conflicts",
    "load_events",
    "load_items",
    "match_officers",
    "publication_records",
    "simulate_policy",
    "verify",
    "verify_parquet",
    "write_archive",
    "year_figures",
]
