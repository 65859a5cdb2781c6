"""The pure rules: eligibility, daily training caps, exam scoring, levels — both sides of each edge."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.security_guard import services as r

RULES = r.SelectionRules()
TODAY = dt.date(2026, 11, 27)


def applicant(**kw):
    base = dict(birth_date=dt.date(1990, 1, 1), nationality="CHN", education="junior_high",
                health_certificate_no="HC1", health_certificate_valid_until=TODAY + dt.timedelta(days=30),
                exam_score=75, certificate_no=None, vetting_outcome="passed", revocations=())
    return r.Applicant(**{**base, **kw})


def result(a, on=TODAY, rules=RULES):
    return {c.code: c for c in r.check_eligibility(a, on, rules)}


def test_a_complete_applicant_passes_every_criterion():
    res = result(applicant())
    assert all(c.passed for c in res.values()), res
    assert set(res) == {"age", "education", "health", "citizenship", "guard_exam", "certificate", "revocation"}


def test_eighteen_today_passes_and_eighteen_tomorrow_fails():
    assert result(applicant(birth_date=dt.date(2008, 11, 27)))["age"].passed
    c = result(applicant(birth_date=dt.date(2008, 11, 28)))["age"]
    assert not c.passed
    assert "2026-11-28" in c.reason


def test_born_on_29_february_turns_18_on_1_march_in_a_common_year():
    born = dt.date(2008, 2, 29)
    assert not result(applicant(birth_date=born), on=dt.date(2026, 2, 28))["age"].passed
    assert result(applicant(birth_date=born), on=dt.date(2026, 3, 1))["age"].passed


def test_minimum_age_comes_from_the_rules():
    rules = r.SelectionRules(min_age=20)
    assert not result(applicant(birth_date=dt.date(2007, 1, 1)), rules=rules)["age"].passed


def test_missing_birth_date_fails_with_a_reason():
    c = result(applicant(birth_date=None))["age"]
    assert not c.passed and c.reason


@pytest.mark.parametrize(("level", "ok"), [("primary", False), ("none", False), ("junior_high", True),
                                           ("senior_high", True), ("bachelor", True), (None, False)])
def test_education_junior_high_or_more(level, ok):
    assert result(applicant(education=level))["education"].passed is ok


def test_health_certificate_valid_on_its_last_day_and_not_after():
    assert result(applicant(health_certificate_valid_until=TODAY))["health"].passed
    assert not result(applicant(health_certificate_valid_until=TODAY - dt.timedelta(days=1)))["health"].passed
    assert not result(applicant(health_certificate_no=None))["health"].passed


def test_citizenship():
    assert result(applicant(nationality="chn"))["citizenship"].passed
    assert not result(applicant(nationality="USA"))["citizenship"].passed


def test_guard_exam_missing_below_and_at_the_pass_mark():
    missing = result(applicant(exam_score=None))["guard_exam"]
    assert not missing.passed and "No guard exam" in missing.reason
    assert not result(applicant(exam_score=59))["guard_exam"].passed
    assert result(applicant(exam_score=60))["guard_exam"].passed


def test_certificate_needs_its_verification_or_a_first_time_vetting_outcome():
    verified = dict(certificate_no="G123", certificate_verified_by="李主管", certificate_verified_on=TODAY,
                    certificate_verify_method="police_portal", vetting_outcome=None)
    assert result(applicant(**verified))["certificate"].passed
    assert not result(applicant(**{**verified, "certificate_verified_by": None}))["certificate"].passed
    assert not result(applicant(vetting_outcome="pending"))["certificate"].passed
    assert not result(applicant(vetting_outcome="refused"))["certificate"].passed
    assert not result(applicant(vetting_outcome=None))["certificate"].passed


def test_revocation_exactly_three_years_ago_passes_a_day_short_fails():
    assert result(applicant(revocations=(dt.date(2023, 11, 27),)))["revocation"].passed
    c = result(applicant(revocations=(dt.date(2023, 11, 28),)))["revocation"]
    assert not c.passed and "2026-11-28" in c.reason


def test_a_second_revocation_bars_even_when_long_ago():
    c = result(applicant(revocations=(dt.date(2010, 1, 1), dt.date(2015, 1, 1))))["revocation"]
    assert not c.passed and "2" in c.reason


def test_revocation_wait_comes_from_the_rules():
    rules = r.SelectionRules(revocation_wait_years=5)
    assert not result(applicant(revocations=(dt.date(2023, 1, 1),)), rules=rules)["revocation"].passed


@given(st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2030, 12, 31)),
       st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2060, 12, 31)))
def test_age_is_never_negative_and_grows_by_one_on_the_birthday(born, day):
    if day < born:
        return
    age = r.age_on(born, day)
    assert age >= 0
    birthday = r.add_years(born, age + 1)
    assert r.age_on(born, birthday) == age + 1
    assert r.age_on(born, birthday - dt.timedelta(days=1)) == age


def test_pipeline_moves():
    assert r.allowed_moves("applied") == ("screened", "rejected")
    assert r.allowed_moves("accepted") == ()
    assert r.interview_average([70, 85]) == Decimal("77.5")
    assert r.interview_average([]) is None


# -- training caps -----------------------------------------------------------------------------

T = r.TrainingRules()


def test_theory_up_to_six_hours_a_day_not_seven():
    assert r.daily_cap_problem("theory", 2, {"theory": 4}, T) is None
    assert r.daily_cap_problem("theory", 3, {"theory": 4}, T) is not None


def test_practice_up_to_three_hours_a_day_not_four():
    assert r.daily_cap_problem("practice", 3, {}, T) is None
    assert r.daily_cap_problem("practice", 1, {"practice": 3}, T) is not None


def test_both_caps_at_once():
    full = {"theory": 6, "practice": 3}
    assert r.daily_cap_problem("theory", 1, full, T) is not None
    assert r.daily_cap_problem("practice", 1, full, T) is not None
    # practice does not eat into theory, nor theory into practice
    assert r.daily_cap_problem("practice", 3, {"theory": 6}, T) is None
    assert r.daily_cap_problem("theory", 6, {"practice": 3}, T) is None


@given(st.sampled_from(["theory", "practice"]), st.integers(0, 12), st.integers(0, 12), st.integers(0, 12))
def test_a_session_fits_exactly_when_the_total_is_within_its_cap(kind, hours, theory, practice):
    cap = 6 if kind == "theory" else 3
    booked = {"theory": theory, "practice": practice}
    fits = r.daily_cap_problem(kind, hours, booked, T) is None
    assert fits == (booked[kind] + hours <= cap)


def test_standard_hours_are_45_minutes():
    assert r.session_minutes(4, T) == 180
    assert T.entry_plan_hours == 284


@given(st.integers(0, 1000), st.integers(1, 1000))
def test_progress_is_a_percentage(attended, plan):
    p = r.progress(attended, plan)
    assert Decimal(0) <= p <= Decimal(100)
    if attended >= plan:
        assert p == 100
    else:
        assert p == (Decimal(attended * 100) / plan).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


# -- assessment ------------------------------------------------------------------------------

A = r.AssessmentRules()


def test_question_marking():
    assert r.question_points("single", "1", "1", 5) == 5
    assert r.question_points("single", "1", "2", 5) == 0
    assert r.question_points("single", "1", None, 5) == 0
    assert r.question_points("multiple", ["0", "2"], ["2", "0"], 4) == 4
    assert r.question_points("multiple", ["0", "2"], ["0"], 4) == 0
    assert r.question_points("multiple", ["0", "2"], "0", 4) == 0
    assert r.question_points("true_false", True, True, 2) == 2
    assert r.question_points("true_false", True, "true", 2) == 0


def test_pass_mark_60_of_100():
    assert r.passed(r.exam_score(60, 100), A)
    assert not r.passed(r.exam_score(59, 100), A)
    assert r.exam_score(2, 3) == Decimal("66.7")
    assert r.exam_score(1, 8) == Decimal("12.5")


@given(st.integers(1, 500), st.data())
def test_exam_score_is_within_0_and_100_and_monotonic(possible, data):
    earned = data.draw(st.integers(0, possible))
    score = r.exam_score(earned, possible)
    assert Decimal(0) <= score <= Decimal(100)
    assert (score == 100) == (earned == possible)
    if earned < possible:
        assert r.exam_score(earned + 1, possible) >= score


def test_levels_five_to_one_and_promotion_requirements():
    assert [r.LEVEL_NAMES[x] for x in r.LEVELS] == ["五级", "四级", "三级", "二级", "一级"]
    since = dt.date(2025, 11, 27)
    assert r.promotion_problems(5, since, TODAY, Decimal(80), A) == []
    assert len(r.promotion_problems(5, since + dt.timedelta(days=1), TODAY, Decimal(80), A)) == 1
    assert len(r.promotion_problems(5, since, TODAY, Decimal("79.9"), A)) == 1
    assert len(r.promotion_problems(5, since, TODAY, None, A)) == 1
    assert r.promotion_problems(1, since, TODAY, Decimal(100), A)  # no level above 一级


def test_quarterly_reassessment():
    assert r.reassessment_due(dt.date(2026, 1, 31), A) == dt.date(2026, 4, 30)
    assert r.reassessment_due(dt.date(2026, 11, 15), A) == dt.date(2027, 2, 15)
    assert r.reassessment_due(None, A) is None


def test_missed_checkpoints_keep_route_order():
    assert r.missed_checkpoints([3, 1, 2], {1}) == [3, 2]
