from sqlalchemy import func, select

from core.places.models import Building, Unit


def test_manager_creates_building_and_unit_through_forms(client, login_as, make, db):
    community = make.community(name="阳光花园")
    staff = make.account("staff", community, display_name="李管家")
    login_as("manager", community)
    assert "阳光花园" in client.get("/register/communities").get_data(as_text=True)
    resp = client.post(f"/register/communities/{community.id}/buildings/new",
                       data={"name": "7栋", "floors": "18", "steward_id": str(staff.id)})
    assert resp.status_code == 302
    building = db.session.scalars(select(Building)).one()
    assert building.steward_id == staff.id
    page = client.get(f"/register/communities/{community.id}").get_data(as_text=True)
    assert "7栋" in page and "李管家" in page
    resp = client.post(f"/register/communities/{community.id}/units/new", data={
        "building_id": str(building.id), "number": "1801", "floor": "18", "building_area": "120.5",
        "building_area_source": "register", "exclusive_area": "", "exclusive_area_source": "",
        "use": "residential", "sale_status": "sold"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    unit = db.session.scalars(select(Unit)).one()
    assert client.get(resp.headers["Location"]).status_code == 200
    resp = client.post(f"/register/communities/{community.id}/units/new", data={
        "building_id": str(building.id), "number": "1801", "use": "residential", "sale_status": "sold",
        "building_area_source": "", "exclusive_area_source": ""})
    assert resp.status_code == 422 and "1801" in resp.get_data(as_text=True)
    resp = client.post(f"/register/communities/{community.id}/units/new", data={
        "building_id": str(building.id), "number": "1802", "building_area": "-3", "use": "residential",
        "sale_status": "sold", "building_area_source": "", "exclusive_area_source": ""})
    assert resp.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 1
    resp = client.post(f"/register/units/{unit.id}/edit", data={
        "building_id": str(building.id), "number": "1801", "building_area": "121", "use": "commercial",
        "sale_status": "delivered", "building_area_source": "survey", "exclusive_area_source": ""})
    assert resp.status_code == 302
    db.session.refresh(unit)
    assert str(unit.use) == "commercial" and str(unit.building_area) == "121.00"


def test_units_list_search_filters_and_pages(client, login_as, make, db):
    community = make.community()
    b1, b2 = make.building(community, name="1栋"), make.building(community, name="2栋")
    for i in range(55):
        make.unit(b1, number=f"{i + 100}")
    target = make.unit(b2, number="909")
    make.owner(target, person=make.person(name="诸葛亮", phone="13700001234"))
    login_as("staff", community)
    url = f"/register/communities/{community.id}/units"
    page1 = client.get(url).get_data(as_text=True)
    assert "56" in page1 and "page=2" in page1
    assert f'data-unit="{target.id}"' in client.get(url + "?q=诸葛").get_data(as_text=True)
    assert f'data-unit="{target.id}"' in client.get(url + "?q=00001234").get_data(as_text=True)
    found = client.get(url + f"?building={b2.id}&use=residential&sale_status=sold").get_data(as_text=True)
    assert found.count("data-unit=") == 1
    assert client.get(url + "?page=zzz&building=x&use=castle").status_code == 200


def test_pages_refuse_other_communities_and_read_only_roles(client, login_as, make, db):
    a, b = make.community(), make.community()
    b_unit = make.unit(make.building(b))
    login_as("staff", a)
    assert client.get(f"/register/communities/{b.id}").status_code == 404
    assert client.get(f"/register/units/{b_unit.id}").status_code == 404
    assert client.post(f"/register/communities/{a.id}/buildings/new", data={"name": "x"}).status_code == 403
    assert client.post(f"/register/communities/{b.id}/buildings/new", data={"name": "x"}).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Building)) == 1


def test_form_without_csrf_token_is_refused(make_app, make, db):
    app = make_app({"WTF_CSRF_ENABLED": True})
    community = make.community()
    account = make.account("manager", community)
    db.session.commit()
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = str(account.id)
        sess["_fresh"] = True
    resp = c.post(f"/register/communities/{community.id}/buildings/new", data={"name": "9栋"})
    assert resp.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Building)) == 0


def test_nav_has_register_and_people(client, login_as, make):
    login_as("manager", make.community())
    html = client.get("/register/communities").get_data(as_text=True)
    assert "/register/communities" in html and "/people/" in html
