"""Flask-WTF forms of the ticket pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class PortalTicketForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    category = SelectField(_l("What do you need?"), validators=[DataRequired()])
    title = StringField(_l("In a few words"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)])
    photos = MultipleFileField(_l("Photos (up to 5)"), render_kw={"accept": "image/*,application/pdf"})


class PhoneTicketForm(FlaskForm):
    """The 电话接听 procedure: staff enter a call for an owner."""

    unit_id = SelectField(_l("Unit"), coerce=int, validators=[InputRequired()])
    category = SelectField(_l("Category"), validators=[DataRequired()])
    channel = SelectField(_l("Channel"), choices=[("phone", _l("Phone call")), ("staff", _l("Raised by staff")),
                                                  ("reception", _l("Reception day"))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=4000)])


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note or reason"), validators=[Optional(), Length(max=2000)])
    assignee_id = SelectField(_l("Assign to"), coerce=int, validators=[Optional()])
    workers = StringField(_l("Worker passes (names, comma-separated)"), validators=[Optional(), Length(max=500)])


class ReassignForm(FlaskForm):
    assignee_id = SelectField(_l("Reassign to"), coerce=int, validators=[InputRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=4000)])
    internal = BooleanField(_l("Internal (staff only)"))


class PhotoForm(FlaskForm):
    photos = MultipleFileField(_l("Add photos"), validators=[DataRequired()])


class RatingForm(FlaskForm):
    score = RadioField(_l("Your rating"), choices=[(str(i), str(i)) for i in range(5, 0, -1)],
                       validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class CallbackForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), validators=[DataRequired()])
    attempts = IntegerField(_l("Call attempts"), default=1, validators=[InputRequired(), NumberRange(1, 20)])
    note = TextAreaField(_l("What the owner said"), validators=[Optional(), Length(max=2000)])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    workflow = SelectField(_l("Workflow"), validators=[DataRequired()])
    procedure = TextAreaField(_l("Written procedure (one step per line)"), validators=[Optional(), Length(max=8000)])
    response_minutes = IntegerField(_l("Response target (minutes)"), validators=[Optional(), NumberRange(1, 525600)])
    arrival_minutes = IntegerField(_l("Arrival on site target (minutes)"),
                                   validators=[Optional(), NumberRange(1, 525600)])
    resolution_minutes = IntegerField(_l("Resolution target (minutes)"),
                                      validators=[Optional(), NumberRange(1, 525600)])
    priority = SelectField(_l("Priority"), coerce=int, choices=[(1, _l("Urgent")), (2, _l("High")),
                                                                (3, _l("Normal")), (4, _l("Low"))])
    around_the_clock = BooleanField(_l("Clock runs around the clock (ignores working hours and holidays)"))
    active = BooleanField(_l("Active"))


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    level = IntegerField(_l("Level"), validators=[InputRequired(), NumberRange(1, 5)])
    source = StringField(_l("Source (standard and city)"), validators=[DataRequired(), Length(max=200)])
    hotline_24h = BooleanField(_l("24-hour hotline"))
    emergency_arrival_minutes = IntegerField(_l("Emergency repairs: on site within (minutes)"),
                                             validators=[InputRequired(), NumberRange(1, 1440)])
    repair_response_minutes = IntegerField(_l("Repairs: respond within (minutes)"),
                                           validators=[InputRequired(), NumberRange(1, 1440)])
    satisfaction_target_pct = IntegerField(_l("Satisfaction target in percent"),
                                           validators=[InputRequired(), NumberRange(0, 100)])
    surveys_per_year = IntegerField(_l("Satisfaction surveys per year"), validators=[InputRequired(),
                                                                                    NumberRange(0, 12)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
