import pytest


@pytest.fixture(autouse=True)
def _request_context(app, db):
    """Service errors carry lazily translated messages, which need a request to pick the locale."""
    with app.test_request_context("/"):
        yield
