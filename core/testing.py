"""pytest plugin for Jiayuan and its plugin authors (registered through the ``pytest11`` entry point).

Fixtures:

- ``app``: an application on a fresh, migrated test database (SQLite file, or PostgreSQL when
  ``JIAYUAN_TEST_DATABASE_URL`` is set: a database of its own is created and dropped);
- ``make_app(config=None, plugins=None)``: another application on the same database, e.g. with a
  test plugin registered or CSRF switched on;
- ``db``: the database handle inside an app context; every table is emptied after each test;
- ``client``: a test client; ``login_as(role, scope)`` logs it in; ``api_headers(account)``;
- ``make``: factories for areas, communities, buildings, units, people, owners and accounts.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import itertools
import os
import uuid
from decimal import Decimal

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

TEST_DB_ENV = "JIAYUAN_TEST_DATABASE_URL"


def pytest_addoption(parser):
    parser.addini("jiayuan_plugins", type="args", default=[],
                  help="Installed Jiayuan plugins (entry-point names) to load besides the built-in ones")


def plugins_for_tests(config) -> list[str]:
    """The plugins a test app loads: the built-in ones, and the installed ones the ini names."""
    from importlib.metadata import entry_points

    from core.plugins import GROUP

    builtin = [ep.name for ep in entry_points(group=GROUP) if ep.value.startswith("plugins.")]
    return builtin + list(config.getini("jiayuan_plugins"))


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres_only: needs PostgreSQL (skipped on SQLite)")
    config.addinivalue_line("markers", "heavy: scale or concurrency test, run on PostgreSQL only")
    config.addinivalue_line("markers", "e2e: browser test")


def is_postgres() -> bool:
    return bool(os.environ.get(TEST_DB_ENV, "").startswith("postgresql"))


def pytest_collection_modifyitems(config, items):
    if is_postgres():
        return
    reason = "runs in the PostgreSQL pass of make test"
    for item in items:
        if item.get_closest_marker("postgres_only") or item.get_closest_marker("heavy"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A URL of an empty database for this test session."""
    base = os.environ.get(TEST_DB_ENV)
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    url = make_url(base)
    name = f"jy_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class JiayuanClient(FlaskClient):
    """A test client whose requests run like real ones: in an app context of their own (so ``g``,
    the locale and the database session are not shared with the test), after the test's pending
    rows are committed, and followed by an expiry so the test reads what the request wrote."""

    def open(self, *args, **kwargs):
        from core.database import db as handle

        outer = has_app_context()
        if outer:
            handle.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if outer:
            handle.session.expire_all()
        return response


def _base_config(database_url: str, instance: str, plugins: list[str]) -> dict:
    engine = {}
    if database_url.startswith("postgresql"):
        # tests need no durability: don't wait for the disk on every commit
        engine = {"connect_args": {"options": "-c synchronous_commit=off"}, "pool_pre_ping": True}
    return {
        "PLUGINS": plugins,
        "SQLALCHEMY_ENGINE_OPTIONS": engine,
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": instance,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_BACKEND": "console",
        "PROPAGATE_UNHANDLED": True,
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _instance(tmp_path_factory):
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app(database_url, _instance, pytestconfig):
    from core.app import create_app
    from core.migrate import upgrade_all

    application = create_app(_base_config(database_url, _instance, plugins_for_tests(pytestconfig)))
    application.test_client_class = JiayuanClient
    upgrade_all(application)
    return application


@pytest.fixture
def make_app(database_url, _instance, app, pytestconfig):
    """Build another app on the same (migrated) database: ``make_app({"WTF_CSRF_ENABLED": True})``,
    ``make_app(plugins=[module])`` to register a plugin module directly (its tables must exist)."""
    from core.app import create_app

    def build(config: dict | None = None, plugins: list | None = None):
        base = _base_config(database_url, _instance, plugins_for_tests(pytestconfig))
        built = create_app({**base, **(config or {})}, plugins=plugins)
        built.test_client_class = JiayuanClient
        return built

    return build


def _empty_all_tables(database):
    """DELETE every row, in one transaction. (TRUNCATE would be simpler, but on PostgreSQL it
    rewrites and syncs each table: over a second per test here, against milliseconds for DELETE.)"""
    from core.database import db as handle

    with handle.engine.begin() as conn:
        # a disabled plugin's models may be imported (e.g. by a test loading every plugin) without its
        # tables being migrated: empty only the tables that exist
        existing = set(inspect(conn).get_table_names())
        tables = [t for t in reversed(handle.metadata.sorted_tables) if t.name in existing]
        if conn.dialect.name == "postgresql":
            # foreign keys are checked by triggers: skip them while emptying everything
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("PRAGMA foreign_keys=OFF"))
        for t in tables:
            conn.execute(t.delete())
        if conn.dialect.name != "postgresql":
            conn.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def db(app):
    from core.database import db as handle

    ctx = app.app_context()
    ctx.push()
    try:
        yield handle
    finally:
        handle.session.rollback()
        handle.session.remove()
        _empty_all_tables(handle)
        app.extensions.pop("jiayuan.outbox", None)
        ctx.pop()


@pytest.fixture
def client(app, db):
    return app.test_client()


class Factory:
    """Builds register rows with sensible defaults; every call flushes and returns the object."""

    _seq = itertools.count(1)

    def __init__(self, db):
        self.db = db

    def _n(self) -> int:
        return next(self._seq)

    def _add(self, obj):
        self.db.session.add(obj)
        self.db.session.flush()
        return self._done(obj)

    def _done(self, obj):
        """Called with every object made; a subclass may commit here (browser tests do)."""
        return obj

    def street_office(self, **kw):
        from core.places.models import StreetOffice

        return self._add(StreetOffice(**{"name": f"街道{self._n()}", **kw}))

    def area(self, street_office=None, **kw):
        from core.places.models import Area

        street_office = street_office or self.street_office()
        return self._add(Area(**{"street_office_id": street_office.id, "name": f"社区{self._n()}", **kw}))

    def company(self, **kw):
        from core.places.models import Organisation, OrgKind

        return self._add(Organisation(**{"kind": OrgKind.property_company, "name": f"物业公司{self._n()}", **kw}))

    def organisation(self, kind, **kw):
        from core.places.models import Organisation, OrgKind

        return self._add(Organisation(**{"kind": OrgKind(kind), "name": f"{kind}{self._n()}", **kw}))

    def community(self, area=None, company=None, **kw):
        from core.places.models import Community

        area = area or self.area()
        company = company or self.company()
        return self._add(Community(**{"area_id": area.id, "company_id": company.id, "name": f"小区{self._n()}",
                                      **kw}))

    def building(self, community=None, **kw):
        from core.places.models import Building

        community = community or self.community()
        return self._add(Building(**{"area_id": community.area_id, "community_id": community.id,
                                     "name": f"{self._n()}栋", "floors": 18, **kw}))

    def unit(self, building=None, **kw):
        from core.places.models import AreaSource, Unit

        building = building or self.building()
        n = self._n()
        defaults = {"area_id": building.area_id, "community_id": building.community_id, "building_id": building.id,
                    "number": f"{n:04d}", "floor": 1, "building_area": Decimal("100.00"),
                    "building_area_source": AreaSource.register, "exclusive_area": Decimal("80.00"),
                    "exclusive_area_source": AreaSource.survey}
        return self._add(Unit(**{**defaults, **kw}))

    def person(self, **kw):
        from core.people.models import Person

        return self._add(Person(**{"name": f"居民{self._n()}", "birth_date": dt.date(1980, 5, 1),
                                   "phone": f"139{self._n():08d}", **kw}))

    def owner(self, unit=None, person=None, lives_there: bool = True, **kw):
        """A person owning ``unit`` (and living there unless told otherwise); returns the person."""
        from core.people.models import Ownership, ResidencyKind

        unit = unit or self.unit()
        person = person or self.person(area_id=unit.area_id)
        self._add(Ownership(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                            person_id=person.id, share=Decimal(1), start_date=dt.date(2020, 1, 1), **kw))
        if lives_there:
            self.resident(unit, person, ResidencyKind.owner)
        return person

    def resident(self, unit, person=None, kind="family", **kw):
        from core.people.models import Residency, ResidencyKind

        person = person or self.person(area_id=unit.area_id)
        self._add(Residency(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                            person_id=person.id, kind=ResidencyKind(kind), start_date=dt.date(2020, 1, 1), **kw))
        return person

    def account(self, role: str | None = None, scope=None, person=None, username=None, password="test-pass-123",
                organisation=None, **kw):
        """An account; with ``role``, granted on ``scope`` (Community, Area, StreetOffice, a company
        Organisation, or None for platform_admin)."""
        from core.auth.models import ScopeType
        from core.auth.services import create_account, grant
        from core.places.models import Area, Community, Organisation, StreetOffice

        n = self._n()
        org_id = organisation.id if organisation is not None else None
        if org_id is None and isinstance(scope, Community):
            org_id = scope.company_id
        account = create_account(username or f"user{n}", password, kw.pop("display_name", f"用户{n}"),
                                  organisation_id=org_id, person_id=person.id if person else None,
                                  check_strength=False, **kw)
        if role:
            if role == "platform_admin":
                scope_type, scope_id = ScopeType.platform, None
            elif isinstance(scope, Community):
                scope_type, scope_id = ScopeType.community, scope.id
            elif isinstance(scope, Area):
                scope_type, scope_id = ScopeType.area, scope.id
            elif isinstance(scope, StreetOffice):
                scope_type, scope_id = ScopeType.street, scope.id
            elif isinstance(scope, Organisation):
                scope_type, scope_id = ScopeType.company, scope.id
            else:
                raise ValueError(f"role {role} needs a scope")
            grant(account, role, scope_type, scope_id)
        return self._done(account)


@pytest.fixture
def make(db):
    return Factory(db)


@pytest.fixture
def login_as(client, make, db):
    """``login_as("manager", community)`` → the logged-in Account; ``login_as("owner", unit)`` logs in
    an owner of that unit; ``login_as(account)`` logs in an existing account."""

    def login(role_or_account, scope=None, **kw):
        from core.auth.models import Account

        if isinstance(role_or_account, Account):
            account = role_or_account
        elif role_or_account in ("owner", "resident"):
            unit = scope if scope is not None else make.unit()
            person = make.owner(unit) if role_or_account == "owner" else make.resident(unit, kind="tenant")
            account = make.account(person=person, **kw)
        else:
            account = make.account(role_or_account, scope, **kw)
        db.session.commit()
        with client.session_transaction() as sess:
            sess["_user_id"] = str(account.id)
            sess["_fresh"] = True
        return account

    return login


@pytest.fixture
def api_headers(db):
    """``api_headers(account)`` → headers with a fresh bearer token for that account."""

    def headers(account):
        from core.auth.services import create_token

        _token, plain = create_token(account, "test")
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return headers


def assert_envelope(response, status: int, code: str | None = None) -> dict:
    """Assert the house error envelope with ``status`` (and ``code``); returns the error body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert body is not None and set(body) == {"error"}, body
    assert {"code", "message", "fields"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
