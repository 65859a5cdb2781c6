"""Tables of the security_guard plugin (all prefixed ``security_guard_``).

No table holds criminal or administrative records or fingerprints: the police vet those when they
issue the guard certificate (保安服务管理条例 §17; sealed records, 治安管理处罚法 §136). The company keeps
what it may check itself, the certificate number with its verification, and the vetting outcome.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import Account, Model, Person, UTCDateTime

P = "security_guard_"


class Score(TypeDecorator):
    """A score out of 100 with one decimal, stored as an integer count of tenths."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int(Decimal(str(value)) * 10)

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 10).quantize(Decimal("0.1"))


class GuardCandidate(Model):
    """An application to become a guard, moving applied → screened → interviewed → accepted/rejected."""

    __tablename__ = P + "candidates"
    __audit_restricted_to__ = "security_guard.candidates.read"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="applied", index=True)
    education: Mapped[str | None] = mapped_column(String(16))
    health_certificate_no: Mapped[str | None] = mapped_column(String(40))
    health_certificate_valid_until: Mapped[dt.date | None] = mapped_column(Date)
    exam_score: Mapped[int | None] = mapped_column(Integer)
    exam_date: Mapped[dt.date | None] = mapped_column(Date)
    certificate_no: Mapped[str | None] = mapped_column(String(40))
    certificate_verified_by: Mapped[str | None] = mapped_column(String(60))
    certificate_verified_on: Mapped[dt.date | None] = mapped_column(Date)
    certificate_verify_method: Mapped[str | None] = mapped_column(String(20))
    vetting_outcome: Mapped[str | None] = mapped_column(String(10))
    revocations: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates the company knows of
    eligibility: Mapped[list | None] = mapped_column(JSON)  # last check: [{code, passed, reason}]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    person = relationship(Person)
    interviews: Mapped[list[Interview]] = relationship("plugins.security_guard.models.Interview", back_populates="candidate",
                                                       order_by="plugins.security_guard.models.Interview.id")


class Interview(Model):
    __tablename__ = P + "interviews"
    __table_args__ = (UniqueConstraint("candidate_id", "interviewer_id"),)

    candidate_id: Mapped[int] = mapped_column(ForeignKey(P + "candidates.id"), index=True)
    interviewer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    candidate: Mapped[GuardCandidate] = relationship("plugins.security_guard.models.GuardCandidate", back_populates="interviews")


class Guard(Model):
    """A guard (or other staff member) in training and assessment: level and where they serve."""

    __tablename__ = P + "guards"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey(P + "candidates.id"))
    role: Mapped[str] = mapped_column(String(16), default="guard")  # guard, steward, repair, cleaning
    level: Mapped[int] = mapped_column(Integer, default=5)
    level_since: Mapped[dt.date] = mapped_column(Date)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey(P + "plans.id"), index=True)
    account = relationship(Account)


class Course(Model):
    __tablename__ = P + "courses"

    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))  # theory | practice
    hours: Mapped[int] = mapped_column(Integer)  # standard hours of 45 minutes


class Plan(Model):
    __tablename__ = P + "plans"

    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="guard")
    target_hours: Mapped[int] = mapped_column(Integer)


class TrainingSession(Model):
    __tablename__ = P + "sessions"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey(P + "courses.id"), index=True)
    trainer_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    day: Mapped[dt.date] = mapped_column(Date, index=True)  # the Asia/Shanghai day of starts_at
    kind: Mapped[str] = mapped_column(String(10))
    hours: Mapped[int] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(120))
    course: Mapped[Course] = relationship("plugins.security_guard.models.Course")
    attendance: Mapped[list[Attendance]] = relationship("plugins.security_guard.models.Attendance", back_populates="session")


class Attendance(Model):
    __tablename__ = P + "attendance"
    __table_args__ = (UniqueConstraint("session_id", "account_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey(P + "sessions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(10))
    hours: Mapped[int] = mapped_column(Integer)
    present: Mapped[bool | None] = mapped_column(Boolean)  # None until the register is taken
    session: Mapped[TrainingSession] = relationship("plugins.security_guard.models.TrainingSession", back_populates="attendance")


class Question(Model):
    __tablename__ = P + "questions"

    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # single, multiple, true_false, practical
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list] = mapped_column(JSON, default=list)
    correct: Mapped[object] = mapped_column(JSON, nullable=True)  # never sent to the exam taker
    points: Mapped[int] = mapped_column(Integer, default=1)
    level: Mapped[int] = mapped_column(Integer, default=5, server_default="5")  # 五级 … 一级 as 5 … 1


class Exam(Model):
    __tablename__ = P + "exams"

    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer, default=5)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    pass_mark: Mapped[int] = mapped_column(Integer, default=60)
    question_ids: Mapped[list] = mapped_column(JSON, default=list)


class Attempt(Model):
    __tablename__ = P + "attempts"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey(P + "exams.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)  # 1 = first sitting, 2+ = retakes
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    practical: Mapped[dict] = mapped_column(JSON, default=dict)  # question id → points by the examiner
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    score: Mapped[Decimal | None] = mapped_column(Score())
    passed: Mapped[bool | None] = mapped_column(Boolean, index=True)
    exam: Mapped[Exam] = relationship("plugins.security_guard.models.Exam")


class Certificate(Model):
    __tablename__ = P + "certificates"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey(P + "attempts.id"), unique=True)
    holder_name: Mapped[str] = mapped_column(String(60))
    exam_title: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Score())
    issued_on: Mapped[dt.date] = mapped_column(Date)


class PatrolRoute(Model):
    __tablename__ = P + "patrol_routes"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    checkpoints: Mapped[list[Checkpoint]] = relationship("plugins.security_guard.models.Checkpoint",
                                                         order_by="plugins.security_guard.models.Checkpoint.position")


class Checkpoint(Model):
    __tablename__ = P + "checkpoints"

    route_id: Mapped[int] = mapped_column(ForeignKey(P + "patrol_routes.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)


class PatrolRound(Model):
    __tablename__ = P + "patrol_rounds"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    route_id: Mapped[int] = mapped_column(ForeignKey(P + "patrol_routes.id"), index=True)
    guard_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    missed: Mapped[list | None] = mapped_column(JSON)  # checkpoint ids not checked in, set at finish
    missed_count: Mapped[int | None] = mapped_column(Integer)
    checkins: Mapped[list[CheckIn]] = relationship("plugins.security_guard.models.CheckIn", order_by="plugins.security_guard.models.CheckIn.at")


class CheckIn(Model):
    __tablename__ = P + "checkins"
    __table_args__ = (UniqueConstraint("round_id", "checkpoint_id"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey(P + "patrol_rounds.id"), index=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey(P + "checkpoints.id"))
    guard_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Incident(Model):
    __tablename__ = P + "incidents"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    guard_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    description: Mapped[str] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(Integer)  # the service ticket, when core offers tickets


class Rating(Model):
    """An owner's rating of guard service (1–5): from a rated guard-service ticket, or a short survey."""

    __tablename__ = P + "ratings"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, unique=True)  # None: a survey answer
    source: Mapped[str] = mapped_column(String(10), default="ticket")  # ticket | survey
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)  # survey: who answered
    period: Mapped[str | None] = mapped_column(String(7))  # survey: YYYY-MM, one answer a month per person
    score: Mapped[int] = mapped_column(Integer)


class GateVisit(Model):
    """The gate log: a visitor or a vehicle, in and out; owners may pre-register a visitor."""

    __tablename__ = P + "visits"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    visitor_name: Mapped[str | None] = mapped_column(String(60))
    plate: Mapped[str | None] = mapped_column(String(12), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    expected_on: Mapped[dt.date | None] = mapped_column(Date)
    preregistered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    out_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class Commendation(Model):
    __tablename__ = P + "commendations"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    guard_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    proposed_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    deed: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="proposed")  # proposed, awarded, declined
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)


class Discipline(Model):
    """A breach of the prohibited acts (保安服务管理条例 §30) or of company rules, with its sanction."""

    __tablename__ = P + "discipline"
    __audit_restricted_to__ = "security_guard.discipline.manage"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    guard_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    act: Mapped[str] = mapped_column(String(32))  # code from the §30 list of prohibited acts
    sanction: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class Post(Model):
    """A guard post (岗位) of a community, e.g. the east gate."""

    __tablename__ = P + "posts"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))


class Shift(Model):
    """A guard on a post from ``starts_at`` to ``ends_at`` (排班)."""

    __tablename__ = P + "shifts"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey(P + "posts.id"), index=True)
    guard_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class FellowshipEvent(Model):
    """A guard–owner activity (联谊); participation is reported through ``activity_recorded``."""

    __tablename__ = P + "fellowship_events"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    day: Mapped[dt.date] = mapped_column(Date)
    participants: Mapped[int] = mapped_column(Integer)
