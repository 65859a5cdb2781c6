"""Flask extensions, created once and bound in ``create_app()``."""

from flask import current_app
from flask_babel import Babel, Domain
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from werkzeug.utils import cached_property


class _AppDomain(Domain):
    """Flask-Babel keeps one translation cache per process; key it by application as well, so
    applications loading different plugins (tests, embedding) each read their own catalogues."""

    def get_translations_cache(self, ctx):
        return current_app.extensions.setdefault("jiayuan.translations", {})


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _AppDomain(domain=self.domain)


login_manager = LoginManager()
csrf = CSRFProtect()
babel = _Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
