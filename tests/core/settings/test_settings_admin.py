"""Settings in the back office: in force per scope, edit/reset by the right role, history, API."""

from decimal import Decimal

import pytest

from core.errors import Forbidden, Invalid, NotFound
from core.settings import services
from core.testing import assert_envelope


@pytest.fixture
def world(make, db):
    company_a, company_b = make.company(), make.company()
    area, other_area = make.area(), make.area()
    ca = make.community(area=area, company=company_a)
    cb = make.community(area=other_area, company=company_b)
    w = {"area": area, "other_area": other_area, "ca": ca, "cb": cb,
         "admin": make.account("platform_admin"),
         "company_admin": make.account("company_admin", company_a, organisation=company_a),
         "manager": make.account("manager", ca),
         "rc": make.account("rc_staff", area),
         "staff": make.account("staff", ca)}
    db.session.commit()
    return w


def test_lookup_agrees_with_get_for_every_scope(world, make):
    key = "core.notice_default_days"
    plain = make.community(area=world["other_area"])
    value = services.lookup(key)
    assert value(plain.id, plain.area_id) == 30 and value.values == {30}  # nothing stored: the default
    services.change(world["admin"], key, 20, "platform", None)
    services.change(world["rc"], key, 15, "area", world["area"])
    services.change(world["manager"], key, 10, "community", world["ca"])
    value = services.lookup(key)
    for community in (world["ca"], world["cb"], plain):
        assert value(community.id, community.area_id) == services.get(key, community=community)
    assert value(None, world["area"].id) == 15 and value.values == {10, 15, 20}
    assert services.get_for_areas(key, [world["area"], world["other_area"]]) == \
        {world["area"].id: 15, world["other_area"].id: 20}
    with pytest.raises(KeyError):
        services.lookup("no.such.setting")


def test_in_force_follows_community_area_platform_default(world):
    key = "core.notice_default_days"
    services.change(world["admin"], key, 20, "platform", None)
    rows = {r["key"]: r for r in services.in_force("community", world["ca"])}
    assert rows[key]["value"] == 20 and rows[key]["origin"] == "platform" and rows[key]["default"] == 30
    assert str(rows[key]["source"]) == "内部规定"  # the source, in the reader's language
    services.change(world["rc"], key, 15, "area", world["area"])
    services.change(world["manager"], key, 10, "community", world["ca"], note="小区规定")
    assert services.get(key, community=world["ca"]) == 10
    rows = {r["key"]: r for r in services.in_force("community", world["ca"])}
    assert rows[key]["origin"] == "community" and rows[key]["set_here"] and rows[key]["note"] == "小区规定"
    services.reset_value(world["manager"], key, "community", world["ca"])
    assert services.get(key, community=world["ca"]) == 15
    services.reset_value(world["rc"], key, "area", world["area"])
    services.reset_value(world["admin"], key, "platform", None)
    assert services.get(key, community=world["ca"]) == 30


def test_who_may_edit_which_scope(world):
    key = "core.notice_default_days"
    # staff holds no settings.edit
    with pytest.raises(Forbidden):
        services.change(world["staff"], key, 5, "community", world["ca"])
    # company roles only on their communities
    with pytest.raises(Forbidden):
        services.change(world["manager"], key, 5, "community", world["cb"])
    with pytest.raises(Forbidden):
        services.change(world["company_admin"], key, 5, "area", world["area"])
    services.change(world["company_admin"], key, 5, "community", world["ca"])
    # rc_staff on their area, not another area, not per community, not the platform
    with pytest.raises(Forbidden):
        services.change(world["rc"], key, 5, "area", world["other_area"])
    with pytest.raises(Forbidden):
        services.change(world["rc"], key, 5, "community", world["ca"])
    with pytest.raises(Forbidden):
        services.change(world["rc"], key, 5, "platform", None)
    # platform settings only by platform_admin
    with pytest.raises(Forbidden):
        services.change(world["manager"], key, 5, "platform", None)


def test_bad_values_and_scopes(world):
    admin = world["admin"]
    with pytest.raises(Invalid):
        services.change(admin, "core.notice_default_days", "many", "platform", None)
    with pytest.raises(Invalid):
        services.change(admin, "core.notice_default_days", 0, "platform", None)
    with pytest.raises(Invalid):
        services.change(admin, "core.notice_default_days", 3651, "platform", None)
    with pytest.raises(Invalid):  # platform-only setting
        services.change(admin, "core.lockout_threshold", 5, "area", world["area"])
    with pytest.raises(NotFound):
        services.change(admin, "no.such", 1, "platform", None)
    with pytest.raises(Invalid):
        services.resolve_scope("galaxy", 1)
    with pytest.raises(Invalid):
        services.resolve_scope("community", 999999)


def test_changes_are_audited_and_in_history(world, db):
    from core.audit.models import AuditEntry

    key = "core.hotline_hours"
    services.change(world["manager"], key, "8-20", "community", world["ca"], note="试行")
    services.reset_value(world["manager"], key, "community", world["ca"])
    hist = services.history(key, "community", world["ca"])
    assert [h.action for h in hist] == ["reset", "set"]
    assert hist[1].changes["value"] == ["24h", "8-20"] and hist[1].community_id == world["ca"].id
    assert hist[1].account_id == world["manager"].id
    # the automatic change log recorded the stored row as well
    assert db.session.query(AuditEntry).filter_by(entity="SettingValue").count() >= 2


def test_settings_pages(client, login_as, world, db):
    login_as(world["manager"])
    ca = world["ca"]
    page = client.get(f"/settings/?scope_type=community&scope_id={ca.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "core.notice_default_days" in text and "内部规定" in text
    assert client.get(f"/settings/core.notice_default_days?scope_type=community&scope_id={ca.id}").status_code == 200
    resp = client.post("/settings/core.notice_default_days",
                       data={"value": "12", "note": "n", "scope_type": "community", "scope_id": ca.id})
    assert resp.status_code == 302
    assert services.get("core.notice_default_days", community=ca) == 12
    bad = client.post("/settings/core.notice_default_days",
                      data={"value": "abc", "scope_type": "community", "scope_id": ca.id})
    assert bad.status_code == 422
    hist = client.get(f"/settings/history?scope_type=community&scope_id={ca.id}").get_data(as_text=True)
    assert "core.notice_default_days" in hist
    assert client.post("/settings/core.notice_default_days/reset",
                       data={"scope_type": "community", "scope_id": ca.id}).status_code == 302
    db.session.expire_all()
    assert services.get("core.notice_default_days", community=ca) == 30
    # refused: another company's community, the platform
    assert client.post("/settings/core.notice_default_days",
                       data={"value": "3", "scope_type": "community", "scope_id": world["cb"].id}).status_code == 403
    assert client.post("/settings/core.notice_default_days",
                       data={"value": "3", "scope_type": "platform"}).status_code == 403
    assert client.get("/settings/no.such.key").status_code == 404
    assert client.get("/settings/?scope_type=community&scope_id=abc").status_code == 422


def test_staff_cannot_open_settings(client, login_as, world):
    login_as(world["staff"])
    assert client.get("/settings/").status_code == 403


def test_settings_api(client, api_headers, world, make):
    h = api_headers(world["rc"])
    area = world["area"]
    listing = client.get(f"/api/v1/settings?scope_type=area&scope_id={area.id}", headers=h)
    assert listing.status_code == 200
    row = next(r for r in listing.json if r["key"] == "core.notice_default_days")
    assert row["value"] == 30 and row["origin"] == "default" and row["source"] == "内部规定"
    put = client.put("/api/v1/settings/core.notice_default_days", headers=h,
                     json={"scope_type": "area", "scope_id": area.id, "value": 45, "note": "居委会"})
    assert put.status_code == 200 and put.json["value"] == 45 and put.json["origin"] == "area"
    hist = client.get(f"/api/v1/settings/history?scope_type=area&scope_id={area.id}&key=core.notice_default_days",
                      headers=h)
    assert hist.status_code == 200 and hist.json[0]["changes"]["value"] == [30, 45]
    assert client.delete(f"/api/v1/settings/core.notice_default_days?scope_type=area&scope_id={area.id}",
                         headers=h).status_code == 204
    # bad input
    assert_envelope(client.put("/api/v1/settings/core.notice_default_days", headers=h,
                               json={"scope_type": "area", "scope_id": area.id, "value": "x"}), 422)
    assert_envelope(client.put("/api/v1/settings/core.notice_default_days", headers=h,
                               json={"scope_type": "area", "scope_id": area.id}), 422)
    assert_envelope(client.put("/api/v1/settings/core.notice_default_days", headers=h,
                               json={"scope_type": "moon", "value": 3}), 422)
    assert_envelope(client.put("/api/v1/settings/nope", headers=h, json={"value": 3}), 404)
    # refused
    assert_envelope(client.put("/api/v1/settings/core.notice_default_days", headers=h,
                               json={"scope_type": "area", "scope_id": world["other_area"].id, "value": 3}), 403)
    staff_h = api_headers(world["staff"])
    assert_envelope(client.put("/api/v1/settings/core.notice_default_days", headers=staff_h,
                               json={"scope_type": "community", "scope_id": world["ca"].id, "value": 3}), 403)
    assert_envelope(client.get("/api/v1/settings", headers=staff_h), 403)


def test_decimal_settings_round_trip(world, app):
    from core.settings.services import CORE_SETTINGS, Setting

    decl = Setting("core.test_rate", "decimal", Decimal("1.50"), "test", min=0, max=10)
    cache = app.extensions["jiayuan.settings"]
    services.declared()
    cache[decl.key] = decl
    try:
        services.change(world["admin"], decl.key, "2.35", "platform", None)
        assert services.get(decl.key) == Decimal("2.35")
        row = next(r for r in services.in_force("platform", None) if r["key"] == decl.key)
        assert row["value"] == Decimal("2.35")
    finally:
        cache.pop(decl.key)
    assert decl not in CORE_SETTINGS


def test_refused_setting_values_are_explained_in_the_users_language(client, api_headers, world):
    h = {**api_headers(world["rc"]), "Accept-Language": "zh-CN"}
    area = world["area"]
    for value in ("x", 0, 3651):
        err = assert_envelope(client.put("/api/v1/settings/core.notice_default_days", headers=h,
                                         json={"scope_type": "area", "scope_id": area.id, "value": value}), 422)
        assert not err["fields"]["value"][0].isascii(), err


def test_many_keys_in_one_read_agree_with_one_key_at_a_time(world):
    keys = ["core.notice_default_days", "core.lockout_threshold"]
    services.change(world["rc"], keys[0], 15, "area", world["area"])
    services.change(world["admin"], keys[1], 7, "platform", None)
    many = services.get_many_for_areas(keys, [world["area"], world["other_area"]])
    assert many == {key: services.get_for_areas(key, [world["area"], world["other_area"]]) for key in keys}
    assert many[keys[0]] == {world["area"].id: 15, world["other_area"].id: 30}
    assert many[keys[1]] == {world["area"].id: 7, world["other_area"].id: 7}
    with pytest.raises(KeyError):
        services.get_many_for_areas(["core.notice_default_days", "no.such.setting"], [world["area"]])
