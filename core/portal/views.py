"""The owner and resident portal (phone-sized pages): my units, my household, notices, plugin sections."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from core.auth.permissions import person_unit_ids
from core.database import db
from core.errors import NotFound
from core.notices.models import Notice
from core.notices.services import notices_for_units
from core.people.models import Person, Residency
from core.places.models import Building, Unit

bp = Blueprint("portal", __name__, url_prefix="/portal")


def my_units() -> list[Unit]:
    person = current_user.person
    if person is None:
        return []
    ids = person_unit_ids(person.id)
    if not ids:
        return []
    return db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.id)
                              .options(selectinload(Unit.building).selectinload(Building.community))).all()


def household(units) -> list[tuple[Unit, Person, str]]:
    """People living now in ``units`` (the user included), one query."""
    if not units:
        return []
    day = dt.date.today()
    by_id = {u.id: u for u in units}
    rows = db.session.execute(
        select(Residency.unit_id, Person, Residency.kind).join(Person, Person.id == Residency.person_id)
        .where(Residency.unit_id.in_(by_id),
               or_(Residency.start_date.is_(None), Residency.start_date <= day),
               or_(Residency.end_date.is_(None), Residency.end_date >= day))
        .order_by(Residency.unit_id, Person.name)).all()
    return [(by_id[unit_id], person, str(kind)) for unit_id, person, kind in rows]


@bp.route("/")
@login_required
def home():
    from core.plugins import collect

    person = current_user.person
    units = my_units()
    sections = []
    if person is not None:
        sections = sorted(collect("portal_sections", person=person), key=lambda s: s.get("order", 100))
    return render_template("portal/home.html", person=person, units=units, household=household(units),
                           notices=notices_for_units(units), sections=sections)


@bp.route("/notices/<int:notice_id>")
@login_required
def notice(notice_id: int):
    """A notice addressed to one of my units (else 404: others' notices do not exist for me)."""
    units = my_units()
    found = next((n for n in notices_for_units(units) if n.id == notice_id), None)
    if found is None or not isinstance(found, Notice):
        raise NotFound()
    return render_template("portal/notice.html", notice=found)
