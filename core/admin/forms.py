from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from core.auth.models import Role, ScopeType


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)


class GrantForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    scope_type = SelectField(_l("Scope type"), choices=[(s.value, s.value) for s in ScopeType])
    scope_id = IntegerField(_l("Scope id"), validators=[Optional()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password (leave empty for a random one)"),
                             validators=[Optional(), Length(min=10, max=200)])
