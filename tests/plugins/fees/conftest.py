import datetime as dt
from decimal import Decimal

import pytest


@pytest.fixture
def setup(db, make):
    """A community with two buildings of units, owners, a service and a parking item on a posted notice."""
    from plugins.fees import services as svc

    def build(n_units=3, guided=False, post=True):
        c = make.community()
        b = make.building(c)
        units = [make.unit(b, building_area=Decimal("120.50") + i, exclusive_area=Decimal("100.00") + i)
                 for i in range(n_units)]
        owners = [make.owner(u) for u in units]
        data = {"code": "SVC", "name": "物业服务费", "kind": "service", "rate": "2.50", "unit_label": "元/m²/月",
                "effective_from": dt.date(2026, 1, 1), "legal_basis": "物业服务收费管理办法"}
        if guided:
            data.update(pricing_type="government_guided", guided_min="1.50", guided_max="3.00", guided_base="2.00")
        item = svc.create_item(None, c, data)
        if post:
            svc.publish_price_notice(None, c, dt.date(2026, 1, 1))
        db.session.flush()
        return c, units, owners, item

    return build


@pytest.fixture(autouse=True)
def request_ctx(app, db):
    """Core errors render their (lazy, translated) message when raised, which needs a request context."""
    with app.test_request_context("/"):
        yield
