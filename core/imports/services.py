"""Import and export of a community's buildings, units and owners (Excel or CSV).

An import is all or nothing: every row is checked in Python first (the same rules as the forms),
then checked against what the register already holds; any problem gives a per-row report
``(row, column, message)`` and nothing is written. A clean file is written in one transaction with
Core ``executemany`` statements and one audit entry. Units are keyed by building + unit number, owners
by ID number (else name + phone), so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import Enum as SAEnum

from core.audit.services import record
from core.auth.models import Account
from core.database import Encrypted, _ScaledDecimal, db
from core.errors import Invalid
from core.people.models import IdType, Ownership, Person
from core.people.services import PHONE_RE, _clean_id
from core.places.models import AreaSource, Building, Community, SaleStatus, Unit, UnitUse
from core.places.services import check_areas, clean_unit
from core.security import encrypt

MAX_ROWS = 50_000
CHUNK = 2_000

# canonical column → header written on export; other accepted spellings
COLUMNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("building", "楼栋", ("building", "楼号", "楼栋号")),
    ("unit", "房号", ("unit", "number", "unit_number", "房间号")),
    ("floor", "楼层", ("floor",)),
    ("building_area", "建筑面积", ("building_area", "建筑面积(㎡)", "建筑面积（㎡）")),
    ("building_area_source", "建筑面积来源", ("building_area_source",)),
    ("exclusive_area", "专有部分面积", ("exclusive_area", "专有面积", "套内面积")),
    ("exclusive_area_source", "专有部分面积来源", ("exclusive_area_source", "专有面积来源")),
    ("use", "用途", ("use",)),
    ("sale_status", "销售状态", ("sale_status", "状态")),
    ("owner_name", "业主姓名", ("owner_name", "业主", "owner")),
    ("owner_phone", "业主电话", ("owner_phone", "电话", "联系电话")),
    ("owner_id_type", "业主证件类型", ("owner_id_type", "证件类型")),
    ("owner_id_number", "业主证件号码", ("owner_id_number", "证件号码", "身份证号")),
    ("share", "份额", ("share", "产权份额")),
]
REQUIRED = ("building", "unit")
HEADERS = {alias.strip().lower(): key for key, label, aliases in COLUMNS for alias in (key, label, *aliases)}
CHOICES = {
    "use": {"住宅": UnitUse.residential, "商业": UnitUse.commercial, "商铺": UnitUse.commercial,
            "车位": UnitUse.parking, **{u.value: u for u in UnitUse}},
    "sale_status": {"未售": SaleStatus.unsold, "已售": SaleStatus.sold, "已交付": SaleStatus.delivered,
                    "已交房": SaleStatus.delivered, **{s.value: s for s in SaleStatus}},
    "area_source": {"不动产登记": AreaSource.register, "登记": AreaSource.register, "产权登记": AreaSource.register,
                    "测绘": AreaSource.survey, "合同": AreaSource.contract, "买卖合同": AreaSource.contract,
                    **{s.value: s for s in AreaSource}},
    "id_type": {"居民身份证": IdType.resident_id, "身份证": IdType.resident_id, "护照": IdType.passport,
                "港澳居民居住证": IdType.hk_macao_permit, "港澳通行证": IdType.hk_macao_permit,
                "台湾居民居住证": IdType.taiwan_permit, "台胞证": IdType.taiwan_permit,
                "外国人永久居留身份证": IdType.foreign_permanent, **{t.value: t for t in IdType}},
}
EXPORT_LABELS = {
    "use": {UnitUse.residential: "住宅", UnitUse.commercial: "商业", UnitUse.parking: "车位"},
    "sale_status": {SaleStatus.unsold: "未售", SaleStatus.sold: "已售", SaleStatus.delivered: "已交付"},
    "area_source": {AreaSource.register: "不动产登记", AreaSource.survey: "测绘", AreaSource.contract: "合同"},
    "id_type": {IdType.resident_id: "居民身份证", IdType.passport: "护照", IdType.hk_macao_permit: "港澳居民居住证",
                IdType.taiwan_permit: "台湾居民居住证", IdType.foreign_permanent: "外国人永久居留身份证"},
}
UNIT_COLUMNS = ("floor", "building_area", "building_area_source", "exclusive_area", "exclusive_area_source",
                "use", "sale_status")


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


@dataclass
class Row:
    line: int
    building: str
    number: str
    unit: dict
    owner: dict | None


@dataclass
class Plan:
    """What an import would do; ``problems`` non-empty means it must not be applied."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    new_buildings: list[str] = field(default_factory=list)
    new_units: int = 0
    changed_units: int = 0
    unchanged_units: int = 0
    new_people: int = 0
    new_ownerships: int = 0
    state: dict = field(default_factory=dict, repr=False)  # what plan() read, reused by apply()

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict:
        return {"rows": len(self.rows), "new_buildings": len(self.new_buildings), "new_units": self.new_units,
                "changed_units": self.changed_units, "unchanged_units": self.unchanged_units,
                "new_people": self.new_people, "new_ownerships": self.new_ownerships}


class ImportRefused(Invalid):
    """The file has problems; ``extra["problems"]`` lists them row by row."""

    code = "import_invalid"

    def __init__(self, problems: list[Problem]):
        super().__init__(_l("The file has %(n)s problems; nothing was imported.", n=len(problems)),
                         extra={"problems": [p.as_dict() for p in problems]})
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# reading files


def read_table(data: bytes, filename: str) -> list[list]:
    """Rows of cells (the header first) from an .xlsx or .csv file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise Invalid(fields={"file": [_l("This is not a readable Excel (.xlsx) file.")]}) from exc
        try:
            return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise Invalid(fields={"file": [_l("The CSV file is neither UTF-8 nor GBK text.")]})
        return [row for row in csv.reader(io.StringIO(text))]
    raise Invalid(fields={"file": [_l("Upload an .xlsx or .csv file.")]})


def _cell(value) -> str | None:
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value.strip() or None
    if kind is float and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip() or None


# ---------------------------------------------------------------------------------------------
# checking rows (pure)


def check_rows(table: list[list], progress: Callable[[int], None] | None = None) -> tuple[list[Row], list[Problem]]:
    """Validate every row in Python. Returns the clean rows and the problems (row numbers as in the
    spreadsheet, the header being row 1)."""
    problems: list[Problem] = []
    if not table:
        return [], [Problem(1, "", _l("The file is empty."))]
    header = [(_cell(h) or "").lower() for h in table[0]]
    keys = []
    for h in header:
        key = HEADERS.get(h)
        if h and key is None:
            problems.append(Problem(1, h, _l("Unknown column.")))
        if key in keys:
            problems.append(Problem(1, h, _l("This column appears twice.")))
        keys.append(key if key not in keys else None)
    for required in REQUIRED:
        if required not in keys:
            problems.append(Problem(1, required, _l("This column is required.")))
    if problems:
        return [], problems
    if len(table) - 1 > MAX_ROWS:
        return [], [Problem(1, "", _l("At most %(n)s rows per file.", n=MAX_ROWS))]

    rows: list[Row] = []
    seen: dict[tuple[str, str], int] = {}
    id_names: dict[str, tuple[str, int]] = {}
    for n, raw in enumerate(table[1:], start=2):
        values = {k: _cell(v) for k, v in zip(keys, raw, strict=False) if k}
        if not any(values.values()):
            continue
        before = len(problems)
        row = _check_row(n, values, problems)
        key = (values.get("building"), values.get("unit"))
        if all(key):
            if key in seen:
                problems.append(Problem(n, "unit", _l("Unit %(unit)s of %(building)s is already on row %(row)s.",
                                                      unit=key[1], building=key[0], row=seen[key])))
            else:
                seen[key] = n
        if row is not None and row.owner and row.owner.get("id_number_index"):
            idx = row.owner["id_number_index"]
            if idx in id_names and id_names[idx][0] != row.owner["name"]:
                problems.append(Problem(n, "owner_id_number", _l(
                    "The same ID number has another name on row %(row)s.", row=id_names[idx][1])))
            id_names.setdefault(idx, (row.owner["name"], n))
        if len(problems) == before and row is not None:
            rows.append(row)
        if progress and n % 500 == 0:
            progress(500)
    if progress:
        progress((len(table) - 1) % 500)
    return rows, problems


def _choice(kind: str, column: str, value: str | None, n: int, problems: list[Problem]):
    if value is None:
        return None
    found = CHOICES[kind].get(value) or CHOICES[kind].get(value.lower())
    if found is None:
        problems.append(Problem(n, column, _l("Must be one of: %(choices)s.",
                                              choices=", ".join(sorted(CHOICES[kind])))))
    return found


def _check_row(n: int, v: dict, problems: list[Problem]) -> Row | None:
    building = v.get("building")
    if not building:
        problems.append(Problem(n, "building", _l("This field is required.")))
    elif len(building) > 60:
        problems.append(Problem(n, "building", _l("Longer than the maximum of %(n)s characters.", n=60)))
    data = {"number": v.get("unit"), "floor": v.get("floor"), "building_area": v.get("building_area"),
            "exclusive_area": v.get("exclusive_area"),
            "building_area_source": _choice("area_source", "building_area_source", v.get("building_area_source"),
                                            n, problems),
            "exclusive_area_source": _choice("area_source", "exclusive_area_source", v.get("exclusive_area_source"),
                                             n, problems),
            "use": _choice("use", "use", v.get("use"), n, problems),
            "sale_status": _choice("sale_status", "sale_status", v.get("sale_status"), n, problems)}
    unit, errors = clean_unit(data)
    check_areas(unit, errors)
    for key in ("use", "sale_status"):  # a blank cell leaves the register's value alone
        if not v.get(key):
            unit[key] = None
    column_of = {"number": "unit"}
    for key, messages in errors.items():
        problems.append(Problem(n, column_of.get(key, key), messages[0]))
    owner = _check_owner(n, v, problems)
    if not building or errors:
        return None
    return Row(n, building, unit.pop("number"), unit, owner)


def _check_owner(n: int, v: dict, problems: list[Problem]) -> dict | None:
    name, phone = v.get("owner_name"), v.get("owner_phone")
    id_type_text, id_number, share_text = v.get("owner_id_type"), v.get("owner_id_number"), v.get("share")
    if not any((name, phone, id_type_text, id_number, share_text)):
        return None
    if not name:
        problems.append(Problem(n, "owner_name", _l("Give the owner's name.")))
        return None
    if len(name) > 60:
        problems.append(Problem(n, "owner_name", _l("Longer than the maximum of %(n)s characters.", n=60)))
    if phone and (len(phone) > 20 or not PHONE_RE.match(phone)):
        problems.append(Problem(n, "owner_phone", _l("Not a valid phone number.")))
    owner = {"name": name, "phone": phone, "share": Decimal(1)}
    if share_text:
        try:
            share = Decimal(share_text)
            if not share.is_finite() or not 0 < share <= 1 or share != share.quantize(Decimal("0.0001")):
                raise ValueError
            owner["share"] = share
        except (ArithmeticError, ValueError):
            problems.append(Problem(n, "share", _l("A share is more than 0 and at most 1.")))
    if id_number and not id_type_text:
        id_type_text = "resident_id"  # a bare number in a Chinese register is a resident ID
    id_type = _choice("id_type", "owner_id_type", id_type_text, n, problems)
    if id_type_text and id_type is None:
        return owner
    errors: dict = {}
    out: dict = {}
    _clean_id({"id_type": id_type, "id_number": id_number}, out, errors, dt.date.today(), None)
    for key, messages in errors.items():
        problems.append(Problem(n, "owner_" + key, messages[0]))
    owner.update({k: out.get(k) for k in ("id_type", "id_number", "id_number_index", "birth_date")})
    return owner


# ---------------------------------------------------------------------------------------------
# planning against the register, applying


def _chunks(items: list, size: int = 500) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def plan(community: Community, rows: list[Row]) -> Plan:
    """Compare the clean rows with the register (a few set-based queries) and report what would
    change, or the problems that stop the import."""
    result = Plan(rows=rows)
    buildings = _buildings(community.id)
    result.new_buildings = sorted({r.building for r in rows if r.building not in buildings})
    existing = _existing_units(community.id)
    for r in rows:
        current = existing.get((buildings.get(r.building), r.number))
        if current is None:
            result.new_units += 1
        elif _unit_changes(current, r.unit):
            result.changed_units += 1
        else:
            result.unchanged_units += 1

    people = _existing_people(community.id, rows)
    owners = _current_owners(community.id)
    new_people: set = set()
    for r in rows:
        if not r.owner:
            continue
        key = _person_key(r.owner)
        found = people.get(key)
        if found is not None and found[1] != r.owner["name"]:
            result.problems.append(Problem(r.line, "owner_id_number", _l(
                "This ID number is registered to another name in the register.")))
            continue
        unit = existing.get((buildings.get(r.building), r.number))
        unit_owners = owners.get(unit[0], {}) if unit else {}
        person_id = found[0] if found else None
        if person_id is not None and person_id in unit_owners:
            continue
        others = sum(unit_owners.values(), Decimal(0))
        if others + r.owner["share"] > 1:
            result.problems.append(Problem(r.line, "share", _l(
                "The unit already has other owners; the shares would add up to more than 1.")))
            continue
        if found is None:
            new_people.add(key)
        result.new_ownerships += 1
    result.new_people = len(new_people)
    result.problems.sort(key=lambda p: p.row)
    result.state = {"buildings": buildings, "existing": existing, "people": people, "owners": owners}
    return result


_PLAIN: dict[str, Table] = {}


def _plain(table: Table) -> Table:
    """The table with its decorated columns (areas, encrypted text, enums) typed as what they store,
    so a bulk insert passes values prepared once in Python instead of through a processor per cell."""
    if table.name not in _PLAIN:
        columns = []
        for col in table.columns:
            kind = col.type
            if isinstance(kind, _ScaledDecimal):
                kind = BigInteger()
            elif isinstance(kind, Encrypted | SAEnum):
                kind = String()
            columns.append(Column(col.name, kind, primary_key=col.primary_key))
        _PLAIN[table.name] = Table(table.name, MetaData(), *columns)
    return _PLAIN[table.name]


def _fen(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


def _name(value) -> str | None:
    return None if value is None else value.value


def _core():
    """The session's connection: plain Core reads, no ORM row processing (thousands of rows)."""
    return db.session.connection()


def _buildings(community_id: int) -> dict[str, int]:
    return dict(_core().execute(select(Building.name, Building.id).where(Building.community_id == community_id)).all())


def _person_key(owner: dict):
    return ("id", owner["id_number_index"]) if owner.get("id_number_index") else ("np", owner["name"],
                                                                                 owner.get("phone"))


def _existing_units(community_id: int) -> dict:
    cols = [Unit.id, Unit.building_id, Unit.number, *(getattr(Unit, c) for c in UNIT_COLUMNS)]
    return {(row[1], row[2]): row for row in _core().execute(
        select(*cols).where(Unit.community_id == community_id))}


def _unit_changes(current, new: dict) -> dict:
    old = dict(zip(UNIT_COLUMNS, current[3:], strict=True))
    return {k: v for k, v in new.items() if k in old and v is not None and old[k] != v}


def _existing_people(community_id: int, rows: list[Row]) -> dict:
    """Registered people the rows may mean: by ID index anywhere, by name + phone in this community."""
    indexes = sorted({r.owner["id_number_index"] for r in rows if r.owner and r.owner.get("id_number_index")})
    found: dict = {}
    for part in _chunks(indexes):
        for pid, name, idx in _core().execute(
                select(Person.id, Person.name, Person.id_number_index).where(Person.id_number_index.in_(part))):
            found[("id", idx)] = (pid, name)
    if any(r.owner and not r.owner.get("id_number_index") for r in rows):
        linked = select(Ownership.person_id).where(Ownership.community_id == community_id)
        for pid, name, phone in _core().execute(select(Person.id, Person.name, Person.phone).where(
                or_(Person.community_id == community_id, Person.id.in_(linked))).order_by(Person.id)):
            found.setdefault(("np", name, phone), (pid, name))
    return found


def _current_owners(community_id: int) -> dict[int, dict[int, Decimal]]:
    today = dt.date.today()
    owners: dict[int, dict[int, Decimal]] = {}
    for unit_id, person_id, org_id, share in _core().execute(
            select(Ownership.unit_id, Ownership.person_id, Ownership.organisation_id, Ownership.share).where(
                Ownership.community_id == community_id,
                or_(Ownership.start_date.is_(None), Ownership.start_date <= today),
                or_(Ownership.end_date.is_(None), Ownership.end_date >= today))):
        owners.setdefault(unit_id, {})[person_id or -org_id] = share
    return owners


def apply(actor: Account | None, community: Community, rows: list[Row],
          progress: Callable[[int], None] | None = None) -> Plan:
    """Write a clean file: new buildings, new or changed units, new owners and their ownerships.
    Raises ``ImportRefused`` (and writes nothing) when the plan has problems. Flushes, never commits."""
    result = plan(community, rows)
    if not result.ok:
        raise ImportRefused(result.problems)
    tables = {"b": Building.__table__, "u": Unit.__table__, "p": Person.__table__, "o": Ownership.__table__}
    # the database stamps the times once per statement: no per-row datetime conversion
    stamped = {name: insert(_plain(table)).values(created_at=func.now(), updated_at=func.now())
               for name, table in tables.items()}
    area_id, cid = community.area_id, community.id

    if result.new_buildings:
        db.session.execute(stamped["b"], [
            {"area_id": area_id, "community_id": cid, "name": name}
            for name in result.new_buildings])
        buildings = _buildings(cid)
    else:
        buildings = result.state["buildings"]
    existing = result.state["existing"]
    unit_ids = {key: row[0] for key, row in existing.items()}

    new_units, changed = [], []
    for r in rows:
        bid = buildings[r.building]
        current = existing.get((bid, r.number))
        if current is None:
            u = r.unit
            new_units.append({"area_id": area_id, "community_id": cid, "building_id": bid, "number": r.number,
                              "delivered_on": None, "note": None, "floor": u.get("floor"),
                              "building_area": _fen(u.get("building_area")),
                              "exclusive_area": _fen(u.get("exclusive_area")),
                              "building_area_source": _name(u.get("building_area_source")),
                              "exclusive_area_source": _name(u.get("exclusive_area_source")),
                              "use": _name(u.get("use") or UnitUse.residential),
                              "sale_status": _name(u.get("sale_status") or SaleStatus.sold)})
        elif changes := _unit_changes(current, r.unit):
            changed.append({**{c: v for c, v in zip(UNIT_COLUMNS, current[3:], strict=True)}, **changes,
                            "_id": current[0]})
    # plain executemany (RETURNING would make SQLite insert row by row), then one read of the new ids
    last_unit = _core().execute(select(func.max(Unit.id))).scalar() or 0
    for part in _chunks(new_units, CHUNK):
        db.session.execute(stamped["u"], part)
        if progress:
            progress(len(part))
    if new_units:
        unit_ids.update({(b, n): i for i, b, n in _core().execute(select(Unit.id, Unit.building_id, Unit.number).where(
            Unit.community_id == cid, Unit.id > last_unit))})
    if changed:
        stmt = update(tables["u"]).where(tables["u"].c.id == bindparam("_id")).values(
            {**{c: bindparam(c) for c in UNIT_COLUMNS}, "updated_at": func.now()})
        db.session.execute(stmt, changed, execution_options={"synchronize_session": False})
        if progress:
            progress(len(changed))

    people = result.state["people"]
    owners = result.state["owners"]
    new_people: dict = {}
    for r in rows:
        if r.owner and _person_key(r.owner) not in people:
            key = _person_key(r.owner)
            new_people.setdefault(key, {
                "area_id": area_id, "community_id": cid, "name": r.owner["name"], "phone": r.owner.get("phone"),
                "id_type": _name(r.owner.get("id_type")),
                "id_number": encrypt(r.owner["id_number"]) if r.owner.get("id_number") else None,
                "id_number_index": r.owner.get("id_number_index"), "birth_date": r.owner.get("birth_date"),
                "nationality": "CHN", "care_consent": False})
    rows_people = list(new_people.values())
    last_person = _core().execute(select(func.max(Person.id))).scalar() or 0
    for part in _chunks(rows_people, CHUNK):
        db.session.execute(stamped["p"], part)
        if progress:
            progress(len(part))
    if rows_people:
        for pid, name, phone, index in _core().execute(select(
                Person.id, Person.name, Person.phone, Person.id_number_index).where(
                Person.community_id == cid, Person.id > last_person)):
            key = ("id", index) if index else ("np", name, phone)
            people.setdefault(key, (pid, name))

    ownerships = []
    for r in rows:
        if not r.owner:
            continue
        uid = unit_ids[(buildings[r.building], r.number)]
        pid = people[_person_key(r.owner)][0]
        unit_owners = owners.setdefault(uid, {})
        if pid in unit_owners:
            continue
        ownerships.append({"area_id": area_id, "community_id": cid, "unit_id": uid, "person_id": pid,
                           "organisation_id": None, "share": r.owner["share"],
                           "is_voting_representative": not unit_owners, "start_date": None, "end_date": None})
        unit_owners[pid] = r.owner["share"]
    for part in _chunks(ownerships, CHUNK):
        db.session.execute(stamped["o"], part)
        if progress:
            progress(len(part))
    record(actor, "import", "Unit", None, area_id=area_id, community_id=cid, changes=result.summary())
    db.session.flush()
    return result


def run_import(actor: Account | None, community: Community, data: bytes, filename: str, *, dry_run: bool = False,
               progress: Callable[[str, int, int], None] | None = None) -> Plan:
    """Read, check and (unless ``dry_run``) apply a file. Raises ``ImportRefused`` on any problem."""
    table = read_table(data, filename)
    total = max(len(table) - 1, 0)
    tick = (lambda stage: (lambda k: progress(stage, k, total))) if progress else (lambda stage: None)
    rows, problems = check_rows(table, tick("check"))
    if problems:
        raise ImportRefused(problems)
    if dry_run:
        result = plan(community, rows)
        if not result.ok:
            raise ImportRefused(result.problems)
        return result
    return apply(actor, community, rows, tick("write"))


# ---------------------------------------------------------------------------------------------
# export


def export_rows(community: Community, include_ids: bool) -> list[list]:
    """The community's units with their current owners, in the import's columns (one row per owner)."""
    today = dt.date.today()
    owners: dict[int, list] = {}
    for o, p in db.session.execute(
            select(Ownership, Person).join(Person, Person.id == Ownership.person_id).where(
                Ownership.community_id == community.id,
                or_(Ownership.end_date.is_(None), Ownership.end_date >= today)).order_by(Ownership.id)):
        owners.setdefault(o.unit_id, []).append((o, p))
    out = [[label for _key, label, _aliases in COLUMNS]]
    stmt = (select(Unit, Building.name).join(Building, Building.id == Unit.building_id)
            .where(Unit.community_id == community.id).order_by(Building.name, Unit.number))
    for unit, bname in db.session.execute(stmt):
        base = [bname, unit.number, unit.floor, _num(unit.building_area),
                EXPORT_LABELS["area_source"].get(unit.building_area_source), _num(unit.exclusive_area),
                EXPORT_LABELS["area_source"].get(unit.exclusive_area_source), EXPORT_LABELS["use"][unit.use],
                EXPORT_LABELS["sale_status"][unit.sale_status]]
        for o, p in owners.get(unit.id, [None]) if unit.id in owners else [(None, None)]:
            if p is None:
                out.append(base + [None] * 5)
            else:
                out.append(base + [p.name, p.phone, EXPORT_LABELS["id_type"].get(p.id_type) if include_ids else None,
                                   p.id_number if include_ids else None, str(o.share.normalize())])
    return out


def _num(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def to_xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("units")
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def to_csv(rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue().encode("utf-8-sig")


def export(actor: Account, community: Community, fmt: str, include_ids: bool) -> bytes:
    """The export file; one audit entry (restricted when unmasked ID numbers are included)."""
    rows = export_rows(community, include_ids)
    record(actor, "export", "Unit", None, area_id=community.area_id, community_id=community.id,
           changes={"rows": len(rows) - 1, "format": fmt, "id_numbers": include_ids},
           restricted_to="people.read_sensitive" if include_ids else None)
    return to_xlsx(rows) if fmt == "xlsx" else to_csv(rows)

