"""Browser: a 中秋 event planned from the festival planner, two owners on phones, waiting list, check-in."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _phone(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    return context, pg


def test_mid_autumn_from_planner_to_check_in(page, browser, live_url, make, db, screenshot):
    from core import utcnow
    from plugins.culture_events.models import Event

    community = make.community(name="中秋小区")
    building = make.building(community)
    first = make.owner(make.unit(building), person=make.person(name="业主甲", birth_date=dt.date(1980, 5, 1)))
    second = make.owner(make.unit(building), person=make.person(name="业主乙", birth_date=dt.date(1979, 8, 1)))
    make.account("manager", community, username="mid_mgr")
    make.account(person=first, username="owner_a")
    make.account(person=second, username="owner_b")

    # the manager plans 中秋 from the festival planner, with one place
    login(page, live_url, "mid_mgr")
    page.goto(f"{live_url}/culture_events/festivals")
    page.locator("tr[data-festival=mid_autumn] a").click()
    assert "中秋" in page.locator("#title").input_value()
    page.fill("#capacity", "1")
    screenshot(page, "planner-form")
    page.click("#event-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "活动已创建" in page.content()
    event_id = int(page.url.rstrip("/").split("/")[-1])

    # two owners register on phone-sized pages
    ctx_a, phone_a = _phone(browser)
    ctx_b, phone_b = _phone(browser)
    try:
        login(phone_a, live_url, "owner_a")
        phone_a.goto(f"{live_url}/culture_events/portal/")
        phone_a.locator(f"section[data-event='{event_id}'] button[type=submit]").click()
        assert "签到码" in phone_a.content()
        login(phone_b, live_url, "owner_b")
        phone_b.goto(f"{live_url}/culture_events/portal/")
        phone_b.locator(f"section[data-event='{event_id}'] button[type=submit]").click()
        assert "候补" in phone_b.locator("#my-registrations").inner_text()
        screenshot(phone_b, "waiting")
        assert phone_b.evaluate("document.documentElement.scrollWidth") <= 390

        # the first cancels; the second is promoted and sees a code
        phone_a.locator("#my-registrations button[type=submit]").click()
        assert "已取消报名" in phone_a.content()
        phone_b.goto(f"{live_url}/culture_events/portal/")
        reg = phone_b.locator("#my-registrations .registration")
        assert reg.get_attribute("data-status") == "confirmed"
        code = reg.locator(".code").inner_text()
        screenshot(phone_b, "promoted")

        # the day comes: staff enter the code shown on the phone
        event = db.session.get(Event, event_id)
        event.starts_at = utcnow() + dt.timedelta(minutes=30)
        event.ends_at = event.starts_at + dt.timedelta(hours=2)
        event.registration_closes_at = event.starts_at
        db.session.commit()
        page.goto(f"{live_url}/culture_events/events/{event_id}")
        page.fill("#code", code)
        page.locator("form:has(#code) button[type=submit]").click()
        assert "已签到：业主乙" in page.content()
        assert page.locator("#checked-in").inner_text() == "1"

        # the participation dashboard equals the figures by hand: 2 adult residents, 1 attended → 50.0%
        day = (utcnow() + dt.timedelta(minutes=30) + dt.timedelta(hours=8)).date()
        page.goto(f"{live_url}/culture_events/report?community_id={community.id}&since={day}&until={day}")
        row = page.locator("#by-group tr[data-group=adults]")
        assert row.locator(".residents").inner_text() == "2"
        assert row.locator(".attendees").inner_text() == "1"
        assert row.locator(".rate").inner_text() == "50.0%"
        total = page.locator("#by-group tr[data-group=all]")
        assert total.locator(".rate").inner_text() == "50.0%"
        screenshot(page, "report")
    finally:
        ctx_a.close()
        ctx_b.close()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40


def test_club_members_session_attendance_and_photo(page, live_url, make, db, screenshot):
    """A manager builds a club from the register, schedules a session, ticks who came; uploads a photo."""
    from core import utcnow
    from plugins.culture_events import services

    community = make.community(name="俱乐部小区")
    unit = make.unit(make.building(community))
    aunt = make.owner(unit, person=make.person(name="舞蹈阿姨", birth_date=dt.date(1962, 4, 1)))
    make.resident(unit, make.person(name="舞蹈叔叔", birth_date=dt.date(1960, 2, 1)))
    manager = make.account("manager", community, username="club_mgr")
    now = utcnow()
    event = services.create_event(manager, {"title": "重阳登高", "starts_at": now + dt.timedelta(hours=1),
                                            "ends_at": now + dt.timedelta(hours=3), "capacity": 5,
                                            "age_groups": ["all"], "registration_opens_at": now},
                                  community=community)[0]
    services.register(aunt, event, photo_consent=True)
    db.session.commit()

    login(page, live_url, "club_mgr")
    page.goto(f"{live_url}/culture_events/clubs")
    page.fill("#name", "广场舞队")
    page.fill("#schedule", "每周三 19:00")
    page.locator("#club-form button[type=submit]").click()
    page.locator("#clubs a", has_text="广场舞队").click()
    page.fill("#q", "舞蹈")
    page.locator("form:has(#q) button[type=submit]").click()
    page.locator("form.found-resident", has_text="舞蹈阿姨").locator("input[name=leader]").check()
    page.locator("form.found-resident", has_text="舞蹈阿姨").locator("button[type=submit]").click()
    page.fill("#q", "舞蹈叔叔")
    page.locator("form:has(#q) button[type=submit]").click()
    page.locator("form.found-resident", has_text="舞蹈叔叔").locator("button[type=submit]").click()
    members = page.locator("#members").inner_text()
    assert "舞蹈阿姨" in members and "舞蹈叔叔" in members and "俱乐部负责人" in members
    page.fill("#session-starts_at", "2027-03-03T19:00")
    page.fill("#session-ends_at", "2027-03-03T20:30")
    page.locator("#session-form button[type=submit]").click()
    page.locator("#attendance-form label", has_text="舞蹈阿姨").click()
    screenshot(page, "attendance-sheet")
    page.locator("#attendance-form button[type=submit]").click()
    assert "舞蹈阿姨" in page.locator("#attended").inner_text()
    assert "舞蹈叔叔" not in page.locator("#attended").inner_text()

    # an event photo, uploaded as a file, shows on the event page
    page.goto(f"{live_url}/culture_events/events/{event.id}")
    page.set_input_files("#photo", files=[{"name": "合影.png", "mimeType": "image/png", "buffer": PNG}])
    page.fill("#photo-form #caption", "登高合影")
    page.locator("#photo-form label", has_text="舞蹈阿姨").click()
    page.locator("#photo-form button[type=submit]").click()
    assert "登高合影" in page.locator("figure.photo figcaption").inner_text()
    src = page.locator("figure.photo img").get_attribute("src")
    assert page.request.get(f"{live_url}{src}").body() == PNG
