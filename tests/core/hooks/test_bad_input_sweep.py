"""Bad input on every back-office API endpoint: always a 4xx with the envelope, never a 500."""

import pytest

from core.testing import assert_envelope

GARBAGE_BODIES = [
    None, [], "text", 12, {"unknown": 1}, {"role": None, "scope_type": [], "scope_id": {}},
    {"title": 5, "body": [], "community_id": "x", "publish_at": "yesterday"},
    {"value": None, "scope_type": 7}, {"username": "", "password": "", "display_name": ""},
    {"reason": "x" * 500}, {"person_id": "abc"}, {"active": "maybe"},
]
GARBAGE_QUERIES = ["page=0", "per_page=9999", "page=abc", "scope_type=moon", "scope_id=-1&scope_type=area",
                   "since=2026-99-01", "state=never", "unread=perhaps", "community_id=1e9", "kind=x",
                   "active=perhaps", "entity_id=nan"]

POSTS = ["/api/v1/accounts", "/api/v1/accounts/portal", "/api/v1/accounts/{aid}/grants",
         "/api/v1/accounts/{aid}/password", "/api/v1/notices", "/api/v1/notices/{nid}/withdraw",
         "/api/v1/notifications/read"]
GETS = ["/api/v1/accounts", "/api/v1/settings", "/api/v1/settings/history", "/api/v1/audit", "/api/v1/notices",
        "/api/v1/notices/public", "/api/v1/notifications"]


@pytest.fixture
def setup(make, db, api_headers):
    from core.notices.services import publish_checked

    c = make.community()
    admin = make.account("platform_admin")
    manager = make.account("manager", c)
    notice = publish_checked(manager, title="t", body="b", community_id=c.id)
    db.session.commit()
    return {"aid": manager.id, "nid": notice.id, "admin": api_headers(admin), "manager": api_headers(manager)}


def test_garbage_bodies(client, setup):
    for who in ("admin", "manager"):
        for path in POSTS:
            url = path.format(aid=setup["aid"], nid=setup["nid"])
            for body in GARBAGE_BODIES:
                resp = client.post(url, headers=setup[who], json=body)
                assert resp.status_code < 500, (url, body, resp.status_code)
                if resp.status_code >= 400:
                    assert_envelope(resp, resp.status_code)
            if url.endswith("/notifications/read"):  # takes no body
                continue
            resp = client.post(url, headers=setup[who], data="{not json", content_type="application/json")
            assert resp.status_code in (400, 403, 404, 422), (url, resp.status_code)
    for body in GARBAGE_BODIES:
        resp = client.put("/api/v1/settings/core.notice_default_days", headers=setup["admin"], json=body)
        assert 400 <= resp.status_code < 500, (body, resp.status_code)
        resp = client.patch(f"/api/v1/accounts/{setup['aid']}", headers=setup["admin"], json=body)
        assert resp.status_code < 500, (body, resp.status_code)


def test_garbage_queries(client, setup):
    for who in ("admin", "manager"):
        for path in GETS:
            for query in GARBAGE_QUERIES:
                resp = client.get(f"{path}?{query}", headers=setup[who])
                assert resp.status_code < 500, (path, query, resp.status_code)
                if resp.status_code >= 400:
                    assert_envelope(resp, resp.status_code)


def test_back_office_forms_need_csrf(make_app, make, db):
    c = make.community()
    admin = make.account("platform_admin")
    manager = make.account("manager", c)
    db.session.commit()
    app = make_app({"WTF_CSRF_ENABLED": True})
    for account, url, data in [
        (admin, "/admin/accounts/new", {"username": "u1", "display_name": "U", "password": "good-pass-123"}),
        (admin, f"/admin/accounts/{manager.id}/active", {"active": "0"}),
        (manager, "/notices/new", {"title": "t", "body": "b", "audience": f"community:{c.id}"}),
        (manager, "/settings/core.notice_default_days", {"value": "3", "scope_type": "community",
                                                          "scope_id": c.id}),
        (manager, "/notifications/read-all", {}),
    ]:
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(account.id)
        resp = client.post(url, data=data)
        assert resp.status_code == 400 and "csrf" in resp.get_data(as_text=True), url
    db.session.expire_all()
    assert manager.active
