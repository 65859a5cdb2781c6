"""API: the notice board (/api/v1/notices)."""

from __future__ import annotations

from core.api import Blueprint, api_auth, current_account, page_of, page_schema
from core.database import db
from core.errors import Forbidden, NotFound
from core.notices import services
from core.notices.schemas import NoticeQueryArgs, NoticeSchema, PublicNoticeArgs, WithdrawSchema
from core.notices.views import can_manage, get_notice
from core.places.models import Community

blp = Blueprint("notices_api", __name__, url_prefix="/api/v1/notices", description="Notice board")


@blp.route("")
@api_auth
@blp.arguments(NoticeQueryArgs, location="query")
@blp.response(200, page_schema(NoticeSchema))
def list_notices(args):
    """Notices the caller may manage (``notices.publish``), current, scheduled, past or all."""
    stmt = services.back_office_query(current_account(), state=args["state"], community_id=args.get("community_id"),
                                      area_id=args.get("area_id"), kind=args.get("kind"))
    return page_of(stmt, args)


@blp.route("/public")
@blp.arguments(PublicNoticeArgs, location="query")
@blp.response(200, NoticeSchema(many=True))
def public_notices(args):
    """What the community's public board shows now (no login)."""
    community = db.session.get(Community, args["community_id"])
    if community is None:
        raise NotFound()
    return services.public_notices(community)


@blp.route("", methods=["POST"])
@api_auth
@blp.arguments(NoticeSchema)
@blp.response(201, NoticeSchema)
def publish(args):
    """Publish a notice to an area, a community or a building (``notices.publish`` there)."""
    notice = services.publish_checked(current_account(), **args)
    db.session.commit()
    return notice


@blp.route("/<int:notice_id>")
@api_auth
@blp.response(200, NoticeSchema)
def get(notice_id):
    notice = get_notice(notice_id)
    if not can_manage(current_account(), notice):
        raise Forbidden()
    return notice


@blp.route("/<int:notice_id>/withdraw", methods=["POST"])
@api_auth
@blp.arguments(WithdrawSchema)
@blp.response(200, NoticeSchema)
def withdraw(args, notice_id):
    """Take a notice down with a reason; it stays on record with when it was up."""
    notice = services.withdraw_checked(current_account(), get_notice(notice_id), args["reason"])
    db.session.commit()
    return notice
