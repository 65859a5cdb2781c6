"""Demo: one closed meeting with results and one open meeting the demo owners can vote in."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import Account, Community, db, utcnow
from plugins.owners_assembly import services as svc
from plugins.owners_assembly.models import AgendaItem, Ballot, Meeting, RollEntry


def load(session) -> None:
    community = session.scalar(select(Community).where(Community.name == "阳光花园"))
    if community is None or session.scalar(select(Meeting.id).where(Meeting.community_id == community.id)):
        return
    committee = session.scalar(select(Account).where(Account.username == "committee"))
    now = utcnow()
    closed = _meeting(session, community, committee, "2026年度第一次业主大会", now - dt.timedelta(days=60))
    _vote_most(session, closed, now - dt.timedelta(days=40))
    svc.close_meeting(committee, closed, now=closed.closes_at + dt.timedelta(minutes=1))
    _meeting(session, community, committee, "2026年度第二次业主大会：电梯更新与停车管理", now - dt.timedelta(days=20),
             open_days=30)


def _meeting(session, community, committee, title, noticed_at, open_days=10) -> Meeting:
    opens = noticed_at + dt.timedelta(days=16)
    meeting = svc.create_meeting(committee, community, title=title, kind="regular", form="mixed",
                                 cutoff_date=noticed_at.date(), opens_at=opens,
                                 closes_at=opens + dt.timedelta(days=open_days), location="小区会所")
    svc.add_item(committee, meeting, title="使用专项维修资金更换3栋电梯", decision_class="ordinary",
                 description="预算 48.6 万元，由专项维修资金列支。")
    svc.add_item(committee, meeting, title="将地面公共车位改为收费停车并续筹维修资金", decision_class="special",
                 description="收益扣除合理成本后归全体业主所有。")
    svc.publish_meeting_notice(committee, meeting, now=noticed_at)
    return meeting


def _vote_most(session, meeting: Meeting, when) -> None:
    """About 80% vote online; the ordinary item passes, the special one falls short of 3/4."""
    items = session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                            .order_by(AgendaItem.position)).all()
    entries = session.execute(select(RollEntry.id, RollEntry.person_id).where(
        RollEntry.meeting_id == meeting.id, RollEntry.person_id.is_not(None)).order_by(RollEntry.id)).all()
    rows = []
    for n, (entry_id, person_id) in enumerate(entries):
        if n % 5 == 4:
            continue
        for item, choice in ((items[0], "agree" if n % 4 else "disagree"), (items[1], "agree" if n % 3 else "disagree")):
            rows.append({"area_id": meeting.area_id, "community_id": meeting.community_id, "meeting_id": meeting.id,
                         "item_id": item.id, "roll_entry_id": entry_id, "choice": choice, "channel": "online",
                         "cast_by_person_id": person_id, "changes": 0, "created_at": when, "updated_at": when})
    session.execute(Ballot.__table__.insert(), rows)
    db.session.flush()
