"""Back-office forms of the register of people (Flask-WTF, with CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

GENDERS = [("", "—"), ("male", _l("Male")), ("female", _l("Female")), ("other", _l("Other"))]
ID_TYPES = [("", "—"), ("resident_id", _l("Resident ID card")), ("passport", _l("Passport")),
            ("hk_macao_permit", _l("Hong Kong/Macao permit")), ("taiwan_permit", _l("Taiwan permit")),
            ("foreign_permanent", _l("Foreigner's permanent residence card"))]
KINDS = [("owner", _l("Owner")), ("family", _l("Family")), ("tenant", _l("Tenant")),
         ("temporary", _l("Temporary resident"))]


def _blank_none(value):
    return value or None


class PersonForm(FlaskForm):
    community_id = SelectField(_l("Community register"), coerce=int, choices=[])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    gender = SelectField(_l("Gender"), choices=GENDERS, coerce=_blank_none)
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)], filters=[_blank_none])
    nationality = StringField(_l("Nationality"), default="CHN", validators=[Optional(), Length(max=3)])
    id_type = SelectField(_l("ID document"), choices=ID_TYPES, coerce=_blank_none)
    id_number = StringField(_l("ID number"), validators=[Optional(), Length(max=30)], filters=[_blank_none])
    household_registration = StringField(_l("Registered residence (户籍)"), validators=[Optional(), Length(max=200)],
                                         filters=[_blank_none])
    actual_residence = StringField(_l("Actual residence"), validators=[Optional(), Length(max=200)],
                                   filters=[_blank_none])
    care_needs = TextAreaField(_l("Care needs (sensitive)"), validators=[Optional(), Length(max=1000)],
                               filters=[_blank_none])
    care_consent = BooleanField(_l("The person consents to recording care needs"))

    FIELDS = ("name", "gender", "birth_date", "phone", "nationality", "id_type", "id_number",
              "household_registration", "actual_residence", "care_needs", "care_consent")

    def data_for_service(self, editing: bool = False) -> dict:
        data = {k: getattr(self, k).data for k in self.FIELDS}
        if editing and not data["id_number"]:
            # an empty number on the edit form means "unchanged": the stored one is never shown
            data.pop("id_number")
            data.pop("id_type")
        if editing and not data["care_needs"]:
            data.pop("care_needs")
        return data


class OwnershipForm(FlaskForm):
    person_id = IntegerField(_l("Person number"), validators=[DataRequired()])
    share = DecimalField(_l("Share (0–1)"), places=None, default=1,
                         validators=[DataRequired(), NumberRange(min=0, max=1)])
    is_voting_representative = BooleanField(_l("Votes for the unit"), default=True)
    start_date = DateField(_l("From"), validators=[Optional()])
    end_date = DateField(_l("To"), validators=[Optional()])


class ResidencyForm(FlaskForm):
    person_id = IntegerField(_l("Person number"), validators=[DataRequired()])
    kind = SelectField(_l("Lives here as"), choices=KINDS)
    start_date = DateField(_l("From"), validators=[Optional()])
    end_date = DateField(_l("To"), validators=[Optional()])
    landlord_id = SelectField(_l("Landlord"), coerce=int, choices=[])
    lease_start = DateField(_l("Lease from"), validators=[Optional()])
    lease_end = DateField(_l("Lease to"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)], filters=[_blank_none])
