"""Training sessions and their daily caps; attendance and progress."""

from sqlalchemy import func, select

from core.testing import assert_envelope
from plugins.security_guard import models as m

from .conftest import API

MORNING = "2026-12-01T09:00:00+08:00"
AFTERNOON = "2026-12-01T14:00:00+08:00"
NEXT_DAY = "2026-12-02T09:00:00+08:00"


def _course(client, headers, kind="theory", hours=4):
    return client.post(f"{API}/courses", json={"title": f"{kind} {hours}", "kind": kind, "hours": hours},
                       headers=headers).get_json()["id"]


def _session(client, headers, community, course, trainees, at=MORNING, **kw):
    return client.post(f"{API}/sessions", json={"community_id": community.id, "course_id": course,
                                                "trainer_id": kw.pop("trainer_id"), "starts_at": at,
                                                "trainee_ids": trainees, **kw}, headers=headers)


def test_a_session_past_the_theory_cap_is_refused_and_nothing_is_written(client, db, place, manager, guard_of,
                                                                          api_headers):
    community = place[0]
    headers = api_headers(manager)
    trainee = guard_of(community)
    theory4 = _course(client, headers, "theory", 4)
    resp = _session(client, headers, community, theory4, [trainee.id], trainer_id=manager.id)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["day"] == "2026-12-01"
    # 4 + 2 = 6 theory hours: fits; a further hour does not
    theory2 = _course(client, headers, "theory", 2)
    assert _session(client, headers, community, theory2, [trainee.id], AFTERNOON, trainer_id=manager.id).status_code == 201
    theory1 = _course(client, headers, "theory", 1)
    before = db.session.scalar(select(func.count()).select_from(m.TrainingSession))
    err = assert_envelope(_session(client, headers, community, theory1, [trainee.id], AFTERNOON,
                                   trainer_id=manager.id), 409, "daily_cap")
    assert "6" in str(err["fields"])
    assert db.session.scalar(select(func.count()).select_from(m.TrainingSession)) == before
    # the practice cap is separate: 3 practice hours the same day still fit
    practice3 = _course(client, headers, "practice", 3)
    assert _session(client, headers, community, practice3, [trainee.id], AFTERNOON,
                    trainer_id=manager.id).status_code == 201
    practice1 = _course(client, headers, "practice", 1)
    assert_envelope(_session(client, headers, community, practice1, [trainee.id], AFTERNOON,
                             trainer_id=manager.id), 409, "daily_cap")
    # another day starts afresh
    assert _session(client, headers, community, theory1, [trainee.id], NEXT_DAY,
                    trainer_id=manager.id).status_code == 201


def test_the_day_is_the_shanghai_day(client, place, manager, guard_of, api_headers):
    headers = api_headers(manager)
    trainee = guard_of(place[0])
    course = _course(client, headers, "practice", 3)
    # 17:00 UTC on 30 November is 01:00 on 1 December in Shanghai
    resp = _session(client, headers, place[0], course, [trainee.id], "2026-11-30T17:00:00+00:00",
                    trainer_id=manager.id)
    assert resp.get_json()["day"] == "2026-12-01"


def test_bad_session_inputs(client, place, manager, guard_of, api_headers):
    headers = api_headers(manager)
    trainee = guard_of(place[0])
    course = _course(client, headers)
    assert_envelope(_session(client, headers, place[0], 9999, [trainee.id], trainer_id=manager.id), 422)
    assert_envelope(_session(client, headers, place[0], course, [99999], trainer_id=manager.id), 422)
    assert_envelope(_session(client, headers, place[0], course, [trainee.id], "2026-12-01T09:00:00",
                             trainer_id=manager.id), 422)  # a time without its zone
    assert_envelope(_session(client, headers, place[0], course, [trainee.id], trainer_id=99999), 422)
    assert_envelope(client.post(f"{API}/courses", json={"title": "x", "kind": "dance", "hours": 2},
                                headers=headers), 422)
    assert_envelope(client.post(f"{API}/courses", json={"title": "x", "kind": "theory", "hours": 0},
                                headers=headers), 422)


def test_refused_roles(client, make, place, manager, guard_of, api_headers):
    trainee = guard_of(place[0])
    course = _course(client, api_headers(manager))
    for account in (trainee, make.account("staff", place[0]), make.account("manager", place[1])):
        assert_envelope(_session(client, api_headers(account), place[0], course, [trainee.id],
                                 trainer_id=manager.id), 403)
    assert_envelope(client.post(f"{API}/courses", json={"title": "x", "kind": "theory", "hours": 2},
                                headers=api_headers(trainee)), 403)


def test_attendance_and_progress_against_the_plan(client, db, place, manager, guard_of, api_headers):
    headers = api_headers(manager)
    trainee = guard_of(place[0])
    plan = client.post(f"{API}/plans", json={"name": "入职培训"}, headers=headers).get_json()
    assert plan["target_hours"] == 284
    course = _course(client, headers, "theory", 4)
    sid = _session(client, headers, place[0], course, [trainee.id], trainer_id=manager.id).get_json()["id"]
    resp = client.post(f"{API}/sessions/{sid}/attendance", json={"present": {str(trainee.id): True}},
                       headers=headers)
    assert resp.status_code == 200
    assert_envelope(client.post(f"{API}/sessions/{sid}/attendance", json={"present": {"99999": True}},
                                headers=headers), 422)
    assert_envelope(client.post(f"{API}/sessions/{sid}/attendance", json={"present": {str(trainee.id): True}},
                                headers=api_headers(trainee)), 403)
    prog = client.get(f"{API}/progress/{trainee.id}", headers=api_headers(trainee)).get_json()
    assert prog["attended_hours"] == 4 and prog["plan_hours"] == 284 and prog["percent"] == "1.4"
    assert client.get(f"{API}/progress/{trainee.id}", headers=headers).status_code == 200
    other_guard = guard_of(place[1])
    assert_envelope(client.get(f"{API}/progress/{trainee.id}", headers=api_headers(other_guard)), 403)


def test_walk_ins_join_the_register_under_the_daily_cap(client, db, place, manager, guard_of, api_headers):
    headers = api_headers(manager)
    trainee, walk_in, busy = guard_of(place[0]), guard_of(place[0]), guard_of(place[0])
    theory4 = _course(client, headers, "theory", 4)
    session = _session(client, headers, place[0], theory4, [trainee.id], trainer_id=manager.id).get_json()
    assert _session(client, headers, place[0], theory4, [busy.id], AFTERNOON, trainer_id=manager.id).status_code == 201
    url = f"{API}/sessions/{session['id']}/attendance"
    err = assert_envelope(client.post(url, json={"present": {}, "walk_ins": [busy.id]}, headers=headers), 409,
                          "daily_cap")
    assert str(busy.id) in str(err["fields"]["walk_ins"])
    assert_envelope(client.post(url, json={"present": {}, "walk_ins": [trainee.id]}, headers=headers), 422)
    assert_envelope(client.post(url, json={"present": {}, "walk_ins": [guard_of(place[1]).id]}, headers=headers), 422)
    assert db.session.scalar(select(func.count()).select_from(m.Attendance)) == 2
    resp = client.post(url, json={"present": {str(trainee.id): False}, "walk_ins": [walk_in.id]}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    progress = client.get(f"{API}/progress/{walk_in.id}", headers=headers).get_json()
    assert progress["attended_hours"] == 4
    assert client.get(f"{API}/progress/{trainee.id}", headers=headers).get_json()["attended_hours"] == 0
