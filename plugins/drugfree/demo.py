"""Demo data: clearly fictional cases for two areas, both in named mode — 幸福里社区, which does not
yet meet the standard, and 春晖社区, which does. Every case is marked ``demo`` with the details
"虚构演示数据", and its person is a fictional temporary resident added for the demo and named
示例人员… (so no ordinary demo resident appears as a drug-rehabilitation case). The demo officer
(``drugfree``) is also granted 春晖社区, to see both. Idempotent: an area that has cases is left
alone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core import Account, Area, Organisation, Person, Residency, ScopeType, grant_role
from plugins.drugfree import rules
from plugins.drugfree.models import AreaPlan, Case
from plugins.drugfree.services import add_relapse, add_status, add_visit, assign_helper, create_case, today

FICTION = "虚构演示数据 / fictional demo record"
NOT_YET, MEETS = "幸福里社区", "春晖社区"
DEMO_PLAN_MARK = "（演示）"


def load(session) -> None:
    areas = {a.name: a for a in session.scalars(select(Area).where(Area.name.in_([NOT_YET, MEETS])))}
    on = today()
    builders = {NOT_YET: (_not_yet, "甲乙丙丁戊"), MEETS: (_meets, "己庚辛")}
    for name, (build, labels) in builders.items():
        area = areas.get(name)
        if area is None or session.scalar(select(Case.id).where(Case.area_id == area.id).limit(1)) is not None:
            continue
        people = _fictional_people(session, area, labels)
        if people:
            build(session, area, people, on)
    if MEETS in areas:
        _officer_for(session, areas[MEETS])
    session.flush()


def _fictional_people(session, area, labels: str) -> list[int]:
    """One fictional temporary resident per case (示例人员甲 …), in lived-in units of the area (none
    without one)."""
    rows = session.execute(select(Residency.unit_id, Residency.community_id).where(
        Residency.area_id == area.id, Residency.end_date.is_(None)).order_by(Residency.id.desc()).limit(200)).all()
    units = list(dict.fromkeys(rows))[:len(labels)]
    if not units:
        return []
    ids = []
    for i, label in enumerate(labels):
        unit_id, community_id = units[i % len(units)]
        person = Person(area_id=area.id, community_id=community_id, name=f"示例人员{label}", nationality="CHN")
        session.add(person)
        session.add(Residency(area_id=area.id, community_id=community_id, unit_id=unit_id, person=person,
                              kind="temporary", start_date=dt.date(2019, 7, 1), note=FICTION))
        session.flush()
        ids.append(person.id)
    return ids


def _plan(session, area, **values) -> None:
    """The area's demo plan, in named mode. A plan left by an earlier demo (its text ends in 演示;
    春晖社区 was once in aggregate mode) is replaced; anyone else's is kept."""
    row = session.scalar(select(AreaPlan).where(AreaPlan.area_id == area.id))
    if row is None:
        session.add(AreaPlan(area_id=area.id, mode="named", **values))
    elif (row.plan or "").endswith(DEMO_PLAN_MARK):
        row.mode = "named"
        for key, value in values.items():
            setattr(row, key, value)


def _case(area, person_id: int, on: dt.date, **kw) -> Case:
    return create_case(None, area, person_id=person_id, legal_basis="police_notification", details=FICTION,
                       demo=True, on=on, **kw)


def _clean_under_order(area, person_id: int, on: dt.date, registered_on: dt.date, clean_since: dt.date,
                       order: str, reported_days: int) -> Case:
    """A former user whose 戒断 began with a community order, reported ``reported_days`` later."""
    case = _case(area, person_id, on, registered_on=registered_on, last_use_on=clean_since, clean_since=clean_since)
    add_status(None, case, status=order, start=clean_since, reported_on=clean_since + dt.timedelta(days=reported_days),
               on=on)
    return case


def _not_yet(session, area, people: list[int], on: dt.date) -> None:
    """Not yet: two former users under 3 years clean and a relapse this year (standard 2, relapse
    rate), a returnee whose aftercare visits stopped (aftercare); one stable, one abroad."""
    _plan(session, area, track="end_use", target_year=on.year + 3, plan="禁吸戒毒：接茬帮教全覆盖，三年内达标（演示）")
    y = on.year
    _clean_under_order(area, people[0], on, dt.date(y - 8, 3, 1), dt.date(y - 6, 5, 1), rules.COMMUNITY_REHAB, 7)
    _clean_under_order(area, people[1], on, dt.date(y - 4, 2, 1), dt.date(y - 2, 9, 1), rules.COMMUNITY_DETOX, 9)
    # released early (提前解除) from two years' isolation last September: clean under 3 years all this
    # year, helper in time, visited in the first two months only
    returnee = _case(area, people[2], on, registered_on=dt.date(y - 5, 1, 10), last_use_on=dt.date(y - 2, 3, 1),
                     clean_since=dt.date(y - 2, 3, 1))
    add_status(None, returnee, status=rules.COMPULSORY, start=dt.date(y - 2, 3, 1), sentence_months=24, on=on)
    add_status(None, returnee, status=rules.RELEASED, start=dt.date(y - 1, 9, 1), on=on)
    assign_helper(None, returnee, helper="帮教志愿者甲（虚构）", assigned_on=dt.date(y - 1, 9, 8), on=on)
    add_visit(None, returnee, day=dt.date(y - 1, 9, 20), on=on)
    add_visit(None, returnee, day=dt.date(y - 1, 10, 15), on=on)
    abroad = _case(area, people[3], on, registered_on=dt.date(y - 6, 6, 1))
    add_status(None, abroad, status=rules.ABROAD, start=dt.date(y - 2, 3, 1), on=on)
    relapsed = _case(area, people[4], on, registered_on=dt.date(y - 7, 6, 1), last_use_on=dt.date(y - 5, 1, 1),
                     clean_since=dt.date(y - 5, 1, 1))
    add_status(None, relapsed, status=rules.USING, start=dt.date(y - 7, 6, 1), on=on)
    add_relapse(None, relapsed, day=min(dt.date(y, 1, 15), on), on=on)


def _meets(session, area, people: list[int], on: dt.date) -> None:
    """Meets: two former users clean for well over 3 years (one after an old relapse), one dead;
    nobody new, no relapse this year or last, no incident."""
    _plan(session, area, track="keep_clean", target_year=on.year + 3, plan="保净土：每季度禁毒宣传进小区（演示）")
    y = on.year
    _clean_under_order(area, people[0], on, dt.date(y - 9, 3, 1), dt.date(y - 7, 5, 1), rules.COMMUNITY_REHAB, 8)
    old_relapse = _clean_under_order(area, people[1], on, dt.date(y - 8, 6, 1), dt.date(y - 7, 1, 10),
                                     rules.COMMUNITY_DETOX, 10)
    add_relapse(None, old_relapse, day=dt.date(y - 5, 8, 1), on=on)  # clean time restarted then
    dead = _case(area, people[2], on, registered_on=dt.date(y - 10, 4, 1))
    add_status(None, dead, status=rules.DEAD, start=dt.date(y - 3, 11, 1), on=on)


def _officer_for(session, area) -> None:
    """The demo officer (``drugfree``, of 幸福里社区) also covers 春晖社区, so both areas can be seen."""
    account = session.scalar(select(Account).where(Account.username == "drugfree"))
    committee = session.scalar(select(Organisation.id).where(  # the residents' committee, not an owners' one
        Organisation.area_id == area.id, Organisation.community_id.is_(None)).limit(1))
    if account is not None:
        grant_role(account, "drugfree_officer", ScopeType.area, area.id, organisation_id=committee)
