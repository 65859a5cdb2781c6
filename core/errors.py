"""One error envelope for every 4xx: ``{"error": {"code", "message", "fields"}}``.

API requests get it as JSON; pages get an error page with the same message. Messages go through
gettext so the user reads them in their language.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """Raise from services and views; turned into the envelope with ``status``."""

    status = 400
    code = "bad_request"
    default_message = _l("The request could not be understood.")

    def __init__(self, message=None, *, code: str | None = None, status: int | None = None,
                 fields: dict | None = None, extra: dict | None = None):
        super().__init__(str(message or self.default_message))
        self.message = message or self.default_message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields or {}
        self.extra = extra or {}


class NotFound(AppError):
    status, code, default_message = 404, "not_found", _l("Not found.")


class Forbidden(AppError):
    status, code, default_message = 403, "forbidden", _l("You are not allowed to do this.")


class Unauthorized(AppError):
    status, code, default_message = 401, "unauthorized", _l("Please log in.")


class Conflict(AppError):
    status, code, default_message = 409, "conflict", _l("This conflicts with the current state.")


class Invalid(AppError):
    status, code, default_message = 422, "invalid", _l("Some fields are invalid.")


_HTTP_CODES = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Please log in.")),
    403: ("forbidden", _l("You are not allowed to do this.")),
    404: ("not_found", _l("Not found.")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    409: ("conflict", _l("This conflicts with the current state.")),
    413: ("too_large", _l("The upload is too large.")),
    415: ("unsupported_media_type", _l("Unsupported content type.")),
    422: ("invalid", _l("Some fields are invalid.")),
    429: ("rate_limited", _l("Too many attempts; please wait a moment and try again.")),
}

# marshmallow's own messages, so field errors read in the user's language too
_FIELD_MESSAGES = {
    "Missing data for required field.": _l("This field is required."),
    "Not a valid integer.": _l("Not a valid whole number."),
    "Not a valid number.": _l("Not a valid number."),
    "Not a valid string.": _l("Not a valid text."),
    "Not a valid boolean.": _l("Not a valid yes/no value."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid date and time."),
    "Unknown field.": _l("Unknown field."),
    "Field may not be null.": _l("This field may not be empty."),
    "Invalid input type.": _l("Wrong type of value."),
    "Not a valid email address.": _l("Not a valid e-mail address."),
    "Invalid JSON body.": _l("The body is not valid JSON."),
    "Not a valid list.": _l("Not a valid list."),
    "Not a valid mapping type.": _l("Not a valid object."),
}


# marshmallow's validators word their messages in English with the figures inside: each pattern
# here gives the figures to a translated sentence (first match wins; order matters).
_MARSHMALLOW_MESSAGES = [(re.compile(pattern), message) for pattern, message in (
    (r"Longer than maximum length (?P<n>\d+)\.", _l("Longer than the maximum of %(n)s characters.")),
    (r"Shorter than minimum length (?P<n>\d+)\.", _l("Shorter than the minimum of %(n)s characters.")),
    (r"Length must be between (?P<min>\d+) and (?P<max>\d+)\.", _l("Must be %(min)s to %(max)s characters long.")),
    (r"Length must be (?P<n>\d+)\.", _l("Must be exactly %(n)s characters long.")),
    (r"Must be greater than or equal to (?P<min>[-\d.]+) and less than or equal to (?P<max>[-\d.]+)\.",
     _l("Must be between %(min)s and %(max)s.")),
    (r"Must be greater than or equal to (?P<n>[-\d.]+)\.", _l("Must be at least %(n)s.")),
    (r"Must be less than or equal to (?P<n>[-\d.]+)\.", _l("Must be at most %(n)s.")),
    (r"Must be greater than (?P<n>[-\d.]+)\.", _l("Must be more than %(n)s.")),
    (r"Must be less than (?P<n>[-\d.]+)\.", _l("Must be less than %(n)s.")),
    (r"Must be (?P<rule>(greater|less) than .*)\.", _l("Out of the allowed range: %(rule)s.")),  # rare mixes
    (r"Must be one of: (?P<choices>.*)\.", _l("Must be one of: %(choices)s.")),
)]


def _translate(message):
    if isinstance(message, list):
        return [_translate(m) for m in message]
    if isinstance(message, dict):
        return {k: _translate(v) for k, v in message.items()}
    text = str(message)
    if text in _FIELD_MESSAGES:
        return str(_FIELD_MESSAGES[text])
    for pattern, translated in _MARSHMALLOW_MESSAGES:
        m = pattern.fullmatch(text)
        if m:
            return str(translated) % m.groupdict()
    return text


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def envelope(code: str, message, fields: dict | None = None, extra: dict | None = None) -> dict:
    body = {"code": code, "message": str(message), "fields": _translate(fields or {})}
    body.update(extra or {})
    return {"error": body}


def respond(status: int, code: str, message, fields=None, extra=None, headers=None):
    if wants_json():
        resp = jsonify(envelope(code, message, fields, extra))
    else:
        resp = render_template("error.html", status=status, code=code, message=str(message),
                               fields=_translate(fields or {}))
        resp = Flask.response_class(resp, mimetype="text/html")
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _fields_from_webargs(exc: HTTPException) -> dict:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or {}
    merged: dict = {}
    for _location, errs in messages.items():
        if isinstance(errs, dict):
            merged.update(errs)
        else:
            merged.setdefault("_schema", []).extend(errs if isinstance(errs, list) else [errs])
    return merged


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    code, message = _HTTP_CODES.get(status, ("error", exc.description or "Error"))
    fields = _fields_from_webargs(exc)
    if status == 400 and "json" in ((getattr(exc, "data", None) or {}).get("messages") or {}):
        code, message = "invalid_json", _("The body is not valid JSON.")
        fields = {}
    elif status == 400 and fields:
        code, message, status = "invalid", _HTTP_CODES[422][1], 422
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    if status == 429:
        headers["Retry-After"] = "60"
    return respond(status, code, message, fields, headers=headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(exc: AppError):
        return respond(exc.status, exc.code, exc.message, exc.fields, exc.extra)

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return respond(400, "csrf", _("The form has expired or lacks its security token; reload and try again."))

    app.register_error_handler(HTTPException, handle_http_exception)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(exc):
        """A value the database cannot hold (an id beyond its integers, a too long text) that a form
        or a service let through: the caller's mistake, refused whole. API arguments are checked
        field by field before this (core.api.base); this is the net under the HTML forms."""
        from core.database import db

        db.session.rollback()
        log.info("value out of range for the database: %s", exc)
        return respond(422, "invalid", _("A value is out of the range the platform can store."))

    @app.errorhandler(Exception)
    def _unexpected(exc):  # pragma: no cover - last resort; tests assert it is never reached
        if isinstance(exc, HTTPException):
            return handle_http_exception(exc)
        log.exception("unhandled error")
        if app.config.get("PROPAGATE_UNHANDLED"):
            raise exc
        return respond(500, "internal", _("Something went wrong on our side; it has been logged."))
