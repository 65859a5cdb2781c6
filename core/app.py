"""The application factory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, g, request, session
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from werkzeug.routing import IntegerConverter

from core import plugins as plugin_host
from core.api.base import DB_INT_MAX, make_api
from core.config import load_config
from core.database import db
from core.errors import register_error_handlers
from core.extensions import CookieSessionInterface, babel, csrf, limiter, login_manager

LOCALES = ("zh_CN", "en")
CORE_AREAS_WITH_HOOKS: list[str] = [  # core areas implementing hooks
    "core.tickets.hooks", "core.quality.hooks", "core.notices.hooks",
]


def _select_locale():
    from flask import current_app, has_request_context
    from flask_login import current_user

    if not has_request_context():  # CLI, jobs, service calls in tests
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.args.get("lang") in LOCALES:
        session["lang"] = request.args["lang"]
    if session.get("lang") in LOCALES:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    accept = request.headers.get("Accept-Language")
    if accept:
        best = request.accept_languages.best_match(["zh", "zh-CN", "zh_CN", "en"])
        if best:
            return "en" if best.startswith("en") else "zh_CN"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _sqlite_pragmas(dbapi_connection, _record):
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _translation_dirs(infos) -> dict[str, str]:
    """``{package: translations folder}``: the core's, then each plugin's that has one."""
    dirs = {"core": str(Path(__file__).parent / "translations")}
    for info in infos:
        if not getattr(info.module, "__file__", None):
            continue
        folder = Path(info.module.__file__).parent / "translations"
        if folder.is_dir():
            dirs[info.module.__name__] = str(folder)
    return dirs


class IdConverter(IntegerConverter):
    """``<int:...>`` of every route: a number beyond the INTEGER columns' range matches no route (404)
    rather than reaching the database and overflowing there."""

    def __init__(self, map, fixed_digits=0, min=None, max=DB_INT_MAX, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(config: dict | None = None, plugins: list | None = None) -> Flask:
    """Build the app: config, extensions, plugins (entry points plus ``plugins`` modules), blueprints.

    :param config: overrides of the environment configuration (tests, embedding).
    :param plugins: extra plugin modules to register directly (tests, embedded use).
    """
    app = Flask("core", instance_path=None, static_folder="static", template_folder="templates",
                root_path=str(Path(__file__).parent))
    app.url_map.converters["int"] = IdConverter
    app.config.update(load_config(config))
    app.session_interface = CookieSessionInterface()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgresql"):
        # Pooled connections are replaced after half an hour, and one that died with the server is
        # discarded (with the whole pool) on first use. A ping before every checkout would cost each
        # request a round trip; deployments whose network drops idle connections switch it on.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {
            "pool_recycle": 1800, "pool_pre_ping": app.config.get("DATABASE_PRE_PING", False)})

    pm = plugin_host.make_manager()
    for dotted in CORE_AREAS_WITH_HOOKS:
        plugin_host.register_internal(pm, dotted)
    infos = plugin_host.load_plugins(pm, app.config["PLUGINS"], app.config["DISABLED_PLUGINS"], plugins)
    app.extensions["jiayuan.pm"] = pm
    app.extensions["jiayuan.plugins"] = infos

    db.init_app(app)
    if uri.startswith("sqlite"):
        with app.app_context():
            event.listen(db.engine, "connect", _sqlite_pragmas)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    csrf.init_app(app)
    owners = _translation_dirs(infos)
    app.extensions["jiayuan.translation_owners"] = owners
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(owners.values())
    babel.init_app(app, locale_selector=_select_locale)
    app.config["RATELIMIT_ENABLED"] = app.config.get("RATELIMIT_ENABLED", True)
    limiter.init_app(app)
    app.extensions["jiayuan.api"] = make_api(app)

    from core.audit.services import install as install_audit

    install_audit()
    register_error_handlers(app)
    _register_core(app)
    with app.app_context():
        pm.hook.register_blueprints(app=app)
    _template_helpers(app)
    return app


def _register_core(app: Flask) -> None:
    from core.auth.views import load_account
    from core.views import register_core_blueprints

    login_manager.user_loader(load_account)
    register_core_blueprints(app)


def _template_helpers(app: Flask) -> None:
    tz = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])

    @app.template_filter("local")
    def local_time(value: dt.datetime | None, fmt: str = "yyyy-MM-dd HH:mm"):
        if value is None:
            return ""
        return format_datetime(value.astimezone(tz), fmt)

    @app.template_filter("money")
    def money(value):
        return "" if value is None else f"{value:,.2f}"

    @app.context_processor
    def inject():
        from flask_babel import get_locale

        from core.views import nav_for

        return {"nav_items": nav_for, "current_locale": str(get_locale()), "g": g}
