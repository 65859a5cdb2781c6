"""Dashboard figures, the Excel export, refused roles, and the demo data (idempotent)."""

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from core import utcnow
from plugins.security_guard import demo, services
from plugins.security_guard import models as m


def _seed(db, community, guard_of):
    g1, g2 = guard_of(community), guard_of(community)
    plan = m.Plan(name="p", target_hours=4)
    db.session.add(plan)
    db.session.flush()
    for g in (g1, g2):
        db.session.get(m.Guard, db.session.scalar(select(m.Guard.id).where(m.Guard.account_id == g.id))).plan_id = plan.id
    course = m.Course(title="c", kind="theory", hours=4)
    db.session.add(course)
    db.session.flush()
    s = m.TrainingSession(area_id=community.area_id, community_id=community.id, course_id=course.id,
                          trainer_id=g1.id, starts_at=utcnow(), day=dt.date.today(), kind="theory", hours=4)
    db.session.add(s)
    db.session.flush()
    db.session.add_all([m.Attendance(area_id=community.area_id, session_id=s.id, account_id=g1.id,
                                     day=s.day, kind="theory", hours=4, present=True),
                        m.Attendance(area_id=community.area_id, session_id=s.id, account_id=g2.id,
                                     day=s.day, kind="theory", hours=4, present=False)])
    exam = m.Exam(title="e", question_ids=[])
    db.session.add(exam)
    db.session.flush()
    now = utcnow()
    for g, ok in ((g1, True), (g2, False)):
        db.session.add(m.Attempt(area_id=community.area_id, community_id=community.id, exam_id=exam.id,
                                 account_id=g.id, started_at=now, deadline_at=now, submitted_at=now,
                                 score=80 if ok else 40, passed=ok))
    route = m.PatrolRoute(area_id=community.area_id, community_id=community.id, name="r")
    db.session.add(route)
    db.session.flush()
    for missed in (0, 0, 0, 1):
        db.session.add(m.PatrolRound(area_id=community.area_id, community_id=community.id, route_id=route.id,
                                     guard_id=g1.id, started_at=now, finished_at=now, missed_count=missed))
    db.session.add_all([m.Rating(area_id=community.area_id, community_id=community.id, source="survey", score=s)
                        for s in (4, 5)])
    db.session.add(m.GuardCandidate(area_id=community.area_id, community_id=community.id,
                               person_id=g1.person_id or _person(db, community), status="rejected",
                               revocations=[]))
    db.session.flush()


def _person(db, community):
    from core import Person

    p = Person(name="x", area_id=community.area_id)
    db.session.add(p)
    db.session.flush()
    return p.id


def test_dashboard_figures(db, place, guard_of):
    community = place[0]
    _seed(db, community, guard_of)
    f = services.dashboard({community.id})[community.id]
    assert f["guards"] == 2 and f["level_5"] == 2
    assert f["trained"] == 1
    assert (f["graded"], f["passed"]) == (2, 1)
    assert f["due"] == 1  # the guard who failed has no recent pass
    assert (f["rounds"], f["rounds_complete"]) == (4, 3)
    assert (f["ratings"], f["rating_sum"]) == (2, 9)
    assert f["rejected"] == 1
    assert services.dashboard({place[1].id}) == {}


def test_dashboard_page_export_and_refused_roles(client, db, place, guard_of, login_as):
    _seed(db, place[0], guard_of)
    login_as("manager", place[0])
    html = client.get("/security_guard/dashboard").get_data(as_text=True)
    assert "75.0%" in html and "50.0%" in html  # patrol compliance, pass rate
    resp = client.get("/security_guard/dashboard.xlsx")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["guards"] == 2 and row["pass_rate_%"] == 50.0 and row["average_rating"] == 4.5
    login_as("guard", place[0])
    assert client.get("/security_guard/dashboard").status_code == 403
    assert client.get("/security_guard/dashboard.xlsx").status_code == 403


def test_community_dashboard_card(client, db, place, guard_of, login_as):
    _seed(db, place[0], guard_of)
    login_as("manager", place[0])
    html = client.get(f"/communities/{place[0].id}/dashboard?lang=en").get_data(as_text=True)
    card = html.split('class="guard-widget"', 1)[1].split("</ul>", 1)[0]
    # by hand from the seed: 2 guards, 1 of 2 trained, 1 of 2 passed, 1 due, 3 of 4 rounds complete
    assert "<b>2</b>" in card and "<b>50.0%</b> (1/2)" in card and "<b>75.0%</b> (3/4)" in card
    assert 'data-count="due" class="warn"' in card
    login_as("committee_member", place[0])  # sees the community dashboard, not the guard figures
    page = client.get(f"/communities/{place[0].id}/dashboard")
    assert page.status_code == 200 and "guard-widget" not in page.get_data(as_text=True)


def test_a_manager_sees_only_their_community(client, db, place, guard_of, login_as):
    _seed(db, place[1], guard_of)
    login_as("manager", place[0])
    html = client.get("/security_guard/dashboard").get_data(as_text=True)
    assert f'data-community="{place[1].id}"' not in html and f'data-community="{place[0].id}"' in html


def test_demo_data_is_idempotent(db, make, monkeypatch):
    monkeypatch.setattr(demo, "GUARDS_PER_COMMUNITY", 12)
    make.community()
    demo.load(db.session)
    counts = [db.session.scalar(select(func.count()).select_from(t)) for t in (m.Guard, m.Attendance, m.Attempt)]
    assert counts[0] == 12 and counts[1] > 0 and counts[2] >= 12
    demo.load(db.session)
    assert [db.session.scalar(select(func.count()).select_from(t)) for t in (m.Guard, m.Attendance, m.Attempt)] == counts
    assert services.dashboard(None)
