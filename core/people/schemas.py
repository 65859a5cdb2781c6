"""API schemas of the register of people (marshmallow). ID numbers go out masked."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.api import PageArgs
from core.people.models import Gender, IdType, ResidencyKind


class PersonSchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(required=True, load_only=False,
                                  metadata={"description": "The community whose register adds the person."})
    area_id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=60))
    gender = fields.Enum(Gender, allow_none=True)
    birth_date = fields.Date(allow_none=True)
    phone = fields.String(allow_none=True, validate=validate.Length(max=20))
    email = fields.String(allow_none=True, validate=validate.Length(max=120))
    nationality = fields.String(load_default="CHN", validate=validate.Length(equal=3))
    id_type = fields.Enum(IdType, allow_none=True)
    id_number = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=30),
                              metadata={"description": "Write only: stored encrypted, read back masked."})
    id_number_masked = fields.String(dump_only=True)
    household_registration = fields.String(allow_none=True, validate=validate.Length(max=200))
    actual_residence = fields.String(allow_none=True, validate=validate.Length(max=200))
    care_needs = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=1000))
    care_consent = fields.Boolean(load_default=False)
    has_care_needs = fields.Method("_has_care", dump_only=True)

    def _has_care(self, person) -> bool:
        return bool(person.care_needs)


class PersonUpdateSchema(PersonSchema):
    class Meta:
        exclude = ("community_id",)

    nationality = fields.String(validate=validate.Length(equal=3))
    care_consent = fields.Boolean()


class SensitiveSchema(Schema):
    id_number = fields.String(allow_none=True)
    care_needs = fields.String(allow_none=True)


class PersonArgs(PageArgs):
    q = fields.String(validate=validate.Length(max=60),
                      metadata={"description": "Part of a name or phone, or an exact ID number."})


class OwnershipSchema(Schema):
    id = fields.Integer(dump_only=True)
    unit_id = fields.Integer(required=True)
    community_id = fields.Integer(dump_only=True)
    person_id = fields.Integer(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    share = fields.Decimal(as_string=True, load_default=None, allow_none=True,
                           validate=validate.Range(min=0, max=1, min_inclusive=False))
    is_voting_representative = fields.Boolean(load_default=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)


class OwnershipUpdateSchema(Schema):
    share = fields.Decimal(as_string=True, validate=validate.Range(min=0, max=1, min_inclusive=False))
    is_voting_representative = fields.Boolean()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)


class OwnershipArgs(PageArgs):
    unit_id = fields.Integer()
    person_id = fields.Integer()
    community_id = fields.Integer()


class ResidencySchema(Schema):
    id = fields.Integer(dump_only=True)
    unit_id = fields.Integer(required=True)
    community_id = fields.Integer(dump_only=True)
    person_id = fields.Integer(required=True)
    kind = fields.Enum(ResidencyKind, required=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    landlord_id = fields.Integer(allow_none=True)
    lease_start = fields.Date(allow_none=True)
    lease_end = fields.Date(allow_none=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class ResidencyUpdateSchema(ResidencySchema):
    class Meta:
        exclude = ("unit_id", "person_id")

    kind = fields.Enum(ResidencyKind)


class ResidencyArgs(OwnershipArgs):
    kind = fields.Enum(ResidencyKind)
