"""Owners' assembly (业主大会) votes with the Civil Code double majority, committee elections."""

import datetime as dt

from flask_babel import lazy_gettext as _l

from core import Job, Setting, hookimpl

PLUGIN_NAME = "owners_assembly"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
# shown on the plugins page in the reader's language (the docstring is for developers)
DESCRIPTION = _l("Owners' assembly (业主大会) votes with the Civil Code double majority, committee elections.")

CIVIL_CODE = _l("民法典 §278 (Civil Code: double majority of exclusive area and headcount)")


@hookimpl
def register_blueprints(app):
    from core import register_api
    from plugins.owners_assembly.api import blp
    from plugins.owners_assembly.views import bp, portal_bp

    app.register_blueprint(bp)
    app.register_blueprint(portal_bp)
    register_api(app, blp)


@hookimpl
def permissions():
    return {
        "owners_assembly.meeting.manage": {"label": _l("Convene owners' assembly meetings"),
                                           "roles": ["committee_member", "rc_staff"]},
        "owners_assembly.meeting.read": {"label": _l("See owners' assembly meetings and results"),
                                         "roles": ["committee_member", "rc_staff", "manager", "company_admin",
                                                   "staff", "auditor", "developer_rep"]},
        "owners_assembly.ballot.enter": {"label": _l("Enter and confirm paper ballots"),
                                         "roles": ["committee_member", "rc_staff", "staff", "manager"]},
        "owners_assembly.candidate.review": {"label": _l("Comment on candidates' eligibility"), "roles": ["rc_staff"]},
    }


@hookimpl
def settings_schema():
    return [
        Setting("owners_assembly.participation", "str", "2/3", CIVIL_CODE,
                _l("Share of area and headcount that must take part (at least)")),
        Setting("owners_assembly.special_majority", "str", "3/4", CIVIL_CODE,
                _l("Special matters: share of participating area and headcount that must agree (at least)")),
        Setting("owners_assembly.ordinary_majority", "str", "1/2", CIVIL_CODE,
                _l("Ordinary matters: share that agreement must exceed (more than)")),
        Setting("owners_assembly.notice_days", "int", 15, _l("物业管理条例 §14: notice at least 15 days before"),
                _l("Days the meeting notice must be up before voting opens"), min=1, max=90),
        Setting("owners_assembly.demand_share", "str", "1/5", _l("物业管理条例 §13: a fifth of the owners may demand a meeting"),
                _l("Share of owners whose demand obliges the committee to convene")),
        Setting("owners_assembly.registration_days", "int", 30, _l("物业管理条例 §16: register within 30 days"),
                _l("Days after the election to register (备案) the committee"), min=1, max=365),
        Setting("owners_assembly.seats_min", "int", 5, _l("业主大会和业主委员会指导规则 §31: 5 to 11 members"),
                _l("Fewest committee seats"), min=3, max=21),
        Setting("owners_assembly.seats_max", "int", 11, _l("业主大会和业主委员会指导规则 §31: 5 to 11 members"),
                _l("Most committee seats"), min=3, max=21),
        Setting("owners_assembly.term_years", "int", 5, _l("业主大会和业主委员会指导规则 §31: a term of at most 5 years"),
                _l("Committee term in years"), min=1, max=5),
    ]


@hookimpl
def nav_items(user):
    return [{"label": _l("Owners' assembly"), "endpoint": "owners_assembly.index",
             "permission": "owners_assembly.meeting.read", "order": 60}]


@hookimpl
def portal_sections(person):
    from flask_babel import gettext as _

    from plugins.owners_assembly.services import portal_summary

    counts = portal_summary(person)
    parts = [_("Voting is open: %(n)s meeting(s) wait for your vote", n=counts["to_vote"])] if counts["to_vote"] else []
    if counts["upcoming"]:
        parts.append(_("%(n)s meeting(s) announced", n=counts["upcoming"]))
    return [{"title": _l("Owners' assembly"), "endpoint": "owners_assembly_portal.index", "order": 40,
             "summary": " · ".join(parts), "attention": bool(counts["to_vote"])}]


@hookimpl
def decision_required(community, subject, decision_class):
    from plugins.owners_assembly.services import request_decision

    return request_decision(community, subject, decision_class)


@hookimpl
def jobs():
    def remind(app):
        from plugins.owners_assembly.services import registration_reminders

        return f"{registration_reminders(dt.date.today())} reminders"

    return [Job("owners_assembly.registration_reminders", 86400, remind,
                _l("Remind committees to register (备案) within 30 days of their election"))]


@hookimpl
def demo_data(session):
    from plugins.owners_assembly.demo import load

    load(session)


@hookimpl
def dashboard_widgets(scope, user):
    """Meetings of the community noticed or open for voting, with the turnout so far."""
    from flask import render_template

    from core import Community, can
    from plugins.owners_assembly.services import open_meetings_turnout

    if not isinstance(scope, Community) or not can(user, "owners_assembly.meeting.read", community=scope):
        return []
    rows = open_meetings_turnout(scope.id)
    if not rows:
        return []
    return [{"title": _l("Owners' assembly"), "order": 30,
             "html": render_template("owners_assembly/_widget.html", rows=rows)}]
