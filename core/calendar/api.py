"""API: the working calendar of a year, and importing an official schedule."""

from __future__ import annotations

import datetime as dt

from core.api import Blueprint, api_auth, current_account
from core.audit.services import record as audit
from core.auth.permissions import require
from core.calendar import services
from core.calendar.schemas import DaysArgs, ImportResultSchema, ImportSchema, YearSchema
from core.database import db
from core.errors import Invalid, NotFound
from core.places.models import Community

blp = Blueprint("calendar_api", __name__, url_prefix="/api/v1/calendar",
                description="Working calendar: holidays, adjusted working days, working hours")


@blp.route("/days")
@api_auth
@blp.arguments(DaysArgs, location="query")
@blp.response(200, YearSchema)
def days(args):
    """Every day of a year with whether it is a working day and where that comes from."""
    community = None
    if args["community_id"] is not None:
        community = db.session.get(Community, args["community_id"])
        if community is None:
            raise NotFound()
    year = args["year"]
    cal, info = services.load_calendar_with_sources(community, [year])
    out = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        entry = info.get(day)
        source = entry.source if entry else ("weekend" if day.weekday() >= 5 else "weekday")
        out.append({"date": day, "is_working": cal.is_working_day(day), "name": cal.names.get(day),
                    "source": source})
        day += dt.timedelta(days=1)
    return {"year": year, "fallback": year in cal.fallback_years, "warnings": cal.warnings(),
            "periods": [f"{s:%H:%M}-{e:%H:%M}" for s, e in cal.periods], "days": out}


@blp.route("/imports", methods=["POST"])
@api_auth
@blp.arguments(ImportSchema)
@blp.response(201, ImportResultSchema)
def import_schedule(args):
    """Import a year's official schedule (platform admins). All rows or none; ``dry_run`` only checks.

    Errors name the rows: ``fields: {"line 2": ["not a date: ..."]}`` (line 1 is the first row).
    """
    account = current_account()
    require(account, "calendar.edit")
    rows = services.parse_import_rows([[r["date"], r["is_working"], r["name"]] for r in args["rows"]])
    year = args["year"]
    if args["dry_run"]:
        for row in rows:
            if row.day is not None and row.day.year != year:
                row.errors.append(services.gettext("date is not in %(year)s", year=year))
        bad = {f"line {r.line}": r.errors for r in rows if r.errors}
        if bad:
            raise Invalid(fields=bad)
        return {"year": year, "written": 0, "dry_run": True, "complete": args["complete"]}
    written = services.import_rows(account, rows, year=year, complete=args["complete"], source=args["source"])
    audit(account, "calendar.imported", "CalendarYear", year, module="calendar",
          changes={"rows": written, "complete": args["complete"], "source": args["source"] or None})
    db.session.commit()
    return {"year": year, "written": written, "dry_run": False, "complete": args["complete"]}
