"""Guards end to end: selection with reasons, training, an exam on a phone, a certificate verified in public."""

import datetime as dt
import re

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _fill_candidate(page, base, name, birth):
    page.goto(f"{base}/security_guard/candidates/new")
    page.fill("input[name=name]", name)
    page.fill("input[name=birth_date]", birth)
    page.select_option("select[name=education]", "senior_high")
    page.fill("input[name=health_certificate_no]", "JK-0001")
    page.fill("input[name=health_certificate_valid_until]", (dt.date.today() + dt.timedelta(days=100)).isoformat())
    page.fill("input[name=exam_score]", "81")
    page.select_option("select[name=vetting_outcome]", "passed")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_candidate_to_certificate(page, phone, live_url, make, db, screenshot):
    from plugins.security_guard import services

    community = make.community(name="保安测试小区")
    manager = make.account("manager", community, username="sg_mgr")
    login(page, live_url, "sg_mgr")
    assert "我们不询问的信息" in page.goto(f"{live_url}/security_guard/candidates/new").text()

    young = (dt.date.today() - dt.timedelta(days=16 * 365)).isoformat()
    _fill_candidate(page, live_url, "少年甲", young)
    age = page.locator("[data-criterion=age]")
    assert "fail" in age.get_attribute("class") and "18" in age.inner_text()
    screenshot(page, "fails-age")

    _fill_candidate(page, live_url, "合格乙", "1992-06-01")
    assert page.locator("li.fail").count() == 0 and page.locator("li.pass").count() == 7
    for step in ("screened",):
        page.select_option("select[name=to]", step)
        page.click("form[action$='/move'] button")
    page.fill("input[name=score]", "86")
    page.click("form[action$='/interview'] button")
    page.select_option("select[name=to]", "interviewed")
    page.click("form[action$='/move'] button")
    page.select_option("select[name=to]", "accepted")
    page.fill("textarea[name=reason]", "面试优秀")
    page.fill("input[name=username]", "sg_new_guard")
    page.click("form[action$='/move'] button")
    page.wait_for_load_state("networkidle")
    flash = page.locator(".flash-success").inner_text()
    password = re.search(r"(?:password|密码)[:：]\s*(\S+?)[（(]", flash).group(1)
    assert page.locator("[data-status=accepted]").is_visible()

    # training: a theory session attended, then an exam
    from sqlalchemy import select

    from core import Account

    db.session.expire_all()
    guard = db.session.scalar(select(Account).where(Account.username == "sg_new_guard"))
    manager = db.session.merge(manager)
    course = services.create_course(manager, "法律法规", "theory", 6)
    session = services.schedule_session(manager, community.id, course.id, manager.id,
                                        dt.datetime.now(dt.UTC), [guard.id])
    services.record_attendance(manager, session, {guard.id: True})
    q1 = services.create_question(manager, "single", "火警电话是？", ["110", "119"], "1", 50)
    q2 = services.create_question(manager, "true_false", "保安员可以扣押证件。", [], False, 50)
    exam = services.create_exam(manager, "五级理论考核", [q1.id, q2.id], duration_minutes=20)
    db.session.commit()

    login(phone, live_url, "sg_new_guard", password)
    phone.goto(f"{live_url}/security_guard/exams")
    phone.click(f"button[data-exam='{exam.id}']")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#timer").is_visible()
    phone.check(f"input[name=q{q1.id}][value='1']")
    phone.check(f"input[name=q{q2.id}][value='false']")
    screenshot(phone, "exam")
    phone.click("#submit-exam")
    phone.wait_for_load_state("networkidle")
    assert phone.locator("#score").inner_text() == "100.0"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.click("#certificate-link")
    number = phone.locator("#cert-number").inner_text()
    screenshot(phone, "certificate")

    anon = phone.context.browser.new_context(locale="zh-CN").new_page()
    anon.goto(f"{live_url}/security_guard/verify")
    anon.fill("input[name=number]", number)
    anon.click("main form button[type=submit]")
    assert "证书真实有效" in anon.locator("#verify-result").inner_text()
    anon.goto(f"{live_url}/security_guard/verify?number=SG00000000-NOPE")
    assert "没有这个编号的证书" in anon.locator("#verify-result").inner_text()
    anon.context.close()
