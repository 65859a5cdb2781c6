"""Aggregate mode: the counts the officer typed, checked against what is on record."""

import datetime as dt

from plugins.drugfree import rules, services

BASE = "/api/v1/drugfree"
D = dt.date(2025, 6, 30)  # the evaluation date; every record below is on or before it
ZEROS = {k: 0 for k in rules.Summary.COUNT_FIELDS}


def aggregate(world, db):
    services.set_plan(world["officer"], world["area"], mode="aggregate", track="keep_clean", target_year=None,
                      plan=None)
    db.session.commit()


def report(world, db, day=dt.date(2025, 3, 1), **counts):
    services.save_aggregate(world["officer"], world["area"], on_date=day, counts={**ZEROS, **counts})
    db.session.commit()


def incident(world, db, day=dt.date(2025, 4, 1)):
    services.add_incident(world["officer"], world["area"], kind="trafficking", day=day)
    db.session.commit()


def trafficking_check(world):
    _mode, summary, evaluation = services.evaluate_area(world["officer"], world["area"], D)
    check = next(c for c in evaluation.checks if c.code == "no_trafficking")
    return evaluation.meets, check.passed, summary.incidents


def test_zero_counts_alone_meet(db, world):
    aggregate(world, db)
    report(world, db)
    assert trafficking_check(world) == (True, True, 0)


def test_incident_recorded_after_zero_counts_is_counted(db, world):
    aggregate(world, db)
    report(world, db)
    incident(world, db)
    assert trafficking_check(world) == (False, False, 1)


def test_incident_recorded_before_zero_counts_is_counted(db, world):
    aggregate(world, db)
    incident(world, db, day=dt.date(2025, 2, 1))
    report(world, db, day=dt.date(2025, 5, 1))
    assert trafficking_check(world) == (False, False, 1)


def test_typed_and_recorded_incident_is_not_counted_twice(db, world):
    aggregate(world, db)
    report(world, db, incidents=1)
    incident(world, db)
    assert trafficking_check(world) == (False, False, 1)


def test_more_typed_than_recorded_keeps_the_typed_count(db, world):
    aggregate(world, db)
    incident(world, db)
    report(world, db, incidents=3)
    assert trafficking_check(world) == (False, False, 3)


def test_incidents_of_other_years_and_areas_are_not_counted(db, world):
    aggregate(world, db)
    report(world, db)
    incident(world, db, day=dt.date(2024, 12, 31))
    services.add_incident(world["officer"], world["other_area"], kind="cultivation", day=dt.date(2025, 4, 1))
    services.set_plan(world["officer"], world["other_area"], mode="aggregate", track="keep_clean",
                      target_year=None, plan=None)
    db.session.commit()
    assert trafficking_check(world) == (True, True, 0)
    both = services.summarise_areas([world["area"], world["other_area"]], D)
    assert both[world["area"].id][1].incidents == 0
    assert both[world["other_area"].id][1] is None  # recorded incidents alone are no counts


def test_incident_form_on_an_aggregate_area_shows_over_http(client, db, world, login_as, api_headers):
    login_as(world["officer"])
    area = world["area"].id
    assert client.post(f"/drugfree/areas/{area}/plan", data={"mode": "aggregate", "track": "keep_clean"}
                       ).status_code == 302
    form = {**ZEROS, "on_date": "2025-03-01"}
    assert client.post(f"/drugfree/areas/{area}/aggregate", data=form).status_code == 302
    page = client.get(f"/drugfree/areas/{area}?on={D.isoformat()}").get_data(as_text=True)
    assert 'data-result="meets"' in page
    assert client.post(f"/drugfree/areas/{area}/incidents", data={"kind": "trafficking", "day": "2025-04-01"}
                       ).status_code == 302
    page = client.get(f"/drugfree/areas/{area}?on={D.isoformat()}").get_data(as_text=True)
    assert 'data-result="not-yet"' in page
    row = page.split('data-check="no_trafficking"', 1)[1].split("</tr>", 1)[0]
    assert 'badge bad' in row
    body = client.get(f"{BASE}/areas/{area}/evaluation?on_date={D.isoformat()}",
                      headers=api_headers(world["officer"])).get_json()
    assert body["mode"] == "aggregate" and body["meets"] is False
    check = next(c for c in body["checks"] if c["code"] == "no_trafficking")
    assert check == {"code": "no_trafficking", "passed": False, "counts": {"incidents": 1}}


# ---------------------------------------------------------------- only this year's counts

NO_COUNTS = ("Counts for this year (2025) have not been entered yet.", "本年度（2025年）的人数尚未录入。")


def test_a_report_of_last_year_is_no_counts_for_this_year(db, world):
    aggregate(world, db)
    report(world, db, day=dt.date(2024, 6, 15), registered=2, former=2, stable=2)
    report(world, db, day=dt.date(2024, 12, 31), registered=2, former=2, stable=2)
    assert services.summarise_area(world["area"], D) == ("aggregate", None)
    mode, summary, evaluation = services.evaluate_area(world["officer"], world["area"], D, save=True)
    assert (mode, summary, evaluation) == ("aggregate", None, None)
    assert services.evaluations_of(world["area"]) == []  # nothing to save
    # the same report still answers for its own year
    assert services.evaluate_area(world["officer"], world["area"], dt.date(2024, 12, 31))[2].meets is True


def test_a_report_of_this_year_is_used(db, world):
    aggregate(world, db)
    report(world, db, day=dt.date(2024, 6, 15), registered=2, former=2, stable=2)
    report(world, db, day=dt.date(2025, 1, 1), registered=1, current=1)
    report(world, db, day=dt.date(2025, 7, 1), registered=2, former=2, stable=2)  # after D: not yet
    _mode, summary, evaluation = services.evaluate_area(world["officer"], world["area"], D)
    assert summary.current == 1 and evaluation.meets is False
    report(world, db, day=dt.date(2025, 6, 30), registered=2, former=2, stable=2)
    _mode, summary, evaluation = services.evaluate_area(world["officer"], world["area"], D)
    assert summary.stable == 2 and evaluation.meets is True


def test_no_counts_this_year_on_the_page_dashboard_and_api(client, db, world, make, login_as, api_headers):
    from core.plugins import collect

    aggregate(world, db)
    report(world, db, day=dt.date(2024, 6, 15), registered=2, former=2, stable=2)
    login_as(world["officer"])
    page = client.get(f"/drugfree/areas/{world['area'].id}?on={D.isoformat()}").get_data(as_text=True)
    assert 'data-result="meets"' not in page and 'data-result="not-yet"' not in page
    shown = page.split('data-result="no-counts">', 1)[1].split("</p>", 1)[0]
    assert shown in NO_COUNTS
    resp = client.post(f"/drugfree/areas/{world['area'].id}/evaluate?on={D.isoformat()}", follow_redirects=True)
    assert any(text in resp.get_data(as_text=True) for text in NO_COUNTS)
    assert services.evaluations_of(world["area"]) == []
    checks = collect("compliance_checks", area=world["area"], on_date=D)
    assert [(c["code"], c["passed"]) for c in checks] == [("drugfree.no_data", None)]
    assert checks[0]["detail"] in NO_COUNTS
    for account in (world["officer"], make.account("rc_staff", world["area"])):
        body = client.get(f"{BASE}/areas/{world['area'].id}/evaluation?on_date={D.isoformat()}",
                          headers=api_headers(account)).get_json()
        assert body["meets"] is None and body["checks"] == [] and body["mode"] == "aggregate"
        assert body["no_result"]["code"] == "no_counts_this_year" and body["no_result"]["message"] in NO_COUNTS
    body = client.get(f"{BASE}/areas/{world['area'].id}/evaluation?on_date=2024-12-31",
                      headers=api_headers(world["officer"])).get_json()
    assert body["meets"] is True and body["no_result"] is None
