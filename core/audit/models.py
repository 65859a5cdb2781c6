"""The append-only audit log."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Model, UTCDateTime, utcnow


class AuditEntry(Model):
    """Who did what to which record, when, on which scope. Never updated, never deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_scope_at", "area_id", "community_id", "at"),)
    __audited__ = False

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(Integer, index=True)
    community_id: Mapped[int | None] = mapped_column(Integer, index=True)
    module: Mapped[str] = mapped_column(String(40), default="core", index=True)
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(40))  # create, update, delete, read, export, login, ...
    changes: Mapped[dict | None] = mapped_column(JSON)
    # A permission name: only accounts holding it on the scope may read this entry.
    restricted_to: Mapped[str | None] = mapped_column(String(60), index=True)
    ip: Mapped[str | None] = mapped_column(String(45))
