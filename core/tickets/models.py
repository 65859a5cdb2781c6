"""Service tickets: categories with written procedures, grade-standard profiles, tickets and their
history (transitions, assignments, holds, comments, attachments), ratings, 回访 call-backs and SLA
breaches. Every table is scoped (``area_id`` and ``community_id``, both indexed) and named ``tickets_*``.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from core.database import Model, UTCDateTime, utcnow


class GradeProfile(Model):
    """The service-grade standard a community is held to (DOMAIN.md §1): editable, since cities
    publish their own. It supplies the defaults of new categories (e.g. emergency arrival in 30 min)."""

    __tablename__ = "tickets_profiles"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True, unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer, default=1)
    source: Mapped[str] = mapped_column(String(200))
    hotline_24h: Mapped[bool] = mapped_column(Boolean, default=True)
    emergency_arrival_minutes: Mapped[int] = mapped_column(Integer, default=30)
    repair_response_minutes: Mapped[int] = mapped_column(Integer, default=30)
    satisfaction_target_pct: Mapped[int] = mapped_column(Integer, default=80)
    surveys_per_year: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str | None] = mapped_column(Text)


class TicketCategory(Model):
    """A kind of request in one community, with its workflow, written procedure and time targets."""

    __tablename__ = "tickets_categories"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    workflow: Mapped[str] = mapped_column(String(40))  # repair, enquiry, renovation, or a plugin's
    procedure: Mapped[list] = mapped_column(JSON, default=list)  # ordered steps staff tick off
    response_minutes: Mapped[int | None] = mapped_column(Integer)
    arrival_minutes: Mapped[int | None] = mapped_column(Integer)  # on site (repairs)
    resolution_minutes: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=3)  # 1 urgent … 4 low
    around_the_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    origin: Mapped[str] = mapped_column(String(60), default="core")  # core, or the plugin that offered it
    sort_order: Mapped[int] = mapped_column(Integer, default=100)


class TicketTeam(Model):
    """A team tickets can be dispatched to (e.g. the maintenance crew)."""

    __tablename__ = "tickets_teams"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    member_ids: Mapped[list] = mapped_column(JSON, default=list)


class Ticket(Model):
    """One request from an owner (or raised by staff), moving through its category's workflow.

    Deadlines are stored (UTC) when the ticket is created and extended by on-hold time; the
    ``*_at`` stamps record when each clock was met. ``rating_score`` mirrors the rating for reports.
    """

    __tablename__ = "tickets_tickets"
    __table_args__ = (
        Index("ix_tickets_tickets_community_status", "community_id", "status"),
        Index("ix_tickets_tickets_community_created", "community_id", "created_at"),
        # the ticket lists: a community's tickets, newest opened first
        Index("ix_tickets_tickets_community_opened", "community_id", "opened_at"),
        Index("ix_tickets_tickets_unit_category", "unit_id", "category_id"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("tickets_categories.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    workflow: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(32), index=True)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))  # portal, phone, api, reception, staff
    around_the_clock: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("tickets_teams.id"), index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    response_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    arrival_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolution_due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    arrived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # on hold since
    paused_minutes: Mapped[int] = mapped_column(Integer, default=0)  # working minutes on hold so far
    response_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    arrival_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("tickets_tickets.id"))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    rating_score: Mapped[int | None] = mapped_column(Integer)
    callback_done: Mapped[bool] = mapped_column(Boolean, default=False)
    steps_done: Mapped[list] = mapped_column(JSON, default=list)  # indexes of procedure steps ticked
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # workflow data (plans, conditions, passes)
    deposit_charge_ref: Mapped[str | None] = mapped_column(String(80))
    deposit_paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    deposit_refund_ref: Mapped[str | None] = mapped_column(String(80))

    # Targets by module path or class: a bare class name is looked up across every plugin's models.
    category: Mapped[TicketCategory] = relationship("core.tickets.models.TicketCategory")
    transitions: Mapped[list[TicketTransition]] = relationship(
        "core.tickets.models.TicketTransition", back_populates="ticket",
        order_by="core.tickets.models.TicketTransition.id")


class TicketTransition(Model):
    """Every status change: who moved the ticket, when, from what to what, and why."""

    __tablename__ = "tickets_transitions"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)
    ticket: Mapped[Ticket] = relationship("core.tickets.models.Ticket", back_populates="transitions")


class TicketAssignment(Model):
    """Dispatch history: to whom (a staff member and/or a team), by whom, and the reason for a change."""

    __tablename__ = "tickets_assignments"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("tickets_teams.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str | None] = mapped_column(String(300))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketHold(Model):
    """A period on hold (waiting for the owner or parts): pauses the clocks."""

    __tablename__ = "tickets_holds"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    paused_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resumed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paused_minutes: Mapped[int | None] = mapped_column(Integer)  # working minutes, set on resume


class TicketComment(Model):
    """A comment on the timeline; ``internal`` ones are visible to staff only."""

    __tablename__ = "tickets_comments"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    author_name: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)


class TicketAttachment(Model):
    """A photo or document; the bytes live in the database so app nodes stay stateless."""

    __tablename__ = "tickets_attachments"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    __sensitive__ = ("data",)


class TicketRating(Model):
    """The owner's rating of a resolved ticket: 1–5 and a comment; one per ticket."""

    __tablename__ = "tickets_ratings"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    channel: Mapped[str] = mapped_column(String(16))  # portal, link, api
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketCallback(Model):
    """A 回访 (call-back) by staff after a rating of 3 or below, or as a quality check. Kept for good."""

    __tablename__ = "tickets_callbacks"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    outcome: Mapped[str] = mapped_column(String(32))  # resolved, explained, follow_up, unreachable
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TicketBreach(Model):
    """A missed deadline, found by the SLA check; one row per ticket and clock."""

    __tablename__ = "tickets_breaches"
    __table_args__ = (UniqueConstraint("ticket_id", "clock"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets_tickets.id"), index=True)
    clock: Mapped[str] = mapped_column(String(16))  # response, arrival, resolution
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
