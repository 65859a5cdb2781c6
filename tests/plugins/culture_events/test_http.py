"""HTTP: API and pages — happy paths, each bad input, each refused role."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.testing import assert_envelope
from plugins.culture_events import services as s
from plugins.culture_events.models import Event, Registration

API = "/api/v1/culture_events"


def iso(moment):
    return moment.isoformat()


@pytest.fixture
def soon(world, plan, db):
    """An event of the world's community starting in an hour (check-in open), 2 places."""
    now = s.utcnow()
    event = plan(world, starts_at=now + dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3), capacity=2)
    db.session.commit()
    return event


def body(world, **kw):
    now = s.utcnow()
    return {"community_id": world.community.id, "title": "重阳登高", "starts_at": iso(now + dt.timedelta(days=5)),
            "ends_at": iso(now + dt.timedelta(days=5, hours=3)), "capacity": 20, "age_groups": ["elderly"],
            "function_tags": ["encouragement"], **kw}


def test_api_create_event(client, world, api_headers):
    resp = client.post(f"{API}/events", json=body(world), headers=api_headers(world.manager))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()[0]["title"] == "重阳登高"


@pytest.mark.parametrize(("change", "field"), [
    ({"ends_at": iso(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))}, "ends_at"),
    ({"title": ""}, "title"),
    ({"age_groups": ["babies"]}, "age_groups"),
    ({"capacity": 0}, "capacity"),
    ({"starts_at": "2027-01-01T09:00:00"}, "starts_at"),  # no time zone
    ({"recurrence": "weekly"}, "recurrence_until"),
])
def test_api_create_event_bad_input(client, world, api_headers, db, change, field):
    resp = client.post(f"{API}/events", json=body(world, **change), headers=api_headers(world.manager))
    err = assert_envelope(resp, 422)
    assert field in str(err["fields"])
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize("role", ["staff", "guard", "committee_member", "other_manager", "owner"])
def test_api_create_event_refused_roles(client, world, make, api_headers, role):
    if role == "other_manager":
        account = make.account("manager", make.community())
    elif role == "owner":
        account = make.account(person=world.owner)
    else:
        account = make.account(role, world.community)
    resp = client.post(f"{API}/events", json=body(world), headers=api_headers(account))
    assert_envelope(resp, 403)


def test_api_needs_login(client, world):
    assert_envelope(client.get(f"{API}/events"), 401)


def test_api_list_events_for_manager_and_resident(client, world, soon, make, api_headers):
    resp = client.get(f"{API}/events", headers=api_headers(world.manager))
    assert [e["id"] for e in resp.get_json()["items"]] == [soon.id]
    owner = make.account(person=world.owner)
    resp = client.get(f"{API}/events?upcoming=true", headers=api_headers(owner))
    assert [e["id"] for e in resp.get_json()["items"]] == [soon.id]
    stranger = make.account(person=make.owner(make.unit()))
    assert client.get(f"{API}/events", headers=api_headers(stranger)).get_json()["items"] == []
    assert_envelope(client.get(f"{API}/events/{soon.id}", headers=api_headers(stranger)), 403)
    assert client.get(f"{API}/events/{soon.id}", headers=api_headers(owner)).status_code == 200
    assert_envelope(client.get(f"{API}/events/999999", headers=api_headers(owner)), 404)


def test_api_register_waiting_cancel_promote_checkin(client, world, soon, make, api_headers, db):
    owner = make.account(person=world.owner)
    neighbour = make.account(person=world.neighbour)
    h_owner, h_neigh = api_headers(owner), api_headers(neighbour)
    r1 = client.post(f"{API}/events/{soon.id}/registrations", json={}, headers=h_owner).get_json()
    r2 = client.post(f"{API}/events/{soon.id}/registrations", json={"person_id": world.grandma.id},
                     headers=h_owner).get_json()
    r3 = client.post(f"{API}/events/{soon.id}/registrations", json={}, headers=h_neigh)
    assert r3.status_code == 201 and r3.get_json()["status"] == "waiting"
    assert (r1["status"], r2["status"]) == ("confirmed", "confirmed")
    # someone else's registration
    assert_envelope(client.delete(f"{API}/registrations/{r1['id']}", headers=h_neigh), 403)
    resp = client.delete(f"{API}/registrations/{r1['id']}", headers=h_owner)
    assert resp.status_code == 200 and resp.get_json()["promoted"] == [r3.get_json()["id"]]
    assert_envelope(client.delete(f"{API}/registrations/{r1['id']}", headers=h_owner), 409)
    assert_envelope(client.delete(f"{API}/registrations/999999", headers=h_owner), 404)
    # check-in by staff with the code
    staff = api_headers(make.account("staff", world.community))
    code = r3.get_json()["checkin_code"]
    resp = client.post(f"{API}/events/{soon.id}/checkin", json={"code": code}, headers=staff)
    assert resp.status_code == 200 and resp.get_json()["checked_in_at"]
    assert_envelope(client.post(f"{API}/events/{soon.id}/checkin", json={"code": code}, headers=staff), 409,
                    "already_checked_in")
    assert_envelope(client.post(f"{API}/events/{soon.id}/checkin", json={}, headers=staff), 422)
    guard = api_headers(make.account("guard", world.community))
    assert_envelope(client.post(f"{API}/events/{soon.id}/checkin", json={"code": r2["checkin_code"]},
                                headers=guard), 403)


def test_api_checkin_code_of_another_event(client, world, soon, plan, make, api_headers, db):
    other = plan(world, title="other")
    reg = s.register(world.owner, other)
    db.session.commit()
    staff = api_headers(make.account("staff", world.community))
    assert_envelope(client.post(f"{API}/events/{soon.id}/checkin", json={"code": reg.checkin_code},
                                headers=staff), 422, "other_event")


def test_api_register_bad_inputs(client, world, soon, plan, make, api_headers, db):
    h = api_headers(make.account(person=world.owner))
    assert client.post(f"{API}/events/{soon.id}/registrations", json={}, headers=h).status_code == 201
    assert_envelope(client.post(f"{API}/events/{soon.id}/registrations", json={}, headers=h), 409,
                    "duplicate_registration")
    elderly = plan(world, age_groups=["elderly"])
    now = s.utcnow()
    closed = plan(world, title="closed", registration_opens_at=now - dt.timedelta(days=2),
                  registration_closes_at=now - dt.timedelta(minutes=5))
    early = plan(world, title="early", registration_opens_at=now + dt.timedelta(days=2))
    db.session.commit()
    assert_envelope(client.post(f"{API}/events/{elderly.id}/registrations",
                                json={"person_id": world.child.id, "guardian_consent": True}, headers=h), 422,
                    "age_group")
    assert_envelope(client.post(f"{API}/events/{soon.id}/registrations", json={"person_id": world.child.id},
                                headers=h), 422, "guardian_consent")
    assert_envelope(client.post(f"{API}/events/{closed.id}/registrations", json={}, headers=h), 409,
                    "registration_closed")
    assert_envelope(client.post(f"{API}/events/{early.id}/registrations", json={}, headers=h), 409,
                    "registration_not_open")
    assert_envelope(client.post(f"{API}/events/{soon.id}/registrations", json={"person_id": world.neighbour.id},
                                headers=h), 403)
    assert_envelope(client.post(f"{API}/events/{soon.id}/registrations", json={"person_id": "x"}, headers=h), 422)
    assert_envelope(client.post(f"{API}/events/{soon.id}/registrations", json={"person_id": 999999}, headers=h), 422)
    assert_envelope(client.post(f"{API}/events/999999/registrations", json={}, headers=h), 404)
    staff = api_headers(make.account("staff", world.community))  # no person record
    assert_envelope(client.post(f"{API}/events/{soon.id}/registrations", json={}, headers=staff), 403)
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_api_capacity_below_confirmed(client, world, soon, api_headers, make, db):
    s.register(world.owner, soon)
    s.register(world.owner, soon, world.grandma)
    db.session.commit()
    h = api_headers(world.manager)
    assert_envelope(client.patch(f"{API}/events/{soon.id}", json={"capacity": 1}, headers=h), 409,
                    "capacity_below_confirmed")
    assert client.patch(f"{API}/events/{soon.id}", json={"capacity": 5}, headers=h).get_json()["capacity"] == 5
    assert_envelope(client.patch(f"{API}/events/{soon.id}", json={"capacity": 5},
                                 headers=api_headers(make.account("staff", world.community))), 403)


def test_api_venues_and_clash(client, world, make, api_headers):
    h = api_headers(world.manager)
    venue = client.post(f"{API}/venues", json={"community_id": world.community.id, "name": "活动室"}, headers=h)
    assert venue.status_code == 201
    vid = venue.get_json()["id"]
    slot = {"starts_at": "2027-03-01T09:00:00+08:00", "ends_at": "2027-03-01T11:00:00+08:00", "purpose": "书法"}
    assert client.post(f"{API}/venues/{vid}/bookings", json=slot, headers=h).status_code == 201
    assert_envelope(client.post(f"{API}/venues/{vid}/bookings", json=slot, headers=h), 409, "venue_clash")
    assert_envelope(client.post(f"{API}/venues/{vid}/bookings", json={**slot, "ends_at": slot["starts_at"]},
                                headers=h), 422)
    assert_envelope(client.post(f"{API}/venues/999999/bookings", json=slot, headers=h), 404)
    assert_envelope(client.post(f"{API}/venues", json={"community_id": world.community.id, "name": "x"},
                                headers=api_headers(make.account("guard", world.community))), 403)


def test_api_photo_consent(client, world, soon, api_headers, db):
    s.register(world.owner, soon, world.child, guardian_consent=True)
    db.session.commit()
    h = api_headers(world.manager)
    assert_envelope(client.post(f"{API}/events/{soon.id}/photos", json={"url": "/a.jpg", "people_ids": [
        world.child.id]}, headers=h), 422, "photo_consent")
    assert client.post(f"{API}/events/{soon.id}/photos", json={"url": "/a.jpg"}, headers=h).status_code == 201


def test_api_festivals(client, world, make, api_headers):
    resp = client.get(f"{API}/festivals?days=400", headers=api_headers(world.manager))
    codes = {f["code"] for f in resp.get_json()}
    assert {"spring", "lantern", "dragon_boat", "mid_autumn", "double_ninth", "childrens_day", "christmas"} <= codes
    assert_envelope(client.get(f"{API}/festivals?days=0", headers=api_headers(world.manager)), 422)
    assert_envelope(client.get(f"{API}/festivals", headers=api_headers(make.account(person=world.owner))), 403)


def test_api_report(client, world, soon, make, api_headers, db):
    reg = s.register(world.owner, soon)
    s.check_in(world.manager, soon, reg.checkin_code)
    db.session.commit()
    day = s.local_day(soon.starts_at)
    url = f"{API}/report?community_id={world.community.id}&since={day}&until={day}"
    data = client.get(url, headers=api_headers(world.manager)).get_json()
    assert data["total"] == {"residents": 4, "attendees": 1, "rate": 0.25}
    committee = make.account("committee_member", world.community)
    assert client.get(url, headers=api_headers(committee)).status_code == 200
    for account in (make.account(person=world.owner), make.account("manager", make.community()),
                    make.account("guard", world.community)):
        assert_envelope(client.get(url, headers=api_headers(account)), 403)
    bad = f"{API}/report?community_id={world.community.id}&since={day}&until={day - dt.timedelta(days=1)}"
    assert_envelope(client.get(bad, headers=api_headers(world.manager)), 422)
    assert_envelope(client.get(f"{API}/report?community_id={world.community.id}",
                               headers=api_headers(world.manager)), 422)


# --------------------------------------------------------------------------------------------- pages


def test_pages_for_manager(client, world, soon, login_as):
    login_as(world.manager)
    assert client.get("/culture_events/").status_code == 200
    assert client.get("/culture_events/festivals").status_code == 200
    page = client.get("/culture_events/events/new?festival=mid_autumn")
    assert page.status_code == 200 and "中秋" in page.get_data(as_text=True)
    assert client.get("/culture_events/events/new?festival=nonsense").status_code == 404
    assert client.get(f"/culture_events/events/{soon.id}").status_code == 200
    assert client.get("/culture_events/venues").status_code == 200
    assert client.get("/culture_events/report").status_code == 200
    for bad in ("since=2026-02-30", "until=0001-01-01", "since=9999-12-31"):
        assert client.get(f"/culture_events/report?{bad}").status_code == 422, bad
    xlsx = client.get(f"/culture_events/report?community_id={world.community.id}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_page_plan_event_from_form(client, world, login_as, db):
    login_as(world.manager)
    form = {"scope": f"c:{world.community.id}", "title": "中秋晚会", "starts_at": "2027-09-15T19:00",
            "ends_at": "2027-09-15T21:00", "capacity": "30", "age_groups": ["all"], "function_tags": ["cohesion"]}
    resp = client.post("/culture_events/events/new", data=form)
    assert resp.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.starts_at == dt.datetime(2027, 9, 15, 11, tzinfo=dt.UTC)
    bad = client.post("/culture_events/events/new", data={**form, "ends_at": "2027-09-15T18:00"})
    assert bad.status_code == 422
    assert client.post("/culture_events/events/new", data={**form, "scope": ""}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


@pytest.mark.parametrize("role", ["guard", "developer_rep", "owner"])
def test_pages_refused(client, world, soon, make, login_as, role):
    if role == "owner":
        login_as(make.account(person=world.owner))
    else:
        login_as(role, world.community)
    for url in ("/culture_events/", "/culture_events/festivals", "/culture_events/events/new",
                f"/culture_events/events/{soon.id}", "/culture_events/report", "/culture_events/venues"):
        assert client.get(url).status_code == 403, url


def test_checkin_and_manage_pages(client, world, soon, make, login_as, db):
    reg = s.register(world.owner, soon)
    db.session.commit()
    login_as(make.account("staff", world.community))
    page = client.get(f"/culture_events/events/{soon.id}?q={world.owner.name}")
    assert world.owner.name in page.get_data(as_text=True)
    resp = client.post(f"/culture_events/events/{soon.id}/checkin", data={"registration_id": reg.id})
    assert resp.status_code == 302
    db.session.refresh(reg)
    assert reg.checked_in_at is not None
    assert client.post(f"/culture_events/events/{soon.id}/checkin", data={"code": reg.checkin_code}).status_code == 409
    assert client.post(f"/culture_events/events/{soon.id}/edit", data={"capacity": "9"}).status_code == 403
    login_as(world.manager)
    assert client.post(f"/culture_events/events/{soon.id}/edit", data={"capacity": "9"}).status_code == 302
    assert client.post(f"/culture_events/events/{soon.id}/announce").status_code == 302
    assert client.post(f"/culture_events/events/{soon.id}/cancel", data={"reason": ""}).status_code == 422
    assert client.post(f"/culture_events/events/{soon.id}/cancel", data={"reason": "台风"}).status_code == 302
    assert client.post(f"/culture_events/events/{soon.id}/cancel", data={"reason": "台风"}).status_code == 409


def test_portal_register_cancel_and_codes(client, world, soon, make, login_as, db):
    login_as(make.account(person=world.owner))
    page = client.get("/culture_events/portal/")
    assert page.status_code == 200 and soon.title in page.get_data(as_text=True)
    assert client.post(f"/culture_events/portal/events/{soon.id}/register", data={}).status_code == 302
    assert client.post(f"/culture_events/portal/events/{soon.id}/register", data={}).status_code == 409
    assert client.post(f"/culture_events/portal/events/{soon.id}/register",
                       data={"person_id": world.child.id}).status_code == 422
    assert client.post(f"/culture_events/portal/events/{soon.id}/register",
                       data={"person_id": world.child.id, "guardian_consent": "1"}).status_code == 302
    reg = db.session.scalar(select(Registration).where(Registration.person_id == world.owner.id))
    assert reg.checkin_code in client.get("/culture_events/portal/").get_data(as_text=True)
    assert client.post(f"/culture_events/portal/registrations/{reg.id}/cancel").status_code == 302
    other = s.register(world.neighbour, soon)
    db.session.commit()
    assert client.post(f"/culture_events/portal/registrations/{other.id}/cancel").status_code == 403
    assert client.post("/culture_events/portal/registrations/999999/cancel").status_code == 404


def test_portal_refused_without_person(client, world, login_as):
    login_as("staff", world.community)
    assert client.get("/culture_events/portal/").status_code == 403


def test_ical_feed(client, world, soon):
    resp = client.get(f"/culture_events/communities/{world.community.id}/calendar.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert soon.title in resp.get_data(as_text=True)
    assert client.get("/culture_events/communities/999999/calendar.ics").status_code == 404


def test_dashboard_widget(world, make):
    from plugins.culture_events import views

    assert views.dashboard_widget(world.community, world.manager)[0]["context"]["data"]["total"]["residents"] == 4
    assert views.dashboard_widget(world.community, make.account("guard", world.community)) == []


def test_disabled_after_use_core_still_serves(make_app, world, soon, db, make):
    """With the plugin disabled its rows stay in the database and core works without it."""
    s.register(world.owner, soon)
    db.session.commit()
    bare = make_app({"DISABLED_PLUGINS": ["culture_events"]})
    assert "culture_events" not in {i.name for i in bare.extensions["jiayuan.plugins"]}
    client = bare.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(world.manager.id)
        sess["_fresh"] = True
    assert client.get("/").status_code == 200
    assert client.get("/culture_events/").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_pages_in_chinese(client, world, login_as):
    login_as(world.manager)
    page = client.get("/culture_events/festivals?lang=zh_CN").get_data(as_text=True)
    assert "节日活动规划" in page and "中秋" in page


def test_api_clubs(client, world, make, api_headers, db):
    h = api_headers(world.manager)
    resp = client.post(f"{API}/clubs", json={"community_id": world.community.id, "name": "小太阳儿童俱乐部",
                                             "age_groups": ["children"], "schedule": "每周六"}, headers=h)
    assert resp.status_code == 201
    club_id = resp.get_json()["id"]
    assert_envelope(client.post(f"{API}/clubs", json={"community_id": world.community.id, "name": ""}, headers=h), 422)
    assert_envelope(client.post(f"{API}/clubs", json={"community_id": world.community.id, "name": "x"},
                                headers=api_headers(make.account("staff", world.community))), 403)
    owner = api_headers(make.account(person=world.owner))
    assert [c["id"] for c in client.get(f"{API}/clubs?community_id={world.community.id}", headers=owner)
            .get_json()] == [club_id]
    stranger = api_headers(make.account(person=make.owner(make.unit())))
    assert_envelope(client.get(f"{API}/clubs?community_id={world.community.id}", headers=stranger), 403)
    assert_envelope(client.post(f"{API}/clubs/{club_id}/members", json={}, headers=owner), 422)  # adult
    assert client.post(f"{API}/clubs/{club_id}/members", json={"person_id": world.child.id},
                       headers=owner).status_code == 201
    assert_envelope(client.post(f"{API}/clubs/{club_id}/members", json={"person_id": world.child.id},
                                headers=owner), 409)
    assert_envelope(client.post(f"{API}/clubs/999999/members", json={}, headers=owner), 404)
    session = client.post(f"{API}/clubs/{club_id}/sessions", json={
        "starts_at": "2027-03-06T09:30:00+08:00", "ends_at": "2027-03-06T10:30:00+08:00"}, headers=h)
    assert session.status_code == 201
    sid = session.get_json()["id"]
    assert_envelope(client.post(f"{API}/clubs/{club_id}/sessions", json={
        "starts_at": "2027-03-06T09:30:00+08:00", "ends_at": "2027-03-06T09:00:00+08:00"}, headers=h), 422)
    url = f"{API}/club_sessions/{sid}/attendance"
    assert client.post(url, json={"person_ids": [world.child.id]}, headers=h).get_json() == {"recorded": 1}
    assert_envelope(client.post(url, json={"person_ids": [world.owner.id]}, headers=h), 422)
    assert_envelope(client.post(url, json={"person_ids": [world.child.id]}, headers=owner), 403)


def test_api_polls(client, world, make, api_headers):
    h = api_headers(world.manager)
    resp = client.post(f"{API}/polls", json={"community_id": world.community.id, "question": "想参加什么？",
                                             "options": ["书法", "广场舞"]}, headers=h)
    assert resp.status_code == 201
    pid = resp.get_json()["id"]
    assert_envelope(client.post(f"{API}/polls", json={"community_id": world.community.id, "question": "q",
                                                      "options": ["x"]}, headers=h), 422)
    owner = api_headers(make.account(person=world.owner))
    assert client.post(f"{API}/polls/{pid}/votes", json={"options": ["书法"]}, headers=owner).status_code == 204
    assert_envelope(client.post(f"{API}/polls/{pid}/votes", json={"options": ["足球"]}, headers=owner), 422)
    stranger = api_headers(make.account(person=make.owner(make.unit())))
    assert_envelope(client.post(f"{API}/polls/{pid}/votes", json={"options": ["书法"]}, headers=stranger), 403)
    demand = client.get(f"{API}/polls/{pid}/demand", headers=h).get_json()["demand"]
    assert demand["书法"]["adults"] == 1 and demand["广场舞"]["adults"] == 0
    assert_envelope(client.get(f"{API}/polls/{pid}/demand", headers=owner), 403)


def test_club_and_poll_pages(client, world, make, login_as, db):
    login_as(world.manager)
    assert client.post("/culture_events/clubs", data={"community_id": world.community.id, "name": "羽毛球队",
                                                      "age_groups": ["adults"]}).status_code == 302
    assert client.post("/culture_events/clubs", data={"poll-community_id": world.community.id, "kind": "poll",
                                                      "poll-question": "周末活动？", "poll-options": "书法\n合唱"}).status_code == 302
    assert client.post("/culture_events/clubs", data={"community_id": 999999, "name": "x"}).status_code == 422
    page = client.get("/culture_events/clubs").get_data(as_text=True)
    assert "羽毛球队" in page and "周末活动？" in page
    club = db.session.scalar(select(s.Club))
    poll = db.session.scalar(select(s.Poll))
    login_as(make.account(person=world.owner))
    assert client.get("/culture_events/clubs").status_code == 403
    portal = client.get("/culture_events/portal/").get_data(as_text=True)
    assert "羽毛球队" in portal and "周末活动？" in portal
    assert client.post(f"/culture_events/portal/clubs/{club.id}/join", data={}).status_code == 302
    assert client.post(f"/culture_events/portal/clubs/{club.id}/join", data={}).status_code == 409
    assert client.post(f"/culture_events/portal/polls/{poll.id}/vote", data={"options": ["合唱"]}).status_code == 302
    assert client.post(f"/culture_events/portal/polls/{poll.id}/vote", data={}).status_code == 422


def test_portal_home_card_names_the_next_event(client, world, plan, make, login_as):
    event = plan(world, title="中秋晚会")
    s.register(world.owner, event)
    login_as(make.account(person=world.owner))
    html = client.get("/portal/?lang=en").get_data(as_text=True)
    card = next(c for c in html.split('<section class="card portal-section')[1:] if "/culture_events/portal" in c)
    assert "Your next event: 中秋晚会" in card
    login_as(make.account(person=world.neighbour))  # a neighbour without a place sees no such line
    html = client.get("/portal/?lang=en").get_data(as_text=True)
    card = next(c for c in html.split('<section class="card portal-section')[1:] if "/culture_events/portal" in c)
    assert "Your next event" not in card
