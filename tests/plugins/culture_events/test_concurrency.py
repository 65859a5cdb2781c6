"""No oversell: many registrations for few places at the same instant, from separate connections."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from plugins.culture_events import services as s
from plugins.culture_events.models import Registration


def _race(app_for_threads, event_id: int, person_ids: list[int]) -> list:
    """Register each person from a thread of its own, all released together behind a barrier."""
    from core import Person, db

    barrier = threading.Barrier(len(person_ids))
    errors: list = []

    def worker(pid):
        with app_for_threads.test_request_context():
            try:
                db.session.execute(select(1))  # hold a connection of our own before the start
                person = db.session.get(Person, pid)
                event = db.session.get(s.Event, event_id)
                barrier.wait(timeout=60)
                s.register(person, event)
                db.session.commit()
            except Exception as exc:  # collected and asserted below
                db.session.rollback()
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(pid,)) for pid in person_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return errors


def _setup(make, db, n):
    community = make.community()
    building = make.building(community)
    people = [make.owner(make.unit(building)) for _ in range(n)]
    manager = make.account("manager", community)
    now = s.utcnow()
    event = s.create_event(manager, {"title": "抢位", "starts_at": now + dt.timedelta(days=2),
                                     "ends_at": now + dt.timedelta(days=2, hours=1), "capacity": 10,
                                     "registration_opens_at": now - dt.timedelta(hours=1)}, community=community)[0]
    db.session.commit()
    return event, [p.id for p in people]


def _counts(db, event_id):
    db.session.expire_all()
    rows = db.session.execute(select(Registration.status, func.count()).where(Registration.event_id == event_id)
                              .group_by(Registration.status)).all()
    return {str(k): v for k, v in rows}


@pytest.mark.heavy
def test_fifty_for_ten_places_on_postgresql(make_app, make, db):
    event, people = _setup(make, db, 50)
    racing = make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 55, "max_overflow": 0, "pool_timeout": 60}})
    errors = _race(racing, event.id, people)
    with racing.app_context():
        from core import db as handle

        handle.engine.dispose()
    assert errors == []
    assert _counts(db, event.id) == {"confirmed": 10, "waiting": 40}


def test_twelve_for_ten_places_on_any_database(make_app, make, db):
    """The same race, smaller, on whichever database the run uses (SQLite serialises by its write lock)."""
    event, people = _setup(make, db, 12)
    racing = make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 15, "max_overflow": 0, "pool_timeout": 60}}
                      if db.engine.dialect.name == "postgresql" else None)
    errors = _race(racing, event.id, people)
    assert errors == []
    assert _counts(db, event.id) == {"confirmed": 10, "waiting": 2}
