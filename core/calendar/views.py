"""Calendar pages: the year view (holidays, adjusted working days, their sources, warnings), day
edits, import with preview, and working hours per community."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core.audit.services import record as audit
from core.auth.permissions import can, require, visible_community_ids
from core.calendar import services
from core.calendar.forms import ConfirmImportForm, DayForm, HoursForm, ImportForm, YearForm
from core.calendar.models import CalendarYear
from core.database import db
from core.errors import Invalid, NotFound
from core.places.models import Community
from core.settings.models import SettingValue
from core.settings.services import set_value

bp = Blueprint("calendar", __name__, url_prefix="/calendar", template_folder="templates")

NAV = [
    {"label": _l("Calendar"), "endpoint": "calendar.year", "permission": "calendar.edit", "order": 80},
    {"label": _l("Working hours"), "endpoint": "calendar.hours", "permission": "calendar.hours.edit", "order": 81},
]

HOLIDAY_LABELS = {
    services.NEW_YEAR: _l("New Year's Day"),
    services.SPRING: _l("Spring Festival"),
    services.QINGMING: _l("Tomb-sweeping Day"),
    services.LABOUR: _l("Labour Day"),
    services.DRAGON_BOAT: _l("Dragon Boat Festival"),
    services.MID_AUTUMN: _l("Mid-autumn Festival"),
    services.NATIONAL: _l("National Day"),
    "Anti-Fascist 70th Day": _l("Anti-Fascist 70th Day"),
}

SOURCE_LABELS = {
    "package": _l("chinesecalendar package"),
    "rule": _l("computed statutory holiday (no adjusted days known)"),
    "table:package": _l("calendar table (seeded from the package)"),
    "table:import": _l("calendar table (imported official schedule)"),
    "table:manual": _l("calendar table (entered by hand)"),
    "weekday": _l("weekday"),
    "weekend": _l("weekend"),
}

RULE_SOURCE_LABELS = {
    "State Council Decree No. 798 (2024)": _l("State Council Decree No. 798 (2024), 《全国年节及纪念日放假办法》"),
    "State Council Decree No. 644 (2013)": _l("State Council Decree No. 644 (2013), 《全国年节及纪念日放假办法》"),
    "State Council Decree No. 513 (2007)": _l("State Council Decree No. 513 (2007), 《全国年节及纪念日放假办法》"),
    "State Council Decree No. 270 (1999)": _l("State Council Decree No. 270 (1999), 《全国年节及纪念日放假办法》"),
}

PERIOD_SOURCE = _l("Company promise: the office hours in the property service contract")


def holiday_label(name: str | None) -> str:
    if not name:
        return ""
    return "; ".join(str(HOLIDAY_LABELS.get(part, part)) for part in name.split("; "))


def translate_warning(message: str) -> str:
    """``cal.warnings()`` gives English lines "YEAR: text"; show them in the user's language."""
    year, _sep, text = message.partition(": ")
    known = {
        "adjusted working days unknown; using weekends and statutory holidays":
            _("adjusted working days (调休) unknown; using weekends and statutory holidays until the "
              "official schedule is imported"),
        "some statutory holidays could not be computed; using weekends for them":
            _("some statutory holidays could not be computed; using weekends for them"),
    }
    return f"{year}: {known.get(text, text)}"


@bp.app_template_filter("calendar_warning")
def _calendar_warning_filter(message: str) -> str:
    return translate_warning(message)


@bp.app_template_filter("holiday_name")
def _holiday_name_filter(name: str | None) -> str:
    return holiday_label(name)


def _year_arg() -> int:
    raw = request.args.get("year", "")
    if not raw:
        return dt.datetime.now(services.SHANGHAI).year
    try:
        year = int(raw)
    except ValueError:
        raise Invalid(fields={"year": [_("Not a valid year.")]}) from None
    if not 1900 <= year <= 2100:
        raise Invalid(fields={"year": [_("Must be between 1900 and 2100.")]})
    return year


def year_grid(year: int, cal: services.WorkingCalendar, info: dict) -> list[dict]:
    """Twelve months of weeks of day cells for the template (pure; no queries)."""
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                working = cal.is_working_day(day)
                entry = info.get(day)
                if entry is not None:
                    source = entry.source
                elif day.weekday() >= 5:
                    source = "weekend"
                else:
                    source = "weekday"
                adjusted = working and day.weekday() >= 5
                cells.append({"day": day, "working": working, "adjusted": adjusted,
                              "name": holiday_label(cal.names.get(day)), "source": source})
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


def _can_view() -> bool:
    return can(current_user, "calendar.edit") or can(current_user, "calendar.hours.edit")


@bp.route("/")
@login_required
def year():
    if not _can_view():
        require(current_user, "calendar.edit")
    year = _year_arg()
    return _render_year(year)


def _render_year(year: int, day_form=None, year_form=None, import_form=None, preview=None,
                 confirm_form=None, status: int = 200):
    cal, info = services.load_calendar_with_sources(None, [year])
    record = db.session.scalar(select(CalendarYear).where(CalendarYear.year == year))
    overrides = sorted(info.values(), key=lambda i: i.day)
    editable = can(current_user, "calendar.edit")
    day_form = day_form or DayForm(formdata=None)
    year_form = year_form or YearForm(formdata=None, year=year, complete=bool(record and record.complete),
                                      source=record.source if record else "")
    import_form = import_form or ImportForm(formdata=None, year=year)
    return render_template(
        "calendar/year.html", year=year, cal=cal, months=year_grid(year, cal, info), overrides=overrides,
        warnings=[translate_warning(w) for w in cal.warnings()], record=record,
        package_knows=services.package_days(year) is not None, editable=editable,
        source_labels=SOURCE_LABELS, day_form=day_form, year_form=year_form, import_form=import_form,
        preview=preview, confirm_form=confirm_form,
        rule_source=RULE_SOURCE_LABELS.get(services.statutory_rule(year)["source"], services.statutory_rule(year)["source"]),
        periods=services.format_periods(cal.periods)), status


@bp.route("/days", methods=["POST"])
@login_required
def set_day():
    require(current_user, "calendar.edit")
    form = DayForm()
    if not form.validate_on_submit():
        year = form.day.data.year if form.day.data else _year_arg()
        return _render_year(year, day_form=form, status=422)
    kind = form.kind.data
    working = None if kind == "clear" else kind == "working"
    services.set_day(current_user, form.day.data, working, form.name.data)
    audit(current_user, "calendar.day_set", "CalendarDay", None, module="calendar",
          changes={"day": form.day.data.isoformat(), "kind": kind, "name": form.name.data or None})
    db.session.commit()
    flash(_("The day has been saved."), "success")
    return redirect(url_for("calendar.year", year=form.day.data.year))


@bp.route("/years", methods=["POST"])
@login_required
def set_year():
    require(current_user, "calendar.edit")
    form = YearForm()
    if not form.validate_on_submit():
        return _render_year(_year_arg(), year_form=form, status=422)
    services.mark_year(current_user, form.year.data, form.complete.data, form.source.data or "")
    db.session.commit()
    flash(_("The year has been saved."), "success")
    return redirect(url_for("calendar.year", year=form.year.data))


@bp.route("/seed", methods=["POST"])
@login_required
def seed():
    require(current_user, "calendar.edit")
    added = services.seed_from_package(current_user)
    audit(current_user, "calendar.seeded", "CalendarDay", None, module="calendar", changes={"added": added})
    db.session.commit()
    flash(_("%(n)s days copied from the package.", n=added), "success")
    return redirect(url_for("calendar.year", year=_year_arg()))


def _rows_to_json(rows: list[services.ImportRow]) -> str:
    return json.dumps([[r.day.isoformat() if r.day else None, r.is_working, r.name] for r in rows],
                      ensure_ascii=False)


@bp.route("/import", methods=["POST"])
@login_required
def import_preview():
    """Step 1: read the upload and show every row with its errors; nothing is written."""
    require(current_user, "calendar.edit")
    form = ImportForm()
    year = form.year.data if isinstance(form.year.data, int) and 1900 <= form.year.data <= 2100 else _year_arg()
    if not form.validate_on_submit():
        return _render_year(year, import_form=form, status=422)
    upload = form.file.data
    try:
        raw = services.read_import_file(upload.filename, upload.read(services.MAX_IMPORT_BYTES + 1))
    except ValueError as exc:
        form.file.errors = [str(exc)]
        return _render_year(year, import_form=form, status=422)
    rows = services.parse_import_rows(raw)
    for row in rows:
        if row.day is not None and row.day.year != year:
            row.errors.append(_("date is not in %(year)s", year=year))
    if not rows:
        form.file.errors = [_("The file has no rows.")]
        return _render_year(year, import_form=form, status=422)
    confirm = None
    if not any(r.errors for r in rows):
        confirm = ConfirmImportForm(formdata=None, year=str(year), rows=_rows_to_json(rows),
                                    complete="1" if form.complete.data else "", source=form.source.data or "")
    return _render_year(year, import_form=form, preview=rows, confirm_form=confirm,
                        status=200 if confirm else 422)


@bp.route("/import/confirm", methods=["POST"])
@login_required
def import_confirm():
    """Step 2: write the previewed rows (checked again; all or nothing)."""
    require(current_user, "calendar.edit")
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        year = int(form.year.data)
        data = json.loads(form.rows.data)
        if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid(fields={"rows": [_("The preview could not be read; upload the file again.")]}) from None
    rows = services.parse_import_rows(data)
    written = services.import_rows(current_user, rows, year=year, complete=bool(form.complete.data),
                                   source=form.source.data or "")
    audit(current_user, "calendar.imported", "CalendarYear", year, module="calendar",
          changes={"rows": written, "complete": bool(form.complete.data), "source": form.source.data or None})
    db.session.commit()
    flash(_("%(n)s days imported for %(year)s.", n=written, year=year), "success")
    return redirect(url_for("calendar.year", year=year))


# --- working hours per community ------------------------------------------------------------

def _hours_rows(community_ids: set[int] | None) -> list[dict]:
    stmt = select(Community).order_by(Community.name)
    if community_ids is not None:
        stmt = stmt.where(Community.id.in_(community_ids or {-1}))
    communities = db.session.scalars(stmt).all()
    values = {(v.scope_type, v.scope_id): v.value for v in db.session.scalars(
        select(SettingValue).where(SettingValue.key == "calendar.working_periods"))}
    out = []
    for community in communities:
        raw, scope = services.DEFAULT_PERIODS_TEXT, "default"
        for key, name in ((("community", community.id), "community"), (("area", community.area_id), "area"),
                          (("platform", None), "platform")):
            if key in values:
                raw, scope = values[key], name
                break
        try:
            shown = services.format_periods(services.parse_periods(raw))
        except ValueError:
            shown, scope = services.DEFAULT_PERIODS_TEXT, "default"
        out.append({"community": community, "periods": shown, "scope": scope})
    return out


@bp.route("/hours")
@login_required
def hours():
    require(current_user, "calendar.hours.edit")
    rows = _hours_rows(visible_community_ids(current_user, "calendar.hours.edit"))
    return render_template("calendar/hours.html", rows=rows, form=HoursForm(formdata=None),
                           default=services.DEFAULT_PERIODS_TEXT, source=PERIOD_SOURCE, errors={})


@bp.route("/hours/<int:community_id>", methods=["POST"])
@login_required
def set_hours(community_id: int):
    community = db.session.get(Community, community_id)
    if community is None:
        raise NotFound()
    require(current_user, "calendar.hours.edit", community=community)
    form = HoursForm()
    error = None
    if form.validate_on_submit():
        try:
            periods = services.parse_periods(form.periods.data)
        except ValueError as exc:
            error = str(exc)
        else:
            set_value(current_user, "calendar.working_periods", services.format_periods(periods),
                      "community", community.id, note="working hours page")
            db.session.commit()
            flash(_("Working hours of %(name)s saved.", name=community.name), "success")
            return redirect(url_for("calendar.hours"))
    else:
        error = "; ".join(str(e) for e in form.periods.errors) or _("Not a valid value.")
    rows = _hours_rows(visible_community_ids(current_user, "calendar.hours.edit"))
    return render_template("calendar/hours.html", rows=rows, form=form, default=services.DEFAULT_PERIODS_TEXT,
                           source=PERIOD_SOURCE, errors={community.id: error}), 422
