"""Meetings of the owners' assembly, their voter roll, ballots, elections and committees."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import Model, UTCDateTime


class Meeting(Model):
    """One meeting of a community's owners' assembly; its roll is frozen when the notice goes up."""

    __tablename__ = "owners_assembly_meetings"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="regular")  # regular, extraordinary, first
    form: Mapped[str] = mapped_column(String(20), default="online")  # in_person, door_to_door, online, mixed
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)  # draft, noticed, closed
    cutoff_date: Mapped[dt.date] = mapped_column(Date)
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    location: Mapped[str | None] = mapped_column(String(200))
    convened_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    noticed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    notice_id: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result_notice_id: Mapped[int | None] = mapped_column(Integer)
    total_area: Mapped[int] = mapped_column(BigInteger, default=0)  # hundredths of m², exact
    total_heads: Mapped[int] = mapped_column(Integer, default=0)
    # Targets by module path: a bare class name is looked up across every plugin's models.
    items: Mapped[list[AgendaItem]] = relationship(
        "plugins.owners_assembly.models.AgendaItem", back_populates="meeting",
        order_by="plugins.owners_assembly.models.AgendaItem.position")


class AgendaItem(Model):
    __tablename__ = "owners_assembly_items"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_meetings.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    decision_class: Mapped[str] = mapped_column(String(10))  # special (3/4) or ordinary (> 1/2)
    kind: Mapped[str] = mapped_column(String(10), default="resolution")  # resolution or election
    seats: Mapped[int | None] = mapped_column(Integer)
    source_ref: Mapped[str | None] = mapped_column(String(80))  # what asked for the decision
    # filled when the meeting closes
    result: Mapped[dict | None] = mapped_column(JSON)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    meeting: Mapped[Meeting] = relationship("plugins.owners_assembly.models.Meeting", back_populates="items")
    candidates: Mapped[list[Candidate]] = relationship(
        "plugins.owners_assembly.models.Candidate", order_by="plugins.owners_assembly.models.Candidate.id")


class RollEntry(Model):
    """One voter: a person, an organisation, or the developer for all its unsold units together."""

    __tablename__ = "owners_assembly_roll"
    __table_args__ = (UniqueConstraint("meeting_id", "voter_key"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_meetings.id"), index=True)
    voter_key: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(120))
    units: Mapped[str] = mapped_column(Text)  # unit labels, published with the roll
    area: Mapped[int] = mapped_column(BigInteger)  # hundredths of m² of exclusive area
    heads: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[str | None] = mapped_column(Text)


class Proxy(Model):
    """A written authorisation for another person to vote for a roll entry."""

    __tablename__ = "owners_assembly_proxies"
    __table_args__ = (UniqueConstraint("roll_entry_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_meetings.id"), index=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_roll.id"))
    proxy_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    document_ref: Mapped[str] = mapped_column(String(120))  # the signed authorisation on file
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class Ballot(Model):
    """The one ballot of a roll entry on an agenda item; changeable until the meeting closes."""

    __tablename__ = "owners_assembly_ballots"
    __table_args__ = (UniqueConstraint("item_id", "roll_entry_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_meetings.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_items.id"), index=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_roll.id"), index=True)
    choice: Mapped[str] = mapped_column(String(10))  # agree, disagree, abstain
    channel: Mapped[str] = mapped_column(String(10))  # online or paper
    cast_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ballot_number: Mapped[str | None] = mapped_column(String(40))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    changes: Mapped[int] = mapped_column(Integer, default=0)


class Candidate(Model):
    __tablename__ = "owners_assembly_candidates"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_items.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    name: Mapped[str] = mapped_column(String(60))
    statement: Mapped[str] = mapped_column(Text, default="")
    rc_comment: Mapped[str | None] = mapped_column(Text)  # the residents' committee on eligibility
    eligible: Mapped[bool] = mapped_column(Boolean, default=True)


class ElectionVote(Model):
    """A roll entry's vote for one candidate (up to the number of seats per entry)."""

    __tablename__ = "owners_assembly_election_votes"
    __table_args__ = (UniqueConstraint("item_id", "roll_entry_id", "candidate_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_items.id"), index=True)
    roll_entry_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_roll.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_candidates.id"))


class Demand(Model):
    """Owners asking for an extraordinary meeting; at 20% the committee is told to convene one."""

    __tablename__ = "owners_assembly_demands"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    opened_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class DemandSignature(Model):
    __tablename__ = "owners_assembly_demand_signatures"
    __table_args__ = (UniqueConstraint("demand_id", "person_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("owners_assembly_demands.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))


class Proposal(Model):
    """A matter another module needs the assembly to decide (``decision_required``)."""

    __tablename__ = "owners_assembly_proposals"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    decision_class: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("owners_assembly_items.id"))


class Committee(Model):
    """An elected owners' committee with its term and registration (备案) with the authorities."""

    __tablename__ = "owners_assembly_committees"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("owners_assembly_meetings.id"))
    elected_on: Mapped[dt.date] = mapped_column(Date)
    term_end: Mapped[dt.date] = mapped_column(Date)
    register_by: Mapped[dt.date] = mapped_column(Date)
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    registration_ref: Mapped[str | None] = mapped_column(String(80))
    members: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "person_id", "candidate_id"}]
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
