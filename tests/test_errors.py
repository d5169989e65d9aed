"""The error hierarchy: one root, the fitting builtin, and messages that say where and what."""

from __future__ import annotations

import pytest

import randcheck
from randcheck import PlanError, RandcheckError, RosterError, VerificationError
from randcheck.errors import (
    BatchError,
    CalendarCoverageError,
    CalendarError,
    InfeasibleMatchingError,
    ResultError,
)

ERRORS_AND_BUILTINS = [
    (RosterError, ValueError),
    (PlanError, ValueError),
    (VerificationError, ValueError),
    (CalendarError, ValueError),
    (CalendarCoverageError, LookupError),
    (InfeasibleMatchingError, ValueError),
    (BatchError, ValueError),
    (ResultError, ValueError),
]


def test_root_is_an_exception() -> None:
    assert issubclass(RandcheckError, Exception)


@pytest.mark.parametrize(("error", "builtin"), ERRORS_AND_BUILTINS)
def test_each_error_is_a_randcheck_error_and_its_builtin(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, RandcheckError)
    assert issubclass(error, builtin)


@pytest.mark.parametrize("error", [RandcheckError] + [e for e, _ in ERRORS_AND_BUILTINS])
def test_each_error_says_when_it_is_raised(error: type[Exception]) -> None:
    assert error.__doc__
    assert len(error.__doc__.strip()) > 20


def test_every_public_error_is_listed_here() -> None:
    public = {name for name in randcheck.errors.__all__ if name.endswith("Error")}
    assert public == {"RandcheckError"} | {e.__name__ for e, _ in ERRORS_AND_BUILTINS}


def test_the_front_door_has_the_errors_users_catch_most() -> None:
    errors = {name for name in randcheck.__all__ if name.endswith("Error")}
    assert errors == {
        "RandcheckError",
        "RosterError",
        "PlanError",
        "VerificationError",
        "InfeasibleMatchingError",  # match_officers, with its own how-to
        "ResultError",  # ResultTable.from_csv, every county's results file
    }


def test_roster_error_message_names_source_row_column_and_value() -> None:
    err = RosterError(
        "unknown risk class", source="名录.csv", row=3, column="risk_class", value="F"
    )
    assert str(err) == "名录.csv, row 3, column 'risk_class', value 'F': unknown risk class"


def test_roster_error_keeps_the_location_as_attributes() -> None:
    err = RosterError("bad", source="a.csv", row=7, column="credit_code", value="X")
    assert (err.reason, err.source, err.row, err.column, err.value) == (
        "bad",
        "a.csv",
        7,
        "credit_code",
        "X",
    )


def test_roster_error_without_problems_lists_its_own_problem() -> None:
    err = RosterError("bad", row=2, column="name", value="x")
    assert err.problems == [(2, "name", "x", "bad")]


def test_roster_error_with_only_a_reason_is_just_the_reason() -> None:
    assert str(RosterError("the file is empty")) == "the file is empty"


def test_roster_error_can_show_an_empty_value() -> None:
    err = RosterError(
        "a required id is empty", row=4, column="credit_code", value="", has_value=True
    )
    assert str(err) == "row 4, column 'credit_code', value '': a required id is empty"


def test_roster_error_is_caught_as_value_error() -> None:
    with pytest.raises(ValueError, match="bad"):
        raise RosterError("bad")


def test_verification_error_lists_its_differences() -> None:
    err = VerificationError("receipt does not match", ["roster digest", "sample"])
    assert (str(err), err.differences) == ("receipt does not match", ["roster digest", "sample"])


def test_verification_error_without_differences_lists_its_message() -> None:
    assert VerificationError("plan differs").differences == ["plan differs"]


def test_calendar_coverage_error_names_the_missing_year() -> None:
    err = CalendarCoverageError("no holiday schedule for 2031", year=2031)
    assert (err.year, str(err)) == (2031, "no holiday schedule for 2031")


def test_calendar_coverage_error_is_caught_as_lookup_error() -> None:
    with pytest.raises(LookupError):
        raise CalendarCoverageError("no schedule", year=2031)


def test_infeasible_matching_error_lists_its_reasons() -> None:
    err = InfeasibleMatchingError("no assignment", ["visit 3: every officer recused"])
    assert err.reasons == ["visit 3: every officer recused"]


def test_infeasible_matching_error_without_reasons_lists_its_message() -> None:
    assert InfeasibleMatchingError("no assignment").reasons == ["no assignment"]
