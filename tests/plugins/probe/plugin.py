"""probe: a test plugin implementing every hook the core itself calls, recording each call.

Register it with ``make_app(plugins=[probe_plugin])``; ``CALLS`` lists (hook name, arguments) in the
order the core called them, so tests prove end to end that each hook is called and its result used.
"""

from __future__ import annotations

import click
from flask import Blueprint

from core import Job, Setting, bar_chart, hookimpl

PLUGIN_NAME = "probe"
__version__ = "0.0.1"
JIAYUAN_REQUIRES = ">=0.1,<1"

CALLS: list[tuple[str, dict]] = []
SENT: list = []  # notifications handed to the probe channel
PUBLISHED: list = []  # notices seen by notice_published


def reset() -> None:
    CALLS.clear()
    SENT.clear()
    PUBLISHED.clear()


bp = Blueprint("probe", __name__, url_prefix="/probe")


@bp.route("/ping")
def ping():
    return "probe-pong"


@hookimpl
def register_blueprints(app):
    CALLS.append(("register_blueprints", {"app": app}))
    app.register_blueprint(bp)


@click.command("probe-hello")
def hello():
    click.echo("hello from probe")


@hookimpl
def register_cli(cli):
    CALLS.append(("register_cli", {}))
    cli.add_command(hello)


@hookimpl
def permissions():
    return {"probe.page.read": {"label": "Probe page", "roles": ["manager", "rc_staff"]}}


@hookimpl
def nav_items(user):
    CALLS.append(("nav_items", {"user": user}))
    return [{"label": "Probe nav", "endpoint": "probe.ping", "permission": "probe.page.read", "order": 99}]


@hookimpl
def dashboard_widgets(scope, user):
    CALLS.append(("dashboard_widgets", {"scope": scope, "user": user}))
    return [{"title": f"Probe widget {scope.name}", "html": bar_chart([("a", 3), ("b", 5)], title="probe-chart"),
             "order": 1}]


@hookimpl
def portal_sections(person):
    CALLS.append(("portal_sections", {"person": person}))
    return [{"title": "Probe section", "html": f"<p class='probe'>hello {person.name}</p>", "order": 1}]


@hookimpl
def demo_data(session):
    from sqlalchemy import select

    from core import Organisation

    CALLS.append(("demo_data", {"session": session}))
    if session.scalar(select(Organisation).where(Organisation.name == "Probe demo org")) is None:
        session.add(Organisation(kind="developer", name="Probe demo org"))
        session.flush()


@hookimpl
def audit_redact(entry):
    if entry.get("changes") and isinstance(entry["changes"], dict) and "probe_secret" in entry["changes"]:
        entry["changes"]["probe_secret"] = "***"
        entry["restricted_to"] = "probe.page.read"


@hookimpl
def compliance_checks(area, on_date):
    CALLS.append(("compliance_checks", {"area": area, "on_date": on_date}))
    return [{"code": "probe.check", "title": "Probe check", "passed": False, "detail": f"on {on_date.isoformat()}"}]


@hookimpl
def settings_schema():
    return [Setting("probe.limit", "int", 7, "Probe standard §1", "Probe limit", min=1, max=10)]


def _job(app):
    CALLS.append(("job_ran", {}))
    return "probe job done"


@hookimpl
def jobs():
    return [Job("probe.tick", 60, _job, "Probe job")]


@hookimpl
def notification_channels():
    return {"probe": SENT.append}


@hookimpl
def notice_published(notice):
    PUBLISHED.append(notice.id)
