"""API of the register of places: areas (residents' committees), communities, buildings, units."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.api import Blueprint, PageArgs, api_auth, current_account, page_of, page_schema
from core.auth.permissions import can, require
from core.database import db
from core.errors import Forbidden, Invalid
from core.places import services
from core.places.models import Building, Community
from core.places.schemas import (
    AreaSchema,
    AreaUpdateSchema,
    BuildingArgs,
    BuildingSchema,
    BuildingUpdateSchema,
    CommunityArgs,
    CommunitySchema,
    CommunityUpdateSchema,
    UnitArgs,
    UnitSchema,
    UnitUpdateSchema,
)

blp = Blueprint("places_api", __name__, url_prefix="/api/v1", description="Register: places")


def _no_grants(account) -> None:
    if not account.grants:
        raise Forbidden()


# --- areas ---------------------------------------------------------------------------------------

@blp.route("/areas")
@api_auth
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(AreaSchema))
def list_areas(args):
    """Residents' committee areas holding communities you may read."""
    _no_grants(current_account())
    return page_of(services.visible_areas(current_account()), args)


@blp.route("/areas", methods=["POST"])
@api_auth
@blp.arguments(AreaSchema)
@blp.response(201, AreaSchema)
def create_area(data):
    """Create an area (platform admin)."""
    area = services.create_area(current_account(), data)
    db.session.commit()
    return area


@blp.route("/areas/<int:area_id>")
@api_auth
@blp.response(200, AreaSchema)
def get_area(area_id):
    _no_grants(current_account())
    return services.get_area(current_account(), area_id)


@blp.route("/areas/<int:area_id>", methods=["PATCH"])
@api_auth
@blp.arguments(AreaUpdateSchema)
@blp.response(200, AreaSchema)
def update_area(data, area_id):
    """Rename an area or change its code (platform admin)."""
    area = services.get_area(current_account(), area_id)
    services.update_area(current_account(), area, data)
    db.session.commit()
    return area


# --- communities -------------------------------------------------------------------------------------

@blp.route("/communities")
@api_auth
@blp.arguments(CommunityArgs, location="query")
@blp.response(200, page_schema(CommunitySchema))
def list_communities(args):
    """Communities you may read; filter by ``area_id`` or name (``q``)."""
    _no_grants(current_account())
    stmt = services.visible_communities(current_account())
    if "area_id" in args:
        stmt = stmt.where(Community.area_id == args["area_id"])
    if args.get("q"):
        stmt = stmt.where(Community.name.contains(args["q"]))
    return page_of(stmt, args)


@blp.route("/communities", methods=["POST"])
@api_auth
@blp.arguments(CommunitySchema)
@blp.response(201, CommunitySchema)
def create_community(data):
    """Create a community in an area (platform admin)."""
    community = services.create_community(current_account(), data)
    db.session.commit()
    return community


@blp.route("/communities/<int:community_id>")
@api_auth
@blp.response(200, CommunitySchema)
def get_community(community_id):
    return services.get_community(current_account(), community_id)


@blp.route("/communities/<int:community_id>", methods=["PATCH"])
@api_auth
@blp.arguments(CommunityUpdateSchema)
@blp.response(200, CommunitySchema)
def update_community(data, community_id):
    community = services.get_community(current_account(), community_id)
    services.update_community(current_account(), community, data)
    db.session.commit()
    return community


# --- buildings -----------------------------------------------------------------------------------------

@blp.route("/buildings")
@api_auth
@blp.arguments(BuildingArgs, location="query")
@blp.response(200, page_schema(BuildingSchema))
def list_buildings(args):
    """Buildings of the communities you may read; filter by ``community_id``."""
    _no_grants(current_account())
    stmt = select(Building).where(services.community_filter(current_account(), "register.read",
                                                            Building.community_id))
    if "community_id" in args:
        stmt = stmt.where(Building.community_id == args["community_id"])
    return page_of(stmt.order_by(Building.community_id, Building.name), args)


@blp.route("/buildings", methods=["POST"])
@api_auth
@blp.arguments(BuildingSchema)
@blp.response(201, BuildingSchema)
def create_building(data):
    community = _target_community(data.pop("community_id"), "community_id")
    building = services.create_building(current_account(), community, data)
    db.session.commit()
    return building


@blp.route("/buildings/<int:building_id>")
@api_auth
@blp.response(200, BuildingSchema)
def get_building(building_id):
    return services.get_building(current_account(), building_id)


@blp.route("/buildings/<int:building_id>", methods=["PATCH"])
@api_auth
@blp.arguments(BuildingUpdateSchema)
@blp.response(200, BuildingSchema)
def update_building(data, building_id):
    building = services.get_building(current_account(), building_id)
    services.update_building(current_account(), building, data)
    db.session.commit()
    return building


def _target_community(community_id: int, field: str) -> Community:
    """A community named in a request body: unknown or invisible ones are a field error."""
    community = db.session.get(Community, community_id)
    if community is None or not can(current_account(), "register.read", community=community):
        raise Invalid(fields={field: [_l("Unknown community.")]})
    require(current_account(), "register.write", community=community)
    return community


# --- units -------------------------------------------------------------------------------------------

@blp.route("/units")
@api_auth
@blp.arguments(UnitArgs, location="query")
@blp.response(200, page_schema(UnitSchema))
def list_units(args):
    """Units you may read (owners and residents: their own); filter by community, building, use,
    sale status, or search ``q`` in unit number, owner name and phone."""
    stmt = services.units_query(current_account(), community_id=args.get("community_id"),
                                building_id=args.get("building_id"), use=args.get("use"),
                                sale_status=args.get("sale_status"), q=args.get("q"))
    return page_of(stmt, args)


@blp.route("/units", methods=["POST"])
@api_auth
@blp.arguments(UnitSchema)
@blp.response(201, UnitSchema)
def create_unit(data):
    building = db.session.get(Building, data.pop("building_id"))
    if building is None or not can(current_account(), "register.read", community=building.community):
        raise Invalid(fields={"building_id": [_l("Unknown building.")]})
    unit = services.create_unit(current_account(), building, data)
    db.session.commit()
    return unit


@blp.route("/units/<int:unit_id>")
@api_auth
@blp.response(200, UnitSchema)
def get_unit(unit_id):
    return services.get_unit(current_account(), unit_id)


@blp.route("/units/<int:unit_id>", methods=["PATCH"])
@api_auth
@blp.arguments(UnitUpdateSchema(partial=True))
@blp.response(200, UnitSchema)
def update_unit(data, unit_id):
    unit = services.get_unit(current_account(), unit_id, "register.write")
    services.update_unit(current_account(), unit, data)
    db.session.commit()
    return unit
