"""The 无毒社区 rules, case by case on both sides of every boundary (pure functions, no database)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from plugins.drugfree import rules as r

D = dt.date(2026, 6, 15)
REG = dt.date(2015, 1, 1)


def case(*statuses, clean=None, relapses=(), lives=True, helper=None, visits=(), registered=REG, ref=1):
    return r.CaseFacts(ref=ref, registered_on=registered, statuses=tuple(statuses), clean_since=clean,
                       relapses=tuple(relapses), lives_in_area=lives, helper_assigned_on=helper,
                       visits=tuple(visits))


def ev(status, start, **kw):
    return r.StatusEvent(status, start, **kw)


def test_three_years_clean_exactly_is_stable_a_day_short_is_not():
    assert r.category(case(clean=dt.date(2023, 6, 15)), D) == r.STABLE
    assert r.category(case(clean=dt.date(2023, 6, 16)), D) == r.FORMER


def test_leap_day_start_counts_to_28_february():
    assert r.category(case(clean=dt.date(2020, 2, 29)), dt.date(2023, 2, 28)) == r.STABLE
    assert r.category(case(clean=dt.date(2020, 2, 29)), dt.date(2023, 2, 27)) == r.FORMER


def test_no_clean_start_is_a_current_user():
    assert r.category(case(ev(r.USING, REG)), D) == r.CURRENT


def test_clean_start_after_the_date_is_still_current():
    assert r.category(case(clean=D + dt.timedelta(days=1)), D) == r.CURRENT


def test_relapse_the_day_before_the_evaluation_resets_clean_time():
    c = case(clean=dt.date(2018, 1, 1), relapses=[D - dt.timedelta(days=1)])
    assert r.category(c, D) == r.FORMER
    assert r.category(c, D - dt.timedelta(days=2)) == r.STABLE


def test_relapse_before_the_clean_start_is_ignored():
    assert r.category(case(clean=dt.date(2020, 1, 1), relapses=[dt.date(2019, 5, 1)]), D) == r.STABLE


def test_back_to_use_after_the_clean_start_is_a_current_user_again():
    clean = dt.date(2019, 1, 1)
    assert r.category(case(ev(r.USING, clean + dt.timedelta(days=1)), clean=clean), D) == r.CURRENT
    assert r.category(case(ev(r.USING, clean), clean=clean), D) == r.STABLE  # last use the day 戒断 began
    assert r.category(case(ev(r.USING, dt.date(2018, 5, 1)), clean=clean), D) == r.STABLE
    # not yet on the date: the status starts after it
    assert r.category(case(ev(r.USING, D + dt.timedelta(days=1)), clean=clean), D) == r.STABLE
    # a later 戒断 start (recorded by the officer) makes them a former user again
    assert r.category(case(ev(r.USING, dt.date(2025, 1, 1)), clean=dt.date(2025, 2, 1)), D) == r.FORMER


def test_back_to_use_is_judged_from_the_clean_start_a_relapse_restarted():
    relapse = dt.date(2024, 5, 1)
    back = case(ev(r.USING, relapse + dt.timedelta(days=1)), clean=dt.date(2019, 1, 1), relapses=[relapse])
    assert r.category(back, D) == r.CURRENT
    before = case(ev(r.USING, relapse - dt.timedelta(days=1)), clean=dt.date(2019, 1, 1), relapses=[relapse])
    assert r.category(before, D) == r.FORMER


def test_sentenced_three_years_excludes_two_years_does_not():
    assert r.category(case(ev(r.SENTENCED, dt.date(2025, 1, 1), sentence_months=36)), D) == r.SENTENCED
    assert r.category(case(ev(r.SENTENCED, dt.date(2025, 1, 1), sentence_months=35)), D) == r.CURRENT
    assert r.category(case(ev(r.SENTENCED, dt.date(2025, 1, 1), sentence_months=24)), D) == r.CURRENT


def test_compulsory_isolation_never_excludes():
    for months in (24, 36):
        assert r.category(case(ev(r.COMPULSORY, dt.date(2025, 1, 1), sentence_months=months)), D) == r.CURRENT


def test_missing_exactly_four_years_excludes_a_day_short_does_not():
    assert r.category(case(ev(r.MISSING, dt.date(2022, 6, 15))), D) == r.MISSING
    assert r.category(case(ev(r.MISSING, dt.date(2022, 6, 16))), D) == r.CURRENT


def test_abroad_and_dead_excluded():
    assert r.category(case(ev(r.ABROAD, dt.date(2026, 1, 1))), D) == r.ABROAD
    assert r.category(case(ev(r.DEAD, dt.date(2026, 1, 1))), D) == r.DEAD


def test_moved_out_excluded_only_when_no_longer_living_there():
    assert r.category(case(ev(r.MOVED_OUT, dt.date(2026, 1, 1)), lives=False), D) == r.MOVED_OUT
    assert r.category(case(ev(r.MOVED_OUT, dt.date(2026, 1, 1)), lives=True), D) == r.CURRENT


def test_a_later_status_replaces_an_exclusion():
    c = case(ev(r.ABROAD, dt.date(2024, 1, 1)), ev(r.USING, dt.date(2026, 1, 1)))
    assert r.category(c, dt.date(2025, 1, 1)) == r.ABROAD
    assert r.category(c, D) == r.CURRENT


def test_not_yet_registered_is_not_counted():
    assert r.category(case(registered=D + dt.timedelta(days=1)), D) is None


def test_reporting_within_fifteen_days():
    start = dt.date(2026, 6, 1)
    assert r.reporting_state(case(ev(r.COMMUNITY_DETOX, start, reported_on=start + dt.timedelta(days=15))),
                             dt.date(2026, 7, 1)) == "in_time"
    assert r.reporting_state(case(ev(r.COMMUNITY_DETOX, start, reported_on=start + dt.timedelta(days=16))),
                             dt.date(2026, 7, 1)) == "late"
    assert r.reporting_state(case(ev(r.COMMUNITY_DETOX, start)), start + dt.timedelta(days=15)) == "pending"
    assert r.reporting_state(case(ev(r.COMMUNITY_DETOX, start)), start + dt.timedelta(days=16)) == "overdue"
    assert r.reporting_state(case(ev(r.USING, start)), D) is None


def returnee(helper=None, visits=()):
    return case(ev(r.COMPULSORY, dt.date(2024, 1, 1), sentence_months=24), ev(r.RELEASED, dt.date(2026, 1, 1)),
                clean=dt.date(2024, 1, 1), helper=helper, visits=visits)


def test_aftercare_helper_within_fifteen_days_and_a_visit_a_month():
    monthly = [dt.date(2026, m, 10) for m in range(1, 7)]
    assert r.aftercare_problem(returnee(dt.date(2026, 1, 16), monthly), D) is None
    assert r.aftercare_problem(returnee(dt.date(2026, 1, 17), monthly), D) == "late_helper"
    assert r.aftercare_problem(returnee(None), dt.date(2026, 1, 16)) is None  # still within the days
    assert r.aftercare_problem(returnee(None), dt.date(2026, 1, 17)) == "no_helper"
    gap = [d for d in monthly if d.month != 3]
    assert r.aftercare_problem(returnee(dt.date(2026, 1, 2), gap), D) == "missed_visits"


def test_no_returnee_without_custody():
    assert r.returned_on(case(ev(r.USING, REG)), D) is None


def full(cases, on=D, incidents=0):
    s = r.summarise(cases, on, incidents)
    return s, r.evaluate(s, on)


def passed(evaluation):
    return {c.code: c.passed for c in evaluation.checks}


def test_meets_when_everyone_is_stable_or_excluded():
    s, e = full([case(clean=dt.date(2020, 1, 1), ref=1), case(ev(r.DEAD, dt.date(2024, 1, 1)), ref=2)])
    assert e.meets, passed(e)
    assert (s.registered, s.stable, s.dead) == (2, 1, 1)


def test_not_yet_with_a_current_user_and_the_person_behind_it():
    s, e = full([case(ev(r.USING, REG), ref=7)])
    assert not e.meets
    assert passed(e)["no_current_users"] is False
    assert s.people["current"] == [7]


def test_former_not_yet_stable_fails_standard_two_only():
    _s, e = full([case(clean=dt.date(2025, 1, 1))])
    assert passed(e)["no_current_users"] and not passed(e)["former_users_stable"]


def test_new_user_this_year_fails_the_target():
    _s, e = full([case(clean=dt.date(2019, 1, 1), registered=dt.date(2026, 1, 1))])
    assert passed(e)["no_new_users"] is False


def test_incident_fails_standard_three():
    assert passed(full([], incidents=1)[1])["no_trafficking"] is False
    assert full([])[1].meets


def test_relapse_rate_must_fall_and_no_relapse_in_either_year_holds():
    people = [case(clean=dt.date(2025, 1, 1), ref=i) for i in range(4)]
    assert passed(full(people)[1])["relapse_falling"]
    rel_last = [case(clean=dt.date(2024, 1, 1), relapses=[dt.date(2025, 3, 1)], ref=9)]
    s, e = full(people + rel_last)
    assert passed(e)["relapse_falling"] and s.relapses_last_year == 1
    rel_now = [case(clean=dt.date(2024, 1, 1), relapses=[dt.date(2026, 3, 1)], ref=10)]
    s, e = full(people + rel_now)
    assert not passed(e)["relapse_falling"] and s.people["relapsed_this_year"] == [10]


def test_relapse_rate_compares_with_the_same_period_last_year():
    people = [case(clean=dt.date(2024, 1, 1), ref=i) for i in range(4)]
    same_day = [case(clean=dt.date(2024, 1, 1), relapses=[dt.date(2025, 6, 15)], ref=8)]
    later = [case(clean=dt.date(2024, 1, 1), relapses=[dt.date(2025, 6, 16)], ref=9)]
    now = [case(clean=dt.date(2024, 1, 1), relapses=[dt.date(2026, 2, 1)], ref=10)]
    s, e = full(people + same_day + now)  # one relapse in each period: not falling
    assert s.relapses_last_year == 1 and not passed(e)["relapse_falling"]
    s, e = full(people + later + now)  # last year's came after 15 June: not in the period
    assert s.relapses_last_year == 0 and not passed(e)["relapse_falling"]
    s, e = full(people + later)  # none in either period
    assert s.relapses_last_year == 0 and passed(e)["relapse_falling"]
    leap = r.summarise([case(clean=dt.date(2020, 1, 1), relapses=[dt.date(2023, 2, 28)])], dt.date(2024, 2, 29))
    assert leap.relapses_last_year == 1  # 29 February looks back to 28 February


def test_indicators():
    s, e = full([case(ev(r.MISSING, dt.date(2025, 1, 1)), ref=1), case(clean=dt.date(2020, 1, 1), ref=2),
                 case(clean=dt.date(2025, 1, 1), ref=3)])
    assert e.indicators["consolidation_rate"] == 0.5
    assert e.indicators["control_rate"] == 0.5  # 2 monitored, 1 missing
    assert e.indicators["execution_rate"] is None


def test_contradictions():
    assert r.contradictions(r.Summary(registered=2, former=2, stable=1)) == {}
    bad = r.contradictions(r.Summary(registered=1, former=1, stable=3))
    assert "stable" in bad
    assert "registered" in r.contradictions(r.Summary(registered=5, current=1))
    assert "current" in r.contradictions(r.Summary(current=-1, registered=-1))
    assert "returnees_ok" in r.contradictions(r.Summary(registered=1, current=1, returnees=1, returnees_ok=2))


def test_suppress_small_cells():
    assert [r.suppress(v, 3) for v in (0, 1, 2, 3)] == [0, "<3", "<3", 3]


def test_validation():
    today = D
    assert r.validate_clean_since(dt.date(2026, 1, 1), dt.date(2026, 2, 1), today) == "before_last_use"
    assert r.validate_clean_since(dt.date(2026, 2, 1), dt.date(2026, 2, 1), today) is None
    assert r.validate_clean_since(today + dt.timedelta(days=1), None, today) == "in_future"
    assert r.validate_status(ev(r.USING, today + dt.timedelta(days=1)), today) == "in_future"
    assert r.validate_status(ev(r.USING, today), today) is None
    assert r.validate_status(ev("flying", today), today) == "unknown_status"
    assert r.validate_status(ev(r.SENTENCED, today), today) == "length_required"
    assert r.validate_status(ev(r.COMPULSORY, today, sentence_months=37), today) == "compulsory_too_long"


@given(st.lists(st.sampled_from([r.USING, r.ABROAD, r.DEAD, r.MISSING, r.COMMUNITY_REHAB]), max_size=6),
       st.integers(0, 4000), st.booleans())
def test_summary_is_always_consistent(kinds, clean_days, lives):
    cases = [case(ev(k, dt.date(2018, 1, 1) + dt.timedelta(days=90 * i)),
                  clean=dt.date(2015, 1, 1) + dt.timedelta(days=clean_days), lives=lives, ref=i)
             for i, k in enumerate(kinds)]
    s = r.summarise(cases, D)
    assert r.contradictions(s) == {}
    assert s.registered == len(cases)


@given(st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)), st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)),
       st.integers(1, 6))
def test_years_before_is_the_last_day_with_the_years_done(day, on, years):
    assert (r.add_years(day, years) <= on) == (day <= r.years_before(on, years))


def test_years_before_around_leap_days():
    assert r.years_before(dt.date(2027, 2, 28), 3) == dt.date(2024, 2, 29)  # 29 Feb 2024 + 3 years = 28 Feb 2027
    assert r.years_before(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)
    assert r.years_before(dt.date(2028, 2, 28), 4) == dt.date(2024, 2, 28)  # 29 Feb 2024 + 4 years = 29 Feb 2028
    assert r.years_before(dt.date(3, 6, 1), 3) is None  # no day of the calendar is 3 years before
    assert r.category(case(ev(r.MISSING, dt.date(1, 1, 1)), registered=dt.date(1, 1, 1)), dt.date(3, 6, 1)) == r.CURRENT


def months_walk(back, on, visits, per_month):
    """The month check spelt out: every whole month since the return, one window after another."""
    month, lo = 0, back
    while (hi := r.add_months(back, month + 1)) <= on:
        if sum(1 for v in visits if lo <= v < hi) < per_month:
            return "missed_visits"
        month, lo = month + 1, hi
    return None


@given(st.dates(dt.date(2023, 1, 1), dt.date(2025, 12, 31)), st.integers(0, 900),
       st.lists(st.integers(-40, 1000), max_size=40), st.integers(0, 2))
def test_visit_months_counted_as_a_month_by_month_walk(back, days, offsets, per_month):
    on = back + dt.timedelta(days=days)
    visits = [back + dt.timedelta(days=o) for o in offsets]
    c = case(ev(r.COMPULSORY, back - dt.timedelta(days=400), sentence_months=24), ev(r.RELEASED, back),
             helper=back, visits=visits)
    limits = r.Limits(visits_per_month=per_month)
    assert r.aftercare_problem(c, on, limits) == months_walk(back, on, visits, per_month)


def test_months_since_at_month_ends():
    assert r.months_since(dt.date(2026, 1, 31), dt.date(2026, 2, 27)) == 0
    assert r.months_since(dt.date(2026, 1, 31), dt.date(2026, 2, 28)) == 1  # add_months gives 28 February
    assert r.months_since(dt.date(2026, 1, 31), dt.date(2026, 3, 30)) == 1
    assert r.months_since(dt.date(2026, 1, 31), dt.date(2026, 3, 31)) == 2
    assert r.months_since(dt.date(2026, 1, 15), dt.date(2026, 1, 15)) == 0


DAYS = st.dates(dt.date(2020, 1, 1), dt.date(2027, 6, 30))
EVENTS = st.lists(st.tuples(st.sampled_from(r.STATUSES), DAYS, st.sampled_from([None, 12, 24, 36, 48]),
                            st.one_of(st.none(), DAYS)), max_size=4)
CASES = st.lists(st.tuples(DAYS, EVENTS, st.one_of(st.none(), DAYS), st.lists(DAYS, max_size=3), st.booleans(),
                           st.one_of(st.none(), DAYS), st.lists(DAYS, max_size=30)), max_size=8)


@given(CASES, DAYS)
def test_summary_counts_what_the_case_rules_say(rows, on):
    cases = [r.CaseFacts(i, registered, tuple(r.StatusEvent(*e) for e in sorted(events, key=lambda e: e[1])), clean,
                         tuple(relapses), lives, helper, tuple(visits))
             for i, (registered, events, clean, relapses, lives, helper, visits) in enumerate(rows)]
    s = r.summarise(cases, on)
    cats = {c.ref: r.category(c, on) for c in cases}
    assert s.registered == sum(1 for v in cats.values() if v is not None)
    for name in (r.CURRENT, r.STABLE, *r.EXCLUDED_REASONS):
        assert s.people.get(name if name in (r.CURRENT, r.STABLE) else f"excluded_{name}", []) == [
            ref for ref, v in cats.items() if v == name]
    assert s.former == sum(1 for v in cats.values() if v in (r.FORMER, r.STABLE))
    dynamic = [c for c in cases if cats[c.ref] in (r.CURRENT, r.FORMER)]
    returnees = [c for c in dynamic if r.returned_on(c, on) is not None]
    assert s.returnees == len(returnees)
    assert s.returnees_ok == sum(1 for c in returnees if r.aftercare_problem(c, on) is None)
    assert s.orders_due == sum(1 for c in dynamic if r.reporting_state(c, on) in ("in_time", "late", "overdue"))
    assert s.missing_recent == sum(1 for c in dynamic if (e := r.status_on(c, on)) and e.status == r.MISSING)
    a_year_ago = r.years_before(on, 1)
    assert s.relapses_last_year == sum(1 for c in cases for d in c.relapses
                                       if dt.date(on.year - 1, 1, 1) <= d <= a_year_ago)
    assert s.relapses_this_year == sum(1 for c in cases for d in c.relapses if dt.date(on.year, 1, 1) <= d <= on)
    for day, count in ((dt.date(on.year, 1, 1), s.monitored_start_this_year),
                       (dt.date(on.year - 1, 1, 1), s.monitored_start_last_year)):
        assert count == sum(1 for c in cases if r.category(c, day) in (r.CURRENT, r.FORMER))
