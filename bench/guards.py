"""Guard dashboard at company scale: the product's figures against hand-written SQL.

    python bench/guards.py            # 500 guards (quick)
    python bench/guards.py --full     # 2,000 guards, the issue's scale

Seeds guards with full training attendance and exam histories (Core inserts), computes the dashboard
with ``plugins.security_guard.services.dashboard`` and the same figures with one hand-written SQL
statement per figure, checks they agree, and prints the time ratio (goal: within 1.5×).
Uses a temporary SQLite file unless JIAYUAN_BENCH_DATABASE_URL names another database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL = 1.5

BASELINE_SQL = {
    "funnel": "SELECT community_id, status, count(*) FROM security_guard_candidates GROUP BY community_id, status",
    "levels": "SELECT community_id, level, count(*) FROM security_guard_guards GROUP BY community_id, level",
    "trained": """
        SELECT g.community_id, count(*) FROM security_guard_guards g
        JOIN (SELECT account_id, sum(hours) AS h FROM security_guard_attendance WHERE present
              GROUP BY account_id) a ON a.account_id = g.account_id
        LEFT JOIN security_guard_plans p ON p.id = g.plan_id
        WHERE a.h >= coalesce(p.target_hours, :plan) GROUP BY g.community_id""",
    "passes": """
        SELECT community_id, count(*), sum(CASE WHEN passed THEN 1 ELSE 0 END) FROM security_guard_attempts
        WHERE passed IS NOT NULL GROUP BY community_id""",
    "due": """
        SELECT g.community_id, count(*) FROM security_guard_guards g
        WHERE NOT EXISTS (SELECT 1 FROM security_guard_attempts t WHERE t.account_id = g.account_id
                          AND t.passed AND t.submitted_at >= :cutoff) GROUP BY g.community_id""",
    "patrols": """
        SELECT community_id, count(*), sum(CASE WHEN missed_count = 0 THEN 1 ELSE 0 END)
        FROM security_guard_patrol_rounds WHERE finished_at IS NOT NULL GROUP BY community_id""",
    "ratings": "SELECT community_id, count(*), sum(score) FROM security_guard_ratings GROUP BY community_id",
}


def seed(db, n_guards: int, rng: random.Random) -> None:
    from sqlalchemy import insert

    import core
    from plugins.security_guard import models as m

    s = db.session
    from core.places.models import StreetOffice

    street = StreetOffice(name="基准街道")
    s.add(street)
    s.flush()
    area = core.Area(street_office_id=street.id, name="基准社区")
    s.add(area)
    s.flush()
    company = core.Organisation(kind="property_company", name="基准物业")
    s.add(company)
    s.flush()
    communities = [core.Community(area_id=area.id, company_id=company.id, name=f"小区{i}") for i in range(10)]
    s.add_all(communities)
    s.flush()
    people = s.scalars(insert(core.Person).returning(core.Person.id, sort_by_parameter_order=True),
                       [{"name": f"保安{i}", "area_id": area.id, "nationality": "CHN"} for i in range(n_guards)]).all()
    accounts = s.scalars(insert(core.Account).returning(core.Account.id, sort_by_parameter_order=True), [
        {"username": f"bench{i}", "password_hash": "x", "display_name": f"保安{i}", "person_id": p, "active": True,
         "failed_logins": 0} for i, p in enumerate(people)]).all()
    plan = m.Plan(name="入职", target_hours=284)
    theory, practice = m.Course(title="t", kind="theory", hours=6), m.Course(title="p", kind="practice", hours=3)
    exam = m.Exam(title="e", question_ids=[])
    s.add_all([plan, theory, practice, exam])
    s.flush()
    guards, candidates = [], []
    for i, (pid, aid) in enumerate(zip(people, accounts, strict=True)):
        c = communities[i % len(communities)]
        guards.append({"area_id": area.id, "community_id": c.id, "account_id": aid, "role": "guard",
                       "level": rng.choice([5, 5, 4, 3, 2, 1]), "level_since": dt.date(2025, 1, 1), "plan_id": plan.id})
        candidates.append({"area_id": area.id, "community_id": c.id, "person_id": pid,
                           "status": rng.choice(["accepted", "accepted", "rejected", "applied"]), "revocations": []})
    s.execute(insert(m.Guard), guards)
    s.execute(insert(m.GuardCandidate), candidates)
    now = core.utcnow()
    days = 50  # 50 days × (6 theory + 3 practice) = 450 hours offered
    for ci, c in enumerate(communities):
        members = [g for g in guards if g["community_id"] == c.id]
        sessions = []
        for d in range(days):
            day = dt.date(2026, 1, 5) + dt.timedelta(days=d)
            for course in (theory, practice):
                sessions.append({"area_id": area.id, "community_id": c.id, "course_id": course.id,
                                 "trainer_id": accounts[ci], "day": day, "kind": course.kind, "hours": course.hours,
                                 "starts_at": dt.datetime.combine(day, dt.time(1 if course.kind == "theory" else 6),
                                                                  tzinfo=dt.UTC)})
        ids = s.scalars(insert(m.TrainingSession).returning(m.TrainingSession.id, sort_by_parameter_order=True),
                        sessions).all()
        rows = []
        for g in members:
            share = rng.uniform(0.5, 1.0)
            for sid, sess in zip(ids, sessions, strict=True):
                rows.append({"area_id": area.id, "session_id": sid, "account_id": g["account_id"],
                             "day": sess["day"], "kind": sess["kind"], "hours": sess["hours"],
                             "present": rng.random() < share})
        s.execute(insert(m.Attendance), rows)
        route = m.PatrolRoute(area_id=area.id, community_id=c.id, name="r")
        s.add(route)
        s.flush()
        s.execute(insert(m.PatrolRound), [
            {"area_id": area.id, "community_id": c.id, "route_id": route.id, "guard_id": rng.choice(members)["account_id"],
             "started_at": now, "finished_at": now, "missed_count": int(rng.random() < 0.1)} for _ in range(300)])
        s.execute(insert(m.Rating), [{"area_id": area.id, "community_id": c.id, "source": "survey",
                                      "score": rng.randint(1, 5)} for _ in range(100)])
    attempts = []
    for g in guards:
        for n in range(1, 5):
            at = now - dt.timedelta(days=rng.randint(1, 365))
            score = rng.randint(30, 100)
            attempts.append({"area_id": area.id, "community_id": g["community_id"], "exam_id": exam.id,
                             "account_id": g["account_id"], "number": n, "started_at": at, "deadline_at": at,
                             "submitted_at": at, "answers": {}, "practical": {}, "score": score,
                             "passed": score >= 60})
    s.execute(insert(m.Attempt), attempts)
    s.commit()


def baseline(db, plan_hours: int, cutoff) -> dict[int, dict]:
    from sqlalchemy import text

    from plugins.security_guard.services import DASHBOARD_KEYS

    out: dict[int, dict] = {}
    conn = db.session.connection()

    def row(cid):
        return out.setdefault(cid, dict.fromkeys(DASHBOARD_KEYS, 0))

    for cid, status, n in conn.execute(text(BASELINE_SQL["funnel"])):
        row(cid)[status] = n
    for cid, level, n in conn.execute(text(BASELINE_SQL["levels"])):
        row(cid)[f"level_{level}"] = n
        row(cid)["guards"] += n
    for cid, n in conn.execute(text(BASELINE_SQL["trained"]), {"plan": plan_hours}):
        row(cid)["trained"] = n
    for cid, n, ok in conn.execute(text(BASELINE_SQL["passes"])):
        row(cid)["graded"], row(cid)["passed"] = n, int(ok or 0)
    for cid, n in conn.execute(text(BASELINE_SQL["due"]), {"cutoff": cutoff}):
        row(cid)["due"] = n
    for cid, n, ok in conn.execute(text(BASELINE_SQL["patrols"])):
        row(cid)["rounds"], row(cid)["rounds_complete"] = n, int(ok or 0)
    for cid, n, total in conn.execute(text(BASELINE_SQL["ratings"])):
        row(cid)["ratings"], row(cid)["rating_sum"] = n, int(total or 0)
    return out


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="2,000 guards (the issue's scale)")
    parser.add_argument("--guards", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.guards or (2000 if args.full else 500)

    tmp = tempfile.mkdtemp(prefix="jy-bench-guards-")
    url = os.environ.get("JIAYUAN_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    from core.app import create_app
    from core.database import db
    from core.migrate import upgrade_all

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp, "TESTING": True})
    upgrade_all(app)
    with app.app_context():
        from plugins.security_guard import services

        start = time.perf_counter()
        seed(db, n, random.Random(7))
        print(f"seeded {n} guards in {time.perf_counter() - start:.1f}s")
        on = dt.date.today()
        rules = services.assessment_rules()
        cutoff = dt.datetime.combine(services.add_months(on, -rules.reassessment_months), dt.time(16), tzinfo=dt.UTC)
        plan_hours = services.training_rules().entry_plan_hours
        product = services.dashboard(None, on)
        expected = baseline(db, plan_hours, cutoff)
        if product != expected:
            print("MISMATCH between the product and the hand-written SQL")
            for cid in sorted(set(product) | set(expected)):
                if product.get(cid) != expected.get(cid):
                    print(cid, product.get(cid), expected.get(cid))
            return 1
        t_product = best_of(lambda: services.dashboard(None, on), args.repeat)
        t_base = best_of(lambda: baseline(db, plan_hours, cutoff), args.repeat)
    ratio = t_product / t_base
    print(f"dashboard (product): {t_product * 1000:.1f} ms; hand-written SQL: {t_base * 1000:.1f} ms")
    print(f"ratio {ratio:.2f}× (goal ≤ {GOAL}×): {'MEETS' if ratio <= GOAL else 'MISSES'} the goal; figures agree")
    return 0 if ratio <= GOAL else 2


if __name__ == "__main__":
    sys.exit(main())
