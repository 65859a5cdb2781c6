from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import Forbidden, Invalid, NotFound
from core.places import services
from core.places.models import SaleStatus, UnitUse


def test_parse_area_accepts_two_places_and_rejects_the_rest():
    errors = {}
    assert services.parse_area("89.5", "a", errors) == Decimal("89.5")
    assert services.parse_area(" 0 ", "a", errors) == Decimal(0)
    assert services.parse_area("", "a", errors) is None and not errors
    for bad in ("-1", "abc", "1.234", "100000", "NaN", True):
        errors = {}
        assert services.parse_area(bad, "a", errors) is None
        assert "a" in errors, bad


@given(st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2, allow_nan=False, allow_infinity=False))
def test_every_non_negative_area_with_two_places_round_trips(value):
    errors = {}
    assert services.parse_area(str(value), "a", errors) == value and not errors


@given(st.decimals(max_value=Decimal("-0.01"), places=2, allow_nan=False, allow_infinity=False))
def test_negative_areas_are_refused(value):
    errors = {}
    assert services.parse_area(str(value), "a", errors) is None and errors


def test_clean_unit_defaults_and_limits():
    values, errors = services.clean_unit({"number": " 101 "})
    assert not errors and values == {"number": "101", "use": UnitUse.residential, "sale_status": SaleStatus.sold}
    _, errors = services.clean_unit({"number": "x" * 21, "floor": "abc", "use": "castle"})
    assert set(errors) == {"number", "floor", "use"}
    _, errors = services.clean_unit({})
    assert "number" in errors


def test_areas_need_a_source_and_exclusive_is_not_larger():
    values, errors = services.clean_unit({"number": "1", "building_area": "80", "exclusive_area": "90",
                                          "exclusive_area_source": "survey"})
    services.check_areas(values, errors)
    assert set(errors) == {"building_area_source", "exclusive_area"}


def test_duplicate_unit_number_in_a_building_is_refused(db, make, req):
    building = make.building()
    manager = make.account("manager", building.community)
    services.create_unit(manager, building, {"number": "101"})
    with pytest.raises(Invalid) as exc:
        services.create_unit(manager, building, {"number": "101"})
    assert "number" in exc.value.fields
    other = make.building(building.community)
    assert services.create_unit(manager, other, {"number": "101"}).building_id == other.id


def test_update_unit_keeps_rules(db, make, req):
    unit = make.unit()
    manager = make.account("manager", unit.building.community)
    make.unit(unit.building, number="202")
    with pytest.raises(Invalid) as exc:
        services.update_unit(manager, unit, {"number": "202"})
    assert "number" in exc.value.fields
    with pytest.raises(Invalid) as exc:  # 80 exclusive of a 50 building area
        services.update_unit(manager, unit, {"building_area": "50"})
    assert "exclusive_area" in exc.value.fields
    services.update_unit(manager, unit, {"building_area": "120.50", "use": "commercial"})
    assert unit.building_area == Decimal("120.50") and unit.use == UnitUse.commercial


def test_staff_of_a_may_not_write_and_b_is_unknown(db, make, req):
    a, b = make.community(), make.community()
    staff = make.account("staff", a)
    with pytest.raises(Forbidden):
        services.create_building(staff, a, {"name": "9栋"})
    with pytest.raises(NotFound):
        services.get_community(staff, b.id)
    manager = make.account("manager", a)
    with pytest.raises(NotFound):
        services.create_building(manager, b, {"name": "9栋"})


def test_company_staff_never_see_another_companys_community_in_the_same_area(db, make, req):
    area = make.area()
    mine, theirs = make.company(), make.company()
    a = make.community(area=area, company=mine)
    make.community(area=area, company=theirs)
    admin = make.account("company_admin", mine)
    from core.database import db as handle

    seen = handle.session.scalars(services.visible_communities(admin)).all()
    assert [c.id for c in seen] == [a.id]


def test_building_name_unique_and_steward_must_be_staff_here(db, make, req):
    community = make.community()
    manager = make.account("manager", community)
    staff = make.account("staff", community)
    outsider = make.account("staff", make.community())
    b = services.create_building(manager, community, {"name": "1栋", "floors": 18, "steward_id": staff.id})
    assert b.steward_id == staff.id
    with pytest.raises(Invalid) as exc:
        services.create_building(manager, community, {"name": "1栋"})
    assert "name" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        services.update_building(manager, b, {"steward_id": outsider.id})
    assert "steward_id" in exc.value.fields


def test_units_query_search_and_filters(db, make, req):
    building = make.building()
    manager = make.account("manager", building.community)
    u1 = make.unit(building, number="101")
    u2 = make.unit(building, number="202", use=UnitUse.parking)
    make.owner(u2, person=make.person(name="欧阳娜娜", phone="13912345678"))
    from core.database import db as handle

    def ids(**kw):
        return {u.id for u in handle.session.scalars(services.units_query(manager, **kw))}

    assert ids(q="101") == {u1.id}
    assert ids(q="欧阳") == {u2.id}
    assert ids(q="1234567") == {u2.id}
    assert ids(use="parking") == {u2.id}
    assert ids(q="%") == set()
