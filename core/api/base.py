"""The JSON API under /api/v1: flask-smorest with our error envelope, token auth and pagination."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import functools
import hashlib

import marshmallow as ma
from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import func, select
from webargs.flaskparser import FlaskParser

from core.database import db, utcnow
from core.errors import Unauthorized, handle_http_exception

__all__ = ["Api", "Blueprint", "PageArgs", "register_api", "api_auth", "current_account", "page_of", "PageSchema"]


class ErrorBodySchema(Schema):
    class Meta:
        unknown = ma.INCLUDE  # some errors add details, e.g. a 409's "allowed" moves or "clashes"

    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(required=True)


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


def schema_name(schema) -> str:
    """OpenAPI component name of a marshmallow schema, prefixed with its area or plugin
    (``fees.Rating``, ``tickets.Rating``) so that two modules' ``RatingSchema`` never collide."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    parts = cls.__module__.split(".")
    if parts[0] in ("core", "plugins") and len(parts) > 2:
        return f"{parts[1]}.{name}"
    return name if parts[0] == "core" else f"{parts[0]}.{name}"


def _decimal_properties(converter, field, ret=None, **kwargs) -> dict:
    """Exact amounts travel as strings ("903.75"): document them as such, and give the bounds of a
    Range as numbers (apispec writes them through the field, i.e. as strings, which OpenAPI refuses)."""
    if not isinstance(field, fields.Decimal):
        return {}
    props = {key: float(value) for key, value in (ret or {}).items()
             if key in ("minimum", "maximum", "x-minimum", "x-maximum") and isinstance(value, str | decimal.Decimal)}
    if field.as_string:
        props.update({"type": "string", "format": "decimal"})
    return props


def make_api(app) -> Api:
    from apispec.ext.marshmallow import MarshmallowPlugin
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    if not event.contains(Session, "before_flush", refuse_writes_when_read_only):  # once per process
        event.listen(Session, "before_flush", refuse_writes_when_read_only)
        event.listen(Session, "do_orm_execute", refuse_write_statements_when_read_only)
    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    api = Api(app, spec_kwargs={"marshmallow_plugin": plugin})
    plugin.converter.add_attribute_function(_decimal_properties)
    return api


# ids, counts and minutes live in INTEGER columns (32 bits on PostgreSQL); a bigger number can name
# nothing that exists, and reaching the database it would fail there (overflow on SQLite, out of range
# on PostgreSQL) instead of being refused as bad input
DB_INT_MIN, DB_INT_MAX = -(2**31), 2**31 - 1
# a date near year 1 or 9999 overflows as soon as it is moved to UTC or a day is added to it; no record
# of a residential community lies outside these years
FIRST_DATE, LAST_DATE = dt.date(1800, 1, 1), dt.date(2999, 12, 31)


def _check_integer(value):
    if not DB_INT_MIN <= value <= DB_INT_MAX:
        raise ma.ValidationError(_("Must be between %(low)s and %(high)s.", low=DB_INT_MIN, high=DB_INT_MAX))


def _check_date(value):
    if not FIRST_DATE.year <= value.year <= LAST_DATE.year:
        raise ma.ValidationError(_("Must be between %(low)s and %(high)s.", low=FIRST_DATE.isoformat(),
                                   high=LAST_DATE.isoformat()))


def parse_date(raw: str | None, field: str, default: dt.date | None = None) -> dt.date | None:
    """A date typed into a page's query string or form (ISO ``YYYY-MM-DD``), held to the same years
    as the API's dates; ``default`` when empty. Anything else is a 422 naming ``field``."""
    from core.errors import Invalid

    if not raw:
        return default
    try:
        value = dt.date.fromisoformat(raw)
        _check_date(value)
    except ValueError:
        raise Invalid(fields={field: [_("Not a valid date.")]}) from None
    except ma.ValidationError as exc:
        raise Invalid(fields={field: exc.messages}) from None
    return value


def _guard_field(field) -> None:
    if isinstance(field, fields.Nested):
        _guard_schema(field.schema)
    elif isinstance(field, fields.List):
        _guard_field(field.inner)
    elif isinstance(field, fields.Tuple):
        for inner in field.tuple_fields:
            _guard_field(inner)
    elif isinstance(field, fields.Dict):
        if field.value_field is not None:
            _guard_field(field.value_field)
    else:
        check = (_check_integer if isinstance(field, fields.Integer)
                 else _check_date if isinstance(field, fields.DateTime | fields.Date) else None)
        if check is not None and check not in field.validators:
            field.validators.append(check)


def _guard_schema(schema) -> None:
    """Give every integer and date field of ``schema`` (nested ones too) the range checks, once. They run
    as field validators, so a schema's own post_load already sees values within range."""
    if getattr(schema, "_jiayuan_guarded", False):
        return
    schema._jiayuan_guarded = True
    for field in schema.fields.values():
        _guard_field(field)


class ArgumentsParser(FlaskParser):
    """webargs' parser, refusing integers beyond the database's INTEGER range and dates of no
    plausible year with a 422 naming the field."""

    def _process_location_data(self, location_data, schema, req, location, unknown, validators):
        _guard_schema(schema)
        return super()._process_location_data(location_data, schema, req, location, unknown, validators)


class Blueprint(_Blueprint):
    """flask-smorest's Blueprint with our arguments parser; every area and plugin API uses this one."""

    ARGUMENTS_PARSER = ArgumentsParser()


class Api(_Api):
    """flask-smorest's Api, answering errors with the house envelope."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return handle_http_exception(error)


def register_api(app, blueprint: Blueprint, **options) -> None:
    """Register a flask-smorest blueprint of the API (core's or a plugin's) on ``app``.

    Give it ``url_prefix="/api/v1/<plugin>"``; its routes and schemas appear in the OpenAPI document.
    """
    from core.extensions import csrf

    app.extensions["jiayuan.api"].register_blueprint(blueprint, **options)
    csrf.exempt(blueprint)  # the API authenticates by token; CSRF protects cookie sessions only


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class PageSchema(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


_page_schemas: dict[type, type] = {}


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """``{"items": [...], "page", "per_page", "total", "pages"}`` for ``item_schema``."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = type(
            name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))}
        )
    return _page_schemas[item_schema]


def page_of(stmt, args: dict) -> dict:
    """Run a select with limit/offset and count; returns the page mapping for ``page_schema``."""
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total,
            "pages": (total + per_page - 1) // per_page}


TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _token_statement(read_only: bool = False):
    """The bearer-token lookup, built once: one round trip for the token, its account and the grants
    every permission check reads. A read-only view loads only the columns that reading needs (the
    rest would load on first use); a writing one loads them all, so that its audited changes of an
    account or token see their old values."""
    from sqlalchemy import bindparam
    from sqlalchemy.orm import joinedload, load_only

    from core.auth.models import Account, ApiToken, Grant

    account = joinedload(ApiToken.account)
    grants = account.joinedload(Account.grants)
    options = [grants]
    if read_only:
        options = [load_only(ApiToken.account_id, ApiToken.last_used_at, ApiToken.expires_at, ApiToken.revoked_at),
                   account.load_only(Account.username, Account.display_name, Account.person_id, Account.active,
                                     Account.locale),
                   grants.load_only(Grant.account_id, Grant.role, Grant.scope_type, Grant.scope_id)]
    return select(ApiToken).where(ApiToken.token_hash == bindparam("token_hash")).options(*options)


def _account_from_bearer():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = db.session.scalar(_token_statement(bool(db.session.info.get("read_only"))),
                              {"token_hash": hash_token(header[7:].strip())})
    now = utcnow()
    if token is None or token.revoked_at is not None or (token.expires_at and token.expires_at < now):
        raise Unauthorized(code="invalid_token")
    if not token.account.active:
        raise Unauthorized(code="account_disabled")
    stale = token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL
    if stale and request.method not in ("GET", "HEAD", "OPTIONS"):
        # only writing requests commit, and at most once a minute: reads neither write nor audit
        token.last_used_at = now
    return token.account


def current_account():
    """The acting account of an API request (bearer token, or the web session for safe methods)."""
    return g.get("account")


def api_auth(fn=None, *, read_only: bool = False):
    """Require an authenticated account; a session cookie is accepted only for safe methods.

    ``@api_auth(read_only=True)`` marks a view that never writes: on PostgreSQL its statements run
    without a transaction around them (no BEGIN and ROLLBACK round trips; under READ COMMITTED every
    statement reads its own snapshot either way), and any attempt to write raises instead.
    """
    if fn is None:
        return functools.partial(api_auth, read_only=read_only)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with read_only_session() if read_only else contextlib.nullcontext():
            account = _account_from_bearer()
            if account is None and request.method in ("GET", "HEAD", "OPTIONS") and current_user.is_authenticated:
                account = current_user._get_current_object()
            if account is None:
                raise Unauthorized()
            g.account = account
            return fn(*args, **kwargs)

    return wrapper


class ReadOnlyViolation(RuntimeError):
    """A view declared read-only tried to write: a programming error, never half-written data."""


@contextlib.contextmanager
def read_only_session():
    """Run the block on the request's own, still unused session in read-only mode, then close it.

    A session already in use (an outer context's) is left exactly as it is."""
    session = db.session()
    if session.in_transaction():
        yield session
        return
    session.info["read_only"] = True
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield session
    finally:
        session.info.pop("read_only", None)
        session.close()  # the connection goes back to the pool in its usual transactional mode


def refuse_writes_when_read_only(session, _flush_context=None, _instances=None) -> None:
    """``before_flush``: a read-only session must have nothing to flush."""
    if session.info.get("read_only") and (
            session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)):
        raise ReadOnlyViolation("a read-only API view tried to write")


def refuse_write_statements_when_read_only(state) -> None:
    """``do_orm_execute``: nor run an INSERT, UPDATE or DELETE of its own."""
    if state.session.info.get("read_only") and (state.is_insert or state.is_update or state.is_delete):
        raise ReadOnlyViolation("a read-only API view tried to write")
