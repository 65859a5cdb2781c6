"""Accounts and roles administration: who may manage which accounts, and which grants are valid.

platform_admin manages every account; a company_admin manages the accounts of its own organisation
and grants company roles only on the communities its company serves. Every rule takes the acting
account explicitly; functions flush, never commit.
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from werkzeug.security import generate_password_hash

from core.audit.services import record
from core.auth import services as auth_services
from core.auth.models import Account, Grant, Role, ScopeType
from core.auth.permissions import can, person_unit_ids
from core.database import db
from core.errors import Conflict, Forbidden, Invalid, NotFound
from core.places.models import Area, Community, Organisation, OrgKind, StreetOffice

R, S = Role, ScopeType
COMPANY_ROLES = frozenset({R.company_admin, R.manager, R.staff, R.guard})
# Which scopes each role may be granted on.
ROLE_SCOPES: dict[Role, frozenset[ScopeType]] = {
    R.platform_admin: frozenset({S.platform}),
    R.company_admin: frozenset({S.community, S.company}),
    R.manager: frozenset({S.community, S.company}),
    R.staff: frozenset({S.community, S.company}),
    R.guard: frozenset({S.community, S.company}),
    R.committee_member: frozenset({S.community}),
    R.developer_rep: frozenset({S.community}),
    R.rc_staff: frozenset({S.area, S.street}),
    R.drugfree_officer: frozenset({S.area, S.street}),
    R.auditor: frozenset({S.community, S.area, S.street, S.company}),
}


def is_platform_admin(actor: Account) -> bool:
    return any(g.role == R.platform_admin and g.scope_type == S.platform for g in actor.grants)


def managed_company_ids(actor: Account) -> set[int]:
    """Companies whose accounts ``actor`` manages as company_admin (its organisation's)."""
    ids = set()
    for g in actor.grants:
        if g.role == R.company_admin:
            org = g.organisation_id or actor.organisation_id
            if org is not None:
                ids.add(org)
    return ids


def can_manage_accounts(actor: Account) -> bool:
    return bool(actor and actor.is_authenticated and actor.active and can(actor, "accounts.manage"))


def require_manager(actor: Account) -> None:
    if not can_manage_accounts(actor):
        raise Forbidden()


def manages(actor: Account, account: Account) -> bool:
    """May ``actor`` edit ``account`` (disable, reset its password, change its grants)?"""
    if is_platform_admin(actor):
        return True
    if is_platform_admin(account):
        return False
    return account.organisation_id is not None and account.organisation_id in managed_company_ids(actor)


def accounts_query(actor: Account, q: str | None = None, organisation_id: int | None = None,
                   active: bool | None = None):
    """The accounts ``actor`` may see, searched by username/name/e-mail/phone."""
    require_manager(actor)
    stmt = select(Account).order_by(Account.username)
    if not is_platform_admin(actor):
        stmt = stmt.where(Account.organisation_id.in_(managed_company_ids(actor) or {-1}))
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Account.username.ilike(like), Account.display_name.ilike(like),
                              Account.email.ilike(like), Account.phone.ilike(like)))
    if organisation_id is not None:
        stmt = stmt.where(Account.organisation_id == organisation_id)
    if active is not None:
        stmt = stmt.where(Account.active.is_(active))
    return stmt


def get_account(actor: Account, account_id: int) -> Account:
    require_manager(actor)
    account = db.session.get(Account, account_id)
    if account is None or not manages(actor, account):
        raise NotFound()
    return account


def create(actor: Account, *, username: str, password: str, display_name: str, organisation_id=None,
           email=None, phone=None) -> Account:
    """Create a back-office account; a company_admin only in its own organisation."""
    require_manager(actor)
    username, display_name = (username or "").strip(), (display_name or "").strip()
    errors = {}
    if not username:
        errors["username"] = [_l("This field is required.")]
    if not display_name:
        errors["display_name"] = [_l("This field is required.")]
    if errors:
        raise Invalid(fields=errors)
    if not is_platform_admin(actor):
        mine = managed_company_ids(actor)
        if organisation_id is None and len(mine) == 1:
            organisation_id = next(iter(mine))
        if organisation_id not in mine:
            raise Forbidden(_l("You may create accounts of your own organisation only."))
    if organisation_id is not None and db.session.get(Organisation, organisation_id) is None:
        raise Invalid(fields={"organisation_id": [_l("Unknown organisation.")]})
    account = auth_services.create_account(username, password, display_name, organisation_id=organisation_id,
                                           email=email or None, phone=phone or None)
    record(actor, "create", "Account", account.id, changes={"username": username})
    return account


def update(actor: Account, account: Account, **values) -> Account:
    if not manages(actor, account):
        raise Forbidden()
    for key in ("display_name", "email", "phone", "locale"):
        if key in values and values[key] is not None:
            setattr(account, key, values[key] or None if key != "display_name" else values[key])
    if "active" in values and values["active"] is not None:
        set_active(actor, account, values["active"])
    db.session.flush()
    return account


def set_active(actor: Account, account: Account, active: bool) -> Account:
    """Disable or enable an account; nobody disables themselves (a platform needs an admin)."""
    if not manages(actor, account):
        raise Forbidden()
    if account.id == actor.id and not active:
        raise Conflict(_l("You cannot disable your own account."))
    if account.active != active:
        account.active = active
        record(actor, "enable" if active else "disable", "Account", account.id)
        db.session.flush()
    return account


def reset_password(actor: Account, account: Account, password: str | None = None) -> str:
    """Set a new password (a random one when none is given); returns it to hand over once."""
    if not manages(actor, account):
        raise Forbidden()
    password = password or ("Jy-" + secrets.token_urlsafe(9))
    if problem := auth_services.password_problem(password):
        raise Invalid(fields={"password": [problem]})
    account.password_hash = generate_password_hash(password, auth_services.HASH_METHOD)
    account.failed_logins, account.locked_until = 0, None
    record(actor, "reset_password", "Account", account.id)
    db.session.flush()
    return password


def _scope_object(scope_type: ScopeType, scope_id):
    model = {S.community: Community, S.area: Area, S.street: StreetOffice, S.company: Organisation}.get(scope_type)
    if model is None:
        return None
    obj = db.session.get(model, scope_id) if isinstance(scope_id, int) else None
    if obj is None or (scope_type == S.company and obj.kind != OrgKind.property_company):
        raise Invalid(fields={"scope_id": [_l("Unknown scope.")]})
    return obj


def check_grant(actor: Account, account: Account, role, scope_type, scope_id):
    """Validate a grant and that ``actor`` may give it; returns (role, scope_type, scope_object)."""
    try:
        role = Role(role)
    except ValueError:
        raise Invalid(fields={"role": [_l("Unknown role.")]}) from None
    try:
        scope_type = ScopeType(scope_type)
    except ValueError:
        raise Invalid(fields={"scope_type": [_l("Unknown scope type.")]}) from None
    if scope_type not in ROLE_SCOPES[role]:
        allowed = ", ".join(sorted(ROLE_SCOPES[role]))
        raise Invalid(fields={"scope_type": [_l("This role is granted on: %(scopes)s.", scopes=allowed)]})
    if scope_type == S.platform:
        scope_id = None
    scope = _scope_object(scope_type, scope_id)
    # who may give it first (403), then whether it fits the account (422)
    if not manages(actor, account):
        raise Forbidden()
    if not is_platform_admin(actor):
        mine = managed_company_ids(actor)
        on_mine = (scope_type == S.community and scope.company_id in mine) or (
            scope_type == S.company and scope.id in mine)
        if role not in COMPANY_ROLES or not on_mine:
            raise Forbidden(_l("You may grant your company's roles on your company's communities only."))
    if role in COMPANY_ROLES and account.organisation_id is not None:
        company = scope.company_id if scope_type == S.community else scope.id
        if company != account.organisation_id:
            raise Invalid(fields={"scope_id": [_l("A company's roles are granted only on that company's communities.")]})
    return role, scope_type, scope


def add_grant(actor: Account, account: Account, role, scope_type, scope_id=None) -> Grant:
    role, scope_type, scope = check_grant(actor, account, role, scope_type, scope_id)
    sid = None if scope is None else scope.id
    org = account.organisation_id
    if org is None and scope_type == S.community and role in COMPANY_ROLES:
        org = scope.company_id
    row = auth_services.grant(account, role, scope_type, sid, organisation_id=org)
    record(actor, "grant", "Account", account.id,
           changes={"role": str(role), "scope_type": str(scope_type), "scope_id": sid},
           area_id=getattr(scope, "area_id", None) if scope_type in (S.community, S.area) else None,
           community_id=sid if scope_type == S.community else None)
    return row


def revoke_grant(actor: Account, account: Account, grant_id: int) -> None:
    row = next((g for g in account.grants if g.id == grant_id), None)
    if row is None:
        raise NotFound()
    if not manages(actor, account):
        raise Forbidden()
    if not is_platform_admin(actor):
        mine = managed_company_ids(actor)
        scope = _scope_object(row.scope_type, row.scope_id)
        on_mine = (row.scope_type == S.community and scope.company_id in mine) or (
            row.scope_type == S.company and row.scope_id in mine)
        if not on_mine:
            raise Forbidden()
    if row.role == R.platform_admin and account.id == actor.id:
        raise Conflict(_l("You cannot revoke your own platform administration."))
    account.grants.remove(row)
    record(actor, "revoke", "Account", account.id,
           changes={"role": str(row.role), "scope_type": str(row.scope_type), "scope_id": row.scope_id})
    db.session.flush()


def scope_label(grant: Grant, names: dict) -> str:
    if grant.scope_type == S.platform:
        return "—"  # the scope type already says: the whole platform
    return names.get((grant.scope_type, grant.scope_id), f"#{grant.scope_id}")


def scope_names(grants) -> dict:
    """Names of the scopes of ``grants``, one query per scope type."""
    by_type: dict = {}
    for g in grants:
        by_type.setdefault(g.scope_type, set()).add(g.scope_id)
    out = {}
    models = {S.community: Community, S.area: Area, S.street: StreetOffice, S.company: Organisation}
    for st, ids in by_type.items():
        model = models.get(st)
        if model is None:
            continue
        for obj in db.session.scalars(select(model).where(model.id.in_(ids))):
            out[(st, obj.id)] = obj.name
    return out


def grantable_scopes(actor: Account) -> list[tuple[str, int | None, str]]:
    """Scopes ``actor`` may pick when granting: (scope_type, id, name); a company_admin only its own."""
    if is_platform_admin(actor):
        out: list[tuple[str, int | None, str]] = [("platform", None, "")]
        out += [("street", o.id, o.name) for o in db.session.scalars(select(StreetOffice).order_by(StreetOffice.name))]
        out += [("area", o.id, o.name) for o in db.session.scalars(select(Area).order_by(Area.name))]
        out += [("company", o.id, o.name) for o in db.session.scalars(
            select(Organisation).where(Organisation.kind == OrgKind.property_company).order_by(Organisation.name))]
        out += [("community", o.id, o.name) for o in db.session.scalars(select(Community).order_by(Community.name))]
        return out
    mine = managed_company_ids(actor) or {-1}
    out = [("company", o.id, o.name) for o in db.session.scalars(
        select(Organisation).where(Organisation.id.in_(mine)).order_by(Organisation.name))]
    out += [("community", o.id, o.name) for o in db.session.scalars(
        select(Community).where(Community.company_id.in_(mine)).order_by(Community.name))]
    return out


def create_portal_account(actor, person, username: str, password: str) -> Account:
    """Give an owner or resident a portal account linked to their person record.

    ``actor`` must manage accounts or edit people on a community where the person owns or lives.
    Raises ``Conflict`` if the person already has an account or the username is taken.
    """
    if person is None:
        raise NotFound()
    unit_ids = person_unit_ids(person.id)
    from core.places.models import Unit

    communities = db.session.scalars(select(Community).join(Unit, Unit.community_id == Community.id)
                                     .where(Unit.id.in_(unit_ids)).distinct()).all() if unit_ids else []
    allowed = (actor is not None and is_platform_admin(actor)) or any(
        can(actor, "people.write", community=c) or can(actor, "accounts.manage", community=c) for c in communities)
    if not allowed:
        raise Forbidden()
    if not (username or "").strip():
        raise Invalid(fields={"username": [_l("This field is required.")]})
    if db.session.scalar(select(Account.id).where(Account.person_id == person.id)):
        raise Conflict(_l("This person already has a portal account."))
    account = auth_services.create_account((username or "").strip(), password, person.name, person_id=person.id,
                                           email=person.email, phone=None)
    record(actor, "create_portal_account", "Account", account.id, changes={"person_id": person.id},
           area_id=person.area_id)
    return account


# Headings of the core's permission groups; a plugin's group takes the label of its menu entry.
CORE_GROUPS = {
    "accounts": _l("Accounts"), "audit": _l("Audit log"), "calendar": _l("Holiday calendar"),
    "dashboard": _l("Dashboard"), "notices": _l("Notices"), "people": _l("Owners and residents"),
    "plugins": _l("Plugins"), "quality": _l("Service quality"), "register": _l("Register"),
    "settings": _l("Settings"), "tickets": _l("Service tickets"),
}


def permission_matrix(actor: Account) -> list[dict]:
    """Every permission the core and the loaded plugins declare, grouped by the area or plugin
    that declares it (the part of its key before the first dot), with the roles that hold it."""
    from core.auth.permissions import all_permissions
    from core.plugins import collect

    headings = dict(CORE_GROUPS)
    for item in collect("nav_items", user=actor):
        group = (item.get("permission") or "").split(".", 1)[0]
        if group:
            headings.setdefault(group, item["label"])
    groups: dict[str, list[dict]] = {}
    for key, spec in sorted(all_permissions().items()):
        groups.setdefault(key.split(".", 1)[0], []).append(
            {"key": key, "label": spec.get("label") or key, "roles": {str(r) for r in spec["roles"]}})
    return [{"key": g, "title": headings.get(g, g), "rows": rows} for g, rows in groups.items()]
