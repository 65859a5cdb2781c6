from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

KIND_LABELS = {"general": _l("General"), "price": _l("Prices and fees"), "meeting": _l("Meeting"),
               "result": _l("Result"), "rules": _l("Rules posted"), "disclosure": _l("Accounts disclosure"),
               "event": _l("Community event")}


class NoticeForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=20000)], render_kw={"rows": 10})
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()))
    audience = SelectField(_l("Audience"), validate_choice=False)
    building_id = IntegerField(_l("Only this building (id, optional)"), validators=[Optional()])
    publish_at = DateTimeLocalField(_l("Publish at (empty: now)"), validators=[Optional()], format="%Y-%m-%dT%H:%M")
    expire_at = DateTimeLocalField(_l("Expires at (empty: the default number of days)"), validators=[Optional()],
                                   format="%Y-%m-%dT%H:%M")


class WithdrawForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
