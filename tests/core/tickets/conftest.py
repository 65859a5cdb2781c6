import datetime as dt
from dataclasses import dataclass

import pytest

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@dataclass
class Scene:
    community: object
    building: object
    unit: object
    owner_person: object
    owner: object  # account
    steward: object
    staff: object
    manager: object


@pytest.fixture
def scene(make, db):
    community = make.community()
    manager = make.account("manager", community, email="mgr@example.test")
    steward = make.account("staff", community)
    staff = make.account("staff", community)
    building = make.building(community, steward_id=steward.id)
    unit = make.unit(building)
    person = make.owner(unit)
    owner = make.account(person=person, email="owner@example.test")
    db.session.flush()
    return Scene(community, building, unit, person, owner, steward, staff, manager)


# A Wednesday 10:00 in Shanghai (02:00 UTC): working time on an ordinary week
WED_10 = dt.datetime(2026, 11, 4, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def new_ticket(scene):
    from core.tickets import services

    def build(code="in_unit_repair", actor=None, now=WED_10, **kw):
        return services.create_ticket(actor or scene.owner, community=scene.community, unit=scene.unit,
                                      category_code=code, title=kw.pop("title", "厨房水龙头漏水"),
                                      description=kw.pop("description", "一直滴水"), channel=kw.pop("channel", "portal"),
                                      now=now, **kw)

    return build


@pytest.fixture
def plugin_app(make_app, db):
    """Another app with only the given plugin modules; its session and connections are released after."""
    made = []

    def build(plugins):
        other = make_app({"PLUGINS": []}, plugins=plugins)
        made.append(other)
        return other

    yield build
    from core.database import db as handle

    for other in made:
        with other.app_context():
            handle.session.rollback()
            handle.session.remove()
            handle.engine.dispose()
