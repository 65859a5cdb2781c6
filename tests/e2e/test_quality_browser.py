"""Browser test of the quality area: owners on a phone book reception slots until one is full; the
manager's dashboard shows the figures computed by hand for the test's tickets; the public scorecard
opens without login. Screenshots are saved under test-artifacts/."""

import datetime as dt

import pytest

from core.database import utcnow
from core.tickets.models import Ticket, TicketCategory
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


def m(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def _tickets(db, community, b1, b2):
    cats = {}
    for code in ("in_unit_repair", "complaint"):
        cats[code] = TicketCategory(area_id=community.area_id, community_id=community.id, code=code, name=code,
                                    workflow="repair", procedure=[])
        db.session.add(cats[code])
    db.session.flush()
    rows = [
        ("in_unit_repair", b1, dict(status="closed", responded_at=m(10), arrived_at=m(30), resolved_at=m(120),
                                    response_due_at=m(15), arrival_due_at=m(60), resolution_due_at=m(240),
                                    rating_score=5)),
        ("in_unit_repair", b1, dict(status="closed", responded_at=m(20), arrived_at=m(50), resolved_at=m(300),
                                    response_due_at=m(15), arrival_due_at=m(60), resolution_due_at=m(240),
                                    rating_score=2, callback_done=True)),
        ("complaint", b2, dict(status="resolved", responded_at=m(5), resolved_at=m(60), response_due_at=m(30),
                               resolution_due_at=m(1440), rating_score=3, is_repeat=True)),
        ("complaint", b2, dict(status="submitted", response_due_at=m(30), resolution_due_at=m(1440))),
    ]
    for i, (code, building, kw) in enumerate(rows):
        db.session.add(Ticket(area_id=community.area_id, community_id=community.id, category_id=cats[code].id,
                              building_id=building.id, number=f"E2EQ{i}", workflow="repair", title="t",
                              channel="portal", opened_at=T0, **kw))
    db.session.commit()


def test_reception_booking_dashboard_and_scorecard(browser, phone, page, live_url, make, screenshot, db):
    from core.quality import services

    community = make.community(name="质量花园")
    b1, b2 = make.building(community, name="1栋"), make.building(community, name="2栋")
    u1, u2 = make.unit(b1, number="0101"), make.unit(b2, number="0202")
    make.account(person=make.owner(u1), username="owner_q1")
    make.account(person=make.owner(u2), username="owner_q2")
    manager = make.account("manager", community, username="manager_q")
    start = (utcnow() + dt.timedelta(days=5)).replace(microsecond=0)
    services.schedule_day(manager, community, day=start.date(), title="十二月接待日", location="会所",
                          residents_committee_invited=True,
                          slots=[{"starts_at": start, "ends_at": start + dt.timedelta(minutes=30), "capacity": 1}])
    _tickets(db, community, b1, b2)

    # the first owner books the only place of the slot on a phone
    login(phone, live_url, "owner_q1")
    phone.goto(f"{live_url}/quality/portal")
    slot = phone.locator(".slot").first
    slot.locator("input[name=topic]").fill("地库照明不足")
    screenshot(phone, "1-owner-books")
    slot.locator("button[type=submit]").click()
    phone.wait_for_load_state("networkidle")
    assert phone.locator(".flash-success").count() == 1
    assert phone.locator(".slot .badge.bad").count() == 1  # now full
    screenshot(phone, "2-slot-full")
    phone.context.clear_cookies()
    login(phone, live_url, "owner_q2")
    phone.goto(f"{live_url}/quality/portal")
    assert phone.locator(".slot button[type=submit]").count() == 0

    # the manager's dashboard shows the figures computed by hand (see tests/core/quality/test_dashboard.py)
    login(page, live_url, "manager_q")
    page.goto(f"{live_url}/quality/communities/{community.id}/dashboard?start=2026-03-01&end=2026-03-31")
    figure = {k: page.locator(f'[data-figure="{k}"] b').inner_text()
              for k in ("tickets", "sla", "satisfaction", "callback", "repeat")}
    assert figure == {"tickets": "4", "sla": "50.0%", "satisfaction": "33.3%", "callback": "50.0%",
                      "repeat": "50.0%"}
    assert page.locator('tr[data-clock="resolution"] .median').inner_text() == "120.0"
    assert page.locator('tr[data-clock="resolution"] .p90').inner_text() == "264.0"
    assert page.locator("svg.chart").count() == 3
    screenshot(page, "3-dashboard")

    # anyone can read the public scorecard, which names no one
    page.context.clear_cookies()
    page.goto(f"{live_url}/quality/scorecard/{community.id}?start=2026-03-01&end=2026-03-31")
    assert page.locator('[data-figure="tickets"] b').inner_text() == "4"
    assert "owner_q1" not in page.content() and "0101" not in page.content()
    screenshot(page, "4-public-scorecard")

