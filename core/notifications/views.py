"""In-app notifications: the list, the unread count in the top bar, mark read."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from core.api.base import page_of
from core.database import db
from core.notifications import services

bp = Blueprint("notifications", __name__, url_prefix="/notifications", template_folder="templates")


@bp.app_context_processor
def _unread():
    def unread_notifications() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.route("/")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    page_no = request.args.get("page", "1")
    page = page_of(services.for_account(current_user, unread_only),
                   {"page": int(page_no) if page_no.isdigit() and int(page_no) > 0 else 1, "per_page": 30})
    portal = current_user.person_id is not None and not current_user.grants
    return render_template("notifications/index.html", page=page, unread_only=unread_only, portal=portal)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    row = services.mark_read(current_user, notification_id)
    db.session.commit()
    target = row.link if request.form.get("follow") and row.link and row.link.startswith("/") else None
    return redirect(target or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    services.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"))
