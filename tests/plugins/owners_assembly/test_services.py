import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core import Conflict, Forbidden, Invalid, hookimpl
from core.notices.models import Notice
from core.notifications.models import Notification
from plugins.owners_assembly import services as svc
from plugins.owners_assembly.models import Ballot, RollEntry
from tests.plugins.owners_assembly.conftest import entry_of


def test_roll_is_built_from_the_register_and_frozen(estate, open_meeting, db):
    meeting = open_meeting.meeting
    entries = db.session.scalars(select(RollEntry).where(RollEntry.meeting_id == meeting.id)).all()
    assert meeting.total_heads == 5 == len(entries)  # A (two units) + B + C + D + developer
    assert meeting.total_area == 57000
    developer = next(e for e in entries if e.voter_key == "developer")
    assert developer.area == 17000
    a = next(e for e in entries if e.person_id == estate.a.id)
    assert a.area == 18000 and "、" in a.units


def test_publishing_posts_the_notice_and_tells_the_residents_committee(estate, make, db):
    rc = make.account("rc_staff", db.session.get(type(estate.community.area), estate.community.area_id),
                      username="rc1")
    now = svc.utcnow()
    meeting = svc.create_meeting(estate.committee, estate.community, title="会议", kind="regular", form="online",
                                 cutoff_date=now.date(), opens_at=now + dt.timedelta(days=15, minutes=5),
                                 closes_at=now + dt.timedelta(days=20))
    svc.add_item(estate.committee, meeting, title="事项", decision_class="ordinary")
    svc.publish_meeting_notice(estate.committee, meeting, now=now)
    notice = db.session.get(Notice, meeting.notice_id)
    assert notice.kind == "meeting" and notice.community_id == estate.community.id
    assert db.session.scalar(select(Notification).where(Notification.account_id == rc.id))
    # owners read the voting times in local time (Asia/Shanghai) and the form in words
    local = meeting.opens_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"表决时间：{local:%Y-%m-%d %H:%M} 至" in notice.body and "UTC" not in notice.body
    assert "会议形式：业主服务平台线上表决" in notice.body


def test_notice_period_too_short_is_refused_and_nothing_is_frozen(estate, db):
    now = svc.utcnow()
    meeting = svc.create_meeting(estate.committee, estate.community, title="仓促", kind="regular", form="online",
                                 cutoff_date=now.date(), opens_at=now + dt.timedelta(days=14),
                                 closes_at=now + dt.timedelta(days=20))
    svc.add_item(estate.committee, meeting, title="事项", decision_class="ordinary")
    with pytest.raises(Invalid) as err:
        svc.publish_meeting_notice(estate.committee, meeting, now=now)
    assert "opens_at" in err.value.fields
    assert meeting.status == "draft"
    assert not db.session.scalar(select(RollEntry.id).where(RollEntry.meeting_id == meeting.id))


def test_item_without_decision_class_is_refused(estate, db):
    now = svc.utcnow()
    meeting = svc.create_meeting(estate.committee, estate.community, title="会议", kind="regular", form="online",
                                 cutoff_date=now.date(), opens_at=now + dt.timedelta(days=16),
                                 closes_at=now + dt.timedelta(days=20))
    with pytest.raises(Invalid):
        svc.add_item(estate.committee, meeting, title="无类别", decision_class=None)


def test_ballot_rules(estate, open_meeting, db, make):
    m, item = open_meeting.meeting, open_meeting.ordinary
    entry = entry_of(m, estate.a)
    first = svc.cast_ballot(estate.a, m, item, entry, "agree")
    changed = svc.cast_ballot(estate.a, m, item, entry, "disagree")
    assert first.id == changed.id and changed.choice == "disagree" and changed.changes == 1
    # someone not on the roll, or voting for another's entry without a proxy
    stranger = make.person()
    with pytest.raises(Forbidden):
        svc.cast_ballot(stranger, m, item, entry, "agree")
    with pytest.raises(Forbidden):
        svc.cast_ballot(estate.b, m, item, entry, "agree")
    with pytest.raises(Invalid):
        svc.cast_ballot(estate.a, m, item, entry, "maybe")


def test_proxy_votes_for_the_owner_once(estate, open_meeting, db):
    m, item = open_meeting.meeting, open_meeting.ordinary
    entry_b = entry_of(m, estate.b)
    with pytest.raises(Invalid):
        svc.add_proxy(estate.clerk, m, entry_b, estate.c, "")
    svc.add_proxy(estate.clerk, m, entry_b, estate.c, "委托书 2026-01")
    svc.cast_ballot(estate.c, m, item, entry_b, "agree")
    svc.cast_ballot(estate.c, m, item, entry_b, "abstain")  # the proxy may change the ballot they cast
    with pytest.raises(Conflict):
        svc.cast_ballot(estate.b, m, item, entry_b, "disagree")  # one vote per entry, whoever casts it
    ballots = db.session.scalars(select(Ballot).where(Ballot.roll_entry_id == entry_b.id)).all()
    assert len(ballots) == 1 and ballots[0].choice == "abstain"
    with pytest.raises(Conflict):
        svc.add_proxy(estate.clerk, m, entry_b, estate.d, "另一份")


def test_paper_ballot_counts_only_once_a_second_person_confirms(estate, open_meeting, db):
    m, item = open_meeting.meeting, open_meeting.ordinary
    entry = entry_of(m, estate.d)
    ballot = svc.enter_paper_ballot(estate.clerk, m, item, entry, "agree", "P-0001")
    assert not svc.counted_ballots(m.id)
    with pytest.raises(Conflict):
        svc.enter_paper_ballot(estate.clerk, m, item, entry, "disagree", "P-0002")  # a second ballot
    with pytest.raises(Conflict):
        svc.cast_ballot(estate.d, m, item, entry, "disagree")
    with pytest.raises(Forbidden):
        svc.confirm_paper_ballot(estate.clerk, ballot)
    svc.confirm_paper_ballot(estate.clerk2, ballot)
    assert svc.counted_ballots(m.id) == [(item.id, "agree", 6000, 1)]


class DecisionListener:
    """A real hook implementation standing in for a plugin that waits for decisions."""

    def __init__(self):
        self.decisions = []

    @hookimpl
    def decision_recorded(self, decision):
        self.decisions.append(decision)


@pytest.fixture
def listener(app):
    pm = app.extensions["jiayuan.pm"]
    plugin = DecisionListener()
    pm.register(plugin, name="decision_listener")
    yield plugin
    pm.unregister(name="decision_listener")


def test_close_tallies_posts_the_result_and_announces_decisions(estate, open_meeting, db, listener):
    m = open_meeting.meeting
    announced = listener.decisions
    # A (180), B (90), C (70) agree on the ordinary item: 340/570 area = 59.6% < 2/3 -> add D
    for person, choice in ((estate.a, "agree"), (estate.b, "agree"), (estate.c, "agree"), (estate.d, "disagree")):
        entry = entry_of(m, person)
        svc.cast_ballot(person, m, open_meeting.ordinary, entry, choice)
        svc.cast_ballot(person, m, open_meeting.special, entry, choice)
    with pytest.raises(Conflict):
        svc.close_meeting(estate.committee, m)  # still open
    svc.close_meeting(estate.committee, m, now=m.closes_at)
    # participation: 400/570 area (70.2%) and 4/5 heads; ordinary: 340/400 and 3/4 agree -> passed
    # special: 340/400 = 85% area but 3/4 heads exactly -> passed (3/4 inclusive)
    assert open_meeting.ordinary.passed is True and open_meeting.special.passed is True
    assert open_meeting.ordinary.result["participating_area"] == 40000
    assert m.status == "closed" and db.session.get(Notice, m.result_notice_id).kind == "result"
    assert {d["subject"] for d in announced} == {"续聘物业", "筹集维修资金"}
    with pytest.raises(Conflict):
        svc.cast_ballot(estate.a, m, open_meeting.ordinary, entry_of(m, estate.a), "disagree")


def test_election_fills_seats_and_records_the_committee(estate, db):
    now = svc.utcnow()
    m = svc.create_meeting(estate.committee, estate.community, title="换届", kind="regular", form="online",
                           cutoff_date=(now - dt.timedelta(days=20)).date(), opens_at=now - dt.timedelta(hours=1),
                           closes_at=now + dt.timedelta(hours=1))
    with pytest.raises(Invalid):
        svc.add_item(estate.committee, m, title="选举", decision_class="ordinary", kind="election", seats=4)
    item = svc.add_item(estate.committee, m, title="选举业委会", decision_class="ordinary", kind="election", seats=5)
    cands = [svc.add_candidate(estate.committee, item, name=f"候选人{i}") for i in range(6)]
    svc.publish_meeting_notice(estate.committee, m, now=now - dt.timedelta(days=16))
    voters = [estate.a, estate.b, estate.c, estate.d]
    for person in voters:
        svc.vote_candidates(person, m, item, entry_of(m, person), [c.id for c in cands[:5]])
    with pytest.raises(Invalid):
        svc.vote_candidates(estate.a, m, item, entry_of(m, estate.a), [c.id for c in cands])  # six for five seats
    svc.close_meeting(estate.committee, m, now=m.closes_at)
    assert item.result["elected"] == [c.id for c in cands[:5]]
    from plugins.owners_assembly.models import Committee

    committee = db.session.scalar(select(Committee).where(Committee.meeting_id == m.id))
    assert committee.register_by == m.closes_at.date() + dt.timedelta(days=30) and len(committee.members) == 5


def test_demand_reaching_a_fifth_tells_the_committee(estate, db):
    demand = svc.open_demand(estate.a, estate.community, "临时会议：更换物业")  # 1 of 5 owners = 20%
    assert demand.reached_at is not None
    assert db.session.scalar(select(Notification).where(Notification.account_id == estate.committee.id))
    with pytest.raises(Conflict):
        svc.sign_demand(estate.a, demand)


def test_decision_required_queues_a_proposal(estate, db, app):
    ref = app.extensions["jiayuan.pm"].hook.decision_required(community=estate.community, subject="调整物业费",
                                                               decision_class="ordinary")
    assert ref.startswith("owners_assembly:proposal:")


def test_registration_reminder_is_sent_once_a_day_until_registered(estate, db):
    from plugins.owners_assembly.models import Committee

    today = dt.date(2026, 12, 1)
    committee = Committee(area_id=estate.community.area_id, community_id=estate.community.id,
                          elected_on=today - dt.timedelta(days=25), term_end=today + dt.timedelta(days=1800),
                          register_by=today + dt.timedelta(days=5), members=[])
    db.session.add(committee)
    db.session.flush()
    assert svc.registration_reminders(today) == 1
    committee.reminded_at = dt.datetime(2026, 12, 1, 3, tzinfo=dt.UTC)
    assert svc.registration_reminders(today) == 0  # already reminded today
    committee.registered_on = today
    assert svc.registration_reminders(today + dt.timedelta(days=1)) == 0
