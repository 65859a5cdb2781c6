"""Property tests of the ticket clocks (core.tickets.services deadline functions over core.calendar)."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.calendar.services import in_closed_working_period
from core.tickets import services

instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 20),
                        timezones=st.just(dt.UTC))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(start=instants, minutes=st.integers(min_value=1, max_value=5000))
def test_working_deadline_never_falls_in_non_working_time(db, start, minutes):
    cal = services.working_calendar(None)
    due = services.deadline(start, minutes, False, cal)
    assert due > start
    assert in_closed_working_period(due, cal)


@SETTINGS
@given(start=instants, minutes=st.integers(min_value=0, max_value=5000))
def test_around_the_clock_counts_every_minute(db, start, minutes):
    assert services.deadline(start, minutes, True, None) == start + dt.timedelta(minutes=minutes)


@SETTINGS
@given(due=instants, paused=instants, length=st.integers(min_value=0, max_value=20000), atc=st.booleans())
def test_pause_and_resume_never_shorten_a_deadline(db, due, paused, length, atc):
    cal = services.working_calendar(None)
    resumed = paused + dt.timedelta(minutes=length)
    new = services.extended(due, paused, resumed, atc, cal)
    assert new >= due
    minutes = services.paused_minutes(paused, resumed, atc, cal)
    assert 0 <= minutes <= length
    if atc:
        assert new - due == resumed - paused


def test_a_ticket_created_on_a_holiday_starts_on_the_next_working_minute(db):
    cal = services.working_calendar(None)
    national_day = dt.datetime(2026, 10, 2, 3, 0, tzinfo=dt.UTC)  # 国庆 holiday
    due = services.deadline(national_day, 30, False, cal)
    assert due.astimezone(dt.timezone(dt.timedelta(hours=8))).date() >= dt.date(2026, 10, 8)
