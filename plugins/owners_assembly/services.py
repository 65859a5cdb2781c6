"""The rules of the owners' assembly as pure functions over plain values (no Flask, no database).

Civil Code §278: a vote needs owners holding at least 2/3 of the exclusive area AND at least 2/3
of the headcount to take part; special matters pass with at least 3/4 of the participating area
AND headcount agreeing, ordinary matters with more than half of both. "以上" includes the bound,
"过半数" is strict. Fractions are exact: areas arrive as integer hundredths of a square metre.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from flask_babel import lazy_gettext as _l

SPECIAL, ORDINARY = "special", "ordinary"
AGREE, DISAGREE, ABSTAIN = "agree", "disagree", "abstain"
CHOICES = (AGREE, DISAGREE, ABSTAIN)


@dataclass(frozen=True)
class Thresholds:
    """The fractions in force (settings naming Civil Code §278 as their source)."""

    participation: Fraction = Fraction(2, 3)  # at least (以上)
    special: Fraction = Fraction(3, 4)  # at least (以上)
    ordinary: Fraction = Fraction(1, 2)  # more than (过半数)


@dataclass(frozen=True)
class Tally:
    total_area: int
    total_heads: int
    agree_area: int = 0
    agree_heads: int = 0
    disagree_area: int = 0
    disagree_heads: int = 0
    abstain_area: int = 0
    abstain_heads: int = 0

    @property
    def participating_area(self) -> int:
        return self.agree_area + self.disagree_area + self.abstain_area

    @property
    def participating_heads(self) -> int:
        return self.agree_heads + self.disagree_heads + self.abstain_heads


@dataclass(frozen=True)
class Result:
    tally: Tally
    decision_class: str
    quorum_area: bool
    quorum_heads: bool
    agree_area_ok: bool
    agree_heads_ok: bool

    @property
    def quorum(self) -> bool:
        return self.quorum_area and self.quorum_heads

    @property
    def passed(self) -> bool:
        return self.quorum and self.agree_area_ok and self.agree_heads_ok


def _at_least(part: int, whole: int, fraction: Fraction) -> bool:
    return whole > 0 and Fraction(part, whole) >= fraction


def _more_than(part: int, whole: int, fraction: Fraction) -> bool:
    return whole > 0 and Fraction(part, whole) > fraction


def decide(tally: Tally, decision_class: str, thresholds: Thresholds = Thresholds()) -> Result:
    """Apply the double majority to one agenda item."""
    if decision_class not in (SPECIAL, ORDINARY):
        raise ValueError(f"unknown decision class {decision_class!r}")
    quorum_area = _at_least(tally.participating_area, tally.total_area, thresholds.participation)
    quorum_heads = _at_least(tally.participating_heads, tally.total_heads, thresholds.participation)
    if decision_class == SPECIAL:
        area_ok = _at_least(tally.agree_area, tally.participating_area, thresholds.special)
        heads_ok = _at_least(tally.agree_heads, tally.participating_heads, thresholds.special)
    else:
        area_ok = _more_than(tally.agree_area, tally.participating_area, thresholds.ordinary)
        heads_ok = _more_than(tally.agree_heads, tally.participating_heads, thresholds.ordinary)
    return Result(tally, decision_class, quorum_area, quorum_heads, area_ok, heads_ok)


def count(total_area: int, total_heads: int, ballots: Iterable[tuple[str, int, int]]) -> Tally:
    """Sum ballots given as ``(choice, area, heads)``; each roll entry must appear at most once."""
    sums = {AGREE: [0, 0], DISAGREE: [0, 0], ABSTAIN: [0, 0]}
    for choice, area, heads in ballots:
        pair = sums[choice]
        pair[0] += area
        pair[1] += heads
    return Tally(total_area, total_heads, sums[AGREE][0], sums[AGREE][1], sums[DISAGREE][0], sums[DISAGREE][1],
                 sums[ABSTAIN][0], sums[ABSTAIN][1])


# ---------------------------------------------------------------------------------------------
# The voter roll
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """One ownership of one unit, as read from the register at the cut-off date."""

    unit_id: int
    unit_label: str
    exclusive_area: int  # hundredths of m²
    person_id: int | None
    organisation_id: int | None
    is_developer: bool  # the developer's unsold or undelivered units
    is_representative: bool  # the co-owner named to vote for the unit
    share: Fraction = Fraction(1)
    name: str = ""


@dataclass
class RollSpec:
    key: tuple  # ("person", id) | ("organisation", id)
    name: str
    person_id: int | None
    organisation_id: int | None
    area: int = 0
    heads: int = 1
    unit_ids: list[int] = field(default_factory=list)
    unit_labels: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_roll(holdings: Iterable[Holding]) -> list[RollSpec]:
    """One entry per voter: each unit counts once through the co-owner named to vote for it; a buyer
    of several units counts once with their areas summed; the developer's unsold or undelivered
    units count once together. Units without a named representative fall to the largest share."""
    by_unit: dict[int, list[Holding]] = {}
    for h in holdings:
        by_unit.setdefault(h.unit_id, []).append(h)
    entries: dict[tuple, RollSpec] = {}
    for unit_id in sorted(by_unit):
        owners = by_unit[unit_id]
        developer = next((h for h in owners if h.is_developer), None)
        if developer is not None:
            voter, note = developer, None
        else:
            named = [h for h in owners if h.is_representative]
            ranked = sorted(named or owners, key=lambda h: (-h.share, h.person_id or 0, h.organisation_id or 0))
            voter = ranked[0]
            note = None if len(named) == 1 or len(owners) == 1 else "representative not named: largest share votes"
        key = ("developer",) if voter.is_developer else (
            ("person", voter.person_id) if voter.person_id is not None else ("organisation", voter.organisation_id))
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = RollSpec(key, voter.name, voter.person_id, voter.organisation_id)
        entry.area += voter.exclusive_area
        entry.unit_ids.append(unit_id)
        entry.unit_labels.append(voter.unit_label)
        if note:
            entry.notes.append(f"{voter.unit_label}: {note}")
    return sorted(entries.values(), key=lambda e: (e.unit_labels[0], e.name))


# ---------------------------------------------------------------------------------------------
# Committee elections
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionOutcome:
    elected: list[int]
    runoff: list[int]  # tied for the last seat: a run-off among them decides
    qualified: list[int]  # over the ordinary threshold, ranked


def elect(seats: int, votes: dict[int, tuple[int, int]], participating_area: int, participating_heads: int,
          thresholds: Thresholds = Thresholds()) -> ElectionOutcome:
    """Those over the ordinary threshold (more than half of the participating area AND headcount),
    ranked by agree area then headcount, fill the seats; a tie across the last seat goes to a run-off."""
    qualified = [
        cid for cid, (area, heads) in votes.items()
        if _more_than(area, participating_area, thresholds.ordinary)
        and _more_than(heads, participating_heads, thresholds.ordinary)
    ]
    qualified.sort(key=lambda cid: (-votes[cid][0], -votes[cid][1], cid))
    if len(qualified) <= seats:
        return ElectionOutcome(qualified, [], qualified)
    last = votes[qualified[seats - 1]]
    tied = [cid for cid in qualified if votes[cid] == last]
    sure = [cid for cid in qualified[:seats] if votes[cid] != last]
    if len(sure) + len(tied) == seats:
        return ElectionOutcome(sure + tied, [], qualified)
    return ElectionOutcome(sure, tied, qualified)


def seats_problem(seats: int, low: int = 5, high: int = 11) -> str | None:
    if seats < low or seats > high:
        return _l("A committee has %(low)s to %(high)s members.", low=low, high=high)
    if seats % 2 == 0:
        return _l("The number of seats must be odd.")
    return None


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def notice_problem(noticed_on: dt.datetime, opens_at: dt.datetime, min_days: int) -> str | None:
    """The notice must be up at least ``min_days`` whole days before voting opens (物业管理条例 §14)."""
    if opens_at - noticed_on < dt.timedelta(days=min_days):
        return _l("The notice must be published at least %(days)s days before voting opens.", days=min_days)
    return None


def challenge_deadline(announced_on: dt.date, years: int = 1) -> dt.date:
    """The last day an owner who learnt of the decision on ``announced_on`` may ask a court to
    revoke it (Civil Code §280: within one year of knowing); 29 February falls back to the 28th."""
    try:
        return announced_on.replace(year=announced_on.year + years)
    except ValueError:
        return announced_on.replace(year=announced_on.year + years, day=28)


def demand_reached(signers: int, owners: int, fraction: Fraction = Fraction(1, 5)) -> bool:
    """Owners making up 20% or more have asked for an extraordinary meeting (物业管理条例 §13)."""
    return owners > 0 and Fraction(signers, owners) >= fraction


def percent(part: int, whole: int) -> str:
    """Exact share as a percentage with two places, half up: "66.67%"."""
    if whole == 0:
        return "0.00%"
    hundredths = Fraction(part * 10000, whole)
    rounded = int(hundredths + Fraction(1, 2))
    return f"{rounded // 100}.{rounded % 100:02d}%"


# ---------------------------------------------------------------------------------------------
# Operations on the database (take the acting account or person explicitly; flush, never commit)
# ---------------------------------------------------------------------------------------------

import datetime as _dt  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from flask import current_app  # noqa: E402
from sqlalchemy import BigInteger, and_, case, func, or_, select, type_coerce  # noqa: E402
from sqlalchemy.exc import IntegrityError  # noqa: E402

from core import (  # noqa: E402
    Building,
    Community,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    Organisation,
    Ownership,
    Person,
    Unit,
    audit,
    db,
    get_setting,
    hook,
    notify_role,
    publish_notice,
    utcnow,
)
from plugins.owners_assembly.models import (  # noqa: E402
    AgendaItem,
    Ballot,
    Candidate,
    Committee,
    Demand,
    DemandSignature,
    ElectionVote,
    Meeting,
    Proposal,
    Proxy,
    RollEntry,
)

MODULE = "owners_assembly"
FORMS = ("in_person", "door_to_door", "online", "mixed")
KINDS = ("regular", "extraordinary", "first")


def thresholds_for(community) -> Thresholds:
    return Thresholds(
        participation=Fraction(get_setting("owners_assembly.participation", community=community)),
        special=Fraction(get_setting("owners_assembly.special_majority", community=community)),
        ordinary=Fraction(get_setting("owners_assembly.ordinary_majority", community=community)),
    )


def _require_draft(meeting: Meeting) -> None:
    if meeting.status != "draft":
        raise Conflict(_l("The agenda is fixed once the notice is published."), code="meeting_not_draft")


def create_meeting(actor, community: Community, *, title: str, kind: str, form: str, cutoff_date: _dt.date,
                   opens_at: _dt.datetime, closes_at: _dt.datetime, location: str | None = None) -> Meeting:
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [_l("Must be one of: %(choices)s.", choices=", ".join(KINDS))]
    if form not in FORMS:
        errors["form"] = [_l("Must be one of: %(choices)s.", choices=", ".join(FORMS))]
    if closes_at <= opens_at:
        errors["closes_at"] = [_l("Voting must close after it opens.")]
    if cutoff_date > opens_at.date():
        errors["cutoff_date"] = [_l("The roll cut-off must not be after voting opens.")]
    if errors:
        raise Invalid(fields=errors)
    meeting = Meeting(area_id=community.area_id, community_id=community.id, title=title.strip(), kind=kind, form=form,
                      cutoff_date=cutoff_date, opens_at=opens_at, closes_at=closes_at, location=location,
                      convened_by_id=actor.id)
    db.session.add(meeting)
    db.session.flush()
    return meeting


def add_item(actor, meeting: Meeting, *, title: str, decision_class: str | None, description: str = "",
             kind: str = "resolution", seats: int | None = None) -> AgendaItem:
    _require_draft(meeting)
    if decision_class not in (SPECIAL, ORDINARY):
        raise Invalid(fields={"decision_class": [_l("Choose special (3/4) or ordinary (more than half).")]})
    if kind not in ("resolution", "election"):
        raise Invalid(fields={"kind": [_l("Must be one of: resolution, election.")]})
    if kind == "election":
        community = db.session.get(Community, meeting.community_id)
        problem = seats_problem(seats or 0, get_setting("owners_assembly.seats_min", community=community),
                                get_setting("owners_assembly.seats_max", community=community))
        if problem:
            raise Invalid(fields={"seats": [problem]})
        if decision_class != ORDINARY:
            raise Invalid(fields={"decision_class": [_l("Electing the committee is an ordinary matter.")]})
    position = 1 + (db.session.scalar(select(func.max(AgendaItem.position))
                                      .where(AgendaItem.meeting_id == meeting.id)) or 0)
    item = AgendaItem(area_id=meeting.area_id, community_id=meeting.community_id, meeting_id=meeting.id,
                      position=position, title=title.strip(), description=description, decision_class=decision_class,
                      kind=kind, seats=seats if kind == "election" else None)
    db.session.add(item)
    db.session.flush()
    return item


def add_candidate(actor, item: AgendaItem, *, name: str, statement: str = "", person_id: int | None = None) -> Candidate:
    meeting = db.session.get(Meeting, item.meeting_id)
    _require_draft(meeting)
    if item.kind != "election":
        raise Conflict(_l("Candidates stand only in an election item."), code="not_an_election")
    candidate = Candidate(area_id=item.area_id, community_id=item.community_id, item_id=item.id, person_id=person_id,
                          name=name.strip(), statement=statement)
    db.session.add(candidate)
    db.session.flush()
    return candidate


def review_candidate(actor, candidate: Candidate, *, comment: str, eligible: bool) -> Candidate:
    candidate.rc_comment = comment.strip()
    candidate.eligible = eligible
    db.session.flush()
    return candidate


def register_holdings(community_id: int, on: _dt.date) -> list[Holding]:
    """The community's ownerships in force on ``on``, read in one query."""
    in_force = and_(or_(Ownership.start_date.is_(None), Ownership.start_date <= on),
                    or_(Ownership.end_date.is_(None), Ownership.end_date >= on))
    stmt = (
        select(Ownership.unit_id, Building.name, Unit.number, type_coerce(Unit.exclusive_area, BigInteger),
               Unit.sale_status, Ownership.person_id, Ownership.organisation_id, Ownership.is_voting_representative,
               Ownership.share, Person.name, Organisation.name, Organisation.kind)
        .join(Unit, Unit.id == Ownership.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .outerjoin(Person, Person.id == Ownership.person_id)
        .outerjoin(Organisation, Organisation.id == Ownership.organisation_id)
        .where(Ownership.community_id == community_id, in_force)
    )
    holdings = []
    for (unit_id, building, number, area, sale_status, person_id, org_id, representative, share, person_name,
         org_name, org_kind) in db.session.execute(stmt):
        developer = str(org_kind) == "developer" or str(sale_status) != "delivered"
        holdings.append(Holding(unit_id, f"{building}-{number}", int(area or 0), person_id, org_id, developer,
                                bool(representative), Fraction(str(share or 1)), person_name or org_name or ""))
    return holdings


def freeze_roll(meeting: Meeting) -> tuple[int, int]:
    """Build the roll from the register at the cut-off date and store it with the meeting."""
    specs = build_roll(register_holdings(meeting.community_id, meeting.cutoff_date))
    rows = []
    for spec in specs:
        key = "developer" if spec.key == ("developer",) else f"{spec.key[0]}:{spec.key[1]}"
        rows.append({"area_id": meeting.area_id, "community_id": meeting.community_id, "meeting_id": meeting.id,
                     "voter_key": key, "person_id": spec.person_id, "organisation_id": spec.organisation_id,
                     "name": spec.name if spec.key != ("developer",) else spec.name, "units": "、".join(spec.unit_labels),
                     "area": spec.area, "heads": 1, "note": "; ".join(spec.notes) or None,
                     "created_at": utcnow(), "updated_at": utcnow()})
    if rows:
        db.session.execute(RollEntry.__table__.insert(), rows)
    meeting.total_area = sum(r["area"] for r in rows)
    meeting.total_heads = len(rows)
    db.session.flush()
    return meeting.total_area, meeting.total_heads


# How the posted notice (written in Chinese, like the other notices of the assembly) names the form
MEETING_FORMS_ZH = {"online": "业主服务平台线上表决", "in_person": "现场会议", "door_to_door": "入户书面征求意见",
                    "mixed": "现场会议与线上、书面表决相结合"}


def publish_meeting_notice(actor, meeting: Meeting, now: _dt.datetime | None = None) -> Meeting:
    """Freeze the roll, post the notice on the core board and tell the residents' committee."""
    _require_draft(meeting)
    now = now or utcnow()
    community = db.session.get(Community, meeting.community_id)
    items = meeting.items
    if not items:
        raise Invalid(fields={"items": [_l("Add at least one agenda item before publishing.")]})
    for item in items:
        if item.kind == "election" and not [c for c in item.candidates if c.eligible]:
            raise Invalid(fields={"items": [_l("%(item)s: no eligible candidate.", item=item.title)]})
    problem = notice_problem(now, meeting.opens_at, get_setting("owners_assembly.notice_days", community=community))
    if problem:
        raise Invalid(fields={"opens_at": [problem]})
    total_area, total_heads = freeze_roll(meeting)
    if total_heads == 0:
        raise Invalid(fields={"cutoff_date": [_l("No owners on the register at the cut-off date.")]})
    lines = [f"{i.position}. {i.title}（{'特别事项：须经参与表决专有部分面积和人数各四分之三以上同意' if i.decision_class == SPECIAL else '一般事项：须经参与表决专有部分面积和人数各过半数同意'}）"
             for i in items]
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])  # posted for owners: their local time
    opens, closes = meeting.opens_at.astimezone(tz), meeting.closes_at.astimezone(tz)
    body = (f"{community.name}业主大会会议\n表决时间：{opens:%Y-%m-%d %H:%M} 至 {closes:%Y-%m-%d %H:%M}\n"
            f"会议形式：{MEETING_FORMS_ZH.get(meeting.form, meeting.form)}\n表决人名册截止日：{meeting.cutoff_date}\n"
            f"业主总人数：{total_heads}；专有部分总面积：{total_area / 100:,.2f} m²\n议题：\n" + "\n".join(lines))
    notice = publish_notice(actor, title=f"业主大会会议公告：{meeting.title}", body=body, area_id=meeting.area_id,
                            community_id=meeting.community_id, kind="meeting", publish_at=now,
                            expire_at=meeting.closes_at + _dt.timedelta(days=1), source_module=MODULE,
                            source_ref=f"meeting:{meeting.id}")
    meeting.notice_id, meeting.noticed_at, meeting.status = notice.id, now, "noticed"
    db.session.flush()
    notify_role("rc_staff", f"业主大会会议公告：{community.name}", body, area=community.area, module=MODULE)
    return meeting


def voting_open(meeting: Meeting, now: _dt.datetime) -> bool:
    return meeting.status == "noticed" and meeting.opens_at <= now < meeting.closes_at


def entries_for_person(meeting_id: int, person_id: int) -> list[RollEntry]:
    """Roll entries a person may vote for: their own and those they hold a proxy for."""
    proxied = select(Proxy.roll_entry_id).where(Proxy.meeting_id == meeting_id, Proxy.proxy_person_id == person_id)
    stmt = select(RollEntry).where(RollEntry.meeting_id == meeting_id,
                                   or_(RollEntry.person_id == person_id, RollEntry.id.in_(proxied)))
    return list(db.session.scalars(stmt.order_by(RollEntry.id)))


def _check_vote(meeting: Meeting, item: AgendaItem, entry: RollEntry | None, choice: str | None,
                now: _dt.datetime) -> None:
    if item.meeting_id != meeting.id:
        raise NotFound()
    if entry is None or entry.meeting_id != meeting.id:
        raise Forbidden(_l("This voter is not on the roll of this meeting."), code="not_on_roll")
    if not voting_open(meeting, now):
        raise Conflict(_l("Voting is not open for this meeting."), code="voting_closed")
    if choice is not None and choice not in CHOICES:
        raise Invalid(fields={"choice": [_l("Must be one of: agree, disagree, abstain.")]})


def _same_caster(ballot: Ballot, fields: dict) -> bool:
    if ballot.channel == "online":
        return fields.get("channel") == "online" and ballot.cast_by_person_id == fields.get("cast_by_person_id")
    return False


def _upsert_ballot(meeting, item, entry, choice, **fields) -> Ballot:
    """One ballot per roll entry and item. Whoever cast it may change it until the close; anyone
    else (a proxy after the owner, a paper ballot after an online one) is refused. A concurrent
    first ballot loses the insert race to the unique constraint and is retried as a change."""
    for _attempt in range(3):
        ballot = db.session.scalar(select(Ballot).where(Ballot.item_id == item.id, Ballot.roll_entry_id == entry.id)
                                   .with_for_update())
        if ballot is not None:
            if not _same_caster(ballot, fields):
                raise Conflict(_l("This voter has already voted on this item."), code="already_voted")
            if ballot.choice != choice:
                ballot.changes += 1
            ballot.choice = choice
            for key, value in fields.items():
                setattr(ballot, key, value)
            db.session.flush()
            return ballot
        try:
            with db.session.begin_nested():
                ballot = Ballot(area_id=meeting.area_id, community_id=meeting.community_id, meeting_id=meeting.id,
                                item_id=item.id, roll_entry_id=entry.id, choice=choice, **fields)
                db.session.add(ballot)
            return ballot
        except IntegrityError:
            continue
    raise Conflict(_l("The ballot could not be recorded; try again."), code="ballot_race")


def cast_ballot(person: Person, meeting: Meeting, item: AgendaItem, entry: RollEntry | None, choice: str,
                now: _dt.datetime | None = None) -> Ballot:
    """An owner (or their proxy) votes online; a later ballot replaces theirs until the close."""
    now = now or utcnow()
    _check_vote(meeting, item, entry, choice, now)
    if item.kind != "resolution":
        raise Conflict(_l("Vote for candidates in an election item."), code="election_item")
    allowed = {e.id for e in entries_for_person(meeting.id, person.id)}
    if entry.id not in allowed:
        raise Forbidden(_l("You may vote only for yourself or with a written proxy."), code="no_authorisation")
    return _upsert_ballot(meeting, item, entry, choice, channel="online", cast_by_person_id=person.id,
                          entered_by_id=None, confirmed_by_id=None, ballot_number=None)


def enter_paper_ballot(actor, meeting: Meeting, item: AgendaItem, entry: RollEntry | None, choice: str,
                       ballot_number: str, now: _dt.datetime | None = None) -> Ballot:
    """Staff enter a written ballot; it counts once a second person confirms it."""
    now = now or utcnow()
    _check_vote(meeting, item, entry, choice, now)
    if not ballot_number or not ballot_number.strip():
        raise Invalid(fields={"ballot_number": [_l("This field is required.")]})
    return _upsert_ballot(meeting, item, entry, choice, channel="paper", cast_by_person_id=None,
                          entered_by_id=actor.id, confirmed_by_id=None, ballot_number=ballot_number.strip()[:40])


def confirm_paper_ballot(actor, ballot: Ballot, now: _dt.datetime | None = None) -> Ballot:
    meeting = db.session.get(Meeting, ballot.meeting_id)
    if not voting_open(meeting, now or utcnow()):
        raise Conflict(_l("Voting is not open for this meeting."), code="voting_closed")
    if ballot.channel != "paper" or ballot.confirmed_by_id is not None:
        raise Conflict(_l("Nothing to confirm."), code="not_pending")
    if ballot.entered_by_id == actor.id:
        raise Forbidden(_l("A second person must confirm a paper ballot."), code="same_person")
    ballot.confirmed_by_id = actor.id
    db.session.flush()
    return ballot


def vote_candidates(person: Person | None, meeting: Meeting, item: AgendaItem, entry: RollEntry | None,
                    candidate_ids: list[int], now: _dt.datetime | None = None, actor=None) -> list[int]:
    """Vote for up to ``seats`` candidates (replacing the entry's earlier choice)."""
    now = now or utcnow()
    _check_vote(meeting, item, entry, None, now)
    if item.kind != "election":
        raise Conflict(_l("This item is not an election."), code="not_an_election")
    if person is not None and entry.id not in {e.id for e in entries_for_person(meeting.id, person.id)}:
        raise Forbidden(_l("You may vote only for yourself or with a written proxy."), code="no_authorisation")
    chosen = sorted(set(candidate_ids))
    if len(chosen) > (item.seats or 0):
        raise Invalid(fields={"candidates": [_l("Vote for at most %(n)s candidates.", n=item.seats)]})
    valid = set(db.session.scalars(select(Candidate.id).where(Candidate.item_id == item.id, Candidate.eligible)))
    if not set(chosen) <= valid:
        raise Invalid(fields={"candidates": [_l("Unknown or ineligible candidate.")]})
    db.session.execute(ElectionVote.__table__.delete().where(ElectionVote.item_id == item.id,
                                                             ElectionVote.roll_entry_id == entry.id))
    if chosen:
        db.session.execute(ElectionVote.__table__.insert(), [
            {"area_id": item.area_id, "community_id": item.community_id, "item_id": item.id,
             "roll_entry_id": entry.id, "candidate_id": cid, "created_at": now, "updated_at": now} for cid in chosen])
    audit(actor, "vote", "ElectionVote", item.id, module=MODULE, community_id=item.community_id,
          area_id=item.area_id, changes={"roll_entry_id": entry.id, "candidates": chosen})
    db.session.flush()
    return chosen


def add_proxy(actor, meeting: Meeting, entry: RollEntry | None, proxy_person: Person | None,
              document_ref: str) -> Proxy:
    if entry is None or entry.meeting_id != meeting.id:
        raise NotFound()
    if proxy_person is None:
        raise Invalid(fields={"proxy_person_id": [_l("Unknown person.")]})
    if not document_ref or not document_ref.strip():
        raise Invalid(fields={"document_ref": [_l("A proxy needs the written authorisation on file.")]})
    if meeting.status == "closed":
        raise Conflict(_l("The meeting is closed."), code="voting_closed")
    if db.session.scalar(select(Proxy.id).where(Proxy.roll_entry_id == entry.id)):
        raise Conflict(_l("This voter already has a proxy."), code="duplicate_proxy")
    proxy = Proxy(area_id=meeting.area_id, community_id=meeting.community_id, meeting_id=meeting.id,
                  roll_entry_id=entry.id, proxy_person_id=proxy_person.id, document_ref=document_ref.strip()[:120],
                  recorded_by_id=actor.id)
    db.session.add(proxy)
    db.session.flush()
    return proxy


def counted_ballots(meeting_id: int):
    """``(item_id, choice, area, heads)`` sums of the ballots that count (paper ones once confirmed)."""
    counts = or_(Ballot.channel == "online", Ballot.confirmed_by_id.is_not(None))
    stmt = (select(Ballot.item_id, Ballot.choice, func.sum(RollEntry.area), func.sum(RollEntry.heads))
            .join(RollEntry, RollEntry.id == Ballot.roll_entry_id)
            .where(Ballot.meeting_id == meeting_id, counts).group_by(Ballot.item_id, Ballot.choice))
    return db.session.execute(stmt).all()


def tally_meeting(meeting: Meeting) -> dict[int, Result]:
    """Every resolution item's result, from one aggregate query and the rules above."""
    community = db.session.get(Community, meeting.community_id)
    limits = thresholds_for(community)
    per_item: dict[int, list] = {}
    for item_id, choice, area, heads in counted_ballots(meeting.id):
        per_item.setdefault(item_id, []).append((choice, int(area or 0), int(heads or 0)))
    results = {}
    for item in meeting.items:
        if item.kind == "resolution":
            tally = count(meeting.total_area, meeting.total_heads, per_item.get(item.id, []))
            results[item.id] = decide(tally, item.decision_class, limits)
    return results


def tally_election(meeting: Meeting, item: AgendaItem) -> tuple[Result, ElectionOutcome, dict[int, tuple[int, int]]]:
    """Participation of an election is the entries that voted for anyone in it."""
    community = db.session.get(Community, meeting.community_id)
    limits = thresholds_for(community)
    voters = (select(ElectionVote.roll_entry_id).where(ElectionVote.item_id == item.id).distinct().subquery())
    part_area, part_heads = db.session.execute(
        select(func.coalesce(func.sum(RollEntry.area), 0), func.coalesce(func.sum(RollEntry.heads), 0))
        .where(RollEntry.id.in_(select(voters.c.roll_entry_id)))).one()
    votes = {cid: (int(a), int(h)) for cid, a, h in db.session.execute(
        select(ElectionVote.candidate_id, func.sum(RollEntry.area), func.sum(RollEntry.heads))
        .join(RollEntry, RollEntry.id == ElectionVote.roll_entry_id)
        .where(ElectionVote.item_id == item.id).group_by(ElectionVote.candidate_id))}
    for candidate in item.candidates:
        votes.setdefault(candidate.id, (0, 0))
    participation = decide(Tally(meeting.total_area, meeting.total_heads, int(part_area), int(part_heads)),
                           ORDINARY, limits)
    outcome = elect(item.seats or 0, {c: v for c, v in votes.items()}, int(part_area), int(part_heads), limits)
    if not participation.quorum:
        outcome = ElectionOutcome([], [], outcome.qualified)
    return participation, outcome, votes


def _result_dict(result: Result) -> dict:
    t = result.tally
    return {"total_area": t.total_area, "total_heads": t.total_heads,
            "participating_area": t.participating_area, "participating_heads": t.participating_heads,
            "agree_area": t.agree_area, "agree_heads": t.agree_heads, "disagree_area": t.disagree_area,
            "disagree_heads": t.disagree_heads, "abstain_area": t.abstain_area, "abstain_heads": t.abstain_heads,
            "quorum": result.quorum, "passed": result.passed, "decision_class": result.decision_class}


def close_meeting(actor, meeting: Meeting, now: _dt.datetime | None = None) -> Meeting:
    """Close voting, tally, post the result notice and announce each decision."""
    now = now or utcnow()
    if meeting.status != "noticed":
        raise Conflict(_l("Only a noticed meeting can be closed."), code="not_open")
    if now < meeting.closes_at:
        raise Conflict(_l("Voting is still open; close after the announced end."), code="still_open")
    community = db.session.get(Community, meeting.community_id)
    results = tally_meeting(meeting)
    announced = now.date()
    deadline = challenge_deadline(announced)
    lines = []
    decisions = []
    for item in meeting.items:
        if item.kind == "resolution":
            result = results[item.id]
            item.result, item.passed = _result_dict(result), result.passed
            t = result.tally
            lines.append(
                f"{item.position}. {item.title}：{'通过' if result.passed else '未通过'}（参与表决面积 {percent(t.participating_area, t.total_area)}，"
                f"人数 {percent(t.participating_heads, t.total_heads)}；同意面积 {percent(t.agree_area, t.participating_area)}，"
                f"同意人数 {percent(t.agree_heads, t.participating_heads)}）")
        else:
            participation, outcome, votes = tally_election(meeting, item)
            names = {c.id: c.name for c in item.candidates}
            item.result = {**_result_dict(participation), "votes": {str(k): list(v) for k, v in votes.items()},
                           "elected": outcome.elected, "runoff": outcome.runoff}
            item.passed = bool(outcome.elected) and not outcome.runoff and len(outcome.elected) == item.seats
            lines.append(f"{item.position}. {item.title}：当选 {'、'.join(names[c] for c in outcome.elected) or '无'}"
                         + (f"；{'、'.join(names[c] for c in outcome.runoff)} 票数相同，须另行选举" if outcome.runoff else ""))
            if outcome.elected:
                _record_committee(meeting, item, outcome, names, announced, community)
        decisions.append({"community_id": meeting.community_id, "subject": item.title,
                          "decision_class": item.decision_class, "passed": bool(item.passed),
                          "ref": item.source_ref or f"owners_assembly:item:{item.id}",
                          "challenge_until": deadline.isoformat()})
    body = (f"{community.name}业主大会表决结果\n业主总人数 {meeting.total_heads}，专有部分总面积 {meeting.total_area / 100:,.2f} m²\n"
            + "\n".join(lines) + f"\n业主认为决定侵害其合法权益的，可自知道或应当知道之日起一年内请求人民法院撤销（如自今日知悉，至 {deadline}）。")
    notice = publish_notice(actor, title=f"业主大会表决结果：{meeting.title}", body=body, area_id=meeting.area_id,
                            community_id=meeting.community_id, kind="result", publish_at=now,
                            source_module=MODULE, source_ref=f"meeting:{meeting.id}")
    meeting.status, meeting.closed_at, meeting.result_notice_id = "closed", now, notice.id
    db.session.flush()
    for decision in decisions:
        hook().decision_recorded(decision=decision)
    return meeting


def _record_committee(meeting, item, outcome, names, elected_on, community) -> Committee:
    days = get_setting("owners_assembly.registration_days", community=community)
    years = get_setting("owners_assembly.term_years", community=community)
    committee = Committee(area_id=meeting.area_id, community_id=meeting.community_id, meeting_id=meeting.id,
                          elected_on=elected_on, register_by=elected_on + _dt.timedelta(days=days),
                          term_end=challenge_deadline(elected_on, years),
                          members=[{"candidate_id": c, "name": names[c]} for c in outcome.elected])
    db.session.add(committee)
    db.session.flush()
    return committee


def owner_count(community_id: int, on: _dt.date) -> int:
    return len(build_roll(register_holdings(community_id, on)))


def open_demand(person: Person, community: Community, subject: str) -> Demand:
    if not subject or not subject.strip():
        raise Invalid(fields={"subject": [_l("This field is required.")]})
    demand = Demand(area_id=community.area_id, community_id=community.id, subject=subject.strip()[:200],
                    opened_by_person_id=person.id)
    db.session.add(demand)
    db.session.flush()
    sign_demand(person, demand)
    return demand


def sign_demand(person: Person, demand: Demand, now: _dt.datetime | None = None) -> bool:
    """Sign once; when signers reach the set share of owners, tell the committee it must convene."""
    now = now or utcnow()
    holders = {h.person_id for h in register_holdings(demand.community_id, now.date())}
    if person.id not in holders:
        raise Forbidden(_l("Only owners of this community can sign."), code="not_an_owner")
    try:
        with db.session.begin_nested():
            db.session.add(DemandSignature(area_id=demand.area_id, community_id=demand.community_id,
                                           demand_id=demand.id, person_id=person.id))
    except IntegrityError:
        raise Conflict(_l("You have already signed."), code="already_signed") from None
    community = db.session.get(Community, demand.community_id)
    signers = db.session.scalar(select(func.count()).where(DemandSignature.demand_id == demand.id))
    limit = Fraction(get_setting("owners_assembly.demand_share", community=community))
    reached = demand_reached(signers, owner_count(demand.community_id, now.date()), limit)
    if reached and demand.reached_at is None:
        demand.reached_at = now
        notify_role("committee_member", f"业主提议召开临时业主大会：{demand.subject}",
                    f"已有 {signers} 名业主签名，达到 {limit} 以上，业主委员会应当组织召开临时会议。",
                    community=community, module=MODULE)
    db.session.flush()
    return reached


def request_decision(community, subject: str, decision_class: str) -> str:
    """Answer ``decision_required``: queue the matter for the next meeting's agenda."""
    if decision_class not in (SPECIAL, ORDINARY):
        raise ValueError(f"unknown decision class {decision_class!r}")
    proposal = Proposal(area_id=community.area_id, community_id=community.id, subject=subject[:200],
                        decision_class=decision_class)
    db.session.add(proposal)
    db.session.flush()
    return f"owners_assembly:proposal:{proposal.id}"


def registration_reminders(today: _dt.date, warn_days: int = 7) -> int:
    """Remind committees whose registration (备案) is due within ``warn_days`` and not yet done."""
    due = [c for c in db.session.scalars(select(Committee).where(
        Committee.registered_on.is_(None), Committee.register_by <= today + _dt.timedelta(days=warn_days)))
        if c.reminded_at is None or c.reminded_at.date() != today]
    communities = {c.id: c for c in db.session.scalars(
        select(Community).where(Community.id.in_({c.community_id for c in due})))} if due else {}
    sent = 0
    for committee in due:
        community = communities[committee.community_id]
        notify_role("committee_member", "业主委员会备案提醒",
                    f"{community.name}业主委员会应于 {committee.register_by} 前向街道办事处、乡镇人民政府备案。",
                    community=community, module=MODULE)
        committee.reminded_at = utcnow()
        sent += 1
    db.session.flush()
    return sent


def portal_summary(person, now: _dt.datetime | None = None) -> dict[str, int]:
    """For the portal home: meetings open for voting where the person is on the roll and has cast
    no ballot yet, and meetings noticed but not yet open (one query)."""
    now = now or utcnow()
    voted = select(Ballot.id).where(Ballot.roll_entry_id == RollEntry.id).exists()
    open_now = and_(Meeting.opens_at <= now, Meeting.closes_at > now)
    to_vote, upcoming = db.session.execute(
        select(func.count(func.distinct(case((open_now & ~voted, Meeting.id)))),
               func.count(func.distinct(case((Meeting.opens_at > now, Meeting.id)))))
        .join(RollEntry, RollEntry.meeting_id == Meeting.id)
        .where(RollEntry.person_id == person.id, Meeting.status == "noticed")).one()
    return {"to_vote": to_vote, "upcoming": upcoming}


def open_meetings_turnout(community_id: int) -> list[dict]:
    """Meetings of a community noticed and not yet closed, with the turnout so far: the area and
    headcount of the roll entries that cast at least one counted ballot (two queries in all)."""
    meetings = list(db.session.scalars(select(Meeting).where(
        Meeting.community_id == community_id, Meeting.status == "noticed").order_by(Meeting.opens_at)))
    if not meetings:
        return []
    counts = or_(Ballot.channel == "online", Ballot.confirmed_by_id.is_not(None))
    voted = (select(Ballot.meeting_id, Ballot.roll_entry_id)
             .where(Ballot.meeting_id.in_([m.id for m in meetings]), counts).distinct().subquery())
    sums = {mid: (int(area or 0), int(heads or 0)) for mid, area, heads in db.session.execute(
        select(voted.c.meeting_id, func.sum(RollEntry.area), func.sum(RollEntry.heads))
        .join(RollEntry, RollEntry.id == voted.c.roll_entry_id).group_by(voted.c.meeting_id))}
    limits = thresholds_for(db.session.get(Community, community_id))
    out = []
    for m in meetings:
        area, heads = sums.get(m.id, (0, 0))
        out.append({"meeting": m, "area": percent(area, m.total_area), "heads": percent(heads, m.total_heads),
                    "quorum": _at_least(area, m.total_area, limits.participation)
                    and _at_least(heads, m.total_heads, limits.participation),
                    "needed": limits.participation})
    return out
