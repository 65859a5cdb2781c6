"""The audit log viewer: filter, page, export (CSV and Excel)."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from core.api.base import page_of
from core.audit import services
from core.audit.schemas import AuditFilterArgs
from core.auth.models import Account
from core.database import db, utcnow
from core.errors import Invalid

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")

NAV = [{"label": _l("Audit log"), "endpoint": "audit.index", "permission": "audit.read", "order": 75}]
EXPORT_LIMIT = 50_000


def parse_filters(args) -> dict:
    raw = {k: v for k, v in args.items() if k in AuditFilterArgs().fields and v != ""}
    try:
        return AuditFilterArgs().load(raw)
    except ValidationError as exc:
        raise Invalid(fields=exc.messages) from None


@bp.route("/")
@login_required
def index():
    filters = parse_filters(request.args)
    stmt = services.query(current_user, **filters)
    page_no = request.args.get("page", "1")
    page = page_of(stmt, {"page": int(page_no) if page_no.isdigit() and int(page_no) > 0 else 1, "per_page": 50})
    ids = {e.account_id for e in page["items"] if e.account_id}
    names = {}
    if ids:
        names = dict(db.session.execute(select(Account.id, Account.username).where(Account.id.in_(ids))).all())
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("audit/index.html", page=page, names=names, args=args,
                           csv_url=url_for("audit.export", fmt="csv", **args),
                           xlsx_url=url_for("audit.export", fmt="xlsx", **args))


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Invalid(fields={"format": [_l("Must be one of: %(choices)s.", choices="csv, xlsx")]})
    filters = parse_filters(request.args)
    entries = db.session.scalars(services.query(current_user, **filters).limit(EXPORT_LIMIT)).all()
    services.record(current_user, "export", "AuditEntry", None, changes={"rows": len(entries), "format": fmt})
    db.session.commit()
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        return Response(services.export_csv(entries), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.csv"})
    return Response(services.export_xlsx(entries),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=audit-{stamp}.xlsx"})
