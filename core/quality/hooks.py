"""What the quality area adds to the host through hooks (registered like a plugin, see core/app.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.auth.models import Role as R
from core.hookspecs import hookimpl
from core.settings.services import Setting

SUPERVISORS = [R.company_admin, R.manager, R.staff, R.committee_member, R.rc_staff, R.auditor]


@hookimpl
def permissions():
    return {
        "quality.reception.manage": {"label": _l("Schedule reception days and keep their minutes"),
                                     "roles": [R.company_admin, R.manager]},
        "quality.reception.record": {"label": _l("Record issues raised at reception days and make tickets of them"),
                                     "roles": [R.company_admin, R.manager, R.staff]},
        "quality.reception.read": {"label": _l("See reception days, bookings and raised issues"),
                                   "roles": [R.company_admin, R.manager, R.staff, R.committee_member, R.rc_staff,
                                             R.developer_rep, R.auditor]},
        "quality.minutes.read": {"label": _l("Read reception-day minutes"),
                                 "roles": [R.company_admin, R.manager, R.staff, R.committee_member, R.rc_staff,
                                           R.auditor]},
        "quality.survey.manage": {"label": _l("Set up satisfaction surveys"), "roles": [R.company_admin, R.manager]},
        "quality.survey.read": {"label": _l("See satisfaction survey results"), "roles": SUPERVISORS},
        "quality.dashboard.read": {"label": _l("See the quality dashboard and the equal-service report"),
                                   "roles": SUPERVISORS},
    }


@hookimpl
def settings_schema():
    return [
        Setting("quality.survey_target_percent", "decimal", "80",
                _l("2004 trial grade standard for ordinary residential communities (普通住宅小区物业管理服务等级标准"
                "（试行）), level 1: at least one owner-satisfaction survey a year, with a satisfaction rate of at least 80%"),
                _l("Owner-satisfaction target (%) where the community has no grade-standard profile"), min=0, max=100),
        Setting("quality.dashboard_trend_months", "int", 12, _l("House rule: months shown in the trend charts"),
                _l("Months in the quality trend charts"), min=1, max=36),
    ]


@hookimpl
def portal_sections(person):
    from flask_babel import format_datetime
    from flask_babel import gettext as _

    from core.quality import services

    parts = []
    surveys = services.open_surveys_for(person)
    if surveys:
        parts.append(_("A satisfaction survey is waiting for your answer"))
    booked = services.bookings_of_person(person)
    if booked:
        parts.append(_("Your reception-day booking: %(when)s", when=format_datetime(booked[0].slot.starts_at, "short")))
    return [{"title": _("Reception days and surveys"), "endpoint": "quality.portal_home", "order": 40,
             "summary": " · ".join(parts), "attention": bool(surveys)}]


@hookimpl
def dashboard_widgets(scope, user):
    """Headline quality figures of a community over the last twelve months, linking to the dashboard."""
    from flask import url_for
    from flask_babel import gettext as _
    from markupsafe import Markup, escape

    from core.auth.permissions import can
    from core.places.models import Community
    from core.quality.dashboard import Period, figures

    if not isinstance(scope, Community) or not can(user, "quality.dashboard.read", community=scope):
        return []
    f = figures([scope.id], Period.default())

    def pct(v):
        return "—" if v is None else f"{v}%"

    html = Markup(
        '<ul class="quality-widget"><li>{t}: <b>{n}</b></li><li>{s}: <b>{sla}</b></li><li>{sat}: <b>{satv}</b></li>'
        '<li>{rep}: <b>{repv}</b></li></ul><a href="{href}">{more}</a>'
    ).format(t=_("Tickets"), n=f["tickets"], s=_("SLA compliance"), sla=pct(f["sla"]["overall"]["percent"]),
             sat=_("Satisfied (4 or 5)"), satv=pct(f["satisfaction"]["percent"]),
             rep=_("Repeat-complaint rate"), repv=pct(f["repeat"]["complaint_percent"]),
             href=url_for("quality.dashboard", community_id=scope.id), more=escape(_("Quality dashboard")))
    return [{"title": _("Service quality"), "html": html, "order": 10}]


@hookimpl
def demo_data(session):
    from core.quality.demo import load

    load(session)
