"""Back-office and portal forms of the quality area."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ReceptionDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)], default=_l("Reception day"))
    location = StringField(_l("Location"), validators=[DataRequired(), Length(max=120)])
    first_slot = TimeField(_l("First slot starts (Beijing time)"), validators=[DataRequired()])
    slot_minutes = IntegerField(_l("Minutes per slot"), default=30, validators=[NumberRange(min=5, max=240)])
    slot_count = IntegerField(_l("Number of slots"), default=6, validators=[NumberRange(min=1, max=40)])
    capacity = IntegerField(_l("Bookings per slot"), default=2, validators=[NumberRange(min=1, max=100)])
    developer_invited = BooleanField(_l("Developer invited"))
    residents_committee_invited = BooleanField(_l("Residents' committee invited"))
    attendees = StringField(_l("Who attends"), validators=[Optional(), Length(max=500)])


class IssueForm(FlaskForm):
    booking_id = SelectField(_l("Raised by (booking)"), coerce=int, validators=[Optional()])
    category_code = StringField(_l("Ticket category code"), default="complaint",
                                validators=[DataRequired(), Length(max=40)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("What was raised"), validators=[DataRequired(), Length(max=5000)])


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes"), validators=[DataRequired(), Length(max=20000)])


class BookingForm(FlaskForm):
    unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    topic = StringField(_l("What do you want to raise?"), validators=[DataRequired(), Length(max=500)])


class SurveyForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    opens_on = DateField(_l("Opens on"), validators=[Optional()])
    closes_on = DateField(_l("Closes on"), validators=[Optional()])
    rating_questions = TextAreaField(_l("Rating questions (one per line, answered 1–5)"),
                                     validators=[DataRequired(), Length(max=10000)])
    text_questions = TextAreaField(_l("Open questions (one per line)"), validators=[Optional(), Length(max=5000)])


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
