from marshmallow import Schema, fields, validate

from core.api.base import PageArgs
from core.notices.services import KINDS


class NoticeSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    kind = fields.String(load_default="general", validate=validate.OneOf(KINDS))
    area_id = fields.Integer(load_default=None, allow_none=True)
    community_id = fields.Integer(load_default=None, allow_none=True)
    building_id = fields.Integer(load_default=None, allow_none=True)
    publish_at = fields.AwareDateTime(load_default=None, allow_none=True)
    expire_at = fields.AwareDateTime(load_default=None, allow_none=True)
    audience = fields.String(dump_only=True)
    status = fields.Method("_status", dump_only=True)
    withdrawn_at = fields.DateTime(dump_only=True, allow_none=True)
    withdrawn_reason = fields.String(dump_only=True, allow_none=True)
    source_module = fields.String(dump_only=True)

    def _status(self, notice):
        from core.notices.services import status_of

        return status_of(notice)


class NoticeQueryArgs(PageArgs):
    state = fields.String(load_default="current", validate=validate.OneOf(["current", "scheduled", "past", "all"]))
    community_id = fields.Integer()
    area_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(KINDS))


class PublicNoticeArgs(Schema):
    community_id = fields.Integer(required=True)


class WithdrawSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))
