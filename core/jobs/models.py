"""When each periodic job last ran."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Model, UTCDateTime


class JobRun(Model):
    __tablename__ = "job_runs"
    __audited__ = False

    name: Mapped[str] = mapped_column(String(100), unique=True)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_status: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text)
