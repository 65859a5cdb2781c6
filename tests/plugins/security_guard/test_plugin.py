"""The plugin as a whole: Chinese first, settings declared with sources, disabled after use."""

from sqlalchemy import func, select

from core.testing import assert_envelope
from plugins.security_guard import models as m

from .conftest import API, candidate_payload


def test_reasons_and_pages_in_chinese(client, place, login_as, api_headers):
    manager = login_as("manager", place[0])
    resp = client.post(f"{API}/candidates", json=candidate_payload(place[0], exam_score=None),
                       headers={**api_headers(manager), "Accept-Language": "zh-CN"})
    reasons = {c["code"]: c["reason"] for c in resp.get_json()["eligibility"]}
    assert reasons["guard_exam"] == "未登记保安员考试成绩。"
    html = client.get("/security_guard/candidates/new?lang=zh_CN").get_data(as_text=True)
    assert "我们不询问的信息" in html and "保安员证编号" in html


def test_every_setting_names_its_source(app):
    from plugins.security_guard.services import SETTINGS

    keys = {s.key for s in SETTINGS}
    assert {"security_guard.min_age", "security_guard.max_theory_hours_per_day",
            "security_guard.max_practice_hours_per_day", "security_guard.entry_plan_hours",
            "security_guard.exam_pass_mark", "security_guard.revocation_wait_years"} <= keys
    assert all(s.source and s.key.startswith("security_guard.") for s in SETTINGS)


def test_a_setting_changes_the_rule(client, db, place, manager, api_headers):
    from core.settings.services import set_value

    set_value(None, "security_guard.min_age", 20, "community", place[0].id)
    resp = client.post(f"{API}/candidates", json=candidate_payload(place[0], birth_date="2007-01-01"),
                       headers=api_headers(manager))
    age = next(c for c in resp.get_json()["eligibility"] if c["code"] == "age")
    assert age["passed"] is False and "20" in age["reason"]


def test_disabled_after_use_the_core_starts_and_the_data_stays(client, db, place, manager, api_headers, make_app):
    client.post(f"{API}/candidates", json=candidate_payload(place[0]), headers=api_headers(manager))
    disabled = make_app({"DISABLED_PLUGINS": ["security_guard"]})
    assert "security_guard" not in {i.name for i in disabled.extensions["jiayuan.plugins"]}
    other = disabled.test_client()
    assert other.get("/login").status_code == 200
    assert other.get("/security_guard/verify").status_code == 404
    resp = other.get(f"{API}/candidates", headers=api_headers(manager))
    assert resp.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(m.GuardCandidate)) == 1
    assert_envelope(resp, 404)
