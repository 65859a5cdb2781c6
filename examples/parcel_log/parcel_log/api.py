"""API of Parcel log under /api/v1/parcel-log."""

from core import (
    ApiBlueprint,
    Community,
    NotFound,
    PageArgs,
    api_auth,
    current_account,
    db,
    page_of,
    page_schema,
    require,
)
from marshmallow import Schema, fields, validate

from parcel_log import services

blp = ApiBlueprint("parcel_log_api", __name__, url_prefix="/api/v1/parcel-log", description="Parcel log")


class EntrySchema(Schema):
    id = fields.Integer(dump_only=True)
    community_id = fields.Integer(required=True)
    unit_id = fields.Integer(allow_none=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    note = fields.String(load_default="", validate=validate.Length(max=2000))
    ticket_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class EntryQuery(Schema):
    community_id = fields.Integer(required=True)


def _community(community_id: int, permission: str) -> Community:
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound()
    require(current_account(), permission, community=community)
    return community


@blp.route("/entries")
@api_auth
@blp.arguments(EntryQuery, location="query")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, page_schema(EntrySchema))
def list_entries(query, **paging):
    """Entries of one community, newest first."""
    community = _community(query["community_id"], "parcel_log.entry.read")
    return page_of(services.entries_of(community.id), paging)


@blp.route("/entries", methods=["POST"])
@api_auth
@blp.arguments(EntrySchema)
@blp.response(201, EntrySchema)
def create_entry(args):
    """Add an entry."""
    community = _community(args.pop("community_id"), "parcel_log.entry.write")
    entry = services.add_entry(current_account(), community, **args)
    db.session.commit()
    return entry
