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


HUGE = 2**70  # beyond SQLite's 64-bit INTEGER and PostgreSQL's bigint


def _manager_headers(make, api_headers):
    community = make.community()
    return community, api_headers(make.account("manager", community))


def test_huge_id_in_the_path_is_not_found(client, make, api_headers):
    _community, headers = _manager_headers(make, api_headers)
    for path in (f"/api/v1/areas/{HUGE}", f"/api/v1/units/{2**31}", f"/api/v1/notices/{HUGE}"):
        assert_envelope(client.get(path, headers=headers), 404, "not_found")
    assert_envelope(client.patch(f"/api/v1/tickets/teams/{HUGE}", json={}, headers=headers), 404, "not_found")


def test_huge_integer_in_the_query_is_refused(client, make, api_headers):
    community, headers = _manager_headers(make, api_headers)
    err = assert_envelope(client.get(f"/api/v1/units?page={HUGE}", headers=headers), 422, "invalid")
    assert set(err["fields"]) == {"page"}
    err = assert_envelope(client.get(f"/api/v1/tickets?community_id={community.id}&assignee_id={-HUGE}",
                                     headers=headers), 422, "invalid")
    assert set(err["fields"]) == {"assignee_id"}
    # the largest value an INTEGER column holds is still accepted (an empty page, not an error)
    resp = client.get(f"/api/v1/units?page={2**31 - 1}", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["items"] == []


def test_huge_integer_in_the_body_is_refused_and_writes_nothing(client, make, api_headers, db):
    from sqlalchemy import func, select

    from core.people.models import Person

    community, headers = _manager_headers(make, api_headers)
    db.session.commit()
    before = db.session.scalar(select(func.count()).select_from(Person))
    resp = client.post("/api/v1/people", json={"name": "张三", "community_id": HUGE}, headers=headers)
    err = assert_envelope(resp, 422, "invalid")
    assert set(err["fields"]) == {"community_id"}
    assert db.session.scalar(select(func.count()).select_from(Person)) == before


def test_huge_integers_inside_a_list_are_named_by_position(client, make, api_headers):
    community, headers = _manager_headers(make, api_headers)
    resp = client.post("/api/v1/tickets/teams", json={"community_id": community.id, "name": "维修",
                                                       "member_ids": [1, HUGE]}, headers=headers)
    err = assert_envelope(resp, 422, "invalid")
    assert err["fields"] == {"member_ids": {"1": ["须在 -2147483648 到 2147483647 之间。"]}}  # the default language


def test_dates_of_no_plausible_year_are_refused(client, make, api_headers):
    admin = api_headers(make.account("platform_admin"))
    # the day after 9999-12-31 does not exist: the audit filter used to overflow computing it
    err = assert_envelope(client.get("/api/v1/audit?until=9999-12-31", headers=admin), 422, "invalid")
    assert set(err["fields"]) == {"until"}
    assert client.get("/api/v1/audit?until=2999-12-31", headers=admin).status_code == 200
    community, headers = _manager_headers(make, api_headers)
    # moved to UTC, year 9999 at UTC-12 would be year 10000
    body = {"community_id": community.id, "kind": "general", "title": "停水通知", "body": "明天停水",
            "publish_at": "9999-12-31T23:00:00-12:00"}
    err = assert_envelope(client.post("/api/v1/notices", json=body, headers=headers), 422, "invalid")
    assert set(err["fields"]) == {"publish_at"}
    err = assert_envelope(client.post("/api/v1/notices", json={**body, "publish_at": "0001-01-01T00:00:00+14:00"},
                                      headers=headers), 422, "invalid")
    assert set(err["fields"]) == {"publish_at"}


def test_impossible_calendar_date_is_refused(client, make, api_headers):
    admin = api_headers(make.account("platform_admin"))
    err = assert_envelope(client.get("/api/v1/audit?since=2026-02-30", headers=admin), 422, "invalid")
    assert set(err["fields"]) == {"since"}


def _bounds_that_are_not_numbers(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("minimum", "maximum") and not isinstance(value, int | float):
                yield f"{path}/{key}"
            yield from _bounds_that_are_not_numbers(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _bounds_that_are_not_numbers(value, f"{path}/{i}")


def test_openapi_documents_decimals_and_error_details_as_they_are_sent(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert list(_bounds_that_are_not_numbers(spec)) == []
    schemas = spec["components"]["schemas"]
    # a Decimal(as_string=True) is sent as "112.16"
    assert schemas["places.Unit"]["properties"]["building_area"]["type"] == "string"
    assert schemas["api.ErrorBody"]["additionalProperties"] is True
