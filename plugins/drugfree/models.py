"""Drug-free community tables. The case table holds no plain link to a person: the person
reference, name, document number and details are encrypted (``core.Encrypted``) and found through
keyed blind indexes (``core.blind_index``). Every change is audited in entries only the
drugfree officer can read (``__audit_restricted_to__``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import Encrypted, Model, UTCDateTime

AUDIT_PERMISSION = "drugfree.audit.read"

LEGAL_BASES = ("police_notification", "community_order", "written_consent")


class _Restricted:
    __audit_module__ = "drugfree"
    __audit_restricted_to__ = AUDIT_PERMISSION


class Case(_Restricted, Model):
    """One person on the area's drug-control register (named mode)."""

    __tablename__ = "drugfree_cases"
    __sensitive__ = ("person_ref", "person_index", "name", "name_index", "id_number", "id_number_index",
                     "details")
    __table_args__ = (UniqueConstraint("area_id", "person_index", name="uq_drugfree_case_person"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    person_ref: Mapped[str | None] = mapped_column(Encrypted(400))  # core person id, encrypted
    person_index: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(Encrypted(400))
    name_index: Mapped[str | None] = mapped_column(String(64), index=True)
    id_number: Mapped[str | None] = mapped_column(Encrypted(400))
    id_number_index: Mapped[str | None] = mapped_column(String(64), index=True)
    details: Mapped[str | None] = mapped_column(Encrypted(12000))
    legal_basis: Mapped[str] = mapped_column(String(32))
    registered_on: Mapped[dt.date] = mapped_column(Date)
    last_use_on: Mapped[dt.date | None] = mapped_column(Date)
    clean_since: Mapped[dt.date | None] = mapped_column(Date)
    lives_in_area: Mapped[bool] = mapped_column(Boolean, default=True)
    monitoring_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    reduced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    demo: Mapped[bool] = mapped_column(Boolean, default=False)

    # Targets by module path: a bare class name is looked up across every plugin's models.
    statuses: Mapped[list[StatusChange]] = relationship(
        "plugins.drugfree.models.StatusChange", back_populates="case",
        order_by="plugins.drugfree.models.StatusChange.start", cascade="all, delete-orphan")
    relapses: Mapped[list[Relapse]] = relationship(
        "plugins.drugfree.models.Relapse", back_populates="case", order_by="plugins.drugfree.models.Relapse.day",
        cascade="all, delete-orphan")
    aftercare: Mapped[Aftercare | None] = relationship(
        "plugins.drugfree.models.Aftercare", back_populates="case", uselist=False, cascade="all, delete-orphan")


class StatusChange(_Restricted, Model):
    __tablename__ = "drugfree_status_changes"
    __sensitive__ = ("note",)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("drugfree_cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    start: Mapped[dt.date] = mapped_column(Date)
    sentence_months: Mapped[int | None] = mapped_column(Integer)
    reported_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Encrypted(6000))
    case: Mapped[Case] = relationship("plugins.drugfree.models.Case", back_populates="statuses")


class Relapse(_Restricted, Model):
    __tablename__ = "drugfree_relapses"
    __sensitive__ = ("note",)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("drugfree_cases.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Encrypted(6000))
    case: Mapped[Case] = relationship("plugins.drugfree.models.Case", back_populates="relapses")


class Aftercare(_Restricted, Model):
    """接茬帮教: the helper assigned to a returnee, and the visits."""

    __tablename__ = "drugfree_aftercare"
    __sensitive__ = ("helper",)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("drugfree_cases.id"), index=True, unique=True)
    helper: Mapped[str] = mapped_column(Encrypted(1000))
    assigned_on: Mapped[dt.date] = mapped_column(Date)
    case: Mapped[Case] = relationship("plugins.drugfree.models.Case", back_populates="aftercare")
    visits: Mapped[list[Visit]] = relationship(
        "plugins.drugfree.models.Visit", back_populates="aftercare", order_by="plugins.drugfree.models.Visit.day",
        cascade="all, delete-orphan")


class Visit(_Restricted, Model):
    __tablename__ = "drugfree_visits"
    __sensitive__ = ("note",)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    aftercare_id: Mapped[int] = mapped_column(ForeignKey("drugfree_aftercare.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Encrypted(6000))
    aftercare: Mapped[Aftercare] = relationship("plugins.drugfree.models.Aftercare", back_populates="visits")


class Incident(_Restricted, Model):
    """A recorded case of manufacturing, trafficking or cultivation in the area (no names)."""

    __tablename__ = "drugfree_incidents"
    __sensitive__ = ("note",)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # manufacture, trafficking, cultivation
    day: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Encrypted(6000))


class AreaPlan(_Restricted, Model):
    """An area's track: keep clean (保净土) or end use (禁吸戒毒), its mode, plan and target year."""

    __tablename__ = "drugfree_area_plans"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True, unique=True)
    mode: Mapped[str] = mapped_column(String(16), default="named")  # named | aggregate
    track: Mapped[str] = mapped_column(String(16), default="keep_clean")  # keep_clean | end_use
    target_year: Mapped[int | None] = mapped_column(Integer)
    plan: Mapped[str | None] = mapped_column(String(2000))


class AggregateReport(_Restricted, Model):
    """Aggregate mode: counts per category on a date, entered by the officer."""

    __tablename__ = "drugfree_aggregate_reports"
    __table_args__ = (UniqueConstraint("area_id", "on_date", name="uq_drugfree_aggregate_day"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    on_date: Mapped[dt.date] = mapped_column(Date)
    counts: Mapped[dict] = mapped_column(JSON)
    source: Mapped[str | None] = mapped_column(String(200))


class EvaluationRecord(_Restricted, Model):
    """The history of an area's evaluations (counts only, never names)."""

    __tablename__ = "drugfree_evaluations"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    on_date: Mapped[dt.date] = mapped_column(Date)
    mode: Mapped[str] = mapped_column(String(16))
    meets: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict] = mapped_column(JSON)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class ActivityCount(Model):
    """Anonymous participation in drug-prevention education (from ``activity_recorded``)."""

    __tablename__ = "drugfree_activity_counts"
    __audit_module__ = "drugfree"
    __table_args__ = (UniqueConstraint("area_id", "day", name="uq_drugfree_activity_day"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    day: Mapped[dt.date] = mapped_column(Date)
    events: Mapped[int] = mapped_column(Integer, default=0)
    participants: Mapped[int] = mapped_column(Integer, default=0)
