"""Flask extensions, created once and bound in ``create_app()``."""

from flask import current_app, has_app_context, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel, Domain
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from werkzeug.utils import cached_property


class _AppDomain(Domain):
    """Flask-Babel keeps one translation cache per process; key it by application as well, so
    applications loading different plugins (tests, embedding) each read their own catalogues.

    The core and every plugin keep their own catalogue, and the same English words may need other
    Chinese in another trade ("Register": 房屋台账 for the register, 报名 for an event). Catalogues
    are merged, later ones winning, so the catalogue of whoever serves the request (the core, or the
    plugin owning the blueprint) is merged last: each page reads its own words first. The core's comes
    just before it: the frame every page shares (navigation, messages, forms) is the core's, and reads
    the core's words on a plugin's page rather than another plugin's. Pieces rendered on a page of
    another package (a plugin's widget, card or nav label on a core page) read that page's catalogue
    first, so they need msgids of their own (tests/core/test_chinese_pages.py checks the known ones)."""

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("jiayuan.translations", {})

    def get_translations(self):
        from babel import support
        from flask_babel import get_locale

        if not has_request_context() and not has_app_context():
            return support.NullTranslations()
        cache = self.get_translations_cache(None)
        owner = _serving_catalogue()
        key = (str(get_locale()), self.domain[0], owner)
        if key not in cache:
            core = (current_app.extensions.get("jiayuan.translation_owners") or {}).get("core")
            last = list(dict.fromkeys(d for d in (core, owner) if d))
            dirs = [d for d in self.translation_directories if d not in last] + last
            translations = support.Translations()
            for dirname in dirs:
                catalog = support.Translations.load(dirname, [get_locale()], self.domain[0])
                translations.merge(catalog)
                if hasattr(catalog, "plural"):
                    translations.plural = catalog.plural
            cache[key] = translations
        return cache[key]


def _serving_catalogue() -> str | None:
    """The translations folder of the package whose blueprint serves this request (else the core's)."""
    owners = current_app.extensions.get("jiayuan.translation_owners") or {}
    package = "core"
    if has_request_context() and request.blueprints:
        bp = current_app.blueprints.get(request.blueprints[-1])
        name = getattr(bp, "import_name", "") or ""
        package = max((p for p in owners if name == p or name.startswith(p + ".")), key=len, default="core")
    return owners.get(package)


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _AppDomain(domain=self.domain)


class RateLimiter(Limiter):
    """Flask-Limiter, without its per-request cost where it has nothing to check.

    Limits set on a view (``@limiter.limit``, as on login and token issuing) are checked by the view's
    own wrapper. The check Flask-Limiter also runs before every request applies only application,
    default, blueprint and meta limits and the in-memory fallback; with none of them configured it
    finds nothing to count, so it is skipped, and runs as before as soon as one is."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and not self._has_request_wide_limits():
            return None
        return super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _has_request_wide_limits(self) -> bool:
        manager = self.limit_manager
        return bool(manager._application_limits or manager._default_limits or manager._blueprint_limits
                    or self._meta_limits or self._in_memory_fallback)


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, at no cost to requests that carry no session cookie (API clients
    with a bearer token): there is nothing to verify, and nothing to write back unless the request put
    something in the session. Requests with a cookie, and what is sent back, are exactly as before."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


login_manager = LoginManager()
csrf = CSRFProtect()
babel = _Babel()
limiter = RateLimiter(key_func=get_remote_address, default_limits=[])
