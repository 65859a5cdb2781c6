"""End to end: every hook the core itself calls is called, and its result used (tests/plugins/probe)."""

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.plugins.probe import plugin as probe


@pytest.fixture
def probe_app(make_app):
    probe.reset()
    yield make_app(plugins=[probe])
    probe.reset()


@pytest.fixture
def world(make, db):
    area = make.area()
    community = make.community(area=area)
    unit = make.unit(building=make.building(community=community))
    w = {"area": area, "community": community, "unit": unit,
         "manager": make.account("manager", community), "rc": make.account("rc_staff", area),
         "guard": make.account("guard", community), "admin": make.account("platform_admin")}
    db.session.commit()
    return w


def _client(app, account):
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = str(account.id)
        sess["_fresh"] = True
    return c


def called(name):
    return [kw for hook, kw in probe.CALLS if hook == name]


def test_plugin_is_listed_with_every_hook(probe_app):
    info = next(i for i in probe_app.extensions["jiayuan.plugins"] if i.name == "probe")
    assert info.version == "0.0.1" and info.requires == ">=0.1,<1"
    assert set(info.hooks) == {
        "register_blueprints", "register_cli", "permissions", "nav_items", "dashboard_widgets", "portal_sections",
        "demo_data", "audit_redact", "compliance_checks", "settings_schema", "jobs", "notification_channels",
        "notice_published"}


def test_register_blueprints(probe_app):
    assert called("register_blueprints")[0]["app"] is probe_app
    assert probe_app.test_client().get("/probe/ping").get_data(as_text=True) == "probe-pong"


def test_register_cli(probe_app):
    from core.cli import build_cli

    result = CliRunner().invoke(build_cli(probe_app), ["probe-hello"])
    assert result.exit_code == 0 and "hello from probe" in result.output
    assert called("register_cli")


def test_permissions_and_nav_items(probe_app, world):
    with probe_app.test_request_context():
        from core.auth.permissions import all_permissions, can

        assert "probe.page.read" in all_permissions()
        assert can(world["manager"], "probe.page.read", community=world["community"])
        assert not can(world["guard"], "probe.page.read")
    page = _client(probe_app, world["manager"]).get("/").get_data(as_text=True)
    assert "Probe nav" in page and 'href="/probe/ping"' in page
    assert called("nav_items")[-1]["user"].id == world["manager"].id
    assert "Probe nav" not in _client(probe_app, world["guard"]).get("/").get_data(as_text=True)


def test_dashboard_widgets_on_both_dashboards(probe_app, world):
    c = world["community"]
    text = _client(probe_app, world["manager"]).get(f"/communities/{c.id}/dashboard").get_data(as_text=True)
    assert f"Probe widget {c.name}" in text and 'aria-label="probe-chart"' in text
    scope = called("dashboard_widgets")[-1]["scope"]
    assert scope.id == c.id and type(scope).__name__ == "Community"
    text = _client(probe_app, world["rc"]).get(f"/areas/{world['area'].id}/dashboard").get_data(as_text=True)
    assert f"Probe widget {world['area'].name}" in text


def test_compliance_checks_on_the_area_dashboard(probe_app, world):
    text = _client(probe_app, world["rc"]).get(
        f"/areas/{world['area'].id}/dashboard?on=2026-11-20").get_data(as_text=True)
    assert 'data-check="probe.check"' in text and "on 2026-11-20" in text
    assert called("compliance_checks")[-1]["on_date"] == dt.date(2026, 11, 20)
    assert called("compliance_checks")[-1]["area"].id == world["area"].id


def test_portal_sections(probe_app, make, world, db):
    person = make.owner(world["unit"])
    owner = make.account(person=person)
    db.session.commit()
    text = _client(probe_app, owner).get("/portal/").get_data(as_text=True)
    assert f"<p class='probe'>hello {person.name}</p>" in text
    assert called("portal_sections")[-1]["person"].id == person.id


def test_demo_data_is_called_and_idempotent(probe_app, db):
    from core.demo import STREET, load_demo
    from core.places.models import Organisation, StreetOffice

    db.session.add(StreetOffice(name=STREET))  # the register exists: load_demo only asks plugins
    db.session.commit()
    with probe_app.app_context():
        load_demo()
        load_demo()
        names = db.session.scalars(select(Organisation.name).where(Organisation.name == "Probe demo org")).all()
    assert names == ["Probe demo org"] and len(called("demo_data")) == 2


def test_audit_redact(probe_app, db):
    from core.audit.models import AuditEntry

    with probe_app.app_context():
        from core import audit

        audit(None, "probe", "Probe", 1, changes={"probe_secret": "s3cret", "plain": "ok"})
        db.session.commit()
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "Probe")).one()
    assert entry.changes == {"probe_secret": "***", "plain": "ok"}
    assert entry.restricted_to == "probe.page.read"


def test_settings_schema(probe_app, world):
    c = _client(probe_app, world["admin"])
    text = c.get("/settings/").get_data(as_text=True)
    assert 'data-key="probe.limit"' in text and "Probe standard §1" in text
    assert c.post("/settings/probe.limit", data={"value": "11", "scope_type": "platform"}).status_code == 422
    assert c.post("/settings/probe.limit", data={"value": "9", "scope_type": "platform"}).status_code == 302
    with probe_app.app_context():
        from core import get_setting

        assert get_setting("probe.limit") == 9


def test_jobs(probe_app, world):
    from core.jobs.services import registered_jobs, run_job

    with probe_app.app_context():
        job = next(j for j in registered_jobs() if j.name == "probe.tick")
        assert run_job(probe_app, job) == ("ok", "probe job done")
    assert called("job_ran")
    text = _client(probe_app, world["admin"]).get("/admin/jobs").get_data(as_text=True)
    assert 'data-job="probe.tick"' in text and ">ok<" in text


def test_notification_channels(probe_app, world):
    with probe_app.app_context():
        from core import notify
        from core.database import db as handle

        rows = notify([handle.session.merge(world["manager"])], "Probe subject")
        assert rows == probe.SENT and probe.SENT[0].subject == "Probe subject"


def test_notice_published(probe_app, world):
    resp = _client(probe_app, world["manager"]).post("/notices/new", data={
        "title": "Probe notice", "body": "b", "kind": "general", "audience": f"community:{world['community'].id}"})
    assert resp.status_code == 302
    from core.database import db as handle
    from core.notices.models import Notice

    handle.session.expire_all()
    notice = handle.session.scalars(select(Notice).where(Notice.title == "Probe notice")).one()
    assert [notice.id] == probe.PUBLISHED


def test_without_the_probe_none_of_it_shows(client, login_as, world):
    login_as(world["manager"])
    assert "Probe nav" not in client.get("/").get_data(as_text=True)
    assert client.get("/probe/ping").status_code == 404
