"""Pages of the quality area: reception days, surveys, the quality dashboard, the public scorecard,
and the owners' portal pages (booking a reception slot, answering a survey)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth.permissions import can, person_unit_ids, require, visible_community_ids
from core.database import db
from core.places.models import Community, Unit
from core.quality import services
from core.quality.forms import BookingForm, IssueForm, MinutesForm, ReceptionDayForm, SurveyForm
from core.quality.models import QuestionKind, ReceptionDay, Survey, SurveyStatus

SURVEY_STATUS = {"draft": _l("Draft"), "open": _l("Accepting answers"), "closed": _l("Closed")}

bp = Blueprint("quality", __name__, url_prefix="/quality", template_folder="templates")

NAV = [{"label": _l("Service quality"), "endpoint": "quality.index", "permission": "quality.dashboard.read",
        "order": 30}]


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _community(community_id: int, permission: str) -> Community:
    community = services.get_community(community_id)
    require(current_user, permission, community=community)
    return community


@bp.route("/")
@login_required
def index():
    ids = visible_community_ids(current_user, "quality.dashboard.read")
    stmt = select(Community).order_by(Community.name)
    if ids is not None:
        stmt = stmt.where(Community.id.in_(ids))
    communities = db.session.scalars(stmt).all()
    if not communities:
        abort(403)
    return render_template("quality/index.html", communities=communities)


# ---------------------------------------------------------------------------------------------
# Reception days
# ---------------------------------------------------------------------------------------------


@bp.route("/communities/<int:community_id>/reception", methods=["GET", "POST"])
@login_required
def reception(community_id):
    community = _community(community_id, "quality.reception.read")
    form = ReceptionDayForm()
    may_manage = can(current_user, "quality.reception.manage", community=community)
    if request.method == "POST":
        require(current_user, "quality.reception.manage", community=community)
        if form.validate_on_submit():
            start = dt.datetime.combine(form.day.data, form.first_slot.data, tzinfo=_tz())
            step = dt.timedelta(minutes=form.slot_minutes.data)
            slots = [{"starts_at": start + i * step, "ends_at": start + (i + 1) * step,
                      "capacity": form.capacity.data} for i in range(form.slot_count.data)]
            day = services.schedule_day(
                current_user, community, day=form.day.data, title=form.title.data, location=form.location.data,
                developer_invited=form.developer_invited.data,
                residents_committee_invited=form.residents_committee_invited.data,
                attendees=form.attendees.data or None, slots=slots)
            db.session.commit()
            flash(_("Reception day scheduled."), "success")
            return redirect(url_for(".reception_day", day_id=day.id))
    days = db.session.scalars(select(ReceptionDay).where(ReceptionDay.community_id == community.id)
                              .order_by(ReceptionDay.day.desc()).limit(100)).all()
    status = 422 if form.errors else 200
    return render_template("quality/reception.html", community=community, days=days, form=form,
                           may_manage=may_manage), status


@bp.route("/reception/<int:day_id>", methods=["GET"])
@login_required
def reception_day(day_id):
    day = services.get_day(day_id)
    community = _community(day.community_id, "quality.reception.read")
    bookings = services.bookings_of_day(day)
    issue_form = IssueForm()
    issue_form.booking_id.choices = [(0, "—")] + [(b.id, f"{b.slot.starts_at.astimezone(_tz()):%H:%M} {b.topic}")
                                                  for b in bookings]
    minutes_form = MinutesForm(minutes=day.minutes)
    from core.tickets.services import category_names

    return render_template(
        "quality/reception_day.html", day=day, community=community, bookings=bookings,
        category_names=category_names(community),
        issues=services.issues_of_day(day), issue_form=issue_form, minutes_form=minutes_form,
        may_record=can(current_user, "quality.reception.record", community=community),
        may_manage=can(current_user, "quality.reception.manage", community=community),
        may_read_minutes=can(current_user, "quality.minutes.read", community=community))


@bp.route("/reception/<int:day_id>/issues", methods=["POST"])
@login_required
def reception_issue(day_id):
    day = services.get_day(day_id)
    form = IssueForm()
    form.booking_id.choices = [(0, "—")] + [(b.id, "") for b in services.bookings_of_day(day)]
    if not form.validate_on_submit():
        require(current_user, "quality.reception.record", community=services.get_community(day.community_id))
        flash(_("Please fill in the title, the category and what was raised."), "error")
        return redirect(url_for(".reception_day", day_id=day.id))
    services.record_issue(current_user, day, title=form.title.data, description=form.description.data,
                          category_code=form.category_code.data.strip(), booking_id=form.booking_id.data or None)
    db.session.commit()
    flash(_("Issue recorded."), "success")
    return redirect(url_for(".reception_day", day_id=day.id))


@bp.route("/reception-issues/<int:issue_id>/ticket", methods=["POST"])
@login_required
def issue_ticket(issue_id):
    ticket = services.issue_to_ticket(current_user, issue_id)
    db.session.commit()
    flash(_("Ticket %(id)s created.", id=ticket.id), "success")
    return redirect(request.referrer or url_for(".index"))


@bp.route("/reception/<int:day_id>/minutes", methods=["POST"])
@login_required
def reception_minutes(day_id):
    day = services.get_day(day_id)
    form = MinutesForm()
    if not form.validate_on_submit():
        require(current_user, "quality.reception.manage", community=services.get_community(day.community_id))
        flash(_("The minutes are empty."), "error")
        return redirect(url_for(".reception_day", day_id=day.id))
    services.record_minutes(current_user, day, form.minutes.data)
    db.session.commit()
    flash(_("Minutes saved."), "success")
    return redirect(url_for(".reception_day", day_id=day.id))


# ---------------------------------------------------------------------------------------------
# Surveys
# ---------------------------------------------------------------------------------------------


@bp.route("/communities/<int:community_id>/surveys", methods=["GET", "POST"])
@login_required
def surveys(community_id):
    community = _community(community_id, "quality.survey.read")
    form = SurveyForm()
    if request.method == "GET" and form.year.data is None:
        form.year.data = dt.date.today().year
    if request.method == "POST":
        require(current_user, "quality.survey.manage", community=community)
        if form.validate_on_submit():
            questions = [{"text": line, "kind": "rating"} for line in form.rating_questions.data.splitlines()]
            questions += [{"text": line, "kind": "text"} for line in (form.text_questions.data or "").splitlines()]
            survey = services.create_survey(current_user, community, year=form.year.data, title=form.title.data,
                                            questions=questions, opens_on=form.opens_on.data,
                                            closes_on=form.closes_on.data)
            db.session.commit()
            flash(_("Survey created as a draft."), "success")
            return redirect(url_for(".survey", survey_id=survey.id))
    rows = db.session.scalars(select(Survey).where(Survey.community_id == community.id)
                              .order_by(Survey.year.desc(), Survey.id.desc())).all()
    return render_template("quality/surveys.html", community=community, surveys=rows, form=form,
                           status_labels=SURVEY_STATUS,
                           may_manage=can(current_user, "quality.survey.manage", community=community)), \
        422 if form.errors else 200


@bp.route("/surveys/<int:survey_id>")
@login_required
def survey(survey_id):
    row = services.get_survey(survey_id)
    results = services.survey_results(current_user, row)
    community = services.get_community(row.community_id)
    return render_template("quality/survey.html", survey=row, results=results, community=community,
                           status_labels=SURVEY_STATUS,
                           allowed=services.SURVEY_TRANSITIONS[row.status],
                           may_manage=can(current_user, "quality.survey.manage", community=community))


@bp.route("/surveys/<int:survey_id>/status", methods=["POST"])
@login_required
def survey_status(survey_id):
    services.set_survey_status(current_user, services.get_survey(survey_id), request.form.get("status", ""))
    db.session.commit()
    return redirect(url_for(".survey", survey_id=survey_id))


# ---------------------------------------------------------------------------------------------
# Owners' portal
# ---------------------------------------------------------------------------------------------


def _my_units():
    person = current_user.person
    if person is None:
        return None, []
    ids = person_unit_ids(person.id)
    units = db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id)).all() if ids else []
    return person, units


@bp.route("/portal")
@login_required
def portal_home():
    person, units = _my_units()
    community_ids = {u.community_id for u in units}
    days = services.upcoming_days(community_ids) if community_ids else []
    form = BookingForm()
    form.unit_id.choices = [(u.id, u.label) for u in units]
    mine = services.bookings_of_person(person) if person is not None else []
    return render_template("quality/portal.html", person=person, units=units, days=days, form=form,
                           surveys=services.open_surveys_for(person), bookings=mine)


@bp.route("/portal/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def portal_cancel(booking_id):
    services.cancel_booking(current_user.person, booking_id)
    db.session.commit()
    flash(_("Booking cancelled."), "success")
    return redirect(url_for(".portal_home"))


@bp.route("/portal/slots/<int:slot_id>/book", methods=["POST"])
@login_required
def portal_book(slot_id):
    person, units = _my_units()
    form = BookingForm()
    form.unit_id.choices = [(u.id, u.label) for u in units]
    if not form.validate_on_submit():
        flash(_("Choose your unit and say what you want to raise."), "error")
        return redirect(url_for(".portal_home")), 303
    services.book_slot(person, slot_id, form.unit_id.data, form.topic.data)
    db.session.commit()
    flash(_("Booked. We look forward to seeing you."), "success")
    return redirect(url_for(".portal_home"))


@bp.route("/portal/surveys/<int:survey_id>", methods=["GET", "POST"])
@login_required
def portal_survey(survey_id):
    person, units = _my_units()
    row = services.get_survey(survey_id)
    mine = [u for u in units if u.community_id == row.community_id]
    if not mine or row.status != SurveyStatus.open:
        abort(404)
    errors = {}
    if request.method == "POST":
        answers = {str(q.id): request.form.get(f"q{q.id}", "") for q in row.questions}
        try:
            unit_id = int(request.form.get("unit_id", ""))
        except ValueError:
            unit_id = 0
        from core.errors import Invalid

        try:
            services.submit_response(person, row, unit_id, answers, request.form.get("comment"))
        except Invalid as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            db.session.commit()
            flash(_("Thank you for your answers."), "success")
            return redirect(url_for(".portal_home"))
    return render_template("quality/portal_survey.html", survey=row, units=mine, errors=errors,
                           rating=QuestionKind.rating), 422 if errors else 200


# ---------------------------------------------------------------------------------------------
# Quality dashboard, comparison, equal service, public scorecard
# ---------------------------------------------------------------------------------------------


def _period():
    """The period of the query string (``start``/``end``, Beijing dates), or the last twelve months."""
    from core.quality.dashboard import Period
    from core.quality.forms import PeriodForm

    form = PeriodForm(request.args)
    default = Period.default()
    if not form.validate() or (form.start.data and form.end.data and form.end.data < form.start.data):
        from core.errors import Invalid

        raise Invalid(fields=form.errors or {"end": [_("The end comes before the start.")]})
    start = form.start.data or default.start
    end = form.end.data or default.end
    if end < start:
        from core.errors import Invalid

        raise Invalid(fields={"end": [_("The end comes before the start.")]})
    form.start.data, form.end.data = start, end
    return Period(start, end), form


@bp.route("/communities/<int:community_id>/dashboard")
@login_required
def dashboard(community_id):
    from core.quality import charts
    from core.quality import dashboard as dash

    community = services.get_community(community_id)
    period, form = _period()
    data = dash.dashboard(current_user, community, period)
    months = data["trend"]
    charts_html = {
        "tickets": charts.bars([(m["month"], m["tickets"]) for m in months], label=_("Tickets per month")),
        "sla": charts.bars([(m["month"], m["sla"]["overall"]["percent"]) for m in months], unit="%",
                           max_value=100, label=_("SLA compliance per month")),
        "satisfaction": charts.bars([(m["month"], m["satisfaction"]["percent"]) for m in months], unit="%",
                                    max_value=100, label=_("Satisfaction per month")),
    }
    from core.tickets.workflows import all_workflows

    labels = {}
    for wf in all_workflows().values():
        for code, label in wf.states.items():
            labels.setdefault(code, label)
    return render_template("quality/dashboard.html", community=community, data=data, form=form, charts=charts_html,
                           target=services.survey_target(community), status_labels=labels)


@bp.route("/communities/<int:community_id>/dashboard.xlsx")
@login_required
def dashboard_xlsx(community_id):
    from core.quality import dashboard as dash
    from core.quality.export import dashboard_workbook

    community = services.get_community(community_id)
    period, _form = _period()
    data = dash.dashboard(current_user, community, period)
    body = dashboard_workbook(data)
    name = f"quality-{community.id}-{period.start}-{period.end}.xlsx"
    return current_app.response_class(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                      headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/compare")
@login_required
def compare():
    from core.quality import dashboard as dash

    if not can(current_user, "quality.dashboard.read"):
        abort(403)
    period, form = _period()
    return render_template("quality/compare.html", rows=dash.comparison(current_user, period), form=form)


@bp.route("/communities/<int:community_id>/equal-service")
@login_required
def equal_service(community_id):
    from core.quality import dashboard as dash

    community = services.get_community(community_id)
    period, form = _period()
    report = dash.equal_service_report(current_user, community, period)
    return render_template("quality/equal_service.html", community=community, report=report, form=form)


@bp.route("/scorecard/<int:community_id>")
def scorecard(community_id):
    """Public: no login, aggregates only (the external supervision owners and the 居委会 exercise)."""
    from core.quality import charts
    from core.quality import dashboard as dash

    community = services.get_community(community_id)
    period, form = _period()
    card = dash.scorecard(community, period)
    chart = charts.bars([(m["month"], m["tickets"]) for m in card["trend"]], label=_("Tickets per month"))
    sla_chart = charts.bars([(m["month"], m["sla"]) for m in card["trend"]], unit="%", max_value=100,
                            label=_("SLA compliance per month"))
    return render_template("quality/scorecard.html", community=community, card=card, chart=chart,
                           sla_chart=sla_chart, form=form, target=services.survey_target(community))
