"""Demo data: venues, clubs with sessions and attendance, and a year of events with registrations and
check-ins per demo community."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select

from core import Community, Person, Residency

from .models import (
    Club,
    ClubAttendance,
    ClubMember,
    ClubSession,
    Event,
    Organiser,
    Registration,
    RegStatus,
    Venue,
    VenueBooking,
)
from .services import FESTIVALS, TZ, AgeLimits, age_on, eligible_groups, festival_date, new_code, report_group

COMMUNITIES = ("阳光花园", "翠湖苑", "春晖家园")
CLUBS = (("文体协会", "adults,elderly", "每周三 19:00"), ("小太阳儿童俱乐部", "children", "每周六 9:30"),
         ("羽毛球队", "youth,adults", "每周日 8:00"))
MONTHLY = (("广场舞联谊", "elderly,adults", "recreation,cohesion", ""),
           ("禁毒知识讲座", "all", "guiding,reform", "drug_prevention"),
           ("文明公约学习会", "adults,elderly", "conduct,guiding", ""),
           ("独居老人茶话会", "elderly", "encouragement,cohesion", ""))


def load(session) -> None:
    communities = session.scalars(select(Community).where(Community.name.in_(COMMUNITIES))).all()
    if not communities:
        return
    done = set(session.scalars(select(Venue.community_id).where(Venue.community_id.in_([c.id for c in communities]))))
    rng = random.Random(2026)
    today = dt.date(2026, 11, 20)
    for community in communities:
        if community.id in done:
            continue
        _community(session, community, rng, today)
    session.flush()


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), TZ).astimezone(dt.UTC)


def _community(session, community, rng, today) -> None:
    room = Venue(area_id=community.area_id, community_id=community.id, name="社区活动室", capacity=60)
    square = Venue(area_id=community.area_id, community_id=community.id, name="中心广场", capacity=300)
    session.add_all([room, square])
    session.flush()
    rows = session.execute(select(Person, Residency.unit_id).join(Residency, Residency.person_id == Person.id)
                           .where(Residency.community_id == community.id, Residency.end_date.is_(None))
                           .order_by(Person.id, Residency.unit_id)).all()
    residents = list({p.id: (p, u) for p, u in reversed(rows)}.values())
    limits = AgeLimits()
    for name, groups, schedule in CLUBS:
        club = Club(area_id=community.area_id, community_id=community.id, name=name, age_groups=groups,
                    schedule=schedule)
        session.add(club)
        session.flush()
        fit = [p for p, _u in residents if p.birth_date and eligible_groups(age_on(p.birth_date, today), limits)
               & set(groups.split(","))]
        members = rng.sample(fit, min(len(fit), 12))
        for i, person in enumerate(members):
            session.add(ClubMember(area_id=community.area_id, club_id=club.id, person_id=person.id, is_leader=i == 0,
                                   joined_on=today - dt.timedelta(days=rng.randint(30, 700))))
        for week in range(1, 5):  # the last four weekly sessions, about three in four members came
            starts = _at(today - dt.timedelta(weeks=week), int(schedule.split()[-1].split(":")[0]))
            club_session = ClubSession(area_id=community.area_id, club_id=club.id, starts_at=starts,
                                       ends_at=starts + dt.timedelta(hours=1), venue_id=room.id)
            session.add(club_session)
            session.flush()
            session.add(VenueBooking(area_id=community.area_id, venue_id=room.id, purpose=name, starts_at=starts,
                                     ends_at=club_session.ends_at))
            session.add_all([ClubAttendance(area_id=community.area_id, session_id=club_session.id, person_id=p.id)
                             for p in members if rng.random() < 0.75])
    plans = []
    for code, name, _lunar, _solar, groups, tags in FESTIVALS:
        day = festival_date(code, 2026)
        plans.append((f"{name}活动", day, ",".join(groups), ",".join(tags), "", square))
    for month in range(1, 13):
        title, groups, tags, topics = MONTHLY[month % len(MONTHLY)]
        plans.append((title, dt.date(2026, month, 10), groups, tags, topics, room))
    for title, day, groups, tags, topics, venue in plans:
        starts = _at(day, 19 if "中秋" in title else 9)
        event = Event(area_id=community.area_id, community_id=community.id, organiser=Organiser.property_company,
                      title=title, description=f"{community.name}{title}", venue_id=venue.id, starts_at=starts,
                      ends_at=starts + dt.timedelta(hours=2), age_groups=groups, capacity=venue.capacity // 2,
                      registration_opens_at=starts - dt.timedelta(days=14),
                      registration_closes_at=starts - dt.timedelta(hours=1), function_tags=tags, topic_tags=topics,
                      activity_reported=day < today)
        session.add(event)
        session.flush()
        session.add(VenueBooking(area_id=community.area_id, venue_id=venue.id, event_id=event.id, purpose=title,
                                 starts_at=event.starts_at, ends_at=event.ends_at))
        fit = [(p, u) for p, u in residents if p.birth_date and (
            "all" in groups or eligible_groups(age_on(p.birth_date, day), limits) & set(groups.split(",")))]
        chosen = rng.sample(fit, min(len(fit), event.capacity + 3))
        for i, (person, unit_id) in enumerate(chosen):
            confirmed = i < event.capacity
            session.add(Registration(
                area_id=community.area_id, community_id=community.id, event_id=event.id, person_id=person.id,
                unit_id=unit_id, registered_by_id=person.id,
                status=RegStatus.confirmed if confirmed else RegStatus.waiting,
                age_group=report_group(age_on(person.birth_date, day), limits),
                waiting_since=event.registration_opens_at + dt.timedelta(minutes=i),
                guardian_consent=age_on(person.birth_date, day) < limits.child_under, photo_consent=True,
                checkin_code=new_code(),
                checked_in_at=starts if confirmed and day < today and rng.random() < 0.85 else None))
    session.flush()
