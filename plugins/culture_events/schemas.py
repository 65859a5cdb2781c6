"""Marshmallow schemas of the culture_events API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .services import FUNCTION_TAGS, TARGETS


class EventSchema(Schema):
    id = fields.Integer(dump_only=True)
    area_id = fields.Integer(dump_only=True)
    community_id = fields.Integer(allow_none=True)
    organiser = fields.String(dump_only=True)
    title = fields.String()
    description = fields.String()
    venue_id = fields.Integer(allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    age_groups = fields.String()
    capacity = fields.Integer()
    registration_opens_at = fields.AwareDateTime()
    registration_closes_at = fields.AwareDateTime()
    recurrence = fields.String()
    function_tags = fields.String()
    topic_tags = fields.String()
    fee = fields.Decimal(as_string=True, allow_none=True)
    status = fields.String(dump_only=True)
    festival = fields.String(allow_none=True)


class EventCreateSchema(Schema):
    community_id = fields.Integer(load_default=None)
    area_id = fields.Integer(load_default=None)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="")
    venue_id = fields.Integer(load_default=None, allow_none=True)
    starts_at = fields.AwareDateTime(required=True, default_timezone=None)
    ends_at = fields.AwareDateTime(required=True)
    age_groups = fields.List(fields.String(validate=validate.OneOf(TARGETS)), load_default=["all"])
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=100000))
    registration_opens_at = fields.AwareDateTime(load_default=None)
    registration_closes_at = fields.AwareDateTime(load_default=None)
    recurrence = fields.String(load_default="none", validate=validate.OneOf(["none", "weekly", "monthly"]))
    recurrence_until = fields.Date(load_default=None)
    function_tags = fields.List(fields.String(validate=validate.OneOf(FUNCTION_TAGS)), load_default=list)
    topic_tags = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list)
    fee = fields.Decimal(load_default=None, allow_none=True, validate=validate.Range(min=0))
    fee_item_code = fields.String(load_default=None, allow_none=True)
    festival = fields.String(load_default=None, allow_none=True)
    organiser = fields.String(load_default=None, validate=validate.OneOf(["property_company", "residents_committee"]))


class EventUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    capacity = fields.Integer(validate=validate.Range(min=1, max=100000))
    registration_opens_at = fields.AwareDateTime()
    registration_closes_at = fields.AwareDateTime()
    age_groups = fields.List(fields.String(validate=validate.OneOf(TARGETS)))


class EventQuerySchema(Schema):
    community_id = fields.Integer()
    upcoming = fields.Boolean(load_default=False)


class RegisterSchema(Schema):
    person_id = fields.Integer(load_default=None)
    guardian_consent = fields.Boolean(load_default=False)
    photo_consent = fields.Boolean(load_default=False)


class RegistrationSchema(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    person_id = fields.Integer()
    status = fields.String()
    age_group = fields.String()
    checkin_code = fields.String()
    checked_in_at = fields.DateTime(allow_none=True)
    guardian_consent = fields.Boolean()
    photo_consent = fields.Boolean()
    rating = fields.Integer(allow_none=True)


class CancelResultSchema(Schema):
    registration = fields.Nested(RegistrationSchema)
    promoted = fields.List(fields.Integer())


class CheckInSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=12))


class RateSchema(Schema):
    rating = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    feedback = fields.String(load_default="", validate=validate.Length(max=2000))


class VenueSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1))


class BookingSchema(Schema):
    id = fields.Integer(dump_only=True)
    venue_id = fields.Integer(dump_only=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    purpose = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PhotoSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = fields.String(required=True, allow_none=True, validate=validate.Length(min=1, max=400))
    caption = fields.String(load_default="", validate=validate.Length(max=200))
    content_type = fields.String(dump_only=True, allow_none=True)
    size = fields.Integer(dump_only=True, allow_none=True)
    people_ids = fields.List(fields.Integer(), load_default=list, load_only=True)


class FestivalSchema(Schema):
    code = fields.String()
    name = fields.String()
    date = fields.Date()
    days_away = fields.Integer()
    age_groups = fields.List(fields.String())
    function_tags = fields.List(fields.String())
    idea = fields.String()


class FestivalQuerySchema(Schema):
    days = fields.Integer(load_default=365, validate=validate.Range(min=1, max=730))


class ReportQuerySchema(Schema):
    community_id = fields.Integer(required=True)
    since = fields.Date(required=True)
    until = fields.Date(required=True)


class ReportSchema(Schema):
    total = fields.Dict()
    by_group = fields.Dict()
    by_community = fields.Dict()
    by_building = fields.Dict()
    repeat_participants = fields.Integer()
    most_reached = fields.List(fields.Raw())
    least_reached = fields.List(fields.Raw())
    care_needs = fields.Dict()


class ClubSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="")
    age_groups = fields.List(fields.String(validate=validate.OneOf(TARGETS)), load_default=["all"], load_only=True)
    schedule = fields.String(load_default="", validate=validate.Length(max=120))


class ClubQuerySchema(Schema):
    community_id = fields.Integer(required=True)


class JoinSchema(Schema):
    person_id = fields.Integer(load_default=None)


class MemberSchema(Schema):
    id = fields.Integer()
    club_id = fields.Integer()
    person_id = fields.Integer()
    is_leader = fields.Boolean()
    joined_on = fields.Date()


class SessionSchema(Schema):
    id = fields.Integer(dump_only=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    venue_id = fields.Integer(load_default=None, allow_none=True)


class AttendanceSchema(Schema):
    person_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))


class AttendanceResultSchema(Schema):
    recorded = fields.Integer()


class PollSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(required=True)
    question = fields.String(required=True, validate=validate.Length(min=1, max=200))
    options = fields.List(fields.String(validate=validate.Length(min=1, max=120)), required=True)
    closes_at = fields.AwareDateTime(load_default=None, allow_none=True)


class VoteSchema(Schema):
    options = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class DemandSchema(Schema):
    poll_id = fields.Integer()
    demand = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()))
