from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

ROLE_LABELS = {
    "platform_admin": _l("Platform administrator"), "company_admin": _l("Company administrator"),
    "manager": _l("Manager"), "staff": _l("Staff"), "guard": _l("Security guard"),
    "committee_member": _l("Owners' committee member"), "rc_staff": _l("Residents' committee staff"),
    "drugfree_officer": _l("Drug-free community officer"), "developer_rep": _l("Developer representative"),
    "auditor": _l("Auditor"),
}
SCOPE_LABELS = {"platform": _l("Platform"), "company": _l("Company"), "street": _l("Street office"),
                "area": _l("Area"), "community": _l("Community")}


class AccountForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20)])
    organisation_id = SelectField(_l("Organisation"), coerce=int, validate_choice=False)


class GrantForm(FlaskForm):
    role = SelectField(_l("Role"), choices=list(ROLE_LABELS.items()))
    scope = SelectField(_l("Scope"), validate_choice=False)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password (leave empty for a random one)"),
                             validators=[Optional(), Length(min=10, max=200)])
