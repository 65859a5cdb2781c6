"""Rules and changes of Parcel log: plain functions; the acting account is passed in; flush, don't commit."""

from core import Invalid, NotFound, Unit, db
from sqlalchemy import select

from parcel_log.models import Entry


def add_entry(actor, community, *, title: str, note: str = "", unit_id: int | None = None) -> Entry:
    title = (title or "").strip()
    if not title:
        raise Invalid(fields={"title": ["This field is required."]})
    if unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.community_id != community.id:
            raise NotFound()
    entry = Entry(area_id=community.area_id, community_id=community.id, unit_id=unit_id, title=title[:200],
                  note=note or "", created_by_id=getattr(actor, "id", None))
    db.session.add(entry)
    db.session.flush()
    return entry


def entries_of(community_id: int):
    return select(Entry).where(Entry.community_id == community_id).order_by(Entry.id.desc())


def note_ticket(ticket) -> Entry:
    """React to a new service ticket: keep a line about it."""
    entry = Entry(area_id=ticket.area_id, community_id=ticket.community_id, unit_id=getattr(ticket, "unit_id", None),
                  title=f"#{ticket.id} {ticket.title}"[:200], ticket_id=ticket.id)
    db.session.add(entry)
    db.session.flush()
    return entry
