"""Reception days (接待日): scheduling, booking (a full slot answers 409), issues, minutes."""

import datetime as dt

import pytest

from core.database import utcnow
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.quality import services
from core.quality.models import ReceptionBooking, ReceptionSlot
from core.testing import assert_envelope


def _slots(n=2, capacity=1, start=None):
    start = start or (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    return [{"starts_at": start + dt.timedelta(minutes=30 * i), "ends_at": start + dt.timedelta(minutes=30 * (i + 1)),
             "capacity": capacity} for i in range(n)]


@pytest.fixture
def setup(make, db):
    community = make.community()
    building = make.building(community)
    unit_a, unit_b = make.unit(building), make.unit(building)
    manager = make.account("manager", community)
    owner_a, owner_b = make.owner(unit_a), make.owner(unit_b)
    day = services.schedule_day(manager, community, day=(utcnow() + dt.timedelta(days=3)).date(), title="接待日",
                                location="物业中心", residents_committee_invited=True, slots=_slots())
    return {"community": community, "units": (unit_a, unit_b), "manager": manager, "owners": (owner_a, owner_b),
            "day": day, "slot": day.slots[0]}


def test_schedule_needs_manage_permission(make, db):
    community = make.community()
    staff = make.account("staff", community)
    with pytest.raises(Forbidden):
        services.schedule_day(staff, community, day=dt.date.today(), title="x", location="y", slots=_slots())


def test_schedule_rejects_backwards_slot(make, db):
    community = make.community()
    manager = make.account("manager", community)
    bad = _slots(1)
    bad[0]["ends_at"] = bad[0]["starts_at"]
    with pytest.raises(Invalid):
        services.schedule_day(manager, community, day=dt.date.today(), title="x", location="y", slots=bad)


def test_booking_fills_slot_then_refuses(setup, db):
    slot = setup["slot"]
    (unit_a, unit_b), (owner_a, owner_b) = setup["units"], setup["owners"]
    booking = services.book_slot(owner_a, slot.id, unit_a.id, "电梯噪音")
    assert booking.id and db.session.get(ReceptionSlot, slot.id).booked == 1
    with pytest.raises(Conflict) as exc:
        services.book_slot(owner_b, slot.id, unit_b.id, "停车")
    assert exc.value.code == "slot_full"
    assert db.session.query(ReceptionBooking).count() == 1
    # cancelling frees the place
    services.cancel_booking(owner_a, booking.id)
    assert services.book_slot(owner_b, slot.id, unit_b.id, "停车").id


def test_same_unit_books_once_per_day(setup):
    day = setup["day"]
    unit_a, owner_a = setup["units"][0], setup["owners"][0]
    services.book_slot(owner_a, day.slots[0].id, unit_a.id, "a")
    with pytest.raises(Conflict) as exc:
        services.book_slot(owner_a, day.slots[1].id, unit_a.id, "b")
    assert exc.value.code == "already_booked"


def test_cannot_book_for_someone_elses_unit(setup):
    with pytest.raises(Invalid):
        services.book_slot(setup["owners"][0], setup["slot"].id, setup["units"][1].id, "x")


def test_cannot_book_other_communitys_slot(setup, make):
    other_unit = make.unit()
    stranger = make.owner(other_unit)
    with pytest.raises(NotFound):
        services.book_slot(stranger, setup["slot"].id, other_unit.id, "x")


def test_past_slot_is_closed(setup, db):
    slot = setup["slot"]
    slot.starts_at = utcnow() - dt.timedelta(hours=1)
    db.session.flush()
    with pytest.raises(Conflict) as exc:
        services.book_slot(setup["owners"][0], slot.id, setup["units"][0].id, "x")
    assert exc.value.code == "slot_closed"


def test_issue_and_minutes(setup, make, db):
    day, manager = setup["day"], setup["manager"]
    booking = services.book_slot(setup["owners"][0], setup["slot"].id, setup["units"][0].id, "漏水")
    issue = services.record_issue(manager, day, title="楼顶漏水", description="雨天渗水", category_code="complaint",
                                  booking_id=booking.id)
    assert issue.unit_id == setup["units"][0].id and issue.person_id == setup["owners"][0].id
    services.record_minutes(manager, day, "业主反映漏水，物业承诺一周内处理。")
    committee = make.account("committee_member", setup["community"])
    assert "漏水" in services.read_minutes(committee, day)
    guard = make.account("guard", setup["community"])
    with pytest.raises(Forbidden):
        services.read_minutes(guard, day)


def test_issue_booking_of_another_day_is_invalid(setup, make):
    manager = setup["manager"]
    other = services.schedule_day(manager, setup["community"], day=dt.date.today(), title="x", location="y",
                                  slots=_slots(1, start=utcnow() + dt.timedelta(days=9)))
    booking = services.book_slot(setup["owners"][0], other.slots[0].id, setup["units"][0].id, "x")
    with pytest.raises(Invalid):
        services.record_issue(manager, setup["day"], title="t", description="d", category_code="complaint",
                              booking_id=booking.id)


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


def test_api_full_slot_answers_409(setup, client, api_headers, make, db):
    slot = setup["slot"]
    (unit_a, unit_b), (owner_a, owner_b) = setup["units"], setup["owners"]
    acc_a, acc_b = make.account(person=owner_a), make.account(person=owner_b)
    resp = client.post(f"/api/v1/quality/reception-slots/{slot.id}/bookings", headers=api_headers(acc_a),
                       json={"unit_id": unit_a.id, "topic": "噪音"})
    assert resp.status_code == 201, resp.json
    resp = client.post(f"/api/v1/quality/reception-slots/{slot.id}/bookings", headers=api_headers(acc_b),
                       json={"unit_id": unit_b.id, "topic": "停车"})
    assert_envelope(resp, 409, "slot_full")
    assert db.session.query(ReceptionBooking).count() == 1


def test_api_booking_bad_input(setup, client, api_headers, make):
    acc = make.account(person=setup["owners"][0])
    h = api_headers(acc)
    url = f"/api/v1/quality/reception-slots/{setup['slot'].id}/bookings"
    assert_envelope(client.post(url, headers=h, json={"topic": "x"}), 422)
    assert_envelope(client.post(url, headers=h, json={"unit_id": setup["units"][1].id, "topic": "x"}), 422)
    assert_envelope(client.post("/api/v1/quality/reception-slots/999999/bookings", headers=h,
                                json={"unit_id": setup["units"][0].id, "topic": "x"}), 404)
    staff = make.account("staff", setup["community"])  # no person: cannot book
    assert_envelope(client.post(url, headers=api_headers(staff), json={"unit_id": setup["units"][0].id,
                                                                         "topic": "x"}), 403)


def test_api_schedule_and_refusals(setup, client, api_headers, make):
    community = setup["community"]
    body = {"community_id": community.id, "day": "2030-05-01", "title": "五月接待日", "location": "会所",
            "slots": [{"starts_at": "2030-05-01T01:00:00Z", "ends_at": "2030-05-01T01:30:00Z", "capacity": 3}]}
    resp = client.post("/api/v1/quality/reception-days", headers=api_headers(setup["manager"]), json=body)
    assert resp.status_code == 201, resp.json
    assert resp.json["slots"][0]["capacity"] == 3
    for role in ("staff", "committee_member", "guard"):
        acc = make.account(role, community)
        assert_envelope(client.post("/api/v1/quality/reception-days", headers=api_headers(acc), json=body), 403)
    other_manager = make.account("manager", make.community())
    assert_envelope(client.post("/api/v1/quality/reception-days", headers=api_headers(other_manager), json=body),
                    403)
    naive = {**body, "slots": [{"starts_at": "2030-05-01T01:00:00", "ends_at": "2030-05-01T01:30:00"}]}
    assert_envelope(client.post("/api/v1/quality/reception-days", headers=api_headers(setup["manager"]),
                                json=naive), 422)


def test_api_minutes_visible_to_committee_only(setup, client, api_headers, make):
    day = setup["day"]
    services.record_minutes(setup["manager"], day, "会议纪要")
    committee = make.account("committee_member", setup["community"])
    resp = client.get(f"/api/v1/quality/reception-days/{day.id}", headers=api_headers(committee))
    assert resp.status_code == 200 and resp.json["minutes"] == "会议纪要"
    owner_acc = make.account(person=setup["owners"][0])
    resp = client.get(f"/api/v1/quality/reception-days/{day.id}", headers=api_headers(owner_acc))
    assert resp.status_code == 200 and resp.json["minutes"] is None
    stranger = make.account("manager", make.community())
    assert_envelope(client.get(f"/api/v1/quality/reception-days/{day.id}", headers=api_headers(stranger)), 404)
    assert_envelope(client.put(f"/api/v1/quality/reception-days/{day.id}/minutes", headers=api_headers(committee),
                               json={"minutes": "x"}), 403)


def test_issue_to_ticket_twice_is_409(setup, client, api_headers, monkeypatch):
    import core

    class FakeTicket:
        id = 4242

    calls = []
    monkeypatch.setattr(core, "create_ticket", lambda actor, **kw: calls.append({**kw, "unit": kw["unit"].id}) or FakeTicket(), raising=False)
    issue = services.record_issue(setup["manager"], setup["day"], title="t", description="d",
                                  category_code="complaint", unit_id=setup["units"][0].id)
    h = api_headers(setup["manager"])
    resp = client.post(f"/api/v1/quality/reception-issues/{issue.id}/ticket", headers=h)
    assert resp.status_code == 201 and resp.json["ticket_id"] == 4242
    assert calls[0]["channel"] == "reception" and calls[0]["unit"] == setup["units"][0].id
    assert_envelope(client.post(f"/api/v1/quality/reception-issues/{issue.id}/ticket", headers=h), 409,
                    "already_ticketed")
    assert len(calls) == 1


def test_pages(setup, client, login_as, make):
    login_as(setup["manager"])
    cid = setup["community"].id
    assert client.get(f"/quality/communities/{cid}/reception").status_code == 200
    resp = client.post(f"/quality/communities/{cid}/reception", data={
        "day": "2030-06-01", "title": "六月接待日", "location": "会所", "first_slot": "09:00", "slot_minutes": 30,
        "slot_count": 4, "capacity": 2, "developer_invited": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200 and "六月接待日" in page.get_data(as_text=True)
    bad = client.post(f"/quality/communities/{cid}/reception", data={"title": "x"})
    assert bad.status_code == 422


def test_portal_booking_page(setup, client, login_as, make):
    acc = make.account(person=setup["owners"][0])
    login_as(acc)
    page = client.get("/quality/portal")
    assert page.status_code == 200 and f'data-slot="{setup["slot"].id}"' in page.get_data(as_text=True)
    resp = client.post(f"/quality/portal/slots/{setup['slot'].id}/book",
                       data={"unit_id": setup["units"][0].id, "topic": "绿化"})
    assert resp.status_code == 302
    page = client.get("/quality/portal").get_data(as_text=True)
    assert "my-bookings" in page and "绿化" in page
    other = make.account(person=setup["owners"][1])
    login_as(other)
    resp = client.post(f"/quality/portal/slots/{setup['slot'].id}/book",
                       data={"unit_id": setup["units"][1].id, "topic": "绿化"})
    assert resp.status_code == 409


def test_issue_becomes_a_real_ticket(setup, client, login_as, db):
    from core.tickets.models import Ticket

    booking = services.book_slot(setup["owners"][0], setup["slot"].id, setup["units"][0].id, "漏水")
    issue = services.record_issue(setup["manager"], setup["day"], title="楼顶漏水", description="雨天渗水",
                                  category_code="complaint", booking_id=booking.id)
    login_as(setup["manager"])
    resp = client.post(f"/quality/reception-issues/{issue.id}/ticket")
    assert resp.status_code == 302
    db.session.refresh(issue)
    ticket = db.session.get(Ticket, issue.ticket_id)
    assert ticket.channel == "reception" and ticket.unit_id == setup["units"][0].id
    assert ticket.reporter_person_id == setup["owners"][0].id and ticket.title == "楼顶漏水"
    assert client.post(f"/quality/reception-issues/{issue.id}/ticket").status_code == 409
    assert db.session.query(Ticket).count() == 1


def test_issue_with_unknown_category_leaves_nothing(setup, client, api_headers, db):
    from core.tickets.models import Ticket

    issue = services.record_issue(setup["manager"], setup["day"], title="t", description="d",
                                  category_code="no_such_code")
    resp = client.post(f"/api/v1/quality/reception-issues/{issue.id}/ticket", headers=api_headers(setup["manager"]))
    assert_envelope(resp, 422)
    db.session.refresh(issue)
    assert issue.ticket_id is None and db.session.query(Ticket).count() == 0


def test_portal_cancel_frees_the_place(setup, client, login_as, make, db):
    booking = services.book_slot(setup["owners"][0], setup["slot"].id, setup["units"][0].id, "x")
    login_as(make.account(person=setup["owners"][1]))
    assert client.post(f"/quality/portal/bookings/{booking.id}/cancel").status_code == 404  # not theirs
    login_as(make.account(person=setup["owners"][0]))
    assert client.post(f"/quality/portal/bookings/{booking.id}/cancel").status_code == 302
    assert db.session.get(ReceptionSlot, setup["slot"].id).booked == 0
    assert client.post(f"/quality/portal/bookings/{booking.id}/cancel").status_code == 409
