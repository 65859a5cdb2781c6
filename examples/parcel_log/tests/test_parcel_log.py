"""Tests of Parcel log, run with the fixtures of core.testing (app, db, client, make, login_as, ...)."""

from core import Community, create_ticket
from core.testing import assert_envelope
from sqlalchemy import func, inspect, select

from parcel_log.models import Entry


def test_plugin_is_loaded_and_its_migration_created_its_table(app, db):
    assert "parcel_log" in {info.name for info in app.extensions["jiayuan.plugins"]}
    assert "parcel_log_entries" in inspect(db.engine).get_table_names()


def test_page_lists_and_adds_entries(client, make, login_as, db):
    community = make.community()
    login_as("manager", community)
    page = client.get("/parcel-log/")
    assert page.status_code == 200
    resp = client.post("/parcel-log/", data={"title": "First entry", "note": "hello"})
    assert resp.status_code == 302
    assert db.session.scalar(select(Entry.title)) == "First entry"
    assert "First entry" in client.get("/parcel-log/").get_data(as_text=True)


def test_page_refuses_a_missing_title_and_roles_without_permission(client, make, login_as, db):
    community = make.community()
    login_as("manager", community)
    assert client.post("/parcel-log/", data={"title": ""}).status_code == 422
    login_as("committee_member", community)
    assert client.get("/parcel-log/").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_nav_item_appears_for_those_who_may_see_the_page(client, make, login_as):
    login_as("staff", make.community())
    assert 'href="/parcel-log/"' in client.get("/").get_data(as_text=True)


def test_api_creates_and_lists_entries(client, make, api_headers, db):
    community = make.community()
    headers = api_headers(make.account("manager", community))
    resp = client.post("/api/v1/parcel-log/entries", json={"community_id": community.id, "title": "From the API"},
                       headers=headers)
    assert resp.status_code == 201 and resp.json["title"] == "From the API"
    listed = client.get(f"/api/v1/parcel-log/entries?community_id={community.id}", headers=headers).json
    assert listed["total"] == 1 and listed["items"][0]["title"] == "From the API"


def test_api_bad_input_and_another_communitys_data(client, make, api_headers, db):
    community, other = make.community(), make.community()
    headers = api_headers(make.account("manager", community))
    assert_envelope(client.post("/api/v1/parcel-log/entries", json={"community_id": community.id}, headers=headers),
                    422)
    assert_envelope(client.post("/api/v1/parcel-log/entries", json={"community_id": other.id, "title": "x"},
                                headers=headers), 403)
    assert_envelope(client.post("/api/v1/parcel-log/entries", json={"community_id": 999999, "title": "x"},
                                headers=headers), 404)
    assert_envelope(client.get(f"/api/v1/parcel-log/entries?community_id={community.id}"), 401)
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_a_new_ticket_adds_an_entry(make, db):
    unit = make.unit()
    community = db.session.get(Community, unit.community_id)
    ticket = create_ticket(None, community=community, unit=unit, category_code="enquiry",
                           title="When is the water back?", channel="phone")
    entry = db.session.scalar(select(Entry).where(Entry.ticket_id == ticket.id))
    assert entry is not None and entry.community_id == community.id and "water" in entry.title
