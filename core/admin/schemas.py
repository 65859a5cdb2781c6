from marshmallow import Schema, fields, validate

from core.api.base import PageArgs
from core.auth.models import Role, ScopeType


class GrantSchema(Schema):
    id = fields.Integer(dump_only=True)
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    scope_type = fields.String(required=True, validate=validate.OneOf([s.value for s in ScopeType]))
    scope_id = fields.Integer(load_default=None, allow_none=True)
    organisation_id = fields.Integer(dump_only=True, allow_none=True)


class AccountSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=validate.Length(min=1, max=60))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=120))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    organisation_id = fields.Integer(load_default=None, allow_none=True)
    person_id = fields.Integer(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)
    grants = fields.List(fields.Nested(GrantSchema), dump_only=True)


class AccountCreateSchema(AccountSchema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class AccountUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=60))
    email = fields.Email(allow_none=True, validate=validate.Length(max=120))
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    active = fields.Boolean()


class PasswordResetSchema(Schema):
    password = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=200))


class PasswordResultSchema(Schema):
    password = fields.String(metadata={"description": "The new password, shown once."})


class AccountQueryArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=60))
    organisation_id = fields.Integer()
    active = fields.Boolean()


class PortalAccountSchema(Schema):
    person_id = fields.Integer(required=True)
    username = fields.String(required=True, validate=validate.Length(min=1, max=60))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))
