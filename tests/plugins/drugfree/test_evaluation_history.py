"""Saved evaluations: kept with their date and result, listed in the area's history."""

import datetime as dt

from sqlalchemy import func, select

from plugins.drugfree import services
from plugins.drugfree.models import EvaluationRecord

BEFORE, AFTER = dt.date(2025, 3, 31), dt.date(2025, 6, 30)  # a current user dies on 1 May 2025


def user_then_dead(world, db, open_case):
    case = open_case()
    services.add_status(world["officer"], case, status="using", start=dt.date(2020, 1, 1))
    services.add_status(world["officer"], case, status="dead", start=dt.date(2025, 5, 1))
    db.session.commit()
    return case


def history_rows(page: str) -> list[tuple[str, str]]:
    """(date, "meets" / "not-yet") of each row of the history, the page's last section."""
    section = page.rsplit('<section class="card">', 1)[1]
    rows = []
    for row in section.split("<tr>")[1:]:
        day = row.split("<td>", 2)[1].split("</td>", 1)[0]
        rows.append((day, "meets" if "badge ok" in row else "not-yet" if "badge bad" in row else "?"))
    return rows


def test_a_saved_evaluation_is_in_the_history_with_its_date_and_result(db, world, open_case):
    user_then_dead(world, db, open_case)
    services.evaluate_area(world["officer"], world["area"], BEFORE, save=True)
    services.evaluate_area(world["officer"], world["area"], AFTER, save=True)
    services.evaluate_area(world["officer"], world["area"], AFTER)  # not saved
    db.session.commit()
    history = services.evaluations_of(world["area"])
    assert [(h.on_date, h.mode, h.meets) for h in history] == [(AFTER, "named", True), (BEFORE, "named", False)]
    assert history[0].result["on_date"] == AFTER.isoformat() and history[0].result["meets"] is True
    failed = [c["code"] for c in history[1].result["checks"] if not c["passed"]]
    assert failed == ["no_current_users"] and history[1].by_id == world["officer"].id


def test_saving_over_http_shows_in_the_history_on_the_page(client, db, world, open_case, login_as):
    user_then_dead(world, db, open_case)
    area = world["area"].id
    login_as("rc_staff", world["area"])
    assert client.post(f"/drugfree/areas/{area}/evaluate?on={AFTER.isoformat()}").status_code == 403
    assert db.session.scalar(select(func.count(EvaluationRecord.id))) == 0
    login_as(world["officer"])
    for day in (BEFORE, AFTER):
        resp = client.post(f"/drugfree/areas/{area}/evaluate?on={day.isoformat()}")
        assert resp.status_code == 302 and f"on={day.isoformat()}" in resp.headers["Location"]
    page = client.get(f"/drugfree/areas/{area}").get_data(as_text=True)
    assert history_rows(page) == [(AFTER.isoformat(), "meets"), (BEFORE.isoformat(), "not-yet")]
    login_as("rc_staff", world["area"])  # the history is counts only: shown with the aggregates
    page = client.get(f"/drugfree/areas/{area}").get_data(as_text=True)
    assert history_rows(page) == [(AFTER.isoformat(), "meets"), (BEFORE.isoformat(), "not-yet")]


def test_history_over_the_api_lists_results_without_counts(client, db, make, world, open_case, api_headers):
    from core import Community
    from core.testing import assert_envelope

    user_then_dead(world, db, open_case)
    services.evaluate_area(world["officer"], world["area"], BEFORE, save=True)
    services.evaluate_area(world["officer"], world["area"], AFTER, save=True)
    manager = make.account("manager", db.session.get(Community, world["community"].id))
    outsider = make.account("manager", make.community(area=world["other_area"]))
    db.session.commit()
    url = f"/api/v1/drugfree/areas/{world['area'].id}/evaluations"
    for account in (world["officer"], manager):
        resp = client.get(url, headers=api_headers(account))
        assert resp.status_code == 200, resp.get_json()
        rows = resp.get_json()
        assert [(r["on_date"], r["mode"], r["meets"]) for r in rows] == [
            (AFTER.isoformat(), "named", True), (BEFORE.isoformat(), "named", False)]
        assert rows[0]["failed"] == [] and "no_current_users" in rows[1]["failed"]
        assert all(set(r) == {"on_date", "mode", "meets", "failed", "saved_at"} for r in rows)  # no counts
    assert_envelope(client.get(url, headers=api_headers(outsider)), 403, "forbidden")
    assert_envelope(client.get("/api/v1/drugfree/areas/999999/evaluations", headers=api_headers(manager)), 404)


def test_dates_outside_the_platforms_years_are_refused_on_the_pages(client, db, world, login_as):
    login_as(world["officer"])
    area = world["area"].id
    for far in ("0001-01-01", "9999-12-31", "1799-12-31"):
        assert client.get(f"/drugfree/areas/{area}?on={far}").status_code == 422
        assert client.post(f"/drugfree/areas/{area}/evaluate?on={far}").status_code == 422
    assert db.session.scalar(select(func.count()).select_from(EvaluationRecord)) == 0
    assert client.get(f"/drugfree/areas/{area}?on=1800-01-01").status_code == 200
