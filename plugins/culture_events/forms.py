"""Web forms of the community culture back office.

The forms parse what the browser sends (types, presence, lengths); the rules — an event ending after
it starts, the venue free, the child's consent, the member of the club — stay in services.py, so the
API and the pages refuse the same things with the same messages.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .services import AGE_LABELS, FUNCTION_LABELS, FUNCTION_TAGS, TARGETS

LOCAL = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends, in Beijing time


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _targets():
    return [(g, AGE_LABELS[g]) for g in TARGETS]


class EventForm(FlaskForm):
    scope = SelectField(_l("Where"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    venue_id = SelectField(_l("Venue"), validators=[Optional()])
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL, validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL, validators=[InputRequired()])
    capacity = IntegerField(_l("Capacity"), default=30, validators=[InputRequired(), NumberRange(min=1)])
    registration_opens_at = DateTimeLocalField(_l("Registration opens"), format=LOCAL, validators=[Optional()])
    registration_closes_at = DateTimeLocalField(_l("Registration closes (default: at the start)"), format=LOCAL,
                                                validators=[Optional()])
    age_groups = CheckboxesField(_l("For"), choices=_targets, default=["all"], validators=[DataRequired()])
    function_tags = CheckboxesField(_l("Functions"), choices=lambda: [(t, FUNCTION_LABELS[t]) for t in FUNCTION_TAGS])
    topic_tags = StringField(_l("Topics (comma separated, e.g. drug_prevention)"),
                             validators=[Optional(), Length(max=200)])
    recurrence = SelectField(_l("Repeats"), default="none", choices=[
        ("none", _l("Once")), ("weekly", _l("Weekly")), ("monthly", _l("Monthly"))])
    recurrence_until = DateField(_l("Repeats until"), validators=[Optional()])
    fee = DecimalField(_l("Fee (yuan, optional)"), places=2, validators=[Optional(), NumberRange(min=0)])
    fee_item_code = StringField(_l("Fee item code on the price notice"), validators=[Optional(), Length(max=40)])
    festival = HiddenField()

    def service_data(self) -> dict:
        """The fields as services.create_event takes them (naive times are Beijing time there)."""
        data = {k: v for k, v in self.data.items() if k not in ("csrf_token", "scope")}
        data["venue_id"] = data["venue_id"] or None
        data["festival"] = data["festival"] or None
        return data


class EventEditForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    capacity = IntegerField(_l("Capacity"), validators=[InputRequired(), NumberRange(min=1)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG, GIF or WebP)"), validators=[FileRequired()],
                      render_kw={"accept": "image/*"})
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=200)])
    people_ids = CheckboxesField(_l("People shown"), coerce=int, validators=[Optional()])


class VenueForm(FlaskForm):
    community_id = SelectField(_l("Community"), coerce=int, validators=[InputRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    capacity = IntegerField(_l("Capacity"), validators=[Optional(), NumberRange(min=1)])


class ClubForm(FlaskForm):
    community_id = SelectField(_l("Community"), coerce=int, validators=[InputRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    schedule = StringField(_l("Schedule"), validators=[Optional(), Length(max=120)])
    age_groups = CheckboxesField(_l("For"), choices=_targets, default=["all"], validators=[DataRequired()])


class PollForm(FlaskForm):
    community_id = SelectField(_l("Community"), coerce=int, validators=[InputRequired()])
    question = StringField(_l("Question"), validators=[DataRequired(), Length(max=200)])
    options = TextAreaField(_l("Options, one per line"), validators=[DataRequired(), Length(max=4000)])


class ClubMemberForm(FlaskForm):
    person_id = HiddenField(validators=[DataRequired()])
    leader = BooleanField(_l("Club leader"))


class LeaderForm(FlaskForm):
    leader = BooleanField(_l("Club leader"))


class LeaveForm(FlaskForm):
    """A member leaves the club (nothing to fill in: the form carries the CSRF token)."""


class ClubSessionForm(FlaskForm):
    starts_at = DateTimeLocalField(_l("Starts"), format=LOCAL, validators=[InputRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format=LOCAL, validators=[InputRequired()])
    venue_id = SelectField(_l("Venue"), validators=[Optional()])


class AttendanceForm(FlaskForm):
    person_ids = CheckboxesField(_l("Who attended"), coerce=int, validators=[DataRequired()])
