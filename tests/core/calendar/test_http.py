"""Calendar pages, API and CLI."""

from __future__ import annotations

import io
from datetime import date

from core.calendar.models import CalendarDay, CalendarYear
from core.settings.models import SettingValue
from core.testing import assert_envelope

CSV_2027 = "date,is_working,name\n2027-02-05,holiday,春节\n2027-02-20,working,春节调休\n"


def _upload(client, data: str, year=2027, filename="s.csv", complete=True):
    form = {"year": str(year), "file": (io.BytesIO(data.encode()), filename), "source": "国务院办公厅通知"}
    if complete:
        form["complete"] = "y"
    return client.post("/calendar/import", data=form, content_type="multipart/form-data")


def test_year_page_shows_sources_and_the_fallback_warning(client, login_as):
    login_as("platform_admin")
    page = client.get("/calendar/?year=2027")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-warning="2027"' in html
    assert 'data-day="2027-02-06"' in html
    page = client.get("/calendar/?year=2026")
    html = page.get_data(as_text=True)
    assert 'data-warning' not in html
    assert 'data-day="2026-10-10" data-working="true"' in html


def test_year_page_in_chinese(client, login_as):
    login_as("platform_admin")
    html = client.get("/calendar/?year=2027&lang=zh_CN").get_data(as_text=True)
    assert "调休" in html and "春节" in html


def test_year_page_refuses_bad_year_and_other_roles(client, login_as, make):
    login_as("platform_admin")
    assert client.get("/calendar/?year=abc").status_code == 422
    assert client.get("/calendar/?year=99999").status_code == 422
    login_as("staff", make.community())
    assert client.get("/calendar/?year=2026").status_code == 403
    assert client.post("/calendar/days", data={"day": "2027-02-20", "kind": "working"}).status_code == 403


def test_manager_sees_the_year_but_cannot_edit(client, login_as, make):
    login_as("manager", make.community())
    page = client.get("/calendar/?year=2026")
    assert page.status_code == 200 and "import_form" not in page.get_data(as_text=True)
    assert 'id="import"' not in page.get_data(as_text=True)
    assert _upload(client, CSV_2027).status_code == 403


def test_import_preview_then_confirm(client, login_as, db):
    login_as("platform_admin")
    preview = _upload(client, CSV_2027)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert 'data-line="2"' in html and 'data-line="3"' in html
    assert db.session.query(CalendarDay).count() == 0  # a preview writes nothing
    import re
    rows = re.search(r'name="rows" type="hidden" value="([^"]*)"', html).group(1)
    import html as html_lib
    confirm = client.post("/calendar/import/confirm", data={
        "year": "2027", "rows": html_lib.unescape(rows), "complete": "1", "source": "国务院办公厅通知"})
    assert confirm.status_code == 302
    assert db.session.query(CalendarDay).filter_by(day=date(2027, 2, 20)).one().is_working
    assert db.session.query(CalendarYear).filter_by(year=2027).one().complete
    html = client.get("/calendar/?year=2027").get_data(as_text=True)
    assert "data-warning" not in html


def test_import_preview_shows_per_row_errors_and_writes_nothing(client, login_as, db):
    login_as("platform_admin")
    resp = _upload(client, "date,is_working,name\n2027-02-30,holiday,x\n2026-01-01,holiday,y\n2027-03-01,maybe,\n")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    import re
    assert re.findall(r'data-line="(\d+)" class="row-error"', html) == ["2", "3", "4"]
    assert "name=\"rows\"" not in html
    assert db.session.query(CalendarDay).count() == 0


def test_import_refuses_bad_files(client, login_as):
    login_as("platform_admin")
    assert _upload(client, "%PDF", filename="s.pdf").status_code == 422
    assert _upload(client, "", filename="s.csv").status_code == 422
    assert _upload(client, "junk", filename="s.xlsx").status_code == 422
    assert _upload(client, "x" * 2_000_001, filename="s.csv").status_code == 422
    many = "".join(f"2027-01-01,holiday,{i}\n" for i in range(401))
    assert _upload(client, many, filename="s.csv").status_code == 422
    resp = client.post("/calendar/import", data={"year": "2027"}, content_type="multipart/form-data")
    assert resp.status_code == 422


def test_confirm_with_tampered_rows_is_refused(client, login_as, db):
    login_as("platform_admin")
    for rows in ("not json", "[1, 2]", '{"a": 1}', '[["99999999999999999999-01-01", true, "x"]]'):
        resp = client.post("/calendar/import/confirm", data={"year": "2027", "rows": rows})
        assert resp.status_code == 422, rows
    resp = client.post("/calendar/import/confirm", data={"year": "2027", "rows": '[["2026-01-01", false, "x"]]'})
    assert resp.status_code == 422
    assert db.session.query(CalendarDay).count() == 0


def test_edit_day_and_year_and_seed(client, login_as, db):
    login_as("platform_admin")
    assert client.post("/calendar/days", data={"day": "2027-02-20", "kind": "working", "name": "调休"}).status_code == 302
    assert db.session.query(CalendarDay).filter_by(day=date(2027, 2, 20)).one().source == "manual"
    assert client.post("/calendar/days", data={"day": "2027-02-20", "kind": "clear"}).status_code == 302
    assert db.session.query(CalendarDay).count() == 0
    assert client.post("/calendar/days", data={"day": "nope", "kind": "working"}).status_code == 422
    assert client.post("/calendar/days", data={"day": "2027-02-20", "kind": "sometimes"}).status_code == 422
    assert client.post("/calendar/years", data={"year": "2027", "complete": "y", "source": "x"}).status_code == 302
    assert db.session.query(CalendarYear).filter_by(year=2027).one().complete
    assert client.post("/calendar/years", data={"year": "3000"}).status_code == 422
    assert client.post("/calendar/seed").status_code == 302
    assert db.session.query(CalendarDay).filter_by(source="package").count() > 600


def test_working_hours_per_community(client, login_as, make, db):
    community, other = make.community(), make.community()
    login_as("manager", community)
    page = client.get("/calendar/hours")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-community="{community.id}"' in html and f'data-community="{other.id}"' not in html
    assert "08:30-12:00,13:30-17:30" in html
    resp = client.post(f"/calendar/hours/{community.id}", data={"periods": "09:00-12:00, 13:00-18:00"})
    assert resp.status_code == 302
    value = db.session.query(SettingValue).filter_by(key="calendar.working_periods", scope_id=community.id).one()
    assert value.value == "09:00-12:00,13:00-18:00"
    from core.calendar.services import load_calendar
    assert load_calendar(community, years=[2026]).periods[1][1].hour == 18
    for bad in ("12:00-08:00", "08:00-12:00,11:00-13:00", "lunch", ""):
        assert client.post(f"/calendar/hours/{community.id}", data={"periods": bad}).status_code == 422, bad
    assert client.post(f"/calendar/hours/{other.id}", data={"periods": "09:00-17:00"}).status_code == 403
    assert client.post("/calendar/hours/999999", data={"periods": "09:00-17:00"}).status_code == 404


def test_working_hours_refused_to_staff(client, login_as, make):
    community = make.community()
    login_as("staff", community)
    assert client.get("/calendar/hours").status_code == 403
    assert client.post(f"/calendar/hours/{community.id}", data={"periods": "09:00-17:00"}).status_code == 403


def test_api_days(client, make, api_headers):
    account = make.account("staff", make.community())
    headers = api_headers(account)
    body = client.get("/api/v1/calendar/days?year=2026", headers=headers).get_json()
    assert len(body["days"]) == 365 and body["fallback"] is False and body["warnings"] == []
    by_day = {d["date"]: d for d in body["days"]}
    assert by_day["2026-10-10"] == {"date": "2026-10-10", "is_working": True, "name": "National Day",
                                    "source": "package"}
    assert by_day["2026-10-01"]["is_working"] is False
    assert by_day["2026-11-28"]["source"] == "weekend"
    body = client.get("/api/v1/calendar/days?year=2027", headers=headers).get_json()
    assert body["fallback"] is True and body["warnings"]
    assert {d["date"]: d for d in body["days"]}["2027-02-08"]["source"] == "rule"
    assert body["periods"] == ["08:30-12:00", "13:30-17:30"]


def test_api_days_bad_input(client, make, api_headers):
    headers = api_headers(make.account("staff", make.community()))
    assert_envelope(client.get("/api/v1/calendar/days", headers=headers), 422)
    assert_envelope(client.get("/api/v1/calendar/days?year=abc", headers=headers), 422)
    assert_envelope(client.get("/api/v1/calendar/days?year=2200", headers=headers), 422)
    assert_envelope(client.get("/api/v1/calendar/days?year=2026&community_id=999999", headers=headers), 404)
    assert_envelope(client.get("/api/v1/calendar/days?year=2026"), 401)


def test_api_import(client, make, api_headers, db):
    admin = make.account("platform_admin")
    headers = api_headers(admin)
    payload = {"year": 2027, "source": "official", "rows": [
        {"date": "2027-02-05", "is_working": "holiday", "name": "春节"},
        {"date": "2027-02-20", "is_working": True, "name": "调休"}]}
    resp = client.post("/api/v1/calendar/imports", json={**payload, "dry_run": True}, headers=headers)
    assert resp.status_code == 201 and resp.get_json()["written"] == 0
    assert db.session.query(CalendarDay).count() == 0
    resp = client.post("/api/v1/calendar/imports", json=payload, headers=headers)
    assert resp.status_code == 201 and resp.get_json()["written"] == 2
    body = client.get("/api/v1/calendar/days?year=2027", headers=headers).get_json()
    assert body["fallback"] is False
    assert {d["date"]: d for d in body["days"]}["2027-02-20"]["source"] == "table:import"


def test_api_import_bad_input_and_roles(client, make, api_headers, db):
    headers = api_headers(make.account("platform_admin"))
    bad = {"year": 2027, "rows": [{"date": "2027-02-05", "is_working": "holiday"},
                                  {"date": "2026-01-01", "is_working": "holiday"},
                                  {"date": "xx", "is_working": "perhaps"}]}
    err = assert_envelope(client.post("/api/v1/calendar/imports", json=bad, headers=headers), 422)
    assert set(err["fields"]) == {"line 2", "line 3"}
    err = assert_envelope(client.post("/api/v1/calendar/imports", json={**bad, "dry_run": True}, headers=headers), 422)
    assert set(err["fields"]) == {"line 2", "line 3"}
    assert_envelope(client.post("/api/v1/calendar/imports", json={"year": 2027, "rows": []}, headers=headers), 422)
    assert_envelope(client.post("/api/v1/calendar/imports", json={"rows": "x"}, headers=headers), 422)
    assert db.session.query(CalendarDay).count() == 0
    manager = api_headers(make.account("manager", make.community()))
    ok = {"year": 2027, "rows": [{"date": "2027-02-05", "is_working": "holiday"}]}
    assert_envelope(client.post("/api/v1/calendar/imports", json=ok, headers=manager), 403)
    assert_envelope(client.post("/api/v1/calendar/imports", json=ok), 401)


def test_cli_seed_and_import(app, db, tmp_path):
    from core.cli import _core_area_commands, cli

    _core_area_commands()
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["calendar", "seed"])
    assert result.exit_code == 0, result.output
    assert "seeded" in result.output
    again = runner.invoke(cli, ["calendar", "seed"])
    assert "seeded 0 days" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text("2027-02-05,holiday,春节\n2027-02-31,holiday,x\n", encoding="utf-8")
    result = runner.invoke(cli, ["calendar", "import", str(bad), "--year", "2027"])
    assert result.exit_code != 0 and "line 2" in result.output
    good = tmp_path / "good.csv"
    good.write_text(CSV_2027, encoding="utf-8")
    result = runner.invoke(cli, ["calendar", "import", str(good), "--year", "2027", "--source", "notice"])
    assert result.exit_code == 0, result.output
    assert "imported 2 days" in result.output
    result = runner.invoke(cli, ["calendar", "show", "--year", "2027"])
    assert "WARNING" not in result.output and "2027-02-20\tworking" in result.output


def test_navigation_and_openapi(client, login_as):
    login_as("platform_admin")
    html = client.get("/calendar/?year=2026").get_data(as_text=True)
    assert 'href="/calendar/"' in html and 'href="/calendar/hours"' in html
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/calendar/days" in spec["paths"] and "/api/v1/calendar/imports" in spec["paths"]
