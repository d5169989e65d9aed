"""Tests for randcheck.calendar.deadlines: the rule vocabulary, built-in rules and batch status."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from randcheck.calendar import WorkCalendar
from randcheck.calendar.deadlines import (
    ANNUAL_PLAN,
    OFFICER_MATCHING,
    RESULT_PUBLICATION,
    CalendarDaysAfter,
    Deadline,
    Earliest,
    FixedDate,
    Status,
    WorkdaysAfter,
    due_dates,
    officer_matching,
)
from randcheck.errors import CalendarCoverageError, CalendarError

CAL = WorkCalendar.default()
D = datetime.date


def days(*values: str) -> np.ndarray:
    return np.array(values, dtype="datetime64[D]")


def iso(a: np.ndarray) -> list[str]:
    return np.datetime_as_string(a).tolist()


# ---------------------------------------------------------------------------------------------
# Built-in rules
# ---------------------------------------------------------------------------------------------


def test_result_publication_is_20_working_days_after_inspection_end():
    assert RESULT_PUBLICATION.deadline("2025-09-26").date == D(2025, 10, 30)
    assert RESULT_PUBLICATION.events == ("inspection_end",)


def test_result_publication_over_spring_festival_2026():
    assert RESULT_PUBLICATION.deadline("2026-02-13").date == D(2026, 3, 19)


def test_officer_matching_defaults_to_2_working_days_after_the_draw():
    assert officer_matching(2) == OFFICER_MATCHING
    assert OFFICER_MATCHING.deadline("2025-09-30").date == D(2025, 10, 10)
    assert OFFICER_MATCHING.events == ("draw",)


def test_officer_matching_is_configurable():
    assert officer_matching(5).deadline("2025-03-03").date == D(2025, 3, 10)
    assert officer_matching(1, event="list_frozen").events == ("list_frozen",)


def test_annual_plan_is_due_by_31_march_of_the_plan_year():
    assert ANNUAL_PLAN.deadline(2026).date == D(2026, 3, 31)
    assert ANNUAL_PLAN.deadline("2026-07-01").date == D(2026, 3, 31)


def test_deadline_from_a_strict_calendar_is_final():
    assert Deadline(D(2025, 10, 30), False, RESULT_PUBLICATION.describe()) == (
        RESULT_PUBLICATION.deadline("2025-09-26")
    )


# ---------------------------------------------------------------------------------------------
# Rule vocabulary
# ---------------------------------------------------------------------------------------------


def test_workdays_after_matches_calendar_add_workdays():
    ends = np.arange("2025-01-01", "2025-11-01", dtype="datetime64[D]")
    r = due_dates(WorkdaysAfter(7, event="e"), {"e": ends}, as_of="2025-01-01")
    assert r.due.tolist() == CAL.add_workdays(ends, 7).tolist()


def test_calendar_days_after_rolls_to_the_next_working_day():
    rule = CalendarDaysAfter(7, event="notice")
    assert rule.deadline("2025-09-24").date == D(2025, 10, 9)
    assert rule.deadline("2025-09-22").date == D(2025, 9, 29)


def test_calendar_days_after_without_roll_ignores_the_calendar():
    rule = CalendarDaysAfter(7, event="notice", roll=False)
    assert rule.deadline("2025-09-24").date == D(2025, 10, 1)
    assert rule.deadline("2031-09-24").date == D(2031, 10, 1)  # no schedule needed


def test_fixed_date_with_year_offset_and_roll():
    rule = FixedDate(12, 15, event="plan_year", year_offset=-1)
    assert rule.deadline(2026).date == D(2025, 12, 15)
    rolled = FixedDate(3, 29, event="plan_year", roll=True)  # Sunday 29 March 2026
    assert rolled.deadline(2026).date == D(2026, 3, 30)


def test_fixed_date_accepts_a_column_of_years():
    r = due_dates(ANNUAL_PLAN, {"plan_year": np.array([2025, 2026])}, as_of="2025-01-10")
    assert iso(r.due) == ["2025-03-31", "2026-03-31"]


def test_earliest_takes_the_earlier_due_date_per_row():
    rule = Earliest([WorkdaysAfter(20, event="end"), FixedDate(12, 31, event="end")])
    r = due_dates(rule, {"end": days("2025-06-02", "2025-12-10")}, as_of="2025-06-02")
    assert iso(r.due) == ["2025-06-30", "2025-12-31"]


def test_earliest_reads_the_events_of_all_its_rules():
    rule = Earliest([WorkdaysAfter(2, event="draw"), CalendarDaysAfter(30, event="plan")])
    assert rule.events == ("draw", "plan")
    due = rule.deadline({"draw": "2025-03-03", "plan": "2025-02-10"})
    assert due.date == D(2025, 3, 5)  # draw + 2 wd = 5 Mar; plan + 30 d = 12 Mar


def test_describe_names_count_event_and_label():
    assert WorkdaysAfter(3, event="draw").describe() == "3 working days after draw"
    assert RESULT_PUBLICATION.describe().startswith("检查结果录入公示")


# ---------------------------------------------------------------------------------------------
# Bad rules
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [-3, 0])
def test_workdays_after_forbids_counts_below_one(n):
    with pytest.raises(CalendarError, match=rf"WorkdaysAfter: field 'n', value {n}: .*>= 1"):
        WorkdaysAfter(n, event="e")


def test_calendar_days_after_forbids_negative_counts():
    with pytest.raises(CalendarError, match=r"CalendarDaysAfter: field 'n', value -1: .*>= 0"):
        CalendarDaysAfter(-1, event="e")


def test_count_that_is_not_an_int_is_an_error():
    with pytest.raises(CalendarError, match=r"field 'n', value 2.5: expected a whole number"):
        WorkdaysAfter(2.5, event="e")  # type: ignore[arg-type]


def test_empty_event_name_is_an_error():
    with pytest.raises(CalendarError, match=r"field 'event', value '': expected the name"):
        WorkdaysAfter(2, event="")


@pytest.mark.parametrize(("month", "day"), [(2, 29), (13, 1), (4, 31)])
def test_fixed_date_that_not_every_year_has_is_an_error(month, day):
    with pytest.raises(CalendarError, match=rf"value \({month}, {day}\): not a day"):
        FixedDate(month, day)


def test_earliest_needs_two_rules():
    with pytest.raises(CalendarError, match=r"field 'rules' has 1 rule\(s\); expected at least 2"):
        Earliest([RESULT_PUBLICATION])


def test_earliest_rejects_non_rules():
    with pytest.raises(CalendarError, match=r"rules\[1\], value 'x': expected a rule"):
        Earliest([RESULT_PUBLICATION, "x"])  # type: ignore[list-item]


def test_deadline_with_a_missing_event_is_an_error():
    rule = Earliest([WorkdaysAfter(2, event="draw"), CalendarDaysAfter(30, event="plan")])
    with pytest.raises(CalendarError, match=r"event 'plan' is missing; the rule .* needs draw"):
        rule.deadline({"draw": "2025-03-03"})


def test_deadline_of_a_multi_event_rule_needs_a_mapping():
    rule = Earliest([WorkdaysAfter(2, event="draw"), CalendarDaysAfter(30, event="plan")])
    with pytest.raises(CalendarError, match=r"the rule reads 2 events \(draw, plan\)"):
        rule.deadline("2025-03-03")


def test_deadline_with_a_bad_date_is_an_error():
    with pytest.raises(CalendarError, match=r"inspection_end: value 'soon' is not a date"):
        RESULT_PUBLICATION.deadline("soon")


# ---------------------------------------------------------------------------------------------
# Batch status
# ---------------------------------------------------------------------------------------------


def batch_status():
    events = {
        "inspection_end": days(
            "2025-09-26",  # due 10-30, done 10-29: done
            "2025-09-26",  # due 10-30, done 11-03: done late
            "2025-10-09",  # due 11-05 (11 Oct is 调休), not done: overdue as of 11-14
            "2025-10-20",  # due 11-17: due soon (1 working day left)
            "2025-11-03",  # due 12-01: on time
            "NaT",  # not started
            "2025-09-26",  # due 10-30, done after as_of: overdue as of 11-14
        )
    }
    done = days("2025-10-29", "2025-11-03", "NaT", "NaT", "NaT", "NaT", "2025-11-20")
    return due_dates(RESULT_PUBLICATION, events, as_of="2025-11-14", done=done)


def test_batch_status_covers_every_case():
    r = batch_status()
    expected = [
        Status.DONE,
        Status.DONE_LATE,
        Status.OVERDUE,
        Status.DUE_SOON,
        Status.ON_TIME,
        Status.NOT_STARTED,
        Status.OVERDUE,
    ]
    assert r.status.tolist() == expected


def test_batch_due_dates_leave_not_started_rows_empty():
    r = batch_status()
    assert iso(r.due) == [
        "2025-10-30",
        "2025-10-30",
        "2025-11-05",
        "2025-11-17",
        "2025-12-01",
        "NaT",
        "2025-10-30",
    ]


def test_batch_labels_and_counts():
    r = batch_status()
    assert r.labels()[:4].tolist() == ["done", "done late", "overdue", "due soon"]
    assert r.labels("zh")[:4].tolist() == ["按时完成", "逾期完成", "已逾期", "即将到期"]
    assert r.counts()[Status.OVERDUE] == 2
    assert sum(r.counts().values()) == len(r) == 7


def test_due_soon_window_is_configurable():
    events = {"inspection_end": days("2025-11-03")}  # due 2025-12-01
    r0 = due_dates(RESULT_PUBLICATION, events, as_of="2025-11-14", soon=0)
    r20 = due_dates(RESULT_PUBLICATION, events, as_of="2025-11-14", soon=20)
    assert r0.status.tolist() == [Status.ON_TIME]
    assert r20.status.tolist() == [Status.DUE_SOON]


def test_due_today_is_due_soon():
    r = due_dates(RESULT_PUBLICATION, {"inspection_end": days("2025-09-26")}, as_of="2025-10-30")
    assert r.status.tolist() == [Status.DUE_SOON]


def test_batch_accepts_strings_and_lists():
    r = due_dates(OFFICER_MATCHING, {"draw": ["2025-09-30", ""]}, as_of="2025-10-01")
    assert iso(r.due) == ["2025-10-10", "NaT"]


def test_batch_results_are_read_only():
    r = batch_status()
    with pytest.raises(ValueError, match="read-only"):
        r.status[0] = 0


@given(
    st.lists(st.dates(datetime.date(2004, 1, 1), datetime.date(2026, 10, 31)), min_size=1),
    st.integers(1, 30),
)
def test_batch_due_dates_equal_scalar_deadlines(ends, n):
    rule = WorkdaysAfter(n, event="end")
    r = due_dates(rule, {"end": np.array(ends, dtype="datetime64[D]")}, as_of="2004-01-01")
    assert r.due.astype(object).tolist() == [rule.deadline(e).date for e in ends]


# ---------------------------------------------------------------------------------------------
# Coverage and provisional rows
# ---------------------------------------------------------------------------------------------


def test_strict_batch_into_unknown_year_raises_coverage_error():
    events = {"inspection_end": days("2026-11-02", "2026-12-15")}
    with pytest.raises(CalendarCoverageError, match=r"no holiday schedule for 2027") as e:
        due_dates(RESULT_PUBLICATION, events, as_of="2026-12-16")
    assert e.value.year == 2027


def test_batch_error_names_the_first_failing_row_counting_rows_not_started():
    # Row 3 has not started (no date), so the failing event is the third of those computed
    # but the fourth row; the message names the row and its date, not an internal index.
    events = {"inspection_end": days("2026-11-02", "2026-11-03", "NaT", "2026-12-15")}
    events["inspection_end"] = np.concatenate([events["inspection_end"], days("2026-12-16")])
    with pytest.raises(CalendarCoverageError) as e:
        due_dates(RESULT_PUBLICATION, events, as_of="2026-12-16")
    assert str(e.value).startswith(
        "no holiday schedule for 2027 (events: row 4, inspection_end 2026-12-15); "
    )
    assert "index" not in str(e.value)
    assert e.value.year == 2027
    with pytest.raises(CalendarCoverageError, match=r"\(events: row 9, inspection_end"):
        due_dates(RESULT_PUBLICATION, events, as_of="2026-12-16", rows=[2, 3, 5, 9, 10])
    with pytest.raises(CalendarError, match="rows has 2 numbers for 5 events"):
        due_dates(RESULT_PUBLICATION, events, as_of="2026-12-16", rows=[2, 3])
    early = {"inspection_end": days("2026-11-02", "1850-01-01")}
    with pytest.raises(CalendarError) as outside:
        due_dates(RESULT_PUBLICATION, early, as_of="2026-12-16", calendar=CAL.provisional())
    assert str(outside.value) == (
        "events: row 2, inspection_end 1850-01-01: outside the calendar's range 2000-01-01 to "
        "2100-12-31"
    )


def test_provisional_batch_marks_only_rows_that_need_the_unknown_year():
    events = {"inspection_end": days("2026-11-02", "2026-12-15")}
    r = due_dates(RESULT_PUBLICATION, events, as_of="2026-12-16", calendar=CAL.provisional())
    assert r.provisional.tolist() == [False, True]
    assert r.any_provisional
    assert iso(r.due) == ["2026-11-30", "2027-01-13"]


def test_provisional_deadline_carries_its_mark_and_years():
    due = RESULT_PUBLICATION.deadline("2026-12-15", calendar=CAL.provisional())
    assert due.provisional
    assert due.years == (2027,)
    assert str(due) == "2027-01-13 (provisional: no holiday schedule for 2027)"


def test_earliest_is_provisional_if_any_rule_is():
    rule = Earliest([WorkdaysAfter(20, event="end"), FixedDate(12, 31, event="end")])
    due = rule.deadline("2026-12-15", calendar=CAL.provisional())
    assert due.date == D(2026, 12, 31)
    assert due.provisional


# ---------------------------------------------------------------------------------------------
# Bad batches
# ---------------------------------------------------------------------------------------------


def test_missing_column_is_an_error_naming_it_and_the_columns_given():
    with pytest.raises(CalendarError, match=r"no column 'inspection_end'.*columns given: end"):
        due_dates(RESULT_PUBLICATION, {"end": days("2025-01-02")}, as_of="2025-01-02")


def test_columns_of_different_lengths_are_an_error():
    rule = Earliest([WorkdaysAfter(2, event="a"), WorkdaysAfter(3, event="b")])
    cols = {"a": days("2025-01-02"), "b": days("2025-01-02", "2025-01-03")}
    with pytest.raises(CalendarError, match=r"columns of different lengths: \{'a': 1, 'b': 2\}"):
        due_dates(rule, cols, as_of="2025-01-02")


def test_done_column_of_another_length_is_an_error():
    with pytest.raises(CalendarError, match=r"done: 2 values for 1 rows"):
        due_dates(
            RESULT_PUBLICATION,
            {"inspection_end": days("2025-01-02")},
            as_of="2025-01-02",
            done=days("2025-01-02", "2025-01-03"),
        )


def test_bad_date_in_a_column_is_an_error_naming_column_and_index():
    with pytest.raises(CalendarError, match=r"events\['draw'\]: index 1, value 'later'"):
        due_dates(OFFICER_MATCHING, {"draw": ["2025-01-02", "later"]}, as_of="2025-01-02")


def test_number_column_for_a_working_day_rule_is_an_error():
    with pytest.raises(CalendarError, match=r"column 'draw' holds int64 values; this rule needs"):
        due_dates(OFFICER_MATCHING, {"draw": np.array([2025])}, as_of="2025-01-02")


def test_negative_soon_is_an_error():
    with pytest.raises(CalendarError, match=r"field 'soon', value -1: expected an int >= 0"):
        due_dates(OFFICER_MATCHING, {"draw": days("2025-01-02")}, as_of="2025-01-02", soon=-1)


def test_bad_as_of_is_an_error():
    with pytest.raises(CalendarError, match=r"as_of: value 'today' is not a date"):
        due_dates(OFFICER_MATCHING, {"draw": days("2025-01-02")}, as_of="today")


def test_unknown_label_language_is_an_error():
    with pytest.raises(CalendarError, match=r"language 'fr'; expected 'en' or 'zh'"):
        batch_status().labels("fr")


def test_a_task_done_before_its_event_is_an_error():
    from randcheck.calendar.deadlines import RESULT_PUBLICATION, due_dates

    events = {"inspection_end": np.array(["2023-05-10", "2023-05-10"], dtype="datetime64[D]")}
    done = np.array(["2023-05-12", "2023-05-08"], dtype="datetime64[D]")
    with pytest.raises(CalendarError, match=r"done: row 2 is done on 2023-05-08, before its"):
        due_dates(RESULT_PUBLICATION, events, as_of="2023-06-30", done=done)
