"""Back-office pages for the course library, training plans, a session's register, the question bank
and patrol routes: the happy path, each bad input (errors shown, nothing written) and each refused role."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core import Organisation
from plugins.security_guard import models as m
from plugins.security_guard import services

P = "/security_guard"


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _errors_shown(resp) -> bool:
    return 'class="error"' in resp.get_data(as_text=True)


@pytest.fixture
def owner_login(make, login_as, place):
    def login():
        return login_as("owner", make.unit(building=make.building(community=place[0])))

    return login


# -- courses ---------------------------------------------------------------------------------


def test_manager_creates_and_edits_a_course(client, db, place, login_as):
    manager = login_as("manager", place[0])
    resp = client.post(f"{P}/courses/new", data={"title": "保安服务法律法规", "kind": "theory", "hours": "6"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"{P}/courses")
    course = db.session.scalar(select(m.Course))
    assert (course.title, course.kind, course.hours) == ("保安服务法律法规", "theory", 6)
    assert course.organisation_id == manager.organisation_id == place[0].company_id
    listing = client.get(f"{P}/courses").get_data(as_text=True)
    assert "保安服务法律法规" in listing and f"{P}/courses/{course.id}" in listing
    form = client.get(f"{P}/courses/{course.id}").get_data(as_text=True)
    assert 'value="保安服务法律法规"' in form and 'value="6"' in form
    resp = client.post(f"{P}/courses/{course.id}", data={"title": "消防演练", "kind": "practice", "hours": "3"})
    assert resp.status_code == 302
    db.session.expire_all()
    course = db.session.get(m.Course, course.id)
    assert (course.title, course.kind, course.hours) == ("消防演练", "practice", 3)
    assert _count(db, m.Course) == 1


@pytest.mark.parametrize("bad", [{"title": ""}, {"title": "x" * 121}, {"kind": "lecture"}, {"hours": "0"},
                                 {"hours": "401"}, {"hours": "many"}, {"hours": ""}])
def test_bad_course_input_is_shown_and_nothing_is_written(client, db, place, login_as, bad):
    manager = login_as("manager", place[0])
    good = {"title": "法规", "kind": "theory", "hours": "4"}
    resp = client.post(f"{P}/courses/new", data={**good, **bad})
    assert resp.status_code == 422 and _errors_shown(resp)
    assert _count(db, m.Course) == 0
    course = services.create_course(manager, "法规", "theory", 4)
    db.session.commit()
    resp = client.post(f"{P}/courses/{course.id}", data={**good, **bad})
    assert resp.status_code == 422 and _errors_shown(resp)
    db.session.expire_all()
    assert (db.session.get(m.Course, course.id).title, db.session.get(m.Course, course.id).hours) == ("法规", 4)


def test_roles_refused_on_course_pages(client, db, place, make, login_as, guard_of, owner_login):
    course = services.create_course(make.account("manager", place[0]), "法规", "theory", 4)
    db.session.commit()
    good = {"title": "改了", "kind": "theory", "hours": "2"}
    for who in (lambda: login_as(guard_of(place[0])), owner_login):
        who()
        assert client.get(f"{P}/courses").status_code == 403
        assert client.get(f"{P}/courses/new").status_code == 403
        assert client.post(f"{P}/courses/new", data=good).status_code == 403
        assert client.post(f"{P}/courses/{course.id}", data=good).status_code == 403
    # another company's manager neither sees nor edits this company's courses
    login_as("manager", place[1])
    html = client.get(f"{P}/courses").get_data(as_text=True)
    assert "法规" not in html and f'data-course="{course.id}"' not in html
    assert client.get(f"{P}/courses/{course.id}").status_code == 404
    assert client.post(f"{P}/courses/{course.id}", data=good).status_code == 404
    # an auditor reads the library but may not change it
    login_as("auditor", place[0].area)
    html = client.get(f"{P}/courses").get_data(as_text=True)
    assert f"{P}/courses/new" not in html
    assert client.post(f"{P}/courses/new", data=good).status_code == 403
    db.session.expire_all()
    assert db.session.get(m.Course, course.id).title == "法规" and _count(db, m.Course) == 1


# -- plans -----------------------------------------------------------------------------------


def test_manager_creates_and_edits_a_plan_default_284_hours(client, db, place, login_as):
    login_as("manager", place[0])
    assert 'value="284"' in client.get(f"{P}/plans/new").get_data(as_text=True)
    assert client.post(f"{P}/plans/new", data={"name": "保安员入职培训", "role": "guard", "target_hours": ""}
                       ).status_code == 302
    plan = db.session.scalar(select(m.Plan))
    assert (plan.name, plan.role, plan.target_hours) == ("保安员入职培训", "guard", 284)
    assert plan.organisation_id == place[0].company_id
    assert "保安员入职培训" in client.get(f"{P}/plans").get_data(as_text=True)
    resp = client.post(f"{P}/plans/{plan.id}", data={"name": "客服培训", "role": "steward", "target_hours": "120"})
    assert resp.status_code == 302
    db.session.expire_all()
    plan = db.session.get(m.Plan, plan.id)
    assert (plan.name, plan.role, plan.target_hours) == ("客服培训", "steward", 120)


@pytest.mark.parametrize("bad", [{"name": ""}, {"name": "x" * 121}, {"role": "driver"}, {"target_hours": "0"},
                                 {"target_hours": "2001"}, {"target_hours": "lots"}])
def test_bad_plan_input_is_shown_and_nothing_is_written(client, db, place, login_as, bad):
    login_as("manager", place[0])
    resp = client.post(f"{P}/plans/new", data={"name": "入职", "role": "guard", "target_hours": "284", **bad})
    assert resp.status_code == 422 and _errors_shown(resp)
    assert _count(db, m.Plan) == 0


def test_roles_refused_on_plan_pages(client, db, place, make, login_as, guard_of, owner_login):
    plan = services.create_plan(make.account("manager", place[0]), "甲班计划")
    db.session.commit()
    good = {"name": "改了", "role": "guard", "target_hours": "10"}
    for who in (lambda: login_as(guard_of(place[0])), owner_login):
        who()
        assert client.get(f"{P}/plans").status_code == 403
        assert client.post(f"{P}/plans/new", data=good).status_code == 403
        assert client.post(f"{P}/plans/{plan.id}", data=good).status_code == 403
    login_as("manager", place[1])
    html = client.get(f"{P}/plans").get_data(as_text=True)
    assert "甲班计划" not in html and f'data-plan="{plan.id}"' not in html
    assert client.post(f"{P}/plans/{plan.id}", data=good).status_code == 404
    db.session.expire_all()
    assert db.session.get(m.Plan, plan.id).target_hours == 284 and _count(db, m.Plan) == 1


# -- a session's register --------------------------------------------------------------------


@pytest.fixture
def session_of(db, make, place, guard_of):
    """A 4-hour theory session in community A with two trainees; returns (session, trainee, trainee)."""
    manager = make.account("manager", place[0])
    course = services.create_course(manager, "法规", "theory", 4)
    a, b = guard_of(place[0], display_name="赵一"), guard_of(place[0], display_name="钱二")
    starts = dt.datetime(2026, 12, 1, 9, tzinfo=services.SHANGHAI)
    session = services.schedule_session(manager, place[0].id, course.id, manager.id, starts, [a.id, b.id])
    db.session.commit()
    return session, a, b


def test_manager_ticks_who_attended_and_hours_are_credited(client, db, place, login_as, session_of):
    session, a, b = session_of
    login_as("manager", place[0])
    training = client.get(f"{P}/training").get_data(as_text=True)
    assert f"{P}/sessions/{session.id}/attendance" in training
    html = client.get(f"{P}/sessions/{session.id}/attendance").get_data(as_text=True)
    assert "赵一" in html and "钱二" in html and 'name="present"' in html
    resp = client.post(f"{P}/sessions/{session.id}/attendance", data={"present": [str(a.id)]})
    assert resp.status_code == 302
    db.session.expire_all()
    present = dict(db.session.execute(select(m.Attendance.account_id, m.Attendance.present)).all())
    assert present == {a.id: True, b.id: False}
    progress = services.progress_of([a.id, b.id])
    assert progress[a.id]["attended_hours"] == 4 and progress[b.id]["attended_hours"] == 0
    assert progress[a.id]["plan_hours"] == 284
    html = client.get(f"{P}/sessions/{session.id}/attendance").get_data(as_text=True)
    assert f'value="{a.id}" id="present-{a.id}" checked' in html
    assert f'value="{b.id}" id="present-{b.id}" checked' not in html
    # un-ticking takes the credit back
    assert client.post(f"{P}/sessions/{session.id}/attendance", data={}).status_code == 302
    assert services.progress_of([a.id])[a.id]["attended_hours"] == 0


def test_a_trainee_not_on_the_session_cannot_be_ticked(client, db, place, login_as, guard_of, session_of):
    session, a, _b = session_of
    outsider = guard_of(place[0])
    login_as("manager", place[0])
    for bad in ([str(a.id), str(outsider.id)], ["abc"], ["99999"]):
        resp = client.post(f"{P}/sessions/{session.id}/attendance", data={"present": bad})
        assert resp.status_code == 422 and _errors_shown(resp), bad
    db.session.expire_all()
    assert db.session.scalars(select(m.Attendance.present)).all() == [None, None]
    assert client.get(f"{P}/sessions/99999/attendance").status_code == 404


def test_roles_refused_on_the_register(client, db, place, make, login_as, guard_of, owner_login, session_of):
    session, a, _b = session_of
    url = f"{P}/sessions/{session.id}/attendance"
    for who in (lambda: login_as(a), owner_login, lambda: login_as("manager", place[1]),
                lambda: login_as("manager", make.community(company=db.session.get(Organisation,
                                                                                    place[0].company_id)))):
        who()
        assert client.get(url).status_code == 403
        assert client.post(url, data={"present": [str(a.id)]}).status_code == 403
    # the auditor sees the register without the form and may not take it
    login_as("auditor", place[0].area)
    html = client.get(url).get_data(as_text=True)
    assert "赵一" in html and 'name="present"' not in html
    assert client.post(url, data={"present": [str(a.id)]}).status_code == 403
    db.session.expire_all()
    assert db.session.scalars(select(m.Attendance.present)).all() == [None, None]


# -- the question bank -----------------------------------------------------------------------


def _question(**kw):
    return {"kind": "single", "level": "5", "text": "发现火情首先拨打?", "options": "110\n119\n120",
            "correct": "2", "points": "10", **kw}


def test_manager_builds_the_question_bank(client, db, place, login_as):
    manager = login_as("manager", place[0])
    for data in (_question(), _question(kind="multiple", text="访客登记记录?", options="姓名\n住户\n工资",
                                        correct="1, 2", level="4"),
                 _question(kind="true_false", text="可以扣押证件?", options="", correct="错"),
                 _question(kind="practical", text="队列动作", options="", correct="", points="20", level="3")):
        assert client.post(f"{P}/questions/new", data=data).status_code == 302, data
    rows = {q.text: q for q in db.session.scalars(select(m.Question))}
    assert rows["发现火情首先拨打?"].correct == "1" and rows["发现火情首先拨打?"].options == ["110", "119", "120"]
    assert rows["访客登记记录?"].correct == ["0", "1"] and rows["访客登记记录?"].level == 4
    assert rows["可以扣押证件?"].correct is False and rows["可以扣押证件?"].options == []
    assert rows["队列动作"].correct is None and rows["队列动作"].points == 20 and rows["队列动作"].level == 3
    assert {q.organisation_id for q in rows.values()} == {manager.organisation_id}
    listing = client.get(f"{P}/questions").get_data(as_text=True)
    assert all(text in listing for text in rows)
    four = client.get(f"{P}/questions?level=4").get_data(as_text=True)
    assert "访客登记记录?" in four and "发现火情首先拨打?" not in four
    # the edit form shows the answer as the page numbers it, from 1
    form = client.get(f"{P}/questions/{rows['访客登记记录?'].id}").get_data(as_text=True)
    assert 'value="1,2"' in form and "姓名\n住户\n工资" in form


def test_an_edited_answer_marks_the_next_exam(client, db, place, make, login_as, guard_of):
    manager = login_as("manager", place[0])
    q = services.create_question(manager, "single", "报警电话?", ["110", "120"], "1", 10)
    exam = services.create_exam(manager, "五级理论", [q.id])
    db.session.commit()
    resp = client.post(f"{P}/questions/{q.id}", data=_question(text="报警电话?", options="110\n120", correct="1"))
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(m.Question, q.id).correct == "0"
    guard = guard_of(place[0])
    attempt = services.start_attempt(guard, exam.id)
    services.submit_attempt(guard, attempt, {str(q.id): "0"})
    assert attempt.score == 100


@pytest.mark.parametrize("bad", [{"text": ""}, {"text": "x" * 2001}, {"kind": "essay"}, {"level": "9"},
                                 {"points": "0"}, {"points": "101"}, {"correct": "4"}, {"correct": "0"},
                                 {"correct": "two"}, {"correct": "1,2"}, {"correct": ""}, {"options": "", "correct": "1"},
                                 {"kind": "multiple", "correct": "1,5"},
                                 {"kind": "true_false", "options": "", "correct": "maybe"}])
def test_bad_question_input_is_shown_and_nothing_is_written(client, db, place, login_as, bad):
    manager = login_as("manager", place[0])
    resp = client.post(f"{P}/questions/new", data=_question(**bad))
    assert resp.status_code == 422 and _errors_shown(resp)
    assert _count(db, m.Question) == 0
    q = services.create_question(manager, "single", "原题", ["a", "b"], "0", 5)
    db.session.commit()
    resp = client.post(f"{P}/questions/{q.id}", data=_question(**bad))
    assert resp.status_code == 422 and _errors_shown(resp)
    db.session.expire_all()
    q = db.session.get(m.Question, q.id)
    assert (q.text, q.correct, q.points, q.level) == ("原题", "0", 5, 5)


def test_roles_refused_on_the_question_bank(client, db, place, make, login_as, guard_of, owner_login):
    q = services.create_question(make.account("manager", place[0]), "true_false", "原题", [], True, 5)
    db.session.commit()
    good = _question()
    for who in (lambda: login_as(guard_of(place[0])), owner_login, lambda: login_as("auditor", place[0].area)):
        who()
        assert client.get(f"{P}/questions").status_code == 403
        assert client.get(f"{P}/questions/{q.id}").status_code == 403
        assert client.post(f"{P}/questions/new", data=good).status_code == 403
        assert client.post(f"{P}/questions/{q.id}", data=good).status_code == 403
    login_as("manager", place[1])
    assert "原题" not in client.get(f"{P}/questions").get_data(as_text=True)
    assert client.get(f"{P}/questions/{q.id}").status_code == 404
    assert client.post(f"{P}/questions/{q.id}", data=good).status_code == 404
    db.session.expire_all()
    assert db.session.get(m.Question, q.id).text == "原题" and _count(db, m.Question) == 1


# -- patrol routes ---------------------------------------------------------------------------


def _route(community, **kw):
    return {"community_id": str(community.id), "name": "夜间外围", "checkpoints": "东门\n地库\n北门", **kw}


def test_manager_creates_a_route_and_reorders_its_checkpoints(client, db, place, login_as, guard_of):
    login_as("manager", place[0])
    assert client.post(f"{P}/routes/new", data=_route(place[0])).status_code == 302
    route = db.session.scalar(select(m.PatrolRoute))
    assert route.community_id == place[0].id and [c.name for c in route.checkpoints] == ["东门", "地库", "北门"]
    assert "夜间外围" in client.get(f"{P}/routes").get_data(as_text=True)
    first = {c.name: c.id for c in route.checkpoints}
    # a guard checks in at the east gate; the checkpoint keeps its identity when the route changes
    guard = guard_of(place[0])
    rnd = services.start_round(guard, route.id)
    services.check_in(guard, rnd, first["东门"])
    db.session.commit()
    form = client.get(f"{P}/routes/{route.id}").get_data(as_text=True)
    assert "东门\n地库\n北门" in form and 'name="community_id"' not in form
    resp = client.post(f"{P}/routes/{route.id}", data={"name": "夜巡", "checkpoints": "北门\n东门\n花园"})
    assert resp.status_code == 302
    db.session.expire_all()
    route = db.session.get(m.PatrolRoute, route.id)
    assert route.name == "夜巡" and [c.name for c in route.checkpoints] == ["北门", "东门", "花园"]
    now = {c.name: c.id for c in route.checkpoints}
    assert now["北门"] == first["北门"] and now["东门"] == first["东门"] and "地库" not in now
    assert db.session.scalar(select(m.CheckIn.checkpoint_id)) == first["东门"]


def test_a_checkpoint_with_check_ins_cannot_be_removed(client, db, place, login_as, guard_of):
    manager = login_as("manager", place[0])
    route = services.create_route(manager, place[0].id, "白班", ["东门", "地库"])
    guard = guard_of(place[0])
    services.check_in(guard, services.start_round(guard, route.id), route.checkpoints[1].id)
    db.session.commit()
    resp = client.post(f"{P}/routes/{route.id}?lang=en", data={"name": "白班", "checkpoints": "东门"})
    assert resp.status_code == 409 and "地库" in resp.get_data(as_text=True) and _errors_shown(resp)
    db.session.expire_all()
    assert [c.name for c in db.session.get(m.PatrolRoute, route.id).checkpoints] == ["东门", "地库"]


@pytest.mark.parametrize("bad", [{"name": ""}, {"name": "x" * 121}, {"checkpoints": ""}, {"checkpoints": "\n \n"},
                                 {"checkpoints": "东门\n地库\n东门"}, {"checkpoints": "东门\n" + "长" * 121},
                                 {"community_id": "other"}, {"community_id": "abc"}])
def test_bad_route_input_is_shown_and_nothing_is_written(client, db, place, login_as, bad):
    manager = login_as("manager", place[0])
    if bad.get("community_id") == "other":
        bad = {"community_id": str(place[1].id)}
    resp = client.post(f"{P}/routes/new", data=_route(place[0], **bad))
    assert resp.status_code == 422 and _errors_shown(resp)
    assert _count(db, m.PatrolRoute) == 0 and _count(db, m.Checkpoint) == 0
    route = services.create_route(manager, place[0].id, "原线", ["甲", "乙"])
    db.session.commit()
    resp = client.post(f"{P}/routes/{route.id}", data=_route(place[0], **bad))
    if "community_id" in bad:  # the community of a route does not change: the field is not on the edit form
        assert resp.status_code == 302
        return
    assert resp.status_code == 422 and _errors_shown(resp)
    db.session.expire_all()
    route = db.session.get(m.PatrolRoute, route.id)
    assert route.name == "原线" and [c.name for c in route.checkpoints] == ["甲", "乙"]


def test_roles_refused_on_route_pages(client, db, place, make, login_as, guard_of, owner_login):
    route = services.create_route(make.account("manager", place[0]), place[0].id, "原线", ["甲", "乙"])
    db.session.commit()
    good = {"name": "改了", "checkpoints": "乙\n甲"}
    same_company = make.community(company=db.session.get(Organisation, place[0].company_id))
    for who in (lambda: login_as(guard_of(place[0])), owner_login, lambda: login_as("auditor", place[0].area)):
        who()
        assert client.get(f"{P}/routes").status_code == 403
        assert client.get(f"{P}/routes/new").status_code == 403
        assert client.post(f"{P}/routes/new", data=_route(place[0])).status_code == 403
        assert client.post(f"{P}/routes/{route.id}", data=good).status_code == 403
    # managers of other communities, of another company or the same one, see nothing and change nothing
    for community in (place[1], same_company):
        login_as("manager", community)
        assert "原线" not in client.get(f"{P}/routes").get_data(as_text=True)
        assert client.get(f"{P}/routes/{route.id}").status_code == 403
        assert client.post(f"{P}/routes/{route.id}", data=good).status_code == 403
        assert client.post(f"{P}/routes/new", data=_route(place[0])).status_code == 422
    assert client.get(f"{P}/routes/99999").status_code == 404
    db.session.expire_all()
    route = db.session.get(m.PatrolRoute, route.id)
    assert route.name == "原线" and [c.name for c in route.checkpoints] == ["甲", "乙"]
    assert _count(db, m.PatrolRoute) == 1


def test_the_menu_offers_the_new_pages_by_role(client, place, login_as, guard_of):
    login_as("manager", place[0])
    html = client.get(f"{P}/training").get_data(as_text=True)
    for url in ("/courses", "/plans", "/questions", "/routes"):
        assert f'href="{P}{url}"' in html, url
    login_as("auditor", place[0].area)
    html = client.get(f"{P}/training").get_data(as_text=True)
    assert f'href="{P}/courses"' in html and f'href="{P}/questions"' not in html
    assert f'href="{P}/routes"' not in html


def test_a_walk_in_joins_the_register_within_the_daily_cap(client, db, place, make, login_as, guard_of, session_of):
    session, a, _b = session_of
    walk_in, busy = guard_of(place[0], display_name="孙三"), guard_of(place[0], display_name="李四")
    stranger = guard_of(place[1], display_name="周五")
    manager = make.account("manager", place[0])
    # 李四 already has 4 theory hours that day: 4 more would pass the cap of 6
    other = services.create_course(manager, "礼仪", "theory", 4)
    services.schedule_session(manager, place[0].id, other.id, manager.id,
                              dt.datetime(2026, 12, 1, 14, tzinfo=services.SHANGHAI), [busy.id])
    db.session.commit()
    login_as("manager", place[0])
    url = f"{P}/sessions/{session.id}/attendance"
    html = client.get(url).get_data(as_text=True)
    assert 'name="walk_ins"' in html and "孙三" in html and "周五" not in html
    resp = client.post(f"{url}?lang=en", data={"present": [str(a.id)], "walk_ins": [str(busy.id)]})
    assert resp.status_code == 409 and "cap of 6" in resp.get_data(as_text=True) and _errors_shown(resp)
    for bad in ([str(stranger.id)], [str(a.id)], ["x"]):  # not of this community, already on it, not a number
        resp = client.post(url, data={"present": [str(a.id)], "walk_ins": bad})
        assert resp.status_code == 422 and _errors_shown(resp), bad
    db.session.expire_all()
    assert _count(db, m.Attendance) == 3 and db.session.scalar(
        select(func.count()).where(m.Attendance.present.is_not(None))) == 0
    resp = client.post(url, data={"present": [str(a.id)], "walk_ins": [str(walk_in.id)]})
    assert resp.status_code == 302
    db.session.expire_all()
    row = db.session.scalar(select(m.Attendance).where(m.Attendance.account_id == walk_in.id))
    assert row.session_id == session.id and row.present is True and row.hours == 4
    assert services.progress_of([walk_in.id])[walk_in.id]["attended_hours"] == 4
    assert "孙三" in client.get(url).get_data(as_text=True)
