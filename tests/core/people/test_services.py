import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.errors import Forbidden, Invalid, NotFound
from core.people import services
from core.people.models import Gender, IdType
from core.security import resident_id_with_check_digit

GOOD_ID = resident_id_with_check_digit("11010519491231002")  # born 1949-12-31
TODAY = dt.date(2026, 11, 27)


def _bad_check_digit(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


def test_clean_person_takes_birth_date_from_a_resident_id():
    values, errors = services.clean_person({"name": "王芳", "id_type": "resident_id", "id_number": GOOD_ID}, TODAY)
    assert not errors
    assert values["birth_date"] == dt.date(1949, 12, 31)
    assert values["id_number_index"] == services.id_index(GOOD_ID)  # needs the app key
    assert values["nationality"] == "CHN"


@pytest.fixture(autouse=True)
def _ctx(req):
    yield


def test_id_number_failing_its_check_digit_is_refused():
    _, errors = services.clean_person({"name": "王芳", "id_type": "resident_id",
                                       "id_number": _bad_check_digit(GOOD_ID)}, TODAY)
    assert str(errors["id_number"][0]) == str(services.ID_PROBLEMS["check_digit"])


def test_bad_person_inputs():
    cases = [
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"name": "a", "birth_date": TODAY + dt.timedelta(days=1)}, "birth_date"),
        ({"name": "a", "birth_date": dt.date(1850, 1, 1)}, "birth_date"),
        ({"name": "a", "phone": "call me"}, "phone"),
        ({"name": "a", "gender": "robot"}, "gender"),
        ({"name": "a", "nationality": "China"}, "nationality"),
        ({"name": "a", "id_number": GOOD_ID}, "id_type"),
        ({"name": "a", "id_type": "passport"}, "id_number"),
        ({"name": "a", "id_type": "passport", "id_number": "E1"}, "id_number"),
        ({"name": "a", "id_type": "resident_id", "id_number": "12345"}, "id_number"),
        ({"name": "a", "id_type": "resident_id", "id_number": GOOD_ID, "birth_date": dt.date(1950, 1, 1)},
         "birth_date"),
        ({"name": "a", "care_needs": "独居老人"}, "care_consent"),
    ]
    for data, field in cases:
        _, errors = services.clean_person(data, TODAY)
        assert field in errors, (data, errors)


def test_create_person_encrypts_indexes_and_masks(db, make):
    community = make.community()
    manager = make.account("manager", community)
    person = services.create_person(manager, community, {
        "name": "王芳", "gender": "female", "phone": "13900001111", "id_type": "resident_id", "id_number": GOOD_ID})
    db.session.commit()
    raw = db.session.execute(select(db.text("id_number FROM people"))).scalar()
    assert GOOD_ID not in raw
    assert person.id_number_masked == GOOD_ID[:3] + "*" * 11 + GOOD_ID[-4:]
    assert person.community_id == community.id and person.gender == Gender.female
    with pytest.raises(Invalid) as exc:
        services.create_person(manager, community, {"name": "别人", "id_type": "resident_id", "id_number": GOOD_ID})
    assert "id_number" in exc.value.fields
    found = db.session.scalars(services.search_people(manager, GOOD_ID)).all()
    assert [p.id for p in found] == [person.id]
    assert db.session.scalars(services.search_people(manager, "王")).all() == [person]
    assert db.session.scalars(services.search_people(manager, "0000111")).all() == [person]


def test_people_of_another_company_are_invisible(db, make):
    a, b = make.community(), make.community()
    unit_b = make.unit(make.building(b))
    theirs = make.owner(unit_b)
    manager = make.account("manager", a)
    with pytest.raises(NotFound):
        services.get_person(manager, theirs.id)
    assert db.session.scalars(services.search_people(manager)).all() == []
    staff_b = make.account("staff", b)
    assert services.get_person(staff_b, theirs.id) is theirs
    with pytest.raises(Forbidden):
        services.update_person(staff_b, theirs, {"name": "x"})


def test_reveal_needs_read_sensitive_and_is_audited(db, make):
    community = make.community()
    unit = make.unit(make.building(community))
    person = make.owner(unit, person=make.person(id_type=IdType.resident_id, id_number=GOOD_ID,
                                                 id_number_index=services.id_index(GOOD_ID)))
    staff = make.account("staff", community)
    with pytest.raises(Forbidden):
        services.reveal(staff, person)
    manager = make.account("manager", community)
    assert services.reveal(manager, person)["id_number"] == GOOD_ID
    db.session.flush()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "read_sensitive")).one()
    assert entry.restricted_to == "people.read_sensitive" and entry.account_id == manager.id


def test_ownership_shares_and_one_voter(db, make):
    unit = make.unit()
    manager = make.account("manager", unit.building.community)
    cid = unit.community_id
    p1, p2, p3 = (make.person(community_id=cid) for _ in range(3))
    o1 = services.create_ownership(manager, unit, {"person_id": p1.id, "share": "0.5"}, TODAY)
    o2 = services.create_ownership(manager, unit, {"person_id": p2.id, "share": Decimal("0.5"),
                                                   "is_voting_representative": True}, TODAY)
    assert o2.is_voting_representative and not o1.is_voting_representative
    with pytest.raises(Invalid) as exc:
        services.create_ownership(manager, unit, {"person_id": p3.id, "share": "0.1"}, TODAY)
    assert "share" in exc.value.fields
    for bad in ("0", "-0.5", "1.5", "abc", "0.12345"):
        with pytest.raises(Invalid):
            services.create_ownership(manager, unit, {"person_id": p3.id, "share": bad,
                                                      "start_date": dt.date(2020, 1, 1),
                                                      "end_date": dt.date(2020, 12, 31)}, TODAY)
    with pytest.raises(Invalid) as exc:
        services.create_ownership(manager, unit, {"person_id": p3.id, "start_date": dt.date(2021, 1, 1),
                                                  "end_date": dt.date(2020, 1, 1)}, TODAY)
    assert "end_date" in exc.value.fields
    # a past owner does not count against today's shares
    past = services.create_ownership(manager, unit, {"person_id": p3.id, "share": "1",
                                                     "start_date": dt.date(2010, 1, 1),
                                                     "end_date": dt.date(2015, 1, 1)}, TODAY)
    assert past.id
    with pytest.raises(Invalid):
        services.create_ownership(manager, unit, {"person_id": 999999}, TODAY)
    elsewhere = make.person(community_id=make.community().id)  # another company's register
    with pytest.raises(Invalid) as exc:
        services.create_ownership(manager, unit, {"person_id": elsewhere.id}, TODAY)
    assert "person_id" in exc.value.fields


def test_tenant_with_landlord_and_lease(db, make):
    unit = make.unit()
    manager = make.account("manager", unit.building.community)
    owner = make.owner(unit, lives_there=False)
    tenant = make.person(community_id=unit.community_id)
    r = services.create_residency(manager, unit, {"person_id": tenant.id, "kind": "tenant", "landlord_id": owner.id,
                                                  "lease_start": dt.date(2026, 1, 1), "lease_end": dt.date(2027, 1, 1)})
    assert r.landlord_id == owner.id
    stranger = make.person(community_id=unit.community_id)
    with pytest.raises(Invalid) as exc:
        services.create_residency(manager, unit, {"person_id": tenant.id, "kind": "tenant",
                                                  "landlord_id": stranger.id})
    assert "landlord_id" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        services.create_residency(manager, unit, {"person_id": tenant.id, "kind": "family",
                                                  "landlord_id": owner.id})
    assert "landlord_id" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        services.create_residency(manager, unit, {"person_id": tenant.id, "kind": "tenant",
                                                  "lease_start": dt.date(2027, 1, 1), "lease_end": dt.date(2026, 1, 1)})
    assert "lease_end" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        services.create_residency(manager, unit, {"person_id": tenant.id, "kind": "lodger"})
    assert "kind" in exc.value.fields
