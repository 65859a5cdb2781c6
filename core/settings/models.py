"""Stored values of settings; their declarations (type, default, source) live in code."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Model


class SettingValue(Model):
    """A value of setting ``key`` on a scope: platform (scope_id NULL), an area or a community."""

    __tablename__ = "setting_values"
    __table_args__ = (UniqueConstraint("key", "scope_type", "scope_id"),)

    key: Mapped[str] = mapped_column(String(100), index=True)
    scope_type: Mapped[str] = mapped_column(String(16))  # platform, area, community
    scope_id: Mapped[int | None] = mapped_column(Integer)
    value: Mapped[object] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(200))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
