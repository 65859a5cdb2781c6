"""Rules of the register of people: valid person records (ID numbers checked, encrypted, indexed
blind), ownerships with shares and one voting representative, residencies with tenants' leases, and
who may see whom. Plain functions; they flush, never commit, and take the acting account."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import selectinload

from core.audit.services import record
from core.auth.models import Account
from core.auth.permissions import visible_area_ids, visible_community_ids
from core.database import db
from core.errors import Forbidden, Invalid, NotFound
from core.people.models import Gender, IdType, Ownership, Person, Residency, ResidencyKind
from core.places.models import Community, Organisation, Unit
from core.places.services import check
from core.security import blind_index, resident_id_problem

ID_INDEX_PURPOSE = "person.id_number"
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{4,19}$")
OTHER_ID_RE = re.compile(r"^[A-Z0-9\-]{5,30}$")
NATIONALITY_RE = re.compile(r"^[A-Z]{3}$")
ID_PROBLEMS = {
    "format": _l("A resident ID number has 17 digits and a final digit or X."),
    "birth_date": _l("The birth date inside this ID number is impossible."),
    "check_digit": _l("This ID number fails its check digit: please check it."),
}
TEXT_LIMITS = {"name": 60, "phone": 20, "email": 120, "household_registration": 200,
               "actual_residence": 200, "care_needs": 1000}
PERSON_FIELDS = ("name", "gender", "birth_date", "phone", "email", "nationality", "id_type", "id_number",
                 "household_registration", "actual_residence", "care_needs", "care_consent")


def id_index(number: str) -> str:
    return blind_index(number, ID_INDEX_PURPOSE)


# ---------------------------------------------------------------------------------------------
# who sees whom


def person_filter(account: Account, permission: str):
    """People linked (registered, owning, living) to a community where the account holds
    ``permission``, or living in an area granted whole."""
    cids = visible_community_ids(account, permission)
    if cids is None:
        return true()
    conditions = [
        Person.community_id.in_(cids),
        Person.id.in_(select(Ownership.person_id).where(Ownership.community_id.in_(cids))),
        Person.id.in_(select(Residency.person_id).where(Residency.community_id.in_(cids))),
    ]
    area_ids = visible_area_ids(account, permission)
    if area_ids:
        conditions.append(Person.area_id.in_(area_ids))
    return or_(*conditions)


def _visible(account: Account, person_id: int, permission: str) -> bool:
    return db.session.scalar(select(Person.id).where(Person.id == person_id, person_filter(account, permission))) \
        is not None


def get_person(account: Account, person_id: int, permission: str = "people.read") -> Person:
    person = db.session.get(Person, person_id)
    if person is None or not _visible(account, person_id, "people.read"):
        raise NotFound()
    if permission != "people.read" and not _visible(account, person_id, permission):
        raise Forbidden()
    return person


def search_people(account: Account, q: str | None = None):
    """People the account may see; ``q`` matches name or phone (part) or the exact ID number."""
    stmt = select(Person).where(person_filter(account, "people.read")).order_by(Person.name, Person.id)
    if q and q.strip():
        term = q.strip()
        like = "%" + re.sub(r"([\\%_])", r"\\\1", term) + "%"
        stmt = stmt.where(or_(Person.name.like(like, escape="\\"), Person.phone.like(like, escape="\\"),
                              Person.id_number_index == id_index(term)))
    return stmt


def reveal(account: Account, person: Person) -> dict:
    """The unmasked ID number and care needs, for holders of ``people.read_sensitive``; audited."""
    if not _visible(account, person.id, "people.read_sensitive"):
        raise Forbidden()
    record(account, "read_sensitive", "Person", person.id, area_id=person.area_id,
           community_id=person.community_id, restricted_to="people.read_sensitive",
           changes={"fields": ["id_number", "care_needs"]})
    return {"id_number": person.id_number, "care_needs": person.care_needs}


# ---------------------------------------------------------------------------------------------
# validation


def _text(data: dict, key: str, errors: dict, required: bool = False):
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[key] = [_l("This field is required.")]
        return None
    if not isinstance(value, str):
        errors[key] = [_l("Not a valid text.")]
        return None
    value = value.strip()
    if len(value) > TEXT_LIMITS.get(key, 200):
        errors[key] = [_l("Longer than the maximum of %(n)s characters.", n=TEXT_LIMITS.get(key, 200))]
        return None
    return value


def clean_person(data: dict, today: dt.date | None = None, partial: bool = False,
                 current: Person | None = None) -> tuple[dict, dict]:
    """Check a person's fields. ``data`` holds Python values (dates as ``date``). Returns
    (clean values, errors by field). A resident ID number must pass its check digit, and its birth
    date (and gender digit) must agree with the ones given; a missing birth date is taken from it."""
    today = today or dt.date.today()
    errors: dict = {}
    out: dict = {}
    for key in ("name", "phone", "email", "household_registration", "actual_residence", "care_needs"):
        if key in data or (key == "name" and not partial):
            out[key] = _text(data, key, errors, required=(key == "name"))
    if out.get("phone") and not PHONE_RE.match(out["phone"]):
        errors["phone"] = [_l("Not a valid phone number.")]
    if "gender" in data:
        try:
            out["gender"] = Gender(data["gender"]) if data["gender"] else None
        except ValueError:
            errors["gender"] = [_l("Must be one of: %(choices)s.", choices=", ".join(Gender))]
    if "birth_date" in data:
        born = data["birth_date"]
        if born is not None and not isinstance(born, dt.date):
            errors["birth_date"] = [_l("Not a valid date.")]
        elif born is not None and born > today:
            errors["birth_date"] = [_l("A date of birth cannot be in the future.")]
        elif born is not None and born.year < 1900:
            errors["birth_date"] = [_l("A date of birth before 1900 is not plausible.")]
        else:
            out["birth_date"] = born
    if "nationality" in data or not partial:
        nat = (data.get("nationality") or "CHN")
        nat = nat.strip().upper() if isinstance(nat, str) else nat
        if not isinstance(nat, str) or not NATIONALITY_RE.match(nat):
            errors["nationality"] = [_l("Use the three-letter country code (CHN, USA, …).")]
        else:
            out["nationality"] = nat
    if "care_consent" in data:
        out["care_consent"] = bool(data["care_consent"])
    if out.get("care_needs") and not out.get("care_consent", current.care_consent if current else False):
        errors["care_consent"] = [_l("Care needs are recorded only with the person's consent.")]
    if "id_type" in data or "id_number" in data:
        _clean_id(data, out, errors, today, current)
    return out, errors


def _clean_id(data: dict, out: dict, errors: dict, today: dt.date, current: Person | None) -> None:
    raw_type = data.get("id_type", current.id_type if current else None)
    number = data.get("id_number", current.id_number if current else None)
    if number is not None and not isinstance(number, str):
        errors["id_number"] = [_l("Not a valid text.")]
        return
    number = re.sub(r"\s+", "", number or "").upper() or None
    try:
        id_type = IdType(raw_type) if raw_type else None
    except ValueError:
        errors["id_type"] = [_l("Must be one of: %(choices)s.", choices=", ".join(IdType))]
        return
    if number and id_type is None:
        errors["id_type"] = [_l("Say which document this number is from.")]
        return
    if id_type and not number:
        errors["id_number"] = [_l("Give the document's number.")]
        return
    if number is None:
        out.update(id_type=None, id_number=None, id_number_index=None)
        return
    if id_type == IdType.resident_id:
        problem = resident_id_problem(number, today)
        if problem:
            errors["id_number"] = [ID_PROBLEMS[problem]]
            return
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        given = out.get("birth_date", data.get("birth_date"))
        if given is None and "birth_date" not in errors:
            out["birth_date"] = born
        elif isinstance(given, dt.date) and given != born:
            errors["birth_date"] = [_l("The date of birth does not match the ID number.")]
    elif not OTHER_ID_RE.match(number):
        errors["id_number"] = [_l("Use 5 to 30 letters, digits or dashes.")]
        return
    out.update(id_type=id_type, id_number=number, id_number_index=id_index(number))


def _check_id_unique(values: dict, errors: dict, exclude_id: int | None) -> None:
    index = values.get("id_number_index")
    if not index or "id_number" in errors:
        return
    stmt = select(Person.id).where(Person.id_number_index == index)
    if exclude_id is not None:
        stmt = stmt.where(Person.id != exclude_id)
    if db.session.scalar(stmt.limit(1)):
        errors["id_number"] = [_l("A person with this ID number is already registered.")]


def writable_communities(account: Account, permission: str = "people.write"):
    return select(Community).where(
        true() if (ids := visible_community_ids(account, permission)) is None else Community.id.in_(ids)
    ).order_by(Community.name)


def create_person(account: Account, community: Community, data: dict, today: dt.date | None = None) -> Person:
    """Register a person on ``community``'s register (the account needs ``people.write`` there)."""
    check(account, "people.write", community, read="register.read")
    values, errors = clean_person(data, today)
    _check_id_unique(values, errors, None)
    if errors:
        raise Invalid(fields=errors)
    person = Person(area_id=community.area_id, community_id=community.id, **values)
    db.session.add(person)
    db.session.flush()
    return person


def update_person(account: Account, person: Person, data: dict, today: dt.date | None = None) -> Person:
    if not _visible(account, person.id, "people.write"):
        raise Forbidden()
    values, errors = clean_person(data, today, partial=True, current=person)
    if "birth_date" in values and "id_number" not in values and person.id_type == IdType.resident_id \
            and person.id_number and values["birth_date"] is not None:
        number = person.id_number
        if values["birth_date"] != dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])):
            errors["birth_date"] = [_l("The date of birth does not match the ID number.")]
    _check_id_unique(values, errors, person.id)
    if errors:
        raise Invalid(fields=errors)
    for key, value in values.items():
        if getattr(person, key) != value:
            setattr(person, key, value)
    db.session.flush()
    return person


# ---------------------------------------------------------------------------------------------
# ownership


def _dates(start, end, errors: dict, start_key="start_date", end_key="end_date") -> None:
    if start is not None and end is not None and end < start:
        errors[end_key] = [_l("The end date cannot be before the start date.")]


def _current(model, day: dt.date):
    return (or_(model.start_date.is_(None), model.start_date <= day),
            or_(model.end_date.is_(None), model.end_date >= day))


def _parse_share(value, errors: dict) -> Decimal | None:
    if value is None or value == "":
        return Decimal(1)
    if isinstance(value, bool):
        errors["share"] = [_l("Not a valid number.")]
        return None
    try:
        share = Decimal(str(value).strip())
    except InvalidOperation:
        errors["share"] = [_l("Not a valid number.")]
        return None
    if not share.is_finite() or share <= 0 or share > 1:
        errors["share"] = [_l("A share is more than 0 and at most 1.")]
        return None
    if share != share.quantize(Decimal("0.0001")):
        errors["share"] = [_l("Give a share to at most four decimal places.")]
        return None
    return share


def _owner_party(account: Account, unit: Unit, data: dict, errors: dict) -> tuple[int | None, int | None]:
    person_id, org_id = data.get("person_id"), data.get("organisation_id")
    if bool(person_id) == bool(org_id):
        errors["person_id"] = [_l("Name either a person or an organisation as owner.")]
        return None, None
    if person_id:
        if db.session.get(Person, person_id) is None or not (
                _visible(account, person_id, "people.read") or _person_in_community(person_id, unit.community_id)):
            errors["person_id"] = [_l("Unknown person.")]
            return None, None
    elif db.session.get(Organisation, org_id) is None:
        errors["organisation_id"] = [_l("Unknown organisation.")]
        return None, None
    return person_id, org_id


def _person_in_community(person_id: int, community_id: int) -> bool:
    person = db.session.get(Person, person_id)
    return person is not None and person.community_id == community_id


def create_ownership(account: Account, unit: Unit, data: dict, today: dt.date | None = None) -> Ownership:
    """Record that a person (or organisation, e.g. the developer) owns a share of ``unit``."""
    check(account, "people.write", unit.building.community)
    today = today or dt.date.today()
    errors: dict = {}
    person_id, org_id = _owner_party(account, unit, data, errors)
    share = _parse_share(data.get("share"), errors)
    start, end = data.get("start_date"), data.get("end_date")
    _dates(start, end, errors)
    if errors:
        raise Invalid(fields=errors)
    ownership = Ownership(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                          person_id=person_id, organisation_id=org_id, share=share, start_date=start,
                          end_date=end, is_voting_representative=bool(data.get("is_voting_representative", True)))
    _settle_shares(ownership, today)
    db.session.add(ownership)
    db.session.flush()
    return ownership


def update_ownership(account: Account, ownership: Ownership, data: dict, today: dt.date | None = None) -> Ownership:
    check(account, "people.write", ownership.unit.building.community)
    today = today or dt.date.today()
    errors: dict = {}
    share = _parse_share(data["share"], errors) if "share" in data else ownership.share
    start = data.get("start_date", ownership.start_date)
    end = data.get("end_date", ownership.end_date)
    _dates(start, end, errors)
    if errors:
        raise Invalid(fields=errors)
    ownership.share, ownership.start_date, ownership.end_date = share, start, end
    if "is_voting_representative" in data:
        ownership.is_voting_representative = bool(data["is_voting_representative"])
    _settle_shares(ownership, today)
    db.session.flush()
    return ownership


def _settle_shares(ownership: Ownership, today: dt.date) -> None:
    """Current shares of a unit add up to at most 1; one current co-owner votes for the unit."""
    others = db.session.scalars(select(Ownership).where(
        Ownership.unit_id == ownership.unit_id, Ownership.id != (ownership.id or 0), *_current(Ownership, today))).all()
    is_current = (ownership.start_date is None or ownership.start_date <= today) and (
        ownership.end_date is None or ownership.end_date >= today)
    if not is_current:
        return
    total = sum((o.share for o in others), Decimal(0)) + ownership.share
    if total > 1:
        raise Invalid(fields={"share": [_l("The current owners' shares would add up to %(total)s, more than 1.",
                                           total=total)]})
    if ownership.is_voting_representative:
        for other in others:
            if other.is_voting_representative:
                other.is_voting_representative = False
    elif not any(o.is_voting_representative for o in others):
        ownership.is_voting_representative = True  # somebody must vote for the unit


def get_ownership(account: Account, ownership_id: int, permission: str = "people.read") -> Ownership:
    ownership = db.session.get(Ownership, ownership_id)
    if ownership is None:
        raise NotFound()
    check(account, permission, ownership.unit.building.community, read="register.read")
    if permission != "people.read":
        check(account, "people.read", ownership.unit.building.community, read="register.read")
    return ownership


# ---------------------------------------------------------------------------------------------
# residency


def create_residency(account: Account, unit: Unit, data: dict) -> Residency:
    """Record that a person lives in ``unit`` (as owner, family, tenant or temporary resident)."""
    check(account, "people.write", unit.building.community)
    errors: dict = {}
    values = _clean_residency(account, unit, data, errors, None)
    if errors:
        raise Invalid(fields=errors)
    residency = Residency(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id, **values)
    db.session.add(residency)
    db.session.flush()
    return residency


def update_residency(account: Account, residency: Residency, data: dict) -> Residency:
    check(account, "people.write", residency.unit.building.community)
    errors: dict = {}
    values = _clean_residency(account, residency.unit, data, errors, residency)
    if errors:
        raise Invalid(fields=errors)
    for key, value in values.items():
        setattr(residency, key, value)
    db.session.flush()
    return residency


def _clean_residency(account: Account, unit: Unit, data: dict, errors: dict, current: Residency | None) -> dict:
    def pick(key):
        return data[key] if key in data else (getattr(current, key) if current is not None else None)

    out: dict = {}
    if current is None:
        person_id = data.get("person_id")
        if not person_id or db.session.get(Person, person_id) is None or not (
                _visible(account, person_id, "people.read") or _person_in_community(person_id, unit.community_id)):
            errors["person_id"] = [_l("Unknown person.")]
        else:
            out["person_id"] = person_id
    try:
        kind = ResidencyKind(pick("kind")) if pick("kind") else None
    except ValueError:
        kind = None
        errors["kind"] = [_l("Must be one of: %(choices)s.", choices=", ".join(ResidencyKind))]
    if kind is None and "kind" not in errors:
        errors["kind"] = [_l("This field is required.")]
    out["kind"] = kind
    for key in ("start_date", "end_date", "lease_start", "lease_end", "landlord_id", "note"):
        out[key] = pick(key)
    if out["note"] is not None and len(out["note"]) > 2000:
        errors["note"] = [_l("Longer than the maximum of 2000 characters.")]
    _dates(out["start_date"], out["end_date"], errors)
    _dates(out["lease_start"], out["lease_end"], errors, "lease_start", "lease_end")
    if kind != ResidencyKind.tenant:
        for key in ("landlord_id", "lease_start", "lease_end"):
            if out[key] is not None and key in data:
                errors[key] = [_l("Only tenants have a landlord and a lease.")]
            out[key] = None
    elif out["landlord_id"]:
        owners = set(db.session.scalars(select(Ownership.person_id).where(Ownership.unit_id == unit.id)))
        if out["landlord_id"] not in owners:
            errors["landlord_id"] = [_l("The landlord must be an owner of this unit.")]
    return out


def get_residency(account: Account, residency_id: int, permission: str = "people.read") -> Residency:
    residency = db.session.get(Residency, residency_id)
    if residency is None:
        raise NotFound()
    community = residency.unit.building.community
    check(account, "people.read", community, read="register.read")
    if permission != "people.read":
        check(account, permission, community, read="register.read")
    return residency


# ---------------------------------------------------------------------------------------------
# reading a unit's people


def unit_people(unit_id: int, today: dt.date | None = None) -> dict:
    """Owners (with shares and who votes) and residents of a unit, current ones first."""
    today = today or dt.date.today()
    owners = db.session.scalars(select(Ownership).where(Ownership.unit_id == unit_id).options(
        selectinload(Ownership.person), selectinload(Ownership.organisation))
        .order_by(Ownership.end_date.is_not(None), Ownership.id)).all()
    residents = db.session.scalars(select(Residency).where(Residency.unit_id == unit_id).options(
        selectinload(Residency.person), selectinload(Residency.landlord))
        .order_by(Residency.end_date.is_not(None), Residency.id)).all()

    def current(row):
        return (row.start_date is None or row.start_date <= today) and (row.end_date is None or row.end_date >= today)

    return {"owners": owners, "residents": residents, "current": current,
            "share_total": sum((o.share for o in owners if current(o)), Decimal(0))}


def person_links(person_id: int) -> dict:
    owns = db.session.scalars(select(Ownership).where(Ownership.person_id == person_id)
                              .options(selectinload(Ownership.unit).selectinload(Unit.building))).all()
    lives = db.session.scalars(select(Residency).where(Residency.person_id == person_id)
                               .options(selectinload(Residency.unit).selectinload(Unit.building))).all()
    return {"owns": owns, "lives": lives}


def count_people(account: Account) -> int:
    return db.session.scalar(select(func.count()).select_from(Person).where(person_filter(account, "people.read")))
