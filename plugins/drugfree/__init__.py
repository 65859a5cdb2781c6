"""Drug-free community (无毒社区) compliance checks per residents' committee area, privacy first."""

from flask_babel import lazy_gettext as _l

from core import Role, Setting, hookimpl

PLUGIN_NAME = "drugfree"
__version__ = "0.1.0"
JIAYUAN_REQUIRES = ">=0.1,<0.2"
# shown on the plugins page in the reader's language (the docstring is for developers)
DESCRIPTION = _l("Drug-free community (无毒社区) compliance checks per residents' committee area, privacy first.")
__author__ = "Jiayuan"

SOURCE_RULES = "《无毒社区》创建标准 (the source article); 戒毒条例 §7"


@hookimpl
def permissions():
    officer = [Role.drugfree_officer]
    return {
        "drugfree.case.read": {"label": _l("Drug-free: see named case records (audited)"), "roles": officer},
        "drugfree.case.write": {"label": _l("Drug-free: keep case records and area counts"), "roles": officer},
        "drugfree.case.export": {"label": _l("Drug-free: export named records (audited)"), "roles": officer},
        "drugfree.audit.read": {"label": _l("Drug-free: read the drug-free audit entries"), "roles": officer},
        "drugfree.aggregate.read": {
            "label": _l("Drug-free: see area aggregates (no names)"),
            "roles": officer + [Role.rc_staff, Role.auditor, Role.platform_admin, Role.company_admin,
                                Role.manager, Role.committee_member]},
    }


@hookimpl
def settings_schema():
    area = ("platform", "area")
    return [
        Setting("drugfree.clean_years", "int", 3, _l("戒毒条例 §7; 无毒社区 creation standard: 戒断巩固 after 3 years"),
                _l("Years clean that end monitoring"), scopes=area, min=1, max=10),
        Setting("drugfree.sentence_exclude_months", "int", 36, _l("无毒社区 creation standard: sentenced to 3 years or more"),
                _l("Sentence (months) that excludes a person from the count"), scopes=area, min=1, max=600),
        Setting("drugfree.missing_exclude_years", "int", 4, _l("无毒社区 creation standard: missing 4 years or more"),
                _l("Years missing that exclude a person from the count"), scopes=area, min=1, max=20),
        Setting("drugfree.report_days", "int", 15, _l("戒毒条例 §14: report within 15 days of the order"),
                _l("Days to report for community rehabilitation"), scopes=area, min=1, max=60),
        Setting("drugfree.helper_days", "int", 15, _l("Practice (local 接茬帮教 schemes), not law"),
                _l("Days after return to assign an aftercare helper"), scopes=area, min=1, max=90),
        Setting("drugfree.visits_per_month", "int", 1, _l("Practice (local 接茬帮教 schemes), not law"),
                _l("Aftercare visits required each month"), scopes=area, min=1, max=10),
        Setting("drugfree.min_cell", "int", 3, _l("House rule: small-cell suppression (PIPL §51)"),
                _l("Smallest count shown to anyone but the officer"), scopes=area, min=1, max=20),
        Setting("drugfree.reduce_after_days", "int", 180,
                _l("House rule under PIPL §19 and 戒毒条例 §7 (keep no longer than needed)"),
                _l("Days after monitoring ends before named detail is reduced"), scopes=area, min=0, max=3650),
    ]


@hookimpl
def register_blueprints(app):
    from core import register_api
    from plugins.drugfree import api, models, views  # noqa: F401  (models: tables on the metadata)

    app.register_blueprint(views.bp)
    register_api(app, api.blp)


@hookimpl
def nav_items(user):
    return [{"label": _l("Drug-free community"), "endpoint": "drugfree.index",
             "permission": "drugfree.aggregate.read", "order": 60}]


@hookimpl
def audit_redact(entry):
    from plugins.drugfree.models import AUDIT_PERMISSION

    if entry.get("module") != "drugfree":
        return
    entry["restricted_to"] = AUDIT_PERMISSION
    sensitive = {"person_ref", "person_index", "name", "name_index", "id_number", "id_number_index",
                 "details", "note", "helper"}
    changes = entry.get("changes")
    if isinstance(changes, dict):
        for key in list(changes):
            if key in sensitive and changes[key] is not None:
                changes[key] = "***" if not isinstance(changes[key], list) else [
                    None if v is None else "***" for v in changes[key]]


@hookimpl
def compliance_checks(area, on_date):
    from plugins.drugfree import views

    return views.dashboard_checks(area, on_date)


@hookimpl
def activity_recorded(scope, tags, day, count):
    from plugins.drugfree import services

    services.record_activity(scope, tags, day, count)


@hookimpl
def jobs():
    from core import Job
    from plugins.drugfree import services

    def run(app):
        from core import db

        n = services.reduce_after_monitoring(services.today())
        db.session.commit()
        return f"{n} case(s) reduced"

    return [Job("drugfree.reduce", 86400, run,
                _l("Reduce named detail of drug-free cases after monitoring has ended"))]


@hookimpl
def demo_data(session):
    from plugins.drugfree import demo

    demo.load(session)
