"""Back-office pages of the register of places: communities, buildings, units."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.api import page_of
from core.auth.models import Account
from core.auth.permissions import can
from core.database import db
from core.errors import Invalid
from core.places import services
from core.places.forms import SALE_STATUSES, USES, BuildingForm, UnitForm, apply_errors
from core.places.models import Building, SaleStatus, Unit, UnitUse

bp = Blueprint("places", __name__, url_prefix="/register")

NAV = [
    {"label": _l("Housing register"), "endpoint": "places.communities", "permission": "register.read", "order": 10},
]
PER_PAGE = 50


def _page_arg() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.route("/")
@bp.route("/communities")
@login_required
def communities():
    if not can(current_user, "register.read"):
        abort(403)
    rows = db.session.scalars(services.visible_communities(current_user)).all()
    return render_template("places/communities.html", communities=rows)


@bp.route("/communities/<int:community_id>")
@login_required
def community(community_id: int):
    c = services.get_community(current_user, community_id)
    buildings = db.session.scalars(select(Building).where(Building.community_id == c.id)
                                   .order_by(Building.name)).all()
    steward_ids = {b.steward_id for b in buildings if b.steward_id}
    stewards = {a.id: a for a in db.session.scalars(select(Account).where(Account.id.in_(steward_ids)))} \
        if steward_ids else {}
    return render_template("places/community.html", community=c, buildings=buildings, stewards=stewards,
                           summary=services.community_summary(c.id),
                           can_write=can(current_user, "register.write", community=c),
                           can_import=can(current_user, "register.import", community=c))


def _steward_choices(form: BuildingForm, community) -> None:
    form.steward_id.choices = [(0, "—")] + [(a.id, a.display_name) for a in services.steward_choices(community)]


@bp.route("/communities/<int:community_id>/buildings/new", methods=["GET", "POST"])
@login_required
def building_new(community_id: int):
    c = services.get_community(current_user, community_id, "register.write")
    form = BuildingForm()
    _steward_choices(form, c)
    if form.validate_on_submit():
        try:
            building = services.create_building(current_user, c, {
                "name": form.name.data, "floors": form.floors.data, "steward_id": form.steward_id.data or None})
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Building %(name)s created.", name=building.name), "success")
            return redirect(url_for("places.building", building_id=building.id))
    return render_template("places/building_form.html", form=form, community=c, building=None), \
        422 if form.errors else 200


@bp.route("/buildings/<int:building_id>")
@login_required
def building(building_id: int):
    b = services.get_building(current_user, building_id)
    units = db.session.scalars(select(Unit).where(Unit.building_id == b.id).order_by(Unit.floor, Unit.number)).all()
    steward = db.session.get(Account, b.steward_id) if b.steward_id else None
    return render_template("places/building.html", building=b, units=units, steward=steward,
                           can_write=can(current_user, "register.write", community=b.community))


@bp.route("/buildings/<int:building_id>/edit", methods=["GET", "POST"])
@login_required
def building_edit(building_id: int):
    b = services.get_building(current_user, building_id, "register.write")
    form = BuildingForm(obj=b)
    _steward_choices(form, b.community)
    if request.method == "GET":
        form.steward_id.data = b.steward_id or 0
    if form.validate_on_submit():
        try:
            services.update_building(current_user, b, {
                "name": form.name.data, "floors": form.floors.data, "steward_id": form.steward_id.data or None})
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("places.building", building_id=b.id))
    return render_template("places/building_form.html", form=form, community=b.community, building=b), \
        422 if form.errors else 200


@bp.route("/communities/<int:community_id>/units")
@login_required
def units(community_id: int):
    c = services.get_community(current_user, community_id)
    args = {k: request.args.get(k, "").strip() for k in ("q", "building", "use", "sale_status")}
    building_id = int(args["building"]) if args["building"].isdigit() else None
    use = args["use"] if args["use"] in UnitUse.__members__ else None
    sale = args["sale_status"] if args["sale_status"] in SaleStatus.__members__ else None
    stmt = services.units_query(current_user, community_id=c.id, building_id=building_id, use=use,
                                sale_status=sale, q=args["q"][:60] or None)
    page = page_of(stmt, {"page": _page_arg(), "per_page": PER_PAGE})
    from core.people.models import Ownership

    ids = [u.id for u in page["items"]]
    owners: dict[int, list] = {}
    if ids and can(current_user, "people.read", community=c):
        for o in db.session.scalars(select(Ownership).where(Ownership.unit_id.in_(ids), Ownership.end_date.is_(None))
                                    .options(selectinload(Ownership.person), selectinload(Ownership.organisation))):
            owners.setdefault(o.unit_id, []).append(o)
    buildings = db.session.scalars(select(Building).where(Building.community_id == c.id).order_by(Building.name)).all()
    return render_template("places/units.html", community=c, page=page, owners=owners, buildings=buildings,
                           args=args, uses=USES, sale_statuses=SALE_STATUSES,
                           can_write=can(current_user, "register.write", community=c))


def _building_choices(form: UnitForm, community_id: int) -> None:
    form.building_id.choices = [(b.id, b.name) for b in db.session.scalars(
        select(Building).where(Building.community_id == community_id).order_by(Building.name))]


@bp.route("/communities/<int:community_id>/units/new", methods=["GET", "POST"])
@login_required
def unit_new(community_id: int):
    c = services.get_community(current_user, community_id, "register.write")
    form = UnitForm()
    _building_choices(form, c.id)
    if request.method == "GET" and request.args.get("building", "").isdigit():
        form.building_id.data = int(request.args["building"])
    if form.validate_on_submit():
        building = db.session.get(Building, form.building_id.data)
        try:
            unit = services.create_unit(current_user, building, form.data_for_service())
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Unit %(label)s created.", label=unit.label), "success")
            return redirect(url_for("places.unit", unit_id=unit.id))
    return render_template("places/unit_form.html", form=form, community=c, unit=None), 422 if form.errors else 200


@bp.route("/units/<int:unit_id>")
@login_required
def unit(unit_id: int):
    u = services.get_unit(current_user, unit_id)
    c = u.building.community
    people = None
    if can(current_user, "people.read", community=c):
        from core.people.services import unit_people

        people = unit_people(u.id)
    return render_template("places/unit.html", unit=u, community=c, people=people,
                           can_write=can(current_user, "register.write", community=c),
                           can_write_people=can(current_user, "people.write", community=c))


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@login_required
def unit_edit(unit_id: int):
    u = services.get_unit(current_user, unit_id, "register.write")
    form = UnitForm(obj=u)
    form.building_id.choices = [(u.building_id, u.building.name)]
    if request.method == "GET":
        form.use.data, form.sale_status.data = str(u.use), str(u.sale_status)
        form.building_area_source.data = str(u.building_area_source or "")
        form.exclusive_area_source.data = str(u.exclusive_area_source or "")
    if form.validate_on_submit():
        try:
            services.update_unit(current_user, u, form.data_for_service())
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("places.unit", unit_id=u.id))
    return render_template("places/unit_form.html", form=form, community=u.building.community, unit=u), \
        422 if form.errors else 200


@bp.app_template_global()
def register_label(kind: str, value) -> str:
    """The translated label of an enum value of the register (use, sale status, area source, …)."""
    from core.people.forms import GENDERS, ID_TYPES, KINDS
    from core.places.forms import AREA_SOURCES

    table = {"use": USES, "sale_status": SALE_STATUSES, "area_source": AREA_SOURCES, "gender": GENDERS,
             "id_type": ID_TYPES, "kind": KINDS}[kind]
    if value is None or value == "":
        return ""
    return str(dict(table).get(str(value), value))
