"""JSON API of community culture under /api/v1/culture_events."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from core import (
    ApiBlueprint,
    Area,
    Community,
    Forbidden,
    Invalid,
    NotFound,
    PageArgs,
    Unit,
    Upload,
    api_auth,
    can,
    current_account,
    db,
    page_of,
    page_schema,
    person_unit_ids,
    require,
    utcnow,
    visible_area_ids,
    visible_community_ids,
)

from . import schemas, services
from .models import Club, ClubSession, Event, EventStatus, Poll, Registration, Venue

blp = ApiBlueprint("culture_events_api", __name__, description="Community culture: events, registration, check-in")


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound()
    return event


def _person():
    person = current_account().person
    if person is None:
        raise Forbidden(_l("This account is not linked to an owner or resident record."))
    return person


def visible_events_filter(account, permission: str):
    """A condition on Event for the events ``account`` may see with ``permission`` (None: all)."""
    cids = visible_community_ids(account, permission)
    aids = visible_area_ids(account, permission)
    if cids is None or aids is None:
        return None
    return or_(Event.community_id.in_(cids), Event.area_id.in_(aids))


def resident_events_filter(person):
    """Events a resident may see: of the communities and areas they live in."""
    units = person_unit_ids(person.id)
    rows = db.session.execute(select(Unit.community_id, Unit.area_id).where(Unit.id.in_(units))).all() if units else []
    cids = {r[0] for r in rows}
    aids = {r[1] for r in rows}
    return or_(Event.community_id.in_(cids), (Event.community_id.is_(None) & Event.area_id.in_(aids)))


@blp.route("/events")
class Events(MethodView):
    @api_auth
    @blp.arguments(schemas.EventQuerySchema, location="query")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(schemas.EventSchema))
    def get(self, query, page):
        """Events the caller manages, or (for residents) the events of where they live."""
        account = current_account()
        stmt = select(Event).order_by(Event.starts_at)
        if can(account, "culture_events.event.manage"):
            cond = visible_events_filter(account, "culture_events.event.manage")
        elif account.person is not None:
            cond = resident_events_filter(account.person) & (Event.status == EventStatus.published)
        else:
            raise Forbidden()
        if cond is not None:
            stmt = stmt.where(cond)
        if query.get("community_id"):
            stmt = stmt.where(Event.community_id == query["community_id"])
        if query.get("upcoming"):
            stmt = stmt.where(Event.ends_at >= utcnow())
        return page_of(stmt, page)

    @api_auth
    @blp.arguments(schemas.EventCreateSchema)
    @blp.response(201, schemas.EventSchema(many=True))
    def post(self, data):
        """Plan an event of a community (community_id) or a whole area (area_id); repeats give several."""
        community = area = None
        if data.get("community_id"):
            community = db.session.get(Community, data["community_id"])
            if community is None:
                raise Invalid(fields={"community_id": [_l("Not found.")]})
        elif data.get("area_id"):
            area = db.session.get(Area, data["area_id"])
            if area is None:
                raise Invalid(fields={"area_id": [_l("Not found.")]})
        events = services.create_event(current_account(), data, community=community, area=area)
        db.session.commit()
        return events


@blp.route("/events/<int:event_id>")
class EventItem(MethodView):
    @api_auth
    @blp.response(200, schemas.EventSchema)
    def get(self, event_id):
        """One event."""
        event = _event(event_id)
        account = current_account()
        if not services.can_on(account, "culture_events.event.manage", event):
            person = account.person
            if person is None or not services.scope_unit_ids(event, person_unit_ids(person.id)):
                raise Forbidden()
        return event

    @api_auth
    @blp.arguments(schemas.EventUpdateSchema)
    @blp.response(200, schemas.EventSchema)
    def patch(self, data, event_id):
        """Change an event (capacity not below the confirmed places; a rise promotes the waiting list)."""
        event = services.update_event(current_account(), _event(event_id), data)
        db.session.commit()
        return event


@blp.route("/events/<int:event_id>/registrations", methods=["POST"])
@api_auth
@blp.arguments(schemas.RegisterSchema)
@blp.response(201, schemas.RegistrationSchema)
def register(data, event_id):
    """Register yourself or a member of your household (confirmed, or on the waiting list)."""
    from core import Person

    by = _person()
    person = by
    if data.get("person_id") and data["person_id"] != by.id:
        person = db.session.get(Person, data["person_id"])
        if person is None:
            raise Invalid(fields={"person_id": [_l("Not found.")]})
    reg = services.register(by, _event(event_id), person, guardian_consent=data["guardian_consent"],
                            photo_consent=data["photo_consent"])
    db.session.commit()
    return reg


@blp.route("/registrations/<int:reg_id>", methods=["DELETE"])
@api_auth
@blp.response(200, schemas.CancelResultSchema)
def cancel(reg_id):
    """Cancel a registration of yours or your household's; the waiting list moves up."""
    reg = db.session.get(Registration, reg_id)
    if reg is None:
        raise NotFound()
    promoted = services.cancel_registration(_person(), reg)
    db.session.commit()
    return {"registration": reg, "promoted": [r.id for r in promoted]}


@blp.route("/registrations/<int:reg_id>/rating", methods=["POST"])
@api_auth
@blp.arguments(schemas.RateSchema)
@blp.response(200, schemas.RegistrationSchema)
def rate(data, reg_id):
    """Rate an event you attended (1–5) with optional feedback."""
    reg = db.session.get(Registration, reg_id)
    if reg is None:
        raise NotFound()
    services.rate(_person(), reg, data["rating"], data["feedback"])
    db.session.commit()
    return reg


@blp.route("/events/<int:event_id>/checkin", methods=["POST"])
@api_auth
@blp.arguments(schemas.CheckInSchema)
@blp.response(200, schemas.RegistrationSchema)
def check_in(data, event_id):
    """Check a person in by the code shown on their phone."""
    reg = services.check_in(current_account(), _event(event_id), data["code"])
    db.session.commit()
    return reg


@blp.route("/events/<int:event_id>/photos", methods=["POST"])
@api_auth
@blp.arguments(schemas.PhotoSchema)
@blp.response(201, schemas.PhotoSchema)
def add_photo(data, event_id):
    """Add a photo; photos showing a child without the guardian's consent are refused."""
    photo = services.add_photo(current_account(), _event(event_id), data["url"], data["caption"],
                               data["people_ids"])
    db.session.commit()
    return photo


@blp.route("/events/<int:event_id>/photos/upload", methods=["POST"])
@api_auth
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary"}, "caption": {"type": "string", "maxLength": 200},
                   "people_ids": {"type": "array", "items": {"type": "integer"}}}}}}})
@blp.response(201, schemas.PhotoSchema)
def upload_photo(event_id):
    """Upload a photo as multipart ``file`` (JPEG, PNG, GIF or WebP by content), with ``caption`` and
    ``people_ids`` (repeated); a photo showing a child without the guardian's consent is refused."""
    event = _event(event_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        raise Invalid(fields={"file": [_l("This field is required.")]})
    photo = services.add_photo(current_account(), event, caption=request.form.get("caption", ""),
                               people_ids=request.form.getlist("people_ids"),
                               upload=Upload(file.filename, file.read()))
    db.session.commit()
    return photo


@blp.route("/photos/<int:photo_id>/file")
@api_auth
@blp.doc(responses={"200": {"description": "The photo", "content": {
    t: {"schema": {"type": "string", "format": "binary"}} for t in ("image/jpeg", "image/png", "image/gif",
                                                                     "image/webp")}}})
def photo_file(photo_id):
    """The bytes of an uploaded photo (for those who manage or check in at its event)."""
    photo = services.photo_for(current_account(), photo_id)
    resp = Response(photo.data, mimetype=photo.content_type)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@blp.route("/venues", methods=["POST"])
@api_auth
@blp.arguments(schemas.VenueSchema)
@blp.response(201, schemas.VenueSchema)
def create_venue(data):
    """Add a venue of a community."""
    community = db.session.get(Community, data["community_id"])
    if community is None:
        raise Invalid(fields={"community_id": [_l("Not found.")]})
    venue = services.create_venue(current_account(), community, data["name"], data["capacity"])
    db.session.commit()
    return venue


@blp.route("/venues/<int:venue_id>/bookings", methods=["POST"])
@api_auth
@blp.arguments(schemas.BookingSchema)
@blp.response(201, schemas.BookingSchema)
def book(data, venue_id):
    """Book a venue; an overlap with another booking is refused (409)."""
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise NotFound()
    booking = services.book_venue(current_account(), venue, data["starts_at"], data["ends_at"], data["purpose"])
    db.session.commit()
    return booking


@blp.route("/festivals")
@api_auth
@blp.arguments(schemas.FestivalQuerySchema, location="query")
@blp.response(200, schemas.FestivalSchema(many=True))
def festivals(query):
    """Upcoming festivals with the age groups and functions to plan for."""
    if not can(current_account(), "culture_events.event.manage"):
        raise Forbidden()
    today = services.local_day(utcnow())
    return [{**f, "idea": str(f["idea"])} for f in services.upcoming_festivals(today, query["days"])]


@blp.route("/report")
@api_auth
@blp.arguments(schemas.ReportQuerySchema, location="query")
@blp.response(200, schemas.ReportSchema)
def report(query):
    """Participation of a community: rates by age group and building, repeat participants, care reach."""
    community = db.session.get(Community, query["community_id"])
    if community is None:
        raise NotFound()
    require(current_account(), "culture_events.report.read", community=community)
    if query["until"] < query["since"]:
        raise Invalid(fields={"until": [_l("Must not be before since.")]})
    data = services.participation([community.id], query["since"], query["until"],
                                  limits=services.AgeLimits.for_scope(community=community))
    data["by_community"] = {str(k): v for k, v in data["by_community"].items()}
    data["by_building"] = {str(k): v for k, v in data["by_building"].items()}
    data["care_needs"] = services.care_needs_reach([community.id], query["since"], query["until"])
    return data



# ---------------------------------------------------------------------------------------------
# Clubs and polls
# ---------------------------------------------------------------------------------------------


def _community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise Invalid(fields={"community_id": [_l("Not found.")]})
    return community


@blp.route("/clubs")
class Clubs(MethodView):
    @api_auth
    @blp.arguments(schemas.ClubQuerySchema, location="query")
    @blp.response(200, schemas.ClubSchema(many=True))
    def get(self, query):
        """The active clubs of a community (its staff, or residents living there)."""
        community = _community(query["community_id"])
        account = current_account()
        if not can(account, "culture_events.event.manage", community=community):
            person = account.person
            if person is None or community.id not in {c for (c,) in db.session.execute(
                    select(Unit.community_id).where(Unit.id.in_(person_unit_ids(person.id) or {0})))}:
                raise Forbidden()
        return db.session.scalars(select(Club).where(Club.community_id == community.id, Club.active.is_(True))
                                  .order_by(Club.name)).all()

    @api_auth
    @blp.arguments(schemas.ClubSchema)
    @blp.response(201, schemas.ClubSchema)
    def post(self, data):
        """Found a standing club of a community."""
        club = services.create_club(current_account(), _community(data["community_id"]), data["name"],
                                    data["description"], data["age_groups"], data["schedule"])
        db.session.commit()
        return club


def _club(club_id: int) -> Club:
    club = db.session.get(Club, club_id)
    if club is None:
        raise NotFound()
    return club


@blp.route("/clubs/<int:club_id>/members", methods=["POST"])
@api_auth
@blp.arguments(schemas.JoinSchema)
@blp.response(201, schemas.MemberSchema)
def join_club(data, club_id):
    """Join a club (yourself or a member of your household)."""
    from core import Person

    by = _person()
    person = by if not data.get("person_id") else db.session.get(Person, data["person_id"])
    if person is None:
        raise Invalid(fields={"person_id": [_l("Not found.")]})
    member = services.join_club(by, _club(club_id), person)
    db.session.commit()
    return member


@blp.route("/clubs/<int:club_id>/sessions", methods=["POST"])
@api_auth
@blp.arguments(schemas.SessionSchema)
@blp.response(201, schemas.SessionSchema)
def add_session(data, club_id):
    """Schedule a club session (booking its venue)."""
    venue = None
    if data.get("venue_id"):
        venue = db.session.get(Venue, data["venue_id"])
        if venue is None:
            raise Invalid(fields={"venue_id": [_l("Not found.")]})
    session = services.add_club_session(current_account(), _club(club_id), data["starts_at"], data["ends_at"], venue)
    db.session.commit()
    return session


@blp.route("/club_sessions/<int:session_id>/attendance", methods=["POST"])
@api_auth
@blp.arguments(schemas.AttendanceSchema)
@blp.response(200, schemas.AttendanceResultSchema)
def club_attendance(data, session_id):
    """Record which members came to a session."""
    session = db.session.get(ClubSession, session_id)
    if session is None:
        raise NotFound()
    n = services.record_club_attendance(current_account(), session, data["person_ids"])
    db.session.commit()
    return {"recorded": n}


@blp.route("/polls", methods=["POST"])
@api_auth
@blp.arguments(schemas.PollSchema)
@blp.response(201, schemas.PollSchema)
def create_poll(data):
    """Ask residents what they would join."""
    poll = services.create_poll(current_account(), _community(data["community_id"]), data["question"],
                                data["options"], data["closes_at"])
    db.session.commit()
    return {"id": poll.id, "community_id": poll.community_id, "question": poll.question,
            "options": poll.option_list, "closes_at": poll.closes_at}


def _poll(poll_id: int) -> Poll:
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise NotFound()
    return poll


@blp.route("/polls/<int:poll_id>/votes", methods=["POST"])
@api_auth
@blp.arguments(schemas.VoteSchema)
@blp.response(204)
def vote(data, poll_id):
    """Say which options you would join (replaces your earlier answer)."""
    services.vote(_person(), _poll(poll_id), data["options"])
    db.session.commit()


@blp.route("/polls/<int:poll_id>/demand")
@api_auth
@blp.response(200, schemas.DemandSchema)
def demand(poll_id):
    """Demand for each option by age group."""
    poll = _poll(poll_id)
    services.require_on(current_account(), "culture_events.event.manage", poll)
    return {"poll_id": poll.id, "demand": services.poll_demand(poll)}
