"""Demo data: a company of several hundred guards with selection, training, exam and patrol histories.

Idempotent: nothing is added when guard rows already exist. Guard accounts share one precomputed
password hash (the demo password) so the demo builds in seconds.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert, select

import core
from plugins.security_guard import models as m
from plugins.security_guard.services import SHANGHAI, add_years, local_day

GUARDS_PER_COMMUNITY = 150
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳军勇杰磊强洋艳斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆"
DEMO_PASSWORD = "jiayuan-demo-2026"


def _name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")


def load(session) -> None:
    if session.scalar(select(m.Guard.id).limit(1)) is not None:
        return
    communities = list(session.scalars(select(core.Community).order_by(core.Community.id)))
    if not communities:
        return
    rng = random.Random(2026)
    today = dt.date.today()
    now = core.utcnow()
    from werkzeug.security import generate_password_hash

    password_hash = generate_password_hash(DEMO_PASSWORD)

    manager = session.scalar(select(core.Account).where(core.Account.username == "manager"))
    trainer_id = manager.id if manager else None
    # the course library, plan and question bank belong to the company, as those made on the pages do
    org_id = manager.organisation_id if manager and manager.organisation_id else communities[0].company_id
    courses = [m.Course(title=t, kind=k, hours=h, organisation_id=org_id) for t, k, h in (
        ("保安服务法律法规", "theory", 6), ("职业道德与礼仪", "theory", 4), ("消防基础与器材使用", "practice", 3),
        ("队列与体能", "practice", 3), ("门岗与访客登记", "theory", 4), ("应急处置演练", "practice", 3))]
    plan = m.Plan(name="保安员入职培训", role="guard", target_hours=284, organisation_id=org_id)
    session.add_all([*courses, plan])
    session.flush()
    questions = [m.Question(kind="single", text="发现火情首先应拨打哪个电话？", options=["110", "119", "120"],
                            correct="1", points=20, organisation_id=org_id),
                 m.Question(kind="true_false", text="保安员可以扣押业主的身份证件。", options=[], correct=False,
                            points=20, organisation_id=org_id),
                 m.Question(kind="multiple", text="访客登记应记录哪些内容？",
                            options=["访客姓名", "被访住户", "进出时间", "访客工资"], correct=["0", "1", "2"],
                            points=30, organisation_id=org_id),
                 m.Question(kind="true_false", text="巡逻时每个巡更点都要签到。", options=[], correct=True,
                            points=30, organisation_id=org_id)]
    session.add_all(questions)
    session.flush()
    exam = m.Exam(title="五级保安员理论考核", level=5, duration_minutes=30, pass_mark=60, organisation_id=org_id,
                  question_ids=[q.id for q in questions])
    session.add(exam)
    session.flush()

    for community in communities:
        _community(session, rng, community, courses, plan, exam, password_hash, trainer_id, today, now)

    demo_guard = session.scalar(select(core.Account).where(core.Account.username == "guard"))
    first = communities[0]
    if demo_guard is not None:
        session.add(m.Guard(area_id=first.area_id, community_id=first.id, account_id=demo_guard.id, role="guard",
                            level=5, level_since=today - dt.timedelta(days=90), plan_id=plan.id))
    session.flush()


def _community(session, rng, community, courses, plan, exam, password_hash, trainer_id, today, now):
    prefix = f"g{community.id:02d}"
    people, accounts = [], []
    for _i in range(GUARDS_PER_COMMUNITY):
        born = today - dt.timedelta(days=rng.randint(19 * 365, 55 * 365))
        people.append({"name": _name(rng), "birth_date": born, "nationality": "CHN", "area_id": community.area_id})
    person_ids = list(session.scalars(insert(core.Person).returning(core.Person.id, sort_by_parameter_order=True), people))
    for i, pid in enumerate(person_ids):
        accounts.append({"username": f"{prefix}guard{i:03d}", "password_hash": password_hash,
                         "display_name": people[i]["name"], "person_id": pid, "active": True,
                         "organisation_id": community.company_id, "failed_logins": 0})
    account_ids = list(session.scalars(insert(core.Account).returning(core.Account.id, sort_by_parameter_order=True), accounts))
    for aid in account_ids:
        core.grant_role(session.get(core.Account, aid), "guard", core.ScopeType.community, community.id,
                        organisation_id=community.company_id)

    # selection history: accepted candidates became the guards; others are at every step of the funnel
    candidates = []
    for i, pid in enumerate(person_ids):
        candidates.append(_candidate(community, pid, "accepted", rng, today, account_ids[i], "面试合格"))
    extra = []
    for status, n in (("applied", 25), ("screened", 15), ("interviewed", 10), ("rejected", 40)):
        for _ in range(n):
            born = today - dt.timedelta(days=rng.randint(17 * 365, 50 * 365))
            extra.append((status, {"name": _name(rng), "birth_date": born, "nationality": "CHN",
                                   "area_id": community.area_id}))
    extra_ids = list(session.scalars(insert(core.Person).returning(core.Person.id, sort_by_parameter_order=True), [p for _, p in extra]))
    reasons = ["健康证已过期", "保安员考试未通过", "面试评分偏低", "学历不符合要求"]
    for (status, _p), pid in zip(extra, extra_ids, strict=True):
        candidates.append(_candidate(community, pid, status, rng, today, None,
                                     rng.choice(reasons) if status == "rejected" else None))
    session.execute(insert(m.GuardCandidate), candidates)

    levels = [5] * 70 + [4] * 40 + [3] * 25 + [2] * 10 + [1] * 5
    session.execute(insert(m.Guard), [
        {"area_id": community.area_id, "community_id": community.id, "account_id": aid, "role": "guard",
         "level": levels[i % len(levels)], "level_since": today - dt.timedelta(days=rng.randint(30, 900)),
         "plan_id": plan.id} for i, aid in enumerate(account_ids)])

    # training: 60 days of sessions; seniors attended everything, newcomers part of it
    sessions, attendance = [], []
    start_day = today - dt.timedelta(days=120)
    for d in range(60):
        day = start_day + dt.timedelta(days=d * 2)
        for course in (courses[(0, 1, 4)[d % 3]], courses[(2, 3, 5)[d % 3]]):
            starts = dt.datetime.combine(day, dt.time(9 if course.kind == "theory" else 14), tzinfo=SHANGHAI)
            sessions.append({"area_id": community.area_id, "community_id": community.id, "course_id": course.id,
                             "trainer_id": trainer_id or account_ids[0], "starts_at": starts,
                             "day": local_day(starts), "kind": course.kind, "hours": course.hours,
                             "location": "培训教室"})
    session_ids = list(session.scalars(insert(m.TrainingSession).returning(m.TrainingSession.id, sort_by_parameter_order=True), sessions))
    for i, aid in enumerate(account_ids):
        share = 1.0 if i % 3 == 0 else rng.uniform(0.3, 0.95)
        for sid, s in zip(session_ids, sessions, strict=True):
            if rng.random() < share:
                attendance.append({"area_id": community.area_id, "session_id": sid, "account_id": aid,
                                   "day": s["day"], "kind": s["kind"], "hours": s["hours"], "present": True})
    session.execute(insert(m.Attendance), attendance)

    # exam histories: one to three sittings, quarterly re-assessments for most
    attempts = []
    for aid in account_ids:
        for n in range(1, rng.randint(2, 4)):
            started = now - dt.timedelta(days=rng.randint(5, 200), minutes=rng.randint(0, 600))
            score = rng.choice([40, 50, 60, 70, 80, 100])
            attempts.append({"area_id": community.area_id, "community_id": community.id, "exam_id": exam.id,
                             "account_id": aid, "number": n, "started_at": started,
                             "deadline_at": started + dt.timedelta(minutes=30),
                             "submitted_at": started + dt.timedelta(minutes=rng.randint(10, 29)),
                             "answers": {}, "practical": {}, "score": score, "passed": score >= 60})
    session.execute(insert(m.Attempt), attempts)

    # patrols: two routes, 200 finished rounds, some with missed checkpoints
    for name, points in (("夜间巡逻", ["东门", "地下车库", "3号楼", "北门"]), ("白天巡逻", ["南门", "花园", "会所"])):
        route = m.PatrolRoute(area_id=community.area_id, community_id=community.id, name=name)
        session.add(route)
        session.flush()
        cps = [m.Checkpoint(route_id=route.id, name=p, position=i) for i, p in enumerate(points)]
        session.add_all(cps)
        session.flush()
        rounds = []
        for _ in range(100):
            started = now - dt.timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
            missed = [c.id for c in cps if rng.random() < 0.05]
            rounds.append({"area_id": community.area_id, "community_id": community.id, "route_id": route.id,
                           "guard_id": rng.choice(account_ids), "started_at": started,
                           "finished_at": started + dt.timedelta(minutes=40), "missed": missed,
                           "missed_count": len(missed)})
        session.execute(insert(m.PatrolRound), rounds)

    # posts and a week of 12-hour shifts, fellowship, commendations, a discipline record
    posts = [m.Post(area_id=community.area_id, community_id=community.id, name=n) for n in ("东门岗", "南门岗", "监控室")]
    session.add_all(posts)
    session.flush()
    shifts = []
    for d in range(7):
        for half in (0, 1):
            starts = dt.datetime.combine(today + dt.timedelta(days=d), dt.time(8 + 12 * half), tzinfo=SHANGHAI)
            for j, post in enumerate(posts):
                shifts.append({"area_id": community.area_id, "community_id": community.id, "post_id": post.id,
                               "guard_id": account_ids[(d * 6 + half * 3 + j) % len(account_ids)],
                               "starts_at": starts, "ends_at": starts + dt.timedelta(hours=12)})
    session.execute(insert(m.Shift), shifts)
    session.add_all([m.FellowshipEvent(area_id=community.area_id, community_id=community.id, title=t, day=d, participants=p)
                     for t, d, p in (("中秋保安业主联谊会", dt.date(2026, 9, 25), 86), ("重阳节敬老活动", dt.date(2026, 10, 18), 42))])
    session.add_all([m.Commendation(area_id=community.area_id, community_id=community.id, guard_id=rng.choice(account_ids),
                                    deed=deed, status=status)
                     for deed, status in (("拾金不昧，归还业主钱包", "awarded"), ("暴雨夜帮助业主转移车辆", "proposed"))])
    session.add(m.Discipline(area_id=community.area_id, community_id=community.id, guard_id=account_ids[-1],
                             act="company_rules", sanction="warning", on=today - dt.timedelta(days=20), note="脱岗十分钟"))

    session.execute(insert(m.Rating), [{"area_id": community.area_id, "community_id": community.id, "ticket_id": None,
                                        "source": "survey", "score": rng.choice([3, 4, 4, 5, 5, 5])}
                                       for _ in range(60)])


def _candidate(community, person_id, status, rng, today, account_id, reason):
    cert = rng.random() < 0.4
    return {"area_id": community.area_id, "community_id": community.id, "person_id": person_id, "status": status,
            "education": rng.choice(["junior_high", "senior_high", "vocational", "college"]),
            "health_certificate_no": f"JK{rng.randint(100000, 999999)}",
            "health_certificate_valid_until": today + dt.timedelta(days=rng.randint(-30, 330)),
            "exam_score": rng.randint(55, 98), "exam_date": today - dt.timedelta(days=rng.randint(10, 400)),
            "certificate_no": f"保{rng.randint(10**9, 10**10 - 1)}" if cert else None,
            "certificate_verified_by": "人事部" if cert else None,
            "certificate_verified_on": add_years(today, -1) if cert else None,
            "certificate_verify_method": "police_portal" if cert else None,
            "vetting_outcome": None if cert else "passed", "revocations": [], "eligibility": None,
            "decision_reason": reason, "account_id": account_id}
