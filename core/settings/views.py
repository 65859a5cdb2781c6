"""Settings in the back office: what is in force on a scope, editing per scope, and the history."""

from __future__ import annotations

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from core.auth.permissions import can, visible_area_ids, visible_community_ids
from core.database import db
from core.errors import Forbidden, Invalid, NotFound
from core.places.models import Area, Community
from core.settings import services
from core.settings.forms import SettingForm

bp = Blueprint("settings", __name__, url_prefix="/settings", template_folder="templates")

NAV = [{"label": _l("Settings"), "endpoint": "settings.index", "permission": "settings.edit", "order": 70}]


def scope_from_request(source=None):
    """(scope_type, scope) from ``scope_type``/``scope_id`` arguments; may the user look at it?"""
    source = source if source is not None else request.args
    scope_type = source.get("scope_type") or "platform"
    raw = str(source.get("scope_id") or "")
    scope = services.resolve_scope(scope_type, int(raw) if raw.isdigit() else None)
    return scope_type, scope


def require_view(account, scope_type, scope) -> None:
    if not can(account, "settings.edit"):
        raise Forbidden()
    if scope is None or services.can_edit(account, scope_type, scope):
        return
    kw = {"community": scope} if scope_type == "community" else {"area": scope}
    if not can(account, "register.read", **kw):
        raise Forbidden()


def _scope_choices(account):
    cids = visible_community_ids(account, "settings.edit")
    aids = visible_area_ids(account, "settings.edit")
    cstmt = select(Community).order_by(Community.name)
    astmt = select(Area).order_by(Area.name)
    if cids is not None:
        cstmt = cstmt.where(Community.id.in_(cids or {-1}))
    if aids is not None:
        astmt = astmt.where(Area.id.in_(aids or {-1}))
    return db.session.scalars(astmt).all(), db.session.scalars(cstmt).all()


def _value_text(setting, value) -> str:
    if setting.type == "json":
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


TYPE_LABELS = {"int": _l("Whole number"), "decimal": _l("Decimal number"), "str": _l("Free text"),
               "bool": _l("Yes or no"), "json": _l("JSON")}


def _value_shown(setting, value):
    """A value as a page shows it: a switch as yes or no, a code from a fixed list as code."""
    if setting.type == "bool" and value is not None:
        return _("yes") if value else _("no")
    if setting.choices and value is not None:
        return Markup("<code>%s</code>") % value
    return _value_text(setting, value)


@bp.route("/")
@login_required
def index():
    scope_type, scope = scope_from_request()
    require_view(current_user, scope_type, scope)
    areas, communities = _scope_choices(current_user)
    return render_template("settings/index.html", rows=services.in_force(scope_type, scope), scope_type=scope_type,
                           scope=scope, areas=areas, communities=communities,
                           editable=services.can_edit(current_user, scope_type, scope),
                           value_text=_value_shown)


@bp.route("/<key>", methods=["GET", "POST"])
@login_required
def edit(key: str):
    setting = services.declared().get(key)
    if setting is None:
        raise NotFound()
    scope_type, scope = scope_from_request(request.form if request.method == "POST" else None)
    require_view(current_user, scope_type, scope)
    form = SettingForm()
    if request.method == "GET":
        current = services.get(key, **({scope_type: scope} if scope is not None else {}))
        form.value.data = _value_text(setting, current)
    if form.validate_on_submit():
        raw = form.value.data.strip()
        try:
            if setting.type == "json":
                try:
                    raw = json.loads(raw)
                except ValueError:
                    raise Invalid(fields={"value": [_l("Not valid JSON.")]}) from None
            services.change(current_user, key, raw, scope_type, scope, form.note.data)
        except Invalid as exc:
            form.value.errors = [_(m) for m in exc.fields.get("value", [])] + [
                _(m) for k, ms in exc.fields.items() if k != "value" for m in ms]
        else:
            db.session.commit()
            flash(_("The setting has been saved."), "success")
            return redirect(url_for("settings.index", scope_type=scope_type, scope_id=scope.id if scope else None))
    return render_template("settings/edit.html", setting=setting, form=form, scope_type=scope_type, scope=scope,
                           editable=services.can_edit(current_user, scope_type, scope),
                           settable=scope_type in setting.scopes,
                           type_label=TYPE_LABELS.get(setting.type, setting.type),
                           default_shown=_value_shown(setting, setting.default),
                           history=services.history(key, scope_type, scope, limit=50)), 200 if not form.errors else 422


@bp.route("/<key>/reset", methods=["POST"])
@login_required
def reset(key: str):
    if key not in services.declared():
        raise NotFound()
    scope_type, scope = scope_from_request(request.form)
    services.reset_value(current_user, key, scope_type, scope)
    db.session.commit()
    flash(_("The setting is back to the value above it."), "success")
    return redirect(url_for("settings.index", scope_type=scope_type, scope_id=scope.id if scope else None))


@bp.route("/history")
@login_required
def history_page():
    scope_type, scope = scope_from_request()
    require_view(current_user, scope_type, scope)
    return render_template("settings/history.html", entries=services.history(None, scope_type, scope),
                           scope_type=scope_type, scope=scope)
