"""Back-office and phone pages: candidate form, candidate page and decisions, training, exams, certificates."""

import datetime as dt

from sqlalchemy import func, select

from plugins.security_guard import models as m


def _form(community, **kw):
    base = {"community_id": community.id, "name": "陈一", "birth_date": "1990-05-06", "nationality": "CHN",
            "education": "senior_high", "health_certificate_no": "JK1",
            "health_certificate_valid_until": (dt.date.today() + dt.timedelta(days=90)).isoformat(),
            "exam_score": "75", "vetting_outcome": "passed", "certificate_verify_method": "", "revocations": ""}
    return {**base, **kw}


def test_the_form_says_why_no_records_are_asked(client, place, login_as):
    login_as("manager", place[0])
    html = client.get("/security_guard/candidates/new?lang=en").get_data(as_text=True)
    assert "why-no-records" in html and "§17" in html and "§136" in html
    assert "criminal_record" not in html and "fingerprint" not in html.replace("fingerprints: the police", "")


def test_manager_enters_candidates_one_fails_a_criterion_with_the_reason(client, db, place, login_as):
    login_as("manager", place[0])
    young = (dt.date.today() - dt.timedelta(days=17 * 365)).isoformat()
    resp = client.post("/security_guard/candidates/new", data=_form(place[0], name="少年", birth_date=young))
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'class="fail" data-criterion="age"' in html and "18" in html
    resp = client.post("/security_guard/candidates/new", data=_form(place[0]))
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'class="fail"' not in html
    listing = client.get("/security_guard/candidates").get_data(as_text=True)
    assert "少年" in listing and "陈一" in listing


def test_bad_form_input_is_shown_and_nothing_is_written(client, db, place, login_as):
    login_as("manager", place[0])
    for bad in ({"birth_date": "x"}, {"exam_score": "101"}, {"revocations": "last year"}, {"name": ""},
                {"community_id": "99999"}):
        resp = client.post("/security_guard/candidates/new", data=_form(place[0], **bad))
        assert resp.status_code == 422, bad
    assert db.session.scalar(select(func.count()).select_from(m.GuardCandidate)) == 0


def test_refused_roles_on_pages(client, make, place, login_as):
    login_as("guard", place[0])
    assert client.get("/security_guard/candidates/new").status_code == 403
    assert client.get("/security_guard/candidates").status_code == 403
    assert client.get("/security_guard/training").status_code == 403


def test_decisions_from_the_candidate_page(client, db, place, login_as):
    manager = login_as("manager", place[0])
    client.post("/security_guard/candidates/new", data=_form(place[0]))
    c = db.session.scalar(select(m.GuardCandidate))
    url = f"/security_guard/candidates/{c.id}"
    assert client.post(f"{url}/move", data={"to": "screened"}).status_code == 302
    assert client.post(f"{url}/interview", data={"score": "88"}).status_code == 302
    client.post(f"{url}/move", data={"to": "interviewed"})
    resp = client.post(f"{url}/move", data={"to": "accepted", "reason": "合格", "username": "chenyi"},
                       follow_redirects=True)
    assert "chenyi" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(m.GuardCandidate, c.id).status == "accepted"
    resp = client.post(f"{url}/move", data={"to": "rejected", "reason": "x"}, follow_redirects=True)
    assert resp.status_code == 200
    assert db.session.get(m.GuardCandidate, c.id).status == "accepted"
    assert manager.id


def test_exam_on_the_phone_page_and_printable_certificate(client, db, place, make, guard_of, login_as):
    from plugins.security_guard import services

    manager = make.account("manager", place[0])
    q = services.create_question(manager, "true_false", "保安可以扣押证件?", [], False, 10)
    exam = services.create_exam(manager, "五级理论", [q.id], duration_minutes=20)
    guard = guard_of(place[0])
    login_as(guard)
    assert "五级理论" in client.get("/security_guard/exams").get_data(as_text=True)
    resp = client.post(f"/security_guard/exams/{exam.id}/start")
    attempt_url = resp.headers["Location"]
    assert 'id="timer"' in client.get(attempt_url).get_data(as_text=True)
    html = client.post(attempt_url, data={f"q{q.id}": "false"}, follow_redirects=True).get_data(as_text=True)
    assert "100.0" in html and "certificate-link" in html
    cert = db.session.scalar(select(m.Certificate))
    page = client.get(f"/security_guard/certificates/{cert.number}").get_data(as_text=True)
    assert cert.number in page and "五级" in page
    # another guard may not open it; a manager of the community may
    login_as(guard_of(place[0]))
    assert client.get(f"/security_guard/certificates/{cert.number}").status_code == 403
    login_as(manager)
    assert client.get(f"/security_guard/certificates/{cert.number}").status_code == 200
    assert client.get("/security_guard/training").status_code == 200


def test_an_exam_page_refuses_someone_elses_attempt(client, db, place, make, guard_of, login_as):
    from plugins.security_guard import services

    manager = make.account("manager", place[0])
    q = services.create_question(manager, "true_false", "x", [], True, 10)
    exam = services.create_exam(manager, "x", [q.id])
    attempt = services.start_attempt(guard_of(place[0]), exam.id)
    login_as(guard_of(place[0]))
    assert client.get(f"/security_guard/attempts/{attempt.id}").status_code == 404
    login_as("manager", place[0])
    assert client.get("/security_guard/exams").status_code == 403


def test_schedule_a_session_from_the_training_page(client, db, place, guard_of, login_as):
    from plugins.security_guard import services

    manager = login_as("manager", place[0])
    trainee = guard_of(place[0])
    course = services.create_course(manager, "法规", "theory", 4)
    form = {"community_id": place[0].id, "course_id": course.id, "starts_at": "2026-12-01T09:00",
            "trainee_ids": [trainee.id]}
    assert client.post("/security_guard/training", data=form).status_code == 302
    session = db.session.scalar(select(m.TrainingSession))
    assert session.day == dt.date(2026, 12, 1) and session.starts_at.hour == 1  # 09:00 Beijing = 01:00 UTC
    form2 = {**form, "starts_at": "2026-12-01T14:00"}  # 4 + 4 theory hours > 6
    resp = client.post("/security_guard/training", data=form2)
    assert resp.status_code == 409 and "6" in resp.get_data(as_text=True)
    assert client.post("/security_guard/training", data={**form, "starts_at": "x"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(m.TrainingSession)) == 1
    login_as("auditor", place[0].area)
    html = client.get("/security_guard/training").get_data(as_text=True)
    assert "法规" in html and 'name="course_id"' not in html
    assert client.post("/security_guard/training", data=form).status_code == 403


def test_the_gate_log_page(client, db, place, make, guard_of, login_as):
    from plugins.security_guard import services

    unit = make.unit(building=make.building(community=place[0]))
    owner = make.owner(unit)
    expected = services.preregister_visit(owner, unit.id, "钱七", dt.date.today())
    login_as(guard_of(place[0]))
    html = client.get("/security_guard/gate").get_data(as_text=True)
    assert "钱七" in html
    assert client.post(f"/security_guard/gate/{expected.id}/arrive").status_code == 302
    assert client.post("/security_guard/gate", data={"community_id": place[0].id, "plate": "京A88888"}).status_code == 302
    assert client.post("/security_guard/gate", data={"community_id": place[0].id}).status_code == 422
    db.session.expire_all()
    assert db.session.get(m.GateVisit, expected.id).in_at is not None
    assert client.post(f"/security_guard/gate/{expected.id}/leave").status_code == 302
    assert db.session.get(m.GateVisit, expected.id).out_at is not None
    assert client.post("/security_guard/gate/99999/leave").status_code == 404
    # a guard of community A cannot let in a visitor expected in community B
    unit_b = make.unit(building=make.building(community=place[1]))
    visit_b = services.preregister_visit(make.owner(unit_b), unit_b.id, "孙八", dt.date.today())
    assert client.post(f"/security_guard/gate/{visit_b.id}/arrive").status_code == 403
    assert "孙八" not in client.get("/security_guard/gate").get_data(as_text=True)
    login_as("staff", place[0])
    assert client.get("/security_guard/gate").status_code == 403
