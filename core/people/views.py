"""Back-office pages of the register of people: search, person records, ownerships, residencies."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.api import page_of
from core.auth.permissions import can
from core.database import db
from core.errors import Invalid
from core.people import services
from core.people.forms import OwnershipForm, PersonForm, ResidencyForm
from core.people.models import Ownership, Person
from core.places import services as places
from core.places.forms import apply_errors

bp = Blueprint("people", __name__, url_prefix="/people")

NAV = [{"label": _l("People"), "endpoint": "people.search", "permission": "people.read", "order": 11}]


@bp.route("/")
@login_required
def search():
    if not can(current_user, "people.read"):
        abort(403)
    q = request.args.get("q", "").strip()[:60]
    try:
        page_no = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page_no = 1
    page = page_of(services.search_people(current_user, q or None), {"page": page_no, "per_page": 50})
    return render_template("people/search.html", page=page, q=q,
                           can_write=can(current_user, "people.write"))


def _community_choices(form: PersonForm) -> None:
    form.community_id.choices = [(c.id, c.name) for c in db.session.scalars(
        services.writable_communities(current_user))]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not can(current_user, "people.write"):
        abort(403)
    form = PersonForm()
    _community_choices(form)
    if request.method == "GET" and request.args.get("community", "").isdigit():
        form.community_id.data = int(request.args["community"])
    if form.validate_on_submit():
        community = places.get_community(current_user, form.community_id.data, "people.write")
        try:
            person = services.create_person(current_user, community, form.data_for_service())
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("%(name)s registered.", name=person.name), "success")
            unit_id, follow = request.args.get("unit", ""), request.args.get("next")
            if unit_id.isdigit() and follow in ("ownership", "residency"):
                return redirect(url_for(f"people.{follow}_new", unit_id=int(unit_id), person=person.id))
            return redirect(url_for("people.detail", person_id=person.id))
    return render_template("people/form.html", form=form, person=None), 422 if form.errors else 200


@bp.route("/<int:person_id>")
@login_required
def detail(person_id: int):
    person = services.get_person(current_user, person_id)
    return render_template("people/detail.html", person=person, links=services.person_links(person.id),
                           can_write=places_can_write(person),
                           can_sensitive=services._visible(current_user, person.id, "people.read_sensitive"))


def places_can_write(person: Person) -> bool:
    return services._visible(current_user, person.id, "people.write")


@bp.route("/<int:person_id>/sensitive", methods=["POST"])
@login_required
def sensitive(person_id: int):
    """Shows the unmasked ID number and care needs once; the read is audited."""
    person = services.get_person(current_user, person_id)
    values = services.reveal(current_user, person)
    db.session.commit()
    return render_template("people/detail.html", person=person, links=services.person_links(person.id),
                           can_write=places_can_write(person), can_sensitive=True, revealed=values)


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit(person_id: int):
    person = services.get_person(current_user, person_id, "people.write")
    form = PersonForm(obj=person)
    del form.community_id
    if request.method == "GET":
        form.id_number.data = None  # never echo the stored number into the page
        form.care_needs.data = None
        form.gender.data = str(person.gender or "")
        form.id_type.data = str(person.id_type or "")
    if form.validate_on_submit():
        try:
            services.update_person(current_user, person, form.data_for_service(editing=True))
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("people.detail", person_id=person.id))
    return render_template("people/form.html", form=form, person=person), 422 if form.errors else 200


# --- ownerships and residencies (reached from a unit page) -----------------------------------------

@bp.route("/units/<int:unit_id>/ownerships/new", methods=["GET", "POST"])
@login_required
def ownership_new(unit_id: int):
    unit = places.get_unit(current_user, unit_id, "people.write")
    form = OwnershipForm()
    if request.method == "GET" and request.args.get("person", "").isdigit():
        form.person_id.data = int(request.args["person"])
    if form.validate_on_submit():
        try:
            services.create_ownership(current_user, unit, {
                "person_id": form.person_id.data, "share": form.share.data,
                "is_voting_representative": form.is_voting_representative.data,
                "start_date": form.start_date.data, "end_date": form.end_date.data})
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Owner added."), "success")
            return redirect(url_for("places.unit", unit_id=unit.id) + "#owners")
    return render_template("people/link_form.html", form=form, unit=unit, title=_("Add owner")), \
        422 if form.errors else 200


@bp.route("/ownerships/<int:ownership_id>/edit", methods=["GET", "POST"])
@login_required
def ownership_edit(ownership_id: int):
    ownership = services.get_ownership(current_user, ownership_id, "people.write")
    form = OwnershipForm(obj=ownership)
    form.person_id.render_kw = {"readonly": True}
    if form.validate_on_submit():
        try:
            services.update_ownership(current_user, ownership, {
                "share": form.share.data, "is_voting_representative": form.is_voting_representative.data,
                "start_date": form.start_date.data, "end_date": form.end_date.data})
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("places.unit", unit_id=ownership.unit_id) + "#owners")
    return render_template("people/link_form.html", form=form, unit=ownership.unit, title=_("Edit ownership")), \
        422 if form.errors else 200


def _landlords(form: ResidencyForm, unit_id: int) -> None:
    rows = db.session.scalars(select(Ownership).where(Ownership.unit_id == unit_id, Ownership.person_id.is_not(None))
                              .join(Person, Person.id == Ownership.person_id)).all()
    form.landlord_id.choices = [(0, "—")] + [(o.person_id, o.person.name) for o in rows]


def _residency_data(form: ResidencyForm) -> dict:
    data = {k: getattr(form, k).data for k in ("kind", "start_date", "end_date", "note")}
    if form.kind.data == "tenant":
        data.update(landlord_id=form.landlord_id.data or None, lease_start=form.lease_start.data,
                    lease_end=form.lease_end.data)
    return data


@bp.route("/units/<int:unit_id>/residencies/new", methods=["GET", "POST"])
@login_required
def residency_new(unit_id: int):
    unit = places.get_unit(current_user, unit_id, "people.write")
    form = ResidencyForm()
    _landlords(form, unit.id)
    if request.method == "GET" and request.args.get("person", "").isdigit():
        form.person_id.data = int(request.args["person"])
    if form.validate_on_submit():
        try:
            services.create_residency(current_user, unit, {"person_id": form.person_id.data, **_residency_data(form)})
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Resident added."), "success")
            return redirect(url_for("places.unit", unit_id=unit.id) + "#residents")
    return render_template("people/link_form.html", form=form, unit=unit, title=_("Add resident")), \
        422 if form.errors else 200


@bp.route("/residencies/<int:residency_id>/edit", methods=["GET", "POST"])
@login_required
def residency_edit(residency_id: int):
    residency = services.get_residency(current_user, residency_id, "people.write")
    form = ResidencyForm(obj=residency)
    form.person_id.render_kw = {"readonly": True}
    _landlords(form, residency.unit_id)
    if request.method == "GET":
        form.kind.data = str(residency.kind)
        form.landlord_id.data = residency.landlord_id or 0
    if form.validate_on_submit():
        try:
            services.update_residency(current_user, residency, _residency_data(form))
        except Invalid as exc:
            db.session.rollback()
            apply_errors(form, exc.fields)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("places.unit", unit_id=residency.unit_id) + "#residents")
    return render_template("people/link_form.html", form=form, unit=residency.unit, title=_("Edit residency")), \
        422 if form.errors else 200
