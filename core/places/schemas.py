"""API schemas of the register of places (marshmallow)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.api import PageArgs
from core.places.models import AreaSource, SaleStatus, UnitUse

AREA_FIELD = {"as_string": True,
              "metadata": {"description": "Square metres, at most two decimal places (sent as a string)."}}


class AreaSchema(Schema):
    id = fields.Integer(dump_only=True)
    street_office_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    code = fields.String(allow_none=True, validate=validate.Length(max=32))


class AreaUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    code = fields.String(allow_none=True, validate=validate.Length(max=32))


class CommunitySchema(Schema):
    id = fields.Integer(dump_only=True)
    area_id = fields.Integer(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    company_id = fields.Integer(allow_none=True)
    developer_id = fields.Integer(allow_none=True)
    contract_start = fields.Date(allow_none=True)
    contract_end = fields.Date(allow_none=True)
    hotline = fields.String(allow_none=True, validate=validate.Length(max=32))


class CommunityUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    address = fields.String(allow_none=True, validate=validate.Length(max=200))
    contract_start = fields.Date(allow_none=True)
    contract_end = fields.Date(allow_none=True)
    hotline = fields.String(allow_none=True, validate=validate.Length(max=32))


class CommunityArgs(PageArgs):
    area_id = fields.Integer()
    q = fields.String(validate=validate.Length(max=60))


class BuildingSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(required=True)
    area_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    floors = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=300))
    steward_id = fields.Integer(allow_none=True)


class BuildingUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=60))
    floors = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=300))
    steward_id = fields.Integer(allow_none=True)


class BuildingArgs(PageArgs):
    community_id = fields.Integer()


class UnitSchema(Schema):
    id = fields.Integer(dump_only=True)
    area_id = fields.Integer(dump_only=True)
    community_id = fields.Integer(dump_only=True)
    building_id = fields.Integer(required=True)
    number = fields.String(required=True, validate=validate.Length(min=1, max=20))
    floor = fields.Integer(allow_none=True, validate=validate.Range(min=-10, max=300))
    building_area = fields.Decimal(allow_none=True, validate=validate.Range(min=0, max=99999.99), **AREA_FIELD)
    building_area_source = fields.Enum(AreaSource, allow_none=True)
    exclusive_area = fields.Decimal(allow_none=True, validate=validate.Range(min=0, max=99999.99), **AREA_FIELD)
    exclusive_area_source = fields.Enum(AreaSource, allow_none=True)
    use = fields.Enum(UnitUse, load_default=UnitUse.residential)
    sale_status = fields.Enum(SaleStatus, load_default=SaleStatus.sold)
    delivered_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class UnitUpdateSchema(UnitSchema):
    class Meta:
        exclude = ("building_id",)

    use = fields.Enum(UnitUse)
    sale_status = fields.Enum(SaleStatus)


class UnitArgs(PageArgs):
    community_id = fields.Integer()
    building_id = fields.Integer()
    use = fields.Enum(UnitUse)
    sale_status = fields.Enum(SaleStatus)
    q = fields.String(validate=validate.Length(max=60), metadata={"description": "Unit number, owner name or phone."})
