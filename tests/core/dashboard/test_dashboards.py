"""Dashboards per community and per area, and the inline-SVG chart helper."""

from decimal import Decimal

import pytest
from markupsafe import Markup

from core import bar_chart, line_chart


@pytest.fixture
def world(make, db):
    area, other = make.area(), make.area()
    c1 = make.community(area=area, name="阳光花园")
    c2 = make.community(area=area, name="翠湖苑")
    c3 = make.community(area=other)
    w = {"area": area, "other": other, "c1": c1, "c2": c2, "c3": c3,
         "manager": make.account("manager", c1), "rc": make.account("rc_staff", area),
         "guard": make.account("guard", c1)}
    db.session.commit()
    return w


def test_community_dashboard(client, login_as, world):
    login_as(world["manager"])
    resp = client.get(f"/communities/{world['c1'].id}/dashboard")
    assert resp.status_code == 200 and "阳光花园" in resp.get_data(as_text=True)
    assert client.get(f"/communities/{world['c2'].id}/dashboard").status_code == 403
    assert client.get("/communities/999999/dashboard").status_code == 404
    assert client.get(f"/areas/{world['area'].id}/dashboard").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert f"/communities/{world['c1'].id}/dashboard" in home


def test_area_dashboard_lists_communities_and_companies(client, login_as, world):
    login_as(world["rc"])
    text = client.get(f"/areas/{world['area'].id}/dashboard").get_data(as_text=True)
    assert "阳光花园" in text and "翠湖苑" in text and world["c1"].company.name in text
    assert f'data-community="{world["c3"].id}"' not in text
    assert client.get(f"/areas/{world['other'].id}/dashboard").status_code == 403
    assert client.get(f"/areas/{world['area'].id}/dashboard?on=2026-13-01").status_code == 422
    for far in ("0001-01-01", "9999-12-31"):  # real dates, but a year's arithmetic on them overflows
        assert client.get(f"/areas/{world['area'].id}/dashboard?on={far}").status_code == 422
    assert client.get("/areas/999999/dashboard").status_code == 404


def test_guard_has_no_dashboard(client, login_as, world):
    login_as(world["guard"])
    assert client.get(f"/communities/{world['c1'].id}/dashboard").status_code == 403


def test_bar_chart_svg():
    svg = bar_chart([("一月", 3), ("<b>", Decimal("4.5")), ("三月", 0)], title="工单 & 投诉")
    assert isinstance(svg, Markup) and svg.startswith("<svg") and svg.count("<rect") == 3
    assert "&lt;b&gt;" in svg and "<b>" not in svg and "工单 &amp; 投诉" in svg
    assert "4.50" in svg
    empty = bar_chart([], title="空")
    assert "<rect" not in empty and "<svg" in empty
    with pytest.raises(TypeError):
        bar_chart([("x", "many")])


def test_line_chart_svg():
    svg = line_chart([("1", 1), ("2", -2), ("3", 5)], title="趋势")
    assert "<polyline" in svg and svg.count("<circle") == 3
    single = line_chart([("only", 7)])
    assert single.count("<circle") == 1
    assert "<polyline" not in line_chart([])
