"""API schemas of the quality area (marshmallow)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.quality.models import QuestionKind, SurveyStatus


class CommunityArgs(Schema):
    community_id = fields.Integer(load_default=None)


class SlotInSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=500))


class ReceptionDayInSchema(Schema):
    community_id = fields.Integer(required=True)
    day = fields.Date(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=120))
    location = fields.String(required=True, validate=validate.Length(min=1, max=120))
    developer_invited = fields.Boolean(load_default=False)
    residents_committee_invited = fields.Boolean(load_default=False)
    attendees = fields.String(load_default=None, validate=validate.Length(max=500))
    slots = fields.List(fields.Nested(SlotInSchema), load_default=list, validate=validate.Length(max=100))


class SlotSchema(Schema):
    id = fields.Integer()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    capacity = fields.Integer()
    booked = fields.Integer()


class ReceptionDaySchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    day = fields.Date()
    title = fields.String()
    location = fields.String()
    developer_invited = fields.Boolean()
    residents_committee_invited = fields.Boolean()
    attendees = fields.String(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    slots = fields.List(fields.Nested(SlotSchema))


class ReceptionDayDetailSchema(ReceptionDaySchema):
    minutes = fields.String(allow_none=True, metadata={"description": "Only for readers of the minutes."})
    minutes_recorded_at = fields.DateTime(allow_none=True)


class MinutesInSchema(Schema):
    minutes = fields.String(required=True, validate=validate.Length(min=1, max=20000))


class BookingInSchema(Schema):
    unit_id = fields.Integer(required=True)
    topic = fields.String(required=True, validate=validate.Length(min=1, max=500))


class BookingSchema(Schema):
    id = fields.Integer()
    slot_id = fields.Integer()
    reception_day_id = fields.Integer()
    unit_id = fields.Integer()
    topic = fields.String()
    status = fields.String()


class IssueInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    category_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    booking_id = fields.Integer(load_default=None)
    unit_id = fields.Integer(load_default=None)


class IssueSchema(Schema):
    id = fields.Integer()
    reception_day_id = fields.Integer()
    booking_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    category_code = fields.String()
    title = fields.String()
    description = fields.String()
    ticket_id = fields.Integer(allow_none=True)


class TicketRefSchema(Schema):
    issue_id = fields.Integer()
    ticket_id = fields.Integer()


class QuestionInSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(load_default="rating", validate=validate.OneOf([k.value for k in QuestionKind]))


class SurveyInSchema(Schema):
    community_id = fields.Integer(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    opens_on = fields.Date(load_default=None)
    closes_on = fields.Date(load_default=None)
    questions = fields.List(fields.Nested(QuestionInSchema), required=True,
                            validate=validate.Length(min=1, max=50))


class QuestionSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    text = fields.String()
    kind = fields.String()


class SurveySchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    year = fields.Integer()
    title = fields.String()
    status = fields.String()
    opens_on = fields.Date(allow_none=True)
    closes_on = fields.Date(allow_none=True)
    questions = fields.List(fields.Nested(QuestionSchema))


class SurveyStatusInSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in SurveyStatus]))


class ResponseInSchema(Schema):
    unit_id = fields.Integer(required=True)
    answers = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class ResponseSchema(Schema):
    id = fields.Integer()
    survey_id = fields.Integer()
    unit_id = fields.Integer()


class ResultRowSchema(Schema):
    building_id = fields.Integer()
    building = fields.String()
    question_id = fields.Integer()
    question = fields.String()
    responses = fields.Integer()
    rated = fields.Integer()
    satisfied = fields.Integer()
    satisfied_percent = fields.Decimal(as_string=True, allow_none=True)
    average = fields.Decimal(as_string=True, allow_none=True)
    meets_target = fields.Boolean(allow_none=True)


class SurveyResultsSchema(Schema):
    survey_id = fields.Integer()
    year = fields.Integer()
    status = fields.String()
    target_percent = fields.Decimal(as_string=True)
    responses = fields.Integer()
    units = fields.Integer()
    response_percent = fields.Decimal(as_string=True, allow_none=True)
    rated = fields.Integer()
    satisfied = fields.Integer()
    satisfied_percent = fields.Decimal(as_string=True, allow_none=True)
    meets_target = fields.Boolean(allow_none=True)
    buildings = fields.List(fields.Nested(ResultRowSchema))
    questions = fields.List(fields.Nested(ResultRowSchema))


class PeriodArgs(Schema):
    community_id = fields.Integer(required=True)
    start = fields.Date(load_default=None, metadata={"description": "First day (Asia/Shanghai); default a year ago"})
    end = fields.Date(load_default=None, metadata={"description": "Last day, included; default today"})


class ComparePeriodArgs(Schema):
    start = fields.Date(load_default=None)
    end = fields.Date(load_default=None)


class FiguresSchema(Schema):
    """Dashboard figures; percentages and minutes are decimal strings, null when there is no data."""

    community = fields.Raw()
    period = fields.Raw()
    tickets = fields.Integer()
    open = fields.Integer()
    sla = fields.Raw(metadata={"description": "per clock and overall: met, decided, percent"})
    satisfaction = fields.Raw()
    callback = fields.Raw()
    repeat = fields.Raw()
    times = fields.Raw(metadata={"description": "per clock: n, median, p90 (minutes)"})
    by_category = fields.Raw()
    by_status = fields.Raw()
    trend = fields.Raw()


class CompareSchema(Schema):
    period = fields.Raw()
    communities = fields.Raw()


class EqualServiceSchema(Schema):
    period = fields.Raw()
    min_group = fields.Integer()
    buildings = fields.Raw()
    reporter_kinds = fields.Raw()
    age_groups = fields.Raw()
