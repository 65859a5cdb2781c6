"""Drug-free forms: a case, its status changes, relapses, aftercare, area counts and plan."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from plugins.drugfree import rules

STATUS_LABELS = {
    rules.USING: _l("Current user (no programme)"),
    rules.COMMUNITY_DETOX: _l("Community rehabilitation order (社区戒毒)"),
    rules.COMMUNITY_REHAB: _l("Community recovery (社区康复)"),
    rules.COMPULSORY: _l("Compulsory isolated rehabilitation (强制隔离戒毒)"),
    rules.SENTENCED: _l("Sentenced"),
    rules.ABROAD: _l("Abroad"),
    rules.MOVED_OUT: _l("Household registration moved out"),
    rules.DEAD: _l("Dead"),
    rules.MISSING: _l("Missing"),
    rules.RELEASED: _l("Back in the community (after isolation or prison)"),
}
LEGAL_BASIS_LABELS = {
    "police_notification": _l("Police notification (禁毒法 §33–34)"),
    "community_order": _l("Community rehabilitation or recovery order (戒毒条例 §13–14)"),
    "written_consent": _l("Separate written consent (PIPL §29)"),
}
INCIDENT_LABELS = {"manufacture": _l("Manufacturing"), "trafficking": _l("Trafficking"),
                   "cultivation": _l("Cultivation")}
TRACK_LABELS = {"keep_clean": _l("Keep clean (保净土)"), "end_use": _l("End use (禁吸戒毒)")}
MODE_LABELS = {"named": _l("Named (case records kept here)"),
               "aggregate": _l("Aggregate (counts only; names stay with the police or street office)")}


def _choices(labels: dict) -> list:
    return [SelectChoice(k, v) for k, v in labels.items()]


class CaseForm(FlaskForm):
    id_number = StringField(_l("Resident's ID number (from the register)"),
                            validators=[DataRequired(), Length(max=32)])
    legal_basis = SelectField(_l("Legal basis"), choices=[SelectChoice("", "—")] + _choices(LEGAL_BASIS_LABELS),
                              validators=[DataRequired()])
    registered_on = DateField(_l("Registered by the police on"), validators=[InputRequired()])
    last_use_on = DateField(_l("Last recorded use"), validators=[Optional()])
    clean_since = DateField(_l("Abstinence (戒断) began on"), validators=[Optional()])
    details = TextAreaField(_l("Details (encrypted)"), validators=[Optional(), Length(max=2000)])


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=_choices(STATUS_LABELS), validators=[DataRequired()])
    start = DateField(_l("Since"), validators=[InputRequired()])
    sentence_months = IntegerField(_l("Length ordered (months)"),
                                   validators=[Optional(), NumberRange(min=1, max=600)])
    reported_on = DateField(_l("Reported on (community orders)"), validators=[Optional()])
    note = TextAreaField(_l("Note (encrypted)"), validators=[Optional(), Length(max=1000)])


class CleanForm(FlaskForm):
    clean_since = DateField(_l("Abstinence (戒断) began on"), validators=[InputRequired()])


class RelapseForm(FlaskForm):
    day = DateField(_l("Relapse on"), validators=[InputRequired()])
    note = TextAreaField(_l("Note (encrypted)"), validators=[Optional(), Length(max=1000)])


class HelperForm(FlaskForm):
    helper = StringField(_l("Aftercare helper (encrypted)"), validators=[DataRequired(), Length(max=100)])
    assigned_on = DateField(_l("Assigned on"), validators=[InputRequired()])


class VisitForm(FlaskForm):
    day = DateField(_l("Visit on"), validators=[InputRequired()])
    note = TextAreaField(_l("Note (encrypted)"), validators=[Optional(), Length(max=1000)])


class IncidentForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=_choices(INCIDENT_LABELS), validators=[DataRequired()])
    day = DateField(_l("Date"), validators=[InputRequired()])
    note = TextAreaField(_l("Note (no names; encrypted)"), validators=[Optional(), Length(max=1000)])


class PlanForm(FlaskForm):
    mode = SelectField(_l("Mode"), choices=_choices(MODE_LABELS), validators=[DataRequired()])
    track = SelectField(_l("Track"), choices=_choices(TRACK_LABELS), validators=[DataRequired()])
    target_year = IntegerField(_l("Target year (3 to 5 years out)"),
                               validators=[Optional(), NumberRange(min=2000, max=2100)])
    plan = TextAreaField(_l("Plan"), validators=[Optional(), Length(max=2000)])


# Labels of the aggregate counts; the figures an area can set are filled in per area
# (labels.render), as on every other drugfree screen.
COUNT_LABELS = {
    "registered": _l("Registered (everyone, incl. excluded)"),
    "current": _l("Current users"),
    "former": _l("Former users (戒断 begun)"),
    "stable": _l("Of whom clean %(clean)s or more"),
    "abroad": _l("Excluded: abroad"),
    "moved_out": _l("Excluded: registration moved out, no longer living here"),
    "dead": _l("Excluded: dead"),
    "sentenced": _l("Excluded: sentenced to %(sentence)s or more"),
    "missing": _l("Excluded: missing %(missing)s or more"),
    "missing_recent": _l("Missing under %(missing)s"),
    "new_this_year": _l("Newly emerging users this year"),
    "returnees": _l("Returnees under monitoring"),
    "returnees_ok": _l("Returnees whose aftercare holds"),
    "relapses_this_year": _l("Relapses this year"),
    "monitored_start_this_year": _l("Under monitoring on 1 January this year"),
    "relapses_last_year": _l("Relapses last year, 1 January to the same day"),
    "monitored_start_last_year": _l("Under monitoring on 1 January last year"),
    "incidents": _l("Manufacturing, trafficking or cultivation this year"),
    "orders_due": _l("Community orders due to report"),
    "orders_in_time": _l("Of which reported within %(report)s"),
}


def aggregate_form_class():
    attrs = {"on_date": DateField(_l("Counts as of"), validators=[InputRequired()]),
             "source": StringField(_l("Source (e.g. the police register extract)"),
                                   validators=[Optional(), Length(max=200)])}
    for name in rules.Summary.COUNT_FIELDS:
        attrs[name] = IntegerField(COUNT_LABELS[name], default=0,
                                   validators=[InputRequired(), NumberRange(min=0, max=100000)])
    return type("AggregateForm", (FlaskForm,), attrs)


AggregateForm = aggregate_form_class()
