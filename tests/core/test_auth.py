import datetime as dt

from core.auth.models import Account
from core.database import utcnow
from core.testing import assert_envelope


def test_login_and_logout(client, make, db):
    account = make.account("manager", make.community(), username="wang", password="a-good-pass-1")
    db.session.commit()
    resp = client.post("/login", data={"username": "wang", "password": "a-good-pass-1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302
    assert account.id


def test_wrong_password_counts_and_locks(client, make, db, app):
    make.account("staff", make.community(), username="li", password="right-pass-1")
    db.session.commit()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        resp = client.post("/login", data={"username": "li", "password": "wrong"})
        assert resp.status_code == 422
    resp = client.post("/login", data={"username": "li", "password": "right-pass-1"})
    assert resp.status_code == 422
    assert "locked" in resp.get_data(as_text=True) or "锁定" in resp.get_data(as_text=True)
    db.session.expire_all()
    account = db.session.query(Account).filter_by(username="li").one()
    assert account.locked_until > utcnow()
    account.locked_until = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert client.post("/login", data={"username": "li", "password": "right-pass-1"}).status_code == 302


def test_login_is_rate_limited(make_app, make, db):
    app = make_app({"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"})
    db.session.commit()
    c = app.test_client()
    codes = [c.post("/login", data={"username": "nobody", "password": "x"}).status_code for _ in range(4)]
    assert codes[:3] == [422, 422, 422] and codes[3] == 429


def test_form_without_csrf_is_refused(make_app, make, db):
    make.account("staff", make.community(), username="zhao", password="right-pass-1")
    db.session.commit()
    app = make_app({"WTF_CSRF_ENABLED": True})
    c = app.test_client()
    resp = c.post("/login", data={"username": "zhao", "password": "right-pass-1"})
    assert resp.status_code == 400
    assert "csrf" in resp.get_data(as_text=True)


def test_api_token_lifecycle(client, make, db):
    make.account("manager", make.community(), username="sun", password="right-pass-1")
    db.session.commit()
    resp = client.post("/api/v1/auth/tokens", json={"username": "sun", "password": "right-pass-1", "name": "cli"})
    assert resp.status_code == 201, resp.json
    token = resp.json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete(f"/api/v1/auth/tokens/{resp.json['id']}", headers=headers).status_code == 204
    # the revoked token no longer works
    assert_envelope(client.delete(f"/api/v1/auth/tokens/{resp.json['id']}", headers=headers), 401, "invalid_token")


def test_token_with_wrong_password_or_bad_body(client, make, db):
    make.account("manager", make.community(), username="qian", password="right-pass-1")
    db.session.commit()
    assert_envelope(client.post("/api/v1/auth/tokens", json={"username": "qian", "password": "no"}), 401)
    assert_envelope(client.post("/api/v1/auth/tokens", json={"username": "qian"}), 422, "invalid")
    assert_envelope(client.post("/api/v1/auth/tokens", data="{not json", content_type="application/json"),
                    400, "invalid_json")
    err = assert_envelope(client.post("/api/v1/auth/tokens", json={"username": 5, "password": "x"}), 422)
    assert "username" in err["fields"]


def test_passwords_are_hashed_strongly(make, db):
    account = make.account(username="hash", password="secret-pass-9")
    assert "secret-pass-9" not in account.password_hash and account.password_hash.startswith("scrypt:")


def test_bearer_token_checks_and_last_use(client, make, db):
    from sqlalchemy import func, select

    from core.audit.models import AuditEntry
    from core.auth.models import ApiToken
    from core.auth.services import create_token

    account = make.account("manager", make.community())
    token, plain = create_token(account, "cli")
    spare, _ = create_token(account, "spare")
    other, _ = create_token(account, "other")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}

    def touches():
        return db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "ApiToken", AuditEntry.entity_id == token.id, AuditEntry.action == "update"))

    # reading neither writes nor audits the token's last use
    assert client.get("/api/v1/units", headers=headers).status_code == 200
    assert db.session.get(ApiToken, token.id).last_used_at is None and touches() == 0
    # a writing request records it (audited), at most once a minute
    assert client.delete(f"/api/v1/auth/tokens/{spare.id}", headers=headers).status_code == 204
    first = db.session.get(ApiToken, token.id).last_used_at
    assert first is not None and touches() == 1
    assert client.delete(f"/api/v1/auth/tokens/{other.id}", headers=headers).status_code == 204
    assert db.session.get(ApiToken, token.id).last_used_at == first and touches() == 1
    # a minute later, the next write records it again
    db.session.get(ApiToken, token.id).last_used_at = first - dt.timedelta(minutes=2)
    db.session.commit()
    assert client.delete(f"/api/v1/auth/tokens/{other.id}", headers=headers).status_code == 204
    assert touches() == 3  # the test's own change, then the request's
    # expired tokens and disabled accounts are refused
    db.session.get(ApiToken, token.id).expires_at = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert_envelope(client.get("/api/v1/units", headers=headers), 401, "invalid_token")
    fresh, plain2 = create_token(account, "fresh")
    account.active = False
    db.session.commit()
    assert_envelope(client.get("/api/v1/units", headers={"Authorization": f"Bearer {plain2}"}), 401,
                    "account_disabled")
    assert_envelope(client.get("/api/v1/units", headers={"Authorization": "Bearer jy_not-a-token"}), 401,
                    "invalid_token")
