"""Marshmallow schemas of the tickets API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.api import PageArgs


class TicketSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    community_id = fields.Integer()
    building_id = fields.Integer(allow_none=True)
    unit_id = fields.Integer(allow_none=True)
    category_id = fields.Integer()
    category_code = fields.Function(lambda t: t.category.code)
    workflow = fields.String()
    status = fields.String()
    priority = fields.Integer()
    title = fields.String()
    description = fields.String()
    channel = fields.String()
    around_the_clock = fields.Boolean()
    reporter_person_id = fields.Integer(allow_none=True)
    assignee_id = fields.Integer(allow_none=True)
    team_id = fields.Integer(allow_none=True)
    opened_at = fields.DateTime()
    response_due_at = fields.DateTime(allow_none=True)
    arrival_due_at = fields.DateTime(allow_none=True)
    resolution_due_at = fields.DateTime(allow_none=True)
    responded_at = fields.DateTime(allow_none=True)
    arrived_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    paused_at = fields.DateTime(allow_none=True)
    paused_minutes = fields.Integer()
    response_breached = fields.Boolean()
    arrival_breached = fields.Boolean()
    resolution_breached = fields.Boolean()
    is_repeat = fields.Boolean()
    repeat_of_id = fields.Integer(allow_none=True)
    reopened_count = fields.Integer()
    rating_score = fields.Integer(allow_none=True)
    callback_done = fields.Boolean()
    steps_done = fields.List(fields.Integer())
    details = fields.Dict()


class TicketQuerySchema(PageArgs):
    community_id = fields.Integer()
    status = fields.String(validate=validate.Length(max=32))
    category_code = fields.String(validate=validate.Length(max=40))
    assignee_id = fields.Integer()


class TicketCreateSchema(Schema):
    community_id = fields.Integer(required=True)
    unit_id = fields.Integer(allow_none=True)
    category_code = fields.String(required=True, validate=validate.Length(min=1, max=40))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    channel = fields.String(load_default="api", validate=validate.OneOf(["api", "phone", "reception", "staff"]))
    reporter_person_id = fields.Integer(allow_none=True)


class CommentSchema(Schema):
    id = fields.Integer()
    author_name = fields.String()
    body = fields.String()
    internal = fields.Boolean()
    created_at = fields.DateTime()


class CommentCreateSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    internal = fields.Boolean(load_default=False)


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    created_at = fields.DateTime()


class TransitionSchema(Schema):
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    actor_id = fields.Integer(allow_none=True)
    at = fields.DateTime()
    note = fields.String(allow_none=True)


class TransitionListSchema(Schema):
    items = fields.List(fields.Nested(TransitionSchema))
    allowed = fields.List(fields.String(), metadata={"description": "Actions the caller may take now."})


class TransitionCreateSchema(Schema):
    action = fields.String(required=True, validate=validate.Length(min=1, max=40))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    assignee_id = fields.Integer(load_default=None, allow_none=True)
    team_id = fields.Integer(load_default=None, allow_none=True)
    workers = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class RatingSchema(Schema):
    ticket_id = fields.Integer()
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    channel = fields.String()
    at = fields.DateTime()


class RatingCreateSchema(Schema):
    score = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class CallbackSchema(Schema):
    id = fields.Integer()
    outcome = fields.String()
    attempts = fields.Integer()
    note = fields.String(allow_none=True)
    at = fields.DateTime()


class CallbackCreateSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["resolved", "explained", "follow_up",
                                                                    "unreachable"]))
    attempts = fields.Integer(load_default=1, validate=validate.Range(min=1, max=20))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class AssignmentCreateSchema(Schema):
    assignee_id = fields.Integer(load_default=None, allow_none=True)
    team_id = fields.Integer(load_default=None, allow_none=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=300))


class CategorySchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    workflow = fields.String()
    procedure = fields.List(fields.String())
    response_minutes = fields.Integer(allow_none=True)
    arrival_minutes = fields.Integer(allow_none=True)
    resolution_minutes = fields.Integer(allow_none=True)
    priority = fields.Integer()
    around_the_clock = fields.Boolean()
    active = fields.Boolean()
    origin = fields.String()


class CategoryQuerySchema(Schema):
    community_id = fields.Integer(required=True)


_minutes = {"allow_none": True, "validate": validate.Range(min=1, max=525600)}


class CategoryWriteSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    workflow = fields.String(validate=validate.Length(min=1, max=40))
    procedure = fields.List(fields.String(validate=validate.Length(min=1, max=300)),
                            validate=validate.Length(max=50))
    response_minutes = fields.Integer(**_minutes)
    arrival_minutes = fields.Integer(**_minutes)
    resolution_minutes = fields.Integer(**_minutes)
    priority = fields.Integer(validate=validate.Range(min=1, max=4))
    around_the_clock = fields.Boolean()
    active = fields.Boolean()


class CategoryCreateSchema(CategoryWriteSchema):
    community_id = fields.Integer(required=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class SlaListSchema(Schema):
    overdue = fields.List(fields.Nested(TicketSchema))
    at_risk = fields.List(fields.Nested(TicketSchema))
    warnings = fields.List(fields.String())


class TeamSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    name = fields.String()
    leader_id = fields.Integer(allow_none=True)
    member_ids = fields.List(fields.Integer())


class TeamCreateSchema(Schema):
    community_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=80))
    leader_id = fields.Integer(load_default=None, allow_none=True)
    member_ids = fields.List(fields.Integer(), load_default=list, validate=validate.Length(max=100))


class TeamUpdateSchema(Schema):
    """Fields left out keep their value."""

    name = fields.String(validate=validate.Length(min=1, max=80))
    leader_id = fields.Integer(allow_none=True)
    member_ids = fields.List(fields.Integer(), validate=validate.Length(max=100))


class WorkloadSchema(Schema):
    account_id = fields.Integer()
    name = fields.String()
    open = fields.Integer()
