"""The register of places: street offices ⊃ areas (居委会) ⊃ communities (小区) ⊃ buildings ⊃ units."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Area as AreaType
from core.database import Model


class OrgKind(enum.StrEnum):
    property_company = "property_company"
    street_office = "street_office"
    residents_committee = "residents_committee"
    owners_committee = "owners_committee"
    developer = "developer"


class Organisation(Model):
    """Property companies, street offices, residents' and owners' committees, developers."""

    __tablename__ = "organisations"

    kind: Mapped[OrgKind] = mapped_column(Enum(OrgKind, native_enum=False, length=32), index=True)
    name: Mapped[str] = mapped_column(String(120))
    credit_code: Mapped[str | None] = mapped_column(String(18))  # 统一社会信用代码
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    # A residents' committee runs one area; an owners' committee belongs to one community.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", use_alter=True), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", use_alter=True), index=True)
    street_office_id: Mapped[int | None] = mapped_column(ForeignKey("street_offices.id"), index=True)


class StreetOffice(Model):
    """街道办事处: supervises the residents' committees of its areas."""

    __tablename__ = "street_offices"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    district: Mapped[str | None] = mapped_column(String(120))
    # Targets by module path or class: a bare class name is looked up across every plugin's models.
    areas: Mapped[list[Area]] = relationship("core.places.models.Area", back_populates="street_office")


class Area(Model):
    """居委会辖区: the territory of one residents' committee; may hold several companies' communities."""

    __tablename__ = "areas"

    street_office_id: Mapped[int] = mapped_column(ForeignKey("street_offices.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    street_office: Mapped[StreetOffice] = relationship(
        "core.places.models.StreetOffice", back_populates="areas")
    communities: Mapped[list[Community]] = relationship("core.places.models.Community", back_populates="area")

    @property
    def area_id(self) -> int:
        return self.id


class Community(Model):
    """小区: served by one property company under a contract."""

    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("area_id", "name"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(200))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    developer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    contract_start: Mapped[dt.date | None] = mapped_column(Date)
    contract_end: Mapped[dt.date | None] = mapped_column(Date)
    hotline: Mapped[str | None] = mapped_column(String(32))
    area: Mapped[Area] = relationship("core.places.models.Area", back_populates="communities")
    company: Mapped[Organisation | None] = relationship(
        "core.places.models.Organisation", foreign_keys=[company_id])
    developer: Mapped[Organisation | None] = relationship(
        "core.places.models.Organisation", foreign_keys=[developer_id])
    buildings: Mapped[list[Building]] = relationship(
        "core.places.models.Building", back_populates="community",
        order_by="core.places.models.Building.name")

    @property
    def community_id(self) -> int:
        return self.id


class Building(Model):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    floors: Mapped[int | None] = mapped_column(Integer)
    steward_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)  # 管家
    community: Mapped[Community] = relationship("core.places.models.Community", back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(
        "core.places.models.Unit", back_populates="building", order_by="core.places.models.Unit.number")


class AreaSource(enum.StrEnum):
    register = "register"  # 不动产登记
    survey = "survey"  # 测绘
    contract = "contract"  # 买卖合同


class UnitUse(enum.StrEnum):
    residential = "residential"
    commercial = "commercial"
    parking = "parking"


class SaleStatus(enum.StrEnum):
    unsold = "unsold"
    sold = "sold"
    delivered = "delivered"


class Unit(Model):
    """A unit with both areas and where each came from (fees bill on one, votes count the other)."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("building_id", "number"),
        Index("ix_units_community_building", "community_id", "building_id"),
    )

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    floor: Mapped[int | None] = mapped_column(Integer)
    building_area: Mapped[Decimal | None] = mapped_column(AreaType)  # 建筑面积
    building_area_source: Mapped[AreaSource | None] = mapped_column(Enum(AreaSource, native_enum=False, length=16))
    exclusive_area: Mapped[Decimal | None] = mapped_column(AreaType)  # 专有部分面积
    exclusive_area_source: Mapped[AreaSource | None] = mapped_column(
        Enum(AreaSource, native_enum=False, length=16)
    )
    use: Mapped[UnitUse] = mapped_column(Enum(UnitUse, native_enum=False, length=16), default=UnitUse.residential)
    sale_status: Mapped[SaleStatus] = mapped_column(
        Enum(SaleStatus, native_enum=False, length=16), default=SaleStatus.sold
    )
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    building: Mapped[Building] = relationship("core.places.models.Building", back_populates="units")

    @property
    def label(self) -> str:
        return f"{self.building.name}-{self.number}"
