"""Browser: a platform admin sees next year's fallback warning, imports the official schedule with
a preview, and the warning goes away; a manager sets a community's working hours."""

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_admin_imports_next_years_schedule(page, live_url, make, screenshot, tmp_path):
    make.account("platform_admin", username="browser_cal_admin")
    login(page, live_url, "browser_cal_admin")
    page.goto(f"{live_url}/calendar/?year=2027")
    assert "调休安排未知" in page.locator("[data-warning='2027']").inner_text()
    assert page.locator("td[data-day='2027-02-08']").get_attribute("data-working") == "false"  # 初三, computed
    screenshot(page, "fallback")
    csv = tmp_path / "2027.csv"
    csv.write_text("日期,是否上班,名称\n2027-02-20,班,春节调休\n2027-02-30,休,错\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(csv))
    page.click("#import button[type=submit]")
    assert page.locator("tr[data-line='3'].row-error").is_visible()
    assert page.locator("input[name=rows]").count() == 0
    screenshot(page, "preview-errors")
    csv.write_text("日期,是否上班,名称\n2027-02-20,班,春节调休\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(csv))
    page.click("#import button[type=submit]")
    page.click("#import button.primary")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-warning]").count() == 0
    assert page.locator("td[data-day='2027-02-20']").get_attribute("data-working") == "true"
    screenshot(page, "imported")


def test_manager_sets_working_hours(page, live_url, make):
    community = make.community(name="工时小区")
    make.account("manager", community, username="browser_cal_mgr")
    login(page, live_url, "browser_cal_mgr")
    page.goto(f"{live_url}/calendar/hours")
    row = page.locator(f"tr[data-community='{community.id}']")
    row.locator("input[name=periods]").fill("09:00-12:00,14:00-18:00")
    row.locator("button").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(f"tr[data-community='{community.id}'] td.periods").inner_text() == "09:00-12:00,14:00-18:00"
    page.locator(f"tr[data-community='{community.id}'] input[name=periods]").fill("12:00-08:00")
    page.locator(f"tr[data-community='{community.id}'] button").click()
    assert "结束早于开始" in page.locator("[role=alert]").first.inner_text()
