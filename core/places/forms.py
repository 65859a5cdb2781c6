"""Back-office forms of the register of places (Flask-WTF, with CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

AREA_SOURCES = [("", "—"), ("register", _l("Property register")), ("survey", _l("Survey")),
                ("contract", _l("Sales contract"))]
USES = [("residential", _l("Residential")), ("commercial", _l("Commercial")), ("parking", _l("Parking"))]
SALE_STATUSES = [("unsold", _l("Unsold")), ("sold", _l("Sold")), ("delivered", _l("Delivered"))]


def _none_if_blank(value):
    return value or None


class BuildingForm(FlaskForm):
    name = StringField(_l("Building name"), validators=[DataRequired(), Length(max=60)])
    floors = IntegerField(_l("Floors"), validators=[Optional(), NumberRange(min=1, max=300)])
    steward_id = SelectField(_l("Steward"), coerce=int, choices=[], validate_choice=True)


class UnitForm(FlaskForm):
    building_id = SelectField(_l("Building"), coerce=int, choices=[])
    number = StringField(_l("Unit number"), validators=[DataRequired(), Length(max=20)])
    floor = IntegerField(_l("Floor"), validators=[Optional(), NumberRange(min=-10, max=300)])
    building_area = DecimalField(_l("Building area (m²)"), places=None,
                                 validators=[Optional(), NumberRange(min=0, max=99999.99)])
    building_area_source = SelectField(_l("Source of the building area"), choices=AREA_SOURCES, coerce=_none_if_blank,
                                       )
    exclusive_area = DecimalField(_l("Exclusive area (m²)"), places=None,
                                  validators=[Optional(), NumberRange(min=0, max=99999.99)])
    exclusive_area_source = SelectField(_l("Source of the exclusive area"), choices=AREA_SOURCES, coerce=_none_if_blank,
                                        )
    use = SelectField(_l("Use"), choices=USES)
    sale_status = SelectField(_l("Sale status"), choices=SALE_STATUSES, default="sold")
    delivered_on = DateField(_l("Delivered on"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)], filters=[_none_if_blank])

    def data_for_service(self) -> dict:
        return {k: getattr(self, k).data for k in (
            "number", "floor", "building_area", "building_area_source", "exclusive_area", "exclusive_area_source",
            "use", "sale_status", "delivered_on", "note")}


def apply_errors(form: FlaskForm, fields: dict) -> list[str]:
    """Put a service's field errors on the form; returns the messages of fields the form lacks."""
    stray = []
    for name, messages in fields.items():
        texts = [str(m) for m in (messages if isinstance(messages, list | tuple) else [messages])]
        field = getattr(form, name, None)
        if field is None or not hasattr(field, "errors"):
            stray.extend(texts)
        else:
            field.errors = list(field.errors) + texts
    return stray
