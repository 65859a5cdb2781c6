"""Accounts: passwords, lockout, grants, API tokens."""

from __future__ import annotations

import datetime as dt
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from core.api.base import hash_token
from core.audit.services import record
from core.auth.models import Account, ApiToken, Grant, Role, ScopeType
from core.database import db, utcnow
from core.errors import Conflict, Invalid, NotFound

# scrypt: memory-hard, the strongest hasher Werkzeug ships
HASH_METHOD = "scrypt"


class LoginRefused(Exception):
    def __init__(self, reason: str, until: dt.datetime | None = None):
        super().__init__(reason)
        self.reason, self.until = reason, until


def password_problem(password: str) -> str | None:
    if len(password) < 10:
        return _l("Use at least 10 characters.")
    if password.isdigit() or password.isalpha():
        return _l("Mix letters with digits or symbols.")
    return None


def create_account(username: str, password: str, display_name: str, *, organisation_id=None, person_id=None,
                   email=None, phone=None, check_strength: bool = True) -> Account:
    if db.session.scalar(select(Account.id).where(Account.username == username)):
        raise Conflict(_l("This username is taken."), fields={"username": [_l("This username is taken.")]})
    if check_strength and (problem := password_problem(password)):
        raise Invalid(fields={"password": [problem]})
    account = Account(username=username, password_hash=generate_password_hash(password, HASH_METHOD),
                      display_name=display_name, organisation_id=organisation_id, person_id=person_id,
                      email=email, phone=phone)
    db.session.add(account)
    db.session.flush()
    return account


def grant(account: Account, role: Role | str, scope_type: ScopeType | str, scope_id: int | None,
          organisation_id: int | None = None) -> Grant:
    role, scope_type = Role(role), ScopeType(scope_type)
    if (role == Role.platform_admin) != (scope_type == ScopeType.platform):
        raise Invalid(fields={"scope_type": [_l("platform_admin is granted on the platform, and only it.")]})
    for existing in account.grants:
        if (existing.role, existing.scope_type, existing.scope_id) == (role, scope_type, scope_id):
            return existing
    row = Grant(account=account, role=role, scope_type=scope_type, scope_id=scope_id,
                organisation_id=organisation_id if organisation_id is not None else account.organisation_id)
    db.session.add(row)
    db.session.flush()
    return row


def authenticate(username: str, password: str) -> Account:
    """Check a login; counts failures and locks the account for a while after too many."""
    account = db.session.scalar(select(Account).where(Account.username == username))
    now = utcnow()
    if account is None:
        # same work as a real check, so timing does not reveal which usernames exist
        check_password_hash(generate_password_hash("x", HASH_METHOD), password)
        raise LoginRefused("bad_credentials")
    if account.locked_until and account.locked_until > now:
        raise LoginRefused("locked", account.locked_until)
    if not account.active:
        raise LoginRefused("disabled")
    if not check_password_hash(account.password_hash, password):
        account.failed_logins += 1
        if account.failed_logins >= current_app.config["LOCKOUT_THRESHOLD"]:
            account.locked_until = now + dt.timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
            account.failed_logins = 0
            record(account, "locked", "Account", account.id)
        db.session.commit()
        raise LoginRefused("bad_credentials")
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    return account


def change_password(account: Account, old: str, new: str) -> None:
    if not check_password_hash(account.password_hash, old):
        raise Invalid(fields={"old_password": [_l("The current password is wrong.")]})
    if problem := password_problem(new):
        raise Invalid(fields={"new_password": [problem]})
    account.password_hash = generate_password_hash(new, HASH_METHOD)
    db.session.flush()


def create_token(account: Account, name: str, days: int | None = 365) -> tuple[ApiToken, str]:
    """Make a bearer token; the plain value is returned once and never stored."""
    if not name.strip() or len(name) > 60:
        raise Invalid(fields={"name": [_l("Give the token a name of at most 60 characters.")]})
    plain = "jy_" + secrets.token_urlsafe(32)
    token = ApiToken(account_id=account.id, name=name.strip(), token_hash=hash_token(plain), prefix=plain[:8],
                     expires_at=utcnow() + dt.timedelta(days=days) if days else None)
    db.session.add(token)
    db.session.flush()
    return token, plain


def revoke_token(account: Account, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.account_id != account.id:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token
