"""Browser flows of the back office: accounts and roles, a notice from publication to the owner's phone."""

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_admin_creates_an_account_and_grants_a_role(page, live_url, make, screenshot):
    company = make.company(name="浏览器物业")
    community = make.community(name="浏览器花园", company=company)
    make.account("platform_admin", username="browser_admin")
    login(page, live_url, "browser_admin")
    page.goto(f"{live_url}/admin/accounts/new")
    page.fill("input[name=username]", "browser_new")
    page.fill("input[name=display_name]", "新管家")
    page.fill("input[name=password]", "good-pass-123")
    page.select_option("select[name=organisation_id]", label="浏览器物业")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    assert "账号已创建" in page.content()
    page.select_option("select[name=g-role]", label="经理")
    page.select_option("select[name=g-scope]", f"community:{community.id}")
    page.locator("form[action$='/grants'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-grant]").filter(has_text="浏览器花园").is_visible()
    screenshot(page, "account")


def test_notice_reaches_the_owners_phone(page, phone, live_url, make, screenshot):
    community = make.community(name="公告小区")
    unit = make.unit(building=make.building(community=community))
    make.account("manager", community, username="browser_pub")
    owner = make.owner(unit)
    make.account(person=owner, username="browser_owner")
    login(page, live_url, "browser_pub")
    page.goto(f"{live_url}/notices/new")
    page.fill("input[name=title]", "周六停水通知")
    page.fill("textarea[name=body]", "周六上午九点至十二点停水。")
    page.select_option("select[name=audience]", label="公告小区")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    assert "公告已发布" in page.content()

    login(phone, live_url, "browser_owner")
    phone.goto(f"{live_url}/portal/")
    assert phone.locator(".portal-notices").filter(has_text="周六停水通知").is_visible()
    assert phone.locator(f"[data-unit='{unit.id}']").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    screenshot(phone, "portal")
    phone.goto(f"{live_url}/c/{community.id}/notices")
    assert "周六停水通知" in phone.content()


def test_residents_committee_dashboard_and_settings(page, live_url, make, screenshot):
    area = make.area(name="浏览器社区")
    make.community(area=area, name="东苑")
    make.community(area=area, name="西苑")
    make.account("rc_staff", area, username="browser_rc")
    login(page, live_url, "browser_rc")
    page.goto(f"{live_url}/areas/{area.id}/dashboard")
    assert page.locator("[data-community]").count() == 2
    screenshot(page, "area-dashboard")
    page.goto(f"{live_url}/settings/?scope_type=area&scope_id={area.id}")
    page.locator("tr[data-key='core.notice_default_days'] a").click()
    page.fill("textarea[name=value]", "45")
    page.fill("input[name=note]", "居委会决定")
    page.click("button[type=submit].primary")
    page.wait_for_load_state("networkidle")
    assert page.locator("tr[data-key='core.notice_default_days'] .value").inner_text() == "45"
    screenshot(page, "settings")
