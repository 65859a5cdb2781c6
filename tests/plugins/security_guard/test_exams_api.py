"""Question bank, exam taking with timing, practical scoring, retakes, certificates and verification."""

import datetime as dt

from core import utcnow
from core.testing import assert_envelope
from plugins.security_guard import models as m

from .conftest import API


def _exam(client, headers, practical=False, duration=30):
    q1 = client.post(f"{API}/questions", json={"kind": "single", "text": "报警电话?", "options": ["110", "120"],
                                               "correct": "0", "points": 40}, headers=headers).get_json()["id"]
    q2 = client.post(f"{API}/questions", json={"kind": "multiple", "text": "巡逻要点", "options": ["a", "b", "c"],
                                               "correct": ["0", "2"], "points": 30}, headers=headers).get_json()["id"]
    q3 = client.post(f"{API}/questions", json={"kind": "true_false", "text": "可以搜查业主?", "correct": False,
                                               "points": 30 if not practical else 10},
                     headers=headers).get_json()["id"]
    ids = [q1, q2, q3]
    if practical:
        ids.append(client.post(f"{API}/questions", json={"kind": "practical", "text": "队列", "points": 20},
                               headers=headers).get_json()["id"])
    exam = client.post(f"{API}/exams", json={"title": "五级考核", "question_ids": ids, "duration_minutes": duration},
                       headers=headers).get_json()
    return exam, ids


def test_guard_takes_an_exam_passes_and_the_certificate_verifies(client, place, manager, guard_of, api_headers):
    exam, (q1, q2, q3) = _exam(client, api_headers(manager))
    guard = guard_of(place[0])
    gh = api_headers(guard)
    attempt = client.post(f"{API}/exams/{exam['id']}/attempts", headers=gh).get_json()
    assert attempt["number"] == 1 and len(attempt["questions"]) == 3
    assert "correct" not in attempt["questions"][0]  # answers never go to the taker
    resp = client.post(f"{API}/attempts/{attempt['id']}/submit",
                       json={"answers": {str(q1): "0", str(q2): ["2", "0"], str(q3): True}}, headers=gh)
    body = resp.get_json()
    assert body["score"] == "70.0" and body["passed"] is True and body["certificate_no"]
    cert = client.get(f"{API}/certificates/{body['certificate_no']}", headers=gh).get_json()
    assert cert["level"] == 5 and cert["score"] == "70.0"
    page = client.get(f"/security_guard/verify?number={body['certificate_no']}")
    assert page.status_code == 200 and "五级考核" in page.get_data(as_text=True)
    # resubmitting is a conflict
    assert_envelope(client.post(f"{API}/attempts/{attempt['id']}/submit", json={"answers": {}}, headers=gh), 409)


def test_a_failing_attempt_then_a_retake(client, place, manager, guard_of, api_headers):
    exam, (q1, _q2, _q3) = _exam(client, api_headers(manager))
    gh = api_headers(guard_of(place[0]))
    a1 = client.post(f"{API}/exams/{exam['id']}/attempts", headers=gh).get_json()
    body = client.post(f"{API}/attempts/{a1['id']}/submit", json={"answers": {str(q1): "1"}}, headers=gh).get_json()
    assert body["passed"] is False and body["score"] == "0.0" and body["certificate_no"] is None
    a2 = client.post(f"{API}/exams/{exam['id']}/attempts", headers=gh).get_json()
    assert a2["number"] == 2 and a2["id"] != a1["id"]


def test_an_exam_submitted_after_its_time_is_refused(client, db, place, manager, guard_of, api_headers):
    exam, (q1, _q2, _q3) = _exam(client, api_headers(manager), duration=30)
    gh = api_headers(guard_of(place[0]))
    aid = client.post(f"{API}/exams/{exam['id']}/attempts", headers=gh).get_json()["id"]
    row = db.session.get(m.Attempt, aid)
    row.started_at = utcnow() - dt.timedelta(minutes=31)
    row.deadline_at = utcnow() - dt.timedelta(minutes=1)
    err = assert_envelope(client.post(f"{API}/attempts/{aid}/submit", json={"answers": {str(q1): "0"}},
                                      headers=gh), 409, "time_over")
    assert err["message"]
    assert db.session.get(m.Attempt, aid).submitted_at is None


def test_an_answer_to_a_question_not_in_the_exam_is_refused(client, db, place, manager, guard_of, api_headers):
    exam, (q1, _q2, _q3) = _exam(client, api_headers(manager))
    gh = api_headers(guard_of(place[0]))
    aid = client.post(f"{API}/exams/{exam['id']}/attempts", headers=gh).get_json()["id"]
    err = assert_envelope(client.post(f"{API}/attempts/{aid}/submit",
                                      json={"answers": {str(q1): "0", "99999": "1"}}, headers=gh), 422)
    assert "99999" in str(err["fields"])
    assert db.session.get(m.Attempt, aid).submitted_at is None


def test_practical_items_wait_for_the_examiner(client, place, manager, guard_of, api_headers):
    mh = api_headers(manager)
    exam, (q1, q2, q3, q4) = _exam(client, mh, practical=True)
    gh = api_headers(guard_of(place[0]))
    aid = client.post(f"{API}/exams/{exam['id']}/attempts", headers=gh).get_json()["id"]
    body = client.post(f"{API}/attempts/{aid}/submit",
                       json={"answers": {str(q1): "0", str(q2): ["0", "2"], str(q3): False}}, headers=gh).get_json()
    assert body["passed"] is None
    assert_envelope(client.post(f"{API}/attempts/{aid}/practical", json={"scores": {str(q4): 25}}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/attempts/{aid}/practical", json={"scores": {str(q1): 5}}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/attempts/{aid}/practical", json={"scores": {str(q4): 10}}, headers=gh), 403)
    body = client.post(f"{API}/attempts/{aid}/practical", json={"scores": {str(q4): 10}}, headers=mh).get_json()
    assert body["score"] == "90.0" and body["passed"] is True


def test_a_certificate_number_that_does_not_exist(client, place, manager, api_headers):
    assert_envelope(client.get(f"{API}/certificates/SG20260101-XXXXXX", headers=api_headers(manager)), 404)
    page = client.get("/security_guard/verify?number=SG20260101-XXXXXX")
    assert page.status_code == 404 and "verify-result" in page.get_data(as_text=True)
    assert client.get("/security_guard/verify").status_code == 200


def test_bad_question_and_exam_inputs_and_refused_roles(client, place, manager, guard_of, api_headers):
    mh = api_headers(manager)
    assert_envelope(client.post(f"{API}/questions", json={"kind": "single", "text": "x", "options": ["a"],
                                                          "correct": "3"}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/questions", json={"kind": "true_false", "text": "x", "correct": "yes"},
                                headers=mh), 422)
    assert_envelope(client.post(f"{API}/questions", json={"kind": "essay", "text": "x"}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/exams", json={"title": "x", "question_ids": [99999]}, headers=mh), 422)
    assert_envelope(client.post(f"{API}/exams", json={"title": "x", "question_ids": []}, headers=mh), 422)
    guard = guard_of(place[0])
    assert_envelope(client.post(f"{API}/questions", json={"kind": "true_false", "text": "x", "correct": True},
                                headers=api_headers(guard)), 403)
    exam, _ids = _exam(client, mh)
    assert_envelope(client.post(f"{API}/exams/{exam['id']}/attempts", headers=mh), 403)  # not a trainee
    assert_envelope(client.post(f"{API}/exams/99999/attempts", headers=api_headers(guard)), 404)
    aid = client.post(f"{API}/exams/{exam['id']}/attempts", headers=api_headers(guard)).get_json()["id"]
    other = guard_of(place[0])
    assert_envelope(client.post(f"{API}/attempts/{aid}/submit", json={"answers": {}}, headers=api_headers(other)),
                    403)
