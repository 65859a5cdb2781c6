"""The officer reads words, not codes: every code the rules give has a label, the case list and the
case page show them in Chinese, and wording that names a figure shows the area's own figure."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.notices.models import Notice
from core.plugins import collect
from core.settings.services import set_value
from plugins.drugfree import labels, rules, services

TODAY = dt.date.today()
CODES = ("using", "community_detox", "community_rehab", "compulsory", "sentenced", "abroad", "moved_out", "dead",
         "missing", "released", "current", "former", "stable", "in_time", "late", "overdue", "pending",
         "no_helper", "late_helper", "missed_visits")


def visible_text(html: str) -> str:
    """What a reader sees: the page without tags (option values and attributes are not read)."""
    return re.sub(r"<[^>]+>", " ", html)


def raw_codes(html: str) -> list[str]:
    text = visible_text(html)
    return [code for code in CODES if re.search(rf"\b{code}\b", text)]


def _event(status, start, months=None, reported=None):
    return rules.StatusEvent(status, start, months, reported)


def test_every_code_the_rules_give_has_a_label():
    on = dt.date(2024, 6, 1)
    limits = rules.Limits()
    reg = dt.date(2015, 1, 1)
    back = dt.date(2024, 1, 1)
    detox = dt.date(2024, 5, 1)
    cases = [
        rules.CaseFacts(1, reg),  # current
        rules.CaseFacts(2, reg, clean_since=dt.date(2023, 1, 1)),  # former
        rules.CaseFacts(3, reg, clean_since=dt.date(2018, 1, 1)),  # stable
        rules.CaseFacts(4, reg, (_event("abroad", reg),)),
        rules.CaseFacts(5, reg, (_event("moved_out", reg),), lives_in_area=False),
        rules.CaseFacts(6, reg, (_event("dead", reg),)),
        rules.CaseFacts(7, reg, (_event("sentenced", reg, 60),)),
        rules.CaseFacts(8, reg, (_event("missing", reg),)),
        rules.CaseFacts(9, dt.date(2024, 1, 2), (_event("missing", on),), relapses=(on,)),  # new, missing recent
        rules.CaseFacts(10, reg, (_event("community_detox", detox, None, dt.date(2024, 5, 10)),)),  # in time
        rules.CaseFacts(11, reg, (_event("community_detox", detox, None, dt.date(2024, 5, 30)),)),  # late
        rules.CaseFacts(12, reg, (_event("community_detox", detox),)),  # overdue
        rules.CaseFacts(13, reg, (_event("community_rehab", on),)),  # pending
        rules.CaseFacts(14, reg, (_event("compulsory", reg, 24), _event("released", back))),  # no helper
        rules.CaseFacts(15, reg, (_event("compulsory", reg, 24), _event("released", back)),
                        helper_assigned_on=dt.date(2024, 3, 1)),  # late helper
        rules.CaseFacts(16, reg, (_event("compulsory", reg, 24), _event("released", back)),
                        helper_assigned_on=back),  # missed visits
    ]
    categories = {rules.category(c, on, limits) for c in cases}
    reporting = {rules.reporting_state(c, on, limits) for c in cases} - {None}
    aftercare = {rules.aftercare_problem(c, on, limits) for c in cases} - {None}
    people = set(rules.summarise(cases, on, limits=limits).people)
    assert categories == {"current", "former", "stable", *rules.EXCLUDED_REASONS} == set(labels.CATEGORY_LABELS)
    assert reporting == {"in_time", "late", "overdue", "pending"} == set(labels.REPORTING_LABELS)
    assert aftercare == {"no_helper", "late_helper", "missed_visits"} == set(labels.AFTERCARE_LABELS)
    assert people == set(labels.PEOPLE_LABELS)
    checks = rules.evaluate(rules.summarise(cases, on, limits=limits), on)
    assert {c.code for c in checks.checks} == set(labels.CHECK_LABELS) == set(labels.CHECK_REASONS)
    assert set(checks.indicators) == set(labels.INDICATOR_LABELS)


@pytest.mark.parametrize("months,zh,en", [(36, "3年", "3 years"), (12, "1年", "1 year"), (30, "30个月", "30 months")])
def test_figures_read_as_years_months_and_days(app, months, zh, en):
    limits = rules.Limits(sentence_exclude_months=months, report_days=1)
    with app.test_request_context("/?lang=zh_CN"):
        assert labels.figures(limits)["sentence"] == zh
    with app.test_request_context("/?lang=en"):
        shown = labels.figures(limits)
        assert shown["sentence"] == en and shown["report"] == "1 day"


@pytest.fixture
def neighbours(make, world, db):
    """Three more residents of the world's area."""
    people = [make.resident(world["unit"]) for _ in range(3)]
    db.session.commit()
    return people


def test_case_list_and_case_page_show_labels_in_chinese(client, db, world, neighbours, open_case, login_as):
    officer = world["officer"]
    abroad = open_case()
    dead, detox, returnee = (open_case(person_id=p.id) for p in neighbours)
    services.add_status(officer, abroad, status="abroad", start=dt.date(2021, 1, 1))
    services.add_status(officer, dead, status="dead", start=dt.date(2022, 3, 1))
    services.add_status(officer, detox, status="community_detox", start=TODAY - dt.timedelta(days=30))
    services.add_status(officer, returnee, status="compulsory", start=dt.date(2021, 1, 1), sentence_months=24)
    services.add_status(officer, returnee, status="released", start=TODAY - dt.timedelta(days=40))
    db.session.commit()
    login_as(officer)

    listing = client.get(f"/drugfree/areas/{world['area'].id}/cases?lang=zh_CN").get_data(as_text=True)
    assert "不计入：出境" in listing and "不计入：死亡" in listing and "现有吸毒人员" in listing
    assert raw_codes(listing) == []

    page = client.get(f"/drugfree/cases/{dead.id}").get_data(as_text=True)
    assert re.search(r'id="case-category">\s*不计入：死亡\s*<', page)
    assert raw_codes(page) == []
    page = client.get(f"/drugfree/cases/{detox.id}").get_data(as_text=True)
    assert "15日内报到" in page
    assert re.search(r'id="case-reporting">\s*超过15日未报到\s*<', page)
    assert raw_codes(page) == []
    page = client.get(f"/drugfree/cases/{returnee.id}").get_data(as_text=True)
    assert re.search(r'id="case-aftercare">\s*回归后15日内未落实帮教人员\s*<', page)
    assert raw_codes(page) == []

    area = client.get(f"/drugfree/areas/{world['area'].id}").get_data(as_text=True)
    assert "不计入：出境" in area and "不计入：死亡" in area and "超过15日未报到" in area
    assert raw_codes(area) == []


def test_area_wording_shows_the_figures_in_force_for_the_area(client, db, world, open_case, login_as, make):
    area, other = world["area"], world["other_area"]
    for key, value in (("clean_years", 5), ("report_days", 10), ("helper_days", 20), ("missing_exclude_years", 6)):
        set_value(None, f"drugfree.{key}", value, "area", area.id)
    four_years_ago = rules.add_years(TODAY, -4)  # stable by the default 3 years, former by this area's 5
    case = open_case(last_use_on=four_years_ago, clean_since=four_years_ago)
    services.add_status(world["officer"], case, status="community_detox", start=TODAY - dt.timedelta(days=12))
    db.session.commit()
    login_as(world["officer"])

    page = client.get(f"/drugfree/areas/{area.id}?lang=zh_CN").get_data(as_text=True)
    assert "标准二：戒断人员戒断巩固5年以上" in page
    assert "戒断5年以上人数 ÷ 戒断人员总数" in page and "10日内报到的社区戒毒（康复）人数" in page
    assert "戒断未满5年" in page  # the people behind the counts: clean 5 years and more is stable here
    assert "三年" not in page and "3年" not in page and "15日" not in page
    page = client.get(f"/drugfree/cases/{case.id}").get_data(as_text=True)
    assert "10日内报到" in page and "超过10日未报到" in page and "15日" not in page

    login_as(make.account("rc_staff", other))
    page = client.get(f"/drugfree/areas/{other.id}").get_data(as_text=True)
    assert "标准二：戒断人员戒断巩固3年以上" in page and "15日内报到的社区戒毒（康复）人数" in page

    checks = collect("compliance_checks", area=area, on_date=TODAY)
    assert any("5年" in c["title"] for c in checks if c["code"] == "drugfree.former_users_stable")

    login_as(world["officer"])
    assert client.post(f"/drugfree/areas/{area.id}/publish").status_code == 302
    body = db.session.scalar(select(Notice.body))
    assert "戒断巩固5年以上" in body and "失踪6年以上" in body and "三年" not in body


def test_aggregate_form_names_the_figures_in_force_for_the_area(client, db, world, login_as, make):
    area = world["area"]
    for key, value in (("clean_years", 5), ("report_days", 10), ("missing_exclude_years", 6)):
        set_value(None, f"drugfree.{key}", value, "area", area.id)
    db.session.commit()
    login_as(world["officer"])
    page = client.get(f"/drugfree/areas/{area.id}/aggregate?lang=zh_CN").get_data(as_text=True)
    assert "其中戒断5年以上" in page and "其中10日内报到" in page and "不计入：失踪6年以上" in page
    assert "戒断3年" not in page and "15日" not in page and "失踪4年" not in page
    assert "上年同期复吸次数" in page  # compared with the same period last year, as the rules do
    login_as(make.account("drugfree_officer", world["other_area"], username="officer-b"))
    page = client.get(f"/drugfree/areas/{world['other_area'].id}/aggregate?lang=zh_CN").get_data(as_text=True)
    assert "其中戒断3年以上" in page and "其中15日内报到" in page
