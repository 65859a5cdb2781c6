import datetime as dt

from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.people.models import Ownership, Person, Residency
from core.security import resident_id_with_check_digit
from core.testing import assert_envelope

GOOD_ID = resident_id_with_check_digit("44030519850615123")


def test_person_create_read_masked_patch_and_sensitive(client, make, api_headers, db):
    community = make.community()
    headers = api_headers(make.account("manager", community))
    resp = client.post("/api/v1/people", headers=headers, json={
        "community_id": community.id, "name": "李雷", "gender": "male", "phone": "13800138000",
        "id_type": "resident_id", "id_number": GOOD_ID, "care_needs": "独居老人", "care_consent": True})
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert "id_number" not in body and "care_needs" not in body
    assert body["id_number_masked"].startswith("440") and "*" in body["id_number_masked"]
    assert body["birth_date"] == "1985-06-15" and body["has_care_needs"] is True
    pid = body["id"]
    assert client.get(f"/api/v1/people?q={GOOD_ID}", headers=headers).json["total"] == 1
    assert client.patch(f"/api/v1/people/{pid}", json={"phone": "13900139000"}, headers=headers).json["phone"] \
        == "13900139000"
    secret = client.get(f"/api/v1/people/{pid}/sensitive", headers=headers).json
    assert secret == {"id_number": GOOD_ID, "care_needs": "独居老人"}
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "read_sensitive", AuditEntry.entity_id == pid)) == 1
    staff = api_headers(make.account("staff", community))
    assert client.get(f"/api/v1/people/{pid}", headers=staff).status_code == 200
    assert_envelope(client.get(f"/api/v1/people/{pid}/sensitive", headers=staff), 403)
    assert_envelope(client.patch(f"/api/v1/people/{pid}", json={"name": "x"}, headers=staff), 403)


def test_person_bad_inputs(client, make, api_headers, db):
    community = make.community()
    headers = api_headers(make.account("manager", community))
    other = make.community()
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    bad_digit = GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1")
    base = {"community_id": community.id, "name": "韩梅梅"}
    cases = [
        ({**base, "id_type": "resident_id", "id_number": bad_digit}, "id_number"),
        ({**base, "birth_date": future}, "birth_date"),
        ({**base, "birth_date": "yesterday"}, "birth_date"),
        ({**base, "name": "名" * 61}, "name"),
        ({"community_id": community.id}, "name"),
        ({**base, "community_id": other.id}, "community_id"),
        ({**base, "community_id": 987654}, "community_id"),
        ({**base, "community_id": "abc"}, "community_id"),
        ({**base, "phone": 13800138000}, "phone"),
        ({**base, "id_type": "driving_licence", "id_number": "X12345"}, "id_type"),
    ]
    for data, field in cases:
        err = assert_envelope(client.post("/api/v1/people", json=data, headers=headers), 422)
        assert field in err["fields"], (data, err)
    assert_envelope(client.post("/api/v1/people", data="{", content_type="application/json", headers=headers),
                    400, "invalid_json")
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    assert_envelope(client.get("/api/v1/people/424242", headers=headers), 404)


def test_ownerships_and_residencies_api(client, make, api_headers, db):
    community = make.community()
    unit = make.unit(make.building(community))
    headers = api_headers(make.account("manager", community))
    owner = make.person(community_id=community.id)
    tenant = make.person(community_id=community.id)
    resp = client.post("/api/v1/ownerships", headers=headers,
                       json={"unit_id": unit.id, "person_id": owner.id, "share": "1", "start_date": "2024-01-01"})
    assert resp.status_code == 201, resp.json
    oid = resp.json["id"]
    assert resp.json["is_voting_representative"] is True
    err = assert_envelope(client.post("/api/v1/ownerships", headers=headers,
                                      json={"unit_id": unit.id, "person_id": tenant.id, "share": "0.5"}), 422)
    assert "share" in err["fields"]
    assert_envelope(client.post("/api/v1/ownerships", headers=headers,
                                json={"unit_id": unit.id, "person_id": tenant.id, "share": "-1"}), 422)
    assert client.patch(f"/api/v1/ownerships/{oid}", json={"share": "0.5"}, headers=headers).json["share"] == "0.5000"
    resp = client.post("/api/v1/residencies", headers=headers, json={
        "unit_id": unit.id, "person_id": tenant.id, "kind": "tenant", "landlord_id": owner.id,
        "lease_start": "2026-01-01", "lease_end": "2026-12-31"})
    assert resp.status_code == 201, resp.json
    rid = resp.json["id"]
    assert client.patch(f"/api/v1/residencies/{rid}", json={"end_date": "2026-12-31"}, headers=headers).status_code \
        == 200
    assert client.get(f"/api/v1/residencies?unit_id={unit.id}", headers=headers).json["total"] == 1
    assert client.get(f"/api/v1/ownerships?person_id={owner.id}", headers=headers).json["total"] == 1
    # another community's unit or person
    b_unit = make.unit(make.building(make.community()))
    err = assert_envelope(client.post("/api/v1/residencies", headers=headers, json={
        "unit_id": b_unit.id, "person_id": tenant.id, "kind": "family"}), 422)
    assert "unit_id" in err["fields"]
    b_person = make.owner(b_unit)
    err = assert_envelope(client.post("/api/v1/residencies", headers=headers, json={
        "unit_id": unit.id, "person_id": b_person.id, "kind": "family"}), 422)
    assert "person_id" in err["fields"]
    b_own = db.session.scalar(select(Ownership.id).where(Ownership.unit_id == b_unit.id))
    assert_envelope(client.get(f"/api/v1/ownerships/{b_own}", headers=headers), 404)
    assert_envelope(client.patch(f"/api/v1/ownerships/{b_own}", json={"share": "0.5"}, headers=headers), 404)
    assert db.session.scalar(select(func.count()).select_from(Residency).where(Residency.unit_id == unit.id)) == 1


def test_staff_of_a_writing_people_of_b(client, make, api_headers, db):
    a, b = make.community(), make.community()
    b_unit = make.unit(make.building(b))
    headers = api_headers(make.account("manager", a))
    person = make.person(community_id=a.id)
    err = assert_envelope(client.post("/api/v1/ownerships", headers=headers,
                                      json={"unit_id": b_unit.id, "person_id": person.id}), 422)
    assert "unit_id" in err["fields"]
    staff_a = api_headers(make.account("staff", a))
    a_unit = make.unit(make.building(a))
    assert_envelope(client.post("/api/v1/ownerships", headers=staff_a,
                                json={"unit_id": a_unit.id, "person_id": person.id}), 403)
    assert db.session.scalar(select(func.count()).select_from(Ownership)) == 0
