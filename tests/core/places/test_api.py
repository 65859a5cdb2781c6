from sqlalchemy import func, select

from core.auth.services import revoke_token
from core.places.models import Building, Unit
from core.testing import assert_envelope


def _manager(make, api_headers, community=None):
    community = community or make.community()
    account = make.account("manager", community)
    return community, api_headers(account)


def test_create_building_and_unit_then_read_and_patch(client, make, api_headers, db):
    community, headers = _manager(make, api_headers)
    resp = client.post("/api/v1/buildings", json={"community_id": community.id, "name": "3栋", "floors": 11},
                       headers=headers)
    assert resp.status_code == 201, resp.json
    bid = resp.json["id"]
    resp = client.post("/api/v1/units", headers=headers, json={
        "building_id": bid, "number": "1101", "floor": 11, "building_area": "98.50",
        "building_area_source": "register", "exclusive_area": 80, "exclusive_area_source": "survey",
        "use": "residential", "sale_status": "delivered"})
    assert resp.status_code == 201, resp.json
    unit = resp.json
    assert unit["building_area"] == "98.50" and unit["community_id"] == community.id
    resp = client.patch(f"/api/v1/units/{unit['id']}", json={"sale_status": "sold", "note": "ok"}, headers=headers)
    assert resp.status_code == 200 and resp.json["sale_status"] == "sold"
    resp = client.get(f"/api/v1/units?community_id={community.id}&sale_status=sold&per_page=10", headers=headers)
    assert resp.json["total"] == 1 and resp.json["items"][0]["number"] == "1101"
    assert client.get(f"/api/v1/buildings/{bid}", headers=headers).json["floors"] == 11
    assert client.get("/api/v1/communities", headers=headers).json["total"] == 1
    assert client.get("/api/v1/areas", headers=headers).json["items"][0]["id"] == community.area_id


def test_bad_inputs_are_clear_4xx_and_write_nothing(client, make, api_headers, db):
    community, headers = _manager(make, api_headers)
    building = make.building(community)
    make.unit(building, number="101")
    before = db.session.scalar(select(func.count()).select_from(Unit))
    cases = [
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
        ({"json": {"building_id": "x", "number": 5}}, 422, "invalid"),
        ({"json": {"number": "102"}}, 422, "invalid"),
        ({"json": {"building_id": 999999, "number": "102"}}, 422, "invalid"),
        ({"json": {"building_id": building.id, "number": "1" * 21}}, 422, "invalid"),
        ({"json": {"building_id": building.id, "number": "102", "building_area": -5}}, 422, "invalid"),
        ({"json": {"building_id": building.id, "number": "102", "building_area": "lots"}}, 422, "invalid"),
        ({"json": {"building_id": building.id, "number": "102", "building_area": "1.234",
                   "building_area_source": "survey"}}, 422, "invalid"),
        ({"json": {"building_id": building.id, "number": "101"}}, 422, "invalid"),
        ({"json": {"building_id": building.id, "number": "102", "use": "castle"}}, 422, "invalid"),
        ({"json": {"building_id": building.id, "number": "102", "surprise": 1}}, 422, "invalid"),
        ({"json": []}, 422, "invalid"),
    ]
    for kwargs, status, code in cases:
        resp = client.post("/api/v1/units", headers=headers, **kwargs)
        err = assert_envelope(resp, status, code)
        assert err["message"]
    err = assert_envelope(client.post("/api/v1/units", headers=headers,
                                      json={"building_id": building.id, "number": "101"}), 422)
    assert "number" in err["fields"]
    assert db.session.scalar(select(func.count()).select_from(Unit)) == before


def test_ids_of_another_community_are_unknown(client, make, api_headers, db):
    a, headers = _manager(make, api_headers)
    b = make.community()
    b_building = make.building(b)
    b_unit = make.unit(b_building)
    assert_envelope(client.get(f"/api/v1/units/{b_unit.id}", headers=headers), 404, "not_found")
    assert_envelope(client.get(f"/api/v1/buildings/{b_building.id}", headers=headers), 404)
    assert_envelope(client.get(f"/api/v1/communities/{b.id}", headers=headers), 404)
    assert_envelope(client.patch(f"/api/v1/units/{b_unit.id}", json={"note": "x"}, headers=headers), 404)
    err = assert_envelope(client.post("/api/v1/units", json={"building_id": b_building.id, "number": "9"},
                                      headers=headers), 422)
    assert "building_id" in err["fields"]
    err = assert_envelope(client.post("/api/v1/buildings", json={"community_id": b.id, "name": "x"},
                                      headers=headers), 422)
    assert "community_id" in err["fields"]
    assert client.get(f"/api/v1/units?community_id={b.id}", headers=headers).json["total"] == 0
    assert db.session.scalar(select(func.count()).select_from(Building).where(Building.community_id == b.id)) == 1


def test_staff_of_a_cannot_write_a_or_b(client, make, api_headers, db):
    a, b = make.community(), make.community()
    staff = make.account("staff", a)
    headers = api_headers(staff)
    a_unit, b_unit = make.unit(make.building(a)), make.unit(make.building(b))
    assert_envelope(client.patch(f"/api/v1/units/{a_unit.id}", json={"note": "x"}, headers=headers), 403, "forbidden")
    assert_envelope(client.patch(f"/api/v1/units/{b_unit.id}", json={"note": "x"}, headers=headers), 404)
    assert client.get(f"/api/v1/units/{a_unit.id}", headers=headers).status_code == 200


def test_owner_reads_only_their_own_unit(client, make, api_headers, db):
    building = make.building()
    mine, theirs = make.unit(building), make.unit(building)
    me = make.owner(mine)
    make.owner(theirs)
    account = make.account(person=me)
    headers = api_headers(account)
    assert client.get(f"/api/v1/units/{mine.id}", headers=headers).status_code == 200
    assert_envelope(client.get(f"/api/v1/units/{theirs.id}", headers=headers), 404)
    listed = client.get("/api/v1/units", headers=headers).json
    assert [u["id"] for u in listed["items"]] == [mine.id]
    assert_envelope(client.get("/api/v1/people", headers=headers), 403)
    assert_envelope(client.get("/api/v1/communities", headers=headers), 403)
    assert_envelope(client.patch(f"/api/v1/units/{mine.id}", json={"note": "x"}, headers=headers), 404)


def test_revoked_and_missing_tokens_are_refused(client, make, api_headers, db):
    community, headers = _manager(make, api_headers)
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    from core.auth.models import ApiToken

    token = db.session.scalars(select(ApiToken)).first()
    revoke_token(token.account, token.id)
    db.session.commit()
    assert_envelope(client.get("/api/v1/units", headers=headers), 401, "invalid_token")
    assert_envelope(client.post("/api/v1/buildings", json={"community_id": community.id, "name": "x"},
                                headers=headers), 401)
    assert_envelope(client.get("/api/v1/units"), 401)


def test_pagination_is_bounded(client, make, api_headers, db):
    community, headers = _manager(make, api_headers)
    building = make.building(community)
    for _ in range(5):
        make.unit(building)
    page = client.get("/api/v1/units?per_page=2&page=3", headers=headers).json
    assert (page["total"], page["pages"], len(page["items"])) == (5, 3, 1)
    assert_envelope(client.get("/api/v1/units?per_page=1000", headers=headers), 422)
    assert_envelope(client.get("/api/v1/units?page=abc", headers=headers), 422)


def test_areas_and_communities_are_set_up_by_the_platform_admin(client, make, api_headers, db):
    admin = api_headers(make.account("platform_admin"))
    street = make.street_office()
    resp = client.post("/api/v1/areas", json={"street_office_id": street.id, "name": "新社区", "code": "XSQ"},
                       headers=admin)
    assert resp.status_code == 201
    area_id = resp.json["id"]
    assert_envelope(client.post("/api/v1/areas", json={"street_office_id": street.id, "name": "x", "code": "XSQ"},
                                headers=admin), 422)
    resp = client.post("/api/v1/communities", json={"area_id": area_id, "name": "新小区"}, headers=admin)
    assert resp.status_code == 201
    assert client.patch(f"/api/v1/areas/{area_id}", json={"name": "新社区二"}, headers=admin).json["name"] == "新社区二"
    assert_envelope(client.post("/api/v1/communities", json={"area_id": 99999, "name": "y"}, headers=admin), 422)
    community, manager = _manager(make, api_headers)
    assert_envelope(client.post("/api/v1/communities", json={"area_id": area_id, "name": "z"}, headers=manager), 403)
    resp = client.patch(f"/api/v1/communities/{community.id}", json={"hotline": "028-1234"}, headers=manager)
    assert resp.status_code == 200 and resp.json["hotline"] == "028-1234"
    err = assert_envelope(client.patch(f"/api/v1/communities/{community.id}", headers=manager,
                                       json={"contract_start": "2026-01-01", "contract_end": "2025-01-01"}), 422)
    assert "contract_end" in err["fields"]
