"""Privacy (nothing in clear, audit restricted, small cells), the cross-plugin hooks, reduction,
and the core running with the plugin disabled after use."""

import datetime as dt

import pytest
from sqlalchemy import inspect, select, text

from core.audit.models import AuditEntry
from core.database import db as handle
from core.plugins import collect, hook
from core.settings.services import set_value
from core.testing import assert_envelope
from plugins.drugfree import rules, services
from plugins.drugfree.models import ActivityCount, Case

from .conftest import ID_NUMBER, NAME, PERSON_ID

BASE = "/api/v1/drugfree"
TODAY = dt.date.today()
REGISTER = {"people", "residencies", "ownerships"}


def test_no_name_id_number_or_person_id_in_clear_anywhere(client, db, world, open_case, api_headers):
    case = open_case(details=f"{NAME} {ID_NUMBER} 详情")
    h = api_headers(world["officer"])
    client.post(f"{BASE}/cases/{case.id}/statuses", headers=h, json={"status": "using", "start": "2021-01-01",
                                                                    "note": NAME})
    client.put(f"{BASE}/cases/{case.id}/aftercare", headers=h, json={"helper": NAME, "assigned_on": "2021-01-01"})
    client.get(f"{BASE}/cases/{case.id}", headers=h)
    client.get(f"{BASE}/areas/{world['area'].id}/evaluation", headers=h)
    db.session.expire_all()
    assert rows_without_the_person_in_clear() > 10
    raw = db.session.execute(text("select person_ref, name, id_number from drugfree_cases")).one()
    assert all(v.startswith("gAAAA") for v in raw)  # Fernet tokens


def rows_without_the_person_in_clear() -> int:
    """Scan every table but the core register, raw (no decryption), for the world's person's name,
    ID number or person id in clear; return how many rows were checked."""
    needles = (NAME, ID_NUMBER, str(PERSON_ID))
    checked = 0
    with handle.engine.connect() as conn:
        for table in handle.metadata.sorted_tables:
            if table.name in REGISTER:
                continue
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                values = dict(row._mapping)
                if table.name == "audit_entries" and values["entity"] in ("Person", "Residency", "Ownership"):
                    continue  # the core register's own history of that person
                blob = " ".join(str(v) for v in values.values())
                for needle in needles:
                    assert needle not in blob, (table.name, values)
                checked += 1
    return checked


def test_case_table_has_no_plain_foreign_key_to_people():
    table = handle.metadata.tables["drugfree_cases"]
    assert {fk.column.table.name for fk in table.foreign_keys} == {"areas"}


def test_every_drugfree_audit_entry_is_restricted_to_the_officer(client, db, world, open_case, make, api_headers):
    case = open_case()
    client.get(f"{BASE}/cases/{case.id}", headers=api_headers(make.account("manager", world["community"])))
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.module == "drugfree")).all()
    assert {e.action for e in entries} >= {"create", "drugfree.refused"}
    assert all(e.restricted_to == "drugfree.audit.read" for e in entries)
    created = next(e for e in entries if e.action == "create" and e.entity == "Case")
    assert created.changes["name"] == "***" and created.changes["person_ref"] == "***"


def test_audit_redact_restricts_and_masks():
    entry = {"module": "drugfree", "changes": {"name": ["a", "b"], "note": "x", "status": "using"},
             "restricted_to": None}
    from plugins import drugfree

    drugfree.audit_redact(entry)
    assert entry["restricted_to"] == "drugfree.audit.read"
    assert entry["changes"] == {"name": ["***", "***"], "note": "***", "status": "using"}
    other = {"module": "fees", "changes": {"name": "x"}, "restricted_to": None}
    drugfree.audit_redact(other)
    assert other["restricted_to"] is None


def test_manager_sees_suppressed_aggregates_the_officer_exact_counts_and_people(client, db, world, make,
                                                                               open_case, api_headers):
    case = open_case()
    services.add_status(world["officer"], case, status="using", start=dt.date(2020, 1, 1))
    db.session.commit()
    before = db.session.scalar(select(handle.func.count(AuditEntry.id)).where(
        AuditEntry.action == "drugfree.evaluated"))
    manager = make.account("manager", world["community"])
    body = client.get(f"{BASE}/areas/{world['area'].id}/evaluation", headers=api_headers(manager)).get_json()
    assert body["meets"] is False and body["people"] is None and body["suppressed"] is True
    first = body["checks"][0]
    assert first["code"] == "no_current_users" and first["counts"]["current"] == "<3"
    officer = client.get(f"{BASE}/areas/{world['area'].id}/evaluation",
                         headers=api_headers(world["officer"])).get_json()
    assert officer["checks"][0]["counts"]["current"] == 1 and officer["people"]["current"] == [case.id]
    after = db.session.scalar(select(handle.func.count(AuditEntry.id)).where(
        AuditEntry.action == "drugfree.evaluated"))
    assert after - before == 2  # one entry per computation


def test_evaluation_refused_for_unrelated_accounts(client, make, world, api_headers):
    outsider = make.account("manager", make.community(area=world["other_area"]))
    assert_envelope(client.get(f"{BASE}/areas/{world['area'].id}/evaluation", headers=api_headers(outsider)), 403)
    assert_envelope(client.get(f"{BASE}/areas/9999/evaluation", headers=api_headers(outsider)), 404)
    assert_envelope(client.get(f"{BASE}/areas/{world['area'].id}/evaluation?on_date=xx",
                               headers=api_headers(world["officer"])), 422)


def test_not_yet_then_meets_after_records_change(client, db, world, open_case, login_as):
    on = TODAY
    case = open_case()  # registered in 2020, 戒断 never begun
    services.add_status(world["officer"], case, status="using", start=dt.date(2020, 1, 1))
    db.session.commit()
    _mode, _s, result = services.evaluate_area(world["officer"], world["area"], on)
    assert result.meets is False
    assert [c.code for c in result.checks if not c.passed] == ["no_current_users"]
    services.add_status(world["officer"], case, status="dead", start=on)
    db.session.commit()
    _mode, summary, result = services.evaluate_area(world["officer"], world["area"], on)
    assert summary.current == 0 and summary.dead == 1
    assert result.meets is True and all(c.passed for c in result.checks)
    login_as(world["officer"])
    page = client.get(f"/drugfree/areas/{world['area'].id}").get_data(as_text=True)
    assert 'data-result="meets"' in page and 'data-result="not-yet"' not in page


def test_moved_out_counts_where_they_actually_live(db, world, open_case):
    from core.people.models import Residency

    case = open_case()
    services.add_status(world["officer"], case, status="moved_out", start=dt.date(2024, 1, 1))
    db.session.commit()
    _m, s, _r = services.evaluate_area(world["officer"], world["area"], TODAY)
    assert s.current == 1 and s.moved_out == 0  # still lives here: counted
    for r in db.session.scalars(select(Residency).where(Residency.person_id == world["person"].id)):
        r.end_date = dt.date(2025, 1, 1)
    db.session.commit()
    _m, s, _r = services.evaluate_area(world["officer"], world["area"], TODAY)
    assert s.current == 0 and s.moved_out == 1


def test_aggregate_mode_feeds_the_same_evaluation(client, db, world, api_headers):
    services.set_plan(world["officer"], world["area"], mode="aggregate", track="keep_clean",
                      target_year=TODAY.year + 3, plan=None)
    db.session.commit()
    h = api_headers(world["officer"])
    good = {"on_date": TODAY.isoformat(), "registered": 3, "former": 2, "stable": 2, "dead": 1}
    assert client.post(f"{BASE}/areas/{world['area'].id}/aggregates", headers=h, json=good).status_code == 201
    body = client.get(f"{BASE}/areas/{world['area'].id}/evaluation", headers=h).get_json()
    assert body["mode"] == "aggregate" and body["meets"] is True
    bad = {"on_date": TODAY.isoformat(), "registered": 1, "former": 1, "stable": 5}
    err = assert_envelope(client.post(f"{BASE}/areas/{world['area'].id}/aggregates", headers=h, json=bad), 422)
    assert "stable" in err["fields"]
    err = assert_envelope(client.post(f"{BASE}/areas/{world['area'].id}/aggregates", headers=h,
                                      json={**good, "current": -1}), 422)
    assert "current" in err["fields"]
    assert client.post(f"{BASE}/areas/{world['area'].id}/aggregates", headers=api_headers(
        client.application and world["officer"]), json={**good, "on_date": "2999-01-01"}).status_code == 422


def test_aggregate_entry_refused_for_rc_staff(client, db, make, world, api_headers):
    rc = make.account("rc_staff", world["area"])
    assert_envelope(client.post(f"{BASE}/areas/{world['area'].id}/aggregates", headers=api_headers(rc),
                                json={"on_date": TODAY.isoformat()}), 403)
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "drugfree.refused"))


def test_plan_target_year_three_to_five_years_out(db, world):
    import pytest

    from core.errors import Invalid

    for years in (3, 5):
        services.set_plan(world["officer"], world["area"], mode="named", track="end_use",
                          target_year=TODAY.year + years, plan="x")
    for years in (2, 6):
        with pytest.raises(Invalid):
            services.set_plan(world["officer"], world["area"], mode="named", track="end_use",
                              target_year=TODAY.year + years, plan="x")


def test_activity_recorded_counts_drug_prevention_per_area(db, world):
    hook().activity_recorded(scope=world["community"], tags=["drug_prevention"], day=TODAY, count=40)
    hook().activity_recorded(scope=world["area"], tags=["drug_prevention", "youth"], day=TODAY, count=10)
    hook().activity_recorded(scope=world["area"], tags=["dance"], day=TODAY, count=99)
    row = db.session.scalar(select(ActivityCount).where(ActivityCount.area_id == world["area"].id))
    assert (row.events, row.participants) == (2, 50)
    assert services.education_count(world["area"], TODAY) == (2, 50)


def test_compliance_checks_on_the_dashboard_carry_no_names(db, world, open_case):
    open_case()
    results = collect("compliance_checks", area=world["area"], on_date=TODAY)
    codes = [r["code"] for r in results]
    assert "drugfree.overall" in codes and "drugfree.no_current_users" in codes
    overall = next(r for r in results if r["code"] == "drugfree.overall")
    assert overall["passed"] is False
    blob = repr(results)
    assert NAME not in blob and ID_NUMBER not in blob and "<3" in blob


def test_reduction_after_monitoring_ends(db, world, open_case):
    case = open_case(last_use_on=dt.date(2019, 1, 1), clean_since=dt.date(2019, 1, 1), details="细节")
    ended = rules.add_years(dt.date(2019, 1, 1), 3)
    assert services.reduce_after_monitoring(ended + dt.timedelta(days=179)) == 0
    assert case.monitoring_ended_on == ended and case.name == NAME
    assert services.reduce_after_monitoring(ended + dt.timedelta(days=180)) == 1
    db.session.commit()
    db.session.expire_all()
    reduced = db.session.get(Case, case.id)
    assert reduced.name is None and reduced.id_number is None and reduced.person_ref is None
    assert reduced.details is None and reduced.reduced_at is not None
    assert reduced.clean_since == dt.date(2019, 1, 1)  # what the statistics need stays
    _m, s, _r = services.evaluate_area(world["officer"], world["area"], TODAY)
    assert s.stable == 1


@pytest.mark.parametrize("wait", [None, 30])
def test_reduction_after_death(db, world, open_case, wait):
    """Death ends monitoring for good: the named detail goes the set period after the date of death,
    and the case still counts as excluded (dead) in its area."""
    if wait is not None:
        set_value(None, "drugfree.reduce_after_days", wait, "area", world["area"].id)
    wait = wait or 180
    officer = world["officer"]
    case = open_case(details=f"{NAME} 细节")
    services.add_status(officer, case, status="using", start=dt.date(2020, 1, 1), note=NAME)
    services.assign_helper(officer, case, helper=NAME, assigned_on=dt.date(2020, 2, 1))
    died = dt.date(2023, 5, 10)
    services.add_status(officer, case, status="dead", start=died, note="死亡证明")
    db.session.commit()
    _m, before, _r = services.evaluate_area(officer, world["area"], TODAY)
    assert (before.registered, before.dead, before.current) == (1, 1, 0)
    assert before.people == {"excluded_dead": [case.id]}

    assert services.reduce_after_monitoring(died + dt.timedelta(days=wait - 1)) == 0
    assert case.monitoring_ended_on == died and case.name == NAME and case.reduced_at is None
    assert services.reduce_after_monitoring(died + dt.timedelta(days=wait)) == 1
    db.session.commit()
    db.session.expire_all()
    reduced = db.session.get(Case, case.id)
    assert reduced.reduced_at is not None and reduced.monitoring_ended_on == died
    assert (reduced.name, reduced.id_number, reduced.person_ref, reduced.details) == (None,) * 4
    assert all(s.note is None for s in reduced.statuses) and reduced.aftercare.helper == "-"
    assert [(s.status, s.start) for s in reduced.statuses] == [("using", dt.date(2020, 1, 1)), ("dead", died)]
    _m, after, _r = services.evaluate_area(officer, world["area"], TODAY)
    assert after == before  # every count, and the case behind "excluded: dead"
    assert rows_without_the_person_in_clear() > 5  # the reduction's own audit entries included


def test_death_after_three_years_clean_does_not_delay_the_reduction(db, world, open_case):
    case = open_case(last_use_on=dt.date(2019, 1, 1), clean_since=dt.date(2019, 1, 1))
    died = dt.date(2024, 3, 1)
    services.add_status(world["officer"], case, status="dead", start=died)
    db.session.commit()
    # monitoring ended at 3 years clean, on 1 January 2022: its period is long over when death is recorded
    assert services.reduce_after_monitoring(died) == 1
    assert case.monitoring_ended_on == dt.date(2022, 1, 1) and case.name is None


@pytest.mark.parametrize("status,months", [("abroad", None), ("sentenced", 120), ("missing", None),
                                           ("moved_out", None)])
def test_people_who_may_come_back_keep_their_named_detail(db, world, open_case, status, months):
    case = open_case()
    services.add_status(world["officer"], case, status=status, start=dt.date(2020, 1, 1), sentence_months=months)
    db.session.commit()
    assert services.reduce_after_monitoring(TODAY) == 0
    assert case.name == NAME and case.monitoring_ended_on is None and case.reduced_at is None


def test_export_only_for_the_officer(client, db, make, world, open_case, login_as):
    open_case()
    login_as(world["officer"])
    resp = client.get(f"/drugfree/areas/{world['area'].id}/export.csv")
    assert resp.status_code == 200 and NAME in resp.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "drugfree.exported"))
    login_as("platform_admin")
    assert client.get(f"/drugfree/areas/{world['area'].id}/export.csv").status_code == 403
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "drugfree.refused"))


def _drugfree_rows() -> dict[str, int]:
    """Rows in each drugfree table, read with plain SQL (the plugin's models need not be loaded)."""
    with handle.engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n.startswith("drugfree_")]
        return {n: conn.execute(text(f'SELECT COUNT(*) FROM "{n}"')).scalar_one() for n in names}


def _logged_in(app, account):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = str(account.id)
        sess["_fresh"] = True
    return client


def test_core_and_other_plugins_run_with_the_plugin_disabled_after_use(db, world, open_case, make_app, make,
                                                                       client, login_as):
    """The issue's promise: disabled after use, its data still in the database, the core and the other
    plugins start (schema upgrade included) and work; the plugin's pages are gone, its rows stay."""
    case = open_case(details="细节")
    officer, area, community = world["officer"], world["area"], world["community"]
    services.add_status(officer, case, status="community_detox", start=dt.date(2021, 1, 1))
    services.add_relapse(officer, case, day=dt.date(2022, 1, 1))
    services.add_incident(officer, area, kind="trafficking", day=TODAY)
    services.evaluate_area(officer, area, TODAY, save=True)
    rc = make.account("rc_staff", area)
    manager = make.account("manager", community)
    db.session.commit()
    before = _drugfree_rows()
    assert {n for n, count in before.items() if count} >= {
        "drugfree_cases", "drugfree_status_changes", "drugfree_relapses", "drugfree_incidents",
        "drugfree_evaluations"}
    dashboard = f"/areas/{area.id}/dashboard"
    login_as(rc)  # enabled, the area dashboard carries the plugin's compliance checks
    assert 'data-check="drugfree.no_current_users"' in client.get(dashboard).get_data(as_text=True)

    off = make_app({"DISABLED_PLUGINS": ["drugfree"]})
    assert "drugfree" not in {i.name for i in off.extensions["jiayuan.plugins"]}
    from core.cli import build_cli

    with off.app_context():  # the command runs on the current app: this one, not the test's
        upgraded = off.test_cli_runner().invoke(build_cli(off), ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "database up to date" in upgraded.output and "drugfree" not in upgraded.output

    as_rc = _logged_in(off, rc)
    home = as_rc.get("/")
    assert home.status_code == 200 and area.name in home.get_data(as_text=True)
    page = as_rc.get(dashboard)
    assert page.status_code == 200 and area.name in page.get_data(as_text=True)
    assert "drugfree" not in page.get_data(as_text=True)  # no check, no menu entry
    for path in ("/drugfree/", f"/drugfree/areas/{area.id}", f"/drugfree/cases/{case.id}",
                 f"/api/v1/drugfree/areas/{area.id}/evaluation"):
        assert as_rc.get(path).status_code == 404, path
    assert not [p for p in off.test_client().get("/api/v1/openapi.json").get_json()["paths"] if "drugfree" in p]
    as_manager = _logged_in(off, manager)
    assert as_manager.get("/").status_code == 200
    fees = as_manager.get(f"/fees/c/{community.id}/")  # another plugin's page
    assert fees.status_code == 200 and community.name in fees.get_data(as_text=True)
    assert _drugfree_rows() == before


def _demo_results(db, on):
    """(area name → (mode, meets, failed checks, case names)) of the two demo areas on ``on``."""
    from core import Area

    out = {}
    for area in db.session.scalars(select(Area).where(Area.name.in_(["幸福里社区", "春晖社区"]))):
        mode, _summary, result = services.evaluate_area(None, area, on)
        names = sorted(db.session.scalars(select(Case.name).where(Case.area_id == area.id)))
        out[area.name] = (mode, result.meets, {c.code for c in result.checks if not c.passed}, names)
    return out


def test_demo_data_is_idempotent_and_fictional(client, db, login_as):
    from core import Account, Person
    from core.demo import load_demo

    load_demo()
    load_demo()
    cases = db.session.scalars(select(Case)).all()
    assert len(cases) == 8
    for c in cases:  # marked, and visibly fictional down to the register person behind the case
        assert c.demo and "虚构" in c.details and c.name.startswith("示例人员")
        assert db.session.get(Person, int(c.person_ref)).name == c.name
    results = _demo_results(db, services.today())
    assert results["春晖社区"][:3] == ("named", True, set())
    assert results["春晖社区"][3] == ["示例人员己", "示例人员庚", "示例人员辛"]
    mode, meets, failed, names = results["幸福里社区"]
    assert (mode, meets) == ("named", False) and len(names) == 5
    assert {"aftercare", "former_users_stable"} <= failed
    officer = db.session.scalar(select(Account).where(Account.username == "drugfree"))
    login_as(officer)  # the demo officer sees both areas, with the people behind the counts
    areas = {c.area_id for c in cases}
    index = client.get("/drugfree/").get_data(as_text=True)
    pages = [client.get(f"/drugfree/areas/{area_id}").get_data(as_text=True) for area_id in sorted(areas)]
    assert len(areas) == 2 and all(f"/drugfree/areas/{area_id}" in index for area_id in areas)
    assert sorted('data-result="meets"' in page for page in pages) == [False, True]
    assert all('id="people"' in page for page in pages)
    for area_id in areas:
        listing = client.get(f"/drugfree/areas/{area_id}/cases")
        assert listing.status_code == 200 and "示例人员" in listing.get_data(as_text=True)


@pytest.mark.parametrize("on", [dt.date(2025, 1, 1), dt.date(2025, 1, 14), dt.date(2028, 2, 29),
                                dt.date(2026, 7, 1), dt.date(2026, 12, 31)])
def test_demo_areas_meet_and_not_yet_whatever_the_day_of_the_year(db, world, monkeypatch, on):
    from plugins.drugfree import demo

    monkeypatch.setattr(demo, "today", lambda: on)
    demo.load(db.session)
    db.session.commit()
    results = _demo_results(db, on)
    assert results["春晖社区"][:3] == ("named", True, set())
    mode, meets, failed, names = results["幸福里社区"]
    assert (mode, meets, len(names)) == ("named", False, 5)
    assert {"aftercare", "former_users_stable", "relapse_falling"} <= failed


def test_demo_over_an_earlier_demo_turns_its_aggregate_area_named(db, world):
    from plugins.drugfree import demo
    from plugins.drugfree.models import AggregateReport, AreaPlan

    chunhui = world["other_area"]  # as the earlier demo left it: aggregate mode, counts, no cases
    db.session.add(AreaPlan(area_id=chunhui.id, mode="aggregate", track="keep_clean",
                            plan="保净土：每季度禁毒宣传进小区（演示）"))
    db.session.add(AggregateReport(area_id=chunhui.id, on_date=TODAY, source=demo.FICTION,
                                   counts={"registered": 1, "current": 1}))
    services.set_plan(world["officer"], world["area"], mode="aggregate", track="end_use", target_year=None,
                      plan="居委会自己的计划")
    db.session.commit()
    demo.load(db.session)
    db.session.commit()
    assert services.plan_of(chunhui).mode == "named"
    assert services.evaluate_area(None, chunhui, TODAY)[2].meets is True
    kept = services.plan_of(world["area"])  # someone's own plan is left as it is
    assert (kept.mode, kept.plan) == ("aggregate", "居委会自己的计划")
