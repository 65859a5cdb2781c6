"""Community culture: venues and their bookings, events, registrations, photos, clubs and polls."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from core import Model, Money, Person, UTCDateTime


def _enum(cls, length=16):
    return Enum(cls, native_enum=False, length=length)


class Organiser(enum.StrEnum):
    property_company = "property_company"
    residents_committee = "residents_committee"


class EventStatus(enum.StrEnum):
    published = "published"
    cancelled = "cancelled"


class Recurrence(enum.StrEnum):
    none = "none"
    weekly = "weekly"
    monthly = "monthly"


class RegStatus(enum.StrEnum):
    confirmed = "confirmed"
    waiting = "waiting"
    cancelled = "cancelled"


class Venue(Model):
    """A space or facility of the estate (activity room, square, court) that events book."""

    __tablename__ = "culture_events_venue"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class VenueBooking(Model):
    """A venue held from ``starts_at`` to ``ends_at`` (for an event or a club session)."""

    __tablename__ = "culture_events_booking"
    __table_args__ = (Index("ix_culture_events_booking_venue_time", "venue_id", "starts_at", "ends_at"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("culture_events_venue.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("culture_events_event.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Targets by module path or class: a bare class name is looked up across every plugin's models.
    venue: Mapped[Venue] = relationship("plugins.culture_events.models.Venue")


class Event(Model):
    """An activity of one community or of a whole residents' committee area (community_id empty)."""

    __tablename__ = "culture_events_event"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    organiser: Mapped[Organiser] = mapped_column(_enum(Organiser, 24))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("culture_events_venue.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    age_groups: Mapped[str] = mapped_column(String(60), default="all")  # comma separated
    capacity: Mapped[int] = mapped_column(Integer)
    registration_opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    registration_closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recurrence: Mapped[Recurrence] = mapped_column(_enum(Recurrence), default=Recurrence.none)
    recurrence_until: Mapped[dt.date | None] = mapped_column()
    series_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the first event of a series
    function_tags: Mapped[str] = mapped_column(String(120), default="")  # the six functions
    topic_tags: Mapped[str] = mapped_column(String(200), default="")
    fee: Mapped[Decimal | None] = mapped_column(Money())
    fee_item_code: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[EventStatus] = mapped_column(_enum(EventStatus), default=EventStatus.published)
    festival: Mapped[str | None] = mapped_column(String(20))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    lock_seq: Mapped[int] = mapped_column(Integer, default=0)  # bumped to serialise registrations on SQLite
    activity_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    venue: Mapped[Venue | None] = relationship("plugins.culture_events.models.Venue")

    @property
    def age_group_list(self) -> list[str]:
        return [g for g in self.age_groups.split(",") if g]

    @property
    def function_tag_list(self) -> list[str]:
        return [t for t in self.function_tags.split(",") if t]

    @property
    def topic_tag_list(self) -> list[str]:
        return [t for t in self.topic_tags.split(",") if t]


class Registration(Model):
    """A person's place (confirmed or waiting) at an event, made by them or a household member."""

    __tablename__ = "culture_events_registration"
    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_culture_events_registration_event_status", "event_id", "status"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("culture_events_event.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    status: Mapped[RegStatus] = mapped_column(_enum(RegStatus))
    age_group: Mapped[str] = mapped_column(String(16))  # on the event's day, for reports
    waiting_since: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    guardian_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    photo_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    checkin_code: Mapped[str] = mapped_column(String(12), unique=True)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    charge_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    feedback: Mapped[str | None] = mapped_column(Text)
    event: Mapped[Event] = relationship("plugins.culture_events.models.Event")
    person: Mapped[Person] = relationship(Person, foreign_keys=[person_id])


class EventPhoto(Model):
    """A photo of an event and the people shown on it (children need their guardian's consent)."""

    __tablename__ = "culture_events_photo"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("culture_events_event.id"), index=True)
    url: Mapped[str | None] = mapped_column(String(400))  # a photo kept elsewhere; empty when uploaded
    caption: Mapped[str] = mapped_column(String(200), default="")
    people_shown: Mapped[str] = mapped_column(String(400), default="")  # person ids, comma separated
    # An uploaded photo: the bytes live in the database so app nodes stay stateless (as ticket photos).
    filename: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(60))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    __sensitive__ = ("data",)


class Club(Model):
    """A standing club (sports and arts association, 小太阳 children's club, badminton)."""

    __tablename__ = "culture_events_club"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    age_groups: Mapped[str] = mapped_column(String(60), default="all")
    schedule: Mapped[str] = mapped_column(String(120), default="")  # e.g. "每周六 9:00"
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ClubMember(Model):
    __tablename__ = "culture_events_club_member"
    __table_args__ = (UniqueConstraint("club_id", "person_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("culture_events_club.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_on: Mapped[dt.date] = mapped_column()
    left_on: Mapped[dt.date | None] = mapped_column()
    person: Mapped[Person] = relationship(Person)


class ClubSession(Model):
    __tablename__ = "culture_events_club_session"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("culture_events_club.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("culture_events_venue.id"))


class ClubAttendance(Model):
    __tablename__ = "culture_events_club_attendance"
    __table_args__ = (UniqueConstraint("session_id", "person_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("culture_events_club_session.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)


class Poll(Model):
    """An interest poll: what would residents join? Demand is shown by age group."""

    __tablename__ = "culture_events_poll"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    question: Mapped[str] = mapped_column(String(200))
    options: Mapped[str] = mapped_column(Text)  # one per line
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    @property
    def option_list(self) -> list[str]:
        return [o.strip() for o in self.options.splitlines() if o.strip()]


class PollVote(Model):
    __tablename__ = "culture_events_poll_vote"
    __table_args__ = (UniqueConstraint("poll_id", "person_id", "option"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("culture_events_poll.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    option: Mapped[str] = mapped_column(String(120))
    age_group: Mapped[str] = mapped_column(String(16))
