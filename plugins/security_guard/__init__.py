"""Security guards: selection, training and assessment (挑选关/培训关/考核关), duty and patrols."""

from flask_babel import lazy_gettext as _l

from core import hookimpl

PLUGIN_NAME = "security_guard"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
# shown on the plugins page in the reader's language (the docstring is for developers)
DESCRIPTION = _l("Security guards: selection, training and assessment (挑选关/培训关/考核关), duty and patrols.")

_MANAGERS = ["company_admin", "manager"]


@hookimpl
def register_blueprints(app):
    from core import register_api
    from plugins.security_guard import api, views

    app.register_blueprint(views.bp)
    register_api(app, api.blp)


@hookimpl
def permissions():
    return {
        "security_guard.candidates.read": {"label": _l("See guard candidates"), "roles": _MANAGERS},
        "security_guard.candidates.write": {"label": _l("Enter and decide on guard candidates"), "roles": _MANAGERS},
        "security_guard.interview": {"label": _l("Score guard candidates at interview"),
                                     "roles": [*_MANAGERS, "staff"]},
        "security_guard.training.manage": {"label": _l("Plan training sessions and take attendance"),
                                           "roles": _MANAGERS},
        "security_guard.training.read": {"label": _l("See training and assessment records"),
                                         "roles": [*_MANAGERS, "auditor"]},
        "security_guard.exams.manage": {"label": _l("Manage the question bank and score practical items"),
                                        "roles": _MANAGERS},
        "security_guard.exams.take": {"label": _l("Take exams"), "roles": ["guard", "staff"]},
        "security_guard.duty.manage": {"label": _l("Manage posts and patrol routes"), "roles": _MANAGERS},
        "security_guard.discipline.manage": {"label": _l("Record discipline and sanctions"), "roles": _MANAGERS},
        "security_guard.patrol.log": {"label": _l("Log patrols and incidents"), "roles": ["guard"]},
        "security_guard.gate.log": {"label": _l("Keep the gate log"), "roles": ["guard", *_MANAGERS]},
        "security_guard.dashboard": {"label": _l("Guard dashboard"),
                                     "roles": [*_MANAGERS, "auditor", "rc_staff"]},
    }


@hookimpl
def settings_schema():
    from plugins.security_guard.services import SETTINGS

    return SETTINGS


@hookimpl
def nav_items(user):
    return [
        {"label": _l("Guards"), "endpoint": "security_guard.candidates", "order": 40,
         "permission": "security_guard.candidates.read"},
        {"label": _l("Training"), "endpoint": "security_guard.training", "order": 41,
         "permission": "security_guard.training.read"},
        {"label": _l("Guard dashboard"), "endpoint": "security_guard.dashboard", "order": 43,
         "permission": "security_guard.dashboard"},
        {"label": _l("Gate log"), "endpoint": "security_guard.gate", "order": 44,
         "permission": "security_guard.gate.log"},
        {"label": _l("My exams"), "endpoint": "security_guard.my_exams", "order": 42,
         "permission": "security_guard.exams.take"},
        {"label": _l("Training courses"), "endpoint": "security_guard.courses", "order": 45,
         "permission": "security_guard.training.read"},
        {"label": _l("Training plans"), "endpoint": "security_guard.plans", "order": 46,
         "permission": "security_guard.training.read"},
        {"label": _l("Question bank"), "endpoint": "security_guard.questions", "order": 47,
         "permission": "security_guard.exams.manage"},
        {"label": _l("Patrol routes"), "endpoint": "security_guard.routes", "order": 48,
         "permission": "security_guard.duty.manage"},
    ]


@hookimpl
def portal_sections(person):
    return [{"title": _l("Visitors"), "endpoint": "security_guard.visitors", "order": 40}]


@hookimpl
def ticket_categories(community):
    return [{"code": "security_guard.service", "name": _l("Guard service"), "workflow": None,
             "response_minutes": 30, "resolution_minutes": 24 * 60, "around_the_clock": True}]


@hookimpl
def ticket_rated(ticket, rating):
    from plugins.security_guard.services import record_rating

    record_rating(ticket, rating)


@hookimpl
def demo_data(session):
    from plugins.security_guard.demo import load

    load(session)


@hookimpl
def dashboard_widgets(scope, user):
    """Headline guard figures of a community, linking to the guard dashboard."""
    from flask import render_template

    from core import Community, can
    from plugins.security_guard import services

    if not isinstance(scope, Community) or not can(user, "security_guard.dashboard", community=scope):
        return []
    figures = services.dashboard([scope.id]).get(scope.id, dict.fromkeys(services.DASHBOARD_KEYS, 0))
    return [{"title": _l("Security guards"), "order": 40,
             "html": render_template("security_guard/_widget.html", f=figures, ratio=services.ratio)}]
