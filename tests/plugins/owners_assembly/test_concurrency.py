"""500 ballots from many connections at once: every roll entry counted exactly once."""

import datetime as dt
import random
import threading

import pytest
from sqlalchemy import func, select

from core.people.models import Person
from plugins.owners_assembly import services as svc
from plugins.owners_assembly.models import Ballot, RollEntry

pytestmark = pytest.mark.heavy

ENTRIES, CHANGES, WORKERS = 400, 100, 60  # PostgreSQL here allows 100 connections in all


def test_concurrent_ballots_count_each_entry_once(estate, make_app, db):
    now = svc.utcnow()
    meeting = svc.create_meeting(estate.committee, estate.community, title="并发", kind="regular", form="online",
                                 cutoff_date=now.date(), opens_at=now - dt.timedelta(hours=1),
                                 closes_at=now + dt.timedelta(days=1))
    item = svc.add_item(estate.committee, meeting, title="事项", decision_class="ordinary")
    meeting.status = "noticed"  # the roll below is written directly: this test is about ballots
    stamp = {"created_at": now, "updated_at": now}
    db.session.execute(Person.__table__.insert(), [{"name": f"业主{i}", "nationality": "CHN", "care_consent": False,
                                                     **stamp} for i in range(ENTRIES)])
    people = db.session.scalars(select(Person.id).where(Person.name.like("业主%")).order_by(Person.id)).all()
    db.session.execute(RollEntry.__table__.insert(), [
        {"area_id": meeting.area_id, "community_id": meeting.community_id, "meeting_id": meeting.id,
         "voter_key": f"person:{pid}", "person_id": pid, "name": f"业主{i}", "units": f"1-{i}", "area": 10000,
         "heads": 1, **stamp} for i, pid in enumerate(people)])
    meeting.total_area, meeting.total_heads = ENTRIES * 10000, ENTRIES
    db.session.commit()
    entries = db.session.execute(select(RollEntry.id, RollEntry.person_id)
                                 .where(RollEntry.meeting_id == meeting.id)).all()
    # plain ids only: the test's own ORM objects belong to its session and must not be touched
    # from the worker threads
    meeting_id, item_id, Meeting, Item = meeting.id, item.id, type(meeting), type(item)
    work = [(e, p, "agree") for e, p in entries] + [(e, p, "disagree") for e, p in entries[:CHANGES]]
    random.Random(7).shuffle(work)
    app = make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": WORKERS, "max_overflow": 0}})
    barrier = threading.Barrier(WORKERS)
    errors = []

    def worker(jobs):
        with app.app_context():
            from core.database import db as handle

            handle.session.execute(select(1))  # hold a connection of our own before the start
            handle.session.commit()
            barrier.wait()
            for entry_id, person_id, choice in jobs:
                try:
                    svc.cast_ballot(handle.session.get(Person, person_id), handle.session.get(Meeting, meeting_id),
                                    handle.session.get(Item, item_id), handle.session.get(RollEntry, entry_id), choice)
                    handle.session.commit()
                except Exception as exc:  # collected and asserted below
                    handle.session.rollback()
                    errors.append(repr(exc))
            handle.session.remove()

    threads = [threading.Thread(target=worker, args=(work[i::WORKERS],)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    with app.app_context():
        from core.database import db as handle

        handle.engine.dispose()  # give the connections back to the server
    assert not errors, errors[:5]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.meeting_id == meeting_id)) == ENTRIES
    per_entry = db.session.execute(select(Ballot.roll_entry_id, func.count()).group_by(Ballot.roll_entry_id)
                                   .having(func.count() > 1)).all()
    assert per_entry == []
    result = svc.tally_meeting(db.session.get(Meeting, meeting_id))[item_id]
    assert result.tally.participating_heads == ENTRIES
    assert result.tally.participating_area == ENTRIES * 10000
