"""The area plan: the 3-to-5-year window applies when the target year is set or changed."""

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import Invalid
from plugins.drugfree import services
from plugins.drugfree.models import AreaPlan

TODAY = dt.date.today()


def plan(world, target_year, text, on):
    return services.set_plan(world["officer"], world["area"], mode="named", track="end_use",
                             target_year=target_year, plan=text, on=on)


def test_plan_text_can_be_edited_in_later_years_with_the_same_target(db, world):
    plan(world, 2029, "三年达标", dt.date(2026, 3, 1))
    row = plan(world, 2029, "第二年：帮教全覆盖", dt.date(2027, 5, 1))
    assert (row.target_year, row.plan) == (2029, "第二年：帮教全覆盖")
    row = plan(world, 2029, "达标年之后仍可修改", dt.date(2030, 2, 1))  # unchanged, even once past
    assert (row.target_year, row.plan) == (2029, "达标年之后仍可修改")


@pytest.mark.parametrize("target", [2026, 2027, 2028, 2033])  # past, this year, 1 year out, 6 out
def test_a_changed_target_year_is_checked_against_the_date(db, world, target):
    plan(world, 2029, "三年达标", dt.date(2026, 3, 1))
    db.session.commit()
    with pytest.raises(Invalid) as exc:
        plan(world, target, "改目标", dt.date(2027, 5, 1))
    assert "target_year" in exc.value.fields
    row = db.session.scalar(select(AreaPlan))
    assert (row.target_year, row.plan) == (2029, "三年达标")


@pytest.mark.parametrize("target", [2030, 2032])
def test_a_target_year_changed_within_the_window_is_taken(db, world, target):
    plan(world, 2029, "三年达标", dt.date(2026, 3, 1))
    assert plan(world, target, "推迟", dt.date(2027, 5, 1)).target_year == target


def test_a_first_target_year_and_a_cleared_one(db, world):
    with pytest.raises(Invalid):
        plan(world, 2028, "x", dt.date(2026, 3, 1))
    assert plan(world, None, "暂无目标年", dt.date(2026, 3, 1)).target_year is None
    with pytest.raises(Invalid):  # from none to a year is setting it: checked
        plan(world, 2028, "x", dt.date(2026, 3, 1))


def test_plan_form_edits_the_text_a_year_later_over_http(client, db, world, login_as):
    target = TODAY.year + 2  # set last year, 3 years out then
    plan(world, target, "去年的计划", dt.date(TODAY.year - 1, 6, 1))
    db.session.commit()
    login_as(world["officer"])
    url = f"/drugfree/areas/{world['area'].id}/plan"
    form = {"mode": "named", "track": "end_use", "target_year": target, "plan": "今年修改"}
    assert client.post(url, data=form).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(AreaPlan.plan)) == "今年修改"
    for changed in (TODAY.year + 1, TODAY.year - 1):  # too near, in the past
        assert client.post(url, data={**form, "target_year": changed, "plan": "不应保存"}).status_code == 422
    db.session.expire_all()
    row = db.session.scalar(select(AreaPlan))
    assert (row.target_year, row.plan) == (target, "今年修改")
