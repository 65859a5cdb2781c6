"""Tickets API under /api/v1/tickets: tickets, comments, attachments, transitions, ratings, 回访,
categories and the SLA lists. Owners (through their own token) see only their own tickets."""

from __future__ import annotations

from flask import Response, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.api import Blueprint, api_auth, current_account, page_of, page_schema
from core.auth.permissions import can, require, visible_community_ids
from core.database import db
from core.errors import Invalid, NotFound
from core.people.models import Person
from core.places.models import Community, Unit
from core.tickets import schemas, services
from core.tickets.models import (
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketComment,
    TicketTeam,
    TicketTransition,
)

blp = Blueprint("tickets_api", __name__, url_prefix="/api/v1/tickets", description="Service tickets")


def _community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise Invalid(fields={"community_id": [_l("No such community.")]})
    return community


@blp.route("")
@api_auth(read_only=True)
@blp.arguments(schemas.TicketQuerySchema, location="query")
@blp.response(200, page_schema(schemas.TicketSchema))
def list_tickets(args):
    """Tickets the caller may see, newest first (staff: their communities; owners: their own)."""
    stmt = services.visible_tickets_stmt(current_account())
    if args.get("community_id"):
        stmt = stmt.where(Ticket.community_id == args["community_id"])
    if args.get("status"):
        stmt = stmt.where(Ticket.status == args["status"])
    if args.get("assignee_id"):
        stmt = stmt.where(Ticket.assignee_id == args["assignee_id"])
    if args.get("category_code"):
        stmt = stmt.join(TicketCategory, TicketCategory.id == Ticket.category_id).where(
            TicketCategory.code == args["category_code"])
    return page_of(stmt.order_by(Ticket.opened_at.desc(), Ticket.id.desc()), args)


@blp.route("", methods=["POST"])
@api_auth
@blp.arguments(schemas.TicketCreateSchema)
@blp.response(201, schemas.TicketSchema)
def create(args):
    """Open a ticket: an owner for their own unit, or staff for an owner (e.g. a phone call)."""
    account = current_account()
    community = _community(args["community_id"])
    unit = None
    if args.get("unit_id") is not None:
        unit = db.session.get(Unit, args["unit_id"])
        if unit is None:
            raise Invalid(fields={"unit_id": [_l("No such unit.")]})
    reporter = None
    if args.get("reporter_person_id") is not None:
        reporter = db.session.get(Person, args["reporter_person_id"])
        if reporter is None:
            raise Invalid(fields={"reporter_person_id": [_l("No such person.")]})
    channel = args["channel"] if services.is_staff(account, community) else "api"
    ticket = services.create_ticket(account, community=community, unit=unit, category_code=args["category_code"],
                                    title=args["title"], description=args["description"], channel=channel,
                                    reporter_person=reporter)
    db.session.commit()
    return ticket


@blp.route("/<int:ticket_id>")
@api_auth(read_only=True)
@blp.response(200, schemas.TicketSchema)
def get(ticket_id):
    """One ticket."""
    return services.get_visible(current_account(), ticket_id)


@blp.route("/<int:ticket_id>/transitions")
@api_auth(read_only=True)
@blp.response(200, schemas.TransitionListSchema)
def transitions(ticket_id):
    """The status history and the actions the caller may take now."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    items = db.session.scalars(select(TicketTransition).where(TicketTransition.ticket_id == ticket.id)
                               .order_by(TicketTransition.id)).all()
    return {"items": items, "allowed": [t.code for t in services.allowed_actions(account, ticket)]}


@blp.route("/<int:ticket_id>/transitions", methods=["POST"])
@api_auth
@blp.arguments(schemas.TransitionCreateSchema)
@blp.response(200, schemas.TicketSchema)
def take_transition(args, ticket_id):
    """Move the ticket (accept, dispatch, arrive, hold, resume, resolve, close, reopen, cancel, …).

    409 ``invalid_transition`` names the allowed actions in ``error.allowed``."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    services.transition(account, ticket, args["action"], note=args["note"], assignee_id=args["assignee_id"],
                        team_id=args["team_id"], workers=args["workers"])
    db.session.commit()
    return ticket


@blp.route("/<int:ticket_id>/assignments", methods=["POST"])
@api_auth
@blp.arguments(schemas.AssignmentCreateSchema)
@blp.response(200, schemas.TicketSchema)
def reassign(args, ticket_id):
    """Reassign to another staff member or team, with the reason."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    services.reassign(account, ticket, assignee_id=args["assignee_id"], team_id=args["team_id"],
                      reason=args["reason"])
    db.session.commit()
    return ticket


@blp.route("/<int:ticket_id>/comments")
@api_auth(read_only=True)
@blp.response(200, schemas.CommentSchema(many=True))
def comments(ticket_id):
    """Comments (owners do not see internal ones)."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    stmt = select(TicketComment).where(TicketComment.ticket_id == ticket.id).order_by(TicketComment.id)
    if not can(account, "tickets.read", community=db.session.get(Community, ticket.community_id)):
        stmt = stmt.where(TicketComment.internal.is_(False))
    return db.session.scalars(stmt).all()


@blp.route("/<int:ticket_id>/comments", methods=["POST"])
@api_auth
@blp.arguments(schemas.CommentCreateSchema)
@blp.response(201, schemas.CommentSchema)
def add_comment(args, ticket_id):
    """Add a comment."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    comment = services.add_comment(account, ticket, args["body"], args["internal"])
    db.session.commit()
    return comment


@blp.route("/<int:ticket_id>/attachments")
@api_auth(read_only=True)
@blp.response(200, schemas.AttachmentSchema(many=True))
def attachments(ticket_id):
    """Photos and files of a ticket (metadata; fetch each from its own URL)."""
    ticket = services.get_visible(current_account(), ticket_id)
    return db.session.scalars(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
                              .order_by(TicketAttachment.id)).all()


@blp.route("/<int:ticket_id>/attachments", methods=["POST"])
@api_auth
@blp.response(201, schemas.AttachmentSchema(many=True))
def upload(ticket_id):
    """Upload photos as multipart ``files`` (checked by content: JPEG, PNG, GIF, WebP; PDF for plans)."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    files = [f for f in request.files.getlist("files") if f and f.filename]
    if not files:
        raise Invalid(fields={"files": [_l("This field is required.")]})
    uploads = [services.Upload(f.filename, f.read()) for f in files]
    rows = services.add_attachments(account, ticket, uploads)
    db.session.commit()
    return rows


@blp.route("/<int:ticket_id>/attachments/<int:attachment_id>")
@api_auth(read_only=True)
def download(ticket_id, attachment_id):
    """The file itself."""
    ticket = services.get_visible(current_account(), ticket_id)
    row = db.session.get(TicketAttachment, attachment_id)
    if row is None or row.ticket_id != ticket.id:
        raise NotFound()
    return attachment_response(row)


def attachment_response(row: TicketAttachment) -> Response:
    resp = Response(row.data, mimetype=row.content_type)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = "inline" if row.content_type.startswith("image/") else "attachment"
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@blp.route("/<int:ticket_id>/ratings", methods=["POST"])
@api_auth
@blp.arguments(schemas.RatingCreateSchema)
@blp.response(201, schemas.RatingSchema)
def rate(args, ticket_id):
    """The owner rates a resolved ticket, once."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    rating = services.rate(account, ticket, args["score"], args["comment"], channel="api")
    db.session.commit()
    return rating


@blp.route("/<int:ticket_id>/callbacks", methods=["POST"])
@api_auth
@blp.arguments(schemas.CallbackCreateSchema)
@blp.response(201, schemas.CallbackSchema)
def callback(args, ticket_id):
    """Record a 回访 (call-back)."""
    account = current_account()
    ticket = services.get_visible(account, ticket_id)
    row = services.record_callback(account, ticket, outcome=args["outcome"], attempts=args["attempts"],
                                   note=args["note"])
    db.session.commit()
    return row


@blp.route("/categories")
@api_auth
@blp.arguments(schemas.CategoryQuerySchema, location="query")
@blp.response(200, schemas.CategorySchema(many=True))
def categories(args):
    """The categories of a community (staff of it, or an owner or resident living there)."""
    account = current_account()
    community = _community(args["community_id"])
    staff_ok = can(account, "tickets.read", community=community)
    if not staff_ok:
        units = services.person_unit_ids(account.person_id) if account.person_id else set()
        lives_there = units and db.session.scalar(select(Unit.id).where(Unit.id.in_(units),
                                                                        Unit.community_id == community.id).limit(1))
        if not lives_there:
            raise NotFound()
    rows = services.categories(community, active_only=not staff_ok)
    db.session.commit()
    return rows


@blp.route("/categories", methods=["POST"])
@api_auth
@blp.arguments(schemas.CategoryCreateSchema)
@blp.response(201, schemas.CategorySchema)
def create_category(args):
    """Add a category to a community (``tickets.configure``)."""
    community = _community(args.pop("community_id"))
    cat = services.create_category(current_account(), community, args)
    db.session.commit()
    return cat


@blp.route("/categories/<int:category_id>", methods=["PATCH"])
@api_auth
@blp.arguments(schemas.CategoryWriteSchema)
@blp.response(200, schemas.CategorySchema)
def update_category(args, category_id):
    """Change a category's targets, procedure, priority or clock (``tickets.configure``)."""
    cat = db.session.get(TicketCategory, category_id)
    account = current_account()
    if cat is None or not can(account, "tickets.read", community=db.session.get(Community, cat.community_id)):
        raise NotFound()
    services.update_category(account, cat, args)
    db.session.commit()
    return cat


@blp.route("/sla")
@api_auth
@blp.arguments(schemas.CategoryQuerySchema, location="query")
@blp.response(200, schemas.SlaListSchema)
def sla(args):
    """Overdue and at-risk open tickets of a community, with the working calendar's warnings."""
    account = current_account()
    community = _community(args["community_id"])
    require(account, "tickets.read", community=community)
    ids = visible_community_ids(account, "tickets.read")
    lists = services.sla_lists({community.id} if ids is None or community.id in ids else set())
    return {**lists, "warnings": services.calendar_warnings(community)}


@blp.route("/teams")
@api_auth(read_only=True)
@blp.arguments(schemas.CategoryQuerySchema, location="query")
@blp.response(200, schemas.TeamSchema(many=True))
def teams(args):
    """Teams of a community that tickets can be dispatched to."""
    community = _community(args["community_id"])
    require(current_account(), "tickets.read", community=community)
    return services.teams(community)


@blp.route("/teams", methods=["POST"])
@api_auth
@blp.arguments(schemas.TeamCreateSchema)
@blp.response(201, schemas.TeamSchema)
def create_team(args):
    """Add a team (``tickets.configure``); members must handle tickets in the community."""
    community = _community(args["community_id"])
    team = services.create_team(current_account(), community, args["name"], args["member_ids"], args["leader_id"])
    db.session.commit()
    return team


@blp.route("/teams/<int:team_id>", methods=["PATCH"])
@api_auth
@blp.arguments(schemas.TeamUpdateSchema)
@blp.response(200, schemas.TeamSchema)
def update_team(args, team_id):
    """Rename a team or change its leader and members (``tickets.configure``)."""
    team = db.session.get(TicketTeam, team_id)
    if team is None:
        raise NotFound()
    services.update_team(current_account(), team, args.get("name", team.name),
                         args.get("member_ids", team.member_ids), args.get("leader_id", team.leader_id))
    db.session.commit()
    return team


@blp.route("/workload")
@api_auth(read_only=True)
@blp.arguments(schemas.CategoryQuerySchema, location="query")
@blp.response(200, schemas.WorkloadSchema(many=True))
def workload(args):
    """Open tickets per assignee in a community."""
    community = _community(args["community_id"])
    require(current_account(), "tickets.read", community=community)
    return services.workload(community)
