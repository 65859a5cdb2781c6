"""The notice board (公告): every public posting, with a permanent record of when it was up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.database import Model, UTCDateTime


class Notice(Model):
    """Audience: a whole area, a community, or one building. Publish/expiry times are kept for ever:
    a withdrawn notice records when it came down, so "posted N days before" stays checkable."""

    __tablename__ = "notices"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="general")  # general, price, meeting, result, rules
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    source_module: Mapped[str] = mapped_column(String(40), default="core")
    source_ref: Mapped[str | None] = mapped_column(String(60))
    publish_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    expire_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    pinned: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def audience(self) -> str:
        if self.building_id:
            return "building"
        return "community" if self.community_id else "area"

    def down_at(self) -> dt.datetime | None:
        """When the notice stopped being visible (withdrawn or expired), or None if it still is."""
        ends = [t for t in (self.withdrawn_at, self.expire_at) if t is not None]
        return min(ends) if ends else None
