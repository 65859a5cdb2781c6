"""API of the register of people: people, ownerships, residencies. ID numbers are masked; the
unmasked values come from ``/people/<id>/sensitive`` with ``people.read_sensitive``, audited."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.api import Blueprint, api_auth, current_account, page_of, page_schema
from core.auth.permissions import can
from core.database import db
from core.errors import Forbidden, Invalid
from core.people import services
from core.people.models import Ownership, Residency
from core.people.schemas import (
    OwnershipArgs,
    OwnershipSchema,
    OwnershipUpdateSchema,
    PersonArgs,
    PersonSchema,
    PersonUpdateSchema,
    ResidencyArgs,
    ResidencySchema,
    ResidencyUpdateSchema,
    SensitiveSchema,
)
from core.places.models import Community, Unit
from core.places.services import community_filter

blp = Blueprint("people_api", __name__, url_prefix="/api/v1", description="Register: people")


def _staff():
    account = current_account()
    if not account.grants:
        raise Forbidden()
    return account


def _unit_in_body(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None or not can(current_account(), "register.read", community=unit.building.community):
        raise Invalid(fields={"unit_id": [_l("Unknown unit.")]})
    return unit


# --- people ----------------------------------------------------------------------------------------

@blp.route("/people")
@api_auth
@blp.arguments(PersonArgs, location="query")
@blp.response(200, page_schema(PersonSchema))
def list_people(args):
    """People you may see; ``q``: part of a name or phone, or an exact ID number."""
    return page_of(services.search_people(_staff(), args.get("q")), args)


@blp.route("/people", methods=["POST"])
@api_auth
@blp.arguments(PersonSchema)
@blp.response(201, PersonSchema)
def create_person(data):
    account = _staff()
    community = db.session.get(Community, data.pop("community_id"))
    if community is None or not can(account, "register.read", community=community):
        raise Invalid(fields={"community_id": [_l("Unknown community.")]})
    person = services.create_person(account, community, data)
    db.session.commit()
    return person


@blp.route("/people/<int:person_id>")
@api_auth
@blp.response(200, PersonSchema)
def get_person(person_id):
    return services.get_person(_staff(), person_id)


@blp.route("/people/<int:person_id>", methods=["PATCH"])
@api_auth
@blp.arguments(PersonUpdateSchema(partial=True))
@blp.response(200, PersonSchema)
def update_person(data, person_id):
    person = services.get_person(_staff(), person_id, "people.write")
    services.update_person(current_account(), person, data)
    db.session.commit()
    return person


@blp.route("/people/<int:person_id>/sensitive")
@api_auth
@blp.response(200, SensitiveSchema)
def read_sensitive(person_id):
    """Unmasked ID number and care needs (``people.read_sensitive``); each read is audited."""
    person = services.get_person(_staff(), person_id)
    values = services.reveal(current_account(), person)
    db.session.commit()
    return values


# --- ownerships ------------------------------------------------------------------------------------

def _filtered(model, args):
    stmt = select(model).where(community_filter(current_account(), "people.read", model.community_id))
    for key in ("unit_id", "person_id", "community_id", "kind"):
        if key in args:
            stmt = stmt.where(getattr(model, key) == args[key])
    return stmt.order_by(model.unit_id, model.id)


@blp.route("/ownerships")
@api_auth
@blp.arguments(OwnershipArgs, location="query")
@blp.response(200, page_schema(OwnershipSchema))
def list_ownerships(args):
    _staff()
    return page_of(_filtered(Ownership, args), args)


@blp.route("/ownerships", methods=["POST"])
@api_auth
@blp.arguments(OwnershipSchema)
@blp.response(201, OwnershipSchema)
def create_ownership(data):
    _staff()
    unit = _unit_in_body(data.pop("unit_id"))
    ownership = services.create_ownership(current_account(), unit, data)
    db.session.commit()
    return ownership


@blp.route("/ownerships/<int:ownership_id>")
@api_auth
@blp.response(200, OwnershipSchema)
def get_ownership(ownership_id):
    return services.get_ownership(_staff(), ownership_id)


@blp.route("/ownerships/<int:ownership_id>", methods=["PATCH"])
@api_auth
@blp.arguments(OwnershipUpdateSchema)
@blp.response(200, OwnershipSchema)
def update_ownership(data, ownership_id):
    ownership = services.get_ownership(_staff(), ownership_id, "people.write")
    services.update_ownership(current_account(), ownership, data)
    db.session.commit()
    return ownership


# --- residencies -----------------------------------------------------------------------------------

@blp.route("/residencies")
@api_auth
@blp.arguments(ResidencyArgs, location="query")
@blp.response(200, page_schema(ResidencySchema))
def list_residencies(args):
    _staff()
    return page_of(_filtered(Residency, args), args)


@blp.route("/residencies", methods=["POST"])
@api_auth
@blp.arguments(ResidencySchema)
@blp.response(201, ResidencySchema)
def create_residency(data):
    _staff()
    unit = _unit_in_body(data.pop("unit_id"))
    residency = services.create_residency(current_account(), unit, data)
    db.session.commit()
    return residency


@blp.route("/residencies/<int:residency_id>")
@api_auth
@blp.response(200, ResidencySchema)
def get_residency(residency_id):
    return services.get_residency(_staff(), residency_id)


@blp.route("/residencies/<int:residency_id>", methods=["PATCH"])
@api_auth
@blp.arguments(ResidencyUpdateSchema(partial=True))
@blp.response(200, ResidencySchema)
def update_residency(data, residency_id):
    residency = services.get_residency(_staff(), residency_id, "people.write")
    services.update_residency(current_account(), residency, data)
    db.session.commit()
    return residency
