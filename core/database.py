"""The database handle, the declarative base and the exact column types shared by every area."""

from __future__ import annotations

import datetime as dt
import gc
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, TypeDecorator, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints: Alembic's batch mode on SQLite needs names to alter a table.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CENT = Decimal("0.01")


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC: every stored time is UTC."""
    return dt.datetime.now(dt.UTC)


def quantize(value, exp: Decimal = CENT) -> Decimal:
    """Round a number to ``exp`` with ROUND_HALF_UP, the rounding Chinese billing uses."""
    return Decimal(str(value)).quantize(exp, rounding=ROUND_HALF_UP)


@contextmanager
def bulk_allocation():
    """Pause CPython's cyclic garbage collector while a bulk read or write builds its rows.

    A billing run or an evaluation of every area allocates from tens of thousands to a million
    short-lived, acyclic objects (rows, tuples, parameter dicts), freed by reference counting; the
    collector would still rescan them hundreds or thousands of times (seen: 8 to 15% of the work).
    Cycles made meanwhile are collected once it resumes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Model(db.Model):
    """Abstract base of every table: an integer id and creation/update times in UTC."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class _ScaledDecimal(TypeDecorator):
    """Exact decimal stored as an integer count of the smallest unit (SQLite has no DECIMAL)."""

    impl = BigInteger
    cache_ok = True
    scale = 100

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int(quantize(value, Decimal(1) / self.scale) * self.scale)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(value) / self.scale).quantize(Decimal(1) / self.scale)


class Money(_ScaledDecimal):
    """Yuan as ``Decimal`` with two places, stored as integer fen."""

    cache_ok = True  # SQLAlchemy asks each TypeDecorator subclass for itself


class Area(_ScaledDecimal):
    """Square metres as ``Decimal`` with two places, stored as integer 0.01 m²."""

    cache_ok = True


class Encrypted(TypeDecorator):
    """A string encrypted at rest with the configured Fernet key (see core.security)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from core.security import encrypt

        return None if value is None else encrypt(value)

    def process_result_value(self, value, dialect):
        from core.security import decrypt

        return None if value is None else decrypt(value)
