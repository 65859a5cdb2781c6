"""Back-office home: the communities and areas the user may supervise, with plugin widgets."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth.permissions import visible_area_ids, visible_community_ids
from core.database import db
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
    return render_template("dashboard/home.html", communities=db.session.scalars(cstmt).all(),
                           areas=db.session.scalars(astmt).all())
