"""The audit log viewer and API: scope, restricted entries, filters, export."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from core.audit import services
from core.audit.models import AuditEntry
from core.database import utcnow
from core.errors import Forbidden
from core.testing import assert_envelope


@pytest.fixture
def world(make, db):
    x, y = make.area(), make.area()
    cx, cy = make.community(area=x), make.community(area=y)
    w = {"x": x, "y": y, "cx": cx, "cy": cy,
         "admin": make.account("platform_admin"),
         "auditor_x": make.account("auditor", x),
         "auditor_y": make.account("auditor", y),
         "manager_x": make.account("manager", cx),
         "rc_x": make.account("rc_staff", x),
         "staff": make.account("staff", cx)}
    services.record(None, "update", "Unit", 1, module="core", area_id=x.id, community_id=cx.id,
                    changes={"note": ["a", "b"]})
    services.record(None, "update", "Unit", 2, module="core", area_id=y.id, community_id=cy.id)
    services.record(None, "read", "Person", 3, module="people", area_id=x.id, community_id=cx.id,
                    restricted_to="people.read_sensitive")
    services.record(None, "area_event", "Area", x.id, module="core", area_id=x.id)
    db.session.commit()
    return w


def _visible(db, account, **filters):
    return [(e.entity, e.entity_id, e.action) for e in db.session.scalars(services.query(account, **filters))]


def test_auditor_sees_only_their_scope(world, db):
    seen = _visible(db, world["auditor_x"], module="core")
    assert ("Unit", 1, "update") in seen and ("Area", world["x"].id, "area_event") in seen
    assert ("Unit", 2, "update") not in seen
    assert ("Person", 3, "read") not in _visible(db, world["auditor_x"])
    assert ("Unit", 1, "update") not in _visible(db, world["auditor_y"])


def test_restricted_entries_only_for_holders_of_that_permission(world, db):
    assert ("Person", 3, "read") in _visible(db, world["manager_x"])  # manager holds people.read_sensitive on cx
    assert ("Person", 3, "read") in _visible(db, world["rc_x"])
    # the manager does not hold audit.read: no plain entries
    assert ("Unit", 1, "update") not in _visible(db, world["manager_x"])
    # platform_admin reads every plain entry, and no restricted one
    admin_seen = _visible(db, world["admin"])
    assert ("Unit", 1, "update") in admin_seen and ("Unit", 2, "update") in admin_seen
    assert ("Person", 3, "read") not in admin_seen


def test_without_any_reading_permission_forbidden(world):
    with pytest.raises(Forbidden):
        services.query(world["staff"])


def test_filters(world, db):
    admin = world["admin"]
    assert {e[1] for e in _visible(db, admin, entity="Unit")} >= {1, 2}
    assert _visible(db, admin, entity="Unit", community_id=world["cy"].id) == [("Unit", 2, "update")]
    assert _visible(db, admin, action="area_event", area_id=world["x"].id) == [("Area", world["x"].id, "area_event")]
    future = utcnow() + dt.timedelta(days=2)
    assert _visible(db, admin, since=future) == []
    assert _visible(db, admin, until=utcnow() - dt.timedelta(days=2)) == []
    acct = world["manager_x"]
    services.record(acct, "custom", "Thing", 9, area_id=world["x"].id)
    db.session.commit()
    assert _visible(db, admin, account_id=acct.id, action="custom") == [("Thing", 9, "custom")]


def test_viewer_page_and_exports(client, login_as, world, db):
    login_as(world["auditor_x"])
    page = client.get("/audit/?module=core")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-entry' in text
    ids = {e.id for e in db.session.scalars(services.query(world["auditor_x"]))}
    other = db.session.query(AuditEntry).filter_by(entity="Unit", entity_id=2).one()
    assert f'data-entry="{other.id}"' not in text
    csv = client.get("/audit/export.csv?entity=Unit")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data(as_text=True)
    assert body.startswith("\ufeffid,at,") and ",Unit,1," in body and ",Unit,2," not in body
    xlsx = client.get("/audit/export.xlsx")
    assert xlsx.status_code == 200
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "id" and {r[0] for r in rows[1:]} <= ids | {None}
    assert client.get("/audit/export.pdf").status_code == 422
    assert client.get("/audit/?since=notadate").status_code == 422
    assert client.get("/audit/?since=2026-05-02&until=2026-05-01").status_code == 422
    # the export itself is audited
    assert db.session.query(AuditEntry).filter_by(action="export").count() == 2


def test_viewer_names_who_did_it(client, login_as, world, db):
    services.record(world["manager_x"], "custom", "Thing", 7, area_id=world["x"].id, community_id=world["cx"].id)
    db.session.commit()
    login_as(world["auditor_x"])
    text = client.get("/audit/?action=custom").get_data(as_text=True)
    assert f'<td translate="no">{world["manager_x"].username}</td>' in text  # a username: not page text


def test_viewer_refused_for_staff(client, login_as, world):
    login_as(world["staff"])
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_audit_api(client, api_headers, world, db):
    h = api_headers(world["auditor_x"])
    resp = client.get("/api/v1/audit?entity=Unit&per_page=1", headers=h)
    assert resp.status_code == 200 and resp.json["per_page"] == 1
    assert [i["entity_id"] for i in resp.json["items"]] == [1] and resp.json["total"] == 1
    y_only = client.get(f"/api/v1/audit?community_id={world['cy'].id}", headers=h)
    assert y_only.json["total"] == 0  # auditor of area X asking for area Y's entries gets none
    assert_envelope(client.get("/api/v1/audit?since=yesterday", headers=h), 422)
    assert_envelope(client.get("/api/v1/audit?per_page=1000", headers=h), 422)
    assert_envelope(client.get("/api/v1/audit", headers=api_headers(world["staff"])), 403)
    admin = client.get("/api/v1/audit?module=people", headers=api_headers(world["admin"]))
    assert admin.json["total"] == 0  # the restricted read stays hidden from platform_admin
    mgr = client.get("/api/v1/audit?module=people", headers=api_headers(world["manager_x"]))
    assert mgr.json["total"] == 1 and mgr.json["items"][0]["restricted_to"] == "people.read_sensitive"
