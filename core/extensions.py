"""Flask extensions, created once and bound in ``create_app()``."""

from flask import current_app, has_app_context, has_request_context, request
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
    plugin owning the blueprint) is merged last: each page reads its own words first."""

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
            dirs = [d for d in self.translation_directories if d != owner] + ([owner] if owner else [])
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


login_manager = LoginManager()
csrf = CSRFProtect()
babel = _Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
