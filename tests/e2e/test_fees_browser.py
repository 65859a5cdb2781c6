"""Fees in the browser: a manager posts a price notice and runs a quarter; an owner on a phone sees
the bill with its calculation, pays it and prints the receipt."""

from decimal import Decimal

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_manager_bills_a_quarter_and_owner_pays_on_a_phone(page, phone, live_url, make, screenshot):
    community = make.community(name="收费小区")
    unit = make.unit(make.building(community), building_area=Decimal("120.50"))
    owner = make.owner(unit)
    make.account("manager", community, username="fees_mgr")
    make.account(person=owner, username="fees_owner")

    login(page, live_url, "fees_mgr")
    page.goto(f"{live_url}/fees/c/{community.id}/items/new")
    for name, value in {"code": "SVC", "name": "物业服务费", "rate": "2.50", "unit_label": "元/m²/月",
                        "legal_basis": "物业服务收费管理办法", "billing_method": "按建筑面积按月计收",
                        "payer": "业主"}.items():
        page.fill(f"#item-form [name={name}]", value)
    page.select_option("#item-form [name=kind]", "service")
    page.fill("#item-form [name=effective_from]", "2026-01-01")
    page.click("#item-form button[type=submit]")
    assert page.locator("[data-item=SVC]").is_visible()
    page.fill("#publish-notice [name=effective_from]", "2026-01-01")
    page.click("#publish-notice button[type=submit]")
    page.goto(f"{live_url}/fees/notice/{community.id}/print")
    assert "12315" in page.content() and "物业服务费" in page.content()
    screenshot(page, "price-notice")

    page.goto(f"{live_url}/fees/c/{community.id}/")
    page.fill("#run-form [name=period]", "2026-Q1")
    page.click("#run-form button[type=submit]")
    assert page.locator(".run-total").inner_text() == "903.75"
    screenshot(page, "preview")
    page.click("#confirm-run")
    page.wait_for_load_state("networkidle")
    assert "903.75" in page.content()

    login(phone, live_url, "fees_owner")
    phone.goto(f"{live_url}/fees/portal")
    assert phone.locator(".portal-balance").inner_text() == "903.75"
    phone.locator(".bills a").first.click()
    assert "120.50 m² × 2.50 元/m²/月 × 3 月 = 903.75" in phone.locator(".calc").first.inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    screenshot(phone, "bill")
    phone.click("#pay-online")
    phone.wait_for_load_state("networkidle")
    assert phone.locator(".receipt-number").inner_text().startswith("SJ")
    assert phone.locator(".receipt-amount").inner_text() == "903.75"
    phone.emulate_media(media="print")
    assert not phone.locator(".no-print button").is_visible()
    screenshot(phone, "receipt-print")
    assert width <= 420, width
