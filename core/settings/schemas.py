from marshmallow import Schema, fields, validate


class ScopeArgs(Schema):
    scope_type = fields.String(load_default="platform", validate=validate.OneOf(["platform", "area", "community"]))
    scope_id = fields.Integer(load_default=None, allow_none=True)


class SettingValueSchema(Schema):
    key = fields.String()
    label = fields.String()
    type = fields.String()
    value = fields.Raw(allow_none=True)
    origin = fields.String(metadata={"description": "default, platform, area or community"})
    default = fields.Raw(allow_none=True)
    source = fields.String()
    settable_here = fields.Boolean()
    set_here = fields.Boolean()
    note = fields.String(allow_none=True)


class SettingChangeSchema(ScopeArgs):
    value = fields.Raw(required=True, allow_none=False)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class SettingHistoryArgs(ScopeArgs):
    key = fields.String(validate=validate.Length(max=100))


class SettingHistorySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    account_id = fields.Integer(allow_none=True)
    changes = fields.Dict()
