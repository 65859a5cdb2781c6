"""The owner and resident portal (phone-sized pages)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from core.auth.permissions import person_unit_ids
from core.database import db
from core.places.models import Unit

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.route("/")
@login_required
def home():
    from core.plugins import collect

    person = current_user.person
    units = []
    sections = []
    if person is not None:
        ids = person_unit_ids(person.id)
        units = db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id)).all() if ids else []
        sections = sorted(collect("portal_sections", person=person), key=lambda s: s.get("order", 100))
    return render_template("portal/home.html", person=person, units=units, sections=sections)
