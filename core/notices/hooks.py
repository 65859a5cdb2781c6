"""Hooks the notice board implements itself (registered like a plugin's, under ``core.notices.hooks``)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.hookspecs import hookimpl

DEMO_NOTICES = [
    # community (None: the whole area of the first community), kind, title, body, days ago
    ("阳光花园", "general", "二次供水水箱清洗停水通知",
     "尊敬的业主：本周六上午9:00至12:00清洗二次供水水箱，届时1—5栋停水，请提前储水。给您带来不便，敬请谅解。", 1),
    ("阳光花园", "price", "2026年度物业服务收费标准公示",
     "根据物业服务合同，住宅物业服务费为每月每平方米2.20元（按建筑面积计），公共能耗费按实分摊。", 20),
    ("翠湖苑", "meeting", "业主接待日安排",
     "每月第一个星期六上午在物业服务中心举行业主接待日，居委会和业委会代表列席。", 3),
    (None, "general", "幸福里社区禁毒宣传周活动",
     "社区将于下周开展禁毒宣传周活动，欢迎居民参加讲座和展览。", 2),
]


@hookimpl
def demo_data(session):
    """A few notices on the demo communities' boards (once)."""
    from core.database import utcnow
    from core.notices.models import Notice
    from core.places.models import Community

    if session.scalar(select(Notice.id).where(Notice.source_module == "demo").limit(1)) is not None:
        return
    names = {d[0] for d in DEMO_NOTICES if d[0]}
    communities = {c.name: c for c in session.scalars(select(Community).where(Community.name.in_(names)))}
    if not communities:
        return
    first = communities.get("阳光花园") or next(iter(communities.values()))
    now = utcnow()
    for name, kind, title, body, days_ago in DEMO_NOTICES:
        community = communities.get(name) if name else None
        if name and community is None:
            continue
        publish_at = now - dt.timedelta(days=days_ago)
        session.add(Notice(area_id=(community or first).area_id, community_id=getattr(community, "id", None),
                           kind=kind, title=title, body=body, source_module="demo", publish_at=publish_at,
                           expire_at=publish_at + dt.timedelta(days=30)))
    session.flush()
