import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_manager_logs_in_and_sees_the_dashboard(page, live_url, make, screenshot):
    company = make.company()
    community = make.community(name="浏览器小区", company=company)
    make.community(name="第二小区", company=company)
    make.account("manager", company, username="browser_mgr", organisation=company)
    login(page, live_url, "browser_mgr")
    assert page.locator("h1").first.inner_text() == "工作台"
    assert page.locator(f"[data-community='{community.id}']").is_visible()
    screenshot(page, "dashboard")


def test_a_one_community_manager_lands_on_its_dashboard(page, live_url, make, screenshot):
    community = make.community(name="单一小区")
    make.account("manager", community, username="browser_one")
    login(page, live_url, "browser_one")
    assert page.locator("h1").first.inner_text().startswith("单一小区")
    assert page.locator("[data-count='open']").is_visible()  # the tickets-today card
    screenshot(page, "community-dashboard")


def test_wrong_password_shows_a_message_in_chinese(page, live_url, make):
    make.account("staff", make.community(), username="browser_staff")
    login(page, live_url, "browser_staff", "wrong-password")
    assert "用户名或密码错误" in page.locator("[role=alert]").inner_text()
