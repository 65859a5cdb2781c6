"""Accounts and roles administration: services and HTTP, with every refused role."""

import pytest

from core.admin import services
from core.auth.models import Account, Grant
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.testing import assert_envelope


@pytest.fixture
def world(make, db):
    company_a, company_b = make.company(), make.company()
    area = make.area()
    ca = make.community(area=area, company=company_a)
    cb = make.community(area=area, company=company_b)
    admin = make.account("platform_admin")
    ca_admin = make.account("company_admin", company_a, organisation=company_a)
    staff_a = make.account("staff", ca)
    staff_b = make.account("staff", cb)
    db.session.commit()
    return {"A": company_a, "B": company_b, "area": area, "ca": ca, "cb": cb, "admin": admin,
            "ca_admin": ca_admin, "staff_a": staff_a, "staff_b": staff_b}


# --- services ------------------------------------------------------------------------------

def test_platform_admin_sees_every_account_company_admin_only_its_own(world, db):
    all_names = {a.username for a in db.session.scalars(services.accounts_query(world["admin"]))}
    assert {world["staff_a"].username, world["staff_b"].username, world["ca_admin"].username} <= all_names
    own = {a.username for a in db.session.scalars(services.accounts_query(world["ca_admin"]))}
    assert world["staff_a"].username in own and world["staff_b"].username not in own
    assert world["admin"].username not in own


def test_staff_cannot_manage_accounts(world):
    with pytest.raises(Forbidden):
        services.accounts_query(world["staff_a"])
    with pytest.raises(Forbidden):
        services.create(world["staff_a"], username="x1", password="long-pass-123", display_name="X")


def test_company_admin_creates_in_own_organisation_only(world):
    acc = services.create(world["ca_admin"], username="newbie", password="long-pass-123", display_name="新人")
    assert acc.organisation_id == world["A"].id
    with pytest.raises(Forbidden):
        services.create(world["ca_admin"], username="spy", password="long-pass-123", display_name="S",
                        organisation_id=world["B"].id)


def test_create_validates(world):
    with pytest.raises(Invalid) as exc:
        services.create(world["admin"], username=" ", password="long-pass-123", display_name="")
    assert set(exc.value.fields) == {"username", "display_name"}
    with pytest.raises(Invalid):
        services.create(world["admin"], username="weak", password="short", display_name="W")
    with pytest.raises(Conflict):
        services.create(world["admin"], username=world["staff_a"].username, password="long-pass-123",
                        display_name="Dup")
    with pytest.raises(Invalid):
        services.create(world["admin"], username="orgless", password="long-pass-123", display_name="O",
                        organisation_id=999999)


def test_grant_rules(world):
    admin, ca_admin = world["admin"], world["ca_admin"]
    staff_a = world["staff_a"]
    # company_admin grants its company's roles on its company's communities
    g = services.add_grant(ca_admin, staff_a, "manager", "community", world["ca"].id)
    assert isinstance(g, Grant) and g.organisation_id == world["A"].id
    # ... but not on another company's community
    with pytest.raises(Forbidden):
        services.add_grant(ca_admin, staff_a, "manager", "community", world["cb"].id)
    # ... nor a role that is not a company role
    with pytest.raises(Forbidden):
        services.add_grant(ca_admin, staff_a, "auditor", "community", world["ca"].id)
    # ... nor on accounts of another organisation
    with pytest.raises(Forbidden):
        services.add_grant(ca_admin, world["staff_b"], "guard", "community", world["cb"].id)
    # platform_admin only on the platform, and the platform only for it
    with pytest.raises(Invalid):
        services.add_grant(admin, staff_a, "platform_admin", "community", world["ca"].id)
    with pytest.raises(Invalid):
        services.add_grant(admin, staff_a, "manager", "platform", None)
    # a company's account gets that company's roles only on that company's communities
    with pytest.raises(Invalid):
        services.add_grant(admin, staff_a, "manager", "community", world["cb"].id)
    # rc roles go on areas, and the scope must exist
    rc = services.create(admin, username="rc1", password="long-pass-123", display_name="RC")
    assert services.add_grant(admin, rc, "rc_staff", "area", world["area"].id).scope_id == world["area"].id
    with pytest.raises(Invalid):
        services.add_grant(admin, rc, "rc_staff", "community", world["ca"].id)
    with pytest.raises(Invalid):
        services.add_grant(admin, rc, "rc_staff", "area", 999999)
    with pytest.raises(Invalid):
        services.add_grant(admin, rc, "no_such_role", "area", world["area"].id)
    with pytest.raises(Invalid):
        services.add_grant(admin, rc, "auditor", "galaxy", 1)
    # granting twice is the same grant
    again = services.add_grant(admin, rc, "rc_staff", "area", world["area"].id)
    assert len([x for x in rc.grants if x.role == "rc_staff"]) == 1 and again.scope_id == world["area"].id


def test_revoke_and_disable(world, db):
    admin, ca_admin, staff_a = world["admin"], world["ca_admin"], world["staff_a"]
    grant_id = staff_a.grants[0].id
    services.revoke_grant(ca_admin, staff_a, grant_id)
    assert staff_a.grants == []
    with pytest.raises(NotFound):
        services.revoke_grant(ca_admin, staff_a, grant_id)
    with pytest.raises(Forbidden):
        services.set_active(ca_admin, world["staff_b"], False)
    services.set_active(ca_admin, staff_a, False)
    assert staff_a.active is False
    with pytest.raises(Conflict):
        services.set_active(admin, admin, False)
    with pytest.raises(Conflict):
        services.revoke_grant(admin, admin, admin.grants[0].id)


def test_reset_password(world):
    from werkzeug.security import check_password_hash

    staff_a = world["staff_a"]
    new = services.reset_password(world["ca_admin"], staff_a)
    assert len(new) >= 10 and check_password_hash(staff_a.password_hash, new)
    assert services.reset_password(world["admin"], staff_a, "another-pass-1") == "another-pass-1"
    with pytest.raises(Invalid):
        services.reset_password(world["admin"], staff_a, "short")
    with pytest.raises(Forbidden):
        services.reset_password(world["ca_admin"], world["staff_b"])


def test_create_portal_account(make, db, world):
    unit = make.unit(building=make.building(community=world["ca"]))
    person = make.owner(unit)
    manager = make.account("manager", world["ca"])
    account = services.create_portal_account(manager, person, "owner-zhang", "owner-pass-123")
    assert account.person_id == person.id and account.grants == []
    with pytest.raises(Conflict):
        services.create_portal_account(manager, person, "owner-zhang2", "owner-pass-123")
    other = make.owner(make.unit(building=make.building(community=world["cb"])))
    with pytest.raises(Forbidden):
        services.create_portal_account(manager, other, "owner-li", "owner-pass-123")
    with pytest.raises(Invalid):
        services.create_portal_account(world["admin"], other, "  ", "owner-pass-123")
    assert services.create_portal_account(world["admin"], other, "owner-li", "owner-pass-123").person_id == other.id


def test_portal_account_exported_from_core():
    import core

    assert core.create_portal_account is services.create_portal_account


# --- pages ---------------------------------------------------------------------------------

def test_accounts_pages_for_platform_admin(client, login_as, world, db):
    login_as(world["admin"])
    page = client.get("/admin/accounts?q=" + world["staff_b"].username)
    assert page.status_code == 200 and world["staff_b"].username in page.get_data(as_text=True)
    assert client.get("/admin/accounts/new").status_code == 200
    resp = client.post("/admin/accounts/new", data={"username": "wang5", "display_name": "王五",
                                                   "password": "good-pass-123", "organisation_id": world["A"].id})
    assert resp.status_code == 302
    acc = db.session.query(Account).filter_by(username="wang5").one()
    assert client.get(f"/admin/accounts/{acc.id}").status_code == 200
    resp = client.post(f"/admin/accounts/{acc.id}/grants",
                       data={"g-role": "staff", "g-scope": f"community:{world['ca'].id}"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [(g.role, g.scope_id) for g in acc.grants] == [("staff", world["ca"].id)]
    bad = client.post(f"/admin/accounts/{acc.id}/grants",
                      data={"g-role": "staff", "g-scope": f"community:{world['cb'].id}"})
    assert bad.status_code == 422
    gid = acc.grants[0].id
    assert client.post(f"/admin/accounts/{acc.id}/grants/{gid}/revoke").status_code == 302
    assert client.post(f"/admin/accounts/{acc.id}/active", data={"active": "0"}).status_code == 302
    db.session.expire_all()
    assert acc.active is False and acc.grants == []
    reset = client.post(f"/admin/accounts/{acc.id}/password", data={"r-password": ""})
    assert reset.status_code == 200 and 'id="new-password"' in reset.get_data(as_text=True)
    assert client.post(f"/admin/accounts/{acc.id}/password", data={"r-password": "x"}).status_code == 422


def test_accounts_page_bad_input(client, login_as, world):
    login_as(world["admin"])
    resp = client.post("/admin/accounts/new", data={"username": "", "display_name": "", "password": "x",
                                                   "organisation_id": 0})
    assert resp.status_code == 422
    dup = client.post("/admin/accounts/new", data={"username": world["staff_a"].username, "display_name": "D",
                                                  "password": "good-pass-123", "organisation_id": 0})
    assert dup.status_code == 422


def test_company_admin_refused_on_other_company(client, login_as, world):
    login_as(world["ca_admin"])
    assert client.get(f"/admin/accounts/{world['staff_b'].id}").status_code == 404
    resp = client.post(f"/admin/accounts/{world['staff_a'].id}/grants",
                       data={"g-role": "manager", "g-scope": f"community:{world['cb'].id}"})
    assert resp.status_code == 403
    assert client.get(f"/admin/accounts/{world['staff_a'].id}").status_code == 200


def test_staff_refused_pages(client, login_as, world):
    login_as(world["staff_a"])
    assert client.get("/admin/accounts").status_code == 403
    assert client.get("/admin/plugins").status_code == 403
    assert client.get("/admin/jobs").status_code == 403


def test_plugins_and_jobs_pages(client, login_as, world, app):
    login_as(world["admin"])
    page = client.get("/admin/plugins").get_data(as_text=True)
    for info in app.extensions["jiayuan.plugins"]:
        assert info.name in page and info.version in page
    assert client.get("/admin/jobs").status_code == 200


# --- API -----------------------------------------------------------------------------------

def test_accounts_api(client, api_headers, world, db):
    h = api_headers(world["admin"])
    listing = client.get("/api/v1/accounts?per_page=2", headers=h)
    assert listing.status_code == 200 and listing.json["per_page"] == 2 and listing.json["total"] >= 4
    created = client.post("/api/v1/accounts", headers=h, json={
        "username": "api-user", "display_name": "接口", "password": "good-pass-123",
        "organisation_id": world["A"].id})
    assert created.status_code == 201, created.json
    aid = created.json["id"]
    assert "password" not in created.json
    g = client.post(f"/api/v1/accounts/{aid}/grants", headers=h,
                    json={"role": "manager", "scope_type": "community", "scope_id": world["ca"].id})
    assert g.status_code == 201, g.json
    assert client.get(f"/api/v1/accounts/{aid}/grants", headers=h).json[0]["role"] == "manager"
    assert client.patch(f"/api/v1/accounts/{aid}", headers=h, json={"active": False}).json["active"] is False
    pw = client.post(f"/api/v1/accounts/{aid}/password", headers=h, json={})
    assert pw.status_code == 200 and len(pw.json["password"]) >= 10
    assert client.delete(f"/api/v1/accounts/{aid}/grants/{g.json['id']}", headers=h).status_code == 204
    assert_envelope(client.delete(f"/api/v1/accounts/{aid}/grants/{g.json['id']}", headers=h), 404)


def test_accounts_api_bad_input(client, api_headers, world):
    h = api_headers(world["admin"])
    assert_envelope(client.post("/api/v1/accounts", headers=h, json={"username": "x"}), 422, "invalid")
    assert_envelope(client.post("/api/v1/accounts", headers=h, json={
        "username": "y" * 61, "display_name": "Y", "password": "good-pass-123"}), 422)
    assert_envelope(client.post("/api/v1/accounts", headers=h, data="{bad", content_type="application/json"),
                    400, "invalid_json")
    assert_envelope(client.post("/api/v1/accounts", headers=h, json={
        "username": "weakling", "display_name": "W", "password": "123"}), 422)
    sid = world["staff_a"].id
    assert_envelope(client.post(f"/api/v1/accounts/{sid}/grants", headers=h,
                                json={"role": "wizard", "scope_type": "community", "scope_id": 1}), 422)
    assert_envelope(client.post(f"/api/v1/accounts/{sid}/grants", headers=h,
                                json={"role": "manager", "scope_type": "community", "scope_id": "abc"}), 422)
    assert_envelope(client.get("/api/v1/accounts/999999", headers=h), 404)
    assert_envelope(client.get("/api/v1/accounts"), 401)


def test_accounts_api_refusals(client, api_headers, world):
    h = api_headers(world["ca_admin"])
    assert_envelope(client.post(f"/api/v1/accounts/{world['staff_a'].id}/grants", headers=h,
                                json={"role": "manager", "scope_type": "community", "scope_id": world["cb"].id}), 403)
    assert_envelope(client.post(f"/api/v1/accounts/{world['staff_a'].id}/grants", headers=h,
                                json={"role": "auditor", "scope_type": "community", "scope_id": world["ca"].id}), 403)
    assert_envelope(client.get(f"/api/v1/accounts/{world['staff_b'].id}", headers=h), 404)
    assert_envelope(client.get("/api/v1/accounts", headers=api_headers(world["staff_a"])), 403)
    assert_envelope(client.post("/api/v1/accounts", headers=h, json={
        "username": "spy", "display_name": "S", "password": "good-pass-123",
        "organisation_id": world["B"].id}), 403)


def test_portal_account_api(client, api_headers, make, world, db):
    person = make.owner(make.unit(building=make.building(community=world["ca"])))
    manager = make.account("manager", world["ca"])
    h = api_headers(manager)
    resp = client.post("/api/v1/accounts/portal", headers=h,
                       json={"person_id": person.id, "username": "owner-1", "password": "owner-pass-123"})
    assert resp.status_code == 201 and resp.json["person_id"] == person.id
    assert_envelope(client.post("/api/v1/accounts/portal", headers=h, json={
        "person_id": person.id, "username": "owner-2", "password": "owner-pass-123"}), 409)
    assert_envelope(client.post("/api/v1/accounts/portal", headers=h, json={
        "person_id": 999999, "username": "owner-3", "password": "owner-pass-123"}), 404)
    assert_envelope(client.post("/api/v1/accounts/portal", headers=api_headers(world["staff_b"]), json={
        "person_id": person.id, "username": "owner-4", "password": "owner-pass-123"}), 403)


def test_pages_speak_chinese(client, login_as, world):
    login_as(world["admin"])
    assert "账号" in client.get("/admin/accounts?lang=zh_CN").get_data(as_text=True)
    assert "审计日志" in client.get("/audit/").get_data(as_text=True)
    assert "默认值依据" in client.get("/settings/").get_data(as_text=True)


def test_company_admin_picks_only_own_scopes(client, login_as, world):
    scopes = services.grantable_scopes(world["ca_admin"])
    assert ("community", world["ca"].id, world["ca"].name) in scopes
    assert all(sid != world["cb"].id for st, sid, _n in scopes if st == "community")
    assert all(st in ("company", "community") for st, _sid, _n in scopes)
    login_as(world["ca_admin"])
    page = client.get(f"/admin/accounts/{world['staff_a'].id}").get_data(as_text=True)
    assert f'value="community:{world["ca"].id}"' in page and f'value="community:{world["cb"].id}"' not in page
    full = services.grantable_scopes(world["admin"])
    assert ("platform", None, "") in full and ("area", world["area"].id, world["area"].name) in full


def test_run_a_job_now(make_app, make, db):
    from core import Job, hookimpl

    ran = []

    class Plugin:
        PLUGIN_NAME = "jobprobe"

        @staticmethod
        @hookimpl
        def jobs():
            return [Job("jobprobe.once", 3600, lambda app: ran.append(1) or "done", "x"),
                    Job("jobprobe.boom", 3600, lambda app: 1 / 0, "y")]

    admin = make.account("platform_admin")
    staff = make.account("staff", make.community())
    db.session.commit()
    app = make_app(plugins=[Plugin])
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"] = str(admin.id)
    assert c.post("/admin/jobs/jobprobe.once/run").status_code == 302 and ran == [1]
    assert c.post("/admin/jobs/jobprobe.boom/run").status_code == 302
    page = c.get("/admin/jobs").get_data(as_text=True)
    assert 'data-job="jobprobe.boom"' in page and "ZeroDivisionError" in page
    assert c.post("/admin/jobs/nope/run").status_code == 404
    with c.session_transaction() as sess:
        sess["_user_id"] = str(staff.id)
    assert c.post("/admin/jobs/jobprobe.once/run").status_code == 403 and ran == [1]


def test_roles_page_shows_every_declared_permission_and_who_holds_it(world, client, login_as, app):
    from core.auth.permissions import all_permissions

    login_as(world["ca_admin"])
    r = client.get("/admin/roles")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    declared = all_permissions()
    # the core's and the plugins' permissions each have a row
    for key in ("register.read", "tickets.dispatch", "security_guard.candidates.read"):
        assert f'data-permission="{key}"' in html
    assert sum(1 for key in declared if f'data-permission="{key}"' in html) == len(declared)
    row = html.split('data-permission="accounts.manage"', 1)[1].split("</tr>", 1)[0]
    assert row.count("✓") == len(declared["accounts.manage"]["roles"])
    assert "/admin/roles" in client.get("/admin/accounts").get_data(as_text=True)


def test_roles_page_is_refused_to_those_who_do_not_manage_accounts(world, client, login_as):
    login_as(world["staff_a"])
    assert client.get("/admin/roles").status_code == 403


def test_permission_and_setting_labels_read_in_chinese(world, client, login_as):
    # a plugin's labels are checked when it is loaded (JIAYUAN_DISABLED_PLUGINS may leave it out)
    loaded = {info.name for info in client.application.extensions["jiayuan.plugins"]}
    login_as(world["admin"])
    roles = client.get("/admin/roles?lang=zh_CN").get_data(as_text=True)
    assert "角色与权限" in roles and "派单与改派工单" in roles and "Dispatch and reassign tickets" not in roles
    # group headings: the core's own, and a plugin's from its menu entry
    assert '<th colspan="11" class="group">服务工单</th>' in roles
    if "owners_assembly" in loaded:
        assert '<th colspan="11" class="group">业主大会</th>' in roles
    settings = client.get("/settings/?lang=zh_CN").get_data(as_text=True)
    for owner, english, chinese in (
            ("core", "Days after which an unrated resolved ticket closes by itself", "办结后未评价的工单自动关闭的天数"),
            ("owners_assembly", "Committee term in years", "业委会任期（年）"),
            ("drugfree", "Years clean that end monitoring", "结束管控所需的戒断年数")):
        if owner == "core" or owner in loaded:
            assert chinese in settings and english not in settings
        else:
            assert chinese not in settings and english not in settings  # a disabled plugin's settings are gone
