import datetime as dt

import pytest

API = "/api/v1/security_guard"


def candidate_payload(community, **kw):
    base = {"community_id": community.id, "name": "王建国", "birth_date": "1995-03-04", "nationality": "CHN",
            "education": "senior_high", "health_certificate_no": "JK-2026-001",
            "health_certificate_valid_until": (dt.date.today() + dt.timedelta(days=200)).isoformat(),
            "exam_score": 78, "vetting_outcome": "passed"}
    return {**base, **kw}


@pytest.fixture
def place(make):
    community = make.community()
    other = make.community()
    return community, other


@pytest.fixture
def manager(make, place):
    return make.account("manager", place[0])


@pytest.fixture
def guard_of(make, db):
    """A guard account with its Guard row in ``community``."""
    from plugins.security_guard import models as m

    def build(community, **kw):
        account = make.account("guard", community, **kw)
        db.session.add(m.Guard(area_id=community.area_id, community_id=community.id, account_id=account.id,
                               level=5, level_since=dt.date(2025, 1, 1)))
        db.session.flush()
        return account

    return build
