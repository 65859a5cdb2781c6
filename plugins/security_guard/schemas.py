"""API schemas (marshmallow). Unknown fields are refused; record fields the company may not hold are
refused with the reason."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, pre_load, validate

from plugins.security_guard.services import (
    EDUCATION_LEVELS,
    FORBIDDEN_FIELDS,
    VERIFY_METHODS,
    VETTING_OUTCOMES,
)

NOT_HELD = _l("The company may not hold criminal or administrative records or fingerprints: the police vet "
              "them when they issue the guard certificate.")


class CriterionSchema(Schema):
    code = fields.String()
    passed = fields.Boolean()
    reason = fields.String()


class InterviewSchema(Schema):
    id = fields.Integer()
    interviewer_id = fields.Integer()
    score = fields.Integer()
    comment = fields.String(allow_none=True)


class CandidateInSchema(Schema):
    community_id = fields.Integer(required=True)
    person_id = fields.Integer(load_default=None)
    name = fields.String(validate=validate.Length(min=1, max=60))
    birth_date = fields.Date()
    nationality = fields.String(load_default="CHN", validate=validate.Length(equal=3))
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    education = fields.String(required=True, validate=validate.OneOf(EDUCATION_LEVELS))
    health_certificate_no = fields.String(load_default=None, validate=validate.Length(max=40))
    health_certificate_valid_until = fields.Date(load_default=None)
    exam_score = fields.Integer(load_default=None, validate=validate.Range(min=0, max=100))
    exam_date = fields.Date(load_default=None)
    certificate_no = fields.String(load_default=None, validate=validate.Length(max=40))
    certificate_verified_by = fields.String(load_default=None, validate=validate.Length(max=60))
    certificate_verified_on = fields.Date(load_default=None)
    certificate_verify_method = fields.String(load_default=None, validate=validate.OneOf(VERIFY_METHODS))
    vetting_outcome = fields.String(load_default=None, validate=validate.OneOf(VETTING_OUTCOMES))
    revocations = fields.List(fields.Date(), load_default=list)

    @pre_load
    def refuse_records(self, data, **kwargs):
        if isinstance(data, dict):
            bad = [k for k in data if k.lower() in FORBIDDEN_FIELDS]
            if bad:
                raise ValidationError({k: [str(NOT_HELD)] for k in bad})
        return data


class CandidateSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    person_id = fields.Integer()
    name = fields.Function(lambda c: c.person.name)
    status = fields.String()
    education = fields.String()
    exam_score = fields.Integer(allow_none=True)
    certificate_no = fields.String(allow_none=True)
    vetting_outcome = fields.String(allow_none=True)
    revocations = fields.List(fields.String())
    eligibility = fields.List(fields.Nested(CriterionSchema), allow_none=True)
    eligible = fields.Function(lambda c: all(r["passed"] for r in (c.eligibility or [])))
    decision_reason = fields.String(allow_none=True)
    account_id = fields.Integer(allow_none=True)
    interviews = fields.List(fields.Nested(InterviewSchema))


class CandidateListArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["applied", "screened", "interviewed", "accepted", "rejected"]))
    community_id = fields.Integer(load_default=None)


class InterviewInSchema(Schema):
    score = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class MoveInSchema(Schema):
    to = fields.String(required=True, validate=validate.OneOf(["screened", "interviewed", "accepted", "rejected"]))
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))
    username = fields.String(load_default=None, validate=validate.Length(min=3, max=60))


class MoveResultSchema(Schema):
    candidate = fields.Nested(CandidateSchema)
    account_id = fields.Function(lambda r: r["account"].id if r.get("account") else None)
    username = fields.Function(lambda r: r["account"].username if r.get("account") else None)
    password = fields.String(allow_none=True, metadata={"description": "Initial password, shown once."})


class CourseInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(["theory", "practice"]))
    hours = fields.Integer(required=True, validate=validate.Range(min=1, max=400))


class CourseUpdateSchema(CourseInSchema):
    """The fields to change (PATCH)."""


class CourseSchema(CourseInSchema):
    id = fields.Integer()


class PlanInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    role = fields.String(load_default="guard", validate=validate.OneOf(["guard", "steward", "repair", "cleaning"]))
    target_hours = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2000))


class PlanUpdateSchema(PlanInSchema):
    """The fields to change (PATCH)."""


class PlanSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()
    target_hours = fields.Integer()


class SessionInSchema(Schema):
    community_id = fields.Integer(required=True)
    course_id = fields.Integer(required=True)
    trainer_id = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True, default_timezone=None)
    hours = fields.Integer(load_default=None, validate=validate.Range(min=1, max=12))
    location = fields.String(load_default=None, validate=validate.Length(max=120))
    trainee_ids = fields.List(fields.Integer(), load_default=list)


class SessionSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    course_id = fields.Integer()
    trainer_id = fields.Integer()
    starts_at = fields.DateTime()
    day = fields.Date()
    kind = fields.String()
    hours = fields.Integer()
    trainee_ids = fields.Function(lambda s: [a.account_id for a in s.attendance])


class AttendanceInSchema(Schema):
    present = fields.Dict(keys=fields.Integer(), values=fields.Boolean(), required=True)
    walk_ins = fields.List(fields.Integer(), load_default=list,
                           metadata={"description": "Trainees of the community who came without being on the "
                                                    "session: put on it (daily caps checked) and marked present"})


class ProgressSchema(Schema):
    account_id = fields.Integer()
    attended_hours = fields.Integer()
    plan_hours = fields.Integer()
    percent = fields.Decimal(as_string=True)


class QuestionInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["single", "multiple", "true_false", "practical"]))
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    options = fields.List(fields.String(), load_default=list)
    correct = fields.Raw(load_default=None)
    points = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    level = fields.Integer(load_default=5, validate=validate.Range(min=1, max=5))


class QuestionUpdateSchema(QuestionInSchema):
    """The fields to change (PATCH)."""


class QuestionSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    text = fields.String()
    options = fields.List(fields.String())
    points = fields.Integer()
    level = fields.Integer()


class ExamInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    question_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    level = fields.Integer(load_default=5, validate=validate.Range(min=1, max=5))
    duration_minutes = fields.Integer(load_default=60, validate=validate.Range(min=1, max=600))
    pass_mark = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100))


class ExamSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    level = fields.Integer()
    duration_minutes = fields.Integer()
    pass_mark = fields.Integer()
    question_ids = fields.List(fields.Integer())


class AttemptSchema(Schema):
    id = fields.Integer()
    exam_id = fields.Integer()
    number = fields.Integer()
    started_at = fields.DateTime()
    deadline_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    score = fields.Decimal(as_string=True, allow_none=True)
    passed = fields.Boolean(allow_none=True)
    questions = fields.Method("_questions")
    certificate_no = fields.Method("_cert")

    def _questions(self, attempt):
        from plugins.security_guard.services import exam_questions

        return QuestionSchema(many=True).dump(exam_questions(attempt.exam))

    def _cert(self, attempt):
        from sqlalchemy import select

        from core import db
        from plugins.security_guard.models import Certificate

        return db.session.scalar(select(Certificate.number).where(Certificate.attempt_id == attempt.id))


class SubmitInSchema(Schema):
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)


class PracticalInSchema(Schema):
    scores = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class CertificateSchema(Schema):
    number = fields.String()
    holder_name = fields.String()
    exam_title = fields.String()
    level = fields.Integer()
    score = fields.Decimal(as_string=True)
    issued_on = fields.Date()


class RouteInSchema(Schema):
    community_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    checkpoints = fields.List(fields.String(validate=validate.Length(min=1, max=120)), required=True)


class RouteUpdateSchema(Schema):
    """The fields to change (PATCH); the checkpoints in their new order."""

    name = fields.String(validate=validate.Length(min=1, max=120))
    checkpoints = fields.List(fields.String(validate=validate.Length(min=1, max=120)))


class CheckpointSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    position = fields.Integer()


class RouteSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    name = fields.String()
    checkpoints = fields.List(fields.Nested(CheckpointSchema))


class RoundInSchema(Schema):
    route_id = fields.Integer(required=True)


class CheckInInSchema(Schema):
    checkpoint_id = fields.Integer(required=True)


class RoundSchema(Schema):
    id = fields.Integer()
    route_id = fields.Integer()
    community_id = fields.Integer()
    guard_id = fields.Integer()
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    missed = fields.List(fields.Integer(), allow_none=True)
    checked = fields.Function(lambda r: [c.checkpoint_id for c in r.checkins])


class IncidentInSchema(Schema):
    community_id = fields.Integer(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    open_ticket = fields.Boolean(load_default=True)


class IncidentSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    description = fields.String()
    occurred_at = fields.DateTime()
    ticket_id = fields.Integer(allow_none=True)


class GateVisitInSchema(Schema):
    community_id = fields.Integer(required=True)
    visitor_name = fields.String(load_default=None, validate=validate.Length(max=60))
    plate = fields.String(load_default=None, validate=validate.Length(min=5, max=12))
    unit_id = fields.Integer(load_default=None)


class GateVisitSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    visitor_name = fields.String(allow_none=True)
    plate = fields.String(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    expected_on = fields.Date(allow_none=True)
    in_at = fields.DateTime(allow_none=True)
    out_at = fields.DateTime(allow_none=True)


class PostInSchema(Schema):
    community_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))


class PostSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    name = fields.String()


class ShiftInSchema(Schema):
    post_id = fields.Integer(required=True)
    guard_id = fields.Integer(required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)


class ShiftSchema(Schema):
    id = fields.Integer()
    post_id = fields.Integer()
    guard_id = fields.Integer()
    community_id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()


class ShiftListArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    community_id = fields.Integer(required=True)
    day = fields.Date(load_default=None)


class FellowshipInSchema(Schema):
    community_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    day = fields.Date(required=True)
    participants = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))


class FellowshipSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    day = fields.Date()
    participants = fields.Integer()


class CommendationInSchema(Schema):
    guard_id = fields.Integer(required=True)
    deed = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class CommendationDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["awarded", "declined"]))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class CommendationSchema(Schema):
    id = fields.Integer()
    guard_id = fields.Integer()
    community_id = fields.Integer()
    deed = fields.String()
    status = fields.String()
    decision_note = fields.String(allow_none=True)


class DisciplineInSchema(Schema):
    community_id = fields.Integer(required=True)
    guard_id = fields.Integer(required=True)
    act = fields.String(required=True)
    sanction = fields.String(required=True)
    on = fields.Date(required=True)
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class DisciplineSchema(Schema):
    id = fields.Integer()
    guard_id = fields.Integer()
    community_id = fields.Integer()
    act = fields.String()
    sanction = fields.String()
    on = fields.Date()


class GuardSchema(Schema):
    account_id = fields.Integer()
    community_id = fields.Integer()
    level = fields.Integer()
    level_name = fields.Function(lambda g: {5: "五级", 4: "四级", 3: "三级", 2: "二级", 1: "一级"}[g.level])
    level_since = fields.Date()


class RatingInSchema(Schema):
    community_id = fields.Integer(required=True)
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))


class RatingSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    score = fields.Integer()
    period = fields.String()
