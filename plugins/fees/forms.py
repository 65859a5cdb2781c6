"""Web forms of the fees plugin. Money is entered as text and parsed by the service rules, so
"1,234.5", negatives and non-numbers get the same messages on pages and in the API."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

KINDS = [("service", _l("Service fee per m² per month")), ("fixed", _l("Fixed per unit per month")),
         ("parking", _l("Parking per space per month")), ("metered", _l("Metered (from readings)")),
         ("utility", _l("Utility collected for others")), ("shared", _l("Shared cost (公摊)")),
         ("per_job", _l("Per job (便民/特种服务)"))]
METHODS = [("cash", _l("Cash")), ("bank", _l("Bank transfer")), ("online", _l("Online"))]
# What pages show for the stored codes (statuses, kinds, methods)
LABELS = {
    "bill": {"open": _l("Unpaid"), "partial": _l("Partly paid"), "paid": _l("Paid in full"), "void": _l("Voided"),
             "refunded": _l("Refunded")},
    "run": {"preview": _l("Previewed, not confirmed"), "confirming": _l("Being confirmed"),
            "confirmed": _l("Confirmed")},
    "payment": {"pending": _l("Pending"), "succeeded": _l("Succeeded"), "void": _l("Voided")},
    "method": dict(METHODS),
    "kind": dict(KINDS),
}


class ItemForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=KINDS)
    rate = StringField(_l("Rate (yuan)"), validators=[DataRequired()])
    unit_label = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    pricing_type = SelectField(_l("Pricing type"), choices=[("market", _l("Market price")),
                                                            ("government_guided", _l("Government-guided"))])
    guided_base = StringField(_l("Guided base rate"), validators=[Optional()])
    guided_min = StringField(_l("Guided range from"), validators=[Optional()])
    guided_max = StringField(_l("Guided range to"), validators=[Optional()])
    handling_fee = StringField(_l("Handling fee"), validators=[Optional()])
    legal_basis = StringField(_l("Legal basis"), validators=[Optional(), Length(max=300)])
    service_content = TextAreaField(_l("Service content and standard"), validators=[Optional()])
    billing_method = StringField(_l("Billing method"), validators=[Optional(), Length(max=200)])
    payer = StringField(_l("Payer"), validators=[Optional(), Length(max=60)])
    payee = SelectField(_l("Payee"), choices=[("company", _l("Property company")),
                                              ("residents_committee", _l("Residents' committee")),
                                              ("owners", _l("The owners"))])
    effective_from = DateField(_l("Effective from"), validators=[DataRequired()])
    effective_to = DateField(_l("Effective to"), validators=[Optional()])


class RunForm(FlaskForm):
    period = StringField(_l("Period (2026-03, 2026-Q1 or 2026)"), validators=[DataRequired(), Length(max=8)])
    due_date = DateField(_l("Due date"), validators=[Optional()])


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=300)])


class PaymentForm(FlaskForm):
    unit_id = IntegerField(_l("Unit"), validators=[DataRequired()])
    amount = StringField(_l("Amount (yuan)"), validators=[DataRequired()])
    method = SelectField(_l("Method"), choices=METHODS)
    reference = StringField(_l("Reference"), validators=[Optional(), Length(max=80)])
    # one key per form shown: the same form sent twice records one payment
    idempotency_key = HiddenField(validators=[Optional(), Length(max=80)], default=lambda: uuid.uuid4().hex)


class SharedCostForm(FlaskForm):
    item_id = IntegerField(_l("Shared item"), validators=[DataRequired()])
    period = StringField(_l("Period"), validators=[DataRequired(), Length(max=8)])
    total = StringField(_l("Total (yuan)"), validators=[DataRequired()])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])


class LedgerForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("expense", _l("Expense by cost item")),
                                            ("common_income", _l("Income from common parts")),
                                            ("common_cost", _l("Reasonable cost of common parts")),
                                            ("budget", _l("Budget line")),
                                            ("fund_movement", _l("Maintenance fund movement")),
                                            ("fund_balance", _l("Maintenance fund balance"))])
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=120)])
    amount = StringField(_l("Amount (yuan)"), validators=[DataRequired()])
    source = StringField(_l("Source (statement)"), validators=[Optional(), Length(max=120)])


class FundUploadForm(FlaskForm):
    file = FileField(_l("Statement (Excel .xlsx or CSV)"),
                     validators=[FileRequired(), FileAllowed(["xlsx", "csv"], _l("Upload an .xlsx or .csv file."))])
    holder = StringField(_l("Holder of the fund (who issued the statement)"), validators=[Optional(), Length(max=120)])


class FundConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[A-Za-z0-9_-]{16,64}\.(xlsx|csv)$")])
    holder = HiddenField(validators=[Optional(), Length(max=120)])
