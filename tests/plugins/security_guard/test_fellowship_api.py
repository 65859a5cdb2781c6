"""Posts and shifts, fellowship events, commendations, discipline and promotion."""

import datetime as dt

from sqlalchemy import func, select

import core
from core import utcnow
from core.testing import assert_envelope
from plugins.security_guard import models as m

from .conftest import API


def _post(client, manager, community, api_headers):
    return client.post(f"{API}/posts", json={"community_id": community.id, "name": "东门岗"},
                       headers=api_headers(manager)).get_json()


def test_shifts_on_a_post_and_the_roster(client, db, place, manager, guard_of, api_headers):
    post = _post(client, manager, place[0], api_headers)
    guard = guard_of(place[0])
    mh = api_headers(manager)
    body = {"post_id": post["id"], "guard_id": guard.id, "starts_at": "2026-12-01T08:00:00+08:00",
            "ends_at": "2026-12-01T20:00:00+08:00"}
    assert client.post(f"{API}/shifts", json=body, headers=mh).status_code == 201
    overlap = {**body, "starts_at": "2026-12-01T19:00:00+08:00", "ends_at": "2026-12-02T07:00:00+08:00"}
    assert_envelope(client.post(f"{API}/shifts", json=overlap, headers=mh), 409, "shift_overlap")
    back_to_back = {**body, "starts_at": "2026-12-01T20:00:00+08:00", "ends_at": "2026-12-02T08:00:00+08:00"}
    assert client.post(f"{API}/shifts", json=back_to_back, headers=mh).status_code == 201
    roster = client.get(f"{API}/shifts?community_id={place[0].id}&day=2026-12-02",
                        headers=api_headers(guard)).get_json()
    assert roster["total"] == 1
    assert_envelope(client.get(f"{API}/shifts?community_id={place[1].id}", headers=api_headers(guard)), 403)


def test_bad_shifts_and_refused_roles(client, db, place, manager, guard_of, api_headers):
    post = _post(client, manager, place[0], api_headers)
    mh = api_headers(manager)
    guard = guard_of(place[0])
    base = {"post_id": post["id"], "guard_id": guard.id, "starts_at": "2026-12-01T08:00:00+08:00",
            "ends_at": "2026-12-01T20:00:00+08:00"}
    assert_envelope(client.post(f"{API}/shifts", json={**base, "ends_at": "2026-12-01T07:00:00+08:00"},
                                headers=mh), 422)
    assert_envelope(client.post(f"{API}/shifts", json={**base, "ends_at": "2026-12-03T08:00:00+08:00"},
                                headers=mh), 422)
    assert_envelope(client.post(f"{API}/shifts", json={**base, "guard_id": guard_of(place[1]).id}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/shifts", json={**base, "post_id": 99999}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/shifts", json=base, headers=api_headers(guard)), 403)
    assert_envelope(client.post(f"{API}/posts", json={"community_id": place[0].id, "name": "x"},
                                headers=api_headers(guard)), 403)
    assert db.session.scalar(select(func.count()).select_from(m.Shift)) == 0


def test_fellowship_reports_participation_without_names(client, app, place, manager, api_headers):
    seen = []

    class Listener:
        @core.hookimpl
        def activity_recorded(self, scope, tags, day, count):
            seen.append((scope.id, tags, day, count))

    listener = Listener()
    app.extensions["jiayuan.pm"].register(listener)
    try:
        resp = client.post(f"{API}/fellowship", json={"community_id": place[0].id, "title": "中秋联谊会",
                                                      "day": "2026-09-25", "participants": 80},
                           headers=api_headers(manager))
    finally:
        app.extensions["jiayuan.pm"].unregister(listener)
    assert resp.status_code == 201
    assert seen == [(place[0].id, ["guard_owner_fellowship"], dt.date(2026, 9, 25), 80)]
    assert_envelope(client.post(f"{API}/fellowship", json={"community_id": place[0].id, "title": "x",
                                                           "day": "2026-09-25", "participants": 0},
                                headers=api_headers(manager)), 422)


def test_owner_proposes_a_commendation_and_the_manager_awards_it(client, make, place, manager, guard_of,
                                                                   api_headers):
    community = place[0]
    guard = guard_of(community)
    unit = make.unit(building=make.building(community=community))
    owner = make.account(person=make.owner(unit))
    resp = client.post(f"{API}/commendations", json={"guard_id": guard.id, "deed": "深夜帮助老人回家"},
                       headers=api_headers(owner))
    assert resp.status_code == 201, resp.get_json()
    cid = resp.get_json()["id"]
    assert_envelope(client.post(f"{API}/commendations/{cid}/decision", json={"decision": "awarded"},
                                headers=api_headers(guard)), 403)
    body = client.post(f"{API}/commendations/{cid}/decision", json={"decision": "awarded", "note": "通报表扬"},
                       headers=api_headers(manager)).get_json()
    assert body["status"] == "awarded"
    assert_envelope(client.post(f"{API}/commendations/{cid}/decision", json={"decision": "declined"},
                                headers=api_headers(manager)), 409)
    # an owner of another community, a back-office account, an unknown guard
    stranger = make.account(person=make.owner(make.unit()))
    assert_envelope(client.post(f"{API}/commendations", json={"guard_id": guard.id, "deed": "x"},
                                headers=api_headers(stranger)), 403)
    assert_envelope(client.post(f"{API}/commendations", json={"guard_id": guard.id, "deed": "x"},
                                headers=api_headers(manager)), 403)
    assert_envelope(client.post(f"{API}/commendations", json={"guard_id": 99999, "deed": "x"},
                                headers=api_headers(owner)), 422)
    assert_envelope(client.post(f"{API}/commendations", json={"guard_id": guard.id, "deed": "  "},
                                headers=api_headers(owner)), 422)


def test_discipline_against_the_list_of_prohibited_acts(client, db, place, manager, guard_of, api_headers):
    guard = guard_of(place[0])
    mh = api_headers(manager)
    base = {"community_id": place[0].id, "guard_id": guard.id, "act": "seize_documents_property",
            "sanction": "warning", "on": "2026-11-20"}
    assert client.post(f"{API}/discipline", json=base, headers=mh).status_code == 201
    for bad in ({"act": "jaywalking"}, {"sanction": "fine"}, {"on": "2999-01-01"},
                {"guard_id": guard_of(place[1]).id}):
        assert_envelope(client.post(f"{API}/discipline", json={**base, **bad}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/discipline", json=base, headers=api_headers(guard)), 403)
    assert db.session.scalar(select(func.count()).select_from(m.Discipline)) == 1


def test_promotion_needs_time_at_the_level_and_a_good_score(client, db, place, manager, guard_of, api_headers):
    guard = guard_of(place[0])  # level 5 since 2025-01-01
    mh = api_headers(manager)
    err = assert_envelope(client.post(f"{API}/guards/{guard.id}/promotion", headers=mh), 409, "promotion_refused")
    assert "四级" in str(err["fields"]) or "80" in str(err["fields"])
    exam = m.Exam(title="四级考核", level=4, question_ids=[])
    db.session.add(exam)
    db.session.flush()
    now = utcnow()
    db.session.add(m.Attempt(area_id=place[0].area_id, community_id=place[0].id, exam_id=exam.id,
                             account_id=guard.id, started_at=now, deadline_at=now, submitted_at=now,
                             score=85, passed=True))
    db.session.flush()
    body = client.post(f"{API}/guards/{guard.id}/promotion", headers=mh).get_json()
    assert body["level"] == 4 and body["level_name"] == "四级"
    # straight after moving up, the months at the new level are missing
    assert_envelope(client.post(f"{API}/guards/{guard.id}/promotion", headers=mh), 409, "promotion_refused")
    assert_envelope(client.post(f"{API}/guards/{guard.id}/promotion", headers=api_headers(guard)), 403)
    assert_envelope(client.post(f"{API}/guards/99999/promotion", headers=mh), 404)
