"""The SLA clock: pure functions over a WorkingCalendar (no Flask, no database)."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.calendar.services import (
    SHANGHAI,
    WorkingCalendar,
    add_working_minutes,
    build_calendar,
    extend_for_pause,
    in_closed_working_period,
    is_working_time,
    next_working_instant,
    parse_periods,
    statutory_holidays,
    working_minutes_between,
)

UTC = dt.UTC
CAL, INFO = build_calendar([2025, 2026, 2027, 2028])


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def local(t: datetime) -> datetime:
    return t.astimezone(SHANGHAI).replace(tzinfo=None)


# Instants between 2025-12-01 and 2028-06-30 at second resolution, including awkward ones.
instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2028, 6, 30),
                        timezones=st.just(SHANGHAI)).map(lambda t: t.astimezone(UTC))
minutes = st.integers(min_value=0, max_value=20_000)


# --- specific cases ---------------------------------------------------------------------------

def test_national_day_2026_with_its_adjusted_saturday():
    for d in range(1, 8):
        assert not CAL.is_working_day(date(2026, 10, d)), d
    assert CAL.is_working_day(date(2026, 9, 20))      # Sunday worked (调休)
    assert CAL.is_working_day(date(2026, 10, 10))     # Saturday worked (调休)
    assert not CAL.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert INFO[date(2026, 10, 10)].source == "package"
    # 2 hours before the holiday at 16:00 on 30 September: 1.5 h that day, the rest on 8 October.
    deadline = add_working_minutes(sh(2026, 9, 30, 16, 0), 120, CAL)
    assert local(deadline) == datetime(2026, 10, 8, 9, 0)
    # A full day's work from Friday 9 October 08:30 ends on the adjusted Saturday.
    assert local(add_working_minutes(sh(2026, 10, 9, 8, 30), 7 * 60 + 30, CAL)) == datetime(2026, 10, 9, 17, 30)
    assert local(add_working_minutes(sh(2026, 10, 9, 8, 30), 8 * 60, CAL)) == datetime(2026, 10, 10, 9, 0)
    assert working_minutes_between(sh(2026, 9, 30, 0, 0), sh(2026, 10, 11, 0, 0), CAL) == 4 * 450  # 30 Sep, 8, 9, 10 Oct


def test_spring_festival_2027_is_computed_from_the_lunar_calendar():
    holidays = statutory_holidays(2027)
    assert holidays[date(2027, 2, 6)] == "Spring Festival"         # 正月初一
    assert [d for d, n in holidays.items() if n == "Spring Festival"] == [
        date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)]  # 除夕 … 初三
    assert holidays[date(2027, 4, 5)] == "Tomb-sweeping Day"       # 清明 solar term
    assert holidays[date(2027, 9, 15)] == "Mid-autumn Festival"
    assert holidays[date(2027, 6, 9)] == "Dragon Boat Festival"
    assert [d for d, n in holidays.items() if n == "Labour Day"] == [date(2027, 5, 1), date(2027, 5, 2)]
    assert [d for d, n in holidays.items() if n == "National Day"] == [date(2027, 10, d) for d in (1, 2, 3)]
    assert not CAL.is_working_day(date(2027, 2, 8))  # Monday, 初三
    assert CAL.is_working_day(date(2027, 2, 9))
    assert INFO[date(2027, 2, 8)].source == "rule"


def test_statutory_rule_versions():
    # 2026 under Decree 798 matches what the package says about the holidays themselves.
    h26 = statutory_holidays(2026)
    assert date(2026, 2, 16) in h26 and date(2026, 2, 17) in h26  # 除夕 and 初一
    assert date(2026, 9, 25) in h26                               # 中秋
    # 2020 (Decree 644): 春节 初一 to 初三, one day for Labour Day.
    h20 = statutory_holidays(2020)
    assert date(2020, 1, 24) not in h20 and date(2020, 1, 25) in h20 and date(2020, 1, 27) in h20
    assert date(2020, 5, 2) not in h20
    # 2010 (Decree 513): 除夕 to 初二.
    h10 = statutory_holidays(2010)
    assert date(2010, 2, 13) in h10 and date(2010, 2, 15) in h10 and date(2010, 2, 16) not in h10


def test_a_fallback_year_warns_and_a_package_year_does_not():
    cal, _ = build_calendar([2026])
    assert cal.warnings() == []
    assert cal.fallback_years == frozenset()
    cal, _ = build_calendar([2026, 2027, 2028])
    assert cal.fallback_years == {2027, 2028}
    assert cal.warnings() == [
        "2027: adjusted working days unknown; using weekends and statutory holidays",
        "2028: adjusted working days unknown; using weekends and statutory holidays",
    ]


def test_table_rows_override_package_and_complete_years_stop_the_warning():
    rows = [(date(2027, 2, 20), True, "Spring Festival", "import"),   # a 调休 Saturday
            (date(2026, 10, 10), False, "test", "manual")]
    cal, info = build_calendar([2026, 2027], rows, complete_years=[2027])
    assert cal.is_working_day(date(2027, 2, 20))
    assert not cal.is_working_day(date(2026, 10, 10))
    assert info[date(2026, 10, 10)].source == "table:manual"
    assert cal.warnings() == []
    # Without the year marked complete, the imported rows apply and the warning stays.
    cal, _ = build_calendar([2027], rows)
    assert cal.is_working_day(date(2027, 2, 20)) and cal.fallback_years == {2027}


def test_years_outside_the_calendar_still_get_statutory_holidays():
    cal, _ = build_calendar([2026])
    assert not cal.is_working_day(date(2029, 10, 1))  # computed, not just "a Monday"
    assert cal.is_working_day(date(2029, 10, 8))


def test_very_far_years_never_crash():
    cal, _ = build_calendar([2150])
    assert 2150 in cal.incomplete_years and len(cal.warnings()) == 2
    assert date(2150, 1, 1) in statutory_holidays(2150)


def test_lunch_break_and_boundaries():
    assert is_working_time(sh(2026, 11, 27, 8, 30), CAL)
    assert not is_working_time(sh(2026, 11, 27, 12, 0), CAL)
    assert local(next_working_instant(sh(2026, 11, 27, 12, 0), CAL)) == datetime(2026, 11, 27, 13, 30)
    assert local(next_working_instant(sh(2026, 11, 27, 17, 30), CAL)) == datetime(2026, 11, 30, 8, 30)
    # The last minute before lunch ends at 12:00: the deadline is 12:00, not 13:30.
    assert local(add_working_minutes(sh(2026, 11, 27, 11, 0), 60, CAL)) == datetime(2026, 11, 27, 12, 0)
    assert local(add_working_minutes(sh(2026, 11, 27, 11, 0), 61, CAL)) == datetime(2026, 11, 27, 13, 31)
    # Zero minutes from a night instant: the next working minute.
    assert local(add_working_minutes(sh(2026, 11, 27, 22, 0), 0, CAL)) == datetime(2026, 11, 30, 8, 30)
    assert working_minutes_between(sh(2026, 11, 27, 12, 0), sh(2026, 11, 27, 11, 0), CAL) == 0


def test_ticket_created_on_a_holiday_starts_on_the_next_working_minute():
    created = sh(2026, 10, 3, 14, 12, 33)
    assert local(next_working_instant(created, CAL)) == datetime(2026, 10, 8, 8, 30)
    assert local(add_working_minutes(created, 30, CAL)) == datetime(2026, 10, 8, 9, 0)


def test_pause_over_a_weekend_adds_nothing_and_a_working_pause_adds_exactly_its_length():
    deadline = sh(2026, 11, 30, 10, 0)
    assert extend_for_pause(deadline, sh(2026, 11, 28, 9), sh(2026, 11, 29, 18), CAL) == deadline
    # Paused Friday 17:00 → Monday 09:00: 30 + 30 working minutes.
    new = extend_for_pause(deadline, sh(2026, 11, 27, 17), sh(2026, 11, 30, 9), CAL)
    assert local(new) == datetime(2026, 11, 30, 11, 0)
    # resumed before paused: nothing
    assert extend_for_pause(deadline, sh(2026, 11, 30, 9), sh(2026, 11, 27, 9), CAL) == deadline


def test_around_the_clock_when_no_calendar():
    start = sh(2026, 10, 1, 23, 50)
    assert local(add_working_minutes(start, 30, None)) == datetime(2026, 10, 2, 0, 20)
    assert working_minutes_between(start, start + timedelta(hours=2), None) == 120
    assert next_working_instant(start, None) == start


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError):
        add_working_minutes(datetime(2026, 1, 5, 9), 10, CAL)  # naive
    with pytest.raises(ValueError):
        add_working_minutes(sh(2026, 1, 5, 9), -1, CAL)
    with pytest.raises(ValueError):
        parse_periods("12:00-08:00")
    with pytest.raises(ValueError):
        parse_periods("08:00-12:00,11:00-13:00")
    with pytest.raises(ValueError):
        parse_periods("nonsense")
    with pytest.raises(ValueError):
        WorkingCalendar(periods=())
    assert parse_periods(" 8:30-12:00 ，13:30-17:30") == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))


def test_contract_defaults_construct_a_plain_calendar():
    cal = WorkingCalendar(SHANGHAI, ((time(9), time(17)),), {date(2026, 10, 10): True}, frozenset({2027}))
    assert cal.is_working_day(date(2026, 10, 10)) and not cal.is_working_day(date(2026, 10, 11))
    assert cal.warnings() == ["2027: adjusted working days unknown; using weekends and statutory holidays"]


# --- properties ---------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(instants, minutes)
@example(datetime(2025, 12, 1, 6, 0, 0, 1, tzinfo=UTC), 210)  # ends 08:30:00.000001 local, next morning
def test_deadline_never_falls_inside_non_working_time(start, m):
    deadline = add_working_minutes(start, m, CAL)
    assert deadline >= start
    assert deadline.tzinfo is not None and deadline.utcoffset() == timedelta(0)
    assert in_closed_working_period(deadline, CAL)
    if m > 0:
        # the end of a run of working time: the instant before it was working time (a microsecond,
        # not a second: a start a microsecond past the minute ends a microsecond into a period)
        assert is_working_time(deadline - timedelta(microseconds=1), CAL)


@settings(max_examples=200, deadline=None)
@given(instants, minutes, minutes)
def test_adding_m_then_n_equals_adding_m_plus_n(start, m, n):
    assert add_working_minutes(add_working_minutes(start, m, CAL), n, CAL) == add_working_minutes(start, m + n, CAL)


@settings(max_examples=200, deadline=None)
@given(instants, minutes)
def test_minutes_between_inverts_add(start, m):
    s = next_working_instant(start, CAL)  # s in working time
    assert working_minutes_between(s, add_working_minutes(s, m, CAL), CAL) == m
    # from any instant, too: the time before the first working minute does not count
    assert working_minutes_between(start, add_working_minutes(start, m, CAL), CAL) == m


@settings(max_examples=200, deadline=None)
@given(instants, minutes, instants, instants)
def test_pause_never_shortens_and_extends_by_exactly_the_paused_working_time(start, m, a, b):
    deadline = add_working_minutes(start, m, CAL)
    paused, resumed = min(a, b), max(a, b)
    new = extend_for_pause(deadline, paused, resumed, CAL)
    assert new >= deadline
    assert in_closed_working_period(new, CAL)
    from core.calendar.services import working_time_between
    assert working_time_between(deadline, new, CAL) == working_time_between(paused, resumed, CAL)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
       st.times(), minutes)
def test_ticket_created_on_a_non_working_day_starts_on_the_next_working_minute(day, t, m):
    created = datetime.combine(day, t, tzinfo=SHANGHAI)
    if CAL.is_working_day(day):
        return
    start = next_working_instant(created, CAL)
    start_local = start.astimezone(SHANGHAI)
    assert CAL.is_working_day(start_local.date()) and start_local.time() == time(8, 30)
    # no working day between
    d = day + timedelta(days=1)
    while d < start_local.date():
        assert not CAL.is_working_day(d)
        d += timedelta(days=1)
    assert add_working_minutes(created, m, CAL) == add_working_minutes(start, m, CAL)


@settings(max_examples=100, deadline=None)
@given(instants, instants, instants)
def test_minutes_between_is_additive(a, b, c):
    from core.calendar.services import working_time_between
    x, y, z = sorted((a, b, c))
    assert working_time_between(x, z, CAL) == working_time_between(x, y, CAL) + working_time_between(y, z, CAL)


@st.composite
def calendars(draw):
    """Random working periods (1–3, minute resolution) and random holiday/调休 overrides."""
    cuts = sorted(draw(st.sets(st.integers(min_value=0, max_value=24 * 60 - 1), min_size=2, max_size=6)))
    if len(cuts) % 2:
        cuts = cuts[:-1]
    periods = tuple((time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in zip(cuts[::2], cuts[1::2], strict=True))
    days = draw(st.dictionaries(st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 3, 31)),
                                st.booleans(), max_size=30))
    return WorkingCalendar(SHANGHAI, periods, days, frozenset())


@settings(max_examples=200, deadline=None)
@given(calendars(), st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 3, 31),
                                 timezones=st.just(SHANGHAI)), st.integers(0, 3000), st.integers(0, 3000))
def test_properties_hold_for_any_calendar(cal, start, m, n):
    deadline = add_working_minutes(start, m, cal)
    assert in_closed_working_period(deadline, cal)
    assert add_working_minutes(deadline, n, cal) == add_working_minutes(start, m + n, cal)
    assert working_minutes_between(start, deadline, cal) == m
    assert extend_for_pause(deadline, start, deadline, cal) == add_working_minutes(start, 2 * m, cal)
