"""Web forms of the security_guard plugin."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from plugins.security_guard.services import EDUCATION_LABELS, LEVEL_NAMES, LEVELS, VERIFY_METHODS


def _choices(pairs):
    return [SelectChoice(value, label) for value, label in pairs]


class CandidateForm(FlaskForm):
    community_id = SelectField(_l("Community"), coerce=int, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    birth_date = DateField(_l("Date of birth"), validators=[DataRequired()])
    nationality = StringField(_l("Citizenship (ISO code)"), default="CHN", validators=[DataRequired(), Length(3, 3)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    education = SelectField(_l("Education"), choices=_choices(EDUCATION_LABELS.items()), default="junior_high")
    health_certificate_no = StringField(_l("Health certificate number"), validators=[Optional(), Length(max=40)])
    health_certificate_valid_until = DateField(_l("Health certificate valid until"), validators=[Optional()])
    exam_score = IntegerField(_l("Guard exam score (0–100)"), validators=[Optional(), NumberRange(0, 100)])
    exam_date = DateField(_l("Guard exam date"), validators=[Optional()])
    certificate_no = StringField(_l("Guard certificate (保安员证) number"), validators=[Optional(), Length(max=40)])
    certificate_verified_by = StringField(_l("Certificate verified by"), validators=[Optional(), Length(max=60)])
    certificate_verified_on = DateField(_l("Certificate verified on"), validators=[Optional()])
    certificate_verify_method = SelectField(
        _l("How it was verified"), validators=[Optional()],
        choices=_choices([("", "—"), *zip(VERIFY_METHODS, (
            _l("Public-security online query"), _l("Phone call to the issuing police office"),
            _l("Original certificate seen")), strict=True)]))
    vetting_outcome = SelectField(_l("Police vetting outcome (first certificate)"), validators=[Optional()],
                                  choices=_choices([("", "—"), ("pending", _l("Pending")),
                                                    ("passed", _l("Passed")), ("refused", _l("Refused"))]))
    revocations = StringField(_l("Earlier certificate revocations known to the company (dates, comma-separated)"),
                              validators=[Optional(), Length(max=200)])


class MoveForm(FlaskForm):
    to = SelectField(_l("Move to"), choices=_choices([("screened", _l("Screened")), ("interviewed", _l("Interviewed")),
                                                      ("accepted", _l("Accepted")), ("rejected", _l("Rejected"))]))
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    username = StringField(_l("Username of the new guard account"), validators=[Optional(), Length(3, 60)])


class InterviewForm(FlaskForm):
    score = IntegerField(_l("Interview score (0–100)"), validators=[DataRequired(), NumberRange(0, 100)])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class VisitorForm(FlaskForm):
    unit_id = SelectField(_l("Your home"), coerce=int)
    visitor_name = StringField(_l("Visitor's name"), validators=[DataRequired(), Length(max=60)])
    plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(5, 12)])
    expected_on = DateField(_l("Expected on"), validators=[DataRequired()])


class GateForm(FlaskForm):
    community_id = SelectField(_l("Community"), coerce=int)
    visitor_name = StringField(_l("Visitor's name"), validators=[Optional(), Length(max=60)])
    plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(5, 12)])


class SessionForm(FlaskForm):
    community_id = SelectField(_l("Community"), coerce=int)
    course_id = SelectField(_l("Course"), coerce=int)
    starts_at = DateTimeLocalField(_l("Starts at (Beijing time)"), validators=[DataRequired()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=120)])
    trainee_ids = SelectMultipleField(_l("Trainees"), coerce=int)


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=_choices([("theory", _l("Theory")), ("practice", _l("Practice"))]))
    hours = IntegerField(_l("Standard hours (45 minutes each)"), validators=[InputRequired(), NumberRange(1, 400)])


class PlanForm(FlaskForm):
    name = StringField(_l("Plan name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("For"), choices=_choices([("guard", _l("Guards")), ("steward", _l("Stewards")),
                                                    ("repair", _l("Repair staff")),
                                                    ("cleaning", _l("Cleaning staff"))]))
    target_hours = IntegerField(_l("Target standard hours (empty: the entry plan of the settings)"),
                                validators=[Optional(), NumberRange(1, 2000)])


class QuestionForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_choices([("single", _l("Single choice")),
                                                     ("multiple", _l("Multiple choice")),
                                                     ("true_false", _l("True or false")),
                                                     ("practical", _l("Practical item"))]))
    level = SelectField(_l("Level"), coerce=int, default=5, choices=_choices((n, LEVEL_NAMES[n]) for n in LEVELS))
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=2000)])
    options = TextAreaField(_l("Options, one a line (choice questions)"), validators=[Optional(), Length(max=4000)])
    correct = StringField(_l("Answer: the numbers of the right options (e.g. 2 or 1,3), or true / false"),
                          validators=[Optional(), Length(max=60)])
    points = IntegerField(_l("Points"), default=1, validators=[InputRequired(), NumberRange(1, 100)])


class RouteForm(FlaskForm):
    community_id = SelectField(_l("Community"), coerce=int)
    name = StringField(_l("Route name"), validators=[DataRequired(), Length(max=120)])
    checkpoints = TextAreaField(_l("Checkpoints in patrol order, one a line"),
                                validators=[DataRequired(), Length(max=6000)])


class AttendanceForm(FlaskForm):
    present = SelectMultipleField(_l("Present"), coerce=int, widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    walk_ins = SelectMultipleField(_l("Also came, though not on the session"), coerce=int)
