"""Registration, waiting list, consent, check-in, venues, photos, clubs, polls and reports (database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import Conflict, Forbidden, Invalid, hookimpl
from plugins.culture_events import services as s
from plugins.culture_events.models import Event, Registration, RegStatus, VenueBooking


def test_register_self_confirmed_with_code(world, plan):
    event = plan(world)
    reg = s.register(world.owner, event)
    assert reg.status == RegStatus.confirmed
    assert len(reg.checkin_code) == 8 and reg.unit_id == world.unit.id
    assert reg.age_group == "adults"


def test_capacity_then_waiting_list_and_promotion_on_cancel(world, plan, make, db):
    event = plan(world, capacity=1)
    first = s.register(world.owner, event)
    second = s.register(world.neighbour, event)
    third = s.register(world.owner, event, world.grandma)
    assert (first.status, second.status, third.status) == ("confirmed", "waiting", "waiting")
    promoted = s.cancel_registration(world.owner, first)
    assert [r.id for r in promoted] == [second.id]
    assert second.status == "confirmed" and third.status == "waiting"
    assert first.status == "cancelled"


def test_cancel_a_waiting_place_promotes_nobody(world, plan):
    event = plan(world, capacity=1)
    s.register(world.owner, event)
    waiting = s.register(world.neighbour, event)
    assert s.cancel_registration(world.neighbour, waiting) == []


def test_register_again_after_cancelling_goes_to_the_back(world, plan):
    event = plan(world, capacity=1)
    reg = s.register(world.owner, event)
    s.register(world.neighbour, event)
    s.cancel_registration(world.owner, reg)
    again = s.register(world.owner, event)
    assert again.id == reg.id and again.status == "waiting"


def test_duplicate_registration_refused(world, plan, db):
    event = plan(world)
    s.register(world.owner, event)
    with pytest.raises(Conflict) as exc:
        s.register(world.owner, event)
    assert exc.value.code == "duplicate_registration"
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_cancel_someone_elses_registration_refused(world, plan):
    event = plan(world)
    reg = s.register(world.neighbour, event)
    with pytest.raises(Forbidden):
        s.cancel_registration(world.owner, reg)
    assert reg.status == "confirmed"


def test_household_member_may_cancel_for_the_household(world, plan):
    event = plan(world)
    reg = s.register(world.owner, event, world.grandma)
    s.cancel_registration(world.grandma, reg)
    assert reg.status == "cancelled"


def test_cancel_twice_conflict(world, plan):
    event = plan(world)
    reg = s.register(world.owner, event)
    s.cancel_registration(world.owner, reg)
    with pytest.raises(Conflict):
        s.cancel_registration(world.owner, reg)


def test_register_a_non_household_member_refused(world, plan):
    event = plan(world)
    with pytest.raises(Forbidden):
        s.register(world.owner, event, world.neighbour)


def test_non_resident_refused(world, plan, make):
    event = plan(world)
    outsider = make.owner(make.unit())  # another community
    with pytest.raises(Forbidden) as exc:
        s.register(outsider, event)
    assert exc.value.code == "not_resident"


def test_area_event_open_to_every_community_of_the_area(world, make, db):
    rc = make.account("rc_staff", db.session.get(__import__("core").Area, world.community.area_id))
    sister = make.community(area=db.session.get(__import__("core").Area, world.community.area_id))
    sister_owner = make.owner(make.unit(make.building(sister)))
    now = s.utcnow()
    event = s.create_event(rc, {"title": "禁毒宣传", "starts_at": now + dt.timedelta(days=3),
                                "ends_at": now + dt.timedelta(days=3, hours=1), "capacity": 5,
                                "registration_opens_at": now - dt.timedelta(hours=1)},
                           area=db.session.get(__import__("core").Area, world.community.area_id))[0]
    assert event.community_id is None and event.organiser == "residents_committee"
    assert s.register(sister_owner, event).status == "confirmed"
    assert s.register(world.owner, event).status == "confirmed"


def test_manager_cannot_plan_an_area_event(world, db):
    from core import Area

    now = s.utcnow()
    with pytest.raises(Forbidden):
        s.create_event(world.manager, {"title": "x", "starts_at": now, "ends_at": now + dt.timedelta(hours=1),
                                       "capacity": 3}, area=db.session.get(Area, world.community.area_id))


def test_child_to_elderly_only_event_refused(world, plan, db):
    event = plan(world, age_groups=["elderly"])
    with pytest.raises(Invalid) as exc:
        s.register(world.owner, event, world.child, guardian_consent=True)
    assert exc.value.code == "age_group"
    assert s.register(world.owner, event, world.grandma).status == "confirmed"
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 1


def test_child_needs_guardian_consent(world, plan, db):
    event = plan(world)
    with pytest.raises(Invalid) as exc:
        s.register(world.owner, event, world.child)
    assert exc.value.code == "guardian_consent"
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 0
    reg = s.register(world.owner, event, world.child, guardian_consent=True)
    assert reg.guardian_id == world.owner.id and reg.guardian_consent and not reg.photo_consent
    assert reg.age_group == "children"


def test_child_cannot_consent_for_itself(world, plan):
    event = plan(world)
    with pytest.raises(Forbidden):
        s.register(world.child, event, guardian_consent=True)


def test_age_is_taken_on_the_event_day(world, plan, make):
    # turns 60 the day after the event: not elderly yet; on the event day: elderly
    now = s.utcnow()
    event = plan(world, age_groups=["elderly"])
    day = s.local_day(event.starts_at)
    tomorrow60 = make.resident(world.unit, make.person(birth_date=(day + dt.timedelta(days=1)).replace(
        year=day.year - 60)))
    today60 = make.resident(world.unit, make.person(birth_date=day.replace(year=day.year - 60)))
    with pytest.raises(Invalid):
        s.register(world.owner, event, tomorrow60)
    assert s.register(world.owner, event, today60).status == "confirmed"
    assert now < event.starts_at


def test_window_not_open_and_closed(world, plan):
    now = s.utcnow()
    early = plan(world, registration_opens_at=now + dt.timedelta(days=1))
    with pytest.raises(Conflict) as exc:
        s.register(world.owner, early)
    assert exc.value.code == "registration_not_open"
    late = plan(world, registration_opens_at=now - dt.timedelta(days=3),
                registration_closes_at=now - dt.timedelta(minutes=1))
    with pytest.raises(Conflict) as exc:
        s.register(world.owner, late)
    assert exc.value.code == "registration_closed"
    # exactly at the opening instant it is open
    assert s.register(world.owner, early, now=early.registration_opens_at).status == "confirmed"


def test_event_ending_before_it_starts_refused(world, db):
    now = s.utcnow()
    with pytest.raises(Invalid) as exc:
        s.create_event(world.manager, {"title": "x", "starts_at": now, "ends_at": now - dt.timedelta(hours=1),
                                       "capacity": 3}, community=world.community)
    assert "ends_at" in exc.value.fields
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


@pytest.mark.parametrize(("field", "value"), [
    ("capacity", 0), ("capacity", "many"), ("age_groups", ["babies"]), ("function_tags", ["party"]),
    ("title", ""), ("recurrence", "daily"), ("fee", "-1"), ("starts_at", "not a date"),
])
def test_event_bad_fields(world, plan, field, value):
    with pytest.raises(Invalid) as exc:
        plan(world, **{field: value})
    assert field in exc.value.fields


def test_fee_without_item_code_refused(world, plan):
    with pytest.raises(Invalid) as exc:
        plan(world, fee="20")
    assert "fee_item_code" in exc.value.fields


def test_capacity_below_confirmed_refused_and_rise_promotes(world, plan):
    event = plan(world, capacity=2)
    s.register(world.owner, event)
    s.register(world.owner, event, world.grandma)
    waiting = s.register(world.neighbour, event)
    with pytest.raises(Conflict) as exc:
        s.update_event(world.manager, event, {"capacity": 1})
    assert exc.value.code == "capacity_below_confirmed"
    assert event.capacity == 2
    s.update_event(world.manager, event, {"capacity": 3})
    assert waiting.status == "confirmed"


def test_weekly_recurrence_makes_a_series(world, db):
    start = dt.datetime(2027, 1, 2, 9, tzinfo=s.TZ)
    events = s.create_event(world.manager, {"title": "羽毛球", "starts_at": start, "ends_at": start + dt.timedelta(
        hours=2), "capacity": 8, "recurrence": "weekly", "recurrence_until": "2027-01-23",
        "registration_opens_at": start - dt.timedelta(days=7)}, community=world.community)
    assert [s.local_day(e.starts_at) for e in events] == [dt.date(2027, 1, d) for d in (2, 9, 16, 23)]
    assert {e.series_id for e in events} == {events[0].id}
    assert events[3].registration_opens_at == events[3].starts_at - dt.timedelta(days=7)


def test_repeating_event_needs_an_end(world, plan):
    with pytest.raises(Invalid) as exc:
        plan(world, recurrence="weekly")
    assert "recurrence_until" in exc.value.fields


def test_venue_clash_refused(world, db):
    venue = s.create_venue(world.manager, world.community, "活动室", 40)
    start = dt.datetime(2027, 2, 1, 9, tzinfo=s.TZ)
    s.book_venue(world.manager, venue, start, start + dt.timedelta(hours=2), "书法班")
    with pytest.raises(Conflict) as exc:
        s.book_venue(world.manager, venue, start + dt.timedelta(hours=1), start + dt.timedelta(hours=3), "合唱")
    assert exc.value.code == "venue_clash" and exc.value.extra["clashes"][0]["purpose"] == "书法班"
    # back to back is fine
    s.book_venue(world.manager, venue, start + dt.timedelta(hours=2), start + dt.timedelta(hours=3), "合唱")
    assert db.session.scalar(select(func.count()).select_from(VenueBooking)) == 2


def test_event_books_its_venue_and_a_clashing_event_is_refused(world, plan, db):
    venue = s.create_venue(world.manager, world.community, "广场")
    first = plan(world, venue_id=venue.id)
    with pytest.raises(Conflict):
        plan(world, venue_id=venue.id, title="another")
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1
    s.cancel_event(world.manager, first, "rain")
    plan(world, venue_id=venue.id, title="another")


def test_staff_cannot_plan(world, make):
    staff = make.account("staff", world.community)
    with pytest.raises(Forbidden):
        s.create_event(staff, {"title": "x"}, community=world.community)


def test_check_in_once_and_only_for_its_event(world, plan, make):
    event = plan(world)
    other = plan(world, title="其他")
    reg = s.register(world.owner, event)
    on_the_day = event.starts_at
    staff = make.account("staff", world.community)
    s.check_in(staff, event, reg.checkin_code.lower(), now=on_the_day)
    assert reg.checked_in_at == on_the_day
    with pytest.raises(Conflict) as exc:
        s.check_in(staff, event, reg.checkin_code, now=on_the_day)
    assert exc.value.code == "already_checked_in"
    with pytest.raises(Invalid) as exc:
        s.check_in(staff, other, reg.checkin_code, now=on_the_day)
    assert exc.value.code == "other_event"
    with pytest.raises(Invalid):
        s.check_in(staff, event, "NOPE1234", now=on_the_day)


def test_check_in_refused_for_waiting_and_before_the_day(world, plan, make):
    event = plan(world, capacity=1)
    s.register(world.owner, event)
    waiting = s.register(world.neighbour, event)
    with pytest.raises(Conflict) as exc:
        s.check_in(world.manager, event, waiting.checkin_code, now=event.starts_at)
    assert exc.value.code == "not_confirmed"
    reg = s.register(world.owner, event, world.grandma)
    s.update_event(world.manager, event, {"capacity": 3})
    with pytest.raises(Conflict) as exc:
        s.check_in(world.manager, event, reg.checkin_code, now=event.starts_at - dt.timedelta(days=2))
    assert exc.value.code == "not_event_day"


def test_guard_cannot_check_in(world, plan, make):
    event = plan(world)
    reg = s.register(world.owner, event)
    with pytest.raises(Forbidden):
        s.check_in(make.account("guard", world.community), event, reg.checkin_code, now=event.starts_at)


def test_search_by_name(world, plan):
    event = plan(world)
    s.register(world.owner, event)
    s.register(world.owner, event, world.grandma)
    found = s.search_registrations(world.manager, event, world.grandma.name)
    assert [r.person_id for r in found] == [world.grandma.id]


def test_rating_after_attending(world, plan):
    event = plan(world)
    reg = s.register(world.owner, event)
    with pytest.raises(Conflict):
        s.rate(world.owner, reg, 5, now=event.ends_at)  # did not attend
    s.check_in(world.manager, event, reg.checkin_code, now=event.starts_at)
    with pytest.raises(Conflict):
        s.rate(world.owner, reg, 5, now=event.starts_at)  # not over yet
    with pytest.raises(Invalid):
        s.rate(world.owner, reg, 6, now=event.ends_at)
    with pytest.raises(Forbidden):
        s.rate(world.neighbour, reg, 4, now=event.ends_at)
    s.rate(world.owner, reg, 4, "很好", now=event.ends_at)
    assert (reg.rating, reg.feedback) == (4, "很好")


def test_photo_of_child_without_consent_refused(world, plan, db):
    event = plan(world)
    s.register(world.owner, event, world.child, guardian_consent=True, photo_consent=False)
    s.register(world.owner, event)
    with pytest.raises(Invalid) as exc:
        s.add_photo(world.manager, event, "/photos/1.jpg", people_ids=[world.owner.id, world.child.id])
    assert exc.value.code == "photo_consent"
    photo = s.add_photo(world.manager, event, "/photos/1.jpg", people_ids=[world.owner.id])
    assert photo.people_shown == str(world.owner.id)


def test_photo_of_child_with_consent_accepted(world, plan):
    event = plan(world)
    s.register(world.owner, event, world.child, guardian_consent=True, photo_consent=True)
    assert s.add_photo(world.manager, event, "/p.jpg", people_ids=[world.child.id]).id


def test_photo_of_unregistered_child_refused(world, plan):
    event = plan(world)
    with pytest.raises(Invalid):
        s.add_photo(world.manager, event, "/p.jpg", people_ids=[world.child.id])


class Recorder:
    PLUGIN_NAME = "recorder"

    def __init__(self):
        self.calls = []
        self.charges = []

    @hookimpl
    def activity_recorded(self, scope, tags, day, count):
        self.calls.append((scope.id, tags, day, count))

    @hookimpl
    def charge_requested(self, payer, payee, item_code, amount, source):
        if item_code == "missing":
            raise ValueError("not on notice")
        self.charges.append((payer.id, payee.id, item_code, amount))
        return f"CH-{len(self.charges)}"


@pytest.fixture
def recorder(app):
    rec = Recorder()
    pm = app.extensions["jiayuan.pm"]
    pm.register(rec, name="recorder")
    yield rec
    pm.unregister(name="recorder")


def test_attendance_reported_as_a_count_once(world, plan, recorder):
    event = plan(world, function_tags=["guiding"], topic_tags="drug_prevention")
    regs = [s.register(world.owner, event), s.register(world.owner, event, world.grandma)]
    s.check_in(world.manager, event, regs[0].checkin_code, now=event.starts_at)
    assert s.report_ended_events(now=event.starts_at) == 0  # not over
    assert s.report_ended_events(now=event.ends_at) == 1
    assert recorder.calls == [(world.community.id, ["guiding", "drug_prevention"], s.local_day(event.starts_at), 1)]
    assert s.report_ended_events(now=event.ends_at) == 0
    assert len(recorder.calls) == 1


def test_paid_event_charges_through_the_hook(world, plan, recorder):
    event = plan(world, fee="20", fee_item_code="culture")
    reg = s.register(world.owner, event)
    assert reg.charge_ref == "CH-1"
    assert recorder.charges == [(world.owner.id, world.community.id, "culture", Decimal("20.00"))]
    s.settle_charge("CH-1")
    from core import db

    db.session.refresh(reg)
    assert reg.paid


def test_paid_event_item_not_on_notice(world, plan, recorder, db):
    event = plan(world, fee="20", fee_item_code="missing")
    with pytest.raises(Invalid):
        s.register(world.owner, event)


def test_paid_event_refused_without_fees_plugin(world, plan, db, app):
    event = plan(world, fee="20", fee_item_code="culture")
    pm = app.extensions["jiayuan.pm"]
    fees = pm.unregister(name="fees")  # the host as it is when the fees plugin is not installed
    try:
        with pytest.raises(Conflict) as exc:
            s.register(world.owner, event)
    finally:
        if fees is not None:
            pm.register(fees, name="fees")
    assert exc.value.code == "fee_unavailable"


def test_clubs_members_sessions_attendance(world, db):
    club = s.create_club(world.manager, world.community, "小太阳儿童俱乐部", age_groups="children")
    with pytest.raises(Invalid):
        s.join_club(world.owner, club)  # adult
    s.join_club(world.owner, club, world.child)
    with pytest.raises(Conflict):
        s.join_club(world.owner, club, world.child)
    start = dt.datetime(2027, 3, 6, 9, 30, tzinfo=s.TZ)
    session = s.add_club_session(world.manager, club, start, start + dt.timedelta(hours=1))
    assert s.record_club_attendance(world.manager, session, [world.child.id]) == 1
    assert s.record_club_attendance(world.manager, session, [world.child.id]) == 0
    with pytest.raises(Invalid):
        s.record_club_attendance(world.manager, session, [world.owner.id])


def test_polls_demand_by_age_group(world, db):
    poll = s.create_poll(world.manager, world.community, "想参加什么？", ["书法", "广场舞", "羽毛球"])
    s.vote(world.owner, poll, ["书法", "羽毛球"])
    s.vote(world.grandma, poll, ["广场舞"])
    s.vote(world.grandma, poll, ["广场舞", "书法"])  # changes her vote
    demand = s.poll_demand(poll)
    assert demand["书法"]["adults"] == 1 and demand["书法"]["elderly"] == 1
    assert demand["广场舞"]["elderly"] == 1 and demand["羽毛球"]["adults"] == 1
    with pytest.raises(Invalid):
        s.vote(world.owner, poll, ["足球"])
    with pytest.raises(Invalid):
        s.create_poll(world.manager, world.community, "q", ["only one"])


def test_participation_figures_by_hand(world, plan, make, db):
    # residents: owner (adult), child, grandma (elderly), neighbour (adult, other unit) = 4
    e1 = plan(world, function_tags=["cohesion"])
    e2 = plan(world, title="second", function_tags=["encouragement"])
    r1 = s.register(world.owner, e1)
    r2 = s.register(world.owner, e1, world.grandma)
    r3 = s.register(world.owner, e2, world.grandma)
    s.register(world.neighbour, e2)  # registered, never came
    for reg, ev in ((r1, e1), (r2, e1), (r3, e2)):
        s.check_in(world.manager, ev, reg.checkin_code, now=ev.starts_at)
    day = s.local_day(e1.starts_at)
    data = s.participation([world.community.id], day - dt.timedelta(days=1), day + dt.timedelta(days=1), on=day)
    assert data["total"] == {"residents": 4, "attendees": 2, "rate": 0.5}
    assert data["by_group"]["elderly"] == {"residents": 1, "attendees": 1, "rate": 1.0}
    assert data["by_group"]["adults"] == {"residents": 2, "attendees": 1, "rate": 0.5}
    assert data["by_group"]["children"] == {"residents": 1, "attendees": 0, "rate": 0.0}
    assert data["repeat_participants"] == 1
    assert data["most_reached"] == [world.building.name]
    tags = s.events_by_tag_and_month([world.community.id], day, day)
    assert tags == {(day.strftime("%Y-%m"), "cohesion"): 1, (day.strftime("%Y-%m"), "encouragement"): 1}
    # outside the period nothing counts
    empty = s.participation([world.community.id], day + dt.timedelta(days=2), day + dt.timedelta(days=3), on=day)
    assert empty["total"]["attendees"] == 0


def test_care_needs_reach_counts_only(world, plan, db):
    world.grandma.care_needs = "独居"
    event = plan(world)
    reg = s.register(world.owner, event, world.grandma)
    s.check_in(world.manager, event, reg.checkin_code, now=event.starts_at)
    day = s.local_day(event.starts_at)
    assert s.care_needs_reach([world.community.id], day, day) == {"residents": 1, "reached": 1, "rate": 1.0}


def test_household_lists_people_of_the_units(world):
    ids = [p.id for p in s.household(world.owner)]
    assert ids[0] == world.owner.id and set(ids) == {world.owner.id, world.child.id, world.grandma.id}


def test_announce_posts_a_notice(world, plan):
    notice = s.announce_event(world.manager, plan(world))
    assert notice.source_module == "culture_events"


def test_icalendar_feed_text(world, plan):
    event = plan(world, description="带上月饼, 一起赏月; 欢迎")
    text = s.icalendar(world.community, [event], "example.org")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert f"UID:culture-event-{event.id}@example.org" in text
    assert "带上月饼\\, 一起赏月\\; 欢迎" in text.replace("\r\n ", "")


def test_a_landlords_tenants_are_not_his_household(world, plan, make):
    rented = make.unit(world.building)
    landlord = make.owner(rented, lives_there=False)
    tenant = make.resident(rented, kind="tenant")
    assert [p.id for p in s.household(landlord)] == [landlord.id]
    with pytest.raises(Forbidden):
        s.register(landlord, plan(world), tenant)


def test_portal_summary_names_the_next_event_held_and_counts_waiting_places(world, plan, make, db):
    assert s.portal_summary(world.owner) == {"next": None, "waiting": 0}
    later = plan(world, title="重阳登高", starts_at=s.utcnow() + dt.timedelta(days=20),
                 ends_at=s.utcnow() + dt.timedelta(days=20, hours=3))
    sooner = plan(world, title="中秋晚会", capacity=1)
    full = plan(world, title="亲子手工", capacity=1)
    s.register(world.neighbour, full)
    s.register(world.owner, later)
    s.register(world.owner, sooner)
    s.register(world.owner, full)  # the only place is taken: waiting
    mine = s.portal_summary(world.owner)
    assert mine["next"][0] == "中秋晚会" and mine["waiting"] == 1
    s.cancel_registration(world.owner, db.session.scalars(select(Registration).where(
        Registration.person_id == world.owner.id, Registration.event_id == sooner.id)).one())
    assert s.portal_summary(world.owner)["next"][0] == "重阳登高"  # a cancelled place is not held
    assert s.portal_summary(world.neighbour) == {"next": ("亲子手工", full.starts_at), "waiting": 0}
