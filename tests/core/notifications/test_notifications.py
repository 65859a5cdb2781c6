"""In-app notifications: list, unread count in the top bar, mark read, API."""

import pytest

from core.notifications import services
from core.notifications.models import Notification
from core.testing import assert_envelope


@pytest.fixture
def world(make, db):
    c = make.community()
    w = {"c": c, "me": make.account("manager", c, email="me@example.com"), "other": make.account("staff", c)}
    services.notify([w["me"]], "工单超时", "请处理", link="/notices/")
    services.notify([w["me"]], "第二条")
    services.notify([w["other"]], "别人的")
    db.session.commit()
    return w


def test_unread_count_and_mark_read(world, db):
    me = world["me"]
    assert services.unread_count(me) == 2
    first = db.session.scalars(services.for_account(me)).all()[-1]
    services.mark_read(me, first.id)
    assert services.unread_count(me) == 1
    assert services.mark_all_read(me) == 1 and services.unread_count(me) == 0
    from core.errors import NotFound

    theirs = db.session.query(Notification).filter_by(subject="别人的").one()
    with pytest.raises(NotFound):
        services.mark_read(me, theirs.id)


def test_email_sent_through_console_backend(world, app):
    assert any(to == "me@example.com" and subject == "工单超时" for to, subject, _b in app.extensions["jiayuan.outbox"])


def test_top_bar_count_and_pages(client, login_as, world, db):
    login_as(world["me"])
    home = client.get("/").get_data(as_text=True)
    assert 'class="badge warn unread-count">2<' in home
    page = client.get("/notifications/").get_data(as_text=True)
    assert "工单超时" in page and "别人的" not in page
    n = db.session.query(Notification).filter_by(subject="工单超时").one()
    resp = client.post(f"/notifications/{n.id}/read", data={"follow": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/notices/")
    assert 'unread-count">1<' in client.get("/").get_data(as_text=True)
    assert "第二条" in client.get("/notifications/?unread=1").get_data(as_text=True)
    assert client.post("/notifications/read-all").status_code == 302
    assert "unread-count" not in client.get("/").get_data(as_text=True)
    theirs = db.session.query(Notification).filter_by(subject="别人的").one()
    assert client.post(f"/notifications/{theirs.id}/read").status_code == 404


def test_notifications_api(client, api_headers, world, db):
    h = api_headers(world["me"])
    listing = client.get("/api/v1/notifications?unread=true", headers=h)
    assert listing.status_code == 200 and listing.json["total"] == 2
    assert client.get("/api/v1/notifications/unread", headers=h).json["unread"] == 2
    nid = listing.json["items"][0]["id"]
    assert client.post(f"/api/v1/notifications/{nid}/read", headers=h).json["read_at"] is not None
    assert client.post("/api/v1/notifications/read", headers=h).json == {"unread": 0, "marked": 1}
    theirs = db.session.query(Notification).filter_by(subject="别人的").one()
    assert_envelope(client.post(f"/api/v1/notifications/{theirs.id}/read", headers=h), 404)
    assert_envelope(client.get("/api/v1/notifications?unread=maybe", headers=h), 422)
    assert_envelope(client.get("/api/v1/notifications"), 401)
