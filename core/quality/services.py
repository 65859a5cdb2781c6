"""Rules of reception days and the annual satisfaction survey (the dashboard lives in dashboard.py).

Every function takes the acting account (or the owner's person) explicitly, flushes, never commits.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from core.audit.services import record as audit
from core.auth.permissions import person_unit_ids, require
from core.database import db, utcnow
from core.errors import Conflict, Invalid, NotFound
from core.places.models import Building, Community, Unit
from core.quality.models import (
    BookingStatus,
    QuestionKind,
    ReceptionBooking,
    ReceptionDay,
    ReceptionIssue,
    ReceptionSlot,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyStatus,
)

MODULE = "quality"
SATISFIED_MIN = 4  # DOMAIN.md §1: "satisfied" = 4 or 5 out of 5 (满意/非常满意)


# ---------------------------------------------------------------------------------------------
# Plain arithmetic
# ---------------------------------------------------------------------------------------------


def percent(part: int, whole: int, places: str = "0.1") -> Decimal | None:
    """``part / whole`` as a percentage rounded half-up; ``None`` when there is nothing to divide."""
    if whole <= 0:
        return None
    if part < 0 or part > whole:
        raise ValueError("part must lie between 0 and whole")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def meets_target(rate: Decimal | None, target: Decimal) -> bool | None:
    """Is a satisfaction rate at or above the target ("at least 80%" includes 80)? ``None``: no data."""
    return None if rate is None else rate >= Decimal(target)


def survey_target(community) -> Decimal:
    """The community's grade-standard profile sets the satisfaction target; the setting stands in
    where no profile has been set up, so one community never has two targets."""
    from core.settings.services import get
    from core.tickets.services import profile_for

    profile = profile_for(community, create=False)
    if profile is not None and profile.satisfaction_target_pct is not None:
        return Decimal(profile.satisfaction_target_pct)
    return Decimal(get("quality.survey_target_percent", community=community))


# ---------------------------------------------------------------------------------------------
# Reception days (接待日)
# ---------------------------------------------------------------------------------------------


def get_community(community_id: int) -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound()
    return community


def get_day(day_id: int) -> ReceptionDay:
    day = db.session.get(ReceptionDay, day_id)
    if day is None:
        raise NotFound()
    return day


def _check_slot_times(starts_at: dt.datetime, ends_at: dt.datetime, field: str = "slots") -> None:
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise Invalid(fields={field: [_("Times must carry a time zone.")]})
    if ends_at <= starts_at:
        raise Invalid(fields={field: [_("A slot must end after it starts.")]})


def schedule_day(actor, community: Community, *, day: dt.date, title: str, location: str,
                 developer_invited: bool = False, residents_committee_invited: bool = False,
                 attendees: str | None = None, slots: list[dict] = ()) -> ReceptionDay:
    """Schedule a reception day with its slots (``{"starts_at", "ends_at", "capacity"}``, aware times)."""
    require(actor, "quality.reception.manage", community=community)
    if day < utcnow().date() - dt.timedelta(days=1):
        raise Invalid(fields={"day": [_("A reception day cannot be scheduled in the past.")]})
    for s in slots:
        _check_slot_times(s["starts_at"], s["ends_at"])
        if int(s.get("capacity", 1)) < 1:
            raise Invalid(fields={"slots": [_("A slot needs room for at least one booking.")]})
    row = ReceptionDay(area_id=community.area_id, community_id=community.id, day=day, title=title,
                       location=location, developer_invited=developer_invited,
                       residents_committee_invited=residents_committee_invited, attendees=attendees,
                       created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    for s in slots:
        db.session.add(ReceptionSlot(area_id=row.area_id, community_id=row.community_id, reception_day_id=row.id,
                                     starts_at=s["starts_at"], ends_at=s["ends_at"],
                                     capacity=int(s.get("capacity", 1)), booked=0))
    db.session.flush()
    audit(actor, "schedule", "ReceptionDay", row.id, module=MODULE, area_id=row.area_id,
          community_id=row.community_id)
    return row


def add_slot(actor, day: ReceptionDay, *, starts_at: dt.datetime, ends_at: dt.datetime,
             capacity: int = 1) -> ReceptionSlot:
    require(actor, "quality.reception.manage", community=get_community(day.community_id))
    _check_slot_times(starts_at, ends_at, "starts_at")
    if capacity < 1:
        raise Invalid(fields={"capacity": [_("A slot needs room for at least one booking.")]})
    slot = ReceptionSlot(area_id=day.area_id, community_id=day.community_id, reception_day_id=day.id,
                         starts_at=starts_at, ends_at=ends_at, capacity=capacity, booked=0)
    db.session.add(slot)
    db.session.flush()
    return slot


def upcoming_days(community_ids, on: dt.date | None = None) -> list[ReceptionDay]:
    """Reception days from ``on`` (today) on, not cancelled, in the given communities."""
    on = on or utcnow().date()
    stmt = select(ReceptionDay).where(ReceptionDay.day >= on, ReceptionDay.cancelled_at.is_(None),
                                      ReceptionDay.community_id.in_(community_ids)).order_by(ReceptionDay.day)
    return list(db.session.scalars(stmt))


def book_slot(person, slot_id: int, unit_id: int, topic: str) -> ReceptionBooking:
    """An owner or resident books a slot for one of their own units. A full slot → 409 ``slot_full``."""
    if person is None:
        raise NotFound()
    slot = db.session.get(ReceptionSlot, slot_id)
    if slot is None:
        raise NotFound()
    units = person_unit_ids(person.id)
    unit = db.session.get(Unit, unit_id) if unit_id in units else None
    if unit is None:
        raise Invalid(fields={"unit_id": [_("Not one of your units.")]})
    if unit.community_id != slot.community_id:
        raise NotFound()  # another community's slot: not visible to this owner
    if not (topic or "").strip():
        raise Invalid(fields={"topic": [_("Say briefly what you want to raise.")]})
    day = slot.reception_day
    if day.cancelled_at is not None or slot.starts_at <= utcnow():
        raise Conflict(_("This slot can no longer be booked."), code="slot_closed")
    already = db.session.scalar(select(ReceptionBooking.id).where(
        ReceptionBooking.reception_day_id == day.id, ReceptionBooking.unit_id == unit.id,
        ReceptionBooking.status == BookingStatus.booked))
    if already:
        raise Conflict(_("This unit already has a booking on this reception day."), code="already_booked")
    # one guarded UPDATE: two owners racing for the last place cannot both get it
    taken = db.session.execute(
        update(ReceptionSlot).where(ReceptionSlot.id == slot.id, ReceptionSlot.booked < ReceptionSlot.capacity)
        .values(booked=ReceptionSlot.booked + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict(_("This slot is full; please choose another."), code="slot_full")
    db.session.expire(slot, ["booked"])
    booking = ReceptionBooking(area_id=slot.area_id, community_id=slot.community_id, slot_id=slot.id,
                               reception_day_id=day.id, unit_id=unit.id, person_id=person.id, topic=topic.strip())
    db.session.add(booking)
    db.session.flush()
    return booking


def cancel_booking(person, booking_id: int) -> ReceptionBooking:
    booking = db.session.get(ReceptionBooking, booking_id)
    if booking is None or person is None or booking.person_id != person.id:
        raise NotFound()
    if booking.status != BookingStatus.booked:
        raise Conflict(_("This booking is already cancelled."), code="invalid_transition", extra={"allowed": []})
    booking.status = BookingStatus.cancelled
    db.session.execute(update(ReceptionSlot).where(ReceptionSlot.id == booking.slot_id)
                       .values(booked=ReceptionSlot.booked - 1).execution_options(synchronize_session=False))
    db.session.expire(booking.slot, ["booked"])
    db.session.flush()
    return booking


def bookings_of_person(person, on: dt.date | None = None) -> list[ReceptionBooking]:
    """The person's current bookings of reception days from ``on`` (today) on."""
    on = on or utcnow().date()
    return list(db.session.scalars(
        select(ReceptionBooking).join(ReceptionDay, ReceptionDay.id == ReceptionBooking.reception_day_id)
        .where(ReceptionBooking.person_id == person.id, ReceptionBooking.status == BookingStatus.booked,
               ReceptionDay.day >= on).order_by(ReceptionDay.day, ReceptionBooking.id)))


def bookings_of_day(day: ReceptionDay) -> list[ReceptionBooking]:
    return list(db.session.scalars(select(ReceptionBooking).where(
        ReceptionBooking.reception_day_id == day.id, ReceptionBooking.status == BookingStatus.booked)
        .order_by(ReceptionBooking.slot_id, ReceptionBooking.id)))


def record_issue(actor, day: ReceptionDay, *, title: str, description: str, category_code: str,
                 booking_id: int | None = None, unit_id: int | None = None) -> ReceptionIssue:
    """Record what an owner raised at the reception day."""
    require(actor, "quality.reception.record", community=get_community(day.community_id))
    person_id = None
    if booking_id is not None:
        booking = db.session.get(ReceptionBooking, booking_id)
        if booking is None or booking.reception_day_id != day.id:
            raise Invalid(fields={"booking_id": [_("Not a booking of this reception day.")]})
        unit_id, person_id = booking.unit_id, booking.person_id
    elif unit_id is not None:
        unit = db.session.get(Unit, unit_id)
        if unit is None or unit.community_id != day.community_id:
            raise Invalid(fields={"unit_id": [_("Not a unit of this community.")]})
    issue = ReceptionIssue(area_id=day.area_id, community_id=day.community_id, reception_day_id=day.id,
                           booking_id=booking_id, unit_id=unit_id, person_id=person_id, title=title.strip(),
                           description=description.strip(), category_code=category_code,
                           recorded_by_id=actor.id)
    db.session.add(issue)
    db.session.flush()
    return issue


def issues_of_day(day: ReceptionDay) -> list[ReceptionIssue]:
    return list(db.session.scalars(select(ReceptionIssue).where(ReceptionIssue.reception_day_id == day.id)
                                   .order_by(ReceptionIssue.id)))


def issue_to_ticket(actor, issue_id: int):
    """Turn a raised issue into a service ticket (channel ``reception``). Twice → 409."""
    issue = db.session.get(ReceptionIssue, issue_id)
    if issue is None:
        raise NotFound()
    community = get_community(issue.community_id)
    require(actor, "quality.reception.record", community=community)
    if issue.ticket_id is not None:
        raise Conflict(_("This issue already has a ticket."), code="already_ticketed",
                       extra={"ticket_id": issue.ticket_id})
    import core

    create_ticket = getattr(core, "create_ticket", None)
    if create_ticket is None:  # the tickets area is not installed
        raise Conflict(_("Tickets are not available."), code="tickets_unavailable")
    unit = db.session.get(Unit, issue.unit_id) if issue.unit_id else None
    reporter = None
    if issue.person_id is not None:
        from core.people.models import Person

        reporter = db.session.get(Person, issue.person_id)
    ticket = create_ticket(actor, community=community, unit=unit, category_code=issue.category_code,
                           title=issue.title, description=issue.description, channel="reception",
                           reporter_person=reporter)
    issue.ticket_id = ticket.id
    db.session.flush()
    audit(actor, "to_ticket", "ReceptionIssue", issue.id, module=MODULE, area_id=issue.area_id,
          community_id=issue.community_id, changes={"ticket_id": [None, ticket.id]})
    return ticket


def record_minutes(actor, day: ReceptionDay, minutes: str) -> ReceptionDay:
    require(actor, "quality.reception.manage", community=get_community(day.community_id))
    if not (minutes or "").strip():
        raise Invalid(fields={"minutes": [_("The minutes are empty.")]})
    day.minutes = minutes.strip()
    day.minutes_recorded_at = utcnow()
    db.session.flush()
    return day


def read_minutes(actor, day: ReceptionDay) -> str | None:
    """The minutes, for those who may read them (the owners' committee among them)."""
    require(actor, "quality.minutes.read", community=get_community(day.community_id))
    return day.minutes


def cancel_day(actor, day: ReceptionDay) -> ReceptionDay:
    require(actor, "quality.reception.manage", community=get_community(day.community_id))
    if day.cancelled_at is not None:
        raise Conflict(_("This reception day is already cancelled."), code="invalid_transition", extra={"allowed": []})
    day.cancelled_at = utcnow()
    db.session.flush()
    return day


# ---------------------------------------------------------------------------------------------
# The annual satisfaction survey
# ---------------------------------------------------------------------------------------------

SURVEY_TRANSITIONS = {
    SurveyStatus.draft: [SurveyStatus.open],
    SurveyStatus.open: [SurveyStatus.closed],
    SurveyStatus.closed: [],
}


def get_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound()
    return survey


def _clean_questions(questions: list[dict]) -> list[dict]:
    cleaned = []
    for q in questions:
        text = (q.get("text") or "").strip()
        kind = q.get("kind", "rating")
        if not text:
            continue
        if kind not in {k.value for k in QuestionKind}:
            raise Invalid(fields={"questions": [_("Unknown question kind.")]})
        cleaned.append({"text": text[:300], "kind": QuestionKind(kind)})
    if not any(q["kind"] == QuestionKind.rating for q in cleaned):
        raise Invalid(fields={"questions": [_("A survey needs at least one rating question.")]})
    return cleaned


def create_survey(actor, community: Community, *, year: int, title: str, questions: list[dict],
                  opens_on: dt.date | None = None, closes_on: dt.date | None = None) -> Survey:
    """A draft survey with the manager's questions (``{"text", "kind": "rating"|"text"}``)."""
    require(actor, "quality.survey.manage", community=community)
    if opens_on and closes_on and closes_on < opens_on:
        raise Invalid(fields={"closes_on": [_("The survey must close after it opens.")]})
    cleaned = _clean_questions(questions)
    survey = Survey(area_id=community.area_id, community_id=community.id, year=year, title=title.strip(),
                    opens_on=opens_on, closes_on=closes_on, status=SurveyStatus.draft, created_by_id=actor.id)
    db.session.add(survey)
    db.session.flush()
    for i, q in enumerate(cleaned, start=1):
        db.session.add(SurveyQuestion(survey_id=survey.id, position=i, text=q["text"], kind=q["kind"]))
    db.session.flush()
    return survey


def set_survey_status(actor, survey: Survey, status: str) -> Survey:
    require(actor, "quality.survey.manage", community=get_community(survey.community_id))
    allowed = SURVEY_TRANSITIONS[survey.status]
    if status not in allowed:
        raise Conflict(code="invalid_transition", extra={"allowed": [str(s) for s in allowed]})
    survey.status = SurveyStatus(status)
    db.session.flush()
    audit(actor, f"survey_{status}", "Survey", survey.id, module=MODULE, area_id=survey.area_id,
          community_id=survey.community_id)
    return survey


def open_surveys_for(person) -> list[tuple[Survey, list[int]]]:
    """Open surveys of the person's communities, each with the person's units still to answer."""
    if person is None:
        return []
    units = person_unit_ids(person.id)
    if not units:
        return []
    rows = db.session.execute(select(Unit.id, Unit.community_id).where(Unit.id.in_(units))).all()
    by_community: dict[int, list[int]] = {}
    for uid, cid in rows:
        by_community.setdefault(cid, []).append(uid)
    surveys = list(db.session.scalars(select(Survey).where(
        Survey.community_id.in_(by_community), Survey.status == SurveyStatus.open).order_by(Survey.id)))
    if not surveys:
        return []
    answered = set(db.session.execute(select(SurveyResponse.survey_id, SurveyResponse.unit_id).where(
        SurveyResponse.survey_id.in_([s.id for s in surveys]), SurveyResponse.unit_id.in_(units))).all())
    result = []
    for s in surveys:
        todo = [u for u in sorted(by_community[s.community_id]) if (s.id, u) not in answered]
        if todo:
            result.append((s, todo))
    return result


def submit_response(person, survey: Survey, unit_id: int, answers: dict, comment: str | None = None
                    ) -> SurveyResponse:
    """One response per unit per survey: a second one → 409 ``already_answered``.

    :param answers: ``{question_id: rating (1–5) or text}``; every rating question must be answered.
    """
    if person is None:
        raise NotFound()
    unit = db.session.get(Unit, unit_id) if unit_id in person_unit_ids(person.id) else None
    if unit is None:
        raise Invalid(fields={"unit_id": [_("Not one of your units.")]})
    if unit.community_id != survey.community_id:
        raise NotFound()
    if survey.status != SurveyStatus.open:
        raise Conflict(_("This survey is not open."), code="survey_not_open")
    questions = {q.id: q for q in survey.questions}
    errors: dict[str, list[str]] = {}
    clean: dict[int, object] = {}
    for key, value in (answers or {}).items():
        try:
            qid = int(key)
        except (TypeError, ValueError):
            qid = None
        if qid not in questions:
            errors[str(key)] = [_("Not a question of this survey.")]
            continue
        if questions[qid].kind == QuestionKind.rating:
            if value in (None, ""):
                continue
            try:
                rating = int(value)
            except (TypeError, ValueError):
                rating = 0
            if isinstance(value, bool) or not 1 <= rating <= 5 or str(value).strip() not in {str(rating)}:
                errors[str(qid)] = [_("Choose a rating from 1 to 5.")]
            else:
                clean[qid] = rating
        elif value not in (None, ""):
            clean[qid] = str(value).strip()[:2000]
    for qid, q in questions.items():
        if q.kind == QuestionKind.rating and qid not in clean and str(qid) not in errors:
            errors[str(qid)] = [_("This question needs an answer.")]
    if errors:
        raise Invalid(fields={"answers": errors})
    exists = db.session.scalar(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey.id,
                                                               SurveyResponse.unit_id == unit.id))
    if exists:
        raise Conflict(_("This unit has already answered this survey."), code="already_answered")
    try:
        with db.session.begin_nested():
            response = SurveyResponse(area_id=survey.area_id, community_id=survey.community_id, survey_id=survey.id,
                                      building_id=unit.building_id, unit_id=unit.id, person_id=person.id,
                                      comment=(comment or "").strip()[:2000] or None)
            db.session.add(response)
            db.session.flush()
            for qid, value in clean.items():
                rating = value if questions[qid].kind == QuestionKind.rating else None
                text = value if questions[qid].kind == QuestionKind.text else None
                db.session.add(SurveyAnswer(survey_id=survey.id, response_id=response.id, question_id=qid,
                                            building_id=unit.building_id, rating=rating, text=text))
            db.session.flush()
    except IntegrityError:  # another request of the same unit won the race
        raise Conflict(_("This unit has already answered this survey."), code="already_answered") from None
    return response


def survey_results(actor, survey: Survey) -> dict:
    """Results by building and by question, compared with the profile's target (one GROUP BY each)."""
    community = get_community(survey.community_id)
    require(actor, "quality.survey.read", community=community)
    target = survey_target(community)
    satisfied = func.sum(case((SurveyAnswer.rating >= SATISFIED_MIN, 1), else_=0))
    rated = func.count(SurveyAnswer.rating)
    by_building = db.session.execute(
        select(Building.id, Building.name, func.count(func.distinct(SurveyAnswer.response_id)), rated, satisfied,
               func.avg(SurveyAnswer.rating))
        .join(SurveyAnswer, SurveyAnswer.building_id == Building.id)
        .where(SurveyAnswer.survey_id == survey.id)
        .group_by(Building.id, Building.name).order_by(Building.name)).all()
    by_question = db.session.execute(
        select(SurveyAnswer.question_id, rated, satisfied, func.avg(SurveyAnswer.rating))
        .where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.rating.is_not(None))
        .group_by(SurveyAnswer.question_id)).all()
    units_total = db.session.scalar(select(func.count(Unit.id)).where(Unit.community_id == community.id)) or 0
    responses = db.session.scalar(select(func.count(SurveyResponse.id)).where(
        SurveyResponse.survey_id == survey.id)) or 0

    def row(rated_n, satisfied_n, avg):
        rate = percent(int(satisfied_n or 0), int(rated_n or 0))
        return {"rated": int(rated_n or 0), "satisfied": int(satisfied_n or 0), "satisfied_percent": rate,
                "average": None if avg is None else Decimal(str(avg)).quantize(Decimal("0.01"), ROUND_HALF_UP),
                "meets_target": meets_target(rate, target)}

    buildings = [{"building_id": b_id, "building": name, "responses": n, **row(r, s, a)}
                 for b_id, name, n, r, s, a in by_building]
    qtext = {q.id: q.text for q in survey.questions}
    questions = [{"question_id": qid, "question": qtext.get(qid, ""), **row(r, s, a)}
                 for qid, r, s, a in sorted(by_question)]
    total_rated = sum(b["rated"] for b in buildings)
    total_satisfied = sum(b["satisfied"] for b in buildings)
    overall_rate = percent(total_satisfied, total_rated)
    return {"survey_id": survey.id, "year": survey.year, "status": str(survey.status),
            "target_percent": target, "responses": responses, "units": units_total,
            "response_percent": percent(responses, units_total) if units_total else None,
            "rated": total_rated, "satisfied": total_satisfied, "satisfied_percent": overall_rate,
            "meets_target": meets_target(overall_rate, target), "buildings": buildings, "questions": questions}
