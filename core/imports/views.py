"""Pages of the register import and export: upload → preview (per-row report) → confirm."""

from __future__ import annotations

import secrets
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from core.auth.permissions import can
from core.database import db
from core.errors import Invalid
from core.imports import services
from core.imports.forms import ConfirmForm, UploadForm
from core.places import services as places
from core.places.forms import apply_errors

bp = Blueprint("imports", __name__, url_prefix="/register")

PREVIEW_ROWS = 20


def _upload_dir() -> Path:
    folder = Path(current_app.config["INSTANCE_PATH"]) / "uploads" / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _drop_stale_previews(folder: Path, max_age: float = 86_400) -> None:
    """Previews never confirmed are kept a day, then removed."""
    cutoff = time.time() - max_age
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


@bp.route("/communities/<int:community_id>/import", methods=["GET", "POST"])
@login_required
def upload(community_id: int):
    community = places.get_community(current_user, community_id, "register.import")
    form = UploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(current_app.config["UPLOAD_MAX_BYTES"] + 1)
        name = storage.filename or ""
        if len(data) > current_app.config["UPLOAD_MAX_BYTES"]:
            form.file.errors = [_("The upload is too large.")]
        else:
            try:
                table = services.read_table(data, name)
            except Invalid as exc:
                apply_errors(form, exc.fields)
            else:
                rows, problems = services.check_rows(table)
                result = services.plan(community, rows) if not problems else None
                if result is not None and not result.ok:
                    problems = result.problems
                token = None
                if not problems:
                    token = f"{secrets.token_urlsafe(18)}.{name.rsplit('.', 1)[-1].lower()}"
                    folder = _upload_dir()
                    _drop_stale_previews(folder)
                    (folder / token).write_bytes(data)
                confirm = ConfirmForm(formdata=None, token=token)
                return render_template("imports/preview.html", community=community, filename=name,
                                       problems=problems[:500], problem_count=len(problems), result=result,
                                       sample=table[:PREVIEW_ROWS + 1], confirm=confirm), 422 if problems else 200
    return render_template("imports/upload.html", form=form, community=community,
                           columns=services.COLUMNS), 422 if form.errors else 200


@bp.route("/communities/<int:community_id>/import/confirm", methods=["POST"])
@login_required
def confirm(community_id: int):
    community = places.get_community(current_user, community_id, "register.import")
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise Invalid(fields=form.errors)
    path = _upload_dir() / form.token.data
    if not path.is_file():
        flash(_("This preview has expired; upload the file again."), "warning")
        return redirect(url_for("imports.upload", community_id=community.id))
    try:
        result = services.run_import(current_user, community, path.read_bytes(), path.name)
    except services.ImportRefused as exc:
        db.session.rollback()
        return render_template("imports/preview.html", community=community, filename=path.name,
                               problems=exc.problems[:500], problem_count=len(exc.problems), result=None,
                               sample=[], confirm=None), 422
    db.session.commit()
    path.unlink(missing_ok=True)
    s = result.summary()
    flash(_("Imported: %(units)s new units, %(changed)s changed, %(unchanged)s unchanged; %(people)s new owners.",
            units=s["new_units"], changed=s["changed_units"], unchanged=s["unchanged_units"], people=s["new_people"]),
          "success")
    return redirect(url_for("places.community", community_id=community.id))


@bp.route("/communities/<int:community_id>/export.<fmt>")
@login_required
def export(community_id: int, fmt: str):
    if fmt not in ("xlsx", "csv"):
        raise Invalid(fields={"format": [_("Use xlsx or csv.")]})
    community = places.get_community(current_user, community_id, "register.import")
    include_ids = can(current_user, "people.read_sensitive", community=community) and \
        request.args.get("ids") == "1"
    data = services.export(current_user, community, fmt, include_ids)
    db.session.commit()
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "text/csv"
    return Response(data, mimetype=mime, headers={
        "Content-Disposition": f"attachment; filename=units-{community.id}.{fmt}"})
