"""Ticket pages: the back office (lists, SLA, workload, detail with actions, phone entry, categories
and grade profile) and the owner portal (submit with photos, timeline, comment, rate; rating by link)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth.permissions import can, person_unit_ids, require, visible_community_ids
from core.database import db
from core.errors import AppError, Forbidden, NotFound
from core.places.models import Building, Community, Unit
from core.settings.services import get as get_setting
from core.tickets import forms, services, workflows
from core.tickets.models import Ticket, TicketAttachment, TicketCategory, TicketRating, TicketTeam

bp = Blueprint("tickets", __name__, url_prefix="/tickets", template_folder="templates")

NAV = [
    {"label": _l("Tickets"), "endpoint": "tickets.index", "permission": "tickets.read", "order": 20},
    {"label": _l("SLA"), "endpoint": "tickets.sla", "permission": "tickets.read", "order": 21},
]

PRIORITIES = {1: _l("Urgent"), 2: _l("High"), 3: _l("Normal"), 4: _l("Low")}
CHANNEL_LABELS = {"portal": _l("Owner portal"), "phone": _l("Phone call"), "api": _l("API"),
                  "reception": _l("Reception day"), "staff": _l("Raised by staff")}


@bp.app_template_global("ticket_status")
def ticket_status(ticket) -> str:
    wf = workflows.get(ticket.workflow)
    return str(wf.states.get(ticket.status, ticket.status))


def _communities(permission: str) -> list[Community]:
    ids = visible_community_ids(current_user, permission)
    stmt = select(Community).order_by(Community.name)
    if ids is not None:
        stmt = stmt.where(Community.id.in_(ids or {-1}))
    return list(db.session.scalars(stmt))


def _pick_community(permission: str) -> tuple[Community, list[Community]]:
    communities = _communities(permission)
    if not communities:
        raise Forbidden()
    wanted = request.args.get("community_id", type=int)
    chosen = next((c for c in communities if c.id == wanted), communities[0])
    return chosen, communities


def _flash_error(exc: AppError) -> None:
    flash(str(exc.message), "error")
    for msgs in exc.fields.values():
        for m in msgs if isinstance(msgs, list) else [msgs]:
            flash(str(m), "error")


# ---------------------------------------------------------------------------------------------
# Back office
# ---------------------------------------------------------------------------------------------


@bp.route("/")
@login_required
def index():
    if not can(current_user, "tickets.read"):
        if current_user.person_id is not None:
            return redirect(url_for("tickets.my"))
        raise Forbidden()
    community, communities = _pick_community("tickets.read")
    status = request.args.get("status", "open")
    stmt = select(Ticket).where(Ticket.community_id == community.id)
    if status == "open":
        stmt = stmt.where(Ticket.status.in_(services._open_states()))
    elif status == "mine":
        stmt = stmt.where(Ticket.assignee_id == current_user.id, Ticket.status.in_(services._open_states()))
    elif status == "callback":
        stmt = stmt.where(services.needs_callback_filter(get_setting("tickets.callback_threshold",
                                                                     community=community)))
    elif status != "all":
        stmt = stmt.where(Ticket.status == status)
    page = request.args.get("page", 1, type=int)
    from core.api import page_of

    result = page_of(stmt.order_by(Ticket.opened_at.desc(), Ticket.id.desc()), {"page": max(page, 1), "per_page": 50})
    cats = {c.id: c for c in services.categories(community, active_only=False)}
    db.session.commit()
    return render_template("tickets/list.html", page=result, community=community, communities=communities,
                           status=status, cats=cats, priorities=PRIORITIES,
                           can_enter=can(current_user, "tickets.handle", community=community),
                           can_configure=can(current_user, "tickets.configure", community=community))


@bp.route("/sla")
@login_required
def sla():
    community, communities = _pick_community("tickets.read")
    lists = services.sla_lists({community.id})
    return render_template("tickets/sla.html", community=community, communities=communities, lists=lists,
                           warnings=services.calendar_warnings(community), next_due=services.next_due,
                           workload=services.workload(community))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """电话接听: staff enter a call (or a reception-day item) for an owner."""
    community, communities = _pick_community("tickets.handle")
    form = forms.PhoneTicketForm()
    form.category.choices = [(c.code, c.name) for c in services.categories(community)]
    form.unit_id.choices = _unit_choices(community)
    if form.validate_on_submit():
        unit = db.session.get(Unit, form.unit_id.data)
        reporter = _owner_of(unit)
        try:
            ticket = services.create_ticket(current_user, community=community, unit=unit,
                                            category_code=form.category.data, title=form.title.data,
                                            description=form.description.data, channel=form.channel.data,
                                            reporter_person=reporter)
        except AppError as exc:
            db.session.rollback()
            _flash_error(exc)
            return render_template("tickets/new.html", form=form, community=community,
                                   communities=communities), exc.status
        db.session.commit()
        flash(_("Ticket %(n)s opened.", n=ticket.number), "success")
        return redirect(url_for("tickets.detail", ticket_id=ticket.id))
    db.session.commit()
    return render_template("tickets/new.html", form=form, community=community, communities=communities), \
        422 if form.errors else 200


def _unit_choices(community: Community) -> list[tuple[int, str]]:
    rows = db.session.execute(select(Unit.id, Building.name, Unit.number).join(Building, Building.id == Unit.building_id)
                              .where(Unit.community_id == community.id).order_by(Building.name, Unit.number)).all()
    return [(r[0], f"{r[1]}-{r[2]}") for r in rows]


def _owner_of(unit: Unit | None):
    from core.people.models import Ownership, Person

    if unit is None:
        return None
    return db.session.scalar(select(Person).join(Ownership, Ownership.person_id == Person.id)
                             .where(Ownership.unit_id == unit.id, Ownership.end_date.is_(None))
                             .order_by(Ownership.id).limit(1))


def _staff_ticket(ticket_id: int) -> tuple[Ticket, Community]:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound()
    community = db.session.get(Community, ticket.community_id)
    if not can(current_user, "tickets.read", community=community):
        if services.is_reporter(current_user, ticket):
            abort(redirect(url_for("tickets.my_detail", ticket_id=ticket.id)))
        raise NotFound()
    return ticket, community


def _render_detail(ticket: Ticket, community: Community, status: int = 200):
    category = db.session.get(TicketCategory, ticket.category_id)
    wf = workflows.get(ticket.workflow)
    staff = services.staff_choices(community)
    tform = forms.TransitionForm()
    tform.assignee_id.choices = [(a.id, a.display_name) for a in staff]
    rform = forms.ReassignForm()
    rform.assignee_id.choices = [(a.id, a.display_name) for a in staff]
    cbform = forms.CallbackForm()
    cbform.outcome.choices = [(k, str(v)) for k, v in services.CALLBACK_OUTCOMES.items()]
    attachments = db.session.execute(select(TicketAttachment.id, TicketAttachment.filename,
                                            TicketAttachment.content_type)
                                     .where(TicketAttachment.ticket_id == ticket.id)).all()
    rating = db.session.scalar(select(TicketRating).where(TicketRating.ticket_id == ticket.id))
    from core.auth.models import Account
    from core.people.models import Person

    assignee = db.session.get(Account, ticket.assignee_id) if ticket.assignee_id else None
    reporter = db.session.get(Person, ticket.reporter_person_id) if ticket.reporter_person_id else None
    unit = db.session.get(Unit, ticket.unit_id) if ticket.unit_id else None
    threshold = services.get_setting("tickets.callback_threshold", community=community)
    return render_template(
        "tickets/detail.html", ticket=ticket, community=community, category=category, wf=wf,
        actions=services.allowed_actions(current_user, ticket), tform=tform, rform=rform, cbform=cbform,
        cform=forms.CommentForm(), timeline=services.timeline(ticket, include_internal=True),
        attachments=attachments, rating=rating, assignee=assignee, reporter=reporter, unit=unit,
        warnings=[] if ticket.around_the_clock else services.calendar_warnings(community),
        teams=services.teams(community),
        needs_callback=rating is not None and rating.score <= threshold and not ticket.callback_done,
        can_handle=services.is_staff(current_user, community),
        can_dispatch=can(current_user, "tickets.dispatch", community=community),
        can_callback=can(current_user, "tickets.callback", community=community),
        priorities=PRIORITIES, channels=CHANNEL_LABELS), status


@bp.route("/<int:ticket_id>")
@login_required
def detail(ticket_id: int):
    ticket, community = _staff_ticket(ticket_id)
    return _render_detail(ticket, community)


def _act(ticket_id: int, fn):
    """Run a staff action on a ticket: commit and go back, or show the refusal with its status."""
    ticket, community = _staff_ticket(ticket_id)
    try:
        fn(ticket, community)
    except AppError as exc:
        db.session.rollback()
        ticket, community = _staff_ticket(ticket_id)
        _flash_error(exc)
        return _render_detail(ticket, community, exc.status)
    db.session.commit()
    return redirect(url_for("tickets.detail", ticket_id=ticket_id))


@bp.route("/<int:ticket_id>/transition", methods=["POST"])
@login_required
def take(ticket_id: int):
    form = forms.TransitionForm()

    def run(ticket, community):
        assignee = request.form.get("assignee_id", type=int)
        team = request.form.get("team_id", type=int)
        services.transition(current_user, ticket, form.action.data or "", note=form.note.data,
                            assignee_id=assignee if assignee or not team else None, team_id=team,
                            workers=form.workers.data)

    return _act(ticket_id, run)


@bp.route("/<int:ticket_id>/reassign", methods=["POST"])
@login_required
def reassign(ticket_id: int):
    def run(ticket, community):
        services.reassign(current_user, ticket, assignee_id=request.form.get("assignee_id", type=int),
                          reason=request.form.get("reason", ""))

    return _act(ticket_id, run)


@bp.route("/<int:ticket_id>/comment", methods=["POST"])
@login_required
def comment(ticket_id: int):
    def run(ticket, community):
        services.add_comment(current_user, ticket, request.form.get("body", ""),
                             internal=bool(request.form.get("internal")))

    return _act(ticket_id, run)


@bp.route("/<int:ticket_id>/callback", methods=["POST"])
@login_required
def callback(ticket_id: int):
    def run(ticket, community):
        services.record_callback(current_user, ticket, outcome=request.form.get("outcome", ""),
                                 attempts=request.form.get("attempts", 0), note=request.form.get("note"))

    return _act(ticket_id, run)


@bp.route("/<int:ticket_id>/steps/<int:index>", methods=["POST"])
@login_required
def step(ticket_id: int, index: int):
    def run(ticket, community):
        services.tick_step(current_user, ticket, index, done=request.form.get("done") == "1")

    return _act(ticket_id, run)


@bp.route("/<int:ticket_id>/photos", methods=["POST"])
@login_required
def photos(ticket_id: int):
    def run(ticket, community):
        services.add_attachments(current_user, ticket, _uploads())

    return _act(ticket_id, run)


def _uploads() -> list[services.Upload]:
    return [services.Upload(f.filename, f.read()) for f in request.files.getlist("photos") if f and f.filename]


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    from core.tickets.api import attachment_response

    row = db.session.get(TicketAttachment, attachment_id)
    if row is None:
        raise NotFound()
    services.get_visible(current_user, row.ticket_id)
    return attachment_response(row)


# ---------------------------------------------------------------------------------------------
# Categories and grade profile
# ---------------------------------------------------------------------------------------------


@bp.route("/categories")
@login_required
def categories():
    community, communities = _pick_community("tickets.configure")
    rows = services.categories(community, active_only=False)
    profile = services.profile_for(community)
    db.session.commit()
    staff = services.staff_choices(community)
    return render_template("tickets/categories.html", community=community, communities=communities, rows=rows,
                           profile=profile, workflows=workflows.all_workflows(), priorities=PRIORITIES,
                           teams=services.teams(community), staff=staff, names={a.id: a.display_name for a in staff})


@bp.route("/teams", methods=["POST"])
@bp.route("/teams/<int:team_id>", methods=["POST"])
@login_required
def team_save(team_id: int | None = None):
    if team_id is None:
        community, _all = _pick_community("tickets.configure")
    else:
        team = db.session.get(TicketTeam, team_id)
        if team is None:
            raise NotFound()
        community = db.session.get(Community, team.community_id)
    fields = (request.form.get("name", ""), [int(x) for x in request.form.getlist("member_ids") if x.isdigit()],
              request.form.get("leader_id", type=int))
    try:
        if team_id is None:
            services.create_team(current_user, community, *fields)
        else:
            services.update_team(current_user, team, *fields)
    except AppError as exc:
        db.session.rollback()
        _flash_error(exc)
    else:
        db.session.commit()
        flash(_("Team saved."), "success")
    return redirect(url_for("tickets.categories", community_id=community.id))


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@login_required
def category_edit(category_id: int):
    cat = db.session.get(TicketCategory, category_id)
    if cat is None:
        raise NotFound()
    community = db.session.get(Community, cat.community_id)
    require(current_user, "tickets.configure", community=community)
    form = forms.CategoryForm(obj=cat)
    form.workflow.choices = [(code, str(wf.name)) for code, wf in workflows.all_workflows().items()]
    if request.method == "GET":
        form.procedure.data = "\n".join(cat.procedure or [])
    if form.validate_on_submit():
        data = {k: getattr(form, k).data for k in ("name", "workflow", "response_minutes", "arrival_minutes",
                                                    "resolution_minutes", "priority", "around_the_clock", "active")}
        data["procedure"] = [line.strip() for line in (form.procedure.data or "").splitlines() if line.strip()]
        services.update_category(current_user, cat, data)
        db.session.commit()
        flash(_("Category saved."), "success")
        return redirect(url_for("tickets.categories", community_id=community.id))
    return render_template("tickets/category_form.html", form=form, cat=cat, community=community), \
        422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    community, _communities_ = _pick_community("tickets.configure")
    prof = services.profile_for(community)
    form = forms.ProfileForm(obj=prof)
    if form.validate_on_submit():
        services.update_profile(current_user, community, {f.name: f.data for f in form if f.name != "csrf_token"})
        db.session.commit()
        flash(_("Grade profile saved."), "success")
        return redirect(url_for("tickets.categories", community_id=community.id))
    db.session.commit()
    return render_template("tickets/profile.html", form=form, community=community), 422 if form.errors else 200


# ---------------------------------------------------------------------------------------------
# Owner portal
# ---------------------------------------------------------------------------------------------


def _my_units() -> list[Unit]:
    if current_user.person_id is None:
        raise Forbidden()
    ids = person_unit_ids(current_user.person_id)
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids or {-1})).order_by(Unit.id)))


@bp.route("/my")
@login_required
def my():
    units = _my_units()
    rows = db.session.scalars(services.visible_tickets_stmt(current_user)
                              .order_by(Ticket.opened_at.desc(), Ticket.id.desc()).limit(100)).all() \
        if units or current_user.person_id else []
    return render_template("tickets/portal_list.html", rows=rows, units=units)


@bp.route("/my/new", methods=["GET", "POST"])
@login_required
def my_new():
    units = _my_units()
    if not units:
        flash(_("Your account is not linked to a unit yet; please call the service desk."), "error")
        return redirect(url_for("tickets.my"))
    form = forms.PortalTicketForm()
    form.unit_id.choices = [(u.id, f"{u.building.community.name} {u.label}") for u in units]
    chosen = next((u for u in units if u.id == form.unit_id.data), units[0])
    community = db.session.get(Community, chosen.community_id)
    form.category.choices = [(c.code, c.name) for c in services.categories(community)]
    status = 200
    if form.validate_on_submit():
        try:
            ticket = services.create_ticket(current_user, community=community, unit=chosen,
                                            category_code=form.category.data, title=form.title.data,
                                            description=form.description.data, channel="portal",
                                            attachments=_uploads())
        except AppError as exc:
            db.session.rollback()
            for name, msgs in exc.fields.items():
                target = getattr(form, name, None) or form.photos
                target.errors = list(target.errors or []) + [str(m) for m in msgs]
            if not exc.fields:
                form.photos.errors = [str(exc.message)]
            status = exc.status
        else:
            db.session.commit()
            flash(_("Thank you — your request %(n)s has been received.", n=ticket.number), "success")
            return redirect(url_for("tickets.my_detail", ticket_id=ticket.id))
    elif form.errors:
        status = 422
    db.session.commit()
    return render_template("tickets/portal_new.html", form=form,
                           max_files=services.get_setting("tickets.max_attachments", community=community)), status


def _my_ticket(ticket_id: int) -> Ticket:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or not services.is_reporter(current_user, ticket):
        raise NotFound()
    return ticket


def _render_my(ticket: Ticket, status: int = 200):
    wf = workflows.get(ticket.workflow)
    rating = db.session.scalar(select(TicketRating).where(TicketRating.ticket_id == ticket.id))
    attachments = db.session.execute(select(TicketAttachment.id, TicketAttachment.filename)
                                     .where(TicketAttachment.ticket_id == ticket.id)).all()
    actions = [t for t in services.allowed_actions(current_user, ticket) if t.by in ("any", "owner")]
    return render_template("tickets/portal_detail.html", ticket=ticket, wf=wf, rating=rating,
                           attachments=attachments, actions=actions,
                           timeline=services.timeline(ticket, include_internal=False),
                           can_rate=rating is None and ticket.status in wf.rateable,
                           rform=forms.RatingForm(), cform=forms.CommentForm()), status


@bp.route("/my/<int:ticket_id>")
@login_required
def my_detail(ticket_id: int):
    return _render_my(_my_ticket(ticket_id))


def _my_act(ticket_id: int, fn):
    ticket = _my_ticket(ticket_id)
    try:
        fn(ticket)
    except AppError as exc:
        db.session.rollback()
        _flash_error(exc)
        return _render_my(_my_ticket(ticket_id), exc.status)
    db.session.commit()
    return redirect(url_for("tickets.my_detail", ticket_id=ticket_id))


@bp.route("/my/<int:ticket_id>/rate", methods=["POST"])
@login_required
def my_rate(ticket_id: int):
    return _my_act(ticket_id, lambda t: services.rate(current_user, t, request.form.get("score"),
                                                      request.form.get("comment"), channel="portal"))


@bp.route("/my/<int:ticket_id>/comment", methods=["POST"])
@login_required
def my_comment(ticket_id: int):
    return _my_act(ticket_id, lambda t: services.add_comment(current_user, t, request.form.get("body", "")))


@bp.route("/my/<int:ticket_id>/transition", methods=["POST"])
@login_required
def my_transition(ticket_id: int):
    return _my_act(ticket_id, lambda t: services.transition(current_user, t, request.form.get("action", ""),
                                                            note=request.form.get("note")))


@bp.route("/my/<int:ticket_id>/photos", methods=["POST"])
@login_required
def my_photos(ticket_id: int):
    return _my_act(ticket_id, lambda t: services.add_attachments(current_user, t, _uploads()))


@bp.route("/rate/<token>", methods=["GET", "POST"])
def rate_by_link(token: str):
    """The signed, expiring rating link sent with the resolution notice: no login needed."""
    ticket, person_id = services.ticket_from_token(token)
    form = forms.RatingForm()
    wf = workflows.get(ticket.workflow)
    done = db.session.scalar(select(TicketRating).where(TicketRating.ticket_id == ticket.id))
    status = 200
    if request.method == "POST":
        try:
            done = services.rate(None, ticket, request.form.get("score"), request.form.get("comment"),
                                 channel="link", person_id=person_id)
        except AppError as exc:
            db.session.rollback()
            if exc.status != 422:
                raise
            form.score.errors = [str(m) for m in exc.fields.get("score", [exc.message])]
            status = 422
        else:
            db.session.commit()
    return render_template("tickets/rate.html", ticket=ticket, form=form, rating=done,
                           open=ticket.status in wf.rateable), status
