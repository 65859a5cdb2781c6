from core.testing import assert_envelope


def test_unknown_api_route_uses_envelope(client):
    assert_envelope(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_method_not_allowed_names_allowed_methods(client):
    resp = client.get("/api/v1/auth/tokens")
    assert_envelope(resp, 405, "method_not_allowed")
    assert "POST" in resp.headers["Allow"]


def test_api_requires_token(client):
    assert_envelope(client.delete("/api/v1/auth/tokens/1"), 401, "unauthorized")


def test_garbage_bearer_token(client):
    assert_envelope(client.delete("/api/v1/auth/tokens/1", headers={"Authorization": "Bearer nope"}), 401,
                    "invalid_token")


def test_messages_follow_the_users_language(client):
    zh = assert_envelope(client.get("/api/v1/nothing", headers={"Accept-Language": "zh-CN"}), 404)
    en = assert_envelope(client.get("/api/v1/nothing", headers={"Accept-Language": "en"}), 404)
    assert en["message"] == "Not found."
    assert zh["message"] != en["message"]


def test_html_pages_get_an_error_page(client):
    resp = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert resp.status_code == 404 and "text/html" in resp.content_type


def test_openapi_document_and_browsable_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/auth/tokens" in spec["paths"]
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and "/api/v1/auth/tokens" in page.get_data(as_text=True)
