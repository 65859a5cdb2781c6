"""Demo data: two residents' committee areas, three communities of two companies, ~1,500 units,
owners, tenants and family, a developer with unsold units, and one account per role.

Idempotent: the register is created once (recognised by its street office); plugins add theirs
through the ``demo_data`` hook, which must be idempotent too.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from faker import Faker
from sqlalchemy import select

from core.auth.models import Account, Role, ScopeType
from core.auth.services import create_account, grant
from core.database import db
from core.people.models import Gender, IdType, Ownership, Person, Residency, ResidencyKind
from core.places.models import (
    Area,
    AreaSource,
    Building,
    Community,
    Organisation,
    OrgKind,
    SaleStatus,
    StreetOffice,
    Unit,
)
from core.security import blind_index, resident_id_with_check_digit

DEMO_PASSWORD = "jiayuan-demo-2026"
STREET = "和平街道办事处"

# username, display name, role, scope description (resolved in _accounts)
ACCOUNTS = [
    ("admin", "平台管理员", "platform_admin", "platform"),
    ("company", "阳光物业总经理", "company_admin", "company:阳光物业服务有限公司"),
    ("manager", "王经理", "manager", "community:阳光花园"),
    ("staff", "李师傅", "staff", "community:阳光花园"),
    ("guard", "张保安", "guard", "community:阳光花园"),
    ("manager_b", "赵经理", "manager", "community:翠湖苑"),
    ("committee", "业委会陈主任", "committee_member", "community:阳光花园"),
    ("rc", "幸福里居委会刘主任", "rc_staff", "area:幸福里社区"),
    ("drugfree", "禁毒专干周同志", "drugfree_officer", "area:幸福里社区"),
    ("developer", "锦城置业代表", "developer_rep", "community:阳光花园"),
    ("auditor", "审计员孙女士", "auditor", "area:幸福里社区"),
    ("owner", "业主（阳光花园1栋）", "owner", "portal"),
    ("tenant", "租户（阳光花园）", "resident", "portal"),
]

COMMUNITIES = [
    # name, area, company, buildings, floors, units per floor
    ("阳光花园", "幸福里社区", "阳光物业服务有限公司", 10, 18, 4),
    ("翠湖苑", "幸福里社区", "安居物业管理有限公司", 8, 12, 4),
    ("春晖家园", "春晖社区", "阳光物业服务有限公司", 8, 12, 4),
]


def _id_number(rng: random.Random, born: dt.date, gender: Gender) -> str:
    region = rng.choice(["110101", "310104", "440305", "510107", "330106"])
    seq = rng.randint(0, 99) * 10 + (rng.choice([1, 3, 5, 7, 9]) if gender == Gender.male else rng.choice([0, 2, 4, 6, 8]))
    return resident_id_with_check_digit(f"{region}{born:%Y%m%d}{seq:03d}")


def _person(fake: Faker, rng: random.Random, area_id: int, min_age=22, max_age=80) -> Person:
    gender = rng.choice([Gender.male, Gender.female])
    name = fake.name_male() if gender == Gender.male else fake.name_female()
    born = dt.date(2026, 1, 1) - dt.timedelta(days=rng.randint(min_age * 365, max_age * 365))
    number = _id_number(rng, born, gender)
    return Person(area_id=area_id, name=name, gender=gender, birth_date=born, phone=fake.phone_number(),
                  nationality="CHN", id_type=IdType.resident_id, id_number=number,
                  id_number_index=blind_index(number, "person.id_number"),
                  household_registration=fake.city_name() + fake.district() + "区")


def load_demo(only_if_empty: bool = False) -> bool:
    """Create the demo register and accounts once, then let plugins add theirs. Returns True if created."""
    from core.calendar.services import seed_from_package
    from core.plugins import hook

    seed_from_package(None)  # the holiday calendar table, idempotent

    existing = db.session.scalar(select(StreetOffice).where(StreetOffice.name == STREET))
    if existing is not None or (only_if_empty and db.session.scalar(select(Community.id).limit(1))):
        hook().demo_data(session=db.session)
        db.session.commit()
        return False
    db.session.info["audit"] = False  # demo rows are not user actions
    try:
        _register()
        db.session.flush()
        hook().demo_data(session=db.session)
        db.session.commit()
    finally:
        db.session.info["audit"] = True
    return True


def _register() -> None:
    fake = Faker("zh_CN")
    Faker.seed(2026)
    rng = random.Random(2026)
    street = StreetOffice(name=STREET, district="锦江区")
    db.session.add(street)
    db.session.flush()
    areas = {}
    for name, code in (("幸福里社区", "XFL"), ("春晖社区", "CH")):
        area = Area(street_office_id=street.id, name=name, code=code)
        db.session.add(area)
        db.session.flush()
        areas[name] = area
        db.session.add(Organisation(kind=OrgKind.residents_committee, name=f"{name}居民委员会", area_id=area.id,
                                    street_office_id=street.id))
    db.session.add(Organisation(kind=OrgKind.street_office, name=STREET, street_office_id=street.id))
    orgs = {}
    for name in ("阳光物业服务有限公司", "安居物业管理有限公司"):
        orgs[name] = Organisation(kind=OrgKind.property_company, name=name, phone="028-8888" + str(len(orgs)) + "000")
    developer = Organisation(kind=OrgKind.developer, name="锦城置业有限公司")
    db.session.add_all([*orgs.values(), developer])
    db.session.flush()

    communities = {}
    for cname, aname, company, n_buildings, floors, per_floor in COMMUNITIES:
        area = areas[aname]
        c = Community(area_id=area.id, name=cname, address=f"{fake.street_address()}", company_id=orgs[company].id,
                      developer_id=developer.id, contract_start=dt.date(2024, 1, 1), contract_end=dt.date(2027, 12, 31),
                      hotline="028-" + str(rng.randint(80000000, 89999999)))
        db.session.add(c)
        db.session.flush()
        communities[cname] = c
        db.session.add(Organisation(kind=OrgKind.owners_committee, name=f"{cname}业主委员会", community_id=c.id,
                                    area_id=area.id))
        for b in range(1, n_buildings + 1):
            building = Building(area_id=area.id, community_id=c.id, name=f"{b}栋", floors=floors)
            db.session.add(building)
            db.session.flush()
            for floor in range(1, floors + 1):
                for k in range(1, per_floor + 1):
                    size = Decimal(rng.choice([8950, 10275, 12050, 14380])) / 100
                    unsold = cname == "阳光花园" and b == n_buildings and floor > floors - 3
                    db.session.add(Unit(
                        area_id=area.id, community_id=c.id, building_id=building.id, number=f"{floor}{k:02d}",
                        floor=floor, building_area=size, building_area_source=AreaSource.register,
                        exclusive_area=(size * Decimal("0.78")).quantize(Decimal("0.01")),
                        exclusive_area_source=AreaSource.survey,
                        sale_status=SaleStatus.unsold if unsold else SaleStatus.delivered,
                        delivered_on=None if unsold else dt.date(2019, 6, 30)))
    db.session.flush()

    units = db.session.scalars(select(Unit).order_by(Unit.id)).all()
    owner_of: dict[int, Person] = {}
    repeat_owner = None
    for i, unit in enumerate(units):
        if unit.sale_status == SaleStatus.unsold:
            db.session.add(Ownership(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                                     organisation_id=developer.id, start_date=dt.date(2019, 1, 1)))
            continue
        if repeat_owner is not None and i % 97 == 0:
            owner = repeat_owner  # one buyer with several units
        else:
            owner = _person(fake, rng, unit.area_id)
            db.session.add(owner)
            repeat_owner = owner if i % 50 == 0 else repeat_owner
        owner_of[unit.id] = owner
        db.session.add(Ownership(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                                 person=owner, share=Decimal(1), start_date=dt.date(2019, 7, 1)))
        roll = rng.random()
        if roll < 0.12:  # let to a tenant
            tenant = _person(fake, rng, unit.area_id, 20, 50)
            db.session.add(tenant)
            db.session.add(Residency(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                                     person=tenant, kind=ResidencyKind.tenant, start_date=dt.date(2025, 3, 1),
                                     landlord=owner, lease_start=dt.date(2025, 3, 1), lease_end=dt.date(2027, 2, 28)))
        else:
            db.session.add(Residency(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                                     person=owner, kind=ResidencyKind.owner, start_date=dt.date(2019, 7, 1)))
            if roll < 0.45:
                family = _person(fake, rng, unit.area_id, 3, 85)
                db.session.add(family)
                db.session.add(Residency(area_id=unit.area_id, community_id=unit.community_id, unit_id=unit.id,
                                         person=family, kind=ResidencyKind.family, start_date=dt.date(2019, 7, 1)))
    db.session.flush()
    _accounts(areas, communities, orgs, developer, units, owner_of)


def _accounts(areas, communities, orgs, developer, units, owner_of) -> None:
    first = communities["阳光花园"]
    rc_orgs = {o.area_id: o for o in db.session.scalars(
        select(Organisation).where(Organisation.kind == OrgKind.residents_committee))}
    committee_org = db.session.scalar(select(Organisation).where(
        Organisation.kind == OrgKind.owners_committee, Organisation.community_id == first.id))
    tenant_res = db.session.scalar(select(Residency).where(
        Residency.community_id == first.id, Residency.kind == ResidencyKind.tenant).order_by(Residency.id))
    first_unit = next(u for u in units if u.community_id == first.id and u.id in owner_of)
    for username, display, role, scope in ACCOUNTS:
        kind, _, name = scope.partition(":")
        org_id = person_id = None
        if role == "owner":
            person_id = owner_of[first_unit.id].id
        elif role == "resident":
            person_id = tenant_res.person_id
        elif kind == "company":
            org_id = orgs[name].id
        elif kind == "community":
            c = communities[name]
            org_id = {"committee_member": committee_org.id if committee_org else None,
                      "developer_rep": developer.id}.get(role, c.company_id)
        elif kind == "area":
            org_id = rc_orgs[areas[name].id].id
        account = create_account(username, DEMO_PASSWORD, display, organisation_id=org_id, person_id=person_id,
                                 email=f"{username}@demo.jiayuan.local", check_strength=False)
        if kind == "platform":
            grant(account, Role.platform_admin, ScopeType.platform, None)
        elif kind == "company":
            grant(account, role, ScopeType.company, orgs[name].id)
        elif kind == "community":
            grant(account, role, ScopeType.community, communities[name].id)
        elif kind == "area":
            grant(account, role, ScopeType.area, areas[name].id)
    # the steward (管家) of every building in the first community is the staff account
    staff = db.session.scalar(select(Account).where(Account.username == "staff"))
    for building in first.buildings:
        building.steward_id = staff.id
