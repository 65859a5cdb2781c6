"""Settings: rules and defaults that vary by place or year, each naming the source of its default.

A value is looked up community → area → platform → declared default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
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


CORE_SETTINGS = [
    Setting("core.lockout_threshold", "int", 5, "House rule: lock an account after repeated failed logins",
            "Failed logins before lockout", scopes=("platform",), min=3, max=20),
    Setting("core.notice_default_days", "int", 30, "House rule", "Default days a notice stays up", min=1, max=3650),
    Setting("calendar.working_periods", "str", "08:30-12:00,13:30-17:30",
            "Company promise (the property service contract's office hours)",
            "Working hours of the SLA clock", "Local periods of a working day, e.g. 08:30-12:00,13:30-17:30"),
    Setting("core.hotline_hours", "str", "24h", "2004 trial grade standard, level 1: 24-hour hotline",
            "Service hotline hours"),
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
        raise Invalid(fields={"value": ["Not a valid value."]}) from None
    too_low = setting.min is not None and value < setting.min
    too_high = setting.max is not None and value > setting.max
    if setting.type in ("int", "decimal") and (too_low or too_high):
        raise Invalid(fields={"value": [f"Must be between {setting.min} and {setting.max}."]})
    if setting.choices and value not in setting.choices:
        raise Invalid(fields={"value": ["Must be one of: " + ", ".join(map(str, setting.choices)) + "."]})
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


def set_value(actor, key: str, raw, scope_type: str = "platform", scope_id: int | None = None,
              note: str | None = None) -> SettingValue:
    """Store a value (audited through the change log). Callers check ``settings.edit`` on the scope."""
    setting = declared().get(key)
    if setting is None:
        raise NotFound()
    if scope_type not in setting.scopes:
        raise Invalid(fields={"scope": [f"This setting cannot be set per {scope_type}."]})
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


def get_for_areas(key: str, areas) -> dict[int, object]:
    """The value in force for ``key`` on each area (area value, else platform, else default), in one query."""
    setting = declared().get(key)
    if setting is None:
        raise KeyError(f"undeclared setting {key!r}")
    rows = {(r.scope_type, r.scope_id): r.value
            for r in db.session.scalars(select(SettingValue).where(SettingValue.key == key))}
    fallback = _from_json(setting, rows[("platform", None)]) if ("platform", None) in rows else setting.default
    return {a.id: _from_json(setting, rows[("area", a.id)]) if ("area", a.id) in rows else fallback for a in areas}
