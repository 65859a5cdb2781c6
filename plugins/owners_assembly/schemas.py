from marshmallow import Schema, fields, validate

CLASSES = validate.OneOf(["special", "ordinary"])


class MeetingQuery(Schema):
    community_id = fields.Integer()


class MeetingCreateSchema(Schema):
    community_id = fields.Integer(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(load_default="regular", validate=validate.OneOf(["regular", "extraordinary", "first"]))
    form = fields.String(load_default="online",
                         validate=validate.OneOf(["in_person", "door_to_door", "online", "mixed"]))
    cutoff_date = fields.Date(required=True)
    opens_at = fields.AwareDateTime(required=True, default_timezone=None)
    closes_at = fields.AwareDateTime(required=True, default_timezone=None)
    location = fields.String(validate=validate.Length(max=200))


class ItemCreateSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    decision_class = fields.String(required=True, validate=CLASSES)
    kind = fields.String(load_default="resolution", validate=validate.OneOf(["resolution", "election"]))
    seats = fields.Integer(allow_none=True)


class BallotCreateSchema(Schema):
    item_id = fields.Integer(required=True)
    roll_entry_id = fields.Integer(required=True)
    choice = fields.String(required=True, validate=validate.OneOf(["agree", "disagree", "abstain"]))


class BallotSchema(Schema):
    id = fields.Integer()
    item_id = fields.Integer()
    roll_entry_id = fields.Integer()
    choice = fields.String()
    channel = fields.String()
    changes = fields.Integer()


class ItemSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    title = fields.String()
    description = fields.String()
    decision_class = fields.String()
    kind = fields.String()
    seats = fields.Integer(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    result = fields.Dict(allow_none=True)


class MeetingSchema(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    kind = fields.String()
    form = fields.String()
    status = fields.String()
    cutoff_date = fields.Date()
    opens_at = fields.DateTime()
    closes_at = fields.DateTime()
    total_area = fields.Integer(metadata={"description": "Exclusive area on the roll, hundredths of m²"})
    total_heads = fields.Integer()
    items = fields.List(fields.Nested(ItemSchema))


class RollEntrySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    units = fields.String()
    area = fields.Integer(metadata={"description": "Hundredths of m²"})
    heads = fields.Integer()
