"""Publishing on the notice board, and asking what was up when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from core.database import db, utcnow
from core.errors import Conflict, Invalid
from core.notices.models import Notice


def publish(actor, *, title: str, body: str, area_id: int, community_id: int | None = None,
            building_id: int | None = None, kind: str = "general", publish_at: dt.datetime | None = None,
            expire_at: dt.datetime | None = None, source_module: str = "core",
            source_ref: str | None = None) -> Notice:
    """Put a notice up (now or at ``publish_at``) and fire ``notice_published``."""
    publish_at = publish_at or utcnow()
    if expire_at is not None and expire_at <= publish_at:
        raise Invalid(fields={"expire_at": ["Must be after the publish time."]})
    if not title.strip():
        raise Invalid(fields={"title": ["This field is required."]})
    notice = Notice(title=title.strip(), body=body, area_id=area_id, community_id=community_id,
                    building_id=building_id, kind=kind, publish_at=publish_at, expire_at=expire_at,
                    source_module=source_module, source_ref=source_ref,
                    created_by_id=getattr(actor, "id", None))
    db.session.add(notice)
    db.session.flush()
    from core.plugins import hook

    hook().notice_published(notice=notice)
    return notice


def withdraw(actor, notice: Notice, reason: str) -> Notice:
    """Take a notice down; it stays in the record with when and why."""
    if notice.withdrawn_at is not None:
        raise Conflict("This notice has already been withdrawn.")
    if not reason.strip():
        raise Invalid(fields={"reason": ["This field is required."]})
    notice.withdrawn_at = utcnow()
    notice.withdrawn_reason = reason.strip()[:200]
    db.session.flush()
    return notice


def visible_filter(at: dt.datetime):
    return (
        Notice.publish_at <= at,
        or_(Notice.expire_at.is_(None), Notice.expire_at > at),
        or_(Notice.withdrawn_at.is_(None), Notice.withdrawn_at > at),
    )


def current_notices(*, area_id: int, community_id: int | None = None, building_ids=(), at=None):
    """Notices visible now to someone in this community (area-wide ones included)."""
    at = at or utcnow()
    audience = Notice.community_id.is_(None) & Notice.building_id.is_(None)
    if community_id is not None:
        audience = audience | ((Notice.community_id == community_id) & Notice.building_id.is_(None))
    if building_ids:
        audience = audience | Notice.building_id.in_(list(building_ids))
    stmt = (select(Notice).where(Notice.area_id == area_id, audience, *visible_filter(at))
            .order_by(Notice.pinned.desc(), Notice.publish_at.desc()))
    return db.session.scalars(stmt).all()


def days_up_before(notice: Notice, moment: dt.datetime) -> float:
    """How many days the notice had been continuously up at ``moment`` (0 if it was not up)."""
    if notice.publish_at > moment:
        return 0.0
    down = notice.down_at()
    if down is not None and down <= moment:
        return 0.0
    return (moment - notice.publish_at).total_seconds() / 86400
