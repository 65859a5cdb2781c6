"""Back-office home and dashboards: a company dashboard per community, a residents' committee
dashboard per area; both filled by the ``dashboard_widgets`` hook."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth.permissions import require, visible_area_ids, visible_community_ids
from core.database import db
from core.errors import NotFound
from core.places.models import Area, Community

bp = Blueprint("dashboard", __name__)


@bp.route("/")
@login_required
def home():
    community_ids = visible_community_ids(current_user, "dashboard.community")
    area_ids = visible_area_ids(current_user, "dashboard.area")
    cstmt = select(Community).order_by(Community.name)
    if community_ids is not None:
        cstmt = cstmt.where(Community.id.in_(community_ids))
    astmt = select(Area).order_by(Area.name)
    if area_ids is not None:
        astmt = astmt.where(Area.id.in_(area_ids))
    communities, areas = db.session.scalars(cstmt).all(), db.session.scalars(astmt).all()
    if len(communities) == 1 and not areas:  # a community's own staff land on its dashboard
        return community(communities[0].id)
    return render_template("dashboard/home.html", communities=communities, areas=areas)


def render_widgets(scope) -> list[dict]:
    """Widgets from the ``dashboard_widgets`` hook, rendered to HTML and ordered."""
    from flask import render_template as render

    from core.plugins import collect

    out = []
    for w in collect("dashboard_widgets", scope=scope, user=current_user._get_current_object()):
        if not isinstance(w, dict):
            continue
        html = w.get("html")
        if html is None and w.get("template"):
            html = render(w["template"], **(w.get("context") or {}))
        out.append({"title": w.get("title", ""), "html": Markup(html or ""), "order": w.get("order", 100)})
    return sorted(out, key=lambda w: (w["order"], str(w["title"])))


@bp.route("/communities/<int:community_id>/dashboard")
@login_required
def community(community_id: int):
    obj = db.session.get(Community, community_id)
    if obj is None:
        raise NotFound()
    require(current_user, "dashboard.community", community=obj)
    return render_template("dashboard/community.html", community=obj, widgets=render_widgets(obj))


def _day_arg() -> dt.date:
    from core.api import parse_date

    return parse_date(request.args.get("on"), "on", dt.date.today())


@bp.route("/areas/<int:area_id>/dashboard")
@login_required
def area(area_id: int):
    from core.plugins import collect

    obj = db.session.get(Area, area_id)
    if obj is None:
        raise NotFound()
    require(current_user, "dashboard.area", area=obj)
    on_date = _day_arg()
    communities = db.session.scalars(select(Community).where(Community.area_id == obj.id)
                                     .options(selectinload(Community.company)).order_by(Community.name)).all()
    checks = [c for c in collect("compliance_checks", area=obj, on_date=on_date) if isinstance(c, dict)]
    return render_template("dashboard/area.html", area=obj, communities=communities, checks=checks,
                           on_date=on_date, widgets=render_widgets(obj))
