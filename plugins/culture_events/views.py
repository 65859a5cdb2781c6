"""Pages: back-office planning, check-in and reports; phone-sized portal pages for residents."""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from core import (
    Area,
    Community,
    Forbidden,
    Invalid,
    NotFound,
    Person,
    Unit,
    can,
    db,
    person_unit_ids,
    utcnow,
    visible_area_ids,
    visible_community_ids,
)

from . import services
from .api import resident_events_filter, visible_events_filter
from .models import Club, ClubMember, Event, EventPhoto, EventStatus, Poll, Registration, RegStatus, Venue

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


def _form_data() -> dict:
    f = request.form
    return {
        "title": f.get("title", ""), "description": f.get("description", ""), "venue_id": f.get("venue_id"),
        "starts_at": f.get("starts_at") or None, "ends_at": f.get("ends_at") or None,
        "age_groups": f.getlist("age_groups"), "capacity": f.get("capacity"),
        "registration_opens_at": f.get("registration_opens_at") or None,
        "registration_closes_at": f.get("registration_closes_at") or None,
        "recurrence": f.get("recurrence") or "none", "recurrence_until": f.get("recurrence_until") or None,
        "function_tags": f.getlist("function_tags"), "topic_tags": f.get("topic_tags", ""),
        "fee": f.get("fee") or None, "fee_item_code": f.get("fee_item_code") or None,
        "festival": f.get("festival") or None,
    }


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def event_new():
    if not can(current_user, MANAGE):
        raise Forbidden()
    communities, areas = _scopes(current_user)
    errors: dict = {}
    values: dict = {"age_groups": ["all"], "function_tags": [], "capacity": 30}
    code = request.values.get("festival")
    if request.method == "GET" and code:
        match = [f for f in services.upcoming_festivals(services.local_day(utcnow()), 400) if f["code"] == code]
        if not match:
            abort(404)
        fest = match[0]
        start = dt.datetime.combine(fest["date"], dt.time(19, 0) if code == "mid_autumn" else dt.time(9, 30))
        label = _("Community event")
        values.update(title=f"{fest['name']} · {label}", festival=code,
                      age_groups=fest["age_groups"], function_tags=fest["function_tags"],
                      starts_at=start.strftime("%Y-%m-%dT%H:%M"),
                      ends_at=(start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
                      description=str(fest["idea"]))
    if request.method == "POST":
        values = {**_form_data(), "scope": request.form.get("scope", "")}
        kind, _sep, sid = values["scope"].partition(":")
        community = db.session.get(Community, int(sid)) if kind == "c" and sid.isdigit() else None
        area = db.session.get(Area, int(sid)) if kind == "a" and sid.isdigit() else None
        if community is None and area is None:
            errors = {"scope": [_("This field is required.")]}
        else:
            try:
                created = services.create_event(current_user, values, community=community, area=area)
                db.session.commit()
                flash(_("Event planned."), "success")
                return redirect(url_for(".event_detail", event_id=created[0].id))
            except Invalid as exc:
                db.session.rollback()
                errors = exc.fields
    venues = db.session.scalars(select(Venue).where(
        Venue.community_id.in_([c.id for c in communities]) if communities else Venue.id < 0,
        Venue.active.is_(True)).order_by(Venue.name)).all()
    status = 422 if errors else 200
    return render_template("culture_events/event_form.html", values=values, errors=errors, communities=communities,
                           areas=areas, venues=venues, targets=services.TARGETS, age_labels=services.AGE_LABELS,
                           function_tags=services.FUNCTION_TAGS, function_labels=services.FUNCTION_LABELS), status


@bp.route("/events/<int:event_id>")
@login_required
def event_detail(event_id):
    event = _event(event_id)
    manage = services.can_on(current_user, MANAGE, event)
    checkin = services.can_on(current_user, "culture_events.checkin", event)
    if not (manage or checkin):
        raise Forbidden()
    q = request.args.get("q", "")
    regs = db.session.execute(select(Registration, Person.name).join(Person, Person.id == Registration.person_id)
                              .where(Registration.event_id == event.id)
                              .order_by(Registration.status, Registration.waiting_since, Registration.id)).all()
    found = services.search_registrations(current_user, event, q) if q and checkin else []
    photos = db.session.scalars(select(EventPhoto).where(EventPhoto.event_id == event.id)
                                .order_by(EventPhoto.id)).all()
    return render_template("culture_events/event_detail.html", event=event, regs=regs, manage=manage,
                           checkin=checkin, q=q, found=found, photos=photos, counts=services.registration_counts([event.id]),
                           age_labels=services.AGE_LABELS)


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
    event = _event(event_id)
    services.add_photo(current_user, event, request.form.get("url", ""), request.form.get("caption", ""),
                       request.form.getlist("people_ids", type=int))
    db.session.commit()
    flash(_("Photo added."), "success")
    return redirect(url_for(".event_detail", event_id=event.id))


@bp.route("/events/<int:event_id>/edit", methods=["POST"])
@login_required
def event_update(event_id):
    event = _event(event_id)
    data = {k: v for k, v in {"capacity": request.form.get("capacity"),
                              "title": request.form.get("title")}.items() if v}
    services.update_event(current_user, event, data)
    db.session.commit()
    flash(_("Event updated."), "success")
    return redirect(url_for(".event_detail", event_id=event.id))


@bp.route("/events/<int:event_id>/cancel", methods=["POST"])
@login_required
def event_cancel(event_id):
    services.cancel_event(current_user, _event(event_id), request.form.get("reason", ""))
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
    if request.method == "POST":
        community = db.session.get(Community, request.form.get("community_id", type=int) or 0)
        if community is None:
            raise Invalid(fields={"community_id": [_("This field is required.")]})
        services.create_venue(current_user, community, request.form.get("name", ""),
                              request.form.get("capacity", type=int))
        db.session.commit()
        flash(_("Venue added."), "success")
        return redirect(url_for(".venues"))
    stmt = select(Venue).order_by(Venue.name)
    cstmt = select(Community).order_by(Community.name)
    if cids is not None:
        stmt = stmt.where(Venue.community_id.in_(cids))
        cstmt = cstmt.where(Community.id.in_(cids))
    return render_template("culture_events/venues.html", venues=db.session.scalars(stmt).all(),
                           communities=db.session.scalars(cstmt).all())


@bp.route("/clubs", methods=["GET", "POST"])
@login_required
def clubs():
    """Clubs and interest polls of the communities the user plans for."""
    if not can(current_user, MANAGE):
        raise Forbidden()
    communities, _areas = _scopes(current_user)
    if request.method == "POST":
        community = next((c for c in communities if c.id == request.form.get("community_id", type=int)), None)
        if community is None:
            raise Invalid(fields={"community_id": [_("This field is required.")]})
        if request.form.get("kind") == "poll":
            services.create_poll(current_user, community, request.form.get("question", ""),
                                 request.form.get("options", "").splitlines())
            flash(_("Poll opened."), "success")
        else:
            services.create_club(current_user, community, request.form.get("name", ""),
                                 request.form.get("description", ""), request.form.getlist("age_groups") or "all",
                                 request.form.get("schedule", ""))
            flash(_("Club founded."), "success")
        db.session.commit()
        return redirect(url_for(".clubs"))
    ids = [c.id for c in communities]
    rows = db.session.execute(select(Club, func.count(ClubMember.id)).outerjoin(
        ClubMember, (ClubMember.club_id == Club.id) & ClubMember.left_on.is_(None))
        .where(Club.community_id.in_(ids)).group_by(Club.id).order_by(Club.name)).all()
    polls = db.session.scalars(select(Poll).where(Poll.community_id.in_(ids)).order_by(Poll.id.desc())).all()
    return render_template("culture_events/clubs.html", clubs=rows, polls=[(p, services.poll_demand(p)) for p in polls],
                           communities=communities, targets=services.TARGETS, age_labels=services.AGE_LABELS,
                           groups=services.AGE_GROUPS)


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
    try:
        since = dt.date.fromisoformat(request.args.get("since") or f"{today.year}-01-01")
        until = dt.date.fromisoformat(request.args.get("until") or today.isoformat())
    except ValueError:
        raise Invalid(fields={"since": [_("Not a valid date.")]}) from None
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
