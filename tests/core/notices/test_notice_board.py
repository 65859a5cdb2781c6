"""The notice board: publish, list, withdraw, public and printable pages, portal, API."""

import datetime as dt

import pytest

from core.database import utcnow
from core.errors import Conflict, Forbidden, Invalid
from core.notices import services
from core.notices.models import Notice
from core.testing import assert_envelope


@pytest.fixture
def world(make, db):
    area, other_area = make.area(), make.area()
    ca = make.community(area=area)
    cb = make.community(area=other_area)
    building = make.building(community=ca)
    w = {"area": area, "other_area": other_area, "ca": ca, "cb": cb, "building": building,
         "manager": make.account("manager", ca), "rc": make.account("rc_staff", area),
         "staff": make.account("staff", ca), "manager_b": make.account("manager", cb)}
    db.session.commit()
    return w


def test_publish_rules(world):
    m = world["manager"]
    n = services.publish_checked(m, title="停水通知", body="明天停水", community_id=world["ca"].id)
    assert n.area_id == world["area"].id and n.audience == "community"
    # default expiry from the setting core.notice_default_days
    assert round((n.expire_at - n.publish_at).total_seconds() / 86400) == 30
    b = services.publish_checked(m, title="电梯维修", body="x", building_id=world["building"].id)
    assert b.community_id == world["ca"].id and b.audience == "building"
    a = services.publish_checked(world["rc"], title="社区活动", body="x", area_id=world["area"].id, kind="meeting")
    assert a.audience == "area"
    with pytest.raises(Forbidden):  # a community's manager does not post to the whole area
        services.publish_checked(m, title="t", body="x", area_id=world["area"].id)
    with pytest.raises(Forbidden):
        services.publish_checked(m, title="t", body="x", community_id=world["cb"].id)
    with pytest.raises(Forbidden):
        services.publish_checked(world["staff"], title="t", body="x", community_id=world["ca"].id)
    with pytest.raises(Invalid):
        services.publish_checked(m, title="t", body="x", community_id=world["ca"].id, kind="gossip")
    with pytest.raises(Invalid):
        services.publish_checked(m, title="t", body="x")
    with pytest.raises(Invalid):
        services.publish_checked(m, title="t", body="x", community_id=999999)
    with pytest.raises(Invalid):
        services.publish_checked(m, title="t", body="x", community_id=world["ca"].id, area_id=world["other_area"].id)
    with pytest.raises(Invalid):
        services.publish_checked(m, title="t", body="x", community_id=world["cb"].id,
                                 building_id=world["building"].id)
    with pytest.raises(Invalid):
        services.publish_checked(m, title="  ", body="x", community_id=world["ca"].id)
    now = utcnow()
    with pytest.raises(Invalid):
        services.publish_checked(m, title="t", body="x", community_id=world["ca"].id, publish_at=now,
                                 expire_at=now - dt.timedelta(hours=1))


def test_withdraw_keeps_the_record(world, db):
    n = services.publish_checked(world["manager"], title="t", body="x", community_id=world["ca"].id,
                                 publish_at=utcnow() - dt.timedelta(days=3))
    with pytest.raises(Forbidden):
        services.withdraw_checked(world["manager_b"], n, "no")
    with pytest.raises(Invalid):
        services.withdraw_checked(world["manager"], n, "  ")
    services.withdraw_checked(world["manager"], n, "写错了")
    assert services.status_of(n) == "withdrawn" and n.down_at() == n.withdrawn_at
    assert 2.9 < services.days_up_before(n, n.withdrawn_at - dt.timedelta(seconds=1)) < 3.1
    with pytest.raises(Conflict):
        services.withdraw_checked(world["manager"], n, "again")
    assert db.session.get(Notice, n.id) is not None


def test_states_in_back_office_list(world, db):
    m = world["manager"]
    now = utcnow()
    cur = services.publish_checked(m, title="cur", body="x", community_id=world["ca"].id)
    sched = services.publish_checked(m, title="later", body="x", community_id=world["ca"].id,
                                     publish_at=now + dt.timedelta(days=1))
    old = services.publish_checked(m, title="old", body="x", community_id=world["ca"].id,
                                   publish_at=now - dt.timedelta(days=10), expire_at=now - dt.timedelta(days=1))
    services.publish_checked(world["manager_b"], title="theirs", body="x", community_id=world["cb"].id)

    def titles(state):
        return [n.title for n in db.session.scalars(services.back_office_query(m, state=state))]

    assert titles("current") == ["cur"]
    assert titles("scheduled") == ["later"]
    assert titles("past") == ["old"]
    assert set(titles("all")) == {"cur", "later", "old"}
    assert {services.status_of(x) for x in (cur, sched, old)} == {"current", "scheduled", "expired"}


def test_pages(client, login_as, world, db):
    login_as(world["manager"])
    assert client.get("/notices/new").status_code == 200
    resp = client.post("/notices/new", data={"title": "停电通知", "body": "周六停电\n请做好准备", "kind": "general",
                                             "audience": f"community:{world['ca'].id}",
                                             "publish_at": "", "expire_at": ""})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    n = db.session.query(Notice).filter_by(title="停电通知").one()
    assert "停电通知" in client.get("/notices/").get_data(as_text=True)
    assert client.get(f"/notices/{n.id}").status_code == 200
    # times are read as Beijing time
    client.post("/notices/new", data={"title": "定时", "body": "b", "kind": "meeting",
                                      "audience": f"community:{world['ca'].id}",
                                      "publish_at": "2030-01-01T08:00", "expire_at": "2030-01-02T08:00"})
    later = db.session.query(Notice).filter_by(title="定时").one()
    assert later.publish_at == dt.datetime(2030, 1, 1, 0, 0, tzinfo=dt.UTC)
    # bad input
    assert client.post("/notices/new", data={"title": "", "body": "", "audience": ""}).status_code == 422
    assert client.post("/notices/new", data={"title": "t", "body": "b", "kind": "general",
                                             "audience": f"community:{world['ca'].id}",
                                             "publish_at": "2030-01-02T08:00",
                                             "expire_at": "2030-01-01T08:00"}).status_code == 422
    assert client.post(f"/notices/{n.id}/withdraw", data={"reason": ""}).status_code == 422
    assert client.post(f"/notices/{n.id}/withdraw", data={"reason": "作废"}).status_code == 302
    db.session.expire_all()
    assert n.withdrawn_reason == "作废"
    assert "作废" in client.get(f"/notices/{n.id}").get_data(as_text=True)
    assert "停电通知" in client.get("/notices/?state=past").get_data(as_text=True)


def test_pages_refused(client, login_as, world, db):
    n = services.publish_checked(world["manager"], title="t", body="x", community_id=world["ca"].id)
    db.session.commit()
    login_as(world["manager_b"])
    assert client.get(f"/notices/{n.id}").status_code == 403
    assert client.post(f"/notices/{n.id}/withdraw", data={"reason": "x"}).status_code == 403
    resp = client.post("/notices/new", data={"title": "t", "body": "b", "kind": "general",
                                             "audience": f"community:{world['ca'].id}"})
    assert resp.status_code == 403
    login_as(world["staff"])
    assert client.get("/notices/").status_code == 403


def test_public_board_and_print_without_login(client, world, make, db):
    m = world["manager"]
    shown = services.publish_checked(m, title="公开公告", body="全体业主", community_id=world["ca"].id)
    area_wide = services.publish_checked(world["rc"], title="社区公告", body="居委会", area_id=world["area"].id)
    per_building = services.publish_checked(m, title="楼栋公告", body="1栋", building_id=world["building"].id)
    gone = services.publish_checked(m, title="撤回的", body="x", community_id=world["ca"].id)
    services.withdraw_checked(m, gone, "错")
    services.publish_checked(world["manager_b"], title="别的小区", body="x", community_id=world["cb"].id)
    db.session.commit()
    text = client.get(f"/c/{world['ca'].id}/notices").get_data(as_text=True)
    assert "公开公告" in text and "社区公告" in text
    assert "楼栋公告" not in text and "撤回的" not in text and "别的小区" not in text
    pr = client.get(f"/notices/{shown.id}/print")
    assert pr.status_code == 200 and "@page { size: A4" in pr.get_data(as_text=True)
    assert client.get(f"/notices/{per_building.id}/print").status_code == 404
    assert client.get(f"/notices/{gone.id}/print").status_code == 404
    assert client.get("/c/999999/notices").status_code == 404
    assert client.get(f"/api/v1/notices/public?community_id={world['ca'].id}").json[0]["id"] in (
        shown.id, area_wide.id)
    assert_envelope(client.get("/api/v1/notices/public"), 422)


def test_portal_shows_notices_of_my_units(client, login_as, world, make, db):
    unit = make.unit(building=world["building"])
    other_building = make.building(community=world["ca"])
    m = world["manager"]
    mine = services.publish_checked(m, title="我的楼", body="x", building_id=world["building"].id)
    services.publish_checked(m, title="别的楼", body="x", building_id=other_building.id)
    services.publish_checked(world["manager_b"], title="别的小区", body="x", community_id=world["cb"].id)
    login_as("owner", unit)
    text = client.get("/portal/").get_data(as_text=True)
    assert "我的楼" in text and "别的楼" not in text and "别的小区" not in text
    assert client.get(f"/portal/notices/{mine.id}").status_code == 200
    assert client.get(f"/notices/{mine.id}/print").status_code == 200  # building notice, my building
    other = db.session.query(Notice).filter_by(title="别的楼").one()
    assert client.get(f"/portal/notices/{other.id}").status_code == 404
    assert client.get(f"/notices/{other.id}/print").status_code == 403


def test_notices_api(client, api_headers, world, db):
    h = api_headers(world["manager"])
    resp = client.post("/api/v1/notices", headers=h, json={"title": "API", "body": "b", "kind": "price",
                                                          "community_id": world["ca"].id,
                                                          "expire_at": "2099-01-01T00:00:00+08:00"})
    assert resp.status_code == 201, resp.json
    nid = resp.json["id"]
    assert resp.json["status"] == "current" and resp.json["audience"] == "community"
    listing = client.get("/api/v1/notices?state=current", headers=h)
    assert [i["id"] for i in listing.json["items"]] == [nid]
    assert client.get(f"/api/v1/notices/{nid}", headers=h).json["title"] == "API"
    w = client.post(f"/api/v1/notices/{nid}/withdraw", headers=h, json={"reason": "错"})
    assert w.status_code == 200 and w.json["status"] == "withdrawn"
    assert_envelope(client.post(f"/api/v1/notices/{nid}/withdraw", headers=h, json={"reason": "again"}), 409)
    # bad input
    assert_envelope(client.post("/api/v1/notices", headers=h, json={"title": "x"}), 422)
    assert_envelope(client.post("/api/v1/notices", headers=h, json={
        "title": "x", "body": "b", "community_id": world["ca"].id, "publish_at": "2030-01-01T00:00:00"}), 422)
    assert_envelope(client.post("/api/v1/notices", headers=h, json={
        "title": "x", "body": "b", "community_id": world["ca"].id, "kind": "rumour"}), 422)
    assert_envelope(client.post("/api/v1/notices", headers=h, json={
        "title": "x" * 201, "body": "b", "community_id": world["ca"].id}), 422)
    assert_envelope(client.post(f"/api/v1/notices/{nid}/withdraw", headers=h, json={}), 422)
    assert_envelope(client.get("/api/v1/notices/999999", headers=h), 404)
    # refused
    hb = api_headers(world["manager_b"])
    assert_envelope(client.post("/api/v1/notices", headers=hb, json={
        "title": "x", "body": "b", "community_id": world["ca"].id}), 403)
    assert_envelope(client.get(f"/api/v1/notices/{nid}", headers=hb), 403)
    assert client.get("/api/v1/notices", headers=hb).json["total"] == 0


def test_demo_notices_are_idempotent(make, db):
    from core.notices.hooks import DEMO_NOTICES, demo_data

    area = make.area()
    make.community(area=area, name="阳光花园")
    make.community(area=area, name="翠湖苑")
    demo_data(session=db.session)
    demo_data(session=db.session)
    rows = db.session.query(Notice).filter_by(source_module="demo").all()
    assert len(rows) == len(DEMO_NOTICES)
    assert all(services.status_of(n) == "current" for n in rows)
    assert any(n.audience == "area" for n in rows)


def test_demo_notices_hook_is_registered(app):
    from core.plugins import hook

    with app.app_context():
        assert "core.notices.hooks" in [impl.plugin_name for impl in hook().demo_data.get_hookimpls()]
