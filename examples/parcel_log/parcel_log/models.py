"""Tables of Parcel log: named parcel_log_*, scoped by area and community."""

from core import Model
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column


# A relationship names its target by module path ("parcel_log.models.Entry", also in order_by) or
# by the class itself, never by a bare class name: that is looked up across the models of every
# plugin, and another plugin may well define an Entry too.
class Entry(Model):
    __tablename__ = "parcel_log_entries"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[int | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
