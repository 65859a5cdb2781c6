"""Pure rules: ages and groups, the registration window, the festival planner."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core import Invalid
from plugins.culture_events import services as s

DAY = dt.date(2026, 11, 27)


def test_age_birthday_today_counts_tomorrow_does_not():
    assert s.age_on(dt.date(1966, 11, 27), DAY) == 60
    assert s.age_on(dt.date(1966, 11, 28), DAY) == 59


def test_elderly_from_60_on_the_birthday_itself():
    assert "elderly" in s.eligible_groups(s.age_on(dt.date(1966, 11, 27), DAY))
    assert "elderly" not in s.eligible_groups(s.age_on(dt.date(1966, 11, 28), DAY))


def test_child_until_the_14th_birthday():
    assert s.needs_guardian(dt.date(2012, 11, 28), DAY)  # turns 14 tomorrow
    assert not s.needs_guardian(dt.date(2012, 11, 27), DAY)  # 14 today
    assert not s.needs_guardian(None, DAY)


def test_leap_day_birthday():
    assert s.age_on(dt.date(2012, 2, 29), dt.date(2026, 2, 28)) == 13
    assert s.age_on(dt.date(2012, 2, 29), dt.date(2026, 3, 1)) == 14


def test_check_age_refuses_a_child_at_an_elderly_event():
    with pytest.raises(Invalid) as exc:
        s.check_age(dt.date(2018, 1, 1), DAY, ["elderly"])
    assert exc.value.code == "age_group"
    s.check_age(dt.date(1950, 1, 1), DAY, ["elderly"])
    s.check_age(dt.date(2018, 1, 1), DAY, ["all"])
    s.check_age(dt.date(2018, 1, 1), DAY, ["children", "elderly"])


def test_check_age_without_birth_date_refused_unless_for_all():
    with pytest.raises(Invalid):
        s.check_age(None, DAY, ["adults"])
    s.check_age(None, DAY, ["all"])


def test_youth_and_adults_overlap_and_limits_move():
    assert {"youth", "adults"} <= s.eligible_groups(25)
    assert s.report_group(25) == "youth"
    assert s.report_group(36) == "adults"
    assert s.report_group(13) == "children"
    assert s.report_group(None) == "unknown"
    limits = s.AgeLimits(elderly_from=65)
    assert s.report_group(62, limits) == "adults"
    assert "elderly" not in s.eligible_groups(62, limits)


@given(st.integers(min_value=0, max_value=120))
def test_report_group_is_one_of_the_eligible_groups(age):
    assert s.report_group(age) in s.eligible_groups(age)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2026, 11, 27)))
def test_age_matches_completed_years(birth):
    age = s.age_on(birth, DAY)
    assert age >= 0
    # the last birthday lies within the past year
    try:
        last = birth.replace(year=birth.year + age)
    except ValueError:
        last = dt.date(birth.year + age, 3, 1)
    assert last <= DAY
    assert DAY - last < dt.timedelta(days=366)


def test_window_edges():
    opens = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    closes = dt.datetime(2026, 9, 10, tzinfo=dt.UTC)
    assert s.window_state(opens, closes, opens - dt.timedelta(seconds=1)) == "not_open"
    assert s.window_state(opens, closes, opens) == "open"
    assert s.window_state(opens, closes, closes - dt.timedelta(seconds=1)) == "open"
    assert s.window_state(opens, closes, closes) == "closed"


@pytest.mark.parametrize(("code", "year", "expected"), [
    ("spring", 2026, dt.date(2026, 2, 17)), ("lantern", 2026, dt.date(2026, 3, 3)),
    ("mid_autumn", 2026, dt.date(2026, 9, 25)), ("double_ninth", 2026, dt.date(2026, 10, 18)),
    ("spring", 2027, dt.date(2027, 2, 6)), ("lantern", 2027, dt.date(2027, 2, 20)),
    ("mid_autumn", 2027, dt.date(2027, 9, 15)), ("double_ninth", 2027, dt.date(2027, 10, 8)),
    ("dragon_boat", 2026, dt.date(2026, 6, 19)), ("childrens_day", 2027, dt.date(2027, 6, 1)),
    ("christmas", 2026, dt.date(2026, 12, 25)),
])
def test_festival_dates(code, year, expected):
    assert s.festival_date(code, year) == expected


def test_lunar_festivals_use_no_deprecated_call_of_lunardate():
    # lunardate 0.3 renamed toSolarDate to to_solar_date and warns on the old name
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert s.festival_date("dragon_boat", 2026) == dt.date(2026, 6, 19)
        assert s.upcoming_festivals(DAY)


def test_upcoming_festivals_from_late_november():
    got = s.upcoming_festivals(dt.date(2026, 11, 27))
    assert [f["code"] for f in got] == ["christmas", "spring", "lantern", "childrens_day", "dragon_boat",
                                        "mid_autumn", "double_ninth"]
    assert got[0]["days_away"] == 28
    double_ninth = got[-1]
    assert double_ninth["date"] == dt.date(2027, 10, 8) and double_ninth["age_groups"] == ["elderly"]


def test_upcoming_festivals_include_today_and_respect_days():
    got = s.upcoming_festivals(dt.date(2026, 9, 25), days=1)
    assert [f["code"] for f in got] == ["mid_autumn"]


def test_ics_folding_keeps_utf8_whole():
    line = "SUMMARY:" + "中秋晚会" * 20
    parts = s._ics_fold(line)
    assert all(len(p.encode()) <= 75 for p in parts)
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line
