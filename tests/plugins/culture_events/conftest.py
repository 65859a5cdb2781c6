"""Builders shared by the culture_events tests."""

from __future__ import annotations

import datetime as dt

import pytest

from plugins.culture_events import services

TZ = services.TZ


def at(y, m, d, h=9, minute=0) -> dt.datetime:
    return dt.datetime(y, m, d, h, minute, tzinfo=TZ)


@pytest.fixture
def world(make, db):
    """A community with a manager, a household (adult owner, a child, a grandparent), and a stranger."""

    class World:
        pass

    w = World()
    w.community = make.community()
    w.building = make.building(w.community)
    w.unit = make.unit(w.building)
    w.owner = make.owner(w.unit, person=make.person(area_id=w.community.area_id, birth_date=dt.date(1985, 3, 1)))
    w.child = make.resident(w.unit, make.person(area_id=w.community.area_id, birth_date=dt.date(2018, 6, 1)))
    w.grandma = make.resident(w.unit, make.person(area_id=w.community.area_id, birth_date=dt.date(1950, 1, 1)))
    w.other_unit = make.unit(w.building)
    w.neighbour = make.owner(w.other_unit)
    w.manager = make.account("manager", w.community)
    return w


@pytest.fixture
def plan(db):
    """``plan(world, **overrides)`` → an event of the world's community open for registration now."""

    def build(w, **kw):
        now = services.utcnow()
        data = {"title": "中秋晚会", "starts_at": now + dt.timedelta(days=10),
                "ends_at": now + dt.timedelta(days=10, hours=2), "capacity": 10, "age_groups": ["all"],
                "registration_opens_at": now - dt.timedelta(days=1), **kw}
        return services.create_event(w.manager, data, community=w.community)[0]

    return build


@pytest.fixture(autouse=True)
def _request(app, db):
    """Services run inside requests (their messages are translated lazily): give tests one."""
    with app.test_request_context():
        yield
