"""Back-office administration pages: accounts and roles, plugins, jobs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.admin import services
from core.admin.forms import ROLE_LABELS, SCOPE_LABELS, AccountForm, GrantForm, ResetPasswordForm
from core.api.base import page_of
from core.auth.permissions import require
from core.database import db
from core.errors import AppError, Invalid
from core.places.models import Organisation

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

NAV = [
    {"label": _l("Accounts"), "endpoint": "admin.accounts", "permission": "accounts.manage", "order": 80},
    {"label": _l("Plugins"), "endpoint": "admin.plugins", "permission": "plugins.manage", "order": 90},
    {"label": _l("Jobs"), "endpoint": "admin.jobs", "permission": "plugins.manage", "order": 91},
]


def form_errors(form, exc: AppError) -> None:
    """Show a service's field errors on the form (unknown fields go to the first one)."""
    for name, msgs in (exc.fields or {"_": [exc.message]}).items():
        target = getattr(form, name, None)
        if target is None:
            flash(" ".join(_(str(m)) for m in msgs), "error")
        else:
            target.errors = list(target.errors or []) + [_(str(m)) for m in msgs]


def _int_arg(name):
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/accounts")
@login_required
def accounts():
    services.require_manager(current_user)
    q = request.args.get("q", "").strip()[:60]
    active = {"1": True, "0": False}.get(request.args.get("active", ""))
    stmt = services.accounts_query(current_user, q or None, _int_arg("organisation_id"), active)
    page = page_of(stmt, {"page": max(_int_arg("page") or 1, 1), "per_page": 50})
    return render_template("admin/accounts.html", page=page, q=q, active=request.args.get("active", ""),
                           role_labels=ROLE_LABELS)


def _organisation_choices():
    stmt = select(Organisation).order_by(Organisation.name)
    if not services.is_platform_admin(current_user):
        stmt = stmt.where(Organisation.id.in_(services.managed_company_ids(current_user) or {-1}))
    choices = [(o.id, o.name) for o in db.session.scalars(stmt)]
    return ([(0, _("(none)"))] if services.is_platform_admin(current_user) else []) + choices


@bp.route("/accounts/new", methods=["GET", "POST"])
@login_required
def account_new():
    services.require_manager(current_user)
    form = AccountForm()
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            account = services.create(current_user, username=form.username.data, password=form.password.data,
                                      display_name=form.display_name.data,
                                      organisation_id=form.organisation_id.data or None,
                                      email=form.email.data, phone=form.phone.data)
        except (Invalid, AppError) as exc:
            if exc.status == 403:
                raise
            form_errors(form, exc)
        else:
            db.session.commit()
            flash(_("The account has been created."), "success")
            return redirect(url_for("admin.account_detail", account_id=account.id))
    return render_template("admin/account_new.html", form=form), 200 if not form.errors else 422


def _grant_form(form=None):
    form = form or GrantForm(prefix="g")
    form.scope.choices = [(f"{st}:{sid or ''}", f"{SCOPE_LABELS[st]}: {name}" if sid else SCOPE_LABELS[st])
                          for st, sid, name in services.grantable_scopes(current_user)]
    return form


def _parse_scope(value: str):
    scope_type, _sep, ident = (value or "").partition(":")
    return scope_type, int(ident) if ident.isdigit() else None


def _detail(account, grant_form=None, reset_form=None, status=200, new_password=None):
    names = services.scope_names(account.grants)
    grants = [(g, services.scope_label(g, names)) for g in account.grants]
    return render_template("admin/account_detail.html", account=account, grants=grants,
                           role_labels=ROLE_LABELS, scope_labels=SCOPE_LABELS,
                           grant_form=_grant_form(grant_form),
                           reset_form=reset_form or ResetPasswordForm(prefix="r"),
                           new_password=new_password), status


@bp.route("/accounts/<int:account_id>")
@login_required
def account_detail(account_id: int):
    return _detail(services.get_account(current_user, account_id))


@bp.route("/accounts/<int:account_id>/grants", methods=["POST"])
@login_required
def account_grant(account_id: int):
    account = services.get_account(current_user, account_id)
    form = _grant_form()
    if form.validate_on_submit():
        try:
            services.add_grant(current_user, account, form.role.data, *_parse_scope(form.scope.data))
        except Invalid as exc:
            form.scope.errors = [_(str(m)) for msgs in exc.fields.values() for m in msgs]
        else:
            db.session.commit()
            flash(_("The role has been granted."), "success")
            return redirect(url_for("admin.account_detail", account_id=account.id))
    db.session.rollback()
    return _detail(account, grant_form=form, status=422)


@bp.route("/accounts/<int:account_id>/grants/<int:grant_id>/revoke", methods=["POST"])
@login_required
def account_revoke(account_id: int, grant_id: int):
    account = services.get_account(current_user, account_id)
    services.revoke_grant(current_user, account, grant_id)
    db.session.commit()
    flash(_("The role has been revoked."), "success")
    return redirect(url_for("admin.account_detail", account_id=account.id))


@bp.route("/accounts/<int:account_id>/active", methods=["POST"])
@login_required
def account_active(account_id: int):
    account = services.get_account(current_user, account_id)
    active = request.form.get("active") == "1"
    services.set_active(current_user, account, active)
    db.session.commit()
    flash(_("The account has been enabled.") if active else _("The account has been disabled."), "success")
    return redirect(url_for("admin.account_detail", account_id=account.id))


@bp.route("/accounts/<int:account_id>/password", methods=["POST"])
@login_required
def account_password(account_id: int):
    account = services.get_account(current_user, account_id)
    form = ResetPasswordForm(prefix="r")
    if form.validate_on_submit():
        try:
            password = services.reset_password(current_user, account, form.password.data or None)
        except Invalid as exc:
            form_errors(form, exc)
        else:
            db.session.commit()
            return _detail(account, new_password=password)
    return _detail(account, reset_form=form, status=422)


@bp.route("/roles")
@login_required
def roles():
    """What each role may do, so whoever grants a role knows what it gives."""
    services.require_manager(current_user)
    return render_template("admin/roles.html", groups=services.permission_matrix(current_user), role_labels=ROLE_LABELS)


@bp.route("/plugins")
@login_required
def plugins():
    from core.plugins import host_version, plugin_infos

    require(current_user, "plugins.manage")
    return render_template("admin/plugins.html", plugins=plugin_infos(), host_version=host_version())


@bp.route("/jobs")
@login_required
def jobs():
    from core.jobs.models import JobRun
    from core.jobs.services import job_status_label, registered_jobs

    require(current_user, "plugins.manage")
    runs = {r.name: r for r in db.session.scalars(select(JobRun))}
    return render_template("admin/jobs.html", jobs=registered_jobs(), runs=runs, status_label=job_status_label)


@bp.route("/jobs/<name>/run", methods=["POST"])
@login_required
def job_run(name: str):
    """Run one registered job now (platform_admin); the result shows on the jobs page."""
    from flask import current_app

    from core.jobs.services import job_status_label, registered_jobs, run_job

    require(current_user, "plugins.manage")
    job = next((j for j in registered_jobs() if j.name == name), None)
    if job is None:
        from core.errors import NotFound

        raise NotFound()
    status, _summary = run_job(current_app._get_current_object(), job)
    flash(_("Job %(name)s: %(status)s", name=name, status=job_status_label(status)),
          "success" if status == "ok" else "error")
    return redirect(url_for("admin.jobs"))
