"""People, and who owns and who lives in each unit (so 人户分离 and tenants count where they live)."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Encrypted, Model
from core.places.models import Organisation, Unit
from core.security import mask, mask_phone


class Gender(enum.StrEnum):
    male = "male"
    female = "female"
    other = "other"


class IdType(enum.StrEnum):
    resident_id = "resident_id"  # 居民身份证
    passport = "passport"
    hk_macao_permit = "hk_macao_permit"  # 港澳居民居住证/通行证
    taiwan_permit = "taiwan_permit"
    foreign_permanent = "foreign_permanent"  # 外国人永久居留身份证


class Person(Model):
    """A natural person. ID number and care needs are sensitive: encrypted, indexed blind, masked."""

    __tablename__ = "people"
    __sensitive__ = ("id_number", "care_needs", "phone")

    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)  # where they live
    # the community whose register added them (their units may later be elsewhere too)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    gender: Mapped[Gender | None] = mapped_column(Enum(Gender, native_enum=False, length=8))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(120))
    nationality: Mapped[str] = mapped_column(String(3), default="CHN")
    id_type: Mapped[IdType | None] = mapped_column(Enum(IdType, native_enum=False, length=24))
    id_number: Mapped[str | None] = mapped_column(Encrypted(400))
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    household_registration: Mapped[str | None] = mapped_column(String(200))  # 户籍
    actual_residence: Mapped[str | None] = mapped_column(String(200))
    care_needs: Mapped[str | None] = mapped_column(Encrypted(1000))  # e.g. elderly living alone
    care_consent: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def id_number_masked(self) -> str:
        return mask(self.id_number, 3, 4)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class Ownership(Model):
    """Person or organisation owns (a share of) a unit; co-owners name the one who votes."""

    __tablename__ = "ownerships"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal(1))
    is_voting_representative: Mapped[bool] = mapped_column(Boolean, default=True)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    # Targets by module path or class: a bare class name is looked up across every plugin's models.
    unit: Mapped[Unit] = relationship(Unit)
    person: Mapped[Person | None] = relationship("core.people.models.Person", foreign_keys=[person_id])
    organisation: Mapped[Organisation | None] = relationship(Organisation)


class ResidencyKind(enum.StrEnum):
    owner = "owner"
    family = "family"
    tenant = "tenant"
    temporary = "temporary"


class Residency(Model):
    """Person lives in unit (as owner, family, tenant or temporary resident) from/to."""

    __tablename__ = "residencies"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[ResidencyKind] = mapped_column(Enum(ResidencyKind, native_enum=False, length=16))
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    landlord_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    lease_start: Mapped[dt.date | None] = mapped_column(Date)
    lease_end: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[Unit] = relationship(Unit)
    person: Mapped[Person] = relationship("core.people.models.Person", foreign_keys=[person_id])
    landlord: Mapped[Person | None] = relationship("core.people.models.Person", foreign_keys=[landlord_id])
