"""Demo data: clearly fictional cases (marked ``demo``) in 幸福里社区, which does not yet meet the
standard, and aggregate counts for 春晖社区, which does. Idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import Area, Residency
from plugins.drugfree import rules
from plugins.drugfree.models import AggregateReport, AreaPlan, Case
from plugins.drugfree.services import add_relapse, add_status, add_visit, assign_helper, create_case, today

FICTION = "虚构演示数据 / fictional demo record"


def load(session) -> None:
    areas = {a.name: a for a in session.scalars(select(Area).where(Area.name.in_(["幸福里社区", "春晖社区"])))}
    on = today()
    named = areas.get("幸福里社区")
    if named is not None and session.scalar(select(Case.id).where(Case.area_id == named.id).limit(1)) is None:
        _named_area(session, named, on)
    clean = areas.get("春晖社区")
    if clean is not None and session.scalar(select(AreaPlan.id).where(AreaPlan.area_id == clean.id)) is None:
        session.add(AreaPlan(area_id=clean.id, mode="aggregate", track="keep_clean", target_year=on.year + 3,
                             plan="保净土：每季度禁毒宣传进小区（演示）"))
        session.add(AggregateReport(area_id=clean.id, on_date=on, source=FICTION, counts={
            **{k: 0 for k in rules.Summary.COUNT_FIELDS}, "registered": 4, "former": 3, "stable": 3, "dead": 1}))
    session.flush()


def _named_area(session, area, on: dt.date) -> None:
    session.add(AreaPlan(area_id=area.id, mode="named", track="end_use", target_year=on.year + 3,
                         plan="禁吸戒毒：接茬帮教全覆盖，三年内达标（演示）"))
    people = list(session.scalars(select(Residency.person_id).where(
        Residency.area_id == area.id, Residency.end_date.is_(None)).order_by(Residency.id).limit(400)))
    people = list(dict.fromkeys(people))[-5:]
    if len(people) < 5:
        return
    y = on.year

    def case(i, **kw):
        return create_case(None, area, person_id=people[i], legal_basis="police_notification",
                           details=FICTION, demo=True, on=on, **kw)

    stable = case(0, registered_on=dt.date(y - 8, 3, 1), last_use_on=dt.date(y - 6, 5, 1),
                  clean_since=dt.date(y - 6, 5, 1))
    add_status(None, stable, status=rules.COMMUNITY_REHAB, start=dt.date(y - 6, 5, 1),
               reported_on=dt.date(y - 6, 5, 8), on=on)
    former = case(1, registered_on=dt.date(y - 4, 2, 1), last_use_on=dt.date(y - 2, 9, 1),
                  clean_since=dt.date(y - 2, 9, 1))
    add_status(None, former, status=rules.COMMUNITY_DETOX, start=dt.date(y - 2, 9, 1),
               reported_on=dt.date(y - 2, 9, 10), on=on)
    returnee = case(2, registered_on=dt.date(y - 5, 1, 10), last_use_on=dt.date(y - 3, 1, 1),
                    clean_since=dt.date(y - 3, 1, 1))
    add_status(None, returnee, status=rules.COMPULSORY, start=dt.date(y - 3, 1, 1), sentence_months=24, on=on)
    add_status(None, returnee, status=rules.RELEASED, start=dt.date(y - 1, 1, 1), on=on)
    assign_helper(None, returnee, helper="帮教志愿者甲（虚构）", assigned_on=dt.date(y - 1, 1, 8), on=on)
    add_visit(None, returnee, day=dt.date(y - 1, 1, 20), on=on)
    abroad = case(3, registered_on=dt.date(y - 6, 6, 1))
    add_status(None, abroad, status=rules.ABROAD, start=dt.date(y - 2, 3, 1), on=on)
    relapsed = case(4, registered_on=dt.date(y - 7, 6, 1), last_use_on=dt.date(y - 5, 1, 1),
                    clean_since=dt.date(y - 5, 1, 1))
    add_status(None, relapsed, status=rules.USING, start=dt.date(y - 7, 6, 1), on=on)
    add_relapse(None, relapsed, day=dt.date(y, 1, 15) if on >= dt.date(y, 1, 15) else on, on=on)
