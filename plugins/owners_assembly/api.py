"""API of the owners' assembly under /api/v1/owners-assembly."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import (
    ApiBlueprint,
    Community,
    Forbidden,
    NotFound,
    PageArgs,
    api_auth,
    can,
    current_account,
    db,
    page_of,
    page_schema,
    require,
    visible_community_ids,
)
from core import Unit as UnitModel
from plugins.owners_assembly import services as svc
from plugins.owners_assembly.models import AgendaItem, Meeting, RollEntry
from plugins.owners_assembly.schemas import (
    BallotCreateSchema,
    BallotSchema,
    ItemCreateSchema,
    ItemSchema,
    MeetingCreateSchema,
    MeetingQuery,
    MeetingSchema,
    RollEntrySchema,
)

blp = ApiBlueprint("owners_assembly_api", __name__, url_prefix="/api/v1/owners-assembly",
                   description="Owners' assembly meetings, roll, ballots and results")


def _owner_community_ids(account) -> set[int]:
    from core import person_unit_ids

    if account.person_id is None:
        return set()
    units = person_unit_ids(account.person_id)
    return set(db.session.scalars(select(UnitModel.community_id).where(UnitModel.id.in_(units)))) if units else set()


def _readable(account, meeting: Meeting | None) -> Meeting:
    if meeting is None:
        raise NotFound()
    community = db.session.get(Community, meeting.community_id)
    staff_ok = can(account, "owners_assembly.meeting.read", community=community)
    if not staff_ok and not (meeting.status != "draft" and meeting.community_id in _owner_community_ids(account)):
        raise NotFound()
    return meeting


@blp.route("/meetings")
@api_auth
@blp.arguments(MeetingQuery, location="query")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(MeetingSchema))
def list_meetings(query, **paging):
    """Meetings the caller may see (staff by role; owners those of their communities)."""
    account = current_account()
    ids = visible_community_ids(account, "owners_assembly.meeting.read")
    stmt = select(Meeting).order_by(Meeting.opens_at.desc())
    if ids is not None:
        owner_ids = _owner_community_ids(account)
        stmt = stmt.where(Meeting.community_id.in_(ids | owner_ids))
        if owner_ids - ids:
            stmt = stmt.where((Meeting.status != "draft") | Meeting.community_id.in_(ids))
    if "community_id" in query:
        stmt = stmt.where(Meeting.community_id == query["community_id"])
    return page_of(stmt, paging)


@blp.route("/meetings", methods=["POST"])
@api_auth
@blp.arguments(MeetingCreateSchema)
@blp.response(201, MeetingSchema)
def create_meeting(args):
    """Convene a meeting (owners' committee, or the residents' committee before one exists)."""
    community = db.session.get(Community, args.pop("community_id"))
    if community is None:
        raise NotFound()
    require(current_account(), "owners_assembly.meeting.manage", community=community)
    meeting = svc.create_meeting(current_account(), community, **args)
    db.session.commit()
    return meeting


@blp.route("/meetings/<int:meeting_id>")
@api_auth
@blp.response(200, MeetingSchema)
def get_meeting(meeting_id):
    """A meeting with its agenda and, once closed, each item's result."""
    return _readable(current_account(), db.session.get(Meeting, meeting_id))


@blp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
@api_auth
@blp.arguments(ItemCreateSchema)
@blp.response(201, ItemSchema)
def add_item(args, meeting_id):
    """Add an agenda item; each needs a decision class."""
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    require(current_account(), "owners_assembly.meeting.manage",
            community=db.session.get(Community, meeting.community_id))
    item = svc.add_item(current_account(), meeting, **args)
    db.session.commit()
    return item


@blp.route("/meetings/<int:meeting_id>/roll")
@api_auth
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(RollEntrySchema))
def roll(meeting_id, **paging):
    """The published voter roll: names, unit numbers and areas only."""
    meeting = _readable(current_account(), db.session.get(Meeting, meeting_id))
    if meeting.status == "draft":
        raise NotFound()
    return page_of(select(RollEntry).where(RollEntry.meeting_id == meeting.id).order_by(RollEntry.id), paging)


@blp.route("/meetings/<int:meeting_id>/ballots", methods=["POST"])
@api_auth
@blp.arguments(BallotCreateSchema)
@blp.response(201, BallotSchema)
def cast(args, meeting_id):
    """Cast or change your ballot on an item (yourself, or as a written proxy)."""
    account = current_account()
    meeting = _readable(account, db.session.get(Meeting, meeting_id))
    if account.person is None:
        raise Forbidden(_l("Only owners vote online."), code="not_an_owner")
    item = db.session.get(AgendaItem, args["item_id"])
    if item is None or item.meeting_id != meeting.id:
        raise NotFound()
    ballot = svc.cast_ballot(account.person, meeting, item, db.session.get(RollEntry, args["roll_entry_id"]),
                             args["choice"])
    db.session.commit()
    return ballot
