"""The calendar table: days whose kind differs from (or confirms) the package and the weekend rule."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Model


class CalendarDay(Model):
    """One day of the national calendar: a holiday (is_working False) or an adjusted working day
    (调休, is_working True). Rows override the chinesecalendar package.

    ``source``: ``package`` (seeded from chinesecalendar), ``import`` (an uploaded official
    schedule) or ``manual`` (entered by an admin).
    """

    __tablename__ = "calendar_days"
    __audit_module__ = "calendar"

    day: Mapped[dt.date] = mapped_column(Date, unique=True, index=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class CalendarYear(Model):
    """A year whose full official schedule is in the table (``complete``): no fallback warning."""

    __tablename__ = "calendar_years"
    __audit_module__ = "calendar"

    year: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
