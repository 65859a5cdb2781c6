from marshmallow import Schema, fields

from core.api.base import PageArgs


class NotificationSchema(Schema):
    id = fields.Integer()
    subject = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    module = fields.String()
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)


class NotificationQueryArgs(PageArgs):
    unread = fields.Boolean(load_default=False)


class UnreadSchema(Schema):
    unread = fields.Integer()
    marked = fields.Integer()
