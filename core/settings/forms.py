from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class SettingForm(FlaskForm):
    value = TextAreaField(_l("Value"), validators=[DataRequired(), Length(max=2000)])
    note = StringField(_l("Note (why it changed, which document)"), validators=[Optional(), Length(max=200)])
