"""What the tickets area adds to the host through hooks: permissions, settings, jobs, the CLI,
demo data, and the answer to ``charge_settled`` for renovation deposits."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from core.auth.models import Role as R
from core.hookspecs import hookimpl
from core.settings.services import Setting

HOUSE = _l("House rule of the property company; change it to what the service contract says")


@hookimpl
def permissions():
    return {
        "tickets.read": {"label": _l("See service tickets"),
                         "roles": [R.company_admin, R.manager, R.staff, R.auditor]},
        "tickets.handle": {"label": _l("Handle tickets (accept, work, resolve, comment, enter calls)"),
                           "roles": [R.company_admin, R.manager, R.staff]},
        "tickets.dispatch": {"label": _l("Dispatch and reassign tickets"),
                             "roles": [R.company_admin, R.manager, R.staff]},
        "tickets.callback": {"label": _l("Record 回访 call-backs"), "roles": [R.company_admin, R.manager, R.staff]},
        "tickets.configure": {"label": _l("Edit ticket categories, procedures and grade profiles"),
                              "roles": [R.company_admin, R.manager]},
    }


@hookimpl
def settings_schema():
    return [
        Setting("tickets.auto_close_days", "int", 7, HOUSE,
                _l("Days after which an unrated resolved ticket closes by itself"), min=1, max=90),
        Setting("tickets.repeat_window_days", "int", 30, HOUSE,
                _l("Window in days for flagging a repeat repair or complaint"), min=1, max=365),
        Setting("tickets.reopen_window_days", "int", 7, HOUSE,
                _l("Days after resolution during which a ticket may be reopened"), min=0, max=90),
        Setting("tickets.callback_threshold", "int", 3,
                _l("Satisfaction counts 4 or 5 as satisfied, so a rating of 3 or below needs a 回访"),
                _l("Ratings at or below this need a 回访 before closing"), min=1, max=5),
        Setting("tickets.callback_tries", "int", 3, HOUSE,
                _l("Call attempts before a 回访 may end as 'owner unreachable'"), min=1, max=10),
        Setting("tickets.rating_link_days", "int", 14, HOUSE, _l("Days a rating link stays valid"), min=1, max=90),
        Setting("tickets.at_risk_minutes", "int", 60, HOUSE,
                _l("Minutes before a deadline at which a ticket shows as at risk"), min=1, max=10080),
        Setting("tickets.max_attachments", "int", 5, HOUSE, _l("Most photos or files on one ticket"), min=1, max=20),
        Setting("tickets.renovation_deposit", "decimal", Decimal("2000.00"),
                _l("Renovation management agreement (装修管理服务协议) of the community; house default"),
                _l("Renovation deposit in yuan"), min=0, max=1000000),
        Setting("tickets.renovation_deposit_item", "str", "renovation_deposit",
                _l("Fee item code on the community's posted price notice (明码标价)"),
                _l("Fee item code of the renovation deposit")),
    ]


@hookimpl
def jobs():
    from core.jobs.services import Job
    from core.tickets import services

    return [
        Job("tickets.check_sla", 300, services.check_sla_job,
            _l("Mark missed ticket deadlines, notify and escalate to the community manager")),
        Job("tickets.auto_close", 3600, services.auto_close_job,
            _l("Close resolved tickets that stayed unrated past the set number of days")),
    ]


@hookimpl
def register_cli(cli):
    from core.tickets.cli import tickets

    cli.add_command(tickets)


@hookimpl
def demo_data(session):
    from core.tickets.demo import load

    load(session)


@hookimpl
def charge_settled(charge_ref):
    from core.tickets import services

    services.deposit_settled(charge_ref)


@hookimpl
def portal_sections(person):
    from flask_babel import gettext as _

    from core.tickets.services import portal_summary

    counts = portal_summary(person)
    parts = [_("%(n)s in progress", n=counts["in_progress"])] if counts["in_progress"] else []
    if counts["to_rate"]:
        parts.append(_("%(n)s waiting for your rating", n=counts["to_rate"]))
    return [{"title": _l("My service requests"), "endpoint": "tickets.my", "order": 10,
             "summary": " · ".join(parts) or _("Nothing open"), "attention": bool(counts["to_rate"]),
             "action": {"label": _("New request"), "endpoint": "tickets.my_new"}}]


@hookimpl
def dashboard_widgets(scope, user):
    """A community's tickets that need the office today, each count linking to its list."""
    from flask import render_template, url_for
    from flask_babel import gettext as _

    from core.auth.permissions import can
    from core.places.models import Community
    from core.tickets.services import today_counts

    if not isinstance(scope, Community) or not can(user, "tickets.read", community=scope):
        return []
    counts = today_counts(scope)
    rows = [("new", _("New, waiting to be accepted"), url_for("tickets.index", community_id=scope.id, status="submitted")),
            ("open", _("Open tickets"), url_for("tickets.index", community_id=scope.id, status="open")),
            ("overdue", _("Past a deadline"), url_for("tickets.sla", community_id=scope.id)),
            ("callback", _("Low ratings waiting for 回访"),
             url_for("tickets.index", community_id=scope.id, status="callback"))]
    return [{"title": _("Service tickets today"), "order": 5,
             "html": render_template("tickets/_today.html", counts=counts, rows=rows)}]
