"""The demo year of tickets: bulk-inserted, consistent, idempotent."""

from sqlalchemy import func, select

from core.tickets import demo, workflows
from core.tickets.models import Ticket, TicketCallback, TicketRating, TicketTransition


def test_demo_year_of_tickets(make, db):
    community = make.community(name="春晖家园")
    staff = make.account("staff", community)
    building = make.building(community, steward_id=staff.id)
    for _ in range(6):
        make.owner(make.unit(building))
    demo.load(db.session)
    n = db.session.scalar(select(func.count(Ticket.id)))
    assert n > 900
    rows = db.session.scalars(select(Ticket)).all()
    assert all(t.number.startswith("D") and t.community_id == community.id for t in rows)
    for t in rows:
        if t.responded_at is not None:
            assert t.responded_at >= t.opened_at
        if t.resolved_at is not None:
            assert t.resolved_at >= (t.arrived_at or t.responded_at)
        if t.rating_score is not None and t.rating_score <= 3 and t.status == "closed":
            assert t.callback_done
    ratings = db.session.scalar(select(func.count(TicketRating.id)))
    assert ratings == sum(1 for t in rows if t.rating_score is not None)
    assert db.session.scalar(select(func.count(TicketCallback.id))) > 0
    assert db.session.scalar(select(func.count(TicketTransition.id))) > n
    # every step of the history is a state of the ticket's own workflow (the timeline names it)
    states = {t.id: set(workflows.BUILTIN[t.workflow].states) for t in rows}
    history = db.session.execute(select(TicketTransition.ticket_id, TicketTransition.to_status)).all()
    assert {w for w in workflows.BUILTIN} <= {t.workflow for t in rows}
    assert all(to in states[tid] for tid, to in history)
    assert any(t.is_repeat for t in rows)
    demo.load(db.session)  # idempotent
    assert db.session.scalar(select(func.count(Ticket.id))) == n
