"""A manager builds the register in the browser; an owner on a phone sees only their own unit."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from core.places.models import Building, Unit
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _workbook(path):
    book = Workbook()
    sheet = book.active
    sheet.append(["楼栋", "房号", "楼层", "建筑面积", "建筑面积来源", "用途", "销售状态", "业主姓名", "业主电话"])
    sheet.append(["8栋", "101", 1, 95.5, "不动产登记", "住宅", "已交付", "周杰", "13911112222"])
    sheet.append(["8栋", "102", 1, 88, "测绘", "住宅", "已售", "吴敏", "13911113333"])
    sheet.append(["9栋", "101", 1, 120, "合同", "商业", "未售", None, None])
    buf = io.BytesIO()
    book.save(buf)
    path.write_bytes(buf.getvalue())
    return path


def test_manager_creates_building_and_unit_and_imports_excel(page, live_url, make, db, screenshot, tmp_path):
    community = make.community(name="浏览器花园")
    make.account("manager", community, username="reg_mgr")
    login(page, live_url, "reg_mgr")
    page.goto(f"{live_url}/register/communities")
    page.click(f"[data-community='{community.id}'] a")
    page.click("#new-building")
    page.fill("input[name=name]", "7栋")
    page.fill("input[name=floors]", "18")
    page.click("form[novalidate] button.primary")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").first.inner_text() == "7栋"
    page.click("a[href*='units/new']")
    page.fill("input[name=number]", "1801")
    page.fill("input[name=floor]", "18")
    page.fill("input[name=building_area]", "120.50")
    page.select_option("select[name=building_area_source]", "register")
    page.click("form[novalidate] button.primary")
    page.wait_for_load_state("networkidle")
    assert "7栋-1801" in page.locator("h1").first.inner_text()
    screenshot(page, "unit")

    page.goto(f"{live_url}/register/communities/{community.id}")
    page.click("#import-units")
    page.set_input_files("input[type=file]", str(_workbook(tmp_path / "units.xlsx")))
    page.click("#preview")
    page.wait_for_load_state("networkidle")
    assert page.locator("#summary").is_visible()
    screenshot(page, "preview")
    page.click("#confirm-import")
    page.wait_for_load_state("networkidle")
    assert page.locator("#unit-count").inner_text() == "4"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.community_id == community.id)) == 4
    assert db.session.scalar(select(func.count()).select_from(Building)) == 3
    screenshot(page, "imported")


def test_owner_on_a_phone_sees_only_their_own_unit(phone, live_url, make, screenshot):
    community = make.community(name="手机花园")
    building = make.building(community, name="3栋")
    mine, theirs = make.unit(building, number="301"), make.unit(building, number="302")
    me = make.owner(mine)
    make.owner(theirs)
    make.account(person=me, username="reg_owner")
    login(phone, live_url, "reg_owner")
    units = phone.locator("[data-unit]")
    assert units.count() == 1
    assert units.first.get_attribute("data-unit") == str(mine.id)
    assert "3栋-301" in units.first.inner_text()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone.goto(f"{live_url}/api/v1/units/{theirs.id}")
    assert "not_found" in phone.content()
    screenshot(phone, "portal")
