"""Publishing on the notice board, and asking what was up when."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
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
        raise Invalid(fields={"expire_at": [_l("Must be after the publish time.")]})
    if not title.strip():
        raise Invalid(fields={"title": [_l("This field is required.")]})
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
        raise Conflict(_l("This notice has already been withdrawn."))
    if not reason.strip():
        raise Invalid(fields={"reason": [_l("This field is required.")]})
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


# ---------------------------------------------------------------------------------------------
# Back office and portal
# ---------------------------------------------------------------------------------------------

# fees posts its yearly accounts as "disclosure", culture_events its events as "event"
KINDS = ("general", "price", "meeting", "result", "rules", "disclosure", "event")


def resolve_audience(area_id=None, community_id=None, building_id=None):
    """(area, community, building) of an audience, consistent with each other; ``Invalid`` otherwise."""
    from core.places.models import Area, Building, Community

    building = community = area = None
    if building_id is not None:
        building = db.session.get(Building, building_id)
        if building is None:
            raise Invalid(fields={"building_id": [_l("Unknown building.")]})
        community_id = community_id or building.community_id
        if community_id != building.community_id:
            raise Invalid(fields={"building_id": [_l("This building is not in the community.")]})
    if community_id is not None:
        community = db.session.get(Community, community_id)
        if community is None:
            raise Invalid(fields={"community_id": [_l("Unknown community.")]})
        area_id = area_id or community.area_id
        if area_id != community.area_id:
            raise Invalid(fields={"community_id": [_l("This community is not in the area.")]})
    if area_id is None:
        raise Invalid(fields={"area_id": [_l("Choose an area, a community or a building.")]})
    area = db.session.get(Area, area_id)
    if area is None:
        raise Invalid(fields={"area_id": [_l("Unknown area.")]})
    return area, community, building


def can_publish_to(account, area, community) -> bool:
    from core.auth.permissions import can

    if community is not None:
        return can(account, "notices.publish", community=community)
    return can(account, "notices.publish", area=area)


def publish_checked(actor, *, title: str, body: str, area_id=None, community_id=None, building_id=None,
                    kind: str = "general", publish_at=None, expire_at=None) -> Notice:
    """Publish from the back office or API: ``notices.publish`` on the audience's scope."""
    from core.errors import Forbidden

    if kind not in KINDS:
        raise Invalid(fields={"kind": [_l("Must be one of: %(choices)s.", choices=", ".join(KINDS))]})
    area, community, building = resolve_audience(area_id, community_id, building_id)
    if not can_publish_to(actor, area, community):
        raise Forbidden()
    if publish_at is not None and publish_at.tzinfo is None:
        raise Invalid(fields={"publish_at": [_l("Give a time zone.")]})
    if expire_at is not None and expire_at.tzinfo is None:
        raise Invalid(fields={"expire_at": [_l("Give a time zone.")]})
    if expire_at is None:
        from core.settings.services import get as get_setting

        days = get_setting("core.notice_default_days", community=community, area=area)
        expire_at = (publish_at or utcnow()) + dt.timedelta(days=int(days))
    return publish(actor, title=title, body=body, area_id=area.id, community_id=getattr(community, "id", None),
                   building_id=getattr(building, "id", None), kind=kind, publish_at=publish_at,
                   expire_at=expire_at)


def withdraw_checked(actor, notice: Notice, reason: str) -> Notice:
    from core.errors import Forbidden
    from core.places.models import Area, Community

    community = db.session.get(Community, notice.community_id) if notice.community_id else None
    area = db.session.get(Area, notice.area_id)
    if not can_publish_to(actor, area, community):
        raise Forbidden()
    withdrawn = withdraw(actor, notice, reason)
    from core.audit.services import record

    record(actor, "withdraw", "Notice", notice.id, area_id=notice.area_id, community_id=notice.community_id,
           changes={"reason": notice.withdrawn_reason})
    return withdrawn


def status_of(notice: Notice, at=None) -> str:
    at = at or utcnow()
    if notice.withdrawn_at is not None and notice.withdrawn_at <= at:
        return "withdrawn"
    if notice.publish_at > at:
        return "scheduled"
    if notice.expire_at is not None and notice.expire_at <= at:
        return "expired"
    return "current"


def back_office_query(account, *, state: str = "current", community_id=None, area_id=None, kind=None, at=None):
    """Notices ``account`` may manage (``notices.publish``), current or past, newest first."""
    from sqlalchemy import and_, false

    from core.auth.permissions import visible_area_ids, visible_community_ids

    at = at or utcnow()
    cids = visible_community_ids(account, "notices.publish")
    aids = visible_area_ids(account, "notices.publish")
    stmt = select(Notice)
    if cids is not None:
        parts = []
        if cids:
            parts.append(Notice.community_id.in_(cids))
        if aids:
            parts.append(Notice.area_id.in_(aids))
        stmt = stmt.where(or_(*parts) if parts else false())
    if community_id is not None:
        stmt = stmt.where(Notice.community_id == community_id)
    if area_id is not None:
        stmt = stmt.where(Notice.area_id == area_id)
    if kind:
        stmt = stmt.where(Notice.kind == kind)
    if state == "current":
        stmt = stmt.where(*visible_filter(at))
    elif state == "scheduled":
        stmt = stmt.where(Notice.publish_at > at, Notice.withdrawn_at.is_(None))
    elif state == "past":
        stmt = stmt.where(Notice.publish_at <= at, or_(
            and_(Notice.expire_at.is_not(None), Notice.expire_at <= at),
            and_(Notice.withdrawn_at.is_not(None), Notice.withdrawn_at <= at)))
    return stmt.order_by(Notice.publish_at.desc(), Notice.id.desc())


def notices_for_units(units, at=None):
    """Notices up now for the people of ``units``: their areas', communities' and buildings'."""
    at = at or utcnow()
    units = list(units)
    if not units:
        return []
    area_ids = {u.area_id for u in units}
    community_ids = {u.community_id for u in units}
    building_ids = {u.building_id for u in units}
    audience = or_(
        Notice.community_id.is_(None) & Notice.building_id.is_(None) & Notice.area_id.in_(area_ids),
        Notice.community_id.in_(community_ids) & Notice.building_id.is_(None),
        Notice.building_id.in_(building_ids),
    )
    stmt = select(Notice).where(audience, *visible_filter(at)).order_by(Notice.pinned.desc(),
                                                                         Notice.publish_at.desc())
    return db.session.scalars(stmt).all()


def public_notices(community, at=None):
    """Notices a passer-by sees on the community's board: the area's and the community's (not per building)."""
    at = at or utcnow()
    audience = (Notice.community_id.is_(None) & Notice.building_id.is_(None)) | (
        (Notice.community_id == community.id) & Notice.building_id.is_(None))
    stmt = (select(Notice).where(Notice.area_id == community.area_id, audience, *visible_filter(at))
            .order_by(Notice.pinned.desc(), Notice.publish_at.desc()))
    return db.session.scalars(stmt).all()


def is_public(notice: Notice, at=None) -> bool:
    return notice.building_id is None and status_of(notice, at) == "current"
