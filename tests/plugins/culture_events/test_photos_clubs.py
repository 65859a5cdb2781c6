"""Uploaded event photos, club members and leaders, club sessions and attendance: services and pages."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
from sqlalchemy import func, select

from core import AppError, Conflict, Forbidden, Invalid, Upload
from core.testing import assert_envelope
from plugins.culture_events import services as s
from plugins.culture_events.models import ClubAttendance, ClubMember, ClubSession, EventPhoto

API = "/api/v1/culture_events"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x01" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x02" * 40
FAKE = b"<svg onload=alert(1)>" + b" " * 40  # named .png, declared image/png, but not a photo


def photos_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(EventPhoto))


@pytest.fixture
def soon(world, plan, db):
    now = s.utcnow()
    event = plan(world, starts_at=now + dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=3))
    s.register(world.owner, event)
    s.register(world.owner, event, world.child, guardian_consent=True, photo_consent=False)
    db.session.commit()
    return event


@pytest.fixture
def club(world, db):
    club = s.create_club(world.manager, world.community, "广场舞队", age_groups="all", schedule="每周三 19:00")
    db.session.commit()
    return club


# --------------------------------------------------------------------------------------------- photos: services


def test_upload_photo_stores_checked_bytes(world, soon, db):
    photo = s.add_photo(world.manager, soon, caption="合影", people_ids=[world.owner.id],
                        upload=Upload("../../etc/合影.png", PNG))
    db.session.commit()
    assert (photo.content_type, photo.size, photo.url) == ("image/png", len(PNG), None)
    assert photo.sha256 == hashlib.sha256(PNG).hexdigest() and photo.data == PNG
    assert "/" not in photo.filename and photo.uploaded_by_id == world.manager.id


def test_upload_judged_by_content_not_name(world, soon, db):
    with pytest.raises(AppError) as exc:
        s.add_photo(world.manager, soon, upload=Upload("cat.png", FAKE))
    assert (exc.value.status, exc.value.code) == (415, "unsupported_media_type")
    assert "photo" in exc.value.fields
    assert s.add_photo(world.manager, soon, upload=Upload("no-extension", JPEG)).content_type == "image/jpeg"


def test_upload_too_large(world, soon, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", len(PNG) - 1)
    with pytest.raises(AppError) as exc:
        s.add_photo(world.manager, soon, upload=Upload("big.png", PNG))
    assert (exc.value.status, exc.value.code) == (413, "too_large")
    assert photos_count(db) == 0


def test_upload_of_child_without_photo_consent_refused(world, soon, db):
    with pytest.raises(Invalid) as exc:
        s.add_photo(world.manager, soon, upload=Upload("kids.png", PNG), people_ids=[world.owner.id, world.child.id])
    assert exc.value.code == "photo_consent"
    assert photos_count(db) == 0


def test_upload_of_child_with_photo_consent_accepted(world, plan, db):
    event = plan(world)
    s.register(world.owner, event, world.child, guardian_consent=True, photo_consent=True)
    assert s.add_photo(world.manager, event, upload=Upload("kid.png", PNG), people_ids=[world.child.id]).id


def test_photo_needs_a_file_or_an_address(world, soon):
    with pytest.raises(Invalid) as exc:
        s.add_photo(world.manager, soon, url="  ")
    assert "photo" in exc.value.fields


def test_photo_of_unknown_person_refused(world, soon):
    with pytest.raises(Invalid) as exc:
        s.add_photo(world.manager, soon, upload=Upload("a.png", PNG), people_ids=[999999])
    assert "people_ids" in exc.value.fields


@pytest.mark.parametrize("role", ["staff", "guard", "owner"])
def test_upload_refused_roles(world, soon, make, role):
    account = make.account(person=world.owner) if role == "owner" else make.account(role, world.community)
    with pytest.raises(Forbidden):
        s.add_photo(account, soon, upload=Upload("a.png", PNG))


def test_photo_for_staff_of_the_event_only(world, soon, make, db):
    photo = s.add_photo(world.manager, soon, upload=Upload("a.png", PNG))
    url_photo = s.add_photo(world.manager, soon, url="https://example.org/a.jpg")
    db.session.commit()
    assert s.photo_for(make.account("staff", world.community), photo.id).data == PNG
    with pytest.raises(Forbidden):
        s.photo_for(make.account("manager", make.community()), photo.id)
    with pytest.raises(Forbidden):
        s.photo_for(make.account(person=world.owner), photo.id)
    with pytest.raises(AppError) as exc:
        s.photo_for(world.manager, url_photo.id)  # nothing stored to serve
    assert exc.value.status == 404


# --------------------------------------------------------------------------------------------- photos: pages and API


def test_photo_page_upload_and_download(client, world, soon, login_as, db):
    login_as(world.manager)
    url = f"/culture_events/events/{soon.id}/photos"
    resp = client.post(url, data={"photo": (io.BytesIO(PNG), "合影.png"), "caption": "中秋合影",
                                  "people_ids": [str(world.owner.id)]}, content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)
    photo = db.session.scalar(select(EventPhoto))
    page = client.get(f"/culture_events/events/{soon.id}").get_data(as_text=True)
    assert f"/culture_events/photos/{photo.id}" in page and "中秋合影" in page
    got = client.get(f"/culture_events/photos/{photo.id}")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/culture_events/photos/999999").status_code == 404


@pytest.mark.parametrize(("data", "status", "message"), [
    ({"photo": (io.BytesIO(FAKE), "cat.png")}, 415, "not a photo"),
    ({}, 422, "This field is required"),
    ({"photo": (io.BytesIO(PNG), "kids.png"), "people_ids": ["CHILD"]}, 422, "guardian"),
    ({"photo": (io.BytesIO(PNG), "a.png"), "people_ids": ["999999"]}, 422, "not a valid choice"),
    ({"photo": (io.BytesIO(PNG), "a.png"), "caption": "长" * 201}, 422, "200"),
])
def test_photo_page_bad_input(client, world, soon, login_as, db, data, status, message):
    login_as(world.manager)
    if data.get("people_ids") == ["CHILD"]:
        data["people_ids"] = [str(world.child.id)]
    resp = client.post(f"/culture_events/events/{soon.id}/photos?lang=en", data=data,
                       content_type="multipart/form-data")
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)
    assert photos_count(db) == 0


def test_photo_page_too_large(client, world, soon, login_as, app, db, monkeypatch):
    login_as(world.manager)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 10)
    resp = client.post(f"/culture_events/events/{soon.id}/photos", data={"photo": (io.BytesIO(PNG), "a.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 413 and photos_count(db) == 0


@pytest.mark.parametrize("role", ["staff", "guard", "owner", "other_manager"])
def test_photo_page_refused_roles(client, world, soon, make, login_as, db, role):
    if role == "owner":
        login_as(make.account(person=world.owner))
    elif role == "other_manager":
        login_as(make.account("manager", make.community()))
    else:
        login_as(role, world.community)
    resp = client.post(f"/culture_events/events/{soon.id}/photos", data={"photo": (io.BytesIO(PNG), "a.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 403 and photos_count(db) == 0


def test_photo_download_refused_to_residents(client, world, soon, make, login_as, db):
    photo = s.add_photo(world.manager, soon, upload=Upload("a.png", PNG))
    db.session.commit()
    login_as(make.account(person=world.owner))
    assert client.get(f"/culture_events/photos/{photo.id}").status_code == 403


def test_api_photo_upload(client, world, soon, make, api_headers, db):
    h = api_headers(world.manager)
    url = f"{API}/events/{soon.id}/photos/upload"
    resp = client.post(url, data={"file": (io.BytesIO(JPEG), "a.jpg"), "caption": "x",
                                  "people_ids": [str(world.owner.id)]}, headers=h, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["content_type"], body["size"], body["url"]) == ("image/jpeg", len(JPEG), None)
    got = client.get(f"{API}/photos/{body['id']}/file", headers=h)
    assert got.status_code == 200 and got.data == JPEG
    assert_envelope(client.post(url, data={}, headers=h, content_type="multipart/form-data"), 422)
    assert_envelope(client.post(url, data={"file": (io.BytesIO(FAKE), "a.png")}, headers=h,
                                content_type="multipart/form-data"), 415)
    err = assert_envelope(client.post(url, data={"file": (io.BytesIO(PNG), "a.png"),
                                                 "people_ids": [str(world.child.id)]}, headers=h,
                                      content_type="multipart/form-data"), 422)
    assert "people_ids" in err["fields"]
    assert_envelope(client.post(url, data={"file": (io.BytesIO(PNG), "a.png"), "people_ids": ["x"]}, headers=h,
                                content_type="multipart/form-data"), 422)
    staff = api_headers(make.account("staff", world.community))
    assert_envelope(client.post(url, data={"file": (io.BytesIO(PNG), "a.png")}, headers=staff,
                                content_type="multipart/form-data"), 403)
    assert_envelope(client.get(f"{API}/photos/{body['id']}/file",
                               headers=api_headers(make.account(person=world.owner))), 403)
    assert photos_count(db) == 1


def test_api_photo_upload_in_chinese(client, world, soon, api_headers):
    resp = client.post(f"{API}/events/{soon.id}/photos/upload", data={"file": (io.BytesIO(FAKE), "a.png")},
                       headers={**api_headers(world.manager), "Accept-Language": "zh-CN"},
                       content_type="multipart/form-data")
    err = assert_envelope(resp, 415)
    assert "a.png" in err["message"] and "not a photo" not in err["message"]


# --------------------------------------------------------------------------------------------- clubs: services


def test_staff_add_member_and_leaders(world, club, db):
    member = s.add_club_member(world.manager, club, world.grandma, leader=True)
    assert member.is_leader and member.left_on is None
    with pytest.raises(Conflict):
        s.add_club_member(world.manager, club, world.grandma)
    s.set_club_leader(world.manager, member, False)
    assert not member.is_leader
    s.remove_club_member(world.manager, member)
    assert member.left_on == dt.date.today() and not member.is_leader
    with pytest.raises(Conflict):
        s.remove_club_member(world.manager, member)
    with pytest.raises(Conflict):
        s.set_club_leader(world.manager, member, True)
    again = s.add_club_member(world.manager, club, world.grandma)  # rejoins: the same record
    assert again.id == member.id and again.left_on is None


def test_add_member_not_living_there_or_wrong_age(world, club, make, db):
    stranger = make.owner(make.unit())
    with pytest.raises(Invalid) as exc:
        s.add_club_member(world.manager, club, stranger)
    assert "person_id" in exc.value.fields
    kids = s.create_club(world.manager, world.community, "小太阳", age_groups="children")
    with pytest.raises(Invalid):
        s.add_club_member(world.manager, kids, world.grandma)
    assert db.session.scalar(select(func.count()).select_from(ClubMember)) == 0


@pytest.mark.parametrize("role", ["staff", "guard", "committee_member", "other_manager"])
def test_member_management_refused_roles(world, club, make, role):
    account = (make.account("manager", make.community()) if role == "other_manager"
               else make.account(role, world.community))
    member = s.add_club_member(world.manager, club, world.owner)
    for call in (lambda: s.add_club_member(account, club, world.grandma),
                 lambda: s.set_club_leader(account, member, True),
                 lambda: s.remove_club_member(account, member)):
        with pytest.raises(Forbidden):
            call()


def test_find_residents_of_the_club_community_only(world, club, make, db):
    world.grandma.name = "欧阳奶奶"
    stranger = make.owner(make.unit())
    stranger.name = "欧阳爷爷"
    db.session.flush()
    assert [(p.id, number) for p, number in s.find_residents(club, "欧阳")] == [(world.grandma.id, world.unit.number)]
    assert s.find_residents(club, "") == []
    assert s.find_residents(club, "%") == []  # a wildcard is a character, not a pattern


def test_attendance_bad_inputs(world, club, db):
    s.add_club_member(world.manager, club, world.owner)
    start = s.utcnow() + dt.timedelta(days=1)
    session = s.add_club_session(world.manager, club, start, start + dt.timedelta(hours=1))
    for bad in ([], ["x"], [world.grandma.id]):
        with pytest.raises(Invalid):
            s.record_club_attendance(world.manager, session, bad)
    assert db.session.scalar(select(func.count()).select_from(ClubAttendance)) == 0


# --------------------------------------------------------------------------------------------- clubs: pages


def test_club_page_members_leaders_sessions_attendance(client, world, club, login_as, db):
    world.grandma.name = "欧阳奶奶"
    db.session.commit()
    login_as(world.manager)
    assert f"/culture_events/clubs/{club.id}" in client.get("/culture_events/clubs").get_data(as_text=True)
    page = client.get(f"/culture_events/clubs/{club.id}?q=欧阳").get_data(as_text=True)
    assert "欧阳奶奶" in page and "每周三 19:00" in page
    url = f"/culture_events/clubs/{club.id}/members"
    assert client.post(url, data={"person_id": world.grandma.id, "leader": "y"}).status_code == 302
    assert client.post(url, data={"person_id": world.owner.id}).status_code == 302
    leader = db.session.scalar(select(ClubMember).where(ClubMember.person_id == world.grandma.id))
    owner = db.session.scalar(select(ClubMember).where(ClubMember.person_id == world.owner.id))
    assert leader.is_leader and not owner.is_leader
    assert client.post(f"{url}/{owner.id}/leader", data={"leader": "y"}).status_code == 302
    assert client.post(f"{url}/{leader.id}/leader", data={}).status_code == 302
    assert client.post(f"{url}/{leader.id}/leave").status_code == 302
    db.session.refresh(leader)
    db.session.refresh(owner)
    assert owner.is_leader and leader.left_on is not None
    resp = client.post(f"/culture_events/clubs/{club.id}/sessions",
                       data={"session-starts_at": "2027-03-03T19:00", "session-ends_at": "2027-03-03T20:30"})
    assert resp.status_code == 302
    session = db.session.scalar(select(ClubSession))
    assert session.starts_at == dt.datetime(2027, 3, 3, 11, tzinfo=dt.UTC)
    client.get(f"/culture_events/club_sessions/{session.id}")  # shows (and so clears) the messages so far
    page = client.get(f"/culture_events/club_sessions/{session.id}").get_data(as_text=True)
    assert world.owner.name in page and 'id="attendance-form"' in page
    assert world.grandma.name not in page  # left the club: not on the sheet
    resp = client.post(f"/culture_events/club_sessions/{session.id}", data={"person_ids": [world.owner.id]})
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ClubAttendance)) == 1
    page = client.get(f"/culture_events/clubs/{club.id}").get_data(as_text=True)
    assert f'data-session="{session.id}"' in page


def test_club_page_bad_inputs(client, world, club, make, login_as, db):
    login_as(world.manager)
    url = f"/culture_events/clubs/{club.id}/members"
    stranger = make.owner(make.unit())
    db.session.commit()
    assert client.post(url, data={}).status_code == 422
    assert client.post(url, data={"person_id": "abc"}).status_code == 422
    resp = client.post(f"{url}?lang=en", data={"person_id": stranger.id})
    assert resp.status_code == 422 and "residents of its community" in resp.get_data(as_text=True)
    assert client.post(url, data={"person_id": world.owner.id}).status_code == 302
    assert client.post(url, data={"person_id": world.owner.id}).status_code == 409
    member = db.session.scalar(select(ClubMember))
    assert client.post(f"{url}/999999/leave").status_code == 404
    other = s.create_club(world.manager, world.community, "合唱团")
    db.session.commit()
    assert client.post(f"/culture_events/clubs/{other.id}/members/{member.id}/leave").status_code == 404
    sessions = f"/culture_events/clubs/{club.id}/sessions"
    for data in ({"session-starts_at": "2027-03-03T19:00", "session-ends_at": "2027-03-03T18:00"},
                 {"session-starts_at": "not a time", "session-ends_at": "2027-03-03T18:00"},
                 {"session-starts_at": "2027-03-03T19:00", "session-ends_at": "2027-03-03T20:00",
                  "session-venue_id": "999999"}):
        assert client.post(sessions, data=data).status_code == 422, data
    assert db.session.scalar(select(func.count()).select_from(ClubSession)) == 0
    start = s.utcnow() + dt.timedelta(days=2)
    session = s.add_club_session(world.manager, club, start, start + dt.timedelta(hours=1))
    db.session.commit()
    sheet = f"/culture_events/club_sessions/{session.id}"
    assert client.post(sheet, data={}).status_code == 422
    assert client.post(sheet, data={"person_ids": [world.grandma.id]}).status_code == 422  # not a member
    assert client.get("/culture_events/club_sessions/999999").status_code == 404
    assert client.get("/culture_events/clubs/999999").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ClubAttendance)) == 0


def test_club_session_venue_clash_on_the_page(client, world, club, login_as, db):
    venue = s.create_venue(world.manager, world.community, "活动室")
    start = dt.datetime(2027, 3, 3, 19, tzinfo=s.TZ)
    s.book_venue(world.manager, venue, start, start + dt.timedelta(hours=2), "书法班")
    db.session.commit()
    login_as(world.manager)
    resp = client.post(f"/culture_events/clubs/{club.id}/sessions?lang=en", data={
        "session-starts_at": "2027-03-03T19:30", "session-ends_at": "2027-03-03T20:30",
        "session-venue_id": str(venue.id)})
    assert resp.status_code == 409 and "already booked" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ClubSession)) == 0


def test_staff_record_attendance_but_not_manage_members(client, world, club, make, login_as, db):
    s.add_club_member(world.manager, club, world.owner)
    start = s.utcnow() + dt.timedelta(days=1)
    session = s.add_club_session(world.manager, club, start, start + dt.timedelta(hours=1))
    db.session.commit()
    login_as(make.account("staff", world.community))
    assert client.get(f"/culture_events/clubs/{club.id}").status_code == 200
    assert client.post(f"/culture_events/clubs/{club.id}/members",
                       data={"person_id": world.grandma.id}).status_code == 403
    assert client.post(f"/culture_events/clubs/{club.id}/sessions", data={
        "session-starts_at": "2027-03-03T19:00", "session-ends_at": "2027-03-03T20:00"}).status_code == 403
    member = db.session.scalar(select(ClubMember))
    assert client.post(f"/culture_events/clubs/{club.id}/members/{member.id}/leave").status_code == 403
    assert client.post(f"/culture_events/clubs/{club.id}/members/{member.id}/leader",
                       data={"leader": "y"}).status_code == 403
    assert client.post(f"/culture_events/club_sessions/{session.id}",
                       data={"person_ids": [world.owner.id]}).status_code == 302


@pytest.mark.parametrize("role", ["guard", "developer_rep", "owner", "other_manager"])
def test_club_pages_refused_roles(client, world, club, make, login_as, db, role):
    s.add_club_member(world.manager, club, world.owner)
    start = s.utcnow() + dt.timedelta(days=1)
    session = s.add_club_session(world.manager, club, start, start + dt.timedelta(hours=1))
    member = db.session.scalar(select(ClubMember))
    db.session.commit()
    if role == "owner":
        login_as(make.account(person=world.owner))
    elif role == "other_manager":
        login_as(make.account("manager", make.community()))
    else:
        login_as(role, world.community)
    base = f"/culture_events/clubs/{club.id}"
    assert client.get(base).status_code == 403
    assert client.get(f"/culture_events/club_sessions/{session.id}").status_code == 403
    for url, data in ((f"{base}/members", {"person_id": world.grandma.id}), (f"{base}/members/{member.id}/leave", {}),
                      (f"{base}/members/{member.id}/leader", {"leader": "y"}),
                      (f"{base}/sessions", {"session-starts_at": "2027-03-03T19:00",
                                            "session-ends_at": "2027-03-03T20:00"}),
                      (f"/culture_events/club_sessions/{session.id}", {"person_ids": [world.owner.id]})):
        assert client.post(url, data=data).status_code == 403, url
    assert db.session.scalar(select(func.count()).select_from(ClubAttendance)) == 0


def test_club_pages_in_chinese(client, world, club, login_as):
    login_as(world.manager)
    page = client.get(f"/culture_events/clubs/{club.id}?lang=zh_CN").get_data(as_text=True)
    assert "俱乐部活动场次" in page and "安排俱乐部活动" in page and "按姓名查找居民" in page


# --------------------------------------------------------------------------------------------- forms on the other pages


def test_venue_page_form(client, world, make, login_as, db):
    login_as(world.manager)
    assert client.post("/culture_events/venues", data={"community_id": world.community.id, "name": "活动室",
                                                       "capacity": "40"}).status_code == 302
    for bad in ({"community_id": world.community.id, "name": ""},
                {"community_id": world.community.id, "name": "x", "capacity": "0"},
                {"community_id": world.community.id, "name": "x", "capacity": "many"},
                {"community_id": make.community().id, "name": "x"}):
        assert client.post("/culture_events/venues", data=bad).status_code == 422, bad
    assert db.session.scalar(select(func.count()).select_from(s.Venue)) == 1


def test_event_form_bad_inputs(client, world, login_as, db):
    login_as(world.manager)
    good = {"scope": f"c:{world.community.id}", "title": "端午包粽子", "starts_at": "2027-06-12T09:30",
            "ends_at": "2027-06-12T11:30", "capacity": "20", "age_groups": ["all"]}
    for change in ({"starts_at": "tomorrow"}, {"capacity": "0"}, {"capacity": "twenty"}, {"title": ""},
                   {"age_groups": ["babies"]}, {"fee": "abc"}, {"recurrence": "daily"},
                   {"recurrence": "weekly"}, {"fee": "10"}, {"scope": "c:999999"}):
        resp = client.post("/culture_events/events/new", data={**good, **change})
        assert resp.status_code == 422, change
        assert 'role="alert"' in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(s.Event)) == 0
    assert client.post("/culture_events/events/new", data=good).status_code == 302


def test_event_edit_and_cancel_forms(client, world, soon, login_as, db):
    login_as(world.manager)
    assert client.post(f"/culture_events/events/{soon.id}/edit", data={"capacity": "zero"}).status_code == 422
    assert client.post(f"/culture_events/events/{soon.id}/edit", data={"capacity": "1"}).status_code == 409
    assert client.post(f"/culture_events/events/{soon.id}/cancel", data={}).status_code == 422
    db.session.refresh(soon)
    assert soon.capacity == 10 and soon.status == "published"


def test_openapi_documents_the_upload(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    upload = spec["paths"]["/api/v1/culture_events/events/{event_id}/photos/upload"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert body["required"] == ["file"] and body["properties"]["file"]["format"] == "binary"
    download = spec["paths"]["/api/v1/culture_events/photos/{photo_id}/file"]["get"]
    assert "image/png" in download["responses"]["200"]["content"]
