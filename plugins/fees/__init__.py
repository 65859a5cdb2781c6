"""Transparent fees: price notices, billing runs, shared-cost splits, payments, receipts, disclosure."""

from flask_babel import lazy_gettext as _l

PLUGIN_NAME = "fees"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
# shown on the plugins page in the reader's language (the docstring is for developers)
DESCRIPTION = _l("Transparent fees: price notices, billing runs, shared-cost splits, payments, receipts, disclosure.")

from decimal import Decimal  # noqa: E402

from core import Job, Setting, hookimpl  # noqa: E402

MANAGERS = ["company_admin", "manager"]


@hookimpl
def permissions():
    return {
        "fees.item.manage": {"label": _l("Manage fee items, contract and price notice"), "roles": MANAGERS},
        "fees.run.manage": {"label": _l("Preview and confirm billing runs"), "roles": MANAGERS},
        "fees.bill.read": {"label": _l("See bills, payments and arrears"),
                           "roles": MANAGERS + ["staff", "auditor"]},
        "fees.bill.void": {"label": _l("Void and reissue bills"), "roles": MANAGERS},
        "fees.payment.record": {"label": _l("Record payments and issue receipts"), "roles": MANAGERS + ["staff"]},
        "fees.demand.issue": {"label": _l("Issue written demands for arrears"), "roles": MANAGERS},
        "fees.disclosure.read": {"label": _l("See the fee disclosure"),
                                 "roles": MANAGERS + ["committee_member", "auditor", "rc_staff"]},
        "fees.disclosure.manage": {"label": _l("Enter disclosure figures and publish"), "roles": MANAGERS},
    }


@hookimpl
def settings_schema():
    return [
        Setting("fees.service_area_basis", "str", "building",
                _l("Service fees are charged on the floor area in the title (建筑面积) unless agreed otherwise"),
                _l("Area the service fee is charged on"),
                _l("building: the floor area in the title (建筑面积); exclusive: the exclusive part (专有部分面积)"),
                choices=("building", "exclusive")),
        Setting("fees.price_hotline", "str", "12315", _l("Price-complaint hotline (12315 today)"),
                _l("Price-complaint hotline on the price notice")),
        Setting("fees.vacancy_discount_percent", "decimal", Decimal(0), _l("Local rule; off by default"),
                _l("Vacancy discount on the service fee (%)"), min=0, max=100),
        Setting("fees.prepayment_cap_months", "int", 0, _l("Local rule (e.g. 12 months in Hangzhou); 0 = no cap"),
                _l("Prepayment cap in months"), min=0, max=120),
        Setting("fees.late_fees_enabled", "bool", False, _l("Civil Code: late fees only where the contract says so"),
                _l("Late fees (违约金) allowed")),
        Setting("fees.late_fee_reference_rate", "decimal", Decimal(0),
                _l("Entered by the manager (e.g. the one-year LPR as a yearly fraction, 0.03)"),
                _l("Reference yearly rate for late fees"), min=0, max=1),
        Setting("fees.late_fee_cap_multiplier", "decimal", Decimal("1.3"),
                _l("Courts may cut a penalty more than 30% above the loss"), _l("Late-fee cap (× reference rate)"),
                min=1, max=10),
        Setting("fees.due_days", "int", 30, _l("House rule"), _l("Days from the period start to the due date"),
                min=0, max=365),
        Setting("fees.reminder_after_days", "int", 15, _l("House rule"),
                _l("Remind payers this many days after the due date"), min=1, max=365),
        Setting("fees.demand_pay_within_days", "int", 15, _l("House rule"),
                _l("Days given to pay in a written demand"), min=1, max=180),
        Setting("fees.fee_change_notice_days", "int", 30, _l("Posting at least 30 days before a fee change"),
                _l("Days a fee change is posted before it takes effect"), min=30, max=365),
    ]


@hookimpl
def register_blueprints(app):
    from core import register_api
    from plugins.fees.api import blp
    from plugins.fees.views import bp

    app.register_blueprint(bp)
    register_api(app, blp, url_prefix="/api/v1/fees")


@hookimpl
def nav_items(user):
    from flask_babel import lazy_gettext as _l

    return [{"label": _l("Fees"), "endpoint": "fees.index", "permission": "fees.bill.read", "order": 40},
            {"label": _l("Fee disclosure"), "endpoint": "fees.disclosures", "permission": "fees.disclosure.read",
             "order": 41}]


@hookimpl
def portal_sections(person):
    from flask_babel import gettext as _

    from plugins.fees.services import portal_summary

    owed = portal_summary(person)
    if owed["overdue"]:
        summary = _("%(due)s yuan to pay, of which %(overdue)s yuan overdue", due=owed["due"], overdue=owed["overdue"])
    elif owed["due"]:
        summary = _("%(due)s yuan to pay", due=owed["due"])
    else:
        summary = _("All paid")
    return [{"title": _("My bills"), "endpoint": "fees.portal", "order": 20, "summary": summary,
             "attention": bool(owed["overdue"])}]


@hookimpl
def dashboard_widgets(scope, user):
    """A community's collection this year and its overdue balance, linking to bills and arrears."""
    import datetime as dt

    from flask import render_template

    from core import Community, can
    from plugins.fees.services import community_summary

    if not isinstance(scope, Community) or not can(user, "fees.bill.read", community=scope):
        return []
    figures = community_summary(scope.id, dt.date.today().year)
    return [{"title": _l("Fees"), "order": 20,
             "html": render_template("fees/_widget.html", f=figures, cid=scope.id)}]


@hookimpl
def payment_providers():
    from plugins.fees.providers import OfflineProvider, SimulatedProvider

    return {"offline": OfflineProvider(), "simulated": SimulatedProvider()}


@hookimpl
def jobs():
    def remind(app):
        from plugins.fees.services import send_reminders

        return f"{send_reminders()} reminders"

    def disclose(app):
        from plugins.fees.services import yearly_disclosures

        return f"{yearly_disclosures()} yearly disclosures published"

    return [Job("fees.reminders", 86400, remind, _l("Remind payers of overdue bills")),
            Job("fees.yearly_disclosure", 86400, disclose,
                _l("Publish last year's fee disclosure where missing"))]


@hookimpl
def charge_requested(payer, payee, item_code, amount, source):
    from plugins.fees.services import request_charge

    return request_charge(payer, payee, item_code, amount, source)


@hookimpl
def refund_requested(charge_ref, reason):
    from plugins.fees.services import refund_charge

    return refund_charge(charge_ref, reason)


@hookimpl
def decision_recorded(decision):
    from plugins.fees.services import on_decision_recorded

    on_decision_recorded(decision)


@hookimpl
def demo_data(session):
    from plugins.fees.demo import load

    load(session)
