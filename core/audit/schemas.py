import datetime as dt

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, post_load, validate

from core.api.base import PageArgs


class AuditFilterArgs(Schema):
    module = fields.String(validate=validate.Length(max=40))
    entity = fields.String(validate=validate.Length(max=60))
    entity_id = fields.Integer()
    action = fields.String(validate=validate.Length(max=40))
    account_id = fields.Integer()
    community_id = fields.Integer()
    area_id = fields.Integer()
    since = fields.Date(metadata={"description": "From this day (Asia/Shanghai), inclusive."})
    until = fields.Date(metadata={"description": "To this day (Asia/Shanghai), inclusive."})

    @post_load
    def _days_to_times(self, data, **_kw):
        from zoneinfo import ZoneInfo

        from flask import current_app

        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ValidationError({"until": [_l("Must not be before the start.")]})
        tz = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        if data.get("since"):
            data["since"] = dt.datetime.combine(data["since"], dt.time(), tz).astimezone(dt.UTC)
        if data.get("until"):
            data["until"] = dt.datetime.combine(data["until"] + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
        return data


class AuditQueryArgs(AuditFilterArgs, PageArgs):
    pass


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    account_id = fields.Integer(allow_none=True)
    area_id = fields.Integer(allow_none=True)
    community_id = fields.Integer(allow_none=True)
    module = fields.String()
    entity = fields.String()
    entity_id = fields.Integer(allow_none=True)
    action = fields.String()
    changes = fields.Raw(allow_none=True)
    restricted_to = fields.String(allow_none=True)
