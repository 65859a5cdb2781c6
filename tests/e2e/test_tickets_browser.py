"""Browser test of the ticket lifecycle: an owner on a phone reports a repair with a photo, staff
work it through (accept, dispatch, arrival, hold, resume, resolve), the owner rates it 2, closing is
refused until a 回访 is recorded; then a renovation application goes through review, works and
inspection. Screenshots are saved under test-artifacts/."""

import re

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")


def act(page, action, **fields):
    form = page.locator(f"form.action-{action}")
    for name, value in fields.items():
        if name == "assignee_id":
            form.locator("select[name=assignee_id]").select_option(str(value))
        else:
            form.locator(f"[name={name}]").fill(value)
    form.locator(f"button[data-action={action}]").click()
    page.wait_for_load_state("networkidle")


def status_of(page) -> str:
    return page.locator("#ticket").get_attribute("data-status")


@pytest.fixture
def without_fees(app):
    """This community has posted no deposit on a price notice: run it as a site without the fees
    plugin, where the deposit is taken offline (with fees, an unposted deposit is refused)."""
    pm = app.extensions["jiayuan.pm"]
    fees = pm.unregister(name="fees")
    yield
    if fees is not None:
        pm.register(fees, name="fees")


def test_repair_and_renovation_lifecycle(browser, phone, page, live_url, make, screenshot, db, without_fees):
    community = make.community(name="浏览器花园")
    steward = make.account("staff", community, username="steward_b", display_name="周管家")
    building = make.building(community, steward_id=steward.id)
    unit = make.unit(building, number="0801")
    person = make.owner(unit)
    make.account(person=person, username="owner_b", display_name="业主王先生")

    # the owner, on a phone, reports a leak with a photo
    login(phone, live_url, "owner_b")
    phone.goto(f"{live_url}/tickets/my/new")
    phone.select_option("select[name=category]", "in_unit_repair")
    phone.fill("input[name=title]", "卫生间水管漏水")
    phone.fill("textarea[name=description]", "地面一直有水")
    phone.set_input_files("input[name=photos]", files=[{"name": "leak.png", "mimeType": "image/png",
                                                        "buffer": PNG}])
    screenshot(phone, "1-owner-submits")
    phone.click("#submit-ticket")
    phone.wait_for_load_state("networkidle")
    ticket_id = int(re.search(r"/tickets/my/(\d+)", phone.url).group(1))
    assert status_of(phone) == "submitted"
    assert phone.locator(".photos a").count() == 1
    screenshot(phone, "2-owner-timeline")

    # staff work it through on the back office
    login(page, live_url, "steward_b")
    page.goto(f"{live_url}/tickets/{ticket_id}")
    assert page.locator(".photos img").count() == 1
    act(page, "accept")
    act(page, "dispatch", assignee_id=steward.id)
    act(page, "arrive")
    act(page, "hold", note="等待配件")
    assert status_of(page) == "on_hold"
    act(page, "resume")
    act(page, "resolve")
    assert status_of(page) == "resolved"
    screenshot(page, "3-staff-resolved")

    # the owner rates it 2
    phone.goto(f"{live_url}/tickets/my/{ticket_id}")
    phone.check("input[name=score][value='2']")
    phone.fill("textarea[name=comment]", "等了太久")
    phone.click(".rate button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert phone.locator(".rating-score").count() == 1
    screenshot(phone, "4-owner-rated-2")

    # closing is refused until a 回访 is recorded
    page.goto(f"{live_url}/tickets/{ticket_id}")
    act(page, "close")
    assert page.locator(".flash-error").first.is_visible()
    assert status_of(page) == "resolved"
    screenshot(page, "5-close-refused")
    page.select_option("select[name=outcome]", "explained")
    page.fill("input[name=attempts]", "1")
    page.fill(".callback-form textarea[name=note]", "已致歉，业主接受")
    page.click(".callback-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    act(page, "close")
    assert status_of(page) == "closed"
    screenshot(page, "6-closed-after-callback")

    # a renovation application: review, approval with conditions, works, inspection
    phone.goto(f"{live_url}/tickets/my/new")
    phone.select_option("select[name=category]", "renovation")
    phone.fill("input[name=title]", "厨卫改造申请")
    phone.set_input_files("input[name=photos]", files=[{"name": "plan.pdf", "mimeType": "application/pdf",
                                                        "buffer": b"%PDF-1.7 floor plan"}])
    phone.click("#submit-ticket")
    phone.wait_for_load_state("networkidle")
    reno_id = int(re.search(r"/tickets/my/(\d+)", phone.url).group(1))
    page.goto(f"{live_url}/tickets/{reno_id}")
    act(page, "review")
    act(page, "approve", note="不得改动承重墙；施工时间8:00-12:00、14:00-18:00")
    act(page, "start_works", workers="张三, 李四")
    act(page, "request_inspection")
    act(page, "pass_inspection")
    assert status_of(page) == "closed"
    assert "张三" in page.locator("table.facts").inner_text()
    screenshot(page, "7-renovation-closed")
