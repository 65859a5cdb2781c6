"""A request without a session cookie skips the cookie session's work, and the rate limiter skips its
request-wide check while no request-wide limit is configured: neither changes what a client gets
back, nor any limit."""

import flask
import pytest
from flask_limiter.util import get_remote_address

from core.extensions import RateLimiter
from core.testing import assert_envelope


@pytest.fixture
def manager_headers(make, db, api_headers):
    return api_headers(make.account("manager", make.community()))


def test_a_bearer_request_without_cookie_gets_no_cookie(client, manager_headers):
    resp = client.get("/api/v1/tickets", headers=manager_headers)
    assert resp.status_code == 200, resp.json
    assert "Set-Cookie" not in resp.headers
    assert "Cookie" in resp.vary  # the session was read, so the answer still varies with the cookie


def test_a_bearer_request_choosing_its_language_still_keeps_it_in_the_cookie(app, client, manager_headers):
    english = assert_envelope(client.get("/api/v1/tickets/999999?lang=en", headers=manager_headers), 404)
    assert english["message"] == "Not found."
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is not None
    # the cookie now sent back is read: still English without asking again
    assert assert_envelope(client.get("/api/v1/tickets/999999", headers=manager_headers), 404)["message"] == \
        "Not found."
    # a client without that cookie gets the default language
    other = app.test_client()
    assert assert_envelope(other.get("/api/v1/tickets/999999", headers=manager_headers), 404)["message"] != \
        "Not found."


def test_a_web_session_is_still_opened_saved_and_cleared(client, make, db):
    make.account("manager", make.community(), username="zhou", password="right-pass-1")
    db.session.commit()
    resp = client.post("/login", data={"username": "zhou", "password": "right-pass-1"})
    assert resp.status_code == 302 and "Set-Cookie" in resp.headers
    assert client.get("/api/v1/tickets").status_code == 200  # reading with the web session
    resp = client.post("/logout")
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.get("/").status_code == 302


def test_a_tampered_session_cookie_counts_as_no_session(app, client, make, db):
    make.account("manager", make.community(), username="wu", password="right-pass-1")
    db.session.commit()
    client.post("/login", data={"username": "wu", "password": "right-pass-1"})
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value[:-2] + "xx")
    assert client.get("/api/v1/tickets").status_code == 401


def limited_app(**limits) -> flask.Flask:
    app = flask.Flask(__name__)
    limiter = RateLimiter(key_func=get_remote_address, storage_uri="memory://", **limits)
    limiter.init_app(app)

    @app.get("/free")
    def free():
        return "ok"

    @app.get("/login")
    @limiter.limit("2 per minute")
    def login():
        return "ok"

    return app


def codes(app, path, times):
    c = app.test_client()
    return [c.get(path).status_code for _ in range(times)]


def test_limits_on_a_view_still_hold_without_request_wide_limits():
    app = limited_app()
    assert codes(app, "/login", 3) == [200, 200, 429]
    assert codes(app, "/free", 5) == [200] * 5


@pytest.mark.parametrize("limits", [{"default_limits": ["2 per minute"]}, {"application_limits": ["2 per minute"]}])
def test_default_and_application_limits_still_hold(limits):
    assert codes(limited_app(**limits), "/free", 3) == [200, 200, 429]


def test_a_limit_on_a_blueprint_still_holds():
    app = flask.Flask(__name__)
    limiter = RateLimiter(key_func=get_remote_address, storage_uri="memory://")
    limiter.init_app(app)
    bp = flask.Blueprint("shop", __name__)

    @bp.get("/shop")
    def shop():
        return "ok"

    limiter.limit("2 per minute")(bp)
    app.register_blueprint(bp)
    assert codes(app, "/shop", 3) == [200, 200, 429]


def test_the_token_endpoint_is_still_rate_limited(make_app, db):
    app = make_app({"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "2 per minute"})
    c = app.test_client()
    got = [c.post("/api/v1/auth/tokens", json={"username": "nobody", "password": "x"}).status_code for _ in range(3)]
    assert got == [401, 401, 429]
