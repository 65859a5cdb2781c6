"""Pages of Parcel log."""

from core import Community, db, require, visible_community_ids
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from parcel_log import services

bp = Blueprint("parcel_log", __name__, url_prefix="/parcel-log", template_folder="templates")


class EntryForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    ids = visible_community_ids(current_user, "parcel_log.entry.read")
    stmt = select(Community).order_by(Community.name)
    if ids is not None:
        stmt = stmt.where(Community.id.in_(ids))
    communities = db.session.scalars(stmt).all()
    if not communities:
        abort(403)
    chosen = request.args.get("community_id", type=int) or communities[0].id
    community = next((c for c in communities if c.id == chosen), None) or abort(404)
    form = EntryForm()
    if form.validate_on_submit():
        require(current_user, "parcel_log.entry.write", community=community)
        services.add_entry(current_user, community, title=form.title.data, note=form.note.data)
        db.session.commit()
        return redirect(url_for(".index", community_id=community.id))
    entries = db.session.scalars(services.entries_of(community.id).limit(100)).all()
    status = 422 if form.errors else 200
    return render_template("parcel_log/index.html", community=community, communities=communities, form=form,
                           entries=entries, heading=_("Parcel log")), status
