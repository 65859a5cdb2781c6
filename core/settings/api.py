"""API: settings in force per scope, changes and their history (/api/v1/settings)."""

from __future__ import annotations

from core.api import Blueprint, api_auth, current_account
from core.database import db
from core.errors import NotFound
from core.settings import services
from core.settings.schemas import (
    ScopeArgs,
    SettingChangeSchema,
    SettingHistoryArgs,
    SettingHistorySchema,
    SettingValueSchema,
)
from core.settings.views import require_view

blp = Blueprint("settings_api", __name__, url_prefix="/api/v1/settings", description="Settings")


def _jsonable(row: dict) -> dict:
    s = row["setting"]
    conv = (lambda v: None if v is None else str(v)) if s.type == "decimal" else (lambda v: v)
    return {**row, "value": conv(row["value"]), "default": conv(row["default"])}


def _scope(args):
    scope_type = args.get("scope_type", "platform")
    scope = services.resolve_scope(scope_type, args.get("scope_id"))
    require_view(current_account(), scope_type, scope)
    return scope_type, scope


@blp.route("")
@api_auth
@blp.arguments(ScopeArgs, location="query")
@blp.response(200, SettingValueSchema(many=True))
def list_settings(args):
    """Every declared setting with the value in force on the scope, its default and source."""
    scope_type, scope = _scope(args)
    return [_jsonable(r) for r in services.in_force(scope_type, scope)]


@blp.route("/history")
@api_auth
@blp.arguments(SettingHistoryArgs, location="query")
@blp.response(200, SettingHistorySchema(many=True))
def setting_history(args):
    scope_type, scope = _scope(args)
    return services.history(args.get("key"), scope_type, scope)


@blp.route("/<key>", methods=["PUT"])
@api_auth
@blp.arguments(SettingChangeSchema)
@blp.response(200, SettingValueSchema)
def change_setting(args, key):
    """Set the value on a scope (needs ``settings.edit`` on exactly that scope)."""
    if key not in services.declared():
        raise NotFound()
    scope_type = args["scope_type"]
    scope = services.resolve_scope(scope_type, args.get("scope_id"))
    services.change(current_account(), key, args["value"], scope_type, scope, args.get("note"))
    db.session.commit()
    return next(_jsonable(r) for r in services.in_force(scope_type, scope) if r["key"] == key)


@blp.route("/<key>", methods=["DELETE"])
@api_auth
@blp.arguments(ScopeArgs, location="query")
@blp.response(204)
def reset_setting(args, key):
    """Remove the value set on the scope, so the one above it (or the default) applies."""
    if key not in services.declared():
        raise NotFound()
    scope_type = args["scope_type"]
    scope = services.resolve_scope(scope_type, args.get("scope_id"))
    services.reset_value(current_account(), key, scope_type, scope)
    db.session.commit()
