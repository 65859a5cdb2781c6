"""Registers the core areas' blueprints and builds the back-office navigation.

A core area ``core/<area>/`` contributes, when present: ``views.bp`` (pages), ``api.blp`` (API,
flask-smorest) and ``views.NAV`` (navigation entries). Add an area by adding its name here.
"""

from __future__ import annotations

import importlib
import importlib.util

from flask import Flask, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.routing import BuildError

from core.api.base import register_api

CORE_AREAS = [
    "auth",
    "calendar",
    "dashboard",
    "portal",
    "admin",
    "settings",
    "audit",
    "notices",
    "notifications",
    "places",
    "people",
    "imports",
    "tickets",
    "quality",
]

CORE_NAV = [
    {"label": _l("Dashboard"), "endpoint": "dashboard.home", "permission": None, "order": 0},
]


def _area_module(area: str, name: str):
    dotted = f"core.{area}.{name}"
    return importlib.import_module(dotted) if importlib.util.find_spec(dotted) else None


def nav_for(user) -> list[dict]:
    """Navigation items the user may use: core areas', then the plugins' (``nav_items`` hook)."""
    from core.auth.permissions import can
    from core.plugins import collect

    if user is None or not user.is_authenticated:
        return []
    declared = list(CORE_NAV)
    for area in CORE_AREAS:
        views = _area_module(area, "views")
        declared.extend(getattr(views, "NAV", []) if views else [])
    items = []
    for item in declared + collect("nav_items", user=user):
        perm = item.get("permission")
        if perm and not can(user, perm):
            continue
        try:
            href = url_for(item["endpoint"], **item.get("args", {}))
        except BuildError:
            continue
        items.append({**item, "href": href})
    return sorted(items, key=lambda i: (i.get("order", 100), str(i["label"])))


def register_core_blueprints(app: Flask) -> None:
    from core.api.views import bp as api_docs

    app.register_blueprint(api_docs)
    for area in CORE_AREAS:
        views = _area_module(area, "views")
        if views is not None and hasattr(views, "bp"):
            app.register_blueprint(views.bp)
        api = _area_module(area, "api")
        if api is not None and hasattr(api, "blp"):
            register_api(app, api.blp)
