"""PATCH on courses, plans, questions and routes: the same services as the back-office pages."""

from sqlalchemy import select

from core import Organisation
from core.testing import assert_envelope
from plugins.security_guard import models as m
from plugins.security_guard import services

from .conftest import API


def test_patch_a_course_and_a_plan(client, db, place, manager, make, guard_of, api_headers):
    headers = api_headers(manager)
    course = client.post(f"{API}/courses", json={"title": "法规", "kind": "theory", "hours": 4},
                         headers=headers).get_json()
    resp = client.patch(f"{API}/courses/{course['id']}", json={"hours": 6}, headers=headers)
    assert resp.status_code == 200 and resp.get_json() == {**course, "hours": 6}
    assert_envelope(client.patch(f"{API}/courses/{course['id']}", json={"kind": "lecture"}, headers=headers), 422)
    assert_envelope(client.patch(f"{API}/courses/{course['id']}", json={"hours": 0}, headers=headers), 422)
    plan = client.post(f"{API}/plans", json={"name": "入职"}, headers=headers).get_json()
    assert plan["target_hours"] == 284
    resp = client.patch(f"{API}/plans/{plan['id']}", json={"target_hours": 100, "role": "steward"}, headers=headers)
    assert resp.get_json() == {**plan, "target_hours": 100, "role": "steward"}
    # null goes back to the entry plan of the settings
    assert client.patch(f"{API}/plans/{plan['id']}", json={"target_hours": None},
                        headers=headers).get_json()["target_hours"] == 284
    # another company's manager does not find them; a guard may not change them
    other = api_headers(make.account("manager", place[1]))
    assert_envelope(client.patch(f"{API}/courses/{course['id']}", json={"hours": 1}, headers=other), 404)
    assert_envelope(client.patch(f"{API}/plans/{plan['id']}", json={"name": "x"}, headers=other), 404)
    guard = api_headers(guard_of(place[0]))
    assert_envelope(client.patch(f"{API}/courses/{course['id']}", json={"hours": 1}, headers=guard), 403)
    assert_envelope(client.patch(f"{API}/courses/99999", json={"hours": 1}, headers=headers), 404)
    db.session.expire_all()
    assert db.session.get(m.Course, course["id"]).hours == 6
    assert db.session.get(m.Plan, plan["id"]).name == "入职"


def test_patch_a_question_checks_the_answer_against_the_options(client, db, place, manager, make, api_headers):
    headers = api_headers(manager)
    q = client.post(f"{API}/questions", json={"kind": "single", "text": "报警电话?", "options": ["110", "120"],
                                              "correct": "0", "points": 10, "level": 4}, headers=headers).get_json()
    assert q["level"] == 4
    resp = client.patch(f"{API}/questions/{q['id']}", json={"options": ["120", "110"], "correct": "1"},
                        headers=headers)
    assert resp.status_code == 200 and resp.get_json()["options"] == ["120", "110"]
    err = assert_envelope(client.patch(f"{API}/questions/{q['id']}", json={"correct": "5"}, headers=headers), 422)
    assert "correct" in err["fields"]
    assert_envelope(client.patch(f"{API}/questions/{q['id']}", json={"kind": "true_false"}, headers=headers), 422)
    assert_envelope(client.patch(f"{API}/questions/{q['id']}", json={"level": 6}, headers=headers), 422)
    other = api_headers(make.account("manager", place[1]))
    assert_envelope(client.patch(f"{API}/questions/{q['id']}", json={"points": 1}, headers=other), 404)
    auditor = api_headers(make.account("auditor", place[0].area))
    assert_envelope(client.patch(f"{API}/questions/{q['id']}", json={"points": 1}, headers=auditor), 403)
    db.session.expire_all()
    row = db.session.get(m.Question, q["id"])
    assert (row.kind, row.correct, row.points, row.level) == ("single", "1", 10, 4)


def test_patch_a_route_reorders_and_refuses_to_drop_a_checkpoint_with_check_ins(client, db, place, manager, make,
                                                                               guard_of, api_headers):
    headers = api_headers(manager)
    route = client.post(f"{API}/routes", json={"community_id": place[0].id, "name": "夜巡",
                                               "checkpoints": ["东门", "地库", "北门"]}, headers=headers).get_json()
    ids = {c["name"]: c["id"] for c in route["checkpoints"]}
    resp = client.patch(f"{API}/routes/{route['id']}", json={"checkpoints": ["北门", "东门", "地库"]}, headers=headers)
    assert [(c["name"], c["id"]) for c in resp.get_json()["checkpoints"]] == [
        ("北门", ids["北门"]), ("东门", ids["东门"]), ("地库", ids["地库"])]
    guard = guard_of(place[0])
    services.check_in(guard, services.start_round(guard, route["id"]), ids["地库"])
    db.session.commit()
    err = assert_envelope(client.patch(f"{API}/routes/{route['id']}", json={"checkpoints": ["北门", "东门"]},
                                       headers=headers), 409, "checkpoint_in_use")
    assert "地库" in str(err["fields"]["checkpoints"])
    assert_envelope(client.patch(f"{API}/routes/{route['id']}", json={"checkpoints": []}, headers=headers), 422)
    assert_envelope(client.patch(f"{API}/routes/{route['id']}", json={"checkpoints": ["甲", "甲"]},
                                 headers=headers), 422)
    same_company = make.community(company=db.session.get(Organisation, place[0].company_id))
    for community in (place[1], same_company):
        other = api_headers(make.account("manager", community))
        assert_envelope(client.patch(f"{API}/routes/{route['id']}", json={"name": "x"}, headers=other), 403)
    assert_envelope(client.patch(f"{API}/routes/{route['id']}", json={"name": "x"},
                                 headers=api_headers(guard)), 403)
    db.session.expire_all()
    names = db.session.scalars(select(m.Checkpoint.name).where(m.Checkpoint.route_id == route["id"])
                               .order_by(m.Checkpoint.position)).all()
    assert names == ["北门", "东门", "地库"] and db.session.get(m.PatrolRoute, route["id"]).name == "夜巡"


def test_another_companys_course_and_questions_cannot_be_used(client, db, place, manager, make, guard_of,
                                                              api_headers, login_as):
    theirs = make.account("manager", place[1])
    course = services.create_course(theirs, "别家课程", "theory", 2)
    q = services.create_question(theirs, "true_false", "别家题目", [], True, 5)
    db.session.commit()
    headers = api_headers(manager)
    trainee = guard_of(place[0])
    err = assert_envelope(client.post(f"{API}/sessions", json={
        "community_id": place[0].id, "course_id": course.id, "trainer_id": manager.id,
        "starts_at": "2026-12-01T09:00:00+08:00", "trainee_ids": [trainee.id]}, headers=headers), 422)
    assert "course_id" in err["fields"]
    err = assert_envelope(client.post(f"{API}/exams", json={"title": "x", "question_ids": [q.id]}, headers=headers),
                          422)
    assert "question_ids" in err["fields"]
    assert db.session.scalar(select(m.TrainingSession.id)) is None and db.session.scalar(select(m.Exam.id)) is None
    login_as(manager)
    html = client.get("/security_guard/training").get_data(as_text=True)
    assert 'name="course_id"' in html and "别家课程" not in html


def test_a_route_with_a_name_listed_twice_keeps_the_first_checkpoint(db, place, manager):
    route = services.create_route(manager, place[0].id, "旧线", ["东门", "北门"])
    # routes made before names had to be unique may list one twice
    db.session.add(m.Checkpoint(route_id=route.id, name="东门", position=2))
    db.session.flush()
    db.session.expire(route, ["checkpoints"])
    first = route.checkpoints[0].id
    services.update_route(manager, route, "旧线", ["北门", "东门"])
    rows = db.session.execute(select(m.Checkpoint.name, m.Checkpoint.id).where(m.Checkpoint.route_id == route.id)
                              .order_by(m.Checkpoint.position)).all()
    assert [r.name for r in rows] == ["北门", "东门"] and rows[1].id == first
