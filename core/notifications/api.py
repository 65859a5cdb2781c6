"""API: the caller's in-app notifications (/api/v1/notifications)."""

from __future__ import annotations

from core.api import Blueprint, api_auth, current_account, page_of, page_schema
from core.database import db
from core.notifications import services
from core.notifications.schemas import NotificationQueryArgs, NotificationSchema, UnreadSchema

blp = Blueprint("notifications_api", __name__, url_prefix="/api/v1/notifications", description="Notifications")


@blp.route("")
@api_auth
@blp.arguments(NotificationQueryArgs, location="query")
@blp.response(200, page_schema(NotificationSchema))
def list_notifications(args):
    """Your notifications, newest first (``unread=true`` for the unread ones)."""
    return page_of(services.for_account(current_account(), args["unread"]), args)


@blp.route("/unread")
@api_auth
@blp.response(200, UnreadSchema)
def unread():
    return {"unread": services.unread_count(current_account()), "marked": 0}


@blp.route("/<int:notification_id>/read", methods=["POST"])
@api_auth
@blp.response(200, NotificationSchema)
def mark_read(notification_id):
    row = services.mark_read(current_account(), notification_id)
    db.session.commit()
    return row


@blp.route("/read", methods=["POST"])
@api_auth
@blp.response(200, UnreadSchema)
def mark_all_read():
    """Mark every notification read."""
    marked = services.mark_all_read(current_account())
    db.session.commit()
    return {"unread": 0, "marked": marked}
