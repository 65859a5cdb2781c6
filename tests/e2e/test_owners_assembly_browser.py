"""The owners' committee opens a meeting, owners vote on their phones, a paper ballot is entered
and confirmed, and the result notice shows one item passed and one failed with the figures."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.database import utcnow
from plugins.owners_assembly.models import Meeting, RollEntry
from tests.e2e.conftest import login
from tests.plugins.owners_assembly.conftest import build_estate

pytestmark = pytest.mark.e2e


def test_meeting_from_notice_to_result(browser, page, live_url, make, db, screenshot):
    estate = build_estate(make, db)
    db.session.commit()
    owners = {name: make.account(person=getattr(estate, name), username=f"owner_{name}") for name in "abc"}

    # the owners' committee convenes the meeting with one ordinary and one special item
    login(page, live_url, "committee1")
    page.goto(f"{live_url}/owners-assembly/communities/{estate.community.id}/meetings/new")
    opens = dt.datetime.now() + dt.timedelta(days=16)
    page.fill("input[name=title]", "第一次业主大会")
    page.fill("input[name=cutoff_date]", dt.date.today().isoformat())
    page.fill("input[name=opens_at]", opens.strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=closes_at]", (opens + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"))
    page.click("main button[type=submit]")
    for title, decision_class in (("续聘物业服务企业", "ordinary"), ("筹集专项维修资金", "special")):
        page.fill("#item-form input[name=title]", title)
        page.select_option("#item-form select[name=decision_class]", decision_class)
        page.click("#item-form button")
    page.click("#publish")
    assert page.locator("[data-status=noticed]").is_visible()
    screenshot(page, "noticed")

    # fifteen days later voting opens (the clock is moved, not the rules)
    meeting = db.session.scalar(select(Meeting))
    meeting.opens_at, meeting.closes_at = utcnow() - dt.timedelta(minutes=1), utcnow() + dt.timedelta(hours=1)
    db.session.commit()

    choices = {"a": ("agree", "agree"), "b": ("agree", "disagree"), "c": ("agree", "agree")}
    for name, (ordinary, special) in choices.items():
        context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                      has_touch=True)
        phone = context.new_page()
        login(phone, live_url, owners[name].username)
        phone.goto(f"{live_url}/portal/assembly/")
        phone.click("text=投票")
        items = phone.locator("fieldset[data-item]")
        items.nth(0).locator(f"input[value={ordinary}]").check()
        items.nth(1).locator(f"input[value={special}]").check()
        phone.click("main button[type=submit]")
        assert phone.locator(".flash-success").is_visible(), phone.locator("main").inner_text()[:500]
        if name == "a":
            screenshot(phone, "owner-voted")
        context.close()

    # a written ballot collected door to door, entered by one clerk and confirmed by another
    entry = db.session.scalar(select(RollEntry).where(RollEntry.person_id == estate.d.id))
    ordinary_item = meeting.items[0]
    login(page, live_url, "clerk1")
    page.goto(f"{live_url}/owners-assembly/meetings/{meeting.id}")
    page.fill("#paper-form input[name=roll_entry_id]", str(entry.id))
    page.fill("#paper-form input[name=item_id]", str(ordinary_item.id))
    page.select_option("#paper-form select[name=choice]", "agree")
    page.fill("#paper-form input[name=ballot_number]", "P-0001")
    page.click("#paper-form button")
    page.click("form[action='/logout'] button")
    login(page, live_url, "clerk2")
    page.goto(f"{live_url}/owners-assembly/meetings/{meeting.id}")
    page.click("[data-ballot] button")
    assert page.locator(".flash-success").is_visible()

    # voting ends; the committee closes it and posts the result
    db.session.expire_all()
    meeting = db.session.get(Meeting, meeting.id)
    meeting.closes_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    page.click("form[action='/logout'] button")
    login(page, live_url, "committee1")
    page.goto(f"{live_url}/owners-assembly/meetings/{meeting.id}")
    page.click("#close")
    page.click("#result-link")
    rows = page.locator("tr[data-item]")
    assert rows.nth(0).get_attribute("data-passed") == "yes"
    assert rows.nth(1).get_attribute("data-passed") == "no"
    # ordinary: A 180 + B 90 + C 70 + D 60 = 400 of 570 m² took part (70.18%), 4 of 5 owners
    assert "400.00 m² (70.18%) / 4 (80.00%)" in rows.nth(0).inner_text()
    # special: only the three online voters took part: 340 of 570 m² (59.65%) is short of 2/3
    assert "340.00 m² (59.65%) / 3 (60.00%)" in rows.nth(1).inner_text()
    screenshot(page, "result")
