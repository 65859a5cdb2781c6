import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from core.people.models import Ownership
from core.places.models import OrgKind, SaleStatus
from plugins.owners_assembly import services as svc


@pytest.fixture
def estate(make, db):
    return build_estate(make, db)


def build_estate(make, db):
    """A community: owner A holds two units, B, C, D one each, the developer two unsold ones."""
    community = make.community(name="议事小区")
    building = make.building(community, name="1栋")
    areas = [Decimal("100.00"), Decimal("80.00"), Decimal("90.00"), Decimal("70.00"), Decimal("60.00"),
             Decimal("120.00"), Decimal("50.00")]
    units = [make.unit(building, number=f"{i + 1:02d}01", exclusive_area=a, sale_status=SaleStatus.delivered)
             for i, a in enumerate(areas)]
    a = make.owner(units[0])
    make.owner(units[1], person=a, lives_there=False)
    b, c, d = make.owner(units[2]), make.owner(units[3]), make.owner(units[4])
    developer = make.organisation("developer")
    for unit in units[5:]:
        unit.sale_status = SaleStatus.unsold
        db.session.add(Ownership(area_id=unit.area_id, community_id=community.id, unit_id=unit.id,
                                 organisation_id=developer.id, share=Decimal(1)))
    committee = make.account("committee_member", community, username="committee1")
    clerk = make.account("staff", community, username="clerk1")
    clerk2 = make.account("staff", community, username="clerk2")
    db.session.flush()
    assert developer.kind == OrgKind.developer
    return SimpleNamespace(community=community, units=units, a=a, b=b, c=c, d=d, developer=developer,
                           committee=committee, clerk=clerk, clerk2=clerk2)


@pytest.fixture
def open_meeting(estate, db):
    """A noticed meeting whose voting is open now, with one ordinary and one special item."""
    now = svc.utcnow()
    meeting = svc.create_meeting(estate.committee, estate.community, title="年度会议", kind="regular",
                                 form="mixed", cutoff_date=(now - dt.timedelta(days=20)).date(),
                                 opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(days=3))
    ordinary = svc.add_item(estate.committee, meeting, title="续聘物业", decision_class="ordinary")
    special = svc.add_item(estate.committee, meeting, title="筹集维修资金", decision_class="special")
    svc.publish_meeting_notice(estate.committee, meeting, now=now - dt.timedelta(days=16))
    db.session.flush()
    return SimpleNamespace(meeting=meeting, ordinary=ordinary, special=special)


def entry_of(meeting, person):
    return next(e for e in svc.entries_for_person(meeting.id, person.id) if e.person_id == person.id)
