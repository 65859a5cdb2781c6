"""Browser: the officer records a case and sees "not yet" with reasons, then "meets" after the
records change; a manager sees only aggregates and a direct URL to the named record is refused
and audited."""

import pytest
from sqlalchemy import select

from core import blind_index
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

ID_NUMBER = "110101199003071236"


def test_officer_records_and_manager_is_refused(page, live_url, make, db, screenshot):
    from core.audit.models import AuditEntry
    from plugins.drugfree.models import Case

    area = make.area(name="浏览器社区")
    community = make.community(area=area)
    unit = make.unit(building=make.building(community=community))
    person = make.person(name="虚构人员", area_id=area.id, id_number=ID_NUMBER,
                         id_number_index=blind_index(ID_NUMBER, "person.id_number"))
    make.resident(unit, person, kind="tenant")
    make.account("drugfree_officer", area, username="browser_officer")
    make.account("manager", community, username="browser_manager")

    login(page, live_url, "browser_officer")
    page.goto(f"{live_url}/drugfree/areas/{area.id}/cases")
    page.fill("#case-form input[name=id_number]", ID_NUMBER)
    page.select_option("#case-form select[name=legal_basis]", "police_notification")
    page.fill("#case-form input[name=registered_on]", "2019-01-01")
    page.click("#case-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("#case-name").inner_text() == "虚构人员"
    case_id = db.session.scalar(select(Case.id))

    page.goto(f"{live_url}/drugfree/areas/{area.id}")
    assert page.locator("[data-result=not-yet]").is_visible()
    assert page.locator("[data-check=no_current_users] .badge.bad").is_visible()
    screenshot(page, "drugfree-not-yet")

    page.goto(f"{live_url}/drugfree/cases/{case_id}")
    page.fill("#clean-form input[name=clean_since]", "2020-01-01")
    page.click("#clean-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_url}/drugfree/areas/{area.id}")
    assert page.locator("[data-result=meets]").is_visible()
    screenshot(page, "drugfree-meets")

    page.context.clear_cookies()
    login(page, live_url, "browser_manager")
    page.goto(f"{live_url}/drugfree/areas/{area.id}")
    assert page.locator("[data-result=meets]").is_visible()
    assert "虚构人员" not in page.content() and f"/drugfree/cases/{case_id}" not in page.content()
    response = page.goto(f"{live_url}/drugfree/cases/{case_id}")
    assert response.status == 403
    db.session.expire_all()
    refused = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "drugfree.refused")).all()
    assert len(refused) == 1 and refused[0].restricted_to == "drugfree.audit.read"
