"""Parcel log: a Jiayuan plugin."""

from core import hookimpl
from flask_babel import lazy_gettext as _l

PLUGIN_NAME = "parcel_log"
__version__ = "0.1.0"
__author__ = "Jiayuan team"
JIAYUAN_REQUIRES = ">=0.1,<0.2"


@hookimpl
def register_blueprints(app):
    from core import register_api

    from parcel_log.api import blp
    from parcel_log.views import bp

    app.register_blueprint(bp)
    register_api(app, blp)


@hookimpl
def permissions():
    return {
        "parcel_log.entry.read": {"label": _l("See Parcel log entries"),
                              "roles": ["manager", "staff", "company_admin"]},
        "parcel_log.entry.write": {"label": _l("Add Parcel log entries"), "roles": ["manager", "staff"]},
    }


@hookimpl
def nav_items(user):
    return [{"label": _l("Parcel log"), "endpoint": "parcel_log.index", "permission": "parcel_log.entry.read",
             "order": 90}]


@hookimpl
def ticket_created(ticket):
    from parcel_log.services import note_ticket

    note_ticket(ticket)
