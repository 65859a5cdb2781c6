"""Login, logout, password change and personal API tokens (pages)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from core.auth import services
from core.auth.forms import LoginForm, PasswordForm, TokenForm
from core.auth.models import Account, ApiToken
from core.database import db
from core.errors import AppError
from core.extensions import limiter

bp = Blueprint("auth", __name__)


def load_account(account_id: str):
    return db.session.get(Account, int(account_id))


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def home_for(account: Account) -> str:
    if account.grants:
        return url_for("dashboard.home")
    return url_for("portal.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            account = services.authenticate(form.username.data.strip(), form.password.data)
        except services.LoginRefused as refused:
            if refused.reason == "locked":
                error = _("Too many failed attempts: this account is locked for a while. Try again later.")
            elif refused.reason == "disabled":
                error = _("This account is disabled.")
            else:
                error = _("Wrong username or password.")
        else:
            login_user(account)
            services.record(account, "login", "Account", account.id)
            db.session.commit()
            target = request.args.get("next")
            if not target or not target.startswith("/") or target.startswith("//"):
                target = home_for(account)
            return redirect(target)
    status = 200 if error is None and not form.errors else 422
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.old_password.data, form.new_password.data)
        except AppError as exc:
            for name, msgs in exc.fields.items():
                getattr(form, name).errors = [_(m) for m in msgs]
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 422


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        _token, new_token = services.create_token(current_user, form.name.data)
        db.session.commit()
    rows = db.session.scalars(select(ApiToken).where(ApiToken.account_id == current_user.id)
                              .order_by(ApiToken.created_at.desc())).all()
    return render_template("auth/tokens.html", form=form, tokens=rows, new_token=new_token)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id: int):
    services.revoke_token(current_user, token_id)
    db.session.commit()
    flash(_("The token has been revoked."), "success")
    return redirect(url_for("auth.tokens"))
