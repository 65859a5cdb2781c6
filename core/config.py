"""Deployment configuration from ``JIAYUAN_*`` environment variables.

Rules and defaults of the trade (fees, clocks, thresholds) are *settings* (core.settings), not
configuration: configuration is what differs between deployments, settings what differs between
communities.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

#: Every variable the product reads, with its default and meaning; the README table is built from it.
VARIABLES: dict[str, tuple[str, str]] = {
    "JIAYUAN_INSTANCE_PATH": ("./instance", "Folder for the SQLite file, generated keys and uploads."),
    "JIAYUAN_DATABASE_URL": ("sqlite:///<instance>/jiayuan.db", "SQLAlchemy URL of the database."),
    "JIAYUAN_SECRET_KEY": ("generated into instance/secret_key", "Signs sessions, CSRF tokens and links."),
    "JIAYUAN_ENCRYPTION_KEY": ("generated into instance/encryption_key", "Fernet key for sensitive fields."),
    "JIAYUAN_BLIND_INDEX_KEY": ("generated into instance/blind_index_key", "HMAC key for blind indexes."),
    "JIAYUAN_DATABASE_PRE_PING": ("0", "1: test each pooled PostgreSQL connection before use (one more round "
                                       "trip per request), for networks that drop idle connections."),
    "JIAYUAN_PLUGINS": ("(all installed)", "Comma-separated allowlist of plugin names."),
    "JIAYUAN_DISABLED_PLUGINS": ("(none)", "Comma-separated plugin names not to load."),
    "JIAYUAN_DEFAULT_LOCALE": ("zh_CN", "Language when the user has not chosen one (zh_CN or en)."),
    "JIAYUAN_TIMEZONE": ("Asia/Shanghai", "Time zone in which times are shown."),
    "JIAYUAN_RATELIMIT_STORAGE_URL": ("memory://", "Flask-Limiter storage, e.g. redis://127.0.0.1:6379."),
    "JIAYUAN_LOGIN_RATE_LIMIT": ("10 per minute", "Rate limit of login and token endpoints."),
    "JIAYUAN_MAIL_BACKEND": ("console", "console or smtp."),
    "JIAYUAN_SMTP_HOST": ("localhost", "SMTP host when the mail backend is smtp."),
    "JIAYUAN_SMTP_PORT": ("25", "SMTP port."),
    "JIAYUAN_SMTP_USER": ("", "SMTP user (optional)."),
    "JIAYUAN_SMTP_PASSWORD": ("", "SMTP password (optional)."),
    "JIAYUAN_MAIL_FROM": ("jiayuan@localhost", "Sender address of e-mail notifications."),
    "JIAYUAN_UPLOAD_MAX_BYTES": ("5242880", "Largest accepted upload in bytes."),
    "JIAYUAN_TEST_DATABASE_URL": ("(unset: SQLite)", "Tests only: PostgreSQL URL for the PostgreSQL pass."),
}


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _list(name: str) -> list[str] | None:
    raw = _env(name)
    if raw is None:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def _key_file(instance: Path, name: str, make) -> str:
    """Read a key from ``instance/name``, creating it on first run so no key lives in code."""
    path = instance / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config mapping; ``overrides`` (tests, embedding) win over the environment."""
    overrides = dict(overrides or {})
    instance = Path(overrides.pop("INSTANCE_PATH", None) or _env("JIAYUAN_INSTANCE_PATH", "instance")).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    config = {
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": _env("JIAYUAN_DATABASE_URL", f"sqlite:///{instance / 'jiayuan.db'}"),
        "SECRET_KEY": _env("JIAYUAN_SECRET_KEY") or _key_file(instance, "secret_key", lambda: secrets.token_hex(32)),
        "ENCRYPTION_KEY": _env("JIAYUAN_ENCRYPTION_KEY")
        or _key_file(instance, "encryption_key", lambda: Fernet.generate_key().decode()),
        "BLIND_INDEX_KEY": _env("JIAYUAN_BLIND_INDEX_KEY")
        or _key_file(instance, "blind_index_key", lambda: secrets.token_hex(32)),
        "DATABASE_PRE_PING": _env("JIAYUAN_DATABASE_PRE_PING", "0").lower() in ("1", "true", "yes"),
        "PLUGINS": _list("JIAYUAN_PLUGINS"),
        "DISABLED_PLUGINS": _list("JIAYUAN_DISABLED_PLUGINS") or [],
        "BABEL_DEFAULT_LOCALE": _env("JIAYUAN_DEFAULT_LOCALE", "zh_CN"),
        "BABEL_DEFAULT_TIMEZONE": _env("JIAYUAN_TIMEZONE", "Asia/Shanghai"),
        "RATELIMIT_STORAGE_URI": _env("JIAYUAN_RATELIMIT_STORAGE_URL", "memory://"),
        "LOGIN_RATE_LIMIT": _env("JIAYUAN_LOGIN_RATE_LIMIT", "10 per minute"),
        "MAIL_BACKEND": _env("JIAYUAN_MAIL_BACKEND", "console"),
        "SMTP_HOST": _env("JIAYUAN_SMTP_HOST", "localhost"),
        "SMTP_PORT": int(_env("JIAYUAN_SMTP_PORT", "25")),
        "SMTP_USER": _env("JIAYUAN_SMTP_USER", ""),
        "SMTP_PASSWORD": _env("JIAYUAN_SMTP_PASSWORD", ""),
        "MAIL_FROM": _env("JIAYUAN_MAIL_FROM", "jiayuan@localhost"),
        "MAX_CONTENT_LENGTH": int(_env("JIAYUAN_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))) * 6,
        "UPLOAD_MAX_BYTES": int(_env("JIAYUAN_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024))),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "WTF_CSRF_TIME_LIMIT": None,
        # API docs (flask-smorest)
        "API_TITLE": "Jiayuan API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": None,
        "OPENAPI_REDOC_PATH": None,
        "API_PAGE_MAX": 200,
        "LOCKOUT_THRESHOLD": 5,
        "LOCKOUT_MINUTES": 15,
    }
    config.update(overrides)
    return config
