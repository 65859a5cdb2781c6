"""Refusals from the services read in the user's language: the envelope's message and field
messages come back in Chinese when the request asks for it, in English when it asks for English."""

import pytest

from core.testing import assert_envelope

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def admin_headers(make, api_headers, db):
    headers = api_headers(make.account("platform_admin"))
    db.session.commit()
    return headers


def test_taken_username(client, make, admin_headers, db):
    make.account("staff", make.community(), username="taken-name")
    db.session.commit()
    body = {"username": "taken-name", "display_name": "重名", "password": "good-pass-123"}
    zh = assert_envelope(client.post("/api/v1/accounts", json=body, headers={**admin_headers, **ZH}), 409, "conflict")
    assert zh["message"] == "该用户名已被占用。"
    assert zh["fields"] == {"username": ["该用户名已被占用。"]}
    en = assert_envelope(client.post("/api/v1/accounts", json=body, headers={**admin_headers, **EN}), 409)
    assert en["message"] == "This username is taken."


def test_weak_password_of_a_new_account(client, admin_headers):
    body = {"username": "weakling", "display_name": "弱", "password": "123"}
    zh = assert_envelope(client.post("/api/v1/accounts", json=body, headers={**admin_headers, **ZH}), 422, "invalid")
    assert zh["fields"] == {"password": ["密码至少需要 10 个字符。"]}


def test_wrong_current_password(client, login_as, make, db):
    login_as("staff", make.community(), password="right-pass-123")
    form = {"old_password": "wrong-pass-123", "new_password": "new-pass-4567", "confirm": "new-pass-4567"}
    resp = client.post("/account/password", data=form, headers=ZH)
    assert resp.status_code == 422
    assert "当前密码不正确。" in resp.get_data(as_text=True)
    resp = client.post("/account/password", data=form, headers=EN)
    assert "The current password is wrong." in resp.get_data(as_text=True)


def test_setting_not_settable_per_community(client, make, admin_headers):
    community = make.community()
    body = {"scope_type": "community", "scope_id": community.id, "value": 5}
    zh = assert_envelope(client.put("/api/v1/settings/core.lockout_threshold", json=body,
                                    headers={**admin_headers, **ZH}), 422, "invalid")
    assert zh["fields"] == {"scope": ["此设置不能按小区设置。"]}
    en = assert_envelope(client.put("/api/v1/settings/core.lockout_threshold", json=body,
                                    headers={**admin_headers, **EN}), 422)
    assert en["fields"] == {"scope": ["This setting cannot be set per community."]}


def test_setting_per_an_undeclared_scope_names_it(app, make):
    from core.errors import Invalid
    from core.settings.services import set_value

    with app.test_request_context(headers=ZH), pytest.raises(Invalid) as exc:
        set_value(make.account("platform_admin"), "core.lockout_threshold", 5, "street", 1)
    assert [str(m) for m in exc.value.fields["scope"]] == ["此设置不能按“street”设置。"]


def test_ticket_for_an_unknown_community(client, make, api_headers, db):
    headers = api_headers(make.account("manager", make.community()))
    body = {"community_id": 999999, "category_code": "enquiry", "title": "问一下"}
    zh = assert_envelope(client.post("/api/v1/tickets", json=body, headers={**headers, **ZH}), 422, "invalid")
    assert zh["fields"] == {"community_id": ["小区不存在。"]}
    en = assert_envelope(client.post("/api/v1/tickets", json=body, headers={**headers, **EN}), 422)
    assert en["fields"] == {"community_id": ["No such community."]}


def test_length_and_range_checks_read_in_chinese(client, admin_headers):
    """marshmallow's own messages (lengths, bounds) are put in the user's language by the envelope."""
    body = {"username": "", "display_name": "名" * 61, "password": "good-pass-123"}
    zh = assert_envelope(client.post("/api/v1/accounts", json=body, headers={**admin_headers, **ZH}), 422, "invalid")
    assert zh["fields"]["username"] == ["长度须为 1 至 60 个字符。"]
    assert zh["fields"]["display_name"] == ["长度须为 1 至 60 个字符。"]
    en = assert_envelope(client.post("/api/v1/accounts", json=body, headers={**admin_headers, **EN}), 422)
    assert en["fields"]["username"] == ["Must be 1 to 60 characters long."]


def test_each_bound_reads_in_the_users_language(app):
    from core.errors import _translate

    with app.test_request_context("/?lang=zh_CN"):
        assert _translate("Must be greater than or equal to 0.") == "不得小于 0。"
        assert _translate("Must be less than or equal to 10.") == "不得大于 10。"
        assert _translate("Must be greater than 0.") == "须大于 0。"
        assert _translate("Must be greater than or equal to 1 and less than or equal to 5.") == "须在 1 至 5 之间。"
        assert _translate("Shorter than minimum length 3.") == "少于最少 3 个字符。"
        assert _translate("Length must be 18.") == "长度须恰好为 18 个字符。"
    with app.test_request_context("/?lang=en"):
        assert _translate("Must be greater than or equal to 0.") == "Must be at least 0."
