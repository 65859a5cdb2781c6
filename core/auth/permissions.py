"""Permissions: named strings, held by roles, granted on scopes; checked on every request."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.auth.models import Account, Role, ScopeType
from core.database import db
from core.errors import Forbidden
from core.places.models import Area, Community

R = Role
CORE_PERMISSIONS: dict[str, dict] = {
    "register.read": {"label": _l("Read the register (places)"),
                      "roles": [R.company_admin, R.manager, R.staff, R.guard, R.rc_staff, R.committee_member,
                                R.auditor, R.developer_rep, R.drugfree_officer]},
    "register.write": {"label": _l("Edit the register"), "roles": [R.company_admin, R.manager]},
    "register.import": {"label": _l("Import and export the register"), "roles": [R.company_admin, R.manager]},
    "people.read": {"label": _l("See owners and residents"), "roles": [R.company_admin, R.manager, R.staff, R.rc_staff]},
    "people.write": {"label": _l("Edit owners and residents"), "roles": [R.company_admin, R.manager, R.rc_staff]},
    "people.read_sensitive": {"label": _l("See unmasked ID numbers and care needs (audited)"),
                              "roles": [R.manager, R.rc_staff]},
    "accounts.manage": {"label": _l("Manage accounts and roles"), "roles": [R.platform_admin, R.company_admin]},
    "settings.edit": {"label": _l("Edit settings"), "roles": [R.platform_admin, R.company_admin, R.manager, R.rc_staff]},
    "audit.read": {"label": _l("Read the audit log"), "roles": [R.auditor, R.platform_admin, R.company_admin]},
    "notices.publish": {"label": _l("Publish notices"),
                        "roles": [R.company_admin, R.manager, R.rc_staff, R.committee_member]},
    "dashboard.community": {"label": _l("Community dashboard"),
                            "roles": [R.company_admin, R.manager, R.staff, R.committee_member, R.rc_staff,
                                      R.auditor]},
    "dashboard.area": {"label": _l("Residents' committee dashboard"),
                       "roles": [R.rc_staff, R.drugfree_officer, R.auditor]},
    "plugins.manage": {"label": _l("See and manage plugins"), "roles": [R.platform_admin]},
    "calendar.edit": {"label": _l("Edit and import the holiday calendar"), "roles": [R.platform_admin]},
    "calendar.hours.edit": {"label": _l("Edit a community's working hours (SLA clock)"),
                            "roles": [R.platform_admin, R.company_admin, R.manager]},
}


def all_permissions() -> dict[str, dict]:
    """Core permissions plus those plugins declare through the ``permissions`` hook (cached)."""
    cache = current_app.extensions.setdefault("jiayuan.permissions", {})
    if not cache:
        from core.plugins import hook

        cache.update(CORE_PERMISSIONS)
        for declared in hook().permissions():
            cache.update(declared or {})
    return cache


def _holders() -> dict[str, frozenset[str]]:
    """Permission → the roles holding it, as strings; built once per app beside ``all_permissions``."""
    holders = current_app.extensions.get("jiayuan.permission_holders")
    if holders is None:
        holders = {name: frozenset(str(r) for r in spec["roles"]) for name, spec in all_permissions().items()}
        current_app.extensions["jiayuan.permission_holders"] = holders
    return holders


def role_holds(role: str, permission: str) -> bool:
    roles = _holders().get(permission)
    if roles is None:
        raise KeyError(f"unknown permission {permission!r}")
    return role in roles


def _grant_covers_community(grant, community: Community) -> bool:
    st, sid = grant.scope_type, grant.scope_id
    if st == ScopeType.platform:
        return True
    if st == ScopeType.community:
        return sid == community.id
    if st == ScopeType.area:
        return sid == community.area_id
    if st == ScopeType.company:
        return sid == community.company_id
    if st == ScopeType.street:
        return sid == community.area.street_office_id
    return False


def _grant_covers_area(grant, area: Area) -> bool:
    st, sid = grant.scope_type, grant.scope_id
    if st == ScopeType.platform:
        return True
    if st == ScopeType.area:
        return sid == area.id
    if st == ScopeType.street:
        return sid == area.street_office_id
    return False


def can(account: Account | None, permission: str, community: Community | None = None,
        area: Area | None = None) -> bool:
    """Does ``account`` hold ``permission`` on the community (or area)? With neither: on any scope."""
    if account is None or not getattr(account, "is_authenticated", False) or not account.active:
        return False
    for grant in account.grants:
        if not role_holds(grant.role, permission):
            continue
        if community is not None:
            if _grant_covers_community(grant, community):
                return True
        elif area is not None:
            if _grant_covers_area(grant, area):
                return True
        else:
            return True
    return False


def require(account, permission: str, community: Community | None = None, area: Area | None = None) -> None:
    """Raise ``Forbidden`` (403 with the envelope) unless ``can(...)``."""
    if not can(account, permission, community=community, area=area):
        raise Forbidden()


def visible_community_ids(account: Account, permission: str) -> set[int] | None:
    """Ids of communities where ``account`` holds ``permission``; ``None`` means all of them."""
    ids: set[int] = set()
    conditions = []
    for grant in account.grants:
        if not role_holds(grant.role, permission):
            continue
        st, sid = grant.scope_type, grant.scope_id
        if st == ScopeType.platform:
            return None
        if st == ScopeType.community:
            ids.add(sid)
        elif st == ScopeType.area:
            conditions.append(Community.area_id == sid)
        elif st == ScopeType.company:
            conditions.append(Community.company_id == sid)
        elif st == ScopeType.street:
            conditions.append(Community.area_id.in_(select(Area.id).where(Area.street_office_id == sid)))
    if conditions:
        from sqlalchemy import or_

        ids.update(db.session.scalars(select(Community.id).where(or_(*conditions))))
    return ids


def visible_area_ids(account: Account, permission: str) -> set[int] | None:
    """Ids of areas where ``account`` holds ``permission`` as a whole area; ``None`` means all."""
    ids: set[int] = set()
    for grant in account.grants:
        if not role_holds(grant.role, permission):
            continue
        if grant.scope_type == ScopeType.platform:
            return None
        if grant.scope_type == ScopeType.area:
            ids.add(grant.scope_id)
        elif grant.scope_type == ScopeType.street:
            ids.update(db.session.scalars(select(Area.id).where(Area.street_office_id == grant.scope_id)))
    return ids


def person_unit_ids(person_id: int, on_date=None) -> set[int]:
    """Units a person currently owns or lives in: all an owner or resident may see."""
    import datetime as dt

    from sqlalchemy import or_, union

    from core.people.models import Ownership, Residency

    day = on_date or dt.date.today()

    def current(model):
        return select(model.unit_id).where(
            model.person_id == person_id,
            or_(model.start_date.is_(None), model.start_date <= day),
            or_(model.end_date.is_(None), model.end_date >= day),
        )

    return set(db.session.scalars(union(current(Ownership), current(Residency))))
