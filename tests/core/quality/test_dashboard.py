"""Quality dashboard: every figure equals the one computed by hand for the test's data."""

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.quality import dashboard as dash
from core.testing import assert_envelope
from core.tickets.models import Ticket, TicketCategory

T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
MARCH = dash.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
_numbers = itertools.count(1)


def m(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def category(db, community, code, workflow="repair"):
    row = TicketCategory(area_id=community.area_id, community_id=community.id, code=code, name=code,
                         workflow=workflow, procedure=[])
    db.session.add(row)
    db.session.flush()
    return row


def ticket(db, cat, *, building=None, unit=None, opened=T0, status="submitted", **kw):
    row = Ticket(area_id=cat.area_id, community_id=cat.community_id, category_id=cat.id,
                 building_id=building.id if building else (unit.building_id if unit else None),
                 unit_id=unit.id if unit else None, number=f"T{next(_numbers):08d}", workflow=cat.workflow,
                 status=status, title="t", channel="portal", opened_at=opened, **kw)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def data(make, db):
    c = make.community()
    b1, b2 = make.building(c, name="1栋"), make.building(c, name="2栋")
    repair, complaint = category(db, c, "repair_unit"), category(db, c, "complaint", "enquiry")
    ticket(db, repair, building=b1, status="closed", responded_at=m(10), arrived_at=m(30), resolved_at=m(120),
           response_due_at=m(15), arrival_due_at=m(60), resolution_due_at=m(240), rating_score=5)
    ticket(db, repair, building=b1, status="closed", responded_at=m(20), arrived_at=m(50), resolved_at=m(300),
           response_due_at=m(15), arrival_due_at=m(60), resolution_due_at=m(240), rating_score=2,
           callback_done=True)
    ticket(db, complaint, building=b2, status="resolved", responded_at=m(5), resolved_at=m(60),
           response_due_at=m(30), resolution_due_at=m(1440), rating_score=3, is_repeat=True)
    ticket(db, complaint, building=b2, status="submitted", response_due_at=m(30), resolution_due_at=m(1440))
    ticket(db, repair, building=b2, status="cancelled", cancelled_at=m(3), response_due_at=m(15),
           resolution_due_at=m(240))
    ticket(db, repair, building=b1, opened=dt.datetime(2026, 4, 5, tzinfo=dt.UTC), responded_at=m(99999))
    other = make.community()
    ticket(db, category(db, other, "repair_unit"), status="submitted")
    return {"community": c, "other": other, "buildings": (b1, b2)}


def test_figures_equal_hand_computation(data):
    f = dash.figures([data["community"].id], MARCH, now=NOW)
    assert f["tickets"] == 5 and f["open"] == 1
    assert f["times"]["response"] == {"n": 3, "median": Decimal("10.0"), "p90": Decimal("18.0")}
    assert f["times"]["arrival"] == {"n": 2, "median": Decimal("40.0"), "p90": Decimal("48.0")}
    assert f["times"]["resolution"] == {"n": 3, "median": Decimal("120.0"), "p90": Decimal("264.0")}
    assert f["sla"]["response"] == {"met": 2, "decided": 4, "percent": Decimal("50.0")}
    assert f["sla"]["arrival"] == {"met": 2, "decided": 2, "percent": Decimal("100.0")}
    assert f["sla"]["resolution"] == {"met": 2, "decided": 4, "percent": Decimal("50.0")}
    assert f["sla"]["overall"] == {"met": 2, "decided": 4, "percent": Decimal("50.0")}
    assert f["satisfaction"] == {"rated": 3, "satisfied": 1, "percent": Decimal("33.3"), "average": Decimal("3.33")}
    assert f["callback"] == {"needed": 2, "done": 1, "percent": Decimal("50.0")}
    assert f["repeat"] == {"tickets": 5, "repeats": 1, "percent": Decimal("20.0"), "complaints": 2,
                           "repeat_complaints": 1, "complaint_percent": Decimal("50.0")}
    cats = {c["code"]: c for c in f["by_category"]}
    assert cats["repair_unit"]["by_status"] == {"cancelled": 1, "closed": 2} and cats["repair_unit"]["total"] == 3
    assert cats["complaint"]["by_status"] == {"resolved": 1, "submitted": 1}
    assert f["by_status"] == {"cancelled": 1, "closed": 2, "resolved": 1, "submitted": 1}


def test_trend_and_compare(data, make):
    quiet = make.community()
    ids = [data["community"].id, data["other"].id, quiet.id]
    period = dash.Period(dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    months = dash.trend([data["community"].id], period, now=NOW)
    assert [(x["month"], x["tickets"]) for x in months] == [("2026-03", 5), ("2026-04", 1)]
    rows = {r["community_id"]: r for r in dash.compare(ids, MARCH, now=NOW)}
    assert rows[data["community"].id]["tickets"] == 5
    assert rows[data["community"].id]["times"]["resolution"]["median"] == Decimal("120.0")
    assert rows[data["other"].id]["tickets"] == 1 and rows[data["other"].id]["open"] == 1
    assert rows[quiet.id] == {"community_id": quiet.id, "community": quiet.name, "tickets": 0, "empty": True}


def test_empty_period(data):
    f = dash.figures([data["community"].id], dash.Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31)), now=NOW)
    assert f["tickets"] == 0 and f["by_category"] == [] and f["sla"]["overall"]["percent"] is None
    assert f["times"]["response"] == {"n": 0, "median": None, "p90": None}
    assert f["satisfaction"]["percent"] is None and f["callback"]["percent"] is None


def test_period_boundaries_are_beijing_days(make, db):
    c = make.community()
    cat = category(db, c, "repair_unit")
    ticket(db, cat, opened=dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.UTC))  # 2026-03-01 00:00 Beijing
    ticket(db, cat, opened=dt.datetime(2026, 2, 28, 15, 59, tzinfo=dt.UTC))  # still February in Beijing
    ticket(db, cat, opened=dt.datetime(2026, 3, 31, 15, 59, tzinfo=dt.UTC))  # 23:59 on 31 March
    ticket(db, cat, opened=dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC))  # 1 April in Beijing
    assert dash.figures([c.id], MARCH, now=NOW)["tickets"] == 2
    assert [x["month"] for x in dash.trend([c.id], dash.Period(dt.date(2026, 2, 1), dt.date(2026, 4, 30)))] == \
        ["2026-02", "2026-03", "2026-04"]


def test_one_ticket_and_ties(make, db):
    c = make.community()
    cat = category(db, c, "repair_unit")
    ticket(db, cat, resolved_at=m(42))
    t = dash.figures([c.id], MARCH, now=NOW)["times"]["resolution"]
    assert t == {"n": 1, "median": Decimal("42.0"), "p90": Decimal("42.0")}
    for minutes in (5, 5, 10):
        ticket(db, cat, resolved_at=m(minutes))
    # sorted 5, 5, 10, 42 → median between 5 and 10 = 7.5; p90 at 2.7 → 10 + 32·0.7 = 32.4
    t = dash.figures([c.id], MARCH, now=NOW)["times"]["resolution"]
    assert t == {"n": 4, "median": Decimal("7.5"), "p90": Decimal("32.4")}


def percentile_cont(values, p):
    values = sorted(values)
    pos = p * (len(values) - 1)
    lo = int(pos)
    if lo + 1 >= len(values):
        return values[lo]
    return values[lo] + (values[lo + 1] - values[lo]) * (pos - lo)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=40))
def test_percentiles_match_percentile_cont(make, db, minutes):
    db.session.query(Ticket).delete()
    c = make.community()
    cat = category(db, c, "repair_unit")
    db.session.add_all([Ticket(area_id=c.area_id, community_id=c.id, category_id=cat.id, number=f"H{next(_numbers)}",
                               workflow="repair", status="resolved", title="t", channel="api", opened_at=T0,
                               resolved_at=m(x)) for x in minutes])
    db.session.flush()
    t = dash.figures([c.id], MARCH, now=NOW)["times"]["resolution"]
    assert t["n"] == len(minutes)
    for key, p in (("median", 0.5), ("p90", 0.9)):
        expected = Decimal(repr(float(percentile_cont(minutes, p)))).quantize(Decimal("0.1"))
        assert abs(t[key] - expected) <= Decimal("0.1"), (key, minutes)


def test_equal_service_groups(data, make, db):
    b1, b2 = data["buildings"]
    report = dash.equal_service(data["community"].id, MARCH, min_group=1)
    rows = {r["label"]: r for r in report["buildings"]}
    assert rows["1栋"]["tickets"] == 2 and rows["1栋"]["times"]["resolution"]["median"] == Decimal("210.0")
    assert rows["2栋"]["tickets"] == 3 and rows["2栋"]["times"]["response"]["median"] == Decimal("5.0")
    assert {r["group"]: r["tickets"] for r in report["reporter_kinds"]} == {"none": 5}
    hidden = dash.equal_service(data["community"].id, MARCH)  # default: groups under 5 tickets hidden
    assert all(r["hidden"] and r["times"] is None for r in hidden["buildings"])


def test_equal_service_reporter_groups(make, db):
    c = make.community()
    unit = make.unit(make.building(c))
    owner = make.owner(unit)
    old = make.owner(make.unit(make.building(c)), person=make.person(birth_date=dt.date(1950, 1, 1)))
    tenant = make.resident(unit, kind="tenant")
    cat = category(db, c, "repair_unit")
    ticket(db, cat, unit=unit, reporter_person_id=owner.id, responded_at=m(10))
    ticket(db, cat, unit=unit, reporter_person_id=tenant.id, responded_at=m(40))
    report = dash.equal_service(c.id, MARCH, min_group=1)
    kinds = {r["group"]: r["times"]["response"]["median"] for r in report["reporter_kinds"]}
    assert kinds == {"owner": Decimal("10.0"), "tenant": Decimal("40.0")}
    assert {r["group"] for r in report["age_groups"]} == {"under_60"}
    assert old.id


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


def test_api_dashboard(data, client, api_headers, make):
    c = data["community"]
    manager = make.account("manager", c)
    resp = client.get(f"/api/v1/quality/dashboard?community_id={c.id}&start=2026-03-01&end=2026-03-31",
                      headers=api_headers(manager))
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["tickets"] == 5 and body["times"]["resolution"]["p90"] == "264.0"
    assert body["satisfaction"]["percent"] == "33.3" and body["period"]["start"] == "2026-03-01"
    h = api_headers(manager)
    assert_envelope(client.get(f"/api/v1/quality/dashboard?community_id={data['other'].id}", headers=h), 403)
    assert_envelope(client.get(f"/api/v1/quality/dashboard?community_id={c.id}&start=2026-13-01", headers=h), 422)
    assert_envelope(client.get(f"/api/v1/quality/dashboard?community_id={c.id}&start=2026-03-02&end=2026-03-01",
                               headers=h), 422)
    assert_envelope(client.get("/api/v1/quality/dashboard?community_id=999999", headers=h), 404)
    for role in ("guard", "developer_rep"):
        assert_envelope(client.get(f"/api/v1/quality/dashboard?community_id={c.id}",
                                   headers=api_headers(make.account(role, c))), 403)
    owner = make.account(person=make.owner(make.unit(make.building(c))))
    assert_envelope(client.get(f"/api/v1/quality/dashboard?community_id={c.id}", headers=api_headers(owner)), 403)
    assert_envelope(client.get(f"/api/v1/quality/dashboard?community_id={c.id}"), 401)
    rc = make.account("rc_staff", make.area())  # another area's residents' committee
    assert_envelope(client.get(f"/api/v1/quality/dashboard?community_id={c.id}", headers=api_headers(rc)), 403)
    cmp_ = client.get("/api/v1/quality/compare?start=2026-03-01&end=2026-03-31", headers=h).json
    assert [x["community_id"] for x in cmp_["communities"]] == [c.id]
    eq = client.get(f"/api/v1/quality/equal-service?community_id={c.id}&start=2026-03-01&end=2026-03-31",
                    headers=h)
    assert eq.status_code == 200 and sum(r["tickets"] for r in eq.json["buildings"]) == 5


def test_dashboard_pages_and_excel(data, client, login_as, make):
    from openpyxl import load_workbook

    c = data["community"]
    login_as("committee_member", c)
    page = client.get(f"/quality/communities/{c.id}/dashboard?start=2026-03-01&end=2026-03-31")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in text and "264.0" in text
    assert client.get(f"/quality/communities/{c.id}/dashboard?start=bad").status_code == 422
    assert client.get(f"/quality/communities/{data['other'].id}/dashboard").status_code == 403
    xlsx = client.get(f"/quality/communities/{c.id}/dashboard.xlsx?start=2026-03-01&end=2026-03-31")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data))
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert rows[0][1] == c.name and rows[4][1] == 5  # the ticket count
    assert [r[1] for r in rows if r[0] in ("SLA compliance (%)", "时限达标率（%）")] == [50.0]
    assert len(wb.worksheets) == 3
    assert client.get("/quality/compare?start=2026-03-01&end=2026-03-31").status_code == 200
    assert client.get(f"/quality/communities/{c.id}/equal-service").status_code == 200
    assert client.get("/quality/").status_code == 200


def test_public_scorecard_needs_no_login_and_names_no_one(data, client, make, db):
    c = data["community"]
    person = make.owner(make.unit(data["buildings"][0]), person=make.person(name="张三丰"))
    t = db.session.query(Ticket).filter_by(community_id=c.id, status="closed").first()
    t.reporter_person_id, t.title = person.id, "张三丰家漏水"
    resp = client.get(f"/quality/scorecard/{c.id}?start=2026-03-01&end=2026-03-31")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and c.name in text and "张三丰" not in text and "<svg" in text
    assert client.get("/quality/scorecard/999999").status_code == 404


def test_dashboard_widget(data, make):
    from core.plugins import collect

    c = data["community"]
    def quality_widgets(user):  # plugins add their own widgets to the same dashboard
        widgets = collect("dashboard_widgets", scope=c, user=user)
        return [w for w in widgets if "quality-widget" in str(w.get("html", ""))]

    assert quality_widgets(make.account("manager", c))
    assert quality_widgets(make.account("guard", c)) == []
