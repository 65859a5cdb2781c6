"""Notice board pages: publish, list current and past, withdraw; a public board per community and a
printable page per notice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.api.base import page_of
from core.auth.permissions import can, person_unit_ids, visible_area_ids, visible_community_ids
from core.database import db, utcnow
from core.errors import Forbidden, Invalid, NotFound
from core.notices import services
from core.notices.forms import KIND_LABELS, NoticeForm, WithdrawForm
from core.notices.models import Notice
from core.places.models import Area, Community, Unit

bp = Blueprint("notices", __name__, template_folder="templates")

NAV = [{"label": _l("Notices"), "endpoint": "notices.index", "permission": "notices.publish", "order": 40}]


def _local(value: dt.datetime | None):
    if value is None:
        return None
    return value.replace(tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).astimezone(dt.UTC)


def get_notice(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound()
    return notice


def can_manage(account, notice: Notice) -> bool:
    community = db.session.get(Community, notice.community_id) if notice.community_id else None
    return services.can_publish_to(account, db.session.get(Area, notice.area_id), community)


def can_read(account, notice: Notice) -> bool:
    """Public notices for anyone; others for their managers and the people of the audience's units."""
    if services.is_public(notice):
        return True
    if account is None or not account.is_authenticated:
        return False
    if can_manage(account, notice):
        return True
    if account.person_id is not None and services.status_of(notice) == "current":
        ids = person_unit_ids(account.person_id)
        units = db.session.scalars(select(Unit).where(Unit.id.in_(ids))).all() if ids else []
        return notice in services.notices_for_units(units)
    return False


@bp.route("/notices/")
@login_required
def index():
    if not can(current_user, "notices.publish"):
        raise Forbidden()
    state = request.args.get("state", "current")
    if state not in ("current", "scheduled", "past", "all"):
        state = "current"
    stmt = services.back_office_query(current_user, state=state)
    page_no = request.args.get("page", "1")
    page = page_of(stmt, {"page": int(page_no) if page_no.isdigit() and int(page_no) > 0 else 1, "per_page": 30})
    return render_template("notices/index.html", page=page, state=state, status_of=services.status_of,
                           kinds=KIND_LABELS)


def _audience_choices():
    cids = visible_community_ids(current_user, "notices.publish")
    aids = visible_area_ids(current_user, "notices.publish")
    cstmt, astmt = select(Community).order_by(Community.name), select(Area).order_by(Area.name)
    if cids is not None:
        cstmt = cstmt.where(Community.id.in_(cids or {-1}))
    if aids is not None:
        astmt = astmt.where(Area.id.in_(aids or {-1}))
    return ([(f"area:{a.id}", _("Whole area: %(name)s", name=a.name)) for a in db.session.scalars(astmt)]
            + [(f"community:{c.id}", c.name) for c in db.session.scalars(cstmt)])


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def new():
    if not can(current_user, "notices.publish"):
        raise Forbidden()
    form = NoticeForm()
    form.audience.choices = _audience_choices()
    if form.validate_on_submit():
        kind, _sep, ident = (form.audience.data or "").partition(":")
        target = {"area_id": None, "community_id": None}
        if kind in ("area", "community") and ident.isdigit():
            target[f"{kind}_id"] = int(ident)
        try:
            notice = services.publish_checked(
                current_user, title=form.title.data, body=form.body.data, kind=form.kind.data,
                building_id=form.building_id.data, publish_at=_local(form.publish_at.data),
                expire_at=_local(form.expire_at.data), **target)
        except Invalid as exc:
            for name, msgs in exc.fields.items():
                field = getattr(form, name, None) or (form.audience if name.endswith("_id") else form.title)
                field.errors = list(field.errors or []) + [_(m) for m in msgs]
        else:
            db.session.commit()
            flash(_("The notice has been published."), "success")
            return redirect(url_for("notices.detail", notice_id=notice.id))
    return render_template("notices/new.html", form=form), 200 if not form.errors else 422


@bp.route("/notices/<int:notice_id>")
@login_required
def detail(notice_id: int):
    notice = get_notice(notice_id)
    if not can_manage(current_user, notice):
        raise Forbidden()
    return render_template("notices/detail.html", notice=notice, form=WithdrawForm(),
                           status=services.status_of(notice), kinds=KIND_LABELS)


@bp.route("/notices/<int:notice_id>/withdraw", methods=["POST"])
@login_required
def withdraw(notice_id: int):
    notice = get_notice(notice_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        if not can_manage(current_user, notice):
            raise Forbidden()
        return render_template("notices/detail.html", notice=notice, form=form,
                               status=services.status_of(notice), kinds=KIND_LABELS), 422
    services.withdraw_checked(current_user, notice, form.reason.data)
    db.session.commit()
    flash(_("The notice has been withdrawn."), "success")
    return redirect(url_for("notices.detail", notice_id=notice.id))


@bp.route("/notices/<int:notice_id>/print")
def printable(notice_id: int):
    notice = get_notice(notice_id)
    if not can_read(current_user, notice):
        raise NotFound() if not current_user.is_authenticated else Forbidden()
    community = db.session.get(Community, notice.community_id) if notice.community_id else None
    return render_template("notices/print.html", notice=notice, community=community,
                           area=db.session.get(Area, notice.area_id), kinds=KIND_LABELS,
                           status=services.status_of(notice))


@bp.route("/c/<int:community_id>/notices")
def public(community_id: int):
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound()
    return render_template("notices/public.html", community=community, notices=services.public_notices(community),
                           kinds=KIND_LABELS, now=utcnow())
