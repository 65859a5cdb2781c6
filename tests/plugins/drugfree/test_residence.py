"""Where a case counts: in the area where its person lives on the evaluation date (core residency
records, temporary residents and 人户分离 included), else where it is held; the record itself stays
with the officer of the area that holds it."""

import datetime as dt

from sqlalchemy import select

from core.people.models import Residency
from core.testing import assert_envelope
from plugins.drugfree import rules, services

BASE = "/api/v1/drugfree"
ON = dt.date(2026, 6, 30)
MOVED = dt.date(2025, 3, 1)


# ---------------------------------------------------------------- the rule (pure)

def test_counting_area_without_residence_is_the_holding_area():
    assert rules.counting_area(1, ()) == (1, False)


def test_counting_area_follows_the_residence():
    assert rules.counting_area(1, [(2, dt.date(2025, 1, 1), 7)]) == (2, True)


def test_counting_area_keeps_the_holding_area_among_several_homes():
    homes = [(2, dt.date(2025, 1, 1), 7), (1, dt.date(2010, 1, 1), 3)]
    assert rules.counting_area(1, homes) == (1, True)


def test_counting_area_takes_the_latest_residence_elsewhere():
    homes = [(2, dt.date(2025, 1, 1), 7), (3, dt.date(2025, 2, 1), 5), (4, None, 9)]
    assert rules.counting_area(1, homes) == (3, True)
    assert rules.counting_area(1, [(2, dt.date(2025, 1, 1), 7), (3, dt.date(2025, 1, 1), 8)]) == (3, True)


# ---------------------------------------------------------------- the service

def _other_unit(world):
    from core import db

    return db.session.scalar(select(Residency).where(Residency.person_id == world["outsider"].id)).unit


def _live(db, unit, world, start, kind="family"):
    db.session.add(Residency(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                             person_id=world["person"].id, kind=kind, start_date=start))


def _end_residence(db, world, on):
    for r in db.session.scalars(select(Residency).where(Residency.person_id == world["person"].id)):
        r.end_date = on


def _current_user_case(db, world, open_case):
    case = open_case()
    services.add_status(world["officer"], case, status="using", start=dt.date(2020, 1, 1))
    db.session.commit()
    return case


def _current(area, on=ON):
    _mode, summary = services.summarise_area(area, on)
    return summary.current


def test_person_who_moved_counts_where_they_live_now(db, make, world, open_case):
    case = _current_user_case(db, world, open_case)
    _end_residence(db, world, MOVED - dt.timedelta(days=1))
    _live(db, _other_unit(world), world, MOVED, "tenant")
    db.session.commit()
    assert _current(world["area"]) == 0 and _current(world["other_area"]) == 1
    # before the move, the case counted where it is held
    assert _current(world["area"], MOVED - dt.timedelta(days=1)) == 1
    assert _current(world["other_area"], MOVED - dt.timedelta(days=1)) == 0
    # in one batch too, each case in exactly one area
    both = services.summarise_areas([world["area"], world["other_area"]], ON)
    assert both[world["area"].id][1].current == 0 and both[world["other_area"].id][1].current == 1
    # the record stays with its holder: not among the people behind the other area's counts
    _mode, summary = services.summarise_area(world["other_area"], ON)
    assert all(case.id not in refs for refs in summary.people.values())


def test_person_without_any_residence_counts_where_the_case_is_held(db, world, open_case):
    _current_user_case(db, world, open_case)
    for r in db.session.scalars(select(Residency).where(Residency.person_id == world["person"].id)):
        db.session.delete(r)
    db.session.commit()
    assert _current(world["area"]) == 1 and _current(world["other_area"]) == 0


def test_residence_ended_before_the_date_counts_where_held_then_at_the_new_home(db, make, world, open_case):
    case = _current_user_case(db, world, open_case)
    ended = dt.date(2024, 6, 30)
    _end_residence(db, world, ended)
    db.session.commit()
    assert _current(world["area"], ended) == 1  # the last day of the residency
    assert _current(world["area"]) == 1 and _current(world["other_area"]) == 0  # no home on record
    # "moved out" with no residence on record: excluded where it is held, counted nowhere else
    services.add_status(world["officer"], case, status="moved_out", start=dt.date(2024, 7, 1))
    db.session.commit()
    _m, here = services.summarise_area(world["area"], ON)
    assert here.moved_out == 1 and here.current == 0
    _live(db, _other_unit(world), world, dt.date(2025, 1, 1))
    db.session.commit()
    _m, here = services.summarise_area(world["area"], ON)
    _m, there = services.summarise_area(world["other_area"], ON)
    assert here.registered == 0 and there.registered == 1
    assert there.moved_out == 0 and there.current == 1  # lives there: "moved out" does not exclude


def test_temporary_resident_counts_where_they_live_not_where_registered(db, make, world, open_case):
    """人户分离: household registration in one area, living in another."""
    case = _current_user_case(db, world, open_case)
    world["person"].area_id = world["other_area"].id  # registered (户籍) in the other area
    db.session.commit()
    assert _current(world["area"]) == 1 and _current(world["other_area"]) == 0
    _end_residence(db, world, MOVED - dt.timedelta(days=1))
    _live(db, _other_unit(world), world, MOVED, "temporary")
    world["person"].area_id = world["area"].id  # registered in the holding area, living elsewhere
    db.session.commit()
    assert _current(world["area"]) == 0 and _current(world["other_area"]) == 1
    assert services.facts_of([db.session.get(type(case), case.id)], ON)[0].lives_in_area


def test_person_with_a_case_in_two_areas_counts_once_with_the_case_held_where_they_live(db, make, world,
                                                                                         open_case):
    """The person moved to the other area and its officer opened a case of their own, not knowing of
    the first (create_case checks only its own area, so as not to tell one officer of another's
    record): the person counts once there, with the case held there."""
    first = _current_user_case(db, world, open_case)
    _end_residence(db, world, MOVED - dt.timedelta(days=1))
    _live(db, _other_unit(world), world, MOVED, "tenant")
    other_officer = make.account("drugfree_officer", world["other_area"], username="officer-b")
    db.session.commit()
    second = services.create_case(other_officer, world["other_area"], person_id=world["person"].id,
                                  legal_basis="police_notification", registered_on=dt.date(2025, 4, 1))
    services.set_clean_since(other_officer, second, dt.date(2025, 4, 1), on=ON)
    db.session.commit()
    both = services.summarise_areas([world["area"], world["other_area"]], ON)
    for summary in (both[world["other_area"].id][1], services.summarise_area(world["other_area"], ON)[1]):
        assert summary.registered == 1 and summary.current == 0 and summary.former == 1
        assert summary.people["former"] == [second.id]
        assert all(first.id not in refs for refs in summary.people.values())
    assert both[world["area"].id][1].registered == 0
    # before the move the first case counts where it is held, and the second is not yet registered
    before = MOVED - dt.timedelta(days=1)
    assert _current(world["area"], before) == 1 and services.summarise_area(world["other_area"], before)[1].registered == 0


def test_two_cases_for_someone_living_in_neither_area_count_once_the_latest_registered(db, make, world, open_case):
    first = _current_user_case(db, world, open_case)
    other_officer = make.account("drugfree_officer", world["other_area"], username="officer-b")
    _live(db, _other_unit(world), world, dt.date(2019, 1, 1), "temporary")  # lives in both areas
    db.session.commit()
    second = services.create_case(other_officer, world["other_area"], person_id=world["person"].id,
                                  legal_basis="police_notification", registered_on=dt.date(2021, 1, 1))
    db.session.commit()
    # two homes: each area counts its own case (one per area), none twice
    both = services.summarise_areas([world["area"], world["other_area"]], ON)
    assert both[world["area"].id][1].people["current"] == [first.id]
    assert both[world["other_area"].id][1].people["current"] == [second.id]
    # then the person leaves both areas for a third: counted once there, with the later case
    third = make.area(name="新居社区")
    unit = make.unit(building=make.building(community=make.community(area=third)))
    _end_residence(db, world, MOVED - dt.timedelta(days=1))
    _live(db, unit, world, MOVED, "family")
    db.session.commit()
    _mode, there = services.summarise_area(third, ON)
    assert there.registered == 1 and there.current == 1
    assert there.people == {}  # both records are held elsewhere: counted, never named here
    assert services.load_facts([third.id], ON)[1] == {third.id: {second.id}}
    assert services.summarise_area(world["area"], ON)[1].registered == 0
    assert services.summarise_area(world["other_area"], ON)[1].registered == 0


# ---------------------------------------------------------------- who sees what

def test_count_moves_record_stays_with_its_holder(client, db, make, world, open_case, api_headers):
    case = _current_user_case(db, world, open_case)
    _end_residence(db, world, MOVED - dt.timedelta(days=1))
    unit = _other_unit(world)
    _live(db, unit, world, MOVED, "tenant")
    other_officer = make.account("drugfree_officer", world["other_area"], username="officer-b")
    from core import Community

    manager = make.account("manager", db.session.get(Community, unit.community_id))
    db.session.commit()
    on = f"?on_date={ON.isoformat()}"
    b = client.get(f"{BASE}/areas/{world['other_area'].id}/evaluation{on}",
                   headers=api_headers(other_officer)).get_json()
    assert b["checks"][0]["counts"]["current"] == 1 and b["meets"] is False
    assert all(case.id not in refs for refs in b["people"].values())
    a = client.get(f"{BASE}/areas/{world['area'].id}/evaluation{on}",
                   headers=api_headers(world["officer"])).get_json()
    assert a["checks"][0]["counts"]["current"] == 0
    # the holder's officer still reads the record; the officer where it now counts does not
    assert client.get(f"{BASE}/cases/{case.id}", headers=api_headers(world["officer"])).status_code == 200
    assert_envelope(client.get(f"{BASE}/cases/{case.id}", headers=api_headers(other_officer)), 403, "forbidden")
    # others see the moved count as an aggregate, small cells suppressed, no people
    seen = client.get(f"{BASE}/areas/{world['other_area'].id}/evaluation{on}",
                      headers=api_headers(manager)).get_json()
    assert seen["people"] is None and seen["checks"][0]["counts"]["current"] == "<3" and seen["suppressed"]
