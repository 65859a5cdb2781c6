"""Accounts, role grants on a scope, and API tokens (stored hashed)."""

from __future__ import annotations

import datetime as dt
import enum

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.database import Model, UTCDateTime
from core.people.models import Person
from core.places.models import Organisation


class Role(enum.StrEnum):
    platform_admin = "platform_admin"
    company_admin = "company_admin"
    manager = "manager"
    staff = "staff"
    guard = "guard"
    committee_member = "committee_member"
    rc_staff = "rc_staff"
    drugfree_officer = "drugfree_officer"
    developer_rep = "developer_rep"
    auditor = "auditor"


class ScopeType(enum.StrEnum):
    platform = "platform"  # platform_admin only
    company = "company"  # every community the organisation serves
    street = "street"  # every area of a street office
    area = "area"  # an area and its communities
    community = "community"


class Account(UserMixin, Model):
    __tablename__ = "accounts"
    __sensitive__ = ("password_hash",)

    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(60))
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(8))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Targets by module path or class: a bare class name is looked up across every plugin's models.
    organisation: Mapped[Organisation | None] = relationship(Organisation)
    person: Mapped[Person | None] = relationship(Person)
    grants: Mapped[list[Grant]] = relationship(
        "core.auth.models.Grant", back_populates="account", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}


class Grant(Model):
    """A role granted to an account on a scope, on behalf of an organisation."""

    __tablename__ = "grants"
    __table_args__ = (UniqueConstraint("account_id", "role", "scope_type", "scope_id"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=32))
    scope_type: Mapped[ScopeType] = mapped_column(Enum(ScopeType, native_enum=False, length=16))
    scope_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    account: Mapped[Account] = relationship("core.auth.models.Account", back_populates="grants")


class ApiToken(Model):
    """A bearer token: only its SHA-256 is kept, so a database leak reveals no usable token."""

    __tablename__ = "api_tokens"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    account: Mapped[Account] = relationship("core.auth.models.Account")
