import pytest


@pytest.fixture
def req(app, db):
    """Service tests build translated messages: they need a request context for the locale."""
    with app.test_request_context():
        yield
