"""Calendar forms: one day, a year's completeness, an import upload, a community's working hours."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

KIND_CHOICES = [SelectChoice("holiday", _l("Holiday")), SelectChoice("working", _l("Working day (adjusted)")),
                SelectChoice("clear", _l("Remove the entry (package or rule applies)"))]


class DayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES, validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=100)])


class YearForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=1900, max=2100)])
    complete = BooleanField(_l("The table holds this year's full official schedule"))
    source = StringField(_l("Source (e.g. the State Council notice)"), validators=[Optional(), Length(max=200)])


class ImportForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[InputRequired(), NumberRange(min=1900, max=2100)])
    file = FileField(_l("CSV or Excel file (columns: date, is_working, name)"), validators=[FileRequired()])
    complete = BooleanField(_l("This is the full official schedule of the year"), default=True)
    source = StringField(_l("Source (e.g. the State Council notice)"), validators=[Optional(), Length(max=200)])


class ConfirmImportForm(FlaskForm):
    year = HiddenField(validators=[DataRequired()])
    rows = HiddenField(validators=[DataRequired()])
    complete = HiddenField()
    source = HiddenField()


class HoursForm(FlaskForm):
    periods = StringField(_l("Working periods"), validators=[DataRequired(), Length(max=200)],
                          description=_l("e.g. 08:30-12:00,13:30-17:30"))
