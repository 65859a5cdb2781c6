import datetime as dt

from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.people.models import Ownership, Person, Residency
from core.security import resident_id_with_check_digit

GOOD_ID = resident_id_with_check_digit("51010719900101001")


def test_register_person_then_owner_then_tenant(client, login_as, make, db):
    community = make.community()
    unit = make.unit(make.building(community))
    login_as("manager", community)
    resp = client.post(f"/people/new?community={community.id}&unit={unit.id}&next=ownership", data={
        "community_id": str(community.id), "name": "张三", "gender": "male", "phone": "13912341234",
        "nationality": "CHN", "id_type": "resident_id", "id_number": GOOD_ID})
    assert resp.status_code == 302 and "ownerships/new" in resp.headers["Location"]
    person = db.session.scalars(select(Person)).one()
    assert person.birth_date == dt.date(1990, 1, 1)
    resp = client.post(f"/people/units/{unit.id}/ownerships/new", data={
        "person_id": str(person.id), "share": "1", "is_voting_representative": "y"})
    assert resp.status_code == 302
    page = client.get(f"/register/units/{unit.id}").get_data(as_text=True)
    assert "张三" in page and "1.0000" in page
    detail = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert GOOD_ID not in detail and GOOD_ID[-4:] in detail
    revealed = client.post(f"/people/{person.id}/sensitive").get_data(as_text=True)
    assert GOOD_ID in revealed
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "read_sensitive")) == 1
    tenant = make.person(community_id=community.id, name="租客王")
    resp = client.post(f"/people/units/{unit.id}/residencies/new", data={
        "person_id": str(tenant.id), "kind": "tenant", "landlord_id": str(person.id),
        "lease_start": "2026-01-01", "lease_end": "2026-12-31"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    assert db.session.scalars(select(Residency)).one().landlord_id == person.id
    edit = client.get(f"/people/{person.id}/edit").get_data(as_text=True)
    assert GOOD_ID not in edit
    resp = client.post(f"/people/{person.id}/edit", data={"name": "张三丰", "gender": "male", "nationality": "CHN",
                                                          "id_type": "", "id_number": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    db.session.refresh(person)
    assert person.name == "张三丰" and person.id_number == GOOD_ID


def test_person_form_errors(client, login_as, make, db):
    community = make.community()
    login_as("manager", community)
    bad = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
    resp = client.post("/people/new", data={"community_id": str(community.id), "name": "李四", "nationality": "CHN",
                                            "id_type": "resident_id", "id_number": bad})
    assert resp.status_code == 422 and "error" in resp.get_data(as_text=True)
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    resp = client.post("/people/new", data={"community_id": str(community.id), "name": "李四", "nationality": "CHN",
                                            "birth_date": future})
    assert resp.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0


def test_staff_cannot_reveal_or_write_people(client, login_as, make, db):
    community = make.community()
    unit = make.unit(make.building(community))
    person = make.owner(unit)
    login_as("staff", community)
    assert client.get(f"/people/{person.id}").status_code == 200
    assert client.post(f"/people/{person.id}/sensitive").status_code == 403
    assert client.post(f"/people/units/{unit.id}/ownerships/new", data={"person_id": str(person.id),
                                                                         "share": "1"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Ownership)) == 1


def test_search_people_by_exact_id_number(client, login_as, make, db):
    from core.people.services import id_index

    community = make.community()
    unit = make.unit(make.building(community))
    make.owner(unit, person=make.person(name="王五", id_type="resident_id", id_number=GOOD_ID,
                                        id_number_index=id_index(GOOD_ID)))
    login_as("staff", community)
    assert "王五" in client.get(f"/people/?q={GOOD_ID}").get_data(as_text=True)
    assert "王五" not in client.get(f"/people/?q={GOOD_ID[:10]}").get_data(as_text=True)
