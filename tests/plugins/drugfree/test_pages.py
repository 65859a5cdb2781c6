"""Drug-free pages: the officer's screens, bad form input, and every refused role (403, audited)."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.audit.models import AuditEntry
from core.notices.models import Notice
from plugins.drugfree.models import AggregateReport, AreaPlan, Case, Incident, Relapse, StatusChange

from .conftest import ID_NUMBER, NAME

TODAY = dt.date.today()


def refused(db):
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "drugfree.refused"))


def test_officer_area_page_shows_not_yet_with_reasons_and_people(client, db, world, open_case, login_as):
    case = open_case()
    login_as(world["officer"])
    page = client.get(f"/drugfree/areas/{world['area'].id}").get_data(as_text=True)
    assert 'data-result="not-yet"' in page and f"#{case.id}" in page
    assert "Standard 1" in page or "标准" in page
    assert client.get("/drugfree/").status_code == 302


def test_officer_opens_a_case_through_the_form(client, db, world, login_as):
    login_as(world["officer"])
    resp = client.post(f"/drugfree/areas/{world['area'].id}/cases", data={
        "id_number": ID_NUMBER, "legal_basis": "police_notification", "registered_on": "2020-01-01"})
    assert resp.status_code == 302
    case = db.session.scalar(select(Case))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert NAME in page
    listing = client.get(f"/drugfree/areas/{world['area'].id}/cases").get_data(as_text=True)
    assert NAME in listing and ID_NUMBER not in listing  # masked in the list
    for path, data in [("statuses", {"status": "community_detox", "start": "2021-01-01", "reported_on": "2021-01-10"}),
                       ("clean", {"clean_since": "2021-01-01"}),
                       ("relapses", {"day": "2022-01-01"}),
                       ("helper", {"helper": "帮教员乙", "assigned_on": "2022-01-05"}),
                       ("visits", {"day": "2022-02-01"})]:
        assert client.post(f"/drugfree/cases/{case.id}/{path}", data=data).status_code == 302, path
    page = client.get(f"/drugfree/cases/{case.id}").get_data(as_text=True)
    assert "帮教员乙" in page and "2022-01-01" in page


@pytest.mark.parametrize("data,problem", [
    ({"id_number": "110101199003071236", "registered_on": "2020-01-01"}, "legal"),
    ({"id_number": "999", "legal_basis": "police_notification", "registered_on": "2020-01-01"}, "person"),
    ({"id_number": "110101199003071236", "legal_basis": "police_notification", "registered_on": "2020-01-01",
      "last_use_on": "2021-01-01", "clean_since": "2020-06-01"}, "clean"),
    ({"id_number": "110101199003071236", "legal_basis": "police_notification", "registered_on": "bad"}, "date"),
])
def test_bad_case_form_is_422_and_writes_nothing(client, db, world, login_as, data, problem):
    login_as(world["officer"])
    assert client.post(f"/drugfree/areas/{world['area'].id}/cases", data=data).status_code == 422
    assert db.session.scalar(select(func.count(Case.id))) == 0


def test_bad_status_and_relapse_forms(client, db, world, open_case, login_as):
    case = open_case()
    login_as(world["officer"])
    future = (TODAY + dt.timedelta(days=2)).isoformat()
    assert client.post(f"/drugfree/cases/{case.id}/statuses",
                       data={"status": "using", "start": future}).status_code == 422
    assert client.post(f"/drugfree/cases/{case.id}/relapses", data={"day": future}).status_code == 422
    assert client.post(f"/drugfree/cases/{case.id}/statuses", data={"status": "sentenced",
                                                                    "start": "2021-01-01"}).status_code == 422
    assert db.session.scalar(select(func.count(StatusChange.id))) == 0
    assert db.session.scalar(select(func.count(Relapse.id))) == 0


@pytest.mark.parametrize("role", ["manager", "platform_admin", "committee_member", "auditor", "rc_staff"])
def test_named_pages_refused_and_audited_aggregates_shown(client, db, make, world, open_case, login_as, role):
    case = open_case()
    scope = world["community"] if role in ("manager", "committee_member") else (
        None if role == "platform_admin" else world["area"])
    login_as(role, scope)
    assert client.get(f"/drugfree/cases/{case.id}").status_code == 403
    assert client.get(f"/drugfree/areas/{world['area'].id}/cases").status_code == 403
    assert client.post(f"/drugfree/cases/{case.id}/relapses", data={"day": "2024-01-01"}).status_code == 403
    assert client.get(f"/drugfree/areas/{world['area'].id}/aggregate").status_code == 403
    assert refused(db) == 4
    page = client.get(f"/drugfree/areas/{world['area'].id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert NAME not in text and f"/drugfree/cases/{case.id}" not in text and "&lt;3" in text


def test_guard_and_unrelated_manager_see_nothing(client, make, world, login_as):
    login_as("guard", world["community"])
    assert client.get(f"/drugfree/areas/{world['area'].id}").status_code == 403
    assert client.get("/drugfree/").status_code == 403


def test_aggregate_form(client, db, world, login_as):
    login_as(world["officer"])
    assert client.get(f"/drugfree/areas/{world['area'].id}/aggregate").status_code == 200
    base = {k: 0 for k in ["registered", "current", "former", "stable", "abroad", "moved_out", "dead", "sentenced", "missing", "missing_recent", "new_this_year", "returnees", "returnees_ok", "relapses_this_year", "monitored_start_this_year", "relapses_last_year", "monitored_start_last_year", "incidents", "orders_due", "orders_in_time"]}
    bad = {**base, "on_date": TODAY.isoformat(), "registered": 1, "former": 1, "stable": 4}
    resp = client.post(f"/drugfree/areas/{world['area'].id}/aggregate", data=bad)
    assert resp.status_code == 422
    assert db.session.scalar(select(func.count(AggregateReport.id))) == 0
    good = {**base, "on_date": TODAY.isoformat(), "registered": 2, "former": 2, "stable": 2}
    assert client.post(f"/drugfree/areas/{world['area'].id}/aggregate", data=good).status_code == 302
    assert db.session.scalar(select(func.count(AggregateReport.id))) == 1


def test_plan_incident_evaluate_and_publish(client, db, world, open_case, login_as):
    open_case(last_use_on=dt.date(2019, 1, 1), clean_since=dt.date(2019, 1, 1))
    login_as(world["officer"])
    area = world["area"].id
    assert client.post(f"/drugfree/areas/{area}/plan", data={"mode": "named", "track": "end_use",
                                                            "target_year": TODAY.year + 4}).status_code == 302
    assert client.post(f"/drugfree/areas/{area}/plan", data={"mode": "named", "track": "end_use",
                                                            "target_year": TODAY.year + 9}).status_code == 422
    assert db.session.scalar(select(AreaPlan.target_year)) == TODAY.year + 4
    assert client.post(f"/drugfree/areas/{area}/incidents", data={"kind": "trafficking",
                                                                 "day": TODAY.isoformat()}).status_code == 302
    assert client.post(f"/drugfree/areas/{area}/incidents", data={"kind": "smuggling",
                                                                 "day": TODAY.isoformat()}).status_code == 422
    assert db.session.scalar(select(func.count(Incident.id))) == 1
    assert client.post(f"/drugfree/areas/{area}/evaluate").status_code == 302
    page = client.get(f"/drugfree/areas/{area}").get_data(as_text=True)
    assert 'data-check="no_trafficking"' in page
    assert client.post(f"/drugfree/areas/{area}/publish").status_code == 302
    notice = db.session.scalar(select(Notice))
    assert notice.source_module == "drugfree" and NAME not in notice.body and ID_NUMBER not in notice.body


def test_publish_refused_for_rc_staff(client, db, world, login_as):
    login_as("rc_staff", world["area"])
    assert client.post(f"/drugfree/areas/{world['area'].id}/publish").status_code == 403
    assert db.session.scalar(select(func.count(Notice.id))) == 0


def test_bad_evaluation_date_is_422(client, world, login_as):
    login_as(world["officer"])
    assert client.get(f"/drugfree/areas/{world['area'].id}?on=2026-13-01").status_code == 422
    assert client.get("/drugfree/areas/9999").status_code == 404
