"""Community culture: events, clubs, registration with waiting lists, check-in and participation."""

from flask_babel import lazy_gettext as _l

from core import hookimpl

PLUGIN_NAME = "culture_events"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
# shown on the plugins page in the reader's language (the docstring is for developers)
DESCRIPTION = _l("Community culture: events, clubs, registration with waiting lists, check-in and participation.")

MANAGERS = ["company_admin", "manager", "rc_staff"]


@hookimpl
def register_blueprints(app):
    from core import register_api

    from . import api, views

    app.register_blueprint(views.bp)
    register_api(app, api.blp, url_prefix="/api/v1/culture_events")


@hookimpl
def permissions():
    return {
        "culture_events.event.manage": {"label": _l("Plan community events, clubs and polls"), "roles": MANAGERS},
        "culture_events.venue.manage": {"label": _l("Manage venues and bookings"), "roles": [*MANAGERS, "staff"]},
        "culture_events.checkin": {"label": _l("Check people in at events and club sessions"),
                                   "roles": [*MANAGERS, "staff"]},
        "culture_events.report.read": {"label": _l("See participation reports"),
                                       "roles": [*MANAGERS, "committee_member", "auditor"]},
    }


@hookimpl
def settings_schema():
    from core import Setting

    return [
        Setting("culture_events.child_under", "int", 14,
                _l("PIPL (个人信息保护法) art. 28 and 31: a guardian consents for children under 14"),
                _l("Children are under this age (guardian's consent needed)"), min=1, max=18),
        Setting("culture_events.adult_from", "int", 18, _l("Civil Code (民法典) art. 17: adults are 18 or over"),
                _l("Adults from this age"), min=14, max=21),
        Setting("culture_events.youth_to", "int", 35, _l("中长期青年发展规划（2016—2025年）: youth are 14 to 35"),
                _l("Youth up to this age"), min=18, max=45),
        Setting("culture_events.elderly_from", "int", 60, _l("老年人权益保障法 art. 2: the elderly are 60 or over"),
                _l("Elderly from this age"), min=50, max=80),
    ]


@hookimpl
def nav_items(user):
    return [
        {"label": _l("Events"), "endpoint": "culture_events.events", "permission": "culture_events.event.manage",
         "order": 40},
        {"label": _l("Participation"), "endpoint": "culture_events.report",
         "permission": "culture_events.report.read", "order": 41},
    ]


@hookimpl
def portal_sections(person):
    from flask_babel import format_datetime
    from flask_babel import gettext as _

    from .services import portal_summary

    mine = portal_summary(person)
    parts = []
    if mine["next"]:
        title, starts = mine["next"]
        parts.append(_("Your next event: %(title)s, %(when)s", title=title, when=format_datetime(starts, "short")))
    if mine["waiting"]:
        parts.append(_("On the waiting list for %(n)s event(s)", n=mine["waiting"]))
    return [{"title": _l("Community events"), "endpoint": "culture_events.portal_events", "order": 30,
             "summary": " · ".join(parts)}]


@hookimpl
def dashboard_widgets(scope, user):
    from . import views

    return views.dashboard_widget(scope, user)


@hookimpl
def charge_settled(charge_ref):
    from .services import settle_charge

    settle_charge(charge_ref)


@hookimpl
def jobs():
    from core import Job

    def run(app):
        from .services import report_ended_events

        return f"{report_ended_events()} events reported"

    return [Job("culture_events.report_attendance", 3600, run, _l("Report attendance of ended events"))]


@hookimpl
def demo_data(session):
    from .demo import load

    load(session)
