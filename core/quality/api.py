"""API of the quality area: reception days, bookings, raised issues, surveys, dashboard figures."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from core.api import Blueprint, PageArgs, api_auth, current_account, page_of, page_schema
from core.auth.permissions import can, person_unit_ids, require, visible_community_ids
from core.database import db
from core.errors import Forbidden, NotFound
from core.places.models import Unit
from core.quality import schemas as s
from core.quality import services
from core.quality.models import ReceptionDay, Survey, SurveyStatus

blp = Blueprint("quality_api", __name__, url_prefix="/api/v1/quality",
                description="Reception days, satisfaction surveys and service-quality figures")


def _owner_community_ids(account) -> set[int]:
    if account.person_id is None:
        return set()
    units = person_unit_ids(account.person_id)
    if not units:
        return set()
    return set(db.session.scalars(select(Unit.community_id).where(Unit.id.in_(units))))


def _may_see_day(account, day: ReceptionDay) -> bool:
    if can(account, "quality.reception.read", community=services.get_community(day.community_id)):
        return True
    return day.community_id in _owner_community_ids(account)


def _scoped(stmt, model, account, permission, community_id):
    visible = visible_community_ids(account, permission)
    owner_ids = _owner_community_ids(account)
    if visible is not None:
        visible = visible | owner_ids
        stmt = stmt.where(model.community_id.in_(visible))
    if community_id is not None:
        stmt = stmt.where(model.community_id == community_id)
    return stmt


# ---------------------------------------------------------------------------------------------
# Reception days
# ---------------------------------------------------------------------------------------------


@blp.route("/reception-days", methods=["GET"])
@api_auth
@blp.arguments(s.CommunityArgs, location="query", as_kwargs=True)
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(s.ReceptionDaySchema))
def list_days(community_id=None, **page):
    """Reception days of the communities you may see (owners: their own communities)."""
    stmt = _scoped(select(ReceptionDay), ReceptionDay, current_account(), "quality.reception.read", community_id)
    return page_of(stmt.order_by(ReceptionDay.day.desc(), ReceptionDay.id.desc()), page)


@blp.route("/reception-days", methods=["POST"])
@api_auth
@blp.arguments(s.ReceptionDayInSchema)
@blp.response(201, s.ReceptionDaySchema)
def create_day(args):
    """Schedule a reception day with its slots."""
    community = services.get_community(args.pop("community_id"))
    day = services.schedule_day(current_account(), community, **args)
    db.session.commit()
    return day


@blp.route("/reception-days/<int:day_id>", methods=["GET"])
@api_auth
@blp.response(200, s.ReceptionDayDetailSchema)
def get_day(day_id):
    """A reception day with its slots; the minutes only for those who may read them."""
    account = current_account()
    day = services.get_day(day_id)
    if not _may_see_day(account, day):
        raise NotFound()
    minutes_ok = can(account, "quality.minutes.read", community=services.get_community(day.community_id))
    data = {name: getattr(day, name) for name in s.ReceptionDaySchema._declared_fields}
    data["minutes"] = day.minutes if minutes_ok else None
    data["minutes_recorded_at"] = day.minutes_recorded_at if minutes_ok else None
    return data


@blp.route("/reception-days/<int:day_id>/minutes", methods=["PUT"])
@api_auth
@blp.arguments(s.MinutesInSchema)
@blp.response(200, s.ReceptionDayDetailSchema)
def put_minutes(args, day_id):
    """Record the minutes of a reception day (visible to the owners' committee)."""
    day = services.record_minutes(current_account(), services.get_day(day_id), args["minutes"])
    db.session.commit()
    return day


@blp.route("/reception-slots/<int:slot_id>/bookings", methods=["POST"])
@api_auth
@blp.arguments(s.BookingInSchema)
@blp.response(201, s.BookingSchema)
def book(args, slot_id):
    """Book a slot for one of your units (owners and residents). A full slot answers 409 ``slot_full``."""
    account = current_account()
    if account.person_id is None:
        raise Forbidden()
    booking = services.book_slot(account.person, slot_id, args["unit_id"], args["topic"])
    db.session.commit()
    return booking


@blp.route("/bookings/<int:booking_id>", methods=["DELETE"])
@api_auth
@blp.response(200, s.BookingSchema)
def cancel_booking(booking_id):
    """Cancel your own booking; the place becomes free again."""
    account = current_account()
    booking = services.cancel_booking(account.person, booking_id)
    db.session.commit()
    return booking


@blp.route("/reception-days/<int:day_id>/bookings", methods=["GET"])
@api_auth
@blp.response(200, s.BookingSchema(many=True))
def day_bookings(day_id):
    """Bookings of a reception day (staff, committee, residents' committee)."""
    day = services.get_day(day_id)
    require(current_account(), "quality.reception.read", community=services.get_community(day.community_id))
    return services.bookings_of_day(day)


@blp.route("/reception-days/<int:day_id>/issues", methods=["GET"])
@api_auth
@blp.response(200, s.IssueSchema(many=True))
def day_issues(day_id):
    """What was raised at a reception day."""
    day = services.get_day(day_id)
    require(current_account(), "quality.reception.read", community=services.get_community(day.community_id))
    return services.issues_of_day(day)


@blp.route("/reception-days/<int:day_id>/issues", methods=["POST"])
@api_auth
@blp.arguments(s.IssueInSchema)
@blp.response(201, s.IssueSchema)
def add_issue(args, day_id):
    """Record an issue raised at the reception day."""
    issue = services.record_issue(current_account(), services.get_day(day_id), **args)
    db.session.commit()
    return issue


@blp.route("/reception-issues/<int:issue_id>/ticket", methods=["POST"])
@api_auth
@blp.response(201, s.TicketRefSchema)
def issue_ticket(issue_id):
    """Turn a raised issue into a service ticket (once)."""
    ticket = services.issue_to_ticket(current_account(), issue_id)
    db.session.commit()
    return {"issue_id": issue_id, "ticket_id": ticket.id}


# ---------------------------------------------------------------------------------------------
# Surveys
# ---------------------------------------------------------------------------------------------


@blp.route("/surveys", methods=["GET"])
@api_auth
@blp.arguments(s.CommunityArgs, location="query", as_kwargs=True)
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(s.SurveySchema))
def list_surveys(community_id=None, **page):
    """Surveys of the communities you may see; owners see the open surveys of their communities."""
    account = current_account()
    visible = visible_community_ids(account, "quality.survey.read")
    stmt = select(Survey)
    if visible is not None:
        owner_ids = _owner_community_ids(account)
        from sqlalchemy import and_, or_

        stmt = stmt.where(or_(Survey.community_id.in_(visible),
                              and_(Survey.community_id.in_(owner_ids), Survey.status == SurveyStatus.open)))
    if community_id is not None:
        stmt = stmt.where(Survey.community_id == community_id)
    return page_of(stmt.order_by(Survey.year.desc(), Survey.id.desc()), page)


@blp.route("/surveys", methods=["POST"])
@api_auth
@blp.arguments(s.SurveyInSchema)
@blp.response(201, s.SurveySchema)
def create_survey(args):
    """Create a draft survey with its questions."""
    community = services.get_community(args.pop("community_id"))
    survey = services.create_survey(current_account(), community, **args)
    db.session.commit()
    return survey


@blp.route("/surveys/<int:survey_id>/status", methods=["POST"])
@api_auth
@blp.arguments(s.SurveyStatusInSchema)
@blp.response(200, s.SurveySchema)
def survey_status(args, survey_id):
    """Open (draft → open) or close (open → closed) a survey; other moves answer 409."""
    survey = services.set_survey_status(current_account(), services.get_survey(survey_id), args["status"])
    db.session.commit()
    return survey


@blp.route("/surveys/<int:survey_id>/responses", methods=["POST"])
@api_auth
@blp.arguments(s.ResponseInSchema)
@blp.response(201, s.ResponseSchema)
def respond(args, survey_id):
    """Answer an open survey for one of your units; one response per unit (a second answers 409)."""
    account = current_account()
    if account.person_id is None:
        raise Forbidden()
    response = services.submit_response(account.person, services.get_survey(survey_id), args["unit_id"],
                                        args["answers"], args["comment"])
    db.session.commit()
    return response


@blp.route("/surveys/<int:survey_id>/results", methods=["GET"])
@api_auth
@blp.response(200, s.SurveyResultsSchema)
def results(survey_id):
    """Results by building and by question against the profile's target."""
    return services.survey_results(current_account(), services.get_survey(survey_id))


# ---------------------------------------------------------------------------------------------
# Dashboard figures
# ---------------------------------------------------------------------------------------------


def jsonable(value):
    """Decimals as strings, dates as ISO text, recursively (the figures' JSON form)."""
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _period(args):
    from core.errors import Invalid
    from core.quality.dashboard import Period

    default = Period.default()
    start, end = args.get("start") or default.start, args.get("end") or default.end
    if end < start:
        raise Invalid(fields={"end": [_("The end comes before the start.")]})
    return Period(start, end)


@blp.route("/dashboard", methods=["GET"])
@api_auth
@blp.arguments(s.PeriodArgs, location="query")
@blp.response(200, s.FiguresSchema)
def dashboard(args):
    """Quality figures of a community over a period: counts, times (median, p90), SLA, satisfaction, 回访,
    repeats, and the month-by-month trend."""
    from core.quality import dashboard as dash

    community = services.get_community(args["community_id"])
    return jsonable(dash.dashboard(current_account(), community, _period(args)))


@blp.route("/compare", methods=["GET"])
@api_auth
@blp.arguments(s.ComparePeriodArgs, location="query")
@blp.response(200, s.CompareSchema)
def compare(args):
    """Headline figures of every community you may see, side by side."""
    from core.quality import dashboard as dash

    period = _period(args)
    return jsonable({"period": {"start": period.start, "end": period.end},
                     "communities": dash.comparison(current_account(), period)})


@blp.route("/equal-service", methods=["GET"])
@api_auth
@blp.arguments(s.PeriodArgs, location="query")
@blp.response(200, s.EqualServiceSchema)
def equal_service(args):
    """Response, arrival and resolution times by building and by owner group."""
    from core.quality import dashboard as dash

    community = services.get_community(args["community_id"])
    return jsonable(dash.equal_service_report(current_account(), community, _period(args)))
