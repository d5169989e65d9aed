"""Errors raised by randcheck.

Every error is a :class:`RandcheckError`; each subclass also inherits the builtin exception that
fits it, so ``except ValueError`` keeps working in callers that do not know randcheck.

A message names where the problem is (file, 1-based row as in the user's file, column or field),
the offending value, and what is allowed instead.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from randcheck.problems import ProblemReport

__all__ = [
    "BatchError",
    "CalendarCoverageError",
    "CalendarError",
    "InfeasibleMatchingError",
    "PlanError",
    "RandcheckError",
    "ResultError",
    "RetiredRecipeWarning",
    "RosterError",
    "RosterWarning",
    "VerificationError",
]


def _where(
    source: str | None = None,
    row: int | None = None,
    column: str | None = None,
    value: Any = None,
    *,
    has_value: bool = False,
) -> str:
    parts = []
    if source is not None:
        parts.append(str(source))
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column {column!r}")
    if has_value:
        parts.append(f"value {value!r}")
    return ", ".join(parts)


class RandcheckError(Exception):
    """Root of every error randcheck raises on purpose."""


class RosterError(RandcheckError, ValueError):
    """A directory (名录库) could not be built: a bad row, column, id or file.

    Raised by the ``TargetRoster`` and ``OfficerRoster`` constructors and loaders, and by the
    credit-code validators in strict mode. Attributes ``source``, ``row`` (1-based, counting the
    header as row 1 in a CSV file), ``column`` and ``value`` locate the first problem; ``problems``
    lists every problem found (up to a limit) as ``(row, column, value, reason)`` tuples, and
    ``report`` (a :class:`~randcheck.problems.ProblemReport`, or ``None`` for a problem with the
    file as a whole) holds them with a suggested fix each and a count per kind.
    """

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: Any = None,
        problems: list[tuple[int | None, str | None, Any, str]] | None = None,
        has_value: bool | None = None,
        report: ProblemReport | None = None,
    ) -> None:
        self.reason = reason
        self.report = report
        self.source = source
        self.row = row
        self.column = column
        self.value = value
        self.problems = problems if problems is not None else [(row, column, value, reason)]
        if has_value is None:
            has_value = value is not None
        where = _where(source, row, column, value, has_value=has_value)
        message = f"{where}: {reason}" if where else reason
        if report is not None and len(report) > 1:
            message += "\n" + report.summary()
        super().__init__(message)


class RosterWarning(UserWarning):
    """A directory was loaded with a remark: legacy credit codes kept, unknown columns ignored.

    The loaded roster's ``report`` lists each one.
    """


class RetiredRecipeWarning(UserWarning):
    """A record verified under a recipe that is no longer made, whose weakness the reader must
    check by hand (e.g. a commitment under ``randcheck-seed-rule/1`` names no draw date)."""


class PlanError(RandcheckError, ValueError):
    """A sampling plan, seed or rate table is invalid or does not fit the roster."""


class VerificationError(RandcheckError, ValueError):
    """A receipt does not match what recomputing the draw gives.

    ``differences`` lists what differs (for example ``"roster digest"``, ``"plan"``,
    ``"sample"``), each as a human-readable sentence.
    """

    def __init__(self, message: str, differences: list[str] | None = None) -> None:
        self.differences = differences if differences is not None else [message]
        super().__init__(message)


class CalendarError(RandcheckError, ValueError):
    """A date, a holiday schedule or a deadline rule is malformed.

    ``reason`` says what is wrong without where (the message itself), so that a caller that
    knows the place better (a file's row) can say it.
    """

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        self.reason = message if reason is None else reason
        super().__init__(message)


class CalendarCoverageError(RandcheckError, LookupError):
    """A date falls in a year for which no holiday schedule is known.

    ``year`` is the year that is missing; ``remedy`` what is known and how to register it (the
    message's end). Register its schedule (see ``WorkCalendar.register_year``) or opt in to
    provisional mode.
    """

    def __init__(self, message: str, year: int, *, remedy: str = "") -> None:
        self.year = year
        self.remedy = remedy
        super().__init__(message)


class InfeasibleMatchingError(RandcheckError, ValueError):
    """No officer assignment satisfies every rule, or a requested pair cap is below q*.

    Fields, so that callers need not parse sentences: ``visits`` (credit codes of the visits
    that cannot be staffed together), ``rule`` (``"team_size"``, ``"skill"``,
    ``"department"``, ``"expert"``, ``"load_cap"``, ``"pair_cap"`` or ``"team_cap"``),
    ``shortage`` (a :class:`fractions.Fraction`: places short, or for ``"pair_cap"`` the
    expected places the cap leaves unfilled), ``q_star`` (the least pair cap the batch admits,
    for ``"pair_cap"``), ``pair`` and ``team_bound`` (for ``"team_cap"``: the two officer ids
    whose teaming bound is largest, and that bound, a :class:`fractions.Fraction`) and
    ``reasons`` (one sentence per problem).
    """

    def __init__(
        self,
        message: str,
        reasons: list[str] | None = None,
        *,
        visits: tuple[str, ...] = (),
        rule: str = "",
        shortage: Fraction | None = None,
        q_star: Fraction | None = None,
        pair: tuple[str, str] | None = None,
        team_bound: Fraction | None = None,
    ) -> None:
        self.reasons = reasons if reasons is not None else [message]
        self.pair = pair
        self.team_bound = team_bound
        self.visits = visits
        self.rule = rule
        self.shortage = shortage
        self.q_star = q_star
        super().__init__(message)


class BatchError(RandcheckError, ValueError):
    """A joint task or batch of item draws is inconsistent (duplicate items, mixed rosters…)."""


class ResultError(RandcheckError, ValueError):
    """An inspection result or publication record is invalid; names the row and field.

    A table read from a file or columns is checked whole: ``report`` (a
    :class:`~randcheck.problems.ProblemReport`, or ``None`` for a problem with the input as a whole)
    lists every problem found, and the message names the first and counts them all.
    """

    def __init__(self, message: str, *, report: ProblemReport | None = None) -> None:
        self.report = report
        if report is not None and len(report) > 1:
            message += "\n" + report.summary()
        super().__init__(message)
