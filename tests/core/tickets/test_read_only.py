"""Read-only API views: on PostgreSQL their statements run without BEGIN/ROLLBACK round trips, any
write in them is refused, and the ticket views keep every access rule."""

import json

import pytest
from sqlalchemy import select, update

from core.api.base import ReadOnlyViolation, read_only_session
from core.auth.models import ApiToken
from core.database import utcnow
from core.testing import assert_envelope, is_postgres
from core.tickets import schemas
from core.tickets.models import Ticket, TicketComment


def test_a_read_only_session_refuses_changes_and_write_statements(app, new_ticket, db):
    ticket = new_ticket()
    db.session.commit()
    with app.app_context(), read_only_session():  # a session of its own, as a request has
        loaded = db.session.get(Ticket, ticket.id)
        loaded.title = "改过了"
        with pytest.raises(ReadOnlyViolation):
            db.session.flush()
        db.session.rollback()
        db.session.add(TicketComment(area_id=ticket.area_id, community_id=ticket.community_id, ticket_id=ticket.id,
                                     author_name="x", body="x", internal=False))
        with pytest.raises(ReadOnlyViolation):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(ReadOnlyViolation):
            db.session.execute(update(Ticket).where(Ticket.id == ticket.id).values(title="改过了"))
        db.session.rollback()
        assert db.session.get(Ticket, ticket.id).title != "改过了"  # reading still works
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).title == ticket.title
    assert db.session.scalars(select(TicketComment).where(TicketComment.ticket_id == ticket.id)).all() == []


def test_a_session_already_in_use_is_left_as_it_is(new_ticket, db):
    ticket = new_ticket()  # the test's session is in a transaction
    with read_only_session():
        db.session.get(Ticket, ticket.id).title = "改过了"
    db.session.flush()  # neither refused nor closed: the pending change is still there
    assert ticket in db.session and ticket.title == "改过了"
    assert "read_only" not in db.session.info


def test_a_plain_session_still_writes(app, new_ticket, db):
    ticket = new_ticket()
    db.session.commit()
    with app.app_context():
        db.session.get(Ticket, ticket.id).title = "改过了"
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).title == "改过了"


def autocommits(connection) -> bool:
    return getattr(connection.connection.dbapi_connection, "autocommit", False) is True


def test_read_only_skips_the_transaction_on_postgresql_and_hands_back_a_transactional_connection(make_app, db):
    from core.database import db as handle

    one = make_app({"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0}})
    try:
        with one.app_context(), read_only_session():
            assert autocommits(handle.session.connection()) is is_postgres()
        with one.app_context():  # the only pooled connection, checked out again by a writing request
            assert autocommits(handle.session.connection()) is False
            handle.session.rollback()
    finally:
        with one.app_context():
            handle.session.remove()
            handle.engine.dispose()


def test_read_only_ticket_views_keep_their_access_rules(client, scene, make, new_ticket, api_headers, db):
    ticket = new_ticket()
    db.session.commit()
    body = client.get(f"/api/v1/tickets/{ticket.id}", headers=api_headers(scene.owner)).get_json()
    assert body["id"] == ticket.id and body["category_code"] == "in_unit_repair"
    # what the read-only view loads answers exactly what the fully loaded ticket would
    db.session.expire_all()
    assert body == json.loads(json.dumps(schemas.TicketSchema().dump(db.session.get(Ticket, ticket.id))))
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=api_headers(scene.manager)).status_code == 200
    # staff of another community and an owner of another unit do not learn that it exists
    elsewhere = make.account("manager", make.community())
    stranger = make.account(person=make.owner(make.unit(scene.building)))
    for account in (elsewhere, stranger):
        assert_envelope(client.get(f"/api/v1/tickets/{ticket.id}", headers=api_headers(account)), 404)
        assert_envelope(client.get(f"/api/v1/tickets/{ticket.id}/transitions", headers=api_headers(account)), 404)
    assert_envelope(client.get("/api/v1/tickets/999999", headers=api_headers(scene.manager)), 404)
    # revoked and missing tokens are refused before anything is read
    headers = api_headers(scene.manager)
    token = db.session.scalars(select(ApiToken).where(ApiToken.account_id == scene.manager.id)
                               .order_by(ApiToken.id.desc())).first()
    token.revoked_at = utcnow()
    db.session.commit()
    assert_envelope(client.get(f"/api/v1/tickets/{ticket.id}", headers=headers), 401, "invalid_token")
    assert_envelope(client.get(f"/api/v1/tickets/{ticket.id}"), 401)


def test_read_only_views_accept_the_web_session_for_reading(client, scene, new_ticket, login_as, db):
    ticket = new_ticket()
    db.session.commit()
    assert_envelope(client.get(f"/api/v1/tickets/{ticket.id}"), 401)
    login_as(scene.staff)
    assert client.get(f"/api/v1/tickets/{ticket.id}").get_json()["id"] == ticket.id
    listed = client.get("/api/v1/tickets").get_json()
    assert [t["id"] for t in listed["items"]] == [ticket.id]
    transitions = client.get(f"/api/v1/tickets/{ticket.id}/transitions").get_json()
    assert "accept" in transitions["allowed"]



def test_reading_one_ticket_takes_two_statements(client, scene, new_ticket, api_headers, db):
    """The token with its account and grants, then the ticket with its community and category: what
    the read-only view leaves unloaded is never needed to answer (no lazy load behind it)."""
    from sqlalchemy import event

    ticket = new_ticket()
    db.session.commit()
    headers, path = api_headers(scene.manager), f"/api/v1/tickets/{ticket.id}"
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        resp = client.get(path, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert resp.status_code == 200 and resp.get_json()["category_code"] == "in_unit_repair"
    assert [s.split()[1] for s in statements] == ["api_tokens.account_id,", "tickets_tickets.area_id,"], statements
