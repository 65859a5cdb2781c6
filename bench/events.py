"""Benchmark: participation figures (culture_events) against hand-written SQL on the same data.

    python bench/events.py                  # 10,000 residents, 100,000 registrations (under a minute)
    python bench/events.py --full           # 100,000 residents, 1,000,000 registrations
    python bench/events.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_events
    python bench/events.py --full --database-url ... --reuse   # time again the data of an earlier run

Prints the best-of-N time of ``services.participation`` and of the plain SQL doing the same work,
their ratio and whether it meets the issue's goal (within 1.5x). The care-needs reach is not timed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

GOAL = 1.5
COMMUNITIES = 10


def build(url: str, residents: int, registrations: int, seed: int = 7):
    from sqlalchemy import insert

    from core import create_app, db
    from core.migrate import upgrade_all
    from core.people.models import Person, Residency
    from core.places.models import Area, Building, Community, Organisation, OrgKind, StreetOffice, Unit
    from plugins.culture_events.models import Event, Registration

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "INSTANCE_PATH": tempfile.mkdtemp()})
    upgrade_all(app)
    rng = random.Random(seed)
    with app.app_context():
        s = db.session
        street = StreetOffice(name="基准街道")
        s.add(street)
        s.flush()
        area = Area(street_office_id=street.id, name="基准社区")
        company = Organisation(kind=OrgKind.property_company, name="基准物业")
        s.add_all([area, company])
        s.flush()
        communities = [Community(area_id=area.id, company_id=company.id, name=f"小区{i}") for i in range(COMMUNITIES)]
        s.add_all(communities)
        s.flush()
        buildings = [Building(area_id=area.id, community_id=c.id, name=f"{b + 1}栋") for c in communities
                     for b in range(10)]
        s.add_all(buildings)
        s.flush()
        n_units = max(residents // 3, len(buildings))
        s.execute(insert(Unit), [{"area_id": area.id, "community_id": buildings[i % len(buildings)].community_id,
                                  "building_id": buildings[i % len(buildings)].id, "number": str(i)}
                                 for i in range(n_units)])
        units = s.execute(Unit.__table__.select().with_only_columns(Unit.id, Unit.community_id)
                          .order_by(Unit.id)).all()
        s.execute(insert(Person), [{"area_id": area.id, "name": f"居民{i}",
                                    "birth_date": dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 30000))}
                                   for i in range(residents)])
        people = s.execute(Person.__table__.select().with_only_columns(Person.id).order_by(Person.id)).scalars().all()
        home = {}
        rows = []
        for i, pid in enumerate(people):
            unit_id, cid = units[i % len(units)]
            home[pid] = (unit_id, cid)
            rows.append({"area_id": area.id, "community_id": cid, "unit_id": unit_id, "person_id": pid,
                         "kind": "owner", "start_date": dt.date(2020, 1, 1)})
        s.execute(insert(Residency), rows)
        by_community: dict[int, list[int]] = {}
        for pid, (_u, cid) in home.items():
            by_community.setdefault(cid, []).append(pid)
        n_events = max(registrations // 1000, COMMUNITIES)
        start = dt.datetime(2026, 1, 5, 1, tzinfo=dt.UTC)
        events = []
        for e in range(n_events):
            c = communities[e % COMMUNITIES]
            at = start + dt.timedelta(days=(e * 353) // n_events)
            events.append({"area_id": area.id, "community_id": c.id, "organiser": "property_company",
                           "title": f"活动{e}", "starts_at": at, "ends_at": at + dt.timedelta(hours=2),
                           "capacity": 100000, "registration_opens_at": at - dt.timedelta(days=7),
                           "registration_closes_at": at, "function_tags": "cohesion"})
        s.execute(insert(Event), events)
        event_rows = s.execute(Event.__table__.select().with_only_columns(Event.id, Event.community_id,
                                                                           Event.starts_at)).all()
        per_event = registrations // len(event_rows)
        code = 0
        batch = []
        for eid, cid, at in event_rows:
            pool = by_community[cid]
            for pid in rng.sample(pool, min(per_event, len(pool))):
                code += 1
                batch.append({"area_id": area.id, "community_id": cid, "event_id": eid, "person_id": pid,
                              "unit_id": home[pid][0], "registered_by_id": pid, "status": "confirmed",
                              "age_group": "adults", "waiting_since": at, "checkin_code": f"{code:08d}",
                              "checked_in_at": at if rng.random() < 0.75 else None})
                if len(batch) >= 20000:
                    s.execute(insert(Registration), batch)
                    batch = []
        if batch:
            s.execute(insert(Registration), batch)
        s.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        ids = [c.id for c in communities]
    return app, ids


HAND_SQL = {
    "residents": """
        SELECT r.community_id, u.building_id,
               CASE WHEN p.birth_date IS NULL THEN 'unknown' WHEN p.birth_date > :child THEN 'children'
                    WHEN p.birth_date > :youth THEN 'youth' WHEN p.birth_date > :elderly THEN 'adults'
                    ELSE 'elderly' END AS g,
               COUNT(DISTINCT r.person_id)
        FROM residencies r JOIN people p ON p.id = r.person_id JOIN units u ON u.id = r.unit_id
        WHERE r.community_id IN :ids AND (r.start_date IS NULL OR r.start_date <= :on)
          AND (r.end_date IS NULL OR r.end_date >= :on)
        GROUP BY r.community_id, u.building_id, g""",
    "attendees": """
        SELECT a.community_id, u.building_id,
               CASE WHEN p.birth_date IS NULL THEN 'unknown' WHEN p.birth_date > :child THEN 'children'
                    WHEN p.birth_date > :youth THEN 'youth' WHEN p.birth_date > :elderly THEN 'adults'
                    ELSE 'elderly' END AS g,
               COUNT(DISTINCT a.person_id)
        FROM (SELECT DISTINCT reg.person_id, reg.community_id, reg.unit_id
              FROM culture_events_registration reg JOIN culture_events_event e ON e.id = reg.event_id
              WHERE reg.checked_in_at IS NOT NULL AND reg.community_id IN :ids
                AND e.starts_at >= :start AND e.starts_at < :end) AS a
        JOIN people p ON p.id = a.person_id JOIN units u ON u.id = a.unit_id
        GROUP BY a.community_id, u.building_id, g""",
    "repeat": """
        SELECT COUNT(*) FROM (
          SELECT reg.person_id FROM culture_events_registration reg JOIN culture_events_event e ON e.id = reg.event_id
          WHERE reg.checked_in_at IS NOT NULL AND reg.community_id IN :ids
            AND e.starts_at >= :start AND e.starts_at < :end
          GROUP BY reg.person_id HAVING COUNT(*) >= 2) AS x""",
}


def hand_written(ids, since, until, on):
    from sqlalchemy import bindparam, text

    from core import UTCDateTime, db
    from plugins.culture_events.services import TZ

    def back(years):
        return on.replace(year=on.year - years)

    start = dt.datetime.combine(since, dt.time(), TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), TZ).astimezone(dt.UTC)
    params = {"ids": ids, "child": back(14), "youth": back(36), "elderly": back(60), "on": on,
              "start": start, "end": end}
    out = {}
    for name, sql in HAND_SQL.items():
        used = {k: v for k, v in params.items() if f":{k}" in sql}
        binds = [bindparam("ids", expanding=True)] + [bindparam(k, type_=UTCDateTime()) for k in ("start", "end")
                                                      if k in used]
        stmt = text(sql).bindparams(*binds)
        out[name] = db.session.execute(stmt, used).all()
    return out


def existing(url: str):
    """The app and community ids of data an earlier run left in ``url`` (None when there is none)."""
    from sqlalchemy import select

    from core import create_app, db
    from core.places.models import Area, Community

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "INSTANCE_PATH": tempfile.mkdtemp()})
    with app.app_context():
        ids = list(db.session.scalars(select(Community.id).join(Area, Area.id == Community.area_id)
                                      .where(Area.name == "基准社区").order_by(Community.id)))
        db.session.remove()
    return (app, ids) if len(ids) == COMMUNITIES else None


def best_of_interleaved(fns, repeat):
    """Best time of each function, running them in turn (in alternating order, so neither always
    runs on the other's warm cache) so both see the same machine load."""
    times = [[] for _ in fns]
    results = [None] * len(fns)
    for r in range(repeat):
        for i in (range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))):
            fn = fns[i]
            t0 = time.perf_counter()
            results[i] = fn()
            times[i].append(time.perf_counter() - t0)
    return [min(t) for t in times], results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="100,000 residents and 1,000,000 registrations")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true",
                        help="with --database-url: time the data an earlier run of the same size left there")
    args = parser.parse_args(argv)
    residents, registrations = (100_000, 1_000_000) if args.full else (10_000, 100_000)
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    t0 = time.perf_counter()
    found = existing(url) if args.reuse and args.database_url else None
    app, ids = found or build(url, residents, registrations)
    print(f"data: {residents:,} residents, {registrations:,} registrations on {url.split(':')[0]} "
          f"({'reused' if found else f'{time.perf_counter() - t0:.1f}s to build'})")
    from core import db
    from plugins.culture_events import services

    since, until = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    with app.app_context():
        (plain, ours), (raw, data) = best_of_interleaved(
            [lambda: hand_written(ids, since, until, until),
             lambda: services.participation(ids, since, until, on=until)], args.repeat)
        attendees = sum(r[3] for r in raw["attendees"])
        assert data["total"]["attendees"] == attendees, (data["total"], attendees)
        assert data["repeat_participants"] == raw["repeat"][0][0]
        db.session.remove()
    ratio = ours / plain if plain else float("inf")
    print(f"hand-written SQL: {plain * 1000:.1f} ms; services.participation: {ours * 1000:.1f} ms; "
          f"ratio {ratio:.2f}x (goal within {GOAL}x): {'MET' if ratio <= GOAL else 'NOT MET'}")
    if args.database_url is None:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
