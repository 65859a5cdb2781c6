"""Pages: back-office planning, check-in and reports; phone-sized portal pages for residents."""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from core import (
    AppError,
    Area,
    Community,
    Forbidden,
    Invalid,
    NotFound,
    Person,
    Unit,
    Upload,
    can,
    db,
    parse_date,
    person_unit_ids,
    utcnow,
    visible_area_ids,
    visible_community_ids,
)

from . import forms, services
from .api import resident_events_filter, visible_events_filter
from .models import (
    Club,
    ClubAttendance,
    ClubMember,
    ClubSession,
    Event,
    EventPhoto,
    EventStatus,
    Poll,
    Registration,
    RegStatus,
    Venue,
)

bp = Blueprint("culture_events", __name__, url_prefix="/culture_events", template_folder="templates")

MANAGE = "culture_events.event.manage"


def _event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound()
    return event


def _scopes(account):
    """Communities and areas where ``account`` may plan events."""
    cids = visible_community_ids(account, MANAGE)
    aids = visible_area_ids(account, MANAGE)
    cstmt = select(Community).order_by(Community.name)
    astmt = select(Area).order_by(Area.name)
    if cids is not None:
        cstmt = cstmt.where(Community.id.in_(cids))
    if aids is not None:
        astmt = astmt.where(Area.id.in_(aids))
    return db.session.scalars(cstmt).all(), db.session.scalars(astmt).all()


# ---------------------------------------------------------------------------------------------
# Back office
# ---------------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def events():
    if not can(current_user, MANAGE):
        raise Forbidden()
    stmt = select(Event).order_by(Event.starts_at.desc())
    cond = visible_events_filter(current_user, MANAGE)
    if cond is not None:
        stmt = stmt.where(cond)
    rows = db.session.scalars(stmt.limit(200)).all()
    counts = services.registration_counts([e.id for e in rows])
    return render_template("culture_events/events.html", events=rows, counts=counts)


@bp.route("/festivals")
@login_required
def festivals():
    if not can(current_user, MANAGE):
        raise Forbidden()
    today = services.local_day(utcnow())
    return render_template("culture_events/festivals.html", festivals=services.upcoming_festivals(today),
                           age_labels=services.AGE_LABELS, function_labels=services.FUNCTION_LABELS)


def _form_errors(form, exc: AppError) -> None:
    """Show a service's refusal on the form: at its field, or above the form."""
    if not exc.fields or exc.code != "invalid":  # a named refusal says more than "some fields are invalid"
        form.form_errors.append(str(exc.message))
    for name, msgs in exc.fields.items():
        target = getattr(form, name, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors or []) + [str(x) for x in msgs]
        else:
            form.form_errors.extend(str(x) for x in msgs)


def _refuse(form) -> None:
    """A one-button form that did not validate: the envelope with its field errors (422)."""
    raise Invalid(fields={k: [str(m) for m in v] for k, v in form.errors.items()})


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def event_new():
    if not can(current_user, MANAGE):
        raise Forbidden()
    communities, areas = _scopes(current_user)
    form = forms.EventForm()
    form.scope.choices = [(f"c:{c.id}", c.name) for c in communities] + [
        (f"a:{a.id}", _("%(area)s (whole area)", area=a.name)) for a in areas]
    venues = db.session.scalars(select(Venue).where(
        Venue.community_id.in_([c.id for c in communities]) if communities else Venue.id < 0,
        Venue.active.is_(True)).order_by(Venue.name)).all()
    form.venue_id.choices = [("", "—")] + [(str(v.id), v.name) for v in venues]
    code = request.args.get("festival")
    if request.method == "GET" and code:
        match = [f for f in services.upcoming_festivals(services.local_day(utcnow()), 400) if f["code"] == code]
        if not match:
            abort(404)
        fest = match[0]
        start = dt.datetime.combine(fest["date"], dt.time(19, 0) if code == "mid_autumn" else dt.time(9, 30))
        form.title.data = _("%(festival)s · community event", festival=fest["name"])
        form.festival.data, form.age_groups.data = code, list(fest["age_groups"])
        form.function_tags.data = list(fest["function_tags"])
        form.starts_at.data, form.ends_at.data = start, start + dt.timedelta(hours=2)
        form.description.data = str(fest["idea"])
    if form.validate_on_submit():
        kind, _sep, sid = form.scope.data.partition(":")
        community = next((c for c in communities if kind == "c" and str(c.id) == sid), None)
        area = next((a for a in areas if kind == "a" and str(a.id) == sid), None)
        try:
            created = services.create_event(current_user, form.service_data(), community=community, area=area)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Event planned."), "success")
            return redirect(url_for(".event_detail", event_id=created[0].id))
    status = 422 if request.method == "POST" else 200
    return render_template("culture_events/event_form.html", form=form), status


def _photo_form(regs) -> forms.PhotoForm:
    form = forms.PhotoForm()
    form.people_ids.choices = [(r.person_id, _("%(name)s (no photo consent)", name=name)
                                if r.age_group == "children" and not r.photo_consent else name) for r, name in regs]
    return form


def _registrations(event):
    return db.session.execute(select(Registration, Person.name).join(Person, Person.id == Registration.person_id)
                              .where(Registration.event_id == event.id)
                              .order_by(Registration.status, Registration.waiting_since, Registration.id)).all()


def _render_event(event, regs, photo_form=None, status=200):
    manage = services.can_on(current_user, MANAGE, event)
    checkin = services.can_on(current_user, "culture_events.checkin", event)
    if not (manage or checkin):
        raise Forbidden()
    q = request.args.get("q", "")
    found = services.search_registrations(current_user, event, q) if q and checkin else []
    photos = db.session.scalars(select(EventPhoto).where(EventPhoto.event_id == event.id)
                                .order_by(EventPhoto.id)).all()
    edit_form = forms.EventEditForm(formdata=None, obj=event)
    return render_template("culture_events/event_detail.html", event=event, regs=regs, manage=manage,
                           checkin=checkin, q=q, found=found, photos=photos, counts=services.registration_counts(
                               [event.id]), age_labels=services.AGE_LABELS, reg_labels=services.REG_STATUS_LABELS,
                           photo_form=photo_form or _photo_form(regs), edit_form=edit_form,
                           cancel_form=forms.CancelForm(formdata=None)), status


@bp.route("/events/<int:event_id>")
@login_required
def event_detail(event_id):
    event = _event(event_id)
    return _render_event(event, _registrations(event))


@bp.route("/events/<int:event_id>/checkin", methods=["POST"])
@login_required
def event_checkin(event_id):
    event = _event(event_id)
    reg_id = request.form.get("registration_id")
    if reg_id:
        reg = db.session.get(Registration, int(reg_id)) if reg_id.isdigit() else None
        if reg is None:
            raise NotFound()
        code = reg.checkin_code
    else:
        code = request.form.get("code", "")
    reg = services.check_in(current_user, event, code)
    db.session.commit()
    flash(_("Checked in: %(name)s", name=reg.person.name), "success")
    return redirect(url_for(".event_detail", event_id=event.id))


@bp.route("/events/<int:event_id>/photos", methods=["POST"])
@login_required
def event_photo(event_id):
    """Upload a photo of the event (checked by its bytes; children only with their guardian's consent)."""
    event = _event(event_id)
    services.require_on(current_user, MANAGE, event)
    regs = _registrations(event)
    form = _photo_form(regs)
    status = 422
    if form.validate_on_submit():
        upload = Upload(form.photo.data.filename, form.photo.data.read())
        try:
            services.add_photo(current_user, event, caption=form.caption.data or "",
                               people_ids=form.people_ids.data or [], upload=upload)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
            status = exc.status
        else:
            db.session.commit()
            flash(_("Photo added."), "success")
            return redirect(url_for(".event_detail", event_id=event.id))
    return _render_event(event, regs, photo_form=form, status=status)


@bp.route("/photos/<int:photo_id>")
@login_required
def photo_file(photo_id):
    """The bytes of an uploaded photo, served as the type its content was checked to be."""
    photo = services.photo_for(current_user, photo_id)
    resp = Response(photo.data, mimetype=photo.content_type)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.route("/events/<int:event_id>/edit", methods=["POST"])
@login_required
def event_update(event_id):
    event = _event(event_id)
    services.require_on(current_user, MANAGE, event)
    form = forms.EventEditForm()
    if not form.validate_on_submit():
        _refuse(form)
    data = {"capacity": form.capacity.data}
    if form.title.data:
        data["title"] = form.title.data
    services.update_event(current_user, event, data)
    db.session.commit()
    flash(_("Event updated."), "success")
    return redirect(url_for(".event_detail", event_id=event.id))


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@login_required
def event_cancel(event_id):
    event = _event(event_id)
    services.require_on(current_user, MANAGE, event)
    form = forms.CancelForm()
    if not form.validate_on_submit():
        _refuse(form)
    services.cancel_event(current_user, event, form.reason.data)
    db.session.commit()
    flash(_("Event cancelled."), "success")
    return redirect(url_for(".event_detail", event_id=event_id))


@bp.route("/events/<int:event_id>/announce", methods=["POST"])
@login_required
def event_announce(event_id):
    services.announce_event(current_user, _event(event_id))
    db.session.commit()
    flash(_("Announced in the owner portal."), "success")
    return redirect(url_for(".event_detail", event_id=event_id))


@bp.route("/venues", methods=["GET", "POST"])
@login_required
def venues():
    if not can(current_user, "culture_events.venue.manage"):
        raise Forbidden()
    cids = visible_community_ids(current_user, "culture_events.venue.manage")
    cstmt = select(Community).order_by(Community.name)
    stmt = select(Venue).order_by(Venue.name)
    if cids is not None:
        stmt = stmt.where(Venue.community_id.in_(cids))
        cstmt = cstmt.where(Community.id.in_(cids))
    communities = db.session.scalars(cstmt).all()
    form = forms.VenueForm()
    form.community_id.choices = [(c.id, c.name) for c in communities]
    if form.validate_on_submit():
        community = next(c for c in communities if c.id == form.community_id.data)
        try:
            services.create_venue(current_user, community, form.name.data, form.capacity.data)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Venue added."), "success")
            return redirect(url_for(".venues"))
    status = 422 if request.method == "POST" else 200
    return render_template("culture_events/venues.html", venues=db.session.scalars(stmt).all(), form=form), status


@bp.route("/clubs", methods=["GET", "POST"])
@login_required
def clubs():
    """Clubs and interest polls of the communities the user plans for."""
    if not can(current_user, MANAGE):
        raise Forbidden()
    communities, _areas = _scopes(current_user)
    choices = [(c.id, c.name) for c in communities]
    posted = request.method == "POST"
    club_form = forms.ClubForm(formdata=request.form if posted and request.form.get("kind") != "poll" else None)
    poll_form = forms.PollForm(prefix="poll",
                               formdata=request.form if posted and request.form.get("kind") == "poll" else None)
    club_form.community_id.choices = poll_form.community_id.choices = choices
    form = poll_form if request.form.get("kind") == "poll" else club_form
    if posted and form.validate():
        community = next(c for c in communities if c.id == form.community_id.data)
        try:
            if form is poll_form:
                services.create_poll(current_user, community, form.question.data, form.options.data.splitlines())
                message = _("Poll opened.")
            else:
                services.create_club(current_user, community, form.name.data, form.description.data or "",
                                     form.age_groups.data or "all", form.schedule.data or "")
                message = _("Club founded.")
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(url_for(".clubs"))
    ids = [c.id for c in communities]
    rows = db.session.execute(select(Club, func.count(ClubMember.id)).outerjoin(
        ClubMember, (ClubMember.club_id == Club.id) & ClubMember.left_on.is_(None))
        .where(Club.community_id.in_(ids)).group_by(Club.id).order_by(Club.name)).all()
    polls = db.session.scalars(select(Poll).where(Poll.community_id.in_(ids)).order_by(Poll.id.desc())).all()
    return render_template("culture_events/clubs.html", clubs=rows, polls=[(p, services.poll_demand(p)) for p in polls],
                           club_form=club_form, poll_form=poll_form, age_labels=services.AGE_LABELS,
                           groups=services.AGE_GROUPS), 422 if posted else 200


# ---------------------------------------------------------------------------------------------
# A club: members and leaders, sessions, attendance
# ---------------------------------------------------------------------------------------------


def _club(club_id: int) -> Club:
    club = db.session.get(Club, club_id)
    if club is None:
        raise NotFound()
    return club


def _club_rights(club) -> tuple[bool, bool]:
    manage = services.can_on(current_user, MANAGE, club)
    checkin = services.can_on(current_user, "culture_events.checkin", club)
    if not (manage or checkin):
        raise Forbidden()
    return manage, checkin


def _club_venues(club):
    return db.session.scalars(select(Venue).where(Venue.community_id == club.community_id, Venue.active.is_(True))
                              .order_by(Venue.name)).all()


def _session_form(club) -> forms.ClubSessionForm:
    form = forms.ClubSessionForm(prefix="session")
    form.venue_id.choices = [("", "—")] + [(str(v.id), v.name) for v in _club_venues(club)]
    return form


def _render_club(club, member_form=None, session_form=None, status=200):
    manage, checkin = _club_rights(club)
    members = db.session.execute(
        select(ClubMember, Person.name).join(Person, Person.id == ClubMember.person_id)
        .where(ClubMember.club_id == club.id, ClubMember.left_on.is_(None))
        .order_by(ClubMember.is_leader.desc(), Person.name)).all()
    sessions = db.session.execute(
        select(ClubSession, func.count(ClubAttendance.id)).outerjoin(
            ClubAttendance, ClubAttendance.session_id == ClubSession.id)
        .where(ClubSession.club_id == club.id).group_by(ClubSession.id)
        .order_by(ClubSession.starts_at.desc()).limit(100)).all()
    q = request.args.get("q", "")
    member_ids = {m.person_id for m, _n in members}
    found = [(p, number) for p, number in services.find_residents(club, q) if p.id not in member_ids] \
        if q and manage else []
    venues = {v.id: v.name for v in _club_venues(club)}
    return render_template("culture_events/club_detail.html", club=club, members=members, sessions=sessions,
                           manage=manage, checkin=checkin, q=q, found=found, venues=venues,
                           member_form=member_form or forms.ClubMemberForm(formdata=None),
                           leader_form=forms.LeaderForm(formdata=None), leave_form=forms.LeaveForm(formdata=None),
                           session_form=session_form or _session_form(club),
                           age_labels=services.AGE_LABELS), status


@bp.route("/clubs/<int:club_id>")
@login_required
def club_detail(club_id):
    return _render_club(_club(club_id))


@bp.route("/clubs/<int:club_id>/members", methods=["POST"])
@login_required
def club_member_add(club_id):
    club = _club(club_id)
    services.require_on(current_user, MANAGE, club)
    form = forms.ClubMemberForm()
    status = 422
    if form.validate_on_submit():
        person = db.session.get(Person, int(form.person_id.data)) if form.person_id.data.isdigit() else None
        try:
            if person is None:
                raise Invalid(fields={"person_id": [_("Not found.")]})
            member = services.add_club_member(current_user, club, person, leader=form.leader.data)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
            status = exc.status
        else:
            db.session.commit()
            flash(_("%(name)s joined the club.", name=member.person.name), "success")
            return redirect(url_for(".club_detail", club_id=club.id))
    return _render_club(club, member_form=form, status=status)


def _member(club, member_id) -> ClubMember:
    member = db.session.get(ClubMember, member_id)
    if member is None or member.club_id != club.id:
        raise NotFound()
    return member


@bp.route("/clubs/<int:club_id>/members/<int:member_id>/leader", methods=["POST"])
@login_required
def club_member_leader(club_id, member_id):
    club = _club(club_id)
    services.require_on(current_user, MANAGE, club)
    form = forms.LeaderForm()
    if not form.validate_on_submit():
        _refuse(form)
    services.set_club_leader(current_user, _member(club, member_id), form.leader.data)
    db.session.commit()
    flash(_("Leaders updated."), "success")
    return redirect(url_for(".club_detail", club_id=club.id))


@bp.route("/clubs/<int:club_id>/members/<int:member_id>/leave", methods=["POST"])
@login_required
def club_member_leave(club_id, member_id):
    club = _club(club_id)
    services.require_on(current_user, MANAGE, club)
    form = forms.LeaveForm()
    if not form.validate_on_submit():
        _refuse(form)
    services.remove_club_member(current_user, _member(club, member_id))
    db.session.commit()
    flash(_("The member has left the club."), "success")
    return redirect(url_for(".club_detail", club_id=club.id))


@bp.route("/clubs/<int:club_id>/sessions", methods=["POST"])
@login_required
def club_session_new(club_id):
    club = _club(club_id)
    services.require_on(current_user, MANAGE, club)
    form = _session_form(club)
    status = 422
    if form.validate_on_submit():
        venue = db.session.get(Venue, int(form.venue_id.data)) if form.venue_id.data else None
        try:
            session = services.add_club_session(current_user, club, form.starts_at.data, form.ends_at.data, venue)
        except AppError as exc:
            db.session.rollback()
            _form_errors(form, exc)
            status = exc.status
        else:
            db.session.commit()
            flash(_("Session scheduled."), "success")
            return redirect(url_for(".club_session", session_id=session.id))
    return _render_club(club, session_form=form, status=status)


@bp.route("/club_sessions/<int:session_id>", methods=["GET", "POST"])
@login_required
def club_session(session_id):
    """Who came to a club session: tick the members present and record them."""
    session = db.session.get(ClubSession, session_id)
    if session is None:
        raise NotFound()
    club = _club(session.club_id)
    manage, checkin = _club_rights(club)
    members = db.session.execute(
        select(ClubMember.person_id, Person.name).join(Person, Person.id == ClubMember.person_id)
        .where(ClubMember.club_id == club.id, ClubMember.left_on.is_(None)).order_by(Person.name)).all()
    attended = db.session.execute(
        select(ClubAttendance.person_id, Person.name).join(Person, Person.id == ClubAttendance.person_id)
        .where(ClubAttendance.session_id == session.id).order_by(Person.name)).all()
    done = {pid for pid, _n in attended}
    form = forms.AttendanceForm()
    form.person_ids.choices = [(pid, name) for pid, name in members if pid not in done]
    status = 200
    if request.method == "POST":
        if not checkin:
            raise Forbidden()
        status = 422
        if form.validate_on_submit():
            try:
                n = services.record_club_attendance(current_user, session, form.person_ids.data)
            except AppError as exc:
                db.session.rollback()
                _form_errors(form, exc)
                status = exc.status
            else:
                db.session.commit()
                flash(_("Attendance recorded: %(n)s.", n=n), "success")
                return redirect(url_for(".club_session", session_id=session.id))
    venue = db.session.get(Venue, session.venue_id) if session.venue_id else None
    return render_template("culture_events/club_session.html", club=club, session=session, venue=venue,
                           attended=attended, form=form, checkin=checkin, manage=manage), status


def _report_args():
    cids = visible_community_ids(current_user, "culture_events.report.read")
    cstmt = select(Community).order_by(Community.name)
    if cids is not None:
        cstmt = cstmt.where(Community.id.in_(cids))
    communities = db.session.scalars(cstmt).all()
    if not communities:
        raise Forbidden()
    chosen = request.args.get("community_id", type=int) or communities[0].id
    community = next((c for c in communities if c.id == chosen), None)
    if community is None:
        raise Forbidden()
    today = services.local_day(utcnow())
    since = parse_date(request.args.get("since"), "since", dt.date(today.year, 1, 1))
    until = parse_date(request.args.get("until"), "until", today)
    if until < since:
        raise Invalid(fields={"until": [_("Must not be before the start.")]})
    return communities, community, since, until


@bp.route("/report")
@login_required
def report():
    communities, community, since, until = _report_args()
    limits = services.AgeLimits.for_scope(community=community)
    data = services.participation([community.id], since, until, limits=limits)
    care = services.care_needs_reach([community.id], since, until)
    by_tag = services.events_by_tag_and_month([community.id], since, until)
    if request.args.get("format") == "xlsx":
        return send_file(io.BytesIO(services.report_workbook(community, data, care, by_tag)),
                         as_attachment=True, download_name=f"participation-{community.id}-{since}-{until}.xlsx",
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    months = sorted({m for m, _t in by_tag})
    return render_template("culture_events/report.html", communities=communities, community=community,
                           since=since, until=until, data=data, care=care, by_tag=by_tag, months=months,
                           function_tags=services.FUNCTION_TAGS, function_labels=services.FUNCTION_LABELS,
                           age_labels=services.AGE_LABELS)


@bp.route("/communities/<int:community_id>/calendar.ics")
def calendar(community_id):
    """A public iCalendar feed of the community's (and its area's) published events."""
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound()
    since = utcnow() - dt.timedelta(days=90)
    events = db.session.scalars(select(Event).where(
        (Event.community_id == community.id) | (Event.community_id.is_(None) & (Event.area_id == community.area_id)),
        Event.status == EventStatus.published, Event.ends_at >= since).order_by(Event.starts_at)).all()
    body = services.icalendar(community, events, request.host or "jiayuan")
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=events.ics"})


def dashboard_widget(scope, user):
    """The participation card on the core dashboard of a community."""
    if not isinstance(scope, Community) or not can(user, "culture_events.report.read", community=scope):
        return []
    today = services.local_day(utcnow())
    data = services.participation([scope.id], dt.date(today.year, 1, 1), today,
                                  limits=services.AgeLimits.for_scope(community=scope))
    return [{"title": _("Community participation"), "template": "culture_events/widget.html",
             "context": {"data": data, "community": scope, "age_labels": services.AGE_LABELS}, "order": 40}]


# ---------------------------------------------------------------------------------------------
# Owner and resident portal (phone-sized)
# ---------------------------------------------------------------------------------------------


def _me() -> Person:
    person = current_user.person
    if person is None:
        raise Forbidden(_("This account is not linked to an owner or resident record."))
    return person


@bp.route("/portal/")
@login_required
def portal_events():
    me = _me()
    now = utcnow()
    upcoming = db.session.scalars(select(Event).where(resident_events_filter(me), Event.ends_at >= now,
                                                      Event.status == EventStatus.published)
                                  .order_by(Event.starts_at).limit(50)).all()
    members = services.household(me)
    mine = db.session.execute(select(Registration, Event).join(Event, Event.id == Registration.event_id)
                              .where(Registration.person_id.in_([m.id for m in members]),
                                     Registration.status != RegStatus.cancelled)
                              .order_by(Event.starts_at.desc()).limit(100)).all()
    limits = services.AgeLimits.for_scope(area=db.session.get(Area, me.area_id)) if me.area_id else services.AgeLimits()
    children = {m.id for m in members if services.needs_guardian(m.birth_date, services.local_day(now), limits)}
    community_ids = {c for (c,) in db.session.execute(select(Unit.community_id).where(
        Unit.id.in_(person_unit_ids(me.id) or {0})))}
    open_clubs = db.session.scalars(select(Club).where(Club.community_id.in_(community_ids), Club.active.is_(True))
                                    .order_by(Club.name)).all()
    polls = db.session.scalars(select(Poll).where(Poll.community_id.in_(community_ids), (Poll.closes_at.is_(None)) | (
        Poll.closes_at > now)).order_by(Poll.id.desc())).all()
    return render_template("culture_events/portal_events.html", events=upcoming, members=members, mine=mine,
                           clubs=open_clubs, polls=polls,
                           children=children, now=now, counts=services.registration_counts([e.id for e in upcoming]),
                           names={m.id: m.name for m in members}, age_labels=services.AGE_LABELS)


@bp.route("/portal/events/<int:event_id>/register", methods=["POST"])
@login_required
def portal_register(event_id):
    me = _me()
    event = _event(event_id)
    pid = request.form.get("person_id", type=int) or me.id
    person = me if pid == me.id else db.session.get(Person, pid)
    if person is None:
        raise Invalid(fields={"person_id": [_("Not found.")]})
    reg = services.register(me, event, person, guardian_consent=bool(request.form.get("guardian_consent")),
                            photo_consent=bool(request.form.get("photo_consent")))
    db.session.commit()
    if reg.status == RegStatus.confirmed:
        flash(_("Registered. Your check-in code is %(code)s.", code=reg.checkin_code), "success")
    else:
        flash(_("The event is full: you are on the waiting list."), "info")
    return redirect(url_for(".portal_events"))


@bp.route("/portal/registrations/<int:reg_id>/cancel", methods=["POST"])
@login_required
def portal_cancel(reg_id):
    reg = db.session.get(Registration, reg_id)
    if reg is None:
        raise NotFound()
    services.cancel_registration(_me(), reg)
    db.session.commit()
    flash(_("Registration cancelled."), "success")
    return redirect(url_for(".portal_events"))


@bp.route("/portal/registrations/<int:reg_id>/rate", methods=["POST"])
@login_required
def portal_rate(reg_id):
    reg = db.session.get(Registration, reg_id)
    if reg is None:
        raise NotFound()
    services.rate(_me(), reg, request.form.get("rating"), request.form.get("feedback", ""))
    db.session.commit()
    flash(_("Thank you for your feedback."), "success")
    return redirect(url_for(".portal_events"))


@bp.route("/portal/clubs/<int:club_id>/join", methods=["POST"])
@login_required
def portal_join(club_id):
    me = _me()
    club = db.session.get(Club, club_id)
    if club is None:
        raise NotFound()
    pid = request.form.get("person_id", type=int) or me.id
    person = me if pid == me.id else db.session.get(Person, pid)
    if person is None:
        raise Invalid(fields={"person_id": [_("Not found.")]})
    services.join_club(me, club, person)
    db.session.commit()
    flash(_("Welcome to the club."), "success")
    return redirect(url_for(".portal_events"))


@bp.route("/portal/polls/<int:poll_id>/vote", methods=["POST"])
@login_required
def portal_vote(poll_id):
    poll = db.session.get(Poll, poll_id)
    if poll is None:
        raise NotFound()
    services.vote(_me(), poll, request.form.getlist("options"))
    db.session.commit()
    flash(_("Thank you for your answer."), "success")
    return redirect(url_for(".portal_events"))
