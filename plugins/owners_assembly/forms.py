from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

FORMS = [SelectChoice("online", _l("Online in the portal")), SelectChoice("in_person", _l("In person")),
         SelectChoice("door_to_door", _l("Written ballots collected door to door")), SelectChoice("mixed", _l("Mixed"))]
KINDS = [SelectChoice("regular", _l("Regular meeting")), SelectChoice("extraordinary", _l("Extraordinary meeting")),
         SelectChoice("first", _l("First meeting (before a committee exists)"))]
CLASSES = [SelectChoice("", _l("— choose —")), SelectChoice("ordinary", _l("Ordinary: more than half of area and headcount")),
           SelectChoice("special", _l("Special: at least 3/4 of area and headcount"))]
CHOICES = [SelectChoice("agree", _l("Agree")), SelectChoice("disagree", _l("Disagree")), SelectChoice("abstain", _l("Abstain"))]


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KINDS)
    form = SelectField(_l("Form"), choices=FORMS)
    cutoff_date = DateField(_l("Roll cut-off date"), validators=[DataRequired()])
    opens_at = DateTimeLocalField(_l("Voting opens (Beijing time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    closes_at = DateTimeLocalField(_l("Voting closes (Beijing time)"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    location = StringField(_l("Place"), validators=[Optional(), Length(max=200)])


class ItemForm(FlaskForm):
    title = StringField(_l("Agenda item"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=5000)])
    decision_class = SelectField(_l("Decision class"), choices=CLASSES)
    kind = SelectField(_l("Kind"), choices=[SelectChoice("resolution", _l("Resolution")), SelectChoice("election", _l("Committee election"))])
    seats = IntegerField(_l("Seats (elections)"), validators=[Optional(), NumberRange(min=1, max=21)])


class CandidateForm(FlaskForm):
    name = StringField(_l("Candidate"), validators=[DataRequired(), Length(max=60)])
    statement = TextAreaField(_l("Statement"), validators=[Optional(), Length(max=5000)])


class ReviewForm(FlaskForm):
    comment = TextAreaField(_l("Residents' committee comment"), validators=[DataRequired(), Length(max=2000)])
    eligible = BooleanField(_l("Eligible"))


class PaperBallotForm(FlaskForm):
    roll_entry_id = IntegerField(_l("Roll entry no."), validators=[DataRequired()])
    item_id = IntegerField(_l("Agenda item"), validators=[DataRequired()])
    choice = SelectField(_l("Choice"), choices=CHOICES)
    ballot_number = StringField(_l("Ballot number"), validators=[DataRequired(), Length(max=40)])


class ProxyForm(FlaskForm):
    roll_entry_id = IntegerField(_l("Roll entry no."), validators=[DataRequired()])
    proxy_person_id = IntegerField(_l("Proxy (person no.)"), validators=[DataRequired()])
    document_ref = StringField(_l("Written authorisation (reference)"), validators=[DataRequired(), Length(max=120)])


class RegistrationForm(FlaskForm):
    registered_on = DateField(_l("Registered on"), validators=[DataRequired()])
    registration_ref = StringField(_l("Registration reference"), validators=[DataRequired(), Length(max=80)])


class DemandForm(FlaskForm):
    subject = StringField(_l("What should the meeting decide?"), validators=[DataRequired(), Length(max=200)])
