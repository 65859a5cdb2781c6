"""Pages: meetings in the back office, voting in the owners' portal. Thin: parse, call, commit."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from core import (
    AppError,
    Community,
    Forbidden,
    NotFound,
    Person,
    can,
    db,
    person_unit_ids,
    require,
    utcnow,
    visible_community_ids,
)
from core import Unit as UnitModel
from plugins.owners_assembly import services as svc
from plugins.owners_assembly.forms import (
    CandidateForm,
    DemandForm,
    ItemForm,
    MeetingForm,
    PaperBallotForm,
    ProxyForm,
    RegistrationForm,
    ReviewForm,
)
from plugins.owners_assembly.models import (
    AgendaItem,
    Ballot,
    Candidate,
    Committee,
    Demand,
    DemandSignature,
    Meeting,
    Proposal,
    RollEntry,
)

bp = Blueprint("owners_assembly", __name__, url_prefix="/owners-assembly", template_folder="templates")
portal_bp = Blueprint("owners_assembly_portal", __name__, url_prefix="/portal/assembly", template_folder="templates")


def _local_to_utc(value: dt.datetime) -> dt.datetime:
    tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.replace(tzinfo=tz).astimezone(dt.UTC)


def _meeting(meeting_id: int, permission: str) -> tuple[Meeting, Community]:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound()
    community = db.session.get(Community, meeting.community_id)
    require(current_user, permission, community=community)
    return meeting, community


def _form_errors(form, exc: AppError) -> None:
    for name, messages in exc.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(field.errors) + [str(m) for m in messages]
        else:
            flash("; ".join(str(m) for m in messages), "error")
    if not exc.fields:
        flash(str(exc.message), "error")


@bp.route("/")
@login_required
def index():
    ids = visible_community_ids(current_user, "owners_assembly.meeting.read")
    stmt = select(Community).order_by(Community.name)
    if ids is not None:
        stmt = stmt.where(Community.id.in_(ids))
    communities = db.session.scalars(stmt).all()
    meetings = db.session.scalars(select(Meeting).where(Meeting.community_id.in_([c.id for c in communities]))
                                  .order_by(Meeting.opens_at.desc())).all()
    by_community: dict[int, list[Meeting]] = {}
    for m in meetings:
        by_community.setdefault(m.community_id, []).append(m)
    manageable = {c.id for c in communities if can(current_user, "owners_assembly.meeting.manage", community=c)}
    return render_template("owners_assembly/index.html", communities=communities, by_community=by_community,
                           manageable=manageable)


@bp.route("/communities/<int:community_id>/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting(community_id: int):
    community = db.session.get(Community, community_id) or abort(404)
    require(current_user, "owners_assembly.meeting.manage", community=community)
    form = MeetingForm()
    if form.validate_on_submit():
        try:
            meeting = svc.create_meeting(current_user, community, title=form.title.data, kind=form.kind.data,
                                         form=form.form.data, cutoff_date=form.cutoff_date.data,
                                         opens_at=_local_to_utc(form.opens_at.data),
                                         closes_at=_local_to_utc(form.closes_at.data), location=form.location.data)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return render_template("owners_assembly/new_meeting.html", form=form, community=community), (
        422 if form.errors else 200)


def _error_text(exc: AppError) -> str:
    details = " ".join(str(m) for messages in exc.fields.values() for m in messages)
    return f"{exc.message} {details}".strip()


@bp.route("/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    return meeting_page(meeting_id)


def meeting_page(meeting_id: int):
    meeting, community = _meeting(meeting_id, "owners_assembly.meeting.read")
    ballots = dict(db.session.execute(select(Ballot.item_id, func.count()).where(Ballot.meeting_id == meeting.id)
                                      .group_by(Ballot.item_id)).all())
    pending = db.session.scalars(select(Ballot).where(Ballot.meeting_id == meeting.id, Ballot.channel == "paper",
                                                      Ballot.confirmed_by_id.is_(None))).all()
    proposals = db.session.scalars(select(Proposal).where(Proposal.community_id == community.id,
                                                          Proposal.item_id.is_(None))).all()
    committees = db.session.scalars(select(Committee).where(Committee.meeting_id == meeting.id)).all()
    return render_template(
        "owners_assembly/meeting.html", meeting=meeting, community=community, ballots=ballots, pending=pending,
        proposals=proposals, committees=committees, item_form=ItemForm(), candidate_form=CandidateForm(),
        review_form=ReviewForm(), paper_form=PaperBallotForm(), proxy_form=ProxyForm(),
        registration_form=RegistrationForm(),
        can_manage=can(current_user, "owners_assembly.meeting.manage", community=community),
        can_enter=can(current_user, "owners_assembly.ballot.enter", community=community),
        can_review=can(current_user, "owners_assembly.candidate.review", community=community),
        open_now=svc.voting_open(meeting, utcnow()), percent=svc.percent)


def _act(meeting_id: int, permission: str, action):
    """Run one POSTed action on a meeting; errors come back as a flash, nothing half-written."""
    meeting, community = _meeting(meeting_id, permission)
    try:
        message = action(meeting, community)
    except AppError as exc:
        db.session.rollback()
        if request.accept_mimetypes.best == "application/json":
            raise
        flash(_error_text(exc), "error")
        page = meeting_page(meeting_id)
        return page, exc.status
    db.session.commit()
    if message:
        flash(message, "success")
    return redirect(url_for(".meeting", meeting_id=meeting_id))


def _valid(form):
    if not form.validate_on_submit():
        from core import Invalid

        raise Invalid(fields={k: list(v) for k, v in form.errors.items()})
    return form


@bp.route("/meetings/<int:meeting_id>/items", methods=["POST"])
@login_required
def add_item(meeting_id: int):
    def action(meeting, community):
        form = _valid(ItemForm())
        svc.add_item(current_user, meeting, title=form.title.data, decision_class=form.decision_class.data or None,
                     description=form.description.data or "", kind=form.kind.data, seats=form.seats.data)
        return _("Agenda item added.")

    return _act(meeting_id, "owners_assembly.meeting.manage", action)


@bp.route("/meetings/<int:meeting_id>/items/<int:item_id>/candidates", methods=["POST"])
@login_required
def add_candidate(meeting_id: int, item_id: int):
    def action(meeting, community):
        item = db.session.get(AgendaItem, item_id)
        if item is None or item.meeting_id != meeting.id:
            raise NotFound()
        form = _valid(CandidateForm())
        svc.add_candidate(current_user, item, name=form.name.data, statement=form.statement.data or "")
        return _("Candidate added.")

    return _act(meeting_id, "owners_assembly.meeting.manage", action)


@bp.route("/meetings/<int:meeting_id>/candidates/<int:candidate_id>/review", methods=["POST"])
@login_required
def review_candidate(meeting_id: int, candidate_id: int):
    def action(meeting, community):
        candidate = db.session.get(Candidate, candidate_id)
        if candidate is None or candidate.community_id != community.id:
            raise NotFound()
        form = _valid(ReviewForm())
        svc.review_candidate(current_user, candidate, comment=form.comment.data, eligible=form.eligible.data)
        return _("Comment recorded.")

    return _act(meeting_id, "owners_assembly.candidate.review", action)


@bp.route("/meetings/<int:meeting_id>/publish", methods=["POST"])
@login_required
def publish(meeting_id: int):
    def action(meeting, community):
        svc.publish_meeting_notice(current_user, meeting)
        return _("The roll is frozen and the notice is published.")

    return _act(meeting_id, "owners_assembly.meeting.manage", action)


@bp.route("/meetings/<int:meeting_id>/close", methods=["POST"])
@login_required
def close(meeting_id: int):
    def action(meeting, community):
        svc.close_meeting(current_user, meeting)
        return _("Voting closed; the result notice is published.")

    return _act(meeting_id, "owners_assembly.meeting.manage", action)


@bp.route("/meetings/<int:meeting_id>/paper-ballots", methods=["POST"])
@login_required
def paper_ballot(meeting_id: int):
    def action(meeting, community):
        form = _valid(PaperBallotForm())
        item = db.session.get(AgendaItem, form.item_id.data)
        if item is None or item.meeting_id != meeting.id:
            raise NotFound()
        svc.enter_paper_ballot(current_user, meeting, item, db.session.get(RollEntry, form.roll_entry_id.data),
                               form.choice.data, form.ballot_number.data)
        return _("Paper ballot entered; a second person must confirm it.")

    return _act(meeting_id, "owners_assembly.ballot.enter", action)


@bp.route("/meetings/<int:meeting_id>/ballots/<int:ballot_id>/confirm", methods=["POST"])
@login_required
def confirm_ballot(meeting_id: int, ballot_id: int):
    def action(meeting, community):
        ballot = db.session.get(Ballot, ballot_id)
        if ballot is None or ballot.meeting_id != meeting.id:
            raise NotFound()
        svc.confirm_paper_ballot(current_user, ballot)
        return _("Paper ballot confirmed.")

    return _act(meeting_id, "owners_assembly.ballot.enter", action)


@bp.route("/meetings/<int:meeting_id>/proxies", methods=["POST"])
@login_required
def add_proxy(meeting_id: int):
    def action(meeting, community):
        form = _valid(ProxyForm())
        svc.add_proxy(current_user, meeting, db.session.get(RollEntry, form.roll_entry_id.data),
                      db.session.get(Person, form.proxy_person_id.data), form.document_ref.data)
        return _("Proxy recorded.")

    return _act(meeting_id, "owners_assembly.ballot.enter", action)


@bp.route("/meetings/<int:meeting_id>/committees/<int:committee_id>/register", methods=["POST"])
@login_required
def register_committee(meeting_id: int, committee_id: int):
    def action(meeting, community):
        committee = db.session.get(Committee, committee_id)
        if committee is None or committee.meeting_id != meeting.id:
            raise NotFound()
        form = _valid(RegistrationForm())
        committee.registered_on = form.registered_on.data
        committee.registration_ref = form.registration_ref.data
        return _("Registration recorded.")

    return _act(meeting_id, "owners_assembly.meeting.manage", action)


@bp.route("/meetings/<int:meeting_id>/roll")
@login_required
def roll(meeting_id: int):
    meeting, community = _meeting(meeting_id, "owners_assembly.meeting.read")
    entries = db.session.scalars(select(RollEntry).where(RollEntry.meeting_id == meeting.id)
                                 .order_by(RollEntry.units)).all()
    return render_template("owners_assembly/roll.html", meeting=meeting, community=community, entries=entries)


@bp.route("/meetings/<int:meeting_id>/result")
@login_required
def result(meeting_id: int):
    meeting, community = _meeting(meeting_id, "owners_assembly.meeting.read")
    return render_template("owners_assembly/result.html", meeting=meeting, community=community,
                           percent=svc.percent, deadline=svc.challenge_deadline(meeting.closed_at.date())
                           if meeting.closed_at else None)


# ---------------------------------------------------------------------------------------------
# Owners' portal
# ---------------------------------------------------------------------------------------------


def _person() -> Person:
    person = current_user.person
    if person is None:
        raise Forbidden(_("This account is not linked to an owner."), code="not_an_owner")
    return person


def _my_community_ids(person: Person) -> set[int]:
    unit_ids = person_unit_ids(person.id)
    if not unit_ids:
        return set()
    return set(db.session.scalars(select(UnitModel.community_id).where(UnitModel.id.in_(unit_ids)).distinct()))


@portal_bp.route("/", endpoint="index")
@login_required
def portal_home(status: int = 200):
    person = _person()
    community_ids = _my_community_ids(person)
    meetings = db.session.scalars(select(Meeting).where(Meeting.community_id.in_(community_ids),
                                                        Meeting.status != "draft")
                                  .order_by(Meeting.opens_at.desc())).all()
    demands = db.session.scalars(select(Demand).where(Demand.community_id.in_(community_ids))
                                 .order_by(Demand.id.desc())).all()
    signed = set(db.session.scalars(select(DemandSignature.demand_id).where(DemandSignature.person_id == person.id)))
    communities = db.session.scalars(select(Community).where(Community.id.in_(community_ids))).all()
    return render_template("owners_assembly/portal_index.html", meetings=meetings, demands=demands, signed=signed,
                           communities=communities, now=utcnow(), form=DemandForm()), status


@portal_bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
@login_required
def vote(meeting_id: int):
    person = _person()
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.status == "draft" or meeting.community_id not in _my_community_ids(person):
        raise NotFound()
    entries = svc.entries_for_person(meeting.id, person.id)
    status = 200
    if request.method == "POST":
        entry = next((e for e in entries if e.id == request.form.get("roll_entry_id", type=int)), None)
        try:
            if entry is None:
                raise Forbidden(_("You are not on the roll of this meeting."), code="not_on_roll")
            for item in meeting.items:
                if item.kind == "election":
                    if f"item-{item.id}-present" in request.form:
                        chosen = request.form.getlist(f"item-{item.id}", type=int)
                        svc.vote_candidates(person, meeting, item, entry, chosen, actor=current_user)
                elif request.form.get(f"item-{item.id}"):
                    svc.cast_ballot(person, meeting, item, entry, request.form[f"item-{item.id}"])
        except AppError as exc:
            db.session.rollback()
            flash(_error_text(exc), "error")
            status = exc.status
        else:
            db.session.commit()
            flash(_("Your vote has been recorded. You can change it until voting closes."), "success")
            return redirect(url_for(".vote", meeting_id=meeting.id))
    mine = {}
    if entries:
        for b in db.session.scalars(select(Ballot).where(Ballot.roll_entry_id.in_([e.id for e in entries]))):
            mine[(b.roll_entry_id, b.item_id)] = b.choice
    return render_template("owners_assembly/portal_vote.html", meeting=meeting, entries=entries, mine=mine,
                           open_now=svc.voting_open(meeting, utcnow()), percent=svc.percent), status


@portal_bp.route("/demands", methods=["POST"])
@login_required
def open_demand():
    person = _person()
    form = DemandForm()
    community = db.session.get(Community, request.form.get("community_id", type=int) or 0)
    if community is None or community.id not in _my_community_ids(person):
        raise NotFound()
    if not form.validate_on_submit():
        flash(_("Say what the meeting should decide."), "error")
        return portal_home(422)
    svc.open_demand(person, community, form.subject.data)
    db.session.commit()
    flash(_("Your demand is open for other owners to sign."), "success")
    return redirect(url_for(".index"))


@portal_bp.route("/demands/<int:demand_id>/sign", methods=["POST"])
@login_required
def sign(demand_id: int):
    person = _person()
    demand = db.session.get(Demand, demand_id)
    if demand is None or demand.community_id not in _my_community_ids(person):
        raise NotFound()
    try:
        svc.sign_demand(person, demand)
    except AppError as exc:
        db.session.rollback()
        flash(_error_text(exc), "error")
        return portal_home(exc.status)
    db.session.commit()
    flash(_("Thank you for signing."), "success")
    return redirect(url_for(".index"))
