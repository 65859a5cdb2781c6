"""In-app notifications (also sent by e-mail and plugin channels)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Model, UTCDateTime


class Notification(Model):
    __tablename__ = "notifications"
    __audited__ = False

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    module: Mapped[str] = mapped_column(String(40), default="core")
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
