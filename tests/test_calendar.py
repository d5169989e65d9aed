"""Tests for randcheck.calendar: the working-day calendar, year schedules and provisional mode."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import chinese_calendar
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import randcheck
from randcheck.calendar import (
    CHINA_TZ,
    HolidayPeriod,
    Marked,
    MarkedArray,
    WorkCalendar,
    YearSchedule,
    as_date,
    as_dates,
)
from randcheck.errors import CalendarCoverageError, CalendarError

CAL = WorkCalendar.default()
D = datetime.date

# The State Council's notices (国务院办公厅关于部分节假日安排的通知), typed from the notice text.
NOTICES = {
    2024: [
        HolidayPeriod("元旦", "2024-01-01"),
        HolidayPeriod("春节", "2024-02-10", "2024-02-17", ["2024-02-04", "2024-02-18"]),
        HolidayPeriod("清明节", "2024-04-04", "2024-04-06", ["2024-04-07"]),
        HolidayPeriod("劳动节", "2024-05-01", "2024-05-05", ["2024-04-28", "2024-05-11"]),
        HolidayPeriod("端午节", "2024-06-10"),
        HolidayPeriod("中秋节", "2024-09-15", "2024-09-17", ["2024-09-14"]),
        HolidayPeriod("国庆节", "2024-10-01", "2024-10-07", ["2024-09-29", "2024-10-12"]),
    ],
    2025: [
        HolidayPeriod("元旦", "2025-01-01"),
        HolidayPeriod("春节", "2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
        HolidayPeriod("清明节", "2025-04-04", "2025-04-06"),
        HolidayPeriod("劳动节", "2025-05-01", "2025-05-05", ["2025-04-27"]),
        HolidayPeriod("端午节", "2025-05-31", "2025-06-02"),
        HolidayPeriod("国庆节、中秋节", "2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),
    ],
    2026: [
        HolidayPeriod("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
        HolidayPeriod("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
        HolidayPeriod("清明节", "2026-04-04", "2026-04-06"),
        HolidayPeriod("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
        HolidayPeriod("端午节", "2026-06-19", "2026-06-21"),
        HolidayPeriod("中秋节", "2026-09-25", "2026-09-27"),
        HolidayPeriod("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
    ],
}


def year_days(year: int) -> np.ndarray:
    return np.arange(f"{year}-01-01", f"{year + 1}-01-01", dtype="datetime64[D]")


# A made-up schedule for a year no package knows. For tests only: NOT a State Council notice.
FICTION_2030 = YearSchedule(
    2030,
    [
        HolidayPeriod("元旦", "2030-01-01"),
        HolidayPeriod("春节", "2030-02-02", "2030-02-08", ["2030-01-26", "2030-02-09"]),
    ],
    source="made-up test schedule",
)


# ---------------------------------------------------------------------------------------------
# Known schedules, against chinese-calendar
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_is_workday_matches_chinese_calendar_every_day_of_published_years(year):
    days = year_days(year)
    expected = np.array([chinese_calendar.is_workday(d) for d in days.astype(object)])
    assert expected.tolist() == CAL.is_workday(days).tolist()


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_notice_typed_from_the_state_council_agrees_with_chinese_calendar(year):
    schedule = YearSchedule(year, NOTICES[year], source=f"notice {year}")
    cal = CAL.with_year(schedule)  # raises CalendarError on any contradiction
    days = year_days(year)
    assert CAL.is_workday(days).tolist() == cal.is_workday(days).tolist()


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_holiday_is_a_rest_day_and_every_makeup_day_a_working_day(year):
    for period in NOTICES[year]:
        assert not any(CAL.is_workday(d) for d in period.dates())
        assert all(CAL.is_workday(d) for d in period.makeup_workdays)


def test_is_workday_matches_chinese_calendar_for_all_package_years():
    days = np.arange("2004-01-01", "2027-01-01", dtype="datetime64[D]")
    expected = [chinese_calendar.is_workday(d) for d in days.astype(object)]
    assert expected == CAL.is_workday(days).tolist()


def test_add_workdays_matches_find_workday_from_working_days():
    rng = np.random.default_rng(20251001)
    starts = np.datetime64("2004-03-01") + rng.integers(0, 7900, 400)
    starts = starts[CAL.is_workday(starts)]
    for d in starts.astype(object):
        for n in (1, 2, 20, -1, -20):
            assert chinese_calendar.find_workday(n, d) == CAL.add_workdays(d, n)


def test_package_years_are_2004_to_2026():
    assert range(2004, 2027) == CAL.package_years
    assert CAL.covers(2026)
    assert not CAL.covers(2027)


# ---------------------------------------------------------------------------------------------
# Counting rules
# ---------------------------------------------------------------------------------------------


def test_twenty_working_days_over_national_day_2025():
    # Fri 26 Sep; Sun 28 Sep (调休) is day 1; 1-8 Oct off; Sat 11 Oct (调休) is a working day.
    assert D(2025, 10, 30) == CAL.add_workdays("2025-09-26", 20)


def test_twenty_working_days_over_spring_festival_2026():
    # Fri 13 Feb; Sat 14 Feb (调休) day 1; 15-23 Feb off; Sat 28 Feb (调休) a working day.
    assert D(2026, 3, 19) == CAL.add_workdays("2026-02-13", 20)


def test_event_day_is_not_counted():
    assert D(2025, 3, 4) == CAL.add_workdays("2025-03-03", 1)


def test_add_zero_is_the_day_itself_on_a_working_day():
    assert D(2025, 3, 3) == CAL.add_workdays("2025-03-03", 0)


def test_add_zero_on_a_rest_day_is_the_previous_working_day():
    assert D(2025, 9, 30) == CAL.add_workdays("2025-10-05", 0)


def test_add_negative_from_a_working_day_counts_strictly_before():
    assert D(2025, 9, 28) == CAL.add_workdays("2025-09-29", -1)


def test_add_negative_from_a_rest_day_is_the_inverse_of_counting_forward():
    w = CAL.add_workdays("2025-10-05", -1)
    assert D(2025, 9, 29) == w
    assert D(2025, 9, 30) == CAL.add_workdays(w, 1)


def test_next_and_previous_workday_across_national_day():
    assert D(2025, 10, 9) == CAL.next_workday("2025-09-30")
    assert D(2025, 9, 30) == CAL.previous_workday("2025-10-09")
    assert D(2025, 10, 9) == CAL.next_workday("2025-10-03", inclusive=True)
    assert D(2025, 9, 30) == CAL.next_workday("2025-09-30", inclusive=True)
    assert D(2025, 9, 30) == CAL.previous_workday("2025-10-03", inclusive=True)


def test_workdays_between_counts_half_open_interval():
    assert CAL.workdays_between("2025-10-01", "2025-10-08") == 0
    assert CAL.workdays_between("2025-10-01", "2025-10-09") == 1
    assert CAL.workdays_between("2025-10-09", "2025-10-01") == -1


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

dates = st.dates(D(2004, 2, 1), D(2026, 11, 30))
counts = st.integers(-20, 20)


@given(dates, st.integers(0, 20))
def test_round_trip_returns_to_working_day_at_or_before(d, n):
    back = CAL.add_workdays(CAL.add_workdays(d, n), -n)
    assert CAL.previous_workday(d, inclusive=True) == back


@given(dates, st.integers(-20, -1))
def test_round_trip_from_negative_returns_to_working_day_at_or_before(d, n):
    back = CAL.add_workdays(CAL.add_workdays(d, n), -n)
    assert CAL.previous_workday(d, inclusive=True) == back


@given(dates, counts)
def test_workdays_between_agrees_with_add_workdays(d, n):
    assert n == CAL.workdays_between(d, CAL.add_workdays(d, n))


@given(dates, counts)
def test_add_workdays_result_is_a_working_day(d, n):
    assert CAL.is_workday(CAL.add_workdays(d, n))


@given(dates, dates, counts)
def test_add_workdays_is_monotone_in_the_date(a, b, n):
    lo, hi = sorted((a, b))
    assert CAL.add_workdays(lo, n) <= CAL.add_workdays(hi, n)


@given(dates, counts, counts)
def test_add_workdays_is_monotone_in_the_count(d, m, n):
    lo, hi = sorted((m, n))
    assert CAL.add_workdays(d, lo) <= CAL.add_workdays(d, hi)


@given(dates, dates, dates)
def test_workdays_between_is_additive(a, b, c):
    total = CAL.workdays_between(a, c)
    assert total == CAL.workdays_between(a, b) + CAL.workdays_between(b, c)


@given(dates, dates)
def test_workdays_between_counts_working_days_after_a_through_b(a, b):
    lo, hi = sorted((a, b))
    days = np.arange(lo + datetime.timedelta(days=1), hi + datetime.timedelta(days=1))
    expected = int(CAL.is_workday(days.astype("datetime64[D]")).sum()) if days.size else 0
    assert expected == CAL.workdays_between(lo, hi)


@given(st.lists(dates, min_size=1, max_size=30), counts)
def test_vectorized_add_workdays_equals_scalar(ds, n):
    arr = np.array(ds, dtype="datetime64[D]")
    expected = [CAL.add_workdays(d, n) for d in ds]
    assert expected == CAL.add_workdays(arr, n).astype(object).tolist()


@given(st.lists(dates, min_size=1, max_size=30), st.lists(dates, min_size=1, max_size=30))
def test_vectorized_workdays_between_and_steps_equal_scalar(xs, ys):
    k = min(len(xs), len(ys))
    a = np.array(xs[:k], dtype="datetime64[D]")
    b = np.array(ys[:k], dtype="datetime64[D]")
    assert [CAL.workdays_between(x, y) for x, y in zip(xs, ys, strict=False)] == (
        CAL.workdays_between(a, b).tolist()
    )
    assert [CAL.next_workday(x) for x in xs[:k]] == CAL.next_workday(a).astype(object).tolist()
    assert [CAL.previous_workday(x) for x in xs[:k]] == (
        CAL.previous_workday(a).astype(object).tolist()
    )
    assert [CAL.is_workday(x) for x in xs[:k]] == CAL.is_workday(a).tolist()


def test_vectorized_add_workdays_broadcasts_counts():
    out = CAL.add_workdays("2025-09-26", np.array([1, 2, 20]))
    assert np.datetime_as_string(out).tolist() == ["2025-09-28", "2025-09-29", "2025-10-30"]


# ---------------------------------------------------------------------------------------------
# Date inputs and time zones
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        D(2025, 10, 1),
        datetime.datetime(2025, 10, 1, 23, 59),
        "2025-10-01",
        " 2025-10-01 ",
        "20251001",
        "2025-10-01T08:00:00+08:00",
        "2025-09-30T16:00:00Z",
        np.datetime64("2025-10-01"),
        np.datetime64("2025-10-01T12:00", "ns"),
    ],
)
def test_as_date_accepts_date_likes(value):
    assert D(2025, 10, 1) == as_date(value)


def test_aware_datetime_is_converted_to_china_time():
    utc_evening = datetime.datetime(2025, 9, 30, 20, 0, tzinfo=datetime.UTC)
    assert D(2025, 10, 1) == as_date(utc_evening)
    assert CAL.is_workday(utc_evening) is False


def test_china_time_zone_is_utc_plus_eight():
    assert datetime.timedelta(hours=8) == CHINA_TZ.utcoffset(datetime.datetime(2025, 7, 1))


def test_as_dates_parses_compact_strings_as_dates_not_years():
    out = as_dates(np.array(["20251001", "2025-10-02"]))
    assert np.datetime_as_string(out).tolist() == ["2025-10-01", "2025-10-02"]


def test_as_dates_converts_aware_strings_to_china_dates():
    out = as_dates(["2025-09-30T20:00:00+00:00"])
    assert np.datetime_as_string(out).tolist() == ["2025-10-01"]


def test_as_dates_accepts_object_arrays_and_lists():
    out = as_dates([D(2025, 1, 2), "2025-01-03", np.datetime64("2025-01-04")])
    assert np.datetime_as_string(out).tolist() == ["2025-01-02", "2025-01-03", "2025-01-04"]


def test_as_dates_keeps_missing_values_when_allowed():
    out = as_dates(["2025-01-02", "", None], allow_nat=True)
    assert np.isnat(out).tolist() == [False, True, True]


@pytest.mark.parametrize("value", ["2025-02-30", "not a date", "2025/13/01"])
def test_string_that_is_not_a_date_is_a_calendar_error(value):
    with pytest.raises(CalendarError, match=r"is not a date; expected ISO 8601") as e:
        CAL.is_workday(value)
    assert repr(value) in str(e.value)


def test_non_date_type_is_a_calendar_error():
    with pytest.raises(CalendarError, match=r"value 20251001 of type int is not a date"):
        CAL.add_workdays(20251001, 1)  # type: ignore[call-overload]


def test_bad_string_in_array_names_its_index():
    with pytest.raises(CalendarError, match=r"index 1, value 'nope' is not a date"):
        CAL.is_workday(np.array(["2025-01-02", "nope"]))


def test_missing_date_in_array_is_a_calendar_error_naming_index():
    arr = np.array(["2025-01-02", "NaT"], dtype="datetime64[D]")
    with pytest.raises(CalendarError, match=r"index 1, value .*NaT.*a date is required"):
        CAL.add_workdays(arr, 1)


@pytest.mark.parametrize("n", [1.5, True, "3"])
def test_count_that_is_not_an_int_is_a_calendar_error(n):
    with pytest.raises(CalendarError, match=r"n: value .* is not a whole number of days"):
        CAL.add_workdays("2025-01-02", n)


def test_non_integer_count_array_is_a_calendar_error():
    with pytest.raises(CalendarError, match=r"dtype float64 are not whole numbers of days"):
        CAL.add_workdays(np.array(["2025-01-02"], dtype="datetime64[D]"), np.array([1.5]))


def test_numpy_integer_count_is_accepted():
    assert D(2025, 1, 3) == CAL.add_workdays("2025-01-02", np.int64(1))


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------


def test_deadline_into_unknown_year_raises_coverage_error_naming_the_year():
    with pytest.raises(CalendarCoverageError) as e:
        CAL.add_workdays("2026-12-15", 20)
    assert e.value.year == 2027
    message = str(e.value)
    assert "no holiday schedule for 2027" in message
    assert "with_year_file('holidays-2027.toml')" in message
    assert "WorkCalendar.provisional()" in message


def test_coverage_error_is_a_lookup_error():
    with pytest.raises(LookupError):
        CAL.is_workday("2027-03-01")


def test_date_before_2004_raises_coverage_error_naming_its_year():
    with pytest.raises(CalendarCoverageError, match=r"no holiday schedule for 2003") as e:
        CAL.is_workday("2003-06-02")
    assert e.value.year == 2003


def test_far_date_raises_coverage_error_naming_its_year():
    with pytest.raises(CalendarCoverageError) as e:
        CAL.is_workday("2150-01-05")
    assert e.value.year == 2150


def test_vectorized_coverage_error_names_year_and_index():
    arr = np.array(["2026-03-02", "2026-12-20"], dtype="datetime64[D]")
    with pytest.raises(CalendarCoverageError, match=r"2027 \(add_workdays: index 1") as e:
        CAL.add_workdays(arr, 20)
    assert e.value.year == 2027


def test_workdays_between_into_unknown_year_raises_coverage_error():
    with pytest.raises(CalendarCoverageError, match=r"no holiday schedule for 2027"):
        CAL.workdays_between("2026-12-01", "2027-01-05")


def test_counting_back_before_2004_raises_coverage_error():
    with pytest.raises(CalendarCoverageError) as e:
        CAL.add_workdays("2004-01-05", -5)
    assert e.value.year == 2003


# ---------------------------------------------------------------------------------------------
# Provisional mode
# ---------------------------------------------------------------------------------------------

PCAL = CAL.provisional()


def test_provisional_result_into_unknown_year_is_marked():
    due = PCAL.add_workdays("2026-12-15", 20)
    assert Marked(D(2027, 1, 13), True, (2027,)) == due


def test_provisional_result_inside_known_years_is_final():
    assert Marked(D(2025, 10, 30), False, ()) == PCAL.add_workdays("2025-09-26", 20)


def test_provisional_result_prints_its_mark():
    assert (
        str(PCAL.add_workdays("2026-12-15", 20))
        == "2027-01-13 (provisional: no holiday schedule for 2027)"
    )


def test_provisional_mode_rests_on_fixed_date_holidays_and_weekends_only():
    days = ["2027-01-01", "2027-05-01", "2027-10-01", "2027-10-04", "2027-02-08"]
    result = PCAL.is_workday(np.array(days, dtype="datetime64[D]"))
    assert isinstance(result, MarkedArray)
    assert result.value.tolist() == [False, False, False, True, True]
    assert result.provisional.all()


def test_provisional_array_marks_each_element():
    arr = np.array(["2026-03-02", "2026-12-20"], dtype="datetime64[D]")
    result = PCAL.add_workdays(arr, 20)
    assert result.provisional.tolist() == [False, True]
    assert result.years == (2027,)


def test_provisional_every_method_returns_marked_values():
    assert Marked(False, True, (2027,)) == PCAL.is_workday("2027-01-01")
    assert isinstance(PCAL.workdays_between("2026-12-30", "2027-01-05"), Marked)
    assert PCAL.next_workday("2026-12-31").provisional
    assert PCAL.previous_workday("2027-01-04").provisional
    between = PCAL.workdays_between(np.array(["2026-12-30"], dtype="datetime64[D]"), "2027-01-05")
    assert between.provisional.tolist() == [True]


def test_provisional_and_strict_agree_where_schedules_exist():
    arr = np.arange("2025-01-01", "2025-12-01", dtype="datetime64[D]")
    result = PCAL.add_workdays(arr, 7)
    assert not result.provisional.any()
    assert CAL.add_workdays(arr, 7).tolist() == result.value.tolist()


def test_provisional_date_outside_the_table_is_a_calendar_error():
    with pytest.raises(CalendarError, match=r"outside the calendar's range 2000-01-01 to 2100"):
        PCAL.is_workday("2150-01-05")


def test_registering_the_year_makes_provisional_results_final():
    pcal = CAL.with_year(FICTION_2030).provisional()
    assert not pcal.is_workday("2030-02-04").provisional
    assert pcal.is_workday("2029-02-05").provisional


# ---------------------------------------------------------------------------------------------
# Registered years in code
# ---------------------------------------------------------------------------------------------


def test_registered_year_is_covered_and_used():
    cal = CAL.with_year(FICTION_2030)
    assert cal.covers(2030)
    assert not cal.is_workday("2030-02-04")  # Monday in the made-up 春节
    assert cal.is_workday("2030-01-26")  # Saturday made-up 调休
    assert 2030 in cal.covered_years


def test_registering_returns_a_new_calendar_and_leaves_the_old_one():
    cal = CAL.with_year(FICTION_2030)
    assert cal is not CAL
    assert not CAL.covers(2030)
    assert CAL.schedules == ()


def test_default_calendar_is_shared_and_equal_to_a_fresh_one():
    assert WorkCalendar.default() is WorkCalendar.default()
    assert WorkCalendar() == WorkCalendar.default()


def test_unregistered_years_between_registered_ones_still_raise():
    cal = CAL.with_year(FICTION_2030)
    with pytest.raises(CalendarCoverageError) as e:
        cal.workdays_between("2026-06-01", "2030-06-03")
    assert e.value.year == 2027


def test_schedule_contradicting_the_package_is_an_error():
    wrong = YearSchedule(2026, [HolidayPeriod("国庆节", "2026-10-01", "2026-10-08")], source="x")
    with pytest.raises(CalendarError, match=r"x: the schedule for 2026 contradicts chinese-cal"):
        CAL.with_year(wrong)


def notice_2026_with_longer_national_day() -> YearSchedule:
    periods = [*NOTICES[2026][:-1], HolidayPeriod("国庆节", "2026-10-01", "2026-10-08")]
    return YearSchedule(2026, periods)


def test_contradiction_message_lists_the_days_and_the_way_out():
    with pytest.raises(CalendarError) as e:
        CAL.with_year(notice_2026_with_longer_national_day())
    message = str(e.value)
    assert "contradicts chinese-calendar 1.11.0 on 3 day(s)" in message
    assert "2026-10-08 (schedule: rest day, chinese-calendar 1.11.0: working day)" in message
    assert "override=True" in message


def test_override_lets_a_schedule_replace_the_package():
    cal = CAL.with_year(notice_2026_with_longer_national_day(), override=True)
    assert not cal.is_workday("2026-10-08")
    assert not cal.is_workday("2026-10-10")  # Saturday, no longer a make-up day
    assert CAL.is_workday("2026-10-08")


def test_registering_a_year_twice_needs_override():
    cal = CAL.with_year(FICTION_2030)
    with pytest.raises(CalendarError, match=r"2030 is already registered; pass override=True"):
        cal.with_year(FICTION_2030)
    again = cal.with_year(YearSchedule(2030, []), override=True)
    assert again.is_workday("2030-02-04")


def test_constructor_rejects_duplicate_years():
    with pytest.raises(CalendarError, match=r"schedules\[1\]: 2030 is registered twice"):
        WorkCalendar((FICTION_2030, FICTION_2030))


def test_calendar_without_package_knows_registered_years_only():
    cal = WorkCalendar((FICTION_2030,), use_package=False)
    assert cal.covered_years == (2030,)
    with pytest.raises(CalendarCoverageError, match=r"the package's data is not used"):
        cal.is_workday("2025-01-02")


def test_new_year_bridge_in_december_of_the_year_before_is_applied():
    # Made-up: 元旦 2031 from Mon 30 Dec 2030 to Wed 1 Jan 2031, Sat 28 Dec 2030 worked.
    bridge = YearSchedule(2031, [HolidayPeriod("元旦", "2030-12-30", "2031-01-01", ["2030-12-28"])])
    cal = WorkCalendar((FICTION_2030, bridge), use_package=False)
    assert not cal.is_workday("2030-12-30")
    assert cal.is_workday("2030-12-28")


def test_new_year_bridge_contradicting_a_registered_year_is_an_error():
    first = YearSchedule(2030, [HolidayPeriod("假", "2030-12-28")])
    bridge = YearSchedule(2031, [HolidayPeriod("元旦", "2030-12-30", "2031-01-01", ["2030-12-28"])])
    with pytest.raises(CalendarError, match=r"contradicts the schedule for 2030"):
        WorkCalendar((first, bridge), use_package=False)


def test_year_schedule_lists_holidays_and_makeup_days_by_name():
    s = YearSchedule(2025, NOTICES[2025])
    assert s.holidays()[D(2025, 10, 6)] == "国庆节、中秋节"
    assert s.makeup_workdays()[D(2025, 2, 8)] == "春节"


def test_overlapping_periods_join_their_names():
    s = YearSchedule(
        2025,
        [
            HolidayPeriod("国庆节", "2025-10-01", "2025-10-08"),
            HolidayPeriod("中秋节", "2025-10-06"),
        ],
    )
    assert s.holidays()[D(2025, 10, 6)] == "国庆节、中秋节"


# ---------------------------------------------------------------------------------------------
# Bad schedules in code
# ---------------------------------------------------------------------------------------------


def test_holiday_on_a_makeup_day_is_an_error_naming_both_fields():
    with pytest.raises(CalendarError) as e:
        YearSchedule(
            2030,
            [
                HolidayPeriod("春节", "2030-02-02", "2030-02-08", ["2030-02-09"]),
                HolidayPeriod("假", "2030-02-09"),
            ],
        )
    message = str(e.value)
    assert "field holidays[1].start, value '2030-02-09'" in message
    assert "holidays[0] ('春节') field 'makeup_workdays' lists as a make-up working day" in message


def test_makeup_day_on_a_weekday_is_an_error():
    with pytest.raises(CalendarError, match=r"2030-02-04 is a Monday; a 调休 make-up working day"):
        YearSchedule(2030, [HolidayPeriod("春节", "2030-02-02", "2030-02-08", ["2030-02-04"])])


def test_date_outside_the_schedule_year_is_an_error():
    with pytest.raises(CalendarError, match=r"holidays\[0\].end, value '2031-01-02'.*2029-12-01"):
        YearSchedule(2030, [HolidayPeriod("元旦", "2030-12-31", "2031-01-02")])


def test_period_ending_before_it_starts_is_an_error():
    with pytest.raises(CalendarError, match=r"field 'end', value '2030-01-01' is before start"):
        HolidayPeriod("元旦", "2030-01-03", "2030-01-01")


def test_period_with_bad_date_is_an_error():
    with pytest.raises(CalendarError, match=r"holiday date: value '2030-02-30' is not a date"):
        HolidayPeriod("元旦", "2030-02-30")


def test_schedule_year_out_of_range_is_an_error():
    with pytest.raises(CalendarError, match=r"field 'year', value 12: expected a year from 1900"):
        YearSchedule(12, [])


# ---------------------------------------------------------------------------------------------
# Year files
# ---------------------------------------------------------------------------------------------

GOOD_TOML = """\
year = 2030
source = "made-up test schedule"

[[holidays]]
name = "元旦"
start = 2030-01-01

[[holidays]]
name = "春节"
start = 2030-02-02
end = 2030-02-08
days = 7
makeup_workdays = [2030-01-26, 2030-02-09]
"""


def test_toml_file_loads_and_registers(tmp_path):
    path = tmp_path / "holidays-2030.toml"
    path.write_text(GOOD_TOML, encoding="utf-8")
    cal = CAL.with_year_file(path)
    assert FICTION_2030.periods == YearSchedule.from_file(path).periods
    assert not cal.is_workday("2030-02-04")
    assert f"made-up test schedule ({path})" == YearSchedule.from_file(path).source


def test_json_file_loads_like_toml(tmp_path):
    data = {
        "year": 2030,
        "holidays": [
            {"name": "元旦", "start": "2030-01-01"},
            {
                "name": "春节",
                "start": "2030-02-02",
                "end": "2030-02-08",
                "makeup_workdays": ["2030-01-26", "2030-02-09"],
            },
        ],
    }
    path = tmp_path / "holidays-2030.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    assert FICTION_2030.periods == YearSchedule.from_file(path).periods


def test_to_toml_round_trips():
    again = YearSchedule.from_toml(FICTION_2030.to_toml())
    assert again == FICTION_2030


def test_example_file_in_the_docs_loads_and_agrees_with_chinese_calendar():
    path = Path(randcheck.__file__).parent / "data" / "holidays" / "example-2026.toml"
    schedule = YearSchedule.from_file(path)
    assert schedule.year == 2026
    assert NOTICES[2026] == list(schedule.periods)
    CAL.with_year_file(path)  # no contradiction


def write(tmp_path: Path, text: str, name: str = "holidays-2030.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_malformed_date_string_names_file_line_and_field(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("end = 2030-02-08", 'end = "2030-02-30"'))
    with pytest.raises(CalendarError) as e:
        YearSchedule.from_file(path)
    assert f"{path}: line 11, field holidays[1].end, value '2030-02-30': not a date" in str(e.value)


def test_invalid_toml_date_names_file_and_line(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("end = 2030-02-08", "end = 2030-02-30"))
    with pytest.raises(CalendarError, match=r"not valid TOML: .*line 11") as e:
        YearSchedule.from_file(path)
    assert str(path) in str(e.value)


def test_holiday_on_a_makeup_day_in_a_file_names_the_line(tmp_path):
    text = GOOD_TOML + '\n[[holidays]]\nname = "假"\nstart = 2030-02-09\n'
    path = write(tmp_path, text)
    with pytest.raises(CalendarError) as e:
        YearSchedule.from_file(path)
    message = str(e.value)
    assert f"{path}: line 17, field holidays[2].start, value '2030-02-09'" in message
    assert "a day is either a rest day or a working day" in message


def test_makeup_weekday_in_a_file_names_the_line(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("2030-01-26", "2030-01-28"))
    with pytest.raises(CalendarError, match=r"line 13, field holidays\[1\].makeup_workdays"):
        YearSchedule.from_file(path)


def test_days_that_do_not_match_the_period_are_an_error(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("days = 7", "days = 8"))
    with pytest.raises(CalendarError, match=r"line 12, field holidays\[1\].days, value 8: start"):
        YearSchedule.from_file(path)


def test_unknown_key_in_a_file_is_an_error(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("makeup_workdays", "makeup_workday"))
    with pytest.raises(CalendarError, match=r"holidays\[1\].makeup_workday, .*unknown key"):
        YearSchedule.from_file(path)


def test_missing_year_in_a_file_is_an_error(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("year = 2030", ""))
    with pytest.raises(CalendarError, match=r"field 'year', value None: expected the year"):
        YearSchedule.from_file(path)


def test_datetime_instead_of_date_in_a_file_is_an_error(tmp_path):
    path = write(tmp_path, GOOD_TOML.replace("start = 2030-01-01", "start = 2030-01-01T08:00:00"))
    with pytest.raises(CalendarError, match=r"line 6, .*expected a date without a time"):
        YearSchedule.from_file(path)


def test_malformed_date_in_json_names_file_line_and_field(tmp_path):
    text = '{\n  "year": 2030,\n  "holidays": [\n    {"name": "元旦",\n'
    text += '     "start": "2030-1-1"}\n  ]\n}\n'
    path = write(tmp_path, text, "holidays-2030.json")
    with pytest.raises(CalendarError) as e:
        YearSchedule.from_file(path)
    assert f"{path}: line 5, field holidays[0].start, value '2030-1-1': not a date" in str(e.value)


def test_invalid_json_names_line(tmp_path):
    path = write(tmp_path, '{"year": 2030,\n "holidays": [}', "holidays-2030.json")
    with pytest.raises(CalendarError, match=r"line 2, column \d+: not valid JSON"):
        YearSchedule.from_file(path)


def test_unknown_file_type_is_an_error(tmp_path):
    path = write(tmp_path, GOOD_TOML, "holidays-2030.yaml")
    with pytest.raises(
        CalendarError, match=r"unknown schedule file type '.yaml'; expected a .toml"
    ):
        YearSchedule.from_file(path)


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CalendarError, match=r"cannot read the schedule file"):
        YearSchedule.from_file(tmp_path / "nope.toml")


def test_from_mapping_reports_fields_without_lines():
    with pytest.raises(CalendarError, match=r"<mapping>: field holidays\[0\].start, value None"):
        YearSchedule.from_mapping({"year": 2030, "holidays": [{"name": "元旦"}]})
