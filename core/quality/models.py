"""Reception days (接待日) and the annual owner-satisfaction survey.

Ticket figures (the quality dashboard) are computed from the tickets' own tables; this area keeps
only what it owns: reception days with their slots, bookings, raised issues and minutes, and
surveys with their questions, responses and answers.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Model, UTCDateTime


class ReceptionDay(Model):
    """A day when owners meet the company (and the developer or residents' committee if invited)."""

    __tablename__ = "quality_reception_days"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    title: Mapped[str] = mapped_column(String(120))
    location: Mapped[str] = mapped_column(String(120))
    # the company always attends; these say who else was invited
    developer_invited: Mapped[bool] = mapped_column(Boolean, default=False)
    residents_committee_invited: Mapped[bool] = mapped_column(Boolean, default=False)
    attendees: Mapped[str | None] = mapped_column(String(500))  # names / posts of who attends
    minutes: Mapped[str | None] = mapped_column(Text)
    minutes_recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    # Targets by module path or class: a bare class name is looked up across every plugin's models.
    slots: Mapped[list[ReceptionSlot]] = relationship(
        "core.quality.models.ReceptionSlot", back_populates="reception_day",
        order_by="core.quality.models.ReceptionSlot.starts_at")


class ReceptionSlot(Model):
    __tablename__ = "quality_reception_slots"
    __table_args__ = (CheckConstraint("capacity >= 1", name="capacity_positive"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    reception_day_id: Mapped[int] = mapped_column(ForeignKey("quality_reception_days.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    booked: Mapped[int] = mapped_column(Integer, default=0)  # kept with the bookings, under a row lock
    reception_day: Mapped[ReceptionDay] = relationship(
        "core.quality.models.ReceptionDay", back_populates="slots")


class BookingStatus(enum.StrEnum):
    booked = "booked"
    cancelled = "cancelled"


class ReceptionBooking(Model):
    """An owner's booking of a slot for one of their units."""

    __tablename__ = "quality_reception_bookings"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("quality_reception_slots.id"), index=True)
    reception_day_id: Mapped[int] = mapped_column(ForeignKey("quality_reception_days.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    topic: Mapped[str] = mapped_column(String(500))
    status: Mapped[BookingStatus] = mapped_column(Enum(BookingStatus, native_enum=False, length=16),
                                                  default=BookingStatus.booked)
    slot: Mapped[ReceptionSlot] = relationship("core.quality.models.ReceptionSlot")


class ReceptionIssue(Model):
    """Something raised at a reception day; turned into a ticket with one click."""

    __tablename__ = "quality_reception_issues"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    reception_day_id: Mapped[int] = mapped_column(ForeignKey("quality_reception_days.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("quality_reception_bookings.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    category_code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)  # set once a ticket is made
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)


class SurveyStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


class QuestionKind(enum.StrEnum):
    rating = "rating"  # 1–5: 非常不满意 … 非常满意
    text = "text"


class Survey(Model):
    """The annual owner-satisfaction survey of a community (one response per unit)."""

    __tablename__ = "quality_surveys"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    title: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[dt.date | None] = mapped_column(Date)
    closes_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[SurveyStatus] = mapped_column(Enum(SurveyStatus, native_enum=False, length=16),
                                                 default=SurveyStatus.draft)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    questions: Mapped[list[SurveyQuestion]] = relationship(
        "core.quality.models.SurveyQuestion", back_populates="survey",
        order_by="core.quality.models.SurveyQuestion.position")


class SurveyQuestion(Model):
    __tablename__ = "quality_survey_questions"

    survey_id: Mapped[int] = mapped_column(ForeignKey("quality_surveys.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(300))
    kind: Mapped[QuestionKind] = mapped_column(Enum(QuestionKind, native_enum=False, length=16),
                                               default=QuestionKind.rating)
    survey: Mapped[Survey] = relationship("core.quality.models.Survey", back_populates="questions")


class SurveyResponse(Model):
    __tablename__ = "quality_survey_responses"
    __table_args__ = (UniqueConstraint("survey_id", "unit_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("quality_surveys.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    comment: Mapped[str | None] = mapped_column(Text)


class SurveyAnswer(Model):
    __tablename__ = "quality_survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        Index("ix_quality_survey_answers_survey_building", "survey_id", "building_id"),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("quality_surveys.id"))
    response_id: Mapped[int] = mapped_column(ForeignKey("quality_survey_responses.id"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quality_survey_questions.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    text: Mapped[str | None] = mapped_column(Text)
