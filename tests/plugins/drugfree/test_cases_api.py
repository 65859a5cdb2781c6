"""Named case records over the API: the officer's happy paths, each bad input, each refused role."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.testing import assert_envelope
from plugins.drugfree.models import Case, Relapse, StatusChange

from .conftest import ID_NUMBER, NAME

BASE = "/api/v1/drugfree"
TODAY = dt.date.today()


def refusals(db):
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == "drugfree.refused")).all()


def test_officer_opens_reads_and_updates_a_case(client, db, world, api_headers):
    h = api_headers(world["officer"])
    resp = client.post(f"{BASE}/areas/{world['area'].id}/cases", headers=h, json={
        "person_id": world["person"].id, "legal_basis": "police_notification", "registered_on": "2020-01-01",
        "last_use_on": "2020-01-01", "clean_since": "2020-02-01"})
    assert resp.status_code == 201, resp.get_json()
    case_id = resp.get_json()["id"]
    assert resp.get_json()["name"] == NAME
    body = client.get(f"{BASE}/cases/{case_id}", headers=h).get_json()
    assert body["id_number"] == ID_NUMBER and body["category"] == "stable"
    assert client.post(f"{BASE}/cases/{case_id}/relapses", headers=h,
                       json={"day": (TODAY - dt.timedelta(days=1)).isoformat()}).status_code == 201
    assert client.get(f"{BASE}/cases/{case_id}", headers=h).get_json()["category"] == "former"
    assert client.post(f"{BASE}/cases/{case_id}/statuses", headers=h, json={
        "status": "community_detox", "start": TODAY.isoformat()}).status_code == 201
    assert client.put(f"{BASE}/cases/{case_id}/aftercare", headers=h,
                      json={"helper": "帮教员", "assigned_on": TODAY.isoformat()}).status_code == 200
    assert client.post(f"{BASE}/cases/{case_id}/visits", headers=h,
                       json={"day": TODAY.isoformat()}).status_code == 201
    listing = client.get(f"{BASE}/areas/{world['area'].id}/cases?id_number={ID_NUMBER}", headers=h).get_json()
    assert [c["id"] for c in listing["items"]] == [case_id]
    reads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "drugfree.read")).all()
    assert reads and all(e.restricted_to == "drugfree.audit.read" for e in reads)
    changes = db.session.scalars(select(AuditEntry).where(AuditEntry.module == "drugfree")).all()
    assert all(e.restricted_to == "drugfree.audit.read" for e in changes)


@pytest.mark.parametrize("role", ["manager", "platform_admin", "committee_member", "auditor", "rc_staff",
                                  "company_admin", "other_officer"])
def test_named_record_refused_and_audited(client, db, make, world, open_case, api_headers, role):
    case = open_case()
    if role == "manager" or role == "committee_member":
        account = make.account(role, world["community"])
    elif role == "company_admin":
        account = make.account(role, world["community"].company)
    elif role == "platform_admin":
        account = make.account(role)
    elif role == "other_officer":
        account = make.account("drugfree_officer", world["other_area"])
    else:
        account = make.account(role, world["area"])
    h = api_headers(account)
    assert_envelope(client.get(f"{BASE}/cases/{case.id}", headers=h), 403, "forbidden")
    assert_envelope(client.get(f"{BASE}/areas/{world['area'].id}/cases", headers=h), 403, "forbidden")
    assert_envelope(client.post(f"{BASE}/cases/{case.id}/relapses", headers=h, json={"day": "2024-01-01"}),
                    403, "forbidden")
    entries = refusals(db)
    assert len(entries) == 3
    assert all(e.account_id == account.id and e.restricted_to == "drugfree.audit.read" for e in entries)
    assert db.session.scalar(select(func.count(Relapse.id))) == 0


def test_unknown_case_is_404(client, world, api_headers):
    assert_envelope(client.get(f"{BASE}/cases/999", headers=api_headers(world["officer"])), 404)


def test_anonymous_is_401(client, world, open_case):
    case = open_case()
    assert client.get(f"{BASE}/cases/{case.id}").status_code == 401


def _create(client, world, h, **over):
    body = {"person_id": world["person"].id, "legal_basis": "police_notification", "registered_on": "2020-01-01",
            **over}
    return client.post(f"{BASE}/areas/{world['area'].id}/cases", headers=h, json=body)


@pytest.mark.parametrize("over,field", [
    ({"last_use_on": "2021-05-01", "clean_since": "2021-04-30"}, "clean_since"),
    ({"clean_since": (TODAY + dt.timedelta(days=1)).isoformat()}, "clean_since"),
    ({"registered_on": (TODAY + dt.timedelta(days=1)).isoformat()}, "registered_on"),
    ({"person_id": 123456789}, "person_id"),
    ({"legal_basis": None}, "legal_basis"),
    ({"legal_basis": "curiosity"}, "legal_basis"),
    ({"registered_on": "not a date"}, "registered_on"),
])
def test_bad_case_input_is_422_and_writes_nothing(client, db, world, api_headers, over, field):
    body = dict(over)
    if body.get("legal_basis", "x") is None:
        body.pop("legal_basis")
        resp = client.post(f"{BASE}/areas/{world['area'].id}/cases", headers=api_headers(world["officer"]),
                           json={"person_id": world["person"].id, "registered_on": "2020-01-01"})
    else:
        resp = _create(client, world, api_headers(world["officer"]), **body)
    err = assert_envelope(resp, 422)
    assert field in err["fields"]
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_person_outside_the_officers_area_is_refused(client, db, world, api_headers):
    err = assert_envelope(_create(client, world, api_headers(world["officer"]), person_id=world["outsider"].id), 422)
    assert "person_id" in err["fields"]
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_same_person_twice_is_409(client, world, api_headers, open_case):
    open_case()
    assert_envelope(_create(client, world, api_headers(world["officer"])), 409)


@pytest.mark.parametrize("body,field", [
    ({"status": "using", "start": (TODAY + dt.timedelta(days=1)).isoformat()}, "start"),
    ({"status": "sentenced", "start": "2024-01-01"}, "sentence_months"),
    ({"status": "compulsory", "start": "2024-01-01", "sentence_months": 40}, "sentence_months"),
    ({"status": "teleported", "start": "2024-01-01"}, "status"),
    ({"status": "using", "start": "2010-01-01"}, "start"),
    ({"status": "community_detox", "start": "2024-01-01", "reported_on": "2023-12-01"}, "reported_on"),
])
def test_bad_status_is_422_and_writes_nothing(client, db, world, api_headers, open_case, body, field):
    case = open_case()
    err = assert_envelope(client.post(f"{BASE}/cases/{case.id}/statuses", headers=api_headers(world["officer"]),
                                      json=body), 422)
    assert field in err["fields"]
    assert db.session.scalar(select(func.count(StatusChange.id))) == 0


def test_bad_relapse_and_visit_input(client, db, world, api_headers, open_case):
    case = open_case()
    h = api_headers(world["officer"])
    future = (TODAY + dt.timedelta(days=1)).isoformat()
    assert_envelope(client.post(f"{BASE}/cases/{case.id}/relapses", headers=h, json={"day": future}), 422)
    assert_envelope(client.post(f"{BASE}/cases/{case.id}/visits", headers=h, json={"day": "2024-01-01"}), 409)
    assert_envelope(client.put(f"{BASE}/cases/{case.id}/aftercare", headers=h,
                               json={"helper": "", "assigned_on": "2024-01-01"}), 422)
    assert db.session.scalar(select(func.count(Relapse.id))) == 0
