"""Settings: rules and defaults that vary by place or year, each naming the source of its default.

A value is looked up community → area → platform → declared default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.database import db
from core.errors import Invalid, NotFound
from core.settings.models import SettingValue


@dataclass(frozen=True)
class Setting:
    """Declaration of a setting. ``type``: int, decimal, str, bool, json."""

    key: str
    type: str
    default: object
    source: str
    label: str = ""
    description: str = ""
    scopes: tuple[str, ...] = ("platform", "area", "community")
    min: float | None = None
    max: float | None = None
    choices: tuple = field(default_factory=tuple)


# Labels and sources are lazy translations: shown in the reader's language.
CORE_SETTINGS = [
    Setting("core.lockout_threshold", "int", 5, _l("House rule: lock an account after repeated failed logins"),
            _l("Failed logins before lockout"), scopes=("platform",), min=3, max=20),
    Setting("core.notice_default_days", "int", 30, _l("House rule"), _l("Default days a notice stays up"),
            min=1, max=3650),
    Setting("calendar.working_periods", "str", "08:30-12:00,13:30-17:30",
            _l("Company promise (the property service contract's office hours)"),
            _l("Working hours of the SLA clock"), _l("Local periods of a working day, e.g. 08:30-12:00,13:30-17:30")),
    Setting("core.hotline_hours", "str", "24h", _l("2004 trial grade standard, level 1: 24-hour hotline"),
            _l("Service hotline hours")),
]


def declared() -> dict[str, Setting]:
    cache = current_app.extensions.setdefault("jiayuan.settings", {})
    if not cache:
        from core.plugins import collect

        for s in CORE_SETTINGS + collect("settings_schema"):
            cache[s.key] = s
    return cache


def coerce(setting: Setting, raw):
    """Turn user input into the setting's type, or raise ``Invalid`` with the field named."""
    try:
        if setting.type == "int":
            value = int(raw)
        elif setting.type == "decimal":
            value = Decimal(str(raw))
            if not value.is_finite():
                raise InvalidOperation
        elif setting.type == "bool":
            value = raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
        elif setting.type == "str":
            value = str(raw)
            if len(value) > 500:
                raise ValueError
        else:
            value = raw
    except (ValueError, TypeError, InvalidOperation):
        raise Invalid(fields={"value": [_l("Not a valid value.")]}) from None
    too_low = setting.min is not None and value < setting.min
    too_high = setting.max is not None and value > setting.max
    if setting.type in ("int", "decimal") and (too_low or too_high):
        raise Invalid(fields={"value": [_l("Must be between %(low)s and %(high)s.", low=setting.min,
                                            high=setting.max)]})
    if setting.choices and value not in setting.choices:
        raise Invalid(fields={"value": [_l("Must be one of: %(choices)s.",
                                            choices=", ".join(map(str, setting.choices)))]})
    return value


def _to_json(setting: Setting, value):
    return str(value) if setting.type == "decimal" else value


def _from_json(setting: Setting, value):
    return Decimal(value) if setting.type == "decimal" else value


def get(key: str, community=None, area=None):
    """The value in force for ``key`` on the most specific scope given."""
    setting = declared().get(key)
    if setting is None:
        raise KeyError(f"undeclared setting {key!r}")
    scopes = []
    if community is not None:
        scopes.append(("community", community.id))
        area = area or community.area
    if area is not None:
        scopes.append(("area", area.id))
    scopes.append(("platform", None))
    rows = {
        (r.scope_type, r.scope_id): r.value
        for r in db.session.scalars(select(SettingValue).where(SettingValue.key == key))
    }
    for scope in scopes:
        if scope in rows:
            return _from_json(setting, rows[scope])
    return setting.default


# whole sentences per scope, so the scope's name reads in the user's language too
NOT_SETTABLE_PER = {
    "platform": _l("This setting cannot be set per platform."),
    "area": _l("This setting cannot be set per area."),
    "community": _l("This setting cannot be set per community."),
}


def set_value(actor, key: str, raw, scope_type: str = "platform", scope_id: int | None = None,
              note: str | None = None) -> SettingValue:
    """Store a value (audited through the change log). Callers check ``settings.edit`` on the scope."""
    setting = declared().get(key)
    if setting is None:
        raise NotFound()
    if scope_type not in setting.scopes:
        message = NOT_SETTABLE_PER.get(scope_type) or _l("This setting cannot be set per %(scope)s.", scope=scope_type)
        raise Invalid(fields={"scope": [message]})
    value = coerce(setting, raw)
    row = db.session.scalar(select(SettingValue).where(
        SettingValue.key == key, SettingValue.scope_type == scope_type,
        SettingValue.scope_id.is_(None) if scope_id is None else SettingValue.scope_id == scope_id))
    if row is None:
        row = SettingValue(key=key, scope_type=scope_type, scope_id=scope_id)
        db.session.add(row)
    row.value = _to_json(setting, value)
    row.note = note
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    return row


def reset(key: str, scope_type: str, scope_id: int | None) -> None:
    row = db.session.scalar(select(SettingValue).where(
        SettingValue.key == key, SettingValue.scope_type == scope_type, SettingValue.scope_id == scope_id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def lookup(key: str):
    """Read every stored value of ``key`` in one query and return ``value(community_id, area_id)``,
    the value in force there (community, else area, else platform, else the default), for jobs
    and reports that need the setting of many communities at once."""
    return lookup_many([key])[key]


def lookup_many(keys) -> dict:
    """``lookup`` for several keys in one query: ``{key: value(community_id, area_id)}``."""
    settings = {}
    for key in keys:
        if key not in declared():
            raise KeyError(f"undeclared setting {key!r}")
        settings[key] = declared()[key]
    stored: dict[str, dict] = {key: {} for key in settings}
    for r in db.session.scalars(select(SettingValue).where(SettingValue.key.in_(list(settings)))):
        stored[r.key][(r.scope_type, r.scope_id)] = _from_json(settings[r.key], r.value)
    return {key: _resolver(stored[key], stored[key].get(("platform", None), setting.default))
            for key, setting in settings.items()}


def _resolver(rows: dict, fallback):
    def value(community_id: int | None = None, area_id: int | None = None):
        if ("community", community_id) in rows:
            return rows[("community", community_id)]
        return rows.get(("area", area_id), fallback)

    value.values = set(rows.values()) | {fallback}  # every value in force somewhere
    value.fallback = fallback  # the platform value, else the default
    value.by_area = {scope_id: v for (scope_type, scope_id), v in rows.items() if scope_type == "area"}
    return value


def get_for_areas(key: str, areas) -> dict[int, object]:
    """The value in force for ``key`` on each area (area value, else platform, else default), in one query."""
    return get_many_for_areas([key], areas)[key]


def get_many_for_areas(keys, areas) -> dict[str, dict[int, object]]:
    """``get_for_areas`` for several keys in one query: ``{key: {area_id: value}}``."""
    ids = [a.id for a in areas]
    out = {}
    for key, value in lookup_many(keys).items():
        # most areas take the platform value: set it for all at once, then the few areas' own
        out[key] = in_force = dict.fromkeys(ids, value.fallback)
        for area_id in value.by_area.keys() & in_force.keys():
            in_force[area_id] = value.by_area[area_id]
    return out


# ---------------------------------------------------------------------------------------------
# Back office: who may edit which scope, what is in force, and the history of changes
# ---------------------------------------------------------------------------------------------

SCOPE_TYPES = ("platform", "area", "community")


def resolve_scope(scope_type: str, scope_id):
    """The ``Area`` or ``Community`` of a scope (None for the platform); ``Invalid`` if unknown."""
    from core.places.models import Area, Community

    if scope_type not in SCOPE_TYPES:
        raise Invalid(fields={"scope_type": [_l("Must be one of: platform, area, community.")]})
    if scope_type == "platform":
        return None
    model = Area if scope_type == "area" else Community
    obj = db.session.get(model, scope_id) if isinstance(scope_id, int) else None
    if obj is None:
        raise Invalid(fields={"scope_id": [_l("Unknown scope.")]})
    return obj


def can_edit(account, scope_type: str, scope) -> bool:
    """``settings.edit`` on exactly this kind of scope: platform values by platform grants; an area's by
    area or street grants (the residents' committee); a community's by community or company grants."""
    from core.auth.models import ScopeType
    from core.auth.permissions import _grant_covers_area, _grant_covers_community, role_holds

    if account is None or not getattr(account, "is_authenticated", False) or not account.active:
        return False
    for grant in account.grants:
        if not role_holds(grant.role, "settings.edit"):
            continue
        st = grant.scope_type
        if st == ScopeType.platform:
            return True
        if scope_type == "area" and st in (ScopeType.area, ScopeType.street) and _grant_covers_area(grant, scope):
            return True
        if scope_type == "community" and st in (ScopeType.community, ScopeType.company) and \
                _grant_covers_community(grant, scope):
            return True
    return False


def require_edit(account, scope_type: str, scope) -> None:
    from core.errors import Forbidden

    if not can_edit(account, scope_type, scope):
        raise Forbidden()


def _scope_ids(scope_type, scope):
    if scope_type == "community":
        return scope.area_id, scope.id
    if scope_type == "area":
        return scope.id, None
    return None, None


def in_force(scope_type: str = "platform", scope=None) -> list[dict]:
    """Every declared setting with the value in force on the scope, where it comes from, and the default."""
    settings = declared()
    chain = [("platform", None)]
    if scope_type == "area":
        chain.insert(0, ("area", scope.id))
    elif scope_type == "community":
        chain[:0] = [("community", scope.id), ("area", scope.area_id)]
    from sqlalchemy import or_

    conds = [(SettingValue.scope_type == st) & (SettingValue.scope_id.is_(None) if sid is None
                                                else SettingValue.scope_id == sid) for st, sid in chain]
    rows = {(r.key, r.scope_type): r for r in db.session.scalars(select(SettingValue).where(or_(*conds)))}
    out = []
    for key in sorted(settings):
        s = settings[key]
        value, origin, row_here = s.default, "default", None
        for st, _sid in chain:
            row = rows.get((key, st))
            if row is not None:
                value, origin = _from_json(s, row.value), st
                break
        row_here = rows.get((key, scope_type))
        out.append({"key": key, "setting": s, "value": value, "origin": origin, "default": s.default,
                    "source": s.source, "label": s.label or key, "type": s.type,
                    "settable_here": scope_type in s.scopes, "set_here": row_here is not None,
                    "note": row_here.note if row_here else None})
    return out


def change(actor, key: str, raw, scope_type: str, scope, note: str | None = None) -> SettingValue:
    """Check ``settings.edit`` on the scope, store the value and record the change with its scope."""
    from core.audit.services import record

    require_edit(actor, scope_type, scope)
    setting = declared().get(key)
    if setting is None:
        raise NotFound()
    scope_id = None if scope is None else scope.id
    old = get(key, **({scope_type: scope} if scope is not None else {}))
    row = set_value(actor, key, raw, scope_type, scope_id, (note or "").strip()[:200] or None)
    area_id, community_id = _scope_ids(scope_type, scope)
    record(actor, "set", "Setting", row.id, module="settings", area_id=area_id, community_id=community_id,
           changes={"key": key, "scope_type": scope_type, "scope_id": scope_id,
                    "value": [_to_json(setting, old), row.value], "note": row.note})
    return row


def reset_value(actor, key: str, scope_type: str, scope) -> None:
    """Remove the value set on this scope, so the one above (or the default) applies again."""
    from core.audit.services import record

    require_edit(actor, scope_type, scope)
    setting = declared().get(key)
    if setting is None:
        raise NotFound()
    scope_id = None if scope is None else scope.id
    row = db.session.scalar(select(SettingValue).where(
        SettingValue.key == key, SettingValue.scope_type == scope_type,
        SettingValue.scope_id.is_(None) if scope_id is None else SettingValue.scope_id == scope_id))
    if row is None:
        return
    old = row.value
    db.session.delete(row)
    db.session.flush()
    area_id, community_id = _scope_ids(scope_type, scope)
    record(actor, "reset", "Setting", row.id, module="settings", area_id=area_id, community_id=community_id,
           changes={"key": key, "scope_type": scope_type, "scope_id": scope_id, "value": [old, None]})


def history(key: str | None = None, scope_type: str | None = None, scope=None, limit: int = 200) -> list:
    """Recorded changes of settings (newest first), optionally of one key and one scope."""
    from core.audit.models import AuditEntry

    stmt = (select(AuditEntry).where(AuditEntry.module == "settings", AuditEntry.entity == "Setting")
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
    if scope_type == "community":
        stmt = stmt.where(AuditEntry.community_id == scope.id)
    elif scope_type == "area":
        stmt = stmt.where(AuditEntry.area_id == scope.id, AuditEntry.community_id.is_(None))
    elif scope_type == "platform":
        stmt = stmt.where(AuditEntry.area_id.is_(None))
    rows = db.session.scalars(stmt.limit(limit * 5 if key else limit)).all()
    if key:
        rows = [r for r in rows if (r.changes or {}).get("key") == key][:limit]
    return rows
