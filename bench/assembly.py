"""Tally of an owners' assembly: 20,000 roll entries x 10 items.

Compares the product's tally (one aggregate query, then the Civil Code rules in Python) with the
raw read of the same ballots joined to the roll, measured in the same run. Goal: within 1.5x.

    python bench/assembly.py [--entries 20000] [--items 10] [--database-url URL]
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


def best_of(fn, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="jy-bench-")
    url = args.database_url or f"sqlite:///{instance}/bench.db"
    os.environ.setdefault("JIAYUAN_INSTANCE_PATH", instance)
    from sqlalchemy import select, text

    from core.app import create_app
    from core.database import db, utcnow
    from core.migrate import upgrade_all
    from core.places.models import Area, Community, StreetOffice
    from plugins.owners_assembly import services as svc
    from plugins.owners_assembly.models import AgendaItem, Ballot, Meeting, RollEntry

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
    upgrade_all(app)
    with app.app_context():
        now = utcnow()
        street = StreetOffice(name="基准街道")
        db.session.add(street)
        db.session.flush()
        area = Area(street_office_id=street.id, name="基准社区")
        db.session.add(area)
        db.session.flush()
        community = Community(area_id=area.id, name="基准小区")
        db.session.add(community)
        db.session.flush()
        meeting = Meeting(area_id=area.id, community_id=community.id, title="bench", status="noticed",
                          cutoff_date=now.date(), opens_at=now - dt.timedelta(days=1),
                          closes_at=now + dt.timedelta(days=1))
        db.session.add(meeting)
        db.session.flush()
        items = [AgendaItem(area_id=area.id, community_id=community.id, meeting_id=meeting.id, position=i + 1,
                            title=f"item {i}", decision_class="special" if i % 2 else "ordinary")
                 for i in range(args.items)]
        db.session.add_all(items)
        db.session.flush()
        stamp = {"created_at": now, "updated_at": now}
        rng = random.Random(1)
        db.session.execute(RollEntry.__table__.insert(), [
            {"area_id": area.id, "community_id": community.id, "meeting_id": meeting.id, "voter_key": f"p:{i}",
             "name": f"v{i}", "units": str(i), "area": rng.randint(6000, 16000), "heads": 1, **stamp}
            for i in range(args.entries)])
        entry_ids = db.session.scalars(select(RollEntry.id).where(RollEntry.meeting_id == meeting.id)).all()
        ballots = [{"area_id": area.id, "community_id": community.id, "meeting_id": meeting.id, "item_id": item.id,
                    "roll_entry_id": eid, "choice": rng.choice(["agree", "agree", "disagree", "abstain"]),
                    "channel": "online", "changes": 0, **stamp}
                   for item in items for eid in entry_ids if rng.random() < 0.8]
        db.session.execute(Ballot.__table__.insert(), ballots)
        meeting.total_area = db.session.scalar(select(db.func.sum(RollEntry.area)))
        meeting.total_heads = args.entries
        db.session.commit()
        meeting = db.session.get(Meeting, meeting.id)

        raw_sql = text("SELECT b.item_id, b.choice, r.area, r.heads FROM owners_assembly_ballots b "
                       "JOIN owners_assembly_roll r ON r.id = b.roll_entry_id WHERE b.meeting_id = :m")

        def raw():
            with db.engine.connect() as conn:
                return conn.execute(raw_sql, {"m": meeting.id}).fetchall()

        def product():
            return svc.tally_meeting(meeting)

        product()
        raw()
        t_product, t_raw = best_of(product), best_of(raw)
        results = product()
        passed = sum(r.passed for r in results.values())
    ratio = t_product / t_raw
    print(f"database: {url.split(':')[0]}; roll entries: {args.entries}; items: {args.items}; "
          f"ballots: {len(ballots)}")
    print(f"product tally: {t_product * 1000:.1f} ms ({passed}/{len(results)} items passed); "
          f"raw read of the same ballots: {t_raw * 1000:.1f} ms")
    print(f"ratio product/raw: {ratio:.2f}x — goal within 1.5x: {'MET' if ratio <= 1.5 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
