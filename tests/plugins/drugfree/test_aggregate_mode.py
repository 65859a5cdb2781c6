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
