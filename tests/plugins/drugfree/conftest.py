import datetime as dt

import pytest

ID_NUMBER = "110101199003071236"
NAME = "禁毒测试甲"
PERSON_ID = 987654


@pytest.fixture
def world(make, db):
    """An area with two companies' communities, a resident case holder, and an officer; a second area."""
    area = make.area(name="幸福里社区")
    other_area = make.area(name="春晖社区")
    community = make.community(area=area)
    unit = make.unit(building=make.building(community=community))
    from core import blind_index

    person = make.person(id=PERSON_ID, name=NAME, area_id=area.id, id_number=ID_NUMBER,
                         id_number_index=blind_index(ID_NUMBER, "person.id_number"))
    make.resident(unit, person, kind="tenant")
    other_unit = make.unit(building=make.building(community=make.community(area=other_area)))
    outsider = make.resident(other_unit)
    officer = make.account("drugfree_officer", area, username="officer")
    db.session.commit()
    return {"area": area, "other_area": other_area, "community": community, "unit": unit, "person": person,
            "outsider": outsider, "officer": officer}


@pytest.fixture
def open_case(world, db):
    """A case opened through the service for the world's person."""
    from plugins.drugfree import services

    def build(**kw):
        args = {"person_id": world["person"].id, "legal_basis": "police_notification",
                "registered_on": dt.date(2020, 1, 1), **kw}
        case = services.create_case(world["officer"], world["area"], **args)
        db.session.commit()
        return case

    return build
