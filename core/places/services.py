"""Rules of the register of places: who may see and change which community, and what a valid
building or unit is. Plain functions; they flush, never commit, and take the acting account."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, true
from sqlalchemy.orm import selectinload

from core.auth.models import Account, Grant, ScopeType
from core.auth.permissions import can, person_unit_ids, visible_community_ids
from core.database import db
from core.errors import Forbidden, Invalid, NotFound
from core.places.models import Area, AreaSource, Building, Community, SaleStatus, Unit, UnitUse

MAX_AREA = Decimal("99999.99")
UNIT_FIELDS = ("number", "floor", "building_area", "building_area_source", "exclusive_area",
               "exclusive_area_source", "use", "sale_status", "delivered_on", "note")
BUILDING_FIELDS = ("name", "floors", "steward_id")


# ---------------------------------------------------------------------------------------------
# access


def is_platform_admin(account: Account | None) -> bool:
    return bool(account) and any(g.scope_type == ScopeType.platform for g in account.grants)


def community_filter(account: Account, permission: str, column):
    """A WHERE clause limiting ``column`` (a community id column) to what ``account`` may see."""
    ids = visible_community_ids(account, permission)
    if ids is None:
        return true()
    return column.in_(ids)


def check(account: Account, permission: str, community: Community, read: str = "register.read") -> None:
    """Unknown to those who may not read the community (404); refused to readers lacking ``permission``."""
    if not can(account, read, community=community):
        raise NotFound()
    if permission != read and not can(account, permission, community=community):
        raise Forbidden()


def get_community(account: Account, community_id: int, permission: str = "register.read") -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound()
    check(account, permission, community)
    return community


def get_building(account: Account, building_id: int, permission: str = "register.read") -> Building:
    building = db.session.get(Building, building_id)
    if building is None:
        raise NotFound()
    check(account, permission, building.community)
    return building


def get_unit(account: Account, unit_id: int, permission: str = "register.read") -> Unit:
    """A unit for staff with ``permission`` on its community, or (reading only) for its own owners
    and residents."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound()
    if permission == "register.read" and account.person_id and unit.id in person_unit_ids(account.person_id):
        return unit
    check(account, permission, unit.building.community)
    return unit


def get_area(account: Account, area_id: int) -> Area:
    area = db.session.get(Area, area_id)
    if area is not None and is_platform_admin(account):
        return area
    if area is None or area.id not in set(db.session.scalars(visible_areas(account).with_only_columns(Area.id))):
        raise NotFound()
    return area


def visible_communities(account: Account, permission: str = "register.read"):
    return (select(Community).where(community_filter(account, permission, Community.id))
            .options(selectinload(Community.area), selectinload(Community.company))
            .order_by(Community.name, Community.id))


def visible_areas(account: Account):
    """Areas of the communities the account may read (and areas granted whole)."""
    ids = visible_community_ids(account, "register.read")
    stmt = select(Area).order_by(Area.name, Area.id)
    if ids is None:
        return stmt
    area_ids = select(Community.area_id).where(Community.id.in_(ids))
    granted = [g.scope_id for g in account.grants if g.scope_type == ScopeType.area]
    return stmt.where(or_(Area.id.in_(area_ids), Area.id.in_(granted)))


def units_query(account: Account, *, community_id: int | None = None, building_id: int | None = None,
                use: str | None = None, sale_status: str | None = None, q: str | None = None):
    """Units the account may read, filtered; owners and residents get only their own units."""
    from core.people.models import Ownership, Person

    allowed = community_filter(account, "register.read", Unit.community_id)
    if account.person_id:
        own = person_unit_ids(account.person_id)
        allowed = or_(allowed, Unit.id.in_(own)) if account.grants else Unit.id.in_(own)
    stmt = select(Unit).where(allowed).options(selectinload(Unit.building))
    if community_id is not None:
        stmt = stmt.where(Unit.community_id == community_id)
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    if use:
        stmt = stmt.where(Unit.use == UnitUse(use))
    if sale_status:
        stmt = stmt.where(Unit.sale_status == SaleStatus(sale_status))
    if q and q.strip():
        term = f"%{_escape_like(q.strip())}%"
        owners = (select(Ownership.unit_id).join(Person, Person.id == Ownership.person_id)
                  .where(or_(Person.name.like(term, escape="\\"), Person.phone.like(term, escape="\\"))))
        stmt = stmt.where(or_(Unit.number.like(term, escape="\\"), Unit.id.in_(owners)))
    return stmt.order_by(Unit.building_id, Unit.number)


def _escape_like(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)


# ---------------------------------------------------------------------------------------------
# validation (pure: values in, clean values or errors out)


def parse_area(value, field: str, errors: dict) -> Decimal | None:
    """Square metres from text or number: non-negative, two places at most, below 100,000."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors[field] = [_l("Not a valid number.")]
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        errors[field] = [_l("Not a valid number.")]
        return None
    if not number.is_finite():
        errors[field] = [_l("Not a valid number.")]
    elif number < 0:
        errors[field] = [_l("An area cannot be negative.")]
    elif number > MAX_AREA:
        errors[field] = [_l("An area must be below 100,000 m².")]
    elif number != number.quantize(Decimal("0.01")):
        errors[field] = [_l("Give an area to at most two decimal places.")]
    else:
        return number
    return None


def _enum(enum_type, value, field: str, errors: dict, default=None):
    if value is None or value == "":
        return default
    try:
        return enum_type(value)
    except ValueError:
        errors[field] = [_l("Must be one of: %(choices)s.", choices=", ".join(e.value for e in enum_type))]
        return None


def _int(value, field: str, errors: dict, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        errors[field] = [_l("Not a valid whole number.")]
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[field] = [_l("Not a valid whole number.")]
        return None
    if not low <= number <= high:
        errors[field] = [_l("Must be between %(low)s and %(high)s.", low=low, high=high)]
        return None
    return number


def clean_unit(data: dict, partial: bool = False) -> tuple[dict, dict]:
    """Check the fields of a unit. Returns (clean values, errors by field)."""
    errors: dict = {}
    out: dict = {}
    if "number" in data or not partial:
        number = (data.get("number") or "").strip() if isinstance(data.get("number"), str | type(None)) else None
        if number is None:
            errors["number"] = [_l("Not a valid text.")]
        elif not number:
            errors["number"] = [_l("This field is required.")]
        elif len(number) > 20:
            errors["number"] = [_l("Longer than the maximum of 20 characters.")]
        else:
            out["number"] = number
    if "floor" in data:
        out["floor"] = _int(data["floor"], "floor", errors, -10, 300)
    for kind in ("building_area", "exclusive_area"):
        if kind in data:
            out[kind] = parse_area(data[kind], kind, errors)
        source = f"{kind}_source"
        if source in data:
            out[source] = _enum(AreaSource, data[source], source, errors)
    if "use" in data or not partial:
        out["use"] = _enum(UnitUse, data.get("use"), "use", errors, UnitUse.residential)
    if "sale_status" in data or not partial:
        out["sale_status"] = _enum(SaleStatus, data.get("sale_status"), "sale_status", errors, SaleStatus.sold)
    if "delivered_on" in data:
        out["delivered_on"] = data["delivered_on"]
    if "note" in data:
        note = data["note"]
        if note is not None and len(note) > 2000:
            errors["note"] = [_l("Longer than the maximum of 2000 characters.")]
        out["note"] = note or None
    return out, errors


def check_areas(values: dict, errors: dict) -> None:
    """Each given area names its source; the exclusive area is never larger than the building area."""
    for kind in ("building_area", "exclusive_area"):
        if values.get(kind) is not None and values.get(f"{kind}_source") is None and kind not in errors:
            errors[f"{kind}_source"] = [_l("Say where this area comes from.")]
    b, e = values.get("building_area"), values.get("exclusive_area")
    if b is not None and e is not None and e > b and "exclusive_area" not in errors:
        errors["exclusive_area"] = [_l("The exclusive area cannot exceed the building area.")]


# ---------------------------------------------------------------------------------------------
# changes


def _taken_number(building_id: int, number: str, exclude_id: int | None = None) -> bool:
    stmt = select(Unit.id).where(Unit.building_id == building_id, Unit.number == number)
    if exclude_id is not None:
        stmt = stmt.where(Unit.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def create_unit(account: Account, building: Building, data: dict) -> Unit:
    check(account, "register.write", building.community)
    values, errors = clean_unit(data)
    check_areas(values, errors)
    if "number" in values and _taken_number(building.id, values["number"]):
        errors["number"] = [_l("This building already has a unit with this number.")]
    if errors:
        raise Invalid(fields=errors)
    unit = Unit(area_id=building.area_id, community_id=building.community_id, building_id=building.id, **values)
    db.session.add(unit)
    db.session.flush()
    return unit


def update_unit(account: Account, unit: Unit, data: dict) -> Unit:
    check(account, "register.write", unit.building.community)
    values, errors = clean_unit(data, partial=True)
    merged = {k: getattr(unit, k) for k in UNIT_FIELDS} | values
    check_areas(merged, errors)
    if values.get("number") and _taken_number(unit.building_id, values["number"], unit.id):
        errors["number"] = [_l("This building already has a unit with this number.")]
    if errors:
        raise Invalid(fields=errors)
    for key, value in values.items():
        setattr(unit, key, value)
    db.session.flush()
    return unit


def steward_choices(community: Community) -> list[Account]:
    """Accounts with a role covering the community that may be named its buildings' steward."""
    candidates = db.session.scalars(
        select(Account).join(Grant).where(
            Account.active.is_(True),
            or_((Grant.scope_type == ScopeType.community) & (Grant.scope_id == community.id),
                (Grant.scope_type == ScopeType.company) & (Grant.scope_id == community.company_id)))
        .options(selectinload(Account.grants)).distinct().order_by(Account.display_name)).all()
    return [a for a in candidates if can(a, "register.read", community=community)
            and a.grants and all(g.role not in ("guard",) for g in a.grants)]


def _clean_building(data: dict, community: Community, building: Building | None, errors: dict) -> dict:
    out: dict = {}
    if "name" in data or building is None:
        name = data.get("name")
        if not isinstance(name, str | type(None)):
            errors["name"] = [_l("Not a valid text.")]
        else:
            name = (name or "").strip()
            if not name:
                errors["name"] = [_l("This field is required.")]
            elif len(name) > 60:
                errors["name"] = [_l("Longer than the maximum of 60 characters.")]
            else:
                stmt = select(Building.id).where(Building.community_id == community.id, Building.name == name)
                if building is not None:
                    stmt = stmt.where(Building.id != building.id)
                if db.session.scalar(stmt.limit(1)):
                    errors["name"] = [_l("This community already has a building with this name.")]
                out["name"] = name
    if "floors" in data:
        out["floors"] = _int(data["floors"], "floors", errors, 1, 300)
    if "steward_id" in data:
        sid = data["steward_id"]
        if sid in (None, "", 0):
            out["steward_id"] = None
        elif sid not in {a.id for a in steward_choices(community)}:
            errors["steward_id"] = [_l("Choose a member of this community's staff.")]
        else:
            out["steward_id"] = sid
    return out


def create_building(account: Account, community: Community, data: dict) -> Building:
    check(account, "register.write", community)
    errors: dict = {}
    values = _clean_building(data, community, None, errors)
    if errors:
        raise Invalid(fields=errors)
    building = Building(area_id=community.area_id, community_id=community.id, **values)
    db.session.add(building)
    db.session.flush()
    return building


def update_building(account: Account, building: Building, data: dict) -> Building:
    check(account, "register.write", building.community)
    errors: dict = {}
    values = _clean_building(data, building.community, building, errors)
    if errors:
        raise Invalid(fields=errors)
    for key, value in values.items():
        setattr(building, key, value)
    db.session.flush()
    return building


def update_community(account: Account, community: Community, data: dict) -> Community:
    """Contact details and contract dates: the community's managers or the platform admin."""
    if not is_platform_admin(account):
        check(account, "register.write", community)
    for key in ("name", "address", "hotline", "contract_start", "contract_end"):
        if key in data:
            setattr(community, key, data[key])
    if community.contract_start and community.contract_end and community.contract_end < community.contract_start:
        raise Invalid(fields={"contract_end": [_l("The contract cannot end before it starts.")]})
    _unique_community_name(community)
    db.session.flush()
    return community


def _unique_community_name(community: Community) -> None:
    stmt = select(Community.id).where(Community.area_id == community.area_id, Community.name == community.name)
    if community.id is not None:
        stmt = stmt.where(Community.id != community.id)
    if db.session.scalar(stmt.limit(1)):
        raise Invalid(fields={"name": [_l("This area already has a community with this name.")]})


def create_community(account: Account, data: dict) -> Community:
    """Setting up the scope tree (areas and their communities) is the platform admin's job."""
    if not is_platform_admin(account):
        raise Forbidden()
    area = db.session.get(Area, data["area_id"])
    if area is None:
        raise Invalid(fields={"area_id": [_l("Unknown area.")]})
    community = Community(**data)
    _unique_community_name(community)
    if community.contract_start and community.contract_end and community.contract_end < community.contract_start:
        raise Invalid(fields={"contract_end": [_l("The contract cannot end before it starts.")]})
    db.session.add(community)
    db.session.flush()
    return community


def create_area(account: Account, data: dict) -> Area:
    from core.places.models import StreetOffice

    if not is_platform_admin(account):
        raise Forbidden()
    if db.session.get(StreetOffice, data["street_office_id"]) is None:
        raise Invalid(fields={"street_office_id": [_l("Unknown street office.")]})
    _unique_area_code(data.get("code"), None)
    area = Area(**data)
    db.session.add(area)
    db.session.flush()
    return area


def update_area(account: Account, area: Area, data: dict) -> Area:
    if not is_platform_admin(account):
        raise Forbidden()
    if "code" in data:
        _unique_area_code(data["code"], area.id)
    for key in ("name", "code"):
        if key in data:
            setattr(area, key, data[key])
    db.session.flush()
    return area


def _unique_area_code(code, exclude_id):
    if not code:
        return
    stmt = select(Area.id).where(Area.code == code)
    if exclude_id is not None:
        stmt = stmt.where(Area.id != exclude_id)
    if db.session.scalar(stmt.limit(1)):
        raise Invalid(fields={"code": [_l("Another area has this code.")]})


def community_summary(community_id: int) -> dict:
    """Units per building and per sale status for a community page (two grouped queries)."""
    from sqlalchemy import func

    per_building = dict(db.session.execute(
        select(Unit.building_id, func.count()).where(Unit.community_id == community_id).group_by(Unit.building_id)
    ).all())
    per_status = dict(db.session.execute(
        select(Unit.sale_status, func.count()).where(Unit.community_id == community_id).group_by(Unit.sale_status)
    ).all())
    return {"per_building": per_building, "per_status": {str(k): v for k, v in per_status.items()},
            "units": sum(per_building.values())}
