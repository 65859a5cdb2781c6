"""Calendar API schemas."""

from marshmallow import Schema, fields, validate


class DaysArgs(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2100))
    community_id = fields.Integer(load_default=None, metadata={"description": "Working periods of this community."})


class DaySchema(Schema):
    date = fields.Date()
    is_working = fields.Boolean()
    name = fields.String(allow_none=True)
    source = fields.String(metadata={"description": "package, rule (computed fallback), table:import, "
                                                    "table:manual, table:package, weekday or weekend"})


class YearSchema(Schema):
    year = fields.Integer()
    fallback = fields.Boolean(metadata={"description": "True when adjusted working days are unknown."})
    warnings = fields.List(fields.String())
    periods = fields.List(fields.String(), metadata={"description": "Working periods, local time, e.g. 08:30-12:00."})
    days = fields.List(fields.Nested(DaySchema))


class ImportRowSchema(Schema):
    date = fields.String(required=True, validate=validate.Length(max=20))
    is_working = fields.Raw(required=True, metadata={"description": "true/false, or holiday/working, 休/班"})
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class ImportSchema(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2100))
    complete = fields.Boolean(load_default=True, metadata={"description": "The rows are the year's full official schedule."})
    source = fields.String(load_default="", validate=validate.Length(max=200))
    dry_run = fields.Boolean(load_default=False)
    rows = fields.List(fields.Nested(ImportRowSchema), required=True, validate=validate.Length(min=1, max=400))


class ImportResultSchema(Schema):
    year = fields.Integer()
    written = fields.Integer()
    dry_run = fields.Boolean()
    complete = fields.Boolean()
