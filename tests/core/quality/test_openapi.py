def test_quality_routes_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    paths = set(spec["paths"])
    for path in ("/api/v1/quality/reception-days", "/api/v1/quality/reception-slots/{slot_id}/bookings",
                 "/api/v1/quality/surveys/{survey_id}/responses", "/api/v1/quality/dashboard",
                 "/api/v1/quality/equal-service", "/api/v1/quality/compare"):
        assert path in paths, path
